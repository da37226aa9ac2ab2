//! Faults mid-scan and files that are not what their names say: each case the scan must survive,
//! with the reason it records. Unix-only where the fault needs Unix (FIFOs, sockets, signals,
//! permissions, file-size limits). Permission tests say they are skipped when run as root,
//! since root ignores the permissions they rely on.

#[path = "support/columnar.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use pipl_scan::detect::DetectorSet;
use pipl_scan::inventory::{FileResult, Status};
use pipl_scan::read::{Ctx, read_source};
use pipl_scan::sketch::SketchKey;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_pipl-scan");

fn with_ctx<T>(f: impl FnOnce(&Ctx) -> T) -> T {
    let set = DetectorSet::load(None).expect("detectors");
    let key = SketchKey::random();
    let ctx = Ctx::new(
        &set,
        &key,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    );
    f(&ctx)
}

/// Reads `path` as the scan would, with the size the walk listed (`size`), on another thread:
/// a read that blocks fails the test instead of hanging it.
fn read_listed(path: &Path, size: u64) -> Vec<FileResult> {
    let path = path.to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(with_ctx(|ctx| read_source(&path, size, ctx)));
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the read returned instead of blocking")
}

fn scan(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("scan")
        .args(args)
        .output()
        .expect("run pipl-scan")
}

fn inventory(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("inventory.json")).expect("inventory.json");
    serde_json::from_str(&text).unwrap()
}

fn source<'v>(inv: &'v Value, name: &str) -> &'v Value {
    inv["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no source {name} in {:#}", inv["sources"]))
}

/// Every source not fully scanned says why.
fn every_unscanned_source_has_a_reason(inv: &Value) {
    for src in inv["sources"].as_array().unwrap() {
        if src["status"] != "scanned" {
            let reason = src["reason"].as_str().unwrap_or("");
            assert!(!reason.trim().is_empty(), "no reason: {src:#}");
        }
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Files left in `dir` whose names say they are temporary.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect()
}

#[test]
fn a_name_never_lies_about_a_format() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("share");
    std::fs::create_dir(&t).unwrap();
    let w = |n: &str, b: &[u8]| std::fs::write(t.join(n), b).unwrap();
    w("notes.xlsx", "客户 张伟 手机 13812345678\n".as_bytes());
    w(
        "export.parquet",
        b"name,mobile\nli,13812345678\nwu,13912345678\nma,13712345678\n",
    );
    w("scan.pdf", b"not a pdf, phone 13812345678\n");
    w("letter.docx", b"plain text, phone 13812345678\n");
    w("logs.gz", b"plain text, phone 13812345678\n");
    w(
        "noise.xlsx",
        &(0..400u32).map(|i| (i * 7 % 256) as u8).collect::<Vec<_>>(),
    );
    w(
        "packed.xlsx",
        &support::gzip(b"mobile\n13812345678\n13912345678\n"),
    );
    w(
        "bundle.xlsx",
        &support::zip(&[(
            "users.csv",
            b"name,mobile\nli,13812345678\nwu,13912345678\n",
        )]),
    );
    w(
        "app.log",
        b"{\"event\":\"start\",\"mobile\":\"13812345678\"}\nuser 13912345678 logged in\nplain line\n",
    );
    let out = dir.path().join("out");
    let o = scan(&[s(&t), "-o", s(&out), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let inv = inventory(&out);
    let read_as = |name: &str, format: &str, note: &str| {
        let src = source(&inv, name);
        assert_eq!(src["format"], format, "{src:#}");
        assert_eq!(src["status"], "scanned", "{src:#}");
        assert_eq!(src["warnings"][0], note, "{src:#}");
        assert!(src["records"].as_u64().unwrap() > 0, "{src:#}");
    };
    read_as(
        "notes.xlsx",
        "text",
        "not an xlsx file: plain text; read as text",
    );
    read_as(
        "export.parquet",
        "csv",
        "not a parquet file: CSV text; read as csv",
    );
    read_as(
        "scan.pdf",
        "text",
        "not a pdf file: plain text; read as text",
    );
    read_as(
        "letter.docx",
        "text",
        "not a docx file: plain text; read as text",
    );
    read_as("logs.gz", "text", "not a gz file: plain text; read as text");
    let packed = source(&inv, "packed.xlsx");
    assert_eq!(packed["status"], "scanned", "{packed:#}");
    assert!(
        packed["warnings"][0]
            .as_str()
            .unwrap()
            .ends_with("packed.xlsx: not an xlsx file: a gzip stream; read as gzip"),
        "{packed:#}"
    );
    // A zip named `.xlsx` that holds no workbook is the archive it is: its members are read.
    let member = source(&inv, "bundle.xlsx!users.csv");
    assert_eq!(
        (&member["format"], &member["records"]),
        (&Value::from("csv"), &Value::from(2))
    );
    assert!(
        member["warnings"][0]
            .as_str()
            .unwrap()
            .ends_with("bundle.xlsx: not an xlsx file: a zip archive; read as zip"),
        "{member:#}"
    );
    let noise = source(&inv, "noise.xlsx");
    assert_eq!(noise["status"], "unreadable", "{noise:#}");
    assert!(
        noise["reason"]
            .as_str()
            .unwrap()
            .starts_with("not an xlsx file: binary data of no known format"),
        "{noise:#}"
    );
    every_unscanned_source_has_a_reason(&inv);
    // A log that opens with a JSON line and goes on in plain text: text, every line read.
    let log = source(&inv, "app.log");
    assert_eq!(
        (&log["format"], &log["status"], &log["records"]),
        (
            &Value::from("text"),
            &Value::from("scanned"),
            &Value::from(3)
        ),
        "{log:#}"
    );
    assert_eq!(log["subjects"]["estimate"], 2, "{log:#}");
}

#[test]
fn a_file_that_changed_between_listing_and_reading_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rotating.log");
    let body = "user 13812345678 logged in\n".repeat(40);
    std::fs::write(&p, &body).unwrap();
    let n = body.len() as u64;
    // Listed larger than it is: it shrank before it was read.
    let r = read_listed(&p, n + 500);
    assert_eq!(r[0].status, Status::Partial, "{r:?}");
    let reason = r[0].reason.as_deref().unwrap();
    assert!(reason.contains("shrank while being read"), "{reason}");
    assert_eq!(r[0].acc.records, 40);
    // Listed smaller: it grew; what was listed is what was scanned.
    let r = read_listed(&p, 27 * 10);
    assert_eq!(r[0].status, Status::Partial, "{r:?}");
    assert!(
        r[0].reason
            .as_deref()
            .unwrap()
            .contains("grew while being read"),
        "{r:?}"
    );
    assert_eq!(r[0].acc.records, 10);
    // Deleted after it was listed.
    std::fs::remove_file(&p).unwrap();
    let r = read_listed(&p, n);
    assert_eq!(r[0].status, Status::Unreadable, "{r:?}");
    assert!(
        r[0].reason
            .as_deref()
            .unwrap()
            .contains("vanished before it could be read"),
        "{r:?}"
    );
}

#[cfg(unix)]
fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(s(p)).unwrap();
    // SAFETY: a valid C string path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

#[cfg(unix)]
#[test]
fn a_file_replaced_by_a_fifo_or_a_folder_after_listing_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["export.csv", "big.parquet", "data.gz"] {
        let p = dir.path().join(name);
        mkfifo(&p);
        let r = read_listed(&p, 5000);
        assert_eq!(r[0].status, Status::Unreadable, "{r:?}");
        let reason = r[0].reason.as_deref().unwrap();
        assert!(reason.contains("replaced by a FIFO"), "{reason}");
    }
    let p = dir.path().join("was-a-file.txt");
    std::fs::create_dir(&p).unwrap();
    let r = read_listed(&p, 10);
    assert!(
        r[0].reason
            .as_deref()
            .unwrap()
            .contains("replaced by a folder"),
        "{r:?}"
    );
}

#[cfg(unix)]
#[test]
fn special_files_links_loops_and_odd_names_are_recorded_and_the_scan_finishes() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("share");
    std::fs::create_dir_all(t.join("a")).unwrap();
    std::fs::write(t.join("ok.txt"), "phone 13812345678\n").unwrap();
    mkfifo(&t.join("pipe"));
    let _sock = std::os::unix::net::UnixListener::bind(t.join("sock")).unwrap();
    std::os::unix::fs::symlink("/dev/null", t.join("null")).unwrap();
    std::os::unix::fs::symlink(t.join("a"), t.join("a/loop")).unwrap();
    let odd = t.join(std::ffi::OsStr::from_bytes(b"caf\xe9-13912345678.txt"));
    std::fs::write(&odd, "phone 13712345678\n").unwrap();
    let out = dir.path().join("out");
    let (tx, rx) = std::sync::mpsc::channel();
    let (t2, o2) = (t.clone(), out.clone());
    std::thread::spawn(move || {
        let _ = tx.send(scan(&[s(&t2), "-o", s(&o2), "--follow-links"]));
    });
    let o = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the scan finished: a FIFO or a loop did not block it");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let inv = inventory(&out);
    let skipped = |name: &str, kind: &str, words: &str| {
        let src = source(&inv, name);
        assert_eq!(
            (&src["status"], &src["format"]),
            (&Value::from("skipped"), &Value::from(kind))
        );
        assert!(src["reason"].as_str().unwrap().contains(words), "{src:#}");
    };
    every_unscanned_source_has_a_reason(&inv);
    skipped("pipe", "fifo", "never opened");
    skipped("sock", "socket", "never opened");
    skipped("null", "char-device", "never opened");
    let errors = inv["scan"]["errors"].to_string();
    assert!(errors.contains("symbolic link loop"), "{errors}");
    // A name that is not UTF-8 is scanned and recorded (lossily: U+FFFD for the bad byte).
    let odd = source(&inv, "-13912345678.txt");
    assert_eq!(odd["status"], "scanned");
    assert!(odd["path"].as_str().unwrap().contains("caf\u{fffd}-"));
    // The summary lists the first errors on stderr, with personal data in paths masked.
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("could not be read in full"), "{stderr}");
    assert!(stderr.contains("symbolic link loop"), "{stderr}");
}

#[test]
fn the_summary_lists_the_first_errors_masked_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("share");
    std::fs::create_dir(&t).unwrap();
    for i in 0..7 {
        // Parquet by its magic, damaged: unreadable, and named after a phone number.
        std::fs::write(
            t.join(format!("1381234567{i}.parquet")),
            b"PAR1 damaged beyond repair",
        )
        .unwrap();
    }
    let out = dir.path().join("out");
    let o = scan(&[s(&t), "-o", s(&out)]);
    assert!(o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("7 files or folders could not be read in full (the first 5"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("no footer magic").count(), 5, "{stderr}");
    assert!(!stderr.contains("13812345670"), "raw phone in {stderr}");
    assert!(stderr.contains("138****5670"), "{stderr}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("7 unreadable"), "{stdout}");
    // -q silences the summary, not the errors; a scan where every file was read prints nothing.
    let o = scan(&[s(&t), "-o", s(&out), "-q"]);
    assert!(o.status.success());
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let quiet = String::from_utf8_lossy(&o.stderr);
    assert!(
        quiet.contains("7 files or folders could not be read in full (the first 5"),
        "{quiet}"
    );
    assert_eq!(quiet.matches("no footer magic").count(), 5, "{quiet}");
    assert!(!quiet.contains("13812345670"), "raw phone in {quiet}");
    for i in 0..7 {
        std::fs::remove_file(t.join(format!("1381234567{i}.parquet"))).unwrap();
    }
    std::fs::write(t.join("fine.txt"), "手机 13812345678\n").unwrap();
    let o = scan(&[s(&t), "-o", s(&out), "-q"]);
    assert!(o.status.success());
    assert!(o.stdout.is_empty() && o.stderr.is_empty(), "{o:?}");
}

#[cfg(unix)]
fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_is_an_error_and_the_rest_is_scanned() {
    use std::os::unix::fs::PermissionsExt;
    if running_as_root() {
        eprintln!("skipped: running as root, which reads a chmod 000 folder anyway");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("share");
    std::fs::create_dir_all(t.join("locked")).unwrap();
    std::fs::write(t.join("locked/x.txt"), "13812345678\n").unwrap();
    std::fs::write(t.join("ok.txt"), "13912345678\n").unwrap();
    std::fs::set_permissions(t.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = dir.path().join("out");
    let o = scan(&[s(&t), "-o", s(&out)]);
    std::fs::set_permissions(t.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(o.status.success());
    let inv = inventory(&out);
    assert_eq!(source(&inv, "ok.txt")["status"], "scanned");
    assert!(inv["scan"]["errors"].to_string().contains("locked"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("locked"));
}

#[cfg(unix)]
#[test]
fn a_read_only_output_folder_leaves_the_old_inventory_whole() {
    use std::os::unix::fs::PermissionsExt;
    if running_as_root() {
        eprintln!("skipped: running as root, which writes into a read-only folder anyway");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("share");
    std::fs::create_dir(&t).unwrap();
    std::fs::write(t.join("a.txt"), "13812345678\n").unwrap();
    let out = dir.path().join("out");
    assert!(scan(&[s(&t), "-o", s(&out), "-q"]).status.success());
    let before = std::fs::read(out.join("inventory.json")).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o555)).unwrap();
    let o = scan(&[s(&t), "-o", s(&out), "-q"]);
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("inventory was not written"));
    assert_eq!(std::fs::read(out.join("inventory.json")).unwrap(), before);
    assert_eq!(temporaries(&out), Vec::<String>::new());
}

/// A full disk, simulated with a file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so that
/// writes past it fail with EFBIG as they would with ENOSPC): works as root too.
#[cfg(unix)]
#[test]
fn a_full_disk_leaves_no_half_written_inventory() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("share");
    std::fs::create_dir(&t).unwrap();
    let rows: String = (0..300)
        .map(|i| format!("user{i},1381234{i:04},u{i}@example.com\n"))
        .collect();
    std::fs::write(t.join("users.csv"), format!("name,mobile,email\n{rows}")).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("inventory.json"), b"{\"old\": true}").unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["scan", s(&t), "-o", s(&out), "-q"]);
    // SAFETY: only async-signal-safe calls (signal, setrlimit) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: 8 << 10,
                rlim_max: 8 << 10,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("inventory was not written"), "{stderr}");
    assert_eq!(
        std::fs::read(out.join("inventory.json")).unwrap(),
        b"{\"old\": true}"
    );
    assert_eq!(temporaries(&out), Vec::<String>::new());
    assert!(!out.join("links.bin").exists());
}

/// Waits until process `pid` has installed its handlers for `signal` (Linux: the `SigCgt` mask
/// of /proc/PID/status; elsewhere a fixed half second).
#[cfg(unix)]
fn wait_for_handler(pid: u32, signal: i32) {
    let started = std::time::Instant::now();
    loop {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            std::thread::sleep(Duration::from_millis(500));
            return;
        };
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .unwrap_or(0);
        if caught & (1 << (signal - 1)) != 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the scan never installed its signal handlers"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A scan stopped by `signal` exits with `code`, says so, and leaves no output: the key and the
/// output folder it created are removed, a key that was there before is kept as it was.
#[cfg(unix)]
fn stopped_by(signal: i32, code: i32, name: &str, key_before: bool) {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("share");
    std::fs::create_dir(&t).unwrap();
    let body = "客户 张伟 手机 13812345678 邮箱 zw@example.com\n".repeat(2000);
    for i in 0..300 {
        std::fs::write(t.join(format!("f{i:03}.txt")), &body).unwrap();
    }
    let out = dir.path().join("out");
    let key = out.join("sketch.key");
    let old_key = key_before.then(|| {
        std::fs::create_dir(&out).unwrap();
        SketchKey::load_or_create(&key).unwrap();
        std::fs::read(&key).unwrap()
    });
    let child = Command::new(BIN)
        .args(["scan", s(&t), "-o", s(&out), "--threads", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_handler(child.id(), signal);
    // A moment for the walk to start (the test holds if the signal comes even before it).
    std::thread::sleep(Duration::from_millis(50));
    // SAFETY: kill on a child process this test spawned.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{stderr}");
    assert!(
        stderr.contains(&format!("interrupted by {name}: stopped taking new files")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "No inventory was written (nothing in {} was changed).",
            out.display()
        )),
        "{stderr}"
    );
    match old_key {
        Some(k) => {
            let left: Vec<String> = std::fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(left, ["sketch.key"], "only the old key is left");
            assert_eq!(std::fs::read(&key).unwrap(), k, "the old key is unchanged");
        }
        None => assert!(!out.exists(), "the output folder this run created is gone"),
    }
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_scan_cleanly_with_exit_143() {
    stopped_by(libc::SIGTERM, 143, "SIGTERM", false);
}

#[cfg(unix)]
#[test]
fn sigint_stops_the_scan_cleanly_with_exit_130() {
    stopped_by(libc::SIGINT, 130, "SIGINT", true);
}

/// A stop does not wait for a file whose parser never looks at the stop flag (a damaged PDF
/// being rebuilt, a workbook's sheet): a stopped scan writes nothing, so after a short grace the
/// process cleans up, says what was read and exits. The stalled reader is the debug build's test
/// hook (`PIPL_SCAN_TEST_STALL`: the named file takes a minute and ignores the flag).
#[cfg(unix)]
#[test]
fn a_stop_does_not_wait_for_a_parser_that_ignores_it() {
    if !cfg!(debug_assertions) {
        eprintln!("skipped: the stalling reader exists in debug builds only");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("share");
    std::fs::create_dir(&t).unwrap();
    std::fs::write(t.join("stall.txt"), "客户 张伟 手机 13812345678\n").unwrap();
    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    let child = Command::new(BIN)
        .args(["scan", s(&t), "-o", s(&out), "--threads", "1"])
        .env("PIPL_SCAN_TEST_STALL", "stall.txt")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_handler(child.id(), libc::SIGTERM);
    // Time for the walk to reach the one file and its reader to stall in it.
    std::thread::sleep(Duration::from_millis(1000));
    let signalled = std::time::Instant::now();
    // SAFETY: kill on a child process this test spawned.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let o = child.wait_with_output().unwrap();
    let waited = signalled.elapsed();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(143), "{stderr}");
    assert!(
        waited < Duration::from_secs(15),
        "the scan waited {waited:?} for the stalled file; {stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(55),
        "the stall had ended by itself: the test proves nothing"
    );
    assert!(
        stderr.contains("interrupted by SIGTERM: stopped taking new files; 0 files (0 bytes)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a file still being read 1.5 s after the signal was left"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "No inventory was written (nothing in {} was changed).",
            out.display()
        )),
        "{stderr}"
    );
    assert!(!out.exists(), "the output folder this run created is gone");
}

/// What is compared before and after a scan: each entry's kind, contents, size, mode,
/// modification time and (where tracked) access time, and each folder's listing.
#[derive(Debug, PartialEq)]
struct Snap {
    path: PathBuf,
    contents: Option<Vec<u8>>,
    size: u64,
    mode: u32,
    mtime: std::time::SystemTime,
    atime: Option<std::time::SystemTime>,
}

#[cfg(unix)]
fn snapshot(root: &Path, with_atime: bool) -> Vec<Snap> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap();
        let contents = if m.is_dir() {
            let mut names: Vec<PathBuf> = std::fs::read_dir(&p)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            names.sort();
            stack.extend(names.iter().cloned());
            Some(format!("{names:?}").into_bytes())
        } else {
            None
        };
        out.push(Snap {
            path: p.clone(),
            contents,
            size: m.len(),
            mode: m.mode(),
            mtime: m.modified().unwrap(),
            atime: (with_atime && m.is_file()).then(|| m.accessed().unwrap()),
        });
    }
    out
}

#[cfg(unix)]
fn hashes(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    use sha2::Digest;
    let mut out: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            // Hashing reads the files, so it is done on a copy's source only after the
            // atime snapshot, and compared by content alone.
            let bytes = std::fs::read(e.path()).unwrap();
            (
                e.path().to_path_buf(),
                sha2::Sha256::digest(&bytes).to_vec(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Sets every regular file's access time a year before its modification time, so that any
/// read that updates access times (even under `relatime`) moves it.
#[cfg(unix)]
fn age_access_times(root: &Path) {
    for e in walkdir::WalkDir::new(root) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let f = std::fs::File::options().write(true).open(e.path()).unwrap();
            let m = f.metadata().unwrap().modified().unwrap();
            let old = m - Duration::from_secs(365 * 86400);
            f.set_times(std::fs::FileTimes::new().set_accessed(old).set_modified(m))
                .unwrap();
        }
    }
}

/// Whether reading a file updates its access time on this mount (not under `noatime`).
#[cfg(unix)]
fn atime_tracked(dir: &Path) -> bool {
    let p = dir.join("probe");
    std::fs::write(&p, b"x").unwrap();
    age_access_times(dir);
    let before = std::fs::metadata(&p).unwrap().accessed().unwrap();
    let _ = std::fs::read(&p).unwrap();
    let after = std::fs::metadata(&p).unwrap().accessed().unwrap();
    std::fs::remove_file(&p).unwrap();
    after != before
}

#[cfg(unix)]
#[test]
fn a_scan_modifies_nothing_it_scans() {
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe-dir");
    std::fs::create_dir(&probe).unwrap();
    let with_atime = atime_tracked(&probe);
    if !with_atime {
        eprintln!("access times are not updated on this mount (noatime): atime check skipped");
    }
    let t = dir.path().join("share");
    // Fixtures-like content: the generated text and tabular fixtures, and the columnar,
    // database and archive ones (Parquet, SQLite, SQL dumps, gzip, zip, tar).
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for e in walkdir::WalkDir::new(&fixtures) {
        let e = e.unwrap();
        let to = t.join(e.path().strip_prefix(&fixtures).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else if e.file_type().is_file() {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    support::generate(&t.join("columnar"));
    // A SQLite database of 4 MiB or more is not read into memory but opened by SQLite itself,
    // which must also leave its access time alone.
    let big = t.join("columnar/big.db");
    let c = rusqlite::Connection::open(&big).unwrap();
    c.execute_batch(
        "CREATE TABLE people(name TEXT, mobile TEXT, note TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
         INSERT INTO people SELECT 'p' || i, '138' || printf('%08d', i), hex(randomblob(50))
         FROM n;",
    )
    .unwrap();
    drop(c);
    assert!(std::fs::metadata(&big).unwrap().len() >= 4 << 20);
    let hashed = hashes(&t);
    age_access_times(&t);
    let before = snapshot(&t, with_atime);
    let out = dir.path().join("out");
    let o = scan(&[s(&t), "-o", s(&out), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let inv = inventory(&out);
    assert!(inv["sources"].as_array().unwrap().len() > 20);
    let after = snapshot(&t, with_atime);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "{} changed", b.path.display());
    }
    assert_eq!(before.len(), after.len());
    assert_eq!(hashed, hashes(&t));
}

/// A Parquet file whose pages decompress to far more than the file's allowance (1000 times its
/// size, at least 64 MiB) is refused from its footer, before a page is read; the Apache test
/// suite's `large_string_map.brotli.parquet` (4 KiB declaring 2 GiB) made a scan take 4.2 GB.
#[test]
fn a_parquet_bomb_is_refused_before_its_pages_are_read() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::WriterProperties;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bomb.parquet");
    let big = "a".repeat(96 << 20);
    let col: ArrayRef = std::sync::Arc::new(StringArray::from(vec![big.as_str(), "13812345678"]));
    let batch = RecordBatch::try_from_iter([("note", col)]).unwrap();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap()))
        .set_dictionary_enabled(false)
        .build();
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(&p).unwrap(),
        batch.schema(),
        Some(props),
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    drop(big);
    let size = std::fs::metadata(&p).unwrap().len();
    assert!(size < 64 << 10, "{size} bytes: not a bomb");
    let r = read_listed(&p, size);
    assert_eq!(r[0].status, Status::Unreadable, "{r:?}");
    let reason = r[0].reason.as_deref().unwrap();
    assert!(
        reason.contains("row group 0: decompression limit reached")
            && reason.contains("possible decompression bomb"),
        "{reason}"
    );
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/parquet/large_string_map.brotli.parquet");
    if !corpus.exists() {
        eprintln!("skipped: {} is not here", corpus.display());
        return;
    }
    let size = std::fs::metadata(&corpus).unwrap().len();
    let r = read_listed(&corpus, size);
    let reason = r[0].reason.as_deref().unwrap();
    assert!(reason.contains("possible decompression bomb"), "{reason}");
}

/// Rewrites the uncompressed size a Parquet page header declares (Thrift compact protocol:
/// field 1, the page type, then field 2, the uncompressed size, a zigzag varint) at `at`,
/// keeping its length in bytes (4 here) so that nothing else in the file moves.
fn patch_page_size(bytes: &mut [u8], at: usize, size: i32) {
    assert_eq!(bytes[at], 0x15, "field 1 (i32) at {at}");
    assert_eq!(bytes[at + 2], 0x15, "field 2 (i32) at {}", at + 2);
    let start = at + 3;
    let len = 1 + bytes[start..]
        .iter()
        .take_while(|&&b| b & 0x80 != 0)
        .count();
    assert_eq!(len, 4, "a 4-byte varint to patch");
    let mut z = ((size << 1) ^ (size >> 31)) as u32;
    for (k, b) in bytes[start..start + 4].iter_mut().enumerate() {
        *b = (z & 0x7f) as u8 | if k < 3 { 0x80 } else { 0 };
        z >>= 7;
    }
    assert_eq!(z, 0, "{size} does not fit 4 bytes");
}

/// A page header that declares far more than its column chunk does (the footer's sizes pass)
/// is caught before the parquet crate allocates what it says: the file is `unreadable` with the
/// page, its offset and the "possible decompression bomb" error, for a data page and for a
/// dictionary page alike, and the scan goes on with the next file.
#[test]
fn a_page_header_declaring_a_bomb_is_refused_before_the_page_is_read() {
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::WriterProperties;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("share");
    std::fs::create_dir(&t).unwrap();
    // About 1.5 MiB uncompressed in one page (so the size is a 4-byte varint), a few KiB on
    // disk. Distinct values, so that with dictionaries on they are one dictionary page.
    let values: Vec<String> = (0..24_000)
        .map(|i| format!("customer {i:08} mobile 13812345678 note {}", "x".repeat(20)))
        .collect();
    for (name, dictionary) in [("data-page.parquet", false), ("dict-page.parquet", true)] {
        let col: ArrayRef = std::sync::Arc::new(StringArray::from(values.clone()));
        let batch = RecordBatch::try_from_iter([("note", col)]).unwrap();
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap()))
            .set_dictionary_enabled(dictionary)
            .set_dictionary_page_size_limit(16 << 20)
            .set_data_page_size_limit(16 << 20)
            .set_data_page_row_count_limit(1 << 20)
            .set_write_batch_size(1 << 20)
            .build();
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let meta = SerializedFileReader::new(bytes::Bytes::from(buf.clone()))
            .unwrap()
            .metadata()
            .row_group(0)
            .column(0)
            .clone();
        let at = if dictionary {
            meta.dictionary_page_offset().expect("a dictionary page")
        } else {
            assert_eq!(meta.dictionary_page_offset(), None);
            meta.data_page_offset()
        } as usize;
        // 127 MiB: past the 64 MiB a file this small may decompress to.
        patch_page_size(&mut buf, at, 127 << 20);
        let p = t.join(name);
        std::fs::write(&p, &buf).unwrap();
        let r = read_listed(&p, buf.len() as u64);
        assert_eq!(r[0].status, Status::Unreadable, "{r:?}");
        let reason = r[0].reason.as_deref().unwrap();
        let what = if dictionary {
            "dictionary page"
        } else {
            "page"
        };
        assert!(
            reason.contains(&format!(
                "row group 0, column `note`: decompression limit reached: the {what} at offset \
                 {at} declares 133169152 bytes uncompressed"
            )) && reason.contains("possible decompression bomb"),
            "{reason}"
        );
    }
    std::fs::write(t.join("after.txt"), "手机 13812345678\n").unwrap();
    let out = dir.path().join("out");
    let o = scan(&[s(&t), "-o", s(&out), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let inv = inventory(&out);
    for name in ["data-page.parquet", "dict-page.parquet"] {
        let src = source(&inv, name);
        assert_eq!(src["status"], "unreadable", "{src:#}");
    }
    assert_eq!(source(&inv, "after.txt")["status"], "scanned");
}

/// A scan being stopped (SIGINT, SIGTERM) does not finish the large file it is in: its readers
/// skip their remaining chunks and the file is `partial`, saying why.
#[test]
fn a_stopped_scan_leaves_the_rest_of_a_large_file_and_says_so() {
    use std::sync::atomic::AtomicUsize;
    static STOP: AtomicUsize = AtomicUsize::new(15);
    let dir = tempfile::tempdir().unwrap();
    let line = "user 13812345678 logged in\n";
    let lines = (12 << 20) / line.len();
    let body = line.repeat(lines);
    // Past 8 MiB without quotes, a CSV is parsed in parallel chunks.
    let rows = (12 << 20) / 15;
    let csv = format!("name,mobile\n{}", "li,13812345678\n".repeat(rows));
    let set = DetectorSet::load(None).unwrap();
    let key = SketchKey::random();
    let mut ctx = Ctx::new(
        &set,
        &key,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    );
    for (name, content, records) in [("big.log", &body, lines), ("big.csv", &csv, rows)] {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let size = content.len() as u64;
        ctx.stop = None;
        let r = read_source(&p, size, &ctx);
        assert_eq!(r[0].status, Status::Scanned, "{r:?}");
        assert!(r[0].acc.records >= records as u64, "{r:?}");
        ctx.stop = Some(&STOP);
        let r = read_source(&p, size, &ctx);
        assert_eq!(r[0].status, Status::Partial, "{r:?}");
        assert!(
            r[0].reason
                .as_deref()
                .unwrap()
                .contains("the scan was stopped"),
            "{r:?}"
        );
        assert!(
            r[0].acc.records < records as u64 / 2,
            "{name}: {} {:?} {:?} {}",
            r[0].format,
            r[0].status,
            r[0].reason,
            r[0].acc.records
        );
    }
}
