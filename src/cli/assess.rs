//! `assess`: decides the transfer mechanism for an inventory and an organisation profile and
//! writes the reports. The step itself, shared with `scan --profile`, is
//! [`super::assess_and_report`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;

use super::{
    AssessOpts, Sensitivity, TrustArgs, assess_and_report, gate, load_for_gate, refuse_report,
    today,
};

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
    #[command(flatten)]
    pub trust: TrustArgs,
}

pub fn run(a: AssessArgs) -> Result<ExitCode> {
    let (inv, unreadable_links) = load_for_gate(&a.inventory)?;
    let out = a.output.clone().unwrap_or_else(|| {
        a.inventory
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    });
    // The inventory first: its signature and its consistency, before any figure is used.
    if let Some(r) = unreadable_links {
        return refuse_report(&a.inventory, &r, &a.opts, &out);
    }
    let signer = match gate(&inv, &a.inventory, &a.trust)? {
        Err(refusal) => return refuse_report(&a.inventory, &refusal, &a.opts, &out),
        Ok(signer) => signer,
    };
    if let (Some(k), false) = (&signer, a.quiet) {
        println!(
            "pipl-scan assess: {} signed by key {k}",
            a.inventory.display()
        );
    }
    assess_and_report(
        &inv,
        &a.profile,
        &a.opts,
        a.date.unwrap_or_else(today),
        a.sensitivity.map(Into::into),
        &out,
        a.quiet,
        Some(signer),
    )
}
