//! Section 4 of docs/metrics.md, Responder spread: how concentrated responding is on a few people, and how much of
//! the paging lands outside business hours or in sleep hours, in each person's own zone.

use super::workload::{Clock, Clocks};
use super::Ctx;
use crate::stats::{entropy_norm, gini, top1_share, top_share};
use chrono::Timelike;
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Responders {
    pub distinct_responders: usize,
    #[serde(flatten)]
    pub concentration: Concentration,
    pub heroes: Vec<Hero>,
    /// The share of this period's incidents the most-loaded person took part in
    /// (`people[0].incidents` over the incidents counted); none without responders.
    pub most_loaded_incident_share: Option<f64>,
    pub pages: usize,
    pub off_hours_pages: usize,
    pub sleep_hours_pages: usize,
    pub people: Vec<PersonLoad>,
    pub commanders: Commanders,
}

#[derive(Debug, Clone, Serialize)]
pub struct Concentration {
    pub gini: Option<f64>,
    pub entropy_norm: Option<f64>,
    pub top1_share: Option<f64>,
    pub top10pct_share: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hero {
    pub person_id: String,
    pub incidents: usize,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct PersonLoad {
    pub person_id: String,
    pub incidents: usize,
    pub pages: usize,
    pub off_hours_pages: usize,
    pub sleep_hours_pages: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Commanders {
    pub distinct_commanders: usize,
    #[serde(flatten)]
    pub concentration: Concentration,
    pub heroes: Vec<Hero>,
}

fn concentration(counts: &[f64]) -> Concentration {
    Concentration {
        gini: gini(counts),
        entropy_norm: entropy_norm(counts),
        top1_share: top1_share(counts),
        top10pct_share: top_share(counts, 0.1),
    }
}

/// People with at least `share` of `total` incidents, most first.
fn heroes(per_person: &BTreeMap<&str, usize>, total: usize, share: f64) -> Vec<Hero> {
    let mut h: Vec<Hero> = per_person
        .iter()
        .filter(|(_, n)| total > 0 && **n as f64 >= share * total as f64)
        .map(|(p, n)| Hero {
            person_id: p.to_string(),
            incidents: *n,
        })
        .collect();
    h.sort_by(|a, b| {
        b.incidents
            .cmp(&a.incidents)
            .then_with(|| a.person_id.cmp(&b.person_id))
    });
    h
}

/// Off-hours and sleep-hours flags of an instant in `tz` (a sleep hour may also be a
/// business hour, with settings that make them overlap: both flags are given).
pub fn bands(t: i64, tz: Tz, business: [u32; 2], sleep: [u32; 2]) -> (bool, bool) {
    let clock = Clock {
        tz,
        business,
        sleep,
    };
    let local = clock.local(t);
    (!clock.is_business(local), clock.in_sleep(local.hour()))
}

/// Distinct (incident, person) pairs.
type Pairs<'c> = hashbrown::HashSet<(&'c str, &'c str)>;

/// Participations in the period's incidents: distinct (incident, person) pairs, and
/// those of commanders. A person takes part by acknowledging a page, by a role other
/// than observer, by commanding, or by writing in the incident's channel.
fn participations<'c>(ctx: &'c Ctx<'_>) -> (Pairs<'c>, Pairs<'c>) {
    let data = ctx.data;
    let in_p = &ctx.in_current;
    // Participations: distinct (incident, person) pairs, counted per person below (in
    // no particular order: a hash set, over a million pairs on a large organisation).
    let mut pairs: hashbrown::HashSet<(&str, &str)> =
        hashbrown::HashSet::with_capacity(data.participants.len() + data.messages.len() / 2);
    for p in &data.pages {
        if let (Some(person), Some(_)) = (&p.person, ctx.by_as_of(p.acknowledged)) {
            if in_p.contains(p.incident.as_str()) {
                pairs.insert((p.incident.as_str(), person.as_str()));
            }
        }
    }
    // Participants and chat authors come incident by incident: the last incident's
    // answer is kept rather than looked up again.
    let mut last: Option<(&str, bool)> = None;
    let mut in_period = |id: &'c str| -> bool {
        match last {
            Some((l, m)) if l == id => m,
            _ => {
                let m = in_p.contains(id);
                last = Some((id, m));
                m
            }
        }
    };
    let mut command: hashbrown::HashSet<(&str, &str)> = Default::default();
    for p in &data.participants {
        if in_period(p.incident.as_str()) && p.role != "observer" {
            pairs.insert((p.incident.as_str(), p.person.as_str()));
            if p.role == "commander" {
                command.insert((p.incident.as_str(), p.person.as_str()));
            }
        }
    }
    for i in &ctx.current {
        if let Some(c) = &i.commander {
            pairs.insert((i.id.as_str(), c.as_str()));
            command.insert((i.id.as_str(), c.as_str()));
        }
    }
    for m in &data.messages {
        if let (Some(incident), Some(person), true) = (&m.incident, &m.person, m.responded) {
            if in_period(incident.as_str()) {
                pairs.insert((incident.as_str(), person.as_str()));
            }
        }
    }

    (pairs, command)
}

pub fn compute(ctx: &Ctx<'_>) -> Responders {
    let data = ctx.data;
    let in_p = &ctx.in_current;
    let cfg = &ctx.config.responders;
    let (pairs, command) = participations(ctx);

    // Counted in hash maps (a million participations, a few hundred people), then put
    // in person order.
    let mut load: hashbrown::HashMap<&str, PersonLoad> = Default::default();
    let mut counted: hashbrown::HashMap<&str, usize> = Default::default();
    for (_, person) in &pairs {
        *counted.entry(person).or_default() += 1;
    }
    let per_person: BTreeMap<&str, usize> = counted.into_iter().collect();
    let clocks = Clocks::new(ctx);
    let (mut pages, mut off, mut sleep) = (0, 0, 0);
    for p in data
        .pages
        .iter()
        .filter(|p| in_p.contains(p.incident.as_str()))
    {
        pages += 1;
        let c = clocks.of(p.person.as_deref().unwrap_or("")).0;
        let (is_off, is_sleep) = p
            .sent
            .map_or((false, false), |t| bands(t, c.tz, c.business, c.sleep));
        off += usize::from(is_off);
        sleep += usize::from(is_sleep);
        if let Some(person) = &p.person {
            let l = load.entry(person.as_str()).or_default();
            l.pages += 1;
            l.off_hours_pages += usize::from(is_off);
            l.sleep_hours_pages += usize::from(is_sleep);
        }
    }
    for (person, n) in &per_person {
        load.entry(person).or_default().incidents = *n;
    }
    let load: BTreeMap<&str, PersonLoad> = load.into_iter().collect();
    let mut people: Vec<PersonLoad> = load
        .into_iter()
        .map(|(id, mut l)| {
            l.person_id = id.to_string();
            l
        })
        .collect();
    people.sort_by(|a, b| {
        b.incidents
            .cmp(&a.incidents)
            .then_with(|| b.pages.cmp(&a.pages))
            .then_with(|| a.person_id.cmp(&b.person_id))
    });

    let counts: Vec<f64> = per_person.values().map(|&n| n as f64).collect();
    let mut per_commander: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, person) in &command {
        *per_commander.entry(person).or_default() += 1;
    }
    let commander_counts: Vec<f64> = per_commander.values().map(|&n| n as f64).collect();
    let total = ctx.current.len();
    Responders {
        distinct_responders: per_person.len(),
        concentration: concentration(&counts),
        heroes: heroes(&per_person, total, cfg.hero_share),
        most_loaded_incident_share: people
            .first()
            .filter(|p| total > 0 && p.incidents > 0)
            .map(|p| p.incidents as f64 / total as f64),
        pages,
        off_hours_pages: off,
        sleep_hours_pages: sleep,
        people,
        commanders: Commanders {
            distinct_commanders: per_commander.len(),
            concentration: concentration(&commander_counts),
            heroes: heroes(&per_commander, total, cfg.hero_share),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_at_half_past_eleven_local_is_in_sleep_hours() {
        // 21:30 UTC on Wednesday 2026-07-08 is 23:30 in Berlin (CEST, UTC+2).
        let t = crate::time::parse_timestamp("2026-07-08T21:30:00Z", None).unwrap();
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(bands(t, berlin, [8, 18], [22, 8]), (true, true));
        // The same instant is 17:30 in New York: business hours.
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(bands(t, ny, [8, 18], [22, 8]), (false, false));
        // Saturday noon: off-hours, not sleep.
        let sat = crate::time::parse_timestamp("2026-07-11T12:00:00Z", None).unwrap();
        assert_eq!(bands(sat, Tz::UTC, [8, 18], [22, 8]), (true, false));
    }
}
