//! One finding per metric family: its sentence, comparison, decision and chart.

use super::*;

pub(crate) fn hotspot(
    m: &Metrics,
    prev: &Baseline,
    (known, all): (usize, usize),
) -> Option<Finding> {
    let h = m.hotspots.first()?;
    let name = h.key.values().next()?.clone();
    let total = m.incidents.count;
    // A share is of all incidents; when some name no service, the sentence says so.
    let coverage = if known < all {
        format!(" The service is known for {known} of the {all} incidents.")
    } else {
        String::new()
    };
    let share = h.share?;
    let prev_total = prev.incidents;
    let before = if prev_total > 0 {
        format!(
            "{} of {prev_total} ({})",
            h.previous,
            pct(h.previous as f64 / prev_total as f64)
        )
    } else {
        h.previous.to_string()
    };
    // The same test ran for every service: judged on its Holm-adjusted p-value.
    let tested: Vec<f64> = m.hotspots.iter().filter_map(|h| h.change_p_value).collect();
    let adjusted = crate::stats::holm(&tested);
    let p = h.change_p_value.map(|_| adjusted[0]);
    let test = if tested.len() > 1 {
        format!(
            "binomial test, Holm-adjusted for the {} services compared: ",
            tested.len()
        )
    } else {
        "binomial test: ".to_string()
    };
    let evidence = Evidence::of(h.incidents + h.previous, p);
    let compared = Comparison {
        now: Share {
            count: h.incidents,
            of: total,
        },
        before: Share {
            count: h.previous,
            of: prev_total,
        },
        test: "binomial",
        p_value: h.change_p_value,
        holm_p_value: (tested.len() > 1).then_some(p).flatten(),
        groups_compared: tested.len(),
        observations: h.incidents + h.previous,
        // Without incidents before, the words grade nothing.
        evidence: evidence.filter(|_| h.previous > 0).map(Evidence::name),
        detectable_difference: None,
    };
    let comparison = match h.previous {
        0 => "; it had no incidents in the previous period".to_string(),
        _ => Evidence::compare(
            evidence,
            &format!("{before} in the previous period"),
            h.incidents > h.previous,
            "incidents",
            &test,
            None,
        ),
    };
    let significant = evidence.is_some_and(Evidence::real) && h.incidents > h.previous;
    Some(Finding {
        family: Family::Hotspots,
        title: if significant {
            format!("{name} is where incidents concentrate, more than before.")
        } else {
            format!("{name} is where incidents concentrate.")
        },
        sentence: format!(
            "{name} was involved in {} of {total} incidents ({}){comparison}. It carries the most severity-weighted impact (score {}, {} incident-minutes).{coverage}{few}",
            h.incidents,
            pct(share),
            trim(h.weighted_score, 1),
            crate::words::decimal(h.impact_minutes, 0),
            few = if known < MIN_N {
                format!(" With {known} incidents naming a service, too few to single one out for funding.")
            } else {
                String::new()
            }
        ),
        // Funding is asked for on a concentration seen over enough incidents; on fewer the
        // sentence says why nothing is asked.
        decision: (known >= MIN_N).then(|| {
            format!("Fund reliability work on {name} and review its ownership and on-call staffing.")
        }),
        asks: (known >= MIN_N).then(|| Ask::FundReliability { service: name.clone() }),
        chart: Some(ChartKind::Hotspots),
        salience: (share * 1.5).min(0.6) + if significant { 0.4 } else { 0.0 },
        keys: vec!["hotspots[0].incidents", "hotspots[0].share", "hotspots[0].previous", "hotspots[0].change_p_value"],
        comparison: Some(compared),
    })
}

pub(crate) fn retro(m: &Metrics, prev: &Baseline) -> Option<Finding> {
    let r = &m.time_to_retro;
    let coverage = r.coverage?;
    let as_of = &m.period.as_of[..10];
    let mut sentence = format!(
        "{} of the incidents that need a retro had one by {as_of} ({} of {})",
        pct(coverage),
        r.held,
        r.required
    );
    // Coverage then and now, by Fisher's exact test on held / not held.
    let p = &prev.time_to_retro;
    let then = p.coverage.map(|pc| {
        let before = format!(
            "{} ({} of {}) in the previous period",
            pct(pc),
            p.held,
            p.required
        );
        let (clause, compared) = compare_shares(
            (r.held, r.required),
            (p.held, p.required),
            &before,
            "incidents",
        );
        sentence += &clause;
        (pc, compared)
    });
    // The chart is the Kaplan–Meier curve, counting the retros still owed: its median
    // is the one stated; the median of the retros held names its population.
    sentence += &match r.km_median_hours {
        Some(km) => format!(
            ". Counting the retros still owed, half were held within {} of resolution",
            duration_hours(km)
        ),
        None => {
            format!(". Counting the retros still owed, fewer than half had been held by {as_of}")
        }
    };
    if let (Some(med), Some(p90)) = (r.median_hours, r.p90_hours) {
        sentence += &format!(
            "; among the {} held, the median wait was {} (90% within {})",
            r.held,
            duration_hours(med),
            duration_hours(p90)
        );
    }
    sentence += &format!(
        ". {} of {} were held within five working days.",
        r.held_within_5_business_days, r.required
    );
    if r.held_outside_policy > 0 {
        sentence += &format!(
            " {} retros were also held for lower-severity incidents.",
            r.held_outside_policy
        );
    }
    let late = 1.0 - r.held_within_5_business_days as f64 / r.required.max(1) as f64;
    // The headline says which way coverage went (higher is better), and whether that is
    // a change or could be chance.
    let title = match then.as_ref().map(|(pc, c)| (*pc, c.rose())) {
        Some((pc, Some(true))) => format!(
            "Retro coverage rose to {} from {}{}",
            pct(coverage),
            pct(pc),
            if coverage < 0.8 {
                ", still short of what the policy asks."
            } else {
                "."
            }
        ),
        Some((pc, Some(false))) => {
            format!("Retro coverage fell to {} from {}.", pct(coverage), pct(pc))
        }
        Some((pc, _)) if pct(pc) != pct(coverage) => format!(
            "Retro coverage is {} against {} last period{}: not a detectable change.",
            pct(coverage),
            pct(pc),
            if coverage > pc { ", better" } else { ", worse" }
        ),
        _ if coverage < 0.8 => {
            "Retrospectives happen late, and not for everything that needs one.".into()
        }
        _ => "Most incidents that need a retrospective get one.".into(),
    };
    // Retros owed and follow-ups open are facts of the period, whatever its size: they
    // are asked for on any number.
    let decision = (coverage < 0.9).then(|| {
        "Hold a retro within five working days for every incident the policy names, and clear the backlog of those still owed.".into()
    });
    Some(Finding {
        family: Family::Retro,
        title,
        sentence,
        asks: decision.as_ref().map(|_| Ask::HoldRetros),
        decision,
        chart: Some(ChartKind::Retro),
        salience: (1.0 - coverage) * 0.7 + late * 0.3,
        keys: vec![
            "time_to_retro.coverage",
            "time_to_retro.held",
            "time_to_retro.required",
            "time_to_retro.km_median_hours",
            "time_to_retro.median_hours",
            "time_to_retro.p90_hours",
        ],
        comparison: then.map(|(_, c)| c),
    })
}

pub(crate) fn action_items(m: &Metrics, prev: &Baseline) -> Option<Finding> {
    let a = &m.action_items.all;
    if a.total == 0 {
        return None;
    }
    let mut sentence = format!(
        "Of {} action items from this period's incidents, {} are done, {} were dropped and {} are open",
        n(a.total),
        n(a.done),
        n(a.wont_do),
        n(a.open)
    );
    // Then: the share done of the previous period's items (dropped ones left out), as
    // it stands now, by Fisher's exact test.
    let b = &prev.action_items.all;
    let mut compared = String::new();
    let mut comparison = None;
    if let (Some(now), Some(then)) = (a.completion_rate, b.completion_rate) {
        let before = format!(
            "{} ({} of {}) of the previous period's",
            pct(then),
            b.done,
            b.done + b.open
        );
        let (clause, c) = compare_shares(
            (a.done, a.done + a.open),
            (b.done, b.done + b.open),
            &before,
            "items",
        );
        compared = format!(" {} of those not dropped are done{clause}.", pct(now));
        comparison = Some(c);
    }
    if let (Some(d30), Some(d60)) = (a.done_within_30d, a.done_within_60d) {
        sentence += &format!(
            "; at this pace {} are done within 30 days and {} within 60",
            pct(d30),
            pct(d60)
        );
    }
    let stale = match a.stale_open {
        0 => "No open item is older than 60 days".to_string(),
        1 => "1 open item is older than 60 days".to_string(),
        k => format!("{} open items are older than 60 days", n(k)),
    };
    let unowned = match a.unowned {
        0 => "every item has an owner".to_string(),
        1 => "1 has no owner".to_string(),
        k => format!("{} have no owner", n(k)),
    };
    sentence += &format!(".{compared} {stale}, and {unowned}.");
    if let Some(per) = m.action_items.per_retro {
        sentence += &format!(
            " Each held retro produced {} items on average.",
            trim(per, 1)
        );
    }
    let completion = a.completion_rate.unwrap_or(1.0);
    let decision = Some(
        "Every follow-up gets an owner at the retro, and teams review open items older than 30 days each sprint."
            .into(),
    );
    Some(Finding {
        family: Family::ActionItems,
        title: if completion < 0.7 {
            "Follow-ups are written but not finished.".into()
        } else {
            "Follow-ups mostly get finished.".into()
        },
        sentence,
        asks: decision.as_ref().map(|_| Ask::OwnFollowUps),
        decision,
        chart: Some(ChartKind::ActionItems),
        salience: (1.0 - completion) * 0.6 + (a.stale_open as f64 / a.total as f64) * 0.4,
        keys: vec![
            "action_items.total",
            "action_items.done",
            "action_items.open",
            "action_items.stale_open",
            "action_items.unowned",
        ],
        comparison,
    })
}

pub(crate) fn responders(m: &Metrics, prev: &Baseline) -> Option<Finding> {
    let r = &m.responders;
    let top = r.people.first()?;
    let share = r.most_loaded_incident_share?;
    let mut sentence = format!(
        "One person took part in {} of {} incidents ({})",
        top.incidents,
        m.incidents.count,
        pct(share)
    );
    // Then: the most-loaded person of the previous period (whoever it was), tested as
    // a share of incidents by Fisher's exact test.
    let then = prev
        .responders
        .people
        .first()
        .filter(|_| prev.incidents > 0);
    let mut comparison = None;
    if let Some(t) = then {
        let before = format!(
            "{} of {} ({}) for the most-loaded person of the previous period",
            t.incidents,
            prev.incidents,
            pct(t.incidents as f64 / prev.incidents as f64)
        );
        let (clause, c) = compare_shares(
            (top.incidents, m.incidents.count),
            (t.incidents, prev.incidents),
            &before,
            "incidents",
        );
        sentence += &clause;
        comparison = Some(c);
    }
    sentence += &format!(
        ". The top tenth of responders took part in {} of all participations.",
        r.concentration.top10pct_share.map_or("–".into(), pct)
    );
    if r.pages > 0 {
        sentence += &format!(
            " {} of {} pages reached people outside their business hours, {} of them in sleep hours.",
            n(r.off_hours_pages),
            n(r.pages),
            n(r.sleep_hours_pages)
        );
    }
    let w = &m.workload;
    if w.stints > 0 {
        let h = &w.hours;
        sentence += &format!(
            " Incident work took {} person-hours, {} of them in the responders' sleep hours.",
            trim(h.person_hours(), 0),
            trim(crate::metrics::workload::Hours::hours(h.sleep), 0)
        );
    }
    let off = if r.pages > 0 {
        r.off_hours_pages as f64 / r.pages as f64
    } else {
        0.0
    };
    // A pattern of who responds is read from enough incidents before anything is asked.
    let decision = ask_on_enough(
        (share >= 0.25).then(|| {
            "Spread incident knowledge: pair on call, and write runbooks for the services the most-loaded people are pulled into.".into()
        }),
        m.incidents.count,
        ("incident", "incidents"),
        &mut sentence,
    );
    Some(Finding {
        family: Family::Responders,
        title: match comparison.as_ref().and_then(Comparison::rose) {
            Some(true) => "Responding leans more on a few people than before.".into(),
            Some(false) => "Responding leans on a few people, less than before.".into(),
            None => "Responding leans on a few people.".into(),
        },
        sentence,
        asks: decision.as_ref().map(|_| Ask::SpreadKnowledge),
        decision,
        chart: Some(ChartKind::Lorenz),
        salience: share.min(1.0) * 0.7 + off * 0.3,
        keys: vec![
            "responders.people[0].incidents",
            "responders.most_loaded_incident_share",
            "responders.top10pct_share",
            "responders.off_hours_pages",
            "responders.sleep_hours_pages",
            "workload.person_hours",
            "workload.sleep_hours",
        ],
        comparison,
    })
}

pub(crate) fn declaration(m: &Metrics, prev: &Baseline) -> Option<Finding> {
    let d = &m.declaration;
    let share = d.non_engineering_share?;
    let (outside, known) = d.non_engineering();
    let mut sentence = format!(
        "People outside engineering declared {outside} of the {known} incidents with a known \
         declarer ({})",
        pct(share)
    );
    // Then: the same share of the previous period, by Fisher's exact test.
    let (then_outside, then_known) = prev.declaration.non_engineering();
    let comparison = prev.declaration.non_engineering_share.map(|p| {
        let before = format!(
            "{} ({then_outside} of {then_known}) in the previous period",
            pct(p)
        );
        let (clause, c) = compare_shares(
            (outside, known),
            (then_outside, then_known),
            &before,
            "incidents",
        );
        sentence += &clause;
        c
    });
    sentence.push('.');
    let functions: Vec<String> = d
        .declared_by_function
        .iter()
        .filter(|(f, n)| *f != "engineering" && *f != "unknown" && **n > 0)
        .map(|(f, n)| format!("{f} {n}"))
        .collect();
    if !functions.is_empty() {
        sentence += &format!(
            " Outside engineering, by function: {}.",
            functions.join(", ")
        );
    }
    Some(Finding {
        family: Family::Declaration,
        title: match (share > 0.0, comparison.as_ref().and_then(Comparison::rose)) {
            (_, Some(true)) => {
                "More incidents are declared outside engineering than before.".into()
            }
            (_, Some(false)) => {
                "Fewer incidents are declared outside engineering than before.".into()
            }
            (true, None) => "Support and product declare incidents too.".into(),
            (false, None) => "Only engineers declare incidents.".into(),
        },
        sentence,
        decision: None,
        asks: None,
        chart: Some(ChartKind::Declarers),
        salience: 0.15,
        keys: vec![
            "declaration.non_engineering_share",
            "declaration.declared_by_function",
        ],
        comparison,
    })
}

/// A share of incidents with a status-update gap above target from which cadence is a
/// finding with a decision, not only a line among what did not change.
pub(crate) const COMMS_MATTERS: f64 = 0.25;

/// How steady status updates were: the gaps, the share of incidents with a gap above
/// target, and that share against the previous period's (Fisher's exact test).
pub(crate) fn comms_sentence(
    m: &Metrics,
    prev: &Baseline,
) -> Option<(String, f64, Option<Comparison>)> {
    let c = &m.comms;
    let over = c.incidents_over_target?;
    let n = c.incidents_with_updates;
    let count = |share: f64, n: usize| (share * n as f64).round() as usize;
    let mut sentence = format!(
        "The median gap between status updates was {} minutes (90% within {}); {} of the {} incidents with updates ({}) had a gap above target",
        c.median_gap_minutes.map_or("–".into(), |v| trim(v, 0)),
        c.p90_gap_minutes.map_or("–".into(), |v| trim(v, 0)),
        count(over, n),
        n,
        pct(over),
    );
    let comparison = prev.comms.incidents_over_target.map(|then| {
        let pn = prev.comms.incidents_with_updates;
        let (x1, x2) = (count(over, n), count(then, pn));
        let before = format!("{} ({x2} of {pn}) in the previous period", pct(then));
        let (clause, compared) = compare_shares((x1, n), (x2, pn), &before, "incidents");
        sentence += &clause;
        compared
    });
    sentence.push('.');
    Some((sentence, over, comparison))
}

pub(crate) fn comms(m: &Metrics, prev: &Baseline) -> Option<Finding> {
    let (mut sentence, over, comparison) = comms_sentence(m, prev)?;
    let n = m.comms.incidents_with_updates;
    // Long gaps matter from a quarter of the incidents, seen over enough incidents.
    let matters = over >= COMMS_MATTERS && n >= MIN_N;
    let decision = ask_on_enough(
        (over >= COMMS_MATTERS).then(|| {
            "Agree a status-update interval for each severity, and name who posts the updates in every incident.".into()
        }),
        n,
        ("incident with updates", "incidents with updates"),
        &mut sentence,
    );
    Some(Finding {
        family: Family::Comms,
        title: match (matters, comparison.as_ref().and_then(Comparison::rose)) {
            (_, Some(true)) => "Status updates have more long gaps than before.".into(),
            (_, Some(false)) => "Status updates have fewer long gaps than before.".into(),
            (true, None) => "Status updates leave long gaps.".into(),
            (false, None) => "Status updates keep their rhythm.".into(),
        },
        sentence,
        asks: decision.as_ref().map(|_| Ask::StatusCadence),
        decision,
        chart: None,
        salience: if matters {
            0.2 + over * 0.4
        } else {
            over * 0.2
        },
        keys: vec![
            "comms.median_gap_minutes",
            "comms.p90_gap_minutes",
            "comms.incidents_over_target",
            "comms.incidents_with_updates",
        ],
        comparison,
    })
}

/// "What did not change": the phases, each either a tested change or a plain
/// statement that no change is detectable.
pub fn phases_context(m: &Metrics) -> Vec<String> {
    let ph = &m.phases;
    [
        ("time to acknowledge", &ph.time_to_ack),
        ("time to mitigate", &ph.time_to_mitigate),
        ("time to resolve", &ph.time_to_resolve),
    ]
    .iter()
    .filter_map(|(name, p)| {
        let med = p.median_minutes?;
        let prev = p.previous_median_minutes;
        let base = format!("The median {name} was {}", duration_minutes(med));
        Some(match (prev, p.mann_whitney_p) {
            (Some(pm), Some(_)) if p.n + p.previous_n < MIN_N => format!(
                "{base} (previous period {}); with {} and {} incidents, too few to tell a change from chance.",
                duration_minutes(pm),
                p.n,
                p.previous_n
            ),
            (Some(pm), Some(pv)) if pv < 0.05 && p.n >= MIN_N && p.previous_n >= MIN_N => {
                let dir = if med < pm { "down" } else { "up" };
                let grade = if pv < 0.01 { "strong" } else { "some" };
                format!(
                    "{base}, {dir} from {}: {grade} evidence of a real change (Mann–Whitney {}).",
                    duration_minutes(pm),
                    p_value(pv)
                )
            }
            (Some(pm), Some(pv)) => format!(
                "{base} (previous period {}); no detectable change (Mann–Whitney {}, n = {} and {}){}.",
                duration_minutes(pm),
                p_value(pv),
                p.n,
                p.previous_n,
                p.detectable_ratio.map_or(String::new(), |r| format!(
                    ": samples this size show a change reliably only when the median is about {} times longer or shorter",
                    trim(r, 1)
                ))
            ),
            _ => format!("{base} (n = {}); nothing to compare with.", p.n),
        })
    })
    .collect()
}

/// Nights without rest: the share of nights with incident work that were followed by
/// more work within the recovery hours, compared with the previous period by Fisher's
/// exact test. Counts only: the executive report names nobody.
pub(crate) fn recovery(m: &Metrics, prev: &Baseline) -> Option<Finding> {
    let r = &m.recovery;
    if r.nights_with_activity == 0 {
        return None;
    }
    let share = r.nights_without_rest as f64 / r.nights_with_activity as f64;
    let mut sentence = if r.nights_without_rest == 0 {
        format!(
            "All {} nights with incident work were followed by at least {} hours without more",
            n(r.nights_with_activity),
            trim(r.recovery_hours, 1),
        )
    } else {
        format!(
            "{} worked at night and again within {} hours on {} of the {} nights with incident work ({})",
            crate::words::count(r.people_without_rest as u64, "person", "people"),
            trim(r.recovery_hours, 1),
            n(r.nights_without_rest),
            n(r.nights_with_activity),
            pct(share)
        )
    };
    let then = &prev.recovery;
    let comparison = against_previous(
        (r.nights_without_rest, r.nights_with_activity),
        (then.nights_without_rest, then.nights_with_activity),
        "nights",
    )
    .map(|(clause, c)| {
        sentence += &clause;
        c
    });
    sentence.push('.');
    let decision = ask_on_enough(
        (share >= 0.25).then(|| {
            "Protect recovery: after a night of incident work, a second takes the pager.".into()
        }),
        r.nights_with_activity,
        ("night", "nights"),
        &mut sentence,
    );
    Some(Finding {
        family: Family::Recovery,
        title: match (share, comparison.as_ref().and_then(Comparison::rose)) {
            _ if r.nights_without_rest == 0 => {
                "Nights of incident work were followed by rest.".into()
            }
            (_, Some(true)) => "More nights of incident work go without rest than before.".into(),
            (s, Some(false)) if s >= 0.25 => {
                "Nights of incident work often go without rest, fewer than before.".into()
            }
            (_, Some(false)) => "Fewer nights of incident work go without rest than before.".into(),
            (s, None) if s >= 0.25 => "Nights of incident work often go without rest.".into(),
            (_, None) => "Some nights of incident work go without rest.".into(),
        },
        sentence,
        asks: decision.as_ref().map(|_| Ask::ProtectRest),
        decision,
        chart: Some(ChartKind::Recovery),
        salience: share.min(1.0) * 0.6,
        keys: vec![
            "recovery.people_without_rest",
            "recovery.nights_without_rest",
            "recovery.nights_with_activity",
        ],
        comparison,
    })
}
