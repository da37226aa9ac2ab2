//! The sources of an inventory as a stream beside it (`sources.jsonl`), for shares of many
//! files: one [`SourceEntry`] a line, in the inventory's order, and a compact `inventory.json`
//! that names the file with its line count and SHA-256 ([`SourcesRef`]) instead of holding a
//! `sources` array. An inventory of a million files is then a few kilobytes that any JSON tool
//! opens, and its sources are read line by line (`jq -c`, `grep`, DuckDB's `read_json`).
//!
//! [`write_inventory`] writes either form; [`crate::inventory::Inventory::load`] reads either,
//! so `merge`, `diff`, `assess`, `verify` and the reports take both. The count and hash make a
//! truncated, edited or swapped sources file an error when it is read, and the signature of
//! `inventory.json` (`scan --sign`) covers the sources through the hash.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::inventory::{Inventory, SourceEntry};
use crate::source_spill::{Layout, SourceSpill};

/// The file name beside `inventory.json`.
pub const FILE_NAME: &str = "sources.jsonl";
/// The format of each line: a source as in the inventory's `sources` array.
pub const SCHEMA: &str = "pipl-scan/sources/v1";

/// Where an inventory's sources are when they are not inline (`scan.sources`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourcesRef {
    /// File name, relative to the inventory's folder.
    pub file: String,
    /// `pipl-scan/sources/v1`.
    pub format: String,
    /// Lines in the file: one per source.
    pub count: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// How `scan` and `merge` write the sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourcesForm {
    /// In inventory.json's `sources` array.
    Inline,
    /// In sources.jsonl beside a compact inventory.json.
    Jsonl,
}

/// A writer that hashes what passes through it.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `sources` to `path` through a temporary file renamed over it (a failed write leaves
/// the old file or none, never half of one). Returns the reference the inventory records.
pub fn write(path: &Path, sources: &[SourceEntry]) -> Result<SourcesRef> {
    write_lines(path, sources.len(), |w| {
        for s in sources {
            serde_json::to_writer(&mut *w, s)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })
}

/// [`write`] of `count` sources that `put` writes, one a line.
fn write_lines(
    path: &Path,
    count: usize,
    put: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<SourcesRef> {
    let sha256 = crate::report::write_atomic_with(path, |f| {
        let mut w = Hashing {
            inner: BufWriter::with_capacity(1 << 20, f),
            hash: Sha256::new(),
        };
        put(&mut w)?;
        w.flush()?;
        Ok(hex::encode(w.hash.finalize()))
    })?;
    Ok(SourcesRef {
        file: FILE_NAME.to_string(),
        format: SCHEMA.to_string(),
        count: count as u64,
        sha256,
    })
}

/// The sources of a scan, as they were serialised while it ran (`Layout::Line`), to `path`.
fn write_spilled(path: &Path, spill: &SourceSpill) -> Result<SourcesRef> {
    if spill.layout() != Layout::Line {
        bail!("internal error: the sources were kept as array elements, not as lines");
    }
    write_lines(path, spill.len(), |w| {
        spill.for_each(|b| {
            w.write_all(b)?;
            w.write_all(b"\n")
        })
    })
}

/// `inv` pretty-printed with the sources a scan spilled as its `sources` array, byte for byte
/// what `serde_json::to_writer_pretty` writes for the inventory with the sources in memory.
fn write_inline_spilled(
    w: &mut dyn Write,
    inv: &Inventory,
    spill: &SourceSpill,
) -> std::io::Result<()> {
    if spill.layout() != Layout::Element {
        return Err(std::io::Error::other(
            "internal error: the sources were kept as lines, not as array elements",
        ));
    }
    let head = serde_json::to_vec_pretty(inv)?;
    // `sources` is the document's last field; with the array empty it ends the text.
    const EMPTY: &[u8] = b"\n  \"sources\": []\n}";
    let Some(head) = head.strip_suffix(EMPTY) else {
        return Err(std::io::Error::other(
            "internal error: the inventory does not end with its sources",
        ));
    };
    w.write_all(head)?;
    if spill.is_empty() {
        w.write_all(EMPTY)?;
        return Ok(());
    }
    w.write_all(b"\n  \"sources\": [\n")?;
    let mut first = true;
    spill.for_each(|b| {
        if !first {
            w.write_all(b",\n")?;
        }
        first = false;
        w.write_all(b)
    })?;
    w.write_all(b"\n  ]\n}")
}

/// Reads the sources `r` names, in the folder `dir`, checking format, line count and hash.
/// Errors name the file and the line.
pub fn read(dir: &Path, r: &SourcesRef) -> Result<Vec<SourceEntry>> {
    if r.format != SCHEMA {
        bail!(
            "its sources file {}: format `{}`, expected `{SCHEMA}`",
            r.file,
            r.format
        );
    }
    let path = dir.join(&r.file);
    let f = std::fs::File::open(&path)
        .with_context(|| format!("its sources file {}", path.display()))?;
    let mut rd = BufReader::with_capacity(1 << 20, f);
    let mut hash = Sha256::new();
    // Capacity from the recorded count, bounded: a damaged count must not allocate wildly.
    let mut out = Vec::with_capacity(r.count.min(1 << 20) as usize);
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        let got = rd
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading {}", path.display()))?;
        if got == 0 {
            break;
        }
        hash.update(&line);
        n += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if text.is_empty() {
            bail!("{} line {n}: empty line, expected a source", path.display());
        }
        let s: SourceEntry = serde_json::from_slice(text)
            .with_context(|| format!("{} line {n}: not a pipl-scan source", path.display()))?;
        out.push(s);
    }
    if n != r.count {
        bail!(
            "{}: {n} sources, the inventory says {} (truncated or altered)",
            path.display(),
            r.count
        );
    }
    let got = hex::encode(hash.finalize());
    if got != r.sha256 {
        bail!(
            "{}: SHA-256 {got}, the inventory says {} (altered since it was written)",
            path.display(),
            r.sha256
        );
    }
    Ok(out)
}

/// An inventory without its `sources` array, in [`Inventory`]'s field order.
#[derive(Serialize)]
struct Compact<'a> {
    schema: &'a str,
    tool: &'a crate::inventory::Tool,
    scan: &'a crate::inventory::ScanInfo,
    totals: &'a crate::inventory::Totals,
}

/// Writes `inv` as `inventory.json` in `dir` with its sources in the given form; a sources
/// file of an earlier run is removed when the sources are inline (it would not describe this
/// inventory). Sets `inv.scan.sources` to what was written. The sources file is written first,
/// so an inventory never names a file that is not there; when the inventory then fails, the
/// new sources file is removed again.
pub fn write_inventory(dir: &Path, inv: &mut Inventory, form: SourcesForm) -> Result<()> {
    let path = dir.join("inventory.json");
    let sources_path = dir.join(FILE_NAME);
    match form {
        SourcesForm::Inline => {
            inv.scan.sources = None;
            match inv.spilled.clone() {
                Some(spill) if inv.sources.is_empty() => {
                    crate::report::write_atomic_with(&path, |f| {
                        let mut w = BufWriter::with_capacity(1 << 20, f);
                        write_inline_spilled(&mut w, inv, &spill)?;
                        w.flush()?;
                        Ok(())
                    })?;
                }
                _ => crate::report::write_atomic(&path, &serde_json::to_vec_pretty(&*inv)?)?,
            }
            match std::fs::remove_file(&sources_path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!(
                            "removing {} of an earlier run (it does not describe this inventory)",
                            sources_path.display()
                        )
                    });
                }
            }
        }
        SourcesForm::Jsonl => {
            inv.scan.sources = Some(match inv.spilled.clone() {
                Some(spill) if inv.sources.is_empty() => write_spilled(&sources_path, &spill)?,
                _ => write(&sources_path, &inv.sources)?,
            });
            // The compact document: everything but the sources, which stay in memory for the
            // summary and an assessment that follows.
            let doc = serde_json::to_vec_pretty(&Compact {
                schema: &inv.schema,
                tool: &inv.tool,
                scan: &inv.scan,
                totals: &inv.totals,
            })?;
            if let Err(e) = crate::report::write_atomic(&path, &doc) {
                let _ = std::fs::remove_file(&sources_path);
                inv.scan.sources = None;
                return Err(e);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> SourceEntry {
        serde_json::from_value(serde_json::json!({
            "path": path, "format": "text", "encoding": null, "status": "scanned",
            "records": 1, "bytes": 10,
            "subjects": {"estimate": 0, "low": 0, "high": 0},
            "sensitive_subjects": {"estimate": 0, "low": 0, "high": 0},
            "sensitive_subjects_by_standard": {},
            "minor_subjects": {"estimate": 0, "low": 0, "high": 0},
            "unidentified_records": 0, "categories": [], "fields": []
        }))
        .unwrap()
    }

    #[test]
    fn written_sources_read_back_and_damage_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let sources = vec![entry("a.txt"), entry("b\nc.txt")];
        let r = write(&dir.path().join(FILE_NAME), &sources).unwrap();
        assert_eq!(r.count, 2);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        // A newline in a path is escaped: one source a line.
        assert_eq!(text.lines().count(), 2);
        let back = read(dir.path(), &r).unwrap();
        assert_eq!(
            back.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(),
            ["a.txt", "b\nc.txt"]
        );
        // Truncated: the count says so.
        let first = text.lines().next().unwrap().to_string() + "\n";
        std::fs::write(dir.path().join(FILE_NAME), &first).unwrap();
        let e = format!("{:#}", read(dir.path(), &r).unwrap_err());
        assert!(e.contains("1 sources, the inventory says 2"), "{e}");
        // Same count, other contents: the hash says so.
        std::fs::write(dir.path().join(FILE_NAME), text.replace("a.txt", "x.txt")).unwrap();
        let e = format!("{:#}", read(dir.path(), &r).unwrap_err());
        assert!(e.contains("altered since it was written"), "{e}");
        // A line that is no source names its line.
        std::fs::write(
            dir.path().join(FILE_NAME),
            format!("{first}{{\"path\": 1}}\n"),
        )
        .unwrap();
        let e = format!("{:#}", read(dir.path(), &r).unwrap_err());
        assert!(e.contains("line 2: not a pipl-scan source"), "{e}");
    }
}
