//! On-call load (docs/metrics.md, On-call): the hours each person was on call in the
//! period, how many of them fell outside business hours, and how many pages came per
//! on-call hour.

use super::workload::{merge, team_of, Clocks, Hours, Span};
use super::{ratio_f, Ctx};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct OnCall {
    /// People with on-call time in the period.
    pub people: usize,
    #[serde(flatten)]
    pub hours: OnCallHours,
    pub by_person: Vec<PersonOnCall>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct OnCallHours {
    pub hours: f64,
    pub outside_business_hours: f64,
    pub sleep_hours: f64,
    /// Pages to the person sent while they were on call.
    pub pages: usize,
    pub pages_per_hour: Option<f64>,
}

impl OnCallHours {
    fn of(h: &Hours, pages: usize) -> OnCallHours {
        OnCallHours {
            hours: h.person_hours(),
            outside_business_hours: Hours::hours(h.off + h.sleep),
            sleep_hours: Hours::hours(h.sleep),
            pages,
            pages_per_hour: ratio_f(pages as f64, h.person_hours()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonOnCall {
    pub person_id: String,
    pub team: String,
    #[serde(flatten)]
    pub hours: OnCallHours,
}

pub fn compute(ctx: &Ctx) -> OnCall {
    let data = ctx.data;
    // On-call time is counted up to as_of: later hours had not been served yet.
    let (from, to) = (ctx.period.from, ctx.period.to.min(ctx.as_of));
    let mut spans: BTreeMap<&str, Vec<Span>> = BTreeMap::new();
    for e in &data.on_call {
        let span = Span {
            from: e.start.unwrap_or(from).max(from),
            to: e.end.unwrap_or(to).min(to),
        };
        if span.from < span.to {
            spans.entry(e.person.as_str()).or_default().push(span);
        }
    }
    let mut pages_sent: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for p in &data.pages {
        if let (Some(person), Some(sent)) = (&p.person, p.sent) {
            if spans.contains_key(person.as_str()) {
                pages_sent.entry(person.as_str()).or_default().push(sent);
            }
        }
    }
    let clocks = Clocks::new(ctx);
    let (mut total, mut total_pages) = (Hours::default(), 0);
    let mut by_person: Vec<PersonOnCall> = Vec::new();
    for (person, spans) in spans {
        let (clock, _) = clocks.of(person);
        let timeline = merge(spans);
        let mut h = Hours::default();
        timeline.iter().for_each(|s| h.add_span(&clock, *s));
        let pages = pages_sent.get(person).map_or(0, |sent| {
            sent.iter()
                .filter(|t| timeline.iter().any(|s| s.from <= **t && **t < s.to))
                .count()
        });
        total.add(&h);
        total_pages += pages;
        by_person.push(PersonOnCall {
            person_id: person.to_string(),
            team: team_of(data, person),
            hours: OnCallHours::of(&h, pages),
        });
    }
    by_person.sort_by(|a, b| {
        b.hours
            .hours
            .total_cmp(&a.hours.hours)
            .then_with(|| a.person_id.cmp(&b.person_id))
    });
    OnCall {
        people: by_person.len(),
        hours: OnCallHours::of(&total, total_pages),
        by_person,
    }
}
