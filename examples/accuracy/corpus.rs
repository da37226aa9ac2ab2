//! The labelled corpus: a file share of one fictitious company, and the truth about it.
//!
//! [`generate`] writes, under a directory, the same population of people spread across the
//! systems a real share holds (CRM export, HR roster, mail lists, payments, web and application
//! logs, ticket exports, call notes, product exports …), each system with its own identifiers
//! and its own encodings, plus look-alike numbers and addresses that must yield no finding. It
//! returns (and writes as `truth.json`) the [`Truth`]: the true number of people, of people with
//! sensitive PI under each standard and of minors, and for every file and record the findings
//! expected (detector id, normalised value) and the traps planted, each labelled with a `class`
//! so that results can be broken down by encoding and by trap.
//!
//! The identifiers are computed here with their own check-digit code (not the scanner's), so a
//! bug in the scanner's validators cannot hide in the labels; the PRNG is seeded, no map with a
//! random order is iterated, and workbooks get a fixed creation date: the same arguments write
//! the same bytes on every run. Every person is fictitious.
//!
//! Every identifier of a person appears in at least one record together with another of that
//! person's identifiers (ID + mobile in the CRM or the HR roster, mobile + e-mails + second
//! mobile in the subscriber export, passport + mobile in the travel bookings, card + mobile in
//! payments), and where the mobile is a family phone the ID is there too: a perfect detector
//! and a linker that recognises shared identifiers would find exactly [`Truth::people`] people
//! (`tests/accuracy.rs` checks it on the labels). The shared
//! identifiers (a company hotline and role mailboxes next to many people's IDs, a family phone
//! shared by a parent and a child or by a couple) are what a naive linker merges wrongly.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The day ages are computed on (minors are under 14 on this day).
pub const REFERENCE_DATE: &str = "2026-11-25";
/// The seed of the default corpus.
pub const SEED: u64 = 0x0a11_ce5e_ed00_2026;
/// Text, CSV and JSON Lines files are rotated (or split, as exports are) below this size: the
/// readers split larger ones into chunks whose record numbers restart, and the labels count
/// records from a file's start.
const MAX_TEXT_BYTES: usize = 3 << 20;

/// What the corpus holds, by construction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub schema: String,
    pub seed: u64,
    pub population: usize,
    pub reference_date: String,
    /// Distinct people whose identifiers appear in the corpus.
    pub people: u64,
    /// People with sensitive PI, by standard: minors (all their PI is sensitive), holders of a
    /// bank card that appears (both standards), and under GB/T 35273-2020 also people whose
    /// resident ID or passport number appears.
    pub sensitive_people: BTreeMap<String, u64>,
    /// People under 14 on the reference date.
    pub minor_people: u64,
    pub files: Vec<FileTruth>,
}

/// One file of the corpus and its labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileTruth {
    /// Relative to the corpus root, with `/`.
    pub path: String,
    /// The system the file comes from (CRM, HR, …).
    pub system: String,
    /// Records of the file (data rows, JSON Lines objects, lines of text).
    pub records: u64,
    /// Findings a correct scanner makes.
    pub expected: Vec<Label>,
    /// Look-alikes planted that a correct scanner does not report.
    pub negatives: Vec<Label>,
}

/// One labelled item: the finding expected (or, for a negative, the finding it could be
/// mistaken for) in record `record`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// 1-based: data row (after the header), JSON Lines object, or line of text.
    pub record: u64,
    pub detector: String,
    /// Normalised as the scanner normalises: ID of 18 characters with upper-case X, mobile of
    /// 11 digits, e-mail lower-cased (Unicode lower case) with an internationalised domain in
    /// its Unicode form (`xn--fsqu00a.cn` → `例子.cn`), card digits only, passport upper-case
    /// alphanumerics.
    pub value: String,
    /// How the value is written (`plain`, `url-encoded-%40`, …) or, for a negative, the trap.
    pub class: String,
    /// The person it belongs to; `None` for shared identifiers and negatives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<u32>,
}

/// The class of values written plainly (ASCII, no encoding, no separators).
pub const PLAIN: &str = "plain";

// ---------------------------------------------------------------------------------------------
// Identifiers, computed independently of the scanner.

/// xorshift64*: deterministic, so the corpus is reproducible byte for byte.
pub struct Rng(u64);

impl Rng {
    /// Any seed gives its own sequence (xorshift needs a non-zero state).
    pub fn new(seed: u64) -> Rng {
        Rng((seed ^ 0x9E37_79B9_7F4A_7C15).max(1))
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `pct` percent.
    fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// Region codes of GB/T 2260 that exist (districts of Beijing, Shanghai, Shenzhen, Hangzhou,
/// Chengdu, Wuhan, Nanjing, Qingdao).
const REGIONS: &[&str] = &[
    "110105", "310115", "440305", "330106", "510107", "420106", "320102", "370202",
];
const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("欧阳", "ouyang"),
];
const GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("磊", "lei"),
    ("秀英", "xiuying"),
    ("建国", "jianguo"),
    ("子涵", "zihan"),
    ("晓明", "xiaoming"),
];
/// Allocated mobile blocks.
const MOBILE_BLOCKS: &[&str] = &[
    "138", "139", "135", "136", "150", "151", "158", "186", "187", "177", "199", "191", "166",
    "173", "181", "189", "133", "193",
];
const MAIL_DOMAINS: &[&str] = &[
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "outlook.com",
    "gmail.com",
    "corp-example.cn",
    "example.com.cn",
];
/// The company's hotline (a mobile number): written next to many customers' IDs.
const HOTLINE: &str = "13910001000";
/// Role mailboxes written next to many people's IDs.
const HR_MAILBOX: &str = "hr@corp-example.cn";
const INFO_MAILBOX: &str = "info@corp-example.cn";

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

/// The Luhn check digit to append to `body`.
fn luhn_digit(body: &str) -> char {
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
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

fn luhn_number(rng: &mut Rng, prefix: &str, len: usize) -> String {
    let body = format!("{prefix}{}", rng.digits(len - 1 - prefix.len()));
    let c = luhn_digit(&body);
    format!("{body}{c}")
}

fn passes_luhn(s: &str) -> bool {
    luhn_digit(&s[..s.len() - 1]) == s.as_bytes()[s.len() - 1] as char
}

/// An EAN-13 barcode (GS1 prefix 69: China) that also passes Luhn, as one in ten do.
fn ean13_luhn(rng: &mut Rng) -> String {
    loop {
        let body = format!("69{}", rng.digits(10));
        let sum: u32 = body
            .bytes()
            .enumerate()
            .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
            .sum();
        let code = format!("{body}{}", (10 - sum % 10) % 10);
        if passes_luhn(&code) {
            return code;
        }
    }
}

fn group(s: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut at = 0;
    for &n in sizes {
        out.push(&s[at..at + n]);
        at += n;
    }
    out.join(sep)
}

/// Percent-encodes all but RFC 3986 unreserved characters, as a browser encodes a query value.
fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            write!(out, "%{b:02X}").unwrap();
        }
    }
    out
}

/// Full-width digits (U+FF10…), as an IME writes them.
fn fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(0xFF10 + (c as u32 - '0' as u32)).unwrap(),
            c => c,
        })
        .collect()
}

/// `\uXXXX` escapes of every non-ASCII character, as a JSON serialiser with ASCII output writes.
fn json_escape_unicode(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for u in c.encode_utf16(&mut buf) {
                write!(out, "\\u{u:04x}").unwrap();
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The population.

/// An e-mail address as written and as normalised, and the class of its writing.
#[derive(Clone)]
struct Email {
    written: String,
    norm: String,
    class: &'static str,
}

struct Person {
    name: String,
    id: String,
    /// The 15-digit form of the ID, for people born in the 1900s.
    legacy: Option<String>,
    minor: bool,
    mobiles: Vec<String>,
    emails: Vec<Email>,
    card: Option<String>,
    passport: Option<String>,
    /// The first mobile is a family phone, shared with another person.
    family_phone: bool,
}

impl Person {
    /// The class of the first mobile written plainly.
    fn m0_class(&self) -> &'static str {
        if self.family_phone {
            "family-phone"
        } else {
            PLAIN
        }
    }
}

fn make_people(rng: &mut Rng, n: usize) -> Vec<Person> {
    let mut used_mobiles = HashSet::new();
    let mut used_ids = HashSet::new();
    let mut people: Vec<Person> = Vec::with_capacity(n);
    for i in 0..n {
        let minor = i >= 20 && rng.pct(3);
        let year = if minor {
            2014 + rng.below(7)
        } else {
            1950 + rng.below(56)
        };
        let (id, legacy) = loop {
            let region = rng.pick(REGIONS);
            let (m, d) = (1 + rng.below(12), 1 + rng.below(28));
            let seq = rng.digits(3);
            let body = format!("{region}{year:04}{m:02}{d:02}{seq}");
            let id = format!("{body}{}", id_check(&body));
            if used_ids.insert(id.clone()) {
                let legacy =
                    (year < 2000).then(|| format!("{region}{:02}{m:02}{d:02}{seq}", year % 100));
                break (id, legacy);
            }
        };
        let (sur, sur_py) = *rng.pick(SURNAMES);
        let (giv, giv_py) = *rng.pick(GIVEN);
        let mut fresh_mobile = |rng: &mut Rng| loop {
            let m = format!("{}{}", rng.pick(MOBILE_BLOCKS), rng.digits(8));
            if m != HOTLINE && used_mobiles.insert(m.clone()) {
                break m;
            }
        };
        // A child, and some adults (couples), use a family phone: another person's.
        let mobiles = if i > 0 && (minor || rng.pct(2)) {
            let other = rng.below(i as u64) as usize;
            vec![people[other].mobiles[0].clone()]
        } else if rng.pct(10) {
            vec![fresh_mobile(rng), fresh_mobile(rng)]
        } else {
            vec![fresh_mobile(rng)]
        };
        let mut emails = Vec::new();
        if !minor {
            let k = rng.below(100);
            let count = if k < 15 {
                0
            } else if k < 90 {
                1
            } else {
                2
            };
            for e in 0..count {
                emails.push(make_email(rng, i, e, sur, sur_py, giv, giv_py));
            }
        }
        let card = (!minor && rng.pct(30)).then(|| {
            let k = rng.below(10);
            if k < 7 {
                let len = if rng.pct(50) { 16 } else { 19 };
                let prefix = format!("62{}", rng.pick(&["2202", "2848", "1700", "5880"]));
                luhn_number(rng, &prefix, len)
            } else if k < 9 {
                // Visa, avoiding the public test range 4111 11…
                let prefix = format!("4{}", 2 + rng.below(7));
                luhn_number(rng, &prefix, 16)
            } else {
                let prefix = format!("5{}", 1 + rng.below(5));
                luhn_number(rng, &prefix, 16)
            }
        });
        let passport = (!minor && rng.pct(10)).then(|| format!("E{}", rng.digits(8)));
        people.push(Person {
            name: format!("{sur}{giv}"),
            id,
            legacy,
            minor,
            mobiles,
            emails,
            card,
            passport,
            family_phone: false,
        });
    }
    let mut users: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for p in &people {
        *users.entry(p.mobiles[0].clone()).or_default() += 1;
    }
    for p in &mut people {
        p.family_phone = users[&p.mobiles[0]] > 1;
    }
    people
}

fn make_email(
    rng: &mut Rng,
    i: usize,
    nth: usize,
    sur: &str,
    sur_py: &str,
    giv: &str,
    giv_py: &str,
) -> Email {
    let k = rng.below(100);
    let (written, class) = if k < 3 {
        (format!("{sur}{giv}{i}@例子.中国"), "email-idn")
    } else if k < 5 {
        (format!("josé.{sur_py}{i}@exämple.de"), "email-idn")
    } else if k < 8 {
        // 例子.cn: not `xn--55qx5d.cn` (公司.cn), which is itself a public suffix (a registry
        // zone like `com.cn`, on the Public Suffix List): no one has a mailbox right under it.
        (
            format!("{giv_py}.{sur_py}{i}@xn--fsqu00a.cn"),
            "email-punycode",
        )
    } else if k < 10 {
        (
            format!("{giv_py}{i}@xn--55qx5d.xn--fiqs8s"),
            "email-punycode",
        )
    } else if k < 15 {
        let g = giv_py[..1].to_ascii_uppercase() + &giv_py[1..];
        let s = sur_py[..1].to_ascii_uppercase() + &sur_py[1..];
        (
            format!("{g}.{s}{i}@{}", rng.pick(MAIL_DOMAINS).to_ascii_uppercase()),
            "email-uppercase",
        )
    } else if nth == 0 {
        (
            format!("{giv_py}.{sur_py}{i}@{}", rng.pick(MAIL_DOMAINS)),
            PLAIN,
        )
    } else {
        (
            format!("{sur_py}{giv_py}_{i}@{}", rng.pick(MAIL_DOMAINS)),
            PLAIN,
        )
    };
    Email {
        norm: email_norm(&written),
        written,
        class,
    }
}

/// The subject key of an e-mail address, the scanner's documented normal form (`docs/scanning.md`,
/// `detectors/email.toml`): lower-cased (Unicode lower case, the local part included:
/// `JOSÉ` → `josé`), with an internationalised domain in its Unicode form (UTS #46
/// `ToUnicode`), so that `用户@xn--fsqu00a.xn--fiqs8s` and `用户@例子.中国` are one key, as
/// they are one mailbox. Plain lower-casing (which kept `xn--` labels) labelled every punycode
/// address with a key no correct scanner gives.
fn email_norm(written: &str) -> String {
    let (local, domain) = written.rsplit_once('@').expect("an address");
    let (unicode, result) = idna::domain_to_unicode(domain);
    assert!(result.is_ok(), "a valid domain: {domain}");
    format!("{}@{}", local.to_lowercase(), unicode)
}

// ---------------------------------------------------------------------------------------------
// Records and files.

/// The labels of one record, as it is being written.
#[derive(Default)]
struct Rec {
    expected: Vec<(&'static str, String, &'static str, Option<u32>)>,
    negatives: Vec<(&'static str, String, &'static str)>,
}

impl Rec {
    fn expect(&mut self, detector: &'static str, value: &str, class: &'static str, person: usize) {
        self.expected
            .push((detector, value.to_string(), class, Some(person as u32)));
    }
    fn shared(&mut self, detector: &'static str, value: &str, class: &'static str) {
        self.expected
            .push((detector, value.to_string(), class, None));
    }
    fn trap(&mut self, detector: &'static str, value: &str, class: &'static str) {
        self.negatives.push((detector, value.to_string(), class));
    }
}

#[derive(Clone)]
enum Cell {
    S(String),
    N(f64),
}

struct Writer<'a> {
    root: &'a Path,
    files: Vec<FileTruth>,
    /// Per person: seen with an expected identifier; with a card; with an ID or passport.
    seen: Vec<[bool; 3]>,
}

impl Writer<'_> {
    fn labels(&mut self, path: &str, system: &str, recs: Vec<Rec>) {
        let mut f = FileTruth {
            path: path.to_string(),
            system: system.to_string(),
            records: recs.len() as u64,
            expected: Vec::new(),
            negatives: Vec::new(),
        };
        for (i, r) in recs.into_iter().enumerate() {
            let record = i as u64 + 1;
            for (d, v, c, p) in r.expected {
                if let Some(p) = p {
                    let s = &mut self.seen[p as usize];
                    s[0] = true;
                    s[1] |= d == "bank-card";
                    s[2] |= d == "cn-resident-id" || d == "cn-passport";
                }
                f.expected.push(Label {
                    record,
                    detector: d.to_string(),
                    value: v,
                    class: c.to_string(),
                    person: p,
                });
            }
            for (d, v, c) in r.negatives {
                f.negatives.push(Label {
                    record,
                    detector: d.to_string(),
                    value: v,
                    class: c.to_string(),
                    person: None,
                });
            }
        }
        self.files.push(f);
    }

    fn write(&self, path: &str, bytes: &[u8]) {
        let p = self.root.join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("create corpus folder");
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", p.display()));
    }

    /// Lines of text, rotated into `path`, `path.1`, … below [`MAX_TEXT_BYTES`].
    fn text(&mut self, path: &str, system: &str, lines: Vec<(String, Rec)>) {
        self.rotated(path, system, None, lines, |part| format!("{path}.{part}"));
    }

    /// Records one a line (`header` first in every part), rotated below [`MAX_TEXT_BYTES`]
    /// into `path` and then the names `name(1)`, `name(2)` …: the readers split larger text,
    /// CSV and JSON Lines into chunks whose record numbers restart, while the labels count
    /// from the start of a file.
    fn rotated(
        &mut self,
        path: &str,
        system: &str,
        header: Option<&str>,
        lines: Vec<(String, Rec)>,
        name: impl Fn(usize) -> String,
    ) {
        let name = |part: usize| {
            if part == 0 {
                path.to_string()
            } else {
                name(part)
            }
        };
        let start = |buf: &mut String| {
            buf.clear();
            if let Some(h) = header {
                buf.push_str(h);
                buf.push('\n');
            }
        };
        let mut part = 0;
        let mut buf = String::new();
        start(&mut buf);
        let mut recs = Vec::new();
        for (line, rec) in lines {
            if !recs.is_empty() && buf.len() + line.len() >= MAX_TEXT_BYTES {
                self.write(&name(part), buf.as_bytes());
                self.labels(&name(part), system, std::mem::take(&mut recs));
                start(&mut buf);
                part += 1;
            }
            buf.push_str(&line);
            buf.push('\n');
            recs.push(rec);
        }
        self.write(&name(part), buf.as_bytes());
        self.labels(&name(part), system, recs);
    }

    fn csv(&mut self, path: &str, system: &str, header: &[&str], rows: Vec<(Vec<String>, Rec)>) {
        // One row at a time through the CSV writer, for its quoting.
        let line = |cells: &[String]| {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            w.write_record(cells).expect("csv row");
            let text = String::from_utf8(w.into_inner().expect("csv row")).expect("UTF-8 row");
            text.trim_end_matches('\n').to_string()
        };
        let head = line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
        let lines = rows
            .into_iter()
            .map(|(cells, rec)| (line(&cells), rec))
            .collect();
        self.rotated(path, system, Some(&head), lines, |part| {
            part_name(path, part)
        });
    }

    fn jsonl(&mut self, path: &str, system: &str, rows: Vec<(serde_json::Value, Rec)>) {
        let lines = rows
            .into_iter()
            .map(|(v, rec)| (v.to_string(), rec))
            .collect();
        self.rotated(path, system, None, lines, |part| part_name(path, part));
    }

    fn xlsx(&mut self, path: &str, system: &str, header: &[&str], rows: Vec<(Vec<Cell>, Rec)>) {
        use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
        let mut wb = Workbook::new();
        // A fixed creation date keeps the file the same byte for byte at every run.
        let when = ExcelDateTime::from_ymd(2026, 1, 1).expect("date");
        wb.set_properties(&DocProperties::new().set_creation_datetime(&when));
        let ws = wb.add_worksheet();
        ws.set_name("Sheet1").expect("sheet name");
        for (c, h) in header.iter().enumerate() {
            ws.write_string(0, c as u16, *h).expect("header");
        }
        let mut recs = Vec::new();
        for (r, (cells, rec)) in rows.into_iter().enumerate() {
            for (c, cell) in cells.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    Cell::S(s) if s.is_empty() => Ok(()),
                    Cell::S(s) => ws.write_string(r, c, s).map(|_| ()),
                    Cell::N(n) => ws.write_number(r, c, *n).map(|_| ()),
                }
                .expect("cell");
            }
            recs.push(rec);
        }
        self.write(path, &wb.save_to_buffer().expect("xlsx"));
        self.labels(path, system, recs);
    }
}

/// Writes the corpus for `population` people under `root` (which should be empty) and
/// `root/truth.json`; returns the truth.
pub fn generate(root: &Path, population: usize, seed: u64) -> Truth {
    let mut rng = Rng::new(seed);
    let people = make_people(&mut rng, population);
    let share = "share";
    let mut w = Writer {
        root,
        files: Vec::new(),
        seen: vec![[false; 3]; people.len()],
    };
    let p = |s: &str| format!("{share}/{s}");

    // Who works here (HR roster) and who is a customer (CRM): every person is in one of them,
    // with their resident ID and first mobile.
    let employee: Vec<bool> = (0..people.len())
        .map(|i| !people[i].minor && i % 7 == 3)
        .collect();

    // CRM export: 姓名, 身份证号, 手机号; a tenth of the rows carry the company hotline.
    let mut rows = Vec::new();
    for (i, pe) in people.iter().enumerate().filter(|(i, _)| !employee[*i]) {
        let mut rec = Rec::default();
        let (id, id_class) = if rng.pct(3) && pe.id.ends_with('X') {
            (pe.id.to_ascii_lowercase(), "id-lowercase-x")
        } else {
            (pe.id.clone(), PLAIN)
        };
        rec.expect("cn-resident-id", &pe.id, id_class, i);
        let m = &pe.mobiles[0];
        let (written, class) = match rng.below(20) {
            0 => (
                format!("+86 {}", group(m, &[3, 4, 4], " ")),
                "mobile-plus86-spaced",
            ),
            1 => (group(m, &[3, 4, 4], "-"), "mobile-dashed"),
            _ => (m.clone(), pe.m0_class()),
        };
        rec.expect("cn-mobile", m, class, i);
        let hotline = if rng.pct(10) {
            rec.shared("cn-mobile", HOTLINE, "shared-hotline");
            HOTLINE.to_string()
        } else {
            String::new()
        };
        rows.push((
            vec![
                format!("C{:08}", 10_000_000 + i),
                pe.name.clone(),
                id,
                written,
                hotline,
            ],
            rec,
        ));
    }
    w.csv(
        &p("销售部/CRM/crm_customers_2026.csv"),
        "crm",
        &["客户编号", "姓名", "身份证号", "手机号", "销售顾问电话"],
        rows,
    );

    // HR roster (xlsx): 工号 are 11-digit numbers in mobile blocks (a trap), each row cc's the
    // HR mailbox, salary cards where the employee has one.
    let mut rows = Vec::new();
    for (k, (i, pe)) in people
        .iter()
        .enumerate()
        .filter(|(i, _)| employee[*i])
        .enumerate()
    {
        let mut rec = Rec::default();
        let staff_no = format!("{}", 13_600_010_000u64 + k as u64 * 7);
        rec.trap("cn-mobile", &staff_no, "employee-number-11-digit");
        rec.expect("cn-resident-id", &pe.id, PLAIN, i);
        rec.expect("cn-mobile", &pe.mobiles[0], pe.m0_class(), i);
        let email = pe.emails.first().map_or(String::new(), |e| {
            rec.expect("email", &e.norm, e.class, i);
            e.written.clone()
        });
        let card = pe.card.clone().map_or(String::new(), |c| {
            rec.expect("bank-card", &c, PLAIN, i);
            c
        });
        rec.shared("email", HR_MAILBOX, "shared-role-mailbox");
        rows.push((
            vec![
                Cell::N(staff_no.parse().expect("a number")),
                Cell::S(pe.name.clone()),
                Cell::S(pe.id.clone()),
                Cell::S(pe.mobiles[0].clone()),
                Cell::S(email),
                Cell::S(card),
                Cell::S(HR_MAILBOX.to_string()),
            ],
            rec,
        ));
    }
    w.xlsx(
        &p("人力资源部/员工花名册2026.xlsx"),
        "hr",
        &[
            "工号",
            "姓名",
            "身份证号码",
            "手机",
            "邮箱",
            "工资卡号",
            "抄送",
        ],
        rows,
    );

    // Mail list: e-mail only, most of the people who have one.
    let mut rows = Vec::new();
    for (i, pe) in people.iter().enumerate() {
        for e in &pe.emails {
            if rng.pct(70) {
                let mut rec = Rec::default();
                rec.expect("email", &e.norm, e.class, i);
                rows.push((
                    vec![
                        e.written.clone(),
                        format!("2026-{:02}-{:02}", 1 + rng.below(11), 1 + rng.below(28)),
                    ],
                    rec,
                ));
            }
        }
    }
    w.csv(
        &p("市场部/邮件营销/mail_list_2026.csv"),
        "marketing",
        &["email", "订阅日期"],
        rows,
    );

    // Subscribers (JSON Lines): what links e-mails and second mobiles to a first mobile.
    let mut rows = Vec::new();
    for (i, pe) in people.iter().enumerate() {
        if pe.emails.is_empty() && pe.mobiles.len() < 2 {
            continue;
        }
        let mut rec = Rec::default();
        let mut obj = serde_json::Map::new();
        obj.insert(
            "channel".into(),
            (*rng.pick(&["wechat", "app", "web"])).into(),
        );
        obj.insert("mobile".into(), pe.mobiles[0].clone().into());
        rec.expect("cn-mobile", &pe.mobiles[0], pe.m0_class(), i);
        if pe.family_phone {
            // A real-name verified account: the phone alone would not say whose it is.
            obj.insert("id_no".into(), pe.id.clone().into());
            rec.expect("cn-resident-id", &pe.id, PLAIN, i);
        }
        if let Some(m) = pe.mobiles.get(1) {
            obj.insert("backup_mobile".into(), m.clone().into());
            rec.expect("cn-mobile", m, PLAIN, i);
        }
        for (k, e) in pe.emails.iter().enumerate() {
            let key = if k == 0 { "email" } else { "alt_email" };
            obj.insert(key.into(), e.written.clone().into());
            rec.expect("email", &e.norm, e.class, i);
        }
        rows.push((serde_json::Value::Object(obj), rec));
    }
    w.jsonl(&p("市场部/subscribers.jsonl"), "marketing", rows);

    // Payments (xlsx): 交易号 are 19-digit numbers that pass Luhn (a trap), 金额 sometimes an
    // amount of 11 digits that reads as a mobile.
    let mut rows = Vec::new();
    for (i, pe) in people.iter().enumerate() {
        let Some(card) = &pe.card else { continue };
        let mut rec = Rec::default();
        let prefix = rng_prefix(&mut rng);
        let txn = luhn_number(&mut rng, prefix, 19);
        rec.trap("bank-card", &txn, "transaction-number-luhn");
        rec.expect("bank-card", card, PLAIN, i);
        rec.expect("cn-mobile", &pe.mobiles[0], pe.m0_class(), i);
        // The cardholder's ID: on every card of a family-phone holder, and on a fifth of the
        // others (what links a card to its holder when the phone is shared).
        let holder = if pe.family_phone || rng.pct(20) {
            rec.expect("cn-resident-id", &pe.id, PLAIN, i);
            pe.id.clone()
        } else {
            String::new()
        };
        let amount = if rng.pct(3) {
            rec.trap("cn-mobile", "13800000000", "amount-11-digit");
            13_800_000_000.0
        } else {
            (rng.below(100_000) as f64) / 100.0
        };
        rows.push((
            vec![
                Cell::S(txn),
                Cell::S(card.clone()),
                Cell::S(holder),
                Cell::S(pe.mobiles[0].clone()),
                Cell::N(amount),
                Cell::S(format!(
                    "2026-11-{:02} 10:{:02}",
                    1 + rng.below(24),
                    rng.below(60)
                )),
            ],
            rec,
        ));
    }
    w.xlsx(
        &p("财务部/payments_2026q4.xlsx"),
        "payments",
        &[
            "交易号",
            "卡号",
            "持卡人身份证",
            "手机号",
            "金额",
            "交易时间",
        ],
        rows,
    );

    // Bank statement lines (text): 19-digit cards grouped 4-4-4-4-3, next to a 交易号 that
    // passes Luhn and starts like a UnionPay card.
    let mut lines = Vec::new();
    for (i, pe) in people.iter().enumerate() {
        let Some(card) = pe.card.as_ref().filter(|c| c.len() == 19) else {
            continue;
        };
        if !rng.pct(60) {
            continue;
        }
        let mut rec = Rec::default();
        let txn = luhn_number(&mut rng, "6212", 19);
        rec.trap("bank-card", &txn, "transaction-number-near-keyword");
        rec.expect("bank-card", card, "card-grouped-4-4-4-4-3", i);
        lines.push((
            format!(
                "2026-11-{:02} 交易号 {txn} 卡号 {} 户名 {} 金额 {}.{:02}",
                1 + rng.below(24),
                group(card, &[4, 4, 4, 4, 3], " "),
                pe.name,
                rng.below(5000),
                rng.below(100)
            ),
            rec,
        ));
    }
    w.text(&p("财务部/银行流水_2026-11.txt"), "payments", lines);

    // Web access log: identifiers in query strings, URL-encoded; traps in paths and assets.
    let mut lines = Vec::new();
    let stamp = |rng: &mut Rng| {
        format!(
            "10.{}.{}.{} - - [25/Nov/2026:{:02}:{:02}:{:02} +0800]",
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(24),
            rng.below(60),
            rng.below(60)
        )
    };
    for (i, pe) in people.iter().enumerate() {
        if !rng.pct(30) {
            continue;
        }
        let mut rec = Rec::default();
        let m = &pe.mobiles[0];
        rec.expect("cn-mobile", m, "url-encoded-%2B86", i);
        lines.push((
            format!(
                "{} \"GET /api/v1/login?mobile=%2B86{m}&from=h5 HTTP/1.1\" 200 {}",
                stamp(&mut rng),
                200 + rng.below(900)
            ),
            rec,
        ));
        if let Some(e) = pe.emails.first() {
            let mut rec = Rec::default();
            let (q, class) = if rng.pct(50) {
                (url_encode(&e.written), "url-encoded-%40")
            } else {
                (
                    url_encode(&e.written).replace('%', "%25"),
                    "url-encoded-%2540",
                )
            };
            rec.expect("email", &e.norm, class, i);
            lines.push((
                format!(
                    "{} \"POST /api/v1/subscribe?email={q} HTTP/1.1\" 201 {}",
                    stamp(&mut rng),
                    100 + rng.below(900)
                ),
                rec,
            ));
        }
    }
    let n_traps = (people.len() / 10).max(20);
    for k in 0..n_traps {
        let mut rec = Rec::default();
        let fake = format!("{}{}", rng.pick(MOBILE_BLOCKS), rng.digits(8));
        let req = match k % 4 {
            0 => {
                rec.trap("cn-mobile", &fake, "mobile-in-url-path");
                format!("GET /item/{fake} HTTP/1.1")
            }
            1 => {
                rec.trap("cn-mobile", &fake, "mobile-in-query-uid");
                format!("GET /api/feed?uid={fake}&page={} HTTP/1.1", rng.below(9))
            }
            2 => {
                rec.trap("email", "icon@2x.png", "asset-at-suffix");
                "GET /static/img/icon@2x.png HTTP/1.1".to_string()
            }
            _ => {
                rec.trap("email", "logo@3x.jpg", "asset-at-suffix");
                "GET /static/img/logo@3x.jpg HTTP/1.1".to_string()
            }
        };
        lines.push((
            format!("{} \"{req}\" 200 {}", stamp(&mut rng), rng.below(5000)),
            rec,
        ));
    }
    interleave(&mut rng, &mut lines);
    w.text(&p("IT/logs/nginx/access.log"), "web", lines);

    // Application log: JSON-escaped payloads, \u escapes of Chinese keywords and punctuation;
    // traps: git remotes, cloud hostnames, user@localhost.
    let mut lines = Vec::new();
    for (i, pe) in people.iter().enumerate() {
        if !rng.pct(25) {
            continue;
        }
        let ts = format!(
            "2026-11-25T{:02}:{:02}:{:02}.{:03}+08:00",
            rng.below(24),
            rng.below(60),
            rng.below(60),
            rng.below(1000)
        );
        let m = &pe.mobiles[0];
        let mut rec = Rec::default();
        if rng.pct(50) {
            rec.expect("cn-mobile", m, "json-escaped", i);
            let mut body = format!("{{\\\"mobile\\\":\\\"{m}\\\"");
            if let Some(e) = pe.emails.first() {
                rec.expect("email", &e.norm, "json-escaped", i);
                write!(
                    body,
                    ",\\\"email\\\":\\\"{}\\\"",
                    json_escape_unicode(&e.written)
                )
                .unwrap();
            }
            body.push('}');
            lines.push((
                format!("{ts} INFO  [user-svc] update profile body=\"{body}\""),
                rec,
            ));
        } else {
            rec.expect("cn-mobile", m, "json-unicode-escape", i);
            lines.push((
                format!(
                    "{ts} WARN  [sms-svc] {{\"msg\":\"{}{m}\",\"code\":429}}",
                    json_escape_unicode("发送过于频繁，手机号：")
                ),
                rec,
            ));
        }
    }
    for k in 0..n_traps {
        let mut rec = Rec::default();
        let line = match k % 3 {
            0 => {
                rec.trap("email", "git@github.com", "git-remote");
                format!(
                    "2026-11-25T03:00:{:02}+08:00 INFO  [deploy] fetching git@github.com:acme/crm-service.git",
                    k % 60
                )
            }
            1 => {
                let host = format!("ip-10-0-{}-{}.ec2.internal", rng.below(256), rng.below(256));
                rec.trap("email", &format!("ec2-user@{host}"), "cloud-hostname");
                format!(
                    "2026-11-25T03:01:{:02}+08:00 INFO  [ops] ssh ec2-user@{host} uptime ok",
                    k % 60
                )
            }
            _ => {
                rec.trap("email", "user@localhost", "user-at-localhost");
                format!(
                    "2026-11-25T03:02:{:02}+08:00 DEBUG [db] connect user@localhost:5432",
                    k % 60
                )
            }
        };
        lines.push((line, rec));
    }
    interleave(&mut rng, &mut lines);
    w.text(&p("IT/logs/app/app-2026-11-25.log"), "web", lines);

    // Mail server log: recipients (real addresses) and Message-IDs (not PI).
    let mut lines = Vec::new();
    for (i, pe) in people.iter().enumerate() {
        let Some(e) = pe.emails.first() else { continue };
        if !rng.pct(20) {
            continue;
        }
        let id = format!("{:016x}", rng.next());
        let mut rec = Rec::default();
        let mid = format!("{id}@mail.corp-example.cn");
        rec.trap("email", &mid, "message-id");
        lines.push((format!("Message-ID: <{mid}>"), rec));
        let mut rec = Rec::default();
        rec.expect("email", &e.norm, e.class, i);
        lines.push((format!("To: <{}>", e.written), rec));
    }
    w.text(&p("IT/mail/maillog-2026-11"), "mail", lines);

    // Ticket export (HTML): e-mails with the @ as a character reference.
    let mut lines = vec![(
        "<html><head><meta charset=\"utf-8\"><title>工单导出</title></head><body><table>"
            .to_string(),
        Rec::default(),
    )];
    for (i, pe) in people.iter().enumerate() {
        let Some(e) = pe.emails.first() else { continue };
        if !rng.pct(20) {
            continue;
        }
        let mut rec = Rec::default();
        let (at, class) = if rng.pct(50) {
            ("&#64;", "html-entity-&#64;")
        } else {
            ("&#x40;", "html-entity-&#x40;")
        };
        rec.expect("email", &e.norm, class, i);
        rec.expect("cn-mobile", &pe.mobiles[0], pe.m0_class(), i);
        lines.push((
            format!(
                "<tr><td>T{:06}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i,
                pe.name,
                e.written.replace('@', at),
                pe.mobiles[0]
            ),
            rec,
        ));
    }
    lines.push(("</table></body></html>".to_string(), Rec::default()));
    w.text(&p("客服部/工单导出/tickets_2026-11.html"), "support", lines);

    // Call notes (text): full-width digits, NBSP and U+3000 separators, legacy 15-digit IDs;
    // a trap: a date next to a permit keyword.
    let mut lines = Vec::new();
    for (i, pe) in people.iter().enumerate() {
        if !rng.pct(20) {
            continue;
        }
        let m = &pe.mobiles[0];
        let mut rec = Rec::default();
        let line = match rng.below(4) {
            0 => {
                rec.expect("cn-mobile", m, "fullwidth-digits", i);
                format!("客户来电，手机号{}，咨询退款进度。", fullwidth(m))
            }
            1 => {
                rec.expect("cn-mobile", m, "nbsp-separator", i);
                format!("回拨 {} 未接通，稍后再试。", group(m, &[3, 4, 4], "\u{a0}"))
            }
            2 => {
                rec.expect("cn-mobile", m, "ideographic-space-separator", i);
                format!(
                    "联系方式：{}（{}）",
                    group(m, &[3, 4, 4], "\u{3000}"),
                    pe.name
                )
            }
            _ => match &pe.legacy {
                Some(legacy) => {
                    rec.expect("cn-resident-id", &pe.id, "id-15-legacy", i);
                    format!("老客户 {} 身份证 {legacy} 已核实。", pe.name)
                }
                None => {
                    rec.expect("cn-mobile", m, pe.m0_class(), i);
                    format!("客户 {} 电话 {m} 已核实。", pe.name)
                }
            },
        };
        lines.push((line, rec));
    }
    for _ in 0..(people.len() / 50).max(10) {
        let mut rec = Rec::default();
        let date = format!(
            "20{}{:02}{:02}",
            25 + rng.below(5),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        rec.trap("tw-permit", &date, "permit-keyword-date");
        lines.push((format!("台胞证有效期 {date}，请提醒客户续办。"), rec));
    }
    interleave(&mut rng, &mut lines);
    w.text(
        &p("客服部/通话记录/call_notes_2026-11.txt"),
        "support",
        lines,
    );

    // Travel bookings (text): passports with their keyword, and the traveller's mobile.
    let mut lines = Vec::new();
    for (i, pe) in people.iter().enumerate() {
        let Some(pp) = &pe.passport else { continue };
        let mut rec = Rec::default();
        rec.expect("cn-passport", pp, PLAIN, i);
        rec.expect("cn-mobile", &pe.mobiles[0], pe.m0_class(), i);
        // A family phone does not say whose passport it is: those bookings carry the ID too.
        let id = if pe.family_phone {
            rec.expect("cn-resident-id", &pe.id, PLAIN, i);
            format!(" 身份证 {}", pe.id)
        } else {
            String::new()
        };
        lines.push((
            format!(
                "旅客 {}{id} 护照号码 {pp} 航班 MU{} 手机 {}",
                pe.name,
                5000 + rng.below(999),
                pe.mobiles[0]
            ),
            rec,
        ));
    }
    w.text(&p("行政部/差旅/机票预订_2026.txt"), "travel", lines);

    // Product export (CSV): barcodes, IMEIs, ICCIDs and order numbers that pass Luhn, and a
    // sequential column of 11-digit numbers. No PI at all.
    let mut rows = Vec::new();
    for k in 0..(people.len() / 5).max(50) {
        let mut rec = Rec::default();
        let ean = ean13_luhn(&mut rng);
        rec.trap("bank-card", &ean, "ean13-barcode");
        let tac = *rng.pick(&["35", "86"]);
        let imei = luhn_number(&mut rng, tac, 15);
        rec.trap("bank-card", &imei, "imei");
        // A device's IMEI is found as what it is (the `imei` detector), never as a card; in
        // a product export it is no one's (no person: not PI).
        rec.shared("imei", &imei, "device");
        let len = if rng.pct(50) { 19 } else { 20 };
        let iccid = luhn_number(&mut rng, "89860", len);
        rec.trap("bank-card", &iccid, "iccid");
        let (prefix, len) = (rng_prefix(&mut rng), 16 + rng.below(4) as usize);
        let order = luhn_number(&mut rng, prefix, len);
        rec.trap("bank-card", &order, "order-number-luhn");
        let seq = format!("{}", 13_800_000_001u64 + k as u64);
        rec.trap("cn-mobile", &seq, "sequential-11-digit");
        rows.push((
            vec![format!("商品{k:05}"), ean, imei, iccid, order, seq],
            rec,
        ));
    }
    w.csv(
        &p("产品部/product_export_2026.csv"),
        "product",
        &["商品名称", "条码", "IMEI", "ICCID", "订单号", "序号"],
        rows,
    );

    // Members (CSV): 会员号 and 学号 are 11-digit numbers in mobile blocks; the real mobile
    // is under 手机号.
    let mut rows = Vec::new();
    for (i, pe) in people.iter().enumerate() {
        if !rng.pct(15) {
            continue;
        }
        let mut rec = Rec::default();
        let member = format!("{}{}", rng.pick(MOBILE_BLOCKS), rng.digits(8));
        rec.trap("cn-mobile", &member, "member-number-11-digit");
        let student = format!("{}{}", rng.pick(MOBILE_BLOCKS), rng.digits(8));
        rec.trap("cn-mobile", &student, "student-number-11-digit");
        rec.expect("cn-mobile", &pe.mobiles[0], pe.m0_class(), i);
        rows.push((
            vec![
                member,
                student,
                pe.mobiles[0].clone(),
                format!("{}", rng.below(20_000)),
            ],
            rec,
        ));
    }
    w.csv(
        &p("会员中心/members.csv"),
        "members",
        &["会员号", "学号", "手机号", "积分"],
        rows,
    );

    // Developer notes: public test card numbers next to "card".
    let test_cards = [
        "4111111111111111",
        "4012888888881881",
        "5555555555554444",
        "5105105105105100",
        "378282246310005",
        "6200000000000005",
        "6011111111111117",
        "4242424242424242",
        "3530111333300000",
    ];
    let mut lines = vec![("# 支付联调说明".to_string(), Rec::default())];
    for k in 0..(people.len() / 100).max(18) {
        let c = test_cards[k % test_cards.len()];
        let mut rec = Rec::default();
        rec.trap("bank-card", c, "public-test-card");
        lines.push((
            format!("- 测试卡号 card {c}，有效期任意，CVV 123（第{k}轮联调）"),
            rec,
        ));
    }
    w.text(&p("IT/dev/支付联调/test_cards.md"), "dev", lines);

    // Risk import (xlsx) damaged by Excel: IDs in scientific notation or with their last three
    // digits zeroed, phones in scientific notation; IDs with an impossible region or a birth
    // date in the future (valid check characters). The hotline and the info mailbox are next
    // to real IDs.
    let mut rows = Vec::new();
    for (i, pe) in people.iter().enumerate() {
        if !rng.pct(6) {
            continue;
        }
        let mut rec = Rec::default();
        let id_cell = match rng.below(4) {
            0 => {
                let sci = format!("{}.{}E+17", &pe.id[..1], &pe.id[1..6]);
                rec.trap("cn-resident-id", &pe.id, "excel-scientific-id");
                sci
            }
            1 => {
                let cut = format!("{}000", &pe.id[..15]);
                rec.trap("cn-resident-id", &cut, "excel-truncated-id");
                cut
            }
            2 => {
                let body = format!("99{}", &pe.id[2..17]);
                let bad = format!("{body}{}", id_check(&body));
                rec.trap("cn-resident-id", &bad, "id-impossible-region");
                bad
            }
            _ => {
                let body = format!("{}20{}{}", &pe.id[..6], 30 + rng.below(60), &pe.id[10..17]);
                let bad = format!("{body}{}", id_check(&body));
                rec.trap("cn-resident-id", &bad, "id-future-birth-date");
                bad
            }
        };
        let m = &pe.mobiles[0];
        let phone = format!("{}.{}E+10", &m[..1], &m[1..6]);
        rec.trap("cn-mobile", m, "excel-scientific-mobile");
        rows.push((
            vec![
                Cell::S(pe.name.clone()),
                Cell::S(id_cell),
                Cell::S(phone),
                Cell::S("风险名单导入".to_string()),
            ],
            rec,
        ));
        // A verified row of another person, with the shared contacts.
        let j = (i * 31 + 7) % people.len();
        let mut rec = Rec::default();
        rec.expect("cn-resident-id", &people[j].id, PLAIN, j);
        rec.shared("cn-mobile", HOTLINE, "shared-hotline");
        rec.shared("email", INFO_MAILBOX, "shared-role-mailbox");
        rows.push((
            vec![
                Cell::S(people[j].name.clone()),
                Cell::S(people[j].id.clone()),
                Cell::S(HOTLINE.to_string()),
                Cell::S(INFO_MAILBOX.to_string()),
            ],
            rec,
        ));
    }
    w.xlsx(
        &p("风控部/blacklist_import.xlsx"),
        "risk",
        &["姓名", "身份证号", "联系电话", "备注"],
        rows,
    );

    let seen = &w.seen;
    let count = |f: &dyn Fn(usize) -> bool| (0..people.len()).filter(|&i| f(i)).count() as u64;
    let truth = Truth {
        schema: "pipl-scan/accuracy-truth/v1".to_string(),
        seed,
        population,
        reference_date: REFERENCE_DATE.to_string(),
        people: count(&|i| seen[i][0]),
        sensitive_people: BTreeMap::from([
            (
                "gbt45574-2025".to_string(),
                count(&|i| seen[i][0] && (people[i].minor || seen[i][1])),
            ),
            (
                "gbt35273-2020".to_string(),
                count(&|i| seen[i][0] && (people[i].minor || seen[i][1] || seen[i][2])),
            ),
        ]),
        minor_people: count(&|i| seen[i][0] && people[i].minor),
        files: w.files,
    };
    let json = serde_json::to_vec_pretty(&truth).expect("truth as JSON");
    std::fs::write(root.join("truth.json"), json).expect("writing truth.json");
    truth
}

/// `dir/name.ext` → `dir/name-N.ext`: a part of an export split by size.
fn part_name(path: &str, part: usize) -> String {
    match path.rsplit_once('.') {
        Some((stem, ext)) if !ext.contains('/') => format!("{stem}-{}.{ext}", part + 1),
        _ => format!("{path}-{}", part + 1),
    }
}

/// A prefix for a Luhn-valid transaction or order number: some start like a card.
fn rng_prefix(rng: &mut Rng) -> &'static str {
    const PREFIXES: &[&str] = &["62", "4", "5", "2026", "1", "9"];
    PREFIXES[rng.below(PREFIXES.len() as u64) as usize]
}

/// Shuffles log lines (Fisher–Yates), so traps and people are mixed as in a real log.
fn interleave<T>(rng: &mut Rng, xs: &mut [T]) {
    for i in (1..xs.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        xs.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_labels_are_the_scanners_normal_form() {
        assert_eq!(
            email_norm("Wang@xn--fsqu00a.xn--fiqs8s"),
            "wang@例子.中国",
            "punycode labels in their Unicode form"
        );
        assert_eq!(
            email_norm("jianguo.chen28@xn--fsqu00a.cn"),
            "jianguo.chen28@例子.cn"
        );
        assert_eq!(email_norm("陈芳63@例子.中国"), "陈芳63@例子.中国");
        assert_eq!(email_norm("JOSÉ.Chen@EXÄMPLE.DE"), "josé.chen@exämple.de");
        assert_eq!(email_norm("Li.Na@QQ.COM"), "li.na@qq.com");
    }
}
