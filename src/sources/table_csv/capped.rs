//! The record-size guard in front of the CSV reader: a record longer than the limit is
//! never in memory.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::rc::Rc;

/// Where a CSV byte stands in its record, as the CSV reader will see it (RFC 4180:
/// quotes open a field only at its start; `""` inside quotes is a quote).
#[derive(Clone, Copy, PartialEq)]
enum At {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: its end, or the first of `""`.
    QuoteInQuoted,
}

/// A CSV input with a bound on one record's size: a record over `max` bytes reaches
/// the CSV reader cut short (its quote closed, the rest of it skipped, its line breaks
/// kept so that later line numbers hold), and its line and whole size are noted in
/// `cut`, for the row to be rejected. No record longer than `max` is ever in memory.
pub(super) struct Capped<R> {
    inner: R,
    pub(super) follow: Follow,
}

/// What [`Capped`] knows of the stream so far.
pub(super) struct Follow {
    max: u64,
    at: At,
    /// Bytes of the current record so far; its first line.
    size: u64,
    line: u64,
    /// Line breaks passed on, and those of a record being skipped.
    lines: u64,
    skipping: bool,
    skipped_lines: u64,
    pending: Vec<u8>,
    pub(super) cut: Rc<RefCell<BTreeMap<u64, u64>>>,
}

impl<R: BufRead> Capped<R> {
    pub(super) fn new(inner: R, max: u64) -> Capped<R> {
        Capped {
            inner,
            follow: Follow {
                max,
                at: At::FieldStart,
                size: 0,
                line: 1,
                lines: 0,
                skipping: false,
                skipped_lines: 0,
                pending: Vec::new(),
                cut: Rc::default(),
            },
        }
    }
}

impl Follow {
    /// Follows one byte; whether it ends the record.
    fn step(&mut self, b: u8) -> bool {
        let (next, ends) = match (self.at, b) {
            (At::Quoted, b'"') => (At::QuoteInQuoted, false),
            (At::Quoted, _) => (At::Quoted, false),
            (At::QuoteInQuoted, b'"') => (At::Quoted, false),
            (At::FieldStart, b'"') => (At::Quoted, false),
            (_, b',') => (At::FieldStart, false),
            (_, b'\n') => (At::FieldStart, true),
            _ => (At::Unquoted, false),
        };
        self.at = next;
        ends
    }

    /// Follows one byte of a record being skipped; whether the record ended with it
    /// (its line breaks are then pending, as blank lines, so later lines keep their
    /// numbers).
    fn skip(&mut self, b: u8) -> bool {
        if self.step(b) {
            self.pending
                .extend(std::iter::repeat_n(b'\n', self.skipped_lines as usize + 1));
            self.lines += self.skipped_lines + 1;
            self.skipping = false;
            self.skipped_lines = 0;
            self.cut.borrow_mut().insert(self.line, self.size + 1);
            self.size = 0;
            self.line = self.lines + 1;
            return true;
        }
        if b == b'\n' {
            self.skipped_lines += 1;
        }
        self.size += 1;
        false
    }
}

impl<R: BufRead> Read for Capped<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let f = &mut self.follow;
        loop {
            if !f.pending.is_empty() {
                let n = out.len().min(f.pending.len());
                out[..n].copy_from_slice(&f.pending[..n]);
                f.pending.drain(..n);
                return Ok(n);
            }
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                if f.skipping {
                    // The file ends inside the skipped record.
                    f.skipping = false;
                    f.cut.borrow_mut().insert(f.line, f.size);
                    f.pending.push(b'\n');
                    continue;
                }
                return Ok(0);
            }
            if f.skipping {
                let mut used = 0;
                for &b in buf {
                    used += 1;
                    if f.skip(b) {
                        break;
                    }
                }
                self.inner.consume(used);
                continue;
            }
            // Passing through: the bytes go to `out` as they are, followed on the way.
            let n = out.len().min(buf.len());
            let mut cut = None;
            let mut k = 0;
            while k < n {
                // A run of bytes without a quote or a line break is passed over at once:
                // inside quotes they change nothing; outside, whether the next byte
                // starts a field, which the run's last byte tells (a comma).
                let run = match f.at {
                    At::Quoted | At::FieldStart | At::Unquoted => {
                        memchr::memchr2(b'"', b'\n', &buf[k..n])
                    }
                    At::QuoteInQuoted => Some(0),
                }
                .unwrap_or(n - k);
                if run > 0 {
                    let quoted = f.at == At::Quoted;
                    let after = |last: u8| match (quoted, last) {
                        (true, _) => At::Quoted,
                        (false, b',') => At::FieldStart,
                        (false, _) => At::Unquoted,
                    };
                    let room = f.max.saturating_sub(f.size);
                    if run as u64 > room {
                        // As byte by byte: the bytes up to the limit and the one past it.
                        f.size += room + 1;
                        let at = k + room as usize;
                        out[..at].copy_from_slice(&buf[..at]);
                        cut = Some((at, quoted));
                        f.at = after(buf[at]);
                        break;
                    }
                    f.size += run as u64;
                    k += run;
                    f.at = after(buf[k - 1]);
                    continue;
                }
                let b = buf[k];
                let quoted = f.at == At::Quoted;
                let ends = f.step(b);
                if b == b'\n' {
                    f.lines += 1;
                }
                if ends {
                    f.size = 0;
                    f.line = f.lines + 1;
                    k += 1;
                    continue;
                }
                f.size += 1;
                if f.size > f.max {
                    out[..k].copy_from_slice(&buf[..k]);
                    cut = Some((k, quoted));
                    break;
                }
                k += 1;
            }
            if let Some((k, quoted)) = cut {
                // Cut before this byte: close an open quote and skip the rest of the
                // record; its end is written when the record ends.
                self.inner.consume(k + 1);
                if quoted {
                    f.pending.push(b'"');
                }
                f.skipping = true;
                if k > 0 {
                    return Ok(k);
                }
                continue;
            }
            out[..n].copy_from_slice(&buf[..n]);
            self.inner.consume(n);
            return Ok(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`Capped`] passes on, and the records it cut, read `chunk` bytes at a time.
    fn capped(input: &[u8], max: u64, chunk: usize) -> (Vec<u8>, BTreeMap<u64, u64>) {
        let mut capped = Capped::new(std::io::BufReader::with_capacity(chunk, input), max);
        let mut out = Vec::new();
        capped.read_to_end(&mut out).unwrap();
        let cut = capped.follow.cut.borrow().clone();
        (out, cut)
    }

    /// The records over `max` bytes by their first line, with their size, as following
    /// the input one byte at a time finds them.
    fn over(input: &[u8], max: u64) -> BTreeMap<u64, u64> {
        let mut f = Capped::new(&b""[..], max).follow;
        let (mut over, mut size, mut line, mut lines) = (BTreeMap::new(), 0, 1, 0);
        for &b in input {
            let ends = f.step(b);
            size += 1;
            if b == b'\n' {
                lines += 1;
            }
            if ends {
                if size > max + 1 {
                    over.insert(line, size);
                }
                (size, line) = (0, lines + 1);
            }
        }
        if size > max {
            over.insert(line, size);
        }
        over
    }

    /// Runs of bytes are passed over as following each byte alone would: the records
    /// cut are those over the limit, wherever the reads fall, and what is not cut is
    /// passed on as it is.
    #[test]
    fn the_size_guard_follows_runs_as_it_follows_bytes() {
        let inputs: [&[u8]; 8] = [
            b"id,title,at\n1,plain,2026\n2,\"quoted, with comma\",2026\n",
            b"a,\"multi\nline \"\"quoted\"\" cell\",b\r\n,,\n\"\",x\"y,\"z\"\"\"\n",
            b"k,v\n1,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n2,\"bbbbbbbbbb,bbbbbbbbbbbbbbbbbbbbbbbb\nbbbbbbbbbb\"\n3,c\n",
            // A quote inside an unquoted field is a quote, not an opening.
            b"k,v\n1,a\"b,cccccccccccccccc\n2,ddddddddddddddddddddddddd\n3,e\n",
            // After a closed quote, a comma starts a field whose quote opens.
            b"\"a\"b,c,\"d\ne\",ffffffffffffffff\n2,g\n",
            // Cut on a comma: the quote after it opens a field.
            b"\"q\"1,aaaa,\"x\ny\"\n2,b\n",
            b"x,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\"q\",,,,,,,,,,,,,,,,,,,\n\"\"\"\n",
            b"\"unclosed, to the end of the file,,,,\nand more",
        ];
        for input in inputs {
            let text = String::from_utf8_lossy(input);
            for max in [4, 9, 16, 31, 1 << 20] {
                for chunk in [1, 2, 3, 5, 7, 64, 1 << 16] {
                    let (out, cut) = capped(input, max, chunk);
                    assert_eq!(cut, over(input, max), "max {max}, chunk {chunk}: {text}");
                    if cut.is_empty() {
                        assert_eq!(out, input, "max {max}, chunk {chunk}: {text}");
                    }
                }
            }
        }
    }
}
