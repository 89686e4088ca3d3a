//! The command line: clap types only. Work happens in the modules these values reach.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Cross-incident analytics: ingest pager, chat, ticket and status-page exports into one
/// Parquet data set.
#[derive(Debug, Parser)]
#[command(name = "incidentlens", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Settings file (./incidentlens.toml when it exists)
    #[arg(
        long,
        global = true,
        env = "INCIDENTLENS_CONFIG",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read export files and folders into the store, and account for every record
    #[command(
        after_help = "Every file gets a line: records read = ingested + duplicate + \
        pending + skipped + rejected. Rejects are kept in the store's `rejects` table with file, line or JSON \
        path, and reason. Exit status: 0 success, 2 when a file could not be read (or, with \
        --strict, on any reject)."
    )]
    Ingest(IngestArgs),
    /// Compute every metric family for a period
    #[command(
        after_help = "Definitions: docs/metrics.md in the repository (the report's appendix prints a short \
        form). Without --period or --from/--to, the period is the calendar quarter of the \
        latest incident in the store. as_of defaults to the period's end, or the latest \
        timestamp in the store if that is earlier: never the current time."
    )]
    Metrics(MetricsArgs),
    /// List the named queries with their descriptions and parameters
    Queries,
    /// Run a named query, or your own SQL, over the store
    #[command(
        after_help = "Tables: incidents, incident_services, incident_tags, incident_links, \
        participants, pages, events, action_items, retros, messages, people, services, \
        ingest_runs, rejects, link_issues (channels and tickets that link ambiguously or \
        to nothing). \
        Parameters are typed and reach the SQL only as quoted literals. --period sets the \
        since/until/as_of parameters a query declares."
    )]
    Query(QueryArgs),
    /// Write a narrative report: headline insight, ranked findings with charts,
    /// decisions asked, data quality, definitions and provenance
    Report(ReportArgs),
    /// The quarterly review for CI: reports, metrics.json, policy checks, summary.md
    #[command(
        after_help = "Exit status: 0 when every policy rule passes (or there is no policy), \
        1 when a rule fails, 2 on error. Reads the store; ingests nothing."
    )]
    Review(ReviewArgs),
    /// List the personal data the store holds: every person, and where they are named
    People(PeopleArgs),
    /// Remove a person's identity from the store (replaced by a pseudonym), for
    /// data-protection requests
    #[command(
        after_help = "The person's people row keeps only team, function and time zone; every \
        reference to them (person id, e-mail, source aliases) names a random pseudonym; \
        their kept message texts and reject excerpts naming them are cleared. Exports \
        ingested again would bring the person back: delete or redact them too."
    )]
    Forget(ForgetArgs),
    /// Write a commented incidentlens.toml with every setting at its default
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, …)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
    /// Run the whole pipeline on the sample organisation built into the binary
    Demo(DemoArgs),
    /// Write a synthetic organisation's exports in the real vendor formats (for
    /// benchmarks and trials)
    #[command(
        after_help = "Writes pagerduty/incidents.json, users.json, oncalls.json and \
        alerts.json, slack/export.zip, jira/search.json, statuspage/incidents.json, \
        people.csv and services.csv: about 10 pages, 4 follow-ups and --messages chat \
        messages per incident, over two years; weekly on-call rotations; each incident's \
        alert, and a flapping alert after every seventh that opens none; \
        github/deployments.json (some deployments induce an incident two hours later) and \
        incident_tags.csv (each incident's cause). \
        --pagerduty-log and --layout choose how the exports are laid out, as real exports \
        differ (the same records whichever is chosen). The same --seed gives \
        byte-identical files. With --form canonical, the same organisation \
        as canonical CSV tables (incidents.csv, pages.csv, events.csv, …), written from what \
        was drawn rather than from the vendor files: both ingest to the same metrics."
    )]
    Synth(SynthArgs),
}

/// The period flags shared by metrics, report, query and review.
#[derive(Debug, Args, Clone)]
pub struct PeriodArgs {
    /// A quarter (2026-Q3), a month (2026-07) or a year (2026); or last-month,
    /// this-month, last-quarter, this-quarter, last-year, this-year, counted from
    /// --as-of (else the store's latest record)
    #[arg(long, value_name = "P", conflicts_with_all = ["from", "to"])]
    pub period: Option<String>,

    /// First day of the period (YYYY-MM-DD), with --to
    #[arg(long, value_name = "DATE", requires = "to")]
    pub from: Option<String>,

    /// Day after the period's last day (YYYY-MM-DD), with --from
    #[arg(long, value_name = "DATE", requires = "from")]
    pub to: Option<String>,

    /// The instant open work is judged at (timestamp with zone, or a date)
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,

    /// IANA zone of period boundaries and business days
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,
}

impl Default for PeriodArgs {
    fn default() -> Self {
        PeriodArgs {
            period: None,
            from: None,
            to: None,
            as_of: None,
            tz: "UTC".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricsFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    #[command(flatten)]
    pub store: StoreArg,

    #[command(flatten)]
    pub period: PeriodArgs,

    /// Output format [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    pub format: Option<MetricsFormat>,

    /// Replace people with stable pseudonyms ("Person 3")
    #[arg(long)]
    pub pseudonymise: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["name", "sql", "file"])))]
pub struct QueryArgs {
    /// A named query (see `incidentlens queries`)
    pub name: Option<String>,

    /// Your own SQL
    #[arg(long, value_name = "SQL")]
    pub sql: Option<String>,

    /// A file of SQL (a header like the named queries' declares its parameters)
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// A parameter value, as NAME=VALUE (repeatable)
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,

    #[command(flatten)]
    pub store: StoreArg,

    #[command(flatten)]
    pub period: PeriodArgs,

    /// Replace every cell that names a person (id, e-mail, name, alias) with a stable
    /// pseudonym ("Person 3")
    #[arg(long)]
    pub pseudonymise: bool,

    /// Output format (arrow: an Arrow IPC file for pyarrow and other Arrow readers)
    /// [default: table on a terminal, csv otherwise]
    #[arg(long, value_enum)]
    pub format: Option<QueryFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Audience {
    // Leadership: the top insight first, no individual named.
    Exec,
    // One team (--team): its incidents, open work with owners, retro backlog, load.
    Team,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Who the report is for: exec (leadership, no individual named) or team (one team's
    /// incidents, open work with owners, retro backlog and load) [default: exec, or team
    /// with --team]
    #[arg(long, value_enum)]
    pub audience: Option<Audience>,

    #[command(flatten)]
    pub store: StoreArg,

    #[command(flatten)]
    pub period: PeriodArgs,

    /// HTML (one self-contained file) or Markdown (charts as SVG files beside it)
    /// [default: from --out's extension (.md, .markdown), else html]
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,

    /// Where to write it [default: report.html or report.md]
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// A folder of templates overriding the built-in ones, file by file
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// The team, for a team report (implies --audience team)
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,

    /// Replace people's names with stable pseudonyms ("Person 3")
    #[arg(long)]
    pub pseudonymise: bool,

    /// Follow up the decisions the previous report asked for as its metrics.json (from
    /// `review`, or `metrics --format json`) records them, instead of computing them
    /// from the store (for a store whose data changed since)
    #[arg(long, value_name = "FILE")]
    pub since_report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub store: StoreArg,

    #[command(flatten)]
    pub period: PeriodArgs,

    /// Policy rules to check (TOML; `incidentlens init --policy` writes an example)
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// The folder for the artifacts
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Replace people with stable pseudonyms ("Person 3") in every artifact
    #[arg(long)]
    pub pseudonymise: bool,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// How many incidents
    #[arg(long, value_name = "N")]
    pub incidents: usize,

    /// The generator's seed
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Chat messages per incident channel, on average
    #[arg(long, value_name = "M", default_value_t = 100)]
    pub messages: usize,

    /// The folder to write into
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// vendor: the vendors' export formats; canonical: the same organisation as canonical
    /// CSV tables, written from what the generator drew
    #[arg(long, value_enum, default_value_t = SynthForm::Vendor)]
    pub form: SynthForm,

    /// Where PagerDuty's log entries go: inside their incidents, one file per incident
    /// (pagerduty/log_entries/), or one account-wide pagerduty/log_entries.json
    #[arg(long, value_enum, value_name = "WHERE", default_value_t = SynthPagerLog::Embedded)]
    pub pagerduty_log: SynthPagerLog,

    /// How the JSON exports hold their records: an object with an array under a key, a
    /// bare array, an array of API pages, the pages one document after another, or JSON
    /// Lines (Slack's export keeps its own layout)
    #[arg(long, value_enum, value_name = "LAYOUT", default_value_t = SynthLayout::Object)]
    pub layout: SynthLayout,

    /// Jira's issues as the search API's JSON (jira/search.json), or as the web UI's
    /// CSV export (jira/issues.csv: dates to the minute in UTC; ingest it with
    /// --timezone UTC)
    #[arg(long, value_enum, value_name = "FORM", default_value_t = SynthTickets::JiraJson)]
    pub tickets: SynthTickets,

    /// Also write the same incidents as these tools export them, each a source of its
    /// own (ingest one of them alone, or beside the rest to have them counted as
    /// incidents of their own): opsgenie/ (v1 incidents, v2 alerts), incidentio/
    /// (/v2/incidents), servicenow/incidents.csv (a list export),
    /// servicenow/event_log.csv (a row per update; dates without a zone: ingest with
    /// --timezone UTC)
    #[arg(long, value_enum, value_name = "TOOL", value_delimiter = ',')]
    pub also: Vec<SynthAlso>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PeopleFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct PeopleArgs {
    #[command(flatten)]
    pub store: StoreArg,

    /// Output format [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    pub format: Option<PeopleFormat>,
}

#[derive(Debug, Args)]
pub struct ForgetArgs {
    #[command(flatten)]
    pub store: StoreArg,

    /// The person's e-mail (or person id, as `people` lists it)
    #[arg(long, value_name = "EMAIL")]
    pub person: String,

    /// Show what would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation (needed when stdin is not a terminal)
    #[arg(long, conflicts_with = "dry_run")]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write [default: incidentlens.toml, or policy.toml with --policy]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Write an example review policy instead of the settings
    #[arg(long)]
    pub policy: bool,

    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct StoreArg {
    /// The store folder
    #[arg(
        long,
        env = "INCIDENTLENS_STORE",
        hide_env_values = true,
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
    #[arg(long, value_name = "KIND", value_parser = source_names())]
    pub source: Option<String>,

    /// Read every file as this canonical table, whatever its name (for `acme
    /// export.csv`); implies --source canonical
    #[arg(long, value_name = "TABLE", value_parser = table_names())]
    pub table: Option<String>,

    /// Fail (exit 2, nothing written) when any record is rejected
    #[arg(long)]
    pub strict: bool,

    /// Parse files again even when the same content was ingested before
    #[arg(long)]
    pub force: bool,

    /// Keep chat message text in the store (off by default: it is personal data)
    #[arg(long)]
    pub keep_text: bool,

    /// Read timestamps that carry no offset in this IANA zone (e.g. Europe/Berlin), for
    /// every source whose [sources.NAME] timezone in the config names none
    #[arg(long, value_name = "ZONE", value_parser = zone)]
    pub timezone: Option<String>,
}

/// An IANA zone name, checked before any work starts.
fn zone(s: &str) -> Result<String, String> {
    crate::time::parse_zone(s).map(|_| s.trim().to_string())
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The folder for the demo's exports, store and reports (rebuilt on every run)
    #[arg(long, value_name = "DIR", default_value = "incidentlens-demo")]
    pub out: PathBuf,
}

/// The `--table` values: every canonical data table's name.
fn table_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        crate::schema::Table::ALL
            .iter()
            .filter(|t| t.is_data())
            .map(|t| t.name()),
    )
}

/// The `--source` values: every source's name.
fn source_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(crate::sources::all().iter().map(|s| s.name()))
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

/// `report --format`: the values clap offers, mapped onto the report's own type (clap
/// stays in this module).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Html,
    Md,
}

impl From<ReportFormat> for crate::report::Format {
    fn from(f: ReportFormat) -> Self {
        match f {
            ReportFormat::Html => crate::report::Format::Html,
            ReportFormat::Md => crate::report::Format::Md,
        }
    }
}

/// `query --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    Table,
    Csv,
    Json,
    // An Arrow IPC file, for pyarrow and other Arrow readers.
    Arrow,
}

impl From<QueryFormat> for crate::query::Format {
    fn from(f: QueryFormat) -> Self {
        use crate::query::Format;
        match f {
            QueryFormat::Table => Format::Table,
            QueryFormat::Csv => Format::Csv,
            QueryFormat::Json => Format::Json,
            QueryFormat::Arrow => Format::Arrow,
        }
    }
}

/// `synth --form`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SynthForm {
    // The vendors' export formats.
    Vendor,
    // The canonical tables as CSV, written from what the generator drew (not from the
    // vendor files).
    Canonical,
}

impl From<SynthForm> for crate::synth::Form {
    fn from(f: SynthForm) -> Self {
        match f {
            SynthForm::Vendor => crate::synth::Form::Vendor,
            SynthForm::Canonical => crate::synth::Form::Canonical,
        }
    }
}

/// `synth --pagerduty-log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SynthPagerLog {
    Embedded,
    PerIncident,
    Global,
}

impl From<SynthPagerLog> for crate::synth::PagerLog {
    fn from(l: SynthPagerLog) -> Self {
        match l {
            SynthPagerLog::Embedded => crate::synth::PagerLog::Embedded,
            SynthPagerLog::PerIncident => crate::synth::PagerLog::PerIncident,
            SynthPagerLog::Global => crate::synth::PagerLog::Global,
        }
    }
}

/// `synth --layout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SynthLayout {
    Object,
    Array,
    Pages,
    Documents,
    Lines,
}

impl From<SynthLayout> for crate::synth::Layout {
    fn from(l: SynthLayout) -> Self {
        match l {
            SynthLayout::Object => crate::synth::Layout::Object,
            SynthLayout::Array => crate::synth::Layout::Array,
            SynthLayout::Pages => crate::synth::Layout::Pages,
            SynthLayout::Documents => crate::synth::Layout::Documents,
            SynthLayout::Lines => crate::synth::Layout::Lines,
        }
    }
}

/// `synth --also`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SynthAlso {
    Opsgenie,
    IncidentIo,
    ServicenowCsv,
    ServicenowLog,
}

/// The tools `synth --also` names.
pub fn also(tools: &[SynthAlso]) -> crate::synth::Also {
    crate::synth::Also {
        opsgenie: tools.contains(&SynthAlso::Opsgenie),
        incidentio: tools.contains(&SynthAlso::IncidentIo),
        servicenow_csv: tools.contains(&SynthAlso::ServicenowCsv),
        servicenow_log: tools.contains(&SynthAlso::ServicenowLog),
    }
}

/// `synth --tickets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SynthTickets {
    JiraJson,
    JiraCsv,
}

impl From<SynthTickets> for crate::synth::Tickets {
    fn from(t: SynthTickets) -> Self {
        match t {
            SynthTickets::JiraJson => crate::synth::Tickets::JiraJson,
            SynthTickets::JiraCsv => crate::synth::Tickets::JiraCsv,
        }
    }
}
