//! Where the tokenizer's rows go: the [`RowSink`] trait, the detectors as a sink, and the
//! pipeline that batches rows to detector threads ([`super::scan`]).

use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex, RwLock};

use crate::inventory::SourceAcc;
use crate::read::Ctx;
use crate::read::records::RecordScanner;

/// Where the tokenizer delivers rows: the detectors (a [`RecordScanner`]), a pipeline to
/// detector threads, or anything else (the benchmark counts them).
pub trait RowSink {
    /// Registers a field, `table.column` with header hints from `column`; returns its id.
    fn field(&mut self, name: &str, header: &str) -> usize;
    /// One row as (field id, value) pairs; empty values are left out.
    fn row<'v>(&mut self, values: impl Iterator<Item = (usize, &'v [u8])>);

    /// One row as its values' bytes, back to back in `data`, and each value's (field id, start,
    /// end) in it; empty values may be among them and are left out. A sink that copies rows
    /// can take `data` at once instead of value by value.
    fn row_spans(&mut self, data: &[u8], values: impl Iterator<Item = (usize, usize, usize)>) {
        self.row(
            values
                .filter(|&(_, s, e)| e > s)
                .map(|(fid, s, e)| (fid, &data[s..e])),
        );
    }
}

impl RowSink for RecordScanner<'_, '_> {
    fn field(&mut self, name: &str, header: &str) -> usize {
        self.field_labeled(name, header)
    }
    fn row<'v>(&mut self, values: impl Iterator<Item = (usize, &'v [u8])>) {
        self.record(values);
    }
}

/// Rows handed to the detector threads at a time (bytes of values, or rows).
const BATCH_BYTES: usize = 1 << 20;
const BATCH_ROWS: usize = 16_384;

/// A batch of rows for a detector thread: values back to back, each value's field and span, and
/// where each row's values end.
#[derive(Default)]
pub(super) struct Batch {
    data: Vec<u8>,
    values: Vec<(usize, usize, usize)>,
    row_ends: Vec<usize>,
}

/// Field names by id, shared with the detector threads (each registers them in its own scanner
/// when it first meets an id).
pub(super) type Registry = Arc<RwLock<Vec<(String, String)>>>;

/// A [`RowSink`] that batches rows and sends them to detector threads.
pub(super) struct Pipeline {
    pub(super) registry: Registry,
    pub(super) names: std::collections::HashMap<String, usize>,
    pub(super) batch: Batch,
    pub(super) tx: Option<SyncSender<Batch>>,
    /// Batches the detector threads are done with, emptied, to be filled again: a fresh batch
    /// grows its vectors from nothing and faults in new pages every time.
    pub(super) spent: Receiver<Batch>,
}

impl RowSink for Pipeline {
    fn field(&mut self, name: &str, header: &str) -> usize {
        if let Some(&id) = self.names.get(name) {
            return id;
        }
        let mut reg = self.registry.write().unwrap_or_else(|e| e.into_inner());
        reg.push((name.to_string(), header.to_string()));
        let id = reg.len() - 1;
        self.names.insert(name.to_string(), id);
        id
    }

    fn row<'v>(&mut self, values: impl Iterator<Item = (usize, &'v [u8])>) {
        for (fid, v) in values {
            let s = self.batch.data.len();
            self.batch.data.extend_from_slice(v);
            self.batch.values.push((fid, s, self.batch.data.len()));
        }
        self.end_row();
    }

    fn row_spans(&mut self, data: &[u8], values: impl Iterator<Item = (usize, usize, usize)>) {
        // One copy per row rather than one per value.
        let base = self.batch.data.len();
        self.batch.data.extend_from_slice(data);
        self.batch.values.extend(
            values
                .filter(|&(_, s, e)| e > s)
                .map(|(fid, s, e)| (fid, base + s, base + e)),
        );
        self.end_row();
    }
}

impl Pipeline {
    #[inline]
    fn end_row(&mut self) {
        self.batch.row_ends.push(self.batch.values.len());
        if self.batch.data.len() >= BATCH_BYTES || self.batch.row_ends.len() >= BATCH_ROWS {
            self.flush();
        }
    }

    pub(super) fn flush(&mut self) {
        if self.batch.row_ends.is_empty() {
            return;
        }
        let next = self.spent.try_recv().unwrap_or_default();
        let b = std::mem::replace(&mut self.batch, next);
        if let Some(tx) = &self.tx
            && tx.send(b).is_err()
        {
            // Every detector thread is gone (it panicked): stop sending; the join reports it.
            self.tx = None;
        }
    }
}

/// A detector thread: scans batches until the tokenizer hangs up.
pub(super) fn detect_batches(
    ctx: &Ctx,
    rx: &Mutex<Receiver<Batch>>,
    spent: &SyncSender<Batch>,
    registry: &Registry,
) -> SourceAcc {
    let mut rs = RecordScanner::new(ctx);
    let mut local: Vec<Option<usize>> = Vec::new();
    loop {
        let msg = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(mut b) = msg else { break };
        let mut start = 0;
        for &end in &b.row_ends {
            for &(fid, _, _) in &b.values[start..end] {
                if local.get(fid).copied().flatten().is_none() {
                    let reg = registry.read().unwrap_or_else(|e| e.into_inner());
                    let (name, header) = &reg[fid];
                    if local.len() <= fid {
                        local.resize(fid + 1, None);
                    }
                    local[fid] = Some(rs.field_labeled(name, header));
                }
            }
            let ids = &local;
            rs.record(
                b.values[start..end]
                    .iter()
                    .map(|&(fid, s, e)| (ids[fid].unwrap_or(0), &b.data[s..e])),
            );
            start = end;
        }
        b.data.clear();
        b.values.clear();
        b.row_ends.clear();
        // Back to the tokenizer for reuse; when it already holds enough spare ones, dropped.
        let _ = spent.try_send(b);
    }
    rs.finish()
}
