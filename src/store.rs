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

mod writer;

pub(crate) use writer::{frame_key_hashes, row_key_hash};
pub use writer::{Applied, Outcome, TextMap, Writer};

use crate::record::{Row, Value};
use crate::schema::{Kind, Table};
use anyhow::{bail, Context, Result};
use polars::prelude::{
    BooleanChunked, DataFrame, Int64Chunked, IntoColumn, IntoLazy, IntoSeries, LazyFrame,
    NewChunkedArray, ParquetReader, PlRefPath, PlSmallStr, ScanArgsParquet, SerReader, Series,
    StringChunked, TimeUnit, TimeZone,
};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The store folder used when neither `--store` nor `INCIDENTLENS_STORE` is given.
pub const DEFAULT_DIR: &str = ".incidentlens/store";

const JOURNAL: &str = "_journal.json";
const LOCK: &str = ".lock";
/// Readers hold a shared lock on it while they read; a commit holds it exclusively from
/// its journal to its last rename, so no reader sees tables of two commits.
const READERS: &str = ".readers";
const TMP_MARK: &str = ".tmp-";

/// Test hook: makes a commit abort at a named point, as a crash would.
const CRASH_ENV: &str = "INCIDENTLENS_TEST_CRASH";

/// Test hook: milliseconds to pause after each file a commit writes or renames, so that
/// a test's SIGKILL lands inside the commit.
const PAUSE_ENV: &str = "INCIDENTLENS_TEST_PAUSE_MS";

#[derive(Debug, Clone)]
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

    /// Fails with advice when there is no store yet; else the reader's lock, to hold
    /// while reading: every table read under it is of one commit.
    pub fn require(&self) -> Result<ReadLock> {
        if !self.root.is_dir() {
            self.missing()?;
        }
        let mut reading = self.readers(false)?;
        // A commit cut short (a killed ingest) leaves its journal: finish it before
        // anything is read, so no reader sees half of a commit. (A commit under way
        // holds the readers' lock until its journal is gone.)
        if self.root.join(JOURNAL).exists() {
            drop(reading);
            drop(self.lock()?);
            reading = self.readers(false)?;
        }
        if !self.exists() {
            self.missing()?;
        }
        Ok(reading)
    }

    fn missing(&self) -> Result<()> {
        bail!(
            "no store at {}: run `incidentlens ingest PATH…` first, or point --store / \
             INCIDENTLENS_STORE at an existing store",
            self.root.display()
        )
    }

    /// The readers' lock: shared for a reader, exclusive for a commit's renames. Waits
    /// for the other side, saying so when it has to. A store the user may not write to
    /// (a read-only copy) has no commits to wait for: no lock.
    fn readers(&self, exclusive: bool) -> Result<ReadLock> {
        let path = self.root.join(READERS);
        let file = match OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Ok(ReadLock { _file: None })
            }
            Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
        };
        let tried = if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match tried {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                crate::say!(
                    "{}",
                    if exclusive {
                        "waiting for the commands reading the store to finish before committing…"
                    } else {
                        "waiting for an ingest to finish committing…"
                    }
                );
                if exclusive {
                    file.lock()
                } else {
                    file.lock_shared()
                }
                .with_context(|| format!("cannot lock {}", path.display()))?;
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        Ok(ReadLock { _file: Some(file) })
    }

    /// The readers' lock, exclusively: for a commit from its journal to its last rename.
    pub(crate) fn exclusive(&self) -> Result<ReadLock> {
        self.readers(true)
    }

    /// A table as stored, or an empty frame with the table's schema.
    pub fn read(&self, t: Table) -> Result<DataFrame> {
        let Some(reader) = self.footer(t)? else {
            return Ok(DataFrame::empty_with_schema(&t.schema()));
        };
        let df = reader.finish().with_context(|| self.unreadable(t))?;
        with_schema(df, t)
    }

    /// A table as a lazy scan, so that a reader gets only the columns and rows it asks
    /// for (metrics read four columns of millions of messages). A store written by an
    /// older version, lacking a column, is read whole instead, its missing columns null.
    pub fn scan(&self, t: Table) -> Result<LazyFrame> {
        if !self.table_path(t).exists() || !self.complete(t)? {
            return Ok(self.read(t)?.lazy());
        }
        let path = PlRefPath::new(self.table_path(t).to_string_lossy());
        Ok(LazyFrame::scan_parquet(path, ScanArgsParquet::default())?)
    }

    /// Hands some columns of a table's rows to `f` a row group at a time, so that a
    /// large table (millions of messages) is never whole in memory. A store written by
    /// an older version, lacking a column, is read whole, its missing columns null.
    pub fn batches(
        &self,
        t: Table,
        columns: &[&str],
        f: &mut dyn FnMut(&DataFrame) -> Result<()>,
    ) -> Result<()> {
        let rows = self.rows(t)?;
        if rows == 0 {
            return Ok(());
        }
        if !self.complete(t)? {
            return f(&self.read(t)?.select(columns.iter().copied())?);
        }
        let path = self.table_path(t);
        let names: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        let mut start = 0;
        while start < rows {
            let len = writer::ROW_GROUP.min(rows - start);
            f(&read_slice(&path, start, len, Some(names.clone()))?)?;
            start += len;
        }
        Ok(())
    }

    /// Row counts of every table, in [`Table::ALL`] order.
    pub fn counts(&self) -> Result<Vec<(Table, usize)>> {
        Table::ALL.iter().map(|&t| Ok((t, self.rows(t)?))).collect()
    }

    /// A table's row count, from the Parquet footer (nothing else is read).
    pub fn rows(&self, t: Table) -> Result<usize> {
        match self.footer(t)? {
            Some(mut r) => r.num_rows().with_context(|| self.unreadable(t)),
            None => Ok(0),
        }
    }

    /// Whether a table's file (if any) holds every column of the table's current schema;
    /// a store written by an older version may lack some.
    fn complete(&self, t: Table) -> Result<bool> {
        let Some(mut r) = self.footer(t)? else {
            return Ok(true);
        };
        let stored = r.schema().with_context(|| self.unreadable(t))?;
        Ok(t.columns().iter().all(|c| stored.contains(c.name)))
    }

    fn unreadable(&self, t: Table) -> String {
        format!("cannot read {}", self.table_path(t).display())
    }

    /// The largest value of a timestamp column, from the row groups' statistics in the
    /// footer (no data is read): `None` when a row group has no statistics for it (the
    /// caller reads the column instead), `Some(None)` when the table holds no value.
    pub fn column_max(&self, t: Table, column: &str) -> Result<Option<Option<i64>>> {
        use polars_parquet::parquet::statistics::Statistics;
        let Some(mut r) = self.footer(t)? else {
            return Ok(Some(None));
        };
        let meta = r
            .get_metadata()
            .with_context(|| self.unreadable(t))?
            .clone();
        let mut max: Option<i64> = None;
        for rg in &meta.row_groups {
            let Some(chunk) = rg
                .columns_under_root_iter(column)
                .and_then(|mut c| c.next())
            else {
                return Ok(None);
            };
            match chunk.statistics(&meta.footer_buf) {
                Some(Ok(Statistics::Int64(s))) => match s.max_value {
                    Some(v) => max = Some(max.map_or(v, |m| m.max(v))),
                    // No maximum: every value is null, or it was not recorded.
                    None if s.null_count == Some(rg.num_rows() as i64) => {}
                    None => return Ok(None),
                },
                _ => return Ok(None),
            }
        }
        Ok(Some(max))
    }

    /// A reader of a table's file, for its footer (row count, schema); none when the
    /// table was never written. Every read of a table starts here, so a file that is not
    /// the table's (another table's Parquet put in its place) is refused before anything
    /// reads or rewrites it: its columns must be the table's (an older version's file
    /// may lack some), its key columns all there.
    fn footer(&self, t: Table) -> Result<Option<ParquetReader<File>>> {
        let path = self.table_path(t);
        if !path.exists() {
            return Ok(None);
        }
        let file = File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut reader = ParquetReader::new(file);
        let stored = reader.schema().with_context(|| self.unreadable(t))?;
        let foreign: Vec<&str> = stored
            .iter_names()
            .map(|n| n.as_str())
            .filter(|n| t.index_of(n).is_none())
            .collect();
        let missing: Vec<&str> = t
            .key()
            .iter()
            .copied()
            .filter(|k| !stored.contains(k))
            .collect();
        if !foreign.is_empty() || !missing.is_empty() {
            let mut found = Vec::new();
            if !foreign.is_empty() {
                found.push(format!("column(s) {} not in it", foreign.join(", ")));
            }
            if !missing.is_empty() {
                found.push(format!("no key column(s) {}", missing.join(", ")));
            }
            bail!(
                "{} does not hold the {} table: expected its columns ({}), found {}. The store is \
                 damaged (a file replaced by hand?): put the right file back, or ingest \
                 the exports again into a new store",
                path.display(),
                t.name(),
                t.columns()
                    .iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
                    .join(", "),
                found.join(" and ")
            );
        }
        Ok(Some(reader))
    }

    /// Removes unfinished files (tables', runs', the journal's own): every one, or those
    /// of one process. Returns how many.
    fn discard_temporaries(&self, pid: Option<u32>) -> Result<usize> {
        let mut removed = 0;
        let folders = Table::ALL.map(|t| self.table_dir(t));
        for folder in folders.iter().chain([&self.root]) {
            let Ok(entries) = fs::read_dir(folder) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let ours = match pid {
                    None => name.contains(TMP_MARK),
                    Some(pid) => {
                        name.ends_with(&format!("{TMP_MARK}{pid}"))
                            || name == format!("{JOURNAL}{TMP_MARK}")
                    }
                };
                if ours && e.path().is_file() {
                    fs::remove_file(e.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
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
            let _renaming = self.exclusive()?;
            let text = fs::read_to_string(&journal)?;
            let renames: Vec<(PathBuf, PathBuf)> = serde_json::from_str(&text)
                .with_context(|| format!("corrupt commit journal {}", journal.display()))?;
            // Paths are relative to the store (older journals hold them as the ingest
            // named them). Each table file is either still beside its place, or in it
            // already; a listed file in neither place means this is not the store the
            // journal was written for, or it was changed by hand: nothing is touched.
            let renames: Vec<(PathBuf, PathBuf)> = renames
                .into_iter()
                .map(|(from, to)| (self.root.join(from), self.root.join(to)))
                .collect();
            // The renames are done in the journal's order, so the ones done are a first
            // part of it: a file still to be renamed after one that is gone means the
            // journal does not describe this folder.
            let done = renames.iter().take_while(|(f, _)| !f.exists()).count();
            let lost = renames
                .iter()
                .enumerate()
                .find(|(i, (f, t))| (*i >= done && !f.exists()) || !t.exists() && !f.exists());
            if let Some((_, (from, to))) = lost {
                bail!(
                    "the interrupted commit recorded in {} cannot be finished: {} is missing \
                     (it was to become {}). The store was left as it is; restore the store \
                     folder from a copy, or remove the journal to keep the store as it is now",
                    journal.display(),
                    from.display(),
                    to.display()
                );
            }
            for (from, to) in &renames {
                if from.exists() {
                    fs::rename(from, to)?;
                }
            }
            fs::remove_file(&journal)?;
            note = Some("finished the commit an interrupted ingest had started".to_string());
        }
        // Half-written files: tables', runs', and the journal's own (a commit killed
        // while writing its journal).
        let removed = self.discard_temporaries(None)?;
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
/// Held while reading the store (shared) or while a commit renames (exclusive); the
/// OS lets go of it when the process ends.
#[must_use = "the lock is let go of when dropped"]
pub struct ReadLock {
    _file: Option<File>,
}

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

fn pause() {
    if let Some(ms) = std::env::var(PAUSE_ENV).ok().and_then(|v| v.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

fn crash_point(name: &str) {
    if std::env::var(CRASH_ENV).is_ok_and(|v| v == name) {
        crate::say!("{CRASH_ENV}: aborting at {name}");
        std::process::abort();
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Reads rows `start..start + len` of a Parquet file (only the row groups they are in),
/// all columns or the named ones.
fn read_slice(
    path: &std::path::Path,
    start: usize,
    len: usize,
    columns: Option<Vec<String>>,
) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    ParquetReader::new(file)
        .with_columns(columns)
        .with_slice(Some((start, len)))
        .finish()
        .with_context(|| format!("cannot read {}", path.display()))
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
        row.set_named(
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
