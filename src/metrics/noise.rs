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
    /// Alerts created in the period (by `as_of`), of them those that opened or joined
    /// no incident, and those whose key an alert of the 24 hours before already had.
    pub alerts: usize,
    pub alerts_without_incident: usize,
    pub repeat_alerts: usize,
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
    let (alerts, alerts_without_incident, repeat_alerts) = alerts(ctx);
    let counts: Vec<f64> = per_incident.values().map(|n| *n as f64).collect();
    let pages = per_incident.values().sum();
    PageNoise {
        pages,
        paged_incidents: per_incident.len(),
        pages_per_incident_median: quantile(&counts, 0.5),
        pages_per_incident_p90: quantile(&counts, 0.9),
        pages_per_incident_max: per_incident.values().copied().max(),
        acknowledged_share: ratio(acknowledged, pages),
        alerts,
        alerts_without_incident,
        repeat_alerts,
    }
}

/// Alerts of the period, those without an incident, and repeats (the same key within
/// the 24 hours before, whatever the period of the earlier one).
fn alerts(ctx: &Ctx) -> (usize, usize, usize) {
    let (from, to) = (ctx.period.from, ctx.period.to.min(ctx.as_of + 1));
    let mut by_key: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for a in &ctx.data.alerts {
        if let Some(k) = &a.key {
            by_key.entry(k.as_str()).or_default().push(a.at);
        }
    }
    by_key.values_mut().for_each(|v| v.sort_unstable());
    let (mut n, mut orphan, mut repeat) = (0, 0, 0);
    for a in ctx.data.alerts.iter().filter(|a| a.at >= from && a.at < to) {
        n += 1;
        orphan += usize::from(a.incident.is_none());
        let earlier = a
            .key
            .as_deref()
            .and_then(|k| by_key.get(k))
            .is_some_and(|times| {
                times
                    .iter()
                    .any(|t| *t < a.at && a.at - *t <= super::DAY as i64)
            });
        repeat += usize::from(earlier);
    }
    (n, orphan, repeat)
}
