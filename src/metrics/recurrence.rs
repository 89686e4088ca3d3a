//! Recurrence (docs/metrics.md, Recurrence): incidents that look like one shortly
//! before them, by a shared alert key, or a shared service and a similar title.

use super::{ratio, Ctx, DAY};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Serialize)]
pub struct Recurrence {
    /// The settings `[recurrence] days` and `similarity` these figures use.
    pub days: f64,
    pub similarity: f64,
    pub incidents: usize,
    /// The period's incidents that recur, and their share of the period's incidents.
    pub recurring: usize,
    pub repeat_rate: Option<f64>,
    /// Each recurring incident with the latest earlier incident it recurs after.
    pub pairs: Vec<Pair>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    pub incident_id: String,
    pub incident: String,
    pub earlier_id: String,
    pub earlier: String,
    pub days_apart: f64,
    pub same_alert_key: bool,
    /// A service both name (the first in name order), when the titles are similar.
    pub service: Option<String>,
    /// The Jaccard similarity of the two titles' words.
    pub title_similarity: f64,
    /// The recurring incident's team, for its team's report.
    pub team: Option<String>,
}

/// A title's words: lower-cased, digits removed, split at anything not a letter.
pub fn words(title: &str) -> BTreeSet<String> {
    title
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .map(|w| w.chars().filter(|c| !c.is_numeric()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The Jaccard similarity of two sets of words (0 when both are empty).
pub fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// An incident that may be an earlier one, with what is compared.
struct Earlier<'a> {
    start: i64,
    incident: &'a super::data::Incident,
    words: BTreeSet<String>,
    keys: &'a BTreeSet<&'a str>,
    services: &'a [&'a str],
}

pub fn compute(ctx: &Ctx) -> Recurrence {
    let cfg = &ctx.config.recurrence;
    let window = (cfg.days * DAY).round() as i64;
    let services = ctx.data.services_by_incident();
    let mut keys: hashbrown::HashMap<&str, BTreeSet<&str>> = Default::default();
    for a in &ctx.data.alerts {
        if let (Some(i), Some(k)) = (&a.incident, &a.key) {
            keys.entry(i.as_str()).or_default().insert(k.as_str());
        }
    }
    let (none, no_services) = (BTreeSet::new(), Vec::new());
    // Every incident that may be an earlier one, by start, with its words, alert keys
    // and services looked up once: a year's incidents each walk back through a month
    // of others.
    let mut all: Vec<Earlier> = ctx
        .data
        .incidents
        .iter()
        .filter(|i| !i.excluded)
        .map(|i| Earlier {
            start: i.start(),
            incident: i,
            words: words(i.title.as_deref().unwrap_or("")),
            keys: keys.get(i.id.as_str()).unwrap_or(&none),
            services: services.get(i.id.as_str()).unwrap_or(&no_services),
        })
        .collect();
    all.sort_by(|a, b| (a.start, &a.incident.id).cmp(&(b.start, &b.incident.id)));
    // The period's incidents are among them.
    let of: hashbrown::HashMap<&str, &Earlier> =
        all.iter().map(|e| (e.incident.id.as_str(), e)).collect();
    let mut pairs = Vec::new();
    for inc in &ctx.current {
        let start = inc.start();
        let me = of[inc.id.as_str()];
        // The latest earlier incident that matches: strictly earlier, within the window.
        let lo = all.partition_point(|e| e.start < start - window);
        let hi = all.partition_point(|e| e.start < start);
        let found = all[lo..hi].iter().rev().find_map(|other| {
            let same_key = !other.keys.is_disjoint(me.keys);
            let shared = other
                .services
                .iter()
                .find(|x| me.services.contains(x))
                .copied();
            // Titles are compared only where a key or a service is shared.
            if !same_key && shared.is_none() {
                return None;
            }
            let similarity = jaccard(&me.words, &other.words);
            let service = shared.filter(|_| similarity >= cfg.similarity);
            (same_key || service.is_some()).then(|| Pair {
                incident_id: inc.id.clone(),
                incident: inc.label(),
                earlier_id: other.incident.id.clone(),
                earlier: other.incident.label(),
                days_apart: (start - other.start) as f64 / DAY,
                same_alert_key: same_key,
                service: service.map(str::to_string),
                title_similarity: similarity,
                team: inc.team.clone(),
            })
        });
        pairs.extend(found.map(|p| (start, p)));
    }
    // In the order the recurring incidents started.
    pairs.sort_by(|(a, x), (b, y)| (a, &x.incident_id).cmp(&(b, &y.incident_id)));
    let pairs: Vec<Pair> = pairs.into_iter().map(|(_, p)| p).collect();
    Recurrence {
        days: cfg.days,
        similarity: cfg.similarity,
        incidents: ctx.current.len(),
        recurring: pairs.len(),
        repeat_rate: ratio(pairs.len(), ctx.current.len()),
        pairs,
    }
}
