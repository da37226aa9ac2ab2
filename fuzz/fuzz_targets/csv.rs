//! The CSV/TSV reader, with each delimiter it sniffs, in whatever encoding the bytes look like.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipl_scan::read::{csv, encoding};

fuzz_target!(|data: &[u8]| {
    let Some((delimiter, body)) = pipl_scan_fuzz::pick(data, b",\t;|") else {
        return;
    };
    let det = encoding::detect(&body[..body.len().min(64 << 10)], body.len() <= 64 << 10);
    let _ = csv::scan_csv(body, &det, delimiter, &pipl_scan_fuzz::ctx());
});
