//! Generates `fixtures/tabular/`: one table per format and encoding, each with a known answer.
//!
//! Part of `gen_fixtures` (see `examples/gen_fixtures.rs`). A CSV or workbook cannot state its
//! answer in its first line, so `fixtures/tabular/EXPECTED` does it, one line per file (the
//! file name also says how many people it holds); `tests/tabular.rs` scans each file alone and
//! checks it. The people here are disjoint from the text fixtures' by construction (other ID
//! regions, other mobile blocks, another mail domain), except where a file says it shares them.

use std::fmt::Write as _;
use std::path::Path;

use super::{Expect, Rng, id_check, union_pay};

const REGIONS: &[&str] = &["320102", "350203", "610113", "370202", "210102"];
const MOBILE: &[&str] = &["166", "173", "181", "187", "189", "133"];
const SURNAMES: &[&str] = &[
    "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗", "郑", "欧阳",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "桂兰", "志强", "丽", "婷", "晓明", "海燕", "子涵",
];
const STREETS: &[&str] = &[
    "江苏省南京市玄武区中山路",
    "福建省厦门市思明区湖滨南路",
    "陕西省西安市长安区西长安街",
    "山东省青岛市市南区香港中路",
    "辽宁省沈阳市和平区南京北街",
];

struct Person {
    name: String,
    id: String,
    mobile: String,
    email: String,
    address: String,
    card: String,
}

fn person(rng: &mut Rng, i: usize, year: u32) -> Person {
    let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
    let body = format!(
        "{region}{year:04}{:02}{:02}{}",
        1 + rng.below(12),
        1 + rng.below(28),
        rng.digits(3)
    );
    let id = format!("{body}{}", id_check(&body));
    let name = format!(
        "{}{}",
        SURNAMES[rng.below(SURNAMES.len() as u64) as usize],
        GIVEN[rng.below(GIVEN.len() as u64) as usize]
    );
    let mobile = format!(
        "{}{}",
        MOBILE[rng.below(MOBILE.len() as u64) as usize],
        rng.digits(8)
    );
    let address = format!(
        "{}{}号{}室",
        STREETS[rng.below(STREETS.len() as u64) as usize],
        1 + rng.below(300),
        101 + rng.below(20)
    );
    Person {
        name,
        id,
        mobile,
        email: format!("t{i:03}@tabular.example.cn"),
        address,
        card: union_pay(rng),
    }
}

fn people(rng: &mut Rng, from: usize, n: usize) -> Vec<Person> {
    (from..from + n)
        .map(|i| {
            let year = 1960 + rng.below(45) as u32;
            person(rng, i, year)
        })
        .collect()
}

fn csv_bytes(delimiter: u8, rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r).expect("csv row");
    }
    w.into_inner().expect("csv buffer")
}

fn xlsx(sheets: &[(&str, Vec<Vec<Cell>>)], title: Option<&str>) -> Vec<u8> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    // A fixed creation date keeps the file the same byte for byte at every run.
    let when = ExcelDateTime::from_ymd(2026, 1, 1).expect("date");
    wb.set_properties(&DocProperties::new().set_creation_datetime(&when));
    for (si, (name, rows)) in sheets.iter().enumerate() {
        let ws = wb.add_worksheet();
        ws.set_name(*name).expect("sheet name");
        let mut r0 = 0;
        if si == 0
            && let Some(t) = title
        {
            ws.merge_range(0, 0, 0, 5, t, &Format::new())
                .expect("title");
            r0 = 1;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = ((r0 + r) as u32, c as u16);
                match cell {
                    Cell::S(s) => ws.write_string(r, c, s).map(|_| ()),
                    Cell::N(n) => ws.write_number(r, c, *n).map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .expect("cell");
            }
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

#[derive(Clone)]
enum Cell {
    S(String),
    N(f64),
    Empty,
}

fn s(v: &str) -> Cell {
    Cell::S(v.to_string())
}

/// A minimal OpenDocument spreadsheet (no writer crate for ods is worth a dependency).
fn ods(rows: &[Vec<String>]) -> Vec<u8> {
    use std::io::Write;
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="名单">"#,
    );
    for r in rows {
        content.push_str("<table:table-row>");
        for c in r {
            write!(
                content,
                r#"<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>"#
            )
            .unwrap();
        }
        content.push_str("</table:table-row>");
    }
    content.push_str("</table:table></office:spreadsheet></office:body></office:document-content>");
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default();
    z.start_file("mimetype", stored).unwrap();
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    z.start_file("META-INF/manifest.xml", deflated).unwrap();
    z.write_all(manifest.as_bytes()).unwrap();
    z.start_file("content.xml", deflated).unwrap();
    z.write_all(content.as_bytes()).unwrap();
    z.finish().unwrap();
    buf.into_inner()
}

/// Writes every tabular fixture under `dir` and returns the expected totals for the folder
/// (the `EXPECTED` file it writes included).
pub fn generate(dir: &Path) -> Expect {
    std::fs::create_dir_all(dir).expect("create fixtures/tabular");
    let mut rng = Rng(0x7ab1_e5ee_d000_0003);
    let mut lines: Vec<String> = Vec::new();
    let mut total = Expect::default();
    let mut shared = 0;
    let mut put = |name: &str, bytes: Vec<u8>, e: Expect, note: &str| {
        std::fs::write(dir.join(name), bytes).expect("write fixture");
        lines.push(format!(
            "{} {name} {note}",
            e.header().trim_start_matches("# ")
        ));
        total.subjects += e.subjects;
        total.sens45574 += e.sens45574;
        total.sens35273 += e.sens35273;
        total.minors += e.minors;
        total.unidentified += e.unidentified;
        total.records += e.records;
    };

    // customers_10_subjects.csv, UTF-8: 10 people with an ID (2 of them children born 2016),
    // phone, email, name and address; 2 rows with only a name and an address (unidentified).
    let mut ps = people(&mut rng, 0, 10);
    for (i, p) in ps.iter_mut().take(2).enumerate() {
        *p = person(&mut rng, 100 + i, 2016);
    }
    let mut rows = vec![
        ["姓名", "身份证号", "手机号", "邮箱", "地址", "备注"]
            .map(String::from)
            .to_vec(),
    ];
    for p in &ps {
        rows.push(vec![
            p.name.clone(),
            p.id.clone(),
            p.mobile.clone(),
            p.email.clone(),
            p.address.clone(),
            "无".into(),
        ]);
    }
    for _ in 0..2 {
        let q = person(&mut rng, 0, 1980);
        rows.push(vec![
            q.name,
            String::new(),
            String::new(),
            String::new(),
            q.address,
            "多行\n备注".into(),
        ]);
    }
    put(
        "customers_10_subjects.csv",
        csv_bytes(b',', &rows),
        Expect {
            subjects: 10,
            sens45574: 2,
            sens35273: 10,
            minors: 2,
            unidentified: 2,
            records: 12,
        },
        "utf-8 csv with a quoted multi-line field",
    );

    // customers_gbk_10_subjects.csv: what Excel on Chinese Windows writes. Pinyin-initial
    // headers. Its first 3 people are also in hr_roster_14_subjects.xlsx.
    let gbk_people = people(&mut rng, 200, 10);
    let mut rows = vec![
        ["客户姓名", "sfzh", "sjh", "yx", "家庭住址"]
            .map(String::from)
            .to_vec(),
    ];
    for p in &gbk_people {
        rows.push(vec![
            p.name.clone(),
            p.id.clone(),
            p.mobile.clone(),
            p.email.clone(),
            p.address.clone(),
        ]);
    }
    let text = String::from_utf8(csv_bytes(b',', &rows)).unwrap();
    let (gbk, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad, "all fixture text is in GBK");
    put(
        "customers_gbk_10_subjects.csv",
        gbk.into_owned(),
        Expect {
            subjects: 10,
            sens35273: 10,
            records: 10,
            ..Expect::default()
        },
        "gbk csv",
    );

    // contacts_bom_8_subjects.csv: UTF-8 with BOM, `;`-delimited, phone + email; the
    // `email_count` column holds small integers and must not be classified as email.
    let ps = people(&mut rng, 300, 8);
    let mut rows = vec![
        ["name", "mobile", "email", "email_count"]
            .map(String::from)
            .to_vec(),
    ];
    for (i, p) in ps.iter().enumerate() {
        rows.push(vec![
            p.name.clone(),
            p.mobile.clone(),
            p.email.clone(),
            (i % 4).to_string(),
        ]);
    }
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(csv_bytes(b';', &rows));
    put(
        "contacts_bom_8_subjects.csv",
        bytes,
        Expect {
            subjects: 8,
            records: 8,
            ..Expect::default()
        },
        "utf-8 bom, semicolons",
    );

    // unicode_text_6_subjects.txt: Excel's "Unicode Text" export, UTF-16LE with BOM and tabs,
    // named .txt. A bank card makes every record sensitive under both standards.
    let ps = people(&mut rng, 400, 6);
    let mut text = String::from("姓名\t手机号码\t银行卡号\r\n");
    for p in &ps {
        writeln!(text, "{}\t{}\t{}\r", p.name, p.mobile, p.card).unwrap();
    }
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    put(
        "unicode_text_6_subjects.txt",
        bytes,
        Expect {
            subjects: 6,
            sens45574: 6,
            sens35273: 6,
            records: 6,
            ..Expect::default()
        },
        "utf-16le tsv named .txt",
    );

    // users_8_subjects.jsonl: nested paths; 3 users have an order with a card; one phone is a
    // JSON number.
    let ps = people(&mut rng, 500, 8);
    let mut text = String::new();
    for (i, p) in ps.iter().enumerate() {
        let phone = if i == 0 {
            p.mobile.clone()
        } else {
            format!("\"{}\"", p.mobile)
        };
        let orders = if i < 3 {
            format!(
                r#"[{{"order_no":"20{}","card_no":"{}"}}]"#,
                rng.digits(14),
                p.card
            )
        } else {
            "[]".into()
        };
        writeln!(
            text,
            r#"{{"user":{{"name":"{}","contact":{{"phone":{phone},"email":"{}"}}}},"orders":{orders},"vip":true}}"#,
            p.name, p.email
        )
        .unwrap();
    }
    put(
        "users_8_subjects.jsonl",
        text.into_bytes(),
        Expect {
            subjects: 8,
            sens45574: 3,
            sens35273: 3,
            records: 8,
            ..Expect::default()
        },
        "json lines",
    );

    // travellers_5_subjects.json: a top-level array; passport numbers count under the
    // `passport` key (a header hint), the phone is a number.
    let ps = people(&mut rng, 600, 5);
    let items: Vec<String> = ps
        .iter()
        .map(|p| {
            format!(
                r#"{{"passport":"E{}","mobile":{},"name":"{}"}}"#,
                rng.digits(8),
                p.mobile,
                p.name
            )
        })
        .collect();
    put(
        "travellers_5_subjects.json",
        format!("[\n{}\n]\n", items.join(",\n")).into_bytes(),
        Expect {
            subjects: 5,
            sens35273: 5,
            records: 5,
            ..Expect::default()
        },
        "json array",
    );

    // hr_roster_14_subjects.xlsx: a title row above the header; ID as text, phone as a number;
    // staff numbers are small integers. Its first 3 people are customers_gbk's first 3. Sheet
    // 离职 has an ID column stored as numbers (damaged: only the phone keys those 4 people).
    let mut staff: Vec<&Person> = gbk_people.iter().take(3).collect();
    let more = people(&mut rng, 700, 7);
    staff.extend(more.iter());
    let mut rows = vec![
        ["姓名", "身份证号", "手机号", "邮箱", "家庭住址", "工号"]
            .map(s)
            .to_vec(),
    ];
    for (i, p) in staff.iter().enumerate() {
        rows.push(vec![
            s(&p.name),
            s(&p.id),
            Cell::N(p.mobile.parse().unwrap()),
            s(&p.email),
            s(&p.address),
            Cell::N(1001.0 + i as f64),
        ]);
    }
    let left = people(&mut rng, 800, 4);
    let mut rows2 = vec![["name", "id_card", "phone"].map(s).to_vec()];
    for p in &left {
        rows2.push(vec![
            s(&p.name),
            Cell::N(p.id[..17].parse::<f64>().unwrap() * 10.0),
            Cell::N(p.mobile.parse().unwrap()),
        ]);
    }
    rows2.push(vec![s("（以下空白）"), Cell::Empty, Cell::Empty]);
    put(
        "hr_roster_14_subjects.xlsx",
        xlsx(
            &[("员工花名册", rows), ("离职", rows2)],
            Some("2026年员工花名册"),
        ),
        Expect {
            subjects: 14,
            sens35273: 10,
            // title row + 10 staff; 4 leavers + the closing note row.
            records: 16,
            ..Expect::default()
        },
        "xlsx with a title row and a damaged ID column (离职!id_card)",
    );
    shared += 3;

    // payroll_5_subjects.dat: a workbook renamed .dat; cards make every record sensitive.
    let ps = people(&mut rng, 900, 5);
    let mut rows = vec![["姓名", "银行卡号", "手机号"].map(s).to_vec()];
    for p in &ps {
        rows.push(vec![s(&p.name), s(&p.card), s(&p.mobile)]);
    }
    put(
        "payroll_5_subjects.dat",
        xlsx(&[("工资", rows)], None),
        Expect {
            subjects: 5,
            sens45574: 5,
            sens35273: 5,
            records: 5,
            ..Expect::default()
        },
        "xlsx renamed .dat",
    );

    // mailing_3_subjects.xlsm: a macro-enabled workbook name (read as xlsx; no macros needed).
    let ps = people(&mut rng, 1000, 3);
    let mut rows = vec![["邮箱", "地址"].map(s).to_vec()];
    for p in &ps {
        rows.push(vec![s(&p.email), s(&p.address)]);
    }
    put(
        "mailing_3_subjects.xlsm",
        xlsx(&[("Sheet1", rows)], None),
        Expect {
            subjects: 3,
            records: 3,
            ..Expect::default()
        },
        "xlsm",
    );

    // roster_4_subjects.ods: OpenDocument.
    let ps = people(&mut rng, 1100, 4);
    let mut rows = vec![["姓名", "手机号"].map(String::from).to_vec()];
    for p in &ps {
        rows.push(vec![p.name.clone(), p.mobile.clone()]);
    }
    put(
        "roster_4_subjects.ods",
        ods(&rows),
        Expect {
            subjects: 4,
            records: 4,
            ..Expect::default()
        },
        "ods",
    );

    // travel_notes_gbk_3_subjects.txt: plain text in GBK. Passport numbers count only next to
    // their keyword (护照号码), which matches only once the text is decoded.
    let ps = people(&mut rng, 1200, 3);
    let mut text = String::new();
    for p in &ps {
        writeln!(
            text,
            "旅客{}，护照号码：E{}，已登记。",
            p.name,
            rng.digits(8)
        )
        .unwrap();
    }
    text.push_str("备注：零件编号 E12345678 已入库。\n");
    let (gbk, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    put(
        "travel_notes_gbk_3_subjects.txt",
        gbk.into_owned(),
        Expect {
            subjects: 3,
            sens35273: 3,
            records: 4,
            ..Expect::default()
        },
        "gbk plain text",
    );

    // contacts_big5_5_subjects.csv: a Hong Kong or Taiwan office's export in Big5, traditional
    // headers (no header hint names them): the mobile numbers and e-mails are found by their
    // content once the file is read as Big5 (the `.cn` hint alone would have called it GBK).
    // Made last, so that the files above stay as they were.
    let ps = people(&mut rng, 1300, 5);
    let mut rows = vec![["手機", "電郵", "備註"].map(String::from).to_vec()];
    for p in &ps {
        rows.push(vec![
            p.mobile.clone(),
            p.email.clone(),
            "客戶已於門市完成資料核對，聯絡方式經本人確認無誤。".to_string(),
        ]);
    }
    let text = String::from_utf8(csv_bytes(b',', &rows)).unwrap();
    let (big5, _, bad) = encoding_rs::BIG5.encode(&text);
    assert!(!bad, "all fixture text is in Big5");
    put(
        "contacts_big5_5_subjects.csv",
        big5.into_owned(),
        Expect {
            subjects: 5,
            records: 5,
            ..Expect::default()
        },
        "big5 csv",
    );

    total.subjects -= shared;
    total.sens35273 -= shared; // the shared people have their ID in both files
    let mut body = String::from(
        "# Expected answers for fixtures/tabular (written by examples/tabular/mod.rs).\n\
         # Per file: the answer for scanning that file alone.\n",
    );
    for l in &lines {
        writeln!(body, "# {l}").unwrap();
    }
    writeln!(
        body,
        "# {shared} people appear in both customers_gbk and hr_roster."
    )
    .unwrap();
    // The folder's line comes first; this file's own lines are records too (no PI).
    total.records += body.lines().count() as u64 + 1;
    let text = format!("{}\n{body}", total.header());
    std::fs::write(dir.join("EXPECTED"), text).expect("write EXPECTED");
    total
}
