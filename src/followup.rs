//! Decisions followed up: what became of the decisions the previous report asked for.
//!
//! The previous period's decisions are computed from the store exactly as its report
//! would have asked them (the period analysed as of its end), or read from that
//! report's metrics.json (`report --since-report`). Each is tied to the metric that
//! would show it worked, and that metric then and now is compared by the rule every
//! other claim follows (Fisher's exact test on the two shares; fewer than 20
//! observations claim nothing). A decision asked two periods running says so.

use crate::findings::{self, Ask, Comparison, Finding, Share};
use anyhow::{anyhow, Context as _, Result};
use serde::Serialize;
use serde_json::Value;

/// One decision asked last period, and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    /// The decision as the previous report asked it.
    pub decision: String,
    pub asks: Ask,
    /// The metric that would show it worked, in words ("retro coverage").
    pub metric: String,
    /// Which way is better for that metric: `up` or `down`.
    pub better: &'static str,
    /// The metric then (the previous period as its report saw it) and now, compared.
    pub comparison: Comparison,
    /// `improved`, `worse`, `no_detectable_change` or `too_few`.
    pub outcome: &'static str,
    /// The metric's companion, then and now, stated without a test: time to retro for
    /// retros, stale items for follow-ups, the top tenth's share of participations for
    /// load, the severity-weighted score for a service, the median update gap for cadence.
    pub also: Also,
    /// Asked in the period before the previous one too.
    pub repeated: bool,
    /// The line the report prints.
    pub sentence: String,
}

/// A companion metric, then and now, in its `unit` (null where a period cannot say).
#[derive(Debug, Clone, Serialize)]
pub struct Also {
    pub metric: String,
    /// `days`, `count`, `share` or `minutes`.
    pub unit: &'static str,
    pub then: Option<f64>,
    pub now: Option<f64>,
}

/// The companion metric of a decision in a metrics document: its words, its unit and
/// its value in that unit.
fn companion(ask: &Ask, m: &Value) -> (String, &'static str, Option<f64>) {
    match ask {
        Ask::HoldRetros => (
            "half the retros held within (counting those still owed)".into(),
            "days",
            m["time_to_retro"]["km_median_hours"]
                .as_f64()
                .map(|h| h / 24.0),
        ),
        Ask::OwnFollowUps => (
            "open items older than 60 days".into(),
            "count",
            m["action_items"]["stale_open"].as_f64(),
        ),
        Ask::SpreadKnowledge => (
            "the top tenth of responders' share of participations".into(),
            "share",
            m["responders"]["top10pct_share"].as_f64(),
        ),
        Ask::FundReliability { service } => (
            format!("the severity-weighted score of {service}"),
            "count",
            m["hotspots"]
                .as_array()
                .and_then(|hs| hs.iter().find(|h| h["service"].as_str() == Some(service)))
                .map_or(Some(0.0), |h| h["weighted_score"].as_f64()),
        ),
        Ask::StatusCadence => (
            "the median gap between status updates".into(),
            "minutes",
            m["comms"]["median_gap_minutes"].as_f64(),
        ),
        Ask::ProtectRest => (
            "people who worked at night and again within the recovery hours".into(),
            "count",
            m["recovery"]["people_without_rest"].as_f64(),
        ),
        Ask::GuardChanges { .. } => (
            "the change failure rate of all deployments".into(),
            "share",
            m["changes"]["change_failure_rate"].as_f64(),
        ),
        Ask::AddressTheme { .. } => (
            "the share of incidents with a recorded theme".into(),
            "share",
            m["themes"]["coverage"].as_f64(),
        ),
    }
}

/// A companion value as the report writes it.
fn written(x: f64, unit: &str) -> String {
    match unit {
        "days" => format!("{} days", findings::trim(x, 1)),
        "share" => findings::pct(x),
        "minutes" => format!("{} minutes", findings::trim(x, 0)),
        _ => crate::words::decimal(x, 0),
    }
}

/// The follow-ups of a report, with the counts a policy rule can check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Followed {
    /// Which report the decisions come from when read from its metrics.json ("in the
    /// report of 2026-04-01 to 2026-07-01"); none when computed for the previous period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Decisions the previous report asked for.
    pub asked: usize,
    /// Of those, asked two periods running.
    pub repeated: usize,
    /// Of those repeated, whose metric did not move the right way with evidence.
    pub repeated_not_better: usize,
    pub decisions: Vec<FollowUp>,
}

/// The metric a decision is judged by, as a share in a metrics document `m` (computed
/// now, or a previous report's metrics.json): its words, which way is better, and the
/// share (none when the period cannot say).
fn measure(ask: &Ask, m: &Value) -> (String, &'static str, Option<Share>) {
    let n = |v: &Value| v.as_u64().map(|x| x as usize);
    let share = |count: Option<usize>, of: Option<usize>| match (count, of) {
        (Some(count), Some(of)) if of > 0 => Some(Share { count, of }),
        _ => None,
    };
    let incidents = n(&m["incidents"]["count"]);
    match ask {
        Ask::HoldRetros => {
            let r = &m["time_to_retro"];
            (
                "retro coverage".into(),
                "up",
                share(n(&r["held"]), n(&r["required"])),
            )
        }
        Ask::OwnFollowUps => {
            let a = &m["action_items"];
            let (done, open) = (n(&a["done"]), n(&a["open"]));
            (
                "follow-ups done (dropped ones left out)".into(),
                "up",
                share(done, done.zip(open).map(|(d, o)| d + o)),
            )
        }
        Ask::SpreadKnowledge => (
            "the most-loaded responder's share of incidents".into(),
            "down",
            share(n(&m["responders"]["people"][0]["incidents"]), incidents),
        ),
        Ask::FundReliability { service } => {
            let touched = m["hotspots"]
                .as_array()
                .and_then(|hs| hs.iter().find(|h| h["service"].as_str() == Some(service)))
                .map_or(Some(0), |h| n(&h["incidents"]));
            (
                format!("the share of incidents touching {service}"),
                "down",
                share(touched, incidents),
            )
        }
        Ask::StatusCadence => {
            let c = &m["comms"];
            let with = n(&c["incidents_with_updates"]);
            let over = c["incidents_over_target"]
                .as_f64()
                .zip(with)
                .map(|(s, w)| (s * w as f64).round() as usize);
            (
                "incidents with a status-update gap above target".into(),
                "down",
                share(over, with),
            )
        }
        Ask::ProtectRest => {
            let r = &m["recovery"];
            (
                "nights of incident work without rest".into(),
                "down",
                share(n(&r["nights_without_rest"]), n(&r["nights_with_activity"])),
            )
        }
        Ask::GuardChanges { service } => {
            let s = m["changes"]["by_service"]
                .as_array()
                .and_then(|ss| ss.iter().find(|s| s["service"].as_str() == Some(service)));
            (
                // Not led by the name: a sentence's capital would change it.
                format!("the deployments of {service} followed by an incident"),
                "down",
                s.and_then(|s| share(n(&s["deployments_with_incident"]), n(&s["deployments"]))),
            )
        }
        Ask::AddressTheme { theme } => {
            let th = &m["themes"];
            let count = th["by_theme"]
                .as_array()
                .and_then(|ts| ts.iter().find(|t| t["theme"].as_str() == Some(theme)))
                .map_or(Some(0), |t| n(&t["incidents"]));
            (
                format!("the share of incidents with a theme that relate to {theme}"),
                "down",
                share(count, n(&th["tagged"])),
            )
        }
    }
}

/// A metric's words at the start of a sentence.
fn capitalised(words: &str) -> String {
    let mut out = words.to_string();
    if let Some(c) = out.get_mut(0..1) {
        c.make_ascii_uppercase();
    }
    out
}

fn said(s: Share) -> String {
    format!(
        "{} ({} of {})",
        findings::pct(s.count as f64 / s.of as f64),
        s.count,
        s.of
    )
}

/// Follows up `asked` (the previous period's decisions, with that period's metrics
/// document `then`) in this period's document `now`; `before_that` are the decisions
/// of the period before the previous one.
pub fn follow(asked: &[(String, Ask)], then: &Value, now: &Value, before_that: &[Ask]) -> Followed {
    let mut decisions = Vec::new();
    for (decision, ask) in asked {
        let (metric, better, was) = measure(ask, then);
        let (_, _, is) = measure(ask, now);
        let (Some(was), Some(is)) = (was, is) else {
            continue;
        };
        let comparison = findings::compare(is, was);
        let outcome = match (comparison.evidence, comparison.rose()) {
            (Some("too_few"), _) => "too_few",
            (_, Some(up)) if up == (better == "up") => "improved",
            (_, Some(_)) => "worse",
            _ => "no_detectable_change",
        };
        let p = comparison
            .p_value
            .map(findings::p_value)
            .unwrap_or_default();
        let verdict = match outcome {
            "too_few" => format!(
                "with {} observations in both periods, too few to tell a change from chance",
                comparison.observations
            ),
            "improved" | "worse" => format!(
                "{outcome}, {} evidence (Fisher's exact test: {p})",
                comparison.evidence.unwrap_or_default()
            ),
            _ => format!(
                "no detectable change (Fisher's exact test: {p}{})",
                comparison
                    .detectable_difference
                    .map_or(String::new(), |d| format!(
                        "; a change under about {:.0} percentage points would not show",
                        d * 100.0
                    ))
            ),
        };
        let repeated = before_that.contains(ask);
        let first = capitalised(&metric);
        let (also_metric, unit, also_then) = companion(ask, then);
        let (_, _, also_now) = companion(ask, now);
        let also_said = match (also_then, also_now) {
            (Some(t), Some(n)) => format!(
                " {}: {} then, {} now.",
                capitalised(&also_metric),
                written(t, unit),
                written(n, unit)
            ),
            _ => String::new(),
        };
        let sentence = format!(
            "{first}: {} then, {} now; {verdict}.{also_said}{}",
            said(was),
            said(is),
            if repeated {
                " Asked two periods running."
            } else {
                ""
            }
        );
        decisions.push(FollowUp {
            decision: decision.clone(),
            asks: ask.clone(),
            metric,
            better,
            comparison,
            outcome,
            also: Also {
                metric: also_metric,
                unit,
                then: also_then,
                now: also_now,
            },
            repeated,
            sentence,
        });
    }
    Followed {
        since: None,
        asked: decisions.len(),
        repeated: decisions.iter().filter(|d| d.repeated).count(),
        repeated_not_better: decisions
            .iter()
            .filter(|d| d.repeated && d.outcome != "improved")
            .count(),
        decisions,
    }
}

/// The decisions a report shows (its first findings) asks for.
pub fn asked(shown: &[Finding]) -> Vec<(String, Ask)> {
    shown
        .iter()
        .filter_map(|f| Some((f.decision.clone()?, f.asks.clone()?)))
        .collect()
}

/// The decisions a previous report asked for, from its metrics.json (`findings`, of
/// which a report shows the first five), and the metrics it judged them by.
pub fn from_report(path: &std::path::Path) -> Result<(Vec<(String, Ask)>, Value)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a metrics.json (invalid JSON)", path.display()))?;
    let findings = doc
        .get("findings")
        .and_then(|f| f.as_array())
        .ok_or_else(|| {
            anyhow!(
                "{}: no findings list at $.findings: expected the metrics.json of a review \
                 (or `metrics --format json`) by incidentlens 0.1 or later",
                path.display()
            )
        })?;
    let mut asked = Vec::new();
    for (i, f) in findings.iter().take(findings::SHOWN).enumerate() {
        let (Some(decision), Some(asks)) = (f.get("decision"), f.get("asks")) else {
            continue;
        };
        if asks.is_null() {
            continue;
        }
        let ask: Ask = serde_json::from_value(asks.clone()).with_context(|| {
            format!(
                "{}: $.findings[{i}].asks: expected a decision kind, found {asks}",
                path.display()
            )
        })?;
        asked.push((decision.as_str().unwrap_or_default().to_string(), ask));
    }
    Ok((asked, doc))
}
