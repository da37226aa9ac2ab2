//! Throughput of the document readers, end to end (sniff → unzip / parse → extract text →
//! detect → sketch), on generated docx, pdf, eml, doc and rtf files (tests/support/documents.rs):
//! MB/s of files on disk and files/s, one thread, best of 3.
//!
//! `cargo bench --bench documents` (add `-- --files N` to change the files per format).

#[path = "../tests/support/documents.rs"]
mod docgen;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pipl_scan::detect::DetectorSet;
use pipl_scan::read::{Ctx, read_source};
use pipl_scan::sketch::SketchKey;

const RUNS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let files: usize = args
        .windows(2)
        .find(|w| w[0] == "--files")
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(200);
    let set = DetectorSet::load(None).unwrap();
    let key = SketchKey::random();
    let ctx = Ctx::new(
        &set,
        &key,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    println!("pipl-scan document readers, one thread, best of {RUNS}, {files} files each:");
    let docx = docgen::docx(20, 30);
    let pdf = docgen::pdf(5, 20);
    let eml = docgen::eml(40, Some(("名单.docx", &docx)));
    let doc = docgen::doc(20, 30);
    let rtf = docgen::rtf(50);
    let cases: [(&str, &[u8]); 5] = [
        ("docx", &docx),
        ("pdf", &pdf),
        ("eml", &eml),
        ("doc", &doc),
        ("rtf", &rtf),
    ];
    for (ext, bytes) in cases {
        let paths: Vec<PathBuf> = (0..files)
            .map(|i| {
                let p = dir.path().join(format!("{i}.{ext}"));
                std::fs::write(&p, bytes).unwrap();
                p
            })
            .collect();
        let total = (bytes.len() * files) as f64;
        let mut best = Duration::MAX;
        let mut records = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            records = pool.install(|| {
                paths
                    .iter()
                    .map(|p| {
                        let r = read_source(p, bytes.len() as u64, &ctx);
                        assert!(r.iter().all(|x| x.reason.is_none()), "{:?}", r[0].reason);
                        r.iter().map(|x| x.acc.records).sum::<u64>()
                    })
                    .sum::<u64>()
            });
            best = best.min(t.elapsed());
        }
        let s = best.as_secs_f64();
        println!(
            "  {ext:5} {:>7} KiB/file  {:>8.1} MB/s  {:>8.0} files/s  ({records} records)",
            bytes.len() / 1024,
            total / s / 1e6,
            files as f64 / s
        );
    }
}
