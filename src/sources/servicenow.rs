//! ServiceNow Table API JSON (`GET /api/now/table/{incident,problem,…}`: `{"result":
//! […]}`) and the record mapping that the CSV export ([`super::servicenow_csv`]) shares.
//!
//! Every value is a string; reference fields are `{link, value}` or, with display
//! values, `{display_value, value, link}`; choices are coded (`state` "6" resolved, "7"
//! closed; `priority` "1"–"5"), or in CSV exports spelled `3 - Moderate`. Incidents are
//! incidents (keyed by `sys_id` when the export has it, else by `number`), and their
//! `caused_by` names the change request that caused them; change requests are
//! deployments (see [`record`] for those that changed nothing); problems and tasks are
//! action items, linked explicitly to the incident their `parent`,
//! `incident` or `first_reported_by_task` reference names. Raw Table API times are UTC
//! (`2016-12-13 21:43:14`) unless `[sources.servicenow] timezone` says otherwise.

use super::json::{self, Get};
use super::ticket::Ticket;
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Rejection, Row, Value};
use crate::refs::Ref;
use crate::schema::{cell, tables};
use serde_json::Value as Json;

pub struct ServiceNow;

pub const SOURCE: &str = "servicenow";

impl Source for ServiceNow {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::Ticket
    }

    fn describe(&self) -> &'static str {
        "ServiceNow Table API JSON ({\"result\": [incident, problem, task records]})"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        input.is_json()
            && head.contains("\"sys_id\"")
            // The Table API's envelope, or bare records: every one has its system dates.
            && (head.contains("\"result\"")
                || head.contains("\"sys_created_on\"")
                || head.contains("\"sys_updated_on\"")
                || head.contains("service-now.com"))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let zone = ctx.zone_of(SOURCE)?.unwrap_or(chrono_tz::Tz::UTC);
        let ts = |s: &str| crate::time::parse_timestamp(s, Some(zone));
        let item = |path: &str, v: &Json| [record(path.to_string(), v, &ts, ctx, || excerpt(v))];
        json::stream_items(&input.path, &["result"], item, emit)?;
        Ok(Vec::new())
    }
}

fn excerpt(v: &Json) -> String {
    format!(
        "{} {}",
        v.shown("number").unwrap_or_default(),
        v.shown("short_description").unwrap_or_default()
    )
}

/// A ServiceNow record's values by field name, whatever the export's form.
pub trait Cells {
    /// The value as a user reads it: a reference's display value, else its value.
    fn shown(&self, field: &str) -> Option<String>;
    /// The stored value: a reference's `sys_id`, a choice's code.
    fn raw(&self, field: &str) -> Option<String>;
    /// The API link of a reference (`…/api/now/table/incident/<sys_id>`), which names
    /// the table it points into.
    fn link(&self, _field: &str) -> Option<String> {
        None
    }
}

/// `?` is how event-log exports write null.
fn present(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s != "?").then(|| s.to_string())
}

impl Cells for Json {
    fn shown(&self, field: &str) -> Option<String> {
        match self.at(field)? {
            Json::String(s) => present(s),
            Json::Object(_) => {
                let v = self.at(field)?;
                v.str_at("display_value")
                    .or(v.str_at("value"))
                    .and_then(present)
            }
            other => present(&other.to_string()),
        }
    }

    fn raw(&self, field: &str) -> Option<String> {
        match self.at(field)? {
            Json::Object(_) => self.at(field)?.str_at("value").and_then(present),
            _ => self.shown(field),
        }
    }

    fn link(&self, field: &str) -> Option<String> {
        self.at(field)?.str_at("link").map(str::to_string)
    }
}

impl Cells for super::table_csv::Fields {
    fn shown(&self, field: &str) -> Option<String> {
        self.get(field).and_then(|s| present(s))
    }

    fn raw(&self, field: &str) -> Option<String> {
        self.shown(field)
    }
}

/// The code of a choice written `3 - Moderate` (or just `3`), and its label.
fn choice(s: &str) -> (Option<&str>, &str) {
    match s.split_once(" - ") {
        Some((code, label)) if code.trim().parse::<i64>().is_ok() => {
            (Some(code.trim()), label.trim())
        }
        _ if s.trim().parse::<i64>().is_ok() => (Some(s.trim()), ""),
        _ => (None, s.trim()),
    }
}

/// What kind of record: the table (`sys_class_name`), else the prefix of its number.
fn class(c: &dyn Cells) -> String {
    if let Some(t) = c.raw("sys_class_name") {
        return t.to_ascii_lowercase();
    }
    let number = c.shown("number").unwrap_or_default().to_ascii_uppercase();
    let prefix: String = number
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    match prefix.as_str() {
        "INC" => "incident",
        "PRB" => "problem",
        "PTASK" => "problem_task",
        "CHG" => "change_request",
        "CTASK" => "change_task",
        "SCTASK" => "sc_task",
        _ => "task",
    }
    .to_string()
}

/// Reads a timestamp cell; an error names the field.
pub type Ts<'a> = dyn Fn(&str) -> Result<i64, String> + Sync + 'a;

fn time(c: &dyn Cells, field: &str, ts: &Ts) -> Result<Option<i64>, Rejection> {
    c.raw(field)
        .map(|s| ts(&s).map_err(|e| Rejection::invalid(format!("{field}: {e}"))))
        .transpose()
}

/// A reference to a person: `servicenow:<sys_id>` (JSON) or the name a CSV shows.
fn person(c: &dyn Cells, field: &str) -> Option<String> {
    let v = c.raw(field)?;
    Some(if v.contains('@') {
        v.to_lowercase()
    } else {
        format!("{SOURCE}:{v}")
    })
}

/// The item of one record (an incident, a change request, or a problem or task): its
/// canonical rows, a change request that changed nothing skipped with why, or a reject.
pub fn record(
    location: String,
    c: &dyn Cells,
    ts: &Ts,
    ctx: &Context,
    excerpt: impl FnOnce() -> String,
) -> Item {
    let rows = match class(c).as_str() {
        "incident" => incident(c, ts, ctx),
        "change_request" => match unchanged(c) {
            Some(why) => return Item::skip(location, why),
            None => change(c, ts),
        },
        _ => item(c, ts, ctx),
    };
    Item::of(location, rows, excerpt)
}

/// Why a change request changed nothing: canceled, or not yet implemented (states New
/// −5, Assess −4, Authorize −3, Scheduled −2; Canceled 4).
fn unchanged(c: &dyn Cells) -> Option<&'static str> {
    let state = c.shown("state").unwrap_or_default();
    let (code, label) = choice(&state);
    let label = label.to_ascii_lowercase();
    if code == Some("4") || label == "canceled" || label == "cancelled" {
        return Some("a canceled change request changed nothing");
    }
    let planned = matches!(code, Some("-5" | "-4" | "-3" | "-2"))
        || matches!(label.as_str(), "new" | "assess" | "authorize" | "scheduled");
    (planned && c.raw("work_start").is_none())
        .then_some("a change request not yet implemented changed nothing yet")
}

/// A change request as a deployment: of its service (`business_service`, else
/// `cmdb_ci`), at its actual start (`work_start`), else its planned start
/// (`start_date`); its close code says whether it failed (`unsuccessful`) or not
/// (`successful`, `successful_issues`), else its outcome is unknown.
fn change(c: &dyn Cells, ts: &Ts) -> Result<Vec<Row>, Rejection> {
    let id = c
        .raw("sys_id")
        .or(c.shown("number"))
        .ok_or(Rejection::missing(
            "a change request without 'sys_id' or 'number'",
        ))?;
    let at = time(c, "work_start", ts)?
        .or(time(c, "start_date", ts)?)
        .ok_or(Rejection::missing(
            "a change request without 'work_start' or 'start_date'",
        ))?;
    let code = c
        .raw("close_code")
        .map(|s| s.to_ascii_lowercase().replace([' ', '-'], "_"));
    let status = match code.as_deref() {
        Some("unsuccessful") => Some("failure"),
        Some("successful" | "successful_with_issues" | "successful_issues") => Some("success"),
        _ => None,
    };
    Ok(vec![Row::of(tables::Deployments)
        .with(cell::DEPLOYMENT_ID, Value::text(format!("{SOURCE}:{id}")))
        .with(
            cell::SERVICE,
            Value::opt_text(c.shown("business_service").or(c.shown("cmdb_ci"))),
        )
        .with(cell::AT, Value::Ts(at))
        .with(cell::STATUS, Value::opt_text(status))
        .with(cell::SOURCE, Value::text(SOURCE))
        .with(
            cell::CHANGE_NUMBER,
            Value::opt_text(c.shown("number").map(|n| format!("{SOURCE}:{n}"))),
        )
        .into()])
}

fn incident(c: &dyn Cells, ts: &Ts, ctx: &Context) -> Result<Vec<Row>, Rejection> {
    let number = c.shown("number");
    let id = c
        .raw("sys_id")
        .or(number.clone())
        .ok_or(Rejection::missing("a record without 'sys_id' or 'number'"))?;
    let incident_id = format!("{SOURCE}:{id}");
    let opened = time(c, "opened_at", ts)?.or(time(c, "sys_created_on", ts)?);
    let state = c.shown("state").or(c.shown("incident_state"));
    let state_label = state.as_deref().map(|s| {
        let (code, label) = choice(s);
        let named = match code {
            Some("1") => "new",
            Some("2") => "in progress",
            Some("3") => "on hold",
            Some("6") => "resolved",
            Some("7") => "closed",
            Some("8") => "canceled",
            _ => "",
        };
        if label.is_empty() {
            named.to_string()
        } else {
            label.to_lowercase()
        }
    });
    let closed = time(c, "closed_at", ts)?;
    // A resolved or closed incident without `resolved_at` (empty, or `?` in event-log
    // exports) was resolved when it was closed.
    let own = time(c, "resolved_at", ts)?;
    let resolved = own.or(match state_label.as_deref() {
        Some("closed" | "resolved") => closed,
        _ => None,
    });
    let priority = c.shown("priority");
    let mut rows: Vec<Row> = vec![super::incident_row(SOURCE, &id)
        .with(
            cell::NUMBER,
            number
                .as_deref()
                .and_then(|n| {
                    n.trim_start_matches(|ch: char| ch.is_ascii_alphabetic())
                        .parse()
                        .ok()
                })
                .map_or(Value::Null, Value::Int),
        )
        .with(cell::TITLE, Value::opt_text(c.shown("short_description")))
        .with_all(super::severity_cells(priority.as_deref(), ctx))
        .with(
            cell::STATUS,
            Value::opt_text(state_label.filter(|s| !s.is_empty())),
        )
        .with(cell::TEAM, Value::opt_text(c.shown("assignment_group")))
        .with(cell::STARTED_AT, Value::opt_ts(opened))
        .with(cell::DECLARED_AT, Value::opt_ts(opened))
        .with(cell::RESOLVED_AT, Value::opt_ts(resolved))
        .with(cell::DECLARED_BY, Value::opt_text(person(c, "opened_by")))
        .with(
            cell::UPDATED_AT,
            Value::opt_ts(time(c, "sys_updated_on", ts)?.or(time(c, "sys_updated_at", ts)?)),
        )
        .into()];
    if own.is_none() && resolved.is_some() {
        rows.push(super::fallback_row(&incident_id, "resolved_at: closed_at").into());
    }
    if let Some(service) = c.shown("business_service").or(c.shown("cmdb_ci")) {
        rows.push(super::service_row(&incident_id, &service).into());
    }
    // The change request that caused it: a JSON reference gives its sys_id, a CSV its
    // number.
    if let Some(change) = c.raw("caused_by") {
        rows.push(
            Row::of(tables::IncidentChanges)
                .with(cell::INCIDENT_ID, Value::text(incident_id.as_str()))
                .with(
                    cell::DEPLOYMENT_ID,
                    Value::text(format!("{SOURCE}:{change}")),
                )
                .with(cell::SOURCE, Value::text(SOURCE))
                .into(),
        );
    }
    let mut people: Vec<String> = ["assigned_to", "resolved_by"]
        .iter()
        .filter_map(|f| person(c, f))
        .collect();
    people.sort();
    people.dedup();
    for p in people {
        rows.push(super::responder_row(&incident_id, &p, None, None, SOURCE).into());
    }
    Ok(rows)
}

/// `open`, `done` or `wont_do` of a problem or task: the coded state (task states 3
/// closed complete, 4 closed incomplete, 7 closed skipped; problem states 106 resolved,
/// 107 closed), the close code, else the label, else `active`.
fn item_status(c: &dyn Cells, ctx: &Context) -> &'static str {
    let tickets = &ctx.config.tickets;
    if c.shown("close_code")
        .is_some_and(|r| tickets.is_wont_do(&r))
    {
        return "wont_do";
    }
    let state = c.shown("state").unwrap_or_default();
    let (code, label) = choice(&state);
    let by_code = match code {
        Some("3" | "106" | "107") => Some("done"),
        Some("4" | "7") => Some("wont_do"),
        Some(_) => Some("open"),
        None => None,
    };
    let label = label.to_ascii_lowercase();
    let by_label = match label.as_str() {
        "closed complete" | "closed" | "resolved" | "complete" | "completed" => Some("done"),
        "closed incomplete" | "closed skipped" | "canceled" | "cancelled" => Some("wont_do"),
        "" => None,
        _ => crate::normalize::item_status(&label),
    };
    by_label.or(by_code).unwrap_or_else(|| {
        if c.shown("active").as_deref() == Some("false") {
            "done"
        } else {
            "open"
        }
    })
}

fn item(c: &dyn Cells, ts: &Ts, ctx: &Context) -> Result<Vec<Row>, Rejection> {
    let id = c
        .shown("number")
        .or(c.raw("sys_id"))
        .ok_or(Rejection::missing("a record without 'number' or 'sys_id'"))?;
    let mut t = Ticket::new(SOURCE, id);
    t.title = c.shown("short_description");
    t.status = item_status(c, ctx);
    t.status_raw = c.shown("state");
    t.created = time(c, "opened_at", ts)?.or(time(c, "sys_created_on", ts)?);
    t.updated = time(c, "sys_updated_on", ts)?;
    t.due = time(c, "due_date", ts)?;
    t.completed = match t.status {
        "open" => None,
        _ => time(c, "closed_at", ts)?
            .or(time(c, "resolved_at", ts)?)
            .or(t.updated),
    };
    t.owner = person(c, "assigned_to");
    t.team = c.shown("assignment_group");
    for field in ["parent", "incident", "first_reported_by_task"] {
        if let Some(v) = c.raw(field) {
            // A JSON reference gives the incident's sys_id; a CSV shows its number.
            let is_incident = field == "incident"
                || c.shown(field)
                    .is_some_and(|s| s.to_ascii_uppercase().starts_with("INC"))
                || c.link(field)
                    .is_some_and(|l| l.contains("/table/incident/"));
            if is_incident {
                t.refs.push(Ref::Incident(format!("{SOURCE}:{v}")));
            }
        }
    }
    if let Some(d) = c.shown("description") {
        t.scan(&d);
    }
    Ok(vec![t.into_row()])
}
