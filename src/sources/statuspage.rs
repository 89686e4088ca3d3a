//! Atlassian Statuspage: `/api/v2/incidents.json` (public on every hosted status page),
//! `summary.json`, `scheduled-maintenances.json`, or the manage API's bare incident list.
//!
//! A status-page incident is customer-facing impact: its components are the services it
//! touched (the "pitchfork" view of hotspots), its impact the severity (critical SEV1,
//! major SEV2, minor SEV3, none SEV4; `[severity.map]` may say otherwise), `started_at`
//! (else `created_at`) its start, `monitoring_at` its mitigation, `resolved_at` its end,
//! and each incident update a `status_update` event at the time it was posted. A
//! maintenance (impact `maintenance`, a scheduled maintenance, or a maintenance status)
//! is excluded from the metrics like every maintenance window.

use super::json::{self, Get};
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Rejection, Row, Value};
use crate::schema::cell;
use serde_json::Value as Json;

pub struct Statuspage;

pub const SOURCE: &str = "statuspage";

impl Source for Statuspage {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::StatusPage
    }

    fn describe(&self) -> &'static str {
        "Atlassian Statuspage incidents.json (or summary.json, scheduled maintenances)"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        input.is_json()
            && (head.contains("statuspage.io")
                || head.contains("\"scheduled_maintenances\"")
                || (head.contains("\"incident_updates\"")
                    && head.contains("\"impact\"")
                    && (head.contains("\"shortlink\"") || head.contains("\"page_id\""))))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let keys = ["incidents", "scheduled_maintenances"];
        json::stream_items(
            &input.path,
            &keys,
            |path, v| {
                let maintenance = path.contains("$.scheduled_maintenances[");
                let excerpt = || {
                    format!(
                        "{} {}",
                        v.str_at("id").unwrap_or(""),
                        v.str_at("name").unwrap_or("")
                    )
                };
                [Item::of(path, incident(v, ctx, maintenance), excerpt)]
            },
            emit,
        )?;
        Ok(Vec::new())
    }
}

/// The severity of an impact: the user's mapping first, then the Statuspage default.
fn severity(impact: &str, ctx: &Context) -> Option<&'static str> {
    let user = &ctx.config.severity.map;
    if user.keys().any(|k| k.trim().eq_ignore_ascii_case(impact)) {
        return crate::normalize::severity(impact, user);
    }
    match impact {
        "critical" => Some("SEV1"),
        "major" => Some("SEV2"),
        "minor" => Some("SEV3"),
        "none" => Some("SEV4"),
        _ => None,
    }
}

/// The placeholder Statuspage lists when an update affected no component: not a service.
const NO_COMPONENTS: &str = "No components were affected by this update.";

/// Statuses only maintenances have.
const MAINTENANCE_STATUSES: [&str; 4] = ["scheduled", "in_progress", "verifying", "completed"];

fn incident(v: &Json, ctx: &Context, scheduled: bool) -> Result<Vec<Row>, Rejection> {
    let id = v
        .str_at("id")
        .ok_or(Rejection::missing("an incident without 'id'"))?;
    let incident_id = format!("{SOURCE}:{id}");
    let impact = v.str_at("impact");
    let status = v.str_at("status");
    let maintenance = scheduled
        || impact == Some("maintenance")
        || status.is_some_and(|s| MAINTENANCE_STATUSES.contains(&s));
    let created = v.ts_at("created_at")?;
    let started = v.ts_at("started_at")?.or(created);
    let mut incident = super::incident_row(SOURCE, id)
        .with(cell::TITLE, Value::opt_text(v.str_at("name")))
        .with(cell::URL, Value::opt_text(v.str_at("shortlink")))
        .with(
            cell::SEVERITY,
            Value::opt_text(impact.and_then(|i| severity(i, ctx))),
        )
        .with(cell::SEVERITY_RAW, Value::opt_text(impact))
        .with(cell::STATUS, Value::opt_text(status))
        .with(cell::STARTED_AT, Value::opt_ts(started))
        .with(cell::DECLARED_AT, Value::opt_ts(created))
        .with(cell::MITIGATED_AT, Value::opt_ts(v.ts_at("monitoring_at")?))
        .with(cell::RESOLVED_AT, Value::opt_ts(v.ts_at("resolved_at")?))
        .with(cell::IS_MAINTENANCE, Value::Bool(maintenance))
        .with(cell::UPDATED_AT, Value::opt_ts(v.ts_at("updated_at")?));
    let mut rows: Vec<Row> = Vec::new();
    // The incident's own reference (`inc-123`) or an incident page's URL, when the
    // public text quotes one, says which internal incident this is.
    let mut refs: Vec<crate::refs::Ref> = Vec::new();
    let texts = std::iter::once(v.str_at("name").unwrap_or("")).chain(
        v.array_at("incident_updates")
            .iter()
            .filter_map(|u| u.str_at("body")),
    );
    for text in texts {
        refs.extend(
            crate::refs::urls_in(text)
                .into_iter()
                .map(crate::refs::Ref::Url),
        );
        refs.extend(
            text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
                .filter_map(crate::refs::label_number)
                .map(crate::refs::Ref::Number),
        );
    }
    incident.set(cell::LINK_REFS, crate::refs::Ref::cell(&mut refs));
    let mut services: Vec<&str> = v
        .array_at("components")
        .iter()
        .filter_map(|c| c.str_at("name"))
        .filter(|n| *n != NO_COMPONENTS)
        .collect();
    if services.is_empty() {
        // The incident lists none: the components its updates say they affected.
        services = v
            .array_at("incident_updates")
            .iter()
            .flat_map(|u| u.array_at("affected_components"))
            .filter(|c| {
                let operational = |k| c.str_at(k).is_none_or(|s| s == "operational");
                !(operational("old_status") && operational("new_status"))
                    || (c.str_at("old_status").is_none() && c.str_at("new_status").is_none())
            })
            .filter_map(|c| c.str_at("name"))
            .filter(|n| *n != NO_COMPONENTS)
            .collect();
        if !services.is_empty() {
            rows.push(
                super::fallback_row(
                    &incident_id,
                    "services: incident_updates.affected_components",
                )
                .into(),
            );
        }
    }
    services.sort_unstable();
    services.dedup();
    for name in services {
        rows.push(super::service_row(&incident_id, name).into());
    }
    for (i, u) in v.array_at("incident_updates").iter().enumerate() {
        // `display_at` is the time the page shows; `created_at` is when the update was
        // entered, days later for a backfilled one.
        let field = |name: &str| {
            u.ts_at(name)
                .map_err(|e| e.within(format_args!("incident_updates[{i}].")))
        };
        let at = match field("display_at")? {
            Some(at) => at,
            None => field("created_at")?.ok_or_else(|| {
                Rejection::missing(format!(
                    "incident_updates[{i}]: an update without 'display_at' or 'created_at'"
                ))
            })?,
        };
        rows.push(
            super::event_row(&incident_id, u.str_at("id"), at, "status_update", SOURCE)
                .with(cell::DETAIL, Value::opt_text(u.str_at("id")))
                .into(),
        );
    }
    rows.insert(0, incident.into());
    Ok(rows)
}
