//! Policy checks for the CI review: rules on metric paths of `metrics.json`.
//!
//! ```toml
//! [[rule]]
//! metric = "time_to_retro.by_severity.SEV1.coverage"
//! op = ">="
//! value = 0.9
//! min_n = 5   # below this sample size: "not enough data", not a failure
//! ```
//!
//! A path is checked against the document before anything is judged; an unknown one is
//! an error that suggests the nearest valid path. A rule's sample size is the `n`-like
//! field beside its metric (`n`, `required`, `total`, …), else the period's incident
//! count.

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What `incidentlens init --policy` writes.
pub const EXAMPLE: &str = include_str!("policy_example.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(rename = "rule", default)]
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub metric: String,
    pub op: String,
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_n: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    #[serde(flatten)]
    pub rule: Rule,
    pub observed: Option<f64>,
    pub n: Option<u64>,
    /// `pass`, `fail` or `not_enough_data`.
    pub status: &'static str,
}

impl Policy {
    pub fn load(path: &std::path::Path) -> Result<Policy> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read policy {}", path.display()))?;
        let p: Policy =
            toml::from_str(&text).with_context(|| format!("invalid policy {}", path.display()))?;
        for (i, r) in p.rules.iter().enumerate() {
            if !["<", "<=", ">", ">=", "==", "!="].contains(&r.op.as_str()) {
                bail!(
                    "{}: rule {} ({}): op must be one of < <= > >= == !=, found '{}'",
                    path.display(),
                    i + 1,
                    r.metric,
                    r.op
                );
            }
        }
        Ok(p)
    }

    /// Checks every path exists in `doc`, suggesting the nearest when one does not.
    pub fn validate(&self, doc: &Value) -> Result<()> {
        let paths = leaf_paths(doc);
        for r in &self.rules {
            // A rule compares a number; null is a number not measured this period.
            let what = match lookup(doc, &r.metric) {
                Some(Value::Array(_)) => Some("a list"),
                Some(Value::Object(_)) => Some("a group of metrics"),
                Some(Value::String(_)) => Some("a text"),
                Some(Value::Bool(_)) => Some("true or false"),
                _ => None,
            };
            if let Some(what) = what {
                let inside: Vec<&String> = paths
                    .iter()
                    .filter(|p| p.starts_with(&r.metric) && p.len() > r.metric.len())
                    .take(3)
                    .collect();
                bail!(
                    "metric '{}' is {what}, not a number: a rule compares a number{}",
                    r.metric,
                    if inside.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (such as {})",
                            inside
                                .iter()
                                .map(|p| format!("'{p}'"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                );
            }
            if lookup(doc, &r.metric).is_none() {
                let nearest = paths
                    .iter()
                    .min_by_key(|p| strsim::levenshtein(p, &r.metric))
                    .cloned()
                    .unwrap_or_default();
                bail!(
                    "unknown metric path '{}'; did you mean '{nearest}'?",
                    r.metric
                );
            }
        }
        Ok(())
    }

    pub fn judge(&self, doc: &Value) -> Vec<Outcome> {
        self.rules
            .iter()
            .map(|r| {
                let observed = lookup(doc, &r.metric).and_then(Value::as_f64);
                let n = sample_size(doc, &r.metric);
                let status = match (observed, r.min_n, n) {
                    (None, _, _) => "not_enough_data",
                    (_, Some(min), Some(n)) if n < min => "not_enough_data",
                    (Some(x), _, _) => {
                        let ok = match r.op.as_str() {
                            "<" => x < r.value,
                            "<=" => x <= r.value,
                            ">" => x > r.value,
                            ">=" => x >= r.value,
                            "==" => x == r.value,
                            _ => x != r.value,
                        };
                        if ok {
                            "pass"
                        } else {
                            "fail"
                        }
                    }
                };
                Outcome {
                    rule: r.clone(),
                    observed,
                    n,
                    status,
                }
            })
            .collect()
    }
}

/// The value at a dotted path; array elements as `hotspots[0]`.
pub fn lookup<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = doc;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !key.is_empty() {
            v = v.get(key)?;
        }
        if let Some(i) = index {
            v = v.get(i)?;
        }
    }
    Some(v)
}

/// Every path to a number or null in the document.
fn leaf_paths(doc: &Value) -> Vec<String> {
    fn walk(v: &Value, prefix: String, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => o.iter().for_each(|(k, x)| {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(x, p, out)
            }),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| walk(x, format!("{prefix}[{i}]"), out)),
            Value::Number(_) | Value::Null => out.push(prefix),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, String::new(), &mut out);
    out
}

/// The sample size beside a metric, else the period's incident count.
fn sample_size(doc: &Value, path: &str) -> Option<u64> {
    let parent = path.rsplit_once('.').map(|(p, _)| p);
    let siblings = parent.and_then(|p| lookup(doc, p));
    [
        "n",
        "required",
        "total",
        "incidents",
        "incidents_with_updates",
        "distinct_responders",
        "deployments",
    ]
    .iter()
    .find_map(|k| siblings.and_then(|s| s.get(k)).and_then(Value::as_u64))
    .or_else(|| doc.pointer("/incidents/count").and_then(Value::as_u64))
}

/// A policy file's rules as a readable error, for a bad path at load time.
pub fn check(path: &std::path::Path, doc: &Value) -> Result<Policy> {
    let p = Policy::load(path)?;
    p.validate(doc)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_rule_on_something_other_than_a_number_is_refused() {
        let doc =
            json!({"hotspots": [{"service": "api", "incidents": 3}], "retro": {"coverage": null}});
        let p = |metric: &str| Policy {
            rules: vec![Rule {
                metric: metric.into(),
                op: "<".into(),
                value: 1.0,
                min_n: None,
            }],
        };
        let err = p("hotspots").validate(&doc).unwrap_err().to_string();
        assert_eq!(
            err,
            "metric 'hotspots' is a list, not a number: a rule compares a number (such as \
             'hotspots[0].incidents')"
        );
        assert!(p("hotspots[0].service").validate(&doc).is_err());
        // A number not measured this period is fine: "not enough data".
        assert!(p("retro.coverage").validate(&doc).is_ok());
        assert!(p("hotspots[0].incidents").validate(&doc).is_ok());
    }

    #[test]
    fn paths_rules_and_suggestions() {
        let doc = json!({"incidents": {"count": 30},
            "time_to_retro": {"by_severity": {"SEV1": {"required": 4, "coverage": 0.5}}},
            "responders": {"top1_share": 0.3}, "hotspots": [{"share": 0.4}]});
        let p: Policy = toml::from_str(
            "[[rule]]\nmetric = \"time_to_retro.by_severity.SEV1.coverage\"\nop = \">=\"\nvalue = 0.9\nmin_n = 5\n\
             [[rule]]\nmetric = \"responders.top1_share\"\nop = \"<=\"\nvalue = 0.25\n\
             [[rule]]\nmetric = \"hotspots[0].share\"\nop = \"<\"\nvalue = 0.5\n",
        )
        .unwrap();
        p.validate(&doc).unwrap();
        let out: Vec<&str> = p.judge(&doc).iter().map(|o| o.status).collect();
        assert_eq!(out, ["not_enough_data", "fail", "pass"]);
        let typo: Policy =
            toml::from_str("[[rule]]\nmetric = \"responders.top1_shar\"\nop = \"<=\"\nvalue = 1\n")
                .unwrap();
        assert_eq!(
            typo.validate(&doc).unwrap_err().to_string(),
            "unknown metric path 'responders.top1_shar'; did you mean 'responders.top1_share'?"
        );
    }

    #[test]
    fn the_example_policy_parses() {
        let p: Policy = toml::from_str(EXAMPLE).unwrap();
        assert!(p.rules.len() >= 3);
    }
}
