//! `demo`: the sample organisation built into the binary, ingested, measured and
//! reported, with what to try next.

use crate::config::Config;
use crate::store::Store;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;

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
    let (store, report) = crate::demo::build(dir, config)?;
    super::ingest::print_report(&report, false);
    super::ingest::print_counts(&store, "(demo)")?;

    // The latest quarter in the data, judged by the default as_of rule.
    let data = crate::metrics::Data::load(&store)?;
    let req =
        super::period::Flags::check(&crate::cli::PeriodArgs::default())?.resolve(&data, false)?;
    let label = super::period_label(&req);
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
