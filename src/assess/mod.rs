//! Assessment: from an inventory, an organisation profile and the ledger to the transfer
//! mechanism the law requires, with the figures, rules and articles behind it.
//!
//! * [`profile`] — the organisation profile (`pipl-scan.toml`);
//! * [`figures`] — subject sketches per source, unioned per flow;
//! * [`ledger`] — the cumulative outbound ledger (SQLite);
//! * [`rules`] — the threshold rules of both regimes, as a table;
//! * [`calendar`] — validity, extension deadlines in working days, the pending-transfer guard;
//! * [`verify`] — an auditor's check of a declaration against an inventory.
//!
//! [`assess`] computes the figures in the counting window (this inventory's flows unioned with
//! the ledger's entries of the window), decides under the chosen sensitivity standard and, side
//! by side, under the other one, and gathers the calendar, the guard findings and the warnings
//! into an [`Assessment`], which the report writers render and whose [`Assessment::exit_code`]
//! tells scripts whether an assessment is required.

pub mod calendar;
pub mod figures;
pub mod ledger;
pub mod profile;
pub mod rules;
pub mod verify;

use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::detect::Standard;
use crate::inventory::Inventory;
use calendar::{Approval, Uncovered, WorkCalendar};
use figures::{Figures, SubjectSketches};
use ledger::Ledger;
use profile::{Exemption, Profile, SourceMatcher};
use rules::{Decision, Facts, Mechanism, Regime};

pub const SCHEMA: &str = "pipl-scan/assessment/v1";

/// Exit codes of `assess` (and of `scan --profile`), chosen apart from `scan`'s 0 / 1 / 2.
pub mod exit {
    /// No mechanism required: nothing is provided abroad, or every transfer is exempt.
    pub const NOT_REQUIRED: u8 = 0;
    /// Standard contract filing or certification required.
    pub const STANDARD_CONTRACT: u8 = 10;
    /// Security assessment required.
    pub const SECURITY_ASSESSMENT: u8 = 11;
    /// A figure's 95 % interval straddles a threshold that changes the mechanism: settle the
    /// count (the stricter mechanism is reported as the one to plan for).
    pub const UNDETERMINED: u8 = 12;
    /// The ledger shows a flow sending data that its required mechanism did not cover
    /// (pending, refused, expired, not started).
    pub const UNCOVERED_TRANSFERS: u8 = 13;
}

/// What to assess against.
#[derive(Debug, Clone)]
pub struct Options {
    pub regime: Regime,
    /// The day of the assessment: the counting window and the calendar are relative to it.
    pub date: NaiveDate,
    /// The standard the headline decision uses; default: the inventory's.
    pub sensitivity: Option<Standard>,
}

/// A message in both report languages.
#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub code: &'static str,
    pub en: String,
    pub zh: String,
}

impl Note {
    fn new(code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Note {
        Note {
            code,
            en: en.into(),
            zh: zh.into(),
        }
    }
}

/// One flow's figures.
#[derive(Debug, Clone, Serialize)]
pub struct FlowFigures {
    pub name: String,
    pub recipient: String,
    pub country: String,
    pub purpose: String,
    pub exemption: Exemption,
    /// Whether the flow counts toward the thresholds (not validly exempt).
    pub counted: bool,
    /// Inventory sources the flow's globs select.
    pub sources: Vec<String>,
    /// Records with PI but no identifier in those sources: not counted as subjects.
    pub unidentified_records: u64,
    /// What this inventory's selected sources hold.
    pub inventory: Figures,
    /// What the ledger recorded for the flow in the counting window.
    pub ledger: Figures,
    pub ledger_entries: usize,
    /// The union of both.
    pub cumulative: Figures,
}

/// A ledger entry that its flow's required mechanism did not cover.
#[derive(Debug, Clone, Serialize)]
pub struct GuardFinding {
    pub flow: String,
    pub entry: i64,
    pub sent_on: NaiveDate,
    pub reason: Uncovered,
    pub subjects: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub schema: &'static str,
    pub organisation: String,
    pub date: NaiveDate,
    pub regime: Regime,
    /// First day of the counting window.
    pub window_start: NaiveDate,
    /// The standard of the headline decision.
    pub sensitivity: String,
    pub flows: Vec<FlowFigures>,
    /// Everyone counted toward the thresholds (non-exempt flows, inventory ∪ ledger).
    pub transferred: Figures,
    /// Everyone in the inventory (and transferred): the 2022 "processed" figure.
    pub processed: Figures,
    /// The headline decision, under [`Assessment::sensitivity`].
    pub decision: Decision,
    /// The decision under each standard, in [`Standard::ALL`] order.
    pub by_standard: Vec<StandardDecision>,
    /// The two standards lead to different mechanisms.
    pub standards_differ: bool,
    pub approvals: Vec<Approval>,
    pub guard: Vec<GuardFinding>,
    pub notes: Vec<Note>,
    pub exit_code: u8,
}

/// The decision under one sensitivity standard.
#[derive(Debug, Clone, Serialize)]
pub struct StandardDecision {
    pub standard: String,
    #[serde(flatten)]
    pub decision: Decision,
}

impl Assessment {
    pub fn decision_under(&self, st: Standard) -> Option<&Decision> {
        self.by_standard
            .iter()
            .find(|d| d.standard == st.id())
            .map(|d| &d.decision)
    }
}

/// Assesses `inv` for the organisation of `profile`, with the ledger's entries of the window.
pub fn assess(
    inv: &Inventory,
    profile: &Profile,
    ledger: Option<&Ledger>,
    opts: &Options,
) -> Result<Assessment> {
    let regime = opts.regime;
    let years = regime.window_years(opts.date.year());
    let window_start = NaiveDate::from_ymd_opt(*years.start(), 1, 1).unwrap_or(opts.date);
    let chosen = opts
        .sensitivity
        .or_else(|| Standard::from_id(&inv.scan.sensitivity))
        .unwrap_or(Standard::Gbt45574_2025);
    let mut notes = Vec::new();

    if !inv.scan.complete {
        notes.push(Note::new(
            "incomplete-scan",
            "The scan was incomplete (files skipped, partial or unreadable; see scan.errors): the figures may be understated.",
            "扫描不完整（有文件被跳过、部分读取或无法读取，见 scan.errors）：数量可能被低估。",
        ));
    }

    let mut transferred = SubjectSketches::empty();
    let mut flows = Vec::new();
    let mut counted_flows = Vec::new();
    for f in &profile.flows {
        let m = SourceMatcher::new(&f.sources)?;
        let mut inv_sk = SubjectSketches::empty();
        let mut sources = Vec::new();
        let mut unidentified = 0;
        for s in &inv.sources {
            if m.matches(&s.path, &inv.scan.roots) {
                inv_sk.merge(&SubjectSketches::of_source(inv, s)?)?;
                unidentified += s.unidentified_records;
                if !s.categories.is_empty() {
                    sources.push(s.path.clone());
                }
            }
        }
        let (ledger_sk, ledger_entries) = match ledger {
            Some(l) => (
                l.union(years.clone(), Some(&f.name))?,
                l.entries(years.clone(), Some(&f.name))?.len(),
            ),
            None => (SubjectSketches::empty(), 0),
        };
        let mut cum = inv_sk.clone();
        cum.merge(&ledger_sk)?;
        let has_pi = cum.figures().subjects.estimate > 0 || unidentified > 0 || !sources.is_empty();
        let counted = match (f.exemption, regime) {
            (Exemption::None, _) => true,
            (e, Regime::Measures2022) => {
                notes.push(Note::new(
                    "exemption-not-in-regime",
                    format!(
                        "Flow `{}` claims the `{}` exemption ({}), which the 2022 Measures do not have: it is counted.",
                        f.name,
                        e.id(),
                        e.basis_en()
                    ),
                    format!(
                        "数据流 `{}` 主张的豁免（{}）在2022年《办法》下不存在：计入累计数量。",
                        f.name,
                        e.basis_zh()
                    ),
                ));
                true
            }
            (Exemption::NoPersonalInformation, _) if has_pi => {
                notes.push(Note::new(
                    "exemption-contradicted",
                    format!(
                        "Flow `{}` claims Art. 3 (no personal information), but its sources hold PI ({} sources): the claim fails and the flow is counted.",
                        f.name,
                        sources.len()
                    ),
                    format!(
                        "数据流 `{}` 主张《规定》第三条（不含个人信息），但其数据源含有个人信息（{} 个数据源）：豁免不成立，计入累计数量。",
                        f.name,
                        sources.len()
                    ),
                ));
                true
            }
            (e, Regime::Provisions2024) => {
                notes.push(Note::new(
                    "exemption-claimed",
                    format!(
                        "Flow `{}` is exempt as claimed ({}) and left out of the cumulative figures. pipl-scan cannot check the claim: keep the evidence (contracts, HR rules, emergency records). Leaving exempt transfers out of the totals is common practice, not yet confirmed by a primary text.",
                        f.name,
                        e.basis_en()
                    ),
                    format!(
                        "数据流 `{}` 按所主张的豁免（{}）处理，不计入累计数量。pipl-scan 无法核实该主张，请留存证明材料（合同、人力资源制度、紧急情况记录）。豁免数据不计入累计数量是实务做法，尚未见原始文本确认。",
                        f.name,
                        e.basis_zh()
                    ),
                ));
                false
            }
        };
        if inv_sk.figures().subjects.estimate == 0 && sources.is_empty() && ledger_entries == 0 {
            notes.push(Note::new(
                "flow-matches-nothing",
                format!(
                    "Flow `{}` selects no source with PI in this inventory and has no ledger entry in the window: check its `sources` globs.",
                    f.name
                ),
                format!(
                    "数据流 `{}` 在本清单中未匹配到含个人信息的数据源，计数期内台账中也无记录：请检查其 `sources`。",
                    f.name
                ),
            ));
        }
        if unidentified > 0 {
            notes.push(Note::new(
                "unidentified-records",
                format!(
                    "Flow `{}`: {unidentified} records hold PI but no identifier, so they are not counted as people; the subject figures are a lower bound for them.",
                    f.name
                ),
                format!(
                    "数据流 `{}`：{unidentified} 条记录含个人信息但无标识符，未计入人数；相关人数为下限。",
                    f.name
                ),
            ));
        }
        if counted {
            transferred.merge(&cum)?;
            counted_flows.push(f.name.clone());
        }
        flows.push(FlowFigures {
            name: f.name.clone(),
            recipient: f.recipient.clone(),
            country: f.country.clone(),
            purpose: f.purpose.clone(),
            exemption: f.exemption,
            counted,
            sources,
            unidentified_records: unidentified,
            inventory: inv_sk.figures(),
            ledger: ledger_sk.figures(),
            ledger_entries,
            cumulative: cum.figures(),
        });
    }

    // Ledger flows the profile does not define are still transfers: count them.
    if let Some(l) = ledger {
        for name in l.flows(years.clone())? {
            if profile.flow(&name).is_none() {
                transferred.merge(&l.union(years.clone(), Some(&name))?)?;
                notes.push(Note::new(
                    "ledger-flow-not-in-profile",
                    format!(
                        "The ledger has entries for flow `{name}`, which the profile does not define: they are counted."
                    ),
                    format!("台账中有数据流 `{name}` 的记录，但画像文件未定义该数据流：计入累计数量。"),
                ));
            }
        }
    }

    let mut processed = SubjectSketches::of_totals(inv)?;
    processed.merge(&transferred)?;
    let transferred_fig = transferred.figures();
    let processed_fig = processed.figures();

    let idata = &profile.important_data;
    let important_data = match regime {
        Regime::Provisions2024 => idata.transfers && idata.notified,
        Regime::Measures2022 => idata.transfers,
    };
    if regime == Regime::Provisions2024 && idata.transfers && !idata.notified {
        notes.push(Note::new(
            "important-data-not-notified",
            "The profile says important data may be transferred but has not been notified or published as such: under Provisions Art. 2 it is not declared as important data. Confirm with the authority; if it is notified, a security assessment is required.",
            "画像文件称可能向境外提供重要数据，但尚未被告知或公开发布为重要数据：依《规定》第二条，无需作为重要数据申报。请向主管部门确认；一旦被告知，须申报安全评估。",
        ));
    }

    let facts_for = |st: Standard| Facts {
        ciio: profile.organisation.ciio,
        important_data,
        transferred: transferred_fig.subjects,
        transferred_sensitive: transferred_fig.sensitive(st),
        processed: processed_fig.subjects,
    };
    let by_standard: Vec<StandardDecision> = Standard::ALL
        .iter()
        .map(|st| StandardDecision {
            standard: st.id().to_string(),
            decision: rules::assess_facts(regime, &facts_for(*st)),
        })
        .collect();
    let decision = rules::assess_facts(regime, &facts_for(chosen));
    let standards_differ = by_standard
        .windows(2)
        .any(|w| w[0].decision.conservative() != w[1].decision.conservative());

    let required = decision.conservative();
    let cal = WorkCalendar::new(&profile.calendar);
    let mut approvals = Vec::new();
    let mut guard = Vec::new();
    for f in &profile.flows {
        let counted = counted_flows.contains(&f.name);
        let need = if counted { required } else { Mechanism::Exempt };
        approvals.push(calendar::approval(
            regime,
            &cal,
            &f.name,
            &f.mechanism,
            need,
            opts.date,
        ));
        if let Some(l) = ledger {
            for e in l.entries(years.clone(), Some(&f.name))? {
                if e.sent_on > opts.date {
                    continue;
                }
                if let Some(reason) = calendar::coverage(regime, &f.mechanism, need, e.sent_on) {
                    guard.push(GuardFinding {
                        flow: f.name.clone(),
                        entry: e.id,
                        sent_on: e.sent_on,
                        reason,
                        subjects: e.figures.subjects.estimate,
                    });
                }
            }
        }
    }

    let exit_code = if !guard.is_empty() {
        exit::UNCOVERED_TRANSFERS
    } else if decision.undetermined() {
        exit::UNDETERMINED
    } else {
        match decision.mechanism {
            Mechanism::SecurityAssessment => exit::SECURITY_ASSESSMENT,
            Mechanism::StandardContract => exit::STANDARD_CONTRACT,
            Mechanism::Exempt | Mechanism::NotApplicable => exit::NOT_REQUIRED,
        }
    };

    Ok(Assessment {
        schema: SCHEMA,
        organisation: profile.organisation.name.clone(),
        date: opts.date,
        regime,
        window_start,
        sensitivity: chosen.id().to_string(),
        flows,
        transferred: transferred_fig,
        processed: processed_fig,
        decision,
        by_standard,
        standards_differ,
        approvals,
        guard,
        notes,
        exit_code,
    })
}
