//! `keygen`: makes the Ed25519 key pair that `scan --sign` signs inventories with
//! ([`crate::sign`]): `pipl-scan.key` (secret, mode 0600) and `pipl-scan.pub` (give it to
//! whoever checks the inventories: `verify`/`assess --public-key`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Folder for pipl-scan.key and pipl-scan.pub (created if missing; an existing secret key
    /// is never overwritten).
    #[arg(short, long, value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
}

pub fn run(a: KeygenArgs) -> Result<ExitCode> {
    let (secret, public, fp) = crate::sign::keygen(&a.output)?;
    println!(
        "pipl-scan keygen: key {fp}\n  secret: {} (keep it private; sign with `scan --sign {}`)\n  public: {} (for `verify`/`assess --public-key`)",
        secret.display(),
        secret.display(),
        public.display()
    );
    Ok(ExitCode::SUCCESS)
}
