//! Recurrence (docs/metrics.md, Recurrence): incidents that look like one shortly
//! before them, by a shared alert key, or a shared service and a similar title.

use super::{ratio, Ctx, DAY};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

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

pub fn compute(ctx: &Ctx) -> Recurrence {
    let cfg = &ctx.config.recurrence;
    let window = (cfg.days * DAY).round() as i64;
    let services = ctx.data.services_by_incident();
    let mut keys: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for a in &ctx.data.alerts {
        if let (Some(i), Some(k)) = (&a.incident, &a.key) {
            keys.entry(i.as_str()).or_default().insert(k.as_str());
        }
    }
    let (none, no_services) = (BTreeSet::new(), Vec::new());
    // Every incident that may be an earlier one, by start.
    let mut all: Vec<_> = ctx
        .data
        .incidents
        .iter()
        .filter(|i| !i.excluded)
        .map(|i| (i.start(), i, words(i.title.as_deref().unwrap_or(""))))
        .collect();
    all.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    // The period's incidents are among them: their words are read once.
    let words_of: HashMap<&str, &BTreeSet<String>> =
        all.iter().map(|(_, i, w)| (i.id.as_str(), w)).collect();
    let mut pairs = Vec::new();
    for inc in &ctx.current {
        let start = inc.start();
        let mine = words_of[inc.id.as_str()];
        let my_services = services.get(inc.id.as_str()).unwrap_or(&no_services);
        let my_keys = keys.get(inc.id.as_str()).unwrap_or(&none);
        // The latest earlier incident that matches: strictly earlier, within the window.
        let lo = all.partition_point(|(t, _, _)| *t < start - window);
        let hi = all.partition_point(|(t, _, _)| *t < start);
        let found = all[lo..hi].iter().rev().find_map(|(t, other, theirs)| {
            let same_key = keys
                .get(other.id.as_str())
                .is_some_and(|k| !k.is_disjoint(my_keys));
            let shared = services
                .get(other.id.as_str())
                .and_then(|s| s.iter().find(|x| my_services.contains(x)).copied());
            // Titles are compared only where a key or a service is shared.
            if !same_key && shared.is_none() {
                return None;
            }
            let similarity = jaccard(mine, theirs);
            let service = shared.filter(|_| similarity >= cfg.similarity);
            (same_key || service.is_some()).then(|| Pair {
                incident_id: inc.id.clone(),
                incident: inc.label(),
                earlier_id: other.id.clone(),
                earlier: other.label(),
                days_apart: (start - t) as f64 / DAY,
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
