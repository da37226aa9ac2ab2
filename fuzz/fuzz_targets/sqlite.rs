//! SQLite databases loaded from memory (as an archive member is) and every table scanned.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipl_scan::read::sqlite;

fuzz_target!(|data: &[u8]| {
    if let Ok(conn) = sqlite::open_bytes(data) {
        let _ = sqlite::scan(&conn, &pipl_scan_fuzz::ctx());
    }
});
