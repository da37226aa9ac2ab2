//! Tabular sources end to end: every fixture of fixtures/tabular gives the answer stated in
//! fixtures/tabular/EXPECTED; fields are classified; bad input of every kind is a precise source
//! error and never a panic; the third-party spreadsheets of ../shared/corpus all open or fail
//! precisely.

use std::io::Write;
use std::path::{Path, PathBuf};

use pipl_scan::classify::ClassifyConfig;
use pipl_scan::detect::{DetectorSet, Standard};
use pipl_scan::inventory::{self, FileResult, Inventory, ScanMeta, Status};
use pipl_scan::read::{Ctx, read_file};
use pipl_scan::sketch::SketchKey;

#[allow(dead_code)]
#[path = "../examples/gen_fixtures.rs"]
mod gen_fixtures;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

struct Env {
    set: DetectorSet,
    key: SketchKey,
}

impl Env {
    fn new() -> Env {
        Env {
            set: DetectorSet::load(None).unwrap(),
            key: SketchKey::random(),
        }
    }

    fn read(&self, path: &Path) -> FileResult {
        let ctx = Ctx::new(
            &self.set,
            &self.key,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        );
        let size = std::fs::metadata(path).unwrap().len();
        read_file(path, size, &ctx)
    }

    fn inventory(&self, files: Vec<FileResult>) -> Inventory {
        let meta = ScanMeta {
            started_at: "2026-11-25T00:00:00Z".into(),
            finished_at: "2026-11-25T00:00:01Z".into(),
            roots: vec!["fixtures/tabular".into()],
            reference_date: "2026-11-25".into(),
            sensitivity: Standard::Gbt45574_2025,
            key_id: self.key.id(),
            lg_k: pipl_scan::sketch::DEFAULT_LG_K,
            walk_errors: Vec::new(),
            classify: ClassifyConfig::default(),
            link_cap: pipl_scan::link::DEFAULT_CAP,
            links_abandoned: None,
            link_spill: None,
            link_sort_entries: 1 << 20,
        };
        inventory::build(&self.set, meta, files)
    }
}

/// `subjects=10 sensitive.gbt45574-2025=2 …` → the six figures, in the generator's order,
/// and the word after them (a file name, in tabular/EXPECTED).
fn parse_expect(line: &str) -> ([u64; 6], Option<String>) {
    let rest = line
        .trim_start_matches('#')
        .trim()
        .strip_prefix("pipl-scan-expect:")
        .expect("an expectation line");
    let mut words = rest.split_whitespace();
    let mut nums = [0u64; 6];
    for n in nums.iter_mut() {
        *n = words
            .next()
            .and_then(|w| w.split_once('='))
            .and_then(|(_, v)| v.parse().ok())
            .expect("a figure");
    }
    (nums, words.next().map(str::to_string))
}

fn figures(f: &FileResult) -> [u64; 6] {
    let a = &f.acc;
    [
        a.subjects.estimate().estimate,
        a.sensitive[Standard::Gbt45574_2025.index()]
            .estimate()
            .estimate,
        a.sensitive[Standard::Gbt35273_2020.index()]
            .estimate()
            .estimate,
        a.minors.estimate().estimate,
        a.unidentified_records,
        a.records,
    ]
}

#[test]
fn committed_fixtures_are_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    gen_fixtures::generate(dir.path());
    let committed = root().join("fixtures/tabular");
    let mut n = 0;
    for entry in std::fs::read_dir(dir.path().join("tabular")).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap();
        let want = std::fs::read(&p).unwrap();
        let have = std::fs::read(committed.join(name))
            .unwrap_or_else(|e| panic!("fixtures/tabular/{name:?}: {e}; run gen_fixtures"));
        assert!(
            want == have,
            "fixtures/tabular/{name:?} is stale; run gen_fixtures"
        );
        n += 1;
    }
    assert_eq!(n, 13, "12 fixtures and EXPECTED");
}

#[test]
fn every_tabular_fixture_gives_its_stated_answer() {
    let env = Env::new();
    let dir = root().join("fixtures/tabular");
    let expected = std::fs::read_to_string(dir.join("EXPECTED")).unwrap();
    let mut checked = 0;
    for line in expected.lines().skip(1) {
        if !line.contains("pipl-scan-expect:") {
            continue;
        }
        let (want, file) = parse_expect(line);
        let file = file.expect("a file name after the figures");
        let r = env.read(&dir.join(&file));
        assert_eq!(r.status, Status::Scanned, "{file}: {:?}", r.reason);
        assert_eq!(
            figures(&r),
            want,
            "{file}: [subjects, s45574, s35273, minors, unidentified, records]"
        );
        checked += 1;
    }
    assert_eq!(checked, 12, "one line per fixture");
    let all = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| env.read(&e.unwrap().path()))
        .collect();
    // The folder as a whole: the 3 people shared by two files count once.
    let (folder, _) = parse_expect(expected.lines().next().unwrap());
    let inv = env.inventory(all);
    let t = &inv.totals;
    let got = [
        t.subjects.estimate,
        t.sensitive_subjects_by_standard["gbt45574-2025"].estimate,
        t.sensitive_subjects_by_standard["gbt35273-2020"].estimate,
        t.minor_subjects.estimate,
        t.unidentified_records,
        t.records,
    ];
    assert_eq!(got, folder);
}

#[test]
fn the_whole_fixture_tree_gives_the_root_expectation() {
    // fixtures/EXPECTED sums the text fixtures and fixtures/tabular (people are disjoint).
    let env = Env::new();
    let files = walkdir::WalkDir::new(root().join("fixtures"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| env.read(e.path()))
        .collect();
    let expected = std::fs::read_to_string(root().join("fixtures/EXPECTED")).unwrap();
    let (want, _) = parse_expect(expected.lines().next().unwrap());
    let t = env.inventory(files).totals;
    let got = [
        t.subjects.estimate,
        t.sensitive_subjects_by_standard["gbt45574-2025"].estimate,
        t.sensitive_subjects_by_standard["gbt35273-2020"].estimate,
        t.minor_subjects.estimate,
        t.unidentified_records,
        t.records,
    ];
    assert_eq!(got, want);
}

#[test]
fn formats_and_encodings_are_told_by_content() {
    let env = Env::new();
    let dir = root().join("fixtures/tabular");
    let cases = [
        ("customers_10_subjects.csv", "csv", Some("utf-8")),
        ("customers_gbk_10_subjects.csv", "csv", Some("gbk")),
        ("contacts_big5_5_subjects.csv", "csv", Some("big5")),
        ("contacts_bom_8_subjects.csv", "csv", Some("utf-8-bom")),
        ("unicode_text_6_subjects.txt", "tsv", Some("utf-16le")),
        ("users_8_subjects.jsonl", "jsonl", Some("utf-8")),
        ("travellers_5_subjects.json", "json", Some("utf-8")),
        ("hr_roster_14_subjects.xlsx", "xlsx", None),
        ("payroll_5_subjects.dat", "xlsx", None),
        ("mailing_3_subjects.xlsm", "xlsm", None),
        ("roster_4_subjects.ods", "ods", None),
        ("travel_notes_gbk_3_subjects.txt", "text", Some("gbk")),
    ];
    for (file, format, encoding) in cases {
        let r = env.read(&dir.join(file));
        assert_eq!(r.format, format, "{file}");
        assert_eq!(r.encoding.as_deref(), encoding, "{file}");
    }
}

fn source<'i>(inv: &'i Inventory, file: &str) -> &'i inventory::SourceEntry {
    inv.sources
        .iter()
        .find(|s| s.path.ends_with(file))
        .unwrap_or_else(|| panic!("{file} in the inventory"))
}

fn classified<'i>(s: &'i inventory::SourceEntry, field: &str) -> Vec<&'i str> {
    s.fields
        .iter()
        .find(|f| f.name == field)
        .map(|f| f.classified_as.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn fields_are_classified_and_damaged_id_columns_reported() {
    let env = Env::new();
    let dir = root().join("fixtures/tabular");
    let files = [
        "customers_10_subjects.csv",
        "customers_gbk_10_subjects.csv",
        "contacts_bom_8_subjects.csv",
        "hr_roster_14_subjects.xlsx",
        "users_8_subjects.jsonl",
    ];
    let inv = env.inventory(files.iter().map(|f| env.read(&dir.join(f))).collect());
    let csv = source(&inv, files[0]);
    assert_eq!(classified(csv, "身份证号"), ["cn-resident-id"]);
    assert_eq!(classified(csv, "手机号"), ["cn-mobile"]);
    assert_eq!(classified(csv, "邮箱"), ["email"]);
    assert_eq!(classified(csv, "姓名"), ["cn-name"]);
    assert_eq!(classified(csv, "地址"), ["address"]);
    assert!(classified(csv, "备注").is_empty());
    // GBK: the Chinese and pinyin headers matched after decoding.
    let gbk = source(&inv, files[1]);
    assert_eq!(classified(gbk, "sfzh"), ["cn-resident-id"]);
    assert_eq!(classified(gbk, "客户姓名"), ["cn-name"]);
    assert_eq!(classified(gbk, "家庭住址"), ["address"]);
    // `email_count` holds small integers: no category, no classification.
    let bom = source(&inv, files[2]);
    assert!(bom.fields.iter().all(|f| f.name != "email_count"));
    assert_eq!(classified(bom, "email"), ["email"]);
    let xlsx = source(&inv, files[3]);
    assert_eq!(
        classified(xlsx, "员工花名册!手机号"),
        ["cn-mobile"],
        "a phone stored as a number"
    );
    assert_eq!(classified(xlsx, "员工花名册!身份证号"), ["cn-resident-id"]);
    // Short hints (姓名, 邮箱) match the header label, not the sheet-prefixed field name.
    assert_eq!(classified(xlsx, "员工花名册!姓名"), ["cn-name"]);
    assert!(classified(xlsx, "员工花名册!工号").is_empty());
    let damaged = xlsx
        .fields
        .iter()
        .find(|f| f.name == "离职!id_card")
        .expect("the damaged column is listed");
    assert!(
        damaged.categories.is_empty(),
        "digits lost: not scanned as IDs"
    );
    let w = damaged.warnings.join(" ");
    assert!(
        w.starts_with("damaged identifier column: 4 of 4 values"),
        "{w}"
    );
    assert!(w.contains("cn-resident-id"), "{w}");
    let jl = source(&inv, files[4]);
    assert_eq!(classified(jl, "user.contact.phone"), ["cn-mobile"]);
    assert_eq!(classified(jl, "orders[].card_no"), ["bank-card"]);
    assert_eq!(classified(jl, "user.name"), ["cn-name"]);
    // No raw value anywhere in the document.
    let text = serde_json::to_string(&inv).unwrap();
    let raw = std::fs::read_to_string(dir.join(files[0])).unwrap();
    let first_id = raw.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    assert_eq!(first_id.len(), 18);
    assert!(!text.contains(first_id));
}

#[test]
fn the_inventory_of_tables_matches_the_schema() {
    let env = Env::new();
    let dir = root().join("fixtures/tabular");
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| env.read(&e.unwrap().path()))
        .collect();
    let inv = serde_json::to_value(env.inventory(files)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/inventory-v1.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&inv).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let has_new_fields = inv["sources"].as_array().unwrap().iter().any(|s| {
        s["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.get("values").is_some() && f.get("warnings").is_some())
    });
    assert!(has_new_fields, "the additions are exercised");
    assert_eq!(inv["scan"]["classification"]["threshold"], 0.6);
}

// ---- bad input ------------------------------------------------------------------------------

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn roster() -> Vec<u8> {
    std::fs::read(root().join("fixtures/tabular/hr_roster_14_subjects.xlsx")).unwrap()
}

#[test]
fn truncated_and_corrupt_xlsx_are_precise_errors() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let full = roster();
    let cut = write(dir.path(), "cut.xlsx", &full[..full.len() / 2]);
    let r = env.read(&cut);
    assert_eq!(r.status, Status::Unreadable);
    let reason = r.reason.unwrap();
    assert!(reason.starts_with("corrupt or truncated xlsx"), "{reason}");

    // A well-formed zip whose first sheet's XML breaks off mid-row.
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default();
        let mut src = zip::ZipArchive::new(std::io::Cursor::new(full.clone())).unwrap();
        for i in 0..src.len() {
            let mut f = src.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            z.start_file(name.as_str(), o).unwrap();
            if name == "xl/worksheets/sheet1.xml" {
                z.write_all(
                    b"<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>99999</v></c>",
                )
                .unwrap();
            } else {
                std::io::copy(&mut f, &mut z).unwrap();
            }
        }
        z.finish().unwrap();
    }
    let bad = write(dir.path(), "bad_sheet.xlsx", &buf.into_inner());
    let r = env.read(&bad);
    assert_ne!(r.status, Status::Scanned);
    let reason = r.reason.unwrap();
    assert!(reason.contains("sheet `员工花名册`"), "{reason}");
}

#[test]
fn an_encrypted_workbook_is_unreadable_with_the_reason() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("secret.xlsx");
    {
        let mut cfb = cfb::create(&p).unwrap();
        cfb.create_stream("/EncryptionInfo")
            .unwrap()
            .write_all(&[4, 0, 4, 0])
            .unwrap();
        cfb.create_stream("/EncryptedPackage")
            .unwrap()
            .write_all(&[0u8; 4096])
            .unwrap();
        cfb.flush().unwrap();
    }
    let r = env.read(&p);
    assert_eq!((r.status, r.format.as_str()), (Status::Unreadable, "xlsx"));
    let reason = r.reason.unwrap();
    assert!(
        reason.starts_with("password-protected (encrypted) workbook"),
        "{reason}"
    );
}

#[test]
fn a_zip_bomb_disguised_as_xlsx_is_refused_before_inflating() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default();
        z.start_file("xl/workbook.xml", o).unwrap();
        z.write_all(b"<workbook/>").unwrap();
        z.start_file("xl/sharedStrings.xml", o).unwrap();
        let blanks = vec![b' '; 1 << 20];
        for _ in 0..48 {
            z.write_all(&blanks).unwrap();
        }
        z.finish().unwrap();
    }
    let bytes = buf.into_inner();
    assert!(bytes.len() < 1 << 20, "the bomb is small on disk");
    let p = write(dir.path(), "bomb.xlsx", &bytes);
    let r = env.read(&p);
    assert_eq!(r.status, Status::Unreadable);
    let reason = r.reason.unwrap();
    assert!(
        reason.starts_with("zip bomb? `xl/sharedStrings.xml` declares 48 MiB"),
        "{reason}"
    );
}

#[test]
fn a_runaway_quote_in_a_large_csv_is_bounded_and_reported() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("name,phone\n张伟,13812345678\n李娜,\"13912345678\n");
    // 10 MiB after the stray quote: past the record cap, so the rest is read as text lines.
    let line = "王芳,13712345678,some padding to make the line longer than it needs to be\n";
    while csv.len() < 10 << 20 {
        csv.push_str(line);
    }
    let p = write(dir.path(), "runaway.csv", csv.as_bytes());
    let r = env.read(&p);
    assert_eq!(r.status, Status::Partial);
    let reason = r.reason.unwrap();
    assert!(
        reason.starts_with("line 3: a quoted field runs past 8 MiB"),
        "{reason}"
    );
    // 13812345678 from the CSV part; 13912345678 and 13712345678 from the text that followed.
    assert_eq!(r.acc.subjects.estimate().estimate, 3);
}

#[test]
fn invalid_gbk_bytes_are_a_precise_source_error() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let text = "姓名,手机号,地址\n张伟,13812345678,北京市朝阳区建国路88号\n李娜,13912345678,上海市浦东新区世纪大道1号\n";
    let mut gbk = encoding_rs::GBK.encode(text).0.into_owned();
    let at = gbk.iter().position(|&b| b == b'\n').unwrap() + 1;
    gbk.insert(at, 0xFF);
    let p = write(dir.path(), "bad.csv", &gbk);
    let r = env.read(&p);
    assert_eq!(
        (r.status, r.encoding.as_deref()),
        (Status::Partial, Some("gbk"))
    );
    let reason = r.reason.unwrap();
    assert_eq!(
        reason,
        format!(
            "1 invalid GBK byte sequence (first at byte offset {at}) replaced with U+FFFD; \
             values containing them may be missed"
        )
    );
    assert_eq!(
        r.acc.subjects.estimate().estimate,
        2,
        "the rest still scanned"
    );
}

#[test]
fn truncated_json_keeps_the_records_before_the_break() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "cut.json",
        b"[\n{\"mobile\":\"13812345678\"},\n{\"mobile\":\"13912345678\",\"email\":\"a@exa",
    );
    let r = env.read(&p);
    assert_eq!(r.status, Status::Partial);
    let reason = r.reason.unwrap();
    assert!(
        reason.starts_with("the JSON ends mid-document at line 3"),
        "{reason}"
    );
    assert_eq!(r.acc.subjects.estimate().estimate, 1);
}

// ---- third-party spreadsheets ---------------------------------------------------------------

#[test]
fn every_corpus_spreadsheet_opens_or_fails_precisely() {
    let dir = root().join("../shared/corpus/spreadsheets");
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let env = Env::new();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let r = env.read(&p);
        n += 1;
        match r.status {
            Status::Scanned => assert!(r.reason.is_none(), "{name}"),
            _ => {
                let reason = r.reason.unwrap_or_default();
                assert!(
                    reason.starts_with("password-protected")
                        || reason.starts_with("corrupt")
                        || reason.starts_with("zip bomb?")
                        || reason.starts_with("stopped at"),
                    "{name}: imprecise: {reason}"
                );
            }
        }
        if name.starts_with("pass_protected") {
            assert_eq!(r.status, Status::Unreadable, "{name}");
        }
        if name == "issue_594_dos.ods" {
            assert_ne!(
                r.status,
                Status::Scanned,
                "the cell-bomb ods must be refused"
            );
        }
        // The corpus spreadsheets hold no personal data.
        assert_eq!(r.acc.subjects.estimate().estimate, 0, "{name}");
    }
    assert!(n >= 20, "{n} files");
}
