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

use std::io::Read;
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};

use super::Ctx;
use super::records::RecordScanner;
use crate::inventory::SourceAcc;

mod binary_dump;
mod copy;
mod lexer;
mod parser;
mod sink;

pub use binary_dump::binary_dump_message;
pub use sink::RowSink;

use lexer::Lexer;
use parser::Parser;
use sink::{Batch, Pipeline, Registry, detect_batches};

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
    // First the cheap test that rejects almost every file: the markers below are searched over
    // the whole head (measured: a third of the sniffing of a share of small files).
    if !named_sql && !starts_like_sql(head) {
        return None;
    }
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
    let mut in_block = false;
    // Line by line, decoded as it goes: the answer is usually in the first line, and the head
    // is up to 64 KiB.
    for line in head.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

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
