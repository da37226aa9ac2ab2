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

fn is_password_error(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("password") || m.contains("decrypt") || m.contains("encrypt")
}

/// Reads a PDF's text.
pub fn read_pdf(bytes: &[u8]) -> Result<Extracted, DocError> {
    let encrypted = |why: &str| {
        DocError::unreadable(format!(
            "encrypted: password-protected PDF ({why}); its text cannot be read without the \
             password"
        ))
    };
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
            "no text layer (scanned image): {images_only} of {n} page(s) are images only; \
             its personal data, if any, is unknown"
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
            "{images_only} of {n} page(s) have no text layer (scanned image); their personal \
             data, if any, was not read"
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
