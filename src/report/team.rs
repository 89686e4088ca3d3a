//! The team report: one team's incidents, its open action items with owner and age,
//! its retro backlog, responder load within the team, and its hotspots.
//!
//! An incident belongs to a team when the incident names the team or touches a service
//! the catalog says the team owns. Team reports name owners of open work (they are for
//! the team); `--pseudonymise` replaces every person with "Person N", numbered in sorted
//! order of their ids, so the same person has the same pseudonym throughout a report.

use crate::metrics::{hotspots::Hotspot, responders::PersonLoad, Ctx, Metrics, DAY, MINUTE};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

#[derive(Serialize)]
pub struct TeamView {
    pub team: String,
    pub summary: Summary,
    pub incidents: Vec<IncidentRow>,
    pub open_items: Vec<ItemRow>,
    pub backlog: Vec<BacklogRow>,
    /// The team's incidents that look like an earlier one (docs/metrics.md, Recurrence).
    pub recurring: Vec<RecurRow>,
    pub load: Vec<LoadRow>,
    pub hotspots: Vec<HotspotRow>,
}

#[derive(Serialize)]
pub struct RecurRow {
    pub id: String,
    pub title: String,
    pub earlier: String,
    pub days: String,
    /// "same alert key", "same service, similar title" or both.
    pub why: String,
}

/// What the team owes and where it hurts, in a few numbers: the report's opening.
#[derive(Serialize)]
pub struct Summary {
    pub incidents: usize,
    pub incidents_previous: usize,
    pub retros_owed: usize,
    /// Of those, the SEV1 and SEV2 incidents.
    pub retros_owed_severe: usize,
    pub open_items: usize,
    /// Open items from this period's incidents: the count the executive report's
    /// action-item figures use for the team (the rest are older and still open).
    pub open_items_from_period: usize,
    pub overdue_items: usize,
    pub unowned_items: usize,
    /// The team's service with the most severity-weighted incidents: name, incidents
    /// now and in the previous period.
    pub hotspot: Option<(String, usize, usize)>,
}

#[derive(Serialize)]
pub struct IncidentRow {
    /// How people name it: `#131`.
    pub id: String,
    pub title: String,
    pub severity: String,
    pub started: String,
    pub resolve_minutes: Option<String>,
    pub services: Vec<String>,
    pub retro: String,
}

#[derive(Serialize)]
pub struct ItemRow {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub age_days: String,
    pub due: String,
    /// Days past its due date at as_of, when it is.
    pub overdue_days: Option<String>,
}

#[derive(Serialize)]
pub struct BacklogRow {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub days_waiting: String,
}

#[derive(Serialize)]
pub struct LoadRow {
    pub person: String,
    pub incidents: usize,
    pub pages: usize,
    pub off_hours_pages: usize,
    pub sleep_hours_pages: usize,
    /// Incident person-hours (workload), and those in the person's sleep hours.
    pub person_hours: String,
    pub sleep_hours: String,
    /// Nights of incident work, and those without rest after them (recovery).
    pub nights: usize,
    pub nights_without_rest: usize,
    /// Hours on call in the period (on_call), empty without on-call data.
    pub on_call_hours: String,
}

#[derive(Serialize)]
pub struct HotspotRow {
    pub service: String,
    pub incidents: usize,
    pub weighted_score: String,
    pub repeat_incidents: usize,
    pub previous: usize,
}

/// Who a person is in a report: their name, or a pseudonym.
pub struct Names {
    pseudonyms: Option<HashMap<String, String>>,
    display: HashMap<String, String>,
}

impl Names {
    pub fn new(ctx: &Ctx, pseudonymise: bool, everyone: &BTreeSet<String>) -> Names {
        let pseudonyms = pseudonymise.then(|| {
            everyone
                .iter()
                .enumerate()
                .map(|(i, p)| (p.clone(), format!("Person {}", i + 1)))
                .collect()
        });
        let display = ctx
            .data
            .people
            .iter()
            .filter_map(|(id, p)| Some((id.clone(), p.display_name.clone()?)))
            .collect();
        Names {
            pseudonyms,
            display,
        }
    }

    pub fn of(&self, person: &str) -> String {
        match &self.pseudonyms {
            Some(map) => map
                .get(person)
                .cloned()
                .unwrap_or_else(|| "Person ?".into()),
            None => self
                .display
                .get(person)
                .cloned()
                .unwrap_or_else(|| person.to_string()),
        }
    }
}

fn date(t: i64) -> String {
    crate::time::format_micros(t)[..10].to_string()
}

/// The teams a report could be written for: from the catalog and the incidents.
pub fn teams(ctx: &Ctx) -> Vec<String> {
    let mut t: BTreeSet<String> = ctx
        .data
        .services
        .values()
        .filter_map(|s| s.team.clone())
        .collect();
    t.extend(ctx.data.incidents.iter().filter_map(|i| i.team.clone()));
    t.into_iter().collect()
}

pub fn view(ctx: &Ctx, m: &Metrics, team: &str, pseudonymise: bool) -> TeamView {
    let data = ctx.data;
    let owned: HashSet<&str> = data
        .services
        .iter()
        .filter(|(_, s)| s.team.as_deref() == Some(team))
        .map(|(name, _)| name.as_str())
        .collect();
    let services_of = data.services_by_incident();
    // The team's incidents: those that name it or touch a service it owns.
    let touches = |i: &&&crate::metrics::Incident| {
        i.team.as_deref() == Some(team)
            || services_of
                .get(i.id.as_str())
                .is_some_and(|s| s.iter().any(|x| owned.contains(x)))
    };
    let mine: Vec<_> = ctx.current.iter().filter(touches).copied().collect();
    let (incidents, backlog) = incident_rows(ctx, &mine, &services_of);
    let recurring = recurring(m, &mine);

    // Open items of the team, as they stood at as_of (any period: open work is open).
    let items = open_items(ctx, team);

    let members: BTreeSet<String> = data
        .people
        .iter()
        .filter(|(_, p)| p.team.as_deref() == Some(team))
        .map(|(id, _)| id.clone())
        .collect();
    let load_people: Vec<&PersonLoad> = m
        .responders
        .people
        .iter()
        .filter(|p| members.contains(&p.person_id))
        .collect();
    let mut everyone: BTreeSet<String> = members.clone();
    everyone.extend(items.iter().filter_map(|it| it.owner.clone()));
    let names = Names::new(ctx, pseudonymise, &everyone);

    let in_period: HashSet<&str> = ctx.current.iter().map(|i| i.id.as_str()).collect();
    let open_items: Vec<ItemRow> = items
        .iter()
        .map(|it| ItemRow {
            id: it.id.clone(),
            title: it.title.clone().unwrap_or_default(),
            owner: it
                .owner
                .as_deref()
                .map_or("no owner".into(), |o| names.of(o)),
            age_days: it.created.map_or(String::new(), |c| {
                format!("{:.0}", (ctx.as_of - c) as f64 / DAY)
            }),
            due: it.due.map_or(String::new(), date),
            overdue_days: it
                .due
                .filter(|d| *d < ctx.as_of)
                .map(|d| format!("{:.0}", (ctx.as_of - d) as f64 / DAY)),
        })
        .collect();
    let hours = |h: f64| crate::words::decimal(h, 1);
    let load = load_people
        .iter()
        .map(|p| {
            let id = p.person_id.as_str();
            let work = m.workload.by_person.iter().find(|w| w.person_id == id);
            let rest = m.recovery.people.iter().find(|r| r.person_id == id);
            let on_call = m.on_call.by_person.iter().find(|o| o.person_id == id);
            LoadRow {
                person: names.of(id),
                incidents: p.incidents,
                pages: p.pages,
                off_hours_pages: p.off_hours_pages,
                sleep_hours_pages: p.sleep_hours_pages,
                person_hours: hours(work.map_or(0.0, |w| w.hours.person_hours())),
                sleep_hours: hours(work.map_or(0.0, |w| {
                    crate::metrics::workload::Hours::hours(w.hours.sleep)
                })),
                nights: rest.map_or(0, |r| r.nights_with_activity),
                nights_without_rest: rest.map_or(0, |r| r.nights_without_rest),
                on_call_hours: on_call.map_or(String::new(), |o| hours(o.hours.hours)),
            }
        })
        .collect();
    let hotspots = hotspot_rows(m, &owned);
    let previous_incidents = ctx.previous.iter().filter(touches).count();
    let summary = Summary {
        incidents: incidents.len(),
        incidents_previous: previous_incidents,
        retros_owed: backlog.len(),
        retros_owed_severe: backlog
            .iter()
            .filter(|b| matches!(b.severity.as_str(), "SEV1" | "SEV2"))
            .count(),
        open_items: items.len(),
        open_items_from_period: items
            .iter()
            .filter(|it| {
                it.incident
                    .as_deref()
                    .is_some_and(|i| in_period.contains(i))
            })
            .count(),
        overdue_items: items
            .iter()
            .filter(|it| it.due.is_some_and(|d| d < ctx.as_of))
            .count(),
        unowned_items: items.iter().filter(|it| it.owner.is_none()).count(),
        hotspot: hotspots
            .first()
            .map(|h| (h.service.clone(), h.incidents, h.previous)),
    };
    TeamView {
        team: team.to_string(),
        summary,
        incidents,
        open_items,
        backlog,
        recurring,
        load,
        hotspots,
    }
}

/// The recurrence pairs whose later incident is one of the team's.
fn recurring(m: &Metrics, mine: &[&crate::metrics::Incident]) -> Vec<RecurRow> {
    let titles: HashMap<&str, &str> = mine
        .iter()
        .map(|i| (i.id.as_str(), i.title.as_deref().unwrap_or("")))
        .collect();
    m.recurrence
        .pairs
        .iter()
        .filter_map(|p| {
            let title = titles.get(p.incident_id.as_str())?;
            let why = match (&p.service, p.same_alert_key) {
                (Some(s), true) => format!("same alert key; same service ({s}), similar title"),
                (Some(s), false) => format!("same service ({s}), similar title"),
                (None, _) => "same alert key".to_string(),
            };
            Some(RecurRow {
                id: p.incident.clone(),
                title: title.to_string(),
                earlier: p.earlier.clone(),
                days: crate::findings::trim(p.days_apart, 0),
                why,
            })
        })
        .collect()
}

/// The team's incidents as rows, and the retros they owe (longest waiting first).
fn incident_rows(
    ctx: &Ctx,
    mine: &[&crate::metrics::Incident],
    services_of: &HashMap<&str, Vec<&str>>,
) -> (Vec<IncidentRow>, Vec<BacklogRow>) {
    let policy = &ctx.config.retro.required_severities;
    let mut incidents = Vec::new();
    let mut backlog = Vec::new();
    for i in mine {
        let held = ctx.by_as_of(i.retro_held.or(i.retro_published));
        let resolved = ctx.by_as_of(i.resolved);
        let required = i.severity.as_ref().is_some_and(|s| policy.contains(s));
        let retro = match (held, resolved) {
            (Some(h), _) => format!("held {}", date(h)),
            (None, Some(r)) if required => {
                let days = (ctx.as_of - r) as f64 / DAY;
                backlog.push(BacklogRow {
                    id: i.label(),
                    title: i.title.clone().unwrap_or_default(),
                    severity: i.severity_key().to_string(),
                    days_waiting: format!("{days:.1}"),
                });
                format!("owed ({days:.0} days)")
            }
            _ => "not required".into(),
        };
        let mut services: Vec<&str> = services_of.get(i.id.as_str()).cloned().unwrap_or_default();
        services.sort();
        incidents.push(IncidentRow {
            id: i.label(),
            title: i.title.clone().unwrap_or_default(),
            severity: i.severity_key().to_string(),
            started: crate::time::format_micros(i.start())[..16].replace('T', " "),
            resolve_minutes: resolved.map(|r| format!("{:.0}", (r - i.start()) as f64 / MINUTE)),
            services: services.iter().map(|s| s.to_string()).collect(),
            retro,
        });
    }
    backlog.sort_by(|a, b| {
        b.days_waiting
            .parse::<f64>()
            .unwrap_or(0.0)
            .total_cmp(&a.days_waiting.parse().unwrap_or(0.0))
    });
    (incidents, backlog)
}

/// The team's open action items as they stood at `as_of`, whatever the period of their
/// incident (open work is open), oldest first.
fn open_items<'a>(ctx: &Ctx<'a>, team: &str) -> Vec<&'a crate::metrics::Item> {
    let mut items: Vec<_> = ctx
        .data
        .items
        .iter()
        .filter(|it| it.team.as_deref() == Some(team))
        .filter(|it| it.created.is_some_and(|c| c <= ctx.as_of))
        .filter(|it| match it.status.as_str() {
            "done" => it.completed.is_some_and(|c| c > ctx.as_of),
            "wont_do" => it.updated.or(it.completed).is_some_and(|u| u > ctx.as_of),
            _ => true,
        })
        .collect();
    items.sort_by_key(|it| (it.created, it.id.clone()));
    items
}

/// The team's services among the period's hotspots.
fn hotspot_rows(m: &Metrics, owned: &HashSet<&str>) -> Vec<HotspotRow> {
    m.hotspots
        .iter()
        .filter(|h: &&Hotspot| {
            h.key
                .values()
                .next()
                .is_some_and(|s| owned.contains(s.as_str()))
        })
        .map(|h| HotspotRow {
            service: h.key.values().next().cloned().unwrap_or_default(),
            incidents: h.incidents,
            weighted_score: crate::findings::trim(h.weighted_score, 1),
            repeat_incidents: h.repeat_incidents,
            previous: h.previous,
        })
        .collect()
}
