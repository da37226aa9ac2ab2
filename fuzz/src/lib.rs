//! What every fuzz target shares: the detectors, a fixed key and date, and a scratch file for
//! the readers that take a path (archives, the whole pipeline).

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::NaiveDate;
use pipl_scan::detect::DetectorSet;
use pipl_scan::inventory::FileResult;
use pipl_scan::read::Ctx;
use pipl_scan::sketch::SketchKey;

/// The embedded detector catalogue, loaded once per fuzzing process.
pub fn set() -> &'static DetectorSet {
    static SET: OnceLock<DetectorSet> = OnceLock::new();
    SET.get_or_init(|| {
        // As in the binary (src/main.rs), a panic the readers catch (a parser of hostile input
        // that panics inside `catch_unwind`) is the file's error, not a crash: libfuzzer-sys's
        // hook would abort on it. A panic that escapes the library still aborts, in
        // `fuzz_target!`'s own `catch_unwind`, and is reported as a crash.
        std::panic::set_hook(Box::new(|info| {
            if std::env::var_os("FUZZ_SHOW_PANICS").is_some() {
                eprintln!("caught panic: {info}");
            }
        }));
        DetectorSet::load(None)
            .expect("the embedded detectors load")
            .with_reference_date(reference())
    })
}

fn key() -> &'static SketchKey {
    static KEY: OnceLock<SketchKey> = OnceLock::new();
    KEY.get_or_init(|| SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").expect("hex key"))
}

/// The fixtures' reference date.
pub fn reference() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("a real date")
}

/// A reader context as a scan builds it (no trace, no spill, not stopping).
pub fn ctx() -> Ctx<'static> {
    let set = set();
    Ctx::new(set, key(), reference())
}

/// Splits the fuzz input: its first byte picks among `choices`, the rest is the content.
pub fn pick<'d, T: Copy>(data: &'d [u8], choices: &[T]) -> Option<(T, &'d [u8])> {
    let (&first, rest) = data.split_first()?;
    Some((choices[first as usize % choices.len()], rest))
}

/// Writes `bytes` to a scratch file called `name` (one directory per process, under the
/// system temporary directory, e.g. /tmp/fuzz-scratch-PID) and reads it as a scan does
/// (`read_source`: archives, columnar formats, documents, text).
pub fn read_as_file(name: &str, bytes: &[u8]) -> Vec<FileResult> {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("fuzz-scratch-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch directory");
        d
    });
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("scratch file written");
    let out = pipl_scan::read::read_source(&path, bytes.len() as u64, &ctx());
    let _ = std::fs::remove_file(&path);
    check(&out);
    out
}

/// What must hold of any result: a reason for every file not fully scanned.
pub fn check(results: &[FileResult]) {
    use pipl_scan::inventory::Status;
    for r in results {
        if r.status != Status::Scanned {
            assert!(
                r.reason.is_some(),
                "{:?} without a reason: {}",
                r.status,
                r.path
            );
        }
    }
}
