//! Data quality: what went in, what was rejected, and what the metrics had to do without
//! (severity, resolution, people the roster does not know, services the catalog lacks).

use super::{phases, Ctx};
use crate::schema::col;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};

#[derive(Debug, Serialize)]
pub struct DataQuality {
    pub sources: Vec<SourceCount>,
    pub rows_read: u64,
    pub rows_ingested: u64,
    /// Records of a kind the store has no place for (pull requests in an issues export).
    pub rows_skipped: u64,
    pub rows_rejected: u64,
    pub incidents_without_severity: usize,
    pub incidents_without_resolution: usize,
    pub unmatched_people: usize,
    /// People active in the period whose zone the roster does not give: their hours
    /// bands are read in UTC (workload, recovery).
    pub people_without_zone: usize,
    /// Phase durations of the period's incidents that came out negative (a timestamp
    /// before the start): left out of the phases, counted here.
    pub negative_durations: usize,
    pub services_not_in_catalog: usize,
    /// Chat channels and tickets whose references match several incidents of the same
    /// source rank (never guessed), or none; null for a store written before ingest kept
    /// what linking found (ingest again to check them).
    pub ambiguous_links: Option<usize>,
    pub dangling_links: Option<usize>,
    /// The period's incidents whose field came from a documented fallback, by what it
    /// set (`resolved_at: resolve log entry`).
    pub fallbacks: BTreeMap<String, usize>,
    /// Input records kept until an incident they refer to is ingested (the `pending`
    /// table), whatever their period.
    pub records_pending: usize,
    /// Links joining two incidents that were not merged, because the store was linked
    /// before linking chose primary incidents (ingest again to merge them).
    pub unmerged_links: usize,
}

#[derive(Debug, Serialize, Default)]
pub struct SourceCount {
    pub source: String,
    pub files: usize,
    pub rows_read: u64,
    pub rows_ingested: u64,
    pub rows_skipped: u64,
    pub rows_rejected: u64,
}

/// What follows the count of `unmerged_links` wherever it is printed.
pub const NOT_MERGED: &str = "between incidents seen in two sources not merged: the store \
     was linked before incidentlens chose primary incidents; ingest again (any export, or \
     --force) to merge them";

pub fn compute(ctx: &Ctx) -> DataQuality {
    let data = ctx.data;
    let runs = &data.runs;
    let get_s = |name: &str| runs.column(name).ok().and_then(|c| c.str().ok().cloned());
    let get_i = |name: &str| runs.column(name).ok().and_then(|c| c.i64().ok().cloned());
    let mut sources: BTreeMap<String, SourceCount> = BTreeMap::new();
    // Each file content counts once, however often it was ingested.
    let mut seen = HashSet::new();
    if let (Some(file), Some(sha), Some(source), Some(read), Some(ingested), Some(rejected)) = (
        get_s(col::FILE),
        get_s(col::SHA256),
        get_s(col::SOURCE),
        get_i(col::ROWS_READ),
        get_i(col::ROWS_INGESTED),
        get_i(col::ROWS_REJECTED),
    ) {
        // Null in a store written before skipped records were counted.
        let skipped = get_i(col::ROWS_SKIPPED);
        let mut order: Vec<usize> = (0..runs.height()).collect();
        let run_ids = get_i(col::RUN_ID);
        order.sort_by_key(|&i| run_ids.as_ref().and_then(|r| r.get(i)));
        for i in order {
            let key = (
                file.get(i).unwrap_or("").to_string(),
                sha.get(i).unwrap_or("").to_string(),
            );
            if !seen.insert(key) {
                continue;
            }
            let name = source.get(i).unwrap_or("unknown").to_string();
            let s = sources.entry(name.clone()).or_default();
            s.source = name;
            s.files += 1;
            s.rows_read += read.get(i).unwrap_or(0) as u64;
            s.rows_ingested += ingested.get(i).unwrap_or(0) as u64;
            s.rows_rejected += rejected.get(i).unwrap_or(0) as u64;
            s.rows_skipped += skipped.as_ref().and_then(|c| c.get(i)).unwrap_or(0) as u64;
        }
    }
    let known: HashSet<&str> = data.people.keys().map(String::as_str).collect();
    // Counted only: a hash set (millions of references on a large organisation).
    let mut referenced: hashbrown::HashSet<&str> = Default::default();
    referenced.extend(data.participants.iter().map(|p| p.person.as_str()));
    referenced.extend(data.pages.iter().filter_map(|p| p.person.as_deref()));
    referenced.extend(data.items.iter().filter_map(|i| i.owner.as_deref()));
    referenced.extend(data.messages.iter().filter_map(|m| m.person.as_deref()));
    for i in &data.incidents {
        referenced.extend(i.declared_by.as_deref());
        referenced.extend(i.commander.as_deref());
    }
    let negative_durations = ctx
        .current
        .iter()
        .flat_map(|i| phases::durations(ctx, &ctx.firsts, i))
        .flatten()
        .filter(|d| *d < 0.0)
        .count();
    let in_p = &ctx.in_current;
    let missing_services: BTreeSet<&str> = data
        .incident_services
        .iter()
        .filter(|(i, s)| in_p.contains(i.as_str()) && !data.services.contains_key(s))
        .map(|(_, s)| s.as_str())
        .collect();
    let sources: Vec<SourceCount> = sources.into_values().collect();
    let mut fallbacks: BTreeMap<String, usize> = BTreeMap::new();
    for (id, what) in &data.fallbacks {
        if in_p.contains(id.as_str()) {
            *fallbacks.entry(what.clone()).or_default() += 1;
        }
    }
    DataQuality {
        rows_read: sources.iter().map(|s| s.rows_read).sum(),
        rows_ingested: sources.iter().map(|s| s.rows_ingested).sum(),
        rows_skipped: sources.iter().map(|s| s.rows_skipped).sum(),
        rows_rejected: sources.iter().map(|s| s.rows_rejected).sum(),
        sources,
        incidents_without_severity: ctx.current.iter().filter(|i| i.severity.is_none()).count(),
        incidents_without_resolution: ctx
            .current
            .iter()
            .filter(|i| ctx.by_as_of(i.resolved).is_none())
            .count(),
        unmatched_people: referenced.iter().filter(|p| !known.contains(*p)).count(),
        people_without_zone: 0,
        negative_durations,
        services_not_in_catalog: missing_services.len(),
        ambiguous_links: data.link_issues.map(|(a, _)| a),
        dangling_links: data.link_issues.map(|(_, d)| d),
        fallbacks,
        records_pending: data.pending,
        unmerged_links: data.unmerged,
    }
}
