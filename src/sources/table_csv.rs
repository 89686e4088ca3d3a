//! CSV exports: the one reader every CSV source uses, and the header mapping of vendor
//! CSVs whose columns are known only by header name.
//!
//! [`read_rows`] skips nothing silently: a BOM is dropped, an empty file or an unreadable
//! header is a file error, and each data row becomes the source's item or a reject with
//! its line (a ragged row, invalid UTF-8). One thread reads the records; past the first
//! batch, their cells are read and mapped on every core, and handed on in file order.
//! An adapter that reads a file in several passes (its date layout first) opens it as a
//! [`CsvFile`], which splits a file of up to 64 MiB into rows once for all the passes.
//! How the header maps to fields is the caller's:
//! the canonical source maps to table columns; a vendor adapter gives a table of the
//! fields it uses and the spellings accepted for each (compared without case, spaces or
//! punctuation), and [`read`] reports the columns no field claims.

mod capped;
mod rows;

use super::{Fault, FileError};
use crate::record::{Item, Reject, Rejection};
use rows::{RowRead, Rows};
use std::io::{BufRead, BufReader};
use std::sync::Arc;

/// A field and the header spellings that name it.
pub type Spellings = &'static [(&'static str, &'static [&'static str])];

/// A row's non-empty cells (trimmed) by field, in header order.
#[derive(Debug, Default)]
pub struct Fields(Vec<(&'static str, String)>);

impl Fields {
    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, v)| v)
    }

    pub fn as_slice(&self) -> &[(&'static str, String)] {
        &self.0
    }

    /// Every cell of a field that repeats its column (`Labels,Labels`), in column order.
    pub fn all<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
    }
}

/// Maps a header to the field of each column, with warnings about the header; an `Err`
/// makes the whole file unusable.
pub type HeaderMap<'a> = dyn FnMut(&[String]) -> HeaderMapped + 'a;

/// Lower-case letters and digits only: "Created On" and "created_on" compare equal.
pub fn squash(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a header line (the head of a file) names all of `needed` (squashed).
pub fn header_has(head: &[u8], needed: &[&str]) -> bool {
    let first = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let text = String::from_utf8_lossy(first);
    let names: Vec<String> = text.split(',').map(squash).collect();
    needed.iter().all(|n| names.iter().any(|h| h == n))
}

fn field_for(spellings: Spellings, header: &str) -> Option<&'static str> {
    let h = squash(header);
    spellings
        .iter()
        .find(|(_, names)| names.iter().any(|n| squash(n) == h))
        .map(|(f, _)| *f)
}

/// Opens a CSV file with any UTF-8 BOM skipped.
pub fn open(path: &std::path::Path) -> std::io::Result<BufReader<std::fs::File>> {
    let mut reader = BufReader::new(std::fs::File::open(path)?);
    if reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(reader)
}

/// A row's cells joined again, for a reject's excerpt: made only when asked for.
pub type Raw<'a> = &'a dyn Fn() -> String;

/// What a CSV reader hands each data row to, on any thread: its location, its fields and
/// its raw text.
pub type RowOf<'a, T = Item> = dyn Fn(String, &Fields, Raw) -> T + Sync + 'a;

/// Reads a vendor CSV at `path` in one pass by its header spellings, calling
/// `row(location, fields, raw)` for each data row; warns about columns no field uses.
pub fn read(
    path: &std::path::Path,
    spellings: Spellings,
    emit: &mut dyn FnMut(Item),
    row: &RowOf,
) -> Result<Vec<String>, FileError> {
    CsvFile::open(path, Passes::One)?.read_by(&|h| field_for(spellings, h), emit, row)
}

/// Which field a header names, if any.
pub type FieldOf<'a> = dyn Fn(&str) -> Option<&'static str> + Sync + 'a;

/// A `consume` for rows that become items: each handed to `emit`, a row's reject as
/// an item too, to the end of the file.
pub fn emitting(emit: &mut dyn FnMut(Item)) -> impl FnMut(RowResult<Item>) -> bool + '_ {
    |item| {
        emit(item.unwrap_or_else(Item::Reject));
        true
    }
}

/// How many times an adapter reads a file: once, or in several passes (the date layout,
/// the latest version of each record, then the rows).
#[derive(Clone, Copy, PartialEq)]
pub enum Passes {
    One,
    Several,
}

/// Most memory the rows of a file read in several passes may take to be kept for the
/// next pass; a larger file is read again by each.
const KEEP_BYTES: usize = 64 << 20;

/// A vendor CSV file, read by one or more passes. A file read in several passes whose
/// rows fit in [`KEEP_BYTES`] is read from disk and split into rows once: each pass
/// takes the rows the passes before it read, then reads on where they stopped (the
/// date-layout pass stops once it has its sample). A larger file is read afresh by
/// each pass, in bounded memory.
pub struct CsvFile<'p> {
    path: &'p std::path::Path,
    header: Vec<String>,
    /// Where the last pass stopped reading: the next one reads on from there.
    rest: Option<Rows<BufReader<std::fs::File>>>,
    /// The batches read so far, for the next pass, and their size; `None` when each
    /// pass reads the file afresh.
    kept: Option<(Vec<Arc<Vec<RowRead>>>, usize)>,
    /// The most the kept rows may take ([`KEEP_BYTES`]).
    limit: usize,
}

impl<'p> CsvFile<'p> {
    /// Opens the file and reads its header (an empty file, or a header that is not
    /// UTF-8, is an error of the whole file).
    pub fn open(path: &'p std::path::Path, passes: Passes) -> Result<CsvFile<'p>, FileError> {
        let (header, rows) = Rows::open(open(path)?)?;
        let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= KEEP_BYTES as u64);
        Ok(CsvFile {
            path,
            header,
            rest: Some(rows),
            kept: (passes == Passes::Several && small).then(|| (Vec::new(), 0)),
            limit: KEEP_BYTES,
        })
    }

    /// Reads the rows whose header `field_of` maps to fields, each an item for `emit`;
    /// warns about the columns no field uses (naming the first few: exports such as
    /// Jira's have hundreds).
    pub fn read_by(
        &mut self,
        field_of: &FieldOf,
        emit: &mut dyn FnMut(Item),
        row: &RowOf,
    ) -> Result<Vec<String>, FileError> {
        self.read_to(field_of, Keep::All, row, &mut emitting(emit))
    }

    /// [`CsvFile::read_by`] for rows that become any `T`, each handed to `consume` (or
    /// the reject of a row whose cells cannot be read) until it returns false, with
    /// what `keep` says of each row.
    pub fn read_to<T: Send>(
        &mut self,
        field_of: &FieldOf,
        keep: Keep,
        row: &RowOf<T>,
        consume: &mut dyn FnMut(RowResult<T>) -> bool,
    ) -> Result<Vec<String>, FileError> {
        let mut rest = match self.rest.take() {
            Some(rows) => Some(rows),
            // Every row is kept: the file was read to its end.
            None if self.kept.is_some() => None,
            None => Some(Rows::open(open(self.path)?)?.1),
        };
        let before: Vec<Arc<Vec<RowRead>>> = self
            .kept
            .as_ref()
            .map(|(b, _)| b.clone())
            .unwrap_or_default();
        let (kept, limit) = (&mut self.kept, self.limit);
        let read_on = std::iter::from_fn(|| {
            let batch = Arc::new(rest.as_mut()?.next_batch()?);
            if let Some((batches, size)) = kept {
                *size += batch.iter().map(RowRead::size).sum::<usize>();
                if *size > limit {
                    // Too large after all: the next pass reads the file afresh.
                    *kept = None;
                } else {
                    batches.push(Arc::clone(&batch));
                }
            }
            Some(batch)
        });
        let warnings = pass(
            &self.header,
            before.into_iter().chain(read_on),
            &mut header_fields(field_of),
            keep,
            row,
            consume,
        )?;
        if self.kept.is_some() {
            self.rest = rest.filter(|r| !r.ended);
        }
        Ok(warnings)
    }
}

/// The header mapping of a vendor CSV: each column's field by `field_of`, and a warning
/// naming the columns no field uses.
fn header_fields<'a>(field_of: &'a FieldOf) -> impl FnMut(&[String]) -> HeaderMapped + 'a {
    const NAMED: usize = 8;
    |header: &[String]| {
        let mapped: Vec<Option<&'static str>> = header.iter().map(|h| field_of(h)).collect();
        let unknown: Vec<String> = header
            .iter()
            .zip(&mapped)
            .filter(|(h, m)| m.is_none() && !h.trim().is_empty())
            .map(|(h, _)| format!("'{h}'"))
            .collect();
        let warnings = match unknown.len() {
            0 => vec![],
            n if n <= NAMED => vec![format!(
                "ignoring column(s) no field uses: {}",
                unknown.join(", ")
            )],
            n => vec![format!(
                "ignoring {n} column(s) no field uses: {}, …",
                unknown[..NAMED].join(", ")
            )],
        };
        Ok((mapped, warnings))
    }
}

/// Most date cells a file's layout is detected from (memory stays bounded on huge files).
const LAYOUT_SAMPLE: usize = 100_000;

/// The date layout of a CSV file, detected from the cells of `date_fields` (or taken from
/// `[sources.<source>] date_format`), and the configured zone its dates are read in. A
/// file whose dates carry no zone is refused unless the zone is configured: reading them
/// as UTC would shift every duration that crosses a source.
pub fn dates(
    file: &mut CsvFile,
    field_of: &FieldOf,
    date_fields: &[&str],
    ctx: &super::Context,
    source: &str,
) -> Result<(crate::time::DateLayout, Option<chrono_tz::Tz>), FileError> {
    let mut values: Vec<String> = Vec::new();
    // The sample is full long before the end of a large file: reading stops there.
    let row = |_, f: &Fields, _: Raw| -> Vec<Vec<String>> {
        date_fields
            .iter()
            .map(|d| f.all(d).map(str::to_string).collect())
            .collect()
    };
    file.read_to(field_of, Keep::Fields(date_fields), &row, &mut |dated| {
        for cells in dated.into_iter().flatten() {
            if values.len() < LAYOUT_SAMPLE {
                values.extend(cells);
            }
        }
        values.len() < LAYOUT_SAMPLE
    })?;
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let configured = ctx.config.sources.date_format(source);
    let layout = crate::time::DateLayout::detect(&refs, configured).map_err(|e| {
        FileError::new(
            Fault::Ambiguous,
            "file",
            e.replace("the source's", &format!("[sources.{source}]")),
        )
    })?;
    let zone = ctx.zone_of(source)?;
    if zone.is_none() && layout.needs_zone(&refs) {
        let example = refs
            .iter()
            .find(|v| crate::time::parse_timestamp(v, None).is_err())
            .copied()
            .unwrap_or_default();
        return Err(FileError::new(
            Fault::Ambiguous,
            "file",
            format!(
                "dates in this file (such as '{example}') carry no zone; give the zone they were \
                 exported in: `ingest --timezone Europe/Berlin`, or in incidentlens.toml \
                 [sources.{source}] timezone = \"Europe/Berlin\""
            ),
        ));
    }
    Ok((layout, zone))
}

/// What a row becomes on a worker: its `T`, or the reject of a row whose cells cannot
/// be read (a ragged row, invalid UTF-8, a NUL).
pub type RowResult<T> = Result<T, Reject>;

/// What a pass copies of the rows it hands to `row`; the cells it does not copy are
/// checked as a full reading checks them, so that every pass rejects the same rows.
#[derive(Clone, Copy)]
pub enum Keep<'a> {
    /// Every field of every row.
    All,
    /// Only these fields (a layout or ranking pass, before the rows are read).
    Fields(&'a [&'a str]),
    /// Every field of the rows at the locations the predicate names; the other rows
    /// reach `row` with no fields (the earlier versions of a record, say).
    Rows(&'a (dyn Fn(&str) -> bool + Sync)),
}

/// A header's field for each column, and warnings about the header; or the error that
/// makes the whole file unusable.
pub type HeaderMapped = Result<(Vec<Option<&'static str>>, Vec<String>), FileError>;

/// The CSV reader: the header through `map_header`, then every data row through `row`
/// (on any thread: a large file's rows are turned into fields and mapped on every core)
/// to `consume`, in file order, or as a reject, until `consume` returns false. With
/// `keep`, only part of each row reaches `row`.
pub fn read_rows<T: Send>(
    reader: impl BufRead,
    map_header: &mut HeaderMap,
    keep: Keep,
    row: &RowOf<T>,
    consume: &mut dyn FnMut(RowResult<T>) -> bool,
) -> Result<Vec<String>, FileError> {
    let (header, mut rows) = Rows::open(reader)?;
    pass(
        &header,
        std::iter::from_fn(|| rows.next_batch().map(Arc::new)),
        map_header,
        keep,
        row,
        consume,
    )
}

/// One pass over a file's rows, given in `batches` after its `header`: see [`read_rows`].
fn pass<T: Send>(
    header: &[String],
    mut batches: impl Iterator<Item = Arc<Vec<RowRead>>>,
    map_header: &mut HeaderMap,
    keep: Keep,
    row: &RowOf<T>,
    consume: &mut dyn FnMut(RowResult<T>) -> bool,
) -> Result<Vec<String>, FileError> {
    let (mapped, warnings) = map_header(header)?;
    assert_eq!(mapped.len(), header.len(), "a header maps column by column");
    let mapped: Vec<Option<Mapped>> = mapped
        .into_iter()
        .map(|f| {
            f.map(|field| Mapped {
                field,
                kept: match keep {
                    Keep::Fields(kept) => kept.contains(&field),
                    Keep::All | Keep::Rows(_) => true,
                },
            })
        })
        .collect();
    let stop = std::cell::Cell::new(false);
    // Once `consume` has had enough, no further batch is read.
    let mut batches = std::iter::from_fn(|| if stop.get() { None } else { batches.next() });
    let Some(first) = batches.next() else {
        return Ok(warnings);
    };
    let second = batches.next();
    // A file read whole in its first batch is mapped here, without starting threads.
    let workers = if second.is_none() {
        1
    } else {
        crate::parallel::workers()
    };
    let each = |batch: Arc<Vec<RowRead>>| -> Vec<RowResult<T>> {
        batch
            .iter()
            .map(|read| match read {
                RowRead::Bad(reject) => Err(reject.clone()),
                RowRead::Row(line, rec) => cells(*line, rec, &mapped, keep, row),
            })
            .collect()
    };
    crate::parallel::ordered_map(
        std::iter::once(first).chain(second).chain(batches),
        workers,
        each,
        |done| {
            for r in done {
                if !stop.get() && !consume(r) {
                    stop.set(true);
                }
            }
        },
    );
    Ok(warnings)
}

/// The field a column maps to, and whether the pass copies its cells.
#[derive(Clone, Copy)]
struct Mapped {
    field: &'static str,
    kept: bool,
}

/// One data row's fields by the header's mapping, through `row`; or its reject.
fn cells<T>(
    line: u64,
    rec: &csv::ByteRecord,
    mapped: &[Option<Mapped>],
    keep: Keep,
    row: &RowOf<T>,
) -> RowResult<T> {
    let location = crate::record::line_at(line);
    let whole = match keep {
        Keep::Rows(wanted) => wanted(&location),
        Keep::All | Keep::Fields(_) => true,
    };
    let raw = || {
        rec.iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect::<Vec<_>>()
            .join(",")
    };
    // The mapping has a column for each of the header's.
    if rec.len() != mapped.len() {
        let reason = Rejection::syntax(format!(
            "expected {} fields as in the header, found {}",
            mapped.len(),
            rec.len()
        ));
        return Err(Reject::new(location, reason, &raw()));
    }
    let mut fields = Fields::default();
    // The last cell that cannot be read names the reason.
    let mut bad = None;
    for (cell, field) in rec.iter().zip(mapped) {
        let Some(Mapped { field: f, kept }) = *field else {
            continue;
        };
        match std::str::from_utf8(cell) {
            // A NUL is no character of any text a tracker exports: a file that holds
            // one is binary or damaged there.
            Ok(s) if s.contains('\0') => {
                bad = Some(Rejection::syntax(format!(
                    "{f}: expected text, found a NUL byte"
                )));
            }
            Ok(s) if kept && whole && !s.trim().is_empty() => {
                fields.0.push((f, s.trim().to_string()))
            }
            Ok(_) => {}
            Err(_) => {
                bad = Some(Rejection::syntax(format!(
                    "{f}: expected UTF-8 text, found invalid bytes"
                )))
            }
        }
    }
    if let Some(reason) = bad {
        return Err(Reject::new(location, reason, &raw()));
    }
    Ok(row(location, &fields, &raw))
}

/// How a vendor CSV adapter turns one row's fields into canonical rows.
pub type RowFn = fn(
    &Fields,
    &super::Context,
    Option<chrono_tz::Tz>,
) -> Result<Vec<crate::record::Row>, Rejection>;

/// Reads a vendor CSV whose times without an offset are in `source`'s configured zone,
/// each row a record of the rows `row` makes, or a reject with its reason.
pub fn read_records(
    input: &super::Input,
    ctx: &super::Context,
    source: &str,
    spellings: Spellings,
    emit: &mut dyn FnMut(Item),
    row: RowFn,
) -> Result<Vec<String>, FileError> {
    let zone = ctx.zone_of(source)?;
    read(&input.path, spellings, emit, &|location, f, raw| {
        Item::of(location, row(f, ctx, zone), raw)
    })
}

/// A timestamp cell: ISO 8601 (with the source's zone when it has no offset) or epoch
/// milliseconds.
pub fn timestamp(
    fields: &Fields,
    field: &str,
    zone: Option<chrono_tz::Tz>,
) -> Result<Option<i64>, Rejection> {
    let Some(s) = fields.get(field) else {
        return Ok(None);
    };
    if let Ok(ms) = s.parse::<i64>() {
        if ms > 100_000_000_000 {
            return Ok(Some(ms * 1000));
        }
    }
    crate::time::parse_timestamp(s, zone)
        .map(Some)
        .map_err(|e| Rejection::invalid(format!("{field}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_compare_loosely() {
        assert_eq!(squash("Created On"), "createdon");
        assert_eq!(squash("created_on"), "createdon");
        assert!(header_has(
            b"Incident Number,Urgency\n1,high",
            &["incidentnumber", "urgency"]
        ));
    }

    /// A file of several batches, mapped on every core: every row comes back once, in
    /// file order, the unreadable ones as rejects at their own lines; and reading stops
    /// where `consume` says.
    #[test]
    fn rows_of_many_batches_keep_their_order() {
        let mut csv = b"id,name\n".to_vec();
        for n in 1..=10_000u32 {
            match n {
                2_000 => csv.extend_from_slice(b"2000,ragged,row\n"),
                7_000 => csv.extend_from_slice(b"7000,\xFF\n"),
                _ => csv.extend_from_slice(format!("{n},\"name\n{n}\"\n").as_bytes()),
            }
        }
        let read = |stop_after: usize| {
            let mut got: Vec<Result<String, String>> = Vec::new();
            let mut by_field =
                |h: &[String]| Ok((h.iter().map(|_| Some("id")).collect::<Vec<_>>(), vec![]));
            let row = |location: String, f: &Fields, _: Raw| {
                format!("{location} {}", f.get("id").unwrap())
            };
            read_rows(&csv[..], &mut by_field, Keep::All, &row, &mut |r| {
                got.push(r.map_err(|reject| reject.location.clone()));
                got.len() < stop_after
            })
            .unwrap();
            got
        };
        let got = read(usize::MAX);
        assert_eq!(got.len(), 10_000);
        // Rows with a quoted line break span two lines: row n starts on line 2n, one line
        // earlier after each one-line row.
        assert_eq!(got[0], Ok("line 2 1".to_string()));
        assert_eq!(got[1_998], Ok("line 3998 1999".to_string()));
        assert_eq!(got[1_999], Err("line 4000".to_string()));
        assert_eq!(got[2_000], Ok("line 4001 2001".to_string()));
        assert_eq!(got[6_999], Err("line 13999".to_string()));
        assert_eq!(got[9_999], Ok("line 19998 10000".to_string()));
        assert_eq!(got.iter().filter(|r| r.is_err()).count(), 2);
        assert_eq!(read(5_000).len(), 5_000);
    }

    /// A pass that keeps some fields, or some rows, hands on only those, and rejects the
    /// rows the full reading rejects: a bad cell it does not copy still makes a reject.
    #[test]
    fn a_narrow_pass_rejects_what_the_full_one_does() {
        let csv = b"id,name,note\n1,ann,x\n2,\xFF,y\n3,bo\0b,z\n4,,w\n";
        let read = |keep: Keep| {
            let mut got: Vec<Result<String, String>> = Vec::new();
            let mut by_field = |_: &[String]| Ok((vec![Some("id"), Some("name"), None], vec![]));
            let row = |location: String, f: &Fields, _: Raw| {
                let cells: Vec<String> = f
                    .as_slice()
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                format!("{location} {}", cells.join(" "))
            };
            read_rows(&csv[..], &mut by_field, keep, &row, &mut |r| {
                got.push(r.map_err(|reject| format!("{} {}", reject.location, reject.reason)));
                true
            })
            .unwrap();
            got
        };
        let bad = [
            Err("line 3 name: expected UTF-8 text, found invalid bytes".to_string()),
            Err("line 4 name: expected text, found a NUL byte".to_string()),
        ];
        assert_eq!(
            read(Keep::All),
            [
                vec![Ok("line 2 id=1 name=ann".to_string())],
                bad.to_vec(),
                vec![Ok("line 5 id=4".to_string())]
            ]
            .concat()
        );
        assert_eq!(
            read(Keep::Fields(&["id"])),
            [
                vec![Ok("line 2 id=1".to_string())],
                bad.to_vec(),
                vec![Ok("line 5 id=4".to_string())]
            ]
            .concat()
        );
        assert_eq!(
            read(Keep::Rows(&|location| location != "line 2")),
            [
                vec![Ok("line 2 ".to_string())],
                bad.to_vec(),
                vec![Ok("line 5 id=4".to_string())]
            ]
            .concat()
        );
    }

    /// A file read in several passes, its rows kept or read afresh: each pass sees every
    /// row in file order, also after a pass that stopped half way.
    #[test]
    fn every_pass_reads_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        // Many batches: the first pass stops long before the reading thread is done.
        let mut csv = b"id,name\n".to_vec();
        for n in 1..=100_000u32 {
            match n {
                4_000 => csv.extend_from_slice(b"4000,ragged,row\n"),
                _ => csv.extend_from_slice(format!("{n},\"name\n{n}\"\n").as_bytes()),
            }
        }
        std::fs::write(&path, &csv).unwrap();
        let field_of = |h: &str| (h == "id").then_some("id");
        let row =
            |location: String, f: &Fields, _: Raw| format!("{location} {}", f.get("id").unwrap());
        let read = |file: &mut CsvFile, stop_after: usize| {
            let mut got: Vec<Result<String, String>> = Vec::new();
            file.read_to(&field_of, Keep::All, &row, &mut |r| {
                got.push(r.map_err(|reject| reject.location.clone()));
                got.len() < stop_after
            })
            .unwrap();
            got
        };
        // Read afresh, kept, and kept until the rows outgrow a smaller limit half way
        // through the first pass.
        for (passes, limit) in [
            (Passes::One, KEEP_BYTES),
            (Passes::Several, KEEP_BYTES),
            (Passes::Several, 500_000),
        ] {
            let mut file = CsvFile::open(&path, passes).unwrap();
            file.limit = limit;
            assert_eq!(file.kept.is_some(), passes == Passes::Several);
            let half = read(&mut file, 5_000);
            assert_eq!(
                file.kept.is_some(),
                limit == KEEP_BYTES && passes == Passes::Several
            );
            let whole = read(&mut file, usize::MAX);
            let again = read(&mut file, usize::MAX);
            assert_eq!(half.len(), 5_000);
            assert_eq!(half[..], whole[..5_000]);
            assert_eq!(whole, again);
            assert_eq!(whole.len(), 100_000);
            assert_eq!(whole[0], Ok("line 2 1".to_string()));
            assert_eq!(whole[3_999], Err("line 8000".to_string()));
            assert_eq!(whole[99_999], Ok("line 199999 100000".to_string()));
        }
    }
}
