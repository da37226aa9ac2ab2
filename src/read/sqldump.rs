//! SQL dumps — mysqldump and pg_dump plain-format output — streamed in bounded memory.
//!
//! A hand-written byte-level tokenizer rather than a SQL parser: a general parser measured
//! 23 MB/s on a large extended INSERT and needs the whole statement in memory, while mysqldump
//! writes tables as single multi-gigabyte lines. The tokenizer reads the dump through a fixed
//! buffer and understands only what carries data:
//!
//! * `CREATE TABLE name (col …, …)` — the column names, so fields are named `table.column`;
//! * `INSERT|REPLACE INTO name [(cols)] VALUES (…),(…);` — each tuple is one record;
//! * `COPY name (cols) FROM stdin;` followed by tab-separated lines up to `\.` (pg_dump);
//!
//! and skips every other statement, quote- and comment-aware (`'…'`, `"…"`, `` `…` ``,
//! `$tag$…$tag$`, `--`, `#`, `/* */`, mysqldump's `DELIMITER ;;` blocks, psql `\connect` lines).
//! String escapes follow the dialect: MySQL's backslash escapes and `''`; PostgreSQL's standard
//! strings (backslash is literal unless `E'…'` or `standard_conforming_strings = off`); COPY's
//! text-format escapes and `\N`. `_binary '…'`, `N'…'`, `X'…'` and `0x…` literals are decoded to
//! the bytes they stand for.
//!
//! A damaged dump (unterminated string, a COPY block without its `\.`, a file cut mid-row) keeps
//! every record read before the damage; the error says at which line and byte offset reading
//! stopped.

use std::cell::Cell;
use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, RwLock};

use super::Ctx;
use super::records::RecordScanner;
use crate::inventory::SourceAcc;

/// Read buffer. The tokenizer never needs more than this in memory besides the current row.
const BUF: usize = 1 << 20;
/// Longest value kept for detection; the rest of a longer value is skipped (and reported).
const MAX_VALUE: usize = 8 << 20;
/// Bytes examined by [`sniff`].
pub const SNIFF_LEN: usize = 64 << 10;

/// The SQL dialect of a dump, which decides how strings are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// mysqldump / MariaDB: backslash escapes in strings, backtick identifiers.
    MySql,
    /// pg_dump plain format: standard strings, `COPY … FROM stdin` blocks, dollar quoting.
    Postgres,
}

impl Dialect {
    /// The `sources[].format` of a dump in this dialect.
    pub fn format(self) -> &'static str {
        match self {
            Dialect::MySql => "mysql_dump",
            Dialect::Postgres => "pg_dump",
        }
    }
}

/// Is this the start of a SQL dump, and in which dialect? `named_sql` says the file is called
/// `*.sql`: such a file is a dump whatever it starts with; any other file must start like one
/// (a dump header, or a SQL statement as its first non-comment line), so that a text file which
/// merely mentions `INSERT INTO` is still read as text.
pub fn sniff(head: &[u8], named_sql: bool) -> Option<Dialect> {
    let has = |needle: &str| memchr::memmem::find(head, needle.as_bytes()).is_some();
    let mysql = has("-- MySQL dump")
        || has("-- MariaDB dump")
        || has("/*!40")
        || has("INSERT INTO `")
        || has("CREATE TABLE `")
        || has("ENGINE=")
        || has("LOCK TABLES `");
    let pg = has("-- PostgreSQL database dump")
        || has("pg_catalog")
        || (has("COPY ") && has(" FROM stdin;"))
        || has("\\connect ")
        || head.starts_with(b"\\c ")
        || has("\n\\c ")
        || has("SET search_path")
        || has("standard_conforming_strings");
    if !named_sql && !starts_like_sql(head) {
        return None;
    }
    match (mysql, pg) {
        (true, false) => Some(Dialect::MySql),
        (false, true) => Some(Dialect::Postgres),
        // Both or neither: backticks decide; otherwise standard SQL strings (PostgreSQL's rules,
        // which are also what SQL Server, SQLite and Oracle scripts use).
        _ if has("`") => Some(Dialect::MySql),
        _ => Some(Dialect::Postgres),
    }
}

/// Does the first statement-like line, after blank lines and comments, start with a keyword
/// that begins SQL scripts?
fn starts_like_sql(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut in_block = false;
    for line in text.lines() {
        let t = line.trim_start_matches('\u{feff}').trim();
        if in_block {
            if t.contains("*/") {
                in_block = false;
            }
            continue;
        }
        if t.is_empty() || t.starts_with("--") || t.starts_with('#') {
            continue;
        }
        if t.starts_with("/*!") {
            return true; // mysqldump's versioned comments
        }
        if t.starts_with("/*") {
            in_block = !t.contains("*/");
            continue;
        }
        let word: String = t
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '\\')
            .collect::<String>()
            .to_ascii_uppercase();
        return matches!(
            word.as_str(),
            "SET"
                | "CREATE"
                | "INSERT"
                | "DROP"
                | "USE"
                | "LOCK"
                | "BEGIN"
                | "START"
                | "COPY"
                | "ALTER"
                | "REPLACE"
                | "\\CONNECT"
                | "\\C"
                | "\\RESTRICT"
        );
    }
    false
}

/// A binary database dump that pipl-scan cannot read, with what to do instead; `None` if
/// `head` is not one.
pub fn binary_dump_message(head: &[u8]) -> Option<String> {
    if head.starts_with(b"PGDMP") {
        return Some(
            "pg_dump custom/directory/tar archive (PGDMP): not readable as is; convert it to a \
             plain SQL dump with `pg_restore -f out.sql DUMP` (or dump again with \
             `pg_dump -Fp`) and scan out.sql"
                .to_string(),
        );
    }
    if head.starts_with(b"TAPE") {
        return Some(
            "SQL Server backup (.bak, Microsoft Tape Format): not readable; restore it and export \
             the tables (e.g. `bcp` or `sqlcmd` to CSV), or scan a plain SQL script of the data"
                .to_string(),
        );
    }
    let head16 = &head[..head.len().min(64)];
    if memchr::memmem::find(head16, b"EXPORT:V").is_some() {
        return Some(
            "Oracle export dump (exp/expdp): not readable; export the tables as SQL INSERT \
             scripts or CSV (e.g. SQL Developer or `sqlplus` spool) and scan those"
                .to_string(),
        );
    }
    None
}

/// Where the tokenizer delivers rows: the detectors (a [`RecordScanner`]), a pipeline to
/// detector threads, or anything else (the benchmark counts them).
pub trait RowSink {
    /// Registers a field, `table.column` with header hints from `column`; returns its id.
    fn field(&mut self, name: &str, header: &str) -> usize;
    /// One row as (field id, value) pairs; empty values are left out.
    fn row<'v>(&mut self, values: impl Iterator<Item = (usize, &'v [u8])>);

    /// One row as its values' bytes, back to back in `data`, and each value's (field id, start,
    /// end) in it; empty values may be among them and are left out. A sink that copies rows
    /// can take `data` at once instead of value by value.
    fn row_spans(&mut self, data: &[u8], values: impl Iterator<Item = (usize, usize, usize)>) {
        self.row(
            values
                .filter(|&(_, s, e)| e > s)
                .map(|(fid, s, e)| (fid, &data[s..e])),
        );
    }
}

impl RowSink for RecordScanner<'_, '_> {
    fn field(&mut self, name: &str, header: &str) -> usize {
        self.field_labeled(name, header)
    }
    fn row<'v>(&mut self, values: impl Iterator<Item = (usize, &'v [u8])>) {
        self.record(values);
    }
}

/// Tokenizes a dump, handing every row to `sink`. `Ok(n)`: read to the end, `n` values were
/// longer than [`MAX_VALUE`] and scanned only in part; `Err`: where and why reading stopped.
pub fn tokenize<R: Read, S: RowSink>(
    input: R,
    dialect: Dialect,
    sink: &mut S,
) -> Result<u64, String> {
    let mut p = Parser {
        lx: Lexer::new(input),
        dialect,
        backslash: dialect == Dialect::MySql,
        delimiter: b";".to_vec(),
        rs: sink,
        tables: Vec::new(),
        row: Vec::new(),
        spans: Vec::new(),
        word_buf: Vec::new(),
        truncated_values: 0,
        value_full: false,
    };
    p.run().map(|()| p.truncated_values)
}

/// Rows handed to the detector threads at a time (bytes of values, or rows).
const BATCH_BYTES: usize = 1 << 20;
const BATCH_ROWS: usize = 16_384;

/// A batch of rows for a detector thread: values back to back, each value's field and span, and
/// where each row's values end.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    values: Vec<(usize, usize, usize)>,
    row_ends: Vec<usize>,
}

/// Field names by id, shared with the detector threads (each registers them in its own scanner
/// when it first meets an id).
type Registry = Arc<RwLock<Vec<(String, String)>>>;

/// A [`RowSink`] that batches rows and sends them to detector threads.
struct Pipeline {
    registry: Registry,
    names: std::collections::HashMap<String, usize>,
    batch: Batch,
    tx: Option<SyncSender<Batch>>,
    /// Batches the detector threads are done with, emptied, to be filled again: a fresh batch
    /// grows its vectors from nothing and faults in new pages every time.
    spent: Receiver<Batch>,
}

impl RowSink for Pipeline {
    fn field(&mut self, name: &str, header: &str) -> usize {
        if let Some(&id) = self.names.get(name) {
            return id;
        }
        let mut reg = self.registry.write().unwrap_or_else(|e| e.into_inner());
        reg.push((name.to_string(), header.to_string()));
        let id = reg.len() - 1;
        self.names.insert(name.to_string(), id);
        id
    }

    fn row<'v>(&mut self, values: impl Iterator<Item = (usize, &'v [u8])>) {
        for (fid, v) in values {
            let s = self.batch.data.len();
            self.batch.data.extend_from_slice(v);
            self.batch.values.push((fid, s, self.batch.data.len()));
        }
        self.end_row();
    }

    fn row_spans(&mut self, data: &[u8], values: impl Iterator<Item = (usize, usize, usize)>) {
        // One copy per row rather than one per value.
        let base = self.batch.data.len();
        self.batch.data.extend_from_slice(data);
        self.batch.values.extend(
            values
                .filter(|&(_, s, e)| e > s)
                .map(|(fid, s, e)| (fid, base + s, base + e)),
        );
        self.end_row();
    }
}

impl Pipeline {
    #[inline]
    fn end_row(&mut self) {
        self.batch.row_ends.push(self.batch.values.len());
        if self.batch.data.len() >= BATCH_BYTES || self.batch.row_ends.len() >= BATCH_ROWS {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.row_ends.is_empty() {
            return;
        }
        let next = self.spent.try_recv().unwrap_or_default();
        let b = std::mem::replace(&mut self.batch, next);
        if let Some(tx) = &self.tx
            && tx.send(b).is_err()
        {
            // Every detector thread is gone (it panicked): stop sending; the join reports it.
            self.tx = None;
        }
    }
}

/// A detector thread: scans batches until the tokenizer hangs up.
fn detect_batches(
    ctx: &Ctx,
    rx: &Mutex<Receiver<Batch>>,
    spent: &SyncSender<Batch>,
    registry: &Registry,
) -> SourceAcc {
    let mut rs = RecordScanner::new(ctx);
    let mut local: Vec<Option<usize>> = Vec::new();
    loop {
        let msg = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(mut b) = msg else { break };
        let mut start = 0;
        for &end in &b.row_ends {
            for &(fid, _, _) in &b.values[start..end] {
                if local.get(fid).copied().flatten().is_none() {
                    let reg = registry.read().unwrap_or_else(|e| e.into_inner());
                    let (name, header) = &reg[fid];
                    if local.len() <= fid {
                        local.resize(fid + 1, None);
                    }
                    local[fid] = Some(rs.field_labeled(name, header));
                }
            }
            let ids = &local;
            rs.record(
                b.values[start..end]
                    .iter()
                    .map(|&(fid, s, e)| (ids[fid].unwrap_or(0), &b.data[s..e])),
            );
            start = end;
        }
        b.data.clear();
        b.values.clear();
        b.row_ends.clear();
        // Back to the tokenizer for reuse; when it already holds enough spare ones, dropped.
        let _ = spent.try_send(b);
    }
    rs.finish()
}

/// Bytes at the start of a dump looked at to tell its encoding (the first statements are often
/// plain ASCII: the first Chinese value may come well after them).
pub const ENCODING_HEAD: usize = 1 << 20;

/// [`scan`] for a dump whose first bytes are `head` (`complete`: that is all of it), decoding
/// it on the way when it is not UTF-8: `mysqldump --default-character-set=gbk` writes GBK, and
/// Chinese names, addresses and column names are only read once decoded (identifiers are ASCII
/// and found either way). Also returns the encoding, for `sources[].encoding`.
pub fn scan_in_encoding<R: Read>(
    input: R,
    head: &[u8],
    complete: bool,
    dialect: Dialect,
    ctx: &Ctx,
) -> (SourceAcc, Option<String>, String) {
    let det = super::encoding::detect(head, complete);
    if det.is_utf8() || !det.encoding.is_ascii_compatible() {
        let (acc, err) = scan(input, dialect, ctx);
        return (acc, err, "utf-8".to_string());
    }
    // Invalid sequences become U+FFFD (the values around them are still scanned).
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(det.encoding))
        .build(input);
    let (acc, err) = scan(decoded, dialect, ctx);
    (acc, err, det.name())
}

/// Scans a dump read from `input`. Returns what was found and, when the dump is damaged or
/// could not be read to its end, a message saying where reading stopped.
///
/// The tokenizer runs on the calling thread and hands batches of rows to detector threads
/// through a bounded channel (memory stays at a few batches): detection, not tokenizing, is
/// what costs on PI-dense tables.
pub fn scan<R: Read>(input: R, dialect: Dialect, ctx: &Ctx) -> (SourceAcc, Option<String>) {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let (result, acc) = if workers < 2 {
        let mut rs = RecordScanner::new(ctx);
        let r = tokenize(input, dialect, &mut rs);
        (r, rs.finish())
    } else {
        let (tx, rx) = sync_channel::<Batch>(workers * 2);
        let rx = Mutex::new(rx);
        let (spent_tx, spent_rx) = sync_channel::<Batch>(workers * 2);
        let registry: Registry = Arc::default();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    let (rx, registry) = (&rx, &registry);
                    let spent = spent_tx.clone();
                    scope.spawn(move || detect_batches(ctx, rx, &spent, registry))
                })
                .collect();
            drop(spent_tx);
            let mut sink = Pipeline {
                registry: registry.clone(),
                names: Default::default(),
                batch: Batch::default(),
                tx: Some(tx),
                spent: spent_rx,
            };
            let mut r = tokenize(input, dialect, &mut sink);
            sink.flush();
            drop(sink);
            let mut acc = SourceAcc::default();
            for h in handles {
                match h.join() {
                    Ok(a) => acc.merge(a),
                    Err(p) => {
                        let m = format!(
                            "detector thread failed: {}",
                            super::parquet::panic_message(&p)
                        );
                        r = Err(match r {
                            Err(e) => format!("{e}; {m}"),
                            Ok(_) => m,
                        });
                    }
                }
            }
            (r, acc)
        })
    };
    match result {
        Ok(0) => (acc, None),
        Ok(n) => (
            acc,
            Some(format!(
                "{n} value(s) longer than {} MiB were scanned only in their first {} MiB",
                MAX_VALUE >> 20,
                MAX_VALUE >> 20
            )),
        ),
        Err(e) => (acc, Some(e)),
    }
}

// ---- the byte stream -------------------------------------------------------------------------

/// A buffered byte stream that knows the line and byte offset of every position.
struct Lexer<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// Newlines in the stream before `buf[counted]`: lines are counted lazily, when a position
    /// is asked for or bytes are discarded, so each byte is counted once.
    lines: Cell<u64>,
    counted: Cell<usize>,
    /// A position that an error message may need (where a value started), kept as a buffer
    /// index and turned into a [`Pos`] only when asked for or before its bytes are discarded:
    /// taking [`Lexer::here`] for every value counted lines in thousands of tiny pieces.
    mark: usize,
    mark_pos: Option<Pos>,
    eof: bool,
    error: Option<io::Error>,
}

/// A place in the dump, for messages.
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: u64,
    offset: u64,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} (byte offset {})", self.line, self.offset)
    }
}

impl<R: Read> Lexer<R> {
    fn new(r: R) -> Self {
        Lexer {
            r,
            buf: vec![0; BUF],
            pos: 0,
            end: 0,
            base: 0,
            lines: Cell::new(0),
            counted: Cell::new(0),
            mark: 0,
            mark_pos: None,
            eof: false,
            error: None,
        }
    }

    /// Discards consumed bytes and reads more; false at the end of the input.
    #[cold]
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.pos > 0 {
            if self.mark_pos.is_none() {
                self.mark_pos = Some(self.pos_at(self.mark));
            }
            self.count_lines();
            self.counted.set(0);
            self.base += self.pos as u64;
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            // Only lookahead (never a whole value) is kept across refills, so the buffer is
            // full only if a caller asked for more lookahead than it holds.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.r.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.end += n;
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    self.eof = true;
                    return false;
                }
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        if self.pos < self.end || self.fill() {
            Some(self.buf[self.pos])
        } else {
            None
        }
    }

    /// The byte after the next one.
    fn peek2(&mut self) -> Option<u8> {
        while self.end - self.pos < 2 {
            if !self.fill() {
                return None;
            }
        }
        Some(self.buf[self.pos + 1])
    }

    /// Makes up to `n` bytes available after the current position; returns them.
    fn lookahead(&mut self, n: usize) -> &[u8] {
        while self.end - self.pos < n && self.fill() {}
        let e = self.end.min(self.pos + n);
        &self.buf[self.pos..e]
    }

    #[inline]
    fn bump(&mut self) {
        self.pos += 1;
    }

    fn count_lines(&self) {
        let c = self.counted.get();
        if self.pos > c {
            let n = bytecount::count(&self.buf[c..self.pos], b'\n') as u64;
            self.lines.set(self.lines.get() + n);
            self.counted.set(self.pos);
        }
    }

    fn here(&self) -> Pos {
        self.count_lines();
        Pos {
            line: self.lines.get() + 1,
            offset: self.base + self.pos as u64,
        }
    }

    /// The position of buffer index `i`, which is still in the buffer.
    fn pos_at(&self, i: usize) -> Pos {
        let c = self.counted.get();
        let lines = if i >= c {
            self.lines.get() + bytecount::count(&self.buf[c..i], b'\n') as u64
        } else {
            self.lines.get() - bytecount::count(&self.buf[i..c], b'\n') as u64
        };
        Pos {
            line: lines + 1,
            offset: self.base + i as u64,
        }
    }

    /// Remembers the current position for [`Lexer::marked`] (one at a time).
    #[inline]
    fn mark(&mut self) {
        self.mark = self.pos;
        self.mark_pos = None;
    }

    /// The position last [`Lexer::mark`]ed.
    fn marked(&self) -> Pos {
        self.mark_pos.unwrap_or_else(|| self.pos_at(self.mark))
    }

    /// Consumes bytes up to and including the next newline (or to the end).
    fn skip_line(&mut self) {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.pos..self.end]) {
                self.pos += i + 1;
                return;
            }
            self.pos = self.end;
            if !self.fill() {
                return;
            }
        }
    }

    /// Appends the next line (without its `\n` or `\r\n`) to `out`, keeping at most `cap`
    /// bytes of it; false if the input ended before a newline (`out` then has the tail).
    fn read_line(&mut self, out: &mut Vec<u8>, cap: usize) -> bool {
        loop {
            let avail = &self.buf[self.pos..self.end];
            let (take, found) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            let room = cap.saturating_sub(out.len());
            out.extend_from_slice(&avail[..take.min(room)]);
            self.pos += take;
            if found {
                self.pos += 1;
                if out.last() == Some(&b'\r') {
                    out.pop();
                }
                return true;
            }
            if !self.fill() {
                return false;
            }
        }
    }
}

// ---- the dump --------------------------------------------------------------------------------

/// A table seen in the dump: its name as used in field names, its columns and their field ids.
struct Table {
    key: String,
    columns: Vec<String>,
    fids: Vec<usize>,
    /// The column list of the last `INSERT … (cols)` and its field ids: pg_dump
    /// `--column-inserts` repeats the same list in every statement.
    listed: Option<(Vec<String>, Vec<usize>)>,
}

struct Parser<'s, R, S> {
    lx: Lexer<R>,
    dialect: Dialect,
    /// Do backslashes escape in plain `'…'` strings?
    backslash: bool,
    delimiter: Vec<u8>,
    rs: &'s mut S,
    tables: Vec<Table>,
    /// The current row's values, back to back, and each value's (column, start, end).
    row: Vec<u8>,
    spans: Vec<(usize, usize, usize)>,
    /// The bare word being read (reused).
    word_buf: Vec<u8>,
    truncated_values: u64,
    /// The value being read hit [`MAX_VALUE`].
    value_full: bool,
}

type Res<T> = Result<T, String>;

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

impl<R: Read, S: RowSink> Parser<'_, R, S> {
    fn run(&mut self) -> Res<()> {
        loop {
            self.skip_trivia();
            let Some(b) = self.lx.peek() else { break };
            let start = self.lx.here();
            match b {
                b';' => self.lx.bump(),
                // psql meta-commands (`\connect db`, `\restrict key`) are whole lines.
                b'\\' => self.lx.skip_line(),
                _ if is_word(b) => {
                    let w = self.word().to_ascii_uppercase();
                    match w.as_str() {
                        "INSERT" | "REPLACE" => self.insert(start)?,
                        "COPY" => self.copy(start)?,
                        "CREATE" => self.create(start)?,
                        "SET" => self.set(start)?,
                        "DELIMITER" => self.delimiter_line(),
                        _ => self.skip_statement(start)?,
                    }
                }
                _ => self.skip_statement(start)?,
            }
        }
        self.io_result()
    }

    fn io_result(&self) -> Res<()> {
        match &self.lx.error {
            Some(e) => Err(format!("read error at {}: {e}", self.lx.here())),
            None => Ok(()),
        }
    }

    /// An error at the current position, keeping an I/O error (e.g. a truncated gzip stream)
    /// as the cause when there is one.
    fn fail(&self, what: String) -> String {
        match &self.lx.error {
            Some(e) => format!("{what}: the input could not be read further: {e}"),
            None => what,
        }
    }

    /// Skips blanks and comments.
    #[inline]
    fn skip_trivia(&mut self) {
        // Between the rows of an extended INSERT there is usually nothing to skip.
        if self.lx.pos < self.lx.end
            && !matches!(
                self.lx.buf[self.lx.pos],
                b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'-' | b'#' | b'/' | 0xEF
            )
        {
            return;
        }
        self.skip_trivia_slow();
    }

    fn skip_trivia_slow(&mut self) {
        while let Some(b) = self.lx.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0c => self.lx.bump(),
                b'-' if self.lx.peek2() == Some(b'-') => self.lx.skip_line(),
                b'#' if self.dialect == Dialect::MySql => self.lx.skip_line(),
                b'/' if self.lx.peek2() == Some(b'*') => {
                    self.lx.pos += 2;
                    self.skip_block_comment();
                }
                0xEF if self.lx.lookahead(3) == b"\xEF\xBB\xBF" => self.lx.pos += 3,
                _ => return,
            }
        }
    }

    fn skip_block_comment(&mut self) {
        loop {
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            if let Some(i) = memchr::memchr(b'*', avail) {
                self.lx.pos += i + 1;
                if self.lx.peek() == Some(b'/') {
                    self.lx.bump();
                    return;
                }
            } else {
                self.lx.pos = self.lx.end;
                if !self.lx.fill() {
                    return;
                }
            }
        }
    }

    /// A bare word (identifier or keyword).
    fn word(&mut self) -> String {
        let mut w = Vec::new();
        while let Some(b) = self.lx.peek() {
            if !is_word(b) {
                break;
            }
            w.push(b);
            self.lx.bump();
        }
        String::from_utf8_lossy(&w).into_owned()
    }

    /// Reads the keyword at the current position if it is `kw` (case-insensitive).
    fn keyword(&mut self, kw: &str) -> bool {
        self.skip_trivia();
        let n = kw.len();
        let la = self.lx.lookahead(n + 1);
        if la.len() >= n
            && la[..n].eq_ignore_ascii_case(kw.as_bytes())
            && la.get(n).is_none_or(|&b| !is_word(b))
        {
            self.lx.pos += n;
            return true;
        }
        false
    }

    /// One identifier: bare, `` `quoted` ``, `"quoted"` or `[quoted]`.
    fn ident(&mut self) -> Option<String> {
        self.skip_trivia();
        let close = match self.lx.peek()? {
            b'`' => b'`',
            b'"' => b'"',
            b'[' => b']',
            b if is_word(b) => return Some(self.word()),
            _ => return None,
        };
        self.lx.bump();
        let mut out = Vec::new();
        loop {
            let b = self.lx.peek()?;
            self.lx.bump();
            if b == close {
                // A doubled closing quote stands for itself.
                if close != b']' && self.lx.peek() == Some(close) {
                    self.lx.bump();
                    out.push(close);
                    continue;
                }
                break;
            }
            out.push(b);
            if out.len() > 4096 {
                return None;
            }
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    /// A possibly qualified name (`db.table`, `"public"."t"`), as its parts.
    fn name(&mut self) -> Option<Vec<String>> {
        let mut parts = vec![self.ident()?];
        loop {
            self.skip_trivia();
            if self.lx.peek() != Some(b'.') {
                return Some(parts);
            }
            self.lx.bump();
            parts.push(self.ident()?);
        }
    }

    /// `(a, b, c)`: a list of identifiers.
    fn column_list(&mut self) -> Option<Vec<String>> {
        self.skip_trivia();
        if self.lx.peek() != Some(b'(') {
            return None;
        }
        self.lx.bump();
        let mut cols = Vec::new();
        loop {
            cols.push(self.ident()?);
            self.skip_trivia();
            match self.lx.peek()? {
                b',' => self.lx.bump(),
                b')' => {
                    self.lx.bump();
                    return Some(cols);
                }
                _ => return None,
            }
        }
    }

    /// The table key used in field names: the name without a `public` schema.
    fn table_key(parts: &[String]) -> String {
        match parts {
            [schema, rest @ ..] if !rest.is_empty() && schema.eq_ignore_ascii_case("public") => {
                rest.join(".")
            }
            _ => parts.join("."),
        }
    }

    fn table_index(&mut self, key: &str) -> usize {
        if let Some(i) = self.tables.iter().position(|t| t.key == key) {
            return i;
        }
        self.tables.push(Table {
            key: key.to_string(),
            columns: Vec::new(),
            fids: Vec::new(),
            listed: None,
        });
        self.tables.len() - 1
    }

    /// Field ids for a statement's columns: the listed ones, else the table's known columns,
    /// else `table.column N`, registered as values come.
    fn statement_fids(&mut self, t: usize, listed: Option<&[String]>) -> Vec<usize> {
        let table = &self.tables[t];
        if let (Some(l), Some((cached, fids))) = (listed, &table.listed)
            && l == cached.as_slice()
        {
            return fids.clone();
        }
        let cols: Vec<String> = match listed {
            Some(c) => c.to_vec(),
            None => table.columns.clone(),
        };
        if listed.is_none() && !table.fids.is_empty() {
            return table.fids.clone();
        }
        let key = table.key.clone();
        let fids: Vec<usize> = cols
            .iter()
            .map(|c| self.rs.field(&format!("{key}.{c}"), c))
            .collect();
        match listed {
            None => self.tables[t].fids = fids.clone(),
            Some(l) => self.tables[t].listed = Some((l.to_vec(), fids.clone())),
        }
        fids
    }

    fn extra_fid(&mut self, t: usize, i: usize) -> usize {
        let key = &self.tables[t].key;
        let header = format!("column {}", i + 1);
        let name = format!("{key}.{header}");
        self.rs.field(&name, &header)
    }

    /// `SET standard_conforming_strings = off` turns on backslash escapes in PostgreSQL strings.
    fn set(&mut self, start: Pos) -> Res<()> {
        if self.dialect == Dialect::Postgres && self.keyword("standard_conforming_strings") {
            self.skip_trivia();
            if matches!(self.lx.peek(), Some(b'=')) {
                self.lx.bump();
            } else {
                self.keyword("TO");
            }
            self.skip_trivia();
            let quoted = self.lx.peek() == Some(b'\'');
            if quoted {
                self.lx.bump();
            }
            let v = self.word().to_ascii_lowercase();
            self.backslash = v == "off" || v == "false";
        }
        self.skip_statement(start)
    }

    /// `DELIMITER ;;` (mysql client): the rest of the line is the new statement terminator.
    fn delimiter_line(&mut self) {
        let mut line = Vec::new();
        self.lx.read_line(&mut line, 64);
        let d: Vec<u8> = line.trim_ascii().to_vec();
        if !d.is_empty() {
            self.delimiter = d;
        }
    }

    /// `CREATE [TEMPORARY|UNLOGGED|…] TABLE [IF NOT EXISTS] name (columns…)`.
    fn create(&mut self, start: Pos) -> Res<()> {
        loop {
            self.skip_trivia();
            match self.lx.peek() {
                Some(b) if is_word(b) => {}
                _ => return self.skip_statement(start),
            }
            let w = self.word().to_ascii_uppercase();
            match w.as_str() {
                "TABLE" => break,
                "TEMPORARY" | "TEMP" | "UNLOGGED" | "GLOBAL" | "LOCAL" | "OR" | "REPLACE" => {}
                _ => return self.skip_statement(start),
            }
        }
        if self.keyword("IF") {
            self.keyword("NOT");
            self.keyword("EXISTS");
        }
        let Some(parts) = self.name() else {
            return self.skip_statement(start);
        };
        self.skip_trivia();
        if self.lx.peek() != Some(b'(') {
            return self.skip_statement(start);
        }
        self.lx.bump();
        let mut columns = Vec::new();
        loop {
            self.skip_trivia();
            let quoted = matches!(self.lx.peek(), Some(b'`' | b'"' | b'['));
            if let Some(id) = self.ident() {
                const NOT_COLUMNS: &[&str] = &[
                    "CONSTRAINT",
                    "PRIMARY",
                    "UNIQUE",
                    "FOREIGN",
                    "CHECK",
                    "FULLTEXT",
                    "SPATIAL",
                    "EXCLUDE",
                    "LIKE",
                    "PERIOD",
                ];
                let upper = id.to_ascii_uppercase();
                let index = matches!(upper.as_str(), "KEY" | "INDEX")
                    && looks_like_index(self.lx.lookahead(512));
                if quoted || !(NOT_COLUMNS.contains(&upper.as_str()) || index) {
                    columns.push(id);
                }
            }
            match self.skip_expr()? {
                Some(b',') => self.lx.bump(),
                Some(b')') => {
                    self.lx.bump();
                    break;
                }
                _ => {
                    return Err(self.fail(format!(
                        "CREATE TABLE starting at {start} is not terminated (stopped at {})",
                        self.lx.here()
                    )));
                }
            }
        }
        let key = Self::table_key(&parts);
        let t = self.table_index(&key);
        self.tables[t].columns = columns;
        self.tables[t].fids.clear();
        self.skip_statement(start)
    }

    /// Skips an expression up to a top-level `,`, `)` or statement end, which is left unread
    /// and returned (`None` at the end of the input).
    fn skip_expr(&mut self) -> Res<Option<u8>> {
        let mut depth = 0usize;
        loop {
            self.skip_trivia();
            let Some(b) = self.lx.peek() else {
                return Ok(None);
            };
            match b {
                b'(' => depth += 1,
                b')' if depth == 0 => return Ok(Some(b)),
                b')' => depth -= 1,
                b',' if depth == 0 => return Ok(Some(b)),
                b';' if depth == 0 => return Ok(Some(b)),
                b'\'' | b'"' | b'`' => {
                    let at = self.lx.here();
                    if !self.skip_quoted(b) {
                        return Err(self.unterminated(at, "quoted text"));
                    }
                    continue;
                }
                b'$' if self.dialect == Dialect::Postgres => {
                    let at = self.lx.here();
                    if !self.skip_dollar() {
                        return Err(self.unterminated(at, "dollar-quoted text"));
                    }
                    continue;
                }
                _ => {}
            }
            self.lx.bump();
        }
    }

    fn unterminated(&self, at: Pos, what: &str) -> String {
        self.fail(format!(
            "unterminated {what} starting at {at}: the dump ends at {} inside it",
            self.lx.here()
        ))
    }

    /// Skips to the end of the current statement (its terminator included).
    fn skip_statement(&mut self, start: Pos) -> Res<()> {
        if self.delimiter != b";" {
            return self.skip_to_delimiter(start);
        }
        loop {
            match self.skip_expr()? {
                Some(b';') => {
                    self.lx.bump();
                    return Ok(());
                }
                Some(_) => self.lx.bump(),
                None => return Ok(()),
            }
        }
    }

    /// After `DELIMITER ;;`: skips to the custom terminator, quote-aware.
    fn skip_to_delimiter(&mut self, _start: Pos) -> Res<()> {
        let d = self.delimiter.clone();
        loop {
            let Some(b) = self.lx.peek() else {
                return Ok(());
            };
            if b == d[0] && self.lx.lookahead(d.len()) == d.as_slice() {
                self.lx.pos += d.len();
                return Ok(());
            }
            match b {
                b'\'' | b'"' | b'`' => {
                    let at = self.lx.here();
                    if !self.skip_quoted(b) {
                        return Err(self.unterminated(at, "quoted text"));
                    }
                }
                b'-' if self.lx.peek2() == Some(b'-') => self.lx.skip_line(),
                b'/' if self.lx.peek2() == Some(b'*') => {
                    self.lx.pos += 2;
                    self.skip_block_comment();
                }
                _ => self.lx.bump(),
            }
        }
    }

    /// Skips a quoted string or identifier opening at the current byte `q`; false if the input
    /// ends inside it.
    fn skip_quoted(&mut self, q: u8) -> bool {
        let backslash = q != b'`' && self.backslash;
        self.lx.bump();
        loop {
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            let hit = if backslash {
                memchr::memchr2(q, b'\\', avail)
            } else {
                memchr::memchr(q, avail)
            };
            match hit {
                Some(i) => {
                    let b = avail[i];
                    self.lx.pos += i + 1;
                    if b == b'\\' {
                        if self.lx.peek().is_none() {
                            return false;
                        }
                        self.lx.bump();
                    } else if self.lx.peek() == Some(q) {
                        self.lx.bump();
                    } else {
                        return true;
                    }
                }
                None => {
                    self.lx.pos = self.lx.end;
                    if !self.lx.fill() {
                        return false;
                    }
                }
            }
        }
    }

    /// Skips `$tag$ … $tag$` at the current `$`; a `$` that does not open one (`$1`) is just
    /// stepped over. False if the input ends inside the quoted text.
    fn skip_dollar(&mut self) -> bool {
        let la = self.lx.lookahead(256);
        let tag_len = la[1..]
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80));
        let opener = match tag_len {
            Some(n)
                if la.get(1 + n) == Some(&b'$') && !la.get(1).is_some_and(u8::is_ascii_digit) =>
            {
                la[..n + 2].to_vec()
            }
            _ => {
                self.lx.bump();
                return true;
            }
        };
        self.lx.pos += opener.len();
        loop {
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            match memchr::memchr(b'$', avail) {
                Some(i) => {
                    self.lx.pos += i;
                    if self.lx.lookahead(opener.len()) == opener.as_slice() {
                        self.lx.pos += opener.len();
                        return true;
                    }
                    self.lx.bump();
                }
                None => {
                    self.lx.pos = self.lx.end;
                    if !self.lx.fill() {
                        return false;
                    }
                }
            }
        }
    }

    /// `INSERT [IGNORE] [INTO] name [(cols)] VALUES (…), (…) [ON …];`
    fn insert(&mut self, start: Pos) -> Res<()> {
        for kw in ["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE"] {
            self.keyword(kw);
        }
        self.keyword("INTO");
        let Some(parts) = self.name() else {
            return self.skip_statement(start);
        };
        let key = Self::table_key(&parts);
        let t = self.table_index(&key);
        let listed = self.column_list();
        if !self.keyword("VALUES") && !self.keyword("VALUE") {
            // INSERT … SELECT, INSERT … SET, DEFAULT VALUES: no literal rows.
            return self.skip_statement(start);
        }
        let mut fids = self.statement_fids(t, listed.as_deref());
        let mut rows = 0u64;
        loop {
            self.skip_trivia();
            match self.lx.peek() {
                Some(b'(') => {
                    self.lx.bump();
                    self.tuple(&key, rows, start)?;
                    self.emit_row(t, &mut fids);
                    rows += 1;
                }
                Some(_) => {
                    return Err(self.fail(format!(
                        "INSERT INTO {key} starting at {start}: expected a row `(…)` at {}",
                        self.lx.here()
                    )));
                }
                None => {
                    return Err(self.fail(format!(
                        "INSERT INTO {key} starting at {start} is cut off: the dump ends at {} \
                         after {rows} row(s) of it",
                        self.lx.here()
                    )));
                }
            }
            self.skip_trivia();
            match self.lx.peek() {
                Some(b',') => self.lx.bump(),
                // `;`, a custom delimiter, or `ON DUPLICATE KEY …` / `ON CONFLICT …` / `RETURNING`.
                Some(_) => return self.skip_statement(start),
                None => return Ok(()),
            }
        }
    }

    /// Reads the values of one tuple, after its `(`, into `row`/`spans`, up to its `)`.
    fn tuple(&mut self, table: &str, row_no: u64, start: Pos) -> Res<()> {
        self.row.clear();
        self.spans.clear();
        let mut col = 0usize;
        let mut depth = 0usize;
        let mut value_start = 0usize;
        loop {
            let Some(b) = self.lx.peek() else {
                return Err(self.fail(format!(
                    "INSERT INTO {table} starting at {start} is cut off inside row {} of it: the \
                     dump ends at {}",
                    row_no + 1,
                    self.lx.here()
                )));
            };
            match b {
                b'\'' => {
                    self.lx.mark();
                    let backslash = self.backslash;
                    self.lx.bump();
                    if !self.string(b'\'', backslash) {
                        return Err(self.unterminated_value(table, row_no));
                    }
                    // A value is usually followed by its `,` or the row's `)`: taken here,
                    // without another trip through this match.
                    if depth == 0 && self.lx.pos < self.lx.end {
                        match self.lx.buf[self.lx.pos] {
                            b',' => {
                                self.lx.bump();
                                self.close_value(col, value_start);
                                col += 1;
                                value_start = self.row.len();
                            }
                            b')' => {
                                self.lx.bump();
                                self.close_value(col, value_start);
                                return Ok(());
                            }
                            _ => {}
                        }
                    }
                }
                b'"' if self.dialect == Dialect::MySql => {
                    self.lx.mark();
                    self.lx.bump();
                    if !self.string(b'"', true) {
                        return Err(self.unterminated_value(table, row_no));
                    }
                }
                b',' if depth == 0 => {
                    self.lx.bump();
                    self.close_value(col, value_start);
                    col += 1;
                    value_start = self.row.len();
                }
                b')' if depth == 0 => {
                    self.lx.bump();
                    self.close_value(col, value_start);
                    return Ok(());
                }
                b'(' => {
                    depth += 1;
                    self.lx.bump();
                }
                b')' => {
                    depth -= 1;
                    self.lx.bump();
                }
                b'0' if matches!(self.lx.peek2(), Some(b'x' | b'X')) => {
                    self.lx.pos += 2;
                    self.hex_digits(None);
                }
                b'-' if self.lx.peek2() == Some(b'-') => self.lx.skip_line(),
                b'/' if self.lx.peek2() == Some(b'*') => {
                    self.lx.pos += 2;
                    self.skip_block_comment();
                }
                b':' if self.lx.peek2() == Some(b':') => {
                    // PostgreSQL cast `'…'::type`: the type name is not data.
                    self.lx.pos += 2;
                    self.skip_trivia();
                    self.word();
                }
                b' ' | b'\t' | b'\n' | b'\r' => self.lx.bump(),
                _ if is_word(b) || b == b'-' || b == b'+' || b == b'.' => {
                    self.lx.mark();
                    self.bare(table, row_no)?;
                }
                _ => self.lx.bump(),
            }
        }
    }

    /// An unterminated string in a row, which started at the [`Lexer::mark`]ed position.
    fn unterminated_value(&self, table: &str, row_no: u64) -> String {
        let at = self.lx.marked();
        self.fail(format!(
            "unterminated string in row {} of INSERT INTO {table}, starting at {at}: the dump \
             ends at {} inside it",
            row_no + 1,
            self.lx.here()
        ))
    }

    /// A bare token in a tuple: a number, `NULL`, or a word that introduces a literal
    /// (`N'…'`, `_binary'…'`, `E'…'`, `X'…'`, `B'…'`).
    fn bare(&mut self, table: &str, row_no: u64) -> Res<()> {
        // The word goes through a reused buffer: numbers are most of a dump's bare tokens.
        let mut w = std::mem::take(&mut self.word_buf);
        self.word_or_number(&mut w);
        let r = self.bare_word(&w, table, row_no);
        self.word_buf = w;
        r
    }

    fn bare_word(&mut self, w: &[u8], table: &str, row_no: u64) -> Res<()> {
        // An introducer may be separated from its literal by blanks (`_binary '…'`).
        let introducer = w.starts_with(b"_")
            || matches!(w, b"N" | b"n" | b"E" | b"e" | b"X" | b"x" | b"B" | b"b");
        if introducer {
            while matches!(self.lx.peek(), Some(b' ' | b'\t')) {
                self.lx.bump();
            }
        }
        if self.lx.peek() == Some(b'\'') && introducer {
            self.lx.bump();
            let ok = match w {
                b"X" | b"x" => self.hex_digits(Some(b'\'')),
                b"B" | b"b" => self.skip_quoted_rest(b'\''),
                b"E" | b"e" => self.string(b'\'', true),
                _ => self.string(b'\'', self.backslash),
            };
            if !ok {
                return Err(self.unterminated_value(table, row_no));
            }
            return Ok(());
        }
        let keyword = |k: &[u8]| w.eq_ignore_ascii_case(k);
        if !(keyword(b"NULL") || keyword(b"DEFAULT") || keyword(b"TRUE") || keyword(b"FALSE")) {
            // A word cut inside a character (at 257 bytes) is kept as valid UTF-8.
            match std::str::from_utf8(w) {
                Ok(_) => self.push_value_bytes(w),
                Err(_) => self.push_value_bytes(String::from_utf8_lossy(w).as_bytes()),
            }
        }
        Ok(())
    }

    /// A word or number (digits, signs, dots, exponents) into `w`, at most 257 bytes of it.
    fn word_or_number(&mut self, w: &mut Vec<u8>) {
        w.clear();
        loop {
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            let mut i = 0;
            while i < avail.len() {
                let b = avail[i];
                let sign = (b == b'-' || b == b'+') && w.len() + i == 0;
                if !(is_word(b) || b == b'.' || sign) {
                    break;
                }
                i += 1;
                if w.len() + i > 256 {
                    break;
                }
            }
            w.extend_from_slice(&avail[..i]);
            self.lx.pos += i;
            if i < avail.len() || w.len() > 256 || !self.lx.fill() {
                return;
            }
        }
    }

    /// Skips the rest of a quoted literal whose opening quote was read.
    fn skip_quoted_rest(&mut self, q: u8) -> bool {
        loop {
            match self.lx.peek() {
                None => return false,
                Some(b) if b == q => {
                    self.lx.bump();
                    return true;
                }
                Some(_) => self.lx.bump(),
            }
        }
    }

    /// Hex digits decoded to bytes into the current value; stops at the first non-hex byte, which
    /// must be `close` when given (consumed). False if `close` was expected but not found.
    fn hex_digits(&mut self, close: Option<u8>) -> bool {
        let mut hi: Option<u8> = None;
        loop {
            if self.lx.pos == self.lx.end && !self.lx.fill() {
                return close.is_none();
            }
            // Decode the run in the buffer at once.
            let mut room = MAX_VALUE.saturating_sub(self.row.len() - self.current_value_start());
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            let mut i = 0;
            while i < avail.len() {
                let Some(v) = hex_value(avail[i]) else { break };
                i += 1;
                match hi.take() {
                    Some(h) if room > 0 => {
                        self.row.push(h << 4 | v);
                        room -= 1;
                    }
                    Some(_) => self.value_full = true,
                    None => hi = Some(v),
                }
            }
            self.lx.pos += i;
            if i < avail.len() {
                let b = avail[i];
                if close == Some(b) {
                    self.lx.bump();
                    return true;
                }
                return close.is_none();
            }
        }
    }

    fn push_value_bytes(&mut self, bytes: &[u8]) {
        let room = MAX_VALUE.saturating_sub(self.row.len() - self.current_value_start());
        if bytes.len() > room {
            self.row.extend_from_slice(&bytes[..room]);
            self.mark_truncated();
        } else {
            self.row.extend_from_slice(bytes);
        }
    }

    fn current_value_start(&self) -> usize {
        self.spans.last().map_or(0, |s| s.2)
    }

    fn mark_truncated(&mut self) {
        self.value_full = true;
    }

    /// Reads a string whose opening quote `q` was consumed, decoding escapes into the current
    /// value. False if the input ends inside it.
    fn string(&mut self, q: u8, backslash: bool) -> bool {
        loop {
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            let hit = if backslash {
                memchr::memchr2(q, b'\\', avail)
            } else {
                memchr::memchr(q, avail)
            };
            let take = hit.unwrap_or(avail.len());
            // Copy the run before the quote/backslash, within the value's limit.
            let room = MAX_VALUE.saturating_sub(self.row.len() - self.current_value_start());
            let n = take.min(room);
            self.row
                .extend_from_slice(&self.lx.buf[self.lx.pos..self.lx.pos + n]);
            if n < take {
                self.mark_truncated();
            }
            self.lx.pos += take;
            if hit.is_none() {
                if !self.lx.fill() {
                    return false;
                }
                continue;
            }
            let b = self.lx.buf[self.lx.pos];
            self.lx.bump();
            if b == q {
                if self.lx.peek() == Some(q) {
                    self.lx.bump();
                    self.push_value_bytes(&[q]);
                    continue;
                }
                return true;
            }
            // Backslash escape.
            let Some(e) = self.lx.peek() else {
                return false;
            };
            self.lx.bump();
            let out = match e {
                b'0' => 0,
                b'b' => 8,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'Z' => 26,
                b'f' => 12,
                b'v' => 11,
                // `\%` and `\_` keep their backslash in MySQL; other escapes are the byte itself.
                b'%' | b'_' if self.dialect == Dialect::MySql => {
                    self.push_value_bytes(b"\\");
                    e
                }
                other => other,
            };
            self.push_value_bytes(&[out]);
        }
    }

    fn close_value(&mut self, col: usize, start: usize) {
        self.spans.push((col, start, self.row.len()));
        if std::mem::take(&mut self.value_full) {
            self.truncated_values += 1;
        }
    }

    /// Hands the current row to the detectors as one record.
    fn emit_row(&mut self, t: usize, fids: &mut Vec<usize>) {
        // Rows wider than the known columns get `table.column N` fields.
        while fids.len() < self.spans.len() {
            let col = fids.len();
            fids.push(self.extra_fid(t, col));
        }
        self.rs.row_spans(
            &self.row,
            self.spans.iter().map(|&(col, s, e)| (fids[col], s, e)),
        );
    }

    /// `COPY name [(cols)] FROM stdin;` and its data lines up to `\.`.
    fn copy(&mut self, start: Pos) -> Res<()> {
        let Some(parts) = self.name() else {
            return self.skip_statement(start);
        };
        let key = Self::table_key(&parts);
        let listed = self.column_list();
        if !self.keyword("FROM") || !self.keyword("stdin") {
            // COPY … TO, or FROM a server-side file: no data in the dump.
            return self.skip_statement(start);
        }
        // Options (`WITH (FORMAT csv)`) are rare in dumps; pg_dump always writes text format.
        let mut rest = Vec::new();
        self.lx.read_line(&mut rest, 4096);
        let csv = String::from_utf8_lossy(&rest)
            .to_ascii_lowercase()
            .contains("csv");
        let t = self.table_index(&key);
        let mut fids = self.statement_fids(t, listed.as_deref());
        let mut line = Vec::new();
        let mut rows = 0u64;
        loop {
            // A line that is whole in the buffer is split from there, without copying it first.
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            if let Some(i) = memchr::memchr(b'\n', avail)
                && i <= MAX_VALUE
            {
                let l = &avail[..i];
                let l = l.strip_suffix(b"\r").unwrap_or(l);
                if l == b"\\." {
                    self.lx.pos += i + 1;
                    return Ok(());
                }
                split_copy_line(l, csv, &mut self.row, &mut self.spans);
                self.lx.pos += i + 1;
                self.emit_row(t, &mut fids);
                rows += 1;
                continue;
            }
            line.clear();
            let complete = self.lx.read_line(&mut line, MAX_VALUE);
            if complete && line == b"\\." {
                return Ok(());
            }
            if !complete && line.is_empty() {
                return Err(self.fail(format!(
                    "COPY {key} starting at {start} has no end marker `\\.`: the dump ends at {} \
                     after {rows} row(s) of it",
                    self.lx.here()
                )));
            }
            if !complete && line == b"\\." {
                return Ok(());
            }
            split_copy_line(&line, csv, &mut self.row, &mut self.spans);
            self.emit_row(t, &mut fids);
            rows += 1;
            if !complete {
                return Err(self.fail(format!(
                    "COPY {key} starting at {start} has no end marker `\\.`: the dump ends at {} \
                     in row {rows} of it (rows before it were scanned)",
                    self.lx.here()
                )));
            }
        }
    }
}

/// Splits a COPY text-format line into values (into `row`, each value's (column, start, end)
/// into `spans`), decoding `\N` and backslash escapes.
fn split_copy_line(
    line: &[u8],
    csv: bool,
    row: &mut Vec<u8>,
    spans: &mut Vec<(usize, usize, usize)>,
) {
    row.clear();
    spans.clear();
    if csv {
        for (col, field) in line.split(|&b| b == b',').enumerate() {
            let start = row.len();
            if field != b"\\N" {
                let f = field
                    .strip_prefix(b"\"")
                    .and_then(|f| f.strip_suffix(b"\""))
                    .unwrap_or(field);
                row.extend_from_slice(f);
            }
            spans.push((col, start, row.len()));
        }
        return;
    }
    // Every tab ends a field (an escaped tab is written `\t`); a backslash anywhere in a field
    // means it has escapes to decode.
    let mut col = 0;
    let mut from = 0;
    let mut escaped = false;
    for i in memchr::memchr2_iter(b'\t', b'\\', line) {
        if line[i] == b'\\' {
            escaped = true;
            continue;
        }
        copy_field(&line[from..i], escaped, col, row, spans);
        col += 1;
        from = i + 1;
        escaped = false;
    }
    copy_field(&line[from..], escaped, col, row, spans);
}

/// One field of a COPY text-format line (`escaped`: it holds a backslash).
#[inline]
fn copy_field(
    field: &[u8],
    escaped: bool,
    col: usize,
    row: &mut Vec<u8>,
    spans: &mut Vec<(usize, usize, usize)>,
) {
    let start = row.len();
    if escaped {
        if field != b"\\N" {
            unescape_copy(field, row);
        }
    } else {
        row.extend_from_slice(field);
    }
    spans.push((col, start, row.len()));
}

/// After a `KEY` / `INDEX` at the start of a CREATE TABLE element: is it an index definition
/// (`KEY (a)`, `KEY name (a)`, `KEY name USING btree (a)`) rather than a column named `key`?
fn looks_like_index(la: &[u8]) -> bool {
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < la.len() && la[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if la.get(i) == Some(&b'(') {
        return true;
    }
    // An index name, quoted or bare.
    match la.get(i) {
        Some(b'`' | b'"') => {
            let q = la[i];
            i += 1;
            while i < la.len() && la[i] != q {
                i += 1;
            }
            i += 1;
        }
        _ => {
            while i < la.len() && is_word(la[i]) {
                i += 1;
            }
        }
    }
    skip_ws(&mut i);
    if la.get(i) == Some(&b'(') {
        // `key varchar(3)`: a type's parentheses hold a length, an index's hold column names.
        i += 1;
        skip_ws(&mut i);
        return !la.get(i).is_some_and(u8::is_ascii_digit);
    }
    la[i.min(la.len())..]
        .to_ascii_uppercase()
        .starts_with(b"USING")
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// COPY text format escapes: `\b \f \n \r \t \v`, `\ooo` octal, `\xhh` hex, else the byte itself.
fn unescape_copy(field: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < field.len() {
        // The run up to the next backslash as it is.
        let Some(k) = memchr::memchr(b'\\', &field[i..]) else {
            out.extend_from_slice(&field[i..]);
            return;
        };
        out.extend_from_slice(&field[i..i + k]);
        i += k;
        if i + 1 == field.len() {
            out.push(b'\\');
            return;
        }
        let e = field[i + 1];
        i += 2;
        match e {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                let mut k = 0;
                while k < 2 && i < field.len() && (b'0'..=b'7').contains(&field[i]) {
                    v = v * 8 + u32::from(field[i] - b'0');
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            b'x' => {
                let mut v = 0u32;
                let mut k = 0;
                while k < 2 && i < field.len() && field[i].is_ascii_hexdigit() {
                    v = v * 16 + (field[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects rows as (field name, value) pairs.
    #[derive(Default)]
    struct Rows {
        names: Vec<String>,
        rows: Vec<Vec<(String, Vec<u8>)>>,
    }

    impl RowSink for Rows {
        fn field(&mut self, name: &str, _header: &str) -> usize {
            self.names.push(name.to_string());
            self.names.len() - 1
        }
        fn row<'v>(&mut self, values: impl Iterator<Item = (usize, &'v [u8])>) {
            let r = values
                .map(|(f, v)| (self.names[f].clone(), v.to_vec()))
                .collect();
            self.rows.push(r);
        }
    }

    /// Each row's (field, value) pairs.
    type Table = Vec<Vec<(String, String)>>;

    fn rows(dump: &str, dialect: Dialect) -> (Table, Result<u64, String>) {
        rows_from(dump.as_bytes(), dialect)
    }

    /// The rows tokenized from `input`, values as text.
    fn rows_from(input: impl Read, dialect: Dialect) -> (Table, Result<u64, String>) {
        let mut sink = Rows::default();
        let r = tokenize(input, dialect, &mut sink);
        let rows = sink
            .rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned()))
                    .collect()
            })
            .collect();
        (rows, r)
    }

    fn pair(n: &str, v: &str) -> (String, String) {
        (n.to_string(), v.to_string())
    }

    #[test]
    fn copy_text_format_escapes_and_nulls() {
        let dump = "COPY public.t (a, b, c) FROM stdin;\nx\\ty\t\\N\t\\101\\x42\\\\\n\\.\n";
        let (r, res) = rows(dump, Dialect::Postgres);
        assert_eq!(res, Ok(0));
        assert_eq!(r, vec![vec![pair("t.a", "x\ty"), pair("t.c", "AB\\")]]);
    }

    #[test]
    fn postgres_strings_follow_standard_conforming_strings() {
        let dump = "CREATE TABLE t (a text);\nINSERT INTO t VALUES ('a\\nb'), (E'a\\nb');\n\
                    SET standard_conforming_strings = off;\nINSERT INTO t VALUES ('a\\nb');\n";
        let (r, _) = rows(dump, Dialect::Postgres);
        let vals: Vec<&str> = r.iter().map(|row| row[0].1.as_str()).collect();
        assert_eq!(vals, ["a\\nb", "a\nb", "a\nb"]);
    }

    #[test]
    fn dollar_quoted_bodies_and_comments_hide_their_inserts() {
        let dump = "CREATE FUNCTION f() RETURNS void AS $body$ INSERT INTO t VALUES ('no'); $body$;\n\
                    /* INSERT INTO t VALUES ('no'); */ -- INSERT INTO t VALUES ('no');\n\
                    INSERT INTO t VALUES ('yes', $$dollar$$, 'x'::text);\n";
        let (r, res) = rows(dump, Dialect::Postgres);
        assert_eq!(res, Ok(0));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0][0], pair("t.column 1", "yes"));
        assert_eq!(r[0][2], pair("t.column 3", "x"));
    }

    #[test]
    fn create_table_names_columns_but_not_keys() {
        let dump = "CREATE TABLE `u` (`id` int, key varchar(3), `name` text, PRIMARY KEY (`id`), \
                    KEY `k` (`name`), UNIQUE KEY `u1` (`key`), CONSTRAINT `c` CHECK (id > 0));\n\
                    INSERT INTO `u` VALUES (1,'k','n');\n";
        let (r, _) = rows(dump, Dialect::MySql);
        let names: Vec<&str> = r[0].iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["u.id", "u.key", "u.name"]);
    }

    /// Hands out its bytes a few at a time, so that values, lines and words straddle the
    /// tokenizer's buffer refills.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn trickled(dump: &str, dialect: Dialect, step: usize) -> (Table, Result<u64, String>) {
        rows_from(Trickle(dump.as_bytes(), step), dialect)
    }

    #[test]
    fn values_read_across_buffer_refills_are_the_same() {
        let mysql = "CREATE TABLE `t` (`a` int, `b` text, `c` blob, `d` text);\n\
                     INSERT INTO `t` VALUES (-12.5e3,'It\\'s ''x''\\n',0x41424344,_binary 'q'),\
                     (NULL,\"dq\\\\\",X'4546',N'名字'),(7 , 'a' , DEFAULT, 'b');\n";
        let (whole, res) = rows(mysql, Dialect::MySql);
        assert_eq!(res, Ok(0));
        assert_eq!(
            whole[0],
            vec![
                pair("t.a", "-12.5e3"),
                pair("t.b", "It's 'x'\n"),
                pair("t.c", "ABCD"),
                pair("t.d", "q")
            ]
        );
        assert_eq!(
            whole[1],
            vec![pair("t.b", "dq\\"), pair("t.c", "EF"), pair("t.d", "名字")]
        );
        assert_eq!(
            whole[2],
            vec![pair("t.a", "7"), pair("t.b", "a"), pair("t.d", "b")]
        );
        let pg = "COPY public.t (a, b, c) FROM stdin;\n1\tx\\ty\\101\t\\N\r\n2\t\\\\\tz\n\\.\n\
                  COPY t2 (a) FROM stdin WITH (FORMAT csv);\n\"q\",\\N\n\\.\n";
        let (pg_whole, res) = rows(pg, Dialect::Postgres);
        assert_eq!(res, Ok(0));
        assert_eq!(
            pg_whole,
            vec![
                vec![pair("t.a", "1"), pair("t.b", "x\tyA")],
                vec![pair("t.a", "2"), pair("t.b", "\\"), pair("t.c", "z")],
                vec![pair("t2.a", "q")],
            ]
        );
        for step in [1, 2, 3, 7] {
            assert_eq!(
                trickled(mysql, Dialect::MySql, step),
                (whole.clone(), Ok(0))
            );
            assert_eq!(
                trickled(pg, Dialect::Postgres, step),
                (pg_whole.clone(), Ok(0))
            );
        }
    }

    #[test]
    fn an_unterminated_string_longer_than_the_buffer_says_where_it_started() {
        // The string's start leaves the buffer before the end of the dump is found.
        let dump = format!(
            "-- a\n-- b\nINSERT INTO `t` VALUES (1,'ok'),\n(2, 'open{}",
            "x\n".repeat(BUF)
        );
        let (r, res) = rows(&dump, Dialect::MySql);
        assert_eq!(r.len(), 1);
        let e = res.unwrap_err();
        let at = dump.find("'open").unwrap();
        assert!(
            e.contains(&format!("starting at line 4 (byte offset {at})")),
            "{e}"
        );
    }

    #[test]
    fn a_cut_row_is_reported_with_its_position() {
        let dump = "INSERT INTO `t` VALUES (1,'a'),\n(2,'b'";
        let (r, res) = rows(dump, Dialect::MySql);
        assert_eq!(r.len(), 1);
        let e = res.unwrap_err();
        assert!(
            e.contains("cut off inside row 2") && e.contains("line 2"),
            "{e}"
        );
    }
}
