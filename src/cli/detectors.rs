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
    /// List the detectors: id, names (zh/en), category, sensitivity under both standards,
    /// identifier, priority.
    List {
        #[arg(long, value_name = "DIR")]
        detectors: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print the Markdown table of docs/detectors.md (the catalogue, generated from the
        /// detector files).
        #[arg(long)]
        markdown: bool,
    },
    /// Run every detector's own match / no_match examples.
    Test {
        #[arg(long, value_name = "DIR")]
        detectors: Option<PathBuf>,
    },
}

pub fn run(command: DetectorsCommand) -> Result<ExitCode> {
    match command {
        DetectorsCommand::List {
            detectors,
            json,
            markdown,
        } => list(detectors.as_deref(), json, markdown),
        DetectorsCommand::Test { detectors } => test(detectors.as_deref()),
    }
}

fn list(dir: Option<&Path>, json: bool, markdown: bool) -> Result<ExitCode> {
    let set = DetectorSet::load(dir)?;
    let mut out = std::io::stdout().lock();
    if markdown {
        write!(out, "{}", self::markdown(&set))?;
        return Ok(ExitCode::SUCCESS);
    }
    if json {
        let rows: Vec<_> = set
            .detectors()
            .iter()
            .map(|d| {
                serde_json::json!({
                    "id": d.id, "names": d.names, "category": d.category,
                    "sensitive": d.sensitive, "identifier": d.identifier, "personal": d.personal,
                    "priority": d.priority, "found_by": found_by(&set, d),
                    "validator": d.validator.map(|v| v.name()),
                    "header_hints": d.header_hints, "origin": d.origin,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<20} {:<18} {:<8} {:<5} {:<5} {:<5} {:<8} NAMES",
        "ID", "CATEGORY", "PRIORITY", "SPI45", "SPI35", "IDENT", "FOUND-BY"
    )?;
    for d in set.detectors() {
        let yn = |b: bool| if b { "yes" } else { "no" };
        writeln!(
            out,
            "{:<20} {:<18} {:<8} {:<5} {:<5} {:<5} {:<8} {} / {}",
            d.id,
            d.category,
            d.priority,
            yn(d.sensitive.gbt45574_2025),
            yn(d.sensitive.gbt35273_2020),
            if d.personal { yn(d.identifier) } else { "org" },
            found_by(&set, d),
            d.names.zh,
            d.names.en
        )?;
    }
    writeln!(
        out,
        "SPI45 / SPI35: sensitive PI under GB/T 45574-2025 / GB/T 35273-2020; IDENT: a subject \
         key (org: business data, never a person); FOUND-BY: free (anywhere), context (needs \
         a keyword or a naming column), header (only in a naming column)"
    )?;
    Ok(ExitCode::SUCCESS)
}

/// How a detector finds its values: `free` (anywhere its pattern and check pass), `context`
/// (some pattern needs a keyword or a naming column) or `header` (only in a naming column).
fn found_by(set: &DetectorSet, d: &crate::detect::Detector) -> &'static str {
    let di = set.index_of(&d.id).unwrap_or(usize::MAX);
    if di < set.len() && set.is_header_driven(di) {
        "header"
    } else if d
        .patterns
        .iter()
        .all(|p| p.requires_context || p.requires_header)
    {
        "context"
    } else {
        "free"
    }
}

/// The catalogue as the Markdown table of docs/detectors.md, one row per detector in priority
/// order; `tests/categories.rs` keeps the docs equal to it.
pub fn markdown(set: &DetectorSet) -> String {
    let yn = |b: bool| if b { "yes" } else { "no" };
    let mut s = String::from(
        "| id | name | category | sensitive GB/T 45574-2025 | sensitive GB/T 35273-2020 | subject key | found by | check |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for d in set.detectors() {
        let key = if !d.personal {
            "no (business data)"
        } else {
            yn(d.identifier)
        };
        s.push_str(&format!(
            "| `{}` | {} / {} | {} | {} | {} | {} | {} | {} |\n",
            d.id,
            d.names.zh,
            d.names.en,
            d.category,
            yn(d.sensitive.gbt45574_2025),
            yn(d.sensitive.gbt35273_2020),
            key,
            found_by(set, d),
            d.validator
                .map_or("—".to_string(), |v| format!("`{}`", v.name())),
        ));
    }
    s
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
