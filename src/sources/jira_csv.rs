//! Jira's CSV export ("Export Excel CSV (all fields)").
//!
//! A multi-valued field repeats its column (`Labels,Labels`, `Sprint` many times,
//! `Comment`, `Watchers`): the repeats are gathered, so every label counts. Column names
//! differ by Jira version (`Component/s` or `Components`, `Due Date` or `Due date`);
//! custom fields are `Custom field (Name)`. Dates follow the exporting user's profile
//! (`17/Jul/25 10:44 AM`, `6/21/2025 16:14`) with no zone: the layout is detected per
//! file from the values and the zone must be configured (`[sources.jira] timezone`).
//!
//! Without the `Status Category` column (older exports), an issue with a resolution or a
//! `Resolved` date is done: status names are localised and never decide.

use super::table_csv::{self, squash, CsvFile, Fields, Passes};
use super::ticket::Ticket;
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Rejection, Row};
use crate::refs::Ref;
use crate::time::DateLayout;
use chrono_tz::Tz;

pub struct JiraCsv;

const SOURCE: &str = super::jira::SOURCE;

/// Fields and their header spellings (compared squashed: no case, spaces or punctuation).
const SPELLINGS: super::table_csv::Spellings = &[
    ("key", &["Issue key"]),
    ("summary", &["Summary"]),
    ("type", &["Issue Type"]),
    ("status", &["Status"]),
    ("category", &["Status Category"]),
    ("category_changed", &["Status Category Changed"]),
    ("resolution", &["Resolution"]),
    ("assignee", &["Assignee"]),
    ("assignee_id", &["Assignee Id"]),
    ("created", &["Created"]),
    ("updated", &["Updated"]),
    ("resolved", &["Resolved"]),
    ("due", &["Due Date", "Due date"]),
    ("labels", &["Labels"]),
    ("components", &["Component/s", "Components"]),
    ("description", &["Description"]),
    ("environment", &["Environment"]),
    ("team", &["Team", "Custom field (Team)"]),
    // Read so that they are not reported as unknown; not used.
    (
        "ignored",
        &["Issue id", "Sprint", "Comment", "Watchers", "Project key"],
    ),
];

const DATE_FIELDS: &[&str] = &["created", "updated", "resolved", "due", "category_changed"];

/// The field a header names: the spellings, then Jira's families of columns.
fn field_of(header: &str) -> Option<&'static str> {
    let h = squash(header);
    if let Some((f, _)) = SPELLINGS
        .iter()
        .find(|(_, names)| names.iter().any(|n| squash(n) == h))
    {
        return Some(f);
    }
    if h.starts_with("outwardissuelink") || h.starts_with("inwardissuelink") {
        Some("links")
    } else if h.starts_with("customfield") {
        Some("custom")
    } else {
        None
    }
}

impl Source for JiraCsv {
    fn name(&self) -> &'static str {
        "jira_csv"
    }

    fn role(&self) -> super::Role {
        super::Role::Ticket
    }

    fn describe(&self) -> &'static str {
        "Jira CSV export (Issue key, Issue Type, Status, … by header name)"
    }

    fn detect(&self, input: &Input) -> bool {
        input.file_name().ends_with(".csv")
            && table_csv::header_has(&input.head, &["issuekey"])
            && table_csv::header_has(&input.head, &["issuetype"])
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let mut file = CsvFile::open(&input.path, Passes::Several)?;
        let (layout, zone) = table_csv::dates(&mut file, &field_of, DATE_FIELDS, ctx, SOURCE)?;
        file.read_by(&field_of, emit, &|location, f, raw| {
            Item::of(location, rows(f, ctx, &layout, zone), raw)
        })
    }
}

fn rows(
    f: &Fields,
    ctx: &Context,
    layout: &DateLayout,
    zone: Option<Tz>,
) -> Result<Vec<Row>, Rejection> {
    let key = f
        .get("key")
        .ok_or(Rejection::missing("a row without 'Issue key'"))?;
    let date = |field: &str| -> Result<Option<i64>, Rejection> {
        f.get(field)
            .map(|v| {
                layout
                    .parse(v, zone)
                    .map_err(|e| Rejection::invalid(format!("{field}: {e}")))
            })
            .transpose()
    };
    let tickets = &ctx.config.tickets;
    let mut t = Ticket::new(SOURCE, key.as_str());
    t.title = f.get("summary").cloned();
    t.postmortem = f.get("type").is_some_and(|n| tickets.is_postmortem(n));
    let resolution = f.get("resolution");
    let resolved = date("resolved")?;
    let done = match f.get("category") {
        Some(c) => matches!(squash(c).as_str(), "done" | "complete" | "completed"),
        None => resolution.is_some() || resolved.is_some(),
    };
    t.status = if resolution.is_some_and(|r| tickets.is_wont_do(r)) {
        "wont_do"
    } else if done {
        "done"
    } else {
        "open"
    };
    t.status_raw = f.get("status").cloned();
    t.created = date("created")?;
    t.updated = date("updated")?;
    t.due = date("due")?;
    t.completed = match t.status {
        "done" => date("category_changed")?.or(resolved),
        "wont_do" => resolved.or(date("category_changed")?),
        _ => None,
    };
    t.team = f.get("team").or_else(|| f.get("components")).cloned();
    let labels: Vec<&str> = f.all("labels").collect();
    t.factors(&labels, f.all("components"), |l| tickets.is_postmortem(l));
    t.labels(labels);
    for field in ["description", "environment", "custom"] {
        for text in f.all(field) {
            t.scan(text);
        }
    }
    // Custom fields such as "Incident" may hold the incident's reference itself.
    t.labels(f.all("custom"));
    for k in f.all("links") {
        t.refs.push(Ref::Ticket(format!("{SOURCE}:{k}")));
    }
    let mut rows: Vec<Row> = Vec::new();
    let id = f.get("assignee_id").or(f.get("assignee"));
    if let Some(id) = id {
        let name = f.get("assignee").map(String::as_str);
        let email = id.contains('@').then_some(id.as_str());
        let alias = if f.get("assignee_id").is_some() {
            format!("{SOURCE}:{id}")
        } else {
            format!("{SOURCE}:name:{id}")
        };
        let person = super::person_row(alias, email, name);
        t.owner = person
            .get(crate::schema::cell::PERSON_ID)
            .as_str()
            .map(str::to_string);
        rows.push(person.into());
    }
    rows.splice(0..0, t.into_rows());
    Ok(rows)
}
