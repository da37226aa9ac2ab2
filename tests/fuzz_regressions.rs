//! Inputs the fuzz targets in `fuzz/` found to crash, hang or exhaust memory (see
//! docs/scanning.md, "Fuzzing"), each rebuilt here from a file this test makes, with the damage
//! the fuzzer found: each must now be an error on that file, never an abort of the scan.

use std::io::{Cursor, Write};
use std::path::Path;

use pipl_scan::detect::DetectorSet;
use pipl_scan::inventory::Status;
use pipl_scan::read::format::{Format, SheetKind};
use pipl_scan::read::{Ctx, read_bytes, sheet, sqlite};
use pipl_scan::sketch::SketchKey;

fn with_ctx<T>(f: impl FnOnce(&Ctx) -> T) -> T {
    let set = DetectorSet::load(None).expect("detectors");
    let key = SketchKey::random();
    let ctx = Ctx::new(
        &set,
        &key,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    );
    f(&ctx)
}

/// A SQLite database whose schema names a column with bytes that are not UTF-8 (`nam\xAD`):
/// rusqlite's `column_names` panicked on it inside SQLite's call and the process aborted
/// (`sqlite` target). The table is now scanned, the column under a lossy name.
#[test]
fn sqlite_column_name_not_utf8_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE t(namx TEXT, phone TEXT);
         INSERT INTO t VALUES ('a', '13800138000'), ('b', '13900139000');",
    )
    .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = memchr::memmem::find(&bytes, b"namx TEXT").expect("the schema's text");
    bytes[at + 3] = 0xAD;
    let db = sqlite::open_bytes(&bytes).expect("a valid database");
    with_ctx(|ctx| {
        let (acc, err) = sqlite::scan(&db, ctx);
        assert_eq!(err, None);
        assert_eq!(acc.records, 2);
        assert!(acc.has_findings(), "the phone column is scanned");
    });
}

/// An xls (OLE compound) file whose directory chain loops back on itself: calamine followed it
/// without end, allocating until the process aborted (`sheet` target: 29 KB → 2 GiB). It is now
/// `unreadable`, with the reason.
#[test]
fn xls_with_a_looping_sector_chain_is_unreadable() {
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    let mut s = cf.create_stream("Workbook").unwrap();
    s.write_all(&[0u8; 8192]).unwrap();
    drop(s);
    cf.flush().unwrap();
    let mut bytes = cf.into_inner().into_inner();
    let u32_at = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as usize;
    let sector = 1usize << u16::from_le_bytes([bytes[0x1E], bytes[0x1F]]);
    let dir_start = u32_at(&bytes, 0x30);
    let first_fat = u32_at(&bytes, 0x4C);
    // The directory's sector is followed by itself.
    let entry = (first_fat + 1) * sector + 4 * dir_start;
    bytes[entry..entry + 4].copy_from_slice(&(dir_start as u32).to_le_bytes());
    with_ctx(|ctx| {
        let out = sheet::read_container(&bytes, Format::Sheet(SheetKind::Xls), ctx);
        assert_eq!(out.status, Status::Unreadable);
        let problem = out.problem.expect("a reason");
        assert!(problem.starts_with("corrupt xls"), "{problem}");
        // Through the entry point a scan uses, under an `.xls` name.
        let out = read_bytes(Path::new("loop.xls"), &bytes, ctx, &|_, _| {});
        assert_ne!(out.status, Status::Scanned, "{:?}", out.problem);
        assert!(out.problem.is_some());
    });
}

/// A damaged PDF without a cross-reference table whose first object has many short lines
/// (`any` target: a mutated 381 KB corpus PDF, 5.9 s in a release build, minutes in a debug
/// one): pdf_oxide rebuilds the table, loading objects in the order of their numbers until the
/// catalog, and searches each for `endobj` after every line it reads, quadratic in the lines.
/// This one took 28 s (debug) with the catalog after the long object, 95 s without a catalog.
/// The cost is now worked out before pdf_oxide is called; past the budget the file is
/// `unreadable` at once, with the figures. With the catalog first, pdf_oxide never loads the
/// long object (26 ms): it is still handed to pdf_oxide.
#[test]
fn pdf_whose_rebuilt_xref_would_be_quadratic_is_refused_quickly() {
    let long = || {
        let mut b = b"<< /Length 40000 >>\nstream\n".to_vec();
        b.extend_from_slice(&b"x\n".repeat(20_000));
        b.extend_from_slice(b"endstream\nendobj\n");
        b
    };
    let catalog = |n: u8| format!("{n} 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\n");
    let mut late = b"%PDF-1.3\n1 0 obj\n".to_vec();
    late.extend(long());
    late.extend(catalog(2).bytes());
    late.extend_from_slice(b"%%EOF\n");
    let mut first = b"%PDF-1.3\n".to_vec();
    first.extend(catalog(1).bytes());
    first.extend_from_slice(b"2 0 obj\n");
    first.extend(long());
    first.extend_from_slice(b"%%EOF\n");
    with_ctx(|ctx| {
        let started = std::time::Instant::now();
        let out = read_bytes(Path::new("broken.pdf"), &late, ctx, &|_, _| {});
        let took = started.elapsed();
        assert_eq!(out.status, Status::Unreadable, "{:?}", out.problem);
        let problem = out.problem.expect("a reason");
        assert!(
            problem.contains(
                "rebuilding it would take too long: the PDF parser (pdf_oxide) would search at \
                 least 1 object(s) for `endobj` after each of their lines, more than 400800167 \
                 byte comparisons, past the limit of 268435456 (the largest object: at offset 9, \
                 40051 bytes in 20005 lines, 400800167); not read"
            ),
            "{problem}"
        );
        assert!(took < std::time::Duration::from_secs(5), "{took:?}");
        let out = read_bytes(Path::new("broken.pdf"), &first, ctx, &|_, _| {});
        assert!(
            !out.problem
                .as_deref()
                .unwrap_or_default()
                .contains("would take too long"),
            "{:?}",
            out.problem
        );
    });
}
