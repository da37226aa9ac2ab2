//! Incremental rescans through the `pipl-scan` binary: `scan --state FILE`.
//!
//! The contract tested: a rescan with a state, after files were changed, added and deleted,
//! writes the inventory and `links.bin` a full scan of the same tree writes (every figure,
//! every source; only the run's start and end times differ), reading only the new and changed
//! files; settings that change figures make it read everything again and say so; an
//! interrupted scan's state is continued; a second run on a held state exits 75.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

#[allow(dead_code)]
#[path = "support/people.rs"]
mod people;
use people::{copy_dir, key_file, mobile, resident_id};

const BIN: &str = env!("CARGO_BIN_EXE_pipl-scan");
const REF_DATE: &str = "2026-11-25";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// People's IDs with mobiles in `people/`, the same mobiles with e-mails in `contacts/` (so
/// people link across files), notes, an archive with two members, and the fixtures.
fn generate(root: &Path) {
    std::fs::create_dir_all(root.join("people")).unwrap();
    std::fs::create_dir_all(root.join("contacts/nested")).unwrap();
    for f in 0..6 {
        write_people(root, f, f * 500..(f + 1) * 500);
    }
    for f in 0..4 {
        let mut s = String::from("手机号,邮箱\n");
        for i in (0..3000).filter(|i| i % 4 == f && i % 3 == 0) {
            s.push_str(&format!("{},user{i}@example.com\n", mobile(i)));
        }
        std::fs::write(root.join(format!("contacts/contacts_{f}.csv")), s).unwrap();
    }
    for f in 0..15 {
        std::fs::write(
            root.join(format!("contacts/nested/note_{f}.txt")),
            format!("客户 手机 {} 备注\n", mobile(50_000 + f)),
        )
        .unwrap();
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default();
        z.start_file("export/customers.csv", o).unwrap();
        z.write_all(
            format!("姓名,手机号\n张伟,{}\n李娜,{}\n", mobile(3), mobile(60_000)).as_bytes(),
        )
        .unwrap();
        z.start_file("export/users.jsonl", o).unwrap();
        z.write_all(format!("{{\"user\":{{\"phone\":\"{}\"}}}}\n", mobile(61_000)).as_bytes())
            .unwrap();
        z.finish().unwrap();
    }
    std::fs::write(root.join("bundle.zip"), buf.into_inner()).unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &root.join("fixtures"),
    );
    // Stamps of files changed in the second before a scan are not trusted (see src/state.rs):
    // let the tree age past it, so that the counts of files read below are exact.
    std::thread::sleep(std::time::Duration::from_millis(1_200));
}

fn write_people(root: &Path, f: usize, people: std::ops::Range<usize>) {
    let mut s = String::from("姓名,身份证号,手机号\n");
    for i in people {
        s.push_str(&format!("张{},{},{}\n", i % 97, resident_id(i), mobile(i)));
    }
    std::fs::write(root.join(format!("people/ids_{f:02}.csv")), s).unwrap();
}

/// `scan ROOT -o OUT` with the test's key (and reference date unless given) and `extra`.
fn scan(root: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("scan").arg(root).arg("-o").arg(out);
    if !extra.contains(&"--reference-date") {
        cmd.args(["--reference-date", REF_DATE]);
    }
    cmd.arg("--key-file").arg(key_file(out.parent().unwrap()));
    cmd.args(extra);
    cmd.output().expect("run pipl-scan scan")
}

fn with_state<'a>(state: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--state", state.to_str().unwrap()];
    v.extend_from_slice(extra);
    v
}

/// The inventory without the run's start and end times: everything a rescan must reproduce.
fn figures(dir: &Path) -> Value {
    let mut inv: Value =
        serde_json::from_slice(&std::fs::read(dir.join("inventory.json")).expect("inventory"))
            .expect("inventory.json is JSON");
    let scan = inv["scan"].as_object_mut().unwrap();
    scan.remove("started_at");
    scan.remove("finished_at");
    inv
}

/// The rescan in `got` is the full scan in `want`: the same inventory and the same links.bin.
fn assert_same_as_full_scan(got: &Path, want: &Path) {
    let (g, w) = (figures(got), figures(want));
    if g != w {
        // Name the first part that differs rather than printing two inventories.
        for k in ["scan", "totals", "sources"] {
            assert_eq!(g[k], w[k], "{k} differs from the full scan's");
        }
        panic!("the inventories differ");
    }
    assert_eq!(
        std::fs::read(got.join("links.bin")).expect("links.bin of the rescan"),
        std::fs::read(want.join("links.bin")).expect("links.bin of the full scan"),
        "links.bin differs from the full scan's"
    );
}

/// (unchanged, read, dropped) from the summary's state line.
fn state_line(o: &Output) -> (u64, u64, u64) {
    let out = stdout(o);
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("state:"))
        .unwrap_or_else(|| panic!("no state line in:\n{out}"));
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(3)
        .map(|s| s.parse().unwrap())
        .collect();
    (nums[0], nums[1], nums[2])
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "scan failed: {}{}",
        stdout(o),
        stderr(o)
    );
}

#[test]
fn a_rescan_after_changes_writes_what_a_full_scan_writes() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("tree");
    generate(&root);
    let state = t.path().join("state.db");
    let files = walk_count(&root);

    let first = scan(&root, &t.path().join("run1"), &with_state(&state, &[]));
    ok(&first);
    assert_eq!(
        state_line(&first),
        (0, files, 0),
        "a new state reads every file"
    );
    let full = scan(&root, &t.path().join("full1"), &["--quiet"]);
    ok(&full);
    assert_same_as_full_scan(&t.path().join("run1"), &t.path().join("full1"));

    // Unchanged: nothing is read, the same inventory.
    let again = scan(&root, &t.path().join("run2"), &with_state(&state, &[]));
    ok(&again);
    assert_eq!(state_line(&again), (files, 0, 0));
    assert_same_as_full_scan(&t.path().join("run2"), &t.path().join("full1"));

    // Change one people file (others' people move: some leave, new ones link to contacts),
    // add one, delete a contacts file and a note, rewrite the archive's neighbour.
    write_people(&root, 2, 900..1_300);
    write_people(&root, 9, 2_990..3_400);
    std::fs::remove_file(root.join("contacts/contacts_1.csv")).unwrap();
    std::fs::remove_file(root.join("contacts/nested/note_3.txt")).unwrap();
    std::fs::write(
        root.join("contacts/nested/note_4.txt"),
        format!("客户 邮箱 user9@example.com 手机 {}\n", mobile(9)),
    )
    .unwrap();
    // Past the second in which changed files are not trusted (see `generate`).
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    let third = scan(&root, &t.path().join("run3"), &with_state(&state, &[]));
    ok(&third);
    // Read: the changed people file, the new one, the rewritten note.
    assert_eq!(state_line(&third), (files - 2 - 2, 3, 2));
    let full = scan(&root, &t.path().join("full3"), &["--quiet"]);
    ok(&full);
    assert_same_as_full_scan(&t.path().join("run3"), &t.path().join("full3"));
    assert_ne!(
        figures(&t.path().join("full1"))["totals"]["people"],
        figures(&t.path().join("full3"))["totals"]["people"],
        "the changes changed the people"
    );

    // The state keeps what the third run stored: a fourth reads nothing.
    let fourth = scan(&root, &t.path().join("run4"), &with_state(&state, &[]));
    ok(&fourth);
    assert_eq!(state_line(&fourth), (files - 1, 0, 0));
    assert_same_as_full_scan(&t.path().join("run4"), &t.path().join("full3"));
}

/// Files the walk hands to readers (every regular file of the generated tree).
fn walk_count(root: &Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(root).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            n += walk_count(&e.path());
        } else {
            n += 1;
        }
    }
    n
}

#[test]
fn settings_that_change_figures_read_everything_again_and_say_why() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("tree");
    generate(&root);
    let state = t.path().join("state.db");
    let files = walk_count(&root);
    ok(&scan(
        &root,
        &t.path().join("run1"),
        &with_state(&state, &["--quiet"]),
    ));

    // Another reference date changes who is a minor: every stored result goes.
    let o = scan(
        &root,
        &t.path().join("run2"),
        &with_state(&state, &["--reference-date", "2040-01-01"]),
    );
    ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("--reference-date 2026-11-25 → 2040-01-01")
            && err.contains("every file is read again"),
        "{err}"
    );
    assert_eq!(state_line(&o), (0, files, 0));
    ok(&scan(
        &root,
        &t.path().join("full2"),
        &["--quiet", "--reference-date", "2040-01-01"],
    ));
    assert_same_as_full_scan(&t.path().join("run2"), &t.path().join("full2"));

    // --min-confidence changes what is counted.
    let o = scan(
        &root,
        &t.path().join("run3"),
        &with_state(
            &state,
            &["--reference-date", "2040-01-01", "--min-confidence", "high"],
        ),
    );
    ok(&o);
    assert!(
        stderr(&o).contains("--min-confidence low → high"),
        "{}",
        stderr(&o)
    );
    assert_eq!(state_line(&o), (0, files, 0));

    // The headline standard and the link cap only change how the inventory is assembled:
    // the stored results stand, and the inventory is still the full scan's.
    let flags = [
        "--reference-date",
        "2040-01-01",
        "--min-confidence",
        "high",
        "--sensitivity",
        "gbt35273-2020",
        "--link-cap",
        "1",
    ];
    let o = scan(&root, &t.path().join("run4"), &with_state(&state, &flags));
    ok(&o);
    assert!(!stderr(&o).contains("read again"), "{}", stderr(&o));
    assert_eq!(state_line(&o), (files, 0, 0));
    let mut full = flags.to_vec();
    full.push("--quiet");
    ok(&scan(&root, &t.path().join("full4"), &full));
    assert_same_as_full_scan(&t.path().join("run4"), &t.path().join("full4"));
}

#[test]
fn a_held_state_makes_a_second_run_exit_75_naming_the_holder() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("tree");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a.txt"), format!("手机 {}\n", mobile(1))).unwrap();
    let state = t.path().join("state.db");
    // Hold the lock as a running scan does: an advisory lock on FILE.lock holding the pid.
    let lock_path = t.path().join("state.db.lock");
    let mut lock = std::fs::File::create(&lock_path).unwrap();
    lock.lock().unwrap();
    write!(lock, "4242").unwrap();
    let o = scan(&root, &t.path().join("out"), &with_state(&state, &[]));
    assert_eq!(o.status.code(), Some(75), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("in use by another pipl-scan run (pid 4242"),
        "{err}"
    );
    assert!(err.contains(&lock_path.display().to_string()), "{err}");
    assert!(
        !t.path().join("out/inventory.json").exists(),
        "no inventory written"
    );
    // Released (the holder ended): the scan runs.
    drop(lock);
    ok(&scan(
        &root,
        &t.path().join("out"),
        &with_state(&state, &["--quiet"]),
    ));
}

/// A scan with a state over `files` small files, stopped by `signal` (SIGKILL: as by a crash)
/// once its first results are committed; returns the number committed then and the exit
/// status.
fn interrupted_scan(
    root: &Path,
    state: &Path,
    out: &Path,
    signal: i32,
) -> (i64, std::process::ExitStatus) {
    let mut child = Command::new(BIN)
        .arg("scan")
        .arg(root)
        .arg("-o")
        .arg(out)
        .args(["--reference-date", REF_DATE, "--threads", "1", "--state"])
        .arg(state)
        .arg("--key-file")
        .arg(key_file(out.parent().unwrap()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut committed = 0i64;
    while started.elapsed() < std::time::Duration::from_secs(120) {
        if let Ok(c) =
            rusqlite::Connection::open_with_flags(state, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            && let Ok(n) = c.query_row("SELECT count(*) FROM files", [], |r| r.get::<_, i64>(0))
        {
            committed = n;
        }
        if committed > 0 || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: kill on a child process this test spawned (it may have ended: then it fails).
    unsafe { libc::kill(child.id() as i32, signal) };
    (committed, child.wait().unwrap())
}

#[test]
fn an_interrupted_scan_leaves_a_state_the_next_run_continues_from() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("tree");
    std::fs::create_dir_all(&root).unwrap();
    // Enough files that the scan is still running after its first batch is committed.
    let files = 2_500;
    for f in 0..files {
        std::fs::write(
            root.join(format!("n{f:05}.txt")),
            format!("客户 {} 手机 {}\n", resident_id(f), mobile(f)),
        )
        .unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    ok(&scan(&root, &t.path().join("full"), &["--quiet"]));
    // Killed (as by a crash or a reboot), then stopped by SIGTERM (a job's time limit): each
    // time the next run reads none of what was stored, and writes the full scan's inventory.
    for (signal, code) in [(libc::SIGKILL, None), (libc::SIGTERM, Some(143))] {
        let state = t.path().join(format!("state-{signal}.db"));
        let out = t.path().join(format!("stopped-{signal}"));
        let (committed, status) = interrupted_scan(&root, &state, &out, signal);
        assert!(
            committed > 0,
            "no results were committed while the scan ran"
        );
        let stopped = !status.success();
        if stopped {
            assert_eq!(status.code(), code, "signal {signal}");
            assert!(
                !out.join("inventory.json").exists(),
                "no inventory when stopped"
            );
        }
        let run = t.path().join(format!("run-{signal}"));
        let o = scan(&root, &run, &with_state(&state, &[]));
        ok(&o);
        let (unchanged, read, dropped) = state_line(&o);
        assert!(unchanged >= committed as u64, "{unchanged} < {committed}");
        assert_eq!((unchanged + read, dropped), (files as u64, 0));
        if stopped {
            assert!(read > 0, "the stopped run had not finished");
        }
        assert_same_as_full_scan(&run, &t.path().join("full"));
    }
}

#[test]
fn verify_content_stores_hashes_and_keeps_unchanged_files() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("tree");
    generate(&root);
    let state = t.path().join("state.db");
    let files = walk_count(&root);
    let o = scan(
        &root,
        &t.path().join("run1"),
        &with_state(&state, &["--verify-content"]),
    );
    ok(&o);
    assert_eq!(state_line(&o), (0, files, 0));
    let o = scan(
        &root,
        &t.path().join("run2"),
        &with_state(&state, &["--verify-content"]),
    );
    ok(&o);
    assert_eq!(state_line(&o), (files, 0, 0));
    assert_same_as_full_scan(&t.path().join("run2"), &t.path().join("run1"));
    // --verify-content needs a state.
    let o = scan(&root, &t.path().join("run3"), &["--verify-content"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_file_under_two_roots_is_counted_twice_as_a_full_scan_counts_it() {
    let t = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let state = t.path().join("state.db");
    let run = |out: &str, extra: &[&str]| {
        let mut cmd = Command::new(BIN);
        cmd.arg("scan")
            .arg(&fixtures)
            .arg(fixtures.join("text"))
            .arg("-o")
            .arg(t.path().join(out))
            .args(["--reference-date", REF_DATE, "--key-file"])
            .arg(key_file(t.path()))
            .args(extra);
        let o = cmd.output().unwrap();
        ok(&o);
        o
    };
    run("full", &["--quiet"]);
    let first = run("run1", &with_state(&state, &[]));
    let (_, read, _) = state_line(&first);
    let second = run("run2", &with_state(&state, &[]));
    assert_eq!(state_line(&second), (read, 0, 0));
    assert_same_as_full_scan(&t.path().join("run2"), &t.path().join("full"));
}

/// A run keeps each file's entry as it serialised it (`--sources` decides how): a rescan in the
/// same form copies the entries, one in the other form (or with other assembly settings) builds
/// them from the stored results; either way the outputs are a full scan's, byte for byte.
#[test]
fn rescans_copy_stored_entries_and_write_what_a_full_scan_writes_in_either_form() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("tree");
    generate(&root);
    let state = t.path().join("state.db");
    let files = walk_count(&root);
    let jsonl = ["--sources", "jsonl", "--quiet"];
    ok(&scan(&root, &t.path().join("full-jsonl"), &jsonl));
    ok(&scan(&root, &t.path().join("full-inline"), &["--quiet"]));
    let same_files = |got: &str, want: &str| {
        for name in ["sources.jsonl", "links.bin"] {
            let (g, w) = (
                t.path().join(got).join(name),
                t.path().join(want).join(name),
            );
            assert_eq!(g.exists(), w.exists(), "{got}: {name}");
            if w.exists() {
                assert!(
                    std::fs::read(&g).unwrap() == std::fs::read(&w).unwrap(),
                    "{got}: {name} differs from {want}'s"
                );
            }
        }
        assert_same_as_full_scan(&t.path().join(got), &t.path().join(want));
    };
    ok(&scan(
        &root,
        &t.path().join("run1"),
        &with_state(&state, &jsonl),
    ));
    same_files("run1", "full-jsonl");
    for (run, extra, want) in [
        // The entries stored by the first run, copied.
        ("run2", &jsonl[..], "full-jsonl"),
        // Inline: the stored entries are lines, not array elements: built again.
        ("run3", &[][..], "full-inline"),
        ("run4", &[][..], "full-inline"),
        // Back to lines.
        ("run5", &jsonl[..], "full-jsonl"),
    ] {
        let o = scan(&root, &t.path().join(run), &with_state(&state, extra));
        ok(&o);
        if !extra.contains(&"--quiet") {
            assert_eq!(state_line(&o), (files, 0, 0), "{run}");
        }
        same_files(run, want);
    }
    // A changed file is read and its new entry stored; the next rescan copies it.
    write_people(&root, 2, 900..1_300);
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    ok(&scan(&root, &t.path().join("full6"), &jsonl));
    ok(&scan(
        &root,
        &t.path().join("run6"),
        &with_state(&state, &jsonl),
    ));
    same_files("run6", "full6");
    ok(&scan(
        &root,
        &t.path().join("run7"),
        &with_state(&state, &jsonl),
    ));
    same_files("run7", "full6");
}
