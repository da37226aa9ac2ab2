//! `inventory.csv`: one row per source × field × detector, for spreadsheets and scripts.
//!
//! The header is English and stable whatever `--lang` says, so scripts can rely on it; the
//! category names come in both languages as columns.

use anyhow::Result;

use super::Input;
use super::tables::field_rows;

pub const HEADER: &[&str] = &[
    "source",
    "format",
    "status",
    "field",
    "detector",
    "category",
    "name_en",
    "name_zh",
    "sensitive_gbt45574_2025",
    "sensitive_gbt35273_2020",
    "identifier",
    "matches",
    "distinct_estimate",
    "distinct_low",
    "distinct_high",
    "masked_samples",
    "flows",
];

pub fn render(input: &Input) -> Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    for r in field_rows(input) {
        w.write_record([
            r.source.as_str(),
            &r.format,
            &r.status,
            &r.field,
            &r.detector,
            &r.category,
            &r.name_en,
            &r.name_zh,
            if r.sensitive_45574 { "true" } else { "false" },
            if r.sensitive_35273 { "true" } else { "false" },
            if r.identifier { "true" } else { "false" },
            &r.matches.to_string(),
            &r.distinct.estimate.to_string(),
            &r.distinct.low.to_string(),
            &r.distinct.high.to_string(),
            &r.samples.join(" | "),
            &r.flows.join(" | "),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}
