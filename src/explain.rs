//! `pipl-scan explain FILE`: every finding of one small file, with the evidence behind it.
//!
//! A filing stands on the scanner's word; a reviewer who doubts a figure needs to see, for a
//! sample file, what was found where and why. The file goes through the same readers as
//! `scan` ([`read::read_source`]), with a [`Ctx::trace`] that is told of each finding as its
//! record is committed, so what is explained is exactly what a scan counts. For each finding:
//! the record (line number for text), the field, the detector, the value **masked** by the
//! detector's masker (never the raw value), whether it was the record's subject key, and the
//! evidence:
//!
//! * the validator that passed (`gb11643`, `luhn` are checksums; `cn-mobile`, `email` check
//!   the format only);
//! * the header hint, when the field's header names the detector ([`Detector::header_matches`]);
//! * for text, the detector's context keywords found within its window on the line.
//!
//! **Confidence** summarises them: *high* for an 18-character resident ID (region, date and
//! check character all agree: one random number in a few thousand passes) or a checksum with a
//! keyword or header; *medium* for a checksum alone, or a keyword or header alone; *low* when
//! only the pattern (and a format check) matched.
//!
//! Only small files are explained ([`MAX_BYTES`]): larger text is split into chunks scanned in
//! parallel, whose record numbers restart, and a listing of every finding of a large file is
//! not something to read; `scan` is the tool for those.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use serde::Serialize;

use crate::detect::validators::Validator;
use crate::detect::{Detector, DetectorSet, Finding, is_word_byte, window_after, window_before};
use crate::read::{self, Ctx, Traced};
use crate::sketch::SketchKey;

/// The largest file explained: 2 MiB. Decoded to UTF-8 (GBK grows by half, UTF-16 by at most
/// half) it stays under the 4 MiB at which the text reader splits a file into chunks, so
/// every line number is counted from the start of the file.
pub const MAX_BYTES: u64 = 2 << 20;

pub use crate::confidence::Confidence;

/// Why a finding was made.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// The validator that passed, if the detector has one.
    pub validator: Option<&'static str>,
    /// The validator is a checksum and it ran on the full form (not a 15-digit legacy ID).
    pub checksum: bool,
    /// An 18-character resident ID.
    pub full_id: bool,
    /// The field's header names the detector.
    pub header_hint: bool,
    /// Context keywords found within the detector's window on the line (text only).
    pub keywords: Vec<String>,
}

impl Evidence {
    /// The rule of [`crate::confidence`], which the scan counts by too.
    pub fn confidence(&self) -> Confidence {
        let context = self.header_hint || !self.keywords.is_empty();
        Confidence::of(self.full_id, self.checksum, context)
    }
}

/// One finding, explained. Holds no raw value.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    /// 1-based: the line for text, the data row or JSON object for tables.
    pub record: u64,
    pub field: String,
    pub detector: String,
    /// The value as the detector's masker prints it.
    pub masked: String,
    pub subject_key: bool,
    pub evidence: Evidence,
    pub confidence: Confidence,
}

/// What a source (the file, or each member of an archive) was read as.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub path: String,
    pub format: String,
    pub encoding: Option<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub records: u64,
}

/// Every finding of one file.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub path: String,
    pub sources: Vec<SourceInfo>,
    pub findings: Vec<Explained>,
}

/// Explains the findings of the file at `path` (at most [`MAX_BYTES`]).
pub fn explain(path: &Path, set: &DetectorSet, reference: NaiveDate) -> Result<Explanation> {
    let meta = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "{}: not a regular file; explain takes one file (use `pipl-scan scan` for folders)",
            path.display()
        );
    }
    if meta.len() > MAX_BYTES {
        bail!(
            "{}: {} bytes is over explain's limit of {} MiB; explain lists every finding of a \
             small file — use `pipl-scan scan {}` for large files",
            path.display(),
            meta.len(),
            MAX_BYTES >> 20,
            path.display()
        );
    }
    let key = SketchKey::random();
    let state = Mutex::new(State::default());
    let trace = |t: Traced<'_>| {
        let d = set.get(t.finding.detector);
        let mut st = state.lock().expect("explain lock");
        let st = &mut *st;
        // Which occurrence of this value on its line (or in its record) this is, and the
        // line's findings, searched once per line.
        let at = t.line.map_or(0, |l| l.as_ptr() as usize);
        let nth = st
            .seen
            .entry((
                t.record,
                at,
                t.finding.detector,
                t.finding.normalised.clone(),
            ))
            .or_default();
        let n = *nth;
        *nth += 1;
        let keywords = match t.line {
            Some(line) => {
                if st
                    .line
                    .as_ref()
                    .is_none_or(|l| (l.record, l.at) != (t.record, at))
                {
                    st.line = Some(Line::new(t.record, at, set.find_all_bytes(line)));
                }
                st.line
                    .as_ref()
                    .and_then(|l| l.occurrence(t.finding, n))
                    .map(|f| keywords_near(d, line, f))
                    .unwrap_or_default()
            }
            None => Vec::new(),
        };
        let header_hint = t.line.is_none() && header_names(d, t.field);
        let full_id = Confidence::is_full_id(d, t.finding);
        let evidence = Evidence {
            validator: d.validator.map(Validator::name),
            checksum: full_id || d.validator == Some(Validator::Luhn),
            full_id,
            header_hint,
            keywords,
        };
        let field = st
            .fields
            .entry(t.field.to_string())
            .or_insert_with(|| safe_field_name(set, t.field))
            .clone();
        st.out.push(Explained {
            record: t.record,
            field,
            detector: d.id.clone(),
            masked: d.masker.mask(&t.finding.normalised),
            subject_key: t.is_key,
            confidence: evidence.confidence(),
            evidence,
        });
    };
    let mut ctx = Ctx::new(set, &key, reference);
    ctx.trace = Some(&trace);
    let results = read::read_source(path, meta.len(), &ctx);
    let mut findings = state.into_inner().expect("explain lock").out;
    findings.sort_by_key(|e| e.record);
    let sources = results
        .iter()
        .map(|r| SourceInfo {
            path: r.path.clone(),
            format: r.format.clone(),
            encoding: r.encoding.clone(),
            status: format!("{:?}", r.status).to_lowercase(),
            reason: r.reason.clone(),
            records: r.acc.records,
        })
        .collect();
    Ok(Explanation {
        path: path.display().to_string(),
        sources,
        findings,
    })
}

/// What the trace keeps while a file is read. Normalised values stay in here, never in the
/// output: they tell repeated values on one line apart.
#[derive(Default)]
struct State {
    out: Vec<Explained>,
    /// (record, line address, detector, value) → occurrences seen so far.
    seen: HashMap<(u64, usize, usize, smol_str::SmolStr), usize>,
    /// The findings of the current line, searched on the line alone.
    line: Option<Line>,
    /// Field name → the name printed (withheld when it holds PI).
    fields: HashMap<String, String>,
}

/// The findings of one line of text, searched on the line alone (a text finding's offsets are
/// its chunk's; a line is a record, so the line alone gives the same findings), indexed by
/// value so that a line with many findings costs no more than one search.
struct Line {
    record: u64,
    /// The line's address: tells two lines with the same number apart (archive members).
    at: usize,
    found: Vec<Finding>,
    /// (detector, value) → indices into `found`, in order.
    index: HashMap<(usize, smol_str::SmolStr), Vec<usize>>,
}

impl Line {
    fn new(record: u64, at: usize, found: Vec<Finding>) -> Line {
        let mut index: HashMap<_, Vec<usize>> = HashMap::new();
        for (i, f) in found.iter().enumerate() {
            index
                .entry((f.detector, f.normalised.clone()))
                .or_default()
                .push(i);
        }
        Line {
            record,
            at,
            found,
            index,
        }
    }

    /// The `nth` occurrence on the line of `f`'s value.
    fn occurrence(&self, f: &Finding, nth: usize) -> Option<&Finding> {
        let i = *self
            .index
            .get(&(f.detector, f.normalised.clone()))?
            .get(nth)?;
        Some(&self.found[i])
    }
}

/// Does the field's header name the detector? A sheet's `Sheet1!手机` and a JSON path's
/// `user.contact.mobile` are judged by their last part too.
fn header_names(d: &Detector, field: &str) -> bool {
    let last = field.rsplit(['!', '.']).next().unwrap_or(field);
    d.header_matches(field) || d.header_matches(last)
}

/// The field's name, unless it holds PI itself (a header row that is really data).
fn safe_field_name(set: &DetectorSet, field: &str) -> String {
    if set.find_all(field).is_empty() {
        field.to_string()
    } else {
        "(name withheld: it holds personal information)".to_string()
    }
}

/// The detector's keywords within its window around `at`, a finding on `line`.
fn keywords_near(d: &Detector, line: &[u8], at: &Finding) -> Vec<String> {
    let lo = window_before(line, at.start, d.window);
    let hi = window_after(line, at.end, d.window);
    let mut out = Vec::new();
    for kw in &d.keywords {
        let found = [(lo, at.start), (at.end, hi)]
            .into_iter()
            .any(|(s, e)| contains_keyword(&line[s..e], kw.as_bytes()));
        if found && !out.contains(kw) {
            out.push(kw.clone());
        }
    }
    out
}

/// Whether `kw` (lower-case) occurs in `hay`, ignoring ASCII case; an ASCII keyword must be a
/// word of its own (`mtp` in `smtp` is not the keyword), as the detectors require.
fn contains_keyword(hay: &[u8], kw: &[u8]) -> bool {
    if kw.is_empty() || hay.len() < kw.len() {
        return false;
    }
    (0..=hay.len() - kw.len()).any(|i| {
        let end = i + kw.len();
        hay[i..end].eq_ignore_ascii_case(kw) && {
            let glued_before = kw[0].is_ascii_alphanumeric() && i > 0 && is_word_byte(hay[i - 1]);
            let glued_after = kw[kw.len() - 1].is_ascii_alphanumeric()
                && end < hay.len()
                && is_word_byte(hay[end]);
            !glued_before && !glued_after
        }
    })
}

/// How confidence is decided, for the foot of the text listing.
pub const CONFIDENCE_RULE: &str = "confidence: high = an 18-character resident ID, or a checksum \
    (gb11643, luhn) with a keyword or header; medium = a checksum, or a keyword or header, alone; \
    low = only the pattern (and a format check) matched";

impl Explanation {
    /// The listing `pipl-scan explain` prints: masked values only.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        for src in &self.sources {
            let _ = write!(
                s,
                "{}: {}{}, {}, {} records",
                src.path,
                src.format,
                src.encoding
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default(),
                src.status,
                src.records
            );
            if let Some(r) = &src.reason {
                let _ = write!(s, " — {r}");
            }
            s.push('\n');
        }
        if self.sources.len() > 1 {
            let _ = writeln!(
                s,
                "(an archive: record numbers count within each member, and the listing does not \
                 say which member a finding is in)"
            );
        }
        let _ = writeln!(s, "{} findings", self.findings.len());
        if self.findings.is_empty() {
            return s;
        }
        let rows: Vec<[String; 7]> = self
            .findings
            .iter()
            .map(|e| {
                [
                    e.record.to_string(),
                    e.field.clone(),
                    e.detector.clone(),
                    e.masked.clone(),
                    if e.subject_key { "yes" } else { "no" }.to_string(),
                    e.confidence.name().to_string(),
                    evidence_text(&e.evidence),
                ]
            })
            .collect();
        let head = [
            "RECORD",
            "FIELD",
            "DETECTOR",
            "VALUE",
            "KEY",
            "CONFIDENCE",
            "EVIDENCE",
        ];
        let mut widths = head.map(width);
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(width(c));
            }
        }
        let mut line = |cells: &[&str]| {
            for (i, c) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    s.push_str(c);
                } else {
                    let pad = widths[i] + 2 - width(c);
                    s.push_str(c);
                    s.extend(std::iter::repeat_n(' ', pad));
                }
            }
            s.push('\n');
        };
        line(&head);
        for r in &rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            line(&cells);
        }
        let _ = writeln!(s, "{CONFIDENCE_RULE}");
        s
    }
}

/// Columns `s` takes in a terminal: Hanzi and full-width forms take two (field names are often
/// Chinese headers), everything else one.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

fn evidence_text(e: &Evidence) -> String {
    let mut parts = Vec::new();
    match (e.validator, e.checksum) {
        (Some(v), true) => parts.push(format!("{v} checksum")),
        (Some(v), false) => parts.push(format!("{v} format")),
        (None, _) => parts.push("pattern".to_string()),
    }
    if e.full_id {
        parts.push("18-character ID".to_string());
    }
    if e.header_hint {
        parts.push("header names it".to_string());
    }
    if !e.keywords.is_empty() {
        parts.push(format!("keywords: {}", e.keywords.join(", ")));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(checksum: bool, full_id: bool, header: bool, kw: bool) -> Evidence {
        Evidence {
            validator: None,
            checksum,
            full_id,
            header_hint: header,
            keywords: if kw { vec!["tel".into()] } else { Vec::new() },
        }
    }

    #[test]
    fn confidence_follows_the_documented_rule() {
        use Confidence::*;
        assert_eq!(evidence(true, true, false, false).confidence(), High);
        assert_eq!(evidence(true, false, true, false).confidence(), High);
        assert_eq!(evidence(true, false, false, true).confidence(), High);
        assert_eq!(evidence(true, false, false, false).confidence(), Medium);
        assert_eq!(evidence(false, false, true, false).confidence(), Medium);
        assert_eq!(evidence(false, false, false, true).confidence(), Medium);
        assert_eq!(evidence(false, false, false, false).confidence(), Low);
    }

    #[test]
    fn keywords_must_stand_alone_and_ignore_ascii_case() {
        assert!(contains_keyword(b"Tel: ", b"tel"));
        assert!(!contains_keyword(b"hotel ", b"tel"));
        assert!(contains_keyword("手机号".as_bytes(), "手机".as_bytes()));
        assert!(!contains_keyword(b"", b"tel"));
    }

    #[test]
    fn keywords_are_found_around_the_right_occurrence() {
        let set = DetectorSet::load(None).unwrap();
        let mobile = set.index_of("cn-mobile").unwrap();
        let d = set.get(mobile);
        // The same number twice: only the second one has a keyword within 20 characters.
        let line = "13812345678 ..............................手机 13812345678".as_bytes();
        let found = set.find_all_bytes(line);
        assert_eq!(found.len(), 2);
        let l = Line::new(2, 0, found.clone());
        let first = l.occurrence(&found[1], 0).unwrap();
        let second = l.occurrence(&found[0], 1).unwrap();
        assert!(keywords_near(d, line, first).is_empty());
        assert_eq!(keywords_near(d, line, second), vec!["手机"]);
        assert!(l.occurrence(&found[0], 2).is_none());
    }
}
