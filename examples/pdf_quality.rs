//! Measures how well the candidate PDF crates extract the Chinese text of the shared corpus
//! (`../shared/corpus/documents/pdf/`), against the ground truth its README gives: for each
//! file, the expected strings found in the extracted text, the Han characters extracted, the
//! time taken, and whether the crate failed or panicked.
//!
//! `cargo run --release --example pdf_quality` — the figures in docs/documents.md come from it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

/// (file, strings the text must contain, Han characters in the ground truth).
const TRUTH: &[(&str, &[&str], usize)] = &[
    ("pdfjs_issue2128r.pdf", &["浅谈校长的魅力", "李新录"], 20),
    ("pdfjs_issue3521.pdf", &["我们都是黑体字"], 7),
    (
        "pdfjs_issue12823.pdf",
        &["愿景", "描述团队的共同目标", "知识库简介"],
        86,
    ),
    ("pdfjs_issue19182.pdf", &["中文姓名", "胡駿"], 6),
    ("pdfminer_issue_566_test_2.pdf", &["中国饮料有限公司"], 18),
    (
        "pdfminer_issue-1062-filters.pdf",
        &["Marc van Pul", "lenze.com", "6456500"],
        0,
    ),
    ("pdfminer_simple1.pdf", &["Hello World"], 0),
    ("pdfjs_issue7665.pdf", &["Issue 7665"], 0),
    ("pdfminer_issue-625-identity-cmap.pdf", &["5319419588"], 0),
    (
        "pdfminer_zen_of_python_corrupted.pdf",
        &["Beautiful is better"],
        0,
    ),
];

fn han(s: &str) -> usize {
    s.chars()
        .filter(|c| matches!(*c as u32, 0x3400..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF))
        .count()
}

fn pdf_extract(bytes: &[u8]) -> Result<String, String> {
    pdf_extract::extract_text_from_mem(bytes).map_err(|e| e.to_string())
}

fn lopdf_text(bytes: &[u8]) -> Result<String, String> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| e.to_string())?;
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).map_err(|e| e.to_string())
}

fn pdf_oxide_text(bytes: &[u8]) -> Result<String, String> {
    let doc = pdf_oxide::PdfDocument::from_bytes(bytes.to_vec()).map_err(|e| e.to_string())?;
    doc.extract_all_text().map_err(|e| e.to_string())
}

fn main() {
    if let Some(f) = std::env::args().nth(1) {
        // `pdf_quality FILE`: what each crate extracts from one file.
        let bytes = std::fs::read(&f).unwrap();
        println!(
            "pdf-extract: {:?}",
            catch_unwind(|| pdf_extract(&bytes))
                .map(|r| r.map(|t| t.chars().take(400).collect::<String>()))
        );
        println!(
            "lopdf: {:?}",
            lopdf_text(&bytes).map(|t| t.chars().take(400).collect::<String>())
        );
        println!(
            "pdf_oxide: {:?}",
            pdf_oxide_text(&bytes).map(|t| t.chars().take(400).collect::<String>())
        );
        return;
    }
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/documents/pdf");
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let crates: [(&str, fn(&[u8]) -> Result<String, String>); 3] = [
        ("pdf-extract 0.12", pdf_extract),
        ("lopdf 0.47 extract_text", lopdf_text),
        ("pdf_oxide 0.3", pdf_oxide_text),
    ];
    for (name, f) in crates {
        let (mut hits, mut wanted, mut han_got, mut han_want) = (0, 0, 0, 0);
        let start = Instant::now();
        println!("== {name}");
        for (file, must, han_truth) in TRUTH {
            let bytes = std::fs::read(dir.join(file)).unwrap();
            let t = Instant::now();
            let out = catch_unwind(AssertUnwindSafe(|| f(&bytes)));
            let ms = t.elapsed().as_millis();
            let text = match out {
                Ok(Ok(t)) => t,
                Ok(Err(e)) => {
                    println!("  {file}: error: {e} ({ms} ms)");
                    String::new()
                }
                Err(_) => {
                    println!("  {file}: PANIC ({ms} ms)");
                    String::new()
                }
            };
            let found = must.iter().filter(|m| text.contains(*m)).count();
            hits += found;
            wanted += must.len();
            han_got += han(&text).min(*han_truth);
            han_want += han_truth;
            println!(
                "  {file}: {found}/{} strings, {} Han (truth {han_truth}), {ms} ms",
                must.len(),
                han(&text)
            );
        }
        println!(
            "  total: {hits}/{wanted} strings, {han_got}/{han_want} Han, {} ms",
            start.elapsed().as_millis()
        );
    }
}
