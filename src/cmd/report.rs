//! `report`: the executive or a team report of a period, in HTML or Markdown.

use super::{exiting_with, Opened};
use crate::config::Config;
use anyhow::{bail, Result};
use std::process::ExitCode;

/// A report's format and file: the format given, else the one `--out`'s extension names,
/// else HTML. A format that contradicts the extension is an error, not a Markdown file
/// full of HTML.
fn report_target(
    format: Option<crate::report::Format>,
    out: Option<&std::path::Path>,
) -> Result<(crate::report::Format, std::path::PathBuf)> {
    use crate::report::Format;
    let named = out.and_then(|p| {
        let ext = p.extension()?.to_string_lossy().to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" => Some(Format::Md),
            "html" | "htm" => Some(Format::Html),
            _ => None,
        }
    });
    let format = match (format, named) {
        (Some(f), Some(n)) if f != n => bail!(
            "--out {} names {} file but --format is {}; drop --format, or give the file \
             the extension of the format",
            out.map(|p| p.display().to_string()).unwrap_or_default(),
            if n == Format::Md {
                "a Markdown"
            } else {
                "an HTML"
            },
            if f == Format::Md { "md" } else { "html" },
        ),
        (Some(f), _) => f,
        (None, Some(n)) => n,
        (None, None) => Format::Html,
    };
    let out = out
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| match format {
            Format::Html => "report.html".into(),
            Format::Md => "report.md".into(),
        });
    Ok((format, out))
}

pub fn run(args: &crate::cli::ReportArgs, config: &Config) -> Result<ExitCode> {
    if let Some(dir) = &args.templates {
        crate::report::check_templates(dir)?;
    }
    // Read before the store: a wrong file fails at once.
    let since = args
        .since_report
        .as_deref()
        .map(crate::followup::from_report)
        .transpose()?;
    let opened = Opened::at(&args.store, &args.period, args.pseudonymise)?;
    let (data, req) = (&opened.data, opened.req);
    let (format, out) = report_target(args.format.map(Into::into), args.out.as_deref())?;
    use crate::cli::Audience;
    let subject = match (args.audience, &args.team) {
        (None | Some(Audience::Exec), None) => crate::report::Subject::Exec,
        (None | Some(Audience::Team), Some(name)) => crate::report::Subject::Team {
            name,
            pseudonymise: args.pseudonymise,
        },
        (Some(Audience::Exec), Some(_)) => bail!(
            "--team is for a team report, and --audience exec asks for the executive one: \
             drop one of them"
        ),
        (Some(Audience::Team), None) => bail!("--audience team needs --team NAME"),
    };
    let templates = args.templates.as_deref();
    let mut analysis = crate::analysis::Analysis::of(data, config, req, &opened.label());
    if let (Some(file), Some(since)) = (&args.since_report, since) {
        analysis.follow_since(since, file)?;
    }
    crate::report::write(&analysis, subject, format, templates, &out)?;
    crate::timing::lap("report: write");
    println!("wrote {}", out.display());
    exiting_with(analysis);
    exiting_with(opened);
    Ok(ExitCode::SUCCESS)
}
