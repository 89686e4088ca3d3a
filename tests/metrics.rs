//! `metrics`: held against an independent pandas/scipy/lifelines implementation, and the
//! JSON shape of the spec.

use crate::util::*;
use serde_json::Value;

/// Compares the tool's document with the oracle's: same keys, counts exact, floats to
/// 1e-9 relative; `ci90` (a bootstrap the oracle does not redo) must bracket the median.
fn compare(tool: &Value, oracle: &Value, path: &str, diffs: &mut Vec<String>) {
    match (tool, oracle) {
        (Value::Object(a), Value::Object(b)) => {
            let (ka, kb): (Vec<_>, Vec<_>) = (a.keys().collect(), b.keys().collect());
            let mut sa = ka.clone();
            let mut sb = kb.clone();
            sa.sort();
            sb.sort();
            if sa != sb {
                diffs.push(format!("{path}: keys {ka:?} vs {kb:?}"));
                return;
            }
            for (k, v) in a {
                if k == "ci90" {
                    let median = a["median_minutes"].as_f64();
                    match (v, median) {
                        (Value::Array(ci), Some(m)) => {
                            let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
                            if !(lo <= m && m <= hi) {
                                diffs.push(format!("{path}.ci90 {lo}..{hi} misses the median {m}"));
                            }
                        }
                        (Value::Null, None) => {}
                        other => diffs.push(format!("{path}.ci90: {other:?}")),
                    }
                    continue;
                }
                compare(v, &b[k], &format!("{path}.{k}"), diffs);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                diffs.push(format!("{path}: {} items vs {}", a.len(), b.len()));
                return;
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(x, y, &format!("{path}[{i}]"), diffs);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                if x != y {
                    diffs.push(format!("{path}: {x} vs {y}"));
                }
            } else {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                if (x - y).abs() > 1e-9 * x.abs().max(y.abs()).max(1e-12) {
                    diffs.push(format!("{path}: {x} vs {y}"));
                }
            }
        }
        (a, b) if a == b => {}
        (a, b) => diffs.push(format!("{path}: {a} vs {b}")),
    }
}

/// The oracle's metrics document for `period` of `store`.
fn oracle_doc(store: &std::path::Path, period: &str) -> Value {
    oracle_doc_with(store, period, None)
}

/// [`oracle_doc`] under a `[themes]` mapping (as JSON) other than none.
fn oracle_doc_with(store: &std::path::Path, period: &str, themes: Option<&str>) -> Value {
    let oracle = python3()
        .env("INCIDENTLENS_ORACLE_THEMES", themes.unwrap_or("{}"))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/oracle/metrics_oracle.py"
        ))
        .arg(store)
        .arg(period)
        .output()
        .expect("python3");
    assert!(
        oracle.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&oracle.stderr)
    );
    serde_json::from_slice(&oracle.stdout).unwrap()
}

/// How the tool's metrics document for `period` differs from the oracle's, computed
/// from the same store (empty when they agree). The findings are held to their own
/// oracle (`findings_compare_what_the_oracle_computes`).
pub fn oracle_diffs(store: &std::path::Path, period: &str, tool: &Value) -> Vec<String> {
    oracle_diffs_with(store, period, tool, None)
}

/// [`oracle_diffs`] under a `[themes]` mapping, as JSON (`{"theme": ["pattern"]}`).
pub fn oracle_diffs_with(
    store: &std::path::Path,
    period: &str,
    tool: &Value,
    themes: Option<&str>,
) -> Vec<String> {
    let mut tool = tool.clone();
    tool.as_object_mut().unwrap().remove("findings");
    tool.as_object_mut().unwrap().remove("decisions_followed");
    let mut diffs = Vec::new();
    compare(
        &tool,
        &oracle_doc_with(store, period, themes),
        "$",
        &mut diffs,
    );
    diffs
}

#[test]
fn metrics_match_the_independent_oracle() {
    let w = Workdir::with_demo();
    for period in ["2026-Q3", "2026-Q2", "2026-08", "2026"] {
        let tool = w.metrics_json(&["--period", period]);
        let diffs = oracle_diffs(&w.store(), period, &tool);
        assert!(
            diffs.is_empty(),
            "{period}: tool and oracle differ:\n{}",
            diffs.join("\n")
        );
    }
}

#[test]
fn findings_compare_what_the_oracle_computes() {
    // Each finding's comparison: this period's counts from the metrics (held to the
    // oracle above), the previous period's from the oracle run on that period, and the
    // test, its Holm adjustment, the evidence and the detectable difference worked out
    // by tests/oracle/findings_oracle.py with scipy.
    let w = Workdir::with_demo();
    let mut families = std::collections::BTreeSet::new();
    for (period, previous) in [
        ("2026-Q3", "2026-Q2"),
        ("2026-08", "2026-07"),
        ("2026", "2025"),
    ] {
        let tool = w.metrics_json(&["--period", period]);
        let before = oracle_doc(&w.store(), previous);
        let (tool_path, before_path) = (w.path().join("tool.json"), w.path().join("before.json"));
        std::fs::write(&tool_path, tool.to_string()).unwrap();
        std::fs::write(&before_path, before.to_string()).unwrap();
        let out = python3()
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/oracle/findings_oracle.py"
            ))
            .args([&tool_path, &before_path])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected: Value = serde_json::from_slice(&out.stdout).unwrap();
        for f in tool["findings"].as_array().unwrap() {
            let family = f["family"].as_str().unwrap();
            let mut diffs = Vec::new();
            compare(
                &f["comparison"],
                &expected[family],
                &format!("{period} {family}"),
                &mut diffs,
            );
            assert!(diffs.is_empty(), "{}", diffs.join("\n"));
            families.insert(family.to_string());
        }
    }
    // Every family that compares was compared.
    assert_eq!(
        families.into_iter().collect::<Vec<_>>(),
        [
            "action_items",
            "changes",
            "comms",
            "declaration",
            "hotspots",
            "recovery",
            "responders",
            "retro",
            "themes"
        ]
    );
}

#[test]
fn json_keys_follow_the_spec_order() {
    let w = Workdir::with_demo();
    let m = w.metrics_json(&["--period", "2026-Q3"]);
    let keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "period",
            "incidents",
            "time_to_retro",
            "action_items",
            "hotspots",
            "hotspots_by_team",
            "hotspots_by_product_area",
            "responders",
            "workload",
            "recovery",
            "on_call",
            "page_noise",
            "themes",
            "changes",
            "recurrence",
            "phases",
            "declaration",
            "comms",
            "data_quality",
            "findings",
            "decisions_followed"
        ]
    );
    let phase: Vec<&str> = m["phases"]["time_to_ack"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        phase,
        [
            "n",
            "median_minutes",
            "p90_minutes",
            "ci90",
            "previous_n",
            "previous_median_minutes",
            "mann_whitney_p",
            "detectable_ratio"
        ]
    );
    assert_eq!(m["period"]["as_of"], "2026-10-01T00:00:00Z");
    assert_eq!(m["incidents"]["count"], 34);
    assert_eq!(m["incidents"]["excluded"], 2);
    assert_eq!(m["hotspots"][0]["service"], "checkout-api");
    // The same store and flags give the same bytes.
    let again = w.metrics_json(&["--period", "2026-Q3"]);
    assert_eq!(m, again);
}

#[test]
fn an_empty_period_gives_nulls_not_zeros() {
    let w = Workdir::with_demo();
    let m = w.metrics_json(&["--period", "2025-Q1"]);
    assert_eq!(m["incidents"]["count"], 0);
    assert_eq!(m["time_to_retro"]["coverage"], Value::Null);
    assert_eq!(
        m["phases"]["time_to_resolve"]["median_minutes"],
        Value::Null
    );
    assert_eq!(m["phases"]["time_to_resolve"]["ci90"], Value::Null);
    assert_eq!(m["responders"]["gini"], Value::Null);
    assert_eq!(m["comms"]["incidents_over_target"], Value::Null);
    assert_eq!(m["hotspots"], Value::Array(vec![]));
}

#[test]
fn as_of_judges_open_work() {
    let w = Workdir::with_demo();
    // Judged on 2026-08-15 instead of the quarter's end: fewer retros held, items younger.
    let early = w.metrics_json(&["--period", "2026-Q3", "--as-of", "2026-08-15"]);
    let late = w.metrics_json(&["--period", "2026-Q3"]);
    assert_eq!(early["period"]["as_of"], "2026-08-15T00:00:00Z");
    assert!(early["time_to_retro"]["held"].as_u64() < late["time_to_retro"]["held"].as_u64());
    assert!(early["action_items"]["total"].as_u64() < late["action_items"]["total"].as_u64());
}

#[test]
fn table_format_marks_small_samples() {
    let w = Workdir::with_demo();
    let out = w.run_status(
        &[
            "metrics",
            "--format",
            "table",
            "--period",
            "2026-Q3",
            "--store",
            w.store().to_str().unwrap(),
        ],
        0,
    );
    let text = stdout(&out);
    assert!(
        text.contains("| checkout-api     |       13* |   38% |"),
        "{text}"
    );
    assert!(text.contains("* small sample (n < 20)"), "{text}");
}

#[test]
fn bad_flags_are_refused_before_any_work() {
    let w = Workdir::with_demo();
    let store = w.store();
    let out = w.run_status(
        &[
            "metrics",
            "--period",
            "2026-Q5",
            "--store",
            store.to_str().unwrap(),
        ],
        2,
    );
    assert!(
        stderr(&out).contains(
            "--period: expected a period such as 2026-Q3, 2026-07 or 2026, found '2026-Q5'"
        ),
        "{}",
        stderr(&out)
    );
    let out = w.run_status(
        &[
            "metrics",
            "--tz",
            "Mars/Base",
            "--store",
            store.to_str().unwrap(),
        ],
        2,
    );
    assert!(
        stderr(&out).contains("--tz: expected an IANA time zone"),
        "{}",
        stderr(&out)
    );
    let out = w.run_status(
        &[
            "metrics",
            "--store",
            w.path().join("nowhere").to_str().unwrap(),
        ],
        2,
    );
    assert!(stderr(&out).contains("no store at"), "{}", stderr(&out));
}

#[test]
fn init_writes_a_config_that_loads_and_refuses_to_overwrite() {
    let w = Workdir::new();
    w.run_status(&["init"], 0);
    let text = std::fs::read_to_string(w.path().join("incidentlens.toml")).unwrap();
    assert!(text.contains("required_severities = [\"SEV1\", \"SEV2\", \"SEV3\"]"));
    let again = w.run_status(&["init"], 2);
    assert!(
        stderr(&again).contains("exists; pass --force"),
        "{}",
        stderr(&again)
    );
    // A typo in a key is an error naming its path.
    std::fs::write(
        w.path().join("incidentlens.toml"),
        "[responders]\nhero_shar = 0.3\n",
    )
    .unwrap();
    let out = w.run_status(&["demo"], 2);
    assert!(
        stderr(&out).contains("responders.hero_shar: unknown field `hero_shar`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn footer_statistics_give_each_timestamp_columns_maximum() {
    // The default as_of (the latest timestamp of the data) is read from the Parquet
    // footers' statistics; every timestamp column of every table agrees with a scan.
    use incidentlens::schema::{Kind, Table};
    let w = Workdir::new();
    w.ingest(&[
        &fixtures().join("pagerduty/org"),
        &fixtures().join("jira/org"),
        &fixtures().join("canonical/base"),
    ]);
    let store = incidentlens::store::Store::at(w.store());
    let mut checked = 0;
    for t in Table::ALL {
        for c in t.columns().iter().filter(|c| c.kind == Kind::Timestamp) {
            let scanned = store
                .read(t)
                .unwrap()
                .column(c.name)
                .unwrap()
                .cast(&polars::prelude::DataType::Int64)
                .unwrap()
                .i64()
                .unwrap()
                .iter()
                .flatten()
                .max();
            let from_footer = store.column_max(t, c.name).unwrap();
            assert_eq!(from_footer, Some(scanned), "{}.{}", t.name(), c.name);
            checked += scanned.is_some() as usize;
        }
    }
    assert!(checked >= 10, "only {checked} columns held a timestamp");
}

#[test]
fn periods_as_people_say_them() {
    let w = Workdir::with_demo();
    let s = w.store();
    let s = s.to_str().unwrap();
    let period = |args: &[&str]| -> (String, String) {
        let mut all = vec!["metrics", "--store", s, "--format", "json"];
        all.extend(args);
        let out = w.run_status(&all, 0);
        let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            m["period"]["from"].as_str().unwrap().to_string(),
            stderr(&out),
        )
    };
    // Counted from --as-of: the quarter, month or year that holds it, or the one before.
    for (name, from, said) in [
        (
            "last-quarter",
            "2026-04-01T00:00:00Z",
            "last-quarter is 2026-Q2 (2026-04-01 to 2026-06-30)",
        ),
        (
            "this-quarter",
            "2026-07-01T00:00:00Z",
            "this-quarter is 2026-Q3 (2026-07-01 to 2026-09-30)",
        ),
        (
            "last-month",
            "2026-07-01T00:00:00Z",
            "last-month is 2026-07 (2026-07-01 to 2026-07-31)",
        ),
        (
            "this-month",
            "2026-08-01T00:00:00Z",
            "this-month is 2026-08 (2026-08-01 to 2026-08-31)",
        ),
        (
            "last-year",
            "2025-01-01T00:00:00Z",
            "last-year is 2025 (2025-01-01 to 2025-12-31)",
        ),
    ] {
        let (got, err) = period(&["--period", name, "--as-of", "2026-08-15"]);
        assert_eq!(got, from, "{name}");
        assert!(
            err.contains(&format!(
                "period: {said}, counted from --as-of (2026-08-15)"
            )),
            "{err}"
        );
    }
    // January counts back a year.
    let (got, err) = period(&["--period", "last-month", "--as-of", "2026-01-10"]);
    assert_eq!(got, "2025-12-01T00:00:00Z", "{err}");
    // Without --as-of, from the store's latest record (the demo's is a follow-up closed
    // on 2026-10-03).
    let (got, err) = period(&["--period", "last-quarter"]);
    assert_eq!(got, "2026-07-01T00:00:00Z");
    assert!(
        err.contains(
            "period: last-quarter is 2026-Q3 (2026-07-01 to 2026-09-30), counted from the \
             store's latest record (2026-10-03)"
        ),
        "{err}"
    );
    // No period: which one was chosen, and why.
    let (_, err) = period(&[]);
    assert!(
        err.contains("period: none given, so the quarter of the latest incident"),
        "{err}"
    );
}

#[test]
fn the_demo_s_alerts_flap_more_in_the_third_quarter() {
    // Counted from fixtures/demo/alerts.csv by a separate script: one alert per
    // incident (28 in Q2, 34 in Q3) and order-pipeline's consumer-lag bursts (16 and 39
    // firings in 5 and 12 bursts, none opening an incident); a repeat is an alert whose
    // key fired in the 24 hours before it (within bursts, and two incidents' keys).
    let w = Workdir::with_demo();
    for (period, alerts, without, repeats) in [("2026-Q2", 44, 16, 11), ("2026-Q3", 73, 39, 29)] {
        let m = w.metrics_json(&["--period", period]);
        let n = &m["page_noise"];
        assert_eq!(
            (
                &n["alerts"],
                &n["alerts_without_incident"],
                &n["repeat_alerts"]
            ),
            (&alerts.into(), &without.into(), &repeats.into()),
            "{period}"
        );
    }
}

#[test]
fn a_stint_of_last_month_s_incident_that_runs_past_midnight_counts_this_month() {
    // Ana (no zone known: UTC) works the June incident until 23:50 on 30 June; a stint
    // lasts at least 15 minutes, so it runs to 00:05 on 1 July, into the night of July's
    // period. She is at work again at 09:00 on the July incident, under 12 hours later:
    // July has one night with activity, and it went without rest. Workload skips the
    // stints that end before a period: this one ends after July begins (its last
    // activity does not), so it stays.
    let w = Workdir::new();
    let dir = w.path().join("boundary");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("incidents.csv"),
        "incident_id,title,severity,started_at,resolved_at\n\
         acme:1,Queue stuck,SEV2,2026-06-30T23:30:00Z,2026-06-30T23:55:00Z\n\
         acme:2,Login errors,SEV2,2026-07-01T09:00:00Z,2026-07-01T09:30:00Z\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("participants.csv"),
        "incident_id,person_id,role,first_active_at,last_active_at,source\n\
         acme:1,ana@x.example,responder,2026-06-30T23:40:00Z,2026-06-30T23:50:00Z,canonical\n\
         acme:2,ana@x.example,responder,2026-07-01T09:00:00Z,2026-07-01T09:30:00Z,canonical\n",
    )
    .unwrap();
    w.ingest(&[&dir]);
    // June, judged as of its end: the same night's minutes before midnight, and no work
    // known after them yet.
    for (period, want) in [("2026-07", (1, 1)), ("2026-06", (1, 0))] {
        let m = w.metrics_json(&["--period", period]);
        let r = &m["recovery"];
        assert_eq!(
            (&r["nights_with_activity"], &r["nights_without_rest"]),
            (&want.0.into(), &want.1.into()),
            "{period}: {r}"
        );
    }
}
