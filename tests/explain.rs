//! `pipl-scan explain FILE` through the binary: every finding of a small file with its record,
//! field, detector, masked value, subject key, evidence and confidence, as text and as JSON;
//! no raw value in either; files over the limit and folders refused with a message naming them.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_pipl-scan");

const ID: &str = "11010519491231002X";
const MOBILE: &str = "13812345678";
const MOBILE2: &str = "13912345678";
const CARD: &str = "6222021234567890128";
const EMAIL: &str = "zhang.wei@example.com";
const EMAIL2: &str = "li.na@example.com";

fn explain(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("explain")
        .args(args)
        .output()
        .expect("run pipl-scan")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn assert_no_raw(out: &str) {
    for raw in [ID, MOBILE, MOBILE2, CARD, EMAIL, EMAIL2, "139-1234-5678"] {
        assert!(!out.contains(raw), "raw value {raw} printed:\n{out}");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// The row of the text listing for `record` and `detector`, split into its columns.
fn row<'a>(out: &'a str, record: &str, detector: &str) -> Vec<&'a str> {
    out.lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .find(|cols| cols.first() == Some(&record) && cols.contains(&detector))
        .unwrap_or_else(|| panic!("no row for record {record} {detector}:\n{out}"))
}

#[test]
fn text_findings_come_with_line_numbers_masked_values_and_keywords() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "notes.txt",
        &format!(
            "nothing here\n客户张伟 身份证号 {ID} 手机 {MOBILE}\n银行卡 {CARD} 已绑定，{EMAIL}\n回访 139-1234-5678\n"
        ),
    );
    let out = stdout(&explain(&[&path]));
    assert_no_raw(&out);
    assert!(out.contains("4 records"), "{out}");
    // Line 2: the ID is the key, checksum + 18 characters → high; its keyword is reported.
    let id = row(&out, "2", "cn-resident-id");
    assert_eq!(id[1], "text");
    assert_eq!(id[3], "110105********002X");
    assert_eq!(id[4], "yes");
    assert_eq!(id[5], "high");
    assert!(
        id[6].contains("gb11643 checksum") && id[6].contains("身份证"),
        "{id:?}"
    );
    let mobile = row(&out, "2", "cn-mobile");
    assert_eq!(
        (mobile[3], mobile[4], mobile[5]),
        ("138****5678", "no", "medium")
    );
    assert!(mobile[6].contains("keywords: 手机"), "{mobile:?}");
    // Line 3: a Luhn checksum with its keyword is high (a bare card in free text is not
    // counted at all: a card needs a card word or column); the e-mail is the key.
    let card = row(&out, "3", "bank-card");
    assert_eq!((card[3], card[5]), ("622202*********0128", "high"));
    assert_eq!(row(&out, "3", "email")[4], "yes");
    // Line 4: a separated mobile without context is low.
    let bare = row(&out, "4", "cn-mobile");
    assert_eq!((bare[3], bare[5]), ("139****5678", "low"));
    assert!(out.contains("confidence: high ="), "the rule is printed");
}

#[test]
fn table_findings_name_their_field_and_header_hint_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "contacts.csv",
        &format!(
            "姓名,手机号,email,备注\n张伟,{MOBILE},{EMAIL},无\n李娜,{MOBILE2},{EMAIL2},银行卡 {CARD}\n"
        ),
    );
    let out = stdout(&explain(&[&path, "--format", "json"]));
    assert_no_raw(&out);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["sources"][0]["format"], "csv");
    assert_eq!(v["sources"][0]["records"], 2);
    let findings = v["findings"].as_array().unwrap();
    let find = |record: u64, detector: &str| {
        findings
            .iter()
            .find(|f| f["record"] == record && f["detector"] == detector)
            .unwrap_or_else(|| panic!("no {detector} in record {record}: {out}"))
    };
    let m = find(2, "cn-mobile");
    assert_eq!(m["field"], "手机号");
    assert_eq!(m["masked"], "139****5678");
    assert_eq!(m["subject_key"], true);
    assert_eq!(m["evidence"]["header_hint"], true);
    assert_eq!(m["evidence"]["validator"], "cn-mobile");
    assert_eq!(m["confidence"], "medium");
    let card = find(2, "bank-card");
    assert_eq!(card["field"], "备注");
    assert_eq!(card["evidence"]["header_hint"], false);
    assert_eq!(card["evidence"]["checksum"], true);
    assert_eq!(card["subject_key"], false);
    assert_eq!(find(1, "email")["masked"], "z***@example.com");
    // The text listing of the same file holds no raw value either.
    assert_no_raw(&stdout(&explain(&[&path])));
}

#[test]
fn large_files_and_folders_are_refused_with_a_message_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.log");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(pipl_scan::explain::MAX_BYTES + 1)
        .unwrap();
    let o = explain(&[big.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("big.log") && err.contains("pipl-scan scan"),
        "{err}"
    );
    assert!(o.stdout.is_empty());

    let o = explain(&[dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a regular file"));
}
