//! The checks behind the detectors added for issue 13: identifiers of other places and other
//! things (Hong Kong, Macau and Taiwan IDs, vehicles, devices, networks, organisations, foreign
//! identifiers, passport MRZ lines) and the sensitive categories that have no format of their
//! own (health, biometrics, religion, specific identity, sexual orientation, finance,
//! whereabouts), which are judged by their value under a header that names them.
//!
//! [`super::validators`] names each check (`validator = "hkid"`); this module owns what it
//! does. The check-digit algorithms are a few lines each and are written here: no maintained
//! crate covers HKID, the Taiwan ID, GB 32100 or ICAO 9303, and a dependency per algorithm
//! would cost more than it saves. IBAN uses `iban_validate` (country lengths and BBAN formats),
//! IP addresses the standard library's parsers.
//!
//! Like the rest of `validators`, everything here is pure and total: no panic on any input.

use std::net::{Ipv4Addr, Ipv6Addr};

// ---------------------------------------------------------------------------------------
// Dictionaries (detectors/data/*.txt), parsed once.

const MEDICAL_TERMS_TXT: &str = include_str!("../../detectors/data/medical-terms.txt");
const MEDICAL_SUFFIXES_TXT: &str = include_str!("../../detectors/data/medical-suffixes.txt");
const DRUG_NAMES_TXT: &str = include_str!("../../detectors/data/drug-names.txt");
const DRUG_FORMS_TXT: &str = include_str!("../../detectors/data/drug-forms.txt");
const RELIGIONS_TXT: &str = include_str!("../../detectors/data/religions.txt");
const ORIENTATIONS_TXT: &str = include_str!("../../detectors/data/sexual-orientations.txt");
const NONE_VALUES_TXT: &str = include_str!("../../detectors/data/none-values.txt");
const E164_TXT: &str = include_str!("../../detectors/data/e164-country-codes.txt");

/// The entries of a dictionary file: one a line, trimmed, lower-cased; comments and blank
/// lines left out.
fn entries(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
}

/// A dictionary as an Aho-Corasick automaton over its entries (ASCII case-insensitive).
struct Dictionary {
    /// `None` only if the automaton cannot be built (it always can for these few short
    /// literals; a test checks every file): then nothing is found rather than a panic.
    ac: Option<aho_corasick::AhoCorasick>,
    words: Vec<String>,
}

impl Dictionary {
    fn new(text: &str) -> Dictionary {
        let words = entries(text);
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&words)
            .ok();
        Dictionary { ac, words }
    }

    /// Does an entry occur in `value`? An ASCII entry must stand as a word of its own
    /// (`gay` is not inside `Gaylord`; `mg` in `5mg` is: digits may precede a unit).
    fn occurs_in(&self, value: &str) -> bool {
        let Some(ac) = &self.ac else {
            return false;
        };
        let b = value.as_bytes();
        ac.find_overlapping_iter(value).any(|m| {
            if !self.words[m.pattern().as_usize()].is_ascii() {
                return true;
            }
            let before = m.start() > 0 && b[m.start() - 1].is_ascii_alphabetic();
            let after = m.end() < b.len() && b[m.end()].is_ascii_alphabetic();
            !before && !after
        })
    }
}

fn dictionary(cell: &'static std::sync::OnceLock<Dictionary>, text: &str) -> &'static Dictionary {
    cell.get_or_init(|| Dictionary::new(text))
}

macro_rules! dict {
    ($name:ident, $text:expr) => {
        fn $name() -> &'static Dictionary {
            static D: std::sync::OnceLock<Dictionary> = std::sync::OnceLock::new();
            dictionary(&D, $text)
        }
    };
}

dict!(medical_terms, MEDICAL_TERMS_TXT);
dict!(medical_suffixes, MEDICAL_SUFFIXES_TXT);
dict!(drug_names, DRUG_NAMES_TXT);
dict!(drug_forms, DRUG_FORMS_TXT);
dict!(religions, RELIGIONS_TXT);
dict!(orientations, ORIENTATIONS_TXT);

/// Whether `value` says "nothing to report" (`无`, `none`, `N/A`): no sensitive information.
pub fn is_none_value(value: &str) -> bool {
    static SET: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let set = SET.get_or_init(|| entries(NONE_VALUES_TXT));
    let v = value.trim().to_lowercase();
    v.is_empty() || set.contains(&v)
}

// ---------------------------------------------------------------------------------------
// Identity documents of Hong Kong, Macau and Taiwan.

/// Hong Kong identity card number: one or two letters, six digits and a check character
/// (0–9 or A), with or without the brackets it is printed in: `A123456(3)`. Check: the
/// letters count A=10…Z=35 (a single letter is preceded by a space worth 36), weights 9…2,
/// check = (11 − Σ mod 11) mod 11, 10 written `A`.
pub fn is_hkid(raw: &str) -> bool {
    let s: Vec<u8> = raw
        .bytes()
        .filter(|b| !matches!(b, b'(' | b')' | b' '))
        .map(|b| b.to_ascii_uppercase())
        .collect();
    let letters = s.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if !(1..=2).contains(&letters) || s.len() != letters + 7 {
        return false;
    }
    let digits = &s[letters..letters + 6];
    if !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut vals: Vec<u32> = Vec::with_capacity(8);
    if letters == 1 {
        vals.push(36);
    }
    vals.extend(s[..letters].iter().map(|&c| u32::from(c - b'A') + 10));
    vals.extend(digits.iter().map(|&d| u32::from(d - b'0')));
    let sum: u32 = vals.iter().zip((2..=9).rev()).map(|(v, w)| v * w).sum();
    let check = (11 - sum % 11) % 11;
    let want = if check == 10 {
        b'A'
    } else {
        b'0' + check as u8
    };
    s[letters + 6] == want
}

/// Macau resident identity card number: 1, 5 or 7, six digits, and a bracketed digit
/// (`1234567(8)`). No check algorithm is published, so only the shape is checked; the
/// detector counts it only with a keyword or header.
pub fn is_macau_id(raw: &str) -> bool {
    let s: Vec<u8> = raw
        .bytes()
        .filter(|b| !matches!(b, b'(' | b')' | b'/' | b' '))
        .collect();
    s.len() == 8 && matches!(s[0], b'1' | b'5' | b'7') && s.iter().all(u8::is_ascii_digit)
}

/// Taiwan national ID (and, since 2021, resident certificate): a letter, `1`/`2` (or `8`/`9`
/// for residents), eight digits. The letter is a two-digit code (A=10 … with the historical
/// I=34, O=35, W=32, X=30, Y=31, Z=33); tens×1 + units×9 + the next eight digits weighted
/// 8…1 + the last digit is a multiple of 10.
pub fn is_twid(raw: &str) -> bool {
    const CODES: &[u8; 26] = &[
        10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32,
        30, 31, 33,
    ];
    let b = raw.as_bytes();
    if b.len() != 10
        || !b[0].is_ascii_alphabetic()
        || !b[1..].iter().all(u8::is_ascii_digit)
        || !matches!(b[1], b'1' | b'2' | b'8' | b'9')
    {
        return false;
    }
    let code = u32::from(CODES[usize::from(b[0].to_ascii_uppercase() - b'A')]);
    let mut sum = code / 10 + (code % 10) * 9;
    for (i, &d) in b[1..9].iter().enumerate() {
        sum += u32::from(d - b'0') * (8 - i as u32);
    }
    sum += u32::from(b[9] - b'0');
    sum.is_multiple_of(10)
}

/// A document number written under a header that names the document (military officer ID,
/// driving licence): 6–20 letters and digits, at least 6 digits, not one digit repeated.
/// `南字第123456号`-style officer IDs keep only their number.
pub fn is_document_number(raw: &str) -> bool {
    let alnum: Vec<u8> = raw.bytes().filter(u8::is_ascii_alphanumeric).collect();
    let digits = alnum.iter().filter(|b| b.is_ascii_digit()).count();
    (6..=20).contains(&alnum.len())
        && digits >= 6
        && !alnum.iter().all(|&b| b == alnum[0])
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -()（）字第号".contains(c) || is_han(c))
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

// ---------------------------------------------------------------------------------------
// Mainland landlines and international numbers.

/// A mainland landline: `0` + area code + local number, or `+86`/`0086` + area code + local
/// number, spaces and dashes allowed between the parts. Area codes are `10`, `2X` (with an
/// 8-digit local number) or `[3-9]XX` (7 or 8 digits); a local number starts with 2–9.
/// Returns the canonical `0AREA-LOCAL` digits (`01012345678`).
pub fn cn_landline(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let national = if let Some(rest) = raw.trim_start().strip_prefix('+') {
        rest.trim_start()
            .strip_prefix("86")
            .map(|_| digits.strip_prefix("86").unwrap_or(&digits).to_string())?
    } else if let Some(rest) = digits.strip_prefix("0086") {
        rest.to_string()
    } else {
        digits.strip_prefix('0')?.to_string()
    };
    let b = national.as_bytes();
    let area = match b.first()? {
        b'1' if b.get(1) == Some(&b'0') => 2,
        b'2' => 2,
        b'3'..=b'9' => 3,
        _ => return None,
    };
    let local = b.get(area..)?;
    let ok = match area {
        2 => local.len() == 8,
        _ => (7..=8).contains(&local.len()),
    };
    (ok && matches!(local.first(), Some(b'2'..=b'9'))).then(|| format!("0{national}"))
}

/// The E.164 country calling code that `digits` (no `+`) starts with, if it is assigned to a
/// country (`e164-country-codes.txt`).
fn e164_country(digits: &[u8]) -> Option<usize> {
    static CODES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let codes = CODES.get_or_init(|| entries(E164_TXT));
    (1..=3).find(|&n| digits.len() > n && codes.iter().any(|c| c.as_bytes() == &digits[..n]))
}

/// An international number in E.164 form: `+`, an assigned country code other than 86, and
/// 8–15 digits in all (spaces, dashes, dots or one bracketed area code between groups).
pub fn is_e164(raw: &str) -> bool {
    let Some(rest) = raw.trim().strip_prefix('+') else {
        return false;
    };
    if !rest
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')'))
    {
        return false;
    }
    let digits: Vec<u8> = rest.bytes().filter(u8::is_ascii_digit).collect();
    if !(8..=15).contains(&digits.len()) {
        return false;
    }
    match e164_country(&digits) {
        // The national number after the code: not all zeros, at least 6 digits.
        Some(n) => digits.len() - n >= 6 && digits[n..].iter().any(|&d| d != b'0'),
        None => false,
    }
}

/// A US Social Security number, `AAA-GG-SSSS` (or 9 digits): area 001–899 except 666, group
/// 01–99, serial 0001–9999, and not one of the numbers printed on sample cards and adverts.
pub fn is_us_ssn(raw: &str) -> bool {
    let d: Vec<u8> = raw.bytes().filter(u8::is_ascii_digit).collect();
    if d.len() != 9
        || raw
            .bytes()
            .any(|b| !(b.is_ascii_digit() || b == b'-' || b == b' '))
    {
        return false;
    }
    let num = |s: &[u8]| s.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
    let (area, group, serial) = (num(&d[..3]), num(&d[3..5]), num(&d[5..]));
    const SAMPLES: [&[u8]; 3] = [b"078051120", b"219099999", b"457555462"];
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !SAMPLES.contains(&d.as_slice())
}

// ---------------------------------------------------------------------------------------
// Vehicles and devices.

/// A vehicle identification number (ISO 3779, GB 16735-2019): 17 characters without I, O and
/// Q, whose 9th is the check digit (mandatory in China and North America): letters transliterate
/// A–H=1–8, J–N=1–5, P=7, R=9, S–Z=2–9; weights 8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2; Σ mod 11,
/// 10 written `X`. At least one letter (every manufacturer code has one) and five digits.
pub fn is_vin(raw: &str) -> bool {
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let b = raw.as_bytes();
    if b.len() != 17 {
        return false;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c.to_ascii_uppercase() {
            d @ b'0'..=b'9' => u32::from(d - b'0'),
            c @ b'A'..=b'H' => u32::from(c - b'A') + 1,
            c @ b'J'..=b'N' => u32::from(c - b'J') + 1,
            b'P' => 7,
            b'R' => 9,
            c @ b'S'..=b'Z' => u32::from(c - b'S') + 2,
            _ => return None,
        })
    };
    let mut sum = 0;
    for (&c, w) in b.iter().zip(WEIGHTS) {
        let Some(v) = value(c) else {
            return false;
        };
        sum += v * w;
    }
    let check = match sum % 11 {
        10 => b'X',
        n => b'0' + n as u8,
    };
    let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
    b[8].to_ascii_uppercase() == check && letters >= 1 && 17 - letters >= 5
}

/// An IMEI: 15 digits passing Luhn, whose first two digits are a reporting body of the GSMA
/// (01, 10, 30, 33, 35, 44, 45, 49–54, 86, 91, 98, 99). Not a card: the `imei` detector
/// counts it only next to an IMEI keyword or under an IMEI column.
pub fn is_imei(raw: &str) -> bool {
    let d: Vec<u8> = raw.bytes().filter(u8::is_ascii_digit).collect();
    if d.len() != 15 || d.iter().all(|&c| c == d[0]) {
        return false;
    }
    let rb = u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0');
    let known = matches!(
        rb,
        1 | 10 | 30 | 33 | 35 | 44 | 45 | 49..=54 | 86 | 91 | 98 | 99
    );
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &c)| {
            let v = u32::from(c - b'0');
            if i % 2 == 1 {
                let x = v * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                v
            }
        })
        .sum();
    known && sum.is_multiple_of(10)
}

/// A unicast MAC address of a device: six octets written `aa:bb:cc:dd:ee:ff`,
/// `aa-bb-cc-dd-ee-ff` (one separator throughout) or `aabb.ccdd.eeff`; not all zeros, not a
/// group (multicast or broadcast) address.
pub fn is_mac(raw: &str) -> bool {
    let b = raw.as_bytes();
    let hex: Vec<u8> = match b.len() {
        17 => {
            let sep = b[2];
            if !matches!(sep, b':' | b'-') || (2..17).step_by(3).any(|i| b[i] != sep) {
                return false;
            }
            b.iter().copied().filter(|&c| c != sep).collect()
        }
        14 => {
            if b[4] != b'.' || b[9] != b'.' {
                return false;
            }
            b.iter().copied().filter(|&c| c != b'.').collect()
        }
        _ => return false,
    };
    if hex.len() != 12 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let first = u8::from_str_radix(std::str::from_utf8(&hex[..2]).unwrap_or("01"), 16).unwrap_or(1);
    first & 1 == 0 && hex.iter().any(|&c| c != b'0')
}

// ---------------------------------------------------------------------------------------
// Network addresses.

/// A public IPv4 address, dotted decimal without leading zeros: not private (RFC 1918),
/// loopback, link-local, shared (100.64/10), documentation, benchmarking, multicast,
/// reserved or `0.x`. Only a public address can point at a person's connection.
pub fn is_public_ipv4(raw: &str) -> bool {
    let Ok(ip) = raw.parse::<Ipv4Addr>() else {
        return false;
    };
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || ip.is_unspecified()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (18..20).contains(&b))
        || (a == 192 && b == 0 && c == 0))
}

/// A global unicast IPv6 address (2000::/3, outside the documentation range 2001:db8::/32).
pub fn is_public_ipv6(raw: &str) -> bool {
    let Ok(ip) = raw.parse::<Ipv6Addr>() else {
        return false;
    };
    let s = ip.segments();
    s[0] & 0xE000 == 0x2000 && !(s[0] == 0x2001 && s[1] == 0x0DB8)
}

/// The canonical text of an IP address (`2001:DB8:0::1` → `2001:db8::1`).
pub fn canonical_ip(raw: &str) -> Option<String> {
    raw.parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

// ---------------------------------------------------------------------------------------
// Organisations and accounts.

/// GB 32100-2015 alphabet: digits and capitals without I, O, Z, S, V.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// A Unified Social Credit Code (GB 32100-2015): registration authority (1–9, A–G, Y), entity
/// type (1–9), a 6-digit region code (GB/T 2260, or 100000 for national authorities), the
/// 9-character organisation code and the check character: weights 3^i mod 31, check =
/// (31 − Σ mod 31) mod 31.
pub fn is_uscc(raw: &str) -> bool {
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let b = raw.as_bytes();
    if b.len() != 18
        || !matches!(b[0], b'1'..=b'9' | b'A'..=b'G' | b'Y')
        || !matches!(b[1], b'1'..=b'9')
    {
        return false;
    }
    if !b[2..8].iter().all(u8::is_ascii_digit)
        || !(&b[2..8] == b"100000" || super::validators::is_region_code(&b[2..8]))
    {
        return false;
    }
    let mut sum = 0;
    for (&c, w) in b[..17].iter().zip(WEIGHTS) {
        let Some(v) = USCC_ALPHABET.iter().position(|&a| a == c) else {
            return false;
        };
        sum += v as u32 * w;
    }
    let check = USCC_ALPHABET[((31 - sum % 31) % 31) as usize];
    b[17] == check
}

/// An IBAN (ISO 13616): country, check digits (ISO 7064 MOD 97-10) and the country's BBAN
/// format and length, checked by `iban_validate`. Spaces between groups of four are allowed.
pub fn is_iban(raw: &str) -> bool {
    raw.parse::<iban::Iban>().is_ok()
}

/// An account number beyond payment cards (bank, securities, fund, payment accounts) under a
/// header that names one: 8–34 letters and digits (spaces and dashes between groups), at
/// least 8 digits, not one digit repeated, and not a payment card (the `bank-card` detector's).
pub fn is_account_number(raw: &str) -> bool {
    let t = raw.trim();
    if !t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
    {
        return false;
    }
    let alnum: Vec<u8> = t.bytes().filter(u8::is_ascii_alphanumeric).collect();
    let digits: Vec<u8> = alnum.iter().copied().filter(u8::is_ascii_digit).collect();
    (8..=34).contains(&alnum.len())
        && digits.len() >= 8
        && !digits.iter().all(|&d| d == digits[0])
        && !super::validators::Validator::Luhn.check(t)
}

// ---------------------------------------------------------------------------------------
// Passport machine-readable zones (ICAO Doc 9303).

/// ICAO 9303 check digit of `field`: `<` = 0, digits as themselves, A=10…Z=35, weights 7 3 1.
fn mrz_check(field: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (i, &c) in field.iter().enumerate() {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            b'<' => 0,
            _ => return None,
        };
        sum += v * [7, 3, 1][i % 3];
    }
    Some(b'0' + (sum % 10) as u8)
}

/// The second line of a passport (TD3, 44 characters) or travel document (TD2, 36) MRZ with
/// every check digit right: document number, birth date, expiry date and the composite.
/// Returns the canonical key `NATIONALITY:DOCUMENT-NUMBER` (`CHN:E12345678`).
pub fn mrz_line(raw: &str) -> Option<String> {
    let b = raw.as_bytes();
    let optional = match b.len() {
        44 => 14,
        36 => 7,
        _ => return None,
    };
    if !b
        .iter()
        .all(|&c| c.is_ascii_digit() || c.is_ascii_uppercase() || c == b'<')
    {
        return None;
    }
    let ok = |field: &[u8], check: u8| mrz_check(field) == Some(check);
    let (number, birth, expiry) = (&b[0..9], &b[13..19], &b[21..27]);
    if !(ok(number, b[9]) && ok(birth, b[19]) && ok(expiry, b[27])) {
        return None;
    }
    if !matches!(b[20], b'M' | b'F' | b'X' | b'<') || number.iter().all(|&c| c == b'<') {
        return None;
    }
    let opt_end = 28 + optional;
    let composite_ok = if b.len() == 44 {
        // TD3: the personal number has its own check digit (or `<` when empty).
        let personal_ok =
            ok(&b[28..42], b[42]) || (b[42] == b'<' && b[28..42].iter().all(|&c| c == b'<'));
        let mut comp = Vec::with_capacity(39);
        comp.extend_from_slice(&b[0..10]);
        comp.extend_from_slice(&b[13..20]);
        comp.extend_from_slice(&b[21..43]);
        personal_ok && ok(&comp, b[43])
    } else {
        let mut comp = Vec::with_capacity(31);
        comp.extend_from_slice(&b[0..10]);
        comp.extend_from_slice(&b[13..20]);
        comp.extend_from_slice(&b[21..opt_end]);
        ok(&comp, b[35])
    };
    if !composite_ok {
        return None;
    }
    let nationality: String = b[10..13]
        .iter()
        .map(|&c| char::from(c))
        .filter(|&c| c != '<')
        .collect();
    let doc: String = number
        .iter()
        .map(|&c| char::from(c))
        .filter(|&c| c != '<')
        .collect();
    Some(format!("{nationality}:{doc}"))
}

// ---------------------------------------------------------------------------------------
// Licence plates (GA 36-2018).

/// Province abbreviations (and 使 / 领 for embassy and consulate plates) that open a plate.
const PLATE_PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领";

/// A mainland licence plate: province abbreviation, issuing-office letter (not I/O), then
/// either 5 characters (letters not I/O, at most two of them, the last possibly 挂 学 警 港 澳
/// 领) or the 8-character new-energy forms (small: D A B C E F G H J K, one letter or digit,
/// four digits; large: five digits, then one of those letters). A space, `·` or `-` after the
/// office letter is allowed.
pub fn is_cn_plate(raw: &str) -> bool {
    let chars: Vec<char> = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '·' | '•' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let letter = |c: char| c.is_ascii_uppercase() && c != 'I' && c != 'O';
    let alnum = |c: char| letter(c) || c.is_ascii_digit();
    let energy = |c: char| "DABCEFGHJK".contains(c);
    if chars.len() < 7 || !PLATE_PROVINCES.contains(chars[0]) || !letter(chars[1]) {
        return false;
    }
    let rest = &chars[2..];
    match rest.len() {
        5 => {
            let (body, last) = (&rest[..4], rest[4]);
            let suffix = "挂学警港澳领".contains(last);
            if !body.iter().all(|&c| alnum(c)) || !(alnum(last) || suffix) {
                return false;
            }
            let letters = rest.iter().filter(|c| c.is_ascii_uppercase()).count();
            letters <= 2
        }
        6 => {
            let small =
                energy(rest[0]) && alnum(rest[1]) && rest[2..].iter().all(char::is_ascii_digit);
            let large = rest[..5].iter().all(char::is_ascii_digit) && energy(rest[5]);
            small || large
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Values of the sensitive categories without a format, judged under a naming header.

/// An ICD-10 code as a whole value: letter, two digits, optional `.` and up to 4 more
/// characters (`I10`, `E11.9`, `S52.501A`).
fn is_icd10(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() >= 3
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && match &b[3..] {
            [] => true,
            [b'.', rest @ ..] => {
                (1..=4).contains(&rest.len()) && rest.iter().all(u8::is_ascii_alphanumeric)
            }
            _ => false,
        }
}

/// A diagnosis, medical history, allergy or check-up finding: an ICD-10 code (`E11.9`), or a
/// value that names a condition from `medical-terms.txt` or ends in a disease word from
/// `medical-suffixes.txt` (`慢性胃炎`). `无`, `正常` and the like are not.
pub fn is_medical_term(value: &str) -> bool {
    let v = value.trim();
    if v.chars().count() > 500 || is_none_value(v) {
        return false;
    }
    let first = v
        .split([',', '，', ';', '；', ' ', '、'])
        .next()
        .unwrap_or(v);
    is_icd10(first)
        || medical_terms().occurs_in(v)
        || medical_suffixes().occurs_in(v) && v.chars().any(is_han)
}

/// A drug: a value that names one from `drug-names.txt` or holds a dosage form from
/// `drug-forms.txt` (`苯磺酸氨氯地平片 5mg`).
pub fn is_drug(value: &str) -> bool {
    let v = value.trim();
    v.chars().count() <= 500
        && !is_none_value(v)
        && (drug_names().occurs_in(v)
            || (drug_forms().occurs_in(v)
                && v.chars().any(|c| is_han(c) || c.is_ascii_alphabetic())))
}

/// A religious belief from `religions.txt`.
pub fn is_religion(value: &str) -> bool {
    let v = value.trim();
    v.chars().count() <= 60 && !is_none_value(v) && religions().occurs_in(v)
}

/// A sexual orientation from `sexual-orientations.txt`.
pub fn is_sexual_orientation(value: &str) -> bool {
    let v = value.trim();
    v.chars().count() <= 60 && !is_none_value(v) && orientations().occurs_in(v)
}

/// A value that reports something (a disability grade, a conviction) under a header naming a
/// specific identity: not empty, not "none" (`无`, `否`, `N/A`), not a bare yes/no flag set to
/// no, at most 200 characters.
pub fn is_affirmative(value: &str) -> bool {
    let v = value.trim();
    !is_none_value(v) && v.chars().count() <= 200
}

/// An amount of money (salary, income, balance): digits with optional thousands separators,
/// decimals, currency sign or unit (`¥8,500.00`, `8500元`, `1.2万`, `USD 4,000`), above zero.
pub fn is_amount(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 30 {
        return false;
    }
    let core = v
        .trim_start_matches(['¥', '￥', '$', '€', '£'])
        .trim_start_matches("RMB")
        .trim_start_matches("CNY")
        .trim_start_matches("USD")
        .trim()
        .trim_end_matches(['元', '万', '千', '圆'])
        .trim_end_matches("/月")
        .trim_end_matches("/年")
        .trim();
    let plain: String = core.chars().filter(|&c| c != ',').collect();
    let Ok(n) = plain.parse::<f64>() else {
        return false;
    };
    n.is_finite()
        && n > 0.0
        && !plain.contains(['e', 'E'])
        && plain.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// A credit record or score: a number (a score, an amount overdue) or a few words of text
/// (`良好`, `逾期2次`), not a "none" value.
pub fn is_credit_value(value: &str) -> bool {
    is_affirmative(value)
}

/// A biometric template as stored: base64 of at least 64 bytes, hex of at least 64 bytes
/// (`0x…` or `\x…` as SQL dumps write binary), or a vector of at least 32 numbers (a face
/// embedding, `[0.0123, -0.2211, …]`).
pub fn is_biometric_blob(value: &str) -> bool {
    let v = value.trim();
    let hex = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("\\x"))
        .or_else(|| v.strip_prefix("X'").and_then(|h| h.strip_suffix('\'')))
        .unwrap_or(v);
    if hex.len() >= 128 && hex.len().is_multiple_of(2) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return true;
    }
    let b64 = v
        .strip_prefix("data:")
        .and_then(|d| d.split_once(',').map(|x| x.1))
        .unwrap_or(v);
    if b64.len() >= 88
        && b64
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
        && b64.bytes().any(|b| b.is_ascii_digit())
        && b64.bytes().any(|b| b.is_ascii_uppercase())
        && b64.bytes().any(|b| b.is_ascii_lowercase())
    {
        return true;
    }
    let inner = v
        .trim_start_matches(['[', '(', '{'])
        .trim_end_matches([']', ')', '}']);
    let parts: Vec<&str> = inner
        .split([',', ' ', ';'])
        .filter(|p| !p.is_empty())
        .collect();
    parts.len() >= 32
        && parts
            .iter()
            .all(|p| p.parse::<f64>().is_ok_and(f64::is_finite))
}

/// Decimals of a number written in `s` (`39.904211` → 6), `None` if `s` is no decimal number.
fn decimals(s: &str) -> Option<(f64, usize)> {
    let s = s.trim();
    let n: f64 = s.parse().ok()?;
    let unsigned = s.trim_start_matches(['-', '+']);
    let (int, frac) = unsigned.split_once('.')?;
    if int.is_empty()
        || int.len() > 3
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((n, frac.len()))
}

/// Decimals a coordinate needs to place a person: 4 (about 11 m). A store table with 2
/// decimals (about 1 km) is a coarse location, not a person's whereabouts.
pub const PRECISE_DECIMALS: usize = 4;

/// A precise position under a location header: one coordinate (|x| ≤ 180) or a
/// `lat,lng` / `lng,lat` pair, each with at least [`PRECISE_DECIMALS`] decimals and not zero.
pub fn is_precise_coordinate(value: &str) -> bool {
    let v = value
        .trim()
        .trim_start_matches(['(', '['])
        .trim_end_matches([')', ']']);
    let parts: Vec<&str> = v
        .split([',', '，', ' ', ';'])
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        [one] => decimals(one)
            .is_some_and(|(n, d)| d >= PRECISE_DECIMALS && n.abs() <= 180.0 && n != 0.0),
        [a, b] => is_coordinate_pair(a, b),
        _ => false,
    }
}

/// Two numbers that are a latitude and a longitude (either order), both precise.
fn is_coordinate_pair(a: &str, b: &str) -> bool {
    let (Some((x, dx)), Some((y, dy))) = (decimals(a), decimals(b)) else {
        return false;
    };
    let lat_lng = x.abs() <= 90.0 && y.abs() <= 180.0;
    let lng_lat = y.abs() <= 90.0 && x.abs() <= 180.0;
    dx >= PRECISE_DECIMALS && dy >= PRECISE_DECIMALS && (lat_lng || lng_lat) && x != 0.0 && y != 0.0
}

/// A `lat,lng` pair in text (`39.904211,116.407395`), precise enough to place a person.
pub fn is_coordinate_pair_text(raw: &str) -> bool {
    match raw.split_once(',').or_else(|| raw.split_once(' ')) {
        Some((a, b)) => is_coordinate_pair(a, b.trim()),
        None => false,
    }
}

/// A travel or lodging entry (an itinerary, a hotel stay, a flight): any value that reports
/// something, as for a specific identity.
pub fn is_travel_value(value: &str) -> bool {
    is_affirmative(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dictionary_loads() {
        for (d, n) in [
            (medical_terms(), 100),
            (medical_suffixes(), 20),
            (drug_names(), 100),
            (drug_forms(), 20),
            (religions(), 30),
            (orientations(), 10),
        ] {
            assert!(
                d.ac.is_some() && d.words.len() >= n,
                "{:?}",
                d.words.first()
            );
            assert!(
                d.words
                    .iter()
                    .all(|w| !w.is_empty() && *w == w.to_lowercase())
            );
        }
        assert!(is_none_value("N/A") && is_none_value(" 无 ") && !is_none_value("有"));
        assert!(e164_country(b"4420").is_some() && e164_country(b"8613").is_none());
    }

    #[test]
    fn hkid_check_digits() {
        assert!(is_hkid("A123456(3)"));
        assert!(is_hkid("A1234563"));
        assert!(!is_hkid("A123456(4)"));
        // Two letters: XA + 123456 → 33*9+10*8+1*7+2*6+3*5+4*4+5*3+6*2 = 454, 454 mod 11 = 3 → 8.
        assert!(is_hkid("XA123456(8)"));
        assert!(!is_hkid("XA123456(9)"));
        // Check 10 is written A: G123456 → 36*9+16*8+… = 529, 529 mod 11 = 1 → 10.
        assert!(is_hkid("G123456(A)"));
        assert!(!is_hkid("123456(3)"));
    }

    #[test]
    fn taiwan_ids() {
        assert!(is_twid("A123456789"));
        assert!(!is_twid("A123456788"));
        assert!(!is_twid("A323456789"), "second digit 1, 2, 8 or 9");
        assert!(is_twid("F131104093"));
        assert!(!is_twid("A12345678"));
    }

    #[test]
    fn macau_and_documents() {
        assert!(is_macau_id("1234567(8)"));
        assert!(is_macau_id("5215299(8)"));
        assert!(!is_macau_id("2234567(8)"));
        assert!(is_document_number("南字第123456号"));
        assert!(is_document_number("440301198001010013"));
        assert!(!is_document_number("C1"));
        assert!(!is_document_number("000000000"));
    }

    #[test]
    fn landlines() {
        assert_eq!(cn_landline("010-62345678").as_deref(), Some("01062345678"));
        assert_eq!(
            cn_landline("(0755) 2345 6789").as_deref(),
            Some("075523456789")
        );
        assert_eq!(
            cn_landline("+86 10 8888 6666").as_deref(),
            Some("01088886666")
        );
        assert_eq!(
            cn_landline("0086-21-62345678").as_deref(),
            Some("02162345678")
        );
        assert_eq!(cn_landline("0571-8765432").as_deref(), Some("05718765432"));
        assert_eq!(
            cn_landline("010-1234567"),
            None,
            "Beijing numbers have 8 digits"
        );
        assert_eq!(
            cn_landline("010-02345678"),
            None,
            "local numbers start with 2–9"
        );
        assert_eq!(cn_landline("013812345678"), None);
        assert_eq!(cn_landline("12345678"), None);
    }

    #[test]
    fn e164_and_ssn() {
        assert!(is_e164("+44 20 7946 0958"));
        assert!(is_e164("+1-202-555-0173"));
        assert!(is_e164("+81312345678"));
        assert!(!is_e164("+8613812345678"), "+86 is cn-mobile's");
        assert!(!is_e164("+999 1234567"), "999 is unassigned");
        assert!(!is_e164("+44 123"));
        assert!(is_us_ssn("536-22-1234"));
        assert!(!is_us_ssn("078-05-1120"), "the Woolworth wallet card");
        assert!(!is_us_ssn("666-12-3456"));
        assert!(!is_us_ssn("912-12-3456"));
        assert!(!is_us_ssn("536-00-1234"));
        assert!(!is_us_ssn("536-22-0000"));
    }

    #[test]
    fn vins() {
        for v in [
            "1M8GDM9AXKP042788",
            "LSJA24U62JG269225",
            "LDC613P23A1305189",
        ] {
            assert!(is_vin(v), "{v}");
        }
        assert!(!is_vin("1M8GDM9A1KP042788"), "wrong check digit");
        assert!(!is_vin("LSJA24U62JG26922"), "16 characters");
        assert!(!is_vin("LSJA24U62JG2692I5"), "I is not used");
        assert!(!is_vin("11111111111111111"), "no letter");
    }

    #[test]
    fn imeis() {
        assert!(is_imei("356938035643809"));
        assert!(is_imei("490154203237518"));
        assert!(!is_imei("356938035643808"), "Luhn");
        assert!(!is_imei("621700000000008"), "62 is no reporting body");
        assert!(!is_imei("35693803564380"));
    }

    #[test]
    fn macs_and_ips() {
        assert!(is_mac("3c:22:fb:1a:2b:3c"));
        assert!(is_mac("3C-22-FB-1A-2B-3C"));
        assert!(is_mac("3c22.fb1a.2b3c"));
        assert!(!is_mac("3c:22-fb:1a:2b:3c"), "mixed separators");
        assert!(!is_mac("00:00:00:00:00:00"));
        assert!(!is_mac("ff:ff:ff:ff:ff:ff"), "broadcast");
        assert!(!is_mac("01:00:5e:00:00:fb"), "multicast");
        assert!(is_public_ipv4("8.8.8.8"));
        assert!(is_public_ipv4("114.114.114.114"));
        for ip in [
            "10.0.0.1",
            "192.168.1.10",
            "172.16.0.1",
            "127.0.0.1",
            "203.0.113.5",
            "100.64.0.1",
            "255.255.255.255",
            "1.2.3",
            "01.2.3.4",
            "256.1.1.1",
        ] {
            assert!(!is_public_ipv4(ip), "{ip}");
        }
        assert!(is_public_ipv6("2408:8207:1234:5678::1"));
        assert!(!is_public_ipv6("2001:db8::1"));
        assert!(!is_public_ipv6("fe80::1"));
        assert!(!is_public_ipv6("::1"));
        assert!(!is_public_ipv6("12:34:56"));
        assert_eq!(
            canonical_ip("2408:8207:0:0::1").as_deref(),
            Some("2408:8207::1")
        );
    }

    #[test]
    fn unified_social_credit_codes() {
        for c in [
            "91110000600037341L",
            "91310115MA1K3BTP2B",
            "9144030071526726XG",
        ] {
            assert!(is_uscc(c), "{c}");
        }
        assert!(!is_uscc("91110000600037341N"));
        assert!(
            !is_uscc("110105194912310021"),
            "a resident ID's shape, wrong check"
        );
    }

    #[test]
    fn ibans_and_accounts() {
        assert!(is_iban("GB82WEST12345698765432"));
        assert!(is_iban("DE89 3704 0044 0532 0130 00"));
        assert!(!is_iban("GB82WEST12345698765433"));
        assert!(!is_iban("XX82WEST12345698765432"));
        assert!(is_account_number("1102 0201 0900 0123 456"));
        assert!(is_account_number("A00123456789"));
        assert!(
            !is_account_number("6222021234567890128"),
            "a card: bank-card's"
        );
        assert!(!is_account_number("1234567"));
        assert!(!is_account_number("11111111111"));
    }

    #[test]
    fn mrz_lines() {
        // ICAO Doc 9303 part 4 specimen (Utopia), TD3.
        let td3 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
        assert_eq!(mrz_line(td3).as_deref(), Some("UTO:L898902C3"));
        assert_eq!(
            mrz_line(&td3.replace("7408122", "7408123")),
            None,
            "birth-date check"
        );
        assert_eq!(
            mrz_line(&td3.replace("B<<<<<10", "B<<<<<11")),
            None,
            "composite"
        );
        // ICAO Doc 9303 part 6 specimen, TD2.
        let td2 = "D231458907UTO7408122F1204159<<<<<<<6";
        assert_eq!(mrz_line(td2).as_deref(), Some("UTO:D23145890"));
        assert_eq!(
            mrz_line("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"),
            None
        );
    }

    #[test]
    fn plates() {
        for p in [
            "京A12345",
            "粤B·D12345",
            "沪AD12345",
            "浙A12345D",
            "苏E12A34",
            "京A1234学",
            "川A 8B8C8",
        ] {
            assert!(is_cn_plate(p), "{p}");
        }
        for p in ["京I12345", "京AABCDE", "京A1234", "美A12345", "京AZ12345"] {
            assert!(!is_cn_plate(p), "{p}");
        }
    }

    #[test]
    fn sensitive_values() {
        assert!(is_medical_term("2型糖尿病"));
        assert!(is_medical_term("E11.9"));
        assert!(is_medical_term("慢性胃炎"));
        assert!(is_medical_term("Hypertension, stage 2"));
        assert!(!is_medical_term("无"));
        assert!(!is_medical_term("正常"));
        assert!(!is_medical_term("ICD-10"));
        assert!(!is_medical_term("2019"));
        assert!(is_drug("苯磺酸氨氯地平片 5mg"));
        assert!(is_drug("Metformin 500 mg"));
        assert!(!is_drug("无"));
        assert!(!is_drug("12"));
        assert!(is_religion("佛教"));
        assert!(is_religion("Christian"));
        assert!(!is_religion("无宗教信仰"));
        assert!(!is_religion("佛山"));
        assert!(is_sexual_orientation("同性恋"));
        assert!(!is_sexual_orientation("Gaylord"));
        assert!(is_affirmative("二级肢体残疾"));
        assert!(!is_affirmative("否"));
        assert!(is_amount("¥8,500.00"));
        assert!(is_amount("8500元"));
        assert!(is_amount("12000"));
        assert!(!is_amount("0"));
        assert!(!is_amount("面议"));
        assert!(!is_amount("1e5"));
    }

    #[test]
    fn biometric_blobs() {
        let b64 = "Rk1SACAyMAAAAAFiAAABQAHgAMUAxQEAAAAoQ4B6AJ9kQIBoAMFkQICSAMNkQIBfAM5kQIBDAN5kQIB+AQBkQIBSAQ";
        assert!(is_biometric_blob(b64));
        assert!(is_biometric_blob(&format!("0x{}", "ab12".repeat(40))));
        let vector = format!(
            "[{}]",
            (0..128)
                .map(|i| format!("{:.4}", f64::from(i) / 300.0 - 0.2))
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert!(is_biometric_blob(&vector));
        assert!(!is_biometric_blob("face_0001.jpg"));
        assert!(!is_biometric_blob("已采集"));
        assert!(!is_biometric_blob("[0.1, 0.2, 0.3]"));
    }

    #[test]
    fn coordinates() {
        assert!(is_precise_coordinate("39.904211"));
        assert!(is_precise_coordinate("116.407395"));
        assert!(is_precise_coordinate("39.904211,116.407395"));
        assert!(!is_precise_coordinate("39.90"), "2 decimals: about 1 km");
        assert!(!is_precise_coordinate("39.90,116.41"));
        assert!(!is_precise_coordinate("239.904211"));
        assert!(!is_precise_coordinate("0.0000"));
        assert!(is_coordinate_pair_text("31.230416,121.473701"));
        assert!(is_coordinate_pair_text("31.230416, 121.473701"));
        assert!(!is_coordinate_pair_text("31.23,121.47"));
        assert!(
            !is_coordinate_pair_text("95.230416,121.473701"),
            "no latitude above 90"
        );
    }
}
