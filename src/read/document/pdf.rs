//! PDF: the text layer of every page, via pdf_oxide.
//!
//! Chosen by measured extraction quality on the corpus's PDFs with Chinese text
//! (`cargo run --release --example pdf_quality --features pdf-compare`; figures in
//! docs/documents.md). Of the ten files with known text, pdf_oxide 0.3 found 12 of 16 expected
//! strings and 131 of 137 Han characters — Identity-H fonts with ToUnicode maps, the predefined
//! `GBK-EUC-H` / `GBKp-EUC-H` CMaps without one, and a non-BMP name (胡駿𥕛) — and never
//! panicked; lopdf 0.47 `extract_text` found 7 and 94, and fails on the GBK CMaps; pdf-extract
//! 0.12 found 2 and 8 and panicked on three files.
//!
//! Statuses: a PDF that needs a password is `unreadable` (encrypted); one that opens with the
//! empty user password is read. A PDF with pages but no text layer is a scan: `unreadable`
//! with "no text layer (scanned image)" when no page has text, `partial` when some do — never
//! a clean "no PI"; a page that shows text (`Tj`/`TJ` operators) none of which decodes is
//! reported too. pdf_oxide runs behind `catch_unwind` (a parser of hostile input can panic),
//! page by page, and reading stops after [`MAX_SECONDS`] with the pages read so far
//! (`partial`). Memory: the file is held twice (pdf_oxide keeps a copy of its bytes), bounded
//! by `--max-file-size`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use super::{DocError, Extracted, panic_message};

/// Most time spent extracting one PDF's pages.
pub const MAX_SECONDS: u64 = 60;

/// What the reason of a PDF with scanned pages says: the inventory marks such a PDF as an image
/// of an identity document, a face or a fingerprint when its path names one, as it does image
/// files (`inventory::BuildConfig::prepare`).
pub const SCANNED: &str = "no text layer (scanned image)";

fn is_password_error(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("password") || m.contains("decrypt") || m.contains("encrypt")
}

/// Most byte comparisons pdf_oxide's rebuilding of a damaged cross-reference table may cost
/// (see [`too_slow_to_rebuild`]): about 0.2 s in a release build.
pub const REBUILD_BUDGET: u64 = 256 << 20;
/// The most pdf_oxide reads of one object while rebuilding (its `MAX_OBJECT_SIZE`).
const REBUILD_OBJECT_MAX: usize = 1 << 20;
/// The objects pdf_oxide loads, at most, looking for the catalog (its `MAX_SCAN`).
const REBUILD_SCAN_MAX: usize = 4096;

/// Why pdf_oxide would take too long to open `bytes`, if it would. When a PDF's
/// cross-reference table cannot be parsed, pdf_oxide 0.3.78 (the newest release) rebuilds it
/// from the `N G obj` markers it finds; without a trailer naming the catalog (`/Root`), it
/// loads objects in the order of their numbers until one parses as the catalog, and when none
/// does, loads them all twice more (looking for a page tree, then for object streams). Each
/// load (`xref_reconstruction::load_object_at_offset`) reads the object line by line and
/// searches all it has read so far for `endobj` after every line, up to 1 MiB: quadratic in the
/// lines of an object. A fuzzed 381 KB PDF whose catalog does not parse, with a 349 KB object of
/// 11 398 lines, took 5.9 s (release; minutes in a debug build); 1 MiB of one-byte lines would
/// take hours. pdf_oxide takes no budget nor a reader of ours, so that cost is worked out here
/// first with pdf_oxide's own public parsers (the table, the trailer, each object until the
/// catalog): past [`REBUILD_BUDGET`] the file is `unreadable`, with the figures. Written by
/// hand because it mirrors that one function of that crate; drop it once its rebuilding is
/// linear. Not covered: a table that parses but whose catalog cannot be loaded (pdf_oxide then
/// rebuilds too).
pub fn too_slow_to_rebuild(bytes: &[u8]) -> Option<String> {
    use pdf_oxide::object::Object;
    let xref_error = catch_unwind(AssertUnwindSafe(|| {
        let mut r = std::io::Cursor::new(bytes);
        let offset = pdf_oxide::xref::find_xref_offset(&mut r).map_err(|e| e.to_string())?;
        match pdf_oxide::xref::parse_xref(&mut r, offset) {
            Ok(t) if t.is_empty() => Err("it is empty".to_string()),
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }))
    .unwrap_or_else(|_| Err("the parser failed on it".to_string()))
    .err()?;
    let dict_with = |obj: &Object, key: &str, name: Option<&str>| {
        obj.as_dict()
            .and_then(|d| d.get(key))
            .is_some_and(|v| name.is_none_or(|n| v.as_name() == Some(n)))
    };
    // A trailer that names the catalog: no object is loaded to find it.
    let trailer_with_root = memchr::memmem::find_iter(bytes, b"trailer").any(|at| {
        let rest = &bytes[at + 7..];
        let ws = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        rest[ws..].starts_with(b"<<")
            && catch_unwind(AssertUnwindSafe(|| pdf_oxide::parser::parse_object(rest)))
                .ok()
                .and_then(Result::ok)
                .is_some_and(|(_, t)| dict_with(&t, "Root", None))
    });
    if trailer_with_root {
        return None;
    }
    // The objects by number (a later one of the same number replaces an earlier one).
    let mut objects = std::collections::BTreeMap::new();
    for at in memchr::memmem::find_iter(bytes, b"obj") {
        if let Some((number, start)) = object_marker(bytes, at) {
            objects.insert(number, start);
        }
    }
    let (mut total, mut found, mut over, mut loaded) = (0u64, false, false, 0usize);
    let mut worst = (0u64, 0usize, 0usize, 0usize);
    for &start in objects.values().take(REBUILD_SCAN_MAX) {
        let cap = bytes.len().min(start + REBUILD_OBJECT_MAX + 1);
        let end = memchr::memmem::find(&bytes[start..cap], b"endobj")
            .map_or(cap, |e| (start + e + 6).min(cap));
        // After each line, a search through everything read so far.
        let (mut cost, mut lines) = (0u64, 0usize);
        for nl in memchr::memchr_iter(b'\n', &bytes[start..end]) {
            cost += nl as u64 + 1;
            lines += 1;
        }
        cost += (end - start) as u64;
        total += cost;
        loaded += 1;
        if cost > worst.0 {
            worst = (cost, start, end - start, lines + 1);
        }
        if total > REBUILD_BUDGET {
            over = true;
            break;
        }
        // The object as pdf_oxide parses it: number, generation, `obj`, then the object.
        let catalog = catch_unwind(AssertUnwindSafe(|| {
            let (rest, _) = pdf_oxide::lexer::token(&bytes[start..end]).ok()?;
            let (rest, _) = pdf_oxide::lexer::token(rest).ok()?;
            let (rest, _) = pdf_oxide::lexer::token(rest).ok()?;
            let (_, obj) = pdf_oxide::parser::parse_object(rest).ok()?;
            Some(dict_with(&obj, "Type", Some("Catalog")))
        }));
        if catalog.ok().flatten() == Some(true) {
            found = true;
            break;
        }
    }
    // No catalog: every object is loaded twice more.
    if !found && !over {
        total *= 3;
    }
    if total <= REBUILD_BUDGET {
        return None;
    }
    let (cost, at, len, lines) = worst;
    let searched = if over {
        format!("at least {loaded} object(s) for `endobj` after each of their lines, more than")
    } else {
        format!(
            "{loaded} object(s) for `endobj` after each of their lines, three times as none \
             parses as the catalog: about"
        )
    };
    Some(format!(
        "corrupt PDF: its cross-reference table cannot be used ({xref_error}) and rebuilding it \
         would take too long: the PDF parser (pdf_oxide) would search {searched} {total} byte \
         comparisons, past the limit of {REBUILD_BUDGET} (the largest object: at offset {at}, \
         {len} bytes in {lines} lines, {cost}); not read"
    ))
}

/// The object number and the start of the `N G obj` marker whose `obj` is at `at`
/// (pdf_oxide's `(\d+)\s+(\d+)\s+obj`, followed by what can start an object), if it is one.
fn object_marker(bytes: &[u8], at: usize) -> Option<(u32, usize)> {
    let mut i = at;
    let mut number = None;
    for _ in 0..2 {
        let ws = bytes[..i]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        let digits = bytes[..i - ws]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if ws == 0 || digits == 0 {
            return None;
        }
        i -= ws + digits;
        number = std::str::from_utf8(&bytes[i..i + digits])
            .ok()?
            .parse()
            .ok();
    }
    let next = bytes[at + 3..].iter().find(|b| !b.is_ascii_whitespace());
    match next {
        Some(b'<' | b'[' | b'(' | b'/' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9') | None => {
            Some((number?, i))
        }
        Some(_) => None,
    }
}

/// Reads a PDF's text.
pub fn read_pdf(bytes: &[u8]) -> Result<Extracted, DocError> {
    let encrypted = |why: &str| {
        DocError::unreadable(format!(
            "encrypted: password-protected PDF ({why}); its text cannot be read without the \
             password"
        ))
    };
    if let Some(why) = too_slow_to_rebuild(bytes) {
        return Err(DocError::unreadable(why));
    }
    let opened = catch_unwind(AssertUnwindSafe(|| {
        pdf_oxide::PdfDocument::from_bytes(bytes.to_vec())
    }));
    let doc = match opened {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => {
            let msg = e.to_string();
            if is_password_error(&msg) {
                return Err(encrypted(&msg));
            }
            return Err(DocError::unreadable(format!("corrupt PDF: {msg}")));
        }
        Err(p) => {
            return Err(DocError::unreadable(format!(
                "corrupt PDF: the PDF parser failed on malformed content ({})",
                panic_message(&p)
            )));
        }
    };
    if doc.is_encrypted() {
        match catch_unwind(AssertUnwindSafe(|| doc.authenticate(b""))) {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => return Err(encrypted("the empty user password does not open it")),
            Ok(Err(e)) => return Err(encrypted(&e.to_string())),
            Err(p) => return Err(encrypted(&panic_message(&p))),
        }
    }
    let n = match catch_unwind(AssertUnwindSafe(|| doc.page_count())) {
        Ok(Ok(n)) if n > 0 => n,
        Ok(Ok(_)) => {
            return Err(DocError::unreadable(
                "corrupt PDF: no page could be found (damaged page tree)".to_string(),
            ));
        }
        Ok(Err(e)) => return Err(DocError::unreadable(format!("corrupt PDF: {e}"))),
        Err(p) => {
            return Err(DocError::unreadable(format!(
                "corrupt PDF: the page tree could not be read ({})",
                panic_message(&p)
            )));
        }
    };
    let mut ex = Extracted::default();
    let (mut with_text, mut images_only, mut undecoded) = (0usize, 0usize, 0usize);
    let mut failed = Vec::new();
    let start = Instant::now();
    for page in 0..n {
        if start.elapsed() > Duration::from_secs(MAX_SECONDS) {
            ex.problem(format!(
                "stopped after {MAX_SECONDS} s at page {} of {n}: the rest was not read",
                page + 1
            ));
            break;
        }
        let text = match catch_unwind(AssertUnwindSafe(|| doc.extract_text(page))) {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => {
                failed.push(format!("page {}: {e}", page + 1));
                continue;
            }
            Err(p) => {
                failed.push(format!(
                    "page {}: parser panic ({})",
                    page + 1,
                    panic_message(&p)
                ));
                continue;
            }
        };
        if !text.trim().is_empty() {
            with_text += 1;
            if !ex.lines(&text) {
                break;
            }
            continue;
        }
        // No text: a page that shows text whose glyphs did not decode, or a scanned image.
        let content = catch_unwind(AssertUnwindSafe(|| doc.get_page_content_data(page)))
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let has = |op: &[u8]| memchr::memmem::find(&content, op).is_some();
        if has(b"Tj") || has(b"TJ") {
            undecoded += 1;
        } else if has(b"Do") || has(b"BI") {
            // An XObject (`/Im0 Do`) or inline image (`BI … EI`) drawn on a page with no text.
            images_only += 1;
        }
    }
    if with_text == 0 && images_only > 0 && undecoded == 0 {
        return Err(DocError::unreadable(format!(
            "{SCANNED}: {images_only} of {n} page(s) are images only; its personal data, if \
             any, is unknown"
        )));
    }
    if undecoded > 0 {
        let msg = format!(
            "{undecoded} of {n} page(s) show text whose font encoding could not be decoded; \
             their personal data, if any, was not read"
        );
        if with_text == 0 {
            return Err(DocError::unreadable(msg));
        }
        ex.problem(msg);
    }
    if images_only > 0 {
        ex.problem(format!(
            "{images_only} of {n} page(s) have {SCANNED}; their personal data, if any, was not \
             read"
        ));
    }
    if !failed.is_empty() {
        let first = failed[0].clone();
        if with_text == 0 {
            return Err(DocError::unreadable(format!(
                "corrupt PDF: no page could be read ({first})"
            )));
        }
        ex.problem(format!(
            "{} of {n} page(s) could not be read ({first})",
            failed.len()
        ));
    }
    Ok(ex)
}
