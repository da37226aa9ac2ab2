//! The cumulative outbound ledger: what each flow sent, as subject sketches, per calendar year,
//! in one SQLite file.
//!
//! The thresholds count people "cumulatively since 1 January", across every export of the year.
//! `ledger add` records one export (an inventory, or the sources a flow selects from it) as an
//! *entry*: its date, its figures and its sketches. A year's figure is the union of its entries'
//! sketches, so adding the same export twice, or two overlapping exports, counts each person
//! once. Entries are kept rather than folded into a running union so that an auditor can see
//! every export that makes up a figure, and so that a union can be recomputed for any window
//! (the 2022 Measures count from 1 January of the previous year).
//!
//! Every write is one transaction (SQLite's rollback journal, `synchronous = FULL`): a crash
//! mid-write leaves the file as it was before. The environment variable
//! `PIPL_SCAN_LEDGER_FAULT=abort-mid-write` makes `add` abort the process between the entry row
//! and its sketches; it exists for the crash test only.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{Datelike, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::figures::{Figures, SubjectSketches};
use crate::detect::Standard;
use crate::sketch::Sketch;

const SCHEMA_VERSION: &str = "pipl-scan/ledger/v1";

/// Sketch kinds stored per entry.
const KIND_SUBJECTS: &str = "subjects";
const KIND_MINORS: &str = "minors";

fn sensitive_kind(st: Standard) -> String {
    format!("sensitive:{}", st.id())
}

/// Entries of older versions have no such sketch: their everyone stands in for it.
fn non_sensitive_kind(st: Standard) -> String {
    format!("non-sensitive:{}", st.id())
}

/// The entries a query selects: sent in `years` (calendar years) and, when `until` is given, on
/// or before that day.
fn date_bound(until: Option<NaiveDate>) -> String {
    until.map_or_else(|| "9999-12-31".to_string(), |d| d.to_string())
}

pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

/// One export to record.
pub struct NewEntry<'a> {
    pub flow: &'a str,
    pub sent_on: NaiveDate,
    /// Where the inventory came from (a path), for the audit trail.
    pub inventory: &'a str,
    pub inventory_finished_at: &'a str,
    pub sources: u64,
    pub sketches: &'a SubjectSketches,
    /// SHA-256 of the inventory file, hex, and its detached signature (base64), if signed.
    pub digest: Option<(&'a str, Option<&'a str>)>,
}

/// A recorded entry, without its sketches.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: i64,
    pub flow: String,
    pub year: i32,
    pub sent_on: NaiveDate,
    pub added_at: String,
    pub inventory: String,
    pub sources: u64,
    pub figures: Figures,
}

impl Ledger {
    /// Opens (creating if needed) the ledger file.
    pub fn open(path: &Path) -> Result<Ledger> {
        let conn =
            Connection::open(path).with_context(|| format!("opening ledger {}", path.display()))?;
        let l = Ledger {
            conn,
            path: path.to_path_buf(),
        };
        l.init()
            .with_context(|| format!("ledger {}", path.display()))?;
        Ok(l)
    }

    fn init(&self) -> Result<()> {
        self.conn.busy_timeout(std::time::Duration::from_secs(10))?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.execute_batch(
            "BEGIN;
             CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS entry (
                 id INTEGER PRIMARY KEY,
                 flow TEXT NOT NULL,
                 year INTEGER NOT NULL,
                 sent_on TEXT NOT NULL,
                 added_at TEXT NOT NULL,
                 inventory TEXT NOT NULL,
                 inventory_finished_at TEXT NOT NULL,
                 sources INTEGER NOT NULL,
                 figures TEXT NOT NULL
             );
             CREATE INDEX IF NOT EXISTS entry_year_flow ON entry (year, flow);
             CREATE TABLE IF NOT EXISTS sketch (
                 entry_id INTEGER NOT NULL REFERENCES entry (id),
                 kind TEXT NOT NULL,
                 image BLOB NOT NULL,
                 PRIMARY KEY (entry_id, kind)
             );
             -- The entry's people graph (see link_file::encode), when its inventory had one:
             -- what makes the year's people figure exact. Entries of older versions have none.
             -- Which inventory file an entry was made from: its SHA-256 and, when it was signed,
             -- its signature, so that the same inventory recorded twice is noticed.
             CREATE TABLE IF NOT EXISTS entry_digest (
                 entry_id INTEGER PRIMARY KEY REFERENCES entry (id),
                 sha256 TEXT NOT NULL,
                 signature TEXT
             );
             CREATE INDEX IF NOT EXISTS entry_digest_sha256 ON entry_digest (sha256);
             CREATE TABLE IF NOT EXISTS graph (
                 entry_id INTEGER PRIMARY KEY REFERENCES entry (id),
                 kinds TEXT NOT NULL,
                 link_cap INTEGER NOT NULL,
                 image BLOB NOT NULL
             );
             COMMIT;",
        )?;
        let version: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE name = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match version {
            None => {
                self.conn.execute(
                    "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema', ?1)",
                    [SCHEMA_VERSION],
                )?;
            }
            Some(v) if v == SCHEMA_VERSION => {}
            Some(v) => bail!("is a `{v}` file; this pipl-scan reads `{SCHEMA_VERSION}`"),
        }
        Ok(())
    }

    /// The id of the sketch key every entry was made with, once there is one.
    pub fn key_id(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE name = 'key_id'", [], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Records one export, all or nothing. Returns the new entry's id.
    pub fn add(&mut self, e: &NewEntry) -> Result<i64> {
        let key_id = e
            .sketches
            .key_id
            .clone()
            .unwrap_or_else(|| "none".to_string());
        let figures = serde_json::to_string(&e.sketches.figures())?;
        let added_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let path = self.path.display().to_string();
        let tx = self.conn.transaction()?;
        let existing: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE name = 'key_id'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match existing {
            Some(k) if k != key_id => bail!(
                "ledger {path} holds sketches made with key {k}, this inventory was made with key \
                 {key_id}: they cannot be merged (the same person would count twice). Scan with \
                 the ledger's --key-file"
            ),
            Some(_) => {}
            None => {
                tx.execute(
                    "INSERT INTO meta (name, value) VALUES ('key_id', ?1)",
                    [&key_id],
                )?;
            }
        }
        tx.execute(
            "INSERT INTO entry (flow, year, sent_on, added_at, inventory, inventory_finished_at, sources, figures)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                e.flow,
                e.sent_on.year(),
                e.sent_on.to_string(),
                added_at,
                e.inventory,
                e.inventory_finished_at,
                e.sources as i64,
                figures
            ],
        )?;
        let id = tx.last_insert_rowid();
        if let Some((sha, sig)) = e.digest {
            tx.execute(
                "INSERT INTO entry_digest (entry_id, sha256, signature) VALUES (?1, ?2, ?3)",
                params![id, sha, sig],
            )?;
        }
        if std::env::var("PIPL_SCAN_LEDGER_FAULT").is_ok_and(|v| v == "abort-mid-write") {
            // Crash test: die with the entry row written and its sketches not.
            std::process::abort();
        }
        let put = |kind: &str, s: &Sketch| -> Result<()> {
            tx.execute(
                "INSERT INTO sketch (entry_id, kind, image) VALUES (?1, ?2, ?3)",
                params![id, kind, s.to_bytes()],
            )?;
            Ok(())
        };
        put(KIND_SUBJECTS, &e.sketches.subjects)?;
        for st in Standard::ALL {
            put(&sensitive_kind(st), &e.sketches.sensitive[st.index()])?;
            put(
                &non_sensitive_kind(st),
                &e.sketches.non_sensitive[st.index()],
            )?;
        }
        put(KIND_MINORS, &e.sketches.minors)?;
        if let Some(g) = &e.sketches.graph {
            tx.execute(
                "INSERT INTO graph (entry_id, kinds, link_cap, image) VALUES (?1, ?2, ?3, ?4)",
                params![
                    id,
                    serde_json::to_string(&g.kinds)?,
                    g.cap,
                    crate::link_file::encode(&g.flattened())
                ],
            )?;
        }
        tx.commit()
            .with_context(|| format!("committing to ledger {path}"))?;
        Ok(id)
    }

    /// Entries made from the same inventory: the same SHA-256, or the same signature.
    pub fn same_inventory(&self, sha256: &str, signature: Option<&str>) -> Result<Vec<Entry>> {
        let mut stmt = self.conn.prepare(
            "SELECT entry_id FROM entry_digest WHERE sha256 = ?1 OR (?2 IS NOT NULL AND signature = ?2)
             ORDER BY entry_id",
        )?;
        let ids: Vec<i64> = stmt
            .query_map(params![sha256, signature], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for e in self.entries(i32::MIN..=i32::MAX, None)? {
            if ids.contains(&e.id) {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Entries sent in `years`, of one flow or all, oldest first.
    pub fn entries(&self, years: RangeInclusive<i32>, flow: Option<&str>) -> Result<Vec<Entry>> {
        self.entries_until(years, flow, None)
    }

    /// Entries sent in `years` and on or before `until`, of one flow or all, oldest first.
    pub fn entries_until(
        &self,
        years: RangeInclusive<i32>,
        flow: Option<&str>,
        until: Option<NaiveDate>,
    ) -> Result<Vec<Entry>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, flow, year, sent_on, added_at, inventory, sources, figures FROM entry
             WHERE year BETWEEN ?1 AND ?2 AND (?3 IS NULL OR flow = ?3) AND sent_on <= ?4
             ORDER BY sent_on, id",
        )?;
        let until = date_bound(until);
        let rows = stmt.query_map(params![years.start(), years.end(), flow, until], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i32>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, flow, year, sent_on, added_at, inventory, sources, figures) = row?;
            out.push(Entry {
                id,
                flow,
                year,
                sent_on: NaiveDate::parse_from_str(&sent_on, "%Y-%m-%d")
                    .with_context(|| format!("ledger entry {id}: bad date `{sent_on}`"))?,
                added_at,
                inventory,
                sources: sources as u64,
                figures: serde_json::from_str(&figures)
                    .with_context(|| format!("ledger entry {id}: bad figures"))?,
            });
        }
        Ok(out)
    }

    /// The flows with entries in `years`.
    pub fn flows(&self, years: RangeInclusive<i32>) -> Result<Vec<String>> {
        self.flows_until(years, None)
    }

    /// The flows with entries in `years` sent on or before `until`.
    pub fn flows_until(
        &self,
        years: RangeInclusive<i32>,
        until: Option<NaiveDate>,
    ) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT flow FROM entry WHERE year BETWEEN ?1 AND ?2 AND sent_on <= ?3
             ORDER BY flow",
        )?;
        let rows = stmt.query_map(
            params![years.start(), years.end(), date_bound(until)],
            |r| r.get(0),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The union of the sketches of the entries sent in `years`, of one flow or all.
    pub fn union(&self, years: RangeInclusive<i32>, flow: Option<&str>) -> Result<SubjectSketches> {
        self.union_until(years, flow, None)
    }

    /// The union of the sketches of the entries sent in `years` and on or before `until`, of
    /// one flow or all.
    pub fn union_until(
        &self,
        years: RangeInclusive<i32>,
        flow: Option<&str>,
        until: Option<NaiveDate>,
    ) -> Result<SubjectSketches> {
        let mut out = SubjectSketches::empty();
        out.key_id = self.key_id()?;
        let until = date_bound(until);
        let mut stmt = self.conn.prepare(
            "SELECT s.entry_id, s.kind, s.image FROM sketch s JOIN entry e ON e.id = s.entry_id
             WHERE e.year BETWEEN ?1 AND ?2 AND (?3 IS NULL OR e.flow = ?3) AND e.sent_on <= ?4",
        )?;
        // Per entry: its subjects sketch and which non-sensitive sketches it had.
        let mut seen: std::collections::BTreeMap<i64, (Option<Sketch>, [bool; 2])> =
            Default::default();
        let rows = stmt.query_map(params![years.start(), years.end(), flow, until], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        for row in rows {
            let (id, kind, image) = row?;
            let s = Sketch::from_bytes(&image)
                .map_err(|e| anyhow::anyhow!("ledger entry {id}: `{kind}` sketch: {e}"))?;
            let mark = seen.entry(id).or_default();
            if kind == KIND_SUBJECTS {
                mark.0 = Some(s.clone());
            }
            let slot = if kind == KIND_SUBJECTS {
                &mut out.subjects
            } else if let Some(st) = Standard::ALL
                .into_iter()
                .find(|st| non_sensitive_kind(*st) == kind)
            {
                mark.1[st.index()] = true;
                &mut out.non_sensitive[st.index()]
            } else if kind == KIND_MINORS {
                &mut out.minors
            } else if let Some(st) = Standard::ALL
                .into_iter()
                .find(|st| sensitive_kind(*st) == kind)
            {
                &mut out.sensitive[st.index()]
            } else {
                bail!("ledger entry {id}: unknown sketch kind `{kind}`");
            };
            super::figures::union_into(slot, &s);
        }
        // Entries of older versions: everyone stands in for the non-sensitive figure.
        for (subjects, has) in seen.values() {
            for st in Standard::ALL {
                if !has[st.index()] {
                    out.non_sensitive_conservative = true;
                    if let Some(s) = subjects {
                        super::figures::union_into(&mut out.non_sensitive[st.index()], s);
                    }
                }
            }
        }
        // People graphs: exact only if every entry of the selection stored one.
        let mut stmt = self.conn.prepare(
            "SELECT e.id, g.kinds, g.link_cap, g.image FROM entry e LEFT JOIN graph g ON g.entry_id = e.id
             WHERE e.year BETWEEN ?1 AND ?2 AND (?3 IS NULL OR e.flow = ?3) AND e.sent_on <= ?4",
        )?;
        let rows = stmt.query_map(params![years.start(), years.end(), flow, until], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<u32>>(2)?,
                r.get::<_, Option<Vec<u8>>>(3)?,
            ))
        })?;
        for row in rows {
            let (id, kinds, cap, image) = row?;
            let (Some(kinds), Some(cap), Some(image)) = (kinds, cap, image) else {
                out.graph = None;
                continue;
            };
            let kinds: crate::link::Kinds = serde_json::from_str(&kinds)
                .with_context(|| format!("ledger entry {id}: bad graph kinds"))?;
            let part = crate::link_file::decode(&image)
                .ok_or_else(|| anyhow::anyhow!("ledger entry {id}: damaged people graph"))?;
            if let Some(g) = &mut out.graph {
                g.merge(&crate::link::Graph::of(&kinds, cap, part));
            }
        }
        Ok(out)
    }

    /// Checks the file: SQLite's integrity check, and that every entry has all its sketches.
    pub fn check(&self) -> Result<()> {
        let ok: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ok != "ok" {
            bail!("ledger {}: integrity check: {ok}", self.path.display());
        }
        // Subjects, minors and the sensitive sketches are required; the non-sensitive ones are
        // absent from entries of older versions.
        let kinds = 2 + Standard::ALL.len() as i64;
        let bad: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM entry e WHERE (SELECT COUNT(*) FROM sketch s WHERE s.entry_id = e.id
               AND s.kind NOT LIKE 'non-sensitive:%') <> ?1",
            [kinds],
            |r| r.get(0),
        )?;
        if bad > 0 {
            bail!(
                "ledger {}: {bad} entries lack some of their sketches",
                self.path.display()
            );
        }
        Ok(())
    }

    /// Writes an entry row, then fails before its sketches and the commit, as an I/O error or
    /// a full disk would: the tests show that such a write leaves nothing behind.
    #[cfg(test)]
    fn add_then_fail(&mut self, e: &NewEntry) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO entry (flow, year, sent_on, added_at, inventory, inventory_finished_at, sources, figures)
             VALUES (?1, ?2, ?3, 'now', ?4, '', 0, '{}')",
            params![e.flow, e.sent_on.year(), e.sent_on.to_string(), e.inventory],
        )?;
        // A failure between the statements: the transaction is dropped without commit.
        bail!("simulated failure mid-write")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Count;
    use crate::sketch::SketchKey;
    use std::collections::BTreeMap;

    fn sketches(
        key: &SketchKey,
        people: std::ops::Range<u32>,
        sensitive: std::ops::Range<u32>,
    ) -> SubjectSketches {
        let mk = |r: std::ops::Range<u32>| {
            let mut s = Sketch::new();
            for p in r {
                s.insert(key, format!("cn-mobile:{p}").as_bytes());
            }
            let e = s.estimate();
            Count {
                method: "hll".into(),
                estimate: e.estimate,
                low: e.low,
                high: e.high,
                sketch: (!s.is_empty()).then(|| s.to_base64()),
            }
        };
        let sens = mk(sensitive);
        let by: BTreeMap<String, Count> = Standard::ALL
            .iter()
            .map(|st| (st.id().to_string(), sens.clone()))
            .collect();
        SubjectSketches::from_counts(
            &key.id(),
            &mk(people),
            &by,
            &BTreeMap::new(),
            &mk(0..0),
            "test",
        )
        .unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn entry<'a>(flow: &'a str, sent_on: NaiveDate, s: &'a SubjectSketches) -> NewEntry<'a> {
        NewEntry {
            flow,
            sent_on,
            inventory: "inventory.json",
            inventory_finished_at: "2026-01-01T00:00:00Z",
            sources: 1,
            sketches: s,
            digest: None,
        }
    }

    /// Two exports' graphs, stored with their entries, are linked when the year is counted:
    /// a person sent by ID and mobile in March and by mobile and e-mail in June is one person,
    /// exactly; an entry without a graph (an older version's) makes the year an estimate again.
    #[test]
    fn graphs_of_entries_link_across_exports() {
        use crate::link::{Graph, Id, Kinds, LinkAcc};
        let key = SketchKey::random();
        let kinds = Kinds {
            detectors: vec!["cn-resident-id".into(), "cn-mobile".into(), "email".into()],
            unique: vec![true, false, false],
        };
        let with_graph = |records: &[&[(u64, u8)]]| {
            let mut s = sketches(&key, 0..records.len() as u32, 0..0);
            let mut acc = LinkAcc::default();
            for r in records {
                let ids: Vec<(Id, u8)> = r.iter().map(|&(n, k)| (Id(n, n), k)).collect();
                acc.add_record(&ids, 0, 0);
            }
            s.graph = Some(Graph::of(&kinds, 3, acc));
            s
        };
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("l.db")).unwrap();
        let march = with_graph(&[&[(1, 0), (2, 1)]]);
        let june = with_graph(&[&[(2, 1), (3, 2)], &[(4, 2)]]);
        l.add(&entry("crm", d(2026, 3, 1), &march)).unwrap();
        l.add(&entry("crm", d(2026, 6, 1), &june)).unwrap();
        let f = l.union(2026..=2026, Some("crm")).unwrap().figures();
        assert!(f.is_exact(), "{f:?}");
        assert_eq!(
            (f.subjects.estimate, f.subjects.low, f.subjects.high),
            (2, 2, 2)
        );
        // An entry without a graph: the year falls back to the sketches' estimate.
        let old = sketches(&key, 100..110, 0..0);
        l.add(&entry("crm", d(2026, 7, 1), &old)).unwrap();
        let f = l.union(2026..=2026, Some("crm")).unwrap().figures();
        assert!(!f.is_exact());
    }

    #[test]
    fn the_same_export_twice_does_not_inflate_the_year() {
        let dir = tempfile::tempdir().unwrap();
        // A fixed key: the interval below is a confidence interval, which a random key's
        // sketch misses now and then (3,928 [3,866, 3,993] for 4,000 was seen once).
        let key = SketchKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap();
        let mut l = Ledger::open(&dir.path().join("ledger.db")).unwrap();
        let export = sketches(&key, 0..3000, 0..200);
        l.add(&entry("crm", d(2026, 2, 1), &export)).unwrap();
        l.add(&entry("crm", d(2026, 3, 1), &export)).unwrap();
        let y = l.union(2026..=2026, Some("crm")).unwrap().figures();
        let once = export.figures();
        assert_eq!(y.subjects, once.subjects);
        assert_eq!(
            y.sensitive(Standard::Gbt45574_2025),
            once.sensitive(Standard::Gbt45574_2025)
        );
        // An overlapping export adds only the new people.
        let more = sketches(&key, 2500..4000, 0..0);
        l.add(&entry("crm", d(2026, 4, 1), &more)).unwrap();
        let y = l.union(2026..=2026, Some("crm")).unwrap().figures();
        let truth = 4000.0;
        assert!(
            (y.subjects.estimate as f64 - truth).abs() / truth < 0.03,
            "{:?}",
            y.subjects
        );
        assert!(
            y.subjects.low <= 4000 && y.subjects.high >= 4000,
            "{:?}",
            y.subjects
        );
        assert_eq!(l.entries(2026..=2026, None).unwrap().len(), 3);
    }

    #[test]
    fn years_and_flows_are_kept_apart() {
        let dir = tempfile::tempdir().unwrap();
        let key = SketchKey::random();
        let mut l = Ledger::open(&dir.path().join("l.db")).unwrap();
        l.add(&entry("a", d(2025, 12, 31), &sketches(&key, 0..100, 0..0)))
            .unwrap();
        l.add(&entry("a", d(2026, 1, 1), &sketches(&key, 100..150, 0..0)))
            .unwrap();
        l.add(&entry("b", d(2026, 5, 1), &sketches(&key, 140..160, 0..0)))
            .unwrap();
        assert_eq!(
            l.union(2026..=2026, Some("a"))
                .unwrap()
                .figures()
                .subjects
                .estimate,
            50
        );
        assert_eq!(
            l.union(2026..=2026, None)
                .unwrap()
                .figures()
                .subjects
                .estimate,
            60
        );
        assert_eq!(
            l.union(2025..=2026, Some("a"))
                .unwrap()
                .figures()
                .subjects
                .estimate,
            150
        );
        assert_eq!(l.flows(2026..=2026).unwrap(), vec!["a", "b"]);
        assert_eq!(l.flows(2025..=2025).unwrap(), vec!["a"]);
    }

    #[test]
    fn another_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("l.db")).unwrap();
        l.add(&entry(
            "a",
            d(2026, 1, 5),
            &sketches(&SketchKey::random(), 0..10, 0..0),
        ))
        .unwrap();
        let other = sketches(&SketchKey::random(), 0..10, 0..0);
        let e = l
            .add(&entry("a", d(2026, 1, 6), &other))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be merged"), "{e}");
        assert_eq!(l.entries(2026..=2026, None).unwrap().len(), 1);
    }

    #[test]
    fn a_failed_write_leaves_the_ledger_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        let key = SketchKey::random();
        let s = sketches(&key, 0..10, 0..0);
        let mut l = Ledger::open(&path).unwrap();
        l.add(&entry("a", d(2026, 1, 5), &s)).unwrap();
        assert!(l.add_then_fail(&entry("a", d(2026, 1, 6), &s)).is_err());
        drop(l);
        let l = Ledger::open(&path).unwrap();
        l.check().unwrap();
        assert_eq!(l.entries(2026..=2026, None).unwrap().len(), 1);
    }
}
