//! The approval calendar: validity of a mechanism, the extension deadline counted in Chinese
//! working days, and the pending-transfer guard over ledger entries.
//!
//! # Working days
//!
//! A working day (工作日) is a day that is neither a weekend nor a public holiday. Weekends and the
//! fixed-date statutory holidays (1 January; 1–2 May; 1–3 October) are built in. The lunar
//! holidays (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) and the make-up working weekends
//! (调休) are set each year by a State Council notice and cannot be computed: list them under
//! `[calendar]` in the profile. Without them the deadline counted backwards from expiry is *later*
//! than the true one by the number of lunar holidays in the window (at most ~4 days, the Spring
//! Festival), so the report says "about" and recommends starting six months ahead anyway.

use chrono::{Datelike, Months, NaiveDate, Weekday};
use serde::Serialize;

use super::profile::{CalendarConfig, MechanismKind, MechanismStatus, Status};
use super::rules::{Mechanism, Regime};

/// Working days before expiry that frame an extension: under the 2022 Measures (Art. 14) the
/// last day to re-apply is this many working days before expiry; under the 2024 Provisions
/// (Art. 9) the processor applies *within* these working days before expiry, so they are the
/// window in which to apply and the last day is the last day of validity.
pub const EXTENSION_WORKING_DAYS: u32 = 60;

/// Months before expiry at which pipl-scan recommends starting the extension: the self-assessment
/// must be at most 3 months old when filed and reviews take months.
pub const RECOMMENDED_LEAD_MONTHS: u32 = 6;

/// Working days after a standard contract takes effect within which it must be filed (SCC
/// Measures Art. 7).
pub const SCC_FILING_WORKING_DAYS: u32 = 10;

/// Validity of a PI protection certificate (Certification Measures, 2025).
pub const CERTIFICATE_YEARS: u32 = 3;

pub struct WorkCalendar<'a> {
    cfg: &'a CalendarConfig,
}

impl<'a> WorkCalendar<'a> {
    pub fn new(cfg: &'a CalendarConfig) -> Self {
        Self { cfg }
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.cfg.working_weekends.contains(&d) {
            return true;
        }
        let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        let fixed = matches!((d.month(), d.day()), (1, 1) | (5, 1) | (5, 2) | (10, 1..=3));
        !(weekend || fixed || self.cfg.holidays.contains(&d))
    }

    /// The day `n` working days before `d` (`d` itself not counted).
    pub fn working_days_before(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut day = d;
        let mut left = n;
        while left > 0 {
            day = day.pred_opt().unwrap_or(day);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// The day `n` working days after `d` (`d` itself not counted).
    pub fn working_days_after(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut day = d;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().unwrap_or(day);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }
}

/// Where a flow's mechanism stands on the assessment date.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub flow: String,
    pub kind: Option<MechanismKind>,
    pub status: Status,
    pub applied_on: Option<NaiveDate>,
    pub approved_on: Option<NaiveDate>,
    /// Last day of validity (none for a standard contract, which does not expire by itself).
    pub valid_through: Option<NaiveDate>,
    /// 2024 Provisions: first day of the window in which to apply for the extension (60 working
    /// days before expiry, Art. 9). None under the 2022 Measures.
    pub extension_opens: Option<NaiveDate>,
    /// Last day to apply for the extension: 60 working days before expiry under the 2022
    /// Measures (Art. 14); the last day of validity under the 2024 Provisions (Art. 9).
    pub extension_deadline: Option<NaiveDate>,
    /// Recommended start of the extension work: six months before expiry.
    pub recommended_start: Option<NaiveDate>,
    /// For a standard contract that took effect: last day to file it, 10 working days after its
    /// effective date (SCC Measures Art. 7).
    pub filing_deadline: Option<NaiveDate>,
    /// For a standard contract: the day it was filed, if it was.
    pub filed_on: Option<NaiveDate>,
    pub state: ApprovalState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalState {
    /// Nothing is needed for this flow (exempt, or nothing sent).
    NotNeeded,
    NotStarted,
    /// Applied, no decision: data must not be sent on its strength.
    Pending,
    Refused,
    Valid,
    /// Valid, but the recommended start of the extension has passed.
    ExtensionDue,
    /// 2024 Provisions: valid, and within the 60 working days before expiry in which to apply
    /// for the extension (Art. 9).
    ExtensionOpen,
    /// 2022 Measures: valid, but the last day to apply for an extension has passed.
    ExtensionLate,
    /// A standard contract in effect, not filed yet, within its 10 working days.
    FilingDue,
    /// A standard contract in effect, not filed, past its 10-working-day filing deadline.
    FilingOverdue,
    Expired,
    /// The flow has a mechanism weaker than the one required (e.g. a standard contract where a
    /// security assessment is required).
    WrongMechanism,
}

/// First day after validity: `years` after the approval date; the last valid day is the day
/// before ("valid for 3 years from issuance").
fn add_years(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_add_months(Months::new(12 * years)).unwrap_or(d)
}

/// The end of validity of an approved mechanism, or `None` if it does not expire by itself.
pub fn valid_through(regime: Regime, m: &MechanismStatus) -> Option<NaiveDate> {
    if let Some(v) = m.valid_until {
        return Some(v);
    }
    let approved = m.approved_on?;
    let years = match m.kind? {
        MechanismKind::SecurityAssessment => regime.validity_years() as u32,
        MechanismKind::Certification => CERTIFICATE_YEARS,
        MechanismKind::StandardContract => return None,
    };
    add_years(approved, years).pred_opt()
}

/// A standard contract's effective date: `applied_on` (signed and took effect), else
/// `approved_on`.
pub fn contract_effective(m: &MechanismStatus) -> Option<NaiveDate> {
    m.applied_on.or(m.approved_on)
}

/// A standard contract's filing date: `filed_on`, else `approved_on` of an approved contract.
pub fn contract_filed(m: &MechanismStatus) -> Option<NaiveDate> {
    m.filed_on.or(if m.status == Status::Approved {
        m.approved_on
    } else {
        None
    })
}

fn satisfies(kind: MechanismKind, required: Mechanism) -> bool {
    match required {
        Mechanism::SecurityAssessment => kind == MechanismKind::SecurityAssessment,
        _ => true,
    }
}

/// The calendar of one flow's mechanism on `today`, given the mechanism the flow requires.
pub fn approval(
    regime: Regime,
    cal: &WorkCalendar,
    flow: &str,
    m: &MechanismStatus,
    required: Mechanism,
    today: NaiveDate,
) -> Approval {
    let valid_through = if m.status == Status::Approved {
        valid_through(regime, m)
    } else {
        None
    };
    let expiry = valid_through.and_then(|v| v.succ_opt());
    let sixty = expiry.map(|e| cal.working_days_before(e, EXTENSION_WORKING_DAYS));
    let (extension_opens, extension_deadline) = match regime {
        Regime::Provisions2024 => (sixty, valid_through),
        Regime::Measures2022 => (None, sixty),
    };
    let recommended_start =
        expiry.and_then(|e| e.checked_sub_months(Months::new(RECOMMENDED_LEAD_MONTHS)));
    let contract = m.kind == Some(MechanismKind::StandardContract)
        && matches!(m.status, Status::Approved | Status::Applied);
    let filing_deadline = contract_effective(m)
        .filter(|_| contract)
        .map(|d| cal.working_days_after(d, SCC_FILING_WORKING_DAYS));
    let filed_on = contract_filed(m).filter(|_| contract);
    let state = if required <= Mechanism::Exempt {
        ApprovalState::NotNeeded
    } else {
        match m.status {
            Status::NotStarted => ApprovalState::NotStarted,
            _ if m.kind.is_some_and(|k| !satisfies(k, required)) => ApprovalState::WrongMechanism,
            _ if contract => match (filed_on, filing_deadline) {
                (Some(_), _) => ApprovalState::Valid,
                (None, Some(d)) if today > d => ApprovalState::FilingOverdue,
                (None, _) => ApprovalState::FilingDue,
            },
            Status::Applied => ApprovalState::Pending,
            Status::Refused => ApprovalState::Refused,
            Status::Approved => {
                if valid_through.is_some_and(|v| today > v) {
                    ApprovalState::Expired
                } else if extension_opens.is_some_and(|d| today >= d) {
                    ApprovalState::ExtensionOpen
                } else if regime == Regime::Measures2022
                    && extension_deadline.is_some_and(|d| today > d)
                {
                    ApprovalState::ExtensionLate
                } else if recommended_start.is_some_and(|d| today >= d) {
                    ApprovalState::ExtensionDue
                } else {
                    ApprovalState::Valid
                }
            }
        }
    };
    Approval {
        flow: flow.to_string(),
        kind: m.kind,
        status: m.status,
        applied_on: m.applied_on,
        approved_on: m.approved_on,
        valid_through,
        extension_opens,
        extension_deadline,
        recommended_start,
        filing_deadline,
        filed_on,
        state,
    }
}

/// Why data sent on a date was not covered by the mechanism it needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Uncovered {
    NotStarted,
    /// Sent while the application was pending: in process is not approval.
    Pending,
    /// Sent before the approval (or the contract's effect), though the application came later.
    BeforeApproval,
    Refused,
    Expired,
    WrongMechanism,
    /// Sent under a standard contract past its 10-working-day filing deadline, before it was
    /// filed.
    Unfiled,
}

/// Whether data sent on `sent_on` was covered by `m`; `None` when it was.
pub fn coverage(
    regime: Regime,
    cal: &WorkCalendar,
    m: &MechanismStatus,
    required: Mechanism,
    sent_on: NaiveDate,
) -> Option<Uncovered> {
    if required <= Mechanism::Exempt {
        return None;
    }
    // A standard contract covers transfers from the day it takes effect (`applied_on`, the
    // signing); filing follows within 10 working days and is not an approval to wait for.
    if m.status != Status::NotStarted && m.kind.is_some_and(|k| !satisfies(k, required)) {
        return Some(Uncovered::WrongMechanism);
    }
    let contract = m.kind == Some(MechanismKind::StandardContract);
    if contract
        && matches!(m.status, Status::Applied | Status::Approved)
        && satisfies(MechanismKind::StandardContract, required)
    {
        let Some(effective) = contract_effective(m).filter(|e| sent_on >= *e) else {
            return Some(Uncovered::BeforeApproval);
        };
        let deadline = cal.working_days_after(effective, SCC_FILING_WORKING_DAYS);
        return match contract_filed(m) {
            _ if sent_on <= deadline => None,
            Some(f) if sent_on >= f => None,
            _ => Some(Uncovered::Unfiled),
        };
    }
    match m.status {
        Status::NotStarted => Some(Uncovered::NotStarted),
        Status::Applied => Some(if m.applied_on.is_some_and(|a| sent_on >= a) {
            Uncovered::Pending
        } else {
            Uncovered::NotStarted
        }),
        Status::Refused => Some(if m.refused_on.is_some_and(|r| sent_on >= r) {
            Uncovered::Refused
        } else if m.applied_on.is_some_and(|a| sent_on >= a) {
            Uncovered::Pending
        } else {
            Uncovered::NotStarted
        }),
        Status::Approved => {
            let kind = m.kind?;
            if !satisfies(kind, required) {
                return Some(Uncovered::WrongMechanism);
            }
            let approved = m.approved_on?;
            if sent_on < approved {
                return Some(if m.applied_on.is_some_and(|a| sent_on >= a) {
                    Uncovered::Pending
                } else {
                    Uncovered::BeforeApproval
                });
            }
            match valid_through(regime, m) {
                Some(v) if sent_on > v => Some(Uncovered::Expired),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn sa(
        status: Status,
        applied: Option<NaiveDate>,
        approved: Option<NaiveDate>,
    ) -> MechanismStatus {
        MechanismStatus {
            kind: Some(MechanismKind::SecurityAssessment),
            status,
            applied_on: applied,
            approved_on: approved,
            refused_on: None,
            filed_on: None,
            valid_until: None,
        }
    }

    #[test]
    fn weekends_and_fixed_holidays_are_not_working_days() {
        let cfg = CalendarConfig::default();
        let c = WorkCalendar::new(&cfg);
        assert!(c.is_working_day(d(2025, 9, 30))); // Tuesday
        assert!(!c.is_working_day(d(2025, 10, 1))); // National Day
        assert!(!c.is_working_day(d(2025, 10, 3)));
        assert!(!c.is_working_day(d(2025, 10, 4))); // Saturday
        assert!(c.is_working_day(d(2025, 10, 9))); // Thursday
        assert!(!c.is_working_day(d(2026, 1, 1)));
        assert!(!c.is_working_day(d(2026, 5, 1)) && !c.is_working_day(d(2026, 5, 2)));
        let cfg = CalendarConfig {
            holidays: vec![d(2026, 2, 17)],
            working_weekends: vec![d(2025, 9, 28)],
        };
        let c = WorkCalendar::new(&cfg);
        assert!(!c.is_working_day(d(2026, 2, 17))); // listed holiday, a Tuesday
        assert!(c.is_working_day(d(2025, 9, 28))); // listed make-up Sunday
    }

    #[test]
    fn sixty_working_days_skip_weekends_and_holidays() {
        let cfg = CalendarConfig::default();
        let c = WorkCalendar::new(&cfg);
        // 2027-09-27 is a Monday; twelve whole weeks back are 60 weekdays, no fixed holiday.
        assert_eq!(c.working_days_before(d(2027, 9, 27), 60), d(2027, 7, 5));
        // Twelve weeks before Monday 2027-03-01 include New Year's Day (a Friday): one more day.
        assert_eq!(c.working_days_before(d(2027, 3, 1), 60), d(2026, 12, 4));
        // Adding a listed holiday inside the window moves the deadline one working day earlier.
        let cfg = CalendarConfig {
            holidays: vec![d(2027, 2, 8)],
            working_weekends: vec![],
        };
        let c2 = WorkCalendar::new(&cfg);
        assert_eq!(c2.working_days_before(d(2027, 3, 1), 60), d(2026, 12, 3));
        // Friday 2025-09-26 + 10 working days, skipping 1–3 October: Wednesday 15 October.
        assert_eq!(c.working_days_after(d(2025, 9, 26), 10), d(2025, 10, 15));
    }

    #[test]
    fn validity_is_three_years_under_2024_and_two_under_2022() {
        let m = sa(Status::Approved, Some(d(2024, 1, 10)), Some(d(2024, 6, 1)));
        assert_eq!(
            valid_through(Regime::Provisions2024, &m),
            Some(d(2027, 5, 31))
        );
        assert_eq!(
            valid_through(Regime::Measures2022, &m),
            Some(d(2026, 5, 31))
        );
        let mut sc = m.clone();
        sc.kind = Some(MechanismKind::StandardContract);
        assert_eq!(valid_through(Regime::Provisions2024, &sc), None);
    }

    #[test]
    fn calendar_states_follow_the_dates() {
        let cfg = CalendarConfig::default();
        let c = WorkCalendar::new(&cfg);
        let r = Regime::Provisions2024;
        let need = Mechanism::SecurityAssessment;
        let m = sa(Status::Approved, Some(d(2024, 1, 10)), Some(d(2024, 6, 1)));
        let a = approval(r, &c, "f", &m, need, d(2026, 1, 1));
        assert_eq!(a.state, ApprovalState::Valid);
        assert_eq!(a.recommended_start, Some(d(2026, 12, 1)));
        let opens = a.extension_opens.unwrap();
        assert!(opens < d(2027, 3, 10) && opens > d(2027, 2, 20), "{opens}");
        // Under the Provisions the last day to apply is the last day of validity.
        assert_eq!(a.extension_deadline, Some(d(2027, 5, 31)));
        assert_eq!(
            approval(r, &c, "f", &m, need, d(2026, 12, 1)).state,
            ApprovalState::ExtensionDue
        );
        assert_eq!(
            approval(r, &c, "f", &m, need, opens.succ_opt().unwrap()).state,
            ApprovalState::ExtensionOpen
        );
        assert_eq!(
            approval(r, &c, "f", &m, need, d(2027, 6, 1)).state,
            ApprovalState::Expired
        );
        assert_eq!(
            approval(r, &c, "f", &m, Mechanism::Exempt, d(2027, 6, 1)).state,
            ApprovalState::NotNeeded
        );
        let pending = sa(Status::Applied, Some(d(2025, 1, 1)), None);
        assert_eq!(
            approval(r, &c, "f", &pending, need, d(2026, 1, 1)).state,
            ApprovalState::Pending
        );
    }

    #[test]
    fn the_guard_flags_data_sent_without_a_valid_approval() {
        let cfg = CalendarConfig::default();
        let c = WorkCalendar::new(&cfg);
        let r = Regime::Provisions2024;
        let need = Mechanism::SecurityAssessment;
        let pending = sa(Status::Applied, Some(d(2025, 3, 1)), None);
        assert_eq!(
            coverage(r, &c, &pending, need, d(2025, 2, 1)),
            Some(Uncovered::NotStarted)
        );
        assert_eq!(
            coverage(r, &c, &pending, need, d(2025, 4, 1)),
            Some(Uncovered::Pending)
        );
        let ok = sa(Status::Approved, Some(d(2025, 3, 1)), Some(d(2025, 9, 1)));
        assert_eq!(
            coverage(r, &c, &ok, need, d(2025, 5, 1)),
            Some(Uncovered::Pending)
        );
        assert_eq!(coverage(r, &c, &ok, need, d(2025, 9, 1)), None);
        assert_eq!(coverage(r, &c, &ok, need, d(2028, 8, 31)), None);
        assert_eq!(
            coverage(r, &c, &ok, need, d(2028, 9, 1)),
            Some(Uncovered::Expired)
        );
        assert_eq!(
            coverage(Regime::Measures2022, &c, &ok, need, d(2027, 9, 1)),
            Some(Uncovered::Expired)
        );
        let mut contract = ok.clone();
        contract.kind = Some(MechanismKind::StandardContract);
        assert_eq!(
            coverage(r, &c, &contract, need, d(2026, 1, 1)),
            Some(Uncovered::WrongMechanism)
        );
        assert_eq!(
            coverage(r, &c, &contract, Mechanism::StandardContract, d(2030, 1, 1)),
            None
        );
        let refused = MechanismStatus {
            refused_on: Some(d(2025, 6, 1)),
            status: Status::Refused,
            ..pending.clone()
        };
        assert_eq!(
            coverage(r, &c, &refused, need, d(2025, 7, 1)),
            Some(Uncovered::Refused)
        );
        assert_eq!(
            coverage(r, &c, &pending, Mechanism::Exempt, d(2025, 4, 1)),
            None
        );
    }

    /// Provisions Art. 9: apply for the extension *within* the 60 working days before expiry.
    /// A company applying on the first day of that window, or on its last (the last day of
    /// validity), is in time; under the 2022 Measures (Art. 14) the same first day is the last
    /// day to re-apply, and the day after is late.
    #[test]
    fn the_extension_window_follows_the_regime() {
        let cfg = CalendarConfig::default();
        let c = WorkCalendar::new(&cfg);
        let need = Mechanism::SecurityAssessment;
        let m = sa(Status::Approved, Some(d(2024, 1, 10)), Some(d(2024, 6, 1)));
        // Expiry 2027-06-01 (a Tuesday): 60 working days before it.
        let r = Regime::Provisions2024;
        let opens = c.working_days_before(d(2027, 6, 1), 60);
        let day_before = opens.pred_opt().unwrap();
        let state = |r, today| approval(r, &c, "f", &m, need, today).state;
        assert_eq!(state(r, day_before), ApprovalState::ExtensionDue);
        assert_eq!(state(r, opens), ApprovalState::ExtensionOpen);
        assert_eq!(
            state(r, opens.succ_opt().unwrap()),
            ApprovalState::ExtensionOpen
        );
        assert_eq!(state(r, d(2027, 5, 31)), ApprovalState::ExtensionOpen);
        assert_eq!(state(r, d(2027, 6, 1)), ApprovalState::Expired);
        // Two years under the Measures: expiry 2026-06-01.
        let r = Regime::Measures2022;
        let last = c.working_days_before(d(2026, 6, 1), 60);
        let a = approval(r, &c, "f", &m, need, last);
        assert_eq!(a.extension_deadline, Some(last));
        assert_eq!(a.extension_opens, None);
        assert_eq!(a.state, ApprovalState::ExtensionDue);
        assert_eq!(
            state(r, last.succ_opt().unwrap()),
            ApprovalState::ExtensionLate
        );
    }

    /// SCC Measures Art. 7: file within 10 working days after the contract takes effect. The
    /// deadline runs from the effective date (`applied_on`), not from the filing, and an
    /// unfiled contract past it is overdue, not valid.
    #[test]
    fn a_contract_must_be_filed_within_ten_working_days_of_taking_effect() {
        let cfg = CalendarConfig::default();
        let c = WorkCalendar::new(&cfg);
        let r = Regime::Provisions2024;
        let need = Mechanism::StandardContract;
        // Effective Thursday 2026-01-15: the tenth working day after it is Thursday 2026-01-29.
        let signed = MechanismStatus {
            kind: Some(MechanismKind::StandardContract),
            status: Status::Applied,
            applied_on: Some(d(2026, 1, 15)),
            ..MechanismStatus::default()
        };
        let a = approval(r, &c, "f", &signed, need, d(2026, 1, 29));
        assert_eq!(a.filing_deadline, Some(d(2026, 1, 29)));
        assert_eq!(a.state, ApprovalState::FilingDue);
        assert_eq!(
            approval(r, &c, "f", &signed, need, d(2026, 1, 30)).state,
            ApprovalState::FilingOverdue
        );
        assert_eq!(
            approval(r, &c, "f", &signed, need, d(2026, 12, 1)).state,
            ApprovalState::FilingOverdue
        );
        // Filed on 2026-03-01 (late): the deadline still runs from the effective date.
        let filed = MechanismStatus {
            status: Status::Approved,
            approved_on: Some(d(2026, 3, 1)),
            ..signed.clone()
        };
        let a = approval(r, &c, "f", &filed, need, d(2026, 12, 1));
        assert_eq!(a.filing_deadline, Some(d(2026, 1, 29)));
        assert_eq!(a.filed_on, Some(d(2026, 3, 1)));
        assert_eq!(a.state, ApprovalState::Valid);
        // Data sent past the deadline and before the filing was not covered.
        assert_eq!(coverage(r, &c, &signed, need, d(2026, 1, 29)), None);
        assert_eq!(
            coverage(r, &c, &signed, need, d(2026, 1, 30)),
            Some(Uncovered::Unfiled)
        );
        assert_eq!(
            coverage(r, &c, &filed, need, d(2026, 2, 27)),
            Some(Uncovered::Unfiled)
        );
        assert_eq!(coverage(r, &c, &filed, need, d(2026, 3, 1)), None);
        assert_eq!(
            coverage(r, &c, &filed, need, d(2026, 1, 14)),
            Some(Uncovered::BeforeApproval)
        );
    }
}
