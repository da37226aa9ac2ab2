//! Documents (docx, pptx, odt, odp, pdf, eml, mbox, msg, html, xml, rtf, doc, ppt) through
//! `document::read`, with the kind the sniffer would give.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pipl_scan::read::document::{self, DocKind};

fuzz_target!(|data: &[u8]| {
    let kinds = [
        ("a.docx", DocKind::Docx),
        ("a.pptx", DocKind::Pptx),
        ("a.odt", DocKind::Odt),
        ("a.odp", DocKind::Odp),
        ("a.pdf", DocKind::Pdf),
        ("a.eml", DocKind::Eml),
        ("a.mbox", DocKind::Mbox),
        ("a.msg", DocKind::Msg),
        ("a.html", DocKind::Html),
        ("a.xml", DocKind::Xml),
        ("a.rtf", DocKind::Rtf),
        ("a.doc", DocKind::LegacyDoc),
        ("a.ppt", DocKind::LegacyPpt),
    ];
    let Some(((name, kind), body)) = pipl_scan_fuzz::pick(data, &kinds) else {
        return;
    };
    let out = document::read(Path::new(name), body, kind, &pipl_scan_fuzz::ctx());
    if out.status != pipl_scan::inventory::Status::Scanned {
        assert!(
            out.problem.is_some(),
            "{name}: {:?} without a reason",
            out.status
        );
    }
});
