//! Jira REST search JSON: `/rest/api/{2,3}/search` pages (`startAt`/`total`), the newer
//! `/search/jql` pages (`nextPageToken`/`isLast`), an array of pages, bare issues, or one
//! issue; each issue with its changelog when it was exported with `expand=changelog`.
//!
//! Done, open and dropped are decided by `statusCategory.key` and the resolution, never
//! by status names (they are localised: one real export is in Chinese). A done issue's
//! `completed_at` is the last move into the done category, read from the changelog
//! (a status entered while the issue is resolved, or the current done status), else
//! `statuscategorychangedate`, else `resolutiondate`. Changelog histories exported on
//! their own do not name their issue and are rejected with that reason.

use super::json::{self, Get};
use super::ticket::Ticket;
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Rejection, Row, Value};
use crate::refs::Ref;
use crate::schema::cell;
use serde_json::Value as Json;

pub struct Jira;

pub const SOURCE: &str = "jira";

impl Source for Jira {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::Ticket
    }

    fn describe(&self) -> &'static str {
        "Jira REST search JSON (issues with changelog)"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        input.is_json()
            && (head.contains("\"issuetype\"")
                || head.contains("\"statusCategory\"")
                || (head.contains("\"fieldtype\"") && head.contains("\"items\"")))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let keys = ["issues", "values", "histories"];
        // Issues are read on every core: an issue's rows depend on nothing before it.
        let envelope = json::stream_items(
            &input.path,
            &keys,
            |path, v| {
                let mut items = Vec::new();
                element(path, v, ctx, &mut |item| items.push(item));
                items
            },
            emit,
        )?;
        // One issue on its own (`/rest/api/3/issue/KEY`).
        if envelope.contains_key("fields") {
            emit(issue("$", &Json::Object(envelope), ctx));
        }
        Ok(Vec::new())
    }
}

fn element(path: &str, v: &Json, ctx: &Context, emit: &mut dyn FnMut(Item)) {
    // `$.values[3]`, also in a later document of the file (`document 2: $.values[0]`).
    let under = |key: &str| path.contains(&format!("$.{key}["));
    if under("values") || under("histories") || is_history(v) {
        emit(Item::skip(
            path,
            "a changelog history exported on its own, without the issue it belongs to; \
             export the issues with expand=changelog to have them",
        ));
    } else {
        // Arrays of search pages were opened by the JSON reader.
        emit(issue(path, v, ctx));
    }
}

fn is_history(v: &Json) -> bool {
    v.get("fields").is_none() && v.get("items").is_some_and(Json::is_array)
}

fn issue(path: &str, v: &Json, ctx: &Context) -> Item {
    Item::of(path, issue_rows(v, ctx), || excerpt(v))
}

/// The start of an issue, for rejects: its key and summary, not the whole object.
fn excerpt(v: &Json) -> String {
    format!(
        "{} {}",
        v.str_at("key").unwrap_or(""),
        v.str_at("fields.summary").unwrap_or("")
    )
}

fn issue_rows(v: &Json, ctx: &Context) -> Result<Vec<Row>, Rejection> {
    let key = v
        .str_at("key")
        .or(v.str_at("id"))
        .ok_or(Rejection::missing("an issue without 'key' or 'id'"))?;
    let f = v
        .at("fields")
        .filter(|f| f.is_object())
        .ok_or(Rejection::missing("an issue without 'fields'"))?;
    let tickets = &ctx.config.tickets;
    let mut t = Ticket::new(SOURCE, key);
    t.title = f.str_at("summary").map(str::to_string);
    t.postmortem = f
        .str_at("issuetype.name")
        .is_some_and(|n| tickets.is_postmortem(n));
    let category = f.str_at("status.statusCategory.key");
    let resolution = f.str_at("resolution.name");
    t.status = if resolution.is_some_and(|r| tickets.is_wont_do(r)) {
        "wont_do"
    } else if category == Some("done") || (category.is_none() && resolution.is_some()) {
        "done"
    } else {
        "open"
    };
    t.status_raw = f.str_at("status.name").map(str::to_string);
    t.created = ts(f, "created")?;
    t.updated = ts(f, "updated")?;
    t.due = f
        .str_at("duedate")
        .map(|d| {
            crate::time::parse_date_or_timestamp(d, None)
                .map_err(|e| Rejection::invalid(format!("fields.duedate: {e}")))
        })
        .transpose()?;
    t.completed = match t.status {
        "done" => match done_since(v, f)? {
            Some(at) => Some(at),
            None => ts(f, "statuscategorychangedate")?.or(ts(f, "resolutiondate")?),
        },
        "wont_do" => ts(f, "resolutiondate")?.or(ts(f, "statuscategorychangedate")?),
        _ => None,
    };
    t.team = f
        .array_at("components")
        .first()
        .and_then(|c| c.str_at("name"))
        .map(str::to_string);
    t.url = browse_url(v, key);
    let labels: Vec<&str> = f
        .array_at("labels")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    let components = f
        .array_at("components")
        .iter()
        .filter_map(|c| c.str_at("name"));
    t.factors(&labels, components, |l| tickets.is_postmortem(l));
    t.labels(labels);
    // Descriptions are wiki markup (API v2) or a document tree (v3): URLs are strings
    // either way. The text itself is not kept.
    for field in ["description", "environment"] {
        if let Some(d) = f.at(field) {
            match d {
                Json::String(s) => t.scan(s),
                other => t.scan(&other.to_string()),
            }
        }
    }
    for link in f.array_at("issuelinks") {
        for side in ["inwardIssue.key", "outwardIssue.key"] {
            if let Some(k) = link.str_at(side) {
                t.refs.push(Ref::Ticket(format!("{SOURCE}:{k}")));
            }
        }
    }
    let mut rows: Vec<Row> = Vec::new();
    if let Some(a) = f.at("assignee") {
        let (person, row) = person(a);
        t.owner = person;
        rows.extend(row);
    }
    rows.splice(0..0, t.into_rows());
    Ok(rows)
}

fn ts(f: &Json, field: &str) -> Result<Option<i64>, Rejection> {
    f.ts_at(field).map_err(|e| e.within("fields."))
}

/// `https://host/browse/KEY` from the issue's API `self` link.
fn browse_url(v: &Json, key: &str) -> Option<String> {
    let s = v.str_at("self")?;
    let host_end = s.find("/rest/")?;
    Some(format!("{}/browse/{key}", &s[..host_end]))
}

/// A Jira user as a person reference (the e-mail when the export shows it, else the
/// account id, Server's key or name) and the people row that says who it is.
fn person(u: &Json) -> (Option<String>, Option<Row>) {
    let Some(id) = u
        .str_at("accountId")
        .or(u.str_at("key"))
        .or(u.str_at("name"))
    else {
        return (None, None);
    };
    let email = u.str_at("emailAddress").filter(|e| e.contains('@'));
    let row = super::person_row(format!("{SOURCE}:{id}"), email, u.str_at("displayName")).with(
        cell::TIMEZONE,
        Value::opt_text(
            u.str_at("timeZone")
                .filter(|z| crate::time::parse_zone(z).is_ok()),
        ),
    );
    let reference = row.get(cell::PERSON_ID).as_str().map(str::to_string);
    (reference, Some(row.into()))
}

/// When a done issue last entered the done category, from its changelog.
///
/// Only the current status's category is exported, so a status entered in a history is
/// taken to be a done one when it is the current (done) status, or when the issue was
/// resolved at that moment (Jira workflows set the resolution on the way into done and
/// clear it on the way out). `None` when the changelog shows no status change, or ends
/// in a status other than the current one (a truncated changelog).
fn done_since(v: &Json, f: &Json) -> Result<Option<i64>, Rejection> {
    let current = f.str_at("status.id");
    let mut histories: Vec<(i64, &Json)> = Vec::new();
    for (i, h) in v.array_at("changelog.histories").iter().enumerate() {
        let at = h
            .ts_at("created")
            .map_err(|e| e.within(format_args!("changelog.histories[{i}].")))?;
        if let Some(at) = at {
            histories.push((at, h));
        }
    }
    // Stable: histories at the same instant keep their export order.
    histories.sort_by_key(|(at, _)| *at);
    // Resolved before the first recorded change: the first resolution change's `from`.
    let mut resolved = histories
        .iter()
        .flat_map(|(_, h)| items(h, "resolution"))
        .next()
        .map_or(f.at("resolution").is_some(), |i| i.at("from").is_some());
    let mut since: Option<i64> = None;
    let mut last_status: Option<String> = None;
    for (at, h) in &histories {
        if let Some(r) = items(h, "resolution").last() {
            resolved = r.at("to").is_some() || r.str_at("toString").is_some();
        }
        for s in items(h, "status") {
            let to = s.str_at("to").map(str::to_string);
            let done = if to.as_deref() == current {
                true
            } else {
                resolved
            };
            since = match (done, since) {
                (true, Some(start)) => Some(start),
                (true, None) => Some(*at),
                (false, _) => None,
            };
            last_status = to;
        }
    }
    if last_status.is_none() || last_status.as_deref() != current {
        return Ok(None);
    }
    Ok(since)
}

/// A changelog history's items that change `field`, as exported (not copied).
fn items<'a>(h: &'a Json, field: &'a str) -> impl Iterator<Item = &'a Json> {
    h.array_at("items")
        .iter()
        .filter(move |i| i.str_at("field") == Some(field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> i64 {
        crate::time::parse_timestamp(s, None).unwrap()
    }

    fn change(created: &str, field: &str, from: Option<&str>, to: Option<&str>) -> Json {
        json!({"created": created, "items": [{"field": field, "from": from, "to": to}]})
    }

    #[test]
    fn done_is_the_start_of_the_last_done_stretch() {
        // Resolved, reopened, resolved again, then moved to another done status.
        let f = json!({"status": {"id": "6", "statusCategory": {"key": "done"}},
                       "resolution": {"name": "Done"}});
        let v = json!({"changelog": {"histories": [
            change("2026-07-01T10:00:00Z", "status", Some("1"), Some("3")),
            {"created": "2026-07-02T10:00:00Z", "items": [
                {"field": "resolution", "from": null, "to": "10000"},
                {"field": "status", "from": "3", "to": "5"}]},
            {"created": "2026-07-03T10:00:00Z", "items": [
                {"field": "resolution", "from": "10000", "to": null},
                {"field": "status", "from": "5", "to": "4"}]},
            {"created": "2026-07-05T10:00:00Z", "items": [
                {"field": "resolution", "from": null, "to": "10000"},
                {"field": "status", "from": "4", "to": "5"}]},
            change("2026-07-09T10:00:00Z", "status", Some("5"), Some("6")),
        ]}});
        assert_eq!(done_since(&v, &f), Ok(Some(at("2026-07-05T10:00:00Z"))));
        // A changelog that does not end in the current status tells nothing.
        let f2 = json!({"status": {"id": "7", "statusCategory": {"key": "done"}}});
        assert_eq!(done_since(&v, &f2), Ok(None));
        assert_eq!(done_since(&json!({}), &f), Ok(None));
    }
}
