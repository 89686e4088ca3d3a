//! Runs a parsed command: loads the config, calls the library, prints for a person.

use crate::cli::{Cli, Command, IngestArgs};
use crate::config::Config;
use crate::ingest;
use crate::store::Store;
use anyhow::Result;
use comfy_table::{presets, CellAlignment, Table as TextTable};
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(cli: Cli) -> Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Ingest(args) => ingest_command(&args, &config),
        Command::Demo(args) => crate::demo::run(args.out.as_deref(), &config),
    }
}

fn ingest_command(args: &IngestArgs, config: &Config) -> Result<ExitCode> {
    let (inputs, skipped) = ingest::collect_inputs(&args.paths)?;
    let store = Store::at(&args.store.store);
    let opts = ingest::Options {
        source: args.source.clone(),
        strict: args.strict,
        force: args.force,
        keep_text: args.keep_text,
        progress: std::io::stderr().is_terminal(),
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

/// Prints the per-file accounting (stdout), then problems (stderr).
pub fn print_report(report: &ingest::Report, strict: bool) {
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    let mut t = TextTable::new();
    t.load_preset(presets::ASCII_MARKDOWN);
    t.set_header([
        "file",
        "source",
        "read",
        "ingested",
        "duplicate",
        "rejected",
    ]);
    for f in &report.files {
        let status = match (&f.error, f.unchanged) {
            (Some(_), _) => "error".to_string(),
            (None, true) => format!("{} (unchanged)", f.source),
            (None, false) => f.source.clone(),
        };
        t.add_row(vec![
            f.file.clone(),
            status,
            f.read.to_string(),
            f.ingested.to_string(),
            f.duplicate.to_string(),
            f.rejected.to_string(),
        ]);
    }
    for i in 2..6 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    println!("{t}");
    for f in &report.files {
        for w in &f.warnings {
            eprintln!("warning: {}: {w}", f.file);
        }
        if let Some(e) = &f.error {
            eprintln!("error: {}: {e}", f.file);
        }
    }
    if !report.skipped.is_empty() {
        eprintln!(
            "note: skipped {} file(s) with extensions no source reads, e.g. {}",
            report.skipped.len(),
            report.skipped[0]
        );
    }
    const SHOWN: usize = 10;
    for (file, r) in report.rejects.iter().take(SHOWN) {
        eprintln!("reject: {file}: {}: {}", r.location, r.reason);
    }
    if report.rejects.len() > SHOWN {
        eprintln!(
            "… and {} more rejects; all are in the store's rejects table",
            report.rejects.len() - SHOWN
        );
    }
    if strict && !report.rejects.is_empty() {
        eprintln!(
            "error: --strict: {} record(s) rejected; nothing was written",
            report.rejects.len()
        );
    }
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
