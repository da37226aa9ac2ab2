//! Office Open XML (docx, docm, pptx, pptm) and OpenDocument (odt, odp): the zip's XML parts
//! that hold what a reader sees, parsed with quick-xml.
//!
//! Read: the body (paragraphs, tables, DrawingML and VML text boxes), headers and footers,
//! footnotes and endnotes, comments (and their authors), slides and speaker notes, and the
//! document properties (`docProps/core.xml`, `app.xml`, `custom.xml`; an ODF's `meta.xml`),
//! where names and e-mail addresses hide. Not read: themes, which list East-Asian font names
//! (宋体, ＭＳ 明朝) in every file and would make an English document look Chinese; slide
//! layouts and masters and the glossary, which hold template prompts ("单击此处编辑母版标题样式"),
//! not content; field codes (`MERGEFIELD Email`), which name a placeholder, not a value; the
//! fallback copy of a text box (`mc:Fallback`), which repeats the text of its `mc:Choice`.
//!
//! A zip whose central directory is missing (a truncated upload) is read from its local
//! headers as far as they go, and reported `partial`. Every part is inflated with a cap
//! ([`super::MAX_PART`]) after its declared size and ratio are checked, so a zip bomb named
//! `.docx` costs nothing.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::{DocError, DocKind, Extracted, MAX_PART, MAX_RATIO, Table};

/// Which parts of an OOXML package are read, and in what role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Body,
    Properties,
}

fn ooxml_role(name: &str) -> Option<Role> {
    let n = name.to_ascii_lowercase();
    if !n.ends_with(".xml") {
        return None;
    }
    if n.starts_with("docprops/") {
        return Some(Role::Properties);
    }
    let body = [
        "word/document",
        "word/header",
        "word/footer",
        "word/footnotes",
        "word/endnotes",
        "word/comments",
        "ppt/slides/slide",
        "ppt/notesslides/",
        "ppt/comments/",
        "ppt/commentauthors",
        "ppt/diagrams/data",
        "word/diagrams/data",
    ];
    body.iter().any(|p| n.starts_with(p)).then_some(Role::Body)
}

fn odf_role(name: &str) -> Option<Role> {
    match name {
        "content.xml" | "styles.xml" => Some(Role::Body),
        "meta.xml" => Some(Role::Properties),
        _ => None,
    }
}

/// Reads a docx/docm/pptx/pptm.
pub fn read_ooxml(bytes: &[u8], kind: DocKind) -> Result<Extracted, DocError> {
    let (parts, problem) = load_parts(bytes, kind.name(), ooxml_role)?;
    let mut ex = Extracted::default();
    if let Some(p) = problem {
        ex.problem(p);
    }
    for (name, role, xml) in parts {
        let ok = match role {
            Role::Body => body_text(&xml, &mut ex, Dialect::Ooxml),
            Role::Properties => properties_text(&xml, &mut ex),
        };
        if let Err(e) = ok {
            ex.problem(format!(
                "part `{name}`: malformed XML ({e}); read up to there"
            ));
        }
    }
    Ok(ex)
}

/// Reads an odt/odp.
pub fn read_odf(bytes: &[u8], kind: DocKind) -> Result<Extracted, DocError> {
    let name = kind.name();
    if let Some(manifest) = read_one(bytes, "META-INF/manifest.xml")
        && memchr::memmem::find(&manifest, b"encryption-data").is_some()
    {
        return Err(DocError::unreadable(format!(
            "encrypted: password-protected {name} (its manifest lists encryption data); its \
             text cannot be read without the password"
        )));
    }
    let (parts, problem) = load_parts(bytes, name, odf_role)?;
    let mut ex = Extracted::default();
    if let Some(p) = problem {
        ex.problem(p);
    }
    for (part, role, xml) in parts {
        let ok = match role {
            Role::Body => body_text(&xml, &mut ex, Dialect::Odf),
            Role::Properties => properties_text(&xml, &mut ex),
        };
        if let Err(e) = ok {
            ex.problem(format!(
                "part `{part}`: malformed XML ({e}); read up to there"
            ));
        }
    }
    Ok(ex)
}

/// One small part by exact name, through the central directory (`None` when absent or the
/// zip cannot be read that way).
fn read_one(bytes: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let f = zip.by_name(name).ok()?;
    let mut buf = Vec::new();
    f.take(1 << 20).read_to_end(&mut buf).ok()?;
    Some(buf)
}

type Parts = Vec<(String, Role, Vec<u8>)>;

/// The parts `role` selects, in reading order (`slide2` before `slide10`). A zip without a
/// readable central directory is read from its local headers: what they give is returned with
/// a problem saying so.
fn load_parts(
    bytes: &[u8],
    kind: &str,
    role: fn(&str) -> Option<Role>,
) -> Result<(Parts, Option<String>), DocError> {
    let mut parts: BTreeMap<(u8, String), (String, Role, Vec<u8>)> = BTreeMap::new();
    let mut add = |name: String, role: Role, data: Vec<u8>| {
        // Properties after the body; parts by their natural order.
        let order = u8::from(role == Role::Properties);
        parts.insert((order, natural_key(&name)), (name, role, data));
    };
    let problem = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(mut zip) => {
            let mut problem = None;
            for i in 0..zip.len() {
                let mut f = match zip.by_index(i) {
                    Ok(f) => f,
                    Err(e) => {
                        problem.get_or_insert(format!("corrupt {kind}: zip entry #{i}: {e}"));
                        continue;
                    }
                };
                let Ok(name) = f.name().map(|n| n.into_owned()) else {
                    continue;
                };
                let Some(r) = role(&name) else { continue };
                let (size, packed) = (f.size(), f.compressed_size());
                match inflate(&mut f, &name, size, packed) {
                    Ok(data) => add(name, r, data),
                    Err(e) => {
                        problem.get_or_insert(format!("corrupt {kind}: {e}"));
                    }
                }
            }
            problem
        }
        Err(dir_err) => {
            // No central directory (a truncated file): walk the local headers.
            let mut cur = Cursor::new(bytes);
            let mut found = 0usize;
            let mut stop = None;
            loop {
                match zip::read::read_zipfile_from_stream(&mut cur) {
                    Ok(Some(mut f)) => {
                        let Ok(name) = f.name().map(|n| n.into_owned()) else {
                            continue;
                        };
                        let Some(r) = role(&name) else { continue };
                        let (size, packed) = (f.size(), f.compressed_size());
                        match inflate(&mut f, &name, size, packed) {
                            Ok(data) => {
                                found += 1;
                                add(name, r, data);
                            }
                            Err(e) => {
                                stop = Some(e);
                                break;
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        stop = Some(e.to_string());
                        break;
                    }
                }
            }
            if found == 0 {
                return Err(DocError::unreadable(format!(
                    "corrupt or truncated {kind}: its zip directory cannot be read ({dir_err}) \
                     and no document part could be recovered from its local headers{}",
                    stop.map(|s| format!(" ({s})")).unwrap_or_default()
                )));
            }
            Some(format!(
                "truncated or corrupt {kind}: its zip directory cannot be read ({dir_err}); \
                 {found} part(s) recovered from the local headers{}",
                stop.map(|s| format!(", then: {s}")).unwrap_or_default()
            ))
        }
    };
    Ok((parts.into_values().collect(), problem))
}

/// Inflates one part, refusing a declared size or ratio no real document has, and stopping at
/// [`MAX_PART`] whatever the header claims.
fn inflate(r: &mut dyn Read, name: &str, size: u64, packed: u64) -> Result<Vec<u8>, String> {
    let packed = packed.max(1);
    if size > MAX_PART {
        return Err(format!(
            "zip bomb? `{name}` declares {} MiB uncompressed (limit {} MiB); not read",
            size >> 20,
            MAX_PART >> 20
        ));
    }
    if size > (1 << 20) && size / packed > MAX_RATIO {
        return Err(format!(
            "zip bomb? `{name}` declares {} MiB from {packed} compressed bytes (ratio {}:1); \
             not read",
            size >> 20,
            size / packed
        ));
    }
    let mut buf = Vec::with_capacity(size.min(16 << 20) as usize);
    r.take(MAX_PART + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("`{name}`: {e}"))?;
    if buf.len() as u64 > MAX_PART {
        return Err(format!(
            "zip bomb? `{name}` inflates past {} MiB (it declares {size} bytes); not read",
            MAX_PART >> 20
        ));
    }
    Ok(buf)
}

/// A sort key that puts `slide2.xml` before `slide10.xml`.
fn natural_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if !digits.is_empty() {
            out.push_str(&format!("{:0>10}", digits));
            digits.clear();
        }
    };
    for c in name.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// An XML part's bytes as text: UTF-8, or UTF-16 with its byte-order mark.
fn xml_str(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        let (enc, _) = encoding_rs::Encoding::for_bom(bytes).unwrap_or((encoding_rs::UTF_16LE, 2));
        let (s, _, _) = enc.decode(bytes);
        return std::borrow::Cow::Owned(s.into_owned());
    }
    String::from_utf8_lossy(bytes)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// WordprocessingML and DrawingML: text is in `t` (and `delText`) elements.
    Ooxml,
    /// OpenDocument: text is the character data of `p` and `h` (and their spans).
    Odf,
}

/// A table being read; tables nest (a table in a cell).
#[derive(Default)]
struct TableBuilder {
    rows: Vec<Vec<String>>,
    row: Option<Vec<String>>,
    cell: Option<String>,
}

struct Walker<'e> {
    ex: &'e mut Extracted,
    dialect: Dialect,
    line: String,
    /// Depth inside text elements (`w:t`, `a:t`) or, for ODF, paragraphs.
    text_depth: u32,
    /// Depth inside a subtree that is not read (field codes, fallbacks, ruby).
    skip: u32,
    tables: Vec<TableBuilder>,
    full: bool,
}

impl Walker<'_> {
    fn push(&mut self, s: &str) {
        if self.skip == 0 && self.text_depth > 0 && !self.full {
            self.line.push_str(s);
        }
    }

    /// A paragraph ends: its text goes to the open cell, or is a line of the document.
    fn end_paragraph(&mut self) {
        let line = std::mem::take(&mut self.line);
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        if let Some(cell) = self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
            if !cell.is_empty() {
                cell.push(' ');
            }
            cell.push_str(line);
            return;
        }
        if !self.ex.line(line) {
            self.full = true;
        }
    }

    fn start(&mut self, local: &[u8], attr_spaces: usize) {
        if self.skip > 0 {
            self.skip += 1;
            return;
        }
        let odf = self.dialect == Dialect::Odf;
        match local {
            b"instrText" | b"delInstrText" | b"rt" | b"Fallback" => self.skip = 1,
            b"tbl" | b"table" => self.tables.push(TableBuilder::default()),
            b"tr" | b"table-row" => {
                if let Some(t) = self.tables.last_mut() {
                    t.row = Some(Vec::new());
                }
            }
            b"tc" | b"table-cell" | b"covered-table-cell" => {
                self.end_paragraph();
                if let Some(t) = self.tables.last_mut() {
                    t.cell = Some(String::new());
                }
            }
            b"t" | b"delText" if !odf => self.text_depth += 1,
            b"p" | b"h" if odf => self.text_depth += 1,
            // ODF spacing elements written as start/end pairs.
            b"s" if odf => self.push(&" ".repeat(attr_spaces.clamp(1, 64))),
            _ => {}
        }
    }

    fn end(&mut self, local: &[u8]) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        let odf = self.dialect == Dialect::Odf;
        match local {
            b"p" | b"h" => {
                if odf {
                    self.text_depth = self.text_depth.saturating_sub(1);
                }
                self.end_paragraph();
            }
            b"t" | b"delText" if !odf => self.text_depth = self.text_depth.saturating_sub(1),
            b"tc" | b"table-cell" | b"covered-table-cell" => {
                self.end_paragraph();
                if let Some(t) = self.tables.last_mut()
                    && let Some(c) = t.cell.take()
                {
                    t.row.get_or_insert_with(Vec::new).push(c);
                }
            }
            b"tr" | b"table-row" => {
                if let Some(t) = self.tables.last_mut()
                    && let Some(r) = t.row.take()
                {
                    t.rows.push(r);
                }
            }
            b"tbl" | b"table" => {
                self.end_paragraph();
                let Some(t) = self.tables.pop() else { return };
                if let Some(outer) = self.tables.last_mut().and_then(|o| o.cell.as_mut()) {
                    // A table in a cell: its text joins the outer cell.
                    for row in &t.rows {
                        if !outer.is_empty() {
                            outer.push(' ');
                        }
                        outer.push_str(row.join(" ").trim());
                    }
                } else if !t.rows.is_empty() {
                    self.ex.tables.push(Table { rows: t.rows });
                }
            }
            _ => {}
        }
    }

    fn empty(&mut self, local: &[u8], attr_spaces: usize) {
        if self.skip > 0 {
            return;
        }
        match local {
            b"tab" => self.push("\t"),
            b"br" | b"cr" | b"line-break" => {
                if self.tables.last().is_some_and(|t| t.cell.is_some()) {
                    self.push(" ");
                } else if self.text_depth > 0 || self.dialect == Dialect::Ooxml {
                    self.end_paragraph();
                }
            }
            b"s" if self.dialect == Dialect::Odf => {
                self.push(&" ".repeat(attr_spaces.clamp(1, 64)))
            }
            b"p" | b"h" => self.end_paragraph(),
            _ => {}
        }
    }
}

/// The `text:c` count of an ODF `<text:s>` (spaces), 1 when absent.
fn space_count(e: &quick_xml::events::BytesStart) -> usize {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == "c")
        .and_then(|a| a.value.trim().parse().ok())
        .unwrap_or(1)
}

/// The text of a body part (document, header, slide, comments, content.xml…) into `ex`.
fn body_text(xml: &[u8], ex: &mut Extracted, dialect: Dialect) -> Result<(), String> {
    let s = xml_str(xml);
    let mut reader = Reader::from_str(&s);
    reader.config_mut().check_end_names = false;
    let mut w = Walker {
        ex,
        dialect,
        line: String::new(),
        text_depth: 0,
        skip: 0,
        tables: Vec::new(),
        full: false,
    };
    let result = loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let n = e.local_name();
                let spaces = if n.as_ref() == "s" {
                    space_count(&e)
                } else {
                    1
                };
                w.start(n.as_ref().as_bytes(), spaces);
            }
            Ok(Event::Empty(e)) => {
                let n = e.local_name();
                let spaces = if n.as_ref() == "s" {
                    space_count(&e)
                } else {
                    1
                };
                w.empty(n.as_ref().as_bytes(), spaces);
                // A comment author in a PowerPoint `commentAuthors.xml` / a Word comment.
                if n.as_ref() == "cmAuthor" {
                    attr_line(&e, b"name", &mut w);
                }
            }
            Ok(Event::End(e)) => w.end(e.local_name().as_ref().as_bytes()),
            Ok(Event::Text(t)) => w.push(&t.xml10_content()),
            Ok(Event::CData(t)) => w.push(&t),
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    w.push(c.encode_utf8(&mut [0u8; 4]));
                } else if let Some(v) = quick_xml::escape::resolve_predefined_entity(&r) {
                    w.push(v);
                }
            }
            Ok(Event::Eof) => break Ok(()),
            Ok(_) => {}
            Err(e) => break Err(e.to_string()),
        }
        if w.full {
            break Ok(());
        }
    };
    // What a cut-off part had in its open paragraph and tables still counts.
    w.end_paragraph();
    while let Some(t) = w.tables.pop() {
        let mut rows = t.rows;
        rows.extend(t.row);
        if !rows.is_empty() {
            w.ex.tables.push(Table { rows });
        }
    }
    result
}

fn attr_line(e: &quick_xml::events::BytesStart, key: &[u8], w: &mut Walker) {
    if let Some(a) = e
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref().as_bytes() == key)
        && let Ok(v) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
    {
        w.ex.line(&format!("author: {v}"));
    }
}

/// Document properties: one line per property, `name: value` (a custom property's name is
/// its `name` attribute: `MailAddress: …`).
fn properties_text(xml: &[u8], ex: &mut Extracted) -> Result<(), String> {
    let s = xml_str(xml);
    let mut reader = Reader::from_str(&s);
    reader.config_mut().check_end_names = false;
    let mut stack: Vec<String> = Vec::new();
    let mut custom: Option<String> = None;
    let mut value = String::new();
    let flush =
        |stack: &[String], custom: &Option<String>, value: &mut String, ex: &mut Extracted| {
            let v = value.trim();
            if !v.is_empty() {
                let label = custom
                    .as_deref()
                    .or(stack.last().map(String::as_str))
                    .unwrap_or("property");
                ex.line(&format!("{label}: {v}"));
            }
            value.clear();
        };
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                flush(&stack, &custom, &mut value, ex);
                let local = e.local_name().as_ref().to_string();
                if local == "property" || local == "user-defined" {
                    custom = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == "name")
                        .and_then(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .ok()
                                .map(|v| v.into_owned())
                        });
                }
                stack.push(local);
            }
            Ok(Event::End(e)) => {
                flush(&stack, &custom, &mut value, ex);
                if matches!(e.local_name().as_ref(), "property" | "user-defined") {
                    custom = None;
                }
                stack.pop();
            }
            Ok(Event::Text(t)) => value.push_str(&t.xml10_content()),
            Ok(Event::CData(t)) => value.push_str(&t),
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    value.push(c);
                } else if let Some(v) = quick_xml::escape::resolve_predefined_entity(&r) {
                    value.push_str(v);
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

    fn body(xml: &str, dialect: Dialect) -> Extracted {
        let mut ex = Extracted::default();
        body_text(xml.as_bytes(), &mut ex, dialect).unwrap();
        ex
    }

    #[test]
    fn word_paragraphs_tables_and_what_is_left_out() {
        let xml = r#"<w:document xmlns:w="w" xmlns:mc="mc"><w:body>
            <w:p><w:r><w:t>联系人：张伟 </w:t></w:r><w:r><w:t>13812345678</w:t></w:r></w:p>
            <w:p><w:r><w:instrText> MERGEFIELD Email </w:instrText></w:r><w:r><w:t>«Email»</w:t></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>姓名</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>手机</w:t></w:r></w:p></w:tc></w:tr>
            <w:tr><w:tc><w:p><w:r><w:t>李娜</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>13912345678</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            <w:p><mc:AlternateContent><mc:Choice><w:txbxContent><w:p><w:r><w:t>box &amp; text</w:t></w:r></w:p></w:txbxContent></mc:Choice>
            <mc:Fallback><w:txbxContent><w:p><w:r><w:t>box &amp; text</w:t></w:r></w:p></w:txbxContent></mc:Fallback></mc:AlternateContent></w:p>
            </w:body></w:document>"#;
        let ex = body(xml, Dialect::Ooxml);
        assert_eq!(ex.text, "联系人：张伟 13812345678\n«Email»\nbox & text\n");
        assert_eq!(
            ex.tables,
            vec![Table {
                rows: vec![
                    vec!["姓名".to_string(), "手机".to_string()],
                    vec!["李娜".to_string(), "13912345678".to_string()]
                ]
            }]
        );
    }

    #[test]
    fn odf_text_spaces_and_tables() {
        let xml = r#"<office:document-content xmlns:text="t" xmlns:table="tb"><office:body><office:text>
            <text:h>简历</text:h><text:p>电话<text:s text:c="2"/>13812345678<text:line-break/>a@b.cn</text:p>
            <table:table><table:table-row><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row></table:table>
            </office:text></office:body></office:document-content>"#;
        let ex = body(xml, Dialect::Odf);
        assert_eq!(ex.text, "简历\n电话  13812345678\na@b.cn\n");
        assert_eq!(ex.tables.len(), 1);
    }

    #[test]
    fn custom_properties_are_named_lines() {
        let xml = r#"<Properties xmlns:vt="vt"><property fmtid="x" pid="2" name="MailAddress"><vt:lpwstr>a@example.com</vt:lpwstr></property></Properties>"#;
        let mut ex = Extracted::default();
        properties_text(xml.as_bytes(), &mut ex).unwrap();
        assert_eq!(ex.text, "MailAddress: a@example.com\n");
        assert!(natural_key("slide2.xml") < natural_key("slide10.xml"));
        assert!(
            inflate(&mut &b""[..], "x.xml", MAX_PART + 1, 10)
                .unwrap_err()
                .contains("zip bomb")
        );
    }
}
