//! PagerDuty's web-UI incident CSV. Its column names are not documented, so the
//! spellings accepted for each field are this one table, and unknown columns are
//! reported. Times without an offset need `[sources.pagerduty] timezone`.

use super::table_csv::{self, Fields, Spellings};
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Rejection, Row, Value};
use crate::schema::cell;

pub struct PagerDutyCsv;

const SPELLINGS: Spellings = &[
    ("id", &["id", "Incident ID"]),
    ("number", &["Incident Number", "#", "Number"]),
    ("title", &["Title", "Description", "Summary"]),
    ("status", &["Status"]),
    ("urgency", &["Urgency"]),
    ("priority", &["Priority", "Priority Name"]),
    ("service", &["Service", "Service Name"]),
    ("team", &["Team", "Teams", "Team Name"]),
    (
        "created",
        &["Created On", "Created At", "Created", "Opened On"],
    ),
    (
        "acknowledged",
        &[
            "Acknowledged On",
            "Acknowledged At",
            "First Acknowledged On",
        ],
    ),
    ("resolved", &["Resolved On", "Resolved At", "Resolved"]),
    ("acknowledged_by", &["Acknowledged By"]),
    ("assigned_to", &["Assigned To", "Assignee"]),
    ("url", &["URL", "Link", "html_url"]),
    ("escalation_policy", &["Escalation Policy"]),
];

impl Source for PagerDutyCsv {
    fn name(&self) -> &'static str {
        "pagerduty_csv"
    }

    fn role(&self) -> super::Role {
        super::Role::Pager
    }

    fn describe(&self) -> &'static str {
        "PagerDuty web-UI incident CSV (incident number, urgency, … by header name)"
    }

    fn detect(&self, input: &Input) -> bool {
        input.file_name().ends_with(".csv")
            && table_csv::header_has(&input.head, &["urgency"])
            && (table_csv::header_has(&input.head, &["incidentnumber"])
                || table_csv::header_has(&input.head, &["escalationpolicy"]))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        table_csv::read_records(input, ctx, super::pagerduty::SOURCE, SPELLINGS, emit, row)
    }
}

fn row(f: &Fields, ctx: &Context, zone: Option<chrono_tz::Tz>) -> Result<Vec<Row>, Rejection> {
    let source = super::pagerduty::SOURCE;
    let id = f
        .get("id")
        .or(f.get("number"))
        .ok_or(Rejection::missing("a row without an incident id or number"))?;
    let incident_id = format!("{source}:{id}");
    let created = table_csv::timestamp(f, "created", zone)?;
    let raw = f.get("priority").map(String::as_str);
    let number = f
        .get("number")
        .and_then(|n| n.trim_start_matches('#').parse().ok());
    let mut rows: Vec<Row> = vec![super::incident_row(source, id)
        .with(cell::NUMBER, number.map_or(Value::Null, Value::Int))
        .with(cell::TITLE, Value::opt_text(f.get("title").cloned()))
        .with(cell::URL, Value::opt_text(f.get("url").cloned()))
        .with_all(super::severity_cells(raw, ctx))
        .with(
            cell::STATUS,
            Value::opt_text(f.get("status").map(|s| s.to_lowercase())),
        )
        .with(cell::TEAM, Value::opt_text(f.get("team").cloned()))
        .with(cell::STARTED_AT, Value::opt_ts(created))
        .with(cell::DECLARED_AT, Value::opt_ts(created))
        .with(
            cell::ACKNOWLEDGED_AT,
            Value::opt_ts(table_csv::timestamp(f, "acknowledged", zone)?),
        )
        .with(
            cell::RESOLVED_AT,
            Value::opt_ts(table_csv::timestamp(f, "resolved", zone)?),
        )
        .into()];
    if let Some(s) = f.get("service") {
        rows.push(super::service_row(&incident_id, s).into());
    }
    // People appear by name (or e-mail) only; several are separated by commas or ';'.
    let mut people: Vec<String> = ["acknowledged_by", "assigned_to"]
        .iter()
        .filter_map(|k| f.get(k))
        .flat_map(|v| {
            v.split([';', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .map(|p| {
            if p.contains('@') {
                p.to_lowercase()
            } else {
                format!("{source}:name:{p}")
            }
        })
        .collect();
    people.sort();
    people.dedup();
    for p in people {
        rows.push(super::responder_row(&incident_id, &p, None, None, source).into());
    }
    Ok(rows)
}
