//! The people graph past its memory budget: sorted runs on disk.
//!
//! A scan keeps each source's graph ([`LinkAcc`]) in memory until the graphs together pass
//! `--link-memory`; from then on a finished source's graph is written to a *run* — its nodes
//! and edges, sorted and distinct, in the record layout of `links.bin` — in a temporary folder,
//! and only the run's name stays in memory. Counting people over runs ([`count_parts`]) never
//! loads them whole: the nodes and edges of every part are read as sorted streams and merged
//! (k-way), the edges' second ends are sorted by an external merge sort of runs of at most
//! `sort_entries` entries, and the numbering walk ([`crate::link::number`]) reads the three
//! streams in order. What stays in memory is the union-find itself: about 20 bytes per
//! identifier and 8 per link (measured in docs/scale.md), against some 90 for the
//! graph held whole.
//!
//! Hand-written because it is a merge of fixed-size records that are already sorted: the
//! external-sort crates sort `Ord` values through serde, which would cost a copy and a
//! serialisation per record for no gain here.

use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::link::{self, Edge, Id, Kinds, LinkAcc, Node, PeopleCount};
use crate::link_file::{self, get_edge, get_node, id_at, put_edge, put_node};

/// Bytes of one node and one edge on disk: the layout of `links.bin` ([`crate::link_file`]).
const NODE_BYTES: u64 = link_file::NODE_BYTES as u64;
const EDGE_BYTES: u64 = link_file::EDGE_BYTES as u64;
const SECOND_BYTES: usize = 21;

/// A temporary folder for runs, removed with the last run that uses it.
#[derive(Debug)]
pub struct SpillDir {
    dir: tempfile::TempDir,
    next: AtomicU64,
}

impl SpillDir {
    /// A new folder under `parent` (the system's temporary folder when `None`).
    pub fn new(parent: Option<&Path>) -> io::Result<Arc<SpillDir>> {
        let mut b = tempfile::Builder::new();
        b.prefix("pipl-scan-links-");
        let dir = match parent {
            Some(p) => b.tempdir_in(p),
            None => b.tempdir(),
        }
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot make a folder for the people graph's runs in {}: {e}",
                    parent.map_or_else(
                        || std::env::temp_dir().display().to_string(),
                        |p| p.display().to_string()
                    )
                ),
            )
        })?;
        Ok(Arc::new(SpillDir {
            dir,
            next: AtomicU64::new(0),
        }))
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, what: &str) -> io::Result<(PathBuf, BufWriter<File>)> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.path().join(format!("{what}-{n}.run"));
        let f = File::create(&path).map_err(|e| named(&path, e))?;
        Ok((path, BufWriter::with_capacity(1 << 20, f)))
    }

    /// Writes a graph (compacted: sorted and distinct) as a run.
    pub fn write(self: &Arc<Self>, acc: &LinkAcc) -> io::Result<Run> {
        self.write_graph(acc.nodes.iter().copied(), acc.edges.iter().copied())
    }

    /// A run of `nodes` then `edges` (each sorted and distinct).
    fn write_graph(
        self: &Arc<Self>,
        nodes: impl Iterator<Item = Node>,
        edges: impl Iterator<Item = Edge>,
    ) -> io::Result<Run> {
        let (path, mut w) = self.file("graph")?;
        let nodes = write_records(&mut w, &path, nodes)?;
        let edges = write_records(&mut w, &path, edges)?;
        w.flush().map_err(|e| named(&path, e))?;
        Ok(Run {
            path,
            nodes,
            edges,
            _dir: Arc::clone(self),
        })
    }
}

/// Where a scan's graphs go past the memory budget: a folder made on first need, the first
/// failure to make it or to write a run (after which people are not linked at all), and how
/// many entries one file's graph may hold in memory while it is read.
#[derive(Debug)]
pub struct Spill {
    parent: Option<PathBuf>,
    dir: std::sync::OnceLock<Result<Arc<SpillDir>, String>>,
    failed: std::sync::OnceLock<String>,
    /// Nodes and edges a graph holds in memory before [`Spill::bound`] writes them to a run.
    pub per_file_entries: usize,
}

impl Spill {
    pub fn new(parent: Option<PathBuf>, per_file_entries: usize) -> Spill {
        Spill {
            parent,
            dir: std::sync::OnceLock::new(),
            failed: std::sync::OnceLock::new(),
            per_file_entries: per_file_entries.max(1 << 16),
        }
    }

    /// The folder, once made.
    pub fn dir(&self) -> Option<Arc<SpillDir>> {
        self.dir.get().and_then(|d| d.as_ref().ok().cloned())
    }

    /// Why graphs could not be written, if they could not.
    pub fn failed(&self) -> Option<&str> {
        self.failed.get().map(String::as_str)
    }

    fn fail(&self, acc: &mut LinkAcc, why: String) {
        let _ = self.failed.set(why);
        *acc = LinkAcc::default();
    }

    /// Writes what `acc` holds in memory to a new run beside its others.
    pub fn spill(&self, acc: &mut LinkAcc) {
        if self.failed.get().is_some() {
            *acc = LinkAcc::default();
            return;
        }
        let dir = self
            .dir
            .get_or_init(|| SpillDir::new(self.parent.as_deref()).map_err(|e| e.to_string()));
        let dir = match dir {
            Ok(d) => d,
            Err(e) => return self.fail(acc, e.clone()),
        };
        acc.compact();
        match dir.write(acc) {
            Ok(run) => {
                let runs = std::mem::take(&mut acc.runs);
                *acc = LinkAcc::spilled(run);
                acc.runs.splice(0..0, runs);
            }
            Err(e) => self.fail(acc, e.to_string()),
        }
    }

    /// While a file is read: spills its graph once it holds [`Spill::per_file_entries`], so a
    /// single file's graph is bounded too.
    #[inline]
    pub fn bound(&self, acc: &mut LinkAcc) {
        if acc.entries() >= self.per_file_entries {
            self.spill(acc);
        }
    }

    /// When a file is done: a graph with runs becomes one run (what remains in memory written,
    /// the runs merged), the form the links file and the count take a source's graph in.
    pub fn finish(&self, acc: &mut LinkAcc) {
        if acc.runs.is_empty() {
            return;
        }
        if acc.entries() > 0 {
            self.spill(acc);
        }
        if acc.runs.len() <= 1 {
            return;
        }
        let Some(dir) = self.dir() else {
            return self.fail(acc, "the runs' folder is gone".into());
        };
        match merge_runs(&dir, acc) {
            Ok(run) => *acc = LinkAcc::spilled(run),
            Err(e) => self.fail(acc, e.to_string()),
        }
    }
}

/// The runs of one graph merged into one.
fn merge_runs(dir: &Arc<SpillDir>, acc: &LinkAcc) -> io::Result<Run> {
    let parts = [acc];
    let nodes = reduce(sources(&parts, true, |p| &p.nodes), dir, node_key, or_flags)?;
    let edges = reduce(sources(&parts, false, |p| &p.edges), dir, edge_key, keep)?;
    let written = (|| {
        let failed = Failure::default();
        let run = dir.write_graph(
            Merge::new(open_all(&nodes, &failed)?, node_key, or_flags),
            Merge::new(open_all(&edges, &failed)?, edge_key, keep),
        )?;
        failed.check()?;
        Ok(run)
    })();
    remove_temporaries(&nodes);
    remove_temporaries(&edges);
    written
}

/// One graph on disk: its nodes, then its edges, each sorted and distinct.
#[derive(Debug)]
pub struct Run {
    path: PathBuf,
    pub nodes: u64,
    pub edges: u64,
    /// Keeps the folder until the last run is dropped.
    _dir: Arc<SpillDir>,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Run {
    fn open_at(&self, offset: u64) -> io::Result<BufReader<File>> {
        let mut f = File::open(&self.path).map_err(|e| named(&self.path, e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| named(&self.path, e))?;
        Ok(BufReader::with_capacity(1 << 16, f))
    }

    /// Reads the whole graph back (one source's, to count it on its own).
    pub fn load(&self) -> io::Result<LinkAcc> {
        let mut acc = LinkAcc::default();
        let failed = Failure::default();
        acc.nodes
            .extend(Records::<Node>::open(&self.path, 0, self.nodes, &failed)?);
        acc.edges.extend(Records::<Edge>::open(
            &self.path,
            self.nodes * NODE_BYTES,
            self.edges,
            &failed,
        )?);
        failed.check()?;
        acc.compact();
        Ok(acc)
    }

    /// Copies the run's records (the body of its source in `links.bin`) to `w`.
    pub fn copy_to(&self, w: &mut impl Write) -> io::Result<()> {
        let want = self.nodes * NODE_BYTES + self.edges * EDGE_BYTES;
        let got = io::copy(&mut self.open_at(0)?.take(want), w)?;
        if got != want {
            return Err(named(
                &self.path,
                io::Error::new(io::ErrorKind::UnexpectedEof, "run shorter than written"),
            ));
        }
        Ok(())
    }
}

fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

fn get_second(buf: &[u8]) -> (Id, u32, u8) {
    let mut n = [0u8; 4];
    n.copy_from_slice(&buf[16..20]);
    (id_at(buf, 0), u32::from_le_bytes(n), buf[20])
}

/// The first read error of a set of streams (an iterator cannot return one): the count checks
/// it when the streams are done.
#[derive(Default)]
struct Failure(Mutex<Option<io::Error>>);

impl Failure {
    fn set(&self, e: io::Error) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(e);
    }

    fn check(&self) -> io::Result<()> {
        match self.0.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A record of fixed size on disk.
pub(crate) trait Rec: Copy {
    const SIZE: usize;
    fn get(b: &[u8]) -> Self;
    fn put(&self, b: &mut [u8]);
}

impl Rec for Node {
    const SIZE: usize = NODE_BYTES as usize;
    fn get(b: &[u8]) -> Self {
        get_node(b)
    }
    fn put(&self, b: &mut [u8]) {
        put_node(self, b)
    }
}

impl Rec for Edge {
    const SIZE: usize = EDGE_BYTES as usize;
    fn get(b: &[u8]) -> Self {
        get_edge(b)
    }
    fn put(&self, b: &mut [u8]) {
        put_edge(self, b)
    }
}

impl Rec for (Id, u32, u8) {
    const SIZE: usize = SECOND_BYTES;
    fn get(b: &[u8]) -> Self {
        get_second(b)
    }
    fn put(&self, b: &mut [u8]) {
        b[..16].copy_from_slice(&self.0.to_bytes());
        b[16..20].copy_from_slice(&self.1.to_le_bytes());
        b[20] = self.2;
    }
}

/// `count` records read one by one from `path` at `offset`; stops early (recording why) on a
/// read error.
struct Records<'f, T> {
    r: BufReader<File>,
    path: PathBuf,
    left: u64,
    buf: [u8; EDGE_BYTES as usize],
    failed: &'f Failure,
    _t: std::marker::PhantomData<T>,
}

impl<'f, T: Rec> Records<'f, T> {
    fn open(path: &Path, offset: u64, count: u64, failed: &'f Failure) -> io::Result<Self> {
        let mut f = File::open(path).map_err(|e| named(path, e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| named(path, e))?;
        Ok(Records {
            r: BufReader::with_capacity(1 << 16, f),
            path: path.to_path_buf(),
            left: count,
            buf: [0; EDGE_BYTES as usize],
            failed,
            _t: std::marker::PhantomData,
        })
    }
}

impl<T: Rec> Iterator for Records<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        if self.left == 0 {
            return None;
        }
        if let Err(e) = self.r.read_exact(&mut self.buf[..T::SIZE]) {
            self.failed.set(io::Error::new(
                e.kind(),
                format!(
                    "{}: {} records short of what was written ({e}): the run is damaged",
                    self.path.display(),
                    self.left
                ),
            ));
            self.left = 0;
            return None;
        }
        self.left -= 1;
        Some(T::get(&self.buf[..T::SIZE]))
    }
}

/// Writes `items` to `w` (the file at `path`, named in errors); gives how many.
fn write_records<T: Rec>(
    w: &mut impl Write,
    path: &Path,
    items: impl Iterator<Item = T>,
) -> io::Result<u64> {
    let mut buf = [0u8; EDGE_BYTES as usize];
    let mut count = 0u64;
    for x in items {
        x.put(&mut buf);
        w.write_all(&buf[..T::SIZE]).map_err(|e| named(path, e))?;
        count += 1;
    }
    Ok(count)
}

/// Where one sorted, distinct stream of records is.
enum Src<'a, T> {
    Mem(&'a [T]),
    File {
        path: PathBuf,
        offset: u64,
        count: u64,
        /// An intermediate merge of this count's own: removed once merged again.
        temporary: bool,
    },
}

/// Streams opened at most this many files at once: a merge of more runs (a share of many
/// files, each spilled) is first merged in groups into intermediate runs.
const FAN_IN: usize = 64;

fn open_all<'a, T: Rec + 'a>(
    srcs: &'a [Src<'a, T>],
    failed: &'a Failure,
) -> io::Result<Vec<Box<dyn Iterator<Item = T> + 'a>>> {
    let mut out: Vec<Box<dyn Iterator<Item = T> + 'a>> = Vec::with_capacity(srcs.len());
    for s in srcs {
        match s {
            Src::Mem(v) => out.push(Box::new(v.iter().copied())),
            Src::File {
                path,
                offset,
                count,
                ..
            } => out.push(Box::new(Records::<T>::open(path, *offset, *count, failed)?)),
        }
    }
    Ok(out)
}

/// Merges file sources in groups of [`FAN_IN`] into intermediate runs in `dir` until no more
/// than [`FAN_IN`] files remain.
fn reduce<'a, T: Rec + 'a, K: Ord + Copy>(
    mut srcs: Vec<Src<'a, T>>,
    dir: &Arc<SpillDir>,
    key: fn(&T) -> K,
    same: fn(&mut T, &T),
) -> io::Result<Vec<Src<'a, T>>> {
    loop {
        let files = srcs
            .iter()
            .filter(|s| matches!(s, Src::File { .. }))
            .count();
        if files <= FAN_IN {
            return Ok(srcs);
        }
        let (group, rest): (Vec<Src<'a, T>>, Vec<Src<'a, T>>) = {
            let mut taken = 0;
            srcs.into_iter().partition(|s| {
                let take = matches!(s, Src::File { .. }) && taken < FAN_IN;
                taken += usize::from(take);
                take
            })
        };
        let (path, mut w) = dir.file("merge")?;
        let failed = Failure::default();
        let count = write_records(
            &mut w,
            &path,
            Merge::new(open_all(&group, &failed)?, key, same),
        )?;
        failed.check()?;
        w.flush().map_err(|e| named(&path, e))?;
        for s in &group {
            if let Src::File {
                path,
                temporary: true,
                ..
            } = s
            {
                let _ = std::fs::remove_file(path);
            }
        }
        srcs = rest;
        srcs.push(Src::File {
            path,
            offset: 0,
            count,
            temporary: true,
        });
    }
}

fn remove_temporaries<T>(srcs: &[Src<'_, T>]) {
    for s in srcs {
        if let Src::File {
            path,
            temporary: true,
            ..
        } = s
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The k-way merge of sorted streams, equal keys folded by `same(kept, later)`.
struct Merge<'a, T, K> {
    streams: Vec<Box<dyn Iterator<Item = T> + 'a>>,
    heads: Vec<Option<T>>,
    heap: BinaryHeap<std::cmp::Reverse<(K, usize)>>,
    key: fn(&T) -> K,
    same: fn(&mut T, &T),
}

impl<'a, T: Copy, K: Ord + Copy> Merge<'a, T, K> {
    fn new(
        mut streams: Vec<Box<dyn Iterator<Item = T> + 'a>>,
        key: fn(&T) -> K,
        same: fn(&mut T, &T),
    ) -> Self {
        let mut heads = Vec::with_capacity(streams.len());
        let mut heap = BinaryHeap::with_capacity(streams.len());
        // One stream is read straight through (see `pop`).
        let many = streams.len() > 1;
        for (i, s) in streams.iter_mut().enumerate().filter(|_| many) {
            let h = s.next();
            if let Some(x) = &h {
                heap.push(std::cmp::Reverse((key(x), i)));
            }
            heads.push(h);
        }
        Merge {
            streams,
            heads,
            heap,
            key,
            same,
        }
    }

    fn pop(&mut self) -> Option<T> {
        if let [one] = self.streams.as_mut_slice() {
            // One stream (a source's single run, the common case): sorted and distinct as
            // written, nothing to merge.
            return one.next();
        }
        let std::cmp::Reverse((_, i)) = self.heap.pop()?;
        let x = self.heads[i].take()?;
        let next = self.streams[i].next();
        if let Some(n) = &next {
            self.heap.push(std::cmp::Reverse(((self.key)(n), i)));
        }
        self.heads[i] = next;
        Some(x)
    }
}

impl<T: Copy, K: Ord + Copy> Iterator for Merge<'_, T, K> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        let mut x = self.pop()?;
        if self.streams.len() == 1 {
            return Some(x);
        }
        while let Some(std::cmp::Reverse((k, _))) = self.heap.peek() {
            if *k != (self.key)(&x) {
                break;
            }
            let later = self.pop()?;
            (self.same)(&mut x, &later);
        }
        Some(x)
    }
}

fn node_key(n: &Node) -> Id {
    n.id
}

fn edge_key(e: &Edge) -> (Id, Id) {
    (e.a, e.b)
}

fn or_flags(kept: &mut Node, later: &Node) {
    kept.flags |= later.flags;
}

fn keep(_: &mut Edge, _: &Edge) {}

/// Every part's nodes (`nodes`) or edges, as sources to merge: its runs, and what it holds in
/// memory.
fn sources<'a, T>(
    parts: &[&'a LinkAcc],
    nodes: bool,
    mem: fn(&'a LinkAcc) -> &'a [T],
) -> Vec<Src<'a, T>> {
    let mut out = Vec::new();
    for p in parts {
        for r in &p.runs {
            out.push(Src::File {
                path: r.path.clone(),
                offset: if nodes { 0 } else { r.nodes * NODE_BYTES },
                count: if nodes { r.nodes } else { r.edges },
                temporary: false,
            });
        }
        if !mem(p).is_empty() {
            out.push(Src::Mem(mem(p)));
        }
    }
    out
}

/// Counts the people of `parts` (each compacted, in memory or spilled to a run: a stream that
/// is merged with no other is taken as sorted and distinct), reading runs
/// as streams; `dir` holds the external sort's runs when the edges outnumber `sort_entries`.
/// Gives what [`link::count`] gives for the same graph.
pub fn count_parts(
    kinds: &Kinds,
    cap: u32,
    parts: &[&LinkAcc],
    dir: Option<&Arc<SpillDir>>,
    sort_entries: usize,
) -> io::Result<PeopleCount> {
    if parts.iter().all(|p| p.runs.is_empty()) {
        return Ok(link::count(kinds, cap, parts.iter().copied()));
    }
    let own_dir;
    let dir = match dir {
        Some(d) => d,
        None => {
            own_dir = SpillDir::new(None)?;
            &own_dir
        }
    };
    let nodes = reduce(sources(parts, true, |p| &p.nodes), dir, node_key, or_flags)?;
    let edges = reduce(sources(parts, false, |p| &p.edges), dir, edge_key, keep)?;
    let counted = count_sources(kinds, cap, &nodes, &edges, dir, sort_entries);
    remove_temporaries(&nodes);
    remove_temporaries(&edges);
    counted
}

/// [`count_parts`] over at most [`FAN_IN`] files of nodes and of edges.
fn count_sources(
    kinds: &Kinds,
    cap: u32,
    nodes: &[Src<'_, Node>],
    edges: &[Src<'_, Edge>],
    dir: &Arc<SpillDir>,
    sort_entries: usize,
) -> io::Result<PeopleCount> {
    let failed = Failure::default();
    // The edges' second ends, sorted: in memory up to `sort_entries`, then in runs merged.
    let sort_entries = sort_entries.max(1024);
    let mut buf: Vec<(Id, u32, u8)> = Vec::new();
    let mut runs: Vec<Src<'_, (Id, u32, u8)>> = Vec::new();
    let mut m: u64 = 0;
    let flush =
        |buf: &mut Vec<(Id, u32, u8)>, runs: &mut Vec<Src<'_, (Id, u32, u8)>>| -> io::Result<()> {
            link::sort_random(buf, |x| x.0, |x| x.0.0);
            let (path, mut w) = dir.file("second")?;
            let mut b = [0u8; SECOND_BYTES];
            for x in buf.iter() {
                x.put(&mut b);
                w.write_all(&b).map_err(|e| named(&path, e))?;
            }
            w.flush().map_err(|e| named(&path, e))?;
            runs.push(Src::File {
                path,
                offset: 0,
                count: buf.len() as u64,
                temporary: true,
            });
            buf.clear();
            Ok(())
        };
    let counted = (|| {
        for e in Merge::new(open_all(edges, &failed)?, edge_key, keep) {
            if m >= u64::from(u32::MAX) {
                return Err(io::Error::other(
                    "more than 4,294,967,295 links: beyond what the people count numbers",
                ));
            }
            buf.push((e.b, m as u32, e.kb));
            m += 1;
            if buf.len() >= sort_entries {
                flush(&mut buf, &mut runs)?;
            }
        }
        failed.check()?;
        let mut sorted_runs = Vec::new();
        let second: Box<dyn Iterator<Item = (Id, u32, u8)> + '_> = if runs.is_empty() {
            link::sort_random(&mut buf, |x| x.0, |x| x.0.0);
            Box::new(std::mem::take(&mut buf).into_iter())
        } else {
            if !buf.is_empty() {
                flush(&mut buf, &mut runs)?;
            }
            sorted_runs = reduce(std::mem::take(&mut runs), dir, |s| (s.0, s.1), |_, _| {})?;
            runs = Vec::new();
            Box::new(Merge::new(
                open_all(&sorted_runs, &failed)?,
                |s| (s.0, s.1),
                |_, _| {},
            ))
        };
        let (numbered, ends) = link::number(
            Merge::new(open_all(nodes, &failed)?, node_key, or_flags),
            Merge::new(open_all(edges, &failed)?, edge_key, keep),
            second,
            m as usize,
        );
        remove_temporaries(&sorted_runs);
        failed.check()?;
        Ok(link::count_numbered(kinds, cap, &numbered, &ends))
    })();
    remove_temporaries(&runs);
    counted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::LinkAcc;

    fn kinds() -> Kinds {
        Kinds {
            detectors: vec!["cn-resident-id".into(), "cn-mobile".into(), "email".into()],
            unique: vec![true, false, false],
        }
    }

    /// A population where people share phones (families, a switchboard), have several
    /// identifiers across parts, and two resident IDs sometimes meet in one record.
    fn parts(n: u64, chunks: usize) -> Vec<LinkAcc> {
        let mut out = vec![LinkAcc::default(); chunks];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        // Uniformly random ids, as the keyed hashes are (splitmix64).
        let mix = |mut z: u64| {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let id = |kind: u64, v: u64| Id(mix(kind << 40 | v), mix(!(kind << 40 | v)));
        for p in 0..n {
            let part = rnd(chunks as u64) as usize;
            let phone = if rnd(10) == 0 {
                999_999
            } else {
                p / 2 + rnd(2)
            };
            let mut ids = vec![(id(0, p), 0u8), (id(1, phone), 1u8)];
            if rnd(3) == 0 {
                ids.push((id(2, p), 2));
            }
            if rnd(50) == 0 {
                ids.push((id(0, p + 1), 0));
            }
            let key = rnd(ids.len() as u64) as usize;
            out[part].add_record(&ids, key, (rnd(8) as u8) & 3);
            // Some records again, in another part.
            if rnd(4) == 0 {
                out[(part + 1) % chunks].add_record(&ids, 0, 0);
            }
        }
        for p in &mut out {
            p.compact();
        }
        out
    }

    #[test]
    fn spilled_parts_count_as_the_graph_held_whole() {
        let ks = kinds();
        let mem = parts(20_000, 5);
        let whole = link::count(&ks, 3, &mem);
        assert!(whole.people > 10_000 && whole.capped > 0 && whole.refused > 0);
        let dir = SpillDir::new(None).unwrap();
        // Every part spilled, then some; the external sort in runs of 1,024 entries, then in
        // memory.
        for spill in [5, 2] {
            let parts: Vec<LinkAcc> = mem
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    if i < spill {
                        LinkAcc::spilled(dir.write(p).unwrap())
                    } else {
                        p.clone()
                    }
                })
                .collect();
            let refs: Vec<&LinkAcc> = parts.iter().collect();
            for sort_entries in [1024, 1 << 30] {
                let c = count_parts(&ks, 3, &refs, Some(&dir), sort_entries).unwrap();
                assert_eq!(
                    c, whole,
                    "{spill} parts spilled, sort runs of {sort_entries}"
                );
            }
        }
    }

    #[test]
    fn more_runs_than_files_open_at_once_are_merged_in_groups() {
        let ks = kinds();
        let mem = parts(30_000, 3 * FAN_IN + 5);
        let whole = link::count(&ks, 3, &mem);
        let dir = SpillDir::new(None).unwrap();
        let parts: Vec<LinkAcc> = mem
            .iter()
            .map(|p| LinkAcc::spilled(dir.write(p).unwrap()))
            .collect();
        let refs: Vec<&LinkAcc> = parts.iter().collect();
        let c = count_parts(&ks, 3, &refs, Some(&dir), 1024).unwrap();
        assert_eq!(c, whole);
        // Only the parts' own runs are left: every intermediate merge is removed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), parts.len());
    }

    /// One file's graph past its share of the budget is spilled while the file is read, in
    /// several runs, and made one run when the file is done: the same graph.
    #[test]
    fn a_large_file_is_spilled_while_read_and_finished_as_one_run() {
        let ks = kinds();
        let whole = parts(120_000, 1).pop().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let spill = Spill::new(Some(tmp.path().to_path_buf()), 1);
        let mut acc = LinkAcc::default();
        let mut spills = 0;
        for n in &whole.nodes {
            // Each key with its edges, as records add them.
            let mut ids = vec![(n.id, n.kind)];
            let at = whole.edges.partition_point(|e| e.a < n.id);
            ids.extend(
                whole.edges[at..]
                    .iter()
                    .take_while(|e| e.a == n.id)
                    .map(|e| (e.b, e.kb)),
            );
            acc.add_record(&ids, 0, n.flags & !link::flag::KEY);
            let before = acc.runs.len();
            spill.bound(&mut acc);
            spills += acc.runs.len() - before;
        }
        // Edges whose first end is no key: added as records of their own.
        for e in &whole.edges {
            if whole.nodes.binary_search_by(|n| n.id.cmp(&e.a)).is_err() {
                acc.edges.push(*e);
            }
        }
        assert!(spills >= 2, "{spills} spills");
        spill.finish(&mut acc);
        assert_eq!(acc.runs.len(), 1);
        assert_eq!(acc.entries(), 0);
        let back = acc.runs[0].load().unwrap();
        assert_eq!(back.nodes, whole.nodes);
        assert_eq!(back.edges, whole.edges);
        let dir = spill.dir().unwrap();
        assert_eq!(
            count_parts(&ks, 3, &[&acc], Some(&dir), 1 << 20).unwrap(),
            link::count(&ks, 3, [&whole])
        );
        assert!(spill.failed().is_none());
    }

    #[test]
    fn a_run_reads_back_and_copies_as_written() {
        let dir = SpillDir::new(None).unwrap();
        let mem = parts(2_000, 1).pop().unwrap();
        let run = dir.write(&mem).unwrap();
        let back = run.load().unwrap();
        assert_eq!(back.nodes, mem.nodes);
        assert_eq!(back.edges, mem.edges);
        let mut bytes = Vec::new();
        run.copy_to(&mut bytes).unwrap();
        assert_eq!(
            bytes.len() as u64,
            mem.nodes.len() as u64 * NODE_BYTES + mem.edges.len() as u64 * EDGE_BYTES
        );
        // The file goes with the run, the folder with the last run.
        let path = run.path.clone();
        let folder = dir.path().to_path_buf();
        drop(run);
        assert!(!path.exists());
        drop(dir);
        assert!(!folder.exists());
    }

    #[test]
    fn a_damaged_run_is_an_error_naming_it_not_a_smaller_count() {
        let dir = SpillDir::new(None).unwrap();
        let mem = parts(2_000, 1).pop().unwrap();
        let run = dir.write(&mem).unwrap();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&run.path)
            .unwrap();
        f.set_len(100).unwrap();
        let part = LinkAcc::spilled(run);
        let e = count_parts(&kinds(), 3, &[&part], Some(&dir), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("graph-"), "{e}");
    }
}
