//! What the incident platforms (incident.io, Rootly, FireHydrant) share: their user
//! objects, their follow-up statuses, and the rows by which they claim a chat channel or
//! name the same incident elsewhere.

use super::json::Get;
use crate::link::{Ref, CHANNEL_CLAIM, REFERENCE};
use crate::record::{Row, Value};
use crate::schema::{col, Table};
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
    let reference = row.get(col::PERSON_ID).as_str()?.to_string();
    Some((reference, row))
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

/// The row by which a platform claims its incident's chat channel (`slack:<id>`): that
/// channel's messages belong to the incident whatever its name says.
pub fn channel_claim(incident_id: &str, chat: &str, channel_id: &str) -> Row {
    Row::new(Table::IncidentLinks)
        .with(col::INCIDENT_ID, Value::text(incident_id))
        .with(col::LINKED_ID, Value::text(format!("{chat}:{channel_id}")))
        .with(col::RULE, Value::text(CHANNEL_CLAIM))
}

/// A reference from an incident to the same incident elsewhere, kept until linking
/// resolves it (an alert's source URL that is a pager incident's page).
pub fn reference(incident_id: &str, r: &Ref) -> Row {
    Row::new(Table::IncidentLinks)
        .with(col::INCIDENT_ID, Value::text(incident_id))
        .with(col::LINKED_ID, Value::text(r.encode()))
        .with(col::RULE, Value::text(REFERENCE))
}

/// An incident tag row.
pub fn tag(incident_id: &str, tag: &str, value: &str) -> Row {
    Row::new(Table::IncidentTags)
        .with(col::INCIDENT_ID, Value::text(incident_id))
        .with(col::TAG, Value::text(tag))
        .with(col::VALUE, Value::text(value))
}

/// A participant row with a role.
pub fn role_row(incident_id: &str, person: &str, role: &str, source: &str) -> Row {
    Row::new(Table::Participants)
        .with(col::INCIDENT_ID, Value::text(incident_id))
        .with(col::PERSON_ID, Value::text(person))
        .with(col::ROLE, Value::text(role))
        .with(col::SOURCE, Value::text(source))
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
