//! pipl-scan's binary: parse the flags, run the library, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Readers run behind catch_unwind and record a failing file in the inventory; the default
    // hook would still print the panic's message, which could quote the data being parsed.
    std::panic::set_hook(Box::new(|info| {
        // `println!` into a closed pipe (`pipl-scan … | head`): the reader has all it wanted.
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        pipl_scan::log::error(format_args!("internal error{at}"));
    }));
    let args = pipl_scan::cli::Args::parse();
    match pipl_scan::cli::run(args) {
        Ok(code) => code,
        // A closed pipe on stdout ends the output quietly, as it does for other Unix tools.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            pipl_scan::log::error(format_args!("{e:#}"));
            ExitCode::from(2)
        }
    }
}
