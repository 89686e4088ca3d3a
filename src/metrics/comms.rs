//! Section 7 of docs/metrics.md, Communication cadence: the gaps between status updates, from declaration up to and
//! including resolution, and the share of incidents with a gap above target.

use super::{finite, Ctx, MINUTE};
use crate::stats::quantile;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct Comms {
    pub incidents_with_updates: usize,
    pub gaps: usize,
    pub median_gap_minutes: Option<f64>,
    pub p90_gap_minutes: Option<f64>,
    pub incidents_over_target: Option<f64>,
}

pub fn compute(ctx: &Ctx) -> Comms {
    let in_p = &ctx.in_current;
    let mut updates: HashMap<&str, Vec<i64>> = HashMap::new();
    for e in &ctx.data.events {
        if e.kind == "status_update" && in_p.contains(e.incident.as_str()) {
            updates.entry(e.incident.as_str()).or_default().push(e.at);
        }
    }
    let mut gaps = Vec::new();
    let (mut with_updates, mut over) = (0, 0);
    for i in &ctx.current {
        let Some(times) = updates.get_mut(i.id.as_str()) else {
            continue;
        };
        // From declaration (else the anchor) up to resolution, or up to as_of if not
        // resolved by then; an update at the moment of resolution counts.
        let start = i.anchor;
        let end = ctx.by_as_of(i.resolved).unwrap_or(ctx.as_of);
        times.sort_unstable();
        let window: Vec<i64> = times
            .iter()
            .copied()
            .filter(|&t| t >= start && t <= end)
            .collect();
        if window.is_empty() {
            continue;
        }
        with_updates += 1;
        let target = ctx.config.comms.target_for(i.severity.as_deref());
        let mut prev = start;
        let mut any_over = false;
        for t in window {
            let gap = (t - prev) as f64 / MINUTE;
            any_over |= gap > target;
            gaps.push(gap);
            prev = t;
        }
        over += usize::from(any_over);
    }
    Comms {
        incidents_with_updates: with_updates,
        gaps: gaps.len(),
        median_gap_minutes: finite(quantile(&gaps, 0.5)),
        p90_gap_minutes: finite(quantile(&gaps, 0.9)),
        incidents_over_target: super::ratio(over, with_updates),
    }
}
