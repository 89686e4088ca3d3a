//! `synth`: a synthetic organisation in the real vendor formats, deterministic for a
//! seed, that ingests without a reject.

use crate::util::*;

fn synth(w: &Workdir, out: &str, seed: &str) -> std::path::PathBuf {
    synth_with(w, out, seed, &[])
}

/// 60 incidents of 20 chat messages each, with `more` flags for synth.
fn synth_with(w: &Workdir, out: &str, seed: &str, more: &[&str]) -> std::path::PathBuf {
    let dir = w.path().join(out);
    let mut args = vec![
        "synth",
        "--incidents",
        "60",
        "--messages",
        "20",
        "--seed",
        seed,
        "--out",
        dir.to_str().unwrap(),
    ];
    args.extend(more);
    w.run_status(&args, 0);
    dir
}

#[test]
fn the_same_seed_gives_byte_identical_files() {
    let w = Workdir::new();
    let a = snapshot(&synth(&w, "a", "3"));
    let b = snapshot(&synth(&w, "b", "3"));
    let c = snapshot(&synth(&w, "c", "4"));
    let strip = |files: &[(std::path::PathBuf, Vec<u8>)], root: &str| -> Vec<(String, Vec<u8>)> {
        files
            .iter()
            .map(|(p, bytes)| {
                let rel = p.to_string_lossy();
                let rel = rel.split(&format!("/{root}/")).nth(1).unwrap().to_string();
                (rel, bytes.clone())
            })
            .collect()
    };
    assert_eq!(a.len(), 11);
    assert_eq!(strip(&a, "a"), strip(&b, "b"));
    assert_ne!(strip(&a, "a"), strip(&c, "c"));
}

#[test]
fn a_synthetic_organisation_ingests_without_a_reject_and_links() {
    let w = Workdir::new();
    let dir = synth(&w, "org", "11");
    let out = w.ingest(&[&dir]);
    for file in [
        "pagerduty/incidents.json",
        "pagerduty/users.json",
        "pagerduty/oncalls.json",
        "pagerduty/alerts.json",
        "slack/export.zip",
        "jira/search.json",
        "statuspage/incidents.json",
        "people.csv",
        "services.csv",
    ] {
        let cells = accounting(&out, file);
        assert_eq!(cells[5..], ["0", "0"], "{file}: {cells:?}");
        assert_ne!(cells[1], "error", "{file}");
    }
    assert!(!stderr(&out).contains("rejected:"), "{}", stderr(&out));
    // Every channel and ticket finds its incident; status-page entries name theirs.
    let err = stderr(&out);
    assert!(err.contains("60 incident channels"), "{err}");
    assert!(err.contains("0 dangling; 0 ambiguous"), "{err}");
    let m = w.metrics_json(&["--period", "2025"]);
    assert_eq!(m["data_quality"]["unmatched_people"], 0);
    assert_eq!(m["data_quality"]["services_not_in_catalog"], 0);
}

fn metrics(w: &Workdir, store: &std::path::Path, period: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "metrics",
        "--store",
        store.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend(period);
    serde_json::from_slice(&w.run_status(&args, 0).stdout).unwrap()
}

/// The metrics document without what names the files it came from.
fn metrics_without_provenance(
    w: &Workdir,
    store: &std::path::Path,
    period: &[&str],
) -> serde_json::Value {
    let mut m = metrics(w, store, period);
    let quality = m["data_quality"].as_object_mut().unwrap();
    for key in ["sources", "rows_read", "rows_ingested", "rows_rejected"] {
        assert!(quality.remove(key).is_some(), "{key}");
    }
    // Incident ids name their source (`pagerduty:Q3`, `acme:1003`); the number people
    // call an incident by (`#1003`) stays.
    for pair in m["recurrence"]["pairs"].as_array_mut().unwrap() {
        let pair = pair.as_object_mut().unwrap();
        assert!(pair.remove("incident_id").is_some() && pair.remove("earlier_id").is_some());
    }
    for induced in m["changes"]["induced"].as_array_mut().unwrap() {
        let induced = induced.as_object_mut().unwrap();
        assert!(
            induced.remove("incident_id").is_some() && induced.remove("deployment_id").is_some()
        );
    }
    m
}

#[test]
fn vendor_exports_and_canonical_tables_of_one_organisation_give_the_same_metrics() {
    // The canonical rendering is written from what the generator drew, not from the
    // vendor files: the adapters (PagerDuty log entries, Slack authors and updates, Jira
    // changelogs, Statuspage updates, the people's aliases) and linking must arrive at
    // the same incidents, times, people and follow-ups.
    let w = Workdir::new();
    let vendor = synth(&w, "vendor", "11");
    let canonical = synth_with(&w, "canonical", "11", &["--form", "canonical"]);
    let (a, b) = (w.path().join("a"), w.path().join("b"));
    for (dir, store) in [(&vendor, &a), (&canonical, &b)] {
        w.run_status(
            &[
                "ingest",
                "--store",
                store.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
            0,
        );
    }
    // And the independent oracle, reading the vendor path's store, agrees with both.
    for period in ["2024", "2025", "2025-Q2"] {
        let tool = metrics(&w, &a, &["--period", period]);
        let diffs = crate::metrics::oracle_diffs(&a, period, &tool);
        assert!(diffs.is_empty(), "{period}: {}", diffs.join("\n"));
    }
    for period in [
        &["--period", "2024"][..],
        &["--period", "2025"],
        &["--period", "2025-Q2"],
        &["--from", "2024-07-01", "--to", "2026-07-01"],
    ] {
        let (x, y) = (
            metrics_without_provenance(&w, &a, period),
            metrics_without_provenance(&w, &b, period),
        );
        assert!(x["incidents"]["count"].as_u64().unwrap() > 0, "{period:?}");
        assert_eq!(x, y, "{period:?}");
    }
}

#[test]
fn every_export_layout_gives_the_same_store_and_metrics() {
    // PagerDuty's log entries inside their incidents, in a file per incident, or in one
    // account-wide file; each JSON export as one object, a bare array, an array of
    // pages, pages one document after another, or JSON Lines (whose lines are
    // incidents holding their log entries). Every record arrives, none waits or is
    // rejected, and the metrics are those of the default layout.
    let w = Workdir::new();
    let write = |name: &str, log: &str, layout: &str| {
        synth_with(
            &w,
            name,
            "11",
            &["--pagerduty-log", log, "--layout", layout],
        )
    };
    let base = write("base", "embedded", "object");
    let base_store = w.path().join("s-base");
    w.run_status(
        &[
            "ingest",
            "--store",
            base_store.to_str().unwrap(),
            base.to_str().unwrap(),
        ],
        0,
    );
    let want = metrics_without_provenance(&w, &base_store, &["--period", "2025"]);
    for (log, layout) in [
        ("embedded", "lines"),
        ("embedded", "documents"),
        ("per-incident", "array"),
        ("global", "pages"),
        ("global", "lines"),
    ] {
        let name = format!("{log}-{layout}");
        let dir = write(&name, log, layout);
        let store = w.path().join(format!("s-{name}"));
        let out = w.run_status(
            &[
                "ingest",
                "--store",
                store.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
            0,
        );
        let err = stderr(&out);
        assert!(
            !err.contains("rejected:") && !err.contains("wait for"),
            "{name}: {err}"
        );
        let cells = accounting(&out, "pagerduty/incidents.json");
        assert_eq!(cells[2..], ["60", "60", "0", "0", "0"], "{name}: {cells:?}");
        if log == "global" {
            let cells = accounting(&out, "pagerduty/log_entries.json");
            assert_eq!(
                cells[2..],
                ["791", "791", "0", "0", "0"],
                "{name}: {cells:?}"
            );
        }
        let got = metrics_without_provenance(&w, &store, &["--period", "2025"]);
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn jira_as_its_csv_export_gives_the_tickets_of_its_json() {
    // The CSV export holds dates to the minute, without a zone (synth writes UTC):
    // counts are those of the search JSON, durations within a minute of them.
    let w = Workdir::new();
    let json = synth(&w, "json", "11");
    let csv = synth_with(&w, "csv", "11", &["--tickets", "jira-csv"]);
    let (a, b) = (w.path().join("a"), w.path().join("b"));
    w.run_status(
        &[
            "ingest",
            "--store",
            a.to_str().unwrap(),
            json.to_str().unwrap(),
        ],
        0,
    );
    let out = w.run_status(
        &[
            "ingest",
            "--timezone",
            "UTC",
            "--store",
            b.to_str().unwrap(),
            csv.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(
        accounting(&out, "jira/issues.csv")[1..],
        ["jira_csv", "277", "277", "0", "0", "0"]
    );
    let (x, y) = (
        metrics(&w, &a, &["--period", "2025"]),
        metrics(&w, &b, &["--period", "2025"]),
    );
    for key in ["total", "done", "wont_do", "open", "stale_open", "unowned"] {
        assert_eq!(x["action_items"][key], y["action_items"][key], "{key}");
    }
    for key in ["required", "held", "held_within_5_business_days"] {
        assert_eq!(x["time_to_retro"][key], y["time_to_retro"][key], "{key}");
    }
    let hours = |m: &serde_json::Value| m["time_to_retro"]["median_hours"].as_f64().unwrap();
    assert!(
        (hours(&x) - hours(&y)).abs() <= 1.0 / 60.0,
        "{} {}",
        hours(&x),
        hours(&y)
    );
}

#[test]
fn synthetic_alerts_flap_without_an_incident() {
    // 60 incidents: one alert each, and after incidents 6, 13, …, 55 (8 of them) three
    // firings of the service's flapping alert an hour apart, suppressed: 84 alerts, 24
    // without an incident, and 16 repeats (the second and third of each burst; bursts
    // of one service are days apart).
    let w = Workdir::new();
    let dir = synth(&w, "org", "11");
    w.ingest(&[&dir]);
    let m = w.metrics_json(&["--from", "2024-01-01", "--to", "2027-01-01"]);
    let n = &m["page_noise"];
    assert_eq!(
        (
            &n["alerts"],
            &n["alerts_without_incident"],
            &n["repeat_alerts"]
        ),
        (&84.into(), &24.into(), &16.into())
    );
}

#[test]
fn other_tools_exports_of_the_same_incidents_give_pagerdutys_figures() {
    // `synth --also` writes the incidents PagerDuty's export holds as Opsgenie,
    // incident.io and ServiceNow export them. Each, ingested alone, gives the same
    // incidents and times to resolve as PagerDuty's, to the precision it keeps:
    // Opsgenie's alert reports count milliseconds, ServiceNow's list export seconds and
    // its event log minutes.
    let w = Workdir::new();
    let dir = synth_with(
        &w,
        "org",
        "11",
        &[
            "--also",
            "opsgenie,incident-io,servicenow-csv,servicenow-log",
        ],
    );
    let ingest_alone = |name: &str, input: &str| {
        let store = w.path().join(name);
        let out = w.run_status(
            &[
                "ingest",
                "--timezone",
                "UTC",
                "--store",
                store.to_str().unwrap(),
                dir.join(input).to_str().unwrap(),
            ],
            0,
        );
        (out, metrics(&w, &store, &["--period", "2025"]))
    };
    let (_, pd) = ingest_alone("pd", "pagerduty");
    let phase = |m: &serde_json::Value, p: &str| {
        let p = &m["phases"][p];
        (p["n"].as_u64().unwrap(), p["median_minutes"].as_f64())
    };
    assert_eq!(pd["incidents"]["count"], 32);
    let (n, resolve) = phase(&pd, "time_to_resolve");
    assert_eq!(n, 32);
    let resolve = resolve.unwrap();
    let (_, ack) = phase(&pd, "time_to_ack");
    let ack = ack.unwrap();
    // (input, read, duplicates, how far its times may be from PagerDuty's, in minutes,
    // whether it holds when the incident was acknowledged)
    for (input, read, duplicates, within, acknowledged) in [
        ("opsgenie/incidents.json", "60", "0", 0.0, false),
        ("opsgenie/alerts.json", "60", "0", 0.001 / 60.0, true),
        ("incidentio/incidents.json", "60", "0", 0.0, true),
        ("servicenow/incidents.csv", "60", "0", 1.0 / 60.0, false),
        ("servicenow/event_log.csv", "240", "180", 1.0, false),
    ] {
        let (out, m) = ingest_alone(input.replace('/', "-").as_str(), input);
        assert_eq!(
            accounting(&out, input)[2..],
            [read, "60", duplicates, "0", "0"],
            "{input}"
        );
        assert_eq!(m["incidents"]["count"], 32, "{input}");
        for sev in ["SEV1", "SEV2"] {
            let by = |m: &serde_json::Value| m["incidents"]["by_severity"][sev].clone();
            assert_eq!(by(&m), by(&pd), "{input} {sev}");
        }
        let (n, median) = phase(&m, "time_to_resolve");
        assert_eq!(n, 32, "{input}");
        assert!(
            (median.unwrap() - resolve).abs() <= within,
            "{input}: {median:?} against {resolve}"
        );
        let (n, median) = phase(&m, "time_to_ack");
        if acknowledged {
            assert_eq!(n, 32, "{input}");
            assert!(
                (median.unwrap() - ack).abs() <= within,
                "{input}: {median:?}"
            );
        } else {
            assert_eq!(n, 0, "{input}");
        }
    }
}
