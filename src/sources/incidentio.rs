//! incident.io API v2 exports: `/v2/incidents` (or one incident), `/v2/follow_ups`,
//! `/v2/incident_updates`, `/v1/postmortem_documents`, `/v2/incident_alerts` and
//! `/v2/incident_participants`.
//!
//! An incident gives its phases from the timestamps named so ("Impact started",
//! "Reported at", "Accepted at", "Mitigated at", "Resolved at"; else "Closed at"), its
//! severity by name (SEV1, Critical, …) or, for names no rule knows, by rank among the
//! export's severities (the highest rank is SEV1), its lead as commander, its creator
//! or reporter as declarer, custom fields as tags (a field naming services or a team
//! gives the incident's services or team), and its Slack channel as an explicit claim.
//! Follow-ups are action items linked to their incident; one exported to Jira names
//! that ticket, which is counted instead when it is in the store. Updates are
//! `status_update` events; completed postmortem documents give the retro's published
//! date; an alert whose source URL is a pager incident's page says the two are one
//! incident. Declined, merged and cancelled incidents were never incidents, and
//! definitions (role and timestamp names) are not incident data: both are rejected
//! with that reason.

use super::json::{self, Get};
use super::platform;
use super::ticket::Ticket;
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Record, Reject, Rejection, Row, Value};
use crate::refs::Ref;
use crate::schema::{cell, col};
use serde_json::Value as Json;
use std::collections::{BTreeSet, HashMap};

pub struct IncidentIo;

pub const SOURCE: &str = "incidentio";

/// Array keys of the exports this adapter reads.
const KEYS: [&str; 8] = [
    "incidents",
    "follow_ups",
    "actions",
    "incident_updates",
    "postmortem_documents",
    "incident_alerts",
    "incident_roles",
    "incident_timestamps",
];

/// Keys only incident.io exports use, as they are written (quoted).
const MARKERS: [&str; 9] = [
    "\"follow_ups\"",
    "\"incident_updates\"",
    "\"postmortem_documents\"",
    "\"incident_alerts\"",
    "\"incident_roles\"",
    "\"incident_timestamps\"",
    "\"incident_participants\"",
    "\"incident_role_assignments\"",
    "\"incident_status\"",
];

impl Source for IncidentIo {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::Platform
    }

    fn describe(&self) -> &'static str {
        "incident.io API v2 JSON: incidents, follow-ups, updates, postmortem documents, alerts"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        // `actions` and `incident_updates` are words other formats use too (Opsgenie
        // incidents have `actions`; Statuspage, read first, has `incident_updates`).
        input.is_json()
            && (head.contains("app.incident.io")
                || MARKERS.iter().any(|k| head.contains(k))
                || (head.contains("\"actions\"") && head.contains("\"incident_id\"")))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        // Severities without a known name are ranked among all of the export's: a first
        // pass reads every incident's severity alone (from its bytes where the record is
        // plainly an incident), then the records are read and mapped on every core.
        // Nothing waits for the end of the file.
        let mut unknown: BTreeSet<i64> = BTreeSet::new();
        let (envelope, _) = json::stream_file_raw(
            &input.path,
            &KEYS,
            |path, bytes| {
                json::under(path, "incidents")
                    .then(|| serde_json::from_slice::<Severity>(bytes).ok())
                    .flatten()
                    .map(|s| unknown_rank(s.severity.as_ref(), ctx))
            },
            |path, v| {
                (kind_of(&path, &v) == "incidents")
                    .then(|| unknown_rank(v.get("severity"), ctx))
                    .flatten()
            },
            &mut |rank: Option<i64>| unknown.extend(rank),
        )?;
        let one = envelope.get("incident").and_then(|one| one.get("severity"));
        unknown.extend(one.and_then(|s| unknown_rank(Some(s), ctx)));
        let ranks = Ranks::new(&unknown);
        let envelope = json::stream_items(
            &input.path,
            &KEYS,
            |path, v| {
                [if kind_of(path, v) == "incidents" {
                    Item::of(path, incident(v, ctx, &ranks), || excerpt(v))
                } else {
                    element(path, v)
                }]
            },
            emit,
        )?;
        if let Some(one) = envelope.get("incident") {
            emit(Item::of("$.incident", incident(one, ctx, &ranks), || {
                excerpt(one)
            }));
        }
        if let Some(Json::Object(groups)) = envelope.get("incident_participants") {
            let incident = envelope.get("incident_id").and_then(Json::as_str);
            for (group, list) in groups {
                for (i, p) in list
                    .as_array()
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .enumerate()
                {
                    emit(participant(
                        &format!("$.incident_participants.{group}[{i}]"),
                        p,
                        incident,
                    ));
                }
            }
        }
        Ok(Vec::new())
    }
}

/// An incident's severity alone, read from its bytes for the ranking pass.
#[derive(serde::Deserialize)]
struct Severity {
    #[serde(default)]
    severity: Option<Json>,
}

fn excerpt(v: &Json) -> String {
    format!(
        "{} {}",
        v.str_at("reference").or(v.str_at("id")).unwrap_or(""),
        v.str_at("name").or(v.str_at("title")).unwrap_or("")
    )
}

/// What a record is: the list it sits under (`$.follow_ups[3]`, also in a later
/// document), or, for a bare record (a bare array, a JSONL line), the fields only that
/// kind of record has.
fn kind_of(path: &str, v: &Json) -> &'static str {
    if let Some(key) = KEYS.iter().find(|k| path.contains(&format!("$.{k}["))) {
        return key;
    }
    let has = |k: &str| v.get(k).is_some();
    if has("incident_status") || (has("reference") && has("incident_role_assignments")) {
        "incidents"
    } else if has("new_incident_status") || (has("updater") && has("message")) {
        "incident_updates"
    } else if has("document_url") {
        "postmortem_documents"
    } else if has("alert") && has("incident") {
        "incident_alerts"
    } else if has("incident_id") && (has("title") || has("external_issue_reference")) {
        "follow_ups"
    } else if has("incident_id") && has("description") {
        "actions"
    } else {
        "definitions"
    }
}

fn element(path: &str, v: &Json) -> Item {
    let kind = kind_of(path, v);
    let under = |key: &str| kind == key;
    let result = if under("follow_ups") {
        follow_up(v)
    } else if under("incident_updates") {
        update(v)
    } else if under("postmortem_documents") {
        postmortem(v)
    } else if under("incident_alerts") {
        alert(v)
    } else if under("actions") {
        return Item::skip(
            path,
            "an incident.io action is a step taken during the response, not a follow-up \
             (export /v2/follow_ups for the action items)",
        );
    } else {
        return Item::skip(
            path,
            "a definition (of a role or timestamp name): incidents carry their own role \
             assignments and timestamps",
        );
    };
    Item::of(path, result, || excerpt(v))
}

/// incident.io's `incident_id` as the store's id.
fn incident_ref(v: &Json, path: &str) -> Result<String, Rejection> {
    v.str_at(path)
        .map(|id| format!("{SOURCE}:{id}"))
        .ok_or_else(|| Rejection::missing(format!("a record without '{path}'")))
}

/// Severities whose names no rule knows, ranked among the export's: highest rank SEV1.
struct Ranks(HashMap<i64, &'static str>);

impl Ranks {
    /// From the ranks of the export's severities whose names no rule knows.
    fn new(unknown: &BTreeSet<i64>) -> Ranks {
        let sevs = crate::schema::vocab::SEVERITIES;
        Ranks(
            unknown
                .iter()
                .rev()
                .enumerate()
                .map(|(i, r)| (*r, sevs[i.min(sevs.len() - 1)]))
                .collect(),
        )
    }
}

/// The rank of an incident's severity (`{"name", "rank"}`) when no rule knows its name.
fn unknown_rank(severity: Option<&Json>, ctx: &Context) -> Option<i64> {
    let s = severity?;
    s.str_at("name")
        .is_none_or(|n| crate::normalize::severity(n, &ctx.config.severity.map).is_none())
        .then(|| s.i64_at("rank"))
        .flatten()
}

/// The incident column an incident.io timestamp fills, by its name.
fn timestamp_column(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    let has = |w: &str| n.contains(w);
    if has("impact start") || has("started") {
        Some(col::STARTED_AT)
    } else if has("detected") {
        Some(col::DETECTED_AT)
    } else if has("reported") || has("declared") {
        Some(col::DECLARED_AT)
    } else if has("accepted") || has("acknowledged") {
        Some(col::ACKNOWLEDGED_AT)
    } else if has("mitigated") || has("fixed") {
        Some(col::MITIGATED_AT)
    } else if has("resolved") || has("impact end") {
        Some(col::RESOLVED_AT)
    } else {
        None
    }
}

/// Times by the canonical column they set.
type Times = HashMap<&'static str, i64>;

/// An incident's named timestamps by the canonical column each stands for (the first of
/// each), and the time it was closed, if a timestamp says so.
fn timestamps(v: &Json) -> Result<(Times, Option<i64>), Rejection> {
    let mut times = Times::new();
    let mut closed = None;
    for (i, t) in v.array_at("incident_timestamp_values").iter().enumerate() {
        let name = t.str_at("incident_timestamp.name").unwrap_or("");
        let at = t
            .ts_at("value.value")
            .map_err(|e| e.within(format_args!("incident_timestamp_values[{i}].")))?;
        let Some(at) = at else { continue };
        match timestamp_column(name) {
            Some(c) => {
                times.entry(c).or_insert(at);
            }
            None if name.to_ascii_lowercase().contains("closed") => closed = Some(at),
            None => {}
        }
    }
    Ok((times, closed))
}

/// Who held which role in an incident: participant rows (pushed to the incident's rows),
/// the people's own rows, the declarer (the reporter, else the creator) and the
/// commander (the lead).
struct Roles {
    people: Vec<Row>,
    declared_by: Option<String>,
    commander: Option<String>,
}

impl Roles {
    fn read(v: &Json, incident_id: &str, rows: &mut Vec<Row>) -> Roles {
        let mut r = Roles {
            people: Vec::new(),
            declared_by: None,
            commander: None,
        };
        for a in v.array_at("incident_role_assignments") {
            let Some((person, row)) = a.at("assignee").and_then(|u| platform::user(SOURCE, u))
            else {
                continue;
            };
            r.people.push(row);
            let role = match a.str_at("role.role_type").unwrap_or("") {
                "lead" => "commander",
                "reporter" => {
                    r.declared_by.get_or_insert(person.clone());
                    "responder"
                }
                _ => platform::role(a.str_at("role.name").unwrap_or("")),
            };
            if role == "commander" {
                r.commander.get_or_insert(person.clone());
            }
            rows.push(platform::role_row(incident_id, &person, role, SOURCE).into());
        }
        if let Some((person, row)) = v.at("creator.user").and_then(|u| platform::user(SOURCE, u)) {
            r.people.push(row);
            r.declared_by.get_or_insert(person);
        }
        r
    }
}

/// An incident's custom fields: a service field's values become its services, the first
/// team field's value its team (returned), and every other value a tag.
fn custom_fields(v: &Json, incident_id: &str, rows: &mut Vec<Row>) -> Option<String> {
    let mut team = None;
    for e in v.array_at("custom_field_entries") {
        let field = e.str_at("custom_field.name").unwrap_or("custom field");
        let lower = field.to_ascii_lowercase();
        for value in e.array_at("values") {
            let Some(text) = value
                .str_at("value_catalog_entry.name")
                .or(value.str_at("value_option.value"))
                .or(value.str_at("value_text"))
                .or(value.str_at("value_link"))
            else {
                continue;
            };
            if lower.contains("service") {
                rows.push(super::service_row(incident_id, text).into());
            } else if lower.contains("team") && team.is_none() {
                team = Some(text.to_string());
            } else {
                rows.push(platform::tag(incident_id, field, text).into());
            }
        }
    }
    team
}

fn incident(v: &Json, ctx: &Context, ranks: &Ranks) -> Result<Vec<Row>, Rejection> {
    let id = v
        .str_at("id")
        .ok_or(Rejection::missing("an incident without 'id'"))?;
    let incident_id = format!("{SOURCE}:{id}");
    let category = v.str_at("incident_status.category");
    if let Some(c @ ("declined" | "merged" | "canceled" | "cancelled")) = category {
        return Err(Rejection::unexpected(format!(
            "status category '{c}': never an incident (declined, merged into another, or \
             cancelled), so not counted"
        )));
    }
    let created = v.ts_at("created_at")?;
    let (times, closed) = timestamps(v)?;
    let get = |c: &str| times.get(c).copied();
    let resolved = get(col::RESOLVED_AT).or(match category {
        Some("closed" | "learning") => closed,
        _ => None,
    });
    let raw_sev = v.str_at("severity.name");
    let [mut sev, sev_raw] = super::severity_cells(raw_sev, ctx);
    if sev.1.is_null() {
        if let Some(s) = v.i64_at("severity.rank").and_then(|r| ranks.0.get(&r)) {
            sev.1 = Value::text(*s);
        }
    }
    let mode = v.str_at("mode").unwrap_or("standard");
    let mut rows: Vec<Row> = Vec::new();
    let roles = Roles::read(v, &incident_id, &mut rows);
    let team = custom_fields(v, &incident_id, &mut rows);
    let (people, declared_by, commander) = (roles.people, roles.declared_by, roles.commander);
    if let Some(t) = v.str_at("incident_type.name") {
        rows.push(platform::tag(&incident_id, "incident type", t).into());
    }
    if let Some(channel) = v.str_at("slack_channel_id") {
        rows.push(platform::channel_claim(&incident_id, "slack", channel).into());
    }
    let mut refs: Vec<Ref> = Vec::new();
    if let Some(s) = v.str_at("summary") {
        refs.extend(crate::refs::urls_in(s).into_iter().map(Ref::Url));
    }
    let declared = get(col::DECLARED_AT).or(created);
    rows.insert(
        0,
        super::incident_row(SOURCE, id)
            .with(
                cell::NUMBER,
                v.str_at("reference")
                    .and_then(|r| {
                        r.trim_start_matches(|c: char| !c.is_ascii_digit())
                            .parse()
                            .ok()
                    })
                    .map_or(Value::Null, Value::Int),
            )
            .with(cell::TITLE, Value::opt_text(v.str_at("name")))
            .with(cell::URL, Value::opt_text(v.str_at("permalink")))
            .with_all([sev, sev_raw])
            .with(cell::STATUS, Value::opt_text(category))
            .with(cell::TEAM, Value::opt_text(team))
            .with(
                cell::STARTED_AT,
                Value::opt_ts(get(col::STARTED_AT).or(declared)),
            )
            .with(cell::DETECTED_AT, Value::opt_ts(get(col::DETECTED_AT)))
            .with(cell::DECLARED_AT, Value::opt_ts(declared))
            .with(
                cell::ACKNOWLEDGED_AT,
                Value::opt_ts(get(col::ACKNOWLEDGED_AT)),
            )
            .with(cell::MITIGATED_AT, Value::opt_ts(get(col::MITIGATED_AT)))
            .with(cell::RESOLVED_AT, Value::opt_ts(resolved))
            .with(cell::DECLARED_BY, Value::opt_text(declared_by))
            .with(cell::COMMANDER, Value::opt_text(commander))
            .with(
                cell::IS_DRILL,
                Value::Bool(matches!(mode, "test" | "tutorial")),
            )
            .with(
                cell::RETRO_URL,
                Value::opt_text(v.str_at("postmortem_document_url")),
            )
            .with(cell::UPDATED_AT, Value::opt_ts(v.ts_at("updated_at")?))
            .with(cell::LINK_REFS, Ref::cell(&mut refs))
            .into(),
    );
    rows.extend(people);
    Ok(platform::dedup(rows))
}

fn follow_up(v: &Json) -> Result<Vec<Row>, Rejection> {
    let id = v
        .str_at("id")
        .ok_or(Rejection::missing("a follow-up without 'id'"))?;
    let incident = incident_ref(v, "incident_id")?;
    let mut f = platform::FollowUp::read(SOURCE, id, incident, v, "outstanding", v.at("assignee"))?;
    let t = &mut f.ticket;
    t.title = v
        .str_at("title")
        .or(v.str_at("description"))
        .map(str::to_string);
    t.team = v.str_at("assignee_team.name").map(str::to_string);
    t.labels(v.array_at("labels").iter().filter_map(Json::as_str));
    if let Some(link) = v.at("external_issue_reference") {
        if let Some(url) = link.str_at("issue_permalink") {
            t.refs.push(Ref::Mirror(url.to_string()));
        }
        if let (Some("jira"), Some(key)) = (link.str_at("provider"), link.str_at("issue_name")) {
            t.refs.push(Ref::Mirror(format!("jira:{key}")));
        }
    }
    Ok(f.rows())
}

fn update(v: &Json) -> Result<Vec<Row>, Rejection> {
    let incident = incident_ref(v, "incident_id")?;
    let at = v
        .ts_at("created_at")?
        .ok_or(Rejection::missing("an update without 'created_at'"))?;
    let mut event = super::event_row(&incident, v.str_at("id"), at, "status_update", SOURCE)
        .with(cell::DETAIL, Value::opt_text(v.str_at("id")));
    let mut rows: Vec<Row> = Vec::new();
    if let Some((person, row)) = v.at("updater.user").and_then(|u| platform::user(SOURCE, u)) {
        event.set(cell::PERSON_ID, Value::text(person));
        rows.push(row);
    }
    rows.insert(0, event.into());
    Ok(rows)
}

fn postmortem(v: &Json) -> Result<Vec<Row>, Rejection> {
    let id = v
        .str_at("id")
        .ok_or(Rejection::missing("a postmortem document without 'id'"))?;
    let mut t = Ticket::new(SOURCE, id);
    t.postmortem = true;
    t.refs.push(Ref::Incident(incident_ref(v, "incident_id")?));
    let status = v.str_at("status").unwrap_or("");
    let done = matches!(status, "completed" | "complete" | "published");
    t.status = if done { "done" } else { "open" };
    t.status_raw = Some(status.to_string());
    t.title = v.str_at("title").map(str::to_string);
    t.url = v.str_at("document_url").map(str::to_string);
    t.updated = v.ts_at("updated_at")?;
    t.published = t.updated.filter(|_| done);
    Ok(vec![t.into_row()])
}

fn alert(v: &Json) -> Result<Vec<Row>, Rejection> {
    let incident = incident_ref(v, "incident.id")?;
    let url = v.str_at("alert.source_url").ok_or(Rejection::missing(
        "an alert without 'alert.source_url' names no incident elsewhere",
    ))?;
    Ok(vec![platform::reference(
        &incident,
        &Ref::Url(url.to_string()),
    )
    .into()])
}

fn participant(path: &str, p: &Json, incident: Option<&str>) -> Item {
    let Some(incident) = incident else {
        return Item::Reject(Reject::new(
            path,
            Rejection::missing(
                "participants exported without 'incident_id' do not say which incident they \
                 took part in; add the incident_id the export was made for",
            ),
            "",
        ));
    };
    match p.at("user").and_then(|u| platform::user(SOURCE, u)) {
        Some((person, row)) => {
            let role = match p.str_at("participant_type") {
                Some("observer") => "observer",
                _ => "responder",
            };
            let part = platform::role_row(&format!("{SOURCE}:{incident}"), &person, role, SOURCE);
            Item::Record(Record::new(path, vec![part.into(), row]))
        }
        None => Item::Reject(Reject::new(
            path,
            Rejection::missing("a participant without a user"),
            "",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_by_name() {
        assert_eq!(timestamp_column("Impact started"), Some(col::STARTED_AT));
        assert_eq!(timestamp_column("Reported at"), Some(col::DECLARED_AT));
        assert_eq!(timestamp_column("Accepted at"), Some(col::ACKNOWLEDGED_AT));
        assert_eq!(timestamp_column("Mitigated at"), Some(col::MITIGATED_AT));
        assert_eq!(timestamp_column("Resolved at"), Some(col::RESOLVED_AT));
        assert_eq!(timestamp_column("Closed at"), None);
    }
}
