//! What an xlsx/xlsm holds beside its cells: cell comments (notes) and page headers and footers,
//! scanned as records of the workbook's source. calamine reads neither, so they are read here
//! from the zip (already checked by [`super::sheet::zip_guard`]).
//!
//! Each sheet is found from `xl/workbook.xml` and its relationships; its comments part (a
//! relationship of type `…/comments` in `xl/worksheets/_rels/sheetN.xml.rels`) gives one record
//! per comment, fields `Sheet!comment` (its text) and `Sheet!comment author`. A threaded comment
//! (Excel 365) has a legacy copy in that part, which is what is read. The page header and footer
//! (`<headerFooter>` near the end of the sheet's XML, found by a bounded streaming search, not a
//! second XML parse of the cells) give records `Sheet!header` / `Sheet!footer`, with their
//! formatting codes (`&C`, `&"Arial,Bold"`, `&12`, `&P`) taken out.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::Ctx;
use super::records::RecordScanner;
use crate::inventory::SourceAcc;

/// Most bytes of a comments part, of the workbook's and a sheet's relationships, inflated.
const MAX_PART: u64 = 64 << 20;
/// Most bytes a `<headerFooter>` element may span.
const MAX_HEADER_FOOTER: usize = 1 << 20;

type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// Scans the comments and headers/footers of an xlsx; a problem names the part it is in.
pub fn read(bytes: &[u8], ctx: &Ctx) -> (SourceAcc, Option<String>) {
    let mut sc = RecordScanner::new(ctx);
    let problem = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(mut zip) => scan(&mut zip, &mut sc).err(),
        Err(e) => Some(format!("zip directory: {e}")),
    };
    (sc.finish(), problem)
}

fn scan(zip: &mut Zip<'_>, sc: &mut RecordScanner) -> Result<(), String> {
    let Some(workbook) = part(zip, "xl/workbook.xml")? else {
        return Ok(());
    };
    let rels = part(zip, "xl/_rels/workbook.xml.rels")?.unwrap_or_default();
    let targets = relationships(&rels, "xl/");
    for (name, rid) in sheets(&workbook) {
        let Some((_, path)) = targets.get(&rid) else {
            continue;
        };
        let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
        let sheet_rels = part(zip, &format!("{dir}/_rels/{file}.rels"))?.unwrap_or_default();
        for (ty, target) in relationships(&sheet_rels, &format!("{dir}/")).values() {
            if ty.ends_with("/comments")
                && let Some(xml) = part(zip, target)?
            {
                comments(&xml, &name, sc).map_err(|e| format!("`{target}`: {e}"))?;
            }
        }
        if let Some(hf) = header_footer(zip, path)? {
            header_footer_records(&hf, &name, sc).map_err(|e| format!("`{path}`: {e}"))?;
        }
    }
    Ok(())
}

/// A part of the zip, inflated, at most [`MAX_PART`] bytes; `None` when absent.
fn part(zip: &mut Zip<'_>, name: &str) -> Result<Option<Vec<u8>>, String> {
    let mut f = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(format!("`{name}`: {e}")),
    };
    let mut buf = Vec::new();
    (&mut f)
        .take(MAX_PART + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("`{name}`: {e}"))?;
    if buf.len() as u64 > MAX_PART {
        return Err(format!(
            "`{name}` inflates past {} MiB; not read",
            MAX_PART >> 20
        ));
    }
    Ok(Some(buf))
}

fn attr(e: &quick_xml::events::BytesStart, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Relationship id → (type, zip path), targets resolved against `base` (`xl/`).
fn relationships(xml: &[u8], base: &str) -> HashMap<String, (String, String)> {
    let mut out = HashMap::new();
    let xml = String::from_utf8_lossy(xml);
    let mut r = Reader::from_str(&xml);
    while let Ok(ev) = r.read_event() {
        match ev {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(target)) = (attr(&e, "Id"), attr(&e, "Target")) {
                    let ty = attr(&e, "Type").unwrap_or_default();
                    out.insert(id, (ty, resolve(base, &target)));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// `../comments1.xml` from `xl/worksheets/` is `xl/comments1.xml`; `/xl/x.xml` is `xl/x.xml`.
fn resolve(base: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for seg in target.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// The workbook's sheets: (name, relationship id), in order.
fn sheets(xml: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let xml = String::from_utf8_lossy(xml);
    let mut r = Reader::from_str(&xml);
    while let Ok(ev) = r.read_event() {
        match ev {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                if let (Some(name), Some(id)) = (attr(&e, "name"), attr(&e, "id")) {
                    out.push((name, id));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// One record per comment: its text and its author.
fn comments(xml: &[u8], sheet: &str, sc: &mut RecordScanner) -> Result<(), String> {
    let text_field = sc.field_labeled(&format!("{sheet}!comment"), "comment");
    let author_field = sc.field_labeled(&format!("{sheet}!comment author"), "author");
    let mut authors: Vec<String> = Vec::new();
    let xml = String::from_utf8_lossy(xml);
    let mut r = Reader::from_str(&xml);
    let mut in_author = false;
    let mut in_t = false;
    let mut in_phonetic = false;
    let mut current: Option<(Option<usize>, String)> = None;
    let mut author = String::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "author" => {
                    in_author = true;
                    author.clear();
                }
                "comment" => {
                    let id = attr(&e, "authorId").and_then(|a| a.parse().ok());
                    current = Some((id, String::new()));
                }
                // Phonetic runs (`rPh`) repeat the text in kana; `t` inside them is skipped.
                "t" => in_t = !in_phonetic,
                "rPh" => in_phonetic = true,
                _ => {}
            },
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "author" => {
                    in_author = false;
                    authors.push(std::mem::take(&mut author));
                }
                "comment" => {
                    if let Some((id, text)) = current.take() {
                        let who = id.and_then(|i| authors.get(i)).map_or("", String::as_str);
                        if text.trim().is_empty() && who.trim().is_empty() {
                            continue;
                        }
                        sc.record([
                            (text_field, text.trim().as_bytes()),
                            (author_field, who.as_bytes()),
                        ]);
                    }
                }
                "t" => in_t = false,
                "rPh" => in_phonetic = false,
                _ => {}
            },
            Ok(Event::Text(t)) => {
                let s = t.xml10_content();
                if in_author {
                    author.push_str(&s);
                } else if in_t && let Some((_, text)) = current.as_mut() {
                    text.push_str(&s);
                }
            }
            Ok(Event::GeneralRef(g)) => {
                let c = g
                    .resolve_char_ref()
                    .ok()
                    .flatten()
                    .map(String::from)
                    .or_else(|| {
                        quick_xml::escape::resolve_predefined_entity(&g).map(str::to_string)
                    })
                    .unwrap_or_default();
                if in_author {
                    author.push_str(&c);
                } else if in_t && let Some((_, text)) = current.as_mut() {
                    text.push_str(&c);
                }
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The `<headerFooter>` element of a worksheet, found by streaming its XML in chunks.
fn header_footer(zip: &mut Zip<'_>, path: &str) -> Result<Option<Vec<u8>>, String> {
    let mut f = match zip.by_name(path) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(format!("`{path}`: {e}")),
    };
    const OPEN: &[u8] = b"<headerFooter";
    const CLOSE: &[u8] = b"</headerFooter>";
    let mut window: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 256 << 10];
    let mut found: Option<usize> = None;
    loop {
        let n = f.read(&mut chunk).map_err(|e| format!("`{path}`: {e}"))?;
        if n == 0 {
            return Ok(None);
        }
        window.extend_from_slice(&chunk[..n]);
        if found.is_none() {
            match memchr::memmem::find(&window, OPEN) {
                Some(at) => {
                    window.drain(..at);
                    found = Some(0);
                }
                None => {
                    // Keep what could be the start of the tag.
                    let keep = window.len().saturating_sub(OPEN.len());
                    window.drain(..keep);
                    continue;
                }
            }
        }
        if let Some(end) = memchr::memmem::find(&window, CLOSE) {
            window.truncate(end + CLOSE.len());
            return Ok(Some(window));
        }
        // `<headerFooter/>`: empty.
        if let Some(gt) = memchr::memchr(b'>', &window)
            && window[..gt].ends_with(b"/")
        {
            return Ok(None);
        }
        if window.len() > MAX_HEADER_FOOTER {
            return Err(format!(
                "`{path}`: its headerFooter element runs past {} KiB; not read",
                MAX_HEADER_FOOTER >> 10
            ));
        }
    }
}

fn header_footer_records(xml: &[u8], sheet: &str, sc: &mut RecordScanner) -> Result<(), String> {
    let header = sc.field_labeled(&format!("{sheet}!header"), "header");
    let footer = sc.field_labeled(&format!("{sheet}!footer"), "footer");
    let xml = String::from_utf8_lossy(xml);
    let mut r = Reader::from_str(&xml);
    let mut field = None;
    let mut text = String::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => {
                let name = e.local_name();
                let n = name.as_ref().as_bytes();
                field = if n.ends_with(b"Header") {
                    Some(header)
                } else if n.ends_with(b"Footer") && n != b"headerFooter" {
                    Some(footer)
                } else {
                    None
                };
                text.clear();
            }
            Ok(Event::Text(t)) if field.is_some() => text.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(g)) if field.is_some() => {
                if let Ok(Some(c)) = g.resolve_char_ref() {
                    text.push(c);
                } else if let Some(v) = quick_xml::escape::resolve_predefined_entity(&g) {
                    text.push_str(v);
                }
            }
            Ok(Event::End(_)) => {
                if let Some(f) = field.take() {
                    let plain = strip_codes(&text);
                    if !plain.trim().is_empty() {
                        sc.record([(f, plain.trim().as_bytes())]);
                    }
                }
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// A header or footer without its codes: `&L`/`&C`/`&R` (sections, kept apart by a tab),
/// `&"font,style"`, `&12` (size), `&K` colours, `&P`/`&N`/`&D`/`&T`/`&F`/`&A`… (fields);
/// `&&` is an ampersand.
fn strip_codes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '&' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('&') => out.push('&'),
            Some('L' | 'C' | 'R') => out.push('\t'),
            Some('"') => {
                for c in it.by_ref() {
                    if c == '"' {
                        break;
                    }
                }
            }
            Some('K') => {
                for _ in 0..6 {
                    it.next_if(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '-');
                }
            }
            Some(d) if d.is_ascii_digit() => while it.next_if(char::is_ascii_digit).is_some() {},
            _ => {}
        }
    }
    out
}

// ---- OpenDocument spreadsheets -------------------------------------------------------------

/// Scans the comments (`office:annotation` in a cell: its `dc:creator` and paragraphs) and the
/// page headers and footers (`style:header` / `style:footer` of each master page in
/// `styles.xml`) of an ods, which calamine does not read. Comments become records
/// `Sheet!comment` / `Sheet!comment author` under the `table:table` that holds them; headers and
/// footers `PageStyle!header` / `PageStyle!footer` (an ods binds them to a page style, not a
/// sheet). `content.xml` is first searched for an annotation in bounded chunks and parsed again
/// only when it holds one, as a stream: the cells are not held in memory a second time.
pub fn read_ods(bytes: &[u8], ctx: &Ctx) -> (SourceAcc, Option<String>) {
    let mut sc = RecordScanner::new(ctx);
    let problem = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(mut zip) => scan_ods(&mut zip, &mut sc).err(),
        Err(e) => Some(format!("zip directory: {e}")),
    };
    (sc.finish(), problem)
}

fn scan_ods(zip: &mut Zip<'_>, sc: &mut RecordScanner) -> Result<(), String> {
    if holds(zip, "content.xml", b"<office:annotation")? {
        let f = zip
            .by_name("content.xml")
            .map_err(|e| format!("`content.xml`: {e}"))?;
        let reader = std::io::BufReader::new(f.take(super::document::MAX_PART));
        ods_annotations(reader, sc).map_err(|e| format!("`content.xml`: {e}"))?;
    }
    if let Some(xml) = part(zip, "styles.xml")? {
        ods_header_footer(&xml, sc).map_err(|e| format!("`styles.xml`: {e}"))?;
    }
    Ok(())
}

/// Whether the part `name` holds `needle`, searched in 256 KiB chunks (no more kept).
fn holds(zip: &mut Zip<'_>, name: &str, needle: &[u8]) -> Result<bool, String> {
    let mut f = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(false),
        Err(e) => return Err(format!("`{name}`: {e}")),
    };
    let finder = memchr::memmem::Finder::new(needle);
    let mut buf = vec![0u8; 256 << 10];
    let mut kept = 0usize;
    loop {
        let n = f
            .read(&mut buf[kept..])
            .map_err(|e| format!("`{name}`: {e}"))?;
        if n == 0 {
            return Ok(false);
        }
        let end = kept + n;
        if finder.find(&buf[..end]).is_some() {
            return Ok(true);
        }
        // Keep what could be the start of the needle.
        let keep = needle.len().saturating_sub(1).min(end);
        buf.copy_within(end - keep..end, 0);
        kept = keep;
    }
}

fn ods_annotations(reader: impl std::io::BufRead, sc: &mut RecordScanner) -> Result<(), String> {
    let mut r = Reader::from_reader(reader);
    r.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut sheet = String::from("Sheet1");
    // (author, text, inside dc:creator) of the annotation being read.
    let mut note: Option<(String, String, bool)> = None;
    loop {
        let ev = r.read_event_into(&mut buf).map_err(|e| e.to_string())?;
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                "table" => {
                    if let Some(n) = attr(&e, "name") {
                        sheet = n;
                    }
                }
                "annotation" => note = Some((String::new(), String::new(), false)),
                "creator" => {
                    if let Some(n) = note.as_mut() {
                        n.2 = true;
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "creator" => {
                    if let Some(n) = note.as_mut() {
                        n.2 = false;
                    }
                }
                "p" | "h" => {
                    if let Some(n) = note.as_mut()
                        && !n.1.is_empty()
                        && !n.1.ends_with(' ')
                    {
                        n.1.push(' ');
                    }
                }
                "annotation" => {
                    if let Some((author, text, _)) = note.take() {
                        let (t, a) = (text.trim(), author.trim());
                        if !t.is_empty() || !a.is_empty() {
                            let tf = sc.field_labeled(&format!("{sheet}!comment"), "comment");
                            let af = sc.field_labeled(&format!("{sheet}!comment author"), "author");
                            sc.record([(tf, t.as_bytes()), (af, a.as_bytes())]);
                        }
                    }
                }
                _ => {}
            },
            Event::Text(t) => {
                if let Some(n) = note.as_mut() {
                    let s = t.xml10_content();
                    let target = if n.2 { &mut n.0 } else { &mut n.1 };
                    if target.len() < (1 << 20) {
                        target.push_str(&s);
                    }
                }
            }
            Event::GeneralRef(g) => {
                if let Some(n) = note.as_mut() {
                    let c = g
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .map(String::from)
                        .or_else(|| {
                            quick_xml::escape::resolve_predefined_entity(&g).map(str::to_string)
                        })
                        .unwrap_or_default();
                    if n.2 { &mut n.0 } else { &mut n.1 }.push_str(&c);
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// Headers and footers of an ods's master pages (`style:header`, `style:header-left`,
/// `style:footer-first`…): one record per header or footer, its regions joined by a tab.
fn ods_header_footer(xml: &[u8], sc: &mut RecordScanner) -> Result<(), String> {
    let xml = String::from_utf8_lossy(xml);
    let mut r = Reader::from_str(&xml);
    r.config_mut().check_end_names = false;
    let mut page = String::from("page");
    // (is a footer, depth inside it, text)
    let mut open: Option<(bool, u32, String)> = None;
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => {
                let local = e.local_name();
                let n = local.as_ref();
                if let Some(o) = open.as_mut() {
                    o.1 += 1;
                    if n.starts_with("region") && !o.2.is_empty() {
                        o.2.push('\t');
                    }
                } else if n == "master-page" {
                    page = attr(&e, "name").unwrap_or_else(|| "page".into());
                } else if n.starts_with("header") || n.starts_with("footer") {
                    open = Some((n.starts_with("footer"), 0, String::new()));
                }
            }
            Ok(Event::End(e)) => {
                let close = match open.as_mut() {
                    Some(o) if o.1 == 0 => true,
                    Some(o) => {
                        o.1 -= 1;
                        if e.local_name().as_ref() == "p" && !o.2.is_empty() {
                            o.2.push(' ');
                        }
                        false
                    }
                    None => false,
                };
                if close && let Some((footer, _, text)) = open.take() {
                    let t = text.trim();
                    if !t.is_empty() {
                        let label = if footer { "footer" } else { "header" };
                        let f = sc.field_labeled(&format!("{page}!{label}"), label);
                        sc.record([(f, t.as_bytes())]);
                    }
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(o) = open.as_mut() {
                    o.2.push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(g)) => {
                if let Some(o) = open.as_mut() {
                    if let Ok(Some(c)) = g.resolve_char_ref() {
                        o.2.push(c);
                    } else if let Some(v) = quick_xml::escape::resolve_predefined_entity(&g) {
                        o.2.push_str(v);
                    }
                }
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// An xlsx with a comment on Sheet1 and a header/footer on 员工.
    pub fn workbook() -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default();
            let mut put = |name: &str, body: &str| {
                z.start_file(name, o).unwrap();
                z.write_all(body.as_bytes()).unwrap();
            };
            put(
                "_rels/.rels",
                r#"<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            );
            put(
                "xl/workbook.xml",
                r#"<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/><sheet name="员工" sheetId="2" r:id="rId2"/></sheets></workbook>"#,
            );
            put(
                "xl/_rels/workbook.xml.rels",
                r#"<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="x/worksheet" Target="/xl/worksheets/sheet2.xml"/></Relationships>"#,
            );
            put(
                "xl/worksheets/sheet1.xml",
                r#"<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>王芳</t></is></c></row></sheetData><headerFooter/></worksheet>"#,
            );
            put(
                "xl/worksheets/_rels/sheet1.xml.rels",
                r#"<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="../comments1.xml"/></Relationships>"#,
            );
            put(
                "xl/comments1.xml",
                r#"<comments><authors><author>张伟</author></authors><commentList><comment ref="B2" authorId="0"><text><r><t>张伟:</t></r><r><t xml:space="preserve"> call 13812345678 &amp; check</t></r><rPh sb="0" eb="1"><t>チョウ 13900002222</t></rPh></text></comment></commentList></comments>"#,
            );
            let filler = "<row/>".repeat(100_000);
            put(
                "xl/worksheets/sheet2.xml",
                &format!(
                    "<worksheet><sheetData>{filler}</sheetData><headerFooter><oddHeader>&amp;L&amp;\"Arial,Bold\"&amp;12联系人 13900001111&amp;R&amp;P</oddHeader><oddFooter>&amp;Cli@example.com &amp;&amp; co</oddFooter></headerFooter></worksheet>"
                ),
            );
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    /// An ods with a comment by 张伟 in a cell of 员工 (after 300 KiB of cells, so the search
    /// crosses a chunk), and a header and footer on the page style Default.
    fn ods_with_notes() -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default();
            let mut put = |name: &str, body: &str| {
                z.start_file(name, o).unwrap();
                z.write_all(body.as_bytes()).unwrap();
            };
            put("mimetype", "application/vnd.oasis.opendocument.spreadsheet");
            put(
                "META-INF/manifest.xml",
                r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#,
            );
            let filler = "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>x</text:p></table:table-cell></table:table-row>".repeat(3000);
            put(
                "content.xml",
                &format!(
                    r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x" xmlns:dc="d"><office:body><office:spreadsheet><table:table table:name="员工">{filler}<table:table-row><table:table-cell office:value-type="string"><office:annotation><dc:creator>张伟</dc:creator><dc:date>2026-01-01T00:00:00</dc:date><text:p>请回电</text:p><text:p>13812345678 &amp; 确认</text:p></office:annotation><text:p>王芳</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
                ),
            );
            put(
                "styles.xml",
                r#"<office:document-styles xmlns:office="o" xmlns:style="s" xmlns:text="x"><office:master-styles><style:master-page style:name="Default"><style:header><style:region-left><text:p>联系人 13900001111</text:p></style:region-left><style:region-right><text:p>第<text:page-number>1</text:page-number>页</text:p></style:region-right></style:header><style:footer><text:p>li@example.com</text:p></style:footer></style:master-page></office:master-styles></office:document-styles>"#,
            );
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn codes_are_taken_out() {
        assert_eq!(
            strip_codes("&L&\"Arial,Bold\"&12Li Na&C&KFF0000Page &P of &N&R&&x"),
            "\tLi Na\tPage  of \t&x"
        );
        assert_eq!(
            resolve("xl/worksheets/", "../comments1.xml"),
            "xl/comments1.xml"
        );
    }

    #[test]
    fn comments_and_header_footer_are_records() {
        let set = crate::detect::DetectorSet::load(None).unwrap();
        let key = crate::sketch::SketchKey::random();
        let ctx = Ctx::new(
            &set,
            &key,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        );
        let (acc, problem) = read(&workbook(), &ctx);
        assert_eq!(problem, None);
        assert_eq!(acc.records, 3, "a comment, a header, a footer");
        let mobile = set.index_of("cn-mobile").unwrap();
        let email = set.index_of("email").unwrap();
        let matches = |field: &str, d: usize| {
            acc.fields
                .get(field)
                .and_then(|f| f.get(&d))
                .map_or(0, |a| a.matches)
        };
        assert_eq!(matches("Sheet1!comment", mobile), 1);
        assert_eq!(matches("员工!header", mobile), 1);
        assert_eq!(matches("员工!footer", email), 1);
        // Through the workbook reader: the cells, then the comment, header and footer.
        let out = super::super::sheet::read_container(
            &workbook(),
            super::super::format::Format::Sheet(super::super::format::SheetKind::Xlsx),
            &ctx,
        );
        assert_eq!(out.problem, None);
        assert_eq!(
            out.acc.records, 4,
            "a row under its header, a comment, a header, a footer"
        );
        assert!(out.acc.fields.contains_key("Sheet1!comment"));
        // An ods: a comment under its sheet, a header and a footer of its page style.
        let ods = ods_with_notes();
        let (acc, problem) = read_ods(&ods, &ctx);
        assert_eq!(problem, None);
        assert_eq!(acc.records, 3, "a comment, a header, a footer");
        let matches = |field: &str, d: usize| {
            acc.fields
                .get(field)
                .and_then(|f| f.get(&d))
                .map_or(0, |a| a.matches)
        };
        assert_eq!(matches("员工!comment", mobile), 1);
        assert_eq!(matches("Default!header", mobile), 1);
        assert_eq!(matches("Default!footer", email), 1);
        let out = super::super::sheet::read_container(
            &ods,
            super::super::format::Format::Sheet(super::super::format::SheetKind::Ods),
            &ctx,
        );
        assert_eq!(out.problem, None);
        assert!(
            out.acc.fields.contains_key("员工!comment"),
            "{:?}",
            out.acc.fields.keys()
        );
        // No workbook part: nothing to read, no problem.
        let (acc, problem) = read(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", &ctx);
        assert_eq!((acc.records, problem), (0, None));
    }
}
