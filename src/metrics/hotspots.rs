//! Section 3 of docs/metrics.md, Hotspots: which services (and teams, and product areas) the period's incidents
//! touched, weighted by severity, with repeats and a binomial test of the change against
//! the previous period.

use super::{Ctx, Incident, MINUTE, SEVERITY_KEYS};
use crate::stats::binomial_test_p;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Serialize)]
pub struct Hotspot {
    /// `service`, `team` or `product_area`, with the group's name.
    #[serde(flatten)]
    pub key: BTreeMap<&'static str, String>,
    pub incidents: usize,
    pub share: Option<f64>,
    pub by_severity: BTreeMap<&'static str, usize>,
    pub impact_minutes: f64,
    pub weighted_score: f64,
    pub repeat_incidents: usize,
    pub previous: usize,
    pub change_p_value: Option<f64>,
}

/// Which grouping a table is for.
#[derive(Clone, Copy)]
enum By {
    Service,
    Team,
    ProductArea,
}

impl By {
    fn key(self) -> &'static str {
        match self {
            By::Service => "service",
            By::Team => "team",
            By::ProductArea => "product_area",
        }
    }
}

pub fn compute(ctx: &Ctx) -> (Vec<Hotspot>, Vec<Hotspot>, Vec<Hotspot>) {
    (
        table(ctx, By::Service),
        table(ctx, By::Team),
        table(ctx, By::ProductArea),
    )
}

fn table(ctx: &Ctx, by: By) -> Vec<Hotspot> {
    let data = ctx.data;
    let group_of = |service: &str| -> Option<String> {
        match by {
            By::Service => Some(service.to_string()),
            By::Team => data.services.get(service)?.team.clone(),
            By::ProductArea => data.services.get(service)?.product_area.clone(),
        }
    };
    // Every (incident, group) pair, once, over the whole store.
    let mut groups_of: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for (incident, service) in &data.incident_services {
        if let Some(g) = group_of(service) {
            groups_of.entry(incident.as_str()).or_default().insert(g);
        }
    }
    // Starts of every counted incident per group, for repeats (earlier ones may predate P).
    let mut starts: HashMap<&str, Vec<i64>> = HashMap::new();
    for i in data.incidents.iter().filter(|i| !i.excluded) {
        for g in groups_of.get(i.id.as_str()).into_iter().flatten() {
            starts.entry(g.as_str()).or_default().push(i.start());
        }
    }
    for v in starts.values_mut() {
        v.sort_unstable();
    }
    let window = (ctx.config.hotspots.repeat_window_days * super::DAY) as i64;
    let mut current: BTreeMap<&str, Vec<&Incident>> = BTreeMap::new();
    for i in &ctx.current {
        for g in groups_of.get(i.id.as_str()).into_iter().flatten() {
            current.entry(g.as_str()).or_default().push(i);
        }
    }
    let mut previous: HashMap<&str, usize> = HashMap::new();
    for i in &ctx.previous {
        for g in groups_of.get(i.id.as_str()).into_iter().flatten() {
            *previous.entry(g.as_str()).or_default() += 1;
        }
    }
    let total = ctx.current.len();
    let p =
        ctx.period.length() as f64 / (ctx.period.length() + ctx.period.previous_length()) as f64;
    let mut rows: Vec<Hotspot> = current
        .into_iter()
        .map(|(g, incidents)| {
            let k = incidents.len();
            let prev = previous.get(g).copied().unwrap_or(0);
            let mut by_severity: BTreeMap<&'static str, usize> =
                SEVERITY_KEYS.iter().map(|s| (*s, 0)).collect();
            // Impact is summed in whole microseconds: exact, whatever the incidents' order.
            let (mut impact, mut score, mut repeats) = (0i64, 0.0, 0);
            let group_starts = &starts[g];
            for i in &incidents {
                let key = SEVERITY_KEYS
                    .iter()
                    .find(|s| **s == i.severity_key())
                    .copied()
                    .unwrap_or("unknown");
                *by_severity.entry(key).or_default() += 1;
                score += ctx.config.hotspots.weight(i.severity.as_deref());
                if let (Some(start), Some(resolved)) = (i.started, ctx.by_as_of(i.resolved)) {
                    if resolved >= start {
                        impact += resolved - start;
                    }
                }
                // Is there an earlier start in [s - window, s)? The starts are sorted.
                let s = i.start();
                let first_in_window = group_starts.partition_point(|&e| e < s - window);
                if group_starts.get(first_in_window).is_some_and(|&e| e < s) {
                    repeats += 1;
                }
            }
            Hotspot {
                key: BTreeMap::from([(by.key(), g.to_string())]),
                incidents: k,
                share: super::ratio(k, total),
                by_severity,
                impact_minutes: impact as f64 / MINUTE,
                weighted_score: score,
                repeat_incidents: repeats,
                previous: prev,
                change_p_value: binomial_test_p(k as u64, (k + prev) as u64, p),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.weighted_score
            .total_cmp(&a.weighted_score)
            .then_with(|| a.key.values().cmp(b.key.values()))
    });
    rows
}
