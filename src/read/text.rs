//! Plain text: every line is a record.
//!
//! Small files are read into memory; large ones are memory-mapped (see [`super::mapped`] for how
//! a file truncated under the map is survived). A large file is split into chunks at line
//! boundaries that are scanned in parallel; since lines are records and no pattern matches a
//! newline, a chunk boundary never cuts a match or a record. Line boundaries are looked up only
//! around matches, as ripgrep does: a line without PI costs only the matcher's pass over it and
//! the newline count.

use std::path::Path;

use rayon::prelude::*;

use super::Ctx;
use super::mapped::Mapped;
use crate::confidence::Confidence;
use crate::detect::Finding;
use crate::inventory::{FindingHasher, SourceAcc};
use crate::subject;

/// Files at least this large are memory-mapped; smaller ones are read (a map costs more than a
/// read for small files).
pub const MMAP_THRESHOLD: u64 = 4 << 20;

/// Target chunk size for parallel scanning of one file.
pub const CHUNK: usize = 4 << 20;

/// If no newline occurs within this distance after a chunk's target end, the line is cut at a
/// byte that no pattern can contain (see [`cut_point`]).
const MAX_LINE_SEARCH: usize = 1 << 20;

/// The field name under which findings in plain text are recorded.
pub const FIELD: &str = "text";

/// The bytes of one file, owned or mapped.
pub enum Data {
    /// A file read into memory, and a note when its size was not the size the walk listed
    /// (it shrank or grew between the listing and the read).
    Owned(Vec<u8>, Option<String>),
    Mapped(Mapped),
}

impl Data {
    /// Opens a file found by the walk with size `size`.
    pub fn open(path: &Path, size: u64) -> Result<Data, OpenError> {
        if size >= MMAP_THRESHOLD {
            let file = super::open::open(path).map_err(|e| OpenError::new(path, "open", e))?;
            return Mapped::new(&file, path)
                .map(Data::Mapped)
                .map_err(|e| OpenError::new(path, "memory-map", e));
        }
        let file = super::open::open_regular(path).map_err(|e| OpenError::new(path, "open", e))?;
        let mut buf = read_listed(file, size).map_err(|e| OpenError::new(path, "read", e))?;
        let n = buf.len() as u64;
        let changed = if n < size {
            Some(format!(
                "{}: file shrank while being read ({size} bytes when listed, {n} read); the \
                 bytes that were there were scanned",
                path.display()
            ))
        } else if n > size {
            buf.truncate(size as usize);
            Some(format!(
                "{}: file grew while being read; the {size} bytes it had when listed were \
                 scanned, not what was added",
                path.display()
            ))
        } else {
            None
        };
        Ok(Data::Owned(buf, changed))
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            Data::Owned(v, _) => v,
            Data::Mapped(m) => m.bytes(),
        }
    }

    /// Called when `start..end` has been scanned: a mapped file gives its pages back.
    pub fn release(&self, start: usize, end: usize) {
        if let Data::Mapped(m) = self {
            m.release(start, end);
        }
    }

    /// After scanning: `Err(message)` when the file changed under us so that part of it was not
    /// read (a mapped file that shrank: the missing pages were read as zeros; a file read whole
    /// that was not the size listed).
    pub fn finish(self, path: &Path) -> Result<(), String> {
        match self {
            Data::Owned(_, None) => Ok(()),
            Data::Owned(_, Some(changed)) => Err(changed),
            Data::Mapped(m) => m.finish(path),
        }
    }
}

/// Reads a file the walk listed at `size` bytes: what the walk saw, plus one byte to notice
/// growth, so memory stays bounded by --max-file-size. A first read that returns exactly
/// `size` bytes of the `size + 1` asked for has met the end of a regular file: the second read
/// that would only have returned 0 is not made (one system call in six of a small file).
/// A shorter first read (the file shrank, or a file system that returns short reads) goes on
/// reading to the end.
#[cfg(unix)]
fn read_listed(file: std::fs::File, size: u64) -> std::io::Result<Vec<u8>> {
    use std::os::fd::AsRawFd;
    let want = size as usize + 1;
    // Read into the vector's spare room: zeroing it first cost more instructions than the
    // read's own copy.
    let mut buf: Vec<u8> = Vec::with_capacity(want);
    loop {
        let spare = buf.spare_capacity_mut();
        if spare.is_empty() {
            break;
        }
        // SAFETY: `read` writes at most `spare.len()` bytes into the vector's own spare
        // capacity, from a descriptor owned by `file`, alive for the call.
        let k = unsafe { libc::read(file.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len()) };
        if k < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let k = k as usize;
        let first = buf.is_empty();
        // SAFETY: the kernel initialised these `k` bytes, within the capacity.
        unsafe { buf.set_len(buf.len() + k) };
        if k == 0 || (first && k == size as usize) {
            break;
        }
    }
    Ok(buf)
}

#[cfg(not(unix))]
fn read_listed(file: std::fs::File, size: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(size as usize + 1);
    file.take(size + 1).read_to_end(&mut buf)?;
    Ok(buf)
}

/// A file that could not be opened or read, with the path and the failing step.
#[derive(Debug)]
pub struct OpenError {
    pub message: String,
}

impl OpenError {
    fn new(path: &Path, step: &str, e: std::io::Error) -> OpenError {
        let message = if e.kind() == std::io::ErrorKind::NotFound {
            format!("{}: vanished before it could be read ({e})", path.display())
        } else {
            format!("{}: cannot {step}: {e}", path.display())
        };
        OpenError { message }
    }
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Scans text: chunks in parallel, one accumulator each, merged at the end.
pub fn scan_text(bytes: &[u8], ctx: &Ctx) -> SourceAcc {
    scan_text_releasing(bytes, ctx, &|_, _| {})
}

/// [`scan_text`], calling `release(s, e)` once the chunk `s..e` has been scanned and its bytes
/// are no longer needed (a mapped file gives those pages back).
pub fn scan_text_releasing(
    bytes: &[u8],
    ctx: &Ctx,
    release: &(dyn Fn(usize, usize) + Sync),
) -> SourceAcc {
    let chunks = split(bytes, CHUNK);
    let mut acc = if chunks.len() == 1 {
        scan_chunk(bytes, ctx)
    } else {
        chunks
            .into_par_iter()
            .map(|(s, e)| {
                if ctx.stopping() {
                    return SourceAcc::default();
                }
                let acc = scan_chunk(&bytes[s..e], ctx);
                release(s, e);
                ctx.advance((e - s) as u64);
                acc
            })
            .reduce(SourceAcc::default, |mut a, b| {
                a.merge(b);
                ctx.bound_links(&mut a);
                a
            })
    };
    // The last line counts even without a trailing newline.
    if bytes.last().is_some_and(|&b| b != b'\n') {
        acc.records += 1;
    }
    acc
}

/// Chunk boundaries: about `target` bytes each, ending just after a newline where one is near.
pub fn split(bytes: &[u8], target: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let want = start + target;
        if want >= bytes.len() {
            out.push((start, bytes.len()));
            break;
        }
        let end = cut_point(bytes, want);
        out.push((start, end));
        start = end;
    }
    out
}

/// Where to end a chunk at or after `want`: after the next newline, or failing one within
/// [`MAX_LINE_SEARCH`], before the next byte that no detector pattern contains (a control byte
/// or punctuation that is not part of emails or separators).
fn cut_point(bytes: &[u8], want: usize) -> usize {
    let limit = (want + MAX_LINE_SEARCH).min(bytes.len());
    if let Some(i) = memchr::memchr(b'\n', &bytes[want..limit]) {
        return want + i + 1;
    }
    let safe = |b: u8| {
        matches!(
            b,
            b'\t' | b'\r' | b',' | b';' | b'"' | b'\'' | b'|' | b'<' | b'>'
        )
    };
    bytes[want..]
        .iter()
        .position(|&b| safe(b))
        .map_or(bytes.len(), |i| want + i)
}

/// Scans one chunk of whole lines.
fn scan_chunk(chunk: &[u8], ctx: &Ctx) -> SourceAcc {
    let mut acc = SourceAcc {
        records: bytecount::count(chunk, b'\n') as u64,
        ..SourceAcc::default()
    };
    let mut record: Vec<(&str, Finding)> = Vec::new();
    let hasher = FindingHasher::new(ctx.set, ctx.key);
    let mut line_end = 0usize;
    // Tracing only: the current line's start and number (1-based), counted as lines are met.
    let (mut line_start, mut line_no, mut counted_to) = (0usize, 1u64, 0usize);
    let mut confs: Vec<Confidence> = Vec::new();
    let mut flush = |record: &mut Vec<(&str, Finding)>, acc: &mut SourceAcc, line: (u64, &[u8])| {
        if record.is_empty() {
            return;
        }
        // Each finding's confidence, from a keyword on its line when its checksum does not
        // settle it; below --min-confidence it is not counted.
        confs.clear();
        confs.extend(record.iter().map(|(_, f)| {
            let d = ctx.set.get(f.detector);
            Confidence::of_finding(d, f, || d.has_context(chunk, f.start, f.end))
        }));
        if ctx.min_confidence > Confidence::Low {
            let mut kept = confs.iter().map(|&c| c >= ctx.min_confidence);
            record.retain(|_| kept.next().unwrap_or(true));
            confs.retain(|&c| c >= ctx.min_confidence);
            if record.is_empty() {
                return;
            }
        }
        let subject = subject::classify(ctx.set, record.iter().map(|(_, f)| f), ctx.reference);
        if let Some(trace) = ctx.trace {
            for (i, (field, f)) in record.iter().enumerate() {
                trace(super::Traced {
                    record: line.0,
                    field,
                    finding: f,
                    is_key: subject.key_finding == Some(i),
                    line: Some(line.1),
                });
            }
        }
        acc.add_record(ctx.set, &hasher, record, &confs, &subject);
        record.clear();
    };
    ctx.set.find(chunk, &[], |f| {
        if f.start >= line_end {
            flush(
                &mut record,
                &mut acc,
                (line_no, &chunk[line_start..line_end]),
            );
            line_end = memchr::memchr(b'\n', &chunk[f.end..]).map_or(chunk.len(), |i| f.end + i);
            if ctx.trace.is_some() {
                line_start = memchr::memrchr(b'\n', &chunk[..f.start]).map_or(0, |i| i + 1);
                line_no += bytecount::count(&chunk[counted_to..line_start], b'\n') as u64;
                counted_to = line_start;
            }
        }
        record.push((FIELD, f));
    });
    flush(
        &mut record,
        &mut acc,
        (line_no, &chunk[line_start..line_end]),
    );
    // Sorted here, on this chunk's thread: the chunks of a file merge linearly after.
    acc.links.compact();
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_file_shows_its_progress_chunk_by_chunk() {
        let set = crate::detect::DetectorSet::load(None).unwrap();
        let key = crate::sketch::SketchKey::random();
        let line = "plain words and 13812345678 on a line of a log\n";
        let text = line.repeat(3 * CHUNK / line.len());
        let bar = indicatif::ProgressBar::hidden();
        let progress = super::super::FileProgress {
            done: std::sync::atomic::AtomicU64::new(0),
            size: text.len() as u64,
            started: std::time::Instant::now(),
            name: "logs/app.log".into(),
            bar: bar.clone(),
        };
        let mut ctx = Ctx::for_tests(&set, &key);
        ctx.progress = Some(&progress);
        let acc = scan_text(text.as_bytes(), &ctx);
        assert!(acc.records > 0);
        let done = progress.done.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(done, text.len() as u64, "every chunk reported once");
        assert_eq!(bar.position(), done);
        let msg = bar.message();
        assert!(msg.starts_with("logs/app.log: 100% of "), "{msg}");
        assert!(msg.ends_with("s left"), "{msg}");
    }

    #[test]
    fn a_trace_sees_each_finding_with_its_line() {
        let set = crate::detect::DetectorSet::load(None).unwrap();
        let key = crate::sketch::SketchKey::random();
        let seen = std::sync::Mutex::new(Vec::new());
        let trace = |t: super::super::Traced<'_>| {
            let line = String::from_utf8_lossy(t.line.unwrap()).into_owned();
            let id = set.get(t.finding.detector).id.clone();
            seen.lock().unwrap().push((t.record, id, t.is_key, line));
        };
        let mut ctx = Ctx::for_tests(&set, &key);
        ctx.trace = Some(&trace);
        let text = "nothing\n13812345678 a@example.com\n\nmore\nb@example.com\n";
        scan_text(text.as_bytes(), &ctx);
        let seen = seen.into_inner().unwrap();
        let got: Vec<(u64, &str, bool)> = seen
            .iter()
            .map(|(r, id, k, _)| (*r, id.as_str(), *k))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "cn-mobile", true),
                (2, "email", false),
                (5, "email", true)
            ]
        );
        assert_eq!(seen[0].3, "13812345678 a@example.com");
        assert_eq!(seen[2].3, "b@example.com");
    }

    #[test]
    fn split_ends_chunks_after_newlines_and_covers_everything() {
        let text = b"aaaa\nbbbb\ncccc\ndddd";
        let chunks = split(text, 6);
        assert_eq!(chunks, vec![(0, 10), (10, 19)]);
        let one_line = b"13812345678,13912345678,13712345678";
        let chunks = split(one_line, 5);
        assert_eq!(
            chunks[0],
            (0, 11),
            "cut before the comma, not inside a number"
        );
        assert_eq!(chunks.last().unwrap().1, one_line.len());
    }
}
