//! End-to-end tests through the `pipl-scan` binary: fixtures with known answers, the inventory
//! contract, masking, and every kind of bad input the walk and the readers must survive.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

#[allow(dead_code)]
#[path = "../examples/gen_fixtures.rs"]
mod gen_fixtures;

const BIN: &str = env!("CARGO_BIN_EXE_pipl-scan");
const REF_DATE: &str = "2026-11-25";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run pipl-scan")
}

/// Scans `roots` into a fresh folder; returns the process output and the parsed inventory.
fn scan(roots: &[&Path], extra: &[&str]) -> (Output, Value, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("scan");
    cmd.args(roots);
    cmd.arg("-o").arg(out.path());
    cmd.args(["--reference-date", REF_DATE]);
    cmd.args(extra);
    let o = cmd.output().expect("run pipl-scan scan");
    let inv = std::fs::read(out.path().join("inventory.json"))
        .map(|b| serde_json::from_slice(&b).expect("inventory.json is JSON"))
        .unwrap_or(Value::Null);
    (o, inv, out)
}

/// Parses `# pipl-scan-expect: k=v ...` from a fixture's first line.
fn expectation(path: &Path) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let first = text.lines().next().unwrap();
    let rest = first
        .strip_prefix("# pipl-scan-expect: ")
        .unwrap_or_else(|| panic!("{}: no expectation line", path.display()));
    rest.split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

fn check_totals(inv: &Value, expect: &[(String, u64)], what: &str) {
    let t = &inv["totals"];
    for (k, want) in expect {
        let got = match k.as_str() {
            "subjects" => &t["subjects"]["estimate"],
            "minors" => &t["minor_subjects"]["estimate"],
            "unidentified" => &t["unidentified_records"],
            "records" => &t["records"],
            s if s.starts_with("sensitive.") => {
                &t["sensitive_subjects_by_standard"][&s["sensitive.".len()..]]["estimate"]
            }
            other => panic!("unknown expectation key {other}"),
        };
        assert_eq!(got.as_u64(), Some(*want), "{what}: {k}");
    }
}

#[test]
fn every_fixture_gives_the_answer_in_its_first_line() {
    let dir = fixtures().join("text");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let (o, inv, _tmp) = scan(&[&path], &["--quiet"]);
        assert!(o.status.success(), "{}: {o:?}", path.display());
        check_totals(&inv, &expectation(&path), &path.display().to_string());
        n += 1;
    }
    assert!(n >= 5, "fixtures missing");
}

#[test]
fn the_whole_fixture_tree_gives_the_expected_totals() {
    let (o, inv, _tmp) = scan(&[&fixtures()], &[]);
    assert!(o.status.success(), "{o:?}");
    check_totals(
        &inv,
        &expectation(&fixtures().join("EXPECTED")),
        "fixtures/",
    );
    assert_eq!(inv["scan"]["complete"], true);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("subjects:"), "summary printed: {stdout}");
    assert!(stdout.contains("complete"), "{stdout}");
    // People, linked and exact: never above the distinct subject keys, never below the
    // distinct resident IDs; the fixtures hold no person under two keys, so both agree here.
    let people = &inv["totals"]["people"];
    let n = |k: &str| people[k].as_u64().unwrap();
    assert_eq!(people["method"], "linked-exact");
    assert!(n("resident_ids") > 0 && n("resident_ids") <= n("people"));
    assert!(n("people") <= n("subject_keys"));
    assert_eq!(
        n("subject_keys"),
        inv["totals"]["subjects"]["estimate"].as_u64().unwrap()
    );
    assert_eq!(n("people"), n("subject_keys"));
    assert_eq!(
        n("sensitive"),
        inv["totals"]["sensitive_subjects"]["estimate"]
            .as_u64()
            .unwrap()
    );
    let largest = inv["totals"]["largest_identifier_distinct"]
        .as_u64()
        .unwrap();
    assert!(largest > 0 && largest <= n("identifiers"));
}

#[test]
fn committed_fixtures_are_what_the_generator_writes() {
    let tmp = tempfile::tempdir().unwrap();
    gen_fixtures::generate(tmp.path());
    let mut compared = 0;
    for rel in walk_files(tmp.path()) {
        let fresh = std::fs::read(tmp.path().join(&rel)).unwrap();
        let committed = std::fs::read(fixtures().join(&rel))
            .unwrap_or_else(|_| panic!("fixtures/{} missing: run the generator", rel.display()));
        assert!(
            fresh == committed,
            "fixtures/{} is stale: run `cargo run --example gen_fixtures`",
            rel.display()
        );
        compared += 1;
    }
    assert!(compared >= 6);
}

fn walk_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out
}

#[test]
fn inventories_validate_against_the_json_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/inventory-v1.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    // A clean scan, and one full of skipped and failed files.
    let (_, clean, _t1) = scan(&[&fixtures()], &["--quiet"]);
    let messy_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        messy_dir.path().join("bin.dat"),
        b"\x00\x01\x02 13812345678",
    )
    .unwrap();
    std::fs::write(messy_dir.path().join("big.txt"), vec![b'a'; 5000]).unwrap();
    let (_, messy, _t2) = scan(&[messy_dir.path()], &["--quiet", "--max-file-size", "1K"]);
    for inv in [&clean, &messy] {
        let errors: Vec<String> = validator
            .iter_errors(inv)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
    assert_eq!(messy["scan"]["complete"], false);
    // The schema is not vacuous: a document missing a required field fails.
    let mut broken = clean.clone();
    broken["totals"].as_object_mut().unwrap().remove("subjects");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn no_raw_identifier_leaves_the_process() {
    let (o, inv, tmp) = scan(&[&fixtures()], &[]);
    let inventory = std::fs::read_to_string(tmp.path().join("inventory.json")).unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let set = pipl_scan::detect::DetectorSet::load(None).unwrap();
    let mut checked = 0;
    for rel in walk_files(&fixtures().join("text")) {
        let text = std::fs::read_to_string(fixtures().join("text").join(&rel)).unwrap();
        for f in set.find_all(&text) {
            let raw = &text[f.start..f.end];
            for needle in [raw, &*f.normalised] {
                assert!(!inventory.contains(needle), "raw value in inventory.json");
                assert!(!stdout.contains(needle) && !stderr.contains(needle));
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "checked {checked} values");
    // Samples exist and are masked.
    let samples: Vec<&str> = inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["fields"].as_array().unwrap())
        .flat_map(|f| f["categories"].as_array().unwrap())
        .flat_map(|c| c["samples"].as_array().unwrap())
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(!samples.is_empty());
    assert!(samples.iter().all(|s| s.contains('*')), "{samples:?}");
}

#[test]
fn special_files_links_and_loops_are_recorded_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/ok.txt"), "电话13812345678\n").unwrap();
    std::fs::write(root.join(".hidden.txt"), "mail zhang.san@example.com\n").unwrap();
    std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
    let fifo = root.join("pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);

    // Symlinks not followed by default: the link is skipped, the FIFO never opened.
    let (o, inv, _t) = scan(&[root], &["--quiet"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        inv["totals"]["subjects"]["estimate"], 2,
        "hidden file scanned"
    );
    let reason = |name: &str| -> String {
        inv["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(name))
            .map(|s| s["reason"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert!(reason("pipe").contains("FIFO"), "{inv}");
    assert!(reason("loop").contains("symbolic link"), "{inv}");
    assert_eq!(
        inv["scan"]["complete"], false,
        "skipped files make a scan incomplete"
    );
    assert!(String::from_utf8_lossy(&o.stdout).is_empty(), "--quiet");

    // Following links: the loop is an error naming the link; the rest is still counted.
    let (o, inv, _t) = scan(&[root], &["--follow-links"]);
    assert!(o.status.success(), "{o:?}");
    let errors = inv["scan"]["errors"].to_string();
    assert!(errors.contains("loop"), "{errors}");
    assert_eq!(inv["totals"]["subjects"]["estimate"], 2);
    assert!(String::from_utf8_lossy(&o.stdout).contains("INCOMPLETE"));

    // --strict turns an incomplete scan into exit code 1.
    let (o, _, _t) = scan(&[root], &["--quiet", "--strict"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn binary_oversized_missing_and_invalid_utf8_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("image.bin"), b"\x89PNG\x00\x00 13812345678").unwrap();
    let mut latin = b"caf\xe9 \xff\xfe broken bytes; tel 13912345678 \xc3\n".to_vec();
    latin.extend_from_slice(b"\xe9\xe9 id 11010519491231002X\n");
    std::fs::write(root.join("latin1.txt"), latin).unwrap();
    std::fs::write(root.join("big.log"), "x".repeat(4096)).unwrap();
    // A root that does not exist beside one that does: the command is wrong, nothing is written.
    let missing = root.join("does-not-exist");
    let (o, inv, _t) = scan(&[root, &missing], &["--quiet"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("does-not-exist"));
    assert!(inv.is_null());
    let (o, inv, _t) = scan(&[root], &["--quiet", "--max-file-size", "2K"]);
    assert!(o.status.success(), "{o:?}");
    let src = |name: &str| {
        inv["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(name))
            .cloned()
            .unwrap_or_else(|| panic!("{name} not in sources"))
    };
    assert_eq!(src("image.bin")["status"], "skipped");
    assert!(
        src("image.bin")["reason"]
            .as_str()
            .unwrap()
            .contains("binary")
    );
    assert_eq!(src("big.log")["status"], "skipped");
    assert!(
        src("big.log")["reason"]
            .as_str()
            .unwrap()
            .contains("max-file-size")
    );
    // Invalid UTF-8 does not stop a file: both ASCII identifiers are found.
    assert_eq!(src("latin1.txt")["status"], "scanned");
    assert_eq!(src("latin1.txt")["subjects"]["estimate"], 2);
    assert_ne!(src("latin1.txt")["encoding"], "utf-8");
    assert_eq!(inv["scan"]["files_skipped"], 2);
}

#[test]
fn a_large_file_is_chunked_and_memory_mapped_without_losing_a_match() {
    // > 4 MiB so it is mapped and split into chunks; PI lines are spread over every chunk edge.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let mut text = String::new();
    let mut expected = 0;
    let mut i = 0u64;
    while text.len() < 13 << 20 {
        i += 1;
        if i.is_multiple_of(997) {
            text.push_str(&format!("user{i}@example.org logged in\n"));
            expected += 1;
        } else {
            text.push_str("filler line with numbers 12345 and words, nothing personal here\n");
        }
    }
    std::fs::write(&path, &text).unwrap();
    let (o, inv, _t) = scan(&[&path], &["--quiet"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(inv["totals"]["records"], i);
    let email = inv["totals"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["detector"] == "email")
        .unwrap()
        .clone();
    assert_eq!(email["matches"], expected);
    let s = &inv["totals"]["subjects"];
    let (est, low, high) = (
        s["estimate"].as_u64().unwrap(),
        s["low"].as_u64().unwrap(),
        s["high"].as_u64().unwrap(),
    );
    // Beyond the exact range of the sketch: the 95% interval must hold the truth.
    assert!(
        low <= expected && expected <= high,
        "{low} {est} {high} vs {expected}"
    );
}

#[test]
fn sensitivity_flag_picks_the_headline_figure_and_both_are_kept() {
    let path = fixtures().join("text/customers_zh.txt");
    let (_, a, _t1) = scan(&[&path], &["--quiet"]);
    let (_, b, _t2) = scan(&[&path], &["--quiet", "--sensitivity", "gbt35273-2020"]);
    assert_eq!(a["totals"]["sensitive_subjects"]["estimate"], 2);
    assert_eq!(b["totals"]["sensitive_subjects"]["estimate"], 30);
    assert_eq!(b["scan"]["sensitivity"], "gbt35273-2020");
    for st in ["gbt45574-2025", "gbt35273-2020"] {
        let by =
            |inv: &Value| inv["totals"]["sensitive_subjects_by_standard"][st]["estimate"].clone();
        assert_eq!(by(&a), by(&b), "{st}");
    }
}

#[test]
fn a_key_file_makes_runs_mergeable_and_the_key_never_enters_the_inventory() {
    let out = tempfile::tempdir().unwrap();
    let key = out.path().join("shared.key");
    let path = fixtures().join("text/app.log");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (o, inv, _t) = scan(&[&path], &["--quiet", "--key-file", key.to_str().unwrap()]);
        assert!(o.status.success());
        ids.push(
            inv["scan"]["sketch"]["key_id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        let inventory = serde_json::to_string(&inv).unwrap();
        let hex = std::fs::read_to_string(&key).unwrap();
        assert!(
            !inventory.contains(hex.trim()),
            "key leaked into the inventory"
        );
    }
    assert_eq!(ids[0], ids[1]);
    // Same data and key → the same sketch; union of the two runs counts the people once.
    let (_, a, _t1) = scan(&[&path], &["--quiet", "--key-file", key.to_str().unwrap()]);
    let sk =
        pipl_scan::sketch::Sketch::from_base64(a["totals"]["subjects"]["sketch"].as_str().unwrap())
            .unwrap();
    let mut union = sk.clone();
    union.merge(&sk);
    assert_eq!(union.estimate().estimate, 27);
}

#[test]
fn detectors_list_and_test() {
    let o = run(&["detectors", "list"]);
    assert!(o.status.success());
    let s = String::from_utf8_lossy(&o.stdout);
    for id in [
        "cn-resident-id",
        "cn-passport",
        "hk-macau-permit",
        "tw-permit",
        "cn-mobile",
        "email",
        "bank-card",
    ] {
        assert!(s.contains(id), "{id} missing from\n{s}");
    }
    assert!(s.contains("居民身份证"), "Chinese names listed");
    let o = run(&["detectors", "test"]);
    assert!(o.status.success(), "{o:?}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("ok: ") && out.contains(" detectors, "),
        "{out}"
    );
}

const CUSTOM: &str = r#"
id = "employee-id"
category = "identity-document"
identifier = true
priority = 60
normaliser = "upper-alnum"
masker = "document"
description = "Employee number of the fictional ACME Corp."
[names]
zh = "员工编号"
en = "Employee number"
[sensitive]
"gbt35273-2020" = false
"gbt45574-2025" = false
[[patterns]]
regex = 'EMP-[0-9]{6}'
[examples]
match = ["badge EMP-123456"]
no_match = ["EMP-12345"]
"#;

#[test]
fn user_detectors_add_to_the_catalogue_and_their_examples_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("employee-id.toml"), CUSTOM).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("hr.txt"), "EMP-000001 EMP-000002\nEMP-000001\n").unwrap();
    let d = dir.path().to_str().unwrap();
    let (o, inv, _t) = scan(&[&data], &["--quiet", "--detectors", d]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        inv["totals"]["subjects"]["estimate"], 1,
        "one key per line, same first id"
    );
    let o = run(&["detectors", "test", "--detectors", d]);
    assert!(o.status.success(), "{o:?}");
    // A failing example is reported by file and makes `detectors test` exit 1.
    std::fs::write(
        dir.path().join("employee-id.toml"),
        CUSTOM.replace(
            r#"no_match = ["EMP-12345"]"#,
            r#"no_match = ["EMP-654321"]"#,
        ),
    )
    .unwrap();
    let o = run(&["detectors", "test", "--detectors", d]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("employee-id") && err.contains("EMP-654321"),
        "{err}"
    );
}

#[test]
fn bad_detector_files_are_load_errors_naming_file_and_field() {
    let cases = [
        (
            CUSTOM.replace("priority = 60", "priority = 60\ncolour = \"red\""),
            "colour",
        ),
        (CUSTOM.replace("EMP-[0-9]{6}", "EMP-[0-9"), "patterns.regex"),
        (
            CUSTOM.replace(
                "normaliser = \"upper-alnum\"",
                "normaliser = \"upper-alnum\"\nvalidator = \"crc99\"",
            ),
            "validator",
        ),
        (
            CUSTOM.replace("masker = \"document\"", "masker = \"nope\""),
            "masker",
        ),
    ];
    for (text, field) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("employee-id.toml"), text).unwrap();
        let o = run(&[
            "detectors",
            "list",
            "--detectors",
            dir.path().to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{field}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("employee-id.toml"), "{err}");
        assert!(err.contains(field), "{field}: {err}");
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["scan"]).status.code(), Some(2));
    assert_eq!(
        run(&["scan", ".", "--max-file-size", "lots"]).status.code(),
        Some(2)
    );
    let o = run(&[
        "scan",
        ".",
        "--exclude",
        "a[",
        "-o",
        "/tmp/pipl-scan-usage-test",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("a["));
}

#[test]
fn archive_members_are_read_as_the_files_they_contain() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default();
        z.start_file("export/customers.csv", o).unwrap();
        z.write_all(
            "姓名,手机号,邮箱\n张伟,13812345678,zw@example.com\n李娜,13912345678,ln@example.com\n"
                .as_bytes(),
        )
        .unwrap();
        z.start_file("export/users.jsonl", o).unwrap();
        z.write_all(
            b"{\"user\":{\"phone\":\"13712345678\"}}\n{\"user\":{\"phone\":\"13612345678\"}}\n",
        )
        .unwrap();
        z.finish().unwrap();
    }
    let archive = dir.path().join("bundle.zip");
    std::fs::write(&archive, buf.into_inner()).unwrap();
    let (o, inv, _t) = scan(&[&archive], &["--quiet"]);
    assert!(o.status.success(), "{o:?}");
    let src = |suffix: &str| {
        inv["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(suffix))
            .cloned()
            .unwrap_or_else(|| panic!("{suffix} not in {inv}"))
    };
    let csv = src("bundle.zip!export/customers.csv");
    assert_eq!(csv["format"], "csv");
    assert_eq!(csv["records"], 2, "the header row is not a record");
    let names: Vec<&str> = csv["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"手机号") && names.contains(&"姓名"),
        "{names:?}"
    );
    let jsonl = src("bundle.zip!export/users.jsonl");
    assert_eq!(jsonl["format"], "jsonl");
    assert!(jsonl["fields"].to_string().contains("user.phone"));
    assert_eq!(inv["totals"]["subjects"]["estimate"], 4);
}

/// People, not identifiers: the same customers under different identifiers in three systems
/// are counted once each, and linking never joins two people.
#[test]
fn people_are_linked_across_files_and_never_merged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Resident IDs (valid check digits) of four people, with their mobiles, in the CRM.
    let ids = [
        "11010519491231002X",
        "33010619900101123X",
        "360426199101010071",
        "110102199101010078",
    ];
    let mobiles = ["13812345678", "13912345678", "13712345678", "13612345678"];
    let mut crm = String::from("sfzh,mobile\n");
    for (id, m) in ids.iter().zip(mobiles) {
        crm.push_str(&format!("{id},{m}\n"));
    }
    std::fs::write(d.join("crm.csv"), crm).unwrap();
    // The mailing list knows two of them by mobile and e-mail, and a fifth person by e-mail.
    std::fs::write(
        d.join("mail.jsonl"),
        "{\"mobile\":\"13812345678\",\"email\":\"zhang@example.com\"}\n\
         {\"mobile\":\"13912345678\",\"email\":\"li@example.com\"}\n\
         {\"email\":\"wang@example.com\"}\n",
    )
    .unwrap();
    // The newsletter log knows them by e-mail only.
    std::fs::write(
        d.join("newsletter.log"),
        "sent to zhang@example.com\nsent to li@example.com\nsent to wang@example.com\n",
    )
    .unwrap();
    // A family phone beside two resident IDs: two people, not one.
    std::fs::write(
        d.join("family.txt"),
        "身份证 360426199101010071 电话 13500000001\n身份证 110102199101010078 电话 13500000001\n",
    )
    .unwrap();
    let (o, inv, out) = scan(&[d], &["-q"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let p = &inv["totals"]["people"];
    // Keys: 4 IDs + 2 mobiles (mail.jsonl rows) + 3 e-mails = 9 (the family rows are keyed
    // by IDs already counted); people: the 4 ID holders and wang.
    assert_eq!(p["subject_keys"], 9, "{p}");
    assert_eq!(p["people"], 5, "{p}");
    assert_eq!(p["resident_ids"], 4);
    assert_eq!(
        p["refused_links"], 1,
        "the family phone joins one ID holder only"
    );
    assert_eq!(
        inv["totals"]["subjects"]["estimate"], 9,
        "the per-key figure stays"
    );
    // Each source counts its own people; the mail list alone holds 3.
    let mail = inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"].as_str().unwrap().ends_with("mail.jsonl"))
        .unwrap();
    assert_eq!(mail["people"]["people"], 3);
    // The graph beside the inventory holds only keyed hashes: no identifier in it.
    let links = std::fs::read(out.path().join("links.bin")).unwrap();
    for raw in ids.iter().chain(&mobiles).chain(&["zhang@example.com"]) {
        assert!(
            !links.windows(raw.len()).any(|w| w == raw.as_bytes()),
            "{raw} in links.bin"
        );
    }
    assert_eq!(inv["scan"]["links"]["file"], "links.bin");
}

/// A people graph past --link-memory goes to sorted runs on disk and is counted from them:
/// the same people, per source and in total, and the same links.bin, as when it is held in
/// memory; the runs' folder is gone when the scan ends.
#[test]
fn a_graph_past_its_memory_budget_spills_to_disk_and_counts_the_same() {
    let key = tempfile::tempdir().unwrap();
    let key = key.path().join("k");
    let key = key.to_str().unwrap();
    let roots = [fixtures().join("text"), fixtures().join("tabular")];
    let roots: Vec<&Path> = roots.iter().map(|p| p.as_path()).collect();
    let (o, whole, out_whole) = scan(&roots, &["-q", "--key-file", key]);
    assert_eq!(o.status.code(), Some(0));
    let spill = tempfile::tempdir().unwrap();
    let (o, spilled, out_spilled) = scan(
        &roots,
        &[
            "-q",
            "--key-file",
            key,
            "--link-memory",
            "1",
            "--spill-dir",
            spill.path().to_str().unwrap(),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(whole["totals"]["people"]["people"].as_u64().unwrap() > 50);
    assert_eq!(spilled["totals"]["people"], whole["totals"]["people"]);
    assert!(spilled["totals"]["people_unavailable"].is_null());
    let people = |inv: &Value| -> Vec<Value> {
        inv["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["people"].clone())
            .collect()
    };
    assert_eq!(people(&spilled), people(&whole));
    assert_eq!(
        std::fs::read(out_spilled.path().join("links.bin")).unwrap(),
        std::fs::read(out_whole.path().join("links.bin")).unwrap()
    );
    assert_eq!(
        std::fs::read_dir(spill.path()).unwrap().count(),
        0,
        "the runs are removed"
    );
}

/// When the runs cannot be written, people are not linked (no links file, the inventory says
/// why), and --exact refuses to fall back to estimates.
#[test]
fn a_graph_that_cannot_spill_falls_back_and_exact_refuses() {
    let nowhere = tempfile::tempdir().unwrap();
    let nowhere = nowhere.path().join("missing").join("folder");
    let nowhere = nowhere.to_str().unwrap();
    let args = ["-q", "--link-memory", "1", "--spill-dir", nowhere];
    let (o, inv, out) = scan(&[&fixtures().join("text")], &args);
    assert_eq!(o.status.code(), Some(0));
    assert!(inv["totals"]["people"].is_null());
    let why = inv["totals"]["people_unavailable"].as_str().unwrap();
    assert!(
        why.contains("--link-memory") && why.contains("missing"),
        "{why}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("not linked"));
    assert!(!out.path().join("links.bin").exists());
    assert!(inv["scan"]["links"].is_null());
    assert!(inv["totals"]["subjects"]["estimate"].as_u64().unwrap() > 0);
    let mut exact = args.to_vec();
    exact.push("--exact");
    let (o, _, _) = scan(&[&fixtures().join("text")], &exact);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--exact"));
}

/// Every finding is counted per confidence, and --min-confidence leaves out what falls below:
/// a bare mobile number in a log (pattern only) is low, one after 手机 is medium, an 18-digit
/// resident ID is high.
#[test]
fn findings_are_counted_per_confidence_and_filtered_by_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("notes.txt"),
        "ref 13812345678 done\n手机 13912345678\n身份证 11010519491231002X\n",
    )
    .unwrap();
    let category = |inv: &Value, id: &str| {
        inv["totals"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["detector"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (_, inv, _) = scan(&[dir.path()], &["-q"]);
    let mobile = category(&inv, "cn-mobile");
    assert_eq!(mobile["matches"], 2);
    assert_eq!(mobile["confidence"]["low"], 1, "{mobile}");
    assert_eq!(mobile["confidence"]["medium"], 1);
    assert_eq!(category(&inv, "cn-resident-id")["confidence"]["high"], 1);
    assert_eq!(inv["totals"]["people"]["people"], 3);
    let (_, inv, _) = scan(&[dir.path()], &["-q", "--min-confidence", "medium"]);
    assert_eq!(category(&inv, "cn-mobile")["matches"], 1);
    assert_eq!(inv["totals"]["people"]["people"], 2);
    let (_, inv, _) = scan(&[dir.path()], &["-q", "--min-confidence", "high"]);
    assert!(category(&inv, "cn-mobile").is_null());
    assert_eq!(inv["totals"]["people"]["people"], 1);
}

#[test]
fn completions_name_every_command_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef pipl-scan"),
        ("fish", "complete -c pipl-scan"),
    ] {
        let o = run(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {:?}", o);
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains(marker), "{shell} script lacks {marker:?}");
        for cmd in ["scan", "assess", "ledger", "verify", "merge", "diff"] {
            assert!(text.contains(cmd), "{shell} script lacks the {cmd} command");
        }
        assert!(
            text.contains("--link-memory"),
            "{shell} script lacks scan's flags"
        );
    }
    let o = run(&["completions", "tcsh"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn a_root_that_is_not_there_is_an_error_not_an_empty_inventory() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-share");
    let (o, inv, _out) = scan(&[&missing], &["-q"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no-such-share") && err.contains("root"),
        "{err}"
    );
    assert!(inv.is_null(), "no inventory is written");
}

#[test]
fn the_output_folder_is_not_scanned_by_the_run_that_writes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let share = tmp.path().join("share");
    std::fs::create_dir(&share).unwrap();
    std::fs::copy(
        fixtures().join("text/payments.txt"),
        share.join("payments.txt"),
    )
    .unwrap();
    let out = share.join("out");
    for _ in 0..2 {
        let o = Command::new(BIN)
            .args(["scan", share.to_str().unwrap(), "-o", out.to_str().unwrap()])
            .args(["--reference-date", REF_DATE, "-q"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{o:?}");
    }
    let inv: Value =
        serde_json::from_slice(&std::fs::read(out.join("inventory.json")).unwrap()).unwrap();
    let paths: Vec<&str> = inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert!(paths[0].ends_with("payments.txt"), "{paths:?}");
}

#[test]
fn a_closed_pipe_on_stdout_ends_quietly() {
    // The reading end is closed before pipl-scan writes: its first write fails with EPIPE.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    for args in [&["detectors", "list"][..], &["completions", "bash"][..]] {
        let o = Command::new(BIN)
            .args(args)
            .stdout(writer.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {o:?}");
        assert!(
            o.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn the_json_summary_is_one_object_on_stdout_with_the_inventorys_figures() {
    let (o, inv, _out) = scan(&[&fixtures().join("text")], &["--summary", "json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let s: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(s["people"]["people"], inv["totals"]["people"]["people"]);
    assert_eq!(
        s["subjects"]["estimate"],
        inv["totals"]["subjects"]["estimate"]
    );
    assert_eq!(s["files"]["scanned"], inv["scan"]["files_scanned"]);
    assert_eq!(s["complete"], true);
    assert!(
        s["subjects"].get("sketch").is_none(),
        "no sketch in the summary"
    );
    assert!(
        !stdout.contains("11010"),
        "masked: no identifier in the summary"
    );
}

#[test]
fn fail_on_conditions_exit_3_and_say_which_held() {
    let text = fixtures().join("text");
    let (o, _, _out) = scan(&[&text], &["--fail-on", "sensitive-found,incomplete"]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--fail-on sensitive-found"), "{err}");
    assert!(!err.contains("incomplete"), "{err}");
    // Nothing personal in a file of plain words: no condition holds.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "nothing personal here\n").unwrap();
    let (o, _, _out) = scan(&[tmp.path()], &["--fail-on", "pi-found,sensitive-found"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let (o, _, _out) = scan(&[&text], &["--fail-on", "pi-found"]);
    assert_eq!(o.status.code(), Some(3));
    // assessment-required needs the flows.
    let (o, _, _out) = scan(&[&text], &["--fail-on", "assessment-required"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs --profile"));
}

#[test]
fn log_format_json_writes_one_event_a_line_on_stderr() {
    let share = tempfile::tempdir().unwrap();
    std::fs::write(share.path().join("ok.txt"), "客户 13812345678\n").unwrap();
    // Named as a spreadsheet, not one: unreadable, with its reason.
    std::fs::write(share.path().join("bad.xlsx"), b"PK\x03\x04not a zip").unwrap();
    let (o, inv, _out) = scan(
        &[share.path()],
        &["--log-format", "json", "--fail-on", "incomplete"],
    );
    assert_eq!(o.status.code(), Some(3));
    let stderr = String::from_utf8(o.stderr).unwrap();
    let events: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let named = |name: &str| -> Vec<&Value> {
        events
            .iter()
            .filter(|e| e["fields"]["event"] == name)
            .collect()
    };
    assert_eq!(named("scan.started").len(), 1, "{stderr}");
    let files = named("file");
    assert_eq!(files.len(), 1, "{stderr}");
    assert_eq!(files[0]["level"], "WARN");
    assert!(
        files[0]["fields"]["path"]
            .as_str()
            .unwrap()
            .ends_with("bad.xlsx")
    );
    assert_eq!(files[0]["fields"]["status"], "unreadable");
    assert!(
        files[0]["fields"]["reason"]
            .as_str()
            .unwrap()
            .contains("xlsx"),
        "{stderr}"
    );
    let done = named("scan.finished");
    assert_eq!(done.len(), 1, "{stderr}");
    let f = &done[0]["fields"];
    assert_eq!(f["complete"], false);
    assert_eq!(f["files_unreadable"], 1);
    assert_eq!(f["people"], inv["totals"]["people"]["people"]);
    assert_eq!(f["people"], 1);
    assert!(named("note").iter().any(|e| {
        e["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("--fail-on incomplete")
    }));
    // The value itself is in no event.
    assert!(!stderr.contains("13812345678"), "{stderr}");
    // The text form for the same scan: lines for people, no JSON.
    let (o, _, _out) = scan(&[share.path()], &["--quiet"]);
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(!stderr.contains("\"level\""), "{stderr}");
    // An error that ends the run is an event too (exit 2).
    let o = run(&["--log-format", "json", "scan", "/nonexistent/root", "-q"]);
    assert_eq!(o.status.code(), Some(2));
    let e: Value = serde_json::from_slice(o.stderr.trim_ascii_end()).unwrap();
    assert_eq!(e["level"], "ERROR");
    assert!(
        e["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/root")
    );
}
