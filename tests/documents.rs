//! Documents (docx, pptx, odt, e-mail, mbox…): generated files with known personal data in
//! every place a document hides it, damaged and encrypted inputs with their precise status, and
//! the third-party files of the shared corpus (`../shared/corpus/documents/`, when present)
//! checked against the ground truth its README gives.

#[path = "support/documents.rs"]
mod docgen;

use std::path::{Path, PathBuf};

use pipl_scan::detect::DetectorSet;
use pipl_scan::inventory::{FileResult, SourceAcc, Status};
use pipl_scan::read::{Ctx, read_source};
use pipl_scan::sketch::SketchKey;

fn with_ctx<T>(f: impl FnOnce(&Ctx, &DetectorSet) -> T) -> T {
    let set = DetectorSet::load(None).expect("detectors");
    let key = SketchKey::random();
    let ctx = Ctx::new(
        &set,
        &key,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    );
    f(&ctx, &set)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn read(path: &Path, ctx: &Ctx) -> Vec<FileResult> {
    let size = std::fs::metadata(path).unwrap().len();
    read_source(path, size, ctx)
}

/// (matches, distinct values) of one detector over a source's fields.
fn found(acc: &SourceAcc, set: &DetectorSet, detector: &str) -> (u64, u64) {
    let d = set.index_of(detector).expect("detector");
    let mut matches = 0;
    let mut sketch = pipl_scan::sketch::Sketch::default();
    for dets in acc.fields.values() {
        if let Some(a) = dets.get(&d) {
            matches += a.matches;
            sketch.merge(&a.distinct);
        }
    }
    (matches, sketch.estimate().estimate)
}

fn samples(acc: &SourceAcc, set: &DetectorSet, detector: &str) -> Vec<String> {
    let d = set.index_of(detector).expect("detector");
    acc.fields
        .values()
        .filter_map(|dets| dets.get(&d))
        .flat_map(|a| a.samples().map(str::to_string))
        .collect()
}

#[test]
fn a_docx_is_read_in_every_place_and_its_traps_find_nothing() {
    with_ctx(|ctx, set| {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "简历.docx", &docgen::docx(3, 4));
        let r = read(&p, ctx);
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(
            (r.format.as_str(), r.status),
            ("docx", Status::Scanned),
            "{:?}",
            r.reason
        );
        // Body 3 + table 4 + header 1 + custom property 1 addresses; body 3 + table 4 +
        // text box 1 (once: its VML fallback is not read again) + comment 1 phones.
        assert_eq!(found(&r.acc, set, "email"), (9, 9));
        assert_eq!(found(&r.acc, set, "cn-mobile"), (9, 9));
        // The table is a table: its header names the fields.
        assert!(
            r.acc.fields.contains_key("table1!手机"),
            "{:?}",
            r.acc.fields.keys()
        );
        // Every value is masked in what leaves the process.
        for s in samples(&r.acc, set, "email") {
            assert!(s.contains("***"), "{s}");
        }
    });
}

#[test]
fn a_pptx_reads_slides_and_notes_not_layouts() {
    with_ctx(|ctx, set| {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "客户.pptx", &docgen::pptx(5));
        let r = &read(&p, ctx)[0];
        assert_eq!((r.format.as_str(), r.status), ("pptx", Status::Scanned));
        // The layout's 13812345678 is a template prompt, not a slide's.
        assert_eq!(found(&r.acc, set, "cn-mobile"), (5, 5));
        assert_eq!(found(&r.acc, set, "email"), (5, 5));
    });
}

#[test]
fn an_odt_reads_body_footer_and_spacing() {
    with_ctx(|ctx, set| {
        let dir = tempfile::tempdir().unwrap();
        // Named .zip: told by its mimetype, not its name.
        let p = write(dir.path(), "renamed.odt", &docgen::odt(4));
        let r = &read(&p, ctx)[0];
        assert_eq!((r.format.as_str(), r.status), ("odt", Status::Scanned));
        assert_eq!(found(&r.acc, set, "cn-mobile"), (5, 5));
        assert_eq!(found(&r.acc, set, "email"), (4, 4));
    });
}

#[test]
fn an_email_in_gbk_is_read_with_its_attachment_as_a_file() {
    with_ctx(|ctx, set| {
        let dir = tempfile::tempdir().unwrap();
        let docx = docgen::docx(3, 4);
        let p = write(
            dir.path(),
            "入职.eml",
            &docgen::eml(6, Some(("简历.docx", &docx))),
        );
        let r = read(&p, ctx);
        assert_eq!(r.len(), 2, "{r:?}");
        let (mail, cv) = (&r[0], &r[1]);
        assert_eq!(
            (mail.format.as_str(), mail.status),
            ("eml", Status::Scanned)
        );
        assert_eq!(mail.encoding.as_deref(), Some("gbk"));
        // From (also Return-Path) and To, and the six people of the body; the HTML body
        // repeats one of them. The Message-ID is no mailbox.
        assert_eq!(found(&mail.acc, set, "email").1, 8);
        assert_eq!(found(&mail.acc, set, "cn-mobile"), (6, 6));
        assert!(cv.path.ends_with("入职.eml!简历.docx"), "{}", cv.path);
        assert_eq!((cv.format.as_str(), cv.status), ("docx", Status::Scanned));
        assert_eq!(found(&cv.acc, set, "cn-mobile"), (9, 9));
    });
}

#[test]
fn a_mailbox_is_its_messages() {
    with_ctx(|ctx, set| {
        let dir = tempfile::tempdir().unwrap();
        // No extension: a mailbox by its `From ` line and headers.
        let p = write(dir.path(), "Inbox", &docgen::mbox(7));
        let r = &read(&p, ctx)[0];
        assert_eq!((r.format.as_str(), r.status), ("mbox", Status::Scanned));
        assert_eq!(found(&r.acc, set, "cn-mobile"), (7, 7));
        // Seven senders and the one recipient they share.
        assert_eq!(found(&r.acc, set, "email").1, 8);
    });
}

#[test]
fn a_cut_docx_is_partial_or_unreadable_with_the_reason() {
    with_ctx(|ctx, set| {
        let dir = tempfile::tempdir().unwrap();
        let whole = docgen::docx(50, 0);
        // The central directory gone: the body is recovered from its local header.
        let p = write(dir.path(), "cut.docx", &whole[..whole.len() - 600]);
        let r = &read(&p, ctx)[0];
        assert_eq!(r.status, Status::Partial, "{:?}", r.reason);
        let reason = r.reason.as_deref().unwrap();
        assert!(reason.contains("zip directory cannot be read"), "{reason}");
        assert!(found(&r.acc, set, "cn-mobile").0 >= 50);
        // Cut inside the first part: nothing to recover.
        let p = write(dir.path(), "stub.docx", &whole[..40]);
        let r = &read(&p, ctx)[0];
        assert_eq!(r.status, Status::Unreadable, "{:?}", r.reason);
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .contains("corrupt or truncated docx")
        );
    });
}

#[test]
fn an_encrypted_document_is_unreadable_encrypted() {
    with_ctx(|ctx, _| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("合同.docx");
        {
            let mut c = cfb::create(&p).unwrap();
            use std::io::Write;
            c.create_stream("/EncryptionInfo")
                .unwrap()
                .write_all(&[4, 0, 4, 0])
                .unwrap();
            c.create_stream("/EncryptedPackage")
                .unwrap()
                .write_all(&[0u8; 4096])
                .unwrap();
            c.flush().unwrap();
        }
        let r = &read(&p, ctx)[0];
        assert_eq!((r.format.as_str(), r.status), ("docx", Status::Unreadable));
        assert!(
            r.reason.as_deref().unwrap().contains("encrypted"),
            "{:?}",
            r.reason
        );
    });
}

#[test]
fn a_pdf_text_layer_is_read_page_by_page() {
    with_ctx(|ctx, set| {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "roster.pdf", &docgen::pdf(3, 4));
        let r = &read(&p, ctx)[0];
        assert_eq!(
            (r.format.as_str(), r.status),
            ("pdf", Status::Scanned),
            "{:?}",
            r.reason
        );
        assert_eq!(found(&r.acc, set, "cn-mobile"), (12, 12));
        assert_eq!(found(&r.acc, set, "email"), (12, 12));
        // Cut short: an error that says what is wrong, never a panic.
        let bytes = docgen::pdf(3, 4);
        let p = write(dir.path(), "cut.pdf", &bytes[..bytes.len() / 3]);
        let r = &read(&p, ctx)[0];
        assert_eq!(r.format, "pdf");
        assert!(r.status != Status::Skipped, "{:?}", r.reason);
    });
}

#[test]
fn html_xml_and_rtf_are_told_apart_and_read_as_text() {
    with_ctx(|ctx, set| {
        let dir = tempfile::tempdir().unwrap();
        let html = "<!DOCTYPE html><html><head><meta charset=utf-8><script>var t='13700000000'</script></head>\
                    <body><table><tr><td>张伟</td><td>13812345678</td></tr></table><p>a&#64;huaxia-trading.cn</p></body></html>";
        let r = &read(&write(dir.path(), "page.txt", html.as_bytes()), ctx)[0];
        assert_eq!((r.format.as_str(), r.status), ("html", Status::Scanned));
        assert_eq!(found(&r.acc, set, "cn-mobile").0, 1, "scripts are not text");
        assert_eq!(found(&r.acc, set, "email").0, 1, "&#64; is decoded");
        let xml = "<?xml version=\"1.0\"?><staff><p tel=\"13812345678\"><mail>b@huaxia-trading.cn</mail></p></staff>";
        let r = &read(&write(dir.path(), "export.dat", xml.as_bytes()), ctx)[0];
        assert_eq!((r.format.as_str(), r.status), ("xml", Status::Scanned));
        assert_eq!(found(&r.acc, set, "cn-mobile").0, 1);
        assert_eq!(found(&r.acc, set, "email").0, 1);
        // RTF: GBK bytes under a `\fcharset134` font; the field instruction is not text.
        let rtf = b"{\\rtf1\\ansi{\\fonttbl{\\f0\\fcharset134 SimSun;}}\\f0\\'d5\\'c5\\'ce\\'b0 13812345678\\par \
                    {\\field{\\*\\fldinst HYPERLINK mailto:x@huaxia-trading.cn}{\\fldrslt chen@huaxia-trading.cn}}}";
        let r = &read(&write(dir.path(), "memo", rtf), ctx)[0];
        assert_eq!((r.format.as_str(), r.status), ("rtf", Status::Scanned));
        assert_eq!(found(&r.acc, set, "cn-mobile").0, 1);
        assert_eq!(
            samples(&r.acc, set, "email"),
            vec!["c***@huaxia-trading.cn"]
        );
    });
}

#[test]
fn a_legacy_doc_and_an_rtf_are_read_with_their_traps_finding_nothing() {
    with_ctx(|ctx, set| {
        let dir = tempfile::tempdir().unwrap();
        // Body 3 + table 4 + header 1; the MERGEFIELD code names no value.
        let r = &read(&write(dir.path(), "简历.doc", &docgen::doc(3, 4)), ctx)[0];
        assert_eq!(
            (r.format.as_str(), r.status),
            ("doc", Status::Scanned),
            "{:?}",
            r.reason
        );
        assert_eq!(found(&r.acc, set, "email"), (8, 8));
        assert_eq!(found(&r.acc, set, "cn-mobile"), (8, 8));
        // The table is a table: its header row names the fields.
        assert!(
            r.acc.fields.keys().any(|k| k == "table1!邮箱"),
            "{:?}",
            r.acc.fields.keys().collect::<Vec<_>>()
        );
        // Renamed, it is still a Word file.
        let r = &read(&write(dir.path(), "cv.bin", &docgen::doc(1, 1)), ctx)[0];
        assert_eq!((r.format.as_str(), r.status), ("doc", Status::Scanned));
        let r = &read(&write(dir.path(), "名单.rtf", &docgen::rtf(6)), ctx)[0];
        assert_eq!((r.format.as_str(), r.status), ("rtf", Status::Scanned));
        assert_eq!(
            found(&r.acc, set, "email"),
            (6, 6),
            "the field code is no text"
        );
        assert_eq!(found(&r.acc, set, "cn-mobile"), (6, 6));
    });
}

#[test]
fn images_are_listed_and_identity_documents_named() {
    with_ctx(|ctx, _| {
        let dir = tempfile::tempdir().unwrap();
        let jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9";
        std::fs::create_dir(dir.path().join("证件")).unwrap();
        let r = &read(&write(dir.path(), "证件/张伟_正反面.jpg", jpeg), ctx)[0];
        assert_eq!((r.format.as_str(), r.status), ("image", Status::Skipped));
        let why = r.reason.as_deref().unwrap();
        assert!(
            why.contains("identity-document-image") && why.contains("people unknown"),
            "{why}"
        );
        let r = &read(
            &write(dir.path(), "logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            ctx,
        )[0];
        assert_eq!((r.format.as_str(), r.status), ("image", Status::Skipped));
        assert!(!r.reason.as_deref().unwrap().contains("sensitive"));
    });
}

/// A scanned PDF is a picture: its path names an identity document and it counts as one, as
/// `身份证.jpg` would; a scan named for nothing stays a plain unreadable PDF. Neither is read
/// as "no PI".
#[test]
fn scanned_pdfs_named_for_an_identity_document_are_sensitive_images() {
    with_ctx(|ctx, set| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("员工档案")).unwrap();
        let pdf = docgen::scanned_pdf(2);
        let mut all = Vec::new();
        for name in [
            "员工档案/张伟_身份证扫描件.pdf",
            "passport_scan.pdf",
            "scan_0001.pdf",
        ] {
            let r = read(&write(dir.path(), name, &pdf), ctx);
            assert_eq!(r.len(), 1);
            assert_eq!(
                (r[0].format.as_str(), r[0].status),
                ("pdf", Status::Unreadable),
                "{name}"
            );
            assert!(
                r[0].reason
                    .as_deref()
                    .unwrap()
                    .contains("no text layer (scanned image): 2 of 2 page(s)"),
                "{name}: {:?}",
                r[0].reason
            );
            all.extend(r);
        }
        let inv = inventory_of(set, all);
        let image = |end: &str| {
            inv.sources
                .iter()
                .find(|s| s.path.ends_with(end))
                .unwrap()
                .sensitive_image
                .clone()
        };
        assert_eq!(
            image("张伟_身份证扫描件.pdf").as_deref(),
            Some("identity-document-image")
        );
        assert_eq!(
            image("passport_scan.pdf").as_deref(),
            Some("identity-document-image")
        );
        assert_eq!(image("scan_0001.pdf"), None);
        assert_eq!(
            inv.totals
                .sensitive_images_by_category
                .get("identity-document-image"),
            Some(&2)
        );
    });
}

/// One inventory of the results of `files` (the sources and totals a scan would write).
fn inventory_of(set: &DetectorSet, files: Vec<FileResult>) -> pipl_scan::inventory::Inventory {
    let meta = pipl_scan::inventory::ScanMeta {
        started_at: "2026-11-25T00:00:00Z".into(),
        finished_at: "2026-11-25T00:00:01Z".into(),
        roots: vec!["share".into()],
        reference_date: "2026-11-25".into(),
        sensitivity: pipl_scan::detect::Standard::Gbt45574_2025,
        key_id: SketchKey::random().id(),
        lg_k: pipl_scan::sketch::DEFAULT_LG_K,
        walk_errors: Vec::new(),
        classify: pipl_scan::classify::ClassifyConfig::default(),
        link_cap: pipl_scan::link::DEFAULT_CAP,
        links_abandoned: None,
        link_spill: None,
        link_sort_entries: 1 << 20,
    };
    pipl_scan::inventory::build(set, meta, files)
}

#[test]
fn pictures_inside_documents_are_listed_and_named_by_their_context() {
    with_ctx(|ctx, set| {
        let dir = tempfile::tempdir().unwrap();
        let mut all = Vec::new();
        // docx: the document is scanned as before (not partial for its pictures); each
        // picture is a source of its own, sensitive by its caption, alt text or name.
        let r = read(
            &write(dir.path(), "入职材料.docx", &docgen::docx_with_pictures()),
            ctx,
        );
        let paths: Vec<&str> = r.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(r.len(), 6, "{paths:?}");
        assert_eq!(
            (r[0].format.as_str(), r[0].status),
            ("docx", Status::Scanned)
        );
        assert_eq!(found(&r[0].acc, set, "cn-mobile"), (1, 1));
        let pic = |name: &str| {
            r.iter()
                .find(|f| {
                    f.path
                        .ends_with(&format!("入职材料.docx!word/media/{name}"))
                })
                .unwrap_or_else(|| panic!("{name} not listed: {paths:?}"))
        };
        for (name, category) in [
            ("image1.jpeg", Some("identity-document-image")),
            ("image2.png", None),
            ("image3.png", Some("face-image")),
            ("image4.jpeg", Some("fingerprint-image")),
            ("image5.gif", None),
        ] {
            let f = pic(name);
            assert_eq!(
                (f.format.as_str(), f.status),
                ("image", Status::Skipped),
                "{name}"
            );
            assert_eq!(
                f.acc.image_category.as_deref(),
                category,
                "{name}: {:?}",
                f.reason
            );
            assert_eq!(f.acc.records, 0);
        }
        assert!(
            pic("image1.jpeg")
                .reason
                .as_deref()
                .unwrap()
                .contains("the text around it names `身份证`")
        );
        assert!(
            pic("image3.png")
                .reason
                .as_deref()
                .unwrap()
                .contains("its alt text names `人脸`")
        );
        assert!(
            !paths.iter().any(|p| p.ends_with(".emf")),
            "a vector drawing is no picture"
        );
        all.extend(r);
        // pptx: the slide's title names the picture under it.
        let r = read(
            &write(dir.path(), "deck.pptx", &docgen::pptx_with_pictures()),
            ctx,
        );
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[1].path,
            format!(
                "{}!ppt/media/image1.png",
                dir.path().join("deck.pptx").display()
            )
        );
        assert_eq!(
            r[1].acc.image_category.as_deref(),
            Some("identity-document-image")
        );
        assert_eq!(r[2].acc.image_category, None, "{:?}", r[2].reason);
        all.extend(r);
        // odt: the frame's description.
        let r = read(
            &write(dir.path(), "考勤.odt", &docgen::odt_with_pictures()),
            ctx,
        );
        assert_eq!(r.len(), 3);
        assert_eq!(
            (r[0].format.as_str(), r[0].status),
            ("odt", Status::Scanned)
        );
        assert_eq!(
            r[1].acc.image_category.as_deref(),
            Some("fingerprint-image")
        );
        assert_eq!(r[2].acc.image_category, None);
        all.extend(r);
        // xlsx: the picture's inserted name, beside the sheet's cells.
        let r = read(
            &write(dir.path(), "名单.xlsx", &docgen::xlsx_with_picture()),
            ctx,
        );
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(
            (r[0].format.as_str(), r[0].status),
            ("xlsx", Status::Scanned)
        );
        assert_eq!(found(&r[0].acc, set, "cn-mobile"), (1, 1));
        assert!(r[1].path.ends_with("名单.xlsx!xl/media/image1.png"));
        assert_eq!(
            r[1].acc.image_category.as_deref(),
            Some("identity-document-image")
        );
        all.extend(r);
        // An e-mail whose body says what its attachment is; a second, whose body says nothing.
        let mail = |subject: &str, body: &str| {
            format!(
                "From: a@example.com\r\nTo: hr@example.com\r\nSubject: {subject}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"IMG_0001.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRgABAQAAAQABAAD/2Q==\r\n--b--\r\n"
            )
        };
        let r = read(
            &write(
                dir.path(),
                "a.eml",
                mail("入职", "您好，附件是我的身份证正反面，请查收。").as_bytes(),
            ),
            ctx,
        );
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[1].format, "image");
        assert_eq!(
            r[1].acc.image_category.as_deref(),
            Some("identity-document-image")
        );
        assert!(
            r[1].reason
                .as_deref()
                .unwrap()
                .contains("the message it is attached to")
        );
        all.extend(r);
        let r = read(
            &write(
                dir.path(),
                "b.eml",
                mail("团建", "附件是活动照片。我的身份证号码已发给前台。").as_bytes(),
            ),
            ctx,
        );
        assert_eq!(r[1].acc.image_category, None, "{:?}", r[1].reason);
        all.extend(r);
        // The inventory counts them like image files: per source, in the totals, in no
        // figure of people; no document became partial for its pictures.
        let inv = inventory_of(set, all);
        let cats = &inv.totals.sensitive_images_by_category;
        assert_eq!(cats.get("identity-document-image"), Some(&4), "{cats:?}");
        assert_eq!(cats.get("face-image"), Some(&1));
        assert_eq!(cats.get("fingerprint-image"), Some(&2));
        assert_eq!(inv.totals.sensitive_images(), 7);
        assert!(inv.sources.iter().all(|s| s.status != Status::Partial));
        let s = inv
            .sources
            .iter()
            .find(|s| s.path.ends_with("word/media/image3.png"))
            .unwrap();
        assert_eq!(s.sensitive_image.as_deref(), Some("face-image"));
    });
}

#[test]
fn pictures_are_listed_without_being_inflated() {
    with_ctx(|ctx, _| {
        // A picture whose deflated data is garbage: listing it must not read it.
        let mut bytes = docgen::docx_with_pictures();
        let at = memchr::memmem::find(&bytes, b"GIF89a").expect("stored picture");
        bytes[at..at + 6].copy_from_slice(b"XXXXXX");
        let dir = tempfile::tempdir().unwrap();
        let r = read(&write(dir.path(), "x.docx", &bytes), ctx);
        assert_eq!(r.len(), 6);
        assert_eq!(r[0].status, Status::Scanned, "{:?}", r[0].reason);
    });
}

// ---- the shared corpus of third-party documents ---------------------------------------------

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/documents");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

/// The corpus's Office files with pictures: every photo-like picture listed (`wmf` is a drawing),
/// none named sensitive (logos, screenshots, a chart), the document read as before.
#[test]
fn corpus_pictures_are_listed_none_sensitive() {
    let Some(dir) = corpus() else { return };
    with_ctx(|ctx, _| {
        for (file, pictures) in [
            ("docx/poi_stress009.docx", 2),
            ("docx/pydocx_comments-rich-para.docx", 1),
            ("odt/odftk_HeaderFooter.odt", 1),
            ("pptx/poi_45545_Comment.pptx", 1),
            ("pptx/poi_ececapstonespring2012.pptx", 5),
        ] {
            let r = read(&dir.join(file), ctx);
            let images: Vec<&FileResult> = r.iter().filter(|f| f.format == "image").collect();
            assert_eq!(images.len(), pictures, "{file}: {r:?}");
            assert_ne!(r[0].format, "image");
            // Its pictures never make the document partial.
            assert!(
                !r[0].reason.as_deref().unwrap_or("").contains("media/"),
                "{file}: {:?}",
                r[0].reason
            );
            for i in images {
                assert_eq!(i.status, Status::Skipped);
                assert!(i.path.contains(&format!("{file}!")), "{}", i.path);
                assert_eq!(i.acc.image_category, None, "{}: {:?}", i.path, i.reason);
            }
        }
    });
}

#[test]
fn corpus_office_documents_match_the_ground_truth() {
    let Some(dir) = corpus() else { return };
    with_ctx(|ctx, set| {
        let one = |rel: &str| {
            let r = read(&dir.join(rel), ctx);
            assert!(!r.is_empty());
            r.into_iter().next().unwrap()
        };
        // Chinese product sheet: the address is in the body.
        let r = one("docx/poi_stress009.docx");
        assert_eq!(r.status, Status::Scanned);
        assert_eq!(samples(&r.acc, set, "email"), vec!["s***@zeeis.cn"]);
        // An address hidden in a custom document property.
        let r = one("pptx/poi_45545_Comment.pptx");
        assert_eq!(samples(&r.acc, set, "email"), vec!["m***@iadb.org"]);
        // Placeholders, not values.
        for f in ["docx/poi_52449.docx", "docx/poi_60316.docx"] {
            let r = one(f);
            assert_eq!(r.status, Status::Scanned, "{f}");
            assert_eq!(found(&r.acc, set, "email"), (0, 0), "{f}");
            assert_eq!(found(&r.acc, set, "cn-mobile"), (0, 0), "{f}");
        }
        // Encrypted: said so, never "no PI".
        for f in [
            "docx/poi_bug53475-password-is-pass.docx",
            "odt/odftk_PasswordProtected.odt",
        ] {
            let r = one(f);
            assert_eq!(r.status, Status::Unreadable, "{f}");
            assert!(
                r.reason.as_deref().unwrap().contains("encrypted"),
                "{f}: {:?}",
                r.reason
            );
        }
        // No central directory: recovered from the local headers.
        let r = one("docx/poi_truncated62886.docx");
        assert_eq!(r.status, Status::Partial);
        assert!(r.acc.records > 10, "{}", r.acc.records);
        // Every OOXML/ODF file is read as a document, and the CJK font names of the themes
        // never turn into findings.
        for sub in ["docx", "pptx", "odt", "odp"] {
            for e in std::fs::read_dir(dir.join(sub)).unwrap() {
                let p = e.unwrap().path();
                let r = &read(&p, ctx)[0];
                assert_ne!(r.status, Status::Skipped, "{}", p.display());
                assert_eq!(r.format, sub, "{}", p.display());
                assert_eq!(found(&r.acc, set, "cn-name").0, 0, "{}", p.display());
            }
        }
    });
}

#[test]
fn corpus_mail_matches_the_ground_truth() {
    let Some(dir) = corpus() else { return };
    with_ctx(|ctx, set| {
        let all = |rel: &str| read(&dir.join(rel), ctx);
        // GB2312 quoted-printable body: the mobile number, the sender and the recipient.
        let r = &all("eml/sa_cjk_gb2312.1.eml")[0];
        assert_eq!((r.format.as_str(), r.status), ("eml", Status::Scanned));
        assert_eq!(samples(&r.acc, set, "cn-mobile"), vec!["139****1753"]);
        assert_eq!(found(&r.acc, set, "email").1, 2);
        // RFC 2047 GB2312 sender name, list addresses.
        let r = &all("eml/sa_cjk_gb2312.2.eml")[0];
        assert!(found(&r.acc, set, "email").1 >= 8);
        // Big5 base64 HTML body.
        let r = &all("eml/sa_cjk_big5-base64.1.eml")[0];
        assert!(found(&r.acc, set, "email").1 >= 4);
        // Attachments are files of their own; a forwarded message is a message.
        let r = all("eml/mail_attachment_message_rfc822.eml");
        assert!(
            r.iter()
                .any(|x| x.path.ends_with("!ForwardedMessage.eml") && x.format == "eml"),
            "{:?}",
            r.iter().map(|x| &x.path).collect::<Vec<_>>()
        );
        let r = all("eml/mail_attachment_pdf.eml");
        assert!(r.iter().any(|x| x.path.ends_with("!broken.pdf")));
        // Mailboxes: every message.
        let r = &all("mbox/sa_nice.mbox")[0];
        assert_eq!((r.format.as_str(), r.status), ("mbox", Status::Scanned));
        assert!(found(&r.acc, set, "email").1 >= 10);
        let r = &all("mbox/mimekit_unmunged.mbox")[0];
        assert_eq!(samples(&r.acc, set, "email"), vec!["j***@xamarin.com"]);
    });
}

#[test]
fn corpus_pdf_and_msg_match_the_ground_truth() {
    let Some(dir) = corpus() else { return };
    use pipl_scan::read::document::pdf::read_pdf;
    // Chinese text through CID fonts: a predefined GBK CMap without ToUnicode, Identity-H with
    // ToUnicode, and a non-BMP character in a Traditional name.
    for (f, want) in [
        ("pdfjs_issue2128r.pdf", "李新录"),
        ("pdfjs_issue3521.pdf", "我们都是黑体字"),
        ("pdfjs_issue12823.pdf", "描述团队的共同目标"),
        ("pdfjs_issue19182.pdf", "胡駿"),
    ] {
        let bytes = std::fs::read(dir.join("pdf").join(f)).unwrap();
        let ex = read_pdf(&bytes).unwrap_or_else(|e| panic!("{f}: {}", e.message));
        assert!(ex.text.contains(want), "{f}: {}", ex.text);
    }
    with_ctx(|ctx, set| {
        let one = |rel: &str| read(&dir.join(rel), ctx).into_iter().next().unwrap();
        for f in [
            "pdf/pdfjs_issue3371.pdf",
            "pdf/pdfminer_encryption_aes-256.pdf",
        ] {
            let r = one(f);
            assert_eq!(r.status, Status::Unreadable, "{f}");
            assert!(
                r.reason.as_deref().unwrap().contains("encrypted"),
                "{f}: {:?}",
                r.reason
            );
        }
        // Encrypted with the empty user password: read.
        let r = one("pdf/pdfjs_issue7665.pdf");
        assert_eq!(r.status, Status::Scanned, "{:?}", r.reason);
        for f in ["pdf/pdfjs_issue7200.pdf", "pdf/pdfminer_pdf-with-jbig2.pdf"] {
            let r = one(f);
            assert_eq!(r.status, Status::Unreadable, "{f}");
            assert!(
                r.reason
                    .as_deref()
                    .unwrap()
                    .contains("no text layer (scanned image)"),
                "{f}"
            );
        }
        // Outlook messages: Unicode and Big5 properties, recipients, attachments.
        let r = one("msg/poi_outlook_30_msg.msg");
        assert_eq!((r.format.as_str(), r.status), ("msg", Status::Scanned));
        assert_eq!(found(&r.acc, set, "email").1, 18);
        let r = one("msg/poi_chinese-traditional.msg");
        assert_eq!(r.encoding.as_deref(), Some("big5"));
        assert_eq!(samples(&r.acc, set, "email"), vec!["t***@fengttt.com"]);
        let r = read(&dir.join("msg/poi_attachment_test_msg.msg"), ctx);
        assert!(r.iter().any(|x| x.path.ends_with("!pj1.txt")), "{r:?}");
        let r = one("msg/poi_msgClassContact.msg");
        assert_eq!(found(&r.acc, set, "email").1, 2);
    });
}

/// Han characters (U+3400–9FFF, U+F900–FAFF), as the corpus README counts them.
fn han(s: &str) -> usize {
    s.chars()
        .filter(|&c| {
            ('\u{3400}'..='\u{9FFF}').contains(&c) || ('\u{F900}'..='\u{FAFF}').contains(&c)
        })
        .count()
}

#[test]
fn corpus_legacy_office_and_rtf_match_the_ground_truth() {
    let Some(dir) = corpus() else { return };
    use pipl_scan::read::document::{legacy, rtf};
    let text = |rel: &str| {
        let bytes = std::fs::read(dir.join(rel)).unwrap();
        let ex = match rel.rsplit('.').next() {
            Some("doc") => legacy::read_doc(&bytes),
            Some("ppt") => legacy::read_ppt(&bytes),
            _ => rtf::read_rtf(&bytes),
        };
        let ex = ex.unwrap_or_else(|e| panic!("{rel}: {}", e.message));
        // Table rows as tab-separated lines after the text.
        let mut t = ex.text;
        for row in ex.tables.iter().flat_map(|t| &t.rows) {
            t.push_str(&row.join("\t"));
            t.push('\n');
        }
        t
    };
    // Chinese text: body, table, header and footer of a Word 97 file; Traditional Chinese in
    // the body and the properties; template names of a deck; GBK and Shift-JIS RTF escapes.
    let t = text("doc/poi_61490.doc");
    assert_eq!(han(&t), 163, "{t}");
    for want in [
        "居中的大标题",
        "下面是表格3x3",
        "页眉左\t页眉中\t页眉右",
        "页脚内容",
    ] {
        assert!(t.contains(want), "{want}: {t}");
    }
    let t = text("doc/poi_TestChineseProperties.doc");
    for want in ["title: 參考資料", "author: 雅虎", "巴西", "英國、愛爾蘭"] {
        assert!(t.contains(want), "{want}: {t}");
    }
    let t = text("ppt/poi_bug46441.ppt");
    for want in [
        "默认设计模板",
        "自定义设计方案",
        "title: 幻灯片 1",
        "author: Han Jie",
    ] {
        assert!(t.contains(want), "{want}: {t}");
    }
    assert!(
        !t.contains("单击此处编辑母版"),
        "master prompts are not read: {t}"
    );
    let t = text("rtf/rtfpk_testUnicode.rtf");
    for want in [
        "中国",
        "Johann Strauß",
        "René Magritte",
        "Česká republika",
        "Արամ",
    ] {
        assert!(t.contains(want), "{want}: {t}");
    }
    assert!(text("rtf/rtfpk_testMultiByteHex.rtf").contains("お元気ですか？"));
    let t = text("rtf/rtfpk_testTextConversion.rtf");
    assert!(
        t.contains("author: Jon Iles") && t.contains("Aaa\tBbb\tCcc"),
        "{t}"
    );
    // Footnote, endnote and comment; headers and footers; a slide comment.
    let t = text("doc/poi_footnote.doc");
    for want in ["TestFootnote", "TestEndnote", "TestComment"] {
        assert!(t.contains(want), "{want}: {t}");
    }
    assert!(text("doc/poi_HeaderFooterUnicode.doc").contains("a simple header, with a € euro"));
    let t = text("ppt/poi_WithComments.ppt");
    assert!(t.contains("This is a test comment"), "{t}");
    let t = text("ppt/poi_headers_footers.ppt");
    assert!(
        t.contains("Global Slide Footer") && t.contains("Notes Footer"),
        "{t}"
    );
    with_ctx(|ctx, set| {
        let one = |rel: &str| read(&dir.join(rel), ctx).into_iter().next().unwrap();
        // A Word 97 letter: the e-mail address and phone of its sender.
        let r = one("doc/poi_Bug33519.doc");
        assert_eq!((r.format.as_str(), r.status), ("doc", Status::Scanned));
        assert_eq!(samples(&r.acc, set, "email"), vec!["b***@abv.bg"]);
        // A template's placeholder is no address.
        let r = one("doc/poi_Bug51834.doc");
        assert_eq!(r.status, Status::Scanned);
        assert_eq!(found(&r.acc, set, "email"), (0, 0));
        // Word 6.0/95 and Word 2.0: the text run is read, the file says how.
        let r = one("doc/poi_57843.doc");
        assert_eq!(r.status, Status::Partial);
        assert!(r.reason.as_deref().unwrap().contains("Word 6.0/95 format"));
        assert_eq!(samples(&r.acc, set, "email"), vec!["h***@bellsouth.net"]);
        for f in ["doc/poi_Word6.doc", "doc/poi_Word95.doc"] {
            let r = one(f);
            assert_eq!(r.status, Status::Partial, "{f}");
            assert!(r.reason.as_deref().unwrap().contains("Word 6.0/95"), "{f}");
            assert!(r.acc.records >= 2, "{f}: {}", r.acc.records);
        }
        let r = one("doc/poi_word2.doc");
        assert_eq!((r.format.as_str(), r.status), ("doc", Status::Partial));
        assert!(r.reason.as_deref().unwrap().contains("Word 2.0 format"));
        // One address in each of the 47 participant rows of its text (its README counts 45).
        assert_eq!(found(&r.acc, set, "email"), (47, 47));
        // Encrypted: said so, never "no PI". The Word file's properties are not encrypted.
        let r = one("doc/poi_password_tika_binaryrc4.doc");
        assert_eq!(r.status, Status::Partial);
        assert!(
            r.reason
                .as_deref()
                .unwrap()
                .starts_with("encrypted: password-protected Word")
        );
        let r = one("ppt/poi_Password_Protected-hello.ppt");
        assert_eq!((r.format.as_str(), r.status), ("ppt", Status::Unreadable));
        assert!(r.reason.as_deref().unwrap().starts_with("encrypted:"));
        for sub in ["doc", "ppt", "rtf"] {
            for e in std::fs::read_dir(dir.join(sub)).unwrap() {
                let p = e.unwrap().path();
                let r = &read(&p, ctx)[0];
                assert_eq!(r.format, sub, "{}", p.display());
                assert_ne!(r.status, Status::Skipped, "{}", p.display());
            }
        }
    });
}

/// Cut and corrupted copies of the corpus's .doc, .ppt and .rtf files: each read gives a result
/// or a reason, never a panic (the readers also run under the `document` fuzz target).
#[test]
fn corpus_legacy_files_damaged_never_panic() {
    let Some(dir) = corpus() else { return };
    use pipl_scan::read::document::{DocKind, read as read_doc};
    with_ctx(|ctx, _| {
        for (sub, kind) in [
            ("doc", DocKind::LegacyDoc),
            ("ppt", DocKind::LegacyPpt),
            ("rtf", DocKind::Rtf),
        ] {
            for e in std::fs::read_dir(dir.join(sub)).unwrap() {
                let p = e.unwrap().path();
                let good = std::fs::read(&p).unwrap();
                let step = (good.len() / 40).max(1);
                for at in (0..good.len()).step_by(step) {
                    let mut bad = good.clone();
                    bad[at..(at + 64).min(good.len())].fill(0xFF);
                    for bytes in [&good[..at], &bad[..]] {
                        let out = read_doc(&p, bytes, kind, ctx);
                        if out.status != Status::Scanned {
                            assert!(out.problem.is_some(), "{}: no reason", p.display());
                        }
                    }
                }
            }
        }
    });
}

#[test]
fn scan_ocr_says_what_to_install_when_tesseract_is_missing() {
    let has_chi_sim = std::process::Command::new("tesseract")
        .arg("--list-langs")
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == "chi_sim")
        });
    if has_chi_sim {
        eprintln!("skipped: Tesseract with chi_sim is installed here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pipl-scan"))
        .args(["scan", "--ocr", "-q", "-o"])
        .arg(dir.path().join("out"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tesseract-ocr tesseract-ocr-chi-sim"), "{err}");
}
