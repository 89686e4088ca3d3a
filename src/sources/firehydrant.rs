//! FireHydrant API exports: incidents (`{data: […], pagination}`, a bare array, or one
//! incident), tasks and follow-ups, and retrospectives. The wire names are not verified:
//! fields are read snake_case or camelCase, and a record's kind is told from its
//! envelope key or, under `data`, from its fields.
//!
//! An incident's milestones (a `milestones` list, or the milestones of its
//! `lifecycle_phases`: `started`, `detected`, `acknowledged`, `mitigated`, `resolved`,
//! `postmortem_completed`/`retrospective_completed`) give its phase timestamps and retro
//! date; its severity, services (or service impacts), role assignments (the commander
//! role as commander), channel (an explicit claim) and labels come along. Tasks and
//! follow-ups are action items linked to their incident; a follow-up's ticket URL names
//! the same follow-up in the tracker. A retrospective with a completion or publication
//! time gives the retro's date.

use super::json::{self, Either, Get};
use super::platform;
use super::ticket::Ticket;
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Rejection, Row, Value};
use crate::refs::Ref;
use crate::schema::cell;
use serde_json::Value as Json;
use std::collections::HashMap;

pub struct FireHydrant;

pub const SOURCE: &str = "firehydrant";

const KEYS: [&str; 6] = [
    "data",
    "incidents",
    "tasks",
    "follow_ups",
    "followUps",
    "retrospectives",
];

impl Source for FireHydrant {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::Platform
    }

    fn describe(&self) -> &'static str {
        "FireHydrant JSON: incidents with milestones, tasks, follow-ups, retrospectives"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        // FireHydrant pages its lists as `{data, pagination}` (Rootly: `{data, links,
        // meta}`; incident.io: `pagination_meta`); its tasks carry a `state`.
        input.is_json()
            && (head.contains("firehydrant")
                || head.contains("\"lifecycle_phases\"")
                || head.contains("\"lifecyclePhases\"")
                || (head.contains("\"milestones\"") && head.contains("\"role_assignments\""))
                || (head.contains("\"pagination\"")
                    && head.contains("\"data\"")
                    && head.contains("\"state\"")))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        // One incident on its own has its milestones or its URL.
        let alone = ["milestones", "incident_url"];
        json::each_file_record(&input.path, &KEYS, &alone, emit, &|path, v, emit| {
            emit(element(path, v, ctx))
        })?;
        Ok(Vec::new())
    }
}

#[derive(Debug, PartialEq)]
enum Kind {
    Incident,
    Item,
    Retro,
}

/// What a record is: by the envelope key it came under, else by its fields.
fn kind(path: &str, v: &Json) -> Kind {
    // `$.tasks[3]`, also in a later document of the file (`document 2: $.tasks[0]`).
    let under = |k: &str| path.contains(&format!("$.{k}["));
    if under("tasks") || under("follow_ups") || under("followUps") {
        return Kind::Item;
    }
    if under("retrospectives") {
        return Kind::Retro;
    }
    let e = Either(v);
    let has = |f: &str| e.at(f).is_some();
    if !(has("incident_id") || has("incident")) {
        return Kind::Incident;
    }
    // A record of an incident: a retrospective when it reads like a report, else a task.
    let task = ["state", "status", "ticket_url", "assignee", "due_at"]
        .iter()
        .any(|f| has(f));
    if !task && (has("published_at") || has("report") || has("questions")) {
        Kind::Retro
    } else {
        Kind::Item
    }
}

fn element(path: &str, v: &Json, ctx: &Context) -> Item {
    let result = match kind(path, v) {
        Kind::Incident => incident(v, ctx),
        Kind::Item => item(v),
        Kind::Retro => retro(v),
    };
    Item::of(path, result, || {
        format!(
            "{} {}",
            v.str_at("id").unwrap_or(""),
            v.str_at("name").unwrap_or("")
        )
    })
}

/// A milestone's name (`type` or `slug`) and time.
fn milestones(e: &Either) -> Result<HashMap<String, i64>, Rejection> {
    let mut all: Vec<&Json> = e.list("milestones").iter().collect();
    for phase in e.list("lifecycle_phases") {
        all.extend(Either(phase).list("milestones"));
    }
    let mut out = HashMap::new();
    for (i, m) in all.into_iter().enumerate() {
        let m = Either(m);
        let Some(name) = m.str_at("type").or(m.str_at("slug")).or(m.str_at("name")) else {
            continue;
        };
        let at = m
            .ts_at("occurred_at")
            .map_err(|e| e.within(format_args!("milestones[{i}].")))?
            .or(m.ts_at("created_at").ok().flatten());
        if let Some(at) = at {
            out.entry(name.to_ascii_lowercase().replace([' ', '-'], "_"))
                .and_modify(|t: &mut i64| *t = (*t).min(at))
                .or_insert(at);
        }
    }
    Ok(out)
}

fn name_of(v: &Json) -> Option<&str> {
    v.as_str()
        .or(v.str_at("name"))
        .or(v.str_at("slug"))
        .filter(|s| !s.is_empty())
}

fn incident(v: &Json, ctx: &Context) -> Result<Vec<Row>, Rejection> {
    let e = Either(v);
    let id = e
        .str_at("id")
        .ok_or(Rejection::missing("an incident without 'id'"))?;
    let incident_id = format!("{SOURCE}:{id}");
    let m = milestones(&e)?;
    let at = |k: &str| m.get(k).copied();
    let created = e.ts_at("created_at")?;
    let started = e.ts_at("started_at")?.or(at("started")).or(created);
    let raw = e.at("severity").and_then(name_of);
    let retro = at("postmortem_completed").or(at("retrospective_completed"));
    let mut incident = super::incident_row(SOURCE, id)
        .with(
            cell::NUMBER,
            e.i64_at("number").map_or(Value::Null, Value::Int),
        )
        .with(cell::TITLE, Value::opt_text(e.str_at("name")))
        .with(cell::URL, Value::opt_text(e.str_at("incident_url")))
        .with_all(super::severity_cells(raw, ctx))
        .with(
            cell::STATUS,
            Value::opt_text(e.at("current_milestone").and_then(name_of)),
        )
        .with(cell::STARTED_AT, Value::opt_ts(started))
        .with(cell::DETECTED_AT, Value::opt_ts(at("detected")))
        .with(cell::DECLARED_AT, Value::opt_ts(created))
        .with(cell::ACKNOWLEDGED_AT, Value::opt_ts(at("acknowledged")))
        .with(cell::MITIGATED_AT, Value::opt_ts(at("mitigated")))
        .with(
            cell::RESOLVED_AT,
            Value::opt_ts(at("resolved").or(at("closed"))),
        )
        .with(cell::RETRO_HELD_AT, Value::opt_ts(retro))
        .with(cell::UPDATED_AT, Value::opt_ts(e.ts_at("updated_at")?));
    let mut rows: Vec<Row> = Vec::new();
    let services: Vec<&str> = e
        .array_at("services")
        .iter()
        .filter_map(name_of)
        .chain(e.list("impacts").iter().filter_map(|i| {
            let i = Either(i);
            let service = i
                .str_at("type")
                .is_none_or(|t| t.eq_ignore_ascii_case("service"));
            i.get("impact").filter(|_| service).and_then(name_of)
        }))
        .collect();
    for s in services {
        rows.push(super::service_row(&incident_id, s).into());
    }
    if let Some(team) = e.array_at("teams").iter().find_map(name_of) {
        incident.set(cell::TEAM, Value::text(team));
    }
    for r in e.array_at("role_assignments") {
        let r = Either(r);
        let Some((person, row)) = r.at("user").and_then(|u| platform::user(SOURCE, u)) else {
            continue;
        };
        let role = platform::role(r.at("incident_role").and_then(name_of).unwrap_or(""));
        if role == "commander" && incident.get(cell::COMMANDER).is_null() {
            incident.set(cell::COMMANDER, Value::text(person.as_str()));
        }
        rows.push(platform::role_row(&incident_id, &person, role, SOURCE).into());
        rows.push(row);
    }
    if let Some((person, row)) = e.at("created_by").and_then(|u| platform::user(SOURCE, u)) {
        incident.set(cell::DECLARED_BY, Value::text(person));
        rows.push(row);
    }
    if let Some(channel) = e.str_at("channel_id") {
        rows.push(platform::channel_claim(&incident_id, "slack", channel).into());
    }
    if let Some(Json::Object(labels)) = e.at("labels") {
        for (k, val) in labels {
            let text = val.as_str().map_or_else(|| val.to_string(), str::to_string);
            rows.push(platform::tag(&incident_id, k, &text).into());
        }
    }
    for t in e.array_at("tag_list").iter().filter_map(Json::as_str) {
        rows.push(platform::tag(&incident_id, "tag", t).into());
    }
    rows.insert(0, incident.into());
    Ok(platform::dedup(rows))
}

fn incident_of(e: &Either) -> Option<String> {
    e.str_at("incident_id")
        .or(e.str_at("incident.id"))
        .map(|id| format!("{SOURCE}:{id}"))
}

fn item(v: &Json) -> Result<Vec<Row>, Rejection> {
    let e = Either(v);
    let id = e
        .str_at("id")
        .ok_or(Rejection::missing("a task or follow-up without 'id'"))?;
    let incident = incident_of(&e).ok_or(Rejection::missing(
        "a task or follow-up without 'incident_id'",
    ))?;
    let mut f = platform::FollowUp::read(SOURCE, id, incident, &e, "open", e.get("assignee"))?;
    let t = &mut f.ticket;
    t.title = e
        .str_at("name")
        .or(e.str_at("title"))
        .or(e.str_at("summary"))
        .map(str::to_string);
    t.due = e.ts_at("due_at")?;
    if let Some(u) = e.str_at("ticket_url") {
        t.refs.push(Ref::Mirror(u.to_string()));
    }
    Ok(f.rows())
}

fn retro(v: &Json) -> Result<Vec<Row>, Rejection> {
    let e = Either(v);
    let id = e
        .str_at("id")
        .ok_or(Rejection::missing("a retrospective without 'id'"))?;
    let incident =
        incident_of(&e).ok_or(Rejection::missing("a retrospective without 'incident_id'"))?;
    let mut t = Ticket::new(SOURCE, id);
    t.postmortem = true;
    t.refs.push(Ref::Incident(incident));
    let status = e.str_at("state").or(e.str_at("status")).unwrap_or("");
    let done = matches!(status, "completed" | "complete" | "published" | "done");
    t.status = if done { "done" } else { "open" };
    t.status_raw = Some(status.to_string());
    t.title = e.str_at("name").or(e.str_at("title")).map(str::to_string);
    t.url = e.str_at("url").map(str::to_string);
    t.updated = e.ts_at("updated_at")?;
    t.published = e.ts_at("published_at")?.filter(|_| done);
    // Held when completed; a retrospective with only a publication (or update) time
    // was held by then.
    t.completed = e.ts_at("completed_at")?.or(t.published).or(t.updated);
    Ok(vec![t.into_row()])
}
