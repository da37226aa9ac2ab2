//! The subject sketches a threshold figure is made of: per source, unioned per flow.
//!
//! An inventory carries, per source and in its totals, base64 sketches of its subjects, of its
//! sensitive subjects under each standard and of its minors. A flow's figure is the union of the
//! sketches of the sources its globs select (a person in two of them counts once), and a
//! cumulative figure is that union with the ledger's. Only sketches made under the same key can
//! be merged: [`SubjectSketches`] carries the key id and every merge checks it.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::detect::Standard;
use crate::inventory::{Count, Inventory, SourceEntry};
use crate::link::Graph;
use crate::sketch::{Estimate, MAX_LG_K, Sketch};

/// The sketches behind one population: everyone, the sensitive subjects under each standard,
/// the minors.
#[derive(Debug, Clone)]
pub struct SubjectSketches {
    /// [`crate::sketch::SketchKey::id`] of the key the inputs were hashed with; `None` while
    /// empty and never merged.
    pub key_id: Option<String>,
    pub subjects: Sketch,
    /// Indexed by [`Standard::index`].
    pub sensitive: [Sketch; 2],
    /// Subjects whose PI includes PI not sensitive under each standard (by index).
    pub non_sensitive: [Sketch; 2],
    /// Some part merged in carried no non-sensitive figure (an inventory or ledger entry of an
    /// older version): its everyone stood in for it, the conservative reading.
    pub non_sensitive_conservative: bool,
    pub minors: Sketch,
    /// The people graph of everything merged, when every part carried one (an inventory with
    /// its links file, a ledger entry that stored its graph): the figures are then exact
    /// people, linked (see [`crate::link`]); otherwise the sketches' estimates of subject keys.
    pub graph: Option<Graph>,
}

impl SubjectSketches {
    /// An empty accumulator. It starts at the largest precision, so that a union takes the
    /// precision of its inputs (a union has the smallest precision of what it merged) instead
    /// of degrading `--precision 21` sketches to the default.
    pub fn empty() -> Self {
        let top = || Sketch::with_lg_k(MAX_LG_K).unwrap_or_default();
        Self {
            key_id: None,
            subjects: top(),
            sensitive: [top(), top()],
            non_sensitive: [top(), top()],
            non_sensitive_conservative: false,
            minors: top(),
            graph: Some(Graph::empty()),
        }
    }

    fn read(count: &Count, what: &str, origin: &str) -> Result<Sketch> {
        match &count.sketch {
            Some(b64) => Sketch::from_base64(b64)
                .map_err(|e| anyhow::anyhow!("{origin}: the `{what}` sketch is unreadable: {e}")),
            None if count.estimate == 0 => Ok(Sketch::new()),
            None => bail!(
                "{origin}: `{what}` counts {} but carries no sketch, so it cannot be merged",
                count.estimate
            ),
        }
    }

    /// Reads the sketches of one inventory count group (a source or the totals).
    /// `non_sensitive_by_standard` may be empty (an inventory of an older version): everyone
    /// then stands in for it.
    pub fn from_counts(
        key_id: &str,
        subjects: &Count,
        sensitive_by_standard: &BTreeMap<String, Count>,
        non_sensitive_by_standard: &BTreeMap<String, Count>,
        minors: &Count,
        origin: &str,
    ) -> Result<Self> {
        let subjects = Self::read(subjects, "subjects", origin)?;
        let mut sensitive = [Sketch::new(), Sketch::new()];
        let mut non_sensitive = [Sketch::new(), Sketch::new()];
        let mut conservative = false;
        for st in Standard::ALL {
            let Some(c) = sensitive_by_standard.get(st.id()) else {
                bail!("{origin}: no sensitive-subject figure under {}", st.id());
            };
            sensitive[st.index()] = Self::read(c, &format!("sensitive ({})", st.id()), origin)?;
            non_sensitive[st.index()] = match non_sensitive_by_standard.get(st.id()) {
                Some(c) => Self::read(c, &format!("non-sensitive ({})", st.id()), origin)?,
                None => {
                    conservative = true;
                    subjects.clone()
                }
            };
        }
        Ok(Self {
            key_id: Some(key_id.to_string()),
            subjects,
            sensitive,
            non_sensitive,
            non_sensitive_conservative: conservative,
            minors: Self::read(minors, "minor subjects", origin)?,
            graph: None,
        })
    }

    /// A source's sketches and, when the inventory's links file was read ([`Inventory::graph`]),
    /// its graph (a source absent from the links file has no identifier: an empty graph).
    pub fn of_source(inv: &Inventory, s: &SourceEntry) -> Result<Self> {
        let links = inv.graph.as_deref();
        let mut out = Self::from_counts(
            &inv.scan.sketch.key_id,
            &s.subjects,
            &s.sensitive_subjects_by_standard,
            &s.non_sensitive_subjects_by_standard,
            &s.minor_subjects,
            &format!("source {}", s.path),
        )?;
        out.graph = links.map(|l| {
            let part = l.source(&s.path).cloned().unwrap_or_default();
            Graph::of(&l.kinds, l.link_cap, part)
        });
        Ok(out)
    }

    pub fn of_totals(inv: &Inventory) -> Result<Self> {
        let links = inv.graph.as_deref();
        let t = &inv.totals;
        let mut out = Self::from_counts(
            &inv.scan.sketch.key_id,
            &t.subjects,
            &t.sensitive_subjects_by_standard,
            &t.non_sensitive_subjects_by_standard,
            &t.minor_subjects,
            "inventory totals",
        )?;
        out.graph = links.map(|l| Graph {
            kinds: l.kinds.clone(),
            cap: l.link_cap,
            parts: l.sources.iter().map(|(_, a)| a.clone()).collect(),
        });
        Ok(out)
    }

    /// Unions `other` into `self`; refuses sketches made under another key, whose union would
    /// count the same person twice.
    pub fn merge(&mut self, other: &SubjectSketches) -> Result<()> {
        match (&self.key_id, &other.key_id) {
            (Some(a), Some(b)) if a != b => bail!(
                "sketches made with key {a} and key {b} cannot be merged: the same person would \
                 count twice. Scan with the same --key-file as the ledger/other inventory"
            ),
            (None, Some(b)) => self.key_id = Some(b.clone()),
            _ => {}
        }
        union_into(&mut self.subjects, &other.subjects);
        for (a, b) in self.sensitive.iter_mut().zip(other.sensitive.iter()) {
            union_into(a, b);
        }
        for (a, b) in self
            .non_sensitive
            .iter_mut()
            .zip(other.non_sensitive.iter())
        {
            union_into(a, b);
        }
        self.non_sensitive_conservative |= other.non_sensitive_conservative;
        union_into(&mut self.minors, &other.minors);
        self.graph = match (self.graph.take(), &other.graph) {
            (Some(mut a), Some(b)) => {
                a.merge(b);
                Some(a)
            }
            _ => None,
        };
        Ok(())
    }

    /// The figures: exact people when the graph is known, else the sketches' estimates of
    /// distinct subject keys.
    pub fn figures(&self) -> Figures {
        if let Some(g) = &self.graph {
            let c = g.count();
            let exact = |n: u64| Estimate {
                estimate: n,
                low: n,
                high: n,
            };
            return Figures {
                subjects: exact(c.people),
                sensitive: Standard::ALL
                    .iter()
                    .map(|st| (st.id().to_string(), exact(c.sensitive[st.index()])))
                    .collect(),
                non_sensitive: Standard::ALL
                    .iter()
                    .map(|st| (st.id().to_string(), exact(c.non_sensitive[st.index()])))
                    .collect(),
                non_sensitive_conservative: c.unmarked_keys > 0,
                minors: exact(c.minors),
                method: METHOD_LINKED.to_string(),
            };
        }
        Figures {
            subjects: self.subjects.estimate(),
            sensitive: Standard::ALL
                .iter()
                .map(|st| (st.id().to_string(), self.sensitive[st.index()].estimate()))
                .collect(),
            non_sensitive: Standard::ALL
                .iter()
                .map(|st| {
                    (
                        st.id().to_string(),
                        self.non_sensitive[st.index()].estimate(),
                    )
                })
                .collect(),
            non_sensitive_conservative: self.non_sensitive_conservative,
            minors: self.minors.estimate(),
            method: METHOD_HLL.to_string(),
        }
    }
}

/// How [`Figures`] were counted: people linked and counted exactly.
pub const METHOD_LINKED: &str = "linked-exact";
/// How [`Figures`] were counted: distinct subject keys estimated by HyperLogLog (an upper
/// bound on people, with a 95% interval), where a part had no link graph.
pub const METHOD_HLL: &str = "hll-subject-keys";

/// Unions `b` into `a`, skipping an empty `b`: merging nothing must not lower `a`'s precision.
pub fn union_into(a: &mut Sketch, b: &Sketch) {
    if !b.is_empty() {
        a.merge(b);
    }
}

/// The estimates of a [`SubjectSketches`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub subjects: Estimate,
    /// Standard id → sensitive subjects.
    pub sensitive: BTreeMap<String, Estimate>,
    /// Standard id → subjects whose PI includes PI not sensitive under it. Empty in figures
    /// recorded by older versions ([`Figures::non_sensitive`] then gives everyone).
    #[serde(default)]
    pub non_sensitive: BTreeMap<String, Estimate>,
    /// Everyone stood in for the non-sensitive figure of some part (see
    /// [`SubjectSketches::non_sensitive_conservative`]).
    #[serde(default)]
    pub non_sensitive_conservative: bool,
    pub minors: Estimate,
    /// [`METHOD_LINKED`] or [`METHOD_HLL`].
    #[serde(default = "hll_method")]
    pub method: String,
}

fn hll_method() -> String {
    METHOD_HLL.to_string()
}

impl Figures {
    pub fn is_exact(&self) -> bool {
        self.method == METHOD_LINKED
    }

    pub fn sensitive(&self, st: Standard) -> Estimate {
        self.sensitive.get(st.id()).copied().unwrap_or(ZERO)
    }

    /// People with non-sensitive PI under `st`; everyone where the figure was not recorded.
    pub fn non_sensitive(&self, st: Standard) -> Estimate {
        self.non_sensitive
            .get(st.id())
            .copied()
            .unwrap_or(self.subjects)
    }
}

pub const ZERO: Estimate = Estimate {
    estimate: 0,
    low: 0,
    high: 0,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::SketchKey;

    fn count(s: &Sketch) -> Count {
        let e = s.estimate();
        Count {
            method: "hll".into(),
            estimate: e.estimate,
            low: e.low,
            high: e.high,
            sketch: (!s.is_empty()).then(|| s.to_base64()),
        }
    }

    fn group(
        key: &SketchKey,
        people: std::ops::Range<u32>,
        sensitive: std::ops::Range<u32>,
    ) -> SubjectSketches {
        let mut all = Sketch::new();
        let mut sens = Sketch::new();
        for p in people {
            all.insert(key, format!("p{p}").as_bytes());
        }
        for p in sensitive {
            sens.insert(key, format!("p{p}").as_bytes());
        }
        let by: BTreeMap<String, Count> = Standard::ALL
            .iter()
            .map(|st| (st.id().to_string(), count(&sens)))
            .collect();
        SubjectSketches::from_counts(
            &key.id(),
            &count(&all),
            &by,
            &BTreeMap::new(),
            &count(&Sketch::new()),
            "test",
        )
        .unwrap()
    }

    #[test]
    fn a_union_counts_shared_people_once() {
        let key = SketchKey::random();
        let mut a = group(&key, 0..100, 0..10);
        let b = group(&key, 50..150, 5..20);
        a.merge(&b).unwrap();
        let f = a.figures();
        assert_eq!(f.subjects.estimate, 150);
        assert_eq!(f.sensitive(Standard::Gbt45574_2025).estimate, 20);
        // The same group twice does not inflate.
        let again = a.clone();
        a.merge(&again).unwrap();
        assert_eq!(a.figures().subjects.estimate, 150);
    }

    #[test]
    fn sketches_under_different_keys_are_refused() {
        let mut a = group(&SketchKey::random(), 0..10, 0..0);
        let b = group(&SketchKey::random(), 0..10, 0..0);
        let e = a.merge(&b).unwrap_err().to_string();
        assert!(e.contains("cannot be merged"), "{e}");
    }

    #[test]
    fn a_count_without_its_sketch_is_an_error() {
        let c = Count {
            method: "hll".into(),
            estimate: 5,
            low: 5,
            high: 5,
            sketch: None,
        };
        let e = SubjectSketches::read(&c, "subjects", "source x.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.csv") && e.contains("no sketch"), "{e}");
    }
}
