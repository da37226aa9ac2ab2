//! Writes the command-line reference from the clap definitions, so it cannot drift from the
//! program: `docs/reference.md` (with clap-markdown) and one man page per command in
//! `docs/man/` (with clap_mangen: `pipl-scan.1`, `pipl-scan-scan.1`, …).
//!
//! ```sh
//! cargo run --example gen_reference          # rewrite docs/reference.md and docs/man/
//! ```
//!
//! `tests/reference.rs` renders both in memory with the functions below and fails when the
//! committed files differ, or when a subcommand or flag is missing from the reference: run this
//! after changing any `#[arg]` or `#[command]`.

use std::path::Path;

use clap::CommandFactory;

/// The command whose reference this is: the product CLI, as `pipl-scan` parses it.
pub fn command() -> clap::Command {
    pipl_scan::cli::Args::command()
}

/// The command that regenerates the reference (named in the file and in test failures).
pub const REGENERATE: &str = "cargo run --example gen_reference";

/// `docs/reference.md`, relative to the repository root.
pub const MARKDOWN_PATH: &str = "docs/reference.md";

/// The folder of the man pages, relative to the repository root.
pub const MAN_DIR: &str = "docs/man";

/// The Markdown reference: every command, subcommand, argument and flag with its help text,
/// default and possible values.
pub fn markdown() -> String {
    let options = clap_markdown::MarkdownOptions::new()
        .title("Command-line reference".to_string())
        .show_footer(false);
    let body = clap_markdown::help_markdown_command_custom(&command(), &options);
    format!(
        "<!-- Generated from the clap definitions in src/cli/ by `{REGENERATE}`. \
         Do not edit: tests/reference.rs fails when this file is not what it generates. -->\n\n\
         {}\n",
        body.trim_end()
    )
}

/// The man pages: (file name, roff) for the top-level command and every subcommand, as
/// `clap_mangen::generate_to` names them, rendered in memory.
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    // clap_mangen's generate_to builds the command (display names `pipl-scan-scan` …) and
    // leaves out clap's `help` subcommand; do the same, rendering to memory instead of files.
    let mut cmd = command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect_pages(cmd, &mut pages);
    pages.sort_by(|a, b| a.0.cmp(&b.0));
    pages
}

fn collect_pages(cmd: clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect_pages(sub.clone(), pages);
    }
    // The default source is the subcommand's own name and version (`add `); name the program.
    let man = clap_mangen::Man::new(cmd)
        .source(format!("pipl-scan {}", env!("CARGO_PKG_VERSION")))
        .manual("pipl-scan manual");
    let mut roff = Vec::new();
    man.render(&mut roff)
        .expect("rendering to memory cannot fail");
    pages.push((man.get_filename(), roff));
}

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let md = root.join(MARKDOWN_PATH);
    std::fs::write(&md, markdown())?;
    println!("wrote {}", md.display());
    let man_dir = root.join(MAN_DIR);
    // Pages of commands that no longer exist must not linger.
    if man_dir.exists() {
        std::fs::remove_dir_all(&man_dir)?;
    }
    std::fs::create_dir_all(&man_dir)?;
    for (name, roff) in man_pages() {
        std::fs::write(man_dir.join(&name), roff)?;
        println!("wrote {}", man_dir.join(name).display());
    }
    Ok(())
}
