//! PagerDuty REST API v2 exports: `/incidents` (one page, an array of pages, a bare
//! array, or `/incidents/{id}`), `/log_entries` (global, per incident, or embedded in
//! incidents as collectors do), `/users`, and the Analytics raw incidents response.
//!
//! One incident is one input record, with its embedded log entries; a log entry of a
//! separate export is a record of its own and needs its incident to be known. Person
//! references stay PagerDuty ids (`pagerduty:PQYACO3`); the `/users` export (or a
//! roster's aliases) joins them to people by e-mail when metrics read the store.
//! Notify entries that name their person only in a sentence ("Notified Keon Amini by
//! email.") are read from that sentence, the name matched to an id seen in the export.

use super::json::{self, under, Get};
use super::{Context, FileError, Input, Source};
use crate::normalize;
use crate::record::{Item, Record, Reject, Rejection, Row, Value};
use crate::schema::{cell, col, tables, Table};
use chrono_tz::Tz;
use compact_str::format_compact;
use serde_json::Value as Json;
use std::collections::HashMap;

mod log;
mod oncall;
use log::{timeline, Glance, Separate};

pub struct PagerDuty;

/// A file of separate log entries up to this size is read once, its entries kept.
const KEEP_WHOLE_BYTES: u64 = 1 << 20;

pub const SOURCE: &str = "pagerduty";

impl Source for PagerDuty {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::Pager
    }

    fn describe(&self) -> &'static str {
        "PagerDuty REST v2 JSON: incidents, log entries, users, on-calls, analytics raw incidents"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        input.is_json()
            && (head.contains("pagerduty.com")
                || head.contains("_log_entry")
                || head.contains("\"seconds_to_first_ack\"")
                || head.contains("\"responder_type\"")
                // Exports stripped of `self` and `html_url` still carry typed references,
                // or at least an escalation policy beside an urgency.
                || head.contains("_reference\"")
                || (head.contains("\"escalation_policy\"") && head.contains("\"urgency\""))
                || (head.contains("\"time_zone\"") && head.contains("\"role\"") && head.contains("\"email\""))
                || (head.contains("\"incident_number\"") && head.contains("\"escalation_policy")))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let mut separate = Separate::default();
        // The log entries of a small file (one per incident, say), kept from the first
        // reading for the second.
        let small = input.size <= KEEP_WHOLE_BYTES;
        let mut kept: Vec<Kept> = Vec::new();
        // Analytics raw incidents seen: read once the whole file has given the zone.
        let mut raw_incidents = 0usize;
        let mut reader = Reader {
            ctx,
            names: Names::default(),
        };
        // Incidents are read on every core, each with the names it shows, and so are
        // log entries (a first glance: see `log`); the rest (users, …) in order on this
        // thread.
        let (envelope, rejects) = json::stream_file_raw(
            &input.path,
            &KEYS,
            // An entry of a separate export is glanced at from its bytes (kept as they
            // are in a small file); an Analytics raw incident is only counted (it is
            // read again below).
            |path, bytes| {
                if under(path, "data") {
                    return Some(Element::Analytics);
                }
                under(path, "log_entries")
                    .then(|| Glance::from_bytes(path, bytes))
                    .flatten()
                    .map(|g| {
                        Element::Entry(g, small.then(|| Kept::Bytes(path.into(), bytes.into())))
                    })
            },
            |path, v| {
                match kind(&path, &v) {
                    Kind::Incident => {}
                    Kind::LogEntry => {
                        let glance = Glance::of(path.clone(), &v);
                        return Element::Entry(glance, small.then_some(Kept::Tree(path, v)));
                    }
                    _ => return Element::Other(path, v),
                }
                let mut own = Reader {
                    ctx,
                    names: Names::default(),
                };
                let item = own.incident(&path, &v);
                if own.names.missed.get() {
                    // A name it did not show: read again in order.
                    return Element::Other(path, v);
                }
                Element::Incident {
                    item,
                    names: own.names,
                }
            },
            &mut |e| match e {
                Element::Analytics => raw_incidents += 1,
                Element::Other(path, v) => reader.element(&path, v, emit, &mut raw_incidents),
                Element::Entry(glance, entry) => {
                    separate.add(glance);
                    kept.extend(entry);
                }
                Element::Incident { item, names } => {
                    reader.names.ids.extend(names.ids);
                    emit(item);
                }
            },
        )?;
        rejects.into_iter().for_each(&mut *emit);
        reader.in_envelope(&envelope, emit);
        if separate.entries > 0 {
            separate.finish(&reader.names.ids);
        }
        if small {
            for entry in kept {
                emit(match entry {
                    Kept::Tree(path, v) => separate.item(&path, &v),
                    Kept::Bytes(path, bytes) => separate.item_of_bytes(path, &bytes),
                });
            }
        } else if separate.entries > 0 {
            // The entries were parsed by the first reading: their rejects are counted.
            read_again(
                input,
                "log_entries",
                Kind::LogEntry,
                |path, bytes| separate.item_from_bytes(path, bytes),
                |path, v| separate.item(&path, v),
                emit,
            )?;
        }
        if raw_incidents > 0 {
            // The first reading did not parse them: a raw incident that does not parse
            // is rejected by this one.
            let zone = envelope
                .get("time_zone")
                .and_then(Json::as_str)
                .map(crate::time::parse_zone);
            let rejects = read_again(
                input,
                "data",
                Kind::Analytics,
                |_, _| None,
                |path, v| analytics(ctx, &zone, path, v),
                emit,
            )?;
            rejects.into_iter().for_each(&mut *emit);
        }
        Ok(Vec::new())
    }
}

/// The keys under which a PagerDuty export holds its records.
const KEYS: [&str; 7] = [
    "incidents",
    "oncalls",
    "log_entries",
    "users",
    "data",
    "notes",
    "alerts",
];

/// A second reading of the file for the records of one kind (those under `key`, or
/// bare ones of that kind): each mapped by `item` on every core and handed on at once
/// (or by `raw` from its bytes, when that reads a record under `key`: it must come to
/// what `item` would); records under the other keys are passed over unparsed. The
/// rejects of the records under `key` that do not parse are returned, for a caller
/// whose first reading did not parse them.
fn read_again(
    input: &Input,
    key: &str,
    want: Kind,
    raw: impl Fn(&str, &[u8]) -> Option<Item> + Sync,
    item: impl Fn(String, &Json) -> Item + Sync,
    emit: &mut dyn FnMut(Item),
) -> Result<Vec<Item>, FileError> {
    let (_, rejects) = json::stream_file_raw(
        &input.path,
        &KEYS,
        |path, bytes| {
            if KEYS.iter().any(|k| *k != key && under(path, k)) {
                return Some(None);
            }
            under(path, key)
                .then(|| raw(path, bytes))
                .flatten()
                .map(Some)
        },
        |path, v| (kind(&path, &v) == want).then(|| item(path, &v)),
        &mut |item: Option<Item>| item.into_iter().for_each(&mut *emit),
    )?;
    Ok(rejects
        .into_iter()
        .filter(|r| matches!(r, Item::Reject(r) if under(&r.location, key) && r.unread.is_none()))
        .collect())
}

/// PagerDuty user names seen in references, for notify sentences that give only a name.
/// Whether a name was asked for and not known is noted: an incident read on its own
/// (on another core) with its own names is read again in order when that happens, for
/// a name may have been learned from an incident before it.
#[derive(Default)]
struct Names {
    /// Name → PagerDuty user id.
    ids: HashMap<String, String>,
    /// A name was asked for that was not known.
    missed: std::cell::Cell<bool>,
}

impl Names {
    /// Learns every user reference (`{"type": "user_reference", "id", "summary"}`) in `v`.
    fn learn(&mut self, v: &Json) {
        match v {
            Json::Object(o) => {
                if o.get("type").and_then(Json::as_str) == Some("user_reference") {
                    if let (Some(id), Some(name)) = (
                        o.get("id").and_then(Json::as_str),
                        o.get("summary").and_then(Json::as_str),
                    ) {
                        self.ids.insert(name.to_string(), id.to_string());
                    }
                }
                o.values().for_each(|x| self.learn(x));
            }
            Json::Array(a) => a.iter().for_each(|x| self.learn(x)),
            _ => {}
        }
    }

    /// The person id for a name: the PagerDuty id when the export showed it, else the name.
    fn person(&self, name: &str) -> String {
        if !self.ids.contains_key(name) {
            self.missed.set(true);
        }
        log::id_for_name(&self.ids, name)
    }
}

/// A log entry of a small file, kept for its record: its JSON tree, or its bytes when
/// the first reading did not need the tree.
enum Kept {
    Tree(String, Json),
    Bytes(String, Vec<u8>),
}

/// An element as read on any core: an incident with its item and the names it showed,
/// or anything else (an incident that asked for a name it did not show, too), for the
/// reader in order.
enum Element {
    Incident {
        item: Item,
        names: Names,
    },
    /// A log entry of a separate export, as its first reading keeps it, with the entry
    /// itself when the file is small enough to keep whole (no second reading then).
    Entry(Glance, Option<Kept>),
    /// An Analytics raw incident, read again once the file's zone is known.
    Analytics,
    Other(String, Json),
}

/// What an element of a PagerDuty export is, by where it is and what it holds.
#[derive(PartialEq)]
enum Kind {
    LogEntry,
    Analytics,
    User,
    Note,
    Alert,
    OnCall,
    Incident,
}

/// What a record is: by the array it is under, else (a bare record) by its fields.
fn kind(path: &str, v: &Json) -> Kind {
    if under(path, "log_entries") {
        Kind::LogEntry
    } else if under(path, "data") {
        Kind::Analytics
    } else if under(path, "users") {
        Kind::User
    } else if under(path, "notes") {
        Kind::Note
    } else if under(path, "alerts") {
        Kind::Alert
    } else if under(path, "oncalls") || oncall::is_on_call(v) {
        Kind::OnCall
    } else {
        // Pages of results in an array were opened by the JSON reader. A bare record (a bare array, a JSONL line): what it is by its own `type`,
        // else by the fields only that kind has.
        match v.get("type").and_then(Json::as_str) {
            Some(t) if t.ends_with("_log_entry") => Kind::LogEntry,
            Some("user" | "user_reference") if v.get("incident_number").is_none() => Kind::User,
            Some("alert") => Kind::Alert,
            Some(_) => Kind::Incident,
            None if v.get("seconds_to_resolve").is_some()
                || v.get("seconds_to_first_ack").is_some() =>
            {
                Kind::Analytics
            }
            None if v.get("email").is_some() && v.get("incident_number").is_none() => Kind::User,
            None => Kind::Incident,
        }
    }
}

/// An alert (`/alerts`, `/incidents/{id}/alerts`): its incident, unless it was
/// suppressed (it then opened none), its deduplication key and service.
fn alert(path: &str, v: &Json) -> Item {
    let row = || -> Result<Vec<Row>, Rejection> {
        let id = v
            .str_at("id")
            .ok_or(Rejection::missing("an alert without 'id'"))?;
        let created = v
            .ts_at("created_at")?
            .ok_or(Rejection::missing("an alert without 'created_at'"))?;
        let suppressed = v.get("suppressed").and_then(Json::as_bool) == Some(true);
        let incident = v
            .str_at("incident.id")
            .filter(|_| !suppressed)
            .map(|i| format!("{SOURCE}:{i}"));
        Ok(vec![Row::of(tables::Alerts)
            .with(cell::ALERT_ID, Value::text(format!("{SOURCE}:{id}")))
            .with(cell::INCIDENT_ID, Value::opt_text(incident))
            .with(cell::ALERT_KEY, Value::opt_text(v.str_at("alert_key")))
            .with(cell::SERVICE, Value::opt_text(v.str_at("service.summary")))
            .with(cell::CREATED_AT, Value::Ts(created))
            .with(cell::SOURCE, Value::text(SOURCE))
            .into()])
    };
    Item::of(path, row(), || v.to_string())
}

/// The name of the first team a user or incident lists.
fn first_team(v: &Json) -> Option<&str> {
    v.array_at("teams")
        .first()
        .and_then(|t| t.str_at("summary"))
}

/// A user reference as a person id, if it is a user (not a service or a bot).
fn user(v: Option<&Json>) -> Option<String> {
    let v = v?;
    let kind = v.str_at("type").unwrap_or("user_reference");
    let id = v.str_at("id")?;
    (kind == "user_reference" || kind == "user").then(|| format!("{SOURCE}:{id}"))
}

/// The name and trailing words of sentences such as "Notified Keon Amini by email." or
/// "Escalated to Keon Amini through the API.".
fn sentence<'a>(summary: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = summary.strip_prefix(prefix)?.trim_end_matches('.');
    for sep in [" by ", " through ", " via "] {
        if let Some((name, tail)) = rest.rsplit_once(sep) {
            return Some((name.trim(), tail.trim()));
        }
    }
    Some((rest.trim(), ""))
}

struct Reader<'a> {
    ctx: &'a Context<'a>,
    names: Names,
}

impl Reader<'_> {
    /// The records a response holds beside its arrays: one incident (`GET
    /// /incidents/{id}`), and an Analytics responder response (`responses`, an array or
    /// one object, for the envelope's `incident_id`).
    fn in_envelope(&mut self, envelope: &json::Envelope, emit: &mut dyn FnMut(Item)) {
        if let Some(incident) = envelope.get("incident") {
            let item = self.incident("$.incident", incident);
            emit(item);
        }
        let incident = envelope.get("incident_id").and_then(Json::as_str);
        match envelope.get("responses") {
            Some(Json::Array(all)) => {
                for (i, v) in all.iter().enumerate() {
                    emit(self.response(&format!("$.responses[{i}]"), v, incident));
                }
            }
            Some(one @ Json::Object(_)) => emit(self.response("$.responses", one, incident)),
            _ => {}
        }
    }

    fn element(&mut self, path: &str, v: Json, emit: &mut dyn FnMut(Item), analytics: &mut usize) {
        match kind(path, &v) {
            Kind::LogEntry => unreachable!("log entries are glanced at on any core"),
            Kind::Analytics => *analytics += 1,
            Kind::User => emit(self.user(path, &v)),
            Kind::Note => emit(Item::Reject(Reject::new(
                path,
                Rejection::missing("a notes export does not say which incident its notes belong to; export log entries (annotate entries) instead"),
                "",
            ))),
            Kind::Alert => emit(alert(path, &v)),
            Kind::OnCall => emit(oncall::item(path, &v)),
            Kind::Incident => emit(self.incident(path, &v)),
        }
    }

    /// A responder request's response (Analytics): an accepted one makes a participant.
    fn response(&self, path: &str, v: &Json, incident: Option<&str>) -> Item {
        let (Some(incident), Some(who)) = (incident, v.str_at("responder_id")) else {
            return Item::Reject(Reject::new(
                path,
                Rejection::missing("a response without 'incident_id' or 'responder_id'"),
                &v.to_string(),
            ));
        };
        if v.str_at("response_status") != Some("accepted") {
            return Item::Reject(Reject::new(
                path,
                Rejection::unexpected("the responder did not accept the request: no participation"),
                &v.to_string(),
            ));
        }
        let at = v
            .str_at("responded_at")
            .and_then(|s| crate::time::parse_timestamp(s, Some(Tz::UTC)).ok());
        let incident_id = format!("{SOURCE}:{incident}");
        let mut r = Record::new(
            path,
            vec![participant(
                &incident_id,
                &format!("{SOURCE}:{who}"),
                at,
                at,
            )],
        );
        r.requires.push(incident_id);
        Item::Record(r)
    }

    fn user(&self, path: &str, v: &Json) -> Item {
        let Some(id) = v.str_at("id") else {
            return Item::Reject(Reject::new(
                path,
                Rejection::missing("a user without 'id'"),
                &v.to_string(),
            ));
        };
        let mut row = super::person_row(
            format!("{SOURCE}:{id}"),
            v.str_at("email"),
            v.str_at("name"),
        )
        .with(cell::TEAM, Value::opt_text(first_team(v)));
        if let Some(tz) = v.str_at("time_zone") {
            match crate::time::parse_zone(tz) {
                Ok(_) => row.set(cell::TIMEZONE, Value::text(tz)),
                Err(e) => {
                    return Item::Reject(Reject::new(
                        path,
                        Rejection::invalid(format!("time_zone: {e}")),
                        tz,
                    ))
                }
            };
        }
        Item::Record(Record::new(path, vec![row.into()]))
    }

    fn incident(&mut self, path: &str, v: &Json) -> Item {
        Item::of(path, self.incident_rows(v), || v.to_string())
    }

    fn incident_rows(&mut self, v: &Json) -> Result<Vec<Row>, Rejection> {
        let id = v
            .str_at("id")
            .ok_or(Rejection::missing("an incident without 'id'"))?;
        self.names.learn(v);
        let incident_id = format!("{SOURCE}:{id}");
        let service = v.str_at("service.summary");
        let urgency = v.str_at("urgency");
        let created = v.ts_at("created_at")?;
        let entries: Vec<&Json> = v.array_at("log_entries").iter().collect();
        let tl = timeline(&incident_id, service, urgency, &entries, &|n| {
            self.names.person(n)
        })?;
        let mut rows: Vec<Row> = Vec::new();
        let raw_priority = v.str_at("priority.summary").or(v.str_at("priority.name"));
        let mut acked = tl.first_ack;
        for a in v.array_at("acknowledgements") {
            if let Some(at) = a.ts_at("at")? {
                acked = Some(acked.map_or(at, |x: i64| x.min(at)));
            }
        }
        // resolved_at is sometimes missing on resolved incidents: the resolve entry has
        // it (embedded here; one in another file is applied when the store is linked),
        // else the time of the last change of status, which was the resolution.
        let own = v.ts_at("resolved_at")?;
        let mut fallback = None;
        let resolved = match (own, v.str_at("status") == Some("resolved")) {
            (Some(at), _) => Some(at),
            (None, true) => match (tl.resolved, v.ts_at("last_status_change_at")?) {
                (Some(at), _) => {
                    fallback = Some(super::RESOLVED_FROM_ENTRY);
                    Some(at)
                }
                (None, Some(at)) => {
                    fallback = Some(super::RESOLVED_FROM_STATUS_CHANGE);
                    Some(at)
                }
                (None, None) => None,
            },
            (None, false) => None,
        };
        rows.push(
            super::incident_row(SOURCE, id)
                .with(
                    cell::NUMBER,
                    v.i64_at("incident_number").map_or(Value::Null, Value::Int),
                )
                .with(
                    cell::TITLE,
                    Value::opt_text(v.str_at("title").or(v.str_at("summary"))),
                )
                .with(cell::URL, Value::opt_text(v.str_at("html_url")))
                .with_all(super::severity_cells(raw_priority, self.ctx))
                .with(cell::STATUS, Value::opt_text(v.str_at("status")))
                .with(cell::TEAM, Value::opt_text(first_team(v)))
                .with(cell::STARTED_AT, Value::opt_ts(created))
                .with(cell::DECLARED_AT, Value::opt_ts(created))
                .with(cell::ACKNOWLEDGED_AT, Value::opt_ts(acked))
                .with(cell::RESOLVED_AT, Value::opt_ts(resolved))
                .with(
                    cell::DECLARED_BY,
                    Value::opt_text(tl.declared_by.as_deref()),
                )
                .with(cell::UPDATED_AT, Value::opt_ts(v.ts_at("updated_at")?))
                .into(),
        );
        if let Some(s) = service {
            rows.push(super::service_row(&incident_id, s).into());
        }
        if let Some(what) = fallback {
            rows.push(super::fallback_row(&incident_id, what).into());
        }
        // Assignees and acknowledgers the incident object lists (emptied on resolve).
        for (list, field) in [
            ("assignments", "assignee"),
            ("acknowledgements", "acknowledger"),
        ] {
            for a in v.array_at(list) {
                if let Some(person) = user(a.get(field)) {
                    let at = a.ts_at("at")?;
                    rows.push(participant(&incident_id, &person, at, at));
                }
            }
        }
        rows.extend(tl.rows.into_iter().map(|(_, r)| r));
        Ok(dedup_participants(rows))
    }
}

fn participant(incident_id: &str, person: &str, first: Option<i64>, last: Option<i64>) -> Row {
    super::responder_row(incident_id, person, first, last, SOURCE).into()
}

/// One participant row per person: first and last activity over all their rows.
fn dedup_participants(rows: Vec<Row>) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in rows {
        if row.table != Table::Participants {
            out.push(row);
            continue;
        }
        let key = row.get(col::PERSON_ID).to_string();
        match seen.get(&key) {
            None => {
                seen.insert(key, out.len());
                out.push(row);
            }
            Some(&i) => {
                let merge = |a: &Value, b: &Value, f: fn(i64, i64) -> i64| match (a, b) {
                    (Value::Ts(x), Value::Ts(y)) => Value::Ts(f(*x, *y)),
                    (Value::Null, v) | (v, Value::Null) => v.clone(),
                    (v, _) => v.clone(),
                };
                let first = merge(
                    out[i].get(col::FIRST_ACTIVE_AT),
                    row.get(col::FIRST_ACTIVE_AT),
                    i64::min,
                );
                let last = merge(
                    out[i].get(col::LAST_ACTIVE_AT),
                    row.get(col::LAST_ACTIVE_AT),
                    i64::max,
                );
                out[i].set(cell::FIRST_ACTIVE_AT, first);
                out[i].set(cell::LAST_ACTIVE_AT, last);
            }
        }
    }
    out
}

/// An Analytics raw incident: flat, with times in the envelope's zone.
fn analytics_in(ctx: &Context, path: &str, v: &Json, tz: Tz) -> Item {
    let rows = (|| -> Result<Vec<Row>, Rejection> {
        let id = v
            .str_at("id")
            .ok_or(Rejection::missing("an incident without 'id'"))?;
        let at = |name: &str| -> Result<Option<i64>, Rejection> {
            v.str_at(name)
                .map(|s| {
                    crate::time::parse_timestamp(s, Some(tz))
                        .map_err(|e| Rejection::invalid(format!("{name}: {e}")))
                })
                .transpose()
        };
        let created = at("created_at")?;
        let incident_id = format!("{SOURCE}:{id}");
        let raw = v.str_at("priority_name");
        let acked = match (created, v.i64_at("seconds_to_first_ack")) {
            (Some(c), Some(s)) => Some(c + s * 1_000_000),
            _ => None,
        };
        let mut rows: Vec<Row> = vec![super::incident_row(SOURCE, id)
            .with(
                cell::NUMBER,
                v.i64_at("incident_number").map_or(Value::Null, Value::Int),
            )
            .with(cell::TITLE, Value::opt_text(v.str_at("description")))
            .with_all(super::severity_cells(raw, ctx))
            .with(cell::STATUS, Value::opt_text(v.str_at("status")))
            .with(cell::TEAM, Value::opt_text(v.str_at("team_name")))
            .with(cell::STARTED_AT, Value::opt_ts(created))
            .with(cell::DECLARED_AT, Value::opt_ts(created))
            .with(cell::ACKNOWLEDGED_AT, Value::opt_ts(acked))
            .with(cell::RESOLVED_AT, Value::opt_ts(at("resolved_at")?))
            .with(cell::UPDATED_AT, Value::opt_ts(at("updated_at")?))
            .into()];
        if let Some(s) = v.str_at("service_name") {
            rows.push(super::service_row(&incident_id, s).into());
        }
        for key in ["assigned_user_ids", "acknowledged_user_ids"] {
            for u in v.array_at(key).iter().filter_map(Json::as_str) {
                rows.push(participant(
                    &incident_id,
                    &format!("{SOURCE}:{u}"),
                    None,
                    None,
                ));
            }
        }
        Ok(dedup_participants(rows))
    })();
    Item::of(path, rows, || v.to_string())
}

/// An Analytics raw incident in the zone its response gives, or the reject that says
/// the zone is missing or wrong.
fn analytics(ctx: &Context, zone: &Option<Result<Tz, String>>, path: String, v: &Json) -> Item {
    match zone {
        Some(Ok(tz)) => analytics_in(ctx, &path, v, *tz),
        Some(Err(e)) => Item::Reject(Reject::new(
            path,
            Rejection::invalid(format!("$.time_zone: {e}")),
            "",
        )),
        None => Item::Reject(Reject::new(
            path,
            Rejection::missing(
                "analytics timestamps have no offset and the response has no time_zone",
            ),
            "",
        )),
    }
}
