//! Generates the columnar, database and archive fixtures: Parquet (the parquet crate's writer),
//! mysqldump and pg_dump plain dumps (a small dump writer here), a SQLite database (rusqlite),
//! and compressed / archived copies of them. Each comes with the answer a scan must give,
//! known by construction.
//!
//! Used by `tests/columnar.rs` (into a temporary folder), by `examples/gen_columnar.rs` (to
//! write a folder you can scan, as `docs/lakes-and-dumps.md` does) and by `benches/columnar.rs` (1M rows).
//! The identifiers are computed with their own check-digit code, not the scanner's, so a bug in
//! the scanner's validators cannot hide in the fixtures. All people are fictitious.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, StructArray,
    TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

/// The answer a scan of one fixture must give.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expect {
    pub subjects: u64,
    pub sens45574: u64,
    pub sens35273: u64,
    pub minors: u64,
    pub records: u64,
}

impl Expect {
    pub fn line(&self) -> String {
        format!(
            "pipl-scan-expect: subjects={} sensitive.gbt45574-2025={} sensitive.gbt35273-2020={} minors={} records={}",
            self.subjects, self.sens45574, self.sens35273, self.minors, self.records
        )
    }
}

/// The date the expected answers hold on (minors are under 14 on it).
pub const REFERENCE: (i32, u32, u32) = (2026, 11, 25);

/// xorshift64*: deterministic.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// ISO 7064 MOD 11-2 check character (GB 11643-1999).
fn id_check(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

const REGIONS: &[&str] = &["110105", "310115", "440305", "510107", "330106", "420111"];
const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];
const GIVEN: &[&str] = &["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军"];
const MOBILE_PREFIXES: &[&str] = &["138", "139", "150", "186", "177", "199", "135", "158"];
const CITIES: &[&str] = &["北京", "上海", "深圳", "成都", "杭州", "武汉"];

/// One fictitious person. Every person has a distinct resident ID (the subject key).
#[derive(Debug, Clone)]
pub struct Person {
    pub no: u64,
    pub name: String,
    pub id: String,
    pub mobile: u64,
    pub email: String,
    pub city: &'static str,
    pub minor: bool,
}

/// `n` people; every 50th is a child born in 2016 (a minor on [`REFERENCE`]).
pub fn people(n: u64, seed: u64) -> Vec<Person> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    (0..n)
        .map(|no| {
            let minor = no % 50 == 7;
            let year = if minor {
                2016
            } else {
                1950 + rng.below(50) as u32
            };
            let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
            // The sequence number carries `no`, so IDs are distinct by construction.
            let body = format!(
                "{region}{year:04}{:02}{:02}{:03}",
                1 + rng.below(12),
                1 + rng.below(28),
                no % 1000
            );
            let body = if n > 1000 {
                // Beyond 1000 people the region and date must differ too: use `no` for them.
                format!(
                    "{}{:04}{:02}{:02}{:03}",
                    REGIONS[(no / 1000 % 6) as usize],
                    if minor {
                        2016
                    } else {
                        1950 + (no / 6000 % 50) as u32
                    },
                    1 + no / 300_000 % 12,
                    1 + no / 6_000_000 % 28,
                    no % 1000
                )
            } else {
                body
            };
            let id = format!("{body}{}", id_check(&body));
            let prefix = MOBILE_PREFIXES[rng.below(MOBILE_PREFIXES.len() as u64) as usize];
            let mobile: u64 = format!("{prefix}{:08}", no % 100_000_000).parse().unwrap();
            Person {
                no,
                name: format!(
                    "{}{}",
                    SURNAMES[rng.below(10) as usize],
                    GIVEN[rng.below(10) as usize]
                ),
                id,
                mobile,
                email: format!("user{no}@example.com"),
                city: CITIES[rng.below(CITIES.len() as u64) as usize],
                minor,
            }
        })
        .collect()
}

/// The answer for `people` when each is one record keyed by their ID.
pub fn expect_people(people: &[Person], records: u64) -> Expect {
    let minors = people.iter().filter(|p| p.minor).count() as u64;
    Expect {
        subjects: people.len() as u64,
        sens45574: minors,
        sens35273: people.len() as u64,
        minors,
        records,
    }
}

/// Staff who appear only by e-mail (three of them), in dumps and databases.
pub const STAFF: &[&str] = &[
    "ops.li@corp.example.cn",
    "hr.wang@corp.example.cn",
    "it.zhao@corp.example.cn",
];

// ---- Parquet ---------------------------------------------------------------------------------

/// Writes `people` as Parquet: ID and name strings, the mobile as int64, a `contact` struct
/// (`contact.email`, `contact.phone`), a list of tags, a low-cardinality city, floats and
/// timestamps (which cannot hold PI and are not decoded). One row per person.
pub fn write_parquet(path: &Path, people: &[Person], dictionary: bool, row_group: usize) -> Expect {
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_no", DataType::Int64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("id_card", DataType::Utf8, false),
        Field::new("mobile", DataType::Int64, false),
        Field::new(
            "contact",
            DataType::Struct(
                vec![
                    Field::new("email", DataType::Utf8, true),
                    Field::new("phone", DataType::Utf8, true),
                ]
                .into(),
            ),
            true,
        ),
        Field::new(
            "tags",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        ),
        Field::new("city", DataType::Utf8, false),
        Field::new("balance", DataType::Float64, false),
        Field::new(
            "signup",
            DataType::Timestamp(TimeUnit::Millisecond, None),
            false,
        ),
    ]));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(dictionary)
        .set_max_row_group_row_count(Some(row_group))
        .build();
    let file = std::fs::File::create(path).expect("create parquet");
    let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props)).expect("writer");
    for chunk in people.chunks(65_536) {
        let mut tags = ListBuilder::new(StringBuilder::new());
        for p in chunk {
            tags.values()
                .append_value(if p.no % 3 == 0 { "vip" } else { "regular" });
            tags.values().append_value(p.city);
            tags.append(true);
        }
        let contact = StructArray::from(vec![
            (
                Arc::new(Field::new("email", DataType::Utf8, true)),
                Arc::new(StringArray::from_iter_values(
                    chunk.iter().map(|p| p.email.as_str()),
                )) as ArrayRef,
            ),
            (
                Arc::new(Field::new("phone", DataType::Utf8, true)),
                Arc::new(StringArray::from_iter_values(chunk.iter().map(|p| {
                    let m = p.mobile.to_string();
                    format!("{}-{}-{}", &m[..3], &m[3..7], &m[7..])
                }))) as ArrayRef,
            ),
        ]);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from_iter_values(
                chunk.iter().map(|p| p.no as i64),
            )),
            Arc::new(StringArray::from_iter_values(
                chunk.iter().map(|p| p.name.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                chunk.iter().map(|p| p.id.as_str()),
            )),
            Arc::new(Int64Array::from_iter_values(
                chunk.iter().map(|p| p.mobile as i64),
            )),
            Arc::new(contact),
            Arc::new(tags.finish()),
            Arc::new(StringArray::from_iter_values(chunk.iter().map(|p| p.city))),
            Arc::new(Float64Array::from_iter_values(
                chunk.iter().map(|p| 13_812_345_678.0 + p.no as f64),
            )),
            Arc::new(TimestampMillisecondArray::from_iter_values(
                chunk.iter().map(|p| 1_700_000_000_000 + p.no as i64),
            )),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns).expect("batch");
        w.write(&batch).expect("write batch");
    }
    w.append_key_value_metadata(parquet::file::metadata::KeyValue::new(
        "pipl-scan-expect".to_string(),
        expect_people(people, people.len() as u64).line(),
    ));
    w.close().expect("close parquet");
    expect_people(people, people.len() as u64)
}

// ---- SQL dumps -------------------------------------------------------------------------------

/// MySQL string literal body with mysqldump's escapes.
fn my_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// A mysqldump-style dump: `customers` in extended INSERTs (`rows_per_insert` rows each) with
/// every escape mysqldump writes, `_binary` strings and a hex literal; `audit` rows written
/// with an `INSERT … (cols) VALUES` column list in another order, carrying staff e-mails only.
pub fn write_mysqldump(path: &Path, people: &[Person], rows_per_insert: usize) -> Expect {
    let f = std::fs::File::create(path).expect("create dump");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    let e = expect_people(people, people.len() as u64);
    writeln!(
        w,
        "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n-- {}",
        e.line()
    )
    .unwrap();
    w.write_all(
        b"/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n\
          /*!40101 SET NAMES utf8mb4 */;\n\n\
          DROP TABLE IF EXISTS `customers`;\n\
          CREATE TABLE `customers` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `name` varchar(64) DEFAULT NULL,\n  \
          `sfzh` char(18) NOT NULL COMMENT 'id card; with a \\' quote',\n  `phone` bigint DEFAULT NULL,\n  \
          `email` varchar(128) DEFAULT NULL,\n  `note` text,\n  `avatar` blob,\n  `key` varchar(8) DEFAULT NULL,\n  \
          PRIMARY KEY (`id`),\n  KEY `idx_phone` (`phone`),\n  UNIQUE KEY `uk_sfzh` (`sfzh`)\n\
          ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\n\
          LOCK TABLES `customers` WRITE;\n/*!40000 ALTER TABLE `customers` DISABLE KEYS */;\n",
    )
    .unwrap();
    for chunk in people.chunks(rows_per_insert.max(1)) {
        w.write_all(b"INSERT INTO `customers` VALUES ").unwrap();
        for (i, p) in chunk.iter().enumerate() {
            if i > 0 {
                w.write_all(b",").unwrap();
            }
            let note = match p.no % 4 {
                0 => format!("It's {}'s \"note\"\nsecond line \\ backslash", p.name),
                1 => "tab\there; semicolon; and a ) paren, comma".to_string(),
                2 => String::new(),
                _ => "注释：无".to_string(),
            };
            let email = if p.no % 5 == 0 {
                // A hex literal, as mysqldump --hex-blob writes text in binary columns.
                format!("0x{}", hex_of(p.email.as_bytes()))
            } else {
                format!("'{}'", my_escape(&p.email))
            };
            let avatar = if p.no % 7 == 0 {
                "_binary 'GIF89a\\0\\0'"
            } else {
                "NULL"
            };
            write!(
                w,
                "({},'{}','{}',{},{},'{}',{},'k{}')",
                p.no + 1,
                my_escape(&p.name),
                p.id,
                p.mobile,
                email,
                my_escape(&note),
                avatar,
                p.no % 10
            )
            .unwrap();
        }
        w.write_all(b";\n").unwrap();
    }
    w.write_all(
        b"/*!40000 ALTER TABLE `customers` ENABLE KEYS */;\nUNLOCK TABLES;\n\n\
          CREATE TABLE `audit` (\n  `id` int NOT NULL,\n  `actor_email` varchar(64),\n  `action` varchar(32)\n);\n",
    )
    .unwrap();
    // Staff e-mails, each twice, through a column list in another order.
    w.write_all(b"INSERT INTO `audit` (`action`, `id`, `actor_email`) VALUES ")
        .unwrap();
    for (i, s) in STAFF.iter().chain(STAFF.iter()).enumerate() {
        if i > 0 {
            w.write_all(b",\n").unwrap();
        }
        write!(w, "('login',{i},'{s}')").unwrap();
    }
    w.write_all(b";\n").unwrap();
    // A trigger body between DELIMITER lines: its INSERT is code, not data.
    w.write_all(
        b"DELIMITER ;;\n/*!50003 CREATE*/ /*!50003 TRIGGER `t_audit` AFTER INSERT ON `customers` FOR EACH ROW BEGIN\n\
          INSERT INTO audit VALUES (1, 'trigger@corp.example.cn', 'x'); END */;;\nDELIMITER ;\n\
          -- Dump completed on 2026-11-25 10:00:00\n",
    )
    .unwrap();
    w.flush().unwrap();
    Expect {
        subjects: e.subjects + STAFF.len() as u64,
        records: e.records + 2 * STAFF.len() as u64,
        ..e
    }
}

fn hex_of(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02X}");
        s
    })
}

/// COPY text-format escaping.
fn copy_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// How a pg_dump writes its table data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgStyle {
    /// The default: `COPY … FROM stdin;` blocks.
    Copy,
    /// `--inserts`: `INSERT INTO public.t VALUES (…);` per row.
    Inserts,
    /// `--column-inserts`: `INSERT INTO public.t (a, b) VALUES (…);` per row.
    ColumnInserts,
}

/// A pg_dump plain-format dump of `customers` and `staff`.
pub fn write_pgdump(path: &Path, people: &[Person], style: PgStyle) -> Expect {
    let f = std::fs::File::create(path).expect("create dump");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    let e = expect_people(people, people.len() as u64);
    writeln!(w, "--\n-- PostgreSQL database dump\n--\n-- {}\n", e.line()).unwrap();
    w.write_all(
        b"SET statement_timeout = 0;\nSET standard_conforming_strings = on;\n\
          SELECT pg_catalog.set_config('search_path', '', false);\n\n\
          CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $_$\n\
          BEGIN INSERT INTO public.staff VALUES (99, 'fn@corp.example.cn'); RETURN NEW; END; $_$;\n\n\
          CREATE TABLE public.customers (\n    id integer NOT NULL,\n    name text,\n    sfzh character(18),\n    \
          phone bigint,\n    email text,\n    note text,\n    key text\n);\n\n\
          CREATE TABLE public.staff (\n    id integer NOT NULL,\n    email character varying(64)\n);\n\n",
    )
    .unwrap();
    let note = |p: &Person| match p.no % 3 {
        0 => format!("It's {}\tand a tab\nand a newline \\ backslash", p.name),
        1 => String::new(),
        _ => "备注".to_string(),
    };
    match style {
        PgStyle::Copy => {
            w.write_all(
                b"COPY public.customers (id, name, sfzh, phone, email, note, key) FROM stdin;\n",
            )
            .unwrap();
            for p in people {
                let n = note(p);
                let n = if n.is_empty() {
                    "\\N".to_string()
                } else {
                    copy_escape(&n)
                };
                writeln!(
                    w,
                    "{}\t{}\t{}\t{}\t{}\t{}\tk",
                    p.no + 1,
                    copy_escape(&p.name),
                    p.id,
                    p.mobile,
                    p.email,
                    n
                )
                .unwrap();
            }
            w.write_all(b"\\.\n\n\nCOPY public.staff (id, email) FROM stdin;\n")
                .unwrap();
            for (i, s) in STAFF.iter().enumerate() {
                writeln!(w, "{i}\t{s}").unwrap();
            }
            w.write_all(b"\\.\n\n").unwrap();
        }
        PgStyle::Inserts | PgStyle::ColumnInserts => {
            let cols = if style == PgStyle::ColumnInserts {
                " (id, name, sfzh, phone, email, note, key)"
            } else {
                ""
            };
            for p in people {
                let n = note(p);
                let n = if n.is_empty() {
                    "NULL".to_string()
                } else if n.contains('\\') || n.contains('\n') || n.contains('\t') {
                    // pg_dump writes E'' strings only when standard_conforming_strings is off;
                    // a plain string keeps backslashes and newlines literally.
                    format!("'{}'", n.replace('\'', "''"))
                } else {
                    format!("'{}'", n.replace('\'', "''"))
                };
                writeln!(
                    w,
                    "INSERT INTO public.customers{cols} VALUES ({}, '{}', '{}', {}, '{}', {n}, 'k');",
                    p.no + 1,
                    p.name.replace('\'', "''"),
                    p.id,
                    p.mobile,
                    p.email
                )
                .unwrap();
            }
            for (i, s) in STAFF.iter().enumerate() {
                let cols = if style == PgStyle::ColumnInserts {
                    " (id, email)"
                } else {
                    ""
                };
                writeln!(w, "INSERT INTO public.staff{cols} VALUES ({i}, E'{s}');").unwrap();
            }
        }
    }
    w.write_all(b"--\n-- PostgreSQL database dump complete\n--\n\n")
        .unwrap();
    w.flush().unwrap();
    Expect {
        subjects: e.subjects + STAFF.len() as u64,
        records: e.records + STAFF.len() as u64,
        ..e
    }
}

// ---- SQLite ----------------------------------------------------------------------------------

/// A SQLite database with `customers` (the mobile as an INTEGER, the e-mail in a BLOB for every
/// 4th person, a REAL that looks like a phone and is not PI) and `staff`.
pub fn write_sqlite(path: &Path, people: &[Person]) -> Expect {
    let _ = std::fs::remove_file(path);
    let mut c = rusqlite::Connection::open(path).expect("create sqlite");
    c.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, sfzh TEXT, phone INTEGER,
                                 email, score REAL, note TEXT);
         CREATE TABLE staff (id INTEGER PRIMARY KEY, email TEXT);
         CREATE TABLE \"odd \"\"name\"\"\" (x TEXT);",
    )
    .expect("schema");
    let tx = c.transaction().expect("tx");
    {
        let mut st = tx
            .prepare("INSERT INTO customers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .expect("prepare");
        for p in people {
            let email: rusqlite::types::Value = if p.no % 4 == 0 {
                rusqlite::types::Value::Blob(p.email.clone().into_bytes())
            } else {
                rusqlite::types::Value::Text(p.email.clone())
            };
            st.execute(rusqlite::params![
                p.no as i64 + 1,
                p.name,
                p.id,
                p.mobile as i64,
                email,
                13_912_345_678.0_f64,
                if p.no % 2 == 0 { Some("备注") } else { None }
            ])
            .expect("insert");
        }
        for (i, s) in STAFF.iter().enumerate() {
            tx.execute(
                "INSERT INTO staff VALUES (?1, ?2)",
                rusqlite::params![i as i64, s],
            )
            .expect("insert staff");
        }
        tx.execute(
            "INSERT INTO \"odd \"\"name\"\"\" VALUES ('nothing here')",
            [],
        )
        .expect("insert odd");
    }
    tx.commit().expect("commit");
    let e = expect_people(people, people.len() as u64);
    Expect {
        subjects: e.subjects + STAFF.len() as u64,
        records: e.records + STAFF.len() as u64 + 1,
        ..e
    }
}

// ---- compressed files and archives ------------------------------------------------------------

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A zip of `(name, bytes)` members, deflated.
pub fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        z.start_file(*name, opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// A tar of `(name, bytes)` members.
pub fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut t = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_764_000_000);
        h.set_cksum();
        t.append_data(&mut h, name, *bytes).unwrap();
    }
    t.into_inner().unwrap()
}

/// Every fixture, written under `dir`, with its expected answer (a whole archive's answer is
/// that of its members together; the fixtures use disjoint people so answers add up).
pub fn generate(dir: &Path) -> Vec<(PathBuf, Expect)> {
    std::fs::create_dir_all(dir).unwrap();
    let mut out = Vec::new();
    let mut add = |name: &str, e: Expect| out.push((dir.join(name), e));

    let p = people(120, 0x0c01);
    add(
        "customers.parquet",
        write_parquet(&dir.join("customers.parquet"), &p, true, 50),
    );
    add(
        "customers_plain.parquet",
        write_parquet(&dir.join("customers_plain.parquet"), &p, false, 50),
    );
    let p = people(80, 0x0c02);
    add(
        "shop.mysql.sql",
        write_mysqldump(&dir.join("shop.mysql.sql"), &p, 25),
    );
    let p = people(60, 0x0c03);
    add(
        "shop.pg.sql",
        write_pgdump(&dir.join("shop.pg.sql"), &p, PgStyle::Copy),
    );
    add(
        "shop_inserts.pg.sql",
        write_pgdump(&dir.join("shop_inserts.pg.sql"), &p, PgStyle::Inserts),
    );
    add(
        "shop_column_inserts.pg.sql",
        write_pgdump(
            &dir.join("shop_column_inserts.pg.sql"),
            &p,
            PgStyle::ColumnInserts,
        ),
    );
    let p = people(40, 0x0c04);
    add("app.db", write_sqlite(&dir.join("app.db"), &p));

    // Compressed and archived copies, each of a fixture written to a scratch name first.
    let scratch = dir.join(".scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let p = people(30, 0x0c05);
    let e_dump = write_mysqldump(&scratch.join("d.sql"), &p, 10);
    let dump = std::fs::read(scratch.join("d.sql")).unwrap();
    std::fs::write(dir.join("shop.sql.gz"), gzip(&dump)).unwrap();
    add("shop.sql.gz", e_dump);

    let p = people(20, 0x0c06);
    let e_pq = write_parquet(&scratch.join("p.parquet"), &p, true, 8);
    let pq = std::fs::read(scratch.join("p.parquet")).unwrap();
    let p = people(25, 0x0c07);
    let e_db = write_sqlite(&scratch.join("s.db"), &p);
    let db = std::fs::read(scratch.join("s.db")).unwrap();
    let p = people(15, 0x0c08);
    let e_pg = write_pgdump(&scratch.join("g.sql"), &p, PgStyle::Copy);
    let pg = std::fs::read(scratch.join("g.sql")).unwrap();
    let notes = "客户回访：手机 13912340001，邮箱 visit01@example.org\n".as_bytes();
    let e_notes = Expect {
        subjects: 1,
        records: 1,
        ..Expect::default()
    };
    let inner_tgz = gzip(&tar(&[("export/pg.sql", &pg[..])]));
    let zipped = zip(&[
        ("lake/part-0.parquet", &pq[..]),
        ("db/app.sqlite", &db[..]),
        ("notes.txt", notes),
        ("nested/export.tar.gz", &inner_tgz[..]),
    ]);
    std::fs::write(dir.join("bundle.zip"), zipped).unwrap();
    let sum = |es: &[Expect]| Expect {
        subjects: es.iter().map(|e| e.subjects).sum(),
        sens45574: es.iter().map(|e| e.sens45574).sum(),
        sens35273: es.iter().map(|e| e.sens35273).sum(),
        minors: es.iter().map(|e| e.minors).sum(),
        records: es.iter().map(|e| e.records).sum(),
    };
    // Staff e-mails are the same people in every dump and database.
    let staff = STAFF.len() as u64;
    let mut e_zip = sum(&[e_pq, e_db, e_notes, e_pg]);
    e_zip.subjects -= staff;
    add("bundle.zip", e_zip);
    let tgz = gzip(&tar(&[
        ("dumps/shop.sql", &dump[..]),
        ("dbs/app.db", &db[..]),
    ]));
    std::fs::write(dir.join("backup.tar.gz"), tgz).unwrap();
    let mut e_tgz = sum(&[e_dump, e_db]);
    e_tgz.subjects -= staff;
    add("backup.tar.gz", e_tgz);
    std::fs::remove_dir_all(&scratch).unwrap();
    out
}

// ---- PI-sparse tables (benchmarks) ------------------------------------------------------------

const STATUSES: &[&str] = &["created", "paid", "shipped", "delivered", "refunded"];
const PRODUCTS: &[&str] = &[
    "不锈钢保温杯 500ml",
    "Wireless mouse M330 silent",
    "有机绿茶 250g 礼盒装",
    "USB-C cable 2m braided",
    "儿童绘本套装（共10册）",
];

/// One order row of a PI-sparse table: ten text columns, of which only `buyer_email` holds PI.
fn order_row(no: u64) -> [String; 10] {
    [
        format!("ORD-2026-{no:010}"),
        STATUSES[(no % 5) as usize].to_string(),
        PRODUCTS[(no % 5) as usize].to_string(),
        format!("SKU-{:06}-{}", no % 99_991, no % 7),
        format!("仓库 {} 区 {} 架", no % 17, no % 113),
        format!("{}.{:02}", 10 + no % 990, no % 100),
        "CNY".to_string(),
        ["web", "app", "mini-program"][(no % 3) as usize].to_string(),
        format!(
            "2026-{:02}-{:02} {:02}:{:02}:00",
            1 + no % 12,
            1 + no % 28,
            no % 24,
            no % 60
        ),
        format!("buyer{no}@example.com"),
    ]
}

const ORDER_COLUMNS: [&str; 10] = [
    "order_no",
    "status",
    "product",
    "sku",
    "location",
    "amount",
    "currency",
    "channel",
    "created_at",
    "buyer_email",
];

/// A Parquet table of `rows` orders (snappy, dictionary encoding on): ten string columns, one
/// with PI. Each row is one subject (its e-mail).
pub fn write_orders_parquet(path: &Path, rows: u64) -> Expect {
    let schema = Arc::new(Schema::new(
        ORDER_COLUMNS
            .iter()
            .map(|c| Field::new(*c, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(128 * 1024))
        .build();
    let file = std::fs::File::create(path).expect("create parquet");
    let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props)).expect("writer");
    let mut start = 0;
    while start < rows {
        let end = (start + 65_536).min(rows);
        let table: Vec<[String; 10]> = (start..end).map(order_row).collect();
        let columns: Vec<ArrayRef> = (0..10)
            .map(|c| {
                Arc::new(StringArray::from_iter_values(
                    table.iter().map(|r| r[c].as_str()),
                )) as ArrayRef
            })
            .collect();
        w.write(&RecordBatch::try_new(schema.clone(), columns).unwrap())
            .unwrap();
        start = end;
    }
    w.close().expect("close");
    Expect {
        subjects: rows,
        records: rows,
        ..Expect::default()
    }
}

/// A mysqldump of the same orders, 1000 rows per extended INSERT.
pub fn write_orders_mysqldump(path: &Path, rows: u64) -> Expect {
    let f = std::fs::File::create(path).expect("create dump");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    w.write_all(b"-- MySQL dump 10.13\nCREATE TABLE `orders` (\n")
        .unwrap();
    for (i, c) in ORDER_COLUMNS.iter().enumerate() {
        let sep = if i + 1 < ORDER_COLUMNS.len() { "," } else { "" };
        writeln!(w, "  `{c}` varchar(64) NOT NULL{sep}").unwrap();
    }
    w.write_all(b") ENGINE=InnoDB;\n").unwrap();
    for start in (0..rows).step_by(1000) {
        w.write_all(b"INSERT INTO `orders` VALUES ").unwrap();
        for no in start..(start + 1000).min(rows) {
            if no > start {
                w.write_all(b",").unwrap();
            }
            let r = order_row(no);
            w.write_all(b"(").unwrap();
            for (i, v) in r.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",").unwrap();
                }
                write!(w, "'{}'", my_escape(v)).unwrap();
            }
            w.write_all(b")").unwrap();
        }
        w.write_all(b";\n").unwrap();
    }
    w.flush().unwrap();
    Expect {
        subjects: rows,
        records: rows,
        ..Expect::default()
    }
}

/// A pg_dump (COPY block) of the same orders.
pub fn write_orders_pgdump(path: &Path, rows: u64) -> Expect {
    let f = std::fs::File::create(path).expect("create dump");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    w.write_all(b"--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE public.orders (\n")
        .unwrap();
    for (i, c) in ORDER_COLUMNS.iter().enumerate() {
        let sep = if i + 1 < ORDER_COLUMNS.len() { "," } else { "" };
        writeln!(w, "    {c} character varying(64) NOT NULL{sep}").unwrap();
    }
    w.write_all(b");\n\n").unwrap();
    writeln!(
        w,
        "COPY public.orders ({}) FROM stdin;",
        ORDER_COLUMNS.join(", ")
    )
    .unwrap();
    for no in 0..rows {
        // No order value holds a tab, newline or backslash: nothing to escape.
        w.write_all(order_row(no).join("\t").as_bytes()).unwrap();
        w.write_all(b"\n").unwrap();
    }
    w.write_all(b"\\.\n").unwrap();
    w.flush().unwrap();
    Expect {
        subjects: rows,
        records: rows,
        ..Expect::default()
    }
}
