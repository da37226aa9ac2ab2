//! The compliance commands through the CLI: `assess` in both regimes and under both standards,
//! straddled thresholds, the ledger (union and crash safety), the pending-transfer guard,
//! `verify`, golden files for every report format, the HTML report in headless Chromium, and the
//! walkthrough in docs/compliance.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pipl_scan::assess::ledger::Ledger;
use pipl_scan::inventory::Inventory;
use pipl_scan::sketch::{Sketch, SketchKey};

const BIN: &str = env!("CARGO_BIN_EXE_pipl-scan");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// A fixed key, so goldens and sketches are reproducible.
const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f";

/// The binary under test: this build's, or `PIPL_SCAN_TEST_BIN` (to show that a regression
/// test fails on an earlier build: `PIPL_SCAN_TEST_BIN=/path/to/old/pipl-scan cargo test …`).
fn bin() -> PathBuf {
    std::env::var_os("PIPL_SCAN_TEST_BIN").map_or_else(|| PathBuf::from(BIN), PathBuf::from)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run pipl-scan")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Scans the text fixtures (from the repository root, so paths read `fixtures/text/…`) into a fresh
/// temporary folder with the fixed key; returns the folder and the inventory path.
fn scan_fixtures() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("sketch.key");
    std::fs::write(&key, KEY_HEX).unwrap();
    let out = tmp.path().join("out");
    let o = run(
        Path::new(ROOT),
        &[
            "scan",
            "fixtures/text",
            "-q",
            "-o",
            out.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
            "--reference-date",
            "2026-11-30",
        ],
    );
    assert_eq!(code(&o), 0, "scan failed: {}", stderr(&o));
    let inv = out.join("inventory.json");
    (tmp, inv)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn profile(flows: &str, org_extra: &str) -> String {
    format!("[organisation]\nname = \"Test Co.\"\n{org_extra}\n{flows}")
}

fn flow(name: &str, globs: &str, extra: &str) -> String {
    format!(
        "[[flow]]\nname = \"{name}\"\nsources = [{globs}]\nrecipient = \"R Ltd\"\ncountry = \"SG\"\npurpose = \"support\"\n{extra}\n"
    )
}

fn assess_json(
    dir: &Path,
    inv: &Path,
    profile: &Path,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    let out = dir.join("reports");
    let mut args = vec![
        "assess",
        inv.to_str().unwrap(),
        "--profile",
        profile.to_str().unwrap(),
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
    ];
    if !extra.contains(&"--date") {
        args.extend_from_slice(&["--date", "2026-12-01"]);
    }
    args.extend_from_slice(extra);
    let o = run(dir, &args);
    let c = code(&o);
    assert!(
        [0, 10, 11, 12, 13, 20, 21, 22].contains(&c),
        "assess failed ({c}): {}",
        stderr(&o)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("assessment.json")).unwrap()).unwrap();
    (c, v, stdout(&o))
}

#[test]
fn a_flow_with_sensitive_pi_needs_a_standard_contract() {
    let (tmp, inv) = scan_fixtures();
    let p = write(
        tmp.path(),
        "p.toml",
        &profile(
            &flow("crm", "\"**/customers_zh.txt\", \"**/payments.txt\"", ""),
            "",
        ),
    );
    let (c, v, out) = assess_json(tmp.path(), &inv, &p, &[]);
    assert_eq!(c, 10, "{out}");
    let d = &v["assessment"]["decision"];
    assert_eq!(d["mechanism"], "standard-contract");
    assert_eq!(d["fired"], serde_json::json!(["P24-spi-any"]));
    // customers (37) ∪ payments (12) with no one in common; 2 + 12 sensitive under GB/T 45574.
    assert_eq!(d["facts"]["transferred"]["estimate"], 49);
    assert_eq!(d["facts"]["transferred_sensitive"]["estimate"], 14);
    assert!(out.contains("Provisions Art. 8"), "{out}");
}

#[test]
fn the_two_standards_are_shown_side_by_side_when_they_differ() {
    // documents_zh.txt holds passports and permits: sensitive under GB/T 35273 only.
    let (tmp, inv) = scan_fixtures();
    let p = write(
        tmp.path(),
        "p.toml",
        &profile(&flow("docs", "\"**/documents_zh.txt\"", ""), ""),
    );
    let (c, v, out) = assess_json(tmp.path(), &inv, &p, &[]);
    assert_eq!(c, 0, "{out}");
    let a = &v["assessment"];
    assert_eq!(a["decision"]["mechanism"], "exempt");
    assert_eq!(
        a["decision"]["fired"],
        serde_json::json!(["P24-small-volume"])
    );
    assert_eq!(a["standards_differ"], true);
    let by = a["by_standard"].as_array().unwrap();
    let mech = |id: &str| {
        by.iter()
            .find(|x| x["standard"] == id)
            .map(|x| x["mechanism"].clone())
            .unwrap()
    };
    assert_eq!(mech("gbt45574-2025"), "exempt");
    assert_eq!(mech("gbt35273-2020"), "standard-contract");
    assert!(out.contains("DIFFERENT mechanism"), "{out}");
    // Choosing the other standard as the headline flips the exit code.
    let (c, _, _) = assess_json(tmp.path(), &inv, &p, &["--sensitivity", "gbt35273-2020"]);
    assert_eq!(c, 10);
}

#[test]
fn the_2022_regime_counts_processing_and_has_no_exemptions() {
    let (tmp, inv) = scan_fixtures();
    let p = write(
        tmp.path(),
        "p.toml",
        &profile(
            &flow(
                "docs",
                "\"**/documents_zh.txt\"",
                "exemption = \"contract\"",
            ),
            "",
        ),
    );
    // Under 2024 the contract exemption takes the flow out: nothing is counted.
    let (c, v, _) = assess_json(tmp.path(), &inv, &p, &[]);
    assert_eq!(c, 0);
    assert_eq!(v["assessment"]["transferred"]["subjects"]["estimate"], 0);
    // Under 2022 it does not exist: any PI abroad needs a standard contract, and the processed
    // figure is the whole inventory (78 people), not the flow.
    let (c, v, out) = assess_json(tmp.path(), &inv, &p, &["--regime", "2022"]);
    assert_eq!(c, 10, "{out}");
    let a = &v["assessment"];
    assert_eq!(a["decision"]["fired"], serde_json::json!(["M22-any-pi"]));
    assert_eq!(a["decision"]["facts"]["processed"]["estimate"], 78);
    assert_eq!(a["decision"]["facts"]["transferred"]["estimate"], 9);
    assert_eq!(a["window_start"], "2025-01-01");
    assert!(
        a["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["code"] == "exemption-not-in-regime"),
        "{a}"
    );
}

#[test]
fn a_ciio_or_important_data_needs_a_security_assessment() {
    let (tmp, inv) = scan_fixtures();
    let f = flow("logs", "\"**/app.log\"", "");
    let p = write(tmp.path(), "ciio.toml", &profile(&f, "ciio = true"));
    let (c, v, _) = assess_json(tmp.path(), &inv, &p, &[]);
    assert_eq!(c, 11);
    assert_eq!(v["assessment"]["decision"]["fired"][0], "P24-ciio");
    let idata = format!(
        "{}\n[important_data]\ntransfers = true\nnotified = true\n",
        profile(&f, "")
    );
    let p = write(tmp.path(), "id.toml", &idata);
    let (c, _, _) = assess_json(tmp.path(), &inv, &p, &[]);
    assert_eq!(c, 11);
    // Not notified: under the Provisions it is not important data (but the note says so).
    let p = write(
        tmp.path(),
        "id2.toml",
        &idata.replace("notified = true", "notified = false"),
    );
    let (c, v, _) = assess_json(tmp.path(), &inv, &p, &[]);
    assert_eq!(c, 0);
    assert!(v.to_string().contains("important-data-not-notified"));
    // Under the 2022 Measures important data triggers whether or not it was notified.
    let (c, _, _) = assess_json(tmp.path(), &inv, &p, &["--regime", "2022"]);
    assert_eq!(c, 11);
}

#[test]
fn an_unknown_profile_key_is_an_error_naming_it() {
    let (tmp, inv) = scan_fixtures();
    let p = write(
        tmp.path(),
        "p.toml",
        &profile(
            &flow("x", "\"**/app.log\"", "recipent_country = \"SG\""),
            "",
        ),
    );
    let o = run(
        tmp.path(),
        &[
            "assess",
            inv.to_str().unwrap(),
            "--profile",
            p.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("recipent_country"), "{}", stderr(&o));
}

/// Replaces the sketches of one source of `inv` with `people` (and makes them all sensitive).
fn with_synthetic_source(inv: &mut Inventory, path_suffix: &str, people: &Sketch) {
    // Rewritten sketches no longer match the scan's link graph: the synthetic inventory is one
    // without it, as inventories written before linking are (its figures are estimates).
    inv.scan.links = None;
    let e = people.estimate();
    let count = pipl_scan::inventory::Count {
        method: "hll".into(),
        estimate: e.estimate,
        low: e.low,
        high: e.high,
        sketch: Some(people.to_base64()),
    };
    let s = inv
        .sources
        .iter_mut()
        .find(|s| s.path.ends_with(path_suffix))
        .unwrap();
    s.subjects = count.clone();
    s.sensitive_subjects = count.clone();
    for c in s.sensitive_subjects_by_standard.values_mut() {
        *c = count.clone();
    }
    s.non_sensitive_subjects_by_standard.clear();
    s.people = None;
    reseal(inv);
}

/// Makes an edited inventory agree with itself again, as a scan of that data would have
/// written it: the totals' figures are the union of the sources' sketches, category matches
/// and records add up, and there is no links file (its figures are estimates). `assess` and
/// `verify` refuse an inventory that does not agree with itself (exit 14).
fn reseal(inv: &mut Inventory) {
    use pipl_scan::inventory::Count;
    inv.scan.links = None;
    inv.graph = None;
    inv.totals.people = None;
    let union = |get: &dyn Fn(&pipl_scan::inventory::SourceEntry) -> Option<&Count>| {
        let mut u = Sketch::with_lg_k(21).unwrap();
        for s in &inv.sources {
            if let Some(b) = get(s).and_then(|c| c.sketch.as_deref()) {
                u.merge(&Sketch::from_base64(b).unwrap());
            }
        }
        count_of(&u)
    };
    let chosen = inv.scan.sensitivity.clone();
    let mut totals = inv.totals.clone();
    totals.subjects = union(&|s| Some(&s.subjects));
    totals.minor_subjects = union(&|s| Some(&s.minor_subjects));
    for (st, c) in totals.sensitive_subjects_by_standard.iter_mut() {
        *c = union(&|s| s.sensitive_subjects_by_standard.get(st));
    }
    totals.sensitive_subjects = totals.sensitive_subjects_by_standard[&chosen].clone();
    if inv
        .sources
        .iter()
        .all(|s| !s.non_sensitive_subjects_by_standard.is_empty())
    {
        for (st, c) in totals.non_sensitive_subjects_by_standard.iter_mut() {
            *c = union(&|s| s.non_sensitive_subjects_by_standard.get(st));
        }
    } else {
        totals.non_sensitive_subjects_by_standard.clear();
        for s in &mut inv.sources {
            s.non_sensitive_subjects_by_standard.clear();
        }
    }
    for c in &mut totals.categories {
        c.matches = inv
            .sources
            .iter()
            .flat_map(|s| &s.categories)
            .filter(|x| x.detector == c.detector)
            .map(|x| x.matches)
            .sum();
    }
    totals.records = inv.sources.iter().map(|s| s.records).sum();
    totals.unidentified_records = inv.sources.iter().map(|s| s.unidentified_records).sum();
    inv.totals = totals;
}

#[test]
fn a_figure_straddling_a_threshold_is_undetermined_and_says_how_to_settle() {
    let (tmp, inv_path) = scan_fixtures();
    let mut inv: Inventory = serde_json::from_slice(&std::fs::read(&inv_path).unwrap()).unwrap();
    let key = SketchKey::from_hex(KEY_HEX).unwrap();
    // About 10,000 people with sensitive PI: the 95% interval spans the 10,000 threshold.
    let mut s = Sketch::new();
    for i in 0..10_000u32 {
        s.insert(&key, format!("cn-resident-id:synthetic-{i}").as_bytes());
    }
    let e = s.estimate();
    assert!(e.low < 10_000 && e.high >= 10_000, "precondition: {e:?}");
    with_synthetic_source(&mut inv, "payments.txt", &s);
    let inv_path = tmp.path().join("synthetic.json");
    std::fs::write(&inv_path, serde_json::to_vec(&inv).unwrap()).unwrap();
    let p = write(
        tmp.path(),
        "p.toml",
        &profile(&flow("pay", "\"**/payments.txt\"", ""), ""),
    );
    let (c, v, out) = assess_json(tmp.path(), &inv_path, &p, &[]);
    assert_eq!(c, 12, "{out}");
    let d = &v["assessment"]["decision"];
    assert_eq!(d["mechanism_high"], "security-assessment");
    assert_eq!(d["straddles"][0]["threshold"], 10_000);
    assert!(
        out.contains("UNDETERMINED")
            && out.contains("Re-scan with `pipl-scan scan fixtures/text --key-file KEY`"),
        "{out}"
    );
    // The same people sketched at precision 21 are counted exactly: the figure decides.
    let mut fine = Sketch::with_lg_k(21).unwrap();
    for i in 0..10_000u32 {
        fine.insert(&key, format!("cn-resident-id:synthetic-{i}").as_bytes());
    }
    assert!(
        fine.estimate().high - fine.estimate().low < 10,
        "{:?}",
        fine.estimate()
    );
    with_synthetic_source(&mut inv, "payments.txt", &fine);
    std::fs::write(&inv_path, serde_json::to_vec(&inv).unwrap()).unwrap();
    let (c, v, _) = assess_json(tmp.path(), &inv_path, &p, &[]);
    assert_eq!(c, 11, "settled: security assessment");
    assert_eq!(
        v["assessment"]["decision"]["facts"]["transferred_sensitive"]["estimate"],
        10_000
    );
    // Well below the threshold the same sketch size decides.
    let mut small = Sketch::new();
    for i in 0..9_000u32 {
        small.insert(&key, format!("cn-resident-id:synthetic-{i}").as_bytes());
    }
    with_synthetic_source(&mut inv, "payments.txt", &small);
    std::fs::write(&inv_path, serde_json::to_vec(&inv).unwrap()).unwrap();
    let (c, _, _) = assess_json(tmp.path(), &inv_path, &p, &[]);
    assert_eq!(c, 10);
}

fn ledger_add(
    dir: &Path,
    ledger: &Path,
    flow: &str,
    inv: &Path,
    sent_on: &str,
    env: Option<(&str, &str)>,
) -> Output {
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir).args([
        "ledger",
        "add",
        "--flow",
        flow,
        inv.to_str().unwrap(),
        "--ledger",
        ledger.to_str().unwrap(),
        "--sent-on",
        sent_on,
    ]);
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn ledger_show(dir: &Path, ledger: &Path, year: &str) -> serde_json::Value {
    let o = run(
        dir,
        &[
            "ledger",
            "show",
            "--ledger",
            ledger.to_str().unwrap(),
            "--year",
            year,
            "--json",
            "--entries",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn the_ledger_unions_exports_and_the_same_export_twice_does_not_inflate() {
    let (tmp, inv) = scan_fixtures();
    let ledger = tmp.path().join("ledger.db");
    for date in ["2026-03-01", "2026-04-01"] {
        let o = ledger_add(tmp.path(), &ledger, "crm", &inv, date, None);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let o = ledger_add(tmp.path(), &ledger, "crm", &inv, "2025-06-01", None);
    assert_eq!(code(&o), 0);
    let v = ledger_show(tmp.path(), &ledger, "2026");
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
    assert_eq!(v["flows"][0]["figures"]["subjects"]["estimate"], 78);
    assert_eq!(v["all_flows"]["subjects"]["estimate"], 78);
    // The text form too.
    let o = run(
        tmp.path(),
        &[
            "ledger",
            "show",
            "--ledger",
            ledger.to_str().unwrap(),
            "--year",
            "2026",
        ],
    );
    assert!(
        stdout(&o).contains("crm") && stdout(&o).contains("78"),
        "{}",
        stdout(&o)
    );
    // A ledger flow the profile does not define still counts in `assess`.
    let p = write(
        tmp.path(),
        "p.toml",
        &profile(&flow("docs", "\"**/documents_zh.txt\"", ""), ""),
    );
    let (c, v, _) = assess_json(
        tmp.path(),
        &inv,
        &p,
        &["--ledger", ledger.to_str().unwrap()],
    );
    assert_eq!(v["assessment"]["transferred"]["subjects"]["estimate"], 78);
    assert_eq!(c, 10);
}

#[test]
fn the_ledger_survives_a_crash_mid_write() {
    let (tmp, inv) = scan_fixtures();
    let ledger = tmp.path().join("ledger.db");
    assert_eq!(
        code(&ledger_add(
            tmp.path(),
            &ledger,
            "crm",
            &inv,
            "2026-02-01",
            None
        )),
        0
    );
    // The child process dies (SIGABRT) between the entry row and its sketches, inside the
    // transaction.
    let o = ledger_add(
        tmp.path(),
        &ledger,
        "crm",
        &inv,
        "2026-02-02",
        Some(("PIPL_SCAN_LEDGER_FAULT", "abort-mid-write")),
    );
    assert!(
        !o.status.success(),
        "the fault injection should have aborted the process"
    );
    assert_eq!(
        o.status.code(),
        None,
        "killed by a signal, not an orderly exit"
    );
    let l = Ledger::open(&ledger).unwrap();
    l.check().expect("ledger intact after the crash");
    assert_eq!(l.entries(2026..=2026, None).unwrap().len(), 1);
    drop(l);
    // And it keeps working.
    assert_eq!(
        code(&ledger_add(
            tmp.path(),
            &ledger,
            "crm",
            &inv,
            "2026-02-03",
            None
        )),
        0
    );
    let v = ledger_show(tmp.path(), &ledger, "2026");
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
    assert_eq!(v["all_flows"]["subjects"]["estimate"], 78);
}

#[test]
fn the_guard_flags_data_sent_while_an_assessment_was_pending() {
    let (tmp, inv) = scan_fixtures();
    let ledger = tmp.path().join("ledger.db");
    assert_eq!(
        code(&ledger_add(
            tmp.path(),
            &ledger,
            "crm",
            &inv,
            "2026-05-01",
            None
        )),
        0
    );
    let f = flow(
        "crm",
        "\"**/*.txt\", \"**/*.log\"",
        "[flow.mechanism]\nkind = \"security-assessment\"\nstatus = \"applied\"\napplied_on = 2026-03-01\n",
    );
    let p = write(tmp.path(), "p.toml", &profile(&f, "ciio = true"));
    let (c, v, out) = assess_json(
        tmp.path(),
        &inv,
        &p,
        &["--ledger", ledger.to_str().unwrap()],
    );
    // A security assessment is required (CIIO), and data was sent uncovered: 11 + 10.
    assert_eq!(c, 21, "{out}");
    let g = &v["assessment"]["guard"][0];
    assert_eq!(g["reason"], "pending");
    assert_eq!(g["sent_on"], "2026-05-01");
    assert!(
        out.contains("sent while the application was pending"),
        "{out}"
    );
    let md_dir = tmp.path().join("md");
    let o = run(
        tmp.path(),
        &[
            "assess",
            inv.to_str().unwrap(),
            "--profile",
            p.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
            "--date",
            "2026-12-01",
            "--format",
            "md",
            "-o",
            md_dir.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(code(&o), 21);
    let md = std::fs::read_to_string(md_dir.join("report.md")).unwrap();
    assert!(
        md.contains("1 ledger entries show data sent without the mechanism"),
        "{md}"
    );
    assert!(md.contains("| crm | #1 | 2026-05-01 |"), "{md}");
    // Once approved before the send date, the same entry is covered, and the calendar runs.
    let approved = p.with_file_name("p2.toml");
    std::fs::write(
        &approved,
        std::fs::read_to_string(&p).unwrap().replace(
            "status = \"applied\"",
            "status = \"approved\"\napproved_on = 2026-04-01",
        ),
    )
    .unwrap();
    let (c, v, _) = assess_json(
        tmp.path(),
        &inv,
        &approved,
        &["--ledger", ledger.to_str().unwrap()],
    );
    assert_eq!(c, 11);
    let ap = &v["assessment"]["approvals"][0];
    assert_eq!(ap["valid_through"], "2029-03-31");
    assert_eq!(ap["recommended_start"], "2028-10-01");
    assert_eq!(ap["state"], "valid");
    // Under the 2022 Measures the same approval lasts two years.
    let (_, v, _) = assess_json(
        tmp.path(),
        &inv,
        &approved,
        &["--ledger", ledger.to_str().unwrap(), "--regime", "2022"],
    );
    assert_eq!(
        v["assessment"]["approvals"][0]["valid_through"],
        "2028-03-31"
    );
}

#[test]
fn verify_catches_an_understated_declaration_with_masked_evidence() {
    let (tmp, inv) = scan_fixtures();
    let decl = Path::new(ROOT).join("examples/declared.toml");
    let o = run(
        tmp.path(),
        &[
            "verify",
            "--declared",
            decl.to_str().unwrap(),
            inv.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = v["discrepancies"].as_array().unwrap();
    let items: Vec<_> = d
        .iter()
        .map(|x| (x["kind"].as_str().unwrap(), x["item"].as_str().unwrap()))
        .collect();
    assert_eq!(
        items,
        vec![
            ("understated-volume", "category cn-resident-id"),
            ("understated-volume", "flow crm-to-hq")
        ]
    );
    let sample = d[0]["evidence"][0]["samples"][0].as_str().unwrap();
    assert!(sample.contains("********"), "masked: {sample}");
    // No raw ID number anywhere in the output.
    let raw =
        std::fs::read_to_string(Path::new(ROOT).join("fixtures/text/customers_zh.txt")).unwrap();
    let id = raw
        .lines()
        .nth(1)
        .unwrap()
        .split("身份证号")
        .nth(1)
        .unwrap()[..18]
        .to_string();
    assert!(!stdout(&o).contains(&id));
    for fmt in ["text", "md"] {
        let o = run(
            tmp.path(),
            &[
                "verify",
                "--declared",
                decl.to_str().unwrap(),
                inv.to_str().unwrap(),
                "--format",
                fmt,
            ],
        );
        assert_eq!(code(&o), 1);
        assert!(
            stdout(&o).contains("understated-volume"),
            "{fmt}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn verify_reports_undeclared_and_absent_items_and_passes_a_true_declaration() {
    let (tmp, inv) = scan_fixtures();
    let partial = write(
        tmp.path(),
        "d.toml",
        "[[category]]\ndetector = \"cn-mobile\"\n[[category]]\ndetector = \"cn-passport\"\n[[category]]\ndetector = \"email\"\nsubjects = 40\n\
         [[category]]\ndetector = \"cn-resident-id\"\n[[category]]\ndetector = \"bank-card\"\n[[category]]\ndetector = \"hk-macau-permit\"\n\
         [[category]]\ndetector = \"biometric-face\"\n\
         [[source]]\npath = \"**/*.txt\"\n[[source]]\npath = \"**/hr/*.csv\"\n",
    );
    let o = run(
        tmp.path(),
        &[
            "verify",
            "--declared",
            partial.to_str().unwrap(),
            inv.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let kinds: Vec<String> = v["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{} {}",
                x["kind"].as_str().unwrap(),
                x["item"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "undeclared-category category tw-permit",
            "undeclared-source source fixtures/text/app.log",
            "understated-volume category email",
            "declared-but-absent category biometric-face",
            "declared-but-absent source **/hr/*.csv",
        ],
        "{v}"
    );
    // The true figures, declared, pass.
    let truth = write(
        tmp.path(),
        "t.toml",
        "[totals]\nsubjects = 78\nsensitive_subjects = 14\n[[source]]\npath = \"**/*\"\n\
         [[category]]\ndetector = \"cn-mobile\"\n[[category]]\ndetector = \"cn-passport\"\n[[category]]\ndetector = \"email\"\nsubjects = 50\n\
         [[category]]\ndetector = \"cn-resident-id\"\n[[category]]\ndetector = \"bank-card\"\n[[category]]\ndetector = \"hk-macau-permit\"\n\
         [[category]]\ndetector = \"tw-permit\"\n",
    );
    let o = run(
        tmp.path(),
        &[
            "verify",
            "--declared",
            truth.to_str().unwrap(),
            inv.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("no discrepancy"));
}

// ---- golden files ---------------------------------------------------------------------------

/// Replaces RFC 3339 UTC timestamps (`2026-11-25T13:19:38Z`) with a placeholder.
fn normalise(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    while i < b.len() {
        if i + shape.len() <= b.len()
            && shape.iter().zip(&b[i..i + shape.len()]).all(|(p, c)| {
                if *p == b'd' {
                    c.is_ascii_digit()
                } else {
                    p == c
                }
            })
        {
            out.push_str("<TIMESTAMP>");
            i += shape.len();
        } else {
            let ch = s[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out.replace(env!("CARGO_PKG_VERSION"), "<VERSION>")
}

/// The workbook as text: per sheet, its name, frozen pane, autofilter and every cell.
fn xlsx_dump(path: &Path) -> String {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = String::new();
    for (i, name) in wb.sheet_names().clone().iter().enumerate() {
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip
                .by_name(&format!("xl/worksheets/sheet{}.xml", i + 1))
                .unwrap(),
            &mut xml,
        )
        .unwrap();
        let frozen = xml.contains(
            "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>",
        );
        let filter = xml
            .split("<autoFilter ref=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("none");
        out.push_str(&format!(
            "== sheet {name} (frozen header: {frozen}, autofilter: {filter})\n"
        ));
        let range = wb.worksheet_range(name).unwrap();
        for row in range.rows() {
            let cells: Vec<String> = row.iter().map(|c| c.to_string()).collect();
            out.push_str(&cells.join("\t"));
            out.push('\n');
        }
    }
    out
}

fn check_golden(name: &str, actual: &str) {
    let path = Path::new(ROOT).join("tests/golden").join(name);
    let actual = normalise(actual);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden {} (run with UPDATE_GOLDEN=1)",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from its golden file at line {}:\n  golden: {:?}\n  actual: {:?}\n(run with UPDATE_GOLDEN=1 to accept)",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

fn reports(lang: &str, formats: &str) -> (tempfile::TempDir, PathBuf) {
    let (tmp, inv) = scan_fixtures();
    let out = tmp.path().join(format!("reports-{lang}"));
    let profile = Path::new(ROOT).join("examples/pipl-scan.toml");
    let o = run(
        Path::new(ROOT),
        &[
            "assess",
            inv.to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
            "--date",
            "2026-12-01",
            "--format",
            formats,
            "--lang",
            lang,
            "-o",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(code(&o), 10, "{}", stderr(&o));
    (tmp, out)
}

#[test]
fn golden_reports_in_every_format() {
    let (_tmp, out) = reports("en", "md,html,csv,xlsx,json");
    let read = |n: &str| std::fs::read_to_string(out.join(n)).unwrap();
    check_golden("report.en.md", &read("report.md"));
    check_golden("report.en.html", &read("report.html"));
    check_golden("inventory.csv", &read("inventory.csv"));
    check_golden("assessment.json", &read("assessment.json"));
    check_golden(
        "inventory.en.xlsx.txt",
        &xlsx_dump(&out.join("inventory.xlsx")),
    );
    let (_tmp, out) = reports("zh-CN", "md,xlsx");
    check_golden(
        "report.zh-CN.md",
        &std::fs::read_to_string(out.join("report.md")).unwrap(),
    );
    check_golden(
        "inventory.zh-CN.xlsx.txt",
        &xlsx_dump(&out.join("inventory.xlsx")),
    );
}

#[test]
fn the_workbook_has_a_frozen_filtered_sheet_per_table() {
    let (_tmp, out) = reports("en", "xlsx");
    let dump = xlsx_dump(&out.join("inventory.xlsx"));
    let sheets: Vec<&str> = dump.lines().filter(|l| l.starts_with("== sheet")).collect();
    assert_eq!(sheets.len(), 7, "{dump}");
    for s in &sheets {
        assert!(s.contains("frozen header: true"), "{s}");
        assert!(!s.contains("autofilter: none"), "{s}");
    }
    // The Fields sheet has one row per source × field × detector, like inventory.csv.
    let (_t, inv) = scan_fixtures();
    let inv: Inventory = serde_json::from_slice(&std::fs::read(inv).unwrap()).unwrap();
    let expected: usize = inv
        .sources
        .iter()
        .flat_map(|s| s.fields.iter())
        .map(|f| f.categories.len())
        .sum();
    let fields = dump
        .split("== sheet Fields")
        .nth(1)
        .unwrap()
        .split("== sheet")
        .next()
        .unwrap();
    // The rest of the sheet's title line, the header, then the rows.
    assert_eq!(fields.lines().count(), 2 + expected, "{fields}");
    assert!(
        fields
            .lines()
            .skip(2)
            .all(|l| l.starts_with("fixtures/text/")),
        "{fields}"
    );
}

#[test]
fn the_csv_has_one_row_per_source_field_and_detector() {
    let (_tmp, out) = reports("en", "csv");
    let text = std::fs::read_to_string(out.join("inventory.csv")).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let inv: Inventory = {
        let (_t, inv) = scan_fixtures();
        serde_json::from_slice(&std::fs::read(inv).unwrap()).unwrap()
    };
    let expected: usize = inv
        .sources
        .iter()
        .flat_map(|s| s.fields.iter())
        .map(|f| f.categories.len())
        .sum();
    assert_eq!(rows.len(), expected);
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let flows_of = |src: &str| {
        rows.iter()
            .filter(|x| x[col("source")].ends_with(src))
            .map(|x| x[col("flows")].to_string())
            .collect::<Vec<_>>()
    };
    assert!(flows_of("payments.txt").iter().all(|f| f == "crm-to-hq"));
    assert!(flows_of("app.log").iter().all(|f| f.is_empty()));
}

// ---- the HTML report in a browser -----------------------------------------------------------

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|c| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(c))
                    .find(|p| p.is_file())
            })
        })
}

/// Loads `page` in headless Chromium; returns the DOM and the console lines it logged.
fn load_in_chromium(browser: &Path, page: &Path) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(o.status.success(), "chromium failed: {}", stderr(&o));
    let console = stderr(&o)
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .map(str::to_string)
        .collect();
    (stdout(&o), console)
}

#[test]
fn the_html_report_loads_in_chromium_without_console_errors() {
    let Some(browser) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is not installed (.ci/run installs it)");
        }
        eprintln!("note: chromium not found; skipping the browser test (apt-get install chromium)");
        return;
    };
    // The check must be able to fail: a page with a console error is caught.
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(
        tmp.path(),
        "bad.html",
        "<!DOCTYPE html><html><body><p>x</p><script>console.error('broken')</script></body></html>",
    );
    let (_, console) = load_in_chromium(&browser, &bad);
    assert!(console.iter().any(|l| l.contains("broken")), "{console:?}");

    for lang in ["en", "zh-CN"] {
        let (_tmp, out) = reports(lang, "html");
        let (dom, console) = load_in_chromium(&browser, &out.join("report.html"));
        assert!(console.is_empty(), "{lang}: console output: {console:?}");
        let expect = if lang == "en" {
            "Required: Standard contract filing or personal information protection certification"
        } else {
            "须履行：订立个人信息出境标准合同并备案，或通过个人信息保护认证"
        };
        assert!(
            dom.contains("id=\"determination\""),
            "{lang}: no determination block"
        );
        assert!(dom.contains(expect), "{lang}: determination text missing");
        assert!(dom.contains("<svg"), "{lang}: charts missing");
        if lang == "zh-CN" {
            chinese_renders_with_a_real_font(&browser, &dom, tmp.path());
        }
    }
}

/// A font with Chinese glyphs known to fontconfig, if any.
fn cjk_font() -> Option<String> {
    let o = Command::new("fc-list")
        .args([":lang=zh", "family"])
        .output()
        .ok()?;
    stdout(&o).lines().next().map(str::to_string)
}

/// Takes a screenshot of `page` (`width` × `height`); returns its pixels as grey levels.
fn screenshot(browser: &Path, page: &Path, width: u32, height: u32) -> Vec<Vec<u8>> {
    let profile = tempfile::tempdir().unwrap();
    let png_path = profile.path().join("shot.png");
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-background-networking",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", png_path.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(o.status.success(), "chromium failed: {}", stderr(&o));
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bpp = info.line_size / info.width as usize;
    (0..info.height as usize)
        .map(|y| {
            (0..info.width as usize)
                .map(|x| {
                    let p = &buf[y * info.line_size + x * bpp..][..bpp.min(3)];
                    (p.iter().map(|&c| u32::from(c)).sum::<u32>() / p.len() as u32) as u8
                })
                .collect()
        })
        .collect()
}

/// Dark pixels in columns `from..to` of a screenshot.
fn ink(px: &[Vec<u8>], from: usize, to: usize) -> usize {
    px.iter()
        .map(|row| row[from..to].iter().filter(|&&g| g < 128).count())
        .sum()
}

/// The Chinese report names a CJK font stack, and Chinese text set in it renders as glyphs of
/// a real font: two characters of very different stroke counts, drawn with the report's own
/// style sheet, leave clearly different amounts of ink (a missing font draws the same empty
/// box for both, or nothing).
fn chinese_renders_with_a_real_font(browser: &Path, dom: &str, dir: &Path) {
    assert!(
        dom.contains("\"Noto Sans CJK SC\"") && dom.contains("\"WenQuanYi Micro Hei\""),
        "the zh-CN report names no CJK font stack"
    );
    let Some(font) = cjk_font() else {
        if std::env::var_os("CI").is_some() {
            panic!("no CJK font is installed (.ci/run installs fonts-wqy-microhei)");
        }
        eprintln!(
            "note: no CJK font (fc-list :lang=zh is empty); skipping the glyph check (apt-get install fonts-wqy-microhei)"
        );
        return;
    };
    let style = dom
        .split("<style>")
        .nth(1)
        .and_then(|s| s.split("</style>").next())
        .expect("the report's style sheet");
    let page = write(
        dir,
        "glyphs.html",
        &format!(
            "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><style>{style}\
             body {{ margin: 0; padding: 0; max-width: none; }} \
             span {{ display: inline-block; width: 200px; height: 200px; font-size: 160px; line-height: 200px; text-align: center; }}\
             </style></head><body><span>鬱</span><span>一</span></body></html>"
        ),
    );
    let px = screenshot(browser, &page, 400, 200);
    let (dense, sparse) = (ink(&px, 0, 200), ink(&px, 200, 400));
    assert!(
        sparse > 200 && dense > 3 * sparse,
        "Chinese did not render with a real font ({font}): ink 鬱 = {dense}, 一 = {sparse}"
    );
}

// ---- the walkthrough in docs/compliance.md ----------------------------------------------------

#[test]
fn the_readme_walkthrough_works() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("docs/compliance.md")).unwrap();
    let section = readme
        .split("<!-- section: compliance -->")
        .nth(1)
        .and_then(|s| s.split("<!-- /section: compliance -->").next())
        .expect("compliance section");
    // Every `pipl-scan …` line of its sh blocks, with the exit code its comment announces.
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in section.lines() {
        if line.trim_start().starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if in_sh && line.starts_with("pipl-scan ") {
            let (cmd, comment) = line.split_once('#').unwrap_or((line, ""));
            let expect: i32 = comment
                .split("exit ")
                .nth(1)
                .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            commands.push((cmd.trim().to_string(), expect));
        }
    }
    assert!(commands.len() >= 4, "walkthrough commands: {commands:?}");
    // Run them in a scratch folder holding the repository's fixtures and examples.
    let tmp = tempfile::tempdir().unwrap();
    for d in ["fixtures", "examples"] {
        std::os::unix::fs::symlink(Path::new(ROOT).join(d), tmp.path().join(d)).unwrap();
    }
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut outputs = String::new();
    for (cmd, expect) in &commands {
        let o = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(tmp.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        assert_eq!(code(&o), *expect, "`{cmd}`: {}{}", stdout(&o), stderr(&o));
        outputs.push_str(&stdout(&o));
    }
    assert!(
        outputs.contains("because P24-spi-any"),
        "determination with reasons:\n{outputs}"
    );
    assert!(
        outputs.contains("understated-volume"),
        "verify caught the understatement:\n{outputs}"
    );
    let out = tmp.path().join("out");
    for f in ["inventory.json", "report.html", "inventory.xlsx"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}

#[test]
fn scan_with_a_profile_assesses_and_without_one_writes_inventory_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let key = write(tmp.path(), "k", KEY_HEX);
    let profile = Path::new(ROOT).join("examples/pipl-scan.toml");
    let out = tmp.path().join("a");
    let o = run(
        Path::new(ROOT),
        &[
            "scan",
            "fixtures/text",
            "-q",
            "-o",
            out.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
            "--format",
            "md,json",
        ],
    );
    assert_eq!(code(&o), 10, "{}", stderr(&o));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("Required: Standard contract filing"), "{md}");
    assert!(out.join("assessment.json").is_file() && out.join("inventory.json").is_file());
    // Without a profile: the reports carry the inventory, no determination, and exit 0.
    let out = tmp.path().join("b");
    let o = run(
        Path::new(ROOT),
        &[
            "scan",
            "fixtures/text",
            "-q",
            "-o",
            out.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
            "--format",
            "md,csv",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("No organisation profile was given"), "{md}");
    assert!(md.contains("(not transferred)"));
    assert!(out.join("inventory.csv").is_file());
    // A ledger path that does not exist is an error, not an empty year.
    let o = run(
        tmp.path(),
        &[
            "assess",
            out.join("inventory.json").to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
            "--ledger",
            "no-such-ledger.db",
        ],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no ledger at"), "{}", stderr(&o));
    assert!(!tmp.path().join("no-such-ledger.db").exists());
}

#[test]
fn scan_precision_21_keeps_its_precision_through_the_assessment() {
    let tmp = tempfile::tempdir().unwrap();
    let key = write(tmp.path(), "k", KEY_HEX);
    let out = tmp.path().join("p21");
    let o = run(
        Path::new(ROOT),
        &[
            "scan",
            "fixtures/text",
            "-q",
            "-o",
            out.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
            "--precision",
            "21",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let inv: Inventory =
        serde_json::from_slice(&std::fs::read(out.join("inventory.json")).unwrap()).unwrap();
    assert_eq!(inv.scan.sketch.lg_k, 21);
    // Still a valid inventory v1.
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(ROOT).join("schema/inventory-v1.schema.json")).unwrap(),
    )
    .unwrap();
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("inventory.json")).unwrap()).unwrap();
    assert!(jsonschema::validator_for(&schema).unwrap().is_valid(&doc));
    let s = Sketch::from_base64(inv.totals.subjects.sketch.as_deref().unwrap()).unwrap();
    assert_eq!(s.lg_k(), 21);
    // A flow's union keeps 21 (an accumulator must not fall back to the default 14).
    let one = &inv
        .sources
        .iter()
        .find(|s| s.path.ends_with("payments.txt"))
        .unwrap()
        .subjects;
    let mut acc = pipl_scan::assess::figures::SubjectSketches::empty();
    let src = inv
        .sources
        .iter()
        .find(|s| s.path.ends_with("payments.txt"))
        .unwrap();
    acc.merge(&pipl_scan::assess::figures::SubjectSketches::of_source(&inv, src).unwrap())
        .unwrap();
    assert_eq!(acc.subjects.lg_k(), 21);
    assert_eq!(acc.figures().subjects.estimate, one.estimate);
    let o = run(
        Path::new(ROOT),
        &[
            "scan",
            "fixtures/text",
            "-q",
            "-o",
            out.to_str().unwrap(),
            "--precision",
            "22",
        ],
    );
    assert_eq!(code(&o), 2, "precision above 21 is refused");
}

#[test]
fn thousands_of_sources_give_readable_reports_and_a_valid_workbook() {
    let (tmp, inv) = scan_fixtures();
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&inv).unwrap()).unwrap();
    let with_pi: Vec<serde_json::Value> = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["categories"].as_array().unwrap().is_empty())
        .cloned()
        .collect();
    let mut many = Vec::new();
    for i in 0..1500 {
        for s in &with_pi {
            let mut s = s.clone();
            let name = s["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            s["path"] = serde_json::json!(format!("share/dept{i:04}/{name}"));
            many.push(s);
        }
    }
    v["sources"] = serde_json::json!(many);
    // Copied sources have no graph in the scan's links file: an inventory without one.
    let mut inv: Inventory = serde_json::from_value(v).unwrap();
    for s in &mut inv.sources {
        s.people = None;
    }
    reseal(&mut inv);
    let big = tmp.path().join("big.json");
    std::fs::write(&big, serde_json::to_vec(&inv).unwrap()).unwrap();
    let profile = Path::new(ROOT).join("examples/pipl-scan.toml");
    let out = tmp.path().join("big");
    let o = run(
        tmp.path(),
        &[
            "assess",
            big.to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
            "--format",
            "md,xlsx",
            "-o",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    // The same people in every copy: the union still counts 49.
    assert_eq!(code(&o), 10, "{}", stderr(&o));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("+2,988 more sources"), "diagram overflow node");
    assert!(
        md.contains("+1,490 more sources (inventory.csv)"),
        "data-item locations cut"
    );
    assert!(md.contains("People per source (largest 30 / 6,000)"));
    assert!(md.contains("| crm-to-hq | Example Holding GmbH (Germany) |"));
    assert!(
        md.contains("| 49 | 0 (0) | 49 | 14 |"),
        "flow figures are unions"
    );
    // The workbook opens: cells past Excel's limit were cut, not refused.
    let dump = xlsx_dump(&out.join("inventory.xlsx"));
    assert!(dump.contains("cut at Excel's cell limit"));
}

/// A 16-digit UnionPay number (622202 + `n` + Luhn check digit).
fn card(n: u32) -> String {
    let body = format!("622202{n:09}");
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

/// Scans `lines` written to `dir/export/data.txt` and assesses the flow that sends it.
fn scan_and_assess(dir: &Path, lines: impl Iterator<Item = String>) -> (i32, serde_json::Value) {
    let data = dir.join("export");
    std::fs::create_dir_all(&data).unwrap();
    let text: String = lines.map(|l| l + "\n").collect();
    std::fs::write(data.join("data.txt"), text).unwrap();
    let out = dir.join("out");
    let o = run(
        dir,
        &[
            "scan",
            data.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let p = write(
        dir,
        "p.toml",
        &profile(&flow("f", "\"**/data.txt\"", ""), ""),
    );
    let (c, v, out) = assess_json(dir, &out.join("inventory.json"), &p, &[]);
    assert_ne!(c, 12, "an exact figure is never undetermined: {out}");
    (c, v)
}

/// At 9,999 / 10,000 / 10,001 people with sensitive PI (bank cards, sensitive under GB/T
/// 45574-2025) a scan's exact figure decides, and decides right: a security assessment from
/// 10,000 (Provisions Art. 7), a standard contract below (Art. 8). The sketch alone would
/// straddle the threshold (see the test above).
#[test]
fn exact_people_decide_at_the_sensitive_threshold() {
    for (n, want) in [(9_999u32, 10), (10_000, 11), (10_001, 11)] {
        let tmp = tempfile::tempdir().unwrap();
        // Each card twice, on lines of its own: repeats do not count twice.
        let lines = (0..n)
            .chain(0..n)
            .map(|i| format!("客户 银行卡 {}", card(i)));
        let (c, v) = scan_and_assess(tmp.path(), lines);
        let facts = &v["assessment"]["decision"]["facts"];
        assert_eq!(facts["transferred_sensitive"]["estimate"], n, "{facts}");
        assert_eq!(facts["transferred_sensitive"]["low"], n);
        assert_eq!(facts["transferred_sensitive"]["high"], n);
        assert_eq!(c, want, "{n} people with sensitive PI");
    }
}

/// At 99,999 / 100,000 / 100,001 people (e-mail addresses only, not sensitive): exempt below
/// 100,000 (Provisions Art. 5(4)), a standard contract from it (Art. 8).
#[test]
fn exact_people_decide_at_the_100000_threshold() {
    for (n, want) in [(99_999u32, 0), (100_000, 10), (100_001, 10)] {
        let tmp = tempfile::tempdir().unwrap();
        let lines = (0..n).map(|i| format!("user{i}@example.com"));
        let (c, v) = scan_and_assess(tmp.path(), lines);
        let facts = &v["assessment"]["decision"]["facts"];
        assert_eq!(facts["transferred"]["estimate"], n, "{facts}");
        assert_eq!(facts["transferred"]["low"], facts["transferred"]["high"]);
        assert_eq!(c, want, "{n} people");
    }
}

// ---- the rules read exactly (issue 15) --------------------------------------------------------

/// A sketch of the people `p{i}` for `i` in `r`, under the fixed key, at precision `lg_k`.
fn people_sketch(r: std::ops::Range<u32>, lg_k: u8) -> Sketch {
    let key = SketchKey::from_hex(KEY_HEX).unwrap();
    let mut s = Sketch::with_lg_k(lg_k).unwrap();
    for i in r {
        s.insert(&key, format!("email:p{i}@example.com").as_bytes());
    }
    s
}

fn count_of(s: &Sketch) -> pipl_scan::inventory::Count {
    let e = s.estimate();
    pipl_scan::inventory::Count {
        method: "hll".into(),
        estimate: e.estimate,
        low: e.low,
        high: e.high,
        sketch: (!s.is_empty()).then(|| s.to_base64()),
    }
}

/// An inventory of one source, `export/FILE` (the fixtures' payments.txt, its figures
/// replaced): `everyone` are its people, `sensitive` those with sensitive PI and `non_sensitive`
/// those with PI that is not (under both standards), sketched at `lg_k`. Its totals agree with
/// the source, as a scan's do; it has no links file (its figures are estimates).
fn synthetic(
    base: &Inventory,
    dir: &Path,
    file: &str,
    lg_k: u8,
    everyone: std::ops::Range<u32>,
    sensitive: std::ops::Range<u32>,
    non_sensitive: std::ops::Range<u32>,
) -> PathBuf {
    let mut inv = base.clone();
    inv.scan.links = None;
    inv.graph = None;
    let mut src = inv
        .sources
        .iter()
        .find(|s| s.path.ends_with("payments.txt"))
        .unwrap()
        .clone();
    src.path = format!("export/{file}");
    src.people = None;
    let all = count_of(&people_sketch(everyone, lg_k));
    let sens = count_of(&people_sketch(sensitive, lg_k));
    let nons = count_of(&people_sketch(non_sensitive, lg_k));
    src.subjects = all.clone();
    src.sensitive_subjects = sens.clone();
    src.minor_subjects = count_of(&Sketch::with_lg_k(lg_k).unwrap());
    for c in src.sensitive_subjects_by_standard.values_mut() {
        *c = sens.clone();
    }
    for c in src.non_sensitive_subjects_by_standard.values_mut() {
        *c = nons.clone();
    }
    let t = &mut inv.totals;
    t.people = None;
    t.subjects = src.subjects.clone();
    t.sensitive_subjects = src.sensitive_subjects.clone();
    t.minor_subjects = src.minor_subjects.clone();
    t.sensitive_subjects_by_standard = src.sensitive_subjects_by_standard.clone();
    t.non_sensitive_subjects_by_standard = src.non_sensitive_subjects_by_standard.clone();
    t.categories = src.categories.clone();
    t.largest_identifier_distinct = src
        .categories
        .iter()
        .filter(|c| c.identifier)
        .map(|c| c.distinct.estimate)
        .max()
        .unwrap_or(0);
    t.records = src.records;
    t.unidentified_records = src.unidentified_records;
    inv.sources = vec![src];
    let path = dir.join(format!("{file}.inventory.json"));
    std::fs::write(&path, serde_json::to_vec(&inv).unwrap()).unwrap();
    path
}

fn base_inventory() -> (tempfile::TempDir, Inventory) {
    let (tmp, inv) = scan_fixtures();
    let inv: Inventory = serde_json::from_slice(&std::fs::read(inv).unwrap()).unwrap();
    (tmp, inv)
}

fn notes_of(v: &serde_json::Value) -> Vec<(String, String)> {
    v["assessment"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["code"].as_str().unwrap().to_string(),
                n["en"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A 60,000-person export in February is exempt when sent (Provisions Art. 5(4)); a June
/// export of 60,000 others takes the year past 100,000. The guard judges each entry by what
/// was required when it was sent: February is covered, June is not, and a note says the June
/// export changed the requirement for the year. Before: both were flagged (exit 13).
#[test]
fn the_guard_judges_each_entry_by_the_mechanism_required_when_it_was_sent() {
    let (tmp, base) = base_inventory();
    let dir = tmp.path();
    let feb = synthetic(&base, dir, "feb.txt", 14, 0..60_000, 0..0, 0..60_000);
    let june = synthetic(
        &base,
        dir,
        "june.txt",
        14,
        60_000..120_000,
        0..0,
        60_000..120_000,
    );
    let ledger = dir.join("ledger.db");
    for (inv, day) in [(&feb, "2026-02-10"), (&june, "2026-06-10")] {
        let o = ledger_add(dir, &ledger, "f", inv, day, None);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let p = write(dir, "p.toml", &profile(&flow("f", "\"**/*.txt\"", ""), ""));
    let (c, v, out) = assess_json(dir, &june, &p, &["--ledger", ledger.to_str().unwrap()]);
    let a = &v["assessment"];
    assert_eq!(a["decision"]["mechanism"], "standard-contract", "{out}");
    let guard = a["guard"].as_array().unwrap();
    assert_eq!(guard.len(), 1, "{guard:?}");
    assert_eq!(guard[0]["entry"], 2);
    assert_eq!(guard[0]["sent_on"], "2026-06-10");
    assert_eq!(guard[0]["required_when_sent"], "standard-contract");
    assert_eq!(guard[0]["reason"], "not-started");
    // Standard contract required, and data sent uncovered: 10 + 10.
    assert_eq!(c, 20, "{out}");
    let notes = notes_of(&v);
    let change = notes
        .iter()
        .find(|(c, _)| c == "requirement-changed")
        .unwrap_or_else(|| panic!("{notes:?}"));
    assert!(
        change.1.contains("the export of 2026-06-10 (entry #2")
            && change.1.contains("#1 (f, 2026-02-10: exempt)"),
        "{}",
        change.1
    );
    // --exit-zero for `set -e` scripts.
    let (c, _, _) = assess_json(
        dir,
        &june,
        &p,
        &["--ledger", ledger.to_str().unwrap(), "--exit-zero"],
    );
    assert_eq!(c, 0);
}

/// A ledger entry sent after the assessment date is left out and listed. Before: counted.
#[test]
fn ledger_entries_after_the_assessment_date_are_excluded_and_listed() {
    let (tmp, base) = base_inventory();
    let dir = tmp.path();
    let feb = synthetic(&base, dir, "feb.txt", 14, 0..60_000, 0..0, 0..60_000);
    let dec = synthetic(
        &base,
        dir,
        "dec.txt",
        14,
        60_000..120_000,
        0..0,
        60_000..120_000,
    );
    let ledger = dir.join("ledger.db");
    for (inv, day) in [(&feb, "2026-02-10"), (&dec, "2026-12-15")] {
        assert_eq!(code(&ledger_add(dir, &ledger, "f", inv, day, None)), 0);
    }
    let p = write(dir, "p.toml", &profile(&flow("f", "\"**/*.txt\"", ""), ""));
    // Assessed on 2026-12-01: the December export is not in the figures.
    let (c, v, out) = assess_json(dir, &feb, &p, &["--ledger", ledger.to_str().unwrap()]);
    let a = &v["assessment"];
    assert_eq!(a["decision"]["mechanism"], "exempt", "{out}");
    assert_eq!(c, 0);
    let t = a["transferred"]["subjects"]["estimate"].as_u64().unwrap();
    assert!((59_000..61_000).contains(&t), "{t}");
    assert_eq!(a["excluded_entries"][0]["entry"], 2);
    assert_eq!(a["excluded_entries"][0]["sent_on"], "2026-12-15");
    assert!(
        notes_of(&v)
            .iter()
            .any(|(c, t)| c == "ledger-entries-after-date" && t.contains("#2 (f, 2026-12-15)")),
        "{out}"
    );
}

/// Provisions Art. 7(2) and 8: 995,000 people with ordinary PI and 9,000 whose only PI is a
/// card number need a standard contract (995,000 < 1,000,000 non-sensitive; 9,000 < 10,000
/// sensitive), not a security assessment. The conservative reading (everyone, 1,004,000) stays
/// available with --count-everyone and is named. Before: a security assessment.
#[test]
fn the_1m_threshold_counts_people_with_non_sensitive_pi() {
    let (tmp, base) = base_inventory();
    let dir = tmp.path();
    let inv = synthetic(
        &base,
        dir,
        "big.txt",
        21,
        0..1_004_000,
        995_000..1_004_000,
        0..995_000,
    );
    let p = write(dir, "p.toml", &profile(&flow("f", "\"**/*.txt\"", ""), ""));
    let (c, v, out) = assess_json(dir, &inv, &p, &[]);
    let d = &v["assessment"]["decision"];
    assert_eq!(d["mechanism"], "standard-contract", "{out}");
    assert_eq!(c, 10, "{out}");
    let nons = d["facts"]["transferred_non_sensitive"]["estimate"]
        .as_u64()
        .unwrap();
    assert!((993_000..997_000).contains(&nons), "{nons}");
    assert!(
        notes_of(&v)
            .iter()
            .any(|(c, _)| c == "reading-non-sensitive")
    );
    let (c, v, _) = assess_json(dir, &inv, &p, &["--count-everyone"]);
    assert_eq!(c, 11);
    assert_eq!(v["assessment"]["threshold_reading"], "everyone");
    assert!(notes_of(&v).iter().any(|(c, _)| c == "reading-everyone"));
}

/// A scan counts, per standard, the people whose PI includes PI that is not sensitive: people
/// whose only PI is a bank card number are not among them.
#[test]
fn a_scan_counts_people_with_non_sensitive_pi_per_standard() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("export");
    std::fs::create_dir_all(&data).unwrap();
    let mut text = String::new();
    for i in 0..5 {
        text.push_str(&format!("客户 银行卡 {}\n", card(i)));
    }
    for i in 5..8 {
        text.push_str(&format!("user{i}@example.com\n"));
    }
    for i in 8..10 {
        text.push_str(&format!("user{i}@example.com 银行卡 {}\n", card(i)));
    }
    std::fs::write(data.join("data.txt"), text).unwrap();
    let out = tmp.path().join("out");
    let o = run(
        tmp.path(),
        &[
            "scan",
            data.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("inventory.json")).unwrap()).unwrap();
    let t = &v["totals"];
    for st in ["gbt45574-2025", "gbt35273-2020"] {
        assert_eq!(t["people"]["non_sensitive_by_standard"][st], 5, "{t}");
        assert_eq!(t["people"]["sensitive_by_standard"][st], 7, "{t}");
        assert_eq!(
            t["non_sensitive_subjects_by_standard"][st]["estimate"], 5,
            "{t}"
        );
    }
    assert_eq!(t["people"]["people"], 10);
    // And the assessment uses it.
    let p = write(
        tmp.path(),
        "p.toml",
        &profile(&flow("f", "\"**/data.txt\"", ""), ""),
    );
    let (_, v, _) = assess_json(tmp.path(), &out.join("inventory.json"), &p, &[]);
    let f = &v["assessment"]["decision"]["facts"];
    assert_eq!(f["transferred_non_sensitive"]["estimate"], 5);
    assert_eq!(f["transferred"]["estimate"], 10);
}

/// When every flow claims an exemption and sends PI, the result is "Exempt", not "no
/// cross-border transfer". Before: not-applicable.
#[test]
fn flows_that_all_claim_an_exemption_are_exempt() {
    let (tmp, inv) = scan_fixtures();
    let p = write(
        tmp.path(),
        "p.toml",
        &profile(
            &flow(
                "docs",
                "\"**/documents_zh.txt\"",
                "exemption = \"contract\"",
            ),
            "",
        ),
    );
    let (c, v, _) = assess_json(tmp.path(), &inv, &p, &[]);
    assert_eq!(c, 0);
    let d = &v["assessment"]["decision"];
    assert_eq!(d["mechanism"], "exempt");
    assert_eq!(d["fired"], serde_json::json!(["P24-exempt-flows"]));
    // A flow that sends nothing is still "no transfer".
    let p = write(
        tmp.path(),
        "q.toml",
        &profile(&flow("none", "\"**/no-such-file\"", ""), ""),
    );
    let (_, v, _) = assess_json(tmp.path(), &inv, &p, &[]);
    assert_eq!(v["assessment"]["decision"]["mechanism"], "not-applicable");
}

/// The regime follows the date (the Provisions took effect 2024-03-22) unless forced, and a
/// forced regime is noted (Provisions Art. 13). Before: 2023-06-30 was assessed under 2024.
#[test]
fn the_regime_follows_the_date_unless_forced() {
    let (tmp, inv) = scan_fixtures();
    let p = write(
        tmp.path(),
        "p.toml",
        &profile(&flow("docs", "\"**/documents_zh.txt\"", ""), ""),
    );
    let (c, v, out) = assess_json(tmp.path(), &inv, &p, &["--date", "2023-06-30"]);
    let a = &v["assessment"];
    assert_eq!(a["regime"], "2022", "{out}");
    assert_eq!(a["regime_forced"], false);
    assert_eq!(a["window_start"], "2022-01-01");
    assert_eq!(c, 10, "any PI abroad under the Measures");
    assert!(notes_of(&v).iter().any(|(c, _)| c == "regime-by-date"));
    let (_, v, _) = assess_json(tmp.path(), &inv, &p, &["--date", "2024-03-22"]);
    assert_eq!(v["assessment"]["regime"], "2024");
    // Forced to 2022 on a 2026 date: the note cites Art. 13.
    let (_, v, _) = assess_json(tmp.path(), &inv, &p, &["--regime", "2022"]);
    assert_eq!(v["assessment"]["regime_forced"], true);
    assert!(
        notes_of(&v)
            .iter()
            .any(|(c, t)| c == "regime-forced" && t.contains("Art. 13")),
        "{:?}",
        notes_of(&v)
    );
}

// ---- tamper-evident inventories (issue 15) ---------------------------------------------------

/// `verify` and `assess` on `inv`; returns (verify's code and output, assess's code, stderr
/// and report.md).
fn verify_and_assess(dir: &Path, inv: &Path, extra: &[&str]) -> (i32, String, i32, String, String) {
    let decl = Path::new(ROOT).join("examples/declared.toml");
    let mut args = vec![
        "verify",
        "--declared",
        decl.to_str().unwrap(),
        inv.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let v = run(dir, &args);
    let profile = Path::new(ROOT).join("examples/pipl-scan.toml");
    let out = dir.join("refused-report");
    let _ = std::fs::remove_dir_all(&out);
    let mut args = vec![
        "assess",
        inv.to_str().unwrap(),
        "--profile",
        profile.to_str().unwrap(),
        "--date",
        "2026-12-01",
        "--format",
        "md",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let a = run(dir, &args);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap_or_default();
    (code(&v), stdout(&v), code(&a), stderr(&a), md)
}

/// Edits the inventory at `path` as JSON.
fn edit(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

/// An edited figure, a swapped sketch, deleted findings, an edited people figure and an
/// edited links file: each fails `verify` and `assess` with exit 14, a message naming the
/// figure, and a report that says "inventory altered or inconsistent". Before: `verify`
/// exited 0 and `assess` decided on the edited figures.
#[test]
fn a_tampered_inventory_fails_verify_and_assess() {
    let (tmp, inv) = scan_fixtures();
    let dir = tmp.path();
    // The untouched inventory passes (1: the example declaration's understatements).
    let (vc, vout, ac, aerr, _) = verify_and_assess(dir, &inv, &[]);
    assert_eq!((vc, ac), (1, 10), "{vout}{aerr}");
    let pristine = std::fs::read(&inv).unwrap();
    let links = inv.with_file_name("links.bin");
    let pristine_links = std::fs::read(&links).unwrap();
    let restore = || {
        std::fs::write(&inv, &pristine).unwrap();
        std::fs::write(&links, &pristine_links).unwrap();
    };
    // A 5-person scan with the same key, for its sketches.
    let small_dir = dir.join("small");
    std::fs::create_dir_all(&small_dir).unwrap();
    let five: String = (0..5).map(|i| format!("user{i}@example.com\n")).collect();
    std::fs::write(small_dir.join("five.txt"), five).unwrap();
    let key = dir.join("sketch.key");
    let small_out = dir.join("small-out");
    let o = run(
        dir,
        &[
            "scan",
            small_dir.to_str().unwrap(),
            "-q",
            "-o",
            small_out.to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0);
    let small: serde_json::Value =
        serde_json::from_slice(&std::fs::read(small_out.join("inventory.json")).unwrap()).unwrap();
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "a lowered figure",
            Box::new(|v| {
                v["totals"]["sensitive_subjects_by_standard"]["gbt45574-2025"]["estimate"] =
                    serde_json::json!(3)
            }),
            "totals.sensitive_subjects_by_standard.gbt45574-2025: says 3",
        ),
        (
            "a swapped sketch",
            Box::new(move |v| {
                let src = v["sources"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|s| s["path"].as_str().unwrap().ends_with("customers_zh.txt"))
                    .unwrap();
                src["subjects"] = small["totals"]["subjects"].clone();
            }),
            "totals.subjects: its sketch (78) is not the union of the sources' sketches",
        ),
        (
            "deleted findings",
            Box::new(|v| {
                for s in v["sources"].as_array_mut().unwrap() {
                    if s["path"].as_str().unwrap().ends_with("customers_zh.txt") {
                        s["categories"] = serde_json::json!([]);
                        s["fields"] = serde_json::json!([]);
                    }
                }
            }),
            "(fixtures/text/customers_zh.txt).subjects: counts 37 subjects but the source lists no identifier category",
        ),
        (
            "a lowered people figure",
            Box::new(|v| v["totals"]["people"]["people"] = serde_json::json!(40)),
            "totals.people.people: says 40 but the links file counts 78",
        ),
    ];
    for (what, f, expect) in cases {
        restore();
        edit(&inv, f);
        let (vc, vout, ac, aerr, md) = verify_and_assess(dir, &inv, &[]);
        assert_eq!(vc, 14, "{what}: {vout}");
        assert!(
            vout.contains("inventory altered or inconsistent") && vout.contains(expect),
            "{what}: {vout}"
        );
        assert_eq!(ac, 14, "{what}: {aerr}");
        assert!(aerr.contains(expect), "{what}: {aerr}");
        assert!(
            md.contains("inventory altered or inconsistent"),
            "{what}: {md}"
        );
        assert!(!md.contains("Required:"), "{what}: no determination");
    }
    // The links file changed under the inventory: its hash no longer matches.
    restore();
    let mut b = pristine_links.clone();
    let last = b.len() - 1;
    b[last] ^= 1;
    std::fs::write(&links, b).unwrap();
    let (vc, vout, ac, _, _) = verify_and_assess(dir, &inv, &[]);
    assert_eq!((vc, ac), (14, 14), "{vout}");
    assert!(vout.contains("scan.links.sha256"), "{vout}");
    // The links file gone: refused as altered too, naming it.
    std::fs::remove_file(&links).unwrap();
    let (vc, vout, ac, aerr, _) = verify_and_assess(dir, &inv, &[]);
    assert_eq!((vc, ac), (14, 14), "{vout}{aerr}");
    assert!(
        vout.contains("scan.links: ") && vout.contains("links.bin"),
        "{vout}"
    );
}

/// `keygen`, `scan --sign`, and `verify`/`assess --public-key`: a good signature passes and is
/// named; any edit, another signer or a missing signature (with --require-signature) fails
/// with exit 15 and a message that says which.
#[test]
fn a_signed_inventory_is_checked_by_verify_and_assess() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let keys = dir.join("keys");
    let o = run(dir, &["keygen", "-o", keys.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let secret = keys.join("pipl-scan.key");
    let public = keys.join("pipl-scan.pub");
    let out = dir.join("out");
    let o = run(
        Path::new(ROOT),
        &[
            "scan",
            "fixtures/text",
            "-q",
            "-o",
            out.to_str().unwrap(),
            "--sign",
            secret.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let inv = out.join("inventory.json");
    assert!(out.join("inventory.json.sig").is_file());
    let pk = [
        "--public-key",
        public.to_str().unwrap(),
        "--require-signature",
    ];
    let (vc, vout, ac, aerr, md) = verify_and_assess(dir, &inv, &pk);
    assert_eq!((vc, ac), (1, 10), "{vout}{aerr}");
    assert!(vout.contains("signature: good, key "), "{vout}");
    assert!(
        md.contains("| Inventory check | consistent (figures, sketches, categories, links file); signature good, key "),
        "{md}"
    );
    // One figure edited, the file otherwise intact (and consistent: the scan date).
    let pristine = std::fs::read(&inv).unwrap();
    edit(&inv, |v| {
        v["scan"]["finished_at"] = serde_json::json!("2026-01-01T00:00:00Z")
    });
    let (vc, vout, ac, aerr, _) = verify_and_assess(dir, &inv, &pk);
    assert_eq!((vc, ac), (15, 15), "{vout}{aerr}");
    assert!(
        vout.contains("does not match its signature")
            && aerr.contains("does not match its signature"),
        "{vout}{aerr}"
    );
    // Even without a trusted key, a signature file that does not match is refused.
    let (vc, _, _, _, _) = verify_and_assess(dir, &inv, &[]);
    assert_eq!(vc, 15);
    // Signed by someone else.
    std::fs::write(&inv, &pristine).unwrap();
    let other = dir.join("other");
    assert_eq!(
        code(&run(dir, &["keygen", "-o", other.to_str().unwrap()])),
        0
    );
    let key = pipl_scan::sign::read_secret(&other.join("pipl-scan.key")).unwrap();
    pipl_scan::sign::sign_file(&inv, &key).unwrap();
    let (vc, vout, _, _, _) = verify_and_assess(dir, &inv, &pk);
    assert_eq!(vc, 15);
    assert!(vout.contains("not with the trusted key"), "{vout}");
    // No signature at all.
    std::fs::remove_file(out.join("inventory.json.sig")).unwrap();
    let (vc, vout, ac, _, _) = verify_and_assess(dir, &inv, &pk);
    assert_eq!((vc, ac), (15, 15));
    assert!(vout.contains("signature missing"), "{vout}");
    // --require-signature needs the key to check against.
    let o = run(
        dir,
        &[
            "verify",
            "--declared",
            "x.toml",
            inv.to_str().unwrap(),
            "--require-signature",
        ],
    );
    assert_eq!(code(&o), 2);
}

// ---- reports that cannot be misread (issue 15) ------------------------------------------------

/// "Result:" for exempt and no-transfer outcomes, "Required:" only for a mechanism.
/// Before: "Required: Exempt …".
#[test]
fn the_headline_says_result_unless_a_mechanism_is_required() {
    let (tmp, inv) = scan_fixtures();
    let md = |p: &Path| {
        let out = tmp.path().join("md");
        let o = run(
            tmp.path(),
            &[
                "assess",
                inv.to_str().unwrap(),
                "--profile",
                p.to_str().unwrap(),
                "--date",
                "2026-12-01",
                "--format",
                "md",
                "-o",
                out.to_str().unwrap(),
            ],
        );
        (
            stdout(&o),
            std::fs::read_to_string(out.join("report.md")).unwrap(),
        )
    };
    let exempt = write(
        tmp.path(),
        "e.toml",
        &profile(&flow("docs", "\"**/documents_zh.txt\"", ""), ""),
    );
    let (out, report) = md(&exempt);
    assert!(
        report.contains("**Result: Exempt from security assessment"),
        "{report}"
    );
    assert!(!report.contains("Required:"), "{report}");
    assert!(out.contains("  result: Exempt"), "{out}");
    let none = write(
        tmp.path(),
        "n.toml",
        &profile(&flow("none", "\"**/no-such-file\"", ""), ""),
    );
    let (_, report) = md(&none);
    assert!(
        report.contains("**Result: No cross-border transfer of PI"),
        "{report}"
    );
    let contract = write(
        tmp.path(),
        "c.toml",
        &profile(&flow("crm", "\"**/payments.txt\"", ""), ""),
    );
    let (out, report) = md(&contract);
    assert!(
        report.contains("**Required: Standard contract filing"),
        "{report}"
    );
    assert!(out.contains("  required: Standard contract"), "{out}");
}

/// An incomplete scan (here a FIFO that is never opened) under a contract result: a warning
/// banner, "undetermined" and exit 12, unless --accept-incomplete. The sources table shows the
/// skipped file's path and reason as written. Before: an info note, exit 10, and the reason
/// lower-cased.
#[test]
fn an_incomplete_scan_leaves_a_contract_result_undetermined() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("Data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(
        Path::new(ROOT).join("fixtures/text/payments.txt"),
        data.join("Payments.TXT"),
    )
    .unwrap();
    let fifo = data.join("Pipe-IN");
    let o = Command::new("mkfifo").arg(&fifo).output().unwrap();
    assert!(o.status.success());
    let out = tmp.path().join("out");
    let o = run(
        tmp.path(),
        &[
            "scan",
            data.to_str().unwrap(),
            "-q",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let inv = out.join("inventory.json");
    let p = write(
        tmp.path(),
        "p.toml",
        &profile(&flow("pay", "\"**/Payments.TXT\"", ""), ""),
    );
    let reports = tmp.path().join("r");
    let assess = |extra: &[&str]| {
        let mut args = vec![
            "assess",
            inv.to_str().unwrap(),
            "--profile",
            p.to_str().unwrap(),
            "--date",
            "2026-12-01",
            "--format",
            "md,json",
            "-o",
            reports.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = run(tmp.path(), &args);
        (
            code(&o),
            stdout(&o),
            std::fs::read_to_string(reports.join("report.md")).unwrap(),
        )
    };
    let (c, out, md) = assess(&[]);
    assert_eq!(c, 12, "{out}");
    assert!(
        out.contains("UNDETERMINED: the scan was incomplete"),
        "{out}"
    );
    assert!(md.contains("> ⚠ INCOMPLETE SCAN"), "{md}");
    assert!(
        md.contains("**Undetermined (incomplete scan) — as far as it was read: Standard contract"),
        "{md}"
    );
    assert!(!md.contains("Required:"), "{md}");
    // As written: the path and the reason keep their case.
    assert!(md.contains("Pipe-IN"), "{md}");
    assert!(md.contains("skipped: FIFO (named pipe)"), "{md}");
    let (c, _, md) = assess(&["--accept-incomplete"]);
    assert_eq!(c, 10);
    assert!(md.contains("**Required: Standard contract"), "{md}");
}

// ---- exact figures and the ledger (issue 15) ---------------------------------------------------

/// `ledger show --regime 2022` covers the previous and the current year (Measures Art. 4(3));
/// `ledger add` warns when the same inventory is recorded twice. Before: no such flag, no
/// warning.
#[test]
fn ledger_show_covers_either_window_and_add_warns_on_the_same_inventory() {
    let (tmp, inv) = scan_fixtures();
    let ledger = tmp.path().join("ledger.db");
    let o = ledger_add(tmp.path(), &ledger, "crm", &inv, "2025-06-01", None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stderr(&o).contains("already recorded"), "{}", stderr(&o));
    let o = ledger_add(tmp.path(), &ledger, "crm", &inv, "2026-03-01", None);
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains("was already recorded as entry #1 (flow `crm`, sent 2025-06-01"),
        "{}",
        stderr(&o)
    );
    let show = |regime: &str| {
        let o = run(
            tmp.path(),
            &[
                "ledger",
                "show",
                "--ledger",
                ledger.to_str().unwrap(),
                "--year",
                "2026",
                "--regime",
                regime,
                "--json",
                "--entries",
            ],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let v = show("2024");
    assert_eq!(v["entries"].as_array().unwrap().len(), 1);
    assert_eq!(v["window"], "2026-01-01 – 2026-12-31");
    let v = show("2022");
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
    assert_eq!(v["window"], "2025-01-01 – 2026-12-31");
    assert_eq!(v["all_flows"]["subjects"]["estimate"], 78);
}

/// With a links file the assessment's figures are exact and it says so; without one it names
/// the exact command that makes them exact (with the inventory's own roots).
#[test]
fn the_assessment_says_whether_its_figures_are_exact_and_how_to_make_them_so() {
    let (tmp, inv) = scan_fixtures();
    let p = write(
        tmp.path(),
        "p.toml",
        &profile(&flow("crm", "\"**/payments.txt\"", ""), ""),
    );
    let (_, v, _) = assess_json(tmp.path(), &inv, &p, &[]);
    assert_eq!(v["assessment"]["exact"], true);
    assert_eq!(v["assessment"]["transferred"]["method"], "linked-exact");
    assert!(notes_of(&v).iter().any(|(c, _)| c == "exact-figures"));
    // The same inventory without its links file (and so without people figures).
    let mut i: Inventory = serde_json::from_slice(&std::fs::read(&inv).unwrap()).unwrap();
    reseal(&mut i);
    for s in &mut i.sources {
        s.people = None;
    }
    let bare = tmp.path().join("bare.json");
    std::fs::write(&bare, serde_json::to_vec(&i).unwrap()).unwrap();
    let (_, v, out) = assess_json(tmp.path(), &bare, &p, &[]);
    assert_eq!(v["assessment"]["exact"], false);
    assert!(
        out.contains("Re-scan with `pipl-scan scan fixtures/text --key-file KEY`"),
        "{out}"
    );
}
