//! The Parquet reader, on the bytes held in memory (as an archive member is).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = bytes::Bytes::copy_from_slice(data);
    let (acc, err) = pipl_scan::read::parquet::scan(|| Ok(bytes.clone()), &pipl_scan_fuzz::ctx());
    // Nothing read must come with a reason (or be an empty file).
    if acc.records == 0 && err.is_none() {
        assert!(
            data.len() >= 12,
            "a {}-byte file read without an error",
            data.len()
        );
    }
});
