//! The SQL dump tokenizer and scanner (MySQL and PostgreSQL dialects), in any encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipl_scan::read::sqldump::{self, Dialect};

fuzz_target!(|data: &[u8]| {
    let Some((dialect, body)) = pipl_scan_fuzz::pick(data, &[Dialect::MySql, Dialect::Postgres])
    else {
        return;
    };
    let _ = sqldump::scan_in_encoding(body, body, true, dialect, &pipl_scan_fuzz::ctx());
});
