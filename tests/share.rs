//! A generated file share shaped like the real thing, scanned end to end through the binary:
//! résumés (docx, pdf, doc), a mail archive (mbox), a payroll (xlsx), a clinic export (csv) and a
//! folder of ID-card and face scans (images). The same people cross files — a candidate's
//! résumé, then their payroll row, then their clinic visit — so the figures checked are people
//! (linked across files), sensitive people per standard, subjects per sensitive category, and
//! images of identity documents counted as sensitive files whose people are unknown.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[path = "support/documents.rs"]
mod documents;
#[allow(dead_code)]
#[path = "support/people.rs"]
mod ids;

const BIN: &str = env!("CARGO_BIN_EXE_pipl-scan");

/// A Luhn-valid 19-digit UnionPay debit card for person `i`.
fn card(i: usize) -> String {
    let body = format!("622202{:012}", 100_000 + i * 7919);
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(k, b)| {
            let d = u32::from(b - b'0');
            if k % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// The share; returns nothing: what it holds is spelled out in the test's expectations.
fn generate(root: &Path) {
    use documents::people;
    // Résumés: a docx of people 0..9 (paragraphs, a table, a text box, a header, a comment, a
    // property) and a PDF of people 500..504.
    write(root, "hr/简历/候选人汇总.docx", &documents::docx(3, 2));
    write(root, "hr/简历/外部推荐.pdf", &documents::pdf(2, 2));
    // An old Word 97 résumé file of people 0..6, already in the docx: no one new.
    write(root, "hr/简历/旧版简历.doc", &documents::doc(3, 2));
    // A mail archive: people 400..405, one message each.
    write(root, "hr/mail/2026-11.mbox", &documents::mbox(5));
    // A payroll (xlsx): people 0..5 and 500..501 were hired, with 3 more (600..602).
    let hired: Vec<documents::Person> = people(0, 6)
        .into_iter()
        .chain(people(500, 2))
        .chain(people(600, 3))
        .collect();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["姓名", "身份证号", "手机号", "工资卡号", "实发工资"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, p) in hired.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &p.name).unwrap();
        ws.write_string(r, 1, ids::resident_id(9_000 + i)).unwrap();
        ws.write_string(r, 2, &p.phone).unwrap();
        ws.write_string(r, 3, card(i)).unwrap();
        ws.write_number(r, 4, 8000.0 + i as f64 * 37.0).unwrap();
    }
    write(
        root,
        "finance/工资表_2026-11.xlsx",
        &wb.save_to_buffer().unwrap(),
    );
    // A clinic export: people 0 and 1 (hired), 400 (wrote in), and 2 more (700..701).
    let patients: Vec<documents::Person> = people(0, 2)
        .into_iter()
        .chain(people(400, 1))
        .chain(people(700, 2))
        .collect();
    let dx = [
        "2型糖尿病",
        "高血压2级",
        "支气管哮喘",
        "E11.9",
        "慢性浅表性胃炎",
    ];
    let mut clinic = String::from("患者姓名,联系电话,诊断,就诊日期\n");
    for (i, p) in patients.iter().enumerate() {
        writeln!(
            clinic,
            "{},{},{},2026-11-{:02}",
            p.name,
            p.phone,
            dx[i],
            3 + i
        )
        .unwrap();
    }
    write(root, "clinic/门诊导出.csv", clinic.as_bytes());
    // Scans: three identity documents and a face, told by their names and folders; a logo.
    let jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9";
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    write(root, "hr/证件扫描/张伟_身份证正面.jpg", jpeg);
    write(root, "hr/证件扫描/张伟_身份证反面.jpg", jpeg);
    write(root, "hr/证件扫描/王芳_passport.png", png);
    write(root, "security/人脸库/0001.png", png);
    write(root, "web/logo.png", png);
}

#[test]
fn a_generated_share_counts_its_people_categories_and_images() {
    let t = tempfile::tempdir().unwrap();
    let share = t.path().join("share");
    generate(&share);
    let out = t.path().join("out");
    let profile = t.path().join("profile.toml");
    std::fs::write(
        &profile,
        "[organisation]\nname = \"Test Co.\"\n\n[[flow]]\nname = \"all\"\nsources = [\"**\"]\n\
         recipient = \"R Ltd\"\ncountry = \"SG\"\npurpose = \"HR\"\n",
    )
    .unwrap();
    let o = Command::new(BIN)
        .arg("scan")
        .arg(&share)
        .arg("-o")
        .arg(&out)
        .args(["--reference-date", "2026-11-25", "--key-file"])
        .arg(ids::key_file(t.path()))
        .arg("--profile")
        .arg(&profile)
        .args(["--format", "json", "--accept-incomplete"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.code().is_some_and(|c| c < 30),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let inv: Value =
        serde_json::from_slice(&std::fs::read(out.join("inventory.json")).unwrap()).unwrap();
    let source = |suffix: &str| -> &Value {
        inv["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix} not in the inventory"))
    };
    let people = |s: &Value| s["people"]["people"].as_u64().unwrap_or(0);
    // Every format was read as what it is.
    for (file, format) in [
        ("候选人汇总.docx", "docx"),
        ("外部推荐.pdf", "pdf"),
        ("旧版简历.doc", "doc"),
        ("2026-11.mbox", "mbox"),
        ("工资表_2026-11.xlsx", "xlsx"),
        ("门诊导出.csv", "csv"),
        ("张伟_身份证正面.jpg", "image"),
    ] {
        assert_eq!(source(file)["format"], format, "{file}");
    }
    // Per source: the people each holds.
    assert_eq!(people(source("外部推荐.pdf")), 4);
    assert_eq!(people(source("旧版简历.doc")), 6);
    assert_eq!(people(source("工资表_2026-11.xlsx")), 11);
    assert_eq!(people(source("门诊导出.csv")), 5);
    // People across the share: the docx's 9, the PDF's 4, the mailbox's 5 senders, 3 hired
    // from elsewhere, 2 new patients; the résumés' people hired and treated are the same people,
    // and the .doc's are the docx's.
    let docx = people(source("候选人汇总.docx"));
    assert_eq!(docx, 9);
    // The mailbox: each sender's address (a header) and the mobile in their message's body are
    // separate records, not linked — a body may name other people — so 5 addresses, 5 mobiles
    // and the hr@ mailbox every message is sent to: 11, an upper bound on its 5 senders.
    let mbox = people(source("2026-11.mbox"));
    assert_eq!(mbox, 11);
    let p = &inv["totals"]["people"];
    assert_eq!(
        p["people"].as_u64().unwrap(),
        docx + 4 + mbox + 3 + 2,
        "docx {docx}, mbox {mbox}: {p}"
    );
    // Sensitive people: the 11 on the payroll (salary card, salary) and the 5 patients, of whom
    // 2 are on the payroll: 14 under both standards (IDs are only on the payroll).
    assert_eq!(p["sensitive_by_standard"]["gbt45574-2025"], 14, "{p}");
    assert_eq!(p["sensitive_by_standard"]["gbt35273-2020"], 14, "{p}");
    // Subjects per sensitive category and standard.
    let by = |cat: &str, st: &str| {
        inv["totals"]["sensitive_subjects_by_category"][cat][st]["estimate"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(by("financial-account", "gbt45574-2025"), 11);
    assert_eq!(by("medical-health", "gbt45574-2025"), 5);
    assert_eq!(by("medical-health", "gbt35273-2020"), 5);
    assert_eq!(by("identity-document", "gbt45574-2025"), 0);
    assert_eq!(by("identity-document", "gbt35273-2020"), 11);
    // Images: three identity documents and a face, the logo nothing; people unknown.
    assert_eq!(
        inv["totals"]["sensitive_images_by_category"],
        serde_json::json!({"identity-document-image": 3, "face-image": 1})
    );
    assert_eq!(
        source("王芳_passport.png")["sensitive_image"],
        "identity-document-image"
    );
    assert!(source("logo.png").get("sensitive_image").is_none());
    assert!(text.contains("sensitive images:"), "{text}");
    // The assessment says the images' people are not counted.
    let a: Value =
        serde_json::from_slice(&std::fs::read(out.join("assessment.json")).unwrap()).unwrap();
    let notes = a["assessment"]["notes"].to_string();
    assert!(notes.contains("sensitive-images-uncounted"), "{notes}");
    // And `verify` holds the image counts to the sources.
    let mut doctored = inv.clone();
    doctored["totals"]["sensitive_images_by_category"]["face-image"] = 0.into();
    let bad = t.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("inventory.json"), doctored.to_string()).unwrap();
    std::fs::copy(out.join("links.bin"), bad.join("links.bin")).unwrap();
    let o = Command::new(BIN)
        .args(["verify", "--declared"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/declared.toml"))
        .arg(bad.join("inventory.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(14));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("sensitive_images_by_category"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
