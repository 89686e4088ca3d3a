//! The statistics behind the metrics, each implemented once and pinned by tests against
//! values from numpy, scipy and lifelines.
//!
//! Everything here works on plain slices of `f64` and returns `None` where a number
//! cannot be computed (empty samples, zero variance), never NaN: the JSON prints `null`.
//! Special functions (erfc, log-gamma) come from `libm`, the generator from `rand_pcg`
//! (a named algorithm, so a seed means the same resamples in every version).

use libm::{erfc, lgamma as ln_gamma};
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution};

/// Linear-interpolation quantile ("type 7", numpy's default) of an unsorted sample.
pub fn quantile(values: &[f64], p: f64) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, p)
}

/// As [`quantile`], for a sample already sorted ascending.
pub fn quantile_sorted(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    Some(v[lo] + (h - lo as f64) * (v[hi] - v[lo]))
}

pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// A Kaplan–Meier survival curve: the steps `(t, S(t))` at each distinct event time.
#[derive(Debug, Clone, PartialEq)]
pub struct KaplanMeier {
    pub steps: Vec<(f64, f64)>,
}

impl KaplanMeier {
    /// `observations` are `(time, event)`: `event` false means right-censored at `time`.
    /// At a tie, events happen before censoring (the usual convention, and lifelines').
    pub fn fit(observations: &[(f64, bool)]) -> KaplanMeier {
        let mut obs = observations.to_vec();
        obs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut at_risk = obs.len() as f64;
        let mut s = 1.0;
        let mut steps = Vec::new();
        let mut i = 0;
        while i < obs.len() {
            let t = obs[i].0;
            let (mut events, mut total) = (0.0, 0.0);
            while i < obs.len() && obs[i].0 == t {
                total += 1.0;
                if obs[i].1 {
                    events += 1.0;
                }
                i += 1;
            }
            if events > 0.0 {
                s *= 1.0 - events / at_risk;
                steps.push((t, s));
            }
            at_risk -= total;
        }
        KaplanMeier { steps }
    }

    /// `S(t)`: the share still "surviving" (not yet held, not yet done) at `t`.
    pub fn survival_at(&self, t: f64) -> f64 {
        self.steps
            .iter()
            .take_while(|(x, _)| *x <= t)
            .last()
            .map_or(1.0, |(_, s)| *s)
    }

    /// The smallest `t` with `S(t) <= 0.5`, or `None` when the curve never gets there.
    /// A product that lands within 1e-12 of one half counts as reaching it. (lifelines'
    /// `median_survival_time_` takes `S(t) < 0.5`, strictly; the definition says `<=`.)
    pub fn median(&self) -> Option<f64> {
        self.steps
            .iter()
            .find(|(_, s)| *s <= 0.5 + 1e-12)
            .map(|(t, _)| *t)
    }
}

/// Percentile bootstrap confidence interval of the median: `resamples` resamples with
/// replacement from a generator seeded with `seed`; returns the `(1-level)/2` and
/// `(1+level)/2` type-7 quantiles of the resampled medians.
///
/// A resample is `n` indices drawn uniformly, that is the floor of `n` uniform variates
/// times `n`; its `k`-th smallest index is the floor of the `k`-th smallest variate
/// times `n`, and that variate follows Beta(k, n + 1 − k). So each resample's median is
/// drawn from its exact distribution in constant time rather than by drawing `n`
/// indices (3 × 2,000 resamples of 25,000 durations took half a second that way). For
/// an even `n` the next order statistic is the previous one plus the least of the
/// `n − k` variates above it.
pub fn bootstrap_median_ci(
    values: &[f64],
    level: f64,
    resamples: usize,
    seed: u64,
) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let resample = ResampledMedian::new(&sorted);
    let mut medians: Vec<f64> = (0..resamples).map(|_| resample.draw(&mut rng)).collect();
    medians.sort_by(f64::total_cmp);
    let alpha = (1.0 - level) / 2.0;
    Some((
        quantile_sorted(&medians, alpha)?,
        quantile_sorted(&medians, 1.0 - alpha)?,
    ))
}

/// The median of one resample with replacement of a sorted sample, drawn from its
/// exact distribution (see [`bootstrap_median_ci`]).
struct ResampledMedian<'a> {
    sorted: &'a [f64],
    /// The type-7 median's position, and the lower middle draw's rank (0-based).
    h: f64,
    lo: usize,
    /// The distribution of the lower middle draw's uniform variate.
    order: Beta<f64>,
}

impl<'a> ResampledMedian<'a> {
    fn new(sorted: &'a [f64]) -> ResampledMedian<'a> {
        let n = sorted.len();
        let h = (n - 1) as f64 * 0.5;
        let lo = h.floor() as usize;
        // The lower middle draw is the (lo + 1)-th smallest of n.
        let order = Beta::new((lo + 1) as f64, (n - lo) as f64).expect("shapes are positive");
        ResampledMedian {
            sorted,
            h,
            lo,
            order,
        }
    }

    fn draw(&self, rng: &mut rand_pcg::Pcg64) -> f64 {
        let n = self.sorted.len();
        let at = |u: f64| self.sorted[((u * n as f64) as usize).min(n - 1)];
        let u = self.order.sample(rng);
        let low = at(u);
        if self.h == self.lo as f64 {
            return low;
        }
        // The least of the m = n − lo − 1 variates above u: u + (1 − u) times the least
        // of m uniform variates, which is 1 − (1 − w)^(1/m) for w uniform.
        let w: f64 = rng.random();
        let least = 1.0 - (1.0 - w).powf(1.0 / (n - self.lo - 1) as f64);
        let high = at(u + (1.0 - u) * least);
        low + (self.h - self.lo as f64) * (high - low)
    }
}

/// Upper tail of the standard normal, `P(Z > z)`.
fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Two-sided Mann–Whitney U test, normal approximation with tie correction and
/// continuity correction: scipy's `mannwhitneyu(x, y, method="asymptotic")`.
pub fn mann_whitney_p(x: &[f64], y: &[f64]) -> Option<f64> {
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    if x.is_empty() || y.is_empty() {
        return None;
    }
    // Mid-ranks of the pooled sample.
    let mut pooled: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = pooled.len();
    let (mut r1, mut tie_term) = (0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j < n && pooled[j].0 == pooled[i].0 {
            j += 1;
        }
        let t = (j - i) as f64;
        let rank = (i + j + 1) as f64 / 2.0; // mean of ranks i+1..=j
        r1 += rank * pooled[i..j].iter().filter(|p| p.1).count() as f64;
        tie_term += t * t * t - t;
        i = j;
    }
    let u1 = r1 - n1 * (n1 + 1.0) / 2.0;
    let u = u1.max(n1 * n2 - u1);
    let nn = n1 + n2;
    let sd = (n1 * n2 / 12.0 * ((nn + 1.0) - tie_term / (nn * (nn - 1.0)))).sqrt();
    if sd.is_nan() || sd == 0.0 {
        return None;
    }
    let z = (u - n1 * n2 / 2.0 - 0.5) / sd;
    Some((2.0 * normal_sf(z)).clamp(0.0, 1.0))
}

fn ln_binom_pmf(i: u64, n: u64, p: f64) -> f64 {
    let (i_f, n_f) = (i as f64, n as f64);
    let ln_choose = ln_gamma(n_f + 1.0) - ln_gamma(i_f + 1.0) - ln_gamma(n_f - i_f + 1.0);
    let a = if i == 0 { 0.0 } else { i_f * p.ln() };
    let b = if i == n {
        0.0
    } else {
        (n_f - i_f) * (1.0 - p).ln()
    };
    ln_choose + a + b
}

/// Exact two-sided binomial test of `k` successes in `n` trials with probability `p`:
/// the probability of every outcome no more likely than `k` (scipy's `binomtest`, which
/// uses the same rule with a relative tolerance of 1e-7).
pub fn binomial_test_p(k: u64, n: u64, p: f64) -> Option<f64> {
    if n == 0 || k > n || !(0.0..=1.0).contains(&p) {
        return None;
    }
    if p == 0.0 || p == 1.0 {
        let expected = if p == 0.0 { 0 } else { n };
        return Some(if k == expected { 1.0 } else { 0.0 });
    }
    if (k as f64 - n as f64 * p).abs() < 1e-12 {
        return Some(1.0);
    }
    let d = ln_binom_pmf(k, n, p).exp() * (1.0 + 1e-7);
    let total: f64 = (0..=n)
        .map(|i| ln_binom_pmf(i, n, p).exp())
        .filter(|&pmf| pmf <= d)
        .sum();
    Some(total.min(1.0))
}

/// z for a two-sided 5% test plus z for 80% power: how many standard errors apart two
/// estimates must be for a test to show the difference four times in five.
const DETECT_Z: f64 = 1.959_963_984_540_054 + 0.841_621_233_572_914_3;

/// The smallest difference between two shares (of `n1` and `n2` cases, `pooled` the
/// share of both together) that these sample sizes would show four times in five at the
/// 5% level: the normal approximation `(z₀.₉₇₅ + z₀.₈) √(p(1−p)(1/n₁ + 1/n₂))`. `None`
/// without cases on both sides.
pub fn detectable_difference(n1: usize, n2: usize, pooled: f64) -> Option<f64> {
    (n1 > 0 && n2 > 0)
        .then(|| DETECT_Z * (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt())
}

/// The smallest factor by which the median of `b` would have to differ from that of `a`
/// for these samples to show it four times in five at the 5% level, for heavy-tailed
/// durations compared on a log scale: each median's standard error taken as
/// `1.2533 σ / √n` with σ estimated robustly as the interquartile range of the logs over
/// 1.349, the factor `exp((z₀.₉₇₅ + z₀.₈) √(se₁² + se₂²))`. Values at or below zero are
/// left out; `None` with fewer than two values on a side or no spread.
pub fn detectable_ratio(a: &[f64], b: &[f64]) -> Option<f64> {
    let se = |x: &[f64]| -> Option<f64> {
        let mut logs: Vec<f64> = x.iter().filter(|v| **v > 0.0).map(|v| v.ln()).collect();
        if logs.len() < 2 {
            return None;
        }
        logs.sort_by(f64::total_cmp);
        let iqr = quantile_sorted(&logs, 0.75)? - quantile_sorted(&logs, 0.25)?;
        (iqr > 0.0).then(|| 1.2533 * (iqr / 1.349) / (logs.len() as f64).sqrt())
    };
    let (sa, sb) = (se(a)?, se(b)?);
    Some((DETECT_Z * (sa * sa + sb * sb).sqrt()).exp())
}

/// Fisher's exact test of a 2×2 table `[[a, b], [c, d]]`, two-sided: the probability of
/// every table with the same margins no more likely than this one (scipy's
/// `fisher_exact`, same rule and tolerance).
pub fn fisher_exact_p(a: u64, b: u64, c: u64, d: u64) -> Option<f64> {
    let (row1, col1, n) = (a + b, a + c, a + b + c + d);
    if n == 0 {
        return None;
    }
    let ln_fact = |k: u64| ln_gamma(k as f64 + 1.0);
    // The hypergeometric probability of `x` in the top-left cell.
    let ln_p = |x: u64| {
        ln_fact(row1) + ln_fact(n - row1) + ln_fact(col1) + ln_fact(n - col1)
            - ln_fact(n)
            - ln_fact(x)
            - ln_fact(row1 - x)
            - ln_fact(col1 - x)
            - ln_fact(n - row1 - col1 + x)
    };
    let low = (row1 + col1).saturating_sub(n);
    let high = row1.min(col1);
    let observed = ln_p(a).exp() * (1.0 + 1e-7);
    let total: f64 = (low..=high)
        .map(|x| ln_p(x).exp())
        .filter(|&p| p <= observed)
        .sum();
    Some(total.min(1.0))
}

/// Holm's step-down adjustment of p-values for testing several hypotheses at once (the
/// same test over every service, say): the adjusted values, in the input's order. An
/// adjusted value below α keeps the family-wise error rate under α.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// Gini coefficient, `sum_i sum_j |x_i - x_j| / (2 n^2 mean)`.
pub fn gini(x: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    let sum: f64 = x.iter().sum();
    if x.is_empty() || sum == 0.0 {
        return None;
    }
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    // For sorted values, sum_i sum_j |x_i - x_j| = 2 sum_i (2i - n + 1) x_i (0-based i).
    let pair_sum: f64 = v
        .iter()
        .enumerate()
        .map(|(i, xi)| (2.0 * i as f64 - n + 1.0) * xi)
        .sum::<f64>()
        * 2.0;
    Some(pair_sum / (2.0 * n * n * (sum / n)))
}

/// Normalised Shannon entropy, `-sum p ln p / ln n`; `None` for fewer than two values.
pub fn entropy_norm(x: &[f64]) -> Option<f64> {
    let sum: f64 = x.iter().sum();
    if x.len() < 2 || sum == 0.0 {
        return None;
    }
    let h: f64 = x
        .iter()
        .filter(|&&v| v > 0.0)
        .map(|&v| {
            let p = v / sum;
            -p * p.ln()
        })
        .sum();
    Some(h / (x.len() as f64).ln())
}

/// Share of the total held by the largest `ceil(share * n)` values (at least one).
pub fn top_share(x: &[f64], share: f64) -> Option<f64> {
    let sum: f64 = x.iter().sum();
    if x.is_empty() || sum == 0.0 {
        return None;
    }
    let mut v = x.to_vec();
    v.sort_by(|a, b| b.total_cmp(a));
    let k = ((share * x.len() as f64).ceil() as usize).max(1);
    Some(v.iter().take(k).sum::<f64>() / sum)
}

/// The largest value's share of the total.
pub fn top1_share(x: &[f64]) -> Option<f64> {
    let sum: f64 = x.iter().sum();
    if x.is_empty() || sum == 0.0 {
        return None;
    }
    Some(x.iter().copied().fold(f64::MIN, f64::max) / sum)
}

#[cfg(test)]
mod tests {
    #[test]
    fn holm_by_hand() {
        // Sorted 0.01, 0.02, 0.04, 0.3 times 4, 3, 2, 1: 0.04, 0.06, 0.08, 0.3, each at
        // least the one before.
        let adj = super::holm(&[0.04, 0.01, 0.3, 0.02]);
        let want = [0.08, 0.04, 0.3, 0.06];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adj:?}");
        }
        // A later raw value smaller after scaling is raised to the running maximum.
        assert_eq!(super::holm(&[0.02, 0.021]), vec![0.04, 0.04]);
    }

    #[test]
    fn fisher_exact_matches_scipy() {
        // Both from scipy.stats.fisher_exact (scipy 1.x), an independent implementation.
        let p = super::fisher_exact_p(8, 2, 1, 5).unwrap();
        assert!((p - 0.034_965_034_965_034_975).abs() < 1e-12, "{p}");
        let p = super::fisher_exact_p(12, 12, 5, 9).unwrap();
        assert!((p - 0.505_684_995_340_167_6).abs() < 1e-12, "{p}");
        assert_eq!(super::fisher_exact_p(0, 0, 0, 0), None);
    }
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-300), "{a} != {b}");
    }

    #[test]
    fn quantiles_match_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0.5, 0.9]) -> [2.5, 3.7]
        close(quantile(&[4.0, 1.0, 3.0, 2.0], 0.5).unwrap(), 2.5);
        close(quantile(&[4.0, 1.0, 3.0, 2.0], 0.9).unwrap(), 3.7);
        // numpy.quantile([7], 0.9) -> 7; empty -> None
        close(quantile(&[7.0], 0.9).unwrap(), 7.0);
        assert_eq!(quantile(&[], 0.5), None);
        // numpy.quantile([1, 1, 2, 10], 0.9) -> 7.6 (ties)
        close(quantile(&[1.0, 1.0, 2.0, 10.0], 0.9).unwrap(), 7.6);
    }

    #[test]
    fn kaplan_meier_matches_lifelines() {
        // lifelines KaplanMeierFitter().fit([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1]):
        // S(1)=5/6, S(2)=5/6*4/5=2/3, S(3)=2/3*2/3=4/9, S(5)=0; median_survival_time_ = 3
        let km = KaplanMeier::fit(&[
            (1.0, true),
            (2.0, true),
            (2.0, false),
            (3.0, true),
            (4.0, false),
            (5.0, true),
        ]);
        close(km.survival_at(1.5), 5.0 / 6.0);
        close(km.survival_at(2.0), 2.0 / 3.0);
        close(km.survival_at(3.9), 4.0 / 9.0);
        assert_eq!(km.survival_at(5.0), 0.0);
        assert_eq!(km.survival_at(0.5), 1.0);
        assert_eq!(km.median(), Some(3.0));
        // S lands exactly on 0.5 at t = 4 (4 events among 8): the median is 4, where
        // lifelines' median_survival_time_ (strict <) would give 5.
        let half =
            KaplanMeier::fit(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0].map(|t| (t, t < 6.0)));
        assert_eq!(half.median(), Some(4.0));
        // All censored: the curve never falls, no median.
        let none = KaplanMeier::fit(&[(1.0, false), (2.0, false)]);
        assert_eq!(none.median(), None);
        assert_eq!(none.survival_at(10.0), 1.0);
        assert_eq!(KaplanMeier::fit(&[]).median(), None);
    }

    #[test]
    fn mann_whitney_matches_scipy() {
        // scipy.stats.mannwhitneyu([1,2,3,4,5], [3,4,5,6,7,8], method="asymptotic").pvalue
        //   = 0.066015431521231 (ties at 3, 4, 5)
        close(
            mann_whitney_p(&[1.0, 2.0, 3.0, 4.0, 5.0], &[3.0, 4.0, 5.0, 6.0, 7.0, 8.0]).unwrap(),
            0.066015431521231,
        );
        // mannwhitneyu([1.5, 2.5, 10], [0.5, 3, 4, 20], method="asymptotic").pvalue
        close(
            mann_whitney_p(&[1.5, 2.5, 10.0], &[0.5, 3.0, 4.0, 20.0]).unwrap(),
            0.8596837951986662,
        );
        assert_eq!(mann_whitney_p(&[], &[1.0]), None);
        assert_eq!(
            mann_whitney_p(&[2.0, 2.0], &[2.0]),
            None,
            "all tied: no variance"
        );
    }

    #[test]
    fn binomial_test_matches_scipy() {
        // scipy.stats.binomtest(13, 17, 92/183).pvalue
        close(
            binomial_test_p(13, 17, 92.0 / 183.0).unwrap(),
            0.0490981400654541,
        );
        // binomtest(3, 10, 0.5).pvalue = 0.34375; binomtest(5, 10, 0.5) = 1.0
        close(binomial_test_p(3, 10, 0.5).unwrap(), 0.34375);
        close(binomial_test_p(5, 10, 0.5).unwrap(), 1.0);
        // binomtest(0, 4, 0.5).pvalue = 0.125
        close(binomial_test_p(0, 4, 0.5).unwrap(), 0.125);
        assert_eq!(binomial_test_p(1, 0, 0.5), None);
    }

    #[test]
    fn concentration_by_hand() {
        // x = [1, 1, 2, 6]: sum|xi-xj| = 2*(0+1+5+1+5+4) = 32; 2 n^2 mean = 2*16*2.5 = 80
        close(gini(&[1.0, 1.0, 2.0, 6.0]).unwrap(), 0.4);
        close(gini(&[3.0, 3.0]).unwrap(), 0.0);
        // p = [.1, .1, .2, .6]: -(2*.1 ln .1 + .2 ln .2 + .6 ln .6) / ln 4
        let h = -(2.0 * 0.1 * 0.1f64.ln() + 0.2 * 0.2f64.ln() + 0.6 * 0.6f64.ln()) / 4f64.ln();
        close(entropy_norm(&[1.0, 1.0, 2.0, 6.0]).unwrap(), h);
        assert_eq!(entropy_norm(&[5.0]), None);
        close(top1_share(&[1.0, 1.0, 2.0, 6.0]).unwrap(), 0.6);
        // 34 and 28 cases, half of them: (z₀.₉₇₅ + z₀.₈) √(0.25 (1/34 + 1/28)).
        // (scipy: norm.ppf(0.975) + norm.ppf(0.8) = 2.8015852…)
        close(
            detectable_difference(34, 28, 0.5).unwrap(),
            0.3574795579194193,
        );
        assert_eq!(detectable_difference(0, 28, 0.5), None);
        // Logs 0, ln 2, ln 4, ln 8 (quartiles at 0.75 ln 2 and 2.25 ln 2: IQR 1.5 ln 2)
        // on both sides: se = 1.2533 (1.5 ln 2 / 1.349) / 2.
        // (worked out with numpy and scipy).
        let x = [1.0, 2.0, 4.0, 8.0];
        assert!((detectable_ratio(&x, &x).unwrap() - 6.777368693377122).abs() < 1e-9);
        assert_eq!(detectable_ratio(&[5.0], &x), None);
        // ceil(4/10) = 1 value
        close(top_share(&[1.0, 1.0, 2.0, 6.0], 0.1).unwrap(), 0.6);
        // 11 values: ceil(1.1) = 2 largest
        let x: Vec<f64> = (1..=11).map(f64::from).collect();
        close(top_share(&x, 0.1).unwrap(), 21.0 / 66.0);
        assert_eq!(gini(&[]), None);
    }

    /// The medians of `resamples` resamples drawn as the definition says: copy `n`
    /// values drawn with replacement, take the median.
    fn medians_by_copying(values: &[f64], resamples: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
        let n = values.len();
        (0..resamples)
            .map(|_| {
                let sample: Vec<f64> = (0..n).map(|_| values[rng.random_range(0..n)]).collect();
                median(&sample).unwrap()
            })
            .collect()
    }

    /// Kolmogorov–Smirnov distance between two samples' empirical distributions.
    fn ks(a: &[f64], b: &[f64]) -> f64 {
        let mut points: Vec<f64> = a.iter().chain(b).copied().collect();
        points.sort_by(f64::total_cmp);
        let cdf = |s: &[f64], x: f64| s.iter().filter(|v| **v <= x).count() as f64 / s.len() as f64;
        points
            .iter()
            .map(|&x| (cdf(a, x) - cdf(b, x)).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn order_statistic_medians_are_distributed_as_copied_resamples() {
        // Odd and even sizes, with ties: the resampled medians of both ways have the same
        // distribution. 20,000 of each: a KS distance above 0.02 would happen by chance
        // with probability below 0.1%; one more in the Beta's second shape gives 0.11,
        // one more in the even case's count above gives 0.028.
        let draws = 20_000;
        for values in [
            vec![5.0, 7.0, 1.0, 30.0, 2.0, 9.0, 4.0, 12.0, 3.0],
            vec![5.0, 7.0, 1.0, 30.0, 2.0, 9.0, 4.0, 12.0, 3.0, 8.0],
            vec![1.0, 1.0, 2.0, 2.0, 2.0, 5.0, 40.0, 41.0],
            vec![3.0, 8.0],
        ] {
            let copied = medians_by_copying(&values, draws, 3);
            let mut rng = rand_pcg::Pcg64::seed_from_u64(4);
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let resample = ResampledMedian::new(&sorted);
            let drawn: Vec<f64> = (0..draws).map(|_| resample.draw(&mut rng)).collect();
            let d = ks(&copied, &drawn);
            assert!(d < 0.02, "{values:?}: KS distance {d}");
        }
    }

    #[test]
    fn interval_agrees_with_copied_resamples() {
        // 2,000 resamples of 201 log-normal-like durations: both ways give the same
        // interval to within the resampling noise of its ends.
        let values: Vec<f64> = (0..201)
            .map(|i| ((i * 37 % 201) as f64 / 40.0).exp())
            .collect();
        let (a, b) = bootstrap_median_ci(&values, 0.9, 2000, 11).unwrap();
        let mut copied = medians_by_copying(&values, 2000, 12);
        copied.sort_by(f64::total_cmp);
        let (c, d) = (
            quantile_sorted(&copied, 0.05).unwrap(),
            quantile_sorted(&copied, 0.95).unwrap(),
        );
        let m = median(&values).unwrap();
        assert!(
            (a - c).abs() < 0.15 * m && (b - d).abs() < 0.15 * m,
            "{a} {b} vs {c} {d}"
        );
        assert!(a < m && m < b);
    }

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_median() {
        let x = [5.0, 7.0, 1.0, 30.0, 2.0, 9.0, 4.0, 12.0, 3.0, 8.0];
        let a = bootstrap_median_ci(&x, 0.9, 2000, 42).unwrap();
        let b = bootstrap_median_ci(&x, 0.9, 2000, 42).unwrap();
        assert_eq!(a, b);
        let m = median(&x).unwrap();
        assert!(a.0 <= m && m <= a.1, "{a:?} {m}");
        assert_eq!(bootstrap_median_ci(&[4.0], 0.9, 100, 1), Some((4.0, 4.0)));
    }
}
