//! The threshold rules of both regimes, as a table, and the function that applies them.
//!
//! Every rule is one row of [`RULES`]: a regime, a condition over the [`Facts`] (flags and
//! "figure ≥ threshold" terms, all of which must hold), the mechanism it requires and the article
//! it rests on. [`evaluate`] fires every row whose condition holds and returns the strictest
//! mechanism among them, so adding a rule is adding a row, and the tests walk every threshold of
//! the table on both sides of its boundary. REGULATION.md §1 is the source of every row.
//!
//! Figures are distinct-subject estimates with 95 % bounds. [`evaluate`] takes a [`Bound`] and
//! decides on that one value of every figure; [`assess_facts`] evaluates at the low bound, the
//! point estimate and the high bound, so a figure whose interval straddles a threshold that would
//! change the mechanism is reported as such instead of being silently decided.

use serde::Serialize;

use crate::sketch::Estimate;

/// Which body of rules decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Regime {
    /// Provisions on Promoting and Regulating Cross-Border Data Flows (CAC Order No. 16), in
    /// force since 2024-03-22: counts what is *transferred* since 1 January of the current year.
    #[serde(rename = "2024")]
    Provisions2024,
    /// Measures for Security Assessment of Outbound Data Transfers (CAC Order No. 11, 2022) with
    /// the original Standard Contract Measures: counts since 1 January of the *previous* year,
    /// and the 1,000,000 threshold counts all PI *processed*.
    #[serde(rename = "2022")]
    Measures2022,
}

/// The day the Provisions (CAC Order No. 16) were issued and took effect.
pub const PROVISIONS_EFFECTIVE: (i32, u32, u32) = (2024, 3, 22);

impl Regime {
    /// The regime in force on `date`: the Provisions from 2024-03-22, the Measures before.
    pub fn in_force_on(date: chrono::NaiveDate) -> Regime {
        let (y, m, d) = PROVISIONS_EFFECTIVE;
        match chrono::NaiveDate::from_ymd_opt(y, m, d) {
            Some(eff) if date < eff => Regime::Measures2022,
            _ => Regime::Provisions2024,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Regime::Provisions2024 => "2024",
            Regime::Measures2022 => "2022",
        }
    }

    /// Years of the counting window for an assessment made in `year`.
    pub fn window_years(self, year: i32) -> std::ops::RangeInclusive<i32> {
        match self {
            Regime::Provisions2024 => year..=year,
            Regime::Measures2022 => (year - 1)..=year,
        }
    }

    /// Validity of a security-assessment result, in years (Provisions Art. 9; Measures Art. 14).
    pub fn validity_years(self) -> i32 {
        match self {
            Regime::Provisions2024 => 3,
            Regime::Measures2022 => 2,
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Regime::Provisions2024 => {
                "Provisions on Promoting and Regulating Cross-Border Data Flows (CAC Order No. 16, 2024)"
            }
            Regime::Measures2022 => {
                "Measures for Security Assessment of Outbound Data Transfers (CAC Order No. 11, 2022) and Standard Contract Measures (CAC Order No. 13)"
            }
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Regime::Provisions2024 => {
                "《促进和规范数据跨境流动规定》（国家网信办令第16号，2024年）"
            }
            Regime::Measures2022 => {
                "《数据出境安全评估办法》（国家网信办令第11号，2022年）及《个人信息出境标准合同办法》（第13号令）"
            }
        }
    }
}

/// The transfer mechanism a rule requires, ordered from least to most demanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mechanism {
    /// No personal information or important data leaves China.
    NotApplicable,
    /// A transfer exempt from all three mechanisms.
    Exempt,
    /// Standard contract filing (or PI protection certification).
    StandardContract,
    /// CAC security assessment.
    SecurityAssessment,
}

impl Mechanism {
    pub fn id(self) -> &'static str {
        match self {
            Mechanism::NotApplicable => "not-applicable",
            Mechanism::Exempt => "exempt",
            Mechanism::StandardContract => "standard-contract",
            Mechanism::SecurityAssessment => "security-assessment",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Mechanism::NotApplicable => "No cross-border transfer of PI or important data",
            Mechanism::Exempt => {
                "Exempt from security assessment, standard contract and certification"
            }
            Mechanism::StandardContract => {
                "Standard contract filing or personal information protection certification"
            }
            Mechanism::SecurityAssessment => "CAC security assessment",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Mechanism::NotApplicable => "无个人信息或重要数据出境",
            Mechanism::Exempt => "免于申报数据出境安全评估、订立标准合同和通过个人信息保护认证",
            Mechanism::StandardContract => "订立个人信息出境标准合同并备案，或通过个人信息保护认证",
            Mechanism::SecurityAssessment => "申报数据出境安全评估",
        }
    }
}

/// A figure a threshold is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Figure {
    /// Distinct people whose PI was (or will be) provided abroad in the window, by the counted
    /// (non-exempt) flows.
    TransferredSubjects,
    /// Of those, people whose transferred PI includes PI that is *not* sensitive (under the
    /// chosen standard): the figure of the Provisions' "PI (excluding sensitive PI)" thresholds,
    /// Art. 5(4), 7 and 8. Under the conservative reading (`--count-everyone`) it is everyone.
    TransferredNonSensitive,
    /// Of those, people whose transferred PI includes sensitive PI (under the chosen standard).
    TransferredSensitive,
    /// Distinct people whose PI the organisation processes: the whole inventory (2022 Art. 4(2)).
    ProcessedSubjects,
}

impl Figure {
    pub fn name_en(self) -> &'static str {
        match self {
            Figure::TransferredSubjects => "individuals whose PI is provided abroad",
            Figure::TransferredNonSensitive => {
                "individuals whose PI (excluding sensitive PI) is provided abroad"
            }
            Figure::TransferredSensitive => "individuals whose sensitive PI is provided abroad",
            Figure::ProcessedSubjects => "individuals whose PI is processed (whole inventory)",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Figure::TransferredSubjects => "向境外提供个人信息的个人数量",
            Figure::TransferredNonSensitive => "向境外提供个人信息（不含敏感个人信息）的个人数量",
            Figure::TransferredSensitive => "向境外提供敏感个人信息的个人数量",
            Figure::ProcessedSubjects => "处理个人信息的个人数量（全部数据清单）",
        }
    }
}

/// A yes/no fact from the organisation profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    /// The organisation is a critical information infrastructure operator.
    Ciio,
    /// Important data is provided abroad (under 2024: data notified or published as important).
    ImportantData,
    /// Some flow provides PI abroad under an exemption it claims (Provisions Art. 3–6): the
    /// organisation does transfer, exempt, rather than not transfer at all.
    ExemptTransfers,
}

/// One row of the rule table.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub regime: Regime,
    /// Flags that must all be set.
    pub flags: &'static [Flag],
    /// `figure >= threshold` terms that must all hold.
    pub at_least: &'static [(Figure, u64)],
    pub mechanism: Mechanism,
    /// Applies only when no stricter rule fires (the "otherwise" rows: below every threshold).
    pub residual: bool,
    /// The article the rule rests on.
    pub basis_en: &'static str,
    pub basis_zh: &'static str,
    pub text_en: &'static str,
    pub text_zh: &'static str,
}

use Figure::{
    ProcessedSubjects as PROC, TransferredNonSensitive as NONS, TransferredSensitive as SENS,
    TransferredSubjects as ALL,
};
use Mechanism::{Exempt, SecurityAssessment as SA, StandardContract as SC};
use Regime::{Measures2022 as R22, Provisions2024 as R24};

/// The rules of both regimes (REGULATION.md §1). Thresholds are inclusive: "≥ 10,000".
///
/// Under the 2024 Provisions the 100,000 / 1,000,000 thresholds count "PI (excluding sensitive
/// PI)" (Art. 5(4), 7(2), 8): they are compared with [`Figure::TransferredNonSensitive`], the
/// people whose transferred PI includes some PI that is not sensitive. A person whose only PI is
/// a bank card number counts toward the 10,000 sensitive threshold and not toward these; a person
/// with a name and a card number counts toward both. The conservative reading, everyone against
/// these thresholds, is an option of [`crate::assess::Options`] and the report names it.
pub static RULES: &[Rule] = &[
    // ---- 2024 Provisions ----------------------------------------------------------------------
    Rule {
        id: "P24-important-data",
        regime: R24,
        flags: &[Flag::ImportantData],
        at_least: &[],
        mechanism: SA,
        residual: false,
        basis_en: "Provisions Art. 7(2) (important data as notified or published, Art. 2)",
        basis_zh: "《规定》第七条第（二）项（经告知或公开发布的重要数据，第二条）",
        text_en: "important data is provided abroad",
        text_zh: "向境外提供重要数据",
    },
    Rule {
        id: "P24-ciio",
        regime: R24,
        flags: &[Flag::Ciio],
        at_least: &[(ALL, 1)],
        mechanism: SA,
        residual: false,
        basis_en: "Provisions Art. 7(1)",
        basis_zh: "《规定》第七条第（一）项",
        text_en: "a critical information infrastructure operator provides PI abroad",
        text_zh: "关键信息基础设施运营者向境外提供个人信息",
    },
    Rule {
        id: "P24-pi-1m",
        regime: R24,
        flags: &[],
        at_least: &[(NONS, 1_000_000)],
        mechanism: SA,
        residual: false,
        basis_en: "Provisions Art. 7(2)",
        basis_zh: "《规定》第七条第（二）项",
        text_en: "PI (excluding sensitive PI) of 1,000,000 or more individuals provided abroad since 1 January of the current year",
        text_zh: "自当年1月1日起累计向境外提供100万人以上个人信息（不含敏感个人信息）",
    },
    Rule {
        id: "P24-spi-10k",
        regime: R24,
        flags: &[],
        at_least: &[(SENS, 10_000)],
        mechanism: SA,
        residual: false,
        basis_en: "Provisions Art. 7(2)",
        basis_zh: "《规定》第七条第（二）项",
        text_en: "sensitive PI of 10,000 or more individuals provided abroad since 1 January of the current year",
        text_zh: "自当年1月1日起累计向境外提供1万人以上敏感个人信息",
    },
    Rule {
        id: "P24-pi-100k",
        regime: R24,
        flags: &[],
        at_least: &[(NONS, 100_000)],
        mechanism: SC,
        residual: false,
        basis_en: "Provisions Art. 8",
        basis_zh: "《规定》第八条",
        text_en: "PI (excluding sensitive PI) of 100,000 or more individuals provided abroad since 1 January of the current year",
        text_zh: "自当年1月1日起累计向境外提供10万人以上个人信息（不含敏感个人信息）",
    },
    Rule {
        id: "P24-spi-any",
        regime: R24,
        flags: &[],
        at_least: &[(SENS, 1)],
        mechanism: SC,
        residual: false,
        basis_en: "Provisions Art. 8",
        basis_zh: "《规定》第八条",
        text_en: "sensitive PI of any number of individuals provided abroad since 1 January of the current year",
        text_zh: "自当年1月1日起累计向境外提供敏感个人信息（不满1万人即须订立标准合同或认证）",
    },
    Rule {
        id: "P24-small-volume",
        regime: R24,
        flags: &[],
        at_least: &[(ALL, 1)],
        mechanism: Exempt,
        residual: true,
        basis_en: "Provisions Art. 5(4)",
        basis_zh: "《规定》第五条第（四）项",
        text_en: "a non-CIIO provides PI of fewer than 100,000 individuals (no sensitive PI) abroad since 1 January of the current year",
        text_zh: "关键信息基础设施运营者以外的数据处理者自当年1月1日起累计向境外提供不满10万人个人信息（不含敏感个人信息）",
    },
    Rule {
        id: "P24-exempt-flows",
        regime: R24,
        flags: &[Flag::ExemptTransfers],
        at_least: &[],
        mechanism: Exempt,
        residual: true,
        basis_en: "Provisions Art. 3–6 (the exemptions the flows claim)",
        basis_zh: "《规定》第三条至第六条（数据流所主张的豁免）",
        text_en: "PI is provided abroad only by flows that claim an exemption",
        text_zh: "仅由主张豁免的数据流向境外提供个人信息",
    },
    // ---- 2022 Measures ------------------------------------------------------------------------
    Rule {
        id: "M22-important-data",
        regime: R22,
        flags: &[Flag::ImportantData],
        at_least: &[],
        mechanism: SA,
        residual: false,
        basis_en: "Security Assessment Measures Art. 4(1)",
        basis_zh: "《数据出境安全评估办法》第四条第（一）项",
        text_en: "important data is provided abroad",
        text_zh: "数据处理者向境外提供重要数据",
    },
    Rule {
        id: "M22-ciio",
        regime: R22,
        flags: &[Flag::Ciio],
        at_least: &[(ALL, 1)],
        mechanism: SA,
        residual: false,
        basis_en: "Security Assessment Measures Art. 4(2)",
        basis_zh: "《数据出境安全评估办法》第四条第（二）项",
        text_en: "a critical information infrastructure operator provides PI abroad",
        text_zh: "关键信息基础设施运营者向境外提供个人信息",
    },
    Rule {
        id: "M22-processed-1m",
        regime: R22,
        flags: &[],
        at_least: &[(PROC, 1_000_000), (ALL, 1)],
        mechanism: SA,
        residual: false,
        basis_en: "Security Assessment Measures Art. 4(2)",
        basis_zh: "《数据出境安全评估办法》第四条第（二）项",
        text_en: "a processor of PI of 1,000,000 or more individuals provides PI abroad",
        text_zh: "处理100万人以上个人信息的数据处理者向境外提供个人信息",
    },
    Rule {
        id: "M22-pi-100k",
        regime: R22,
        flags: &[],
        at_least: &[(ALL, 100_000)],
        mechanism: SA,
        residual: false,
        basis_en: "Security Assessment Measures Art. 4(3)",
        basis_zh: "《数据出境安全评估办法》第四条第（三）项",
        text_en: "PI of 100,000 or more individuals provided abroad cumulatively since 1 January of the previous year",
        text_zh: "自上年1月1日起累计向境外提供10万人个人信息",
    },
    Rule {
        id: "M22-spi-10k",
        regime: R22,
        flags: &[],
        at_least: &[(SENS, 10_000)],
        mechanism: SA,
        residual: false,
        basis_en: "Security Assessment Measures Art. 4(3)",
        basis_zh: "《数据出境安全评估办法》第四条第（三）项",
        text_en: "sensitive PI of 10,000 or more individuals provided abroad cumulatively since 1 January of the previous year",
        text_zh: "自上年1月1日起累计向境外提供1万人敏感个人信息",
    },
    Rule {
        id: "M22-any-pi",
        regime: R22,
        flags: &[],
        at_least: &[(ALL, 1)],
        mechanism: SC,
        residual: true,
        basis_en: "PIPL Art. 38; Standard Contract Measures Art. 4 (original)",
        basis_zh: "《个人信息保护法》第三十八条；《个人信息出境标准合同办法》第四条（原文）",
        text_en: "PI is provided abroad below the security-assessment thresholds: standard contract or certification",
        text_zh: "向境外提供个人信息且未达到安全评估申报标准：订立标准合同或通过认证",
    },
];

/// Which value of each figure's 95 % interval a decision is taken on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Low,
    Estimate,
    High,
}

/// What the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Facts {
    pub ciio: bool,
    pub important_data: bool,
    /// Some flow transfers PI under a claimed exemption ([`Flag::ExemptTransfers`]).
    pub exempt_transfers: bool,
    pub transferred: Estimate,
    pub transferred_non_sensitive: Estimate,
    pub transferred_sensitive: Estimate,
    pub processed: Estimate,
}

impl Facts {
    pub fn figure(&self, f: Figure) -> Estimate {
        match f {
            Figure::TransferredSubjects => self.transferred,
            Figure::TransferredNonSensitive => self.transferred_non_sensitive,
            Figure::TransferredSensitive => self.transferred_sensitive,
            Figure::ProcessedSubjects => self.processed,
        }
    }

    fn flag(&self, f: Flag) -> bool {
        match f {
            Flag::Ciio => self.ciio,
            Flag::ImportantData => self.important_data,
            Flag::ExemptTransfers => self.exempt_transfers,
        }
    }
}

fn pick(e: Estimate, b: Bound) -> u64 {
    match b {
        Bound::Low => e.low,
        Bound::Estimate => e.estimate,
        Bound::High => e.high,
    }
}

/// Whether `rule`'s condition holds on the `bound` value of every figure.
pub fn fires(rule: &Rule, facts: &Facts, bound: Bound) -> bool {
    rule.flags.iter().all(|f| facts.flag(*f))
        && rule
            .at_least
            .iter()
            .all(|(fig, n)| pick(facts.figure(*fig), bound) >= *n)
}

/// The rules of `regime` that fire on the `bound` values, and the strictest mechanism among them
/// ([`Mechanism::NotApplicable`] when none fires: nothing is provided abroad).
pub fn evaluate(regime: Regime, facts: &Facts, bound: Bound) -> (Mechanism, Vec<&'static Rule>) {
    let fired: Vec<&'static Rule> = RULES
        .iter()
        .filter(|r| r.regime == regime && fires(r, facts, bound))
        .collect();
    let mechanism = fired
        .iter()
        .map(|r| r.mechanism)
        .max()
        .unwrap_or(Mechanism::NotApplicable);
    let fired = fired
        .into_iter()
        .filter(|r| !r.residual || r.mechanism == mechanism)
        .collect();
    (mechanism, fired)
}

/// A threshold whose figure's interval contains values on both sides of it.
#[derive(Debug, Clone, Serialize)]
pub struct Straddle {
    pub rule: &'static str,
    pub figure: Figure,
    pub threshold: u64,
    pub value: Estimate,
}

/// The decision on one set of facts: at the point estimates, and what the bounds would change.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub regime: Regime,
    pub facts: Facts,
    /// The mechanism at the point estimates.
    pub mechanism: Mechanism,
    /// The mechanism if every figure were at its 95 % low / high bound.
    pub mechanism_low: Mechanism,
    pub mechanism_high: Mechanism,
    /// Rules that fire at the point estimates, strictest first.
    #[serde(serialize_with = "rule_ids")]
    pub fired: Vec<&'static Rule>,
    /// Thresholds straddled by a figure's interval (reported even if the mechanism is the same
    /// at both bounds, for transparency; [`Decision::undetermined`] says whether it matters).
    pub straddles: Vec<Straddle>,
}

fn rule_ids<S: serde::Serializer>(rules: &[&'static Rule], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(rules.len()))?;
    for r in rules {
        seq.serialize_element(r.id)?;
    }
    seq.end()
}

impl Decision {
    /// The 95 % interval of some figure crosses a threshold that changes the mechanism.
    pub fn undetermined(&self) -> bool {
        self.mechanism_low != self.mechanism_high
    }

    /// The mechanism to plan for: the stricter one when the figures leave it open.
    pub fn conservative(&self) -> Mechanism {
        self.mechanism_high
    }
}

/// Evaluates `facts` under `regime` at the estimates and at both bounds.
pub fn assess_facts(regime: Regime, facts: &Facts) -> Decision {
    let (mechanism, mut fired) = evaluate(regime, facts, Bound::Estimate);
    fired.sort_by_key(|r| std::cmp::Reverse(r.mechanism));
    let (mechanism_low, _) = evaluate(regime, facts, Bound::Low);
    let (mechanism_high, _) = evaluate(regime, facts, Bound::High);
    let mut straddles = Vec::new();
    for r in RULES.iter().filter(|r| r.regime == regime) {
        for (fig, n) in r.at_least {
            let v = facts.figure(*fig);
            if v.low < *n && v.high >= *n && *n > 1 {
                straddles.push(Straddle {
                    rule: r.id,
                    figure: *fig,
                    threshold: *n,
                    value: v,
                });
            }
        }
    }
    Decision {
        regime,
        facts: *facts,
        mechanism,
        mechanism_low,
        mechanism_high,
        fired,
        straddles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(n: u64) -> Estimate {
        Estimate {
            estimate: n,
            low: n,
            high: n,
        }
    }

    fn facts(all: u64, sens: u64, processed: u64) -> Facts {
        Facts {
            ciio: false,
            important_data: false,
            exempt_transfers: false,
            transferred: exact(all),
            transferred_non_sensitive: exact(all),
            transferred_sensitive: exact(sens),
            processed: exact(processed.max(all)),
        }
    }

    fn mech(regime: Regime, f: Facts) -> Mechanism {
        assess_facts(regime, &f).mechanism
    }

    /// Every threshold in the table, tested at n − 1, n and n + 1 with every other figure at the
    /// smallest value that keeps that rule's other terms true: the rule must fire exactly from n.
    #[test]
    fn every_threshold_fires_from_its_boundary_and_not_below() {
        for r in RULES {
            for (i, (fig, n)) in r.at_least.iter().enumerate() {
                for (v, expect) in [(n - 1, false), (*n, true), (n + 1, true)] {
                    let mut f = Facts {
                        ciio: r.flags.contains(&Flag::Ciio),
                        important_data: r.flags.contains(&Flag::ImportantData),
                        exempt_transfers: r.flags.contains(&Flag::ExemptTransfers),
                        transferred: exact(0),
                        transferred_non_sensitive: exact(0),
                        transferred_sensitive: exact(0),
                        processed: exact(0),
                    };
                    for (j, (other, m)) in r.at_least.iter().enumerate() {
                        if j != i {
                            set(&mut f, *other, *m);
                        }
                    }
                    set(&mut f, *fig, v);
                    assert_eq!(
                        fires(r, &f, Bound::Estimate),
                        expect,
                        "{} with {fig:?} = {v}",
                        r.id
                    );
                }
            }
        }
    }

    fn set(f: &mut Facts, fig: Figure, v: u64) {
        match fig {
            Figure::TransferredSubjects => f.transferred = exact(v),
            Figure::TransferredNonSensitive => f.transferred_non_sensitive = exact(v),
            Figure::TransferredSensitive => f.transferred_sensitive = exact(v),
            Figure::ProcessedSubjects => f.processed = exact(v),
        }
    }

    #[test]
    fn provisions_2024_non_sensitive_boundaries() {
        let r = Regime::Provisions2024;
        assert_eq!(mech(r, facts(0, 0, 0)), Mechanism::NotApplicable);
        assert_eq!(mech(r, facts(1, 0, 0)), Mechanism::Exempt);
        assert_eq!(mech(r, facts(99_999, 0, 0)), Mechanism::Exempt);
        assert_eq!(mech(r, facts(100_000, 0, 0)), Mechanism::StandardContract);
        assert_eq!(mech(r, facts(100_001, 0, 0)), Mechanism::StandardContract);
        assert_eq!(mech(r, facts(999_999, 0, 0)), Mechanism::StandardContract);
        assert_eq!(
            mech(r, facts(1_000_000, 0, 0)),
            Mechanism::SecurityAssessment
        );
        assert_eq!(
            mech(r, facts(1_000_001, 0, 0)),
            Mechanism::SecurityAssessment
        );
        // Processing volume alone does not matter under the Provisions.
        assert_eq!(mech(r, facts(10, 0, 50_000_000)), Mechanism::Exempt);
    }

    #[test]
    fn provisions_2024_sensitive_boundaries() {
        let r = Regime::Provisions2024;
        assert_eq!(mech(r, facts(10, 0, 0)), Mechanism::Exempt);
        assert_eq!(mech(r, facts(10, 1, 0)), Mechanism::StandardContract);
        assert_eq!(
            mech(r, facts(10_000, 9_999, 0)),
            Mechanism::StandardContract
        );
        assert_eq!(
            mech(r, facts(10_000, 10_000, 0)),
            Mechanism::SecurityAssessment
        );
        assert_eq!(
            mech(r, facts(10_001, 10_001, 0)),
            Mechanism::SecurityAssessment
        );
    }

    #[test]
    fn measures_2022_boundaries() {
        let r = Regime::Measures2022;
        assert_eq!(mech(r, facts(0, 0, 5_000_000)), Mechanism::NotApplicable);
        assert_eq!(mech(r, facts(1, 0, 0)), Mechanism::StandardContract);
        assert_eq!(mech(r, facts(99_999, 0, 0)), Mechanism::StandardContract);
        assert_eq!(mech(r, facts(100_000, 0, 0)), Mechanism::SecurityAssessment);
        assert_eq!(mech(r, facts(100_001, 0, 0)), Mechanism::SecurityAssessment);
        assert_eq!(mech(r, facts(9_999, 9_999, 0)), Mechanism::StandardContract);
        assert_eq!(
            mech(r, facts(10_000, 10_000, 0)),
            Mechanism::SecurityAssessment
        );
        assert_eq!(
            mech(r, facts(10_001, 10_001, 0)),
            Mechanism::SecurityAssessment
        );
        // The 1,000,000 counts what is processed, not what is transferred.
        assert_eq!(mech(r, facts(10, 0, 999_999)), Mechanism::StandardContract);
        assert_eq!(
            mech(r, facts(10, 0, 1_000_000)),
            Mechanism::SecurityAssessment
        );
        assert_eq!(
            mech(r, facts(10, 0, 1_000_001)),
            Mechanism::SecurityAssessment
        );
    }

    #[test]
    fn flags_decide_whatever_the_volume() {
        for r in [Regime::Provisions2024, Regime::Measures2022] {
            let mut f = facts(1, 0, 1);
            f.ciio = true;
            assert_eq!(mech(r, f), Mechanism::SecurityAssessment, "{r:?} ciio");
            // A CIIO that sends no PI is not caught by the CIIO rule.
            let mut f = facts(0, 0, 0);
            f.ciio = true;
            assert_eq!(mech(r, f), Mechanism::NotApplicable, "{r:?} ciio, no PI");
            let mut f = facts(0, 0, 0);
            f.important_data = true;
            assert_eq!(
                mech(r, f),
                Mechanism::SecurityAssessment,
                "{r:?} important data"
            );
        }
    }

    #[test]
    fn an_interval_across_a_threshold_is_undetermined() {
        let f = Facts {
            ciio: false,
            important_data: false,
            exempt_transfers: false,
            transferred: exact(20_000),
            transferred_non_sensitive: exact(20_000),
            transferred_sensitive: Estimate {
                estimate: 9_950,
                low: 9_800,
                high: 10_100,
            },
            processed: exact(20_000),
        };
        let d = assess_facts(Regime::Provisions2024, &f);
        assert_eq!(d.mechanism, Mechanism::StandardContract);
        assert_eq!(d.mechanism_high, Mechanism::SecurityAssessment);
        assert!(d.undetermined());
        assert_eq!(d.conservative(), Mechanism::SecurityAssessment);
        assert_eq!(d.straddles.len(), 1);
        assert_eq!(d.straddles[0].threshold, 10_000);
        // The same interval well below the threshold decides.
        let mut g = f;
        g.transferred_sensitive = Estimate {
            estimate: 9_000,
            low: 8_850,
            high: 9_150,
        };
        let d = assess_facts(Regime::Provisions2024, &g);
        assert!(!d.undetermined());
        assert!(d.straddles.is_empty());
    }

    #[test]
    fn fired_rules_are_listed_strictest_first() {
        let d = assess_facts(Regime::Provisions2024, &facts(200_000, 20_000, 0));
        assert_eq!(d.mechanism, Mechanism::SecurityAssessment);
        assert_eq!(d.fired[0].mechanism, Mechanism::SecurityAssessment);
        let ids: Vec<_> = d.fired.iter().map(|r| r.id).collect();
        assert!(
            ids.contains(&"P24-spi-10k") && ids.contains(&"P24-pi-100k"),
            "{ids:?}"
        );
        assert!(!ids.contains(&"P24-pi-1m"), "{ids:?}");
        // The "below every threshold" row is not listed once a stricter rule decides.
        assert!(!ids.contains(&"P24-small-volume"), "{ids:?}");
        let d = assess_facts(Regime::Provisions2024, &facts(50, 0, 0));
        let ids: Vec<_> = d.fired.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec!["P24-small-volume"]);
    }

    /// Provisions Art. 7(2) and 8 count "PI (excluding sensitive PI)": 995,000 people with
    /// ordinary PI and 9,000 whose only PI is a card number are a standard contract, not a
    /// security assessment (1,004,000 people in all).
    #[test]
    fn provisions_2024_count_people_with_non_sensitive_pi_against_100k_and_1m() {
        let r = Regime::Provisions2024;
        let mut f = facts(1_004_000, 9_000, 0);
        f.transferred_non_sensitive = exact(995_000);
        assert_eq!(mech(r, f), Mechanism::StandardContract);
        f.transferred_non_sensitive = exact(999_999);
        assert_eq!(mech(r, f), Mechanism::StandardContract);
        f.transferred_non_sensitive = exact(1_000_000);
        assert_eq!(mech(r, f), Mechanism::SecurityAssessment);
        // 99,999 with ordinary PI plus 50 with a card number only: the card holders make it a
        // contract (any sensitive PI), the 100,000 threshold is not reached.
        let mut f = facts(100_049, 50, 0);
        f.transferred_non_sensitive = exact(99_999);
        let d = assess_facts(r, &f);
        let ids: Vec<_> = d.fired.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec!["P24-spi-any"]);
        // With no sensitive PI, 99,999 people with ordinary PI are exempt even if more people
        // were sent (people whose only PI is... none: every transferred person has some PI).
        let mut f = facts(99_999, 0, 0);
        f.transferred_non_sensitive = exact(99_999);
        assert_eq!(mech(r, f), Mechanism::Exempt);
    }

    /// Flows that all claim an exemption transfer PI, exempt: the headline is "Exempt", not "no
    /// cross-border transfer".
    #[test]
    fn exempt_flows_alone_are_exempt_not_not_applicable() {
        let mut f = facts(0, 0, 0);
        f.exempt_transfers = true;
        let d = assess_facts(Regime::Provisions2024, &f);
        assert_eq!(d.mechanism, Mechanism::Exempt);
        assert_eq!(d.fired[0].id, "P24-exempt-flows");
        // A stricter rule still decides, and the residual row is not listed then.
        let mut f = facts(10, 1, 0);
        f.exempt_transfers = true;
        let d = assess_facts(Regime::Provisions2024, &f);
        assert_eq!(d.mechanism, Mechanism::StandardContract);
        assert!(d.fired.iter().all(|r| r.id != "P24-exempt-flows"));
    }

    #[test]
    fn the_regime_in_force_changes_on_2024_03_22() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(Regime::in_force_on(d("2024-03-21")), Regime::Measures2022);
        assert_eq!(Regime::in_force_on(d("2024-03-22")), Regime::Provisions2024);
        assert_eq!(Regime::in_force_on(d("2023-06-30")), Regime::Measures2022);
    }
}
