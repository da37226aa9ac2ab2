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
//! Memory stays bounded whatever the input: values longer than [`MAX_VALUE`] bytes are not
//! memorised, a field holds at most [`MAX_ENTRIES`] values, and one scanner (one file or one
//! chunk of it) at most [`BUDGET`] bytes of memos across all its fields.

use std::collections::HashMap;

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

/// What one value holds: its findings (offsets relative to the value) and their hashes.
#[derive(Debug, Default)]
pub struct Entry {
    pub findings: Vec<Finding>,
    pub hashes: Vec<u64>,
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
    map: HashMap<Box<[u8]>, Entry, foldhash::fast::RandomState>,
}

impl Memo {
    /// Whether this value should go through the memo at all.
    pub fn applies(&self, value: &[u8]) -> bool {
        !self.off && value.len() <= MAX_VALUE
    }

    /// The memorised findings of `value`, counting the lookup for the field's judgement.
    pub fn get(&mut self, value: &[u8]) -> Option<&Entry> {
        let never_repeated = !self.judged && self.lookups == FIRST_LOOK && self.hits == 0;
        if self.lookups >= WINDOW || never_repeated {
            self.judged = true;
            if self.hits * 4 < self.lookups {
                self.off = true;
                self.map = HashMap::default();
                return None;
            }
            (self.lookups, self.hits) = (0, 0);
        }
        let found = self.map.get(value);
        self.lookups += 1;
        self.hits += u32::from(found.is_some());
        found
    }

    /// Memorises `value`'s findings if the field and the scanner still have room; returns the
    /// bytes it took (to be charged to the scanner's budget).
    pub fn insert(&mut self, value: &[u8], entry: Entry, budget_left: usize) -> usize {
        if self.off || self.map.len() >= MAX_ENTRIES {
            return 0;
        }
        let cost = value.len()
            + 64
            + entry
                .findings
                .iter()
                .map(|f| std::mem::size_of::<Finding>() + 8 + f.normalised.len())
                .sum::<usize>();
        if cost > budget_left {
            return 0;
        }
        self.map.insert(value.into(), entry);
        cost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            findings: vec![Finding {
                detector: 0,
                start: 0,
                end: 2,
                normalised: "张伟".into(),
            }],
            hashes: vec![7],
        }
    }

    #[test]
    fn a_repetitive_field_keeps_its_memo_and_a_unique_one_drops_it() {
        let mut names = Memo::default();
        let mut ids = Memo::default();
        for i in 0..WINDOW * 2 {
            let name = format!("name{}", i % 10);
            if names.get(name.as_bytes()).is_none() {
                names.insert(name.as_bytes(), entry(), BUDGET);
            }
            let id = format!("id{i}");
            if ids.applies(id.as_bytes()) && ids.get(id.as_bytes()).is_none() {
                ids.insert(id.as_bytes(), entry(), BUDGET);
            }
        }
        assert!(!names.off);
        assert_eq!(names.map.len(), 10);
        assert!(names.get(b"name3").is_some_and(|e| e.hashes == [7]));
        assert!(ids.off);
        let mut early = Memo::default();
        for i in 0..FIRST_LOOK {
            let id = format!("id{i}");
            assert!(early.applies(id.as_bytes()), "still probing at {i}");
            if early.get(id.as_bytes()).is_none() {
                early.insert(id.as_bytes(), entry(), BUDGET);
            }
        }
        assert!(
            early.get(b"id1").is_none() && early.off,
            "no repeat in the first look"
        );
        assert!(ids.map.is_empty() && !ids.applies(b"id1"));
        assert_eq!(
            ids.insert(b"id1", entry(), BUDGET),
            0,
            "an unused memo stays empty"
        );
    }

    #[test]
    fn memory_is_bounded_by_entries_value_length_and_budget() {
        let mut m = Memo::default();
        assert!(!m.applies(&[b'a'; MAX_VALUE + 1]));
        let mut used = 0;
        for i in 0..MAX_ENTRIES + 10 {
            used += m.insert(format!("v{i}").as_bytes(), entry(), BUDGET - used);
        }
        assert_eq!(m.map.len(), MAX_ENTRIES);
        let mut small = Memo::default();
        assert_eq!(small.insert(b"v", entry(), 10), 0, "over budget");
        assert!(small.map.is_empty());
    }
}
