//! Where the records of a JSON export begin and end, found without parsing them, so
//! that they can be parsed on every core.
//!
//! The splitter reads the document a block at a time and follows only its structure:
//! the top-level array, or the top-level object and the arrays under the streamed keys.
//! Each record's bytes go into a [`Batch`]; other top-level values (the envelope) are
//! parsed as they come. It checks just enough to be sure of the boundaries: strings
//! (with their escapes), nesting, and the commas and brackets between records. A
//! document the splitter cannot follow — broken, cut off, nested too deep, or unusual
//! in a way the streaming parser words an error for — is left to that parser: the
//! splitter says it [`Split::broken`], and the caller reads the file again the way one
//! thread does, so that errors say exactly what they said before.

use super::Envelope;
use serde_json::Value;
use std::io::Read;

/// A batch holds records until it has about this many bytes.
pub const BATCH_BYTES: usize = 1 << 20;

/// Bytes read from the file at a time.
const BLOCK: usize = 1 << 18;

/// Nesting the splitter follows. It only counts brackets, so depth costs it nothing; a
/// record nested deeper than the parser's limit (128) is refused on its own when it is
/// parsed, and reading goes on with the next.
const MAX_DEPTH: usize = 100_000;

/// Records of one array, in order: their bytes, one after the other.
pub struct Batch {
    /// The array's JSON path: `$` or `$.incidents`.
    pub prefix: String,
    /// The index of the first record in its array.
    pub first: usize,
    pub bytes: Vec<u8>,
    /// Where each record ends in `bytes`.
    pub ends: Vec<usize>,
    /// Records over the size limit, by index in the batch, with their size: they hold no
    /// bytes here, and were never whole in memory.
    pub too_large: Vec<(usize, u64)>,
}

impl Batch {
    /// The size of the batch's `i`-th record when it was over the limit.
    pub fn too_large(&self, i: usize) -> Option<u64> {
        self.too_large
            .iter()
            .find(|(j, _)| *j == i)
            .map(|(_, n)| *n)
    }

    /// The records: (JSON path, bytes).
    pub fn records(&self) -> impl Iterator<Item = (String, &[u8])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .enumerate()
            .map(|(i, (start, &end))| {
                (
                    format!("{}[{}]", self.prefix, self.first + i),
                    &self.bytes[start..end],
                )
            })
    }
}

enum Place {
    Top,
    /// In the top-level object; whether a member came before.
    Object {
        after_member: bool,
    },
    /// In an array of records; whether it is under a key of the top-level object.
    Array {
        prefix: String,
        next: usize,
        in_object: bool,
    },
    /// After the top-level value.
    End,
    Done,
}

pub struct Split<'k, R> {
    reader: R,
    keys: &'k [&'k str],
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    place: Place,
    /// The top-level keys other than streamed arrays, with their values.
    pub envelope: Envelope,
    /// The document is not one the splitter follows: its remaining records are for the
    /// streaming parser.
    pub broken: bool,
    /// Bytes let go of: everything before `buf`.
    consumed: u64,
    /// The array being read and its next record's index, for [`Split::path`].
    array: (String, usize),
    /// The most bytes one value may have before it is let go of as it is read.
    max: usize,
    /// Where the value being read starts in `buf`, and how many of its bytes were let
    /// go of (it is over `max` when that is not zero).
    value_from: usize,
    dropped: u64,
}

impl<'k, R: Read> Split<'k, R> {
    pub fn new(reader: R, keys: &'k [&'k str]) -> Self {
        Split {
            reader,
            keys,
            buf: Vec::new(),
            pos: 0,
            eof: false,
            place: Place::Top,
            envelope: Envelope::new(),
            broken: false,
            consumed: 0,
            array: ("$".to_string(), 0),
            max: super::max_record(),
            value_from: 0,
            dropped: 0,
        }
    }

    /// Before reading on past `i`: when the value being read already has more than
    /// `max` bytes, the bytes scanned so far are let go of (`i` moves back with them), so
    /// that a huge record never sits in memory whole.
    fn shed(&mut self, i: &mut usize) {
        if *i >= self.buf.len() && *i - self.value_from > self.max {
            self.buf.drain(self.value_from..*i);
            self.dropped += (*i - self.value_from) as u64;
            self.consumed += (*i - self.value_from) as u64;
            *i = self.value_from;
        }
    }

    /// How far into the file the splitter has followed the document, in bytes.
    pub fn offset(&self) -> u64 {
        self.consumed + self.pos as u64
    }

    /// Where the splitter is in the document, as a JSON path: the next record's place.
    pub fn path(&self) -> String {
        format!("{}[{}]", self.array.0, self.array.1)
    }

    /// Reads another block onto the buffer; false at the end of the file (or when it
    /// cannot be read: the streaming parser then says why).
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let len = self.buf.len();
        self.buf.resize(len + BLOCK, 0);
        let n = loop {
            match self.reader.read(&mut self.buf[len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.broken = true;
                    break 0;
                }
            }
        };
        self.buf.truncate(len + n);
        if n == 0 {
            self.eof = true;
        }
        n > 0
    }

    /// The next byte that is not white space, not consumed.
    fn peek(&mut self) -> Option<u8> {
        loop {
            while let Some(&b) = self.buf.get(self.pos) {
                if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                    return Some(b);
                }
                self.pos += 1;
            }
            if !self.fill() {
                return None;
            }
        }
    }

    /// The byte at `i`, reading on as needed.
    fn at(&mut self, i: usize) -> Option<u8> {
        while i >= self.buf.len() {
            if !self.fill() {
                return None;
            }
        }
        Some(self.buf[i])
    }

    /// Past the string whose opening quote is at `i`: the index after its closing quote.
    fn string_end(&mut self, mut i: usize) -> Option<usize> {
        i += 1;
        loop {
            match memchr::memchr2(b'"', b'\\', self.buf.get(i..).unwrap_or_default()) {
                Some(k) => {
                    i += k;
                    if self.buf[i] == b'"' {
                        return Some(i + 1);
                    }
                    // An escape: the next byte is part of it, whatever it is.
                    self.at(i + 1)?;
                    i += 2;
                }
                None => {
                    i = self.buf.len();
                    self.shed(&mut i);
                    if !self.fill() {
                        return None;
                    }
                }
            }
        }
    }

    /// The value starting at the current position (not white space): its end, which
    /// becomes the position. None when the splitter cannot follow it. A value over the
    /// size limit is followed to its end all the same, without keeping its bytes:
    /// `dropped` then says how many were let go of.
    fn value(&mut self) -> Option<usize> {
        let start = self.pos;
        self.value_from = start;
        self.dropped = 0;
        let end = match self.at(start)? {
            b'"' => self.string_end(start)?,
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut i = start;
                loop {
                    self.shed(&mut i);
                    match self.at(i)? {
                        b'"' => {
                            i = self.string_end(i)?;
                            continue;
                        }
                        b'{' | b'[' => {
                            depth += 1;
                            if depth > MAX_DEPTH {
                                return None;
                            }
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                break i + 1;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            // A number or a literal: up to the next delimiter.
            _ => {
                let mut i = start;
                while let Some(b) = {
                    self.shed(&mut i);
                    self.at(i)
                } {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    i += 1;
                }
                i
            }
        };
        (end > start || self.dropped > 0).then(|| {
            self.pos = end;
            end
        })
    }

    /// Consumes `b` if it is the next byte that is not white space.
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// The next batch of records, or None at the end of the document (or where the
    /// splitter stopped following it: see `broken`).
    pub fn next_batch(&mut self) -> Option<Batch> {
        // Between records: what was read before is no longer needed.
        self.buf.drain(..self.pos);
        self.consumed += self.pos as u64;
        self.pos = 0;
        let mut batch: Option<Batch> = None;
        let done = loop {
            if self.broken {
                break true;
            }
            match self.step(&mut batch) {
                Step::Go => {}
                Step::Full => break false,
                Step::Stop => {
                    self.broken = true;
                    break true;
                }
                Step::End => break true,
            }
        };
        if done && batch.is_none() {
            self.place = Place::Done;
        }
        batch
    }

    fn step(&mut self, batch: &mut Option<Batch>) -> Step {
        match std::mem::replace(&mut self.place, Place::Done) {
            Place::Top => {
                if self.at(0).is_none() {
                    return Step::Stop;
                }
                let _ = self.at(2);
                if self.buf.starts_with(b"\xEF\xBB\xBF") {
                    self.pos = 3;
                }
                match self.peek() {
                    Some(b'[') => {
                        self.pos += 1;
                        self.array = ("$".into(), 0);
                        self.place = array("$".into(), false);
                    }
                    Some(b'{') => {
                        self.pos += 1;
                        self.place = Place::Object {
                            after_member: false,
                        };
                    }
                    _ => return Step::Stop,
                }
                Step::Go
            }
            Place::Object { after_member } => {
                if self.eat(b'}') {
                    self.place = Place::End;
                    return Step::Go;
                }
                if after_member && !self.eat(b',') {
                    return Step::Stop;
                }
                if self.peek() != Some(b'"') {
                    return Step::Stop;
                }
                let start = self.pos;
                let Some(end) = self.value().filter(|_| self.dropped == 0) else {
                    return Step::Stop;
                };
                let Ok(key) = serde_json::from_slice::<String>(&self.buf[start..end]) else {
                    return Step::Stop;
                };
                if !self.eat(b':') || self.peek().is_none() {
                    return Step::Stop;
                }
                if self.keys.contains(&key.as_str()) {
                    if self.eat(b'[') {
                        self.array = (format!("$.{key}"), 0);
                        self.place = array(format!("$.{key}"), true);
                        return Step::Go;
                    }
                    // A null or an object where records were expected holds none; any
                    // other value is an error, worded by the streaming parser.
                    if !matches!(self.peek(), Some(b'n' | b'{')) {
                        return Step::Stop;
                    }
                }
                let start = self.pos;
                let Some(end) = self.value().filter(|_| self.dropped == 0) else {
                    return Step::Stop;
                };
                let value = &self.buf[start..end];
                if !self.keys.contains(&key.as_str()) {
                    match serde_json::from_slice::<Value>(value) {
                        Ok(v) => {
                            self.envelope.insert(key, v);
                        }
                        Err(_) => return Step::Stop,
                    }
                } else if serde_json::from_slice::<serde::de::IgnoredAny>(value).is_err() {
                    return Step::Stop;
                }
                self.place = Place::Object { after_member: true };
                Step::Go
            }
            Place::Array {
                prefix,
                next,
                in_object,
            } => {
                if self.eat(b']') {
                    self.place = if in_object {
                        Place::Object { after_member: true }
                    } else {
                        Place::End
                    };
                    // A batch holds the records of one array.
                    return if batch.is_some() {
                        Step::Full
                    } else {
                        Step::Go
                    };
                }
                if next > 0 && !self.eat(b',') {
                    return Step::Stop;
                }
                if self.peek().is_none() {
                    return Step::Stop;
                }
                let start = self.pos;
                let Some(end) = self.value() else {
                    return Step::Stop;
                };
                let b = batch.get_or_insert_with(|| Batch {
                    prefix: prefix.clone(),
                    first: next,
                    bytes: Vec::with_capacity(BATCH_BYTES + BLOCK),
                    ends: Vec::new(),
                    too_large: Vec::new(),
                });
                if self.dropped > 0 {
                    b.too_large
                        .push((b.ends.len(), self.dropped + (end - start) as u64));
                } else {
                    b.bytes.extend_from_slice(&self.buf[start..end]);
                }
                b.ends.push(b.bytes.len());
                let full = b.bytes.len() >= BATCH_BYTES;
                self.array.1 = next + 1;
                self.place = Place::Array {
                    prefix,
                    next: next + 1,
                    in_object,
                };
                if full {
                    Step::Full
                } else {
                    Step::Go
                }
            }
            Place::End => {
                if self.peek().is_some() {
                    return Step::Stop;
                }
                Step::End
            }
            Place::Done => Step::End,
        }
    }
}

fn array(prefix: String, in_object: bool) -> Place {
    Place::Array {
        prefix,
        next: 0,
        in_object,
    }
}

enum Step {
    Go,
    Full,
    Stop,
    End,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record and the envelope, or where the splitter gave up.
    fn split(text: &str, keys: &[&str]) -> (Vec<(String, String)>, Envelope, bool) {
        // A tiny reader: blocks end everywhere, inside strings and escapes too.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(out.len()).min(3);
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut s = Split::new(Trickle(text.as_bytes()), keys);
        let mut records = Vec::new();
        while let Some(b) = s.next_batch() {
            for (path, bytes) in b.records() {
                records.push((path, String::from_utf8(bytes.to_vec()).unwrap()));
            }
        }
        (records, s.envelope, s.broken)
    }

    #[test]
    fn records_and_envelopes() {
        let (records, env, broken) = split(
            "\u{feff} {\"more\": false, \"incidents\" : [ {\"id\":\"A\\\"]}\"} ,\n\
             {\"id\":[1,{\"x\":\"]\"}]}, 7, \"s\", null ], \"log_entries\": null,\
             \"time_zone\": \"UTC\", \"alerts\": {\"a\": 1}} \n",
            &["incidents", "log_entries", "alerts"],
        );
        assert!(!broken);
        assert_eq!(
            records,
            [
                ("$.incidents[0]", r#"{"id":"A\"]}"}"#),
                ("$.incidents[1]", r#"{"id":[1,{"x":"]"}]}"#),
                ("$.incidents[2]", "7"),
                ("$.incidents[3]", r#""s""#),
                ("$.incidents[4]", "null"),
            ]
            .map(|(p, r)| (p.to_string(), r.to_string()))
        );
        assert_eq!(env.len(), 2);
        assert_eq!(env["more"], false);
        assert_eq!(env["time_zone"], "UTC");
        let (records, _, broken) = split("[[1], [], {}]", &[]);
        assert!(!broken);
        assert_eq!(records.len(), 3);
        assert_eq!(records[2], ("$[2]".to_string(), "{}".to_string()));
        let (records, env, broken) = split("[]", &[]);
        assert!(records.is_empty() && env.is_empty() && !broken);
    }

    #[test]
    fn what_it_cannot_follow_it_leaves() {
        for text in [
            "",
            "   ",
            "nope",
            "[{\"a\":1}",
            "[{\"a\":1} {\"b\":2}]",
            "[{\"a\":1}] x",
            "{\"incidents\": 7}",
            "{\"incidents\": [1], }",
            "{\"incidents\": nul}",
            "{\"alerts\": {\"a\": tru}}",
            "{\"x\": tru}",
            "[\"unterminated",
        ] {
            let (_, _, broken) = split(text, &["incidents"]);
            assert!(broken, "{text:?}");
        }
        // Depth is no reason to stop: a record too deep to parse is refused on its own.
        let deep = format!("[{}{}]", "[".repeat(1000), "]".repeat(1000));
        assert!(!split(&deep, &[]).2);
    }

    #[test]
    fn batches_hold_about_a_megabyte_of_one_array() {
        let record = format!("{{\"t\":\"{}\"}}", "x".repeat(1000));
        let text = format!(
            "{{\"a\":[{}],\"b\":[{}]}}",
            vec![record.as_str(); 2500].join(","),
            record
        );
        let mut s = Split::new(text.as_bytes(), &["a", "b"]);
        let mut sizes = Vec::new();
        while let Some(b) = s.next_batch() {
            sizes.push((b.prefix.clone(), b.first, b.ends.len()));
        }
        assert!(!s.broken);
        // 1,008 bytes a record: 1,041 records pass a mebibyte.
        assert_eq!(
            sizes,
            [
                ("$.a".to_string(), 0, 1041),
                ("$.a".to_string(), 1041, 1041),
                ("$.a".to_string(), 2082, 418),
                ("$.b".to_string(), 0, 1)
            ]
        );
    }
}
