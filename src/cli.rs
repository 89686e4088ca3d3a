//! The command line: clap types only. Work happens in the modules these values reach.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Cross-incident analytics: ingest pager, chat, ticket and status-page exports into one
/// Parquet data set.
#[derive(Debug, Parser)]
#[command(name = "incidentlens", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Settings file [default: ./incidentlens.toml when it exists]
    #[arg(long, global = true, env = "INCIDENTLENS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read export files and folders into the store, and account for every record
    #[command(
        after_help = "Every file gets a line: records read = ingested + duplicate + \
        rejected. Rejects are kept in the store's `rejects` table with file, line or JSON \
        path, and reason. Exit status: 0 success, 2 when a file could not be read (or, with \
        --strict, on any reject)."
    )]
    Ingest(IngestArgs),
    /// Run the whole pipeline on the sample organisation built into the binary
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct StoreArg {
    /// The store folder
    #[arg(
        long,
        env = "INCIDENTLENS_STORE",
        value_name = "DIR",
        default_value = crate::store::DEFAULT_DIR
    )]
    pub store: PathBuf,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Export files or folders (folders are walked)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub store: StoreArg,

    /// Read every file as this source instead of detecting its format
    #[arg(long, value_name = "KIND")]
    pub source: Option<String>,

    /// Fail (exit 2, nothing written) when any record is rejected
    #[arg(long)]
    pub strict: bool,

    /// Parse files again even when the same content was ingested before
    #[arg(long)]
    pub force: bool,

    /// Keep chat message text in the store (off by default: it is personal data)
    #[arg(long)]
    pub keep_text: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo's store and outputs in this folder instead of a temporary one
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
