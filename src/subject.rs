//! A record's findings → at most one subject key, plus its sensitive and minor flags.
//!
//! The legal thresholds count *people*, not rows, so each record (a line, a row, a JSON object)
//! is reduced to one key: its highest-priority identifier, normalised and prefixed with the
//! detector id (`cn-resident-id:11010519491231002X`). A record with PI but no identifier is an
//! *unidentified record*: counted, but not as a subject. See DESIGN.md, "The subject model".

use chrono::NaiveDate;

use crate::detect::validators::{age_on, resident_id_birth_date};
use crate::detect::{DetectorSet, Finding, Standard};

/// Age below which all of a person's PI is sensitive (PIPL Art. 28, 31).
pub const MINOR_AGE: u32 = 14;

/// What one record contributes to the subject counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject<'a> {
    /// The highest-priority identifier, if any, as (detector id, normalised value): the subject
    /// key is `detector-id:normalised-value` (see [`Subject::key_string`]), hashed in parts so
    /// that no string is built per record.
    pub key: Option<(&'a str, &'a str)>,
    /// Which of the findings given to [`classify`] (by position) the key comes from: its
    /// field hash is the key's hash, so callers that hashed it already need not again.
    pub key_finding: Option<usize>,
    /// Sensitive under each [`Standard`], indexed by [`Standard::index`].
    pub sensitive: [bool; 2],
    /// The record holds some PI that is *not* sensitive under each [`Standard`] (a name, a mobile
    /// number beside a bank card): what the Provisions' "PI (excluding sensitive PI)"
    /// thresholds count. False for a record whose only PI is sensitive, and for a minor's.
    pub non_sensitive: [bool; 2],
    /// A resident ID in the record shows a person under 14 on the reference date.
    pub minor: bool,
    /// Some finding is a person's data on its own (not only an organisation's identifier, nor
    /// only values that are PI beside a person, such as an IMEI or a diagnosis): a record
    /// without a key is an unidentified record with PI only then.
    pub personal: bool,
    /// Under each [`Standard`] (by [`Standard::index`]), the sensitive categories of the
    /// record's findings as bits (see [`DetectorSet::sensitive_category_bit`]).
    pub categories: [u64; 2],
}

/// Classifies one record. `findings` is every finding of the record, in any order.
pub fn classify<'a>(
    set: &'a DetectorSet,
    findings: impl IntoIterator<Item = &'a Finding>,
    reference: NaiveDate,
) -> Subject<'a> {
    let mut best: Option<(usize, &Finding)> = None;
    let mut sensitive = [false; 2];
    let mut non_sensitive = [false; 2];
    let mut minor = false;
    let mut personal = false;
    let mut categories = [0u64; 2];
    for (i, f) in findings.into_iter().enumerate() {
        let d = set.get(f.detector);
        personal |= d.personal && !d.needs_person;
        let bit = set.sensitive_category_bit(f.detector);
        for st in Standard::ALL {
            let under = d.sensitive.under(st);
            sensitive[st.index()] |= under;
            // An organisation's identifier (a credit code) is no person's PI at all.
            non_sensitive[st.index()] |= !under && d.personal;
            if let (true, Some(b)) = (under, bit) {
                categories[st.index()] |= 1 << b;
            }
        }
        if d.normaliser == crate::detect::validators::Normaliser::Gb11643
            && !born_long_before(&f.normalised, reference)
            && let Some(birth) = resident_id_birth_date(&f.normalised)
            && birth <= reference
            && age_on(birth, reference) < MINOR_AGE
        {
            minor = true;
        }
        if d.identifier {
            // Detectors are sorted by descending priority, so a lower index wins; among equal
            // detectors the smallest normalised value, so the choice does not depend on order.
            let better = match best {
                None => true,
                Some((_, b)) => (f.detector, &f.normalised) < (b.detector, &b.normalised),
            };
            if better {
                best = Some((i, f));
            }
        }
    }
    if minor {
        // All personal information of a minor under 14 is sensitive under both standards.
        sensitive = [true; 2];
        non_sensitive = [false; 2];
    }
    Subject {
        key: best.map(|(_, f)| (set.get(f.detector).id.as_str(), &*f.normalised)),
        key_finding: best.map(|(i, _)| i),
        sensitive,
        non_sensitive,
        minor,
        personal,
        categories,
    }
}

/// Whether a resident ID's birth year is more than `MINOR_AGE + 1` years before `reference`'s:
/// its holder is no minor, which most IDs settle without building a date.
fn born_long_before(id: &str, reference: NaiveDate) -> bool {
    use chrono::Datelike;
    let year = id.as_bytes().get(6..10).and_then(|y| {
        y.iter().try_fold(0i32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i32::from(d - b'0'))
        })
    });
    year.is_some_and(|y| y + MINOR_AGE as i32 + 1 < reference.year())
}

impl Subject<'_> {
    /// The subject key as one string, `detector-id:normalised-value`.
    pub fn key_string(&self) -> Option<String> {
        self.key.map(|(id, value)| format!("{id}:{value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn highest_priority_identifier_is_the_key() {
        let set = DetectorSet::load(None).unwrap();
        let text = "张三 13812345678 zhang@example.com 11010519491231002X";
        let f = set.find_all(text);
        assert_eq!(f.len(), 3, "{f:?}");
        let s = classify(&set, &f, date("2026-11-25"));
        assert_eq!(
            s.key_string().as_deref(),
            Some("cn-resident-id:11010519491231002X")
        );
        // A bare ID number is sensitive under GB/T 35273-2020 only.
        assert_eq!(
            s.sensitive,
            [false, true],
            "index 0 = gbt45574-2025, 1 = gbt35273-2020"
        );
        assert!(!s.minor);
    }

    #[test]
    fn mobile_beats_email_and_no_identifier_means_no_key() {
        let set = DetectorSet::load(None).unwrap();
        let f = set.find_all("a@example.com, +86 138-1234-5678");
        let s = classify(&set, &f, date("2026-11-25"));
        assert_eq!(s.key_string().as_deref(), Some("cn-mobile:13812345678"));
        assert_eq!(s.sensitive, [false, false]);
        let s = classify(&set, &[] as &[Finding], date("2026-11-25"));
        assert_eq!(s.key, None);
    }

    #[test]
    fn business_data_and_device_ids_alone_are_no_personal_record() {
        let set = DetectorSet::load(None).unwrap();
        let day = date("2026-11-25");
        let f = set.find_all("统一社会信用代码 91110000600037341L");
        assert_eq!(f.len(), 1);
        let s = classify(&set, &f, day);
        assert!(!s.personal && s.key.is_none());
        let f = set.find_all("IMEI 356938035643809");
        assert_eq!(f.len(), 1);
        assert!(!classify(&set, &f, day).personal);
        let f = set.find_all("IMEI 356938035643809 a@example.com");
        assert_eq!(f.len(), 2);
        let s = classify(&set, &f, day);
        assert!(s.personal && s.key.is_some());
    }

    #[test]
    fn minors_are_sensitive_under_both_standards() {
        let set = DetectorSet::load(None).unwrap();
        // Born 2014-10-05; 44011320141005001X is a valid ID from REGULATION.md.
        let f = set.find_all("44011320141005001X");
        assert_eq!(f.len(), 1);
        let day_before_14 = classify(&set, &f, date("2028-10-04"));
        assert!(day_before_14.minor);
        assert_eq!(day_before_14.sensitive, [true, true]);
        let birthday_14 = classify(&set, &f, date("2028-10-05"));
        assert!(!birthday_14.minor);
        // Around the year shortcut (`born_long_before`): every day of the years in which the
        // holder turns 13 to 16, against the date arithmetic alone.
        let birth = date("2014-10-05");
        let mut day = date("2027-01-01");
        while day < date("2031-01-01") {
            let want = age_on(birth, day) < MINOR_AGE;
            assert_eq!(classify(&set, &f, day).minor, want, "{day}");
            day = day.succ_opt().unwrap();
        }
    }
}
