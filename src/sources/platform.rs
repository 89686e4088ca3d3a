//! What the incident platforms (incident.io, Rootly, FireHydrant) share: their user
//! objects, their follow-up statuses, and the rows by which they claim a chat channel or
//! name the same incident elsewhere.

use super::json::Get;
use crate::record::{Rejection, Row, RowOf, Value};
use crate::refs::{Ref, CHANNEL_CLAIM, REFERENCE};
use crate::schema::{cell, tables};
use compact_str::format_compact;
use serde_json::Value as Json;

/// A platform user (`{id, email, name}`, or JSON:API `{data: {id, attributes: {…}}}`)
/// as a person reference (the lower-cased e-mail, else `<source>:<id>`) and the people
/// row that says who it is.
pub fn user(source: &str, u: &Json) -> Option<(String, Row)> {
    let u = match u.at("data") {
        Some(d) => d,
        None => u,
    };
    let attrs = u.at("attributes").unwrap_or(u);
    let email = attrs.str_at("email").filter(|e| e.contains('@'));
    let id = u.str_at("id").or(attrs.str_at("id"));
    let alias = match (id, email) {
        (Some(id), _) => format!("{source}:{id}"),
        (None, Some(e)) => format!("{source}:{}", e.to_lowercase()),
        (None, None) => return None,
    };
    let name = attrs
        .str_at("name")
        .or(attrs.str_at("full_name"))
        .or(attrs.str_at("fullName"));
    let row = super::person_row(alias, email, name);
    let reference = row.get(cell::PERSON_ID).as_str()?.to_string();
    Some((reference, row.into()))
}

/// `open`, `done` or `wont_do` of a platform's follow-up, task or action item.
pub fn item_status(raw: &str) -> Option<&'static str> {
    match raw
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
        .as_str()
    {
        "outstanding" | "open" | "in_progress" | "todo" | "to_do" | "blocked" => Some("open"),
        "completed" | "complete" | "done" | "resolved" | "closed" => Some("done"),
        "deleted" | "not_doing" | "cancelled" | "canceled" | "wont_do" | "declined" => {
            Some("wont_do")
        }
        other => crate::normalize::item_status(other),
    }
}

/// A platform's follow-up, task or action item, read the way every platform writes one:
/// an explicit incident, a status word, created/updated/completed times, an assignee.
/// The adapter adds what is its own (title, team, due date, the tracker it mirrors).
pub struct FollowUp {
    pub ticket: crate::sources::ticket::Ticket,
    person: Option<Row>,
}

impl FollowUp {
    /// `fields` are the record's fields (`status` or `state` for the status word).
    pub fn read(
        source: &'static str,
        id: &str,
        incident: String,
        fields: &dyn Get,
        default_status: &str,
        assignee: Option<&Json>,
    ) -> Result<FollowUp, Rejection> {
        let mut t = crate::sources::ticket::Ticket::new(source, id);
        t.refs.push(Ref::Incident(incident));
        let (key, raw) = match (fields.str_at("status"), fields.str_at("state")) {
            (Some(s), _) => ("status", s),
            (None, Some(s)) => ("state", s),
            (None, None) => ("status", default_status),
        };
        t.status = item_status(raw).ok_or_else(|| {
            Rejection::invalid(format!("{key}: expected open, in progress, done or cancelled (or the platform's words for them), found '{raw}'"))
        })?;
        t.status_raw = Some(raw.to_string());
        t.created = fields.ts_at("created_at")?;
        t.updated = fields.ts_at("updated_at")?;
        // An open item's completion time is not one.
        t.completed = match t.status {
            "open" => None,
            _ => fields.ts_at("completed_at")?.or(t.updated),
        };
        let mut person = None;
        if let Some((reference, row)) = assignee.and_then(|u| user(source, u)) {
            t.owner = Some(reference);
            person = Some(row);
        }
        Ok(FollowUp { ticket: t, person })
    }

    /// The action item row, and the assignee's people row.
    pub fn rows(self) -> Vec<Row> {
        std::iter::once(self.ticket.into_row())
            .chain(self.person)
            .collect()
    }
}

/// The row by which a platform claims its incident's chat channel (`slack:<id>`): that
/// channel's messages belong to the incident whatever its name says.
pub fn channel_claim(
    incident_id: &str,
    chat: &str,
    channel_id: &str,
) -> RowOf<tables::IncidentLinks> {
    Row::of(tables::IncidentLinks)
        .with(cell::INCIDENT_ID, Value::text(incident_id))
        .with(
            cell::LINKED_ID,
            Value::text(format_compact!("{chat}:{channel_id}")),
        )
        .with(cell::RULE, Value::text(CHANNEL_CLAIM))
}

/// A reference from an incident to the same incident elsewhere, kept until linking
/// resolves it (an alert's source URL that is a pager incident's page).
pub fn reference(incident_id: &str, r: &Ref) -> RowOf<tables::IncidentLinks> {
    Row::of(tables::IncidentLinks)
        .with(cell::INCIDENT_ID, Value::text(incident_id))
        .with(cell::LINKED_ID, Value::text(r.encode()))
        .with(cell::RULE, Value::text(REFERENCE))
}

/// An incident tag row.
pub fn tag(incident_id: &str, tag: &str, value: &str) -> RowOf<tables::IncidentTags> {
    Row::of(tables::IncidentTags)
        .with(cell::INCIDENT_ID, Value::text(incident_id))
        .with(cell::TAG, Value::text(tag))
        .with(cell::VALUE, Value::text(value))
}

/// A participant row with a role.
pub fn role_row(
    incident_id: &str,
    person: &str,
    role: &str,
    source: &str,
) -> RowOf<tables::Participants> {
    Row::of(tables::Participants)
        .with(cell::INCIDENT_ID, Value::text(incident_id))
        .with(cell::PERSON_ID, Value::text(person))
        .with(cell::ROLE, Value::text(role))
        .with(cell::SOURCE, Value::text(source))
}

/// The canonical role of a platform role: commander, comms, scribe, else responder.
pub fn role(name: &str) -> &'static str {
    match crate::normalize::role(name) {
        Some("observer") | None => "responder",
        Some(r) => r,
    }
}

/// Keeps the first row of each key (a person seen twice in one incident record).
pub fn dedup(rows: Vec<Row>) -> Vec<Row> {
    let mut seen = std::collections::HashSet::new();
    rows.into_iter()
        .filter(|r| seen.insert((r.table, r.key())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::col;
    use serde_json::json;

    #[test]
    fn users_in_every_shape() {
        let (p, row) = user(
            "incidentio",
            &json!({"id": "U1", "email": "Lisa@Incident.io", "name": "Lisa"}),
        )
        .unwrap();
        assert_eq!(p, "lisa@incident.io");
        assert_eq!(
            row.get(col::ALIASES),
            &Value::List(vec!["incidentio:U1".into()])
        );
        let (p, _) = user(
            "rootly",
            &json!({"data": {"id": "7", "type": "users", "attributes": {"name": "Bo"}}}),
        )
        .unwrap();
        assert_eq!(p, "rootly:7");
        assert!(user("rootly", &json!({"name": "nobody"})).is_none());
    }

    #[test]
    fn statuses() {
        assert_eq!(item_status("outstanding"), Some("open"));
        assert_eq!(item_status("not_doing"), Some("wont_do"));
        assert_eq!(item_status("In Progress"), Some("open"));
        assert_eq!(item_status("cancelled"), Some("wont_do"));
        assert_eq!(item_status("done"), Some("done"));
        assert_eq!(item_status("weird"), None);
    }
}
