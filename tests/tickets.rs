//! Ticketing sources: Jira (JSON and CSV), ServiceNow (JSON and event-log CSV) and GitHub
//! issues; their linking to pager incidents; and the retro and action-item metrics over a
//! store holding PagerDuty and Jira, with values worked out by hand.

use crate::util::*;
use incidentlens::record::Value;
use incidentlens::schema::{col, Table};
use incidentlens::store::Store;
use std::path::Path;

fn count(store: &Path, table: Table, name: &str, value: &str) -> usize {
    column(store, table, name)
        .iter()
        .filter(|v| **v == text(value))
        .count()
}

fn config(w: &Workdir, toml: &str) {
    std::fs::write(w.path().join("incidentlens.toml"), toml).unwrap();
}

#[test]
fn every_jira_and_github_sample_is_accounted_for() {
    let w = Workdir::new();
    let (jira, github) = (samples_or_skip!("jira"), samples_or_skip!("github"));
    let out = w.ingest(&[&jira, &github]);
    for (file, source, want) in [
        // Histories exported on their own name no issue: each is skipped, and the
        // output says why.
        (
            "devlake_issue_changelogs.json",
            "jira",
            ["279", "0", "0", "0", "279", "0"],
        ),
        (
            "devlake_issues_with_changelog.json",
            "jira",
            ["33", "33", "0", "0", "0", "0"],
        ),
        (
            "issues_in_sprint_with_changelog.json",
            "jira",
            ["1", "1", "0", "0", "0", "0"],
        ),
        // A Jira 5 search response (+1300 offsets) and a bare array of Jira Cloud issues.
        (
            "jira-ruby_search.json",
            "jira",
            ["11", "11", "0", "0", "0", "0"],
        ),
        (
            "faros_issues_with_changelog.json",
            "jira",
            ["4", "4", "0", "0", "0", "0"],
        ),
        // A /search/jql page whose TEST-1..3 carry the keys of the Faros file's issues,
        // updated earlier (another test site's same project key): the older export
        // does not replace the newer.
        (
            "jiracli_search_jql_page.json",
            "jira",
            ["3", "0", "3", "0", "0", "0"],
        ),
        // 42 objects, 16 of them pull requests.
        (
            "_raw_github_api_issues.data.json",
            "github",
            ["42", "26", "0", "0", "16", "0"],
        ),
    ] {
        let cells = accounting(&out, file);
        assert_eq!(cells[1], source, "{file}");
        assert_eq!(cells[2..], want, "{file}");
    }
    let err = stderr(&out);
    assert!(
        err.contains(
            "devlake_issue_changelogs.json: 279 records: a changelog history exported on its \
             own, without the issue it belongs to; export the issues with expand=changelog to \
             have them (at $[0], $[1], $[2], …)"
        ),
        "{err}"
    );
    let s = w.store();
    // EE-2, read off the file: status category done (status named 已完成); created
    // 2020-06-12T08:15:36.123+0800; moved Open → Resolved with the resolution set at
    // 2020-06-23T18:20:59.052+0800 (resolutiondate says 18:20:58.999: the changelog
    // decides), then Closed and 已完成, both still done; assigned to Dingding Zhang.
    let ee2 = one(&s, Table::ActionItems, col::ITEM_ID, "jira:EE-2");
    assert_eq!(ee2[col::STATUS], text("done"));
    assert_eq!(ee2[col::STATUS_RAW], text("已完成"));
    assert_eq!(ee2[col::CREATED_AT], t("2020-06-12T08:15:36.123+08:00"));
    assert_eq!(ee2[col::COMPLETED_AT], t("2020-06-23T18:20:59.052+08:00"));
    assert_eq!(ee2[col::OWNER], text("jira:5ecfbd0c730ec90c1999cadf"));
    assert_eq!(
        ee2[col::URL],
        text("https://merico.atlassian.net/browse/EE-2")
    );
    assert_eq!(ee2[col::INCIDENT_ID], Value::Null);
    let dz = one(
        &s,
        Table::People,
        col::PERSON_ID,
        "jira:5ecfbd0c730ec90c1999cadf",
    );
    assert_eq!(dz[col::DISPLAY_NAME], text("Dingding Zhang"));
    assert_eq!(dz[col::TIMEZONE], text("Asia/Shanghai"));
    // EE-1's category is "new" although its status is named 已完成: open.
    let ee1 = one(&s, Table::ActionItems, col::ITEM_ID, "jira:EE-1");
    assert_eq!(ee1[col::STATUS], text("open"));
    assert_eq!(ee1[col::COMPLETED_AT], Value::Null);
    // Resolution "Won't Do" on EE-20, EE-24, EE-26, EE-30, EE-35: dropped, not done.
    assert_eq!(
        one(&s, Table::ActionItems, col::ITEM_ID, "jira:EE-20")[col::STATUS],
        text("wont_do")
    );
    // Jira: 21 done, 7 open, 5 won't do in the devlake file; AR-86 (category "new") open;
    // 11 jira-ruby and 4 Faros issues.
    assert_eq!(
        count(&s, Table::ActionItems, col::SOURCE, "jira"),
        34 + 11 + 4
    );
    // GitHub: the 26 issues are closed as completed.
    assert_eq!(count(&s, Table::ActionItems, col::SOURCE, "github"), 26);
    let statuses = column(&s, Table::ActionItems, col::STATUS);
    assert_eq!(
        statuses.iter().filter(|v| **v == text("done")).count(),
        21 + 26
    );
    // Every jira-ruby issue is "Open" without a resolution; the Faros ones are in the
    // "new" category.
    assert_eq!(
        statuses.iter().filter(|v| **v == text("open")).count(),
        8 + 11 + 4
    );
    assert_eq!(
        statuses.iter().filter(|v| **v == text("wont_do")).count(),
        5
    );
    let gh5 = one(
        &s,
        Table::ActionItems,
        col::ITEM_ID,
        "github:panjf2000/ants#5",
    );
    assert_eq!(gh5[col::CREATED_AT], t("2018-08-02T03:09:57Z"));
    assert_eq!(gh5[col::COMPLETED_AT], t("2018-08-03T15:32:00Z"));
    assert_eq!(
        gh5[col::URL],
        text("https://github.com/panjf2000/ants/issues/5")
    );
    // Server-style user with an e-mail: the person is the e-mail.
    let ar86 = one(&s, Table::ActionItems, col::ITEM_ID, "jira:AR-86");
    assert_eq!(ar86[col::OWNER], text("mister.morris@uservoice.com"));
    // Pull requests are skipped, not rejected: counted in the file's accounting row and
    // absent from the rejects table.
    let rejects = column(&s, Table::Rejects, col::REASON);
    assert!(!rejects
        .iter()
        .any(|r| r.to_string().starts_with("a pull request")));
    let skipped: i64 = column(&s, Table::IngestRuns, col::ROWS_SKIPPED)
        .iter()
        .map(|v| match v {
            Value::Int(n) => *n,
            _ => 0,
        })
        .sum();
    assert_eq!(skipped, 16 + 279);
}

#[test]
fn tickets_link_to_pagerduty_whatever_the_order_and_give_retro_and_item_metrics() {
    let w = Workdir::new();
    // Jira first: nothing to link to yet; the five labels naming an incident dangle.
    let out = w.ingest(&[&fixtures().join("jira/org")]);
    assert!(
        stderr(&out).contains("links: 0 incident channels and 0 tickets linked; 5 dangling"),
        "{}",
        stderr(&out)
    );
    // The store keeps what linking found, for data quality and for queries.
    let issues = |s: &std::path::Path| -> Vec<String> {
        let ids = column(s, Table::LinkIssues, col::LINKED_ID);
        let problems = column(s, Table::LinkIssues, col::PROBLEM);
        let details = column(s, Table::LinkIssues, col::DETAIL);
        let mut v: Vec<String> = (0..ids.len())
            .map(|i| format!("{} {} {}", ids[i], problems[i], details[i]))
            .collect();
        v.sort();
        v
    };
    assert_eq!(issues(&w.store()).len(), 5, "{:?}", issues(&w.store()));
    let out = w.ingest(&[&fixtures().join("pagerduty/org")]);
    let err = stderr(&out);
    assert!(
        err.contains("links: 0 incident channels and 6 tickets linked; 1 dangling; 0 ambiguous"),
        "{err}"
    );
    assert!(
        err.contains("dangling: ticket jira:OPS-8 (nothing matches #999)"),
        "{err}"
    );
    let s = w.store();
    // The four that link now are gone from the store's issues.
    assert_eq!(
        issues(&s),
        ["jira:OPS-8 dangling nothing matches #999"],
        "{:?}",
        issues(&s)
    );
    let item = |key: &str| one(&s, Table::ActionItems, col::ITEM_ID, key);
    assert_eq!(item("jira:OPS-2")[col::INCIDENT_ID], text("pagerduty:PI1"));
    // By the URL in its description.
    assert_eq!(item("jira:OPS-3")[col::INCIDENT_ID], text("pagerduty:PI1"));
    assert_eq!(item("jira:OPS-4")[col::STATUS], text("wont_do"));
    // Linked only to the PIR ticket OPS-5, whose label names #102.
    assert_eq!(item("jira:OPS-6")[col::INCIDENT_ID], text("pagerduty:PI2"));
    assert_eq!(item("jira:OPS-7")[col::INCIDENT_ID], Value::Null);
    assert_eq!(item("jira:OPS-8")[col::INCIDENT_ID], Value::Null);
    // The export has no resolutiondate for OPS-2: the changelog's move into Done gives it.
    assert_eq!(
        item("jira:OPS-2")[col::COMPLETED_AT],
        t("2026-07-20T15:00:00Z")
    );
    assert_eq!(
        link_rules(&s, "pagerduty:PI1", "jira:OPS-3"),
        ["ticket-url"]
    );
    assert_eq!(
        link_rules(&s, "pagerduty:PI2", "jira:OPS-6"),
        ["ticket-link"]
    );
    // The postmortem OPS-1 (done 2026-07-10T16:25+02:00) is PI1's retro.
    let pi1 = one(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:PI1");
    assert_eq!(pi1[col::RETRO_HELD_AT], t("2026-07-10T14:25:00Z"));
    assert_eq!(
        pi1[col::RETRO_URL],
        text("https://acme.atlassian.net/browse/OPS-1")
    );
    // The PIR for PI2 is still in progress: no retro.
    let pi2 = one(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:PI2");
    assert_eq!(pi2[col::RETRO_HELD_AT], Value::Null);
    // Ana is one person across PagerDuty and Jira (by e-mail).
    let ana = one(&s, Table::People, col::PERSON_ID, "ana@acme.example");
    assert_eq!(
        ana[col::ALIASES],
        Value::List(vec!["jira:acc-ana".into(), "pagerduty:PU1".into()])
    );

    let m = w.metrics_json(&["--period", "2026-Q3", "--as-of", "2026-08-01T00:00:00Z"]);
    // Time to retro. Required (SEV1–3, resolved): PI1 (P1) and PI2 (P3).
    // PI1: resolved 07-08 22:25Z, retro held 07-10 14:25Z → 40 h.
    // PI2: resolved 07-14 15:00Z, none by as_of → censored at 417 h.
    // Kaplan–Meier: S(40) = 1/2 ≤ 0.5 → median 40 h.
    let r = &m["time_to_retro"];
    assert_eq!(r["required"], 2);
    assert_eq!(r["held"], 1);
    assert_eq!(r["coverage"], 0.5);
    assert_eq!(r["median_hours"], 40.0);
    assert_eq!(r["km_median_hours"], 40.0);
    assert_eq!(r["by_severity"]["SEV1"]["held"], 1);
    assert_eq!(r["by_severity"]["SEV3"]["held"], 0);
    // Action items of Q3 incidents: OPS-2 done in 10 d, OPS-6 done in 2 d, OPS-3 open
    // since 07-11 09:00Z (20.625 d at as_of), OPS-4 won't do. OPS-7 (no incident) and
    // OPS-8 (dangling) are not counted.
    // Kaplan–Meier without the won't-do: events at 2 d (3 at risk) and 10 d (2 at
    // risk), OPS-3 censored at 20.625 d: S(30) = S(60) = 2/3 · 1/2 = 1/3.
    let a = &m["action_items"];
    assert_eq!(a["total"], 4);
    assert_eq!(a["done"], 2);
    assert_eq!(a["open"], 1);
    assert_eq!(a["wont_do"], 1);
    let close = |v: &serde_json::Value, want: f64| {
        assert!((v.as_f64().unwrap() - want).abs() < 1e-12, "{v} != {want}")
    };
    close(&a["completion_rate"], 2.0 / 3.0);
    close(&a["done_within_30d"], 2.0 / 3.0);
    close(&a["done_within_60d"], 2.0 / 3.0);
    assert_eq!(a["open_median_age_days"], 20.625);
    assert_eq!(a["stale_open"], 0);
    // OPS-6 has no assignee.
    assert_eq!(a["unowned"], 1);
    // Four items against one held retro.
    assert_eq!(a["per_retro"], 4.0);
    // OPS-2's component is Payments; OPS-4 has none and takes Ana's team (Payments, from
    // the PagerDuty user export); OPS-3 (Bo, no team) and OPS-6 (no owner) are unknown.
    let payments = &a["by_team"]["Payments"];
    assert_eq!(
        (payments["total"].as_u64(), payments["done"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(payments["completion_rate"], 1.0);
    let unknown = &a["by_team"]["unknown"];
    assert_eq!(
        (unknown["total"].as_u64(), unknown["open"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(m["data_quality"]["dangling_links"], 1);

    // Relinking is idempotent: parsing everything again changes no byte of the store.
    let before = snapshot(&s);
    let store = s.display().to_string();
    let jira = fixtures().join("jira/org").display().to_string();
    let pd = fixtures().join("pagerduty/org").display().to_string();
    w.run_status(&["ingest", "--force", "--store", &store, &jira, &pd], 0);
    let after = snapshot(&s);
    let changed: Vec<_> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0.display().to_string())
        .collect();
    // Only the bookkeeping of the new run differs.
    assert!(
        changed
            .iter()
            .all(|p| p.contains("ingest_runs") || p.contains("ingest_counts")),
        "{changed:?}"
    );

    // A store written before `link_issues` existed: metrics never link, so they say the
    // links were not checked (null, and a line in the report's data-quality box), and
    // the next ingest that links writes the table.
    std::fs::remove_dir_all(s.join("link_issues")).unwrap();
    let args = ["--period", "2026-Q3", "--as-of", "2026-08-01T00:00:00Z"];
    let old = w.metrics_json(&args);
    assert_eq!(
        old["data_quality"]["dangling_links"],
        serde_json::Value::Null
    );
    assert_eq!(
        old["data_quality"]["ambiguous_links"],
        serde_json::Value::Null
    );
    let report = w.path().join("old.md");
    let mut report_args = vec![
        "report",
        "--store",
        &store,
        "--out",
        report.to_str().unwrap(),
    ];
    report_args.extend(args);
    w.run_status(&report_args, 0);
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("links not checked: the store was written before incidentlens kept what linking found; ingest again (any export, or --force) to check them"),
        "{md}"
    );
    w.run_status(&["ingest", "--force", "--store", &store, &jira, &pd], 0);
    assert_eq!(issues(&s), ["jira:OPS-8 dangling nothing matches #999"]);
    assert_eq!(w.metrics_json(&args), m);
}

#[test]
fn jira_csv_gathers_repeated_columns_and_reads_day_first_dates_in_the_configured_zone() {
    let w = Workdir::new();
    let file = fixtures().join("jira_csv/issues.csv");
    let store = w.store().display().to_string();
    let f = file.display().to_string();
    // Without a zone the file is refused, with the setting to add.
    let out = w.run_status(&["ingest", "--store", &store, &f], 2);
    let err = stderr(&out);
    assert!(
        err.contains("dates in this file (such as '15/07/2026 09:00') carry no zone")
            && err.contains("[sources.jira] timezone = \"Europe/Berlin\""),
        "{err}"
    );
    config(&w, "[sources.jira]\ntimezone = \"Europe/Berlin\"\n");
    let out = w.ingest(&[&file, &fixtures().join("pagerduty/org")]);
    assert_eq!(
        accounting(&out, "issues.csv")[1..],
        ["jira_csv", "4", "4", "0", "0", "0"]
    );
    let s = w.store();
    // PAY-1 is a post-incident review (labels incident-102 and postmortem, in two
    // Labels columns) resolved 20/07/2026 17:30 Berlin = 15:30Z: PI2's retro.
    let pay1 = one(&s, Table::Retros, col::RETRO_ID, "jira:PAY-1");
    assert_eq!(pay1[col::HELD_AT], t("2026-07-20T15:30:00Z"));
    assert_eq!(pay1[col::LINK_REFS], Value::List(vec!["number:102".into()]));
    assert_eq!(pay1[col::INCIDENT_ID], text("pagerduty:PI2"));
    let pi2 = one(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:PI2");
    assert_eq!(pi2[col::RETRO_HELD_AT], t("2026-07-20T15:30:00Z"));
    let item = |key: &str| one(&s, Table::ActionItems, col::ITEM_ID, key);
    let pay2 = item("jira:PAY-2");
    assert_eq!(pay2[col::STATUS], text("open"));
    assert_eq!(pay2[col::CREATED_AT], t("2026-07-16T09:15:00Z"));
    assert_eq!(pay2[col::DUE_AT], t("2026-07-30T22:00:00Z"));
    assert_eq!(pay2[col::OWNER], text("jira:acc-bo"));
    assert_eq!(pay2[col::TEAM], text("Payments"));
    assert_eq!(pay2[col::INCIDENT_ID], text("pagerduty:PI2"));
    // Won't Fix, and linked by the URL inside its two-line description.
    let pay3 = item("jira:PAY-3");
    assert_eq!(pay3[col::STATUS], text("wont_do"));
    assert_eq!(pay3[col::COMPLETED_AT], t("2026-07-18T11:45:00Z"));
    assert_eq!(pay3[col::INCIDENT_ID], text("pagerduty:PI1"));
    // The incident URL in a custom field.
    let pay4 = item("jira:PAY-4");
    assert_eq!(pay4[col::STATUS], text("done"));
    assert_eq!(pay4[col::COMPLETED_AT], t("2026-07-24T16:20:00Z"));
    assert_eq!(pay4[col::INCIDENT_ID], text("pagerduty:PI2"));
}

#[test]
fn servicenow_table_api_json_incidents_problems_and_tasks() {
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("servicenow/table_api.json")]);
    assert_eq!(
        accounting(&out, "table_api.json")[1..],
        ["servicenow", "5", "4", "0", "0", "1"]
    );
    assert!(
        stderr(&out).contains(
            "$.result[4]: opened_at: expected an ISO-8601 timestamp such as 2026-07-01T09:30:00Z, found 'not a date'"
        ),
        "{}",
        stderr(&out)
    );
    let s = w.store();
    let id = "servicenow:a1b2c3d4e5f60718293a4b5c6d7e8f90";
    let inc = one(&s, Table::Incidents, col::INCIDENT_ID, id);
    assert_eq!(inc[col::NUMBER], Value::Int(10001));
    assert_eq!(inc[col::SEVERITY], text("SEV1"));
    assert_eq!(inc[col::STATUS], text("closed"));
    assert_eq!(inc[col::STARTED_AT], t("2026-07-03T08:15:00Z"));
    assert_eq!(inc[col::RESOLVED_AT], t("2026-07-03T10:45:00Z"));
    assert_eq!(inc[col::TEAM], text("Payments"));
    assert_eq!(
        inc[col::DECLARED_BY],
        text("servicenow:6816f79cc0a8016401c5a33be04be441")
    );
    let svc = rows(&s, Table::IncidentServices, col::INCIDENT_ID, id);
    assert_eq!(svc[0][col::SERVICE], text("payments-gateway"));
    let item = |key: &str| one(&s, Table::ActionItems, col::ITEM_ID, key);
    // The problem names the incident that first reported it.
    let prb = item("servicenow:PRB0040001");
    assert_eq!(prb[col::STATUS], text("done"));
    assert_eq!(prb[col::COMPLETED_AT], t("2026-07-20T16:00:00Z"));
    assert_eq!(prb[col::INCIDENT_ID], text(id));
    assert_eq!(prb[col::TEAM], text("Payments"));
    // State 4: closed incomplete.
    let task = item("servicenow:TASK0050001");
    assert_eq!(task[col::STATUS], text("wont_do"));
    assert_eq!(task[col::INCIDENT_ID], text(id));
    // A problem task belongs to its problem, not to an incident.
    let ptask = item("servicenow:PTASK0060001");
    assert_eq!(ptask[col::STATUS], text("open"));
    assert_eq!(ptask[col::INCIDENT_ID], Value::Null);
}

#[test]
fn servicenow_event_log_collapses_to_the_latest_row_per_record() {
    let w = Workdir::new();
    let file = fixtures().join("servicenow_csv/event_log.csv");
    let store = w.store().display().to_string();
    let f = file.display().to_string();
    let out = w.run_status(&["ingest", "--store", &store, &f], 2);
    assert!(
        stderr(&out).contains("[sources.servicenow] timezone"),
        "{}",
        stderr(&out)
    );
    config(&w, "[sources.servicenow]\ntimezone = \"UTC\"\n");
    let out = w.ingest(&[&file]);
    // Six rows: four updates of INC0000045 and two of INC0000047.
    assert_eq!(
        accounting(&out, "event_log.csv")[1..],
        ["servicenow_csv", "6", "2", "4", "0", "0"]
    );
    let s = w.store();
    let a = one(
        &s,
        Table::Incidents,
        col::INCIDENT_ID,
        "servicenow:INC0000045",
    );
    assert_eq!(a[col::STATUS], text("closed"));
    assert_eq!(a[col::SEVERITY], text("SEV3"));
    assert_eq!(a[col::SEVERITY_RAW], text("3 - Moderate"));
    assert_eq!(a[col::STARTED_AT], t("2016-03-13T09:47:00Z"));
    assert_eq!(a[col::RESOLVED_AT], t("2016-03-14T10:30:00Z"));
    assert_eq!(a[col::UPDATED_AT], t("2016-03-19T11:00:00Z"));
    assert_eq!(a[col::TEAM], text("Group 56"));
    let b = one(
        &s,
        Table::Incidents,
        col::INCIDENT_ID,
        "servicenow:INC0000047",
    );
    assert_eq!(b[col::STATUS], text("active"));
    assert_eq!(b[col::SEVERITY], text("SEV1"));
    assert_eq!(b[col::RESOLVED_AT], Value::Null);
}

#[test]
fn github_issues_postmortems_not_planned_and_pull_requests() {
    let w = Workdir::new();
    let out = w.ingest(&[
        &fixtures().join("github/issues.json"),
        &fixtures().join("pagerduty/org"),
    ]);
    assert_eq!(
        accounting(&out, "issues.json")[1..],
        ["github", "4", "3", "0", "0", "1", "0"]
    );
    let s = w.store();
    let pm = one(&s, Table::Retros, col::RETRO_ID, "github:acme/shop#41");
    assert_eq!(pm[col::HELD_AT], t("2026-07-22T16:00:00Z"));
    let pi3 = one(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:PI3");
    assert_eq!(pi3[col::RETRO_HELD_AT], t("2026-07-22T16:00:00Z"));
    assert_eq!(
        pi3[col::RETRO_URL],
        text("https://github.com/acme/shop/issues/41")
    );
    let item = |key: &str| one(&s, Table::ActionItems, col::ITEM_ID, key);
    let dropped = item("github:acme/shop#42");
    assert_eq!(dropped[col::STATUS], text("wont_do"));
    assert_eq!(dropped[col::STATUS_RAW], text("closed (not_planned)"));
    assert_eq!(dropped[col::TEAM], text("search"));
    assert_eq!(dropped[col::DUE_AT], t("2026-08-15T07:00:00Z"));
    assert_eq!(dropped[col::INCIDENT_ID], text("pagerduty:PI3"));
    let open = item("github:acme/shop#44");
    assert_eq!(open[col::OWNER], text("github:ana-berg"));
    // PI3's page has no URL in the export: #44's URL links nothing; a URL is no claim,
    // so it is not reported as dangling either.
    assert_eq!(open[col::INCIDENT_ID], Value::Null);
    assert!(
        stderr(&out).contains("links: 0 incident channels and 2 tickets linked; 0 dangling"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_shape_of_a_jira_search_export_reads_the_same() {
    let text = std::fs::read_to_string(fixtures().join("jira/org/search.json")).unwrap();
    let page: serde_json::Value = serde_json::from_str(&text).unwrap();
    let issues = page["issues"].as_array().unwrap().clone();
    let shapes = [
        // The newer /search/jql page: a token instead of a total.
        serde_json::json!({"issues": issues, "nextPageToken": "CAEaAggD", "isLast": true}),
        // Two classic pages gathered into one file.
        serde_json::json!([
            {"startAt": 0, "maxResults": 5, "total": 8, "issues": issues[..5]},
            {"startAt": 5, "maxResults": 5, "total": 8, "issues": issues[5..]}
        ]),
        // Bare issues.
        serde_json::Value::Array(issues.clone()),
    ];
    let reference = Workdir::new();
    reference.ingest(&[&fixtures().join("jira/org/search.json")]);
    let want = Store::at(reference.store())
        .read(Table::ActionItems)
        .unwrap();
    for (n, shape) in shapes.iter().enumerate() {
        let w = Workdir::new();
        let file = w.path().join(format!("shape{n}.json"));
        std::fs::write(&file, serde_json::to_string(shape).unwrap()).unwrap();
        let out = w.ingest(&[&file]);
        assert_eq!(
            accounting(&out, &format!("shape{n}.json"))[1..],
            ["jira", "8", "8", "0", "0", "0"],
            "shape {n}"
        );
        let got = Store::at(w.store()).read(Table::ActionItems).unwrap();
        assert!(got.equals_missing(&want), "shape {n}:\n{got}\n{want}");
    }
}

#[test]
fn link_issues_is_written_even_when_empty() {
    // Metrics tell a store linked before `link_issues` existed by the missing file, so
    // an ingest that links writes it, with no rows when nothing dangles.
    let w = Workdir::new();
    let pd = fixtures().join("pagerduty/org");
    w.ingest(&[&pd]);
    let s = w.store();
    assert!(s.join("link_issues").exists());
    assert!(column(&s, Table::LinkIssues, col::LINKED_ID).is_empty());
    std::fs::remove_dir_all(s.join("link_issues")).unwrap();
    let store = s.display().to_string();
    w.run_status(
        &[
            "ingest",
            "--force",
            "--store",
            &store,
            &pd.display().to_string(),
        ],
        0,
    );
    assert!(s.join("link_issues").exists());
}
