//! Findings: the metrics turned into ranked sentences, each with its number, its
//! comparison to the previous period and, where it helps, a decision to ask for.
//!
//! The wording follows one rule for calling a change, the same in every finding:
//! - with fewer than [`MIN_N`] observations over both periods, no change is claimed:
//!   the sentence says there are too few to tell a change from chance;
//! - otherwise the test's p-value decides the words: below 0.01 "strong evidence of a
//!   real change", below 0.05 "some evidence", else "a difference this size could be
//!   chance". A test repeated over several groups (a hotspot's share, tested for every
//!   service) is judged on its Holm-adjusted p-value, and the sentence says so.
//!
//! The tests: binomial for hotspot shares, Fisher's exact for retro coverage,
//! Mann–Whitney (with `n >= 20` on both sides) for durations. A mean is never
//! headlined. Every number in a sentence comes from the metrics document, and each
//! finding lists the JSON keys it used; a sentence's number is the statistic its chart
//! shows, or the sentence names the population it is taken over.

use crate::metrics::{Baseline, Metrics};
use serde::Serialize;

/// How many findings a report shows, most salient first (the rest are in metrics.json).
pub const SHOWN: usize = 5;

/// Below this many observations (both periods together) no change is claimed.
pub const MIN_N: usize = 20;

/// Services are ranked only when the service is known for at least this share of the
/// period's incidents.
pub const SERVICE_COVERAGE_MIN: f64 = 0.5;

/// How strongly a comparison supports a change, by the rule above.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Evidence {
    TooFew(usize),
    Strong(f64),
    Some(f64),
    Chance(f64),
}

impl Evidence {
    fn of(n: usize, p: Option<f64>) -> Option<Evidence> {
        let p = p?;
        Some(if n < MIN_N {
            Evidence::TooFew(n)
        } else if p < 0.01 {
            Evidence::Strong(p)
        } else if p < 0.05 {
            Evidence::Some(p)
        } else {
            Evidence::Chance(p)
        })
    }

    fn real(self) -> bool {
        matches!(self, Evidence::Strong(_) | Evidence::Some(_))
    }

    /// Its name in metrics.json.
    fn name(self) -> &'static str {
        match self {
            Evidence::TooFew(_) => "too_few",
            Evidence::Strong(_) => "strong",
            Evidence::Some(_) => "some",
            Evidence::Chance(_) => "chance",
        }
    }

    /// The comparison every finding makes with the previous period: ", up from {before}:
    /// strong evidence …" when the evidence shows a change (its direction `up`), else
    /// ", against {before}; …".
    ///
    /// `detectable`, for a comparison of two shares, is the smallest difference (as a
    /// share) the samples would show: said when the difference seen could be chance, so
    /// that "no change" says what it rules out.
    fn compare(
        evidence: Option<Evidence>,
        before: &str,
        up: bool,
        what: &str,
        test: &str,
        detectable: Option<f64>,
    ) -> String {
        match evidence {
            Some(e) if e.real() => format!(
                ", {} from {before}{}",
                if up { "up" } else { "down" },
                e.clause(what, test)
            ),
            Some(e @ Evidence::Chance(_)) => format!(
                ", against {before}{}{}",
                e.clause(what, test),
                detectable.map_or(String::new(), |d| format!(
                    "; samples this size show a difference reliably only from about {:.0} \
                     percentage points",
                    d * 100.0
                ))
            ),
            Some(e) => format!(", against {before}{}", e.clause(what, test)),
            None => format!(", against {before}"),
        }
    }

    /// The clause after the comparison: "; too few …", ": strong evidence …".
    /// `test` names the test and any adjustment, for the parenthesis.
    fn clause(self, what: &str, test: &str) -> String {
        match self {
            Evidence::TooFew(n) => {
                format!("; with {n} {what} in both periods, too few to tell a change from chance")
            }
            Evidence::Strong(p) => {
                format!(": strong evidence of a real change ({test}{})", p_value(p))
            }
            Evidence::Some(p) => format!(": some evidence of a real change ({test}{})", p_value(p)),
            Evidence::Chance(p) => {
                format!(
                    "; a difference this size could be chance ({test}{})",
                    p_value(p)
                )
            }
        }
    }
}

/// The charts a report draws: one beside each finding that has one, the months
/// overview and the phases. Named here, where the analysis decides which chart shows a
/// finding's numbers; drawn by the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Incidents per service by severity, this period and the last.
    Hotspots,
    /// Retros held by days after resolution (Kaplan–Meier), both periods.
    Retro,
    /// Action items done by age (Kaplan–Meier), both periods.
    ActionItems,
    /// The Lorenz curve of participation, both periods.
    Lorenz,
    /// Incidents per month by severity, the previous period then this one.
    Monthly,
    /// Phase durations, one dot per incident, both periods.
    Phases,
    /// Incidents declared by each function, this period and the last.
    Declarers,
}

impl ChartKind {
    /// Its name in chart file names (`exec-action_items.svg`).
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Hotspots => "hotspots",
            ChartKind::Retro => "retro",
            ChartKind::ActionItems => "action_items",
            ChartKind::Lorenz => "lorenz",
            ChartKind::Monthly => "monthly",
            ChartKind::Phases => "phases",
            ChartKind::Declarers => "declarers",
        }
    }
}

/// The metric family a finding speaks of (its name in metrics.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Hotspots,
    Retro,
    ActionItems,
    Responders,
    Declaration,
    Comms,
}

impl Family {
    /// Its name in metrics.json (`action_items`): findings of equal salience are ordered
    /// by it.
    pub fn name(self) -> &'static str {
        match self {
            Family::Hotspots => "hotspots",
            Family::Retro => "retro",
            Family::ActionItems => "action_items",
            Family::Responders => "responders",
            Family::Declaration => "declaration",
            Family::Comms => "comms",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub family: Family,
    /// One claim, as a short heading.
    pub title: String,
    /// The number, its comparison, its uncertainty.
    pub sentence: String,
    /// What leadership is asked to decide, if anything.
    pub decision: Option<String>,
    /// Which decision that is, so that the next report can follow it up.
    pub asks: Option<Ask>,
    /// The chart that goes with it.
    pub chart: Option<ChartKind>,
    /// How much it deserves attention, 0–1; findings are ranked by it.
    pub salience: f64,
    /// The metrics keys its numbers come from (for traceability).
    pub keys: Vec<&'static str>,
    /// Its comparison with the previous period, when there is one: the counts it
    /// compares, the test and the evidence its words grade.
    pub comparison: Option<Comparison>,
}

/// A decision a finding asks for, by what would show it worked (see `followup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ask {
    /// Hold retros within five working days and clear the backlog: retro coverage.
    HoldRetros,
    /// Every follow-up gets an owner and open items are reviewed: items done.
    OwnFollowUps,
    /// Spread incident knowledge: the most-loaded responder's share of incidents.
    SpreadKnowledge,
    /// Fund reliability work on a service: its share of incidents.
    FundReliability { service: String },
    /// Agree a status-update interval: incidents with a gap above target.
    StatusCadence,
}

/// A count out of a population: `count` of `of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Share {
    pub count: usize,
    pub of: usize,
}

/// What a finding compares: this period's share against the previous period's, and
/// what the test says. metrics.json carries it, so that every number of the sentence
/// can be traced, the previous period's included.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub now: Share,
    pub before: Share,
    /// `fisher_exact` (two shares) or `binomial` (two counts over periods of equal
    /// length).
    pub test: &'static str,
    pub p_value: Option<f64>,
    /// When the same test ran for several groups (every service), the Holm-adjusted
    /// p-value the words judge, and how many groups were compared.
    pub holm_p_value: Option<f64>,
    pub groups_compared: usize,
    /// The observations the small-sample rule counts (both periods together).
    pub observations: usize,
    /// `too_few`, `strong`, `some` or `chance` (the module's rule); null without a test.
    pub evidence: Option<&'static str>,
    /// The smallest difference of two shares these samples would show (80% power, 5%
    /// level), when the words say the difference seen could be chance.
    pub detectable_difference: Option<f64>,
}

/// A share now, `x1` of `n1`, against the previous period's, `x2` of `n2` (`before`
/// says it in words), by Fisher's exact test on held / not held: the comparison clause,
/// and the comparison itself.
fn compare_shares(
    (x1, n1): (usize, usize),
    (x2, n2): (usize, usize),
    before: &str,
    what: &str,
) -> (String, Comparison) {
    let (comparison, evidence) = fisher(Share { count: x1, of: n1 }, Share { count: x2, of: n2 });
    let up = x1 as f64 / n1 as f64 > x2 as f64 / n2 as f64;
    let clause = Evidence::compare(
        evidence,
        before,
        up,
        what,
        "Fisher's exact test: ",
        comparison.detectable_difference,
    );
    (clause, comparison)
}

/// Two shares compared by Fisher's exact test on count / rest, graded by the module's
/// rule, with the smallest detectable difference when the difference could be chance.
fn fisher(now: Share, before: Share) -> (Comparison, Option<Evidence>) {
    let (Share { count: x1, of: n1 }, Share { count: x2, of: n2 }) = (now, before);
    let test = crate::stats::fisher_exact_p(
        x1 as u64,
        (n1 - x1.min(n1)) as u64,
        x2 as u64,
        (n2 - x2.min(n2)) as u64,
    );
    let evidence = Evidence::of(n1 + n2, test);
    let detectable =
        detectable(x1, n1, x2, n2).filter(|_| matches!(evidence, Some(Evidence::Chance(_))));
    let comparison = Comparison {
        now,
        before,
        test: "fisher_exact",
        p_value: test,
        holm_p_value: None,
        groups_compared: 1,
        observations: n1 + n2,
        evidence: evidence.map(Evidence::name),
        detectable_difference: detectable,
    };
    (comparison, evidence)
}

/// `now` against `before` by Fisher's exact test, graded by the module's rule (what a
/// follow-up of last period's decisions states).
pub fn compare(now: Share, before: Share) -> Comparison {
    fisher(now, before).0
}

/// A p-value as the report writes it: `p = 0.049`, `p < 0.001`.
pub fn p_words(p: f64) -> String {
    p_value(p)
}

impl Comparison {
    /// Whether the evidence shows a change (strong or some), and which way.
    pub fn rose(&self) -> Option<bool> {
        matches!(self.evidence, Some("strong" | "some")).then(|| {
            self.now.count as f64 / self.now.of.max(1) as f64
                > self.before.count as f64 / self.before.of.max(1) as f64
        })
    }
}

/// The smallest difference between `x1` of `n1` and `x2` of `n2` these sample sizes
/// would show (see `stats::detectable_difference`).
fn detectable(x1: usize, n1: usize, x2: usize, n2: usize) -> Option<f64> {
    let pooled = (x1 + x2) as f64 / (n1 + n2).max(1) as f64;
    crate::stats::detectable_difference(n1, n2, pooled)
}

/// A decision drawn from a pattern (who responds, how steady updates are, which service
/// concentrates incidents) is asked only on enough data: with fewer than [`MIN_N`] in
/// the finding's population (`n` of `one`/`many`) the sentence says so, and nothing is
/// asked.
fn asked(
    decision: Option<String>,
    n: usize,
    (one, many): (&str, &str),
    sentence: &mut String,
) -> Option<String> {
    match decision {
        Some(_) if n < MIN_N => {
            *sentence += &format!(
                " With {}, too few to base a decision on.",
                crate::words::count(n as u64, one, many)
            );
            None
        }
        d => d,
    }
}

/// A count with thousands separators.
fn n(count: usize) -> String {
    crate::words::thousands(count as u64)
}

pub fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn p_value(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {}", trim(p, 3))
    }
}

/// A number with at most `digits` decimals, trailing zeros dropped.
pub fn trim(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Minutes as a readable duration: minutes under two hours, then hours, then days.
fn duration_minutes(m: f64) -> String {
    if m < 120.0 {
        format!("{} minutes", trim(m, 1))
    } else {
        duration_hours(m / 60.0)
    }
}

/// Hours as a readable duration: hours under two days, days above.
fn duration_hours(h: f64) -> String {
    if h < 48.0 {
        format!("{} hours", trim(h, 1))
    } else {
        format!("{} days", trim(h / 24.0, 1))
    }
}

/// Which metric families the store's sources can inform at all. A store filled from a
/// status page alone knows nothing of retros, follow-ups or responders: its report says
/// so instead of reporting "0 of 3 retros held".
#[derive(Debug, Clone, Copy)]
pub struct Coverage {
    /// The period's incidents whose service is known, and all of them.
    pub services: (usize, usize),
    pub retros: bool,
    pub action_items: bool,
    pub responders: bool,
    pub declaration: bool,
    pub comms: bool,
    pub acknowledgement: bool,
}

impl Coverage {
    /// Whether any record of the whole store (any period) carries each family's data,
    /// and for how many of the period's incidents the service is known.
    pub fn of(ctx: &crate::metrics::Ctx) -> Coverage {
        let data = ctx.data;
        Coverage {
            services: (crate::metrics::with_service(ctx), ctx.current.len()),
            retros: data
                .incidents
                .iter()
                .any(|i| i.retro_held.or(i.retro_published).is_some()),
            action_items: !data.items.is_empty(),
            responders: !data.pages.is_empty()
                || !data.participants.is_empty()
                || data.incidents.iter().any(|i| i.commander.is_some())
                || data.messages.iter().any(|m| m.person.is_some()),
            declaration: data.incidents.iter().any(|i| i.declared_by.is_some()),
            comms: data.events.iter().any(|e| e.kind == "status_update"),
            acknowledgement: data.pages.iter().any(|p| p.acknowledged.is_some())
                || data.incidents.iter().any(|i| i.acknowledged.is_some())
                || data.events.iter().any(|e| e.kind == "acknowledged"),
        }
    }

    /// Whether the service is known for enough of the period's incidents to rank
    /// services at all.
    fn services_enough(&self) -> bool {
        let (known, total) = self.services;
        total == 0 || known as f64 >= SERVICE_COVERAGE_MIN * total as f64
    }

    /// A sentence for each family no source informs, or too few incidents do.
    pub fn unmeasured(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if !self.services_enough() {
            let (known, total) = self.services;
            out.push(format!(
                "Hotspots: the service is known for only {known} of {total} incidents ({}), \
                 under the half that ranking services needs; name services in the exports \
                 (or map them in the config) to see where incidents concentrate.",
                pct(known as f64 / total as f64)
            ));
        }
        if !self.retros {
            out.push("Retrospectives: no source records them (postmortem tickets, an incident platform's postmortems, or retro dates), so retro coverage and time to retro are not measured.".to_string());
        }
        if !self.action_items {
            out.push("Action items: no source records follow-ups (a ticket tracker or an incident platform), so completion is not measured.".to_string());
        }
        if !self.responders {
            out.push("Responders: no source records who was paged, assigned or took part, so responder load and concentration are not measured.".to_string());
        }
        if !self.declaration {
            out.push("Declaration: no source records who declared incidents.".to_string());
        }
        if !self.acknowledgement {
            out.push(
                "Time to acknowledge: no source records pages or acknowledgements.".to_string(),
            );
        }
        if !self.comms {
            out.push("Communication: no source records status updates (a status page, an incident platform, or chat messages with the update marker).".to_string());
        }
        out
    }
}

/// All findings that the data supports, most salient first.
pub fn findings(m: &Metrics, prev: &Baseline, coverage: Coverage) -> Vec<Finding> {
    let mut out = Vec::new();
    if coverage.services_enough() {
        out.extend(hotspot(m, prev, coverage.services));
    }
    if coverage.retros {
        out.extend(retro(m, prev));
    }
    if coverage.action_items {
        out.extend(action_items(m, prev));
    }
    if coverage.responders {
        out.extend(responders(m, prev));
    }
    if coverage.declaration {
        out.extend(declaration(m, prev));
    }
    if coverage.comms {
        out.extend(comms(m, prev));
    }
    out.sort_by(|a, b| {
        b.salience
            .total_cmp(&a.salience)
            .then_with(|| a.family.name().cmp(b.family.name()))
    });
    out
}

fn hotspot(m: &Metrics, prev: &Baseline, (known, all): (usize, usize)) -> Option<Finding> {
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

fn retro(m: &Metrics, prev: &Baseline) -> Option<Finding> {
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

fn action_items(m: &Metrics, prev: &Baseline) -> Option<Finding> {
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

fn responders(m: &Metrics, prev: &Baseline) -> Option<Finding> {
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
    let off = if r.pages > 0 {
        r.off_hours_pages as f64 / r.pages as f64
    } else {
        0.0
    };
    // A pattern of who responds is read from enough incidents before anything is asked.
    let decision = asked(
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
        ],
        comparison,
    })
}

fn declaration(m: &Metrics, prev: &Baseline) -> Option<Finding> {
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
const COMMS_MATTERS: f64 = 0.25;

/// How steady status updates were: the gaps, the share of incidents with a gap above
/// target, and that share against the previous period's (Fisher's exact test).
fn comms_sentence(m: &Metrics, prev: &Baseline) -> Option<(String, f64, Option<Comparison>)> {
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

fn comms(m: &Metrics, prev: &Baseline) -> Option<Finding> {
    let (mut sentence, over, comparison) = comms_sentence(m, prev)?;
    let n = m.comms.incidents_with_updates;
    // Long gaps matter from a quarter of the incidents, seen over enough incidents.
    let matters = over >= COMMS_MATTERS && n >= MIN_N;
    let decision = asked(
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

/// The line "what did not change" gives status-update cadence when it is not among
/// the findings shown.
pub fn comms_line(m: &Metrics, prev: &Baseline) -> Option<String> {
    comms_sentence(m, prev).map(|(s, _, _)| s)
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
