//! The auditor's check: a declaration (what a company says it holds and transfers) against an
//! inventory (what is in the data).
//!
//! A declaration (`declared.toml`, `deny_unknown_fields`) lists PI categories (by detector id)
//! with subject volumes, the sources that hold PI (globs), the flows with their volumes, and
//! optionally total volumes. [`verify`] reports, each with evidence (source, field, detector,
//! masked samples):
//!
//! * **undeclared categories** found in the data;
//! * **undeclared sources** that hold PI;
//! * **understated volumes**: a declared number of people below the 95 % *low* bound of the
//!   estimate — a figure inside the interval is not a discrepancy, since the estimate cannot
//!   tell it from the truth;
//! * **declared but absent** categories, sources and flows.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::figures::SubjectSketches;
use super::profile::SourceMatcher;
use crate::detect::Standard;
use crate::inventory::{Inventory, SourceEntry};
use crate::sketch::Estimate;

/// Evidence items kept per discrepancy.
const MAX_EVIDENCE: usize = 5;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    #[serde(default)]
    pub organisation: Option<String>,
    /// The standard the declared sensitive volumes use; default: the inventory's.
    #[serde(default)]
    pub sensitivity: Option<String>,
    #[serde(default)]
    pub totals: Option<DeclaredTotals>,
    #[serde(default, rename = "category")]
    pub categories: Vec<DeclaredCategory>,
    #[serde(default, rename = "source")]
    pub sources: Vec<DeclaredSource>,
    #[serde(default, rename = "flow")]
    pub flows: Vec<DeclaredFlow>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredTotals {
    #[serde(default)]
    pub subjects: Option<u64>,
    #[serde(default)]
    pub sensitive_subjects: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredCategory {
    /// A detector id (`cn-resident-id`, `cn-mobile` …; `pipl-scan detectors list`).
    pub detector: String,
    /// Declared number of distinct values (≈ people) of this category.
    #[serde(default)]
    pub subjects: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredSource {
    /// A glob over inventory source paths (also matched relative to the scan roots).
    pub path: String,
    #[serde(default)]
    pub subjects: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredFlow {
    pub name: String,
    pub sources: Vec<String>,
    #[serde(default)]
    pub subjects: Option<u64>,
    #[serde(default)]
    pub sensitive_subjects: Option<u64>,
}

impl Declaration {
    pub fn load(path: &Path) -> Result<Declaration> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading declaration {}", path.display()))?;
        let d: Declaration =
            toml::from_str(&text).with_context(|| format!("declaration {}", path.display()))?;
        if let Some(s) = &d.sensitivity
            && Standard::from_id(s).is_none()
        {
            anyhow::bail!(
                "declaration {}: `sensitivity = \"{s}\"` is not gbt45574-2025 or gbt35273-2020",
                path.display()
            );
        }
        Ok(d)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    UndeclaredCategory,
    UndeclaredSource,
    UnderstatedVolume,
    DeclaredButAbsent,
}

impl Kind {
    pub fn id(self) -> &'static str {
        match self {
            Kind::UndeclaredCategory => "undeclared-category",
            Kind::UndeclaredSource => "undeclared-source",
            Kind::UnderstatedVolume => "understated-volume",
            Kind::DeclaredButAbsent => "declared-but-absent",
        }
    }
}

/// Where in the data a discrepancy shows.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub source: String,
    pub field: String,
    pub detector: String,
    pub matches: u64,
    /// Masked samples, as the inventory holds them.
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Discrepancy {
    pub kind: Kind,
    /// What it is about: `category cn-resident-id`, `source a/b.csv`, `flow crm`, `totals`.
    pub item: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<Estimate>,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub schema: &'static str,
    pub organisation: Option<String>,
    pub inventory_roots: Vec<String>,
    pub sensitivity: String,
    /// How many declared items were checked.
    pub checked: usize,
    pub discrepancies: Vec<Discrepancy>,
    /// Why the inventory was not trusted (altered or inconsistent, or its signature failed):
    /// the declaration was then not checked at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
    /// The signature that was verified, when one was: the signer's key fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
}

/// An inventory `verify` and `assess` will not use.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    /// `inventory altered or inconsistent`, or the signature's failure.
    pub summary: String,
    pub mismatches: Vec<super::integrity::Mismatch>,
    /// [`super::exit::INVENTORY_INCONSISTENT`] or [`super::exit::SIGNATURE_INVALID`].
    pub exit_code: u8,
}

impl Verification {
    pub fn exit_code(&self) -> u8 {
        match &self.refused {
            Some(r) => r.exit_code,
            None if self.discrepancies.is_empty() => 0,
            None => 1,
        }
    }

    /// The verification of an inventory that was refused: nothing declared is checked.
    pub fn refused(inv: &Inventory, decl: &Declaration, r: Refusal) -> Verification {
        Verification {
            schema: "pipl-scan/verification/v1",
            organisation: decl.organisation.clone(),
            inventory_roots: inv.scan.roots.clone(),
            sensitivity: inv.scan.sensitivity.clone(),
            checked: 0,
            discrepancies: Vec::new(),
            refused: Some(r),
            signed_by: None,
        }
    }
}

/// Evidence for `detector` (or any detector) in the sources `keep` accepts.
fn evidence(inv: &Inventory, detector: Option<&str>, keep: impl Fn(&str) -> bool) -> Vec<Evidence> {
    evidence_of(inv.sources.iter().filter(|s| keep(&s.path)), detector)
}

/// [`evidence`] from the given sources: for one source, without a pass over all of them (a
/// pass per undeclared source was quadratic: 110 s on 100,000 sources).
fn evidence_of<'a>(
    sources: impl Iterator<Item = &'a SourceEntry>,
    detector: Option<&str>,
) -> Vec<Evidence> {
    let mut out = Vec::new();
    for s in sources {
        for f in &s.fields {
            for c in &f.categories {
                if detector.is_none_or(|d| d == c.detector) {
                    out.push(Evidence {
                        source: s.path.clone(),
                        field: f.name.clone(),
                        detector: c.detector.clone(),
                        matches: c.matches,
                        samples: c.samples.clone(),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| b.matches.cmp(&a.matches).then(a.source.cmp(&b.source)));
    out.truncate(MAX_EVIDENCE);
    out
}

/// `31 (exact)` or `9,950 (95%: 9,800–10,100)`.
fn found_text(e: Estimate) -> String {
    if e.low == e.high {
        format!("{} (exact)", e.estimate)
    } else {
        format!("{} (95%: {}–{})", e.estimate, e.low, e.high)
    }
}

fn understated(declared: Option<u64>, found: Estimate) -> Option<u64> {
    declared.filter(|d| *d < found.low)
}

/// Checks `decl` against `inv`.
pub fn verify(inv: &Inventory, decl: &Declaration) -> Result<Verification> {
    let st = decl
        .sensitivity
        .as_deref()
        .and_then(Standard::from_id)
        .or_else(|| Standard::from_id(&inv.scan.sensitivity))
        .unwrap_or(Standard::Gbt45574_2025);
    let roots = &inv.scan.roots;
    let mut out = Vec::new();
    let mut checked = 0;

    // Categories.
    let declared_cats: BTreeMap<&str, &DeclaredCategory> = decl
        .categories
        .iter()
        .map(|c| (c.detector.as_str(), c))
        .collect();
    for c in &inv.totals.categories {
        match declared_cats.get(c.detector.as_str()) {
            None => out.push(Discrepancy {
                kind: Kind::UndeclaredCategory,
                item: format!("category {}", c.detector),
                message: format!(
                    "{} ({}) found: {} matches, ~{} distinct values{}; not declared",
                    c.name,
                    c.name_zh,
                    c.matches,
                    c.distinct.estimate,
                    if c.sensitive { ", sensitive" } else { "" }
                ),
                declared: None,
                found: Some(c.distinct),
                evidence: evidence(inv, Some(&c.detector), |_| true),
            }),
            Some(d) => {
                if let Some(v) = understated(d.subjects, c.distinct) {
                    out.push(Discrepancy {
                        kind: Kind::UnderstatedVolume,
                        item: format!("category {}", c.detector),
                        message: format!(
                            "declared {v}, found {}: understated beyond the estimate's bounds",
                            found_text(c.distinct)
                        ),
                        declared: Some(v),
                        found: Some(c.distinct),
                        evidence: evidence(inv, Some(&c.detector), |_| true),
                    });
                }
            }
        }
    }
    for d in &decl.categories {
        checked += 1;
        if !inv
            .totals
            .categories
            .iter()
            .any(|c| c.detector == d.detector)
        {
            out.push(Discrepancy {
                kind: Kind::DeclaredButAbsent,
                item: format!("category {}", d.detector),
                message: "declared, but no value of this category was found in the data".into(),
                declared: d.subjects,
                found: None,
                evidence: Vec::new(),
            });
        }
    }

    // Sources.
    let matchers: Vec<(&DeclaredSource, SourceMatcher)> = decl
        .sources
        .iter()
        .map(|s| {
            SourceMatcher::new(std::slice::from_ref(&s.path))
                .map(|m| (s, m))
                .with_context(|| format!("declared source `{}`", s.path))
        })
        .collect::<Result<_>>()?;
    for s in inv.sources.iter().filter(|s| !s.categories.is_empty()) {
        if !matchers.iter().any(|(_, m)| m.matches(&s.path, roots)) {
            out.push(Discrepancy {
                kind: Kind::UndeclaredSource,
                item: format!("source {}", s.path),
                message: format!(
                    "holds PI of ~{} people ({} categories); not declared",
                    s.subjects.estimate,
                    s.categories.len()
                ),
                declared: None,
                found: Some(Estimate {
                    estimate: s.subjects.estimate,
                    low: s.subjects.low,
                    high: s.subjects.high,
                }),
                evidence: evidence_of(std::iter::once(s), None),
            });
        }
    }
    for (d, m) in &matchers {
        checked += 1;
        let mut sk = SubjectSketches::empty();
        let mut any = false;
        for s in inv.sources.iter().filter(|s| m.matches(&s.path, roots)) {
            if !s.categories.is_empty() {
                any = true;
            }
            sk.merge(&SubjectSketches::of_source(inv, s)?)?;
        }
        if !any {
            out.push(Discrepancy {
                kind: Kind::DeclaredButAbsent,
                item: format!("source {}", d.path),
                message: "declared, but no scanned source matching it holds PI".into(),
                declared: d.subjects,
                found: None,
                evidence: Vec::new(),
            });
            continue;
        }
        let found = sk.figures().subjects;
        if let Some(v) = understated(d.subjects, found) {
            out.push(Discrepancy {
                kind: Kind::UnderstatedVolume,
                item: format!("source {}", d.path),
                message: format!("declared {v} people, found {}", found_text(found)),
                declared: Some(v),
                found: Some(found),
                evidence: evidence(inv, None, |p| m.matches(p, roots)),
            });
        }
    }

    // Flows.
    for f in &decl.flows {
        checked += 1;
        let m = SourceMatcher::new(&f.sources)
            .with_context(|| format!("declared flow `{}`", f.name))?;
        let mut sk = SubjectSketches::empty();
        let mut any = false;
        for s in inv.sources.iter().filter(|s| m.matches(&s.path, roots)) {
            any |= !s.categories.is_empty();
            sk.merge(&SubjectSketches::of_source(inv, s)?)?;
        }
        if !any {
            out.push(Discrepancy {
                kind: Kind::DeclaredButAbsent,
                item: format!("flow {}", f.name),
                message: "declared, but none of its sources was found holding PI".into(),
                declared: f.subjects,
                found: None,
                evidence: Vec::new(),
            });
            continue;
        }
        let fig = sk.figures();
        let sens = fig.sensitive(st);
        for (what, declared, found) in [
            ("people", f.subjects, fig.subjects),
            ("people with sensitive PI", f.sensitive_subjects, sens),
        ] {
            if let Some(v) = understated(declared, found) {
                out.push(Discrepancy {
                    kind: Kind::UnderstatedVolume,
                    item: format!("flow {}", f.name),
                    message: format!("declared {v} {what}, found {}", found_text(found)),
                    declared: Some(v),
                    found: Some(found),
                    evidence: evidence(inv, None, |p| m.matches(p, roots)),
                });
            }
        }
    }

    // Totals.
    if let Some(t) = &decl.totals {
        checked += 1;
        let to_est = |c: &crate::inventory::Count| Estimate {
            estimate: c.estimate,
            low: c.low,
            high: c.high,
        };
        let subjects = to_est(&inv.totals.subjects);
        let sens = inv
            .totals
            .sensitive_subjects_by_standard
            .get(st.id())
            .map(to_est)
            .unwrap_or(super::figures::ZERO);
        for (what, declared, found) in [
            ("people", t.subjects, subjects),
            ("people with sensitive PI", t.sensitive_subjects, sens),
        ] {
            if let Some(v) = understated(declared, found) {
                out.push(Discrepancy {
                    kind: Kind::UnderstatedVolume,
                    item: "totals".into(),
                    message: format!("declared {v} {what}, found {}", found_text(found)),
                    declared: Some(v),
                    found: Some(found),
                    evidence: Vec::new(),
                });
            }
        }
    }

    out.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.item.cmp(&b.item)));
    Ok(Verification {
        schema: "pipl-scan/verification/v1",
        organisation: decl.organisation.clone(),
        inventory_roots: roots.clone(),
        sensitivity: st.id().to_string(),
        checked,
        discrepancies: out,
        refused: None,
        signed_by: None,
    })
}
