//! What pipl-scan says on standard error besides its reports: warnings and errors as one line
//! each (`pipl-scan: warning: …`), or with `--log-format json` as JSON Lines events for
//! schedulers and log collectors (the `tracing` crate, written by `tracing-subscriber`'s JSON
//! formatter): `{"timestamp":…,"level":"WARN","fields":{"event":"file","path":…,"status":…,
//! "reason":…}}`.
//!
//! Events carry what the inventory carries — paths, statuses, reasons, figures — and never a
//! value read from a file: reasons and samples are masked where they are made.

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people: warnings and errors only.
    #[default]
    Text,
    /// JSON Lines on stderr: the run's events (start, files not fully read, warnings, the
    /// result) with their fields.
    Json,
}

static JSON: AtomicBool = AtomicBool::new(false);

/// Chooses the format for the rest of the run. With `json`, a subscriber writes every event
/// at `info` and above (`warn` and above when `quiet`) to standard error.
pub fn init(format: LogFormat, quiet: bool) {
    if format != LogFormat::Json {
        return;
    }
    let level = if quiet {
        tracing::Level::WARN
    } else {
        tracing::Level::INFO
    };
    let installed = tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_current_span(false)
        .with_span_list(false)
        .try_init()
        .is_ok();
    JSON.store(installed, Ordering::SeqCst);
}

/// Whether events go out as JSON (`--log-format json`).
pub fn is_json() -> bool {
    JSON.load(Ordering::SeqCst)
}

/// A problem that did not stop the run.
pub fn warn(message: impl Display) {
    if is_json() {
        tracing::warn!(event = "warning", "{message}");
    } else {
        eprintln!("pipl-scan: warning: {message}");
    }
}

/// The error that ends the run (exit 2), or one that ends a step of it.
pub fn error(message: impl Display) {
    if is_json() {
        tracing::error!(event = "error", "{message}");
    } else {
        eprintln!("pipl-scan: error: {message}");
    }
}

/// A note for the person running the command (`pipl-scan: …`), in text; an `info` event in
/// JSON.
pub fn note(message: impl Display) {
    if is_json() {
        tracing::info!(event = "note", "{message}");
    } else {
        eprintln!("pipl-scan: {message}");
    }
}
