//! Throughput of the tabular readers, end to end (sniff → decode → parse → detect → sketch):
//! 1M-row CSVs in UTF-8 and in GBK — a PI-dense export (5 PI fields of 7 in every row) and an
//! order export (2 of 12) — a 1M-line JSON Lines file and a 100K-row xlsx, the last against
//! calamine's own time to read the same workbook, measured in the same run.
//!
//! `cargo bench --bench tabular` (add `-- --rows N` to scale the CSV/JSONL row count). Each
//! case runs 3 times; the best time is reported, in MB/s and records/s. Targets on the 2-core
//! reference machine: CSV ≥ 150 MB/s; xlsx end to end within 1.3× of calamine. A plain harness
//! rather than divan: the xlsx target is a ratio of two measurements, printed here side by side.

use std::io::{Cursor, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use calamine::{Reader, Xlsx};
use pipl_scan::detect::DetectorSet;
use pipl_scan::read::{Ctx, read_file};
use pipl_scan::sketch::SketchKey;

const RUNS: usize = 3;

/// xorshift64*: deterministic data, no dependency.
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
}

fn resident_id(rng: &mut Rng) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!(
        "110105{}{:02}{:02}{:03}",
        1950 + rng.below(60),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(1000)
    );
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// One realistic export row: name, ID, phone, email, address, amount, remark.
fn row(rng: &mut Rng, i: u64) -> [String; 7] {
    const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵"];
    const GIVEN: [&str; 6] = ["伟", "芳", "秀英", "建国", "敏", "静"];
    [
        format!(
            "{}{}",
            SURNAMES[rng.below(8) as usize],
            GIVEN[rng.below(6) as usize]
        ),
        resident_id(rng),
        format!("13{}{:08}", rng.below(10), rng.below(100_000_000)),
        format!("user{i}@example.com"),
        format!(
            "北京市朝阳区建国路{}号院{}号楼",
            rng.below(300),
            rng.below(20)
        ),
        format!("{}.{:02}", rng.below(10_000), rng.below(100)),
        "已核验".to_string(),
    ]
}

const HEADER: [&str; 7] = ["姓名", "身份证号", "手机号", "邮箱", "地址", "金额", "备注"];

fn csv_text(rows: u64) -> String {
    let mut rng = Rng(42);
    let mut s = String::with_capacity(rows as usize * 130);
    s.push_str(&HEADER.join(","));
    s.push('\n');
    for i in 0..rows {
        s.push_str(&row(&mut rng, i).join(","));
        s.push('\n');
    }
    s
}

/// A typical order export: 12 columns of which 2 hold PI (the buyer's name and phone).
fn orders_text(rows: u64) -> String {
    let mut rng = Rng(45);
    let mut s = String::with_capacity(rows as usize * 160);
    s.push_str("订单号,下单时间,商品编码,商品名称,数量,单价,金额,状态,收货人,联系电话,仓库,备注\n");
    for i in 0..rows {
        let r = row(&mut rng, i);
        s.push_str(&format!(
            "2026{:012},2026-11-{:02} {:02}:{:02}:{:02},SKU-{:06},无线鼠标 M{},{},{}.90,{}.{:02},已发货,{},{},华北{}仓,\n",
            i,
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            rng.below(60),
            rng.below(1_000_000),
            rng.below(100),
            1 + rng.below(5),
            rng.below(500),
            rng.below(2000),
            rng.below(100),
            r[0],
            r[2],
            rng.below(9),
        ));
    }
    s
}

fn jsonl_text(rows: u64) -> String {
    let mut rng = Rng(43);
    let mut s = String::with_capacity(rows as usize * 220);
    for i in 0..rows {
        let r = row(&mut rng, i);
        s.push_str(&format!(
            r#"{{"name":"{}","id_card":"{}","contact":{{"phone":"{}","email":"{}"}},"address":"{}","orders":[{{"amount":{}}}],"note":"{}"}}"#,
            r[0], r[1], r[2], r[3], r[4], r[5], r[6]
        ));
        s.push('\n');
    }
    s
}

fn xlsx_bytes(rows: u32) -> Vec<u8> {
    let mut rng = Rng(44);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=rows {
        let v = row(&mut rng, u64::from(r));
        for (c, cell) in v.iter().enumerate() {
            if c == 2 {
                // Phones stored as numbers, as many exports do.
                ws.write_number(r, c as u16, cell.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                ws.write_string(r, c as u16, cell).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn best(mut f: impl FnMut() -> u64) -> (Duration, u64) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn report(name: &str, bytes: usize, records: u64, d: Duration) {
    let s = d.as_secs_f64();
    println!(
        "{name:<34} {:>8.1} MB  {:>7.3} s  {:>7.1} MB/s  {:>10.0} records/s",
        bytes as f64 / 1e6,
        s,
        bytes as f64 / 1e6 / s,
        records as f64 / s
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a list; nothing to list.
    }
    let rows: u64 = args
        .windows(2)
        .find(|w| w[0] == "--rows")
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(1_000_000);
    let xlsx_rows = (rows / 10) as u32;
    // `--only NAME` runs the cases whose name contains NAME (csv, orders, gbk, jsonl, xlsx).
    let only = args
        .windows(2)
        .find(|w| w[0] == "--only")
        .map(|w| w[1].clone())
        .unwrap_or_default();
    let on = |name: &str| name.contains(only.as_str());
    let set = DetectorSet::load(None).unwrap();
    let key = SketchKey::random();
    let ctx = Ctx::new(
        &set,
        &key,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    // One worker thread: the figures are per core, and the machine is shared.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let run = |path: &Path| {
        let size = std::fs::metadata(path).unwrap().len();
        pool.install(|| {
            let r = read_file(path, size, &ctx);
            assert!(r.reason.is_none(), "{:?}", r.reason);
            r.acc.records
        })
    };
    // All cores: a large CSV without quotes is parsed in parallel chunks (see read/csv.rs).
    let all_cores = |path: &Path| {
        let size = std::fs::metadata(path).unwrap().len();
        let r = read_file(path, size, &ctx);
        assert!(r.reason.is_none(), "{:?}", r.reason);
        r.acc.records
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    };
    println!("pipl-scan tabular readers, one thread, best of {RUNS}:");

    if on("csv utf-8") || on("csv gbk") {
        let text = csv_text(rows);
        if on("csv utf-8") {
            let p = write("export.csv", text.as_bytes());
            let (d, n) = best(|| run(&p));
            report(&format!("csv utf-8 {rows} rows PI-dense"), text.len(), n, d);
            let (d, n) = best(|| all_cores(&p));
            report(&format!("  the same on {cores} cores"), text.len(), n, d);
            let (d, n) = best(|| {
                pool.install(|| pipl_scan::read::text::scan_text(text.as_bytes(), &ctx).records)
            });
            report("  same bytes as plain text", text.len(), n, d);
        }
        if on("csv gbk") {
            let gbk = encoding_rs::GBK.encode(&text).0.into_owned();
            let p = write("export_gbk.csv", &gbk);
            let (d, n) = best(|| run(&p));
            report(&format!("csv gbk {rows} rows PI-dense"), gbk.len(), n, d);
            let (d, n) = best(|| all_cores(&p));
            report(&format!("  the same on {cores} cores"), gbk.len(), n, d);
        }
    }
    if on("csv orders") {
        let orders = orders_text(rows);
        let p = write("orders.csv", orders.as_bytes());
        let (d, n) = best(|| run(&p));
        report(&format!("csv orders {rows} rows"), orders.len(), n, d);
        let (d, n) = best(|| all_cores(&p));
        report(&format!("  the same on {cores} cores"), orders.len(), n, d);
        // Reference: the same bytes through the plain-text scanner (the detection engine alone,
        // lines as records, no fields).
        let (d, n) = best(|| {
            pool.install(|| pipl_scan::read::text::scan_text(orders.as_bytes(), &ctx).records)
        });
        report("  same bytes as plain text", orders.len(), n, d);
        // The same export as Excel writes it on Chinese Windows.
        let gbk = encoding_rs::GBK.encode(&orders).0.into_owned();
        let p = write("orders_gbk.csv", &gbk);
        let (d, n) = best(|| all_cores(&p));
        report(&format!("  in GBK, on {cores} cores"), gbk.len(), n, d);
    }
    if on("jsonl") {
        let text = jsonl_text(rows);
        let p = write("export.jsonl", text.as_bytes());
        let (d, n) = best(|| run(&p));
        report(&format!("jsonl {rows} lines"), text.len(), n, d);
    }
    if !on("xlsx") {
        return;
    }
    let book = xlsx_bytes(xlsx_rows);
    let p = write("export.xlsx", &book);
    let (ours, n) = best(|| run(&p));
    report(
        &format!("xlsx {xlsx_rows} rows, pipl-scan"),
        book.len(),
        n,
        ours,
    );
    let (range, cells) = best(|| {
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(&book)).unwrap();
        let name = wb.sheet_names()[0].clone();
        let r = wb.worksheet_range(&name).unwrap();
        r.used_cells().count() as u64
    });
    report("xlsx, calamine range only", book.len(), cells / 7, range);
    let (stream, cells) = best(|| {
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(&book)).unwrap();
        let name = wb.sheet_names()[0].clone();
        let mut rd = wb.worksheet_cells_reader(&name).unwrap();
        let mut n = 0u64;
        while rd.next_cell().unwrap().is_some() {
            n += 1;
        }
        n
    });
    report("xlsx, calamine cells only", book.len(), cells / 7, stream);
    println!(
        "xlsx end to end / calamine: {:.2}× its range read, {:.2}× its cell reader (target ≤ 1.3×)",
        ours.as_secs_f64() / range.as_secs_f64(),
        ours.as_secs_f64() / stream.as_secs_f64()
    );
}
