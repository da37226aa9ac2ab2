//! The compliance commands — `assess`, `ledger add|show`, `verify` — and the `--profile` step of
//! `scan`: argument definitions and the glue from [`crate::assess`] to [`crate::report`].
//!
//! Exit codes of `assess` and `scan --profile` are in [`crate::assess::exit`]: 0 no mechanism
//! required, 10 standard contract or certification, 11 security assessment, 12 undetermined (a
//! figure's interval straddles a threshold), 13 data sent without the mechanism it needed; 2 an
//! error, as for every command. `verify` exits 1 when it finds a discrepancy.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use chrono::{Datelike, NaiveDate};
use clap::{Subcommand, ValueEnum};

use crate::assess::figures::SubjectSketches;
use crate::assess::ledger::{Ledger, NewEntry};
use crate::assess::profile::{Profile, SourceMatcher};
use crate::assess::rules::Regime;
use crate::assess::verify::{Declaration, verify};
use crate::assess::{Assessment, Options, assess};
use crate::detect::Standard;
use crate::inventory::{Inventory, SCHEMA};
use crate::report::verify::VerifyFormat;
use crate::report::{self, Format, Input, Lang, fmt_estimate};

/// Default ledger file, in the current directory.
pub const DEFAULT_LEDGER: &str = "pipl-scan-ledger.db";

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RegimeArg {
    /// Provisions on Promoting and Regulating Cross-Border Data Flows (2024), the law in force.
    #[value(name = "2024")]
    P2024,
    /// Security Assessment Measures (2022) and the original Standard Contract Measures, for
    /// transfers made before 2024-03-22.
    #[value(name = "2022")]
    M2022,
}

impl From<RegimeArg> for Regime {
    fn from(r: RegimeArg) -> Regime {
        match r {
            RegimeArg::P2024 => Regime::Provisions2024,
            RegimeArg::M2022 => Regime::Measures2022,
        }
    }
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// The assessment options `scan` and `assess` share.
#[derive(Debug, Clone, clap::Args)]
pub struct AssessOpts {
    /// Counting rules: 2024 (Provisions, default) or 2022 (Measures).
    #[arg(long, value_enum, default_value = "2024")]
    pub regime: RegimeArg,
    /// Cumulative ledger (SQLite) whose entries of the counting window are added to the figures.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Report formats to write, comma-separated: md, html, csv, xlsx, json.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_format)]
    pub format: Option<Vec<Format>>,
    /// Report language: zh-CN or en.
    #[arg(long, value_name = "LANG", value_parser = parse_lang, default_value = "en")]
    pub lang: Lang,
}

/// `scan --profile …`: assess right after scanning; `--precision` to settle a straddled figure.
#[derive(Debug, Clone, clap::Args)]
pub struct ScanProfileArgs {
    /// Sketch precision lg_k, 14 to 21. At 21 people are counted exactly up to about 196,000
    /// per sketch and to ±0.14 % (95 %) above, which settles most figures that straddle a
    /// threshold at 14 (±1.6 %); memory and inventory size grow up to 2 MiB per sketch past that
    /// count (16 KiB at 14).
    #[arg(long, value_name = "LG_K", default_value_t = crate::sketch::DEFAULT_LG_K,
          value_parser = clap::value_parser!(u8).range(14..=21))]
    pub precision: u8,
    /// Organisation profile (pipl-scan.toml): assess the new inventory and exit with the
    /// assessment's code.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    #[command(flatten)]
    pub assess: AssessOpts,
}

#[derive(Debug, clap::Args)]
pub struct AssessArgs {
    /// The inventory (inventory.json) written by `pipl-scan scan`.
    pub inventory: PathBuf,
    /// Organisation profile (pipl-scan.toml).
    #[arg(long, value_name = "FILE")]
    pub profile: PathBuf,
    /// Day of the assessment (YYYY-MM-DD; default today): sets the counting window and the
    /// calendar.
    #[arg(long, value_name = "DATE")]
    pub date: Option<NaiveDate>,
    /// Sensitivity standard of the headline decision (default: the inventory's); the other one
    /// is always shown beside it.
    #[arg(long, value_enum)]
    pub sensitivity: Option<crate::cli::Sensitivity>,
    /// Folder for the reports (default: the inventory's folder).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub opts: AssessOpts,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Record what a flow sent (an inventory of the export) in the cumulative ledger.
    Add {
        /// Flow name (as in the profile).
        #[arg(long)]
        flow: String,
        /// Inventory of the export.
        inventory: PathBuf,
        /// Ledger file (created if missing).
        #[arg(long, value_name = "FILE", default_value = DEFAULT_LEDGER)]
        ledger: PathBuf,
        /// With a profile, only the sources the flow's globs select are recorded; without, the
        /// whole inventory is the export.
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
        /// Day the data was sent (YYYY-MM-DD; default today). Its year is the entry's year.
        #[arg(long, value_name = "DATE")]
        sent_on: Option<NaiveDate>,
    },
    /// Print the year-to-date figures per flow and across flows.
    Show {
        #[arg(long, value_name = "FILE", default_value = DEFAULT_LEDGER)]
        ledger: PathBuf,
        /// Calendar year (default: this year).
        #[arg(long)]
        year: Option<i32>,
        /// List every entry too.
        #[arg(long)]
        entries: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The declaration to check (declared.toml).
    #[arg(long, value_name = "FILE")]
    pub declared: PathBuf,
    /// The inventory of the data.
    pub inventory: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: VerifyFormat,
    /// Write the output to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn load_inventory(path: &Path) -> Result<Inventory> {
    let inv = Inventory::load(path)?;
    if inv.schema != SCHEMA {
        bail!(
            "{}: schema `{}`, expected `{SCHEMA}`",
            path.display(),
            inv.schema
        );
    }
    Ok(inv)
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Assesses, writes the reports, prints the summary; returns the exit code.
#[allow(clippy::too_many_arguments)]
pub fn assess_and_report(
    inv: &Inventory,
    profile_path: &Path,
    opts: &AssessOpts,
    date: NaiveDate,
    sensitivity: Option<Standard>,
    out_dir: &Path,
    quiet: bool,
) -> Result<ExitCode> {
    let profile = Profile::load(profile_path)?;
    // Reading a ledger never creates one: a mistyped path must not pass for an empty year.
    if let Some(p) = &opts.ledger
        && !p.exists()
    {
        bail!(
            "no ledger at {} (create one with `ledger add`)",
            p.display()
        );
    }
    let ledger = opts.ledger.as_deref().map(Ledger::open).transpose()?;
    let a = assess(
        inv,
        &profile,
        ledger.as_ref(),
        &Options {
            regime: opts.regime.into(),
            date,
            sensitivity,
        },
    )?;
    let mut written = Vec::new();
    if let Some(formats) = &opts.format {
        written = report::write(
            out_dir,
            formats,
            &Input {
                inventory: inv,
                assessment: Some(&a),
                profile: Some(&profile),
                lang: opts.lang,
                generated_at: now(),
            },
        )?;
    }
    if !quiet {
        print_assessment(&a, opts.lang, &written);
    }
    Ok(ExitCode::from(a.exit_code))
}

pub fn run_assess(a: AssessArgs) -> Result<ExitCode> {
    let inv = load_inventory(&a.inventory)?;
    let out = a.output.clone().unwrap_or_else(|| {
        a.inventory
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    });
    assess_and_report(
        &inv,
        &a.profile,
        &a.opts,
        a.date.unwrap_or_else(today),
        a.sensitivity.map(Into::into),
        &out,
        a.quiet,
    )
}

/// Before `scan`: sets the sketch precision.
pub fn before_scan(args: &ScanProfileArgs) -> Result<()> {
    crate::sketch::set_default_lg_k(args.precision)?;
    Ok(())
}

/// After `scan`: with `--profile`, assess; without, write inventory-only reports if asked.
pub fn after_scan(
    inv: &Inventory,
    args: &ScanProfileArgs,
    out_dir: &Path,
    date: NaiveDate,
    quiet: bool,
) -> Result<Option<ExitCode>> {
    match &args.profile {
        Some(p) => assess_and_report(inv, p, &args.assess, date, None, out_dir, quiet).map(Some),
        None => {
            if let Some(formats) = &args.assess.format {
                let formats: Vec<Format> = formats
                    .iter()
                    .copied()
                    .filter(|f| *f != Format::Json)
                    .collect();
                let written = report::write(
                    out_dir,
                    &formats,
                    &Input {
                        inventory: inv,
                        assessment: None,
                        profile: None,
                        lang: args.assess.lang,
                        generated_at: now(),
                    },
                )?;
                if !quiet {
                    for w in written {
                        println!("  report: {}", w.display());
                    }
                }
            }
            Ok(None)
        }
    }
}

fn print_assessment(a: &Assessment, l: Lang, written: &[PathBuf]) {
    let mut o = std::io::stdout().lock();
    let d = &a.decision;
    let _ = writeln!(
        o,
        "pipl-scan assess: {} — {} [{}], {} {} – {}",
        a.organisation,
        l.t(a.regime.name_en(), a.regime.name_zh()),
        a.sensitivity,
        l.t("window", "累计期间"),
        a.window_start,
        a.date
    );
    let m = d.conservative();
    if d.undetermined() {
        let _ = writeln!(
            o,
            "  {}: {} → {}",
            l.t(
                "UNDETERMINED (a figure straddles a threshold); plan for",
                "尚未确定（数量区间跨越标准）；请按此准备"
            ),
            l.t(d.mechanism.name_en(), d.mechanism.name_zh()),
            l.t(m.name_en(), m.name_zh())
        );
    } else {
        let _ = writeln!(
            o,
            "  {}: {}",
            l.t("determination", "结论"),
            l.t(d.mechanism.name_en(), d.mechanism.name_zh())
        );
    }
    for r in &d.fired {
        let _ = writeln!(
            o,
            "    {} {} — {} ({})",
            l.t("because", "依据"),
            r.id,
            l.t(r.text_en, r.text_zh),
            l.t(r.basis_en, r.basis_zh)
        );
    }
    let _ = writeln!(
        o,
        "  {}: {}; {}: {}",
        l.t("people provided abroad", "出境人数"),
        fmt_estimate(&d.facts.transferred),
        l.t("with sensitive PI", "其中敏感"),
        fmt_estimate(&d.facts.transferred_sensitive)
    );
    if a.regime == Regime::Measures2022 {
        let _ = writeln!(
            o,
            "  {}: {}",
            l.t("people processed", "处理人数"),
            fmt_estimate(&d.facts.processed)
        );
    }
    for s in &d.straddles {
        let _ = writeln!(
            o,
            "  ! {} {} {} (95%: {}–{}): {}",
            l.t(s.figure.name_en(), s.figure.name_zh()),
            l.t("straddles", "跨越"),
            s.threshold,
            s.value.low,
            s.value.high,
            l.t(
                "an estimate (no link graph in the inventory or ledger). Settle it: re-scan with `pipl-scan scan` (exact people, links.bin beside inventory.json) and re-add the ledger entries, or count exactly in the system of record; until then plan for the stricter mechanism",
                "估计值（清单或台账中无关联图）。确认方法：用 `pipl-scan scan` 重新扫描（精确人数，inventory.json 旁有 links.bin）并重新登记台账，或在源系统中精确去重计数；确认之前请按更严格的程序准备"
            )
        );
    }
    for sd in &a.by_standard {
        let (id, dd) = (&sd.standard, &sd.decision);
        if *id != a.sensitivity {
            let om = dd.conservative();
            let _ = writeln!(
                o,
                "  {} {id}: {} {} → {}{}",
                l.t("under", "按"),
                fmt_estimate(&dd.facts.transferred_sensitive),
                l.t("sensitive", "敏感"),
                l.t(om.name_en(), om.name_zh()),
                if a.standards_differ {
                    l.t("  (DIFFERENT mechanism)", "（程序不同）")
                } else {
                    ""
                }
            );
        }
    }
    for ap in &a.approvals {
        if let Some(v) = ap.valid_through {
            let _ = writeln!(
                o,
                "  {}: {} {v}; {} {}; {} {}",
                ap.flow,
                l.t("valid through", "有效期至"),
                l.t("start extension by", "建议启动延期"),
                ap.recommended_start
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                l.t("apply no later than", "延期申请截止"),
                ap.extension_deadline
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            );
        }
    }
    for g in &a.guard {
        let _ = writeln!(
            o,
            "  ! {} {}: {} #{} ({}, {} {}): {}",
            l.t("flow", "数据流"),
            g.flow,
            l.t("ledger entry", "台账记录"),
            g.entry,
            g.sent_on,
            g.subjects,
            l.t("people", "人"),
            report::content::uncovered_text(g.reason, l)
        );
    }
    for n in &a.notes {
        let _ = writeln!(o, "  - {}", l.t(&n.en, &n.zh));
    }
    for w in written {
        let _ = writeln!(o, "  report: {}", w.display());
    }
    let _ = writeln!(o, "  exit code {}", a.exit_code);
}

pub fn run_ledger(cmd: LedgerCommand) -> Result<ExitCode> {
    match cmd {
        LedgerCommand::Add {
            flow,
            inventory,
            ledger,
            profile,
            sent_on,
        } => {
            let inv = load_inventory(&inventory)?;
            let selected: Vec<_> = match &profile {
                Some(p) => {
                    let profile = Profile::load(p)?;
                    let Some(f) = profile.flow(&flow) else {
                        bail!("profile {} defines no flow `{flow}`", p.display());
                    };
                    let m = SourceMatcher::new(&f.sources)?;
                    inv.sources
                        .iter()
                        .filter(|s| m.matches(&s.path, &inv.scan.roots))
                        .collect()
                }
                None => inv.sources.iter().collect(),
            };
            let mut sk = SubjectSketches::empty();
            sk.key_id = Some(inv.scan.sketch.key_id.clone());
            for s in &selected {
                sk.merge(&SubjectSketches::of_source(&inv, s)?)?;
            }
            let mut l = Ledger::open(&ledger)?;
            let sent_on = sent_on.unwrap_or_else(today);
            let id = l.add(&NewEntry {
                flow: &flow,
                sent_on,
                inventory: &inventory.display().to_string(),
                inventory_finished_at: &inv.scan.finished_at,
                sources: selected.len() as u64,
                sketches: &sk,
            })?;
            let year = l
                .union(sent_on.year()..=sent_on.year(), Some(&flow))?
                .figures();
            println!(
                "ledger {}: entry #{id}, flow `{flow}`, sent {sent_on}: {} people ({} sources); {} year to date: {} people",
                ledger.display(),
                fmt_estimate(&sk.figures().subjects),
                selected.len(),
                sent_on.year(),
                fmt_estimate(&year.subjects)
            );
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Show {
            ledger,
            year,
            entries,
            json,
        } => {
            if !ledger.exists() {
                bail!(
                    "no ledger at {} (create one with `ledger add`)",
                    ledger.display()
                );
            }
            let l = Ledger::open(&ledger)?;
            let year = year.unwrap_or_else(|| today().year());
            let flows = l.flows(year..=year)?;
            let mut per_flow = Vec::new();
            for f in &flows {
                let n = l.entries(year..=year, Some(f))?.len();
                per_flow.push((f.clone(), n, l.union(year..=year, Some(f))?.figures()));
            }
            let all = l.union(year..=year, None)?.figures();
            let list = if entries {
                l.entries(year..=year, None)?
            } else {
                Vec::new()
            };
            let mut o = std::io::stdout().lock();
            if json {
                let v = serde_json::json!({
                    "ledger": ledger.display().to_string(),
                    "year": year,
                    "flows": per_flow.iter().map(|(f, n, fig)| serde_json::json!({
                        "flow": f, "entries": n, "figures": fig })).collect::<Vec<_>>(),
                    "all_flows": all,
                    "entries": list,
                });
                writeln!(o, "{}", serde_json::to_string_pretty(&v)?)?;
                return Ok(ExitCode::SUCCESS);
            }
            writeln!(o, "ledger {} — {year}, year to date", ledger.display())?;
            writeln!(
                o,
                "{:<24} {:>7} {:>28} {:>22} {:>22}",
                "FLOW", "ENTRIES", "PEOPLE (95%)", "SENSITIVE gbt45574", "SENSITIVE gbt35273"
            )?;
            for (f, n, fig) in &per_flow {
                writeln!(
                    o,
                    "{:<24} {:>7} {:>28} {:>22} {:>22}",
                    f,
                    n,
                    fmt_estimate(&fig.subjects),
                    fmt_estimate(&fig.sensitive(Standard::Gbt45574_2025)),
                    fmt_estimate(&fig.sensitive(Standard::Gbt35273_2020))
                )?;
            }
            writeln!(
                o,
                "{:<24} {:>7} {:>28} {:>22} {:>22}",
                "(all flows, union)",
                per_flow.iter().map(|(_, n, _)| n).sum::<usize>(),
                fmt_estimate(&all.subjects),
                fmt_estimate(&all.sensitive(Standard::Gbt45574_2025)),
                fmt_estimate(&all.sensitive(Standard::Gbt35273_2020))
            )?;
            for e in &list {
                writeln!(
                    o,
                    "  #{:<5} {} {:<20} {:>10} people  {}",
                    e.id, e.sent_on, e.flow, e.figures.subjects.estimate, e.inventory
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn run_verify(a: VerifyArgs) -> Result<ExitCode> {
    let inv = load_inventory(&a.inventory)?;
    let decl = Declaration::load(&a.declared)?;
    let v = verify(&inv, &decl)?;
    let text = report::verify::render(&v, a.format)?;
    match &a.output {
        Some(p) => report::write_atomic(p, text.as_bytes())?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::from(v.exit_code()))
}
