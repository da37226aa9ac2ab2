//! Records of named fields — rows of a table, JSON objects, SQL rows — fed to the detectors.
//!
//! Structured readers (CSV, spreadsheets, JSON, Parquet, SQL dumps) all end here: they register
//! their fields once ([`RecordScanner::field`], which also works out which detectors the header
//! names) and then hand over one record at a time as `(field id, value)` pairs. Each value is
//! scanned on its own, with the field's header hints standing in for context keywords, and the
//! record's findings together give its one subject (see [`crate::subject`]).

use super::Ctx;
use crate::detect::Finding;
use crate::inventory::SourceAcc;
use crate::subject;

struct Field {
    name: String,
    /// One flag per detector: does the header name it?
    hinted: Vec<bool>,
}

/// Accumulates the findings of one source (or one part of it, merged later).
pub struct RecordScanner<'c, 'a> {
    ctx: &'c Ctx<'a>,
    fields: Vec<Field>,
    acc: SourceAcc,
    findings: Vec<(usize, Finding)>,
}

impl<'c, 'a> RecordScanner<'c, 'a> {
    pub fn new(ctx: &'c Ctx<'a>) -> Self {
        RecordScanner {
            ctx,
            fields: Vec::new(),
            acc: SourceAcc::default(),
            findings: Vec::new(),
        }
    }

    /// Registers a field and returns its id; the same name always gets the same id.
    pub fn field(&mut self, name: &str) -> usize {
        if let Some(i) = self.fields.iter().position(|f| f.name == name) {
            return i;
        }
        self.fields.push(Field {
            name: name.to_string(),
            hinted: self.ctx.set.header_hints(name),
        });
        self.fields.len() - 1
    }

    pub fn field_name(&self, id: usize) -> &str {
        &self.fields[id].name
    }

    /// Adds one record. Empty values are fine (they find nothing).
    pub fn record<'v>(&mut self, values: impl IntoIterator<Item = (usize, &'v [u8])>) {
        self.acc.records += 1;
        self.findings.clear();
        for (fid, value) in values {
            let hinted = &self.fields[fid].hinted;
            let findings = &mut self.findings;
            self.ctx
                .set
                .find(value, hinted, |f| findings.push((fid, f)));
        }
        if self.findings.is_empty() {
            return;
        }
        let subject = subject::classify(
            self.ctx.set,
            self.findings.iter().map(|(_, f)| f),
            self.ctx.reference,
        );
        let named: Vec<(&str, Finding)> = self
            .findings
            .drain(..)
            .map(|(fid, f)| (self.fields[fid].name.as_str(), f))
            .collect();
        self.acc
            .add_record(self.ctx.set, self.ctx.key, &named, &subject);
    }

    pub fn finish(self) -> SourceAcc {
        self.acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSet;
    use crate::sketch::SketchKey;

    #[test]
    fn a_row_is_one_subject_keyed_by_its_best_identifier() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx {
            set: &set,
            key: &key,
            reference: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        };
        let mut r = RecordScanner::new(&ctx);
        let (id, phone, passport) = (r.field("sfzh"), r.field("phone"), r.field("护照号"));
        r.record([
            (id, b"11010519491231002X".as_slice()),
            (phone, b"13812345678".as_slice()),
            (passport, b"".as_slice()),
        ]);
        // The passport has no keyword in its value; the header hint stands in for one.
        r.record([(passport, b"E12345678".as_slice())]);
        r.record([(phone, b"13812345678".as_slice())]);
        let acc = r.finish();
        assert_eq!(acc.records, 3);
        assert_eq!(acc.subjects.estimate().estimate, 3);
        assert_eq!(acc.fields.len(), 3, "{:?}", acc.fields.keys());
    }
}
