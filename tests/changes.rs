//! Changes and recurrence, on fixtures/canonical/changes: deployments and incidents
//! laid out so that each rule of docs/metrics.md (Changes, Recurrence) decides a case.

use crate::util::*;
use serde_json::{json, Value};

fn changes_store() -> Workdir {
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("canonical/changes")]);
    assert!(out.status.success(), "{}", stderr(&out));
    w
}

#[test]
fn deployments_are_credited_with_incidents_counted_per_deployment() {
    // July 2026 (as of 1 August: a deployment of 5 August is the latest record).
    // #101 follows d1 (exactly 24 h before) and d2 (6 h): the later, d2. #102 and #103
    // both follow d3: d3 counts once. #104 follows d4 by exactly 24 h: within. #109's
    // d11 is 24 h 1 min before: out of reach. #105 follows only d5, which failed. #106
    // is linked by its source to d6, a failed deployment of another service. #107 names
    // no service. #108 starts at the instant d9 ("prod") ships. d7 went to staging. d13
    // names no service: counted, under "unknown", and credited with nothing.
    let w = changes_store();
    let m = w.metrics_json(&["--period", "2026-07"]);
    let c = &m["changes"];
    // Deployments: d1 d2 d3 d4 d11 d8 d10 d9 d13, and d6 as linked; d10 has no status.
    assert_eq!(c["deployments"], 10);
    assert_eq!(c["deployments_status_unknown"], 1);
    // Credited: d2, d3, d4, d6, d9.
    assert_eq!(c["deployments_with_incident"], 5);
    assert_eq!(c["change_failure_rate"].as_f64().unwrap(), 0.5);
    assert_eq!(c["change_induced_incidents"], 6);
    // Eight incidents name a service; #109 alone has nothing in reach (#105 has the
    // failed d5, #106 its link).
    assert_eq!(c["incidents_with_service"], 8);
    assert_eq!(c["incidents_without_deployment_in_reach"], 1);
    // Recovery: 0.5, 1, 2, 3, 4 h resolved, #108 open (84 h at as_of): S = 5/6, 4/6,
    // 3/6 at 2 h.
    assert_eq!(c["recovery_median_hours"], 2.0);
    assert_eq!(c["recovery_resolved"], 5);
    let induced: Vec<(String, String, f64, bool)> = c["induced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["incident_id"].as_str().unwrap().to_string(),
                i["deployment_id"].as_str().unwrap().to_string(),
                i["hours_before"].as_f64().unwrap(),
                i["linked_by_source"].as_bool().unwrap(),
            )
        })
        .collect();
    let want = [
        ("acme:101", "d2", 6.0, false),
        ("acme:102", "d3", 1.0, false),
        ("acme:103", "d3", 6.0, false),
        ("acme:104", "d4", 24.0, false),
        ("acme:106", "d6", 24.0, true),
        ("acme:108", "d9", 0.0, false),
    ];
    let want: Vec<(String, String, f64, bool)> = want
        .iter()
        .map(|(i, d, h, l)| (i.to_string(), d.to_string(), *h, *l))
        .collect();
    assert_eq!(induced, want);
    let by: Vec<(&str, u64, u64, u64)> = c["by_service"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap(),
                s["deployments"].as_u64().unwrap(),
                s["deployments_with_incident"].as_u64().unwrap(),
                s["change_induced_incidents"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("payments-gateway", 3, 1, 2),
            ("checkout-api", 2, 1, 1),
            ("flags", 1, 1, 1),
            ("search", 1, 1, 1),
            ("web", 1, 1, 1),
            ("db", 1, 0, 0),
            ("unknown", 1, 0, 0),
        ]
    );
}

#[test]
fn incidents_recur_by_alert_key_or_by_service_and_title() {
    // #101 after #100, exactly 30 days before, same title. #102's "payments gateway
    // errors" (#99) is 30 days and 1 minute before: too early. #103 after #102: digits
    // aside the titles are the same words. #105 after #104: 3 of 4 words (0.75). #107
    // after #109 through the alert key "disk-full", with no service. #108 and #106 have
    // the same title but no service or key in common.
    let w = changes_store();
    let m = w.metrics_json(&["--period", "2026-07"]);
    let r = &m["recurrence"];
    assert_eq!(r["incidents"], 9);
    assert_eq!(r["recurring"], 4);
    let pairs: Vec<Value> = r["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            // Days apart, said in hours to the millisecond (JSON floats read back to
            // within a unit in the last place).
            let hours = (p["days_apart"].as_f64().unwrap() * 24.0 * 3.6e6).round() / 3.6e6;
            json!([
                p["incident"],
                p["earlier"],
                hours,
                p["same_alert_key"],
                p["service"],
                p["title_similarity"]
            ])
        })
        .collect();
    assert_eq!(
        pairs,
        [
            json!(["#101", "#100", 720.0, false, "checkout-api", 1.0]),
            json!(["#103", "#102", 5.0, false, "payments-gateway", 1.0]),
            json!(["#105", "#104", 120.0, false, "search", 0.75]),
            json!(["#107", "#109", 168.0, true, null, 0.4]),
        ]
    );
}

#[test]
fn changes_and_recurrence_match_the_independent_oracle() {
    let w = changes_store();
    for period in ["2026-07", "2026-Q3", "2026"] {
        let tool = w.metrics_json(&["--period", period]);
        let diffs = crate::metrics::oracle_diffs(&w.store(), period, &tool);
        assert!(diffs.is_empty(), "{period}: {}", diffs.join("\n"));
    }
}

#[test]
fn github_deployments_statuses_graphql_and_releases_read_as_deployments() {
    // fixtures/github/deployments: our own data in the REST and GraphQL shapes.
    use incidentlens::record::Value as V;
    use incidentlens::schema::{col, Table};
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("github/deployments")]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Every record accounted for: read, ingested, duplicate, pending, skipped, rejected.
    for (file, cells) in [
        ("deployments.json", ["3", "3", "0", "0", "0", "0"]),
        // The pending status settles nothing: skipped with its reason.
        ("statuses-103.json", ["2", "1", "0", "0", "1", "0"]),
        ("graphql.json", ["3", "3", "0", "0", "0", "0"]),
        // The draft release: skipped.
        ("releases.json", ["3", "2", "0", "0", "1", "0"]),
    ] {
        let got = accounting(&out, file);
        assert_eq!(got[1], "github_deployments", "{file}: {got:?}");
        assert_eq!(got[2..], cells, "{file}: {got:?}");
    }
    let s = w.store();
    let dep = |id: &str| {
        let r = rows(&s, Table::Deployments, col::DEPLOYMENT_ID, id);
        assert_eq!(r.len(), 1, "{id}");
        (
            r[0][col::SERVICE].clone(),
            r[0][col::ENVIRONMENT].clone(),
            r[0][col::AT].clone(),
            r[0][col::STATUS].clone(),
        )
    };
    let txt = V::text;
    assert_eq!(
        dep("github:acme/checkout-api:101"),
        (
            txt("checkout-api"),
            txt("production"),
            t("2026-07-10T06:00:00Z"),
            V::Null
        )
    );
    assert_eq!(dep("github:acme/checkout-api:102").1, txt("staging"));
    // GraphQL: the latest status, else the deployment's state.
    assert_eq!(
        dep("github:acme/payments-gateway:202"),
        (
            txt("payments-gateway"),
            txt("production"),
            t("2026-07-13T09:00:00Z"),
            txt("failure")
        )
    );
    assert_eq!(dep("github:acme/payments-gateway:203").3, V::Null);
    // A release: a success at publication, a prerelease to its own environment.
    assert_eq!(
        dep("github:acme/search:release:301"),
        (
            txt("search"),
            txt("production"),
            t("2026-07-14T10:00:00Z"),
            txt("success")
        )
    );
    assert_eq!(dep("github:acme/search:release:303").1, txt("prerelease"));
    // The statuses that settle: 101's embedded success, 103's failure from its own
    // file, 201's latest status.
    let settled: Vec<(String, V)> = [
        "checkout-api:101",
        "checkout-api:103",
        "payments-gateway:201",
    ]
    .iter()
    .map(|id| {
        let r = rows(
            &s,
            Table::DeploymentStatuses,
            col::DEPLOYMENT_ID,
            &format!("github:acme/{id}"),
        );
        assert_eq!(r.len(), 1, "{id}");
        (id.to_string(), r[0][col::STATUS].clone())
    })
    .collect();
    assert_eq!(
        settled,
        [
            ("checkout-api:101".to_string(), txt("success")),
            ("checkout-api:103".to_string(), txt("failure")),
            ("payments-gateway:201".to_string(), txt("success")),
        ]
    );
    // July: 101, 201 (successes) and 301 are production deployments that did not fail;
    // 103 failed by its status, 202 by its state; 102, 203 and 303 are not production.
    let m = w.metrics_json(&["--period", "2026-07"]);
    assert_eq!(m["changes"]["deployments"], 3);
    assert_eq!(m["changes"]["deployments_status_unknown"], 0);
}

#[test]
fn themes_map_tags_by_pattern_and_state_their_coverage() {
    // fixtures/canonical/changes/incident_tags.csv under three themes. July: #101
    // "Deploy rollback" (both CI/CD patterns, without case) and #102 "deploy" are CI/CD;
    // #103 "Capacity" and #105 "saturation" Capacity; #106's "Root cause: third-party"
    // Vendors through its tag:value; #104's label matches nothing. 5 of 9 incidents carry
    // a theme. June: #100 CI/CD, #99 Capacity, of 2. Fisher's exact tests of 2 of 5
    // against 1 of 2 and 1 of 5 against 0 of 2 are all p = 1 (scipy), so Holm's too.
    let w = changes_store();
    let config = w.path().join("themes.toml");
    std::fs::write(
        &config,
        "[themes]\n\"CI/CD\" = [\"deploy*\", \"*rollback*\"]\nCapacity = [\"capacity\", \"saturation\"]\nVendors = [\"root cause:third*\"]\n",
    )
    .unwrap();
    let args = ["--config", config.to_str().unwrap(), "--period", "2026-07"];
    let m = w.metrics_json(&args);
    let th = &m["themes"];
    assert_eq!(
        (
            &th["mapped"],
            &th["incidents"],
            &th["tagged"],
            &th["previous_tagged"]
        ),
        (&json!(true), &json!(9), &json!(5), &json!(2))
    );
    let rows: Vec<Value> = th["by_theme"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            json!([
                t["theme"],
                t["incidents"],
                t["share"],
                t["previous"],
                t["holm_p_value"]
            ])
        })
        .collect();
    assert_eq!(
        rows,
        [
            json!(["CI/CD", 2, 0.4, 1, 1.0]),
            json!(["Capacity", 2, 0.4, 1, 1.0]),
            json!(["Vendors", 1, 0.2, 0, 1.0]),
        ]
    );
    let themes = r#"{"CI/CD": ["deploy*", "*rollback*"], "Capacity": ["capacity", "saturation"], "Vendors": ["root cause:third*"]}"#;
    let diffs = crate::metrics::oracle_diffs_with(&w.store(), "2026-07", &m, Some(themes));
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // A pattern that is not one is refused when the settings are read, naming it.
    std::fs::write(&config, "[themes]\nBroken = [\"deploy[\"]\n").unwrap();
    let store = w.store();
    let mut run = vec!["metrics", "--store", store.to_str().unwrap()];
    run.extend(args);
    let out = w.run_status(&run, 2);
    assert!(
        stderr(&out).contains("themes.Broken: 'deploy[' is not a pattern"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn firehydrant_change_events_and_their_caused_relations_credit_incidents() {
    // fixtures/firehydrant_changes: our own data in FireHydrant's shapes (ChangeEventEntity
    // under `{data, pagination}`; an incident's related change events, each holding its
    // change event whole). ce-2 names two services: a deployment of each. fh-1 (started
    // 2026-07-15 08:00, order-pipeline) is `caused` by ce-2 and `suspects` ce-1, which is
    // later (02:00) and would be the window's choice: the source's link wins, and of
    // ce-2's two deployments the one of fh-1's own service.
    let changes = fixtures().join("firehydrant_changes");
    let incidents = fixtures().join("firehydrant");
    let mut figures = Vec::new();
    for order in [[&incidents, &changes], [&changes, &incidents]] {
        let w = Workdir::new();
        let first = w.ingest(&[order[0]]);
        w.ingest(&[order[1]]);
        if order[0] == &changes {
            // Before the incidents came, fh-1's links waited for them.
            assert_eq!(
                accounting(&first, "related_change_events.json")[2..],
                ["4", "0", "1", "2", "1"]
            );
        }
        let m = w.metrics_json(&["--period", "2026-07"]);
        let diffs = crate::metrics::oracle_diffs(&w.store(), "2026-07", &m);
        assert!(diffs.is_empty(), "{}", diffs.join("\n"));
        figures.push(m["changes"].clone());
    }
    assert_eq!(
        figures[0], figures[1],
        "the order of the files changed the figures"
    );
    let c = &figures[0];
    // ce-1, ce-2 twice, ce-3 (no service, no environment: production, under unknown);
    // ce-4's clock does not parse (a reject).
    assert_eq!(c["deployments"], 4);
    assert_eq!(c["deployments_status_unknown"], 4);
    assert_eq!(c["deployments_with_incident"], 1);
    assert_eq!(
        c["induced"],
        json!([{"incident_id": "firehydrant:fh-1",
                "deployment_id": "firehydrant:ce-2:order-pipeline",
                "service": "order-pipeline", "hours_before": 12.0, "linked_by_source": true}])
    );
    // The relation to fh-9 (no such incident yet) is pending, not lost; the relation
    // without its change event is a reject naming why.
    let w = Workdir::new();
    let out = w.ingest(&[&incidents, &changes]);
    assert_eq!(
        accounting(&out, "related_change_events.json")[2..],
        ["4", "1", "1", "1", "1"]
    );
    assert!(stderr(&out).contains(
        "related_change_events.json: $.data[3]: a related change without its 'change_event'"
    ));
    assert!(stderr(&out)
        .contains("change_events.json: $.data[3]: starts_at: expected an ISO-8601 timestamp"));
}

#[test]
fn servicenow_change_requests_and_caused_by_read_alike_from_json_and_csv() {
    // fixtures/servicenow/change_requests.json and the same records as list exports in
    // fixtures/servicenow_csv. CHG1 (successful, 22:00 on 2 July) and CHG2 (unsuccessful,
    // 06:00 on 3 July) precede INC1 (08:15) and INC3 (09:00), both payments-gateway.
    // INC1's caused_by names CHG2: credited though it failed. INC3 names nothing: the
    // window credits CHG1, not the failed CHG2. INC2's caused_by names a change no export
    // holds: not credited, though CHG5 is in reach. CHG3 (canceled) and CHG4 (scheduled)
    // are skipped; CHG6 has no start and is rejected.
    let json_w = Workdir::new();
    let out = json_w.ingest(&[&fixtures().join("servicenow/change_requests.json")]);
    assert_eq!(
        accounting(&out, "change_requests.json")[2..],
        ["9", "6", "0", "0", "2", "1"]
    );
    let csv_w = Workdir::new();
    let csv = fixtures().join("servicenow_csv");
    let (a, b) = (
        csv.join("change_requests.csv").display().to_string(),
        csv.join("incidents_caused_by_change.csv")
            .display()
            .to_string(),
    );
    let store = csv_w.store().display().to_string();
    csv_w.run_status(
        &["ingest", "--timezone", "UTC", "--store", &store, &a, &b],
        0,
    );
    let mut figures = Vec::new();
    for w in [&json_w, &csv_w] {
        let m = w.metrics_json(&["--period", "2026-07"]);
        let diffs = crate::metrics::oracle_diffs(&w.store(), "2026-07", &m);
        assert!(diffs.is_empty(), "{}", diffs.join("\n"));
        let c = &m["changes"];
        let induced: Vec<Value> = c["induced"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| json!([i["hours_before"], i["linked_by_source"]]))
            .collect();
        figures.push(json!([
            c["deployments"],
            c["deployments_status_unknown"],
            c["deployments_with_incident"],
            c["incidents_linked_to_unknown_change"],
            c["incidents_without_deployment_in_reach"],
            induced
        ]));
    }
    assert_eq!(
        figures[0],
        json!([3, 1, 2, 1, 0, [[2.25, true], [11.0, false]]])
    );
    assert_eq!(figures[0], figures[1]);
    // Exported with sysparm_display_value=true, as the real sample in
    // ../shared/samples/servicenow is: every reference a plain string, so INC1's
    // caused_by gives CHG2's number while CHG2 is keyed by its sys_id. The same figures.
    let display_w = Workdir::new();
    let file = servicenow_display_values(display_w.path());
    display_w.ingest(&[&file]);
    let m = display_w.metrics_json(&["--period", "2026-07"]);
    let diffs = crate::metrics::oracle_diffs(&display_w.store(), "2026-07", &m);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    let c = &m["changes"];
    assert_eq!(
        json!([
            c["deployments"],
            c["deployments_with_incident"],
            c["incidents_linked_to_unknown_change"]
        ]),
        json!([3, 2, 1])
    );
}

/// fixtures/servicenow/change_requests.json as a Table API export with
/// sysparm_display_value=true writes it (every reference its display value, or its
/// sys_id where it has none), in `dir`.
pub fn servicenow_display_values(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixtures().join("servicenow/change_requests.json")).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    for record in doc["result"].as_array_mut().unwrap() {
        for (_, v) in record.as_object_mut().unwrap().iter_mut() {
            if v.is_object() {
                *v = v.get("display_value").unwrap_or(&v["value"]).clone();
            }
        }
    }
    assert_eq!(doc["result"][6]["caused_by"], json!("CHG0030002"));
    let file = dir.join("change_requests_display.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    file
}

#[test]
fn postmortem_tickets_labels_and_components_are_their_incidents_themes() {
    // fixtures/jira/org: OPS-5, a post-incident review of incident-102 (PagerDuty PI2),
    // carries the label db-migration and the component Database; its label incident-102
    // names the incident and is no factor. OPS-1's labels (inc-101, postmortem) are a
    // reference and the postmortem marker: no themes. Jira first or PagerDuty first,
    // linking finds the incident and the themes follow.
    let (pd, jira) = (
        fixtures().join("pagerduty/org"),
        fixtures().join("jira/org"),
    );
    for order in [[&pd, &jira], [&jira, &pd]] {
        let w = Workdir::new();
        w.ingest(&[order[0]]);
        w.ingest(&[order[1]]);
        let m = w.metrics_json(&["--period", "2026-07"]);
        let th = &m["themes"];
        assert_eq!(
            (th["incidents"].clone(), th["tagged"].clone()),
            (json!(3), json!(1))
        );
        let names: Vec<&str> = th["by_theme"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["theme"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["component: Database", "db-migration"]);
        // The oracle's themes (its link check reads chat channels only, and OPS-8 names
        // an incident no export has).
        let diffs: Vec<String> = crate::metrics::oracle_diffs(&w.store(), "2026-07", &m)
            .into_iter()
            .filter(|d| d.starts_with("$.themes"))
            .collect();
        assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    }
    // The CSV export: PAY-1's component Payments (its labels incident-102 and postmortem
    // are no factors) is stored for its retro.
    let w = Workdir::new();
    let (store, csv) = (
        w.store().display().to_string(),
        fixtures().join("jira_csv/issues.csv").display().to_string(),
    );
    w.run_status(&["ingest", "--timezone", "UTC", "--store", &store, &csv], 0);
    use incidentlens::schema::{col, Table};
    let tags = rows(&w.store(), Table::RetroTags, col::RETRO_ID, "jira:PAY-1");
    let got: Vec<(String, String)> = tags
        .iter()
        .map(|r| (r[col::TAG].to_string(), r[col::VALUE].to_string()))
        .collect();
    assert_eq!(got, [("component".to_string(), "Payments".to_string())]);
}

/// The report of `period` on the workdir's store: its top insight's line.
fn top_insight(w: &Workdir, period: &str) -> String {
    let md = crate::report::report_text(w, &["--period", period], "report.md");
    md.lines()
        .find(|l| l.starts_with("**Top insight.**"))
        .expect("a top insight")
        .to_string()
}

#[test]
fn a_change_finding_can_be_the_top_insight_with_its_coverage_and_evidence() {
    // fixtures/canonical/changes, July: 6 of 9 incidents credited to a deployment, 5 of
    // 10 deployments followed by one (hand-worked above); nothing else says as much.
    let w = changes_store();
    let top = top_insight(&w, "2026-07");
    for part in [
        // #106 is credited by its source's link, to another service's deployment: the
        // sentence does not claim the window for it.
        "6 of the 9 incidents followed a change: 5 within 24 hours after a production \
         deployment of their service, 1 linked by their source to the change that caused them",
        "5 of 10 deployments (50%) were followed by one",
        // The chart counts deployments followed by an incident: five services tie at one.
        "5 services had 1 deployment followed by an incident each; of them flags's share was \
         the highest: 1 of 1 (100%).",
        // What the rate cannot see, and how much the evidence can bear.
        "1 of the 8 incidents with a known service had no deployment in reach",
        "With 10 deployments, too few to base a decision on.",
    ] {
        assert!(top.contains(part), "{part:?} not in {top}");
    }
}

#[test]
fn a_theme_can_be_the_top_insight_with_its_coverage_and_evidence() {
    // 40 incidents a quarter, each with one cause: deploy for 6 of Q2's and 30 of Q3's,
    // capacity for the rest. Fisher's exact test of 30/40 against 6/40 gives p =
    // 9.5e-8 (scipy.stats.fisher_exact), 1.9e-7 after Holm over the two themes.
    let w = Workdir::new();
    let dir = w.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let mut incidents = String::from("incident_id,number,title,severity,started_at,resolved_at\n");
    let mut tags = String::from("incident_id,tag,value\n");
    for (q, (month, deploy)) in [(4, 6), (7, 30)].into_iter().enumerate() {
        for k in 0..40 {
            let n = q * 40 + k + 1;
            let (day, month) = (1 + (2 * k) % 30, month + (2 * k) / 30);
            let at = format!("2026-{month:02}-{day:02}T10:00:00Z");
            let end = format!("2026-{month:02}-{day:02}T11:00:00Z");
            incidents += &format!("acme:{n},{n},Incident {n},SEV3,{at},{end}\n");
            let cause = if k < deploy { "deploy" } else { "capacity" };
            tags += &format!("acme:{n},cause,{cause}\n");
        }
    }
    std::fs::write(dir.join("incidents.csv"), incidents).unwrap();
    std::fs::write(dir.join("incident_tags.csv"), tags).unwrap();
    w.ingest(&[&dir]);
    let m = w.metrics_json(&["--period", "2026-Q3"]);
    let deploy = &m["themes"]["by_theme"][0];
    assert_eq!(deploy["theme"], "deploy");
    assert!((deploy["p_value"].as_f64().unwrap() - 9.508108852620678e-08).abs() < 1e-15);
    assert!((deploy["holm_p_value"].as_f64().unwrap() - 1.9016217705241356e-07).abs() < 1e-14);
    assert_eq!(m["findings"][0]["family"], "themes");
    let top = top_insight(&w, "2026-Q3");
    for part in [
        "30 of the 40 incidents with a recorded theme (75%) relate to deploy, up from 6 of 40 (15%) in the previous period",
        "strong evidence of a real change (Fisher's exact test, Holm-adjusted for the 2 themes compared",
        "A theme is recorded for 40 of the period's 40 incidents (100%).",
    ] {
        assert!(top.contains(part), "{part:?} not in {top}");
    }
}
