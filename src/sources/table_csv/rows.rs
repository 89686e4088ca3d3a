//! The data rows of a CSV stream, split on the reading thread and handed on a batch at
//! a time: a row over the size limit is cut short by [`Capped`] and becomes a reject,
//! as does a row the CSV reader cannot read.

use super::capped::Capped;
use super::{Fault, FileError};
use crate::record::{Reject, Rejection};
use std::io::BufRead;
use std::rc::Rc;

/// A data row as the reading thread hands it on: its line and cells, or its reject
/// already (unreadable, or over the size limit).
pub(super) enum RowRead {
    Row(u64, csv::ByteRecord),
    Bad(Reject),
}

impl RowRead {
    /// About the memory the row takes: its bytes, its cells' bounds and the boxes.
    pub(super) fn size(&self) -> usize {
        match self {
            RowRead::Row(_, rec) => rec.as_slice().len() + 8 * rec.len() + 96,
            RowRead::Bad(_) => 256,
        }
    }
}

/// Rows and bytes of one batch handed to a worker.
const BATCH_ROWS: usize = 4096;
const BATCH_BYTES: usize = 1 << 20;

/// The data rows of a CSV stream, read in batches on the calling thread, with a record
/// over the size limit cut short by [`Capped`] and made a reject.
pub(super) struct Rows<R: BufRead> {
    records: csv::ByteRecordsIntoIter<Capped<R>>,
    cut: Rc<std::cell::RefCell<std::collections::BTreeMap<u64, u64>>>,
    max: usize,
    /// Whether the last batch ended the file.
    pub(super) ended: bool,
}

impl<R: BufRead> Rows<R> {
    /// The stream's header, and the reader of the rows after it.
    pub(super) fn open(reader: R) -> Result<(Vec<String>, Rows<R>), FileError> {
        let max = crate::sources::json::max_record();
        let capped = Capped::new(reader, max as u64);
        let cut = Rc::clone(&capped.follow.cut);
        let mut records = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(capped)
            .into_byte_records();
        let header = match records.next() {
            None => {
                return Err(FileError::new(
                    Fault::Layout,
                    "line 1",
                    "the file is empty: expected a header line naming the columns",
                ))
            }
            Some(h) => h.map_err(|e| {
                FileError::new(
                    Fault::Syntax,
                    "line 1",
                    format!("unreadable CSV header: {e}"),
                )
            })?,
        };
        let header: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8(f.to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|_| {
                FileError::new(Fault::Syntax, "line 1", "the header is not valid UTF-8")
            })?;
        let rows = Rows {
            records,
            cut,
            max,
            ended: false,
        };
        Ok((header, rows))
    }

    /// The next batch of rows, `None` at the end of the stream.
    pub(super) fn next_batch(&mut self) -> Option<Vec<RowRead>> {
        let (mut batch, mut bytes) = (Vec::new(), 0);
        while batch.len() < BATCH_ROWS && bytes < BATCH_BYTES {
            let Some(rec) = self.records.next() else {
                self.ended = true;
                break;
            };
            batch.push(match rec {
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    RowRead::Bad(Reject::new(
                        crate::record::line_at(line),
                        Rejection::syntax(format!("unreadable CSV: {e}")),
                        "",
                    ))
                }
                Ok(rec) => {
                    let line = rec.position().map_or(0, |p| p.line());
                    match self.cut.borrow_mut().remove(&line) {
                        Some(size) => RowRead::Bad(Reject::new(
                            crate::record::line_at(line),
                            Rejection::too_large(format!(
                                "the row has {size} bytes, more than the {} MiB one record \
                                 may have ([limits] max_record_mib); it is skipped without \
                                 being read",
                                self.max >> 20
                            )),
                            "",
                        )),
                        None => {
                            bytes += rec.as_slice().len();
                            RowRead::Row(line, rec)
                        }
                    }
                }
            });
        }
        (!batch.is_empty()).then_some(batch)
    }
}
