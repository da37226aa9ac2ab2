//! pipl-scan finds personal information (PI) in files, counts the distinct people it concerns
//! and writes the data inventory a China cross-border transfer filing is built on.
//!
//! Data flows one way through the modules, each with one job:
//!
//! * [`walk`] — finds the files under the roots (globs, symlink policy, special files);
//! * [`read`] — turns a file into records (lines of text for now);
//! * [`classify`] — which detectors a table's column is (share of valid values, header hints);
//! * [`detect`] — the data-defined detectors and the one-pass multi-pattern matcher;
//! * [`subject`] — a record's findings → its subject key and its sensitive / minor flags;
//! * [`sketch`] — keyed HyperLogLog sketches that count distinct subjects and merge;
//! * [`inventory`] — aggregation into the `pipl-scan/inventory/v1` document;
//! * [`scan`] — drives the pipeline in parallel and collects per-file statuses;
//! * [`state`] — what incremental rescans keep between runs (`scan --state`);
//! * [`merge`], [`diff`] — joining the inventories of shards; what changed between two;
//! * [`explain`] — every finding of one small file with its evidence, masked;
//! * [`assess`] — thresholds and mechanisms per regime, the cumulative ledger, verification;
//! * [`report`] — the filing reports (markdown, HTML, CSV, xlsx, JSON) in Chinese and English.

pub mod assess;
pub mod classify;
pub mod cli;
pub mod confidence;
pub mod detect;
pub mod diff;
pub mod explain;
pub mod inventory;
pub mod link;
pub mod link_file;
pub mod link_spill;
pub mod log;
pub mod merge;
pub mod read;
pub mod report;
pub mod scan;
pub mod sign;
pub mod sketch;
pub mod source_spill;
pub mod sources_file;
pub mod state;
pub mod subject;
pub mod walk;

/// A small deterministic generator (xorshift64) for the randomised tests that hold a fast path
/// to its slow twin: the same inputs on every run, so a failure can be replayed.
#[cfg(test)]
pub(crate) struct TestRng(pub u64);

#[cfg(test)]
impl TestRng {
    /// The next state, which is also the value drawn.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A draw in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
