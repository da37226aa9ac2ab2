//! Generated documents with known personal data, for tests/documents.rs and
//! benches/documents.rs: docx, pptx, odt, eml and mbox written here from scratch (no
//! third-party file is copied), each holding a known set of people.
//!
//! Every person has a unique mobile number and e-mail address; where they are placed is the
//! point of each generator (body, table, text box, header, comment, properties, attachment).
//! Traps that must find nothing sit beside them: a theme part listing 宋体 fonts, a field code
//! naming `MERGEFIELD Email`.

#![allow(dead_code)]

use std::io::{Cursor, Write};

/// One synthetic person.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub phone: String,
    pub email: String,
}

const SURNAMES: [&str; 8] = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄"];
const GIVEN: [&str; 8] = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇"];

/// `n` people starting at number `from`: 139 + 8 digits, and an address at a made-up domain.
pub fn people(from: usize, n: usize) -> Vec<Person> {
    (from..from + n)
        .map(|i| Person {
            name: format!("{}{}", SURNAMES[i % 8], GIVEN[(i / 8) % 8]),
            phone: format!("139{:08}", 10_000_000 + i * 7919 % 89_999_999),
            email: format!("staff{i}@huaxia-trading.cn"),
        })
        .collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn zip(parts: &[(&str, String)]) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in parts {
            w.start_file(*name, o).unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

fn w_p(text: &str) -> String {
    format!(
        "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
        esc(text)
    )
}

const THEME: &str = r#"<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office"><a:themeElements><a:fontScheme name="Office"><a:majorFont><a:latin typeface="Calibri"/><a:font script="Hans" typeface="宋体"/><a:font script="Hant" typeface="新細明體"/></a:majorFont></a:fontScheme></a:themeElements></a:theme>"#;

const W_NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006""#;

/// A résumé-like docx: `body` people in paragraphs, `table` people in a 姓名/手机/邮箱 table,
/// one in a text box, one in the header, one in a comment, one in a custom property.
/// The people are `people(0, body + table + 4)`.
pub fn docx(body: usize, table: usize) -> Vec<u8> {
    let ps = people(0, body + table + 4);
    let mut doc = format!("<w:document {W_NS}><w:body>");
    doc += &w_p("个人简历 — 联系方式如下");
    for p in &ps[..body] {
        doc += &w_p(&format!(
            "联系人：{}，手机 {}，邮箱 {}",
            p.name, p.phone, p.email
        ));
    }
    // A mail-merge placeholder: the field code names Email, the value is a placeholder.
    doc += "<w:p><w:r><w:instrText> MERGEFIELD Email </w:instrText></w:r><w:r><w:t>«Email»</w:t></w:r></w:p>";
    doc += "<w:tbl>";
    doc += "<w:tr><w:tc>";
    doc += &w_p("姓名");
    doc += "</w:tc><w:tc>";
    doc += &w_p("手机");
    doc += "</w:tc><w:tc>";
    doc += &w_p("邮箱");
    doc += "</w:tc></w:tr>";
    for p in &ps[body..body + table] {
        doc += "<w:tr>";
        for v in [&p.name, &p.phone, &p.email] {
            doc += "<w:tc>";
            doc += &w_p(v);
            doc += "</w:tc>";
        }
        doc += "</w:tr>";
    }
    doc += "</w:tbl>";
    let tb = &ps[body + table];
    let boxed = w_p(&format!("{} {}", tb.name, tb.phone));
    doc += &format!(
        "<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><w:txbxContent>{boxed}</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent>{boxed}</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
    );
    doc += "</w:body></w:document>";
    let h = &ps[body + table + 1];
    let header = format!(
        "<w:hdr {W_NS}>{}</w:hdr>",
        w_p(&format!("HR 联系 {}", h.email))
    );
    let c = &ps[body + table + 2];
    let comments = format!(
        "<w:comments {W_NS}><w:comment w:id=\"0\" w:author=\"{}\">{}</w:comment></w:comments>",
        c.name,
        w_p(&format!("请回电 {}", c.phone))
    );
    let cp = &ps[body + table + 3];
    let custom = format!(
        r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="MailAddress"><vt:lpwstr>{}</vt:lpwstr></property></Properties>"#,
        cp.email
    );
    zip(&[
        ("[Content_Types].xml", "<Types/>".to_string()),
        ("word/document.xml", doc),
        ("word/header1.xml", header),
        ("word/comments.xml", comments),
        ("word/theme/theme1.xml", THEME.to_string()),
        ("docProps/custom.xml", custom),
        (
            "docProps/core.xml",
            "<cp:coreProperties xmlns:cp=\"cp\" xmlns:dc=\"dc\"><dc:creator>人事部</dc:creator></cp:coreProperties>".to_string(),
        ),
    ])
}

/// A pptx of `slides` slides, one person on each (name and phone in a text box, e-mail in the
/// speaker notes), and a layout with a template prompt that is not content.
pub fn pptx(slides: usize) -> Vec<u8> {
    let ps = people(100, slides);
    let a = r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main""#;
    let sp = |t: &str| {
        format!(
            "<p:sp><p:txBody><a:p><a:r><a:t>{}</a:t></a:r></a:p></p:txBody></p:sp>",
            esc(t)
        )
    };
    let mut parts = vec![
        ("[Content_Types].xml".to_string(), "<Types/>".to_string()),
        (
            "ppt/presentation.xml".to_string(),
            format!("<p:presentation {a}/>"),
        ),
        (
            "ppt/slideLayouts/slideLayout1.xml".to_string(),
            format!(
                "<p:sldLayout {a}><p:cSld>{}</p:cSld></p:sldLayout>",
                sp("单击此处编辑母版标题样式 13812345678")
            ),
        ),
        ("ppt/theme/theme1.xml".to_string(), THEME.to_string()),
    ];
    for (i, p) in ps.iter().enumerate() {
        parts.push((
            format!("ppt/slides/slide{}.xml", i + 1),
            format!(
                "<p:sld {a}><p:cSld><p:spTree>{}</p:spTree></p:cSld></p:sld>",
                sp(&format!("客户 {} 电话 {}", p.name, p.phone))
            ),
        ));
        parts.push((
            format!("ppt/notesSlides/notesSlide{}.xml", i + 1),
            format!(
                "<p:notes {a}><p:cSld><p:spTree>{}</p:spTree></p:cSld></p:notes>",
                sp(&format!("邮件 {}", p.email))
            ),
        ));
    }
    let refs: Vec<(&str, String)> = parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    zip(&refs)
}

/// An odt: `n` people in paragraphs (the phone after a `<text:s/>` space), one in the footer
/// (styles.xml), and meta.xml with the author.
pub fn odt(n: usize) -> Vec<u8> {
    let ps = people(200, n + 1);
    let ns = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0""#;
    let mut content = format!("<office:document-content {ns}><office:body><office:text>");
    for p in &ps[..n] {
        content += &format!(
            "<text:p>{}<text:s/>{}<text:line-break/>{}</text:p>",
            p.name, p.phone, p.email
        );
    }
    content += "</office:text></office:body></office:document-content>";
    let f = &ps[n];
    let styles = format!(
        "<office:document-styles {ns}><office:master-styles><style:master-page><style:footer><text:p>{} {}</text:p></style:footer></style:master-page></office:master-styles></office:document-styles>",
        f.name, f.phone
    );
    zip(&[
        (
            "mimetype",
            "application/vnd.oasis.opendocument.text".to_string(),
        ),
        ("content.xml", content),
        ("styles.xml", styles),
        (
            "meta.xml",
            format!(
                "<office:document-meta {ns}><office:meta><meta:initial-creator xmlns:meta=\"m\">人事部</meta:initial-creator></office:meta></office:document-meta>"
            ),
        ),
    ])
}

/// An e-mail in GBK: the sender's name RFC 2047-encoded, a quoted-printable GBK body naming
/// `n` people, an HTML alternative, and `attach` (name, bytes) as a base64 attachment.
/// The sender and the To address are people 300 and 301; the body's are `people(302, n)`.
pub fn eml(n: usize, attach: Option<(&str, &[u8])>) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let ps = people(300, n + 2);
    let (from, to) = (&ps[0], &ps[1]);
    let (name_gbk, _, _) = encoding_rs::GBK.encode(&from.name);
    let encoded_name = format!("=?GBK?B?{}?=", b64.encode(&name_gbk));
    let mut body = String::from("各位好：\n以下是新员工名单。\n");
    for p in &ps[2..] {
        body += &format!("{}，手机：{}，邮箱：{}\n", p.name, p.phone, p.email);
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&body);
    let qp = quoted_printable(&gbk);
    let html = format!(
        "<html><body><p>名单见附件 &amp; 正文</p><p>联系 {}</p></body></html>",
        ps[2].email
    );
    let mut out = format!(
        "Return-Path: <{}>\r\nFrom: {encoded_name} <{}>\r\nTo: {}\r\nSubject: =?GBK?B?{}?=\r\nDate: Mon, 7 Dec 2026 10:00:00 +0800\r\nMessage-ID: <20261207.abc@mail.huaxia-trading.cn>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"MIX\"\r\n\r\n--MIX\r\nContent-Type: multipart/alternative; boundary=\"ALT\"\r\n\r\n--ALT\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{qp}\r\n--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--ALT--\r\n",
        from.email,
        from.email,
        to.email,
        b64.encode(encoding_rs::GBK.encode("新员工名单").0),
    );
    if let Some((name, bytes)) = attach {
        let data = b64.encode(bytes);
        let mut wrapped = String::new();
        for chunk in data.as_bytes().chunks(76) {
            wrapped += std::str::from_utf8(chunk).unwrap();
            wrapped += "\r\n";
        }
        out += &format!(
            "--MIX\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n{wrapped}"
        );
    }
    out += "--MIX--\r\n";
    out.into_bytes()
}

fn quoted_printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut col = 0;
    for &b in bytes {
        let piece = if b == b'\n' {
            out += "\r\n";
            col = 0;
            continue;
        } else if (33..=126).contains(&b) && b != b'=' {
            (b as char).to_string()
        } else {
            format!("={b:02X}")
        };
        if col + piece.len() > 73 {
            out += "=\r\n";
            col = 0;
        }
        col += piece.len();
        out += &piece;
    }
    out
}

/// A mailbox of `messages` plain messages, each from one person (`people(400, messages)`).
pub fn mbox(messages: usize) -> Vec<u8> {
    let mut out = String::new();
    for p in people(400, messages) {
        out += &format!(
            "From {} Mon Dec  7 10:00:00 2026\nFrom: {} <{}>\nTo: hr@huaxia-trading.cn\nSubject: 入职\nDate: Mon, 7 Dec 2026 10:00:00 +0800\n\n我的手机是{}。\n>From now on I am in.\n\n",
            p.email, p.name, p.email, p.phone
        );
    }
    out.into_bytes()
}

/// A PDF of `pages` pages with Helvetica text, `per_page` people on each
/// (`people(500, pages * per_page)`), written object by object with its xref table.
pub fn pdf(pages: usize, per_page: usize) -> Vec<u8> {
    let ps = people(500, pages * per_page);
    let mut objects: Vec<String> = Vec::new();
    // 1 catalog, 2 pages, 3 font; then page / content pairs.
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {pages} >>",
        kids.join(" ")
    ));
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into());
    for p in 0..pages {
        let mut content = String::from("BT /F1 10 Tf 50 800 Td 14 TL\n");
        for person in &ps[p * per_page..(p + 1) * per_page] {
            content += &format!(
                "(Employee contact: mobile {} email {}) Tj T*\n",
                person.phone, person.email
            );
        }
        content += "ET";
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * p
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len() + 1
        ));
    }
    pdf_file(&objects)
}

/// A PDF file of `objects` (numbered from 1, the first the catalog), with its cross-reference
/// table and trailer.
fn pdf_file(objects: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A PDF of `pages` scanned pages: each draws a 1×1 grey image XObject across the page and
/// holds no text, as a scanner's output does.
pub fn scanned_pdf(pages: usize) -> Vec<u8> {
    let mut objects: Vec<String> = Vec::new();
    // 1 catalog, 2 pages, 3 the image; then page / content pairs.
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {pages} >>",
        kids.join(" ")
    ));
    objects.push(
        "<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray \
         /BitsPerComponent 8 /Length 1 >>\nstream\n\x7f\nendstream"
            .into(),
    );
    for p in 0..pages {
        let content = "q 595 0 0 842 0 0 cm /Im0 Do Q";
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * p
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ));
    }
    pdf_file(&objects)
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A Word 97 `.doc` (OLE2): `body` people in paragraphs, `table` people in a 姓名/手机/邮箱
/// table, one more in the header (the header subdocument of the text), and a
/// `MERGEFIELD Email` field code that must find nothing. A minimal file as [MS-DOC] text
/// extraction reads it: a FIB, a one-piece table (UTF-16) in `1Table`, a SummaryInformation
/// author. The people are `people(0, body + table + 1)`.
pub fn doc(body: usize, table: usize) -> Vec<u8> {
    let ps = people(0, body + table + 1);
    let mut main = String::new();
    for p in &ps[..body] {
        main.push_str(&format!(
            "姓名：{} 手机：{} 邮箱：{}\r",
            p.name, p.phone, p.email
        ));
    }
    main.push_str("姓名\u{7}手机\u{7}邮箱\u{7}\u{7}");
    for p in &ps[body..body + table] {
        main.push_str(&format!(
            "{}\u{7}{}\u{7}{}\u{7}\u{7}",
            p.name, p.phone, p.email
        ));
    }
    main.push_str("\u{13} MERGEFIELD Email \u{14}«Email»\u{15}\r");
    let last = &ps[body + table];
    let header = format!("联系人 {} {} {}\r\r", last.name, last.phone, last.email);
    let (ccp_text, ccp_hdd) = (
        main.encode_utf16().count() as u32,
        header.encode_utf16().count() as u32,
    );
    let text = utf16le(&(main + &header + "\r"));
    let total = ccp_text + ccp_hdd + 1;
    // FIB: FibBase (32 bytes), csw 14 shorts, cslw 22 longs (ccpText is the 4th, ccpHdd the
    // 6th), cbRgFcLcb 93 pairs (fcClx/lcbClx the 34th).
    let mut fib = vec![0u8; 32];
    fib[0..2].copy_from_slice(&0xA5ECu16.to_le_bytes());
    fib[2..4].copy_from_slice(&0x00C1u16.to_le_bytes());
    fib[0x0A..0x0C].copy_from_slice(&0x0200u16.to_le_bytes()); // fWhichTblStm: 1Table
    fib.extend(14u16.to_le_bytes());
    fib.extend([0u8; 28]);
    fib.extend(22u16.to_le_bytes());
    let mut longs = [0u32; 22];
    longs[3] = ccp_text;
    longs[5] = ccp_hdd;
    fib.extend(longs.iter().flat_map(|v| v.to_le_bytes()));
    fib.extend(93u16.to_le_bytes());
    let text_at = 4096u32;
    let mut clx = vec![2u8];
    let mut plc = Vec::new();
    plc.extend(0u32.to_le_bytes());
    plc.extend(total.to_le_bytes());
    plc.extend([0u8; 2]);
    plc.extend(text_at.to_le_bytes());
    plc.extend([0u8; 2]);
    clx.extend((plc.len() as u32).to_le_bytes());
    clx.extend(&plc);
    let mut pairs = [0u32; 186];
    pairs[67] = clx.len() as u32;
    fib.extend(pairs.iter().flat_map(|v| v.to_le_bytes()));
    fib.resize(text_at as usize, 0);
    fib.extend(&text);
    // SummaryInformation: one section, a code page (UTF-16) and the author.
    let author = utf16le("人事部\0");
    let mut section = Vec::new();
    let props_at = 8 + 16;
    section.extend(((props_at + 8 + 8 + author.len()) as u32).to_le_bytes());
    section.extend(2u32.to_le_bytes());
    section.extend(1u32.to_le_bytes());
    section.extend((props_at as u32).to_le_bytes());
    section.extend(4u32.to_le_bytes());
    section.extend(((props_at + 8) as u32).to_le_bytes());
    section.extend([2, 0, 0, 0, 0xB0, 0x04, 0, 0]); // VT_I2 1200
    section.extend([0x1F, 0, 0, 0]);
    section.extend(((author.len() / 2) as u32).to_le_bytes());
    section.extend(&author);
    let mut summary = vec![0u8; 48];
    summary[0..2].copy_from_slice(&0xFFFEu16.to_le_bytes());
    summary[24..28].copy_from_slice(&1u32.to_le_bytes());
    summary[44..48].copy_from_slice(&48u32.to_le_bytes());
    summary.extend(section);
    let mut buf = Cursor::new(Vec::new());
    {
        let mut cf = cfb::CompoundFile::create(&mut buf).unwrap();
        for (name, data) in [
            ("/WordDocument", &fib),
            ("/1Table", &clx),
            ("/\u{5}SummaryInformation", &summary),
        ] {
            cf.create_stream(name).unwrap().write_all(data).unwrap();
        }
        cf.flush().unwrap();
    }
    buf.into_inner()
}

/// An RTF memo: `n` people, names as GBK `\'hh` escapes under a `\fcharset134` font (the last
/// as `\uN`), phones and addresses as plain text; a `\fldinst` naming an address that is no
/// text; an `\info` author. The people are `people(0, n)`.
pub fn rtf(n: usize) -> Vec<u8> {
    let mut s = String::from(
        "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss\\fcharset0 Arial;}\
         {\\f1\\fnil\\fcharset134 SimSun;}}{\\colortbl;\\red0\\green0\\blue0;}\
         {\\info{\\author HR}}\\uc1\\pard\\f0 ",
    );
    for (i, p) in people(0, n).iter().enumerate() {
        let name: String = if i + 1 == n {
            p.name
                .encode_utf16()
                .map(|u| format!("\\u{}?", u as i16))
                .collect()
        } else {
            let (gbk, _, _) = encoding_rs::GBK.encode(&p.name);
            gbk.iter().map(|b| format!("\\'{b:02x}")).collect()
        };
        s.push_str(&format!(
            "{{\\f1 {name}}}\\tab {}\\tab {}\\par\n",
            p.phone, p.email
        ));
    }
    s.push_str("{\\field{\\*\\fldinst HYPERLINK \"mailto:hr-desk@huaxia-trading.cn\"}{\\fldrslt HR}}\\par}");
    s.into_bytes()
}

// ---- documents with pictures ----------------------------------------------------------------

/// A JPEG's first and last markers: enough to be told a JPEG, no pixels.
pub const JPEG: &[u8] =
    b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9";
/// A PNG signature and header chunk start.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/// A zip of parts given as bytes; pictures stored, XML deflated (as Office writes them).
fn zip_bytes(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        for (name, body) in parts {
            let method = if name.ends_with(".xml") || name.ends_with(".rels") {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            let o = zip::write::SimpleFileOptions::default().compression_method(method);
            w.start_file(*name, o).unwrap();
            w.write_all(body).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

fn rels(targets: &[(&str, &str)]) -> Vec<u8> {
    let mut s = String::from(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for (id, t) in targets {
        s += &format!(
            r#"<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="{t}"/>"#
        );
    }
    s += "</Relationships>";
    s.into_bytes()
}

/// A Word inline picture: `name` the file it was inserted from, `descr` its alt text.
fn w_drawing(rid: &str, name: &str, descr: &str) -> String {
    format!(
        r#"<w:p><w:r><w:drawing><wp:inline><wp:docPr id="1" name="图片 1" descr="{}"/><a:graphic><a:graphicData><pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="{}"/></pic:nvPicPr><pic:blipFill><a:blip r:embed="{rid}"/></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"#,
        esc(descr),
        esc(name)
    )
}

/// An onboarding docx with four pictures and a vector drawing:
/// `image1.jpeg` under the caption 身份证复印件（正反面）(identity document, by the text around it);
/// `image2.png` beside 身份证号：… and 公司标志 (a number and a logo: not sensitive);
/// `image3.png` in the header with the alt text 员工人脸照片 (face, by its alt text);
/// `image4.jpeg` inserted from `fingerprint_scan.jpg` (fingerprint, by its name);
/// `image5.gif`, in the package but shown nowhere (listed, not sensitive);
/// `image6.emf`, a vector drawing (not listed).
/// The body also holds one resident ID and one mobile number.
pub fn docx_with_pictures() -> Vec<u8> {
    let ns = r#"xmlns:w="w" xmlns:wp="wp" xmlns:a="a" xmlns:pic="pic" xmlns:r="r""#;
    let mut doc = format!("<w:document {ns}><w:body>");
    doc += &w_p("入职材料");
    doc += &w_p("身份证复印件（正反面）：");
    doc += &w_drawing("rId5", "图片1.jpg", "");
    doc += &w_p("身份证号：110101199003077777");
    doc += &w_drawing("rId6", "logo.png", "");
    doc += &w_p("公司标志");
    doc += &w_p("联系电话 13812345678");
    doc += &w_drawing("rId7", "fingerprint_scan.jpg", "");
    doc += "</w:body></w:document>";
    let header = format!(
        "<w:hdr {ns}>{}</w:hdr>",
        w_drawing("rId1", "photo.png", "员工人脸照片")
    );
    zip_bytes(&[
        ("[Content_Types].xml", b"<Types/>".to_vec()),
        ("word/document.xml", doc.into_bytes()),
        (
            "word/_rels/document.xml.rels",
            rels(&[
                ("rId5", "media/image1.jpeg"),
                ("rId6", "media/image2.png"),
                ("rId7", "/word/media/image4.jpeg"),
            ]),
        ),
        ("word/header1.xml", header.into_bytes()),
        (
            "word/_rels/header1.xml.rels",
            rels(&[("rId1", "media/image3.png")]),
        ),
        ("word/media/image1.jpeg", JPEG.to_vec()),
        ("word/media/image2.png", PNG.to_vec()),
        ("word/media/image3.png", PNG.to_vec()),
        ("word/media/image4.jpeg", JPEG.to_vec()),
        ("word/media/image5.gif", b"GIF89a".to_vec()),
        ("word/media/image6.emf", vec![1, 0, 0, 0]),
    ])
}

/// A pptx whose one slide is titled 护照首页扫描 with a picture under it (identity document),
/// and a second slide with a picture beside 季度销售额 (not sensitive).
pub fn pptx_with_pictures() -> Vec<u8> {
    let a = r#"xmlns:a="a" xmlns:p="p" xmlns:r="r""#;
    let slide = |title: &str| {
        format!(
            r#"<p:sld {a}><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{title}</a:t></a:r></a:p></p:txBody></p:sp><p:pic><p:nvPicPr><p:cNvPr id="4" name="Picture 3"/></p:nvPicPr><p:blipFill><a:blip r:embed="rId2"/></p:blipFill></p:pic></p:spTree></p:cSld></p:sld>"#
        )
    };
    zip_bytes(&[
        ("[Content_Types].xml", b"<Types/>".to_vec()),
        (
            "ppt/presentation.xml",
            format!("<p:presentation {a}/>").into_bytes(),
        ),
        ("ppt/slides/slide1.xml", slide("护照首页扫描").into_bytes()),
        (
            "ppt/slides/_rels/slide1.xml.rels",
            rels(&[("rId2", "../media/image1.png")]),
        ),
        ("ppt/slides/slide2.xml", slide("季度销售额").into_bytes()),
        (
            "ppt/slides/_rels/slide2.xml.rels",
            rels(&[("rId2", "../media/image2.jpg")]),
        ),
        ("ppt/media/image1.png", PNG.to_vec()),
        ("ppt/media/image2.jpg", JPEG.to_vec()),
    ])
}

/// An odt with a picture described 指纹采集 (`svg:desc`: fingerprint) and one without a word.
pub fn odt_with_pictures() -> Vec<u8> {
    let ns = r#"xmlns:office="o" xmlns:text="t" xmlns:draw="d" xmlns:svg="s" xmlns:xlink="x""#;
    let content = format!(
        r#"<office:document-content {ns}><office:body><office:text><text:p>考勤登记</text:p><text:p><draw:frame draw:name="图像1"><draw:image xlink:href="Pictures/10000.jpg"/><svg:desc>指纹采集</svg:desc></draw:frame></text:p><text:p>办公室照片</text:p><text:p><draw:frame draw:name="图像2"><draw:image xlink:href="Pictures/10001.png"/></draw:frame></text:p></office:text></office:body></office:document-content>"#
    );
    zip_bytes(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.text".to_vec(),
        ),
        ("content.xml", content.into_bytes()),
        ("Pictures/10000.jpg", JPEG.to_vec()),
        ("Pictures/10001.png", PNG.to_vec()),
    ])
}

/// An xlsx whose sheet (姓名/手机, one row) has a picture in its drawing named
/// `身份证正面.png` when inserted (identity document, by its name).
pub fn xlsx_with_picture() -> Vec<u8> {
    let main = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
    zip_bytes(&[
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_vec(),
        ),
        (
            "_rels/.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
        ),
        (
            "xl/workbook.xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook {main}><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#).into_bytes(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_vec(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet {main}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>手机</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>张伟</t></is></c><c r="B2" t="inlineStr"><is><t>13812345678</t></is></c></row></sheetData><drawing r:id="rId1"/></worksheet>"#).into_bytes(),
        ),
        (
            "xl/drawings/drawing1.xml",
            r#"<xdr:wsDr xmlns:xdr="xdr" xmlns:a="a" xmlns:r="r"><xdr:oneCellAnchor><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="身份证正面.png"/></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rId1"/></xdr:blipFill></xdr:pic></xdr:oneCellAnchor></xdr:wsDr>"#.as_bytes().to_vec(),
        ),
        (
            "xl/drawings/_rels/drawing1.xml.rels",
            rels(&[("rId1", "../media/image1.png")]),
        ),
        ("xl/media/image1.png", PNG.to_vec()),
    ])
}
