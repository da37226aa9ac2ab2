//! The sources of a scan, kept out of memory while it runs: each file's [`SourceEntry`] is
//! serialised as the file finishes and appended to an anonymous temporary file, and only its
//! path and place stay in memory (about 100 bytes a file instead of the 5 KB of the entry and
//! its accumulators). When the scan ends the places are sorted by path and the entries are
//! copied, in that order, into `sources.jsonl` or the inventory's `sources` array
//! ([`crate::sources_file::write_inventory`]) without being parsed again.
//!
//! The temporary file is unlinked from the start (`tempfile::tempfile_in`), so nothing is left
//! behind by a crash or a signal. If it cannot be created or written (a full disk), the entries
//! from then on are kept in memory instead: the scan goes on, only with more memory.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::inventory::SourceEntry;

/// Bytes of entries gathered before they are written to the file.
const PENDING: usize = 256 << 10;

/// How each entry is serialised: the form it is copied out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One compact JSON object (a line of `sources.jsonl`).
    Line,
    /// Pretty-printed as an element of `inventory.json`'s `sources` array (indented by four
    /// spaces, as `serde_json::to_vec_pretty` writes the whole document).
    Element,
}

/// Where one entry's bytes are.
#[derive(Debug)]
enum Place {
    File { offset: u64, len: u32 },
    Memory(Box<[u8]>),
}

/// The entries of a scan's sources, in the order they finished until [`SourceSpill::sort`].
#[derive(Debug)]
pub struct SourceSpill {
    layout: Layout,
    file: Option<File>,
    /// False once a write failed: the file is read, no longer extended.
    writable: bool,
    /// Bytes of entries placed in `file` so far (the next entry's offset), `pending`'s included.
    end: u64,
    /// Entries placed in the file but not yet written: appended a few hundred at a time
    /// rather than with a system call per file (which, under the builder's lock, made a share
    /// of small files wait on each other).
    pending: Vec<u8>,
    /// Bytes actually written to `file` (`end - pending.len()`).
    written: u64,
    /// Why the file is not used (it could not be created, or a write failed).
    failed: Option<String>,
    index: Vec<(Box<str>, Place)>,
    /// A reused serialisation buffer.
    buf: Vec<u8>,
}

impl SourceSpill {
    /// A spill in `dir` (the system's temporary folder when `None`).
    pub fn new(dir: Option<&Path>, layout: Layout) -> SourceSpill {
        let made = match dir {
            Some(d) => tempfile::tempfile_in(d),
            None => tempfile::tempfile(),
        };
        let (file, failed) = match made {
            Ok(f) => (Some(f), None),
            Err(e) => (None, Some(e.to_string())),
        };
        SourceSpill {
            layout,
            writable: file.is_some(),
            file,
            end: 0,
            pending: Vec::new(),
            written: 0,
            failed,
            index: Vec::new(),
            buf: Vec::new(),
        }
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Serialises `entry` in this spill's layout and keeps it.
    pub fn push(&mut self, entry: &SourceEntry) -> serde_json::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let done = serialise(entry, self.layout, &mut buf);
        if done.is_ok() {
            self.push_bytes(&entry.path, &buf);
        }
        self.buf = buf;
        done
    }

    /// Keeps an entry serialised already in this spill's layout ([`serialise`]).
    pub fn push_bytes(&mut self, path: &str, bytes: &[u8]) {
        let place = match (&self.file, u32::try_from(bytes.len())) {
            (Some(_), Ok(len)) if self.writable => {
                let offset = self.end;
                self.end += u64::from(len);
                self.pending.extend_from_slice(bytes);
                Place::File { offset, len }
            }
            _ => Place::Memory(bytes.into()),
        };
        self.index.push((path.into(), place));
        if self.pending.len() >= PENDING {
            self.flush();
        }
    }

    /// Writes the pending entries to the file. If that fails, they are kept in memory instead:
    /// a failed append may have written part of them, so the file is no longer extended, and
    /// the entries already in it stay where they are.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let Some(f) = &mut self.file else {
            return;
        };
        match f.write_all(&self.pending) {
            Ok(()) => {
                self.written += self.pending.len() as u64;
                self.pending.clear();
            }
            Err(e) => {
                self.failed = Some(e.to_string());
                self.writable = false;
                let written = self.written;
                // The pending entries are the last ones placed in the file.
                for (_, place) in self.index.iter_mut().rev() {
                    let Place::File { offset, len } = *place else {
                        continue;
                    };
                    if offset < written {
                        break;
                    }
                    let at = (offset - written) as usize;
                    *place = Place::Memory(self.pending[at..at + len as usize].into());
                }
                self.pending = Vec::new();
                self.end = written;
            }
        }
    }

    /// Orders the entries by path (stable: a file the roots name twice keeps both entries).
    pub fn sort(&mut self) {
        self.flush();
        self.index.sort_by(|a, b| a.0.cmp(&b.0));
    }

    /// Why the temporary file is not (or no longer) used, if so.
    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Calls `f` with each entry's bytes, in the current order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut buf = Vec::new();
        for (_, place) in &self.index {
            match place {
                Place::Memory(b) => f(b)?,
                // Not yet written (a spill read before `sort`).
                Place::File { offset, len } if *offset >= self.written => {
                    let at = (*offset - self.written) as usize;
                    f(&self.pending[at..at + *len as usize])?
                }
                Place::File { offset, len } => {
                    let file = self
                        .file
                        .as_ref()
                        .ok_or_else(|| io::Error::other("the sources' temporary file is gone"))?;
                    buf.resize(*len as usize, 0);
                    file.read_exact_at(&mut buf, *offset)?;
                    f(&buf)?
                }
            }
        }
        Ok(())
    }

    /// Every entry, parsed back (for library callers and small scans that want them in
    /// memory).
    pub fn load_all(&self) -> io::Result<Vec<SourceEntry>> {
        let mut out = Vec::with_capacity(self.index.len());
        self.for_each(|b| {
            let e: SourceEntry = serde_json::from_slice(b).map_err(io::Error::other)?;
            out.push(e);
            Ok(())
        })?;
        Ok(out)
    }
}

/// `entry` as the bytes `layout` says.
pub fn serialise(entry: &SourceEntry, layout: Layout, out: &mut Vec<u8>) -> serde_json::Result<()> {
    match layout {
        Layout::Line => serde_json::to_writer(out, entry),
        Layout::Element => {
            let pretty = serde_json::to_vec_pretty(entry)?;
            // JSON strings hold no raw newline, so every newline is between tokens: indenting
            // each line puts the object two levels deep, as in the whole document.
            out.reserve(pretty.len() + pretty.len() / 8);
            out.extend_from_slice(b"    ");
            for &b in &pretty {
                out.push(b);
                if b == b'\n' {
                    out.extend_from_slice(b"    ");
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{DetectorSet, Standard};
    use crate::scan::{ScanConfig, scan};
    use crate::sources_file::{SourcesForm, write_inventory};

    fn config(root: &Path, sources: Option<Layout>) -> ScanConfig {
        ScanConfig {
            walk: crate::walk::WalkOptions {
                roots: vec![root.to_path_buf()],
                ..Default::default()
            },
            reference_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            sensitivity: Standard::Gbt45574_2025,
            key: crate::sketch::SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap(),
            progress: false,
            classify: crate::classify::ClassifyConfig::default(),
            link_cap: crate::link::DEFAULT_CAP,
            link_memory: u64::MAX,
            spill_dir: None,
            min_confidence: crate::confidence::Confidence::Low,
            stop: None,
            sources,
            tally: None,
        }
    }

    /// The inventory (and sources.jsonl) written from sources spilled while the scan ran are
    /// byte for byte those of the same scan with its sources in memory.
    #[test]
    fn spilled_sources_write_the_same_bytes_as_sources_in_memory() {
        let set = DetectorSet::load(None).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut held = scan(&config(&root, None), &set).unwrap();
        assert!(held.sources.len() > 10 && held.spilled.is_none());
        for (form, layout) in [
            (SourcesForm::Inline, Layout::Element),
            (SourcesForm::Jsonl, Layout::Line),
        ] {
            let mut spilled = scan(&config(&root, Some(layout)), &set).unwrap();
            assert!(spilled.sources.is_empty());
            assert_eq!(spilled.spilled.as_ref().unwrap().len(), held.sources.len());
            spilled.scan.started_at = held.scan.started_at.clone();
            spilled.scan.finished_at = held.scan.finished_at.clone();
            let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            write_inventory(a.path(), &mut held, form).unwrap();
            write_inventory(b.path(), &mut spilled, form).unwrap();
            for name in ["inventory.json", "sources.jsonl"] {
                let (x, y) = (a.path().join(name), b.path().join(name));
                assert_eq!(x.exists(), y.exists(), "{form:?} {name}");
                if x.exists() {
                    assert!(
                        std::fs::read(&x).unwrap() == std::fs::read(&y).unwrap(),
                        "{form:?}: {name} differs"
                    );
                }
            }
            // Read back, the entries are the sources held in memory.
            let back = spilled.spilled.as_ref().unwrap().load_all().unwrap();
            assert_eq!(
                serde_json::to_value(&back).unwrap(),
                serde_json::to_value(&held.sources).unwrap()
            );
        }
    }

    /// Entries gathered for the file when writing it fails: they are kept in memory, the
    /// spill says why, and every entry (written or not) reads back in order.
    #[test]
    fn entries_whose_write_fails_stay_in_memory() {
        let set = DetectorSet::load(None).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/text");
        let held = scan(&config(&root, None), &set).unwrap();
        assert!(held.sources.len() >= 2);
        let mut spill = SourceSpill::new(None, Layout::Line);
        // Before the file is written, the pending entries read back from memory.
        spill.push(&held.sources[0]).unwrap();
        assert_eq!(spill.load_all().unwrap()[0].path, held.sources[0].path);
        spill.flush();
        assert!(spill.written > 0 && spill.failed().is_none());
        // A descriptor opened read-only: the next write fails.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ro");
        std::fs::write(&p, b"").unwrap();
        let ro = File::open(&p).unwrap();
        let good = std::mem::replace(spill.file.as_mut().unwrap(), ro);
        for e in &held.sources[1..] {
            spill.push(e).unwrap();
        }
        spill.sort();
        assert!(spill.failed().is_some());
        // The entry written before the failure is read from the original file.
        *spill.file.as_mut().unwrap() = good;
        let back = spill.load_all().unwrap();
        let mut want: Vec<&String> = held.sources.iter().map(|e| &e.path).collect();
        want.sort();
        assert_eq!(back.iter().map(|e| &e.path).collect::<Vec<_>>(), want);
    }

    /// A temporary file that cannot be made: the entries are kept in memory, and say why.
    #[test]
    fn without_a_temporary_file_the_entries_stay_in_memory() {
        let set = DetectorSet::load(None).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/text");
        let held = scan(&config(&root, None), &set).unwrap();
        let mut spill = SourceSpill::new(Some(Path::new("/nonexistent/folder")), Layout::Line);
        assert!(spill.failed().is_some());
        for e in held.sources.iter().rev() {
            spill.push(e).unwrap();
        }
        spill.sort();
        let back = spill.load_all().unwrap();
        assert_eq!(
            back.iter().map(|e| &e.path).collect::<Vec<_>>(),
            held.sources.iter().map(|e| &e.path).collect::<Vec<_>>()
        );
    }
}
