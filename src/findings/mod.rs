//! Findings: the metrics turned into ranked sentences, each with its number, its
//! comparison to the previous period and, where it helps, a decision to ask for.
//!
//! The wording follows one rule for calling a change, the same in every finding:
//! - with fewer than [`MIN_N`] observations over both periods, no change is claimed:
//!   the sentence says there are too few to tell a change from chance;
//! - otherwise the test's p-value decides the words: below 0.01 "strong evidence of a
//!   real change", below 0.05 "some evidence", else "a difference this size could be
//!   chance". A test repeated over several groups (a hotspot's share, tested for every
//!   service) is judged on its Holm-adjusted p-value, and the sentence says so.
//!
//! The tests: binomial for hotspot shares, Fisher's exact for retro coverage,
//! Mann–Whitney (with `n >= 20` on both sides) for durations. A mean is never
//! headlined. Every number in a sentence comes from the metrics document, and each
//! finding lists the JSON keys it used; a sentence's number is the statistic its chart
//! shows, or the sentence names the population it is taken over.

mod changes;
mod coverage;
mod evidence;
mod families;

pub use coverage::Coverage;
pub use evidence::{compare, p_value, pct, trim, Comparison, Share};
pub use families::phases_context;

use crate::metrics::{Baseline, Metrics};
use evidence::*;
use families::*;
use serde::Serialize;

/// How many findings a report shows with their chart and decision, most salient first
/// (the executive report gives the rest in one line each; all are in metrics.json).
pub const SHOWN: usize = 5;

/// Below this many observations (both periods together) no change is claimed.
pub const MIN_N: usize = 20;

/// Services are ranked only when the service is known for at least this share of the
/// period's incidents.
pub const SERVICE_COVERAGE_MIN: f64 = 0.5;

/// The charts a report draws: one beside each finding that has one, the months
/// overview and the phases. Named here, where the analysis decides which chart shows a
/// finding's numbers; drawn by the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Incidents per service by severity, this period and the last.
    Hotspots,
    /// Retros held by days after resolution (Kaplan–Meier), both periods.
    Retro,
    /// Action items done by age (Kaplan–Meier), both periods.
    ActionItems,
    /// The Lorenz curve of participation, both periods.
    Lorenz,
    /// Incidents per month by severity, the previous period then this one.
    Monthly,
    /// Phase durations, one dot per incident, both periods.
    Phases,
    /// Incidents declared by each function, this period and the last.
    Declarers,
    /// Nights with incident work and nights without rest, this period and the last.
    Recovery,
    /// Incidents per theme, this period and the last.
    Themes,
    /// Deployments followed by an incident, per service, this period and the last.
    Changes,
}

impl ChartKind {
    /// Its name in chart file names (`exec-action_items.svg`).
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Hotspots => "hotspots",
            ChartKind::Retro => "retro",
            ChartKind::ActionItems => "action_items",
            ChartKind::Lorenz => "lorenz",
            ChartKind::Monthly => "monthly",
            ChartKind::Phases => "phases",
            ChartKind::Declarers => "declarers",
            ChartKind::Recovery => "recovery",
            ChartKind::Themes => "themes",
            ChartKind::Changes => "changes",
        }
    }
}

/// The metric family a finding speaks of (its name in metrics.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Hotspots,
    Retro,
    ActionItems,
    Responders,
    Recovery,
    Declaration,
    Comms,
    Themes,
    Changes,
}

impl Family {
    /// Its name in metrics.json (`action_items`): findings of equal salience are ordered
    /// by it.
    pub fn name(self) -> &'static str {
        match self {
            Family::Hotspots => "hotspots",
            Family::Retro => "retro",
            Family::ActionItems => "action_items",
            Family::Responders => "responders",
            Family::Recovery => "recovery",
            Family::Declaration => "declaration",
            Family::Comms => "comms",
            Family::Themes => "themes",
            Family::Changes => "changes",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub family: Family,
    /// One claim, as a short heading.
    pub title: String,
    /// The number, its comparison, its uncertainty.
    pub sentence: String,
    /// What leadership is asked to decide, if anything.
    pub decision: Option<String>,
    /// Which decision that is, so that the next report can follow it up.
    pub asks: Option<Ask>,
    /// The chart that goes with it.
    pub chart: Option<ChartKind>,
    /// How much it deserves attention, 0–1; findings are ranked by it.
    pub salience: f64,
    /// The metrics keys its numbers come from (for traceability).
    pub keys: Vec<&'static str>,
    /// Its comparison with the previous period, when there is one: the counts it
    /// compares, the test and the evidence its words grade.
    pub comparison: Option<Comparison>,
}

/// A decision a finding asks for, by what would show it worked (see `followup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ask {
    /// Hold retros within five working days and clear the backlog: retro coverage.
    HoldRetros,
    /// Every follow-up gets an owner and open items are reviewed: items done.
    OwnFollowUps,
    /// Spread incident knowledge: the most-loaded responder's share of incidents.
    SpreadKnowledge,
    /// Fund reliability work on a service: its share of incidents.
    FundReliability { service: String },
    /// Agree a status-update interval: incidents with a gap above target.
    StatusCadence,
    /// Protect responders' rest after a night's incident work: nights without rest.
    ProtectRest,
    /// Guard a service's releases: its deployments followed by an incident.
    GuardChanges { service: String },
    /// Take a theme on as a programme: its share of the incidents with a theme.
    AddressTheme { theme: String },
}

/// All findings that the data supports, most salient first.
pub fn findings(m: &Metrics, prev: &Baseline, coverage: Coverage) -> Vec<Finding> {
    let mut out = Vec::new();
    if coverage.services_enough() {
        out.extend(hotspot(m, prev, coverage.services));
    }
    if coverage.retros {
        out.extend(retro(m, prev));
    }
    if coverage.action_items {
        out.extend(action_items(m, prev));
    }
    if coverage.responders {
        out.extend(responders(m, prev));
        out.extend(recovery(m, prev));
    }
    if coverage.declaration {
        out.extend(declaration(m, prev));
    }
    if coverage.comms {
        out.extend(comms(m, prev));
    }
    if coverage.themes {
        out.extend(changes::themes(m, prev));
    }
    if coverage.deployments {
        out.extend(changes::changes(m, prev));
    }
    out.sort_by(|a, b| {
        b.salience
            .total_cmp(&a.salience)
            .then_with(|| a.family.name().cmp(b.family.name()))
    });
    out
}
