//! Section 2 of docs/metrics.md, Action items: are follow-ups finished, not merely written? Completion as it stood
//! at `as_of`, the Kaplan–Meier share done within 30 and 60 days (open items censored,
//! dropped ones excluded), age and staleness of open work, and the same per team.

use super::{finite, ratio, Ctx, Item, DAY};
use crate::stats::{quantile, KaplanMeier};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct ActionItems {
    #[serde(flatten)]
    pub all: Block,
    pub per_retro: Option<f64>,
    pub by_team: BTreeMap<String, Block>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Block {
    pub total: usize,
    pub done: usize,
    pub open: usize,
    pub wont_do: usize,
    pub completion_rate: Option<f64>,
    pub done_within_30d: Option<f64>,
    pub done_within_60d: Option<f64>,
    pub open_median_age_days: Option<f64>,
    pub stale_open: usize,
    pub unowned: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Status {
    Open,
    Done,
    WontDo,
}

/// An item's status as it stood at `as_of`: completion or cancellation after it had
/// not happened yet.
fn status_at(ctx: &Ctx, i: &Item) -> Status {
    match i.status.as_str() {
        "done" if i.completed.is_none_or(|c| c <= ctx.as_of) => Status::Done,
        "wont_do" if i.updated.or(i.completed).is_none_or(|u| u <= ctx.as_of) => Status::WontDo,
        _ => Status::Open,
    }
}

fn block(ctx: &Ctx, items: &[&Item]) -> Block {
    let status: Vec<Status> = items.iter().map(|i| status_at(ctx, i)).collect();
    let count = |s: Status| status.iter().filter(|x| **x == s).count();
    let (done, open, wont_do) = (
        count(Status::Done),
        count(Status::Open),
        count(Status::WontDo),
    );
    // Done items without a completion time cannot be placed on the curve.
    let obs: Vec<(f64, bool)> = items
        .iter()
        .zip(&status)
        .filter_map(|(i, s)| {
            let created = i.created?;
            match s {
                Status::Done => Some(((i.completed? - created) as f64 / DAY, true)),
                Status::Open => Some(((ctx.as_of - created) as f64 / DAY, false)),
                Status::WontDo => None,
            }
        })
        .collect();
    let km = KaplanMeier::fit(&obs);
    let has_curve = !obs.is_empty();
    let ages: Vec<f64> = items
        .iter()
        .zip(&status)
        .filter(|(_, s)| **s == Status::Open)
        .filter_map(|(i, _)| Some((ctx.as_of - i.created?) as f64 / DAY))
        .collect();
    Block {
        total: items.len(),
        done,
        open,
        wont_do,
        completion_rate: ratio(done, items.len() - wont_do),
        done_within_30d: has_curve.then(|| 1.0 - km.survival_at(30.0)),
        done_within_60d: has_curve.then(|| 1.0 - km.survival_at(60.0)),
        open_median_age_days: finite(quantile(&ages, 0.5)),
        stale_open: ages
            .iter()
            .filter(|a| **a > ctx.config.action_items.stale_days)
            .count(),
        unowned: items.iter().filter(|i| i.owner.is_none()).count(),
    }
}

/// The Kaplan–Meier steps `(days, S)` of the period's action items (done ones are
/// events, open ones censored at `as_of`, dropped ones left out), for the chart.
pub fn curve(ctx: &Ctx) -> Vec<(f64, f64)> {
    let in_p = &ctx.in_current;
    let obs: Vec<(f64, bool)> = ctx
        .data
        .items
        .iter()
        .filter(|i| i.incident.as_deref().is_some_and(|id| in_p.contains(id)))
        .filter(|i| i.created.is_none_or(|c| c <= ctx.as_of))
        .filter_map(|i| {
            let created = i.created?;
            match status_at(ctx, i) {
                Status::Done => Some(((i.completed? - created) as f64 / DAY, true)),
                Status::Open => Some(((ctx.as_of - created) as f64 / DAY, false)),
                Status::WontDo => None,
            }
        })
        .collect();
    KaplanMeier::fit(&obs).steps
}

pub fn compute(ctx: &Ctx) -> ActionItems {
    let in_p = &ctx.in_current;
    let items: Vec<&Item> = ctx
        .data
        .items
        .iter()
        .filter(|i| i.incident.as_deref().is_some_and(|id| in_p.contains(id)))
        .filter(|i| i.created.is_none_or(|c| c <= ctx.as_of))
        .collect();
    let held_retros = ctx
        .current
        .iter()
        .filter(|i| ctx.by_as_of(i.retro_held.or(i.retro_published)).is_some())
        .count();
    let mut teams: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
    for i in &items {
        teams
            .entry(i.team.clone().unwrap_or_else(|| "unknown".into()))
            .or_default()
            .push(i);
    }
    ActionItems {
        all: block(ctx, &items),
        per_retro: ratio(items.len(), held_retros),
        by_team: teams
            .into_iter()
            .map(|(t, v)| (t, block(ctx, &v)))
            .collect(),
    }
}
