//! `review`: the quarterly resilience review a CI job runs. It reads the store (it
//! ingests nothing), writes the executive report, one report per team, `metrics.json`,
//! `policy.json` and a short `summary.md` fit for a CI job summary, and says whether
//! the policy holds: exit 0 when every rule passes, 1 when one fails, 2 on error.

use crate::analysis::Analysis;
use crate::metrics;
use crate::policy::{self, Outcome};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::Path;

/// What a review found: the policy outcomes (empty without a policy).
pub struct Review {
    pub outcomes: Vec<Outcome>,
    /// The period's incidents: none means there was nothing to review.
    pub incidents: usize,
}

impl Review {
    pub fn failed(&self) -> bool {
        self.outcomes.iter().any(|o| o.status == "fail")
    }
}

/// Writes the review of one analysis into `out`: every artifact renders the same
/// analysis, so the metrics are computed once for the period and once for the previous.
pub fn run(a: &Analysis, policy_path: Option<&Path>, out: &Path) -> Result<Review> {
    let doc = serde_json::to_value(a.document())?;
    // The policy is checked against the document before anything is written.
    let policy = policy_path.map(|p| policy::check(p, &doc)).transpose()?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let (teams, _) = crate::report::write_set(a, out)?;
    write(
        out,
        "metrics.json",
        serde_json::to_string_pretty(&doc)? + "\n",
    )?;
    let outcomes = policy.map(|p| p.judge(&doc)).unwrap_or_default();
    write(
        out,
        "policy.json",
        serde_json::to_string_pretty(&outcomes)? + "\n",
    )?;
    let review = Review {
        outcomes,
        incidents: a.metrics.incidents.count,
    };
    write(
        out,
        "summary.md",
        summary(
            &a.label,
            &a.metrics,
            a.findings.first(),
            &a.followed,
            &review,
            &teams,
        ),
    )?;
    Ok(review)
}

fn write(dir: &Path, name: &str, text: String) -> Result<()> {
    let p = dir.join(name);
    crate::output::write_atomic(&p, text)
}

fn summary(
    label: &str,
    m: &metrics::Metrics,
    top: Option<&crate::findings::Finding>,
    followed: &crate::followup::Followed,
    r: &Review,
    teams: &[String],
) -> String {
    let mut s = String::new();
    let failed: Vec<&Outcome> = r.outcomes.iter().filter(|o| o.status == "fail").collect();
    let verdict = match (r.outcomes.is_empty(), failed.len()) {
        _ if m.incidents.count == 0 => "no incidents, nothing reviewed".to_string(),
        (true, _) => "no policy checked".to_string(),
        (false, 0) => "policy holds".to_string(),
        (false, n) => format!(
            "policy breached ({n} rule{} failed)",
            if n == 1 { "" } else { "s" }
        ),
    };
    let _ = writeln!(s, "## Incident review {label}: {verdict}\n");
    let _ = writeln!(
        s,
        "{} incidents from {} to before {}, as of {}.\n",
        m.incidents.count,
        &m.period.from[..10],
        &m.period.to[..10],
        &m.period.as_of[..10]
    );
    if let Some(f) = top {
        let _ = writeln!(
            s,
            "**Top insight.** {}\n",
            crate::report::markdown(&f.sentence)
        );
    }
    if !followed.decisions.is_empty() {
        let _ = writeln!(s, "**Decisions asked last period, and since.**\n");
        for d in &followed.decisions {
            let _ = writeln!(
                s,
                "- *{}* {}",
                crate::report::markdown(&d.decision),
                crate::report::markdown(&d.sentence)
            );
        }
        let _ = writeln!(s);
    }
    if !r.outcomes.is_empty() {
        let _ = writeln!(s, "| rule | observed | n | result |\n|---|---:|---:|---|");
        for o in &r.outcomes {
            let observed = o
                .observed
                .map_or("–".into(), |x| crate::findings::trim(x, 3));
            let n = o.n.map_or("–".into(), |n| n.to_string());
            let result = match o.status {
                "pass" => "pass",
                "fail" => "**FAIL**",
                _ => "not enough data",
            };
            let _ = writeln!(
                s,
                "| `{} {} {}` | {observed} | {n} | {result} |",
                o.rule.metric, o.rule.op, o.rule.value
            );
        }
        let _ = writeln!(s);
    }
    let team_list: Vec<String> = teams
        .iter()
        .map(|t| crate::report::markdown(&format!("teams/{}.html", crate::report::file_stem(t))))
        .collect();
    let _ = writeln!(
        s,
        "Artifacts: exec.html, exec.md, {}, metrics.json, policy.json.",
        team_list.join(", ")
    );
    s
}
