//! The accuracy benchmark: generates a labelled corpus shaped like a company file share, runs
//! the scanner over it in-process and prints precision and recall per detector, recall per way
//! of writing a value, false positives per trap class and the error of every people figure of
//! the inventory, as Markdown.
//!
//! ```sh
//! cargo run --release --example accuracy -- [--people N] [--seed S] [--out DIR] [--check]
//!                                           [--generate-only]
//! ```
//!
//! `--out DIR` keeps the corpus (`DIR/share/…`, `DIR/truth.json`); without it a temporary
//! folder is used and removed. `--check` exits 1 when a target is missed (identifier precision
//! ≥ 99.5 %, recall ≥ 99 %, people within 1 %); without it the table is printed and the exit
//! code is 0 whatever it says, since it measures work in progress. `--generate-only` writes the
//! corpus and stops.

mod corpus;
mod measure;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

struct Args {
    people: usize,
    seed: u64,
    out: Option<PathBuf>,
    check: bool,
    generate_only: bool,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        people: 5000,
        seed: corpus::SEED,
        out: None,
        check: false,
        generate_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--people" => {
                let v = value("--people")?;
                a.people = v
                    .parse()
                    .ok()
                    .filter(|&n| n >= 20)
                    .with_context(|| format!("--people `{v}`: a number of at least 20"))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                let t = v.trim_start_matches("0x");
                a.seed = u64::from_str_radix(t, if t.len() < v.len() { 16 } else { 10 })
                    .with_context(|| format!("--seed `{v}`: a number (decimal or 0x…)"))?;
            }
            "--out" => a.out = Some(PathBuf::from(value("--out")?)),
            "--check" => a.check = true,
            "--generate-only" => a.generate_only = true,
            "-h" | "--help" => {
                println!(
                    "usage: accuracy [--people N] [--seed S] [--out DIR] [--check] [--generate-only]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}` (see --help)"),
        }
    }
    Ok(a)
}

/// Makes `dir` ready for a corpus: a missing or empty folder, or one holding an earlier corpus
/// (which is removed, so no file of it is scanned with the new truth).
fn prepare(dir: &Path) -> Result<()> {
    if dir.join("truth.json").is_file() {
        let share = dir.join("share");
        if share.exists() {
            std::fs::remove_dir_all(&share)
                .with_context(|| format!("removing the earlier corpus {}", share.display()))?;
        }
    } else if dir.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{} is not empty and holds no corpus (no truth.json): choose another --out",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

fn run() -> Result<ExitCode> {
    let args = parse_args()?;
    let tmp;
    let dir = match &args.out {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir().context("creating a temporary folder")?;
            tmp.path().to_path_buf()
        }
    };
    prepare(&dir)?;
    let truth = corpus::generate(&dir, args.people, args.seed);
    if args.generate_only {
        eprintln!(
            "accuracy: corpus of {} people, {} files written to {}",
            truth.people,
            truth.files.len(),
            dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let m = measure::measure(&dir, &truth)?;
    print!("{}", m.markdown());
    Ok(if args.check && !m.misses().is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn main() -> ExitCode {
    run().unwrap_or_else(|e| {
        eprintln!("accuracy: error: {e:#}");
        ExitCode::from(2)
    })
}
