//! No raw personal data leaves the process: the labelled corpus of the accuracy benchmark is
//! scanned, and every output pipl-scan can write about it — the inventory and links.bin, what
//! `scan`, `explain`, `assess`, `ledger`, `verify`, `diff` and `merge` print on stdout and
//! stderr, the reports in every format and both languages (inside the xlsx too), the ledger
//! database — is searched for every identifier the corpus holds, as the scanner normalises it
//! and as it is written in the files. Zero hits, and the search is shown to find those values
//! in the corpus itself (so it cannot pass by searching wrongly).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

#[allow(dead_code)]
#[path = "../examples/accuracy/corpus.rs"]
mod corpus;

const BIN: &str = env!("CARGO_BIN_EXE_pipl-scan");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs pipl-scan; returns its exit code and stdout + stderr.
fn run(args: &[&str]) -> (i32, Vec<u8>) {
    let o = Command::new(BIN).args(args).output().unwrap();
    let mut text = o.stdout;
    text.extend_from_slice(&o.stderr);
    (o.status.code().unwrap_or(-1), text)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `dir`, with the members of zip containers (xlsx reports) as files of their
/// own, decompressed.
fn outputs(dir: &Path, into: &mut Vec<(String, Vec<u8>)>) {
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap();
        if !e.file_type().is_file() {
            continue;
        }
        let bytes = std::fs::read(e.path()).unwrap();
        let name = e.path().display().to_string();
        if bytes.starts_with(b"PK\x03\x04") {
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
            for i in 0..zip.len() {
                let mut m = zip.by_index(i).unwrap();
                let mut inner = Vec::new();
                std::io::Read::read_to_end(&mut m, &mut inner).unwrap();
                let member = m.name().map(|n| n.to_string()).unwrap_or_default();
                into.push((format!("{name}!{member}"), inner));
            }
        }
        into.push((name, bytes));
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// A value as the test may print it: its first two and last two characters.
fn masked(v: &str) -> String {
    let c: Vec<char> = v.chars().collect();
    let n = c.len();
    format!(
        "{}…{} ({n} chars)",
        c[..2].iter().collect::<String>(),
        c[n - 2..].iter().collect::<String>()
    )
}

#[test]
fn no_output_holds_a_raw_value_of_the_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let share = tmp.path().join("share");
    let truth = corpus::generate(&share, 300, corpus::SEED);
    // Identifiers long enough that a hit cannot be chance (IDs, mobiles, e-mails, cards,
    // passports…): normalised, as the scanner keeps them until it hashes them.
    let values: BTreeSet<String> = truth
        .files
        .iter()
        .flat_map(|f| &f.expected)
        .filter(|l| l.value.chars().count() >= 8)
        .map(|l| l.value.clone())
        .collect();
    assert!(
        values.len() > 500,
        "the corpus holds {} values",
        values.len()
    );
    let detectors: BTreeSet<&str> = truth
        .files
        .iter()
        .flat_map(|f| &f.expected)
        .filter(|l| l.value.chars().count() >= 8)
        .map(|l| l.detector.as_str())
        .collect();
    for d in ["cn-resident-id", "cn-mobile", "email", "bank-card"] {
        assert!(detectors.contains(d), "no {d} in the corpus");
    }

    // Every output.
    let out = tmp.path().join("out");
    let key = tmp.path().join("k.key");
    let mut printed: Vec<(String, Vec<u8>)> = Vec::new();
    let mut step = |what: &str, args: &[&str], ok: &[i32]| {
        let (code, text) = run(args);
        assert!(
            ok.contains(&code),
            "{what} exited {code}: {}",
            String::from_utf8_lossy(&text)
        );
        printed.push((what.to_string(), text));
    };
    let date = truth.reference_date.as_str();
    step(
        "scan",
        &[
            "scan",
            s(&share),
            "-o",
            s(&out),
            "--key-file",
            s(&key),
            "--reference-date",
            date,
        ],
        &[0, 3],
    );
    let inv = out.join("inventory.json");
    // Half the share again, for diff and merge.
    let half = tmp.path().join("half");
    step(
        "scan --shard",
        &[
            "scan",
            s(&share),
            "-o",
            s(&half),
            "--key-file",
            s(&key),
            "--reference-date",
            date,
            "--shard",
            "0/2",
        ],
        &[0, 3],
    );
    let other = tmp.path().join("other");
    step(
        "scan --shard",
        &[
            "scan",
            s(&share),
            "-o",
            s(&other),
            "--key-file",
            s(&key),
            "--reference-date",
            date,
            "--shard",
            "1/2",
            // Structured logs and the sources stream are outputs too.
            "--log-format",
            "json",
            "--sources",
            "jsonl",
        ],
        &[0, 3],
    );
    let merged = tmp.path().join("merged");
    step(
        "merge",
        &["merge", s(&half), s(&other), "-o", s(&merged)],
        &[0],
    );
    step("diff", &["diff", s(&half), s(&out)], &[0, 1]);
    step(
        "diff --format json",
        &["diff", s(&half), s(&out), "--format", "json"],
        &[0, 1],
    );
    let mut explained = 0;
    for f in &truth.files {
        let p = share.join(&f.path);
        if explained < 6 && std::fs::metadata(&p).is_ok_and(|m| m.len() < 2 << 20) {
            for format in ["text", "json"] {
                step("explain", &["explain", s(&p), "--format", format], &[0, 1]);
            }
            explained += 1;
        }
    }
    assert!(explained > 0, "no file small enough to explain");
    let profile = tmp.path().join("profile.toml");
    std::fs::write(
        &profile,
        "[organisation]\nname = \"Test Co.\"\n\n[[flow]]\nname = \"all\"\nsources = [\"**\"]\n\
         recipient = \"R Ltd\"\ncountry = \"SG\"\npurpose = \"support\"\n",
    )
    .unwrap();
    let ledger = tmp.path().join("ledger.db");
    let reports = tmp.path().join("reports");
    for lang in ["en", "zh-CN"] {
        step(
            "assess",
            &[
                "assess",
                s(&inv),
                "--profile",
                s(&profile),
                "--date",
                "2026-12-01",
                "--format",
                "md,html,csv,xlsx,json",
                "--lang",
                lang,
                "-o",
                s(&reports.join(lang)),
                "--exit-zero",
            ],
            &[0],
        );
    }
    step(
        "ledger add",
        &[
            "ledger",
            "add",
            s(&inv),
            "--flow",
            "all",
            "--ledger",
            s(&ledger),
            "--sent-on",
            "2026-06-01",
        ],
        &[0],
    );
    step(
        "ledger show",
        &["ledger", "show", "--ledger", s(&ledger)],
        &[0],
    );
    let declared = Path::new(ROOT).join("examples/declared.toml");
    for format in ["text", "json", "md"] {
        step(
            "verify",
            &[
                "verify",
                s(&inv),
                "--declared",
                s(&declared),
                "--format",
                format,
            ],
            &[0, 1, 14],
        );
    }

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for dir in [&out, &half, &other, &merged, &reports] {
        outputs(dir, &mut files);
    }
    files.push(("ledger.db".into(), std::fs::read(&ledger).unwrap()));
    files.extend(printed);
    assert!(
        files.iter().any(|(n, _)| n.ends_with(".xlsx"))
            && files.iter().any(|(n, _)| n.ends_with(".html"))
            && files.iter().any(|(n, _)| n.contains("!xl/")),
        "every report format was written: {:?}",
        files.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );

    // The search finds the values where they are: most are written plainly in the corpus (the
    // rest encoded, grouped or escaped on purpose).
    let mut corpus_bytes: Vec<(String, Vec<u8>)> = Vec::new();
    outputs(&share, &mut corpus_bytes);
    let found_in_corpus = values
        .iter()
        .filter(|v| corpus_bytes.iter().any(|(_, b)| contains(b, v.as_bytes())))
        .count();
    assert!(
        found_in_corpus * 2 > values.len(),
        "the search found only {found_in_corpus} of {} values in the corpus itself",
        values.len()
    );

    let mut leaks: Vec<String> = Vec::new();
    for v in &values {
        for (name, bytes) in &files {
            if contains(bytes, v.as_bytes()) {
                leaks.push(format!("{} in {name}", masked(v)));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} raw values in the outputs, e.g. {:?}",
        leaks.len(),
        &leaks[..leaks.len().min(10)]
    );
    let searched: usize = files.iter().map(|(_, b)| b.len()).sum();
    eprintln!(
        "searched {} outputs ({searched} bytes) for {} values: no hit",
        files.len(),
        values.len()
    );
}
