//! Integration tests: the real `incidentlens` binary, run in temporary folders.

#[macro_use]
mod util;

mod changes;
mod chat;
mod cli;
mod demo;
mod faithful;
mod fuzz;
mod hostile;
mod ingest;
mod metrics;
mod pager;
mod platforms;
mod privacy;
mod query;
mod report;
mod review;
mod structure;
mod synth;
mod tickets;
