//! Legacy Office binaries: Word 97–2003 `.doc` and PowerPoint 97–2003 `.ppt` (OLE2 compound
//! files, opened with the `cfb` crate), and the pre-OLE Word 2.0 `.doc`.
//!
//! Word 97–2003 ([MS-DOC]): the File Information Block at the start of the `WordDocument`
//! stream gives the character counts of the main text and of each subdocument (`ccpText`,
//! `ccpFtn`, `ccpHdd`, `ccpAtn`, `ccpEdn`, `ccpTxbx`, `ccpHdrTxbx`: footnotes, headers and
//! footers, comments, endnotes, text boxes) and where the piece table (`CLX`) sits in the
//! `0Table`/`1Table` stream. Each piece is a run of UTF-16LE text, or of 8-bit "compressed"
//! text (Windows-1252), in the `WordDocument` stream; they are read in order for all those
//! characters. Field codes (between the field-begin and field-separator marks: `HYPERLINK`,
//! `MERGEFIELD`…) are left out, their results kept; a paragraph mark is a new line; table cells
//! (each ended by a cell mark, a row by one more) are the rows of a table, scanned under its
//! header row as a docx table is.
//!
//! Word 6.0/95 (`wIdent` 0xA5DC, `nFib` 101–105) and Word 2.0 (no OLE container: the file
//! starts with its FIB, `wIdent` 0xA5DB) have no piece table when they were not fast-saved: their
//! text is the 8-bit run `fcMin..fcMac` (body, footnotes and headers one after the other) in the
//! code page of the document's language (`lid`: GBK for zh-CN, Big5 for zh-TW, Windows-1251 for
//! Russian or Bulgarian…). It is read, and the file is `partial` with that said. A fast-saved
//! (complex) Word 6/95 file has only its properties read and says why (`unreadable`, or
//! `partial` when it has properties). An encrypted file (`fEncrypted`: RC4 or XOR obfuscation)
//! has its unencrypted document properties read and is reported `encrypted`.
//!
//! PowerPoint 97–2003 ([MS-PPT]): the records of the `PowerPoint Document` stream are walked
//! (containers entered, every length bounded by its parent), and the text atoms kept:
//! `TextCharsAtom` (UTF-16LE), `TextBytesAtom` (8-bit) and `CString` (comments, their authors,
//! slide and template names; comments sit in the data of programmable tags). Not read: the
//! text of the masters (slide, notes and handout masters: template prompts, as pptx layouts are
//! not read), the tags' names (`___PPT10`…), and a text seen before: a deck keeps each text in
//! its slide list and its drawing, and the older copies of edited slides. An encrypted deck
//! (`CryptSession10Container` record or `EncryptedSummary` stream) is reported `encrypted`.
//!
//! Both read the `SummaryInformation` and `DocumentSummaryInformation` property sets
//! ([MS-OLEPS]: title, subject, author, keywords, comments, last saved by, company, manager), in
//! the code page the set declares.
//!
//! Written here over `cfb` because no maintained crate reads them on its own: the Rust readers
//! of `.doc`/`.ppt` text found (kreuzberg, xberg, kakemono, extend-docx…) are modules of large
//! document-conversion frameworks that would bring hundreds of dependencies for these few hundred
//! lines.

use std::io::{Cursor, Read};
use std::path::Path;

use encoding_rs::Encoding;

use super::{DocError, Extracted, MAX_PART, Table};

type Ole<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// `wIdent` of a Word 97 and later FIB; of a Word 6.0/95 one; of a Word 2.0 one.
const WORD_IDENT: u16 = 0xA5EC;
const WORD6_IDENT: u16 = 0xA5DC;
const WORD2_IDENT: u16 = 0xA5DB;
/// First `nFib` of Word 97.
const NFIB_97: u16 = 0x00C1;
/// Most characters read from one document (each a few bytes of text): past it, `partial`.
const MAX_CHARS: u32 = 64 << 20;
/// Most pieces in a piece table.
const MAX_PIECES: usize = 1 << 20;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn open<'a>(bytes: &'a [u8], what: &str) -> Result<Ole<'a>, DocError> {
    cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| DocError::unreadable(format!("corrupt {what} (OLE2 structure: {e})")))
}

/// A stream of the compound file, at most [`MAX_PART`] bytes.
fn stream(cf: &mut Ole<'_>, name: &str) -> Result<Vec<u8>, String> {
    let path = Path::new(name);
    let len = cf.entry(path).map_err(|e| e.to_string())?.len();
    if len > MAX_PART {
        return Err(format!(
            "is {} MiB, past the {} MiB limit",
            len >> 20,
            MAX_PART >> 20
        ));
    }
    let mut buf = Vec::new();
    cf.open_stream(path)
        .and_then(|s| s.take(MAX_PART).read_to_end(&mut buf))
        .map_err(|e| e.to_string())?;
    Ok(buf)
}

// ---- Word -----------------------------------------------------------------------------------

/// Reads a Word document: 97–2003 (OLE2), 6.0/95 (OLE2) or 2.0 (a bare FIB).
pub fn read_doc(bytes: &[u8]) -> Result<Extracted, DocError> {
    if !bytes.starts_with(CFB_MAGIC) {
        if u16_at(bytes, 0) == Some(WORD2_IDENT) {
            let mut ex = Extracted::default();
            old_word(bytes, "Word 2.0", &mut ex)?;
            return Ok(ex);
        }
        return Err(DocError::unreadable(
            "not a Word document: neither an OLE2 compound file nor a Word 2.0 file",
        ));
    }
    let mut cf = open(bytes, "doc")?;
    let mut ex = Extracted::default();
    properties(&mut cf, &mut ex);
    let word = stream(&mut cf, "/WordDocument")
        .map_err(|e| DocError::unreadable(format!("doc: stream `WordDocument` {e}")))?;
    let (Some(ident), Some(nfib), Some(flags)) =
        (u16_at(&word, 0), u16_at(&word, 2), u16_at(&word, 0x0A))
    else {
        return Err(DocError::unreadable(
            "doc: the `WordDocument` stream is too short for its File Information Block",
        ));
    };
    if ident != WORD_IDENT && ident != WORD6_IDENT {
        return Err(DocError::unreadable(format!(
            "doc: the File Information Block starts with {ident:#06x}, not Word's {WORD_IDENT:#06x}"
        )));
    }
    if flags & 0x0100 != 0 {
        let how = if flags & 0x8000 != 0 {
            "XOR obfuscation"
        } else if nfib >= NFIB_97 {
            "RC4"
        } else {
            "Word 6/95 encryption"
        };
        ex.problem(format!(
            "encrypted: password-protected Word document ({how}); its text cannot be read \
             without the password (only its document properties were read)"
        ));
        return Ok(ex);
    }
    if nfib < NFIB_97 || ident == WORD6_IDENT {
        let version = if nfib >= 101 {
            "Word 6.0/95"
        } else {
            "Word 2.0 or older"
        };
        old_word(&word, version, &mut ex)?;
        return Ok(ex);
    }
    let table_name = if flags & 0x0200 != 0 {
        "/1Table"
    } else {
        "/0Table"
    };
    let table = stream(&mut cf, table_name).map_err(|e| {
        DocError::unreadable(format!(
            "doc: stream `{}` {e}",
            table_name.trim_start_matches('/')
        ))
    })?;
    let fib = Fib97::parse(&word)
        .ok_or_else(|| DocError::unreadable("doc: truncated File Information Block"))?;
    let clx = table
        .get(fib.fc_clx as usize..)
        .and_then(|t| t.get(..fib.lcb_clx as usize))
        .ok_or_else(|| {
            DocError::unreadable(format!(
                "doc: the piece table (fcClx {} + lcbClx {}) lies past the end of `{}` ({} bytes)",
                fib.fc_clx,
                fib.lcb_clx,
                table_name.trim_start_matches('/'),
                table.len()
            ))
        })?;
    let pieces = pieces(clx).map_err(|e| DocError::unreadable(format!("doc: piece table: {e}")))?;
    let want = fib.ccp_total();
    let mut text = WordText::default();
    let mut cps = 0u32;
    for (i, p) in pieces.iter().enumerate() {
        if cps >= want {
            break;
        }
        let n = (p.cp_end - p.cp_start).min(want - cps);
        let ok = if p.compressed {
            let at = (p.fc / 2) as usize;
            word.get(at..at + n as usize).map(|b| {
                let (s, _, _) = encoding_rs::WINDOWS_1252.decode(b);
                s.chars().for_each(|c| text.push(c));
            })
        } else {
            let at = p.fc as usize;
            word.get(at..at + 2 * n as usize).map(|b| {
                char::decode_utf16(b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])))
                    .for_each(|c| text.push(c.unwrap_or('\u{FFFD}')))
            })
        };
        if ok.is_none() {
            ex.problem(format!(
                "doc: piece {i} (characters {}..{} at byte {}) lies past the end of the \
                 `WordDocument` stream; the text after it was not read",
                p.cp_start, p.cp_end, p.fc
            ));
            break;
        }
        cps += n;
    }
    if cps < want && ex.problem.is_none() {
        if want == MAX_CHARS {
            ex.problem(format!(
                "doc: more than {} M characters; the rest was not read",
                MAX_CHARS >> 20
            ));
        } else {
            ex.problem(format!(
                "doc: the piece table covers {cps} of the {want} characters the File \
                 Information Block declares; the rest was not read"
            ));
        }
    }
    text.finish(&mut ex);
    Ok(ex)
}

/// What is read of a Word 97 FIB: the character counts and where the CLX is.
struct Fib97 {
    ccp: [u32; 7],
    fc_clx: u32,
    lcb_clx: u32,
}

impl Fib97 {
    fn parse(w: &[u8]) -> Option<Fib97> {
        let csw = u16_at(w, 32)? as usize;
        let lw = 34 + 2 * csw;
        let cslw = u16_at(w, lw)? as usize;
        let rg_lw = lw + 2;
        // fibRgLw97: ccpText is the 4th long, then ccpFtn, ccpHdd, ccpMcr (unused), ccpAtn,
        // ccpEdn, ccpTxbx, ccpHdrTxbx.
        let long = |i: usize| {
            if i < cslw {
                u32_at(w, rg_lw + 4 * i)
            } else {
                Some(0)
            }
        };
        let ccp = [
            long(3)?,
            long(4)?,
            long(5)?,
            long(7)?,
            long(8)?,
            long(9)?,
            long(10)?,
        ];
        let fc = rg_lw + 4 * cslw;
        let cb = u16_at(w, fc)? as usize;
        // fcClx/lcbClx: pair 33 of fibRgFcLcb97.
        if cb <= 33 {
            return None;
        }
        let at = fc + 2 + 33 * 8;
        Some(Fib97 {
            ccp,
            fc_clx: u32_at(w, at)?,
            lcb_clx: u32_at(w, at + 4)?,
        })
    }

    /// All characters of the document: the main text, each subdocument, and the final mark
    /// that follows the subdocuments when there are any.
    fn ccp_total(&self) -> u32 {
        let sub: u64 = self.ccp[1..].iter().map(|&c| c as u64).sum();
        let total = self.ccp[0] as u64 + sub + u64::from(sub > 0);
        total.min(MAX_CHARS as u64) as u32
    }
}

struct Piece {
    cp_start: u32,
    cp_end: u32,
    fc: u32,
    compressed: bool,
}

/// The piece descriptors of a CLX: `Prc` entries (skipped) then the `Pcdt`.
fn pieces(clx: &[u8]) -> Result<Vec<Piece>, String> {
    let mut at = 0usize;
    loop {
        match clx.get(at) {
            Some(1) => {
                let cb = u16_at(clx, at + 1).ok_or("truncated property modifier (Prc)")?;
                at += 3 + cb as usize;
            }
            Some(2) => break,
            Some(t) => return Err(format!("unexpected entry type {t} at byte {at} of the CLX")),
            None => return Err("no piece descriptor table (Pcdt) in the CLX".into()),
        }
    }
    let lcb = u32_at(clx, at + 1).ok_or("truncated Pcdt")? as usize;
    let plc = clx
        .get(at + 5..)
        .and_then(|p| p.get(..lcb))
        .ok_or_else(|| format!("the Pcdt declares {lcb} bytes, past the end of the CLX"))?;
    if plc.len() < 4 || (plc.len() - 4) % 12 != 0 {
        return Err(format!(
            "the PlcPcd is {} bytes, not 4 + 12 per piece",
            plc.len()
        ));
    }
    let n = (plc.len() - 4) / 12;
    if n > MAX_PIECES {
        return Err(format!("{n} pieces, past the limit of {MAX_PIECES}"));
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let cp_start = u32_at(plc, 4 * i).unwrap_or(0);
        let cp_end = u32_at(plc, 4 * (i + 1)).unwrap_or(0);
        if cp_end < cp_start {
            return Err(format!(
                "piece {i} ends (character {cp_end}) before it starts ({cp_start})"
            ));
        }
        let fc = u32_at(plc, 4 * (n + 1) + 8 * i + 2).unwrap_or(0);
        out.push(Piece {
            cp_start,
            cp_end,
            fc: fc & 0x3FFF_FFFF,
            compressed: fc & 0x4000_0000 != 0,
        });
    }
    Ok(out)
}

/// Word 6.0/95 and 2.0 without fast-save: the 8-bit text run `fcMin..fcMac`.
fn old_word(word: &[u8], version: &str, ex: &mut Extracted) -> Result<(), DocError> {
    let (Some(nfib), Some(lid), Some(flags), Some(fc_min), Some(fc_mac)) = (
        u16_at(word, 2),
        u16_at(word, 6),
        u16_at(word, 0x0A),
        u32_at(word, 0x18),
        u32_at(word, 0x1C),
    ) else {
        return Err(DocError::unreadable(format!(
            "doc ({version}): truncated File Information Block"
        )));
    };
    if flags & 0x0100 != 0 {
        ex.problem(format!(
            "encrypted: password-protected {version} document; its text cannot be read without \
             the password"
        ));
        return Ok(());
    }
    if flags & 0x0004 != 0 {
        ex.problem(format!(
            "doc: {version} format (nFib {nfib}) saved with fast save: its text is in a piece \
             table this version does not read; not read (open and save it as .docx to scan it)"
        ));
        return Ok(());
    }
    let Some(run) = word
        .get(fc_min as usize..fc_mac as usize)
        .filter(|r| !r.is_empty())
    else {
        return Err(DocError::unreadable(format!(
            "doc ({version}, nFib {nfib}): its text run {fc_min}..{fc_mac} lies outside the file"
        )));
    };
    let enc = lid_encoding(lid);
    let (s, _, _) = enc.decode(&run[..run.len().min(MAX_CHARS as usize)]);
    let mut text = WordText::default();
    s.chars().for_each(|c| text.push(c));
    text.finish(ex);
    ex.problem(format!(
        "doc: {version} format (nFib {nfib}): its single text run was read as {} text (body, \
         footnotes, headers together), not through a Word 97 piece table",
        enc.name()
    ));
    Ok(())
}

/// The ANSI code page of a Windows language id, for 8-bit Word 6/95 text.
fn lid_encoding(lid: u16) -> &'static Encoding {
    use encoding_rs::*;
    match lid & 0x3FF {
        0x04 if matches!(lid, 0x0404 | 0x0C04 | 0x1404) => BIG5,
        0x04 => GBK,
        0x11 => SHIFT_JIS,
        0x12 => EUC_KR,
        0x02 | 0x19 | 0x22 | 0x23 | 0x2F => WINDOWS_1251,
        0x05 | 0x0E | 0x15 | 0x18 | 0x1A | 0x1B | 0x24 => WINDOWS_1250,
        0x08 => WINDOWS_1253,
        0x1F => WINDOWS_1254,
        0x0D => WINDOWS_1255,
        0x01 => WINDOWS_1256,
        0x25..=0x27 => WINDOWS_1257,
        0x1E => WINDOWS_874,
        0x2A => WINDOWS_1258,
        _ => WINDOWS_1252,
    }
}

/// Word's text with its special characters: paragraph marks end a line, fields keep their
/// result and drop their code, and table cells (each ended by a cell mark, a row by a second
/// one) become the rows of a [`Table`], so a table with a header row is scanned as records of
/// named fields as in a docx.
#[derive(Default)]
struct WordText {
    out: String,
    line: String,
    cells: Vec<String>,
    rows: Vec<Vec<String>>,
    tables: Vec<Table>,
    /// Open fields: `true` while in the field's code (before its separator).
    fields: Vec<bool>,
    last_cell: bool,
}

impl WordText {
    fn push(&mut self, c: char) {
        let cell = c == '\u{7}';
        match c {
            '\u{13}' => {
                if self.fields.len() < 64 {
                    self.fields.push(true);
                }
            }
            '\u{14}' => {
                if let Some(f) = self.fields.last_mut() {
                    *f = false;
                }
            }
            '\u{15}' => {
                self.fields.pop();
            }
            _ if self.fields.iter().any(|&code| code) => {}
            // A cell mark after a cell mark ends the row.
            '\u{7}' if self.last_cell => {
                let row = std::mem::take(&mut self.cells);
                self.rows.push(row);
            }
            '\u{7}' => {
                let cell = std::mem::take(&mut self.line);
                self.cells.push(cell.trim().to_string());
            }
            '\r' | '\u{B}' | '\u{C}' | '\u{E}' => {
                if self.cells.is_empty() {
                    self.end_table();
                    self.out.push_str(&self.line);
                    self.out.push('\n');
                    self.line.clear();
                } else {
                    // A paragraph inside a cell of the row being read.
                    self.line.push(' ');
                }
            }
            '\u{1E}' | '\u{2011}' => self.line.push('-'),
            '\u{A0}' => self.line.push(' '),
            '\u{1F}' | '\u{AD}' => {}
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => self.line.push(c),
        }
        self.last_cell = cell && !self.last_cell;
    }

    fn end_table(&mut self) {
        if !self.rows.is_empty() {
            let rows = std::mem::take(&mut self.rows);
            self.tables.push(Table { rows });
        }
    }

    /// The text and the tables, into `ex`.
    fn finish(mut self, ex: &mut Extracted) {
        if !self.cells.is_empty() {
            let row = std::mem::take(&mut self.cells);
            self.rows.push(row);
        }
        self.end_table();
        self.out.push_str(&self.line);
        ex.tables.append(&mut self.tables);
        ex.lines(&self.out);
    }
}

// ---- PowerPoint ----------------------------------------------------------------------------

const RT_MAIN_MASTER: u16 = 0x03F8;
const RT_NOTES: u16 = 0x03F0;
const RT_NOTES_ATOM: u16 = 0x03F1;
const RT_HANDOUT: u16 = 0x0FC9;
const RT_TEXT_CHARS: u16 = 0x0FA0;
const RT_TEXT_BYTES: u16 = 0x0FA8;
const RT_CSTRING: u16 = 0x0FBA;
/// Holds the slides' text (instance 0), the masters' (1) and the notes' (2).
const RT_SLIDE_LIST: u16 = 0x0FF0;
/// The data of a programmable tag: records (comments, `Comment10Container`) in an atom.
const RT_TAG_BLOB: u16 = 0x138B;
const RT_CRYPT_SESSION: u16 = 0x2F14;
/// Deepest nesting of record containers followed.
const MAX_DEPTH: usize = 64;

/// Reads a PowerPoint 97–2003 deck.
pub fn read_ppt(bytes: &[u8]) -> Result<Extracted, DocError> {
    let mut cf = open(bytes, "ppt")?;
    let mut ex = Extracted::default();
    properties(&mut cf, &mut ex);
    if cf.exists("/EncryptedSummary") {
        ex.problem(
            "encrypted: password-protected PowerPoint deck (an `EncryptedSummary` stream: \
             CryptoAPI RC4); its text cannot be read without the password"
                .into(),
        );
        return Ok(ex);
    }
    let doc = stream(&mut cf, "/PowerPoint Document")
        .map_err(|e| DocError::unreadable(format!("ppt: stream `PowerPoint Document` {e}")))?;
    let mut walk = PptWalk {
        ex: &mut ex,
        seen: Default::default(),
        encrypted: false,
        truncated: None,
        full: false,
    };
    walk.records(&doc, 0, 0, false);
    let PptWalk {
        encrypted,
        truncated,
        ..
    } = walk;
    if encrypted {
        ex.problem(
            "encrypted: password-protected PowerPoint deck (a CryptSession10Container record); \
             its text cannot be read without the password"
                .into(),
        );
    } else if let Some(msg) = truncated {
        ex.problem(msg);
    }
    Ok(ex)
}

struct PptWalk<'e> {
    ex: &'e mut Extracted,
    seen: std::collections::HashSet<String>,
    encrypted: bool,
    truncated: Option<String>,
    full: bool,
}

impl PptWalk<'_> {
    /// The records in `data` (at `base` in the stream), entering containers.
    fn records(&mut self, data: &[u8], base: usize, depth: usize, in_master: bool) {
        let mut at = 0usize;
        while at + 8 <= data.len() && !self.full {
            let ver_inst = u16_at(data, at).unwrap_or(0);
            let ty = u16_at(data, at + 2).unwrap_or(0);
            let len = u32_at(data, at + 4).unwrap_or(0) as usize;
            let body_at = at + 8;
            let Some(body) = data.get(body_at..).and_then(|b| b.get(..len)) else {
                self.truncated.get_or_insert_with(|| {
                    format!(
                        "ppt: record {ty:#06x} at byte {} declares {len} bytes, past the end of \
                         its container; the rest was not read",
                        base + at
                    )
                });
                return;
            };
            if ty == RT_CRYPT_SESSION {
                self.encrypted = true;
            }
            if ver_inst & 0xF == 0xF {
                if depth < MAX_DEPTH {
                    let master = match ty {
                        RT_MAIN_MASTER | RT_HANDOUT => true,
                        RT_SLIDE_LIST => ver_inst >> 4 == 1,
                        // The notes master: its NotesAtom refers to no slide (0, or a master id
                        // with the high bit set).
                        RT_NOTES => {
                            u16_at(body, 2) == Some(RT_NOTES_ATOM)
                                && u32_at(body, 8).is_some_and(|id| id == 0 || id >> 31 == 1)
                        }
                        _ => false,
                    };
                    self.records(body, base + body_at, depth + 1, in_master || master);
                }
            } else if ty == RT_TAG_BLOB {
                if depth < MAX_DEPTH {
                    self.records(body, base + body_at, depth + 1, in_master);
                }
            } else {
                let text = match ty {
                    RT_TEXT_CHARS | RT_CSTRING if !in_master || ty == RT_CSTRING => Some(
                        char::decode_utf16(
                            body.chunks_exact(2)
                                .map(|c| u16::from_le_bytes([c[0], c[1]])),
                        )
                        .map(|c| c.unwrap_or('\u{FFFD}'))
                        .collect::<String>(),
                    ),
                    // 8-bit text: the low bytes of UTF-16 code units (Latin-1).
                    RT_TEXT_BYTES if !in_master => {
                        Some(body.iter().map(|&b| b as char).collect::<String>())
                    }
                    _ => None,
                };
                // A deck keeps each text twice (its slide list and its drawing) and the older
                // copies of edited slides: a text is read once. `*` is a date or number field.
                let text = text.filter(|t| {
                    !t.starts_with("___PPT") && t.trim() != "*" && self.seen.insert(t.clone())
                });
                if let Some(t) = text {
                    // Paragraphs end with CR, lines with VT.
                    let t = t.replace(['\r', '\u{B}'], "\n");
                    if !self.ex.lines(&t) {
                        self.full = true;
                    }
                }
            }
            at = body_at + len;
        }
    }
}

// ---- OLE property sets --------------------------------------------------------------------------

/// The SummaryInformation and DocumentSummaryInformation properties, as `label: value` lines.
/// A damaged set is passed over: properties are a bonus, the text is what matters.
fn properties(cf: &mut Ole<'_>, ex: &mut Extracted) {
    const SUMMARY: &[(u32, &str)] = &[
        (2, "title"),
        (3, "subject"),
        (4, "author"),
        (5, "keywords"),
        (6, "comments"),
        (8, "lastSavedBy"),
    ];
    const DOC_SUMMARY: &[(u32, &str)] = &[(0x0E, "manager"), (0x0F, "company")];
    for (name, ids) in [
        ("/\u{5}SummaryInformation", SUMMARY),
        ("/\u{5}DocumentSummaryInformation", DOC_SUMMARY),
    ] {
        if !cf.exists(name) {
            continue;
        }
        if let Ok(data) = stream(cf, name) {
            for (label, value) in property_set(&data, ids) {
                ex.line(&format!("{label}: {value}"));
            }
        }
    }
}

/// The string properties `ids` of the first section of a property set stream.
fn property_set(data: &[u8], ids: &[(u32, &'static str)]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let Some(sec) = u32_at(data, 44).map(|o| o as usize) else {
        return out;
    };
    let Some(count) = u32_at(data, sec + 4) else {
        return out;
    };
    let entries: Vec<(u32, usize)> = (0..count.min(1024) as usize)
        .map_while(|i| {
            Some((
                u32_at(data, sec + 8 + 8 * i)?,
                sec + u32_at(data, sec + 12 + 8 * i)? as usize,
            ))
        })
        .collect();
    let codepage = entries
        .iter()
        .find(|(id, _)| *id == 1)
        .and_then(|&(_, at)| (u16_at(data, at)? == 2).then(|| u16_at(data, at + 4))?);
    let enc = match codepage {
        Some(1200) => encoding_rs::UTF_16LE,
        Some(cp) => codepage::to_encoding(cp).unwrap_or(encoding_rs::WINDOWS_1252),
        None => encoding_rs::WINDOWS_1252,
    };
    for &(id, label) in ids {
        let Some(&(_, at)) = entries.iter().find(|(i, _)| *i == id) else {
            continue;
        };
        let (Some(ty), Some(n)) = (u16_at(data, at), u32_at(data, at + 4)) else {
            continue;
        };
        let n = n as usize;
        let value = match ty {
            0x1E => data.get(at + 8..).and_then(|b| b.get(..n)).map(|b| {
                let (s, _, _) = enc.decode(b);
                s.into_owned()
            }),
            0x1F => data
                .get(at + 8..)
                .and_then(|b| b.get(..n.saturating_mul(2)))
                .map(|b| {
                    let (s, _, _) = encoding_rs::UTF_16LE.decode(b);
                    s.into_owned()
                }),
            _ => None,
        };
        if let Some(v) = value {
            let v = v.trim_end_matches('\0').trim();
            if !v.is_empty() {
                out.push((label, v.to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// A minimal Word 97 file: a FIB, a `1Table` with a two-piece CLX (one UTF-16, one
    /// compressed) and a SummaryInformation author.
    pub(crate) fn mini_doc(encrypted: bool) -> Vec<u8> {
        let one = utf16("张伟 13812345678\r\u{13} HYPERLINK \"mailto:x@y.cn\" \u{14}链接\u{15}\r");
        let two = b"a\x07b\x07\x07zhang@example.com\r".to_vec();
        let (n1, n2) = (one.len() as u32 / 2, two.len() as u32);
        // FIB: base 32 bytes, csw 14, cslw 22, cbRgFcLcb 93.
        let mut fib = vec![0u8; 32];
        fib[0..2].copy_from_slice(&WORD_IDENT.to_le_bytes());
        fib[2..4].copy_from_slice(&NFIB_97.to_le_bytes());
        let flags: u16 = 0x0200 | if encrypted { 0x0100 } else { 0 };
        fib[0x0A..0x0C].copy_from_slice(&flags.to_le_bytes());
        fib.extend(14u16.to_le_bytes());
        fib.extend([0u8; 28]);
        fib.extend(22u16.to_le_bytes());
        let mut lw = [0u32; 22];
        lw[3] = n1 + n2;
        fib.extend(lw.iter().flat_map(|v| v.to_le_bytes()));
        fib.extend(93u16.to_le_bytes());
        let mut fclcb = vec![0u32; 186];
        // The text follows the FIB; the CLX is at 0 in the table stream.
        let text_at = 2048u32;
        let mut clx = vec![2u8];
        let mut plc = Vec::new();
        for cp in [0, n1, n1 + n2] {
            plc.extend(cp.to_le_bytes());
        }
        for (fc, compressed) in [(text_at, false), (text_at + one.len() as u32, true)] {
            plc.extend([0u8; 2]);
            let v = if compressed {
                (fc * 2) | 0x4000_0000
            } else {
                fc
            };
            plc.extend(v.to_le_bytes());
            plc.extend([0u8; 2]);
        }
        clx.extend((plc.len() as u32).to_le_bytes());
        clx.extend(plc);
        fclcb[66] = 0;
        fclcb[67] = clx.len() as u32;
        fib.extend(fclcb.iter().flat_map(|v| v.to_le_bytes()));
        fib.resize(text_at as usize, 0);
        fib.extend(&one);
        fib.extend(&two);
        let mut buf = Cursor::new(Vec::new());
        {
            let mut cf = cfb::CompoundFile::create(&mut buf).unwrap();
            cf.create_stream("/WordDocument")
                .unwrap()
                .write_all(&fib)
                .unwrap();
            cf.create_stream("/1Table")
                .unwrap()
                .write_all(&clx)
                .unwrap();
            cf.create_stream("/\u{5}SummaryInformation")
                .unwrap()
                .write_all(&summary(936, "李娜"))
                .unwrap();
            cf.flush().unwrap();
        }
        buf.into_inner()
    }

    /// A SummaryInformation stream with a code page and an 8-bit author in it.
    fn summary(cp: u16, author: &str) -> Vec<u8> {
        let enc = codepage::to_encoding(cp).unwrap();
        let (a, _, _) = enc.encode(author);
        let mut v = vec![0u8; 48];
        v[0..2].copy_from_slice(&0xFFFEu16.to_le_bytes());
        v[24..28].copy_from_slice(&1u32.to_le_bytes());
        v[44..48].copy_from_slice(&48u32.to_le_bytes());
        let mut sec = Vec::new();
        let props_at = 8 + 16;
        let cp_prop = [2u8, 0, 0, 0, cp as u8, (cp >> 8) as u8, 0, 0];
        let mut author_prop = vec![0x1E, 0, 0, 0];
        author_prop.extend((a.len() as u32 + 1).to_le_bytes());
        author_prop.extend(a.iter());
        author_prop.push(0);
        let size = props_at + cp_prop.len() + author_prop.len();
        sec.extend((size as u32).to_le_bytes());
        sec.extend(2u32.to_le_bytes());
        sec.extend(1u32.to_le_bytes());
        sec.extend((props_at as u32).to_le_bytes());
        sec.extend(4u32.to_le_bytes());
        sec.extend(((props_at + cp_prop.len()) as u32).to_le_bytes());
        sec.extend(cp_prop);
        sec.extend(author_prop);
        v.extend(sec);
        v
    }

    #[test]
    fn word97_pieces_fields_cells_and_properties() {
        let ex = read_doc(&mini_doc(false)).unwrap();
        assert_eq!(ex.problem, None);
        assert_eq!(
            ex.text,
            "author: 李娜\n张伟 13812345678\n链接\nzhang@example.com\n",
        );
        assert_eq!(ex.tables.len(), 1);
        assert_eq!(
            ex.tables[0].rows,
            vec![vec!["a".to_string(), "b".to_string()]]
        );
        assert!(!ex.text.contains("mailto"), "field codes are not text");
    }

    #[test]
    fn word97_encrypted_is_said_with_its_properties() {
        let ex = read_doc(&mini_doc(true)).unwrap();
        assert_eq!(ex.text, "author: 李娜\n");
        assert!(
            ex.problem
                .unwrap()
                .starts_with("encrypted: password-protected Word")
        );
    }

    #[test]
    fn word_damage_is_an_error_not_a_panic() {
        let good = mini_doc(false);
        assert!(read_doc(b"junk").is_err());
        // Every truncation and a byte flipped at many places: an error or a result, never a panic.
        for cut in (0..good.len()).step_by(97) {
            let _ = read_doc(&good[..cut]);
        }
        for at in (0..good.len()).step_by(13) {
            let mut bad = good.clone();
            bad[at] ^= 0xFF;
            let _ = read_doc(&bad);
        }
    }

    #[test]
    fn word2_text_run_in_the_language_code_page() {
        let mut w = vec![0u8; 0x40];
        w[0..2].copy_from_slice(&WORD2_IDENT.to_le_bytes());
        w[2..4].copy_from_slice(&45u16.to_le_bytes());
        w[6..8].copy_from_slice(&0x0804u16.to_le_bytes());
        let (gbk, _, _) = encoding_rs::GBK.encode("王芳\t13900001111\r");
        w[0x18..0x1C].copy_from_slice(&0x40u32.to_le_bytes());
        w[0x1C..0x20].copy_from_slice(&(0x40 + gbk.len() as u32).to_le_bytes());
        w.extend(gbk.iter());
        let ex = read_doc(&w).unwrap();
        assert_eq!(ex.text, "王芳\t13900001111\n", "a tab stays a tab");
        assert!(ex.problem.unwrap().contains("Word 2.0 format"));
    }

    fn record(ver_inst: u16, ty: u16, body: &[u8]) -> Vec<u8> {
        let mut r = Vec::new();
        r.extend(ver_inst.to_le_bytes());
        r.extend(ty.to_le_bytes());
        r.extend((body.len() as u32).to_le_bytes());
        r.extend(body);
        r
    }

    pub(crate) fn mini_ppt(crypt: bool) -> Vec<u8> {
        let mut slide = record(0, RT_TEXT_CHARS, &utf16("张伟\r13812345678"));
        slide.extend(record(0, RT_TEXT_BYTES, b"li@example.com"));
        slide.extend(record(0, RT_CSTRING, &utf16("默认设计模板")));
        slide.extend(record(0, RT_CSTRING, &utf16("___PPT10")));
        let master = record(
            0xF,
            RT_MAIN_MASTER,
            &record(0, RT_TEXT_CHARS, &utf16("单击此处")),
        );
        let mut doc = record(0xF, 0x03E8, &[master, record(0xF, 0x03EE, &slide)].concat());
        if crypt {
            doc.extend(record(0xF, RT_CRYPT_SESSION, &[]));
        }
        let mut buf = Cursor::new(Vec::new());
        {
            let mut cf = cfb::CompoundFile::create(&mut buf).unwrap();
            cf.create_stream("/PowerPoint Document")
                .unwrap()
                .write_all(&doc)
                .unwrap();
            cf.flush().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn ppt_text_atoms_not_masters_nor_tags() {
        let ex = read_ppt(&mini_ppt(false)).unwrap();
        assert_eq!(ex.problem, None);
        assert_eq!(ex.text, "张伟\n13812345678\nli@example.com\n默认设计模板\n");
        let ex = read_ppt(&mini_ppt(true)).unwrap();
        assert!(ex.problem.unwrap().starts_with("encrypted:"));
    }

    #[test]
    fn ppt_record_past_its_container_is_partial() {
        let mut doc = record(0, RT_TEXT_CHARS, &utf16("ok"));
        doc.extend(record(0, RT_TEXT_CHARS, &utf16("cut")));
        let n = doc.len();
        doc[n - 6 - 4..n - 6].copy_from_slice(&1000u32.to_le_bytes());
        let mut buf = Cursor::new(Vec::new());
        {
            let mut cf = cfb::CompoundFile::create(&mut buf).unwrap();
            cf.create_stream("/PowerPoint Document")
                .unwrap()
                .write_all(&doc)
                .unwrap();
            cf.flush().unwrap();
        }
        let ex = read_ppt(&buf.into_inner()).unwrap();
        assert_eq!(ex.text, "ok\n");
        assert!(ex.problem.unwrap().contains("declares 1000 bytes"));
    }
}
