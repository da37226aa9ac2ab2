//! Spreadsheets (xlsx, xlsm, xlsb, xls, ods) via calamine: rows are records, `Sheet!Header`
//! names the fields.
//!
//! xlsx/xlsm and xlsb sheets are read with calamine's streaming cell readers, a row at a time:
//! calamine's whole-sheet `Range` allocates width × height cells, which for a sparse or hostile
//! sheet (one cell in A1 and one in XFD1048576) is tens of GB. xls and ods have no streaming
//! reader in calamine (it parses them whole when the workbook opens; it caps ods cells itself).
//! Every workbook is capped at [`MAX_CELLS`] cells.
//!
//! Zip-based workbooks are checked before calamine sees them ([`zip_guard`]): a zip bomb
//! disguised as a workbook declares or inflates to sizes no real workbook has. The parts that
//! calamine reads whole (shared strings, styles, the workbook, an ods `content.xml`) are
//! inflated once to a sink with a cap, so a lying size header cannot get past. calamine runs
//! behind `catch_unwind`: a malformed file is an error for that file, never an abort.
//!
//! Numeric cells are real data: 13812345678 stored as a number is a phone number. A number of
//! 16 or more digits cannot be held exactly in a double, so it is written out in E notation
//! (`1.1010519491231E17`): not scanned as an identifier (its last digits are gone), but counted
//! as a *damaged* value, which [`crate::classify`] reports on the field.

use std::io::{Cursor, Read, Seek};
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, DataRef, Ods, Reader, SheetType, Xls, Xlsb, Xlsx};

use super::Ctx;
use super::csv::looks_like_header;
use super::format::{Format, SheetKind};
use super::records::RecordScanner;
use crate::inventory::{SourceAcc, Status};

/// Most cells read from one workbook.
pub const MAX_CELLS: u64 = 50_000_000;
/// Most bytes one zip entry may inflate to.
pub const MAX_ENTRY: u64 = 2 << 30;
/// Most bytes a part that calamine holds in memory whole may inflate to.
pub const MAX_WHOLE_PART: u64 = 512 << 20;
/// Largest inflation ratio for an entry above 1 MiB (real sheets compress 5–20×, rarely 100×).
pub const MAX_RATIO: u64 = 1000;
/// Rows looked at to find the header row (a title row above it is common).
const HEADER_SEARCH: usize = 10;

pub struct SheetOutcome {
    pub acc: SourceAcc,
    /// Status when `problem` is set: `Partial` (some was read) or `Unreadable`/`Skipped`.
    pub status: Status,
    pub problem: Option<String>,
}

impl SheetOutcome {
    fn failed(status: Status, message: String) -> SheetOutcome {
        SheetOutcome {
            acc: SourceAcc::default(),
            status,
            problem: Some(message),
        }
    }
}

/// Reads a zip or OLE container that [`super::format::sniff_container`] recognised.
pub fn read_container(bytes: &[u8], fmt: Format, ctx: &Ctx) -> SheetOutcome {
    let kind = match fmt {
        Format::Sheet(k) => k,
        Format::EncryptedWorkbook(_) => {
            return SheetOutcome::failed(
                Status::Unreadable,
                "password-protected (encrypted) workbook: its cells cannot be read without the \
                 password"
                    .into(),
            );
        }
        Format::Container(kind) => {
            return SheetOutcome::failed(
                Status::Skipped,
                format!("{kind} container that is no spreadsheet; no reader for its format"),
            );
        }
        Format::Document(kind) => {
            // read_bytes hands documents to their reader before this; a caller that did not
            // gets a precise message rather than a panic.
            return SheetOutcome::failed(
                Status::Skipped,
                format!("{} is a document, not a spreadsheet", kind.name()),
            );
        }
        _ => unreachable!("read_container is only called for containers"),
    };
    if kind != SheetKind::Xls
        && let Err(msg) = zip_guard(bytes, kind)
    {
        return SheetOutcome::failed(Status::Unreadable, msg);
    }
    if kind == SheetKind::Xls
        && let Err(msg) = cfb_guard(bytes)
    {
        return SheetOutcome::failed(Status::Unreadable, msg);
    }
    let (mut acc, mut problem, cells) = read_pipelined(bytes, kind, ctx);
    // Comments and page headers/footers, which calamine does not read.
    if matches!(kind, SheetKind::Xlsx | SheetKind::Xlsm | SheetKind::Ods) {
        let (notes, p) = if kind == SheetKind::Ods {
            super::sheet_notes::read_ods(bytes, ctx)
        } else {
            super::sheet_notes::read(bytes, ctx)
        };
        acc.merge(notes);
        if problem.is_none()
            && let Some(p) = p
        {
            problem = Some(format!(
                "comments or headers/footers not read: {p}; the cells were read"
            ));
        }
    }
    let status = if problem.is_none() {
        Status::Scanned
    } else if cells > 0 {
        Status::Partial
    } else {
        Status::Unreadable
    };
    SheetOutcome {
        acc,
        status,
        problem,
    }
}

fn kind_name(k: SheetKind) -> &'static str {
    Format::Sheet(k).name()
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// Rejects an xls file whose sector chains loop. calamine follows them without a check: a
/// 29 KB file whose directory chain looped made it allocate without end (found by fuzzing: 2 GiB,
/// then an abort that ended the scan). The cfb crate checks the FAT when it opens a file (no
/// sector pointed to twice) and each chain when it opens a stream (none returns to its start):
/// a file that passes both has finite chains, so calamine reads at most the file's sectors.
fn cfb_guard(bytes: &[u8]) -> Result<(), String> {
    let checked = catch_unwind(AssertUnwindSafe(|| -> std::io::Result<()> {
        let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))?;
        let streams: Vec<std::path::PathBuf> = cf
            .walk()
            .filter(|e| e.is_stream())
            .map(|e| e.path().to_path_buf())
            .collect();
        for p in streams {
            cf.open_stream(&p)?;
        }
        Ok(())
    }));
    match checked {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!(
            "corrupt xls (its compound-file structure is invalid: {e})"
        )),
        Err(p) => Err(format!(
            "corrupt xls (its compound-file structure is invalid: {})",
            panic_message(&p)
        )),
    }
}

/// Rejects zip bombs: entries whose declared size, inflation ratio or (for the parts calamine
/// reads whole) actual inflated size is beyond any real workbook.
pub fn zip_guard(bytes: &[u8], kind: SheetKind) -> Result<(), String> {
    let name = kind_name(kind);
    let checked = catch_unwind(AssertUnwindSafe(|| -> Result<(), String> {
        let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
            Ok(z) => z,
            Err(e) => {
                return Err(format!(
                    "corrupt or truncated {name} (its zip directory cannot be read: {e})"
                ));
            }
        };
        let mut total: u64 = 0;
        for i in 0..zip.len() {
            let mut f = zip
                .by_index(i)
                .map_err(|e| format!("corrupt {name}: zip entry #{i}: {e}"))?;
            let entry = f
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("entry #{i}"));
            let (size, packed) = (f.size(), f.compressed_size().max(1));
            total = total.saturating_add(size);
            if size > MAX_ENTRY || total > MAX_ENTRY * 2 {
                return Err(format!(
                    "zip bomb? `{entry}` declares {} MiB uncompressed (limit {} MiB); not read",
                    size >> 20,
                    MAX_ENTRY >> 20
                ));
            }
            if size > (1 << 20) && size / packed > MAX_RATIO {
                return Err(format!(
                    "zip bomb? `{entry}` declares {} MiB from {packed} compressed bytes \
                     (ratio {}:1); not read",
                    size >> 20,
                    size / packed
                ));
            }
            if read_whole_by_calamine(&entry, kind) {
                let n = std::io::copy(&mut (&mut f).take(MAX_WHOLE_PART + 1), &mut std::io::sink())
                    .map_err(|e| format!("corrupt {name}: `{entry}`: {e}"))?;
                if n > MAX_WHOLE_PART {
                    return Err(format!(
                        "zip bomb? `{entry}` inflates past {} MiB (it declares {} bytes); not read",
                        MAX_WHOLE_PART >> 20,
                        size
                    ));
                }
            }
        }
        Ok(())
    }));
    checked.unwrap_or_else(|p| Err(format!("corrupt {name}: {}", panic_message(&p))))
}

/// The parts of a workbook calamine loads into memory whole (worksheets are streamed).
fn read_whole_by_calamine(entry: &str, kind: SheetKind) -> bool {
    let e = entry.to_ascii_lowercase();
    match kind {
        SheetKind::Ods => e == "content.xml" || e == "meta.xml",
        _ => {
            (e.ends_with(".xml") || e.ends_with(".rels") || e.ends_with(".bin"))
                && !e.starts_with("xl/worksheets/")
                && !e.starts_with("xl/media/")
                && !e.ends_with("vbaproject.bin")
        }
    }
}

/// What the reading thread hands to the scanning thread.
enum Event {
    Sheet(String),
    /// Non-empty cells `(row, column, text)`, in row order.
    Cells(Vec<(u32, u32, Vec<u8>)>),
    EndSheet,
}

/// Cells per batch sent between the threads; with [`CHANNEL_BATCHES`] in flight this bounds
/// the memory between them.
const BATCH: usize = 4096;
const CHANNEL_BATCHES: usize = 8;

/// The reading side: calamine's cells, batched and counted against [`MAX_CELLS`].
struct Emitter {
    tx: std::sync::mpsc::SyncSender<Event>,
    batch: Vec<(u32, u32, Vec<u8>)>,
    sheet: String,
    cells: u64,
    /// Set when the cap was reached.
    capped: Option<String>,
}

impl Emitter {
    fn sheet(&mut self, name: &str) {
        self.sheet = name.to_string();
        let _ = self.tx.send(Event::Sheet(name.to_string()));
    }

    /// Adds a cell; `false` when reading must stop (cap reached, or the scanner has gone).
    fn cell(&mut self, r: u32, c: u32, v: Option<Vec<u8>>) -> bool {
        self.cells += 1;
        if self.cells > MAX_CELLS {
            self.capped = Some(format!(
                "stopped at {MAX_CELLS} cells (sheet `{}`, row {}): the rest of the workbook was \
                 not read",
                self.sheet,
                r + 1
            ));
            return false;
        }
        if let Some(v) = v
            && !v.trim_ascii().is_empty()
        {
            self.batch.push((r, c, v));
            if self.batch.len() >= BATCH {
                let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
                return self.tx.send(Event::Cells(full)).is_ok();
            }
        }
        true
    }

    fn end_sheet(&mut self) {
        if !self.batch.is_empty() {
            let _ = self.tx.send(Event::Cells(std::mem::take(&mut self.batch)));
        }
        let _ = self.tx.send(Event::EndSheet);
    }
}

/// Reads a workbook: calamine parses on one thread while the detectors scan the rows it has
/// produced on this one, so a workbook costs about the longer of the two, not their sum.
fn read_pipelined(bytes: &[u8], kind: SheetKind, ctx: &Ctx) -> (SourceAcc, Option<String>, u64) {
    let (tx, rx) = std::sync::mpsc::sync_channel(CHANNEL_BATCHES);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut em = Emitter {
                tx,
                batch: Vec::with_capacity(BATCH),
                sheet: String::new(),
                cells: 0,
                capped: None,
            };
            let res = catch_unwind(AssertUnwindSafe(|| read_book(bytes, kind, &mut em)));
            let problem = match res {
                Ok(Ok(())) => em.capped.take(),
                Ok(Err(e)) => Some(e),
                Err(panic) => Some(format!(
                    "the {} reader failed on malformed content ({}); nothing after that point \
                     was read",
                    kind_name(kind),
                    panic_message(&panic)
                )),
            };
            (problem, em.cells)
        });
        let mut scanner = RecordScanner::new(ctx);
        let mut rows: Option<SheetRows> = None;
        for ev in rx {
            match ev {
                Event::Sheet(name) => rows = Some(SheetRows::new(&name)),
                Event::Cells(cells) => {
                    if let Some(rows) = rows.as_mut() {
                        for (r, c, v) in cells {
                            rows.push(&mut scanner, ctx, r, c, v);
                        }
                    }
                }
                Event::EndSheet => {
                    if let Some(rows) = rows.take() {
                        rows.finish(&mut scanner, ctx);
                    }
                }
            }
        }
        // A sheet cut short by an error still has its rows scanned.
        if let Some(rows) = rows.take() {
            rows.finish(&mut scanner, ctx);
        }
        let (problem, cells) = reader
            .join()
            .unwrap_or_else(|_| (Some("the spreadsheet reader thread failed".to_string()), 0));
        (scanner.finish(), problem, cells)
    })
}

fn read_book(bytes: &[u8], kind: SheetKind, em: &mut Emitter) -> Result<(), String> {
    let name = kind_name(kind);
    let open_err = |e: &dyn std::fmt::Display| {
        let msg = e.to_string();
        if msg.to_ascii_lowercase().contains("password") {
            "password-protected (encrypted) workbook: its cells cannot be read without the password"
                .to_string()
        } else {
            format!("corrupt or unsupported {name}: {msg}")
        }
    };
    let cur = Cursor::new(bytes);
    // xlsx and xlsb have the same streaming reader API but no common trait for it.
    macro_rules! stream_sheets {
        ($wb:expr) => {{
            let mut wb = $wb;
            for sheet in worksheets(&wb) {
                let mut cells = match wb.worksheet_cells_reader(&sheet) {
                    Ok(c) => c,
                    Err(e) => return Err(format!("sheet `{sheet}`: {}", open_err(&e))),
                };
                em.sheet(&sheet);
                loop {
                    match cells.next_cell() {
                        Ok(Some(c)) => {
                            let (r, col) = c.get_position();
                            if !em.cell(r, col, cell_ref(c.get_value())) {
                                em.end_sheet();
                                return Ok(());
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            em.end_sheet();
                            return Err(format!("sheet `{sheet}`: corrupt {name}: {e}"));
                        }
                    }
                }
                em.end_sheet();
            }
        }};
    }
    match kind {
        SheetKind::Xlsx | SheetKind::Xlsm => {
            let wb: Xlsx<_> = Xlsx::new(cur).map_err(|e| open_err(&e))?;
            stream_sheets!(wb);
        }
        SheetKind::Xlsb => {
            let wb: Xlsb<_> = Xlsb::new(cur).map_err(|e| open_err(&e))?;
            stream_sheets!(wb);
        }
        SheetKind::Xls => {
            let wb: Xls<_> = Xls::new(cur).map_err(|e| open_err(&e))?;
            read_ranges(wb, em, name)?;
        }
        SheetKind::Ods => {
            let wb: Ods<_> = Ods::new(cur).map_err(|e| open_err(&e))?;
            read_ranges(wb, em, name)?;
        }
    }
    Ok(())
}

/// Worksheets only (chart and dialog sheets hold no cells).
fn worksheets<RS: Read + Seek, R: Reader<RS>>(wb: &R) -> Vec<String> {
    wb.sheets_metadata()
        .iter()
        .filter(|s| matches!(s.typ, SheetType::WorkSheet))
        .map(|s| s.name.clone())
        .collect()
}

/// xls and ods: calamine has parsed the sheets already; read their ranges row by row.
fn read_ranges<RS: Read + Seek, R: Reader<RS>>(
    mut wb: R,
    em: &mut Emitter,
    name: &str,
) -> Result<(), String>
where
    R::Error: std::fmt::Display,
{
    for sheet in worksheets(&wb) {
        let range = wb
            .worksheet_range(&sheet)
            .map_err(|e| format!("sheet `{sheet}`: corrupt {name}: {e}"))?;
        let Some((r0, c0)) = range.start() else {
            continue;
        };
        em.sheet(&sheet);
        for (i, row) in range.rows().enumerate() {
            for (j, v) in row.iter().enumerate() {
                if matches!(v, Data::Empty) {
                    continue;
                }
                if !em.cell(r0 + i as u32, c0 + j as u32, cell_data(v)) {
                    em.end_sheet();
                    return Ok(());
                }
            }
        }
        em.end_sheet();
    }
    Ok(())
}

/// A cell's text as scanned, or `None` for cells that hold no personal data (booleans, dates,
/// errors, empty).
fn cell_ref(v: &DataRef) -> Option<Vec<u8>> {
    match v {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            Some(s.as_bytes().to_vec())
        }
        DataRef::SharedString(s) => Some(s.as_bytes().to_vec()),
        DataRef::Int(i) => Some(i.to_string().into_bytes()),
        DataRef::Float(f) => Some(float_text(*f).into_bytes()),
        DataRef::Bool(_) | DataRef::DateTime(_) | DataRef::Error(_) | DataRef::Empty => None,
    }
}

fn cell_data(v: &Data) -> Option<Vec<u8>> {
    match v {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            Some(s.as_bytes().to_vec())
        }
        Data::Int(i) => Some(i.to_string().into_bytes()),
        Data::Float(f) => Some(float_text(*f).into_bytes()),
        Data::Bool(_) | Data::DateTime(_) | Data::Error(_) | Data::Empty => None,
    }
}

/// Integers below 10^15 as digits (a phone number stored as a number); larger numbers in E
/// notation, since a double has already lost their last digits.
pub fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else if f.is_finite() && f.abs() >= 1e15 {
        format!("{f:E}")
    } else {
        f.to_string()
    }
}

/// Column letters: 0 → A, 25 → Z, 26 → AA.
pub(crate) fn column_letters(mut c: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Groups one sheet's cells (in row order) into rows, finds the header row and feeds records.
struct SheetRows {
    sheet: String,
    row: Option<u32>,
    cells: Vec<(u32, Vec<u8>)>,
    /// Rows held back until the header is known.
    pending: Vec<Vec<(u32, Vec<u8>)>>,
    header_known: bool,
    /// Column → field id.
    columns: Vec<Option<usize>>,
}

impl SheetRows {
    fn new(sheet: &str) -> Self {
        SheetRows {
            sheet: sheet.to_string(),
            row: None,
            cells: Vec::new(),
            pending: Vec::new(),
            header_known: false,
            columns: Vec::new(),
        }
    }

    fn push(&mut self, sc: &mut RecordScanner, ctx: &Ctx, r: u32, c: u32, v: Vec<u8>) {
        if self.row != Some(r) {
            self.end_row(sc, ctx);
            self.row = Some(r);
        }
        self.cells.push((c, v));
    }

    fn end_row(&mut self, sc: &mut RecordScanner, ctx: &Ctx) {
        if self.cells.is_empty() {
            return;
        }
        let row = std::mem::take(&mut self.cells);
        if self.header_known {
            self.record(sc, &row);
            return;
        }
        self.pending.push(row);
        if self.pending.len() >= HEADER_SEARCH {
            self.decide_header(sc, ctx);
        }
    }

    fn finish(mut self, sc: &mut RecordScanner, ctx: &Ctx) {
        self.end_row(sc, ctx);
        if !self.header_known {
            self.decide_header(sc, ctx);
        }
    }

    /// The header is the first held-back row of text labels at least half as wide as the
    /// widest row; rows above it (titles) are records like the rows below.
    fn decide_header(&mut self, sc: &mut RecordScanner, ctx: &Ctx) {
        self.header_known = true;
        let pending = std::mem::take(&mut self.pending);
        let widest = pending.iter().map(Vec::len).max().unwrap_or(0);
        let header = pending.iter().position(|row| {
            let cells: Vec<&[u8]> = row.iter().map(|(_, v)| v.as_slice()).collect();
            (row.len() >= 2 || widest == 1)
                && row.len() * 2 >= widest
                && looks_like_header(&cells, ctx)
        });
        for (i, row) in pending.iter().enumerate() {
            if Some(i) == header {
                for (c, v) in row {
                    let label = String::from_utf8_lossy(v.trim_ascii());
                    let id = sc.field_labeled(&format!("{}!{}", self.sheet, label), &label);
                    let c = *c as usize;
                    if self.columns.len() <= c {
                        self.columns.resize(c + 1, None);
                    }
                    self.columns[c] = Some(id);
                }
            } else {
                self.record(sc, row);
            }
        }
    }

    fn record(&mut self, sc: &mut RecordScanner, row: &[(u32, Vec<u8>)]) {
        let mut ids = Vec::with_capacity(row.len());
        for (c, _) in row {
            let c = *c as usize;
            if self.columns.len() <= c {
                self.columns.resize(c + 1, None);
            }
            let id = match self.columns[c] {
                Some(id) => id,
                None => {
                    let id = sc.field(&format!("{}!{}", self.sheet, column_letters(c as u32)));
                    self.columns[c] = Some(id);
                    id
                }
            };
            ids.push(id);
        }
        sc.record(ids.into_iter().zip(row.iter().map(|(_, v)| v.as_slice())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_digits_or_damaged_e_notation() {
        assert_eq!(float_text(13812345678.0), "13812345678");
        assert_eq!(float_text(110105194912310002.0), "1.1010519491231E17");
        assert!(crate::classify::is_damaged_number(
            float_text(1.10105e17).as_bytes()
        ));
        assert_eq!(float_text(12.5), "12.5");
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16383), "XFD");
    }
}
