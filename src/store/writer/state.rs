//! One table's state during an ingest: its rows' positions, key index, hashes and
//! versions; this run's rows frozen into frames and spilled to sorted runs; the stored
//! rows left on disk; and writing it all in key order at commit.

use super::*;

/// The source locations of the current file's records, front-coded: consecutive
/// locations share most of their text ("chan/2024-01-02.json[7]", "…[8]"), so each is
/// kept as the length of the text it shares with the one before and the rest, in one
/// byte buffer (about 7 bytes a location: 5 million messages' take some 35 MB). Every
/// `RESTART` entries one is kept whole, where reading back starts. Used to name where a
/// conflicting key was first.
#[derive(Default)]
pub(crate) struct Locations {
    /// Per entry: the length of the prefix it shares with the entry before (0 at each
    /// block's first) and the length of the rest, both u16 little-endian; then the rest.
    pub(crate) bytes: Vec<u8>,
    /// Where each block of `RESTART` entries begins in `bytes`.
    pub(crate) blocks: Vec<usize>,
    pub(crate) len: usize,
    pub(crate) last: String,
}

impl Locations {
    const RESTART: usize = 64;

    /// Adds a location (a repeat of the last one is not stored again); its number. A
    /// location longer than 64 KiB is kept to its first 64 KiB.
    pub(crate) fn push(&mut self, s: &str) -> u32 {
        let n = self.len;
        if n > 0 && s == self.last {
            return (n - 1) as u32;
        }
        let mut cut = s.len().min(u16::MAX as usize);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        let s = &s[..cut];
        let mut shared = 0;
        if n.is_multiple_of(Self::RESTART) {
            self.blocks.push(self.bytes.len());
        } else {
            shared = self
                .last
                .char_indices()
                .zip(s.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map_or(0, |((i, a), _)| i + a.len_utf8());
        }
        let rest = &s[shared..];
        self.bytes.extend((shared as u16).to_le_bytes());
        self.bytes.extend((rest.len() as u16).to_le_bytes());
        self.bytes.extend(rest.as_bytes());
        self.last.clear();
        self.last.push_str(s);
        self.len += 1;
        n as u32
    }

    pub(crate) fn get(&self, n: u32) -> String {
        let n = n as usize;
        let mut at = self.blocks[n / Self::RESTART];
        let mut out: Vec<u8> = Vec::new();
        for _ in n - n % Self::RESTART..=n {
            let b = &self.bytes[at..];
            let shared = u16::from_le_bytes([b[0], b[1]]) as usize;
            let rest = u16::from_le_bytes([b[2], b[3]]) as usize;
            out.truncate(shared);
            out.extend_from_slice(&b[4..4 + rest]);
            at += 4 + rest;
        }
        String::from_utf8(out).expect("locations are stored whole characters")
    }

    pub(crate) fn clear(&mut self) {
        *self = Locations::default();
    }
}

/// A vector grown a segment at a time: the per-row bookkeeping of millions of rows
/// never doubles its allocation or copies itself when it grows.
pub(crate) struct Segmented<T> {
    pub(crate) segments: Vec<Vec<T>>,
    pub(crate) len: usize,
}

impl<T: Copy> Segmented<T> {
    const SEGMENT: usize = 1 << 16;

    pub(crate) fn new() -> Segmented<T> {
        Segmented {
            segments: Vec::new(),
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push(&mut self, v: T) {
        if self.len.is_multiple_of(Self::SEGMENT) {
            self.segments.push(Vec::with_capacity(Self::SEGMENT));
        }
        self.segments.last_mut().expect("just pushed").push(v);
        self.len += 1;
    }

    pub(crate) fn extend(&mut self, values: impl IntoIterator<Item = T>) {
        values.into_iter().for_each(|v| self.push(v));
    }

    pub(crate) fn clear(&mut self) {
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
pub(crate) struct OnDisk {
    pub(crate) path: PathBuf,
    /// The file has every column (not a store from an older version): a reader of a
    /// few columns reads only those.
    pub(crate) complete: bool,
    /// Per batch of [`ROW_GROUP`] rows: whether its rows moved to a run (when a column
    /// of them was set).
    pub(crate) moved: Vec<bool>,
}

/// One table's rows as stored plus the changes of this run.
pub(crate) struct TableState {
    pub(crate) table: Table,
    pub(crate) dir: PathBuf,
    /// Rows stored before this run (positions `0..stored`), in memory or on disk.
    pub(crate) stored: usize,
    pub(crate) stored_frame: Option<DataFrame>,
    pub(crate) on_disk: Option<OnDisk>,
    /// This run's rows frozen in memory: (first position, rows), and their size.
    pub(crate) chunks: Vec<(usize, DataFrame)>,
    pub(crate) chunk_bytes: usize,
    /// This run's rows not frozen yet, from position `open_start`.
    pub(crate) open: Vec<Vec<Value>>,
    pub(crate) open_start: usize,
    /// Sorted runs of rows (with their positions) on disk.
    pub(crate) runs: Vec<PathBuf>,
    /// The last run, while a thread of its own still sorts and writes it (the rows go
    /// on arriving meanwhile); joined before any run is read or the next one begun.
    pub(crate) writing: Option<std::thread::JoinHandle<Result<()>>>,
    /// Cells set on rows of runs and not written there yet (see `set_text_by`).
    pub(crate) run_patches: Vec<RunPatch>,
    /// Per position.
    pub(crate) keys: Segmented<u128>,
    pub(crate) contents: Segmented<u64>,
    /// Per position, for tables with a version column.
    pub(crate) versions: Segmented<i64>,
    pub(crate) dead: Segmented<bool>,
    /// The input file of the latest rows, the position of its first row here, and the
    /// location number of each of its rows (rows of earlier files are never asked).
    pub(crate) file: u32,
    pub(crate) file_start: usize,
    pub(crate) locations: Segmented<u32>,
    pub(crate) index: hashbrown::HashTable<u32>,
    pub(crate) chunk: usize,
    pub(crate) spill: usize,
    pub(crate) changed: bool,
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
    pub(crate) fn load(
        store: &Store,
        table: Table,
        chunk: usize,
        spill: usize,
    ) -> Result<TableState> {
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
    pub(crate) fn index_stored(&mut self, df: &DataFrame) -> Result<()> {
        self.contents.extend(frame_hashes(self.table, df)?);
        self.versions.extend(frame_versions(self.table, df)?);
        for key in frame_key_hashes(df, self.table)? {
            let pos = self.keys.len() as u32;
            self.add_key(key, pos);
        }
        self.stored += df.height();
        while self.dead.len() < self.stored {
            self.dead.push(false);
        }
        Ok(())
    }

    pub(crate) fn add_key(&mut self, key: u128, pos: u32) {
        self.keys.push(key);
        let keys = &self.keys;
        self.index
            .insert_unique(key as u64, pos, |&p| keys[p as usize] as u64);
    }

    /// The position of the live row with this key.
    pub(crate) fn find(&self, key: u128) -> Option<usize> {
        self.index
            .find(key as u64, |&p| self.keys[p as usize] == key)
            .map(|&p| p as usize)
    }

    /// The row at a position, for the tables kept in memory (people).
    pub(crate) fn values_at(&self, pos: usize) -> Result<Vec<Value>> {
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
    pub(crate) fn push(
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
    pub(crate) fn spills(&self) -> bool {
        self.table != Table::People
    }

    /// Turns the open rows into a frame.
    pub(crate) fn freeze(&mut self) -> Result<()> {
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
    pub(crate) fn write_run(&mut self) -> Result<()> {
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
    pub(crate) fn written(&mut self) -> Result<()> {
        match self.writing.take() {
            Some(h) => h.join().map_err(|_| {
                anyhow::anyhow!("writing a run of {} stopped (panicked)", self.table.name())
            })?,
            None => Ok(()),
        }
    }

    /// The path of a new run file in the table's folder (the folder made if need be).
    pub(crate) fn run_path(&self, name: &str) -> Result<PathBuf> {
        fs::create_dir_all(&self.dir)?;
        Ok(self.dir.join(format!(
            ".{}.{name}.parquet{TMP_MARK}{}",
            self.table.name(),
            std::process::id()
        )))
    }

    /// Writes rows (with their positions) to a new run file in the table's folder.
    pub(crate) fn add_run(&mut self, name: &str, df: &mut DataFrame) -> Result<()> {
        let path = self.run_path(name)?;
        write_run_file(&path, df)?;
        self.runs.push(path);
        Ok(())
    }

    pub(crate) fn remove(&mut self, pos: usize) {
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
    pub(crate) fn live_rows(&self, df: DataFrame, first: Option<usize>) -> Result<DataFrame> {
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
    pub(crate) fn each_part(
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
    pub(crate) fn live(&self, columns: Option<&[&str]>) -> Result<DataFrame> {
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
    pub(crate) fn patch(
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
    pub(crate) fn set_text_by(
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
    pub(crate) fn settle(&mut self) -> Result<()> {
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
    pub(crate) fn write(self, file: &mut File) -> Result<()> {
        let mut out = buffered(file);
        self.write_to(&mut out)?;
        out.flush()?;
        Ok(())
    }

    fn write_to(mut self, out: &mut Out) -> Result<()> {
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

        let mut writer = ParquetWriter::new(out)
            .with_compression(store_compression())
            .batched(&self.table.schema())?;
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

impl TableState {
    /// Whether `new` would replace the live row at `pos`: its content differs and it is
    /// not an older version (rows with an `updated_at` keep the newer version; other
    /// rows take the newer export).
    pub(crate) fn replaces(&self, pos: usize, new: &[Value]) -> bool {
        if let Some(v) = value_version(self.table, new) {
            let old = self.versions[pos];
            if v != i64::MIN && old != i64::MIN && v < old {
                return false;
            }
        }
        self.contents[pos] != value_hash(self.table, new)
    }
}
