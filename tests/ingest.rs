//! `ingest` of the canonical form: accounting, idempotency, crash safety, locking, and
//! every kind of bad input.

use crate::util::*;
use incidentlens::record::Value;
use incidentlens::schema::{col, Table};
use incidentlens::store::Store;

fn canonical(case: &str) -> std::path::PathBuf {
    fixtures().join("canonical").join(case)
}

/// The value of `column` in the row of `table` whose first key column is `key`.
fn cell(store: &std::path::Path, table: Table, key: &str, column: &str) -> Value {
    let df = Store::at(store).read(table).unwrap();
    let keys = df.column(table.key()[0]).unwrap().str().unwrap().clone();
    let i = (0..df.height())
        .find(|&i| keys.get(i) == Some(key))
        .unwrap_or_else(|| panic!("no {} row {key}", table.name()));
    Value::from_any(df.column(column).unwrap().get(i).unwrap())
}

#[test]
fn bad_rows_are_rejected_and_accounted_for() {
    let w = Workdir::new();
    let out = w.ingest(&[&canonical("bad-rows")]);
    // read = ingested + duplicate + rejected: 8 = 3 + 1 + 4. Line 6's severity label
    // 'Urgent' maps to nothing: the incident is kept, severity unknown, with a warning.
    assert_eq!(
        accounting(&out, "incidents.csv")[1..],
        ["canonical", "8", "3", "1", "0", "4"]
    );
    let err = stderr(&out);
    for expected in [
        "incidents.csv: line 3: expected 7 fields as in the header, found 5",
        "incidents.csv: line 4: number: expected an integer, found 'twelve'",
        "incidents.csv: line 5: started_at: timestamp '2026-07-05 10:00' has no zone offset",
        "incidents.csv: severity label 'Urgent' (1 incident) maps to no severity: counted as \
         severity unknown; map it in incidentlens.toml: [severity] map = { \"Urgent\" = \"SEV2\" }",
        "incidents.csv: line 8: duplicate key incident_id=acme:10 with different content within this file (first at line 2)",
        "warning: ",
        "ignoring column(s) 'ticket_owner' not in the incidents table",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // Every reject is in the store with its file, line and reason.
    let rejects = Store::at(w.store()).read(Table::Rejects).unwrap();
    assert_eq!(rejects.height(), 4);
    let locations: Vec<String> = rejects
        .column(col::LOCATION)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    assert_eq!(locations, ["line 3", "line 4", "line 5", "line 8"]);
    // Each with its kind of problem, and counted by kind on stderr.
    assert_eq!(
        column(&w.store(), Table::Rejects, col::PROBLEM),
        [
            text("syntax"),
            text("invalid value"),
            text("invalid value"),
            text("conflict")
        ]
    );
    assert!(
        err.contains("rejected 4 records: 1 syntax, 2 invalid value, 1 conflict"),
        "{err}"
    );
    assert_eq!(
        cell(&w.store(), Table::Incidents, "acme:14", col::SEVERITY),
        Value::Null
    );
    assert_eq!(
        cell(&w.store(), Table::Incidents, "acme:14", col::SEVERITY_RAW),
        Value::text("Urgent")
    );
    // The multi-line title of line 9 is one record.
    assert_eq!(
        cell(&w.store(), Table::Incidents, "acme:15", col::TITLE),
        Value::text("Payment provider\ntimeouts")
    );
    assert_eq!(
        cell(&w.store(), Table::Incidents, "acme:10", col::TITLE),
        Value::text("API errors")
    );
    let runs = Store::at(w.store()).read(Table::IngestRuns).unwrap();
    assert_eq!(runs.height(), 1);
    assert_eq!(
        runs.column(col::ROWS_REJECTED)
            .unwrap()
            .i64()
            .unwrap()
            .get(0),
        Some(4)
    );
}

#[test]
fn severities_and_times_are_normalised() {
    let w = Workdir::new();
    w.ingest(&[&canonical("base")]);
    let s = w.store();
    assert_eq!(
        cell(&s, Table::Incidents, "acme:2", col::SEVERITY),
        Value::text("SEV3")
    );
    assert_eq!(
        cell(&s, Table::Incidents, "acme:2", col::SEVERITY_RAW),
        Value::text("P3")
    );
    assert_eq!(
        cell(&s, Table::Incidents, "acme:3", col::SEVERITY),
        Value::text("SEV1")
    );
    // 2026-07-05T22:15:00+02:00 is 20:15 UTC (python: datetime.fromisoformat(...).timestamp()).
    assert_eq!(
        cell(&s, Table::Incidents, "acme:2", col::STARTED_AT),
        Value::Ts(1_783_282_500_000_000)
    );
    assert_eq!(
        cell(&s, Table::Incidents, "acme:2", col::EXTERNAL_ID),
        Value::text("2")
    );
    assert_eq!(
        cell(&s, Table::Incidents, "acme:2", col::IS_DRILL),
        Value::Bool(false)
    );
}

#[test]
fn second_ingest_changes_nothing() {
    let w = Workdir::new();
    let demo = w.path().join("demo");
    std::fs::create_dir(&demo).unwrap();
    for (name, text) in incidentlens::demo::FILES {
        std::fs::write(demo.join(name), text).unwrap();
    }
    w.ingest(&[&demo, &canonical("bad-rows")]);
    let before = snapshot(&w.store());
    let again = w.ingest(&[&demo, &canonical("bad-rows")]);
    assert_eq!(
        accounting(&again, "incidents.csv")[1..],
        ["canonical (unchanged)", "66", "0", "66", "0", "0"]
    );
    assert_eq!(
        snapshot(&w.store()),
        before,
        "the store changed on a second ingest"
    );

    // Parsing again (--force) finds only duplicates: the data tables keep their bytes.
    let forced = w.run_status(
        &[
            "ingest",
            "--force",
            "--store",
            w.store().to_str().unwrap(),
            demo.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(
        accounting(&forced, "events.csv")[1..],
        ["canonical", "564", "0", "564", "0", "0"]
    );
    let after = snapshot(&w.store());
    for ((p, a), (_, b)) in before.iter().zip(&after) {
        // The run's own accounting is added; nothing else changes.
        let p_ = p.to_string_lossy();
        if !p_.contains("ingest_runs") && !p_.contains("ingest_counts") {
            assert_eq!(a, b, "{} changed", p.display());
        }
    }
}

#[test]
fn newer_export_replaces_older_and_stale_export_is_a_duplicate() {
    let w = Workdir::new();
    w.ingest(&[&canonical("base")]);
    let out = w.ingest(&[&canonical("newer")]);
    assert_eq!(
        accounting(&out, "incidents.csv")[1..],
        ["canonical", "2", "1", "1", "0", "0"]
    );
    let s = w.store();
    assert_eq!(
        cell(&s, Table::Incidents, "acme:1", col::SEVERITY),
        Value::text("SEV1")
    );
    assert_eq!(
        cell(&s, Table::Incidents, "acme:2", col::TITLE),
        Value::text("Search slow"),
        "an export older than the stored row must not replace it"
    );
    assert_eq!(count(&s, Table::Incidents), 3);
}

#[test]
fn interrupted_commit_leaves_old_or_new_state() {
    for (point, want_incidents, want_runs) in [
        ("before-journal", 3, 1),
        // The journal's own file is written but not in place: still the old state.
        ("journal-written", 3, 1),
        ("after-first-rename", 5, 2),
    ] {
        let w = Workdir::new();
        w.ingest(&[&canonical("base")]);
        let crashed = w
            .command(&[
                "ingest",
                "--store",
                w.store().to_str().unwrap(),
                canonical("crlf").to_str().unwrap(),
            ])
            .env("INCIDENTLENS_TEST_CRASH", point)
            .output()
            .unwrap();
        assert!(
            !crashed.status.success(),
            "{point}: the crash hook did not fire"
        );
        // The next run repairs the store before anything else, and says so.
        let next = w.ingest(&[&canonical("base")]);
        let err = stderr(&next);
        assert!(
            err.contains("ended without releasing the store"),
            "{point}: {err}"
        );
        assert_eq!(
            count(&w.store(), Table::Incidents),
            want_incidents,
            "{point}"
        );
        let runs = count(&w.store(), Table::IngestRuns);
        assert_eq!(runs, want_runs, "{point}: runs and rows disagree");
        // No temporary file survives, so DuckDB's glob sees exactly the committed tables.
        let leftovers: Vec<_> = snapshot(&w.store())
            .into_iter()
            .filter(|(p, _)| p.to_string_lossy().contains(".tmp-") || p.ends_with("_journal.json"))
            .collect();
        assert!(leftovers.is_empty(), "{point}: {leftovers:?}");
    }
}

#[test]
fn concurrent_ingest_is_refused() {
    let w = Workdir::new();
    w.ingest(&[&canonical("base")]);
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(w.store().join(".lock"))
        .unwrap();
    lock.try_lock().expect("the test takes the lock");
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            w.store().to_str().unwrap(),
            canonical("crlf").to_str().unwrap(),
        ],
        2,
    );
    let err = stderr(&out);
    assert!(err.contains("is in use by another ingest"), "{err}");
    drop(lock);
    assert_eq!(count(&w.store(), Table::Incidents), 3);
}

#[test]
fn bom_and_crlf_are_read_cleanly() {
    let w = Workdir::new();
    let out = w.ingest(&[&canonical("bom"), &canonical("crlf")]);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    let s = w.store();
    assert_eq!(
        cell(&s, Table::Incidents, "acme:20", col::TITLE),
        Value::text("BOM file")
    );
    assert_eq!(
        cell(&s, Table::Incidents, "acme:31", col::TITLE),
        Value::text("Second CRLF row")
    );
    assert_eq!(
        cell(&s, Table::Incidents, "acme:31", col::SEVERITY),
        Value::text("SEV3")
    );
}

#[test]
fn truncated_jsonl_rejects_the_cut_line_only() {
    let w = Workdir::new();
    let out = w.ingest(&[&canonical("truncated")]);
    assert_eq!(
        accounting(&out, "incidents.jsonl")[1..],
        ["canonical", "3", "2", "0", "0", "1"]
    );
    let err = stderr(&out);
    assert!(
        err.contains("incidents.jsonl: line 3: expected a JSON object, found invalid JSON (EOF while parsing"),
        "{err}"
    );
}

#[test]
fn unreadable_files_are_errors_that_name_them() {
    let w = Workdir::new();
    let empty = canonical("empty").join("incidents.csv");
    let unknown = canonical("unknown").join("notes.json");
    let base = canonical("base");
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            w.store().to_str().unwrap(),
            empty.to_str().unwrap(),
            unknown.to_str().unwrap(),
            base.to_str().unwrap(),
        ],
        2,
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("error: {}: the file is empty", empty.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "error: {}: format not recognised (the formats tried are listed below)",
            unknown.display()
        )),
        "{err}"
    );
    // The formats are listed once, however many files fit none.
    assert_eq!(
        err.matches("  slack (Slack workspace export").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("  canonical (one CSV or JSONL file per canonical table"),
        "{err}"
    );
    // The accounting table says what kind of fault each file has.
    assert_eq!(accounting(&out, "empty/incidents.csv")[1], "error: layout");
    assert_eq!(accounting(&out, "notes.json")[1], "error: unrecognised");
    // The readable file still went in.
    assert_eq!(count(&w.store(), Table::Incidents), 3);
}

#[test]
fn strict_mode_writes_nothing_on_a_reject() {
    let w = Workdir::new();
    let out = w.run_status(
        &[
            "ingest",
            "--strict",
            "--store",
            w.store().to_str().unwrap(),
            canonical("bad-rows").to_str().unwrap(),
        ],
        2,
    );
    assert!(stderr(&out).contains("--strict: 4 records rejected; nothing was written"));
    assert!(!Store::at(w.store()).exists());
}

#[test]
fn records_that_do_not_apply_are_skipped_not_rejected_even_under_strict() {
    // An issues export with a pull request in it, named by its absolute path from the
    // folder above it: shown relative to the working folder, the pull request counted
    // as skipped with why, and --strict still writes the store.
    let w = Workdir::new();
    let exports = w.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    std::fs::copy(
        fixtures().join("github/issues.json"),
        exports.join("issues.json"),
    )
    .unwrap();
    let out = w.run_status(
        &[
            "ingest",
            "--strict",
            "--store",
            w.store().to_str().unwrap(),
            exports.join("issues.json").to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(
        accounting(&out, "issues.json"),
        [
            "exports/issues.json",
            "github",
            "4",
            "3",
            "0",
            "0",
            "1",
            "0"
        ]
    );
    assert!(
        stdout(&out).contains("| read | ingested | duplicate | pending | skipped | rejected |"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("skipped: exports/issues.json: $[2]: a pull request, not an issue"),
        "{}",
        stderr(&out)
    );
    assert!(Store::at(w.store()).exists());
    // Without a skipped record anywhere the column is left out.
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            w.path().join("other").to_str().unwrap(),
            canonical("base").to_str().unwrap(),
        ],
        0,
    );
    assert!(!stdout(&out).contains("skipped"), "{}", stdout(&out));
}

#[test]
fn a_rejects_table_written_before_problems_were_kept_reads_on_and_grows() {
    // A store from before the `problem` column: its rejects read with the column null,
    // and the next ingest's rejects are kept beside them, with theirs.
    let w = Workdir::new();
    w.ingest(&[&canonical("bad-rows")]);
    let store = Store::at(w.store());
    let path = store.table_path(Table::Rejects);
    let mut older = store
        .read(Table::Rejects)
        .unwrap()
        .drop(col::PROBLEM)
        .unwrap();
    polars::prelude::ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut older)
        .unwrap();
    assert_eq!(
        column(&w.store(), Table::Rejects, col::PROBLEM),
        [Value::Null, Value::Null, Value::Null, Value::Null]
    );
    let f = w.path().join("late.csv");
    std::fs::write(
        &f,
        "incident_id,number,title,severity,started_at\nacme:90,90,Late,SEV2,yesterday\n",
    )
    .unwrap();
    let out = w.ingest(&[&f]);
    assert_eq!(
        accounting(&out, "late.csv")[1..],
        ["canonical", "1", "0", "0", "0", "1"]
    );
    let mut problems = column(&w.store(), Table::Rejects, col::PROBLEM);
    problems.sort_by_key(|v| v.to_string());
    assert_eq!(problems.iter().filter(|v| v.is_null()).count(), 4);
    assert_eq!(problems.last(), Some(&text("invalid value")));
}

#[test]
fn many_rejects_of_one_reason_are_one_line_with_the_first_places() {
    let w = Workdir::new();
    let f = w.path().join("incidents.csv");
    let mut text = String::from("incident_id,number,title,severity,started_at\n");
    for n in 1..=6 {
        text += &format!("acme:{n},{n},Incident {n},SEV2,not a date\n");
    }
    text += "acme:7,7,Fine,SEV2,2026-07-01T00:00:00Z\n";
    std::fs::write(&f, text).unwrap();
    let out = w.ingest(&[&f]);
    assert_eq!(
        accounting(&out, "incidents.csv"),
        ["incidents.csv", "canonical", "7", "1", "0", "0", "6"]
    );
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("rejected")).collect();
    assert_eq!(
        lines,
        [
            "rejected (invalid value): incidents.csv: 6 records: started_at: expected an \
          ISO-8601 timestamp such as 2026-07-01T09:30:00Z, found 'not a date' (at line 2, \
          line 3, line 4, …)",
            "rejected 6 records: 6 invalid value"
        ],
        "{err}"
    );
}

#[test]
fn canonical_files_named_otherwise_are_known_by_header_or_table() {
    let w = Workdir::new();
    let dir = w.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let incidents = "incident_id,number,title,severity,started_at,service\n\
                     acme:1,1,Checkout down,SEV1,2026-07-01T10:00:00Z,checkout\n";
    // A browser's second download, and an export named after the company: both hold
    // incidents by their header; the column `service` belongs in another table.
    std::fs::write(dir.join("incidents (1).csv"), incidents).unwrap();
    std::fs::write(
        dir.join("acme export.csv"),
        incidents.replace("acme:1,1", "acme:2,2"),
    )
    .unwrap();
    let out = w.ingest(&[&dir]);
    assert_eq!(
        accounting(&out, "incidents (1).csv")[1..],
        ["canonical", "1", "1", "0", "0", "0"]
    );
    assert_eq!(
        accounting(&out, "acme export.csv")[1..],
        ["canonical", "1", "1", "0", "0", "0"]
    );
    assert!(
        stderr(&out).contains(
            "warning: in/acme export.csv: column 'service' is not a column of the incidents \
             table: it belongs in incident_services.csv (a row per incident_id and service)"
        ),
        "{}",
        stderr(&out)
    );
    // A header that fits no table alone (a key-value sheet): --table names it.
    let sheet = w.path().join("sheet.csv");
    std::fs::write(&sheet, "service,team\ncheckout,payments\n").unwrap();
    let s = w.store();
    let s = s.to_str().unwrap();
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            s,
            "--table",
            "services",
            sheet.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(
        accounting(&out, "sheet.csv")[1..],
        ["canonical", "1", "1", "0", "0", "0"]
    );
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            s,
            "--table",
            "services",
            "--source",
            "jira",
            sheet.to_str().unwrap(),
        ],
        2,
    );
    assert!(
        stderr(&out).contains("--table reads canonical tables; it does not go with --source jira"),
        "{}",
        stderr(&out)
    );
    // A file named after one table whose header fits another says so.
    let wrong = w.path().join("pages.csv");
    std::fs::write(&wrong, incidents.replace("acme:1,1", "acme:3,3")).unwrap();
    let out = w.run_status(&["ingest", "--store", s, wrong.to_str().unwrap()], 2);
    assert!(
        stderr(&out).contains(
            "the header fits the incidents table: name the file incidents.csv or pass --table incidents"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn header_without_a_key_is_a_file_error() {
    let w = Workdir::new();
    let dir = w.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("pages.csv"),
        "who,when\nana,2026-07-01T00:00:00Z\n",
    )
    .unwrap();
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            w.store().to_str().unwrap(),
            dir.to_str().unwrap(),
        ],
        2,
    );
    assert!(
        stderr(&out).contains("pages.csv: line 1: the header cannot identify pages rows: expected the column(s) page_id, found who, when"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn duckdb_reads_the_same_row_counts() {
    let w = Workdir::new();
    let out = w.run_status(&["demo", "--out", w.path().to_str().unwrap()], 0);
    let line = stdout(&out)
        .lines()
        .find(|l| l.starts_with("store (demo): "))
        .expect("row counts line")
        .to_string();
    let duck = python3()
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/oracle/duckdb_counts.py"
        ))
        .arg(w.store())
        .output()
        .expect("python3");
    assert!(
        duck.status.success(),
        "duckdb: {}",
        String::from_utf8_lossy(&duck.stderr)
    );
    let duck = String::from_utf8(duck.stdout).unwrap();
    let mut checked = 0;
    for pair in line.trim_start_matches("store (demo): ").split(", ") {
        let (table, n) = pair.split_once(' ').unwrap();
        assert!(
            duck.lines().any(|l| l == format!("{table} {n}")),
            "tool says {table} {n}; duckdb says:\n{duck}"
        );
        checked += 1;
    }
    assert_eq!(checked, 18);
}

#[test]
fn a_killed_ingest_leaves_the_old_or_the_new_store() {
    let counts = |store: &std::path::Path| -> Vec<usize> {
        Store::at(store)
            .counts()
            .unwrap()
            .into_iter()
            .map(|(_, n)| n)
            .collect()
    };
    let reference = Workdir::new();
    reference.ingest(&[&fixtures().join("pagerduty/org")]);
    let old = counts(&reference.store());
    reference.ingest(&[&fixtures().join("demo")]);
    let new = counts(&reference.store());
    assert_ne!(old, new);
    let mut outcomes = std::collections::BTreeSet::new();
    // Each file the commit writes or renames is followed by a 40 ms pause, so the
    // commit (about a dozen tables, two steps each) spans most of a second: the kills
    // land before it, inside it (writing the files, or renaming them after the journal:
    // seen at 200 and 500 ms when this was written) and after it.
    for delay in (0..=900).step_by(60) {
        let w = Workdir::new();
        w.ingest(&[&fixtures().join("pagerduty/org")]);
        let store = w.store();
        let s = store.display().to_string();
        let demo = fixtures().join("demo").display().to_string();
        let mut child = w
            .command(&["ingest", "--store", &s, &demo])
            .env("INCIDENTLENS_TEST_PAUSE_MS", "40")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // The next command that reads the store finishes a commit cut short.
        w.run_status(&["metrics", "--store", &s, "--format", "json"], 0);
        let now = counts(&store);
        assert!(
            now == old || now == new,
            "killed after {delay} ms: {now:?} is neither {old:?} nor {new:?}"
        );
        outcomes.insert(now == new);
        // Every file's accounting still adds up.
        let runs = Store::at(&store).read(Table::IngestRuns).unwrap();
        let n = |c: &str| -> Vec<i64> {
            runs.column(c)
                .unwrap()
                .i64()
                .unwrap()
                .into_no_null_iter()
                .collect()
        };
        let (read, ing, dup, rej) = (
            n(col::ROWS_READ),
            n(col::ROWS_INGESTED),
            n(col::ROWS_DUPLICATE),
            n(col::ROWS_REJECTED),
        );
        for i in 0..read.len() {
            assert_eq!(read[i], ing[i] + dup[i] + rej[i], "killed after {delay} ms");
        }
        // The next ingest removes what the killed one left half-written.
        w.ingest(&[&fixtures().join("pagerduty/org")]);
        let leftovers: Vec<_> = snapshot(&store)
            .into_iter()
            .filter(|(p, _)| p.to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "killed after {delay} ms: {leftovers:?}"
        );
    }
    // Some kills came before the commit ended, some after.
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
}

/// Tables spilled to sorted runs on disk, stored tables read a row group at a time and
/// a merge on commit (the paths of exports too large for memory, forced here every two
/// rows) give the same store as the in-memory writer: after a first ingest, and after a
/// second one that links the stored messages to new incidents.
#[test]
fn spilling_to_disk_gives_the_same_store() {
    let steps: [&[&str]; 2] = [&["slack/export", "jira/org"], &["pagerduty/org"]];
    let stores: Vec<Vec<(Table, polars::prelude::DataFrame)>> = [None, Some("2")]
        .into_iter()
        .map(|spill| {
            let w = Workdir::new();
            let s = w.store().display().to_string();
            for step in steps {
                let mut args = vec!["ingest".to_string(), "--store".into(), s.clone()];
                args.extend(
                    step.iter()
                        .map(|p| fixtures().join(p).display().to_string()),
                );
                let mut cmd = w.command(&args.iter().map(String::as_str).collect::<Vec<_>>());
                if let Some(n) = spill {
                    cmd.env("INCIDENTLENS_TEST_SPILL_ROWS", n);
                }
                let out = cmd.output().unwrap();
                assert!(out.status.success(), "{}", stderr(&out));
            }
            let leftovers: Vec<_> = walk(&w.store())
                .into_iter()
                .filter(|p| p.to_string_lossy().contains(".tmp-"))
                .collect();
            assert!(leftovers.is_empty(), "{leftovers:?}");
            Table::ALL
                .into_iter()
                .filter(|&t| t != Table::IngestRuns)
                .map(|t| (t, Store::at(w.store()).read(t).unwrap()))
                .collect()
        })
        .collect();
    for ((t, a), (_, b)) in stores[0].iter().zip(&stores[1]) {
        assert!(a.equals_missing(b), "table {}:\n{a}\n{b}", t.name());
    }
    // Enough messages to go through runs and the merge, and linked in the second step.
    let messages = &stores[1]
        .iter()
        .find(|(t, _)| *t == Table::Messages)
        .unwrap()
        .1;
    let linked = messages
        .column(col::INCIDENT_ID)
        .unwrap()
        .is_not_null()
        .sum();
    assert_eq!((messages.height(), linked), (10, Some(8)));
}

#[test]
fn files_read_at_once_are_accounted_in_input_order() {
    // Forty exports of uneven size, read a few at once: file k holds incident k and k+1
    // (the same row as in file k+1), so only the file that comes first in name order
    // may count a row as ingested; the next one counts it a duplicate. Files taken out
    // of turn would swap the two counts.
    let w = Workdir::new();
    let dir = w.path().join("exports");
    let header = "incident_id,title,severity,started_at,resolved_at,updated_at\n";
    let row = |id: &str| {
        format!("{id},Checkout errors,SEV2,2026-07-02T10:00:00Z,2026-07-02T11:30:00Z,2026-07-02T11:30:00Z\n")
    };
    let extra = |k: usize| (k * 37) % 300;
    for k in 0..40 {
        let sub = dir.join(format!("d{k:02}"));
        std::fs::create_dir_all(&sub).unwrap();
        let mut csv = String::from(header);
        csv += &row(&format!("acme:{k}"));
        csv += &row(&format!("acme:{}", k + 1));
        for j in 0..extra(k) {
            csv += &row(&format!("only-{k}:{j}"));
        }
        std::fs::write(sub.join("incidents.csv"), csv).unwrap();
    }
    let out = w.ingest(&[&dir]);
    for k in 0..40 {
        let read = 2 + extra(k);
        let duplicate = usize::from(k > 0);
        let want = [read, read - duplicate, duplicate, 0, 0].map(|n| n.to_string());
        let file = format!("d{k:02}/incidents.csv");
        assert_eq!(accounting(&out, &file)[2..], want, "{file}");
    }
    let extras: usize = (0..40).map(extra).sum();
    assert_eq!(count(&w.store(), Table::Incidents), 41 + extras);
}

#[test]
fn an_interrupted_commit_is_finished_from_any_working_folder() {
    // The crashed ingest names its store relatively from one folder; the next command
    // runs from another folder and names the store by its absolute path.
    let w = Workdir::new();
    let inner = w.path().join("work");
    std::fs::create_dir_all(&inner).unwrap();
    w.ingest(&[&canonical("base")]);
    let crashed = w
        .command(&[
            "ingest",
            "--store",
            "../store",
            canonical("crlf").to_str().unwrap(),
        ])
        .current_dir(&inner)
        .env("INCIDENTLENS_TEST_CRASH", "after-first-rename")
        .output()
        .unwrap();
    assert!(!crashed.status.success(), "the crash hook did not fire");
    let store = w.store();
    let next = w.run_status(
        &[
            "metrics",
            "--store",
            store.to_str().unwrap(),
            "--format",
            "json",
        ],
        0,
    );
    assert!(!stdout(&next).is_empty());
    // The whole commit was finished: the second run's incidents and its accounting.
    assert_eq!(count(&store, Table::Incidents), 5);
    assert_eq!(count(&store, Table::IngestRuns), 2);
    assert!(!store.join("_journal.json").exists());
}

#[test]
fn a_journal_whose_files_are_gone_is_refused_and_the_store_left_alone() {
    let w = Workdir::new();
    w.ingest(&[&canonical("base")]);
    let store = w.store();
    let crashed = w
        .command(&[
            "ingest",
            "--store",
            store.to_str().unwrap(),
            canonical("crlf").to_str().unwrap(),
        ])
        .env("INCIDENTLENS_TEST_CRASH", "after-first-rename")
        .output()
        .unwrap();
    assert!(!crashed.status.success(), "the crash hook did not fire");
    // Someone removes a file the journal still has to put in place.
    let journal: Vec<(String, String)> =
        serde_json::from_str(&std::fs::read_to_string(store.join("_journal.json")).unwrap())
            .unwrap();
    let pending = journal
        .iter()
        .map(|(from, _)| store.join(from))
        .rfind(|p| p.exists())
        .expect("a rename still to do");
    std::fs::remove_file(&pending).unwrap();
    let before = snapshot(&store);
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            store.to_str().unwrap(),
            canonical("base").to_str().unwrap(),
        ],
        2,
    );
    assert!(
        stderr(&out).contains("cannot be finished: ") && stderr(&out).contains(" is missing"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&store), before, "the store was changed");
}
