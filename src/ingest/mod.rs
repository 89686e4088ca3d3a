//! `ingest`: files and folders in, canonical rows into the store, an accounting out.
//!
//! For each file: detect its format (or obey `--source`), read it through its adapter,
//! hand every record to the store's [`Writer`], and count what became of it. The counts
//! and every reject go into the `ingest_runs` and `rejects` tables in the same atomic
//! commit as the rows themselves, so the store always explains its own contents.
//!
//! A file whose content (SHA-256) was already ingested by the same source is not parsed
//! again: its records are all accounted as duplicates (or as the rejects they were).

use crate::config::Config;
use crate::record::{Item, Problem, Record, Reject, Rejection, Row, RowOf, Value};
use crate::schema::{cell, col, tables, Table};
use crate::sources::{self, Context, Input};
use crate::store::{Applied, Outcome, Store, Writer};
use anyhow::{Context as _, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

mod accounting;
mod pending;
pub use accounting::*;
use pending::*;

/// Extensions looked at when walking a folder; other files there are skipped.
const KNOWN_EXTENSIONS: &[&str] = &["csv", "jsonl", "ndjson", "json", "zip", "yaml", "yml"];

/// Whether a file found in a folder is one a source may read: a known extension, or a
/// known one before `.gz` (`incidents.json.gz`).
fn has_known_extension(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    Path::new(name)
        .extension()
        .is_some_and(|x| KNOWN_EXTENSIONS.contains(&x.to_string_lossy().as_ref()))
}

/// Inputs larger than this in total get a progress bar (on a terminal).
const PROGRESS_BYTES: u64 = 32 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct Options {
    /// Use this source for every file instead of detecting.
    pub source: Option<String>,
    /// Read every canonical file as this table.
    pub table: Option<Table>,
    /// Any reject makes the run fail, and nothing is written.
    pub strict: bool,
    /// Parse files again even when their content was already ingested.
    pub force: bool,
    pub keep_text: bool,
    /// Show a progress bar on large inputs (the caller checks for a terminal).
    pub progress: bool,
    /// The zone of offset-less timestamps for sources the configuration gives none.
    pub timezone: Option<String>,
}

/// Why a file found in a folder was not read.
const NOT_A_SOURCE: &str = "an extension no source reads";
const A_LINK: &str = "a symbolic link, not followed (it may point outside the folder; name it \
                      on the command line to read it)";
const NOT_A_FILE: &str = "not a regular file (a FIFO, socket or device)";

/// The files named by `paths`, folders walked in name order, and the files skipped with
/// why. A path named on the command line is read whatever it is a link to; in a walked
/// folder links are not followed. A named path that is neither a file nor a folder (a
/// FIFO) is an error.
pub fn collect_inputs(paths: &[PathBuf]) -> Result<(Inputs, Vec<(String, &'static str)>)> {
    // Shown (and stored) relative to the working folder when they lie under it.
    let here = std::env::current_dir().ok();
    let shown = |p: &Path| {
        here.as_deref()
            .and_then(|h| p.strip_prefix(h).ok())
            .filter(|r| !r.as_os_str().is_empty())
            .unwrap_or(p)
            .display()
            .to_string()
    };
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
        if !meta.is_file() && !meta.is_dir() {
            anyhow::bail!(
                "{}: {NOT_A_FILE}; give an export file or folder",
                p.display()
            );
        }
        if meta.is_file() || sources::reads_folder(p) {
            files.push((p.clone(), shown(p)));
            continue;
        }
        let mut walker = walkdir::WalkDir::new(p)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        while let Some(e) = walker.next() {
            let e = e.with_context(|| format!("cannot walk {}", p.display()))?;
            // An export folder (Slack's, unpacked) is one input, not a pile of files.
            if e.file_type().is_dir() && e.depth() > 0 && sources::reads_folder(e.path()) {
                files.push((e.path().to_path_buf(), shown(e.path())));
                walker.skip_current_dir();
                continue;
            }
            let name = shown(e.path());
            if e.file_type().is_symlink() {
                skipped.push((name, A_LINK));
                continue;
            }
            if e.file_type().is_dir() {
                continue;
            }
            if !e.file_type().is_file() {
                skipped.push((name, NOT_A_FILE));
            } else if has_known_extension(e.path()) {
                files.push((e.path().to_path_buf(), name));
            } else {
                skipped.push((name, NOT_A_SOURCE));
            }
        }
    }
    Ok((files, skipped))
}

/// Ingests `inputs` (path, display name) into `store`.
pub fn run(
    store: &Store,
    inputs: &[(PathBuf, String)],
    config: &Config,
    opts: &Options,
) -> Result<Report> {
    crate::sources::json::set_max_record(config.limits.max_record_bytes());
    let forced = forced_source(opts)?;
    let lock = store.lock()?;
    let mut report = Report {
        notes: lock.notes.clone(),
        ..Report::default()
    };
    let mut writer = Writer::new(store, &lock);
    let runs = writer.rows(Table::IngestRuns)?;
    let run_id = next_run_id(&runs)?;
    let seen = previous_runs(&runs)?;
    let timezone = opts
        .timezone
        .as_deref()
        .map(crate::time::parse_zone)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--timezone: {e}"))?;
    let ctx = Context {
        config,
        keep_text: opts.keep_text,
        timezone,
        table: opts.table,
    };
    let started = chrono::Utc::now().timestamp_micros();
    // Each input's size, asked once: the total sizes the progress bar, each its step.
    let sizes: Vec<u64> = inputs.iter().map(|(p, _)| size_of(p)).collect();
    let total: u64 = sizes.iter().sum();
    let bar = (opts.progress && total > PROGRESS_BYTES).then(|| progress_bar(total));

    // Two stages: threads detect, hash and parse the files, a few at once
    // (`parallel::ordered_streams`; large JSON exports and Slack day files are also
    // parsed on every core, their records kept in order: `parallel::ordered_map`), and
    // hand their records over in batches, file by file in input order; this thread
    // applies them to the store in that same order, so the result does not depend on
    // timing.
    let mut file: Option<(FileReport, Vec<Reject>)> = None;
    let mut apply = |event: Event| -> Result<()> {
        match event {
            Event::Start(fr) => {
                if let Some(bar) = &bar {
                    // The file's own name whole; a long folder path gives way to it.
                    bar.set_message(progress_name(&fr.file));
                }
                writer.begin_file();
                file = Some((*fr, Vec::new()));
            }
            Event::Items(items) => {
                let (fr, rejects) = file.as_mut().expect("a file was started");
                for item in items {
                    take(&mut writer, run_id, item, fr, rejects)?;
                }
            }
            Event::End { result, sha256 } => {
                let (mut fr, mut file_rejects) = file.take().expect("a file was started");
                if let Some(h) = sha256 {
                    fr.sha256 = h?;
                }
                finish(&mut fr, &mut file_rejects, result);
                if let Some(bar) = &bar {
                    bar.inc(sizes[report.files.len()]);
                }
                report
                    .rejects
                    .extend(file_rejects.into_iter().map(|r| (fr.file.clone(), r)));
                crate::timing::lap(&format!("ingest: read and stage {}", fr.file));
                report.files.push(fr);
            }
        }
        Ok(())
    };
    let mut failed = None;
    crate::parallel::ordered_streams(
        inputs,
        crate::parallel::workers(),
        AHEAD_BATCHES,
        |(path, display), emit| read_file(path, display, forced, &ctx, &seen, opts.force, emit),
        |event| match apply(event) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        },
    );
    if let Some(e) = failed {
        return Err(e);
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    store_what_was_read(writer, run_id, started, opts.strict, &mut report)?;
    Ok(report)
}

/// The `--source` adapter, if one was named.
fn forced_source(opts: &Options) -> Result<Option<&'static dyn sources::Source>> {
    let Some(name) = &opts.source else {
        return Ok(None);
    };
    let source = sources::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = sources::all().iter().map(|s| s.name()).collect();
        anyhow::anyhow!(
            "unknown source '{name}'; known sources: {}",
            known.join(", ")
        )
    })?;
    Ok(Some(source))
}

/// The id of the run after the stored ones.
fn next_run_id(runs: &polars::prelude::DataFrame) -> Result<i64> {
    let last = runs
        .column(col::RUN_ID)?
        .as_materialized_series()
        .i64()?
        .iter()
        .flatten()
        .max();
    Ok(last.unwrap_or(0) + 1)
}

/// The progress line for `total` bytes of input, on stderr.
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} ingesting [{bar:30}] {bytes}/{total_bytes} {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}

/// After every file was read: records kept from earlier runs attached, resolutions
/// from log entries, each file's accounting, linking over the whole store, and the
/// commit (not under `--strict` with rejects).
fn store_what_was_read(
    mut writer: Writer,
    run_id: i64,
    started: i64,
    strict: bool,
    report: &mut Report,
) -> Result<()> {
    let changed = report
        .files
        .iter()
        .any(|f| !f.unchanged && f.error.is_none());
    crate::timing::since_start("ingest: every file read and staged, since the start");
    if changed {
        attach_pending(&mut writer, run_id, report)?;
        crate::timing::lap("ingest: attach pending records");
        crate::fallback::resolutions_from_entries(&mut writer)?;
        crate::timing::lap("ingest: resolutions from log entries");
    }
    for fr in report
        .files
        .iter()
        .filter(|f| f.error.is_none() && !f.unchanged)
    {
        let rejects: Vec<&Reject> = report
            .rejects
            .iter()
            .filter(|(file, _)| *file == fr.file)
            .map(|(_, r)| r)
            .collect();
        account(&mut writer, run_id, started, fr, &rejects)?;
    }
    // Links are a function of the store: unchanged inputs leave them as they are.
    if changed {
        report.links = crate::link::relink(&mut writer)?;
        crate::timing::lap("ingest: link over the whole store");
    }
    if !strict || report.rejects.is_empty() {
        report.committed = writer.commit()?;
        crate::timing::lap("ingest: commit");
    }
    Ok(())
}

/// A file's name for the progress line: the path when short, else `…/` and as much of
/// its end as fits, its last component always whole.
fn progress_name(file: &str) -> String {
    const ROOM: usize = 48;
    let chars: Vec<char> = file.chars().collect();
    if chars.len() <= ROOM {
        return file.to_string();
    }
    let name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
    let keep = ROOM.saturating_sub(2).max(name.chars().count());
    let tail: String = chars[chars.len() - keep.min(chars.len())..]
        .iter()
        .collect();
    format!("…{tail}")
}

/// Bytes of a file, or of every file of an export folder.
fn size_of(path: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        walkdir::WalkDir::new(path)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum()
    } else {
        meta.len()
    }
}

/// Content already ingested: (sha256, source) → its first run's counts (read,
/// skipped and rejected; the rest is counted as duplicate when it comes again).
type Seen = std::collections::HashMap<(String, String), Tally>;

fn previous_runs(runs: &polars::prelude::DataFrame) -> Result<Seen> {
    let sha = runs.column(col::SHA256)?.str()?.clone();
    let source = runs.column(col::SOURCE)?.str()?.clone();
    let count = |c: &str| -> Result<_> { Ok(runs.column(c)?.i64()?.clone()) };
    let (read, skipped, rejected) = (
        count(col::ROWS_READ)?,
        count(col::ROWS_SKIPPED)?,
        count(col::ROWS_REJECTED)?,
    );
    let mut seen = Seen::new();
    for i in 0..runs.height() {
        if let (Some(h), Some(s)) = (sha.get(i), source.get(i)) {
            let n = |c: &polars::prelude::Int64Chunked| c.get(i).unwrap_or(0) as u64;
            let (read, skipped, rejected) = (n(&read), n(&skipped), n(&rejected));
            seen.entry((h.to_string(), s.to_string())).or_insert(Tally {
                read,
                duplicate: read - skipped - rejected,
                skipped,
                rejected,
                ..Tally::default()
            });
        }
    }
    Ok(seen)
}

/// What a file's reading hands to the writer, file by file in input order.
enum Event {
    /// A file begins: its report so far (source, hash; or why it is not parsed).
    Start(Box<FileReport>),
    /// Records of the current file, in the order read.
    Items(Vec<Item>),
    /// The current file is done: the adapter's warnings or error (`None` when the file
    /// was not parsed: unreadable, unknown format, or unchanged), and its SHA-256 when it
    /// was computed beside the parsing.
    End {
        result: Option<std::result::Result<Vec<String>, sources::FileError>>,
        sha256: Option<Result<String>>,
    },
}

/// Records handed over at a time: large enough that the channel costs nothing, small
/// enough that little is held in flight.
const BATCH: usize = 1024;

/// Batches of records a file may hold before its reading waits for the store writer
/// (a file read ahead of its turn, or the current one).
const AHEAD_BATCHES: usize = 4;

/// Files at least this large are hashed on a thread of their own beside their parsing.
const HASH_BESIDE_BYTES: u64 = 4 << 20;

/// One file's events: its start, its records in batches, and its end; the file is
/// detected, hashed, and parsed unless already ingested. Returns early once `emit`
/// reports that nobody takes them any more (the writer failed).
fn read_file(
    path: &Path,
    display: &str,
    forced: Option<&'static dyn sources::Source>,
    ctx: &Context,
    seen: &Seen,
    force: bool,
    emit: &mut dyn FnMut(Event) -> bool,
) {
    let mut fr = FileReport {
        file: display.to_string(),
        ..FileReport::default()
    };
    let prepared = prepare(path, display, forced, seen, force, &mut fr);
    let hash_beside = prepared.is_some() && fr.sha256.is_empty();
    if !emit(Event::Start(Box::new(fr))) {
        return;
    }
    // A file whose content cannot have been ingested before is hashed while it is
    // parsed, on a thread of its own: the hash is only needed for its accounting. A
    // small one is hashed here: a thread would cost more than the hash.
    let small = prepared
        .as_ref()
        .is_some_and(|(input, _)| input.size < HASH_BESIDE_BYTES);
    let (result, sha256) = std::thread::scope(|scope| {
        let hashing = (hash_beside && !small).then(|| scope.spawn(|| sha256_file(path)));
        let inline = (hash_beside && small).then(|| {
            let (input, _) = prepared.as_ref().expect("a small file is prepared");
            sha256_input(input, path)
        });
        let result = parse(prepared, ctx, emit);
        let sha256 = hashing
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("hashing {display} stopped")))
            })
            .or(inline);
        (result, sha256)
    });
    let result = match result {
        Some((_, true)) => return,
        Some((result, false)) => Some(result),
        None => None,
    };
    emit(Event::End { result, sha256 });
}

/// Parses a prepared file, handing its records on in batches: the adapter's result, and
/// whether nobody takes them any more (then nothing more is emitted).
fn parse(
    prepared: Option<(Input, &'static dyn sources::Source)>,
    ctx: &Context,
    emit: &mut dyn FnMut(Event) -> bool,
) -> Option<(std::result::Result<Vec<String>, sources::FileError>, bool)> {
    prepared.map(|(input, source)| {
        let mut batch = Vec::with_capacity(BATCH);
        let mut gone = false;
        let result = source.read(&input, ctx, &mut |item| {
            batch.push(item);
            if batch.len() == BATCH && !gone {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                gone = !emit(Event::Items(full));
            }
        });
        if !batch.is_empty() && !gone {
            gone = !emit(Event::Items(batch));
        }
        (result, gone)
    })
}

/// Opens and identifies a file: its adapter, unless it cannot be read, its format is
/// unknown, or its content was ingested before (then its earlier accounting stands).
/// A file no earlier run of its source can have ingested (or any, with `force`) is left
/// unhashed here: it is hashed beside its parsing.
fn prepare(
    path: &Path,
    display: &str,
    forced: Option<&'static dyn sources::Source>,
    seen: &Seen,
    force: bool,
    fr: &mut FileReport,
) -> Option<(Input, &'static dyn sources::Source)> {
    let input = match Input::open(path, display.to_string()) {
        Ok(i) => i,
        Err(e) => {
            fr.error = Some((sources::Fault::Unreadable, format!("cannot read: {e}")));
            return None;
        }
    };
    let source = match forced {
        Some(s) => s,
        None => match sources::detect(&input) {
            Ok(s) => s,
            Err(e) => {
                fr.error = Some((e.fault, e.message));
                return None;
            }
        },
    };
    fr.source = source.name().to_string();
    // Content ingested before can only be among the runs of the same source.
    if force || !seen.keys().any(|(_, s)| *s == fr.source) {
        return Some((input, source));
    }
    fr.sha256 = match sha256_input(&input, path) {
        Ok(h) => h,
        Err(e) => {
            fr.error = Some((sources::Fault::Unreadable, format!("cannot read: {e:#}")));
            return None;
        }
    };
    if let Some(&first) = seen.get(&(fr.sha256.clone(), fr.source.clone())) {
        fr.unchanged = true;
        fr.counts = first;
        return None;
    }
    Some((input, source))
}

/// Applies one item of a file to the store and counts what became of it.
fn take(
    writer: &mut Writer,
    run_id: i64,
    item: Item,
    fr: &mut FileReport,
    rejects: &mut Vec<Reject>,
) -> Result<()> {
    match item {
        Item::Reject(r) => {
            fr.counts.reject();
            if r.unread.is_some() {
                fr.cut = Some((r.location.clone(), r.unread));
            }
            rejects.push(r);
        }
        Item::Superseded { .. } => fr.counts.add(Outcome::Duplicate),
        Item::Skipped { location, reason } => {
            fr.counts.skip();
            fr.skips.entry(reason).or_default().add(&location);
        }
        Item::Record(rec) => match writer.apply(note_severities(rec, fr))? {
            Applied::Stored(rows) => count_stored(fr, &rows),
            Applied::Pending(missing, rec) => {
                fr.counts.pend();
                fr.each_kind(rec.rows.iter().map(|r| r.table), Tally::pend);
                writer.put(pending_row(run_id, &fr.file, &missing, &rec), &rec.location)?;
            }
            Applied::Rejected(reason, rec) => {
                fr.counts.reject();
                fr.each_kind(rec.rows.iter().map(|r| r.table), Tally::reject);
                rejects.push(rejected(reason, &rec));
            }
        },
    }
    Ok(())
}

/// Notes the severity labels of a record's incidents that no rule maps.
fn note_severities(rec: Record, fr: &mut FileReport) -> Record {
    for row in rec.rows.iter().filter(|r| r.table == Table::Incidents) {
        if let (Value::Null, Value::Str(label)) =
            (row.get(col::SEVERITY), row.get(col::SEVERITY_RAW))
        {
            if crate::normalize::says_no_severity(label) {
                continue;
            }
            *fr.unmapped_severities.entry(label.to_string()).or_default() += 1;
        }
    }
    rec
}

/// Counts a stored record and each of its rows.
fn count_stored(fr: &mut FileReport, rows: &[(Table, Outcome)]) {
    fr.counts.add(Applied::outcome(rows));
    for (table, outcome) in rows {
        fr.kinds.entry(*table).or_default().add(*outcome);
    }
}

/// [`sha256_file`] of an opened input, from the bytes its head already holds when they
/// are the whole file (most small files: one reading fewer).
fn sha256_input(input: &Input, path: &Path) -> Result<String> {
    match input.whole() {
        Some(bytes) => Ok(format!("{:x}", Sha256::digest(bytes))),
        None => sha256_file(path),
    }
}

/// The SHA-256 of a file's bytes; of an export folder, over its files' relative paths
/// and bytes in name order.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut h = Sha256::new();
    let files: Vec<PathBuf> = if path.is_dir() {
        walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    let mut buf = vec![0u8; 1 << 16];
    for p in files {
        if let Ok(rel) = p.strip_prefix(path) {
            h.update(rel.to_string_lossy().as_bytes());
        }
        let mut f =
            std::fs::File::open(&p).with_context(|| format!("cannot read {}", p.display()))?;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    }
    Ok(format!("{:x}", h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::progress_name;

    #[test]
    fn the_progress_line_keeps_the_file_name_whole() {
        assert_eq!(
            progress_name("exports/incidents.json"),
            "exports/incidents.json"
        );
        let long = "very/long/folder/names/that/go/on/and/on/pagerduty/log_entries.json";
        let shown = progress_name(long);
        assert_eq!(shown, "…s/that/go/on/and/on/pagerduty/log_entries.json");
        assert_eq!(shown.chars().count(), 47);
        let name = "a_file_name_longer_than_the_room_for_it_on_the_progress_line.json";
        assert_eq!(progress_name(&format!("x/{name}")), format!("…{name}"));
    }
}
