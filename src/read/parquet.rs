//! Parquet files: every row is a record, every PI-capable column a field named by its path.
//!
//! Read through the `parquet` crate's Arrow reader (its row-by-row record API allocates per cell,
//! and its maintainers advise against it for bulk reads) with a projection: only leaf columns
//! that can hold PI are decoded — strings, binary, and integers wide enough for a phone or ID
//! number (phone numbers are often stored as `int64`) — while floats, booleans, dates,
//! timestamps and decimals are never decompressed. Nested fields are named by their path:
//! `contact.phone` for a struct member, `phones[]` for list items, `attrs.key` / `attrs.value`
//! for a map.
//!
//! Row groups are scanned in parallel, one accumulator each, merged at the end. A column that is
//! dictionary-encoded is read as an Arrow dictionary, and the detectors run once per distinct
//! dictionary value; rows then reuse that value's findings by index — the same answer for far
//! less work on the low-cardinality columns (city, status, a shared e-mail domain) that
//! dictionaries are made for.
//!
//! Damage (a corrupt footer, truncated pages, a malformed dictionary) ends the row group where it
//! is met; rows read before it are counted and the error names the row group and row.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{ArrowPrimitiveType, Int32Type, Int64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, ArrayRef, GenericListArray, OffsetSizeTrait, RecordBatch};
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
    RowSelector,
};
use parquet::basic::{ConvertedType, Encoding, LogicalType, Type as PhysicalType};
use parquet::file::metadata::ColumnChunkMetaData;
use parquet::file::reader::ChunkReader;
use parquet::schema::types::ColumnDescriptor;
use rayon::prelude::*;

use super::Ctx;
use super::records::{ColumnHit, Hashed, RecordScanner};
use crate::detect::Finding;
use crate::inventory::SourceAcc;

/// Rows per Arrow batch: large enough to amortise per-batch work, small enough that a batch of
/// wide string rows stays a few MiB.
const BATCH: usize = 8192;

/// Errors reported per file; more are summarised as a count.
const MAX_ERRORS: usize = 5;

/// Does `head` start like a Parquet file?
pub fn sniff(head: &[u8]) -> bool {
    // `PARE`: a file with an encrypted footer, which gets its own message.
    head.starts_with(b"PAR1") || head.starts_with(b"PARE")
}

/// Scans a Parquet file. `open` gives an independent reader of the whole file each time it is
/// called (one per row group scanned in parallel). Returns what was found and, when the file
/// could not be read to its end, why and where it stopped; `records == 0` with an error means
/// nothing could be read.
pub fn scan<T, F>(open: F, ctx: &Ctx) -> (SourceAcc, Option<String>)
where
    T: ChunkReader + 'static,
    F: Fn() -> std::io::Result<T> + Sync,
{
    match catch_unwind(AssertUnwindSafe(|| {
        scan_inner(&open, ctx, MIN_PART_ROWS, rayon::current_num_threads())
    })) {
        Ok(r) => r,
        Err(p) => (
            SourceAcc::default(),
            Some(format!("parquet reader failed: {}", panic_message(&p))),
        ),
    }
}

pub(crate) fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "internal error".to_string())
}

/// Fewest rows in a part of a row group scanned as its own task (see [`parts`]).
const MIN_PART_ROWS: u64 = 64 * 1024;

/// The tasks a file is scanned in: `(row group, first row, rows)`. Row groups are scanned in
/// parallel; when a file has fewer of them than there are threads (pyarrow and the parquet crate
/// write up to a million rows in one), each is cut into parts of at least `min_part` rows so that
/// every core still has work. A part skips the rows before it, which costs little for flat
/// columns (whole pages are skipped by their headers), so parts are few: about two per thread.
fn parts(row_counts: &[u64], threads: usize, min_part: u64) -> Vec<(usize, u64, u64)> {
    let groups = row_counts.len().max(1);
    let per_group = if groups >= threads {
        1
    } else {
        (threads * 2).div_ceil(groups) as u64
    };
    let mut out = Vec::new();
    for (rg, &rows) in row_counts.iter().enumerate() {
        let n = per_group.min(rows / min_part.max(1)).max(1);
        let size = rows.div_ceil(n);
        let mut first = 0;
        while first < rows || (first == 0 && rows == 0) {
            let len = size.min(rows - first);
            out.push((rg, first, len));
            first += len.max(1);
        }
    }
    out
}

/// [`scan`], with row groups cut into parts of at least `min_part` rows for `threads` threads.
fn scan_inner<T, F>(
    open: &F,
    ctx: &Ctx,
    min_part: u64,
    threads: usize,
) -> (SourceAcc, Option<String>)
where
    T: ChunkReader + 'static,
    F: Fn() -> std::io::Result<T> + Sync,
{
    let fail = |m: String| (SourceAcc::default(), Some(m));
    let reader = match open() {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot open: {e}")),
    };
    if let Some(m) = check_magic(&reader) {
        return fail(m);
    }
    let meta = match ArrowReaderMetadata::load(&reader, ArrowReaderOptions::new()) {
        Ok(m) => m,
        Err(e) => return fail(format!("cannot read the footer (file metadata): {e}")),
    };
    let schema = meta.parquet_schema();
    // The Arrow reader cannot project part of a map: a root holding a map is read whole.
    let map_roots: Vec<bool> = meta
        .schema()
        .fields()
        .iter()
        .map(|f| has_map(f.data_type()))
        .collect();
    let leaves: Vec<usize> = (0..schema.num_columns())
        .filter(|&i| {
            let root = schema.get_column_root_idx(i);
            map_roots.get(root).copied().unwrap_or(false) || pi_capable(schema.column(i).as_ref())
        })
        .collect();
    let row_groups = meta.metadata().num_row_groups();
    let total_rows: u64 = meta
        .metadata()
        .row_groups()
        .iter()
        .map(|rg| rg.num_rows().max(0) as u64)
        .sum();
    if leaves.is_empty() {
        // Nothing that can hold PI: the rows are records, found empty without decoding a page.
        let acc = SourceAcc {
            records: total_rows,
            ..SourceAcc::default()
        };
        return (acc, None);
    }
    let mask = ProjectionMask::leaves(schema, leaves.iter().copied());
    // Ask for dictionary arrays where the file has dictionary pages and view arrays elsewhere
    // (see `reading_hint`); if the reader rejects the hint, read plain arrays.
    let meta = match reading_hint(&meta, &leaves) {
        Some(hinted) => match ArrowReaderMetadata::try_new(
            meta.metadata().clone(),
            ArrowReaderOptions::new().with_schema(hinted),
        ) {
            Ok(m) => m,
            Err(_) => meta,
        },
        None => meta,
    };
    let row_counts: Vec<u64> = meta
        .metadata()
        .row_groups()
        .iter()
        .map(|rg| rg.num_rows().max(0) as u64)
        .collect();
    debug_assert_eq!(row_counts.len(), row_groups);
    // Row groups whose pages would decompress past the file's allowance are not read: a 4 KiB
    // file can declare gigabytes of brotli-compressed strings, which the reader would allocate.
    let (within, bombs) = within_budget(meta.metadata(), &leaves, &reader);
    let tasks: Vec<_> = parts(&row_counts, threads, min_part)
        .into_iter()
        .filter(|&(rg, _, _)| within.get(rg).copied().unwrap_or(false))
        .collect();
    let (file_len, total_rows) = (reader.len(), row_counts.iter().sum::<u64>());
    let results: Vec<(SourceAcc, Option<String>)> = tasks
        .into_par_iter()
        .map(|part| {
            if ctx.stopping() {
                return (SourceAcc::default(), None);
            }
            let scanned = catch_unwind(AssertUnwindSafe(|| {
                scan_row_group(open, &meta, &mask, part, ctx)
            }));
            // The part's share of the file, by rows.
            ctx.advance(file_len * part.2 / total_rows.max(1));
            scanned.unwrap_or_else(|p| {
                (
                    SourceAcc::default(),
                    Some(format!(
                        "row group {}: reader failed: {}",
                        part.0,
                        panic_message(&p)
                    )),
                )
            })
        })
        .collect();
    let mut acc = SourceAcc::default();
    let mut errors = bombs;
    for (a, e) in results {
        acc.merge(a);
        ctx.bound_links(&mut acc);
        errors.extend(e);
    }
    let error = (!errors.is_empty()).then(|| {
        let n = errors.len();
        let mut m = errors
            .into_iter()
            .take(MAX_ERRORS)
            .collect::<Vec<_>>()
            .join("; ");
        if n > MAX_ERRORS {
            m.push_str(&format!(
                "; and {} more row group(s) with errors",
                n - MAX_ERRORS
            ));
        }
        format!("{m} ({} of {total_rows} rows read)", acc.records)
    });
    (acc, error)
}

/// Bytes the pages of a file of `disk` bytes may decompress to, all row groups together: the
/// same bound as an archive's ([`super::container::Limits`]), 1000 times the file's size but
/// never less than 64 MiB.
fn allowance(disk: u64) -> u64 {
    let l = super::container::Limits::default();
    disk.saturating_mul(l.max_ratio)
        .max(l.min_expanded)
        .min(l.max_expanded)
}

/// Which row groups may be read: in order, while the uncompressed sizes their projected column
/// chunks declare (the footer's, checked before any page is read) stay within the file's
/// [`allowance`], and while every page header of those chunks declares a size the file can
/// hold (see [`check_pages`]). The others get a "possible decompression bomb" error each.
fn within_budget<T: ChunkReader>(
    meta: &parquet::file::metadata::ParquetMetaData,
    leaves: &[usize],
    reader: &T,
) -> (Vec<bool>, Vec<String>) {
    let disk = reader.len();
    let allowed = allowance(disk);
    let mut used = 0u64;
    let mut errors = Vec::new();
    let ok = meta
        .row_groups()
        .iter()
        .enumerate()
        .map(|(rg, g)| {
            let chunks: Vec<&ColumnChunkMetaData> = leaves
                .iter()
                .filter(|&&i| i < g.num_columns())
                .map(|&i| g.column(i))
                .collect();
            let declared: u64 = chunks
                .iter()
                .map(|c| c.uncompressed_size().max(0) as u64)
                .fold(0u64, u64::saturating_add);
            if used.saturating_add(declared) > allowed {
                errors.push(format!(
                    "row group {rg}: decompression limit reached: its columns declare {declared} \
                     bytes uncompressed, past {allowed} bytes from a {disk}-byte file (possible \
                     decompression bomb); not read"
                ));
                return false;
            }
            // The pages can declare more than their chunk does: what they declare counts.
            let mut pages = 0u64;
            for c in &chunks {
                match check_pages(reader, c, allowed) {
                    Ok(n) => pages = pages.saturating_add(n),
                    Err(e) => {
                        errors.push(format!(
                            "row group {rg}, column `{}`: {e}; not read",
                            c.column_path().string()
                        ));
                        return false;
                    }
                }
            }
            let declared = declared.max(pages);
            if used.saturating_add(declared) > allowed {
                errors.push(format!(
                    "row group {rg}: decompression limit reached: its pages declare {declared} \
                     bytes uncompressed, past {allowed} bytes from a {disk}-byte file (possible \
                     decompression bomb); not read"
                ));
                return false;
            }
            used += declared;
            true
        })
        .collect();
    (ok, errors)
}

/// Largest page the reader may decompress, whatever the file's allowance: writers cut pages at
/// about 1 MiB (parquet-mr, pyarrow and the parquet crate alike, dictionary pages included), so
/// a page this large is a single value of this size or a lie; either way it is one allocation
/// of that size, which the memory budget cannot take several of at once.
const MAX_PAGE: u64 = 256 << 20;

/// Largest page header read (its statistics can hold a column's min and max values).
const MAX_PAGE_HEADER: usize = 16 << 20;

/// Reads the page headers of column chunk `c` from `reader` and checks what each declares
/// before the parquet crate allocates it: its compressed bytes must lie within the file (the
/// crate allocates a buffer of the declared length before reading into it) and its
/// uncompressed size within `allowed` and [`MAX_PAGE`] (the crate allocates that much to
/// decompress into, up to 2 GiB per page). Returns the uncompressed bytes the pages declare in
/// all. A header that cannot be parsed ends the walk without an error: the crate then reports
/// the damage where it meets it, with the rows read before it.
fn check_pages<T: ChunkReader>(
    reader: &T,
    c: &ColumnChunkMetaData,
    allowed: u64,
) -> Result<u64, String> {
    let disk = reader.len();
    let start = c.dictionary_page_offset().unwrap_or(c.data_page_offset());
    let (Ok(start), Ok(len)) = (u64::try_from(start), u64::try_from(c.compressed_size())) else {
        return Ok(0);
    };
    let end = start.saturating_add(len).min(disk);
    let limit = allowed.min(MAX_PAGE);
    let (mut at, mut total) = (start, 0u64);
    while at < end {
        let Some(page) = reader.get_read(at).ok().and_then(page_header) else {
            break;
        };
        let what = if page.dictionary {
            "dictionary page"
        } else {
            "page"
        };
        let data_end = at
            .saturating_add(page.header_len)
            .saturating_add(page.compressed);
        if data_end > disk {
            return Err(format!(
                "the {what} at offset {at} declares {} bytes compressed, past the end of the \
                 {disk}-byte file (truncated or corrupt)",
                page.compressed
            ));
        }
        if page.uncompressed > limit {
            return Err(format!(
                "decompression limit reached: the {what} at offset {at} declares {} bytes \
                 uncompressed, past {limit} bytes for a page of a {disk}-byte file (possible \
                 decompression bomb)",
                page.uncompressed
            ));
        }
        total = total.saturating_add(page.uncompressed);
        at = data_end;
    }
    Ok(total)
}

/// What a page header declares.
struct PageSizes {
    dictionary: bool,
    /// Bytes of the header itself, then of the page's data in the file and decompressed.
    header_len: u64,
    compressed: u64,
    uncompressed: u64,
}

/// Reads the Parquet `PageHeader` struct (Thrift compact protocol) at the start of `r`: field 1
/// is the page type (2 = dictionary page), 2 the uncompressed and 3 the compressed size; the
/// others are skipped. `None` when it is not a well-formed header with all three.
fn page_header(r: impl std::io::Read) -> Option<PageSizes> {
    use thrift::protocol::{TCompactInputProtocol, TInputProtocol, TType};
    let mut counted = Counted { inner: r, n: 0 };
    let config = thrift::TConfiguration::builder()
        .max_string_size(Some(MAX_PAGE_HEADER))
        .max_container_size(Some(MAX_PAGE_HEADER))
        .build()
        .ok()?;
    let mut p = TCompactInputProtocol::with_config(&mut counted, config);
    let (mut kind, mut uncompressed, mut compressed) = (None, None, None);
    p.read_struct_begin().ok()?;
    loop {
        let f = p.read_field_begin().ok()?;
        if f.field_type == TType::Stop {
            break;
        }
        match (f.id, f.field_type) {
            (Some(1), TType::I32) => kind = Some(p.read_i32().ok()?),
            (Some(2), TType::I32) => uncompressed = Some(p.read_i32().ok()?),
            (Some(3), TType::I32) => compressed = Some(p.read_i32().ok()?),
            (_, t) => p.skip(t).ok()?,
        }
        p.read_field_end().ok()?;
    }
    p.read_struct_end().ok()?;
    drop(p);
    Some(PageSizes {
        dictionary: kind? == 2,
        header_len: counted.n,
        compressed: u64::try_from(compressed?).ok()?,
        uncompressed: u64::try_from(uncompressed?).ok()?,
    })
}

/// A reader that counts the bytes read through it (the length of a page header).
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// Checks the magic numbers at both ends, which the parquet crate reports only as a "corrupt
/// footer".
fn check_magic<T: ChunkReader>(r: &T) -> Option<String> {
    let len = r.len();
    if len < 12 {
        return Some(format!(
            "not a Parquet file: {len} bytes, too short for the header and footer"
        ));
    }
    let head = r.get_bytes(0, 4).ok()?;
    let tail = r.get_bytes(len - 4, 4).ok()?;
    if head.as_ref() == b"PARE" || tail.as_ref() == b"PARE" {
        return Some(
            "encrypted Parquet file (Parquet Modular Encryption, encrypted footer `PARE`): \
             cannot be read without its decryption keys; scan a decrypted copy"
                .to_string(),
        );
    }
    if head.as_ref() != b"PAR1" {
        return Some(format!(
            "not a Parquet file: wrong magic {:?} at offset 0 (expected \"PAR1\")",
            String::from_utf8_lossy(&head)
        ));
    }
    match tail.as_ref() {
        b"PAR1" => None,
        other => Some(format!(
            "truncated or corrupt Parquet file: no footer magic at the end (found {:?} at \
             offset {}, expected \"PAR1\")",
            String::from_utf8_lossy(other),
            len - 4
        )),
    }
}

/// Can this leaf column hold personal information? Strings and binary can; integers can when
/// wide enough for an 8-digit permit or an 11-digit phone (32 and 64 bits), unless annotated as
/// a date, time, timestamp or decimal. Floats, booleans and INT96 timestamps cannot.
fn pi_capable(c: &ColumnDescriptor) -> bool {
    let not_pi_logical = match c.logical_type_ref() {
        Some(LogicalType::Decimal { .. })
        | Some(LogicalType::Date)
        | Some(LogicalType::Time { .. })
        | Some(LogicalType::Timestamp { .. })
        | Some(LogicalType::Uuid)
        | Some(LogicalType::Float16)
        | Some(LogicalType::Geometry { .. })
        | Some(LogicalType::Geography { .. }) => true,
        Some(LogicalType::Integer(t)) => t.bit_width < 32,
        _ => false,
    };
    let not_pi_converted = matches!(
        c.converted_type(),
        ConvertedType::DECIMAL
            | ConvertedType::DATE
            | ConvertedType::TIME_MILLIS
            | ConvertedType::TIME_MICROS
            | ConvertedType::TIMESTAMP_MILLIS
            | ConvertedType::TIMESTAMP_MICROS
            | ConvertedType::INTERVAL
            | ConvertedType::INT_8
            | ConvertedType::INT_16
            | ConvertedType::UINT_8
            | ConvertedType::UINT_16
    );
    let physical = matches!(
        c.physical_type(),
        PhysicalType::BYTE_ARRAY
            | PhysicalType::FIXED_LEN_BYTE_ARRAY
            | PhysicalType::INT32
            | PhysicalType::INT64
    );
    physical && !not_pi_logical && !not_pi_converted
}

fn has_map(dt: &DataType) -> bool {
    match dt {
        DataType::Map(_, _) => true,
        DataType::Struct(fs) => fs.iter().any(|f| has_map(f.data_type())),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            has_map(f.data_type())
        }
        _ => false,
    }
}

/// Whether a column chunk's data pages are all dictionary-encoded, as far as its metadata says.
/// A writer falls back to plain pages when a column's dictionary grows too large (unique IDs,
/// e-mails): read as a dictionary, such a chunk would have every plain value hashed into a new
/// dictionary by the reader, for nothing — its values are nearly all distinct.
fn all_dictionary(c: &ColumnChunkMetaData) -> bool {
    c.dictionary_page_offset().is_some()
        && c.page_encoding_stats_mask().is_none_or(|m| {
            m.is_only(Encoding::PLAIN_DICTIONARY) || m.is_only(Encoding::RLE_DICTIONARY)
        })
}

/// The file's Arrow schema with the types the scan reads its string and binary columns as (top
/// level or inside structs): dictionary types where the first row group is all
/// dictionary-encoded (see [`all_dictionary`]), so that each distinct value is scanned once;
/// view types for the others (`Utf8View`, `BinaryView`), whose plain pages are read without
/// copying each value into an offsets buffer and are checked for UTF-8 in one pass per page
/// rather than value by value. `None` if nothing changes.
fn reading_hint(meta: &ArrowReaderMetadata, leaves: &[usize]) -> Option<Arc<Schema>> {
    let md = meta.metadata();
    let rg = md.row_groups().first()?;
    let schema = meta.parquet_schema();
    let dict_paths: Vec<Vec<String>> = leaves
        .iter()
        .filter(|&&i| all_dictionary(rg.column(i)))
        .map(|&i| schema.column(i).path().parts().to_vec())
        .collect();
    let arrow = meta.schema();
    let mut changed = false;
    let fields: Vec<Arc<Field>> = arrow
        .fields()
        .iter()
        .map(|f| hint_field(f, &[], &dict_paths, &mut changed))
        .collect();
    changed.then(|| Arc::new(Schema::new_with_metadata(fields, arrow.metadata().clone())))
}

fn hint_field(
    f: &Arc<Field>,
    parent: &[String],
    dict_paths: &[Vec<String>],
    changed: &mut bool,
) -> Arc<Field> {
    let mut path = parent.to_vec();
    path.push(f.name().clone());
    match f.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary
            if dict_paths.contains(&path) =>
        {
            *changed = true;
            let dt =
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(f.data_type().clone()));
            Arc::new(f.as_ref().clone().with_data_type(dt))
        }
        DataType::Utf8 => {
            *changed = true;
            Arc::new(f.as_ref().clone().with_data_type(DataType::Utf8View))
        }
        DataType::Binary => {
            *changed = true;
            Arc::new(f.as_ref().clone().with_data_type(DataType::BinaryView))
        }
        DataType::Struct(children) => {
            let kids: Fields = children
                .iter()
                .map(|c| hint_field(c, &path, dict_paths, changed))
                .collect();
            Arc::new(f.as_ref().clone().with_data_type(DataType::Struct(kids)))
        }
        DataType::List(child) => {
            // A list's elements: a view type if they are strings (the list level of the
            // Parquet path is not in Arrow's, so these never match a dictionary path).
            let child = hint_field(child, &path, dict_paths, changed);
            Arc::new(f.as_ref().clone().with_data_type(DataType::List(child)))
        }
        _ => f.clone(),
    }
}

fn scan_row_group<T, F>(
    open: &F,
    meta: &ArrowReaderMetadata,
    mask: &ProjectionMask,
    (rg, first, len): (usize, u64, u64),
    ctx: &Ctx,
) -> (SourceAcc, Option<String>)
where
    T: ChunkReader + 'static,
    F: Fn() -> std::io::Result<T> + Sync,
{
    let mut rows = RowGroupScan::new(ctx);
    let declared = meta.metadata().row_group(rg).num_rows().max(0) as u64;
    let whole = first == 0 && len >= declared;
    let name = if whole {
        format!("row group {rg}")
    } else {
        format!("row group {rg} (rows {first}–{})", first + len)
    };
    let reader = match open() {
        Ok(r) => r,
        Err(e) => {
            return (
                SourceAcc::default(),
                Some(format!("{name}: cannot open: {e}")),
            );
        }
    };
    let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, meta.clone())
        .with_projection(mask.clone())
        .with_row_groups(vec![rg])
        .with_batch_size(BATCH);
    if !whole {
        let rest = declared.saturating_sub(first + len);
        builder = builder.with_row_selection(RowSelection::from(vec![
            RowSelector::skip(first as usize),
            RowSelector::select(len as usize),
            RowSelector::skip(rest as usize),
        ]));
    }
    let batches = match builder.build() {
        Ok(b) => b,
        Err(e) => return (rows.finish(), Some(format!("{name}: {e}"))),
    };
    let mut read = 0u64;
    for batch in batches {
        match batch {
            Ok(b) => {
                read += b.num_rows() as u64;
                rows.batch(&b);
            }
            Err(e) => {
                let error = format!("{name}: stopped after {read} rows: {e}");
                return (rows.finish(), Some(error));
            }
        }
    }
    // A file whose footer disagrees with itself (a row group's row count against the file's)
    // can make the reader stop early without an error: say so rather than report a short read
    // as complete.
    let expected = if whole { declared } else { len };
    if read < expected {
        let file_rows = meta.metadata().file_metadata().num_rows();
        let what = if whole {
            "the row group declares"
        } else {
            "this part holds"
        };
        let error = format!(
            "{name}: the reader returned {read} of the {expected} rows {what} (the file \
             metadata declares {file_rows} rows in all)"
        );
        return (rows.finish(), Some(error));
    }
    (rows.finish(), None)
}

/// A value's findings, each with its keyed hash.
type HashedFindings = Box<[(Finding, u64)]>;

/// The distinct values of one dictionary and the findings of those scanned so far.
struct DictCache {
    /// Kept alive so that its buffers' addresses identify it and cannot be reused.
    values: ArrayRef,
    id: (usize, usize),
    /// With each finding its keyed hash, made once per distinct value.
    found: Vec<Option<HashedFindings>>,
}

/// Scans the batches of one row group.
struct RowGroupScan<'c, 'a> {
    rs: RecordScanner<'c, 'a>,
    /// Field ids by path, so a path is registered once.
    fids: HashMap<String, usize>,
    dicts: HashMap<usize, DictCache>,
    /// Findings of the current batch: (row, field, finding).
    hits: Vec<ColumnHit>,
    /// The field of each of `hits`.
    hit_fields: Vec<usize>,
    scratch: Vec<Finding>,
    /// Reused by `batch` to group findings by row.
    row_starts: Vec<u32>,
    order: Vec<u32>,
    slots: Vec<Option<(usize, Finding, Hashed)>>,
    /// Decimal text of an integer column's values, and each value's (row, start, end) in it.
    text: Vec<u8>,
    spans: Vec<(u32, usize, usize)>,
    /// Distinct dictionary values scanned (each once per dictionary).
    dict_values_scanned: u64,
}

impl<'c, 'a> RowGroupScan<'c, 'a> {
    fn new(ctx: &'c Ctx<'a>) -> Self {
        RowGroupScan {
            rs: RecordScanner::new(ctx),
            fids: HashMap::new(),
            dicts: HashMap::new(),
            hits: Vec::new(),
            hit_fields: Vec::new(),
            scratch: Vec::new(),
            row_starts: Vec::new(),
            order: Vec::new(),
            slots: Vec::new(),
            text: Vec::new(),
            spans: Vec::new(),
            dict_values_scanned: 0,
        }
    }

    fn finish(self) -> SourceAcc {
        self.rs.finish()
    }

    fn fid(&mut self, path: &str, leaf: &str) -> usize {
        if let Some(&f) = self.fids.get(path) {
            return f;
        }
        let f = self.rs.field_labeled(path, leaf);
        self.fids.insert(path.to_string(), f);
        f
    }

    fn batch(&mut self, b: &RecordBatch) {
        self.hits.clear();
        self.hit_fields.clear();
        let schema = b.schema();
        for (field, col) in schema.fields().iter().zip(b.columns()) {
            self.visit(col.as_ref(), field.name(), field.name(), None);
        }
        let n = b.num_rows() as u64;
        if self.hits.is_empty() {
            self.rs.empty_records(n);
            return;
        }
        // Group the findings by row, keeping each row's in the order they were found: a
        // counting sort (rows are dense, 0..n), not a comparison sort.
        let mut hits = std::mem::take(&mut self.hits);
        let mut starts = std::mem::take(&mut self.row_starts);
        // Rows of a well-formed batch are below `n`; a malformed nested array cannot index out.
        let rows = hits
            .iter()
            .map(|h| h.0 as usize + 1)
            .max()
            .unwrap_or(0)
            .max(n as usize);
        starts.clear();
        starts.resize(rows + 2, 0);
        for h in &hits {
            starts[h.0 as usize + 2] += 1;
        }
        for r in 2..starts.len() {
            starts[r] += starts[r - 1];
        }
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.resize(hits.len(), 0);
        for (i, h) in hits.iter().enumerate() {
            let slot = &mut starts[h.0 as usize + 1];
            order[*slot as usize] = i as u32;
            *slot += 1;
        }
        // `starts[r]..starts[r + 1]` are now row r's positions in `order`.
        let mut slots = std::mem::take(&mut self.slots);
        slots.clear();
        slots.extend(
            hits.drain(..)
                .zip(self.hit_fields.drain(..))
                .map(|(h, fid)| Some((fid, h.1, h.2))),
        );
        let mut with_findings = 0u64;
        for r in 0..rows {
            let (lo, hi) = (starts[r] as usize, starts[r + 1] as usize);
            if lo == hi {
                continue;
            }
            with_findings += 1;
            self.rs.record_findings(
                order[lo..hi]
                    .iter()
                    .filter_map(|&i| slots[i as usize].take()),
            );
        }
        self.rs.empty_records(n.saturating_sub(with_findings));
        self.hits = hits;
        self.slots = slots;
        self.row_starts = starts;
        self.order = order;
    }

    /// Scans `arr`, whose element `i` belongs to row `rows[i]` (or row `i` at the top level).
    /// The items of a list column (32- or 64-bit offsets), as the field `path[]`, each mapped
    /// to the row of the list that holds it.
    fn visit_list<O: OffsetSizeTrait>(
        &mut self,
        l: &GenericListArray<O>,
        path: &str,
        leaf: &str,
        row: impl Fn(usize) -> u32,
    ) {
        let offsets = l.value_offsets().iter().map(|o| o.as_usize());
        let child = list_rows(offsets, l, row, l.values().len());
        self.visit(
            l.values().as_ref(),
            &format!("{path}[]"),
            leaf,
            Some(&child),
        );
    }

    fn visit(&mut self, arr: &dyn Array, path: &str, leaf: &str, rows: Option<&[u32]>) {
        // Elements that belong to no row of the batch map to u32::MAX and are skipped.
        let row = |i: usize| rows.map_or(i as u32, |r| r.get(i).copied().unwrap_or(u32::MAX));
        match arr.data_type() {
            DataType::Struct(_) => {
                let s = arr.as_struct();
                for (f, child) in s.fields().iter().zip(s.columns()) {
                    let p = format!("{path}.{}", f.name());
                    self.visit(child.as_ref(), &p, f.name(), rows);
                }
            }
            DataType::List(_) => self.visit_list(arr.as_list::<i32>(), path, leaf, row),
            DataType::LargeList(_) => self.visit_list(arr.as_list::<i64>(), path, leaf, row),
            DataType::FixedSizeList(_, n) => {
                let l = arr.as_fixed_size_list();
                let n = *n as usize;
                let child = list_rows((0..=l.len()).map(|i| i * n), l, row, l.values().len());
                self.visit(
                    l.values().as_ref(),
                    &format!("{path}[]"),
                    leaf,
                    Some(&child),
                );
            }
            DataType::Map(_, _) => {
                let m = arr.as_map();
                let child = list_rows(
                    m.value_offsets().iter().map(|&o| o as usize),
                    m,
                    row,
                    m.entries().len(),
                );
                self.visit(
                    m.keys().as_ref(),
                    &format!("{path}.key"),
                    leaf,
                    Some(&child),
                );
                self.visit(
                    m.values().as_ref(),
                    &format!("{path}.value"),
                    leaf,
                    Some(&child),
                );
            }
            DataType::Dictionary(_, _) => self.dictionary(arr, path, leaf, &row),
            DataType::Utf8 => {
                let a = arr.as_string::<i32>();
                self.each(arr, path, leaf, &row, |i| a.value(i).as_bytes());
            }
            DataType::LargeUtf8 => {
                let a = arr.as_string::<i64>();
                self.each(arr, path, leaf, &row, |i| a.value(i).as_bytes());
            }
            DataType::Utf8View => {
                let a = arr.as_string_view();
                self.each(arr, path, leaf, &row, |i| a.value(i).as_bytes());
            }
            DataType::Binary => {
                let a = arr.as_binary::<i32>();
                self.each(arr, path, leaf, &row, |i| a.value(i));
            }
            DataType::LargeBinary => {
                let a = arr.as_binary::<i64>();
                self.each(arr, path, leaf, &row, |i| a.value(i));
            }
            DataType::BinaryView => {
                let a = arr.as_binary_view();
                self.each(arr, path, leaf, &row, |i| a.value(i));
            }
            DataType::FixedSizeBinary(_) => {
                let a = arr.as_fixed_size_binary();
                self.each(arr, path, leaf, &row, |i| a.value(i));
            }
            DataType::Int32 => self.integers::<Int32Type>(arr, path, leaf, &row),
            DataType::Int64 => self.integers::<Int64Type>(arr, path, leaf, &row),
            DataType::UInt32 => self.integers::<UInt32Type>(arr, path, leaf, &row),
            DataType::UInt64 => self.integers::<UInt64Type>(arr, path, leaf, &row),
            // Projected away or unable to hold PI.
            _ => {}
        }
    }

    /// Runs the detectors over every non-null value of a leaf.
    fn each<'v>(
        &mut self,
        arr: &dyn Array,
        path: &str,
        leaf: &str,
        row: &dyn Fn(usize) -> u32,
        value: impl Fn(usize) -> &'v [u8],
    ) {
        let fid = self.fid(path, leaf);
        let values = (0..arr.len()).filter_map(|i| {
            let r = row(i);
            (!arr.is_null(i) && r != u32::MAX).then(|| (r, value(i)))
        });
        self.column(fid, values);
    }

    /// Scans a column's values together (see [`RecordScanner::find_column`]) into the batch's
    /// findings.
    fn column<'v>(&mut self, fid: usize, values: impl Iterator<Item = (u32, &'v [u8])>) {
        self.rs.find_column(fid, values, &mut self.hits);
        self.hit_fields.resize(self.hits.len(), fid);
    }

    /// Integers are scanned as their decimal text: phone and ID numbers are stored as int64.
    fn integers<T: ArrowPrimitiveType>(
        &mut self,
        arr: &dyn Array,
        path: &str,
        leaf: &str,
        row: &dyn Fn(usize) -> u32,
    ) where
        T::Native: itoa::Integer,
    {
        let fid = self.fid(path, leaf);
        let a = arr.as_primitive::<T>();
        let mut text = std::mem::take(&mut self.text);
        let mut spans = std::mem::take(&mut self.spans);
        text.clear();
        spans.clear();
        // itoa, not `write!`: formatting through `fmt` cost as much as scanning the digits.
        let mut digits = itoa::Buffer::new();
        for i in 0..a.len() {
            let r = row(i);
            if a.is_null(i) || r == u32::MAX {
                continue;
            }
            let at = text.len();
            text.extend_from_slice(digits.format(a.value(i)).as_bytes());
            spans.push((r, at, text.len()));
        }
        self.column(fid, spans.iter().map(|&(r, s, e)| (r, &text[s..e])));
        self.text = text;
        self.spans = spans;
    }

    /// A dictionary-encoded leaf: each distinct value is scanned once, when first used.
    fn dictionary(&mut self, arr: &dyn Array, path: &str, leaf: &str, row: &dyn Fn(usize) -> u32) {
        let Some(d) = arr.as_any_dictionary_opt() else {
            return;
        };
        let values = d.values().clone();
        if values.is_empty() {
            return;
        }
        let fid = self.fid(path, leaf);
        let keys = d.normalized_keys();
        // A dictionary about as large as the batch (a high-cardinality column whose dictionary
        // the writer kept, or a fallback dictionary rebuilt per batch) saves nothing: scan each
        // row's value directly instead of caching findings per value.
        if values.len() * 2 > keys.len() {
            let rows = keys.iter().enumerate().filter_map(|(i, &k)| {
                let r = row(i);
                if arr.is_null(i) || d.keys().is_null(i) || r == u32::MAX {
                    return None;
                }
                value_bytes(values.as_ref(), k).map(|v| (r, v))
            });
            self.column(fid, rows);
            return;
        }
        let data = values.to_data();
        let id = (
            data.buffers()
                .iter()
                .map(|b| b.as_ptr() as usize)
                .fold(0, |a, p| a ^ p),
            values.len(),
        );
        let stale = self.dicts.get(&fid).is_none_or(|c| c.id != id);
        if stale {
            self.dicts.insert(
                fid,
                DictCache {
                    values: values.clone(),
                    id,
                    found: vec![None; values.len()],
                },
            );
        }
        let mut cache = self.dicts.remove(&fid).expect("inserted above");
        let mut scratch = std::mem::take(&mut self.scratch);
        for (i, &k) in keys.iter().enumerate() {
            let r = row(i);
            if arr.is_null(i) || d.keys().is_null(i) || r == u32::MAX || k >= cache.found.len() {
                continue;
            }
            // A value met before in this scanner has already been counted in its field's sketch
            // and offered as a sample (see `Hashed::Repeat`).
            let repeat = cache.found[k].is_some();
            if !repeat {
                scratch.clear();
                if let Some(v) = value_bytes(cache.values.as_ref(), k)
                    && !v.is_empty()
                {
                    self.rs.find(fid, v, &mut scratch);
                }
                self.dict_values_scanned += 1;
                let rs = &self.rs;
                cache.found[k] = Some(
                    scratch
                        .drain(..)
                        .map(|f| {
                            let h = rs.hash(&f);
                            (f, h)
                        })
                        .collect(),
                );
            }
            let found = cache.found[k].as_deref().unwrap_or(&[]);
            if let Some(v) = value_bytes(cache.values.as_ref(), k) {
                self.rs.count_value(fid, v, found.iter().map(|(f, _)| f));
            }
            if !found.is_empty() {
                self.hits.extend(found.iter().map(|(f, h)| {
                    let h = if repeat {
                        Hashed::Repeat(*h)
                    } else {
                        Hashed::Known(*h)
                    };
                    (r, f.clone(), h)
                }));
                self.hit_fields.resize(self.hits.len(), fid);
            }
        }
        self.scratch = scratch;
        self.dicts.insert(fid, cache);
    }
}

/// The bytes of value `i` of a string or binary array (a dictionary's values).
fn value_bytes(values: &dyn Array, i: usize) -> Option<&[u8]> {
    if values.is_null(i) {
        return None;
    }
    Some(match values.data_type() {
        DataType::Utf8 => values.as_string::<i32>().value(i).as_bytes(),
        DataType::LargeUtf8 => values.as_string::<i64>().value(i).as_bytes(),
        DataType::Binary => values.as_binary::<i32>().value(i),
        DataType::LargeBinary => values.as_binary::<i64>().value(i),
        _ => return None,
    })
}

/// For a list-like array with `offsets` (one more than its length), the row of each of its
/// `child_len` child elements; elements of null lists, or outside every list, get `u32::MAX`.
fn list_rows(
    offsets: impl Iterator<Item = usize>,
    list: &dyn Array,
    row: impl Fn(usize) -> u32,
    child_len: usize,
) -> Vec<u32> {
    let offsets: Vec<usize> = offsets.collect();
    let mut child = vec![u32::MAX; child_len];
    for i in 0..offsets.len().saturating_sub(1) {
        if list.is_null(i) {
            continue;
        }
        let r = row(i);
        let (s, e) = (offsets[i].min(child_len), offsets[i + 1].min(child_len));
        for c in &mut child[s..e.max(s)] {
            *c = r;
        }
    }
    child
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectorSet;
    use crate::sketch::SketchKey;
    use arrow_array::{DictionaryArray, StringArray, types::Int32Type};

    fn ctx_parts() -> (DetectorSet, SketchKey) {
        (DetectorSet::load(None).unwrap(), SketchKey::random())
    }

    #[test]
    fn a_dictionary_value_is_scanned_once_however_many_rows_hold_it() {
        let (set, key) = ctx_parts();
        let ctx = Ctx::for_tests(&set, &key);
        let values = StringArray::from(vec!["a@example.com", "b@example.com", "none"]);
        let keys: Vec<i32> = (0..3000).map(|i| i % 3).collect();
        let dict = DictionaryArray::<Int32Type>::try_new(keys.into(), Arc::new(values)).unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new(
            "email",
            dict.data_type().clone(),
            false,
        )]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(dict)]).unwrap();
        let mut scan = RowGroupScan::new(&ctx);
        scan.batch(&batch);
        scan.batch(&batch);
        assert_eq!(
            scan.dict_values_scanned, 3,
            "once per value, across batches"
        );
        let acc = scan.finish();
        assert_eq!(acc.records, 6000);
        assert_eq!(acc.subjects.estimate().estimate, 2);
        let email = set.index_of("email").unwrap();
        assert_eq!(acc.fields["email"][&email].matches, 4000);
    }

    #[test]
    fn dictionary_encoded_string_columns_are_read_as_dictionaries() {
        use parquet::arrow::ArrowWriter;
        let strings = StringArray::from((0..1000).map(|i| ["x", "y"][i % 2]).collect::<Vec<_>>());
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, false)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(strings)]).unwrap();
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let bytes = bytes::Bytes::from(buf);
        let meta = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()).unwrap();
        let hinted = reading_hint(&meta, &[0]).expect("the writer made a dictionary page");
        assert!(matches!(
            hinted.field(0).data_type(),
            DataType::Dictionary(_, _)
        ));
        let meta = ArrowReaderMetadata::try_new(
            meta.metadata().clone(),
            ArrowReaderOptions::new().with_schema(hinted),
        )
        .unwrap();
        let mut reader = ParquetRecordBatchReaderBuilder::new_with_metadata(bytes, meta)
            .build()
            .unwrap();
        let b = reader.next().unwrap().unwrap();
        assert!(matches!(
            b.column(0).data_type(),
            DataType::Dictionary(_, _)
        ));
    }

    /// A string column written without a dictionary is read as a view array, and its values
    /// (short ones held inline in the view, long ones in the page's buffer) are all found.
    #[test]
    fn plain_string_columns_are_read_as_views_and_scanned() {
        use parquet::arrow::ArrowWriter;
        use parquet::file::properties::WriterProperties;
        let values: Vec<String> = (0..3000)
            .map(|i| match i % 3 {
                // Scattered, as real phones are (a run of consecutive numbers is numbering).
                0 => format!("13{:09}", 800_000_000 + i * 7919),
                1 => format!("user{i}@example.com"),
                _ => format!("备注{i}"),
            })
            .collect();
        let strings = StringArray::from(values);
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, false)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(strings)]).unwrap();
        let props = WriterProperties::builder()
            .set_dictionary_enabled(false)
            .build();
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, schema, Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let bytes = bytes::Bytes::from(buf.clone());
        let meta = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()).unwrap();
        let hinted = reading_hint(&meta, &[0]).expect("a string column to hint");
        assert_eq!(hinted.field(0).data_type(), &DataType::Utf8View);
        let (set, key) = ctx_parts();
        let ctx = Ctx::for_tests(&set, &key);
        let (acc, problem) = scan(|| Ok(bytes::Bytes::from(buf.clone())), &ctx);
        assert_eq!(problem, None);
        assert_eq!(acc.records, 3000);
        let mobile = set.index_of("cn-mobile").unwrap();
        let email = set.index_of("email").unwrap();
        assert_eq!(acc.fields["s"][&mobile].matches, 1000);
        assert_eq!(acc.fields["s"][&email].matches, 1000);
    }

    #[test]
    fn row_groups_are_cut_into_parts_only_when_there_are_fewer_than_threads() {
        assert_eq!(
            parts(&[100, 100, 100], 2, 10),
            [(0, 0, 100), (1, 0, 100), (2, 0, 100)]
        );
        // One row group, two threads: four parts, covering every row once.
        assert_eq!(
            parts(&[1_000_001], 2, 1000),
            [
                (0, 0, 250_001),
                (0, 250_001, 250_001),
                (0, 500_002, 250_001),
                (0, 750_003, 249_998)
            ]
        );
        // Never below the smallest part; an empty row group is one (empty) task.
        assert_eq!(parts(&[1500, 0], 4, 1000), [(0, 0, 1500), (1, 0, 0)]);
    }

    #[test]
    fn a_row_group_scanned_in_parts_finds_what_it_finds_whole() {
        use parquet::arrow::ArrowWriter;
        use parquet::file::properties::WriterProperties;
        // One row group of 5000 rows: names (a dictionary), IDs and phones (plain), a list.
        let n = 5000usize;
        let ids: Vec<String> = (0..n)
            .map(|i| {
                let (y, m, d) = (1950 + i % 50, 1 + i / 50 % 12, 1 + i / 600 % 28);
                let body = format!("110105{y}{m:02}{d:02}{:03}", i % 1000);
                let check = crate::detect::validators::gb11643_check_char(body.as_bytes());
                format!("{body}{}", check as char)
            })
            .collect();
        let names = StringArray::from(
            (0..n)
                .map(|i| ["张伟", "王芳", "李娜"][i % 3])
                .collect::<Vec<_>>(),
        );
        let ids = StringArray::from(ids.iter().map(String::as_str).collect::<Vec<_>>());
        let phones: Vec<String> = (0..n).map(|i| format!("139{:08}", i)).collect();
        let phones = StringArray::from(phones.iter().map(String::as_str).collect::<Vec<_>>());
        let mut tags =
            arrow_array::builder::ListBuilder::new(arrow_array::builder::StringBuilder::new());
        for i in 0..n {
            tags.values()
                .append_value(format!("a{}@example.com", i % 700));
            tags.values().append_value("vip");
            tags.append(i % 11 != 0);
        }
        let tags = tags.finish();
        let schema = Arc::new(Schema::new(vec![
            Field::new("姓名", DataType::Utf8, false),
            Field::new("sfzh", DataType::Utf8, false),
            Field::new("phone", DataType::Utf8, false),
            Field::new("tags", tags.data_type().clone(), true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(names),
                Arc::new(ids),
                Arc::new(phones),
                Arc::new(tags),
            ],
        )
        .unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(n))
            .set_data_page_row_count_limit(512)
            .set_write_batch_size(512)
            .build();
        let mut buf = Vec::new();
        let mut w = ArrowWriter::try_new(&mut buf, schema, Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let bytes = bytes::Bytes::from(buf);
        let (set, key) = ctx_parts();
        let ctx = Ctx::for_tests(&set, &key);
        let open = || Ok(bytes.clone());
        let (whole, e1) = scan_inner(&open, &ctx, u64::MAX, 4);
        let (cut, e2) = scan_inner(&open, &ctx, 700, 4);
        assert_eq!((e1, e2), (None, None));
        assert_eq!(parts(&[n as u64], 4, 700).len(), 7, "cut into parts");
        assert_eq!(whole.records, n as u64);
        assert_eq!(cut.records, whole.records);
        assert_eq!(cut.unidentified_records, whole.unidentified_records);
        assert_eq!(cut.subjects.estimate(), whole.subjects.estimate());
        let est = whole.subjects.estimate();
        assert!(est.low <= n as u64 && n as u64 <= est.high, "{est:?}");
        assert_eq!(cut.field_stats, whole.field_stats);
        let summary = |a: &SourceAcc| -> Vec<(String, usize, u64, u64, Vec<String>)> {
            a.fields
                .iter()
                .flat_map(|(f, dets)| {
                    dets.iter().map(move |(d, acc)| {
                        let samples = acc.samples().map(str::to_string).collect();
                        (
                            f.clone(),
                            *d,
                            acc.matches,
                            acc.distinct.estimate().estimate,
                            samples,
                        )
                    })
                })
                .collect()
        };
        assert_eq!(summary(&cut), summary(&whole));
        assert!(summary(&whole).len() >= 4, "{:?}", summary(&whole));
    }
}
