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
    ("on_call.csv", include_str!("../fixtures/demo/on_call.csv")),
    ("alerts.csv", include_str!("../fixtures/demo/alerts.csv")),
    (
        "incident_tags.csv",
        include_str!("../fixtures/demo/incident_tags.csv"),
    ),
    (
        "deployments.csv",
        include_str!("../fixtures/demo/deployments.csv"),
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
