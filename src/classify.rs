//! Field classification: which detectors a column of a table *is*, not just where they matched.
//!
//! For tabular sources the unit of classification is the field (DESIGN.md, "Structured data").
//! Readers fill a [`FieldStats`] per field as they hand values to the detectors; once a source
//! is read, [`classify`] calls a field a detector's column when
//!
//! * the share of its non-empty values that validate reaches [`ClassifyConfig::threshold`] and
//!   the detector's distinct values in it reach [`ClassifyConfig::min_distinct`] (the anchors:
//!   Azure Purview wants ≥ 60% of values and ≥ 8 distinct values, pdscan > 50%), or
//! * its header names the detector and some values validate — unless the column's type says
//!   otherwise: a column of small integers is a count, whatever its name.
//!
//! Header hints raise confidence; they never make a value that fails validation count. The
//! same pass reports a *damaged identifier column*: long numbers stored as floating point
//! (Excel shows `1.10105E+17`), whose last digits are already lost in the file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::detect::DetectorSet;

/// The thresholds of [`classify`]; configurable from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyConfig {
    /// Share (0–1) of a field's non-empty values that must validate.
    pub threshold: f64,
    /// Distinct validated values a field needs to be classified by its values alone.
    pub min_distinct: u64,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        ClassifyConfig {
            threshold: 0.6,
            min_distinct: 8,
        }
    }
}

/// What a reader saw in one field of a table. Serializable for the state of incremental
/// rescans ([`crate::state`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldStats {
    /// Non-empty values.
    pub values: u64,
    /// Values that are integers of at most 6 digits (counts, codes, flags).
    pub small_ints: u64,
    /// Numbers of 16–20 digits written in floating point (`1.10105E+17`): digits lost.
    pub damaged_numbers: u64,
    /// Detector index → values in which it found at least one match.
    pub validated: BTreeMap<usize, u64>,
    /// Detectors the header names (sorted).
    pub hinted: Vec<usize>,
    /// Values of exactly 18 digits, and of those, values ending in `000`: a column where most
    /// do is an ID column Excel cut to 15 significant digits (see [`Verdict::DamagedIds`]).
    pub digits18: u64,
    pub zero_tail18: u64,
    /// Detectors whose findings in this field were not counted, and why (see [`Verdict`]).
    pub verdicts: Vec<(usize, Verdict)>,
}

/// Why a detector's findings in a column are not counted: the column as a whole shows its
/// values are something else. Decided from the first records of a table (see
/// `read::records`), where a value alone cannot tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Mobile-shaped numbers that run in sequence or sit in a narrow range: member, order or
    /// student numbering, not a population of phones.
    Numbering,
    /// A fifth of the column's long numbers are visibly damaged by Excel (zeroed tails,
    /// scientific notation): its IDs ending in `000` are damaged too, even those that still
    /// pass the check digit.
    DamagedIds,
}

impl FieldStats {
    pub fn merge(&mut self, other: &FieldStats) {
        self.values += other.values;
        self.small_ints += other.small_ints;
        self.damaged_numbers += other.damaged_numbers;
        for (d, n) in &other.validated {
            *self.validated.entry(*d).or_default() += n;
        }
        for d in &other.hinted {
            if !self.hinted.contains(d) {
                self.hinted.push(*d);
            }
        }
        self.hinted.sort_unstable();
        self.digits18 += other.digits18;
        self.zero_tail18 += other.zero_tail18;
        for v in &other.verdicts {
            if !self.verdicts.contains(v) {
                self.verdicts.push(*v);
            }
        }
        self.verdicts.sort_unstable_by_key(|v| v.0);
    }

    /// Most values are small integers: the column is a count or a code, not an identifier.
    pub fn is_count_like(&self) -> bool {
        self.values > 0 && self.small_ints * 2 > self.values
    }
}

/// The detectors (indices) `field` is classified as. `distinct(d)` is the estimated number of
/// distinct values of detector `d` found in the field.
pub fn classify(
    stats: &FieldStats,
    cfg: &ClassifyConfig,
    distinct: impl Fn(usize) -> u64,
) -> Vec<usize> {
    if stats.values == 0 {
        return Vec::new();
    }
    stats
        .validated
        .iter()
        .filter(|&(&d, &v)| {
            let share = v as f64 / stats.values as f64;
            let by_values = share >= cfg.threshold && distinct(d) >= cfg.min_distinct;
            let by_header = v > 0 && stats.hinted.contains(&d) && !stats.is_count_like();
            by_values || by_header
        })
        .map(|(&d, _)| d)
        .collect()
}

/// Warnings about a field: a damaged identifier column, values not counted by a verdict.
pub fn warnings(set: &DetectorSet, stats: &FieldStats) -> Vec<String> {
    let mut out = Vec::new();
    for (d, v) in &stats.verdicts {
        let id = &set.get(*d).id;
        out.push(match v {
            Verdict::Numbering => format!(
                "{id} not counted: the column's mobile-shaped numbers run in sequence or sit in a \
                 narrow range, as member, order or student numbers do; a population of phone \
                 numbers does not"
            ),
            Verdict::DamagedIds => format!(
                "{id} not counted: damaged identifier column: {} of {} 18-digit values end in 000 \
                 and {} are in scientific notation, as ID numbers Excel stored as numbers are (15 \
                 significant digits kept); values ending in 000 there are not counted (their \
                 last digits are lost in the file, even where the check digit still passes). \
                 Store the column as text",
                stats.zero_tail18, stats.digits18, stats.damaged_numbers
            ),
        });
    }
    if stats.damaged_numbers > 0 {
        let named: Vec<&str> = stats
            .hinted
            .iter()
            .map(|&d| set.get(d))
            .filter(|d| d.identifier)
            .map(|d| d.id.as_str())
            .collect();
        let what = if named.is_empty() {
            String::from("an ID-number or card-number column")
        } else {
            format!("its header names {}", named.join(", "))
        };
        out.push(format!(
            "damaged identifier column: {} of {} values are 16–20-digit numbers stored in floating \
             point (shown like 1.10105E+17), so their last digits are already lost in the file \
             ({what}); store the column as text",
            stats.damaged_numbers, stats.values
        ));
    }
    out
}

/// Does `value` look like a long number written in floating point, with digits lost?
/// `1.10105E+17`, `1.1010519491231E17`, `6.22202E+18`: a mantissa and an exponent of 15–19.
pub fn is_damaged_number(value: &[u8]) -> bool {
    let v = value.trim_ascii();
    // `1.1010519491231E17` is the longest form: anything longer, or not opening with a digit,
    // is not one (most values are rejected here without a scan).
    if v.len() > 24 || !v.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    // The mantissa is one digit, alone or before a point: an ID or a phone number (a digit
    // second) is rejected without a scan for the exponent.
    if !v.get(1).is_some_and(|b| matches!(b, b'.' | b'E' | b'e')) {
        return false;
    }
    let Some(e) = v.iter().position(|&b| b == b'E' || b == b'e') else {
        return false;
    };
    let (mant, exp) = (&v[..e], &v[e + 1..]);
    let exp = exp.strip_prefix(b"+").unwrap_or(exp);
    let exp_ok = exp.len() == 2 && exp[0] == b'1' && (b'5'..=b'9').contains(&exp[1]);
    let mant_ok = match mant {
        [d] => (b'1'..=b'9').contains(d),
        [d, b'.', rest @ ..] => {
            (b'1'..=b'9').contains(d) && !rest.is_empty() && rest.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    exp_ok && mant_ok
}

/// An integer of 1–6 digits, optionally signed.
pub fn is_small_int(value: &[u8]) -> bool {
    let v = value.trim_ascii();
    let v = v.strip_prefix(b"-").unwrap_or(v);
    (1..=6).contains(&v.len()) && v.iter().all(u8::is_ascii_digit)
}

/// A header that names a count, a flag or an amount (`email_count`, `手机号数量`): the
/// detectors it mentions describe what is counted, not what the column holds.
pub fn is_count_header(header: &str) -> bool {
    let h = header.to_lowercase();
    const WORDS: &[&str] = &[
        "count", "cnt", "total", "amount", "flag", "数量", "次数", "个数", "总数", "条数", "是否",
    ];
    WORDS.iter().any(|w| h.contains(w)) || h.starts_with("is_") || h.starts_with("has_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(values: u64, validated: &[(usize, u64)], hinted: &[usize]) -> FieldStats {
        FieldStats {
            values,
            validated: validated.iter().copied().collect(),
            hinted: hinted.to_vec(),
            ..FieldStats::default()
        }
    }

    #[test]
    fn values_alone_need_the_share_and_enough_distinct_values() {
        let cfg = ClassifyConfig::default();
        assert_eq!(classify(&stats(10, &[(0, 6)], &[]), &cfg, |_| 8), vec![0]);
        assert!(classify(&stats(10, &[(0, 5)], &[]), &cfg, |_| 8).is_empty());
        assert!(classify(&stats(10, &[(0, 10)], &[]), &cfg, |_| 7).is_empty());
        let lax = ClassifyConfig {
            threshold: 0.5,
            min_distinct: 1,
        };
        assert_eq!(classify(&stats(10, &[(0, 5)], &[]), &lax, |_| 1), vec![0]);
    }

    #[test]
    fn a_naming_header_needs_some_valid_values_and_no_count_type() {
        let cfg = ClassifyConfig::default();
        assert_eq!(classify(&stats(100, &[(2, 1)], &[2]), &cfg, |_| 1), vec![2]);
        assert!(classify(&stats(100, &[], &[2]), &cfg, |_| 0).is_empty());
        let mut counts = stats(100, &[(2, 1)], &[2]);
        counts.small_ints = 99;
        assert!(classify(&counts, &cfg, |_| 1).is_empty());
    }

    #[test]
    fn damaged_numbers_and_small_ints() {
        for ok in ["1.10105E+17", "1.1010519491231E17", "6.22202e+18", "4E+15"] {
            assert!(is_damaged_number(ok.as_bytes()), "{ok}");
        }
        for no in [
            "1.5E+3",
            "110105194912310000",
            "E+17",
            "1.E+17",
            "12.3E+17",
            "1.1E+20",
        ] {
            assert!(!is_damaged_number(no.as_bytes()), "{no}");
        }
        assert!(is_small_int(b" 42 ") && is_small_int(b"-7") && !is_small_int(b"1234567"));
        assert!(is_count_header("email_count") && is_count_header("手机号数量"));
        assert!(!is_count_header("email") && !is_count_header("phone_num"));
    }
}
