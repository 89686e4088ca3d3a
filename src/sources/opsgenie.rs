//! Opsgenie exports: `/v1/incidents` and `/v2/alerts` (`{"data": [...]}` or a bare
//! array), `/v2/users` for people, and schedule timelines for who was on call (see
//! `opsgenie_timeline`).
//!
//! Incidents map directly; an alert is the pager's unit of work in many Opsgenie set-ups,
//! so it becomes an incident too, acknowledged and closed at the times its `report`
//! gives. Users join other sources by e-mail (their `username`). Team records carry no
//! incident data and are rejected with that reason.

use super::json::{self, Get};
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Rejection, Row, Value};
use crate::schema::{cell, tables};
use serde_json::Value as Json;

pub struct Opsgenie;

pub const SOURCE: &str = "opsgenie";

impl Source for Opsgenie {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::Pager
    }

    fn describe(&self) -> &'static str {
        "Opsgenie JSON: v1 incidents, v2 alerts, v2 users, schedule timelines"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        input.is_json()
            && (head.contains("opsgenie.com")
                || (head.contains("\"tinyId\"") && head.contains("\"createdAt\""))
                || (head.contains("\"fullName\"") && head.contains("\"username\""))
                || head.contains("\"finalTimeline\""))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        // Records are read and mapped on every core: one depends on nothing before it.
        let envelope = json::stream_items(
            &input.path,
            &["data"],
            |path, v| {
                let mut items = Vec::new();
                if super::opsgenie_timeline::is_timeline(v) {
                    super::opsgenie_timeline::items(path, v, &mut |i| items.push(i));
                } else {
                    items.push(record(path, v, ctx));
                }
                items
            },
            emit,
        )?;
        // Jira Service Management's timeline is the document itself, without `data`.
        let whole = Json::Object(envelope);
        if super::opsgenie_timeline::is_timeline(&whole) {
            super::opsgenie_timeline::items("$", &whole, emit);
        }
        Ok(Vec::new())
    }
}

fn record(path: &str, v: &Json, ctx: &Context) -> Item {
    let rows = if v.get("username").is_some() {
        user(v)
    } else if v.get("tinyId").is_some() || v.get("message").is_some() {
        incident(v, ctx)
    } else if v.get("name").is_some() && v.get("links").is_some() {
        return Item::skip(
            path,
            "an Opsgenie team: teams come from the service catalog or the roster",
        );
    } else {
        Err(Rejection::unexpected(
            "not an Opsgenie incident, alert or user",
        ))
    };
    Item::of(path, rows, || v.to_string())
}

fn user(v: &Json) -> Result<Vec<Row>, Rejection> {
    let id = v
        .str_at("id")
        .ok_or(Rejection::missing("a user without 'id'"))?;
    let email = v.str_at("username").filter(|u| u.contains('@'));
    let mut row = super::person_row(format!("{SOURCE}:{id}"), email, v.str_at("fullName"));
    if let Some(tz) = v.str_at("timeZone") {
        crate::time::parse_zone(tz).map_err(|e| Rejection::invalid(format!("timeZone: {e}")))?;
        row.set(cell::TIMEZONE, Value::text(tz));
    }
    Ok(vec![row.into()])
}

/// A v1 incident or a v2 alert.
fn incident(v: &Json, ctx: &Context) -> Result<Vec<Row>, Rejection> {
    let id = v
        .str_at("id")
        .ok_or(Rejection::missing("an incident without 'id'"))?;
    let incident_id = format!("{SOURCE}:{id}");
    let created = v.ts_at("createdAt")?;
    let started = v.ts_at("impactStartDate")?.or(created);
    let status = v.str_at("status");
    let closed = matches!(status, Some("resolved" | "closed"));
    let ms = |key: &str| v.i64_at(key).zip(created).map(|(ms, c)| c + ms * 1000);
    let resolved = match v.ts_at("impactEndDate")? {
        Some(t) => Some(t),
        None if closed => ms("report.closeTime").or(v.ts_at("updatedAt")?),
        None => None,
    };
    let raw = v.str_at("priority");
    let tags: Vec<&str> = v.array_at("tags").iter().filter_map(Json::as_str).collect();
    let drill = tags.iter().any(|t| {
        matches!(
            t.to_ascii_lowercase().as_str(),
            "drill" | "test" | "gameday" | "game-day"
        )
    });
    let team = v
        .str_at("ownerTeam")
        .or_else(|| v.array_at("teams").first().and_then(|t| t.str_at("name")));
    let mut rows: Vec<Row> = vec![super::incident_row(SOURCE, id)
        .with(
            cell::NUMBER,
            v.i64_at("tinyId").map_or(Value::Null, Value::Int),
        )
        .with(cell::TITLE, Value::opt_text(v.str_at("message")))
        .with(cell::URL, Value::opt_text(v.str_at("links.web")))
        .with_all(super::severity_cells(raw, ctx))
        .with(cell::STATUS, Value::opt_text(status))
        .with(cell::TEAM, Value::opt_text(team))
        .with(cell::STARTED_AT, Value::opt_ts(started))
        .with(cell::DECLARED_AT, Value::opt_ts(created))
        .with(cell::ACKNOWLEDGED_AT, Value::opt_ts(ms("report.ackTime")))
        .with(cell::RESOLVED_AT, Value::opt_ts(resolved))
        .with(cell::IS_DRILL, Value::Bool(drill))
        .with(cell::UPDATED_AT, Value::opt_ts(v.ts_at("updatedAt")?))
        .into()];
    for service in v
        .array_at("impactedServices")
        .iter()
        .filter_map(Json::as_str)
    {
        rows.push(super::service_row(&incident_id, service).into());
    }
    let mut people: Vec<String> = v
        .array_at("responders")
        .iter()
        .filter(|r| r.str_at("type") == Some("user"))
        .filter_map(|r| r.str_at("id").map(|id| format!("{SOURCE}:{id}")))
        .collect();
    // Alerts name who acknowledged (a username, usually the e-mail).
    if let Some(who) = v.str_at("report.acknowledgedBy") {
        people.push(if who.contains('@') {
            who.to_lowercase()
        } else {
            format!("{SOURCE}:{who}")
        });
    }
    people.sort();
    people.dedup();
    for p in people {
        rows.push(super::responder_row(&incident_id, &p, None, None, SOURCE).into());
    }
    // An alert (it has an `alias`, its deduplication key) is also kept as the alert it
    // is, for page noise: the incident it stands for is itself.
    if let (Some(alias), Some(at)) = (v.str_at("alias"), created) {
        let service = v
            .array_at("impactedServices")
            .first()
            .and_then(Json::as_str);
        rows.push(alert_row(&incident_id, alias, service, at));
    }
    Ok(rows)
}

/// An alert kept as itself for page noise (the API's and the CSV export's): the
/// incident it stands for is itself, its `alias` the deduplication key.
pub(crate) fn alert_row(incident_id: &str, alias: &str, service: Option<&str>, at: i64) -> Row {
    Row::from(
        Row::of(tables::Alerts)
            .with(cell::ALERT_ID, Value::text(incident_id))
            .with(cell::INCIDENT_ID, Value::text(incident_id))
            .with(cell::ALERT_KEY, Value::text(alias))
            .with(cell::SERVICE, Value::opt_text(service))
            .with(cell::CREATED_AT, Value::Ts(at))
            .with(cell::SOURCE, Value::text(SOURCE)),
    )
}
