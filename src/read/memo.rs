//! Per-field memory of what a value was found to hold, for columns whose values repeat.
//!
//! Exports repeat themselves: a name column holds a few thousand names, a status or city
//! column a handful of values, an order table the same customer's phone on every order. For
//! such a column, matching, validating, normalising and hashing each occurrence again is most
//! of the cost of a row (names and addresses go through whole-value patterns and checks). A
//! [`Memo`] keeps, per distinct value, its findings and their keyed hashes, so a repeat costs a
//! hash-map lookup. Columns of unique values (IDs, e-mails) gain nothing and would only pay for
//! the lookups and copies, so a field's memo is judged every [`WINDOW`] lookups: if fewer than
//! a quarter of them were repeats it is dropped for good (a quarter, not a half: a column of a
//! few thousand distinct addresses repeats little in its first rows and much later), and after
//! its first [`FIRST_LOOK`] lookups if none was a repeat.
//!
//! A hit is on the path of every repeated value, so its layout is flat: the values' bytes sit
//! end to end in one arena, their findings and hashes in two more, and the hash table holds
//! small slots (the value's full 64-bit hash and ranges into the arenas), not boxed keys and
//! vectors. A probe reads the table's control bytes and one slot, compares the stored hash,
//! then the bytes in the arena — always the bytes: equal hashes never make equal values. The
//! stored hash also lets the table grow without hashing the values again.
//!
//! Memory stays bounded whatever the input: values longer than [`MAX_VALUE`] bytes are not
//! memorised, a field holds at most [`MAX_ENTRIES`] values, and one scanner (one file or one
//! chunk of it) at most [`BUDGET`] bytes of memos across all its fields.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::detect::Finding;

/// Lookups over which a field's memo is judged.
pub const WINDOW: u32 = 4096;
/// Lookups after which a field whose values never repeated drops its memo early (a column of
/// unique IDs would otherwise pay a whole window of lookups and copies in every file chunk).
pub const FIRST_LOOK: u32 = 512;
/// Longest value memorised, in bytes.
pub const MAX_VALUE: usize = 128;
/// Most values memorised per field.
pub const MAX_ENTRIES: usize = 4096;
/// Most bytes (roughly: keys, findings, normalised values) memorised per scanner.
pub const BUDGET: usize = 16 << 20;

/// One memorised value: its hash and where its bytes, findings and hashes sit in the arenas.
/// Offsets fit in `u32`: the keys take at most `MAX_ENTRIES * MAX_VALUE` bytes and the
/// findings at most `BUDGET` bytes.
#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u64,
    key: u32,
    key_len: u32,
    first: u32,
    count: u32,
}

/// One field's memo.
#[derive(Debug, Default)]
pub struct Memo {
    /// Lookups and repeats in the current window.
    lookups: u32,
    hits: u32,
    /// Values did not repeat enough: the memo was dropped and is not used again.
    off: bool,
    /// A window has been judged (the early look applies to the first only).
    judged: bool,
    table: HashTable<Slot>,
    /// The memorised values' bytes, end to end.
    keys: Vec<u8>,
    /// The memorised values' findings (offsets relative to the value) and their hashes, each
    /// value's adjacent.
    findings: Vec<Finding>,
    hashes: Vec<u64>,
    hasher: foldhash::fast::RandomState,
}

impl Memo {
    /// Whether this value should go through the memo at all.
    pub fn applies(&self, value: &[u8]) -> bool {
        !self.off && value.len() <= MAX_VALUE
    }

    /// The memorised findings of `value` and their hashes, counting the lookup for the
    /// field's judgement.
    pub fn get(&mut self, value: &[u8]) -> Option<(&[Finding], &[u64])> {
        let never_repeated = !self.judged && self.lookups == FIRST_LOOK && self.hits == 0;
        if self.lookups >= WINDOW || never_repeated {
            self.judged = true;
            if self.hits * 4 < self.lookups {
                self.off = true;
                // Frees everything: the memo is not used again.
                (self.table, self.keys, self.findings, self.hashes) = Default::default();
                return None;
            }
            (self.lookups, self.hits) = (0, 0);
        }
        let found = self.find(self.hasher.hash_one(value), value);
        self.lookups += 1;
        self.hits += u32::from(found.is_some());
        let s = found?;
        let range = s.first as usize..(s.first + s.count) as usize;
        Some((&self.findings[range.clone()], &self.hashes[range]))
    }

    /// The slot of `value`, whose hash is `hash`: the stored hash is compared first, then
    /// the bytes.
    fn find(&self, hash: u64, value: &[u8]) -> Option<Slot> {
        let keys = &self.keys;
        self.table
            .find(hash, |s| {
                s.hash == hash && &keys[s.key as usize..(s.key + s.key_len) as usize] == value
            })
            .copied()
    }

    /// Memorises `value`'s findings and their hashes (one per finding) if the field and the
    /// scanner still have room; returns the bytes it took (to be charged to the scanner's
    /// budget). A value already memorised keeps its findings (they are the same).
    pub fn insert(
        &mut self,
        value: &[u8],
        findings: &[Finding],
        hashes: impl IntoIterator<Item = u64>,
        budget_left: usize,
    ) -> usize {
        if self.off || self.table.len() >= MAX_ENTRIES || value.len() > MAX_VALUE {
            return 0;
        }
        let cost = value.len()
            + 64
            + findings
                .iter()
                .map(|f| std::mem::size_of::<Finding>() + 8 + f.normalised.len())
                .sum::<usize>();
        let hash = self.hasher.hash_one(value);
        if cost > budget_left || self.find(hash, value).is_some() {
            return 0;
        }
        let slot = Slot {
            hash,
            key: self.keys.len() as u32,
            key_len: value.len() as u32,
            first: self.findings.len() as u32,
            count: findings.len() as u32,
        };
        self.keys.extend_from_slice(value);
        self.findings.extend_from_slice(findings);
        self.hashes.extend(hashes);
        debug_assert_eq!(
            self.hashes.len(),
            self.findings.len(),
            "one hash per finding"
        );
        self.table.insert_unique(slot.hash, slot, |s| s.hash);
        cost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(normalised: &str) -> Finding {
        Finding {
            detector: 0,
            start: 0,
            end: normalised.len(),
            normalised: normalised.into(),
        }
    }

    /// Memorises `value` with one finding whose hash is 7, as the scanner does after a miss.
    fn insert(m: &mut Memo, value: &[u8], budget_left: usize) -> usize {
        m.insert(value, &[finding("张伟")], [7], budget_left)
    }

    #[test]
    fn a_repetitive_field_keeps_its_memo_and_a_unique_one_drops_it() {
        let mut names = Memo::default();
        let mut ids = Memo::default();
        for i in 0..WINDOW * 2 {
            let name = format!("name{}", i % 10);
            if names.get(name.as_bytes()).is_none() {
                insert(&mut names, name.as_bytes(), BUDGET);
            }
            let id = format!("id{i}");
            if ids.applies(id.as_bytes()) && ids.get(id.as_bytes()).is_none() {
                insert(&mut ids, id.as_bytes(), BUDGET);
            }
        }
        assert!(!names.off);
        assert_eq!(names.table.len(), 10);
        assert!(names.get(b"name3").is_some_and(|(_, h)| h == [7]));
        assert!(ids.off);
        let mut early = Memo::default();
        for i in 0..FIRST_LOOK {
            let id = format!("id{i}");
            assert!(early.applies(id.as_bytes()), "still probing at {i}");
            if early.get(id.as_bytes()).is_none() {
                insert(&mut early, id.as_bytes(), BUDGET);
            }
        }
        assert!(
            early.get(b"id1").is_none() && early.off,
            "no repeat in the first look"
        );
        assert!(ids.table.is_empty() && ids.keys.is_empty() && !ids.applies(b"id1"));
        assert_eq!(
            insert(&mut ids, b"id1", BUDGET),
            0,
            "an unused memo stays empty"
        );
    }

    /// Keys are compared byte for byte, and each value gets back its own findings and hashes
    /// from the shared arenas, however many values and findings came before it.
    #[test]
    fn each_value_gets_back_exactly_its_own_findings() {
        let mut m = Memo::default();
        assert!(m.insert(b"ab", &[finding("a"), finding("b")], [1, 2], BUDGET) > 0);
        assert!(m.insert(b"abc", &[], [], BUDGET) > 0);
        assert!(m.insert(b"b", &[finding("b")], [3], BUDGET) > 0);
        assert_eq!(
            m.insert(b"b", &[finding("x")], [9], BUDGET),
            0,
            "already there"
        );
        for (value, want) in [(&b"ab"[..], &["a", "b"][..]), (b"abc", &[]), (b"b", &["b"])] {
            let (f, h) = m.get(value).expect("memorised");
            let got: Vec<&str> = f.iter().map(|f| &*f.normalised).collect();
            assert_eq!(got, want, "{value:?}");
            assert_eq!(h.len(), f.len());
        }
        assert_eq!(m.get(b"ab").unwrap().1, [1, 2]);
        assert_eq!(m.get(b"b").unwrap().1, [3]);
        for other in [&b"a"[..], b"abcd", b"ba", b""] {
            assert!(m.get(other).is_none(), "{other:?} was never memorised");
        }
    }

    #[test]
    fn memory_is_bounded_by_entries_value_length_and_budget() {
        let mut m = Memo::default();
        assert!(!m.applies(&[b'a'; MAX_VALUE + 1]));
        assert_eq!(
            insert(&mut m, &[b'a'; MAX_VALUE + 1], BUDGET),
            0,
            "too long"
        );
        let mut used = 0;
        for i in 0..MAX_ENTRIES + 10 {
            used += insert(&mut m, format!("v{i}").as_bytes(), BUDGET - used);
        }
        assert_eq!(m.table.len(), MAX_ENTRIES);
        assert_eq!(m.findings.len(), MAX_ENTRIES);
        let mut small = Memo::default();
        assert_eq!(insert(&mut small, b"v", 10), 0, "over budget");
        assert!(small.table.is_empty() && small.keys.is_empty());
    }
}
