//! The metrics of `docs/metrics.md`, computed over the canonical store.
//!
//! [`Period`] and `as_of` fix what is measured; [`Data`] loads the tables once, through
//! Polars lazy frames that project, cast and derive what the families need (the
//! incident's anchor time, its exclusion); each family module turns that into its block
//! of the [`Metrics`] document, whose field order is the JSON key order of the spec.
//!
//! Nothing here reads a clock: the same store and flags give the same document.

pub mod action_items;
pub mod changes;
pub mod comms;
mod data;
pub mod declaration;
pub mod hotspots;
mod large;
pub mod name;
pub mod noise;
pub mod oncall;
pub mod period;
pub mod phases;
pub mod quality;
pub mod recurrence;
pub mod responders;
pub mod retro;
pub mod text;
pub mod themes;
pub mod workload;

use crate::config::Config;
use crate::schema::{col, Table};
use crate::store::Store;
use anyhow::Result;
pub use data::*;
pub use name::{Name, Names};
pub use period::Period;
use serde::Serialize;
use std::collections::BTreeMap;

/// Microseconds in a minute, an hour, a day.
pub const MINUTE: f64 = 60e6;
pub const HOUR: f64 = 3600e6;
pub const DAY: f64 = 86400e6;

/// Severity keys of the JSON objects keyed by severity, in order.
pub const SEVERITY_KEYS: [&str; 6] = ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5", "unknown"];

/// The whole `metrics --format json` document.
#[derive(Debug, Serialize)]
pub struct Metrics {
    pub period: PeriodBlock,
    pub incidents: IncidentsBlock,
    pub time_to_retro: retro::TimeToRetro,
    pub action_items: action_items::ActionItems,
    pub hotspots: Vec<hotspots::Hotspot>,
    pub hotspots_by_team: Vec<hotspots::Hotspot>,
    pub hotspots_by_product_area: Vec<hotspots::Hotspot>,
    pub responders: responders::Responders,
    pub workload: workload::Workload,
    pub recovery: workload::Recovery,
    pub on_call: oncall::OnCall,
    pub page_noise: noise::PageNoise,
    pub themes: themes::Themes,
    pub changes: changes::Changes,
    pub recurrence: recurrence::Recurrence,
    pub phases: phases::Phases,
    pub declaration: declaration::Declaration,
    pub comms: comms::Comms,
    pub data_quality: quality::DataQuality,
}

#[derive(Debug, Serialize)]
pub struct PeriodBlock {
    pub from: String,
    pub to: String,
    pub as_of: String,
    pub previous_from: String,
    pub previous_to: String,
}

#[derive(Debug, Serialize)]
pub struct IncidentsBlock {
    pub count: usize,
    /// Of `count`, the incidents that name at least one service.
    pub with_service: usize,
    pub excluded: usize,
    pub by_severity: BTreeMap<&'static str, usize>,
}

/// Everything a family needs: the data, the period, `as_of`, the settings, and the
/// incidents of the period and of the previous one (exclusions removed).
pub struct Ctx<'a> {
    pub data: &'a Data,
    pub config: &'a Config,
    pub period: Period,
    pub as_of: i64,
    /// The zone of the period's boundaries and of business days.
    pub tz: chrono_tz::Tz,
    pub current: Vec<&'a Incident>,
    /// The ids of `current`, for the families that filter rows by incident.
    pub in_current: hashbrown::HashSet<&'a str>,
    pub previous: Vec<&'a Incident>,
    /// First page and first acknowledgement of every incident, as of `as_of`.
    pub firsts: phases::Firsts<'a>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        data: &'a Data,
        config: &'a Config,
        period: Period,
        as_of: Option<i64>,
        tz: chrono_tz::Tz,
    ) -> Ctx<'a> {
        let default_as_of = match data.latest {
            Some(l) if l < period.to => l,
            _ => period.to,
        };
        let as_of = as_of.unwrap_or(default_as_of);
        let pick = |from: i64, to: i64| -> Vec<&'a Incident> {
            data.incidents
                .iter()
                .filter(|i| !i.excluded && i.anchor >= from && i.anchor < to)
                .collect()
        };
        let current = pick(period.from, period.to);
        Ctx {
            in_current: current.iter().map(|i| i.id.as_str()).collect(),
            current,
            previous: pick(period.previous_from, period.previous_to),
            firsts: phases::Firsts::new(data, as_of),
            data,
            config,
            period,
            as_of,
            tz,
        }
    }

    /// A timestamp as it stood at `as_of`: later ones had not happened yet.
    pub fn by_as_of(&self, t: Option<i64>) -> Option<i64> {
        t.filter(|&t| t <= self.as_of)
    }
}

/// What to measure: the period, `as_of` (None: the default rule) and the zone.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub period: Period,
    pub as_of: Option<i64>,
    pub tz: chrono_tz::Tz,
}

/// Computes the whole document.
pub fn compute(store: &Store, config: &Config, req: Request) -> Result<Metrics> {
    let data = Data::load(store)?;
    Ok(compute_from(&data, config, req))
}

pub fn compute_from(data: &Data, config: &Config, req: Request) -> Metrics {
    compute_in(&Ctx::new(data, config, req.period, req.as_of, req.tz))
}

/// The whole document for a context already made (a report also draws its charts
/// from it).
pub fn compute_in(ctx: &Ctx) -> Metrics {
    let (data, period) = (ctx.data, ctx.period);
    let excluded = data
        .incidents
        .iter()
        .filter(|i| i.excluded && i.anchor >= period.from && i.anchor < period.to)
        .count();
    let mut by_severity: BTreeMap<&'static str, usize> =
        SEVERITY_KEYS.iter().map(|k| (*k, 0)).collect();
    for i in &ctx.current {
        let key = SEVERITY_KEYS
            .iter()
            .find(|k| **k == i.severity_key())
            .copied()
            .unwrap_or("unknown");
        *by_severity.entry(key).or_default() += 1;
    }
    let fmt = crate::time::format_micros;
    crate::timing::lap("metrics: context");
    let (
        base,
        people_without_zone,
        (hotspots, phases, mut data_quality, recurrence, on_call, page_noise),
    ) = families(ctx, || {
        crate::timing::alone("metrics (beside): the period's own families", || {
            (
                hotspots::compute(ctx),
                phases::compute(ctx),
                quality::compute(ctx),
                recurrence::compute(ctx),
                oncall::compute(ctx),
                noise::compute(ctx),
            )
        })
    });
    crate::timing::lap("metrics: the families");
    data_quality.people_without_zone = people_without_zone;
    let (hotspots, hotspots_by_team, hotspots_by_product_area) = hotspots;
    Metrics {
        period: PeriodBlock {
            from: fmt(period.from),
            to: fmt(period.to),
            as_of: fmt(ctx.as_of),
            previous_from: fmt(period.previous_from),
            previous_to: fmt(period.previous_to),
        },
        incidents: IncidentsBlock {
            count: ctx.current.len(),
            with_service: with_service(ctx),
            excluded,
            by_severity,
        },
        time_to_retro: base.time_to_retro,
        action_items: base.action_items,
        hotspots,
        hotspots_by_team,
        hotspots_by_product_area,
        responders: base.responders,
        workload: base.workload,
        recovery: base.recovery,
        on_call,
        page_noise,
        themes: base.themes,
        changes: base.changes,
        recurrence,
        phases,
        declaration: base.declaration,
        comms: base.comms,
        data_quality,
    }
}

/// The period's incidents that name at least one service.
pub fn with_service(ctx: &Ctx) -> usize {
    let named: hashbrown::HashSet<&str> = ctx
        .data
        .incident_services
        .iter()
        .map(|(i, _)| i.as_str())
        .collect();
    ctx.current
        .iter()
        .filter(|i| named.contains(i.id.as_str()))
        .count()
}

/// What the findings compare a period with: the previous period's incident count, retro
/// coverage, declarations, responders, action items and status-update cadence. Its other families (the phases' bootstrap, responders,
/// hotspots, which carry their own previous values) are not computed for it.
pub struct Baseline {
    pub incidents: usize,
    pub time_to_retro: retro::TimeToRetro,
    pub declaration: declaration::Declaration,
    pub responders: responders::Responders,
    pub workload: workload::Workload,
    pub recovery: workload::Recovery,
    pub action_items: action_items::ActionItems,
    pub comms: comms::Comms,
    pub themes: themes::Themes,
    pub changes: changes::Changes,
}

impl Baseline {
    /// The baseline a period's whole metrics already hold (when they are computed anyway).
    pub fn of(m: &Metrics) -> Baseline {
        Baseline {
            incidents: m.incidents.count,
            time_to_retro: m.time_to_retro.clone(),
            declaration: m.declaration.clone(),
            responders: m.responders.clone(),
            workload: m.workload.clone(),
            recovery: m.recovery.clone(),
            action_items: m.action_items.clone(),
            comms: m.comms.clone(),
            themes: m.themes.clone(),
            changes: m.changes.clone(),
        }
    }
}

/// The [`Baseline`] of a context made for the previous period (a report also draws
/// that period's curves from it).
pub fn baseline_in(ctx: &Ctx) -> Baseline {
    families(ctx, || ()).0
}

/// The families of a [`Baseline`], and `beside` (the families only a period's own
/// metrics add), on both cores: workload (a million person-incident pairs, about as
/// long as the others together) on one, the others on the other, responders last so
/// that either core may take them. Also the people workload found no zone for.
fn families<T: Send>(ctx: &Ctx, beside: impl FnOnce() -> T + Send) -> (Baseline, usize, T) {
    let (load, ((others, beside), responders)) = rayon::join(
        || crate::timing::alone("metrics (beside): workload", || workload::compute(ctx)),
        || {
            rayon::join(
                || {
                    rayon::join(
                        || {
                            crate::timing::alone("metrics (beside): the other families", || {
                                (
                                    retro::compute(ctx),
                                    declaration::compute(ctx),
                                    action_items::compute(ctx),
                                    comms::compute(ctx),
                                    themes::compute(ctx),
                                    changes::compute(ctx),
                                )
                            })
                        },
                        beside,
                    )
                },
                || {
                    crate::timing::alone("metrics (beside): responders", || {
                        responders::compute(ctx)
                    })
                },
            )
        },
    );
    let (time_to_retro, declaration, action_items, comms, themes, changes) = others;
    let base = Baseline {
        workload: load.workload,
        recovery: load.recovery,
        incidents: ctx.current.len(),
        time_to_retro,
        declaration,
        responders,
        action_items,
        comms,
        themes,
        changes,
    };
    (base, load.people_without_zone, beside)
}

/// A finite number, or `None` (printed `null`): the JSON never holds NaN or infinity.
pub fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// `a / b`, or `None` when `b` is zero.
pub fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// `a / b` of two measures, or `None` when `b` is not above zero.
pub fn ratio_f(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}
