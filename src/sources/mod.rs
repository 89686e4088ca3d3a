//! Source adapters: one per export format, behind the one [`Source`] trait, and the one
//! list of them, [`all`].
//!
//! An adapter recognises its format from a file's name and first bytes, and turns each
//! input record into canonical rows or a reject. It never writes to the store and never
//! decides what is a duplicate: the store does that, the same way for every source.

pub mod backstage;
pub mod canonical;
pub mod firehydrant;
pub mod firehydrant_changes;
pub mod github;
pub mod github_deploy;
pub mod incidentio;
pub mod jira;
pub mod jira_csv;
pub mod json;
pub mod mattermost;
pub mod opsgenie;
pub mod opsgenie_csv;
pub mod opsgenie_timeline;
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
use crate::record::{Item, Value};
use crate::schema::col;
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
    /// The size of the file the adapter reads (inflated, when it came compressed); 0
    /// for a folder.
    pub size: u64,
    /// Whether the input is an export folder rather than a file (asked once).
    pub is_dir: bool,
    /// The head as text (invalid UTF-8 replaced), made once for every adapter's look.
    text: std::sync::OnceLock<String>,
    /// The file name, lower-cased, without its directory and a `.gz` ending.
    name: String,
    _inflated: Option<tempfile::TempPath>,
}

/// A file's head as text, whose `contains` searches with memchr's vectorised search:
/// detection asks some fifty such questions of every file's head (up to 64 KiB), which
/// `str::contains` answered at half the speed; twenty thousand small files spent a
/// second on them. Everything else is the `str`'s.
pub struct Head<'a>(&'a str);

impl Head<'_> {
    pub fn contains(&self, needle: &str) -> bool {
        memchr::memmem::find(self.0.as_bytes(), needle.as_bytes()).is_some()
    }
}

impl std::ops::Deref for Head<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
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
            size: 0,
            is_dir: path.is_dir(),
            text: Default::default(),
            name: String::new(),
            _inflated: None,
        };
        if !input.is_dir {
            // One opening reads the head, which tells a gzip file by its magic bytes.
            let file = std::fs::File::open(path)?;
            input.size = file.metadata()?.len();
            file.take(HEAD_BYTES as u64).read_to_end(&mut input.head)?;
            if input.head.starts_with(&[0x1f, 0x8b]) {
                let inflated = inflate(path)?;
                input.path = inflated.to_path_buf();
                input._inflated = Some(inflated);
                if let Some(stem) = name.strip_suffix(".gz") {
                    name = stem.to_string();
                }
                let file = std::fs::File::open(&input.path)?;
                input.size = file.metadata()?.len();
                input.head.clear();
                file.take(HEAD_BYTES as u64).read_to_end(&mut input.head)?;
            }
        }
        input.name = name;
        Ok(input)
    }

    /// The whole file as read for its head, when the head holds all of it (and it was
    /// not inflated from another file): what hashing it would read again.
    pub fn whole(&self) -> Option<&[u8]> {
        (self._inflated.is_none() && self.head.len() as u64 == self.size && !self.is_dir)
            .then_some(self.head.as_slice())
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
            size: head.len() as u64,
            is_dir: false,
            head,
            text: Default::default(),
            name,
            _inflated: None,
        }
    }

    /// The head as text, for detection: invalid UTF-8 (a character the head cuts in
    /// two, say) replaced.
    pub fn text(&self) -> &str {
        // A valid head (nearly every one) is checked by the quicker validation alone.
        self.text
            .get_or_init(|| match std::str::from_utf8(&self.head) {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(&self.head).into_owned(),
            })
    }

    /// [`Input::text`] for detection's questions: see [`Head`].
    pub fn text_head(&self) -> Head<'_> {
        Head(self.text())
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

impl<'a> Context<'a> {
    /// A context with no flags given: text not kept, no `--timezone`, no `--table`.
    pub fn plain(config: &'a Config) -> Context<'a> {
        Context {
            config,
            keep_text: false,
            timezone: None,
            table: None,
        }
    }

    /// The zone of a source's offset-less timestamps, if any: its configuration's, else
    /// `--timezone`.
    pub fn zone_of(&self, source: &str) -> Result<Option<chrono_tz::Tz>, FileError> {
        match self.config.sources.timezone(source) {
            None => Ok(self.timezone),
            Some(z) => crate::time::parse_zone(z).map(Some).map_err(|e| {
                FileError::new(
                    Fault::Config,
                    "config",
                    format!("sources.{source}.timezone: {e}"),
                )
            }),
        }
    }
}

/// Why a whole file cannot be used: what the user has to do about it differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Its bytes cannot be had: an I/O error, an unreadable zip or gzip.
    Unreadable,
    /// No source reads it.
    Unrecognised,
    /// Not the syntax its format requires: JSON, CSV, YAML, UTF-8.
    Syntax,
    /// Well-formed, but not laid out as the source's export is: an empty file, a header
    /// without the columns that identify its rows.
    Layout,
    /// It reads more than one way and says not which (day or month first, dates without
    /// a zone): a setting decides.
    Ambiguous,
    /// A limit that guards against hostile input refused it (a zip bomb, YAML aliases
    /// that expand without end).
    Refused,
    /// The configuration the source reads it with is wrong.
    Config,
}

impl Fault {
    /// A word or two for the accounting table's status column.
    pub fn label(self) -> &'static str {
        match self {
            Fault::Unreadable => "unreadable",
            Fault::Unrecognised => "unrecognised",
            Fault::Syntax => "syntax",
            Fault::Layout => "layout",
            Fault::Ambiguous => "ambiguous",
            Fault::Refused => "refused",
            Fault::Config => "configuration",
        }
    }
}

/// A whole file that cannot be read: nothing from it is used.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}")]
pub struct FileError {
    pub fault: Fault,
    /// `line 1`, `$`, or `file` when the problem is the file as a whole.
    pub location: String,
    pub message: String,
}

impl FileError {
    pub fn new(fault: Fault, location: impl Into<String>, message: impl Into<String>) -> FileError {
        FileError {
            fault,
            location: location.into(),
            message: message.into(),
        }
    }
}

impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> FileError {
        FileError::new(Fault::Unreadable, "file", format!("cannot read: {e}"))
    }
}

/// What part of the incident story a source tells. Linking ranks incidents by it (the
/// pager's incident is the primary one), and reads chat sources' messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Pager,
    /// An incident platform (incident.io, Rootly, FireHydrant).
    Platform,
    Ticket,
    Chat,
    StatusPage,
    /// A service catalog.
    Catalog,
    /// The canonical tables, a team's own tracker: as primary as a pager.
    Canonical,
    /// Changes: deployments and releases.
    Changes,
}

impl Role {
    /// How primary the role's incidents are, lower first: pagers and the canonical form,
    /// then incident platforms, then the rest.
    pub fn rank(self) -> u8 {
        match self {
            Role::Pager | Role::Canonical => 0,
            Role::Platform => 1,
            _ => 2,
        }
    }
}

/// Whether some source reads the folder `path` as one export (see
/// [`Source::reads_folder`]).
pub fn reads_folder(path: &Path) -> bool {
    all().iter().any(|s| s.reads_folder(path))
}

/// One export format.
pub trait Source: Sync {
    /// The source's name: its file stem here, its `--source` value, its fixture folder.
    fn name(&self) -> &'static str;

    /// What part of the incident story it tells.
    fn role(&self) -> Role;

    /// Whether `path` is a folder this source reads as one export (a Slack export
    /// unpacked), rather than a folder of files to walk.
    fn reads_folder(&self, _path: &Path) -> bool {
        false
    }

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

/// An incident's severity cells from a raw label, mapped through the configuration
/// (the label is kept; a label no rule knows leaves the severity unknown).
pub fn severity_cells(raw: Option<&str>, ctx: &Context) -> [(&'static str, Value); 2] {
    let sev = raw.and_then(|r| crate::normalize::severity(r, &ctx.config.severity.map));
    [
        (col::SEVERITY, Value::opt_text(sev)),
        (col::SEVERITY_RAW, Value::opt_text(raw)),
    ]
}

/// The row builders adapters share (`super::event_row` and the rest).
pub use crate::rows::*;

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
        &github_deploy::GitHubDeployments,
        &github::GitHub,
        &statuspage::Statuspage,
        &firehydrant_changes::FireHydrantChanges,
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

/// The source that recognises `input`, or why none does: an empty file, a damaged zip
/// or JSON file, or a message naming the closest of the formats tried.
pub fn detect(input: &Input) -> Result<&'static dyn Source, FileError> {
    if input.head.is_empty() && !input.is_dir {
        return Err(FileError::new(Fault::Layout, "file", "the file is empty"));
    }
    all()
        .iter()
        .copied()
        .find(|s| s.detect(input))
        .ok_or_else(|| match damaged(input) {
            Some((fault, what)) => FileError::new(fault, "file", what),
            None => FileError::new(
                Fault::Unrecognised,
                "file",
                match closest(input) {
                    Some(hint) => {
                        format!("{NOT_RECOGNISED}; {hint} (the formats tried are listed below)")
                    }
                    None => format!("{NOT_RECOGNISED} (the formats tried are listed below)"),
                },
            ),
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
    let head = input.text_head();
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
/// another format (a zip that does not open, a JSON file that is not JSON), with its
/// fault.
fn damaged(input: &Input) -> Option<(Fault, String)> {
    let name = input.file_name();
    if name.ends_with(".zip") {
        let zip = std::fs::File::open(&input.path)
            .map_err(|e| e.to_string())
            .and_then(|f| zip::ZipArchive::new(f).map_err(|e| e.to_string()));
        return Some(match zip {
            Err(e) => (
                Fault::Unreadable,
                format!("not a readable zip archive (truncated or corrupt?): {e}"),
            ),
            Ok(_) => (
                Fault::Unrecognised,
                "a zip archive without a Slack export in it (no channels.json at its top or in \
                 its one folder)"
                    .to_string(),
            ),
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
            return Some((
                Fault::Syntax,
                format!(
                    "not JSON: expected '[' or '{{' at the start, found '{}'",
                    shown.trim()
                ),
            ));
        }
    }
    None
}

/// How [`detect`] begins its message for a file no source reads.
const NOT_RECOGNISED: &str = "format not recognised";

/// Every format, one a line: what `ingest` prints once when a file fits none.
pub fn formats() -> String {
    all()
        .iter()
        .map(|s| format!("  {} ({})", s.name(), s.describe()))
        .collect::<Vec<_>>()
        .join("\n")
}
