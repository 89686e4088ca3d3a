//! Opsgenie's schedule timeline (`GET /v2/schedules/{id}/timeline`): who was on call when,
//! per rotation. The response is `{"data": {"_parent": {"id", "name"}, "startDate",
//! "endDate", "finalTimeline": {"rotations": [{"id", "name", "periods": [...]}]},
//! "baseTimeline", "overrideTimeline"}, "took", "requestId"}`; Jira Service Management's
//! Operations API returns the same without `data` around it. Each period of the final
//! timeline (overrides applied) is one on-call entry: `startDate`, `endDate`, `type`
//! (`historical`, `default`, `override`, …) and `recipient` (or, in JSM, `responder`) of
//! `type` `user` with the username (`name`, an e-mail) or an id. The timeline cuts a
//! stint at the moment it was asked for; the metrics merge a person's adjacent periods.

use super::json::Get;
use super::opsgenie::SOURCE;
use crate::record::{Item, Record, Reject, Rejection, Row, Value};
use crate::schema::{cell, tables};
use serde_json::Value as Json;

/// Whether `v` is a schedule timeline (the object under `data`, or JSM's document).
pub fn is_timeline(v: &Json) -> bool {
    v.get("finalTimeline").is_some()
}

/// One item per period of the final timeline, each at its JSON path.
pub fn items(at: &str, t: &Json, emit: &mut dyn FnMut(Item)) {
    let schedule = t.str_at("_parent.name").or_else(|| t.str_at("_parent.id"));
    let schedule_id = t.str_at("_parent.id").unwrap_or("-");
    for (r, rotation) in t.array_at("finalTimeline.rotations").iter().enumerate() {
        let rotation_id = rotation.str_at("id").unwrap_or("-");
        for (p, period) in rotation.array_at("periods").iter().enumerate() {
            let path = format!("{at}.finalTimeline.rotations[{r}].periods[{p}]");
            let who = period.get("recipient").or_else(|| period.get("responder"));
            let kind = who.and_then(|w| w.str_at("type")).unwrap_or("user");
            if kind != "user" {
                emit(Item::skip(
                    path,
                    "a timeline period of no one person (a team, an escalation or nobody)",
                ));
                continue;
            }
            let entry = format!("{SOURCE}:{schedule_id}:{rotation_id}:");
            emit(
                match row(period, who, schedule, &entry, rotation.str_at("name")) {
                    Ok(row) => Item::Record(Record::new(path, vec![row])),
                    Err(why) => Item::Reject(Reject::new(path, why, &period.to_string())),
                },
            );
        }
    }
}

fn row(
    period: &Json,
    who: Option<&Json>,
    schedule: Option<&str>,
    entry: &str,
    rotation: Option<&str>,
) -> Result<Row, Rejection> {
    let who = who.ok_or(Rejection::missing("a period without 'recipient'"))?;
    // A username is the e-mail other sources know; else the Opsgenie (or Atlassian) id.
    let person = match (who.str_at("name"), who.str_at("id")) {
        (Some(name), _) if name.contains('@') => name.to_lowercase(),
        (_, Some(id)) => format!("{SOURCE}:{id}"),
        (Some(name), None) => format!("{SOURCE}:{name}"),
        (None, None) => {
            return Err(Rejection::missing(
                "a period whose recipient has neither 'name' nor 'id'",
            ))
        }
    };
    let (start, end) = (period.ts_at("startDate")?, period.ts_at("endDate")?);
    let (Some(start), Some(end)) = (start, end) else {
        return Err(Rejection::missing(
            "a period without 'startDate' or 'endDate'",
        ));
    };
    if end < start {
        return Err(Rejection::invalid(format!(
            "endDate: expected a time after startDate, found {} before it",
            crate::time::format_micros(end)
        )));
    }
    let id = format!(
        "{entry}{}:{person}",
        period.str_at("startDate").unwrap_or("-")
    );
    Ok(Row::of(tables::OnCall)
        .with(cell::ENTRY_ID, Value::text(id))
        .with(cell::PERSON_ID, Value::text(person))
        .with(cell::SCHEDULE, Value::opt_text(schedule))
        .with(cell::ESCALATION_POLICY, Value::opt_text(rotation))
        .with(cell::STARTED_AT, Value::Ts(start))
        .with(cell::ENDED_AT, Value::Ts(end))
        .with(cell::SOURCE, Value::text(SOURCE))
        .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(v: &Json) -> Vec<Item> {
        assert!(is_timeline(v));
        let mut out = Vec::new();
        items("$", v, &mut |i| out.push(i));
        out
    }

    #[test]
    fn jira_service_managements_timeline_has_no_data_and_names_responders_by_id() {
        let v: Json = serde_json::from_str(
            r#"{"startDate":"2025-10-31T23:00:00Z","endDate":"2026-04-30T22:00:00Z",
                "finalTimeline":{"rotations":[{"id":"rot-1","name":"Rot2","periods":[
                  {"startDate":"2025-11-01T00:00:00Z","endDate":"2025-11-08T00:00:00Z","type":"historical",
                   "responder":{"id":"acct-1","type":"user"}},
                  {"startDate":"2025-11-08T00:00:00Z","endDate":"2025-11-01T00:00:00Z","type":"default",
                   "responder":{"id":"acct-2","type":"user"}},
                  {"startDate":"2025-11-08T00:00:00Z","endDate":"2025-11-15T00:00:00Z","type":"default",
                   "responder":{"type":"none"}}]}]}}"#,
        )
        .unwrap();
        let items = collect(&v);
        assert_eq!(items.len(), 3);
        let Item::Record(r) = &items[0] else {
            panic!("{:?}", items[0])
        };
        assert_eq!(r.location, "$.finalTimeline.rotations[0].periods[0]");
        assert_eq!(r.rows[0].get("person_id").to_string(), "opsgenie:acct-1");
        assert_eq!(r.rows[0].get("escalation_policy").to_string(), "Rot2");
        let Item::Reject(bad) = &items[1] else {
            panic!("{:?}", items[1])
        };
        assert!(
            bad.reason.contains("expected a time after startDate"),
            "{}",
            bad.reason
        );
        assert!(matches!(items[2], Item::Skipped { .. }));
    }
}
