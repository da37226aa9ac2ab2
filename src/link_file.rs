//! The link graph written beside the inventory (`links.bin`): what counting people needs, per
//! source, so that a flow's sources, shards and ledger entries can be linked and counted again
//! later — the sketches' counterpart for [`crate::link`].
//!
//! Layout (`pipl-scan/links/v1`), all integers little-endian:
//!
//! ```text
//! "PSLINKS1"                      8 bytes
//! header length                   u32
//! header                          JSON: {schema, key_id, link_cap, kinds, sources: [{path, nodes, edges}]}
//! per source, in header order:
//!   nodes   × (id: 16 bytes big-endian, kind: u8, flags: u8)
//!   edges   × (a: 16 bytes, b: 16 bytes, kind a: u8, kind b: u8)
//! ```
//!
//! Only keyed 128-bit hashes are written: like the sketches, the file never lets anyone test
//! whether a given identifier is in it without the key. A hand-written format because it is a
//! flat array of fixed-size records read in one pass; no crate would make it shorter.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::link::{Edge, Id, Kinds, LinkAcc, Node};

pub const SCHEMA: &str = "pipl-scan/links/v1";
const MAGIC: &[u8; 8] = b"PSLINKS1";
/// The file name beside `inventory.json`.
pub const FILE_NAME: &str = "links.bin";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    schema: String,
    key_id: String,
    link_cap: u32,
    kinds: Kinds,
    sources: Vec<SourceHeader>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SourceHeader {
    path: String,
    nodes: u64,
    edges: u64,
}

/// The graphs of every source of one inventory.
#[derive(Debug, Clone)]
pub struct LinkSet {
    pub key_id: String,
    pub link_cap: u32,
    pub kinds: Kinds,
    /// (source path, its graph), in inventory order.
    pub sources: Vec<(String, LinkAcc)>,
}

impl LinkSet {
    /// Whether some source's graph is on disk (spilled past the memory budget) rather than in
    /// memory: such a set is for writing, not for counting again in memory.
    pub fn spilled(&self) -> bool {
        self.sources.iter().any(|(_, a)| !a.runs.is_empty())
    }

    /// The graph of the source at `path`, if it has one.
    pub fn source(&self, path: &str) -> Option<&LinkAcc> {
        self.sources
            .binary_search_by(|(p, _)| p.as_str().cmp(path))
            .ok()
            .map(|i| &self.sources[i].1)
    }

    /// Writes the set to `path` (through a temporary file renamed into place, so a reader
    /// never sees half a file).
    pub fn write(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("bin.tmp");
        // A write that fails (a full disk) leaves no half-written temporary file behind.
        self.write_via(&tmp, path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }

    fn write_via(&self, tmp: &Path, path: &Path) -> Result<()> {
        let file =
            std::fs::File::create(tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let header = Header {
            schema: SCHEMA.to_string(),
            key_id: self.key_id.clone(),
            link_cap: self.link_cap,
            kinds: self.kinds.clone(),
            sources: self
                .sources
                .iter()
                .map(|(p, a)| SourceHeader {
                    path: p.clone(),
                    nodes: a.runs.first().map_or(a.nodes.len() as u64, |r| r.nodes),
                    edges: a.runs.first().map_or(a.edges.len() as u64, |r| r.edges),
                })
                .collect(),
        };
        let json = serde_json::to_vec(&header)?;
        let io = |e: std::io::Error| anyhow::anyhow!("writing {}: {e}", tmp.display());
        w.write_all(MAGIC).map_err(io)?;
        w.write_all(&(json.len() as u32).to_le_bytes())
            .map_err(io)?;
        w.write_all(&json).map_err(io)?;
        for (_, a) in &self.sources {
            if let Some(run) = a.runs.first() {
                // A graph spilled past the memory budget: its one run (see
                // `link_spill::Spill::finish`) is these very records.
                debug_assert!(a.runs.len() == 1 && a.entries() == 0);
                run.copy_to(&mut w).map_err(io)?;
                continue;
            }
            let mut buf = [0u8; EDGE_BYTES];
            for n in &a.nodes {
                put_node(n, &mut buf);
                w.write_all(&buf[..NODE_BYTES]).map_err(io)?;
            }
            for e in &a.edges {
                put_edge(e, &mut buf);
                w.write_all(&buf).map_err(io)?;
            }
        }
        w.into_inner()
            .map_err(|e| anyhow::anyhow!("writing {}: {}", tmp.display(), e.error()))?
            .sync_all()
            .map_err(io)?;
        std::fs::rename(tmp, path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
        Ok(())
    }

    /// Reads a file written by [`LinkSet::write`]. Errors name the file and what is wrong.
    pub fn read(path: &Path) -> Result<LinkSet> {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut r = BufReader::with_capacity(1 << 20, file);
        let name = path.display();
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic)
            .with_context(|| format!("{name}: too short to be a links file"))?;
        if &magic != MAGIC {
            bail!("{name}: not a pipl-scan links file (no PSLINKS1 signature)");
        }
        let mut len = [0u8; 4];
        r.read_exact(&mut len)
            .with_context(|| format!("{name}: truncated header"))?;
        let len = u32::from_le_bytes(len) as u64;
        if len > size {
            bail!("{name}: header of {len} bytes in a file of {size}: damaged");
        }
        let mut json = vec![0u8; len as usize];
        r.read_exact(&mut json)
            .with_context(|| format!("{name}: truncated header"))?;
        let h: Header =
            serde_json::from_slice(&json).with_context(|| format!("{name}: unreadable header"))?;
        if h.schema != SCHEMA {
            bail!("{name}: format {} is not {SCHEMA}", h.schema);
        }
        // Every declared record must fit in the file before anything is allocated for it.
        let body: u64 = h
            .sources
            .iter()
            .map(|s| {
                s.nodes
                    .saturating_mul(NODE_BYTES as u64)
                    .saturating_add(s.edges.saturating_mul(EDGE_BYTES as u64))
            })
            .fold(0u64, u64::saturating_add);
        if body.saturating_add(12 + len) != size {
            bail!(
                "{name}: the header declares {body} bytes of links but the file holds {}: truncated or damaged",
                size.saturating_sub(12 + len)
            );
        }
        let mut sources = Vec::with_capacity(h.sources.len());
        for s in &h.sources {
            let mut acc = LinkAcc::default();
            acc.nodes.reserve(s.nodes as usize);
            acc.edges.reserve(s.edges as usize);
            let mut buf = [0u8; EDGE_BYTES];
            for _ in 0..s.nodes {
                r.read_exact(&mut buf[..NODE_BYTES])
                    .with_context(|| format!("{name}: truncated in {}", s.path))?;
                acc.nodes.push(get_node(&buf));
            }
            for _ in 0..s.edges {
                r.read_exact(&mut buf)
                    .with_context(|| format!("{name}: truncated in {}", s.path))?;
                acc.edges.push(get_edge(&buf));
            }
            acc.compact();
            sources.push((s.path.clone(), acc));
        }
        if h.kinds.detectors.len() != h.kinds.unique.len() {
            bail!("{name}: kinds table is inconsistent");
        }
        Ok(LinkSet {
            key_id: h.key_id,
            link_cap: h.link_cap,
            kinds: h.kinds,
            sources,
        })
    }
}

/// One graph as bytes (a ledger entry's): node count, edge count (u64 little-endian), then the
/// records as in the file.
pub fn encode(acc: &LinkAcc) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(16 + acc.nodes.len() * NODE_BYTES + acc.edges.len() * EDGE_BYTES);
    out.extend_from_slice(&(acc.nodes.len() as u64).to_le_bytes());
    out.extend_from_slice(&(acc.edges.len() as u64).to_le_bytes());
    let mut buf = [0u8; EDGE_BYTES];
    for n in &acc.nodes {
        put_node(n, &mut buf);
        out.extend_from_slice(&buf[..NODE_BYTES]);
    }
    for e in &acc.edges {
        put_edge(e, &mut buf);
        out.extend_from_slice(&buf);
    }
    out
}

/// Reads bytes written by [`encode`]; `None` when they are not such bytes.
pub fn decode(b: &[u8]) -> Option<LinkAcc> {
    let n = u64::from_le_bytes(b.get(..8)?.try_into().ok()?);
    let m = u64::from_le_bytes(b.get(8..16)?.try_into().ok()?);
    let want = n
        .checked_mul(NODE_BYTES as u64)?
        .checked_add(m.checked_mul(EDGE_BYTES as u64)?)?
        .checked_add(16)?;
    if want != b.len() as u64 {
        return None;
    }
    let mut acc = LinkAcc::default();
    let mut at = 16;
    for _ in 0..n {
        acc.nodes.push(get_node(&b[at..]));
        at += NODE_BYTES;
    }
    for _ in 0..m {
        acc.edges.push(get_edge(&b[at..]));
        at += EDGE_BYTES;
    }
    acc.compact();
    Some(acc)
}

/// Bytes of one node and of one edge: the record layout of the file, of a ledger entry's
/// graph and of the people graph's runs on disk ([`crate::link_spill`]).
pub const NODE_BYTES: usize = 18;
pub const EDGE_BYTES: usize = 34;

/// Writes `n` into the first [`NODE_BYTES`] of `buf`.
pub(crate) fn put_node(n: &Node, buf: &mut [u8]) {
    buf[..16].copy_from_slice(&n.id.to_bytes());
    buf[16] = n.kind;
    buf[17] = n.flags;
}

/// Writes `e` into the first [`EDGE_BYTES`] of `buf`.
pub(crate) fn put_edge(e: &Edge, buf: &mut [u8]) {
    buf[..16].copy_from_slice(&e.a.to_bytes());
    buf[16..32].copy_from_slice(&e.b.to_bytes());
    buf[32] = e.ka;
    buf[33] = e.kb;
}

pub(crate) fn get_node(buf: &[u8]) -> Node {
    Node {
        id: id_at(buf, 0),
        kind: buf[16],
        flags: buf[17],
    }
}

pub(crate) fn get_edge(buf: &[u8]) -> Edge {
    Edge::new(id_at(buf, 0), buf[32], id_at(buf, 16), buf[33])
}

pub(crate) fn id_at(buf: &[u8], at: usize) -> Id {
    let mut b = [0u8; 16];
    b.copy_from_slice(&buf[at..at + 16]);
    Id::from_bytes(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link;

    fn set() -> LinkSet {
        let mut a = LinkAcc::default();
        a.add_record(&[(Id(1, 2), 0), (Id(3, 4), 1)], 0, link::flag::MINOR);
        a.add_record(&[(Id(5, 6), 1)], 0, 0);
        a.compact();
        LinkSet {
            key_id: "abc".into(),
            link_cap: 3,
            kinds: Kinds {
                detectors: vec!["cn-resident-id".into(), "cn-mobile".into()],
                unique: vec![true, false],
            },
            sources: vec![("a.csv".into(), a), ("b.txt".into(), LinkAcc::default())],
        }
    }

    #[test]
    fn a_written_set_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        let s = set();
        s.write(&p).unwrap();
        let back = LinkSet::read(&p).unwrap();
        assert_eq!(back.kinds, s.kinds);
        assert_eq!(back.sources.len(), 2);
        assert_eq!(back.source("a.csv").unwrap().nodes, s.sources[0].1.nodes);
        assert_eq!(back.source("a.csv").unwrap().edges, s.sources[0].1.edges);
        let c = link::count(&back.kinds, 3, back.sources.iter().map(|(_, a)| a));
        assert_eq!((c.people, c.minors), (2, 1));
    }

    #[test]
    fn damaged_files_are_errors_that_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        set().write(&p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 5]).unwrap();
        let e = LinkSet::read(&p).unwrap_err().to_string();
        assert!(e.contains("links.bin") && e.contains("truncated"), "{e}");
        std::fs::write(&p, b"not a links file at all").unwrap();
        let e = LinkSet::read(&p).unwrap_err().to_string();
        assert!(e.contains("not a pipl-scan links file"), "{e}");
    }
}
