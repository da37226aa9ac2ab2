//! The inventory: per-source accumulation of findings and the `pipl-scan/inventory/v1` document.
//!
//! Workers each fill their own [`SourceAcc`] (one per file chunk) and merge them when the file is
//! done, so the hot path takes no lock. [`build`] then turns the per-file results into the
//! serialisable [`Inventory`], whose shape is documented in `schema/inventory-v1.schema.json` and
//! `docs/inventory.md`. Only masked samples and keyed sketches ever enter it.

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::classify::{self, ClassifyConfig, FieldStats};
use crate::confidence::{ByConfidence, Confidence};
use crate::detect::{DetectorSet, Finding, Standard};
use crate::link::{self, Id, LinkAcc};
use crate::link_file::LinkSet;
use crate::sketch::{Estimate, Sketch, SketchKey};
use crate::subject::Subject;

pub const SCHEMA: &str = "pipl-scan/inventory/v1";

/// Masked samples kept per field and detector.
const MAX_SAMPLES: usize = 3;

/// The keyed hash of a finding: of the same bytes as a subject key (`detector:value`), hashed
/// without joining them, so a finding that becomes its record's subject key is hashed once.
pub fn finding_hash(set: &DetectorSet, key: &SketchKey, f: &Finding) -> u64 {
    key.hash_parts(&[
        set.get(f.detector).id.as_bytes(),
        b":",
        f.normalised.as_bytes(),
    ])
}

/// [`finding_hash`] with each detector's `id:` prefix hashed once, for readers that hash
/// millions of findings; and the second word of identifiers' link hashes ([`crate::link`]).
pub struct FindingHasher(
    Vec<siphasher::sip::SipHasher13>,
    Vec<siphasher::sip::SipHasher13>,
);

impl FindingHasher {
    pub fn new(set: &DetectorSet, key: &SketchKey) -> Self {
        let link = key.link_key();
        // `id` then `:` fed to the streaming hash one after the other: the same state as
        // `id:` joined, without formatting a string per detector (made for every file read).
        let prefixed = |k: &SketchKey| {
            set.detectors()
                .iter()
                .map(|d| {
                    use std::hash::Hasher as _;
                    let mut h = k.prefixed(d.id.as_bytes());
                    h.write(b":");
                    h
                })
                .collect()
        };
        FindingHasher(prefixed(key), prefixed(&link))
    }

    /// The keyed 128-bit link hash of an identifier finding whose [`finding_hash`] is `hash`:
    /// that hash, and a second under the link key ([`SketchKey::link_key`]).
    #[inline]
    pub fn id(&self, f: &Finding, hash: u64) -> crate::link::Id {
        use std::hash::Hasher as _;
        let mut h = self.1[f.detector];
        h.write(f.normalised.as_bytes());
        crate::link::Id(hash, h.finish())
    }

    /// The same as [`finding_hash`] with the set and key this was made from.
    #[inline]
    pub fn hash(&self, f: &Finding) -> u64 {
        use std::hash::Hasher as _;
        let mut h = self.0[f.detector];
        h.write(f.normalised.as_bytes());
        h.finish()
    }
}

/// What one detector found in one field of one source. Serializable, with [`SourceAcc`], for
/// the state of incremental rescans ([`crate::state`]): nothing in it but counts, keyed
/// sketches and masked samples.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DetAcc {
    pub matches: u64,
    pub distinct: Sketch,
    /// Candidates for the masked samples: the findings with the [`SAMPLE_CANDIDATES`] smallest
    /// keyed hashes (one per hash: equal hashes are equal values), masked, sorted by hash. The
    /// samples are the first [`MAX_SAMPLES`] distinct masked forms among them.
    ///
    /// Chosen by hash rather than by order of appearance so that the same data and key give the
    /// same samples however the source was cut into chunks and whichever thread finished first
    /// (an auditor re-running a scan gets the same inventory), and so that samples come from
    /// all over a file rather than its first rows. A finding is masked only when its hash beats
    /// the largest candidate's: on a million matches, a couple of hundred times, even in a
    /// column whose values all mask alike (one domain's e-mails, one district's addresses),
    /// which a rule of "the first distinct forms by hash" would have to mask in full.
    samples: Vec<(u64, String)>,
    /// Matches per [`Confidence`] (indexed by [`Confidence::index`]).
    pub confidence: [u64; 3],
}

/// Findings a field keeps as candidates for its [`MAX_SAMPLES`] samples (see [`DetAcc`]).
const SAMPLE_CANDIDATES: usize = 16;

impl DetAcc {
    /// Counts one finding of this field and detector; `hash` is its [`finding_hash`].
    pub fn add(&mut self, set: &DetectorSet, f: &Finding, hash: u64, conf: Confidence) {
        self.matches += 1;
        self.confidence[conf.index()] += 1;
        self.distinct.insert_hash(hash);
        self.offer(hash, || set.get(f.detector).masker.mask(&f.normalised));
    }

    /// Counts again a finding already [`add`](Self::add)ed here (the same value in the same
    /// field): its hash is in the sketch and was offered as a sample, so only the match counts.
    pub fn add_repeat(&mut self, conf: Confidence) {
        self.matches += 1;
        self.confidence[conf.index()] += 1;
    }

    /// Keeps a finding's masked form (`hash` its finding's hash) if it is among the candidates
    /// with the smallest hashes. `masked` runs only then: a value already among the candidates
    /// (a name that repeats), or beyond the largest, is not masked.
    fn offer(&mut self, hash: u64, masked: impl FnOnce() -> String) {
        if self.samples.len() >= SAMPLE_CANDIDATES
            && self.samples.last().is_some_and(|s| hash >= s.0)
        {
            return;
        }
        if let Err(at) = self.samples.binary_search_by_key(&hash, |s| s.0) {
            self.samples.insert(at, (hash, masked()));
            self.samples.truncate(SAMPLE_CANDIDATES);
        }
    }

    /// The masked samples, in the order they are reported.
    pub fn samples(&self) -> impl Iterator<Item = &str> {
        let mut forms: Vec<&str> = Vec::with_capacity(MAX_SAMPLES);
        for (_, masked) in &self.samples {
            if forms.len() < MAX_SAMPLES && !forms.contains(&masked.as_str()) {
                forms.push(masked);
            }
        }
        forms.into_iter()
    }

    fn merge(&mut self, other: DetAcc) {
        self.matches += other.matches;
        for (a, b) in self.confidence.iter_mut().zip(other.confidence) {
            *a += b;
        }
        self.distinct.merge(&other.distinct);
        for (h, s) in other.samples {
            self.offer(h, || s);
        }
    }
}

/// Findings and subject sketches of one source (or one chunk of it).
///
/// Serializable (the state of incremental rescans, [`crate::state`]) except its people graph,
/// which is stored in the record layout of `links.bin` ([`crate::link_file::encode`]). Empty
/// sketches are left out: most files hold no personal data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SourceAcc {
    pub records: u64,
    pub unidentified_records: u64,
    #[serde(default, skip_serializing_if = "Sketch::is_empty")]
    pub subjects: Sketch,
    /// Indexed by [`Standard::index`].
    #[serde(default, skip_serializing_if = "both_empty")]
    pub sensitive: [Sketch; 2],
    /// Subjects whose record holds PI that is not sensitive, by [`Standard::index`].
    #[serde(default, skip_serializing_if = "both_empty")]
    pub non_sensitive: [Sketch; 2],
    /// Sensitive category bit (see `DetectorSet::sensitive_category_bit`) → subjects with PI
    /// of that category, under each standard.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sensitive_by_category: BTreeMap<u8, [Sketch; 2]>,
    #[serde(default, skip_serializing_if = "Sketch::is_empty")]
    pub minors: Sketch,
    /// Field name → detector index → accumulation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, BTreeMap<usize, DetAcc>>,
    /// Field name → what a structured reader saw in it, for classification (tables only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub field_stats: BTreeMap<String, FieldStats>,
    /// Problems that did not stop the source (e.g. invalid bytes replaced while decoding).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// An image's sensitive category named by the document that holds it (its alt text, its
    /// caption), when its path does not name one: [`SourceEntry::sensitive_image`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_category: Option<String>,
    /// The identifiers of its records and which were seen together, for counting people.
    #[serde(skip)]
    pub links: LinkAcc,
}

fn both_empty(s: &[Sketch; 2]) -> bool {
    s.iter().all(Sketch::is_empty)
}

impl SourceAcc {
    /// Adds one record: its findings, each with the field it was found in, and its subject.
    /// `hasher` is the scan's [`FindingHasher`] (made once per chunk, not per record).
    pub fn add_record(
        &mut self,
        set: &DetectorSet,
        hasher: &FindingHasher,
        findings: &[(&str, Finding)],
        confs: &[Confidence],
        subject: &Subject,
    ) {
        let mut hashes = Vec::with_capacity(findings.len());
        for (i, (field, f)) in findings.iter().enumerate() {
            let slot = match self.fields.get_mut(*field) {
                Some(m) => m,
                None => self.fields.entry((*field).to_string()).or_default(),
            };
            let h = hasher.hash(f);
            let conf = confs.get(i).copied().unwrap_or(Confidence::Low);
            slot.entry(f.detector).or_default().add(set, f, h, conf);
            hashes.push(h);
        }
        let key_hash = subject.key_finding.map(|k| hashes[k]);
        self.add_subject(key_hash, subject, !findings.is_empty());
        if let Some(k) = subject.key_finding {
            let pairs = findings.iter().map(|(_, f)| f).zip(hashes.iter().copied());
            self.add_links(set, hasher, pairs, k, subject, &mut Vec::new());
        }
    }

    /// Adds one record's identifiers to the graph people are counted on: `findings` are the
    /// record's findings with their [`finding_hash`]es, the subject key is the `key`-th of
    /// them; `ids` is scratch space (a table reader keeps one for all its records).
    pub fn add_links<'f>(
        &mut self,
        set: &DetectorSet,
        hasher: &FindingHasher,
        findings: impl IntoIterator<Item = (&'f Finding, u64)>,
        key: usize,
        subject: &Subject,
        ids: &mut Vec<(Id, u8)>,
    ) {
        ids.clear();
        let mut key_at = 0;
        for (i, (f, h)) in findings.into_iter().enumerate() {
            if set.get(f.detector).identifier {
                if i == key {
                    key_at = ids.len();
                }
                ids.push((hasher.id(f, h), f.detector as u8));
            }
        }
        let mut flags = link::flag::MARKED;
        for st in Standard::ALL {
            if subject.sensitive[st.index()] {
                flags |= link::flag::SENSITIVE[st.index()];
            }
            if subject.non_sensitive[st.index()] {
                flags |= link::flag::NON_SENSITIVE[st.index()];
            }
        }
        if subject.minor {
            flags |= link::flag::MINOR;
        }
        self.links.add_record(ids, key_at, flags);
    }

    /// Adds one record's subject (its findings went to their fields' [`DetAcc`]s); `hash` is
    /// the keyed hash of its subject key.
    pub fn add_subject(&mut self, hash: Option<u64>, subject: &Subject, has_findings: bool) {
        match hash {
            Some(h) => {
                self.subjects.insert_hash(h);
                for st in Standard::ALL {
                    if subject.sensitive[st.index()] {
                        self.sensitive[st.index()].insert_hash(h);
                    }
                    if subject.non_sensitive[st.index()] {
                        self.non_sensitive[st.index()].insert_hash(h);
                    }
                    let mut bits = subject.categories[st.index()];
                    while bits != 0 {
                        let b = bits.trailing_zeros() as u8;
                        bits &= bits - 1;
                        self.sensitive_by_category.entry(b).or_default()[st.index()].insert_hash(h);
                    }
                }
                if subject.minor {
                    self.minors.insert_hash(h);
                }
            }
            // Only an organisation's identifiers (business data): no PI in the record.
            None if has_findings && subject.personal => self.unidentified_records += 1,
            None => {}
        }
    }

    /// Merges the accumulations of one field (e.g. kept by a reader indexed by field id).
    pub fn merge_field(&mut self, field: String, dets: BTreeMap<usize, DetAcc>) {
        if dets.is_empty() {
            return;
        }
        let slot = self.fields.entry(field).or_default();
        for (di, acc) in dets {
            slot.entry(di).or_default().merge(acc);
        }
    }

    pub fn merge(&mut self, other: SourceAcc) {
        self.records += other.records;
        self.unidentified_records += other.unidentified_records;
        self.subjects.merge(&other.subjects);
        for (a, b) in self.sensitive.iter_mut().zip(other.sensitive.iter()) {
            a.merge(b);
        }
        for (a, b) in self
            .non_sensitive
            .iter_mut()
            .zip(other.non_sensitive.iter())
        {
            a.merge(b);
        }
        self.minors.merge(&other.minors);
        for (bit, sketches) in other.sensitive_by_category {
            let mine = self.sensitive_by_category.entry(bit).or_default();
            for (a, b) in mine.iter_mut().zip(sketches.iter()) {
                a.merge(b);
            }
        }
        for (field, dets) in other.fields {
            self.merge_field(field, dets);
        }
        for (field, st) in other.field_stats {
            self.field_stats.entry(field).or_default().merge(&st);
        }
        self.warnings.extend(other.warnings);
        if self.image_category.is_none() {
            self.image_category = other.image_category;
        }
        self.links.merge(other.links);
    }

    pub fn has_findings(&self) -> bool {
        !self.fields.is_empty()
    }
}

/// How far a file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Read to the end.
    Scanned,
    /// Read in part; `reason` says where and why it stopped. Its findings are counted.
    Partial,
    /// Not read, on purpose (too large, binary, special file…); `reason` says why.
    Skipped,
    /// Could not be read at all; `reason` has the error.
    Unreadable,
}

/// The outcome of one file, as the scanner hands it to [`build`].
#[derive(Debug)]
pub struct FileResult {
    pub path: String,
    pub format: String,
    pub encoding: Option<String>,
    pub bytes: u64,
    pub status: Status,
    pub reason: Option<String>,
    pub acc: SourceAcc,
}

// ---- the document ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inventory {
    pub schema: String,
    pub tool: Tool,
    pub scan: ScanInfo,
    pub totals: Totals,
    /// Absent from the JSON when the sources are in a file beside it ([`ScanInfo::sources`]);
    /// [`Inventory::load`] fills it from there.
    #[serde(default)]
    pub sources: Vec<SourceEntry>,
    /// The link graph of the sources, when known: in memory after a scan, or read from the
    /// links file beside an inventory by [`Inventory::load`]. Never part of the JSON.
    #[serde(skip)]
    pub graph: Option<std::sync::Arc<LinkSet>>,
    /// After a scan: the sources, in path order, in a temporary file instead of `sources`
    /// ([`crate::source_spill`]); [`crate::sources_file::write_inventory`] copies them out.
    #[serde(skip)]
    pub spilled: Option<std::sync::Arc<crate::source_spill::SourceSpill>>,
    /// After a scan: the sources not fully read (skipped, partial, unreadable), in path order,
    /// for the run's log when `sources` is spilled.
    #[serde(skip)]
    pub unscanned: Vec<Unscanned>,
}

impl Inventory {
    /// Reads `inventory.json` at `path` and, when it names one, the links file beside it. A
    /// named links file that is missing or damaged is an error: figures counted without it
    /// would silently fall back to estimates.
    pub fn load(path: &std::path::Path) -> anyhow::Result<Inventory> {
        use anyhow::Context as _;
        let mut inv = Self::load_without_links(path)?;
        if let Some(r) = &inv.scan.links {
            let dir = path.parent().unwrap_or(std::path::Path::new("."));
            let lp = dir.join(&r.file);
            let set = LinkSet::read(&lp)
                .with_context(|| format!("{}: its links file {}", path.display(), lp.display()))?;
            if set.key_id != inv.scan.sketch.key_id {
                anyhow::bail!(
                    "{}: made with key {}, not the inventory's key {}",
                    lp.display(),
                    set.key_id,
                    inv.scan.sketch.key_id
                );
            }
            inv.graph = Some(std::sync::Arc::new(set));
        }
        Ok(inv)
    }

    /// Reads `inventory.json` at `path` and, when its sources are in a file beside it
    /// ([`ScanInfo::sources`]), that file (checked against its count and hash); not the links
    /// file: for comparing figures (`diff`).
    pub fn load_without_links(path: &std::path::Path) -> anyhow::Result<Inventory> {
        use anyhow::Context as _;
        let mut inv = Self::load_json(path)?;
        if let Some(r) = &inv.scan.sources {
            let dir = path.parent().unwrap_or(std::path::Path::new("."));
            inv.sources =
                crate::sources_file::read(dir, r).with_context(|| format!("{}", path.display()))?;
        }
        Ok(inv)
    }

    /// Reads `inventory.json` alone: with its sources only when they are inline.
    pub fn load_json(path: &std::path::Path) -> anyhow::Result<Inventory> {
        use anyhow::Context as _;
        let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a pipl-scan inventory", path.display()))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanInfo {
    pub started_at: String,
    pub finished_at: String,
    pub roots: Vec<String>,
    pub reference_date: String,
    /// The standard the headline `sensitive_subjects` figure uses.
    pub sensitivity: String,
    pub sketch: SketchInfo,
    pub files_scanned: u64,
    pub files_partial: u64,
    pub files_skipped: u64,
    pub files_unreadable: u64,
    pub bytes_scanned: u64,
    /// False when any file was skipped, partial or unreadable, or the walk hit an error.
    pub complete: bool,
    pub errors: Vec<ErrorEntry>,
    /// The thresholds tables' fields were classified with.
    #[serde(default)]
    pub classification: ClassifyConfig,
    /// The link graph written beside the inventory, from which people are counted again for
    /// any selection of sources (a flow, a ledger entry, a merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<LinksRef>,
    /// Where the sources are when they are not in the `sources` array: a JSON Lines file
    /// beside the inventory (`scan --sources jsonl`, see [`crate::sources_file`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<crate::sources_file::SourcesRef>,
    /// The options besides the key, precision, reference date and standard that change
    /// figures: `merge` joins only inventories that agree on them. Absent from inventories
    /// written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<ScanOptions>,
    /// `K/N` for a scan of one shard (`scan --shard`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// For an inventory made by `pipl-scan merge`: the inventories it joined, as named on its
    /// command line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

/// See [`ScanInfo::options`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScanOptions {
    /// The detector set's fingerprint ([`DetectorSet::fingerprint`]).
    pub detectors: String,
    /// `--min-confidence`: low, medium or high.
    pub min_confidence: String,
    /// `--ocr`: the text of images was read.
    pub ocr: bool,
}

/// Where an inventory's link graph is (see [`crate::link_file`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LinksRef {
    /// File name, relative to the inventory's folder.
    pub file: String,
    /// `pipl-scan/links/v1`.
    pub format: String,
    /// SHA-256 of the file, hex: `verify` and `assess` refuse a links file that does not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SketchInfo {
    /// HyperLogLog implementation and format: sketches are Apache DataSketches HLL images.
    pub format: String,
    pub lg_k: u8,
    /// Inputs are hashed with a secret key; this fingerprint (not the key) tells which one, so
    /// only sketches made with the same key are merged.
    pub key_id: String,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorEntry {
    pub path: String,
    pub error: String,
}

/// A distinct count with its 95% interval and, where it can be merged later, its sketch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Count {
    /// How it was counted: `hll` (HyperLogLog estimate of distinct subject keys).
    #[serde(default = "hll")]
    pub method: String,
    pub estimate: u64,
    pub low: u64,
    pub high: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sketch: Option<String>,
}

fn hll() -> String {
    "hll".to_string()
}

impl Count {
    /// The count of a sketch, carrying the sketch (base64) when `with_sketch` and not empty.
    pub fn of(s: &Sketch, with_sketch: bool) -> Count {
        let Estimate {
            estimate,
            low,
            high,
        } = s.estimate();
        Count {
            method: hll(),
            estimate,
            low,
            high,
            sketch: (with_sketch && !s.is_empty()).then(|| s.to_base64()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Totals {
    /// People: identifiers seen together in one record linked, connected components counted
    /// exactly (see [`crate::link`]). The figure a threshold decision uses. Absent from
    /// inventories written before linking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<People>,
    /// Why `people` is absent from a scan that tried to link (the graph outgrew its memory
    /// budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people_unavailable: Option<String>,
    /// Distinct subject keys (one per record: its best identifier), estimated by HyperLogLog:
    /// an upper bound on people, since one person may be keyed by an ID in one file and by a
    /// mobile in another.
    pub subjects: Count,
    pub sensitive_subjects: Count,
    pub minor_subjects: Count,
    pub sensitive_subjects_by_standard: BTreeMap<String, Count>,
    /// Standard id → subjects whose PI includes PI that is not sensitive under it: the figure of
    /// the Provisions' "PI (excluding sensitive PI)" thresholds. Absent from inventories written
    /// before it was counted (the assessment then counts everyone, the conservative reading).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub non_sensitive_subjects_by_standard: BTreeMap<String, Count>,
    /// Sensitive category (`medical-health`, `whereabouts` …) → standard → distinct subject
    /// keys with PI of that category sensitive under that standard (the totals' with their
    /// sketches, for `merge`; the sources' estimates only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sensitive_subjects_by_category: BTreeMap<String, BTreeMap<String, Count>>,
    /// The largest number of distinct values of one identifier detector (e.g. distinct mobile
    /// numbers). Not a bound on people: one person may have several phones.
    #[serde(alias = "subjects_lower_bound")]
    pub largest_identifier_distinct: u64,
    pub unidentified_records: u64,
    pub records: u64,
    pub categories: Vec<CategoryEntry>,
    /// Sensitive image category (`identity-document-image`, `face-image`,
    /// `fingerprint-image`) → images that name it: image files and PDFs of scanned pages by their
    /// path, pictures inside documents also by their context ([`SourceEntry::sensitive_image`]).
    /// Sensitive PI under both standards whose people are not counted: no figure of people
    /// includes them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sensitive_images_by_category: BTreeMap<String, u64>,
}

impl Totals {
    /// Image files of identity documents, faces and fingerprints, all categories.
    pub fn sensitive_images(&self) -> u64 {
        self.sensitive_images_by_category.values().sum()
    }
}

/// Counts [`SourceEntry::sensitive_image`] per category.
pub fn sensitive_images_by_category(sources: &[SourceEntry]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for c in sources.iter().filter_map(|s| s.sensitive_image.as_ref()) {
        *out.entry(c.clone()).or_insert(0) += 1;
    }
    out
}

/// The people figures of a set of records, exact (see [`crate::link`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct People {
    /// `linked-exact`: identifiers seen together in a record are one person (never two
    /// identity documents of one kind; shared identifiers not linked); components counted
    /// exactly over keyed 128-bit hashes.
    pub method: String,
    /// People (connected components holding a subject key).
    pub people: u64,
    /// People with sensitive PI under the scan's chosen standard.
    pub sensitive: u64,
    /// Standard id → people with sensitive PI under it.
    pub sensitive_by_standard: BTreeMap<String, u64>,
    /// People with a minor's record (under 14 on the reference date).
    pub minors: u64,
    /// Standard id → people whose PI includes PI not sensitive under it (the Provisions'
    /// "excluding sensitive PI" figure). Absent from inventories written before it was counted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub non_sensitive_by_standard: BTreeMap<String, u64>,
    /// Distinct subject keys, counted exactly (the exact twin of `subjects`): an upper bound.
    pub subject_keys: u64,
    /// Distinct resident ID numbers: people is never below it.
    pub resident_ids: u64,
    /// Distinct identifiers in the graph and distinct links between them.
    pub identifiers: u64,
    pub links: u64,
    /// Identifiers left unlinked as shared (more than `link_cap` distinct identifiers of
    /// another kind beside them), and links refused as joining two identity documents of one
    /// kind.
    pub capped_identifiers: u64,
    pub refused_links: u64,
    pub link_cap: u32,
}

impl People {
    /// The figures of a counted graph, `chosen` the scan's standard.
    pub fn of(
        c: &crate::link::PeopleCount,
        chosen: Standard,
        resident_ids: u64,
        cap: u32,
    ) -> People {
        People {
            method: "linked-exact".to_string(),
            people: c.people,
            sensitive: c.sensitive[chosen.index()],
            sensitive_by_standard: Standard::ALL
                .iter()
                .map(|st| (st.id().to_string(), c.sensitive[st.index()]))
                .collect(),
            minors: c.minors,
            non_sensitive_by_standard: Standard::ALL
                .iter()
                .map(|st| (st.id().to_string(), c.non_sensitive[st.index()]))
                .collect(),
            subject_keys: c.keys,
            resident_ids,
            identifiers: c.identifiers,
            links: c.links,
            capped_identifiers: c.capped,
            refused_links: c.refused,
            link_cap: cap,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CategoryEntry {
    pub detector: String,
    pub name: String,
    pub name_zh: String,
    pub category: String,
    /// Sensitive under the scan's chosen standard.
    pub sensitive: bool,
    pub sensitive_by_standard: BTreeMap<String, bool>,
    pub identifier: bool,
    /// `false` for business data (an organisation's identifier): not personal information,
    /// never counted as a person. Written only when false.
    #[serde(default = "personal_default", skip_serializing_if = "is_personal")]
    pub personal: bool,
    pub matches: u64,
    /// Matches per confidence (see [`crate::confidence`]).
    #[serde(default)]
    pub confidence: ByConfidence,
    pub distinct: Estimate,
    /// The totals' categories: the sketch of `distinct` (base64), so that `merge` can count
    /// the distinct values of inventories together. Sources' categories carry none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sketch: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceEntry {
    pub path: String,
    pub format: String,
    pub encoding: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub records: u64,
    pub bytes: u64,
    /// The source's own people, linked within it (see [`Totals::people`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<People>,
    pub subjects: Count,
    pub sensitive_subjects: Count,
    pub sensitive_subjects_by_standard: BTreeMap<String, Count>,
    /// See [`Totals::non_sensitive_subjects_by_standard`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub non_sensitive_subjects_by_standard: BTreeMap<String, Count>,
    /// As [`Totals::sensitive_subjects_by_category`], for this source.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sensitive_subjects_by_category: BTreeMap<String, BTreeMap<String, Count>>,
    pub minor_subjects: Count,
    pub unidentified_records: u64,
    pub categories: Vec<CategoryEntry>,
    pub fields: Vec<FieldEntry>,
    /// Problems that did not stop the source (tables: decoding, damaged columns…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// An image whose path, or the document holding it (alt text, caption), names an identity
    /// document, a face or a fingerprint: its category (see
    /// [`crate::read::document::image::CATEGORIES`]). Its people are unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive_image: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldEntry {
    pub name: String,
    pub categories: Vec<FieldCategory>,
    /// Tables: non-empty values read in the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<u64>,
    /// Tables: the detectors this field *is* a column of (see `classify`), by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classified_as: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldCategory {
    pub detector: String,
    pub matches: u64,
    /// Matches per confidence (see [`crate::confidence`]).
    #[serde(default)]
    pub confidence: ByConfidence,
    pub distinct: Estimate,
    /// Masked: a sample never shows the middle of a value.
    pub samples: Vec<String>,
}

/// Everything [`build`] needs besides the per-file results.
pub struct ScanMeta {
    pub started_at: String,
    pub finished_at: String,
    pub roots: Vec<String>,
    pub reference_date: String,
    pub sensitivity: Standard,
    pub key_id: String,
    pub lg_k: u8,
    /// Errors of the walk itself (missing roots, loops, unreadable directories).
    pub walk_errors: Vec<ErrorEntry>,
    pub classify: ClassifyConfig,
    /// Distinct identifiers of another kind beyond which an identifier is not linked.
    pub link_cap: u32,
    /// Why people were not linked (the graph outgrew its memory budget), if they were not.
    pub links_abandoned: Option<String>,
    /// Where graphs past the memory budget were written ([`crate::link_spill`]), and how many
    /// entries the count may sort in memory before it sorts in runs there too.
    pub link_spill: Option<std::sync::Arc<crate::link_spill::SpillDir>>,
    pub link_sort_entries: usize,
}

fn by_standard(sketches: &[Sketch; 2], with_sketch: bool) -> BTreeMap<String, Count> {
    Standard::ALL
        .iter()
        .map(|st| {
            (
                st.id().to_string(),
                Count::of(&sketches[st.index()], with_sketch),
            )
        })
        .collect()
}

/// Subjects per sensitive category and standard; a category with no subject under a standard
/// is left out under it.
fn by_category(
    set: &DetectorSet,
    acc: &SourceAcc,
    with_sketch: bool,
) -> BTreeMap<String, BTreeMap<String, Count>> {
    acc.sensitive_by_category
        .iter()
        .filter_map(|(&bit, sketches)| {
            let per: BTreeMap<String, Count> = Standard::ALL
                .iter()
                .filter(|st| !sketches[st.index()].is_empty())
                .map(|st| {
                    (
                        st.id().to_string(),
                        Count::of(&sketches[st.index()], with_sketch),
                    )
                })
                .collect();
            let name = set.sensitive_category(bit)?;
            (!per.is_empty()).then(|| (name.to_string(), per))
        })
        .collect()
}

fn category_entries(
    set: &DetectorSet,
    chosen: Standard,
    per_detector: &BTreeMap<usize, DetAcc>,
    with_sketch: bool,
) -> Vec<CategoryEntry> {
    per_detector
        .iter()
        .map(|(&di, acc)| {
            let d = set.get(di);
            CategoryEntry {
                detector: d.id.clone(),
                name: d.names.en.clone(),
                name_zh: d.names.zh.clone(),
                category: d.category.clone(),
                sensitive: d.sensitive.under(chosen),
                sensitive_by_standard: Standard::ALL
                    .iter()
                    .map(|st| (st.id().to_string(), d.sensitive.under(*st)))
                    .collect(),
                identifier: d.identifier,
                personal: d.personal,
                matches: acc.matches,
                confidence: ByConfidence::from_counts(&acc.confidence),
                distinct: acc.distinct.estimate(),
                sketch: (with_sketch && !acc.distinct.is_empty()).then(|| acc.distinct.to_base64()),
            }
        })
        .collect()
}

fn personal_default() -> bool {
    true
}

fn is_personal(p: &bool) -> bool {
    *p
}

/// Per-detector accumulation across all fields of a source.
fn per_detector(acc: &SourceAcc) -> BTreeMap<usize, DetAcc> {
    let mut out: BTreeMap<usize, DetAcc> = BTreeMap::new();
    for dets in acc.fields.values() {
        for (&di, a) in dets {
            out.entry(di).or_default().merge(a.clone());
        }
    }
    out
}

/// A source's fields: those with findings, and those of tables with a warning.
fn field_entries(set: &DetectorSet, cfg: &ClassifyConfig, acc: &SourceAcc) -> Vec<FieldEntry> {
    let empty = BTreeMap::new();
    let mut names: Vec<&String> = acc.fields.keys().collect();
    for (name, st) in &acc.field_stats {
        if st.damaged_numbers > 0 && !acc.fields.contains_key(name) {
            names.push(name);
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let dets = acc.fields.get(name).unwrap_or(&empty);
            let stats = acc.field_stats.get(name);
            let classified_as = stats
                .map(|st| {
                    classify::classify(st, cfg, |d| {
                        dets.get(&d).map_or(0, |a| a.distinct.estimate().estimate)
                    })
                    .into_iter()
                    .map(|d| set.get(d).id.clone())
                    .collect()
                })
                .unwrap_or_default();
            FieldEntry {
                name: name.clone(),
                categories: dets
                    .iter()
                    .map(|(&di, a)| FieldCategory {
                        detector: set.get(di).id.clone(),
                        matches: a.matches,
                        confidence: ByConfidence::from_counts(&a.confidence),
                        distinct: a.distinct.estimate(),
                        samples: a.samples().map(str::to_string).collect(),
                    })
                    .collect(),
                values: stats.map(|st| st.values),
                classified_as,
                warnings: stats
                    .map(|st| classify::warnings(set, st))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The identifier kinds of a graph made with `set`: every detector by index, identity
/// documents (of which a person has one) marked unique.
pub fn kinds(set: &DetectorSet) -> link::Kinds {
    link::Kinds {
        detectors: set.detectors().iter().map(|d| d.id.clone()).collect(),
        unique: set
            .detectors()
            .iter()
            .map(|d| d.identifier && d.category == "identity-document")
            .collect(),
    }
}

/// Distinct resident ID numbers of a counted graph.
fn resident_ids(set: &DetectorSet, c: &link::PeopleCount) -> u64 {
    set.index_of("cn-resident-id")
        .and_then(|i| c.by_kind.get(i).copied())
        .unwrap_or(0)
}

/// Assembles the inventory document from per-file results (in any order; sorted by path here).
pub fn build(set: &DetectorSet, meta: ScanMeta, files: Vec<FileResult>) -> Inventory {
    build_linked(set, meta, files).0
}

/// [`build`], also returning the sources' link graphs (to write beside the inventory, see
/// [`crate::link_file`]).
pub fn build_linked(
    set: &DetectorSet,
    meta: ScanMeta,
    files: Vec<FileResult>,
) -> (Inventory, LinkSet) {
    let builder = Builder::new(
        set,
        BuildConfig::of(set, &meta),
        Sources::Memory(Vec::with_capacity(files.len())),
    );
    let prepared: Vec<Prepared> = files
        .into_par_iter()
        .map(|f| builder.config.prepare(set, f))
        .collect();
    let mut builder = builder;
    for p in prepared {
        builder.add(p);
    }
    builder.finish(meta)
}

/// What [`Builder`] needs before the scan ends: the settings each source's entry is made with.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    pub sensitivity: Standard,
    pub classify: ClassifyConfig,
    pub link_cap: u32,
    pub link_sort_entries: usize,
    kinds: link::Kinds,
}

impl BuildConfig {
    pub fn new(
        set: &DetectorSet,
        sensitivity: Standard,
        classify: ClassifyConfig,
        link_cap: u32,
        link_sort_entries: usize,
    ) -> BuildConfig {
        BuildConfig {
            sensitivity,
            classify,
            link_cap,
            link_sort_entries,
            kinds: kinds(set),
        }
    }

    /// The settings of `meta` (which the scan fills in full only when it ends).
    pub fn of(set: &DetectorSet, meta: &ScanMeta) -> BuildConfig {
        Self::new(
            set,
            meta.sensitivity,
            meta.classify,
            meta.link_cap,
            meta.link_sort_entries,
        )
    }

    /// One file's source entry and what the totals still need from it. Costly (people
    /// counted, fields classified), so done where the file was read, in parallel; the
    /// [`Builder`] only adds it up.
    pub fn prepare(&self, set: &DetectorSet, mut f: FileResult) -> Prepared {
        let chosen = self.sensitivity;
        let mut graph = std::mem::take(&mut f.acc.links);
        // A graph spilled to runs is counted by the builder, within the external sort's
        // memory budget, one at a time.
        let counted = (!graph.is_empty() && graph.runs.is_empty()).then(|| {
            graph.compact();
            link::count(&self.kinds, self.link_cap, [&graph])
        });
        let dets = per_detector(&f.acc);
        // A PDF whose pages are scans (`身份证扫描件.pdf`) is a picture as much as a `.jpg` is.
        let scanned_pdf = f.format == "pdf"
            && f.reason
                .as_deref()
                .is_some_and(|r| r.contains(crate::read::document::pdf::SCANNED));
        let sensitive_image = (f.format == "image" || scanned_pdf)
            .then(|| {
                crate::read::document::image::category_of(Path::new(&f.path))
                    .map(|(c, _)| c.id.to_string())
                    .or_else(|| f.acc.image_category.clone())
            })
            .flatten();
        let entry = SourceEntry {
            people: counted
                .as_ref()
                .map(|c| People::of(c, chosen, resident_ids(set, c), self.link_cap)),
            subjects: Count::of(&f.acc.subjects, true),
            sensitive_subjects: Count::of(&f.acc.sensitive[chosen.index()], true),
            sensitive_subjects_by_standard: by_standard(&f.acc.sensitive, true),
            non_sensitive_subjects_by_standard: by_standard(&f.acc.non_sensitive, true),
            sensitive_subjects_by_category: by_category(set, &f.acc, false),
            minor_subjects: Count::of(&f.acc.minors, true),
            unidentified_records: f.acc.unidentified_records,
            categories: category_entries(set, chosen, &dets, false),
            fields: field_entries(set, &self.classify, &f.acc),
            warnings: f.acc.warnings.clone(),
            sensitive_image,
            records: f.acc.records,
            path: f.path,
            format: f.format,
            encoding: f.encoding,
            status: f.status,
            reason: f.reason,
            bytes: f.bytes,
        };
        Prepared {
            entry,
            acc: f.acc,
            graph,
            counted,
        }
    }
}

/// A source ready to be added: see [`BuildConfig::prepare`].
pub struct Prepared {
    entry: SourceEntry,
    /// The file's accumulators, its graph taken out: merged into the totals.
    acc: SourceAcc,
    graph: LinkAcc,
    /// The graph's people, when it was in memory.
    counted: Option<link::PeopleCount>,
}

impl Prepared {
    pub fn path(&self) -> &str {
        &self.entry.path
    }

    /// The entry as `layout` serialises it and the source's share of the totals, when both are
    /// final here (`None` for a graph spilled to disk: the builder counts its people). What a
    /// state ([`crate::state`]) keeps so that a rescan adds an unchanged file with
    /// [`Builder::add_restored`], copying its entry instead of building and encoding it again.
    pub fn assembled(&self, layout: crate::source_spill::Layout) -> Option<Assembled> {
        if !self.graph.runs.is_empty() {
            return None;
        }
        let mut entry = Vec::new();
        crate::source_spill::serialise(&self.entry, layout, &mut entry).ok()?;
        Some(Assembled {
            entry,
            totals: totals_share(&self.acc),
            sensitive_image: self.entry.sensitive_image.clone(),
        })
    }

    /// The file's fields in the state's form: `(path, format, encoding, bytes, status, reason)`.
    pub fn file(&self) -> (&str, &str, &Option<String>, u64, Status, &Option<String>) {
        let e = &self.entry;
        (
            &e.path,
            &e.format,
            &e.encoding,
            e.bytes,
            e.status,
            &e.reason,
        )
    }

    /// The accumulators (the graph taken out) and the graph.
    pub fn parts(&self) -> (&SourceAcc, &LinkAcc) {
        (&self.acc, &self.graph)
    }
}

/// What [`Prepared::assembled`] keeps of a source.
#[derive(Debug, Clone)]
pub struct Assembled {
    /// The entry, serialised as the run's [`crate::source_spill::Layout`] says.
    pub entry: Vec<u8>,
    /// [`totals_share`] of its accumulators.
    pub totals: SourceAcc,
    pub sensitive_image: Option<String>,
}

/// What the totals need of a source's accumulators: counts and sketches, its fields' detector
/// accumulations merged per detector under one unnamed field (the totals only count per
/// detector: [`per_detector`] of the merged fields, the same whichever field a detector's
/// accumulation came from), without field statistics, warnings or graph.
pub fn totals_share(acc: &SourceAcc) -> SourceAcc {
    let dets = per_detector(acc);
    let mut fields = BTreeMap::new();
    if !dets.is_empty() {
        fields.insert(String::new(), dets);
    }
    SourceAcc {
        records: acc.records,
        unidentified_records: acc.unidentified_records,
        subjects: acc.subjects.clone(),
        sensitive: acc.sensitive.clone(),
        non_sensitive: acc.non_sensitive.clone(),
        sensitive_by_category: acc.sensitive_by_category.clone(),
        minors: acc.minors.clone(),
        fields,
        ..SourceAcc::default()
    }
}

/// A source a rescan takes from its state ([`crate::state`]): its entry already serialised in
/// the builder's layout, its share of the totals ([`totals_share`]) and its graph.
pub struct Restored {
    pub path: String,
    pub format: String,
    pub status: Status,
    pub reason: Option<String>,
    pub bytes: u64,
    pub sensitive_image: Option<String>,
    pub entry: Vec<u8>,
    pub totals: SourceAcc,
    pub graph: LinkAcc,
}

/// Where a [`Builder`] keeps the sources' entries.
pub enum Sources {
    Memory(Vec<SourceEntry>),
    /// Serialised to a temporary file as they are added (a scan of many files).
    Spill(crate::source_spill::SourceSpill),
}

/// A file not fully read, as `--log-format json` reports it.
#[derive(Debug, Clone)]
pub struct Unscanned {
    pub path: String,
    pub format: String,
    pub status: Status,
    pub reason: Option<String>,
}

/// Adds sources up as they finish, in any order: the totals are merged as each comes, its
/// entry is kept in [`Sources`] (a temporary file for a scan), and only the people graphs, the
/// errors and the counts stay in memory. [`Builder::finish`] orders the sources by path and
/// counts the people of all graphs together.
pub struct Builder<'a> {
    set: &'a DetectorSet,
    pub config: BuildConfig,
    kinds: link::Kinds,
    total: SourceAcc,
    errors: Vec<ErrorEntry>,
    unscanned: Vec<Unscanned>,
    scanned: u64,
    partial: u64,
    skipped: u64,
    unreadable: u64,
    bytes: u64,
    graphs: Vec<(String, LinkAcc)>,
    /// The last source's count: the totals' too when it is the only source with a graph.
    only_count: Option<link::PeopleCount>,
    /// A spilled graph that cannot be read back: people are not counted, and the inventory
    /// says why (never a smaller count).
    links_failed: Option<String>,
    images: BTreeMap<String, u64>,
    sources: Sources,
    /// Why an entry could not be kept (it could not be serialised).
    sources_failed: Option<String>,
}

impl<'a> Builder<'a> {
    pub fn new(set: &'a DetectorSet, config: BuildConfig, sources: Sources) -> Builder<'a> {
        let kinds = config.kinds.clone();
        Builder {
            set,
            config,
            kinds,
            total: SourceAcc::default(),
            errors: Vec::new(),
            unscanned: Vec::new(),
            scanned: 0,
            partial: 0,
            skipped: 0,
            unreadable: 0,
            bytes: 0,
            graphs: Vec::new(),
            only_count: None,
            links_failed: None,
            images: BTreeMap::new(),
            sources,
            sources_failed: None,
        }
    }

    fn count_parts(
        &mut self,
        parts: &[&LinkAcc],
        spill: Option<&std::sync::Arc<crate::link_spill::SpillDir>>,
    ) -> Option<link::PeopleCount> {
        crate::link_spill::count_parts(
            &self.kinds,
            self.config.link_cap,
            parts,
            spill,
            self.config.link_sort_entries,
        )
        .map_err(|e| {
            self.links_failed.get_or_insert_with(|| {
                format!("people were not counted: the people graph spilled to disk could not be read back ({e})")
            });
        })
        .ok()
    }

    /// The layout the entries are kept in, when they are kept serialised (in a temporary
    /// file): what [`Builder::add_restored`] and [`Builder::add_serialised`] take.
    pub fn serialised_layout(&self) -> Option<crate::source_spill::Layout> {
        match &self.sources {
            Sources::Spill(s) => Some(s.layout()),
            Sources::Memory(_) => None,
        }
    }

    /// Counts a source's status, bytes and error.
    fn count_file(
        &mut self,
        path: &str,
        format: &str,
        status: Status,
        reason: &Option<String>,
        bytes: u64,
    ) {
        match status {
            Status::Scanned => self.scanned += 1,
            Status::Partial => self.partial += 1,
            Status::Skipped => self.skipped += 1,
            Status::Unreadable => self.unreadable += 1,
        }
        if matches!(status, Status::Scanned | Status::Partial) {
            self.bytes += bytes;
        }
        if matches!(status, Status::Partial | Status::Unreadable)
            && let Some(r) = reason
        {
            self.errors.push(ErrorEntry {
                path: path.to_string(),
                error: r.clone(),
            });
        }
        if status != Status::Scanned {
            self.unscanned.push(Unscanned {
                path: path.to_string(),
                format: format.to_string(),
                status,
                reason: reason.clone(),
            });
        }
    }

    /// Adds a source a rescan took from its state: as [`Builder::add`] adds the source it was
    /// made from, its entry copied as it was serialised. Only for a builder whose
    /// [`serialised_layout`](Self::serialised_layout) is the one the entry was made in.
    pub fn add_restored(&mut self, r: Restored) {
        self.count_file(&r.path, &r.format, r.status, &r.reason, r.bytes);
        if !r.graph.is_empty() {
            // Its people are in its entry; the totals' are counted from all the graphs.
            self.only_count = None;
            self.graphs.push((r.path.clone(), r.graph));
        }
        if let Some(c) = r.sensitive_image {
            *self.images.entry(c).or_insert(0) += 1;
        }
        self.total.merge(r.totals);
        self.push_serialised(&r.path, &r.entry);
    }

    /// [`Builder::add`] of a source whose entry was serialised already
    /// ([`Prepared::assembled`], in this builder's layout).
    pub fn add_serialised(&mut self, p: Prepared, entry: &[u8]) {
        let Prepared {
            entry: e,
            acc,
            graph,
            counted,
        } = p;
        self.count_file(&e.path, &e.format, e.status, &e.reason, e.bytes);
        if !graph.is_empty() {
            self.only_count = counted;
            self.graphs.push((e.path.clone(), graph));
        }
        if let Some(c) = &e.sensitive_image {
            *self.images.entry(c.clone()).or_insert(0) += 1;
        }
        self.total.merge(acc);
        self.push_serialised(&e.path, entry);
    }

    fn push_serialised(&mut self, path: &str, entry: &[u8]) {
        match &mut self.sources {
            Sources::Spill(s) => s.push_bytes(path, entry),
            Sources::Memory(_) => {
                self.sources_failed.get_or_insert_with(|| {
                    format!("{path}: internal error: a serialised entry for sources in memory")
                });
            }
        }
    }

    /// Adds one prepared source.
    pub fn add(&mut self, p: Prepared) {
        let Prepared {
            mut entry,
            acc,
            graph,
            counted,
        } = p;
        self.count_file(
            &entry.path,
            &entry.format,
            entry.status,
            &entry.reason,
            entry.bytes,
        );
        if !graph.is_empty() {
            let count = counted.or_else(|| self.count_parts(&[&graph], None));
            if let Some(c) = &count {
                let chosen = self.config.sensitivity;
                entry.people = Some(People::of(
                    c,
                    chosen,
                    resident_ids(self.set, c),
                    self.config.link_cap,
                ));
            }
            self.only_count = count;
            self.graphs.push((entry.path.clone(), graph));
        }
        if let Some(c) = &entry.sensitive_image {
            *self.images.entry(c.clone()).or_insert(0) += 1;
        }
        self.total.merge(acc);
        match &mut self.sources {
            Sources::Memory(v) => v.push(entry),
            Sources::Spill(s) => {
                if let Err(e) = s.push(&entry) {
                    self.sources_failed
                        .get_or_insert_with(|| format!("{}: {e}", entry.path));
                }
            }
        }
    }

    /// The inventory of every source added, and the graphs to write beside it.
    pub fn finish(mut self, meta: ScanMeta) -> (Inventory, LinkSet) {
        let chosen = self.config.sensitivity;
        let set = self.set;
        // The walk's errors as the scan ordered them, then the sources', in path order.
        let mut errors = meta.walk_errors;
        self.errors.sort_by(|a, b| a.path.cmp(&b.path));
        errors.append(&mut self.errors);
        if let Some(why) = &self.sources_failed {
            errors.push(ErrorEntry {
                path: String::new(),
                error: format!("a source could not be recorded: {why}"),
            });
        }
        if meta.links_abandoned.is_some() {
            self.graphs.clear();
        }
        self.graphs.sort_by(|a, b| a.0.cmp(&b.0));
        self.unscanned.sort_by(|a, b| a.path.cmp(&b.path));
        let mut sources = match std::mem::replace(&mut self.sources, Sources::Memory(Vec::new())) {
            Sources::Memory(mut v) => {
                v.sort_by(|a, b| a.path.cmp(&b.path));
                (v, None)
            }
            Sources::Spill(mut s) => {
                s.sort();
                (Vec::new(), Some(std::sync::Arc::new(s)))
            }
        };
        // Totals per detector come from the merged fields: no second accumulation per source.
        let total = std::mem::take(&mut self.total);
        let total_dets = per_detector(&total);
        let largest_identifier = total_dets
            .iter()
            .filter(|(di, _)| set.get(**di).identifier)
            .map(|(_, a)| a.distinct.estimate().estimate)
            .max()
            .unwrap_or(0);
        let only = self.only_count.take().filter(|_| self.graphs.len() == 1);
        let count = match (&meta.links_abandoned, only) {
            (Some(_), _) => None,
            (None, Some(c)) => Some(c),
            (None, None) => {
                let graphs = std::mem::take(&mut self.graphs);
                let parts: Vec<&LinkAcc> = graphs.iter().map(|(_, g)| g).collect();
                let c = self.count_parts(&parts, meta.link_spill.as_ref());
                self.graphs = graphs;
                c
            }
        };
        let people = match (&self.links_failed, count) {
            (None, Some(count)) => Some(People::of(
                &count,
                chosen,
                resident_ids(set, &count),
                meta.link_cap,
            )),
            _ => None,
        };
        let links = LinkSet {
            key_id: meta.key_id.clone(),
            link_cap: meta.link_cap,
            kinds: self.kinds.clone(),
            sources: std::mem::take(&mut self.graphs),
        };
        let (partial, skipped, unreadable) = (self.partial, self.skipped, self.unreadable);
        let inventory = Inventory {
            graph: None,
            schema: SCHEMA.to_string(),
            tool: Tool {
                name: env!("CARGO_PKG_NAME").to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            scan: ScanInfo {
                started_at: meta.started_at,
                finished_at: meta.finished_at,
                roots: meta.roots,
                reference_date: meta.reference_date,
                sensitivity: chosen.id().to_string(),
                sketch: SketchInfo {
                    format: "apache-datasketches-hll8".to_string(),
                    lg_k: meta.lg_k,
                    key_id: meta.key_id,
                    hash: "siphash-1-3-64-keyed".to_string(),
                },
                files_scanned: self.scanned,
                files_partial: partial,
                files_skipped: skipped,
                files_unreadable: unreadable,
                bytes_scanned: self.bytes,
                complete: partial == 0 && skipped == 0 && unreadable == 0 && errors.is_empty(),
                errors,
                classification: meta.classify,
                links: None,
                sources: None,
                options: None,
                shard: None,
                merged_from: Vec::new(),
            },
            totals: Totals {
                people,
                people_unavailable: meta.links_abandoned.or(self.links_failed),
                subjects: Count::of(&total.subjects, true),
                sensitive_subjects: Count::of(&total.sensitive[chosen.index()], true),
                minor_subjects: Count::of(&total.minors, true),
                sensitive_subjects_by_standard: by_standard(&total.sensitive, true),
                non_sensitive_subjects_by_standard: by_standard(&total.non_sensitive, true),
                sensitive_subjects_by_category: by_category(set, &total, true),
                largest_identifier_distinct: largest_identifier,
                unidentified_records: total.unidentified_records,
                records: total.records,
                categories: category_entries(set, chosen, &total_dets, true),
                sensitive_images_by_category: self.images,
            },
            sources: std::mem::take(&mut sources.0),
            spilled: sources.1,
            unscanned: self.unscanned,
        };
        (inventory, links)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Findings of one detector with distinct values, as a reader would make them.
    fn findings(set: &DetectorSet, n: usize) -> Vec<Finding> {
        let di = set.index_of("cn-mobile").expect("built-in detector");
        (0..n)
            .map(|i| Finding {
                detector: di,
                start: 0,
                end: 11,
                normalised: format!("138{:08}", i * 7919 % 100_000_000).into(),
            })
            .collect()
    }

    #[test]
    fn samples_do_not_depend_on_order_or_on_how_a_source_was_cut() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let fs = findings(&set, 2_000);
        let add_all = |fs: &[Finding]| {
            let mut acc = DetAcc::default();
            for f in fs {
                acc.add(&set, f, finding_hash(&set, &key, f), Confidence::High);
            }
            acc
        };
        let whole = add_all(&fs);
        let reversed: Vec<Finding> = fs.iter().rev().cloned().collect();
        let mut parts = add_all(&fs[1_500..]);
        parts.merge(add_all(&fs[..700]));
        parts.merge(add_all(&fs[700..1_500]));
        let samples = |a: &DetAcc| a.samples().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(samples(&whole).len(), MAX_SAMPLES);
        assert_eq!(samples(&whole), samples(&add_all(&reversed)));
        assert_eq!(samples(&whole), samples(&parts));
        assert_eq!(parts.matches, 2_000);
        // Not simply the first values: with 2,000 candidates, the first three are chosen by
        // hash with probability ~1e-9.
        let first: Vec<String> = fs[..3]
            .iter()
            .map(|f| set.get(f.detector).masker.mask(&f.normalised))
            .collect();
        assert_ne!(samples(&whole), first);
        for s in samples(&whole) {
            assert!(s.contains('*'), "masked: {s}");
        }
    }

    #[test]
    fn the_prefixed_hasher_hashes_as_finding_hash_does() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let hasher = FindingHasher::new(&set, &key);
        for f in findings(&set, 50)
            .iter()
            .chain(&set.find_all("张伟 a@b.co"))
        {
            assert_eq!(hasher.hash(f), finding_hash(&set, &key, f), "{f:?}");
        }
    }

    #[test]
    fn the_sample_candidates_are_the_smallest_hashes_whatever_the_masked_forms() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let di = set.index_of("email").expect("built-in detector");
        let mut acc = DetAcc::default();
        let mut hashes = Vec::new();
        // Every value masks to `u***@example.com`; each comes twice.
        for i in (0..1000).chain(0..1000) {
            let f = Finding {
                detector: di,
                start: 0,
                end: 0,
                normalised: format!("user{i}@example.com").into(),
            };
            let h = finding_hash(&set, &key, &f);
            hashes.push(h);
            acc.add(&set, &f, h, Confidence::High);
        }
        hashes.sort_unstable();
        hashes.dedup();
        let kept: Vec<u64> = acc.samples.iter().map(|s| s.0).collect();
        assert_eq!(kept, hashes[..SAMPLE_CANDIDATES], "one candidate per value");
        assert_eq!(acc.samples().collect::<Vec<_>>(), ["u***@example.com"]);
        assert_eq!(acc.matches, 2000);
    }

    #[test]
    fn a_repeated_masked_form_is_one_sample() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let di = set.index_of("cn-name").expect("built-in detector");
        let mut acc = DetAcc::default();
        for name in ["王伟", "王芳", "王磊", "王静", "李娜", "王强"] {
            let f = Finding {
                detector: di,
                start: 0,
                end: 6,
                normalised: name.into(),
            };
            acc.add(&set, &f, finding_hash(&set, &key, &f), Confidence::High);
        }
        let mut got: Vec<&str> = acc.samples().collect();
        got.sort_unstable();
        assert_eq!(got, ["李*", "王*"], "surnames kept once each");
    }
}
