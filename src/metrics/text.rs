//! `metrics --format table`: the document as readable tables, one per family. Each
//! statistic shows its `n`; a `*` marks samples under 20, too small for trend claims.

use super::Metrics;
use comfy_table::{presets, CellAlignment, Table};
use std::fmt::Write;

/// Below this sample size a statistic gets the small-sample mark.
pub const SMALL_SAMPLE: usize = 20;

fn num(x: Option<f64>, decimals: usize) -> String {
    x.map_or("–".into(), |v| crate::words::decimal(v, decimals))
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:.0}%", v * 100.0))
}

fn n(n: usize) -> String {
    if n < SMALL_SAMPLE {
        format!("{n}*")
    } else {
        n.to_string()
    }
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::ASCII_MARKDOWN);
    t.set_header(header.to_vec());
    for i in 1..header.len() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

pub fn render(m: &Metrics) -> String {
    let mut out = String::new();
    let p = &m.period;
    let _ = writeln!(
        out,
        "Period {} to {} (as of {}); previous period {} to {}\n",
        p.from, p.to, p.as_of, p.previous_from, p.previous_to
    );
    let sev: Vec<String> = m
        .incidents
        .by_severity
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(
        out,
        "Incidents: {} ({}), {} excluded (drills, tests, maintenance)\n",
        m.incidents.count,
        sev.join(", "),
        m.incidents.excluded
    );

    retro(m, &mut out);
    action_items(m, &mut out);
    hotspots(m, &mut out);
    responders(m, &mut out);
    workload(m, &mut out);
    changes(m, &mut out);
    phases(m, &mut out);
    declaration_and_comms(m, &mut out);
    quality(m, &mut out);
    out
}

/// Time to retrospective, per severity.
fn retro(m: &Metrics, out: &mut String) {
    let r = &m.time_to_retro;
    let _ = writeln!(
        out,
        "## Time to retrospective\nRequired {}, held {} (coverage {}), median {} h, p90 {} h, Kaplan–Meier median {} h, within 5 business days {}; {} held outside the policy",
        r.required, r.held, pct(r.coverage), num(r.median_hours, 1), num(r.p90_hours, 1),
        num(r.km_median_hours, 1), r.held_within_5_business_days, r.held_outside_policy
    );
    let mut t = table(&[
        "severity",
        "n",
        "required",
        "held",
        "coverage",
        "median h",
        "p90 h",
        "KM median h",
        "≤5 bd",
    ]);
    for (k, b) in &r.by_severity {
        if b.incidents == 0 {
            continue;
        }
        t.add_row(vec![
            k.to_string(),
            n(b.incidents),
            b.required.to_string(),
            b.held.to_string(),
            pct(b.coverage),
            num(b.median_hours, 1),
            num(b.p90_hours, 1),
            num(b.km_median_hours, 1),
            b.held_within_5_business_days.to_string(),
        ]);
    }
    let _ = writeln!(out, "{t}\n");
}

/// Action items, and per team.
fn action_items(m: &Metrics, out: &mut String) {
    let a = &m.action_items;
    let _ = writeln!(
        out,
        "## Action items\nPer held retro: {}",
        num(a.per_retro, 2)
    );
    let mut t = table(&[
        "team",
        "n",
        "done",
        "open",
        "won't do",
        "completion",
        "done ≤30d",
        "done ≤60d",
        "open median age d",
        "stale",
        "unowned",
    ]);
    let rows =
        std::iter::once(("all", &a.all)).chain(a.by_team.iter().map(|(k, v)| (k.as_str(), v)));
    for (team, b) in rows {
        t.add_row(vec![
            team.to_string(),
            n(b.total),
            b.done.to_string(),
            b.open.to_string(),
            b.wont_do.to_string(),
            pct(b.completion_rate),
            pct(b.done_within_30d),
            pct(b.done_within_60d),
            num(b.open_median_age_days, 1),
            b.stale_open.to_string(),
            b.unowned.to_string(),
        ]);
    }
    let _ = writeln!(out, "{t}\n");
}

/// Hotspots by service, team and product area.
fn hotspots(m: &Metrics, out: &mut String) {
    for (title, rows) in [
        ("Hotspots by service", &m.hotspots),
        ("Hotspots by team", &m.hotspots_by_team),
        ("Hotspots by product area", &m.hotspots_by_product_area),
    ] {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {title}");
        let mut t = table(&[
            "name",
            "incidents",
            "share",
            "SEV1-2",
            "impact min",
            "score",
            "repeats",
            "previous",
            "change p",
        ]);
        for h in rows {
            let severe = h.by_severity["SEV1"] + h.by_severity["SEV2"];
            t.add_row(vec![
                h.key.values().next().cloned().unwrap_or_default(),
                n(h.incidents),
                pct(h.share),
                severe.to_string(),
                num(Some(h.impact_minutes), 0),
                num(Some(h.weighted_score), 1),
                h.repeat_incidents.to_string(),
                h.previous.to_string(),
                num(h.change_p_value, 3),
            ]);
        }
        let _ = writeln!(out, "{t}\n");
    }
}

/// Responder spread, the people, and commanders.
fn responders(m: &Metrics, out: &mut String) {
    let s = &m.responders;
    let _ = writeln!(
        out,
        "## Responders\n{} distinct responders; the most-loaded person in {} of incidents; gini {}, normalised entropy {}, top person {} of participations, top tenth {}; {} pages, {} off-hours, {} in sleep hours",
        s.distinct_responders, pct(s.most_loaded_incident_share), num(s.concentration.gini, 2), num(s.concentration.entropy_norm, 2),
        pct(s.concentration.top1_share), pct(s.concentration.top10pct_share), s.pages, s.off_hours_pages, s.sleep_hours_pages
    );
    for h in &s.heroes {
        let _ = writeln!(
            out,
            "In at least a quarter of incidents: {} ({})",
            h.person_id, h.incidents
        );
    }
    let mut t = table(&["person", "incidents", "pages", "off-hours", "sleep hours"]);
    for p in s.people.iter().take(10) {
        t.add_row(vec![
            p.person_id.clone(),
            p.incidents.to_string(),
            p.pages.to_string(),
            p.off_hours_pages.to_string(),
            p.sleep_hours_pages.to_string(),
        ]);
    }
    let _ = writeln!(out, "{t}");
    let c = &s.commanders;
    let _ = writeln!(
        out,
        "Commanders: {} distinct; gini {}, top person {} of incidents commanded\n",
        c.distinct_commanders,
        num(c.concentration.gini, 2),
        pct(c.concentration.top1_share)
    );
}

/// Workload and recovery: person-hours by band, and nights without rest.
fn workload(m: &Metrics, out: &mut String) {
    use super::workload::Hours;
    let (w, r) = (&m.workload, &m.recovery);
    let h = &w.hours;
    let _ = writeln!(
        out,
        "## Workload and recovery\n{} person-hours in {} stints by {} people: {} in business hours, {} off-hours, {} in sleep hours; per incident median {} h, p90 {} h (n = {})",
        num(Some(h.person_hours()), 1), w.stints, w.people, num(Some(Hours::hours(h.business)), 1), num(Some(Hours::hours(h.off)), 1),
        num(Some(Hours::hours(h.sleep)), 1), num(w.per_incident.median, 1), num(w.per_incident.p90, 1), n(w.per_incident.incidents)
    );
    let _ = writeln!(
        out,
        "{} nights with incident work by {} people; {} nights without rest (work again within the recovery hours) by {} people; longest streak of days with incident work {}",
        r.nights_with_activity, r.people_with_night_activity, r.nights_without_rest, r.people_without_rest, r.longest_streak_days
    );
    let mut t = table(&[
        "team",
        "people",
        "person-hours",
        "off-hours",
        "sleep hours",
        "nights without rest",
    ]);
    for team in &w.by_team {
        let rest = r
            .by_team
            .iter()
            .find(|x| x.team == team.team)
            .map_or(0, |x| x.nights_without_rest);
        t.add_row(vec![
            team.team.clone(),
            team.people.to_string(),
            num(Some(team.hours.person_hours()), 1),
            num(Some(Hours::hours(team.hours.off)), 1),
            num(Some(Hours::hours(team.hours.sleep)), 1),
            rest.to_string(),
        ]);
    }
    let _ = writeln!(out, "{t}");
    let oc = &m.on_call.hours;
    let _ = writeln!(
        out,
        "On call: {} hours by {} people, {} outside business hours ({} in sleep hours); {} pages while on call, {} per 100 on-call hours",
        num(Some(oc.hours), 0), m.on_call.people, num(Some(oc.outside_business_hours), 0), num(Some(oc.sleep_hours), 0),
        oc.pages, num(oc.pages_per_hour.map(|r| r * 100.0), 2)
    );
    let pn = &m.page_noise;
    let _ = writeln!(
        out,
        "Page noise: {} pages over {} paged incidents, median {} per incident (p90 {}, most {}); {} acknowledged; {} alerts, {} without an incident, {} repeats of a key within 24 h\n",
        pn.pages, n(pn.paged_incidents), num(pn.pages_per_incident_median, 1), num(pn.pages_per_incident_p90, 1),
        pn.pages_per_incident_max.map_or("–".into(), |m| m.to_string()), pct(pn.acknowledged_share),
        pn.alerts, pn.alerts_without_incident, pn.repeat_alerts
    );
}

/// Themes, changes and recurrence.
fn changes(m: &Metrics, out: &mut String) {
    let th = &m.themes;
    let _ = writeln!(out, "## Themes, changes and recurrence");
    let _ = writeln!(
        out,
        "Themes: {} of {} incidents ({}) carry a theme{}; previous period {} of {}",
        n(th.tagged),
        n(th.incidents),
        pct(th.coverage),
        if th.mapped {
            ""
        } else {
            " (each tag value a theme: no [themes] set)"
        },
        n(th.previous_tagged),
        n(th.previous_incidents)
    );
    if !th.by_theme.is_empty() {
        let mut t = table(&[
            "theme",
            "incidents",
            "share",
            "previous",
            "previous share",
            "Holm p",
        ]);
        for x in &th.by_theme {
            t.add_row(vec![
                x.theme.clone(),
                n(x.incidents),
                pct(x.share),
                n(x.previous),
                pct(x.previous_share),
                num(x.holm_p_value, 3),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let c = &m.changes;
    let _ = writeln!(
        out,
        "Changes: {} production deployments ({} without a status), {} credited with an incident within {} h: change failure rate {}; {} change-induced incidents, recovery median {} h ({} resolved); {} of {} incidents with a service had no deployment in reach",
        n(c.deployments), n(c.deployments_status_unknown), n(c.deployments_with_incident),
        num(Some(c.window_hours), 1), pct(c.change_failure_rate), n(c.change_induced_incidents),
        num(c.recovery_median_hours, 1), n(c.recovery_resolved),
        n(c.incidents_without_deployment_in_reach), n(c.incidents_with_service)
    );
    if c.incidents_linked_to_unknown_change > 0 {
        let _ = writeln!(
            out,
            "  {} incidents are linked by their source only to changes no export here holds: credited to none (ingest the change export)",
            n(c.incidents_linked_to_unknown_change)
        );
    }
    if !c.by_service.is_empty() {
        let mut t = table(&[
            "service",
            "deployments",
            "with incident",
            "failure rate",
            "induced incidents",
        ]);
        for s in &c.by_service {
            t.add_row(vec![
                s.service.clone(),
                n(s.deployments),
                n(s.deployments_with_incident),
                pct(s.change_failure_rate),
                n(s.change_induced_incidents),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let r = &m.recurrence;
    let _ = writeln!(
        out,
        "Recurrence: {} of {} incidents ({}) recur after a similar incident within {} days",
        n(r.recurring),
        n(r.incidents),
        pct(r.repeat_rate),
        num(Some(r.days), 1)
    );
    if !r.pairs.is_empty() {
        let mut t = table(&["incident", "looks like", "days before", "why"]);
        for p in &r.pairs {
            let why = match (&p.service, p.same_alert_key) {
                (Some(s), true) => format!("same alert key; {s}, similar title"),
                (Some(s), false) => format!("{s}, similar title"),
                (None, _) => "same alert key".to_string(),
            };
            t.add_row(vec![
                p.incident.clone(),
                p.earlier.clone(),
                num(Some(p.days_apart), 1),
                why,
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    out.push('\n');
}

/// Incident phases.
fn phases(m: &Metrics, out: &mut String) {
    let _ = writeln!(out, "## Incident phases (minutes; context, not a headline)");
    let mut t = table(&[
        "phase",
        "n",
        "median",
        "p90",
        "90% CI of median",
        "previous n",
        "previous median",
        "Mann–Whitney p",
    ]);
    for (name, ph) in [
        ("time to acknowledge", &m.phases.time_to_ack),
        ("time to mitigate", &m.phases.time_to_mitigate),
        ("time to resolve", &m.phases.time_to_resolve),
    ] {
        t.add_row(vec![
            name.to_string(),
            n(ph.n),
            num(ph.median_minutes, 1),
            num(ph.p90_minutes, 1),
            ph.ci90
                .map_or("–".into(), |[a, b]| format!("{a:.1}–{b:.1}")),
            n(ph.previous_n),
            num(ph.previous_median_minutes, 1),
            num(ph.mann_whitney_p, 3),
        ]);
    }
    let _ = writeln!(out, "{t}\n");
}

/// Declaration and communication cadence.
fn declaration_and_comms(m: &Metrics, out: &mut String) {
    let d = &m.declaration;
    let by: Vec<String> = d
        .declared_by_function
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(
        out,
        "## Declaration\nDeclared by: {}; non-engineering share {}; median page to declare {} min (n {})\n",
        if by.is_empty() { "–".into() } else { by.join(", ") },
        pct(d.non_engineering_share), num(d.page_to_declare_minutes, 1), n(d.page_to_declare_n)
    );
    let c = &m.comms;
    let _ = writeln!(
        out,
        "## Communication cadence\n{} incidents with status updates, {} gaps: median {} min, p90 {} min; {} of incidents had a gap above target\n",
        c.incidents_with_updates, n(c.gaps), num(c.median_gap_minutes, 1), num(c.p90_gap_minutes, 1), pct(c.incidents_over_target)
    );
}

/// Data quality, and the small-sample note.
fn quality(m: &Metrics, out: &mut String) {
    let q = &m.data_quality;
    let _ = writeln!(
        out,
        "## Data quality\n{} records read, {} ingested, {} skipped, {} rejected; {} incidents without severity, {} without resolution; {} people not in the roster; {} active people without a known zone (read in UTC); {} negative durations left out; {} services not in the catalog",
        q.rows_read, q.rows_ingested, q.rows_skipped, q.rows_rejected, q.incidents_without_severity, q.incidents_without_resolution,
        q.unmatched_people, q.people_without_zone, q.negative_durations, q.services_not_in_catalog
    );
    if q.unmerged_links > 0 {
        let _ = writeln!(
            out,
            "{} links {}",
            q.unmerged_links,
            super::quality::NOT_MERGED
        );
    }
    if q.records_pending > 0 {
        let _ = writeln!(
            out,
            "{} records wait for an incident no export has brought",
            n(q.records_pending)
        );
    }
    if !q.fallbacks.is_empty() {
        let used: Vec<String> = q
            .fallbacks
            .iter()
            .map(|(what, k)| format!("{what} ({k} incidents)"))
            .collect();
        let _ = writeln!(out, "Taken from a documented fallback: {}", used.join("; "));
    }
    let _ = writeln!(
        out,
        "\n* small sample (n < {SMALL_SAMPLE}): read as an indication, not a trend"
    );
}
