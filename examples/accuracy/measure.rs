//! The measurement: the real scanner over the labelled corpus, compared with its truth.
//!
//! Two passes, both through the library as `pipl-scan scan` runs it:
//!
//! * per finding: every file is read with [`read::read_source`] under a [`Ctx`] whose trace
//!   collects each committed finding; a finding matches a label when file, record, detector
//!   and normalised value agree (as multisets: a value expected twice in a record must be found
//!   twice). What matches is a true positive, an expected label left over is a false negative,
//!   a finding left over is a false positive, charged to the trap planted in its record (by
//!   value, else the record's first trap, else `unlabelled`);
//! * per person: [`scan::scan`] over the share gives the inventory, and every people figure
//!   under `totals` (`subjects`, a future `people`, the sensitive and minor figures, the lower
//!   bound …) is set against the true number. Sketches are made at precision 21, which counts
//!   exactly up to about 196,000 people, so the error measured is the scanner's, not HLL noise.
//!
//! Header-driven detectors (`cn-name`, `address`) are not labelled and not scored: their
//! findings are only counted. Raw values stay in this process; the report holds counts and
//! rates only.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use pipl_scan::detect::{DetectorSet, Standard};
use pipl_scan::read::{self, Ctx, Traced};
use pipl_scan::scan::{ScanConfig, scan};
use pipl_scan::sketch::SketchKey;
use pipl_scan::walk::WalkOptions;

use crate::corpus::{Label, Truth};

/// Identifier detectors always given a row (and held to the targets by `--check`).
pub const IDENTIFIERS: &[&str] = &[
    "cn-resident-id",
    "cn-passport",
    "cn-mobile",
    "email",
    "bank-card",
];
/// `--check` targets.
pub const MIN_PRECISION: f64 = 0.995;
pub const MIN_RECALL: f64 = 0.99;
pub const MAX_PEOPLE_ERROR: f64 = 0.01;

#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub expected: u64,
    pub true_pos: u64,
    pub false_pos: u64,
}

impl Counts {
    pub fn false_neg(&self) -> u64 {
        self.expected - self.true_pos
    }
    pub fn precision(&self) -> Option<f64> {
        ratio(self.true_pos, self.true_pos + self.false_pos)
    }
    pub fn recall(&self) -> Option<f64> {
        ratio(self.true_pos, self.expected)
    }
}

/// False positives charged to one trap class.
#[derive(Debug, Default, Clone)]
pub struct TrapRow {
    /// Look-alikes of this class planted.
    pub planted: u64,
    pub false_pos: u64,
    /// Which detectors fired on them.
    pub detectors: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct FileRow {
    pub path: String,
    pub system: String,
    pub format: String,
    pub status: String,
    /// Records the readers counted, and records labelled: a difference means the labels'
    /// record numbers and the readers' disagree, and every comparison in the file is suspect.
    pub records_read: u64,
    pub records_labelled: u64,
    pub counts: Counts,
}

/// One people figure of the inventory against the truth.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Its path in the inventory (`totals.subjects`).
    pub name: String,
    /// `None`: the inventory does not carry it.
    pub value: Option<f64>,
    pub truth: u64,
}

impl Figure {
    pub fn error(&self) -> Option<f64> {
        self.value
            .map(|v| (v - self.truth as f64) / (self.truth as f64).max(1.0))
    }
}

/// What the benchmark measured.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub population: usize,
    pub seed: u64,
    pub files: usize,
    pub bytes: u64,
    /// Scored detector id → counts.
    pub detectors: BTreeMap<String, Counts>,
    /// (detector, class of writing) → counts (no false positives: those go to traps).
    pub classes: BTreeMap<(String, String), Counts>,
    pub traps: BTreeMap<String, TrapRow>,
    pub per_file: Vec<FileRow>,
    pub figures: Vec<Figure>,
    /// Findings of the detectors that are not scored (header-driven), by detector.
    pub unscored: BTreeMap<String, u64>,
    /// What a perfect detector would give under two counting rules, from the labels alone.
    pub reference: LabelFigures,
}

/// People counted from the labels (every expected finding found, nothing else): what the
/// counting rule alone costs, apart from detection.
#[derive(Debug, Clone, Copy, Default)]
pub struct LabelFigures {
    /// One key per record (its highest-priority identifier), as `totals.subjects` counts.
    pub keys: u64,
    /// Every identifier of a record joined, shared ones included (union-find): what a linker
    /// that does not recognise shared identifiers finds.
    pub naive_linked: u64,
}

/// Subject-key priority (DESIGN.md): identity documents, then contacts, then accounts.
const PRIORITY: &[&str] = &[
    "cn-resident-id",
    "cn-passport",
    "hk-macau-permit",
    "tw-permit",
    "cn-mobile",
    "email",
    "bank-card",
];

/// [`LabelFigures`] of `truth`.
pub fn label_figures(truth: &Truth) -> LabelFigures {
    let mut keys = BTreeSet::new();
    for f in &truth.files {
        for labels in by_record(f).values() {
            let rank = |l: &&&Label| {
                PRIORITY
                    .iter()
                    .position(|d| *d == l.detector)
                    .unwrap_or(PRIORITY.len())
            };
            if let Some(k) = labels.iter().min_by_key(rank) {
                keys.insert((k.detector.as_str(), k.value.as_str()));
            }
        }
    }
    LabelFigures {
        keys: keys.len() as u64,
        naive_linked: linked_components(truth, &|_| true),
    }
}

fn by_record(f: &crate::corpus::FileTruth) -> BTreeMap<u64, Vec<&Label>> {
    let mut out: BTreeMap<u64, Vec<&Label>> = BTreeMap::new();
    for l in &f.expected {
        out.entry(l.record).or_default().push(l);
    }
    out
}

/// People found by joining the identifiers `keep` accepts that share a record (union-find
/// over (detector, value)), counting the groups.
pub fn linked_components(truth: &Truth, keep: &dyn Fn(&Label) -> bool) -> u64 {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut ids: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut parent: Vec<usize> = Vec::new();
    for f in &truth.files {
        for labels in by_record(f).values() {
            let mut first = None;
            for l in labels.iter().filter(|l| keep(l)) {
                let next = ids.len();
                let id = *ids
                    .entry((l.detector.as_str(), l.value.as_str()))
                    .or_insert(next);
                if id == parent.len() {
                    parent.push(id);
                }
                match first {
                    None => first = Some(id),
                    Some(a) => {
                        let (ra, rb) = (root(&mut parent, a), root(&mut parent, id));
                        parent[rb] = ra;
                    }
                }
            }
        }
    }
    (0..parent.len())
        .filter(|&i| root(&mut parent, i) == i)
        .count() as u64
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// One traced finding, reduced to what is compared: record, detector index, normalised value.
type Found = (u64, usize, String);

/// Runs the scanner over the corpus at `root` (written by [`crate::corpus::generate`]).
pub fn measure(root: &Path, truth: &Truth) -> Result<Measurement> {
    pipl_scan::sketch::set_default_lg_k(21).context("setting the sketch precision")?;
    let mut set = DetectorSet::load(None).context("loading the built-in detectors")?;
    let key = SketchKey::random();
    let reference = NaiveDate::parse_from_str(&truth.reference_date, "%Y-%m-%d")
        .with_context(|| format!("reference date `{}` in truth.json", truth.reference_date))?;
    set.set_reference_date(reference);

    let mut m = Measurement {
        population: truth.population,
        seed: truth.seed,
        files: truth.files.len(),
        bytes: 0,
        detectors: BTreeMap::new(),
        classes: BTreeMap::new(),
        traps: BTreeMap::new(),
        per_file: Vec::new(),
        figures: Vec::new(),
        unscored: BTreeMap::new(),
        reference: label_figures(truth),
    };
    let scored = |di: usize| !set.is_header_driven(di);
    for id in IDENTIFIERS {
        m.detectors.insert(id.to_string(), Counts::default());
    }
    for f in &truth.files {
        let path = root.join(&f.path);
        let size = std::fs::metadata(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .len();
        m.bytes += size;
        if size >= pipl_scan::read::text::CHUNK as u64 {
            // The readers split such a file into chunks whose record numbers restart.
            anyhow::bail!(
                "{}: {size} bytes; files of the corpus must stay under {} bytes for record \
                 numbers to be comparable",
                path.display(),
                pipl_scan::read::text::CHUNK
            );
        }
        let found: Mutex<Vec<Found>> = Mutex::new(Vec::new());
        let trace = |t: Traced<'_>| {
            let entry = (
                t.record,
                t.finding.detector,
                t.finding.normalised.to_string(),
            );
            found.lock().expect("trace lock").push(entry);
        };
        let mut ctx = Ctx::new(&set, &key, reference);
        ctx.trace = Some(&trace);
        let results = read::read_source(&path, size, &ctx);
        let found = found.into_inner().expect("trace lock");

        // Multisets keyed by (record, detector, value).
        let mut want: BTreeMap<(u64, &str, &str), Vec<&str>> = BTreeMap::new();
        for l in &f.expected {
            want.entry((l.record, &l.detector, &l.value))
                .or_default()
                .push(&l.class);
        }
        let mut got: BTreeMap<(u64, &str, &str), u64> = BTreeMap::new();
        for (record, di, value) in &found {
            let id = set.get(*di).id.as_str();
            if scored(*di) {
                *got.entry((*record, id, value.as_str())).or_default() += 1;
            } else {
                *m.unscored.entry(id.to_string()).or_default() += 1;
            }
        }
        let mut file_counts = Counts::default();
        for ((_, det, _), classes) in &want {
            let d = m.detectors.entry(det.to_string()).or_default();
            d.expected += classes.len() as u64;
            file_counts.expected += classes.len() as u64;
        }
        for (k, classes) in &want {
            let hits = got.get(k).copied().unwrap_or(0);
            for (n, class) in classes.iter().enumerate() {
                let c = m
                    .classes
                    .entry((k.1.to_string(), class.to_string()))
                    .or_default();
                c.expected += 1;
                if (n as u64) < hits {
                    c.true_pos += 1;
                    m.detectors.entry(k.1.to_string()).or_default().true_pos += 1;
                    file_counts.true_pos += 1;
                }
            }
        }
        for l in &f.negatives {
            m.traps.entry(l.class.clone()).or_default().planted += 1;
        }
        for (k, &n) in &got {
            let expected = want.get(k).map_or(0, |v| v.len() as u64);
            let extra = n.saturating_sub(expected);
            if extra == 0 {
                continue;
            }
            let (record, det, value) = *k;
            m.detectors.entry(det.to_string()).or_default().false_pos += extra;
            file_counts.false_pos += extra;
            let in_record = || f.negatives.iter().filter(|l| l.record == record);
            // A value missed in the same record by the same detector: the finding is likely
            // a piece of it (an address cut at a non-ASCII character).
            let missed = || {
                want.iter().find(|(key, classes)| {
                    key.0 == record
                        && key.1 == det
                        && got.get(key).copied().unwrap_or(0) < classes.len() as u64
                })
            };
            let class = match in_record().find(|l| l.value == value) {
                Some(l) => l.class.clone(),
                None => match missed() {
                    Some((_, classes)) => format!("partial: {}", classes[0]),
                    None => in_record()
                        .next()
                        .map_or("unlabelled".to_string(), |l| l.class.clone()),
                },
            };
            let row = m.traps.entry(class).or_default();
            row.false_pos += extra;
            row.detectors.insert(det.to_string());
        }
        let (format, status) = results.first().map_or(("none".into(), "none".into()), |r| {
            (r.format.clone(), format!("{:?}", r.status).to_lowercase())
        });
        m.per_file.push(FileRow {
            path: f.path.clone(),
            system: f.system.clone(),
            format,
            status,
            records_read: results.iter().map(|r| r.acc.records).sum(),
            records_labelled: f.records,
            counts: file_counts,
        });
    }

    // The inventory of the whole share, as `pipl-scan scan` makes it.
    let cfg = ScanConfig {
        walk: WalkOptions {
            roots: vec![root.join("share")],
            ..WalkOptions::default()
        },
        reference_date: reference,
        sensitivity: Standard::Gbt45574_2025,
        key: SketchKey::random(),
        progress: false,
        classify: pipl_scan::classify::ClassifyConfig::default(),
        link_cap: pipl_scan::link::DEFAULT_CAP,
        link_memory: u64::MAX,
        spill_dir: None,
        min_confidence: pipl_scan::confidence::Confidence::Low,
        stop: None,
        sources: None,
        tally: None,
    };
    let inv = scan(&cfg, &set).with_context(|| format!("scanning {}", root.display()))?;
    let totals = serde_json::to_value(&inv.totals).context("inventory totals as JSON")?;
    m.figures = people_figures(&totals, truth, cfg.sensitivity);
    Ok(m)
}

/// Every people figure under `totals`: always `subjects` and `people` (absent or not), then
/// any other figure whose name mentions subjects, people or minors, with the truth it is
/// compared with (minors, people with sensitive PI under the standard its name or the scan
/// uses, or people).
pub fn people_figures(
    totals: &serde_json::Value,
    truth: &Truth,
    scan_std: Standard,
) -> Vec<Figure> {
    let mut found = Vec::new();
    collect(totals, "totals", false, &mut found);
    let truth_of = |name: &str| {
        if name.contains("minor") {
            truth.minor_people
        } else if name.contains("sensitive") {
            let std = Standard::ALL
                .into_iter()
                .find(|s| name.contains(s.id()))
                .unwrap_or(scan_std);
            truth.sensitive_people.get(std.id()).copied().unwrap_or(0)
        } else {
            truth.people
        }
    };
    // `totals.people` is an object: its people figures are `people`, `sensitive…` and
    // `minors`; its other numbers (identifiers, links, the cap…) are not counts of people.
    // The labels hold no truth per sensitive category nor for people with non-sensitive PI
    // (figures added after this benchmark): left out rather than compared with a wrong one.
    found.retain(|(n, _)| !n.contains("non_sensitive") && !n.contains("by_category"));
    found.retain(|(n, _)| {
        !n.starts_with("totals.people.")
            || matches!(
                n.trim_start_matches("totals.people."),
                "people" | "minors" | "subject_keys" | "sensitive"
            )
            || n.starts_with("totals.people.sensitive_by_standard.")
    });
    for (n, _) in found.iter_mut() {
        if n == "totals.people.people" {
            *n = "totals.people".to_string();
        }
    }
    let mut out: Vec<Figure> = Vec::new();
    for name in ["totals.subjects", "totals.people"] {
        let value = found.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        out.push(Figure {
            name: name.to_string(),
            value,
            truth: truth_of(name),
        });
    }
    for (name, value) in found {
        if !out.iter().any(|f| f.name == name) {
            out.push(Figure {
                truth: truth_of(&name),
                name,
                value: Some(value),
            });
        }
    }
    out
}

fn mentions_people(key: &str) -> bool {
    ["subject", "people", "person", "minor"]
        .iter()
        .any(|w| key.contains(w))
}

/// Numbers under `v` whose path mentions people: a bare number, or an object's `estimate`.
/// Interval bounds, sketch images and the per-category table are not figures.
fn collect(v: &serde_json::Value, path: &str, named: bool, out: &mut Vec<(String, f64)>) {
    match v {
        serde_json::Value::Number(n) if named => {
            if let Some(x) = n.as_f64() {
                out.push((path.to_string(), x));
            }
        }
        serde_json::Value::Object(map) => {
            if let Some(x) = map.get("estimate").and_then(|e| e.as_f64()) {
                if named {
                    out.push((path.to_string(), x));
                }
                return;
            }
            for (k, child) in map {
                if matches!(k.as_str(), "low" | "high" | "sketch" | "categories") {
                    continue;
                }
                let named = named || mentions_people(k);
                collect(child, &format!("{path}.{k}"), named, out);
            }
        }
        _ => {}
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or("—".to_string(), |x| format!("{:.2}%", 100.0 * x))
}

impl Measurement {
    /// The headline people figure: `totals.people` once the inventory carries it, else
    /// `totals.subjects`.
    pub fn people_figure(&self) -> Option<&Figure> {
        let by = |n: &str| {
            self.figures
                .iter()
                .find(|f| f.name == n && f.value.is_some())
        };
        by("totals.people").or_else(|| by("totals.subjects"))
    }

    /// The targets missed (identifier precision and recall, the people figure), as messages
    /// that hold counts only.
    pub fn misses(&self) -> Vec<String> {
        let mut out = Vec::new();
        for id in IDENTIFIERS {
            let c = &self.detectors[*id];
            if let Some(p) = c.precision().filter(|p| *p < MIN_PRECISION) {
                out.push(format!(
                    "{id}: precision {} < {}",
                    pct(Some(p)),
                    pct(Some(MIN_PRECISION))
                ));
            }
            if let Some(r) = c.recall().filter(|r| *r < MIN_RECALL) {
                out.push(format!(
                    "{id}: recall {} < {}",
                    pct(Some(r)),
                    pct(Some(MIN_RECALL))
                ));
            }
        }
        match self.people_figure() {
            Some(f) => {
                if let Some(e) = f.error().filter(|e| e.abs() > MAX_PEOPLE_ERROR) {
                    out.push(format!(
                        "{}: error {:+.2}% (more than ±{:.0}%)",
                        f.name,
                        100.0 * e,
                        100.0 * MAX_PEOPLE_ERROR
                    ));
                }
            }
            None => out.push("no people figure in the inventory".to_string()),
        }
        out
    }

    /// The report as Markdown: counts and rates only.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let w = &mut s;
        let _ = writeln!(
            w,
            "## pipl-scan accuracy: {} people, {} files, {} bytes (seed {:#x})\n",
            self.population, self.files, self.bytes, self.seed
        );
        let _ = writeln!(w, "### Identifiers\n");
        let _ = writeln!(
            w,
            "| detector | expected | found | true pos | false pos | false neg | precision | recall |"
        );
        let _ = writeln!(w, "|---|--:|--:|--:|--:|--:|--:|--:|");
        for (id, c) in &self.detectors {
            let _ = writeln!(
                w,
                "| {id} | {} | {} | {} | {} | {} | {} | {} |",
                c.expected,
                c.true_pos + c.false_pos,
                c.true_pos,
                c.false_pos,
                c.false_neg(),
                pct(c.precision()),
                pct(c.recall())
            );
        }
        if !self.unscored.is_empty() {
            let list: Vec<String> = self
                .unscored
                .iter()
                .map(|(d, n)| format!("{d} {n}"))
                .collect();
            let _ = writeln!(
                w,
                "\nNot scored (header-driven, unlabelled), findings: {}.",
                list.join(", ")
            );
        }
        let _ = writeln!(w, "\n### Recall by how the value is written\n");
        let _ = writeln!(w, "| detector | class | expected | found | recall |");
        let _ = writeln!(w, "|---|---|--:|--:|--:|");
        for ((d, class), c) in &self.classes {
            let _ = writeln!(
                w,
                "| {d} | {class} | {} | {} | {} |",
                c.expected,
                c.true_pos,
                pct(c.recall())
            );
        }
        let _ = writeln!(w, "\n### False positives by trap class\n");
        let _ = writeln!(
            w,
            "| trap class | planted | false positives | per trap | detectors |"
        );
        let _ = writeln!(w, "|---|--:|--:|--:|---|");
        for (class, t) in &self.traps {
            let per = if t.planted == 0 {
                "—".to_string()
            } else {
                format!("{:.3}", t.false_pos as f64 / t.planted as f64)
            };
            let dets: Vec<&str> = t.detectors.iter().map(String::as_str).collect();
            let _ = writeln!(
                w,
                "| {class} | {} | {} | {per} | {} |",
                t.planted,
                t.false_pos,
                if dets.is_empty() {
                    "—".to_string()
                } else {
                    dets.join(", ")
                }
            );
        }
        let _ = writeln!(w, "\n### Files\n");
        let _ = writeln!(
            w,
            "| file | system | read as | records read / labelled | expected | recall | false pos |"
        );
        let _ = writeln!(w, "|---|---|---|--:|--:|--:|--:|");
        for f in &self.per_file {
            let _ = writeln!(
                w,
                "| {} | {} | {} ({}) | {} / {} | {} | {} | {} |",
                f.path,
                f.system,
                f.format,
                f.status,
                f.records_read,
                f.records_labelled,
                f.counts.expected,
                pct(f.counts.recall()),
                f.counts.false_pos
            );
        }
        let _ = writeln!(w, "\n### People\n");
        let _ = writeln!(w, "| figure | inventory | truth | error |");
        let _ = writeln!(w, "|---|--:|--:|--:|");
        for f in &self.figures {
            let (v, e) = match (f.value, f.error()) {
                (Some(v), Some(e)) => (format!("{v}"), format!("{:+.2}%", 100.0 * e)),
                _ => ("absent".to_string(), "—".to_string()),
            };
            let _ = writeln!(w, "| {} | {v} | {} | {e} |", f.name, f.truth);
        }
        let truth_people = self
            .figures
            .iter()
            .find(|f| f.name == "totals.subjects")
            .map_or(0, |f| f.truth);
        let err = |v: u64| {
            format!(
                "{:+.2}%",
                100.0 * (v as f64 - truth_people as f64) / (truth_people as f64).max(1.0)
            )
        };
        let r = self.reference;
        let _ = writeln!(
            w,
            "| (labels) one key per record | {} | {truth_people} | {} |",
            r.keys,
            err(r.keys)
        );
        let _ = writeln!(
            w,
            "| (labels) naive linking, shared identifiers joined | {} | {truth_people} | {} |",
            r.naive_linked,
            err(r.naive_linked)
        );
        let _ = writeln!(
            w,
            "\nThe (labels) rows count the labels, not the scanner: what each counting rule gives \
             with perfect detection."
        );
        let misses = self.misses();
        let _ = writeln!(
            w,
            "\nTargets (identifier precision ≥ {}, recall ≥ {}, people within ±{:.0}%): {}",
            pct(Some(MIN_PRECISION)),
            pct(Some(MIN_RECALL)),
            100.0 * MAX_PEOPLE_ERROR,
            if misses.is_empty() {
                "all met".to_string()
            } else {
                format!("{} missed", misses.len())
            }
        );
        for miss in misses {
            let _ = writeln!(w, "- {miss}");
        }
        s
    }
}
