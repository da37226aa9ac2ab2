//! Scans split over machines and joined again, and what changed between two scans, through the
//! `pipl-scan` binary: `scan --shard K/N`, `scan --files-from`, `merge` and `diff`.
//!
//! The contract tested: the N shards of a tree hold every file exactly once; their merge has
//! every headline figure of one scan of the whole tree (exact figures equal, estimates equal
//! since the merged sketches are the same sketches), passes `verify`, and is refused when its
//! inputs were made with another key, reference date or detector options.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

#[allow(dead_code)]
#[path = "support/people.rs"]
mod people;
use people::{key_file, mobile, resident_id};

const BIN: &str = env!("CARGO_BIN_EXE_pipl-scan");
const REF_DATE: &str = "2026-11-25";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run pipl-scan")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn read_inv(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("inventory.json")).expect("inventory.json"))
        .expect("inventory.json is JSON")
}

/// A tree where people cross files: `people/` holds each person's ID with a mobile; `contacts/`
/// holds the same mobiles with e-mails, in other files (so, in general, other shards). Enough
/// people (12,000) that the subject sketches leave exact mode and estimate.
fn generate(root: &Path) {
    let people = 12_000;
    std::fs::create_dir_all(root.join("people")).unwrap();
    std::fs::create_dir_all(root.join("contacts/nested/deeper")).unwrap();
    std::fs::create_dir_all(root.join("empty-dir")).unwrap();
    for f in 0..12 {
        let mut s = String::from("姓名,身份证号,手机号\n");
        for i in (f * people / 12)..((f + 1) * people / 12) {
            s.push_str(&format!("张{},{},{}\n", i % 97, resident_id(i), mobile(i)));
        }
        std::fs::write(root.join(format!("people/ids_{f:02}.csv")), s).unwrap();
    }
    for f in 0..7 {
        let mut s = String::from("手机号,邮箱\n");
        // Every third person's mobile again, beside an e-mail of theirs.
        for i in (0..people).filter(|i| i % 7 == f && i % 3 == 0) {
            s.push_str(&format!("{},user{i}@example.com\n", mobile(i)));
        }
        let dir = if f % 2 == 0 {
            "contacts"
        } else {
            "contacts/nested/deeper"
        };
        std::fs::write(root.join(format!("{dir}/contacts_{f}.csv")), s).unwrap();
    }
    for f in 0..20 {
        std::fs::write(
            root.join(format!("contacts/nested/note_{f}.txt")),
            format!("客户 手机 {} 备注\n", mobile(50_000 + f)),
        )
        .unwrap();
    }
    std::fs::write(root.join("README.txt"), "no personal data here\n").unwrap();
}

/// `scan ROOTS -o OUT` with the test's key and reference date and `extra` flags.
fn scan(roots: &[&Path], out: &Path, extra: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("scan").args(roots).arg("-o").arg(out);
    if !extra.contains(&"--reference-date") {
        cmd.args(["--reference-date", REF_DATE]);
    }
    cmd.args(["--quiet", "--key-file"]);
    cmd.arg(key_file(out.parent().unwrap()));
    cmd.args(extra);
    cmd.output().expect("run pipl-scan scan")
}

fn paths(inv: &Value) -> Vec<String> {
    inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap().to_string())
        .collect()
}

/// Every headline figure of an inventory: people (exact), the sketches' estimates and their
/// intervals, records, per category and per sensitive category.
fn headline(inv: &Value) -> Vec<(String, Value)> {
    let t = &inv["totals"];
    let mut out = vec![
        ("people".to_string(), t["people"].clone()),
        ("subjects".into(), t["subjects"].clone()),
        ("sensitive_subjects".into(), t["sensitive_subjects"].clone()),
        ("minor_subjects".into(), t["minor_subjects"].clone()),
        (
            "sensitive_subjects_by_standard".into(),
            t["sensitive_subjects_by_standard"].clone(),
        ),
        (
            "non_sensitive_subjects_by_standard".into(),
            t["non_sensitive_subjects_by_standard"].clone(),
        ),
        (
            "sensitive_subjects_by_category".into(),
            t["sensitive_subjects_by_category"].clone(),
        ),
        ("records".into(), t["records"].clone()),
        (
            "unidentified_records".into(),
            t["unidentified_records"].clone(),
        ),
        (
            "largest_identifier_distinct".into(),
            t["largest_identifier_distinct"].clone(),
        ),
    ];
    for c in t["categories"].as_array().unwrap() {
        out.push((format!("categories.{}", c["detector"]), c.clone()));
    }
    for k in [
        "files_scanned",
        "files_partial",
        "files_skipped",
        "files_unreadable",
        "bytes_scanned",
        "complete",
        "errors",
    ] {
        out.push((format!("scan.{k}"), inv["scan"][k].clone()));
    }
    out
}

/// `verify` accepts the inventory: any exit but 14 (altered) or 15 (signature), with no
/// "altered" in its output.
fn assert_verifies(dir: &Path) {
    let o = run(&[
        "verify".as_ref(),
        "--declared".as_ref(),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/declared.toml")
            .as_os_str(),
        dir.join("inventory.json").as_os_str(),
    ]);
    let code = o.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "verify refused {}: {code}\n{}{}",
        dir.display(),
        stdout(&o),
        stderr(&o)
    );
    assert!(!stdout(&o).contains("altered"), "{}", stdout(&o));
}

#[test]
fn the_shards_of_a_tree_hold_every_file_once() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    generate(&data);
    // A file too large to read, skipped: it still belongs to exactly one shard.
    std::fs::write(data.join("big.log"), vec![b'x'; 4096]).unwrap();
    let full = t.path().join("full");
    assert!(
        scan(&[&data], &full, &["--max-file-size", "1K"])
            .status
            .success()
    );
    let all: BTreeSet<String> = paths(&read_inv(&full)).into_iter().collect();
    assert!(all.len() > 30, "{all:?}");
    for n in [1u32, 2, 5] {
        let mut seen: Vec<String> = Vec::new();
        for k in 0..n {
            let out = t.path().join(format!("s{k}of{n}"));
            let o = scan(
                &[&data],
                &out,
                &["--max-file-size", "1K", "--shard", &format!("{k}/{n}")],
            );
            assert!(o.status.success(), "{}", stderr(&o));
            let inv = read_inv(&out);
            assert_eq!(inv["scan"]["shard"], format!("{k}/{n}"));
            seen.extend(paths(&inv));
        }
        let distinct: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(seen.len(), distinct.len(), "a file in two shards of {n}");
        assert_eq!(distinct, all, "the {n} shards together are every file");
    }
}

#[test]
fn shards_merged_give_the_figures_of_one_scan() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    generate(&data);
    let fx = fixtures();
    let roots: [&Path; 2] = [&data, &fx];
    let full = t.path().join("full");
    assert!(scan(&roots, &full, &[]).status.success());
    let one = read_inv(&full);
    let people = one["totals"]["people"]["people"].as_u64().unwrap();
    // People cross files: fewer people than subject keys would suggest if e-mails keyed them.
    assert!(people > 12_000, "{people}");
    assert_ne!(
        one["totals"]["subjects"]["low"], one["totals"]["subjects"]["high"],
        "the subjects figure is an estimate here"
    );
    for n in [2u32, 3] {
        let mut dirs = Vec::new();
        for k in 0..n {
            let out = t.path().join(format!("s{k}of{n}"));
            let o = scan(&roots, &out, &["--shard", &format!("{k}/{n}")]);
            assert!(o.status.success(), "{}", stderr(&o));
            let shard = read_inv(&out);
            assert!(
                shard["totals"]["people"]["people"].as_u64().unwrap() < people,
                "each shard holds part of the people"
            );
            dirs.push(out);
        }
        let merged = t.path().join(format!("merged{n}"));
        let mut args: Vec<&std::ffi::OsStr> = vec!["merge".as_ref()];
        args.extend(dirs.iter().map(|d| d.as_os_str()));
        args.extend(["-o".as_ref(), merged.as_os_str()]);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains(&format!("people:              {people}")));
        let m = read_inv(&merged);
        for ((name, a), (_, b)) in headline(&one).iter().zip(headline(&m).iter()) {
            assert_eq!(a, b, "{name} of {n} shards merged");
        }
        assert_eq!(headline(&one).len(), headline(&m).len());
        assert_eq!(one["sources"], m["sources"]);
        assert_eq!(
            m["scan"]["merged_from"].as_array().unwrap().len(),
            n as usize
        );
        // The people graph is the same graph: the same bytes.
        assert_eq!(
            std::fs::read(full.join("links.bin")).unwrap(),
            std::fs::read(merged.join("links.bin")).unwrap()
        );
        assert_verifies(&merged);
        // A merged inventory merges again (with nothing new: the same figures), and diffs as
        // unchanged against the one scan.
        let o = run(&[
            "diff".as_ref(),
            full.as_os_str(),
            merged.join("inventory.json").as_os_str(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
        assert!(stdout(&o).contains("no change"), "{}", stdout(&o));
    }
}

#[test]
fn merge_refuses_what_does_not_add_up() {
    let t = tempfile::tempdir().unwrap();
    let text = fixtures().join("text");
    let tab = fixtures().join("tabular");
    let a = t.path().join("a");
    assert!(scan(&[&text], &a, &[]).status.success());
    let merge = |inputs: &[&Path]| {
        let out = t.path().join("m");
        let mut args: Vec<&std::ffi::OsStr> = vec!["merge".as_ref()];
        args.extend(inputs.iter().map(|p| p.as_os_str()));
        args.extend(["-o".as_ref(), out.as_os_str()]);
        run(&args)
    };
    // Another reference date, another confidence floor.
    let b = t.path().join("b");
    assert!(
        scan(
            &[&tab],
            &b,
            &["--reference-date", "2026-01-01", "--min-confidence", "high"]
        )
        .status
        .success()
    );
    let o = merge(&[&a, &b]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("reference date"), "{e}");
    assert!(e.contains("--min-confidence: low in"), "{e}");
    assert!(!t.path().join("m/inventory.json").exists());
    // Another key.
    let c = t.path().join("c");
    let other_key = t.path().join("other.key");
    std::fs::write(&other_key, "ffeeddccbbaa99887766554433221100").unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("scan").arg(&tab).arg("-o").arg(&c);
    cmd.args(["--reference-date", REF_DATE, "-q", "--key-file"]);
    assert!(cmd.arg(&other_key).status().unwrap().success());
    let e = stderr(&merge(&[&a, &c]));
    assert!(e.contains("sketch key (key fingerprint)"), "{e}");
    // Other detectors: an extra detector file changes the set's fingerprint.
    let dets = t.path().join("dets");
    std::fs::create_dir_all(&dets).unwrap();
    let builtin =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("detectors/email.toml"))
            .unwrap();
    std::fs::write(
        dets.join("email.toml"),
        builtin.replace("priority = ", "priority = 1"),
    )
    .unwrap();
    let d = t.path().join("d");
    let o = scan(&[&tab], &d, &["--detectors", dets.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&merge(&[&a, &d]));
    assert!(e.contains("detector set (fingerprint)"), "{e}");
    // The same files twice.
    let e = stderr(&merge(&[&a, &a]));
    assert!(e.contains("is a source of both"), "{e}");
    // An inventory edited by hand.
    let edited = t.path().join("edited");
    std::fs::create_dir_all(&edited).unwrap();
    std::fs::copy(a.join("links.bin"), edited.join("links.bin")).unwrap();
    let mut inv = read_inv(&a);
    inv["totals"]["records"] = Value::from(1);
    std::fs::write(edited.join("inventory.json"), inv.to_string()).unwrap();
    let good = t.path().join("good");
    assert!(scan(&[&tab], &good, &[]).status.success());
    let e = stderr(&merge(&[&edited, &good]));
    assert!(e.contains("totals.records"), "{e}");
    // An inventory from before the totals' categories carried sketches cannot be merged.
    let mut old = read_inv(&a);
    for c in old["totals"]["categories"].as_array_mut().unwrap() {
        c.as_object_mut().unwrap().remove("sketch");
    }
    let olddir = t.path().join("old");
    std::fs::create_dir_all(&olddir).unwrap();
    std::fs::copy(a.join("links.bin"), olddir.join("links.bin")).unwrap();
    std::fs::write(olddir.join("inventory.json"), old.to_string()).unwrap();
    let e = stderr(&merge(&[&olddir, &good]));
    assert!(e.contains("carries no sketch to merge"), "{e}");
    // Never over an input.
    let mut args: Vec<&std::ffi::OsStr> = vec!["merge".as_ref(), a.as_os_str(), good.as_os_str()];
    args.extend(["-o".as_ref(), good.as_os_str()]);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("a folder of its own"), "{}", stderr(&o));
    // Compatible inputs merge.
    let o = merge(&[&a, &good]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_verifies(&t.path().join("m"));
}

#[test]
fn files_from_scans_the_listed_paths_and_records_the_missing() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    generate(&data);
    let listed = [
        data.join("people/ids_00.csv"),
        data.join("contacts/nested"),
        data.join("README.txt"),
        data.join("gone.csv"),
    ];
    let list = t.path().join("list.txt");
    let mut text = String::new();
    for p in &listed {
        text.push_str(&format!("{}\r\n\n", p.display()));
    }
    std::fs::write(&list, text).unwrap();
    let out = t.path().join("out");
    let o = scan(&[], &out, &["--files-from", list.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let inv = read_inv(&out);
    let got = paths(&inv);
    assert!(got.contains(&listed[0].display().to_string()), "{got:?}");
    assert!(got.contains(&listed[2].display().to_string()), "{got:?}");
    // The listed folder is walked: its notes and its deeper contacts.
    assert_eq!(
        got.iter()
            .filter(|p| p.contains("/contacts/nested/"))
            .count(),
        20 + 3,
        "{got:?}"
    );
    assert!(!got.iter().any(|p| p.contains("ids_01")));
    assert_eq!(inv["scan"]["complete"], false);
    let errors = inv["scan"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["path"], listed[3].display().to_string());
    assert!(
        errors[0]["error"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{errors:?}"
    );
    assert_eq!(
        inv["scan"]["roots"][0],
        format!("--files-from {}", list.display())
    );

    // From standard input, NUL-separated, with the walk's filters and a shard: the list's
    // CSV files of shard 0 of 2, and those of shard 1, are the listed CSV files.
    let mut nul = Vec::new();
    for p in &listed {
        nul.extend_from_slice(p.to_str().unwrap().as_bytes());
        nul.push(0);
    }
    let mut union = BTreeSet::new();
    for k in 0..2 {
        let out = t.path().join(format!("stdin{k}"));
        let mut child = Command::new(BIN)
            .args([
                "scan",
                "--files-from",
                "-",
                "--null",
                "-q",
                "--include",
                "*.csv",
            ])
            .args([
                "--reference-date",
                REF_DATE,
                "--shard",
                &format!("{k}/2"),
                "-o",
            ])
            .arg(&out)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&nul).unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let inv = read_inv(&out);
        for p in paths(&inv) {
            assert!(p.ends_with(".csv"), "{p}");
            assert!(union.insert(p), "a file in both shards");
        }
        assert_eq!(inv["scan"]["roots"][0], "--files-from -");
    }
    let mut want = BTreeSet::from([listed[0].display().to_string()]);
    for f in [1, 3, 5] {
        want.insert(
            data.join(format!("contacts/nested/deeper/contacts_{f}.csv"))
                .display()
                .to_string(),
        );
    }
    assert_eq!(union, want);

    // Roots and a list together are a usage error, and so is an unreadable list.
    let o = scan(&[&data], &t.path().join("x"), &["--files-from", "-"]);
    assert_eq!(o.status.code(), Some(2));
    let o = scan(&[], &t.path().join("y"), &["--files-from", "/no/such/list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such/list"), "{}", stderr(&o));
    let o = scan(&[&data], &t.path().join("z"), &["--shard", "2/2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("numbered 0 to 1"), "{}", stderr(&o));
}

#[test]
fn diff_lists_what_changed_and_exits_as_diff_does() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let rows = |from: usize, to: usize| {
        let mut s = String::from("姓名,身份证号,手机号\n");
        for i in from..to {
            s.push_str(&format!("李{i},{},{}\n", resident_id(i), mobile(i)));
        }
        s
    };
    std::fs::write(data.join("kept.csv"), rows(0, 50)).unwrap();
    std::fs::write(data.join("grows.csv"), rows(100, 120)).unwrap();
    std::fs::write(data.join("removed.csv"), rows(200, 210)).unwrap();
    let old = t.path().join("old");
    assert!(scan(&[&data], &old, &[]).status.success());
    std::fs::write(data.join("grows.csv"), rows(100, 160)).unwrap();
    std::fs::remove_file(data.join("removed.csv")).unwrap();
    std::fs::write(
        data.join("added.txt"),
        "客户邮箱 someone@example.com 银行卡 6222021234567890128\n",
    )
    .unwrap();
    let new = t.path().join("new");
    assert!(scan(&[&data], &new, &[]).status.success());

    let o = run(&["diff".as_ref(), old.as_os_str(), new.as_os_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("Sources: 1 added, 1 removed, 1 changed"),
        "{text}"
    );
    assert!(
        text.contains("  + ") && text.contains("added.txt"),
        "{text}"
    );
    assert!(
        text.contains("  - ") && text.contains("removed.csv"),
        "{text}"
    );
    assert!(
        text.contains("grows.csv: ") && text.contains("records 20 → 60"),
        "{text}"
    );
    // 80 people, then 50 + 60 = 110 (and the e-mail's owner).
    assert!(text.contains("people"), "{text}");
    assert!(
        text.contains("80 → 111") || text.contains("80 → 110"),
        "{text}"
    );
    assert!(
        !text.contains("kept.csv"),
        "an unchanged source is not listed: {text}"
    );

    let o = run(&[
        "diff".as_ref(),
        old.join("inventory.json").as_os_str(),
        new.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let d: Value = serde_json::from_slice(&o.stdout).expect("diff --format json is JSON");
    assert_eq!(d["schema"], "pipl-scan/diff/v1");
    assert_eq!(d["changed"], true);
    assert_eq!(d["sources_added"].as_array().unwrap().len(), 1);
    assert_eq!(d["sources_removed"][0]["records"], 10);
    let grows = &d["sources_changed"][0];
    assert!(grows["path"].as_str().unwrap().ends_with("grows.csv"));
    let records = grows["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["what"] == "records")
        .unwrap();
    assert_eq!((&records["old"], &records["new"]), (&20.into(), &60.into()));
    let people = d["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["figure"] == "totals.people.people")
        .unwrap();
    assert_eq!(people["old"], 80);
    assert_eq!(
        people["change"].as_i64().unwrap(),
        people["new"].as_i64().unwrap() - 80
    );
    assert!(
        d["categories_added"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["detector"] == "bank-card"),
        "{}",
        d["categories_added"]
    );

    // The same inventory twice: no change, exit 0.
    let o = run(&["diff".as_ref(), new.as_os_str(), new.as_os_str()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("no change"));
    // --exit-zero for scripts under `set -e`; a missing inventory is an error.
    let o = run(&[
        "diff".as_ref(),
        old.as_os_str(),
        new.as_os_str(),
        "--exit-zero".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let o = run(&[
        "diff".as_ref(),
        old.as_os_str(),
        t.path().join("nope").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
}

/// The inventory with its sources inline, assembled from a compact inventory.json and its
/// sources.jsonl (what `Inventory::load` does, done here from the files).
fn assemble(dir: &Path) -> Value {
    let mut inv = read_inv(dir);
    let r = inv["scan"]["sources"].clone();
    assert_eq!(r["format"], "pipl-scan/sources/v1", "{r}");
    let text = std::fs::read_to_string(dir.join(r["file"].as_str().unwrap())).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one source"))
        .collect();
    assert_eq!(lines.len() as u64, r["count"].as_u64().unwrap());
    let o = inv.as_object_mut().unwrap();
    o["scan"].as_object_mut().unwrap().remove("sources");
    o.insert("sources".into(), Value::Array(lines));
    inv
}

#[test]
fn sources_in_a_stream_read_as_sources_inline() {
    let t = tempfile::tempdir().unwrap();
    let fx = fixtures();
    let inline = t.path().join("inline");
    let o = scan(&[&fx], &inline, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stream = t.path().join("stream");
    let o = scan(&[&fx], &stream, &["--sources", "jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!inline.join("sources.jsonl").exists());

    // The compact document names the file and holds no sources array; both forms validate.
    let compact = read_inv(&stream);
    assert!(compact.get("sources").is_none(), "no sources array");
    let n = read_inv(&inline)["sources"].as_array().unwrap().len();
    assert!(n > 10, "{n}");
    assert_eq!(compact["scan"]["sources"]["count"], n as u64);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/inventory-v1.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let assembled = assemble(&stream);
    for doc in [&compact, &assembled, &read_inv(&inline)] {
        let errors: Vec<String> = validator.iter_errors(doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
    // The schema tells the forms apart: both a sources array and a sources file is invalid.
    let mut both = compact.clone();
    both["sources"] = assembled["sources"].clone();
    assert!(!validator.is_valid(&both));
    // Same sources, same figures.
    let mut inline_inv = read_inv(&inline);
    inline_inv["scan"]["started_at"] = Value::Null;
    inline_inv["scan"]["finished_at"] = Value::Null;
    let mut a = assembled.clone();
    a["scan"]["started_at"] = Value::Null;
    a["scan"]["finished_at"] = Value::Null;
    assert_eq!(a, inline_inv, "the stream holds what the array held");

    // Every reader takes the stream: verify, diff (no change against the inline scan), merge.
    assert_verifies(&stream);
    let o = run(&["diff".as_ref(), inline.as_os_str(), stream.as_os_str()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let mut dirs = Vec::new();
    for k in 0..2 {
        let out = t.path().join(format!("s{k}"));
        let o = scan(
            &[&fx],
            &out,
            &["--sources", "jsonl", "--shard", &format!("{k}/2")],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        dirs.push(out);
    }
    let merged = t.path().join("merged");
    let o = run(&[
        "merge".as_ref(),
        dirs[0].as_os_str(),
        dirs[1].as_os_str(),
        "-o".as_ref(),
        merged.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Inputs with a sources file give a merge with one.
    assert!(read_inv(&merged).get("sources").is_none());
    assert_eq!(assemble(&merged)["sources"], assembled["sources"]);
    assert_verifies(&merged);
    // Asked for inline, the merge holds its sources inline.
    let merged_inline = t.path().join("merged-inline");
    let o = run(&[
        "merge".as_ref(),
        dirs[0].as_os_str(),
        dirs[1].as_os_str(),
        "--sources".as_ref(),
        "inline".as_ref(),
        "-o".as_ref(),
        merged_inline.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_inv(&merged_inline)["sources"], assembled["sources"]);

    // A sources file altered after the scan: verify refuses it as altered (exit 14), diff
    // and merge stop with an error naming the file.
    let file = stream.join("sources.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let first = text.lines().next().unwrap();
    let altered = first.replacen("\"records\":", "\"records\":1", 1);
    assert_ne!(altered, first);
    std::fs::write(&file, text.replacen(first, &altered, 1)).unwrap();
    let o = run(&[
        "verify".as_ref(),
        "--declared".as_ref(),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/declared.toml")
            .as_os_str(),
        stream.join("inventory.json").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(14), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("scan.sources"), "{}", stdout(&o));
    let o = run(&["diff".as_ref(), inline.as_os_str(), stream.as_os_str()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("altered since it was written"),
        "{}",
        stderr(&o)
    );
    // Cut short: the count says so.
    std::fs::write(&file, format!("{first}\n")).unwrap();
    let o = run(&["diff".as_ref(), inline.as_os_str(), stream.as_os_str()]);
    assert!(
        stderr(&o).contains("truncated or altered"),
        "{}",
        stderr(&o)
    );

    // Scanned again inline into the same folder: the stale stream is gone.
    let o = scan(&[&fx], &stream, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stream.join("sources.jsonl").exists());
    assert!(read_inv(&stream)["sources"].is_array());
}
