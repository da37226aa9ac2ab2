//! `assess`: decides the transfer mechanism for an inventory and an organisation profile and
//! writes the reports. The step itself, shared with `scan --profile`, is
//! [`super::assess_and_report`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;

use super::{AssessOpts, Sensitivity, assess_and_report, load_inventory, today};

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
    pub sensitivity: Option<Sensitivity>,
    /// Folder for the reports (default: the inventory's folder).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub opts: AssessOpts,
}

pub fn run(a: AssessArgs) -> Result<ExitCode> {
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
