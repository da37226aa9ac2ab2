//! The auditor's verification output: plain text for a terminal, JSON for tools, markdown for a
//! working paper. Evidence shows masked samples only.

use std::fmt::Write;

use anyhow::Result;

use super::fmt_estimate;
use crate::assess::verify::Verification;

/// An output format of `verify --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    Text,
    Json,
    Md,
}

pub fn render(v: &Verification, f: VerifyFormat) -> Result<String> {
    Ok(match f {
        VerifyFormat::Json => serde_json::to_string_pretty(v)? + "\n",
        VerifyFormat::Text => text(v),
        VerifyFormat::Md => markdown(v),
    })
}

fn summary(v: &Verification) -> String {
    if let Some(r) = &v.refused {
        return if r.mismatches.is_empty() {
            format!("{}; the declaration was not checked", r.summary)
        } else {
            format!(
                "{} ({} mismatches); the declaration was not checked",
                r.summary,
                r.mismatches.len()
            )
        };
    }
    if v.discrepancies.is_empty() {
        format!(
            "no discrepancy: {} declared items checked against the inventory",
            v.checked
        )
    } else {
        format!(
            "{} discrepancies ({} declared items checked; sensitive PI under {})",
            v.discrepancies.len(),
            v.checked,
            v.sensitivity
        )
    }
}

fn text(v: &Verification) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "pipl-scan verify: {}", summary(v));
    if let Some(k) = &v.signed_by {
        let _ = writeln!(s, "signature: good, key {k}");
    }
    for m in v.refused.iter().flat_map(|r| &r.mismatches) {
        let _ = writeln!(s, "  {m}");
    }
    for d in &v.discrepancies {
        let _ = writeln!(s, "\n[{}] {}: {}", d.kind.id(), d.item, d.message);
        for e in &d.evidence {
            let _ = writeln!(
                s,
                "    evidence: {} / {} / {} ({} matches): {}",
                e.source,
                e.field,
                e.detector,
                e.matches,
                e.samples.join(", ")
            );
        }
    }
    s
}

fn markdown(v: &Verification) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Verification of the declaration\n");
    if let Some(o) = &v.organisation {
        let _ = writeln!(s, "Organisation: {o}  ");
    }
    let _ = writeln!(s, "Inventory roots: {}  ", v.inventory_roots.join(", "));
    let _ = writeln!(s, "Result: **{}**\n", summary(v));
    if let Some(k) = &v.signed_by {
        let _ = writeln!(s, "Signature: good, key `{k}`\n");
    }
    if let Some(r) = &v.refused {
        for m in &r.mismatches {
            let _ = writeln!(s, "- `{}`: {}", m.figure, m.message);
        }
        return s;
    }
    if v.discrepancies.is_empty() {
        return s;
    }
    let _ = writeln!(s, "| Kind | Item | Declared | Found (95%) | Finding |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for d in &v.discrepancies {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            d.kind.id(),
            d.item.replace('|', "\\|"),
            d.declared
                .map(|n| n.to_string())
                .unwrap_or_else(|| "—".into()),
            d.found
                .as_ref()
                .map(fmt_estimate)
                .unwrap_or_else(|| "—".into()),
            d.message.replace('|', "\\|")
        );
    }
    let _ = writeln!(s, "\n## Evidence\n");
    for d in v.discrepancies.iter().filter(|d| !d.evidence.is_empty()) {
        let _ = writeln!(s, "### {} — {}\n", d.kind.id(), d.item);
        let _ = writeln!(
            s,
            "| Source | Field | Detector | Matches | Masked samples |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|");
        for e in &d.evidence {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                e.source.replace('|', "\\|"),
                e.field.replace('|', "\\|"),
                e.detector,
                e.matches,
                e.samples.join(", ").replace('|', "\\|")
            );
        }
        s.push('\n');
    }
    s
}
