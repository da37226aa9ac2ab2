//! Readers: a file → records of fields, fed to the detectors.
//!
//! One module per format, chosen by [`format`] from the content (then the extension): text
//! (lines are records), CSV/TSV, JSON / JSON Lines and spreadsheets (records of named fields).
//! Text and CSV in another encoding than UTF-8 are decoded on the way ([`encoding`]). A file
//! that looks binary is skipped with a reason rather than scanned as noise. Parquet, SQLite and
//! SQL dumps are recognised first ([`columnar`]); compressed files and archives are opened a step
//! earlier, in [`read_source`], since they yield one result per member ([`container`]).

pub mod columnar;
pub mod container;
pub mod csv;
pub mod document;
pub mod encoding;
pub mod format;
pub mod json;
pub mod mapped;
mod memo;
pub mod open;
pub mod parquet;
pub mod records;
pub mod sheet;
pub mod sheet_notes;
pub mod sniff;
pub mod sqldump;
pub mod sqlite;
pub mod text;

use std::path::Path;

use chrono::NaiveDate;

use crate::detect::{DetectorSet, Finding};
use crate::inventory::{FileResult, SourceAcc, Status};
use crate::sketch::SketchKey;

/// What every reader needs: the detectors, the sketch key and the reference date for minors.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub set: &'a DetectorSet,
    pub key: &'a SketchKey,
    pub reference: NaiveDate,
    /// Told of every finding as its record is committed (`pipl-scan explain`, the accuracy
    /// benchmark); `None` in a scan, where it costs one branch per record with findings.
    pub trace: Option<&'a Trace<'a>>,
    /// Findings below this confidence are dropped before they are counted
    /// (`scan --min-confidence`; see [`crate::confidence`]).
    pub min_confidence: crate::confidence::Confidence,
    /// Where a file's people graph goes when it grows past its share of `--link-memory` while
    /// the file is read (`None`: held in memory, as in `explain` and the benchmarks).
    pub links_spill: Option<&'a crate::link_spill::Spill>,
    /// Non-zero once the scan is being stopped (SIGINT, SIGTERM: see
    /// [`crate::scan::ScanConfig::stop`]): readers of large files skip their remaining chunks,
    /// row groups or statements, and the file is recorded as `partial`.
    pub stop: Option<&'a std::sync::atomic::AtomicUsize>,
    /// The progress of the file being read, on a terminal (`None` elsewhere): readers of large
    /// files report each chunk, row group or block of a dump as they finish it.
    pub progress: Option<&'a FileProgress>,
}

/// How far into one file a scan is, shown on the progress bar while a large file is read.
pub struct FileProgress {
    /// Bytes of this file read so far (the scan adds the rest when the file is done).
    pub done: std::sync::atomic::AtomicU64,
    /// The file's size and when its reading started.
    pub size: u64,
    pub started: std::time::Instant,
    /// The file's name as shown (personal data in it masked).
    pub name: String,
    pub bar: indicatif::ProgressBar,
}

impl FileProgress {
    /// Shows the file's share read and the time left at its pace so far.
    fn show(&self, done: u64) {
        if self.size == 0 {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        let pct = (done as f64 / self.size as f64 * 100.0).min(100.0);
        let eta = if done > 0 {
            let left = elapsed * (self.size.saturating_sub(done)) as f64 / done as f64;
            format!(", {}s left", left.round() as u64)
        } else {
            String::new()
        };
        self.bar.set_message(format!(
            "{}: {pct:.0}% of {}{eta}",
            self.name,
            indicatif::HumanBytes(self.size)
        ));
    }
}

impl<'a> Ctx<'a> {
    /// Spills `acc`'s people graph if it outgrew a file's share of the memory budget: called
    /// as records are added and where the parts of a file are merged.
    #[inline]
    pub fn bound_links(&self, acc: &mut crate::inventory::SourceAcc) {
        if let Some(s) = self.links_spill {
            s.bound(&mut acc.links);
        }
    }

    /// A context that traces nothing.
    pub fn new(set: &'a DetectorSet, key: &'a SketchKey, reference: NaiveDate) -> Ctx<'a> {
        Ctx {
            set,
            key,
            reference,
            trace: None,
            min_confidence: crate::confidence::Confidence::Low,
            links_spill: None,
            stop: None,
            progress: None,
        }
    }

    /// Reports `n` more bytes of the current file read (see [`Ctx::progress`]).
    #[inline]
    pub fn advance(&self, n: u64) {
        if let Some(p) = self.progress {
            let done = p.done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
            p.bar.inc(n);
            p.show(done);
        }
    }

    /// Whether the scan is being stopped: the rest of the file is not read.
    #[inline]
    pub fn stopping(&self) -> bool {
        self.stop
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed) != 0)
    }
}

/// One finding as its record is committed: what `explain` prints and the accuracy benchmark
/// compares with its labels. It holds the raw finding: a trace never leaves the process
/// unmasked.
#[derive(Debug, Clone, Copy)]
pub struct Traced<'t> {
    /// The record's number in its source (or in its chunk, for a text file large enough to be
    /// split): 1-based.
    pub record: u64,
    /// The field the finding is in (`text` for plain text).
    pub field: &'t str,
    pub finding: &'t Finding,
    /// Whether this finding is its record's subject key.
    pub is_key: bool,
    /// Plain text: the whole line the finding is in (for its context); `None` in tables.
    pub line: Option<&'t [u8]>,
}

/// Receives [`Traced`] findings, from any reader thread.
pub type Trace<'a> = dyn Fn(Traced<'_>) + Sync + 'a;

#[cfg(test)]
impl<'a> Ctx<'a> {
    /// A context for unit tests: these detectors and key, the fixtures' reference date.
    pub(crate) fn for_tests(set: &'a DetectorSet, key: &'a SketchKey) -> Ctx<'a> {
        Ctx::new(
            set,
            key,
            NaiveDate::from_ymd_opt(2026, 11, 25).expect("a real date"),
        )
    }
}

/// Bytes examined to decide whether a file is binary.
const SNIFF_LEN: usize = 8192;
/// Bytes examined to detect a text file's encoding and format.
const ENCODING_SNIFF_LEN: usize = 64 << 10;

/// Reads one regular file found by the walk: one result, or one per member of an archive.
pub fn read_source(path: &Path, size: u64, ctx: &Ctx) -> Vec<FileResult> {
    // Debug builds only, for tests/faults.rs: a file named by PIPL_SCAN_TEST_STALL is read as
    // a parser that never looks at the stop flag would read it (a minute).
    #[cfg(debug_assertions)]
    if std::env::var_os("PIPL_SCAN_TEST_STALL").is_some_and(|n| path.file_name() == Some(&*n)) {
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
    // Opened and read (or mapped) once: whether it is an archive is told from the same bytes
    // its reader then reads.
    let with_attachments = |data| {
        let (r, attachments, images) = read_opened(path, data, ctx);
        let mut out = vec![r];
        out.extend(images);
        if !attachments.is_empty() {
            out.extend(container::read_attachments(path, size, attachments, ctx));
        }
        out
    };
    let mut out =
        match text::Data::open(path, size).map(|d| container::read_data(path, size, d, ctx)) {
            Ok(Ok(out)) => out,
            Ok(Err(data)) => with_attachments(Ok(data)),
            Err(e) => with_attachments(Err(e)),
        };
    // Stopped while this file was read: its readers skipped what was left of it.
    if ctx.stopping() {
        for r in out.iter_mut().filter(|r| r.status == Status::Scanned) {
            r.status = Status::Partial;
            r.reason = Some(format!(
                "{}: the scan was stopped while this file was read; it may not have been read \
                 to the end",
                r.path
            ));
        }
    }
    out
}

/// Reads one regular file found by the walk. Never panics on bad input: every problem becomes
/// the file's status and reason. A document's attachments (an e-mail's files) are not read
/// here: [`read_source`] reads them as sources of their own.
pub fn read_file(path: &Path, size: u64, ctx: &Ctx) -> FileResult {
    read_file_and_attachments(path, size, ctx).0
}

fn read_file_and_attachments(
    path: &Path,
    size: u64,
    ctx: &Ctx,
) -> (FileResult, Vec<document::Attachment>) {
    let (r, attachments, _) = read_opened(path, text::Data::open(path, size), ctx);
    (r, attachments)
}

/// [`read_file_and_attachments`] of a file opened already (or that could not be); also the
/// results that list the pictures inside it.
fn read_opened(
    path: &Path,
    data: Result<text::Data, text::OpenError>,
    ctx: &Ctx,
) -> (FileResult, Vec<document::Attachment>, Vec<FileResult>) {
    let display = path.display().to_string();
    let result = |status, reason: Option<String>, bytes, acc| FileResult {
        path: display.clone(),
        format: "text".to_string(),
        encoding: None,
        bytes,
        status,
        reason,
        acc,
    };
    let data = match data {
        Ok(d) => d,
        Err(e) => {
            return (
                result(
                    Status::Unreadable,
                    Some(e.to_string()),
                    0,
                    SourceAcc::default(),
                ),
                Vec::new(),
                Vec::new(),
            );
        }
    };
    let data = match columnar::read(path, data, ctx) {
        Ok(r) => return (r, Vec::new(), Vec::new()),
        Err(d) => d,
    };
    let bytes = data.bytes();
    let len = bytes.len() as u64;
    let out = read_bytes(path, bytes, ctx, &|s, e| data.release(s, e));
    let (status, reason) = match (data.finish(path), out.problem) {
        (Err(msg), _) => (Status::Partial, Some(msg)),
        (Ok(()), p) => (out.status, p),
    };
    let mut r = result(status, reason, len, out.acc);
    r.format = out.format;
    r.encoding = out.encoding;
    let images = document::embedded::results(&display, out.images);
    (r, out.attachments, images)
}

/// What the readers made of a file's bytes.
pub struct BytesOutcome {
    pub format: String,
    pub encoding: Option<String>,
    /// `Scanned`, or `Partial` / `Skipped` with `problem` saying why.
    pub status: Status,
    pub problem: Option<String>,
    pub acc: SourceAcc,
    /// Files carried inside the file (e-mail attachments), for the caller to read.
    pub attachments: Vec<document::Attachment>,
    /// Pictures inside the file (a docx's `word/media/`), for the caller to list.
    pub images: Vec<document::embedded::EmbeddedImage>,
}

impl BytesOutcome {
    fn of_document(kind: document::DocKind, out: document::DocOutcome) -> BytesOutcome {
        BytesOutcome {
            format: kind.name().to_string(),
            encoding: out.encoding,
            status: out.status,
            problem: out.problem,
            acc: out.acc,
            attachments: out.attachments,
            images: out.images,
        }
    }
}

/// Reads the bytes of a file (or of an archive member) that is not a columnar or database
/// format: spreadsheets, CSV/TSV, JSON, JSON Lines or text in any encoding, chosen by content
/// (and `name`'s extension). `release(s, e)` is told when a range of a large text is scanned.
pub fn read_bytes(
    name: &Path,
    bytes: &[u8],
    ctx: &Ctx,
    release: &(dyn Fn(usize, usize) + Sync),
) -> BytesOutcome {
    let mut out = read_bytes_as_they_are(name, bytes, ctx, release);
    if let Some(m) = format::check_claim(name, bytes) {
        claim_outcome(&m, &mut out);
    }
    out
}

/// A file whose name claims a format it does not have: read by what it is, with a note; when
/// what it is has no reader, `unreadable` with what it claimed and what it is.
fn claim_outcome(m: &format::Mismatch, out: &mut BytesOutcome) {
    if out.format == "binary" {
        out.status = Status::Unreadable;
        out.problem = Some(m.message());
        return;
    }
    let mut m = m.clone();
    if !m.recognised {
        // Bytes that look binary to the claim check but decode as text (UTF-16 without a BOM).
        m.actual = "text".to_string();
    }
    out.acc.warnings.insert(0, m.note(&out.format));
}

fn read_bytes_as_they_are(
    name: &Path,
    bytes: &[u8],
    ctx: &Ctx,
    release: &(dyn Fn(usize, usize) + Sync),
) -> BytesOutcome {
    let container = format::sniff_container(name, bytes);
    if let Some(format::Format::Document(kind)) = container {
        return BytesOutcome::of_document(kind, document::read(name, bytes, kind, ctx));
    }
    if let Some(kind) = container
        .is_none()
        .then(|| format::sniff_document(name, &bytes[..bytes.len().min(SNIFF_LEN)]))
        .flatten()
    {
        return BytesOutcome::of_document(kind, document::read(name, bytes, kind, ctx));
    }
    if let Some(fmt) = container {
        let out = sheet::read_container(bytes, fmt, ctx);
        return BytesOutcome {
            format: fmt.name().to_string(),
            encoding: None,
            status: if out.problem.is_some() {
                out.status
            } else {
                Status::Scanned
            },
            problem: out.problem,
            acc: out.acc,
            attachments: Vec::new(),
            // A workbook's pictures (`xl/media/`, an ods's `Pictures/`).
            images: document::embedded::list(bytes),
        };
    }
    let long_head = &bytes[..bytes.len().min(ENCODING_SNIFF_LEN)];
    let det = encoding::detect(long_head, long_head.len() == bytes.len());
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    let utf16 = det.encoding == encoding_rs::UTF_16LE || det.encoding == encoding_rs::UTF_16BE;
    if let Some(pos) = memchr::memchr(0, head).filter(|_| !utf16) {
        return BytesOutcome {
            format: "binary".to_string(),
            encoding: None,
            status: Status::Skipped,
            problem: Some(format!(
                "binary file (NUL byte at offset {pos}); no reader for its format"
            )),
            acc: SourceAcc::default(),
            attachments: Vec::new(),
            images: Vec::new(),
        };
    }
    let (head_text, _) = det
        .encoding
        .decode_without_bom_handling(&long_head[det.bom.min(long_head.len())..]);
    let fmt = format::sniff_text(name, &head_text, long_head.len() == bytes.len());
    let (acc, problem) = match fmt {
        format::Format::Csv { delimiter } => {
            let out = csv::scan_csv(bytes, &det, delimiter, ctx);
            (out.acc, out.problem)
        }
        format::Format::Json | format::Format::JsonLines => {
            let out = json::scan_json(bytes, &det, fmt == format::Format::JsonLines, ctx);
            (out.acc, out.problem)
        }
        _ => scan_any_text(bytes, &det, ctx, release),
    };
    BytesOutcome {
        format: fmt.name().to_string(),
        encoding: Some(det.name()),
        status: if problem.is_some() {
            Status::Partial
        } else {
            Status::Scanned
        },
        problem,
        acc,
        attachments: Vec::new(),
        images: Vec::new(),
    }
}

/// Plain text in any encoding: UTF-8 is scanned in place, the rest decoded piece by piece.
fn scan_any_text(
    bytes: &[u8],
    det: &encoding::Detected,
    ctx: &Ctx,
    release: &(dyn Fn(usize, usize) + Sync),
) -> (SourceAcc, Option<String>) {
    if det.is_utf8() {
        let bom = det.bom.min(bytes.len());
        let shifted = |s: usize, e: usize| release(s + bom, e + bom);
        return (
            text::scan_text_releasing(&bytes[bom..], ctx, &shifted),
            None,
        );
    }
    let mut acc = SourceAcc::default();
    let stats = encoding::decode_pieces(bytes, det, text::CHUNK, |piece| {
        acc.merge(text::scan_text(piece, ctx));
        ctx.bound_links(&mut acc);
    });
    (acc, stats.message(det))
}
