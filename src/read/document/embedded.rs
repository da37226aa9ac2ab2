//! Images inside Office and OpenDocument files (`word/media/`, `ppt/media/`, `xl/media/`,
//! `Pictures/`), listed as `image` sources of their own (`简历.docx!word/media/image1.jpeg`)
//! and named sensitive when what the document says about them names an identity document, a
//! face or a fingerprint.
//!
//! An image is listed from the zip's central directory (its name and declared size) without a
//! byte of it inflated: its pixels are never read here (`--ocr` reads image files). What
//! describes it is found in the parts that show it, through their relationships
//! (`word/_rels/document.xml.rels`: `rId5` → `media/image1.jpeg`): the name a picture had when
//! inserted and its alt text (`wp:docPr`/`pic:cNvPr` `name`, `descr`, `title`; ODF
//! `draw:frame` `draw:name`, `svg:title`, `svg:desc`; VML `o:title`), and the paragraph it sits
//! in with the one before and the one after (a caption: `图1 身份证正面`). Names are judged like
//! a path ([`image::category_of`]); alt text and paragraphs like prose
//! ([`image::category_in_text`]: `身份证号：…` beside a picture names a number, not the
//! picture). Only the parts that show an image are inflated again (the text reader inflated
//! them once), each under [`super::MAX_PART`].
//!
//! Nothing here makes a document `partial`: a relationship or part that cannot be read only
//! leaves its images without a context.

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::image::{self, Category};
use crate::inventory::{FileResult, SourceAcc, Status};

/// Most images listed from one document; the rest are counted in the last one's reason.
pub const MAX_IMAGES: usize = 10_000;

/// Folders of a package that hold its pictures.
const MEDIA: &[&str] = &["word/media/", "ppt/media/", "xl/media/", "Pictures/"];

/// Picture formats listed, by extension: photographs and scans. Vector drawings (`emf`, `wmf`,
/// `svg`) are charts, logos and icons, not pictures of a card or a face, and are not listed.
const FORMATS: &[(&str, &str)] = &[
    ("jpg", "jpeg"),
    ("jpeg", "jpeg"),
    ("jfif", "jpeg"),
    ("png", "png"),
    ("tif", "tiff"),
    ("tiff", "tiff"),
    ("heic", "heic"),
    ("heif", "heic"),
    ("gif", "gif"),
    ("bmp", "bmp"),
    ("webp", "webp"),
];

/// What the document says that names an image sensitive.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub category: &'static str,
    pub label: &'static str,
    pub word: &'static str,
    /// Where it was said: "its alt text", "the text around it"…
    pub place: &'static str,
}

/// One picture of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedImage {
    /// The member's name in the package: `word/media/image1.jpeg`.
    pub member: String,
    pub format: &'static str,
    /// Its declared uncompressed size.
    pub size: u64,
    pub named: Option<Named>,
}

fn format_of(member: &str) -> Option<&'static str> {
    let ext = member.rsplit_once('.')?.1.to_ascii_lowercase();
    FORMATS.iter().find(|(e, _)| *e == ext).map(|(_, f)| *f)
}

fn is_media(name: &str) -> bool {
    MEDIA.iter().any(|m| name.starts_with(m))
}

/// The pictures of an OOXML or ODF package, each with what names it sensitive, if anything
/// does; empty when `bytes` is no zip with a readable directory (the text reader reports that).
pub fn list(bytes: &[u8]) -> Vec<EmbeddedImage> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Vec::new();
    };
    let mut images: BTreeMap<String, EmbeddedImage> = BTreeMap::new();
    let mut rels: Vec<String> = Vec::new();
    let mut odf_parts: Vec<String> = Vec::new();
    for i in 0..zip.len() {
        // `by_index_raw` reads the entry's header, not its data.
        let Ok(f) = zip.by_index_raw(i) else { continue };
        if !f.is_file() {
            continue;
        }
        let Ok(name) = f.name().map(|n| n.to_string()) else {
            continue;
        };
        if is_media(&name) {
            if let Some(format) = format_of(&name)
                && images.len() < MAX_IMAGES
            {
                images.insert(
                    name.clone(),
                    EmbeddedImage {
                        member: name,
                        format,
                        size: f.size(),
                        named: None,
                    },
                );
            }
        } else if name.ends_with(".rels") && name.contains("_rels/") {
            rels.push(name);
        } else if name == "content.xml" || name == "styles.xml" {
            odf_parts.push(name);
        }
    }
    if images.is_empty() {
        return Vec::new();
    }
    // Part → (relationship id → picture member).
    let mut shows: BTreeMap<String, HashMap<String, String>> = BTreeMap::new();
    for r in rels {
        let Some(part) = source_part(&r) else {
            continue;
        };
        let Some(xml) = inflate(&mut zip, &r) else {
            continue;
        };
        let targets = relationships(&xml, &part, &images);
        if !targets.is_empty() {
            shows.insert(part, targets);
        }
    }
    let mut found: Vec<(String, Named)> = Vec::new();
    for (part, ids) in &shows {
        if let Some(xml) = inflate(&mut zip, part) {
            found.extend(contexts(&xml, &|id| ids.get(id).cloned()));
        }
    }
    if images.keys().any(|m| m.starts_with("Pictures/")) {
        for part in &odf_parts {
            if let Some(xml) = inflate(&mut zip, part) {
                let resolve = |href: &str| {
                    let m = href.trim_start_matches("./").to_string();
                    images.contains_key(&m).then_some(m)
                };
                found.extend(contexts(&xml, &resolve));
            }
        }
    }
    for (member, named) in found {
        if let Some(img) = images.get_mut(&member)
            && img.named.is_none()
        {
            img.named = Some(named);
        }
    }
    images.into_values().collect()
}

/// `word/_rels/document.xml.rels` → `word/document.xml`; `_rels/.rels` (the package's) → none.
fn source_part(rels: &str) -> Option<String> {
    let (dir, file) = rels.rsplit_once("_rels/")?;
    let file = file.strip_suffix(".rels")?;
    (!file.is_empty()).then(|| format!("{dir}{file}"))
}

/// Resolves a relationship target against the folder of the part that holds it:
/// `../media/image1.png` from `ppt/slides/slide1.xml` → `ppt/media/image1.png`.
fn resolve(part: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut segs: Vec<&str> = part.split('/').collect();
    segs.pop();
    for s in target.split('/') {
        match s {
            ".." => {
                segs.pop();
            }
            "." | "" => {}
            s => segs.push(s),
        }
    }
    segs.join("/")
}

fn attr(e: &BytesStart, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// A relationship part's internal targets that are pictures of the package.
fn relationships(
    xml: &[u8],
    part: &str,
    images: &BTreeMap<String, EmbeddedImage>,
) -> HashMap<String, String> {
    let s = String::from_utf8_lossy(xml);
    let mut reader = Reader::from_str(&s);
    let mut out = HashMap::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "Relationship" => {
                if attr(&e, "TargetMode").is_some_and(|m| m.eq_ignore_ascii_case("external")) {
                    continue;
                }
                if let (Some(id), Some(t)) = (attr(&e, "Id"), attr(&e, "Target")) {
                    let m = resolve(part, &t);
                    if images.contains_key(&m) {
                        out.insert(id, m);
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => return out,
            Ok(_) => {}
        }
    }
}

/// A picture being read: the frame that holds it (`w:drawing`, `p:pic`, `xdr:pic`,
/// `draw:frame`, `w:pict`), what names it and what it shows.
#[derive(Default)]
struct Frame {
    names: Vec<String>,
    descr: String,
    members: Vec<String>,
    /// Inside `svg:title` / `svg:desc`.
    in_desc: bool,
}

/// Elements that hold one picture.
fn is_frame(local: &str) -> bool {
    matches!(local, "drawing" | "pic" | "frame" | "pict" | "object")
}

/// The pictures a part shows and what names them: `resolve` turns a reference (`r:embed`,
/// `r:id`, `xlink:href`) into a picture member.
fn contexts(xml: &[u8], resolve: &dyn Fn(&str) -> Option<String>) -> Vec<(String, Named)> {
    let s = String::from_utf8_lossy(xml);
    let mut reader = Reader::from_str(&s);
    reader.config_mut().check_end_names = false;
    let mut paragraphs: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut in_text = 0u32;
    let mut odf = false;
    let mut frame: Option<(u32, Frame)> = None;
    let mut depth = 0u32;
    // (paragraph index when seen, frame)
    let mut seen: Vec<(usize, Frame)> = Vec::new();
    let start = |e: &BytesStart, empty: bool, depth: u32, frame: &mut Option<(u32, Frame)>| {
        let local = e.local_name();
        let local = local.as_ref();
        if is_frame(local) && frame.is_none() && !empty {
            *frame = Some((depth, Frame::default()));
        }
        let Some((_, f)) = frame.as_mut() else {
            return;
        };
        match local {
            "docPr" | "cNvPr" => {
                for k in ["descr", "title"] {
                    if let Some(v) = attr(e, k) {
                        f.descr.push_str(&v);
                        f.descr.push('\n');
                    }
                }
                f.names.extend(attr(e, "name"));
            }
            "frame" => f.names.extend(attr(e, "name")),
            "blip" => f
                .members
                .extend(attr(e, "embed").and_then(|id| resolve(&id))),
            "imagedata" => {
                f.members.extend(attr(e, "id").and_then(|id| resolve(&id)));
                f.descr.extend(attr(e, "title"));
            }
            "image" => f.members.extend(attr(e, "href").and_then(|h| resolve(&h))),
            "title" | "desc" if !empty => f.in_desc = true,
            _ => {}
        }
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                let local = e.local_name();
                match local.as_ref() {
                    "t" => in_text += 1,
                    "p" | "h" if local.as_ref() == "h" || e.name().as_ref() == "text:p" => {
                        odf = true;
                        in_text += 1;
                    }
                    _ => {}
                }
                start(&e, false, depth, &mut frame);
            }
            Ok(Event::Empty(e)) => start(&e, true, depth + 1, &mut frame),
            Ok(Event::End(e)) => {
                let local = e.local_name();
                match local.as_ref() {
                    "t" => in_text = in_text.saturating_sub(1),
                    "title" | "desc" => {
                        if let Some((_, f)) = frame.as_mut() {
                            f.in_desc = false;
                            f.descr.push('\n');
                        }
                    }
                    "p" | "h" => {
                        if odf {
                            in_text = in_text.saturating_sub(1);
                        }
                        let l = std::mem::take(&mut line);
                        if !l.trim().is_empty() {
                            paragraphs.push(l);
                        }
                    }
                    _ => {}
                }
                if frame.as_ref().is_some_and(|(d, _)| *d == depth) {
                    let (_, f) = frame.take().expect("checked");
                    if !f.members.is_empty() {
                        seen.push((paragraphs.len(), f));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Ok(Event::Text(t)) => {
                let v = t.xml10_content();
                if let Some((_, f)) = frame.as_mut().filter(|(_, f)| f.in_desc) {
                    f.descr.push_str(&v);
                } else if in_text > 0 && line.len() < 4096 {
                    line.push_str(&v);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    if !line.trim().is_empty() {
        paragraphs.push(line);
    }
    let mut out = Vec::new();
    for (k, f) in seen {
        let around = paragraphs[k.saturating_sub(1)..(k + 2).min(paragraphs.len())].join("\n");
        let named = f
            .names
            .iter()
            .find_map(|n| image::category_of(std::path::Path::new(n)))
            .map(|cw| (cw, "the name it was inserted under"))
            .or_else(|| image::category_in_text(&f.descr).map(|cw| (cw, "its alt text")))
            .or_else(|| image::category_in_text(&around).map(|cw| (cw, "the text around it")));
        if let Some(((c, w), place)) = named {
            for m in f.members {
                out.push((m, named_as(c, w, place)));
            }
        }
    }
    out
}

fn named_as(c: &'static Category, word: &'static str, place: &'static str) -> Named {
    Named {
        category: c.id,
        label: c.label,
        word,
        place,
    }
}

/// One member read whole when small enough to be XML that describes pictures (a relationship
/// part, a slide, a drawing), within [`super::MAX_PART`]; `None` otherwise.
fn inflate(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<Vec<u8>> {
    let f = zip.by_name(name).ok()?;
    if f.size() > super::MAX_PART {
        return None;
    }
    let mut buf = Vec::new();
    f.take(super::MAX_PART).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// The results that list a document's pictures, at `{display}!{member}`: skipped (their pixels
/// are not read), with the sensitive category the path or the document names.
pub fn results(display: &str, images: Vec<EmbeddedImage>) -> Vec<FileResult> {
    images
        .into_iter()
        .map(|img| {
            let path = format!("{display}!{}", img.member);
            let named = image::category_of(std::path::Path::new(&path))
                .map(|(c, w)| named_as(c, w, "its path"))
                .or(img.named);
            let mut acc = SourceAcc::default();
            let reason = match &named {
                Some(n) => {
                    acc.image_category = Some(n.category.to_string());
                    format!(
                        "{path}: {} ({} names `{}`): a sensitive file ({}) under GB/T \
                         45574-2025, people unknown; an image inside a document, no text read",
                        n.label, n.place, n.word, n.category
                    )
                }
                None => format!(
                    "{path}: {} image inside a document: no text layer; not read",
                    img.format
                ),
            };
            FileResult {
                path,
                format: "image".to_string(),
                encoding: None,
                bytes: img.size,
                status: Status::Skipped,
                reason: Some(reason),
                acc,
            }
        })
        .collect()
}

/// An e-mail attachment that is an image its path does not name: sensitive when the message
/// names it (`context`: its subject, its description, a body line about the attachments).
pub fn named_by_message(r: &mut FileResult, context: &str) {
    if image::category_of(std::path::Path::new(&r.path)).is_some() {
        return;
    }
    let Some((c, w)) = image::category_in_text(context) else {
        return;
    };
    r.acc.image_category = Some(c.id.to_string());
    if r.status == Status::Skipped {
        r.reason = Some(format!(
            "{}: {} (the message it is attached to names `{w}`): a sensitive file ({}) under \
             GB/T 45574-2025, people unknown; no text read (`--ocr` reads it)",
            r.path, c.label, c.id
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_against_their_part() {
        assert_eq!(
            source_part("word/_rels/document.xml.rels").as_deref(),
            Some("word/document.xml")
        );
        assert_eq!(source_part("_rels/.rels"), None);
        assert_eq!(
            resolve("ppt/slides/slide1.xml", "../media/image1.png"),
            "ppt/media/image1.png"
        );
        assert_eq!(
            resolve("word/document.xml", "media/image1.jpeg"),
            "word/media/image1.jpeg"
        );
        assert_eq!(
            resolve("xl/drawings/d.xml", "/xl/media/a.png"),
            "xl/media/a.png"
        );
    }

    #[test]
    fn alt_text_names_and_captions_name_a_picture() {
        let word = |inner: &str| {
            format!(
                r#"<w:document><w:body><w:p><w:r><w:t>{inner}</w:t></w:r></w:p>
                <w:p><w:r><w:drawing><wp:inline><wp:docPr id="1" name="图片 1" descr=""/>
                <a:graphic><pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="image1.jpeg"/></pic:nvPicPr>
                <pic:blipFill><a:blip r:embed="rId5"/></pic:blipFill></pic:pic></a:graphic></wp:inline></w:drawing></w:r></w:p>
                <w:p><w:r><w:t>工作经历</w:t></w:r></w:p></w:body></w:document>"#
            )
        };
        let resolve = |id: &str| (id == "rId5").then(|| "word/media/image1.jpeg".to_string());
        let got = contexts(word("身份证复印件（正反面）：").as_bytes(), &resolve);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1.category, "identity-document-image");
        assert_eq!(got[0].1.place, "the text around it");
        // A number beside a picture names no picture; nor does "face" in prose.
        assert!(contexts(word("身份证号：110101199003077777").as_bytes(), &resolve).is_empty());
        assert!(contexts(word("We met face to face").as_bytes(), &resolve).is_empty());
        // Alt text and the inserted file's name.
        let alt = r#"<p:sld><p:pic><p:nvPicPr><p:cNvPr id="4" name="Picture 3" descr="员工人脸照片"/></p:nvPicPr><p:blipFill><a:blip r:embed="rId2"/></p:blipFill></p:pic></p:sld>"#;
        let r2 = |id: &str| (id == "rId2").then(|| "ppt/media/image2.png".to_string());
        let got = contexts(alt.as_bytes(), &r2);
        assert_eq!(got[0].1.category, "face-image");
        assert_eq!(got[0].1.place, "its alt text");
        let named = r#"<xdr:wsDr><xdr:twoCellAnchor><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="fingerprint_left.png"/></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rId2"/></xdr:blipFill></xdr:pic></xdr:twoCellAnchor></xdr:wsDr>"#;
        assert_eq!(
            contexts(named.as_bytes(), &r2)[0].1.category,
            "fingerprint-image"
        );
        // ODF: the frame's title and description.
        let odf = r#"<office:text><text:p text:style-name="P1"><draw:frame draw:name="图像1"><draw:image xlink:href="Pictures/1.jpg"/><svg:title>护照首页</svg:title></draw:frame></text:p></office:text>"#;
        let r3 = |h: &str| (h == "Pictures/1.jpg").then(|| h.to_string());
        assert_eq!(
            contexts(odf.as_bytes(), &r3)[0].1.category,
            "identity-document-image"
        );
    }
}
