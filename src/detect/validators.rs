//! The built-in checks, normalisers and maskers that detector files name.
//!
//! A detector TOML file says `validator = "gb11643"`, `normaliser = "cn-mobile"`,
//! `masker = "id"`; this module owns what those names mean. Each family is a closed enum
//! with a `NAMES` table, so that the loader can reject an unknown name and list the
//! known ones, and so that adding a check is adding one variant here.
//!
//! * A [`Validator`] decides whether a regex match really is the identifier it looks like
//!   (check digit, real date, allocated number block, known card range). It sees the raw
//!   matched text, separators and all.
//! * A [`Normaliser`] turns a validated match into the canonical value that is hashed into
//!   the sketches, so that one person is one key however the number was written
//!   (REGULATION.md §4, "HLL subject keys").
//! * A [`Masker`] turns a normalised value into something safe to print as evidence: it
//!   never reveals the middle of an identifier, and it stars out anything too short to
//!   mask safely.
//!
//! Everything here is pure and total: no function panics on any UTF-8 input, and no result
//! depends on the clock (a birth date in the future is accepted up to 2100, so a scan is
//! reproducible and tests need no fixed "today"; minors are judged against the reference
//! date elsewhere, with [`age_on`]).

use chrono::{Datelike, NaiveDate};

use super::checks;
use std::borrow::Cow;

/// A named check that a matched text really is the identifier its pattern looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// PRC resident ID (GB 11643-1999): region, birth date and ISO 7064 MOD 11-2 check
    /// character; also the legacy 15-digit form (region and 19YY date, no check character).
    Gb11643,
    /// Payment card: 13–19 digits, Luhn (ISO/IEC 7812), and a known card-scheme range.
    Luhn,
    /// Mainland mobile number in an allocated block, optionally with `+86` / `0086`.
    CnMobile,
    /// A plausible personal email address (no `user@localhost`).
    Email,
    /// A Chinese personal name: 2–4 Hanzi (up to 6 for compound surnames and `·` names)
    /// starting with a known surname. Header-driven: see [`super::person`].
    CnName,
    /// A mainland postal address: names a province, city, district or street level.
    Address,
    /// Hong Kong identity card number with its mod-11 check character.
    Hkid,
    /// Macau resident identity card number (shape only: no published check).
    MacauId,
    /// Taiwan national ID / resident certificate with its mod-10 check.
    Twid,
    /// A document number under a naming header (military officer ID, driving licence).
    DocumentNumber,
    /// Mainland landline: area code and local number of the right lengths.
    CnLandline,
    /// International number: `+`, an assigned country code other than 86, 8–15 digits.
    E164,
    /// US Social Security number: issued area, group and serial.
    UsSsn,
    /// Vehicle identification number with its ISO 3779 check digit.
    Vin,
    /// IMEI: 15 digits, a GSMA reporting body and the Luhn check.
    Imei,
    /// Unicast MAC address, one separator throughout.
    Mac,
    /// Public IPv4 address (no private, reserved or documentation range).
    Ipv4,
    /// Global unicast IPv6 address.
    Ipv6,
    /// Unified Social Credit Code (GB 32100) with its mod-31 check character.
    Uscc,
    /// IBAN: country format and ISO 7064 MOD 97-10.
    Iban,
    /// An account number that is not a payment card, under an account header.
    AccountNumber,
    /// Passport / travel-document MRZ line with all ICAO 9303 check digits.
    Mrz,
    /// Mainland licence plate (GA 36-2018), ordinary or new-energy.
    CnPlate,
    /// A diagnosis or health finding: ICD-10 code or dictionary term.
    MedicalTerm,
    /// A drug: dictionary name or dosage form.
    DrugName,
    /// A religious belief from the dictionary.
    Religion,
    /// A sexual orientation from the dictionary.
    SexualOrientation,
    /// Any value that reports something (not empty, not "none").
    Affirmative,
    /// An amount of money above zero.
    Amount,
    /// A biometric template: long base64 or hex, or a vector of ≥ 32 numbers.
    BiometricBlob,
    /// A precise coordinate or pair (≥ 4 decimals).
    Coordinate,
    /// A precise `lat,lng` pair in text.
    CoordinatePair,
}

impl Validator {
    /// Every validator, in the order of [`Validator::NAMES`].
    pub const ALL: &'static [Self] = &[
        Self::Gb11643,
        Self::Luhn,
        Self::CnMobile,
        Self::Email,
        Self::CnName,
        Self::Address,
        Self::Hkid,
        Self::MacauId,
        Self::Twid,
        Self::DocumentNumber,
        Self::CnLandline,
        Self::E164,
        Self::UsSsn,
        Self::Vin,
        Self::Imei,
        Self::Mac,
        Self::Ipv4,
        Self::Ipv6,
        Self::Uscc,
        Self::Iban,
        Self::AccountNumber,
        Self::Mrz,
        Self::CnPlate,
        Self::MedicalTerm,
        Self::DrugName,
        Self::Religion,
        Self::SexualOrientation,
        Self::Affirmative,
        Self::Amount,
        Self::BiometricBlob,
        Self::Coordinate,
        Self::CoordinatePair,
    ];
    /// The names a detector file may use, in the order of [`Validator::ALL`].
    pub const NAMES: &'static [&'static str] = &[
        "gb11643",
        "luhn",
        "cn-mobile",
        "email",
        "cn-name",
        "address",
        "hkid",
        "macau-id",
        "twid",
        "document-number",
        "cn-landline",
        "e164",
        "us-ssn",
        "vin",
        "imei",
        "mac",
        "ipv4",
        "ipv6",
        "uscc",
        "iban",
        "account-number",
        "mrz",
        "cn-plate",
        "medical-term",
        "drug-name",
        "religion",
        "sexual-orientation",
        "affirmative",
        "amount",
        "biometric-blob",
        "coordinate",
        "coordinate-pair",
    ];

    /// The validator called `name`, or `None` if there is none.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }

    /// The name a detector file uses for this validator.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gb11643 => "gb11643",
            Self::Luhn => "luhn",
            Self::CnMobile => "cn-mobile",
            Self::Email => "email",
            Self::CnName => "cn-name",
            Self::Address => "address",
            Self::Hkid => "hkid",
            Self::MacauId => "macau-id",
            Self::Twid => "twid",
            Self::DocumentNumber => "document-number",
            Self::CnLandline => "cn-landline",
            Self::E164 => "e164",
            Self::UsSsn => "us-ssn",
            Self::Vin => "vin",
            Self::Imei => "imei",
            Self::Mac => "mac",
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
            Self::Uscc => "uscc",
            Self::Iban => "iban",
            Self::AccountNumber => "account-number",
            Self::Mrz => "mrz",
            Self::CnPlate => "cn-plate",
            Self::MedicalTerm => "medical-term",
            Self::DrugName => "drug-name",
            Self::Religion => "religion",
            Self::SexualOrientation => "sexual-orientation",
            Self::Affirmative => "affirmative",
            Self::Amount => "amount",
            Self::BiometricBlob => "biometric-blob",
            Self::Coordinate => "coordinate",
            Self::CoordinatePair => "coordinate-pair",
        }
    }

    /// Whether `raw`, the matched text exactly as found (it may contain spaces or dashes,
    /// `+86` / `0086`, a lower-case `x`), is a valid identifier of this kind.
    pub fn check(self, raw: &str) -> bool {
        match self {
            Self::Gb11643 => is_resident_id(raw),
            Self::Luhn => is_payment_card(raw),
            Self::CnMobile => cn_mobile_digits(raw).is_some(),
            Self::Email => is_email(raw),
            Self::CnName => super::person::is_cn_name(raw),
            Self::Address => super::person::is_address(raw),
            Self::Hkid => checks::is_hkid(raw),
            Self::MacauId => checks::is_macau_id(raw),
            Self::Twid => checks::is_twid(raw),
            Self::DocumentNumber => checks::is_document_number(raw),
            Self::CnLandline => checks::cn_landline(raw).is_some(),
            Self::E164 => checks::is_e164(raw),
            Self::UsSsn => checks::is_us_ssn(raw),
            Self::Vin => checks::is_vin(raw),
            Self::Imei => checks::is_imei(raw),
            Self::Mac => checks::is_mac(raw),
            Self::Ipv4 => checks::is_public_ipv4(raw),
            Self::Ipv6 => checks::is_public_ipv6(raw),
            Self::Uscc => checks::is_uscc(raw),
            Self::Iban => checks::is_iban(raw),
            Self::AccountNumber => checks::is_account_number(raw),
            Self::Mrz => checks::mrz_line(raw).is_some(),
            Self::CnPlate => checks::is_cn_plate(raw),
            Self::MedicalTerm => checks::is_medical_term(raw),
            Self::DrugName => checks::is_drug(raw),
            Self::Religion => checks::is_religion(raw),
            Self::SexualOrientation => checks::is_sexual_orientation(raw),
            Self::Affirmative => checks::is_affirmative(raw),
            Self::Amount => checks::is_amount(raw),
            Self::BiometricBlob => checks::is_biometric_blob(raw),
            Self::Coordinate => checks::is_precise_coordinate(raw),
            Self::CoordinatePair => checks::is_coordinate_pair_text(raw),
        }
    }
}

/// A named way to turn a match into the canonical value that identifies a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normaliser {
    /// Separators removed, `X` upper-cased, a valid 15-digit ID upgraded to 18 characters.
    Gb11643,
    /// The bare 11 digits: no country code, no separators.
    CnMobile,
    /// Trimmed and lower-cased.
    Lowercase,
    /// An e-mail address: lower-cased, an internationalised domain in Unicode form.
    Email,
    /// ASCII digits only (card numbers).
    Digits,
    /// ASCII letters and digits only, upper-cased (passports, permits).
    UpperAlnum,
    /// Whitespace removed (names and addresses, where spacing is not significant).
    Squash,
    /// A mainland landline as `0` + area code + local number, digits only (`+86 10 …` and
    /// `010-…` are one key).
    CnLandline,
    /// An IP address in its canonical text (`2408:8207:0:0::1` → `2408:8207::1`).
    Ip,
    /// A passport MRZ line as `NATIONALITY:DOCUMENT-NUMBER`.
    Mrz,
}

impl Normaliser {
    /// Every normaliser, in the order of [`Normaliser::NAMES`].
    pub const ALL: &'static [Self] = &[
        Self::Gb11643,
        Self::CnMobile,
        Self::Lowercase,
        Self::Email,
        Self::Digits,
        Self::UpperAlnum,
        Self::Squash,
        Self::CnLandline,
        Self::Ip,
        Self::Mrz,
    ];
    /// The names a detector file may use, in the order of [`Normaliser::ALL`].
    pub const NAMES: &'static [&'static str] = &[
        "gb11643",
        "cn-mobile",
        "lowercase",
        "email",
        "digits",
        "upper-alnum",
        "squash",
        "cn-landline",
        "ip",
        "mrz",
    ];

    /// The normaliser called `name`, or `None` if there is none.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|n| n.name() == name)
    }

    /// The name a detector file uses for this normaliser.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gb11643 => "gb11643",
            Self::CnMobile => "cn-mobile",
            Self::Lowercase => "lowercase",
            Self::Email => "email",
            Self::Digits => "digits",
            Self::UpperAlnum => "upper-alnum",
            Self::Squash => "squash",
            Self::CnLandline => "cn-landline",
            Self::Ip => "ip",
            Self::Mrz => "mrz",
        }
    }

    /// The canonical form of `raw`. Meant for text its validator accepted; on anything
    /// else it still returns a best effort (it never fails), which callers should not key on.
    pub fn apply(self, raw: &str) -> String {
        self.canonical(raw).into_owned()
    }

    /// [`apply`](Self::apply) as a finding stores it: inline when short, so a mobile number
    /// written with separators (`139-0000-0000`) costs no allocation either.
    pub fn normalise(self, raw: &str) -> smol_str::SmolStr {
        match self {
            Self::CnMobile => match cn_mobile_digits(raw) {
                Some(d) => mobile_text(raw, &d),
                None => ascii_filtered(raw, u8::is_ascii_digit).into(),
            },
            _ => self.canonical(raw).as_ref().into(),
        }
    }

    /// `validator`'s verdict on `raw` and, if it passes (or there is none), `raw` normalised:
    /// the same as [`Validator::check`] then [`normalise`](Self::normalise), with the work the
    /// two share done once (a mobile number's digits, which both read).
    pub fn validated(self, validator: Option<Validator>, raw: &str) -> Option<smol_str::SmolStr> {
        match (validator, self) {
            (Some(Validator::CnMobile), Self::CnMobile) => {
                cn_mobile_digits(raw).map(|d| mobile_text(raw, &d))
            }
            (Some(Validator::Gb11643), Self::Gb11643) if raw.len() == 18 => {
                // An 18-character ID as matched: valid or not as it is, and canonical but for
                // a lower-case check character.
                let b = raw.as_bytes();
                is_full_id(b).then(|| match b[17] {
                    b'x' => raw.to_ascii_uppercase().into(),
                    _ => raw.into(),
                })
            }
            (Some(Validator::Address), Self::Squash) => {
                let s = super::person::squashed(raw);
                super::person::is_squashed_address(&s).then(|| s.as_ref().into())
            }
            (Some(v), _) if !v.check(raw) => None,
            _ => Some(self.normalise(raw)),
        }
    }

    /// [`apply`](Self::apply), borrowing `raw` when it is already canonical (the common case:
    /// this runs for every finding, and the caller copies the result once into shared storage).
    pub fn canonical(self, raw: &str) -> Cow<'_, str> {
        match self {
            Self::Gb11643 => {
                let b = raw.as_bytes();
                if b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) {
                    // An 18-character ID as matched: only its check character may change.
                    match b[17] {
                        b'0'..=b'9' | b'X' => return raw.into(),
                        b'x' => return raw.to_ascii_uppercase().into(),
                        _ => {}
                    }
                }
                let id = strip_separators(raw);
                if is_legacy_id(id.as_bytes()) {
                    upgrade_legacy_id(id.as_bytes()).into()
                } else if id.bytes().any(|b| b.is_ascii_lowercase()) {
                    id.to_ascii_uppercase().into()
                } else {
                    id
                }
            }
            Self::CnMobile => match cn_mobile_digits(raw) {
                // Eleven ASCII digits: `raw` itself when it is just them.
                Some(d) if raw.as_bytes() == d => raw.into(),
                Some(d) => String::from_utf8_lossy(&d).into_owned().into(),
                None => ascii_filtered(raw, u8::is_ascii_digit).into(),
            },
            Self::Lowercase => {
                let t = raw.trim();
                if !t.is_ascii() {
                    t.to_lowercase().into()
                } else if t.bytes().any(|b| b.is_ascii_uppercase()) {
                    t.to_ascii_lowercase().into()
                } else {
                    t.into()
                }
            }
            Self::Email => canonical_email(raw),
            Self::Digits if raw.bytes().all(|b| b.is_ascii_digit()) => raw.into(),
            Self::Digits => ascii_filtered(raw, u8::is_ascii_digit).into(),
            Self::UpperAlnum
                if raw
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) =>
            {
                raw.into()
            }
            Self::UpperAlnum => {
                let mut s = ascii_filtered(raw, u8::is_ascii_alphanumeric);
                s.make_ascii_uppercase();
                s.into()
            }
            Self::Squash => super::person::squashed(raw),
            Self::CnLandline => checks::cn_landline(raw)
                .unwrap_or_else(|| ascii_filtered(raw, u8::is_ascii_digit))
                .into(),
            Self::Ip => checks::canonical_ip(raw)
                .unwrap_or_else(|| raw.trim().to_ascii_lowercase())
                .into(),
            Self::Mrz => checks::mrz_line(raw)
                .unwrap_or_else(|| raw.trim().to_string())
                .into(),
        }
    }
}

/// A named way to print a normalised value as evidence without disclosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Masker {
    /// First 6 (the region) and last 4: `110105********002X`.
    Id,
    /// First 3 (the block) and last 4: `138****5678`.
    Mobile,
    /// First character of the local part and the domain: `z***@example.com`.
    Email,
    /// First 6 (the BIN) and last 4, as PCI DSS allows: `622202******1234`.
    Card,
    /// First character (the document series) and last 2: `E******78`.
    Document,
    /// The surname only: `张**`.
    Name,
    /// The first 6 characters (province and city at most): `广东省深圳市*********`.
    Address,
    /// Nothing shown: eight stars whatever the value (a diagnosis, a salary, a coordinate,
    /// a biometric template: any part of them discloses the sensitive information).
    Redact,
}

impl Masker {
    /// Every masker, in the order of [`Masker::NAMES`].
    pub const ALL: &'static [Self] = &[
        Self::Id,
        Self::Mobile,
        Self::Email,
        Self::Card,
        Self::Document,
        Self::Name,
        Self::Address,
        Self::Redact,
    ];
    /// The names a detector file may use, in the order of [`Masker::ALL`].
    pub const NAMES: &'static [&'static str] = &[
        "id", "mobile", "email", "card", "document", "name", "address", "redact",
    ];

    /// The masker called `name`, or `None` if there is none.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// The name a detector file uses for this masker.
    pub fn name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Mobile => "mobile",
            Self::Email => "email",
            Self::Card => "card",
            Self::Document => "document",
            Self::Name => "name",
            Self::Address => "address",
            Self::Redact => "redact",
        }
    }

    /// `normalised` with its middle starred out, one `*` per hidden character (an email's
    /// local part always becomes `***`, so its length is not disclosed either). A value too
    /// short to keep its ends and still hide a meaningful middle is starred out entirely.
    pub fn mask(self, normalised: &str) -> String {
        let mut out = String::new();
        self.mask_into(normalised, &mut out);
        out
    }

    /// [`mask`](Self::mask) into `out` (cleared first), character by character: no
    /// intermediate vector of characters.
    fn mask_into(self, normalised: &str, out: &mut String) {
        out.clear();
        match self {
            // An 18-character ID hides 8 (birth date and sequence); insist on hiding ≥ 4.
            Self::Id => keep_ends(normalised, 6, 4, 4, out),
            // Exactly 11 digits hides 4; anything shorter is not a mobile number.
            Self::Mobile => keep_ends(normalised, 3, 4, 4, out),
            // A 13-digit Visa hides 3, which PCI DSS still accepts for first-6/last-4.
            Self::Card => keep_ends(normalised, 6, 4, 3, out),
            // A 9-character passport or permit hides 6.
            Self::Document => keep_ends(normalised, 1, 2, 3, out),
            Self::Email => mask_email(normalised, out),
            // A name hides all but its first character (the surname, or half a compound one).
            Self::Name => keep_ends(normalised, 1, 0, 1, out),
            // An address keeps its first 6 characters (province / city), never more than half.
            Self::Address => {
                let n = normalised.chars().count();
                keep_ends(normalised, 6.min(n / 2), 0, 1, out)
            }
            Self::Redact if normalised.is_empty() => {}
            Self::Redact => out.push_str("********"),
        }
    }
}

/// The birth date in an 18-character normalised resident ID (characters 7–14), or `None`
/// if `normalised` is not 18 characters or those characters are not a real date in
/// 1800–2100. The check character is not verified here: that is the validator's job.
pub fn resident_id_birth_date(normalised: &str) -> Option<NaiveDate> {
    let b = normalised.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return None;
    }
    birth_date(&b[6..14])
}

/// Whole years of age on `on` of someone born on `birth` (0 if `on` is before `birth`).
///
/// The age goes up on the birthday itself. Someone born on 29 February has their birthday
/// on 1 March in common years: that keeps a person counted as a minor for the longest
/// defensible time (PIPL Art. 28 treats all PI of under-14s as sensitive).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on <= birth {
        return 0;
    }
    let years = on.year() - birth.year();
    let had_birthday = (on.month(), on.day()) >= (birth.month(), birth.day());
    let age = if had_birthday { years } else { years - 1 };
    u32::try_from(age).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// Shared helpers.

/// `raw` without the spaces and dashes people write inside long numbers; borrowed when it has
/// none (the common case: validators run on every candidate and should not allocate).
fn strip_separators(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.bytes().any(|b| b == b' ' || b == b'-') {
        raw.chars().filter(|&c| c != ' ' && c != '-').collect()
    } else {
        raw.into()
    }
}

/// The ASCII bytes of `raw` that `keep` accepts, as a string.
fn ascii_filtered(raw: &str, keep: impl Fn(&u8) -> bool) -> String {
    let mut out = String::with_capacity(raw.len());
    out.extend(raw.bytes().filter(|b| keep(b)).map(char::from));
    out
}

/// The first `first` and last `last` characters of `s` with the rest starred, or `s`
/// starred entirely when fewer than `min_hidden` characters would be hidden.
fn keep_ends(s: &str, first: usize, last: usize, min_hidden: usize, out: &mut String) {
    let n = s.chars().count();
    if n < first + last + min_hidden {
        out.extend(std::iter::repeat_n('*', n));
        return;
    }
    for (i, c) in s.chars().enumerate() {
        out.push(if i < first || i >= n - last { c } else { '*' });
    }
}

fn mask_email(s: &str, out: &mut String) {
    match s.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let mut local_chars = local.chars();
            // A one-character local part would be disclosed whole: star it too.
            if let (Some(c), Some(_)) = (local_chars.next(), local_chars.next()) {
                out.push(c);
            }
            out.push_str("***@");
            out.push_str(domain);
        }
        _ => out.extend(std::iter::repeat_n('*', s.chars().count())),
    }
}

// ---------------------------------------------------------------------------------------
// GB 11643-1999 resident identity numbers.

/// ISO 7064 MOD 11-2 weights for the first 17 digits (2^(17-i) mod 11).
const GB11643_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each value of Σ(digit·weight) mod 11.
const GB11643_CHECK: &[u8; 11] = b"10X98765432";

fn is_resident_id(raw: &str) -> bool {
    // Already 18 or 15 characters: a separator in it could only make it shorter once stripped,
    // and so invalid either way (the digit checks reject it as it is).
    match raw.len() {
        18 => return is_full_id(raw.as_bytes()),
        15 => return is_legacy_id(raw.as_bytes()),
        _ => {}
    }
    let id = strip_separators(raw);
    let b = id.as_bytes();
    match b.len() {
        18 => is_full_id(b),
        15 => is_legacy_id(b),
        _ => false,
    }
}

/// 17 digits + check character (digit, `X` or `x`), real region and birth date, right check.
fn is_full_id(b: &[u8]) -> bool {
    let Ok(b) = <&[u8; 18]>::try_from(b) else {
        return false;
    };
    // One pass over the 17 digits (a fixed length, so unrolled): their check and the weighted
    // sum. This runs for every 18-digit candidate, millions of times in a large table.
    let (mut digits, mut sum) = (true, 0u32);
    for (&c, w) in b[..17].iter().zip(GB11643_WEIGHTS) {
        let d = c.wrapping_sub(b'0');
        digits &= d < 10;
        sum += u32::from(d) * w;
    }
    // A birth before 1900 is no living person's ID (and the date check allows 1800 for
    // `resident_id_birth_date`'s other callers).
    digits
        && b[17].to_ascii_uppercase() == GB11643_CHECK[(sum % 11) as usize]
        && b[6..8] >= b"19"[..]
        && is_region_code(&b[..6])
        && birth_date(&b[6..14]).is_some()
}

/// 15 digits, real region, `19YYMMDD` a real date. There is no check character.
fn is_legacy_id(b: &[u8]) -> bool {
    if b.len() != 15 || !b.iter().all(u8::is_ascii_digit) || !is_region_code(&b[..6]) {
        return false;
    }
    let mut date = *b"19000000";
    date[2..].copy_from_slice(&b[6..12]);
    birth_date(&date).is_some()
}

/// The 18-character form of a valid 15-digit ID: "19" inserted before the two-digit year,
/// then the MOD 11-2 check character appended.
fn upgrade_legacy_id(b: &[u8]) -> String {
    let mut full = Vec::with_capacity(18);
    full.extend_from_slice(&b[..6]);
    full.extend_from_slice(b"19");
    full.extend_from_slice(&b[6..]);
    full.push(gb11643_check_char(&full));
    // Only ASCII digits and `X` were pushed.
    String::from_utf8(full).unwrap_or_default()
}

/// The check character for 17 ASCII digits.
pub(crate) fn gb11643_check_char(digits17: &[u8]) -> u8 {
    let sum: u32 = digits17
        .iter()
        .zip(GB11643_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    GB11643_CHECK[(sum % 11) as usize]
}

/// `detectors/data/gbt2260-regions.txt`: every GB/T 2260 county-level code since 1980.
const REGIONS_TXT: &str = include_str!("../../detectors/data/gbt2260-regions.txt");

/// Region codes are 6 digits: one bit for each of 100000–999999 (113 KiB).
const REGION_BASE: u32 = 100_000;
const REGION_WORDS: usize = (1_000_000 - REGION_BASE as usize) / 64 + 1;

/// The region table as a bitset, built once: a lookup on the hot path is one load and a shift
/// (a binary search of the 6,900 codes took ~13 dependent comparisons).
fn region_bits() -> &'static [u64] {
    static BITS: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    BITS.get_or_init(|| {
        let mut bits = vec![0u64; REGION_WORDS];
        for code in REGIONS_TXT
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.trim().parse::<u32>().ok())
            .filter(|c| (REGION_BASE..1_000_000).contains(c))
        {
            let i = (code - REGION_BASE) as usize;
            bits[i / 64] |= 1 << (i % 64);
        }
        bits
    })
}

/// Whether six ASCII digits are a region code that existed (GB/T 2260 since 1980, or a
/// Hong Kong / Macau / Taiwan residence-permit code). People keep the code of the place their
/// birth was registered, so codes abolished since still count.
pub(crate) fn is_region_code(six: &[u8]) -> bool {
    let code = six
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d.wrapping_sub(b'0')));
    let Some(i) = code.checked_sub(REGION_BASE) else {
        return false;
    };
    let i = i as usize;
    region_bits()
        .get(i / 64)
        .is_some_and(|w| w & (1 << (i % 64)) != 0)
}

/// `YYYYMMDD` (8 ASCII digits) as a real date with a year in 1800–2100.
fn birth_date(yyyymmdd: &[u8]) -> Option<NaiveDate> {
    if yyyymmdd.len() != 8 || !yyyymmdd.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |s: &[u8]| s.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let year = num(&yyyymmdd[..4]);
    if !(1800..=2100).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        num(&yyyymmdd[4..6]),
        num(&yyyymmdd[6..]),
    )
}

// ---------------------------------------------------------------------------------------
// Payment cards.

fn is_payment_card(raw: &str) -> bool {
    let digits = strip_separators(raw);
    let b = digits.as_bytes();
    (13..=19).contains(&b.len())
        && b.iter().all(u8::is_ascii_digit)
        && known_card_range(b)
        && luhn(b)
}

/// Σ with every second digit from the right doubled (minus 9 if over 9) ≡ 0 mod 10.
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                if d > 4 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `detectors/data/card-iin.txt`: issuer ranges and the lengths they issue.
const CARD_IIN_TXT: &str = include_str!("../../detectors/data/card-iin.txt");

/// One issuer range: numbers whose first `digits` digits are in `lo..=hi`, issued at the
/// lengths whose bits are set in `lengths` (bit n = n digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CardRange {
    digits: usize,
    lo: u32,
    hi: u32,
    lengths: u32,
}

/// One line of the range table, or `None` if it does not parse.
fn parse_card_range(line: &str) -> Option<CardRange> {
    let mut cols = line.split_whitespace();
    let (first, last, lengths) = (cols.next()?, cols.next()?, cols.next()?);
    cols.next()?; // the scheme's name, for people
    let digits = first.len();
    if last.len() != digits || !(1..=6).contains(&digits) {
        return None;
    }
    let (lo, hi) = (first.parse().ok()?, last.parse().ok()?);
    let mut mask = 0u32;
    for part in lengths.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
        if a > b || b > 19 || a < 12 {
            return None;
        }
        mask |= (a..=b).fold(0, |m, n| m | (1 << n));
    }
    (lo <= hi).then_some(CardRange {
        digits,
        lo,
        hi,
        lengths: mask,
    })
}

/// The range table, parsed once; lines that do not parse are left out (and fail a test).
fn card_ranges() -> &'static [CardRange] {
    static TABLE: std::sync::OnceLock<Vec<CardRange>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        CARD_IIN_TXT
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .filter_map(parse_card_range)
            .collect()
    })
}

/// Whether the number starts with a card-scheme range issued at its length. A number that
/// merely passes Luhn (one in ten do) is not a card: order and waybill numbers would be.
fn known_card_range(b: &[u8]) -> bool {
    let len = b.len();
    let prefix = |n: usize| {
        b[..n.min(len)]
            .iter()
            .fold(0u32, |p, d| p * 10 + u32::from(d.wrapping_sub(b'0')))
    };
    card_ranges()
        .iter()
        .any(|r| r.lengths & (1 << len.min(31)) != 0 && (r.lo..=r.hi).contains(&prefix(r.digits)))
}

// ---------------------------------------------------------------------------------------
// Mainland mobile numbers.

/// The bare 11 digits of a mainland mobile number written as `13812345678`,
/// `138 1234 5678` or `138-1234-5678`, optionally after `+86` or `0086` and one optional
/// space or dash; `None` for any other shape or an unallocated block. A bare `86` prefix is
/// not accepted: `8613812345678` is as likely to be a 13-digit account number.
fn cn_mobile_digits(raw: &str) -> Option<[u8; 11]> {
    // `trim`, without decoding characters when both ends are ASCII and not whitespace (the
    // usual candidate: `13812345678`).
    let b = raw.as_bytes();
    let solid =
        |c: Option<&u8>| c.is_some_and(|&c| c.is_ascii() && !matches!(c, b'\t'..=b'\r' | b' '));
    let s = if solid(b.first()) && solid(b.last()) {
        raw
    } else {
        raw.trim()
    };
    let national = match s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")) {
        Some(rest) => rest
            .strip_prefix(' ')
            .or_else(|| rest.strip_prefix('-'))
            .unwrap_or(rest),
        None => s,
    };
    let b = national.as_bytes();
    let mut digits = [0u8; 11];
    match b.len() {
        11 => digits.copy_from_slice(b),
        // 3-4-4 with the same separator twice.
        13 if matches!(b[3], b' ' | b'-') && b[8] == b[3] => {
            digits[..3].copy_from_slice(&b[..3]);
            digits[3..7].copy_from_slice(&b[4..8]);
            digits[7..].copy_from_slice(&b[9..]);
        }
        _ => return None,
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !is_mobile_block(digits[1] - b'0', digits[2] - b'0') || digits[0] != b'1' {
        return None;
    }
    Some(digits)
}

/// The eleven digits `d` of a mobile number written as `raw`, as text: `raw` itself when it is
/// just them.
fn mobile_text(raw: &str, d: &[u8; 11]) -> smol_str::SmolStr {
    if raw.as_bytes() == d {
        raw.into()
    } else {
        super::text_of(d).map_or_else(|| raw.into(), Into::into)
    }
}

/// Whether `1ab` is an allocated public mobile block (REGULATION.md §4). 140–144 (IoT,
/// 13-digit), 154, 160–161, 163–164, 168–169, 179 and 194 are not.
fn is_mobile_block(a: u8, b: u8) -> bool {
    match a {
        3 | 8 => true,
        4 => (5..=9).contains(&b),
        5 | 9 => b != 4,
        6 => matches!(b, 2 | 5 | 6 | 7),
        7 => b <= 8,
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Email addresses.

fn is_email(raw: &str) -> bool {
    // One pass over the bytes per part: this runs for every e-mail candidate.
    let t = raw.trim();
    let b = t.as_bytes();
    let Some(at) = memchr::memchr(b'@', b) else {
        return false;
    };
    let (local, domain) = (&t[..at], &t[at + 1..]);
    let local_ok = if local.is_ascii() {
        is_local_part(local.as_bytes())
    } else {
        is_unicode_local_part(local)
    };
    local_ok && is_mail_domain_idn(domain)
}

/// An internationalised local part (RFC 6531): at most 64 bytes, no leading, trailing or double
/// dot, each character ASCII `atext` or a non-ASCII letter, digit or combining mark.
fn is_unicode_local_part(local: &str) -> bool {
    let b = local.as_bytes();
    if b.is_empty()
        || b.len() > 64
        || b[0] == b'.'
        || b[b.len() - 1] == b'.'
        || local.contains("..")
    {
        return false;
    }
    local.chars().all(|c| {
        if c.is_ascii() {
            c == '.' || is_local_part(&[c as u8])
        } else {
            is_unicode_word_char(c)
        }
    })
}

/// A non-ASCII character that can be part of an internationalised address: a letter or digit,
/// or a combining mark (a decomposed `é` is `e` + U+0301).
fn is_unicode_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '\u{300}'..='\u{36F}')
}

/// A mail domain, ASCII or internationalised: Unicode labels and `xn--` labels are brought to
/// their ASCII (punycode) form by UTS #46 (which also rejects invalid labels) before the checks
/// of [`is_mail_domain`].
fn is_mail_domain_idn(domain: &str) -> bool {
    if domain.is_ascii() && !has_punycode(domain.as_bytes()) {
        return is_mail_domain(domain.as_bytes());
    }
    match idna::domain_to_ascii(domain) {
        Ok(ascii) => is_mail_domain(ascii.as_bytes()),
        Err(_) => false,
    }
}

/// Does an ASCII domain hold a punycode label (`xn--`, any case)?
fn has_punycode(domain: &[u8]) -> bool {
    // A plain loop: the text is a few dozen bytes, where a `memchr` or `memmem` call's set-up
    // costs more than the whole check.
    (3..domain.len()).any(|i| {
        domain[i] == b'-'
            && domain[i - 1] == b'-'
            && domain[i - 3..i - 1].eq_ignore_ascii_case(b"xn")
    })
}

/// 1–64 RFC 5322 `atext` characters and dots, with no leading, trailing or double dot.
fn is_local_part(local: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (local.first(), local.last()) else {
        return false;
    };
    if local.len() > 64 || first == b'.' || last == b'.' {
        return false;
    }
    let mut prev_dot = false;
    local.iter().all(|&c| {
        let dot = c == b'.';
        let ok = if dot {
            !prev_dot
        } else {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'/'
                        | b'='
                        | b'?'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'{'
                        | b'|'
                        | b'}'
                        | b'~'
                        | b'-'
                )
        };
        prev_dot = dot;
        ok
    })
}

/// At least two labels (so not `localhost`), each 1–63 of `[A-Za-z0-9-]` not starting or
/// ending with `-`, ending in a suffix of the Public Suffix List with a label before it.
///
/// The PSL decides what a top-level domain is, not a letters-only rule: `icon@2x.png` and
/// `ip-10-0-0-1.ec2.internal` end in no public suffix (a file extension, a cloud-internal name),
/// `.local`, `.lan`, `.corp` neither, while `xn--fiqs8s` (中国) does. The `psl` crate was chosen
/// over `publicsuffix` (which parses a list file at run time: one more file to ship and load)
/// and `addr` (a parser built on `psl`, more than a lookup needs): `psl` compiles the list into
/// a match on labels, allocation-free, and is released with each list update. `arpa` is in the
/// list but holds infrastructure names only (`home.arpa`, `in-addr.arpa`), never a mailbox.
fn is_mail_domain(domain: &[u8]) -> bool {
    DOMAIN_MEMO.with(|memo| memo.borrow_mut().check(domain))
}

/// [`is_mail_domain`] without the memo.
fn is_mail_domain_uncached(domain: &[u8]) -> bool {
    let n = domain.len();
    if n > 253 {
        return false;
    }
    // One pass: the label rules, and a lower-case copy for the list (at most 253 bytes, on
    // the stack).
    let mut buf = [0u8; 253];
    let (mut labels, mut label_len, mut prev) = (1, 0, b'.');
    for (slot, &c) in buf.iter_mut().zip(domain) {
        if c == b'.' {
            if label_len == 0 || prev == b'-' {
                return false;
            }
            labels += 1;
            label_len = 0;
        } else if c.is_ascii_alphanumeric() || (c == b'-' && label_len > 0) {
            label_len += 1;
            if label_len > 63 {
                return false;
            }
        } else {
            return false;
        }
        *slot = c.to_ascii_lowercase();
        prev = c;
    }
    if labels < 2 || label_len == 0 || prev == b'-' {
        return false;
    }
    let lower = &buf[..n];
    public_suffix_check(lower)
}

/// Whether a lower-case domain ends in a known public suffix with a label before it (and not
/// in `arpa`).
fn public_suffix_check(lower: &[u8]) -> bool {
    match psl::domain(lower) {
        Some(d) => {
            let suffix = d.suffix();
            suffix.is_known()
                && suffix.as_bytes() != b"arpa"
                && !suffix.as_bytes().ends_with(b".arpa")
        }
        None => false,
    }
}

/// The last few mail domains checked, with their verdict, by thread. A check walks the labels
/// and the compiled Public Suffix List (measured with cachegrind: ~450 instructions for
/// `example.com`), while a column or a log repeats a handful of mail domains (`qq.com`,
/// `163.com`, a company's own): a hit costs a comparison of a few bytes.
struct DomainMemo {
    slots: [(u8, [u8; SUFFIX_MEMO_LEN], bool); SUFFIX_MEMO_SLOTS],
}

const SUFFIX_MEMO_SLOTS: usize = 16;
const SUFFIX_MEMO_LEN: usize = 40;

thread_local! {
    static DOMAIN_MEMO: std::cell::RefCell<DomainMemo> = const {
        std::cell::RefCell::new(DomainMemo {
            slots: [(0, [0; SUFFIX_MEMO_LEN], false); SUFFIX_MEMO_SLOTS],
        })
    };
}

impl DomainMemo {
    /// [`is_mail_domain_uncached`], remembered for domains of up to 40 bytes as written (a slot
    /// chosen by a few of their bytes, replaced on a miss).
    fn check(&mut self, lower: &[u8]) -> bool {
        let n = lower.len();
        if n == 0 || n > SUFFIX_MEMO_LEN {
            return is_mail_domain_uncached(lower);
        }
        // Mail domains differ mostly in their first label: its first bytes and the byte before
        // a 3-letter top-level domain's dot pick the slot (no pass over every byte).
        let at = |i: usize| usize::from(lower[i.min(n - 1)]);
        let hash = n * 31 + at(0) * 7 + at(1) * 3 + at(n.saturating_sub(5)) * 5;
        let slot = &mut self.slots[hash % SUFFIX_MEMO_SLOTS];
        if usize::from(slot.0) == n && &slot.1[..n] == lower {
            return slot.2;
        }
        let ok = is_mail_domain_uncached(lower);
        slot.0 = n as u8;
        slot.1[..n].copy_from_slice(lower);
        slot.2 = ok;
        ok
    }
}

/// Characters of East Asian scripts written without spaces (Han, kana, Hangul, CJK
/// punctuation): an ASCII address right against them (`联系邮箱zhangsan@163.com谢谢`) is cut
/// from them, while Latin letters with accents (`josé@exämple.de`) belong to it.
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{2E80}'..='\u{A4CF}' | '\u{AC00}'..='\u{D7AF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}' | '\u{20000}'..='\u{3FFFF}')
}

/// Do `a` then `b` go from ASCII letters or digits to an East Asian script or back? Dots and
/// dashes join either.
fn script_change(a: char, b: char) -> bool {
    let ascii_alnum = |c: char| c.is_ascii_alphanumeric();
    (ascii_alnum(a) && is_cjk(b)) || (is_cjk(a) && ascii_alnum(b))
}

/// The span of the e-mail address inside a pattern match that holds non-ASCII text, as byte
/// offsets into `raw`: the match runs over every byte ≥ 0x80 on both sides of the `@` (a byte
/// pattern cannot tell letters from punctuation), so the address is cut back to the characters
/// an address holds, and at a change between ASCII and an East Asian script. The local part is
/// cut at such a change only before an ASCII domain (`联系邮箱zhangsan@163.com`): before an
/// internationalised one (Unicode or `xn--` labels) a local part mixing Hanzi and digits is
/// one address (`陈芳63@例子.中国`). `None` if nothing is left on either side.
pub(crate) fn email_span(raw: &str) -> Option<(usize, usize)> {
    let at = raw.find('@')?;
    let domain_char = |c: char| {
        if c.is_ascii() {
            c.is_ascii_alphanumeric() || c == '-' || c == '.'
        } else {
            is_unicode_word_char(c)
        }
    };
    let mut end = at + 1;
    let mut prev: Option<char> = None;
    for (i, c) in raw[at + 1..].char_indices() {
        if !domain_char(c) || prev.is_some_and(|p| script_change(p, c)) {
            break;
        }
        end = at + 1 + i + c.len_utf8();
        prev = Some(c);
    }
    let end = at + 1 + raw[at + 1..end].trim_end_matches(['.', '-']).len();
    let domain = &raw.as_bytes()[at + 1..end];
    let international = !domain.is_ascii() || has_punycode(domain);
    let local_char = |c: char| {
        if c.is_ascii() {
            c == '.' || is_local_part(&[c as u8])
        } else {
            is_unicode_word_char(c)
        }
    };
    let mut start = at;
    let mut next: Option<char> = None;
    for (i, c) in raw[..at].char_indices().rev() {
        if !local_char(c) || (!international && next.is_some_and(|n| script_change(c, n))) {
            break;
        }
        start = i;
        next = Some(c);
    }
    (start < at && end > at + 1).then_some((start, end))
}

/// The canonical form of an e-mail address: lower-case, and an internationalised domain in its
/// Unicode form (UTS #46 `ToUnicode`), so that `用户@例子.中国` and `用户@xn--fsqu00a.xn--fiqs8s`
/// are one subject key. Unicode rather than punycode because the local part of such an
/// address is Unicode anyway and evidence stays readable. ASCII addresses without `xn--`
/// take the plain lower-casing path.
fn canonical_email(raw: &str) -> Cow<'_, str> {
    let t = raw.trim();
    let plain = t.is_ascii() && !has_punycode(t.as_bytes());
    if plain {
        return if t.bytes().any(|b| b.is_ascii_uppercase()) {
            t.to_ascii_lowercase().into()
        } else {
            t.into()
        };
    }
    match t.rsplit_once('@') {
        Some((local, domain)) => {
            let (unicode, result) = idna::domain_to_unicode(domain);
            let domain = if result.is_ok() {
                unicode
            } else {
                domain.to_lowercase()
            };
            format!("{}@{}", local.to_lowercase(), domain).into()
        }
        None => t.to_lowercase().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn names_round_trip() {
        assert_eq!(Validator::ALL.len(), Validator::NAMES.len());
        for (v, name) in Validator::ALL.iter().zip(Validator::NAMES) {
            assert_eq!(v.name(), *name);
            assert_eq!(Validator::from_name(name), Some(*v));
        }
        assert_eq!(Normaliser::ALL.len(), Normaliser::NAMES.len());
        for (n, name) in Normaliser::ALL.iter().zip(Normaliser::NAMES) {
            assert_eq!(n.name(), *name);
            assert_eq!(Normaliser::from_name(name), Some(*n));
        }
        assert_eq!(Masker::ALL.len(), Masker::NAMES.len());
        for (m, name) in Masker::ALL.iter().zip(Masker::NAMES) {
            assert_eq!(m.name(), *name);
            assert_eq!(Masker::from_name(name), Some(*m));
        }
        assert_eq!(Validator::from_name("GB11643"), None);
        assert_eq!(Normaliser::from_name("upper_alnum"), None);
        assert_eq!(Masker::from_name(""), None);
    }

    #[test]
    fn gb11643_regulation_vectors() {
        let v = Validator::Gb11643;
        assert!(v.check("360426199101010071"));
        assert!(v.check("44011320141005001X"));
        assert!(v.check("110102199101010078"));
        assert!(!v.check("36042619910102009X"));
    }

    #[test]
    fn gb11643_check_char_case_and_separators() {
        let v = Validator::Gb11643;
        assert!(v.check("44011320141005001x"));
        assert!(v.check("440113 20141005 001X"));
        assert!(v.check("440113-20141005-001x"));
        assert!(v.check("11010519491231002X"));
        // Same digits, wrong check character (2 ≠ X).
        assert!(!v.check("110105194912310029"));
        // A check X in a digit position.
        assert!(!v.check("1101051949123X002X"));
    }

    #[test]
    fn gb11643_rejects_bad_dates_regions_and_lengths() {
        let v = Validator::Gb11643;
        // Each of these has the right MOD 11-2 check character for its first 17 digits, so
        // only the named field makes it fail.
        assert_eq!(gb11643_check_char(b"11010519990230001"), b'5');
        assert!(!v.check("110105199902300015"), "30 February");
        assert_eq!(gb11643_check_char(b"11010519991301001"), b'3');
        assert!(!v.check("110105199913010013"), "month 13");
        assert_eq!(gb11643_check_char(b"11010519000229001"), b'7');
        assert!(!v.check("110105190002290017"), "1900 is not a leap year");
        assert_eq!(gb11643_check_char(b"11010520000229001"), b'3');
        assert!(v.check("110105200002290013"), "2000 is a leap year");
        assert_eq!(gb11643_check_char(b"11010517991231001"), b'6');
        assert!(!v.check("110105179912310016"), "before 1800");
        assert_eq!(gb11643_check_char(b"99010519900101001"), b'4');
        assert!(!v.check("990105199001010014"), "region 99");
        assert_eq!(gb11643_check_char(b"10010519900101001"), b'9');
        assert!(!v.check("100105199001010019"), "region 10");
        assert_eq!(gb11643_check_char(b"81000019900101001"), b'9');
        assert!(v.check("810000199001010019"), "Hong Kong residence permit");
        assert!(!v.check("11010519491231002"));
        assert!(!v.check("11010519491231002XX"));
        assert!(!v.check(""));
        assert!(
            !v.check("１１０１０５１９４９１２３１００２Ｘ"),
            "full-width digits"
        );
        assert!(!v.check("身份证11010519491231002X"));
    }

    #[test]
    fn gb11643_legacy_15_digits() {
        let v = Validator::Gb11643;
        assert!(v.check("110105491231002"));
        assert!(v.check("110105 491231 002"));
        assert!(!v.check("110105490230002"), "30 February 1949");
        assert!(!v.check("110105491331002"), "month 13");
        assert!(!v.check("990105491231002"), "region 99");
        assert!(
            !v.check("11010549123100X"),
            "no check character in the legacy form"
        );
    }

    #[test]
    fn gb11643_normaliser_upgrades_legacy_ids() {
        let n = Normaliser::Gb11643;
        // 110105 491231 002 → 110105 19491231 002 + check. Σ digit·weight:
        // 1·7 + 1·9 + 0·10 + 1·5 + 0·8 + 5·4 + 1·2 + 9·1 + 4·6 + 9·3 + 1·7 + 2·9 + 3·10
        // + 1·5 + 0·8 + 0·4 + 2·2 = 167; 167 mod 11 = 2; "10X98765432"[2] = X.
        assert_eq!(n.apply("110105491231002"), "11010519491231002X");
        assert_eq!(n.apply("110105-491231-002"), "11010519491231002X");
        // The upgraded ID and the 18-digit ID of the same person give one key.
        assert_eq!(n.apply("11010519491231002x"), "11010519491231002X");
        assert!(Validator::Gb11643.check(&n.apply("110105491231002")));
        // An invalid 15-digit number is not upgraded (no fabricated check character).
        assert_eq!(n.apply("110105491331002"), "110105491331002");
        assert_eq!(n.apply("440113 20141005 001x"), "44011320141005001X");
    }

    #[test]
    fn ids_of_15_or_18_characters_are_checked_as_if_stripped_first() {
        // What the validator and normaliser did before their shortcut for 18 and 15 characters.
        let slow_check = |raw: &str| {
            let id = strip_separators(raw);
            match id.len() {
                18 => is_full_id(id.as_bytes()),
                15 => is_legacy_id(id.as_bytes()),
                _ => false,
            }
        };
        let alphabet = b"0123456789 -xX";
        let mut rng = crate::TestRng(0x2545_f491_4f6c_dd1du64);
        let mut next = || rng.next();
        let valid = [
            "11010519491231002X",
            "110105491231002",
            "44011320141005001X",
        ];
        for _ in 0..50_000 {
            let base = valid[(next() % 3) as usize].as_bytes().to_vec();
            let mut b = base.clone();
            // Change up to two characters, to anything of the alphabet.
            for _ in 0..next() % 3 {
                let at = (next() % b.len() as u64) as usize;
                b[at] = alphabet[(next() % alphabet.len() as u64) as usize];
            }
            let raw = String::from_utf8(b).unwrap();
            assert_eq!(is_resident_id(&raw), slow_check(&raw), "{raw}");
            let slow_canonical = {
                let id = strip_separators(&raw);
                if is_legacy_id(id.as_bytes()) {
                    upgrade_legacy_id(id.as_bytes())
                } else {
                    id.to_ascii_uppercase()
                }
            };
            assert_eq!(Normaliser::Gb11643.apply(&raw), slow_canonical, "{raw}");
        }
    }

    #[test]
    fn birth_date_and_age() {
        assert_eq!(
            resident_id_birth_date("11010519491231002X"),
            Some(date(1949, 12, 31))
        );
        assert_eq!(
            resident_id_birth_date("44011320141005001X"),
            Some(date(2014, 10, 5))
        );
        assert_eq!(resident_id_birth_date("110105199902300015"), None);
        assert_eq!(resident_id_birth_date("110105491231002"), None);
        assert_eq!(resident_id_birth_date("11010519491231002X0"), None);
        assert_eq!(resident_id_birth_date("1101051949123100é"), None);
        assert_eq!(resident_id_birth_date("身份证号码身份"), None);
        assert_eq!(resident_id_birth_date(""), None);
    }

    #[test]
    fn age_on_the_14th_birthday() {
        let born = date(2014, 10, 5);
        assert_eq!(age_on(born, date(2028, 10, 4)), 13);
        assert_eq!(age_on(born, date(2028, 10, 5)), 14);
        assert_eq!(age_on(born, date(2028, 10, 6)), 14);
        assert_eq!(age_on(born, born), 0);
        assert_eq!(
            age_on(born, date(2000, 1, 1)),
            0,
            "reference date before birth"
        );
        assert_eq!(age_on(date(1949, 12, 31), date(2025, 1, 1)), 75);
    }

    #[test]
    fn age_on_for_29_february_births() {
        let born = date(2012, 2, 29);
        // 2026 is a common year: still 13 on 28 February, 14 from 1 March.
        assert_eq!(age_on(born, date(2026, 2, 28)), 13);
        assert_eq!(age_on(born, date(2026, 3, 1)), 14);
        // 2028 is a leap year: still 15 on 28 February, 16 on the 29th itself.
        assert_eq!(age_on(born, date(2028, 2, 28)), 15);
        assert_eq!(age_on(born, date(2028, 2, 29)), 16);
    }

    #[test]
    fn luhn_cards() {
        let v = Validator::Luhn;
        for card in [
            "6222021234567890128",     // UnionPay, 19 digits
            "6200000000000005",        // UnionPay test card
            "8171999927660000",        // UnionPay 81 range
            "4111111111111111",        // Visa
            "4222222222222",           // Visa, 13 digits
            "5555555555554444",        // Mastercard
            "2221000000000009",        // Mastercard 2-series
            "378282246310005",         // AmEx
            "3530111333300000",        // JCB
            "6011111111111117",        // Discover
            "30569309025904",          // Diners, 14 digits
            "4111 1111 1111 1111",     // separators
            "6222-0212-3456-7890-128", // 4-4-4-4-3
        ] {
            assert!(v.check(card), "{card}");
        }
    }

    #[test]
    fn luhn_rejects() {
        let v = Validator::Luhn;
        assert!(!v.check("4111111111111112"), "bad check digit");
        assert!(!v.check("6222021234567890123"), "bad check digit");
        // Pass Luhn but are not in a card range.
        assert!(luhn(b"1000000000000008"));
        assert!(!v.check("1000000000000008"), "order number");
        assert!(luhn(b"9999999999999995"));
        assert!(!v.check("9999999999999995"));
        assert!(luhn(b"71234567890123455"));
        assert!(!v.check("71234567890123455"));
        // Right range, wrong length.
        assert!(luhn(b"411111111111116"));
        assert!(!v.check("411111111111116"), "Visa has no 15-digit cards");
        assert!(luhn(b"37828224631003"));
        assert!(!v.check("37828224631003"), "AmEx is 15 digits");
        assert!(!v.check("42222222222"), "too short");
        assert!(!v.check("62220212345678901211"), "20 digits");
        assert!(!v.check("4111x111111111111"));
        assert!(!v.check(""));
    }

    #[test]
    fn mobile_blocks() {
        let v = Validator::CnMobile;
        for ok in [
            "13812345678",
            "14512345678",
            "15012345678",
            "16212345678",
            "16512345678",
            "17012345678",
            "17812345678",
            "18912345678",
            "19212345678",
            "19312345678",
            "19912345678",
        ] {
            assert!(v.check(ok), "{ok}");
        }
        for bad in [
            "14012345678", // IoT
            "14412345678",
            "15412345678",
            "16012345678",
            "16312345678",
            "17912345678",
            "19412345678",
            "12012345678",
            "11012345678",
            "23812345678",
        ] {
            assert!(!v.check(bad), "{bad}");
        }
    }

    #[test]
    fn mobile_separators_and_country_code() {
        let v = Validator::CnMobile;
        for ok in [
            "138 1234 5678",
            "138-1234-5678",
            "+8613812345678",
            "+86 13812345678",
            "+86-138-1234-5678",
            "0086 138 1234 5678",
            "008613812345678",
        ] {
            assert!(v.check(ok), "{ok}");
        }
        for bad in [
            "138 12345678",
            "1381234 5678",
            "138 1234-5678",
            "1381 234 5678",
            "138  1234 5678",
            "8613812345678",
            "+86  13812345678",
            "+85 13812345678",
            "1381234567",
            "138123456789",
            "+86",
            "",
        ] {
            assert!(!v.check(bad), "{bad}");
        }
        let n = Normaliser::CnMobile;
        assert_eq!(n.apply("+86 138-1234-5678"), "13812345678");
        assert_eq!(n.apply("0086 138 1234 5678"), "13812345678");
        assert_eq!(n.apply("13812345678"), "13812345678");
    }

    #[test]
    fn emails() {
        let v = Validator::Email;
        for ok in [
            "zhang.san@example.com",
            "a@b.co",
            "Li_Si+tag@mail.example.com.cn",
            "wang-wu@xn--fiqs8s.cn",
            "o'brien@example.ie",
            "a!#$%&'*+/=?^_`{|}~-z@x.io",
            &("y".repeat(64) + "@example.com"),
            "张三@example.com",
            "用户@例子.中国",
            "josé@exämple.de",
            "a@xn--fsqu00a.xn--fiqs8s",
        ] {
            assert!(v.check(ok), "{ok}");
        }
        let long_local = "x".repeat(65) + "@example.com";
        let long_label = format!("a@{}.com", "d".repeat(64));
        for bad in [
            "example@localhost",
            "user@localhost",
            ".zhang@example.com",
            "zhang.@example.com",
            "zhang..san@example.com",
            "@example.com",
            "zhang@",
            "zhang@example.c",
            "zhang@example.c0m",
            "zhang@-example.com",
            "zhang@example-.com",
            "zhang@ex..ample.com",
            "zhang@example.com.",
            "zhang@@example.com",
            "zhang@exa_mple.com",
            "zhang san@example.com",
            "icon@2x.png",
            "a@b.internal",
            "pi@printer.home.arpa",
            "x@1.2.3.4",
            long_local.as_str(),
            long_label.as_str(),
        ] {
            assert!(!v.check(bad), "{bad}");
        }
        assert_eq!(
            Normaliser::Lowercase.apply(" Zhang.San@Example.COM "),
            "zhang.san@example.com"
        );
    }

    #[test]
    fn email_span_keeps_hanzi_and_digits_before_an_international_domain() {
        fn span(s: &str) -> Option<&str> {
            email_span(s).map(|(a, b)| &s[a..b])
        }
        // Before a Unicode or punycode domain, a local part mixing Hanzi and digits is whole.
        assert_eq!(span("陈芳63@例子.中国"), Some("陈芳63@例子.中国"));
        assert_eq!(span("陈芳63@xn--fsqu00a.cn"), Some("陈芳63@xn--fsqu00a.cn"));
        assert_eq!(span("邮箱：陈芳@例子.中国"), Some("陈芳@例子.中国"));
        // Before an ASCII domain, Hanzi against an ASCII local part are text around it.
        assert_eq!(span("联系邮箱zhangsan@163.com"), Some("zhangsan@163.com"));
        assert_eq!(span("zhang@example.com谢谢"), Some("zhang@example.com"));
    }

    #[test]
    fn simple_normalisers() {
        assert_eq!(
            Normaliser::Digits.apply("6222 0212-3456 7890"),
            "6222021234567890"
        );
        assert_eq!(Normaliser::UpperAlnum.apply("e-1234 5678"), "E12345678");
        assert_eq!(Normaliser::UpperAlnum.apply("护照E12345678"), "E12345678");
        assert_eq!(Normaliser::Lowercase.apply("ÄB@x.de"), "äb@x.de");
    }

    #[test]
    fn maskers() {
        assert_eq!(Masker::Id.mask("11010519491231002X"), "110105********002X");
        assert_eq!(Masker::Mobile.mask("13812345678"), "138****5678");
        assert_eq!(Masker::Email.mask("zhang@example.com"), "z***@example.com");
        assert_eq!(Masker::Card.mask("6222021234561234"), "622202******1234");
        assert_eq!(Masker::Card.mask("4222222222222"), "422222***2222");
        assert_eq!(Masker::Document.mask("E12345678"), "E******78");
    }

    #[test]
    fn maskers_star_short_input_entirely() {
        assert_eq!(Masker::Id.mask("1101051234"), "**********");
        assert_eq!(Masker::Id.mask("1101051234567"), "*************");
        assert_eq!(Masker::Id.mask("11010512345678"), "110105****5678");
        assert_eq!(Masker::Mobile.mask("1381234567"), "**********");
        assert_eq!(Masker::Card.mask("622202123456"), "************");
        assert_eq!(Masker::Document.mask("E1234"), "*****");
        assert_eq!(Masker::Document.mask("E12345"), "E***45");
        assert_eq!(Masker::Email.mask("a@example.com"), "***@example.com");
        assert_eq!(Masker::Email.mask("no-at-sign"), "**********");
        assert_eq!(Masker::Email.mask("@example.com"), "************");
        assert_eq!(Masker::Email.mask("zhang@"), "******");
        for m in Masker::ALL {
            assert_eq!(m.mask(""), "");
        }
    }

    #[test]
    fn maskers_work_on_chars() {
        assert_eq!(Masker::Document.mask("护照号码甲乙丙"), "护****乙丙");
        assert_eq!(Masker::Email.mask("张三@例子.中国"), "张***@例子.中国");
        assert_eq!(Masker::Id.mask("身份证"), "***");
        assert_eq!(
            Masker::Mobile.mask("１３８１２３４５６７８"),
            "１３８****５６７８"
        );
        // Too short to mask: starred one for one, so the output never holds an input char.
        for m in [Masker::Id, Masker::Mobile, Masker::Card, Masker::Document] {
            for s in ["é", "👩‍👩‍👧", "a\u{301}bc", "\u{0}", "@@"] {
                assert_eq!(m.mask(s), "*".repeat(s.chars().count()));
            }
        }
    }

    #[test]
    fn nothing_panics_on_odd_input() {
        let odd = [
            "",
            " ",
            "-",
            "+86",
            "0086",
            "x",
            "X",
            "é",
            "身份证号",
            "１２３",
            "\u{0}",
            "@",
            ".",
            "@.",
            "a@.",
            "+86 ",
            "0086-",
            "138 1234 567é",
            "é1381234567",
            "1101051949123100é",
            "11010519491231002é",
            "11010549123100é",
        ];
        let usual = [
            "139-0000-0000",
            "+86 139 1234 5678",
            "13912345678",
            " 13912345678",
            "13912345678\u{3000}",
            "\u{0B}13912345678",
            "\u{85}+8613912345678 ",
            "11010519491231002x",
            "11010519491231002X",
            "110105194912310020",
            "990105194912310027",
            "110105194913310021",
            "11010519491231002:",
        ];
        for s in odd.iter().chain(&usual) {
            for v in Validator::ALL {
                let _ = v.check(s);
            }
            for n in Normaliser::ALL {
                assert_eq!(n.normalise(s), n.apply(s), "{n:?} of {s:?}");
                for v in Validator::ALL.iter().copied().map(Some).chain([None]) {
                    let want = v.is_none_or(|v| v.check(s)).then(|| n.normalise(s));
                    assert_eq!(n.validated(v, s), want, "{v:?}, {n:?} of {s:?}");
                }
            }
            for m in Masker::ALL {
                let _ = m.mask(s);
            }
            let _ = resident_id_birth_date(s);
        }
    }

    #[test]
    fn the_card_range_table_parses() {
        let lines: Vec<&str> = CARD_IIN_TXT
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .collect();
        for l in &lines {
            assert!(parse_card_range(l).is_some(), "{l}");
        }
        assert_eq!(card_ranges().len(), lines.len());
        assert_eq!(parse_card_range("62 62 16-19"), None, "no scheme name");
        assert_eq!(
            parse_card_range("62 622 16 X"),
            None,
            "prefixes of two lengths"
        );
        assert_eq!(parse_card_range("62 62 9-19 X"), None, "too short a length");
        assert_eq!(parse_card_range("62 62 19-16 X"), None);
    }

    #[test]
    fn the_region_table_holds_real_codes_only() {
        let codes = REGIONS_TXT
            .lines()
            .filter(|l| !l.starts_with('#'))
            .inspect(|l| assert!(l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()), "{l}"))
            .count();
        assert!(codes > 6000, "{codes}");
        for real in [
            "110105", "440113", "360426", "620102", "330106", "440524", "810000", "830000",
        ] {
            assert!(is_region_code(real.as_bytes()), "{real}");
        }
        // 110199 and 440199 were never allocated; 990105 and 000000 are no province.
        for fake in ["110199", "440199", "990105", "000000", "12345x"] {
            assert!(!is_region_code(fake.as_bytes()), "{fake}");
        }
        // Abolished codes still count: 110103 (崇文区, merged in 2010).
        assert!(is_region_code(b"110103"));
    }
}
