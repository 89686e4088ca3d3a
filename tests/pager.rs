//! PagerDuty and Opsgenie: the real samples, malformed exports, and metrics over a store
//! filled only from a pager, with values worked out by hand.

use crate::util::*;
use incidentlens::record::Value;
use incidentlens::schema::{col, Table};

#[test]
fn every_pagerduty_sample_is_accounted_for() {
    let w = Workdir::new();
    let dir = samples_or_skip!("pagerduty");
    let out = w.ingest(&[&dir]);
    // Read off the files: records per file, and what became of each.
    for (file, want) in [
        // A responder's response to an incident none of the samples holds: it waits
        // for that incident.
        (
            "analytics_raw_incident_responses__example_response.json",
            ["1", "0", "0", "1", "0"],
        ),
        (
            "analytics_raw_incidents__example_response.json",
            ["2", "2", "0", "0", "0"],
        ),
        (
            "devlake_incidents_with_log_entries.json",
            ["3", "3", "0", "0", "0"],
        ),
        // An alert: kept for page noise (its incident is not among the samples).
        ("incident_alerts__response.json", ["1", "1", "0", "0", "0"]),
        ("incident_get__response.json", ["1", "1", "0", "0", "0"]),
        (
            "incident_log_entries__response.json",
            ["1", "1", "0", "0", "0"],
        ),
        ("incident_notes__response.json", ["2", "0", "0", "0", "2"]),
        ("incidents_list__response.json", ["1", "1", "0", "0", "0"]),
        // The same entry as in incident_log_entries__response.json.
        ("log_entries_list__response.json", ["1", "0", "1", "0", "0"]),
    ] {
        let cells = accounting(&out, file);
        assert_eq!(cells[1], "pagerduty", "{file}");
        assert_eq!(cells[2..], want, "{file}");
    }
    let s = w.store();
    // devlake #6 (Q1OHFWFP3GPXOG) is resolved but has no resolved_at: the resolve log
    // entry at 2022-11-03T06:51:44Z gives it.
    let i6 = &rows(
        &s,
        Table::Incidents,
        col::INCIDENT_ID,
        "pagerduty:Q1OHFWFP3GPXOG",
    )[0];
    assert_eq!(i6[col::NUMBER], Value::Int(6));
    assert_eq!(i6[col::RESOLVED_AT], t("2022-11-03T06:51:44Z"));
    assert_eq!(i6[col::STARTED_AT], t("2022-11-03T06:45:36Z"));
    assert_eq!(
        i6[col::SEVERITY],
        Value::Null,
        "no priority: severity stays unknown"
    );
    // devlake #4: 12 notify entries, all by email, only names in their sentences; Keon
    // Amini (PQYACO3) acknowledged at 06:34:25 after his 06:32:13 page.
    let pages = rows(
        &s,
        Table::Pages,
        col::INCIDENT_ID,
        "pagerduty:Q3YON8WNWTZMRQ",
    );
    assert_eq!(pages.len(), 12);
    assert!(pages
        .iter()
        .all(|p| p[col::CHANNEL] == Value::text("email")));
    let keon_first = pages
        .iter()
        .find(|p| {
            p[col::PERSON_ID] == Value::text("pagerduty:PQYACO3")
                && p[col::SENT_AT] == t("2022-11-03T06:32:13Z")
        })
        .unwrap();
    assert_eq!(keon_first[col::ACKNOWLEDGED_AT], t("2022-11-03T06:34:25Z"));
    // "Kian Amini" appears by name in sentences and by id (P25K520) in a reference.
    assert_eq!(
        pages
            .iter()
            .filter(|p| p[col::PERSON_ID] == Value::text("pagerduty:P25K520"))
            .count(),
        5
    );
    // The incidents list: P2, "My Mail Service", 21:30:42 to 21:38:23.
    let fire = &rows(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:PT4KHLK")[0];
    assert_eq!(fire[col::SEVERITY], Value::text("SEV2"));
    assert_eq!(fire[col::STARTED_AT], t("2015-10-06T21:30:42Z"));
    assert_eq!(fire[col::RESOLVED_AT], t("2015-10-06T21:38:23Z"));
    let svc = rows(
        &s,
        Table::IncidentServices,
        col::INCIDENT_ID,
        "pagerduty:PT4KHLK",
    );
    assert_eq!(svc[0][col::SERVICE], Value::text("My Mail Service"));
    // Analytics: zone-less times read in the envelope's Etc/UTC; "SEV-2"; first ack 48 s
    // after creation.
    let an = &rows(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:PCOOHCY")[0];
    assert_eq!(an[col::SEVERITY], Value::text("SEV2"));
    assert_eq!(an[col::STARTED_AT], t("2023-05-31T10:00:00Z"));
    assert_eq!(an[col::ACKNOWLEDGED_AT], t("2023-05-31T10:00:48Z"));
}

#[test]
fn every_opsgenie_sample_is_accounted_for() {
    let w = Workdir::new();
    let dir = samples_or_skip!("opsgenie");
    let out = w.ingest(&[&dir]);
    assert_eq!(
        accounting(&out, "_raw_opsgenie_incidents.data.json")[1..],
        ["opsgenie", "2", "2", "0", "0", "0", "0"]
    );
    // Team records hold no incident data: skipped, not rejected.
    assert_eq!(
        accounting(&out, "_raw_opsgenie_teams.data.json")[1..],
        ["opsgenie", "2", "0", "0", "0", "2", "0"]
    );
    assert_eq!(
        accounting(&out, "_raw_opsgenie_users.data.json")[1..],
        ["opsgenie", "1", "1", "0", "0", "0", "0"]
    );
    assert!(
        stderr(&out).contains(
            "_raw_opsgenie_teams.data.json: 2 records: an Opsgenie team: teams come from the \
             service catalog or the roster (at $[0], $[1])"
        ),
        "{}",
        stderr(&out)
    );
    let s = w.store();
    let i2 = &rows(
        &s,
        Table::Incidents,
        col::INCIDENT_ID,
        "opsgenie:3f84e009-7548-4e7d-832a-fa82c1ceb6b1",
    )[0];
    assert_eq!(i2[col::NUMBER], Value::Int(1));
    assert_eq!(i2[col::SEVERITY], Value::text("SEV5"));
    assert_eq!(i2[col::STARTED_AT], t("2023-09-05T18:20:28.003Z"));
    assert_eq!(i2[col::RESOLVED_AT], t("2023-09-05T18:21:21.49Z"));
    let open = &rows(
        &s,
        Table::Incidents,
        col::INCIDENT_ID,
        "opsgenie:3a74524a-f492-4172-b3f5-6041c7cb404a",
    )[0];
    assert_eq!(open[col::RESOLVED_AT], Value::Null);
    let user = &rows(&s, Table::People, col::PERSON_ID, "pikekad209@ipnuc.com")[0];
    assert_eq!(user[col::TIMEZONE], Value::text("America/Sao_Paulo"));
    assert_eq!(
        user[col::ALIASES],
        Value::List(vec!["opsgenie:2bf71ba0-cb10-4c6d-95d3-07ff54dcc91a".into()])
    );
}

#[test]
fn malformed_pagerduty_records_are_rejected_with_their_json_path() {
    let w = Workdir::new();
    let dir = fixtures().join("pagerduty/malformed");
    let (incidents, entries) = (dir.join("incidents.json"), dir.join("log_entries.json"));
    let store = w.store();
    // A file cut off is read up to the cut, and the run fails: records were lost.
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            store.to_str().unwrap(),
            incidents.to_str().unwrap(),
            entries.to_str().unwrap(),
        ],
        2,
    );
    // 4 incidents: 1 good, no id, bad timestamp, cut off (the cut is one reject).
    assert_eq!(
        accounting(&out, "incidents.json")[1..],
        ["pagerduty", "4", "1", "0", "0", "3"]
    );
    let err = stderr(&out);
    for expected in [
        "incidents.json: $.incidents[1]: an incident without 'id'",
        "incidents.json: $.incidents[2]: created_at: expected an ISO-8601 timestamp such as 2026-07-01T09:30:00Z, found 'last Tuesday'",
        "incidents.json: $.incidents[3]: expected more JSON, found the end of the file (truncated?) at line 5",
        // The cut record's 103 bytes (from its opening brace) are what was not read.
        "incidents.json: reading stopped at $.incidents[3]: the rest of the file (103 bytes) was not read",
        // The entry of an incident no export has brought waits for it.
        "1 record waits for an incident no ingest has brought yet",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert_eq!(
        accounting(&out, "log_entries.json")[1..],
        ["pagerduty", "2", "1", "0", "1", "0"]
    );
    let waiting = rows(
        &w.store(),
        Table::Pending,
        col::LOCATION,
        "$.log_entries[1]",
    );
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        waiting[0][col::REQUIRES],
        Value::List(vec!["pagerduty:PNOPE".into()])
    );
    assert_eq!(
        rows(&w.store(), Table::Events, col::INCIDENT_ID, "pagerduty:PM1").len(),
        1
    );
}

#[test]
fn metrics_from_pagerduty_alone_match_hand_worked_values() {
    let w = Workdir::new();
    w.ingest(&[&fixtures().join("pagerduty/org")]);
    let store = w.store();
    let out = w.run_status(
        &[
            "metrics",
            "--format",
            "json",
            "--period",
            "2026-07",
            "--store",
            store.to_str().unwrap(),
        ],
        0,
    );
    let m: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    // as_of: the latest timestamp in the store (PI3's resolution), before the month's end.
    assert_eq!(m["period"]["as_of"], "2026-07-18T02:30:00Z");
    assert_eq!(m["incidents"]["by_severity"]["SEV1"], 1);
    assert_eq!(m["incidents"]["by_severity"]["SEV3"], 1);
    assert_eq!(m["incidents"]["by_severity"]["unknown"], 1);
    // Acknowledgement minus first page: 6, 10 and 4 minutes; p90 = 6 + 0.8 * (10 - 6).
    let ack = &m["phases"]["time_to_ack"];
    assert_eq!(
        (ack["n"].as_u64(), ack["median_minutes"].as_f64()),
        (Some(3), Some(6.0))
    );
    assert!((ack["p90_minutes"].as_f64().unwrap() - 9.2).abs() < 1e-9);
    // Resolve: 60, 120 and 30 minutes (PI3's resolution comes from its log entry).
    let res = &m["phases"]["time_to_resolve"];
    assert_eq!(res["median_minutes"].as_f64(), Some(60.0));
    assert!((res["p90_minutes"].as_f64().unwrap() - 108.0).abs() < 1e-9);
    // Hotspots: checkout 2 of 3 (SEV1 8 + SEV3 2), impact 180 min, one repeat; scipy's
    // binomtest(2, 2, 31/61) = 0.500134372480516.
    let h = &m["hotspots"][0];
    assert_eq!(h["service"], "checkout");
    assert_eq!(h["incidents"], 2);
    assert_eq!(h["weighted_score"].as_f64(), Some(10.0));
    assert_eq!(h["impact_minutes"].as_f64(), Some(180.0));
    assert_eq!(h["repeat_incidents"], 1);
    assert!((h["change_p_value"].as_f64().unwrap() - 0.500134372480516).abs() < 1e-12);
    assert_eq!(m["hotspots"][1]["service"], "search");
    assert_eq!(m["hotspots"][1]["impact_minutes"].as_f64(), Some(30.0));
    // Responders, joined by e-mail through the /users export: Ana acknowledged PI1, Bo
    // PI2 and PI3. Pages: Ana's SMS at 21:30Z is 23:30 in Berlin (sleep hours); Bo's
    // phone page at 02:05Z on a Saturday is 22:05 Friday in New York (sleep hours); the
    // two 13:02Z pages on a Tuesday are business hours for both.
    let r = &m["responders"];
    assert_eq!(r["distinct_responders"], 2);
    assert_eq!(
        (
            r["pages"].as_u64(),
            r["off_hours_pages"].as_u64(),
            r["sleep_hours_pages"].as_u64()
        ),
        (Some(4), Some(2), Some(2))
    );
    assert_eq!(r["people"][0]["person_id"], "bo@acme.example");
    assert_eq!(r["people"][0]["incidents"], 2);
    assert_eq!(r["people"][1]["person_id"], "ana@acme.example");
    assert_eq!(
        (
            r["people"][1]["pages"].as_u64(),
            r["people"][1]["sleep_hours_pages"].as_u64()
        ),
        (Some(2), Some(1))
    );
    // x = [1, 2]: gini = 2 / (2 * 4 * 1.5) = 1/6; top person 2 of 3.
    assert!((r["gini"].as_f64().unwrap() - 1.0 / 6.0).abs() < 1e-12);
    assert!((r["top1_share"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(m["data_quality"]["unmatched_people"], 0);
}

#[test]
fn pagerduty_csv_maps_columns_by_header_name() {
    let w = Workdir::new();
    let cfg = w.path().join("incidentlens.toml");
    std::fs::write(&cfg, "[sources.pagerduty]\ntimezone = \"Europe/Berlin\"\n").unwrap();
    let csv = fixtures().join("pagerduty_csv/incidents.csv");
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            w.store().to_str().unwrap(),
            csv.to_str().unwrap(),
        ],
        0,
    );
    // #203 has priority "P9", which is no severity: kept, severity unknown.
    assert_eq!(
        accounting(&out, "incidents.csv")[1..],
        ["pagerduty_csv", "3", "3", "0", "0", "0"]
    );
    assert!(
        stderr(&out).contains("ignoring column(s) no field uses: 'Notes'"),
        "{}",
        stderr(&out)
    );
    let s = w.store();
    let a = &rows(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:#201")[0];
    assert_eq!(a[col::NUMBER], Value::Int(201));
    assert_eq!(a[col::SEVERITY], Value::text("SEV1"));
    assert_eq!(a[col::RESOLVED_AT], t("2026-07-02T09:30:00Z"));
    // "2026-07-03 10:00:00" has no offset: read in the configured Europe/Berlin (CEST).
    let b = &rows(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:#202")[0];
    assert_eq!(b[col::STARTED_AT], t("2026-07-03T08:00:00Z"));
    assert_eq!(b[col::SEVERITY], Value::Null);
    let people: Vec<Value> = rows(&s, Table::Participants, col::INCIDENT_ID, "pagerduty:#202")
        .into_iter()
        .map(|r| r[col::PERSON_ID].clone())
        .collect();
    assert_eq!(
        people,
        [
            Value::text("ana@acme.example"),
            Value::text("pagerduty:name:Bo Reyes")
        ]
    );
    let c = &rows(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:#203")[0];
    assert_eq!(
        (c[col::SEVERITY].clone(), c[col::SEVERITY_RAW].clone()),
        (Value::Null, Value::text("P9"))
    );
}

#[test]
fn opsgenie_alerts_csv_by_header_name() {
    let w = Workdir::new();
    let csv = fixtures().join("opsgenie_csv/alerts.csv");
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            w.store().to_str().unwrap(),
            csv.to_str().unwrap(),
        ],
        0,
    );
    // The third row is short: a reject naming its line; the others ingest.
    assert_eq!(
        accounting(&out, "alerts.csv")[1..],
        ["opsgenie_csv", "3", "2", "0", "0", "1"]
    );
    assert!(
        stderr(&out).contains("alerts.csv: line 4: expected 12 fields as in the header, found 7"),
        "{}",
        stderr(&out)
    );
    let s = w.store();
    // Epoch milliseconds 1783072800000 = 2026-07-03T10:00:00Z.
    let a = &rows(&s, Table::Incidents, col::INCIDENT_ID, "opsgenie:a-1")[0];
    assert_eq!(a[col::STARTED_AT], t("2026-07-03T10:00:00Z"));
    assert_eq!(a[col::RESOLVED_AT], t("2026-07-03T11:00:00Z"));
    assert_eq!(a[col::SEVERITY], Value::text("SEV2"));
    let drill = &rows(&s, Table::Incidents, col::INCIDENT_ID, "opsgenie:a-2")[0];
    assert_eq!(drill[col::IS_DRILL], Value::Bool(true));
    let who = &rows(&s, Table::Participants, col::INCIDENT_ID, "opsgenie:a-1")[0];
    assert_eq!(who[col::PERSON_ID], Value::text("ops@acme.example"));
    // Each alert with its alias is also kept as an alert, for page noise.
    let alert = &rows(&s, Table::Alerts, col::ALERT_ID, "opsgenie:a-1")[0];
    assert_eq!(alert[col::ALERT_KEY], Value::text("disk-db3"));
    assert_eq!(alert[col::INCIDENT_ID], Value::text("opsgenie:a-1"));
    assert_eq!(alert[col::CREATED_AT], t("2026-07-03T10:00:00Z"));
    assert_eq!(rows(&s, Table::Alerts, col::SOURCE, "opsgenie").len(), 2);
}

#[test]
fn an_array_of_pages_reads_like_one_page() {
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("pagerduty/pages/incidents_pages.json")]);
    assert_eq!(
        accounting(&out, "incidents_pages.json")[1..],
        ["pagerduty", "3", "3", "0", "0", "0"]
    );
    let pi3 = &rows(
        &w.store(),
        Table::Incidents,
        col::INCIDENT_ID,
        "pagerduty:PI3",
    )[0];
    assert_eq!(pi3[col::RESOLVED_AT], t("2026-07-18T02:30:00Z"));
    // The same incidents again, as one page: all duplicates.
    let again = w.ingest(&[&fixtures().join("pagerduty/org/incidents.json")]);
    assert_eq!(
        accounting(&again, "incidents.json")[1..],
        ["pagerduty", "3", "0", "3", "0", "0"]
    );
}

/// A name learned from one incident's references gives the person of a page that a
/// later incident names only in a sentence, however far apart the two are in the file:
/// incidents read on other cores are read again in order when they ask for a name.
#[test]
fn names_learned_earlier_in_the_file_give_the_pages_person() {
    let incident = |n: usize, entries: &str, assignments: &str| {
        format!(
            r#"{{"id": "Q{n}", "incident_number": {n}, "title": "Incident {n} {pad}",
                "created_at": "2026-01-01T00:00:00Z", "status": "triggered",
                "escalation_policy": {{"id": "PEP", "type": "escalation_policy_reference"}},
                "assignments": [{assignments}], "log_entries": [{entries}]}}"#,
            pad = "x".repeat(900)
        )
    };
    let ann = r#"{"at": "2026-01-01T00:00:00Z", "assignee": {"id": "PANN",
        "type": "user_reference", "summary": "Ann Lee"}}"#;
    let notify = |n: usize| {
        format!(
            r#"{{"id": "R{n}", "type": "notify_log_entry", "created_at": "2026-01-01T00:01:00Z",
                "summary": "Notified Ann Lee by email.", "channel": {{"type": "auto"}}}}"#
        )
    };
    // Ann's reference comes first; her page by name 1,500 incidents (1.5 MB) later,
    // beyond the first batch the file is split into; a page of a name never seen last.
    let mut all = vec![incident(0, "", ann)];
    all.extend((1..1500).map(|n| incident(n, "", "")));
    all.push(incident(1500, &notify(1500), ""));
    all.push(incident(
        1501,
        &notify(1501).replace("Ann Lee", "Bo Ray"),
        "",
    ));
    let w = Workdir::new();
    let path = w.path().join("incidents.json");
    std::fs::write(&path, format!("{{\"incidents\": [{}]}}", all.join(",\n"))).unwrap();
    let out = w.ingest(&[&path]);
    assert_eq!(
        accounting(&out, "incidents.json")[1..],
        ["pagerduty", "1,502", "1,502", "0", "0", "0"]
    );
    let person = |incident: &str| {
        rows(&w.store(), Table::Pages, col::INCIDENT_ID, incident)[0][col::PERSON_ID].clone()
    };
    assert_eq!(person("pagerduty:Q1500"), text("pagerduty:PANN"));
    assert_eq!(person("pagerduty:Q1501"), text("pagerduty:name:Bo Ray"));
}

#[test]
fn pagerduty_on_calls_give_on_call_hours_worked_out_by_hand() {
    // fixtures/pagerduty/oncall: two pages of /oncalls. Ana (PU1, Europe/Berlin from the
    // users export) is on "Checkout primary" through two escalation policies for the
    // same week, Monday 2026-07-06 09:00 CEST to the next Monday: merged, 168 h, of
    // which business hours are Monday 9–18 (9 h), Tuesday–Friday (40 h) and the next
    // Monday 8–9 (1 h) = 50 h; outside business 118 h; sleep 7 nights × 10 h = 70 h. She
    // is paged once inside it (PI1's notify at 21:30Z on 2026-07-08). Bo (PU2, New York)
    // is on call Wednesday 13:00 to Thursday 13:00 EDT: 24 h, business 5 + 5 h, sleep
    // 10 h. Cy (PU3, no roster: UTC) is on an escalation level directly (no start, no
    // end): all of July, 744 h; 23 weekdays × 10 h = 230 h business, so 514 h outside;
    // sleep 31 × 10 h = 310 h.
    let w = Workdir::new();
    let out = w.ingest(&[
        &fixtures().join("pagerduty/oncall"),
        &fixtures().join("pagerduty/org"),
    ]);
    let (out, err) = (stdout(&out), stderr(&out));
    assert!(
        out.contains("on_call 4") || err.contains("on_call 4"),
        "{out}{err}"
    );
    assert!(!err.contains("rejected"), "{err}");
    let m = w.metrics_json(&["--period", "2026-07", "--as-of", "2026-08-01T00:00:00Z"]);
    let oc = &m["on_call"];
    let row = |p: &serde_json::Value| {
        (
            p["person_id"].as_str().unwrap().to_string(),
            p["hours"].as_f64().unwrap(),
            p["outside_business_hours"].as_f64().unwrap(),
            p["sleep_hours"].as_f64().unwrap(),
            p["pages"].as_u64().unwrap(),
        )
    };
    let people: Vec<_> = oc["by_person"]
        .as_array()
        .unwrap()
        .iter()
        .map(row)
        .collect();
    assert_eq!(
        people,
        [
            ("pagerduty:PU3".to_string(), 744.0, 514.0, 310.0, 0),
            ("ana@acme.example".to_string(), 168.0, 118.0, 70.0, 1),
            ("bo@acme.example".to_string(), 24.0, 14.0, 10.0, 0),
        ]
    );
    assert_eq!(oc["hours"], 936.0);
    assert_eq!(oc["pages"], 1);
    assert_eq!(oc["pages_per_hour"].as_f64().unwrap(), 1.0 / 936.0);
    // As of mid-month, only the hours served by then count: Cy's 744 h become 10 days'.
    let m = w.metrics_json(&["--period", "2026-07", "--as-of", "2026-07-11T00:00:00Z"]);
    assert_eq!(m["on_call"]["by_person"][0]["person_id"], "pagerduty:PU3");
    assert_eq!(m["on_call"]["by_person"][0]["hours"], 240.0);
}

#[test]
fn an_opsgenie_schedule_timeline_gives_on_call_hours_worked_out_by_hand() {
    // fixtures/opsgenie/timeline: a /v2/schedules/{id}/timeline response. Ana's week is
    // cut in two periods at the moment the timeline was asked for (historical, then
    // default): merged, Monday 2026-07-06 07:00Z to the next Monday, 168 h in UTC (no
    // roster here): business Monday 8–18 and Tuesday–Friday, 50 h, so 118 h outside;
    // sleep 1 h of Sunday night, six nights of 10 h and 9 h of the last = 70 h. Bo from
    // Monday 07-13 07:00Z to Monday 07-20 00:00Z: 161 h, 50 h business, 111 h outside;
    // sleep 1 + 6 × 10 + 2 = 63 h. The "Always on call" rotation names a team: skipped.
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("opsgenie/timeline")]);
    let err = stderr(&out);
    assert!(
        err.contains("rotations[1].periods[0]: a timeline period of no one person"),
        "{err}"
    );
    assert!(!err.contains("rejected"), "{err}");
    let m = w.metrics_json(&["--period", "2026-07", "--as-of", "2026-08-01T00:00:00Z"]);
    let people: Vec<(String, f64, f64, f64)> = m["on_call"]["by_person"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["person_id"].as_str().unwrap().to_string(),
                p["hours"].as_f64().unwrap(),
                p["outside_business_hours"].as_f64().unwrap(),
                p["sleep_hours"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        people,
        [
            ("ana@acme.example".to_string(), 168.0, 118.0, 70.0),
            ("bo@acme.example".to_string(), 161.0, 111.0, 63.0),
        ]
    );
}

#[test]
fn responders_without_a_known_zone_are_read_in_utc_and_counted() {
    // The PagerDuty organisation without its users export: Ana (PU1) and Bo (PU2) act
    // in PI1–PI3 but no roster gives their zone, so their hours are read in UTC and data
    // quality counts the two. With the users export (Berlin, New York) none is counted.
    let w = Workdir::new();
    let dir = w.path().join("org");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        fixtures().join("pagerduty/org/incidents.json"),
        dir.join("incidents.json"),
    )
    .unwrap();
    w.ingest(&[&dir]);
    let m = w.metrics_json(&["--period", "2026-07"]);
    assert_eq!(m["data_quality"]["people_without_zone"], 2);
    assert!(m["workload"]["people"].as_u64().unwrap() >= 2);
    w.ingest(&[&fixtures().join("pagerduty/org/users.json")]);
    let m = w.metrics_json(&["--period", "2026-07"]);
    assert_eq!(m["data_quality"]["people_without_zone"], 0);
}

#[test]
fn alerts_give_page_noise_worked_out_by_hand() {
    // fixtures/pagerduty/alerts: four alerts of July 2026. PA3 was suppressed: it opened
    // no incident. PA2 repeats PA1's key 10 hours later (within 24 h); PA4 has the same
    // key 25 hours after PA2 and 35 after PA1: not a repeat.
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("pagerduty/alerts")]);
    assert_eq!(
        accounting(&out, "alerts.json")[1..],
        ["pagerduty", "4", "4", "0", "0", "0"]
    );
    let m = w.metrics_json(&["--period", "2026-07", "--as-of", "2026-08-01T00:00:00Z"]);
    let n = &m["page_noise"];
    assert_eq!(
        (
            &n["alerts"],
            &n["alerts_without_incident"],
            &n["repeat_alerts"]
        ),
        (
            &serde_json::json!(4),
            &serde_json::json!(1),
            &serde_json::json!(1)
        )
    );
}

#[test]
fn analytics_raw_incidents_take_the_zone_that_follows_them() {
    // The response's `time_zone` comes after its `data`: each raw incident is read once
    // the zone is known (Europe/Berlin, UTC+2 in July), a record that does not parse is
    // rejected once, and one whose time does not parse names the field.
    let w = Workdir::new();
    let file = w.path().join("raw_incidents.json");
    std::fs::write(
        &file,
        r#"{"data": [
 {"id": "P1", "incident_number": 1, "description": "disk", "created_at": "2026-07-01T10:00:00",
  "resolved_at": "2026-07-01T11:00:00", "seconds_to_first_ack": 60, "seconds_to_resolve": 3600,
  "priority_name": "P2", "status": "resolved", "service_name": "db"},
 {"id": "P2", "incident_number": 2, "description": "bad \q escape", "created_at": "2026-07-02T10:00:00"},
 {"id": "P3", "incident_number": 3, "created_at": "2026-07-03T10:00:00", "resolved_at": "soon",
  "seconds_to_resolve": 10}
], "aggregate_unit": null, "time_zone": "Europe/Berlin", "more": false}"#,
    )
    .unwrap();
    let out = w.ingest(&[&file]);
    assert_eq!(
        accounting(&out, "raw_incidents.json")[1..],
        ["pagerduty", "3", "1", "0", "0", "2"]
    );
    let err = stderr(&out);
    assert_eq!(
        err.matches("$.data[1]: invalid JSON: invalid escape")
            .count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("$.data[2]: resolved_at: expected an ISO-8601 timestamp"),
        "{err}"
    );
    let p1 = &rows(
        &w.store(),
        Table::Incidents,
        col::INCIDENT_ID,
        "pagerduty:P1",
    )[0];
    assert_eq!(p1[col::STARTED_AT], t("2026-07-01T08:00:00Z"));
    assert_eq!(p1[col::ACKNOWLEDGED_AT], t("2026-07-01T08:01:00Z"));
    assert_eq!(p1[col::RESOLVED_AT], t("2026-07-01T09:00:00Z"));
}
