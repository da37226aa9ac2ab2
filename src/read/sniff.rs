//! Content sniffing for the columnar, database, compressed and archive formats.
//!
//! Formats are recognised by their bytes — a Parquet file renamed `.dat`, a SQLite database
//! called `app.db` or with no extension, a `.sql` dump without its suffix. A name never lies about
//! a format: a `.parquet` without `PAR1` is read as what it is, with a note that it claimed to be
//! Parquet ([`super::format::check_claim`]). Names only break ties the bytes leave open (a text
//! named `.sql` is tried as a dump, a zip named `.xlsx` is left to the spreadsheet reader).

use std::path::Path;

pub use super::sqldump::Dialect;
use super::{parquet, sqldump, sqlite};

/// A stream compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
        }
    }
}

/// What a file (or archive member) is, as far as this module's readers are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Parquet,
    Sqlite,
    SqlDump(Dialect),
    /// A binary database dump that cannot be read; the message says how to make a plain one.
    BinaryDump(String),
    Compressed(Codec),
    Zip,
    Tar,
}

impl Kind {
    /// The format a file of this kind is read as (`sources[].format` for most).
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Parquet => "parquet",
            Kind::Sqlite => "sqlite",
            Kind::SqlDump(d) => d.format(),
            Kind::BinaryDump(_) => "binary_dump",
            Kind::Compressed(c) => c.name(),
            Kind::Zip => "zip",
            Kind::Tar => "tar",
        }
    }
}

/// Bytes that [`kind`] wants to see: enough for a tar header and a SQL dump's preamble.
pub const HEAD_LEN: usize = sqldump::SNIFF_LEN;

fn ext_of(name: &str) -> String {
    Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Zip-based office documents (xlsx, docx, ods…) are read by the spreadsheet readers, not as
/// archives.
const OFFICE_EXTS: &[&str] = &[
    "xlsx", "xlsm", "xlsb", "xltx", "xltm", "docx", "docm", "pptx", "ods", "odt", "odp", "jar",
    "apk", "epub",
];

/// Recognises `head` (the first [`HEAD_LEN`] bytes, or all of a shorter file) of a file named
/// `name`. `None`: not one of these formats.
pub fn kind(name: &str, head: &[u8]) -> Option<Kind> {
    let ext = ext_of(name);
    // By content only: a `.parquet` or `.sqlite` without its magic is not one, and is read as
    // what it is with a note (see [`super::format::check_claim`]).
    if parquet::sniff(head) {
        return Some(Kind::Parquet);
    }
    if sqlite::sniff(head) {
        return Some(Kind::Sqlite);
    }
    if let Some(m) = sqldump::binary_dump_message(head) {
        return Some(Kind::BinaryDump(m));
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Some(Kind::Compressed(Codec::Gzip));
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Some(Kind::Compressed(Codec::Zstd));
    }
    if head.starts_with(b"BZh") && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b)) {
        return Some(Kind::Compressed(Codec::Bzip2));
    }
    if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        return Some(Kind::Compressed(Codec::Xz));
    }
    if (head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06"))
        && !OFFICE_EXTS.contains(&ext.as_str())
        && !is_office_zip(head)
    {
        return Some(Kind::Zip);
    }
    // A ustar header anywhere; an old v7 header (no magic, only a checksum) in a `.tar`.
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        return Some(Kind::Tar);
    }
    if ext == "tar" && super::format::is_tar_header(head) {
        return Some(Kind::Tar);
    }
    let text_head = !head[..head.len().min(8192)].contains(&0);
    if text_head && let Some(d) = sqldump::sniff(head, ext == "sql") {
        return Some(Kind::SqlDump(d));
    }
    None
}

/// An OOXML or OpenDocument file starts with `[Content_Types].xml` or `mimetype` as its first
/// member, whatever it is named.
fn is_office_zip(head: &[u8]) -> bool {
    if head.len() < 30 {
        return false;
    }
    let name_len = u16::from_le_bytes([head[26], head[27]]) as usize;
    let name = head.get(30..30 + name_len).unwrap_or(&[]);
    name == b"[Content_Types].xml"
        || name == b"mimetype"
        || name.starts_with(b"_rels/")
        || name.starts_with(b"docProps/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_content_whatever_the_name() {
        assert_eq!(kind("x.dat", b"PAR1\x15\x04"), Some(Kind::Parquet));
        assert_eq!(kind("app", b"SQLite format 3\0rest"), Some(Kind::Sqlite));
        assert_eq!(
            kind("a.bin", &[0x1f, 0x8b, 8, 0]),
            Some(Kind::Compressed(Codec::Gzip))
        );
        assert_eq!(
            kind(
                "dump",
                b"-- MySQL dump 10.13\n/*!40101 SET NAMES utf8 */;\n"
            ),
            Some(Kind::SqlDump(Dialect::MySql))
        );
        assert_eq!(
            kind(
                "dump.txt",
                b"--\n-- PostgreSQL database dump\n--\n\nSET x = 0;\n"
            ),
            Some(Kind::SqlDump(Dialect::Postgres))
        );
        assert!(matches!(
            kind("db.dump", b"PGDMP\x01\x0e"),
            Some(Kind::BinaryDump(_))
        ));
    }

    #[test]
    fn a_text_that_mentions_sql_is_not_a_dump_unless_named_sql() {
        let notes = b"Meeting notes\nWe ran INSERT INTO users VALUES (1);\n";
        assert_eq!(kind("notes.txt", notes), None);
        assert!(matches!(kind("notes.sql", notes), Some(Kind::SqlDump(_))));
    }

    #[test]
    fn a_name_does_not_make_a_format() {
        assert_eq!(kind("lake/part-0.parquet", b"not parquet"), None);
        assert_eq!(kind("app.sqlite", b"plain text\n"), None);
        assert_eq!(kind("backup.tar", &[b'x'; 1024]), None);
        assert_eq!(kind("x.xlsx", b"PK\x03\x04rest"), None);
    }
}
