//! `queries` and `query`: the named queries, and one run over the store.

use crate::cli::QueryArgs;
use crate::metrics;
use crate::store::Store;
use anyhow::{anyhow, bail, Context, Result};
use std::io::IsTerminal;
use std::process::ExitCode;

/// `queries`: every named query with its parameters.
pub fn list() -> Result<ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for q in crate::query::Query::all()? {
        writeln!(out, "{}\n    {}", q.name, q.description)?;
        for p in &q.params {
            let kind = format!("{:?}", p.kind).to_lowercase();
            writeln!(
                out,
                "    --param {}=<{kind}>  {} [default: {}]",
                p.name, p.help, p.default
            )?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "Run one with `incidentlens query NAME [--param k=v]… [--period P] [--format table|csv|json|arrow]`."
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(args: &QueryArgs) -> Result<ExitCode> {
    use crate::query::{Format, Query};
    let query = match (&args.name, &args.sql, &args.file) {
        (Some(name), _, _) => Query::named(name)?,
        (_, Some(sql), _) => Query::parse("--sql", sql)?,
        (_, _, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            Query::parse(&file.display().to_string(), &text)?
        }
        _ => unreachable!("clap requires one of them"),
    };
    let mut values = std::collections::BTreeMap::new();
    for p in &args.params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| anyhow!("--param: expected NAME=VALUE, found '{p}'"))?;
        values.insert(k.trim().to_string(), v.to_string());
    }
    // The period flags are checked before the store is opened.
    let p = &args.period;
    let flags = super::period::Flags::check(p)?;
    let store = Store::at(&args.store.store);
    let _reading = store.require()?;
    let latest = metrics::latest_timestamp(&store)?;
    if p.period.is_some() || p.from.is_some() || p.as_of.is_some() {
        let data = metrics::Data::load(&store)?;
        let req = flags.resolve(&data, true)?;
        let as_of = req.as_of.unwrap_or(match latest {
            Some(l) if l < req.period.to => l,
            _ => req.period.to,
        });
        let declared = |n: &str| query.params.iter().any(|q| q.name == n);
        for (name, t) in [
            ("since", req.period.from),
            ("until", req.period.to),
            ("as_of", as_of),
        ] {
            if declared(name) && !values.contains_key(name) {
                values.insert(name.to_string(), crate::time::format_micros(t));
            }
        }
    }
    let sql = query.bind(&values, latest)?;
    // Pseudonyms replace people in the tables the query reads, not in its result: an
    // expression over a person column (lower(person_id)) sees pseudonyms too.
    let df = if args.pseudonymise {
        let names = crate::privacy::Pseudonyms::of(&store)?;
        crate::query::run_over(&store, &sql, &|df| names.frame(&df))
    } else {
        crate::query::run(&store, &sql)
    }
    .with_context(|| format!("query {}", query.name))?;
    let format = super::format_or(args.format.map(Into::into), Format::Table, Format::Csv);
    if format == Format::Arrow && std::io::stdout().is_terminal() {
        bail!("--format arrow writes binary Arrow IPC: redirect it to a file (> result.arrow)");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    crate::query::render(&df, format, &mut out)?;
    Ok(ExitCode::SUCCESS)
}
