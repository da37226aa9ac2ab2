//! Which reader a file gets: its format, told by content first and extension second.
//!
//! Content wins because exports get renamed: an `.xlsx` saved as `.dat`, a CSV named `.txt`.
//! Zip containers are told apart by their entries (`xl/workbook.xml`, `xl/workbook.bin`, an
//! OpenDocument `mimetype`), OLE compound files by their stream names (`Workbook`, or
//! `EncryptedPackage` for a password-protected OOXML workbook), and text by its first lines:
//! JSON opens with `{` or `[`, CSV has the same number of delimiters on every line.

use std::io::{Cursor, Read};
use std::path::Path;

use super::document::DocKind;

/// Spreadsheet container kinds calamine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    Xlsx,
    Xlsm,
    Xlsb,
    Xls,
    Ods,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Csv {
        delimiter: u8,
    },
    Json,
    JsonLines,
    Sheet(SheetKind),
    /// A password-protected OOXML workbook (an OLE file holding `EncryptedPackage`); the
    /// format its extension names (`xlsx` unless it says `xlsm` or `xlsb`).
    EncryptedWorkbook(&'static str),
    /// A zip or OLE container that is no spreadsheet.
    Container(&'static str),
    /// A document read as text and tables ([`super::document`]).
    Document(DocKind),
}

impl Format {
    /// The name recorded as `sources[].format`.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Csv { delimiter: b'\t' } => "tsv",
            Format::Csv { .. } => "csv",
            Format::Json => "json",
            Format::JsonLines => "jsonl",
            Format::Sheet(SheetKind::Xlsx) => "xlsx",
            Format::Sheet(SheetKind::Xlsm) => "xlsm",
            Format::Sheet(SheetKind::Xlsb) => "xlsb",
            Format::Sheet(SheetKind::Xls) => "xls",
            Format::Sheet(SheetKind::Ods) => "ods",
            Format::EncryptedWorkbook(name) => name,
            Format::Container(kind) => kind,
            Format::Document(kind) => kind.name(),
        }
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// The format of a binary container (zip or OLE), or `None` when `bytes` is neither.
pub fn sniff_container(path: &Path, bytes: &[u8]) -> Option<Format> {
    let ext = extension(path);
    if bytes.starts_with(ZIP_MAGIC) {
        return Some(sniff_zip(&ext, bytes));
    }
    if bytes.starts_with(CFB_MAGIC) {
        let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let has = |name: &str| memchr::memmem::find(bytes, &utf16(name)).is_some();
        if has("EncryptedPackage") {
            if let Some(doc) = encrypted_document(&ext) {
                return Some(Format::Document(DocKind::EncryptedOoxml(doc)));
            }
            return Some(Format::EncryptedWorkbook(match ext.as_str() {
                "xlsb" => "xlsb",
                "xlsm" => "xlsm",
                _ => "xlsx",
            }));
        }
        if has("__substg1.0_") || ext == "msg" {
            return Some(Format::Document(DocKind::Msg));
        }
        if has("Workbook") || has("Book") || ext == "xls" {
            return Some(Format::Sheet(SheetKind::Xls));
        }
        if has("WordDocument") {
            return Some(Format::Document(DocKind::LegacyDoc));
        }
        if has("PowerPoint Document") {
            return Some(Format::Document(DocKind::LegacyPpt));
        }
        return Some(Format::Container("ole"));
    }
    None
}

fn sniff_zip(ext: &str, bytes: &[u8]) -> Format {
    // Reading the central directory only; a corrupt one falls back on the extension, and the
    // spreadsheet reader then reports the damage precisely.
    let by_ext = || match ext {
        "xlsx" => Format::Sheet(SheetKind::Xlsx),
        "xlsm" => Format::Sheet(SheetKind::Xlsm),
        "xlsb" => Format::Sheet(SheetKind::Xlsb),
        "ods" => Format::Sheet(SheetKind::Ods),
        "docx" => Format::Document(DocKind::Docx),
        "docm" => Format::Document(DocKind::Docm),
        "pptx" => Format::Document(DocKind::Pptx),
        "pptm" => Format::Document(DocKind::Pptm),
        "odt" => Format::Document(DocKind::Odt),
        "odp" => Format::Document(DocKind::Odp),
        _ => Format::Container("zip"),
    };
    match std::panic::catch_unwind(|| zip_by_entries(ext, Cursor::new(bytes))) {
        Ok(Some(f)) => f,
        _ => by_ext(),
    }
}

/// Whether the zip file at `path` (named like an office document: `sniff::kind` left it alone)
/// is a plain zip archive after all, judged by its central directory alone (a seek to the end,
/// not a read of the file).
pub fn is_plain_zip(path: &Path) -> bool {
    let Ok(f) = super::open::open(path) else {
        return false;
    };
    let ext = extension(path);
    matches!(
        std::panic::catch_unwind(|| zip_by_entries(&ext, f)),
        Ok(Some(Format::Container("zip")))
    )
}

/// The format a zip's entries make it; `None` when its central directory cannot be read.
fn zip_by_entries<R: Read + std::io::Seek>(ext: &str, r: R) -> Option<Format> {
    let mut zip = zip::ZipArchive::new(r).ok()?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    if has("xl/workbook.bin") {
        return Some(Format::Sheet(SheetKind::Xlsb));
    }
    if has("xl/workbook.xml") {
        return Some(if has("xl/vbaProject.bin") || ext == "xlsm" {
            Format::Sheet(SheetKind::Xlsm)
        } else {
            Format::Sheet(SheetKind::Xlsx)
        });
    }
    if has("word/document.xml") {
        let macros = has("word/vbaProject.bin") || ext == "docm";
        return Some(Format::Document(if macros {
            DocKind::Docm
        } else {
            DocKind::Docx
        }));
    }
    if has("ppt/presentation.xml") {
        let macros = has("ppt/vbaProject.bin") || ext == "pptm";
        return Some(Format::Document(if macros {
            DocKind::Pptm
        } else {
            DocKind::Pptx
        }));
    }
    if has("mimetype") {
        let mut m = String::new();
        let mut f = zip.by_name("mimetype").ok()?;
        (&mut f).take(128).read_to_string(&mut m).ok()?;
        if m.starts_with("application/vnd.oasis.opendocument.spreadsheet") {
            return Some(Format::Sheet(SheetKind::Ods));
        }
        if m.starts_with("application/vnd.oasis.opendocument.text") {
            return Some(Format::Document(DocKind::Odt));
        }
        if m.starts_with("application/vnd.oasis.opendocument.presentation") {
            return Some(Format::Document(DocKind::Odp));
        }
    }
    if has("content.xml") && ext == "ods" {
        return Some(Format::Sheet(SheetKind::Ods));
    }
    Some(Format::Container("zip"))
}

/// The document format an encrypted OOXML file's extension names, if a document.
fn encrypted_document(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "docx" => "docx",
        "docm" => "docm",
        "pptx" => "pptx",
        "pptm" => "pptm",
        _ => return None,
    })
}

/// A document format told by the start of a file that is not a zip or OLE container (`head`,
/// the first bytes) and its name: PDF, e-mail messages and mailboxes, HTML and XML.
pub fn sniff_document(path: &Path, head: &[u8]) -> Option<DocKind> {
    let ext = extension(path);
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match ext.as_str() {
        "eml" => return Some(DocKind::Eml),
        "mbox" | "mbx" => return Some(DocKind::Mbox),
        _ => {}
    }
    if let Some(f) = super::document::image::sniff(head) {
        return Some(DocKind::Image(f));
    }
    // A PDF may have junk before its header; readers accept it within the first KiB. A file
    // named `.pdf` or `.rtf` without its header is not one (see [`check_claim`]).
    if memchr::memmem::find(&head[..head.len().min(1024)], b"%PDF-").is_some() {
        return Some(DocKind::Pdf);
    }
    if head.starts_with(b"{\\rtf") {
        return Some(DocKind::Rtf);
    }
    // Word for Windows 2.0: a bare File Information Block (`wIdent` 0xA5DB, `nFib` 45 or less).
    if head.starts_with(b"\xDB\xA5")
        && head.len() >= 0x20
        && u16::from_le_bytes([head[2], head[3]]) <= 45
    {
        return Some(DocKind::LegacyDoc);
    }
    match ext.as_str() {
        "html" | "htm" | "xhtml" => return Some(DocKind::Html),
        "xml" => return Some(DocKind::Xml),
        _ => {}
    }
    let start = String::from_utf8_lossy(&head[..head.len().min(512)])
        .trim_start()
        .to_ascii_lowercase();
    if start.starts_with("<!doctype html") || start.starts_with("<html") {
        return Some(DocKind::Html);
    }
    if start.starts_with("<?xml") {
        return Some(if start.contains("<html") {
            DocKind::Html
        } else {
            DocKind::Xml
        });
    }
    if head.starts_with(b"From ") && looks_like_mail(head.splitn(2, |&b| b == b'\n').nth(1)?) {
        return Some(DocKind::Mbox);
    }
    looks_like_mail(head).then_some(DocKind::Eml)
}

/// What the first line of a mail's header opens with (lower case).
const MAIL_OPENS: [&str; 13] = [
    "return-path:",
    "received:",
    "from:",
    "delivered-to:",
    "message-id:",
    "date:",
    "mime-version:",
    "x-",
    "subject:",
    "to:",
    "dkim-signature:",
    "sender:",
    "reply-to:",
];

/// A message's header block: its first line is a header field that opens mail, and the block
/// has a `From:` and a `Date:`, `Subject:` or `Message-ID:`.
fn looks_like_mail(head: &[u8]) -> bool {
    // The first line must open a header: checked on its bytes before the header block is
    // decoded and lower-cased, which every text file of a scan went through (the openings are
    // ASCII, so a replaced invalid byte or a Unicode lower case cannot change the answer).
    let first_line = &head[..memchr::memchr(b'\n', head).unwrap_or(head.len())];
    if !MAIL_OPENS.iter().any(|o| {
        first_line.len() >= o.len() && first_line[..o.len()].eq_ignore_ascii_case(o.as_bytes())
    }) {
        return false;
    }
    let end = memchr::memmem::find(head, b"\n\n")
        .or_else(|| memchr::memmem::find(head, b"\r\n\r\n"))
        .unwrap_or(head.len());
    let block = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    let has = |h: &str| block.starts_with(h) || block.contains(&format!("\n{h}"));
    has("from:") && (has("date:") || has("subject:") || has("message-id:"))
}

/// The format of a text file from its extension and its decoded first bytes (`head`, which may
/// end mid-line unless `complete`).
pub fn sniff_text(path: &Path, head: &str, complete: bool) -> Format {
    let ext = extension(path);
    match ext.as_str() {
        "jsonl" | "ndjson" => return Format::JsonLines,
        "json" | "geojson" => return json_kind(head).unwrap_or(Format::Json),
        "csv" => {
            return Format::Csv {
                delimiter: sniff_delimiter(head, complete, false).unwrap_or(b','),
            };
        }
        "tsv" | "tab" => return Format::Csv { delimiter: b'\t' },
        _ => {}
    }
    if let Some(f) = json_kind(head) {
        return f;
    }
    if ext == "log" {
        // Log lines often carry the same number of commas: records of text, not table rows
        // (structured JSON logs were recognised above).
        return Format::Text;
    }
    match sniff_delimiter(head, complete, true) {
        Some(delimiter) => Format::Csv { delimiter },
        None => Format::Text,
    }
}

/// JSON (one document) or JSON Lines (one document per line), when the text opens like JSON.
fn json_kind(head: &str) -> Option<Format> {
    let t = head.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    let mut lines = t.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next()?;
    if serde_json::from_str::<serde::de::IgnoredAny>(first).is_err() {
        return Some(Format::Json); // a document over several lines
    }
    let rest: Vec<&str> = lines.take(200).collect();
    if rest.is_empty() {
        return Some(Format::Json);
    }
    // JSON Lines when the lines that follow open like JSON too. A log whose first line is JSON
    // and whose other lines are plain text is text: every line a record, none of them an error.
    rest.iter()
        .all(|l| l.trim_start().starts_with(['{', '[']))
        .then_some(Format::JsonLines)
}

const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];
// `count_outside_quotes` counts them in this order.
const _: () = assert!(
    DELIMITERS[0] == b','
        && DELIMITERS[1] == b'\t'
        && DELIMITERS[2] == b';'
        && DELIMITERS[3] == b'|'
);

/// The delimiter that occurs the same number of times (at least once) on every line of the
/// head, counted outside double quotes; with `strict`, at least three lines must agree.
fn sniff_delimiter(head: &str, complete: bool, strict: bool) -> Option<u8> {
    let mut lines: Vec<&str> = head
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(30)
        .collect();
    if !complete && lines.len() > 1 && !head.ends_with('\n') {
        lines.pop(); // cut by the end of the head
    }
    if lines.is_empty() || (strict && lines.len() < 3) {
        return None;
    }
    // Each line's count of every delimiter, in one pass over it (four passes were a tenth
    // of the instructions of a small CSV file).
    let per_line: Vec<[usize; DELIMITERS.len()]> =
        lines.iter().map(|l| count_outside_quotes(l)).collect();
    let mut best: Option<(u8, usize)> = None;
    for (i, d) in DELIMITERS.into_iter().enumerate() {
        let counts: Vec<usize> = per_line.iter().map(|c| c[i]).collect();
        let first = counts[0];
        let consistent = first > 0 && counts.iter().all(|&c| c == first);
        // A .csv file may have ragged rows: then the most frequent delimiter wins.
        let score = if consistent {
            first * 1000
        } else if !strict {
            counts.iter().sum::<usize>()
        } else {
            0
        };
        if score > 0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((d, score));
        }
    }
    best.map(|(d, _)| d)
}

/// How many of each of [`DELIMITERS`] a line holds outside double quotes.
fn count_outside_quotes(line: &str) -> [usize; DELIMITERS.len()] {
    let mut inq = false;
    let mut n = [0; DELIMITERS.len()];
    for &b in line.as_bytes() {
        match b {
            b'"' => inq = !inq,
            _ if inq => {}
            b',' => n[0] += 1,
            b'\t' => n[1] += 1,
            b';' => n[2] += 1,
            b'|' => n[3] += 1,
            _ => {}
        }
    }
    n
}

/// What a file's extension claims about its bytes, where the bytes can be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Zip,
    Ole,
    Pdf,
    Rtf,
    Image,
    Codec(super::sniff::Codec),
    Parquet,
    Sqlite,
    Tar,
    /// A text format (CSV, JSON, a log…): contradicted only by a recognised binary format.
    Text,
}

fn expectation(ext: &str) -> Option<Expect> {
    use super::sniff::Codec;
    Some(match ext {
        "xlsx" | "xlsm" | "xlsb" | "xltx" | "xltm" | "docx" | "docm" | "pptx" | "pptm" | "ods"
        | "odt" | "odp" | "zip" | "jar" | "apk" | "epub" => Expect::Zip,
        "xls" | "doc" | "ppt" | "msg" => Expect::Ole,
        "pdf" => Expect::Pdf,
        "rtf" => Expect::Rtf,
        "jpg" | "jpeg" | "png" | "tif" | "tiff" => Expect::Image,
        "gz" | "tgz" => Expect::Codec(Codec::Gzip),
        "zst" | "tzst" => Expect::Codec(Codec::Zstd),
        "bz2" | "tbz2" | "tbz" => Expect::Codec(Codec::Bzip2),
        "xz" | "txz" => Expect::Codec(Codec::Xz),
        "parquet" | "parq" => Expect::Parquet,
        "sqlite" | "sqlite3" | "db3" => Expect::Sqlite,
        "tar" => Expect::Tar,
        "csv" | "tsv" | "tab" | "txt" | "json" | "jsonl" | "ndjson" | "geojson" | "log" | "xml"
        | "html" | "htm" | "sql" | "md" | "eml" | "mbox" => Expect::Text,
        _ => return None,
    })
}

/// A file whose extension claims a format its bytes do not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The extension, lower case (`xlsx`).
    pub claimed: String,
    /// What the bytes are, in words (`a gzip stream`, `plain text`).
    pub actual: String,
    /// Whether that is a format pipl-scan reads (else the file is unreadable).
    pub recognised: bool,
}

impl Mismatch {
    /// `not an xlsx file: a gzip stream`.
    pub fn message(&self) -> String {
        let c = &self.claimed;
        let article = if c.starts_with(['a', 'e', 'i', 'o', 'x'])
            || matches!(
                c.as_str(),
                "msg" | "rtf" | "html" | "htm" | "md" | "sql" | "ndjson"
            ) {
            "an"
        } else {
            "a"
        };
        format!("not {article} {c} file: {}", self.actual)
    }

    /// The note kept with a file read by its real format: what it claimed, what it was.
    pub fn note(&self, read_as: &str) -> String {
        format!("{}; read as {read_as}", self.message())
    }
}

/// Checks the format `path`'s extension claims against `bytes`: the whole file, or its first
/// bytes where the caller has only those (a zip's or an OLE file's kind is then told less
/// surely). `None`: no claim, an empty file, or the bytes agree.
pub fn check_claim(path: &Path, bytes: &[u8]) -> Option<Mismatch> {
    let ext = extension(path);
    let expect = expectation(&ext)?;
    if bytes.is_empty() {
        return None;
    }
    let head = &bytes[..bytes.len().min(64 << 10)];
    let bin = binary_kind(head);
    let ok = match expect {
        Expect::Zip => {
            head.starts_with(b"PK\x03\x04")
                || head.starts_with(b"PK\x05\x06")
                || encrypted_ooxml(path, bytes)
        }
        // Word for Windows 1/2 and Word for DOS files are `.doc` too, without the OLE container.
        Expect::Ole => {
            head.starts_with(CFB_MAGIC)
                || (ext == "doc"
                    && (head.starts_with(b"\xDB\xA5") || head.starts_with(b"\x31\xBE")))
        }
        Expect::Pdf => memchr::memmem::find(&head[..head.len().min(1024)], b"%PDF-").is_some(),
        Expect::Rtf => head
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(head)
            .starts_with(b"{\\rtf"),
        Expect::Image => super::document::image::sniff(head).is_some(),
        Expect::Codec(c) => bin == Some(BinKind::Codec(c)),
        Expect::Parquet => super::parquet::sniff(head),
        Expect::Sqlite => super::sqlite::sniff(head),
        Expect::Tar => is_tar_header(head),
        Expect::Text => bin.is_none(),
    };
    if ok {
        return None;
    }
    let (actual, recognised) = describe(head, bytes, bin);
    Some(Mismatch {
        claimed: ext,
        actual,
        recognised,
    })
}

/// A password-protected OOXML file: always an OLE container holding `EncryptedPackage`, whatever
/// its `.xlsx` / `.docx` / `.pptx` name says.
fn encrypted_ooxml(path: &Path, head: &[u8]) -> bool {
    matches!(
        sniff_container(path, head),
        Some(Format::EncryptedWorkbook(_) | Format::Document(DocKind::EncryptedOoxml(_)))
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BinKind {
    Zip,
    Ole,
    Pdf,
    Image(&'static str),
    Codec(super::sniff::Codec),
    Parquet,
    Sqlite,
    Tar,
}

/// A binary format recognised by its magic bytes.
fn binary_kind(head: &[u8]) -> Option<BinKind> {
    use super::sniff::Codec;
    Some(
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            BinKind::Zip
        } else if head.starts_with(CFB_MAGIC) {
            BinKind::Ole
        } else if head.starts_with(b"%PDF-") {
            BinKind::Pdf
        } else if let Some(f) = super::document::image::sniff(head) {
            BinKind::Image(f)
        } else if head.starts_with(&[0x1f, 0x8b]) {
            BinKind::Codec(Codec::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            BinKind::Codec(Codec::Zstd)
        } else if head.starts_with(b"BZh") && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b))
        {
            BinKind::Codec(Codec::Bzip2)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            BinKind::Codec(Codec::Xz)
        } else if super::parquet::sniff(head) {
            BinKind::Parquet
        } else if super::sqlite::sniff(head) {
            BinKind::Sqlite
        } else if head.len() >= 262 && &head[257..262] == b"ustar" {
            BinKind::Tar
        } else {
            return None;
        },
    )
}

/// A tar header block: the `ustar` magic, or (old v7 archives) a header whose checksum adds up.
pub fn is_tar_header(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    if &head[257..262] == b"ustar" {
        return true;
    }
    let field = String::from_utf8_lossy(&head[148..156]);
    let Ok(stored) = u32::from_str_radix(field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
    else {
        return false;
    };
    let sum: u32 = head[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum();
    stored == sum && head[0] != 0
}

/// What `head` (the first bytes of `bytes`) is, in words, judged by content alone; and whether
/// pipl-scan reads it.
fn describe(head: &[u8], bytes: &[u8], bin: Option<BinKind>) -> (String, bool) {
    let unnamed = Path::new("");
    let words = match bin {
        Some(BinKind::Zip | BinKind::Ole) => match sniff_container(unnamed, bytes) {
            Some(Format::Sheet(k)) => {
                format!("{} workbook", article(Format::Sheet(k).name()))
            }
            Some(Format::Document(d)) => format!("{} document", article(d.name())),
            Some(Format::EncryptedWorkbook(_)) => "a password-protected workbook".to_string(),
            Some(Format::Container("zip")) | None => "a zip archive".to_string(),
            Some(_) => "an OLE compound file of no known kind".to_string(),
        },
        Some(BinKind::Pdf) => "a PDF".to_string(),
        Some(BinKind::Image(f)) => format!("{} image", article(&f.to_ascii_uppercase())),
        Some(BinKind::Codec(c)) => format!("a {} stream", c.name()),
        Some(BinKind::Parquet) => "a Parquet file".to_string(),
        Some(BinKind::Sqlite) => "a SQLite database".to_string(),
        Some(BinKind::Tar) => "a tar archive".to_string(),
        None => {
            let sniff = &head[..head.len().min(8192)];
            let utf16 = head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF");
            if let Some(pos) = memchr::memchr(0, sniff).filter(|_| !utf16) {
                return (
                    format!("binary data of no known format (NUL byte at offset {pos})"),
                    false,
                );
            }
            match sniff_document(unnamed, sniff) {
                Some(super::document::DocKind::Pdf) => "a PDF".to_string(),
                Some(super::document::DocKind::Html) => "HTML".to_string(),
                Some(super::document::DocKind::Xml) => "XML".to_string(),
                Some(super::document::DocKind::Eml) => "an e-mail message".to_string(),
                Some(super::document::DocKind::Mbox) => "a mailbox".to_string(),
                Some(super::document::DocKind::Rtf) => "RTF".to_string(),
                Some(d) => article(d.name()),
                None => {
                    let text = String::from_utf8_lossy(head);
                    match sniff_text(unnamed, &text, false) {
                        Format::Csv { delimiter: b'\t' } => "TSV text".to_string(),
                        Format::Csv { .. } => "CSV text".to_string(),
                        Format::Json => "JSON".to_string(),
                        Format::JsonLines => "JSON Lines".to_string(),
                        _ => "plain text".to_string(),
                    }
                }
            }
        }
    };
    (words, true)
}

fn article(name: &str) -> String {
    let an = name.starts_with(['a', 'e', 'i', 'o', 'x', 'A', 'E', 'I', 'O', 'X']);
    format!("{} {name}", if an { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_formats_by_content_and_extension() {
        let p = Path::new;
        let csv = "姓名,手机号,邮箱\n张伟,13812345678,a@b.cn\n李娜,13912345678,c@d.cn\n";
        assert_eq!(
            sniff_text(p("export.txt"), csv, true),
            Format::Csv { delimiter: b',' }
        );
        let tsv = csv.replace(',', "\t");
        assert_eq!(
            sniff_text(p("x.dat"), &tsv, true),
            Format::Csv { delimiter: b'\t' }
        );
        let semi = csv.replace(',', ";");
        assert_eq!(
            sniff_text(p("x.csv"), &semi, true),
            Format::Csv { delimiter: b';' }
        );
        assert_eq!(
            sniff_text(p("x.txt"), "a, b\nno commas here\n", true),
            Format::Text
        );
        assert_eq!(
            sniff_text(p("app.log"), "INFO a=1\nWARN b=2\nINFO c\n", true),
            Format::Text
        );
        let commas = "started, pid 1\nlistening, port 80\nready, 3 workers\n";
        assert_eq!(sniff_text(p("app.log"), commas, true), Format::Text);
        let jsonl = "{\"a\":1}\n{\"a\":2}\n";
        assert_eq!(sniff_text(p("x.log"), jsonl, true), Format::JsonLines);
        // A log that opens with a JSON line and goes on in plain text is text.
        let mixed = "{\"event\":\"start\"}\nplain line 1\nplain line 2\n";
        assert_eq!(sniff_text(p("app.log"), mixed, true), Format::Text);
        assert_eq!(sniff_text(p("app.out"), mixed, true), Format::Text);
        assert_eq!(
            sniff_text(p("x.txt"), "[{\"a\":1},\n{\"a\":2}]", true),
            Format::Json
        );
        assert_eq!(
            sniff_text(p("x.json"), "{\n \"a\": 1\n}\n", true),
            Format::Json
        );
        // Quoted delimiters do not count.
        let quoted = "a,b\n\"x,y\",z\n\"1,2,3\",4\n";
        assert_eq!(
            sniff_text(p("q.txt"), quoted, true),
            Format::Csv { delimiter: b',' }
        );
    }

    #[test]
    fn documents_by_content_then_name() {
        let p = Path::new;
        let mail = b"Return-Path: <a@example.com>\nFrom: a@example.com\nSubject: hi\n\nbody\n";
        assert_eq!(sniff_document(p("x"), mail), Some(DocKind::Eml));
        let mbox = b"From a@example.com Mon Dec  7 10:00:00 2026\nFrom: a@example.com\nDate: Mon, 7 Dec 2026\n\nx\n";
        assert_eq!(sniff_document(p("Inbox"), mbox), Some(DocKind::Mbox));
        assert_eq!(
            sniff_document(p("a.bin"), b"junk\n%PDF-1.4\n"),
            Some(DocKind::Pdf)
        );
        assert_eq!(
            sniff_document(p("a.txt"), b"<!DOCTYPE html><p>x"),
            Some(DocKind::Html)
        );
        assert_eq!(
            sniff_document(p("a.dat"), b"<?xml version='1.0'?><a/>"),
            Some(DocKind::Xml)
        );
        assert_eq!(
            sniff_document(p("a.dat"), b"{\\rtf1 x}"),
            Some(DocKind::Rtf)
        );
        // A CSV, a log and a note that mentions a sender are not mail.
        let mut word2 = b"\xDB\xA5\x2D\x00".to_vec();
        word2.resize(0x40, 0);
        assert_eq!(
            sniff_document(p("old.bin"), &word2),
            Some(DocKind::LegacyDoc)
        );
        assert_eq!(sniff_document(p("a.csv"), b"from,to\na,b\n"), None);
        assert_eq!(
            sniff_document(p("a.log"), b"Date: today\nnothing else\n"),
            None
        );
        assert_eq!(
            sniff_document(p("n.txt"), b"Note\nFrom: Li\nSubject: x\n"),
            None
        );
    }

    #[test]
    fn a_name_that_claims_another_format_is_caught_and_the_real_one_named() {
        let p = Path::new;
        let gz = [0x1f, 0x8b, 8, 0, 0, 0];
        let m = check_claim(p("report.xlsx"), &gz).unwrap();
        assert_eq!(m.message(), "not an xlsx file: a gzip stream");
        assert!(m.recognised);
        let m = check_claim(p("a.parquet"), b"name,phone\nli,1\nwu,2\nma,3\n").unwrap();
        assert_eq!(m.note("csv"), "not a parquet file: CSV text; read as csv");
        let m = check_claim(p("scan.pdf"), b"just some words\n").unwrap();
        assert_eq!(m.message(), "not a pdf file: plain text");
        let m = check_claim(p("x.docx"), b"\x00\x01\x02garbage").unwrap();
        assert_eq!(
            m.message(),
            "not a docx file: binary data of no known format (NUL byte at offset 0)"
        );
        assert!(!m.recognised);
        let m = check_claim(p("export.csv"), b"PAR1\x15\x04").unwrap();
        assert_eq!(m.message(), "not a csv file: a Parquet file");
        let m = check_claim(p("bank.xls"), b"<html><table><tr><td>x").unwrap();
        assert_eq!(m.message(), "not an xls file: HTML");
        let m = check_claim(p("x.gz"), b"SQLite format 3\0rest").unwrap();
        assert_eq!(m.message(), "not a gz file: a SQLite database");
        // Files that are what they claim, unclaimed names and empty files pass.
        assert_eq!(check_claim(p("a.gz"), &gz), None);
        assert_eq!(check_claim(p("a.pdf"), b"junk\n%PDF-1.7\n"), None);
        assert_eq!(check_claim(p("a.csv"), b"a,b\n1,2\n"), None);
        assert_eq!(check_claim(p("a.dat"), &gz), None);
        assert_eq!(check_claim(p("a.xlsx"), b""), None);
        assert_eq!(check_claim(p("a.xlsx"), b"PK\x03\x04rest"), None);
        // A password-protected workbook is an OLE file whatever its name; Word 2 has no OLE.
        let mut enc = CFB_MAGIC.to_vec();
        enc.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(check_claim(p("secret.xlsx"), &enc), None);
        assert_eq!(check_claim(p("secret.docx"), &enc), None);
        assert_eq!(check_claim(p("old.doc"), b"\xDB\xA5-\x001@"), None);
        let mut xls = CFB_MAGIC.to_vec();
        xls.extend("Workbook".encode_utf16().flat_map(u16::to_le_bytes));
        let m = check_claim(p("renamed.xlsx"), &xls).unwrap();
        assert_eq!(m.message(), "not an xlsx file: an xls workbook");
        let mut v7 = vec![0u8; 512];
        v7[..5].copy_from_slice(b"a.txt");
        v7[148..156].copy_from_slice(b"        ");
        let sum: u32 = v7.iter().map(|&b| b as u32).sum();
        v7[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        assert_eq!(check_claim(p("old.tar"), &v7), None);
        assert!(check_claim(p("old.tar"), &[b'x'; 600]).is_some());
    }

    #[test]
    fn a_large_workbook_under_another_name_is_told_by_its_directory() {
        // The central directory lies past the first 64 KiB: the whole file is looked at.
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let stored = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            w.start_file("xl/media/filler.bin", stored).unwrap();
            std::io::Write::write_all(&mut w, &[7u8; 100 << 10]).unwrap();
            w.start_file("xl/workbook.xml", stored).unwrap();
            w.finish().unwrap();
        }
        let bytes = buf.into_inner();
        let m = check_claim(Path::new("export.csv"), &bytes).unwrap();
        assert_eq!(m.message(), "not a csv file: an xlsx workbook");
    }

    #[test]
    fn containers_by_entries_not_names() {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default();
            w.start_file("xl/workbook.xml", o).unwrap();
            w.start_file("xl/worksheets/sheet1.xml", o).unwrap();
            w.finish().unwrap();
        }
        let bytes = buf.into_inner();
        let f = sniff_container(Path::new("renamed.dat"), &bytes);
        assert_eq!(f, Some(Format::Sheet(SheetKind::Xlsx)));
        assert_eq!(sniff_container(Path::new("a.txt"), b"hello"), None);
        let mut ole = CFB_MAGIC.to_vec();
        ole.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        let f = sniff_container(Path::new("a.xlsx"), &ole);
        assert_eq!(f, Some(Format::EncryptedWorkbook("xlsx")));
    }
}
