//! Readers: a file → records of fields, fed to the detectors.
//!
//! One module per format. For now every file is read as text (lines are records); a file that
//! looks binary is skipped with a reason rather than scanned as noise.

pub mod encoding;
pub mod mapped;
pub mod records;
pub mod text;

use std::path::Path;

use chrono::NaiveDate;

use crate::detect::DetectorSet;
use crate::inventory::{FileResult, SourceAcc, Status};
use crate::sketch::SketchKey;

/// What every reader needs: the detectors, the sketch key and the reference date for minors.
pub struct Ctx<'a> {
    pub set: &'a DetectorSet,
    pub key: &'a SketchKey,
    pub reference: NaiveDate,
}

/// Bytes examined to decide whether a file is binary.
const SNIFF_LEN: usize = 8192;

/// Reads one regular file found by the walk. Never panics on bad input: every problem becomes
/// the file's status and reason.
pub fn read_file(path: &Path, size: u64, ctx: &Ctx) -> FileResult {
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
    let data = match text::Data::open(path, size) {
        Ok(d) => d,
        Err(e) => {
            return result(Status::Unreadable, Some(e.to_string()), 0, SourceAcc::default());
        }
    };
    let bytes = data.bytes();
    let len = bytes.len() as u64;
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    if let Some(pos) = memchr::memchr(0, head) {
        let mut r = result(
            Status::Skipped,
            Some(format!("binary file (NUL byte at offset {pos}); no reader for its format")),
            len,
            SourceAcc::default(),
        );
        r.format = "binary".to_string();
        return r;
    }
    let encoding = match std::str::from_utf8(head) {
        // A multi-byte character cut by the end of the sniffed head is still UTF-8.
        Ok(_) => "utf-8",
        Err(e) if e.error_len().is_none() => "utf-8",
        Err(_) => "unknown",
    };
    let acc = text::scan_text(bytes, ctx);
    let (status, reason) = match data.finish(path) {
        Ok(()) => (Status::Scanned, None),
        Err(msg) => (Status::Partial, Some(msg)),
    };
    let mut r = result(status, reason, len, acc);
    r.encoding = Some(encoding.to_string());
    r
}
