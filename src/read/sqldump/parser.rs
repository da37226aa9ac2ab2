//! The statement tokenizer, for both dialects: `CREATE TABLE` column names, `INSERT|REPLACE`
//! tuples and their values (strings, escapes, hex and `_binary` literals), `SET` and
//! `DELIMITER`, and every other statement skipped quote- and comment-aware. COPY blocks are in
//! [`super::copy`].

use std::io::Read;

use super::lexer::{Lexer, Pos};
use super::{Dialect, MAX_VALUE, RowSink};

/// A table seen in the dump: its name as used in field names, its columns and their field ids.
pub(super) struct Table {
    key: String,
    columns: Vec<String>,
    fids: Vec<usize>,
    /// The column list of the last `INSERT … (cols)` and its field ids: pg_dump
    /// `--column-inserts` repeats the same list in every statement.
    listed: Option<(Vec<String>, Vec<usize>)>,
}

pub(super) struct Parser<'s, R, S> {
    pub(super) lx: Lexer<R>,
    pub(super) dialect: Dialect,
    /// Do backslashes escape in plain `'…'` strings?
    pub(super) backslash: bool,
    pub(super) delimiter: Vec<u8>,
    pub(super) rs: &'s mut S,
    pub(super) tables: Vec<Table>,
    /// The current row's values, back to back, and each value's (column, start, end).
    pub(super) row: Vec<u8>,
    pub(super) spans: Vec<(usize, usize, usize)>,
    /// The bare word being read (reused).
    pub(super) word_buf: Vec<u8>,
    pub(super) truncated_values: u64,
    /// The value being read hit [`MAX_VALUE`].
    pub(super) value_full: bool,
}

pub(super) type Res<T> = Result<T, String>;

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

impl<R: Read, S: RowSink> Parser<'_, R, S> {
    pub(super) fn run(&mut self) -> Res<()> {
        loop {
            self.skip_trivia();
            let Some(b) = self.lx.peek() else { break };
            let start = self.lx.here();
            match b {
                b';' => self.lx.bump(),
                // psql meta-commands (`\connect db`, `\restrict key`) are whole lines.
                b'\\' => self.lx.skip_line(),
                _ if is_word(b) => {
                    let w = self.word().to_ascii_uppercase();
                    match w.as_str() {
                        "INSERT" | "REPLACE" => self.insert(start)?,
                        "COPY" => self.copy(start)?,
                        "CREATE" => self.create(start)?,
                        "SET" => self.set(start)?,
                        "DELIMITER" => self.delimiter_line(),
                        _ => self.skip_statement(start)?,
                    }
                }
                _ => self.skip_statement(start)?,
            }
        }
        self.io_result()
    }

    fn io_result(&self) -> Res<()> {
        match &self.lx.error {
            Some(e) => Err(format!("read error at {}: {e}", self.lx.here())),
            None => Ok(()),
        }
    }

    /// An error at the current position, keeping an I/O error (e.g. a truncated gzip stream)
    /// as the cause when there is one.
    pub(super) fn fail(&self, what: String) -> String {
        match &self.lx.error {
            Some(e) => format!("{what}: the input could not be read further: {e}"),
            None => what,
        }
    }

    /// Skips blanks and comments.
    #[inline]
    fn skip_trivia(&mut self) {
        // Between the rows of an extended INSERT there is usually nothing to skip.
        if self.lx.pos < self.lx.end
            && !matches!(
                self.lx.buf[self.lx.pos],
                b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'-' | b'#' | b'/' | 0xEF
            )
        {
            return;
        }
        self.skip_trivia_slow();
    }

    fn skip_trivia_slow(&mut self) {
        while let Some(b) = self.lx.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0c => self.lx.bump(),
                b'-' if self.lx.peek2() == Some(b'-') => self.lx.skip_line(),
                b'#' if self.dialect == Dialect::MySql => self.lx.skip_line(),
                b'/' if self.lx.peek2() == Some(b'*') => {
                    self.lx.pos += 2;
                    self.skip_block_comment();
                }
                0xEF if self.lx.lookahead(3) == b"\xEF\xBB\xBF" => self.lx.pos += 3,
                _ => return,
            }
        }
    }

    fn skip_block_comment(&mut self) {
        loop {
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            if let Some(i) = memchr::memchr(b'*', avail) {
                self.lx.pos += i + 1;
                if self.lx.peek() == Some(b'/') {
                    self.lx.bump();
                    return;
                }
            } else {
                self.lx.pos = self.lx.end;
                if !self.lx.fill() {
                    return;
                }
            }
        }
    }

    /// A bare word (identifier or keyword).
    fn word(&mut self) -> String {
        let mut w = Vec::new();
        while let Some(b) = self.lx.peek() {
            if !is_word(b) {
                break;
            }
            w.push(b);
            self.lx.bump();
        }
        String::from_utf8_lossy(&w).into_owned()
    }

    /// Reads the keyword at the current position if it is `kw` (case-insensitive).
    pub(super) fn keyword(&mut self, kw: &str) -> bool {
        self.skip_trivia();
        let n = kw.len();
        let la = self.lx.lookahead(n + 1);
        if la.len() >= n
            && la[..n].eq_ignore_ascii_case(kw.as_bytes())
            && la.get(n).is_none_or(|&b| !is_word(b))
        {
            self.lx.pos += n;
            return true;
        }
        false
    }

    /// One identifier: bare, `` `quoted` ``, `"quoted"` or `[quoted]`.
    fn ident(&mut self) -> Option<String> {
        self.skip_trivia();
        let close = match self.lx.peek()? {
            b'`' => b'`',
            b'"' => b'"',
            b'[' => b']',
            b if is_word(b) => return Some(self.word()),
            _ => return None,
        };
        self.lx.bump();
        let mut out = Vec::new();
        loop {
            let b = self.lx.peek()?;
            self.lx.bump();
            if b == close {
                // A doubled closing quote stands for itself.
                if close != b']' && self.lx.peek() == Some(close) {
                    self.lx.bump();
                    out.push(close);
                    continue;
                }
                break;
            }
            out.push(b);
            if out.len() > 4096 {
                return None;
            }
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    /// A possibly qualified name (`db.table`, `"public"."t"`), as its parts.
    pub(super) fn name(&mut self) -> Option<Vec<String>> {
        let mut parts = vec![self.ident()?];
        loop {
            self.skip_trivia();
            if self.lx.peek() != Some(b'.') {
                return Some(parts);
            }
            self.lx.bump();
            parts.push(self.ident()?);
        }
    }

    /// `(a, b, c)`: a list of identifiers.
    pub(super) fn column_list(&mut self) -> Option<Vec<String>> {
        self.skip_trivia();
        if self.lx.peek() != Some(b'(') {
            return None;
        }
        self.lx.bump();
        let mut cols = Vec::new();
        loop {
            cols.push(self.ident()?);
            self.skip_trivia();
            match self.lx.peek()? {
                b',' => self.lx.bump(),
                b')' => {
                    self.lx.bump();
                    return Some(cols);
                }
                _ => return None,
            }
        }
    }

    /// The table key used in field names: the name without a `public` schema.
    pub(super) fn table_key(parts: &[String]) -> String {
        match parts {
            [schema, rest @ ..] if !rest.is_empty() && schema.eq_ignore_ascii_case("public") => {
                rest.join(".")
            }
            _ => parts.join("."),
        }
    }

    pub(super) fn table_index(&mut self, key: &str) -> usize {
        if let Some(i) = self.tables.iter().position(|t| t.key == key) {
            return i;
        }
        self.tables.push(Table {
            key: key.to_string(),
            columns: Vec::new(),
            fids: Vec::new(),
            listed: None,
        });
        self.tables.len() - 1
    }

    /// Field ids for a statement's columns: the listed ones, else the table's known columns,
    /// else `table.column N`, registered as values come.
    pub(super) fn statement_fids(&mut self, t: usize, listed: Option<&[String]>) -> Vec<usize> {
        let table = &self.tables[t];
        if let (Some(l), Some((cached, fids))) = (listed, &table.listed)
            && l == cached.as_slice()
        {
            return fids.clone();
        }
        let cols: Vec<String> = match listed {
            Some(c) => c.to_vec(),
            None => table.columns.clone(),
        };
        if listed.is_none() && !table.fids.is_empty() {
            return table.fids.clone();
        }
        let key = table.key.clone();
        let fids: Vec<usize> = cols
            .iter()
            .map(|c| self.rs.field(&format!("{key}.{c}"), c))
            .collect();
        match listed {
            None => self.tables[t].fids = fids.clone(),
            Some(l) => self.tables[t].listed = Some((l.to_vec(), fids.clone())),
        }
        fids
    }

    fn extra_fid(&mut self, t: usize, i: usize) -> usize {
        let key = &self.tables[t].key;
        let header = format!("column {}", i + 1);
        let name = format!("{key}.{header}");
        self.rs.field(&name, &header)
    }

    /// `SET standard_conforming_strings = off` turns on backslash escapes in PostgreSQL strings.
    fn set(&mut self, start: Pos) -> Res<()> {
        if self.dialect == Dialect::Postgres && self.keyword("standard_conforming_strings") {
            self.skip_trivia();
            if matches!(self.lx.peek(), Some(b'=')) {
                self.lx.bump();
            } else {
                self.keyword("TO");
            }
            self.skip_trivia();
            let quoted = self.lx.peek() == Some(b'\'');
            if quoted {
                self.lx.bump();
            }
            let v = self.word().to_ascii_lowercase();
            self.backslash = v == "off" || v == "false";
        }
        self.skip_statement(start)
    }

    /// `DELIMITER ;;` (mysql client): the rest of the line is the new statement terminator.
    fn delimiter_line(&mut self) {
        let mut line = Vec::new();
        self.lx.read_line(&mut line, 64);
        let d: Vec<u8> = line.trim_ascii().to_vec();
        if !d.is_empty() {
            self.delimiter = d;
        }
    }

    /// `CREATE [TEMPORARY|UNLOGGED|…] TABLE [IF NOT EXISTS] name (columns…)`.
    fn create(&mut self, start: Pos) -> Res<()> {
        loop {
            self.skip_trivia();
            match self.lx.peek() {
                Some(b) if is_word(b) => {}
                _ => return self.skip_statement(start),
            }
            let w = self.word().to_ascii_uppercase();
            match w.as_str() {
                "TABLE" => break,
                "TEMPORARY" | "TEMP" | "UNLOGGED" | "GLOBAL" | "LOCAL" | "OR" | "REPLACE" => {}
                _ => return self.skip_statement(start),
            }
        }
        if self.keyword("IF") {
            self.keyword("NOT");
            self.keyword("EXISTS");
        }
        let Some(parts) = self.name() else {
            return self.skip_statement(start);
        };
        self.skip_trivia();
        if self.lx.peek() != Some(b'(') {
            return self.skip_statement(start);
        }
        self.lx.bump();
        let mut columns = Vec::new();
        loop {
            self.skip_trivia();
            let quoted = matches!(self.lx.peek(), Some(b'`' | b'"' | b'['));
            if let Some(id) = self.ident() {
                const NOT_COLUMNS: &[&str] = &[
                    "CONSTRAINT",
                    "PRIMARY",
                    "UNIQUE",
                    "FOREIGN",
                    "CHECK",
                    "FULLTEXT",
                    "SPATIAL",
                    "EXCLUDE",
                    "LIKE",
                    "PERIOD",
                ];
                let upper = id.to_ascii_uppercase();
                let index = matches!(upper.as_str(), "KEY" | "INDEX")
                    && looks_like_index(self.lx.lookahead(512));
                if quoted || !(NOT_COLUMNS.contains(&upper.as_str()) || index) {
                    columns.push(id);
                }
            }
            match self.skip_expr()? {
                Some(b',') => self.lx.bump(),
                Some(b')') => {
                    self.lx.bump();
                    break;
                }
                _ => {
                    return Err(self.fail(format!(
                        "CREATE TABLE starting at {start} is not terminated (stopped at {})",
                        self.lx.here()
                    )));
                }
            }
        }
        let key = Self::table_key(&parts);
        let t = self.table_index(&key);
        self.tables[t].columns = columns;
        self.tables[t].fids.clear();
        self.skip_statement(start)
    }

    /// Skips an expression up to a top-level `,`, `)` or statement end, which is left unread
    /// and returned (`None` at the end of the input).
    fn skip_expr(&mut self) -> Res<Option<u8>> {
        let mut depth = 0usize;
        loop {
            self.skip_trivia();
            let Some(b) = self.lx.peek() else {
                return Ok(None);
            };
            match b {
                b'(' => depth += 1,
                b')' if depth == 0 => return Ok(Some(b)),
                b')' => depth -= 1,
                b',' if depth == 0 => return Ok(Some(b)),
                b';' if depth == 0 => return Ok(Some(b)),
                b'\'' | b'"' | b'`' => {
                    let at = self.lx.here();
                    if !self.skip_quoted(b) {
                        return Err(self.unterminated(at, "quoted text"));
                    }
                    continue;
                }
                b'$' if self.dialect == Dialect::Postgres => {
                    let at = self.lx.here();
                    if !self.skip_dollar() {
                        return Err(self.unterminated(at, "dollar-quoted text"));
                    }
                    continue;
                }
                _ => {}
            }
            self.lx.bump();
        }
    }

    fn unterminated(&self, at: Pos, what: &str) -> String {
        self.fail(format!(
            "unterminated {what} starting at {at}: the dump ends at {} inside it",
            self.lx.here()
        ))
    }

    /// Skips to the end of the current statement (its terminator included).
    pub(super) fn skip_statement(&mut self, start: Pos) -> Res<()> {
        if self.delimiter != b";" {
            return self.skip_to_delimiter(start);
        }
        loop {
            match self.skip_expr()? {
                Some(b';') => {
                    self.lx.bump();
                    return Ok(());
                }
                Some(_) => self.lx.bump(),
                None => return Ok(()),
            }
        }
    }

    /// After `DELIMITER ;;`: skips to the custom terminator, quote-aware.
    fn skip_to_delimiter(&mut self, _start: Pos) -> Res<()> {
        let d = self.delimiter.clone();
        loop {
            let Some(b) = self.lx.peek() else {
                return Ok(());
            };
            if b == d[0] && self.lx.lookahead(d.len()) == d.as_slice() {
                self.lx.pos += d.len();
                return Ok(());
            }
            match b {
                b'\'' | b'"' | b'`' => {
                    let at = self.lx.here();
                    if !self.skip_quoted(b) {
                        return Err(self.unterminated(at, "quoted text"));
                    }
                }
                b'-' if self.lx.peek2() == Some(b'-') => self.lx.skip_line(),
                b'/' if self.lx.peek2() == Some(b'*') => {
                    self.lx.pos += 2;
                    self.skip_block_comment();
                }
                _ => self.lx.bump(),
            }
        }
    }

    /// Skips a quoted string or identifier opening at the current byte `q`; false if the input
    /// ends inside it.
    fn skip_quoted(&mut self, q: u8) -> bool {
        let backslash = q != b'`' && self.backslash;
        self.lx.bump();
        loop {
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            let hit = if backslash {
                memchr::memchr2(q, b'\\', avail)
            } else {
                memchr::memchr(q, avail)
            };
            match hit {
                Some(i) => {
                    let b = avail[i];
                    self.lx.pos += i + 1;
                    if b == b'\\' {
                        if self.lx.peek().is_none() {
                            return false;
                        }
                        self.lx.bump();
                    } else if self.lx.peek() == Some(q) {
                        self.lx.bump();
                    } else {
                        return true;
                    }
                }
                None => {
                    self.lx.pos = self.lx.end;
                    if !self.lx.fill() {
                        return false;
                    }
                }
            }
        }
    }

    /// Skips `$tag$ … $tag$` at the current `$`; a `$` that does not open one (`$1`) is just
    /// stepped over. False if the input ends inside the quoted text.
    fn skip_dollar(&mut self) -> bool {
        let la = self.lx.lookahead(256);
        let tag_len = la[1..]
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80));
        let opener = match tag_len {
            Some(n)
                if la.get(1 + n) == Some(&b'$') && !la.get(1).is_some_and(u8::is_ascii_digit) =>
            {
                la[..n + 2].to_vec()
            }
            _ => {
                self.lx.bump();
                return true;
            }
        };
        self.lx.pos += opener.len();
        loop {
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            match memchr::memchr(b'$', avail) {
                Some(i) => {
                    self.lx.pos += i;
                    if self.lx.lookahead(opener.len()) == opener.as_slice() {
                        self.lx.pos += opener.len();
                        return true;
                    }
                    self.lx.bump();
                }
                None => {
                    self.lx.pos = self.lx.end;
                    if !self.lx.fill() {
                        return false;
                    }
                }
            }
        }
    }

    /// `INSERT [IGNORE] [INTO] name [(cols)] VALUES (…), (…) [ON …];`
    fn insert(&mut self, start: Pos) -> Res<()> {
        for kw in ["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE"] {
            self.keyword(kw);
        }
        self.keyword("INTO");
        let Some(parts) = self.name() else {
            return self.skip_statement(start);
        };
        let key = Self::table_key(&parts);
        let t = self.table_index(&key);
        let listed = self.column_list();
        if !self.keyword("VALUES") && !self.keyword("VALUE") {
            // INSERT … SELECT, INSERT … SET, DEFAULT VALUES: no literal rows.
            return self.skip_statement(start);
        }
        let mut fids = self.statement_fids(t, listed.as_deref());
        let mut rows = 0u64;
        loop {
            self.skip_trivia();
            match self.lx.peek() {
                Some(b'(') => {
                    self.lx.bump();
                    self.tuple(&key, rows, start)?;
                    self.emit_row(t, &mut fids);
                    rows += 1;
                }
                Some(_) => {
                    return Err(self.fail(format!(
                        "INSERT INTO {key} starting at {start}: expected a row `(…)` at {}",
                        self.lx.here()
                    )));
                }
                None => {
                    return Err(self.fail(format!(
                        "INSERT INTO {key} starting at {start} is cut off: the dump ends at {} \
                         after {rows} row(s) of it",
                        self.lx.here()
                    )));
                }
            }
            self.skip_trivia();
            match self.lx.peek() {
                Some(b',') => self.lx.bump(),
                // `;`, a custom delimiter, or `ON DUPLICATE KEY …` / `ON CONFLICT …` / `RETURNING`.
                Some(_) => return self.skip_statement(start),
                None => return Ok(()),
            }
        }
    }

    /// Reads the values of one tuple, after its `(`, into `row`/`spans`, up to its `)`.
    fn tuple(&mut self, table: &str, row_no: u64, start: Pos) -> Res<()> {
        self.row.clear();
        self.spans.clear();
        let mut col = 0usize;
        let mut depth = 0usize;
        let mut value_start = 0usize;
        loop {
            let Some(b) = self.lx.peek() else {
                return Err(self.fail(format!(
                    "INSERT INTO {table} starting at {start} is cut off inside row {} of it: the \
                     dump ends at {}",
                    row_no + 1,
                    self.lx.here()
                )));
            };
            match b {
                b'\'' => {
                    self.lx.mark();
                    let backslash = self.backslash;
                    self.lx.bump();
                    if !self.string(b'\'', backslash) {
                        return Err(self.unterminated_value(table, row_no));
                    }
                    // A value is usually followed by its `,` or the row's `)`: taken here,
                    // without another trip through this match.
                    if depth == 0 && self.lx.pos < self.lx.end {
                        match self.lx.buf[self.lx.pos] {
                            b',' => {
                                self.lx.bump();
                                self.close_value(col, value_start);
                                col += 1;
                                value_start = self.row.len();
                            }
                            b')' => {
                                self.lx.bump();
                                self.close_value(col, value_start);
                                return Ok(());
                            }
                            _ => {}
                        }
                    }
                }
                b'"' if self.dialect == Dialect::MySql => {
                    self.lx.mark();
                    self.lx.bump();
                    if !self.string(b'"', true) {
                        return Err(self.unterminated_value(table, row_no));
                    }
                }
                b',' if depth == 0 => {
                    self.lx.bump();
                    self.close_value(col, value_start);
                    col += 1;
                    value_start = self.row.len();
                }
                b')' if depth == 0 => {
                    self.lx.bump();
                    self.close_value(col, value_start);
                    return Ok(());
                }
                b'(' => {
                    depth += 1;
                    self.lx.bump();
                }
                b')' => {
                    depth -= 1;
                    self.lx.bump();
                }
                b'0' if matches!(self.lx.peek2(), Some(b'x' | b'X')) => {
                    self.lx.pos += 2;
                    self.hex_digits(None);
                }
                b'-' if self.lx.peek2() == Some(b'-') => self.lx.skip_line(),
                b'/' if self.lx.peek2() == Some(b'*') => {
                    self.lx.pos += 2;
                    self.skip_block_comment();
                }
                b':' if self.lx.peek2() == Some(b':') => {
                    // PostgreSQL cast `'…'::type`: the type name is not data.
                    self.lx.pos += 2;
                    self.skip_trivia();
                    self.word();
                }
                b' ' | b'\t' | b'\n' | b'\r' => self.lx.bump(),
                _ if is_word(b) || b == b'-' || b == b'+' || b == b'.' => {
                    self.lx.mark();
                    self.bare(table, row_no)?;
                }
                _ => self.lx.bump(),
            }
        }
    }

    /// An unterminated string in a row, which started at the [`Lexer::mark`]ed position.
    fn unterminated_value(&self, table: &str, row_no: u64) -> String {
        let at = self.lx.marked();
        self.fail(format!(
            "unterminated string in row {} of INSERT INTO {table}, starting at {at}: the dump \
             ends at {} inside it",
            row_no + 1,
            self.lx.here()
        ))
    }

    /// A bare token in a tuple: a number, `NULL`, or a word that introduces a literal
    /// (`N'…'`, `_binary'…'`, `E'…'`, `X'…'`, `B'…'`).
    fn bare(&mut self, table: &str, row_no: u64) -> Res<()> {
        // The word goes through a reused buffer: numbers are most of a dump's bare tokens.
        let mut w = std::mem::take(&mut self.word_buf);
        self.word_or_number(&mut w);
        let r = self.bare_word(&w, table, row_no);
        self.word_buf = w;
        r
    }

    fn bare_word(&mut self, w: &[u8], table: &str, row_no: u64) -> Res<()> {
        // An introducer may be separated from its literal by blanks (`_binary '…'`).
        let introducer = w.starts_with(b"_")
            || matches!(w, b"N" | b"n" | b"E" | b"e" | b"X" | b"x" | b"B" | b"b");
        if introducer {
            while matches!(self.lx.peek(), Some(b' ' | b'\t')) {
                self.lx.bump();
            }
        }
        if self.lx.peek() == Some(b'\'') && introducer {
            self.lx.bump();
            let ok = match w {
                b"X" | b"x" => self.hex_digits(Some(b'\'')),
                b"B" | b"b" => self.skip_quoted_rest(b'\''),
                b"E" | b"e" => self.string(b'\'', true),
                _ => self.string(b'\'', self.backslash),
            };
            if !ok {
                return Err(self.unterminated_value(table, row_no));
            }
            return Ok(());
        }
        let keyword = |k: &[u8]| w.eq_ignore_ascii_case(k);
        if !(keyword(b"NULL") || keyword(b"DEFAULT") || keyword(b"TRUE") || keyword(b"FALSE")) {
            // A word cut inside a character (at 257 bytes) is kept as valid UTF-8.
            match std::str::from_utf8(w) {
                Ok(_) => self.push_value_bytes(w),
                Err(_) => self.push_value_bytes(String::from_utf8_lossy(w).as_bytes()),
            }
        }
        Ok(())
    }

    /// A word or number (digits, signs, dots, exponents) into `w`, at most 257 bytes of it.
    fn word_or_number(&mut self, w: &mut Vec<u8>) {
        w.clear();
        loop {
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            let mut i = 0;
            while i < avail.len() {
                let b = avail[i];
                let sign = (b == b'-' || b == b'+') && w.len() + i == 0;
                if !(is_word(b) || b == b'.' || sign) {
                    break;
                }
                i += 1;
                if w.len() + i > 256 {
                    break;
                }
            }
            w.extend_from_slice(&avail[..i]);
            self.lx.pos += i;
            if i < avail.len() || w.len() > 256 || !self.lx.fill() {
                return;
            }
        }
    }

    /// Skips the rest of a quoted literal whose opening quote was read.
    fn skip_quoted_rest(&mut self, q: u8) -> bool {
        loop {
            match self.lx.peek() {
                None => return false,
                Some(b) if b == q => {
                    self.lx.bump();
                    return true;
                }
                Some(_) => self.lx.bump(),
            }
        }
    }

    /// Hex digits decoded to bytes into the current value; stops at the first non-hex byte, which
    /// must be `close` when given (consumed). False if `close` was expected but not found.
    fn hex_digits(&mut self, close: Option<u8>) -> bool {
        let mut hi: Option<u8> = None;
        loop {
            if self.lx.pos == self.lx.end && !self.lx.fill() {
                return close.is_none();
            }
            // Decode the run in the buffer at once.
            let mut room = MAX_VALUE.saturating_sub(self.row.len() - self.current_value_start());
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            let mut i = 0;
            while i < avail.len() {
                let Some(v) = hex_value(avail[i]) else { break };
                i += 1;
                match hi.take() {
                    Some(h) if room > 0 => {
                        self.row.push(h << 4 | v);
                        room -= 1;
                    }
                    Some(_) => self.value_full = true,
                    None => hi = Some(v),
                }
            }
            self.lx.pos += i;
            if i < avail.len() {
                let b = avail[i];
                if close == Some(b) {
                    self.lx.bump();
                    return true;
                }
                return close.is_none();
            }
        }
    }

    fn push_value_bytes(&mut self, bytes: &[u8]) {
        let room = MAX_VALUE.saturating_sub(self.row.len() - self.current_value_start());
        if bytes.len() > room {
            self.row.extend_from_slice(&bytes[..room]);
            self.mark_truncated();
        } else {
            self.row.extend_from_slice(bytes);
        }
    }

    fn current_value_start(&self) -> usize {
        self.spans.last().map_or(0, |s| s.2)
    }

    fn mark_truncated(&mut self) {
        self.value_full = true;
    }

    /// Reads a string whose opening quote `q` was consumed, decoding escapes into the current
    /// value. False if the input ends inside it.
    fn string(&mut self, q: u8, backslash: bool) -> bool {
        loop {
            let avail = &self.lx.buf[self.lx.pos..self.lx.end];
            let hit = if backslash {
                memchr::memchr2(q, b'\\', avail)
            } else {
                memchr::memchr(q, avail)
            };
            let take = hit.unwrap_or(avail.len());
            // Copy the run before the quote/backslash, within the value's limit.
            let room = MAX_VALUE.saturating_sub(self.row.len() - self.current_value_start());
            let n = take.min(room);
            self.row
                .extend_from_slice(&self.lx.buf[self.lx.pos..self.lx.pos + n]);
            if n < take {
                self.mark_truncated();
            }
            self.lx.pos += take;
            if hit.is_none() {
                if !self.lx.fill() {
                    return false;
                }
                continue;
            }
            let b = self.lx.buf[self.lx.pos];
            self.lx.bump();
            if b == q {
                if self.lx.peek() == Some(q) {
                    self.lx.bump();
                    self.push_value_bytes(&[q]);
                    continue;
                }
                return true;
            }
            // Backslash escape.
            let Some(e) = self.lx.peek() else {
                return false;
            };
            self.lx.bump();
            let out = match e {
                b'0' => 0,
                b'b' => 8,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'Z' => 26,
                b'f' => 12,
                b'v' => 11,
                // `\%` and `\_` keep their backslash in MySQL; other escapes are the byte itself.
                b'%' | b'_' if self.dialect == Dialect::MySql => {
                    self.push_value_bytes(b"\\");
                    e
                }
                other => other,
            };
            self.push_value_bytes(&[out]);
        }
    }

    fn close_value(&mut self, col: usize, start: usize) {
        self.spans.push((col, start, self.row.len()));
        if std::mem::take(&mut self.value_full) {
            self.truncated_values += 1;
        }
    }

    /// Hands the current row to the detectors as one record.
    pub(super) fn emit_row(&mut self, t: usize, fids: &mut Vec<usize>) {
        // Rows wider than the known columns get `table.column N` fields.
        while fids.len() < self.spans.len() {
            let col = fids.len();
            fids.push(self.extra_fid(t, col));
        }
        self.rs.row_spans(
            &self.row,
            self.spans.iter().map(|&(col, s, e)| (fids[col], s, e)),
        );
    }
}

/// After a `KEY` / `INDEX` at the start of a CREATE TABLE element: is it an index definition
/// (`KEY (a)`, `KEY name (a)`, `KEY name USING btree (a)`) rather than a column named `key`?
fn looks_like_index(la: &[u8]) -> bool {
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < la.len() && la[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if la.get(i) == Some(&b'(') {
        return true;
    }
    // An index name, quoted or bare.
    match la.get(i) {
        Some(b'`' | b'"') => {
            let q = la[i];
            i += 1;
            while i < la.len() && la[i] != q {
                i += 1;
            }
            i += 1;
        }
        _ => {
            while i < la.len() && is_word(la[i]) {
                i += 1;
            }
        }
    }
    skip_ws(&mut i);
    if la.get(i) == Some(&b'(') {
        // `key varchar(3)`: a type's parentheses hold a length, an index's hold column names.
        i += 1;
        skip_ws(&mut i);
        return !la.get(i).is_some_and(u8::is_ascii_digit);
    }
    la[i.min(la.len())..]
        .to_ascii_uppercase()
        .starts_with(b"USING")
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
