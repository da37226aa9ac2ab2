//! Compressed files and archives (zip, tar, gzip, zstd, bzip2, xz and their combinations),
//! read from a scratch file as a scan reads them, members and all.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let names = [
        "a.zip", "a.tar", "a.gz", "a.tar.gz", "a.tgz", "a.zst", "a.bz2", "a.xz", "a.csv.gz",
    ];
    let Some((name, body)) = pipl_scan_fuzz::pick(data, &names) else {
        return;
    };
    let _ = pipl_scan_fuzz::read_as_file(name, body);
});
