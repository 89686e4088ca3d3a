//! Rootly REST API exports (JSON:API): `{data: [{id, type, attributes, relationships}],
//! included, links, meta}` for incidents, action items, post mortems (retrospectives) and
//! incident events, by each element's `type`.
//!
//! Incidents give their phase timestamps (`started_at`, `detected_at`,
//! `acknowledged_at`, `mitigated_at`, `resolved_at`), severity (its name, else its level
//! critical/high/medium/low as SEV1–SEV4: Rootly's "SEV0" is the worst, and becomes
//! SEV1), services, team (the first group), labels as tags, and the Slack channel as an
//! explicit claim; `kind` test or example marks a drill, scheduled a maintenance; a
//! cancelled incident is rejected as never an incident. Action items (`open`,
//! `in_progress`, `cancelled` → won't do, `done`) link to their incident explicitly and to
//! their Jira issue as the same follow-up; a published post mortem gives the retro's
//! published date; events are notes, or status updates when their visibility is
//! external. Wire names are read snake_case or camelCase.

use super::json::{self, Either, Get};
use super::platform;
use super::ticket::Ticket;
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Rejection, Row, Value};
use crate::refs::Ref;
use crate::schema::cell;
use serde_json::Value as Json;

pub struct Rootly;

pub const SOURCE: &str = "rootly";

impl Source for Rootly {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::Platform
    }

    fn describe(&self) -> &'static str {
        "Rootly JSON:API: incidents, action items, post mortems, incident events"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        input.is_json()
            && head.contains("\"attributes\"")
            && (head.contains("rootly.com")
                || [
                    "\"incidents\"",
                    "\"incident_action_items\"",
                    "\"incident_post_mortems\"",
                    "\"post_mortems\"",
                    "\"incident_events\"",
                ]
                .iter()
                .any(|t| {
                    head.contains(&format!("\"type\": {t}"))
                        || head.contains(&format!("\"type\":{t}"))
                }))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let item = |path: &str, v: &Json| [element(path, v, ctx)];
        let envelope = json::stream_items(&input.path, &["data"], item, emit)?;
        // A single resource: `{"data": {…}}` is not an array.
        if let Some(one @ Json::Object(_)) = envelope.get("data") {
            emit(element("$.data", one, ctx));
        }
        Ok(Vec::new())
    }
}

fn element(path: &str, v: &Json, ctx: &Context) -> Item {
    let kind = v.str_at("type").unwrap_or("");
    let result = match kind {
        "incidents" | "incident" => incident(v, ctx),
        "incident_action_items" | "action_items" | "incident_action_item" => action_item(v),
        "incident_post_mortems" | "post_mortems" | "incident_post_mortem" | "retrospectives" => {
            post_mortem(v)
        }
        "incident_events" | "incident_event" => event(v),
        other => Err(Rejection::unexpected(format!(
            "a '{other}' resource: expected incidents, incident_action_items, \
             incident_post_mortems or incident_events"
        ))),
    };
    Item::of(path, result, || {
        format!("{} {}", kind, v.str_at("id").unwrap_or(""))
    })
}

/// The incident a resource belongs to: an attribute, else its JSON:API relationship.
fn incident_of(v: &Json) -> Option<String> {
    let a = Either(v.at("attributes")?);
    a.str_at("incident_id")
        .or(Either(v).str_at("relationships.incident.data.id"))
        .map(|id| format!("{SOURCE}:{id}"))
}

/// A name from a value that is a string, `{name}`, or `{data: {attributes: {name}}}`.
fn name_of(v: &Json) -> Option<&str> {
    v.as_str()
        .or(v.str_at("name"))
        .or(v.str_at("data.attributes.name"))
        .or(v.str_at("attributes.name"))
        .filter(|s| !s.is_empty())
}

fn incident(v: &Json, ctx: &Context) -> Result<Vec<Row>, Rejection> {
    let id = v
        .str_at("id")
        .ok_or(Rejection::missing("an incident without 'id'"))?;
    let a = Either(
        v.at("attributes")
            .ok_or(Rejection::missing("an incident without 'attributes'"))?,
    );
    let incident_id = format!("{SOURCE}:{id}");
    let status = a.str_at("status");
    if matches!(status, Some("cancelled" | "canceled")) {
        return Err(Rejection::unexpected(
            "status 'cancelled': never an incident, so not counted",
        ));
    }
    let kind = a.str_at("kind").unwrap_or("normal");
    let severity = a.at("severity");
    let raw = severity.and_then(name_of);
    let [mut sev, sev_raw] = super::severity_cells(raw, ctx);
    if sev.1.is_null() {
        let level = severity.and_then(|s| {
            s.str_at("severity")
                .or(s.str_at("data.attributes.severity"))
                .or(s.str_at("attributes.severity"))
        });
        sev.1 = Value::opt_text(match level {
            Some("critical") => Some("SEV1"),
            Some("high") => Some("SEV2"),
            Some("medium") => Some("SEV3"),
            Some("low") => Some("SEV4"),
            _ => None,
        });
    }
    let ts = |f: &str| a.ts_at(f);
    let created = ts("created_at")?;
    let started = ts("started_at")?.or(created);
    let team = a.array_at("groups").iter().find_map(name_of);
    let mut incident = super::incident_row(SOURCE, id)
        .with(
            cell::NUMBER,
            a.i64_at("sequential_id").map_or(Value::Null, Value::Int),
        )
        .with(cell::TITLE, Value::opt_text(a.str_at("title")))
        .with(cell::URL, Value::opt_text(a.str_at("url")))
        .with_all([sev, sev_raw])
        .with(cell::STATUS, Value::opt_text(status))
        .with(cell::TEAM, Value::opt_text(team))
        .with(cell::STARTED_AT, Value::opt_ts(started))
        .with(cell::DETECTED_AT, Value::opt_ts(ts("detected_at")?))
        .with(cell::DECLARED_AT, Value::opt_ts(created))
        .with(cell::ACKNOWLEDGED_AT, Value::opt_ts(ts("acknowledged_at")?))
        .with(cell::MITIGATED_AT, Value::opt_ts(ts("mitigated_at")?))
        .with(cell::RESOLVED_AT, Value::opt_ts(ts("resolved_at")?))
        .with(
            cell::IS_DRILL,
            Value::Bool(kind.starts_with("test") || kind.starts_with("example")),
        )
        .with(
            cell::IS_MAINTENANCE,
            Value::Bool(kind.starts_with("scheduled")),
        )
        .with(cell::UPDATED_AT, Value::opt_ts(ts("updated_at")?));
    let mut rows: Vec<Row> = Vec::new();
    let mut refs: Vec<Ref> = Vec::new();
    for f in [
        "source_url",
        "pagerduty_incident_url",
        "opsgenie_incident_url",
    ] {
        if let Some(u) = a.str_at(f) {
            refs.push(Ref::Url(u.to_string()));
        }
    }
    if let Some(pd) = a.str_at("pagerduty_incident_id") {
        refs.push(Ref::Incident(format!("pagerduty:{pd}")));
    }
    incident.set(cell::LINK_REFS, Ref::cell(&mut refs));
    for s in a.array_at("services").iter().filter_map(name_of) {
        rows.push(super::service_row(&incident_id, s).into());
    }
    if let Some(Json::Object(labels)) = a.at("labels") {
        for (k, val) in labels {
            let text = val.as_str().map_or_else(|| val.to_string(), str::to_string);
            rows.push(platform::tag(&incident_id, k, &text).into());
        }
    }
    if let Some(channel) = a.str_at("slack_channel_id") {
        rows.push(platform::channel_claim(&incident_id, "slack", channel).into());
    }
    for field in ["user", "started_by", "created_by"] {
        if let Some((person, row)) = a.at(field).and_then(|u| platform::user(SOURCE, u)) {
            incident.set(cell::DECLARED_BY, Value::text(person));
            rows.push(row);
            break;
        }
    }
    rows.insert(0, incident.into());
    Ok(platform::dedup(rows))
}

fn action_item(v: &Json) -> Result<Vec<Row>, Rejection> {
    let id = v
        .str_at("id")
        .ok_or(Rejection::missing("an action item without 'id'"))?;
    let a = Either(
        v.at("attributes")
            .ok_or(Rejection::missing("an action item without 'attributes'"))?,
    );
    let incident = incident_of(v).ok_or(Rejection::missing(
        "an action item without its incident ('incident_id' or relationships.incident)",
    ))?;
    let mut f = platform::FollowUp::read(SOURCE, id, incident, &a, "open", a.get("assigned_to"))?;
    let t = &mut f.ticket;
    t.title = a
        .str_at("summary")
        .or(a.str_at("title"))
        .map(str::to_string);
    t.due = a
        .str_at("due_date")
        .map(|d| {
            crate::time::parse_date_or_timestamp(d, None)
                .map_err(|e| Rejection::invalid(format!("due_date: {e}")))
        })
        .transpose()?;
    if let Some(u) = a.str_at("jira_issue_url") {
        t.refs.push(Ref::Mirror(u.to_string()));
    }
    if let Some(k) = a.str_at("jira_issue_key") {
        t.refs.push(Ref::Mirror(format!("jira:{k}")));
    }
    Ok(f.rows())
}

fn post_mortem(v: &Json) -> Result<Vec<Row>, Rejection> {
    let id = v
        .str_at("id")
        .ok_or(Rejection::missing("a post mortem without 'id'"))?;
    let a = Either(
        v.at("attributes")
            .ok_or(Rejection::missing("a post mortem without 'attributes'"))?,
    );
    let incident = incident_of(v).ok_or(Rejection::missing(
        "a post mortem without its incident ('incident_id' or relationships.incident)",
    ))?;
    let mut t = Ticket::new(SOURCE, id);
    t.postmortem = true;
    t.refs.push(Ref::Incident(incident));
    let status = a.str_at("status").unwrap_or("");
    let published = status == "published";
    t.status = if published { "done" } else { "open" };
    t.status_raw = Some(status.to_string());
    t.title = a.str_at("title").map(str::to_string);
    t.url = a.str_at("url").map(str::to_string);
    t.updated = a.ts_at("updated_at")?;
    t.published = a.ts_at("published_at")?.or(t.updated).filter(|_| published);
    Ok(vec![t.into_row()])
}

fn event(v: &Json) -> Result<Vec<Row>, Rejection> {
    let a = Either(
        v.at("attributes")
            .ok_or(Rejection::missing("an event without 'attributes'"))?,
    );
    let incident = incident_of(v).ok_or(Rejection::missing(
        "an event without its incident ('incident_id' or relationships.incident)",
    ))?;
    let at = a
        .ts_at("occurred_at")?
        .or(a.ts_at("created_at")?)
        .ok_or(Rejection::missing("an event without 'occurred_at'"))?;
    let kind = if a.str_at("visibility") == Some("external") {
        "status_update"
    } else {
        "note"
    };
    Ok(vec![super::event_row(
        &incident,
        v.str_at("id"),
        at,
        kind,
        SOURCE,
    )
    .with(cell::DETAIL, Value::opt_text(v.str_at("id")))
    .into()])
}
