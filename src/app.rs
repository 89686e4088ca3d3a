//! Runs a parsed command: loads the config, calls the library, prints for a person.

use crate::cli::{
    Cli, Command, IngestArgs, InitArgs, MetricsArgs, MetricsFormat, PeriodArgs, QueryArgs,
};
use crate::config::Config;
use crate::ingest;
use crate::metrics::{self, period, Period};
use crate::store::Store;
use crate::words::count;
use anyhow::{anyhow, bail, Context, Result};
use comfy_table::{presets, CellAlignment, Table as TextTable};
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(cli: Cli) -> Result<ExitCode> {
    // Completions and the man page describe the CLI; they need no settings.
    if matches!(cli.command, Command::Completions { .. } | Command::Man) {
        return describe(&cli.command);
    }
    crate::timing::start();
    let config = Config::load(cli.config.as_deref())?;
    let outcome = match cli.command {
        Command::Ingest(args) => ingest_command(&args, &config),
        Command::Metrics(args) => metrics_command(&args, &config),
        Command::Queries => queries_command(),
        Command::Query(args) => query_command(&args),
        Command::Report(args) => report_command(&args, &config),
        Command::Review(args) => review_command(&args, &config),
        Command::People(args) => people_command(&args),
        Command::Forget(args) => forget_command(&args),
        Command::Init(args) => init_command(&args),
        Command::Completions { .. } | Command::Man => describe(&cli.command),
        Command::Demo(args) => crate::demo::run(&args.out, &config),
        Command::Synth(args) => synth_command(&args),
    };
    crate::timing::lap("finish");
    outcome
}

/// Prints a completion script or the man page, generated from the clap definition.
fn describe(command: &Command) -> Result<ExitCode> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    // Rendered into memory first: clap_complete panics on a closed pipe.
    let mut text = Vec::new();
    match command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut cmd, "incidentlens", &mut text)
        }
        _ => clap_mangen::Man::new(cmd).render(&mut text)?,
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Turns the period flags into a validated request, before any work.
/// `--period` names counted from a moment (`--as-of`, else the store's latest record):
/// the month, quarter or year that holds it, or the one before.
const RELATIVE_PERIODS: [&str; 6] = [
    "this-month",
    "last-month",
    "this-quarter",
    "last-quarter",
    "this-year",
    "last-year",
];

/// A relative period name as the period it names at `at` (in `tz`): `2026-Q2`.
fn absolute_period(name: &str, at: i64, tz: chrono_tz::Tz) -> Option<String> {
    use chrono::Datelike;
    let (which, unit) = name.split_once('-')?;
    let back = match which {
        "this" => 0,
        "last" => 1,
        _ => return None,
    };
    let day = chrono::DateTime::from_timestamp_micros(at)?
        .with_timezone(&tz)
        .date_naive();
    let (year, month) = (day.year(), day.month0() as i32);
    Some(match unit {
        "month" => {
            let n = year * 12 + month - back;
            format!("{}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
        }
        "quarter" => {
            let n = year * 4 + month / 3 - back;
            format!("{}-Q{}", n.div_euclid(4), n.rem_euclid(4) + 1)
        }
        "year" => (year - back).to_string(),
        _ => return None,
    })
}

/// The period a command works on; which one it chose, when it was not named as it is,
/// goes to stderr.
pub fn resolve_period(args: &PeriodArgs, data: &metrics::Data) -> Result<metrics::Request> {
    resolve_period_telling(args, data, true)
}

/// [`resolve_period`], saying nothing (the demo names its period itself).
pub fn resolve_period_quietly(args: &PeriodArgs, data: &metrics::Data) -> Result<metrics::Request> {
    resolve_period_telling(args, data, false)
}

fn resolve_period_telling(
    args: &PeriodArgs,
    data: &metrics::Data,
    tell: bool,
) -> Result<metrics::Request> {
    let tz = crate::time::parse_zone(&args.tz).map_err(|e| anyhow!("--tz: {e}"))?;
    let as_of = match &args.as_of {
        None => None,
        Some(text) => Some(match period::parse_date(text) {
            Ok(d) => period::midnight(d, tz).map_err(|e| anyhow!("--as-of: {e}"))?,
            Err(_) => {
                crate::time::parse_timestamp(text, None).map_err(|e| anyhow!("--as-of: {e}"))?
            }
        }),
    };
    let day = |t: i64| crate::time::format_micros(t)[..10].to_string();
    let period = match (&args.period, &args.from, &args.to) {
        (Some(p), _, _) if RELATIVE_PERIODS.contains(&p.as_str()) => {
            let (at, from) = match (as_of, data.latest) {
                (Some(t), _) => (t, "--as-of"),
                (None, Some(t)) => (t, "the store's latest record"),
                (None, None) => bail!("--period {p}: the store holds nothing to count it from"),
            };
            let name = absolute_period(p, at, tz).expect("a relative period name");
            let period = Period::parse(&name, tz).map_err(|e| anyhow!("--period: {e}"))?;
            if tell {
                crate::say!(
                    "period: {p} is {name} ({} to {}), counted from {from} ({})",
                    day(period.from),
                    day(period.to - 1),
                    day(at)
                );
            }
            period
        }
        (Some(p), _, _) => Period::parse(p, tz).map_err(|e| {
            anyhow!(
                "--period: {e} (periods also go by {})",
                RELATIVE_PERIODS.join(", ")
            )
        })?,
        (None, Some(from), Some(to)) => {
            let from = period::parse_date(from).map_err(|e| anyhow!("--from: {e}"))?;
            let to = period::parse_date(to).map_err(|e| anyhow!("--to: {e}"))?;
            Period::between(from, to, tz).map_err(|e| anyhow!("{e}"))?
        }
        _ => {
            let latest = data
                .incidents
                .iter()
                .map(|i| i.anchor)
                .max()
                .ok_or_else(|| anyhow!("the store holds no incidents; ingest some first"))?;
            let period = Period::quarter_of(latest, tz).map_err(|e| anyhow!("{e}"))?;
            if tell {
                crate::say!(
                    "period: none given, so the quarter of the latest incident ({}): {} to {} \
                     (--period names another)",
                    day(latest),
                    day(period.from),
                    day(period.to - 1)
                );
            }
            period
        }
    };
    Ok(metrics::Request { period, as_of, tz })
}

fn metrics_command(args: &MetricsArgs, config: &Config) -> Result<ExitCode> {
    let store = Store::at(&args.store.store);
    let _reading = store.require()?;
    let mut data = metrics::Data::load(&store)?;
    if args.pseudonymise {
        crate::privacy::Pseudonyms::of(&store)?.data(&mut data);
    }
    let req = resolve_period(&args.period, &data)?;
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        MetricsFormat::Table
    } else {
        MetricsFormat::Json
    });
    let text = match format {
        // The document carries the findings, which compare with the previous period.
        MetricsFormat::Json => {
            let analysis = crate::analysis::Analysis::of(&data, config, req, &period_label(&req));
            serde_json::to_string_pretty(&analysis.document())? + "\n"
        }
        MetricsFormat::Table => {
            let m = metrics::compute_from(&data, config, req);
            crate::terminal::safe(&metrics::text::render(&m)).into_owned()
        }
    };
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    exiting_with(data);
    Ok(ExitCode::SUCCESS)
}

/// The loaded tables of a command about to exit: the process hands its memory back
/// whole, so freeing millions of rows and names one by one first would only cost time.
fn exiting_with(data: metrics::Data) {
    std::mem::forget(data);
}

fn queries_command() -> Result<ExitCode> {
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

fn query_command(args: &QueryArgs) -> Result<ExitCode> {
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
    let store = Store::at(&args.store.store);
    let _reading = store.require()?;
    let latest = metrics::latest_timestamp(&store)?;
    let p = &args.period;
    if p.period.is_some() || p.from.is_some() || p.as_of.is_some() {
        let data = metrics::Data::load(&store)?;
        let req = resolve_period(p, &data)?;
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
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Csv
    });
    if format == Format::Arrow && std::io::stdout().is_terminal() {
        bail!("--format arrow writes binary Arrow IPC: redirect it to a file (> result.arrow)");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    crate::query::render(&df, format, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

fn synth_command(args: &crate::cli::SynthArgs) -> Result<ExitCode> {
    let opts = crate::synth::Options {
        incidents: args.incidents,
        seed: args.seed,
        messages: args.messages,
        form: args.form,
    };
    let s = crate::synth::write(&args.out, &opts)?;
    for (path, bytes) in &s.files {
        println!("{:>12} bytes  {}", bytes, path.display());
    }
    println!(
        "{} incidents, {} pages, {} action items, {} chat messages; ingest with `incidentlens ingest {}`",
        s.incidents,
        s.pages,
        s.action_items,
        s.messages,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn people_command(args: &crate::cli::PeopleArgs) -> Result<ExitCode> {
    use crate::cli::PeopleFormat;
    let store = Store::at(&args.store.store);
    let _reading = store.require()?;
    let people = crate::privacy::people(&store)?;
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        PeopleFormat::Table
    } else {
        PeopleFormat::Json
    });
    let text = match format {
        PeopleFormat::Json => serde_json::to_string_pretty(&people)? + "\n",
        PeopleFormat::Table => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
            // Long lists of aliases and references wrap within the terminal's width.
            t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            t.set_header(["person", "aliases", "named in", "texts"]);
            // Lists one entry a line, so that the table fits the terminal's width by
            // wrapping only the references; ids and aliases are never split.
            for p in &people {
                let refs: Vec<String> = p
                    .references
                    .iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect();
                // The id, then the name and the e-mail where they say more.
                let mut person = vec![p.person_id.clone()];
                person.extend(p.display_name.clone());
                person.extend(p.email.clone().filter(|e| *e != p.person_id));
                t.add_row(vec![
                    person.join("\n"),
                    p.aliases.join("\n"),
                    refs.join("\n"),
                    p.messages_with_text.to_string(),
                ]);
            }
            for i in [0, 1, 3] {
                if let Some(c) = t.column_mut(i) {
                    c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
                }
            }
            if let Some(c) = t.column_mut(3) {
                c.set_cell_alignment(CellAlignment::Right);
            }
            format!(
                "{}\n{} people; texts: their chat message texts kept (only with ingest \
                 --keep-text).\n",
                crate::terminal::safe(&t.to_string()),
                people.len()
            )
        }
    };
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn forget_command(args: &crate::cli::ForgetArgs) -> Result<ExitCode> {
    let store = Store::at(&args.store.store);
    // Forgetting commits: it must not hold a reader's lock.
    drop(store.require()?);
    let rows = |done: &crate::privacy::Forgotten| {
        let by_table: Vec<String> = done.rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
        format!(
            "{} ({})",
            count(done.rows.values().sum::<usize>() as u64, "row", "rows"),
            by_table.join(", ")
        )
    };
    if !args.yes {
        let plan = crate::privacy::forget(&store, &args.person, false)?;
        crate::say!(
            "forget {} (in the store as {}): would replace every mention of {} by a \
             pseudonym in {}",
            args.person,
            plan.person,
            plan.words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(", "),
            rows(&plan)
        );
        if args.dry_run {
            crate::say!("--dry-run: nothing was changed");
            return Ok(ExitCode::SUCCESS);
        }
        if !std::io::stdin().is_terminal() {
            bail!(
                "forget changes the store for good: pass --yes to confirm (or --dry-run to \
                 only see what it would change)"
            );
        }
        eprint!("This cannot be undone. Forget {}? [y/N] ", args.person);
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
            crate::say!("nothing was changed");
            return Ok(ExitCode::from(1));
        }
    }
    let done = crate::privacy::forget(&store, &args.person, true)?;
    println!(
        "{}",
        crate::terminal::safe(&format!(
            "forgot {}: now {}; changed {}",
            args.person,
            done.pseudonym,
            rows(&done)
        ))
    );
    crate::say!(
        "note: ingesting exports that name this person again brings them back; delete or \
         redact those exports too"
    );
    Ok(ExitCode::SUCCESS)
}

/// How a period is named in a report title: `Q3 2026 (1 Jul – 30 Sep)`.
pub fn period_label(req: &metrics::Request) -> String {
    req.period.human_name(req.tz)
}

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

fn report_command(args: &crate::cli::ReportArgs, config: &Config) -> Result<ExitCode> {
    if let Some(dir) = &args.templates {
        crate::report::check_templates(dir)?;
    }
    // Read before the store: a wrong file fails at once.
    let since = args
        .since_report
        .as_deref()
        .map(crate::followup::from_report)
        .transpose()?;
    let store = Store::at(&args.store.store);
    let _reading = store.require()?;
    let mut data = metrics::Data::load(&store)?;
    if args.pseudonymise {
        crate::privacy::Pseudonyms::of(&store)?.data(&mut data);
    }
    let req = resolve_period(&args.period, &data)?;
    let (format, out) = report_target(args.format, args.out.as_deref())?;
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
    let label = period_label(&req);
    let templates = args.templates.as_deref();
    let mut analysis = crate::analysis::Analysis::of(&data, config, req, &label);
    if let (Some(file), Some(since)) = (&args.since_report, since) {
        analysis.follow_since(since, file)?;
    }
    crate::report::write(&analysis, subject, format, templates, &out)?;
    crate::timing::lap("report: write");
    println!("wrote {}", out.display());
    std::mem::forget(analysis);
    exiting_with(data);
    Ok(ExitCode::SUCCESS)
}

fn review_command(args: &crate::cli::ReviewArgs, config: &Config) -> Result<ExitCode> {
    let store = Store::at(&args.store.store);
    let _reading = store.require()?;
    let mut data = metrics::Data::load(&store)?;
    if args.pseudonymise {
        crate::privacy::Pseudonyms::of(&store)?.data(&mut data);
    }
    let req = resolve_period(&args.period, &data)?;
    let label = period_label(&req);
    let analysis = crate::analysis::Analysis::of(&data, config, req, &label);
    let review = crate::review::run(&analysis, args.policy.as_deref(), &args.out)?;
    for o in &review.outcomes {
        let observed = o
            .observed
            .map_or("none".into(), |x| crate::findings::trim(x, 3));
        crate::say!(
            "{}: {} {} {} (observed {observed})",
            o.status,
            o.rule.metric,
            o.rule.op,
            o.rule.value
        );
    }
    println!("wrote {}", args.out.display());
    if review.incidents == 0 {
        // Nothing to review is not a pass: a CI job pointed at the wrong period (or an
        // empty export) should not go green.
        crate::say!(
            "error: no incidents in {label}; {}; the review holds nothing to judge",
            match crate::report::incident_span(&data) {
                Some((from, to)) => format!("the store's incidents run from {from} to {to}"),
                None => "the store holds no incidents".into(),
            }
        );
        return Ok(ExitCode::from(3));
    }
    Ok(if review.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn init_command(args: &InitArgs) -> Result<ExitCode> {
    let (default, text, what) = if args.policy {
        (
            "policy.toml",
            crate::policy::EXAMPLE,
            "an example review policy",
        )
    } else {
        (
            crate::config::DEFAULT_FILE,
            crate::config::TEMPLATE,
            "every setting at its default, commented",
        )
    };
    let out = args.out.clone().unwrap_or_else(|| default.into());
    if out.exists() && !args.force {
        bail!("{} exists; pass --force to overwrite it", out.display());
    }
    crate::output::write_atomic(&out, text)?;
    println!("wrote {} ({what})", out.display());
    Ok(ExitCode::SUCCESS)
}

fn ingest_command(args: &IngestArgs, config: &Config) -> Result<ExitCode> {
    let (inputs, skipped) = ingest::collect_inputs(&args.paths)?;
    let store = Store::at(&args.store.store);
    let table = args
        .table
        .as_deref()
        .map(|t| crate::schema::Table::from_name(t).expect("clap checked the name"));
    let source = match (&args.source, table) {
        (Some(s), Some(_)) if s != crate::sources::canonical::SOURCE => {
            bail!("--table reads canonical tables; it does not go with --source {s}")
        }
        (_, Some(_)) => Some(crate::sources::canonical::SOURCE.to_string()),
        (s, None) => s.clone(),
    };
    let opts = ingest::Options {
        source,
        table,
        strict: args.strict,
        force: args.force,
        keep_text: args.keep_text,
        progress: std::io::stderr().is_terminal(),
        timezone: args.timezone.clone(),
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

/// An accounting table: a line per (file, what) with its counts, right-aligned; the
/// skipped column only when some record was skipped.
fn accounting_table(
    what: &str,
    lines: impl IntoIterator<Item = (String, String, ingest::Tally)>,
) -> TextTable {
    let lines: Vec<_> = lines.into_iter().collect();
    let skipped = lines.iter().any(|(_, _, n)| n.skipped > 0);
    let mut t = TextTable::new();
    t.load_preset(presets::ASCII_MARKDOWN);
    let mut header = vec!["file", what, "read", "ingested", "duplicate", "pending"];
    header.extend(skipped.then_some("skipped"));
    header.push("rejected");
    let columns = header.len();
    t.set_header(header);
    for (file, label, n) in lines {
        let mut counts = vec![n.read, n.ingested, n.duplicate, n.pending];
        counts.extend(skipped.then_some(n.skipped));
        counts.push(n.rejected);
        let mut row = vec![file, label];
        row.extend(counts.into_iter().map(crate::words::thousands));
        t.add_row(row);
    }
    for i in 2..columns {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// Prints the per-file accounting (stdout), then problems (stderr).
pub fn print_report(report: &ingest::Report, strict: bool) {
    for note in &report.notes {
        crate::say!("note: {note}");
    }
    let files = report.files.iter().map(|f| {
        let status = match (&f.error, f.unchanged) {
            (Some(_), _) => "error".to_string(),
            (None, true) => format!("{} (unchanged)", f.source),
            (None, false) => f.source.clone(),
        };
        (f.file.clone(), status, f.counts)
    });
    println!(
        "{}",
        crate::terminal::safe(&accounting_table("source", files).to_string())
    );
    // What the records yield, kind by kind: nested records (status updates, log
    // entries) are counted here one by one, so a collapse or a drop shows.
    let kinds: Vec<_> = report
        .files
        .iter()
        .flat_map(|f| {
            f.kinds
                .iter()
                .map(|(table, n)| (f.file.clone(), table.name().to_string(), *n))
        })
        .collect();
    if !kinds.is_empty() {
        println!(
            "\n{}",
            crate::terminal::safe(&accounting_table("rows of", kinds).to_string())
        );
    }
    if report.attached > 0 {
        crate::say!(
            "note: {} kept by earlier runs until their incident was known {} stored",
            count(report.attached, "record", "records"),
            if report.attached == 1 { "was" } else { "were" }
        );
    }
    if report.still_pending > 0 {
        crate::say!(
            "note: {} for an incident no ingest has brought yet (query the pending \
             table); the ingest that brings it stores {}",
            count(report.still_pending, "record waits", "records wait"),
            if report.still_pending == 1 {
                "it"
            } else {
                "them"
            }
        );
    }
    for f in &report.files {
        for w in &f.warnings {
            crate::say!("warning: {}: {w}", f.file);
        }
        if let Some(e) = &f.error {
            crate::say!("error: {}: {e}", f.file);
        }
        if let Some((at, unread)) = &f.cut {
            let bytes = unread.map_or(String::new(), |n| format!(" ({n} bytes)"));
            crate::say!(
                "error: {}: reading stopped at {at}: the rest of the file{bytes} was not read \
                 (the records before it were ingested)",
                f.file
            );
        }
    }
    let unknown = |f: &&ingest::FileReport| {
        f.error
            .as_deref()
            .is_some_and(|e| e.starts_with(crate::sources::NOT_RECOGNISED))
    };
    if report.files.iter().any(|f| unknown(&f)) {
        crate::say!(
            "the formats tried (pass --source NAME to read a file as one of them):\n{}",
            crate::sources::formats()
        );
    }
    // Skipped files, a line per reason with how many and the first.
    let mut reasons: Vec<(&str, usize, &str)> = Vec::new();
    for (file, why) in &report.skipped {
        match reasons.iter_mut().find(|(w, _, _)| w == why) {
            Some(r) => r.1 += 1,
            None => reasons.push((why, 1, file)),
        }
    }
    for (why, n, first) in reasons {
        crate::say!(
            "note: skipped {}: {why}; e.g. {first}",
            count(n as u64, "file", "files")
        );
    }
    const SHOWN: usize = 10;
    // Skipped records, then rejects: a line per file and reason, with how many and
    // where the first few are (every reject is also in the store's rejects table).
    for f in &report.files {
        for (why, e) in &f.skips {
            crate::say!("skipped: {}", grouped(&f.file, why, e));
        }
    }
    let mut rejects: Vec<(&str, &str, ingest::Examples)> = Vec::new();
    for (file, r) in &report.rejects {
        match rejects
            .iter_mut()
            .find(|(f, why, _)| *f == file.as_str() && *why == r.reason.as_str())
        {
            Some((_, _, e)) => e.add(&r.location),
            None => {
                let mut e = ingest::Examples::default();
                e.add(&r.location);
                rejects.push((file, &r.reason, e));
            }
        }
    }
    for (file, why, e) in rejects.iter().take(SHOWN) {
        crate::say!("rejected: {}", grouped(file, why, e));
    }
    if rejects.len() > SHOWN {
        crate::say!(
            "… and {} more; every reject is in the store's rejects table",
            count(
                (rejects.len() - SHOWN) as u64,
                "reason or file",
                "reasons or files"
            )
        );
    }
    let l = &report.links;
    if l.linked_channels + l.linked_tickets + l.linked_incidents > 0
        || !l.dangling.is_empty()
        || !l.ambiguous.is_empty()
    {
        let same = if l.linked_incidents > 0 {
            format!(
                "{} found in two sources; ",
                count(l.linked_incidents as u64, "incident", "incidents")
            )
        } else {
            String::new()
        };
        crate::say!(
            "links: {same}{} and {} linked; {} dangling; {} ambiguous",
            count(
                l.linked_channels as u64,
                "incident channel",
                "incident channels"
            ),
            count(l.linked_tickets as u64, "ticket", "tickets"),
            l.dangling.len(),
            l.ambiguous.len()
        );
        for (what, list) in [("dangling", &l.dangling), ("ambiguous", &l.ambiguous)] {
            for d in list.iter().take(SHOWN) {
                crate::say!("  {what}: {d}");
            }
            if list.len() > SHOWN {
                crate::say!("  … and {} more {what} links", list.len() - SHOWN);
            }
        }
    }
    if strict && !report.rejects.is_empty() {
        crate::say!(
            "error: --strict: {} rejected; nothing was written",
            count(report.rejects.len() as u64, "record", "records")
        );
    }
}

/// `FILE: LOCATION: WHY` for one record; `FILE: 12 records: WHY (at $[0], $[3], $[7],
/// …)` for several.
fn grouped(file: &str, why: &str, e: &ingest::Examples) -> String {
    if e.count == 1 {
        return format!("{file}: {}: {why}", e.first.join(""));
    }
    let more = if e.count > e.first.len() as u64 {
        ", …"
    } else {
        ""
    };
    format!(
        "{file}: {}: {why} (at {}{more})",
        count(e.count, "record", "records"),
        e.first.join(", ")
    )
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
