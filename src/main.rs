//! pipl-scan's binary: parse the flags, run the library, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Readers run behind catch_unwind and record a failing file in the inventory; the default
    // hook would still print the panic's message, which could quote the data being parsed.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("pipl-scan: internal error{at}");
    }));
    let args = pipl_scan::cli::Args::parse();
    match pipl_scan::cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pipl-scan: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
