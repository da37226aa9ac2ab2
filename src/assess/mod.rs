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
pub mod integrity;
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
///
/// The code names the mechanism required even when the pending-transfer guard fires: the
/// guard adds 10 (20 = standard contract, 21 = security assessment, 22 = undetermined, each
/// with data sent uncovered); 13 is the guard alone (nothing is required now, but past
/// transfers were not covered). `--exit-zero` makes every determination exit 0.
pub mod exit {
    /// No mechanism required: nothing is provided abroad, or every transfer is exempt.
    pub const NOT_REQUIRED: u8 = 0;
    /// Standard contract filing or certification required.
    pub const STANDARD_CONTRACT: u8 = 10;
    /// Security assessment required.
    pub const SECURITY_ASSESSMENT: u8 = 11;
    /// A figure's 95 % interval straddles a threshold that changes the mechanism, or the scan
    /// was incomplete under a result it could make stricter: settle it (the stricter mechanism
    /// is reported as the one to plan for).
    pub const UNDETERMINED: u8 = 12;
    /// The ledger shows data sent without the mechanism it needed when it was sent, and no
    /// mechanism is required now.
    pub const UNCOVERED_TRANSFERS: u8 = 13;
    /// The inventory is altered or inconsistent (a figure disagrees with its sketch, the totals
    /// with the sources, the categories with the fields, the links file with its hash).
    pub const INVENTORY_INCONSISTENT: u8 = 14;
    /// The inventory's signature is missing (with `--require-signature`), or does not verify
    /// under the public key given.
    pub const SIGNATURE_INVALID: u8 = 15;
    /// Added to 10, 11 or 12 when the guard fires as well.
    pub const GUARD_OFFSET: u8 = 10;

    /// The code of a determination: `base` is 0, 10, 11 or 12.
    pub fn with_guard(base: u8, guard: bool) -> u8 {
        match (base, guard) {
            (b, false) => b,
            (NOT_REQUIRED, true) => UNCOVERED_TRANSFERS,
            (b, true) => b + GUARD_OFFSET,
        }
    }
}

/// Which people the Provisions' 100,000 / 1,000,000 thresholds ("PI, excluding sensitive PI",
/// Art. 5(4), 7, 8) are compared with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThresholdReading {
    /// People whose transferred PI includes PI that is not sensitive (the text's reading).
    #[default]
    NonSensitive,
    /// Everyone whose PI is transferred, sensitive or not (the conservative reading).
    Everyone,
}

/// What to assess against.
#[derive(Debug, Clone)]
pub struct Options {
    /// Forced with `--regime`; `None`: the regime in force on `date` ([`Regime::in_force_on`]).
    pub regime: Option<Regime>,
    /// The day of the assessment: the counting window and the calendar are relative to it.
    pub date: NaiveDate,
    /// The standard the headline decision uses; default: the inventory's.
    pub sensitivity: Option<Standard>,
    pub reading: ThresholdReading,
    /// An incomplete scan does not make an exempt or contract result undetermined.
    pub accept_incomplete: bool,
}

impl Options {
    pub fn new(date: NaiveDate) -> Options {
        Options {
            regime: None,
            date,
            sensitivity: None,
            reading: ThresholdReading::default(),
            accept_incomplete: false,
        }
    }
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

/// A ledger entry that the mechanism its flow needed *when it was sent* did not cover.
#[derive(Debug, Clone, Serialize)]
pub struct GuardFinding {
    pub flow: String,
    pub entry: i64,
    pub sent_on: NaiveDate,
    pub reason: Uncovered,
    pub subjects: u64,
    /// The regime in force (or forced) on the day it was sent.
    pub regime_when_sent: Regime,
    /// The mechanism the flow needed on that day (the year's figures up to that entry).
    pub required_when_sent: Mechanism,
}

/// A ledger entry sent after the assessment date: left out of the figures.
#[derive(Debug, Clone, Serialize)]
pub struct ExcludedEntry {
    pub flow: String,
    pub entry: i64,
    pub sent_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub schema: &'static str,
    pub organisation: String,
    pub date: NaiveDate,
    pub regime: Regime,
    /// The regime was forced with `--regime` rather than chosen by the date.
    pub regime_forced: bool,
    /// First day of the counting window.
    pub window_start: NaiveDate,
    /// The standard of the headline decision.
    pub sensitivity: String,
    /// Which people the 100,000 / 1,000,000 thresholds of the Provisions count.
    pub threshold_reading: ThresholdReading,
    pub flows: Vec<FlowFigures>,
    /// Everyone counted toward the thresholds (non-exempt flows, inventory ∪ ledger).
    pub transferred: Figures,
    /// Everyone in the inventory (and transferred): the 2022 "processed" figure.
    pub processed: Figures,
    /// The figures are exact people (linked), not estimates.
    pub exact: bool,
    /// The headline decision, under [`Assessment::sensitivity`].
    pub decision: Decision,
    /// The decision under each standard, in [`Standard::ALL`] order.
    pub by_standard: Vec<StandardDecision>,
    /// The two standards lead to different mechanisms.
    pub standards_differ: bool,
    /// The scan was incomplete and the result (exempt, no transfer or standard contract) could
    /// be stricter: the determination is undetermined (unless `--accept-incomplete`).
    pub incomplete_undetermined: bool,
    pub approvals: Vec<Approval>,
    pub guard: Vec<GuardFinding>,
    /// Ledger entries of the window's years sent after the assessment date.
    pub excluded_entries: Vec<ExcludedEntry>,
    /// How to settle an estimate: the exact command to run (none when the figures are exact).
    pub settle: Option<Note>,
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

    /// The determination is open: a straddled threshold, or an incomplete scan.
    pub fn undetermined(&self) -> bool {
        self.decision.undetermined() || self.incomplete_undetermined
    }
}

/// Whether a flow claiming `e` counts toward the thresholds under `regime` (`has_pi`: its data
/// holds PI, which contradicts an Art. 3 claim).
fn flow_counted(e: Exemption, regime: Regime, has_pi: bool) -> bool {
    match (e, regime) {
        (Exemption::None, _) | (_, Regime::Measures2022) => true,
        (Exemption::NoPersonalInformation, _) => has_pi,
        _ => false,
    }
}

/// The facts the rules read, from the figures.
struct FactsInput<'a> {
    profile: &'a Profile,
    regime: Regime,
    reading: ThresholdReading,
    exempt_transfers: bool,
    transferred: &'a Figures,
    processed: &'a Figures,
}

impl FactsInput<'_> {
    fn important_data(&self) -> bool {
        let idata = &self.profile.important_data;
        match self.regime {
            Regime::Provisions2024 => idata.transfers && idata.notified,
            Regime::Measures2022 => idata.transfers,
        }
    }

    fn facts(&self, st: Standard) -> Facts {
        Facts {
            ciio: self.profile.organisation.ciio,
            important_data: self.important_data(),
            exempt_transfers: self.exempt_transfers && self.regime == Regime::Provisions2024,
            transferred: self.transferred.subjects,
            transferred_non_sensitive: match self.reading {
                ThresholdReading::NonSensitive => self.transferred.non_sensitive(st),
                ThresholdReading::Everyone => self.transferred.subjects,
            },
            transferred_sensitive: self.transferred.sensitive(st),
            processed: self.processed.subjects,
        }
    }
}

/// The mechanism the organisation's counted flows needed on `day`, from the ledger's entries
/// sent up to that day in that day's counting window (and, for the 2022 "processed" figure,
/// this inventory): how each entry is judged by the guard.
struct Requirements<'a> {
    inv: &'a Inventory,
    profile: &'a Profile,
    ledger: &'a Ledger,
    forced: Option<Regime>,
    reading: ThresholdReading,
    chosen: Standard,
    cache: std::collections::BTreeMap<NaiveDate, (Regime, Mechanism)>,
}

impl Requirements<'_> {
    fn at(&mut self, day: NaiveDate) -> Result<(Regime, Mechanism)> {
        if let Some(r) = self.cache.get(&day) {
            return Ok(*r);
        }
        let regime = self.forced.unwrap_or_else(|| Regime::in_force_on(day));
        let years = regime.window_years(day.year());
        let mut transferred = SubjectSketches::empty();
        let mut exempt_transfers = false;
        for name in self.ledger.flows_until(years.clone(), Some(day))? {
            let u = self
                .ledger
                .union_until(years.clone(), Some(&name), Some(day))?;
            let has_pi = u.figures().subjects.estimate > 0;
            let counted = self
                .profile
                .flow(&name)
                .is_none_or(|f| flow_counted(f.exemption, regime, has_pi));
            if counted {
                transferred.merge(&u)?;
            } else if has_pi {
                exempt_transfers = true;
            }
        }
        let mut processed = SubjectSketches::of_totals(self.inv)?;
        processed.merge(&transferred)?;
        let (t, p) = (transferred.figures(), processed.figures());
        let input = FactsInput {
            profile: self.profile,
            regime,
            reading: self.reading,
            exempt_transfers,
            transferred: &t,
            processed: &p,
        };
        let m = rules::assess_facts(regime, &input.facts(self.chosen)).conservative();
        self.cache.insert(day, (regime, m));
        Ok((regime, m))
    }
}

/// Assesses `inv` for the organisation of `profile`, with the ledger's entries of the window.
pub fn assess(
    inv: &Inventory,
    profile: &Profile,
    ledger: Option<&Ledger>,
    opts: &Options,
) -> Result<Assessment> {
    let in_force = Regime::in_force_on(opts.date);
    let regime = opts.regime.unwrap_or(in_force);
    let years = regime.window_years(opts.date.year());
    let window_start = NaiveDate::from_ymd_opt(*years.start(), 1, 1).unwrap_or(opts.date);
    let until = Some(opts.date);
    let chosen = opts
        .sensitivity
        .or_else(|| Standard::from_id(&inv.scan.sensitivity))
        .unwrap_or(Standard::Gbt45574_2025);
    let mut notes = Vec::new();
    regime_notes(&mut notes, opts, regime, in_force);

    if !inv.scan.complete {
        notes.push(Note::new(
            "incomplete-scan",
            "The scan was incomplete (files skipped, partial or unreadable; see scan.errors): the figures may be understated.",
            "扫描不完整（有文件被跳过、部分读取或无法读取，见 scan.errors）：数量可能被低估。",
        ));
    }

    let images = inv.totals.sensitive_images();
    if images > 0 {
        let list = inv
            .totals
            .sensitive_images_by_category
            .iter()
            .map(|(c, n)| format!("{n} {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        notes.push(Note::new(
            "sensitive-images-uncounted",
            format!(
                "{images} image files picture identity documents, faces or fingerprints ({list}; told by their names and folders): sensitive personal information under both standards whose people are not counted, so no figure of people includes them. Count the people they show (or scan with --ocr to read their text) before relying on a figure below a sensitive-PI threshold."
            ),
            format!(
                "有 {images} 个图片文件为身份证件、人脸或指纹图像（{list}；依文件名和目录判断）：在两项标准下均属敏感个人信息，但其人数未被计数，任何人数均不包含它们。在依赖低于敏感个人信息门槛的数量之前，请清点这些图像所涉及的人数（或使用 --ocr 读取其文字）。"
            ),
        ));
    }

    let mut excluded_entries = Vec::new();
    if let Some(l) = ledger {
        for e in l.entries(years.clone(), None)? {
            if e.sent_on > opts.date {
                excluded_entries.push(ExcludedEntry {
                    flow: e.flow.clone(),
                    entry: e.id,
                    sent_on: e.sent_on,
                });
            }
        }
        if !excluded_entries.is_empty() {
            let list = excluded_entries
                .iter()
                .map(|e| format!("#{} ({}, {})", e.entry, e.flow, e.sent_on))
                .collect::<Vec<_>>()
                .join(", ");
            notes.push(Note::new(
                "ledger-entries-after-date",
                format!(
                    "{} ledger entries were sent after the assessment date {} and are left out of the figures: {list}.",
                    excluded_entries.len(),
                    opts.date
                ),
                format!(
                    "{} 条台账记录的出境日期晚于评估日 {}，未计入数量：{list}。",
                    excluded_entries.len(),
                    opts.date
                ),
            ));
        }
    }

    let mut transferred = SubjectSketches::empty();
    let mut flows = Vec::new();
    let mut counted_flows = Vec::new();
    let mut exempt_transfers = false;
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
                l.union_until(years.clone(), Some(&f.name), until)?,
                l.entries_until(years.clone(), Some(&f.name), until)?.len(),
            ),
            None => (SubjectSketches::empty(), 0),
        };
        let mut cum = inv_sk.clone();
        cum.merge(&ledger_sk)?;
        let has_pi = cum.figures().subjects.estimate > 0 || unidentified > 0 || !sources.is_empty();
        let counted = flow_counted(f.exemption, regime, has_pi);
        match (f.exemption, regime) {
            (Exemption::None, _) => {}
            (e, Regime::Measures2022) => notes.push(Note::new(
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
            )),
            (Exemption::NoPersonalInformation, _) if has_pi => notes.push(Note::new(
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
            )),
            (e, Regime::Provisions2024) => notes.push(Note::new(
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
            )),
        }
        if !counted && has_pi {
            exempt_transfers = true;
        }
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
        for name in l.flows_until(years.clone(), until)? {
            if profile.flow(&name).is_none() {
                transferred.merge(&l.union_until(years.clone(), Some(&name), until)?)?;
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
    if regime == Regime::Provisions2024 && idata.transfers && !idata.notified {
        notes.push(Note::new(
            "important-data-not-notified",
            "The profile says important data may be transferred but has not been notified or published as such: under Provisions Art. 2 it is not declared as important data. Confirm with the authority; if it is notified, a security assessment is required.",
            "画像文件称可能向境外提供重要数据，但尚未被告知或公开发布为重要数据：依《规定》第二条，无需作为重要数据申报。请向主管部门确认；一旦被告知，须申报安全评估。",
        ));
    }
    if regime == Regime::Provisions2024 {
        reading_notes(&mut notes, opts.reading, &transferred_fig);
    }

    let input = FactsInput {
        profile,
        regime,
        reading: opts.reading,
        exempt_transfers,
        transferred: &transferred_fig,
        processed: &processed_fig,
    };
    let by_standard: Vec<StandardDecision> = Standard::ALL
        .iter()
        .map(|st| StandardDecision {
            standard: st.id().to_string(),
            decision: rules::assess_facts(regime, &input.facts(*st)),
        })
        .collect();
    let decision = rules::assess_facts(regime, &input.facts(chosen));
    let standards_differ = by_standard
        .windows(2)
        .any(|w| w[0].decision.conservative() != w[1].decision.conservative());

    let required = decision.conservative();
    let incomplete_undetermined =
        !inv.scan.complete && !opts.accept_incomplete && required < Mechanism::SecurityAssessment;
    if incomplete_undetermined {
        notes.push(Note::new(
            "incomplete-scan-undetermined",
            format!(
                "The result is undetermined: the scan was incomplete ({} partial, {} skipped, {} unreadable files, {} errors) and what it missed could make the result stricter than \"{}\". Scan everything (see scan.errors), or pass --accept-incomplete to accept the result for what was read.",
                inv.scan.files_partial,
                inv.scan.files_skipped,
                inv.scan.files_unreadable,
                inv.scan.errors.len(),
                required.name_en()
            ),
            format!(
                "结论尚未确定：扫描不完整（部分读取 {} 个、跳过 {} 个、无法读取 {} 个文件，错误 {} 个），遗漏的数据可能使结论严于“{}”。请完整扫描（见 scan.errors），或使用 --accept-incomplete 接受仅基于已读取数据的结论。",
                inv.scan.files_partial,
                inv.scan.files_skipped,
                inv.scan.files_unreadable,
                inv.scan.errors.len(),
                required.name_zh()
            ),
        ));
    }

    let cal = WorkCalendar::new(&profile.calendar);
    let mut approvals = Vec::new();
    let mut guard = Vec::new();
    let mut reqs = ledger.map(|l| Requirements {
        inv,
        profile,
        ledger: l,
        forced: opts.regime,
        reading: opts.reading,
        chosen,
        cache: Default::default(),
    });
    // Entries judged by a requirement lower than today's: (entry, flow, date, then, now).
    let mut judged_lower: Vec<(i64, String, NaiveDate, Mechanism)> = Vec::new();
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
        if let (Some(l), Some(reqs)) = (ledger, reqs.as_mut()) {
            for e in l.entries_until(years.clone(), Some(&f.name), until)? {
                let (r_then, req_then) = reqs.at(e.sent_on)?;
                let has_pi = e.figures.subjects.estimate > 0;
                let need_then = if flow_counted(f.exemption, r_then, has_pi) {
                    req_then
                } else {
                    Mechanism::Exempt
                };
                if need_then < need && counted {
                    judged_lower.push((e.id, f.name.clone(), e.sent_on, need_then));
                }
                if let Some(reason) =
                    calendar::coverage(r_then, &cal, &f.mechanism, need_then, e.sent_on)
                {
                    guard.push(GuardFinding {
                        flow: f.name.clone(),
                        entry: e.id,
                        sent_on: e.sent_on,
                        reason,
                        subjects: e.figures.subjects.estimate,
                        regime_when_sent: r_then,
                        required_when_sent: need_then,
                    });
                }
            }
        }
    }
    if let (Some(l), Some(reqs)) = (ledger, reqs.as_mut()) {
        requirement_change_note(
            &mut notes,
            l,
            reqs,
            &years,
            opts.date,
            required,
            &judged_lower,
        )?;
    }

    let exact = transferred_fig.is_exact()
        && (regime == Regime::Provisions2024 || processed_fig.is_exact());
    let settle = settle_note(inv, ledger.is_some(), &transferred_fig, exact);
    notes.push(match &settle {
        None => Note::new(
            "exact-figures",
            "The figures are exact: people were linked and counted (method linked-exact) from the inventory's links file and the ledger entries' graphs; no interval applies.",
            "数量为精确值：依据清单的关联文件和台账记录的关联图对个人进行关联并精确计数（linked-exact），不存在区间。",
        ),
        Some(s) => s.clone(),
    });

    let undetermined = decision.undetermined() || incomplete_undetermined;
    let base = if undetermined {
        exit::UNDETERMINED
    } else {
        match decision.mechanism {
            Mechanism::SecurityAssessment => exit::SECURITY_ASSESSMENT,
            Mechanism::StandardContract => exit::STANDARD_CONTRACT,
            Mechanism::Exempt | Mechanism::NotApplicable => exit::NOT_REQUIRED,
        }
    };
    let exit_code = exit::with_guard(base, !guard.is_empty());

    Ok(Assessment {
        schema: SCHEMA,
        organisation: profile.organisation.name.clone(),
        date: opts.date,
        regime,
        regime_forced: opts.regime.is_some(),
        window_start,
        sensitivity: chosen.id().to_string(),
        threshold_reading: opts.reading,
        flows,
        transferred: transferred_fig,
        processed: processed_fig,
        exact,
        decision,
        by_standard,
        standards_differ,
        incomplete_undetermined,
        approvals,
        guard,
        excluded_entries,
        settle,
        notes,
        exit_code,
    })
}

/// Notes on the regime: chosen by the date, or forced against it (Provisions Art. 13).
fn regime_notes(notes: &mut Vec<Note>, opts: &Options, regime: Regime, in_force: Regime) {
    match (opts.regime.is_some(), regime, in_force) {
        (false, Regime::Measures2022, _) => notes.push(Note::new(
            "regime-by-date",
            format!(
                "Assessed under the 2022 Measures: on {} the Provisions (in force since 2024-03-22) did not apply yet.",
                opts.date
            ),
            format!(
                "按2022年《办法》评估：{} 时《规定》（2024年3月22日起施行）尚未施行。",
                opts.date
            ),
        )),
        (true, Regime::Measures2022, Regime::Provisions2024) => notes.push(Note::new(
            "regime-forced",
            format!(
                "The 2022 Measures were forced (--regime 2022) for {}, when the Provisions are in force: under Provisions Art. 13, where the Provisions differ from the earlier rules they prevail. Read this result as a review of past transfers, not as today's requirement.",
                opts.date
            ),
            format!(
                "已强制按2022年《办法》评估（--regime 2022），而 {} 时《规定》已施行：依《规定》第十三条，《规定》与此前规定不一致的，以《规定》为准。本结论仅可用于回顾以往出境，不代表现行要求。",
                opts.date
            ),
        )),
        (true, Regime::Provisions2024, Regime::Measures2022) => notes.push(Note::new(
            "regime-forced",
            format!(
                "The 2024 Provisions were forced (--regime 2024) for {}, before they took effect on 2024-03-22: the 2022 Measures applied on that day.",
                opts.date
            ),
            format!(
                "已强制按2024年《规定》评估（--regime 2024），但 {} 早于其施行日2024年3月22日：当日适用2022年《办法》。",
                opts.date
            ),
        )),
        _ => {}
    }
}

/// Notes on which people the 100,000 / 1,000,000 thresholds count.
fn reading_notes(notes: &mut Vec<Note>, reading: ThresholdReading, t: &Figures) {
    match reading {
        ThresholdReading::Everyone => notes.push(Note::new(
            "reading-everyone",
            "Conservative reading (--count-everyone): the 100,000 and 1,000,000 thresholds of Provisions Art. 5(4), 7 and 8, which count PI excluding sensitive PI, are compared with everyone whose PI is provided abroad.",
            "稳妥口径（--count-everyone）：《规定》第五条第（四）项、第七条、第八条中按“个人信息（不含敏感个人信息）”计算的10万人、100万人标准，与全部出境人数比较。",
        )),
        ThresholdReading::NonSensitive if t.non_sensitive_conservative => notes.push(Note::new(
            "reading-non-sensitive-partly-everyone",
            "The 100,000 and 1,000,000 thresholds count people whose PI excluding sensitive PI is provided abroad (Provisions Art. 5(4), 7, 8); part of the data (an inventory or ledger entry of an older pipl-scan) did not record that figure, so everyone in it was counted (the conservative reading). Re-scan and re-add the entries to count it.",
            "10万人、100万人标准按向境外提供个人信息（不含敏感个人信息）的人数计算（《规定》第五条第（四）项、第七条、第八条）；部分数据（旧版 pipl-scan 的清单或台账记录）未记录该数量，故其中全部人员均计入（稳妥口径）。请重新扫描并重新登记台账以计算该数量。",
        )),
        ThresholdReading::NonSensitive => notes.push(Note::new(
            "reading-non-sensitive",
            "The 100,000 and 1,000,000 thresholds count people whose PI excluding sensitive PI is provided abroad (Provisions Art. 5(4), 7, 8): a person whose only PI is sensitive counts toward the 10,000 sensitive threshold only. The conservative reading (everyone) is available with --count-everyone.",
            "10万人、100万人标准按向境外提供个人信息（不含敏感个人信息）的人数计算（《规定》第五条第（四）项、第七条、第八条）：仅有敏感个人信息的个人只计入1万人敏感个人信息标准。可用 --count-everyone 采用稳妥口径（全部人数）。",
        )),
    }
}

/// Says how the requirement of the year changed: entries judged by what was required when
/// they were sent, and the export that raised it.
fn requirement_change_note(
    notes: &mut Vec<Note>,
    l: &Ledger,
    reqs: &mut Requirements,
    years: &std::ops::RangeInclusive<i32>,
    date: NaiveDate,
    now: Mechanism,
    judged_lower: &[(i64, String, NaiveDate, Mechanism)],
) -> Result<()> {
    if judged_lower.is_empty() {
        return Ok(());
    }
    // The first entry after the last one sent under a lower requirement raised it; if none,
    // this inventory's export does.
    let last_lower = judged_lower.iter().map(|j| j.2).max().unwrap_or(date);
    let mut raised_by = None;
    for e in l.entries_until(years.clone(), None, Some(date))? {
        if e.sent_on > last_lower && reqs.at(e.sent_on)?.1 >= now {
            raised_by = Some(e);
            break;
        }
    }
    let list = judged_lower
        .iter()
        .map(|(id, flow, d, m)| format!("#{id} ({flow}, {d}: {})", m.id()))
        .collect::<Vec<_>>()
        .join(", ");
    let (by_en, by_zh) = match &raised_by {
        Some(e) => (
            format!(
                "the export of {} (entry #{}, flow `{}`)",
                e.sent_on, e.id, e.flow
            ),
            format!(
                "{} 的出境（台账记录 #{}，数据流 `{}`）",
                e.sent_on, e.id, e.flow
            ),
        ),
        None => (
            format!("this inventory's export (assessed on {date})"),
            format!("本清单的出境（评估日 {date}）"),
        ),
    };
    notes.push(Note::new(
        "requirement-changed",
        format!(
            "A later export changed the requirement for the year: {by_en} takes the figures to \"{}\". Earlier entries are judged by what was required when they were sent: {list}. From then on, transfers need {}.",
            now.name_en(),
            now.name_en()
        ),
        format!(
            "后续出境改变了本年度的要求：{by_zh}使数量达到“{}”。此前的记录按出境时的要求判断：{list}。自此以后的出境须{}。",
            now.name_zh(),
            now.name_zh()
        ),
    ));
    Ok(())
}

/// When the figures are estimates: the exact command that makes them exact, or `None`.
fn settle_note(inv: &Inventory, has_ledger: bool, t: &Figures, exact: bool) -> Option<Note> {
    if exact {
        return None;
    }
    let roots = if inv.scan.roots.is_empty() {
        "ROOTS".to_string()
    } else {
        inv.scan.roots.join(" ")
    };
    let (en, zh) = if inv.totals.people_unavailable.is_some() {
        // A plain re-scan would give up linking again: more memory, and fail rather than fall
        // back.
        (
            format!(
                "The figures are estimates: the scan gave up linking people ({}). Re-scan with more memory for the people graph and insist on exact figures: `pipl-scan scan {roots} --key-file KEY --link-memory 16G --exact`.",
                inv.totals.people_unavailable.as_deref().unwrap_or("")
            ),
            format!(
                "数量为估计值：扫描未能完成人员关联（{}）。请为关联图分配更多内存并要求精确数量后重新扫描：`pipl-scan scan {roots} --key-file KEY --link-memory 16G --exact`。",
                inv.totals.people_unavailable.as_deref().unwrap_or("")
            ),
        )
    } else if inv.graph.is_none() {
        (
            format!(
                "The figures are estimates: this inventory has no links file (links.bin) beside it. Re-scan with `pipl-scan scan {roots} --key-file KEY` (the same key as the ledger) and keep links.bin beside inventory.json; people are then linked and counted exactly."
            ),
            format!(
                "数量为估计值：本清单旁没有关联文件（links.bin）。请用 `pipl-scan scan {roots} --key-file KEY`（与台账相同的密钥）重新扫描，并将 links.bin 与 inventory.json 放在一起；届时人数将被关联并精确计数。"
            ),
        )
    } else if has_ledger && !t.is_exact() {
        (
            "The figures are estimates: some ledger entries of the window were recorded without a people graph (an older pipl-scan). Re-scan those exports with `pipl-scan scan` and record them again with `pipl-scan ledger add --flow FLOW --sent-on DATE INVENTORY`.".to_string(),
            "数量为估计值：计数期内部分台账记录未保存关联图（旧版 pipl-scan 登记）。请用 `pipl-scan scan` 重新扫描这些出境数据，并用 `pipl-scan ledger add --flow FLOW --sent-on DATE INVENTORY` 重新登记。".to_string(),
        )
    } else {
        (
            "The figures are estimates. Count exactly in the system of record (e.g. SELECT COUNT(DISTINCT id_no) over the exported rows).".to_string(),
            "数量为估计值。请在源系统中精确去重计数（例如对导出数据执行 SELECT COUNT(DISTINCT 证件号)）。".to_string(),
        )
    };
    Some(Note::new("settle-estimates", en, zh))
}
