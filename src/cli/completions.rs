//! `completions`: prints the shell completion script for pipl-scan's commands and flags
//! (clap_complete, from the same definitions as `--help`), to be sourced by the shell or saved
//! where it looks for completions.

use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(a: CompletionsArgs) -> Result<ExitCode> {
    let mut cmd = super::Args::command();
    // Into memory first: clap_complete panics when it cannot write (a closed pipe), where a
    // write error is what the caller handles.
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "pipl-scan", &mut script);
    std::io::Write::write_all(&mut std::io::stdout(), &script)?;
    Ok(ExitCode::SUCCESS)
}
