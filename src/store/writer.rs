//! The store's [`Writer`]: one ingest run's changes, committed atomically.
//!
//! Rows have *positions*: the stored rows first, then this run's rows in the order they
//! came. A replaced or removed row is marked dead where it is, and an index maps each
//! live key to its position. Per position the writer keeps only a 128-bit hash of the
//! key, a hash of the content and the row's version, so deciding whether a row is new,
//! a duplicate or a newer version never reads a row back (people, merged field by
//! field, are the exception: that table is small and stays in memory).
//!
//! The rows themselves are held as Arrow columns: this run's rows are frozen into
//! frames [`CHUNK_ROWS`] at a time, and once a table holds [`SPILL_ROWS`] of them they
//! are sorted by key and written to a temporary Parquet *run*. A large stored table is
//! likewise left on disk and read a row group at a time. Commit merges the stored rows,
//! the runs and what is in memory in key order, a row group at a time, so the memory an
//! ingest needs does not grow with the size of the export.

use super::{
    crash_point, pause, read_slice, row_at, rows_to_frame, sync_dir, with_schema, Lock, Store,
    JOURNAL, TMP_MARK,
};
use crate::record::{Record, Row, Value};
use crate::schema::{Kind, Table};
use anyhow::{Context, Result};
use polars::prelude::{
    BooleanChunked, Column, DataFrame, DataType, IdxCa, IntoColumn, ParquetReader, ParquetWriter,
    PlSmallStr, PolarsResult, SerReader, SortMultipleOptions, StringChunked, UInt32Chunked,
};
use std::collections::{BTreeMap, BinaryHeap};
use std::fs::{self, File};
use std::io::Write;
use std::path::PathBuf;

/// A text cell (or null) by the cells of two other columns (a missing cell reads as
/// empty): what [`Writer::set_text_by`] sets. Cells of pairs it does not hold are left
/// as they are.
#[derive(Debug, Default, Clone)]
pub struct TextMap(hashbrown::HashMap<String, hashbrown::HashMap<String, Option<String>>>);

impl TextMap {
    pub fn insert(&mut self, a: &str, b: &str, value: Option<&str>) {
        self.0
            .entry_ref(a)
            .or_default()
            .insert(b.to_string(), value.map(str::to_string));
    }

    /// The cell for a pair: `None` when the map does not hold the pair.
    pub fn get(&self, a: Option<&str>, b: Option<&str>) -> Option<Option<&str>> {
        self.0
            .get(a.unwrap_or_default())?
            .get(b.unwrap_or_default())
            .map(Option::as_deref)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A frame's `column` as the map sets it from the `from` columns (cells of pairs
    /// it does not hold as they were).
    fn column(&self, df: &DataFrame, column: &str, from: [&str; 2]) -> Result<StringChunked> {
        let (a, b) = (df.column(from[0])?.str()?, df.column(from[1])?.str()?);
        let old = df.column(column)?.str()?;
        Ok(a.iter()
            .zip(b.iter())
            .zip(old.iter())
            .map(|((a, b), old)| self.get(a, b).unwrap_or(old))
            .collect::<StringChunked>()
            .with_name(old.name().clone()))
    }
}

/// A [`TextMap`] set on the rows of the runs that existed when it was set, applied to
/// their batches as they are read rather than by rewriting the runs.
#[derive(Clone)]
struct RunPatch {
    column: &'static str,
    from: [&'static str; 2],
    map: std::sync::Arc<TextMap>,
    /// Applies to runs `0..runs`.
    runs: usize,
}

impl RunPatch {
    /// Applies the patches meant for run `run` to a batch read from it (all its columns).
    fn apply(patches: &[RunPatch], run: usize, df: &mut DataFrame) -> Result<()> {
        for p in patches.iter().filter(|p| run < p.runs) {
            let new = p.map.column(df, p.column, p.from)?;
            df.with_column(new.into_column())?;
        }
        Ok(())
    }
}

/// What became of one input record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ingested,
    Duplicate,
}

/// What became of an input record given to [`Writer::apply`].
#[derive(Debug)]
pub enum Applied {
    /// Its rows, each with its table and whether it was new (or newer) or already there.
    Stored(Vec<(Table, Outcome)>),
    /// It refers to incidents (listed) that are neither in the store nor earlier in this
    /// run: nothing of it is stored yet.
    Pending(Vec<String>, Record),
    /// It cannot be used, for the reason given: nothing of it is stored.
    Rejected(String, Record),
}

impl Applied {
    /// The record's own outcome: new when any row of it is (a record without rows was
    /// read for its context, a channel line say, and is used, not a duplicate).
    pub fn outcome(rows: &[(Table, Outcome)]) -> Outcome {
        if rows.is_empty() || rows.iter().any(|(_, o)| *o == Outcome::Ingested) {
            Outcome::Ingested
        } else {
            Outcome::Duplicate
        }
    }
}

/// This run's rows are frozen into columnar frames this many at a time.
const CHUNK_ROWS: usize = 16_384;

/// A table holding this many of this run's rows in memory writes them to a run.
const SPILL_ROWS: usize = 1 << 18;

/// All tables together hold at most about this many bytes of this run's frozen rows:
/// past it, the table holding most writes its rows to a run. A run is written on a
/// thread of its own while new rows arrive, so about twice this may be in memory for a
/// while (56 MiB rather than 64: the large organisation's ingest then peaks within
/// 20-40 MiB of where runs of 64 MiB written in line left it, and ends 0.5-1 s sooner).
const MEMORY_BUDGET: usize = 56 << 20;

/// Rows per row group of a run file, and per batch read back from one when merging.
const RUN_GROUP: usize = 8_192;

/// Rows per row group of a stored table, and per batch read from a large one.
pub(super) const ROW_GROUP: usize = 1 << 16;

/// Test hook: freeze and spill every this many rows, so that small fixtures go through
/// the paths a large export takes.
const SPILL_ENV: &str = "INCIDENTLENS_TEST_SPILL_ROWS";

/// The position column of run files.
const POS: &str = "__pos";

/// The hash of a row key. Equal hashes are taken as equal keys: with 128 bits, a
/// collision among a billion keys has a probability below 10⁻²⁰.
fn key_hash(key: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(key.as_bytes())
}

/// The hash of a row's key, `key_hash(&row.key())`, without building the key when it
/// is one text cell (most tables): millions of rows are looked up by it.
fn row_key_hash(row: &Row) -> u128 {
    if let [column] = row.table.key() {
        if let Value::Str(s) = row.get(column) {
            return key_hash(s);
        }
    }
    key_hash(&row.key())
}

/// Content hashes: each cell hashed, folded in column order. Rows of values and rows of
/// frames hash alike (a list as its stored `;`-joined text).
mod content {
    use xxhash_rust::xxh3::xxh3_64_with_seed;

    pub const NULL: u64 = 0x9e37_79b9_7f4a_7c15;

    pub fn text(s: &str) -> u64 {
        xxh3_64_with_seed(s.as_bytes(), 1)
    }

    pub fn int(i: i64) -> u64 {
        xxh3_64_with_seed(&i.to_le_bytes(), 2)
    }

    pub fn boolean(b: bool) -> u64 {
        if b {
            0x51_7cc1_b727_220a
        } else {
            0x2545_f491_4f6c_dd1d
        }
    }

    pub fn fold(row: u64, cell: u64) -> u64 {
        (row.rotate_left(5) ^ cell).wrapping_mul(0x0100_0000_01b3)
    }
}

/// The content hash of a row of values, cells read as the column's kind (a cell of
/// another kind is stored as null, so it hashes as null).
fn value_hash(table: Table, values: &[Value]) -> u64 {
    let mut h = 0;
    for (c, v) in table.columns().iter().zip(values) {
        let cell = match (c.kind, v) {
            (Kind::Str, Value::Str(s)) => content::text(s),
            (Kind::StrList, Value::List(l)) => content::text(&l.join(";")),
            (Kind::Int, Value::Int(i)) | (Kind::Timestamp, Value::Ts(i)) => content::int(*i),
            (Kind::Bool, Value::Bool(b)) => content::boolean(*b),
            _ => content::NULL,
        };
        h = content::fold(h, cell);
    }
    h
}

/// The content hash of every row of a frame with the table's columns.
fn frame_hashes(table: Table, df: &DataFrame) -> Result<Vec<u64>> {
    fn fold(hashes: &mut [u64], cells: impl Iterator<Item = u64>) {
        for (h, cell) in hashes.iter_mut().zip(cells) {
            *h = content::fold(*h, cell);
        }
    }
    let mut hashes = vec![0u64; df.height()];
    for c in table.columns() {
        let column = df.column(c.name)?;
        match c.kind {
            Kind::Str | Kind::StrList => fold(
                &mut hashes,
                column
                    .str()?
                    .iter()
                    .map(|s| s.map_or(content::NULL, content::text)),
            ),
            Kind::Int | Kind::Timestamp => {
                let ints = column.cast(&DataType::Int64)?;
                fold(
                    &mut hashes,
                    ints.i64()?
                        .iter()
                        .map(|i| i.map_or(content::NULL, content::int)),
                )
            }
            Kind::Bool => fold(
                &mut hashes,
                column
                    .bool()?
                    .iter()
                    .map(|b| b.map_or(content::NULL, content::boolean)),
            ),
        }
    }
    Ok(hashes)
}

/// The version (`updated_at`) of every row of a frame, `i64::MIN` where there is none.
fn frame_versions(table: Table, df: &DataFrame) -> Result<Vec<i64>> {
    let Some(v) = table.version() else {
        return Ok(Vec::new());
    };
    let ints = df.column(v)?.cast(&DataType::Int64)?;
    Ok(ints.i64()?.iter().map(|t| t.unwrap_or(i64::MIN)).collect())
}

fn value_version(table: Table, values: &[Value]) -> Option<i64> {
    let i = table
        .index_of(table.version()?)
        .expect("version column exists");
    Some(match values[i] {
        Value::Ts(t) => t,
        _ => i64::MIN,
    })
}

/// The source locations of the current file's records, front-coded: consecutive
/// locations share most of their text ("chan/2024-01-02.json[7]", "…[8]"), so a
/// million of them take a few megabytes. Used to name where a conflicting key was first.
#[derive(Default)]
struct Locations {
    bytes: String,
    /// Per entry: end of its suffix in `bytes`, and the length of the prefix it shares
    /// with the entry before (0 every `RESTART` entries).
    entries: Vec<(u32, u16)>,
    last: String,
}

impl Locations {
    const RESTART: usize = 16;

    /// Adds a location (a repeat of the last one is not stored again); its number.
    fn push(&mut self, s: &str) -> u32 {
        let n = self.entries.len();
        if n > 0 && s == self.last {
            return (n - 1) as u32;
        }
        let mut shared = 0;
        if !n.is_multiple_of(Self::RESTART) {
            shared = self
                .last
                .char_indices()
                .zip(s.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map_or(0, |((i, a), _)| i + a.len_utf8())
                .min(u16::MAX as usize);
        }
        self.bytes.push_str(&s[shared..]);
        self.entries.push((self.bytes.len() as u32, shared as u16));
        self.last.clear();
        self.last.push_str(s);
        n as u32
    }

    fn get(&self, n: u32) -> String {
        let n = n as usize;
        let mut out = String::new();
        for j in n - n % Self::RESTART..=n {
            let start = if j == 0 {
                0
            } else {
                self.entries[j - 1].0 as usize
            };
            let (end, shared) = self.entries[j];
            out.truncate(shared as usize);
            out.push_str(&self.bytes[start..end as usize]);
        }
        out
    }

    fn clear(&mut self) {
        *self = Locations::default();
    }
}

/// A vector grown a segment at a time: the per-row bookkeeping of millions of rows
/// never doubles its allocation or copies itself when it grows.
struct Segmented<T> {
    segments: Vec<Vec<T>>,
    len: usize,
}

impl<T: Copy> Segmented<T> {
    const SEGMENT: usize = 1 << 16;

    fn new() -> Segmented<T> {
        Segmented {
            segments: Vec::new(),
            len: 0,
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, v: T) {
        if self.len.is_multiple_of(Self::SEGMENT) {
            self.segments.push(Vec::with_capacity(Self::SEGMENT));
        }
        self.segments.last_mut().expect("just pushed").push(v);
        self.len += 1;
    }

    fn extend(&mut self, values: impl IntoIterator<Item = T>) {
        values.into_iter().for_each(|v| self.push(v));
    }

    fn clear(&mut self) {
        self.segments.clear();
        self.len = 0;
    }
}

impl<T> std::ops::Index<usize> for Segmented<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        &self.segments[i >> 16][i & 0xffff]
    }
}

impl<T> std::ops::IndexMut<usize> for Segmented<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.segments[i >> 16][i & 0xffff]
    }
}

/// The stored table left on disk: a large one, read a row group at a time.
struct OnDisk {
    path: PathBuf,
    /// The file has every column (not a store from an older version): a reader of a
    /// few columns reads only those.
    complete: bool,
    /// Per batch of [`ROW_GROUP`] rows: whether its rows moved to a run (when a column
    /// of them was set).
    moved: Vec<bool>,
}

/// One table's rows as stored plus the changes of this run.
struct TableState {
    table: Table,
    dir: PathBuf,
    /// Rows stored before this run (positions `0..stored`), in memory or on disk.
    stored: usize,
    stored_frame: Option<DataFrame>,
    on_disk: Option<OnDisk>,
    /// This run's rows frozen in memory: (first position, rows), and their size.
    chunks: Vec<(usize, DataFrame)>,
    chunk_bytes: usize,
    /// This run's rows not frozen yet, from position `open_start`.
    open: Vec<Vec<Value>>,
    open_start: usize,
    /// Sorted runs of rows (with their positions) on disk.
    runs: Vec<PathBuf>,
    /// The last run, while a thread of its own still sorts and writes it (the rows go
    /// on arriving meanwhile); joined before any run is read or the next one begun.
    writing: Option<std::thread::JoinHandle<Result<()>>>,
    /// Cells set on rows of runs and not written there yet (see `set_text_by`).
    run_patches: Vec<RunPatch>,
    /// Per position.
    keys: Segmented<u128>,
    contents: Segmented<u64>,
    /// Per position, for tables with a version column.
    versions: Segmented<i64>,
    dead: Segmented<bool>,
    /// The input file of the latest rows, the position of its first row here, and the
    /// location number of each of its rows (rows of earlier files are never asked).
    file: u32,
    file_start: usize,
    locations: Segmented<u32>,
    index: hashbrown::HashTable<u32>,
    chunk: usize,
    spill: usize,
    changed: bool,
}

impl Drop for TableState {
    fn drop(&mut self) {
        let _ = self.written();
        for run in &self.runs {
            let _ = fs::remove_file(run);
        }
    }
}

impl TableState {
    fn load(store: &Store, table: Table, chunk: usize, spill: usize) -> Result<TableState> {
        let path = store.table_path(table);
        let mut s = TableState {
            table,
            dir: store.table_dir(table),
            stored: 0,
            stored_frame: None,
            on_disk: None,
            chunks: Vec::new(),
            chunk_bytes: 0,
            open: Vec::new(),
            open_start: 0,
            runs: Vec::new(),
            writing: None,
            run_patches: Vec::new(),
            keys: Segmented::new(),
            contents: Segmented::new(),
            versions: Segmented::new(),
            dead: Segmented::new(),
            file: 0,
            file_start: 0,
            locations: Segmented::new(),
            index: hashbrown::HashTable::new(),
            chunk,
            spill,
            changed: false,
        };
        let rows = store.rows(table)?;
        // People merge field by field, so their rows stay at hand; so do small tables.
        if table == Table::People || rows <= spill {
            let df = store.read(table)?;
            s.index_stored(&df)?;
            s.stored_frame = Some(df);
        } else {
            let mut start = 0;
            while start < rows {
                let len = ROW_GROUP.min(rows - start);
                let df = with_schema(read_slice(&path, start, len, None)?, table)?;
                s.index_stored(&df)?;
                start += len;
            }
            s.on_disk = Some(OnDisk {
                path,
                complete: store.complete(table)?,
                moved: vec![false; rows.div_ceil(ROW_GROUP)],
            });
        }
        s.open_start = s.stored;
        Ok(s)
    }

    /// Indexes stored rows that follow those indexed so far.
    fn index_stored(&mut self, df: &DataFrame) -> Result<()> {
        self.contents.extend(frame_hashes(self.table, df)?);
        self.versions.extend(frame_versions(self.table, df)?);
        for key in super::key_strings(df, self.table)? {
            let pos = self.keys.len() as u32;
            self.add_key(key_hash(&key), pos);
        }
        self.stored += df.height();
        while self.dead.len() < self.stored {
            self.dead.push(false);
        }
        Ok(())
    }

    fn add_key(&mut self, key: u128, pos: u32) {
        self.keys.push(key);
        let keys = &self.keys;
        self.index
            .insert_unique(key as u64, pos, |&p| keys[p as usize] as u64);
    }

    /// The position of the live row with this key.
    fn find(&self, key: u128) -> Option<usize> {
        self.index
            .find(key as u64, |&p| self.keys[p as usize] == key)
            .map(|&p| p as usize)
    }

    /// The row at a position, for the tables kept in memory (people).
    fn values_at(&self, pos: usize) -> Result<Vec<Value>> {
        if pos >= self.open_start {
            return Ok(self.open[pos - self.open_start].clone());
        }
        if pos < self.stored {
            if let Some(df) = &self.stored_frame {
                return Ok(row_at(df, self.table, pos)?.values);
            }
        } else {
            let k = self.chunks.partition_point(|(first, _)| *first <= pos);
            if let Some((first, df)) = k.checked_sub(1).map(|k| &self.chunks[k]) {
                if pos - first < df.height() {
                    return Ok(row_at(df, self.table, pos - first)?.values);
                }
            }
        }
        anyhow::bail!(
            "row {pos} of {} is not in memory (a table merged field by field never spills)",
            self.table.name()
        )
    }

    /// Appends a row of this run; `replaces` is the live row of the same key, if any.
    /// Returns whether the open rows were frozen into a chunk.
    fn push(
        &mut self,
        key: u128,
        values: Vec<Value>,
        replaces: Option<usize>,
        origin: (u32, u32),
    ) -> Result<bool> {
        let pos = self.keys.len() as u32;
        self.contents.push(value_hash(self.table, &values));
        if let Some(v) = value_version(self.table, &values) {
            self.versions.push(v);
        }
        self.dead.push(false);
        if origin.0 != self.file {
            self.file = origin.0;
            self.file_start = pos as usize;
            self.locations.clear();
        }
        self.locations.push(origin.1);
        self.open.push(values);
        match replaces {
            Some(old) => {
                self.dead[old] = true;
                self.keys.push(key);
                let slot = self
                    .index
                    .find_mut(key as u64, |&p| p as usize == old)
                    .expect("a live row is indexed");
                *slot = pos;
            }
            None => self.add_key(key, pos),
        }
        self.changed = true;
        if self.open.len() < self.chunk {
            return Ok(false);
        }
        self.freeze()?;
        let in_memory: usize = self.chunks.iter().map(|(_, df)| df.height()).sum();
        if self.spills() && in_memory >= self.spill {
            self.write_run()?;
        }
        Ok(true)
    }

    /// Whether this table's rows may go to runs (people, merged field by field, stay).
    fn spills(&self) -> bool {
        self.table != Table::People
    }

    /// Turns the open rows into a frame.
    fn freeze(&mut self) -> Result<()> {
        if !self.open.is_empty() {
            let frame = rows_to_frame(self.table, self.open.iter())?;
            self.chunk_bytes += frame.estimated_size();
            self.chunks.push((self.open_start, frame));
            self.open_start += self.open.len();
            self.open.clear();
        }
        Ok(())
    }

    /// Writes the frozen rows, with their positions, to a run sorted by key, on a thread
    /// of its own: staging goes on meanwhile. One run is written at a time.
    fn write_run(&mut self) -> Result<()> {
        self.written()?;
        let chunks = std::mem::take(&mut self.chunks);
        self.chunk_bytes = 0;
        let table = self.table;
        let path = self.run_path(&format!("run-{}", self.runs.len()))?;
        self.runs.push(path.clone());
        self.writing = Some(
            std::thread::Builder::new()
                .name(format!("run of {}", table.name()))
                .spawn(move || {
                    let df = with_positions(table, chunks.iter().map(|(first, df)| (*first, df)))?;
                    drop(chunks);
                    write_run_file(&path, &mut sorted(df, table)?)
                })?,
        );
        Ok(())
    }

    /// Waits for the run being written, if any.
    fn written(&mut self) -> Result<()> {
        match self.writing.take() {
            Some(h) => h.join().map_err(|_| {
                anyhow::anyhow!("writing a run of {} stopped (panicked)", self.table.name())
            })?,
            None => Ok(()),
        }
    }

    /// The path of a new run file in the table's folder (the folder made if need be).
    fn run_path(&self, name: &str) -> Result<PathBuf> {
        fs::create_dir_all(&self.dir)?;
        Ok(self.dir.join(format!(
            ".{}.{name}.parquet{TMP_MARK}{}",
            self.table.name(),
            std::process::id()
        )))
    }

    /// Writes rows (with their positions) to a new run file in the table's folder.
    fn add_run(&mut self, name: &str, df: &mut DataFrame) -> Result<()> {
        let path = self.run_path(name)?;
        write_run_file(&path, df)?;
        self.runs.push(path);
        Ok(())
    }

    fn remove(&mut self, pos: usize) {
        self.dead[pos] = true;
        if let Ok(e) = self
            .index
            .find_entry(self.keys[pos] as u64, |&p| p as usize == pos)
        {
            e.remove();
        }
        self.changed = true;
    }

    /// Keeps the rows of `df` whose positions (`first..`, or its position column) are
    /// live, and drops the position column.
    fn live_rows(&self, df: DataFrame, first: Option<usize>) -> Result<DataFrame> {
        let keep: BooleanChunked = positions(&df, first)?
            .into_iter()
            .map(|p| !self.dead[p])
            .collect();
        let df = if keep.all() { df } else { df.filter(&keep)? };
        Ok(match first {
            Some(_) => df,
            None => df.drop(POS)?,
        })
    }

    /// Hands the live rows to `f` part by part (stored, runs, memory), all columns or
    /// the named ones: a large table is never whole in memory.
    fn each_part(
        &self,
        columns: Option<&[&str]>,
        f: &mut dyn FnMut(DataFrame) -> Result<()>,
    ) -> Result<()> {
        assert!(
            self.writing.is_none(),
            "the runs of {} are read while one is being written",
            self.table.name()
        );
        let project = |df: DataFrame| -> Result<DataFrame> {
            Ok(match columns {
                Some(cols) => df.select(cols.iter().copied())?,
                None => df,
            })
        };
        let names = |extra: Option<&str>| {
            columns.map(|cols| {
                cols.iter()
                    .copied()
                    .chain(extra)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
        };
        if let Some(df) = &self.stored_frame {
            f(self.live_rows(project(df.clone())?, Some(0))?)?;
        }
        if let Some(disk) = &self.on_disk {
            for (b, moved) in disk.moved.iter().enumerate() {
                let start = b * ROW_GROUP;
                let len = ROW_GROUP.min(self.stored - start);
                if *moved {
                    continue;
                }
                let df = if disk.complete {
                    read_slice(&disk.path, start, len, names(None))?
                } else {
                    project(with_schema(
                        read_slice(&disk.path, start, len, None)?,
                        self.table,
                    )?)?
                };
                f(self.live_rows(df, Some(start))?)?;
            }
        }
        for (i, run) in self.runs.iter().enumerate() {
            let file = File::open(run)?;
            let patched = self.run_patches.iter().any(|p| i < p.runs);
            let mut df = ParquetReader::new(file)
                .with_columns(if patched { None } else { names(Some(POS)) })
                .finish()?;
            if patched {
                RunPatch::apply(&self.run_patches, i, &mut df)?;
                if let Some(cols) = names(Some(POS)) {
                    df = df.select(cols)?;
                }
            }
            f(self.live_rows(df, None)?)?;
        }
        for (first, df) in &self.chunks {
            f(self.live_rows(project(df.clone())?, Some(*first))?)?;
        }
        let open = rows_to_frame(self.table, self.open.iter())?;
        f(self.live_rows(project(open)?, Some(self.open_start))?)
    }

    /// The live rows in one frame, all columns or the named ones.
    fn live(&self, columns: Option<&[&str]>) -> Result<DataFrame> {
        let mut out: Option<DataFrame> = None;
        self.each_part(columns, &mut |df| {
            match &mut out {
                Some(o) => {
                    o.vstack_mut(&df)?;
                }
                None => out = Some(df),
            }
            Ok(())
        })?;
        Ok(out.expect("there is always an open part"))
    }

    /// Sets `column` of a frame's rows as `map` says from the `from` columns; updates
    /// their content hashes. Returns how many live rows changed.
    fn patch(
        &mut self,
        df: &mut DataFrame,
        first: Option<usize>,
        column: &str,
        from: [&str; 2],
        map: &TextMap,
    ) -> Result<usize> {
        let positions = positions(df, first)?;
        let new = map.column(df, column, from)?;
        let old = df.column(column)?.str()?;
        let changed: Vec<usize> = new
            .iter()
            .zip(old.iter())
            .enumerate()
            .filter(|(i, (n, o))| n != o && !self.dead[positions[*i]])
            .map(|(i, _)| i)
            .collect();
        if changed.is_empty() {
            return Ok(0);
        }
        df.with_column(new.into_column())?;
        let hashes = frame_hashes(self.table, df)?;
        for &i in &changed {
            self.contents[positions[i]] = hashes[i];
        }
        Ok(changed.len())
    }

    /// Sets a text column of every row from two others, as `map` says. Rows in memory
    /// and stored rows change now. Rows in runs (millions of messages, say) change as
    /// their runs are read: a run is not read and written again for it. Their content
    /// hashes then lag behind, so before a row is next compared with one of them, the
    /// runs are brought up to date ([`TableState::settle`]).
    fn set_text_by(
        &mut self,
        column: &'static str,
        from: [&'static str; 2],
        map: TextMap,
    ) -> Result<()> {
        assert!(
            !self.table.key().contains(&column),
            "a key column is not set this way: runs are sorted by key"
        );
        self.written()?;
        let mut changed = 0;
        let runs = self.runs.len();
        if let Some(mut df) = self.stored_frame.take() {
            changed += self.patch(&mut df, Some(0), column, from, &map)?;
            self.stored_frame = Some(df);
        }
        // Stored rows on disk cannot be changed there: a batch with a change moves to a
        // run of its own.
        if let Some(mut disk) = self.on_disk.take() {
            for b in 0..disk.moved.len() {
                let start = b * ROW_GROUP;
                let len = ROW_GROUP.min(self.stored - start);
                if disk.moved[b] {
                    continue;
                }
                let mut df = with_schema(read_slice(&disk.path, start, len, None)?, self.table)?;
                let n = self.patch(&mut df, Some(start), column, from, &map)?;
                if n > 0 {
                    changed += n;
                    let mut df = with_positions(self.table, [(start, &df)])?;
                    self.add_run(&format!("stored-{b}"), &mut df)?;
                    disk.moved[b] = true;
                }
            }
            self.on_disk = Some(disk);
        }
        let mut chunks = std::mem::take(&mut self.chunks);
        for (first, df) in &mut chunks {
            changed += self.patch(df, Some(*first), column, from, &map)?;
        }
        self.chunks = chunks;
        let ci = self.table.index_of(column).expect("the column exists");
        let fi = from.map(|c| self.table.index_of(c).expect("the column exists"));
        for i in 0..self.open.len() {
            let row = &self.open[i];
            let (a, b) = (row[fi[0]].as_str(), row[fi[1]].as_str());
            if let Some(new) = map.get(a, b) {
                if row[ci].as_str() != new {
                    self.open[i][ci] = Value::opt_text(new);
                    self.contents[self.open_start + i] = value_hash(self.table, &self.open[i]);
                    changed += 1;
                }
            }
        }
        if runs > 0 {
            self.run_patches.push(RunPatch {
                column,
                from,
                map: std::sync::Arc::new(map),
                runs,
            });
            // Rows in runs are rows of this ingest: the table is written anyway.
            changed += 1;
        }
        if changed > 0 {
            self.changed = true;
        }
        Ok(())
    }

    /// Writes the cells set on rows of runs into the runs, and their content hashes.
    fn settle(&mut self) -> Result<()> {
        if self.run_patches.is_empty() {
            return Ok(());
        }
        self.written()?;
        let patches = std::mem::take(&mut self.run_patches);
        for i in 0..self.runs.len() {
            let path = self.runs[i].clone();
            let mut df = ParquetReader::new(File::open(&path)?).finish()?;
            let mut n = 0;
            for p in patches.iter().filter(|p| i < p.runs) {
                n += self.patch(&mut df, None, p.column, p.from, &p.map)?;
            }
            if n > 0 {
                write_run_file(&path, &mut df)?;
            }
        }
        Ok(())
    }

    /// Writes the live rows in key order as Parquet.
    fn write(mut self, out: &mut File) -> Result<()> {
        self.written()?;
        // From here only which rows are live matters: the bookkeeping for finding and
        // comparing rows (for millions of messages, some 200 MB) is let go of first.
        self.keys.clear();
        self.contents.clear();
        self.versions.clear();
        self.locations.clear();
        self.index = hashbrown::HashTable::new();
        if self.runs.is_empty() && self.on_disk.is_none() {
            let df = self.live(None)?;
            return write_sorted(&df, self.table, out);
        }
        // A merge of sorted parts: the stored rows on disk, each run, and the rows in
        // memory (sorted here).
        self.freeze()?;
        let mut cursors = Vec::new();
        if let Some(disk) = &self.on_disk {
            let batches = disk
                .moved
                .iter()
                .enumerate()
                .filter(|(_, m)| !**m)
                .map(|(b, _)| {
                    let start = b * ROW_GROUP;
                    (disk.path.clone(), start, ROW_GROUP.min(self.stored - start))
                })
                .collect();
            cursors.push(Cursor::new(Batches::File(batches), true));
        }
        for (i, run) in self.runs.iter().enumerate() {
            let rows = ParquetReader::new(File::open(run)?).num_rows()?;
            let batches = (0..rows)
                .step_by(RUN_GROUP)
                .map(|start| (run.clone(), start, RUN_GROUP.min(rows - start)))
                .collect();
            let mut cursor = Cursor::new(Batches::File(batches), false);
            cursor.patches = (i, self.run_patches.clone());
            cursors.push(cursor);
        }
        let in_memory = self.stored_frame.iter().map(|df| (0, df));
        let in_memory = in_memory.chain(self.chunks.iter().map(|(first, df)| (*first, df)));
        let memory = sorted(with_positions(self.table, in_memory)?, self.table)?;
        cursors.push(Cursor::new(Batches::Memory(Some(memory)), false));

        let mut writer = ParquetWriter::new(out).batched(&self.table.schema())?;
        let mut merged = Merged {
            table: self.table,
            taken: Vec::new(),
            pending: Vec::new(),
            pending_rows: 0,
        };
        let mut heap = BinaryHeap::new();
        for (i, c) in cursors.iter_mut().enumerate() {
            if let Some(key) = c.next_live(self.table, &self.dead)? {
                heap.push(std::cmp::Reverse((key, i)));
            }
        }
        while let Some(std::cmp::Reverse((_, i))) = heap.pop() {
            loop {
                merged.taken.push((i, cursors[i].row));
                cursors[i].row += 1;
                cursors[i].skip_dead(&self.dead);
                if cursors[i].row == cursors[i].height() {
                    // The batch is about to be replaced: gather what was taken from it.
                    merged.gather(&cursors, &mut writer, false)?;
                }
                let Some(key) = cursors[i].next_live(self.table, &self.dead)? else {
                    break;
                };
                // Runs often follow one another in key order (a chat export comes channel
                // by channel): the cursor goes on while its next row comes before every
                // other cursor's, without a round through the heap.
                let first =
                    heap.peek()
                        .is_none_or(|std::cmp::Reverse((top, j))| match key.cmp(top) {
                            std::cmp::Ordering::Less => true,
                            std::cmp::Ordering::Equal => i < *j,
                            std::cmp::Ordering::Greater => false,
                        });
                if !first {
                    heap.push(std::cmp::Reverse((key, i)));
                    break;
                }
            }
        }
        merged.gather(&cursors, &mut writer, true)?;
        writer.finish()?;
        Ok(())
    }
}

/// Writes a run file.
fn write_run_file(path: &std::path::Path, df: &mut DataFrame) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    // A run is read back once or twice and removed: LZ4 and no statistics write and
    // read it several times faster than the store's zstd.
    ParquetWriter::new(file)
        .with_row_group_size(Some(RUN_GROUP))
        .with_compression(polars::io::parquet::write::ParquetCompression::Lz4Raw)
        .with_statistics(polars::io::parquet::write::StatisticsOptions::empty())
        .finish(df)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Frames of rows, each with the position of its first row, as one frame with a
/// position column (a run's layout).
fn with_positions<'a>(
    table: Table,
    parts: impl IntoIterator<Item = (usize, &'a DataFrame)>,
) -> Result<DataFrame> {
    let mut df = DataFrame::empty_with_schema(&table.schema());
    let mut positions: Vec<u32> = Vec::new();
    for (first, part) in parts {
        positions.extend(first as u32..(first + part.height()) as u32);
        df.vstack_mut(part)?;
    }
    let positions = UInt32Chunked::from_vec(PlSmallStr::from_static(POS), positions);
    df.with_column(positions.into_column())?;
    Ok(df)
}

/// The positions of a frame's rows: `first..` when it is the stored table read in order,
/// else its position column (a run's).
fn positions(df: &DataFrame, first: Option<usize>) -> Result<Vec<usize>> {
    Ok(match first {
        Some(first) => (first..first + df.height()).collect(),
        None => df
            .column(POS)?
            .u32()?
            .iter()
            .map(|p| p.expect("positions are set") as usize)
            .collect(),
    })
}

/// Where a cursor's batches come from.
enum Batches {
    /// (file, first row, rows), read in turn.
    File(Vec<(PathBuf, usize, usize)>),
    Memory(Option<DataFrame>),
}

/// A cursor over one sorted part: its current batch and row.
struct Cursor {
    batches: std::collections::VecDeque<(PathBuf, usize, usize)>,
    memory: Option<DataFrame>,
    /// Positions are the file's row numbers (the stored table) rather than a column.
    implicit: bool,
    batch: Option<DataFrame>,
    positions: Vec<usize>,
    keys: Vec<Vec<KeyCell>>,
    row: usize,
    /// The run the batches come from, and the cells set on runs' rows since.
    patches: (usize, Vec<RunPatch>),
}

impl Cursor {
    fn new(batches: Batches, implicit: bool) -> Cursor {
        let (files, memory) = match batches {
            Batches::File(f) => (f.into(), None),
            Batches::Memory(m) => (Default::default(), m),
        };
        Cursor {
            batches: files,
            memory,
            implicit,
            batch: None,
            positions: Vec::new(),
            keys: Vec::new(),
            row: 0,
            patches: (0, Vec::new()),
        }
    }

    fn height(&self) -> usize {
        self.positions.len()
    }

    /// Moves past dead rows within the current batch.
    fn skip_dead(&mut self, dead: &Segmented<bool>) {
        while self.row < self.height() && dead[self.positions[self.row]] {
            self.row += 1;
        }
    }

    /// Moves to the next live row (loading batches as needed); its key.
    fn next_live(&mut self, table: Table, dead: &Segmented<bool>) -> Result<Option<Vec<KeyCell>>> {
        loop {
            while self.row < self.height() {
                if !dead[self.positions[self.row]] {
                    // Each row's key is asked for once, when the row comes up: moved out.
                    return Ok(Some(std::mem::take(&mut self.keys[self.row])));
                }
                self.row += 1;
            }
            let (df, first) = if let Some(df) = self.memory.take() {
                (df, None)
            } else if let Some((path, start, len)) = self.batches.pop_front() {
                let mut df = with_schema(read_slice(&path, start, len, None)?, table)?;
                RunPatch::apply(&self.patches.1, self.patches.0, &mut df)?;
                (df, self.implicit.then_some(start))
            } else {
                return Ok(None);
            };
            self.positions = positions(&df, first)?;
            self.keys = key_cells(&df, table)?;
            self.batch = Some(match first {
                Some(_) => df,
                None => df.drop(POS)?,
            });
            self.row = 0;
        }
    }
}

/// Rows taken in key order, gathered from the cursors' batches into row groups.
struct Merged {
    table: Table,
    /// (cursor, row) of rows taken and not gathered yet.
    taken: Vec<(usize, usize)>,
    pending: Vec<DataFrame>,
    pending_rows: usize,
}

impl Merged {
    fn gather(
        &mut self,
        cursors: &[Cursor],
        writer: &mut polars::io::parquet::write::BatchedWriter<&mut File>,
        last: bool,
    ) -> Result<()> {
        if !self.taken.is_empty() {
            // The batches rows were taken from, one after the other, and where each begins.
            let mut all = DataFrame::empty_with_schema(&self.table.schema());
            let mut offsets = vec![0usize; cursors.len()];
            let mut used: Vec<usize> = self.taken.iter().map(|(c, _)| *c).collect();
            used.sort_unstable();
            used.dedup();
            for &c in &used {
                offsets[c] = all.height();
                all.vstack_mut(cursors[c].batch.as_ref().expect("a batch is loaded"))?;
            }
            let idx: Vec<polars::prelude::IdxSize> = self
                .taken
                .drain(..)
                .map(|(c, r)| (offsets[c] + r) as polars::prelude::IdxSize)
                .collect();
            let rows = all.take(&IdxCa::from_vec(PlSmallStr::EMPTY, idx))?;
            self.pending_rows += rows.height();
            self.pending.push(rows);
        }
        if self.pending_rows >= ROW_GROUP || (last && self.pending_rows > 0) {
            let mut group = DataFrame::empty_with_schema(&self.table.schema());
            for p in self.pending.drain(..) {
                group.vstack_mut(&p)?;
            }
            group.rechunk_mut();
            writer.write_batch(&group)?;
            self.pending_rows = 0;
        }
        Ok(())
    }
}

/// A key cell, ordered as the store sorts: by value, nulls last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum KeyCell {
    Text(String),
    Int(i64),
    Bool(bool),
    Null,
}

fn key_cells(df: &DataFrame, table: Table) -> Result<Vec<Vec<KeyCell>>> {
    let mut keys = vec![Vec::with_capacity(table.key().len()); df.height()];
    for k in table.key() {
        let column = df.column(k)?;
        let kind = table.column(k).expect("key columns exist").kind;
        let cells: Vec<KeyCell> = match kind {
            Kind::Str | Kind::StrList => column
                .str()?
                .iter()
                .map(|s| s.map_or(KeyCell::Null, |s| KeyCell::Text(s.to_string())))
                .collect(),
            Kind::Int | Kind::Timestamp => column
                .cast(&DataType::Int64)?
                .i64()?
                .iter()
                .map(|i| i.map_or(KeyCell::Null, KeyCell::Int))
                .collect(),
            Kind::Bool => column
                .bool()?
                .iter()
                .map(|b| b.map_or(KeyCell::Null, KeyCell::Bool))
                .collect(),
        };
        for (key, cell) in keys.iter_mut().zip(cells) {
            key.push(cell);
        }
    }
    Ok(keys)
}

/// Collects the changes of one ingest run and commits them atomically.
pub struct Writer<'s> {
    store: &'s Store,
    tables: BTreeMap<Table, TableState>,
    file_no: u32,
    locations: Locations,
    chunk: usize,
    spill: usize,
    /// Tables sealed before the commit (see [`Writer::seal`]), being written.
    sealed: Vec<(Table, Sealed)>,
}

/// A sealed table's file being written on a thread of its own: (temporary, final path).
type Sealed = std::thread::JoinHandle<Result<(PathBuf, PathBuf)>>;

/// Waits for a sealed table's file.
fn finish_sealed(t: Table, h: Sealed) -> Result<(PathBuf, PathBuf)> {
    h.join()
        .map_err(|_| anyhow::anyhow!("writing {} stopped (panicked)", t.name()))?
}

impl Drop for Writer<'_> {
    /// A run that ends without its commit leaves no file of a sealed table behind.
    fn drop(&mut self) {
        for (t, h) in self.sealed.drain(..) {
            if let Ok((tmp, _)) = finish_sealed(t, h) {
                let _ = fs::remove_file(tmp);
            }
        }
    }
}

impl<'s> Writer<'s> {
    /// A writer for a store whose lock the caller holds.
    pub fn new(store: &'s Store, _lock: &'s Lock) -> Writer<'s> {
        let test = std::env::var(SPILL_ENV).ok().and_then(|v| v.parse().ok());
        Writer {
            store,
            tables: BTreeMap::new(),
            file_no: 0,
            locations: Locations::default(),
            chunk: test.unwrap_or(CHUNK_ROWS),
            spill: test.unwrap_or(SPILL_ROWS),
            sealed: Vec::new(),
        }
    }

    /// Says that a table takes no more changes in this run. A changed table is written
    /// at once, on a thread of its own, while the run goes on (linking sets millions of
    /// messages' incidents, then links tickets); the commit then makes it part of the
    /// store with the others, and a run that ends without committing removes it.
    pub fn seal(&mut self, t: Table) -> Result<()> {
        let Some(s) = self.tables.remove(&t) else {
            return Ok(());
        };
        if !s.changed {
            self.tables.insert(t, s);
            return Ok(());
        }
        let store = self.store.clone();
        let h = std::thread::Builder::new()
            .name(format!("write {}", t.name()))
            .spawn(move || write_table(&store, s))?;
        self.sealed.push((t, h));
        Ok(())
    }

    /// Marks the start of the next input file: duplicate keys are judged per file.
    pub fn begin_file(&mut self) {
        self.file_no += 1;
        self.locations.clear();
    }

    fn state(&mut self, t: Table) -> Result<&mut TableState> {
        if !self.tables.contains_key(&t) {
            // A sealed table has left `tables`: it must not be loaded afresh.
            if self.sealed.iter().any(|(s, _)| *s == t) {
                anyhow::bail!(
                    "{} is sealed: it takes no more changes in this run",
                    t.name()
                );
            }
            let s = TableState::load(self.store, t, self.chunk, self.spill)?;
            self.tables.insert(t, s);
        }
        Ok(self.tables.get_mut(&t).expect("just inserted"))
    }

    /// A table's state with all its runs on disk, to be read.
    fn readable(&mut self, t: Table) -> Result<&mut TableState> {
        let s = self.state(t)?;
        s.written()?;
        Ok(s)
    }

    /// Read access to a table as it will be after this run's changes so far, sorted by
    /// key as it will be stored.
    pub fn rows(&mut self, t: Table) -> Result<DataFrame> {
        sorted(self.readable(t)?.live(None)?, t)
    }

    /// [`Writer::rows`], some columns of them (the key's among them).
    pub fn columns(&mut self, t: Table, columns: &[&str]) -> Result<DataFrame> {
        sorted(self.readable(t)?.live(Some(columns))?, t)
    }

    /// Hands a table's live rows, some columns of them, to `f` a part at a time, in no
    /// particular order: for linking, which reads a few columns of every message.
    pub fn each_part(
        &mut self,
        t: Table,
        columns: &[&str],
        f: &mut dyn FnMut(DataFrame) -> Result<()>,
    ) -> Result<()> {
        self.readable(t)?.each_part(Some(columns), f)
    }

    /// Sets a text column of every row from two of its text columns, as `map` says.
    /// Linking sets the incident of millions of messages from their channel this way,
    /// without building a row (see [`TableState::set_text_by`]).
    pub fn set_text_by(
        &mut self,
        t: Table,
        column: &'static str,
        from: [&'static str; 2],
        map: TextMap,
    ) -> Result<()> {
        self.state(t)?.set_text_by(column, from, map)
    }

    /// Applies one input record: each of its rows is stored (or found already stored),
    /// or the record is rejected whole, or it waits for an incident it refers to.
    pub fn apply(&mut self, mut record: Record) -> Result<Applied> {
        record.rows.iter_mut().for_each(Row::complete);
        for row in &record.rows {
            if let Err(reason) = row.validate() {
                return Ok(Applied::Rejected(reason, record));
            }
        }
        let mut missing = Vec::new();
        for id in &record.requires {
            if !self.has_incident(id)? {
                missing.push(id.clone());
            }
        }
        if !missing.is_empty() {
            return Ok(Applied::Pending(missing, record));
        }
        // First pass: a key this file already gave different content is a conflict, and
        // so is a key two rows of this record share with different content (two source
        // records the table's key cannot tell apart).
        let file_no = self.file_no;
        let keys: Vec<u128> = record.rows.iter().map(row_key_hash).collect();
        for (i, (row, &key)) in record.rows.iter().zip(&keys).enumerate() {
            if row.table == Table::People {
                continue;
            }
            if let Some(j) = keys[..i].iter().position(|&k| k == key) {
                let other = &record.rows[j];
                if other.table == row.table && other.values != row.values {
                    let reason = format!(
                        "two {} of this record share the key {} with different content",
                        row.table.name(),
                        describe_key(row),
                    );
                    return Ok(Applied::Rejected(reason, record));
                }
            }
            let s = self.state(row.table)?;
            let Some(pos) = s.find(key) else {
                continue;
            };
            s.settle()?;
            if s.file != file_no || pos < s.file_start {
                continue;
            }
            if s.replaces(pos, &row.values) {
                let first = s.locations[pos - s.file_start];
                let first = self.locations.get(first);
                let reason = format!(
                    "duplicate key {} with different content within this file (first at {first})",
                    describe_key(row),
                );
                return Ok(Applied::Rejected(reason, record));
            }
        }
        let mut rows = Vec::with_capacity(record.rows.len());
        for (row, key) in record.rows.into_iter().zip(keys) {
            let table = row.table;
            rows.push((table, self.insert(row, key, &record.location)?));
        }
        Ok(Applied::Stored(rows))
    }

    /// Whether the store, as this run leaves it so far, holds the incident `id`.
    pub fn has_incident(&mut self, id: &str) -> Result<bool> {
        let key = row_key_hash(
            &Row::new(Table::Incidents).with(crate::schema::col::INCIDENT_ID, Value::text(id)),
        );
        Ok(self.state(Table::Incidents)?.find(key).is_some())
    }

    /// Stores a row, merging it with the row of the same key if there is one.
    pub fn put(&mut self, mut row: Row, location: &str) -> Result<Outcome> {
        row.complete();
        let key = row_key_hash(&row);
        self.insert(row, key, location)
    }

    /// Stores a row whose key hashes to `key`.
    fn insert(&mut self, row: Row, key: u128, location: &str) -> Result<Outcome> {
        let origin = (self.file_no, self.locations.push(location));
        let s = self.state(row.table)?;
        let found = s.find(key);
        if found.is_some() {
            s.settle()?;
        }
        let froze = match found {
            Some(pos) if row.table == Table::People => {
                let old = s.values_at(pos)?;
                let merged = merge_people(&old, &row.values);
                if merged == old {
                    return Ok(Outcome::Duplicate);
                }
                s.push(key, merged, Some(pos), origin)?
            }
            Some(pos) => {
                if !s.replaces(pos, &row.values) {
                    return Ok(Outcome::Duplicate);
                }
                s.push(key, row.values, Some(pos), origin)?
            }
            None => s.push(key, row.values, None, origin)?,
        };
        if froze {
            self.keep_to_budget()?;
        }
        Ok(Outcome::Ingested)
    }

    /// Writes the frozen rows of the table holding most to a run while all tables
    /// together hold more than the budget.
    fn keep_to_budget(&mut self) -> Result<()> {
        loop {
            let total: usize = self.tables.values().map(|s| s.chunk_bytes).sum();
            if total <= MEMORY_BUDGET {
                return Ok(());
            }
            let Some(largest) = self
                .tables
                .values_mut()
                .filter(|s| s.spills() && s.chunk_bytes > 0)
                .max_by_key(|s| s.chunk_bytes)
            else {
                return Ok(());
            };
            largest.write_run()?;
        }
    }

    /// Removes the row with `row`'s key, stored or pending (a key that changes, as when
    /// a person is forgotten, is a removal and a new row).
    pub fn remove(&mut self, row: &Row) -> Result<()> {
        let key = row_key_hash(row);
        let s = self.state(row.table)?;
        if let Some(pos) = s.find(key) {
            s.remove(pos);
        }
        s.changed = true;
        Ok(())
    }

    /// Makes sure the commit writes table `t` even when it has no row (a store written
    /// by a version without the table gets its file).
    pub fn keep(&mut self, t: Table) -> Result<()> {
        if !self.store.table_path(t).exists() {
            self.state(t)?.changed = true;
        }
        Ok(())
    }

    /// Writes every changed table (and, in a new store, every empty one), atomically.
    /// Returns whether anything was written.
    pub fn commit(mut self) -> Result<bool> {
        let fresh = !self.store.exists();
        if fresh {
            for t in Table::ALL {
                if self.sealed.iter().all(|(s, _)| *s != t) {
                    self.state(t)?.changed = true;
                }
            }
        }
        let sealed = std::mem::take(&mut self.sealed);
        let changed: Vec<Table> = self
            .tables
            .values()
            .filter(|s| s.changed)
            .map(|s| s.table)
            .collect();
        if changed.is_empty() && sealed.is_empty() {
            return Ok(false);
        }
        // The largest table (millions of messages) is written on a thread of its own while
        // the others are written one after the other; each table's rows are let go of once
        // written.
        let largest = changed
            .iter()
            .copied()
            .max_by_key(|t| (self.tables[t].keys.len(), std::cmp::Reverse(*t)));
        let mut states: Vec<TableState> = changed
            .iter()
            .map(|t| self.tables.remove(t).expect("listed above"))
            .collect();
        let big = states.iter().position(|s| Some(s.table) == largest);
        let big = big.map(|i| states.remove(i));
        let store = self.store;
        // Until the journal is in place the old state stands: on any error (a full disk)
        // the files written so far are removed, and the store is as it was.
        let discard = |e: anyhow::Error| -> anyhow::Error {
            if let Err(also) = store.discard_temporaries(Some(std::process::id())) {
                return e.context(format!(
                    "and its unfinished files could not be removed: {also}"
                ));
            }
            e
        };
        let written = std::thread::scope(|scope| -> Result<Vec<(PathBuf, PathBuf)>> {
            let big = big.map(|s| scope.spawn(move || write_table(store, s)));
            let mut renames = Vec::new();
            for s in states {
                renames.push(write_table(store, s)?);
            }
            if let Some(big) = big {
                renames.push(big.join().expect("the table writer does not panic")?);
            }
            // Every sealed table is waited for, even after an error, so that none is
            // still being written when the files are discarded.
            let mut failed = None;
            for (t, h) in sealed {
                match finish_sealed(t, h) {
                    Ok(r) => renames.push(r),
                    Err(e) => failed = failed.or(Some(e)),
                }
            }
            failed.map_or(Ok(renames), Err)
        });
        let mut renames = written.map_err(discard)?;
        // The journal lists the tables by name, whichever was written first.
        renames.sort();
        crash_point("before-journal");
        let journal = self.store.root.join(JOURNAL);
        let journal_tmp = self.store.root.join(format!("{JOURNAL}{TMP_MARK}"));
        // From the journal to the last rename, no command reads the store.
        let _renaming = self.store.exclusive().map_err(discard)?;
        let write_journal = || -> Result<()> {
            // Paths relative to the store, so that a command run from another working
            // folder (or naming the store another way) finds them.
            let relative: Vec<(PathBuf, PathBuf)> = renames
                .iter()
                .map(|(from, to)| {
                    let rel = |p: &PathBuf| {
                        p.strip_prefix(&self.store.root)
                            .map(PathBuf::from)
                            .unwrap_or_else(|_| p.clone())
                    };
                    (rel(from), rel(to))
                })
                .collect();
            let mut f = File::create(&journal_tmp)?;
            f.write_all(serde_json::to_string(&relative)?.as_bytes())?;
            f.sync_all()?;
            Ok(())
        };
        write_journal()
            .with_context(|| format!("cannot write {}", journal_tmp.display()))
            .map_err(discard)?;

        crash_point("journal-written");
        fs::rename(&journal_tmp, &journal).map_err(|e| discard(e.into()))?;
        sync_dir(&self.store.root);
        for (n, (from, to)) in renames.iter().enumerate() {
            fs::rename(from, to)?;
            if n == 0 {
                crash_point("after-first-rename");
            }
            pause();
        }
        for (_, to) in &renames {
            if let Some(dir) = to.parent() {
                sync_dir(dir);
            }
        }
        fs::remove_file(&journal)?;
        Ok(true)
    }
}

/// Writes one table's rows to a temporary file beside its Parquet file: (temporary,
/// target) for the commit's renames.
fn write_table(store: &Store, s: TableState) -> Result<(PathBuf, PathBuf)> {
    let phase = format!("commit: {} written", s.table.name());
    crate::timing::alone(&phase, || write_table_file(store, s))
}

fn write_table_file(store: &Store, s: TableState) -> Result<(PathBuf, PathBuf)> {
    let t = s.table;
    let dir = store.table_dir(t);
    fs::create_dir_all(&dir)?;
    let target = store.table_path(t);
    let tmp = dir.join(format!(
        ".{}.parquet{TMP_MARK}{}",
        t.name(),
        std::process::id()
    ));
    let mut file = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    s.write(&mut file)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.sync_all()?;
    pause();
    Ok((tmp, target))
}

impl TableState {
    /// Whether `new` would replace the live row at `pos`: its content differs and it is
    /// not an older version (rows with an `updated_at` keep the newer version; other
    /// rows take the newer export).
    fn replaces(&self, pos: usize, new: &[Value]) -> bool {
        if let Some(v) = value_version(self.table, new) {
            let old = self.versions[pos];
            if v != i64::MIN && old != i64::MIN && v < old {
                return false;
            }
        }
        self.contents[pos] != value_hash(self.table, new)
    }
}

/// The order of rows sorted by key (unique), as the store keeps them, for stable files.
fn key_order(df: &DataFrame, table: Table) -> Result<IdxCa> {
    let keys: Vec<Column> = table
        .key()
        .iter()
        .map(|k| df.column(k).cloned())
        .collect::<PolarsResult<_>>()?;
    let options = SortMultipleOptions::default()
        .with_maintain_order(true)
        .with_nulls_last(true);
    Ok(polars::chunked_array::ops::sort::arg_sort(&keys, options)?)
}

/// Rows sorted by key, as the store keeps them.
fn sorted(df: DataFrame, table: Table) -> Result<DataFrame> {
    let order = key_order(&df, table)?;
    Ok(df.take(&order)?)
}

/// Writes a table's rows in key order as Parquet; the sorted copy is made a row group
/// at a time, never whole.
fn write_sorted(df: &DataFrame, table: Table, out: &mut File) -> Result<()> {
    let order = key_order(df, table)?;
    let mut writer = ParquetWriter::new(out).batched(df.schema())?;
    let mut start = 0;
    while start < df.height() {
        let len = ROW_GROUP.min(df.height() - start);
        writer.write_batch(&df.take(&order.slice(start as i64, len))?)?;
        start += len;
    }
    writer.finish()?;
    Ok(())
}

/// Merges a newer export of a person into the stored one, field by field: a later
/// source fills in what an earlier one lacked; aliases accumulate.
/// Two descriptions of one person, field by field: aliases gathered, a field one of
/// them lacks taken from the other, and a field they give differently decided by the
/// values alone (the smaller text), so that the order of the files never changes who a
/// person is.
fn merge_people(old: &[Value], new: &[Value]) -> Vec<Value> {
    old.iter()
        .zip(new)
        .map(|(o, n)| match (o, n) {
            (Value::List(a), Value::List(b)) => {
                let mut all: Vec<String> = a.iter().chain(b).cloned().collect();
                all.sort();
                all.dedup();
                Value::List(all)
            }
            (o, Value::Null) => o.clone(),
            (Value::Null, n) => n.clone(),
            (Value::Str(a), Value::Str(b)) => Value::Str(a.min(b).clone()),
            (o, _) => o.clone(),
        })
        .collect()
}

fn describe_key(row: &Row) -> String {
    row.table
        .key()
        .iter()
        .map(|k| format!("{k}={}", row.get(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;
    use crate::schema::col;
    use crate::store::strings;

    #[test]
    fn locations_read_back_as_pushed() {
        let mut l = Locations::default();
        let texts: Vec<String> = (0..40)
            .map(|i| format!("inc-1-é/2024-01-{:02}.json[{i}]", i / 7))
            .chain(["x".to_string(), "".to_string(), "x".to_string()])
            .collect();
        let numbers: Vec<u32> = texts.iter().map(|t| l.push(t)).collect();
        for (t, n) in texts.iter().zip(&numbers) {
            assert_eq!(&l.get(*n), t);
        }
        assert_eq!(l.push("x"), numbers[42], "a repeat is one entry");
    }

    /// Rows of values and the same rows stored as a frame hash alike (the writer
    /// compares one with the other to tell a duplicate from a change).
    #[test]
    fn values_and_frames_hash_alike() {
        let rows = [
            message("m1", "C1").with(col::AT, Value::Ts(1_700_000_000_000_000)),
            message("m2", "C1").with(col::IS_BOT, Value::Bool(true)),
            Row::new(Table::Messages).with(col::MESSAGE_ID, Value::text("m3")),
        ];
        let values: Vec<Vec<Value>> = rows.iter().map(|r| r.values.clone()).collect();
        let df = rows_to_frame(Table::Messages, values.iter()).unwrap();
        let from_values: Vec<u64> = values
            .iter()
            .map(|v| value_hash(Table::Messages, v))
            .collect();
        assert_eq!(frame_hashes(Table::Messages, &df).unwrap(), from_values);
        let people = Row::new(Table::People)
            .with(col::PERSON_ID, Value::text("p"))
            .with(col::ALIASES, Value::List(vec!["a".into(), "b".into()]));
        let df = rows_to_frame(Table::People, std::iter::once(&people.values)).unwrap();
        assert_eq!(
            frame_hashes(Table::People, &df).unwrap(),
            vec![value_hash(Table::People, &people.values)]
        );
        assert_ne!(from_values[0], from_values[1]);
    }

    #[test]
    fn rows_and_frames_key_alike() {
        // One text key (hashed without building it), a null one, and a two-cell key.
        let rows = [
            message("slack:C1:1736478630.905399", "C1"),
            Row::new(Table::Messages),
            Row::new(Table::IngestRuns)
                .with(col::RUN_ID, Value::Int(7))
                .with(col::FILE, Value::text("a.json")),
        ];
        for row in &rows {
            let df = rows_to_frame(row.table, std::iter::once(&row.values)).unwrap();
            let stored = super::super::key_strings(&df, row.table).unwrap();
            assert_eq!(row_key_hash(row), key_hash(&stored[0]), "{row:?}");
            assert_eq!(row_key_hash(row), key_hash(&row.key()), "{row:?}");
        }
        assert_ne!(row_key_hash(&rows[0]), row_key_hash(&rows[1]));
    }

    fn message(id: &str, channel: &str) -> Row {
        Row::new(Table::Messages)
            .with(col::MESSAGE_ID, Value::text(id))
            .with(col::CHANNEL_ID, Value::text(channel))
            .with(col::SOURCE, Value::text("slack"))
    }

    fn column(df: &DataFrame, name: &str) -> Vec<Option<String>> {
        strings(df, name).unwrap()
    }

    /// A sealed table is written at once and committed with the others; a run that
    /// ends without committing leaves no file of it behind.
    #[test]
    fn sealed_tables_are_written_early_and_committed_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        let lock = store.lock().unwrap();
        let files = || -> Vec<String> {
            let mut all: Vec<String> = walkdir::WalkDir::new(dir.path())
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| {
                    e.file_type().is_file() && e.path().to_string_lossy().contains("messages")
                })
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            all.sort();
            all
        };
        let mut w = Writer::new(&store, &lock);
        w.begin_file();
        w.put(message("m1", "C1"), "f").unwrap();
        w.seal(Table::Messages).unwrap();
        assert!(
            w.put(message("m2", "C1"), "f").is_err(),
            "sealed: no more changes"
        );
        drop(w);
        assert!(files().is_empty(), "{:?}", files());

        let mut w = Writer::new(&store, &lock);
        w.begin_file();
        w.put(message("m1", "C1"), "f").unwrap();
        w.seal(Table::Messages).unwrap();
        assert!(w.commit().unwrap());
        assert_eq!(files(), ["messages.parquet"]);
        assert_eq!(store.read(Table::Messages).unwrap().height(), 1);
    }

    /// A writer that freezes and spills every two rows, its first file begun: the paths
    /// of a large export, on a few rows.
    fn tiny_writer<'s>(store: &'s Store, lock: &'s Lock) -> Writer<'s> {
        let mut w = Writer::new(store, lock);
        w.chunk = 2;
        w.spill = 2;
        w.begin_file();
        w
    }

    /// A row set in a run is compared as set: the run is brought up to date first.
    #[test]
    fn rows_set_in_runs_compare_as_set() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        let lock = store.lock().unwrap();
        let mut w = tiny_writer(&store, &lock);
        for i in 1..=5 {
            let m = message(&format!("m{i}"), "C1");
            assert_eq!(w.put(m, "f").unwrap(), Outcome::Ingested);
        }
        let mut in_c1 = TextMap::default();
        in_c1.insert("slack", "C1", Some("i1"));
        let set = [col::SOURCE, col::CHANNEL_ID];
        w.set_text_by(Table::Messages, col::INCIDENT_ID, set, in_c1)
            .unwrap();
        assert!(!w.state(Table::Messages).unwrap().run_patches.is_empty());
        let m1 = message("m1", "C1").with(col::INCIDENT_ID, Value::text("i1"));
        assert_eq!(w.put(m1, "g").unwrap(), Outcome::Duplicate);
        assert!(w.state(Table::Messages).unwrap().run_patches.is_empty());
        assert_eq!(
            w.put(message("m2", "C1"), "g").unwrap(),
            Outcome::Ingested,
            "without the incident, m2 is a change"
        );
        let df = w.rows(Table::Messages).unwrap();
        assert_eq!(
            column(&df, col::INCIDENT_ID),
            [Some("i1"), None, Some("i1"), Some("i1"), Some("i1")]
                .map(|x| x.map(str::to_string))
                .to_vec()
        );
    }

    fn outcome(applied: Applied) -> Option<Outcome> {
        match applied {
            Applied::Stored(rows) => Some(Applied::outcome(&rows)),
            _ => None,
        }
    }

    /// Rows frozen into chunks are found, replaced, removed and set like open ones.
    #[test]
    fn rows_in_frozen_chunks_behave_like_open_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        let lock = store.lock().unwrap();
        let mut w = tiny_writer(&store, &lock);
        for i in 1..=5 {
            let rec = Record::new(
                format!("f.json[{i}]"),
                vec![message(&format!("m{i}"), "C1")],
            );
            assert_eq!(outcome(w.apply(rec).unwrap()), Some(Outcome::Ingested));
        }
        let conflict = Record::new("f.json[6]", vec![message("m1", "C9")]);
        assert_eq!(
            match w.apply(conflict).unwrap() {
                Applied::Rejected(reason, _) => Some(reason),
                _ => None,
            },
            Some(
                "duplicate key message_id=m1 with different content within this file \
                 (first at f.json[1])"
                    .to_string()
            )
        );
        let same = Record::new("f.json[7]", vec![message("m2", "C1")]);
        assert_eq!(outcome(w.apply(same).unwrap()), Some(Outcome::Duplicate));
        w.begin_file();
        assert_eq!(w.put(message("m3", "C2"), "g").unwrap(), Outcome::Ingested);
        w.remove(&message("m4", "C1")).unwrap();
        let mut in_c1 = TextMap::default();
        in_c1.insert("slack", "C1", Some("i1"));
        let set = [col::SOURCE, col::CHANNEL_ID];
        w.set_text_by(Table::Messages, col::INCIDENT_ID, set, in_c1.clone())
            .unwrap();
        // Set again (the runs' rows are then patched twice when read): the same.
        w.set_text_by(Table::Messages, col::INCIDENT_ID, set, in_c1)
            .unwrap();
        assert!(
            !w.state(Table::Messages).unwrap().run_patches.is_empty(),
            "rows in runs are patched as they are read"
        );
        let df = w.rows(Table::Messages).unwrap();
        let s = |v: &[Option<&str>]| -> Vec<Option<String>> {
            v.iter().map(|x| x.map(str::to_string)).collect()
        };
        assert_eq!(
            column(&df, col::MESSAGE_ID),
            s(&[Some("m1"), Some("m2"), Some("m3"), Some("m5")])
        );
        assert_eq!(
            column(&df, col::CHANNEL_ID),
            s(&[Some("C1"), Some("C1"), Some("C2"), Some("C1")])
        );
        assert_eq!(
            column(&df, col::INCIDENT_ID),
            s(&[Some("i1"), Some("i1"), None, Some("i1")])
        );
        assert!(w.commit().unwrap());

        // The stored rows are indexed again by the next writer.
        let mut w = Writer::new(&store, &lock);
        w.begin_file();
        let m2 = message("m2", "C1").with(col::INCIDENT_ID, Value::text("i1"));
        assert_eq!(w.put(m2, "h").unwrap(), Outcome::Duplicate);
        assert_eq!(w.put(message("m4", "C1"), "h").unwrap(), Outcome::Ingested);
        assert_eq!(w.rows(Table::Messages).unwrap().height(), 5);
    }
}
