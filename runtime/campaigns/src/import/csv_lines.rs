//! The byte stream under the CSV parser, watched for two things the parser does not give:
//! the physical line a row starts on, and a bound on how far one row may run.
//!
//! The parser's own line count is off by one for every row of a file with `\r\n` line ends
//! (what Excel on Windows writes: the `\n` is counted only when the next row begins), and
//! it dates a row from the blank lines before it. So this layer notes where each line end
//! byte is, and the reader asks it which line the first byte of a row that is not a line
//! end sits on. It forgets what lies before the current row, so it holds at most one row's
//! worth of offsets.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A `Read` that notes line ends and refuses to let one row run past `limit` bytes.
pub(super) struct WatchedStream<R> {
    inner: R,
    /// Bytes handed to the parser so far: the stream offset of the next byte.
    offset: u64,
    /// Line-end bytes (`\r`, `\n`) at or after the current row's start: offset and byte.
    ends: VecDeque<(u64, u8)>,
    /// Line breaks before the first entry of `ends`.
    breaks: u64,
    /// Offset of the last `\r` counted, so the `\n` of a `\r\n` is not counted again.
    last_cr: Option<u64>,
    /// Where the row being parsed started.
    row_start: u64,
    /// Most bytes one row may take, read-ahead included.
    limit: usize,
    /// A row ran past `limit`.
    tripped: bool,
}

impl<R: Read> WatchedStream<R> {
    /// Watches `inner`, refusing rows longer than `limit` bytes.
    pub fn new(inner: R, limit: usize) -> Self {
        Self {
            inner,
            offset: 0,
            ends: VecDeque::new(),
            breaks: 0,
            last_cr: None,
            row_start: 0,
            limit,
            tripped: false,
        }
    }

    /// The 1-based line of the first byte at or after stream offset `start` that is not a
    /// line end: where a row the parser began at `start` really starts. Offsets asked about
    /// must not go backwards.
    pub fn line_at(&mut self, start: u64) -> u64 {
        while let Some(&(at, byte)) = self.ends.front() {
            if at < start {
                self.count(at, byte);
                self.ends.pop_front();
            } else {
                break;
            }
        }
        let mut breaks = self.breaks;
        let mut last_cr = self.last_cr;
        // The line ends right at `start`, one after another: blank lines, or the `\n` of a
        // `\r\n` the parser left for the next row.
        let leading = (start..)
            .zip(&self.ends)
            .take_while(|(next, (at, _))| at == next);
        for (_, &(at, byte)) in leading {
            if byte == b'\r' || last_cr.is_none_or(|cr| cr + 1 != at) {
                breaks += 1;
            }
            last_cr = (byte == b'\r').then_some(at);
        }
        breaks + 1
    }

    /// The parser finished a row; the next one starts at stream offset `next_start`.
    pub fn row_done(&mut self, next_start: u64) {
        self.row_start = next_start;
    }

    /// Where the row being parsed started.
    pub fn row_start(&self) -> u64 {
        self.row_start
    }

    /// Whether a row ran past the limit (the error the parser saw came from here).
    pub fn tripped(&self) -> bool {
        self.tripped
    }

    /// Counts the line end `byte` at `at` into the breaks before the current row.
    fn count(&mut self, at: u64, byte: u8) {
        if byte == b'\r' || self.last_cr.is_none_or(|cr| cr + 1 != at) {
            self.breaks += 1;
        }
        self.last_cr = (byte == b'\r').then_some(at);
    }
}

impl<R: Read> Read for WatchedStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let end = self.offset + n as u64;
        if end.saturating_sub(self.row_start) > self.limit as u64 {
            self.tripped = true;
            return Err(io::Error::other(format!(
                "a row is longer than {} bytes",
                self.limit
            )));
        }
        for (i, &byte) in buf[..n].iter().enumerate() {
            if byte == b'\n' || byte == b'\r' {
                self.ends.push_back((self.offset + i as u64, byte));
            }
        }
        self.offset = end;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched(text: &str) -> WatchedStream<&[u8]> {
        let mut stream = WatchedStream::new(text.as_bytes(), 1 << 20);
        let mut sink = Vec::new();
        stream.read_to_end(&mut sink).expect("in memory");
        stream
    }

    #[test]
    fn a_row_after_blank_lines_is_dated_from_its_first_byte() {
        let mut s = watched("h\n1\n\n\n2\n");
        assert_eq!(s.line_at(0), 1);
        assert_eq!(s.line_at(2), 2);
        assert_eq!(s.line_at(4), 5);
    }

    #[test]
    fn crlf_line_ends_count_once_and_a_leftover_newline_is_skipped() {
        // The parser ends a row at `\r` and starts the next at the `\n`.
        let mut s = watched("h\r\n1\r\n\r\n2\r\n");
        assert_eq!(s.line_at(0), 1);
        assert_eq!(s.line_at(2), 2);
        assert_eq!(s.line_at(5), 4);
    }

    #[test]
    fn old_mac_line_ends_count_too() {
        let mut s = watched("h\r1\r2\r");
        assert_eq!(s.line_at(2), 2);
        assert_eq!(s.line_at(4), 3);
    }

    #[test]
    fn a_row_running_past_the_limit_is_an_error() {
        let text = "x".repeat(100);
        let mut s = WatchedStream::new(text.as_bytes(), 10);
        let mut buf = [0u8; 64];
        assert!(s.read(&mut buf).is_err());
        assert!(s.tripped());
    }
}
