//! `demo`: the whole pipeline on Northwind Outfitters, the sample organisation built into
//! the binary (`fixtures/demo/`, its story in `fixtures/README.md`).
//!
//! The fixture files are written to a temporary folder and ingested like any user's
//! exports, so the demo exercises exactly the code a real run does.

use crate::config::Config;
use crate::ingest;
use crate::store::Store;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;

/// The sample organisation's files, as the binary carries them.
pub const FILES: &[(&str, &str)] = &[
    ("people.csv", include_str!("../fixtures/demo/people.csv")),
    (
        "services.csv",
        include_str!("../fixtures/demo/services.csv"),
    ),
    (
        "incidents.csv",
        include_str!("../fixtures/demo/incidents.csv"),
    ),
    (
        "incident_services.csv",
        include_str!("../fixtures/demo/incident_services.csv"),
    ),
    (
        "participants.csv",
        include_str!("../fixtures/demo/participants.csv"),
    ),
    ("pages.csv", include_str!("../fixtures/demo/pages.csv")),
    ("events.csv", include_str!("../fixtures/demo/events.csv")),
    (
        "action_items.csv",
        include_str!("../fixtures/demo/action_items.csv"),
    ),
];

/// Writes the sample exports into `dir/exports` and ingests them into `dir/store`.
pub fn build(dir: &Path, config: &Config) -> Result<(Store, ingest::Report)> {
    let exports = dir.join("exports");
    std::fs::create_dir_all(&exports)
        .with_context(|| format!("cannot create {}", exports.display()))?;
    let mut inputs = Vec::new();
    for (name, text) in FILES {
        let path = exports.join(name);
        crate::output::write_atomic(&path, text)?;
        inputs.push((path, format!("demo/{name}")));
    }
    let store = Store::at(dir.join("store"));
    let report = ingest::run(&store, &inputs, config, &ingest::Options::default())?;
    Ok((store, report))
}

pub fn run(dir: &Path, config: &Config) -> Result<ExitCode> {
    println!("Northwind Outfitters, the built-in sample organisation: ingesting its exports.\n");
    // Its reports carry its name, unless the settings name another.
    let mut config = config.clone();
    if config.report.organisation.is_empty() {
        config.report.organisation = "Northwind Outfitters".into();
    }
    let config = &config;
    // The demo owns its store: start from nothing so every run says the same.
    let old = dir.join("store");
    if Store::at(&old).exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("cannot clear {}", old.display()))?;
    }
    let (store, report) = build(dir, config)?;
    crate::app::print_report(&report, false);
    crate::app::print_counts(&store, "(demo)")?;

    // The latest quarter in the data, judged by the default as_of rule.
    let data = crate::metrics::Data::load(&store)?;
    let req = crate::app::resolve_period_quietly(&crate::cli::PeriodArgs::default(), &data)?;
    let label = crate::app::period_label(&req);
    let analysis = crate::analysis::Analysis::of(&data, config, req, &label);
    println!("\nMetrics for the latest quarter in the data:\n");
    print!("{}", crate::metrics::text::render(&analysis.metrics));

    println!("\nReports:");
    let (_, written) = crate::report::write_set(&analysis, dir)?;
    for path in written {
        println!("  {}", path.display());
    }
    let root = store.root().display().to_string();
    println!("The store is in {root}.");
    // What to try next, on this store.
    let period = req
        .period
        .quarter_label()
        .map(|q| format!(" --period {q}"))
        .unwrap_or_default();
    println!(
        "\nNext, on the demo's own store:\n  \
         incidentlens metrics --store {root}{period}\n  \
         incidentlens queries                                  # the named queries\n  \
         incidentlens query hotspots_by_service --store {root}{period}\n  \
         incidentlens report --store {root}{period} --out report.html\n  \
         incidentlens review --store {root}{period} --out review/\n\
         Then ingest your own exports: incidentlens ingest EXPORTS… --store .incidentlens/store"
    );
    Ok(ExitCode::SUCCESS)
}
