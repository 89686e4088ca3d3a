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
use crate::record::{Problem, Record, Rejection, Row, Value};
use crate::schema::{tables, Kind, Table};
use anyhow::{Context, Result};
use polars::prelude::{
    BooleanChunked, Column, DataFrame, DataType, IdxCa, IntoColumn, ParquetReader, ParquetWriter,
    PlSmallStr, PolarsResult, SerReader, SortMultipleOptions, StringChunked, UInt32Chunked,
};
use std::collections::{BTreeMap, BinaryHeap};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

mod hashing;
mod merge;
mod state;
mod textmap;

use hashing::*;
pub(crate) use hashing::{frame_key_hashes, row_key_hash};
use merge::*;
use state::*;
pub use textmap::TextMap;
use textmap::*;

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
    Rejected(Rejection, Record),
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
pub(crate) const CHUNK_ROWS: usize = 16_384;

/// A table holding this many of this run's rows in memory writes them to a run (the
/// 2 GB Slack export peaked at 548 MiB with 1 << 18; at 1 << 17 with half the run
/// group, 461–485 MiB, as fast, the whole large organisation unchanged).
pub(crate) const SPILL_ROWS: usize = 1 << 17;

/// All tables together hold at most about this many bytes of this run's frozen rows:
/// past it, the table holding most writes its rows to a run. A run is written on a
/// thread of its own while new rows arrive, so about twice this may be in memory for a
/// while (56 MiB rather than 64: the large organisation's ingest then peaks within
/// 20-40 MiB of where runs of 64 MiB written in line left it, and ends 0.5-1 s sooner).
pub(crate) const MEMORY_BUDGET: usize = 56 << 20;

/// Rows per row group of a run file, and per batch read back from one when merging:
/// the merge holds one batch of every run, so halving the runs' size doubles their
/// number, and halving this keeps the merge's memory where it was.
pub(crate) const RUN_GROUP: usize = 4_096;

/// Rows per row group of a stored table, and per batch read from a large one.
pub(super) const ROW_GROUP: usize = 1 << 16;

/// Test hook: freeze and spill every this many rows, so that small fixtures go through
/// the paths a large export takes.
pub(crate) const SPILL_ENV: &str = "INCIDENTLENS_TEST_SPILL_ROWS";

/// The position column of run files.
pub(crate) const POS: &str = "__pos";

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
                    let reason = Rejection::new(
                        Problem::Conflict,
                        format!(
                            "two {} of this record share the key {} with different content",
                            row.table.name(),
                            describe_key(row),
                        ),
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
                let reason = Rejection::new(
                    Problem::Conflict,
                    format!(
                        "duplicate key {} with different content within this file (first at {first})",
                        describe_key(row),
                    ),
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
            &Row::of(tables::Incidents)
                .with(crate::schema::cell::INCIDENT_ID, Value::text(id))
                .row(),
        );
        Ok(self.state(Table::Incidents)?.find(key).is_some())
    }

    /// Stores a row, merging it with the row of the same key if there is one.
    pub fn put(&mut self, row: impl Into<Row>, location: &str) -> Result<Outcome> {
        let mut row = row.into();
        row.complete();
        let key = row_key_hash(&row);
        self.insert(row, key, location)
    }

    /// [`Writer::put`] of a completed row whose key hash (`row_key_hash`) the caller
    /// has already.
    pub fn put_keyed(&mut self, row: Row, key: u128, location: &str) -> Result<Outcome> {
        debug_assert_eq!(key, row_key_hash(&row), "the row's own key hash");
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
        let mut renames = write_tables(store, states, big, sealed).map_err(discard)?;
        // The journal lists the tables by name, whichever was written first.
        renames.sort();
        crash_point("before-journal");
        let journal = self.store.root.join(JOURNAL);
        let journal_tmp = self.store.root.join(format!("{JOURNAL}{TMP_MARK}"));
        // From the journal to the last rename, no command reads the store.
        let _renaming = self.store.exclusive().map_err(discard)?;
        write_journal(&self.store.root, &renames, &journal_tmp)
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

/// Writes every changed table to a temporary file (the largest on a thread of its own)
/// and waits for the sealed ones: the (temporary, target) renames of the commit.
fn write_tables(
    store: &Store,
    states: Vec<TableState>,
    big: Option<TableState>,
    sealed: Vec<(Table, Sealed)>,
) -> Result<Vec<(PathBuf, PathBuf)>> {
    std::thread::scope(|scope| {
        let big = big.map(|s| scope.spawn(move || write_table(store, s)));
        let mut renames = Vec::new();
        for s in states {
            renames.push(write_table(store, s)?);
        }
        if let Some(big) = big {
            renames.push(big.join().expect("the table writer does not panic")?);
        }
        // Every sealed table is waited for, even after an error, so that none is still
        // being written when the files are discarded.
        let mut failed = None;
        for (t, h) in sealed {
            match finish_sealed(t, h) {
                Ok(r) => renames.push(r),
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        failed.map_or(Ok(renames), Err)
    })
}

/// Writes the journal of renames to `tmp`, synced. Paths are relative to the store, so
/// that a command run from another working folder (or naming the store another way)
/// finds them.
fn write_journal(root: &Path, renames: &[(PathBuf, PathBuf)], tmp: &Path) -> Result<()> {
    let rel = |p: &PathBuf| {
        p.strip_prefix(root)
            .map(PathBuf::from)
            .unwrap_or_else(|_| p.clone())
    };
    let relative: Vec<(PathBuf, PathBuf)> = renames
        .iter()
        .map(|(from, to)| (rel(from), rel(to)))
        .collect();
    let mut f = File::create(tmp)?;
    f.write_all(serde_json::to_string(&relative)?.as_bytes())?;
    f.sync_all()?;
    Ok(())
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

/// Merges a newer export of a person into the stored one, field by field: a later
/// source fills in what an earlier one lacked; aliases accumulate.
/// Two descriptions of one person, field by field: aliases gathered, a field one of
/// them lacks taken from the other, and a field they give differently decided by the
/// values alone (the smaller text), so that the order of the files never changes who a
/// person is.
pub(crate) fn merge_people(old: &[Value], new: &[Value]) -> Vec<Value> {
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

pub(crate) fn describe_key(row: &Row) -> String {
    row.table
        .key()
        .iter()
        .map(|k| format!("{k}={}", row.get(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
