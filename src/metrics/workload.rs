//! Workload and recovery (docs/metrics.md, sections Workload and Recovery): how many
//! hours people spent on incidents, in which hours of their own day, and whether they
//! got rest after a night's work.
//!
//! A person's activity in an incident (pages received, acknowledgements, assignments and
//! roles, status updates, chat posts) falls into *stints*; stints give person-hours per
//! incident, person and team. For rest and streaks a person's stints in every incident
//! are merged into one timeline, so that two incidents at once count each minute once.

use super::{Ctx, Data, Name, HOUR, MINUTE};
use crate::stats::quantile;
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike, Weekday};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The part of the day a minute falls in, in the person's own zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// Business hours, Monday to Friday.
    Business,
    /// Sleep hours (any day), outside business hours.
    Sleep,
    /// The rest: outside business hours, not sleep hours.
    Off,
}

/// A person's clock: their zone and the configured hours bands.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub tz: Tz,
    pub business: [u32; 2],
    pub sleep: [u32; 2],
}

impl Clock {
    /// An instant (microseconds, UTC) on this clock.
    pub fn local(&self, t: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp_micros(t)
            .expect("in range")
            .with_timezone(&self.tz)
            .naive_local()
    }

    /// Business hours: a weekday, within `business`.
    pub fn is_business(&self, local: NaiveDateTime) -> bool {
        let h = local.hour();
        !matches!(local.weekday(), Weekday::Sat | Weekday::Sun)
            && h >= self.business[0]
            && h < self.business[1]
    }

    /// Sleep hours, any day (the range may wrap past midnight).
    pub fn in_sleep(&self, hour: u32) -> bool {
        let [a, b] = self.sleep;
        if a <= b {
            hour >= a && hour < b
        } else {
            hour >= a || hour < b
        }
    }

    /// The band of a local time.
    pub fn band(&self, local: NaiveDateTime) -> Band {
        if self.is_business(local) {
            Band::Business
        } else if self.in_sleep(local.hour()) {
            Band::Sleep
        } else {
            Band::Off
        }
    }

    /// The night a sleep-hours local time belongs to, named by the local date on which
    /// its sleep hours begin (with sleep 22–8, 03:00 on the 2nd is the night of the 1st).
    pub fn night(&self, local: NaiveDateTime) -> Option<NaiveDate> {
        if !self.in_sleep(local.hour()) {
            return None;
        }
        let [a, b] = self.sleep;
        let date = local.date();
        Some(if a > b && local.hour() < b {
            date.pred_opt().unwrap_or(date)
        } else {
            date
        })
    }

    /// `[from, to)` cut at the local hour boundaries: each piece with its local start
    /// time, so that every instant of a piece has the same band, night and date.
    pub fn pieces(&self, from: i64, to: i64) -> impl Iterator<Item = (i64, i64, NaiveDateTime)> {
        let tz = self.tz;
        let mut at = from;
        std::iter::from_fn(move || {
            if at >= to {
                return None;
            }
            let local = chrono::DateTime::from_timestamp_micros(at)?
                .with_timezone(&tz)
                .naive_local();
            let into_hour = i64::from(local.minute()) * 60_000_000
                + i64::from(local.second()) * 1_000_000
                + i64::from(local.nanosecond() / 1000);
            let end = (at - into_hour + 3_600_000_000).min(to);
            let piece = (at, end, local);
            at = end;
            Some(piece)
        })
    }
}

/// A span of time `[from, to)` in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub from: i64,
    pub to: i64,
}

/// The stints of one person in one incident: `times` sorted, cut where a gap exceeds
/// `gap`, each lasting from its first to its last activity plus `tail`.
pub fn stints(times: &mut [i64], gap: i64, tail: i64) -> Vec<Span> {
    times.sort_unstable();
    let mut out: Vec<Span> = Vec::new();
    let mut iter = times.iter().copied();
    let Some(first) = iter.next() else {
        return out;
    };
    let (mut start, mut last) = (first, first);
    for t in iter {
        if t - last > gap {
            out.push(Span {
                from: start,
                to: last + tail,
            });
            start = t;
        }
        last = t;
    }
    out.push(Span {
        from: start,
        to: last + tail,
    });
    out
}

/// Spans merged where they overlap or touch, in time order: one person's timeline.
pub fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.from <= last.to => last.to = last.to.max(s.to),
            _ => out.push(s),
        }
    }
    out
}

/// Time by band, summed in whole microseconds (exact, in any order), shown in hours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hours {
    pub business: i64,
    pub off: i64,
    pub sleep: i64,
}

impl Hours {
    pub fn add_span(&mut self, clock: &Clock, span: Span) {
        for (a, b, local) in clock.pieces(span.from, span.to) {
            match clock.band(local) {
                Band::Business => self.business += b - a,
                Band::Off => self.off += b - a,
                Band::Sleep => self.sleep += b - a,
            }
        }
    }

    pub fn add(&mut self, o: &Hours) {
        self.business += o.business;
        self.off += o.off;
        self.sleep += o.sleep;
    }

    pub fn total(&self) -> i64 {
        self.business + self.off + self.sleep
    }

    pub fn person_hours(&self) -> f64 {
        self.total() as f64 / HOUR
    }

    /// A band's time in hours.
    pub fn hours(micros: i64) -> f64 {
        micros as f64 / HOUR
    }
}

impl Serialize for Hours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("person_hours", &self.person_hours())?;
        m.serialize_entry("business_hours", &Hours::hours(self.business))?;
        m.serialize_entry("off_hours", &Hours::hours(self.off))?;
        m.serialize_entry("sleep_hours", &Hours::hours(self.sleep))?;
        m.end()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    /// People with at least one stint in the period's incidents.
    pub people: usize,
    pub stints: usize,
    #[serde(flatten)]
    pub hours: Hours,
    /// Person-hours per incident, over the period's incidents with any stint.
    pub per_incident: PerIncident,
    pub by_team: Vec<TeamHours>,
    pub by_person: Vec<PersonHours>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PerIncident {
    pub incidents: usize,
    pub median: Option<f64>,
    pub p90: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamHours {
    pub team: String,
    pub people: usize,
    #[serde(flatten)]
    pub hours: Hours,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonHours {
    pub person_id: String,
    pub team: String,
    pub incidents: usize,
    pub stints: usize,
    #[serde(flatten)]
    pub hours: Hours,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recovery {
    /// The setting `[recovery] hours` these figures use.
    pub recovery_hours: f64,
    /// People with any stint minute in sleep hours during the period.
    pub people_with_night_activity: usize,
    pub nights_with_activity: usize,
    pub nights_without_rest: usize,
    pub people_without_rest: usize,
    /// The most nights without rest any one person had (a policy's per-person ceiling).
    pub most_nights_without_rest: usize,
    /// The most consecutive days (in the person's zone) with any stint, anyone's.
    pub longest_streak_days: usize,
    pub by_team: Vec<TeamRecovery>,
    pub people: Vec<PersonRecovery>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct TeamRecovery {
    pub team: String,
    pub people: usize,
    pub nights_with_activity: usize,
    pub nights_without_rest: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonRecovery {
    pub person_id: String,
    pub team: String,
    pub nights_with_activity: usize,
    pub nights_without_rest: usize,
    pub longest_streak_days: usize,
}

/// Every person's clock: their zone from the roster (parsed once), else UTC.
pub struct Clocks<'d> {
    zones: std::collections::HashMap<&'d str, Tz>,
    business: [u32; 2],
    sleep: [u32; 2],
}

impl<'d> Clocks<'d> {
    pub fn new(ctx: &Ctx<'d>) -> Clocks<'d> {
        let bands = &ctx.config.responders;
        Clocks {
            zones: ctx
                .data
                .people
                .iter()
                .filter_map(|(id, p)| Some((id.as_str(), p.timezone.as_deref()?.parse().ok()?)))
                .collect(),
            business: bands.business_hours,
            sleep: bands.sleep_hours,
        }
    }

    /// A person's clock, and whether their zone is known.
    pub fn of(&self, person: &str) -> (Clock, bool) {
        let tz = self.zones.get(person).copied();
        let clock = Clock {
            tz: tz.unwrap_or(Tz::UTC),
            business: self.business,
            sleep: self.sleep,
        };
        (clock, tz.is_some())
    }
}

/// A person's team in the roster, else `unknown`.
pub fn team_of(data: &Data, person: &str) -> String {
    data.people
        .get(person)
        .and_then(|p| p.team.clone())
        .unwrap_or_else(|| "unknown".into())
}

/// The event kinds that are a person's own activity in an incident.
const ACTIVE_KINDS: [&str; 2] = ["acknowledged", "status_update"];

/// Every activity time of every person in every incident that is not excluded, by
/// (person, incident), each list sorted: gathered once from `data` for every period
/// computed from it (a period's figures take the times up to its `as_of`). In the order
/// each pair first appears: what is made of them is summed in whole microseconds and
/// its spans sorted, the same in any order (a sorted map of the million pairs a large
/// organisation's chat gives took most of the time). The times of all pairs lie in one
/// list, each pair's in a range of it: a list per pair, grown as times came, spent
/// half of the gathering in reallocation.
#[derive(Default)]
pub struct Activities {
    pairs: Vec<((Name, Name), std::ops::Range<usize>)>,
    times: Vec<i64>,
}

impl Activities {
    fn iter(&self) -> impl Iterator<Item = (&(Name, Name), &[i64])> {
        self.pairs
            .iter()
            .map(|(pair, range)| (pair, &self.times[range.clone()]))
    }
}

fn activities(data: &Data) -> &Activities {
    data.activity.get_or_init(|| gather(data))
}

/// Dense numbers for the names of the loaded tables, looked up by allocation first: a
/// table shares one allocation among the rows that name the same person or incident,
/// so a name's text is hashed once per allocation rather than once per row.
#[derive(Default)]
struct Numbers<'d> {
    by_allocation: hashbrown::HashMap<*const u8, u32>,
    by_text: hashbrown::HashMap<&'d str, u32>,
    names: Vec<&'d Name>,
}

impl<'d> Numbers<'d> {
    fn of(&mut self, name: &'d Name) -> u32 {
        // Every name is borrowed from the data for 'd: no two live at one address.
        let at = name.as_str().as_ptr();
        if let Some(n) = self.by_allocation.get(&at) {
            return *n;
        }
        let next = self.names.len() as u32;
        let n = *self.by_text.entry(name.as_str()).or_insert(next);
        if n == next {
            self.names.push(name);
        }
        self.by_allocation.insert(at, n);
        n
    }
}

/// Calls `f` with each person's activity times in an incident (a few that may be
/// missing, or the chat posts), table by table, in the same order every time: pages
/// sent and acknowledged, active events, chat posts, and the first and last activity of
/// participants who are not observers.
fn each_activity<'d>(
    data: &'d Data,
    mut f: impl FnMut(&'d Name, &'d Name, &[Option<i64>], &'d [i64]),
) {
    for p in &data.pages {
        if let Some(person) = &p.person {
            f(person, &p.incident, &[p.sent, p.acknowledged], &[]);
        }
    }
    for e in &data.events {
        if let (Some(person), true) = (&e.person, ACTIVE_KINDS.contains(&e.kind.as_str())) {
            f(person, &e.incident, &[Some(e.at)], &[]);
        }
    }
    for m in &data.messages {
        if let (Some(person), Some(incident)) = (&m.person, &m.incident) {
            f(person, incident, &[], &m.posts);
        }
    }
    for p in data.participants.iter().filter(|p| p.role != "observer") {
        f(&p.person, &p.incident, &[p.first, p.last], &[]);
    }
}

fn gather(data: &Data) -> Activities {
    let counted: hashbrown::HashSet<&str> = data
        .incidents
        .iter()
        .filter(|i| !i.excluded)
        .map(|i| i.id.as_str())
        .collect();
    let (mut people, mut incidents) = (Numbers::default(), Numbers::default());
    // Whether each numbered incident is counted.
    let mut is_counted: Vec<bool> = Vec::new();
    let mut pair_of: hashbrown::HashMap<(u32, u32), u32> = Default::default();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    // First pass: each call's pair (None: an incident not counted), and how many times
    // each pair has.
    let mut call_pairs: Vec<Option<u32>> = Vec::new();
    each_activity(data, |person, incident, few, posts| {
        let n = few.iter().flatten().count() + posts.len();
        let i = incidents.of(incident);
        if i as usize == is_counted.len() {
            is_counted.push(counted.contains(incident.as_str()));
        }
        let pair = is_counted[i as usize].then(|| {
            let key = (people.of(person), i);
            let next = pairs.len() as u32;
            let pair = *pair_of.entry(key).or_insert(next);
            if pair == next {
                pairs.push(key);
                counts.push(0);
            }
            counts[pair as usize] += n;
            pair
        });
        call_pairs.push(pair);
    });
    // Second pass: the times into each pair's range, in the same order.
    let mut ranges = Vec::with_capacity(counts.len());
    let mut start = 0;
    for n in &counts {
        ranges.push(start..start + n);
        start += n;
    }
    let mut times = vec![0i64; start];
    let mut next: Vec<usize> = ranges.iter().map(|r| r.start).collect();
    let mut calls = call_pairs.into_iter();
    each_activity(data, |_, _, few, posts| {
        let Some(Some(pair)) = calls.next() else {
            return;
        };
        let at = &mut next[pair as usize];
        for t in few.iter().flatten().chain(posts) {
            times[*at] = *t;
            *at += 1;
        }
    });
    for r in &ranges {
        times[r.clone()].sort_unstable();
    }
    Activities {
        pairs: pairs
            .into_iter()
            .zip(ranges)
            .filter(|(_, r)| !r.is_empty())
            .map(|((p, i), r)| {
                let names = (
                    people.names[p as usize].clone(),
                    incidents.names[i as usize].clone(),
                );
                (names, r)
            })
            .collect(),
        times,
    }
}

/// What [`compute`] gives: the two families and the people with activity in the period
/// whose zone is unknown (their hours are read in UTC).
pub struct Computed {
    pub workload: Workload,
    pub recovery: Recovery,
    pub people_without_zone: usize,
}

pub fn compute(ctx: &Ctx) -> Computed {
    let data = ctx.data;
    let (w, r) = (&ctx.config.workload, &ctx.config.recovery);
    let (gap, tail) = (
        (w.stint_gap_minutes * MINUTE) as i64,
        (w.min_stint_minutes * MINUTE) as i64,
    );
    let clocks = Clocks::new(ctx);
    let clock_of = |person: &str| clocks.of(person);
    let team_of = |person: &str| team_of(data, person);

    // Stints by person and incident; person-hours of the period's incidents. Hashed
    // (a million pairs looked up in sorted maps by their text took most of the time):
    // what is made of them is sorted, or summed exactly, below.
    let mut timeline: hashbrown::HashMap<&Name, Vec<Span>> = Default::default();
    let mut people: hashbrown::HashMap<&str, PersonHours> = Default::default();
    let mut per_incident: hashbrown::HashMap<&str, i64> = Default::default();
    let mut zoneless: BTreeSet<&str> = BTreeSet::new();
    let mut times: Vec<i64> = Vec::new();
    for ((person, incident), all) in activities(data).iter() {
        let by_as_of = all.partition_point(|t| *t <= ctx.as_of);
        if by_as_of == 0 {
            continue;
        }
        let current = ctx.in_current.contains(incident.as_str());
        // Rest counts minutes from the period's start: stints that end before it change
        // nothing there (they neither reach it nor join two spans that do), and most
        // pairs of a long history are such.
        if !current && all[by_as_of - 1] + tail < ctx.period.from {
            continue;
        }
        times.clear();
        times.extend_from_slice(&all[..by_as_of]);
        let spans = stints(&mut times, gap, tail);
        if current {
            let (clock, known) = clock_of(person);
            if !known {
                zoneless.insert(person.as_str());
            }
            let p = people
                .entry(person.as_str())
                .or_insert_with(|| PersonHours {
                    person_id: person.to_string(),
                    team: team_of(person),
                    incidents: 0,
                    stints: 0,
                    hours: Hours::default(),
                });
            p.incidents += 1;
            p.stints += spans.len();
            let mut hours = Hours::default();
            spans.iter().for_each(|s| hours.add_span(&clock, *s));
            p.hours.add(&hours);
            *per_incident.entry(incident.as_str()).or_default() += hours.total();
        }
        timeline.entry(person).or_default().extend(spans);
    }

    let mut total = Hours::default();
    let mut teams: BTreeMap<String, TeamHours> = BTreeMap::new();
    for p in people.values() {
        total.add(&p.hours);
        let t = teams.entry(p.team.clone()).or_insert_with(|| TeamHours {
            team: p.team.clone(),
            people: 0,
            hours: Hours::default(),
        });
        t.people += 1;
        t.hours.add(&p.hours);
    }
    let mut by_person: Vec<PersonHours> = people.into_values().collect();
    by_person.sort_by(|a, b| {
        (b.hours.total().cmp(&a.hours.total())).then_with(|| a.person_id.cmp(&b.person_id))
    });
    let mut by_team: Vec<TeamHours> = teams.into_values().collect();
    by_team
        .sort_by(|a, b| (b.hours.total().cmp(&a.hours.total())).then_with(|| a.team.cmp(&b.team)));
    let incident_hours: Vec<f64> = per_incident
        .into_values()
        .map(|t| t as f64 / HOUR)
        .collect();
    let workload = Workload {
        people: by_person.len(),
        stints: by_person.iter().map(|p| p.stints).sum(),
        hours: total,
        per_incident: PerIncident {
            incidents: incident_hours.len(),
            median: quantile(&incident_hours, 0.5),
            p90: quantile(&incident_hours, 0.9),
            max: incident_hours.iter().copied().reduce(f64::max),
        },
        by_team,
        by_person,
    };

    let mut rested: Vec<PersonRecovery> = Vec::new();
    for (person, spans) in timeline {
        let (clock, known) = clock_of(person);
        let r = rest(
            &clock,
            &merge(spans),
            ctx.period.from,
            ctx.period.to,
            r.hours,
        );
        if r.days_active > 0 && !known {
            zoneless.insert(person.as_str());
        }
        if r.days_active > 0 {
            rested.push(PersonRecovery {
                person_id: person.to_string(),
                team: team_of(person),
                nights_with_activity: r.nights,
                nights_without_rest: r.without_rest,
                longest_streak_days: r.streak,
            });
        }
    }
    Computed {
        recovery: recovery(rested, r.hours),
        workload,
        people_without_zone: zoneless.len(),
    }
}

/// The recovery block from each person's figures.
fn recovery(mut people: Vec<PersonRecovery>, hours: f64) -> Recovery {
    let mut teams: BTreeMap<String, TeamRecovery> = BTreeMap::new();
    for p in people.iter().filter(|p| p.nights_with_activity > 0) {
        let t = teams.entry(p.team.clone()).or_default();
        t.team.clone_from(&p.team);
        t.people += 1;
        t.nights_with_activity += p.nights_with_activity;
        t.nights_without_rest += p.nights_without_rest;
    }
    let mut by_team: Vec<TeamRecovery> = teams.into_values().collect();
    by_team.sort_by(|a, b| {
        (b.nights_without_rest, b.nights_with_activity)
            .cmp(&(a.nights_without_rest, a.nights_with_activity))
            .then_with(|| a.team.cmp(&b.team))
    });
    people.sort_by(|a, b| {
        (
            b.nights_without_rest,
            b.nights_with_activity,
            b.longest_streak_days,
        )
            .cmp(&(
                a.nights_without_rest,
                a.nights_with_activity,
                a.longest_streak_days,
            ))
            .then_with(|| a.person_id.cmp(&b.person_id))
    });
    Recovery {
        recovery_hours: hours,
        people_with_night_activity: people.iter().filter(|p| p.nights_with_activity > 0).count(),
        nights_with_activity: people.iter().map(|p| p.nights_with_activity).sum(),
        nights_without_rest: people.iter().map(|p| p.nights_without_rest).sum(),
        people_without_rest: people.iter().filter(|p| p.nights_without_rest > 0).count(),
        most_nights_without_rest: people
            .iter()
            .map(|p| p.nights_without_rest)
            .max()
            .unwrap_or(0),
        longest_streak_days: people
            .iter()
            .map(|p| p.longest_streak_days)
            .max()
            .unwrap_or(0),
        by_team,
        people,
    }
}

/// One person's rest in `[from, to)`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rest {
    /// Nights with any active minute in the period.
    pub nights: usize,
    /// Of those, the nights whose last active span (the last with a minute in the
    /// night) was followed by the next span within `hours` of its end.
    pub without_rest: usize,
    /// The most consecutive local dates with any active minute in the period.
    pub streak: usize,
    pub days_active: usize,
}

/// Nights, nights without rest and the longest streak of a merged `timeline`, counting
/// the minutes in `[from, to)`; the span that follows may lie after `to`.
pub fn rest(clock: &Clock, timeline: &[Span], from: i64, to: i64, hours: f64) -> Rest {
    let limit = (hours * HOUR) as i64;
    // Each night with activity, and the last span of the timeline with a minute in it:
    // rest is judged after the night's work ends, not between two stints of it.
    let mut nights: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    let mut days: BTreeSet<NaiveDate> = BTreeSet::new();
    for (k, span) in timeline.iter().enumerate() {
        let (a, b) = (span.from.max(from), span.to.min(to));
        for (_, _, local) in clock.pieces(a, b) {
            days.insert(local.date());
            if let Some(night) = clock.night(local) {
                nights.insert(night, k);
            }
        }
    }
    let restless = nights
        .values()
        .filter(|k| {
            timeline
                .get(**k + 1)
                .is_some_and(|next| next.from - timeline[**k].to <= limit)
        })
        .count();
    let mut streak = 0;
    let mut run = 0;
    let mut previous: Option<NaiveDate> = None;
    for d in &days {
        run = match previous {
            Some(p) if p.succ_opt() == Some(*d) => run + 1,
            _ => 1,
        };
        streak = streak.max(run);
        previous = Some(*d);
    }
    Rest {
        nights: nights.len(),
        without_rest: restless,
        streak,
        days_active: days.len(),
    }
}

#[cfg(test)]
mod tests;
