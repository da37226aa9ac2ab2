//! Entry point for the columnar and database formats of a file on disk: Parquet, SQLite, SQL
//! dumps, and binary dumps that get a message instead of a scan.
//!
//! [`read`] looks at the bytes [`super::read_file`] already opened and, if they are one of these
//! formats, runs its reader and returns the file's result; otherwise it hands the bytes back so
//! the text path (or another reader) can have them. Compressed files and archives are handled a
//! step earlier, by [`super::container`], because they yield one result per member.

use std::io::Read;
use std::path::Path;

use super::sniff::{self, Kind};
use super::text::Data;
use super::{Ctx, parquet, sqldump, sqlite};
use crate::inventory::{FileResult, SourceAcc, Status};

/// Reads `path` (already opened as `data`) if it is one of this module's formats.
pub fn read(path: &Path, data: Data, ctx: &Ctx) -> Result<FileResult, Data> {
    let display = path.display().to_string();
    let bytes = data.bytes();
    let head = &bytes[..bytes.len().min(sniff::HEAD_LEN)];
    let kind = match sniff::kind(&display, head) {
        Some(k @ (Kind::Parquet | Kind::Sqlite | Kind::SqlDump(_) | Kind::BinaryDump(_))) => k,
        _ => return Err(data),
    };
    let len = bytes.len() as u64;
    // A `.csv` that is a Parquet file is read as Parquet, with a note of what it claimed.
    let note = super::format::check_claim(path, head).map(|m| m.note(kind.name()));
    // A file read whole that was not the size the walk listed (it changed under the scan).
    let changed = match &data {
        Data::Owned(_, Some(c)) => Some(c.clone()),
        _ => None,
    };
    let done = |format: &str, encoding: Option<&str>, acc: SourceAcc, err: Option<String>| {
        let (status, reason) = match (err, &changed) {
            (None, None) => (Status::Scanned, None),
            (None, Some(c)) => (Status::Partial, Some(c.clone())),
            (Some(e), _) if acc.records > 0 => (Status::Partial, Some(format!("{display}: {e}"))),
            (Some(e), _) => (Status::Unreadable, Some(format!("{display}: {e}"))),
        };
        let mut acc = acc;
        if let Some(n) = &note {
            acc.warnings.insert(0, n.clone());
        }
        FileResult {
            path: display.clone(),
            format: format.to_string(),
            encoding: encoding.map(str::to_string),
            bytes: len,
            status,
            reason,
            acc,
        }
    };
    let r = match kind {
        Kind::Parquet => {
            // Each row group opens its own handle: clones of one `File` share a seek position.
            let (acc, err) = parquet::scan(|| super::open::open(path), ctx);
            done("parquet", None, acc, err)
        }
        // A database read into memory already (and without a write-ahead log beside it, whose
        // pages would be missed) is loaded from those bytes: SQLite does not open the file a
        // second time, so it takes no lock on it and leaves its access time alone.
        Kind::Sqlite if matches!(data, Data::Owned(..)) && !sqlite::has_wal(path) => {
            match sqlite::open_bytes(bytes) {
                Ok(conn) => {
                    let (acc, err) = sqlite::scan(&conn, ctx);
                    done("sqlite", None, acc, err)
                }
                Err(e) => done("sqlite", None, SourceAcc::default(), Some(e)),
            }
        }
        Kind::Sqlite => match sqlite::open_path(path) {
            Ok(conn) => {
                let (acc, err) = sqlite::scan(&conn, ctx);
                done("sqlite", None, acc, err)
            }
            Err(e) => done("sqlite", None, SourceAcc::default(), Some(e)),
        },
        Kind::SqlDump(dialect) => {
            let head = &bytes[..bytes.len().min(sqldump::ENCODING_HEAD)];
            let complete = head.len() == bytes.len();
            let (acc, err, encoding) = match &data {
                Data::Owned(..) => sqldump::scan_in_encoding(bytes, head, complete, dialect, ctx),
                // A large dump is streamed through the tokenizer's buffer with read(2) rather
                // than through the map, so that resident memory stays at a few MiB whatever its
                // size (mapped pages count as resident once touched).
                Data::Mapped(_) => {
                    let head = head.to_vec();
                    drop(data);
                    match super::open::open(path) {
                        Ok(f) => {
                            let f = Stoppable {
                                inner: f.take(len),
                                ctx,
                            };
                            sqldump::scan_in_encoding(f, &head, complete, dialect, ctx)
                        }
                        Err(e) => (
                            SourceAcc::default(),
                            Some(format!("cannot open: {e}")),
                            "utf-8".to_string(),
                        ),
                    }
                }
            };
            return Ok(done(dialect.format(), Some(&encoding), acc, err));
        }
        Kind::BinaryDump(m) => done("binary_dump", None, SourceAcc::default(), Some(m)),
        _ => unreachable!("filtered above"),
    };
    Ok(r)
}

/// A dump streamed from disk that ends early (as if cut) once the scan is being stopped.
struct Stoppable<'c, 'a, R> {
    inner: R,
    ctx: &'c Ctx<'a>,
}

impl<R: Read> Read for Stoppable<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.ctx.stopping() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        self.ctx.advance(n as u64);
        Ok(n)
    }
}
