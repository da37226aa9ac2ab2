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
    keep_access_times();
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

/// Makes SQLite open the files it only reads with `O_NOATIME`, as [`super::open::open`] opens
/// every other file a scan reads: a database opened by path (4 MiB or more, or with a
/// write-ahead log) is opened by SQLite's own Unix VFS, which asks for no such flag, so each
/// scan moved the database's access time. The VFS lets its `open` system call be replaced
/// (`xSetSystemCall`, SQLite's documented way to do this); the replacement adds `O_NOATIME` to
/// read-only opens and, as `open::open` does, opens without it where the kernel refuses it
/// (`EPERM`: the file is not the caller's). Files opened for writing (the scan's own state and
/// ledger databases) are opened as SQLite asks. Installed once, before the first database is
/// opened by path; a no-op elsewhere than Linux.
fn keep_access_times() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            use rusqlite::ffi;
            /// `open(2)` as SQLite's Unix VFS calls it, with `O_NOATIME` on read-only opens.
            unsafe extern "C" fn open_noatime(
                path: *const std::ffi::c_char,
                flags: std::ffi::c_int,
                mode: std::ffi::c_int,
            ) -> std::ffi::c_int {
                if flags & libc::O_ACCMODE == libc::O_RDONLY {
                    // SAFETY: the arguments SQLite passed to its own `open`, unchanged but for
                    // one flag.
                    let fd = unsafe { libc::open(path, flags | libc::O_NOATIME, mode) };
                    if fd >= 0
                        || std::io::Error::last_os_error().raw_os_error() != Some(libc::EPERM)
                    {
                        return fd;
                    }
                }
                // SAFETY: as above.
                unsafe { libc::open(path, flags, mode) }
            }
            // SAFETY: `sqlite3_vfs_find(NULL)` returns the default VFS (the Unix one on Linux)
            // or NULL, checked; `xSetSystemCall` is given a name it knows and a function with
            // the signature of the call it replaces (`int open(const char*, int, int)`), cast
            // to SQLite's generic `sqlite3_syscall_ptr` as SQLite itself does. It runs once,
            // before this module opens a database by path.
            unsafe {
                let vfs = ffi::sqlite3_vfs_find(std::ptr::null());
                if let Some(set) = vfs.as_ref().and_then(|v| v.xSetSystemCall) {
                    let f: unsafe extern "C" fn(
                        *const std::ffi::c_char,
                        std::ffi::c_int,
                        std::ffi::c_int,
                    ) -> std::ffi::c_int = open_noatime;
                    let generic: unsafe extern "C" fn() = std::mem::transmute(f);
                    set(vfs, c"open".as_ptr(), Some(generic));
                }
            }
        });
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
    // Names as bytes: a damaged or hostile schema can name a table with bytes that are not
    // UTF-8, which `get::<String>` refuses for the whole query (every table then went unread).
    let tables: Result<Vec<Vec<u8>>, rusqlite::Error> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        )
        .and_then(|mut st| {
            st.query_map([], |r| {
                Ok(match r.get_ref(0)? {
                    ValueRef::Text(b) | ValueRef::Blob(b) => b.to_vec(),
                    _ => Vec::new(),
                })
            })?
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
        let r = match std::str::from_utf8(t) {
            Ok(t) => scan_table(conn, t, &mut rs),
            // rusqlite takes SQL as `&str`, so a statement cannot name this table.
            Err(_) => Err(format!(
                "table `{}`: its name is not valid UTF-8 (bytes {}), so no statement can name \
                 it; not read",
                String::from_utf8_lossy(t),
                hex::encode(t)
            )),
        };
        if let Err(e) = r {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSet;
    use crate::sketch::SketchKey;

    /// A table whose name is not UTF-8 (the schema patched to `t\xFF\xFE`) is an error naming
    /// it; the other tables are read (before, the whole schema query failed and nothing was).
    #[test]
    fn a_table_named_with_bytes_that_are_not_utf8_is_an_error_and_the_others_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE tZZ(phone TEXT); INSERT INTO tZZ VALUES ('13800138000');
             CREATE TABLE u(phone TEXT);
             INSERT INTO u VALUES ('13800138000'), ('13900139000');",
        )
        .unwrap();
        drop(conn);
        let mut bytes = std::fs::read(&path).unwrap();
        let mut patched = 0;
        while let Some(at) = memchr::memmem::find(&bytes, b"tZZ") {
            bytes[at + 1..at + 3].copy_from_slice(b"\xFF\xFE");
            patched += 1;
        }
        assert!(patched >= 3, "name, tbl_name and the CREATE statement");
        std::fs::write(&path, &bytes).unwrap();
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::new(
            &set,
            &key,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        );
        for conn in [open_bytes(&bytes).unwrap(), open_path(&path).unwrap()] {
            let (acc, err) = scan(&conn, &ctx);
            assert_eq!(acc.records, 2, "table u is read");
            assert!(acc.has_findings());
            let err = err.expect("an error for the table");
            assert_eq!(
                err,
                "table `t\u{FFFD}\u{FFFD}`: its name is not valid UTF-8 (bytes 74fffe), so no \
                 statement can name it; not read"
            );
        }
    }
}
