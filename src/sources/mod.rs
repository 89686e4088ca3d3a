//! Source adapters: one per export format, behind the one [`Source`] trait, and the one
//! list of them, [`all`].
//!
//! An adapter recognises its format from a file's name and first bytes, and turns each
//! input record into canonical rows or a reject. It never writes to the store and never
//! decides what is a duplicate: the store does that, the same way for every source.

pub mod backstage;
pub mod canonical;
pub mod firehydrant;
pub mod github;
pub mod incidentio;
pub mod jira;
pub mod jira_csv;
pub mod json;
pub mod mattermost;
pub mod opsgenie;
pub mod opsgenie_csv;
pub mod pagerduty;
pub mod pagerduty_csv;
pub mod platform;
pub mod rootly;
pub mod servicenow;
pub mod servicenow_csv;
pub mod slack;
pub mod statuspage;
pub mod table_csv;
pub mod ticket;

use crate::config::Config;
use crate::record::{Item, Row, Value};
use crate::schema::{col, Table};
use compact_str::format_compact;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How many bytes of a file the detectors see.
const HEAD_BYTES: usize = 64 * 1024;

/// A file offered to the adapters.
#[derive(Debug)]
pub struct Input {
    pub path: PathBuf,
    /// How the file is named to the user and in the store (the path as given).
    pub display: String,
    /// The first bytes of the file, for detection.
    pub head: Vec<u8>,
}

impl Input {
    /// Opens a file (its head read for detection) or an export folder (no head).
    pub fn open(path: &Path, display: String) -> std::io::Result<Input> {
        let mut head = Vec::with_capacity(HEAD_BYTES);
        if !path.is_dir() {
            std::fs::File::open(path)?
                .take(HEAD_BYTES as u64)
                .read_to_end(&mut head)?;
        }
        Ok(Input {
            path: path.to_path_buf(),
            display,
            head,
        })
    }

    /// The file name, lower-cased, without its directory.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default()
    }
}

/// What an adapter may consult while reading.
pub struct Context<'a> {
    pub config: &'a Config,
    /// Keep chat message text (off by default: it is personal data).
    pub keep_text: bool,
}

impl Context<'_> {
    /// The zone configured for a source's offset-less timestamps, if any.
    pub fn zone_of(&self, source: &str) -> Result<Option<chrono_tz::Tz>, FileError> {
        match self.config.sources.timezone(source) {
            None => Ok(None),
            Some(z) => crate::time::parse_zone(z)
                .map(Some)
                .map_err(|e| FileError::new("config", format!("sources.{source}.timezone: {e}"))),
        }
    }
}

/// A whole file that cannot be read: nothing from it is used.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}")]
pub struct FileError {
    /// `line 1`, `$`, or `file` when the problem is the file as a whole.
    pub location: String,
    pub message: String,
}

impl FileError {
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> FileError {
        FileError {
            location: location.into(),
            message: message.into(),
        }
    }
}

impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> FileError {
        FileError::new("file", format!("cannot read: {e}"))
    }
}

/// One export format.
pub trait Source: Sync {
    /// The source's name: its file stem here, its `--source` value, its fixture folder.
    fn name(&self) -> &'static str;

    /// A short description of the files it reads, for "formats tried" messages.
    fn describe(&self) -> &'static str;

    /// Whether `input` looks like this format.
    fn detect(&self, input: &Input) -> bool;

    /// Reads the file, handing each input record to `emit`. Returns warnings about the
    /// file as a whole (unknown columns, say) that do not stop it from being read.
    ///
    /// An `Err` means the file as a whole is unusable, and is returned before the first
    /// record is emitted; a bad record later in the file is an [`Item::Reject`].
    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError>;
}

/// The incident row every source starts from: its identity set, drill and maintenance
/// flags false until the source says otherwise.
pub fn incident_row(source: &str, external_id: &str) -> Row {
    Row::new(Table::Incidents)
        .with(
            col::INCIDENT_ID,
            Value::text(format_compact!("{source}:{external_id}")),
        )
        .with(col::SOURCE, Value::text(source))
        .with(col::EXTERNAL_ID, Value::text(external_id))
        .with(col::IS_DRILL, Value::Bool(false))
        .with(col::IS_MAINTENANCE, Value::Bool(false))
}

/// An incident's severity cells from a raw label, mapped through the configuration
/// (the label is kept; a label no rule knows leaves the severity unknown).
pub fn severity_cells(raw: Option<&str>, ctx: &Context) -> [(&'static str, Value); 2] {
    let sev = raw.and_then(|r| crate::normalize::severity(r, &ctx.config.severity.map));
    [
        (col::SEVERITY, Value::opt_text(sev)),
        (col::SEVERITY_RAW, Value::opt_text(raw)),
    ]
}

/// A person as a source's user export (or a ticket's assignee) describes them: known by
/// the lower-cased e-mail when there is one, else by the source id `alias`, which is
/// kept among the aliases either way so that references by id resolve to the person.
pub fn person_row(alias: String, email: Option<&str>, name: Option<&str>) -> Row {
    Row::new(Table::People)
        .with(
            col::PERSON_ID,
            Value::text(email.map_or(alias.clone(), str::to_lowercase)),
        )
        .with(col::DISPLAY_NAME, Value::opt_text(name))
        .with(col::EMAIL, Value::opt_text(email))
        .with(col::ALIASES, Value::List(vec![alias]))
}

/// An incident × service row.
pub fn service_row(incident_id: &str, service: &str) -> Row {
    Row::new(Table::IncidentServices)
        .with(col::INCIDENT_ID, Value::text(incident_id))
        .with(col::SERVICE, Value::text(service))
}

/// A responder participation, with its first and last activity when known.
pub fn responder_row(
    incident_id: &str,
    person: &str,
    first: Option<i64>,
    last: Option<i64>,
    source: &str,
) -> Row {
    Row::new(Table::Participants)
        .with(col::INCIDENT_ID, Value::text(incident_id))
        .with(col::PERSON_ID, Value::text(person))
        .with(col::ROLE, Value::text("responder"))
        .with(col::FIRST_ACTIVE_AT, Value::opt_ts(first))
        .with(col::LAST_ACTIVE_AT, Value::opt_ts(last))
        .with(col::SOURCE, Value::text(source))
}

/// Every source, in detection order: formats recognised by their content first (tickets
/// and incident platforms before pagers, whose detection looks for words a ticket or an
/// alert may quote; the status page and FireHydrant before incident.io, which shares key
/// names with them), the canonical form (recognised by its file name) last.
pub fn all() -> &'static [&'static dyn Source] {
    &[
        &slack::Slack,
        &mattermost::Mattermost,
        &jira::Jira,
        &jira_csv::JiraCsv,
        &servicenow::ServiceNow,
        &servicenow_csv::ServiceNowCsv,
        &github::GitHub,
        &statuspage::Statuspage,
        &firehydrant::FireHydrant,
        &incidentio::IncidentIo,
        &rootly::Rootly,
        &backstage::Backstage,
        &pagerduty::PagerDuty,
        &pagerduty_csv::PagerDutyCsv,
        &opsgenie::Opsgenie,
        &opsgenie_csv::OpsgenieCsv,
        &canonical::Canonical,
    ]
}

pub fn by_name(name: &str) -> Option<&'static dyn Source> {
    all().iter().copied().find(|s| s.name() == name)
}

/// The source that recognises `input`, or a message naming the formats tried.
pub fn detect(input: &Input) -> Result<&'static dyn Source, String> {
    if input.head.is_empty() && !input.path.is_dir() {
        return Err("the file is empty".to_string());
    }
    all()
        .iter()
        .copied()
        .find(|s| s.detect(input))
        .ok_or_else(|| {
            let tried: Vec<String> = all()
                .iter()
                .map(|s| format!("{} ({})", s.name(), s.describe()))
                .collect();
            format!("format not recognised; tried: {}", tried.join("; "))
        })
}
