//! E-mail: one message (`.eml`, RFC 5322) or a mailbox of them (`mbox`), via mail-parser.
//!
//! mail-parser decodes what real Chinese mail is made of: RFC 2047 encoded words in headers,
//! quoted-printable and base64 bodies, and the GB2312 / GBK / GB18030 / Big5 charsets (its
//! `full_encoding` feature hands the rarer ones to encoding_rs). From a message are read the
//! address headers (From, To, Cc, Bcc, Reply-To, Sender — name and address on one line, so
//! the two are one record), the subject, every text body and every HTML body as text. Not
//! read: `Received` (relay hosts), `Message-ID` and `References` (address-shaped tokens that
//! are no mailbox). Attachments, and forwarded messages (`message/rfc822`), are handed back
//! as files, read by the same dispatch as an archive member (`mail.eml!简历.docx`).

use std::borrow::Cow;

use mail_parser::{Address, Message, MessageParser, MimeHeaders, PartType};

use super::{Attachment, DocError, Extracted};

/// Most messages read from one mailbox.
pub const MAX_MESSAGES: usize = 1_000_000;
/// Most attachments kept from one file (each is read as a file of its own).
pub const MAX_ATTACHMENTS: usize = 10_000;
/// Most attachment bytes kept in memory from one file.
pub const MAX_ATTACHMENT_BYTES: usize = 512 << 20;

/// Reads one message.
pub fn read_eml(bytes: &[u8]) -> Result<Extracted, DocError> {
    let bytes = strip_bom(bytes);
    let msg = MessageParser::default().parse(bytes).ok_or_else(|| {
        DocError::unreadable("not an e-mail message: no header could be parsed".to_string())
    })?;
    let mut ex = Extracted::default();
    let mut budget = Budget::default();
    message(&msg, &mut ex, &mut budget, "");
    Ok(ex)
}

/// Reads a mailbox: messages split on their `From ` lines (`>From ` unquoted).
pub fn read_mbox(bytes: &[u8]) -> Result<Extracted, DocError> {
    let bytes = strip_bom(bytes);
    let mut ex = Extracted::default();
    let mut budget = Budget::default();
    let parser = MessageParser::default();
    let mut n = 0usize;
    for item in mail_parser::mailbox::mbox::MessageIterator::new(bytes) {
        let m = match item {
            Ok(m) => m,
            Err(e) => {
                ex.problem(format!("mbox: stopped after {n} message(s): {e}"));
                break;
            }
        };
        n += 1;
        if n > MAX_MESSAGES {
            ex.problem(format!(
                "mbox: more than {MAX_MESSAGES} messages; the rest were not read"
            ));
            break;
        }
        match parser.parse(m.contents()) {
            Some(msg) => message(&msg, &mut ex, &mut budget, &format!("message{n}/")),
            None => ex.problem(format!("mbox: message {n} could not be parsed; skipped")),
        }
        if ex.text.len() >= super::MAX_TEXT {
            break;
        }
    }
    if n == 0 {
        return Err(DocError::unreadable(
            "mbox with no message (no line starts with `From `)".to_string(),
        ));
    }
    Ok(ex)
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

#[derive(Default)]
struct Budget {
    attachments: usize,
    bytes: usize,
}

fn address_line(label: &str, a: Option<&Address>, ex: &mut Extracted) {
    let Some(a) = a else { return };
    let mut parts = Vec::new();
    for addr in a.iter() {
        match (addr.name(), addr.address()) {
            (Some(n), Some(e)) => parts.push(format!("{n} <{e}>")),
            (None, Some(e)) => parts.push(e.to_string()),
            (Some(n), None) => parts.push(n.to_string()),
            (None, None) => {}
        }
    }
    if !parts.is_empty() {
        ex.line(&format!("{label}: {}", parts.join(", ")));
    }
}

/// One message's headers, bodies and attachments (`prefix` names it inside a mailbox).
fn message(msg: &Message, ex: &mut Extracted, budget: &mut Budget, prefix: &str) {
    address_line("From", msg.from(), ex);
    address_line("Sender", msg.sender(), ex);
    address_line("Reply-To", msg.reply_to(), ex);
    address_line("To", msg.to(), ex);
    address_line("Cc", msg.cc(), ex);
    address_line("Bcc", msg.bcc(), ex);
    // Envelope mailboxes a relay added: the recipient's own address, often the only one.
    for h in ["Delivered-To", "X-Original-To", "Return-Path"] {
        for (name, value) in msg.headers_raw() {
            if name.eq_ignore_ascii_case(h) {
                ex.line(&format!("{h}: {}", value.trim()));
            }
        }
    }
    if let Some(s) = msg.subject() {
        ex.line(&format!("Subject: {s}"));
    }
    if ex.encoding.is_none() {
        ex.encoding = msg
            .parts
            .iter()
            .find_map(|p| p.content_type()?.attribute("charset"))
            .map(|c| c.to_ascii_lowercase());
    }
    // Every part once, by kind: text bodies, HTML bodies (as text), then files. A part that is
    // both a body and listed as an attachment (an inline text file) is read as text.
    let mut is_body = vec![false; msg.parts.len()];
    for &i in msg.text_body.iter().chain(msg.html_body.iter()) {
        if let Some(b) = is_body.get_mut(i as usize) {
            *b = true;
        }
    }
    // What the message says about its attachments: the subject and every body line that
    // mentions one (`附件是我的身份证正反面`), for an image whose name says nothing.
    let mut about = msg.subject().unwrap_or_default().to_string();
    for (i, part) in msg.parts.iter().enumerate() {
        let text: Option<Cow<str>> = match &part.body {
            PartType::Text(t) => Some(Cow::Borrowed(t.as_ref())),
            PartType::Html(h) => Some(Cow::Owned(super::markup::html_to_lines(h))),
            _ => None,
        };
        if let Some(t) = text {
            let named_file = part.attachment_name().is_some() && !is_body[i];
            if !named_file {
                for l in t.lines().filter(|l| mentions_attachment(l)) {
                    if about.len() < 4096 {
                        about.push('\n');
                        about.push_str(l.trim());
                    }
                }
                if !ex.lines(&t) {
                    return;
                }
                continue;
            }
        }
        let (name, bytes): (String, &[u8]) = match &part.body {
            PartType::Multipart(_) => continue,
            PartType::Message(inner) => (
                part.attachment_name()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("message-part{i}.eml")),
                inner.raw_message(),
            ),
            PartType::Text(t) | PartType::Html(t) => (
                part.attachment_name()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("part{i}.txt")),
                t.as_bytes(),
            ),
            PartType::Binary(b) | PartType::InlineBinary(b) => (
                part.attachment_name()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("part{i}.bin")),
                b.as_ref(),
            ),
        };
        if budget.attachments >= MAX_ATTACHMENTS
            || budget.bytes.saturating_add(bytes.len()) > MAX_ATTACHMENT_BYTES
        {
            ex.problem(format!(
                "more than {MAX_ATTACHMENTS} attachments or {} MiB of them; `{name}` and \
                 those after it were not read",
                MAX_ATTACHMENT_BYTES >> 20
            ));
            continue;
        }
        budget.attachments += 1;
        budget.bytes += bytes.len();
        // A name with a path in it stays one member name.
        let name = name.replace(['/', '\\', '!'], "_");
        let mut context = about.clone();
        if let Some(d) = part.content_description() {
            context.push('\n');
            context.push_str(d);
        }
        ex.attachments.push(Attachment {
            name: format!("{prefix}{name}"),
            bytes: bytes.to_vec(),
            context,
        });
    }
}

/// Whether a body line talks about the message's attachments.
fn mentions_attachment(line: &str) -> bool {
    let l = line.to_lowercase();
    ["附件", "附上", "附图", "见附", "attach", "enclosed"]
        .iter()
        .any(|w| l.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_bodies_in_their_charsets_and_attachments() {
        // Subject and name in RFC 2047 GB2312 quoted-printable; a GBK base64 body; a file.
        let (body, _, _) = encoding_rs::GBK.encode("联系人张伟，手机13812345678。\n");
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &body);
        let eml = format!(
            "From: =?GB2312?Q?=C0=EE=D5=B9=B7=E6?= <li@example.com>\r\n\
             To: a@example.org, \"B\" <b@example.org>\r\n\
             Message-ID: <123@mail.example.net>\r\n\
             Subject: =?GB2312?Q?=D7=B0=D3=B2?=\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n\
             --XX\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n\
             {b64}\r\n--XX\r\nContent-Type: text/csv; name=\"a.csv\"\r\n\
             Content-Disposition: attachment; filename=\"a.csv\"\r\n\r\n\
             name,phone\r\nx,13912345678\r\n--XX--\r\n"
        );
        let ex = read_eml(eml.as_bytes()).unwrap();
        assert!(
            ex.text.contains("From: 李展锋 <li@example.com>"),
            "{}",
            ex.text
        );
        assert!(ex.text.contains("To: a@example.org, B <b@example.org>"));
        assert!(ex.text.contains("Subject: 装硬"));
        assert!(ex.text.contains("联系人张伟，手机13812345678。"));
        assert!(!ex.text.contains("123@mail"), "Message-ID is no mailbox");
        assert_eq!(ex.attachments.len(), 1);
        assert_eq!(ex.attachments[0].name, "a.csv");
        assert!(ex.attachments[0].bytes.starts_with(b"name,phone"));
    }

    #[test]
    fn a_mailbox_is_its_messages() {
        let mbox = b"From a@x Mon Jan  1 00:00:00 2024\nFrom: a@example.com\nSubject: one\n\nhello 13812345678\n\nFrom b@x Mon Jan  1 00:00:00 2024\nFrom: b@example.com\n\n>From the body\n";
        let ex = read_mbox(mbox).unwrap();
        assert!(ex.text.contains("From: a@example.com"));
        assert!(ex.text.contains("From: b@example.com"));
        assert!(ex.text.contains("hello 13812345678"));
        assert!(read_mbox(b"no separator\n").is_err());
    }
}
