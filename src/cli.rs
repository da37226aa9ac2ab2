//! The command line: clap definitions and the commands they run.
//!
//! Exit codes (documented in the README): 0 done; 1 with `--strict` when any file was skipped,
//! partial or unreadable; 2 a usage or fatal error (bad flag, bad detector file, no output dir).
//! With `--profile`, `scan` exits with the assessment's code (see [`crate::cli_compliance`]).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::detect::{DetectorSet, Standard};
use crate::inventory::Inventory;
use crate::scan::ScanConfig;
use crate::sketch::SketchKey;
use crate::walk::WalkOptions;

#[derive(Debug, Parser)]
#[command(
    name = "pipl-scan",
    version,
    about = "Find personal information and count the people it concerns, for China cross-border data-transfer filings."
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and folders and write the data inventory (inventory.json).
    Scan(ScanArgs),
    /// List or test the detectors.
    Detectors {
        #[command(subcommand)]
        command: DetectorsCommand,
    },
    /// Decide the transfer mechanism for an inventory and an organisation profile; write reports.
    Assess(crate::cli_compliance::AssessArgs),
    /// The cumulative outbound ledger: record exports, show year-to-date figures.
    Ledger {
        #[command(subcommand)]
        command: crate::cli_compliance::LedgerCommand,
    },
    /// Check a declaration (declared.toml) against an inventory, for auditors.
    Verify(crate::cli_compliance::VerifyArgs),
    /// List every finding of one small file with its evidence (masked values only).
    Explain(ExplainArgs),
}

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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Sensitivity {
    #[value(name = "gbt45574-2025")]
    Gbt45574_2025,
    #[value(name = "gbt35273-2020")]
    Gbt35273_2020,
}

impl From<Sensitivity> for Standard {
    fn from(s: Sensitivity) -> Standard {
        match s {
            Sensitivity::Gbt45574_2025 => Standard::Gbt45574_2025,
            Sensitivity::Gbt35273_2020 => Standard::Gbt35273_2020,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files or folders to scan.
    #[arg(required = true)]
    pub roots: Vec<PathBuf>,
    /// Output folder for inventory.json (created if missing).
    #[arg(short, long, default_value = "pipl-scan-out")]
    pub output: PathBuf,
    /// Scan only files matching this glob (path relative to its root, or file name). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Do not scan files or folders matching this glob. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Follow symbolic links (loops are detected and recorded).
    #[arg(long)]
    pub follow_links: bool,
    /// Skip (and record) files larger than this: bytes, or with K, M, G, T suffix (binary units).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Date on which ages are computed (minors under 14); default today. YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub reference_date: Option<chrono::NaiveDate>,
    /// Sensitivity standard the headline sensitive-subject figure uses (both are in the inventory).
    #[arg(long, value_enum, default_value = "gbt45574-2025")]
    pub sensitivity: Sensitivity,
    /// Extra detector files (*.toml): add to or override the built-in catalogue by id.
    #[arg(long, value_name = "DIR")]
    pub detectors: Option<PathBuf>,
    /// Secret key for hashing sketch inputs; created if missing. Default: OUTPUT/sketch.key.
    /// Reuse one key across runs and machines so their sketches can be merged.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar and no summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// Exit with code 1 when any file was skipped, partial or unreadable.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub compliance: crate::cli_compliance::ScanProfileArgs,
    /// Tables: share (0–1) of a field's non-empty values that must validate for the field to be
    /// classified as a detector's column.
    #[arg(long, value_name = "SHARE", default_value_t = 0.6, value_parser = parse_share)]
    pub classify_threshold: f64,
    /// Tables: distinct valid values a field needs to be classified by its values alone.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub classify_min_distinct: u64,
    /// Linking people: an identifier seen beside more than N distinct identifiers of another
    /// kind (a switchboard number, an hr@ mailbox) is shared and links no one.
    #[arg(long, value_name = "N", default_value_t = crate::link::DEFAULT_CAP)]
    pub link_cap: u32,
    /// Memory the people graph (linked identifiers, counted exactly) may take; past it people
    /// are not linked and the figures fall back to estimates of distinct subject keys.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "4G")]
    pub link_memory: u64,
    /// Exact people or nothing: exit 2 if the graph outgrows --link-memory instead of falling
    /// back to estimates.
    #[arg(long)]
    pub exact: bool,
    /// Count only findings with at least this confidence (low: pattern and format; medium: a
    /// checksum or a keyword/header; high: both, or an 18-character resident ID).
    #[arg(long, value_enum, default_value = "low")]
    pub min_confidence: MinConfidence,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MinConfidence {
    Low,
    Medium,
    High,
}

impl From<MinConfidence> for crate::confidence::Confidence {
    fn from(m: MinConfidence) -> Self {
        match m {
            MinConfidence::Low => Self::Low,
            MinConfidence::Medium => Self::Medium,
            MinConfidence::High => Self::High,
        }
    }
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{s}` is not a share between 0 and 1 (example: 0.6)"
        )),
    }
}

#[derive(Debug, Subcommand)]
pub enum DetectorsCommand {
    /// List the detectors: id, names (zh/en), category, sensitivity, identifier, priority.
    List {
        #[arg(long, value_name = "DIR")]
        detectors: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run every detector's own match / no_match examples.
    Test {
        #[arg(long, value_name = "DIR")]
        detectors: Option<PathBuf>,
    },
}

/// Parses `1024`, `10K`, `100M`, `2G`, `1T` (binary units; a trailing `B`/`iB` is allowed).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        Some('T' | 't') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("`{s}` is not a size (examples: 1048576, 512K, 100M, 2G)"))
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::Scan(a) => run_scan(a),
        Command::Detectors { command } => match command {
            DetectorsCommand::List { detectors, json } => list(detectors.as_deref(), json),
            DetectorsCommand::Test { detectors } => test(detectors.as_deref()),
        },
        Command::Assess(a) => crate::cli_compliance::run_assess(a),
        Command::Ledger { command } => crate::cli_compliance::run_ledger(command),
        Command::Verify(a) => crate::cli_compliance::run_verify(a),
        Command::Explain(a) => run_explain(a),
    }
}

fn run_explain(a: ExplainArgs) -> Result<ExitCode> {
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

fn run_scan(a: ScanArgs) -> Result<ExitCode> {
    if let Some(n) = a.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("starting worker threads")?;
    }
    let reference_date = a
        .reference_date
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    // Birth dates after the reference date are not IDs: the detectors judge by it too.
    let set = DetectorSet::load(a.detectors.as_deref())?.with_reference_date(reference_date);
    crate::cli_compliance::before_scan(&a.compliance)?;
    std::fs::create_dir_all(&a.output)
        .with_context(|| format!("creating output folder {}", a.output.display()))?;
    let key_path = a
        .key_file
        .clone()
        .unwrap_or_else(|| a.output.join("sketch.key"));
    let key = SketchKey::load_or_create(&key_path)?;
    let cfg = ScanConfig {
        walk: WalkOptions {
            roots: a.roots.clone(),
            include: a.include.clone(),
            exclude: a.exclude.clone(),
            follow_links: a.follow_links,
            max_file_size: a.max_file_size,
        },
        reference_date,
        sensitivity: a.sensitivity.into(),
        key,
        progress: !a.quiet && std::io::stderr().is_terminal(),
        classify: crate::classify::ClassifyConfig {
            threshold: a.classify_threshold,
            min_distinct: a.classify_min_distinct,
        },
        link_cap: a.link_cap,
        link_memory: a.link_memory,
        min_confidence: a.min_confidence.into(),
    };
    let (mut inv, links) = crate::scan::scan_linked(&cfg, &set)?;
    let links_path = a.output.join(crate::link_file::FILE_NAME);
    if inv.totals.people.is_some() {
        // The link graph first: an inventory never names a links file that is not there.
        links.write(&links_path)?;
        inv.scan.links = Some(crate::inventory::LinksRef {
            file: crate::link_file::FILE_NAME.to_string(),
            format: crate::link_file::SCHEMA.to_string(),
        });
        inv.graph = Some(std::sync::Arc::new(links));
    } else {
        // A links file of an earlier run would not describe this inventory.
        let _ = std::fs::remove_file(&links_path);
        if let Some(why) = &inv.totals.people_unavailable {
            if a.exact {
                anyhow::bail!("--exact: {why}");
            }
            eprintln!("pipl-scan: warning: {why}");
        }
    }
    let path = a.output.join("inventory.json");
    write_atomic(&path, &serde_json::to_vec_pretty(&inv)?)?;
    if !a.quiet {
        print_summary(&inv, &path);
    }
    let failed = !inv.scan.complete;
    let assessed = crate::cli_compliance::after_scan(
        &inv,
        &a.compliance,
        &a.output,
        cfg.reference_date,
        a.quiet,
    )?;
    Ok(if a.strict && failed {
        ExitCode::from(1)
    } else {
        assessed.unwrap_or(ExitCode::SUCCESS)
    })
}

/// Writes through a temporary file and a rename, so a crash never leaves half an inventory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

fn fmt_count(c: &crate::inventory::Count) -> String {
    if c.low == c.high {
        format!("{}", c.estimate)
    } else {
        format!("{} (95%: {}–{})", c.estimate, c.low, c.high)
    }
}

fn print_summary(inv: &Inventory, path: &Path) {
    let s = &inv.scan;
    let t = &inv.totals;
    let mut out = std::io::stdout().lock();
    let status = if s.complete {
        "complete".to_string()
    } else {
        format!(
            "INCOMPLETE: {} partial, {} skipped, {} unreadable, {} errors (see scan.errors)",
            s.files_partial,
            s.files_skipped,
            s.files_unreadable,
            s.errors.len()
        )
    };
    let _ = writeln!(
        out,
        "pipl-scan: {} files scanned, {} bytes — {status}",
        s.files_scanned + s.files_partial,
        s.bytes_scanned
    );
    match (&t.people, &t.people_unavailable) {
        (Some(p), _) => {
            let _ = writeln!(
                out,
                "  people:              {}  (identifiers linked, counted exactly)",
                p.people
            );
            let _ = writeln!(
                out,
                "  people w/ sensitive: {}  [{}]",
                p.sensitive, s.sensitivity
            );
        }
        (None, Some(why)) => {
            let _ = writeln!(out, "  people:              not linked: {why}");
        }
        (None, None) => {}
    }
    let _ = writeln!(
        out,
        "  subjects:            {}  (distinct subject keys: an upper bound on people)",
        fmt_count(&t.subjects)
    );
    let _ = writeln!(
        out,
        "  sensitive subjects:  {}  [{}]",
        fmt_count(&t.sensitive_subjects),
        s.sensitivity
    );
    for (std_id, c) in &t.sensitive_subjects_by_standard {
        if *std_id != s.sensitivity {
            let _ = writeln!(out, "    under {std_id}:   {}", fmt_count(c));
        }
    }
    let _ = writeln!(
        out,
        "  minors (<14):        {}",
        fmt_count(&t.minor_subjects)
    );
    let _ = writeln!(
        out,
        "  records: {}, unidentified records with PI: {}",
        t.records, t.unidentified_records
    );
    let mut cats: Vec<_> = t.categories.iter().collect();
    cats.sort_by_key(|c| std::cmp::Reverse(c.matches));
    if !cats.is_empty() {
        let _ = writeln!(out, "  top categories:");
        for c in cats.iter().take(5) {
            let _ = writeln!(
                out,
                "    {:<16} {:>10} matches, {:>9} distinct{}",
                c.detector,
                c.matches,
                c.distinct.estimate,
                if c.sensitive { "  (sensitive)" } else { "" }
            );
        }
    }
    let _ = writeln!(out, "  inventory: {}", path.display());
}

fn list(dir: Option<&Path>, json: bool) -> Result<ExitCode> {
    let set = DetectorSet::load(dir)?;
    let mut out = std::io::stdout().lock();
    if json {
        let rows: Vec<_> = set
            .detectors()
            .iter()
            .map(|d| {
                serde_json::json!({
                    "id": d.id, "names": d.names, "category": d.category,
                    "sensitive": d.sensitive, "identifier": d.identifier, "priority": d.priority,
                    "header_hints": d.header_hints, "origin": d.origin,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<16} {:<18} {:<8} {:<5} {:<5} {:<5} NAMES",
        "ID", "CATEGORY", "PRIORITY", "SPI45", "SPI35", "IDENT"
    )?;
    for d in set.detectors() {
        let yn = |b: bool| if b { "yes" } else { "no" };
        writeln!(
            out,
            "{:<16} {:<18} {:<8} {:<5} {:<5} {:<5} {} / {}",
            d.id,
            d.category,
            d.priority,
            yn(d.sensitive.gbt45574_2025),
            yn(d.sensitive.gbt35273_2020),
            yn(d.identifier),
            d.names.zh,
            d.names.en
        )?;
    }
    writeln!(
        out,
        "SPI45 / SPI35: sensitive PI under GB/T 45574-2025 / GB/T 35273-2020"
    )?;
    Ok(ExitCode::SUCCESS)
}

fn test(dir: Option<&Path>) -> Result<ExitCode> {
    let set = DetectorSet::load(dir)?;
    let failures = set.check_examples();
    let total: usize = set
        .detectors()
        .iter()
        .map(|d| d.examples.matches.len() + d.examples.no_match.len())
        .sum();
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    if failures.is_empty() {
        println!(
            "ok: {} detectors, {total} examples passed",
            set.detectors().len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} of {total} detector examples failed", failures.len());
        Ok(ExitCode::from(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Args::command().debug_assert();
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("10K"), Ok(10 << 10));
        assert_eq!(parse_size("100MB"), Ok(100 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
