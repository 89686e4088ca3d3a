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
    BooleanChunked, DataFrame, Int64Chunked, IntoColumn, IntoSeries, NewChunkedArray,
    ParquetReader, ParquetWriter, PlSmallStr, SerReader, Series, SortMultipleOptions,
    StringChunked, TimeUnit, TimeZone,
};
use std::collections::{BTreeMap, HashMap};
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

/// A row waiting to be committed, and where it came from.
struct Pending {
    values: Vec<Value>,
    file_no: usize,
    location: String,
}

/// One table's rows as stored plus the changes of this run.
struct TableState {
    table: Table,
    existing: DataFrame,
    /// Key → row number in `existing`, built when the table is first touched.
    index: HashMap<String, usize>,
    removed: Vec<bool>,
    pending: HashMap<String, Pending>,
    changed: bool,
}

impl TableState {
    fn load(store: &Store, table: Table) -> Result<TableState> {
        let existing = store.read(table)?;
        let keys = key_strings(&existing, table)?;
        let index = keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
        let removed = vec![false; existing.height()];
        Ok(TableState {
            table,
            existing,
            index,
            removed,
            pending: HashMap::new(),
            changed: false,
        })
    }

    fn existing_row(&self, i: usize) -> Result<Vec<Value>> {
        self.existing
            .columns()
            .iter()
            .zip(self.table.columns())
            .map(|(c, def)| Ok(Value::from_stored(c.get(i)?, def.kind)))
            .collect()
    }

    /// The row this key holds now (pending, else stored), if any.
    fn current(&self, key: &str) -> Result<Option<Vec<Value>>> {
        if let Some(p) = self.pending.get(key) {
            return Ok(Some(p.values.clone()));
        }
        match self.index.get(key) {
            Some(&i) if !self.removed[i] => Ok(Some(self.existing_row(i)?)),
            _ => Ok(None),
        }
    }
}

/// Collects the changes of one ingest run and commits them atomically.
pub struct Writer<'s> {
    store: &'s Store,
    tables: BTreeMap<Table, TableState>,
    file_no: usize,
}

impl<'s> Writer<'s> {
    /// A writer for a store whose lock the caller holds.
    pub fn new(store: &'s Store, _lock: &'s Lock) -> Writer<'s> {
        Writer {
            store,
            tables: BTreeMap::new(),
            file_no: 0,
        }
    }

    /// Marks the start of the next input file: duplicate keys are judged per file.
    pub fn begin_file(&mut self) {
        self.file_no += 1;
    }

    fn state(&mut self, t: Table) -> Result<&mut TableState> {
        if !self.tables.contains_key(&t) {
            let s = TableState::load(self.store, t)?;
            self.tables.insert(t, s);
        }
        Ok(self.tables.get_mut(&t).expect("just inserted"))
    }

    /// Read access to a table as it will be after this run's changes so far.
    pub fn rows(&mut self, t: Table) -> Result<DataFrame> {
        let s = self.state(t)?;
        merged_frame(s)
    }

    /// Applies one input record: `Err(reason)` rejects it whole, and nothing of it is kept.
    pub fn apply(&mut self, record: &Record) -> Result<std::result::Result<Outcome, String>> {
        for row in &record.rows {
            if let Err(reason) = row.validate() {
                return Ok(Err(reason));
            }
        }
        for id in &record.requires {
            let key = Row::new(Table::Incidents)
                .with(crate::schema::col::INCIDENT_ID, Value::text(id.clone()))
                .key();
            if self.state(Table::Incidents)?.current(&key)?.is_none() {
                return Ok(Err(format!(
                    "refers to incident {id}, which is neither in this export nor in the store; \
                     ingest the incidents export first"
                )));
            }
        }
        // First pass: a key this file already gave different content is a conflict.
        let file_no = self.file_no;
        for row in &record.rows {
            let key = row.key();
            let s = self.state(row.table)?;
            if let Some(p) = s.pending.get(&key) {
                if p.file_no == file_no && row.table != Table::People {
                    let merged = merge(row.table, &p.values, &row.values);
                    if merged != p.values {
                        return Ok(Err(format!(
                            "duplicate key {} with different content within this file (first at {})",
                            describe_key(row),
                            p.location
                        )));
                    }
                }
            }
        }
        // A record that yields no rows was read for its context (a channel line, say):
        // it is used, not a duplicate.
        let mut outcome = if record.rows.is_empty() {
            Outcome::Ingested
        } else {
            Outcome::Duplicate
        };
        for row in &record.rows {
            if self.put(row, &record.location)? == Outcome::Ingested {
                outcome = Outcome::Ingested;
            }
        }
        Ok(Ok(outcome))
    }

    /// Stores a row, merging it with the row of the same key if there is one.
    pub fn put(&mut self, row: &Row, location: &str) -> Result<Outcome> {
        let key = row.key();
        let file_no = self.file_no;
        let s = self.state(row.table)?;
        let merged = match s.current(&key)? {
            Some(old) => {
                let merged = merge(row.table, &old, &row.values);
                if merged == old {
                    return Ok(Outcome::Duplicate);
                }
                merged
            }
            None => row.values.clone(),
        };
        if let Some(&i) = s.index.get(&key) {
            s.removed[i] = true;
        }
        s.pending.insert(
            key,
            Pending {
                values: merged,
                file_no,
                location: location.to_string(),
            },
        );
        s.changed = true;
        Ok(Outcome::Ingested)
    }

    /// Removes the row with `row`'s key, stored or pending (a key that changes, as when
    /// a person is forgotten, is a removal and a new row).
    pub fn remove(&mut self, row: &Row) -> Result<()> {
        let key = row.key();
        let s = self.state(row.table)?;
        s.pending.remove(&key);
        if let Some(&i) = s.index.get(&key) {
            s.removed[i] = true;
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
        let changed: Vec<&TableState> = self.tables.values().filter(|s| s.changed).collect();
        if changed.is_empty() {
            return Ok(false);
        }
        let mut renames = Vec::new();
        for s in changed {
            let mut df = merged_frame(s)?;
            let dir = self.store.table_dir(s.table);
            fs::create_dir_all(&dir)?;
            let target = self.store.table_path(s.table);
            let tmp = dir.join(format!(
                ".{}.parquet{TMP_MARK}{}",
                s.table.name(),
                std::process::id()
            ));
            let mut file =
                File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
            ParquetWriter::new(&mut file)
                .finish(&mut df)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
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

/// The stored rows that remain plus this run's rows, sorted by key for stable files.
fn merged_frame(s: &TableState) -> Result<DataFrame> {
    // Order does not matter here: the frame is sorted by key (unique) below.
    let fresh = rows_to_frame(s.table, s.pending.values().map(|p| &p.values))?;
    let keep: BooleanChunked = s.removed.iter().map(|r| !r).collect();
    let mut df = s.existing.filter(&keep)?;
    df = df.vstack(&fresh)?;
    let key: Vec<&str> = s.table.key().to_vec();
    let df = df.sort(
        key,
        SortMultipleOptions::default()
            .with_maintain_order(true)
            .with_nulls_last(true),
    )?;
    Ok(df)
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
    let mut columns = Vec::new();
    for (i, c) in table.columns().iter().enumerate() {
        let name = PlSmallStr::from_static(c.name);
        let cells = rows.clone().map(|r| &r[i]);
        let series: Series = match c.kind {
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
        };
        columns.push(series.into_column());
    }
    Ok(DataFrame::new(height, columns)?)
}
