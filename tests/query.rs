//! `query` and `queries`: every named query agrees with DuckDB over the same store;
//! parameters are typed and cannot change a query; outputs are safe to open.

use crate::util::*;
use serde_json::Value;

fn tool_json(w: &Workdir, args: &[&str]) -> Value {
    let store = w.store();
    let mut all = vec![
        "query",
        "--format",
        "json",
        "--store",
        store.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    serde_json::from_str(&stdout(&w.run_status(&all, 0))).unwrap()
}

fn duckdb_json(w: &Workdir, name: &str, params: &[&str]) -> Value {
    let out = python3()
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/oracle/duckdb_query.py"
        ))
        .arg(w.store())
        .arg(format!("{}/queries/{name}.sql", env!("CARGO_MANIFEST_DIR")))
        .args(params)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "duckdb {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Same rows, same columns in the same order, same values (floats to 1e-9).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.keys().eq(y.keys()) && x.iter().all(|(k, v)| same(v, &y[k]))
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        _ => a == b,
    }
}

#[test]
fn every_named_query_agrees_with_duckdb() {
    let w = Workdir::with_demo();
    let listing = stdout(&w.run_status(&["queries"], 0));
    let names: Vec<&str> = listing
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty() && !l.starts_with("Run one"))
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let sql =
            std::fs::read_to_string(format!("{}/queries/{name}.sql", env!("CARGO_MANIFEST_DIR")))
                .unwrap();
        let mut params = vec![];
        for (p, v) in [
            ("since", "since=2026-07-01"),
            ("until", "until=2026-10-01"),
            ("as_of", "as_of=2026-10-01"),
        ] {
            if sql.contains(&format!("param {p} ")) {
                params.push(v);
            }
        }
        let mut args = vec![name];
        for p in &params {
            args.push("--param");
            args.push(p);
        }
        let tool = tool_json(&w, &args);
        let duck = duckdb_json(&w, name, &params);
        assert!(
            same(&tool, &duck),
            "{name} differs:\ntool:   {tool}\nduckdb: {duck}"
        );
    }
}

#[test]
fn period_sets_the_date_parameters() {
    let w = Workdir::with_demo();
    let by_period = tool_json(&w, &["hotspots_by_service", "--period", "2026-Q3"]);
    let by_params = tool_json(
        &w,
        &[
            "hotspots_by_service",
            "--param",
            "since=2026-07-01",
            "--param",
            "until=2026-10-01",
        ],
    );
    assert_eq!(by_period, by_params);
    assert_eq!(by_period[0]["service"], "checkout-api");
    assert_eq!(by_period[0]["incidents"], 13);
}

#[test]
fn a_hostile_parameter_value_stays_a_value() {
    let w = Workdir::with_demo();
    let hostile = "service=x'; DROP TABLE incidents; --";
    let rows = tool_json(&w, &["repeat_incidents", "--param", hostile]);
    assert_eq!(
        rows,
        Value::Array(vec![]),
        "the value is one LIKE pattern that matches nothing"
    );
    // The same pattern as a wildcard finds the repeats, so the parameter is really used.
    let all = tool_json(&w, &["repeat_incidents", "--param", "service=checkout%"]);
    assert!(!all.as_array().unwrap().is_empty());
    let incidents = tool_json(&w, &["--sql", "SELECT COUNT(*) AS n FROM incidents"]);
    assert_eq!(incidents[0]["n"], 66);
}

#[test]
fn bad_parameters_and_bad_sql_are_explained() {
    let w = Workdir::with_demo();
    let store = w.store();
    let s = store.to_str().unwrap();
    let out = w.run_status(
        &[
            "query",
            "repeat_incidents",
            "--param",
            "window=3",
            "--store",
            s,
        ],
        2,
    );
    assert!(
        stderr(&out).contains("unknown parameter 'window' for query 'repeat_incidents'; it takes: since (date), until (date), days (number), service (text)"),
        "{}",
        stderr(&out)
    );
    let out = w.run_status(
        &[
            "query",
            "repeat_incidents",
            "--param",
            "days=3; DROP",
            "--store",
            s,
        ],
        2,
    );
    assert!(
        stderr(&out).contains("parameter 'days': expected a number, found '3; DROP'"),
        "{}",
        stderr(&out)
    );
    let out = w.run_status(
        &[
            "query",
            "repeat_incidents",
            "--param",
            "since=yesterday",
            "--store",
            s,
        ],
        2,
    );
    assert!(
        stderr(&out).contains("parameter 'since': expected an ISO-8601 timestamp"),
        "{}",
        stderr(&out)
    );
    let out = w.run_status(
        &[
            "query",
            "--sql",
            "SELECT id\nFROM incidents WHERE",
            "--store",
            s,
        ],
        2,
    );
    let err = stderr(&out);
    assert!(err.contains("the SQL failed:"), "{err}");
    assert!(
        err.contains("   1 | SELECT id\n   2 | FROM incidents WHERE"),
        "{err}"
    );
    let out = w.run_status(&["query", "no_such_query", "--store", s], 2);
    assert!(
        stderr(&out).contains(
            "no named query 'no_such_query'; the named queries are: change_failure_by_service, \
             comms_gaps,"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn outputs_csv_json_table_and_arrow() {
    let w = Workdir::with_demo();
    let store = w.store();
    let s = store.to_str().unwrap();
    let sql = "SELECT '=HYPERLINK(\"http://x\")' AS formula, '-2+3' AS sneaky, -1.5 AS number, 'plain' AS text";
    let csv = stdout(&w.run_status(&["query", "--sql", sql, "--format", "csv", "--store", s], 0));
    assert_eq!(
        csv,
        "formula,sneaky,number,text\n\"'=HYPERLINK(\"\"http://x\"\")\",'-2+3,-1.5,plain\n"
    );
    let json = stdout(&w.run_status(
        &["query", "--sql", sql, "--format", "json", "--store", s],
        0,
    ));
    let keys: Vec<String> = serde_json::from_str::<Value>(&json).unwrap()[0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["formula", "sneaky", "number", "text"]);
    let table = stdout(&w.run_status(
        &[
            "query",
            "who_declares",
            "--format",
            "table",
            "--period",
            "2026-Q3",
            "--store",
            s,
        ],
        0,
    ));
    assert!(table.starts_with("| function    | team"), "{table}");
    assert!(
        table.contains("| engineering | payments   |       11 |"),
        "{table}"
    );
    // Arrow IPC, read back by pyarrow.
    let out = w.run_status(
        &[
            "query",
            "incidents_per_month",
            "--format",
            "arrow",
            "--store",
            s,
        ],
        0,
    );
    let path = w.path().join("result.arrow");
    std::fs::write(&path, &out.stdout).unwrap();
    let py = python3()
        .args(["-c", "import pyarrow.ipc as i,sys; t=i.open_file(sys.argv[1]).read_all(); print(t.num_rows, t.column_names)"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&py.stdout).trim(),
        "23 ['month', 'severity', 'incidents']",
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
}

#[test]
fn only_one_read_only_statement_runs() {
    let w = Workdir::with_demo();
    let store = w.store();
    let s = store.to_str().unwrap();
    for (sql, says) in [
        (
            "DROP TABLE incidents",
            "only a read-only statement runs here (SELECT, or WITH … SELECT); found \"DROP TABLE\"",
        ),
        (
            "DELETE FROM incidents",
            "only a read-only statement runs here (SELECT, or WITH … SELECT); found \"DELETE FROM\"",
        ),
        (
            "SELECT 1 AS x; SELECT 2 AS y",
            "one statement at a time: found 2 (separated by ';')",
        ),
    ] {
        let out = w.run_status(&["query", "--store", s, "--sql", sql], 2);
        assert!(stderr(&out).contains(says), "{sql}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{sql}");
    }
    // The store is untouched, and WITH … SELECT runs.
    let out = w.run_status(
        &[
            "query",
            "--store",
            s,
            "--format",
            "csv",
            "--sql",
            "WITH i AS (SELECT * FROM incidents) SELECT count(*) AS n FROM i",
        ],
        0,
    );
    assert_eq!(stdout(&out), "n\n66\n");
}

#[test]
fn a_misspelt_query_table_or_period_gets_a_suggestion() {
    let w = Workdir::with_demo();
    let store = w.store();
    let s = store.to_str().unwrap();
    for (args, says) in [
        (
            vec!["query", "hotspot", "--store", s],
            "no named query 'hotspot'; did you mean one of 'hotspots_by_product_area', \
             'hotspots_by_service', 'hotspots_by_team'? the named queries are:",
        ),
        (
            vec!["query", "retro_backlgo", "--store", s],
            "no named query 'retro_backlgo'; did you mean 'retro_backlog'?",
        ),
        (
            vec![
                "query",
                "--store",
                s,
                "--sql",
                "SELECT count(*) FROM incident",
            ],
            "relation 'incident' was not found; did you mean 'incidents'? the tables are \
             incidents, incident_services,",
        ),
        (
            vec!["metrics", "--store", s, "--period", "Q3-2026"],
            "--period: expected a period such as 2026-Q3, 2026-07 or 2026, found 'Q3-2026'; \
             did you mean '2026-Q3'? (periods also go by this-month, last-month,",
        ),
    ] {
        let out = w.run_status(&args, 2);
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_terminal_table_rounds_fractions_and_right_aligns_numbers() {
    let w = Workdir::with_demo();
    let store = w.store();
    let sql = |format: &str, sql: &str| {
        let args = [
            "query",
            "--store",
            store.to_str().unwrap(),
            "--format",
            format,
            "--sql",
            sql,
        ];
        stdout(&w.run_status(&args, 0))
    };
    let text = sql(
        "table",
        "SELECT 'a' AS name, 1849.833333 AS hours, 0.20610687 AS share, 27 AS n \
         UNION ALL SELECT 'b' AS name, 12.3456 AS hours, 0.5 AS share, 1234 AS n",
    );
    // Rows come back in either order from the union: compare them as a set of lines.
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2..4].sort();
    assert_eq!(
        lines,
        [
            "| name |   hours | share |    n |",
            "|------|---------|-------|------|",
            "| a    | 1,849.8 | 0.206 |   27 |",
            "| b    |   12.35 |   0.5 | 1234 |",
            "(2 rows)",
        ],
        "{text}"
    );
    // CSV keeps every digit.
    assert_eq!(
        sql("csv", "SELECT 1849.833333 AS hours"),
        "hours\n1849.833333\n"
    );
}

#[test]
fn rejects_by_problem_counts_what_ingest_refused_and_agrees_with_duckdb() {
    // The canonical bad-rows file: line 3 of the wrong width, lines 4 and 5 with
    // values that do not read, line 8 a key given twice with different content.
    let w = Workdir::new();
    w.ingest(&[&fixtures().join("canonical").join("bad-rows")]);
    let tool = tool_json(&w, &["rejects_by_problem"]);
    let file = fixtures().join("canonical/bad-rows/incidents.csv");
    let file = file.to_str().unwrap();
    assert_eq!(
        tool,
        serde_json::json!([
            {"file": file, "problem": "invalid value", "records": 2,
             "first_reason": "number: expected an integer, found 'twelve'"},
            {"file": file, "problem": "conflict", "records": 1,
             "first_reason": "duplicate key incident_id=acme:10 with different content within this file (first at line 2)"},
            {"file": file, "problem": "syntax", "records": 1,
             "first_reason": "expected 7 fields as in the header, found 5"},
        ])
    );
    assert!(same(&tool, &duckdb_json(&w, "rejects_by_problem", &[])));
}

#[test]
fn person_hours_by_team_agrees_with_the_workload_metrics() {
    // On the demo (no person under two ids, no incident seen twice) the named query's
    // stints and person-hours per team are the workload family's, which the pandas
    // oracle recomputes: the same definition in SQL and in the metrics.
    let w = Workdir::with_demo();
    let rows = tool_json(&w, &["person_hours_by_team", "--period", "2026-Q3"]);
    let m = w.metrics_json(&["--period", "2026-Q3"]);
    let by_team = m["workload"]["by_team"].as_array().unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), by_team.len());
    for (r, t) in rows.iter().zip(by_team) {
        assert_eq!(r["team"], t["team"]);
        assert_eq!(r["people"], t["people"]);
        let (a, b) = (
            r["person_hours"].as_f64().unwrap(),
            t["person_hours"].as_f64().unwrap(),
        );
        assert!(
            (a - b).abs() < 1e-9 * b.max(1.0),
            "{}: {a} vs {b}",
            t["team"]
        );
    }
    let stints: u64 = rows.iter().map(|r| r["stints"].as_u64().unwrap()).sum();
    assert_eq!(stints, m["workload"]["stints"].as_u64().unwrap());
}

#[test]
fn the_change_and_theme_queries_agree_with_the_metrics() {
    // On the demo's Q3 (no incident seen twice): deployments and those an incident is
    // credited to, per service, are the changes family's (held to the pandas oracle);
    // the tag values of the quarter are the themes family's with no [themes] set.
    let w = Workdir::with_demo();
    let m = w.metrics_json(&["--period", "2026-Q3"]);
    let rows = tool_json(&w, &["change_failure_by_service", "--period", "2026-Q3"]);
    let by_service: Vec<(String, u64, u64)> = m["changes"]["by_service"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["deployments"].as_u64().unwrap() > 0)
        .map(|s| {
            (
                s["service"].as_str().unwrap().to_string(),
                s["deployments"].as_u64().unwrap(),
                s["deployments_with_incident"].as_u64().unwrap(),
            )
        })
        .collect();
    let from_sql: Vec<(String, u64, u64)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["service"].as_str().unwrap().to_string(),
                r["deployments"].as_u64().unwrap(),
                r["deployments_with_incident"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(from_sql, by_service);
    let themes = tool_json(&w, &["themes_by_quarter", "--period", "2026-Q3"]);
    let from_sql: Vec<(String, u64)> = themes
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["value"].as_str().unwrap().to_string(),
                r["incidents"].as_u64().unwrap(),
            )
        })
        .collect();
    let by_theme: Vec<(String, u64)> = m["themes"]["by_theme"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["incidents"].as_u64().unwrap() > 0)
        .map(|t| {
            (
                t["theme"].as_str().unwrap().to_string(),
                t["incidents"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(from_sql, by_theme);
}

#[test]
fn recurring_incidents_finds_shared_alert_keys_and_titles() {
    // fixtures/canonical/changes, July: #101 repeats #100's title on checkout-api
    // exactly 30 days later; #107 shares #109's alert key. (#103 and #105 recur by the
    // words of their titles, which the metrics count and this query does not.)
    let w = Workdir::new();
    w.ingest(&[&fixtures().join("canonical/changes")]);
    let rows = tool_json(&w, &["recurring_incidents", "--period", "2026-07"]);
    let pairs: Vec<(u64, u64, f64, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["number"].as_u64().unwrap(),
                r["earlier_number"].as_u64().unwrap(),
                r["days_apart"].as_f64().unwrap(),
                r["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            (101, 100, 30.0, "same service, same title"),
            (107, 109, 7.0, "same alert key")
        ]
    );
    assert!(same(
        &rows,
        &duckdb_json(
            &w,
            "recurring_incidents",
            &["since=2026-07-01", "until=2026-08-01"]
        )
    ));
}

#[test]
fn change_failure_by_service_follows_the_links_sources_give() {
    // FireHydrant's `caused` relations (one change event of two services, a later
    // suspect) and ServiceNow's caused_by (a failed change it names; a change no export
    // holds, which the window must not second-guess): the query, DuckDB and the changes
    // family agree, deployment by deployment.
    // And ServiceNow's exported with display values: caused_by names the change's number.
    let display = tempfile::tempdir().unwrap();
    for inputs in [
        vec![
            fixtures().join("firehydrant"),
            fixtures().join("firehydrant_changes"),
        ],
        vec![fixtures().join("servicenow/change_requests.json")],
        vec![crate::changes::servicenow_display_values(display.path())],
    ] {
        let w = Workdir::new();
        w.ingest(&inputs.iter().map(|p| p.as_path()).collect::<Vec<_>>());
        let m = w.metrics_json(&["--period", "2026-07"]);
        let params = ["since=2026-07-01", "until=2026-08-01"];
        let tool = tool_json(
            &w,
            &[
                "change_failure_by_service",
                "--param",
                params[0],
                "--param",
                params[1],
            ],
        );
        let duck = duckdb_json(&w, "change_failure_by_service", &params);
        assert!(
            same(&tool, &duck),
            "{inputs:?}:\ntool:   {tool}\nduckdb: {duck}"
        );
        let by_service: Vec<Value> = m["changes"]["by_service"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                serde_json::json!([
                    s["service"],
                    s["deployments"],
                    s["deployments_with_incident"]
                ])
            })
            .collect();
        let from_sql: Vec<Value> = tool
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                serde_json::json!([
                    r["service"],
                    r["deployments"],
                    r["deployments_with_incident"]
                ])
            })
            .collect();
        assert_eq!(from_sql, by_service, "{inputs:?}");
    }
}
