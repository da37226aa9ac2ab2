//! Text chunking and the plain-text scan: `split` must cover the input with ordered,
//! non-overlapping chunks that end on line boundaries where there is one; `scan_text` must
//! never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipl_scan::read::text;

fuzz_target!(|data: &[u8]| {
    let Some((target, body)) = pipl_scan_fuzz::pick(data, &[1usize, 7, 64, 4096]) else {
        return;
    };
    let chunks = text::split(body, target);
    let mut at = 0;
    for &(s, e) in &chunks {
        assert_eq!(s, at, "chunks are contiguous");
        assert!(e > s && e <= body.len(), "chunk {s}..{e} of {}", body.len());
        at = e;
    }
    assert_eq!(at, body.len(), "chunks cover the input");
    let acc = text::scan_text(body, &pipl_scan_fuzz::ctx());
    assert!(acc.records <= body.len() as u64 + 1);
});
