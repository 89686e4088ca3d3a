//! The findings of what incidents have in common: the most common theme, and the
//! changes that led to incidents. Each states what its figure can see (the coverage of
//! themes, the incidents no deployment reaches) beside its number.

use super::*;

/// From this share of the incidents with a theme, and with themes recorded for at
/// least half the incidents, a theme is worth a programme of its own.
const THEME_MATTERS: f64 = 1.0 / 3.0;

/// From this change failure rate (deployments followed by an incident), a service's
/// releases are worth guarding.
const CHANGES_MATTER: f64 = 0.15;

pub(crate) fn themes(m: &Metrics, prev: &Baseline) -> Option<Finding> {
    let th = &m.themes;
    let top = th.by_theme.first().filter(|t| t.incidents > 0)?;
    let coverage = th.coverage.unwrap_or(0.0);
    let mut sentence = format!(
        "{} of the {} incidents with a recorded theme ({}) relate to {}",
        n(top.incidents),
        n(th.tagged),
        pct(top.share.unwrap_or(0.0)),
        top.theme
    );
    // The same test ran for every theme: judged on its Holm-adjusted p-value.
    let tested = th.by_theme.iter().filter(|t| t.p_value.is_some()).count();
    let p = if tested > 1 {
        top.holm_p_value
    } else {
        top.p_value
    };
    let evidence = Evidence::of(th.tagged + th.previous_tagged, p);
    let comparison = (prev.themes.tagged > 0).then(|| {
        let test = if tested > 1 {
            format!("Fisher's exact test, Holm-adjusted for the {tested} themes compared: ")
        } else {
            "Fisher's exact test: ".to_string()
        };
        sentence += &Evidence::compare(
            evidence,
            &format!(
                "{} of {} ({}) in the previous period",
                n(top.previous),
                n(th.previous_tagged),
                pct(top.previous_share.unwrap_or(0.0))
            ),
            top.share > top.previous_share,
            "incidents",
            &test,
            None,
        );
        Comparison {
            now: Share {
                count: top.incidents,
                of: th.tagged,
            },
            before: Share {
                count: top.previous,
                of: th.previous_tagged,
            },
            test: "fisher_exact",
            p_value: top.p_value,
            holm_p_value: (tested > 1).then_some(top.holm_p_value).flatten(),
            groups_compared: tested,
            observations: th.tagged + th.previous_tagged,
            evidence: evidence.map(Evidence::name),
            detectable_difference: None,
        }
    });
    sentence += &format!(
        ". A theme is recorded for {} of the period's {} incidents ({}){}.",
        n(th.tagged),
        n(th.incidents),
        pct(coverage),
        if coverage < 0.5 {
            ": too few to say what most incidents have in common"
        } else {
            ""
        }
    );
    let share = top.share.unwrap_or(0.0);
    let decision = ask_on_enough(
        (share >= THEME_MATTERS && coverage >= 0.5).then(|| {
            format!(
                "Take {} on as a programme: name an owner, and plan the work that removes it as a cause next quarter.",
                top.theme
            )
        }),
        th.tagged,
        ("incident with a theme", "incidents with a theme"),
        &mut sentence,
    );
    let rose = comparison.as_ref().and_then(Comparison::rose);
    Some(Finding {
        family: Family::Themes,
        title: match rose {
            Some(true) => format!("{} is the most common theme, more than before.", top.theme),
            Some(false) => format!("{} is the most common theme, less than before.", top.theme),
            None => format!("{} is the most common theme.", top.theme),
        },
        sentence,
        asks: decision.as_ref().map(|_| Ask::AddressTheme {
            theme: top.theme.clone(),
        }),
        decision,
        chart: Some(ChartKind::Themes),
        salience: share * coverage * 0.6 + if rose == Some(true) { 0.4 } else { 0.0 },
        keys: vec![
            "themes.by_theme[0].incidents",
            "themes.by_theme[0].share",
            "themes.by_theme[0].previous",
            "themes.by_theme[0].previous_share",
            "themes.tagged",
            "themes.coverage",
        ],
        comparison,
    })
}

pub(crate) fn changes(m: &Metrics, prev: &Baseline) -> Option<Finding> {
    let c = &m.changes;
    if c.deployments == 0 || m.incidents.count == 0 {
        return None;
    }
    let rate = c.change_failure_rate.unwrap_or(0.0);
    // How each incident came to be credited: by its source's link, or by the window.
    let linked = c.induced.iter().filter(|i| i.linked_by_source).count();
    let by_window = c.change_induced_incidents - linked;
    let how = match (by_window, linked) {
        (_, 0) => format!(
            "started within {} hours after a production deployment of their service",
            trim(c.window_hours, 1)
        ),
        (0, _) => "were linked by their source to the change that caused them".to_string(),
        (w, l) => format!(
            "followed a change: {} within {} hours after a production deployment of their service, {} linked by their source to the change that caused them",
            n(w),
            trim(c.window_hours, 1),
            n(l)
        ),
    };
    let mut sentence = format!(
        "{} of the {} incidents {how}; {} of {} deployments ({}) were followed by one",
        n(c.change_induced_incidents),
        n(m.incidents.count),
        n(c.deployments_with_incident),
        n(c.deployments),
        pct(rate)
    );
    let then = &prev.changes;
    let comparison = against_previous(
        (c.deployments_with_incident, c.deployments),
        (then.deployments_with_incident, then.deployments),
        "deployments",
    )
    .map(|(clause, compared)| {
        sentence += &clause;
        compared
    });
    sentence.push('.');
    // The service whose deployments were followed by an incident most often (as the
    // chart counts them), of those the highest share.
    let hit: Vec<&crate::metrics::changes::ServiceChanges> = c
        .by_service
        .iter()
        .filter(|s| s.deployments > 0 && s.deployments_with_incident > 0)
        .collect();
    let worst = hit.iter().copied().max_by(|a, b| {
        a.deployments_with_incident
            .cmp(&b.deployments_with_incident)
            .then(
                a.change_failure_rate
                    .unwrap_or(0.0)
                    .total_cmp(&b.change_failure_rate.unwrap_or(0.0)),
            )
            .then(b.service.cmp(&a.service))
    });
    if let Some(s) = worst {
        let tied = hit
            .iter()
            .filter(|x| x.deployments_with_incident == s.deployments_with_incident)
            .count();
        let (k, of, share) = (
            n(s.deployments_with_incident),
            n(s.deployments),
            pct(s.change_failure_rate.unwrap_or(0.0)),
        );
        sentence += &if tied > 1 {
            format!(
                " {} services had {k} deployment{} followed by an incident each; of them {}'s share was the highest: {k} of {of} ({share}).",
                n(tied),
                if s.deployments_with_incident == 1 { "" } else { "s" },
                s.service
            )
        } else {
            format!(
                " {}'s deployments were followed by an incident most often: {k} of {of} ({share}).",
                s.service
            )
        };
    }
    if c.incidents_with_service > 0 {
        sentence += &format!(
            " {} of the {} incidents with a known service had no deployment in reach, so the rate cannot speak for them.",
            n(c.incidents_without_deployment_in_reach),
            n(c.incidents_with_service)
        );
    }
    if c.incidents_linked_to_unknown_change > 0 {
        sentence += &format!(
            " {} more were linked by their source to changes missing from the exports, and are not counted.",
            n(c.incidents_linked_to_unknown_change)
        );
    }
    let decision = ask_on_enough(
        worst
            .filter(|s| s.change_failure_rate.unwrap_or(0.0) >= CHANGES_MATTER)
            .map(|s| {
                format!(
                    "Guard {}'s releases: ship behind a canary or a feature flag, and review what its changes that led to incidents had in common.",
                    s.service
                )
            }),
        c.deployments,
        ("deployment", "deployments"),
        &mut sentence,
    );
    let induced = c.change_induced_incidents as f64 / m.incidents.count as f64;
    let rose = comparison.as_ref().and_then(Comparison::rose);
    Some(Finding {
        family: Family::Changes,
        title: match (rose, worst) {
            (Some(true), _) => "More deployments lead to incidents than before.".into(),
            (Some(false), _) => "Fewer deployments lead to incidents than before.".into(),
            (None, Some(s)) if s.change_failure_rate.unwrap_or(0.0) >= CHANGES_MATTER => {
                format!("{}'s changes lead to incidents.", s.service)
            }
            _ => "Some incidents follow a change.".into(),
        },
        sentence,
        asks: decision.as_ref().and(worst).map(|s| Ask::GuardChanges {
            service: s.service.clone(),
        }),
        decision,
        chart: Some(ChartKind::Changes),
        salience: (induced * 0.7 + rate * 0.3).min(0.9)
            + if rose == Some(true) { 0.1 } else { 0.0 },
        keys: vec![
            "changes.change_induced_incidents",
            "changes.deployments_with_incident",
            "changes.deployments",
            "changes.change_failure_rate",
            "changes.window_hours",
            "changes.incidents_with_service",
            "changes.incidents_without_deployment_in_reach",
            "changes.incidents_linked_to_unknown_change",
        ],
        comparison,
    })
}
