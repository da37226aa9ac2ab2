//! Rich Text Format: the text of an RTF file, from its control words.
//!
//! Text comes in three forms: plain characters, `\'hh` bytes in the code page of the current
//! font (its `\fcharset` in the font table: 134 is GBK, 136 Big5, 128 Shift-JIS, 204
//! Windows-1251…, else the document's `\ansicpg`), decoded together so a double-byte character
//! split over two escapes comes out whole, and `\uN` code units (surrogate pairs joined), each
//! followed by `\ucN` fallback characters that are skipped. `\par`, `\line`, `\sect` and
//! `\page` end a line; `\tab` is a tab; `\cell` and `\row` make the rows of a table, scanned
//! under its header row as a docx table is. Destinations that hold no text are skipped: the
//! font, colour, style, list and revision tables, pictures and objects, field instructions
//! (`HYPERLINK "mailto:…"`: the field's result is kept) and every `\*` destination
//! this reader does not know. The `\info` group is read as `label: value` lines (title, subject,
//! author, operator, company, manager, keywords, comment), as a docx's properties are.
//!
//! Bounded: groups nest at most [`MAX_DEPTH`] deep (past it the rest is not read, `partial`),
//! `\bin` data is skipped by its declared length within the file, and the text kept is capped by
//! [`super::MAX_TEXT`].
//!
//! Written by hand: the `rtf-parser` crate (0.4) decodes neither `\fcharset` code pages nor
//! `\'hh` double-byte text, and pulls `wasm-bindgen` in; the other RTF readers found are modules
//! of large document-conversion frameworks.

use std::collections::HashMap;

use encoding_rs::Encoding;

use super::{DocError, Extracted};

/// Deepest group nesting followed.
pub const MAX_DEPTH: usize = 512;

/// What the text of a group is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Text,
    Skip,
    FontTable,
    Info,
    /// A property of `\info`, read as a line with this label.
    InfoField(&'static str),
}

#[derive(Debug, Clone, Copy)]
struct Group {
    dest: Dest,
    /// Fallback characters after a `\uN`.
    uc: u32,
    font: Option<i32>,
}

struct Rtf<'a> {
    src: &'a [u8],
    at: usize,
    ansi: &'static Encoding,
    deff: Option<i32>,
    fonts: HashMap<i32, &'static Encoding>,
    /// The font being defined in the font table.
    font_def: Option<i32>,
    stack: Vec<Group>,
    cur: Group,
    /// Fallback characters still to skip.
    skip: u32,
    /// 8-bit bytes waiting to be decoded in the current font's code page.
    bytes: Vec<u8>,
    high_surrogate: Option<u16>,
    /// Text of the body, and of the `\info` field being read.
    out: String,
    field: String,
    /// Where the line being written starts in `out`; the cells of the table row being read,
    /// and its rows.
    line_start: usize,
    cells: Vec<String>,
    rows: Vec<Vec<String>>,
    ex: Extracted,
}

/// Reads an RTF file.
pub fn read_rtf(bytes: &[u8]) -> Result<Extracted, DocError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if !body.starts_with(b"{\\rtf") {
        return Err(DocError::unreadable(
            "not RTF: the file does not start with `{\\rtf`",
        ));
    }
    let mut r = Rtf {
        src: body,
        at: 0,
        ansi: encoding_rs::WINDOWS_1252,
        deff: None,
        fonts: HashMap::new(),
        font_def: None,
        stack: Vec::new(),
        cur: Group {
            dest: Dest::Text,
            uc: 1,
            font: None,
        },
        skip: 0,
        bytes: Vec::new(),
        high_surrogate: None,
        out: String::new(),
        field: String::new(),
        line_start: 0,
        cells: Vec::new(),
        rows: Vec::new(),
        ex: Extracted::default(),
    };
    r.run();
    r.flush();
    if !r.cells.is_empty() {
        let row = std::mem::take(&mut r.cells);
        r.rows.push(row);
    }
    r.end_table();
    let out = std::mem::take(&mut r.out);
    r.ex.lines(&out);
    Ok(r.ex)
}

/// The code page of an `\fcharset`; `None` for the document's own.
fn charset_encoding(charset: i32) -> Option<&'static Encoding> {
    use encoding_rs::*;
    Some(match charset {
        77 => MACINTOSH,
        128 => SHIFT_JIS,
        129 | 130 => EUC_KR,
        134 => GBK,
        136 => BIG5,
        161 => WINDOWS_1253,
        162 => WINDOWS_1254,
        163 => WINDOWS_1258,
        177 => WINDOWS_1255,
        178 => WINDOWS_1256,
        186 => WINDOWS_1257,
        204 => WINDOWS_1251,
        222 => WINDOWS_874,
        238 => WINDOWS_1250,
        _ => return None,
    })
}

/// Destinations whose content is no text of the document.
const SKIPPED: &[&[u8]] = &[
    b"colortbl",
    b"stylesheet",
    b"listtable",
    b"listoverridetable",
    b"revtbl",
    b"rsidtbl",
    b"generator",
    b"pict",
    b"object",
    b"objdata",
    b"fldinst",
    b"filetbl",
    b"themedata",
    b"colorschememapping",
    b"datastore",
    b"latentstyles",
    b"xmlnstbl",
    b"pgdsctbl",
    b"private",
    b"nonshppict",
    b"shpinst",
    b"bkmkstart",
    b"bkmkend",
    b"creatim",
    b"revtim",
    b"printim",
    b"buptim",
    b"userprops",
    b"template",
];

const INFO: &[(&[u8], &str)] = &[
    (b"title", "title"),
    (b"subject", "subject"),
    (b"author", "author"),
    (b"operator", "operator"),
    (b"manager", "manager"),
    (b"company", "company"),
    (b"keywords", "keywords"),
    (b"comment", "comment"),
    (b"doccomm", "comments"),
];

impl Rtf<'_> {
    fn run(&mut self) {
        while let Some(&c) = self.src.get(self.at) {
            self.at += 1;
            match c {
                b'{' => {
                    if self.stack.len() >= MAX_DEPTH {
                        self.ex.problem(format!(
                            "rtf: groups nest deeper than {MAX_DEPTH} at byte {}; the rest was \
                             not read",
                            self.at - 1
                        ));
                        return;
                    }
                    self.flush();
                    self.stack.push(self.cur);
                    self.skip = 0;
                    // `{\*\dest …}`: a destination to skip unless it is known.
                    if self.src[self.at..].starts_with(b"\\*") {
                        self.at += 2;
                        let word = self.peek_word();
                        let known = matches!(word, b"fldinst" | b"company" | b"manager")
                            || INFO.iter().any(|(w, _)| *w == word);
                        if !known {
                            self.cur.dest = Dest::Skip;
                        }
                    }
                }
                b'}' => {
                    self.flush();
                    self.end_field();
                    self.skip = 0;
                    match self.stack.pop() {
                        Some(g) => self.cur = g,
                        None => return,
                    }
                }
                b'\\' => self.control(),
                b'\r' | b'\n' => {}
                _ => self.byte(c),
            }
        }
        if !self.stack.is_empty() {
            self.ex.problem(format!(
                "rtf: the file ends inside {} open group(s) (truncated?)",
                self.stack.len()
            ));
        }
    }

    fn peek_word(&self) -> &[u8] {
        let rest = self.src[self.at..].strip_prefix(b"\\").unwrap_or(&[]);
        let n = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        &rest[..n]
    }

    /// A control word or symbol, after its backslash.
    fn control(&mut self) {
        let Some(&c) = self.src.get(self.at) else {
            return;
        };
        if !c.is_ascii_alphabetic() {
            self.at += 1;
            match c {
                b'\'' => {
                    let hex = self.src.get(self.at..self.at + 2).and_then(|h| {
                        std::str::from_utf8(h)
                            .ok()
                            .and_then(|h| u8::from_str_radix(h, 16).ok())
                    });
                    if let Some(b) = hex {
                        self.at += 2;
                        self.byte_escaped(b);
                    }
                }
                b'\\' | b'{' | b'}' => self.byte_escaped(c),
                b'~' => self.text_char(' '),
                b'_' => self.text_char('-'),
                b'\r' | b'\n' => self.text_char('\n'),
                b'*' | b'-' | b':' | b'|' => {}
                _ => {}
            }
            return;
        }
        let start = self.at;
        while self
            .src
            .get(self.at)
            .is_some_and(|b| b.is_ascii_alphabetic())
            && self.at - start < 32
        {
            self.at += 1;
        }
        let word = &self.src[start..self.at];
        let num_start = self.at;
        if self.src.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        while self.src.get(self.at).is_some_and(u8::is_ascii_digit) && self.at - num_start < 11 {
            self.at += 1;
        }
        let param: Option<i64> = std::str::from_utf8(&self.src[num_start..self.at])
            .ok()
            .and_then(|s| s.parse().ok());
        if self.src.get(self.at) == Some(&b' ') {
            self.at += 1;
        }
        self.word(word, param);
    }

    fn word(&mut self, word: &[u8], param: Option<i64>) {
        let p32 = param.and_then(|p| i32::try_from(p).ok());
        match word {
            b"bin" => {
                // Binary data: skipped by its length, within the file.
                let n = param.unwrap_or(0).max(0) as usize;
                self.at = self.at.saturating_add(n).min(self.src.len());
                return;
            }
            b"ansicpg" => {
                if let Some(e) = p32
                    .and_then(|p| u16::try_from(p).ok())
                    .and_then(codepage::to_encoding)
                {
                    self.ansi = e;
                }
                return;
            }
            b"mac" => {
                self.ansi = encoding_rs::MACINTOSH;
                return;
            }
            b"deff" => {
                self.deff = p32;
                return;
            }
            b"uc" => {
                self.cur.uc = param.unwrap_or(1).clamp(0, 16) as u32;
                return;
            }
            _ => {}
        }
        if let Some(g) = self.dest_of(word) {
            self.flush();
            self.cur.dest = g;
            return;
        }
        match self.cur.dest {
            Dest::Skip => {}
            Dest::FontTable => match word {
                b"f" => self.font_def = p32,
                b"fcharset" | b"cpg" => {
                    let enc = if word == b"cpg" {
                        p32.and_then(|p| u16::try_from(p).ok())
                            .and_then(codepage::to_encoding)
                    } else {
                        p32.and_then(charset_encoding)
                    };
                    if let (Some(f), Some(e)) = (self.font_def, enc) {
                        self.fonts.insert(f, e);
                    }
                }
                _ => {}
            },
            Dest::Text | Dest::Info | Dest::InfoField(_) => match word {
                b"f" => {
                    self.flush();
                    self.cur.font = p32;
                }
                b"u" => {
                    if let Some(p) = param {
                        let unit = if p < 0 { p + 65536 } else { p } as u16;
                        self.unicode(unit);
                        self.skip = self.cur.uc;
                    }
                }
                b"cell" if self.cur.dest == Dest::Text => self.cell(),
                b"row" if self.cur.dest == Dest::Text => self.row(),
                b"par" | b"line" | b"sect" | b"page" if self.cur.dest == Dest::Text => {
                    if self.cells.is_empty() {
                        self.end_table();
                        self.text_char('\n');
                    } else {
                        // A paragraph inside a cell of the row being read.
                        self.text_char(' ');
                    }
                }
                b"par" | b"line" | b"row" | b"sect" | b"page" | b"nestrow" => self.text_char('\n'),
                b"tab" | b"cell" | b"nestcell" => self.text_char('\t'),
                b"emdash" => self.text_char('\u{2014}'),
                b"endash" => self.text_char('\u{2013}'),
                b"lquote" => self.text_char('\u{2018}'),
                b"rquote" => self.text_char('\u{2019}'),
                b"ldblquote" => self.text_char('\u{201C}'),
                b"rdblquote" => self.text_char('\u{201D}'),
                b"bullet" => self.text_char('\u{2022}'),
                b"emspace" | b"enspace" | b"qmspace" => self.text_char(' '),
                _ => {}
            },
        }
    }

    /// The destination a control word starts, if it starts one.
    fn dest_of(&self, word: &[u8]) -> Option<Dest> {
        if word == b"fonttbl" {
            return Some(Dest::FontTable);
        }
        if word == b"info" {
            return Some(Dest::Info);
        }
        if SKIPPED.contains(&word) {
            return Some(Dest::Skip);
        }
        if self.cur.dest == Dest::Info {
            return Some(
                INFO.iter()
                    .find(|(w, _)| *w == word)
                    .map(|&(_, label)| Dest::InfoField(label))
                    .unwrap_or(Dest::Skip),
            );
        }
        None
    }

    /// A byte of text as it stands in the file.
    fn byte(&mut self, b: u8) {
        if self.cur.dest == Dest::FontTable || self.skip_one() {
            return;
        }
        if b < 0x80 {
            self.flush();
            self.push(b as char);
        } else {
            self.bytes.push(b);
        }
    }

    /// A byte given as `\'hh` (or an escaped `\\`, `\{`, `\}`).
    fn byte_escaped(&mut self, b: u8) {
        if self.cur.dest == Dest::FontTable || self.skip_one() {
            return;
        }
        self.bytes.push(b);
    }

    /// `true` when this character is a `\uN` fallback to skip.
    fn skip_one(&mut self) -> bool {
        if self.skip > 0 {
            self.skip -= 1;
            return true;
        }
        false
    }

    fn text_char(&mut self, c: char) {
        self.skip = 0;
        self.flush();
        self.push(c);
    }

    fn unicode(&mut self, unit: u16) {
        self.flush();
        match unit {
            0xD800..=0xDBFF => self.high_surrogate = Some(unit),
            0xDC00..=0xDFFF => {
                if let Some(h) = self.high_surrogate.take() {
                    let c = char::decode_utf16([h, unit])
                        .next()
                        .and_then(Result::ok)
                        .unwrap_or('\u{FFFD}');
                    self.push(c);
                }
            }
            _ => self.push(char::from_u32(unit as u32).unwrap_or('\u{FFFD}')),
        }
    }

    /// The code page of the current font.
    fn encoding(&self) -> &'static Encoding {
        self.cur
            .font
            .or(self.deff)
            .and_then(|f| self.fonts.get(&f).copied())
            .unwrap_or(self.ansi)
    }

    /// Decodes the pending 8-bit bytes.
    fn flush(&mut self) {
        if self.bytes.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.bytes);
        let (s, _) = self.encoding().decode_without_bom_handling(&bytes);
        for c in s.chars() {
            self.push(c);
        }
    }

    /// `\cell`: the text since the line started is a cell of the row.
    fn cell(&mut self) {
        self.skip = 0;
        self.flush();
        let cell = self.out[self.line_start..].trim().to_string();
        self.out.truncate(self.line_start);
        self.cells.push(cell);
    }

    /// `\row`: the row's cells are a row of the table being read.
    fn row(&mut self) {
        self.flush();
        if self.out[self.line_start..].trim().is_empty() {
            self.out.truncate(self.line_start);
        } else {
            self.cell();
        }
        let row = std::mem::take(&mut self.cells);
        self.rows.push(row);
    }

    fn end_table(&mut self) {
        if !self.rows.is_empty() {
            let rows = std::mem::take(&mut self.rows);
            self.ex.tables.push(super::Table { rows });
        }
    }

    fn push(&mut self, c: char) {
        if c.is_control() && c != '\n' && c != '\t' {
            return;
        }
        match self.cur.dest {
            Dest::Text => {
                self.out.push(c);
                if c == '\n' {
                    if self.out.len() > 1 << 20 {
                        let out = std::mem::take(&mut self.out);
                        self.ex.lines(&out);
                    }
                    self.line_start = self.out.len();
                }
            }
            Dest::InfoField(_) => self.field.push(c),
            _ => {}
        }
    }

    /// At the end of a group: the `\info` field it held, as a line.
    fn end_field(&mut self) {
        if let Dest::InfoField(label) = self.cur.dest {
            let v = std::mem::take(&mut self.field);
            let v = v.trim();
            if !v.is_empty() {
                self.ex.line(&format!("{label}: {v}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(rtf: &str) -> String {
        read_rtf(rtf.as_bytes()).unwrap().text
    }

    #[test]
    fn text_code_pages_unicode_and_separators() {
        let rtf = r#"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fnil\fcharset0 Arial;}{\f1\fnil\fcharset134 SimSun;}{\f2\fcharset204 Cyr;}}
{\colortbl;\red0\green0\blue0;}{\stylesheet{\s1 Heading 1;}}{\*\generator Msftedit;}
{\info{\title \'c1 Memo}{\author Jon Iles}{\creatim\yr2020}}
\pard\f0 Ren\'e9\tab M\par
\f1\'d5\'c5\'ce\'b0 13812345678\par
\f2\'c0\'e1\line
\uc1\u24352?\u20255?\uc2\u-30158 xx\uc1\u55357?\u56832?\par
{\field{\*\fldinst HYPERLINK ""mailto:a@b.cn""}{\fldrslt link}}\cell 3\row
{\*\unknowndest secret 13900000000}\bin3 {}zx\~y\par}"#;
        let ex = read_rtf(rtf.as_bytes()).unwrap();
        assert_eq!(ex.problem, None);
        assert_eq!(
            ex.text,
            "title: Á Memo\nauthor: Jon Iles\nRené\tM\n张伟 13812345678\nАб\n张伟\u{8A32}😀\nx y\n"
        );
        assert_eq!(ex.tables.len(), 1);
        assert_eq!(
            ex.tables[0].rows,
            vec![vec!["link".to_string(), "3".to_string()]]
        );
    }

    #[test]
    fn shift_jis_double_byte_escapes() {
        let t = text(
            r"{\rtf1\ansi\ansicpg932\deff0{\fonttbl{\f0\fcharset128 \'82\'6c;}}\f0\'82\'a8\'8c\'b3\'8b\'43\'82\'c5\'82\'b7\'82\'a9\'81\'48\par}",
        );
        assert_eq!(t, "お元気ですか？\n");
    }

    #[test]
    fn bounded_and_never_panics() {
        let deep = format!("{{\\rtf1 {}", "{".repeat(MAX_DEPTH + 10));
        let ex = read_rtf(deep.as_bytes()).unwrap();
        assert!(ex.problem.unwrap().contains("nest deeper"));
        let cut = read_rtf(b"{\\rtf1 hello {\\b world").unwrap();
        assert_eq!(cut.text, "hello world\n");
        assert!(cut.problem.unwrap().contains("ends inside 2 open group"));
        assert!(read_rtf(b"hello").is_err());
        for s in [
            &b"{\\rtf1\\u"[..],
            b"{\\rtf1\\'",
            b"{\\rtf1\\'zz",
            b"{\\rtf1\\bin99999999999999999999 x}",
            b"{\\rtf1\\u-99999999999?}",
            b"{\\rtf1\\uc99999\\u65 abc}",
            b"{\\rtf1}}}}",
            b"{\\rtf1\\\xff\xfe}",
        ] {
            let _ = read_rtf(s);
        }
    }
}
