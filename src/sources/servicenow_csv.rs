//! ServiceNow CSV exports: a list view exported to CSV (field names or column labels as
//! headers), and event-log exports that write one row per update of a record
//! (`sys_mod_count` counts them).
//!
//! An event log is collapsed to the latest row of each record (highest `sys_mod_count`,
//! then latest update, then last in the file); the earlier rows are read and counted as
//! duplicates. `?` and empty cells are null; choices read `3 - Moderate`; dates follow
//! the exporting user's layout (`13-03-2016 09:47`, detected per file) in the zone
//! `[sources.servicenow] timezone` gives. The records map as in the JSON adapter.

use super::servicenow::{self, Cells, SOURCE};
use super::table_csv::{self, squash, CsvFile, Fields, Keep, Passes};
use super::{Context, FileError, Input, Source};
use crate::record::Item;
use std::collections::hash_map::{Entry, HashMap};
use std::collections::HashSet;

pub struct ServiceNowCsv;

const SPELLINGS: table_csv::Spellings = &[
    ("number", &["number", "Number"]),
    ("sys_id", &["sys_id", "Sys ID"]),
    ("sys_class_name", &["sys_class_name", "Task type", "Class"]),
    (
        "short_description",
        &["short_description", "Short description"],
    ),
    ("description", &["description", "Description"]),
    (
        "state",
        &["state", "State", "incident_state", "Incident state"],
    ),
    ("active", &["active", "Active"]),
    ("priority", &["priority", "Priority"]),
    ("opened_at", &["opened_at", "Opened"]),
    ("opened_by", &["opened_by", "Opened by"]),
    (
        "sys_created_on",
        &["sys_created_on", "sys_created_at", "Created"],
    ),
    (
        "sys_updated_on",
        &["sys_updated_on", "sys_updated_at", "Updated"],
    ),
    ("sys_mod_count", &["sys_mod_count", "Updates"]),
    ("resolved_at", &["resolved_at", "Resolved"]),
    ("resolved_by", &["resolved_by", "Resolved by"]),
    ("closed_at", &["closed_at", "Closed"]),
    (
        "close_code",
        &["close_code", "closed_code", "Resolution code", "Close code"],
    ),
    ("assigned_to", &["assigned_to", "Assigned to"]),
    (
        "assignment_group",
        &["assignment_group", "Assignment group"],
    ),
    ("cmdb_ci", &["cmdb_ci", "Configuration item"]),
    ("business_service", &["business_service", "Service"]),
    ("due_date", &["due_date", "Due date"]),
    ("parent", &["parent", "Parent"]),
    ("incident", &["incident", "Incident"]),
    (
        "first_reported_by_task",
        &["first_reported_by_task", "First reported by"],
    ),
    ("problem_id", &["problem_id", "Problem"]),
    ("caused_by", &["caused_by", "Caused by Change"]),
    ("work_start", &["work_start", "Actual start"]),
    ("start_date", &["start_date", "Planned start date"]),
];

const DATE_FIELDS: &[&str] = &[
    "opened_at",
    "sys_created_on",
    "sys_updated_on",
    "resolved_at",
    "closed_at",
    "due_date",
    "work_start",
    "start_date",
];

fn field_of(header: &str) -> Option<&'static str> {
    let h = squash(header);
    SPELLINGS
        .iter()
        .find(|(_, names)| names.iter().any(|n| squash(n) == h))
        .map(|(f, _)| *f)
}

impl Source for ServiceNowCsv {
    fn name(&self) -> &'static str {
        "servicenow_csv"
    }

    fn role(&self) -> super::Role {
        super::Role::Ticket
    }

    fn describe(&self) -> &'static str {
        "ServiceNow CSV export or event log (number, state/incident_state, opened_at, …)"
    }

    fn detect(&self, input: &Input) -> bool {
        input.file_name().ends_with(".csv")
            && table_csv::header_has(&input.head, &["number"])
            && (table_csv::header_has(&input.head, &["incidentstate"])
                || table_csv::header_has(&input.head, &["sysmodcount"])
                || table_csv::header_has(&input.head, &["openedat"])
                || table_csv::header_has(&input.head, &["shortdescription"]))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let mut file = CsvFile::open(&input.path, Passes::Several)?;
        let (layout, zone) = table_csv::dates(&mut file, &field_of, DATE_FIELDS, ctx, SOURCE)?;
        let ts = |s: &str| layout.parse(s, zone);
        let latest = latest_rows(&mut file, &ts)?;
        // The earlier versions of a record are checked, not copied.
        let whole = |location: &str| latest.contains(location);
        file.read_to(
            &field_of,
            Keep::Rows(&whole),
            &|location, f, raw| {
                if !whole(&location) {
                    return Item::Superseded { location };
                }
                servicenow::record(location, f, &ts, ctx, raw)
            },
            &mut table_csv::emitting(emit),
        )
    }
}

fn record_key(f: &Fields) -> Option<String> {
    f.shown("sys_id").or(f.shown("number"))
}

/// The rows read in full: each record's latest version (the highest `sys_mod_count`,
/// then the latest update time, then the last line), and the rows without a key.
fn latest_rows(file: &mut CsvFile, ts: &servicenow::Ts) -> Result<HashSet<String>, FileError> {
    let mut best: HashMap<String, ((i64, i64, usize), String)> = HashMap::new();
    let mut keyless = HashSet::new();
    let mut n = 0usize;
    // Each row's key and rank are read on any thread; the ranks are compared in order.
    let rank = |location: String, f: &Fields, _: table_csv::Raw| {
        let ranked = record_key(f).map(|key| {
            let mods = f
                .shown("sys_mod_count")
                .and_then(|m| m.parse().ok())
                .unwrap_or(-1);
            let updated = f
                .shown("sys_updated_on")
                .and_then(|u| ts(&u).ok())
                .unwrap_or(i64::MIN);
            (key, mods, updated)
        });
        (ranked, location)
    };
    let kept = ["sys_id", "number", "sys_mod_count", "sys_updated_on"];
    file.read_to(&field_of, Keep::Fields(&kept), &rank, &mut |ranked| {
        if let Ok((ranked, location)) = ranked {
            n += 1;
            let Some((key, mods, updated)) = ranked else {
                keyless.insert(location);
                return true;
            };
            let rank = (mods, updated, n);
            match best.entry(key) {
                Entry::Occupied(mut e) if rank > e.get().0 => *e.get_mut() = (rank, location),
                Entry::Occupied(_) => {}
                Entry::Vacant(e) => {
                    e.insert((rank, location));
                }
            }
        }
        true
    })?;
    keyless.extend(best.into_values().map(|(_, location)| location));
    Ok(keyless)
}
