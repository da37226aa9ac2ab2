//! SQLite database files: every row of every table is a record, fields are `table.column`.
//!
//! Recognised by the 16-byte file header (`SQLite format 3\0`) whatever the extension — apps
//! keep their databases as `.db`, `.dat`, or no extension at all. Opened read-only through
//! rusqlite (bundled SQLite, so no system library is needed): a scan never writes a journal or
//! takes a write lock. A database without a write-ahead log is opened as immutable (no lock at
//! all); one with a live WAL read-only, or immutable if even that fails. Text, blob and integer
//! values are scanned; reals and NULLs cannot hold an
//! identifier. Rows are streamed by SQLite's cursor, so memory stays small whatever the size.
//!
//! A corrupt database ("database disk image is malformed") stops the table where it is met;
//! rows read before are counted, the error names the table and row, and the other tables are
//! still read.

use std::fmt::Write as _;
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::Ctx;
use super::records::RecordScanner;
use crate::inventory::SourceAcc;

/// The first 16 bytes of every SQLite 3 database.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";

pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// Opens a database file read-only.
pub fn open_path(path: &Path) -> Result<Connection, String> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    // Without a write-ahead log beside it the database is opened as immutable: SQLite then
    // takes no locks at all (a read-only connection still takes shared POSIX locks, which an
    // application writing the file would wait on) and creates no `-shm` file. With a `-wal`,
    // the log's committed pages are part of the data, so the database is opened normally
    // read-only (shared locks, and SQLite may create the `-shm` index beside it).
    if !has_wal(path)
        && path.to_str().is_some()
        && let Ok(c) = open_immutable(path, flags)
    {
        return Ok(c);
    }
    let ro = Connection::open_with_flags(path, flags).and_then(|c| {
        // Opening is lazy: touch the schema to find out whether the file can be read.
        c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .map(|_| c)
    });
    match ro {
        Ok(c) => Ok(c),
        Err(first) => {
            // A WAL database whose -shm cannot be created read-only (a read-only share) opens
            // as immutable; uncheckpointed WAL content is then not seen, which the error would
            // have hidden anyway.
            open_immutable(path, flags).map_err(|_| format!("cannot open SQLite database: {first}"))
        }
    }
}

/// Whether a write-ahead log (`NAME-wal`) lies beside the database.
pub fn has_wal(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    Path::new(&wal).exists()
}

fn open_immutable(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let uri = format!("file:{}?immutable=1", uri_escape(path));
    Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI).and_then(|c| {
        c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .map(|_| c)
    })
}

/// Loads a database held in memory (an archive member) into a read-only connection.
pub fn open_bytes(bytes: &[u8]) -> Result<Connection, String> {
    let mut c = Connection::open_in_memory().map_err(|e| e.to_string())?;
    c.deserialize_read_exact("main", bytes, bytes.len(), true)
        .map_err(|e| format!("cannot load SQLite database: {e}"))?;
    Ok(c)
}

fn uri_escape(path: &Path) -> String {
    let mut out = String::new();
    for b in path.to_string_lossy().bytes() {
        match b {
            b'?' | b'#' | b'%' => {
                let _ = write!(out, "%{b:02X}");
            }
            _ => out.push(b as char),
        }
    }
    out
}

/// Scans every table. Returns what was found and the errors met (per table), if any.
pub fn scan(conn: &Connection, ctx: &Ctx) -> (SourceAcc, Option<String>) {
    let mut rs = RecordScanner::new(ctx);
    let mut errors = Vec::new();
    let tables: Result<Vec<String>, rusqlite::Error> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        )
        .and_then(|mut st| {
            st.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        });
    let tables = match tables {
        Ok(t) => t,
        Err(e) => {
            return (
                rs.finish(),
                Some(format!("cannot read the schema (sqlite_master): {e}")),
            );
        }
    };
    for t in &tables {
        if let Err(e) = scan_table(conn, t, &mut rs) {
            errors.push(e);
        }
    }
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    (rs.finish(), error)
}

fn scan_table(conn: &Connection, table: &str, rs: &mut RecordScanner) -> Result<(), String> {
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    let mut st = conn
        .prepare(&format!("SELECT * FROM {quoted}"))
        .map_err(|e| format!("table `{table}`: {e}"))?;
    let fids: Vec<usize> = column_names(conn, table, st.column_count())
        .iter()
        .map(|c| rs.field_labeled(&format!("{table}.{c}"), c))
        .collect();
    let mut rows = st.query([]).map_err(|e| format!("table `{table}`: {e}"))?;
    let mut n = 0u64;
    let mut text = String::new();
    let mut ints: Vec<(usize, usize)> = Vec::new();
    loop {
        let row = match rows.next() {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(()),
            Err(e) => {
                return Err(format!("table `{table}`: stopped after {n} rows: {e}"));
            }
        };
        n += 1;
        // Integers are scanned as their decimal text, kept in one buffer for the row.
        text.clear();
        ints.clear();
        let mut values: Vec<(usize, &[u8])> = Vec::with_capacity(fids.len());
        for (i, &fid) in fids.iter().enumerate() {
            match row.get_ref(i) {
                Ok(ValueRef::Integer(v)) => {
                    let s = text.len();
                    let _ = write!(text, "{v}");
                    ints.push((fid, s));
                }
                Ok(ValueRef::Text(b)) | Ok(ValueRef::Blob(b)) if !b.is_empty() => {
                    values.push((fid, b));
                }
                _ => {}
            }
        }
        let mut ends: Vec<usize> = ints.iter().skip(1).map(|&(_, s)| s).collect();
        ends.push(text.len());
        values.extend(
            ints.iter()
                .zip(ends)
                .map(|(&(fid, s), e)| (fid, &text.as_bytes()[s..e])),
        );
        rs.record(values);
    }
}

/// The names of `SELECT *`'s `count` columns. Not from `Statement::column_names`, which panics
/// on a name that is not UTF-8, and the panic aborted the whole scan (found by fuzzing: a
/// damaged schema): read from `pragma_table_xinfo` as bytes, lossily (its hidden columns of a
/// virtual table excluded, as `*` excludes them); positional names (`column 1`…) when the pragma
/// fails or does not give one name per column.
fn column_names(conn: &Connection, table: &str, count: usize) -> Vec<String> {
    let names: Result<Vec<String>, rusqlite::Error> = conn
        .prepare("SELECT name FROM pragma_table_xinfo(?1) WHERE hidden <> 1 ORDER BY cid")
        .and_then(|mut st| {
            st.query_map([table], |r| {
                Ok(match r.get_ref(0)? {
                    ValueRef::Text(b) | ValueRef::Blob(b) => {
                        String::from_utf8_lossy(b).into_owned()
                    }
                    _ => String::new(),
                })
            })?
            .collect()
        });
    match names {
        Ok(n) if n.len() == count => n,
        _ => (1..=count).map(|i| format!("column {i}")).collect(),
    }
}
