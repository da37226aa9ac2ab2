//! Documents: word-processing files, slides, e-mail, PDF and markup, read as text and tables.
//!
//! A document is not a table: its personal data sits in paragraphs, table cells, text boxes,
//! comments, headers and footers, speaker notes and document properties. Each format's reader
//! (one module per family) turns the file into an [`Extracted`]: lines of text, scanned by the
//! same path as a text file (every line a record), and tables, scanned as records of named
//! fields when their first row is a header (as a sheet is). E-mail attachments come back as
//! [`Attachment`]s, which the caller reads as files of their own (`mail.eml!cv.docx`) through
//! the archive dispatch, under its limits.
//!
//! Every reader is bounded: the zip parts it inflates ([`MAX_PART`]), the text it keeps
//! ([`MAX_TEXT`]), and runs behind `catch_unwind`, so a malformed file is an error on that file,
//! never an abort.

pub mod embedded;
pub mod image;
pub mod legacy;
pub mod mail;
pub mod markup;
pub mod office;
pub mod ole;
pub mod pdf;
pub mod rtf;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use super::Ctx;
use super::csv::looks_like_header;
use super::records::RecordScanner;
use crate::inventory::{SourceAcc, Status};

/// Most bytes one part of a document (an XML part of a zip, a MIME part) may inflate to.
pub const MAX_PART: u64 = 256 << 20;
/// Most bytes of text kept from one document; past it the rest is not read (`partial`).
pub const MAX_TEXT: usize = 256 << 20;
/// Largest inflation ratio for a document part above 1 MiB (XML compresses 5–30×).
pub const MAX_RATIO: u64 = 1000;

/// The document formats this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Docx,
    Docm,
    Pptx,
    Pptm,
    Odt,
    Odp,
    Eml,
    Mbox,
    Pdf,
    /// JPEG, PNG, HEIC or TIFF.
    Image(&'static str),
    Html,
    Xml,
    /// Rich Text Format.
    Rtf,
    /// An Outlook message (OLE2).
    Msg,
    /// Legacy Word 97–2003 (OLE2, also Word 6/95 and the bare Word 2.0 file) and PowerPoint
    /// 97–2003 (OLE2).
    LegacyDoc,
    LegacyPpt,
    /// A password-protected OOXML document (an OLE file holding `EncryptedPackage`).
    EncryptedOoxml(&'static str),
}

impl DocKind {
    /// The name recorded as `sources[].format`.
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Docx => "docx",
            DocKind::Docm => "docm",
            DocKind::Pptx => "pptx",
            DocKind::Pptm => "pptm",
            DocKind::Odt => "odt",
            DocKind::Odp => "odp",
            DocKind::Eml => "eml",
            DocKind::Mbox => "mbox",
            DocKind::Pdf => "pdf",
            DocKind::Image(_) => "image",
            DocKind::Html => "html",
            DocKind::Xml => "xml",
            DocKind::Rtf => "rtf",
            DocKind::Msg => "msg",
            DocKind::LegacyDoc => "doc",
            DocKind::LegacyPpt => "ppt",
            DocKind::EncryptedOoxml(n) => n,
        }
    }
}

/// A table found in a document: its rows of cell texts, in order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Table {
    pub rows: Vec<Vec<String>>,
}

/// A file carried inside a document (an e-mail attachment), read as a file of its own.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
    /// What the message says about it (its `Content-Description`, the message's subject, a
    /// body line that mentions an attachment): judged by [`image::category_in_text`] when the
    /// attachment is an image its name does not name.
    pub context: String,
}

/// What a reader got out of a document.
#[derive(Debug, Default)]
pub struct Extracted {
    /// Text, one record per line.
    pub text: String,
    pub tables: Vec<Table>,
    pub attachments: Vec<Attachment>,
    /// Pictures inside the document (`word/media/…`), listed, never inflated.
    pub images: Vec<embedded::EmbeddedImage>,
    /// Set when part of the document could not be read; what was read still counts.
    pub problem: Option<String>,
    /// The character set the text was decoded from, when the format says (e-mail).
    pub encoding: Option<String>,
}

impl Extracted {
    /// Appends one line of text (empty lines are kept out); `false` once [`MAX_TEXT`] is
    /// reached, with the problem set.
    pub fn line(&mut self, s: &str) -> bool {
        let s = s.trim();
        if s.is_empty() {
            return true;
        }
        if self.text.len() + s.len() > MAX_TEXT {
            self.cap();
            return false;
        }
        self.text.push_str(s);
        self.text.push('\n');
        true
    }

    /// Appends text that may hold several lines.
    pub fn lines(&mut self, s: &str) -> bool {
        s.lines().all(|l| self.line(l))
    }

    fn cap(&mut self) {
        if self.problem.is_none() {
            self.problem = Some(format!(
                "stopped at {} MiB of text: the rest of the document was not read",
                MAX_TEXT >> 20
            ));
        }
    }

    /// Records a problem unless one is already recorded (the first is the one that matters).
    pub fn problem(&mut self, msg: String) {
        if self.problem.is_none() {
            self.problem = Some(msg);
        }
    }
}

/// What reading a document gave: the accumulator, its status and why, its attachments and
/// its pictures.
pub struct DocOutcome {
    pub acc: SourceAcc,
    pub status: Status,
    pub problem: Option<String>,
    pub encoding: Option<String>,
    pub attachments: Vec<Attachment>,
    pub images: Vec<embedded::EmbeddedImage>,
}

impl DocOutcome {
    fn failed(status: Status, msg: String) -> DocOutcome {
        DocOutcome {
            acc: SourceAcc::default(),
            status,
            problem: Some(msg),
            encoding: None,
            attachments: Vec::new(),
            images: Vec::new(),
        }
    }
}

/// A reader's error: the file could not be read at all.
#[derive(Debug)]
pub struct DocError {
    pub status: Status,
    pub message: String,
}

impl DocError {
    pub fn unreadable(message: impl Into<String>) -> DocError {
        DocError {
            status: Status::Unreadable,
            message: message.into(),
        }
    }
}

pub fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// Reads a document of a known kind (at `path`, whose name an image is judged by) and scans
/// what it holds.
pub fn read(path: &Path, bytes: &[u8], kind: DocKind, ctx: &Ctx) -> DocOutcome {
    let name = kind.name();
    let extracted = catch_unwind(AssertUnwindSafe(|| {
        let mut ex = extract(path, bytes, kind)?;
        if matches!(
            kind,
            DocKind::Docx
                | DocKind::Docm
                | DocKind::Pptx
                | DocKind::Pptm
                | DocKind::Odt
                | DocKind::Odp
        ) {
            ex.images = embedded::list(bytes);
        }
        Ok::<_, DocError>(ex)
    }));
    let ex = match extracted {
        Ok(Ok(ex)) => ex,
        Ok(Err(e)) => return DocOutcome::failed(e.status, e.message),
        Err(p) => {
            return DocOutcome::failed(
                Status::Unreadable,
                format!(
                    "the {name} reader failed on malformed content ({})",
                    panic_message(&p)
                ),
            );
        }
    };
    let acc = scan(&ex, ctx);
    let status = match &ex.problem {
        None => Status::Scanned,
        Some(_) if !ex.text.is_empty() || !ex.tables.is_empty() => Status::Partial,
        Some(_) => Status::Unreadable,
    };
    DocOutcome {
        acc,
        status,
        problem: ex.problem,
        encoding: ex.encoding,
        attachments: ex.attachments,
        images: ex.images,
    }
}

fn extract(path: &Path, bytes: &[u8], kind: DocKind) -> Result<Extracted, DocError> {
    match kind {
        DocKind::Image(format) => image::read_image(path, format, bytes),
        DocKind::Docx | DocKind::Docm | DocKind::Pptx | DocKind::Pptm => {
            office::read_ooxml(bytes, kind)
        }
        DocKind::Odt | DocKind::Odp => office::read_odf(bytes, kind),
        DocKind::Eml => mail::read_eml(bytes),
        DocKind::Mbox => mail::read_mbox(bytes),
        DocKind::Pdf => pdf::read_pdf(bytes),
        DocKind::Html => markup::read_html(bytes),
        DocKind::Xml => markup::read_xml(bytes),
        DocKind::Rtf => rtf::read_rtf(bytes),
        DocKind::Msg => ole::read_msg(bytes),
        DocKind::LegacyDoc => legacy::read_doc(bytes),
        DocKind::LegacyPpt => legacy::read_ppt(bytes),
        DocKind::EncryptedOoxml(n) => Err(DocError::unreadable(format!(
            "encrypted: password-protected {n} (an OLE file holding `EncryptedPackage`); its \
             text cannot be read without the password"
        ))),
    }
}

/// Scans what was extracted: the text as lines, each table as records of its columns.
pub fn scan(ex: &Extracted, ctx: &Ctx) -> SourceAcc {
    let mut acc = super::text::scan_text(ex.text.as_bytes(), ctx);
    for (i, t) in ex.tables.iter().enumerate() {
        acc.merge(scan_table(t, i + 1, ctx));
    }
    acc
}

/// A table's rows as records: fields `table1!Label` under a header row, `table1!A` without.
fn scan_table(t: &Table, n: usize, ctx: &Ctx) -> SourceAcc {
    let mut sc = RecordScanner::new(ctx);
    let mut rows = t
        .rows
        .iter()
        .filter(|r| r.iter().any(|c| !c.trim().is_empty()));
    let Some(first) = rows.next() else {
        return sc.finish();
    };
    let cells: Vec<&[u8]> = first.iter().map(|c| c.as_bytes()).collect();
    let width = t.rows.iter().map(Vec::len).max().unwrap_or(0);
    let header = t.rows.len() >= 2 && first.len() >= 2 && looks_like_header(&cells, ctx);
    let mut ids: Vec<usize> = Vec::with_capacity(width);
    for c in 0..width {
        let label = if header {
            first.get(c).map(|s| s.trim()).filter(|s| !s.is_empty())
        } else {
            None
        };
        let id = match label {
            Some(l) => sc.field_labeled(&format!("table{n}!{l}"), l),
            None => sc.field(&format!(
                "table{n}!{}",
                crate::read::sheet::column_letters(c as u32)
            )),
        };
        ids.push(id);
    }
    let mut record = |row: &Vec<String>| {
        sc.record(
            row.iter()
                .enumerate()
                .map(|(c, v)| (ids[c.min(ids.len() - 1)], v.as_bytes())),
        );
    };
    if !header {
        record(first);
    }
    for row in rows {
        record(row);
    }
    sc.finish()
}
