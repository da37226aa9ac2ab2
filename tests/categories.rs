//! The sensitive categories without a format, end to end: generated tables — a payroll, a
//! clinic export, GPS tracks — give the right sensitive people per standard and name their
//! categories in the inventory; look-alike tables (a product list, store coordinates, a coding
//! table, company registrations, a text that merely says 诊断) give none. The generated docs
//! table of detectors (docs/detectors.md) is kept equal to the detector files.

use std::fmt::Write as _;
use std::path::Path;

use pipl_scan::classify::ClassifyConfig;
use pipl_scan::detect::{DetectorSet, Standard};
use pipl_scan::inventory::{self, Inventory, ScanMeta, SourceEntry};
use pipl_scan::read::{Ctx, read_file};
use pipl_scan::sketch::SketchKey;

/// An 18-character resident ID for person `i` (Beijing Dongcheng, born 1980–1999), with its
/// MOD 11-2 check character.
fn resident_id(i: usize) -> String {
    let body = format!(
        "110101{:04}{:02}{:02}{:03}",
        1980 + i % 20,
        1 + i % 12,
        1 + i % 28,
        i % 1000
    );
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// A Luhn-valid 19-digit UnionPay debit card for person `i`.
fn card(i: usize) -> String {
    let body = format!("622202{:012}", 100_000 + i * 7919);
    let digits: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(k, &d)| {
            if k % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn mobile(i: usize) -> String {
    format!("139{:08}", 10_000_000 + i * 37)
}

const SURNAMES: [&str; 8] = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄"];
const GIVEN: [&str; 8] = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇"];

fn name(i: usize) -> String {
    format!(
        "{}{}{}",
        SURNAMES[i % 8],
        GIVEN[(i / 8) % 8],
        GIVEN[(i / 3) % 8]
    )
}

/// Scans the files of `dir` into one inventory (reference date 2026-11-25).
fn scan(dir: &Path) -> Inventory {
    let set = DetectorSet::load(None).unwrap();
    let key = SketchKey::random();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let ctx = Ctx::new(&set, &key, day);
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let size = std::fs::metadata(&p).unwrap().len();
        files.push(read_file(&p, size, &ctx));
    }
    let meta = ScanMeta {
        started_at: "2026-11-25T00:00:00Z".into(),
        finished_at: "2026-11-25T00:00:01Z".into(),
        roots: vec![dir.display().to_string()],
        reference_date: "2026-11-25".into(),
        sensitivity: Standard::Gbt45574_2025,
        key_id: key.id(),
        lg_k: pipl_scan::sketch::DEFAULT_LG_K,
        walk_errors: Vec::new(),
        classify: ClassifyConfig::default(),
        link_cap: pipl_scan::link::DEFAULT_CAP,
        links_abandoned: None,
        link_spill: None,
        link_sort_entries: 1 << 20,
    };
    inventory::build(&set, meta, files)
}

fn source<'a>(inv: &'a Inventory, file: &str) -> &'a SourceEntry {
    inv.sources
        .iter()
        .find(|s| s.path.ends_with(file))
        .unwrap_or_else(|| panic!("{file} not in the inventory"))
}

/// People, then sensitive people under GB/T 45574-2025 and GB/T 35273-2020, of one source.
fn people(s: &SourceEntry) -> (u64, u64, u64) {
    let p = s.people.as_ref().expect("a linked people count");
    let by = |st: Standard| p.sensitive_by_standard.get(st.id()).copied().unwrap_or(0);
    (
        p.people,
        by(Standard::Gbt45574_2025),
        by(Standard::Gbt35273_2020),
    )
}

/// The detector ids found in a source, sorted.
fn detectors(s: &SourceEntry) -> Vec<String> {
    let mut v: Vec<String> = s.categories.iter().map(|c| c.detector.clone()).collect();
    v.sort();
    v
}

/// The categories (as named in the inventory) found in a source, deduplicated.
fn categories(s: &SourceEntry) -> Vec<String> {
    let mut v: Vec<String> = s.categories.iter().map(|c| c.category.clone()).collect();
    v.sort();
    v.dedup();
    v
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

#[test]
fn sensitive_tables_count_their_people_per_category_and_standard() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // A payroll: 40 employees, resident ID, salary card and salary.
    let mut payroll = String::from("姓名,身份证号,工资卡号,实发工资,部门\n");
    for i in 0..40 {
        writeln!(
            payroll,
            "{},{},{},{}.00,研发部",
            name(i),
            resident_id(i),
            card(i),
            8000 + i * 37
        )
        .unwrap();
    }
    write(d, "payroll_2026-11.csv", &payroll);

    // A clinic export: 30 patients, phone, diagnosis and drug.
    const DX: [&str; 5] = [
        "2型糖尿病",
        "高血压2级",
        "慢性浅表性胃炎",
        "支气管哮喘",
        "E11.9",
    ];
    const DRUG: [&str; 5] = [
        "二甲双胍缓释片 0.5g",
        "苯磺酸氨氯地平片 5mg",
        "奥美拉唑肠溶胶囊",
        "布地奈德吸入剂",
        "阿卡波糖片",
    ];
    let mut clinic = String::from("患者姓名,联系电话,诊断,用药,就诊日期\n");
    for i in 0..30 {
        writeln!(
            clinic,
            "{},{},{},{},2026-11-{:02}",
            name(i + 100),
            mobile(i + 100),
            DX[i % 5],
            DRUG[i % 5],
            1 + i % 28
        )
        .unwrap();
    }
    write(d, "clinic_export.csv", &clinic);

    // GPS tracks: 12 riders, 10 points each, 6 decimals.
    let mut gps = String::from("手机号,时间,纬度,经度\n");
    for i in 0..12 {
        for k in 0..10 {
            writeln!(
                gps,
                "{},2026-11-20 08:{:02}:00,{:.6},{:.6}",
                mobile(i + 200),
                k * 5,
                39.904211 + (i * 10 + k) as f64 * 0.000731,
                116.407395 + (i * 10 + k) as f64 * 0.000517
            )
            .unwrap();
        }
    }
    write(d, "ride_tracks.csv", &gps);

    // Balances: sensitive under GB/T 35273-2020 only (GB/T 45574-2025 dropped deposits), and
    // the bare ID number is sensitive under 35273 only too.
    let mut balances = String::from("客户姓名,身份证号,账户余额\n");
    for i in 0..25 {
        writeln!(
            balances,
            "{},{},{}.18",
            name(i + 300),
            resident_id(i + 300),
            1000 + i * 311
        )
        .unwrap();
    }
    write(d, "balances.csv", &balances);

    let inv = scan(d);

    let s = source(&inv, "payroll_2026-11.csv");
    assert_eq!(people(s), (40, 40, 40), "payroll");
    let found = detectors(s);
    for id in ["bank-card", "cn-name", "cn-resident-id", "income"] {
        assert!(
            found.contains(&id.to_string()),
            "payroll: {id} in {found:?}"
        );
    }
    assert!(categories(s).contains(&"financial-account".to_string()));

    let s = source(&inv, "clinic_export.csv");
    assert_eq!(people(s), (30, 30, 30), "clinic");
    let found = detectors(s);
    for id in ["health-record", "medication", "cn-mobile"] {
        assert!(found.contains(&id.to_string()), "clinic: {id} in {found:?}");
    }
    assert_eq!(
        s.categories
            .iter()
            .filter(|c| c.category == "medical-health")
            .map(|c| c.matches)
            .sum::<u64>(),
        60,
        "a diagnosis and a drug per row"
    );

    let s = source(&inv, "ride_tracks.csv");
    assert_eq!(people(s), (12, 12, 12), "tracks: 12 riders, not 120 points");
    assert_eq!(categories(s), ["contact", "whereabouts"]);

    let s = source(&inv, "balances.csv");
    assert_eq!(
        people(s),
        (25, 0, 25),
        "deposits: sensitive under 35273 only"
    );
    assert!(detectors(s).contains(&"deposit-balance".to_string()));

    // Subjects per sensitive category and standard (HyperLogLog: exact at these sizes).
    let by = |cat: &str, st: Standard| {
        inv.totals
            .sensitive_subjects_by_category
            .get(cat)
            .and_then(|m| m.get(st.id()))
            .map_or(0, |c| c.estimate)
    };
    let (g45, g35) = (Standard::Gbt45574_2025, Standard::Gbt35273_2020);
    // Payroll (card, salary) under both; balances under GB/T 35273-2020 only.
    assert_eq!(by("financial-account", g45), 40);
    assert_eq!(by("financial-account", g35), 65);
    assert_eq!(by("medical-health", g45), 30);
    assert_eq!(by("medical-health", g35), 30);
    assert_eq!(by("whereabouts", g45), 12);
    assert_eq!(by("whereabouts", g35), 12);
    // Bare ID numbers: sensitive under GB/T 35273-2020 only (payroll and balances).
    assert_eq!(by("identity-document", g45), 0);
    assert_eq!(by("identity-document", g35), 65);
    let clinic = source(&inv, "clinic_export.csv");
    assert_eq!(
        clinic
            .sensitive_subjects_by_category
            .keys()
            .collect::<Vec<_>>(),
        ["medical-health"]
    );

    let p = inv.totals.people.as_ref().unwrap();
    assert_eq!(p.people, 40 + 30 + 12 + 25);
    assert_eq!(p.sensitive_by_standard[Standard::Gbt45574_2025.id()], 82);
    assert_eq!(p.sensitive_by_standard[Standard::Gbt35273_2020.id()], 107);
}

#[test]
fn look_alike_tables_give_no_sensitive_people() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // Products with prices and stock, and phones in stock with their IMEIs: nothing personal
    // (an IMEI is PI only beside a person's data).
    let mut products = String::from("SKU,商品名称,价格,库存,IMEI\n");
    const IMEIS: [&str; 2] = ["356938035643809", "490154203237518"];
    for i in 0..50 {
        writeln!(
            products,
            "SKU{:05},阿莫西林胶囊 {}粒,{}.{:02},{},{}",
            i,
            12 + i % 12,
            20 + i,
            i % 100,
            i * 10,
            IMEIS[i % 2]
        )
        .unwrap();
    }
    write(d, "products.csv", &products);

    // Store coordinates with 2 decimals (about 1 km) and a store hotline: coarse places of a
    // business, not anyone's whereabouts.
    let mut stores = String::from("门店,纬度,经度,lat,lng\n");
    for i in 0..30 {
        let (lat, lng) = (22.5 + (i as f64) * 0.01, 114.05 + (i as f64) * 0.01);
        writeln!(stores, "店{i},{lat:.2},{lng:.2},{lat:.2},{lng:.2}").unwrap();
    }
    write(d, "stores.csv", &stores);

    // A coding table: a column named diagnosis_code_version and diagnosis names as reference
    // data, no person anywhere.
    let mut coding = String::from("diagnosis_code_version,released,icd_chapter\n");
    for i in 0..20 {
        writeln!(coding, "ICD-10 v{},{},E00-E90", 2010 + i, 2010 + i).unwrap();
    }
    write(d, "coding.csv", &coding);

    // Company registrations: Unified Social Credit Codes are business data.
    write(
        d,
        "companies.csv",
        "公司名称,统一社会信用代码\n某某科技有限公司,91110000600037341L\n某某贸易有限公司,91310115MA1K3BTP2B\n某某电子有限公司,9144030071526726XG\n",
    );

    // Meeting notes that mention 诊断 and 工资 with no value, and a mobile number.
    write(
        d,
        "notes.txt",
        "会议纪要：讨论诊断流程与工资发放流程的改进。\n联系人手机 13912345678\n诊断\n",
    );

    let inv = scan(d);
    for file in ["products.csv", "stores.csv", "coding.csv", "companies.csv"] {
        let s = source(&inv, file);
        let found = detectors(s);
        assert!(
            found.iter().all(|id| id == "cn-uscc" || id == "imei"),
            "{file}: no PI expected, found {found:?}"
        );
        assert_eq!(s.unidentified_records, 0, "{file}");
        if let Some(p) = &s.people {
            assert_eq!(p.people, 0, "{file}");
        }
    }
    assert_eq!(detectors(source(&inv, "products.csv")), ["imei"]);
    let companies = source(&inv, "companies.csv");
    assert_eq!(detectors(companies), ["cn-uscc"]);
    let uscc = &companies.categories[0];
    assert!(!uscc.personal && uscc.category == "organisation");
    assert_eq!(uscc.matches, 3);

    let notes = source(&inv, "notes.txt");
    assert_eq!(detectors(notes), ["cn-mobile"]);
    assert_eq!(people(notes), (1, 0, 0), "a bare 诊断 is no diagnosis");

    let p = inv.totals.people.as_ref().unwrap();
    assert_eq!(p.people, 1);
    assert_eq!(p.sensitive, 0);
    assert!(inv.totals.sensitive_subjects_by_category.is_empty());
}

/// Diagnosis names in free text: case notes and an HR log name people and their diagnoses in
/// sentences (counted, sensitive under both standards); a health news page names diseases and
/// statistics and a team chat says 不感冒 beside a phone number (nothing counted).
#[test]
fn diagnoses_in_free_text_count_beside_a_person_not_in_the_news() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut notes = String::new();
    const SAID: [&str; 4] = [
        "诊断为2型糖尿病，建议控制饮食",
        "既往有高血压病史五年",
        "确诊患有抑郁症，申请病假两周",
        "was diagnosed with asthma last spring",
    ];
    for i in 0..40 {
        writeln!(
            notes,
            "{} 手机 {}：{}",
            name(i),
            mobile(i),
            SAID[i % SAID.len()]
        )
        .unwrap();
    }
    // Ten more people with no diagnosis.
    for i in 40..50 {
        writeln!(notes, "{} 手机 {}：按时复诊，情况良好", name(i), mobile(i)).unwrap();
    }
    write(d, "case-notes.txt", &notes);

    let news = "健康资讯：全国约有1.4亿人患有糖尿病，专家提醒注意预防。
        该市昨日新增确诊肺炎病例12例。
        高血压的预防与治疗——科普讲座
        The prevalence of diabetes worldwide is rising; 10 million cases of asthma.
        咨询热线 13912345678
";
    write(d, "news.txt", news);
    write(
        d,
        "chat.log",
        "2026-11-20 10:00 王芳 13987654321: 我对足球不感冒，周末加班
",
    );

    let inv = scan(d);
    let s = source(&inv, "case-notes.txt");
    assert!(
        detectors(s).contains(&"diagnosis-name".to_string()),
        "{:?}",
        detectors(s)
    );
    assert_eq!(people(s), (50, 40, 40));
    assert!(categories(s).contains(&"medical-health".to_string()));
    let dn = s
        .categories
        .iter()
        .find(|c| c.detector == "diagnosis-name")
        .unwrap();
    assert_eq!(dn.matches, 40);
    for file in ["news.txt", "chat.log"] {
        let s = source(&inv, file);
        assert_eq!(detectors(s), ["cn-mobile"], "{file}");
        assert_eq!(people(s), (1, 0, 0), "{file}");
    }
}

#[test]
fn identifiers_of_other_places_key_their_people() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Hong Kong and Taiwan IDs are subject keys; IMEIs, plates and IPs are PI but no key.
    write(
        d,
        "gba_staff.csv",
        "姓名,香港身份证,IMEI,车牌号,登录IP\n\
         陈大文,A123456(3),356938035643809,粤B·D12345,36.110.25.8\n\
         李小明,G123456(A),490154203237518,京A12345,114.114.114.114\n",
    );
    write(
        d,
        "tw_staff.csv",
        "姓名,身分證字號,电话\n王美丽,A123456789,010-62345678\n林志明,F131104093,0755-23456789\n",
    );
    let inv = scan(d);
    let s = source(&inv, "gba_staff.csv");
    assert_eq!(people(s).0, 2);
    let found = detectors(s);
    for id in ["hk-id", "imei", "cn-plate", "ip-address"] {
        assert!(found.contains(&id.to_string()), "{id} in {found:?}");
    }
    // Bare document numbers: sensitive under GB/T 35273-2020 only.
    assert_eq!(people(s), (2, 0, 2));
    let s = source(&inv, "tw_staff.csv");
    assert_eq!(people(s), (2, 0, 2));
    assert!(detectors(s).contains(&"cn-landline".to_string()));
}

/// docs/detectors.md holds the catalogue table generated from the detector files; this keeps
/// them equal. Regenerate with
/// `PIPL_SCAN_UPDATE_DOCS=1 cargo test --test categories docs_detector_table`.
#[test]
fn docs_detector_table_matches_the_detector_files() {
    const BEGIN: &str = "<!-- detectors:begin (generated: see below) -->\n";
    const END: &str = "<!-- detectors:end -->";
    let set = DetectorSet::load(None).unwrap();
    let table = pipl_scan::cli::detectors::markdown(&set);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/detectors.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/detectors.md: the {BEGIN:?} … {END:?} markers are missing");
    };
    let current = &doc[b + BEGIN.len()..e];
    if current != table {
        if std::env::var_os("PIPL_SCAN_UPDATE_DOCS").is_some() {
            let updated = format!("{}{table}{}", &doc[..b + BEGIN.len()], &doc[e..]);
            std::fs::write(&path, updated).unwrap();
            return;
        }
        panic!(
            "docs/detectors.md is out of date with detectors/*.toml: run \
             `PIPL_SCAN_UPDATE_DOCS=1 cargo test --test categories docs_detector_table` \
             (or paste `pipl-scan detectors list --markdown`)"
        );
    }
}
