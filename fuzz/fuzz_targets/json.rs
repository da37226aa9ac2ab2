//! The JSON and JSON Lines reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipl_scan::read::{encoding, json};

fuzz_target!(|data: &[u8]| {
    let Some((lines, body)) = pipl_scan_fuzz::pick(data, &[false, true]) else {
        return;
    };
    let det = encoding::detect(&body[..body.len().min(64 << 10)], body.len() <= 64 << 10);
    let _ = json::scan_json(body, &det, lines, &pipl_scan_fuzz::ctx());
});
