//! JSON and JSON Lines: objects are records, JSON paths name the fields.
//!
//! A field is named by its path: `user.contact.phone`, and `orders[].card_no` for every element
//! of an array. A JSON Lines object is one record; a top-level array is a table whose elements
//! are records, streamed one element at a time; a top-level object is one record, except that
//! its largest array of objects (an API export's `data.list`) is taken as the table it holds.
//!
//! Memory stays bounded: JSON Lines are parsed a line at a time (large files in parallel
//! chunks), arrays an element at a time. Whatever cannot be parsed as JSON — an over-long line,
//! an over-large single document — is scanned as plain text instead, so its personal data still
//! counts, and the source says what happened. A file that ends mid-document keeps the records
//! read before the break and reports where it broke.

use std::borrow::Cow;
use std::fmt;

use rayon::prelude::*;
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::Value;

use super::Ctx;
use super::encoding::Detected;
use super::records::RecordScanner;
use super::text;
use crate::inventory::SourceAcc;

/// Longest JSON Lines line parsed as JSON; longer ones are scanned as text.
pub const MAX_LINE: usize = 64 << 20;
/// Largest single (non-array) JSON document parsed into memory.
pub const MAX_DOCUMENT: usize = 256 << 20;

pub struct JsonOutcome {
    pub acc: SourceAcc,
    pub problem: Option<String>,
}

/// Reads a JSON (`lines == false`) or JSON Lines file.
pub fn scan_json(bytes: &[u8], det: &Detected, lines: bool, ctx: &Ctx) -> JsonOutcome {
    let decoded;
    let body: &[u8] = if det.is_utf8() {
        &bytes[det.bom.min(bytes.len())..]
    } else if bytes.len() <= MAX_DOCUMENT {
        // JSON is UTF-8 by its RFC; UTF-16 exports exist and are small enough to decode whole.
        decoded = det
            .encoding
            .decode_without_bom_handling(&bytes[det.bom..])
            .0;
        decoded.as_bytes()
    } else {
        return JsonOutcome {
            acc: text::scan_text(bytes, ctx),
            problem: Some(format!(
                "{} JSON larger than {} MiB was scanned as plain text",
                det.encoding.name(),
                MAX_DOCUMENT >> 20
            )),
        };
    };
    if lines {
        scan_lines(body, ctx)
    } else {
        scan_document(body, ctx)
    }
}

/// A problem at a byte offset, turned into a line number only when reported.
struct LineProblem {
    offset: usize,
    message: String,
}

fn scan_lines(body: &[u8], ctx: &Ctx) -> JsonOutcome {
    let chunks = text::split(body, text::CHUNK);
    let parts: Vec<(SourceAcc, Vec<LineProblem>, u64, u64)> = chunks
        .into_par_iter()
        .map(|(s, e)| {
            if ctx.stopping() {
                return (SourceAcc::default(), Vec::new(), 0, 0);
            }
            let part = scan_lines_chunk(body, s, e, ctx);
            ctx.advance((e - s) as u64);
            part
        })
        .collect();
    let mut acc = SourceAcc::default();
    let mut problems = Vec::new();
    let (mut bad, mut plain) = (0, 0);
    for (a, p, n, t) in parts {
        acc.merge(a);
        ctx.bound_links(&mut acc);
        problems.extend(p);
        bad += n;
        plain += t;
    }
    if plain > 0 {
        acc.warnings.push(format!(
            "{plain} lines were plain text among the JSON lines; scanned as text"
        ));
    }
    let problem = problems.first().map(|p| {
        let line = bytecount::count(&body[..p.offset], b'\n') + 1;
        let more = if bad > 1 {
            format!(" ({bad} lines could not be read as JSON)")
        } else {
            String::new()
        };
        format!("line {line}: {}{more}", p.message)
    });
    JsonOutcome { acc, problem }
}

/// One chunk of whole lines: (accumulation, problems, lines that were not JSON, plain-text
/// lines).
fn scan_lines_chunk(
    body: &[u8],
    start: usize,
    end: usize,
    ctx: &Ctx,
) -> (SourceAcc, Vec<LineProblem>, u64, u64) {
    let mut r = RecordScanner::new(ctx);
    let mut problems = Vec::new();
    let mut bad = 0;
    let mut fallback = SourceAcc::default();
    let mut plain = 0u64;
    let mut flat = Flat::default();
    let mut fields: Vec<(usize, Scalar)> = Vec::new();
    let mut pos = start;
    while pos < end {
        let nl = memchr::memchr(b'\n', &body[pos..end]).map_or(end, |i| pos + i);
        let line = &body[pos..nl];
        let offset = pos;
        pos = nl + 1;
        if line.trim_ascii().is_empty() {
            continue;
        }
        if line.len() > MAX_LINE {
            bad += 1;
            problems.push(LineProblem {
                offset,
                message: format!("longer than {} MiB; scanned as plain text", MAX_LINE >> 20),
            });
            fallback.merge(text::scan_text(line, ctx));
            continue;
        }
        if !line.trim_ascii_start().starts_with(b"{") && !line.trim_ascii_start().starts_with(b"[")
        {
            // A plain line among JSON lines (a stack trace in a JSON log): a record of text,
            // scanned as such, not a broken JSON record.
            plain += 1;
            fallback.merge(text::scan_text(line, ctx));
            continue;
        }
        match flat.parse(line) {
            Ok(true) => {
                fields.clear();
                for &(s, e, v) in &flat.scalars {
                    let id = field_id(&mut r, &flat.paths[s as usize..e as usize]);
                    fields.push((id, v));
                }
                let owned = &flat.owned;
                r.record(fields.iter().map(|&(id, v)| match v {
                    Scalar::Line(b) => (id, b),
                    Scalar::Owned(s, e) => (id, &owned[s as usize..e as usize]),
                }));
            }
            // An object with a key twice: parsed into a `Value`, which keeps the last.
            Ok(false) => match serde_json::from_slice::<Value>(line) {
                Ok(v) => {
                    let mut fields = Vec::new();
                    flatten(&v, &mut String::new(), &mut r, &mut fields);
                    record(&mut r, &fields);
                }
                Err(e) => unreachable_json(e),
            },
            Err(e) => {
                bad += 1;
                let what = if e.is_eof() {
                    "the JSON record ends mid-value (truncated file?)".to_string()
                } else {
                    format!("not valid JSON ({e}); scanned as plain text")
                };
                problems.push(LineProblem {
                    offset,
                    message: what,
                });
                // Its text may still hold personal data.
                fallback.merge(text::scan_text(line, ctx));
            }
        }
    }
    let mut acc = r.finish();
    acc.merge(fallback);
    (acc, problems, bad, plain)
}

/// A line that parsed once parses again: the second parse (into a `Value`) cannot fail.
fn unreachable_json(e: serde_json::Error) {
    debug_assert!(
        false,
        "a JSON line parsed twice failed the second time: {e}"
    );
}

/// A JSON Lines record's scalars, flattened while the line is parsed: no `Value` tree is built
/// and dropped per line (building and dropping it was two thirds of the parse, and the parse a
/// third of a small JSON Lines file's instructions). Reused from line to line; strings without
/// escapes are borrowed from the line.
///
/// The fields are registered ([`field_id`]) only once a line has parsed whole, as the `Value`
/// path did: a line that breaks halfway registers nothing. An object holding a key twice makes
/// [`Flat::parse`] answer `false`: a `Value` keeps only the last, and such a line goes that way
/// so that what is counted does not change. The scalars come in the document's order rather
/// than the keys' (a `Value`'s map is sorted); a record's subject, links and counts do not
/// depend on the order of its findings.
#[derive(Default)]
struct Flat<'de> {
    /// The path of the value being parsed.
    path: String,
    /// The scalars' paths, end to end.
    paths: String,
    /// Each scalar: its path (`paths[start..end]`) and its value.
    scalars: Vec<(u32, u32, Scalar<'de>)>,
    /// The bytes of the scalars that are not in the line as they are (numbers, strings with
    /// escapes), end to end: no allocation per value.
    owned: Vec<u8>,
    /// Hashes of the keys of the objects open at this point (to notice a key given twice).
    keys: Vec<u64>,
    dup: bool,
}

impl<'de> Flat<'de> {
    /// Parses one line; `Ok(false)`: it holds an object with a key twice (see [`Flat`]).
    fn parse(&mut self, line: &'de [u8]) -> Result<bool, serde_json::Error> {
        self.path.clear();
        self.paths.clear();
        self.scalars.clear();
        self.owned.clear();
        self.keys.clear();
        self.dup = false;
        let mut de = serde_json::Deserializer::from_slice(line);
        DeserializeSeed::deserialize(Node(self), &mut de)?;
        de.end()?;
        Ok(!self.dup)
    }

    fn scalar(&mut self, value: Scalar<'de>) {
        let start = self.paths.len() as u32;
        self.paths.push_str(&self.path);
        self.scalars.push((start, self.paths.len() as u32, value));
    }

    /// A scalar whose bytes are written into [`Flat::owned`] by `write`.
    fn owned_scalar(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let start = self.owned.len() as u32;
        write(&mut self.owned);
        self.scalar(Scalar::Owned(start, self.owned.len() as u32));
    }
}

/// Where a flattened scalar's bytes are: in the line, or in [`Flat::owned`].
#[derive(Clone, Copy)]
enum Scalar<'de> {
    Line(&'de [u8]),
    Owned(u32, u32),
}

/// One value of a line being flattened into its [`Flat`].
struct Node<'f, 'de>(&'f mut Flat<'de>);

impl<'de> DeserializeSeed<'de> for Node<'_, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    // Booleans and nulls hold no personal data (see `flatten`).
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    // Numbers written as `Value::Number` writes them.
    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        self.0
            .owned_scalar(|o| o.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()));
        Ok(())
    }

    fn visit_i64<E>(self, n: i64) -> Result<(), E> {
        self.0
            .owned_scalar(|o| o.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()));
        Ok(())
    }

    fn visit_f64<E>(self, n: f64) -> Result<(), E> {
        // Not finite: `Value` makes it a null (serde_json never parses one).
        if let Some(n) = serde_json::Number::from_f64(n) {
            use std::io::Write as _;
            self.0.owned_scalar(|o| {
                let _ = write!(o, "{n}");
            });
        }
        Ok(())
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<(), E> {
        self.0.scalar(Scalar::Line(s.as_bytes()));
        Ok(())
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.0.owned_scalar(|o| o.extend_from_slice(s.as_bytes()));
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let len = self.0.path.len();
        self.0.path.push_str("[]");
        while let Some(()) = seq.next_element_seed(Node(&mut *self.0))? {}
        self.0.path.truncate(len);
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let base = self.0.keys.len();
        loop {
            let len = self.0.path.len();
            let Some(h) = map.next_key_seed(Key(&mut *self.0))? else {
                break;
            };
            // Equal hashes of different keys only send the line the slow way.
            self.0.dup |= self.0.keys[base..].contains(&h);
            self.0.keys.push(h);
            map.next_value_seed(Node(&mut *self.0))?;
            self.0.path.truncate(len);
        }
        self.0.keys.truncate(base);
        Ok(())
    }
}

/// An object's key: appended to the path (after a `.` unless it opens it), without being
/// copied into a `String` of its own; its hash is returned.
struct Key<'f, 'de>(&'f mut Flat<'de>);

impl<'de> DeserializeSeed<'de> for Key<'_, 'de> {
    type Value = u64;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_, 'de> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<u64, E> {
        use std::hash::BuildHasher as _;
        let path = &mut self.0.path;
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        Ok(foldhash::fast::FixedState::with_seed(0).hash_one(key.as_bytes()))
    }
}

fn record(r: &mut RecordScanner, fields: &[(usize, Cow<[u8]>)]) {
    r.record(fields.iter().map(|(id, v)| (*id, &**v)));
}

/// Appends `(field id, value)` for every scalar under `v` (strings and numbers; not booleans
/// and nulls, which hold no personal data). The field is looked up as its path is built, and a
/// string is borrowed from `v`: copying every path and value first cost two allocations per
/// scalar of every record.
fn flatten<'v>(
    v: &'v Value,
    path: &mut String,
    r: &mut RecordScanner,
    out: &mut Vec<(usize, Cow<'v, [u8]>)>,
) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                flatten(child, path, r, out);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            let len = path.len();
            path.push_str("[]");
            for child in items {
                flatten(child, path, r, out);
            }
            path.truncate(len);
        }
        Value::String(s) => out.push((field_id(r, path), Cow::Borrowed(s.as_bytes()))),
        Value::Number(n) => out.push((field_id(r, path), Cow::Owned(n.to_string().into_bytes()))),
        Value::Bool(_) | Value::Null => {}
    }
}

/// The field of a scalar at `path` (`$` for a document that is one scalar).
fn field_id(r: &mut RecordScanner, path: &str) -> usize {
    let name = if path.is_empty() { "$" } else { path };
    r.field_labeled(name, label(name))
}

/// The last key of a path (`orders[].card_no` → `card_no`), which is what header hints match.
fn label(path: &str) -> &str {
    // Stripped by hand: `trim_end_matches` with a `&str` builds a substring searcher on
    // every call, one per field of every record.
    let mut p = path;
    while let Some(q) = p.strip_suffix("[]") {
        p = q;
    }
    p.rsplit(['.', ']']).next().unwrap_or(p)
}

fn scan_document(body: &[u8], ctx: &Ctx) -> JsonOutcome {
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'[') {
        return scan_array(body, ctx);
    }
    if body.len() > MAX_DOCUMENT {
        return JsonOutcome {
            acc: text::scan_text(body, ctx),
            problem: Some(format!(
                "a single JSON document larger than {} MiB is not parsed into memory; it was \
                 scanned as plain text",
                MAX_DOCUMENT >> 20
            )),
        };
    }
    let mut r = RecordScanner::new(ctx);
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            scan_value(&mut r, v);
            JsonOutcome {
                acc: r.finish(),
                problem: None,
            }
        }
        Err(e) => JsonOutcome {
            acc: text::scan_text(body, ctx),
            problem: Some(format!("{}; scanned as plain text", describe(&e, 0))),
        },
    }
}

/// A document: its largest array of objects is a table of records, the rest one record.
fn scan_value(r: &mut RecordScanner, mut v: Value) {
    let mut best: Option<(Vec<String>, usize)> = None;
    find_table(&v, &mut Vec::new(), &mut best);
    if let Some((keys, _)) = best {
        let mut slot = &mut v;
        for k in &keys {
            slot = &mut slot[k.as_str()];
        }
        let table = slot.take();
        let prefix = format!("{}[]", keys.join("."));
        if let Value::Array(items) = table {
            for item in items {
                let mut fields = Vec::new();
                flatten(&item, &mut prefix.clone(), r, &mut fields);
                record(r, &fields);
            }
        }
    }
    let mut fields = Vec::new();
    flatten(&v, &mut String::new(), r, &mut fields);
    if !fields.is_empty() {
        record(r, &fields);
    }
}

/// The path (object keys only) of the largest array of at least two objects.
fn find_table(v: &Value, path: &mut Vec<String>, best: &mut Option<(Vec<String>, usize)>) {
    if let Value::Object(m) = v {
        for (k, child) in m {
            path.push(k.clone());
            if let Value::Array(items) = child {
                let objects = items.iter().filter(|i| i.is_object()).count();
                if objects >= 2 && best.as_ref().is_none_or(|(_, n)| objects > *n) {
                    *best = Some((path.clone(), objects));
                }
            } else {
                find_table(child, path, best);
            }
            path.pop();
        }
    }
}

/// A top-level array, streamed: each element is a record, parsed and dropped in turn.
fn scan_array(body: &[u8], ctx: &Ctx) -> JsonOutcome {
    let mut r = RecordScanner::new(ctx);
    let mut de = serde_json::Deserializer::from_slice(body);
    let res = serde::Deserializer::deserialize_seq(&mut de, Elements { r: &mut r })
        .and_then(|()| de.end());
    let problem = res.err().map(|e| describe(&e, r.records()));
    JsonOutcome {
        acc: r.finish(),
        problem,
    }
}

fn describe(e: &serde_json::Error, records: u64) -> String {
    if e.is_eof() {
        format!(
            "the JSON ends mid-document at line {}, column {} after {records} complete records \
             (truncated file?); the incomplete record was not read",
            e.line(),
            e.column()
        )
    } else {
        format!("invalid JSON after {records} records: {e}")
    }
}

struct Elements<'r, 'c, 'a> {
    r: &'r mut RecordScanner<'c, 'a>,
}

impl<'de> Visitor<'de> for Elements<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            let mut fields = Vec::new();
            flatten(&v, &mut String::new(), self.r, &mut fields);
            record(self.r, &fields);
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSet;
    use crate::read::encoding;
    use crate::sketch::SketchKey;

    fn run(text: &str, lines: bool) -> JsonOutcome {
        let set = Box::leak(Box::new(DetectorSet::load(None).unwrap()));
        let key = Box::leak(Box::new(SketchKey::random()));
        let ctx = Ctx::new(
            set,
            key,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        );
        let det = encoding::detect(text.as_bytes(), true);
        scan_json(text.as_bytes(), &det, lines, &ctx)
    }

    #[test]
    fn paths_name_fields_and_lines_are_records() {
        let jl = "{\"user\":{\"contact\":{\"phone\":\"13812345678\"}},\"orders\":[{\"card_no\":\"6222021234567890128\"}]}\n\
                  {\"user\":{\"contact\":{\"phone\":13912345678}}}\n\n";
        let out = run(jl, true);
        assert_eq!(out.problem, None);
        assert_eq!(out.acc.records, 2);
        assert_eq!(out.acc.subjects.estimate().estimate, 2);
        let names: Vec<&String> = out.acc.fields.keys().collect();
        assert!(
            names.contains(&&"user.contact.phone".to_string()),
            "{names:?}"
        );
    }

    #[test]
    fn arrays_stream_and_documents_find_their_table() {
        let arr = r#"[{"mobile":"13812345678"},{"mobile":"13912345678"},{"x":1}]"#;
        let out = run(arr, false);
        assert_eq!((out.acc.records, out.problem), (3, None));
        assert_eq!(
            (label("a.b[].xm"), label("xm"), label("tags[]")),
            ("xm", "xm", "tags")
        );
        let doc = r#"{"code":0,"data":{"list":[{"sjh":"13812345678"},{"sjh":"13912345678"}]}}"#;
        let out = run(doc, false);
        assert!(out.acc.fields.contains_key("data.list[].sjh"));
        assert_eq!(out.acc.subjects.estimate().estimate, 2);
    }

    /// Lines flattened as they are parsed count what a `Value` of each line counts: a key
    /// given twice keeps its last value, escaped strings and numbers are values, and a line
    /// that breaks halfway registers none of its fields.
    #[test]
    fn lines_flattened_while_parsed_count_as_their_values_do() {
        let phones = |text: &str| {
            let out = run(text, true);
            out.acc
                .fields
                .get("mobile")
                .map_or(0, |m| m.values().map(|d| d.matches).sum::<u64>())
        };
        let plain = phones("{\"mobile\":\"13812345678\"}\n{\"x\":1}\n");
        assert_eq!(plain, 1);
        // A key given twice keeps its last value, as in a `Value`.
        assert_eq!(
            phones("{\"mobile\":\"13812345678\",\"mobile\":\"-\"}\n{\"x\":1}\n"),
            0
        );
        assert_eq!(
            phones("{\"mobile\":\"-\",\"mobile\":\"13812345678\"}\n{\"x\":1}\n"),
            plain
        );
        // Escapes in keys are decoded.
        assert_eq!(
            phones("{\"m\\u006fbile\":\"13812345678\"}\n{\"x\":1}\n"),
            plain
        );
        // A line that breaks halfway registers none of its fields.
        let out = run("{\"sfzh\":\"11010519491231002X\",\"a\":\n", true);
        assert!(!out.acc.field_stats.contains_key("sfzh"));
        assert!(out.problem.unwrap().starts_with("line 1:"));
    }

    #[test]
    fn plain_lines_among_json_lines_are_text_not_errors() {
        let out = run(
            "{\"mobile\":\"13812345678\"}\nTraceback: user 13912345678 failed\n{\"a\":1}\n",
            true,
        );
        assert_eq!(out.problem, None);
        assert_eq!(out.acc.records, 3);
        assert_eq!(out.acc.subjects.estimate().estimate, 2);
        assert_eq!(
            out.acc.warnings,
            ["1 lines were plain text among the JSON lines; scanned as text"]
        );
    }

    #[test]
    fn truncated_json_keeps_what_came_before() {
        let out = run(r#"[{"mobile":"13812345678"},{"mobile":"1391234"#, false);
        let p = out.problem.unwrap();
        assert!(
            p.contains("ends mid-document at line 1") && p.contains("after 1 complete"),
            "{p}"
        );
        assert_eq!(out.acc.subjects.estimate().estimate, 1);
        let out = run("{\"a\":\"13812345678\"}\n{\"a\":\"139", true);
        let p = out.problem.unwrap();
        assert!(
            p.starts_with("line 2: the JSON record ends mid-value"),
            "{p}"
        );
    }
}
