//! Section 1 of docs/metrics.md, Time to retrospective: how long after resolution the retro was held, its coverage
//! per severity, with the retros still owed right-censored at `as_of` (Kaplan–Meier).

use super::{finite, ratio, Ctx, Incident, HOUR, SEVERITY_KEYS};
use crate::stats::{quantile, KaplanMeier};
use chrono::{Datelike, Weekday};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct TimeToRetro {
    pub required: usize,
    pub held: usize,
    pub coverage: Option<f64>,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub km_median_hours: Option<f64>,
    pub held_within_5_business_days: usize,
    /// Retros held for resolved incidents whose severity the policy does not require.
    pub held_outside_policy: usize,
    pub by_severity: BTreeMap<&'static str, SeverityBlock>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeverityBlock {
    pub in_policy: bool,
    /// Incidents of this severity in the period, resolved by `as_of`.
    pub incidents: usize,
    /// Of those, the ones the policy requires a retro for (all or none).
    pub required: usize,
    pub held: usize,
    pub coverage: Option<f64>,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub km_median_hours: Option<f64>,
    pub held_within_5_business_days: usize,
}

/// One resolved incident's retro: the hours to it (held) or waited so far (censored).
struct Obs {
    hours: f64,
    held: bool,
    within_5_business_days: bool,
}

fn observe(ctx: &Ctx, i: &Incident) -> Option<Obs> {
    let resolved = ctx.by_as_of(i.resolved)?;
    let held_at = ctx.by_as_of(i.retro_held.or(i.retro_published));
    Some(match held_at {
        Some(h) => Obs {
            hours: (h - resolved) as f64 / HOUR,
            held: true,
            within_5_business_days: h <= add_business_days(resolved, 5, ctx.tz),
        },
        None => Obs {
            hours: (ctx.as_of - resolved) as f64 / HOUR,
            held: false,
            within_5_business_days: false,
        },
    })
}

/// `t` moved forward by `n` working days (Monday to Friday, in `tz`), same time of day.
pub fn add_business_days(t: i64, n: u32, tz: chrono_tz::Tz) -> i64 {
    let mut d = chrono::DateTime::from_timestamp_micros(t)
        .expect("in range")
        .with_timezone(&tz);
    let mut left = n;
    while left > 0 {
        d += chrono::Duration::days(1);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    d.timestamp_micros()
}

struct Summary {
    held: usize,
    median_hours: Option<f64>,
    p90_hours: Option<f64>,
    km_median_hours: Option<f64>,
    within: usize,
}

fn summarise(obs: &[Obs]) -> Summary {
    let held: Vec<f64> = obs.iter().filter(|o| o.held).map(|o| o.hours).collect();
    let km = KaplanMeier::fit(&obs.iter().map(|o| (o.hours, o.held)).collect::<Vec<_>>());
    Summary {
        held: held.len(),
        median_hours: finite(quantile(&held, 0.5)),
        p90_hours: finite(quantile(&held, 0.9)),
        km_median_hours: finite(km.median()),
        within: obs.iter().filter(|o| o.within_5_business_days).count(),
    }
}

/// The Kaplan–Meier steps `(hours, S)` of the incidents the policy requires a retro for.
pub fn curve(ctx: &Ctx) -> Vec<(f64, f64)> {
    let policy = &ctx.config.retro.required_severities;
    let obs: Vec<(f64, bool)> = ctx
        .current
        .iter()
        .filter(|i| i.severity.as_ref().is_some_and(|s| policy.contains(s)))
        .filter_map(|i| observe(ctx, i))
        .map(|o| (o.hours, o.held))
        .collect();
    KaplanMeier::fit(&obs).steps
}

pub fn compute(ctx: &Ctx) -> TimeToRetro {
    let policy = &ctx.config.retro.required_severities;
    let in_policy = |i: &Incident| i.severity.as_ref().is_some_and(|s| policy.contains(s));
    let required: Vec<Obs> = ctx
        .current
        .iter()
        .filter(|i| in_policy(i))
        .filter_map(|i| observe(ctx, i))
        .collect();
    let outside = ctx
        .current
        .iter()
        .filter(|i| !in_policy(i))
        .filter_map(|i| observe(ctx, i))
        .filter(|o| o.held)
        .count();
    let s = summarise(&required);
    let by_severity = SEVERITY_KEYS
        .iter()
        .map(|&key| {
            let obs: Vec<Obs> = ctx
                .current
                .iter()
                .filter(|i| i.severity_key() == key)
                .filter_map(|i| observe(ctx, i))
                .collect();
            let in_policy = policy.iter().any(|p| p == key);
            let sum = summarise(&obs);
            let required = if in_policy { obs.len() } else { 0 };
            (
                key,
                SeverityBlock {
                    in_policy,
                    incidents: obs.len(),
                    required,
                    held: sum.held,
                    coverage: if in_policy {
                        ratio(sum.held, required)
                    } else {
                        None
                    },
                    median_hours: sum.median_hours,
                    p90_hours: sum.p90_hours,
                    km_median_hours: sum.km_median_hours,
                    held_within_5_business_days: sum.within,
                },
            )
        })
        .collect();
    TimeToRetro {
        required: required.len(),
        held: s.held,
        coverage: ratio(s.held, required.len()),
        median_hours: s.median_hours,
        p90_hours: s.p90_hours,
        km_median_hours: s.km_median_hours,
        held_within_5_business_days: s.within,
        held_outside_policy: outside,
        by_severity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_days_skip_weekends() {
        // Friday 2026-07-03 15:00 UTC + 5 working days = Friday 2026-07-10 15:00.
        let fri = crate::time::parse_timestamp("2026-07-03T15:00:00Z", None).unwrap();
        let want = crate::time::parse_timestamp("2026-07-10T15:00:00Z", None).unwrap();
        assert_eq!(add_business_days(fri, 5, chrono_tz::UTC), want);
        // Saturday 2026-07-04 10:00 + 5 = Friday 2026-07-10 10:00.
        let sat = crate::time::parse_timestamp("2026-07-04T10:00:00Z", None).unwrap();
        let want = crate::time::parse_timestamp("2026-07-10T10:00:00Z", None).unwrap();
        assert_eq!(add_business_days(sat, 5, chrono_tz::UTC), want);
    }
}
