//! CSV and TSV: rows are records, the header names the fields.
//!
//! Parsing is csv-core's (the engine of the `csv` crate) rather than `csv::Reader`'s, because
//! `csv::Reader` grows a record without limit: one stray quote in a 5 GB export would make the
//! whole rest of the file one field in memory. Here the caller owns the buffers, so a record is
//! capped at [`RECORD_CAP`] bytes; a quoted field that runs past it — or to the end of the file
//! without a closing quote — is reported with the line it opened on, and the text it swallowed
//! is scanned as plain lines instead, so no personal data is missed and memory stays bounded.
//!
//! Input is the file's bytes as they are (UTF-8) or decoded pieces (see [`super::encoding`]).
//! The first row is a header when it looks like one: short text labels, no numbers, no
//! personal data. Rows may be ragged; extra columns are named `column N`.

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

use super::Ctx;
use super::encoding::{self, Detected};
use super::records::RecordScanner;
use super::text;
use crate::inventory::SourceAcc;

/// Largest record (all its fields) kept in memory.
pub const RECORD_CAP: usize = 8 << 20;
/// Most fields in one record.
const MAX_FIELDS: usize = 1 << 16;
/// Longest line the plain-line parser takes (see `Parser::feed_plain`): csv-core takes any line
/// of this length whole (its fields, without delimiters, fit [`RECORD_CAP`]).
const PLAIN_LINE_CAP: usize = RECORD_CAP / 2;
/// Most fields in a line the plain-line parser takes (csv-core takes as many whole).
const PLAIN_MAX_FIELDS: usize = MAX_FIELDS / 2;
/// Decoded piece size for non-UTF-8 input.
const PIECE: usize = 1 << 20;

/// The outcome of reading one CSV source.
pub struct CsvOutcome {
    pub acc: SourceAcc,
    /// Set when part of the file could not be read as CSV (the reason, precise).
    pub problem: Option<String>,
}

/// Reads a whole CSV file (`bytes` as stored; `det` its encoding).
pub fn scan_csv(bytes: &[u8], det: &Detected, delimiter: u8, ctx: &Ctx) -> CsvOutcome {
    let quote_free = splits_at_newlines(det) && memchr::memchr(b'"', bytes).is_none();
    if quote_free && bytes.len() >= 2 * text::CHUNK {
        return scan_parallel(bytes, det, delimiter, ctx);
    }
    let mut p = if quote_free {
        Parser::plain(ctx, delimiter)
    } else {
        Parser::new(ctx, delimiter)
    };
    let mut problems = Vec::new();
    if det.is_utf8() {
        p.feed(bytes, true);
    } else {
        let stats = encoding::decode_pieces(bytes, det, PIECE, |piece| p.feed(piece, false));
        p.feed(&[], true);
        problems.extend(stats.message(det));
    }
    problems.extend(p.problem.take());
    CsvOutcome {
        acc: p.scanner.finish(),
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    }
}

/// The first chunk of a file parsed in parallel, which settles the header. It is parsed before
/// the others start, on one core, so it is short: it only has to hold the header line (a chunk
/// always runs to the end of a line, however long).
const FIRST_CHUNK: usize = 64 << 10;

/// `body` cut into chunks that each end just after a newline (a record boundary in a file
/// without quotes, however long its lines): the first about `first` bytes, the rest about
/// `size`. Cover `body` exactly, in order.
fn line_chunks(body: &[u8], first: usize, size: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut want = first;
    while start < body.len() {
        let end = match body.get(start + want..) {
            Some(rest) => memchr::memchr(b'\n', rest).map_or(body.len(), |i| start + want + i + 1),
            None => body.len(),
        };
        out.push((start, end));
        start = end;
        want = size;
    }
    out
}

/// Whether the stored bytes of a file in this encoding can be cut at newline bytes and searched
/// for double quotes as they are: true of UTF-8 and of the ASCII-compatible multi-byte
/// encodings (GBK, GB18030, Big5, Shift_JIS, EUC-*), whose trail bytes are all 0x30 or above,
/// so 0x0A and 0x22 are always a newline and a quote. Not of UTF-16.
fn splits_at_newlines(det: &Detected) -> bool {
    det.is_utf8() || det.encoding.is_ascii_compatible()
}

/// A large file without a single double quote: no field can hold a newline, so every newline
/// ends a record and the file splits into chunks at line boundaries that are parsed (and, if
/// need be, decoded) on all cores. The first chunk is parsed first, to find the header the
/// others then share.
fn scan_parallel(bytes: &[u8], det: &Detected, delimiter: u8, ctx: &Ctx) -> CsvOutcome {
    use rayon::prelude::*;
    let body_at = det.bom.min(bytes.len());
    let body = &bytes[body_at..];
    // A few chunks per thread balance the load; larger ones let each chunk's per-field memos
    // (see `records`) pay off over more rows. The first is short: it is parsed alone.
    let size =
        (body.len() / (4 * rayon::current_num_threads())).clamp(text::CHUNK, 8 * text::CHUNK);
    let chunks = line_chunks(body, FIRST_CHUNK, size);
    // Each chunk is decoded on its own (it starts at a line start, so at a character start);
    // its invalid sequences are reported at their offsets in the file.
    let feed = |p: &mut Parser, (s, e): (usize, usize)| -> encoding::DecodeStats {
        if det.is_utf8() {
            p.feed(&body[s..e], true);
            return encoding::DecodeStats::default();
        }
        let no_bom = Detected { bom: 0, ..*det };
        let mut stats =
            encoding::decode_pieces(&body[s..e], &no_bom, PIECE, |piece| p.feed(piece, false));
        p.feed(&[], true);
        if let Some(at) = &mut stats.first_malformed_at {
            *at += (body_at + s) as u64;
        }
        stats
    };
    let mut first = Parser::plain(ctx, delimiter);
    let mut stats = feed(&mut first, chunks[0]);
    ctx.advance((chunks[0].1 - chunks[0].0) as u64);
    let names: Vec<String> = first
        .columns
        .iter()
        .map(|&id| first.scanner.field_name(id).to_string())
        .collect();
    let header_done = first.header_done;
    let parts: Vec<(SourceAcc, Option<String>, encoding::DecodeStats)> = chunks[1..]
        .par_iter()
        .map(|&chunk| {
            if ctx.stopping() {
                return (SourceAcc::default(), None, encoding::DecodeStats::default());
            }
            let parser = |lines_before: u64| {
                let mut p = Parser::plain(ctx, delimiter);
                p.header_done = header_done;
                p.lines_before = lines_before;
                for n in &names {
                    let id = p.scanner.field(n);
                    p.columns.push(id);
                }
                p
            };
            let mut p = parser(0);
            let mut stats = feed(&mut p, chunk);
            if p.problem.is_some() {
                // Its message counts lines from the chunk's start. Rare (a record too long or
                // too wide to keep whole), so only then are the lines before the chunk counted,
                // and the chunk read again with them for the file's line numbers.
                p = parser(bytecount::count(&body[..chunk.0], b'\n') as u64);
                stats = feed(&mut p, chunk);
            }
            let problem = p.problem.take();
            ctx.advance((chunk.1 - chunk.0) as u64);
            (p.scanner.finish(), problem, stats)
        })
        .collect();
    let mut problems: Vec<String> = first.problem.take().into_iter().collect();
    let mut acc = first.scanner.finish();
    for (a, problem, st) in parts {
        acc.merge(a);
        ctx.bound_links(&mut acc);
        problems.extend(problem);
        stats.malformed += st.malformed;
        if stats.first_malformed_at.is_none() {
            stats.first_malformed_at = st.first_malformed_at;
        }
    }
    // Decoding problems first, as the one-piece path reports them.
    if let Some(m) = stats.message(det) {
        problems.insert(0, m);
    }
    CsvOutcome {
        acc,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    }
}

/// Why a record could not be kept whole (see `Parser::runaway`).
#[derive(Debug, Clone, Copy)]
enum Runaway {
    /// A quote opened and the file ended.
    Unclosed,
    /// Past [`RECORD_CAP`] bytes.
    TooLong,
    /// Past [`MAX_FIELDS`] fields.
    TooWide,
}

struct Parser<'c, 'a> {
    /// Built when first needed: building one compiles its state machine (270,000
    /// instructions, a sixth of what a 10 KB CSV file cost), and input without a quote never
    /// needs it (see `feed_plain`). Not cloned from one built before: csv-core's `Clone` of a
    /// reader copies its transition table only.
    rdr: Option<Reader>,
    delimiter: u8,
    scanner: RecordScanner<'c, 'a>,
    ctx: &'c Ctx<'a>,
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    nends: usize,
    /// Column index → field id, once the header is known.
    columns: Vec<usize>,
    header_done: bool,
    /// Line on which the current record started, and the double quotes seen in it so far.
    record_line: u64,
    record_quotes: u64,
    /// After a runaway quote: the rest is scanned as text.
    text_mode: bool,
    problem: Option<String>,
    /// The input holds no double quote (the caller checked the whole file): see
    /// [`Self::feed_plain`].
    plain: bool,
    /// Plain input: the start of a line that the previous piece cut.
    carry: Vec<u8>,
    /// Plain input: some has been fed (a byte-order mark is stripped only before that).
    plain_started: bool,
    /// Plain input: lines ended before csv-core took over (see [`Self::feed_plain`]), for
    /// the line numbers of its messages.
    lines_before: u64,
}

impl<'c, 'a> Parser<'c, 'a> {
    fn new(ctx: &'c Ctx<'a>, delimiter: u8) -> Self {
        Parser {
            rdr: None,
            delimiter,
            scanner: RecordScanner::new(ctx),
            ctx,
            // Sized when csv-core first parses (input with a quote): the plain path does not
            // use it, and zeroing 64 KiB was 8% of a small CSV file's fixed cost.
            out: Vec::new(),
            out_len: 0,
            ends: vec![0; 256],
            nends: 0,
            columns: Vec::new(),
            header_done: false,
            record_line: 1,
            record_quotes: 0,
            text_mode: false,
            problem: None,
            plain: false,
            carry: Vec::new(),
            plain_started: false,
            lines_before: 0,
        }
    }

    /// A parser for input known to hold no double quote.
    fn plain(ctx: &'c Ctx<'a>, delimiter: u8) -> Self {
        Parser {
            plain: true,
            ..Parser::new(ctx, delimiter)
        }
    }

    /// Input without a single double quote: each line is a record whose fields end at the
    /// delimiters — all that csv-core makes of it, since it treats `\r`, `\n` and `\r\n` alike
    /// as line ends and skips blank lines (which `record` skips too). Written here rather than
    /// left to csv-core because csv-core walks its state machine a byte at a time: 8% of a
    /// PI-dense row's instructions, where finding the line ends and delimiters with memchr
    /// costs a fraction of that. A line too long or too wide for csv-core's buffers to take
    /// whole hands the rest of the input to csv-core, which reports it as before.
    fn feed_plain(&mut self, input: &[u8], last: bool) {
        let mut rest = input;
        if !self.plain_started {
            // As csv-core does, a UTF-8 byte-order mark at the very start is not data.
            self.plain_started = true;
            rest = rest.strip_prefix(b"\xef\xbb\xbf").unwrap_or(rest);
        }
        if !self.carry.is_empty() {
            let Some(i) = memchr::memchr2(b'\n', b'\r', rest) else {
                self.carry.extend_from_slice(rest);
                if self.carry.len() > PLAIN_LINE_CAP {
                    self.hand_to_csv_core(&[], last);
                } else if last {
                    let line = std::mem::take(&mut self.carry);
                    if !self.plain_line(&line) {
                        self.carry = line;
                        self.hand_to_csv_core(&[], last);
                    }
                }
                return;
            };
            let mut line = std::mem::take(&mut self.carry);
            line.extend_from_slice(&rest[..i]);
            if !self.plain_line(&line) {
                line.truncate(line.len() - i);
                self.carry = line;
                self.hand_to_csv_core(rest, last);
                return;
            }
            // The line's bytes are done with; its buffer is kept for the next cut line.
            line.clear();
            self.carry = line;
            self.lines_before += u64::from(rest[i] == b'\n');
            rest = &rest[i + 1..];
        }
        while let Some(i) = memchr::memchr2(b'\n', b'\r', rest) {
            if !self.plain_line(&rest[..i]) {
                self.hand_to_csv_core(rest, last);
                return;
            }
            self.lines_before += u64::from(rest[i] == b'\n');
            rest = &rest[i + 1..];
        }
        if !last {
            self.carry.extend_from_slice(rest);
        } else if !rest.is_empty() && !self.plain_line(rest) {
            self.hand_to_csv_core(rest, last);
        }
    }

    /// Plain input from here on goes through csv-core: the cut line kept so far, then `rest`.
    fn hand_to_csv_core(&mut self, rest: &[u8], last: bool) {
        self.plain = false;
        let carry = std::mem::take(&mut self.carry);
        self.feed(&carry, false);
        self.feed(rest, last);
    }

    /// One line of plain input as a record; false, having done nothing, if it is longer or
    /// wider than csv-core would take whole.
    fn plain_line(&mut self, line: &[u8]) -> bool {
        if line.len() > PLAIN_LINE_CAP {
            return false;
        }
        let mut n = 0;
        for i in memchr::memchr_iter(self.delimiter, line) {
            if n + 1 >= PLAIN_MAX_FIELDS {
                return false;
            }
            if n == self.ends.len() {
                self.ends.resize(2 * n, 0);
            }
            self.ends[n] = i;
            n += 1;
        }
        if n == self.ends.len() {
            self.ends.push(0);
        }
        self.ends[n] = line.len();
        self.emit(line, n + 1, 1);
        true
    }

    /// Parses `input`; `last` says no more input follows (the end of the file).
    fn feed(&mut self, mut input: &[u8], last: bool) {
        if self.plain && !self.text_mode {
            self.feed_plain(input, last);
            return;
        }
        loop {
            if self.text_mode {
                if !input.is_empty() {
                    self.scanner.merge_acc(text::scan_text(input, self.ctx));
                }
                return;
            }
            let delimiter = self.delimiter;
            if self.out.is_empty() {
                self.out = vec![0; 64 << 10];
            }
            let rdr = self
                .rdr
                .get_or_insert_with(|| ReaderBuilder::new().delimiter(delimiter).build());
            let (res, nin, nout, nend) = rdr.read_record(
                input,
                &mut self.out[self.out_len..],
                &mut self.ends[self.nends..],
            );
            self.record_quotes += bytecount::count(&input[..nin], b'"') as u64;
            input = &input[nin..];
            self.out_len += nout;
            self.nends += nend;
            match res {
                ReadRecordResult::InputEmpty => {
                    if !last || !input.is_empty() {
                        return;
                    }
                    // `last` with input consumed: keep calling with empty input until End.
                }
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= RECORD_CAP {
                        self.runaway(Runaway::TooLong);
                        continue;
                    }
                    let n = (self.out.len() * 2).min(RECORD_CAP);
                    self.out.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_FIELDS {
                        self.runaway(Runaway::TooWide);
                        continue;
                    }
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                ReadRecordResult::Record => {
                    // Only the last record can end at the end of input with a quote still open.
                    if last && input.is_empty() && self.record_quotes % 2 == 1 {
                        self.runaway(Runaway::Unclosed);
                        return;
                    }
                    self.emit_csv_core();
                    self.out_len = 0;
                    self.nends = 0;
                    self.record_quotes = 0;
                    self.record_line = self.rdr.as_ref().map_or(1, Reader::line);
                }
                ReadRecordResult::End => return,
            }
            if last && input.is_empty() && res == ReadRecordResult::End {
                return;
            }
        }
    }

    /// A quoted field that did not close: report it and scan what it swallowed as text.
    fn runaway(&mut self, why: Runaway) {
        let line = self.lines_before + self.record_line;
        let now = self.lines_before + self.rdr.as_ref().map_or(1, Reader::line);
        let rest = format!("the rest of the file from line {line} was scanned as plain text lines");
        // A record with a quote in it is most likely a stray quote's doing; one without is
        // what it says (a file with no quote at all can still hold a line too long or wide).
        let quoted = self.record_quotes > 0;
        self.problem = Some(match why {
            Runaway::Unclosed => format!(
                "line {line}: a quoted field opens and is never closed (stray quote?): lines \
                 {line}–{now} were read as one field; they were scanned as plain text lines instead"
            ),
            Runaway::TooLong if quoted => format!(
                "line {line}: a quoted field runs past {} MiB (to line {now}) without a closing \
                 quote (stray quote?); {rest}",
                RECORD_CAP >> 20
            ),
            Runaway::TooLong => format!(
                "line {line}: a record runs past {} MiB with no line end (and no quote); {rest}",
                RECORD_CAP >> 20
            ),
            Runaway::TooWide => format!(
                "line {line}: a record has more than {MAX_FIELDS} fields{}; {rest}",
                if quoted { " (stray quote?)" } else { "" }
            ),
        });
        // The fields as they stood, joined again by their delimiter.
        let mut swallowed = Vec::with_capacity(self.out_len + self.nends);
        let mut start = 0;
        for &end in &self.ends[..self.nends] {
            swallowed.extend_from_slice(&self.out[start..end]);
            swallowed.push(self.delimiter);
            start = end;
        }
        swallowed.extend_from_slice(&self.out[start.min(self.out_len)..self.out_len]);
        self.scanner
            .merge_acc(text::scan_text(&swallowed, self.ctx));
        self.out_len = 0;
        self.nends = 0;
        self.text_mode = true;
    }

    /// The record csv-core has just parsed into `out` and `ends`.
    fn emit_csv_core(&mut self) {
        let out = std::mem::take(&mut self.out);
        self.emit(&out[..self.out_len], self.nends, 0);
        self.out = out;
    }

    /// One record: its `n` fields end at `self.ends[..n]` in `out`, each field after the first
    /// starting `gap` bytes after the previous one's end (0 for csv-core's output, 1 for a
    /// plain line, whose delimiters are still there).
    fn emit(&mut self, out: &[u8], n: usize, gap: usize) {
        let ends = &self.ends[..n];
        let field = |i: usize| -> &[u8] {
            let start = if i == 0 { 0 } else { ends[i - 1] + gap };
            &out[start..ends[i]]
        };
        // A blank line is one empty field: not a record.
        if ends.len() == 1 && field(0).trim_ascii().is_empty() {
            return;
        }
        if !self.header_done {
            self.header_done = true;
            let cells: Vec<&[u8]> = (0..ends.len()).map(field).collect();
            if looks_like_header(&cells, self.ctx) {
                for (i, c) in cells.iter().enumerate() {
                    let name = String::from_utf8_lossy(c.trim_ascii());
                    let name = if name.is_empty() {
                        format!("column {}", i + 1)
                    } else {
                        name.into_owned()
                    };
                    let id = self.scanner.field(&name);
                    self.columns.push(id);
                }
                return;
            }
        }
        while self.columns.len() < ends.len() {
            let id = self
                .scanner
                .field(&format!("column {}", self.columns.len() + 1));
            self.columns.push(id);
        }
        let columns = &self.columns;
        self.scanner
            .record((0..ends.len()).map(|i| (columns[i], field(i))));
    }
}

/// A header row: every cell a short label (≤ 64 bytes, not a number), at least one non-empty,
/// and no personal data in any of them.
pub fn looks_like_header(cells: &[&[u8]], ctx: &Ctx) -> bool {
    let mut labels = 0;
    for c in cells {
        let c = c.trim_ascii();
        if c.is_empty() {
            continue;
        }
        if c.len() > 64 || is_number(c) || !ctx.set.find_all_bytes(c).is_empty() {
            return false;
        }
        labels += 1;
    }
    labels > 0
}

fn is_number(v: &[u8]) -> bool {
    std::str::from_utf8(v).is_ok_and(|s| s.parse::<f64>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSet;
    use crate::sketch::SketchKey;

    fn run(text: &[u8]) -> (CsvOutcome, DetectorSet) {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let det = encoding::detect(text, true);
        let out = scan_csv(text, &det, b',', &ctx);
        (out, DetectorSet::load(None).unwrap())
    }

    #[test]
    fn csv_core_is_built_only_for_input_that_needs_it() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let mut p = Parser::plain(&ctx, b',');
        p.feed(b"name,mobile\nli,13812345678\n", true);
        assert!(p.rdr.is_none(), "quote-free lines are split by hand");
        let mut p = Parser::new(&ctx, b',');
        p.feed(b"name,mobile\n\"li, ming\",13812345678\n", true);
        assert!(p.rdr.is_some());
        assert_eq!(p.scanner.finish().records, 1);
    }

    #[test]
    fn a_large_unquoted_file_parsed_in_parallel_gives_the_sequential_answer() {
        let mut text = String::from("姓名,手机号,email,备注\n");
        let mut i = 0u64;
        while text.len() < 3 * text::CHUNK {
            i += 1;
            text.push_str(&format!(
                "张伟,138{:08},u{i}@example.com,第{i}行 filler filler filler\n",
                i % 5000
            ));
        }
        let set = DetectorSet::load(None).unwrap();
        let key = crate::sketch::SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let det = encoding::detect(text.as_bytes(), true);
        let par = scan_csv(text.as_bytes(), &det, b',', &ctx);
        let mut p = Parser::new(&ctx, b',');
        p.feed(text.as_bytes(), true);
        let seq = p.scanner.finish();
        assert_eq!(par.acc.records, i);
        assert_eq!(par.acc.records, seq.records);
        assert_eq!(par.acc.subjects.estimate(), seq.subjects.estimate());
        let fields = |a: &SourceAcc| a.fields.keys().cloned().collect::<Vec<_>>();
        assert_eq!(fields(&par.acc), fields(&seq));
        assert!(fields(&par.acc).contains(&"手机号".to_string()));
    }

    /// What a parser made of its input: records, and per field its statistics and, per
    /// detector, matches, distinct count and samples.
    fn summary(a: &SourceAcc) -> Vec<String> {
        let mut out = vec![format!("{} records", a.records)];
        for (field, dets) in &a.fields {
            for (d, acc) in dets {
                let samples: Vec<&str> = acc.samples().collect();
                out.push(format!(
                    "{field} {d}: {} matches, {:?}, {samples:?}",
                    acc.matches,
                    acc.distinct.estimate()
                ));
            }
        }
        for (field, st) in &a.field_stats {
            out.push(format!("{field}: {st:?}"));
        }
        out
    }

    /// Feeds `input` to `p` in pieces of the given sizes (cycled), then ends it.
    fn feed_in_pieces(mut p: Parser, input: &[u8], sizes: &[usize]) -> Vec<String> {
        let mut at = 0;
        for &n in sizes.iter().cycle() {
            if at >= input.len() {
                break;
            }
            let end = (at + n.max(1)).min(input.len());
            p.feed(&input[at..end], false);
            at = end;
        }
        p.feed(&[], true);
        assert_eq!(p.problem, None);
        summary(&p.scanner.finish())
    }

    /// The plain-line parser makes of quote-free input exactly what csv-core does, whatever the
    /// line ends (`\n`, `\r\n`, a lone `\r`), blank and blank-looking lines, a byte-order mark,
    /// ragged rows, empty fields, and however the input is cut into pieces (a line, or a `\r\n`,
    /// split across two).
    #[test]
    fn quote_free_lines_split_by_hand_give_what_csv_core_gives() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let cells = [
            "",
            " ",
            "张伟",
            "李秀英",
            "13812345678",
            "+86 139 1234 5678",
            "u1@example.com",
            "北京市朝阳区建国路1号院",
            "110105194912310025",
            "abc",
            "12.50",
            "\u{feff}x",
            "6222020200112233445",
        ];
        let ends = ["\n", "\r\n", "\r"];
        let mut rng = crate::TestRng(0x2545_f491_4f6c_dd1du64);
        let mut next = |n: usize| rng.below(n);
        for case in 0..40 {
            let mut text = String::new();
            if case % 4 == 1 {
                text.push('\u{feff}');
            }
            if case % 2 == 0 {
                text.push_str("姓名,手机号,邮箱,地址,身份证号");
                text.push_str(ends[next(3)]);
            }
            for _ in 0..200 {
                match next(12) {
                    0 => {}
                    1 => text.push_str("   "),
                    _ => {
                        let n = 1 + next(7);
                        let row: Vec<&str> = (0..n).map(|_| cells[next(cells.len())]).collect();
                        text.push_str(&row.join(","));
                    }
                }
                text.push_str(ends[next(3)]);
            }
            if case % 3 == 0 {
                // No line end after the last line.
                text.push_str("王芳,13912345678");
            }
            let input = text.as_bytes();
            let sizes = [1 + next(300), 1 + next(7), 1 + next(5000)];
            // (Cut into pieces, csv-core no longer strips a byte-order mark split across two:
            // each is compared with csv-core fed the same pieces.)
            for sizes in [&[usize::MAX][..], &sizes, &[1]] {
                let want = feed_in_pieces(Parser::new(&ctx, b','), input, sizes);
                assert!(want[0] != "0 records", "case {case}");
                let got = feed_in_pieces(Parser::plain(&ctx, b','), input, sizes);
                assert_eq!(got, want, "case {case}, pieces of {sizes:?}");
            }
        }
    }

    /// A line longer or wider than the plain-line parser takes is handed, with the rest of the
    /// input, to csv-core, and the answer is csv-core's own.
    #[test]
    fn a_line_too_long_or_too_wide_for_the_plain_parser_goes_to_csv_core() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let long = format!("张伟,13812345678,{}\n", "x".repeat(PLAIN_LINE_CAP));
        let wide = format!("李娜,13912345678{}\n", ",y".repeat(PLAIN_MAX_FIELDS));
        for odd in [long, wide] {
            let text = format!("姓名,手机号,备注\n王芳,13712345678,a\n{odd}赵敏,13612345678,b\n");
            let input = text.as_bytes();
            let want = feed_in_pieces(Parser::new(&ctx, b','), input, &[usize::MAX]);
            assert!(
                want.iter()
                    .any(|l| l.starts_with("手机号") && l.contains(" 3 matches")),
                "{want:?}"
            );
            for sizes in [&[usize::MAX][..], &[1 << 20]] {
                let got = feed_in_pieces(Parser::plain(&ctx, b','), input, sizes);
                assert_eq!(got, want, "pieces of {sizes:?}");
            }
        }
    }

    /// A record too long or too wide is reported as what it is: a stray quote is suspected
    /// only when the record has a quote in it.
    #[test]
    fn a_record_kept_from_being_whole_says_why() {
        let set = DetectorSet::load(None).unwrap();
        let key = SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let message = |quotes: u64, why: Runaway| {
            let mut p = Parser::new(&ctx, b',');
            p.lines_before = 41;
            p.record_quotes = quotes;
            p.runaway(why);
            p.problem.unwrap()
        };
        let long = message(0, Runaway::TooLong);
        assert!(
            long.starts_with("line 42: a record runs past 8 MiB with no line end"),
            "{long}"
        );
        assert!(!long.contains("stray quote"), "{long}");
        let quoted = message(1, Runaway::TooLong);
        assert!(
            quoted.starts_with("line 42: a quoted field runs past 8 MiB"),
            "{quoted}"
        );
        assert!(quoted.contains("stray quote"), "{quoted}");
        let wide = message(0, Runaway::TooWide);
        assert!(
            wide.starts_with("line 42: a record has more than 65536 fields;"),
            "{wide}"
        );
        assert!(message(3, Runaway::TooWide).contains("fields (stray quote?);"));
        let open = message(1, Runaway::Unclosed);
        assert!(open.contains("never closed"), "{open}");
        for m in [long, quoted, wide] {
            assert!(
                m.ends_with("the rest of the file from line 42 was scanned as plain text lines"),
                "{m}"
            );
        }
    }

    /// In a large quote-free file parsed in chunks, a record too long to keep whole is reported
    /// at its line in the file, not in its chunk.
    #[test]
    fn a_record_too_long_in_a_later_chunk_is_reported_at_its_line_in_the_file() {
        let mut text = String::from("姓名,手机号\n");
        let mut lines = 1;
        while text.len() < 3 * text::CHUNK {
            text.push_str("张伟,13812345678\n");
            lines += 1;
        }
        let long_line = lines + 1;
        text.push_str(&format!(
            "李娜,{}\n王芳,13912345678\n",
            "x".repeat(RECORD_CAP + 1)
        ));
        let (out, _) = run(text.as_bytes());
        let problem = out.problem.expect("the long record is reported");
        assert!(
            problem.starts_with(&format!("line {long_line}: a record runs past 8 MiB")),
            "{problem}"
        );
    }

    #[test]
    fn line_chunks_end_at_newlines_and_cover_everything() {
        let body = b"h1,h2\na,b\nccccccccccccccccccccccc,d\ne,f";
        let chunks = line_chunks(body, 2, 4);
        // Each chunk takes at least its size, then runs to the end of that line.
        assert_eq!(chunks[0], (0, 6), "the header line");
        assert_eq!(chunks[1], (6, 36), "a long line is never cut");
        assert_eq!(chunks[2], (36, body.len()), "the last line has no newline");
        for w in chunks.windows(2) {
            assert_eq!(w[0].1, w[1].0);
        }
        assert!(line_chunks(b"", 2, 4).is_empty());
    }

    #[test]
    fn a_large_gbk_file_is_decoded_in_parallel_chunks_with_file_offsets_for_bad_bytes() {
        let mut text = String::from("姓名,手机号,地址\n");
        let mut i = 0u64;
        while text.len() < 3 * text::CHUNK {
            i += 1;
            text.push_str(&format!(
                "王秀英,139{:08},北京市朝阳区建国路{}号\n",
                i % 7000,
                i % 300
            ));
        }
        let mut gbk = encoding_rs::GBK.encode(&text).0.into_owned();
        // One invalid byte at a line start in the second half (so in a later chunk).
        let at = gbk.len() / 2 + memchr::memchr(b'\n', &gbk[gbk.len() / 2..]).unwrap() + 1;
        gbk.insert(at, 0xFF);
        let set = DetectorSet::load(None).unwrap();
        let key = crate::sketch::SketchKey::random();
        let ctx = Ctx::for_tests(&set, &key);
        let det = encoding::detect(&gbk, true);
        assert_eq!(det.name(), "gbk");
        let par = scan_csv(&gbk, &det, b',', &ctx);
        // The one-piece path, as for a file with quotes.
        let mut p = Parser::new(&ctx, b',');
        let stats = encoding::decode_pieces(&gbk, &det, PIECE, |piece| p.feed(piece, false));
        p.feed(&[], true);
        let seq = p.scanner.finish();
        assert_eq!(par.acc.records, i);
        assert_eq!(par.acc.records, seq.records);
        assert_eq!(par.acc.subjects.estimate(), seq.subjects.estimate());
        let matches = |a: &SourceAcc, f: &str| a.fields[f].values().map(|d| d.matches).sum::<u64>();
        for f in ["姓名", "手机号", "地址"] {
            assert_eq!(matches(&par.acc, f), matches(&seq, f), "{f}");
        }
        assert_eq!(matches(&par.acc, "手机号"), i);
        assert_eq!(stats.first_malformed_at, Some(at as u64));
        let message = par.problem.expect("the bad byte is reported");
        assert!(
            message.starts_with(&format!(
                "1 invalid GBK byte sequence (first at byte offset {at})"
            )),
            "{message}"
        );
    }

    #[test]
    fn header_quoted_multiline_and_ragged_rows() {
        let csv = "姓名,手机号,备注\n张伟,13812345678,\"多行\n备注\"\n李娜,13912345678,x,extra 13712345678\n";
        let (out, _) = run(csv.as_bytes());
        assert_eq!(out.problem, None);
        assert_eq!(out.acc.records, 2);
        assert_eq!(out.acc.subjects.estimate().estimate, 2);
        assert!(
            out.acc.fields.contains_key("手机号"),
            "{:?}",
            out.acc.fields.keys()
        );
        assert!(out.acc.fields.contains_key("column 4"));
        assert!(
            out.acc.fields.contains_key("姓名"),
            "names under a 姓名 header count"
        );
    }

    #[test]
    fn no_header_when_the_first_row_is_data() {
        let (out, _) = run(b"13812345678,a\n13912345678,b\n");
        assert_eq!(out.acc.records, 2);
        assert!(out.acc.fields.contains_key("column 1"));
    }

    #[test]
    fn a_stray_quote_at_the_end_is_reported_and_its_lines_still_scanned() {
        let mut csv = String::from("name,phone\n");
        csv.push_str("a,13812345678\nb,\"13912345678\n");
        for i in 0..50 {
            csv.push_str(&format!("c{i},1370000{:04}\n", 1000 + i));
        }
        let (out, _) = run(csv.as_bytes());
        let p = out.problem.expect("runaway reported");
        assert!(
            p.starts_with("line 3: a quoted field opens and is never closed"),
            "{p}"
        );
        // 1 CSV record before the stray quote + 51 lines scanned as text.
        assert_eq!(out.acc.subjects.estimate().estimate, 52);
    }
}
