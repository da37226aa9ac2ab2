//! `assessment.json`: the assessment as data (`pipl-scan/assessment/v1`), with the inventory it
//! was made from identified by its roots and scan times.

use anyhow::Result;
use serde_json::json;

use super::Input;
use crate::assess::Assessment;

pub fn render(input: &Input, a: &Assessment) -> Result<Vec<u8>> {
    let inv = input.inventory;
    let doc = json!({
        "schema": a.schema,
        "generated_at": input.generated_at,
        "tool": inv.tool,
        "inventory": {
            "schema": inv.schema,
            "roots": inv.scan.roots,
            "started_at": inv.scan.started_at,
            "finished_at": inv.scan.finished_at,
            "complete": inv.scan.complete,
        },
        "assessment": a,
    });
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}
