//! The detection engine: data-defined detectors compiled into one multi-pattern matcher.
//!
//! Every detector is a TOML file (see `detectors/` and [`load`]). All their patterns are compiled
//! into a single `regex_automata::meta::Regex`, so the bytes of a file are read once whatever the
//! size of the catalogue: the matcher reports a candidate's span and pattern id in one pass, and
//! only candidates are validated (checksums, calendar dates), checked for context and normalised.
//!
//! Boundaries are checked in code rather than with `\b`: Chinese text puts identifiers right
//! against Hanzi (`身份证号440524198001010013`), where a Unicode word boundary does not exist, while
//! a digit run inside a longer digit run must not match. So a candidate counts only when the bytes
//! on either side are not ASCII letters or digits.

pub mod checks;
pub mod decode;
mod engine;
pub mod guards;
pub mod load;
mod numeric;
pub mod person;
pub mod validators;

use serde::{Deserialize, Serialize};

use guards::Guard;
pub use load::LoadError;
use validators::{Masker, Normaliser, Validator};

/// A sensitivity standard: which personal information counts as *sensitive* PI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Standard {
    /// GB/T 45574-2025 (in force 2025-11-01): a bare ID number is not sensitive.
    Gbt45574_2025,
    /// GB/T 35273-2020 Appendix B: identity-document numbers are sensitive.
    Gbt35273_2020,
}

impl Standard {
    pub const ALL: [Standard; 2] = [Standard::Gbt45574_2025, Standard::Gbt35273_2020];

    pub fn id(self) -> &'static str {
        match self {
            Standard::Gbt45574_2025 => "gbt45574-2025",
            Standard::Gbt35273_2020 => "gbt35273-2020",
        }
    }

    pub fn from_id(s: &str) -> Option<Standard> {
        Standard::ALL.into_iter().find(|st| st.id() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Under which standards a detector's findings are sensitive PI.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sensitivity {
    #[serde(rename = "gbt35273-2020")]
    pub gbt35273_2020: bool,
    #[serde(rename = "gbt45574-2025")]
    pub gbt45574_2025: bool,
}

impl Sensitivity {
    pub fn under(&self, s: Standard) -> bool {
        match s {
            Standard::Gbt45574_2025 => self.gbt45574_2025,
            Standard::Gbt35273_2020 => self.gbt35273_2020,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternDef {
    /// The pattern; built from [`PatternDef::terms`] when that is given.
    #[serde(default)]
    pub regex: String,
    /// A word list under `detectors/data/` (`diagnosis-names.txt`: one term a line, `#`
    /// comments): the pattern is any of its terms, case-insensitive, longest first, Latin
    /// terms standing apart from other letters. A dictionary kept as data, matched as a
    /// pattern so that a context keyword beside the term (not inside the match) decides.
    #[serde(default)]
    pub terms: Option<String>,
    /// The format has no check character: count it only with a context keyword or header hint.
    #[serde(default)]
    pub requires_context: bool,
    /// The value has no shape of its own (a name, an address): the pattern is matched against
    /// a whole field value, and only in a field whose header names the detector. Such patterns
    /// are left out of the text matcher (they would fire on every run of Hanzi).
    #[serde(default)]
    pub requires_header: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(rename = "match")]
    pub matches: Vec<String>,
    pub no_match: Vec<String>,
}

/// One kind of personal information, as loaded and checked from its TOML file.
#[derive(Debug, Clone)]
pub struct Detector {
    pub id: String,
    pub names: Names,
    pub description: String,
    pub category: String,
    pub sensitive: Sensitivity,
    pub identifier: bool,
    /// `false` for data about an organisation, not a person (see the `personal` field of a
    /// detector file): counted as business data, never as PI.
    pub personal: bool,
    /// PI only beside a person's data in the same record (a device or vehicle identifier, a
    /// diagnosis): alone, a record with it is not counted as a record with PI (see the
    /// `needs_person` field of a detector file).
    pub needs_person: bool,
    pub priority: u32,
    pub patterns: Vec<PatternDef>,
    pub validator: Option<Validator>,
    pub normaliser: Normaliser,
    pub masker: Masker,
    /// Context keywords, lower-cased (ASCII) as written in the file.
    pub keywords: Vec<String>,
    context: Option<aho_corasick::AhoCorasick>,
    /// Negative context keywords (`[context] negative`), lower-cased (ASCII): words that name
    /// a value as something else (`订单号`, `IMEI`). The nearest keyword decides.
    pub negative: Vec<String>,
    negative_context: Option<aho_corasick::AhoCorasick>,
    /// Context window, in characters, on each side of a match.
    pub window: usize,
    pub header_hints: Vec<String>,
    /// Headers of columns that hold something else (`学号`, `order_id`): they veto the detector.
    pub not_header_hints: Vec<String>,
    /// `header_hints` and `not_header_hints` squashed once, as headers are compared with them.
    squashed_hints: [Vec<Hint>; 2],
    /// Checks on a candidate's surroundings (in a URL, part of an amount, a date).
    pub guards: Vec<Guard>,
    /// Normalised values that are never PI (public test card numbers).
    pub not_values: Vec<String>,
    /// Whether any check beyond pattern, validator and context applies (guards, negative
    /// keywords, `not_values`, the resident ID's reference date): the common detector skips
    /// them with one test.
    pub(crate) refined: bool,
    pub examples: Examples,
    /// Where the definition came from (embedded file name or path), for messages.
    pub origin: String,
}

impl Detector {
    /// Does a context keyword occur within `window` characters of `hay[start..end]`, on its line?
    pub(crate) fn has_context(&self, hay: &[u8], start: usize, end: usize) -> bool {
        let Some(ac) = &self.context else {
            return false;
        };
        let before = window_before(hay, start, self.window);
        let after = window_after(hay, end, self.window);
        [(before, start), (end, after)].into_iter().any(|(lo, hi)| {
            ac.find_iter(&hay[lo..hi])
                .any(|m| standalone(hay, lo + m.start(), lo + m.end()))
        })
    }

    /// Does a negative keyword stand nearer to `hay[start..end]` than any positive one (within
    /// the window, on its line)? At the same distance a keyword before the value is nearer than
    /// one after it (labels precede values: `手机 13812345678 订单号 …`), and a tie on the same
    /// side goes to the negative keyword (`会员卡号` holds `卡号`): an overstated count costs
    /// more than a missed one here. "Nearest wins" rather than a plain veto, so that a line
    /// naming an order number and a card (`订单号 … 卡号 6222…`) still counts the card.
    pub(crate) fn negative_nearest(&self, hay: &[u8], start: usize, end: usize) -> bool {
        let Some(negative) = &self.negative_context else {
            return false;
        };
        // One window for both keyword sets, each searched once over all of it.
        let lo = window_before(hay, start, self.window);
        let hi = window_after(hay, end, self.window);
        if lo == start && hi == end {
            // A value alone (a table cell in a joint record): no search to set up.
            return false;
        }
        let Some(neg) = nearest(negative, hay, lo, start, end, hi) else {
            return false;
        };
        self.context
            .as_ref()
            .and_then(|positive| nearest(positive, hay, lo, start, end, hi))
            .is_none_or(|pos| neg <= pos)
    }

    /// Does a negative keyword stand within the window around `hay[start..end]`, on either
    /// side (the `negative-vetoes` guard)?
    pub(crate) fn negative_within(&self, hay: &[u8], start: usize, end: usize) -> bool {
        let Some(negative) = &self.negative_context else {
            return false;
        };
        let before = window_before(hay, start, self.window);
        let after = window_after(hay, end, self.window);
        [(before, start), (end, after)].into_iter().any(|(lo, hi)| {
            negative
                .find_iter(&hay[lo..hi])
                .any(|m| standalone(hay, lo + m.start(), lo + m.end()))
        })
    }

    /// Does any positive keyword occur in `text` (a URL query parameter's name)?
    pub(crate) fn names_keyword(&self, text: &[u8]) -> bool {
        self.context.as_ref().is_some_and(|ac| ac.is_match(text))
    }

    /// Does a column header name this detector? Case-insensitive, ignoring spaces, `_` and `-`.
    /// A header that also names something else this detector must not count (`会员卡号` under
    /// a `卡号` hint) does not.
    pub fn header_matches(&self, header: &str) -> bool {
        self.header_matches_squashed(&squash(header))
    }

    /// Does a column header name something this detector must not count in it (`学号`,
    /// `order_id`)? Matched as [`header_hints`](Self::header_matches) are.
    pub fn header_vetoes(&self, header: &str) -> bool {
        self.header_vetoes_squashed(&squash(header))
    }

    /// [`header_matches`](Self::header_matches) for a header already [`squash`]ed (a
    /// [`DetectorSet`] squashes a header once for all its detectors).
    pub(crate) fn header_matches_squashed(&self, header: &str) -> bool {
        Hint::any_matches(&self.squashed_hints[0], header) && !self.header_vetoes_squashed(header)
    }

    pub(crate) fn header_vetoes_squashed(&self, header: &str) -> bool {
        Hint::any_matches(&self.squashed_hints[1], header)
    }
}

/// The hints of a detector's file as headers are compared with them: `header_hints` and
/// `not_header_hints`, squashed.
pub(crate) fn squashed_hints(hints: &[String], not_hints: &[String]) -> [Vec<Hint>; 2] {
    let squash = |v: &[String]| v.iter().map(|h| Hint::of(h)).collect();
    [squash(hints), squash(not_hints)]
}

/// A header hint, squashed once when its detector is loaded: a header equals it, or contains
/// one of three characters or more (both squashed: case-insensitive, without spaces, `_` and
/// `-`); a hint written `=lat` matches only a header that is exactly it (`lat` is inside
/// `plate` and `template`). Squashing every hint again for every field of every file was a
/// fifth of the CPU of a scan of many small files.
#[derive(Debug, Clone)]
pub(crate) struct Hint {
    squashed: String,
    /// Only a header that is exactly it (`=lat`).
    exact: bool,
    /// Three characters or more: also found inside a header.
    inside: bool,
}

impl Hint {
    pub(crate) fn of(hint: &str) -> Hint {
        let (text, exact) = match hint.strip_prefix('=') {
            Some(t) => (t, true),
            None => (hint, false),
        };
        let squashed = squash(text);
        let inside = !exact && squashed.chars().count() >= 3;
        Hint {
            squashed,
            exact,
            inside,
        }
    }

    /// Does a squashed header match one of `hints`?
    pub(crate) fn any_matches(hints: &[Hint], header: &str) -> bool {
        !header.is_empty()
            && hints.iter().any(|hint| {
                if hint.exact {
                    return header == hint.squashed;
                }
                !hint.squashed.is_empty()
                    && (header == hint.squashed || (hint.inside && header.contains(&hint.squashed)))
            })
    }
}

/// Distance from `hay[start..end]` to the nearest standalone hit of `ac` in `hay[lo..hi]`:
/// twice the characters between them, plus one for a hit after the value (so that a hit
/// before it wins a tie).
fn nearest(
    ac: &aho_corasick::AhoCorasick,
    hay: &[u8],
    lo: usize,
    start: usize,
    end: usize,
    hi: usize,
) -> Option<usize> {
    let mut best: Option<usize> = None;
    for m in ac.find_iter(&hay[lo..hi]) {
        let (ms, me) = (lo + m.start(), lo + m.end());
        if !standalone(hay, ms, me) {
            continue;
        }
        let d = if me <= start {
            2 * char_count(&hay[me..start])
        } else if ms >= end {
            2 * char_count(&hay[end..ms]) + 1
        } else {
            continue;
        };
        best = Some(best.map_or(d, |b| b.min(d)));
        if ms >= end {
            // Later hits are farther away.
            break;
        }
    }
    best
}

/// An ASCII keyword must be a word of its own: "mtp" inside "smtp" is not the keyword, nor is
/// a label of an e-mail address or host name: `qq` in `na.liu@qq.com` (a mailbox at QQ, not a
/// QQ number beside the mobile after it), `tel` in `tel@corp.cn` or `mail.tel.cn`. A dot
/// glues only to a letter after it (`.com`), so `Tel.13800138000` keeps its keyword.
fn standalone(hay: &[u8], s: usize, e: usize) -> bool {
    let glued_before = hay[s].is_ascii_alphanumeric()
        && s > 0
        && (is_word_byte(hay[s - 1])
            || hay[s - 1] == b'@'
            || (hay[s - 1] == b'.' && s > 1 && is_word_byte(hay[s - 2])));
    let glued_after = hay[e - 1].is_ascii_alphanumeric()
        && e < hay.len()
        && (is_word_byte(hay[e])
            || hay[e] == b'@'
            || (hay[e] == b'.' && hay.get(e + 1).is_some_and(u8::is_ascii_alphabetic)));
    !glued_before && !glued_after
}

/// Characters in `b` (UTF-8 continuation bytes not counted).
fn char_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c & 0xC0 != 0x80).count()
}

pub(crate) fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Start of the window of `chars` characters before `pos`, not crossing a newline.
pub(crate) fn window_before(hay: &[u8], pos: usize, chars: usize) -> usize {
    let mut i = pos;
    let mut n = 0;
    while i > 0 && n < chars {
        let b = hay[i - 1];
        if b == b'\n' {
            break;
        }
        i -= 1;
        // Count a character at its first byte (UTF-8 continuation bytes are 10xxxxxx).
        if b & 0xC0 != 0x80 {
            n += 1;
        }
    }
    i
}

/// End of the window of `chars` characters after `pos`, not crossing a newline.
pub(crate) fn window_after(hay: &[u8], pos: usize, chars: usize) -> usize {
    let mut i = pos;
    let mut n = 0;
    while i < hay.len() && hay[i] != b'\n' {
        if hay[i] & 0xC0 != 0x80 {
            if n == chars {
                break;
            }
            n += 1;
        }
        i += 1;
    }
    i
}

/// `b` as text. A candidate match is short and almost always ASCII, which `is_ascii` checks a
/// word at a time; `str::from_utf8`, built for long text, took about 100 instructions on an
/// 18-digit ID (measured with cachegrind), several times the whole check. Other bytes go
/// through `str::from_utf8`.
pub(crate) fn text_of(b: &[u8]) -> Option<&str> {
    if b.is_ascii() {
        // SAFETY: every ASCII byte sequence is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        std::str::from_utf8(b).ok()
    }
}

#[inline]
pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// One validated, normalised occurrence of a detector's PI in a haystack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Index of the detector in its [`DetectorSet`].
    pub detector: usize,
    pub start: usize,
    pub end: usize,
    /// Stored inline up to 23 bytes (IDs, phones, most e-mails: a finding costs no allocation),
    /// shared beyond (an address memorised by a table reader goes to every record that repeats
    /// it without being copied).
    pub normalised: smol_str::SmolStr,
}

pub use engine::{Caches, CachesGuard, DetectorSet};

impl DetectorSet {
    /// Every finding in `text`, as one record without header hints.
    pub fn find_all(&self, text: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        self.find(text.as_bytes(), &[], |f| out.push(f));
        out
    }

    /// Every finding in `bytes`, as one record without header hints.
    pub fn find_all_bytes(&self, bytes: &[u8]) -> Vec<Finding> {
        let mut out = Vec::new();
        self.find(bytes, &[], |f| out.push(f));
        out
    }

    /// Runs every detector's own `match` / `no_match` examples through the whole set.
    pub fn check_examples(&self) -> Vec<ExampleFailure> {
        let mut failures = Vec::new();
        for (di, d) in self.detectors.iter().enumerate() {
            for (text, should) in d
                .examples
                .matches
                .iter()
                .map(|t| (t, true))
                .chain(d.examples.no_match.iter().map(|t| (t, false)))
            {
                // A header-driven detector's examples are values under a header that names it.
                let found = if self.is_header_driven(di) {
                    let mut hinted = vec![false; self.detectors.len()];
                    hinted[di] = true;
                    let mut hit = false;
                    self.find(text.as_bytes(), &hinted, |f| hit |= f.detector == di);
                    hit
                } else {
                    self.find_all(text).iter().any(|f| f.detector == di)
                };
                if found != should {
                    failures.push(ExampleFailure {
                        detector: d.id.clone(),
                        origin: d.origin.clone(),
                        example: text.clone(),
                        expected_match: should,
                    });
                }
            }
        }
        failures
    }
}

/// A detector example that did not behave as its file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub detector: String,
    pub origin: String,
    pub example: String,
    pub expected_match: bool,
}

impl std::fmt::Display for ExampleFailure {
    // The example is the detector author's own synthetic text, not scanned data: safe to print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.expected_match {
            write!(
                f,
                "detector `{}` ({}): example `{}` should match but did not",
                self.detector, self.origin, self.example
            )
        } else {
            write!(
                f,
                "detector `{}` ({}): no_match example `{}` matched",
                self.detector, self.origin, self.example
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_characters_and_stop_at_newlines() {
        let s = "护照号码:E1234\nabc".as_bytes();
        let start = "护照号码:".len();
        assert_eq!(window_before(s, start, 2), start - 4); // 码 and : (3 + 1 bytes)
        assert_eq!(window_before(s, start, 100), 0);
        let end = "护照号码:E1234".len();
        assert_eq!(window_after(s, end, 5), end); // newline right after
        assert_eq!(window_after(b"ab", 0, 1), 1);
    }

    #[test]
    fn ascii_keywords_must_stand_alone() {
        let set = DetectorSet::load(None).unwrap();
        let found = |t: &str| set.find_all(t).len();
        assert_eq!(found("passport E12345678"), 1);
        assert_eq!(found("Passport: E12345678"), 1);
        assert_eq!(found("nopassports E12345678"), 0);
        assert_eq!(
            found("护照E12345678"),
            1,
            "Chinese keywords need no boundary"
        );
    }

    #[test]
    fn every_detector_passes_its_own_examples() {
        let set = DetectorSet::load(None).unwrap();
        let failures = set.check_examples();
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn header_driven_detectors_need_a_naming_header() {
        let set = DetectorSet::load(None).unwrap();
        let name = set.index_of("cn-name").unwrap();
        let address = set.index_of("address").unwrap();
        assert!(set.is_header_driven(name) && set.is_header_driven(address));
        assert!(!set.is_header_driven(set.index_of("cn-mobile").unwrap()));
        // In text, or under another header, a name is just Hanzi.
        assert!(
            set.find_all("客户张伟，地址北京市朝阳区建国路88号")
                .is_empty()
        );
        let hinted = set.header_hints("姓名");
        let mut found = Vec::new();
        set.find(" 张伟 ".as_bytes(), &hinted, |f| found.push(f));
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].detector, found[0].start, found[0].end),
            (name, 1, 7)
        );
        assert_eq!(&*found[0].normalised, "张伟");
        let hinted = set.header_hints("备注");
        let mut n = 0;
        set.find("张伟".as_bytes(), &hinted, |_| n += 1);
        assert_eq!(n, 0);
    }

    #[test]
    fn exact_hints_match_only_the_whole_header() {
        let set = DetectorSet::load(None).unwrap();
        let gps = set.get(set.index_of("gps-coordinate").unwrap());
        assert!(gps.header_matches("lat") && gps.header_matches("LNG"));
        assert!(gps.header_matches("GPS_Latitude"));
        assert!(!gps.header_matches("plate") && !gps.header_matches("template"));
        assert!(
            !gps.header_matches("门店纬度"),
            "a store's position is vetoed"
        );
        assert!(!gps.header_matches("ip_location"));
        let dx = set.get(set.index_of("health-record").unwrap());
        assert!(dx.header_matches("出院诊断") && dx.header_matches("Diagnosis"));
        assert!(!dx.header_matches("diagnosis_code_version"));
    }

    #[test]
    fn header_matching_ignores_case_and_separators() {
        let set = DetectorSet::load(None).unwrap();
        let id = set.get(set.index_of("cn-resident-id").unwrap());
        assert!(id.header_matches("身份证号"));
        assert!(id.header_matches("SFZH"));
        assert!(!id.header_matches("order_no"));
    }

    /// The detector and normalised value of every finding, and the original text it spans.
    fn found(set: &DetectorSet, text: &str) -> Vec<(String, String, String)> {
        set.find_all(text)
            .into_iter()
            .map(|f| {
                (
                    set.get(f.detector).id.clone(),
                    f.normalised.to_string(),
                    text[f.start..f.end].to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn real_world_spellings_give_the_plain_key_and_original_offsets() {
        let set = DetectorSet::load(None).unwrap();
        let one = |text: &str, id: &str, key: &str, span: &str| {
            let f = found(&set, text);
            assert_eq!(
                f,
                [(id.to_string(), key.to_string(), span.to_string())],
                "{text:?}"
            );
        };
        one(
            "１３８１２３４５６７８",
            "cn-mobile",
            "13812345678",
            "１３８１２３４５６７８",
        );
        one(
            "手机：138\u{a0}1234\u{a0}5678",
            "cn-mobile",
            "13812345678",
            "138\u{a0}1234\u{a0}5678",
        );
        one(
            "电话 138\u{3000}1234\u{2009}5678",
            "cn-mobile",
            "13812345678",
            "138\u{3000}1234\u{2009}5678",
        );
        one(
            "{\"msg\":\"\\n13812345678\"}",
            "cn-mobile",
            "13812345678",
            "13812345678",
        );
        one(
            "\\\"13812345678\\\"",
            "cn-mobile",
            "13812345678",
            "13812345678",
        );
        one(
            "\\u624b\\u673a\\uff1a13812345678",
            "cn-mobile",
            "13812345678",
            "13812345678",
        );
        one(
            "GET /s?tel=%2B8613812345678 200",
            "cn-mobile",
            "13812345678",
            "%2B8613812345678",
        );
        one(
            "zhang%40example.com",
            "email",
            "zhang@example.com",
            "zhang%40example.com",
        );
        one(
            "zhang%2540example.com",
            "email",
            "zhang@example.com",
            "zhang%2540example.com",
        );
        one(
            "zhang&#64;example.com",
            "email",
            "zhang@example.com",
            "zhang&#64;example.com",
        );
        one(
            "zhang&#x40;example.com",
            "email",
            "zhang@example.com",
            "zhang&#x40;example.com",
        );
        one(
            "zhang&commat;example.com",
            "email",
            "zhang@example.com",
            "zhang&commat;example.com",
        );
        one(
            "ＺＨＡＮＧ＠example.com",
            "email",
            "zhang@example.com",
            "ＺＨＡＮＧ＠example.com",
        );
        one(
            "护照Ｅ１２３４５６７８",
            "cn-passport",
            "E12345678",
            "Ｅ１２３４５６７８",
        );
        one(
            "手机138&nbsp;1234&nbsp;5678",
            "cn-mobile",
            "13812345678",
            "138&nbsp;1234&nbsp;5678",
        );
        one(
            "卡号：6222 0212 3456 7890 128",
            "bank-card",
            "6222021234567890128",
            "6222 0212 3456 7890 128",
        );
    }

    #[test]
    fn internationalised_addresses_are_one_key_in_either_spelling() {
        let set = DetectorSet::load(None).unwrap();
        let key = |t: &str| found(&set, t).pop().map(|f| f.1);
        assert_eq!(key("用户@例子.中国").as_deref(), Some("用户@例子.中国"));
        assert_eq!(key("用户@xn--fsqu00a.xn--fiqs8s"), key("用户@例子.中国"));
        assert_eq!(key("用户@XN--FSQU00A.XN--FIQS8S"), key("用户@例子.中国"));
        assert_eq!(key("José@Exämple.de").as_deref(), Some("josé@exämple.de"));
        // Never cut inside an accented local part.
        assert_eq!(
            found(&set, "mail josé@example.com")[0].2,
            "josé@example.com"
        );
        assert_eq!(
            found(&set, "联系邮箱zhangsan@163.com谢谢")[0].2,
            "zhangsan@163.com"
        );
    }

    #[test]
    fn negative_keywords_nearest_wins() {
        let set = DetectorSet::load(None).unwrap();
        let ids = |t: &str| found(&set, t).into_iter().map(|f| f.0).collect::<Vec<_>>();
        assert!(ids("订单号 13812345678").is_empty());
        assert_eq!(ids("订单号 2023 手机 13812345678"), ["cn-mobile"]);
        assert_eq!(ids("手机 13812345678 订单号 9"), ["cn-mobile"]);
        // Named an IMEI: no card, but the `imei` detector's device identifier.
        assert_eq!(ids("card IMEI 356938035643809"), ["imei"]);
        assert_eq!(ids("IMEI 1, card 6222021234567890128"), ["bank-card"]);
        // A keyword inside a longer word is no keyword: "sn" in "json".
        assert_eq!(ids("json card 6222021234567890128"), ["bank-card"]);
    }

    #[test]
    fn headers_veto_detectors_for_their_columns() {
        let set = DetectorSet::load(None).unwrap();
        let mobile = set.index_of("cn-mobile").unwrap();
        let card = set.index_of("bank-card").unwrap();
        for h in ["学号", "工号", "member_id", "Order-ID", "uid"] {
            assert!(set.header_vetoes(h)[mobile], "{h}");
        }
        assert!(!set.header_vetoes("手机号")[mobile]);
        // A header that names a card but is vetoed is not a hint either.
        assert!(set.header_hints("卡号")[card]);
        assert!(!set.header_hints("会员卡号")[card] && set.header_vetoes("会员卡号")[card]);
        assert!(!set.header_hints("member_card_no")[card]);
        // A card column needs no keyword; a vetoed column drops its findings.
        let mut caches = set.caches();
        let mut out = Vec::new();
        let hinted = set.header_hints("card_no");
        set.find_into_in(&mut caches, b"6222021234567890128", &hinted, &mut out);
        assert_eq!(out.len(), 1);
        out.clear();
        let vetoed = set.header_vetoes("学号");
        set.find_into_vetoed_in(&mut caches, b"13812345678", &[], &vetoed, &mut out);
        assert!(out.is_empty());
        set.find_into_vetoed_in(&mut caches, b"13812345678", &[], &[], &mut out);
        assert_eq!(out.len(), 1);
        let mut v = vec![out[0].clone(), out[0].clone()];
        DetectorSet::drop_vetoed(&vetoed, &mut v, 1);
        assert_eq!(v.len(), 1, "only from `from` on");
    }

    #[test]
    fn header_flags_are_the_hints_and_vetoes_whether_remembered_or_not() {
        let set = DetectorSet::load(None).unwrap();
        let card = set.index_of("bank-card").unwrap();
        for _ in 0..2 {
            for h in ["卡号", "会员卡号", "学号", "email", "Mobile No", "id"] {
                assert_eq!(
                    set.header_flags(h),
                    (set.header_hints(h), set.header_vetoes(h)),
                    "{h}"
                );
            }
        }
        let (hints, vetoes) = set.header_flags("会员卡号");
        assert!(!hints[card] && vetoes[card]);
    }

    #[test]
    fn resident_ids_born_after_the_reference_date_are_not_ids() {
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // 110105 2026-12-07 001 + check character 7.
        let id = "110105202612070017";
        let set = DetectorSet::load(None)
            .unwrap()
            .with_reference_date(day(2026, 12, 6));
        assert!(set.find_all(id).is_empty(), "born the day after");
        let set = set.with_reference_date(day(2026, 12, 7));
        assert_eq!(set.find_all(id).len(), 1, "born on the reference date");
        assert_eq!(set.reference_ymd(), 20261207);
    }

    #[test]
    fn a_19_digit_card_is_never_cut_to_a_16_digit_prefix() {
        let set = DetectorSet::load(None).unwrap();
        // 6228 4800 0000 0000 000: the 16-digit prefix 6228480000000000 is no valid card, but
        // whichever passes, the 19-digit grouping wins when it is valid.
        let f = found(&set, "银行卡 6228 4800 0000 0000 000");
        assert_eq!(f[0].1, "6228480000000000000");
        let f = found(&set, "卡号 6222-0212-3456-7890-128");
        assert_eq!(f[0].1, "6222021234567890128");
    }
}
