//! Where the records of a JSON export begin and end, found without parsing them, so
//! that they can be parsed on every core.
//!
//! The splitter reads the file a block at a time and follows only its structure: the
//! top-level array, or the top-level object and the arrays under the streamed keys, of
//! each document in the file (pages written one after another, JSON Lines). A top-level
//! object with an `id` of its own is a record (a JSON Lines record, which may hold
//! arrays under the streamed keys itself: an incident with its log entries), and so is
//! one holding neither `id` nor a streamed key when the file has other documents. Each
//! record's bytes go into a [`Batch`]; other top-level values (the envelope) are parsed
//! as they come. It checks just enough to be sure of the boundaries: strings
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

/// Bytes read from the file at a time, at most; the first read is of [`FIRST_BLOCK`]
/// and each next one twice the last, so that a small file costs little.
const BLOCK: usize = 1 << 18;
const FIRST_BLOCK: usize = 1 << 14;

/// How far into a top-level object the splitter looks for an `id` member, which makes
/// it a record rather than an envelope. An object whose `id` comes later is read as an
/// envelope and said to be misread (see [`Split::misread`]).
const LOOKAHEAD: usize = BATCH_BYTES;

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
    /// When the records are whole documents: the index of each one's document.
    pub docs: Vec<usize>,
}

/// The JSON path of a document of the file: `$`, then `document 2: $`, ….
pub fn doc_root(doc: usize) -> String {
    if doc == 0 {
        "$".to_string()
    } else {
        format!("document {}: $", doc + 1)
    }
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
                let path = match self.docs.get(i) {
                    Some(&doc) => doc_root(doc),
                    None => crate::record::element_at(&self.prefix, self.first + i),
                };
                (path, &self.bytes[start..end])
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
    /// The size of the last read.
    block: usize,
    /// The array being read and its next record's index, for [`Split::path`].
    array: (String, usize),
    /// The document being read (0 for the first), its path, and whether it is a record.
    doc: usize,
    root: String,
    doc_is_record: bool,
    /// The top-level members of the document being read other than streamed arrays,
    /// while it is an object that is not a record; whether it held a streamed array.
    doc_env: Option<Envelope>,
    doc_streamed: bool,
    /// The documents read whole as records because they have an `id` (in order), for
    /// the streaming parser to read them the same way.
    pub record_docs: Vec<usize>,
    /// Documents read as an envelope that turned out to have an `id` of their own past
    /// the look-ahead: their paths. Their records were handed on; they were not.
    pub misread: Vec<String>,
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
            block: FIRST_BLOCK / 2,
            array: ("$".to_string(), 0),
            doc: 0,
            root: "$".to_string(),
            doc_is_record: false,
            doc_env: None,
            doc_streamed: false,
            record_docs: Vec::new(),
            misread: Vec::new(),
            max: super::max_record(),
            value_from: 0,
            dropped: 0,
        }
    }

    /// Before reading on past `i`: when the value being read already has more than
    /// `max` bytes, the bytes scanned so far are let go of (`i` moves back with them), so
    /// that a huge record never sits in memory whole.
    fn shed(&mut self, i: &mut usize) {
        if *i - self.value_from > self.max {
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
        if self.doc_is_record {
            return self.root.clone();
        }
        crate::record::element_at(&self.array.0, self.array.1)
    }

    /// Whether the object starting at the position has an `id` member within the first
    /// [`LOOKAHEAD`] bytes: a record, not an envelope. Reads ahead without consuming.
    fn has_id(&mut self) -> bool {
        let from = self.pos;
        let (mut i, mut depth, mut key_next) = (from, 0usize, false);
        loop {
            if i - from > LOOKAHEAD {
                return false;
            }
            let Some(b) = self.at(i) else {
                return false;
            };
            match b {
                b'"' => {
                    let start = i;
                    i += 1;
                    loop {
                        match memchr::memchr2(b'"', b'\\', &self.buf[i..]) {
                            Some(k) if self.buf[i + k] == b'"' => {
                                i += k + 1;
                                break;
                            }
                            Some(k) => {
                                if self.at(i + k + 1).is_none() {
                                    return false;
                                }
                                i += k + 2;
                            }
                            None => {
                                i = self.buf.len();
                                if i - from > LOOKAHEAD || !self.fill() {
                                    return false;
                                }
                            }
                        }
                    }
                    if depth == 1 && key_next && &self.buf[start..i] == b"\"id\"" {
                        return true;
                    }
                    key_next = false;
                    continue;
                }
                b'{' => {
                    depth += 1;
                    key_next = depth == 1;
                }
                b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return false;
                    }
                }
                b',' if depth == 1 => key_next = true,
                _ => {}
            }
            i += 1;
        }
    }

    /// Adds the value from `start` to `end` (the position) to the batch as a whole
    /// document's record.
    fn push_doc(&mut self, batch: &mut Option<Batch>, start: usize, end: usize) -> Step {
        let b = batch.get_or_insert_with(|| Batch::new(String::new(), self.doc));
        b.push(&self.buf[start..end], self.dropped);
        b.docs.push(self.doc);
        if b.bytes.len() >= BATCH_BYTES {
            Step::Full
        } else {
            Step::Go
        }
    }

    /// Reads another block onto the buffer; false at the end of the file (or when it
    /// cannot be read: the streaming parser then says why).
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let len = self.buf.len();
        self.block = (self.block * 2).clamp(FIRST_BLOCK, BLOCK);
        self.buf.resize(len + self.block, 0);
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

    /// One step of the walk, from where it is (`place`).
    fn step(&mut self, batch: &mut Option<Batch>) -> Step {
        match std::mem::replace(&mut self.place, Place::Done) {
            Place::Top => self.document(batch),
            Place::Object { after_member } => self.member(after_member),
            Place::Array {
                prefix,
                next,
                in_object,
            } => self.element(batch, prefix, next, in_object),
            Place::End => self.end_of_document(batch),
            Place::Done => Step::End,
        }
    }

    /// At the start of a document: an array of records, an object that is a record
    /// (it has an `id` of its own), or an envelope whose members are read next.
    fn document(&mut self, batch: &mut Option<Batch>) -> Step {
        if self.doc == 0 && self.consumed == 0 && self.pos == 0 {
            if self.at(0).is_none() {
                return Step::Stop;
            }
            let _ = self.at(2);
            if self.buf.starts_with(b"\xEF\xBB\xBF") {
                self.pos = 3;
            }
        }
        match self.peek() {
            Some(b'[') => {
                self.pos += 1;
                self.array = (self.root.clone(), 0);
                self.place = array(self.root.clone(), false);
            }
            Some(b'{') if self.has_id() => {
                // A batch holds the records of one array, or whole documents.
                if batch.as_ref().is_some_and(|b| b.docs.is_empty()) {
                    self.place = Place::Top;
                    return Step::Full;
                }
                self.doc_is_record = true;
                let start = self.pos;
                let Some(end) = self.value() else {
                    return Step::Stop;
                };
                self.record_docs.push(self.doc);
                self.place = Place::End;
                return self.push_doc(batch, start, end);
            }
            Some(b'{') => {
                self.pos += 1;
                self.doc_env = Some(Envelope::new());
                self.doc_streamed = false;
                self.place = Place::Object {
                    after_member: false,
                };
            }
            _ => return Step::Stop,
        }
        Step::Go
    }

    /// In an envelope, at a member (after one when `after_member`): the array of records
    /// under one of the streamed keys is walked next; any other member is kept in the
    /// envelope.
    fn member(&mut self, after_member: bool) -> Step {
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
                let prefix = format!("{}.{key}", self.root);
                self.array = (prefix.clone(), 0);
                self.place = array(prefix, true);
                self.doc_streamed = true;
                return Step::Go;
            }
            // A null where records were expected holds none. One object there is one
            // record, and any other value an error: both are left to the streaming
            // parser (such responses are small), which hands on the one and words the
            // other.
            if self.peek() != Some(b'n') {
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
                    self.doc_env
                        .get_or_insert_with(Envelope::new)
                        .insert(key, v);
                }
                Err(_) => return Step::Stop,
            }
        } else if serde_json::from_slice::<serde::de::IgnoredAny>(value).is_err() {
            return Step::Stop;
        }
        self.place = Place::Object { after_member: true };
        Step::Go
    }

    /// In the array of records under `prefix`, at element `next`: adds it to the batch,
    /// which holds the records of one array only.
    fn element(
        &mut self,
        batch: &mut Option<Batch>,
        prefix: String,
        next: usize,
        in_object: bool,
    ) -> Step {
        if batch
            .as_ref()
            .is_some_and(|b| !b.docs.is_empty() || b.prefix != prefix)
        {
            self.place = Place::Array {
                prefix,
                next,
                in_object,
            };
            return Step::Full;
        }
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
        let b = batch.get_or_insert_with(|| Batch::new(prefix.clone(), next));
        b.push(&self.buf[start..end], self.dropped);
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

    /// After a document: its envelope is kept (or, in a file of several documents, it is
    /// a record itself); another document may follow.
    fn end_of_document(&mut self, batch: &mut Option<Batch>) -> Step {
        let more = self.peek().is_some();
        if let Some(env) = self.doc_env.take() {
            // An object without records or an id of its own: a record when the
            // file has other documents (a JSON Lines record), else the envelope.
            if !self.doc_streamed && !env.is_empty() && (self.doc > 0 || more) {
                if batch.as_ref().is_some_and(|b| b.docs.is_empty()) {
                    self.doc_env = Some(env);
                    self.place = Place::End;
                    return Step::Full;
                }
                let bytes = serde_json::to_vec(&Value::Object(env)).unwrap_or_default();
                let b = batch.get_or_insert_with(|| Batch::new(String::new(), self.doc));
                b.push(&bytes, 0);
                b.docs.push(self.doc);
            } else {
                if env.contains_key("id") {
                    self.misread.push(self.root.clone());
                }
                self.envelope.extend(env);
            }
        }
        if !more {
            return Step::End;
        }
        // Another document: pages one after another, or a JSON Lines file.
        if !matches!(self.peek(), Some(b'{' | b'[')) {
            return Step::Stop;
        }
        self.doc += 1;
        self.root = doc_root(self.doc);
        self.doc_is_record = false;
        self.array = (self.root.clone(), 0);
        self.place = Place::Top;
        if batch.as_ref().is_some_and(|b| b.bytes.len() >= BATCH_BYTES) {
            Step::Full
        } else {
            Step::Go
        }
    }
}

impl Batch {
    /// Adds a record: its bytes, or, when `dropped` of them were let go of as it was
    /// read (it is over the size limit), its size alone.
    fn push(&mut self, kept: &[u8], dropped: u64) {
        if dropped > 0 {
            self.too_large
                .push((self.ends.len(), dropped + kept.len() as u64));
        } else {
            self.bytes.extend_from_slice(kept);
        }
        self.ends.push(self.bytes.len());
    }

    fn new(prefix: String, first: usize) -> Batch {
        Batch {
            prefix,
            first,
            bytes: Vec::new(),
            ends: Vec::new(),
            too_large: Vec::new(),
            docs: Vec::new(),
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
mod tests;
