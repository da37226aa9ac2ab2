//! pg_dump's `COPY name (cols) FROM stdin;` blocks: the data lines up to `\.`, split into
//! values with COPY's text-format escapes and `\N` decoded.

use std::io::Read;

use super::MAX_VALUE;
use super::lexer::Pos;
use super::parser::{Parser, Res};
use super::sink::RowSink;

impl<R: Read, S: RowSink> Parser<'_, R, S> {
    /// `COPY name [(cols)] FROM stdin;` and its data lines up to `\.`.
    pub(super) fn copy(&mut self, start: Pos) -> Res<()> {
        let Some(parts) = self.name() else {
            return self.skip_statement(start);
        };
        let key = Self::table_key(&parts);
        let listed = self.column_list();
        if !self.keyword("FROM") || !self.keyword("stdin") {
            // COPY … TO, or FROM a server-side file: no data in the dump.
            return self.skip_statement(start);
        }
        // Options (`WITH (FORMAT csv)`) are rare in dumps; pg_dump always writes text format.
        let mut rest = Vec::new();
        self.lx.read_line(&mut rest, 4096);
        let csv = String::from_utf8_lossy(&rest)
            .to_ascii_lowercase()
            .contains("csv");
        let t = self.table_index(&key);
        let mut fids = self.statement_fids(t, listed.as_deref());
        let mut line = Vec::new();
        let mut rows = 0u64;
        loop {
            // A line that is whole in the buffer is split from there, without copying it first.
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            if let Some(i) = memchr::memchr(b'\n', avail)
                && i <= MAX_VALUE
            {
                let l = &avail[..i];
                let l = l.strip_suffix(b"\r").unwrap_or(l);
                if l == b"\\." {
                    self.lx.pos += i + 1;
                    return Ok(());
                }
                split_copy_line(l, csv, &mut self.row, &mut self.spans);
                self.lx.pos += i + 1;
                self.emit_row(t, &mut fids);
                rows += 1;
                continue;
            }
            line.clear();
            let complete = self.lx.read_line(&mut line, MAX_VALUE);
            if complete && line == b"\\." {
                return Ok(());
            }
            if !complete && line.is_empty() {
                return Err(self.fail(format!(
                    "COPY {key} starting at {start} has no end marker `\\.`: the dump ends at {} \
                     after {rows} row(s) of it",
                    self.lx.here()
                )));
            }
            if !complete && line == b"\\." {
                return Ok(());
            }
            split_copy_line(&line, csv, &mut self.row, &mut self.spans);
            self.emit_row(t, &mut fids);
            rows += 1;
            if !complete {
                return Err(self.fail(format!(
                    "COPY {key} starting at {start} has no end marker `\\.`: the dump ends at {} \
                     in row {rows} of it (rows before it were scanned)",
                    self.lx.here()
                )));
            }
        }
    }
}

/// Splits a COPY text-format line into values (into `row`, each value's (column, start, end)
/// into `spans`), decoding `\N` and backslash escapes.
fn split_copy_line(
    line: &[u8],
    csv: bool,
    row: &mut Vec<u8>,
    spans: &mut Vec<(usize, usize, usize)>,
) {
    row.clear();
    spans.clear();
    if csv {
        for (col, field) in line.split(|&b| b == b',').enumerate() {
            let start = row.len();
            if field != b"\\N" {
                let f = field
                    .strip_prefix(b"\"")
                    .and_then(|f| f.strip_suffix(b"\""))
                    .unwrap_or(field);
                row.extend_from_slice(f);
            }
            spans.push((col, start, row.len()));
        }
        return;
    }
    // Every tab ends a field (an escaped tab is written `\t`); a backslash anywhere in a field
    // means it has escapes to decode.
    let mut col = 0;
    let mut from = 0;
    let mut escaped = false;
    for i in memchr::memchr2_iter(b'\t', b'\\', line) {
        if line[i] == b'\\' {
            escaped = true;
            continue;
        }
        copy_field(&line[from..i], escaped, col, row, spans);
        col += 1;
        from = i + 1;
        escaped = false;
    }
    copy_field(&line[from..], escaped, col, row, spans);
}

/// One field of a COPY text-format line (`escaped`: it holds a backslash).
#[inline]
fn copy_field(
    field: &[u8],
    escaped: bool,
    col: usize,
    row: &mut Vec<u8>,
    spans: &mut Vec<(usize, usize, usize)>,
) {
    let start = row.len();
    if escaped {
        if field != b"\\N" {
            unescape_copy(field, row);
        }
    } else {
        row.extend_from_slice(field);
    }
    spans.push((col, start, row.len()));
}

/// COPY text format escapes: `\b \f \n \r \t \v`, `\ooo` octal, `\xhh` hex, else the byte itself.
fn unescape_copy(field: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < field.len() {
        // The run up to the next backslash as it is.
        let Some(k) = memchr::memchr(b'\\', &field[i..]) else {
            out.extend_from_slice(&field[i..]);
            return;
        };
        out.extend_from_slice(&field[i..i + k]);
        i += k;
        if i + 1 == field.len() {
            out.push(b'\\');
            return;
        }
        let e = field[i + 1];
        i += 2;
        match e {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                let mut k = 0;
                while k < 2 && i < field.len() && (b'0'..=b'7').contains(&field[i]) {
                    v = v * 8 + u32::from(field[i] - b'0');
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            b'x' => {
                let mut v = 0u32;
                let mut k = 0;
                while k < 2 && i < field.len() && field[i].is_ascii_hexdigit() {
                    v = v * 16 + (field[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            other => out.push(other),
        }
    }
}
