//! The commands: one module each with its `run` (as mdBook's `cmd/`), and the step most
//! of them share, [`Opened`]: the period flags checked, the store opened for reading and
//! loaded, people pseudonymised when asked, the period resolved.

mod demo;
mod forget;
mod ingest;
mod init;
mod metrics;
mod people;
mod period;
mod query;
mod report;
mod review;
mod synth;

use crate::cli::{Cli, Command, PeriodArgs, StoreArg};
use crate::config::Config;
use crate::metrics::{Data, Request};
use crate::store::{ReadLock, Store};
use anyhow::Result;
use std::process::ExitCode;

pub use period::period_label;

pub fn run(cli: Cli) -> Result<ExitCode> {
    // Completions and the man page describe the CLI; they need no settings.
    if matches!(cli.command, Command::Completions { .. } | Command::Man) {
        return describe(&cli.command);
    }
    crate::timing::start();
    let config = Config::load(cli.config.as_deref())?;
    let outcome = match cli.command {
        Command::Ingest(args) => ingest::run(&args, &config),
        Command::Metrics(args) => metrics::run(&args, &config),
        Command::Queries => query::list(),
        Command::Query(args) => query::run(&args),
        Command::Report(args) => report::run(&args, &config),
        Command::Review(args) => review::run(&args, &config),
        Command::People(args) => people::run(&args),
        Command::Forget(args) => forget::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Completions { .. } | Command::Man => describe(&cli.command),
        Command::Demo(args) => demo::run(&args.out, &config),
        Command::Synth(args) => synth::run(&args),
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

/// The output format: the one given, else `terminal` when stdout is one (a person
/// reading), else `piped` (a program reading).
pub fn format_or<F>(given: Option<F>, terminal: F, piped: F) -> F {
    use std::io::IsTerminal;
    given.unwrap_or(if std::io::stdout().is_terminal() {
        terminal
    } else {
        piped
    })
}

/// A store opened for reading: its read lock held, its tables loaded (people
/// pseudonymised when asked), and the period resolved. The period flags are checked
/// before the store is opened.
pub struct Opened {
    pub store: Store,
    _reading: ReadLock,
    pub data: Data,
    pub req: Request,
}

impl Opened {
    pub fn at(store: &StoreArg, period: &PeriodArgs, pseudonymise: bool) -> Result<Opened> {
        let flags = period::Flags::check(period)?;
        let store = Store::at(&store.store);
        let reading = store.require()?;
        let mut data = Data::load(&store)?;
        if pseudonymise {
            crate::privacy::Pseudonyms::of(&store)?.data(&mut data);
        }
        let req = flags.resolve(&data, true)?;
        Ok(Opened {
            store,
            _reading: reading,
            data,
            req,
        })
    }

    /// The period's name in titles.
    pub fn label(&self) -> String {
        period_label(&self.req)
    }
}

/// The loaded tables of a command about to exit: the process hands its memory back
/// whole, so freeing millions of rows and names one by one first would only cost time.
fn exiting_with<T>(data: T) {
    std::mem::forget(data);
}
