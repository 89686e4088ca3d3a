//! Changes (docs/metrics.md, Changes): which incidents a deployment induced, the change
//! failure rate counted per deployment, how long failed deployments took to recover,
//! and how much of the period the deployments can see.

use super::data::ints;
use super::{ratio, Ctx, HOUR};
use crate::schema::col;
use crate::stats::KaplanMeier;
use crate::store::strings as strs;
use anyhow::Result;
use polars::prelude::DataFrame;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A deployment, with the status that settled it: its latest status, else the one the
/// source gave it (none: unknown).
#[derive(Debug, Clone)]
pub struct Deployment {
    pub id: String,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub at: i64,
    pub status: Option<String>,
}

impl Deployment {
    pub fn failed(&self) -> bool {
        self.status.as_deref() == Some("failure")
    }
}

/// (incident, deployment): a source says the deployment caused the incident.
pub type Links = Vec<(String, String)>;

/// The deployments, sorted by time then id, each with the status that settled it: its
/// latest status (a failure first at one instant), else the deployment's own; and
/// (incident, deployment) for each that names the incident its source says it caused.
pub(super) fn read_deployments(
    df: &DataFrame,
    statuses: &DataFrame,
    incident_changes: &DataFrame,
) -> Result<(Vec<Deployment>, Links)> {
    let mut latest: HashMap<String, (i64, bool)> = HashMap::new();
    let (ids, at, status) = (
        strs(statuses, col::DEPLOYMENT_ID)?,
        ints(statuses, col::AT)?,
        strs(statuses, col::STATUS)?,
    );
    for ((id, at), status) in ids.into_iter().zip(at).zip(status) {
        let (Some(id), Some(at), Some(status)) = (id, at, status) else {
            continue;
        };
        let this = (at, status == "failure");
        let e = latest.entry(id).or_insert(this);
        *e = (*e).max(this);
    }
    let (ids, services, environments) = (
        strs(df, col::DEPLOYMENT_ID)?,
        strs(df, col::SERVICE)?,
        strs(df, col::ENVIRONMENT)?,
    );
    let (at, status, incidents, numbers) = (
        ints(df, col::AT)?,
        strs(df, col::STATUS)?,
        strs(df, col::INCIDENT_ID)?,
        strs(df, col::CHANGE_NUMBER)?,
    );
    let mut links = Vec::new();
    // A link names a change by its id, or by its number where the source numbers them
    // (ServiceNow exports written with display values name the number).
    let mut numbered: HashMap<String, String> = HashMap::new();
    let mut out: Vec<Deployment> = ids
        .into_iter()
        .zip(services)
        .zip(environments)
        .zip(at)
        .zip(status)
        .zip(incidents.into_iter().zip(numbers))
        .filter_map(
            |(((((id, service), environment), at), status), (incident, number))| {
                let (id, at) = (id?, at?);
                if let Some(incident) = incident {
                    links.push((incident, id.clone()));
                }
                if let Some(number) = number {
                    numbered.insert(number, id.clone());
                }
                let status = match latest.get(&id) {
                    Some((_, true)) => Some("failure".to_string()),
                    Some((_, false)) => Some("success".to_string()),
                    None => status,
                };
                Some(Deployment {
                    at,
                    id,
                    service,
                    environment,
                    status,
                })
            },
        )
        .collect();
    out.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let known: HashSet<&str> = out.iter().map(|d| d.id.as_str()).collect();
    let named = |change: String| match numbered.get(&change) {
        Some(id) if !known.contains(change.as_str()) => id.clone(),
        _ => change,
    };
    let (incidents, changes) = (
        strs(incident_changes, col::INCIDENT_ID)?,
        strs(incident_changes, col::DEPLOYMENT_ID)?,
    );
    links.extend(
        incidents
            .into_iter()
            .zip(changes)
            .filter_map(|(i, c)| Some((i?, named(c?)))),
    );
    links.sort();
    links.dedup();
    Ok((out, links))
}

#[derive(Debug, Clone, Serialize)]
pub struct Changes {
    /// The setting `[changes] window_hours` these figures use.
    pub window_hours: f64,
    /// Production deployments in the period (by `as_of`) that did not fail, and those a
    /// source links to an incident whatever their status.
    pub deployments: usize,
    /// Of them, those no status settled (counted as successful).
    pub deployments_status_unknown: usize,
    /// Of them, those with at least one change-induced incident credited to them.
    pub deployments_with_incident: usize,
    /// `deployments_with_incident / deployments`.
    pub change_failure_rate: Option<f64>,
    /// The period's incidents credited to a deployment.
    pub change_induced_incidents: usize,
    /// The period's incidents with a known service, and of them those with no
    /// production deployment of their services in the window before they started and
    /// none a source links them to: how much of the period the deployments can see.
    pub incidents_with_service: usize,
    pub incidents_without_deployment_in_reach: usize,
    /// The period's incidents a source links only to changes the store holds no
    /// deployment for (a ServiceNow `caused_by` without the change request's export):
    /// not credited, whatever the window finds.
    pub incidents_linked_to_unknown_change: usize,
    /// From a change-induced incident's start to its resolution, over the period's
    /// change-induced incidents (Kaplan–Meier; unresolved ones censored at `as_of`).
    pub recovery_median_hours: Option<f64>,
    pub recovery_resolved: usize,
    pub by_service: Vec<ServiceChanges>,
    /// The period's change-induced incidents, in the order they started, and the
    /// deployment each is credited to.
    pub induced: Vec<Induced>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceChanges {
    pub service: String,
    pub deployments: usize,
    pub deployments_with_incident: usize,
    pub change_failure_rate: Option<f64>,
    pub change_induced_incidents: usize,
}

impl ServiceChanges {
    fn new(service: &str) -> ServiceChanges {
        ServiceChanges {
            service: service.to_string(),
            deployments: 0,
            deployments_with_incident: 0,
            change_failure_rate: None,
            change_induced_incidents: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Induced {
    pub incident_id: String,
    pub deployment_id: String,
    pub service: Option<String>,
    /// Hours from the deployment to the incident's start.
    pub hours_before: f64,
    /// Whether the source linked them (else the window did).
    pub linked_by_source: bool,
}

pub fn compute(ctx: &Ctx) -> Changes {
    let cfg = &ctx.config.changes;
    let window = (cfg.window_hours * HOUR).round() as i64;
    let deployments = &ctx.data.deployments;
    let services = ctx.data.services_by_incident();
    let production = |d: &&super::changes::Deployment| cfg.is_production(d.environment.as_deref());
    // Per service, its production deployments, in time order.
    let mut by_service: HashMap<&str, Vec<&Deployment>> = HashMap::new();
    for d in deployments.iter().filter(production) {
        if let Some(s) = &d.service {
            by_service.entry(s.as_str()).or_default().push(d);
        }
    }
    // The deployment a source links an incident to; of several, one of the incident's
    // own services first, then the latest, then the greatest id. A link to a deployment
    // the store does not hold is noted, not followed.
    let by_id: HashMap<&str, &Deployment> =
        deployments.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut linked: HashMap<&str, &Deployment> = HashMap::new();
    let mut unfollowed: BTreeSet<&str> = BTreeSet::new();
    let links = ctx
        .data
        .change_links
        .iter()
        .map(|(i, d)| (i.as_str(), by_id.get(d.as_str()).copied()));
    for (incident, d) in links {
        let Some(d) = d else {
            unfollowed.insert(incident);
            continue;
        };
        let own = |d: &Deployment| {
            d.service
                .as_deref()
                .is_some_and(|s| services.get(incident).is_some_and(|v| v.contains(&s)))
        };
        let e = linked.entry(incident).or_insert(d);
        if (own(d), d.at, &d.id) > (own(e), e.at, &e.id) {
            *e = d;
        }
    }
    // Every incident (any period, started by `as_of`) credited to one deployment: the
    // one its source names, else the latest successful production deployment of one of
    // its services at most `window` before it started.
    let mut credited: HashSet<&str> = HashSet::new();
    let mut induced_now = Vec::new();
    let mut with_service = 0;
    let mut blind = 0;
    let mut unknown_change = 0;
    for inc in ctx
        .data
        .incidents
        .iter()
        .filter(|i| !i.excluded && i.start() <= ctx.as_of)
    {
        let start = inc.start();
        let svc = services.get(inc.id.as_str()).map_or(&[][..], Vec::as_slice);
        // A service's deployments in reach: from `start - window` to `start` (each
        // service's list is in time order).
        let reach = |ds: &Vec<&Deployment>| {
            ds.partition_point(|d| d.at < start - window)..ds.partition_point(|d| d.at <= start)
        };
        let current = ctx.in_current.contains(inc.id.as_str());
        let explicit = linked.get(inc.id.as_str()).copied();
        // Linked only to changes the store does not hold: the window does not second-
        // guess the source.
        let unknown = explicit.is_none() && unfollowed.contains(inc.id.as_str());
        unknown_change += usize::from(current && unknown);
        if current && !svc.is_empty() {
            with_service += 1;
            let any = svc
                .iter()
                .any(|s| by_service.get(s).is_some_and(|ds| !reach(ds).is_empty()));
            blind += usize::from(!any && explicit.is_none() && !unknown);
        }
        let found = explicit.or_else(|| {
            if unknown {
                return None;
            }
            svc.iter()
                .filter_map(|s| by_service.get(s))
                .flat_map(|ds| ds[reach(ds)].iter().filter(|d| !d.failed()))
                .max_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)))
                .copied()
        });
        if let Some(d) = found {
            credited.insert(d.id.as_str());
            if current {
                induced_now.push((inc, d, explicit.is_some()));
            }
        }
    }
    // The period's deployments: production ones that did not fail, and any a source
    // links to an incident.
    let sourced: HashSet<&str> = ctx
        .data
        .change_links
        .iter()
        .map(|(_, d)| d.as_str())
        .collect();
    let (from, to) = (ctx.period.from, ctx.period.to.min(ctx.as_of + 1));
    let counted: Vec<&Deployment> = deployments
        .iter()
        .filter(|d| d.at >= from && d.at < to)
        .filter(|d| (production(d) && !d.failed()) || sourced.contains(d.id.as_str()))
        .collect();
    let mut per_service: BTreeMap<&str, ServiceChanges> = BTreeMap::new();
    let mut with_incident = 0;
    for d in &counted {
        let hit = credited.contains(d.id.as_str());
        with_incident += usize::from(hit);
        let s = per_service
            .entry(d.service.as_deref().unwrap_or("unknown"))
            .or_insert_with_key(|s| ServiceChanges::new(s));
        s.deployments += 1;
        s.deployments_with_incident += usize::from(hit);
    }
    let mut observations = Vec::new();
    let mut resolved = 0;
    let mut induced = Vec::new();
    for (inc, d, explicit) in &induced_now {
        let start = inc.start();
        let end = inc.resolved.filter(|r| *r <= ctx.as_of);
        resolved += usize::from(end.is_some());
        let hours = (end.unwrap_or(ctx.as_of) - start).max(0) as f64 / HOUR;
        observations.push((hours, end.is_some()));
        per_service
            .entry(d.service.as_deref().unwrap_or("unknown"))
            .or_insert_with_key(|s| ServiceChanges::new(s))
            .change_induced_incidents += 1;
        induced.push((
            start,
            Induced {
                incident_id: inc.id.clone(),
                deployment_id: d.id.clone(),
                service: d.service.clone(),
                hours_before: (start - d.at) as f64 / HOUR,
                linked_by_source: *explicit,
            },
        ));
    }
    // In the order the incidents started.
    induced.sort_by(|(a, x), (b, y)| (a, &x.incident_id).cmp(&(b, &y.incident_id)));
    let induced: Vec<Induced> = induced.into_iter().map(|(_, i)| i).collect();
    let mut by_service: Vec<ServiceChanges> = per_service
        .into_values()
        .map(|mut s| {
            s.change_failure_rate = ratio(s.deployments_with_incident, s.deployments);
            s
        })
        .collect();
    by_service.sort_by(|a, b| {
        b.deployments_with_incident
            .cmp(&a.deployments_with_incident)
            .then(b.deployments.cmp(&a.deployments))
            .then(a.service.cmp(&b.service))
    });
    Changes {
        window_hours: cfg.window_hours,
        deployments: counted.len(),
        deployments_status_unknown: counted.iter().filter(|d| d.status.is_none()).count(),
        deployments_with_incident: with_incident,
        change_failure_rate: ratio(with_incident, counted.len()),
        change_induced_incidents: induced.len(),
        incidents_with_service: with_service,
        incidents_without_deployment_in_reach: blind,
        incidents_linked_to_unknown_change: unknown_change,
        recovery_median_hours: (!observations.is_empty())
            .then(|| KaplanMeier::fit(&observations).median())
            .flatten(),
        recovery_resolved: resolved,
        by_service,
        induced,
    }
}
