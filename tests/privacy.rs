//! Personal data: `people` lists it, `--pseudonymise` keeps it out of every output, and
//! `forget` removes a person's identity from the store.

use crate::util::*;
use incidentlens::schema::Table;

/// A store with PagerDuty, Slack (text kept) and incident.io, where Ana is known by her
/// e-mail and three aliases.
fn store() -> Workdir {
    let w = Workdir::new();
    w.ingest(&[&fixtures().join("pagerduty/org")]);
    let store = w.store().display().to_string();
    let slack = fixtures().join("slack/export").display().to_string();
    w.run_status(&["ingest", "--keep-text", "--store", &store, &slack], 0);
    w.ingest(&[&fixtures().join("incidentio/org")]);
    w
}

/// Strings that identify Ana in the fixtures.
const ANA: [&str; 6] = [
    "ana@acme.example",
    "Ana@Acme.example",
    "Ana Berg",
    "pagerduty:PU1",
    "slack:U1",
    "incidentio:IU1",
];

/// A whole table as CSV, read back by the tool (the Parquet pages are compressed, so
/// their bytes would prove nothing).
fn table_csv(w: &Workdir, store: &str, t: Table) -> String {
    let sql = format!("SELECT * FROM {}", t.name());
    stdout(&w.run_status(
        &["query", "--sql", &sql, "--format", "csv", "--store", store],
        0,
    ))
}

fn assert_no_ana(text: &str, what: &str) {
    for s in ANA {
        assert!(!text.contains(s), "{what} still names {s}:\n{text}");
    }
}

#[test]
fn people_lists_who_the_store_knows_and_where() {
    let w = store();
    let out = w.run_status(
        &[
            "people",
            "--format",
            "json",
            "--store",
            w.store().to_str().unwrap(),
        ],
        0,
    );
    let people: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ana = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["person_id"] == "ana@acme.example")
        .expect("Ana");
    assert_eq!(
        ana["aliases"],
        serde_json::json!(["incidentio:IU1", "pagerduty:PU1", "slack:U1"])
    );
    // PagerDuty: her SMS and e-mail pages; Slack: her three messages, texts kept.
    assert_eq!(ana["references"]["pages.person_id"], 2);
    assert_eq!(ana["references"]["messages.person_id"], 3);
    assert_eq!(ana["messages_with_text"], 3);
    assert_eq!(ana["in_people_table"], true);
}

#[test]
fn pseudonymise_covers_metrics_queries_and_review() {
    let w = store();
    let s = w.store().display().to_string();
    let period = ["--period", "2026-Q3", "--as-of", "2026-08-01T00:00:00Z"];
    let m = w.metrics_json(&[&period[..], &["--pseudonymise"]].concat());
    let text = serde_json::to_string(&m).unwrap();
    assert_no_ana(&text, "metrics --pseudonymise");
    // The same numbers, other names: Ana is one person, with a stable pseudonym.
    let plain = w.metrics_json(&period);
    assert_eq!(
        m["responders"]["distinct_responders"],
        plain["responders"]["distinct_responders"]
    );
    assert!(text.contains("\"Person 1\""), "{text}");
    for sql in [
        "SELECT * FROM people",
        "SELECT * FROM participants",
        "SELECT * FROM pages",
        "SELECT * FROM incidents",
        "SELECT * FROM action_items",
        // Expressions over person columns see pseudonyms too.
        "SELECT lower(person_id) AS p, upper(person_id) AS q FROM participants",
        "SELECT upper(email) AS e, lower(display_name) AS n, aliases FROM people",
        "SELECT concat(person_id, '') AS p FROM pages",
    ] {
        let out = w.run_status(
            &[
                "query",
                "--sql",
                sql,
                "--format",
                "csv",
                "--pseudonymise",
                "--store",
                &s,
            ],
            0,
        );
        assert_no_ana(&stdout(&out), sql);
        let lower = stdout(&out).to_lowercase();
        for s in ANA {
            assert!(
                !lower.contains(&s.to_lowercase()),
                "{sql} names {s}:\n{lower}"
            );
        }
    }
    let dir = w.path().join("rev");
    w.run_status(
        &[
            "review",
            "--store",
            &s,
            "--period",
            "2026-Q3",
            "--out",
            dir.to_str().unwrap(),
            "--pseudonymise",
        ],
        0,
    );
    for f in walk(&dir) {
        let text = std::fs::read_to_string(&f).unwrap();
        assert_no_ana(&text, &f.display().to_string());
    }
}

/// `forget --person WHO --store STORE FLAGS…` with the exit status wanted.
fn forget(w: &Workdir, who: &str, flags: &[&str], status: i32) -> std::process::Output {
    let store = w.store().display().to_string();
    let mut args = vec!["forget", "--person", who, "--store", &store];
    args.extend_from_slice(flags);
    w.run_status(&args, status)
}

#[test]
fn forget_removes_a_person_from_every_table() {
    let w = store();
    let s = w.store().display().to_string();
    let before = w.metrics_json(&["--period", "2026-Q3", "--as-of", "2026-08-01T00:00:00Z"]);
    let out = forget(&w, "Ana@Acme.example", &["--yes"], 0);
    let said = stdout(&out);
    assert!(
        said.starts_with("forgot Ana@Acme.example: now forgotten:"),
        "{said}"
    );
    // Every table, read back by the tool (the Parquet pages are compressed, so their
    // bytes would prove nothing).
    for t in Table::ALL {
        assert_no_ana(&table_csv(&w, &s, t), t.name());
    }
    // Her messages' texts are gone; the metrics count her still, as someone.
    let after = w.metrics_json(&["--period", "2026-Q3", "--as-of", "2026-08-01T00:00:00Z"]);
    assert_eq!(
        after["responders"]["distinct_responders"],
        before["responders"]["distinct_responders"]
    );
    assert_eq!(after["incidents"], before["incidents"]);
    // Forgetting twice: she is not there any more.
    let again = forget(&w, "ana@acme.example", &[], 2);
    assert!(
        stderr(&again).contains("no person 'ana@acme.example' in the store"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn forget_shows_what_it_would_change_and_asks_first() {
    let w = store();
    let before = snapshot(&w.store());
    // --dry-run: the plan, nothing changed.
    let out = forget(&w, "ana@acme.example", &["--dry-run"], 0);
    let err = stderr(&out);
    assert!(
        err.contains("forget ana@acme.example (in the store as ana@acme.example): would replace every mention of "),
        "{err}"
    );
    assert!(err.contains("'ana@acme.example'"), "{err}");
    assert!(err.contains("--dry-run: nothing was changed"), "{err}");
    assert_eq!(snapshot(&w.store()), before);
    // Without --yes and without a terminal to ask on: refused, nothing changed.
    let out = forget(&w, "ana@acme.example", &[], 2);
    assert!(
        stderr(&out).contains("forget changes the store for good: pass --yes to confirm"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&w.store()), before);
    // Both at once make no sense.
    forget(&w, "ana@acme.example", &["--dry-run", "--yes"], 2);
}

#[test]
fn forget_reaches_tags_rejects_names_and_ids_with_capitals() {
    let w = store();
    let s = w.store().display().to_string();
    // Ana as a tag's value, as a participant named by her display name, in a reject
    // that quotes her key; and Beth, known only by a ServiceNow-style id with capitals.
    let dir = w.path().join("own");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("incidents.csv"),
        "incident_id,title,severity,started_at,resolved_at\n\
         own:1,Checkout down (reported by Ana Berg),SEV2,2026-07-20T10:00:00Z,2026-07-20T11:00:00Z\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("incident_tags.csv"),
        "incident_id,tag,value\nown:1,reporter,ana@acme.example\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("participants.csv"),
        "incident_id,person_id,role,messages\n\
         own:1,Ana Berg,commander,\n\
         own:1,ana@acme.example,responder,1\n\
         own:1,ana@acme.example,responder,2\n\
         own:1,servicenow:Beth Anglin,responder,\n",
    )
    .unwrap();
    let out = w.run_status(&["ingest", "--store", &s, dir.to_str().unwrap()], 0);
    assert!(
        stderr(&out).contains("ana@acme.example"),
        "{}",
        stderr(&out)
    );
    // Beth is listed, and can be forgotten by the id as listed.
    let people = stdout(&w.run_status(&["people", "--store", &s, "--format", "json"], 0));
    assert!(people.contains("servicenow:Beth Anglin"), "{people}");
    forget(&w, "servicenow:Beth Anglin", &["--yes"], 0);
    forget(&w, "ana@acme.example", &["--yes"], 0);
    let mut seen: String = Table::ALL.iter().map(|t| table_csv(&w, &s, *t)).collect();
    seen.push_str(&stdout(
        &w.run_status(&["people", "--store", &s, "--format", "json"], 0),
    ));
    let report = w.path().join("r.md");
    w.run_status(
        &[
            "report",
            "--store",
            &s,
            "--period",
            "2026-Q3",
            "--out",
            report.to_str().unwrap(),
        ],
        0,
    );
    seen.push_str(&std::fs::read_to_string(&report).unwrap());
    assert_no_ana(&seen, "the store and its outputs");
    assert!(!seen.contains("Beth Anglin"), "{seen}");
    // What was said of them is still there, about someone.
    assert!(
        seen.contains("Checkout down (reported by forgotten:"),
        "{seen}"
    );
}
