//! Images (JPEG, PNG, HEIC/HEIF, TIFF): listed as `image` sources, the ones that picture an
//! identity document, a face or a fingerprint named as such, and read by OCR on request.
//!
//! Under GB/T 45574-2025 a picture of an ID card, a face or a fingerprint is sensitive
//! personal information whatever text it holds. Without reading pixels, the scan tells such
//! images by what people call them: the file name and the folders above it (`身份证正反面.jpg`,
//! `证件照/`, `id_card_front.png`, `passport scan.pdf`…, [`CATEGORIES`]). Such an image is a
//! sensitive file of its category whose people are unknown: an image holds no identifier the
//! scan can count. Every other image is listed as an image with no text read.
//!
//! `scan --ocr` runs Tesseract (`tesseract … -l chi_sim+eng`) on each image and scans the text
//! like a text file. Tesseract and its Chinese data are a system install (Debian:
//! `tesseract-ocr tesseract-ocr-chi-sim`); nothing is ever downloaded. [`ocr_ready`] checks
//! them before a scan starts.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{DocError, Extracted};
use crate::inventory::Status;

/// A sensitive image category and the words in a path that name it.
pub struct Category {
    pub id: &'static str,
    pub label: &'static str,
    pub words: &'static [&'static str],
}

/// Words compared with the lower-cased path; Latin words must stand apart from other letters
/// (`face` in `face_01.jpg`, not in `surface.png`).
pub const CATEGORIES: &[Category] = &[
    Category {
        id: "identity-document-image",
        label: "image of an identity document",
        words: &[
            "身份证",
            "正反面",
            "证件照",
            "证件",
            "护照",
            "通行证",
            "驾驶证",
            "驾照",
            "户口本",
            "户口簿",
            "社保卡",
            "居住证",
            "id_card",
            "idcard",
            "id-card",
            "id card",
            "sfz",
            "passport",
            "driver_license",
            "driving_licence",
            "driving_license",
        ],
    },
    Category {
        id: "face-image",
        label: "image of a face",
        words: &[
            "人脸",
            "面部",
            "刷脸",
            "自拍",
            "face",
            "selfie",
            "facial",
            "face photo",
            "face image",
            "headshot",
        ],
    },
    Category {
        id: "fingerprint-image",
        label: "image of a fingerprint",
        words: &["指纹", "fingerprint"],
    },
];

/// The format of an image, from its first bytes.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("jpeg");
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("png");
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some("tiff");
    }
    if head.get(4..8) == Some(b"ftyp")
        && let Some(brand) = head.get(8..12)
        && matches!(
            brand,
            b"heic" | b"heix" | b"mif1" | b"msf1" | b"heif" | b"hevc"
        )
    {
        return Some("heic");
    }
    None
}

/// The sensitive category a path names, if any (and the word that named it).
pub fn category_of(path: &Path) -> Option<(&'static Category, &'static str)> {
    find_word(&path.to_string_lossy().to_lowercase(), |_, _| true)
}

/// Latin words that name a category in a file or member name but not in prose: `face` in a
/// sentence is "face-to-face", "on the face of it"; `sfz` is a pinyin abbreviation only a
/// file name uses.
const NAME_ONLY: &[&str] = &["face", "sfz", "证件"];

/// Words that, right after an identity-document word, make the text talk about the document's
/// number or type, not a picture of it: `身份证号`, `证件类型`, `passport number`.
const ABOUT_NUMBER: &[&str] = &[
    "号",
    "類型",
    "类型",
    "有效期",
    "签发",
    " number",
    " no.",
    " no ",
    "_no",
    " expiry",
];

/// The sensitive category the text describing an image inside a document names (its alt text,
/// its caption, the paragraph around it, an e-mail's subject), if any. Stricter than
/// [`category_of`]: [`NAME_ONLY`] words do not count, nor an identity-document word followed
/// by [`ABOUT_NUMBER`] (`身份证号：…` beside a photo is a number, the photo may be a logo).
pub fn category_in_text(text: &str) -> Option<(&'static Category, &'static str)> {
    let t = text.to_lowercase();
    find_word(&t, |w, after| {
        !NAME_ONLY.contains(&w) && !ABOUT_NUMBER.iter().any(|a| after.starts_with(a))
    })
}

/// The first category word in the lower-cased `p` that `keep(word, text after it)` accepts;
/// Latin words must stand apart from other letters.
fn find_word(
    p: &str,
    keep: impl Fn(&str, &str) -> bool,
) -> Option<(&'static Category, &'static str)> {
    for c in CATEGORIES {
        for w in c.words {
            let mut from = 0;
            while let Some(i) = p[from..].find(w) {
                let (s, e) = (from + i, from + i + w.len());
                let ascii = w.is_ascii();
                let apart = |ch: Option<char>| !ch.is_some_and(|c| c.is_ascii_alphabetic());
                if (!ascii || (apart(p[..s].chars().next_back()) && apart(p[e..].chars().next())))
                    && keep(w, &p[e..])
                {
                    return Some((c, w));
                }
                from = e;
            }
        }
    }
    None
}

static OCR: AtomicBool = AtomicBool::new(false);

/// Turns OCR of images on for this process (`scan --ocr`, after [`ocr_ready`]). A process-wide
/// switch rather than a field of the scan's configuration: it is set once, before any file is
/// read, by the command line.
pub fn enable_ocr(on: bool) {
    OCR.store(on, Ordering::Relaxed);
}

/// What to install for `--ocr`, said precisely.
pub const OCR_INSTALL: &str = "--ocr needs Tesseract with its Simplified Chinese data; install \
     them (Debian/Ubuntu: `apt-get install tesseract-ocr tesseract-ocr-chi-sim`; other \
     systems: the `tesseract` binary and the `chi_sim` traineddata) and run again";

/// `Ok` when `tesseract` runs and has the `chi_sim` language; otherwise what is missing.
pub fn ocr_ready() -> Result<(), String> {
    let out = Command::new("tesseract")
        .arg("--list-langs")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{OCR_INSTALL} (`tesseract` could not be run: {e})"))?;
    let langs =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if !langs.lines().any(|l| l.trim() == "chi_sim") {
        return Err(format!(
            "{OCR_INSTALL} (`tesseract` is installed but lists no `chi_sim` language)"
        ));
    }
    Ok(())
}

/// Most time one image may take to OCR.
const OCR_SECONDS: u64 = 120;

fn ocr(bytes: &[u8]) -> Result<String, String> {
    let mut child = Command::new("tesseract")
        .args(["stdin", "stdout", "-l", "chi_sim+eng"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("OCR: `tesseract` could not be run: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let data = bytes.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > Duration::from_secs(OCR_SECONDS) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("OCR: stopped after {OCR_SECONDS} s"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("OCR: {e}")),
        }
    };
    let _ = feeder.join();
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("OCR: tesseract failed ({status})"));
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Reads an image: its text by OCR when turned on; otherwise nothing, with a status that says
/// what the image is.
pub fn read_image(path: &Path, format: &str, bytes: &[u8]) -> Result<Extracted, DocError> {
    let named = category_of(path).map(|(c, w)| {
        format!(
            "{} (its path names `{w}`): a sensitive file ({}) under GB/T 45574-2025, people \
             unknown",
            c.label, c.id
        )
    });
    if OCR.load(Ordering::Relaxed) {
        let mut ex = Extracted::default();
        match ocr(bytes) {
            Ok(text) => {
                ex.lines(&text);
                if let Some(n) = named {
                    ex.problem(format!("{n}; its text was read by OCR"));
                }
                return Ok(ex);
            }
            Err(e) => {
                return Err(DocError::unreadable(match named {
                    Some(n) => format!("{n}; {e}"),
                    None => format!("{format} image: {e}"),
                }));
            }
        }
    }
    Err(DocError {
        status: Status::Skipped,
        message: match named {
            Some(n) => format!("{n}; no text read (`--ocr` reads it)"),
            None => format!("{format} image: no text layer; not read (`--ocr` reads its text)"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_by_path_words() {
        let id = |p: &str| category_of(Path::new(p)).map(|(c, _)| c.id);
        assert_eq!(
            id("员工资料/张伟/身份证正反面.jpg"),
            Some("identity-document-image")
        );
        assert_eq!(id("hr/ID_Card_front.PNG"), Some("identity-document-image"));
        assert_eq!(
            id("scans/passport scan.tiff"),
            Some("identity-document-image")
        );
        assert_eq!(id("门禁/人脸/0001.jpg"), Some("face-image"));
        assert_eq!(id("enroll/face_01.heic"), Some("face-image"));
        assert_eq!(id("textures/surface.png"), None);
        assert_eq!(id("考勤/指纹/a.png"), Some("fingerprint-image"));
        assert_eq!(id("marketing/banner.jpg"), None);
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some("jpeg"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), Some("heic"));
        assert_eq!(sniff(b"GIF89a"), None);
    }
}
