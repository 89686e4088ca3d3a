//! Export files written record by record: JSON in the layouts real exports come in,
//! CSV, and records drawn out of time order put back into it.

use super::*;

/// How a JSON export holds its records. Vendor APIs page their lists, and the scripts
/// and collectors that save them write the pages in different ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// One object with the records under a key: `{"incidents": [ … ]}`.
    #[default]
    Object,
    /// A bare array: `[ … ]`.
    Array,
    /// An array of the API's pages: `[{"incidents": [ … ], "more": true}, …]`.
    Pages,
    /// The pages written one after the other, as documents of their own.
    Documents,
    /// One record per line (JSON Lines).
    Lines,
}

/// Records per page in the paged layouts (the APIs' usual `limit`).
const PAGE: usize = 100;

/// A JSON export written record by record.
pub(crate) struct JsonArray {
    path: PathBuf,
    out: BufWriter<std::fs::File>,
    key: String,
    layout: Layout,
    count: usize,
}

impl JsonArray {
    pub(crate) fn create(path: &Path, key: &str, layout: Layout) -> Result<JsonArray> {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        match layout {
            Layout::Object => write!(out, "{{\"{key}\":[")?,
            Layout::Array | Layout::Pages => out.write_all(b"[")?,
            Layout::Documents | Layout::Lines => {}
        }
        Ok(JsonArray {
            path: path.to_path_buf(),
            out,
            key: key.to_string(),
            layout,
            count: 0,
        })
    }

    pub(crate) fn push(&mut self, v: &Value) -> Result<()> {
        self.push_raw(&serde_json::to_vec(v)?)
    }

    /// Appends a record already serialised.
    pub(crate) fn push_raw(&mut self, record: &[u8]) -> Result<()> {
        let first = self.count == 0;
        match self.layout {
            Layout::Object | Layout::Array if !first => self.out.write_all(b",\n")?,
            Layout::Object | Layout::Array | Layout::Lines => {}
            Layout::Pages | Layout::Documents if self.count.is_multiple_of(PAGE) => {
                if !first {
                    self.close_page(true)?;
                    self.out.write_all(match self.layout {
                        Layout::Pages => b",\n",
                        _ => b"\n",
                    })?;
                }
                write!(self.out, "{{\"{}\":[", self.key)?;
            }
            Layout::Pages | Layout::Documents => self.out.write_all(b",")?,
        }
        self.out.write_all(record)?;
        if self.layout == Layout::Lines {
            self.out.write_all(b"\n")?;
        }
        self.count += 1;
        Ok(())
    }

    fn close_page(&mut self, more: bool) -> Result<()> {
        let offset = (self.count.max(1) - 1) / PAGE * PAGE;
        write!(
            self.out,
            "],\"limit\":{PAGE},\"offset\":{offset},\"more\":{more}}}"
        )?;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<(PathBuf, u64)> {
        let paged = matches!(self.layout, Layout::Pages | Layout::Documents);
        if paged && self.count == 0 {
            write!(self.out, "{{\"{}\":[", self.key)?;
        }
        if paged {
            self.close_page(false)?;
        }
        match self.layout {
            Layout::Object => self.out.write_all(b"]}\n")?,
            Layout::Array | Layout::Pages => self.out.write_all(b"]\n")?,
            Layout::Documents => self.out.write_all(b"\n")?,
            Layout::Lines => {}
        }
        self.out.flush()?;
        let size = std::fs::metadata(&self.path)?.len();
        Ok((self.path, size))
    }
}

/// A CSV export being written.
pub(crate) type CsvOut = csv::Writer<BufWriter<std::fs::File>>;

/// A CSV export at `path`, its cells quoted as `quote` says.
pub(crate) fn csv_file(path: &Path, quote: csv::QuoteStyle) -> Result<CsvOut> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(csv::WriterBuilder::new()
        .quote_style(quote)
        .from_writer(BufWriter::with_capacity(1 << 20, file)))
}

/// Finishes a CSV export: its path and size.
pub(crate) fn finish_csv(path: PathBuf, mut out: CsvOut) -> Result<(PathBuf, u64)> {
    out.flush()?;
    let size = std::fs::metadata(&path)?.len();
    Ok((path, size))
}

/// Records of exports written in time order (an account-wide log, an event log) while
/// incidents are drawn in order of their start: each waits, by its time and then in the
/// order it came, until no incident drawn later can have an earlier one.
pub(crate) struct InOrder<T> {
    waiting: std::collections::BinaryHeap<std::cmp::Reverse<(i64, u64, T)>>,
    seq: u64,
}

impl<T: Ord> Default for InOrder<T> {
    fn default() -> Self {
        InOrder {
            waiting: Default::default(),
            seq: 0,
        }
    }
}

impl<T: Ord> InOrder<T> {
    pub(crate) fn push(&mut self, at: i64, record: T) {
        self.seq += 1;
        self.waiting.push(std::cmp::Reverse((at, self.seq, record)));
    }

    /// The next record earlier than `t` (an incident drawn now starts at `t`), or any
    /// next one when `t` is `None` (nothing more is drawn).
    pub(crate) fn next_before(&mut self, t: Option<i64>) -> Option<T> {
        if t.is_some_and(|t| self.waiting.peek().is_none_or(|w| w.0 .0 >= t)) {
            return None;
        }
        self.waiting.pop().map(|std::cmp::Reverse((_, _, r))| r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(layout: Layout, n: usize) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        let mut a = JsonArray::create(&path, "items", layout).unwrap();
        for i in 0..n {
            a.push(&json!({ "id": i })).unwrap();
        }
        a.finish().unwrap();
        std::fs::read_to_string(&path).unwrap()
    }

    #[test]
    fn every_layout_is_what_it_says() {
        assert_eq!(
            written(Layout::Object, 2),
            "{\"items\":[{\"id\":0},\n{\"id\":1}]}\n"
        );
        assert_eq!(written(Layout::Array, 2), "[{\"id\":0},\n{\"id\":1}]\n");
        assert_eq!(written(Layout::Lines, 2), "{\"id\":0}\n{\"id\":1}\n");
        let pages = written(Layout::Pages, 101);
        let v: Value = serde_json::from_str(&pages).unwrap();
        assert_eq!(v[0]["items"].as_array().unwrap().len(), 100);
        assert_eq!(v[0]["more"], json!(true));
        assert_eq!(v[1]["items"], json!([{ "id": 100 }]));
        assert_eq!(
            (v[1]["offset"].clone(), v[1]["more"].clone()),
            (json!(100), json!(false))
        );
        let docs = written(Layout::Documents, 101);
        let parts: Vec<Value> = serde_json::Deserializer::from_str(&docs)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1]["items"], json!([{ "id": 100 }]));
        // An empty export is still one page.
        assert_eq!(
            written(Layout::Pages, 0),
            "[{\"items\":[],\"limit\":100,\"offset\":0,\"more\":false}]\n"
        );
    }
}
