//! `diff`: what changed between two inventories ([`crate::diff`]): sources and categories
//! added, removed and changed, and the change of every headline figure, as text for a person
//! (the mail of a nightly job) or as JSON for a machine. Exits as `diff` does: 0 no change,
//! 1 changes, 2 an error.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::inventory::{Inventory, SCHEMA};
use crate::merge::inventory_path;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DiffFormat {
    /// For people: the headline figures, then the sources and categories that changed.
    Text,
    /// For machines: every figure and every change (`pipl-scan/diff/v1`).
    Json,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The earlier inventory: an output folder of `scan` or `merge`, or its inventory.json.
    pub old: PathBuf,
    /// The later inventory, likewise.
    pub new: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// Text: sources listed per kind of change (added, removed, changed) before "… and N
    /// more". JSON lists them all.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Write the output to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 0 whether or not anything changed (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
}

/// Reads an inventory and its sources, in either form (the links file is not needed to
/// compare figures).
fn read(path: &Path) -> Result<Inventory> {
    let path = inventory_path(path);
    let inv = Inventory::load_without_links(&path)?;
    if inv.schema != SCHEMA {
        bail!(
            "{}: schema `{}`, expected `{SCHEMA}`",
            path.display(),
            inv.schema
        );
    }
    Ok(inv)
}

pub fn run(a: DiffArgs) -> Result<ExitCode> {
    let old = read(&a.old)?;
    let new = read(&a.new)?;
    let d = crate::diff::diff(
        &a.old.display().to_string(),
        &old,
        &a.new.display().to_string(),
        &new,
    );
    let text = match a.format {
        DiffFormat::Text => crate::diff::render_text(&d, a.limit),
        DiffFormat::Json => {
            let mut s = serde_json::to_string_pretty(&d)?;
            s.push('\n');
            s
        }
    };
    match &a.output {
        Some(p) => crate::report::write_atomic(p, text.as_bytes())?,
        None => {
            // A closed pipe (`| head`) ends the output, not the program with a panic.
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
    Ok(ExitCode::from(if d.changed && !a.exit_zero {
        1
    } else {
        0
    }))
}
