//! Incident platforms (incident.io, Rootly, FireHydrant), status pages and service
//! catalogs: the real incident.io samples, fixtures written from the documented shapes,
//! the collapse of one incident seen by a platform and a pager, and metrics worked out
//! by hand.

use crate::util::*;
use incidentlens::record::Value;
use incidentlens::schema::{col, Table};

fn close(v: &serde_json::Value, want: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((got - want).abs() < 1e-9, "{got} != {want}");
}

#[test]
fn every_incidentio_sample_is_accounted_for() {
    let w = Workdir::new();
    let dir = samples_or_skip!("incidentio");
    let out = w.ingest(&[&dir]);
    for (file, want) in [
        // Actions are response steps, not follow-ups.
        ("actions_v2_list.json", ["1", "0", "0", "0", "1", "0"]),
        ("follow_ups_v2_list.json", ["1", "1", "0", "0", "0", "0"]),
        (
            "incident_alerts_v2_list.json",
            ["1", "1", "0", "0", "0", "0"],
        ),
        // Two participants, exported without the incident they belong to.
        (
            "incident_participants_v2_list.json",
            ["2", "0", "0", "0", "0", "2"],
        ),
        (
            "incident_roles_v2_list.json",
            ["1", "0", "0", "0", "1", "0"],
        ),
        (
            "incident_timestamps_v2_list.json",
            ["1", "0", "0", "0", "1", "0"],
        ),
        (
            "incident_updates_v2_list.json",
            ["1", "1", "0", "0", "0", "0"],
        ),
        // The show response holds the list's one incident, read first (name order).
        ("incident_v2_show.json", ["1", "1", "0", "0", "0", "0"]),
        ("incidents_v2_list.json", ["1", "0", "1", "0", "0", "0"]),
        // Its updated_at is "abc123".
        (
            "postmortem_documents_v1_list.json",
            ["1", "0", "0", "0", "0", "1"],
        ),
    ] {
        let cells = accounting(&out, file);
        assert_eq!(cells[1], "incidentio", "{file}");
        assert_eq!(cells[2..], want, "{file}");
    }
    let err = stderr(&out);
    assert!(
        err.contains("$.postmortem_documents[0]: updated_at: expected an ISO-8601 timestamp such as 2026-07-01T09:30:00Z, found 'abc123'"),
        "{err}"
    );
    let s = w.store();
    // Read off incidents_v2_list.json: INC-123, "Our database is sad", severity Minor
    // (rank 1), created 2021-08-17T13:28:57.801578Z by Lisa Karlin Curtis, who also
    // holds the lead role; Slack channel C02AW36C1M5; postmortem document URL.
    let id = "incidentio:01FDAG4SAP5TYPT98WGR2N7W91";
    let inc = one(&s, Table::Incidents, col::INCIDENT_ID, id);
    assert_eq!(inc[col::NUMBER], Value::Int(123));
    assert_eq!(inc[col::TITLE], text("Our database is sad"));
    assert_eq!(inc[col::SEVERITY], text("SEV3"));
    assert_eq!(inc[col::SEVERITY_RAW], text("Minor"));
    assert_eq!(inc[col::STATUS], text("triage"));
    assert_eq!(inc[col::DECLARED_AT], t("2021-08-17T13:28:57.801578Z"));
    // "Impact started" is the same instant.
    assert_eq!(inc[col::STARTED_AT], t("2021-08-17T13:28:57.801578Z"));
    assert_eq!(inc[col::DECLARED_BY], text("lisa@incident.io"));
    assert_eq!(inc[col::COMMANDER], text("lisa@incident.io"));
    assert_eq!(inc[col::URL], text("https://app.incident.io/incidents/123"));
    assert_eq!(
        inc[col::RETRO_URL],
        text("https://docs.google.com/my_doc_id")
    );
    assert_eq!(
        link_rules(&s, id, "slack:C02AW36C1M5"),
        ["explicit-channel"]
    );
    let tags = rows(&s, Table::IncidentTags, col::INCIDENT_ID, id);
    assert_eq!(tags[0][col::TAG], text("incident type"));
    assert_eq!(tags[0][col::VALUE], text("Production Outage"));
    // The follow-up: outstanding, Lisa's, exported to another tracker; its incident id
    // is not the incident's (the sample's ids are placeholders), which is reported.
    let fu = one(
        &s,
        Table::ActionItems,
        col::ITEM_ID,
        "incidentio:01FCNDV6P870EA6S7TK1DSYDG0",
    );
    assert_eq!(fu[col::STATUS], text("open"));
    assert_eq!(fu[col::STATUS_RAW], text("outstanding"));
    assert_eq!(fu[col::OWNER], text("lisa@incident.io"));
    assert_eq!(fu[col::TITLE], text("Cat is stuck in the tree"));
    assert_eq!(fu[col::COMPLETED_AT], Value::Null);
    assert!(err.contains("dangling: ticket incidentio:01FCNDV6P870EA6S7TK1DSYDG0 (incident incidentio:01FCNDV6P870EA6S7TK1DSYDG0 is not in the store)"), "{err}");
    let ev = rows(&s, Table::Events, col::SOURCE, "incidentio");
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0][col::KIND], text("status_update"));
    assert_eq!(ev[0][col::AT], t("2021-08-17T13:28:57.801578Z"));
    assert_eq!(ev[0][col::PERSON_ID], text("lisa@incident.io"));
}

#[test]
fn a_platform_incident_and_its_pager_incident_count_once() {
    let w = Workdir::new();
    let out = w.ingest(&[
        &fixtures().join("incidentio/org"),
        &fixtures().join("pagerduty/org"),
    ]);
    let err = stderr(&out);
    assert!(
        err.contains("links: 2 incidents found in two sources"),
        "{err}"
    );
    assert!(
        err.contains("$.incidents[3]: status category 'merged': never an incident"),
        "{err}"
    );
    let s = w.store();
    // INC-7 names PI1 through its alert's source URL; INC-8 names PI2's page in its
    // summary. Linking makes the pager's incident the primary one.
    for (platform, pager) in [
        ("incidentio:01INC7", "pagerduty:PI1"),
        ("incidentio:01INC8", "pagerduty:PI2"),
    ] {
        assert_eq!(
            link_rules(&s, platform, pager),
            ["incident-url", "primary"],
            "{platform} → {pager}"
        );
    }
    // Severities named Sev-Red/Amber/Green, ranked 3/2/1 in the export.
    let sev = |id: &str| one(&s, Table::Incidents, col::INCIDENT_ID, id)[col::SEVERITY].clone();
    assert_eq!(sev("incidentio:01INC7"), text("SEV1"));
    assert_eq!(sev("incidentio:01INC8"), text("SEV2"));
    assert_eq!(sev("incidentio:01INC9"), text("SEV3"));

    let m = w.metrics_json(&["--period", "2026-Q3", "--as-of", "2026-08-01T00:00:00Z"]);
    // Five incidents in the store for Q3 are three: PI1 = INC-7, PI2 = INC-8, PI3; the
    // game day INC-9 is excluded.
    assert_eq!(m["incidents"]["count"], 3);
    assert_eq!(m["incidents"]["excluded"], 1);
    // The pager keeps its severity (P1, P3); mitigation comes from the platform:
    // PI1 started 21:25, INC-7 mitigated 22:05 → 40 min; PI2 13:00 → 14:10 → 70 min.
    let mit = &m["phases"]["time_to_mitigate"];
    assert_eq!(mit["n"], 2);
    assert_eq!(mit["median_minutes"], 55.0);
    // INC-7's postmortem was completed 2026-07-10T09:00Z; PI1 was resolved 07-08 22:25Z:
    // 34 h 35 min. PI2 (P3) has none.
    let r = &m["time_to_retro"];
    assert_eq!(
        (r["required"].as_u64(), r["held"].as_u64()),
        (Some(2), Some(1))
    );
    close(&r["median_hours"], 34.0 + 35.0 / 60.0);
    // INC-7's updates at 21:45, 22:15 and 22:25 (the resolution), counted from PI1's
    // declaration at 21:25: gaps of 20, 30 and 10 minutes; the one next morning is after
    // resolution.
    let c = &m["comms"];
    assert_eq!(c["incidents_with_updates"], 1);
    assert_eq!(c["gaps"], 3);
    assert_eq!(c["median_gap_minutes"], 20.0);
    // Follow-ups: FU1 completed, FU2 outstanding, FU3 not doing.
    let a = &m["action_items"];
    assert_eq!(
        (
            a["total"].as_u64(),
            a["done"].as_u64(),
            a["open"].as_u64(),
            a["wont_do"].as_u64()
        ),
        (Some(3), Some(1), Some(1), Some(1))
    );
    // Leads: Ana for INC-7 (PI1), Bo for INC-8 (PI2).
    assert_eq!(m["responders"]["commanders"]["distinct_commanders"], 2);

    // The Slack channel inc-999-ghost (C3) follows the convention for an incident #999
    // that does not exist, but INC-8 claims it: its message counts for INC-8.
    let out = w.ingest(&[&fixtures().join("slack/export")]);
    let err = stderr(&out);
    assert!(!err.contains("inc-999-ghost"), "{err}");
    let c3: Vec<_> = rows(&s, Table::Messages, col::CHANNEL_ID, "C3");
    assert!(c3
        .iter()
        .all(|m| m[col::INCIDENT_ID] == text("incidentio:01INC8")));
    // FU1 was exported to Jira as OPS-2: with the Jira export in the store, OPS-2 is the
    // one counted.
    w.ingest(&[&fixtures().join("jira/org")]);
    let fu1 = one(&s, Table::ActionItems, col::ITEM_ID, "incidentio:FU1");
    assert_eq!(fu1[col::INCIDENT_ID], Value::Null);
    let m = w.metrics_json(&["--period", "2026-Q3", "--as-of", "2026-08-01T00:00:00Z"]);
    // OPS-2, OPS-3, OPS-4, OPS-6 from Jira; FU2 and FU3 from incident.io.
    assert_eq!(m["action_items"]["total"], 6);
}

/// A store linked before linking chose primary incidents (its `primary` rows taken out
/// here) is not merged by metrics: they count both incidents, say why, and the next
/// ingest merges them.
#[test]
fn a_store_linked_before_primaries_were_chosen_says_to_ingest_again() {
    use polars::prelude::{lit, IntoLazy, ParquetWriter};
    let w = Workdir::new();
    w.ingest(&[
        &fixtures().join("incidentio/org"),
        &fixtures().join("pagerduty/org"),
    ]);
    let args = ["--period", "2026-Q3", "--as-of", "2026-08-01T00:00:00Z"];
    let m = w.metrics_json(&args);
    assert_eq!(m["incidents"]["count"], 3);
    assert_eq!(m["data_quality"]["unmerged_links"], 0);

    let store = incidentlens::store::Store::at(w.store());
    let path = store.table_path(Table::IncidentLinks);
    let links = store.read(Table::IncidentLinks).unwrap();
    let mut older = links
        .clone()
        .lazy()
        .filter(polars::prelude::col(col::RULE).neq(lit("primary")))
        .collect()
        .unwrap();
    // The two primary rows: PI1 for INC-7, PI2 for INC-8.
    assert_eq!(links.height() - older.height(), 2);
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut older)
        .unwrap();
    let m = w.metrics_json(&args);
    // PI1 = INC-7 and PI2 = INC-8 count apart: five incidents, not three.
    assert_eq!(m["incidents"]["count"], 5);
    assert_eq!(m["data_quality"]["unmerged_links"], 2);
    let store_arg = w.store().display().to_string();
    let out = w.run_status(
        &[
            "metrics", "--store", &store_arg, "--period", "2026-Q3", "--format", "table",
        ],
        0,
    );
    let text = stdout(&out);
    assert!(
        text.contains("2 links between incidents seen in two sources not merged"),
        "{text}"
    );

    w.run_status(
        &[
            "ingest",
            "--store",
            &store_arg,
            "--force",
            fixtures().join("pagerduty/org").to_str().unwrap(),
        ],
        0,
    );
    let m = w.metrics_json(&args);
    assert_eq!(m["incidents"]["count"], 3);
    assert_eq!(m["data_quality"]["unmerged_links"], 0);
}

#[test]
fn rootly_and_firehydrant_exports_give_phases_retros_and_follow_ups() {
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("rootly"), &fixtures().join("firehydrant")]);
    for (file, source, want) in [
        (
            "rootly/action_items.json",
            "rootly",
            ["4", "3", "0", "0", "1"],
        ),
        ("rootly/incidents.json", "rootly", ["3", "2", "0", "0", "1"]),
        (
            "rootly/post_mortems_and_events.json",
            "rootly",
            ["4", "3", "0", "0", "1"],
        ),
        (
            "firehydrant/incidents.json",
            "firehydrant",
            ["2", "2", "0", "0", "0"],
        ),
        (
            "firehydrant/tasks.json",
            "firehydrant",
            ["2", "2", "0", "0", "0"],
        ),
        (
            "firehydrant/follow_ups.json",
            "firehydrant",
            ["1", "1", "0", "0", "0"],
        ),
    ] {
        let cells = accounting(&out, file);
        assert_eq!(cells[1], source, "{file}");
        assert_eq!(cells[2..], want, "{file}");
    }
    let s = w.store();
    let r1 = one(&s, Table::Incidents, col::INCIDENT_ID, "rootly:r1");
    // Rootly's SEV0 is its worst: by its level "critical", SEV1.
    assert_eq!(r1[col::SEVERITY], text("SEV1"));
    assert_eq!(r1[col::SEVERITY_RAW], text("SEV0"));
    assert_eq!(r1[col::NUMBER], Value::Int(42));
    assert_eq!(r1[col::TEAM], text("Platform"));
    assert_eq!(r1[col::DECLARED_BY], text("dana@acme.example"));
    assert_eq!(r1[col::DETECTED_AT], t("2026-07-10T10:05:00Z"));
    assert_eq!(r1[col::RETRO_PUBLISHED_AT], t("2026-07-14T16:00:00Z"));
    assert_eq!(
        one(&s, Table::Incidents, col::INCIDENT_ID, "rootly:r2")[col::IS_DRILL],
        Value::Bool(true)
    );
    let ai2 = one(&s, Table::ActionItems, col::ITEM_ID, "rootly:ai2");
    assert_eq!(ai2[col::STATUS], text("wont_do"));
    let fh1 = one(&s, Table::Incidents, col::INCIDENT_ID, "firehydrant:fh-1");
    assert_eq!(fh1[col::COMMANDER], text("marcus@acme.example"));
    assert_eq!(fh1[col::RETRO_HELD_AT], t("2026-07-17T15:00:00Z"));
    assert_eq!(fh1[col::MITIGATED_AT], t("2026-07-15T09:00:00Z"));
    // Service impacts count as services; the environment impact does not.
    let svc: Vec<Value> = rows(
        &s,
        Table::IncidentServices,
        col::INCIDENT_ID,
        "firehydrant:fh-1",
    )
    .into_iter()
    .map(|r| r[col::SERVICE].clone())
    .collect();
    assert_eq!(svc, [text("order-pipeline"), text("payments-gateway")]);
    // fh-2 is written in camelCase, its milestones inside lifecycle phases.
    let fh2 = one(&s, Table::Incidents, col::INCIDENT_ID, "firehydrant:fh-2");
    assert_eq!(fh2[col::STARTED_AT], t("2026-07-20T11:50:00Z"));
    assert_eq!(fh2[col::RESOLVED_AT], t("2026-07-20T13:20:00Z"));

    let m = w.metrics_json(&["--period", "2026-Q3", "--as-of", "2026-08-01T00:00:00Z"]);
    // r1, fh-1, fh-2; the game day r2 excluded.
    assert_eq!(m["incidents"]["count"], 3);
    assert_eq!(m["incidents"]["excluded"], 1);
    // Acknowledged 12, 15, 15 min after the start; mitigated 40, 60, 40; resolved 90,
    // 150, 90.
    let ph = &m["phases"];
    assert_eq!(ph["time_to_ack"]["median_minutes"], 15.0);
    assert_eq!(ph["time_to_mitigate"]["median_minutes"], 40.0);
    assert_eq!(ph["time_to_resolve"]["median_minutes"], 90.0);
    // Retros: r1 (SEV1) published 100.5 h after resolution, fh-1 (SEV2) held 52.5 h
    // after; fh-2 (SEV3) none: median 76.5 h.
    let r = &m["time_to_retro"];
    assert_eq!(
        (r["required"].as_u64(), r["held"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(r["median_hours"], 76.5);
    // Follow-ups: done in 7 d (ai1) and 5 d (t1); open ai3 and t2 censored at 21.5 and
    // 16.5 d; two dropped. Kaplan–Meier: S = 3/4 at 5 d, 1/2 at 7 d.
    let a = &m["action_items"];
    assert_eq!(
        (
            a["total"].as_u64(),
            a["done"].as_u64(),
            a["open"].as_u64(),
            a["wont_do"].as_u64()
        ),
        (Some(6), Some(2), Some(2), Some(2))
    );
    assert_eq!(a["completion_rate"], 0.5);
    assert_eq!(a["done_within_30d"], 0.5);
    // r1's external event at 10:20, 12 minutes after its declaration at 10:08.
    assert_eq!(m["comms"]["median_gap_minutes"], 12.0);
    // r1 names its PagerDuty incident by id: once PagerDuty is in, they are one.
    w.ingest(&[&fixtures().join("pagerduty/org")]);
    assert_eq!(
        link_rules(&s, "rootly:r1", "pagerduty:PI3"),
        ["explicit", "primary"]
    );
}

#[test]
fn a_status_page_alone_gives_hotspots_phases_and_comms_and_says_what_it_cannot() {
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("statuspage/incidents.json")]);
    assert_eq!(
        accounting(&out, "incidents.json")[1..],
        ["statuspage", "5", "4", "0", "0", "1"]
    );
    let s = w.store();
    let sp1 = one(&s, Table::Incidents, col::INCIDENT_ID, "statuspage:sp1");
    assert_eq!(sp1[col::SEVERITY], text("SEV2"));
    assert_eq!(sp1[col::STARTED_AT], t("2026-07-06T14:50:00Z"));
    assert_eq!(sp1[col::MITIGATED_AT], t("2026-07-06T16:20:00Z"));
    assert_eq!(
        one(&s, Table::Incidents, col::INCIDENT_ID, "statuspage:sp3")[col::IS_MAINTENANCE],
        Value::Bool(true)
    );
    let m = w.metrics_json(&["--period", "2026-Q3", "--as-of", "2026-09-30T00:00:00Z"]);
    assert_eq!(m["incidents"]["count"], 3);
    assert_eq!(m["incidents"]["excluded"], 1);
    // Gaps from declaration: sp1 0, 30, 45, 40 (SEV2, target 60); sp2 0, 150, 60 (SEV3,
    // target 120: over); sp4 0, 45, 45 (SEV1, target 30: over), its postmortem update
    // two days after resolution left out. Sorted: 0 0 0 30 40 45 45 45 60 150.
    let c = &m["comms"];
    assert_eq!(c["gaps"], 10);
    assert_eq!(c["median_gap_minutes"], 42.5);
    close(&c["p90_gap_minutes"], 69.0);
    close(&c["incidents_over_target"], 2.0 / 3.0);
    // Components are the hotspots: Checkout API in sp1 (130 min) and sp4 (100 min), the
    // second within 30 days of the first.
    let h = &m["hotspots"][0];
    assert_eq!(h["service"], "Checkout API");
    assert_eq!(h["incidents"], 2);
    assert_eq!(h["impact_minutes"], 230.0);
    assert_eq!(h["repeat_incidents"], 1);
    assert_eq!(m["phases"]["time_to_resolve"]["median_minutes"], 130.0);
    // The report says which families no source informs, instead of printing zeros.
    let report = w.path().join("r.md");
    w.run_status(
        &[
            "report",
            "--store",
            s.to_str().unwrap(),
            "--period",
            "2026-Q3",
            "--as-of",
            "2026-09-30T00:00:00Z",
            "--format",
            "md",
            "--out",
            report.to_str().unwrap(),
        ],
        0,
    );
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.contains("## Not measured"), "{md}");
    assert!(
        md.contains("- Retrospectives: no source records them"),
        "{md}"
    );
    assert!(
        md.contains("- Action items: no source records follow-ups"),
        "{md}"
    );
    assert!(
        md.contains("- Responders: no source records who was paged"),
        "{md}"
    );
    assert!(!md.contains("need a retro had one"), "{md}");
    assert!(
        md.contains("**Top insight.** Checkout API was involved in 2 of 3 incidents"),
        "{md}"
    );
}

#[test]
fn a_backstage_catalog_gives_services_their_teams_and_names_the_ownerless() {
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("backstage")]);
    assert_eq!(
        accounting(&out, "backstage/catalog-info.yaml")[1..],
        ["backstage", "4", "3", "0", "0", "1", "0"]
    );
    assert_eq!(
        accounting(&out, "more/catalog-info.yml")[1..],
        ["backstage", "2", "2", "0", "0", "0", "0"]
    );
    let err = stderr(&out);
    assert!(
        err.contains("component 'legacy-batch' has no spec.owner"),
        "{err}"
    );
    assert!(
        err.contains("component 'payments-gateway' is owned by user 'jdoe', not a group"),
        "{err}"
    );
    assert!(
        err.contains(
            "backstage/catalog-info.yaml: document 4: a catalog entity other than a \
             Component (System, Group, API, Resource, …): only Components are services"
        ),
        "{err}"
    );
    let s = w.store();
    let svc = |name: &str| one(&s, Table::Services, col::SERVICE, name);
    let checkout = svc("checkout-api");
    assert_eq!(checkout[col::TEAM], text("checkout-team"));
    assert_eq!(checkout[col::TIER], text("1"));
    assert_eq!(checkout[col::PRODUCT_AREA], text("commerce"));
    let search = svc("search");
    assert_eq!(search[col::TEAM], text("search-team"));
    assert_eq!(search[col::TIER], text("2"));
    assert_eq!(search[col::PRODUCT_AREA], text("discovery"));
    assert_eq!(svc("legacy-batch")[col::TEAM], Value::Null);
    assert_eq!(svc("payments-gateway")[col::TEAM], Value::Null);
    assert_eq!(svc("order-pipeline")[col::TEAM], text("data"));
    // With FireHydrant's incidents: order-pipeline and payments-gateway are in the
    // catalog, fh-2's search is too; hotspots by team know order-pipeline's.
    w.ingest(&[&fixtures().join("firehydrant")]);
    let m = w.metrics_json(&["--period", "2026-Q3", "--as-of", "2026-08-01T00:00:00Z"]);
    assert_eq!(m["data_quality"]["services_not_in_catalog"], 0);
    let teams: Vec<&str> = m["hotspots_by_team"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["team"].as_str().unwrap())
        .collect();
    assert_eq!(teams, ["data", "search-team"]);
}
