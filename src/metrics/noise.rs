//! Page noise (docs/metrics.md, Page noise): how many pages an incident takes, and how
//! many of them anyone acknowledged.

use super::{ratio, Ctx};
use crate::stats::quantile;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct PageNoise {
    /// Pages of the period's incidents.
    pub pages: usize,
    /// The period's incidents with at least one page.
    pub paged_incidents: usize,
    pub pages_per_incident_median: Option<f64>,
    pub pages_per_incident_p90: Option<f64>,
    pub pages_per_incident_max: Option<usize>,
    /// Pages acknowledged by `as_of`, over all pages.
    pub acknowledged_share: Option<f64>,
}

pub fn compute(ctx: &Ctx) -> PageNoise {
    let mut per_incident: BTreeMap<&str, usize> = BTreeMap::new();
    let mut acknowledged = 0;
    for p in &ctx.data.pages {
        if ctx.in_current.contains(p.incident.as_str()) {
            *per_incident.entry(p.incident.as_str()).or_default() += 1;
            acknowledged += usize::from(ctx.by_as_of(p.acknowledged).is_some());
        }
    }
    let counts: Vec<f64> = per_incident.values().map(|n| *n as f64).collect();
    let pages = per_incident.values().sum();
    PageNoise {
        pages,
        paged_incidents: per_incident.len(),
        pages_per_incident_median: quantile(&counts, 0.5),
        pages_per_incident_p90: quantile(&counts, 0.9),
        pages_per_incident_max: per_incident.values().copied().max(),
        acknowledged_share: ratio(acknowledged, pages),
    }
}
