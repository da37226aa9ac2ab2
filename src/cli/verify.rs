//! `verify`: checks a declaration (declared.toml) against an inventory, for auditors; exits 1
//! when it finds a discrepancy. The check is [`crate::assess::verify`], the output
//! [`crate::report::verify`].

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::{TrustArgs, gate, load_for_gate};
use crate::assess::verify::{Declaration, Verification, verify};
use crate::report;
use crate::report::verify::VerifyFormat;

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
    #[command(flatten)]
    pub trust: TrustArgs,
}

pub fn run(a: VerifyArgs) -> Result<ExitCode> {
    let (inv, unreadable_links) = load_for_gate(&a.inventory)?;
    let decl = Declaration::load(&a.declared)?;
    // The inventory first: its signature and its consistency, before any declared figure.
    let checked = match unreadable_links {
        Some(r) => Err(r),
        None => gate(&inv, &a.inventory, &a.trust)?,
    };
    let v = match checked {
        Err(refusal) => Verification::refused(&inv, &decl, refusal),
        Ok(signer) => Verification {
            signed_by: signer,
            ..verify(&inv, &decl)?
        },
    };
    let text = report::verify::render(&v, a.format)?;
    match &a.output {
        Some(p) => report::write_atomic(p, text.as_bytes())?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::from(v.exit_code()))
}
