//! How a comparison with the previous period is judged and said: the evidence rule
//! (too few, strong, some, could be chance), Fisher's exact test of two shares, the
//! smallest detectable difference, and the number formats every sentence uses.

use super::*;

/// How strongly a comparison supports a change, by the rule above.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Evidence {
    TooFew(usize),
    Strong(f64),
    Some(f64),
    Chance(f64),
}

impl Evidence {
    pub(crate) fn of(n: usize, p: Option<f64>) -> Option<Evidence> {
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

    pub(crate) fn real(self) -> bool {
        matches!(self, Evidence::Strong(_) | Evidence::Some(_))
    }

    /// Its name in metrics.json.
    pub(crate) fn name(self) -> &'static str {
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
    pub(crate) fn compare(
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
    pub(crate) fn clause(self, what: &str, test: &str) -> String {
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
pub(crate) fn compare_shares(
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

/// `now` (`x1` of `n1`) against the previous period's `then` (`x2` of `n2`), said "x2 of
/// n2 (share) in the previous period", when the previous period has any: the clause
/// and the comparison of [`compare_shares`].
pub(crate) fn against_previous(
    now: (usize, usize),
    then: (usize, usize),
    what: &str,
) -> Option<(String, Comparison)> {
    (then.1 > 0).then(|| {
        let before = format!(
            "{} of {} ({}) in the previous period",
            n(then.0),
            n(then.1),
            pct(then.0 as f64 / then.1 as f64)
        );
        compare_shares(now, then, &before, what)
    })
}

/// Two shares compared by Fisher's exact test on count / rest, graded by the module's
/// rule, with the smallest detectable difference when the difference could be chance.
pub(crate) fn fisher(now: Share, before: Share) -> (Comparison, Option<Evidence>) {
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
pub(crate) fn detectable(x1: usize, n1: usize, x2: usize, n2: usize) -> Option<f64> {
    let pooled = (x1 + x2) as f64 / (n1 + n2).max(1) as f64;
    crate::stats::detectable_difference(n1, n2, pooled)
}

/// A decision drawn from a pattern (who responds, how steady updates are, which service
/// concentrates incidents) is asked only on enough data: with fewer than [`MIN_N`] in
/// the finding's population (`n` of `one`/`many`) the sentence says so, and nothing is
/// asked.
pub(crate) fn ask_on_enough(
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
pub(crate) fn n(count: usize) -> String {
    crate::words::thousands(count as u64)
}

pub fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// A p-value as the report writes it: `p = 0.049`, `p < 0.001`.
pub fn p_value(p: f64) -> String {
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
pub(crate) fn duration_minutes(m: f64) -> String {
    if m < 120.0 {
        format!("{} minutes", trim(m, 1))
    } else {
        duration_hours(m / 60.0)
    }
}

/// Hours as a readable duration: hours under two days, days above.
pub(crate) fn duration_hours(h: f64) -> String {
    if h < 48.0 {
        format!("{} hours", trim(h, 1))
    } else {
        format!("{} days", trim(h / 24.0, 1))
    }
}
