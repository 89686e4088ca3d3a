//! Streaming JSON for the vendor adapters.
//!
//! Exports are one JSON document holding an array of records, bare or under a key of an
//! envelope object (`{"incidents": [...], "more": false}`). [`stream`] hands over each
//! element of such an array as soon as it is parsed, so memory holds one record at a
//! time and a file cut off half-way still yields every record before the cut; the error
//! says at which element (JSON path) and where (line, column) reading stopped. Other
//! envelope keys are returned whole (they are small: paging fields, `time_zone`, a single
//! `incident`). serde_json's recursion limit bounds nesting depth.

use super::{Fault, FileError};
use crate::record::Rejection;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;
use std::io::{BufRead, BufReader, Read};

mod get;
mod split;

pub use get::{Either, Get};

/// The envelope of a streamed document: its top-level keys other than the streamed
/// arrays. Empty when the document is a bare array.
pub type Envelope = Map<String, Value>;

/// Where reading stopped when the document is not valid JSON.
#[derive(Debug)]
pub struct StreamError {
    /// The element being read: `$.incidents[17]`, or `$` before any.
    pub path: String,
    pub message: String,
    /// How many elements were handed over before the error.
    pub elements: usize,
}

impl From<StreamError> for FileError {
    fn from(e: StreamError) -> FileError {
        FileError::new(Fault::Syntax, e.path, e.message)
    }
}

struct State<'a> {
    emit: &'a mut dyn FnMut(String, Value),
    path: String,
    elements: usize,
    /// The streamed keys, for pages of results in a top-level array.
    keys: &'a [&'a str],
}

/// Streams the documents read from `reader` (a UTF-8 BOM is skipped).
///
/// A file may hold several documents one after the other: pages written back to back
/// (`gh api --paginate` writes one array per page), or one record per line (JSONL).
/// The records of the first document have paths from `$`, those of document N from
/// `document N: $`. An object holding none of `array_keys` is a record itself when the
/// file holds more than one document (a JSONL line), and the envelope when it is the
/// only one. The documents `records` lists (by index, in order) are records whole: the
/// splitter found an `id` of their own (see [`split`]).
pub fn stream(
    reader: impl Read,
    array_keys: &[&str],
    records: &[usize],
    emit: &mut dyn FnMut(String, Value),
) -> Result<Envelope, StreamError> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    if let Ok(buf) = reader.fill_buf() {
        if buf.starts_with(b"\xEF\xBB\xBF") {
            reader.consume(3);
        }
    }
    let state = RefCell::new(State {
        emit,
        path: "$".into(),
        elements: 0,
        keys: array_keys,
    });
    let mut envelope = Envelope::new();
    for doc in 0.. {
        if doc > 0 && !more(&mut reader) {
            break;
        }
        let root = if doc == 0 {
            "$".to_string()
        } else {
            format!("document {}: $", doc + 1)
        };
        state.borrow_mut().path = root.clone();
        let mut de = serde_json::Deserializer::from_reader(&mut reader);
        if records.binary_search(&doc).is_ok() {
            let record = serde::Deserialize::deserialize(&mut de).map_err(|e| StreamError {
                path: root.clone(),
                message: describe(&e),
                elements: state.borrow().elements,
            })?;
            let mut s = state.borrow_mut();
            s.elements += 1;
            (s.emit)(root, record);
            continue;
        }
        let parsed = de.deserialize_any(Top {
            keys: array_keys,
            root: &root,
            state: &state,
        });
        let (env, streamed) = match parsed {
            Ok(found) => found,
            Err(e) => {
                let s = state.borrow();
                return Err(StreamError {
                    path: s.path.clone(),
                    message: describe(&e),
                    elements: s.elements,
                });
            }
        };
        // A lone object without records is the envelope; one of several is a record.
        if !streamed && !env.is_empty() && (doc > 0 || more(&mut reader)) {
            let mut s = state.borrow_mut();
            s.elements += 1;
            (s.emit)(root, Value::Object(env));
        } else {
            envelope.extend(env);
        }
    }
    Ok(envelope)
}

/// Whether anything but white space is left to read.
fn more(reader: &mut impl BufRead) -> bool {
    loop {
        let (skip, found) = match reader.fill_buf() {
            Ok([]) | Err(_) => return false,
            Ok(buf) => match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => (i, true),
                None => (buf.len(), false),
            },
        };
        reader.consume(skip);
        if found {
            return true;
        }
    }
}

/// Streams the elements of a bare JSON array held in memory, each read by `seed` into
/// an adapter's own type (no [`Value`] tree built), with its index. An object at the
/// top is an envelope without records: skipped. Errors are those of [`stream`].
pub fn slice_elements<'de, S>(
    bytes: &'de [u8],
    seed: S,
    emit: &mut dyn FnMut(usize, S::Value),
) -> Result<(), StreamError>
where
    S: DeserializeSeed<'de> + Copy,
{
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let at = std::cell::Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = de
        .deserialize_any(TypedTop {
            seed,
            emit,
            at: &at,
        })
        .and_then(|()| de.end());
    result.map_err(|e| StreamError {
        path: at
            .get()
            .map_or_else(|| "$".to_string(), |i| format!("$[{i}]")),
        message: describe(&e),
        elements: at.get().unwrap_or(0),
    })
}

/// After [`slice_elements`] stopped at a bad element: the elements of the top-level
/// array from index `from` on, each as its own bytes (path `$[i]`), found by the
/// splitter so that one bad element does not hide the ones after it. `Err` (the path
/// where it stopped, the bytes not read) when the array's own structure breaks.
pub fn elements_from(
    bytes: &[u8],
    from: usize,
    f: &mut dyn FnMut(usize, &[u8]),
) -> Result<(), (String, u64)> {
    let mut split = split::Split::new(bytes, &[]);
    while let Some(batch) = split.next_batch() {
        for (i, (_, element)) in batch.records().enumerate() {
            let index = batch.first + i;
            if index >= from && batch.too_large(i).is_none() {
                f(index, element);
            }
        }
    }
    if split.broken {
        let unread = (bytes.len() as u64).saturating_sub(split.offset());
        return Err((split.path(), unread));
    }
    Ok(())
}

struct TypedTop<'e, 'c, S: DeserializeSeed<'c>> {
    seed: S,
    emit: &'e mut dyn FnMut(usize, S::Value),
    /// The element being read, once the array has begun.
    at: &'e std::cell::Cell<Option<usize>>,
}

impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for TypedTop<'_, 'de, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array or object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for i in 0.. {
            self.at.set(Some(i));
            match seq.next_element_seed(self.seed)? {
                Some(v) => (self.emit)(i, v),
                None => break,
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// An object key read as its place among `keys`, without allocating it; `None` for
/// any other key.
pub fn key_in<'de, A: MapAccess<'de>>(
    map: &mut A,
    keys: &[&str],
) -> Result<Option<Option<usize>>, A::Error> {
    map.next_key_seed(KeyIn(keys))
}

/// The most bytes one record may have (`[limits] max_record_mib`; ingest sets it).
static MAX_RECORD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(64 << 20);

pub fn set_max_record(bytes: usize) {
    MAX_RECORD.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

pub fn max_record() -> usize {
    MAX_RECORD.load(std::sync::atomic::Ordering::Relaxed)
}

/// Streams a JSON export file (see [`stream`]) for an adapter.
///
/// A file that breaks before its first element is unusable as a whole: `Err`. A record
/// that does not parse (a bad escape, invalid UTF-8, a number out of range, nesting
/// too deep) is rejected on its own and reading goes on with the next: the returned
/// items hold those rejects, for the caller to emit so that the accounting holds. Where
/// the document itself cannot be followed any further (cut off, a missing comma between
/// records), the last item is a [`Reject::cut`] saying how much was left unread.
///
/// [`Reject::cut`]: crate::record::Reject::cut
pub fn stream_file(
    path: &std::path::Path,
    array_keys: &[&str],
    element: &mut dyn FnMut(String, Value),
) -> Result<(Envelope, Vec<crate::record::Item>), FileError> {
    stream_file_with(path, array_keys, |path, v| (path, v), &mut |(path, v)| {
        element(path, v)
    })
}

/// What [`each_file_record`] hands a record to, on any thread: its path, its value, and
/// where its items go.
pub type Element<'a> = dyn Fn(&str, &Value, &mut dyn FnMut(crate::record::Item)) + Sync + 'a;

/// [`stream_file`] as most adapters use it: each record to `element` (with `emit`) on
/// every core, its items handed on in document order; then the records that did not
/// parse, then the envelope itself as one record at `$` when it holds any of the fields
/// `alone` (an export of one record, `/issues/{n}`).
pub fn each_file_record(
    path: &std::path::Path,
    array_keys: &[&str],
    alone: &[&str],
    emit: &mut dyn FnMut(crate::record::Item),
    element: &Element,
) -> Result<(), FileError> {
    let envelope = stream_items(
        path,
        array_keys,
        |path, v| {
            let mut items = Vec::new();
            element(path, v, &mut |item| items.push(item));
            items
        },
        emit,
    )?;
    if alone.iter().any(|k| envelope.contains_key(*k)) {
        element("$", &Value::Object(envelope), emit);
    }
    Ok(())
}

/// [`stream_file`] for an adapter whose records each become items of their own: each
/// record's items made by `items` on every core and handed to `emit` in document
/// order, then the records that did not parse. Returns the envelope.
pub fn stream_items<I: IntoIterator<Item = crate::record::Item> + Send>(
    path: &std::path::Path,
    array_keys: &[&str],
    items: impl Fn(&str, &Value) -> I + Sync,
    emit: &mut dyn FnMut(crate::record::Item),
) -> Result<Envelope, FileError> {
    let (envelope, rejects) = stream_file_with(
        path,
        array_keys,
        |path, v| items(&path, &v),
        &mut |made: I| made.into_iter().for_each(&mut *emit),
    )?;
    rejects.into_iter().for_each(&mut *emit);
    Ok(envelope)
}

/// [`stream_file`] for an adapter that turns each element into its `T` on any thread:
/// the records are found by [`split`] and parsed and `convert`ed on every core, and the
/// results handed to `consume` in document order on this thread. A document the
/// splitter cannot follow is read again from the start by one thread, which words the
/// error; elements already handed on are not handed on again.
pub fn stream_file_with<T: Send>(
    path: &std::path::Path,
    array_keys: &[&str],
    convert: impl Fn(String, Value) -> T + Sync,
    consume: &mut dyn FnMut(T),
) -> Result<(Envelope, Vec<crate::record::Item>), FileError> {
    stream_file_raw(path, array_keys, |_, _| None, convert, consume)
}

/// [`stream_file_with`], where `raw` may read a record straight from its bytes (into
/// the adapter's own types, no [`Value`] tree built): what it returns is handed on as
/// is; when it returns `None` the record is parsed and `convert`ed as usual. It must
/// come to what `convert` would.
pub fn stream_file_raw<T: Send>(
    path: &std::path::Path,
    array_keys: &[&str],
    raw: impl Fn(&str, &[u8]) -> Option<T> + Sync,
    convert: impl Fn(String, Value) -> T + Sync,
    consume: &mut dyn FnMut(T),
) -> Result<(Envelope, Vec<crate::record::Item>), FileError> {
    use crate::record::{Item, Reject};
    let file = std::fs::File::open(path)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let workers = if size > split::BATCH_BYTES as u64 {
        crate::parallel::workers()
    } else {
        1
    };
    let mut split = split::Split::new(file, array_keys);
    let mut rejects: Vec<Item> = Vec::new();
    let mut handed = 0usize;
    crate::parallel::ordered_map(
        std::iter::from_fn(|| split.next_batch()),
        workers,
        |batch: split::Batch| {
            let mut done = Vec::with_capacity(batch.ends.len());
            let mut bad = Vec::new();
            for (i, (path, bytes)) in batch.records().enumerate() {
                if let Some(size) = batch.too_large(i) {
                    bad.push(Reject::new(
                        path,
                        Rejection::too_large(format!(
                            "the record has {size} bytes, more than the {} MiB one record may \
                             have ([limits] max_record_mib); it is skipped without being read",
                            max_record() >> 20
                        )),
                        "",
                    ));
                    continue;
                }
                if let Some(t) = raw(&path, bytes) {
                    done.push(t);
                    continue;
                }
                match serde_json::from_slice::<Value>(bytes) {
                    Ok(v) => each_record(path, v, array_keys, &mut |p, v| done.push(convert(p, v))),
                    Err(e) => bad.push(Reject::new(
                        path,
                        Rejection::syntax(format!("{}; the record is skipped", describe(&e))),
                        &String::from_utf8_lossy(&bytes[..bytes.len().min(400)]),
                    )),
                }
            }
            (done, bad)
        },
        |(done, bad)| {
            for t in done {
                consume(t);
                handed += 1;
            }
            rejects.extend(bad.into_iter().map(Item::Reject));
        },
    );
    for path in std::mem::take(&mut split.misread) {
        rejects.push(Item::Reject(Reject::new(
            path,
            Rejection::too_large(
                "a top-level object whose own 'id' comes after its first MiB: its arrays were \
                 read as records of an envelope, the object itself was not read as a record \
                 (write 'id' before the large arrays, as the APIs do)",
            ),
            "",
        )));
    }
    if !split.broken {
        return Ok((split.envelope, rejects));
    }
    let unread = size.saturating_sub(split.offset());
    if !rejects.is_empty() {
        // The streaming parser cannot step over a record it cannot parse: say where the
        // splitter stopped following the document.
        rejects.push(Item::Reject(Reject::cut(
            split.path(),
            "the document's structure breaks here (cut off, or a missing ',' or bracket)",
            unread,
        )));
        return Ok((Envelope::new(), rejects));
    }
    let file = std::fs::File::open(path)?;
    let mut seen = 0usize;
    // `stream` hands on the records of pages as the splitter's batches do.
    let element = &mut |path: String, v: Value| {
        seen += 1;
        if seen > handed {
            consume(convert(path, v));
        }
    };
    match stream(file, array_keys, &split.record_docs, element) {
        Ok(env) => Ok((env, Vec::new())),
        Err(e) if e.elements == 0 && e.path == "$" => Err(e.into()),
        Err(e) => Ok((
            Envelope::new(),
            vec![Item::Reject(Reject::cut(e.path, &e.message, unread))],
        )),
    }
}

/// Hands on the records of one element of a top-level array: the element itself, or,
/// when it is a page of results (an array of pages: `[{"incidents": […], "more":
/// true}, …]` or `gh api --paginate --slurp`'s `[[…], […]]`), the records of the page.
/// An object is a page when it has no `id` of its own and holds an array under one of
/// the streamed keys; records always have an id.
fn each_record(path: String, v: Value, keys: &[&str], f: &mut dyn FnMut(String, Value)) {
    // `$[3]`, or `document 2: $[3]`: an element of a top-level array.
    let top = path.rsplit_once('$').is_some_and(|(_, rest)| {
        rest.strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
    });
    match v {
        Value::Array(records) if top => {
            for (j, r) in records.into_iter().enumerate() {
                f(format!("{path}[{j}]"), r);
            }
        }
        Value::Object(mut page)
            if top
                && !page.contains_key("id")
                && keys
                    .iter()
                    .any(|k| page.get(*k).is_some_and(Value::is_array)) =>
        {
            for key in keys {
                if let Some(Value::Array(records)) = page.remove(*key) {
                    for (j, r) in records.into_iter().enumerate() {
                        f(format!("{path}.{key}[{j}]"), r);
                    }
                }
            }
        }
        v => f(path, v),
    }
}

/// Whether a record's path puts it in the list under `key` (`$.incidents[3]`, also in
/// a later document: `document 2: $.incidents[0]`).
pub fn under(path: &str, key: &str) -> bool {
    path.split_once("$.")
        .and_then(|(_, rest)| rest.strip_prefix(key))
        .is_some_and(|rest| rest.starts_with('['))
}

/// A serde_json error in the words of the rest of the tool.
pub fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => format!(
            "expected more JSON, found the end of the file (truncated?) at line {} column {}",
            e.line(),
            e.column()
        ),
        Category::Syntax => format!("invalid JSON: {e}"),
        Category::Io => format!("cannot read: {e}"),
        Category::Data => format!("unexpected JSON: {e}"),
    }
}

/// One document: its records streamed, its envelope returned with whether it held any
/// of the streamed keys.
struct Top<'a, 'b> {
    keys: &'a [&'a str],
    /// The path of the document: `$`, or `document 2: $`.
    root: &'a str,
    state: &'a RefCell<State<'b>>,
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = (Envelope, bool);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array or object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(Envelope, bool), A::Error> {
        elements(seq, self.root, self.state)?;
        Ok((Envelope::new(), true))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(Envelope, bool), A::Error> {
        let mut envelope = Envelope::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if self.keys.contains(&key.as_str()) {
                streamed = true;
                let prefix = format!("{}.{key}", self.root);
                self.state.borrow_mut().path = prefix.clone();
                map.next_value_seed(Array {
                    prefix,
                    state: self.state,
                })?;
            } else {
                let value: Value = map.next_value()?;
                envelope.insert(key, value);
            }
        }
        Ok((envelope, streamed))
    }
}

fn elements<'de, A: SeqAccess<'de>>(
    mut seq: A,
    prefix: &str,
    state: &RefCell<State>,
) -> Result<(), A::Error> {
    let mut i = 0usize;
    loop {
        let path = crate::record::element_at(prefix, i);
        state.borrow_mut().path = path.clone();
        match seq.next_element::<Value>()? {
            Some(v) => {
                let mut s = state.borrow_mut();
                s.elements += 1;
                let State { emit, keys, .. } = &mut *s;
                each_record(path, v, keys, &mut **emit);
            }
            None => return Ok(()),
        }
        i += 1;
    }
}

/// An object key read as its place among the kept keys, without allocating it.
struct KeyIn<'a>(&'a [&'a str]);

impl<'de> DeserializeSeed<'de> for KeyIn<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIn<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|k| *k == v))
    }
}

/// An array under an envelope key, streamed element by element. A value that is not an
/// array (a `null`, say) is skipped.
struct Array<'a, 'b> {
    prefix: String,
    state: &'a RefCell<State<'b>>,
}

impl<'de> DeserializeSeed<'de> for Array<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Array<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        elements(seq, &self.prefix, self.state)
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    /// One object where an array of records was expected (`{"data": {…}}`, a response
    /// for one record by id) is that one record, at the key's path.
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let v = <Value as serde::Deserialize>::deserialize(
            serde::de::value::MapAccessDeserializer::new(map),
        )?;
        let mut s = self.state.borrow_mut();
        s.elements += 1;
        (s.emit)(self.prefix, v);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
