//! What the writer keeps per row instead of the row: a 128-bit hash of its key, a hash
//! of its content, and its version.

use super::*;

/// The hash of a row key. Equal hashes are taken as equal keys: with 128 bits, a
/// collision among a billion keys has a probability below 10⁻²⁰.
pub(crate) fn key_hash(key: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(key.as_bytes())
}

/// The hash of a row's key, `key_hash(&row.key())`, without building the key when it
/// is one text cell (most tables): millions of rows are looked up by it.
pub(crate) fn row_key_hash(row: &Row) -> u128 {
    if let [column] = row.table.key() {
        if let Value::Str(s) = row.get(column) {
            return key_hash(s);
        }
    }
    key_hash(&row.key())
}

/// The key hash of every row of a frame with the table's key columns: [`key_hash`] of
/// the key [`Row::key`] would build, text cells read in place.
pub(crate) fn frame_key_hashes(df: &DataFrame, table: Table) -> Result<Vec<u128>> {
    enum Cells<'a> {
        Text(&'a StringChunked),
        Other(&'a polars::prelude::Series, Kind),
    }
    let columns = table
        .key()
        .iter()
        .map(|k| {
            let kind = table.column(k).expect("key columns exist").kind;
            let series = df.column(k)?.as_materialized_series();
            Ok(match kind {
                Kind::Str => Cells::Text(series.str()?),
                _ => Cells::Other(series, kind),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut key = String::new();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        key.clear();
        for (n, cells) in columns.iter().enumerate() {
            if n > 0 {
                key.push('\u{1f}');
            }
            match cells {
                Cells::Text(c) => match c.get(i) {
                    Some(s) => key.push_str(s),
                    None => Value::Null.key_part(&mut key),
                },
                Cells::Other(c, kind) => Value::from_stored(c.get(i)?, *kind).key_part(&mut key),
            }
        }
        out.push(key_hash(&key));
    }
    Ok(out)
}

/// Content hashes: each cell hashed, folded in column order. Rows of values and rows of
/// frames hash alike (a list as its stored `;`-joined text).
pub(crate) mod content {
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
pub(crate) fn value_hash(table: Table, values: &[Value]) -> u64 {
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
pub(crate) fn frame_hashes(table: Table, df: &DataFrame) -> Result<Vec<u64>> {
    pub(crate) fn fold(hashes: &mut [u64], cells: impl Iterator<Item = u64>) {
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
pub(crate) fn frame_versions(table: Table, df: &DataFrame) -> Result<Vec<i64>> {
    let Some(v) = table.version() else {
        return Ok(Vec::new());
    };
    let ints = df.column(v)?.cast(&DataType::Int64)?;
    Ok(ints.i64()?.iter().map(|t| t.unwrap_or(i64::MIN)).collect())
}

pub(crate) fn value_version(table: Table, values: &[Value]) -> Option<i64> {
    let i = table
        .index_of(table.version()?)
        .expect("version column exists");
    Some(match values[i] {
        Value::Ts(t) => t,
        _ => i64::MIN,
    })
}
