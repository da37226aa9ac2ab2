//! The command line: the top-level clap definitions, the values and steps more than one command
//! uses, and one module per subcommand owning its arguments and its `run`.
//!
//! Exit codes (documented in `docs/scale.md`): 0 done; 1 with `--strict` when any file was skipped,
//! partial or unreadable; 2 a usage or fatal error (bad flag, bad detector file, no output dir,
//! a root that does not exist, an inventory that could not be written); 3 a `scan --fail-on`
//! condition held; 130 / 143 a scan stopped by SIGINT / SIGTERM, with no inventory written
//! (`docs/scanning.md`); 75 (`scan --state`) the state is in use by another run
//! ([`crate::state::EXIT_LOCKED`]). With `--profile`, `scan` exits with the assessment's code.
//!
//! Exit codes of `assess` and `scan --profile` are in [`crate::assess::exit`]: 0 no mechanism
//! required, 10 standard contract or certification, 11 security assessment, 12 undetermined (a
//! figure's interval straddles a threshold, or the scan was incomplete), 13 data sent without
//! the mechanism it needed and nothing required now, 20 / 21 / 22 as 10 / 11 / 12 with such
//! data; 14 the inventory is altered or inconsistent, 15 its signature is missing or bad; 2 an
//! error, as for every command. `verify` exits 1 when it finds a discrepancy, 14 / 15 when it
//! refuses the inventory. `diff` exits 0 when the inventories agree, 1 when something changed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use crate::assess::ledger::Ledger;
use crate::assess::profile::Profile;
use crate::assess::rules::Regime;
use crate::assess::{Assessment, Options, ThresholdReading};
use crate::detect::Standard;
use crate::inventory::{Inventory, SCHEMA};
use crate::report::{self, Format, Input, Lang, fmt_estimate};

pub mod assess;
pub mod completions;
pub mod detectors;
pub mod diff;
pub mod explain;
pub mod keygen;
pub mod ledger;
pub mod merge;
pub mod scan;
pub mod verify;

#[derive(Debug, Parser)]
#[command(
    name = "pipl-scan",
    version,
    about = "Find personal information and count the people it concerns, for China cross-border data-transfer filings."
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
    /// Standard error as lines for people (`text`: warnings and errors) or as JSON Lines events
    /// for schedulers and log collectors (`json`: start, files not fully read, warnings,
    /// errors and the result, with their fields).
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "FORMAT",
        default_value = "text"
    )]
    pub log_format: crate::log::LogFormat,
}

// Parsed once per run: the size of its largest variant (scan's flags) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and folders and write the data inventory (inventory.json).
    Scan(scan::ScanArgs),
    /// List or test the detectors.
    Detectors {
        #[command(subcommand)]
        command: detectors::DetectorsCommand,
    },
    /// Decide the transfer mechanism for an inventory and an organisation profile; write reports.
    Assess(assess::AssessArgs),
    /// The cumulative outbound ledger: record exports, show year-to-date figures.
    Ledger {
        #[command(subcommand)]
        command: ledger::LedgerCommand,
    },
    /// Check a declaration (declared.toml) against an inventory, for auditors.
    Verify(verify::VerifyArgs),
    /// List every finding of one small file with its evidence (masked values only).
    Explain(explain::ExplainArgs),
    /// Make an Ed25519 key pair for signing inventories (`scan --sign`).
    Keygen(keygen::KeygenArgs),
    /// Join inventories (the shards of a scan, `scan --shard K/N`) into one, as one scan of
    /// everything would have written it.
    Merge(merge::MergeArgs),
    /// What changed between two inventories: sources, categories and headline figures. Exits
    /// 0 when nothing changed, 1 when something did.
    Diff(diff::DiffArgs),
    /// Print the shell completion script (bash, zsh, fish, elvish, powershell): e.g.
    /// `pipl-scan completions bash > /etc/bash_completion.d/pipl-scan`.
    Completions(completions::CompletionsArgs),
}

pub fn run(args: Args) -> Result<ExitCode> {
    crate::log::init(args.log_format, false);
    match args.command {
        Command::Scan(a) => scan::run(a),
        Command::Detectors { command } => detectors::run(command),
        Command::Assess(a) => assess::run(a),
        Command::Ledger { command } => ledger::run(command),
        Command::Verify(a) => verify::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Keygen(a) => keygen::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Completions(a) => completions::run(a),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Sensitivity {
    #[value(name = "gbt45574-2025")]
    Gbt45574_2025,
    #[value(name = "gbt35273-2020")]
    Gbt35273_2020,
}

impl From<Sensitivity> for Standard {
    fn from(s: Sensitivity) -> Standard {
        match s {
            Sensitivity::Gbt45574_2025 => Standard::Gbt45574_2025,
            Sensitivity::Gbt35273_2020 => Standard::Gbt35273_2020,
        }
    }
}

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
    /// Counting rules: 2024 (Provisions) or 2022 (Measures). Default: the regime in force on
    /// the assessment date (the Provisions from 2024-03-22); forcing the other one is noted.
    #[arg(long, value_enum)]
    pub regime: Option<RegimeArg>,
    /// Compare the Provisions' 100,000 / 1,000,000 thresholds ("PI, excluding sensitive PI")
    /// with everyone whose PI is sent, not only people with non-sensitive PI: the conservative
    /// reading, named in the report.
    #[arg(long)]
    pub count_everyone: bool,
    /// Accept an exempt or standard-contract result from an incomplete scan instead of
    /// reporting it as undetermined.
    #[arg(long)]
    pub accept_incomplete: bool,
    /// Exit 0 whatever the determination (for `set -e` scripts); errors still exit 2 and an
    /// altered inventory 14 or 15.
    #[arg(long)]
    pub exit_zero: bool,
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

/// What `verify` and `assess` demand of an inventory before they use it.
#[derive(Debug, Clone, clap::Args)]
pub struct TrustArgs {
    /// Public key (pipl-scan.pub, from `keygen`) the inventory must be signed with
    /// (inventory.json.sig beside it, written by `scan --sign`).
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// Refuse an inventory without a good signature (needs --public-key).
    #[arg(long, requires = "public_key")]
    pub require_signature: bool,
}

/// The checks `verify` and `assess` make before anything else: the signature (when a key is
/// given, when required, or when a signature file is present), then the inventory's internal
/// consistency, whatever the key. `Ok(Err(refusal))` when the inventory must not be used;
/// `Ok(Ok(signer))` otherwise, with the signer's key fingerprint when it was signed.
pub fn gate(
    inv: &Inventory,
    path: &Path,
    trust: &TrustArgs,
) -> Result<std::result::Result<Option<String>, crate::assess::verify::Refusal>> {
    use crate::assess::exit;
    use crate::assess::integrity;
    use crate::assess::verify::Refusal;
    use crate::sign::Check;
    let trusted = trust
        .public_key
        .as_deref()
        .map(crate::sign::read_public)
        .transpose()?;
    let refuse = |summary: String| Refusal {
        summary,
        mismatches: Vec::new(),
        exit_code: exit::SIGNATURE_INVALID,
    };
    let signer = match crate::sign::check_file(path, trusted.as_ref())? {
        Check::Bad(why) => return Ok(Err(refuse(format!("signature invalid: {why}")))),
        Check::Unsigned if trusted.is_some() || trust.require_signature => {
            return Ok(Err(refuse(format!(
                "signature missing: {} has no {} beside it",
                path.display(),
                crate::sign::sig_path(path).display()
            ))));
        }
        Check::Unsigned => None,
        Check::Good {
            fingerprint,
            trusted,
        } => Some(if trusted {
            fingerprint
        } else {
            format!("{fingerprint} (not checked against a trusted key: pass --public-key)")
        }),
    };
    let mismatches = integrity::check(inv, path);
    if !mismatches.is_empty() {
        return Ok(Err(Refusal {
            summary: integrity::ALTERED.to_string(),
            mismatches,
            exit_code: exit::INVENTORY_INCONSISTENT,
        }));
    }
    Ok(Ok(signer))
}

/// An inventory refused by [`gate`]: the message on standard error, the reports asked for in
/// md or html say "inventory altered or inconsistent" (or the signature's failure) and nothing
/// else; returns the refusal's exit code.
pub fn refuse_report(
    path: &Path,
    r: &crate::assess::verify::Refusal,
    opts: &AssessOpts,
    out_dir: &Path,
) -> Result<ExitCode> {
    let mut msg = format!("pipl-scan: {}: {}", path.display(), r.summary);
    for m in &r.mismatches {
        msg.push_str(&format!("\n  {m}"));
    }
    eprintln!("{msg}");
    if let Some(formats) = &opts.format {
        let l = opts.lang;
        let mut d = report::doc::Doc::new(l.t(
            "Inventory refused: no assessment made",
            "数据清单未通过校验：未作评估",
        ));
        d.warn(format!(
            "{}: {}",
            path.display(),
            if r.exit_code == crate::assess::exit::INVENTORY_INCONSISTENT {
                l.t(
                    crate::assess::integrity::ALTERED,
                    crate::assess::integrity::ALTERED_ZH,
                )
                .to_string()
            } else {
                r.summary.clone()
            }
        ));
        d.list(r.mismatches.iter().map(|m| m.to_string()).collect());
        for f in formats {
            let (name, bytes) = match f {
                Format::Md => ("report.md", report::markdown::render(&d).into_bytes()),
                Format::Html => ("report.html", report::html::render(&d, l).into_bytes()),
                _ => continue,
            };
            std::fs::create_dir_all(out_dir)?;
            report::write_atomic(&out_dir.join(name), &bytes)?;
        }
    }
    Ok(ExitCode::from(r.exit_code))
}

/// [`load_inventory`] for `verify` and `assess`: an inventory whose sources or links file is missing,
/// damaged or of another key is refused as altered (exit 14) rather than being an error, with
/// the inventory as read without it (for the refusal's report).
pub fn load_for_gate(path: &Path) -> Result<(Inventory, Option<crate::assess::verify::Refusal>)> {
    match load_inventory(path) {
        Ok(inv) => Ok((inv, None)),
        Err(e) => {
            let Some(bare) = Inventory::load_json(path)
                .ok()
                .filter(|i| i.scan.links.is_some() || i.scan.sources.is_some())
                .filter(|i| i.schema == SCHEMA)
            else {
                return Err(e);
            };
            // Which file failed: the sources file (read first) or the links file.
            let dir = path.parent().unwrap_or(Path::new("."));
            let figure = match &bare.scan.sources {
                Some(r) if crate::sources_file::read(dir, r).is_err() => "scan.sources",
                _ => "scan.links",
            };
            let refusal = crate::assess::verify::Refusal {
                summary: crate::assess::integrity::ALTERED.to_string(),
                mismatches: vec![crate::assess::integrity::Mismatch {
                    figure: figure.into(),
                    message: format!("{e:#}"),
                }],
                exit_code: crate::assess::exit::INVENTORY_INCONSISTENT,
            };
            Ok((bare, Some(refusal)))
        }
    }
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
    checked: Option<Option<String>>,
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
    let a = crate::assess::assess(
        inv,
        &profile,
        ledger.as_ref(),
        &Options {
            regime: opts.regime.map(Into::into),
            date,
            sensitivity,
            reading: if opts.count_everyone {
                ThresholdReading::Everyone
            } else {
                ThresholdReading::NonSensitive
            },
            accept_incomplete: opts.accept_incomplete,
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
                checked,
            },
        )?;
    }
    if !quiet {
        print_assessment(&a, opts.lang, &written);
    }
    Ok(ExitCode::from(if opts.exit_zero { 0 } else { a.exit_code }))
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
    if a.incomplete_undetermined {
        let _ = writeln!(
            o,
            "  ! {}: {}",
            l.t(
                "UNDETERMINED: the scan was incomplete; as far as it was read",
                "尚未确定：扫描不完整；仅就已读取的数据而言"
            ),
            l.t(m.name_en(), m.name_zh())
        );
    } else if d.undetermined() {
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
    } else if d.mechanism <= crate::assess::rules::Mechanism::Exempt {
        let _ = writeln!(
            o,
            "  {}: {}",
            l.t("result", "结论"),
            l.t(d.mechanism.name_en(), d.mechanism.name_zh())
        );
    } else {
        let _ = writeln!(
            o,
            "  {}: {}",
            l.t("required", "须履行"),
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
        "  {}",
        match l {
            Lang::En => format!(
                "{} people's PI is provided abroad: {} of them with sensitive PI, {} with PI that is not sensitive.",
                fmt_estimate(&d.facts.transferred),
                fmt_estimate(&d.facts.transferred_sensitive),
                fmt_estimate(&d.facts.transferred_non_sensitive)
            ),
            Lang::ZhCn => format!(
                "向境外提供 {} 人的个人信息：其中 {} 人含敏感个人信息，{} 人含非敏感个人信息。",
                fmt_estimate(&d.facts.transferred),
                fmt_estimate(&d.facts.transferred_sensitive),
                fmt_estimate(&d.facts.transferred_non_sensitive)
            ),
        }
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
                "an estimate; until it is settled plan for the stricter mechanism",
                "估计值；确认之前请按更严格的程序准备"
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
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for ap in &a.approvals {
        if let Some(v) = ap.valid_through {
            let window = match ap.extension_opens {
                Some(opens) => format!(
                    "{} {opens} {} {}",
                    l.t("apply for the extension from", "延期申请期自"),
                    l.t("to", "至"),
                    day(ap.extension_deadline)
                ),
                None => format!(
                    "{} {}",
                    l.t("re-apply no later than", "重新申报截止"),
                    day(ap.extension_deadline)
                ),
            };
            let _ = writeln!(
                o,
                "  {}: {} {v}; {} {}; {window}",
                ap.flow,
                l.t("valid through", "有效期至"),
                l.t("start extension by", "建议启动延期"),
                day(ap.recommended_start),
            );
        }
        if ap.state == crate::assess::calendar::ApprovalState::FilingOverdue {
            let _ = writeln!(
                o,
                "  ! {}: {} {}",
                ap.flow,
                l.t(
                    "standard contract NOT FILED; the filing deadline was",
                    "标准合同未备案；备案截止日为"
                ),
                day(ap.filing_deadline)
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Args::command().debug_assert();
    }
}
