//! `merge`: joins inventories (the shards of one scan, `scan --shard K/N`, or scans of several
//! shares made with one key) into one inventory and its links file ([`crate::merge`]), which
//! `verify` and `assess` accept as they accept a scan's.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

use crate::merge::{Input, inventory_path};

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Inventories to merge: output folders of `scan` (inventory.json with links.bin beside
    /// it) or inventory.json files. All must be made with one key, precision, reference date,
    /// standard, detector set and options.
    #[arg(required = true, value_name = "INVENTORY")]
    pub inputs: Vec<PathBuf>,
    /// Output folder for the merged inventory.json and links.bin (created if missing).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Where the merged sources go: `inline` (inventory.json's `sources` array) or `jsonl`
    /// (sources.jsonl beside a compact inventory.json). Default: jsonl when any input has its
    /// sources in a file, else inline.
    #[arg(long, value_enum, value_name = "FORM")]
    pub sources: Option<crate::sources_file::SourcesForm>,
    /// Sign the merged inventory with this Ed25519 secret key (as `scan --sign`).
    #[arg(long, value_name = "KEYFILE")]
    pub sign: Option<PathBuf>,
    /// No summary.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(a: MergeArgs) -> Result<ExitCode> {
    let signing_key = a
        .sign
        .as_deref()
        .map(crate::sign::read_secret)
        .transpose()?;
    let mut inputs = Vec::with_capacity(a.inputs.len());
    for p in &a.inputs {
        let path = inventory_path(p);
        let inventory = super::load_inventory(&path)?;
        // A merge of an altered inventory would hide the alteration behind fresh figures.
        let mismatches = crate::assess::integrity::check(&inventory, &path);
        if !mismatches.is_empty() {
            bail!(
                "cannot merge: {}",
                crate::assess::integrity::describe(&path, &mismatches)
            );
        }
        inputs.push(Input {
            name: p.display().to_string(),
            path,
            inventory,
        });
    }
    // Writing over an input's links.bin would damage that input if the merge then failed.
    if let Ok(out) = a.output.canonicalize() {
        for i in &inputs {
            let dir = i.path.parent().unwrap_or(std::path::Path::new("."));
            let dir = if dir.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                dir
            };
            if dir.canonicalize().is_ok_and(|d| d == out) {
                bail!(
                    "-o {}: the folder of the input {}; write the merge to a folder of its own",
                    a.output.display(),
                    i.name
                );
            }
        }
    }
    let form = a.sources.unwrap_or(
        if inputs.iter().any(|i| i.inventory.scan.sources.is_some()) {
            crate::sources_file::SourcesForm::Jsonl
        } else {
            crate::sources_file::SourcesForm::Inline
        },
    );
    let merged = crate::merge::merge(&inputs)?;
    drop(inputs);
    let mut inv = merged.inventory;
    std::fs::create_dir_all(&a.output)
        .with_context(|| format!("creating output folder {}", a.output.display()))?;
    let links_path = a.output.join(crate::link_file::FILE_NAME);
    match merged.links {
        Some(links) => {
            // The graph first: an inventory never names a links file that is not there.
            links.write(&links_path)?;
            inv.scan.links = Some(crate::inventory::LinksRef {
                file: crate::link_file::FILE_NAME.to_string(),
                format: crate::link_file::SCHEMA.to_string(),
                sha256: Some(
                    crate::assess::integrity::sha256_file(&links_path)
                        .with_context(|| format!("hashing {}", links_path.display()))?,
                ),
            });
            inv.graph = Some(std::sync::Arc::new(links));
        }
        None => {
            // A links file of an earlier run would not describe this inventory.
            let _ = std::fs::remove_file(&links_path);
        }
    }
    let path = a.output.join("inventory.json");
    // What `verify` will check, checked before the inventory is written: a merge that does
    // not agree with itself is a bug, never a file.
    let mismatches = crate::assess::integrity::check(&inv, &path);
    if !mismatches.is_empty() {
        bail!(
            "internal error, please report it: the merged inventory is inconsistent: {}",
            crate::assess::integrity::describe(&path, &mismatches)
        );
    }
    let _ = std::fs::remove_file(crate::sign::sig_path(&path));
    crate::sources_file::write_inventory(&a.output, &mut inv, form)?;
    if let Some(k) = &signing_key {
        crate::sign::sign_file(&path, k)?;
        if !a.quiet {
            println!(
                "pipl-scan: signed {} with key {}",
                path.display(),
                crate::sign::fingerprint(&k.verifying_key())
            );
        }
    }
    if !a.quiet {
        let mut o = std::io::stdout().lock();
        let s = &inv.scan;
        let _ = writeln!(
            o,
            "pipl-scan merge: {} inventories, {} sources, {} files scanned — {}",
            s.merged_from.len(),
            inv.sources.len(),
            s.files_scanned + s.files_partial,
            if s.complete {
                "complete".to_string()
            } else {
                format!("INCOMPLETE: {} errors (see scan.errors)", s.errors.len())
            }
        );
        match (&inv.totals.people, &inv.totals.people_unavailable) {
            (Some(p), _) => {
                let _ = writeln!(
                    o,
                    "  people:              {}  (linked across all inputs, counted exactly)",
                    p.people
                );
                let _ = writeln!(o, "  people w/ sensitive: {}", p.sensitive);
            }
            (None, Some(why)) => {
                let _ = writeln!(o, "  people:              not linked: {why}");
            }
            (None, None) => {}
        }
        let _ = writeln!(
            o,
            "  subjects:            {}",
            estimate(&inv.totals.subjects)
        );
        let _ = writeln!(
            o,
            "  sensitive subjects:  {}",
            estimate(&inv.totals.sensitive_subjects)
        );
        let _ = writeln!(o, "  inventory: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn estimate(c: &crate::inventory::Count) -> String {
    crate::report::fmt_estimate(&crate::sketch::Estimate {
        estimate: c.estimate,
        low: c.low,
        high: c.high,
    })
}
