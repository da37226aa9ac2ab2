//! The byte stream under the tokenizer: a fixed buffer over the dump that knows the line and
//! byte offset of every position, for messages.

use std::cell::Cell;
use std::io::{self, Read};

use super::BUF;

/// A buffered byte stream that knows the line and byte offset of every position.
pub(super) struct Lexer<R> {
    r: R,
    pub(super) buf: Vec<u8>,
    pub(super) pos: usize,
    pub(super) end: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// Newlines in the stream before `buf[counted]`: lines are counted lazily, when a position
    /// is asked for or bytes are discarded, so each byte is counted once.
    lines: Cell<u64>,
    counted: Cell<usize>,
    /// A position that an error message may need (where a value started), kept as a buffer
    /// index and turned into a [`Pos`] only when asked for or before its bytes are discarded:
    /// taking [`Lexer::here`] for every value counted lines in thousands of tiny pieces.
    mark: usize,
    mark_pos: Option<Pos>,
    eof: bool,
    pub(super) error: Option<io::Error>,
}

/// A place in the dump, for messages.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pos {
    line: u64,
    offset: u64,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} (byte offset {})", self.line, self.offset)
    }
}

impl<R: Read> Lexer<R> {
    pub(super) fn new(r: R) -> Self {
        Lexer {
            r,
            buf: vec![0; BUF],
            pos: 0,
            end: 0,
            base: 0,
            lines: Cell::new(0),
            counted: Cell::new(0),
            mark: 0,
            mark_pos: None,
            eof: false,
            error: None,
        }
    }

    /// Discards consumed bytes and reads more; false at the end of the input.
    #[cold]
    pub(super) fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.pos > 0 {
            if self.mark_pos.is_none() {
                self.mark_pos = Some(self.pos_at(self.mark));
            }
            self.count_lines();
            self.counted.set(0);
            self.base += self.pos as u64;
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            // Only lookahead (never a whole value) is kept across refills, so the buffer is
            // full only if a caller asked for more lookahead than it holds.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.r.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.end += n;
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    self.eof = true;
                    return false;
                }
            }
        }
    }

    #[inline]
    pub(super) fn peek(&mut self) -> Option<u8> {
        if self.pos < self.end || self.fill() {
            Some(self.buf[self.pos])
        } else {
            None
        }
    }

    /// The byte after the next one.
    pub(super) fn peek2(&mut self) -> Option<u8> {
        while self.end - self.pos < 2 {
            if !self.fill() {
                return None;
            }
        }
        Some(self.buf[self.pos + 1])
    }

    /// Makes up to `n` bytes available after the current position; returns them.
    pub(super) fn lookahead(&mut self, n: usize) -> &[u8] {
        while self.end - self.pos < n && self.fill() {}
        let e = self.end.min(self.pos + n);
        &self.buf[self.pos..e]
    }

    #[inline]
    pub(super) fn bump(&mut self) {
        self.pos += 1;
    }

    fn count_lines(&self) {
        let c = self.counted.get();
        if self.pos > c {
            let n = bytecount::count(&self.buf[c..self.pos], b'\n') as u64;
            self.lines.set(self.lines.get() + n);
            self.counted.set(self.pos);
        }
    }

    pub(super) fn here(&self) -> Pos {
        self.count_lines();
        Pos {
            line: self.lines.get() + 1,
            offset: self.base + self.pos as u64,
        }
    }

    /// The position of buffer index `i`, which is still in the buffer.
    fn pos_at(&self, i: usize) -> Pos {
        let c = self.counted.get();
        let lines = if i >= c {
            self.lines.get() + bytecount::count(&self.buf[c..i], b'\n') as u64
        } else {
            self.lines.get() - bytecount::count(&self.buf[i..c], b'\n') as u64
        };
        Pos {
            line: lines + 1,
            offset: self.base + i as u64,
        }
    }

    /// Remembers the current position for [`Lexer::marked`] (one at a time).
    #[inline]
    pub(super) fn mark(&mut self) {
        self.mark = self.pos;
        self.mark_pos = None;
    }

    /// The position last [`Lexer::mark`]ed.
    pub(super) fn marked(&self) -> Pos {
        self.mark_pos.unwrap_or_else(|| self.pos_at(self.mark))
    }

    /// Consumes bytes up to and including the next newline (or to the end).
    pub(super) fn skip_line(&mut self) {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.pos..self.end]) {
                self.pos += i + 1;
                return;
            }
            self.pos = self.end;
            if !self.fill() {
                return;
            }
        }
    }

    /// Appends the next line (without its `\n` or `\r\n`) to `out`, keeping at most `cap`
    /// bytes of it; false if the input ended before a newline (`out` then has the tail).
    pub(super) fn read_line(&mut self, out: &mut Vec<u8>, cap: usize) -> bool {
        loop {
            let avail = &self.buf[self.pos..self.end];
            let (take, found) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            let room = cap.saturating_sub(out.len());
            out.extend_from_slice(&avail[..take.min(room)]);
            self.pos += take;
            if found {
                self.pos += 1;
                if out.last() == Some(&b'\r') {
                    out.pop();
                }
                return true;
            }
            if !self.fill() {
                return false;
            }
        }
    }
}
