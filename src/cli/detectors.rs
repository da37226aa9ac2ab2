//! `detectors list|test`: the detector catalogue (built-in plus `--detectors DIR`) as a table or
//! JSON, and every detector's own match / no_match examples run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use crate::detect::DetectorSet;

#[derive(Debug, Subcommand)]
pub enum DetectorsCommand {
    /// List the detectors: id, names (zh/en), category, sensitivity, identifier, priority.
    List {
        #[arg(long, value_name = "DIR")]
        detectors: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run every detector's own match / no_match examples.
    Test {
        #[arg(long, value_name = "DIR")]
        detectors: Option<PathBuf>,
    },
}

pub fn run(command: DetectorsCommand) -> Result<ExitCode> {
    match command {
        DetectorsCommand::List { detectors, json } => list(detectors.as_deref(), json),
        DetectorsCommand::Test { detectors } => test(detectors.as_deref()),
    }
}

fn list(dir: Option<&Path>, json: bool) -> Result<ExitCode> {
    let set = DetectorSet::load(dir)?;
    let mut out = std::io::stdout().lock();
    if json {
        let rows: Vec<_> = set
            .detectors()
            .iter()
            .map(|d| {
                serde_json::json!({
                    "id": d.id, "names": d.names, "category": d.category,
                    "sensitive": d.sensitive, "identifier": d.identifier, "priority": d.priority,
                    "header_hints": d.header_hints, "origin": d.origin,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<16} {:<18} {:<8} {:<5} {:<5} {:<5} NAMES",
        "ID", "CATEGORY", "PRIORITY", "SPI45", "SPI35", "IDENT"
    )?;
    for d in set.detectors() {
        let yn = |b: bool| if b { "yes" } else { "no" };
        writeln!(
            out,
            "{:<16} {:<18} {:<8} {:<5} {:<5} {:<5} {} / {}",
            d.id,
            d.category,
            d.priority,
            yn(d.sensitive.gbt45574_2025),
            yn(d.sensitive.gbt35273_2020),
            yn(d.identifier),
            d.names.zh,
            d.names.en
        )?;
    }
    writeln!(
        out,
        "SPI45 / SPI35: sensitive PI under GB/T 45574-2025 / GB/T 35273-2020"
    )?;
    Ok(ExitCode::SUCCESS)
}

fn test(dir: Option<&Path>) -> Result<ExitCode> {
    let set = DetectorSet::load(dir)?;
    let failures = set.check_examples();
    let total: usize = set
        .detectors()
        .iter()
        .map(|d| d.examples.matches.len() + d.examples.no_match.len())
        .sum();
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    if failures.is_empty() {
        println!(
            "ok: {} detectors, {total} examples passed",
            set.detectors().len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} of {total} detector examples failed", failures.len());
        Ok(ExitCode::from(1))
    }
}
