//! Guards: named checks on what surrounds a candidate, which a detector file lists in `guards`.
//!
//! A validator sees only the matched text; some look-alikes are told apart only by their
//! neighbours. `13812345678` is a mobile number in `手机 13812345678` but an item id in
//! `/item/13812345678` and an amount in `¥13800000000.00`; `20250101` next to `台胞证有效期` is a
//! date, not a permit number. Each guard is cheap on the common case (a value alone in a table
//! cell has no neighbours to inspect) and is a closed enum variant, as validators are, so that
//! an unknown name is a load error listing the known ones.

use super::Detector;

/// A named check that rejects a candidate because of its surroundings or its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Inside a URL: a path segment (`/item/13812345678`), anywhere after `://`, or a query
    /// value (`?id=13812345678&`) — unless the query parameter's name is one of the detector's
    /// context keywords (`?mobile=13812345678`). `key=value` log fields outside a URL are left
    /// to the negative keywords.
    Url,
    /// Part of a larger number: an amount after a currency sign (`¥13800000000`), the integer
    /// part of a decimal (`13800000000.00`) or digits after a decimal point.
    Number,
    /// An 8-digit value that is a real date `YYYYMMDD` in 1900–2100 (`有效期 20250101`).
    Date,
    /// `user@host:path`, an SSH remote (`git@github.com:org/repo.git`): the address-like part
    /// is followed by `:` and a path character.
    SshRemote,
    /// A Message-ID: inside `<…>` on a `Message-ID:`, `In-Reply-To:` or `References:` header
    /// line (`Message-ID: <20231231.abc123@mail.example.com>`). Checked on the line's start
    /// rather than with negative keywords in a window: a Message-ID's local part is often
    /// longer than any window, and a `References:` line holds many.
    MessageId,
    /// Any negative keyword within the window, wherever the positive ones stand, rejects the
    /// candidate (rather than the nearest keyword deciding): for values that are some
    /// person's data only in a sentence about that person — `患有糖尿病` in a case note, not in
    /// `全国约1.4亿人患有糖尿病`, whose statistic words are the negative keywords.
    NegativeVetoes,
}

impl Guard {
    /// Every guard, in the order of [`Guard::NAMES`].
    pub const ALL: &'static [Self] = &[
        Self::Url,
        Self::Number,
        Self::Date,
        Self::SshRemote,
        Self::MessageId,
        Self::NegativeVetoes,
    ];
    /// The names a detector file may use, in the order of [`Guard::ALL`].
    pub const NAMES: &'static [&'static str] = &[
        "url",
        "number",
        "date",
        "ssh-remote",
        "message-id",
        "negative-vetoes",
    ];

    /// The guard called `name`, or `None` if there is none.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|g| g.name() == name)
    }

    /// The name a detector file uses for this guard.
    pub fn name(self) -> &'static str {
        match self {
            Self::Url => "url",
            Self::Number => "number",
            Self::Date => "date",
            Self::SshRemote => "ssh-remote",
            Self::MessageId => "message-id",
            Self::NegativeVetoes => "negative-vetoes",
        }
    }

    /// Whether this guard looks at the value only, not at its surroundings (so it applies to a
    /// value alone on its line too).
    pub(crate) fn on_value(self) -> bool {
        matches!(self, Self::Date)
    }

    /// Whether this guard rejects the candidate `hay[s..e]`, normalised to `normalised`, of
    /// detector `d`.
    pub(crate) fn rejects(
        self,
        d: &Detector,
        hay: &[u8],
        s: usize,
        e: usize,
        normalised: &str,
    ) -> bool {
        match self {
            Self::Url => in_url(d, hay, s),
            Self::Number => in_number(hay, s, e),
            Self::Date => is_date8(normalised.as_bytes()),
            Self::MessageId => hay.get(s.wrapping_sub(1)).is_some() && in_message_id(hay, s),
            Self::NegativeVetoes => d.negative_within(hay, s, e),
            Self::SshRemote => {
                hay.get(e) == Some(&b':')
                    && hay.get(e + 1).is_some_and(|&b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'~' | b'/' | b'_' | b'.')
                    })
            }
        }
    }
}

/// Longest stretch looked back over for the start of a URL: a guard must stay cheap on text
/// with long unbroken tokens (base64, minified JSON).
const URL_REACH: usize = 2048;

/// Bytes that end a URL-like token: ASCII whitespace and controls, quotes, brackets, commas
/// and any non-ASCII byte (Chinese text around a link).
fn ends_token(b: u8) -> bool {
    b <= b' ' || b >= 0x80 || matches!(b, b'"' | b'\'' | b'<' | b'>' | b'(' | b')' | b',' | b'`')
}

/// Is `hay[s..]` inside a URL, and not a query value named by a context keyword?
fn in_url(d: &Detector, hay: &[u8], s: usize) -> bool {
    let lo = s.saturating_sub(URL_REACH);
    let mut t = s;
    while t > lo && !ends_token(hay[t - 1]) {
        t -= 1;
    }
    let token = &hay[t..s];
    let Some(&prev) = token.last() else {
        return false;
    };
    let scheme = memchr::memmem::find(token, b"://").is_some();
    let query = memchr::memchr(b'?', token).is_some();
    match prev {
        b'=' if scheme || query => {
            // The parameter's name: back to `?`, `&` or `;`.
            let name_end = token.len() - 1;
            let name_start = token[..name_end]
                .iter()
                .rposition(|&b| matches!(b, b'?' | b'&' | b';' | b'/'))
                .map_or(0, |i| i + 1);
            !d.names_keyword(&token[name_start..name_end])
        }
        b'/' => scheme || (token.len() > 1 && token[0] == b'/') || token.starts_with(b"www."),
        _ => scheme,
    }
}

/// Is `hay[s..e]` part of an amount or a decimal number? Decided on the byte before and the
/// two after (this runs for every mobile-number candidate).
fn in_number(hay: &[u8], s: usize, e: usize) -> bool {
    if hay.get(e) == Some(&b'.') && hay.get(e + 1).is_some_and(u8::is_ascii_digit) {
        return true;
    }
    // One space may stand between a currency sign and the amount.
    let lead = match s.checked_sub(1).map(|i| hay[i]) {
        Some(b'.') => return s >= 2 && hay[s - 2].is_ascii_digit(),
        Some(b' ') => s - 1,
        Some(b'$' | 0xA5 | 0xA3 | 0xAC) => s,
        _ => return false,
    };
    let before = &hay[..lead];
    // `$`, `¥` (U+00A5), `￥` (U+FFE5), `€` (U+20AC), `£` (U+00A3).
    before.ends_with(b"$")
        || before.ends_with("¥".as_bytes())
        || before.ends_with("￥".as_bytes())
        || before.ends_with("€".as_bytes())
        || before.ends_with("£".as_bytes())
}

/// Is `hay[s..]` (an address-like candidate) inside `<…>` on a message-id header line?
fn in_message_id(hay: &[u8], s: usize) -> bool {
    // Back over the local part (which may have been cut at a dot) to the `<`.
    let mut t = s;
    while t > 0 && !matches!(hay[t - 1], b'<' | b'\n' | b' ' | b'\t' | b'>' | b',') {
        t -= 1;
    }
    if t == 0 || hay[t - 1] != b'<' {
        return false;
    }
    let line = memchr::memrchr(b'\n', &hay[..t]).map_or(0, |i| i + 1);
    if is_id_header(&hay[line..t]) {
        return true;
    }
    // A folded header line goes on after leading white space: the ids on it count when the
    // line it continues is a message-id header.
    let head = &hay[line..t];
    let folded =
        head.first().is_some_and(|&b| b == b' ' || b == b'\t') && !head.contains(&b':') && line > 0;
    folded && {
        let prev = memchr::memrchr(b'\n', &hay[..line - 1]).map_or(0, |i| i + 1);
        is_id_header(&hay[prev..line - 1])
    }
}

/// Does a line start with a header that holds Message-IDs?
fn is_id_header(line: &[u8]) -> bool {
    ["message-id:", "in-reply-to:", "references:"]
        .iter()
        .any(|h| line.len() >= h.len() && line[..h.len()].eq_ignore_ascii_case(h.as_bytes()))
}

/// Are these exactly 8 ASCII digits forming a real date `YYYYMMDD` in 1900–2100?
pub(crate) fn is_date8(b: &[u8]) -> bool {
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let num = |s: &[u8]| s.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let year = num(&b[..4]);
    (1900..=2100).contains(&year)
        && chrono::NaiveDate::from_ymd_opt(year as i32, num(&b[4..6]), num(&b[6..])).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSet;

    #[test]
    fn names_round_trip() {
        assert_eq!(Guard::ALL.len(), Guard::NAMES.len());
        for (g, name) in Guard::ALL.iter().zip(Guard::NAMES) {
            assert_eq!(Guard::from_name(name), Some(*g));
        }
        assert_eq!(Guard::from_name("URL"), None);
    }

    #[test]
    fn url_guard_rejects_paths_and_unnamed_query_values() {
        let set = DetectorSet::load(None).unwrap();
        let d = set.get(set.index_of("cn-mobile").unwrap());
        let at = |hay: &str| {
            let s = hay.find("138").unwrap();
            in_url(d, hay.as_bytes(), s)
        };
        assert!(at("GET /item/13812345678 HTTP/1.1"));
        assert!(at("https://shop.example.com/u?id=13812345678&x=1"));
        assert!(at("https://shop.example.com/a-13812345678"));
        assert!(at("/api?uid=13812345678"));
        assert!(!at("/api/user?mobile=13812345678"), "named by a keyword");
        assert!(!at("https://x.example.com/?phone=13812345678"));
        assert!(
            !at("mobile=13812345678 ip=10.0.0.1"),
            "a log field, not a URL"
        );
        assert!(!at("电话/13812345678"));
        assert!(!at("13812345678"));
        assert!(!at("见 https://example.com 13812345678"));
    }

    #[test]
    fn number_guard_rejects_amounts_and_decimals() {
        let at = |hay: &str| {
            let s = hay.find("138").unwrap();
            in_number(hay.as_bytes(), s, s + 11)
        };
        assert!(at("13800000000.00"));
        assert!(at("¥13800000000"));
        assert!(at("￥ 13800000000"));
        assert!(at("$13800000000"));
        assert!(at("0.13800000000"));
        assert!(!at("13800000000."), "a full stop ends a sentence");
        assert!(!at("tel 13800000000, thanks"));
        assert!(!at("13800000000"));
    }

    #[test]
    fn message_id_guard_reads_the_header_line() {
        let at = |hay: &str, from: &str| in_message_id(hay.as_bytes(), hay.find(from).unwrap());
        assert!(at("Message-ID: <20231231.abc123@mail.example.com>", "2023"));
        assert!(at("Message-ID: <20231231.abc123@mail.example.com>", "abc"));
        assert!(at("x\nIn-Reply-To: <a1b2@mx.example.com>", "a1b2"));
        assert!(at("References: <a@x.example.com> <b@y.example.com>", "b@"));
        assert!(!at("To: 张三 <zhang@example.com>", "zhang"));
        assert!(!at("<zhang@example.com>", "zhang"));
        assert!(!at("mail zhang@example.com", "zhang"));
        assert!(at(
            "References: <a@x.example.com>\n <b@y.example.com>",
            "b@"
        ));
        assert!(
            !at(" Zhang <zhang@example.com>", "zhang"),
            "no earlier id on the line"
        );
    }

    #[test]
    fn date_guard_is_a_real_date_of_8_digits() {
        assert!(is_date8(b"20250101"));
        assert!(is_date8(b"19000228"));
        assert!(!is_date8(b"19000229"), "1900 is not a leap year");
        assert!(!is_date8(b"12345678"));
        assert!(!is_date8(b"18991231"));
        assert!(!is_date8(b"2025010"));
        assert!(!is_date8(b"2025-1-1"));
    }
}
