//! Columnar, database and archive sources: generated fixtures with known answers, damaged
//! inputs with precise errors, and every Parquet / SQL file of the shared corpus.

#[path = "support/columnar.rs"]
mod support;

use std::path::{Path, PathBuf};

use pipl_scan::detect::{DetectorSet, Standard};
use pipl_scan::inventory::{FileResult, SourceAcc, Status};
use pipl_scan::read::container::{Limits, read_path_with};
use pipl_scan::read::{Ctx, read_source};
use pipl_scan::sketch::SketchKey;
use support::Expect;

fn with_ctx<T>(f: impl FnOnce(&Ctx) -> T) -> T {
    let set = DetectorSet::load(None).expect("detectors");
    let key = SketchKey::random();
    let (y, m, d) = support::REFERENCE;
    let ctx = Ctx::new(
        &set,
        &key,
        chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap(),
    );
    f(&ctx)
}

fn read(path: &Path, ctx: &Ctx) -> Vec<FileResult> {
    let size = std::fs::metadata(path).unwrap().len();
    read_source(path, size, ctx)
}

fn merged(results: &[FileResult]) -> SourceAcc {
    let mut acc = SourceAcc::default();
    for r in results {
        acc.merge(r.acc.clone());
    }
    acc
}

fn answer(acc: &SourceAcc) -> Expect {
    Expect {
        subjects: acc.subjects.estimate().estimate,
        sens45574: acc.sensitive[Standard::Gbt45574_2025.index()]
            .estimate()
            .estimate,
        sens35273: acc.sensitive[Standard::Gbt35273_2020.index()]
            .estimate()
            .estimate,
        minors: acc.minors.estimate().estimate,
        records: acc.records,
    }
}

fn describe(results: &[FileResult]) -> String {
    results
        .iter()
        .map(|r| format!("{} [{} {:?}] {:?}", r.path, r.format, r.status, r.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_generated_fixture_scans_to_its_expected_answer() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = support::generate(dir.path());
    assert!(fixtures.len() >= 9);
    with_ctx(|ctx| {
        for (path, expect) in &fixtures {
            let results = read(path, ctx);
            assert!(
                results.iter().all(|r| r.status == Status::Scanned),
                "{}",
                describe(&results)
            );
            let got = answer(&merged(&results));
            assert_eq!(got, *expect, "{}\n{}", path.display(), describe(&results));
        }
    });
}

#[test]
fn formats_and_field_paths_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = support::generate(dir.path());
    with_ctx(|ctx| {
        let by_name = |name: &str| -> Vec<FileResult> {
            let (p, _) = fixtures.iter().find(|(p, _)| p.ends_with(name)).unwrap();
            read(p, ctx)
        };
        let fields = |r: &FileResult, det: &str| -> Vec<String> {
            let set = DetectorSet::load(None).unwrap();
            let di = set.index_of(det).unwrap();
            r.acc
                .fields
                .iter()
                .filter(|(_, d)| d.contains_key(&di))
                .map(|(n, _)| n.clone())
                .collect()
        };
        let pq = by_name("customers.parquet");
        assert_eq!(pq[0].format, "parquet");
        assert_eq!(fields(&pq[0], "email"), ["contact.email"]);
        assert_eq!(fields(&pq[0], "cn-mobile"), ["contact.phone", "mobile"]);
        assert_eq!(fields(&pq[0], "cn-resident-id"), ["id_card"]);
        let my = by_name("shop.mysql.sql");
        assert_eq!(my[0].format, "mysql_dump");
        // Hex literals and quoted strings both land in the e-mail column; staff in `audit`.
        assert_eq!(
            fields(&my[0], "email"),
            ["audit.actor_email", "customers.email"]
        );
        let email = DetectorSet::load(None).unwrap().index_of("email").unwrap();
        assert_eq!(my[0].acc.fields["customers.email"][&email].matches, 80);
        let pg = by_name("shop.pg.sql");
        assert_eq!(pg[0].format, "pg_dump");
        assert_eq!(fields(&pg[0], "cn-resident-id"), ["customers.sfzh"]);
        let db = by_name("app.db");
        assert_eq!(db[0].format, "sqlite");
        assert_eq!(fields(&db[0], "email"), ["customers.email", "staff.email"]);
        let zip = by_name("bundle.zip");
        let root = format!("{}/", dir.path().display());
        let paths: Vec<&str> = zip
            .iter()
            .map(|r| r.path.strip_prefix(&root).unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                "bundle.zip!lake/part-0.parquet",
                "bundle.zip!db/app.sqlite",
                "bundle.zip!notes.txt",
                "bundle.zip!nested/export.tar.gz!export/pg.sql"
            ]
        );
        let formats: Vec<&str> = zip.iter().map(|r| r.format.as_str()).collect();
        assert_eq!(formats, ["parquet", "sqlite", "text", "pg_dump"]);
    });
}

#[test]
fn dictionary_encoding_gives_the_same_answer_as_plain() {
    let dir = tempfile::tempdir().unwrap();
    let people = support::people(500, 42);
    let a = dir.path().join("dict.parquet");
    let b = dir.path().join("plain.parquet");
    support::write_parquet(&a, &people, true, 100);
    support::write_parquet(&b, &people, false, 100);
    with_ctx(|ctx| {
        let (ra, rb) = (read(&a, ctx), read(&b, ctx));
        assert_eq!(answer(&ra[0].acc), answer(&rb[0].acc));
        // (field, [(detector, matches, distinct)])
        type PerField = Vec<(String, Vec<(usize, u64, u64)>)>;
        let per_field = |r: &FileResult| -> PerField {
            r.acc
                .fields
                .iter()
                .map(|(n, d)| {
                    let v = d
                        .iter()
                        .map(|(k, a)| (*k, a.matches, a.distinct.estimate().estimate))
                        .collect();
                    (n.clone(), v)
                })
                .collect()
        };
        assert_eq!(per_field(&ra[0]), per_field(&rb[0]));
    });
}

/// A small mysqldump whose PI can only be found if every escape is decoded.
#[test]
fn small_row_groups_find_the_same_people() {
    let dir = tempfile::tempdir().unwrap();
    let people = support::people(20, 0x0c06);
    let p = dir.path().join("rg8.parquet");
    let e = support::write_parquet(&p, &people, true, 8);
    with_ctx(|ctx| {
        let r = read(&p, ctx);
        assert_eq!(
            answer(&r[0].acc),
            e,
            "{:?}",
            r[0].acc.fields.keys().collect::<Vec<_>>()
        );
    });
}

#[test]
fn mysql_escapes_and_literals_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("esc.sql");
    // Seven addresses, each behind a different escape or literal form. The hex literal is `hex.user@example.com`; X'..' is `xq@example.com`.
    let hex: String = "hex.user@example.com"
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    let xq: String = "xq@example.com"
        .bytes()
        .map(|b| format!("{b:02X}"))
        .collect();
    let dump = format!(
        "-- MySQL dump 10.13\nCREATE TABLE `t` (`a` text, `b` blob, `c` text, `d` text);\n\
         INSERT INTO `t` VALUES ('line\\nsplit@example.com',0x{hex},_binary 'bin@example.com',N'n@example.com'),\
         ('It''s ok \\\\ esc@example.com',X'{xq}',NULL,'tab\\tt@example.com');\n"
    );
    std::fs::write(&p, dump).unwrap();
    with_ctx(|ctx| {
        let r = read(&p, ctx);
        assert_eq!(r[0].status, Status::Scanned, "{}", describe(&r));
        assert_eq!(r[0].acc.records, 2);
        let set = DetectorSet::load(None).unwrap();
        let email = set.index_of("email").unwrap();
        let n: u64 = r[0]
            .acc
            .fields
            .values()
            .filter_map(|d| d.get(&email))
            .map(|a| a.matches)
            .sum();
        assert_eq!(n, 7, "{:?}", r[0].acc.fields.keys().collect::<Vec<_>>());
        assert!(
            r[0].acc.fields.contains_key("t.b"),
            "hex literals are decoded into their column"
        );
    });
}

#[test]
fn a_gbk_dump_is_decoded_so_chinese_names_and_headers_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gbk.sql");
    // mysqldump --default-character-set=gbk: a Chinese column name and Chinese values.
    let mut dump = String::from(
        "-- MySQL dump 10.13\nCREATE TABLE `客户` (`姓名` varchar(20), `手机号` varchar(20), `地址` varchar(80));\n",
    );
    let names = ["张伟", "王秀英", "欧阳娜娜", "李娜"];
    for (i, n) in names.iter().enumerate() {
        dump.push_str(&format!(
            "INSERT INTO `客户` VALUES ('{n}','1380013800{i}','广东省深圳市南山区科技园路{i}号');\n"
        ));
    }
    let gbk = encoding_rs::GBK.encode(&dump).0.into_owned();
    assert!(std::str::from_utf8(&gbk).is_err(), "really GBK");
    std::fs::write(&p, &gbk).unwrap();
    // The same dump compressed: a stream member, told and decoded the same way.
    let gz = dir.path().join("gbk.sql.gz");
    std::fs::write(&gz, support::gzip(&gbk)).unwrap();
    with_ctx(|ctx| {
        for p in [&p, &gz] {
            let r = read(p, ctx);
            assert_eq!(r[0].status, Status::Scanned, "{}", describe(&r));
            assert_eq!(r[0].encoding.as_deref(), Some("gbk"));
            assert_eq!(r[0].format, "mysql_dump");
            let set = DetectorSet::load(None).unwrap();
            let fields = &r[0].acc.fields;
            let count = |f: &str, d: &str| {
                fields
                    .get(f)
                    .and_then(|m| m.get(&set.index_of(d).unwrap()))
                    .map_or(0, |a| a.matches)
            };
            assert_eq!(
                count("客户.姓名", "cn-name"),
                4,
                "{:?}",
                fields.keys().collect::<Vec<_>>()
            );
            assert_eq!(count("客户.地址", "address"), 4);
            assert_eq!(count("客户.手机号", "cn-mobile"), 4);
        }
    });
}

#[test]
fn a_dump_cut_inside_a_string_keeps_the_rows_before_and_says_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.sql");
    let people = support::people(100, 7);
    support::write_mysqldump(&p, &people, 10);
    let text = std::fs::read(&p).unwrap();
    // Cut inside the e-mail string of person 56 (row 7 of the 6th INSERT).
    let at = memfind(&text, people[56].email.as_bytes()) + 3;
    std::fs::write(&p, &text[..at]).unwrap();
    with_ctx(|ctx| {
        let r = read(&p, ctx);
        assert_eq!(r[0].status, Status::Partial, "{}", describe(&r));
        assert_eq!(r[0].acc.records, 56);
        let reason = r[0].reason.as_deref().unwrap();
        assert!(
            reason.contains("unterminated string in row 7 of INSERT INTO customers"),
            "{reason}"
        );
        assert!(
            reason.contains("line ") && reason.contains("byte offset"),
            "{reason}"
        );
        assert!(reason.contains(&p.display().to_string()), "{reason}");
    });
}

fn memfind(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle")
}

#[test]
fn a_copy_block_without_its_end_marker_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("copy.sql");
    let people = support::people(40, 9);
    support::write_pgdump(&p, &people, support::PgStyle::Copy);
    let text = std::fs::read(&p).unwrap();
    let end = memfind(&text, b"\\.\n");
    std::fs::write(&p, &text[..end]).unwrap();
    with_ctx(|ctx| {
        let r = read(&p, ctx);
        assert_eq!(r[0].status, Status::Partial, "{}", describe(&r));
        assert_eq!(r[0].acc.records, 40);
        assert_eq!(r[0].acc.subjects.estimate().estimate, 40);
        let reason = r[0].reason.as_deref().unwrap();
        assert!(
            reason.contains("COPY customers") && reason.contains("no end marker"),
            "{reason}"
        );
    });
}

#[test]
fn a_truncated_gzip_keeps_what_was_read_and_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let people = support::people(3000, 11);
    let plain = dir.path().join("d.sql");
    support::write_mysqldump(&plain, &people, 100);
    let gz = support::gzip(&std::fs::read(&plain).unwrap());
    let p = dir.path().join("d.sql.gz");
    std::fs::write(&p, &gz[..gz.len() / 2]).unwrap();
    with_ctx(|ctx| {
        let r = read(&p, ctx);
        assert_eq!(r.len(), 1, "{}", describe(&r));
        assert_eq!(r[0].format, "mysql_dump");
        assert_eq!(r[0].status, Status::Partial, "{}", describe(&r));
        assert!(r[0].acc.records > 0 && r[0].acc.records < 3000);
        let reason = r[0].reason.as_deref().unwrap();
        assert!(reason.contains("could not be read further"), "{reason}");
    });
}

#[test]
fn a_zip_bomb_is_an_error_and_is_never_expanded() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 20 << 20];
    let p = dir.path().join("bomb.zip");
    std::fs::write(
        &p,
        support::zip(&[("a.txt", b"phone 13912340001\n"), ("zeros.bin", &zeros)]),
    )
    .unwrap();
    let size = std::fs::metadata(&p).unwrap().len();
    assert!(size < 100_000);
    let limits = Limits {
        max_ratio: 100,
        min_expanded: 1 << 20,
        ..Limits::default()
    };
    with_ctx(|ctx| {
        let r = read_path_with(&p, size, ctx, limits).expect("a zip");
        assert_eq!(r[0].status, Status::Scanned, "{}", describe(&r));
        assert_eq!(r[0].acc.subjects.estimate().estimate, 1);
        let bomb = r
            .iter()
            .find(|x| x.path.ends_with("bomb.zip"))
            .expect("archive entry");
        assert_eq!(bomb.status, Status::Partial);
        let reason = bomb.reason.as_deref().unwrap();
        assert!(
            reason.contains("zeros.bin") && reason.contains("zip bomb"),
            "{reason}"
        );
        assert!(
            !r.iter().any(|x| x.path.ends_with("zeros.bin")),
            "{}",
            describe(&r)
        );
    });
}

#[test]
fn member_count_and_nesting_depth_are_limited() {
    let dir = tempfile::tempdir().unwrap();
    let members: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| (format!("m{i}.txt"), b"nothing\n".to_vec()))
        .collect();
    let refs: Vec<(&str, &[u8])> = members.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
    let p = dir.path().join("many.tar");
    std::fs::write(&p, support::tar(&refs)).unwrap();
    let deep = dir.path().join("deep.gz");
    std::fs::write(&deep, support::gzip(&support::gzip(&support::gzip(b"x\n")))).unwrap();
    let limits = Limits {
        max_members: 5,
        max_depth: 2,
        ..Limits::default()
    };
    with_ctx(|ctx| {
        let size = std::fs::metadata(&p).unwrap().len();
        let r = read_path_with(&p, size, ctx, limits).unwrap();
        assert_eq!(r.iter().filter(|x| x.path.contains('!')).count(), 5);
        assert!(r.iter().any(|x| {
            x.reason
                .as_deref()
                .is_some_and(|m| m.contains("more than 5"))
        }));
        let size = std::fs::metadata(&deep).unwrap().len();
        let r = read_path_with(&deep, size, ctx, limits).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].status, Status::Skipped, "{}", describe(&r));
        assert!(
            r[0].reason
                .as_deref()
                .unwrap()
                .contains("nested more than 2 deep")
        );
    });
}

#[test]
fn damaged_parquet_and_sqlite_files_get_precise_errors() {
    let dir = tempfile::tempdir().unwrap();
    let people = support::people(300, 13);
    let pq = dir.path().join("p.parquet");
    support::write_parquet(&pq, &people, true, 100);
    let bytes = std::fs::read(&pq).unwrap();
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let magic = dir.path().join("magic.parquet");
    std::fs::write(&magic, b"this is not parquet at all, just text\n").unwrap();
    let db = dir.path().join("c.db");
    support::write_sqlite(&db, &people);
    let mut raw = std::fs::read(&db).unwrap();
    // Keep the header and schema page; overwrite the data pages with garbage.
    for (i, b) in raw.iter_mut().enumerate().skip(4096 * 2) {
        *b = (i * 7 % 251) as u8;
    }
    std::fs::write(&db, &raw).unwrap();
    let pgdmp = dir.path().join("prod.dump");
    std::fs::write(&pgdmp, b"PGDMP\x01\x0e\x00\x04\x08\x01\x01\x01\x00\x00").unwrap();
    with_ctx(|ctx| {
        let r = read(&cut, ctx);
        assert_eq!(r[0].status, Status::Unreadable);
        assert!(
            r[0].reason.as_deref().unwrap().contains("no footer magic"),
            "{}",
            describe(&r)
        );
        // A `.parquet` that is text is read as the text it is, with a note of what it claimed.
        let r = read(&magic, ctx);
        assert_eq!(
            (r[0].format.as_str(), r[0].status),
            ("text", Status::Scanned)
        );
        assert_eq!(
            r[0].acc.warnings,
            ["not a parquet file: plain text; read as text"],
            "{}",
            describe(&r)
        );
        let r = read(&db, ctx);
        assert_eq!(r[0].format, "sqlite");
        assert_ne!(r[0].status, Status::Scanned, "{}", describe(&r));
        let reason = r[0].reason.as_deref().unwrap();
        assert!(
            reason.contains("table `customers`") || reason.contains("malformed"),
            "{reason}"
        );
        let r = read(&pgdmp, ctx);
        assert_eq!(r[0].status, Status::Unreadable);
        assert!(
            r[0].reason
                .as_deref()
                .unwrap()
                .contains("pg_restore -f out.sql")
        );
    });
}

/// `../shared/corpus` relative to the repository root, if present.
fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        println!("note: ../shared/corpus is absent; corpus tests skipped");
        None
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

#[test]
fn every_corpus_parquet_and_sql_file_scans_or_yields_a_precise_error() {
    let Some(corpus) = corpus() else { return };
    let mut checked = 0;
    with_ctx(|ctx| {
        for sub in ["parquet", "sql"] {
            for path in files_under(&corpus.join(sub)) {
                let r = read(&path, ctx);
                assert_eq!(r.len(), 1, "{}", describe(&r));
                let r = &r[0];
                assert_eq!(
                    r.format,
                    if sub == "sql" {
                        r.format.as_str()
                    } else {
                        "parquet"
                    }
                );
                match r.status {
                    Status::Scanned => assert!(r.reason.is_none()),
                    Status::Partial | Status::Unreadable => {
                        let reason = r.reason.as_deref().unwrap();
                        assert!(reason.starts_with(&path.display().to_string()), "{reason}");
                        assert!(
                            reason.len() > path.display().to_string().len() + 20,
                            "{reason}"
                        );
                    }
                    Status::Skipped => panic!("{} was skipped: {:?}", path.display(), r.reason),
                }
                // The files the reference reader rejects are rejected here too.
                let name = path.file_name().unwrap().to_string_lossy();
                if name.contains("dict-malformed") || name.starts_with("PARQUET-1481") {
                    assert_ne!(r.status, Status::Scanned, "{name}");
                }
                checked += 1;
            }
        }
    });
    assert!(checked >= 30, "{checked}");
}

#[test]
fn corpus_dumps_give_their_ground_truth() {
    let Some(corpus) = corpus() else { return };
    let set = DetectorSet::load(None).unwrap();
    let email = set.index_of("email").unwrap();
    with_ctx(|ctx| {
        for (name, format) in [
            ("Chinook_MySql.sql", "mysql_dump"),
            ("Chinook_PostgreSql.sql", "pg_dump"),
        ] {
            let r = read(&corpus.join("sql").join(name), ctx);
            assert_eq!(r[0].status, Status::Scanned, "{}", describe(&r));
            assert_eq!(r[0].format, format);
            // The corpus README: 59 customers + 8 employees, 67 distinct e-mails, no sharing.
            let mut emails = pipl_scan::sketch::Sketch::new();
            for d in r[0].acc.fields.values() {
                if let Some(a) = d.get(&email) {
                    emails.merge(&a.distinct);
                }
            }
            assert_eq!(emails.estimate().estimate, 67, "{name}");
            assert_eq!(r[0].acc.subjects.estimate().estimate, 67, "{name}");
            let customer = r[0]
                .acc
                .fields
                .keys()
                .find(|k| k.eq_ignore_ascii_case("customer.email"));
            assert!(
                customer.is_some(),
                "{:?}",
                r[0].acc.fields.keys().collect::<Vec<_>>()
            );
        }
        let r = read(&corpus.join("sql/pagila-data-2017-partial.sql"), ctx);
        assert_eq!(r[0].status, Status::Scanned, "{}", describe(&r));
        assert_eq!(r[0].format, "pg_dump");
        // actor 200 + category 16 + country 109 + language 6 rows; no e-mails or phones.
        assert_eq!(r[0].acc.records, 331);
        assert_eq!(r[0].acc.subjects.estimate().estimate, 0);
        assert!(!r[0].acc.has_findings());
    });
}

#[test]
fn pi_sparse_order_tables_count_one_subject_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("orders.parquet");
    let sql = dir.path().join("orders.sql");
    let e1 = support::write_orders_parquet(&pq, 3000);
    let e2 = support::write_orders_mysqldump(&sql, 3000);
    let pg = dir.path().join("orders.pg.sql");
    let e3 = support::write_orders_pgdump(&pg, 3000);
    with_ctx(|ctx| {
        for (path, e, field) in [
            (&pq, e1, "buyer_email"),
            (&sql, e2, "orders.buyer_email"),
            (&pg, e3, "orders.buyer_email"),
        ] {
            let r = read(path, ctx);
            assert_eq!(r[0].acc.records, e.records);
            // 3000 distinct keys: past the sketch's exact range, so within its 95% bounds.
            let est = r[0].acc.subjects.estimate();
            assert!(est.low <= e.subjects && e.subjects <= est.high, "{est:?}");
            let fields: Vec<&String> = r[0].acc.fields.keys().collect();
            assert_eq!(fields, [field], "{}", path.display());
        }
    });
}

#[test]
fn zstd_bzip2_and_xz_streams_are_scanned_as_their_content() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let people = support::people(12, 21);
    let plain = dir.path().join("d.sql");
    let e = support::write_pgdump(&plain, &people, support::PgStyle::Copy);
    let dump = std::fs::read(&plain).unwrap();
    let zst = zstd::stream::encode_all(&dump[..], 3).unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(&dump).unwrap();
    let bz = bz.finish().unwrap();
    let mut xz =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(3)).unwrap();
    xz.write_all(&dump).unwrap();
    let xz = xz.finish().unwrap();
    // Named without their suffixes: the codecs and the dump are recognised by content.
    for (name, bytes) in [("a.zst", zst), ("b.bz2", bz), ("c.xz", xz)] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        with_ctx(|ctx| {
            let r = read(&p, ctx);
            assert_eq!(r.len(), 1, "{}", describe(&r));
            assert_eq!(
                (r[0].format.as_str(), r[0].status),
                ("pg_dump", Status::Scanned),
                "{name}"
            );
            assert_eq!(answer(&r[0].acc), e, "{name}");
        });
    }
}
