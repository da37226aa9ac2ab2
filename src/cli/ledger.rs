//! `ledger add|show`: the cumulative outbound ledger ([`crate::assess::ledger`]) — record what a
//! flow sent, show the year-to-date figures per flow and across flows.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use chrono::{Datelike, NaiveDate};
use clap::Subcommand;

use super::{RegimeArg, load_inventory, today};
use crate::assess::figures::SubjectSketches;
use crate::assess::ledger::{Ledger, NewEntry};
use crate::assess::profile::{Profile, SourceMatcher};
use crate::assess::rules::Regime;
use crate::detect::Standard;
use crate::report::fmt_estimate;

/// Default ledger file, in the current directory.
pub const DEFAULT_LEDGER: &str = "pipl-scan-ledger.db";

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
        /// Calendar year (default: this year): the last year of the window.
        #[arg(long)]
        year: Option<i32>,
        /// Counting window: 2024 (Provisions, default: the year) or 2022 (Measures: the
        /// previous year and the year, "since 1 January of the previous year").
        #[arg(long, value_enum, default_value = "2024")]
        regime: RegimeArg,
        /// List every entry too.
        #[arg(long)]
        entries: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: LedgerCommand) -> Result<ExitCode> {
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
            // The same inventory twice is not counted twice (the entries are unioned), but it
            // is more often a mistake than a second export: say so.
            let sha = crate::assess::integrity::sha256_file(&inventory)?;
            let sig_path = crate::sign::sig_path(&inventory);
            let signature = std::fs::read_to_string(&sig_path)
                .ok()
                .and_then(|t| serde_json::from_str::<crate::sign::SignatureFile>(&t).ok())
                .map(|s| s.signature);
            for e in l.same_inventory(&sha, signature.as_deref())? {
                eprintln!(
                    "pipl-scan: warning: {} was already recorded as entry #{} (flow `{}`, sent {}, from {}): its people are not counted twice, but check that this is a new export and not the same one again",
                    inventory.display(),
                    e.id,
                    e.flow,
                    e.sent_on,
                    e.inventory
                );
            }
            let id = l.add(&NewEntry {
                flow: &flow,
                sent_on,
                inventory: &inventory.display().to_string(),
                inventory_finished_at: &inv.scan.finished_at,
                sources: selected.len() as u64,
                sketches: &sk,
                digest: Some((&sha, signature.as_deref())),
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
            regime,
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
            let regime: Regime = regime.into();
            let window = regime.window_years(year);
            let flows = l.flows(window.clone())?;
            let mut per_flow = Vec::new();
            for f in &flows {
                let n = l.entries(window.clone(), Some(f))?.len();
                per_flow.push((f.clone(), n, l.union(window.clone(), Some(f))?.figures()));
            }
            let all = l.union(window.clone(), None)?.figures();
            let list = if entries {
                l.entries(window.clone(), None)?
            } else {
                Vec::new()
            };
            let from = *window.start();
            let mut o = std::io::stdout().lock();
            if json {
                let v = serde_json::json!({
                    "ledger": ledger.display().to_string(),
                    "year": year,
                    "regime": regime.id(),
                    "window": format!("{from}-01-01 – {year}-12-31"),
                    "flows": per_flow.iter().map(|(f, n, fig)| serde_json::json!({
                        "flow": f, "entries": n, "figures": fig })).collect::<Vec<_>>(),
                    "all_flows": all,
                    "entries": list,
                });
                writeln!(o, "{}", serde_json::to_string_pretty(&v)?)?;
                return Ok(ExitCode::SUCCESS);
            }
            if from == year {
                writeln!(o, "ledger {} — {year}, year to date", ledger.display())?;
            } else {
                writeln!(
                    o,
                    "ledger {} — {from}-01-01 to {year}, to date (2022 Measures: since 1 January of the previous year)",
                    ledger.display()
                )?;
            }
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
