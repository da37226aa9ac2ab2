//! Writes the decompression bombs `scripts/memory-budget.sh` scans under a 1 GiB address-space
//! limit, into the folder given (default `bombs`). Each is small on disk and declares or
//! expands to gigabytes:
//!
//! - `zeros.zip`: one 2 GiB member of zeros, deflated (about 2 MiB);
//! - `zeros.csv.gz`: 2 GiB of zeros, gzip (about 2 MiB);
//! - `huge-sheet.xlsx`: a workbook whose sheet XML is 2 GiB of rows (about 6 MiB);
//! - `page-bomb.parquet`: a Parquet file whose data page header declares 2 GiB uncompressed
//!   while its footer declares 130 MiB (the parquet crate allocates what a page header says);
//! - `footer-bomb.parquet`: a Parquet file whose footer declares 200 MiB of zstd strings.
//!
//! ```sh
//! cargo run --release --example gen_bombs -- /tmp/bombs
//! ```

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};

const MIB: usize = 1 << 20;

fn main() -> std::io::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "bombs".into());
    let out = Path::new(&out);
    std::fs::create_dir_all(out)?;
    let zeros = vec![0u8; MIB];

    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let mut z = zip::ZipWriter::new(std::fs::File::create(out.join("zeros.zip"))?);
    z.start_file("zeros.csv", deflated)?;
    for _ in 0..2048 {
        z.write_all(&zeros)?;
    }
    z.finish()?;

    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(out.join("zeros.csv.gz"))?,
        flate2::Compression::default(),
    );
    for _ in 0..2048 {
        gz.write_all(&zeros)?;
    }
    gz.finish()?;

    huge_sheet(&out.join("huge-sheet.xlsx"), deflated)?;
    page_bomb(&out.join("page-bomb.parquet"))?;
    footer_bomb(&out.join("footer-bomb.parquet"))?;
    for e in std::fs::read_dir(out)? {
        let e = e?;
        println!("{:>12} {}", e.metadata()?.len(), e.path().display());
    }
    Ok(())
}

/// A minimal workbook whose one sheet holds 2 GiB of XML rows.
fn huge_sheet(path: &Path, opts: zip::write::SimpleFileOptions) -> std::io::Result<()> {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path)?);
    let parts: [(&str, &str); 4] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, body) in parts {
        z.start_file(name, opts)?;
        z.write_all(body.as_bytes())?;
    }
    z.start_file("xl/worksheets/sheet1.xml", opts)?;
    z.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    )?;
    let row = r#"<row><c t="inlineStr"><is><t>customer</t></is></c><c t="inlineStr"><is><t>note</t></is></c></row>"#;
    let block = row.repeat(MIB / row.len());
    let mut written = 0;
    while written < 2048 * MIB {
        z.write_all(block.as_bytes())?;
        written += block.len();
    }
    z.write_all(b"</sheetData></worksheet>")?;
    z.finish()?;
    Ok(())
}

/// One zstd string column whose single data page holds a 130 MiB value, next to 1 MiB of
/// random text (so that the file's allowance, 1000 times its size, passes what the footer
/// declares); the page header's uncompressed size is then patched to 2^31 - 1, in the same five
/// bytes, so that only the page header lies.
fn page_bomb(path: &Path) -> std::io::Result<()> {
    let big = "a".repeat(130 * MIB);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let noise: String = (0..MIB)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            char::from(b'a' + (seed % 26) as u8)
        })
        .collect();
    let note: ArrayRef = Arc::new(StringArray::from(vec![big.as_str()]));
    let pad: ArrayRef = Arc::new(StringArray::from(vec![noise.as_str()]));
    let batch = RecordBatch::try_from_iter([("note", note), ("pad", pad)]).unwrap();
    let bytes = write_parquet(&batch)?;
    let meta = SerializedFileReader::new(bytes::Bytes::from(bytes.clone()))
        .map_err(std::io::Error::other)?
        .metadata()
        .row_group(0)
        .column(0)
        .clone();
    let at = meta.data_page_offset() as usize;
    let mut bytes = bytes;
    // PageHeader: 0x15 (field 1, i32) type, 0x15 (field 2, i32) then the zigzag varint.
    assert_eq!((bytes[at], bytes[at + 2]), (0x15, 0x15), "a page header");
    let start = at + 3;
    let len = 1 + bytes[start..]
        .iter()
        .take_while(|&&b| b & 0x80 != 0)
        .count();
    assert_eq!(len, 5, "a five-byte varint");
    let mut z = ((i32::MAX as u32) << 1) as u64;
    for (k, b) in bytes[start..start + 5].iter_mut().enumerate() {
        *b = (z & 0x7f) as u8 | if k < 4 { 0x80 } else { 0 };
        z >>= 7;
    }
    std::fs::write(path, bytes)
}

/// One 200 MiB string: the footer declares 200 MiB uncompressed for a few KiB on disk, past
/// the 64 MiB such a file may expand to. (The Apache test suite's
/// `large_string_map.brotli.parquet` in the shared corpus declares 2 GiB.)
fn footer_bomb(path: &Path) -> std::io::Result<()> {
    let big = "a".repeat(200 * MIB);
    let col: ArrayRef = Arc::new(StringArray::from(vec![big.as_str()]));
    let batch = RecordBatch::try_from_iter([("note", col)]).unwrap();
    std::fs::write(path, write_parquet(&batch)?)
}

fn write_parquet(batch: &RecordBatch) -> std::io::Result<Vec<u8>> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap()))
        .set_dictionary_enabled(false)
        .build();
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, batch.schema(), Some(props))
        .map_err(std::io::Error::other)?;
    w.write(batch).map_err(std::io::Error::other)?;
    w.close().map_err(std::io::Error::other)?;
    Ok(buf)
}
