//! Fallbacks that need the whole store, not one file: applied by every ingest after its
//! records (and the pending ones they release) are stored, so that the result does not
//! depend on which file came first.
//!
//! A PagerDuty incident exported without `resolved_at` takes its resolution from its
//! resolve log entry. When that entry sits in another file (the global `/log_entries`
//! export), the adapter could only fall back to `last_status_change_at`; here the
//! entry's time replaces it, and the incident's fallback tag says so. Sources note the
//! fallbacks they apply themselves as tags too ([`crate::sources::fallback_row`]); data
//! quality counts them.

use crate::record::Value;
use crate::schema::{cell, col, Table};
use crate::sources::{
    fallback_row, FALLBACK_TAG, RESOLVED_FROM_ENTRY, RESOLVED_FROM_STATUS_CHANGE,
};
use crate::store::Writer;
use anyhow::Result;
use std::collections::{HashMap, HashSet};

/// Sets the resolution of resolved incidents that lack one of their own from their
/// latest `resolved` event. Returns how many incidents it set.
pub fn resolutions_from_entries(writer: &mut Writer) -> Result<usize> {
    let mut from_status: HashSet<String> = HashSet::new();
    let mut from_entry: HashSet<String> = HashSet::new();
    for (id, what) in tags_of(&writer.rows(Table::IncidentTags)?)? {
        if what == RESOLVED_FROM_STATUS_CHANGE {
            from_status.insert(id);
        } else if what == RESOLVED_FROM_ENTRY {
            from_entry.insert(id);
        }
    }
    let incidents = writer.rows(Table::Incidents)?;
    let candidates: Vec<usize> = {
        let ids = incidents.column(col::INCIDENT_ID)?.str()?;
        let status = incidents.column(col::STATUS)?.str()?;
        let resolved = incidents.column(col::RESOLVED_AT)?;
        (0..incidents.height())
            .filter(|&i| status.get(i) == Some("resolved"))
            .filter(|&i| {
                let id = ids.get(i).unwrap_or_default();
                !from_entry.contains(id)
                    && (from_status.contains(id) || resolved.get(i).is_ok_and(|v| v.is_null()))
            })
            .collect()
    };
    if candidates.is_empty() {
        return Ok(0);
    }
    let events = writer.columns(
        Table::Events,
        &[col::INCIDENT_ID, col::EVENT_ID, col::AT, col::KIND],
    )?;
    let mut latest: HashMap<String, i64> = HashMap::new();
    {
        let ids = events.column(col::INCIDENT_ID)?.str()?;
        let kinds = events.column(col::KIND)?.str()?;
        let at = events
            .column(col::AT)?
            .cast(&polars::prelude::DataType::Int64)?;
        let at = at.i64()?;
        for i in 0..events.height() {
            if let (Some(id), Some("resolved"), Some(t)) = (ids.get(i), kinds.get(i), at.get(i)) {
                let e = latest.entry(id.to_string()).or_insert(t);
                *e = (*e).max(t);
            }
        }
    }
    let mut set = 0;
    for i in candidates {
        let mut row = crate::store::row_at(&incidents, Table::Incidents, i)?;
        let id = row.get(col::INCIDENT_ID).to_string();
        let Some(&at) = latest.get(&id) else {
            continue;
        };
        row.set(cell::RESOLVED_AT, Value::Ts(at));
        writer.put(row, "links")?;
        if from_status.contains(&id) {
            writer.remove(&fallback_row(&id, RESOLVED_FROM_STATUS_CHANGE).row())?;
        }
        writer.put(fallback_row(&id, RESOLVED_FROM_ENTRY), "links")?;
        set += 1;
    }
    Ok(set)
}

/// The fallback tags of a store's incidents: incident id → what each fallback set.
pub fn tags_of(tags: &polars::prelude::DataFrame) -> Result<Vec<(String, String)>> {
    let ids = tags.column(col::INCIDENT_ID)?.str()?;
    let tag = tags.column(col::TAG)?.str()?;
    let value = tags.column(col::VALUE)?.str()?;
    Ok((0..tags.height())
        .filter(|&i| tag.get(i) == Some(FALLBACK_TAG))
        .filter_map(|i| Some((ids.get(i)?.to_string(), value.get(i)?.to_string())))
        .collect())
}
