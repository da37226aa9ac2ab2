//! `scan`: walks the roots, writes the data inventory (inventory.json) and the link graph beside
//! it, prints the summary; with `--profile`, assesses the new inventory at once
//! ([`super::assess_and_report`]).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::NaiveDate;

use super::{AssessOpts, Sensitivity, assess_and_report, now};
use crate::detect::DetectorSet;
use crate::inventory::Inventory;
use crate::report::{self, Format, Input};
use crate::scan::ScanConfig;
use crate::sketch::SketchKey;
use crate::walk::WalkOptions;

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files or folders to scan.
    #[arg(required_unless_present = "files_from", conflicts_with = "files_from")]
    pub roots: Vec<PathBuf>,
    /// Scan exactly the paths listed in FILE (one a line; `-` reads standard input) instead of
    /// roots: a listed folder is walked, a listed path that does not exist is recorded in
    /// scan.errors. --include, --exclude and --max-file-size still apply.
    #[arg(long, value_name = "FILE")]
    pub files_from: Option<PathBuf>,
    /// The --files-from list is separated by NUL bytes (`find -print0`), not lines.
    #[arg(long, requires = "files_from")]
    pub null: bool,
    /// Scan only shard K of N (K from 0 to N-1): the files whose path relative to its root
    /// hashes (SHA-256) to K modulo N, the same on every machine. The N shards' inventories
    /// together hold every file once; `pipl-scan merge` joins them.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::walk::Shard>,
    /// Keep every file's results in FILE (an SQLite database, created if missing) and, on the
    /// next run with the same FILE, read only the files that are new or changed (size, times,
    /// inode): the others' stored results are used and deleted files dropped, and the inventory
    /// is the one a full scan would write. Another pipl-scan version, detector set, key,
    /// --precision, --reference-date, --min-confidence or --ocr makes every file read again.
    /// A second run on the same FILE while one runs exits 75.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// With --state: also compare a hash of each file's bytes (xxHash64), so that a change that
    /// kept the size and times is seen too; every file is then read once for the hash.
    #[arg(long, requires = "state")]
    pub verify_content: bool,
    /// Output folder for inventory.json (created if missing).
    #[arg(short, long, default_value = "pipl-scan-out")]
    pub output: PathBuf,
    /// Where the sources go: `inline` in inventory.json's `sources` array, or `jsonl` in
    /// sources.jsonl beside a compact inventory.json (one source a line; for shares of many
    /// files). Every command that reads inventories reads both.
    #[arg(long, value_enum, value_name = "FORM", default_value = "inline")]
    pub sources: crate::sources_file::SourcesForm,
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
    /// Read the text in images (JPEG, PNG, HEIC, TIFF) by OCR and scan it. Needs Tesseract with
    /// its Simplified Chinese data (Debian: `tesseract-ocr tesseract-ocr-chi-sim`); nothing is
    /// downloaded.
    #[arg(long)]
    pub ocr: bool,
    /// No progress bar and no summary; files that could not be read in full are still
    /// listed on stderr (the first 5), as errors are by any quiet tool.
    #[arg(short, long)]
    pub quiet: bool,
    /// Exit with code 1 when any file was skipped, partial or unreadable.
    #[arg(long)]
    pub strict: bool,
    /// The summary on stdout: as text, or as one JSON object for scripts and schedulers.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub summary: SummaryFormat,
    /// Exit with code 3 when one of these holds (comma-separated): `incomplete` (a file
    /// skipped, partial or unreadable, or a walk error), `pi-found` (any personal information),
    /// `sensitive-found` (anyone with sensitive PI under the chosen standard),
    /// `assessment-required` (with --profile: a mechanism is required, or undetermined).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub fail_on: Vec<FailOn>,
    /// Sign the inventory with this Ed25519 secret key (pipl-scan.key, from `pipl-scan
    /// keygen`): writes inventory.json.sig beside it, which `verify` and `assess` check.
    #[arg(long, value_name = "KEYFILE")]
    pub sign: Option<PathBuf>,
    #[command(flatten)]
    pub compliance: ScanProfileArgs,
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
    /// Memory the people graph (linked identifiers, counted exactly) may take; past it each
    /// source's graph is written to sorted runs on disk (--spill-dir) and people are still
    /// counted exactly.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "4G")]
    pub link_memory: u64,
    /// Folder for the people graph's runs past --link-memory (default: the system's temporary
    /// folder, $TMPDIR). Removed when the scan ends.
    #[arg(long, value_name = "DIR")]
    pub spill_dir: Option<PathBuf>,
    /// Exact people or nothing: exit 2 if people cannot be counted exactly (the graph's runs
    /// could not be written or read back) instead of falling back to estimates.
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

impl MinConfidence {
    /// As written on the command line and in the inventory's `scan.options`.
    pub fn id(self) -> &'static str {
        match self {
            MinConfidence::Low => "low",
            MinConfidence::Medium => "medium",
            MinConfidence::High => "high",
        }
    }
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

/// `scan --profile …`: assess right after scanning; `--precision` to settle a straddled figure.
#[derive(Debug, Clone, clap::Args)]
pub struct ScanProfileArgs {
    /// Sketch precision lg_k, 14 to 21. At 21 people are counted exactly up to about 196,000
    /// per sketch and to ±0.14 % (95 %) above, which settles most figures that straddle a
    /// threshold at 14 (±1.6 %); memory and inventory size grow up to 2 MiB per sketch past that
    /// count (16 KiB at 14).
    #[arg(long, value_name = "LG_K", default_value_t = crate::sketch::DEFAULT_LG_K,
          value_parser = clap::value_parser!(u8).range(14..=21))]
    pub precision: u8,
    /// Organisation profile (pipl-scan.toml): assess the new inventory and exit with the
    /// assessment's code.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    #[command(flatten)]
    pub assess: AssessOpts,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    Text,
    Json,
}

/// What `--fail-on` can make a scan fail on (exit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Incomplete,
    PiFound,
    SensitiveFound,
    AssessmentRequired,
}

/// Exit code of a scan that met a `--fail-on` condition.
pub const EXIT_FAIL_ON: u8 = 3;

pub fn run(a: ScanArgs) -> Result<ExitCode> {
    if a.fail_on.contains(&FailOn::AssessmentRequired) && a.compliance.profile.is_none() {
        anyhow::bail!("--fail-on assessment-required needs --profile (the flows to assess)");
    }
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
    before_scan(&a.compliance)?;
    if a.ocr {
        crate::read::document::image::ocr_ready().map_err(anyhow::Error::msg)?;
    }
    crate::read::document::image::enable_ocr(a.ocr);
    let files_from = a.files_from.as_ref().map(|f| crate::walk::FileList {
        file: (f.as_os_str() != "-").then(|| f.clone()),
        null: a.null,
    });
    // A list that cannot be read is a usage error, not an empty inventory.
    if let Some(p) = files_from.as_ref().and_then(|l| l.file.as_ref()) {
        std::fs::File::open(p)
            .with_context(|| format!("--files-from {}: cannot read the list", p.display()))?;
    }
    // A root named on the command line that is not there is a mistake in the command, not an
    // empty share: no inventory that says "0 files" (a path listed by --files-from that has
    // vanished is recorded, as a file that vanishes mid-scan is).
    if files_from.is_none() {
        for root in &a.roots {
            std::fs::metadata(root).with_context(|| format!("root {}", root.display()))?;
        }
    }
    catch_signals()?;
    // What a stopped run removes again (see `interrupted`): the output folder and the key, when
    // this run created them.
    let output_created = !a.output.exists();
    std::fs::create_dir_all(&a.output)
        .with_context(|| format!("creating output folder {}", a.output.display()))?;
    // The output folder is never scanned by the run that writes it (an inventory, links.bin and
    // sketch.key of the last run inside a root).
    let output_dir = std::fs::canonicalize(&a.output)
        .with_context(|| format!("output folder {}", a.output.display()))?;
    let key_path = a
        .key_file
        .clone()
        .unwrap_or_else(|| a.output.join("sketch.key"));
    let (key, key_created) = SketchKey::load_or_create_new(&key_path)?;
    // A stopped scan leaves what it created only when --state kept results under that key.
    let created = Created {
        key: (key_created && a.state.is_none()).then(|| key_path.clone()),
        key_for_state: (key_created && a.state.is_some()).then(|| key_path.clone()),
        output: output_created.then(|| a.output.clone()),
    };
    let cfg = ScanConfig {
        walk: WalkOptions {
            roots: a.roots.clone(),
            include: a.include.clone(),
            exclude: a.exclude.clone(),
            follow_links: a.follow_links,
            max_file_size: a.max_file_size,
            shard: a.shard,
            files_from: files_from.clone(),
            skip_dirs: vec![output_dir],
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
        spill_dir: a.spill_dir.clone(),
        min_confidence: a.min_confidence.into(),
        stop: Some(&STOP),
        sources: Some(match a.sources {
            crate::sources_file::SourcesForm::Inline => crate::source_spill::Layout::Element,
            crate::sources_file::SourcesForm::Jsonl => crate::source_spill::Layout::Line,
        }),
        tally: Some(&TALLY),
    };
    // A bad signing key is an error before hours of scanning, not after.
    let signing_key = a
        .sign
        .as_deref()
        .map(crate::sign::read_secret)
        .transpose()?;
    let mut state = match &a.state {
        Some(p) => {
            let settings = crate::state::Settings {
                version: env!("CARGO_PKG_VERSION").to_string(),
                detectors: set.fingerprint(),
                key_id: cfg.key.id(),
                lg_k: crate::sketch::default_lg_k(),
                reference_date: reference_date.to_string(),
                min_confidence: a.min_confidence.id().to_string(),
                ocr: a.ocr,
            };
            match crate::state::State::open(p, &settings, a.verify_content) {
                Ok(st) => {
                    if let Some(why) = st.invalidated() {
                        crate::log::note(format_args!("--state {}: {why}", p.display()));
                    }
                    Some(st)
                }
                Err(e @ crate::state::StateError::Locked { .. }) => {
                    crate::log::error(&e);
                    return Ok(ExitCode::from(crate::state::EXIT_LOCKED));
                }
                Err(e) => return Err(e.into()),
            }
        }
        None => None,
    };
    tracing::info!(
        event = "scan.started",
        roots = %cfg.walk.roots.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(", "),
        output = %a.output.display(),
        threads = rayon::current_num_threads(),
        shard = a.shard.map(|s| s.to_string()),
        state = a.state.as_ref().map(|p| p.display().to_string()),
        "scan started"
    );
    // A stop does not wait for a parser that never looks at the flag (see `watch_stop`).
    PHASE.store(READING, Ordering::SeqCst);
    let (output, stopper) = (a.output.clone(), created.clone());
    std::thread::Builder::new()
        .name("stop-watchdog".to_string())
        .spawn(move || watch_stop(&output, &stopper))
        .context("starting the stop watchdog")?;
    let scanned = crate::scan::scan_incremental(&cfg, &set, state.as_mut());
    if PHASE
        .compare_exchange(READING, RETURNED, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        // The watchdog has cleaned up, said what was read and is ending the process.
        loop {
            std::thread::park();
        }
    }
    let (mut inv, links, state_run) = scanned?;
    if let Some(e) = state_run.as_ref().and_then(|r| r.write_error.as_ref()) {
        crate::log::warn(format_args!(
            "the state could not be fully written ({e}); the inventory is complete, the next \
             run reads the files whose results were not stored"
        ));
    }
    let signal = STOP.load(Ordering::SeqCst);
    if signal != 0 {
        return Ok(interrupted(signal as i32, &inv, &a.output, &created));
    }
    inv.scan.options = Some(crate::inventory::ScanOptions {
        detectors: set.fingerprint(),
        min_confidence: a.min_confidence.id().to_string(),
        ocr: a.ocr,
    });
    inv.scan.shard = a.shard.map(|s| s.to_string());
    if let Some(l) = &files_from {
        inv.scan.roots = vec![format!("--files-from {}", l.name())];
    }
    let links_path = a.output.join(crate::link_file::FILE_NAME);
    if inv.totals.people.is_some() {
        // The link graph first: an inventory never names a links file that is not there.
        links
            .write(&links_path)
            .context("the inventory was not written (no partial file was left)")?;
        inv.scan.links = Some(crate::inventory::LinksRef {
            file: crate::link_file::FILE_NAME.to_string(),
            format: crate::link_file::SCHEMA.to_string(),
            sha256: Some(
                crate::assess::integrity::sha256_file(&links_path)
                    .with_context(|| format!("hashing {}", links_path.display()))?,
            ),
        });
        // A graph spilled to disk is not held for `--profile`: its assessment reads the
        // inventory's figures (`pipl-scan assess` reads links.bin back).
        if !links.spilled() {
            inv.graph = Some(std::sync::Arc::new(links));
        }
    } else {
        // A links file of an earlier run would not describe this inventory.
        let _ = std::fs::remove_file(&links_path);
        if let Some(why) = &inv.totals.people_unavailable {
            if a.exact {
                anyhow::bail!("--exact: {why}");
            }
            crate::log::warn(why);
        }
    }
    // A signal while the people graph was written (it can take a while): nothing is kept.
    let signal = STOP.load(Ordering::SeqCst);
    if signal != 0 {
        if inv.scan.links.is_some() {
            let _ = std::fs::remove_file(&links_path);
        }
        return Ok(interrupted(signal as i32, &inv, &a.output, &created));
    }
    let path = a.output.join("inventory.json");
    let sig = crate::sign::sig_path(&path);
    // A signature of an earlier run would not describe this inventory.
    let _ = std::fs::remove_file(&sig);
    if let Err(e) = crate::sources_file::write_inventory(&a.output, &mut inv, a.sources) {
        // The links file just written describes an inventory that could not be written.
        if inv.scan.links.is_some() {
            let _ = std::fs::remove_file(&links_path);
        }
        return Err(e.context("the inventory was not written (no partial file was left)"));
    }
    if let Some(k) = &signing_key {
        crate::sign::sign_file(&path, k)?;
        if !a.quiet {
            println!(
                "pipl-scan: signed {} with key {} ({})",
                path.display(),
                crate::sign::fingerprint(&k.verifying_key()),
                sig.display()
            );
        }
    }
    let failed = !inv.scan.complete;
    if crate::log::is_json() {
        log_scan(&inv, &path, state_run.as_ref());
    }
    if !a.quiet {
        match a.summary {
            SummaryFormat::Text => {
                print_summary(&inv, &path);
                if let (Some(r), Some(st)) = (&state_run, &state) {
                    println!(
                        "  state: {} files unchanged (not read), {} read, {} dropped ({})",
                        r.reused,
                        r.read,
                        r.dropped,
                        st.path().display()
                    );
                }
            }
            SummaryFormat::Json => {
                let mut out = std::io::stdout().lock();
                serde_json::to_writer(&mut out, &summary_json(&inv, &path))?;
                writeln!(out)?;
            }
        }
    }
    // Errors are not output that -q silences (as grep -q and rg -q still report theirs): an
    // unattended job's log shows what could not be read without opening the inventory. In
    // JSON, each is an event of its own (above).
    if !crate::log::is_json() {
        print_errors(&inv, &set);
    }
    // The lock is released here, before an assessment that may take a while.
    drop(state);
    // An assessment and the reports list the sources: read back from where the scan kept them.
    if (a.compliance.profile.is_some() || a.compliance.assess.format.is_some())
        && inv.sources.is_empty()
        && let Some(spill) = inv.spilled.take()
    {
        inv.sources = spill
            .load_all()
            .context("reading back the sources of this scan for the assessment")?;
    }
    // With --summary json the assessment's own lines would spoil stdout: quiet there.
    let quiet_assess = a.quiet || a.summary == SummaryFormat::Json;
    let assessed = after_scan(
        &inv,
        &a.compliance,
        &a.output,
        cfg.reference_date,
        quiet_assess,
    )?;
    let met = failed_on(&a.fail_on, &inv, assessed);
    if !met.is_empty() && !a.quiet {
        crate::log::note(format_args!(
            "--fail-on {}: exit {EXIT_FAIL_ON}",
            met.join(", ")
        ));
    }
    Ok(if a.strict && failed {
        ExitCode::from(1)
    } else if !met.is_empty() {
        ExitCode::from(EXIT_FAIL_ON)
    } else {
        assessed.unwrap_or(ExitCode::SUCCESS)
    })
}

/// The termination signal received during a scan (0: none). The scan stops taking new files
/// when it is set ([`ScanConfig::stop`]).
static STOP: AtomicUsize = AtomicUsize::new(0);
/// Set by the first signal: a second one ends the process at once.
static ARMED: AtomicBool = AtomicBool::new(false);

/// SIGINT and SIGTERM stop the scan cleanly ([`interrupted`]); a second one exits at once with
/// the same code (128 + the signal's number), leaving nothing in the output folder either, but
/// possibly the people graph's runs in --spill-dir.
fn catch_signals() -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM] {
        // Registered first, so that it sees ARMED as the previous signal left it.
        signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, &ARMED)
            .and_then(|_| signal_hook::flag::register_usize(sig, &STOP, sig as usize))
            .and_then(|_| signal_hook::flag::register(sig, &ARMED))
            .context("installing the SIGINT/SIGTERM handlers")?;
    }
    Ok(())
}

/// Files and bytes read so far ([`ScanConfig::tally`]), for a scan ended by [`watch_stop`].
static TALLY: crate::scan::Tally = crate::scan::Tally {
    files: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
};
/// Where the scan is, for [`watch_stop`]: files being read (`READING`), the scan returned to
/// the main thread (`RETURNED`), or the watchdog ending the process (`ABANDONED`). The one that
/// moves it from `READING` first does the clean-up and says what was read.
static PHASE: AtomicU8 = AtomicU8::new(0);
const READING: u8 = 1;
const RETURNED: u8 = 2;
const ABANDONED: u8 = 3;
/// How long a stopped scan waits for the files being read to stop at their next piece.
pub const STOP_GRACE: Duration = Duration::from_millis(1500);

/// Waits for a stop (SIGINT, SIGTERM) while files are read. The readers stop at their next
/// piece, but a parser that reads a whole file at once (a PDF being rebuilt, a workbook's
/// sheet) does not look at the flag; as a stopped scan writes nothing, there is nothing to wait
/// for: after [`STOP_GRACE`] the clean-up of [`interrupted`] is done here and the process exits
/// with 128 + the signal's number. With --state, results not yet committed are read again by
/// the next run; a --spill-dir's runs may be left (as after a second signal).
fn watch_stop(output: &Path, created: &Created) {
    let signal = loop {
        if PHASE.load(Ordering::SeqCst) != READING {
            return;
        }
        match STOP.load(Ordering::SeqCst) {
            0 => std::thread::sleep(Duration::from_millis(50)),
            s => break s,
        }
    };
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        if PHASE.load(Ordering::SeqCst) != READING {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if PHASE
        .compare_exchange(READING, ABANDONED, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
    {
        let code = stopped(
            signal as i32,
            (
                TALLY.files.load(Ordering::SeqCst),
                TALLY.bytes.load(Ordering::SeqCst),
            ),
            Some(STOP_GRACE),
            output,
            created,
        );
        let _ = std::io::stderr().flush();
        std::process::exit(code);
    }
}

/// What a scan created before it read a file: the key file (when it was missing and no --state
/// keeps results under it) and the output folder (when it was missing).
#[derive(Clone)]
struct Created {
    key: Option<std::path::PathBuf>,
    /// A key created by a run with --state: kept, as the state holds results under it.
    key_for_state: Option<std::path::PathBuf>,
    output: Option<std::path::PathBuf>,
}

/// A scan stopped by `signal`: says on stderr what was read, removes the key and the output
/// folder if this run created them (nothing was written that needs them), and exits with 128 +
/// the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell would report it.
fn interrupted(signal: i32, inv: &Inventory, output: &Path, created: &Created) -> ExitCode {
    let s = &inv.scan;
    let read = (s.files_scanned + s.files_partial, s.bytes_scanned);
    ExitCode::from(stopped(signal, read, None, output, created).clamp(0, 255) as u8)
}

/// The clean-up and message of [`interrupted`], with the (files, bytes) read; `abandoned`: the
/// grace after which files still being read were left. Returns the exit code.
fn stopped(
    signal: i32,
    (files, bytes): (u64, u64),
    abandoned: Option<Duration>,
    output: &Path,
    created: &Created,
) -> i32 {
    let name = match signal {
        libc::SIGINT => "SIGINT".to_string(),
        libc::SIGTERM => "SIGTERM".to_string(),
        n => format!("signal {n}"),
    };
    let mut kept = Vec::new();
    if let Some(k) = &created.key
        && let Err(e) = std::fs::remove_file(k)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        kept.push(format!("the key {} it created ({e})", k.display()));
    }
    if let Some(k) = &created.key_for_state {
        kept.push(format!(
            "the key {} it created, under which --state stored results",
            k.display()
        ));
    }
    // Only if empty: `remove_dir` refuses a folder with anything in it.
    if let Some(o) = &created.output {
        let _ = std::fs::remove_dir(o);
    }
    eprintln!(
        "pipl-scan: interrupted by {name}: stopped taking new files; {files} files ({bytes} \
         bytes) had been read, the rest were not{}. No inventory was written (nothing in {} was \
         changed{}).",
        abandoned.map_or(String::new(), |g| format!(
            " (a file still being read {:.1} s after the signal was left)",
            g.as_secs_f64()
        )),
        output.display(),
        if kept.is_empty() {
            String::new()
        } else {
            format!("; left: {}", kept.join(", "))
        }
    );
    128 + signal
}

fn fmt_count(c: &crate::inventory::Count) -> String {
    if c.low == c.high {
        format!("{}", c.estimate)
    } else {
        format!("{} (95%: {}–{})", c.estimate, c.low, c.high)
    }
}

/// The `--fail-on` conditions that hold, by name.
fn failed_on(
    conditions: &[FailOn],
    inv: &Inventory,
    assessed: Option<ExitCode>,
) -> Vec<&'static str> {
    let t = &inv.totals;
    let people = t.people.as_ref();
    conditions
        .iter()
        .filter_map(|c| {
            let holds = match c {
                FailOn::Incomplete => !inv.scan.complete,
                // Personal data only: an organisation's credit code is not.
                FailOn::PiFound => t.categories.iter().any(|c| c.personal && c.matches > 0),
                FailOn::SensitiveFound => {
                    people.map_or(t.sensitive_subjects.estimate > 0, |p| p.sensitive > 0)
                }
                FailOn::AssessmentRequired => {
                    assessed.is_some_and(|code| code != ExitCode::SUCCESS)
                }
            };
            holds.then_some(match c {
                FailOn::Incomplete => "incomplete",
                FailOn::PiFound => "pi-found",
                FailOn::SensitiveFound => "sensitive-found",
                FailOn::AssessmentRequired => "assessment-required",
            })
        })
        .collect()
}

/// The summary as one JSON object (`--summary json`): what the text summary says, for scripts.
/// `--log-format json`: an event per file not fully read and per walk error (what the text
/// summary lists the first few of), then the result.
fn log_scan(inv: &Inventory, path: &Path, state: Option<&crate::state::Summary>) {
    for src in &inv.unscanned {
        let status = serde_json::to_value(src.status).unwrap_or_default();
        tracing::warn!(
            event = "file",
            path = %src.path,
            format = %src.format,
            status = %status.as_str().unwrap_or(""),
            reason = src.reason.as_deref().unwrap_or(""),
            "{} {}",
            status.as_str().unwrap_or(""),
            src.path
        );
    }
    let listed: std::collections::HashSet<&str> =
        inv.unscanned.iter().map(|s| s.path.as_str()).collect();
    for e in inv
        .scan
        .errors
        .iter()
        .filter(|e| !listed.contains(e.path.as_str()))
    {
        tracing::warn!(event = "walk", path = %e.path, error = %e.error, "walk error");
    }
    let s = &inv.scan;
    let t = &inv.totals;
    tracing::info!(
        event = "scan.finished",
        inventory = %path.display(),
        complete = s.complete,
        files_scanned = s.files_scanned,
        files_partial = s.files_partial,
        files_skipped = s.files_skipped,
        files_unreadable = s.files_unreadable,
        walk_errors = s.errors.len(),
        bytes_scanned = s.bytes_scanned,
        records = t.records,
        people = t.people.as_ref().map(|p| p.people),
        sensitive_people = t.people.as_ref().map(|p| p.sensitive),
        subjects = t.subjects.estimate,
        sensitive_subjects = t.sensitive_subjects.estimate,
        state_unchanged = state.map(|r| r.reused),
        state_read = state.map(|r| r.read),
        state_dropped = state.map(|r| r.dropped),
        started_at = %s.started_at,
        finished_at = %s.finished_at,
        "scan finished"
    );
}

fn summary_json(inv: &Inventory, path: &Path) -> serde_json::Value {
    let s = &inv.scan;
    let t = &inv.totals;
    // A figure without its sketch (the inventory has it).
    let count = |c: &crate::inventory::Count| serde_json::json!({"estimate": c.estimate, "low": c.low, "high": c.high, "method": c.method});
    serde_json::json!({
        "inventory": path.display().to_string(),
        "complete": s.complete,
        "files": {
            "scanned": s.files_scanned,
            "partial": s.files_partial,
            "skipped": s.files_skipped,
            "unreadable": s.files_unreadable,
        },
        "bytes_scanned": s.bytes_scanned,
        "errors": s.errors.len(),
        "records": t.records,
        "people": t.people,
        "people_unavailable": t.people_unavailable,
        "subjects": count(&t.subjects),
        "sensitive_subjects": count(&t.sensitive_subjects),
        "minor_subjects": count(&t.minor_subjects),
        "sensitive_images_by_category": t.sensitive_images_by_category,
        "categories": t.categories.iter().map(|c| serde_json::json!({
            "detector": c.detector,
            "matches": c.matches,
            "distinct": c.distinct.estimate,
        })).collect::<Vec<_>>(),
    })
}

fn print_summary(inv: &Inventory, path: &Path) {
    let s = &inv.scan;
    let t = &inv.totals;
    let mut out = std::io::stdout().lock();
    let status = if s.complete {
        "complete".to_string()
    } else {
        format!(
            "INCOMPLETE: {} partial, {} skipped, {} unreadable, {} errors (the first on stderr, \
             all in scan.errors)",
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
    if t.sensitive_images() > 0 {
        let list = t
            .sensitive_images_by_category
            .iter()
            .map(|(c, n)| format!("{n} {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "  sensitive images:    {list}  (people not counted: in no figure above)"
        );
    }
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

/// Errors listed on stderr after the summary; the rest are in the inventory's `scan.errors`.
const ERRORS_SHOWN: usize = 5;

/// The first [`ERRORS_SHOWN`] errors of the scan on stderr, path and reason, with any personal
/// data in them masked (a file can be named after a person's ID number).
fn print_errors(inv: &Inventory, set: &DetectorSet) {
    let errors = &inv.scan.errors;
    if errors.is_empty() {
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "pipl-scan: {} files or folders could not be read in full{}:",
        errors.len(),
        if errors.len() > ERRORS_SHOWN {
            format!(" (the first {ERRORS_SHOWN}; all are in scan.errors)")
        } else {
            String::new()
        }
    );
    for e in errors.iter().take(ERRORS_SHOWN) {
        // Reasons often start with the path again.
        let reason = e
            .error
            .strip_prefix(&format!("{}: ", e.path))
            .unwrap_or(&e.error);
        let _ = writeln!(err, "  {}: {}", mask_pi(set, &e.path), mask_pi(set, reason));
    }
}

/// `text` with its personal data masked (see [`DetectorSet::mask_text`]).
pub fn mask_pi(set: &DetectorSet, text: &str) -> String {
    set.mask_text(text)
}

/// Before `scan`: sets the sketch precision.
pub fn before_scan(args: &ScanProfileArgs) -> Result<()> {
    crate::sketch::set_default_lg_k(args.precision)?;
    Ok(())
}

/// After `scan`: with `--profile`, assess; without, write inventory-only reports if asked.
pub fn after_scan(
    inv: &Inventory,
    args: &ScanProfileArgs,
    out_dir: &Path,
    date: NaiveDate,
    quiet: bool,
) -> Result<Option<ExitCode>> {
    match &args.profile {
        Some(p) => {
            assess_and_report(inv, p, &args.assess, date, None, out_dir, quiet, None).map(Some)
        }
        None => {
            if let Some(formats) = &args.assess.format {
                let formats: Vec<Format> = formats
                    .iter()
                    .copied()
                    .filter(|f| *f != Format::Json)
                    .collect();
                let written = report::write(
                    out_dir,
                    &formats,
                    &Input {
                        inventory: inv,
                        assessment: None,
                        profile: None,
                        lang: args.assess.lang,
                        generated_at: now(),
                        checked: None,
                    },
                )?;
                if !quiet {
                    for w in written {
                        println!("  report: {}", w.display());
                    }
                }
            }
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_in_paths_and_reasons_is_masked() {
        let set = DetectorSet::load(None).unwrap();
        let m = mask_pi(
            &set,
            "/share/hr/11010519491231002X_13812345678.csv: cannot open",
        );
        assert!(
            !m.contains("11010519491231002X") && !m.contains("13812345678"),
            "{m}"
        );
        assert!(
            m.starts_with("/share/hr/") && m.ends_with(".csv: cannot open"),
            "{m}"
        );
        assert_eq!(
            mask_pi(&set, "/data/a.csv: truncated"),
            "/data/a.csv: truncated"
        );
        let m = mask_pi(&set, "/share/13812345670.parquet: no footer");
        assert_eq!(m, "/share/138****5670.parquet: no footer");
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
