//! End-to-end text throughput: `pipl-scan scan` against `rg -c` on the same generated corpus.
//!
//! `cargo bench --bench text` generates (once) a 200 MB log-like file in which about 1% of lines
//! carry PI, warms the page cache, then times the release binary scanning it with the whole
//! catalogue and ripgrep counting matching lines with the same patterns, side by side, and
//! prints MB/s for both and the ratio. Set `PIPL_BENCH_MB` to change the corpus size.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pipl_scan::detect::DetectorSet;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn digits(&mut self, n: usize, out: &mut String) {
        for _ in 0..n {
            out.push(char::from(b'0' + (self.next() % 10) as u8));
        }
    }
}

fn id_check(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    b"10X98765432"[(s % 11) as usize] as char
}

/// Writes the corpus: log lines with numbers, hashes and words; every 100th line has PI.
fn generate(path: &Path, mb: usize) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = String::with_capacity(mb << 20);
    let mut line = 0u64;
    let words = [
        "GET",
        "POST",
        "/api/v1/orders",
        "status=200",
        "latency_ms=",
        "user_agent=Mozilla/5.0",
        "订单已创建",
        "支付成功",
        "库存同步",
        "session=",
        "trace=",
        "region=cn-north-1",
    ];
    while out.len() < mb << 20 {
        line += 1;
        out.push_str("2026-11-02T08:15:");
        rng.digits(2, &mut out);
        out.push_str(".123Z INFO ");
        for _ in 0..5 {
            out.push_str(words[(rng.next() % words.len() as u64) as usize]);
            out.push(' ');
        }
        out.push_str("req=");
        rng.digits(12, &mut out);
        out.push_str(" sha=");
        for _ in 0..16 {
            out.push(char::from(b"0123456789abcdef"[(rng.next() % 16) as usize]));
        }
        if line.is_multiple_of(100) {
            match line / 100 % 4 {
                0 => {
                    let mut b = String::from("110105");
                    b.push_str(&format!(
                        "19{:02}0{}1{}",
                        rng.next() % 100,
                        rng.next() % 9 + 1,
                        rng.next() % 9
                    ));
                    rng.digits(3, &mut b);
                    let c = id_check(&b);
                    out.push_str(&format!(" 身份证号{b}{c}"));
                }
                1 => {
                    out.push_str(" mobile=+86 138");
                    rng.digits(8, &mut out);
                }
                2 => out.push_str(&format!(
                    " email=user{}@example.com",
                    rng.next() % 1_000_000
                )),
                _ => {
                    out.push_str(" 手机13");
                    rng.digits(9, &mut out);
                }
            }
        }
        out.push('\n');
    }
    std::fs::write(path, out).expect("write bench corpus");
}

fn time(mut cmd: Command, runs: usize) -> (Duration, String) {
    let mut best = Duration::MAX;
    let mut stdout = String::new();
    for _ in 0..runs {
        let t = Instant::now();
        let out = cmd.output().expect("run command");
        let d = t.elapsed();
        assert!(
            out.status.success() || out.status.code() == Some(1),
            "{out:?}"
        );
        stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        best = best.min(d);
    }
    (best, stdout)
}

fn main() {
    let mb: usize = std::env::var("PIPL_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let corpus = dir.join(format!("text-{mb}m.log"));
    if !corpus.exists() {
        eprintln!("generating {} ...", corpus.display());
        generate(&corpus, mb);
    }
    let bytes = std::fs::metadata(&corpus).unwrap().len() as f64;
    let _ = std::fs::read(&corpus); // warm the page cache

    let bin = env!("CARGO_BIN_EXE_pipl-scan");
    let out = dir.join("bench-out");
    let mut scan = Command::new(bin);
    scan.arg("scan")
        .arg(&corpus)
        .arg("-o")
        .arg(&out)
        .arg("--quiet");
    let (t_scan, _) = time(scan, 3);
    let inv: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("inventory.json")).unwrap()).unwrap();

    let set = DetectorSet::load(None).unwrap();
    // ripgrep with every catalogue pattern, and with the three the issue measured (ID, mobile,
    // email), counting matching lines: rg has no validators, boundaries or context to check.
    let rg_with = |patterns: &[String]| {
        let mut rg = Command::new("rg");
        rg.arg("-c").arg("--no-config");
        for p in patterns {
            rg.arg("-e").arg(p);
        }
        rg.arg(&corpus);
        rg
    };
    // Header-driven patterns (names, addresses) never run on plain text, so they are left out.
    let all: Vec<String> = set
        .detectors()
        .iter()
        .flat_map(|d| d.patterns.iter().filter(|p| !p.requires_header))
        .map(|p| p.regex.clone())
        .collect();
    let three: Vec<String> = ["cn-resident-id", "cn-mobile", "email"]
        .iter()
        .map(|id| set.get(set.index_of(id).unwrap()).patterns[0].regex.clone())
        .collect();
    let have_rg = Command::new("rg").arg("--version").output().is_ok();
    let mbps = |t: Duration| bytes / t.as_secs_f64() / 1e6;
    println!(
        "corpus: {} ({:.0} MB), {} records, subjects {}",
        corpus.display(),
        bytes / 1e6,
        inv["totals"]["records"],
        inv["totals"]["subjects"]["estimate"]
    );
    println!(
        "pipl-scan scan (all {} detectors): {:>8.3} s  {:>7.0} MB/s",
        set.len(),
        t_scan.as_secs_f64(),
        mbps(t_scan)
    );
    if have_rg {
        for (label, pats) in [("all catalogue", &all), ("ID+mobile+email", &three)] {
            let (t_rg, rg_out) = time(rg_with(pats), 3);
            println!(
                "rg -c ({} patterns, {label}): {:>8.3} s  {:>7.0} MB/s  ({} matching lines)",
                pats.len(),
                t_rg.as_secs_f64(),
                mbps(t_rg),
                rg_out.trim()
            );
            println!(
                "  ratio pipl-scan time / rg time: {:.2} (below 1 = pipl-scan faster)",
                t_scan.as_secs_f64() / t_rg.as_secs_f64()
            );
        }
    } else {
        println!("rg not found: install ripgrep (apt-get install ripgrep) for the comparison");
    }
}
