//! incidentlens: cross-incident analytics over pager, chat, ticket, incident-platform and
//! status-page exports.
//!
//! Data flows one way: [`sources`] → [`store`] (canonical Parquet tables) → [`link`] →
//! [`metrics`] → [`analysis`] (metrics, findings and chart series of a period) → rendered
//! output. [`cmd`] has one module per command of [`cli`], each running a part of that
//! pipeline.

pub mod analysis;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod demo;
pub mod fallback;
pub mod findings;
pub mod followup;
pub mod identity;
pub mod ingest;
pub mod link;
pub mod metrics;
pub mod normalize;
pub mod output;
pub mod parallel;
pub mod policy;
pub mod privacy;
pub mod query;
pub mod record;
pub mod refs;
pub mod report;
pub mod review;
pub mod rows;
pub mod schema;
pub mod sources;
pub mod stats;
pub mod store;
pub mod synth;
pub mod terminal;
pub mod time;
pub mod timing;
pub mod words;
