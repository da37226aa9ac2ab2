//! The tables every report format shares, derived from the inventory and the profile:
//! fields (source × field × detector), data items (flow × category), sources and flows.

use std::collections::BTreeMap;

use crate::assess::profile::{Profile, SourceMatcher};
use crate::inventory::{Inventory, SourceEntry};
use crate::sketch::Estimate;

use super::Input;

/// One row per source × field × detector: `inventory.csv` and the xlsx "Fields" sheet.
#[derive(Debug, Clone)]
pub struct FieldRow {
    pub source: String,
    pub format: String,
    pub status: String,
    pub field: String,
    pub detector: String,
    pub name_en: String,
    pub name_zh: String,
    pub category: String,
    pub sensitive_45574: bool,
    pub sensitive_35273: bool,
    pub identifier: bool,
    pub matches: u64,
    pub distinct: Estimate,
    pub samples: Vec<String>,
    pub flows: Vec<String>,
}

/// The flows (by name) whose globs select each source path.
pub fn flows_by_source(
    inv: &Inventory,
    profile: Option<&Profile>,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Some(p) = profile else { return out };
    for f in &p.flows {
        let Ok(m) = SourceMatcher::new(&f.sources) else {
            continue;
        };
        for s in &inv.sources {
            if m.matches(&s.path, &inv.scan.roots) {
                out.entry(s.path.clone()).or_default().push(f.name.clone());
            }
        }
    }
    out
}

fn status_id(s: &SourceEntry) -> String {
    serde_json::to_value(s.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub fn field_rows(input: &Input) -> Vec<FieldRow> {
    let inv = input.inventory;
    let flows = flows_by_source(inv, input.profile);
    let mut rows = Vec::new();
    for s in &inv.sources {
        for f in &s.fields {
            for c in &f.categories {
                let cat = s.categories.iter().find(|x| x.detector == c.detector);
                let by = |st: &str| {
                    cat.and_then(|x| x.sensitive_by_standard.get(st).copied())
                        .unwrap_or(false)
                };
                rows.push(FieldRow {
                    source: s.path.clone(),
                    format: s.format.clone(),
                    status: status_id(s),
                    field: f.name.clone(),
                    detector: c.detector.clone(),
                    name_en: cat.map(|x| x.name.clone()).unwrap_or_default(),
                    name_zh: cat.map(|x| x.name_zh.clone()).unwrap_or_default(),
                    category: cat.map(|x| x.category.clone()).unwrap_or_default(),
                    sensitive_45574: by("gbt45574-2025"),
                    sensitive_35273: by("gbt35273-2020"),
                    identifier: cat.is_some_and(|x| x.identifier),
                    matches: c.matches,
                    distinct: c.distinct,
                    samples: c.samples.clone(),
                    flows: flows.get(&s.path).cloned().unwrap_or_default(),
                });
            }
        }
    }
    rows
}

/// One row per flow × PI category: the data-item table of the declaration form, the
/// self-assessment report and the standard contract's Appendix 1.
#[derive(Debug, Clone)]
pub struct DataItemRow {
    /// `None`: sources that no flow selects (held, not transferred).
    pub flow: Option<String>,
    pub detector: String,
    pub name_en: String,
    pub name_zh: String,
    pub category: String,
    /// Sensitive under the report's standard, and under the other one.
    pub sensitive: bool,
    pub sensitive_other: bool,
    /// Distinct values of the category in the flow's sources.
    pub distinct: Estimate,
    /// `distinct` is the exact union (a single source, or every source holding the category);
    /// otherwise it is bounded by the largest source (low) and the sum of sources (high).
    pub exact_union: bool,
    pub matches: u64,
    /// Source → fields holding the category.
    pub locations: Vec<(String, Vec<String>)>,
    pub purpose: String,
    pub recipient: String,
    pub country: String,
}

/// The standard the report's "sensitive" column uses, and the other one.
pub fn standards(input: &Input) -> (String, String) {
    let chosen = input
        .assessment
        .map(|a| a.sensitivity.clone())
        .unwrap_or_else(|| input.inventory.scan.sensitivity.clone());
    let other = if chosen == "gbt45574-2025" {
        "gbt35273-2020"
    } else {
        "gbt45574-2025"
    };
    (chosen, other.to_string())
}

fn items_for(
    input: &Input,
    sources: &[&SourceEntry],
    flow: Option<&crate::assess::profile::Flow>,
) -> Vec<DataItemRow> {
    let inv = input.inventory;
    let (chosen, other) = standards(input);
    let mut by_det: BTreeMap<String, Vec<(&SourceEntry, &crate::inventory::CategoryEntry)>> =
        BTreeMap::new();
    for s in sources {
        for c in &s.categories {
            by_det.entry(c.detector.clone()).or_default().push((s, c));
        }
    }
    let mut rows = Vec::new();
    for (det, hits) in by_det {
        let holders = inv
            .sources
            .iter()
            .filter(|s| s.categories.iter().any(|c| c.detector == det))
            .count();
        let (distinct, exact_union) = if hits.len() == 1 {
            (hits[0].1.distinct, true)
        } else if hits.len() == holders {
            match inv.totals.categories.iter().find(|c| c.detector == det) {
                Some(t) => (t.distinct, true),
                None => (bounded(&hits), false),
            }
        } else {
            (bounded(&hits), false)
        };
        let c0 = hits[0].1;
        let locations = hits
            .iter()
            .map(|(s, _)| {
                let fields = s
                    .fields
                    .iter()
                    .filter(|f| f.categories.iter().any(|c| c.detector == det))
                    .map(|f| f.name.clone())
                    .collect();
                (s.path.clone(), fields)
            })
            .collect();
        rows.push(DataItemRow {
            flow: flow.map(|f| f.name.clone()),
            detector: det.clone(),
            name_en: c0.name.clone(),
            name_zh: c0.name_zh.clone(),
            category: c0.category.clone(),
            sensitive: c0
                .sensitive_by_standard
                .get(&chosen)
                .copied()
                .unwrap_or(false),
            sensitive_other: c0
                .sensitive_by_standard
                .get(&other)
                .copied()
                .unwrap_or(false),
            distinct,
            exact_union,
            matches: hits.iter().map(|(_, c)| c.matches).sum(),
            locations,
            purpose: flow.map(|f| f.purpose.clone()).unwrap_or_default(),
            recipient: flow.map(|f| f.recipient.clone()).unwrap_or_default(),
            country: flow.map(|f| f.country.clone()).unwrap_or_default(),
        });
    }
    rows
}

/// Without a sketch per source and category, the union of several sources is bounded by the
/// largest of them and by their sum.
fn bounded(hits: &[(&SourceEntry, &crate::inventory::CategoryEntry)]) -> Estimate {
    let low = hits.iter().map(|(_, c)| c.distinct.low).max().unwrap_or(0);
    let est = hits
        .iter()
        .map(|(_, c)| c.distinct.estimate)
        .max()
        .unwrap_or(0);
    let high = hits.iter().map(|(_, c)| c.distinct.high).sum();
    Estimate {
        estimate: est,
        low,
        high,
    }
}

pub fn data_items(input: &Input) -> Vec<DataItemRow> {
    let inv = input.inventory;
    let flows = flows_by_source(inv, input.profile);
    let mut rows = Vec::new();
    if let Some(p) = input.profile {
        for f in &p.flows {
            let sources: Vec<&SourceEntry> = inv
                .sources
                .iter()
                .filter(|s| flows.get(&s.path).is_some_and(|v| v.contains(&f.name)))
                .collect();
            rows.extend(items_for(input, &sources, Some(f)));
        }
    }
    let rest: Vec<&SourceEntry> = inv
        .sources
        .iter()
        .filter(|s| !flows.contains_key(&s.path))
        .collect();
    rows.extend(items_for(input, &rest, None));
    rows
}
