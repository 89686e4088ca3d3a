//! One analysis of a period, rendered many ways.
//!
//! A report, a review and `metrics --format json` all start from an [`Analysis`]: the
//! period's metrics, the previous period's [`Baseline`], the findings ranked, and the
//! series each chart draws, computed once. The renderers (HTML and Markdown reports,
//! team reports, the review's artifacts, the metrics document) read it; none of them
//! computes a metric or looks at raw incidents.

use crate::config::Config;
use crate::findings::{self, Ask, Coverage, Finding};
use crate::followup::{self, Followed};
use crate::metrics::{self, Baseline, Ctx, Data, Metrics, Request};
use serde::Serialize;

pub use crate::findings::SHOWN;

pub struct Analysis<'a> {
    /// The period's context: team reports select their incidents from it.
    pub ctx: Ctx<'a>,
    /// How the period is named in titles: `Q3 2026 (1 Jul – 30 Sep)`.
    pub label: String,
    pub metrics: Metrics,
    /// The previous period as it stands now: what the findings compare with.
    pub previous: Baseline,
    pub coverage: Coverage,
    /// Every finding the data supports, most salient first.
    pub findings: Vec<Finding>,
    pub series: Series,
    /// What became of the decisions the previous period's report asked for.
    pub followed: Followed,
}

/// What the charts draw, for this period and the previous one.
pub struct Series {
    /// The first six services by severity-weighted score: name, incidents by severity,
    /// incidents in the previous period.
    pub hotspots: Vec<(String, [usize; 6], usize)>,
    /// Share of required retros held by days after resolution (Kaplan–Meier).
    pub retro: Curves,
    /// Share of action items done by days after they were written (Kaplan–Meier).
    pub action_items: Curves,
    /// Incidents per person who took part in any, this period and the last.
    pub participation: (Vec<f64>, Vec<f64>),
    /// Incidents per month by severity, every month of both periods, and the index of
    /// this period's first month.
    pub months: (Vec<(String, [usize; 6])>, usize),
    /// Minutes to acknowledge, mitigate and resolve, per incident, this period and the
    /// last.
    pub phases: [(&'static str, Vec<f64>, Vec<f64>); 3],
    /// Incidents declared by each function (engineering first), this period and the
    /// last.
    pub declarers: Vec<(String, usize, usize)>,
    /// Nights with incident work and nights without rest, this period and the last.
    pub recovery: Vec<(String, usize, usize)>,
    /// Incidents per theme (the six most common), this period and the last.
    pub themes: Vec<(String, usize, usize)>,
    /// Deployments followed by an incident, per service (the four with most), this
    /// period and the last.
    pub changes: Vec<(String, usize, usize)>,
}

/// A curve of this period and one of the previous period (empty when it has none).
pub struct Curves {
    pub now: Vec<(f64, f64)>,
    pub before: Vec<(f64, f64)>,
}

impl<'a> Analysis<'a> {
    /// Analyses `req`'s period of `data`.
    pub fn of(data: &'a Data, config: &'a Config, req: Request, label: &str) -> Analysis<'a> {
        let ctx = Ctx::new(data, config, req.period, req.as_of, req.tz);
        let metrics = metrics::compute_in(&ctx);
        // The previous period as it stands now (judged as of its end): what the findings
        // compare with, and, whole, what its own report asked for. The period before
        // it likewise, for the decisions asked two periods running; the one before that
        // only as a baseline. Each period is computed once.
        let period_ctx = |back: usize| {
            let mut period = req.period;
            for _ in 0..back {
                period = period.previous();
            }
            Ctx::new(data, config, period, None, req.tz)
        };
        let before = period_ctx(1);
        let then = metrics::compute_in(&before);
        let previous = Baseline::of(&then);
        crate::timing::lap("analysis: the previous period");
        let coverage = Coverage::of(&ctx, &metrics);
        let findings = findings::findings(&metrics, &previous, coverage);
        let series = Series::of(&ctx, &before, &metrics, &previous);
        crate::timing::lap("analysis: findings and chart series");
        let earlier = period_ctx(2);
        let earlier_metrics = metrics::compute_in(&earlier);
        let asked = decisions(&then, &Baseline::of(&earlier_metrics), &before);
        let before_that: Vec<Ask> = decisions(
            &earlier_metrics,
            &metrics::baseline_in(&period_ctx(3)),
            &earlier,
        )
        .into_iter()
        .map(|(_, a)| a)
        .collect();
        let to_value = |m: &Metrics| serde_json::to_value(m).unwrap_or_default();
        let followed =
            followup::follow(&asked, &to_value(&then), &to_value(&metrics), &before_that);
        crate::timing::lap("analysis: the decisions asked before, followed up");
        Analysis {
            ctx,
            label: label.to_string(),
            metrics,
            previous,
            coverage,
            findings,
            series,
            followed,
        }
    }

    /// Follows up the decisions a previous report's metrics.json records
    /// (`report --since-report FILE`) instead of those computed from the store.
    pub fn follow_since(
        &mut self,
        (asked, then): (Vec<(String, Ask)>, serde_json::Value),
        path: &std::path::Path,
    ) -> anyhow::Result<()> {
        // What that report had itself followed up: the decisions asked before it.
        let before_that: Vec<Ask> = then["decisions_followed"]["decisions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| serde_json::from_value(d["asks"].clone()).ok())
            .collect();
        let now = serde_json::to_value(&self.metrics)?;
        self.followed = followup::follow(&asked, &then, &now, &before_that);
        let day = |k: &str| {
            then["period"][k]
                .as_str()
                .map(|s| s.chars().take(10).collect::<String>())
        };
        self.followed.since = Some(match (day("from"), day("to")) {
            (Some(from), Some(to)) => format!("in the report of {from} to before {to}"),
            _ => format!("in {}", path.display()),
        });
        Ok(())
    }

    /// The findings a report shows.
    pub fn shown(&self) -> &[Finding] {
        &self.findings[..self.findings.len().min(SHOWN)]
    }

    /// The metrics document (`metrics --format json`, the review's metrics.json): the
    /// metrics, and every finding with the comparison its sentence states.
    pub fn document(&self) -> Document<'_> {
        Document {
            metrics: &self.metrics,
            findings: &self.findings,
            decisions_followed: &self.followed,
        }
    }
}

#[derive(Serialize)]
pub struct Document<'a> {
    #[serde(flatten)]
    pub metrics: &'a Metrics,
    pub findings: &'a [Finding],
    pub decisions_followed: &'a Followed,
}

/// The decisions the report of a period (its metrics `m`, the period before it
/// `previous`) asks for.
fn decisions(m: &Metrics, previous: &Baseline, ctx: &Ctx) -> Vec<(String, Ask)> {
    let found = findings::findings(m, previous, Coverage::of(ctx, m));
    followup::asked(&found[..found.len().min(SHOWN)])
}

impl Series {
    fn of(ctx: &Ctx, before: &Ctx, m: &Metrics, prev: &Baseline) -> Series {
        let days = |curve: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
            curve.into_iter().map(|(h, s)| (h / 24.0, s)).collect()
        };
        let counts = |people: &[metrics::responders::PersonLoad]| -> Vec<f64> {
            people
                .iter()
                .filter(|p| p.incidents > 0)
                .map(|p| p.incidents as f64)
                .collect()
        };
        let (now, then) = metrics::phases::samples_of(ctx);
        let [ack, mitigate, resolve] = now;
        let [ack_then, mitigate_then, resolve_then] = then;
        Series {
            hotspots: hotspot_bars(m.hotspots.iter()),
            retro: Curves {
                now: days(metrics::retro::curve(ctx)),
                before: days(metrics::retro::curve(before)),
            },
            action_items: Curves {
                now: metrics::action_items::curve(ctx),
                before: metrics::action_items::curve(before),
            },
            participation: (
                counts(&m.responders.people),
                counts(&prev.responders.people),
            ),
            months: months(ctx),
            phases: [
                ("acknowledge", ack, ack_then),
                ("mitigate", mitigate, mitigate_then),
                ("resolve", resolve, resolve_then),
            ],
            declarers: declarers(m, prev),
            recovery: nights(m, prev),
            themes: m
                .themes
                .by_theme
                .iter()
                .take(6)
                .map(|t| (t.theme.clone(), t.incidents, t.previous))
                .collect(),
            changes: m
                .changes
                .by_service
                .iter()
                .take(4)
                .map(|s| {
                    let then = prev
                        .changes
                        .by_service
                        .iter()
                        .find(|p| p.service == s.service);
                    (
                        s.service.clone(),
                        s.deployments_with_incident,
                        then.map_or(0, |p| p.deployments_with_incident),
                    )
                })
                .collect(),
        }
    }
}

/// The hotspot chart's bars: the first six groups, each with its incidents by severity
/// and its count in the previous period.
pub fn hotspot_bars<'a>(
    hotspots: impl Iterator<Item = &'a metrics::hotspots::Hotspot>,
) -> Vec<(String, [usize; 6], usize)> {
    hotspots
        .take(6)
        .map(|h| {
            let name = h.key.values().next().cloned().unwrap_or_default();
            let counts = metrics::SEVERITY_KEYS.map(|k| h.by_severity.get(k).copied().unwrap_or(0));
            (name, counts, h.previous)
        })
        .collect()
}

/// Incidents per month of both periods by severity (a month without incidents as an
/// empty one), and where this period's months start.
fn months(ctx: &Ctx) -> (Vec<(String, [usize; 6])>, usize) {
    use std::collections::BTreeMap;
    let (from, to) = (ctx.period.previous_from, ctx.period.to);
    let month_of = |t: i64| crate::time::format_micros(t)[..7].to_string();
    let mut months: BTreeMap<String, [usize; 6]> = BTreeMap::new();
    for i in ctx
        .data
        .incidents
        .iter()
        .filter(|i| !i.excluded && i.anchor >= from && i.anchor < to)
    {
        let k = metrics::SEVERITY_KEYS
            .iter()
            .position(|s| *s == i.severity_key())
            .unwrap_or(5);
        months.entry(month_of(i.anchor)).or_default()[k] += 1;
    }
    let (first, last) = (month_of(from), month_of(to - 1));
    let (mut y, mut mo): (i32, u32) = (
        first[..4].parse().unwrap_or(1970),
        first[5..7].parse().unwrap_or(1),
    );
    loop {
        let key = format!("{y}-{mo:02}");
        months.entry(key.clone()).or_default();
        if key >= last {
            break;
        }
        (y, mo) = if mo == 12 { (y + 1, 1) } else { (y, mo + 1) };
    }
    let this_period = month_of(ctx.period.from);
    let rows: Vec<(String, [usize; 6])> = months.into_iter().collect();
    let current_from = rows
        .iter()
        .position(|(m, _)| *m >= this_period)
        .unwrap_or(rows.len());
    (rows, current_from)
}

/// Nights with incident work and nights without rest, this period and the last: the
/// executive chart gives counts only (team reports give people).
fn nights(m: &Metrics, prev: &Baseline) -> Vec<(String, usize, usize)> {
    let (now, then) = (&m.recovery, &prev.recovery);
    vec![
        (
            "worked at night".into(),
            now.nights_with_activity,
            then.nights_with_activity,
        ),
        (
            "without rest".into(),
            now.nights_without_rest,
            then.nights_without_rest,
        ),
    ]
}

/// Incidents declared by each known function, engineering first, then by this
/// period's count.
fn declarers(m: &Metrics, prev: &Baseline) -> Vec<(String, usize, usize)> {
    let (now, then) = (
        &m.declaration.declared_by_function,
        &prev.declaration.declared_by_function,
    );
    let mut rows: Vec<(String, usize, usize)> = now
        .keys()
        .chain(then.keys())
        .filter(|f| *f != "unknown")
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|f| {
            let get = |side: &std::collections::BTreeMap<String, usize>| {
                side.get(f).copied().unwrap_or(0)
            };
            (f.clone(), get(now), get(then))
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.0 == "engineering")
            .cmp(&(a.0 == "engineering"))
            .then(b.1.cmp(&a.1))
            .then(a.0.cmp(&b.0))
    });
    rows
}
