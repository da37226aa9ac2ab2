//! Joining inventories (`pipl-scan merge`): the shards of one scan, or scans of different shares
//! made with one key, into the inventory one scan of everything would have written.
//!
//! Every figure is combined the way it was counted, so the result agrees with one scan exactly
//! where one scan is exact and to the same estimate where it estimates:
//!
//! * sketches (subjects, sensitive, non-sensitive, minors, per sensitive category, and each
//!   category's distinct values) are unioned: DataSketches HLL images are canonical, so the
//!   union of the shards' sketches is byte for byte the sketch one scan would have made;
//! * counts (records, matches, files, bytes) are summed; sources and errors are concatenated;
//! * people are counted again on the sources' graphs together (the links files beside the
//!   inputs), so someone whose ID is in one shard and whose mobile is in another with it is
//!   still one person.
//!
//! Inventories made with different keys, precisions, reference dates, standards, detector sets
//! or options are refused, naming what differs: their figures do not add up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use crate::confidence::ByConfidence;
use crate::detect::Standard;
use crate::inventory::{
    CategoryEntry, Count, ErrorEntry, Inventory, People, ScanInfo, SourceEntry, Status, Totals,
};
use crate::link_file::LinkSet;
use crate::sketch::Sketch;

/// One inventory to merge: as named on the command line, where its inventory.json is, and its
/// contents (with its links file, see [`Inventory::load`]).
pub struct Input {
    pub name: String,
    pub path: PathBuf,
    pub inventory: Inventory,
}

/// `inventory.json` inside `path` when it is a folder, else `path`.
pub fn inventory_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("inventory.json")
    } else {
        path.to_path_buf()
    }
}

/// The merged inventory and, when people were linked in every input, the graph to write beside
/// it (its [`crate::inventory::ScanInfo::links`] is left for the writer to fill).
pub struct Merged {
    pub inventory: Inventory,
    pub links: Option<LinkSet>,
}

/// Why two inventories cannot be merged: every setting in which `other` differs from `first`.
pub fn differences(first: &Input, other: &Input) -> Vec<String> {
    let (a, b) = (&first.inventory, &other.inventory);
    let mut out = Vec::new();
    let mut differ = |what: &str, x: String, y: String| {
        if x != y {
            out.push(format!(
                "{what}: {x} in {}, {y} in {}",
                first.name, other.name
            ));
        }
    };
    differ(
        "sketch key (key fingerprint)",
        a.scan.sketch.key_id.clone(),
        b.scan.sketch.key_id.clone(),
    );
    differ(
        "sketch precision (--precision)",
        a.scan.sketch.lg_k.to_string(),
        b.scan.sketch.lg_k.to_string(),
    );
    differ(
        "sketch format",
        format!("{} {}", a.scan.sketch.format, a.scan.sketch.hash),
        format!("{} {}", b.scan.sketch.format, b.scan.sketch.hash),
    );
    differ(
        "reference date (--reference-date)",
        a.scan.reference_date.clone(),
        b.scan.reference_date.clone(),
    );
    differ(
        "sensitivity standard (--sensitivity)",
        a.scan.sensitivity.clone(),
        b.scan.sensitivity.clone(),
    );
    differ(
        "pipl-scan version",
        a.tool.version.clone(),
        b.tool.version.clone(),
    );
    differ(
        "table classification (--classify-threshold, --classify-min-distinct)",
        format!(
            "{}, {}",
            a.scan.classification.threshold, a.scan.classification.min_distinct
        ),
        format!(
            "{}, {}",
            b.scan.classification.threshold, b.scan.classification.min_distinct
        ),
    );
    match (&a.scan.options, &b.scan.options) {
        (Some(x), Some(y)) => {
            differ(
                "detector set (fingerprint)",
                x.detectors.clone(),
                y.detectors.clone(),
            );
            differ(
                "--min-confidence",
                x.min_confidence.clone(),
                y.min_confidence.clone(),
            );
            differ("--ocr", x.ocr.to_string(), y.ocr.to_string());
        }
        (None, None) => {}
        (x, y) => {
            let recorded = |o: bool| {
                if o {
                    "recorded".to_string()
                } else {
                    "not recorded (an earlier version)".to_string()
                }
            };
            differ(
                "detector set and options",
                recorded(x.is_some()),
                recorded(y.is_some()),
            );
        }
    }
    if let (Some(x), Some(y)) = (&a.graph, &b.graph) {
        differ(
            "people linking (--link-cap)",
            x.link_cap.to_string(),
            y.link_cap.to_string(),
        );
        if x.kinds != y.kinds {
            out.push(format!(
                "identifier kinds of the links files (detector set): {} and {} differ",
                first.name, other.name
            ));
        }
    }
    out
}

/// Merges `inputs` (at least one). Refuses inputs that differ in a setting that changes figures
/// ([`differences`]) or that share a source path (a file counted twice).
pub fn merge(inputs: &[Input]) -> Result<Merged> {
    let Some(first) = inputs.first() else {
        bail!("nothing to merge: name at least one inventory");
    };
    let mut refused = Vec::new();
    for other in &inputs[1..] {
        refused.extend(differences(first, other));
    }
    if !refused.is_empty() {
        bail!(
            "cannot merge: the inventories were made with different settings, so their figures do not add up (re-scan with the same ones):\n  {}",
            refused.join("\n  ")
        );
    }
    // A file in two inputs would have its matches and records counted twice.
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for i in inputs {
        for s in &i.inventory.sources {
            if let Some(prev) = owner.insert(s.path.as_str(), i.name.as_str()) {
                bail!(
                    "cannot merge: `{}` is a source of both {prev} and {} (overlapping shards, or the same files scanned twice); its matches would be counted twice",
                    s.path,
                    i.name
                );
            }
        }
    }
    let chosen = Standard::from_id(&first.inventory.scan.sensitivity).with_context(|| {
        format!(
            "{}: unknown sensitivity standard `{}`",
            first.name, first.inventory.scan.sensitivity
        )
    })?;

    let mut sources: Vec<SourceEntry> = inputs
        .iter()
        .flat_map(|i| i.inventory.sources.iter().cloned())
        .collect();
    sources.sort_by(|a, b| a.path.cmp(&b.path));

    let totals: Vec<&Totals> = inputs.iter().map(|i| &i.inventory.totals).collect();
    let named = |f: &dyn Fn(&Totals) -> Option<&Count>, what: &str| -> Result<Count> {
        union(inputs.iter().zip(&totals).map(|(i, t)| (i, f(t))), what)
    };
    let subjects = named(&|t| Some(&t.subjects), "totals.subjects")?;
    let minors = named(&|t| Some(&t.minor_subjects), "totals.minor_subjects")?;
    let mut by_standard = BTreeMap::new();
    let mut non_sensitive = BTreeMap::new();
    let all_non_sensitive = totals
        .iter()
        .all(|t| !t.non_sensitive_subjects_by_standard.is_empty());
    for st in Standard::ALL {
        let id = st.id();
        by_standard.insert(
            id.to_string(),
            named(
                &|t| t.sensitive_subjects_by_standard.get(id),
                &format!("totals.sensitive_subjects_by_standard.{id}"),
            )?,
        );
        if all_non_sensitive {
            non_sensitive.insert(
                id.to_string(),
                named(
                    &|t| t.non_sensitive_subjects_by_standard.get(id),
                    &format!("totals.non_sensitive_subjects_by_standard.{id}"),
                )?,
            );
        }
    }
    let sensitive = by_standard
        .get(chosen.id())
        .cloned()
        .unwrap_or_else(|| Count::of(&Sketch::new(), false));

    let mut by_category: BTreeMap<String, BTreeMap<String, Count>> = BTreeMap::new();
    let pairs: std::collections::BTreeSet<(String, String)> = totals
        .iter()
        .flat_map(|t| {
            t.sensitive_subjects_by_category
                .iter()
                .flat_map(|(c, per)| per.keys().map(move |s| (c.clone(), s.clone())))
        })
        .collect();
    for (cat, st) in pairs {
        let c = named(
            &|t| {
                t.sensitive_subjects_by_category
                    .get(&cat)
                    .and_then(|p| p.get(&st))
            },
            &format!("totals.sensitive_subjects_by_category.{cat}.{st}"),
        )?;
        by_category.entry(cat).or_default().insert(st, c);
    }

    let categories = merge_categories(inputs)?;
    let largest_identifier_distinct = categories
        .iter()
        .filter(|c| c.identifier)
        .map(|c| c.distinct.estimate)
        .max()
        .unwrap_or(0);

    let (links, people, people_unavailable) = merge_people(inputs, chosen)?;

    let scan = merge_scan_info(inputs, &sources);
    let inventory = Inventory {
        schema: crate::inventory::SCHEMA.to_string(),
        tool: crate::inventory::Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        scan,
        totals: Totals {
            people,
            people_unavailable,
            subjects,
            sensitive_subjects: sensitive,
            minor_subjects: minors,
            sensitive_subjects_by_standard: by_standard,
            non_sensitive_subjects_by_standard: non_sensitive,
            sensitive_subjects_by_category: by_category,
            largest_identifier_distinct,
            unidentified_records: totals.iter().map(|t| t.unidentified_records).sum(),
            records: totals.iter().map(|t| t.records).sum(),
            categories,
            sensitive_images_by_category: crate::inventory::sensitive_images_by_category(&sources),
        },
        sources,
        graph: None,
        spilled: None,
        unscanned: Vec::new(),
    };
    Ok(Merged { inventory, links })
}

/// An empty union accumulator at the largest precision, so that the union takes the precision
/// of what it merges (as the integrity check's does: the same bytes come out).
fn empty() -> Sketch {
    Sketch::with_lg_k(crate::sketch::MAX_LG_K).unwrap_or_default()
}

/// Reads a count's sketch: empty when it counts nothing; an error naming the input and the
/// figure when it counts something without a sketch (an inventory written before the figure
/// carried one) or its sketch is unreadable.
fn sketch_of(input: &Input, what: &str, c: Option<&Count>) -> Result<Option<Sketch>> {
    let Some(c) = c else { return Ok(None) };
    match &c.sketch {
        Some(b64) => Sketch::from_base64(b64)
            .map(Some)
            .with_context(|| format!("{}: {what}: unreadable sketch", input.name)),
        None if c.estimate == 0 && c.high == 0 => Ok(None),
        None => bail!(
            "{}: {what} counts {} but carries no sketch to merge (an inventory written before merging was possible: re-scan it)",
            input.name,
            c.estimate
        ),
    }
}

/// The union of the inputs' sketches of one figure, as a count with its sketch.
fn union<'a>(
    counts: impl Iterator<Item = (&'a Input, Option<&'a Count>)>,
    what: &str,
) -> Result<Count> {
    let mut u = empty();
    for (input, c) in counts {
        if let Some(s) = sketch_of(input, what, c)? {
            u.merge(&s);
        }
    }
    Ok(Count::of(&u, true))
}

/// The totals' categories: matches and confidence summed, distinct values unioned; in the
/// detector set's order (a scan lists them so), which the links files' kinds give, else in the
/// order they first appear.
fn merge_categories(inputs: &[Input]) -> Result<Vec<CategoryEntry>> {
    let order: Option<&[String]> = inputs
        .iter()
        .find_map(|i| i.inventory.graph.as_deref())
        .map(|g| g.kinds.detectors.as_slice());
    let mut seen: Vec<String> = Vec::new();
    let mut out: BTreeMap<String, (CategoryEntry, Sketch)> = BTreeMap::new();
    for input in inputs {
        for c in &input.inventory.totals.categories {
            let what = format!("totals.categories.{}", c.detector);
            let as_count = Count {
                method: "hll".into(),
                estimate: c.distinct.estimate,
                low: c.distinct.low,
                high: c.distinct.high,
                sketch: c.sketch.clone(),
            };
            let sketch = sketch_of(input, &what, Some(&as_count))?;
            if !seen.contains(&c.detector) {
                seen.push(c.detector.clone());
            }
            let (entry, u) = out.entry(c.detector.clone()).or_insert_with(|| {
                let mut e = c.clone();
                e.matches = 0;
                e.confidence = ByConfidence::default();
                (e, empty())
            });
            entry.matches += c.matches;
            entry.confidence.low += c.confidence.low;
            entry.confidence.medium += c.confidence.medium;
            entry.confidence.high += c.confidence.high;
            if let Some(s) = sketch {
                u.merge(&s);
            }
        }
    }
    let rank = |d: &String| {
        order
            .and_then(|o| o.iter().position(|x| x == d))
            .unwrap_or(usize::MAX)
    };
    // Stable: detectors a links file does not list keep the order they first appeared in.
    seen.sort_by_key(|d| rank(d));
    Ok(seen
        .iter()
        .filter_map(|d| out.remove(d))
        .map(|(mut e, u)| {
            e.distinct = u.estimate();
            e.sketch = (!u.is_empty()).then(|| u.to_base64());
            e
        })
        .collect())
}

/// The people graph of all inputs together and its figures; or, when an input has none, why
/// people are not counted.
#[allow(clippy::type_complexity)]
fn merge_people(
    inputs: &[Input],
    chosen: Standard,
) -> Result<(Option<LinkSet>, Option<People>, Option<String>)> {
    for i in inputs {
        let inv = &i.inventory;
        if inv.graph.is_none() {
            let why = match (&inv.totals.people_unavailable, inv.totals.people.is_some()) {
                (Some(why), _) => format!("people were not linked in {}: {why}", i.name),
                (None, true) => format!(
                    "{} has people figures but no links file to count them again with",
                    i.name
                ),
                (None, false) => format!("{} was written without a people graph", i.name),
            };
            return Ok((None, None, Some(why)));
        }
    }
    let graphs: Vec<&LinkSet> = inputs
        .iter()
        .filter_map(|i| i.inventory.graph.as_deref())
        .collect();
    let Some(first) = graphs.first() else {
        return Ok((None, None, None));
    };
    let mut sources: Vec<(String, crate::link::LinkAcc)> = graphs
        .iter()
        .flat_map(|g| g.sources.iter().cloned())
        .collect();
    sources.sort_by(|a, b| a.0.cmp(&b.0));
    let set = LinkSet {
        key_id: first.key_id.clone(),
        link_cap: first.link_cap,
        kinds: first.kinds.clone(),
        sources,
    };
    let count = crate::link::count(&set.kinds, set.link_cap, set.sources.iter().map(|(_, a)| a));
    let resident_ids = set
        .kinds
        .detectors
        .iter()
        .position(|d| d == "cn-resident-id")
        .and_then(|i| count.by_kind.get(i).copied())
        .unwrap_or(0);
    let people = People::of(&count, chosen, resident_ids, set.link_cap);
    Ok((Some(set), Some(people), None))
}

/// The scan section: files and bytes summed, errors joined as one scan lists them (the walk's
/// first, by path, then the files', in source order), the earliest start and latest finish.
fn merge_scan_info(inputs: &[Input], sources: &[SourceEntry]) -> ScanInfo {
    let first = &inputs[0].inventory.scan;
    let sum = |f: fn(&ScanInfo) -> u64| inputs.iter().map(|i| f(&i.inventory.scan)).sum::<u64>();
    let mut roots: Vec<String> = Vec::new();
    for i in inputs {
        for r in &i.inventory.scan.roots {
            if !roots.contains(r) {
                roots.push(r.clone());
            }
        }
    }
    // A file's own error (partial, unreadable) is listed with its source; any other error is
    // the walk's. Errors listed by more than one input (a folder every shard failed to read)
    // are listed once.
    let file_error = |e: &ErrorEntry| {
        sources
            .binary_search_by(|s| s.path.as_str().cmp(&e.path))
            .ok()
            .map(|i| &sources[i])
            .is_some_and(|s| {
                matches!(s.status, Status::Partial | Status::Unreadable)
                    && s.reason.as_deref() == Some(e.error.as_str())
            })
    };
    let mut walk_errors: Vec<ErrorEntry> = Vec::new();
    for i in inputs {
        for e in &i.inventory.scan.errors {
            if !file_error(e)
                && !walk_errors
                    .iter()
                    .any(|w| w.path == e.path && w.error == e.error)
            {
                walk_errors.push(e.clone());
            }
        }
    }
    walk_errors.sort_by(|a, b| a.path.cmp(&b.path));
    let mut errors = walk_errors;
    for s in sources {
        if matches!(s.status, Status::Partial | Status::Unreadable)
            && let Some(r) = &s.reason
        {
            errors.push(ErrorEntry {
                path: s.path.clone(),
                error: r.clone(),
            });
        }
    }
    let (partial, skipped, unreadable) = (
        sum(|s| s.files_partial),
        sum(|s| s.files_skipped),
        sum(|s| s.files_unreadable),
    );
    ScanInfo {
        started_at: inputs
            .iter()
            .map(|i| i.inventory.scan.started_at.clone())
            .min()
            .unwrap_or_default(),
        finished_at: inputs
            .iter()
            .map(|i| i.inventory.scan.finished_at.clone())
            .max()
            .unwrap_or_default(),
        roots,
        reference_date: first.reference_date.clone(),
        sensitivity: first.sensitivity.clone(),
        sketch: first.sketch.clone(),
        files_scanned: sum(|s| s.files_scanned),
        files_partial: partial,
        files_skipped: skipped,
        files_unreadable: unreadable,
        bytes_scanned: sum(|s| s.bytes_scanned),
        complete: partial == 0 && skipped == 0 && unreadable == 0 && errors.is_empty(),
        errors,
        classification: first.classification,
        links: None,
        sources: None,
        options: first.options.clone(),
        shard: None,
        merged_from: inputs.iter().map(|i| i.name.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSet;
    use crate::inventory::{FileResult, ScanMeta, SourceAcc, build};

    /// An inventory of one skipped file at `path` (no findings), as a scan builds it.
    fn input(name: &str, path: &str) -> Input {
        let set = DetectorSet::load(None).unwrap();
        let meta = ScanMeta {
            started_at: "2026-11-25T00:00:00Z".into(),
            finished_at: "2026-11-25T00:00:01Z".into(),
            roots: vec!["/share".into()],
            reference_date: "2026-11-25".into(),
            sensitivity: Standard::Gbt45574_2025,
            key_id: "0123456789abcdef".into(),
            lg_k: crate::sketch::DEFAULT_LG_K,
            walk_errors: Vec::new(),
            classify: Default::default(),
            link_cap: crate::link::DEFAULT_CAP,
            links_abandoned: None,
            link_spill: None,
            link_sort_entries: 1 << 16,
        };
        let file = FileResult {
            path: path.into(),
            format: "too-large".into(),
            encoding: None,
            bytes: 0,
            status: Status::Skipped,
            reason: Some("larger than --max-file-size".into()),
            acc: SourceAcc::default(),
        };
        let mut inventory = build(&set, meta, vec![file]);
        inventory.scan.options = Some(crate::inventory::ScanOptions {
            detectors: set.fingerprint(),
            min_confidence: "low".into(),
            ocr: false,
        });
        Input {
            name: name.into(),
            path: PathBuf::from(name),
            inventory,
        }
    }

    #[test]
    fn every_setting_that_differs_is_named_with_both_inputs() {
        let a = input("a", "/share/x");
        let mut b = input("b", "/share/y");
        assert!(differences(&a, &b).is_empty());
        b.inventory.scan.sketch.key_id = "fedcba9876543210".into();
        b.inventory.scan.reference_date = "2026-11-26".into();
        b.inventory.scan.options.as_mut().unwrap().ocr = true;
        let d = differences(&a, &b);
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(d[0].starts_with("sketch key"), "{d:?}");
        assert!(d[0].contains("0123456789abcdef in a, fedcba9876543210 in b"));
        assert!(d[1].starts_with("reference date"), "{d:?}");
        assert_eq!(d[2], "--ocr: false in a, true in b");
        b.inventory.scan.options = None;
        let d = differences(&a, &b);
        assert!(
            d.iter()
                .any(|m| m.contains("not recorded (an earlier version)")),
            "{d:?}"
        );
        let err = merge(&[a, b]).err().unwrap().to_string();
        assert!(err.starts_with("cannot merge"), "{err}");
    }

    #[test]
    fn files_and_errors_add_up_and_a_shared_source_is_refused() {
        let a = input("a", "/share/x");
        let b = input("b", "/share/y");
        let m = merge(&[a, b]).unwrap().inventory;
        assert_eq!(m.scan.files_skipped, 2);
        assert_eq!(m.sources.len(), 2);
        assert!(!m.scan.complete);
        assert_eq!(m.scan.roots, ["/share"]);
        assert_eq!(m.scan.merged_from, ["a", "b"]);
        let err = merge(&[input("a", "/share/x"), input("c", "/share/x")])
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("`/share/x` is a source of both a and c"),
            "{err}"
        );
        assert!(merge(&[]).is_err());
    }
}
