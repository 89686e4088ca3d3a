//! The accounting of an ingest: what became of every record of every file, per kind of
//! row (`read = ingested + duplicate + pending + skipped + rejected`), the examples
//! shown for rejects and skips, and the run's report.

use super::*;

/// What became of the records (or rows) of one kind: `read = ingested + duplicate +
/// pending + skipped + rejected`. Skipped records yield no rows, so a kind of row is
/// never skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub read: u64,
    pub ingested: u64,
    pub duplicate: u64,
    pub pending: u64,
    pub skipped: u64,
    pub rejected: u64,
}

impl Tally {
    /// One more read, stored as new (or newer) or as a duplicate.
    pub(crate) fn add(&mut self, outcome: Outcome) {
        self.read += 1;
        match outcome {
            Outcome::Ingested => self.ingested += 1,
            Outcome::Duplicate => self.duplicate += 1,
        }
    }

    /// One more read, waiting for its incident.
    pub(crate) fn pend(&mut self) {
        self.read += 1;
        self.pending += 1;
    }

    /// One more read, of a kind the store has no place for.
    pub(crate) fn skip(&mut self) {
        self.read += 1;
        self.skipped += 1;
    }

    /// One more read, rejected.
    pub(crate) fn reject(&mut self) {
        self.read += 1;
        self.rejected += 1;
    }

    /// Takes back a pending one (it is about to be counted as what became of it).
    pub(crate) fn unpend(&mut self) {
        self.read -= 1;
        self.pending -= 1;
    }

    /// The counts as the cells of a per-kind accounting row (a file's row adds
    /// `rows_skipped`).
    pub(crate) fn cells(&self) -> [(&'static str, Value); 5] {
        let n = |x: u64| Value::Int(x as i64);
        [
            (col::ROWS_READ, n(self.read)),
            (col::ROWS_INGESTED, n(self.ingested)),
            (col::ROWS_DUPLICATE, n(self.duplicate)),
            (col::ROWS_PENDING, n(self.pending)),
            (col::ROWS_REJECTED, n(self.rejected)),
        ]
    }
}

impl FileReport {
    /// Counts each row of a record in its kind's tally, as `f` says.
    pub(crate) fn each_kind(&mut self, tables: impl IntoIterator<Item = Table>, f: fn(&mut Tally)) {
        for t in tables {
            f(self.kinds.entry(t).or_default());
        }
    }
}

/// The accounting of one input file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub file: String,
    pub source: String,
    pub sha256: String,
    /// What became of its records (pending: waiting for an incident they refer to, see
    /// the `pending` table).
    pub counts: Tally,
    /// The rows its records yield, by the table they go to: nested records (status
    /// updates, log entries, changelog items) counted one by one.
    pub kinds: BTreeMap<Table, Tally>,
    /// Its skipped records by why, each with how many and where the first few were.
    pub skips: BTreeMap<&'static str, Examples>,
    /// Severity labels no rule maps, with how many of its incidents carry each: those
    /// incidents count as severity unknown.
    pub unmapped_severities: BTreeMap<String, u64>,
    /// The content was ingested before and not parsed again.
    pub unchanged: bool,
    /// Reading stopped before the end of the file: where, and how many bytes (when
    /// known) were not read. The run fails.
    pub cut: Option<(String, Option<u64>)>,
    /// Why the file could not be read at all.
    pub error: Option<(crate::sources::Fault, String)>,
    pub warnings: Vec<String>,
}

/// How many records share one reason, and where the first few of them are.
#[derive(Debug, Clone, Default)]
pub struct Examples {
    pub count: u64,
    pub first: Vec<String>,
}

impl Examples {
    /// Locations kept per reason.
    pub const KEPT: usize = 3;

    pub fn add(&mut self, location: &str) {
        self.count += 1;
        if self.first.len() < Self::KEPT {
            self.first.push(location.to_string());
        }
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
    /// Every reject of this run, with its file.
    pub rejects: Vec<(String, Reject)>,
    /// Files skipped while walking folders, with why (an extension no source reads, a
    /// link not followed, not a regular file), for the user.
    pub skipped: Vec<(String, &'static str)>,
    /// Repairs made when taking the store's lock.
    pub notes: Vec<String>,
    /// Whether the store was written.
    pub committed: bool,
    /// Chat channels linked to incidents, and the ones that could not be.
    pub links: crate::link::Report,
    /// Records of earlier runs that waited for an incident this run brought.
    pub attached: u64,
    /// Records (of this run or earlier ones) still waiting for an incident.
    pub still_pending: u64,
}

impl Report {
    /// Whether the run should exit with status 2.
    pub fn failed(&self, strict: bool) -> bool {
        self.files
            .iter()
            .any(|f| f.error.is_some() || f.cut.is_some())
            || (strict && !self.rejects.is_empty())
    }
}

/// Input files, each with the name it is shown and stored under.
pub type Inputs = Vec<(PathBuf, String)>;
