//! pipl-scan's binary: parse the flags, run the library, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = pipl_scan::cli::Args::parse();
    match pipl_scan::cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pipl-scan: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
