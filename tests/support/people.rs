//! Generated people and the test key, shared by the tests that build trees of them
//! (`refresh`, `spark`, `state`): the same identifiers in every test, so that their trees and
//! figures can be compared, written once.

use std::path::{Path, PathBuf};

/// The sketch key of these tests (hex), so their sketches merge across runs and shards.
pub const KEY: &str = "000102030405060708090a0b0c0d0e0f";

/// `dir/sketch.key` holding [`KEY`], written if missing.
pub fn key_file(dir: &Path) -> PathBuf {
    let p = dir.join("sketch.key");
    if !p.exists() {
        std::fs::write(&p, KEY).unwrap();
    }
    p
}

/// An 18-character resident ID for person `i` (born 1960–1999), with its MOD 11-2 check.
pub fn resident_id(i: usize) -> String {
    let body = format!(
        "110101{:04}{:02}{:02}{:03}",
        1960 + i % 40,
        1 + i % 12,
        1 + i % 28,
        i % 1000
    );
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// A mobile number for person `i`.
pub fn mobile(i: usize) -> String {
    format!("139{:08}", 10_000_000 + i * 7)
}

/// Copies the folder `from` to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
