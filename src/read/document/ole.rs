//! OLE2 compound files that are documents: Outlook `.msg` messages, read through the `cfb`
//! crate; legacy Word `.doc` and PowerPoint `.ppt` are recognised and reported precisely.
//!
//! A `.msg` keeps every MAPI property of the message, its recipients and its attachments as a
//! stream named `__substg1.0_IIIITTTT` (property id, type): type `001F` is UTF-16LE text,
//! `001E` is 8-bit text in the message's code page (property `3FFD`, or `3FDE`, in the
//! `__properties_version1.0` stream; Big5 for a Taiwanese mailbox, GBK for a mainland one).
//! Every string property is a line `PROPERTY: value` — sender and recipient names and
//! addresses, subject, body, and the contact fields of an `IPM.Contact`, which sit in named
//! properties (`8xxx`). Not read: the transport headers (`007D`: relay hosts) and message ids
//! (`1035`, `1039`, `1042`: address-shaped tokens that are no mailbox). Attachment data
//! (`37010102`) is handed back as a file, named by its `3707` / `3704` property; an attached
//! message (`3701000D`, a storage) has its properties read with the message's. No maintained
//! Rust crate reads `.msg` (the two on crates.io are unmaintained wrappers of this same walk),
//! so the walk is written here over `cfb`.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use super::{Attachment, DocError, Extracted, MAX_PART};

/// Properties that are not read (see the module doc).
const SKIPPED: &[&str] = &["007D", "1035", "1039", "1042", "1009", "0E28", "0E29"];

/// Reads an Outlook message.
pub fn read_msg(bytes: &[u8]) -> Result<Extracted, DocError> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| DocError::unreadable(format!("corrupt msg (OLE2 structure: {e})")))?;
    let entries: Vec<(PathBuf, String, u64)> = cf
        .walk()
        .filter(|e| e.is_stream())
        .map(|e| (e.path().to_path_buf(), e.name().to_string(), e.len()))
        .collect();
    let mut ex = Extracted::default();
    let codepage = read_stream(&mut cf, Path::new("/__properties_version1.0"))
        .ok()
        .and_then(|p| message_codepage(&p));
    let encoding = codepage
        .and_then(codepage::to_encoding)
        .unwrap_or(encoding_rs::WINDOWS_1252);
    if codepage.is_some() {
        ex.encoding = Some(encoding.name().to_ascii_lowercase());
    }
    // Attachment storage → (file name, data).
    let mut files: BTreeMap<PathBuf, (Option<String>, Option<Vec<u8>>)> = BTreeMap::new();
    for (path, name, len) in entries {
        let Some(tag) = name.strip_prefix("__substg1.0_") else {
            continue;
        };
        if tag.len() != 8 || SKIPPED.contains(&&tag[..4]) {
            continue;
        }
        let (id, ty) = tag.split_at(4);
        let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let in_attachment = parent
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("__attach_version1.0_"));
        if len > MAX_PART {
            ex.problem(format!(
                "property stream `{}` is {} MiB, past the {} MiB limit; not read",
                path.display(),
                len >> 20,
                MAX_PART >> 20
            ));
            continue;
        }
        let data = match read_stream(&mut cf, &path) {
            Ok(d) => d,
            Err(e) => {
                ex.problem(format!("stream `{}`: {e}", path.display()));
                continue;
            }
        };
        if in_attachment && id == "3701" && ty == "0102" {
            files.entry(parent).or_default().1 = Some(data);
            continue;
        }
        let text = match ty {
            "001F" => {
                let (s, _, _) = encoding_rs::UTF_16LE.decode(&data);
                s.trim_end_matches('\0').to_string()
            }
            "001E" => {
                let (s, _, _) = encoding.decode(&data);
                s.trim_end_matches('\0').to_string()
            }
            // The HTML body is binary in the message's code page.
            "0102" if id == "1013" => {
                let (s, _, _) = encoding.decode(&data);
                super::markup::html_to_lines(&s)
            }
            _ => continue,
        };
        if in_attachment && matches!(id, "3707" | "3704") {
            let slot = &mut files.entry(parent.clone()).or_default().0;
            // The long name (3707) wins over the 8.3 one.
            if id == "3707" || slot.is_none() {
                *slot = Some(text.clone());
            }
        }
        if !ex.lines(&format!("{id}: {text}")) {
            break;
        }
    }
    for (storage, (name, data)) in files {
        let Some(bytes) = data else { continue };
        let name = name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| {
                storage
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "attachment".into())
            })
            .replace(['/', '\\', '!'], "_");
        ex.attachments.push(Attachment {
            name,
            bytes,
            context: String::new(),
        });
    }
    Ok(ex)
}

fn read_stream(cf: &mut cfb::CompoundFile<Cursor<&[u8]>>, path: &Path) -> std::io::Result<Vec<u8>> {
    let s = cf.open_stream(path)?;
    let mut buf = Vec::new();
    s.take(MAX_PART).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The message's code page from the top-level property stream: 16-byte entries after a
/// 32-byte header, each `tag (u32) | flags (u32) | value (8 bytes)`; `PR_MESSAGE_CODEPAGE`
/// (`3FFD0003`) first, else `PR_INTERNET_CPID` (`3FDE0003`).
fn message_codepage(props: &[u8]) -> Option<u16> {
    let entries = props.get(32..)?;
    let find = |want: u32| {
        entries.chunks_exact(16).find_map(|e| {
            let tag = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            (tag == want).then(|| u16::from_le_bytes([e[8], e[9]]))
        })
    };
    find(0x3FFD_0003).or_else(|| find(0x3FDE_0003))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn string_properties_in_their_code_page_and_attachments() {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut cf = cfb::CompoundFile::create(&mut buf).unwrap();
            let mut props = vec![0u8; 32];
            props.extend(0x3FFD_0003u32.to_le_bytes());
            props.extend(6u32.to_le_bytes());
            props.extend(950u32.to_le_bytes()); // Big5
            props.extend([0u8; 4]);
            cf.create_stream("/__properties_version1.0")
                .unwrap()
                .write_all(&props)
                .unwrap();
            let utf16: Vec<u8> = "張毓倫 <t@example.com>"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect();
            cf.create_stream("/__substg1.0_0C1A001F")
                .unwrap()
                .write_all(&utf16)
                .unwrap();
            let (big5, _, _) = encoding_rs::BIG5.encode("會議記錄 陳惠珍 0912345678");
            cf.create_stream("/__substg1.0_1000001E")
                .unwrap()
                .write_all(&big5)
                .unwrap();
            cf.create_stream("/__substg1.0_1035001F")
                .unwrap()
                .write_all(&[b'<', 0, b'x', 0, b'@', 0, b'y', 0, b'>', 0])
                .unwrap();
            cf.create_storage("/__attach_version1.0_#00000000").unwrap();
            cf.create_stream("/__attach_version1.0_#00000000/__substg1.0_3707001F")
                .unwrap()
                .write_all(&[b'a', 0, b'.', 0, b't', 0, b'x', 0, b't', 0])
                .unwrap();
            cf.create_stream("/__attach_version1.0_#00000000/__substg1.0_37010102")
                .unwrap()
                .write_all(b"13812345678\n")
                .unwrap();
            cf.flush().unwrap();
        }
        let bytes = buf.into_inner();
        let ex = read_msg(&bytes).unwrap();
        assert!(
            ex.text.contains("0C1A: 張毓倫 <t@example.com>"),
            "{}",
            ex.text
        );
        assert!(
            ex.text.contains("1000: 會議記錄 陳惠珍 0912345678"),
            "{}",
            ex.text
        );
        assert!(!ex.text.contains("x@y"), "message ids are not read");
        assert_eq!(ex.attachments.len(), 1);
        assert_eq!(ex.attachments[0].name, "a.txt");
        assert_eq!(ex.attachments[0].bytes, b"13812345678\n");
        assert!(read_msg(b"not ole").is_err());
    }
}
