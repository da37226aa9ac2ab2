//! The state of incremental rescans (`scan --state FILE`): what a scheduled job needs to read
//! only the files that changed since its last run and still write the inventory a full scan
//! would.
//!
//! The state is a SQLite database (rusqlite, bundled) with, for every file the walk handed to a
//! reader:
//!
//! * its *stamp* — size, modification and status-change times (nanoseconds), inode and device —
//!   and, with `--verify-content`, a fast hash of its bytes (xxHash64);
//! * its *partial results*: for the file and, in an archive, each member, everything the
//!   inventory is built from — the source's counts, fields, masked samples, warnings and
//!   sketches ([`SourceAcc`], as JSON, sketches as DataSketches images) and its people graph in
//!   the record layout of `links.bin` ([`crate::link_file::encode`]).
//!
//! A rescan stats every file the walk finds; a file whose stamp (and hash) is the stored one is
//! not read: its stored results go into the inventory as they came out of the reader the first
//! time. The inventory is then built from all the files' results exactly as a full scan builds
//! it ([`crate::inventory::build_linked`]), so the figures, the sources and `links.bin` are
//! those of a full scan of the same tree. Files the walk no longer finds are dropped.
//!
//! What the stored results depend on besides the files — the pipl-scan version, the detector
//! set's fingerprint, the sketch key and precision, the reference date, `--min-confidence` and
//! `--ocr` ([`Settings`]) — is stored beside them: when any differs, every stored result is
//! dropped and every file read again (the caller says so on stderr). Settings that only change
//! how the inventory is assembled (the sensitivity standard, the classification thresholds,
//! `--link-cap`) apply to stored results as to new ones and keep the state.
//!
//! Results are written as files finish, in transactions of a few hundred files or a second,
//! so an interrupted scan leaves a state the next run continues from. A lock file beside the
//! state (`FILE.lock`, an advisory lock the system releases when the process ends, holding the
//! pid) keeps two runs from writing one state: the second gets [`StateError::Locked`].
//!
//! A file modified in the second before the scan started, or while it runs, is stored as
//! untrusted and read again next time: a file system's timestamps are coarse (a few
//! milliseconds on Linux), and a write inside the same tick as the read would otherwise go
//! unseen.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use crate::inventory::{FileResult, Prepared, Restored, SourceAcc, Status};
use crate::link::LinkAcc;

/// The state's layout: a state of another layout is dropped and rebuilt.
pub const SCHEMA: &str = "pipl-scan/state/v2";

/// The exit code of a scan whose state another run holds (`EX_TEMPFAIL` of sysexits.h:
/// "try again later").
pub const EXIT_LOCKED: u8 = 75;

/// Files (or seconds) per transaction while results are written.
const BATCH_FILES: usize = 512;
const BATCH_TIME: Duration = Duration::from_secs(1);

/// What the stored results depend on besides the files themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub version: String,
    /// [`crate::detect::DetectorSet::fingerprint`].
    pub detectors: String,
    pub key_id: String,
    pub lg_k: u8,
    pub reference_date: String,
    pub min_confidence: String,
    pub ocr: bool,
}

impl Settings {
    /// Every setting in which `now` differs from `self` (the stored ones), for the message.
    pub fn differences(&self, now: &Settings) -> Vec<String> {
        let mut out = Vec::new();
        let mut differ = |what: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{what} {a} → {b}"));
            }
        };
        differ("pipl-scan", self.version.clone(), now.version.clone());
        differ(
            "detector set",
            self.detectors.clone(),
            now.detectors.clone(),
        );
        differ("sketch key", self.key_id.clone(), now.key_id.clone());
        differ("--precision", self.lg_k.to_string(), now.lg_k.to_string());
        differ(
            "--reference-date",
            self.reference_date.clone(),
            now.reference_date.clone(),
        );
        differ(
            "--min-confidence",
            self.min_confidence.clone(),
            now.min_confidence.clone(),
        );
        differ("--ocr", self.ocr.to_string(), now.ocr.to_string());
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Another run holds the state's lock.
    #[error(
        "state {state} is in use by another pipl-scan run ({holder}, lock {lock}); wait for it to \
         finish, or give this run another --state"
    )]
    Locked {
        state: PathBuf,
        lock: PathBuf,
        holder: String,
    },
    #[error("state {path}: {message}")]
    Db { path: PathBuf, message: String },
}

/// What identifies a version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
    pub dev: u64,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            Stamp {
                size: meta.len(),
                mtime_ns: meta
                    .mtime()
                    .saturating_mul(1_000_000_000)
                    .saturating_add(meta.mtime_nsec()),
                ctime_ns: meta
                    .ctime()
                    .saturating_mul(1_000_000_000)
                    .saturating_add(meta.ctime_nsec()),
                ino: meta.ino(),
                dev: meta.dev(),
            }
        }
        #[cfg(not(unix))]
        {
            let ns = |t: std::io::Result<std::time::SystemTime>| {
                t.ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i64)
            };
            Stamp {
                size: meta.len(),
                mtime_ns: ns(meta.modified()),
                ctime_ns: ns(meta.created()),
                ino: 0,
                dev: 0,
            }
        }
    }
}

/// The xxHash64 of a file's bytes (`--verify-content`).
pub fn content_hash(path: &Path) -> std::io::Result<u64> {
    use std::hash::Hasher as _;
    let mut f = File::open(path)?;
    let mut h = twox_hash::XxHash64::with_seed(0);
    let mut buf = vec![0u8; 1 << 18];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.write(&buf[..n]);
    }
    Ok(h.finish())
}

/// A file's stamp and, with `verify_content`, its content hash, as they are now; `None` when
/// it cannot be stat'ed or read.
pub fn stamp_now(path: &Path, verify_content: bool) -> Option<(Stamp, Option<u64>)> {
    let stamp = Stamp::of(&std::fs::metadata(path).ok()?);
    let content = if verify_content {
        Some(content_hash(path).ok()?)
    } else {
        None
    };
    Some((stamp, content))
}

#[derive(Debug, Clone, Copy)]
struct Known {
    stamp: Stamp,
    content: Option<u64>,
    trusted: bool,
}

/// The stored stamps, read once when the state is opened; shared by the scan's workers.
#[derive(Debug)]
pub struct Index {
    files: HashMap<String, Known>,
    verify_content: bool,
    /// Files changed at or after this time (ns since the epoch) are stored untrusted.
    racy_from_ns: i64,
}

/// What a worker does with a file the walk found.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Its stored results stand: do not read it.
    Unchanged,
    /// Read it; then store its results with this stamp and content hash (`None` when it could
    /// not be stat'ed: not stored).
    Read(Option<(Stamp, Option<u64>)>),
}

impl Index {
    pub fn verify_content(&self) -> bool {
        self.verify_content
    }

    /// Whether the file at `path`, stored under `key`, can be taken from the state.
    pub fn check(&self, key: &str, path: &Path) -> Check {
        let Ok(meta) = std::fs::metadata(path) else {
            return Check::Read(None);
        };
        let stamp = Stamp::of(&meta);
        let known = self.files.get(key);
        let same_stamp = known.is_some_and(|k| k.trusted && k.stamp == stamp);
        let content = if self.verify_content {
            // Hashed before it is read: a change while it is read makes the stored hash stale,
            // and the file is read again next time.
            match content_hash(path) {
                Ok(h) => Some(h),
                Err(_) => return Check::Read(None),
            }
        } else {
            None
        };
        if same_stamp && (!self.verify_content || known.and_then(|k| k.content) == content) {
            return Check::Unchanged;
        }
        Check::Read(Some((stamp, content)))
    }
}

/// One file's results as stored (the owned form; [`StoredRef`] writes it).
#[derive(Deserialize)]
struct Stored {
    path: String,
    format: String,
    encoding: Option<String>,
    bytes: u64,
    status: Status,
    reason: Option<String>,
    acc: SourceAcc,
    #[serde(default)]
    sensitive_image: Option<String>,
}

#[derive(Serialize)]
struct StoredRef<'a> {
    path: &'a str,
    format: &'a str,
    encoding: &'a Option<String>,
    bytes: u64,
    status: Status,
    reason: &'a Option<String>,
    acc: &'a SourceAcc,
    #[serde(skip_serializing_if = "Option::is_none")]
    sensitive_image: &'a Option<String>,
}

/// One result as stored (the file, or a member of an archive).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Part {
    /// Its JSON document: everything its source is built from but the graph.
    pub doc: Vec<u8>,
    /// Its people graph ([`crate::link_file::encode`]).
    pub links: Vec<u8>,
    /// Its inventory entry as the run serialised it and a JSON document of what the totals
    /// need ([`crate::inventory::Prepared::assembled`]), when the run made them: a rescan with
    /// the same assembly settings ([`State::assemble_with`]) copies the entry and merges the
    /// totals' share, instead of decoding the document and building the entry again.
    pub assembled: Option<(Vec<u8>, Vec<u8>)>,
}

/// A walk entry's stored results: one [`Part`] per result.
pub type Parts = Vec<Part>;

/// A message to the writer: a file read (its stamp and encoded results), or a file whose stored
/// results no longer stand and that has none to store.
pub enum Put {
    File {
        key: String,
        stamp: Stamp,
        content: Option<u64>,
        parts: Parts,
    },
    Forget(String),
}

/// Encodes a walk entry's results for the state; `None` when they must not be stored: a file
/// that could not be read (perhaps for a passing reason: it is tried again next time).
pub fn encode(files: &[FileResult]) -> std::io::Result<Option<Parts>> {
    if files.iter().any(|f| f.status == Status::Unreadable) {
        return Ok(None);
    }
    let mut parts = Vec::with_capacity(files.len());
    for f in files {
        let doc = serde_json::to_vec(&StoredRef {
            path: &f.path,
            format: &f.format,
            encoding: &f.encoding,
            bytes: f.bytes,
            status: f.status,
            reason: &f.reason,
            acc: &f.acc,
            sensitive_image: &None,
        })
        .map_err(std::io::Error::other)?;
        parts.push(Part {
            doc,
            links: graph_bytes(&f.acc.links)?,
            assembled: None,
        });
    }
    Ok(Some(parts))
}

/// [`encode`] of results already prepared for the inventory, each with what
/// [`Prepared::assembled`] made of it (`None` where it made nothing).
pub fn encode_prepared(
    files: &[Prepared],
    assembled: &[Option<crate::inventory::Assembled>],
) -> std::io::Result<Option<Parts>> {
    if files.iter().any(|p| p.file().4 == Status::Unreadable) {
        return Ok(None);
    }
    let mut parts = Vec::with_capacity(files.len());
    for (p, a) in files.iter().zip(assembled) {
        let (path, format, encoding, bytes, status, reason) = p.file();
        let (acc, graph) = p.parts();
        let doc = |acc: &SourceAcc, sensitive_image: &Option<String>| {
            serde_json::to_vec(&StoredRef {
                path,
                format,
                encoding,
                bytes,
                status,
                reason,
                acc,
                sensitive_image,
            })
            .map_err(std::io::Error::other)
        };
        let assembled = match a {
            Some(a) => Some((a.entry.clone(), doc(&a.totals, &a.sensitive_image)?)),
            None => None,
        };
        parts.push(Part {
            doc: doc(acc, &None)?,
            links: graph_bytes(graph)?,
            assembled,
        });
    }
    Ok(Some(parts))
}

/// A stored result read back: the result itself, or, when the state kept its entry for this
/// run's assembly settings, what [`crate::inventory::Builder::add_restored`] takes.
pub enum Decoded {
    File(FileResult),
    Restored(Restored),
}

impl Decoded {
    /// Its people graph.
    pub fn graph_mut(&mut self) -> &mut LinkAcc {
        match self {
            Decoded::File(f) => &mut f.acc.links,
            Decoded::Restored(r) => &mut r.graph,
        }
    }
}

/// Reads back a [`Part`] as [`State::load_each`] hands it.
pub fn decode_part(part: Part) -> Result<Decoded, String> {
    let Some((entry, totals)) = part.assembled else {
        return decode(&part.doc, &part.links).map(Decoded::File);
    };
    let s: Stored = serde_json::from_slice(&totals).map_err(|e| e.to_string())?;
    Ok(Decoded::Restored(Restored {
        path: s.path,
        format: s.format,
        status: s.status,
        reason: s.reason,
        bytes: s.bytes,
        sensitive_image: s.sensitive_image,
        entry,
        totals: s.acc,
        graph: crate::link_file::decode(&part.links).ok_or("damaged people graph")?,
    }))
}

/// A finished file's graph in the layout of [`crate::link_file::encode`]: from memory, or
/// from its one run on disk when it was spilled past the memory budget.
fn graph_bytes(acc: &LinkAcc) -> std::io::Result<Vec<u8>> {
    match acc.runs.first() {
        Some(run) => {
            let mut out = Vec::new();
            out.extend_from_slice(&run.nodes.to_le_bytes());
            out.extend_from_slice(&run.edges.to_le_bytes());
            run.copy_to(&mut out)?;
            Ok(out)
        }
        None => {
            let mut acc = acc.clone();
            acc.compact();
            Ok(crate::link_file::encode(&acc))
        }
    }
}

/// Reads back what [`encode`] wrote for one result.
pub fn decode(doc: &[u8], links: &[u8]) -> Result<FileResult, String> {
    let s: Stored = serde_json::from_slice(doc).map_err(|e| e.to_string())?;
    let mut acc = s.acc;
    acc.links = crate::link_file::decode(links).ok_or("damaged people graph")?;
    Ok(FileResult {
        path: s.path,
        format: s.format,
        encoding: s.encoding,
        bytes: s.bytes,
        status: s.status,
        reason: s.reason,
        acc,
    })
}

/// An open state, locked for this run.
pub struct State {
    path: PathBuf,
    conn: Connection,
    index: Index,
    /// Why the stored results were dropped when it was opened, if they were.
    invalidated: Option<String>,
    /// Whether the stored entries were made with this run's assembly settings
    /// ([`State::assemble_with`]): until then they are not used.
    entries_current: bool,
    _lock: File,
}

/// What a run did with the state.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Files taken from the state without being read.
    pub reused: u64,
    /// Files read (new, changed, or stored results that could not be used).
    pub read: u64,
    /// Stored files the walk no longer found, dropped.
    pub dropped: u64,
    /// Why results could not be written, if they could not (the inventory is still right; the
    /// next run reads more).
    pub write_error: Option<String>,
}

impl State {
    /// Opens (or creates) the state at `path` for a scan with `settings`; takes its lock.
    pub fn open(
        path: &Path,
        settings: &Settings,
        verify_content: bool,
    ) -> Result<State, StateError> {
        let db = |message: String| StateError::Db {
            path: path.to_path_buf(),
            message,
        };
        let lock_path = lock_path(path);
        let mut lock = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| db(format!("cannot open its lock {}: {e}", lock_path.display())))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = lock.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(StateError::Locked {
                    state: path.to_path_buf(),
                    lock: lock_path,
                    holder: if pid.is_empty() {
                        "pid unknown".to_string()
                    } else {
                        format!("pid {pid}")
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(db(format!("cannot lock {}: {e}", lock_path.display())));
            }
        }
        let _ = lock.set_len(0);
        let _ = write!(lock, "{}", std::process::id());
        let _ = lock.flush();
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        let conn = Connection::open(path).map_err(|e| db(e.to_string()))?;
        let mut state = State {
            path: path.to_path_buf(),
            conn,
            index: Index {
                files: HashMap::new(),
                verify_content,
                racy_from_ns: started - 1_000_000_000,
            },
            invalidated: None,
            entries_current: false,
            _lock: lock,
        };
        state.prepare(settings).map_err(|e| db(e.to_string()))?;
        Ok(state)
    }

    fn prepare(&mut self, settings: &Settings) -> rusqlite::Result<()> {
        // WAL: a transaction per batch costs one sync at most; an interrupted run loses only
        // the batch in flight.
        self.conn
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        self.conn.execute_batch(
            "PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )?;
        let get = |name: &str| -> rusqlite::Result<Option<String>> {
            self.conn
                .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()
        };
        let schema = get("schema")?;
        let stored: Option<Settings> = get("settings")?.and_then(|s| serde_json::from_str(&s).ok());
        let has_files: bool = self.conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'files'",
            [],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )?;
        let count: i64 = if has_files {
            self.conn
                .query_row("SELECT count(*) FROM files", [], |r| r.get(0))?
        } else {
            0
        };
        if schema.as_deref() != Some(SCHEMA) {
            // Another layout's tables: made again in this one.
            self.conn.execute_batch(
                "DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS results;
                 DELETE FROM meta WHERE name = 'assembly';",
            )?;
        }
        // The results' columns in the order a rescan reads them: `doc` last, so that the
        // pages of a document that is not needed (the entry is there) are not read.
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS files (
                 path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                 ctime_ns INTEGER NOT NULL, ino INTEGER NOT NULL, dev INTEGER NOT NULL,
                 content INTEGER, trusted INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS results (
                 path TEXT NOT NULL, seq INTEGER NOT NULL, links BLOB NOT NULL,
                 entry BLOB, totals BLOB, doc BLOB NOT NULL, PRIMARY KEY (path, seq));",
        )?;
        let why = match (schema.as_deref(), &stored) {
            _ if count == 0 => None,
            (Some(SCHEMA), Some(s)) if s == settings => None,
            (Some(SCHEMA), Some(s)) => Some(s.differences(settings).join(", ")),
            (Some(SCHEMA), None) => Some("its settings are unreadable".to_string()),
            (other, _) => Some(format!(
                "it is of layout {} (this version writes {SCHEMA})",
                other.unwrap_or("unknown")
            )),
        };
        let tx = self.conn.transaction()?;
        if why.is_some() {
            tx.execute("DELETE FROM results", [])?;
            tx.execute("DELETE FROM files", [])?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES ('schema', ?1)",
            [SCHEMA],
        )?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES ('settings', ?1)",
            [serde_json::to_string(settings).unwrap_or_default()],
        )?;
        tx.commit()?;
        if why.is_some() {
            // Give the dropped results' pages back.
            let _ = self.conn.execute_batch("VACUUM");
        }
        self.invalidated = why.map(|w| {
            format!(
                "the stored results were made with other settings ({w}): every file is read again"
            )
        });
        let mut stmt = self.conn.prepare(
            "SELECT path, size, mtime_ns, ctime_ns, ino, dev, content, trusted FROM files",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Known {
                    stamp: Stamp {
                        size: r.get::<_, i64>(1)? as u64,
                        mtime_ns: r.get(2)?,
                        ctime_ns: r.get(3)?,
                        ino: r.get::<_, i64>(4)? as u64,
                        dev: r.get::<_, i64>(5)? as u64,
                    },
                    content: r.get::<_, Option<i64>>(6)?.map(|c| c as u64),
                    trusted: r.get::<_, i64>(7)? != 0,
                },
            ))
        })?;
        for row in rows {
            let (path, known) = row?;
            self.index.files.insert(path, known);
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why every stored result was dropped when the state was opened, if it was.
    pub fn invalidated(&self) -> Option<&str> {
        self.invalidated.as_deref()
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Files with stored results.
    pub fn stored_files(&self) -> usize {
        self.index.files.len()
    }

    /// The index, for the workers, and a writer, for a thread of its own, at the same time.
    pub fn split(&mut self) -> (&Index, Writer<'_>) {
        (
            &self.index,
            Writer {
                conn: &mut self.conn,
                path: &self.path,
                racy_from_ns: self.index.racy_from_ns,
            },
        )
    }

    /// [`Writer::write_from`].
    pub fn write_from(&mut self, rx: Receiver<Put>) -> Result<u64, String> {
        self.split().1.write_from(rx)
    }

    /// Says how this run assembles the inventory (the sources' layout, the sensitivity
    /// standard, the classification thresholds, the link cap: what an entry depends on besides
    /// the file's results). Stored entries made with other settings are dropped (the results
    /// they were made from stay: a rescan builds those entries again); until this is called,
    /// or when it fails, no stored entry is used.
    pub fn assemble_with(&mut self, assembly: &str) -> rusqlite::Result<()> {
        self.entries_current = false;
        let stored: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE name = 'assembly'", [], |r| {
                r.get(0)
            })
            .optional()?;
        if stored.as_deref() != Some(assembly) {
            let tx = self.conn.transaction()?;
            tx.execute(
                "UPDATE results SET entry = NULL, totals = NULL WHERE entry IS NOT NULL",
                [],
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES ('assembly', ?1)",
                [assembly],
            )?;
            tx.commit()?;
        }
        self.entries_current = true;
        Ok(())
    }

    /// Whether entries may be stored and used ([`State::assemble_with`] succeeded).
    pub fn entries_current(&self) -> bool {
        self.entries_current
    }

    /// The stored parts of the files in `keys`, handed to `each` in batches of about `batch`
    /// files (in path order), so that what is held at once does not grow with the tree.
    pub fn load_each(
        &self,
        keys: &HashSet<String>,
        batch: usize,
        mut each: impl FnMut(Vec<(String, Parts)>),
    ) -> rusqlite::Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        // One pass over the table in key order (its primary key): cheaper than a look-up per
        // file when most files are kept, and each file's parts come together, in order.
        // A part with its entry needs no document: it is not read.
        let mut stmt = self.conn.prepare(
            "SELECT path, links, entry, totals, CASE WHEN entry IS NULL THEN doc END, seq
             FROM results ORDER BY path, seq",
        )?;
        let entries = self.entries_current;
        let mut rows = stmt.query([])?;
        let mut out: Vec<(String, Parts)> = Vec::with_capacity(batch.max(1));
        while let Some(r) = rows.next()? {
            let path: String = r.get(0)?;
            if !keys.contains(&path) {
                continue;
            }
            let assembled = match (r.get::<_, Option<Vec<u8>>>(2)?, r.get(3)?) {
                (Some(e), Some(t)) if entries => Some((e, t)),
                _ => None,
            };
            let doc = match &assembled {
                Some(_) => Vec::new(),
                None => match r.get::<_, Option<Vec<u8>>>(4)? {
                    Some(d) => d,
                    // An entry made with other settings, whose document was not selected.
                    None => self.conn.query_row(
                        "SELECT doc FROM results WHERE path = ?1 AND seq = ?2",
                        params![path, r.get::<_, i64>(5)?],
                        |r| r.get(0),
                    )?,
                },
            };
            let part = Part {
                doc,
                links: r.get(1)?,
                assembled,
            };
            match out.last_mut() {
                Some((p, parts)) if *p == path => parts.push(part),
                _ => {
                    if out.len() >= batch.max(1) {
                        each(std::mem::take(&mut out));
                    }
                    out.push((path, vec![part]));
                }
            }
        }
        if !out.is_empty() {
            each(out);
        }
        Ok(())
    }

    /// Drops the stored files that are not in `seen` (the walk no longer found them, or found
    /// them skipped); returns how many.
    pub fn drop_unseen(&mut self, seen: &HashSet<String>) -> rusqlite::Result<u64> {
        let gone: Vec<&String> = self
            .index
            .files
            .keys()
            .filter(|k| !seen.contains(*k))
            .collect();
        if gone.is_empty() {
            return Ok(0);
        }
        let tx = self.conn.transaction()?;
        {
            let mut del_files = tx.prepare("DELETE FROM files WHERE path = ?1")?;
            let mut del_results = tx.prepare("DELETE FROM results WHERE path = ?1")?;
            for k in &gone {
                del_files.execute([k])?;
                del_results.execute([k])?;
            }
        }
        tx.commit()?;
        Ok(gone.len() as u64)
    }
}

/// Writes results into a state ([`State::split`]).
pub struct Writer<'a> {
    conn: &'a mut Connection,
    path: &'a Path,
    racy_from_ns: i64,
}

impl Writer<'_> {
    /// Writes what `rx` receives until every sender is gone, in transactions of
    /// [`BATCH_FILES`] files or [`BATCH_TIME`]; returns the files written. Run on a thread of
    /// its own while the scan's workers send ([`writer_channel`]).
    pub fn write_from(self, rx: Receiver<Put>) -> Result<u64, String> {
        let racy_from_ns = self.racy_from_ns;
        let trusted = |s: &Stamp| s.mtime_ns.max(s.ctime_ns) < racy_from_ns;
        let mut written = 0u64;
        let mut failed: Option<String> = None;
        let mut pending: Vec<Put> = Vec::with_capacity(BATCH_FILES);
        let mut since = Instant::now();
        let flush = |conn: &mut Connection, pending: &mut Vec<Put>| -> rusqlite::Result<u64> {
            let tx = conn.transaction()?;
            let mut n = 0;
            {
                let mut del_files = tx.prepare_cached("DELETE FROM files WHERE path = ?1")?;
                let mut del_results = tx.prepare_cached("DELETE FROM results WHERE path = ?1")?;
                let mut put_file = tx.prepare_cached(
                    "INSERT INTO files (path, size, mtime_ns, ctime_ns, ino, dev, content, trusted)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                let mut put_result = tx.prepare_cached(
                    "INSERT INTO results (path, seq, links, entry, totals, doc)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for p in pending.drain(..) {
                    match p {
                        Put::Forget(key) => {
                            del_files.execute([&key])?;
                            del_results.execute([&key])?;
                        }
                        Put::File {
                            key,
                            stamp,
                            content,
                            parts,
                        } => {
                            del_files.execute([&key])?;
                            del_results.execute([&key])?;
                            put_file.execute(params![
                                key,
                                stamp.size as i64,
                                stamp.mtime_ns,
                                stamp.ctime_ns,
                                stamp.ino as i64,
                                stamp.dev as i64,
                                content.map(|c| c as i64),
                                trusted(&stamp) as i64,
                            ])?;
                            for (seq, p) in parts.iter().enumerate() {
                                let (entry, totals) =
                                    p.assembled.as_ref().map(|(e, t)| (e, t)).unzip();
                                put_result.execute(params![
                                    key, seq as i64, p.links, entry, totals, p.doc
                                ])?;
                            }
                            n += 1;
                        }
                    }
                }
            }
            tx.commit()?;
            Ok(n)
        };
        for put in rx {
            if failed.is_some() {
                continue;
            }
            pending.push(put);
            if pending.len() >= BATCH_FILES || since.elapsed() >= BATCH_TIME {
                match flush(self.conn, &mut pending) {
                    Ok(n) => written += n,
                    Err(e) => failed = Some(e.to_string()),
                }
                since = Instant::now();
            }
        }
        if failed.is_none() && !pending.is_empty() {
            match flush(self.conn, &mut pending) {
                Ok(n) => written += n,
                Err(e) => failed = Some(e.to_string()),
            }
        }
        match failed {
            Some(e) => Err(format!("{}: {e}", self.path.display())),
            None => Ok(written),
        }
    }
}

/// A bounded channel to [`Writer::write_from`]: workers wait when the writer falls behind, so
/// results waiting to be written stay bounded.
pub fn writer_channel() -> (SyncSender<Put>, Receiver<Put>) {
    std::sync::mpsc::sync_channel(1024)
}

/// The lock file of the state at `path`: `path` with `.lock` appended.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            version: "0.1.0".into(),
            detectors: "abcd".into(),
            key_id: "k1".into(),
            lg_k: 14,
            reference_date: "2026-11-25".into(),
            min_confidence: "low".into(),
            ocr: false,
        }
    }

    fn put(key: &str, stamp: Stamp) -> Put {
        Put::File {
            key: key.into(),
            stamp,
            content: None,
            parts: vec![Part {
                doc: b"{}".to_vec(),
                links: crate::link_file::encode(&LinkAcc::default()),
                assembled: None,
            }],
        }
    }

    fn write(state: &mut State, puts: Vec<Put>) -> u64 {
        let (tx, rx) = writer_channel();
        for p in puts {
            tx.send(p).unwrap();
        }
        drop(tx);
        state.write_from(rx).unwrap()
    }

    const OLD: Stamp = Stamp {
        size: 10,
        mtime_ns: 1_000_000_000,
        ctime_ns: 1_000_000_000,
        ino: 7,
        dev: 1,
    };

    #[test]
    fn a_second_open_is_refused_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.db");
        let first = State::open(&p, &settings(), false).unwrap();
        let err = State::open(&p, &settings(), false).err().expect("locked");
        let msg = err.to_string();
        assert!(matches!(err, StateError::Locked { .. }), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(msg.contains("state.db.lock"), "{msg}");
        drop(first);
        State::open(&p, &settings(), false).expect("free again once the first is closed");
    }

    #[test]
    fn other_settings_drop_the_stored_results_and_say_which() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.db");
        let mut s = State::open(&p, &settings(), false).unwrap();
        assert!(s.invalidated().is_none());
        assert_eq!(write(&mut s, vec![put("a.csv", OLD), put("b.txt", OLD)]), 2);
        drop(s);
        let s = State::open(&p, &settings(), false).unwrap();
        assert!(s.invalidated().is_none());
        assert_eq!(s.stored_files(), 2);
        drop(s);
        let mut other = settings();
        other.reference_date = "2026-12-01".into();
        other.detectors = "ef01".into();
        let s = State::open(&p, &other, false).unwrap();
        let why = s.invalidated().expect("invalidated");
        assert!(
            why.contains("--reference-date 2026-11-25 → 2026-12-01"),
            "{why}"
        );
        assert!(why.contains("detector set abcd → ef01"), "{why}");
        assert!(!why.contains("sketch key"), "{why}");
        assert_eq!(s.stored_files(), 0);
    }

    #[test]
    fn files_not_seen_are_dropped_and_untrusted_stamps_never_match() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.db");
        let mut s = State::open(&p, &settings(), false).unwrap();
        let recent = Stamp {
            mtime_ns: i64::MAX - 1,
            ..OLD
        };
        write(
            &mut s,
            vec![put("a.csv", OLD), put("b.txt", recent), put("c", OLD)],
        );
        drop(s);
        let mut s = State::open(&p, &settings(), false).unwrap();
        assert!(s.index.files["a.csv"].trusted);
        assert!(
            !s.index.files["b.txt"].trusted,
            "changed after the scan began"
        );
        let seen: HashSet<String> = ["a.csv".to_string(), "b.txt".to_string()].into();
        let mut loaded = Vec::new();
        // Batches of one: each file's parts come whole, in path order.
        s.load_each(&seen, 1, |b| loaded.push(b)).unwrap();
        assert_eq!(loaded.len(), 2);
        assert_eq!(loaded[0].len(), 1);
        assert_eq!(loaded[0][0].0, "a.csv");
        assert_eq!(loaded[0][0].1.len(), 1);
        assert_eq!(loaded[1][0].0, "b.txt");
        assert_eq!(s.drop_unseen(&seen).unwrap(), 1);
        drop(s);
        let s = State::open(&p, &settings(), false).unwrap();
        assert_eq!(s.stored_files(), 2);
        assert!(!s.index.files.contains_key("c"));
    }

    #[test]
    fn a_stored_result_decodes_to_what_was_encoded() {
        let set = crate::detect::DetectorSet::load(None).unwrap();
        let key = crate::sketch::SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let ctx = crate::read::Ctx::new(&set, &key, date);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("people.csv");
        std::fs::write(
            &f,
            "name,id,mobile\n张伟,11010519491231002X,13812345678\n李娜,110101199003078515,13912345678\n",
        )
        .unwrap();
        let size = std::fs::metadata(&f).unwrap().len();
        let files = crate::read::read_source(&f, size, &ctx);
        assert_eq!(files.len(), 1);
        assert!(!files[0].acc.links.is_empty(), "the people graph is kept");
        let parts = encode(&files).unwrap().expect("stored");
        let back = decode(&parts[0].doc, &parts[0].links).unwrap();
        let again = encode(std::slice::from_ref(&back)).unwrap().unwrap();
        assert_eq!(parts, again, "a second round trip changes nothing");
        assert_eq!(back.acc.records, files[0].acc.records);
        let mut graph = files[0].acc.links.clone();
        graph.compact();
        assert_eq!(back.acc.links.nodes, graph.nodes);
        assert_eq!(back.acc.links.edges, graph.edges);
        assert_eq!(
            back.acc.subjects.to_bytes(),
            files[0].acc.subjects.to_bytes()
        );
        assert!(decode(&parts[0].doc, b"short").is_err());
    }
}
