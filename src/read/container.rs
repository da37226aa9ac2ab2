//! Compressed files and archives: `.gz`, `.zst`, `.bz2`, `.xz` streams and `.zip` / `.tar`
//! (`.tar.gz`, `.tgz`, …) members, each scanned as the file it contains.
//!
//! A member is a source of its own, at the path `archive.zip!inner/file.csv` (nested archives
//! add another `!`). Streams are decompressed on the fly and never held in memory, except a
//! member that needs random access (Parquet, SQLite, a zip inside another archive), which is
//! read into memory up to [`Limits::max_in_memory`].
//!
//! Limits protect the scan from decompression bombs: the bytes decompressed from one file on
//! disk may not exceed [`Limits::max_ratio`] times its size (nor [`Limits::max_expanded`]);
//! a zip member whose declared size would cross the limit is not even opened, and a stream that
//! lies about its size is cut off when it crosses it. Member count and nesting depth are capped
//! too. Crossing a limit is recorded as an error on the archive; members scanned before it count.

use std::cell::Cell;
use std::io::{self, Cursor, Read, Seek};
use std::path::Path;
use std::rc::Rc;

use super::document::Attachment;
use super::sniff::{self, Codec, Kind};
use super::text::{self, Data};
use super::{Ctx, parquet, sqldump, sqlite};
use crate::inventory::{FileResult, SourceAcc, Status};

/// Largest archive member read whole, as the file it is (a spreadsheet or CSV inside a zip);
/// larger members are streamed as text.
const TABLE_IN_MEMORY: u64 = 64 << 20;

/// Bounds on what one file on disk may expand to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Decompressed bytes allowed per byte on disk. Deflate cannot exceed ~1032:1; real data
    /// (logs, dumps) stays well under 100:1.
    pub max_ratio: u64,
    /// Decompressed bytes always allowed, whatever the ratio (tiny archives of sparse files).
    pub min_expanded: u64,
    /// Decompressed bytes never exceeded, whatever the size on disk.
    pub max_expanded: u64,
    /// Archive members per file on disk (all nesting levels together).
    pub max_members: u64,
    /// Containers inside containers (`a.zip!b.tar.gz!c.csv` is depth 3).
    pub max_depth: u32,
    /// Largest member read into memory for a reader that needs random access.
    pub max_in_memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_ratio: 1000,
            min_expanded: 64 << 20,
            max_expanded: 256 << 30,
            max_members: 100_000,
            max_depth: 4,
            max_in_memory: 512 << 20,
        }
    }
}

/// If `path` is a compressed file or an archive, scans it and returns one result per member (and
/// one for the container itself when it has an error or no members); `None` otherwise.
pub fn read_path(path: &Path, size: u64, ctx: &Ctx) -> Option<Vec<FileResult>> {
    read_path_with(path, size, ctx, Limits::default())
}

pub fn read_path_with(
    path: &Path,
    size: u64,
    ctx: &Ctx,
    limits: Limits,
) -> Option<Vec<FileResult>> {
    let display = path.display().to_string();
    let mut head = Vec::with_capacity(sniff::HEAD_LEN);
    let opened =
        super::open::open(path).and_then(|f| f.take(sniff::HEAD_LEN as u64).read_to_end(&mut head));
    if opened.is_err() {
        return None; // read_file reports the error
    }
    let (kind, claim) = container_kind(path, &display, &head)?;
    let data = match Data::open(path, size) {
        Ok(d) => d,
        Err(e) => {
            let mut r = result(&display, "archive", Status::Unreadable, Some(e.to_string()));
            r.bytes = size;
            return Some(vec![r]);
        }
    };
    Some(read_container(path, size, kind, claim, data, ctx, limits))
}

/// [`read_path`] for a file opened already (its bytes read, or mapped): the file is opened
/// and its head read once, not once to tell an archive and again to read it. `Err` gives the
/// data back when the file is no compressed file or archive.
pub fn read_data(path: &Path, size: u64, data: Data, ctx: &Ctx) -> Result<Vec<FileResult>, Data> {
    let display = path.display().to_string();
    let bytes = data.bytes();
    let Some((kind, claim)) =
        container_kind(path, &display, &bytes[..bytes.len().min(sniff::HEAD_LEN)])
    else {
        return Err(data);
    };
    Ok(read_container(
        path,
        size,
        kind,
        claim,
        data,
        ctx,
        Limits::default(),
    ))
}

/// Whether a file whose first [`sniff::HEAD_LEN`] bytes are `head` is a compressed file or an
/// archive, and the format its name claims when it is not the one it has.
fn container_kind(
    path: &Path,
    display: &str,
    head: &[u8],
) -> Option<(Kind, Option<super::format::Mismatch>)> {
    // A zip named like an office document that holds no workbook, document or presentation is
    // the archive it is (`report.xlsx` holding CSV files), read with a note of what it claimed.
    let mut claim = None;
    let kind = match sniff::kind(display, head) {
        Some(k) => k,
        None if head.starts_with(b"PK\x03\x04")
            && claims_office_format(path)
            && super::format::is_plain_zip(path) =>
        {
            claim = Some(super::format::Mismatch {
                claimed: ext_of(path),
                actual: "a zip archive".to_string(),
                recognised: true,
            });
            Kind::Zip
        }
        None => return None,
    };
    if !matches!(kind, Kind::Compressed(_) | Kind::Zip | Kind::Tar) {
        return None;
    }
    Some((
        kind,
        claim.or_else(|| super::format::check_claim(path, head)),
    ))
}

fn read_container(
    path: &Path,
    size: u64,
    kind: Kind,
    claim: Option<super::format::Mismatch>,
    data: Data,
    ctx: &Ctx,
    limits: Limits,
) -> Vec<FileResult> {
    let display = path.display().to_string();
    let mut st = State::new(ctx, limits, size);
    let bytes = data.bytes();
    match kind {
        Kind::Zip => st.zip(&display, Cursor::new(bytes), 1),
        _ => {
            // The content of `x.xlsx` that is a gzip stream is not judged by `.xlsx` again.
            let name = match &claim {
                Some(_) => path.with_extension("").display().to_string(),
                None => display.clone(),
            };
            st.stream(&display, &name, &mut &bytes[..], 0)
        }
    }
    let mut out = st.out;
    if let Err(m) = data.finish(path) {
        out.push(result(&display, "archive", Status::Partial, Some(m)));
    }
    // A `.xlsx` that is a gzip stream is read as one, with a note of what it claimed: on the
    // file's own result, or on each of its members' when it has none.
    if let Some(m) = claim {
        let note = format!("{display}: {}", m.note(kind.name()));
        let own = out.iter().any(|r| r.path == display);
        for r in out.iter_mut().filter(|r| !own || r.path == display) {
            r.acc.warnings.insert(0, note.clone());
        }
    }
    // A compressed file that holds one stream is one source: its size is its size on disk.
    if out.len() == 1 && out[0].path == display {
        out[0].bytes = size;
    }
    out
}

fn ext_of(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether `path`'s extension names an office document format (a zip of known entries).
fn claims_office_format(path: &Path) -> bool {
    matches!(
        ext_of(path).as_str(),
        "xlsx"
            | "xlsm"
            | "xlsb"
            | "xltx"
            | "xltm"
            | "docx"
            | "docm"
            | "pptx"
            | "pptm"
            | "ods"
            | "odt"
            | "odp"
    )
}

/// Reads the attachments of a document on disk (an e-mail's files) as members of it:
/// `mail.eml!cv.docx`, under the same limits as an archive's members.
pub fn read_attachments(
    path: &Path,
    size: u64,
    files: Vec<Attachment>,
    ctx: &Ctx,
) -> Vec<FileResult> {
    let mut st = State::new(ctx, Limits::default(), size);
    st.attachments(&path.display().to_string(), files, 0);
    st.out
}

fn result(path: &str, format: &str, status: Status, reason: Option<String>) -> FileResult {
    FileResult {
        path: path.to_string(),
        format: format.to_string(),
        encoding: None,
        bytes: 0,
        status,
        reason,
        acc: SourceAcc::default(),
    }
}

/// Counts decompressed bytes against the file's allowance; fails the read past it.
struct Counted<R> {
    inner: R,
    expanded: Rc<Cell<u64>>,
    allowed: u64,
    disk_size: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.expanded.get() >= self.allowed {
            return Err(bomb_error(self.allowed, self.disk_size));
        }
        let room = (self.allowed - self.expanded.get()).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        self.expanded.set(self.expanded.get() + n as u64);
        Ok(n)
    }
}

fn bomb_error(allowed: u64, disk: u64) -> io::Error {
    io::Error::other(format!(
        "decompression limit reached: more than {allowed} bytes from a {disk}-byte file \
         (possible decompression bomb); not read further"
    ))
}

struct State<'c, 'a> {
    ctx: &'c Ctx<'a>,
    limits: Limits,
    disk_size: u64,
    allowed: u64,
    expanded: Rc<Cell<u64>>,
    members: u64,
    out: Vec<FileResult>,
}

/// The name a compressed stream's content would have: `x.csv.gz` → `x.csv`, `x.tgz` → `x.tar`.
fn inner_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    for (suffix, repl) in [
        (".tgz", ".tar"),
        (".tbz2", ".tar"),
        (".txz", ".tar"),
        (".tzst", ".tar"),
    ] {
        if lower.ends_with(suffix) {
            return format!("{}{repl}", &name[..name.len() - suffix.len()]);
        }
    }
    for suffix in [".gz", ".zst", ".zstd", ".bz2", ".xz", ".gzip"] {
        if lower.ends_with(suffix) {
            return name[..name.len() - suffix.len()].to_string();
        }
    }
    name.to_string()
}

impl<'c, 'a> State<'c, 'a> {
    /// What the members of a container of `size` bytes on disk may expand to, together.
    fn new(ctx: &'c Ctx<'a>, limits: Limits, size: u64) -> Self {
        let allowed = (size.saturating_mul(limits.max_ratio))
            .max(limits.min_expanded)
            .min(limits.max_expanded);
        State {
            ctx,
            limits,
            disk_size: size,
            allowed,
            expanded: Rc::new(Cell::new(0)),
            members: 0,
            out: Vec::new(),
        }
    }

    fn counted<R: Read>(&self, inner: R) -> Counted<R> {
        Counted {
            inner,
            expanded: self.expanded.clone(),
            allowed: self.allowed,
            disk_size: self.disk_size,
        }
    }

    fn over_limit(&self) -> bool {
        self.expanded.get() >= self.allowed
    }

    /// Scans a stream whose content is the file `name`, recorded at `display`.
    fn stream(&mut self, display: &str, name: &str, r: &mut dyn Read, depth: u32) {
        let mut head = Vec::with_capacity(sniff::HEAD_LEN);
        if let Err(e) = r.take(sniff::HEAD_LEN as u64).read_to_end(&mut head) {
            self.out.push(result(
                display,
                "unknown",
                Status::Unreadable,
                Some(format!("{display}: cannot read: {e}")),
            ));
            return;
        }
        let kind = sniff::kind(name, &head);
        let mut whole = Cursor::new(head).chain(r);
        if let Some(Kind::Compressed(_) | Kind::Zip | Kind::Tar) = &kind
            && depth >= self.limits.max_depth
        {
            self.out.push(result(
                display,
                "archive",
                Status::Skipped,
                Some(format!(
                    "{display}: containers nested more than {} deep are not opened",
                    self.limits.max_depth
                )),
            ));
            return;
        }
        match kind {
            Some(Kind::Compressed(codec)) => {
                let inner = inner_name(name);
                match decoder(codec, &mut whole) {
                    Ok(dec) => {
                        let mut dec = self.counted(dec);
                        self.stream(display, &inner, &mut dec, depth + 1);
                    }
                    Err(e) => self.out.push(result(
                        display,
                        codec.name(),
                        Status::Unreadable,
                        Some(format!("{display}: {} stream: {e}", codec.name())),
                    )),
                }
            }
            Some(Kind::Tar) => self.tar(display, &mut whole, depth + 1),
            Some(Kind::Zip) => {
                if let Some(buf) = self.in_memory(display, &mut whole) {
                    self.zip(display, Cursor::new(&buf[..]), depth + 1);
                }
            }
            Some(Kind::Parquet) => {
                if let Some(buf) = self.in_memory(display, &mut whole) {
                    let bytes = bytes::Bytes::from(buf);
                    let len = bytes.len() as u64;
                    let (acc, err) = parquet::scan(|| Ok(bytes.clone()), self.ctx);
                    self.push_scan(display, "parquet", None, len, acc, err);
                }
            }
            Some(Kind::Sqlite) => {
                if let Some(buf) = self.in_memory(display, &mut whole) {
                    let len = buf.len() as u64;
                    match sqlite::open_bytes(&buf) {
                        Ok(conn) => {
                            let (acc, err) = sqlite::scan(&conn, self.ctx);
                            self.push_scan(display, "sqlite", None, len, acc, err);
                        }
                        Err(e) => self.out.push(FileResult {
                            bytes: len,
                            ..result(
                                display,
                                "sqlite",
                                Status::Unreadable,
                                Some(format!("{display}: {e}")),
                            )
                        }),
                    }
                }
            }
            Some(Kind::SqlDump(d)) => {
                // The first MiB tells the dump's encoding (a GBK dump is decoded on the way).
                let mut head = Vec::with_capacity(sqldump::ENCODING_HEAD);
                let read = (&mut whole)
                    .take(sqldump::ENCODING_HEAD as u64)
                    .read_to_end(&mut head);
                let complete = head.len() < sqldump::ENCODING_HEAD;
                // A stream that fails within the head (a truncated gzip) still has the bytes
                // before the failure scanned, and the failure reported where the tokenizer
                // meets it.
                let rest: Box<dyn Read> = match read {
                    Ok(_) => Box::new(&mut whole),
                    Err(e) => Box::new(FailingRead(Some(e))),
                };
                let mut counter = ByteCount {
                    inner: Cursor::new(&head[..]).chain(rest),
                    n: 0,
                };
                let (acc, err, encoding) =
                    sqldump::scan_in_encoding(&mut counter, &head, complete, d, self.ctx);
                let n = counter.n;
                self.push_scan(display, d.format(), Some(&encoding), n, acc, err);
            }
            Some(Kind::BinaryDump(m)) => self.out.push(result(
                display,
                "binary_dump",
                Status::Unreadable,
                Some(format!("{display}: {m}")),
            )),
            None => self.member(display, name, &mut whole, depth),
        }
    }

    /// A member in no container or database format: read like a file on disk — spreadsheet,
    /// CSV, JSON or text, by content and name — when it fits in [`TABLE_IN_MEMORY`]; a larger
    /// one is streamed as text, so memory stays bounded.
    fn member(&mut self, display: &str, name: &str, r: &mut dyn Read, depth: u32) {
        let mut buf = Vec::new();
        if let Err(e) = r.take(TABLE_IN_MEMORY + 1).read_to_end(&mut buf) {
            self.out.push(result(
                display,
                "unknown",
                Status::Unreadable,
                Some(format!("{display}: cannot read: {e}")),
            ));
            return;
        }
        if buf.len() as u64 > TABLE_IN_MEMORY {
            let mut rest = Cursor::new(buf).chain(r);
            self.text(display, &mut rest);
            return;
        }
        let out = super::read_bytes(std::path::Path::new(name), &buf, self.ctx, &|_, _| {});
        self.out.push(FileResult {
            path: display.to_string(),
            format: out.format,
            encoding: out.encoding,
            bytes: buf.len() as u64,
            status: out.status,
            reason: out.problem.map(|p| format!("{display}: {p}")),
            acc: out.acc,
        });
        for img in super::document::embedded::results(display, out.images) {
            if !self.count_member(display) {
                return;
            }
            self.out.push(img);
        }
        self.attachments(display, out.attachments, depth);
    }

    /// A document's attachments, each read as the file it is, one level deeper.
    fn attachments(&mut self, display: &str, files: Vec<Attachment>, depth: u32) {
        for a in files {
            let inner = format!("{display}!{}", a.name);
            if depth + 1 > self.limits.max_depth {
                self.out.push(result(
                    &inner,
                    "attachment",
                    Status::Skipped,
                    Some(format!(
                        "{inner}: attachments nested more than {} deep are not opened",
                        self.limits.max_depth
                    )),
                ));
                continue;
            }
            if !self.count_member(display) {
                return;
            }
            let mut counted = self.counted(&a.bytes[..]);
            let before = self.out.len();
            self.stream(&inner, &a.name, &mut counted, depth + 1);
            // An image its name says nothing of, that the message names (`附件是身份证正反面`).
            for r in &mut self.out[before..] {
                if r.path == inner && r.format == "image" {
                    super::document::embedded::named_by_message(r, &a.context);
                }
            }
            if self.stopped_over_limit(display, "attachments") {
                return;
            }
        }
    }

    /// Records the outcome of a reader: scanned, partial (records before the error count) or
    /// unreadable (nothing read).
    fn push_scan(
        &mut self,
        display: &str,
        format: &str,
        encoding: Option<&str>,
        bytes: u64,
        acc: SourceAcc,
        err: Option<String>,
    ) {
        let status = match &err {
            None => Status::Scanned,
            Some(_) if acc.records > 0 => Status::Partial,
            Some(_) => Status::Unreadable,
        };
        self.out.push(FileResult {
            path: display.to_string(),
            format: format.to_string(),
            encoding: encoding.map(str::to_string),
            bytes,
            status,
            reason: err.map(|e| format!("{display}: {e}")),
            acc,
        });
    }

    /// Reads a member that needs random access into memory, within the limit.
    fn in_memory(&mut self, display: &str, r: &mut dyn Read) -> Option<Vec<u8>> {
        let cap = self.limits.max_in_memory;
        let mut buf = Vec::new();
        match r.take(cap + 1).read_to_end(&mut buf) {
            Ok(_) if buf.len() as u64 > cap => {
                self.out.push(result(
                    display,
                    "archive_member",
                    Status::Skipped,
                    Some(format!(
                        "{display}: member larger than {} MiB needs random access and is not \
                         loaded into memory; extract it and scan the file",
                        cap >> 20
                    )),
                ));
                None
            }
            Ok(_) => Some(buf),
            Err(e) => {
                self.out.push(result(
                    display,
                    "archive_member",
                    Status::Unreadable,
                    Some(format!("{display}: cannot read: {e}")),
                ));
                None
            }
        }
    }

    /// Plain text, streamed: whole lines are scanned block by block.
    fn text(&mut self, display: &str, r: &mut dyn Read) {
        let (acc, bytes, binary, err) = scan_text_stream(r, self.ctx);
        if let Some(pos) = binary {
            self.out.push(FileResult {
                bytes,
                ..result(
                    display,
                    "binary",
                    Status::Skipped,
                    Some(format!(
                        "{display}: binary file (NUL byte at offset {pos}); no reader for its format"
                    )),
                )
            });
            return;
        }
        self.push_scan(display, "text", Some("utf-8"), bytes, acc, err);
    }

    fn count_member(&mut self, display: &str) -> bool {
        self.members += 1;
        if self.members > self.limits.max_members {
            if self.members == self.limits.max_members + 1 {
                self.out.push(result(
                    display,
                    "archive",
                    Status::Partial,
                    Some(format!(
                        "{display}: more than {} archive members; the rest were not scanned",
                        self.limits.max_members
                    )),
                ));
            }
            return false;
        }
        true
    }

    fn tar(&mut self, display: &str, r: &mut dyn Read, depth: u32) {
        let mut archive = tar::Archive::new(r);
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(e) => {
                self.out.push(result(
                    display,
                    "tar",
                    Status::Unreadable,
                    Some(format!("{display}: tar: {e}")),
                ));
                return;
            }
        };
        let before = self.out.len();
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let m = if self.over_limit() {
                        bomb_error(self.allowed, self.disk_size).to_string()
                    } else {
                        format!("tar: {e}")
                    };
                    self.out.push(result(
                        display,
                        "tar",
                        Status::Partial,
                        Some(format!(
                            "{display}: stopped after {} member(s): {m}",
                            self.members
                        )),
                    ));
                    return;
                }
            };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let member = entry
                .path()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let inner = format!("{display}!{member}");
            if !self.count_member(display) {
                return;
            }
            self.stream(&inner, &member, &mut entry, depth);
            if self.stopped_over_limit(display, "tar") {
                return;
            }
        }
        if self.out.len() == before {
            self.out.push(result(display, "tar", Status::Scanned, None));
        }
    }

    /// After a member: past the decompression limit, the archive is recorded as partial and the
    /// caller stops reading it.
    fn stopped_over_limit(&mut self, display: &str, kind: &str) -> bool {
        if !self.over_limit() {
            return false;
        }
        self.out.push(result(
            display,
            kind,
            Status::Partial,
            Some(format!(
                "{display}: {}",
                bomb_error(self.allowed, self.disk_size)
            )),
        ));
        true
    }

    fn zip<R: Read + Seek>(&mut self, display: &str, r: R, depth: u32) {
        let mut archive = match zip::ZipArchive::new(r) {
            Ok(a) => a,
            Err(e) => {
                self.out.push(result(
                    display,
                    "zip",
                    Status::Unreadable,
                    Some(format!("{display}: zip: {e}")),
                ));
                return;
            }
        };
        let before = self.out.len();
        for i in 0..archive.len() {
            let name = archive
                .name_for_index(i)
                .and_then(|n| n.ok())
                .map(|n| n.to_string())
                .unwrap_or_else(|| format!("member {i}"));
            let mut file = match archive.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    self.out.push(result(
                        &format!("{display}!{name}"),
                        "archive_member",
                        Status::Unreadable,
                        Some(format!("{display}!{name}: zip: {e}")),
                    ));
                    continue;
                }
            };
            if !file.is_file() {
                continue;
            }
            let member = file
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| format!("member {i}"));
            let inner = format!("{display}!{member}");
            if !self.count_member(display) {
                return;
            }
            // A declared size past the allowance is a bomb: refuse before decompressing a byte.
            let declared = file.size();
            if self.expanded.get().saturating_add(declared) > self.allowed {
                self.out.push(result(
                    display,
                    "zip",
                    Status::Partial,
                    Some(format!(
                        "{display}: member `{member}` declares {declared} bytes, past the \
                         decompression limit of {} bytes for this {}-byte file (possible zip \
                         bomb); it and the members after it were not scanned",
                        self.allowed, self.disk_size
                    )),
                ));
                return;
            }
            let mut counted = self.counted(&mut file);
            self.stream(&inner, &member, &mut counted, depth);
            if self.stopped_over_limit(display, "zip") {
                return;
            }
        }
        if self.out.len() == before {
            self.out.push(result(display, "zip", Status::Scanned, None));
        }
    }
}

fn decoder<'r>(codec: Codec, r: &'r mut dyn Read) -> io::Result<Box<dyn Read + 'r>> {
    Ok(match codec {
        // Multi-member gzip (concatenated streams, as `cat a.gz b.gz` and pigz write) is one file.
        Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Codec::Zstd => Box::new(zstd::stream::read::Decoder::new(r)?),
        Codec::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(r)),
        Codec::Xz => Box::new(lzma_rust2::XzReader::new(r, true)),
    })
}

/// A reader that fails with the error it holds, once (then reads as ended).
struct FailingRead(Option<io::Error>);

impl Read for FailingRead {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

struct ByteCount<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for ByteCount<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// Block size for streamed text.
const TEXT_BLOCK: usize = 4 << 20;

/// Scans a text stream block by block, each block ending after a newline. Returns what was found,
/// the bytes read, the offset of a NUL byte in the first 8 KiB (a binary file, not scanned) and
/// a read error, if any.
pub fn scan_text_stream(
    r: &mut dyn Read,
    ctx: &Ctx,
) -> (SourceAcc, u64, Option<usize>, Option<String>) {
    let mut acc = SourceAcc::default();
    let mut buf: Vec<u8> = Vec::with_capacity(TEXT_BLOCK * 2);
    let mut total = 0u64;
    let mut first = true;
    loop {
        let start = buf.len();
        buf.resize(start + TEXT_BLOCK, 0);
        let mut filled = start;
        let mut err = None;
        while filled < buf.len() {
            match r.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        buf.truncate(filled);
        total += (filled - start) as u64;
        if first {
            first = false;
            if let Some(pos) = memchr::memchr(0, &buf[..buf.len().min(8192)]) {
                return (acc, total, Some(pos), None);
            }
        }
        let eof = filled < start + TEXT_BLOCK || err.is_some();
        // Scan whole lines; keep the unfinished last line for the next block (or cut a line
        // longer than two blocks).
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                None if buf.len() >= TEXT_BLOCK * 2 => buf.len(),
                None => continue,
            }
        };
        acc.merge(text::scan_text(&buf[..cut], ctx));
        ctx.bound_links(&mut acc);
        buf.drain(..cut);
        if let Some(e) = err {
            return (
                acc,
                total,
                None,
                Some(format!("stopped after {total} decompressed bytes: {e}")),
            );
        }
        if eof {
            return (acc, total, None, None);
        }
    }
}
