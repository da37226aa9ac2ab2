//! Generates `fixtures/`: small synthetic inputs whose expected answers are known by construction.
//!
//! Run `cargo run --example gen_fixtures` after changing it; `tests/fixtures.rs` checks that the
//! committed files are exactly what this program writes and that scanning each one gives the
//! answer stated in its first line. The identifiers are computed here with their own check-digit
//! code (not the scanner's), so a bug in the scanner's validators cannot hide in the fixtures.
//! All people are fictitious; the numbers are random but valid in form.

use std::fmt::Write as _;
use std::path::Path;

#[path = "tabular/mod.rs"]
mod tabular;

/// xorshift64*: deterministic, so the fixtures are reproducible byte for byte.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

const REGIONS: &[&str] = &["110105", "310115", "440305", "510107", "330106", "420111"];
const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];
const GIVEN: &[&str] = &["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军"];
const MOBILE_PREFIXES: &[&str] = &["138", "139", "150", "186", "177", "199", "135", "158"];

/// ISO 7064 MOD 11-2 check character of the first 17 digits (GB 11643-1999).
fn id_check(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

fn resident_id(rng: &mut Rng, year: u32) -> String {
    let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
    let month = 1 + rng.below(12);
    let day = 1 + rng.below(28);
    let body = format!("{region}{year:04}{month:02}{day:02}{}", rng.digits(3));
    let c = id_check(&body);
    format!("{body}{c}")
}

fn mobile(rng: &mut Rng) -> String {
    let p = MOBILE_PREFIXES[rng.below(MOBILE_PREFIXES.len() as u64) as usize];
    format!("{p}{}", rng.digits(8))
}

fn name(rng: &mut Rng) -> String {
    format!(
        "{}{}",
        SURNAMES[rng.below(10) as usize],
        GIVEN[rng.below(10) as usize]
    )
}

/// A UnionPay (62) card number of 16 or 19 digits with a valid Luhn check digit.
fn union_pay(rng: &mut Rng) -> String {
    let len = if rng.below(2) == 0 { 16 } else { 19 };
    let body = format!("62{}", rng.digits(len - 3));
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn group4(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The answer a fixture states in its first line.
#[derive(Default, Clone, Copy)]
struct Expect {
    subjects: u64,
    sens45574: u64,
    sens35273: u64,
    minors: u64,
    unidentified: u64,
    records: u64,
}

impl Expect {
    fn header(&self) -> String {
        format!(
            "# pipl-scan-expect: subjects={} sensitive.gbt45574-2025={} sensitive.gbt35273-2020={} minors={} unidentified={} records={}",
            self.subjects,
            self.sens45574,
            self.sens35273,
            self.minors,
            self.unidentified,
            self.records
        )
    }
}

/// Writes a fixture: the expectation line, then `lines`; `records` counts the header line too.
fn write(dir: &Path, name: &str, mut e: Expect, lines: &[String]) -> Expect {
    e.records = lines.len() as u64 + 1;
    let mut text = e.header();
    text.push('\n');
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(dir.join(name), text).expect("write fixture");
    e
}

fn main() {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures").to_string());
    generate(Path::new(&root));
}

/// Writes every fixture under `root` (the tests call this too, to check the committed copy).
pub fn generate(root: &Path) {
    let dir = root.join("text");
    std::fs::create_dir_all(&dir).expect("create fixtures/text");
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut summary = String::new();

    // customers_zh.txt: 30 people with an ID (2 of them children born 2015), each with a phone
    // and an email, and 7 people known only by a phone; the first 8 people appear twice.
    let mut lines = Vec::new();
    let mut people = Vec::new();
    for i in 0..30 {
        let year = if i < 2 {
            2015
        } else {
            1960 + rng.below(45) as u32
        };
        let id = resident_id(&mut rng, year);
        let m = mobile(&mut rng);
        let email = format!("user{i:02}@example.com");
        people.push((name(&mut rng), id, m, email));
    }
    for (n, id, m, email) in &people {
        lines.push(format!("客户：{n}，身份证号{id}，电话{m}，邮箱{email}"));
    }
    let phone_only: Vec<String> = (0..7).map(|_| mobile(&mut rng)).collect();
    for m in &phone_only {
        lines.push(format!("联系人电话：{m}，无其他信息"));
    }
    for (n, id, m, _) in people.iter().take(8) {
        lines.push(format!("复购客户 {n} 证件号码:{id} 手机号 {m}"));
    }
    lines.push("备注：本文件为测试数据，均为虚构。".to_string());
    let customers = write(
        &dir,
        "customers_zh.txt",
        Expect {
            subjects: 37,
            sens45574: 2,
            sens35273: 30,
            minors: 2,
            ..Expect::default()
        },
        &lines,
    );
    writeln!(summary, "customers_zh.txt subjects=37").unwrap();

    // app.log: the 7 phone-only people again, each phone written in a different format (so
    // normalisation must bring them together), plus 20 people known only by email, one of them
    // written in upper case once. Five lines mention only an email of a person that has one.
    let mut lines = Vec::new();
    let formats = |m: &str, k: usize| match k % 5 {
        0 => format!("+86 {}-{}-{}", &m[..3], &m[3..7], &m[7..]),
        1 => format!("0086{m}"),
        2 => format!("{} {} {}", &m[..3], &m[3..7], &m[7..]),
        3 => format!("+86{m}"),
        _ => m.to_string(),
    };
    for (k, m) in phone_only.iter().enumerate() {
        lines.push(format!(
            "2026-11-02T08:{k:02}:00Z INFO sms.send to={} status=ok",
            formats(m, k)
        ));
    }
    for i in 0..20 {
        lines.push(format!(
            "2026-11-02T09:{i:02}:13Z INFO login ok user=applog{i:02}@corp.example.cn ip=10.0.0.{i}"
        ));
    }
    lines.push("2026-11-02T10:00:00Z WARN retry user=APPLOG03@CORP.EXAMPLE.CN".to_string());
    for i in 0..5 {
        lines.push(format!(
            "2026-11-02T10:0{i}:30Z INFO password reset mail sent to applog1{i}@corp.example.cn"
        ));
    }
    lines.push("2026-11-02T11:00:00Z INFO request_id=20231231235959 latency_ms=12".to_string());
    let applog = write(
        &dir,
        "app.log",
        Expect {
            subjects: 27,
            ..Expect::default()
        },
        &lines,
    );
    writeln!(
        summary,
        "app.log subjects=27 (7 shared with customers_zh.txt)"
    )
    .unwrap();

    // payments.txt: 12 people with a UnionPay card and a phone; bank cards are sensitive under
    // both standards. Order numbers are 16-digit runs that are not card numbers (prefix 20).
    let mut lines = Vec::new();
    for i in 0..12 {
        let card = union_pay(&mut rng);
        let card_txt = if i % 3 == 0 { group4(&card) } else { card };
        let m = mobile(&mut rng);
        lines.push(format!(
            "订单 20{} 付款银行卡 {card_txt} 收货手机{m} 金额 {}.00",
            rng.digits(14),
            10 + rng.below(900)
        ));
    }
    lines.push("card on file: none; order 2026110200000001 cancelled".to_string());
    let payments = write(
        &dir,
        "payments.txt",
        Expect {
            subjects: 12,
            sens45574: 12,
            sens35273: 12,
            ..Expect::default()
        },
        &lines,
    );
    writeln!(summary, "payments.txt subjects=12").unwrap();

    // documents_zh.txt: travel documents, which count only next to a keyword; a legacy 15-digit
    // ID that is the same person as an 18-digit one (normalisation upgrades it); and a line of
    // PI-free document-shaped numbers without keywords.
    let mut lines = Vec::new();
    let passports: Vec<String> = (0..4).map(|_| format!("E{}", rng.digits(8))).collect();
    for (i, p) in passports.iter().enumerate() {
        lines.push(format!("旅客{i}：护照号码{p}，国籍中国"));
    }
    let hk: Vec<String> = (0..3).map(|_| format!("H{}", rng.digits(8))).collect();
    for h in &hk {
        lines.push(format!("港澳居民来往内地通行证（回乡证）：{h}"));
    }
    let tw = format!("{}", 10_000_000 + rng.below(89_999_999));
    lines.push(format!("台胞证号码 {tw}"));
    // 15-digit legacy form of an ID born 1965: region + YYMMDD + sequence.
    let body17 = format!("440305196507{:02}{}", 10 + rng.below(18), rng.digits(3));
    let id18 = format!("{body17}{}", id_check(&body17));
    let id15 = format!("{}{}", &body17[..6], &body17[8..17]);
    lines.push(format!("老身份证号码：{id15}（一代证）"));
    lines.push(format!("新身份证号码：{id18}"));
    lines.push(format!(
        "零件编号 E{} 批次 H{} 型号 C{} 数量 {}",
        rng.digits(8),
        rng.digits(8),
        rng.digits(8),
        rng.digits(8)
    ));
    let documents = write(
        &dir,
        "documents_zh.txt",
        Expect {
            subjects: 9,
            sens45574: 0,
            sens35273: 9,
            ..Expect::default()
        },
        &lines,
    );
    writeln!(summary, "documents_zh.txt subjects=9").unwrap();

    // false_positives.txt: number-shaped things that are not PI. Expect nothing at all.
    let mut bad_id = resident_id(&mut rng, 1980);
    let last = if bad_id.ends_with('0') { '1' } else { '0' };
    bad_id.pop();
    bad_id.push(last);
    let lines = vec![
        format!("part E{} shipped; no owner", rng.digits(8)),
        "timestamp 20231231235959 and 2026-11-25T12:00:00Z".to_string(),
        "IoT SIM 1440123456789 (13-digit machine number)".to_string(),
        format!("checksum-bad ID-shaped value {bad_id}"),
        "not a date: 110105199913011234".to_string(),
        "mail root@localhost for help".to_string(),
        format!("order {}{}", "20", rng.digits(16)),
        "sha1 3f786850e387550fdab836ed7e6dc881de23001b".to_string(),
        "phone-shaped but 12x: 12812345678".to_string(),
        format!(
            "digits inside a longer run: 9{}9",
            resident_id(&mut rng, 1990)
        ),
        format!("letters glued: X{}", mobile(&mut rng)),
    ];
    let fps = write(&dir, "false_positives.txt", Expect::default(), &lines);
    writeln!(summary, "false_positives.txt subjects=0").unwrap();

    // Whole tree: subjects overlap only through the 7 phone-only people of customers_zh.txt and
    // app.log.
    // fixtures/tabular (tables of every format and encoding): its people are its own.
    let tab = tabular::generate(&root.join("tabular"));
    writeln!(
        summary,
        "tabular/ subjects={} (see tabular/EXPECTED)",
        tab.subjects
    )
    .unwrap();
    let files = [customers, applog, payments, documents, fps, tab];
    let sum = |f: fn(&Expect) -> u64| files.iter().map(f).sum::<u64>();
    let total = Expect {
        subjects: sum(|e| e.subjects) - 7,
        sens45574: sum(|e| e.sens45574),
        sens35273: sum(|e| e.sens35273),
        minors: sum(|e| e.minors),
        unidentified: sum(|e| e.unidentified),
        records: sum(|e| e.records),
    };
    // EXPECTED is scanned with the tree: its own lines are records too (none carries PI).
    let body = format!(
        "# Expected totals for `pipl-scan scan fixtures`, this file included (written by\n# examples/gen_fixtures.rs).\n# per file:\n{}",
        summary
            .lines()
            .map(|l| format!("#   {l}\n"))
            .collect::<String>()
    );
    let total = Expect {
        records: total.records + body.lines().count() as u64 + 1,
        ..total
    };
    let expected = format!("{}\n{body}", total.header());
    std::fs::write(root.join("EXPECTED"), expected).expect("write EXPECTED");
}
