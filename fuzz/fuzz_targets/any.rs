//! The whole reading pipeline (`read_source`) on a scratch file whose name claims a format:
//! the first byte picks the name, so content and claim disagree as often as they agree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let names = [
        "a.txt",
        "a.log",
        "a.csv",
        "a.tsv",
        "a.json",
        "a.jsonl",
        "a.xlsx",
        "a.xls",
        "a.ods",
        "a.parquet",
        "a.sql",
        "a.db",
        "a.sqlite",
        "a.zip",
        "a.tar",
        "a.gz",
        "a.docx",
        "a.pdf",
        "a.eml",
        "a.html",
        "a.msg",
        "a.dat",
        "noext",
        "a.bak",
    ];
    let Some((name, body)) = pipl_scan_fuzz::pick(data, &names) else {
        return;
    };
    let _ = pipl_scan_fuzz::read_as_file(name, body);
});
