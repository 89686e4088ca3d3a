//! FireHydrant change events: what changed where, and which incidents a change caused.
//!
//! - `GET /v1/changes/events` (`{data: […], pagination}`, a bare array, one event): each
//!   change event is a deployment at its `starts_at` (else `created_at`), of each service
//!   it names, to its environment (the first production one of `environments`, else the
//!   first). FireHydrant keeps no outcome for a change: its status is unknown.
//! - `GET /v1/incidents/{id}/related_change_events`: each relation holds its
//!   `change_event` whole (a deployment as above) and its `incident_id`; a relation of
//!   `type` `caused` is the source saying the change caused the incident, an
//!   `incident_changes` row. `fixed`, `suspect` and `dismissed` relations say no such
//!   thing: their change is a deployment and nothing more.
//!
//! Field names are read snake_case (the API's) or camelCase (what the SDKs serialise).
//! An event that names several services is a deployment of each
//! (`firehydrant:<id>:<service>`); one naming one service or none is `firehydrant:<id>`.

use super::json::{self, Either, Get};
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Record, Rejection, Row, Value};
use crate::schema::{cell, tables};
use serde_json::Value as Json;

pub struct FireHydrantChanges;

const SOURCE: &str = super::firehydrant::SOURCE;

impl Source for FireHydrantChanges {
    fn name(&self) -> &'static str {
        "firehydrant_changes"
    }

    fn role(&self) -> super::Role {
        super::Role::Changes
    }

    fn describe(&self) -> &'static str {
        "FireHydrant change events and incidents' related change events JSON"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        let has = |k: &str| head.contains(&format!("\"{k}\""));
        input.is_json()
            && (has("change_event")
                || has("changeEvent")
                || ((has("starts_at") || has("startsAt"))
                    && (has("related_changes") || has("relatedChanges") || has("identities"))))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let keys = ["data", "change_events", "changeEvents"];
        // One change event, or one relation, on its own.
        json::each_file_record(&input.path, &keys, &["id"], emit, &|path, v, emit| {
            emit(element(path, v, ctx))
        })?;
        Ok(Vec::new())
    }
}

fn element(path: &str, v: &Json, ctx: &Context) -> Item {
    let e = Either(v);
    let excerpt = || {
        let event = e.get("change_event").map_or(e.0, |c| c);
        format!(
            "{} {}",
            event.str_at("id").unwrap_or(""),
            event.str_at("summary").unwrap_or("")
        )
    };
    // A relation names its incident and holds its change event.
    let relation = e.get("incident_id").is_some() || e.get("change_event").is_some();
    if !relation {
        return Item::of(path, change(&e, ctx).map(|(_, rows)| rows), excerpt);
    }
    let read = || -> Result<Record, Rejection> {
        let incident = e
            .str_at("incident_id")
            .ok_or(Rejection::missing("a related change without 'incident_id'"))?;
        let event = e.get("change_event").ok_or(Rejection::missing(
            "a related change without its 'change_event'",
        ))?;
        let (ids, mut rows) = change(&Either(event), ctx).map_err(|r| r.within("change_event."))?;
        let caused = e
            .str_at("type")
            .is_some_and(|t| t.eq_ignore_ascii_case("caused"));
        let mut record = Record::new(path, Vec::new());
        if caused {
            let incident_id = format!("{SOURCE}:{incident}");
            for id in &ids {
                rows.push(
                    Row::of(tables::IncidentChanges)
                        .with(cell::INCIDENT_ID, Value::text(incident_id.as_str()))
                        .with(cell::DEPLOYMENT_ID, Value::text(id.as_str()))
                        .with(cell::SOURCE, Value::text(SOURCE))
                        .into(),
                );
            }
            record.requires.push(incident_id);
        }
        record.rows = rows;
        Ok(record)
    };
    match read() {
        Ok(r) => Item::Record(r),
        Err(reason) => Item::of(path, Err(reason), excerpt),
    }
}

/// A change event's deployments: their ids and rows.
fn change(e: &Either, ctx: &Context) -> Result<(Vec<String>, Vec<Row>), Rejection> {
    let id = e
        .str_at("id")
        .ok_or(Rejection::missing("a change event without 'id'"))?;
    let at = match e.ts_at("starts_at")? {
        Some(t) => t,
        None => e.ts_at("created_at")?.ok_or(Rejection::missing(
            "a change event without 'starts_at' or 'created_at'",
        ))?,
    };
    let names = |list: &str| -> Vec<String> {
        e.list(list)
            .iter()
            .filter_map(|x| x.as_str().or(x.str_at("name")).or(x.str_at("slug")))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let environments = names("environments");
    let environment = environments
        .iter()
        .find(|n| ctx.config.changes.is_production(Some(n)))
        .or(environments.first());
    let mut services = names("services");
    services.sort();
    services.dedup();
    let one = services.len() <= 1;
    let services: Vec<Option<String>> = if services.is_empty() {
        vec![None]
    } else {
        services.into_iter().map(Some).collect()
    };
    let mut ids = Vec::new();
    let mut rows = Vec::new();
    for service in services {
        let deployment_id = match (&service, one) {
            (Some(s), false) => format!("{SOURCE}:{id}:{s}"),
            _ => format!("{SOURCE}:{id}"),
        };
        rows.push(
            Row::of(tables::Deployments)
                .with(cell::DEPLOYMENT_ID, Value::text(deployment_id.as_str()))
                .with(cell::SERVICE, Value::opt_text(service))
                .with(cell::ENVIRONMENT, Value::opt_text(environment.cloned()))
                .with(cell::AT, Value::Ts(at))
                .with(cell::SOURCE, Value::text(SOURCE))
                .into(),
        );
        ids.push(deployment_id);
    }
    Ok((ids, rows))
}
