//! `explain`: every finding of one small file with its evidence, as text or JSON (masked values
//! only); the work is in [`crate::explain`].

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;

use crate::detect::DetectorSet;

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The file to explain (at most 2 MiB; use `scan` for more).
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ExplainFormat,
    /// Extra detector files (*.toml): add to or override the built-in catalogue by id.
    #[arg(long, value_name = "DIR")]
    pub detectors: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

pub fn run(a: ExplainArgs) -> Result<ExitCode> {
    let set = DetectorSet::load(a.detectors.as_deref())?;
    // The reference date only decides minors, which explain does not show.
    let reference = chrono::Local::now().date_naive();
    let explanation = crate::explain::explain(&a.file, &set, reference)?;
    let mut out = std::io::stdout().lock();
    match a.format {
        ExplainFormat::Text => out.write_all(explanation.to_text().as_bytes())?,
        ExplainFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&explanation)?)?,
    }
    Ok(ExitCode::SUCCESS)
}
