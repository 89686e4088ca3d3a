//! PagerDuty's `/oncalls` export: who was on call, for which escalation policy and level
//! and through which schedule, from when to when. The response is `{"oncalls": [...],
//! "limit", "offset", "more"}`; each entry names its user by reference (`{"id", "type":
//! "user_reference", "summary"}`), or in full with `include[]=users` (then its e-mail and
//! zone make a person too). `start` and `end` are null for a user placed on an
//! escalation level directly: on call all the time.

use super::{user, SOURCE};
use crate::record::{Item, Record, Reject, Rejection, Row, Value};
use crate::schema::{cell, tables};
use crate::sources::json::Get;
use serde_json::Value as Json;

/// Whether a bare record (an array element, a JSON Lines line) is an on-call entry.
pub(super) fn is_on_call(v: &Json) -> bool {
    v.get("escalation_level").is_some()
        && v.get("escalation_policy").is_some()
        && v.get("user").is_some()
        && v.get("incident_number").is_none()
}

/// An on-call entry's row, and its user's person row when the entry holds the user whole.
pub(super) fn item(path: &str, v: &Json) -> Item {
    match rows(v) {
        Ok(rows) => Item::Record(Record::new(path, rows)),
        Err(why) => Item::Reject(Reject::new(path, why, &v.to_string())),
    }
}

fn rows(v: &Json) -> Result<Vec<Row>, Rejection> {
    let person = user(v.get("user")).ok_or(Rejection::missing(
        "an on-call entry without a user reference ('user.id')",
    ))?;
    let (start, end) = (v.ts_at("start")?, v.ts_at("end")?);
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(Rejection::invalid(format!(
                "end: expected a time after start, found {} before it",
                crate::time::format_micros(e)
            )));
        }
    }
    let level = match v.get("escalation_level") {
        None | Some(Json::Null) => None,
        Some(l) => Some(l.as_i64().ok_or_else(|| {
            Rejection::invalid(format!("escalation_level: expected an integer, found {l}"))
        })?),
    };
    let name = |key: &str| {
        v.get(key).and_then(|r| {
            r.str_at("summary")
                .or_else(|| r.str_at("name"))
                .or_else(|| r.str_at("id"))
        })
    };
    let id = |key: &str| v.get(key).and_then(|r| r.str_at("id")).unwrap_or("-");
    let entry = format!(
        "{SOURCE}:{}:{}:{}:{}:{}",
        id("escalation_policy"),
        level.map_or("-".to_string(), |l| l.to_string()),
        id("schedule"),
        id("user"),
        v.str_at("start").unwrap_or("-")
    );
    let mut rows: Vec<Row> = vec![Row::of(tables::OnCall)
        .with(cell::ENTRY_ID, Value::text(entry))
        .with(cell::PERSON_ID, Value::text(&person))
        .with(cell::SCHEDULE, Value::opt_text(name("schedule")))
        .with(
            cell::ESCALATION_POLICY,
            Value::opt_text(name("escalation_policy")),
        )
        .with(cell::LEVEL, level.map_or(Value::Null, Value::Int))
        .with(cell::STARTED_AT, Value::opt_ts(start))
        .with(cell::ENDED_AT, Value::opt_ts(end))
        .with(cell::SOURCE, Value::text(SOURCE))
        .into()];
    // A user included whole (`include[]=users`) says who the id is, and in which zone.
    let u = v.get("user");
    if let (Some(u), Some(email)) = (u, u.and_then(|u| u.str_at("email"))) {
        let mut row = crate::sources::person_row(person, Some(email), u.str_at("name"));
        if let Some(tz) = u
            .str_at("time_zone")
            .filter(|z| crate::time::parse_zone(z).is_ok())
        {
            row.set(cell::TIMEZONE, Value::text(tz));
        }
        rows.push(row.into());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Json {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn an_entry_by_reference_gives_one_on_call_row() {
        let v = parse(
            r#"{"escalation_policy":{"id":"PEP1","type":"escalation_policy_reference","summary":"Checkout"},
                "escalation_level":2,"schedule":{"id":"PS1","type":"schedule_reference","summary":"Checkout primary"},
                "user":{"id":"PU1","type":"user_reference","summary":"Ana Berg"},
                "start":"2026-07-06T09:00:00-04:00","end":"2026-07-13T09:00:00-04:00"}"#,
        );
        assert!(is_on_call(&v));
        let rows = rows(&v).unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.get("person_id").to_string(), "pagerduty:PU1");
        assert_eq!(
            r.get("entry_id").to_string(),
            "pagerduty:PEP1:2:PS1:PU1:2026-07-06T09:00:00-04:00"
        );
        assert_eq!(r.get("schedule").to_string(), "Checkout primary");
        assert_eq!(r.get("escalation_policy").to_string(), "Checkout");
        assert_eq!(r.get("level"), &Value::Int(2));
        assert_eq!(r.get("started_at"), &Value::Ts(1_783_342_800_000_000));
    }

    #[test]
    fn a_permanent_entry_has_no_times_and_a_whole_user_makes_a_person() {
        let v = parse(
            r#"{"escalation_policy":{"id":"P9","type":"escalation_policy_reference","summary":"Default"},
                "escalation_level":1,"schedule":null,
                "user":{"id":"PPC00ZX","type":"user","name":"Jo Doe","email":"Jo.Doe@example.com","time_zone":"America/Los_Angeles","summary":"Jo Doe"},
                "start":null,"end":null}"#,
        );
        let rows = rows(&v).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].get("started_at").is_null() && rows[0].get("schedule").is_null());
        assert_eq!(rows[1].get("person_id").to_string(), "jo.doe@example.com");
        assert_eq!(rows[1].get("timezone").to_string(), "America/Los_Angeles");
    }

    #[test]
    fn bad_entries_are_rejects_that_say_why() {
        let no_user = parse(
            r#"{"escalation_policy":{"id":"P9"},"escalation_level":1,"user":{"type":"user_reference"}}"#,
        );
        assert!(rows(&no_user).unwrap_err().to_string().contains("user.id"));
        let backwards = parse(
            r#"{"escalation_policy":{"id":"P9"},"escalation_level":1,"user":{"id":"U","type":"user_reference"},
                "start":"2026-07-06T09:00:00Z","end":"2026-07-06T08:00:00Z"}"#,
        );
        assert!(rows(&backwards)
            .unwrap_err()
            .to_string()
            .contains("expected a time after start"));
        let bad_time = parse(
            r#"{"escalation_policy":{"id":"P9"},"escalation_level":1,"user":{"id":"U"},"start":"soon"}"#,
        );
        assert!(rows(&bad_time).unwrap_err().to_string().contains("start"));
    }
}
