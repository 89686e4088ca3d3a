//! `metrics`: the metrics of a period, as a table or the JSON document.

use super::{exiting_with, Opened};
use crate::cli::{MetricsArgs, MetricsFormat};
use crate::config::Config;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(args: &MetricsArgs, config: &Config) -> Result<ExitCode> {
    let opened = Opened::at(&args.store, &args.period, args.pseudonymise)?;
    let (data, req) = (&opened.data, opened.req);
    let format = super::format_or(args.format, MetricsFormat::Table, MetricsFormat::Json);
    let text = match format {
        // The document carries the findings, which compare with the previous period.
        MetricsFormat::Json => {
            let analysis = crate::analysis::Analysis::of(data, config, req, &opened.label());
            serde_json::to_string_pretty(&analysis.document())? + "\n"
        }
        MetricsFormat::Table => {
            let m = crate::metrics::compute_from(data, config, req);
            crate::terminal::safe(&crate::metrics::text::render(&m)).into_owned()
        }
    };
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    exiting_with(opened);
    Ok(ExitCode::SUCCESS)
}
