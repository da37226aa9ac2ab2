//! The inventory's internal consistency, checked by `verify` and `assess` before anything else,
//! whatever the key: an inventory whose figures were edited, whose sketches were swapped or
//! whose findings were deleted no longer agrees with itself, and every disagreement is named.
//!
//! * every headline figure (`estimate`, `low`, `high` of a count) is what its own sketch says,
//!   and a non-zero figure has a sketch; so is every figure of the totals' categories and
//!   sensitive categories that carries a sketch (for `merge`);
//! * `sensitive_subjects` is the `sensitive_subjects_by_standard` figure of the scan's standard;
//! * each sketch of the totals is the union of the sources' sketches (sketch images are
//!   canonical: the union of the parts is byte for byte the sketch of the whole);
//! * the people figures agree with the links file, whose SHA-256 the inventory records;
//! * a source's categories agree with its fields (detectors and matches), the totals'
//!   categories with the sources', records with records; a source with subjects holds an
//!   identifier category.
//!
//! A consistent inventory can still have been rewritten whole (a scan of other data): only a
//! signature ([`crate::sign`]) shows who wrote it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::detect::Standard;
use crate::inventory::{Count, Inventory, People, SourceEntry};
use crate::link::Graph;
use crate::sketch::Sketch;

/// One disagreement: the figure (a JSON path into the inventory) and what is wrong with it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mismatch {
    pub figure: String,
    pub message: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.figure, self.message)
    }
}

/// What the reports say when the check fails.
pub const ALTERED: &str = "inventory altered or inconsistent";
pub const ALTERED_ZH: &str = "数据清单已被改动或前后不一致";

/// Mismatches listed in full; the rest are counted.
const MAX_LISTED: usize = 50;

struct Checker<'a> {
    inv: &'a Inventory,
    out: Vec<Mismatch>,
}

impl Checker<'_> {
    fn fail(&mut self, figure: impl Into<String>, message: impl Into<String>) {
        self.out.push(Mismatch {
            figure: figure.into(),
            message: message.into(),
        });
    }

    /// Reads the sketch of `c` (empty when it has none), checking the figure against it.
    fn count(&mut self, figure: &str, c: &Count) -> Option<Sketch> {
        let Some(b64) = &c.sketch else {
            if c.estimate != 0 || c.low != 0 || c.high != 0 {
                self.fail(figure, format!("says {} but carries no sketch", c.estimate));
                return None;
            }
            return Some(empty());
        };
        let s = match Sketch::from_base64(b64) {
            Ok(s) => s,
            Err(e) => {
                self.fail(format!("{figure}.sketch"), format!("unreadable: {e}"));
                return None;
            }
        };
        let e = s.estimate();
        if (e.estimate, e.low, e.high) != (c.estimate, c.low, c.high) {
            self.fail(
                figure,
                format!(
                    "says {} (95%: {}–{}) but its sketch counts {} (95%: {}–{})",
                    c.estimate, c.low, c.high, e.estimate, e.low, e.high
                ),
            );
        }
        Some(s)
    }

    /// The counts of one group (a source or the totals), by name, with their sketches.
    fn group(
        &mut self,
        at: &str,
        subjects: &Count,
        sensitive: &Count,
        by_standard: &BTreeMap<String, Count>,
        non_sensitive: &BTreeMap<String, Count>,
        minors: &Count,
    ) -> BTreeMap<String, Option<Sketch>> {
        let mut out = BTreeMap::new();
        out.insert(
            "subjects".to_string(),
            self.count(&format!("{at}.subjects"), subjects),
        );
        out.insert(
            "minor_subjects".to_string(),
            self.count(&format!("{at}.minor_subjects"), minors),
        );
        for st in Standard::ALL {
            let name = format!("sensitive_subjects_by_standard.{}", st.id());
            match by_standard.get(st.id()) {
                Some(c) => {
                    let s = self.count(&format!("{at}.{name}"), c);
                    out.insert(name, s);
                }
                None => self.fail(format!("{at}.{name}"), "missing"),
            }
            if !non_sensitive.is_empty() {
                let name = format!("non_sensitive_subjects_by_standard.{}", st.id());
                match non_sensitive.get(st.id()) {
                    Some(c) => {
                        let s = self.count(&format!("{at}.{name}"), c);
                        out.insert(name, s);
                    }
                    None => self.fail(format!("{at}.{name}"), "missing"),
                }
            }
        }
        let chosen = &self.inv.scan.sensitivity;
        match by_standard.get(chosen) {
            Some(c) if c.estimate == sensitive.estimate && c.sketch == sensitive.sketch => {}
            Some(c) => self.fail(
                format!("{at}.sensitive_subjects"),
                format!(
                    "says {} but the figure under the scan's standard {chosen} is {}",
                    sensitive.estimate, c.estimate
                ),
            ),
            None => self.fail(
                format!("{at}.sensitive_subjects"),
                format!("the scan's standard `{chosen}` has no figure"),
            ),
        }
        out
    }

    fn source_categories(&mut self, i: usize, s: &SourceEntry) {
        let at = format!("sources[{i}] ({})", s.path);
        let mut from_fields: BTreeMap<&str, (u64, [u64; 3])> = BTreeMap::new();
        for f in &s.fields {
            for c in &f.categories {
                let e = from_fields.entry(c.detector.as_str()).or_default();
                e.0 += c.matches;
                e.1[0] += c.confidence.low;
                e.1[1] += c.confidence.medium;
                e.1[2] += c.confidence.high;
            }
        }
        for c in &s.categories {
            match from_fields.remove(c.detector.as_str()) {
                None => self.fail(
                    format!("{at}.categories.{}", c.detector),
                    "no field holds this category",
                ),
                Some((m, conf)) => {
                    if m != c.matches {
                        self.fail(
                            format!("{at}.categories.{}.matches", c.detector),
                            format!("says {} but its fields' matches add up to {m}", c.matches),
                        );
                    }
                    let own = [c.confidence.low, c.confidence.medium, c.confidence.high];
                    if own != conf {
                        self.fail(
                            format!("{at}.categories.{}.confidence", c.detector),
                            format!("says {own:?} but its fields' add up to {conf:?}"),
                        );
                    }
                }
            }
            if c.sensitive_by_standard.get(&self.inv.scan.sensitivity) != Some(&c.sensitive) {
                self.fail(
                    format!("{at}.categories.{}.sensitive", c.detector),
                    "disagrees with sensitive_by_standard under the scan's standard",
                );
            }
        }
        for (d, (m, _)) in from_fields {
            self.fail(
                format!("{at}.categories"),
                format!("a field holds {m} matches of `{d}`, which the source's categories omit"),
            );
        }
        if s.subjects.estimate > 0 && !s.categories.iter().any(|c| c.identifier) {
            self.fail(
                format!("{at}.subjects"),
                format!(
                    "counts {} subjects but the source lists no identifier category (findings deleted?)",
                    s.subjects.estimate
                ),
            );
        }
    }

    fn totals_categories(&mut self) {
        let inv = self.inv;
        let mut sum: BTreeMap<&str, u64> = BTreeMap::new();
        for s in &inv.sources {
            for c in &s.categories {
                *sum.entry(c.detector.as_str()).or_default() += c.matches;
            }
        }
        for c in &inv.totals.categories {
            if c.sketch.is_some() {
                let as_count = Count {
                    method: String::new(),
                    estimate: c.distinct.estimate,
                    low: c.distinct.low,
                    high: c.distinct.high,
                    sketch: c.sketch.clone(),
                };
                self.count(
                    &format!("totals.categories.{}.distinct", c.detector),
                    &as_count,
                );
            }
            match sum.remove(c.detector.as_str()) {
                None => self.fail(
                    format!("totals.categories.{}", c.detector),
                    "no source holds this category",
                ),
                Some(m) if m != c.matches => self.fail(
                    format!("totals.categories.{}.matches", c.detector),
                    format!("says {} but the sources' add up to {m}", c.matches),
                ),
                Some(_) => {}
            }
        }
        for (d, m) in sum {
            self.fail(
                "totals.categories",
                format!("the sources hold {m} matches of `{d}`, which the totals omit"),
            );
        }
        let largest = inv
            .totals
            .categories
            .iter()
            .filter(|c| c.identifier)
            .map(|c| c.distinct.estimate)
            .max()
            .unwrap_or(0);
        if largest != inv.totals.largest_identifier_distinct {
            self.fail(
                "totals.largest_identifier_distinct",
                format!(
                    "says {} but the largest identifier category counts {largest}",
                    inv.totals.largest_identifier_distinct
                ),
            );
        }
        let records: u64 = inv.sources.iter().map(|s| s.records).sum();
        if records != inv.totals.records {
            self.fail(
                "totals.records",
                format!(
                    "says {} but the sources add up to {records}",
                    inv.totals.records
                ),
            );
        }
        let unid: u64 = inv.sources.iter().map(|s| s.unidentified_records).sum();
        if unid != inv.totals.unidentified_records {
            self.fail(
                "totals.unidentified_records",
                format!(
                    "says {} but the sources add up to {unid}",
                    inv.totals.unidentified_records
                ),
            );
        }
    }

    fn people(&mut self, at: &str, recorded: Option<&People>, graph: Option<Graph>) {
        let (Some(p), Some(g)) = (recorded, graph) else {
            return;
        };
        let c = g.count();
        let mut want: Vec<(&str, u64, u64)> = vec![
            ("people", p.people, c.people),
            ("minors", p.minors, c.minors),
            ("subject_keys", p.subject_keys, c.keys),
            ("identifiers", p.identifiers, c.identifiers),
            ("links", p.links, c.links),
        ];
        for st in Standard::ALL {
            if let Some(v) = p.sensitive_by_standard.get(st.id()) {
                want.push(("sensitive_by_standard", *v, c.sensitive[st.index()]));
            }
            if let Some(v) = p.non_sensitive_by_standard.get(st.id()) {
                want.push(("non_sensitive_by_standard", *v, c.non_sensitive[st.index()]));
            }
        }
        for (name, said, counted) in want {
            if said != counted {
                self.fail(
                    format!("{at}.people.{name}"),
                    format!("says {said} but the links file counts {counted}"),
                );
            }
        }
    }
}

/// An empty union accumulator: at the largest precision, so that a union takes the precision
/// of what it merges (as [`crate::assess::figures::SubjectSketches::empty`] does).
fn empty() -> Sketch {
    Sketch::with_lg_k(crate::sketch::MAX_LG_K).unwrap_or_default()
}

/// Checks `inv`, read from `path` (its links file is beside it). Returns every mismatch, the
/// first [`MAX_LISTED`] in full and one line counting the rest.
pub fn check(inv: &Inventory, path: &Path) -> Vec<Mismatch> {
    let mut k = Checker {
        inv,
        out: Vec::new(),
    };
    // Figures against their sketches, per source, and the union of the sources'.
    let mut unions: BTreeMap<String, Sketch> = BTreeMap::new();
    for (i, s) in inv.sources.iter().enumerate() {
        let at = format!("sources[{i}] ({})", s.path);
        let sk = k.group(
            &at,
            &s.subjects,
            &s.sensitive_subjects,
            &s.sensitive_subjects_by_standard,
            &s.non_sensitive_subjects_by_standard,
            &s.minor_subjects,
        );
        for (name, sketch) in sk {
            if let Some(sketch) = sketch {
                let u = unions.entry(name).or_insert_with(empty);
                u.merge(&sketch);
            }
        }
        k.source_categories(i, s);
    }
    let t = &inv.totals;
    let totals = k.group(
        "totals",
        &t.subjects,
        &t.sensitive_subjects,
        &t.sensitive_subjects_by_standard,
        &t.non_sensitive_subjects_by_standard,
        &t.minor_subjects,
    );
    for (name, sketch) in &totals {
        let Some(sketch) = sketch else { continue };
        let union = unions.get(name).cloned().unwrap_or_else(empty);
        if union.to_bytes() != sketch.to_bytes() {
            k.fail(
                format!("totals.{name}"),
                format!(
                    "its sketch ({}) is not the union of the sources' sketches ({})",
                    sketch.estimate().estimate,
                    union.estimate().estimate
                ),
            );
        }
    }
    k.totals_categories();
    for (cat, per) in &t.sensitive_subjects_by_category {
        for (st, c) in per.iter().filter(|(_, c)| c.sketch.is_some()) {
            k.count(
                &format!("totals.sensitive_subjects_by_category.{cat}.{st}"),
                c,
            );
        }
    }

    // Images of identity documents, faces and fingerprints: the totals count the sources'.
    let images = crate::inventory::sensitive_images_by_category(&inv.sources);
    if images != t.sensitive_images_by_category {
        k.fail(
            "totals.sensitive_images_by_category",
            format!(
                "says {:?} but the sources name {:?}",
                t.sensitive_images_by_category, images
            ),
        );
    }
    // The sources file against its hash and count (read with the inventory, which checks
    // both; checked again here because the file may have changed since).
    if let Some(r) = &inv.scan.sources {
        let dir = path.parent().unwrap_or(Path::new("."));
        match sha256_file(&dir.join(&r.file)) {
            Ok(got) if got == r.sha256 => {}
            Ok(got) => k.fail(
                "scan.sources.sha256",
                format!("says {} but {} hashes to {got}", r.sha256, r.file),
            ),
            Err(e) => k.fail("scan.sources", format!("{}: {e}", r.file)),
        }
        if r.count != inv.sources.len() as u64 {
            k.fail(
                "scan.sources.count",
                format!(
                    "says {} but {} sources were read",
                    r.count,
                    inv.sources.len()
                ),
            );
        }
    }
    // People against the links file, and the links file against its hash.
    if let Some(r) = &inv.scan.links {
        let dir = path.parent().unwrap_or(Path::new("."));
        if let Some(want) = &r.sha256 {
            match sha256_file(&dir.join(&r.file)) {
                Ok(got) if &got == want => {}
                Ok(got) => k.fail(
                    "scan.links.sha256",
                    format!("says {want} but {} hashes to {got}", r.file),
                ),
                Err(e) => k.fail("scan.links", format!("{}: {e}", r.file)),
            }
        }
        if t.people.is_none() {
            k.fail(
                "totals.people",
                "missing, though the inventory names a links file",
            );
        }
    }
    if let Some(links) = inv.graph.as_deref() {
        // A set of the sources' paths: a search of the list per graph was quadratic (42 s of
        // a merge of 100,000 sources).
        let named: std::collections::HashSet<&str> =
            inv.sources.iter().map(|s| s.path.as_str()).collect();
        for (p, _) in &links.sources {
            if !named.contains(p.as_str()) {
                k.fail(
                    "scan.links",
                    format!("the links file has a graph for `{p}`, which no source names"),
                );
            }
        }
        for (i, s) in inv.sources.iter().enumerate() {
            let g = links
                .source(&s.path)
                .map(|part| Graph::of(&links.kinds, links.link_cap, part.clone()));
            match (&s.people, g) {
                (Some(_), None) => k.fail(
                    format!("sources[{i}] ({}).people", s.path),
                    "the links file has no graph for this source",
                ),
                (p, g) => k.people(&format!("sources[{i}] ({})", s.path), p.as_ref(), g),
            }
        }
        let all = Graph {
            kinds: links.kinds.clone(),
            cap: links.link_cap,
            parts: links.sources.iter().map(|(_, a)| a.clone()).collect(),
        };
        k.people("totals", t.people.as_ref(), Some(all));
    }
    let mut out = k.out;
    if out.len() > MAX_LISTED {
        let more = out.len() - MAX_LISTED;
        out.truncate(MAX_LISTED);
        out.push(Mismatch {
            figure: "…".into(),
            message: format!("and {more} more mismatches"),
        });
    }
    out
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    let mut f = std::fs::File::open(path)?;
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}

/// The message of an error: the mismatches, one a line.
pub fn describe(path: &Path, m: &[Mismatch]) -> String {
    let mut s = format!("{}: {ALTERED}:", path.display());
    for x in m {
        s.push_str("\n  ");
        s.push_str(&x.to_string());
    }
    s
}
