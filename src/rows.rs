//! Row builders: the canonical rows several adapters (and linking) build the same way.
//! They know the schema, not any source.

use crate::record::{Row, RowOf, Value};
use crate::schema::{cell, tables};
use compact_str::format_compact;

/// The incident row every source starts from: its identity set, drill and maintenance
/// flags false until the source says otherwise.
pub fn incident_row(source: &str, external_id: &str) -> RowOf<tables::Incidents> {
    Row::of(tables::Incidents)
        .with(
            cell::INCIDENT_ID,
            Value::text(format_compact!("{source}:{external_id}")),
        )
        .with(cell::SOURCE, Value::text(source))
        .with(cell::EXTERNAL_ID, Value::text(external_id))
        .with(cell::IS_DRILL, Value::Bool(false))
        .with(cell::IS_MAINTENANCE, Value::Bool(false))
}

/// A person as a source's user export (or a ticket's assignee) describes them: known by
/// the lower-cased e-mail when there is one, else by the source id `alias`, which is
/// kept among the aliases either way so that references by id resolve to the person.
pub fn person_row(alias: String, email: Option<&str>, name: Option<&str>) -> RowOf<tables::People> {
    Row::of(tables::People)
        .with(
            cell::PERSON_ID,
            Value::text(email.map_or(alias.clone(), str::to_lowercase)),
        )
        .with(cell::DISPLAY_NAME, Value::opt_text(name))
        .with(cell::EMAIL, Value::opt_text(email))
        .with(cell::ALIASES, Value::List(vec![alias]))
}

/// A timeline entry of an incident, known in its source as `id` (an update id, a log
/// entry id): stored as `<source>:<id>`, so that two entries at the same minute stay two.
/// Without an id the entry is known by its content (see [`Row::complete`]).
pub fn event_row(
    incident_id: &str,
    id: Option<&str>,
    at: i64,
    kind: &str,
    source: &str,
) -> RowOf<tables::Events> {
    Row::of(tables::Events)
        .with(cell::INCIDENT_ID, Value::text(incident_id))
        .with(
            cell::EVENT_ID,
            Value::opt_text(id.map(|id| format_compact!("{source}:{id}"))),
        )
        .with(cell::AT, Value::Ts(at))
        .with(cell::KIND, Value::text(kind))
        .with(cell::SOURCE, Value::text(source))
}

/// The tag under which an incident records a documented fallback its source needed
/// (`resolved_at: resolve log entry`): data quality counts them.
pub const FALLBACK_TAG: &str = "incidentlens:fallback";

/// A resolution time taken from the incident's resolve log entry.
pub const RESOLVED_FROM_ENTRY: &str = "resolved_at: resolve log entry";
/// A resolution time taken from the last change of status (no resolve entry known).
pub const RESOLVED_FROM_STATUS_CHANGE: &str = "resolved_at: last_status_change_at";

/// Notes that a field of an incident came from a documented fallback, not its own field.
pub fn fallback_row(incident_id: &str, what: &str) -> RowOf<tables::IncidentTags> {
    Row::of(tables::IncidentTags)
        .with(cell::INCIDENT_ID, Value::text(incident_id))
        .with(cell::TAG, Value::text(FALLBACK_TAG))
        .with(cell::VALUE, Value::text(what))
}

/// An incident × service row.
pub fn service_row(incident_id: &str, service: &str) -> RowOf<tables::IncidentServices> {
    Row::of(tables::IncidentServices)
        .with(cell::INCIDENT_ID, Value::text(incident_id))
        .with(cell::SERVICE, Value::text(service))
}

/// A responder participation, with its first and last activity when known.
pub fn responder_row(
    incident_id: &str,
    person: &str,
    first: Option<i64>,
    last: Option<i64>,
    source: &str,
) -> RowOf<tables::Participants> {
    Row::of(tables::Participants)
        .with(cell::INCIDENT_ID, Value::text(incident_id))
        .with(cell::PERSON_ID, Value::text(person))
        .with(cell::ROLE, Value::text("responder"))
        .with(cell::FIRST_ACTIVE_AT, Value::opt_ts(first))
        .with(cell::LAST_ACTIVE_AT, Value::opt_ts(last))
        .with(cell::SOURCE, Value::text(source))
}
