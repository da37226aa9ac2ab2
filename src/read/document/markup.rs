//! HTML and XML as text: tags stripped, entities decoded.
//!
//! HTML is read line for line — each line of the page one record, so record numbers are its
//! line numbers as they were when HTML was read as plain text — through mail-parser's
//! `html_to_text` (named and numeric entities decoded), after the bytes are decoded in their
//! charset (a `<meta charset>` or the scanner's encoding detection, so a GBK page reads as
//! Chinese), scripts and styles dropped, and a space put before every block tag so that the
//! cells of a row stay apart. XML goes through quick-xml: an element whose children are all
//! leaves is one line of `child: value` pairs with its attributes — so that the fields of one
//! `<row>` or `<person>` stay one record — and other text is a line of its own.

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::{DocError, Extracted};
use crate::read::encoding;

/// The bytes as text: the charset a `<meta>` or XML declaration names, else detection.
fn decode(bytes: &[u8]) -> (String, String) {
    let head = &bytes[..bytes.len().min(4096)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    let declared = ["charset=", "encoding="].iter().find_map(|k| {
        let i = lower.find(k)? + k.len();
        let rest = lower[i..].trim_start_matches(['"', '\'', ' ']);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        encoding_rs::Encoding::for_label(&rest.as_bytes()[..end])
    });
    let det = encoding::detect(&bytes[..bytes.len().min(64 << 10)], bytes.len() <= 64 << 10);
    let enc = match declared {
        // A BOM beats a declaration; UTF-16 declared in an 8-bit file is a lie.
        Some(e) if det.bom == 0 && e != encoding_rs::UTF_16LE && e != encoding_rs::UTF_16BE => e,
        _ => det.encoding,
    };
    let (text, _, _) = enc.decode(bytes);
    (text.into_owned(), enc.name().to_ascii_lowercase())
}

/// Reads an HTML page: each line of the source is a line of text (a record), tags stripped
/// and entities decoded, so record numbers are the page's line numbers as in a text file.
/// Cells and blocks on one line are kept apart by a space: mail-parser's converter alone runs
/// adjacent cells together (`张伟13812345678a@x.cn`), which would join a phone number to the
/// e-mail address after it. Scripts and styles are dropped, their lines kept empty.
pub fn read_html(bytes: &[u8]) -> Result<Extracted, DocError> {
    let (text, enc) = decode(bytes);
    let mut ex = Extracted {
        encoding: Some(enc),
        ..Extracted::default()
    };
    let cleaned = drop_scripts(&text);
    for raw in cleaned.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let t = mail_parser::decoders::html::html_to_text(&space_blocks(line));
        let t = t.replace(['\n', '\r'], " ");
        if ex.text.len() + t.len() >= super::MAX_TEXT {
            ex.problem(format!(
                "stopped at {} MiB of text: the rest of the page was not read",
                super::MAX_TEXT >> 20
            ));
            break;
        }
        ex.text.push_str(t.trim());
        ex.text.push('\n');
    }
    Ok(ex)
}

/// HTML as text, line for line (an e-mail's or an Outlook message's HTML body).
pub fn html_to_lines(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    for raw in drop_scripts(html).split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let t = mail_parser::decoders::html::html_to_text(&space_blocks(line));
        out.push_str(t.replace(['\n', '\r'], " ").trim());
        out.push('\n');
    }
    out
}

/// Tags that end a piece of text: a table cell, a paragraph, a list item…
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "br",
    "tr",
    "td",
    "th",
    "li",
    "ul",
    "ol",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "hr",
    "title",
    "option",
];

/// A space before every block-level tag.
fn space_blocks(line: &str) -> String {
    let lower = line.to_ascii_lowercase();
    let mut out = String::with_capacity(line.len() + 16);
    let mut last = 0;
    for (i, _) in lower.match_indices('<') {
        let name: String = lower[i + 1..]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if BLOCK_TAGS.contains(&name.as_str()) {
            out.push_str(&line[last..i]);
            out.push(' ');
            last = i;
        }
    }
    out.push_str(&line[last..]);
    out
}

/// The page without `<script>` and `<style>` elements; the newlines inside them are kept.
fn drop_scripts(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    while i < html.len() {
        let next = ["<script", "<style"]
            .iter()
            .filter_map(|t| lower[i..].find(t).map(|j| (i + j, &t[1..])))
            .min();
        let Some((start, tag)) = next else {
            out.push_str(&html[i..]);
            break;
        };
        out.push_str(&html[i..start]);
        let close = format!("</{tag}");
        let end = match lower[start..].find(&close) {
            Some(j) => lower[start + j..]
                .find('>')
                .map_or(html.len(), |k| start + j + k + 1),
            None => html.len(),
        };
        out.extend(html[start..end].chars().filter(|&c| c == '\n'));
        i = end;
    }
    out
}

/// One open element of an XML file.
struct Frame {
    name: String,
    /// `name: value` of its leaf children and its attributes.
    pieces: Vec<String>,
    text: String,
    has_children: bool,
}

fn attributes(e: &BytesStart, into: &mut Vec<String>) {
    for a in e.attributes().flatten() {
        if let Ok(v) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
            let v = v.trim();
            if !v.is_empty() && a.key.as_ref().split(':').next() != Some("xmlns") {
                into.push(format!("{}: {v}", a.key.local_name().as_ref()));
            }
        }
    }
}

/// Reads an XML file.
pub fn read_xml(bytes: &[u8]) -> Result<Extracted, DocError> {
    let (text, enc) = decode(bytes);
    let mut ex = Extracted {
        encoding: Some(enc),
        ..Extracted::default()
    };
    let mut reader = Reader::from_str(&text);
    reader.config_mut().check_end_names = false;
    let mut stack: Vec<Frame> = vec![Frame {
        name: String::new(),
        pieces: Vec::new(),
        text: String::new(),
        has_children: true,
    }];
    let open = |e: &BytesStart, stack: &mut Vec<Frame>| {
        if let Some(parent) = stack.last_mut() {
            parent.has_children = true;
        }
        let mut pieces = Vec::new();
        attributes(e, &mut pieces);
        stack.push(Frame {
            name: e.local_name().as_ref().to_string(),
            pieces,
            text: String::new(),
            has_children: false,
        });
    };
    // An element ends: a leaf becomes a piece of its parent's line; a parent writes its line.
    let close = |stack: &mut Vec<Frame>, ex: &mut Extracted| {
        if stack.len() <= 1 {
            return;
        }
        let Some(f) = stack.pop() else { return };
        let text = f.text.trim();
        if !f.has_children {
            let parent = stack.last_mut().expect("root frame");
            if !text.is_empty() {
                parent.pieces.push(format!("{}: {text}", f.name));
            }
            parent.pieces.extend(f.pieces);
        } else {
            let mut line = f.pieces.join("  ");
            if !text.is_empty() {
                line = format!("{text}  {line}");
            }
            ex.line(&line);
        }
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => open(&e, &mut stack),
            Ok(Event::Empty(e)) => {
                open(&e, &mut stack);
                close(&mut stack, &mut ex);
            }
            Ok(Event::End(_)) => close(&mut stack, &mut ex),
            Ok(Event::Text(t)) => push_text(&mut stack, &t.xml10_content()),
            Ok(Event::CData(t)) => push_text(&mut stack, &t),
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    push_text(&mut stack, c.encode_utf8(&mut [0u8; 4]));
                } else if let Some(v) = quick_xml::escape::resolve_predefined_entity(&r) {
                    push_text(&mut stack, v);
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                ex.problem(format!(
                    "malformed XML at byte {}: {e}; read up to there",
                    reader.buffer_position()
                ));
                break;
            }
        }
        if ex.problem.is_some() && ex.text.len() >= super::MAX_TEXT {
            break;
        }
    }
    while stack.len() > 1 {
        close(&mut stack, &mut ex);
    }
    let root = stack.pop().expect("root frame");
    ex.line(&root.pieces.join("  "));
    ex.line(&root.text);
    Ok(ex)
}

fn push_text(stack: &mut [Frame], s: &str) {
    if let Some(f) = stack.last_mut() {
        // Text between child elements (mixed content) is its own line when the element is a
        // parent; kept with the element's own text otherwise.
        if f.text.len() < super::MAX_TEXT {
            f.text.push_str(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_records_stay_together() {
        let xml = "<?xml version=\"1.0\"?><people><person id=\"1\"><name>张伟</name><phone>13812345678</phone></person>\
                   <person id=\"2\" email=\"b@example.com\"><name>李娜 &amp; 王</name></person></people>";
        let ex = read_xml(xml.as_bytes()).unwrap();
        assert_eq!(
            ex.text,
            "id: 1  name: 张伟  phone: 13812345678\nid: 2  email: b@example.com  name: 李娜 & 王\n"
        );
    }

    #[test]
    fn html_in_gbk_without_tags() {
        let (gbk, _, _) = encoding_rs::GBK.encode(
            "<html><head><meta charset=\"gbk\"><style>p{}</style></head><body><p>张伟&nbsp;13812345678</p><script>x=1</script></body></html>",
        );
        let ex = read_html(&gbk).unwrap();
        assert_eq!(ex.encoding.as_deref(), Some("gbk"));
        assert!(ex.text.contains("张伟"), "{}", ex.text);
        assert!(ex.text.contains("13812345678"));
        assert!(
            !ex.text.contains("x=1") && !ex.text.contains("p{}"),
            "{}",
            ex.text
        );
    }
}
