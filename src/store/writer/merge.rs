//! Spilled runs and their merge: run files, positions, and the cursors that merge the
//! stored rows, the runs and what is in memory in key order, a row group at a time.

use super::*;

/// Where a Parquet file is written: Polars' writer writes its page headers and footer a
/// few bytes at a time (tens of thousands of one-byte writes for a large table), so
/// they are gathered here.
pub(crate) type Out<'a> = std::io::BufWriter<&'a mut File>;

/// [`Out`] for `file`.
pub(crate) fn buffered(file: &mut File) -> Out<'_> {
    std::io::BufWriter::with_capacity(1 << 20, file)
}

/// Writes a run file.
pub(crate) fn write_run_file(path: &std::path::Path, df: &mut DataFrame) -> Result<()> {
    let mut write = || -> Result<()> {
        let mut file = File::create(path)?;
        let mut out = buffered(&mut file);
        // A run is read back once or twice and removed: LZ4 and no statistics write and
        // read it several times faster than the store's zstd.
        ParquetWriter::new(&mut out)
            .with_row_group_size(Some(RUN_GROUP))
            .with_compression(polars::io::parquet::write::ParquetCompression::Lz4Raw)
            .with_statistics(polars::io::parquet::write::StatisticsOptions::empty())
            .finish(df)?;
        out.flush()?;
        Ok(())
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

/// The store's compression: zstd at level 1. Level 3 (zstd's default) made the large
/// organisation's store 7% smaller (43 MB against 46) and took a fifth longer to write
/// its 2 million messages, which the commit waits for; reading is as fast either way.
pub(crate) fn store_compression() -> polars::io::parquet::write::ParquetCompression {
    let level = polars_parquet::write::ZstdLevel::try_new(1).expect("1 is a zstd level");
    polars::io::parquet::write::ParquetCompression::Zstd(Some(level))
}

/// Frames of rows, each with the position of its first row, as one frame with a
/// position column (a run's layout).
pub(crate) fn with_positions<'a>(
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
pub(crate) fn positions(df: &DataFrame, first: Option<usize>) -> Result<Vec<usize>> {
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
pub(crate) enum Batches {
    /// (file, first row, rows), read in turn.
    File(Vec<(PathBuf, usize, usize)>),
    Memory(Option<DataFrame>),
}

/// A cursor over one sorted part: its current batch and row.
pub(crate) struct Cursor {
    pub(crate) batches: std::collections::VecDeque<(PathBuf, usize, usize)>,
    pub(crate) memory: Option<DataFrame>,
    /// Positions are the file's row numbers (the stored table) rather than a column.
    pub(crate) implicit: bool,
    pub(crate) batch: Option<DataFrame>,
    pub(crate) positions: Vec<usize>,
    pub(crate) keys: Vec<Vec<KeyCell>>,
    pub(crate) row: usize,
    /// The run the batches come from, and the cells set on runs' rows since.
    pub(crate) patches: (usize, Vec<RunPatch>),
}

impl Cursor {
    pub(crate) fn new(batches: Batches, implicit: bool) -> Cursor {
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

    pub(crate) fn height(&self) -> usize {
        self.positions.len()
    }

    /// Moves past dead rows within the current batch.
    pub(crate) fn skip_dead(&mut self, dead: &Segmented<bool>) {
        while self.row < self.height() && dead[self.positions[self.row]] {
            self.row += 1;
        }
    }

    /// Moves to the next live row (loading batches as needed); its key.
    pub(crate) fn next_live(
        &mut self,
        table: Table,
        dead: &Segmented<bool>,
    ) -> Result<Option<Vec<KeyCell>>> {
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

/// Rows taken one after the other from one batch at least this many times are sliced
/// out of it rather than gathered row by row.
const LONG_STRETCH: usize = 64;

/// Rows taken in key order, gathered from the cursors' batches into row groups.
pub(crate) struct Merged {
    pub(crate) table: Table,
    /// (cursor, row) of rows taken and not gathered yet.
    pub(crate) taken: Vec<(usize, usize)>,
    pub(crate) pending: Vec<DataFrame>,
    pub(crate) pending_rows: usize,
}

impl Merged {
    pub(crate) fn gather(
        &mut self,
        cursors: &[Cursor],
        writer: &mut polars::io::parquet::write::BatchedWriter<&mut Out>,
        last: bool,
    ) -> Result<()> {
        // Rows come in stretches of one batch when parts follow one another in key order
        // (a chat export comes channel by channel): a long stretch is sliced out of its
        // batch, the other rows are gathered by index.
        let mut stretches: Vec<(usize, usize, usize)> = Vec::new();
        for (c, r) in self.taken.drain(..) {
            match stretches.last_mut() {
                Some((sc, first, len)) if *sc == c && *first + *len == r => *len += 1,
                _ => stretches.push((c, r, 1)),
            }
        }
        let mut scattered = Vec::new();
        for (c, first, len) in stretches {
            if len < LONG_STRETCH {
                scattered.extend((first..first + len).map(|r| (c, r)));
                continue;
            }
            self.gather_scattered(cursors, &mut scattered)?;
            let batch = cursors[c].batch.as_ref().expect("a batch is loaded");
            self.pending.push(batch.slice(first as i64, len));
            self.pending_rows += len;
        }
        self.gather_scattered(cursors, &mut scattered)?;
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

    /// Gathers rows by (cursor, row) from the cursors' batches, in that order.
    fn gather_scattered(
        &mut self,
        cursors: &[Cursor],
        taken: &mut Vec<(usize, usize)>,
    ) -> Result<()> {
        if taken.is_empty() {
            return Ok(());
        }
        // The batches rows were taken from, one after the other, and where each begins.
        let mut all = DataFrame::empty_with_schema(&self.table.schema());
        let mut offsets = vec![0usize; cursors.len()];
        let mut used: Vec<usize> = taken.iter().map(|(c, _)| *c).collect();
        used.sort_unstable();
        used.dedup();
        for &c in &used {
            offsets[c] = all.height();
            all.vstack_mut(cursors[c].batch.as_ref().expect("a batch is loaded"))?;
        }
        let idx: Vec<polars::prelude::IdxSize> = taken
            .drain(..)
            .map(|(c, r)| (offsets[c] + r) as polars::prelude::IdxSize)
            .collect();
        let rows = all.take(&IdxCa::from_vec(PlSmallStr::EMPTY, idx))?;
        self.pending_rows += rows.height();
        self.pending.push(rows);
        Ok(())
    }
}

/// A key cell, ordered as the store sorts: by value, nulls last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum KeyCell {
    Text(String),
    Int(i64),
    Bool(bool),
    Null,
}

pub(crate) fn key_cells(df: &DataFrame, table: Table) -> Result<Vec<Vec<KeyCell>>> {
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

/// The order of rows sorted by key (unique), as the store keeps them, for stable files.
pub(crate) fn key_order(df: &DataFrame, table: Table) -> Result<IdxCa> {
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
pub(crate) fn sorted(df: DataFrame, table: Table) -> Result<DataFrame> {
    let order = key_order(&df, table)?;
    if in_order(&order) {
        return Ok(df);
    }
    Ok(df.take(&order)?)
}

/// Whether an order is the rows' own (rows that came in key order, as a chat export's
/// messages often do): nothing to gather then.
fn in_order(order: &IdxCa) -> bool {
    order
        .iter()
        .enumerate()
        .all(|(i, p)| p == Some(i as polars::prelude::IdxSize))
}

/// Writes a table's rows in key order as Parquet; the sorted copy is made a row group
/// at a time, never whole.
pub(crate) fn write_sorted(df: &DataFrame, table: Table, out: &mut Out) -> Result<()> {
    let order = key_order(df, table)?;
    let ordered = in_order(&order);
    let mut writer = ParquetWriter::new(out)
        .with_compression(store_compression())
        .batched(df.schema())?;
    let mut start = 0;
    while start < df.height() {
        let len = ROW_GROUP.min(df.height() - start);
        if ordered {
            // One chunk per row group, as a gathered copy would be.
            let mut group = df.slice(start as i64, len);
            group.rechunk_mut();
            writer.write_batch(&group)?;
        } else {
            writer.write_batch(&df.take(&order.slice(start as i64, len))?)?;
        }
        start += len;
    }
    writer.finish()?;
    Ok(())
}
