//! Opsgenie's alerts CSV, by header name (one table of accepted spellings). Each alert
//! becomes an incident, as in the alerts API, and with its `Alias` is kept as an alert. Times without an offset need
//! `[sources.opsgenie] timezone`; epoch milliseconds are accepted.

use super::table_csv::{self, Fields, Spellings};
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Rejection, Row, Value};
use crate::schema::cell;

pub struct OpsgenieCsv;

const SPELLINGS: Spellings = &[
    ("id", &["Id", "Alert Id", "AlertId"]),
    ("tiny_id", &["TinyId", "Tiny Id"]),
    ("message", &["Message"]),
    ("status", &["Status"]),
    ("priority", &["Priority"]),
    ("created", &["CreatedAt", "Created At", "CreatedAtDate"]),
    ("updated", &["UpdatedAt", "Updated At"]),
    (
        "acknowledged",
        &["AcknowledgedAt", "Acknowledged At", "AckTime"],
    ),
    ("closed", &["ClosedAt", "Closed At", "CloseTime"]),
    ("acknowledged_by", &["AcknowledgedBy", "Acknowledged By"]),
    ("owner", &["Owner"]),
    ("teams", &["Teams", "Team"]),
    ("tags", &["Tags"]),
    ("alias", &["Alias"]),
];

impl Source for OpsgenieCsv {
    fn name(&self) -> &'static str {
        "opsgenie_csv"
    }

    fn role(&self) -> super::Role {
        super::Role::Pager
    }

    fn describe(&self) -> &'static str {
        "Opsgenie alerts CSV (tinyId, message, priority, … by header name)"
    }

    fn detect(&self, input: &Input) -> bool {
        input.file_name().ends_with(".csv")
            && table_csv::header_has(&input.head, &["message", "priority"])
            && (table_csv::header_has(&input.head, &["tinyid"])
                || table_csv::header_has(&input.head, &["alias"]))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        table_csv::read_records(input, ctx, super::opsgenie::SOURCE, SPELLINGS, emit, row)
    }
}

fn row(f: &Fields, ctx: &Context, zone: Option<chrono_tz::Tz>) -> Result<Vec<Row>, Rejection> {
    let source = super::opsgenie::SOURCE;
    let id = f
        .get("id")
        .ok_or(Rejection::missing("a row without an alert id"))?;
    let incident_id = format!("{source}:{id}");
    let created = table_csv::timestamp(f, "created", zone)?;
    let status = f.get("status").map(|s| s.to_lowercase());
    let closed =
        table_csv::timestamp(f, "closed", zone)?.or(if status.as_deref() == Some("closed") {
            table_csv::timestamp(f, "updated", zone)?
        } else {
            None
        });
    let raw = f.get("priority").map(String::as_str);
    let drill = f.get("tags").is_some_and(|t| {
        t.split([',', ';']).any(|x| {
            matches!(
                x.trim().to_ascii_lowercase().as_str(),
                "drill" | "test" | "gameday"
            )
        })
    });
    let mut rows: Vec<Row> = vec![super::incident_row(source, id)
        .with(
            cell::NUMBER,
            f.get("tiny_id")
                .and_then(|n| n.parse().ok())
                .map_or(Value::Null, Value::Int),
        )
        .with(cell::TITLE, Value::opt_text(f.get("message").cloned()))
        .with_all(super::severity_cells(raw, ctx))
        .with(cell::STATUS, Value::opt_text(status))
        .with(
            cell::TEAM,
            Value::opt_text(
                f.get("teams")
                    .and_then(|t| t.split([',', ';']).next())
                    .map(|t| t.trim().to_string()),
            ),
        )
        .with(cell::STARTED_AT, Value::opt_ts(created))
        .with(cell::DECLARED_AT, Value::opt_ts(created))
        .with(
            cell::ACKNOWLEDGED_AT,
            Value::opt_ts(table_csv::timestamp(f, "acknowledged", zone)?),
        )
        .with(cell::RESOLVED_AT, Value::opt_ts(closed))
        .with(cell::IS_DRILL, Value::Bool(drill))
        .with(
            cell::UPDATED_AT,
            Value::opt_ts(table_csv::timestamp(f, "updated", zone)?),
        )
        .into()];
    if let Some(who) = f.get("acknowledged_by") {
        let person = if who.contains('@') {
            who.to_lowercase()
        } else {
            format!("{source}:{who}")
        };
        rows.push(super::responder_row(&incident_id, &person, None, None, source).into());
    }
    if let (Some(alias), Some(at)) = (f.get("alias"), created) {
        rows.push(super::opsgenie::alert_row(&incident_id, alias, None, at));
    }
    Ok(rows)
}
