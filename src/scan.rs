//! Drives the pipeline: walk → read → detect → subject → inventory, in parallel.
//!
//! Files are handed from the (sequential, streaming) walk to rayon's pool with `par_bridge`; each
//! file produces its own result with its own sketches, and results are merged once, at the end,
//! so no lock is taken on the hot path. Every file gets a status, and problems are recorded and
//! skipped past, never raised: a scan of a file share must not stop at its first bad file.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::detect::{DetectorSet, Standard};
use crate::inventory::{
    self, Builder, ErrorEntry, FileResult, Inventory, Prepared, ScanMeta, SourceAcc, Sources,
    Status,
};
use crate::link_spill::Spill;
use crate::read::{self, Ctx};
use crate::sketch::SketchKey;
use crate::source_spill::{Layout, SourceSpill};
use crate::state::{Check, Put, State, Summary as StateSummary};
use crate::walk::{Entry, WalkError, WalkOptions, Walker};

/// Files from this size on show their own progress on a terminal.
const PROGRESS_FROM: u64 = 64 << 20;

pub struct ScanConfig {
    pub walk: WalkOptions,
    pub reference_date: NaiveDate,
    pub sensitivity: Standard,
    pub key: SketchKey,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Thresholds for classifying the fields of tables.
    pub classify: crate::classify::ClassifyConfig,
    /// Distinct identifiers of another kind beyond which an identifier is shared, not linked
    /// (see [`crate::link`]).
    pub link_cap: u32,
    /// Bytes the people graphs may hold in memory; beyond them each finished source's graph is
    /// written to a run on disk ([`crate::link_spill`]), in `spill_dir` (the system's temporary
    /// folder when `None`).
    pub link_memory: u64,
    pub spill_dir: Option<std::path::PathBuf>,
    /// Findings below this confidence are not counted (see [`crate::confidence`]).
    pub min_confidence: crate::confidence::Confidence,
    /// Set (to a signal's number, or any non-zero value) to stop the scan: no new file is
    /// started, the files being read are finished, and the inventory says it is incomplete.
    /// `pipl-scan scan` sets it on SIGINT and SIGTERM and then writes no inventory at all.
    pub stop: Option<&'static AtomicUsize>,
    /// Keep the sources out of memory, serialised in this layout as they finish (a scan's
    /// command line: see [`crate::source_spill`]); `None` keeps them in the inventory's
    /// `sources`.
    pub sources: Option<Layout>,
    /// Counts the files read so far, as they finish: what a scan stopped while a file was still
    /// being read says it had read (`pipl-scan scan` ends such a scan without waiting for it).
    pub tally: Option<&'static Tally>,
}

/// Files (scanned or partial, archive members included) and bytes read so far.
#[derive(Debug, Default)]
pub struct Tally {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
}

/// Scans every root and builds the inventory.
pub fn scan(cfg: &ScanConfig, set: &DetectorSet) -> Result<Inventory, WalkError> {
    scan_linked(cfg, set).map(|(inv, _)| inv)
}

/// [`scan`], also returning the sources' link graphs (written beside the inventory).
pub fn scan_linked(
    cfg: &ScanConfig,
    set: &DetectorSet,
) -> Result<(Inventory, crate::link_file::LinkSet), WalkError> {
    scan_incremental(cfg, set, None).map(|(inv, links, _)| (inv, links))
}

/// [`scan_linked`] with a state ([`crate::state`]): files unchanged since it was written are
/// not read, their stored results are used; the files read are stored as they finish, and the
/// files the walk no longer finds are dropped from it. The inventory and graphs are those of a
/// scan without state.
pub fn scan_incremental(
    cfg: &ScanConfig,
    set: &DetectorSet,
    mut state: Option<&mut State>,
) -> Result<(Inventory, crate::link_file::LinkSet, Option<StateSummary>), WalkError> {
    let started_at = now();
    let walker = Walker::new(cfg.walk.clone())?;
    let mut ctx = Ctx::new(set, &cfg.key, cfg.reference_date);
    ctx.min_confidence = cfg.min_confidence;
    ctx.stop = cfg.stop;
    let bar = progress_bar(cfg.progress);
    let files_done = AtomicU64::new(0);
    // Bytes held by the files' people graphs; past the budget, graphs go to runs on disk.
    let link_bytes = AtomicU64::new(0);
    // One file's graph may hold a share of the budget while it is read (see `Spill::bound`):
    // a quarter per worker thread, at 40 bytes an entry.
    let threads = rayon::current_num_threads().max(1) as u64;
    let spill = Spill::new(
        cfg.spill_dir.clone(),
        (cfg.link_memory / (4 * threads * 40)).min(usize::MAX as u64 / 2) as usize,
    );
    ctx.links_spill = Some(&spill);
    let stopped = || cfg.stop.map_or(0, |s| s.load(Ordering::Relaxed));
    let link_sort_entries = (cfg.link_memory / 48).clamp(1 << 16, 1 << 31) as usize;
    // Each file's source is made where it was read and added to the totals as it finishes;
    // its entry goes to a temporary file (see `source_spill`), so memory does not grow with
    // the number of files.
    let config = inventory::BuildConfig::new(
        set,
        cfg.sensitivity,
        cfg.classify,
        cfg.link_cap,
        link_sort_entries,
    );
    let sources = match cfg.sources {
        Some(layout) => Sources::Spill(SourceSpill::new(cfg.spill_dir.as_deref(), layout)),
        None => Sources::Memory(Vec::new()),
    };
    let builder = Mutex::new(Builder::new(set, config.clone(), sources));
    let add = |files: Vec<FileResult>| {
        let prepared: Vec<Prepared> = files.into_iter().map(|f| config.prepare(set, f)).collect();
        let mut b = builder.lock().unwrap_or_else(|e| e.into_inner());
        for p in prepared {
            b.add(p);
        }
    };
    // With a state, each source's entry is serialised where it was read and stored with its
    // results, so that a rescan copies it ([`crate::state::Part::assembled`]).
    let layout = cfg.sources.filter(|_| {
        state
            .as_deref_mut()
            .is_some_and(|st| st.assemble_with(&assembly(cfg)).is_ok())
    });
    let add_decoded = |files: Vec<crate::state::Decoded>| {
        let mut restored = Vec::new();
        let mut read = Vec::new();
        for f in files {
            match f {
                crate::state::Decoded::Restored(r) => restored.push(r),
                crate::state::Decoded::File(f) => read.push(f),
            }
        }
        if !read.is_empty() {
            add(read);
        }
        let mut b = builder.lock().unwrap_or_else(|e| e.into_inner());
        for r in restored {
            b.add_restored(r);
        }
    };
    let (put, puts) = crate::state::writer_channel();
    let (index, writer) = state.as_deref_mut().map(State::split).unzip();
    let collected = Mutex::new(Collected::default());
    let written = std::thread::scope(|scope| {
        // The state's writer: results are stored as files finish, in batches.
        let writer = writer.map(|w| scope.spawn(move || w.write_from(puts)));
        walker
            .entries()
            .take_while(|_| stopped() == 0)
            .par_bridge()
            .for_each(|entry| {
                // Bytes a large file's readers put on the bar while it was read.
                let mut shown = 0u64;
                let mut bytes = 0u64;
                match entry {
                    Entry::File { path, size } => {
                        let check = index.map(|ix| {
                            let key = path.to_string_lossy().into_owned();
                            let c = ix.check(&key, &path);
                            (key, c)
                        });
                        if let Some((key, Check::Unchanged)) = check {
                            lock(&collected).unchanged.push(key);
                        } else {
                            // A large file, on a terminal: its share read and the time left
                            // are shown as its readers finish chunks (the rest of its bytes
                            // count when it ends).
                            let progress =
                                bar.as_ref().filter(|_| size >= PROGRESS_FROM).map(|bar| {
                                    read::FileProgress {
                                        done: AtomicU64::new(0),
                                        size,
                                        started: std::time::Instant::now(),
                                        name: set.mask_text(&path.display().to_string()),
                                        bar: bar.clone(),
                                    }
                                });
                            let file_ctx = Ctx {
                                progress: progress.as_ref(),
                                ..ctx
                            };
                            let mut files = read_guarded(&path, size, &file_ctx);
                            account_links(&mut files, &link_bytes, cfg.link_memory, &spill);
                            if let Some(p) = &progress {
                                shown = p.done.load(Ordering::Relaxed);
                            }
                            bytes = files.iter().map(|f| f.bytes).sum();
                            if let Some(t) = cfg.tally {
                                for f in files.iter().filter(|f| {
                                    matches!(f.status, Status::Scanned | Status::Partial)
                                }) {
                                    t.files.fetch_add(1, Ordering::Relaxed);
                                    t.bytes.fetch_add(f.bytes, Ordering::Relaxed);
                                }
                            }
                            match check {
                                Some((key, Check::Read(stamp))) => {
                                    match layout {
                                        Some(layout) => {
                                            let prepared: Vec<Prepared> = files
                                                .into_iter()
                                                .map(|f| config.prepare(set, f))
                                                .collect();
                                            let assembled: Vec<_> = prepared
                                                .iter()
                                                .map(|p| p.assembled(layout))
                                                .collect();
                                            let parts = stamp.and_then(|_| {
                                                crate::state::encode_prepared(&prepared, &assembled)
                                                    .ok()
                                                    .flatten()
                                            });
                                            send(&put, &key, stamp, parts, &spill, ctx.stopping());
                                            let mut b = lock(&builder);
                                            for (p, a) in prepared.into_iter().zip(assembled) {
                                                match a {
                                                    Some(a) => b.add_serialised(p, &a.entry),
                                                    None => b.add(p),
                                                }
                                            }
                                        }
                                        None => {
                                            store(
                                                &put,
                                                &key,
                                                stamp,
                                                &files,
                                                &spill,
                                                ctx.stopping(),
                                            );
                                            add(files);
                                        }
                                    }
                                    let mut c = lock(&collected);
                                    c.read += 1;
                                    c.seen.insert(key);
                                }
                                _ => add(files),
                            }
                        }
                    }
                    Entry::Skipped { path, reason } => add(vec![FileResult {
                        path: path.display().to_string(),
                        format: reason.kind().to_string(),
                        encoding: None,
                        bytes: 0,
                        status: Status::Skipped,
                        reason: Some(reason.to_string()),
                        acc: SourceAcc::default(),
                    }]),
                    Entry::Error { path, message } => {
                        lock(&collected).walk_errors.push(ErrorEntry {
                            path: path.display().to_string(),
                            error: message,
                        })
                    }
                };
                if let Some(bar) = &bar {
                    let n = files_done.fetch_add(1, Ordering::Relaxed) + 1;
                    // What a large file's readers showed already is not counted twice.
                    bar.inc(bytes.saturating_sub(shown));
                    bar.set_message(format!("{n} files"));
                }
            });
        drop(put);
        writer.map(|w| w.join().unwrap_or_else(|_| Err("the writer failed".into())))
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let Collected {
        unchanged,
        seen,
        read,
        mut walk_errors,
    } = collected.into_inner().unwrap_or_else(|e| e.into_inner());
    let summary = state.map(|st| {
        if stopped() != 0 {
            // No inventory is written; what was read is stored (the writer committed it), and
            // the walk was cut short: nothing is dropped.
            return StateSummary {
                read,
                write_error: written.and_then(Result::err),
                ..StateSummary::default()
            };
        }
        restore(
            st,
            Walked {
                written,
                unchanged,
                seen,
                read,
            },
            &add,
            &add_decoded,
            &ctx,
            &spill,
            |g: &mut crate::link::LinkAcc| account_graph(g, &link_bytes, cfg.link_memory, &spill),
        )
    });
    walk_errors.sort_by(|a, b| a.path.cmp(&b.path));
    let signal = stopped();
    if signal != 0 {
        walk_errors.push(ErrorEntry {
            path: cfg
                .walk
                .roots
                .first()
                .map(|r| r.display().to_string())
                .unwrap_or_default(),
            error: format!(
                "scan interrupted (signal {signal}): files not yet started when it came were \
                 not read"
            ),
        });
    }
    let meta = ScanMeta {
        started_at,
        finished_at: now(),
        roots: cfg
            .walk
            .roots
            .iter()
            .map(|r| r.display().to_string())
            .collect(),
        reference_date: cfg.reference_date.to_string(),
        sensitivity: cfg.sensitivity,
        key_id: cfg.key.id(),
        lg_k: crate::sketch::default_lg_k(),
        walk_errors,
        classify: cfg.classify,
        link_cap: cfg.link_cap,
        links_abandoned: spill.failed().map(|e| {
            format!(
                "people were not linked: the identifier graph outgrew --link-memory ({} MiB) \
                 and could not be written to disk ({e}); the people figures are the sketches' \
                 estimates of distinct subject keys (an upper bound). Re-scan with a larger \
                 --link-memory or a writable --spill-dir for exact people",
                cfg.link_memory >> 20
            )
        }),
        link_spill: spill.dir(),
        // The external sort's runs: the second ends of links, 24 bytes each in memory and as
        // much again while the radix sort copies them.
        link_sort_entries,
    };
    let builder = builder.into_inner().unwrap_or_else(|e| e.into_inner());
    let (inv, links) = builder.finish(meta);
    Ok((inv, links, summary))
}

/// What the walk gathers besides the sources: small, one entry per unchanged or read file at
/// most (keys of the state) and per walk error.
#[derive(Default)]
struct Collected {
    unchanged: Vec<String>,
    seen: HashSet<String>,
    read: u64,
    walk_errors: Vec<ErrorEntry>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a run's entries depend on besides the files' results ([`State::assemble_with`]).
fn assembly(cfg: &ScanConfig) -> String {
    format!(
        "sources {:?}; sensitivity {}; classify {:?}; link cap {}",
        cfg.sources,
        cfg.sensitivity.id(),
        cfg.classify,
        cfg.link_cap
    )
}

/// Sends a file's results to the state's writer: stored, or, when they must not be (an
/// unreadable file, people not linked, a file the scan was stopped in), its old results
/// forgotten.
fn store(
    put: &std::sync::mpsc::SyncSender<Put>,
    key: &str,
    stamp: Option<(crate::state::Stamp, Option<u64>)>,
    files: &[FileResult],
    spill: &Spill,
    stopped: bool,
) {
    let parts = stamp.and_then(|_| crate::state::encode(files).ok().flatten());
    send(put, key, stamp, parts, spill, stopped);
}

/// [`store`] of results encoded already (`None`: nothing to store).
fn send(
    put: &std::sync::mpsc::SyncSender<Put>,
    key: &str,
    stamp: Option<(crate::state::Stamp, Option<u64>)>,
    parts: Option<crate::state::Parts>,
    spill: &Spill,
    stopped: bool,
) {
    // A graph dropped because the runs could not be written must not be stored as empty.
    let parts = parts.filter(|_| spill.failed().is_none() && !stopped);
    let msg = match (stamp, parts) {
        (Some((stamp, content)), Some(parts)) => Put::File {
            key: key.to_string(),
            stamp,
            content,
            parts,
        },
        _ => Put::Forget(key.to_string()),
    };
    // A writer that stopped has said why in its result; the scan goes on.
    let _ = put.send(msg);
}

/// What the walk left for [`restore`]: the writer's outcome, the keys of the unchanged files
/// (a file the roots name twice is there twice, as a scan without state reads it twice) and of
/// the files read.
struct Walked {
    written: Option<Result<u64, String>>,
    unchanged: Vec<String>,
    seen: HashSet<String>,
    /// Files read (a file named twice counts twice).
    read: u64,
}

/// After the walk: the stored results of the unchanged files (read again, and stored anew,
/// when they cannot be decoded), and the stored files the walk no longer found dropped.
fn restore(
    st: &mut State,
    walked: Walked,
    add: &(dyn Fn(Vec<FileResult>) + Sync),
    add_decoded: &(dyn Fn(Vec<crate::state::Decoded>) + Sync),
    ctx: &Ctx,
    spill: &Spill,
    account: impl Fn(&mut crate::link::LinkAcc) + Sync,
) -> StateSummary {
    let Walked {
        written,
        unchanged,
        mut seen,
        read,
    } = walked;
    let mut summary = StateSummary {
        read,
        ..StateSummary::default()
    };
    let mut errors: Vec<String> = Vec::new();
    if let Some(Err(e)) = written {
        errors.push(e);
    }
    // A file the roots name twice is added twice, as a scan without state reads it twice.
    let mut times: std::collections::HashMap<String, usize> = Default::default();
    for k in unchanged {
        *times.entry(k).or_default() += 1;
    }
    let keys: HashSet<String> = times.keys().cloned().collect();
    // Each unchanged file's stored results, decoded and added a batch at a time (what is held
    // at once does not grow with the tree); the keys whose results are missing or damaged are
    // read again below.
    let mut restored: HashSet<String> = HashSet::with_capacity(keys.len());
    let loaded = st.load_each(&keys, 1024, |batch| {
        let done: Vec<String> = batch
            .into_par_iter()
            .filter_map(|(key, mut parts)| {
                let n = times.get(&key).copied().unwrap_or(1);
                for i in 0..n {
                    let parts = if i + 1 == n {
                        std::mem::take(&mut parts)
                    } else {
                        parts.clone()
                    };
                    let mut fs = parts
                        .into_iter()
                        .map(crate::state::decode_part)
                        .collect::<Result<Vec<_>, _>>()
                        .ok()?;
                    for f in &mut fs {
                        account(f.graph_mut());
                    }
                    add_decoded(fs);
                }
                Some(key)
            })
            .collect();
        restored.extend(done);
    });
    if let Err(e) = loaded {
        errors.push(format!("{}: {e}", st.path().display()));
    }
    let mut again = Vec::new();
    for (key, n) in times {
        if restored.contains(&key) {
            summary.reused += n as u64;
            seen.insert(key);
        } else {
            again.extend(std::iter::repeat_n(key, n));
        }
    }
    // Stored results that are missing or damaged: the file is read now, like a new one.
    if !again.is_empty() {
        let verify = st.index().verify_content();
        let (put, puts) = crate::state::writer_channel();
        let read: Vec<String> = std::thread::scope(|scope| {
            let writer = scope.spawn(|| st.write_from(puts));
            let read = again
                .into_par_iter()
                .map(|key| {
                    let path = std::path::PathBuf::from(&key);
                    let stamp = crate::state::stamp_now(&path, verify);
                    let size = stamp.map_or(0, |s| s.0.size);
                    let mut fs = read_guarded(&path, size, ctx);
                    for f in &mut fs {
                        account(&mut f.acc.links);
                    }
                    store(&put, &key, stamp, &fs, spill, ctx.stopping());
                    add(fs);
                    key
                })
                .collect();
            drop(put);
            match writer.join() {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => errors.push(e),
                Err(_) => errors.push("the state's writer failed".to_string()),
            }
            read
        });
        for key in read {
            summary.read += 1;
            seen.insert(key);
        }
    }
    match st.drop_unseen(&seen) {
        Ok(n) => summary.dropped = n,
        Err(e) => errors.push(format!("{}: {e}", st.path().display())),
    }
    if !errors.is_empty() {
        summary.write_error = Some(errors.join("; "));
    }
    summary
}

/// Adds what a file's people graphs hold (compacted) to `used`; once the total passes `budget`,
/// each graph is written to a run on disk as its file finishes, so memory stays bounded (a
/// large file's graph may have been spilled while it was read: it becomes one run here). If
/// the runs cannot be written, graphs are dropped and the inventory says that people were not
/// linked.
fn account_links(files: &mut [FileResult], used: &AtomicU64, budget: u64, spill: &Spill) {
    for f in files {
        account_graph(&mut f.acc.links, used, budget, spill);
    }
}

/// [`account_links`] of one graph.
fn account_graph(g: &mut crate::link::LinkAcc, used: &AtomicU64, budget: u64, spill: &Spill) {
    if g.is_empty() {
        return;
    }
    if spill.failed().is_some() {
        *g = Default::default();
        return;
    }
    spill.finish(g);
    if !g.runs.is_empty() {
        return;
    }
    g.compact();
    if used.load(Ordering::Relaxed) <= budget {
        g.shrink_to_fit();
        let bytes = g.heap_bytes() as u64;
        if used.fetch_add(bytes, Ordering::Relaxed) + bytes <= budget {
            return;
        }
        used.fetch_sub(bytes, Ordering::Relaxed);
    }
    spill.spill(g);
}

/// Reads one file; a panic anywhere in its readers (ours or a third-party parser's) makes the
/// file `unreadable` with a message, instead of aborting the whole scan. The panic's message is
/// left out: it could quote the data being parsed.
fn read_guarded(path: &std::path::Path, size: u64, ctx: &Ctx) -> Vec<FileResult> {
    guarded(path, || read::read_source(path, size, ctx))
}

fn guarded(path: &std::path::Path, read: impl FnOnce() -> Vec<FileResult>) -> Vec<FileResult> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        vec![FileResult {
            path: path.display().to_string(),
            format: "unknown".to_string(),
            encoding: None,
            bytes: 0,
            status: Status::Unreadable,
            reason: Some(
                "internal error: a reader failed unexpectedly on this file (please report it); \
                 the rest of the scan is unaffected"
                    .to_string(),
            ),
            acc: SourceAcc::default(),
        }]
    })
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn progress_bar(enabled: bool) -> Option<ProgressBar> {
    if !enabled {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}, {bytes} read ({bytes_per_sec}) {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message("0 files");
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_that_panics_makes_its_file_unreadable_not_the_scan_abort() {
        let path = std::path::Path::new("exports/odd.bin");
        let out = guarded(path, || panic!("secret 11010519491231002X"));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].status, Status::Unreadable);
        assert_eq!(out[0].path, "exports/odd.bin");
        let reason = out[0].reason.as_deref().unwrap();
        assert!(reason.contains("internal error"), "{reason}");
        assert!(
            !reason.contains("1101051949"),
            "the panic message is not copied"
        );
        // A reader that returns normally passes through untouched.
        let fine = guarded(path, Vec::new);
        assert!(fine.is_empty());
    }
}
