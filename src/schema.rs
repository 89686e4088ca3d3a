//! The canonical data model: every table and column of `docs/data-model.md`, with its type.
//!
//! This module is the one place that spells a column name. Adapters, the store, metrics,
//! queries and reports refer to columns through the constants in [`col`] and to tables
//! through [`Table`], so a rename is one edit and a typo is a compile error. Rows are
//! built through the typed handles in [`cell`] and the table types in [`tables`]
//! ([`RowOf`](crate::record::RowOf)), so a cell set on a column its table lacks is a
//! compile error too.
//!
//! Timestamps are `Datetime(us, UTC)`; lists are lists of strings. The Polars schema of a
//! table is derived from [`Table::columns`], which is also the column order of the Parquet
//! files in the store.

use polars::prelude::{DataType, Field, PlSmallStr, Schema, TimeUnit, TimeZone};

/// Declares every column once: its name in [`col`] (for reading frames, SQL, Parquet)
/// and its typed handle in [`cell`] (for setting a row's cell, checked when compiled).
macro_rules! columns {
    ($($name:ident = $text:literal),* $(,)?) => {
        /// Column names. Grouped in one module so that `col::INCIDENT_ID` reads like the name.
        pub mod col {
            $(pub const $name: &str = $text;)*
        }

        /// Typed column handles: `cell::TITLE` is the column `title` as a type, so that a
        /// row built for one table ([`RowOf`](crate::record::RowOf)) takes only that table's columns, and a cell
        /// set on another table's column is a compile error, not a panic.
        pub mod cell {
            $(
                #[allow(non_camel_case_types)]
                #[derive(Debug, Clone, Copy)]
                pub struct $name;
                impl super::Named for $name {
                    const NAME: &'static str = super::col::$name;
                }
            )*
        }
    };
}

/// A column handle of [`cell`]: the column's name, known when compiled.
pub trait Named: Copy {
    const NAME: &'static str;
}

columns! {
    INCIDENT_ID = "incident_id",
    SOURCE = "source",
    EXTERNAL_ID = "external_id",
    NUMBER = "number",
    TITLE = "title",
    URL = "url",
    SEVERITY = "severity",
    SEVERITY_RAW = "severity_raw",
    STATUS = "status",
    STATUS_RAW = "status_raw",
    TEAM = "team",
    STARTED_AT = "started_at",
    DETECTED_AT = "detected_at",
    DECLARED_AT = "declared_at",
    ACKNOWLEDGED_AT = "acknowledged_at",
    MITIGATED_AT = "mitigated_at",
    RESOLVED_AT = "resolved_at",
    DECLARED_BY = "declared_by",
    COMMANDER = "commander",
    IS_DRILL = "is_drill",
    IS_MAINTENANCE = "is_maintenance",
    RETRO_HELD_AT = "retro_held_at",
    RETRO_PUBLISHED_AT = "retro_published_at",
    RETRO_URL = "retro_url",
    UPDATED_AT = "updated_at",
    SERVICE = "service",
    LINKED_ID = "linked_id",
    RULE = "rule",
    PERSON_ID = "person_id",
    ROLE = "role",
    FIRST_ACTIVE_AT = "first_active_at",
    LAST_ACTIVE_AT = "last_active_at",
    MESSAGES = "messages",
    PAGE_ID = "page_id",
    SENT_AT = "sent_at",
    CHANNEL = "channel",
    URGENCY = "urgency",
    AT = "at",
    EVENT_ID = "event_id",
    KIND = "kind",
    DETAIL = "detail",
    PROBLEM = "problem",
    NAME = "name",
    ITEM_ID = "item_id",
    OWNER = "owner",
    CREATED_AT = "created_at",
    DUE_AT = "due_at",
    COMPLETED_AT = "completed_at",
    MESSAGE_ID = "message_id",
    CHANNEL_ID = "channel_id",
    CHANNEL_NAME = "channel_name",
    THREAD_ID = "thread_id",
    IS_BOT = "is_bot",
    TEXT = "text",
    SUBTYPE = "subtype",
    STATUS_UPDATE = "status_update",
    DISPLAY_NAME = "display_name",
    EMAIL = "email",
    FUNCTION = "function",
    TIMEZONE = "timezone",
    ALIASES = "aliases",
    TIER = "tier",
    PRODUCT_AREA = "product_area",
    RUN_ID = "run_id",
    FILE = "file",
    SHA256 = "sha256",
    ROWS_READ = "rows_read",
    ROWS_INGESTED = "rows_ingested",
    ROWS_DUPLICATE = "rows_duplicate",
    ROWS_REJECTED = "rows_rejected",
    ROWS_PENDING = "rows_pending",
    ROWS_SKIPPED = "rows_skipped",
    REQUIRES = "requires",
    RECORD = "record",
    LOCATION = "location",
    REASON = "reason",
    EXCERPT = "excerpt",
    LINK_REFS = "link_refs",
    RETRO_ID = "retro_id",
    HELD_AT = "held_at",
    PUBLISHED_AT = "published_at",
    TAG = "tag",
    VALUE = "value",
    SCHEDULE = "schedule",
    ESCALATION_POLICY = "escalation_policy",
    LEVEL = "level",
    ENDED_AT = "ended_at",
    ENTRY_ID = "entry_id",
    ALERT_ID = "alert_id",
    ALERT_KEY = "alert_key",
    DEPLOYMENT_ID = "deployment_id",
    ENVIRONMENT = "environment",
    CHANGE_NUMBER = "change_number",
}

/// The logical type of a column; [`Kind::dtype`] gives its Polars type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Bool,
    /// Microseconds since the epoch, UTC.
    Timestamp,
    /// A list of strings (aliases). Stored as one `;`-separated text cell, the roster's
    /// own form: pandas cannot read the `list<string_view>` columns Polars writes, and
    /// the store must be readable as it is by every Parquet reader.
    StrList,
}

impl Kind {
    pub fn dtype(self) -> DataType {
        match self {
            Kind::Str => DataType::String,
            Kind::Int => DataType::Int64,
            Kind::Bool => DataType::Boolean,
            Kind::Timestamp => DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)),
            Kind::StrList => DataType::String,
        }
    }

    /// How the type is described to a user in an error message.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Str => "text",
            Kind::Int => "an integer",
            Kind::Bool => "true or false",
            Kind::Timestamp => "an ISO-8601 timestamp with a zone offset",
            Kind::StrList => "a ';'-separated list",
        }
    }
}

/// One column of a canonical table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

const fn c(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

use Kind::*;

const INCIDENTS: &[Column] = &[
    c(col::INCIDENT_ID, Str),
    c(col::SOURCE, Str),
    c(col::EXTERNAL_ID, Str),
    c(col::NUMBER, Int),
    c(col::TITLE, Str),
    c(col::URL, Str),
    c(col::SEVERITY, Str),
    c(col::SEVERITY_RAW, Str),
    c(col::STATUS, Str),
    c(col::TEAM, Str),
    c(col::STARTED_AT, Timestamp),
    c(col::DETECTED_AT, Timestamp),
    c(col::DECLARED_AT, Timestamp),
    c(col::ACKNOWLEDGED_AT, Timestamp),
    c(col::MITIGATED_AT, Timestamp),
    c(col::RESOLVED_AT, Timestamp),
    c(col::DECLARED_BY, Str),
    c(col::COMMANDER, Str),
    c(col::IS_DRILL, Bool),
    c(col::IS_MAINTENANCE, Bool),
    c(col::RETRO_HELD_AT, Timestamp),
    c(col::RETRO_PUBLISHED_AT, Timestamp),
    c(col::RETRO_URL, Str),
    c(col::UPDATED_AT, Timestamp),
    // The same incident in other sources, as the source names it: `incident:<id>` or an
    // incident URL (`url:…`). Resolved over the whole store into `incident_links`.
    c(col::LINK_REFS, StrList),
];

const INCIDENT_SERVICES: &[Column] = &[c(col::INCIDENT_ID, Str), c(col::SERVICE, Str)];

/// What a source says about an incident beyond the canonical columns (an incident
/// platform's custom fields, Rootly labels): one row per value.
const INCIDENT_TAGS: &[Column] = &[
    c(col::INCIDENT_ID, Str),
    c(col::TAG, Str),
    c(col::VALUE, Str),
];

const INCIDENT_LINKS: &[Column] = &[
    c(col::INCIDENT_ID, Str),
    c(col::LINKED_ID, Str),
    c(col::RULE, Str),
];

/// A chat channel or ticket whose references link ambiguously or to nothing, as the
/// last ingest's linking over the whole store found it (data quality reads the counts;
/// `query` lists them). Derived: rewritten whole by every ingest, never ingested.
const LINK_ISSUES: &[Column] = &[
    // `channel` or `ticket`.
    c(col::KIND, Str),
    // The channel (`<source>:<channel id>`) or ticket id.
    c(col::LINKED_ID, Str),
    // The channel's name, the ticket's id.
    c(col::NAME, Str),
    // `ambiguous` or `dangling`.
    c(col::PROBLEM, Str),
    // The candidate incidents (ambiguous), or the reference that matched none (dangling).
    c(col::DETAIL, Str),
];

const PARTICIPANTS: &[Column] = &[
    c(col::INCIDENT_ID, Str),
    c(col::PERSON_ID, Str),
    c(col::ROLE, Str),
    c(col::FIRST_ACTIVE_AT, Timestamp),
    c(col::LAST_ACTIVE_AT, Timestamp),
    c(col::MESSAGES, Int),
    c(col::SOURCE, Str),
];

const PAGES: &[Column] = &[
    c(col::PAGE_ID, Str),
    c(col::INCIDENT_ID, Str),
    c(col::SERVICE, Str),
    c(col::PERSON_ID, Str),
    c(col::SENT_AT, Timestamp),
    c(col::ACKNOWLEDGED_AT, Timestamp),
    c(col::CHANNEL, Str),
    c(col::URGENCY, Str),
    c(col::SOURCE, Str),
];

const EVENTS: &[Column] = &[
    c(col::INCIDENT_ID, Str),
    // The entry's identity in its source (`statuspage:<update id>`, `pagerduty:<log
    // entry id>`, `slack:<channel>/<ts>`): two entries posted in the same minute are two
    // rows. Where the source gives none (a canonical file without the column), a digest
    // of the entry's content (see `Row::complete`).
    c(col::EVENT_ID, Str),
    c(col::AT, Timestamp),
    c(col::KIND, Str),
    c(col::PERSON_ID, Str),
    c(col::DETAIL, Str),
    c(col::SOURCE, Str),
];

const ACTION_ITEMS: &[Column] = &[
    c(col::ITEM_ID, Str),
    c(col::INCIDENT_ID, Str),
    c(col::TITLE, Str),
    c(col::OWNER, Str),
    c(col::TEAM, Str),
    c(col::CREATED_AT, Timestamp),
    c(col::DUE_AT, Timestamp),
    c(col::COMPLETED_AT, Timestamp),
    c(col::STATUS, Str),
    c(col::STATUS_RAW, Str),
    c(col::URL, Str),
    c(col::SOURCE, Str),
    c(col::UPDATED_AT, Timestamp),
    // What the source says the item belongs to, for linking over the whole store (see
    // link.rs): `number:123` (a label `inc-123`), `url:…` (an incident URL in the
    // description), `ticket:jira:KEY` (a linked ticket), `incident:<incident_id>` (an
    // explicit reference). Empty when the source gives `incident_id` itself.
    c(col::LINK_REFS, StrList),
];

/// A retrospective (post-mortem) document or ticket. Its dates are copied onto the
/// incident it links to (`retro_held_at`, `retro_published_at`, `retro_url`), which is
/// what metrics and queries read; this table keeps the ticket so that linking can be
/// re-evaluated whatever the order of ingestion.
const RETROS: &[Column] = &[
    c(col::RETRO_ID, Str),
    c(col::INCIDENT_ID, Str),
    c(col::TITLE, Str),
    c(col::HELD_AT, Timestamp),
    c(col::PUBLISHED_AT, Timestamp),
    c(col::STATUS, Str),
    c(col::STATUS_RAW, Str),
    c(col::URL, Str),
    c(col::SOURCE, Str),
    c(col::UPDATED_AT, Timestamp),
    c(col::LINK_REFS, StrList),
];

/// A label or component of a postmortem ticket (Jira's `labels`, `components`): factors
/// its incident's themes read once linking has found the incident.
const RETRO_TAGS: &[Column] = &[c(col::RETRO_ID, Str), c(col::TAG, Str), c(col::VALUE, Str)];

const MESSAGES: &[Column] = &[
    c(col::MESSAGE_ID, Str),
    c(col::CHANNEL_ID, Str),
    c(col::CHANNEL_NAME, Str),
    c(col::INCIDENT_ID, Str),
    c(col::AT, Timestamp),
    c(col::PERSON_ID, Str),
    c(col::THREAD_ID, Str),
    c(col::IS_BOT, Bool),
    // Chat systems' own kinds (`channel_join`, `tombstone`, …): null for plain posts.
    c(col::SUBTYPE, Str),
    // Whether the message carries the configured status-update marker (decided at
    // ingest, where the text is seen even when it is not kept).
    c(col::STATUS_UPDATE, Bool),
    c(col::TEXT, Str),
    c(col::SOURCE, Str),
];

const PEOPLE: &[Column] = &[
    c(col::PERSON_ID, Str),
    c(col::DISPLAY_NAME, Str),
    c(col::EMAIL, Str),
    c(col::TEAM, Str),
    c(col::FUNCTION, Str),
    c(col::TIMEZONE, Str),
    c(col::ALIASES, StrList),
];

/// Who was on call when: one row per on-call entry of a pager's export (PagerDuty
/// `/oncalls`). Entries of several escalation policies may overlap; the metrics merge a
/// person's entries. No start (or no end): on call since (or until) any time, as a
/// person placed on an escalation level directly is.
const ON_CALL: &[Column] = &[
    // The entry's identity: `pagerduty:<policy>:<level>:<schedule>:<user>:<start>`, or
    // (a canonical file without the column) a digest of everything the row says.
    c(col::ENTRY_ID, Str),
    c(col::PERSON_ID, Str),
    c(col::SCHEDULE, Str),
    c(col::ESCALATION_POLICY, Str),
    c(col::LEVEL, Int),
    c(col::STARTED_AT, Timestamp),
    c(col::ENDED_AT, Timestamp),
    c(col::SOURCE, Str),
];

/// An alert a pager received: the signal before (or without) an incident. PagerDuty's
/// `/alerts` (`alert_key` its deduplication key; `suppressed` ones never opened an
/// incident), Opsgenie's alerts (`alias`).
const ALERTS: &[Column] = &[
    c(col::ALERT_ID, Str),
    // The incident it opened or joined; null when it opened none.
    c(col::INCIDENT_ID, Str),
    c(col::ALERT_KEY, Str),
    c(col::SERVICE, Str),
    c(col::CREATED_AT, Timestamp),
    c(col::SOURCE, Str),
];

/// A change reaching an environment: GitHub deployments (settled by their statuses)
/// and releases, a canonical `deployments.csv`. `status` is `success`, `failure`, or
/// null while unknown; `incident_id` names an incident the source says the change
/// caused; `change_number` is the number people call the change by, where the source
/// numbers its changes (ServiceNow's `CHG0030001`): a link from an incident may name the
/// change by it instead of by its id.
const DEPLOYMENTS: &[Column] = &[
    c(col::DEPLOYMENT_ID, Str),
    c(col::SERVICE, Str),
    c(col::ENVIRONMENT, Str),
    c(col::AT, Timestamp),
    c(col::STATUS, Str),
    c(col::INCIDENT_ID, Str),
    c(col::URL, Str),
    c(col::SOURCE, Str),
    c(col::CHANGE_NUMBER, Str),
];

/// A status that settled a deployment (GitHub's deployment statuses: `success`, or
/// `failure` for its `failure` and `error`). A deployment's latest status is its status.
const DEPLOYMENT_STATUSES: &[Column] = &[
    c(col::DEPLOYMENT_ID, Str),
    c(col::STATUS, Str),
    c(col::AT, Timestamp),
    c(col::SOURCE, Str),
];

/// A change a source says caused an incident (ServiceNow's `caused_by`, FireHydrant's
/// related change of type `caused`): the deployment it names, which the store may not
/// hold.
const INCIDENT_CHANGES: &[Column] = &[
    c(col::INCIDENT_ID, Str),
    c(col::DEPLOYMENT_ID, Str),
    c(col::SOURCE, Str),
];

const SERVICES: &[Column] = &[
    c(col::SERVICE, Str),
    c(col::TEAM, Str),
    c(col::TIER, Str),
    c(col::PRODUCT_AREA, Str),
];

const INGEST_RUNS: &[Column] = &[
    c(col::RUN_ID, Int),
    c(col::FILE, Str),
    c(col::SHA256, Str),
    c(col::SOURCE, Str),
    c(col::ROWS_READ, Int),
    c(col::ROWS_INGESTED, Int),
    c(col::ROWS_DUPLICATE, Int),
    c(col::ROWS_REJECTED, Int),
    c(col::STARTED_AT, Timestamp),
    // Records kept waiting for an incident they refer to (see `pending`).
    c(col::ROWS_PENDING, Int),
    // Records of a kind the store has no place for (a pull request in an issues
    // export): `rows_read = rows_ingested + rows_duplicate + rows_pending +
    // rows_skipped + rows_rejected`. Null in a store written before it was counted.
    c(col::ROWS_SKIPPED, Int),
];

/// The accounting of one input file per kind of row it yields (the table the rows go
/// to): nested records (an incident's status updates, log entries, changelog items)
/// are counted here, so a collapse or a drop of them shows. For every kind,
/// `rows_read = rows_ingested + rows_duplicate + rows_pending + rows_rejected`.
const INGEST_COUNTS: &[Column] = &[
    c(col::RUN_ID, Int),
    c(col::FILE, Str),
    // The table the rows go to.
    c(col::KIND, Str),
    c(col::ROWS_READ, Int),
    c(col::ROWS_INGESTED, Int),
    c(col::ROWS_DUPLICATE, Int),
    c(col::ROWS_PENDING, Int),
    c(col::ROWS_REJECTED, Int),
];

/// Input records that refer to an incident the store does not hold yet (a log entry
/// read before its incident's export): kept whole, and stored by the first ingest after
/// which every incident they require is known, whatever the order of the files.
const PENDING: &[Column] = &[
    c(col::FILE, Str),
    c(col::LOCATION, Str),
    // The incident ids it waits for.
    c(col::REQUIRES, StrList),
    // Its canonical rows, as JSON (`[["events", [cell, …]], …]`).
    c(col::RECORD, Str),
    c(col::RUN_ID, Int),
];

const REJECTS: &[Column] = &[
    c(col::RUN_ID, Int),
    c(col::FILE, Str),
    c(col::LOCATION, Str),
    c(col::PROBLEM, Str),
    c(col::REASON, Str),
    c(col::EXCERPT, Str),
];

/// A table as a type, for rows built for it ([`RowOf`](crate::record::RowOf)).
pub trait TableType {
    const TABLE: Table;
}

/// The position of column `name` among `columns`, worked out when compiled: a column
/// the table lacks stops the build (see [`RowOf`](crate::record::RowOf)).
pub const fn position(columns: &[Column], name: &str) -> usize {
    let mut i = 0;
    while i < columns.len() {
        let (a, b) = (columns[i].name.as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut k = 0;
            while k < a.len() && a[k] == b[k] {
                k += 1;
            }
            if k == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("this table has no such column")
}

/// Declares every table once: [`Table`], [`Table::ALL`] in the order the store lists
/// them, and its type in [`tables`] for rows built for it.
macro_rules! tables {
    ($($name:ident),* $(,)?) => {
        /// The canonical tables, in the order the store lists them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Table {
            $($name,)*
        }

        impl Table {
            pub const ALL: [Table; [$(Table::$name),*].len()] = [$(Table::$name),*];
        }

        /// The tables as types: `tables::Incidents` is [`Table::Incidents`].
        pub mod tables {
            use super::{Table, TableType};
            $(
                #[derive(Debug, Clone, Copy)]
                pub struct $name;
                impl TableType for $name {
                    const TABLE: Table = Table::$name;
                }
            )*
        }
    };
}

tables!(
    Incidents,
    IncidentServices,
    IncidentTags,
    IncidentLinks,
    LinkIssues,
    Participants,
    Pages,
    Events,
    ActionItems,
    Retros,
    RetroTags,
    Messages,
    People,
    Services,
    OnCall,
    Alerts,
    Deployments,
    DeploymentStatuses,
    IncidentChanges,
    IngestRuns,
    IngestCounts,
    Rejects,
    Pending,
);

impl Table {
    /// The table's name: its store folder, its canonical file stem and its SQL name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Incidents => "incidents",
            Table::IncidentServices => "incident_services",
            Table::IncidentTags => "incident_tags",
            Table::IncidentLinks => "incident_links",
            Table::LinkIssues => "link_issues",
            Table::Participants => "participants",
            Table::Pages => "pages",
            Table::Events => "events",
            Table::ActionItems => "action_items",
            Table::Retros => "retros",
            Table::RetroTags => "retro_tags",
            Table::Messages => "messages",
            Table::People => "people",
            Table::Services => "services",
            Table::OnCall => "on_call",
            Table::Alerts => "alerts",
            Table::Deployments => "deployments",
            Table::DeploymentStatuses => "deployment_statuses",
            Table::IncidentChanges => "incident_changes",
            Table::IngestRuns => "ingest_runs",
            Table::IngestCounts => "ingest_counts",
            Table::Rejects => "rejects",
            Table::Pending => "pending",
        }
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    pub const fn columns(self) -> &'static [Column] {
        match self {
            Table::Incidents => INCIDENTS,
            Table::IncidentServices => INCIDENT_SERVICES,
            Table::IncidentTags => INCIDENT_TAGS,
            Table::IncidentLinks => INCIDENT_LINKS,
            Table::LinkIssues => LINK_ISSUES,
            Table::Participants => PARTICIPANTS,
            Table::Pages => PAGES,
            Table::Events => EVENTS,
            Table::ActionItems => ACTION_ITEMS,
            Table::Retros => RETROS,
            Table::RetroTags => RETRO_TAGS,
            Table::Messages => MESSAGES,
            Table::People => PEOPLE,
            Table::Services => SERVICES,
            Table::OnCall => ON_CALL,
            Table::Alerts => ALERTS,
            Table::Deployments => DEPLOYMENTS,
            Table::DeploymentStatuses => DEPLOYMENT_STATUSES,
            Table::IncidentChanges => INCIDENT_CHANGES,
            Table::IngestRuns => INGEST_RUNS,
            Table::IngestCounts => INGEST_COUNTS,
            Table::Rejects => REJECTS,
            Table::Pending => PENDING,
        }
    }

    /// The columns that identify a row: two rows with the same key are the same record,
    /// and the later export of it replaces the earlier one.
    pub fn key(self) -> &'static [&'static str] {
        match self {
            Table::Incidents => &[col::INCIDENT_ID],
            Table::IncidentServices => &[col::INCIDENT_ID, col::SERVICE],
            Table::IncidentTags => &[col::INCIDENT_ID, col::TAG, col::VALUE],
            // The rule is part of the key: a pair a source links and linking's choice of
            // the pair's primary incident are two rows.
            Table::IncidentLinks => &[col::INCIDENT_ID, col::LINKED_ID, col::RULE],
            Table::LinkIssues => &[col::KIND, col::LINKED_ID],
            Table::Participants => &[col::INCIDENT_ID, col::PERSON_ID, col::ROLE, col::SOURCE],
            Table::Pages => &[col::PAGE_ID],
            Table::Events => &[col::INCIDENT_ID, col::EVENT_ID],
            Table::ActionItems => &[col::ITEM_ID],
            Table::Retros => &[col::RETRO_ID],
            Table::RetroTags => &[col::RETRO_ID, col::TAG, col::VALUE],
            Table::Messages => &[col::MESSAGE_ID],
            Table::People => &[col::PERSON_ID],
            Table::Services => &[col::SERVICE],
            Table::OnCall => &[col::ENTRY_ID],
            Table::Alerts => &[col::ALERT_ID],
            Table::Deployments => &[col::DEPLOYMENT_ID],
            Table::DeploymentStatuses => &[col::DEPLOYMENT_ID, col::AT, col::STATUS],
            Table::IncidentChanges => &[col::INCIDENT_ID, col::DEPLOYMENT_ID],
            Table::IngestRuns => &[col::RUN_ID, col::FILE],
            Table::IngestCounts => &[col::RUN_ID, col::FILE, col::KIND],
            Table::Rejects => &[col::RUN_ID, col::FILE, col::LOCATION],
            Table::Pending => &[col::FILE, col::LOCATION],
        }
    }

    /// The column whose later value wins when two exports of one record differ.
    pub fn version(self) -> Option<&'static str> {
        match self {
            Table::Incidents | Table::ActionItems | Table::Retros => Some(col::UPDATED_AT),
            _ => None,
        }
    }

    /// Tables that describe the data set (as opposed to the ingest bookkeeping and
    /// what linking derives).
    pub fn is_data(self) -> bool {
        !matches!(
            self,
            Table::IngestRuns
                | Table::IngestCounts
                | Table::Rejects
                | Table::Pending
                | Table::LinkIssues
        )
    }

    pub fn index_of(self, column: &str) -> Option<usize> {
        // Called for every cell of every row read: names at the same address (the `col`
        // constants often are) or of another length or first letter are told apart
        // without comparing the text.
        self.columns().iter().position(|c| {
            std::ptr::eq(c.name, column)
                || (c.name.len() == column.len()
                    && c.name.as_bytes().first() == column.as_bytes().first()
                    && c.name == column)
        })
    }

    pub fn column(self, column: &str) -> Option<Column> {
        self.columns().iter().copied().find(|c| c.name == column)
    }

    /// The Polars schema of the table, in store column order.
    pub fn schema(self) -> Schema {
        self.columns()
            .iter()
            .map(|c| Field::new(PlSmallStr::from_static(c.name), c.kind.dtype()))
            .collect()
    }
}

/// Closed vocabularies of the data model.
pub mod vocab {
    pub const SEVERITIES: [&str; 5] = ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"];
    pub const ROLES: [&str; 5] = ["commander", "comms", "scribe", "responder", "observer"];
    pub const PAGE_CHANNELS: [&str; 4] = ["sms", "phone", "push", "email"];
    pub const EVENT_KINDS: [&str; 9] = [
        "declared",
        "paged",
        "acknowledged",
        "escalated",
        "status_update",
        "severity_changed",
        "mitigated",
        "resolved",
        "note",
    ];
    pub const ITEM_STATUSES: [&str; 3] = ["open", "done", "wont_do"];
    pub const DEPLOYMENT_STATUSES: [&str; 2] = ["success", "failure"];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_versions_name_real_columns() {
        for t in Table::ALL {
            for k in t.key() {
                assert!(t.index_of(k).is_some(), "{}: key {k}", t.name());
            }
            if let Some(v) = t.version() {
                assert_eq!(t.column(v).unwrap().kind, Kind::Timestamp);
            }
            assert_eq!(Table::from_name(t.name()), Some(t));
        }
    }

    #[test]
    fn timestamps_are_utc_microseconds() {
        let s = Table::Incidents.schema();
        assert_eq!(
            s.get(col::STARTED_AT).unwrap(),
            &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        );
        assert_eq!(s.len(), INCIDENTS.len());
    }
}
