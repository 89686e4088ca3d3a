//! The Parquet store: one folder per canonical table, each holding `<table>.parquet`.
//!
//! The folder is plain Parquet so that DuckDB, pandas, Spark and Trino read it as it is
//! (`read_parquet('store/incidents/*.parquet')`). This module owns three promises:
//!
//! - **Atomic commits.** A [`Writer`] writes every changed table to a hidden temporary
//!   file, then records the renames in `_journal.json`, then renames. Whoever opens the
//!   store next finishes a journal it finds (roll forward) or deletes temporary files
//!   without one (roll back), so a crash at any point leaves the old or the new state.
//! - **One writer.** [`Store::lock`] takes an OS lock on `.lock`; a second ingest is
//!   refused with the holder's pid. The OS drops the lock when a process dies, and the
//!   pid left in the file tells the next writer that a previous run died.
//! - **Dedup.** Rows with the key of a stored row replace it only when they differ and
//!   are not older (`updated_at`); identical rows are duplicates. The store, not the
//!   sources, decides this, so every source gets the same accounting.
//!
//! It does not know about vendor formats, linking or metrics.

use crate::record::{Record, Row, Value};
use crate::schema::{Kind, Table};
use anyhow::{bail, Context, Result};
use polars::prelude::{
    BooleanChunked, Column, DataFrame, IdxCa, Int64Chunked, IntoColumn, IntoLazy, IntoSeries,
    LazyFrame, NewChunkedArray, ParquetReader, ParquetWriter, PlRefPath, PlSmallStr, PolarsResult,
    ScanArgsParquet, SerReader, Series, SortMultipleOptions, StringChunked, TimeUnit, TimeZone,
};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The store folder used when neither `--store` nor `INCIDENTLENS_STORE` is given.
pub const DEFAULT_DIR: &str = ".incidentlens/store";

const JOURNAL: &str = "_journal.json";
const LOCK: &str = ".lock";
const TMP_MARK: &str = ".tmp-";

/// Test hook: makes a commit abort at a named point, as a crash would.
const CRASH_ENV: &str = "INCIDENTLENS_TEST_CRASH";

/// Test hook: milliseconds to pause after each file a commit writes or renames, so that
/// a test's SIGKILL lands inside the commit.
const PAUSE_ENV: &str = "INCIDENTLENS_TEST_PAUSE_MS";

pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn at(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn table_dir(&self, t: Table) -> PathBuf {
        self.root.join(t.name())
    }

    pub fn table_path(&self, t: Table) -> PathBuf {
        self.table_dir(t).join(format!("{}.parquet", t.name()))
    }

    /// Whether an ingest has ever committed here.
    pub fn exists(&self) -> bool {
        self.table_path(Table::IngestRuns).exists()
    }

    /// Fails with advice when there is no store yet.
    pub fn require(&self) -> Result<()> {
        // A commit cut short (a killed ingest) leaves its journal: finish it before
        // anything is read, so no reader sees half of a commit.
        if self.root.join(JOURNAL).exists() {
            drop(self.lock()?);
        }
        if !self.exists() {
            bail!(
                "no store at {}: run `incidentlens ingest PATH…` first, or point --store / \
                 INCIDENTLENS_STORE at an existing store",
                self.root.display()
            );
        }
        Ok(())
    }

    /// A table as stored, or an empty frame with the table's schema.
    pub fn read(&self, t: Table) -> Result<DataFrame> {
        let path = self.table_path(t);
        if !path.exists() {
            return Ok(DataFrame::empty_with_schema(&t.schema()));
        }
        let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        let df = ParquetReader::new(file)
            .finish()
            .with_context(|| format!("cannot read {}", path.display()))?;
        with_schema(df, t)
    }

    /// A table as a lazy scan, so that a reader gets only the columns and rows it asks
    /// for (metrics read four columns of millions of messages). A store written by an
    /// older version, lacking a column, is read whole instead, its missing columns null.
    pub fn scan(&self, t: Table) -> Result<LazyFrame> {
        let path = self.table_path(t);
        if !path.exists() {
            return Ok(DataFrame::empty_with_schema(&t.schema()).lazy());
        }
        let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        let stored = ParquetReader::new(file)
            .schema()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if t.columns().iter().any(|c| !stored.contains(c.name)) {
            return Ok(self.read(t)?.lazy());
        }
        let path = PlRefPath::new(path.to_string_lossy());
        Ok(LazyFrame::scan_parquet(path, ScanArgsParquet::default())?)
    }

    /// Row counts of every table, in [`Table::ALL`] order.
    pub fn counts(&self) -> Result<Vec<(Table, usize)>> {
        Table::ALL
            .iter()
            .map(|&t| Ok((t, self.read(t)?.height())))
            .collect()
    }

    /// Takes the writer's lock, then repairs what an interrupted commit left.
    pub fn lock(&self) -> Result<Lock> {
        fs::create_dir_all(&self.root)
            .with_context(|| format!("cannot create store folder {}", self.root.display()))?;
        let path = self.root.join(LOCK);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open lock file {}", path.display()))?;
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = holder.trim().to_string();
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => bail!(
                "the store {} is in use by another ingest ({}); wait for it to finish or use \
                 another --store",
                self.root.display(),
                if holder.is_empty() {
                    "process unknown".to_string()
                } else {
                    holder
                }
            ),
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        file.set_len(0)?;
        file.rewind()?;
        write!(
            file,
            "pid {} since {}",
            std::process::id(),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        )?;
        file.sync_all()?;
        let mut notes = Vec::new();
        if !holder.is_empty() {
            notes.push(format!(
                "a previous ingest ({holder}) ended without releasing the store"
            ));
        }
        if let Some(note) = self.recover()? {
            notes.push(note);
        }
        Ok(Lock { file, notes })
    }

    /// Finishes or undoes an interrupted commit. Returns what it did, if anything.
    fn recover(&self) -> Result<Option<String>> {
        let journal = self.root.join(JOURNAL);
        let mut note = None;
        if journal.exists() {
            let text = fs::read_to_string(&journal)?;
            let renames: Vec<(PathBuf, PathBuf)> = serde_json::from_str(&text)
                .with_context(|| format!("corrupt commit journal {}", journal.display()))?;
            for (from, to) in &renames {
                if from.exists() {
                    fs::rename(from, to)?;
                }
            }
            fs::remove_file(&journal)?;
            note = Some("finished the commit an interrupted ingest had started".to_string());
        }
        let mut removed = 0;
        for t in Table::ALL {
            let Ok(entries) = fs::read_dir(self.table_dir(t)) else {
                continue;
            };
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().contains(TMP_MARK) {
                    fs::remove_file(e.path())?;
                    removed += 1;
                }
            }
        }
        if removed > 0 && note.is_none() {
            note = Some(format!(
                "discarded {removed} unfinished file(s) of an interrupted ingest; the store is as \
                 it was before it"
            ));
        }
        Ok(note)
    }
}

/// The writer's lock on a store, released on drop.
pub struct Lock {
    file: File,
    /// What taking the lock found and repaired, for the user.
    pub notes: Vec<String>,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // An empty lock file tells the next writer that this run ended cleanly.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// What became of one input record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ingested,
    Duplicate,
}

/// This run's rows are frozen into columnar frames this many at a time, so a large
/// export is held as Arrow columns rather than as boxed cells.
const CHUNK_ROWS: usize = 16_384;

/// The hash of a row key. The index stores positions only; a hash match is confirmed
/// by comparing the keys themselves, so a collision cannot merge two rows.
fn key_hash(key: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x1ced).hash_one(key)
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
        if n % Self::RESTART != 0 {
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

/// One table's rows as stored plus the changes of this run.
///
/// Rows have positions: the stored rows first (chunk 0), then this run's rows in the
/// order they came, frozen into frames of [`CHUNK_ROWS`] (the last ones still open, as
/// values). A replaced or removed row is marked dead where it is; the index maps each
/// live key to its position.
struct TableState {
    table: Table,
    chunks: Vec<DataFrame>,
    /// Rows of this run not frozen yet.
    open: Vec<Vec<Value>>,
    /// Per position: the key's hash, and whether the row is gone.
    hashes: Vec<u64>,
    dead: Vec<bool>,
    /// Per position of this run's rows: (input file number, location number).
    origin: Vec<(u32, u32)>,
    stored: usize,
    /// Rows per frozen chunk ([`CHUNK_ROWS`]; small in tests).
    chunk: usize,
    index: hashbrown::HashTable<u32>,
    changed: bool,
}

/// Where a position lives.
enum At {
    Chunk(usize, usize),
    Open(usize),
}

impl TableState {
    fn load(store: &Store, table: Table, chunk: usize) -> Result<TableState> {
        let existing = store.read(table)?;
        let stored = existing.height();
        let mut s = TableState {
            table,
            chunks: vec![existing],
            open: Vec::new(),
            hashes: Vec::with_capacity(stored),
            dead: vec![false; stored],
            origin: Vec::new(),
            stored,
            chunk,
            index: hashbrown::HashTable::with_capacity(stored),
            changed: false,
        };
        for key in key_strings(&s.chunks[0], table)? {
            let h = key_hash(&key);
            let pos = s.hashes.len() as u32;
            s.hashes.push(h);
            let hashes = &s.hashes;
            s.index.insert_unique(h, pos, |&p| hashes[p as usize]);
        }
        Ok(s)
    }

    fn at(&self, pos: usize) -> At {
        if pos < self.stored {
            return At::Chunk(0, pos);
        }
        let k = (pos - self.stored) / self.chunk + 1;
        if k < self.chunks.len() {
            At::Chunk(k, (pos - self.stored) % self.chunk)
        } else {
            At::Open(pos - self.stored - (self.chunks.len() - 1) * self.chunk)
        }
    }

    fn values_at(&self, pos: usize) -> Result<Vec<Value>> {
        match self.at(pos) {
            At::Open(i) => Ok(self.open[i].clone()),
            At::Chunk(k, i) => Ok(row_at(&self.chunks[k], self.table, i)?.values),
        }
    }

    fn key_at(&self, pos: usize) -> String {
        match self.at(pos) {
            At::Open(i) => Row {
                table: self.table,
                values: self.open[i].clone(),
            }
            .key(),
            At::Chunk(k, i) => {
                let df = &self.chunks[k];
                let mut key = String::new();
                for (n, c) in self.table.key().iter().enumerate() {
                    if n > 0 {
                        key.push('\u{1f}');
                    }
                    let kind = self.table.column(c).expect("key columns exist").kind;
                    let v = df.column(c).and_then(|col| col.get(i)).map_err(|_| ());
                    match v {
                        Ok(v) => Value::from_stored(v, kind).key_part(&mut key),
                        Err(()) => key.push('\u{0}'),
                    }
                }
                key
            }
        }
    }

    /// Whether the row at `pos` has this key.
    fn has_key(&self, pos: usize, key: &str) -> bool {
        // The common case, one text key column read in place: no row is built.
        if let (At::Chunk(k, i), [c]) = (self.at(pos), self.table.key()) {
            if let Ok(ca) = self.chunks[k].column(c).and_then(|c| c.str()) {
                return ca.get(i) == Some(key);
            }
        }
        self.key_at(pos) == key
    }

    /// The position of the live row with this key.
    fn find(&self, hash: u64, key: &str) -> Option<usize> {
        self.index
            .find(hash, |&p| {
                self.hashes[p as usize] == hash && self.has_key(p as usize, key)
            })
            .map(|&p| p as usize)
    }

    /// The row this key holds now, if any.
    fn current(&self, hash: u64, key: &str) -> Result<Option<(usize, Vec<Value>)>> {
        match self.find(hash, key) {
            Some(pos) => Ok(Some((pos, self.values_at(pos)?))),
            None => Ok(None),
        }
    }

    /// Appends a row of this run; `replaces` is the live row of the same key, if any.
    fn push(
        &mut self,
        hash: u64,
        values: Vec<Value>,
        replaces: Option<usize>,
        origin: (u32, u32),
    ) -> Result<()> {
        let pos = self.hashes.len() as u32;
        self.hashes.push(hash);
        self.dead.push(false);
        self.origin.push(origin);
        self.open.push(values);
        match replaces {
            Some(old) => {
                self.dead[old] = true;
                let slot = self
                    .index
                    .find_mut(hash, |&p| p as usize == old)
                    .expect("a live row is indexed");
                *slot = pos;
            }
            None => {
                let hashes = &self.hashes;
                self.index.insert_unique(hash, pos, |&p| hashes[p as usize]);
            }
        }
        if self.open.len() == self.chunk {
            let frame = rows_to_frame(self.table, self.open.iter())?;
            self.chunks.push(frame);
            self.open.clear();
        }
        self.changed = true;
        Ok(())
    }

    fn remove(&mut self, pos: usize) {
        self.dead[pos] = true;
        if let Ok(e) = self
            .index
            .find_entry(self.hashes[pos], |&p| p as usize == pos)
        {
            e.remove();
        }
        self.changed = true;
    }

    /// The live rows in position order, all columns or the named ones.
    fn live(&self, columns: Option<&[&str]>) -> Result<DataFrame> {
        let open = rows_to_frame(self.table, self.open.iter())?;
        let mut parts = Vec::with_capacity(self.chunks.len() + 1);
        let mut start = 0;
        for df in self.chunks.iter().chain(std::iter::once(&open)) {
            let keep: BooleanChunked = self.dead[start..start + df.height()]
                .iter()
                .map(|d| !d)
                .collect();
            start += df.height();
            let df = match columns {
                Some(cols) => df.select(cols.iter().copied())?,
                None => df.clone(),
            };
            parts.push(if keep.all() { df } else { df.filter(&keep)? });
        }
        let mut out = parts.remove(0);
        for p in &parts {
            out.vstack_mut(p)?;
        }
        Ok(out)
    }
}

/// Collects the changes of one ingest run and commits them atomically.
pub struct Writer<'s> {
    store: &'s Store,
    tables: BTreeMap<Table, TableState>,
    file_no: u32,
    locations: Locations,
    chunk: usize,
}

impl<'s> Writer<'s> {
    /// A writer for a store whose lock the caller holds.
    pub fn new(store: &'s Store, _lock: &'s Lock) -> Writer<'s> {
        Writer {
            store,
            tables: BTreeMap::new(),
            file_no: 0,
            locations: Locations::default(),
            chunk: CHUNK_ROWS,
        }
    }

    /// Marks the start of the next input file: duplicate keys are judged per file.
    pub fn begin_file(&mut self) {
        self.file_no += 1;
        self.locations.clear();
    }

    fn state(&mut self, t: Table) -> Result<&mut TableState> {
        if !self.tables.contains_key(&t) {
            let s = TableState::load(self.store, t, self.chunk)?;
            self.tables.insert(t, s);
        }
        Ok(self.tables.get_mut(&t).expect("just inserted"))
    }

    /// Read access to a table as it will be after this run's changes so far, sorted by
    /// key as it will be stored.
    pub fn rows(&mut self, t: Table) -> Result<DataFrame> {
        sorted(self.state(t)?.live(None)?, t)
    }

    /// Some columns of a table's live rows, in no particular order: for linking, which
    /// reads a few columns of every message.
    pub fn columns(&mut self, t: Table, columns: &[&str]) -> Result<DataFrame> {
        self.state(t)?.live(Some(columns))
    }

    /// Sets a text column of every row to `f` of two of its text columns, where `f`
    /// says (None: left as it is). Linking sets the incident of millions of messages
    /// from their channel this way, chunk by chunk, without building a row. Returns how
    /// many live rows changed.
    pub fn set_text_by<'v>(
        &mut self,
        t: Table,
        column: &str,
        from: [&str; 2],
        f: &dyn Fn(Option<&str>, Option<&str>) -> Option<&'v str>,
    ) -> Result<usize> {
        let ci = t.index_of(column).expect("the column exists");
        let fi = from.map(|c| t.index_of(c).expect("the column exists"));
        let s = self.state(t)?;
        let mut changed = 0;
        let mut start = 0;
        for df in &mut s.chunks {
            let dead = &s.dead[start..start + df.height()];
            start += df.height();
            let (a, b) = (df.column(from[0])?.str()?, df.column(from[1])?.str()?);
            let old = df.column(column)?.str()?;
            let new: StringChunked = a
                .iter()
                .zip(b.iter())
                .zip(old.iter())
                .map(|((a, b), old)| f(a, b).or(old))
                .collect();
            let n = new
                .iter()
                .zip(old.iter())
                .zip(dead)
                .filter(|((n, o), dead)| n != o && !**dead)
                .count();
            if n > 0 {
                changed += n;
                let new = new.with_name(PlSmallStr::from_static(t.columns()[ci].name));
                df.with_column(new.into_column())?;
            }
        }
        for row in &mut s.open {
            let cell = |v: &Value| v.as_str().map(str::to_string);
            let (a, b) = (cell(&row[fi[0]]), cell(&row[fi[1]]));
            if let Some(new) = f(a.as_deref(), b.as_deref()) {
                if row[ci].as_str() != Some(new) {
                    row[ci] = Value::text(new);
                    changed += 1;
                }
            }
        }
        if changed > 0 {
            s.changed = true;
        }
        Ok(changed)
    }

    /// Applies one input record: `Err((reason, record))` rejects it whole, and nothing of
    /// it is kept.
    pub fn apply(
        &mut self,
        record: Record,
    ) -> Result<std::result::Result<Outcome, (String, Record)>> {
        for row in &record.rows {
            if let Err(reason) = row.validate() {
                return Ok(Err((reason, record)));
            }
        }
        for id in &record.requires {
            let key = Row::new(Table::Incidents)
                .with(crate::schema::col::INCIDENT_ID, Value::text(id.clone()))
                .key();
            if self
                .state(Table::Incidents)?
                .find(key_hash(&key), &key)
                .is_none()
            {
                let reason = format!(
                    "refers to incident {id}, which is neither in this export nor in the store; \
                     ingest the incidents export first"
                );
                return Ok(Err((reason, record)));
            }
        }
        // First pass: a key this file already gave different content is a conflict.
        let file_no = self.file_no;
        for row in &record.rows {
            if row.table == Table::People {
                continue;
            }
            let key = row.key();
            let s = self.state(row.table)?;
            let Some((pos, old)) = s.current(key_hash(&key), &key)? else {
                continue;
            };
            if pos < s.stored || s.origin[pos - s.stored].0 != file_no {
                continue;
            }
            if merge(row.table, &old, &row.values) != old {
                let first = s.origin[pos - s.stored].1;
                let first = self.locations.get(first);
                let reason = format!(
                    "duplicate key {} with different content within this file (first at {first})",
                    describe_key(row),
                );
                return Ok(Err((reason, record)));
            }
        }
        // A record that yields no rows was read for its context (a channel line, say):
        // it is used, not a duplicate.
        let mut outcome = if record.rows.is_empty() {
            Outcome::Ingested
        } else {
            Outcome::Duplicate
        };
        for row in record.rows {
            if self.insert(row, &record.location)? == Outcome::Ingested {
                outcome = Outcome::Ingested;
            }
        }
        Ok(Ok(outcome))
    }

    /// Stores a row, merging it with the row of the same key if there is one.
    pub fn put(&mut self, row: &Row, location: &str) -> Result<Outcome> {
        self.insert(row.clone(), location)
    }

    fn insert(&mut self, row: Row, location: &str) -> Result<Outcome> {
        let key = row.key();
        let hash = key_hash(&key);
        let origin = (self.file_no, self.locations.push(location));
        let s = self.state(row.table)?;
        match s.current(hash, &key)? {
            Some((pos, old)) => {
                let merged = merge(row.table, &old, &row.values);
                if merged == old {
                    return Ok(Outcome::Duplicate);
                }
                s.push(hash, merged, Some(pos), origin)?;
            }
            None => s.push(hash, row.values, None, origin)?,
        }
        Ok(Outcome::Ingested)
    }

    /// Removes the row with `row`'s key, stored or pending (a key that changes, as when
    /// a person is forgotten, is a removal and a new row).
    pub fn remove(&mut self, row: &Row) -> Result<()> {
        let key = row.key();
        let s = self.state(row.table)?;
        if let Some(pos) = s.find(key_hash(&key), &key) {
            s.remove(pos);
        }
        s.changed = true;
        Ok(())
    }

    /// Writes every changed table (and, in a new store, every empty one), atomically.
    /// Returns whether anything was written.
    pub fn commit(mut self) -> Result<bool> {
        let fresh = !self.store.exists();
        if fresh {
            for t in Table::ALL {
                let s = self.state(t)?;
                s.changed = true;
            }
        }
        let changed: Vec<Table> = self
            .tables
            .values()
            .filter(|s| s.changed)
            .map(|s| s.table)
            .collect();
        if changed.is_empty() {
            return Ok(false);
        }
        let mut renames = Vec::new();
        for t in changed {
            // Each table's rows are let go of once written.
            let s = self.tables.remove(&t).expect("listed above");
            let df = s.live(None)?;
            drop(s);
            let dir = self.store.table_dir(t);
            fs::create_dir_all(&dir)?;
            let target = self.store.table_path(t);
            let tmp = dir.join(format!(
                ".{}.parquet{TMP_MARK}{}",
                t.name(),
                std::process::id()
            ));
            let mut file =
                File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
            write_sorted(&df, t, &mut file)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            drop(df);
            file.sync_all()?;
            renames.push((tmp, target));
            pause();
        }
        crash_point("before-journal");
        let journal = self.store.root.join(JOURNAL);
        let journal_tmp = self.store.root.join(format!("{JOURNAL}{TMP_MARK}"));
        {
            let mut f = File::create(&journal_tmp)?;
            f.write_all(serde_json::to_string(&renames)?.as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&journal_tmp, &journal)?;
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

fn pause() {
    if let Some(ms) = std::env::var(PAUSE_ENV).ok().and_then(|v| v.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

fn crash_point(name: &str) {
    if std::env::var(CRASH_ENV).is_ok_and(|v| v == name) {
        eprintln!("{CRASH_ENV}: aborting at {name}");
        std::process::abort();
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
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

/// Rows per Parquet row group, and per batch gathered into key order when writing: the
/// sorted copy of a table is made a row group at a time, never whole.
const ROW_GROUP: usize = 1 << 18;

/// Writes a table's rows in key order as Parquet.
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

/// Merges a newer export of a row into the stored one. People merge field by field (a
/// later source fills in what an earlier one lacked; aliases accumulate); rows with an
/// `updated_at` keep the newer version; other rows take the newer export.
fn merge(table: Table, old: &[Value], new: &[Value]) -> Vec<Value> {
    if table == Table::People {
        return old
            .iter()
            .zip(new)
            .map(|(o, n)| match (o, n) {
                (Value::List(a), Value::List(b)) => {
                    let mut all: Vec<String> = a.iter().chain(b).cloned().collect();
                    all.sort();
                    all.dedup();
                    Value::List(all)
                }
                (o, Value::Null) => o.clone(),
                (_, n) => n.clone(),
            })
            .collect();
    }
    if let Some(v) = table.version() {
        let i = table.index_of(v).expect("version column exists");
        if let (Value::Ts(o), Value::Ts(n)) = (&old[i], &new[i]) {
            if n < o {
                return old.to_vec();
            }
        }
    }
    new.to_vec()
}

fn describe_key(row: &Row) -> String {
    row.table
        .key()
        .iter()
        .map(|k| format!("{k}={}", row.get(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The key of every stored row, computed the way [`Row::key`] computes it.
fn key_strings(df: &DataFrame, table: Table) -> Result<Vec<String>> {
    let mut keys = vec![String::new(); df.height()];
    for (n, k) in table.key().iter().enumerate() {
        let kind = table.column(k).expect("key columns exist").kind;
        let column = df.column(k)?.as_materialized_series();
        for (i, key) in keys.iter_mut().enumerate() {
            if n > 0 {
                key.push('\u{1f}');
            }
            Value::from_stored(column.get(i)?, kind).key_part(key);
        }
    }
    Ok(keys)
}

/// A stored table in the table's current schema: a column added since the file was
/// written (a store from an older version) reads as nulls, in schema order.
fn with_schema(mut df: DataFrame, t: Table) -> Result<DataFrame> {
    let height = df.height();
    let mut missing = false;
    for c in t.columns() {
        if df.column(c.name).is_err() {
            let nulls = Series::full_null(PlSmallStr::from_static(c.name), height, &c.kind.dtype());
            df.with_column(nulls.into_column())?;
            missing = true;
        }
    }
    if !missing {
        return Ok(df);
    }
    Ok(df.select(t.columns().iter().map(|c| c.name))?)
}

/// Row `i` of a stored table's frame, as a canonical row.
pub fn row_at(df: &DataFrame, table: Table, i: usize) -> Result<Row> {
    let mut row = Row::new(table);
    for c in table.columns() {
        row.set(
            c.name,
            Value::from_stored(df.column(c.name)?.get(i)?, c.kind),
        );
    }
    Ok(row)
}

/// A text column as owned strings (null as `None`), for code that works row by row.
pub fn strings(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|s| s.map(str::to_string))
        .collect())
}

/// Builds a frame with the table's schema from rows of values.
pub fn rows_to_frame<'a>(
    table: Table,
    rows: impl Iterator<Item = &'a Vec<Value>> + Clone,
) -> Result<DataFrame> {
    let height = rows.clone().count();
    let columns = table
        .columns()
        .iter()
        .enumerate()
        .map(|(i, c)| column_of(*c, rows.clone().map(|r| &r[i])).into_column())
        .collect();
    Ok(DataFrame::new(height, columns)?)
}

/// One column of the table's schema from its cells.
fn column_of<'a>(c: crate::schema::Column, cells: impl Iterator<Item = &'a Value>) -> Series {
    let name = PlSmallStr::from_static(c.name);
    match c.kind {
        Kind::Str => StringChunked::from_iter_options(
            name,
            cells.map(|v| match v {
                Value::Str(s) => Some(s.as_str()),
                _ => None,
            }),
        )
        .into_series(),
        Kind::Int => Int64Chunked::from_iter_options(
            name,
            cells.map(|v| match v {
                Value::Int(n) => Some(*n),
                _ => None,
            }),
        )
        .into_series(),
        Kind::Bool => BooleanChunked::from_iter_options(
            name,
            cells.map(|v| match v {
                Value::Bool(b) => Some(*b),
                _ => None,
            }),
        )
        .into_series(),
        Kind::Timestamp => Int64Chunked::from_iter_options(
            name,
            cells.map(|v| match v {
                Value::Ts(t) => Some(*t),
                _ => None,
            }),
        )
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_series(),
        Kind::StrList => StringChunked::from_iter_options(
            name,
            cells.map(|v| match v {
                Value::List(l) => Some(l.join(";")),
                _ => None,
            }),
        )
        .into_series(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;
    use crate::schema::col;

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

    fn message(id: &str, channel: &str) -> Row {
        Row::new(Table::Messages)
            .with(col::MESSAGE_ID, Value::text(id))
            .with(col::CHANNEL_ID, Value::text(channel))
            .with(col::SOURCE, Value::text("slack"))
    }

    fn column(df: &DataFrame, name: &str) -> Vec<Option<String>> {
        strings(df, name).unwrap()
    }

    /// Rows frozen into chunks are found, replaced, removed and set like open ones.
    #[test]
    fn rows_in_frozen_chunks_behave_like_open_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        let lock = store.lock().unwrap();
        let mut w = Writer::new(&store, &lock);
        w.chunk = 2;
        w.begin_file();
        for i in 1..=5 {
            let rec = Record::new(
                format!("f.json[{i}]"),
                vec![message(&format!("m{i}"), "C1")],
            );
            assert_eq!(w.apply(rec).unwrap().ok(), Some(Outcome::Ingested));
        }
        let conflict = Record::new("f.json[6]", vec![message("m1", "C9")]);
        assert_eq!(
            w.apply(conflict).unwrap().err().map(|(reason, _)| reason),
            Some(
                "duplicate key message_id=m1 with different content within this file \
                 (first at f.json[1])"
                    .to_string()
            )
        );
        let same = Record::new("f.json[7]", vec![message("m2", "C1")]);
        assert_eq!(w.apply(same).unwrap().ok(), Some(Outcome::Duplicate));
        w.begin_file();
        assert_eq!(w.put(&message("m3", "C2"), "g").unwrap(), Outcome::Ingested);
        w.remove(&message("m4", "C1")).unwrap();
        let in_c1 = |_: Option<&str>, c: Option<&str>| (c == Some("C1")).then_some("i1");
        let set = [col::SOURCE, col::CHANNEL_ID];
        assert_eq!(
            w.set_text_by(Table::Messages, col::INCIDENT_ID, set, &in_c1)
                .unwrap(),
            3
        );
        assert_eq!(
            w.set_text_by(Table::Messages, col::INCIDENT_ID, set, &in_c1)
                .unwrap(),
            0,
            "a second time changes nothing"
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
        assert_eq!(w.put(&m2, "h").unwrap(), Outcome::Duplicate);
        assert_eq!(w.put(&message("m4", "C1"), "h").unwrap(), Outcome::Ingested);
        assert_eq!(w.rows(Table::Messages).unwrap().height(), 5);
    }
}
