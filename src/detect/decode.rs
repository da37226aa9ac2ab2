//! Decoding: the same value as real files write it, brought back to the plain spelling.
//!
//! Logs and exports rarely hold an identifier only as `13812345678`: a form in a Chinese input
//! method gives full-width `１３８１２３４５６７８`, a word processor no-break spaces between digit
//! groups, a JSON log `\n13812345678` or `\uff1a` (where the backslash-letter would glue to the
//! number and fail its boundary), an access log `zhang%40example.com` or `%2B86`, an HTML page
//! `zhang&#64;example.com`. Before the patterns run, such a haystack is decoded into a copy —
//! with, for every byte of the copy, the offset in the original it came from — so that the
//! findings (and their normalised values, the subject keys) are those of the plain spelling,
//! and their offsets point into the original.
//!
//! The copy is made only when it differs: [`first_change`] looks for the few bytes that can
//! start a decodable unit (`%`, `&`, `\` and the UTF-8 lead bytes of full-width forms and of
//! Unicode spaces) with `memchr`, and ASCII text without `%`, `&` or `\` takes exactly the path
//! it took before this module existed. What is decoded:
//!
//! * full-width digits, letters and `@ + - . _` (U+FF10–FF19, FF21–FF3A, FF41–FF5A, FF20,
//!   FF0B, FF0D, FF0E, FF3F) → ASCII; other full-width punctuation (`，：（`) is left as it is
//!   (it separates already);
//! * Unicode spaces (U+00A0, U+2002–U+200A, U+202F, U+3000) → a space, so `138 1234 5678` with
//!   no-break spaces is the 3-4-4 grouping;
//! * JSON escapes: `\uXXXX` (and surrogate pairs), `\n \r \t \b \f` → a space (a context window
//!   keeps spanning them, as it would the line they came from), `\" \/ \\ \'` → the character;
//! * URL encoding: `%XX`, doubly encoded `%25XX`, and `+` as a space inside a token that holds a
//!   `%XX` (form encoding; elsewhere `+` stays: `+86`, `zhang+news@`);
//! * HTML character references: `&#DDD;`, `&#xHH;` and the named ones an address or a number
//!   uses (`&commat; &nbsp; &amp; &period; &plus; &hyphen; &lowbar; &colon; &lt; &gt; &quot;
//!   &apos;`).
//!
//! A decoded character is decoded once more through the first two rules (`\uff11` → `１` → `1`),
//! never through the escapes again.

/// Where a unit of the original starts, for each byte of a decoded copy (plus its end).
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    /// The decoded text.
    pub text: Vec<u8>,
    /// `map[k]`: offset in the original of the unit that produced `text[k]`; one more entry,
    /// `map[text.len()]`, is the original's length.
    pub map: Vec<u32>,
}

impl Decoded {
    /// The original offset of decoded offset `k` (a finding's start or end).
    pub fn original(&self, k: usize) -> usize {
        self.map.get(k).map_or(0, |&o| o as usize)
    }

    /// The decoded offset of original offset `o`: the first decoded byte from a unit starting
    /// at or after `o`.
    pub fn decoded(&self, o: usize) -> usize {
        self.map.partition_point(|&m| (m as usize) < o)
    }
}

/// Longest haystack decoded (offsets are kept as `u32`); longer ones are searched as they are.
const MAX_DECODED: usize = u32::MAX as usize - 8;

/// The offset of the first unit of `hay` that decodes to something else, if any.
pub fn first_change(hay: &[u8]) -> Option<usize> {
    if hay.len() > MAX_DECODED {
        return None;
    }
    // `memchr3` itself, not its iterator: on a table record of a few dozen bytes the
    // iterator's set-up was half the cost of this check.
    let mut first: Option<usize> = None;
    let mut at = 0;
    while let Some(k) = memchr::memchr3(b'%', b'&', b'\\', &hay[at..]) {
        if unit(hay, at + k, true).is_some() {
            first = Some(at + k);
            break;
        }
        at += k + 1;
    }
    if hay.is_ascii() {
        return first;
    }
    let limit = first.unwrap_or(hay.len());
    let wide = memchr::memchr3_iter(0xEF, 0xE3, 0xC2, &hay[..limit])
        .chain(memchr::memchr_iter(0xE2, &hay[..limit]));
    wide.filter(|&i| unit(hay, i, true).is_some())
        .min()
        .or(first)
}

/// Decodes `hay` into `out` (cleared first), from `from` (the [`first_change`]; the bytes
/// before it are copied as they are).
pub fn decode(hay: &[u8], from: usize, out: &mut Decoded) {
    out.text.clear();
    out.map.clear();
    out.text.extend_from_slice(&hay[..from]);
    out.map.extend((0..from).map(|i| i as u32));
    let mut i = from;
    let mut plus_token: Option<(usize, bool)> = None;
    while i < hay.len() {
        let b = hay[i];
        if b == b'+' {
            // A space in a form-encoded token (one that holds a `%XX`); itself elsewhere.
            let encoded = match plus_token {
                Some((end, enc)) if i < end => enc,
                _ => {
                    let (end, enc) = token_is_encoded(hay, i);
                    plus_token = Some((end, enc));
                    enc
                }
            };
            push(out, if encoded { b' ' } else { b'+' }, i);
            i += 1;
            continue;
        }
        match unit(hay, i, false) {
            Some((len, ch)) => {
                let mut buf = [0u8; 4];
                for &c in ch.encode_utf8(&mut buf).as_bytes() {
                    push(out, c, i);
                }
                i += len;
            }
            None => {
                push(out, b, i);
                i += 1;
            }
        }
    }
    out.map.push(hay.len() as u32);
}

fn push(out: &mut Decoded, b: u8, from: usize) {
    out.text.push(b);
    out.map.push(from as u32);
}

/// Bytes that end a URL-encoded token.
fn ends_token(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'>')
}

/// The end of the token around `i`, and whether it holds a `%XX` escape.
fn token_is_encoded(hay: &[u8], i: usize) -> (usize, bool) {
    const REACH: usize = 4096;
    let lo = i.saturating_sub(REACH);
    let start = hay[lo..i]
        .iter()
        .rposition(|&b| ends_token(b))
        .map_or(lo, |k| lo + k + 1);
    let hi = (i + REACH).min(hay.len());
    let end = hay[i..hi]
        .iter()
        .position(|&b| ends_token(b))
        .map_or(hi, |k| i + k);
    let token = &hay[start..end];
    let encoded = memchr::memchr_iter(b'%', token)
        .any(|k| token.len() > k + 2 && hex(token[k + 1]).is_some() && hex(token[k + 2]).is_some());
    (end, encoded)
}

/// The decodable unit at `hay[i]`: its length and the character it stands for, or `None` if
/// the byte there stands for itself. `probe`: only say whether it decodes (same answer).
fn unit(hay: &[u8], i: usize, probe: bool) -> Option<(usize, char)> {
    let _ = probe;
    let rest = &hay[i..];
    let (len, ch) = match rest[0] {
        b'%' => percent(rest)?,
        b'&' => entity(rest)?,
        b'\\' => json_escape(rest)?,
        0x80.. => {
            let (len, ch) = utf8_char(rest)?;
            let plain = plain_char(ch)?;
            return Some((len, plain));
        }
        _ => return None,
    };
    // A decoded character goes through the character rules once more (`\uff11` → `1`).
    Some((len, plain_char(ch).unwrap_or(ch)))
}

/// The ASCII (or space) a full-width form or a Unicode space stands for, if it is one the
/// detectors care about.
fn plain_char(c: char) -> Option<char> {
    match c {
        '\u{FF10}'..='\u{FF19}'
        | '\u{FF21}'..='\u{FF3A}'
        | '\u{FF41}'..='\u{FF5A}'
        | '\u{FF20}'
        | '\u{FF0B}'
        | '\u{FF0D}'
        | '\u{FF0E}'
        | '\u{FF3F}' => char::from_u32(u32::from(c) - 0xFEE0),
        '\u{A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{3000}' => Some(' '),
        _ => None,
    }
}

/// The UTF-8 character at the start of `b`, and its length.
fn utf8_char(b: &[u8]) -> Option<(usize, char)> {
    let len = match b[0] {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let s = std::str::from_utf8(b.get(..len)?).ok()?;
    s.chars().next().map(|c| (len, c))
}

fn hex(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// `%XX`, or `%25XX` (encoded twice): the byte XX as a character if it is ASCII. A `%XX` that
/// is a UTF-8 byte ≥ 0x80 stands for part of a character: the run of such escapes is decoded
/// together (`%E6%89%8B` → `手`).
fn percent(b: &[u8]) -> Option<(usize, char)> {
    let byte_at = |k: usize| -> Option<u8> {
        let (h, l) = (hex(*b.get(k + 1)?)?, hex(*b.get(k + 2)?)?);
        u8::try_from(h * 16 + l).ok()
    };
    let (first, mut len, twice) = match byte_at(0)? {
        0x25 if b.get(3) != Some(&b'%') => match byte_at(2) {
            Some(x) => (x, 5, true),
            None => (b'%', 3, false),
        },
        x => (x, 3, false),
    };
    if first < 0x80 {
        return Some((len, char::from(first)));
    }
    // A UTF-8 sequence written as consecutive `%XX`.
    let need = match first {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let mut bytes = [first, 0, 0, 0];
    // Encoded twice, every byte of the sequence is `%25XX` (`%25E4%25BE%258B` → `例`).
    for slot in bytes.iter_mut().take(need).skip(1) {
        if b.get(len) != Some(&b'%') {
            return None;
        }
        if twice {
            if byte_at(len)? != 0x25 {
                return None;
            }
            len += 2;
        }
        *slot = byte_at(len)?;
        len += 3;
    }
    let c = std::str::from_utf8(&bytes[..need]).ok()?.chars().next()?;
    Some((len, c))
}

/// An HTML character reference: `&#DDD;`, `&#xHH;` or one of a few names.
fn entity(b: &[u8]) -> Option<(usize, char)> {
    let semi = b.iter().take(12).position(|&c| c == b';')?;
    let body = &b[1..semi];
    let c = if let Some(num) = body.strip_prefix(b"#") {
        let (digits, radix) = match num.first() {
            Some(b'x' | b'X') => (&num[1..], 16),
            _ => (num, 10),
        };
        if digits.is_empty() {
            return None;
        }
        let v = std::str::from_utf8(digits).ok()?;
        char::from_u32(u32::from_str_radix(v, radix).ok()?)?
    } else {
        match body {
            b"commat" => '@',
            b"nbsp" => '\u{A0}',
            b"amp" => '&',
            b"period" => '.',
            b"plus" => '+',
            b"hyphen" | b"dash" => '-',
            b"lowbar" => '_',
            b"colon" => ':',
            b"lt" => '<',
            b"gt" => '>',
            b"quot" => '"',
            b"apos" => '\'',
            _ => return None,
        }
    };
    Some((semi + 1, c))
}

/// A JSON string escape.
fn json_escape(b: &[u8]) -> Option<(usize, char)> {
    let c = match *b.get(1)? {
        b'n' | b'r' | b't' | b'b' | b'f' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'\'' => '\'',
        b'u' => {
            let cp = |k: usize| -> Option<u32> {
                let d = b.get(k..k + 4)?;
                d.iter().try_fold(0u32, |n, &x| Some(n * 16 + hex(x)?))
            };
            let hi = cp(2)?;
            if (0xD800..0xDC00).contains(&hi) {
                // A surrogate pair: `\uD83D\uDE00`.
                if b.get(6..8) != Some(b"\\u") {
                    return None;
                }
                let lo = cp(8)?;
                if !(0xDC00..0xE000).contains(&lo) {
                    return None;
                }
                let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?;
                return Some((12, c));
            }
            return Some((6, char::from_u32(hi)?));
        }
        _ => return None,
    };
    Some((2, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(s: &str) -> String {
        let hay = s.as_bytes();
        let Some(from) = first_change(hay) else {
            return s.to_string();
        };
        let mut out = Decoded::default();
        decode(hay, from, &mut out);
        assert_eq!(out.map.len(), out.text.len() + 1);
        assert!(out.map.windows(2).all(|w| w[0] <= w[1]), "monotonic");
        String::from_utf8(out.text).unwrap()
    }

    #[test]
    fn plain_text_is_left_alone() {
        for s in [
            "13812345678",
            "手机：13812345678，谢谢（张三）",
            "100% sure & done",
            "C:\\Users\\zhang",
            "+8613812345678",
            "zhang+news@example.com",
            "",
        ] {
            assert_eq!(first_change(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn full_width_and_unicode_spaces() {
        assert_eq!(decoded("１３８１２３４５６７８"), "13812345678");
        assert_eq!(decoded("护照Ｅ１２３４５６７８"), "护照E12345678");
        assert_eq!(decoded("zhang＠example.com"), "zhang@example.com");
        assert_eq!(decoded("138\u{a0}1234\u{a0}5678"), "138 1234 5678");
        assert_eq!(
            decoded("138\u{3000}1234\u{2009}5678\u{202f}"),
            "138 1234 5678 "
        );
        assert_eq!(
            decoded("手机：１３８"),
            "手机：138",
            "full-width colon stays"
        );
    }

    #[test]
    fn json_escapes() {
        assert_eq!(decoded("\\n13812345678"), " 13812345678");
        assert_eq!(decoded("\\\"13812345678\\\""), "\"13812345678\"");
        assert_eq!(decoded("\\uff1a13812345678"), "：13812345678");
        assert_eq!(decoded("\\u624b\\u673a\\uff11"), "手机1");
        assert_eq!(decoded("\\ud83d\\ude00"), "😀");
        assert_eq!(decoded("\\\\n1"), "\\n1", "an escaped backslash, then n");
        assert_eq!(decoded("\\ud83d x"), "\\ud83d x", "a lone surrogate stays");
    }

    #[test]
    fn url_encoding() {
        assert_eq!(decoded("zhang%40example.com"), "zhang@example.com");
        assert_eq!(decoded("zhang%2540example.com"), "zhang@example.com");
        assert_eq!(decoded("tel=%2B8613812345678"), "tel=+8613812345678");
        assert_eq!(
            decoded("q=%E6%89%8B%E6%9C%BA+13812345678"),
            "q=手机 13812345678"
        );
        assert_eq!(decoded("a+b %41"), "a+b A", "+ outside the encoded token");
        assert_eq!(decoded("100%"), "100%");
        assert_eq!(decoded("%E6%89"), "%E6%89", "a cut UTF-8 sequence stays");
        // Encoded twice, a UTF-8 sequence is `%25XX` for each of its bytes.
        assert_eq!(
            decoded("%25E9%2599%2588%25E8%258A%25B3%2540%25E4%25BE%258B%25E5%25AD%2590.cn"),
            "陈芳@例子.cn"
        );
        assert_eq!(
            decoded("%25E6%89"),
            "%25E6%89",
            "mixed encodings are not one sequence"
        );
    }

    #[test]
    fn html_entities() {
        assert_eq!(decoded("zhang&#64;example.com"), "zhang@example.com");
        assert_eq!(decoded("zhang&#x40;example.com"), "zhang@example.com");
        assert_eq!(decoded("zhang&commat;example.com"), "zhang@example.com");
        assert_eq!(decoded("138&nbsp;1234&nbsp;5678"), "138 1234 5678");
        assert_eq!(decoded("&#xff11;"), "1");
        assert_eq!(decoded("&unknown; &#;"), "&unknown; &#;");
    }

    #[test]
    fn offsets_map_back() {
        let s = "a%40b";
        let mut out = Decoded::default();
        decode(s.as_bytes(), first_change(s.as_bytes()).unwrap(), &mut out);
        assert_eq!(out.text, b"a@b");
        assert_eq!(
            (0..=3).map(|k| out.original(k)).collect::<Vec<_>>(),
            [0, 1, 4, 5]
        );
        assert_eq!(out.decoded(1), 1);
        assert_eq!(out.decoded(4), 2);
        assert_eq!(out.decoded(5), 3);
    }

    #[test]
    fn nothing_panics_on_cut_or_odd_escapes() {
        let mut rng = crate::TestRng(0x1234_5678_9abc_def1);
        let pieces: [&[u8]; 12] = [
            b"%",
            b"4",
            b"0",
            b"&",
            b"#",
            b";",
            b"\\",
            b"u",
            b"\xEF\xBC",
            b"\x91",
            b"+",
            b"x",
        ];
        for _ in 0..20_000 {
            let hay: Vec<u8> = (0..rng.below(10) + 1)
                .flat_map(|_| pieces[rng.below(pieces.len())].iter().copied())
                .collect();
            if let Some(from) = first_change(&hay) {
                let mut out = Decoded::default();
                decode(&hay, from, &mut out);
                assert_eq!(out.map.len(), out.text.len() + 1);
            }
        }
    }
}
