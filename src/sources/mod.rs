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

/// A gzip-compressed export is inflated to at most this many bytes; a larger one is
/// refused as a possible decompression bomb.
pub const MAX_GZIP_BYTES: u64 = 8 << 30;

/// A file offered to the adapters.
#[derive(Debug)]
pub struct Input {
    /// The file the adapter reads: the file given, or a gzip-compressed one inflated to a
    /// temporary file (removed with the input).
    pub path: PathBuf,
    /// How the file is named to the user and in the store (the path as given).
    pub display: String,
    /// The first bytes of the file, for detection.
    pub head: Vec<u8>,
    /// The file name, lower-cased, without its directory and a `.gz` ending.
    name: String,
    _inflated: Option<tempfile::TempPath>,
}

impl Input {
    /// Opens a file (its head read for detection) or an export folder (no head). A
    /// gzip-compressed file (`.json.gz`, `.csv.gz`, `.jsonl.gz`) is inflated first, so
    /// every adapter reads it as it reads the plain file.
    pub fn open(path: &Path, display: String) -> std::io::Result<Input> {
        let mut name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let mut input = Input {
            path: path.to_path_buf(),
            display,
            head: Vec::with_capacity(HEAD_BYTES),
            name: String::new(),
            _inflated: None,
        };
        if !path.is_dir() {
            let mut magic = [0u8; 2];
            let n = std::fs::File::open(path)?.read(&mut magic)?;
            if n == 2 && magic == [0x1f, 0x8b] {
                let inflated = inflate(path)?;
                input.path = inflated.to_path_buf();
                input._inflated = Some(inflated);
                if let Some(stem) = name.strip_suffix(".gz") {
                    name = stem.to_string();
                }
            }
            std::fs::File::open(&input.path)?
                .take(HEAD_BYTES as u64)
                .read_to_end(&mut input.head)?;
        }
        input.name = name;
        Ok(input)
    }

    /// An input whose head is given rather than read (tests of detection).
    pub fn with_head(path: PathBuf, display: String, head: Vec<u8>) -> Input {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        Input {
            path,
            display,
            head,
            name,
            _inflated: None,
        }
    }

    /// Whether the file is named as JSON: one document or several (`.json`), or one
    /// record per line (`.jsonl`, `.ndjson`).
    pub fn is_json(&self) -> bool {
        [".json", ".jsonl", ".ndjson"]
            .iter()
            .any(|x| self.name.ends_with(x))
    }

    /// The file name, lower-cased, without its directory (and without a `.gz` ending
    /// when the file was compressed).
    pub fn file_name(&self) -> String {
        self.name.clone()
    }
}

/// Inflates a gzip file (every member of it, as `gzip -d` does) into a temporary file.
fn inflate(path: &Path) -> std::io::Result<tempfile::TempPath> {
    let gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(std::fs::File::open(path)?));
    let mut out = tempfile::NamedTempFile::new()?;
    let copied = std::io::copy(&mut gz.take(MAX_GZIP_BYTES + 1), &mut out).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("not a readable gzip file (corrupt or cut off): {e}"),
        )
    })?;
    if copied > MAX_GZIP_BYTES {
        return Err(std::io::Error::other(format!(
            "the gzip file inflates to more than {MAX_GZIP_BYTES} bytes; refused as a possible \
             decompression bomb"
        )));
    }
    Ok(out.into_temp_path())
}

/// What an adapter may consult while reading.
pub struct Context<'a> {
    pub config: &'a Config,
    /// Keep chat message text (off by default: it is personal data).
    pub keep_text: bool,
    /// `ingest --timezone`: the zone of offset-less timestamps of every source whose
    /// configuration names none.
    pub timezone: Option<chrono_tz::Tz>,
    /// `ingest --table`: the canonical table every canonical file holds, whatever its
    /// name and header.
    pub table: Option<crate::schema::Table>,
}

impl Context<'_> {
    /// The zone of a source's offset-less timestamps, if any: its configuration's, else
    /// `--timezone`.
    pub fn zone_of(&self, source: &str) -> Result<Option<chrono_tz::Tz>, FileError> {
        match self.config.sources.timezone(source) {
            None => Ok(self.timezone),
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

/// A timeline entry of an incident, known in its source as `id` (an update id, a log
/// entry id): stored as `<source>:<id>`, so that two entries at the same minute stay two.
/// Without an id the entry is known by its content (see [`Row::complete`]).
pub fn event_row(incident_id: &str, id: Option<&str>, at: i64, kind: &str, source: &str) -> Row {
    Row::new(Table::Events)
        .with(col::INCIDENT_ID, Value::text(incident_id))
        .with(
            col::EVENT_ID,
            Value::opt_text(id.map(|id| format_compact!("{source}:{id}"))),
        )
        .with(col::AT, Value::Ts(at))
        .with(col::KIND, Value::text(kind))
        .with(col::SOURCE, Value::text(source))
}

/// The tag under which an incident records a documented fallback its source needed
/// (`resolved_at: resolve log entry`): data quality counts them.
pub const FALLBACK_TAG: &str = "incidentlens:fallback";

/// A resolution time taken from the incident's resolve log entry.
pub const RESOLVED_FROM_ENTRY: &str = "resolved_at: resolve log entry";
/// A resolution time taken from the last change of status (no resolve entry known).
pub const RESOLVED_FROM_STATUS_CHANGE: &str = "resolved_at: last_status_change_at";

/// Notes that a field of an incident came from a documented fallback, not its own field.
pub fn fallback_row(incident_id: &str, what: &str) -> Row {
    Row::new(Table::IncidentTags)
        .with(col::INCIDENT_ID, Value::text(incident_id))
        .with(col::TAG, Value::text(FALLBACK_TAG))
        .with(col::VALUE, Value::text(what))
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
        .ok_or_else(|| match damaged(input) {
            Some(what) => what,
            None => match closest(input) {
                Some(hint) => {
                    format!("{NOT_RECOGNISED}; {hint} (the formats tried are listed below)")
                }
                None => format!("{NOT_RECOGNISED} (the formats tried are listed below)"),
            },
        })
}

/// Field names each JSON format's records carry: for naming the closest format to a
/// file none recognised, and what of it the file lacks.
const FIELDS: &[(&str, &[&str])] = &[
    (
        "pagerduty",
        &[
            "incident_number",
            "escalation_policy",
            "urgency",
            "log_entries",
            "last_status_change_at",
        ],
    ),
    (
        "opsgenie",
        &[
            "tinyId",
            "impactedServices",
            "ownerTeam",
            "requestId",
            "acknowledged",
        ],
    ),
    (
        "jira",
        &[
            "issuetype",
            "statusCategory",
            "changelog",
            "startAt",
            "resolutiondate",
        ],
    ),
    (
        "servicenow",
        &[
            "sys_id",
            "sys_created_on",
            "short_description",
            "assignment_group",
            "cmdb_ci",
        ],
    ),
    (
        "github",
        &[
            "repository_url",
            "state_reason",
            "html_url",
            "labels",
            "pull_request",
        ],
    ),
    (
        "statuspage",
        &[
            "incident_updates",
            "impact",
            "shortlink",
            "page_id",
            "monitoring_at",
        ],
    ),
    (
        "incidentio",
        &[
            "incident_status",
            "reference",
            "incident_role_assignments",
            "follow_ups",
            "slack_channel_id",
        ],
    ),
    (
        "rootly",
        &[
            "attributes",
            "slug",
            "mitigated_at",
            "relationships",
            "links",
        ],
    ),
    (
        "firehydrant",
        &[
            "milestones",
            "lifecycle_phases",
            "role_assignments",
            "pagination",
            "channel_name",
        ],
    ),
];

/// The format whose fields a JSON file no format recognised shows most of (at least
/// two), with what it shows and lacks.
fn closest(input: &Input) -> Option<String> {
    if !input.is_json() {
        return None;
    }
    let head = String::from_utf8_lossy(&input.head);
    let (name, has, lacks) = FIELDS
        .iter()
        .map(|(name, fields)| {
            let (has, lacks): (Vec<&str>, Vec<&str>) = fields
                .iter()
                .partition(|f| head.contains(&format!("\"{f}\"")));
            (name, has, lacks)
        })
        .max_by_key(|(_, has, _)| has.len())?;
    (has.len() >= 2).then(|| {
        format!(
            "closest: {name}, whose fields {} it has, but not {}",
            has.join(", "),
            lacks.join(", ")
        )
    })
}

/// What is wrong with a file no source recognised, when it is damaged rather than of
/// another format: a zip that does not open, a JSON file that is not JSON.
fn damaged(input: &Input) -> Option<String> {
    let name = input.file_name();
    if name.ends_with(".zip") {
        let zip = std::fs::File::open(&input.path)
            .map_err(|e| e.to_string())
            .and_then(|f| zip::ZipArchive::new(f).map_err(|e| e.to_string()));
        return Some(match zip {
            Err(e) => format!("not a readable zip archive (truncated or corrupt?): {e}"),
            Ok(_) => "a zip archive without a Slack export in it (no channels.json at its top \
                      or in its one folder)"
                .to_string(),
        });
    }
    if input.is_json() {
        let text = input
            .head
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&input.head);
        let first = text.iter().find(|b| !b.is_ascii_whitespace());
        if !matches!(first, Some(b'[' | b'{')) {
            let shown: String = String::from_utf8_lossy(&text[..text.len().min(40)])
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            return Some(format!(
                "not JSON: expected '[' or '{{' at the start, found '{}'",
                shown.trim()
            ));
        }
    }
    None
}

/// How [`detect`] begins its message for a file no source reads.
pub const NOT_RECOGNISED: &str = "format not recognised";

/// Every format, one a line: what `ingest` prints once when a file fits none.
pub fn formats() -> String {
    all()
        .iter()
        .map(|s| format!("  {} ({})", s.name(), s.describe()))
        .collect::<Vec<_>>()
        .join("\n")
}
