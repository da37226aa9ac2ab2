//! People, not identifiers: linking the identifiers that appear together in one record, and
//! counting the connected components exactly.
//!
//! One key per record counts a person twice when their ID number is in one file and their
//! mobile in another. But a record that holds an ID number *and* a mobile says both are one
//! person's, so every record's identifiers are joined by edges (its subject key to each other
//! identifier), and the people are the connected components of that graph (union-find over
//! keyed 128-bit hashes of the identifiers). See DESIGN.md, "The subject model".
//!
//! Linking must never merge different people — under-counting is the dangerous direction:
//!
//! * two different identity documents of one kind (two resident ID numbers, two passports) are
//!   never one person: a union that would put both in one component is refused (and counted);
//!   so the people figure is never below the number of distinct resident ID numbers;
//! * an identifier that many people share — a switchboard number, a family phone, `hr@` or
//!   `info@` — is not linked at all when it co-occurs with more than [`DEFAULT_CAP`] distinct
//!   identifiers of another kind (it still counts as a person where it is a record's key).
//!
//! Everything here is exact: no sketch. An identifier's id is 128 bits of keyed hash: its
//! sketch hash (SipHash-1-3 under the scan's secret key, already computed for every finding)
//! and a second SipHash-1-3 under a key derived from it ([`crate::sketch::SketchKey::link_key`]).
//! So the graph, like the sketches, never lets anyone test whether an ID number is in it, and
//! two different identifiers share an id with probability about n²/2¹²⁹.
//! What a scan collects per source is kept sorted and deduplicated ([`LinkAcc`]), merges by
//! concatenation, and is written beside the inventory ([`crate::link_file`]) so flows, shards
//! and ledger entries can be linked and unioned later.

use serde::{Deserialize, Serialize};

/// Distinct identifiers of one other kind an identifier may co-occur with and still be linked.
/// A person rarely has more than three mobiles or mailboxes in one organisation's data; a
/// mailbox seen with a fourth distinct mobile is taken to be shared.
pub const DEFAULT_CAP: u32 = 3;

/// Flags of a node, OR-ed over every record in which it was the subject key.
pub mod flag {
    /// Sensitive under the standard of index 0 (GB/T 45574-2025) / 1 (GB/T 35273-2020).
    pub const SENSITIVE: [u8; 2] = [1, 2];
    /// A resident ID in the record shows a person under 14.
    pub const MINOR: u8 = 4;
    /// The node was some record's subject key (a node only ever seen beside a key is not).
    pub const KEY: u8 = 8;
    /// A record holds PI that is not sensitive under the standard of index 0 / 1.
    pub const NON_SENSITIVE: [u8; 2] = [16, 32];
    /// The record's [`NON_SENSITIVE`] bits were recorded. Graphs written before they existed
    /// lack it: their keys are counted as holding non-sensitive PI (the conservative reading).
    pub const MARKED: u8 = 64;
}

/// A keyed 128-bit hash of one identifier (`detector-id:normalised-value`): its sketch hash and
/// a second word under the link key, as two words so that the records holding it align on 8
/// bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Id(pub u64, pub u64);

impl Id {
    pub fn from_u128(h: u128) -> Id {
        Id((h >> 64) as u64, h as u64)
    }

    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.0.to_be_bytes());
        b[8..].copy_from_slice(&self.1.to_be_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; 16]) -> Id {
        let mut hi = [0u8; 8];
        let mut lo = [0u8; 8];
        hi.copy_from_slice(&b[..8]);
        lo.copy_from_slice(&b[8..]);
        Id(u64::from_be_bytes(hi), u64::from_be_bytes(lo))
    }
}

/// A record's subject key: its identifier's hash, kind (see [`Kinds`]) and the record's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub id: Id,
    pub kind: u8,
    pub flags: u8,
}

/// Two identifiers seen in one record, with their kinds; stored with `a < b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub a: Id,
    pub b: Id,
    pub ka: u8,
    pub kb: u8,
}

impl Edge {
    pub fn new(x: Id, kx: u8, y: Id, ky: u8) -> Edge {
        if x <= y {
            Edge {
                a: x,
                b: y,
                ka: kx,
                kb: ky,
            }
        } else {
            Edge {
                a: y,
                b: x,
                ka: ky,
                kb: kx,
            }
        }
    }
}

/// Sorts `v` by `key`, an [`Id`] (or a pair of them) whose first word is uniformly random: a
/// counting sort into buckets by the top bits of that word, then a comparison sort of each
/// (tiny) bucket. Measured with callgrind on a 50,000-row PI-dense table: the comparison sort
/// alone cost about 4,000 instructions per row over the three sorts a scan makes, this about a
/// tenth of it. Written here because the radix-sort crates sort integer keys, not records by a
/// 128-bit key, and this one relies on the keys being random (no skew handling).
///
/// Past [`TWO_LEVELS`] elements it sorts in two passes: first into 2¹¹ buckets by the top 11
/// bits (few enough places written at once to stay in cache: one pass into millions of buckets
/// missed the cache and the TLB on every element of a 20M-row table's graph), then each bucket
/// on its own by the next bits, the buckets on all workers.
pub(crate) fn sort_random<T: Copy + Send + Sync, K: Ord + Copy>(
    v: &mut Vec<T>,
    key: impl Fn(&T) -> K + Sync,
    top: impl Fn(&T) -> u64 + Sync,
) {
    use rayon::prelude::*;
    let n = v.len();
    if n < 64 {
        v.sort_unstable_by_key(|x| key(x));
        return;
    }
    if n < TWO_LEVELS {
        bucket_sort(v, &mut Vec::new(), &key, &top, 0);
        return;
    }
    const FIRST: u32 = 11;
    let mut starts = vec![0usize; (1 << FIRST) + 1];
    for x in v.iter() {
        starts[(top(x) >> (64 - FIRST)) as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut out = scatter(v, &starts, |x| (top(x) >> (64 - FIRST)) as usize);
    let mut buckets: Vec<&mut [T]> = Vec::with_capacity(1 << FIRST);
    let mut rest: &mut [T] = &mut out;
    for w in starts.windows(2) {
        let (b, r) = rest.split_at_mut(w[1] - w[0]);
        buckets.push(b);
        rest = r;
    }
    buckets
        .into_par_iter()
        .for_each_init(Vec::new, |scratch, b| {
            bucket_sort(b, scratch, &key, &top, FIRST)
        });
    *v = out;
}

/// Elements from which [`sort_random`] sorts in two passes.
const TWO_LEVELS: usize = 1 << 17;

/// `v`'s elements placed by `bucket` into a new vector whose bucket `b` starts at `starts[b]`
/// (the running counts of the buckets), each bucket in `v`'s order.
fn scatter<T: Copy>(v: &[T], starts: &[usize], bucket: impl Fn(&T) -> usize) -> Vec<T> {
    let n = v.len();
    let mut next = starts.to_vec();
    let mut out: Vec<T> = Vec::with_capacity(n);
    let spare = out.spare_capacity_mut();
    for x in v {
        let b = bucket(x);
        spare[next[b]].write(*x);
        next[b] += 1;
    }
    // SAFETY: the counts place every one of the `n` elements in exactly one slot of `0..n`.
    unsafe { out.set_len(n) };
    out
}

/// One counting-sort pass over `v` by the bits of `top` below its `skip` highest (about one
/// element per bucket), then a comparison sort of each bucket; `scratch` is reused between
/// calls.
fn bucket_sort<T: Copy, K: Ord + Copy>(
    v: &mut [T],
    scratch: &mut Vec<usize>,
    key: &impl Fn(&T) -> K,
    top: &impl Fn(&T) -> u64,
    skip: u32,
) {
    let n = v.len();
    if n < 64 {
        v.sort_unstable_by_key(|x| key(x));
        return;
    }
    let bits = (usize::BITS - n.leading_zeros())
        .clamp(4, 22)
        .min(64 - skip);
    let shift = 64 - bits;
    let bucket = |x: &T| ((top(x) << skip) >> shift) as usize;
    scratch.clear();
    scratch.resize((1usize << bits) + 1, 0);
    for x in v.iter() {
        scratch[bucket(x) + 1] += 1;
    }
    for i in 1..scratch.len() {
        scratch[i] += scratch[i - 1];
    }
    let out = scatter(v, scratch, bucket);
    v.copy_from_slice(&out);
    for w in scratch.windows(2) {
        if w[1] - w[0] > 1 {
            v[w[0]..w[1]].sort_unstable_by_key(|x| key(x));
        }
    }
}

/// The union of two sorted, duplicate-free runs, sorted and duplicate-free; `same(kept, later)`
/// folds an element equal to one already kept into it.
fn merge_sorted<T: Copy, K: Ord>(
    a: &[T],
    b: &[T],
    key: impl Fn(&T) -> K,
    same: impl Fn(&mut T, &T),
) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match key(&a[i]).cmp(&key(&b[j])) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let mut x = a[i];
                same(&mut x, &b[j]);
                out.push(x);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

fn sort_nodes(v: &mut Vec<Node>) {
    sort_random(v, |n| n.id, |n| n.id.0);
}

fn sort_edges(v: &mut Vec<Edge>) {
    sort_random(v, |e| (e.a, e.b), |e| e.a.0);
}

/// Entries a [`LinkAcc`] takes before it sorts and deduplicates them in place (a table of a
/// million rows of the same few thousand customers stays small).
const COMPACT_AT: usize = 1 << 18;

/// The nodes and edges of one source (or one chunk of it), sorted and deduplicated by
/// [`LinkAcc::compact`].
#[derive(Debug, Clone, Default)]
pub struct LinkAcc {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Both vectors are sorted and free of duplicates.
    sorted: bool,
    /// Length at which the next compaction runs.
    next_compact: usize,
    /// Past the memory budget: nodes and edges written to runs on disk, besides what the
    /// vectors hold. Only [`crate::link_spill`] and the links file read them; a finished
    /// source's graph has at most one run and nothing in memory beside it
    /// ([`crate::link_spill::Spill::finish`]).
    pub runs: Vec<std::sync::Arc<crate::link_spill::Run>>,
}

impl LinkAcc {
    /// Adds one record: `ids` are its identifiers (hash, kind), `key` the index of its subject
    /// key among them, `flags` the record's [`flag`]s.
    pub fn add_record(&mut self, ids: &[(Id, u8)], key: usize, flags: u8) {
        let (kid, kk) = ids[key];
        self.nodes.push(Node {
            id: kid,
            kind: kk,
            flags: flags | flag::KEY,
        });
        for (i, &(id, kind)) in ids.iter().enumerate() {
            if i != key && id != kid {
                self.edges.push(Edge::new(kid, kk, id, kind));
            }
        }
        self.sorted = false;
        let limit = self.next_compact.max(COMPACT_AT);
        if self.nodes.len() + self.edges.len() >= limit {
            self.compact();
            // Amortised: a source whose distinct entries stay near the limit would otherwise
            // sort at every few records.
            self.next_compact = 2 * (self.nodes.len() + self.edges.len()).max(COMPACT_AT / 2);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.edges.is_empty() && self.runs.is_empty()
    }

    /// A graph written to a run (see [`crate::link_spill`]).
    pub fn spilled(run: crate::link_spill::Run) -> LinkAcc {
        LinkAcc {
            sorted: true,
            runs: vec![std::sync::Arc::new(run)],
            ..LinkAcc::default()
        }
    }

    /// Sorts and deduplicates nodes (OR-ing their flags) and edges.
    pub fn compact(&mut self) {
        if self.sorted {
            return;
        }
        let nodes = |v: &mut Vec<Node>| {
            sort_nodes(v);
            v.dedup_by(|later, kept| {
                if later.id == kept.id {
                    kept.flags |= later.flags;
                    true
                } else {
                    false
                }
            });
        };
        let edges = |v: &mut Vec<Edge>| {
            sort_edges(v);
            v.dedup_by_key(|e| (e.a, e.b));
        };
        if self.entries() >= 1 << 16 {
            // The two sorts on two workers: a large file's whole graph is sorted once after
            // its parts were read in parallel, otherwise on one core while the others wait.
            rayon::join(|| nodes(&mut self.nodes), || edges(&mut self.edges));
        } else {
            nodes(&mut self.nodes);
            edges(&mut self.edges);
        }
        self.sorted = true;
    }

    pub fn merge(&mut self, mut other: LinkAcc) {
        // Runs (a chunk of a large file spilled while it was read) are kept side by side.
        let mut runs = std::mem::take(&mut other.runs);
        self.runs.append(&mut runs);
        self.merge_memory(other);
    }

    fn merge_memory(&mut self, mut other: LinkAcc) {
        if self.entries() == 0 {
            let runs = std::mem::take(&mut self.runs);
            *self = other;
            self.runs = runs;
            return;
        }
        if other.entries() == 0 {
            return;
        }
        if self.sorted && other.sorted && other.entries() * 8 >= self.entries() {
            // Two compacted parts of about one size (chunks of one file, compacted on their
            // own threads): one linear merge keeps the result compact, instead of sorting it
            // all again.
            self.nodes = merge_sorted(
                &self.nodes,
                &other.nodes,
                |n| n.id,
                |kept, later| {
                    kept.flags |= later.flags;
                },
            );
            self.edges = merge_sorted(&self.edges, &other.edges, |e| (e.a, e.b), |_, _| {});
            return;
        }
        // A small part into a large one (the hundreds of chunks of a large file folded in one
        // by one): merging each linearly copied the whole graph per chunk, quadratic in the
        // file's size (measured: most of a 20M-row table's scan). Appended instead, and the
        // whole sorted once it has doubled since it last was, so duplicates stay bounded and
        // each entry is sorted a constant number of times.
        if self.sorted {
            self.next_compact = 2 * self.entries();
        }
        self.nodes.append(&mut other.nodes);
        self.edges.append(&mut other.edges);
        self.sorted = false;
        if self.entries() >= self.next_compact.max(COMPACT_AT) {
            self.compact();
            self.next_compact = 2 * self.entries().max(COMPACT_AT / 2);
        }
    }

    /// Gives back the vectors' spare capacity (after [`LinkAcc::compact`], when kept long).
    pub fn shrink_to_fit(&mut self) {
        self.nodes.shrink_to_fit();
        self.edges.shrink_to_fit();
    }

    /// Nodes and edges held in memory.
    pub fn entries(&self) -> usize {
        self.nodes.len() + self.edges.len()
    }

    /// Bytes held, for the memory budget.
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.edges.capacity() * std::mem::size_of::<Edge>()
    }
}

/// The identifier detectors a graph's kinds index, and which of them are identity documents of
/// which a person has one (two of them never join one component).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kinds {
    /// Detector ids, by kind.
    pub detectors: Vec<String>,
    /// Per kind: at most one per person.
    pub unique: Vec<bool>,
}

/// What counting a graph found. Every figure is exact (see the module doc).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleCount {
    /// Connected components holding at least one subject key: people.
    pub people: u64,
    /// Of those, holding a record sensitive under the standard of index 0 / 1.
    pub sensitive: [u64; 2],
    /// Of those, holding a minor's record.
    pub minors: u64,
    /// Of those, holding a record with PI that is not sensitive under the standard of index
    /// 0 / 1 (see [`flag::NON_SENSITIVE`]).
    pub non_sensitive: [u64; 2],
    /// Subject keys of records written before [`flag::MARKED`] existed: their people count as
    /// holding non-sensitive PI, whether they do or not.
    pub unmarked_keys: u64,
    /// Distinct subject keys (what one key per record counts: an upper bound on people).
    pub keys: u64,
    /// Distinct identifiers in the graph.
    pub identifiers: u64,
    /// Distinct links (pairs of identifiers seen in one record).
    pub links: u64,
    /// Identifiers not linked because they co-occur with more than the cap of distinct
    /// identifiers of another kind (shared numbers and mailboxes).
    pub capped: u64,
    /// Links refused because they would have joined two identity documents of one kind.
    pub refused: u64,
    /// Distinct identifiers of each kind.
    pub by_kind: Vec<u64>,
}

/// The graph of a population assembled from several inventories' sources or ledger entries:
/// its parts with the kinds table their kind numbers index. Parts made under another kinds
/// table (another detector set) are renumbered as they are merged.
#[derive(Debug, Clone)]
pub struct Graph {
    pub kinds: Kinds,
    pub cap: u32,
    pub parts: Vec<LinkAcc>,
}

impl Graph {
    /// No one yet: merging anything into it gives that thing.
    pub fn empty() -> Graph {
        Graph {
            kinds: Kinds {
                detectors: Vec::new(),
                unique: Vec::new(),
            },
            cap: DEFAULT_CAP,
            parts: Vec::new(),
        }
    }

    pub fn of(kinds: &Kinds, cap: u32, part: LinkAcc) -> Graph {
        Graph {
            kinds: kinds.clone(),
            cap,
            parts: vec![part],
        }
    }

    /// Adds `other`'s parts, renumbering their kinds into this graph's table. The smaller cap
    /// of the two is kept (linking less never under-counts).
    pub fn merge(&mut self, other: &Graph) {
        if self.kinds.detectors.is_empty() && self.parts.iter().all(LinkAcc::is_empty) {
            self.kinds = other.kinds.clone();
            self.cap = other.cap;
        } else {
            self.cap = self.cap.min(other.cap);
        }
        let map: Vec<u8> = other
            .kinds
            .detectors
            .iter()
            .zip(&other.kinds.unique)
            .map(
                |(d, &u)| match self.kinds.detectors.iter().position(|x| x == d) {
                    Some(i) => i as u8,
                    None => {
                        self.kinds.detectors.push(d.clone());
                        self.kinds.unique.push(u);
                        (self.kinds.detectors.len() - 1) as u8
                    }
                },
            )
            .collect();
        let renumber = |k: u8| map.get(k as usize).copied().unwrap_or(k);
        for p in &other.parts {
            let mut p = p.clone();
            if map.iter().enumerate().any(|(i, &k)| i as u8 != k) {
                p.nodes.iter_mut().for_each(|n| n.kind = renumber(n.kind));
                p.edges.iter_mut().for_each(|e| {
                    e.ka = renumber(e.ka);
                    e.kb = renumber(e.kb);
                });
            }
            self.parts.push(p);
        }
    }

    pub fn count(&self) -> PeopleCount {
        count(&self.kinds, self.cap, &self.parts)
    }

    /// All parts as one, sorted and deduplicated (what a ledger entry stores).
    pub fn flattened(&self) -> LinkAcc {
        let mut one = LinkAcc::default();
        for p in &self.parts {
            one.merge(p.clone());
        }
        one.compact();
        one
    }
}

/// One identifier once numbered: its kind, and the flags of the records it was the key of (0
/// for an identifier never a key). Its id is no longer needed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Numbered {
    pub kind: u8,
    pub flags: u8,
}

/// Numbers every identifier of a graph, in id order: the keys (`keys`, sorted and distinct),
/// the edges' first ends (`edges`, sorted by `(a, b)` and distinct) and their second ends
/// (`second`: `(b, edge number, kind of b)`, sorted by `b`). Returns the identifiers and each
/// edge's two numbers.
///
/// A three-way merge of sorted streams rather than a hash map from id to number: the keys and
/// the edges' first ends are already sorted, and the second ends are sorted by the caller (the
/// radix sort in memory, sorted runs on disk past the budget: [`crate::link_spill`]). Measured
/// on a 1M-row PI-dense table (3M identifiers): the map's random probes were a fifth of the
/// single-threaded scan; the sorts and this walk read memory in order.
pub(crate) fn number(
    keys: impl Iterator<Item = Node>,
    edges: impl Iterator<Item = Edge>,
    second: impl Iterator<Item = (Id, u32, u8)>,
    edge_count: usize,
) -> (Vec<Numbered>, Vec<(u32, u32)>) {
    let (mut keys, mut edges, mut second) = (keys.peekable(), edges.peekable(), second.peekable());
    let mut nodes: Vec<Numbered> = Vec::with_capacity(edge_count + edge_count / 2);
    let mut ends: Vec<(u32, u32)> = vec![(0, 0); edge_count];
    let mut j = 0usize;
    loop {
        // The smallest id at the head of the three streams.
        let mut next: Option<(Id, u8)> = keys.peek().map(|n| (n.id, n.kind));
        for cand in [
            edges.peek().map(|e| (e.a, e.ka)),
            second.peek().map(|s| (s.0, s.2)),
        ]
        .into_iter()
        .flatten()
        {
            if next.is_none_or(|(id, _)| cand.0 < id) {
                next = Some(cand);
            }
        }
        let Some((id, kind)) = next else { break };
        let at = nodes.len() as u32;
        let flags = keys.next_if(|n| n.id == id).map_or(0, |n| n.flags);
        nodes.push(Numbered { kind, flags });
        while edges.next_if(|e| e.a == id).is_some() {
            ends[j].0 = at;
            j += 1;
        }
        while let Some(s) = second.next_if(|s| s.0 == id) {
            ends[s.1 as usize].1 = at;
        }
    }
    (nodes, ends)
}

/// Counts the people of a graph: the union of `parts` (nodes and edges, in any order, with
/// duplicates), linked under `kinds`' identity-document rule and the sharing `cap`.
pub fn count<'p>(
    kinds: &Kinds,
    cap: u32,
    parts: impl IntoIterator<Item = &'p LinkAcc>,
) -> PeopleCount {
    let parts: Vec<&LinkAcc> = parts.into_iter().collect();
    // All nodes: keys with their flags, and every edge's endpoints.
    let owned;
    let (nodes_in, edges_in): (&[Node], &[Edge]) = match parts.as_slice() {
        // One compacted part (a source, or a scan of one file): already sorted and distinct.
        [one] if one.sorted => (&one.nodes, &one.edges),
        _ => {
            let mut all = LinkAcc::default();
            for p in &parts {
                all.nodes.extend_from_slice(&p.nodes);
                all.edges.extend_from_slice(&p.edges);
            }
            all.compact();
            owned = all;
            (&owned.nodes, &owned.edges)
        }
    };
    let mut second: Vec<(Id, u32, u8)> = edges_in
        .iter()
        .enumerate()
        .map(|(i, e)| (e.b, i as u32, e.kb))
        .collect();
    sort_random(&mut second, |x| x.0, |x| x.0.0);
    let (nodes, ends) = number(
        nodes_in.iter().copied(),
        edges_in.iter().copied(),
        second.into_iter(),
        edges_in.len(),
    );
    count_numbered(kinds, cap, &nodes, &ends)
}

/// [`count`] once every identifier is numbered (see [`number`]).
pub(crate) fn count_numbered(
    kinds: &Kinds,
    cap: u32,
    nodes: &[Numbered],
    ends: &[(u32, u32)],
) -> PeopleCount {
    // The identity-document kinds present, each given a bit of a word kept per component: 16
    // bits cover any detector set in use (a few document kinds), a wider word the rest.
    let mut bit_of = [u8::MAX; 256];
    let mut docs = 0usize;
    for nd in nodes {
        let k = nd.kind as usize;
        if bit_of[k] == u8::MAX && kinds.unique.get(k).copied().unwrap_or(false) {
            bit_of[k] = docs.min(254) as u8;
            docs += 1;
        }
    }
    if docs <= 16 {
        count_with::<u16>(kinds, cap, nodes, ends, &bit_of)
    } else {
        count_with::<u64>(kinds, cap, nodes, ends, &bit_of)
    }
}

/// What the union-find keeps per identifier, in one place so that a link touches one cache
/// line per end rather than one per array (on a 20M-row table's 30M identifiers this pass was
/// a tenth of the scan, most of it waiting on memory): its parent, kind and flags (OR-ed over
/// its component at the root) and the identity documents its component holds (at the root).
#[derive(Clone, Copy)]
struct Slot<D> {
    parent: u32,
    kind: u8,
    flags: u8,
    docs: D,
}

/// A word of identity-document bits.
trait DocBits:
    Copy + Default + std::ops::BitAnd<Output = Self> + std::ops::BitOr<Output = Self> + PartialEq
{
    /// The word with bit `b` set (no bit past its width: a wider word is used then).
    fn bit(b: u8) -> Self;
}

impl DocBits for u16 {
    fn bit(b: u8) -> Self {
        if b < 16 { 1 << b } else { 0 }
    }
}

impl DocBits for u64 {
    fn bit(b: u8) -> Self {
        if b < 64 { 1 << b } else { 0 }
    }
}

fn count_with<D: DocBits>(
    kinds: &Kinds,
    cap: u32,
    nodes: &[Numbered],
    ends: &[(u32, u32)],
    bit_of: &[u8; 256],
) -> PeopleCount {
    let n = nodes.len();
    // A key of a graph written before non-sensitive PI was recorded: assume it (conservative).
    let unmarked = |f: u8| f & flag::KEY != 0 && f & flag::MARKED == 0;
    let mut slots: Vec<Slot<D>> = nodes
        .iter()
        .enumerate()
        .map(|(i, nd)| Slot {
            parent: i as u32,
            kind: nd.kind,
            flags: if unmarked(nd.flags) {
                nd.flags | flag::NON_SENSITIVE[0] | flag::NON_SENSITIVE[1]
            } else {
                nd.flags
            },
            docs: match bit_of[nd.kind as usize] {
                u8::MAX => D::default(),
                b => D::bit(b),
            },
        })
        .collect();

    // Shared identifiers: more than `cap` distinct neighbours of one kind. Edges are distinct,
    // so counting each node's neighbours per kind counts distinct neighbours (saturating
    // counters, one per node and kind present). Kept as a bitset: an eighth of a byte per
    // identifier stays in cache through the union pass.
    let mut present: Vec<Option<usize>> = vec![None; 256];
    let mut k = 0;
    for nd in nodes {
        if present[nd.kind as usize].is_none() {
            present[nd.kind as usize] = Some(k);
            k += 1;
        }
    }
    let mut shared = vec![0u64; n.div_ceil(64)];
    let is_shared = |shared: &[u64], i: u32| shared[i as usize / 64] >> (i % 64) & 1 != 0;
    {
        let mut degree = vec![0u8; n * k];
        let limit = cap.min(254) as u8;
        for &(ia, ib) in ends {
            let (ka, kb) = (slots[ia as usize].kind, slots[ib as usize].kind);
            for (node, other) in [(ia, kb), (ib, ka)] {
                let slot = &mut degree[node as usize * k + present[other as usize].unwrap_or(0)];
                *slot = slot.saturating_add(1);
                if *slot > limit {
                    shared[node as usize / 64] |= 1 << (node % 64);
                }
            }
        }
    }
    fn find<D: Copy>(slots: &mut [Slot<D>], mut x: u32) -> u32 {
        while slots[x as usize].parent != x {
            let up = slots[slots[x as usize].parent as usize].parent;
            slots[x as usize].parent = up;
            x = up;
        }
        x
    }
    let mut refused = 0u64;
    for &(ia, ib) in ends {
        if is_shared(&shared, ia) || is_shared(&shared, ib) {
            continue;
        }
        let (ra, rb) = (find(&mut slots, ia), find(&mut slots, ib));
        if ra == rb {
            continue;
        }
        let (da, db) = (slots[ra as usize].docs, slots[rb as usize].docs);
        if da & db != D::default() {
            refused += 1;
            continue;
        }
        // The smaller index becomes the root: deterministic, and paths stay short enough with
        // path halving.
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        let child_flags = slots[child as usize].flags;
        slots[child as usize].parent = root;
        let r = &mut slots[root as usize];
        r.docs = da | db;
        r.flags |= child_flags;
    }
    let mut out = PeopleCount {
        identifiers: n as u64,
        links: ends.len() as u64,
        capped: shared.iter().map(|w| u64::from(w.count_ones())).sum(),
        refused,
        keys: nodes.iter().filter(|nd| nd.flags & flag::KEY != 0).count() as u64,
        unmarked_keys: nodes.iter().filter(|nd| unmarked(nd.flags)).count() as u64,
        by_kind: vec![0; kinds.detectors.len()],
        ..PeopleCount::default()
    };
    for nd in nodes {
        if let Some(k) = out.by_kind.get_mut(nd.kind as usize) {
            *k += 1;
        }
    }
    // Roots are the slots that are their own parent (every other slot points elsewhere).
    for (i, sl) in slots.iter().enumerate() {
        if sl.parent != i as u32 {
            continue;
        }
        let f = sl.flags;
        if f & flag::KEY == 0 {
            // A component of identifiers never seen as a key (a shared mailbox left alone).
            continue;
        }
        out.people += 1;
        for (st, bit) in flag::SENSITIVE.iter().enumerate() {
            if f & bit != 0 {
                out.sensitive[st] += 1;
            }
        }
        if f & flag::MINOR != 0 {
            out.minors += 1;
        }
        for (st, bit) in flag::NON_SENSITIVE.iter().enumerate() {
            if f & bit != 0 {
                out.non_sensitive[st] += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: u8 = 0;
    const MOBILE: u8 = 1;
    const EMAIL: u8 = 2;

    fn kinds() -> Kinds {
        Kinds {
            detectors: vec!["cn-resident-id".into(), "cn-mobile".into(), "email".into()],
            unique: vec![true, false, false],
        }
    }

    fn id(n: u64) -> Id {
        Id(n.wrapping_mul(0x9e37_79b9_7f4a_7c15), n)
    }

    /// A record of (identifier number, kind), keyed by its first identifier.
    fn rec(acc: &mut LinkAcc, ids: &[(u64, u8)], flags: u8) {
        let v: Vec<(Id, u8)> = ids.iter().map(|&(n, k)| (id(n), k)).collect();
        acc.add_record(&v, 0, flags);
    }

    #[test]
    fn identifiers_seen_together_are_one_person_across_sources() {
        let mut crm = LinkAcc::default();
        rec(&mut crm, &[(1, ID), (2, MOBILE)], 0);
        let mut mail = LinkAcc::default();
        rec(&mut mail, &[(2, MOBILE), (3, EMAIL)], flag::SENSITIVE[1]);
        rec(&mut mail, &[(3, EMAIL)], 0);
        rec(&mut mail, &[(4, EMAIL)], 0);
        crm.compact();
        mail.compact();
        let c = count(&kinds(), DEFAULT_CAP, [&crm, &mail]);
        // Keys: the ID, the mobile, two e-mails = 4; people: {1, 2, 3} and {4}.
        assert_eq!((c.keys, c.people), (4, 2));
        assert_eq!(c.sensitive, [0, 1], "the linked person carries the flag");
        assert_eq!((c.identifiers, c.links), (4, 2));
    }

    #[test]
    fn the_two_pass_sort_sorts_as_a_comparison_sort_does() {
        // Past TWO_LEVELS, with repeated keys and a skewed second word (only the first is
        // random), the first word's top bits in every bucket of both passes.
        let mut draws = crate::TestRng(0x0bad_cafe_f00d_1234);
        let mut v: Vec<(Id, u32, u8)> = (0..TWO_LEVELS as u32 * 3 + 17)
            .map(|i| {
                let n = draws.below(200_000) as u64;
                (id(n), i, (n % 7) as u8)
            })
            .collect();
        let mut want = v.clone();
        want.sort_unstable_by_key(|x| (x.0, x.1));
        sort_random(&mut v, |x| (x.0, x.1), |x| x.0.0);
        assert_eq!(v, want);
        // And below it, the one-pass sort.
        let mut small: Vec<(Id, u32, u8)> = want[..5000].iter().rev().copied().collect();
        let mut sorted = small.clone();
        sorted.sort_unstable_by_key(|x| (x.0, x.1));
        sort_random(&mut small, |x| (x.0, x.1), |x| x.0.0);
        assert_eq!(small, sorted);
    }

    #[test]
    fn two_resident_ids_are_never_one_person() {
        // A family phone: two people with their own IDs and one phone.
        let mut acc = LinkAcc::default();
        rec(&mut acc, &[(1, ID), (9, MOBILE)], 0);
        rec(&mut acc, &[(2, ID), (9, MOBILE)], flag::MINOR);
        let c = count(&kinds(), DEFAULT_CAP, [&acc]);
        assert_eq!(c.people, 2);
        assert_eq!(c.refused, 1);
        assert_eq!(c.minors, 1);
        // Through a chain too: ID1 – phone – mail – ID2.
        let mut chain = LinkAcc::default();
        rec(&mut chain, &[(1, ID), (9, MOBILE)], 0);
        rec(&mut chain, &[(9, MOBILE), (7, EMAIL)], 0);
        rec(&mut chain, &[(2, ID), (7, EMAIL)], 0);
        assert_eq!(count(&kinds(), DEFAULT_CAP, [&chain]).people, 2);
    }

    #[test]
    fn a_shared_mailbox_links_no_one() {
        // hr@ beside the mobiles of ten people who have no ID in the data.
        let mut acc = LinkAcc::default();
        for p in 0..10 {
            rec(&mut acc, &[(100 + p, MOBILE), (50, EMAIL)], 0);
        }
        let c = count(&kinds(), DEFAULT_CAP, [&acc]);
        assert_eq!(c.people, 10);
        assert_eq!(c.capped, 1);
        // A person with three mobiles and one mailbox is still one person (within the cap).
        let mut one = LinkAcc::default();
        for m in 0..3 {
            rec(&mut one, &[(200 + m, MOBILE), (60, EMAIL)], 0);
        }
        assert_eq!(count(&kinds(), DEFAULT_CAP, [&one]).people, 1);
        // A fourth makes it shared: four people, the over-count direction.
        rec(&mut one, &[(203, MOBILE), (60, EMAIL)], 0);
        assert_eq!(count(&kinds(), DEFAULT_CAP, [&one]).people, 4);
    }

    #[test]
    fn counts_do_not_depend_on_order_chunking_or_repeats() {
        let mut draws = crate::TestRng(0x1234_5678_9abc_def1);
        let mut records = Vec::new();
        for _ in 0..3000 {
            let person = draws.below(800) as u64;
            let mut r = vec![];
            if draws.below(3) == 0 {
                r.push((person, ID));
            }
            if draws.below(2) == 0 {
                r.push((10_000 + person, MOBILE));
            }
            r.push((20_000 + person, EMAIL));
            records.push((r, (draws.below(5) == 0) as u8));
        }
        let mut whole = LinkAcc::default();
        for (r, f) in &records {
            rec(&mut whole, r, *f);
        }
        let a = count(&kinds(), DEFAULT_CAP, [&whole]);
        // Reversed, in three parts, each part twice.
        let mut parts = [LinkAcc::default(), LinkAcc::default(), LinkAcc::default()];
        for (i, (r, f)) in records.iter().rev().enumerate() {
            rec(&mut parts[i % 3], r, *f);
            rec(&mut parts[(i + 1) % 3], r, *f);
        }
        parts.iter_mut().for_each(LinkAcc::compact);
        let b = count(&kinds(), DEFAULT_CAP, parts.iter());
        assert_eq!(a, b);
        // Compacted parts merged linearly are the compacted whole, flags included.
        let mut merged = LinkAcc::default();
        for p in parts.iter().cloned() {
            merged.merge(p);
        }
        assert!(merged.sorted);
        whole.compact();
        assert_eq!((&merged.nodes, &merged.edges), (&whole.nodes, &whole.edges));
        // Every record of a person shares the e-mail: one person each.
        let people: std::collections::BTreeSet<u64> =
            records.iter().map(|(r, _)| r[0].0 % 10_000).collect();
        assert_eq!(a.people, people.len() as u64);
    }
}
