//! Spreadsheets (xlsx, xlsm, xlsb, xls, ods) through the library's byte entry point, which
//! tells the container by its entries and hands it to calamine.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let names = ["a.xlsx", "a.xlsm", "a.xlsb", "a.xls", "a.ods"];
    let Some((name, body)) = pipl_scan_fuzz::pick(data, &names) else {
        return;
    };
    let _ = pipl_scan::read::read_bytes(Path::new(name), body, &pipl_scan_fuzz::ctx(), &|_, _| {});
});
