//! What changed between two inventories (`pipl-scan diff OLD NEW`): the sources and categories
//! added, removed and changed, and the change of every headline figure — what a nightly job
//! mails to the data-protection officer, or hands to a machine as JSON.
//!
//! Sources are matched by path. A source changed when anything it reports changed: status,
//! format, size, records, its figures, its categories (detector and matches) or its fields.
//! Timestamps and the tool's own bookkeeping are not changes. Estimates are compared by their
//! point estimate; each figure also says whether the two 95 % intervals overlap, since two
//! estimates of the same population may differ by a little.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::inventory::{CategoryEntry, Count, Inventory, People, SourceEntry};

/// A figure before and after. `None`: absent from that inventory (people not linked).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Figure {
    /// JSON path of the figure in the inventory (`totals.people.people`).
    pub figure: String,
    pub old: Option<u64>,
    pub new: Option<u64>,
    /// `new - old`, when both are there.
    pub change: Option<i64>,
    /// For estimates: the 95 % intervals before and after (`[low, high]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_interval: Option<[u64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_interval: Option<[u64; 2]>,
    /// For estimates: whether the intervals overlap, i.e. the change may be the estimates'
    /// error rather than a change of the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_error: Option<bool>,
}

impl Figure {
    pub fn changed(&self) -> bool {
        self.old != self.new
    }
}

/// A source as listed among the added or removed ones.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SourceSummary {
    pub path: String,
    pub status: crate::inventory::Status,
    pub records: u64,
    pub subjects: u64,
    pub sensitive_subjects: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub people: Option<u64>,
    /// Detector ids of its categories.
    pub categories: Vec<String>,
}

/// One attribute of a source or category that changed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    pub what: String,
    pub old: Value,
    pub new: Value,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SourceChange {
    pub path: String,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CategorySummary {
    pub detector: String,
    pub name: String,
    pub sensitive: bool,
    pub matches: u64,
    pub distinct: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CategoryChange {
    pub detector: String,
    pub name: String,
    pub changes: Vec<Change>,
}

/// The whole comparison (`--format json` writes it as is).
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub schema: &'static str,
    pub old: String,
    pub new: String,
    /// Whether anything below changed (the exit code: 1 when it did).
    pub changed: bool,
    /// Every headline figure, changed or not.
    pub figures: Vec<Figure>,
    pub sources_added: Vec<SourceSummary>,
    pub sources_removed: Vec<SourceSummary>,
    pub sources_changed: Vec<SourceChange>,
    pub categories_added: Vec<CategorySummary>,
    pub categories_removed: Vec<CategorySummary>,
    pub categories_changed: Vec<CategoryChange>,
    /// Changes of the scan itself (completeness, errors, settings).
    pub scan_changes: Vec<Change>,
    /// What to keep in mind reading the figures (another key, another standard…).
    pub notes: Vec<String>,
}

pub const SCHEMA: &str = "pipl-scan/diff/v1";

fn estimate_figure(name: String, old: Option<&Count>, new: Option<&Count>) -> Figure {
    let iv = |c: Option<&Count>| c.map(|c| [c.low, c.high]);
    let (oi, ni) = (iv(old), iv(new));
    let is_estimate = |i: Option<[u64; 2]>| i.is_some_and(|[l, h]| l != h);
    let estimated = is_estimate(oi) || is_estimate(ni);
    let mut f = exact_figure(name, old.map(|c| c.estimate), new.map(|c| c.estimate));
    if estimated {
        f.old_interval = oi;
        f.new_interval = ni;
        f.within_error = match (oi, ni) {
            (Some([ol, oh]), Some([nl, nh])) => Some(ol <= nh && nl <= oh),
            _ => None,
        };
    }
    f
}

fn exact_figure(name: String, old: Option<u64>, new: Option<u64>) -> Figure {
    Figure {
        figure: name,
        old,
        new,
        change: match (old, new) {
            (Some(o), Some(n)) => Some(n as i64 - o as i64),
            _ => None,
        },
        old_interval: None,
        new_interval: None,
        within_error: None,
    }
}

/// The headline figures of both inventories, in a fixed order: people first (the figure the
/// thresholds use), then the sketches' figures, then records and files.
fn figures(old: &Inventory, new: &Inventory) -> Vec<Figure> {
    let mut out = Vec::new();
    let (o, n) = (&old.totals, &new.totals);
    let people = |p: Option<&People>, f: &dyn Fn(&People) -> Option<u64>| p.and_then(f);
    let (op, np) = (o.people.as_ref(), n.people.as_ref());
    let mut pf = |name: &str, f: &dyn Fn(&People) -> Option<u64>| {
        out.push(exact_figure(
            format!("totals.people.{name}"),
            people(op, f),
            people(np, f),
        ));
    };
    pf("people", &|p| Some(p.people));
    pf("sensitive", &|p| Some(p.sensitive));
    pf("minors", &|p| Some(p.minors));
    let standards = |f: fn(&People) -> &BTreeMap<String, u64>| -> Vec<String> {
        let mut ids: Vec<String> = op
            .into_iter()
            .chain(np)
            .flat_map(|p| f(p).keys().cloned())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    for st in standards(|p| &p.sensitive_by_standard) {
        pf(&format!("sensitive_by_standard.{st}"), &|p| {
            p.sensitive_by_standard.get(&st).copied()
        });
    }
    for st in standards(|p| &p.non_sensitive_by_standard) {
        pf(&format!("non_sensitive_by_standard.{st}"), &|p| {
            p.non_sensitive_by_standard.get(&st).copied()
        });
    }
    pf("subject_keys", &|p| Some(p.subject_keys));
    pf("resident_ids", &|p| Some(p.resident_ids));
    out.push(estimate_figure(
        "totals.subjects".into(),
        Some(&o.subjects),
        Some(&n.subjects),
    ));
    out.push(estimate_figure(
        "totals.sensitive_subjects".into(),
        Some(&o.sensitive_subjects),
        Some(&n.sensitive_subjects),
    ));
    out.push(estimate_figure(
        "totals.minor_subjects".into(),
        Some(&o.minor_subjects),
        Some(&n.minor_subjects),
    ));
    let keys = |a: &BTreeMap<String, Count>, b: &BTreeMap<String, Count>| {
        let mut k: Vec<String> = a.keys().chain(b.keys()).cloned().collect();
        k.sort();
        k.dedup();
        k
    };
    for st in keys(
        &o.sensitive_subjects_by_standard,
        &n.sensitive_subjects_by_standard,
    ) {
        out.push(estimate_figure(
            format!("totals.sensitive_subjects_by_standard.{st}"),
            o.sensitive_subjects_by_standard.get(&st),
            n.sensitive_subjects_by_standard.get(&st),
        ));
    }
    for st in keys(
        &o.non_sensitive_subjects_by_standard,
        &n.non_sensitive_subjects_by_standard,
    ) {
        out.push(estimate_figure(
            format!("totals.non_sensitive_subjects_by_standard.{st}"),
            o.non_sensitive_subjects_by_standard.get(&st),
            n.non_sensitive_subjects_by_standard.get(&st),
        ));
    }
    let mut cats: Vec<&String> = o
        .sensitive_subjects_by_category
        .keys()
        .chain(n.sensitive_subjects_by_category.keys())
        .collect();
    cats.sort();
    cats.dedup();
    let none = BTreeMap::new();
    for cat in cats {
        let a = o.sensitive_subjects_by_category.get(cat).unwrap_or(&none);
        let b = n.sensitive_subjects_by_category.get(cat).unwrap_or(&none);
        for st in keys(a, b) {
            out.push(estimate_figure(
                format!("totals.sensitive_subjects_by_category.{cat}.{st}"),
                Some(a.get(&st).unwrap_or(&ZERO)),
                Some(b.get(&st).unwrap_or(&ZERO)),
            ));
        }
    }
    for (name, a, b) in [
        ("totals.records", o.records, n.records),
        (
            "totals.unidentified_records",
            o.unidentified_records,
            n.unidentified_records,
        ),
        (
            "totals.largest_identifier_distinct",
            o.largest_identifier_distinct,
            n.largest_identifier_distinct,
        ),
        (
            "scan.files_scanned",
            old.scan.files_scanned,
            new.scan.files_scanned,
        ),
        (
            "scan.files_partial",
            old.scan.files_partial,
            new.scan.files_partial,
        ),
        (
            "scan.files_skipped",
            old.scan.files_skipped,
            new.scan.files_skipped,
        ),
        (
            "scan.files_unreadable",
            old.scan.files_unreadable,
            new.scan.files_unreadable,
        ),
        (
            "scan.bytes_scanned",
            old.scan.bytes_scanned,
            new.scan.bytes_scanned,
        ),
        (
            "scan.errors",
            old.scan.errors.len() as u64,
            new.scan.errors.len() as u64,
        ),
    ] {
        out.push(exact_figure(name.to_string(), Some(a), Some(b)));
    }
    out
}

/// A category absent under a standard counts nobody.
const ZERO: Count = Count {
    method: String::new(),
    estimate: 0,
    low: 0,
    high: 0,
    sketch: None,
};

fn summary(s: &SourceEntry) -> SourceSummary {
    SourceSummary {
        path: s.path.clone(),
        status: s.status,
        records: s.records,
        subjects: s.subjects.estimate,
        sensitive_subjects: s.sensitive_subjects.estimate,
        people: s.people.as_ref().map(|p| p.people),
        categories: s.categories.iter().map(|c| c.detector.clone()).collect(),
    }
}

fn change(out: &mut Vec<Change>, what: &str, old: Value, new: Value) {
    if old != new {
        out.push(Change {
            what: what.to_string(),
            old,
            new,
        });
    }
}

/// What differs between two versions of one source.
fn source_changes(o: &SourceEntry, n: &SourceEntry) -> Vec<Change> {
    let mut c = Vec::new();
    change(&mut c, "status", json!(o.status), json!(n.status));
    change(&mut c, "reason", json!(o.reason), json!(n.reason));
    change(&mut c, "format", json!(o.format), json!(n.format));
    change(&mut c, "bytes", json!(o.bytes), json!(n.bytes));
    change(&mut c, "records", json!(o.records), json!(n.records));
    change(
        &mut c,
        "people",
        json!(o.people.as_ref().map(|p| p.people)),
        json!(n.people.as_ref().map(|p| p.people)),
    );
    change(
        &mut c,
        "subjects",
        json!(o.subjects.estimate),
        json!(n.subjects.estimate),
    );
    change(
        &mut c,
        "sensitive_subjects",
        json!(o.sensitive_subjects.estimate),
        json!(n.sensitive_subjects.estimate),
    );
    change(
        &mut c,
        "minor_subjects",
        json!(o.minor_subjects.estimate),
        json!(n.minor_subjects.estimate),
    );
    change(
        &mut c,
        "unidentified_records",
        json!(o.unidentified_records),
        json!(n.unidentified_records),
    );
    let cats = |s: &SourceEntry| -> BTreeMap<String, u64> {
        s.categories
            .iter()
            .map(|c| (c.detector.clone(), c.matches))
            .collect()
    };
    change(&mut c, "categories", json!(cats(o)), json!(cats(n)));
    let fields = |s: &SourceEntry| -> BTreeMap<String, Vec<String>> {
        s.fields
            .iter()
            .map(|f| {
                let mut d: Vec<String> = f.categories.iter().map(|c| c.detector.clone()).collect();
                d.extend(f.classified_as.iter().map(|c| format!("column:{c}")));
                (f.name.clone(), d)
            })
            .collect()
    };
    change(&mut c, "fields", json!(fields(o)), json!(fields(n)));
    c
}

fn category_summary(c: &CategoryEntry) -> CategorySummary {
    CategorySummary {
        detector: c.detector.clone(),
        name: c.name.clone(),
        sensitive: c.sensitive,
        matches: c.matches,
        distinct: c.distinct.estimate,
    }
}

fn category_changes(o: &CategoryEntry, n: &CategoryEntry) -> Vec<Change> {
    let mut c = Vec::new();
    change(&mut c, "matches", json!(o.matches), json!(n.matches));
    change(
        &mut c,
        "distinct",
        json!(o.distinct.estimate),
        json!(n.distinct.estimate),
    );
    change(&mut c, "sensitive", json!(o.sensitive), json!(n.sensitive));
    change(
        &mut c,
        "sensitive_by_standard",
        json!(o.sensitive_by_standard),
        json!(n.sensitive_by_standard),
    );
    c
}

/// Compares `old` with `new` (named as given on the command line).
pub fn diff(old_name: &str, old: &Inventory, new_name: &str, new: &Inventory) -> Diff {
    let figures = figures(old, new);
    let by_path = |inv: &'_ Inventory| -> BTreeMap<String, usize> {
        inv.sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.path.clone(), i))
            .collect()
    };
    let (op, np) = (by_path(old), by_path(new));
    let mut sources_added = Vec::new();
    let mut sources_removed = Vec::new();
    let mut sources_changed = Vec::new();
    for (path, &i) in &np {
        match op.get(path) {
            None => sources_added.push(summary(&new.sources[i])),
            Some(&j) => {
                let changes = source_changes(&old.sources[j], &new.sources[i]);
                if !changes.is_empty() {
                    sources_changed.push(SourceChange {
                        path: path.clone(),
                        changes,
                    });
                }
            }
        }
    }
    for (path, &j) in &op {
        if !np.contains_key(path) {
            sources_removed.push(summary(&old.sources[j]));
        }
    }
    let by_det = |inv: &'_ Inventory| -> BTreeMap<String, usize> {
        inv.totals
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.detector.clone(), i))
            .collect()
    };
    let (oc, nc) = (by_det(old), by_det(new));
    let mut categories_added = Vec::new();
    let mut categories_removed = Vec::new();
    let mut categories_changed = Vec::new();
    for (d, &i) in &nc {
        let n = &new.totals.categories[i];
        match oc.get(d) {
            None => categories_added.push(category_summary(n)),
            Some(&j) => {
                let changes = category_changes(&old.totals.categories[j], n);
                if !changes.is_empty() {
                    categories_changed.push(CategoryChange {
                        detector: d.clone(),
                        name: n.name.clone(),
                        changes,
                    });
                }
            }
        }
    }
    for (d, &j) in &oc {
        if !nc.contains_key(d) {
            categories_removed.push(category_summary(&old.totals.categories[j]));
        }
    }
    let mut scan_changes = Vec::new();
    let (os, ns) = (&old.scan, &new.scan);
    change(
        &mut scan_changes,
        "complete",
        json!(os.complete),
        json!(ns.complete),
    );
    change(&mut scan_changes, "roots", json!(os.roots), json!(ns.roots));
    change(
        &mut scan_changes,
        "sensitivity",
        json!(os.sensitivity),
        json!(ns.sensitivity),
    );
    change(
        &mut scan_changes,
        "reference_date",
        json!(os.reference_date),
        json!(ns.reference_date),
    );
    change(
        &mut scan_changes,
        "sketch.key_id",
        json!(os.sketch.key_id),
        json!(ns.sketch.key_id),
    );
    change(
        &mut scan_changes,
        "sketch.lg_k",
        json!(os.sketch.lg_k),
        json!(ns.sketch.lg_k),
    );
    change(
        &mut scan_changes,
        "options",
        json!(os.options),
        json!(ns.options),
    );
    let mut notes = Vec::new();
    if os.sketch.key_id != ns.sketch.key_id {
        notes.push(
            "the inventories were made with different sketch keys: their estimates are of the same kind but their sketches cannot be merged".to_string(),
        );
    }
    if os.sensitivity != ns.sensitivity {
        notes.push(format!(
            "the headline sensitive figures follow different standards ({} then {}); compare the *_by_standard figures",
            os.sensitivity, ns.sensitivity
        ));
    }
    if old.totals.people.is_some() != new.totals.people.is_some() {
        notes.push(
            "people were linked in only one of the two scans: compare subjects instead".to_string(),
        );
    }
    let changed = figures.iter().any(Figure::changed)
        || !sources_added.is_empty()
        || !sources_removed.is_empty()
        || !sources_changed.is_empty()
        || !categories_added.is_empty()
        || !categories_removed.is_empty()
        || !categories_changed.is_empty()
        || !scan_changes.is_empty();
    Diff {
        schema: SCHEMA,
        old: old_name.to_string(),
        new: new_name.to_string(),
        changed,
        figures,
        sources_added,
        sources_removed,
        sources_changed,
        categories_added,
        categories_removed,
        categories_changed,
        scan_changes,
        notes,
    }
}

/// The figures a person reads first, always shown in the text form (changed or not).
const HEADLINE: &[(&str, &str)] = &[
    ("totals.people.people", "people"),
    ("totals.people.sensitive", "people with sensitive PI"),
    ("totals.people.minors", "people under 14"),
    ("totals.subjects", "subjects (distinct keys)"),
    ("totals.sensitive_subjects", "sensitive subjects"),
    ("totals.minor_subjects", "minor subjects"),
    ("totals.records", "records"),
    ("scan.files_scanned", "files scanned"),
    ("scan.errors", "errors"),
];

fn text_value(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n
            .as_u64()
            .map(crate::report::thousands)
            .unwrap_or_else(|| n.to_string()),
        Value::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| match v {
                    Value::Number(_) => format!("{k} {}", text_value(v)),
                    _ => k.clone(),
                })
                .collect();
            if parts.is_empty() {
                "none".into()
            } else {
                parts.join(", ")
            }
        }
        other => other.to_string(),
    }
}

fn text_change(c: &Change) -> String {
    match (&c.old, &c.new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut parts = Vec::new();
            for (k, v) in b {
                match a.get(k) {
                    None => parts.push(format!("+{k}")),
                    Some(w) if w != v => {
                        parts.push(format!("{k} {} → {}", text_value(w), text_value(v)))
                    }
                    Some(_) => {}
                }
            }
            for k in a.keys() {
                if !b.contains_key(k) {
                    parts.push(format!("-{k}"));
                }
            }
            format!("{}: {}", c.what, parts.join(", "))
        }
        (a, b) => format!("{} {} → {}", c.what, text_value(a), text_value(b)),
    }
}

fn signed(n: i64) -> String {
    if n >= 0 {
        format!("+{}", crate::report::thousands(n as u64))
    } else {
        format!("-{}", crate::report::thousands(n.unsigned_abs()))
    }
}

fn text_figure(f: &Figure, label: &str, width: usize) -> String {
    let v = |x: Option<u64>| x.map_or("—".to_string(), crate::report::thousands);
    let mut s = format!("  {label:<width$} {:>10} → {:<10}", v(f.old), v(f.new));
    match f.change {
        Some(0) => s.push_str(" (unchanged)"),
        Some(d) => s.push_str(&format!(" ({})", signed(d))),
        None if f.changed() => s.push_str(" (changed)"),
        None => {}
    }
    if f.within_error == Some(true) && f.changed() {
        s.push_str(" within the estimates' error");
    }
    s.trim_end().to_string()
}

/// The text a person reads (a nightly mail), listing at most `limit` items per list.
pub fn render_text(d: &Diff, limit: usize) -> String {
    let mut o = String::new();
    let line = |o: &mut String, s: String| {
        o.push_str(&s);
        o.push('\n');
    };
    line(&mut o, format!("pipl-scan diff: {} → {}", d.old, d.new));
    if !d.changed {
        line(&mut o, "  no change".into());
    }
    line(&mut o, "Headline figures:".into());
    for (name, label) in HEADLINE {
        if let Some(f) = d.figures.iter().find(|f| f.figure == *name)
            && (f.old.is_some() || f.new.is_some())
        {
            line(&mut o, text_figure(f, label, 26));
        }
    }
    let other: Vec<&Figure> = d
        .figures
        .iter()
        .filter(|f| f.changed() && !HEADLINE.iter().any(|(n, _)| *n == f.figure))
        .collect();
    if !other.is_empty() {
        line(&mut o, "Other figures that changed:".into());
        let label = |f: &Figure| {
            f.figure
                .strip_prefix("totals.")
                .unwrap_or(&f.figure)
                .to_string()
        };
        let width = other.iter().map(|f| label(f).chars().count()).max();
        for f in &other {
            line(&mut o, text_figure(f, &label(f), width.unwrap_or(0)));
        }
    }
    let more = |o: &mut String, n: usize| {
        if n > limit {
            o.push_str(&format!(
                "    … and {} more (all of them with --format json)\n",
                n - limit
            ));
        }
    };
    line(
        &mut o,
        format!(
            "Sources: {} added, {} removed, {} changed",
            d.sources_added.len(),
            d.sources_removed.len(),
            d.sources_changed.len()
        ),
    );
    let src = |s: &SourceSummary| {
        format!(
            "{} ({} records, {} subjects, {} sensitive{}{})",
            s.path,
            crate::report::thousands(s.records),
            crate::report::thousands(s.subjects),
            crate::report::thousands(s.sensitive_subjects),
            if s.categories.is_empty() {
                String::new()
            } else {
                format!("; {}", s.categories.join(", "))
            },
            match s.status {
                crate::inventory::Status::Scanned => String::new(),
                st => format!("; {}", json!(st).as_str().unwrap_or_default()),
            }
        )
    };
    for s in d.sources_added.iter().take(limit) {
        line(&mut o, format!("  + {}", src(s)));
    }
    more(&mut o, d.sources_added.len());
    for s in d.sources_removed.iter().take(limit) {
        line(&mut o, format!("  - {}", src(s)));
    }
    more(&mut o, d.sources_removed.len());
    for s in d.sources_changed.iter().take(limit) {
        let what: Vec<String> = s.changes.iter().map(text_change).collect();
        line(&mut o, format!("  ~ {}: {}", s.path, what.join("; ")));
    }
    more(&mut o, d.sources_changed.len());
    line(
        &mut o,
        format!(
            "Categories: {} added, {} removed, {} changed",
            d.categories_added.len(),
            d.categories_removed.len(),
            d.categories_changed.len()
        ),
    );
    let cat = |c: &CategorySummary| {
        format!(
            "{} — {} ({} matches, {} distinct){}",
            c.detector,
            c.name,
            crate::report::thousands(c.matches),
            crate::report::thousands(c.distinct),
            if c.sensitive { " [sensitive]" } else { "" }
        )
    };
    for c in &d.categories_added {
        line(&mut o, format!("  + {}", cat(c)));
    }
    for c in &d.categories_removed {
        line(&mut o, format!("  - {}", cat(c)));
    }
    for c in &d.categories_changed {
        let what: Vec<String> = c.changes.iter().map(text_change).collect();
        line(&mut o, format!("  ~ {}: {}", c.detector, what.join("; ")));
    }
    if !d.scan_changes.is_empty() {
        line(&mut o, "Scan:".into());
        for c in &d.scan_changes {
            line(&mut o, format!("  ~ {}", text_change(c)));
        }
    }
    for n in &d.notes {
        line(&mut o, format!("Note: {n}"));
    }
    o
}
