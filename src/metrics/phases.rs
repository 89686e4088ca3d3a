//! Section 5 of docs/metrics.md, Incident phases: time to acknowledge, mitigate and resolve, as medians with spread,
//! a bootstrap interval and a Mann–Whitney test against the previous period. Context,
//! never a lone headline: these durations are heavy-tailed.

use super::{finite, Ctx, Data, Incident, MINUTE};
use crate::stats::{bootstrap_median_ci, mann_whitney_p, quantile};
use serde::Serialize;

/// Bootstrap settings: fixed so that the output is deterministic.
const RESAMPLES: usize = 2000;
const SEED: u64 = 20_260_701;

#[derive(Debug, Serialize)]
pub struct Phases {
    pub time_to_ack: Phase,
    pub time_to_mitigate: Phase,
    pub time_to_resolve: Phase,
}

#[derive(Debug, Serialize)]
pub struct Phase {
    pub n: usize,
    pub median_minutes: Option<f64>,
    pub p90_minutes: Option<f64>,
    pub ci90: Option<[f64; 2]>,
    pub previous_n: usize,
    pub previous_median_minutes: Option<f64>,
    pub mann_whitney_p: Option<f64>,
    /// The smallest factor by which the median would have had to change for these
    /// samples to show it (80% power, 5% level; see `stats::detectable_ratio`).
    pub detectable_ratio: Option<f64>,
}

/// First page and first acknowledgement per incident, from pages and timeline events.
pub struct Firsts<'a> {
    page: hashbrown::HashMap<&'a str, i64>,
    ack: hashbrown::HashMap<&'a str, i64>,
}

impl<'a> Firsts<'a> {
    pub fn new(data: &'a Data, as_of: i64) -> Firsts<'a> {
        let mut page: hashbrown::HashMap<&str, i64> = Default::default();
        let mut ack: hashbrown::HashMap<&str, i64> = Default::default();
        let min = |m: &mut hashbrown::HashMap<&'a str, i64>, id: &'a str, t: Option<i64>| {
            if let Some(t) = t.filter(|&t| t <= as_of) {
                m.entry(id).and_modify(|v| *v = (*v).min(t)).or_insert(t);
            }
        };
        for p in &data.pages {
            min(&mut page, &p.incident, p.sent);
            min(&mut ack, &p.incident, p.acknowledged);
        }
        for e in &data.events {
            match e.kind.as_str() {
                "paged" => min(&mut page, &e.incident, Some(e.at)),
                "acknowledged" => min(&mut ack, &e.incident, Some(e.at)),
                _ => {}
            }
        }
        for i in &data.incidents {
            min(&mut ack, &i.id, i.acknowledged);
        }
        Firsts { page, ack }
    }

    pub fn first_page(&self, id: &str) -> Option<i64> {
        self.page.get(id).copied()
    }
}

/// The three durations of an incident in minutes; a negative one (a timestamp before
/// the start) is left out and counted by data quality.
pub fn durations(ctx: &Ctx, f: &Firsts, i: &Incident) -> [Option<f64>; 3] {
    let start = i.start();
    let ack = f
        .ack
        .get(i.id.as_str())
        .map(|a| a - f.first_page(&i.id).unwrap_or(start));
    let mitigate = ctx.by_as_of(i.mitigated).map(|m| m - start);
    let resolve = ctx.by_as_of(i.resolved).map(|r| r - start);
    [ack, mitigate, resolve].map(|d| d.map(|d| d as f64 / MINUTE))
}

fn phase(current: &[f64], previous: &[f64]) -> Phase {
    Phase {
        n: current.len(),
        median_minutes: finite(quantile(current, 0.5)),
        p90_minutes: finite(quantile(current, 0.9)),
        ci90: bootstrap_median_ci(current, 0.9, RESAMPLES, SEED).map(|(a, b)| [a, b]),
        previous_n: previous.len(),
        previous_median_minutes: finite(quantile(previous, 0.5)),
        mann_whitney_p: finite(mann_whitney_p(current, previous)),
        detectable_ratio: finite(crate::stats::detectable_ratio(current, previous)),
    }
}

/// Non-negative durations of each phase over `incidents`.
fn samples(ctx: &Ctx, f: &Firsts, incidents: &[&Incident]) -> [Vec<f64>; 3] {
    let mut out: [Vec<f64>; 3] = Default::default();
    for i in incidents {
        for (k, d) in durations(ctx, f, i).into_iter().enumerate() {
            if let Some(d) = d.filter(|d| *d >= 0.0) {
                out[k].push(d);
            }
        }
    }
    out
}

/// The durations behind the three phases, this period's and the previous one's.
pub fn samples_of(ctx: &Ctx) -> ([Vec<f64>; 3], [Vec<f64>; 3]) {
    (
        samples(ctx, &ctx.firsts, &ctx.current),
        samples(ctx, &ctx.firsts, &ctx.previous),
    )
}

pub fn compute(ctx: &Ctx) -> Phases {
    let f = &ctx.firsts;
    let [a, m, r] = samples(ctx, f, &ctx.current);
    let [pa, pm, pr] = samples(ctx, f, &ctx.previous);
    Phases {
        time_to_ack: phase(&a, &pa),
        time_to_mitigate: phase(&m, &pm),
        time_to_resolve: phase(&r, &pr),
    }
}
