//! `ingest`: exports into the store, with the accounting printed: every record read is ingested, a duplicate, pending, skipped or rejected.

use crate::cli::IngestArgs;
use crate::config::Config;
use crate::ingest;
use crate::record::{Problem, Reject};
use crate::store::Store;
use crate::words::count;
use anyhow::{bail, Result};
use comfy_table::{presets, CellAlignment, Table as TextTable};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(args: &IngestArgs, config: &Config) -> Result<ExitCode> {
    let (inputs, skipped) = ingest::collect_inputs(&args.paths)?;
    let store = Store::at(&args.store.store);
    let table = args
        .table
        .as_deref()
        .map(|t| crate::schema::Table::from_name(t).expect("clap checked the name"));
    let source = match (&args.source, table) {
        (Some(s), Some(_)) if s != crate::sources::canonical::SOURCE => {
            bail!("--table reads canonical tables; it does not go with --source {s}")
        }
        (_, Some(_)) => Some(crate::sources::canonical::SOURCE.to_string()),
        (s, None) => s.clone(),
    };
    let opts = ingest::Options {
        source,
        table,
        strict: args.strict,
        force: args.force,
        keep_text: args.keep_text,
        progress: std::io::stderr().is_terminal(),
        timezone: args.timezone.clone(),
    };
    let mut report = ingest::run(&store, &inputs, config, &opts)?;
    report.skipped = skipped;
    print_report(&report, args.strict);
    if store.exists() {
        print_counts(&store, &store.root().display().to_string())?;
    }
    Ok(if report.failed(args.strict) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// An accounting table: a line per (file, what) with its counts, right-aligned; the
/// skipped column only when some record was skipped.
fn accounting_table(
    what: &str,
    lines: impl IntoIterator<Item = (String, String, ingest::Tally)>,
) -> TextTable {
    let lines: Vec<_> = lines.into_iter().collect();
    let skipped = lines.iter().any(|(_, _, n)| n.skipped > 0);
    let mut t = TextTable::new();
    t.load_preset(presets::ASCII_MARKDOWN);
    let mut header = vec!["file", what, "read", "ingested", "duplicate", "pending"];
    header.extend(skipped.then_some("skipped"));
    header.push("rejected");
    let columns = header.len();
    t.set_header(header);
    for (file, label, n) in lines {
        let mut counts = vec![n.read, n.ingested, n.duplicate, n.pending];
        counts.extend(skipped.then_some(n.skipped));
        counts.push(n.rejected);
        let mut row = vec![file, label];
        row.extend(counts.into_iter().map(crate::words::thousands));
        t.add_row(row);
    }
    for i in 2..columns {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// Prints the per-file accounting (stdout), then problems (stderr).
pub fn print_report(report: &ingest::Report, strict: bool) {
    for note in &report.notes {
        crate::say!("note: {note}");
    }
    print_accounting(report);
    print_file_notes(report);
    print_skipped_and_rejected(report);
    print_links(&report.links);
    if strict && !report.rejects.is_empty() {
        crate::say!(
            "error: --strict: {} rejected; nothing was written",
            count(report.rejects.len() as u64, "record", "records")
        );
    }
}

/// How many of a kind of problem are listed before "… and N more".
const SHOWN: usize = 10;

/// The accounting tables (stdout): per file, then per kind of row.
fn print_accounting(report: &ingest::Report) {
    let files = report.files.iter().map(|f| {
        let status = match (&f.error, f.unchanged) {
            (Some((fault, _)), _) => format!("error: {}", fault.label()),
            (None, true) => format!("{} (unchanged)", f.source),
            (None, false) => f.source.clone(),
        };
        (f.file.clone(), status, f.counts)
    });
    println!(
        "{}",
        crate::terminal::safe(&accounting_table("source", files).to_string())
    );
    // What the records yield, kind by kind: nested records (status updates, log
    // entries) are counted here one by one, so a collapse or a drop shows.
    let kinds: Vec<_> = report
        .files
        .iter()
        .flat_map(|f| {
            f.kinds
                .iter()
                .map(|(table, n)| (f.file.clone(), table.name().to_string(), *n))
        })
        .collect();
    if !kinds.is_empty() {
        println!(
            "\n{}",
            crate::terminal::safe(&accounting_table("rows of", kinds).to_string())
        );
    }
}

/// Records kept for later or attached now, and each file's warnings (stderr).
fn print_file_notes(report: &ingest::Report) {
    if report.attached > 0 {
        crate::say!(
            "note: {} kept by earlier runs until their incident was known {} stored",
            count(report.attached, "record", "records"),
            if report.attached == 1 { "was" } else { "were" }
        );
    }
    if report.still_pending > 0 {
        crate::say!(
            "note: {} for an incident no ingest has brought yet (query the pending \
             table); the ingest that brings it stores {}",
            count(report.still_pending, "record waits", "records wait"),
            if report.still_pending == 1 {
                "it"
            } else {
                "them"
            }
        );
    }
    for f in &report.files {
        for w in &f.warnings {
            crate::say!("warning: {}: {w}", f.file);
        }
        if let Some((_, e)) = &f.error {
            crate::say!("error: {}: {e}", f.file);
        }
        if let Some((at, unread)) = &f.cut {
            let bytes = unread.map_or(String::new(), |n| format!(" ({n} bytes)"));
            crate::say!(
                "error: {}: reading stopped at {at}: the rest of the file{bytes} was not read \
                 (the records before it were ingested)",
                f.file
            );
        }
    }
    let unknown = |f: &&ingest::FileReport| {
        f.error
            .as_ref()
            .is_some_and(|(fault, _)| *fault == crate::sources::Fault::Unrecognised)
    };
    if report.files.iter().any(|f| unknown(&f)) {
        crate::say!(
            "the formats tried (pass --source NAME to read a file as one of them):\n{}",
            crate::sources::formats()
        );
    }
}

/// Skipped files and records, then rejects, grouped by file and reason (stderr).
fn print_skipped_and_rejected(report: &ingest::Report) {
    // Skipped files, a line per reason with how many and the first.
    let mut reasons: Vec<(&str, usize, &str)> = Vec::new();
    for (file, why) in &report.skipped {
        match reasons.iter_mut().find(|(w, _, _)| w == why) {
            Some(r) => r.1 += 1,
            None => reasons.push((why, 1, file)),
        }
    }
    for (why, n, first) in reasons {
        crate::say!(
            "note: skipped {}: {why}; e.g. {first}",
            count(n as u64, "file", "files")
        );
    }
    // Skipped records, then rejects: a line per file and reason, with how many and
    // where the first few are (every reject is also in the store's rejects table).
    for f in &report.files {
        for (why, e) in &f.skips {
            crate::say!("skipped: {}", grouped(&f.file, why, e));
        }
    }
    let mut rejects: Vec<(&str, &Reject, ingest::Examples)> = Vec::new();
    let mut by_problem: BTreeMap<Problem, u64> = BTreeMap::new();
    for (file, r) in &report.rejects {
        *by_problem.entry(r.problem).or_default() += 1;
        match rejects
            .iter_mut()
            .find(|(f, first, _)| *f == file.as_str() && first.reason == r.reason)
        {
            Some((_, _, e)) => e.add(&r.location),
            None => {
                let mut e = ingest::Examples::default();
                e.add(&r.location);
                rejects.push((file, r, e));
            }
        }
    }
    for (file, r, e) in rejects.iter().take(SHOWN) {
        crate::say!(
            "rejected ({}): {}",
            r.problem.label(),
            grouped(file, &r.reason, e)
        );
    }
    if rejects.len() > SHOWN {
        crate::say!(
            "… and {} more; every reject is in the store's rejects table",
            count(
                (rejects.len() - SHOWN) as u64,
                "reason or file",
                "reasons or files"
            )
        );
    }
    if !by_problem.is_empty() {
        let kinds: Vec<String> = by_problem
            .iter()
            .map(|(p, n)| format!("{} {}", crate::words::thousands(*n), p.label()))
            .collect();
        crate::say!(
            "rejected {}: {}",
            count(report.rejects.len() as u64, "record", "records"),
            kinds.join(", ")
        );
    }
}

/// What linking found, and what it could not link (stderr).
fn print_links(l: &crate::link::Report) {
    if l.linked_channels + l.linked_tickets + l.linked_incidents > 0
        || !l.dangling.is_empty()
        || !l.ambiguous.is_empty()
    {
        let same = if l.linked_incidents > 0 {
            format!(
                "{} found in two sources; ",
                count(l.linked_incidents as u64, "incident", "incidents")
            )
        } else {
            String::new()
        };
        crate::say!(
            "links: {same}{} and {} linked; {} dangling; {} ambiguous",
            count(
                l.linked_channels as u64,
                "incident channel",
                "incident channels"
            ),
            count(l.linked_tickets as u64, "ticket", "tickets"),
            l.dangling.len(),
            l.ambiguous.len()
        );
        for (what, list) in [("dangling", &l.dangling), ("ambiguous", &l.ambiguous)] {
            for d in list.iter().take(SHOWN) {
                crate::say!("  {what}: {d}");
            }
            if list.len() > SHOWN {
                crate::say!("  … and {} more {what} links", list.len() - SHOWN);
            }
        }
    }
}

/// `FILE: LOCATION: WHY` for one record; `FILE: 12 records: WHY (at $[0], $[3], $[7],
/// …)` for several.
fn grouped(file: &str, why: &str, e: &ingest::Examples) -> String {
    if e.count == 1 {
        return format!("{file}: {}: {why}", e.first.join(""));
    }
    let more = if e.count > e.first.len() as u64 {
        ", …"
    } else {
        ""
    };
    format!(
        "{file}: {}: {why} (at {}{more})",
        count(e.count, "record", "records"),
        e.first.join(", ")
    )
}

/// Prints the row count of every data table, as `store LABEL: incidents 66, …`.
pub fn print_counts(store: &Store, label: &str) -> Result<()> {
    let line: Vec<String> = store
        .counts()?
        .iter()
        .filter(|(t, _)| t.is_data())
        .map(|(t, n)| format!("{} {n}", t.name()))
        .collect();
    println!("store {label}: {}", line.join(", "));
    Ok(())
}
