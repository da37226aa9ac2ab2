//! How much the evidence supports a finding: the answer to "why was this flagged, and how
//! sure is it?", counted per field and detector in the inventory and used by
//! `scan --min-confidence` and `pipl-scan explain`.
//!
//! The rule, from the evidence a finding has:
//!
//! * **high** — an 18-character resident ID (region, birth date and check character all agree:
//!   one random 18-digit number in a few thousand passes), or a checksum (GB 11643, Luhn) with
//!   a context keyword within the detector's window or a header that names the detector;
//! * **medium** — a checksum alone, or a keyword or naming header alone;
//! * **low** — only the pattern and a format check (a mobile block, an e-mail's public
//!   suffix) matched.
//!
//! In text the keywords are looked for on the finding's line; in tables the header stands for
//! them (a keyword inside another cell is not looked for), and a detector whose every pattern
//! needs context (passports, permits) was found only with one.

use serde::{Deserialize, Serialize};

use crate::detect::validators::Validator;
use crate::detect::{Detector, Finding};

/// How much the evidence supports a finding (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub const ALL: [Confidence; 3] = [Confidence::Low, Confidence::Medium, Confidence::High];

    pub fn name(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// The rule: `full_id` an 18-character resident ID, `checksum` a check-digit validator
    /// passed on the full form, `context` a keyword or naming header.
    pub fn of(full_id: bool, checksum: bool, context: bool) -> Confidence {
        if full_id || (checksum && context) {
            Confidence::High
        } else if checksum || context {
            Confidence::Medium
        } else {
            Confidence::Low
        }
    }

    /// An 18-character resident ID: high whatever else is known.
    pub fn is_full_id(d: &Detector, f: &Finding) -> bool {
        d.validator == Some(Validator::Gb11643) && f.end - f.start >= 18
    }

    /// The confidence of a detector's findings that are not a full resident ID, `context`
    /// saying whether a keyword or naming header supports them (a detector whose every
    /// pattern needs context was only found with one).
    pub fn base(d: &Detector, context: bool) -> Confidence {
        let needs_context = !d.patterns.is_empty() && d.patterns.iter().all(|p| p.requires_context);
        Confidence::of(
            false,
            d.validator == Some(Validator::Luhn),
            needs_context || context,
        )
    }

    /// A finding's confidence, `context` saying whether a keyword or header supports it; the
    /// keyword search is skipped when the answer is high without it.
    pub fn of_finding(d: &Detector, f: &Finding, context: impl FnOnce() -> bool) -> Confidence {
        if Confidence::is_full_id(d, f) {
            return Confidence::High;
        }
        Confidence::base(d, context())
    }
}

/// Matches of one field and detector per confidence, as the inventory reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByConfidence {
    pub low: u64,
    pub medium: u64,
    pub high: u64,
}

impl ByConfidence {
    pub fn from_counts(c: &[u64; 3]) -> ByConfidence {
        ByConfidence {
            low: c[0],
            medium: c[1],
            high: c[2],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_as_documented() {
        use Confidence::*;
        assert_eq!(Confidence::of(true, true, false), High);
        assert_eq!(Confidence::of(false, true, true), High);
        assert_eq!(Confidence::of(false, true, false), Medium);
        assert_eq!(Confidence::of(false, false, true), Medium);
        assert_eq!(Confidence::of(false, false, false), Low);
        assert!(Low < Medium && Medium < High);
    }

    #[test]
    fn findings_get_their_confidence_from_their_detector_and_context() {
        let set = crate::detect::DetectorSet::load(None).unwrap();
        let one = |text: &str| {
            let f = set.find_all(text);
            assert_eq!(f.len(), 1, "{text}: {f:?}");
            f.into_iter().next().unwrap()
        };
        let id = one("11010519491231002X");
        let d = set.get(id.detector);
        assert_eq!(Confidence::of_finding(d, &id, || false), Confidence::High);
        let m = one("13812345678");
        let d = set.get(m.detector);
        assert_eq!(Confidence::of_finding(d, &m, || false), Confidence::Low);
        assert_eq!(Confidence::of_finding(d, &m, || true), Confidence::Medium);
        // A passport is found only with a keyword: never low.
        let p = one("护照 E12345678");
        let d = set.get(p.detector);
        assert_eq!(Confidence::of_finding(d, &p, || false), Confidence::Medium);
    }
}
