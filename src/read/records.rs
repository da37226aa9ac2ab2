//! Records of named fields — rows of a table, JSON objects, SQL rows — fed to the detectors.
//!
//! Structured readers (CSV, spreadsheets, JSON, Parquet, SQL dumps) all end here: they register
//! their fields once ([`RecordScanner::field`], which also works out which detectors the header
//! names) and then hand over one record at a time as `(field id, value)` pairs. Each value is
//! scanned on its own, with the field's header hints standing in for context keywords, and the
//! record's findings together give its one subject (see [`crate::subject`]). Per field it also
//! keeps the [`FieldStats`] that [`crate::classify`] decides a column's kind from.

use super::Ctx;
use super::memo::{self, Memo};
use crate::classify::{self, FieldStats};
use crate::confidence::Confidence;
use std::collections::BTreeMap;

use crate::detect::{Caches, CachesGuard, Finding};
use crate::inventory::{DetAcc, FindingHasher, SourceAcc};
use crate::subject;

struct Field {
    name: String,
    /// One flag per detector: does the header name it?
    hinted: Vec<bool>,
    /// The header names a detector whose patterns need context, so the field's values are
    /// searched on their own with its hints; others share one search per record.
    own_search: bool,
    /// The header names a header-driven detector (a name, an address): each value is also
    /// matched whole against it.
    header_driven: bool,
    stats: FieldStats,
    /// Indexed by detector: the values it validated in (see [`count_validated`]).
    validated: Vec<u64>,
    /// Indexed by detector: what it found here; moved into the source's accumulation at the
    /// end (kept by field id and detector index so that a finding costs no lookup).
    found: Vec<Option<DetAcc>>,
    /// Findings of values seen before, for columns whose values repeat.
    memo: Memo,
    /// Per detector, the confidence of its findings here (but an 18-character resident ID,
    /// always high); filled at the field's first commit.
    confidence: Vec<Confidence>,
    /// Per detector: its findings here are not counted — the header names the column as
    /// something else (学号, order_id, IMEI), or the column is numbering (see
    /// [`RecordScanner::settle`]).
    vetoed: Vec<bool>,
    /// Excel visibly damaged the column: its resident IDs ending in 000 are not counted.
    damaged_ids: bool,
}

/// Accumulates the findings of one source (or one part of it, merged later).
pub struct RecordScanner<'c, 'a> {
    ctx: &'c Ctx<'a>,
    fields: Vec<Field>,
    /// Field name → id (JSON records have many fields, looked up per record: foldhash, not
    /// the default SipHash, since the names come from the file and no table outlives it).
    index: std::collections::HashMap<String, usize, foldhash::fast::RandomState>,
    acc: SourceAcc,
    /// The current record's findings, and the field id of each.
    findings: Vec<Finding>,
    finding_fields: Vec<usize>,
    /// The keyed hash of each finding (see [`crate::inventory::finding_hash`]) when already known.
    hashes: Vec<Hashed>,
    /// Bytes the fields' memos may still take.
    memo_budget: usize,
    /// The record's other values, joined by newlines for one search (see [`Self::record`]).
    joint: Vec<u8>,
    /// (offset in `joint`, field id) of each value in it.
    joint_fields: Vec<(usize, usize)>,
    /// (start, end, field id) of the values in `joint` whose header names a context detector.
    joint_parts: Vec<(usize, usize, usize)>,
    /// Hashes findings (see [`crate::inventory::finding_hash`]).
    hasher: FindingHasher,
    /// This scanner's search state (a scanner lives on one thread), lent by the set's pool.
    caches: CachesGuard<'a>,
    /// Header-driven and memorised findings (with their hashes when known) of the values
    /// gathered by [`Self::find_column`], by value index.
    column_head: Vec<(usize, Finding, Hashed)>,
    /// A value's findings and their hashes, to memorise.
    scratch: Vec<Finding>,
    scratch_hashes: Vec<u64>,
    /// The committed record's identifiers (128-bit hash, detector index), for linking.
    ids: Vec<(crate::link::Id, u8)>,
    /// The committed record's findings' confidences.
    confs: Vec<Confidence>,

    /// The first records with findings, held back until [`HEAD`] of them settle the column
    /// verdicts (see [`Self::settle`]); `None` once settled.
    head: Option<Vec<Pending>>,
    /// Some field vetoes a detector or has damaged IDs (see [`Self::drop_vetoed`]).
    vetoing: bool,
    /// Per finding of the record: kept by [`Self::retain_findings`].
    keep: Vec<bool>,
    /// The resident-ID detector's index.
    resident_id: Option<usize>,
}

/// A record with findings held back by the head (see [`RecordScanner::settle`]).
struct Pending {
    record: u64,
    findings: Vec<Finding>,
    fields: Vec<usize>,
    hashes: Vec<Hashed>,
}

/// Records with findings a scanner holds back to judge its columns as a whole: a value alone
/// cannot tell a phone from a member number in a numbered column, or a real ID from one Excel
/// cut to 15 digits.
const HEAD: usize = 256;
/// Mobile-shaped values of one field the numbering verdict needs in the head.
const MIN_NUMBERING: usize = 8;

/// What is known of a record's finding's keyed hash when the record is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hashed {
    /// Not yet computed (a finding of the record's joint search).
    Unknown,
    Known(u64),
    /// A memorised value this field has held before, in this scanner: its finding already went
    /// into the field's distinct-count sketch and was offered as a sample, so counting the
    /// match is all that is left to do (a sketch insert is idempotent; so is a sample offer).
    Repeat(u64),
}

/// A finding of a value handed out by [`RecordScanner::find_column`]: the value's tag, the
/// finding, and its keyed hash when already known (a memorised value's).
pub type ColumnHit = (u32, Finding, Hashed);

/// Most values [`RecordScanner::find_column`] gathers before handing out their findings.
const COLUMN_VALUES: usize = 1 << 16;
/// Bytes of a column's values searched at once by [`RecordScanner::find_column`].
const COLUMN_JOINT: usize = 256 << 10;

impl<'c, 'a> RecordScanner<'c, 'a> {
    pub fn new(ctx: &'c Ctx<'a>) -> Self {
        RecordScanner {
            ctx,
            fields: Vec::new(),
            index: std::collections::HashMap::default(),
            acc: SourceAcc::default(),
            findings: Vec::new(),
            finding_fields: Vec::new(),
            hashes: Vec::new(),
            memo_budget: memo::BUDGET,
            joint: Vec::new(),
            joint_fields: Vec::new(),
            joint_parts: Vec::new(),
            column_head: Vec::new(),
            scratch: Vec::new(),
            scratch_hashes: Vec::new(),
            ids: Vec::new(),
            confs: Vec::new(),
            head: Some(Vec::new()),
            vetoing: false,
            keep: Vec::new(),
            resident_id: ctx.set.index_of("cn-resident-id"),
            hasher: FindingHasher::new(ctx.set, ctx.key),
            caches: ctx.set.caches(),
        }
    }

    /// Registers a field and returns its id; the same name always gets the same id.
    pub fn field(&mut self, name: &str) -> usize {
        self.field_labeled(name, name)
    }

    /// Registers a field whose header hints come from `label`, not from its whole name: a
    /// sheet's `员工!姓名` is labelled `姓名`, a JSON path `data.list[].xm` is labelled `xm`
    /// (short hints must match a label exactly).
    pub fn field_labeled(&mut self, name: &str, label: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.index.insert(name.to_string(), self.fields.len());
        // `email_count` names what is counted, not what the column holds: no hints.
        let (mut hinted, vetoed) = self.ctx.set.header_flags(label);
        if classify::is_count_header(label) {
            hinted.fill(false);
        }
        let stats = FieldStats {
            hinted: (0..hinted.len()).filter(|&d| hinted[d]).collect(),
            ..FieldStats::default()
        };
        let set = self.ctx.set;
        let own_search = stats.hinted.iter().any(|&d| {
            set.get(d)
                .patterns
                .iter()
                .any(|p| p.requires_context && !p.requires_header)
        });
        let header_driven = stats
            .hinted
            .iter()
            .any(|&d| set.get(d).patterns.iter().any(|p| p.requires_header));
        // A header that names the column as something else (学号, order_id, IMEI) vetoes
        // those detectors in it: their findings there are dropped as the record commits.
        self.vetoing |= vetoed.contains(&true);
        self.fields.push(Field {
            name: name.to_string(),
            hinted,
            own_search,
            header_driven,
            stats,
            validated: Vec::new(),
            found: Vec::new(),
            memo: Memo::default(),
            confidence: Vec::new(),
            vetoed,
            damaged_ids: false,
        });
        self.fields.len() - 1
    }

    pub fn field_name(&self, id: usize) -> &str {
        &self.fields[id].name
    }

    /// Adds one record. Empty values are fine (they find nothing).
    ///
    /// Values whose header hints change nothing are joined with newlines and searched at once:
    /// no pattern matches a newline and context windows stop at one, so this finds exactly
    /// what one search per value would, without the per-search overhead on short values.
    pub fn record<'v>(&mut self, values: impl IntoIterator<Item = (usize, &'v [u8])>) {
        self.acc.records += 1;
        self.findings.clear();
        self.finding_fields.clear();
        self.hashes.clear();
        self.joint.clear();
        self.joint_fields.clear();
        self.joint_parts.clear();
        for (fid, value) in values {
            let field = &mut self.fields[fid];
            if !admit(&mut field.stats, value) {
                continue;
            }
            let before = self.findings.len();
            if field.memo.applies(value) {
                // A repeat costs a lookup; a new value is searched on its own and memorised.
                if let Some((findings, hashes)) = field.memo.get(value) {
                    self.findings.extend_from_slice(findings);
                    self.hashes
                        .extend(hashes.iter().copied().map(Hashed::Repeat));
                } else {
                    let hashes = &mut self.scratch_hashes;
                    hashes.clear();
                    let searcher = (self.ctx, &mut *self.caches, &self.hasher);
                    let budget = &mut self.memo_budget;
                    search_and_memorise(searcher, field, value, budget, &mut self.findings, hashes);
                    self.hashes
                        .extend(hashes.iter().copied().map(Hashed::Known));
                }
            } else {
                if field.header_driven {
                    let findings = &mut self.findings;
                    self.ctx.set.find_header_only_in(
                        &mut self.caches,
                        value,
                        &field.hinted,
                        &mut |f| findings.push(f),
                    );
                }
                let at = self.joint.len();
                if field.own_search {
                    // Its header names a context detector: that detector's patterns also run
                    // over this value's span of the joint search, with the header's hints.
                    self.joint_parts.push((at, at + value.len(), fid));
                }
                self.joint_fields.push((at, fid));
                self.joint.extend_from_slice(value);
                self.joint.push(b'\n');
            }
            count_validated(&mut field.validated, detectors(&self.findings[before..]));
            self.finding_fields.resize(self.findings.len(), fid);
            self.hashes.resize(self.findings.len(), Hashed::Unknown);
        }
        if !self.joint.is_empty() {
            let before = self.findings.len();
            let fields = &self.fields;
            self.ctx.set.find_with_parts_in(
                &mut self.caches,
                &self.joint,
                &[],
                &self.joint_parts,
                |fid| &fields[fid].hinted,
                &mut self.findings,
            );
            // Findings come in order of position, so a value's findings are adjacent.
            let map = &self.joint_fields;
            let mut k = 0;
            let mut i = before;
            while i < self.findings.len() {
                while k + 1 < map.len() && map[k + 1].0 <= self.findings[i].start {
                    k += 1;
                }
                let next = map.get(k + 1).map_or(usize::MAX, |&(at, _)| at);
                let j = i + self.findings[i..]
                    .iter()
                    .take_while(|f| f.start < next)
                    .count();
                let fid = map[k].1;
                let counts = &mut self.fields[fid].validated;
                count_validated(counts, detectors(&self.findings[i..j]));
                self.finding_fields.resize(j, fid);
                self.hashes.resize(j, Hashed::Unknown);
                i = j;
            }
        }
        self.commit();
    }

    pub fn finish(mut self) -> SourceAcc {
        self.settle();
        // Sorted here, on this scanner's thread: parts of a file merge linearly after.
        self.acc.links.compact();
        for mut f in self.fields {
            // A vetoed detector did not validate in the column: no classification by it.
            for (n, _) in f.validated.iter_mut().zip(&f.vetoed).filter(|(_, v)| **v) {
                *n = 0;
            }
            for (d, &n) in f.validated.iter().enumerate().filter(|(_, n)| **n > 0) {
                *f.stats.validated.entry(d).or_default() += n;
            }
            let found: BTreeMap<usize, DetAcc> = std::mem::take(&mut f.found)
                .into_iter()
                .enumerate()
                .filter_map(|(d, acc)| acc.map(|a| (d, a)))
                .collect();
            self.acc.merge_field(f.name.clone(), found);
            if f.stats.values > 0 || !f.stats.hinted.is_empty() {
                self.acc
                    .field_stats
                    .entry(f.name)
                    .or_default()
                    .merge(&f.stats);
            }
        }
        self.acc
    }

    /// Runs the detectors over one value of a field as [`RecordScanner::record`] would, without
    /// recording anything: for readers that scan a distinct value once and reuse its findings
    /// for every record that holds it (Parquet dictionaries) or that scan column by column. The
    /// reader then calls [`RecordScanner::count_value`] for each occurrence and
    /// [`RecordScanner::record_findings`] for each record.
    pub fn find(&mut self, fid: usize, value: &[u8], out: &mut Vec<Finding>) {
        let trimmed = value.trim_ascii();
        if trimmed.is_empty() || !searchable(trimmed) {
            return;
        }
        search_alone(self.ctx, &mut self.caches, &self.fields[fid], value, out);
    }

    /// Runs the detectors over many values of one field — a column of a batch — and counts
    /// each in the field's statistics, finding what [`RecordScanner::find`] would value by
    /// value, in one search: the values are joined by newlines (no pattern matches a newline
    /// and context windows stop at one, as for a record's values in [`Self::record`]), which
    /// spares a search's set-up per value and lets the literal prefilters run over a long
    /// haystack. A column whose values repeat goes through the field's memo as in
    /// [`Self::record`]. Appends a [`ColumnHit`] for each finding, value by value in the order
    /// given, offsets relative to the value. Values over [`COLUMN_JOINT`] bytes are searched
    /// alone (the joint copy stays bounded).
    pub fn find_column<'v>(
        &mut self,
        fid: usize,
        values: impl IntoIterator<Item = (u32, &'v [u8])>,
        out: &mut Vec<ColumnHit>,
    ) {
        self.joint.clear();
        self.joint_fields.clear();
        self.column_head.clear();
        for (tag, value) in values {
            let field = &mut self.fields[fid];
            if !admit(&mut field.stats, value) {
                continue;
            }
            if value.len() > COLUMN_JOINT {
                self.flush_column(fid, out);
                let before = self.findings.len();
                search_alone(
                    self.ctx,
                    &mut self.caches,
                    &self.fields[fid],
                    value,
                    &mut self.findings,
                );
                let found = detectors(&self.findings[before..]);
                count_validated(&mut self.fields[fid].validated, found);
                out.extend(
                    self.findings
                        .drain(before..)
                        .map(|f| (tag, f, Hashed::Unknown)),
                );
                continue;
            }
            let k = self.joint_fields.len();
            if field.memo.applies(value) {
                // Through the memo, as in `record`: a repeat's findings are known; a new value
                // is searched on its own and memorised at once (so that the memo's judgement
                // sees repeats from the start). Either way it takes no place in the search.
                let head = &mut self.column_head;
                if let Some((found, hashes)) = field.memo.get(value) {
                    head.extend(
                        found
                            .iter()
                            .zip(hashes)
                            .map(|(f, &h)| (k, f.clone(), Hashed::Repeat(h))),
                    );
                } else {
                    let (found, hashes) = (&mut self.scratch, &mut self.scratch_hashes);
                    found.clear();
                    hashes.clear();
                    let searcher = (self.ctx, &mut *self.caches, &self.hasher);
                    let budget = &mut self.memo_budget;
                    search_and_memorise(searcher, field, value, budget, found, hashes);
                    let hashes = self.scratch_hashes.iter().map(|&h| Hashed::Known(h));
                    head.extend(self.scratch.drain(..).zip(hashes).map(|(f, h)| (k, f, h)));
                }
                self.joint_fields.push((self.joint.len(), tag as usize));
                if self.joint_fields.len() >= COLUMN_VALUES {
                    self.flush_column(fid, out);
                }
                continue;
            }
            if field.header_driven {
                let head = &mut self.column_head;
                self.ctx.set.find_header_only_in(
                    &mut self.caches,
                    value,
                    &field.hinted,
                    &mut |f| head.push((k, f, Hashed::Unknown)),
                );
            }
            self.joint_fields.push((self.joint.len(), tag as usize));
            self.joint.extend_from_slice(value);
            self.joint.push(b'\n');
            if self.joint.len() >= COLUMN_JOINT {
                self.flush_column(fid, out);
            }
        }
        self.flush_column(fid, out);
    }

    /// Searches the values gathered by [`Self::find_column`] and hands out their findings.
    fn flush_column(&mut self, fid: usize, out: &mut Vec<ColumnHit>) {
        if self.joint_fields.is_empty() {
            return;
        }
        self.joint_parts.clear();
        if self.fields[fid].own_search {
            // The field's context detectors run over every value (see `search_alone`).
            self.joint_parts.push((0, self.joint.len(), fid));
        }
        let base = self.findings.len();
        let fields = &self.fields;
        if !self.joint.is_empty() {
            self.ctx.set.find_with_parts_in(
                &mut self.caches,
                &self.joint,
                &[],
                &self.joint_parts,
                |f| &fields[f].hinted,
                &mut self.findings,
            );
        }
        // Findings come in order of position; header-driven and memorised ones were made value
        // by value.
        let mut found = self.findings.drain(base..).peekable();
        let mut head = self.column_head.drain(..).peekable();
        let field = &mut self.fields[fid];
        for (k, &(at, tag)) in self.joint_fields.iter().enumerate() {
            if head.peek().is_none() && found.peek().is_none() {
                // The remaining values found nothing (their statistics were counted already).
                break;
            }
            let end = self
                .joint_fields
                .get(k + 1)
                .map_or(self.joint.len(), |&(n, _)| n);
            let before = out.len();
            while let Some((_, f, h)) = head.next_if(|h| h.0 == k) {
                out.push((tag as u32, f, h));
            }
            while let Some(mut f) = found.next_if(|f| f.start < end) {
                f.start -= at;
                f.end -= at;
                out.push((tag as u32, f, Hashed::Unknown));
            }
            let value = &out[before..];
            count_validated(&mut field.validated, value.iter().map(|h| h.1.detector));
        }
        drop(found);
        self.joint.clear();
        self.joint_fields.clear();
    }

    /// Counts one occurrence of `value` in field `fid`, whose findings are `found` (from
    /// [`RecordScanner::find`]), in the field's statistics, as [`RecordScanner::record`] does.
    pub fn count_value<'f>(
        &mut self,
        fid: usize,
        value: &[u8],
        found: impl Iterator<Item = &'f Finding> + Clone,
    ) {
        let field = &mut self.fields[fid];
        if admit(&mut field.stats, value) {
            count_validated(&mut field.validated, found.map(|f| f.detector));
        }
    }

    /// The keyed hash of a finding (see [`crate::inventory::finding_hash`]), for a reader that
    /// keeps findings of values it has seen, to hand to [`Self::record_findings`].
    pub fn hash(&self, f: &Finding) -> u64 {
        self.hasher.hash(f)
    }

    /// The record's findings (in `self.findings`) → its subject, into the accumulator; held
    /// back while the head is open.
    fn commit(&mut self) {
        if self.findings.is_empty() {
            return;
        }
        if let Some(head) = &mut self.head {
            head.push(Pending {
                record: self.acc.records,
                findings: std::mem::take(&mut self.findings),
                fields: std::mem::take(&mut self.finding_fields),
                hashes: std::mem::take(&mut self.hashes),
            });
            if head.len() >= HEAD {
                self.settle();
            }
            return;
        }
        if self.vetoing {
            self.drop_vetoed();
            if self.findings.is_empty() {
                return;
            }
        }
        self.commit_now(self.acc.records);
    }

    /// Decides the column verdicts from the held-back head, then commits its records.
    fn settle(&mut self) {
        let Some(head) = self.head.take() else {
            return;
        };
        self.verdicts(&head);
        let saved = (
            std::mem::take(&mut self.findings),
            std::mem::take(&mut self.finding_fields),
            std::mem::take(&mut self.hashes),
        );
        for p in head {
            self.findings = p.findings;
            self.finding_fields = p.fields;
            self.hashes = p.hashes;
            if self.vetoing {
                self.drop_vetoed();
            }
            if !self.findings.is_empty() {
                self.commit_now(p.record);
            }
        }
        (self.findings, self.finding_fields, self.hashes) = saved;
    }

    /// The verdicts on the head's columns (see [`classify::Verdict`]): set on the fields and
    /// recorded in their statistics.
    fn verdicts(&mut self, head: &[Pending]) {
        let set = self.ctx.set;
        let mut out = Vec::new();
        let mobile = set.index_of("cn-mobile");
        let mut numbers: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
        for p in head {
            for (f, &fid) in p.findings.iter().zip(&p.fields) {
                if Some(f.detector) == mobile
                    && let Ok(n) = f.normalised.parse::<u64>()
                {
                    numbers.entry(fid).or_default().push(n);
                }
            }
        }
        for (fid, mut v) in numbers {
            // Distinct values: one phone repeated down a column is one phone, not a range.
            let mut seen = std::collections::HashSet::new();
            v.retain(|n| seen.insert(*n));
            // A header that names the column a phone column is believed: a company's block of
            // consecutive numbers, listed in order, is still its employees' phones.
            let named = mobile.is_some_and(|m| self.fields[fid].hinted.get(m) == Some(&true));
            if !named && v.len() >= MIN_NUMBERING && is_numbering(&v) {
                out.push((fid, mobile.unwrap_or(0), classify::Verdict::Numbering));
            }
        }
        let id = set.index_of("cn-resident-id");
        for (fid, field) in self.fields.iter().enumerate() {
            let st = &field.stats;
            // Where a fifth of a column's long numbers are visibly damaged by Excel (zeroed
            // tails, scientific notation), an ID ending in 000 there is a damaged one that
            // still passes its check digit by chance (one in eleven do), not an ID: such values
            // are not counted. The column's intact IDs (cells stored as text) still count. A
            // real ID ends in 000 about once in a thousand.
            let long = st.digits18 + st.damaged_numbers;
            let damaged = st.zero_tail18 + st.damaged_numbers;
            if let Some(d) = id
                && long >= MIN_NUMBERING as u64
                && damaged * 5 >= long
                && st.zero_tail18 > 0
            {
                out.push((fid, d, classify::Verdict::DamagedIds));
            }
        }
        for (fid, d, v) in out {
            let field = &mut self.fields[fid];
            field.stats.verdicts.push((d, v));
            // Numbering vetoes the detector in the column; damage only the zero-tailed IDs.
            match v {
                classify::Verdict::Numbering => field.vetoed[d] = true,
                classify::Verdict::DamagedIds => field.damaged_ids = true,
            }
            self.vetoing = true;
        }
    }

    /// Drops the current record's findings that their column vetoes.
    fn drop_vetoed(&mut self) {
        let fields = &self.fields;
        let id = self.resident_id;
        self.keep.clear();
        self.keep.extend(
            self.findings
                .iter()
                .zip(&self.finding_fields)
                .map(|(f, &fid)| {
                    let field = &fields[fid];
                    !(field.vetoed.get(f.detector) == Some(&true)
                        || (field.damaged_ids
                            && Some(f.detector) == id
                            && f.normalised.ends_with("000")))
                }),
        );
        self.retain_findings(false);
    }

    /// Keeps the current record's findings whose [`Self::keep`] flag is set, in order, with
    /// their fields, hashes and (`with_confs`) confidences. Moves nothing when all are kept.
    fn retain_findings(&mut self, with_confs: bool) {
        if self.keep.iter().all(|&k| k) {
            return;
        }
        let mut w = 0;
        for r in 0..self.findings.len() {
            if !self.keep[r] {
                continue;
            }
            self.findings.swap(w, r);
            self.finding_fields.swap(w, r);
            self.hashes.swap(w, r);
            if with_confs {
                self.confs.swap(w, r);
            }
            w += 1;
        }
        self.findings.truncate(w);
        self.finding_fields.truncate(w);
        self.hashes.truncate(w);
        if with_confs {
            self.confs.truncate(w);
        }
    }

    /// Commits the record's findings (record number `record`, for the trace).
    fn commit_now(&mut self, record: u64) {
        let set = self.ctx.set;
        // Each finding's confidence: the field's header stands for a keyword in tables.
        self.confs.clear();
        for (f, &fid) in self.findings.iter().zip(&self.finding_fields) {
            // Known per field and detector but for a full resident ID (worked out once: the
            // rule's inputs here are the detector's and the header's).
            let field = &mut self.fields[fid];
            if field.confidence.is_empty() {
                field.confidence = (0..set.len())
                    .map(|d| Confidence::base(set.get(d), field.hinted.get(d) == Some(&true)))
                    .collect();
            }
            let d = set.get(f.detector);
            let conf = if Confidence::is_full_id(d, f) {
                Confidence::High
            } else {
                field.confidence[f.detector]
            };
            self.confs.push(conf);
        }
        if self.ctx.min_confidence > Confidence::Low {
            let min = self.ctx.min_confidence;
            self.keep.clear();
            self.keep.extend(self.confs.iter().map(|&c| c >= min));
            self.retain_findings(true);
            if self.findings.is_empty() {
                return;
            }
        }
        for (((f, &fid), h), &conf) in self
            .findings
            .iter()
            .zip(&self.finding_fields)
            .zip(&mut self.hashes)
            .zip(&self.confs)
        {
            let (hash, repeat) = match *h {
                Hashed::Unknown => (self.hasher.hash(f), false),
                Hashed::Known(hash) => (hash, false),
                Hashed::Repeat(hash) => (hash, true),
            };
            *h = Hashed::Known(hash);
            let found = &mut self.fields[fid].found;
            if found.len() <= f.detector {
                found.resize_with(f.detector + 1, || None);
            }
            let acc = found[f.detector].get_or_insert_with(DetAcc::default);
            if repeat {
                acc.add_repeat(conf);
            } else {
                acc.add(set, f, hash, conf);
            }
        }
        let subject = subject::classify(set, &self.findings, self.ctx.reference);
        if let Some(trace) = self.ctx.trace {
            for (i, (f, &fid)) in self.findings.iter().zip(&self.finding_fields).enumerate() {
                trace(super::Traced {
                    record,
                    field: &self.fields[fid].name,
                    finding: f,
                    is_key: subject.key_finding == Some(i),
                    line: None,
                });
            }
        }
        let h = subject.key_finding.and_then(|i| match self.hashes[i] {
            Hashed::Known(h) | Hashed::Repeat(h) => Some(h),
            Hashed::Unknown => None,
        });
        self.acc.add_subject(h, &subject, true);
        if let Some(k) = subject.key_finding {
            // The record's identifiers, for counting people (see `crate::link`). Every hash is
            // known once the loop above has run.
            let pairs = self
                .findings
                .iter()
                .zip(&self.hashes)
                .map(|(f, h)| match *h {
                    Hashed::Known(h) | Hashed::Repeat(h) => (f, h),
                    Hashed::Unknown => (f, self.hasher.hash(f)),
                });
            self.acc
                .add_links(set, &self.hasher, pairs, k, &subject, &mut self.ids);
            self.ctx.bound_links(&mut self.acc);
        }
    }

    /// Adds one record whose findings were made by [`RecordScanner::find`].
    /// Each finding comes with its field and, when known, its keyed hash.
    pub fn record_findings(
        &mut self,
        findings: impl IntoIterator<Item = (usize, Finding, Hashed)>,
    ) {
        self.acc.records += 1;
        self.findings.clear();
        self.finding_fields.clear();
        self.hashes.clear();
        for (fid, f, h) in findings {
            self.findings.push(f);
            self.finding_fields.push(fid);
            self.hashes.push(h);
        }
        self.commit();
    }

    /// Counts records known to hold nothing a detector could find (all their values empty or
    /// of types that cannot hold PI), without scanning them.
    pub fn empty_records(&mut self, n: u64) {
        self.acc.records += n;
    }

    /// Adds a warning about the source (kept with its accumulation).
    pub fn warn(&mut self, message: String) {
        self.acc.warnings.push(message);
    }

    /// Merges what another reader (e.g. a text fallback) found in the same source.
    pub fn merge_acc(&mut self, other: SourceAcc) {
        self.acc.merge(other);
    }

    /// Records read so far.
    pub fn records(&self) -> u64 {
        self.acc.records
    }
}

/// The findings of one value of `field`, searched on its own, as [`RecordScanner::record`]
/// finds them. Hints change the search only for fields that search on their own; that search
/// also matches the header-driven detectors.
fn search_alone(
    ctx: &Ctx,
    caches: &mut Caches,
    field: &Field,
    value: &[u8],
    out: &mut Vec<Finding>,
) {
    if field.own_search {
        ctx.set.find_into_in(caches, value, &field.hinted, out);
    } else {
        if field.header_driven {
            ctx.set
                .find_header_only_in(caches, value, &field.hinted, &mut |f| out.push(f));
        }
        ctx.set.find_into_in(caches, value, &[], out);
    }
}

/// Counts a non-empty value in its field's statistics and says whether it is searched: six
/// digits or fewer hold no identifier (and no header-driven value is a number), and a number
/// Excel wrote in floating point has lost its digits.
fn admit(st: &mut FieldStats, value: &[u8]) -> bool {
    let trimmed = value.trim_ascii();
    if trimmed.is_empty() {
        return false;
    }
    st.values += 1;
    // Small integers and damaged numbers open with a digit (or a minus sign), and are at most
    // 24 bytes long: text, IDs and phone numbers of 7 or more digits with no `.`/`E` second are
    // neither, and are admitted without the two checks.
    let second = trimmed.get(1).copied().unwrap_or(b'0');
    if trimmed.len() == 18 && trimmed.iter().all(u8::is_ascii_digit) {
        // For the damaged-ID verdict (see `RecordScanner::verdicts`).
        st.digits18 += 1;
        if trimmed.ends_with(b"000") {
            st.zero_tail18 += 1;
        }
    }
    if !(trimmed[0].is_ascii_digit() || trimmed[0] == b'-')
        || (trimmed.len() > 6 && second.is_ascii_digit() && trimmed[0] != b'-')
    {
        return true;
    }
    if classify::is_small_int(trimmed) {
        st.small_ints += 1;
        return false;
    }
    if classify::is_damaged_number(trimmed) {
        st.damaged_numbers += 1;
        return false;
    }
    true
}

/// Whether mobile-shaped numbers of one column, in record order, are a numbering rather than
/// phones: most steps between neighbours are tiny (1–10: numbered rows), or all of them sit in
/// a range under 100 per value (a block of member numbers, shuffled). Phones of real people
/// spread over ten billion numbers.
fn is_numbering(v: &[u64]) -> bool {
    let steps = v
        .windows(2)
        .filter(|w| (1..=10).contains(&w[0].abs_diff(w[1])))
        .count();
    let (lo, hi) = v
        .iter()
        .fold((u64::MAX, 0), |(lo, hi), &n| (lo.min(n), hi.max(n)));
    steps * 2 >= v.len() - 1 || hi - lo < 100 * v.len() as u64
}

/// Whether a non-empty (trimmed) value is searched at all (see [`admit`]).
fn searchable(trimmed: &[u8]) -> bool {
    !classify::is_small_int(trimmed) && !classify::is_damaged_number(trimmed)
}

/// The detectors of a value's findings.
fn detectors(findings: &[Finding]) -> impl Iterator<Item = usize> + Clone + '_ {
    findings.iter().map(|f| f.detector)
}

/// Counts one value once per detector that matched in it (`found`: its findings' detectors).
///
/// Counted by detector index in the field's own vector (added to its [`FieldStats`] when the
/// scanner finishes): a map entry per finding was 1.4% of a PI-dense row's instructions.
fn count_validated(counts: &mut Vec<u64>, found: impl Iterator<Item = usize> + Clone) {
    for (i, d) in found.clone().enumerate() {
        if !found.clone().take(i).any(|g| g == d) {
            if counts.len() <= d {
                counts.resize(d + 1, 0);
            }
            counts[d] += 1;
        }
    }
}

/// A value the memo missed: searched on its own, its findings appended to `found` and their
/// keyed hashes to `hashes`, and memorised if the field and the scanner's `budget` have room.
fn search_and_memorise(
    (ctx, caches, hasher): (&Ctx, &mut Caches, &FindingHasher),
    field: &mut Field,
    value: &[u8],
    budget: &mut usize,
    found: &mut Vec<Finding>,
    hashes: &mut Vec<u64>,
) {
    let before = found.len();
    search_alone(ctx, caches, field, value, found);
    let found = &found[before..];
    let first = hashes.len();
    hashes.extend(found.iter().map(|f| hasher.hash(f)));
    *budget -= field
        .memo
        .insert(value, found, hashes[first..].iter().copied(), *budget);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSet;
    use crate::sketch::SketchKey;

    #[test]
    fn a_row_is_one_subject_keyed_by_its_best_identifier() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let mut r = RecordScanner::new(&ctx);
        let (id, phone, passport) = (r.field("sfzh"), r.field("phone"), r.field("护照号"));
        r.record([
            (id, b"11010519491231002X".as_slice()),
            (phone, b"13812345678".as_slice()),
            (passport, b"".as_slice()),
        ]);
        // The passport has no keyword in its value; the header hint stands in for one.
        r.record([(passport, b"E12345678".as_slice())]);
        r.record([(phone, b"13812345678".as_slice())]);
        let acc = r.finish();
        assert_eq!(acc.records, 3);
        assert_eq!(acc.subjects.estimate().estimate, 3);
        assert_eq!(acc.fields.len(), 3, "{:?}", acc.fields.keys());
    }

    /// A payroll card column counts its cards without a keyword in the cell; a column whose
    /// header names something else (an amount, a student number) counts no phone in it.
    #[test]
    fn headers_name_card_columns_and_veto_amount_and_number_columns() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let mut r = RecordScanner::new(&ctx);
        let (card, amount, student) = (r.field("工资卡号"), r.field("金额"), r.field("学号"));
        r.record([
            (card, b"6222021234567890128".as_slice()),
            (amount, b"13800000000".as_slice()),
            (student, b"13912345678".as_slice()),
        ]);
        let acc = r.finish();
        let c = set.index_of("bank-card").unwrap();
        assert_eq!(acc.fields["工资卡号"][&c].matches, 1);
        assert!(!acc.fields.contains_key("金额"), "{:?}", acc.fields.keys());
        assert!(!acc.fields.contains_key("学号"));
        assert_eq!(acc.subjects.estimate().estimate, 1);
    }

    /// In a column where Excel visibly damaged a fifth of the IDs (scientific notation, zeroed
    /// tails), no zero-tailed value counts even when it passes its check digit; the intact
    /// ones do, as in a clean column.
    #[test]
    fn a_partly_visible_excel_damage_vetoes_the_whole_id_column() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let ids: Vec<String> = (0..40u64)
            .map(|i| {
                let body = format!("1101051949{:02}{:02}{:03}", 1 + i % 12, 1 + i % 28, i);
                let sum: u64 = body
                    .bytes()
                    .zip([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
                    .map(|(b, w)| u64::from(b - b'0') * w)
                    .sum();
                format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
            })
            .collect();
        let scan = |damage: bool| {
            let mut r = RecordScanner::new(&ctx);
            let f = r.field("sfzh");
            for (i, id) in ids.iter().enumerate() {
                let v = match (damage, i % 5) {
                    (true, 0) => format!("{}000", &id[..15]),
                    (true, 1) => format!("{}.{}E+17", &id[..1], &id[1..6]),
                    _ => id.clone(),
                };
                r.record([(f, v.as_bytes())]);
            }
            r.finish()
        };
        let id = set.index_of("cn-resident-id").unwrap();
        assert_eq!(scan(false).fields["sfzh"][&id].matches, 40);
        // 8 zeroed, 8 in scientific notation: the 24 intact IDs count, no zeroed one does.
        let damaged = scan(true);
        assert_eq!(damaged.fields["sfzh"][&id].matches, 24);
        let warn = crate::classify::warnings(&set, &damaged.field_stats["sfzh"]);
        assert!(warn.iter().any(|w| w.contains("end in 000")), "{warn:?}");
    }

    /// A numbered column of mobile-shaped values (member numbers) and an ID column Excel cut
    /// to 15 digits are judged as columns: neither counts, each says why; a column of real
    /// phones beside them still counts.
    #[test]
    fn numbered_and_excel_damaged_columns_are_not_counted() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let mut r = RecordScanner::new(&ctx);
        let (member, damaged, phone) = (r.field("member"), r.field("sfzh"), r.field("phone"));
        let mut draws = crate::TestRng(7);
        for i in 0..300u64 {
            let member_no = format!("{}", 13_800_000_000u64 + i);
            // An ID's first 15 digits, then 000 (Excel keeps 15 significant digits); about one
            // in eleven still passes the check digit.
            let cut = format!("1101051949{:02}{:02}{}000", 1 + i % 12, 1 + i % 28, i % 10);
            let mobile = format!("139{:08}", draws.below(100_000_000));
            r.record([
                (member, member_no.as_bytes()),
                (damaged, cut.as_bytes()),
                (phone, mobile.as_bytes()),
            ]);
        }
        let acc = r.finish();
        let id = set.index_of("cn-resident-id").unwrap();
        let passing = (0..300u64)
            .map(|i| format!("1101051949{:02}{:02}{}000", 1 + i % 12, 1 + i % 28, i % 10))
            .filter(|v| set.find_all(v).iter().any(|f| f.detector == id))
            .count();
        assert!(
            passing > 0,
            "precondition: some damaged IDs pass the check digit"
        );
        let mobile = set.index_of("cn-mobile").unwrap();
        assert!(
            !acc.fields.contains_key("member"),
            "{:?}",
            acc.fields.keys()
        );
        assert!(!acc.fields.contains_key("sfzh"));
        assert!(acc.fields["phone"][&mobile].matches == 300);
        let warn = crate::classify::warnings(&set, &acc.field_stats["member"]);
        assert!(warn.iter().any(|w| w.contains("in sequence")), "{warn:?}");
        let warn = crate::classify::warnings(&set, &acc.field_stats["sfzh"]);
        assert!(warn.iter().any(|w| w.contains("end in 000")), "{warn:?}");
        // Every record is keyed by its phone: 300 people, none from the vetoed columns.
        assert_eq!(acc.subjects.estimate().estimate, 300);
    }

    /// `admit`'s shortcut (no checks for text and for long digit runs) decides as the two
    /// checks would.
    #[test]
    fn admit_decides_as_the_small_integer_and_damaged_number_checks_do() {
        let mut values: Vec<String> = [
            "1.10105E+17",
            "1.1010519491231E17",
            "1E17",
            "9.9e15",
            "1.5E14",
            "123456",
            "-123456",
            "1234567",
            "-1234567",
            "12.5",
            "0.5",
            "-",
            "-1.1E17",
            "13812345678",
            "张伟",
            "a1",
            " 42 ",
            "1e",
            "1.",
            "11010519491231002X",
        ]
        .map(String::from)
        .to_vec();
        let mut draws = crate::TestRng(0x9e37_79b9_7f4a_7c15u64);
        for _ in 0..20_000 {
            let rng = draws.next();
            let len = 1 + (rng % 26) as usize;
            let alphabet = b"0123456789.Ee+-x ";
            values.push(
                (0..len)
                    .map(|i| {
                        alphabet[((rng >> (i * 2 % 60)) % alphabet.len() as u64) as usize] as char
                    })
                    .collect(),
            );
        }
        for v in &values {
            let mut st = FieldStats::default();
            let got = admit(&mut st, v.as_bytes());
            let t = v.as_bytes().trim_ascii();
            let want = !t.is_empty() && searchable(t);
            assert_eq!(got, want, "{v:?}");
            let small = u64::from(!t.is_empty() && classify::is_small_int(t));
            assert_eq!(st.small_ints, small, "{v:?}");
        }
    }

    /// Repeated values go through the field's memo, unique ones stop using it: either way every
    /// occurrence counts as if it had been searched.
    #[test]
    fn memorised_values_count_like_searched_ones() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let names = ["张伟", "王秀英", "欧阳娜娜", "李娜", "不是名字123"];
        let mut r = RecordScanner::new(&ctx);
        let (name, phone, city) = (r.field("姓名"), r.field("手机号"), r.field("城市"));
        let rows = 3 * memo::WINDOW as usize;
        for i in 0..rows {
            let n = names[i % names.len()];
            let p = format!("139{:08}", i);
            let c = if i % 2 == 0 {
                "北京 13800138000"
            } else {
                "上海"
            };
            r.record([
                (name, n.as_bytes()),
                (phone, p.as_bytes()),
                (city, c.as_bytes()),
            ]);
        }
        let acc = r.finish();
        let valid_names = (0..rows).filter(|i| i % names.len() != 4).count() as u64;
        let name_id = set.index_of("cn-name").unwrap();
        let mobile = set.index_of("cn-mobile").unwrap();
        let names_found = &acc.fields["姓名"][&name_id];
        assert_eq!(names_found.matches, valid_names);
        assert_eq!(names_found.distinct.estimate().estimate, 4);
        // Repeats only count their match: the same as adding every occurrence in full.
        let mut every = DetAcc::default();
        let hints = set.header_hints("姓名");
        for i in (0..rows).filter(|i| i % names.len() != 4) {
            let v = names[i % names.len()];
            let mut found = Vec::new();
            set.find_header_only(v.as_bytes(), &hints, &mut |f| found.push(f));
            for f in found {
                every.add(
                    &set,
                    &f,
                    crate::inventory::finding_hash(&set, &key, &f),
                    Confidence::Low,
                );
            }
        }
        assert_eq!(every.matches, names_found.matches);
        assert_eq!(every.distinct.estimate(), names_found.distinct.estimate());
        let samples = |a: &DetAcc| a.samples().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(samples(&every), samples(names_found));
        assert_eq!(samples(names_found).len(), 3);
        assert_eq!(acc.field_stats["姓名"].validated[&name_id], valid_names);
        assert_eq!(acc.fields["手机号"][&mobile].matches, rows as u64);
        // A mobile inside a repeated free-text value, found in every other row.
        assert_eq!(acc.fields["城市"][&mobile].matches, (rows / 2) as u64);
        assert_eq!(acc.fields["城市"][&mobile].distinct.estimate().estimate, 1);
        // Every row has an identifier, memorised or not.
        assert_eq!(acc.unidentified_records, 0);
    }

    #[test]
    fn a_column_searched_at_once_finds_what_its_values_searched_alone_do() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let long = format!(
            "{}电话 13800138000 护照号 E12345678",
            "x".repeat(COLUMN_JOINT)
        );
        let values: Vec<&[u8]> = vec![
            b"110105194912310021",
            b"  13912345678 ",
            b"user@example.com; 13800138000",
            "张伟".as_bytes(),
            "北京市朝阳区建国路88号".as_bytes(),
            b"",
            b"   ",
            b"12345",
            b"1.10105E+17",
            "护照号：E12345678\n联系电话 139-1234-5678".as_bytes(),
            "E12345678".as_bytes(),
            b"110105194912310021\n13912345678",
            long.as_bytes(),
            "王秀英".as_bytes(),
            b"6222021234567890128",
            "\n\n护照".as_bytes(),
        ];
        // Plain, header-driven, and context-detector (own search) fields.
        for header in ["备注", "姓名", "地址", "护照号", "证件号码"] {
            let mut alone = RecordScanner::new(&ctx);
            let mut joint = RecordScanner::new(&ctx);
            let (fa, fj) = (alone.field(header), joint.field(header));
            let mut expected = Vec::new();
            let mut scratch = Vec::new();
            // Twice over: the second time round, values come from the memo.
            let values: Vec<&[u8]> = values.iter().chain(values.iter()).copied().collect();
            for (row, v) in values.iter().enumerate() {
                scratch.clear();
                alone.find(fa, v, &mut scratch);
                alone.count_value(fa, v, scratch.iter());
                expected.extend(scratch.drain(..).map(|f| (row as u32, f, Hashed::Unknown)));
            }
            let mut got = Vec::new();
            joint.find_column(
                fj,
                values.iter().enumerate().map(|(row, v)| (row as u32, *v)),
                &mut got,
            );
            let key = |v: &[ColumnHit]| -> Vec<(u32, usize, usize, usize, String)> {
                v.iter()
                    .map(|(r, f, _)| (*r, f.detector, f.start, f.end, f.normalised.to_string()))
                    .collect()
            };
            assert!(!expected.is_empty(), "{header}: the values hold findings");
            assert_eq!(key(&got), key(&expected), "{header}");
            let (a, j) = (alone.finish(), joint.finish());
            assert_eq!(a.field_stats, j.field_stats, "{header}");
        }
    }

    #[test]
    fn a_long_column_is_handed_out_in_parts_with_the_same_findings() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        // More values than one part holds, repeating (memo hits), then unique (no memo).
        let values: Vec<String> = (0..COLUMN_VALUES + 5_000)
            .map(|i| {
                if i < COLUMN_VALUES / 2 {
                    ["张伟", "13912345678", "无"][i % 3].to_string()
                } else {
                    format!("139{:08} 第{i}行", i)
                }
            })
            .collect();
        let mut alone = RecordScanner::new(&ctx);
        let mut joint = RecordScanner::new(&ctx);
        let (fa, fj) = (alone.field("联系方式"), joint.field("联系方式"));
        let mut expected = Vec::new();
        let mut scratch = Vec::new();
        for (row, v) in values.iter().enumerate() {
            scratch.clear();
            alone.find(fa, v.as_bytes(), &mut scratch);
            alone.count_value(fa, v.as_bytes(), scratch.iter());
            expected.extend(
                scratch
                    .drain(..)
                    .map(|f| (row as u32, f.detector, f.normalised)),
            );
        }
        let mut got = Vec::new();
        joint.find_column(
            fj,
            values
                .iter()
                .enumerate()
                .map(|(row, v)| (row as u32, v.as_bytes())),
            &mut got,
        );
        let got: Vec<_> = got
            .into_iter()
            .map(|(r, f, _)| (r, f.detector, f.normalised))
            .collect();
        assert!(expected.len() > COLUMN_VALUES / 2, "{}", expected.len());
        assert_eq!(got, expected);
        assert_eq!(alone.finish().field_stats, joint.finish().field_stats);
    }
}
