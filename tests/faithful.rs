//! Real exports read faithfully: distinct source records stay distinct rows, nested
//! records are accounted kind by kind, and neither the order of the files nor how they
//! are split over runs changes the store.

use crate::util::*;
use incidentlens::record::Value;
use incidentlens::schema::{col, Table};
use std::path::{Path, PathBuf};

/// The accounting of `file` for the rows of `kind`: [read, ingested, duplicate,
/// pending, rejected].
fn kind_counts(out: &std::process::Output, file_suffix: &str, kind: &str) -> Vec<String> {
    let text = stdout(out);
    let line = text
        .lines()
        .find(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            cells.len() > 2 && cells[1].ends_with(file_suffix) && cells[2] == kind
        })
        .unwrap_or_else(|| panic!("no {kind} line for {file_suffix} in:\n{text}"));
    line.split('|')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .skip(2)
        .collect()
}

#[test]
fn status_updates_posted_in_the_same_minute_are_two_rows() {
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("statuspage/edge/incidents.json")]);
    assert_eq!(
        accounting(&out, "incidents.json")[1..],
        ["statuspage", "2", "2", "0", "0", "0"]
    );
    // Five updates, two of them shown at 10:05 on the page: five rows.
    assert_eq!(
        kind_counts(&out, "incidents.json", "events"),
        ["5", "5", "0", "0", "0"]
    );
    let s = w.store();
    let mut e1: Vec<(String, Value)> = rows(&s, Table::Events, col::INCIDENT_ID, "statuspage:e1")
        .into_iter()
        .map(|r| (r[col::EVENT_ID].to_string(), r[col::AT].clone()))
        .collect();
    e1.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        e1,
        [
            ("statuspage:e1u1".to_string(), t("2026-09-01T10:00:00Z")),
            ("statuspage:e1u2".to_string(), t("2026-09-01T10:05:00Z")),
            ("statuspage:e1u3".to_string(), t("2026-09-01T10:05:00Z")),
        ]
    );
    // A backfilled update is placed where the page shows it (display_at), not when it
    // was typed in two days later (created_at).
    let mut e2: Vec<Value> = rows(&s, Table::Events, col::INCIDENT_ID, "statuspage:e2")
        .into_iter()
        .map(|r| r[col::AT].clone())
        .collect();
    e2.sort_by_key(|v| v.to_string());
    assert_eq!(e2, [t("2026-08-30T14:05:00Z"), t("2026-08-30T15:10:00Z")]);
    // No components on the incident: the one its updates took out of operation (Search;
    // Checkout stayed operational), and never the "no components" placeholder.
    let services = |id: &str| -> Vec<String> {
        rows(&s, Table::IncidentServices, col::INCIDENT_ID, id)
            .into_iter()
            .map(|r| r[col::SERVICE].to_string())
            .collect()
    };
    assert_eq!(services("statuspage:e1"), ["Search"]);
    assert!(services("statuspage:e2").is_empty());
    let tags: Vec<String> = rows(&s, Table::IncidentTags, col::INCIDENT_ID, "statuspage:e1")
        .into_iter()
        .map(|r| format!("{}={}", r[col::TAG], r[col::VALUE]))
        .collect();
    assert_eq!(
        tags,
        ["incidentlens:fallback=services: incident_updates.affected_components"]
    );
}

#[test]
fn events_without_a_source_id_are_known_by_their_content() {
    // Canonical events carry no id: the same line twice is one event, two lines that
    // differ only in their detail are two.
    let w = Workdir::new();
    let dir = w.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("incidents.csv"),
        "incident_id,title,started_at\nacme:1,Down,2026-07-01T10:00:00Z\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("events.csv"),
        "incident_id,at,kind,detail\n\
         acme:1,2026-07-01T10:05:00Z,status_update,Investigating\n\
         acme:1,2026-07-01T10:05:00Z,status_update,Investigating\n\
         acme:1,2026-07-01T10:05:00Z,status_update,Identified\n",
    )
    .unwrap();
    let out = w.ingest(&[&dir]);
    assert_eq!(
        accounting(&out, "events.csv")[1..],
        ["canonical", "3", "2", "1", "0", "0"]
    );
    assert_eq!(count(&w.store(), Table::Events), 2);
}

/// The values of an incident's tags.
fn tag_values(store: &Path, incident: &str) -> Vec<String> {
    rows(store, Table::IncidentTags, col::INCIDENT_ID, incident)
        .into_iter()
        .map(|r| r[col::VALUE].to_string())
        .collect()
}

/// The files of a small organisation from many sources, PagerDuty's log entries in a
/// global export beside its incidents.
fn organisation() -> Vec<PathBuf> {
    let f = fixtures();
    vec![
        f.join("pagerduty/split/incidents.json"),
        f.join("pagerduty/split/log_entries.json"),
        f.join("pagerduty/org/users.json"),
        f.join("slack/export"),
        f.join("jira/org/search.json"),
        f.join("incidentio/org/incidents.json"),
        f.join("incidentio/org/incident_updates.json"),
        f.join("incidentio/org/follow_ups.json"),
        f.join("statuspage/incidents.json"),
        f.join("demo/people.csv"),
    ]
}

/// Table files with their bytes.
type Files = Vec<(PathBuf, Vec<u8>)>;

/// Every table file of a store but the ingest bookkeeping (run ids, times).
fn data_files(store: &Path) -> Files {
    snapshot(store)
        .into_iter()
        .filter(|(p, _)| {
            let p = p.to_string_lossy();
            p.ends_with(".parquet")
                && !["ingest_runs", "ingest_counts", "rejects"]
                    .iter()
                    .any(|t| p.contains(&format!("/{t}/")))
        })
        .map(|(p, b)| (p.strip_prefix(store).unwrap().to_path_buf(), b))
        .collect()
}

/// Every reject as (file name, location, reason), sorted.
fn rejects(store: &Path) -> Vec<String> {
    let files = column(store, Table::Rejects, col::FILE);
    let locations = column(store, Table::Rejects, col::LOCATION);
    let reasons = column(store, Table::Rejects, col::REASON);
    let mut all: Vec<String> = files
        .iter()
        .zip(&locations)
        .zip(&reasons)
        .map(|((f, l), r)| format!("{f} {l} {r}"))
        .collect();
    all.sort();
    all
}

fn ingest_runs(w: &Workdir, runs: &[&[PathBuf]]) -> (Files, Vec<String>) {
    for files in runs {
        let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        w.ingest(&refs);
    }
    (data_files(&w.store()), rejects(&w.store()))
}

#[test]
fn the_store_does_not_depend_on_file_order_or_on_runs() {
    let files = organisation();
    let reference = Workdir::new();
    let (want, want_rejects) = ingest_runs(&reference, &[&files]);
    let s = reference.store();
    // Nothing waits: every log entry found its incident, read before or after it.
    assert_eq!(count(&s, Table::Pending), 0);
    // PI2 was exported without resolved_at; its resolve entry, in the global export,
    // gives it (15:00), and the fallback is noted.
    let pi2 = one(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:PI2");
    assert_eq!(pi2[col::RESOLVED_AT], t("2026-07-14T15:00:00Z"));
    assert_eq!(
        tag_values(&s, "pagerduty:PI2"),
        ["resolved_at: resolve log entry"]
    );

    let n = files.len();
    let mut orders: Vec<Vec<PathBuf>> = Vec::new();
    for k in 1..n {
        let mut rotated = files.clone();
        rotated.rotate_left(k);
        orders.push(rotated);
    }
    let mut reversed = files.clone();
    reversed.reverse();
    orders.push(reversed);
    for order in &orders {
        let w = Workdir::new();
        let (got, got_rejects) = ingest_runs(&w, &[order]);
        let names: Vec<_> = order.iter().map(|p| p.file_name().unwrap()).collect();
        assert!(got == want, "order {names:?} gives another store");
        assert_eq!(got_rejects, want_rejects, "order {names:?}");
    }
    // Split over two runs at every point, children first and parents first.
    for (label, order) in [
        ("forward", files.clone()),
        ("backward", orders[n - 1].clone()),
    ] {
        for cut in 1..n {
            let w = Workdir::new();
            let (got, got_rejects) = ingest_runs(&w, &[&order[..cut], &order[cut..]]);
            assert!(
                got == want,
                "{label}, split after {cut} files: another store"
            );
            assert_eq!(got_rejects, want_rejects, "{label}, split after {cut}");
        }
    }
}

#[test]
fn log_entries_before_their_incidents_wait_and_are_then_stored() {
    let w = Workdir::new();
    let split = fixtures().join("pagerduty/split");
    let out = w.ingest(&[&split.join("log_entries.json")]);
    // 13 entries of three incidents no run has brought: all pending, none rejected.
    assert_eq!(
        accounting(&out, "log_entries.json")[1..],
        ["pagerduty", "13", "0", "0", "13", "0"]
    );
    assert_eq!(
        kind_counts(&out, "log_entries.json", "events"),
        ["13", "0", "0", "13", "0"]
    );
    assert!(
        stderr(&out).contains("13 records wait for an incident"),
        "{}",
        stderr(&out)
    );
    assert_eq!(count(&w.store(), Table::Pending), 13);
    assert_eq!(count(&w.store(), Table::Events), 0);
    let out = w.ingest(&[&split.join("incidents.json")]);
    assert!(
        stderr(&out).contains("13 records kept by earlier runs"),
        "{}",
        stderr(&out)
    );
    assert_eq!(count(&w.store(), Table::Pending), 0);
    assert_eq!(count(&w.store(), Table::Events), 13);
    // In one run, the entries read first are stored all the same, and accounted so.
    let both = Workdir::new();
    let out = both.ingest(&[
        &split.join("log_entries.json"),
        &split.join("incidents.json"),
    ]);
    assert_eq!(
        accounting(&out, "log_entries.json")[1..],
        ["pagerduty", "13", "13", "0", "0", "0"]
    );
    assert_eq!(
        kind_counts(&out, "log_entries.json", "pages"),
        ["4", "4", "0", "0", "0"]
    );
}

#[test]
fn separate_log_entries_read_alike_in_any_order() {
    // The account-wide export lists entries newest first or oldest first, every
    // incident's interleaved with the others': an acknowledgement may come before the
    // page it acknowledges, and a name in a sentence before the entry showing its id.
    let split = fixtures().join("pagerduty/split");
    let (_, mut entries) = records_of(&split.join("log_entries.json"));
    // Ana Berg assigned to PI3, named in the sentence only (her id shows in PI1's).
    entries.push(serde_json::json!({"id": "L35", "type": "assign_log_entry",
        "created_at": "2026-07-18T02:10:00Z", "summary": "Assigned to Ana Berg.",
        "incident": {"id": "PI3", "type": "incident_reference"}}));
    let mut by_time = entries.clone();
    by_time.sort_by_key(|e| e["created_at"].as_str().unwrap().to_string());
    let mut newest_first = by_time.clone();
    newest_first.reverse();
    let mut stores = Vec::new();
    for (name, list) in [
        ("as-written", &entries),
        ("newest-first", &newest_first),
        ("oldest-first", &by_time),
    ] {
        let w = Workdir::new();
        let path = w.path().join(format!("{name}.json"));
        std::fs::write(
            &path,
            serde_json::to_vec(&serde_json::json!({"log_entries": list})).unwrap(),
        )
        .unwrap();
        let out = w.ingest(&[&path, &split.join("incidents.json")]);
        assert_eq!(
            accounting(&out, &format!("{name}.json"))[1..],
            ["pagerduty", "14", "14", "0", "0", "0"]
        );
        let store = w.store();
        // The page of PI1 is acknowledged by Ana Berg's acknowledgement after it.
        let page = one(&store, Table::Pages, col::PAGE_ID, "pagerduty:L12");
        assert_eq!(
            page[col::ACKNOWLEDGED_AT],
            t("2026-07-08T21:36:00Z"),
            "{name}"
        );
        // The sentence's name is her id, whichever entry came first.
        let ana: Vec<_> = rows(
            &store,
            Table::Participants,
            col::INCIDENT_ID,
            "pagerduty:PI3",
        )
        .into_iter()
        .filter(|r| r[col::PERSON_ID] == text("pagerduty:PU1"))
        .collect();
        assert_eq!(ana.len(), 1, "{name}");
        assert_eq!(
            ana[0][col::FIRST_ACTIVE_AT],
            t("2026-07-18T02:10:00Z"),
            "{name}"
        );
        stores.push((name, data_files(&store), w));
    }
    for (name, files, _) in &stores[1..] {
        assert!(
            *files == stores[0].1,
            "{name}: another store than as written"
        );
    }
}

/// The records of an export and the key they sit under (`None`: a bare array).
fn records_of(path: &Path) -> (Option<String>, Vec<serde_json::Value>) {
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    match doc {
        serde_json::Value::Array(all) => (None, all),
        serde_json::Value::Object(o) => {
            let (key, all) = o
                .into_iter()
                .find_map(|(k, v)| match v {
                    serde_json::Value::Array(a) if !a.is_empty() => Some((k, a)),
                    _ => None,
                })
                .unwrap();
            (Some(key), all)
        }
        _ => unreachable!(),
    }
}

/// The same records in every layout real tools write, as (file name, bytes).
fn layouts(name: &str, key: Option<&str>, records: &[serde_json::Value]) -> Vec<(String, Vec<u8>)> {
    use std::io::Write;
    let page = |rs: &[serde_json::Value]| match key {
        Some(k) => serde_json::json!({ k: rs }),
        None => serde_json::Value::Array(rs.to_vec()),
    };
    let one = serde_json::to_vec_pretty(&page(records)).unwrap();
    let bare = serde_json::to_vec(&records).unwrap();
    // Pages of two records each: as an array of pages, and back to back.
    let pages: Vec<serde_json::Value> = records.chunks(2).map(page).collect();
    let array_of_pages = serde_json::to_vec(&pages).unwrap();
    let mut concatenated = Vec::new();
    for p in &pages {
        concatenated.extend(serde_json::to_vec(p).unwrap());
        concatenated.push(b'\n');
    }
    let mut jsonl = Vec::new();
    for r in records {
        jsonl.extend(serde_json::to_vec(r).unwrap());
        jsonl.push(b'\n');
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&one).unwrap();
    vec![
        (format!("one/{name}.json"), one.clone()),
        (format!("bare/{name}.json"), bare),
        (format!("array-of-pages/{name}.json"), array_of_pages),
        (format!("concatenated/{name}.json"), concatenated),
        (format!("jsonl/{name}.jsonl"), jsonl),
        (format!("gzip/{name}.json.gz"), gz.finish().unwrap()),
    ]
}

/// Every line of the per-kind accounting adds up: read = ingested + duplicate +
/// pending + rejected.
fn check_kinds(out: &std::process::Output) {
    let text = stdout(out);
    let kinds = text.split("rows of").nth(1).unwrap_or_default();
    for line in kinds.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<u64> = line
            .split('|')
            .map(str::trim)
            .filter_map(|c| c.parse().ok())
            .collect();
        assert_eq!(cells.len(), 5, "{line}");
        assert_eq!(cells[0], cells[1..].iter().sum::<u64>(), "{line}");
    }
}

#[test]
fn every_json_source_reads_every_layout_alike() {
    let f = fixtures();
    for (source, file) in [
        ("pagerduty", f.join("pagerduty/split/incidents.json")),
        ("pagerduty", f.join("pagerduty/org/users.json")),
        ("statuspage", f.join("statuspage/incidents.json")),
        ("incidentio", f.join("incidentio/org/incidents.json")),
        ("jira", f.join("jira/org/search.json")),
        ("github", f.join("github/issues.json")),
        ("servicenow", f.join("servicenow/table_api.json")),
        ("rootly", f.join("rootly/incidents.json")),
        ("firehydrant", f.join("firehydrant/incidents.json")),
        (
            "firehydrant_changes",
            f.join("firehydrant_changes/change_events.json"),
        ),
        ("servicenow", f.join("servicenow/change_requests.json")),
        ("opsgenie", f.join("opsgenie/incidents.json")),
    ] {
        let (key, records) = records_of(&file);
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        let mut want: Option<(String, Files)> = None;
        for (name, bytes) in layouts(&stem, key.as_deref(), &records) {
            let w = Workdir::new();
            let path = w.path().join("in").join(&name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
            let out = w.ingest(&[&path]);
            let cells = accounting(&out, &name);
            assert_eq!(cells[1], source, "{source} {name}: {}", stdout(&out));
            assert_eq!(
                cells[2],
                records.len().to_string(),
                "{source} {name}: every record read\n{}",
                stdout(&out)
            );
            check_kinds(&out);
            let got = data_files(&w.store());
            match &want {
                None => want = Some((cells[3..].join(" "), got)),
                Some((counts, files)) => {
                    assert_eq!(&cells[3..].join(" "), counts, "{source} {name}");
                    assert!(got == *files, "{source} {name}: another store than one/");
                }
            }
        }
    }
}

#[test]
fn a_bare_array_of_pagerduty_users_is_people() {
    let w = Workdir::new();
    let (_, users) = records_of(&fixtures().join("pagerduty/org/users.json"));
    let path = w.path().join("users.json");
    std::fs::write(&path, serde_json::to_vec(&users).unwrap()).unwrap();
    w.ingest(&[&path]);
    assert_eq!(count(&w.store(), Table::Incidents), 0);
    let first = &users[0];
    let email = first["email"].as_str().unwrap().to_lowercase();
    let person = one(&w.store(), Table::People, col::PERSON_ID, &email);
    assert_eq!(
        person[col::TIMEZONE],
        text(first["time_zone"].as_str().unwrap())
    );
}

#[test]
fn zone_less_exports_take_the_zone_from_the_command_line() {
    let w = Workdir::new();
    let path = w.path().join("incidents.csv");
    std::fs::write(
        &path,
        "incident_id,title,started_at\nacme:1,Down,2026-07-01T10:00:00\n",
    )
    .unwrap();
    let store = w.store();
    let (s, p) = (store.to_str().unwrap(), path.to_str().unwrap());
    // Without a zone the row is refused, and the reason names the flag.
    let out = w.run_status(&["ingest", "--store", s, p], 0);
    assert!(
        stderr(&out).contains("ingest --timezone Europe/Berlin"),
        "{}",
        stderr(&out)
    );
    // A zone that does not exist is refused before anything is read.
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            s,
            "--timezone",
            "Mars/Olympus",
            "--force",
            p,
        ],
        2,
    );
    assert!(stderr(&out).contains("Mars/Olympus"), "{}", stderr(&out));
    w.run_status(
        &[
            "ingest",
            "--store",
            s,
            "--timezone",
            "Europe/Berlin",
            "--force",
            p,
        ],
        0,
    );
    let inc = one(&store, Table::Incidents, col::INCIDENT_ID, "acme:1");
    // 10:00 in Berlin in July (CEST, +02:00) is 08:00 UTC.
    assert_eq!(inc[col::STARTED_AT], t("2026-07-01T08:00:00Z"));
}

/// The record with a new id: every field the source identifies it by, changed.
fn with_new_id(mut record: serde_json::Value) -> serde_json::Value {
    for key in [
        "id",
        "key",
        "sys_id",
        "number",
        "incident_number",
        "reference",
        "tinyId",
    ] {
        match record.get_mut(key) {
            Some(v @ serde_json::Value::String(_)) => {
                *v = format!("{}9", v.as_str().unwrap()).into();
            }
            Some(v @ serde_json::Value::Number(_)) => {
                *v = (v.as_i64().unwrap() + 9000).into();
            }
            _ => {}
        }
    }
    record
}

#[test]
fn two_records_that_differ_only_in_their_source_id_are_two_rows() {
    let f = fixtures();
    let tickets = [Table::ActionItems, Table::Retros];
    let platform = f.join("incidentio/org/incidents.json");
    let pager = f.join("pagerduty/split/incidents.json");
    // (file, the tables its records become, the files of the incidents they need)
    let cases: Vec<(PathBuf, &[Table], Vec<PathBuf>)> = vec![
        (pager.clone(), &[Table::Incidents], vec![]),
        (
            f.join("pagerduty/split/log_entries.json"),
            &[Table::Events],
            vec![pager],
        ),
        (
            f.join("statuspage/incidents.json"),
            &[Table::Incidents],
            vec![],
        ),
        (platform.clone(), &[Table::Incidents], vec![]),
        (
            f.join("incidentio/org/incident_updates.json"),
            &[Table::Events],
            vec![platform.clone()],
        ),
        (
            f.join("incidentio/org/follow_ups.json"),
            &tickets,
            vec![platform],
        ),
        (f.join("jira/org/search.json"), &tickets, vec![]),
        (f.join("github/issues.json"), &tickets, vec![]),
        (
            f.join("servicenow/table_api.json"),
            &[Table::Incidents],
            vec![],
        ),
        (f.join("rootly/incidents.json"), &[Table::Incidents], vec![]),
        (
            f.join("firehydrant/incidents.json"),
            &[Table::Incidents],
            vec![],
        ),
        (
            f.join("opsgenie/incidents.json"),
            &[Table::Incidents],
            vec![],
        ),
    ];
    for (file, tables, parents) in cases {
        let (key, records) = records_of(&file);
        let name = file.file_name().unwrap().to_owned();
        // The export as it is, and with a twin of its first record that differs only
        // in its ids.
        let rows = |twin: bool| -> usize {
            let w = Workdir::new();
            let path = w.path().join("in").join(&name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let mut all = records.clone();
            if twin {
                all.push(with_new_id(records[0].clone()));
            }
            let doc = match &key {
                Some(k) => serde_json::json!({ k: all }),
                None => serde_json::Value::Array(all),
            };
            std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
            let mut inputs: Vec<&Path> = parents.iter().map(PathBuf::as_path).collect();
            inputs.push(&path);
            w.ingest(&inputs);
            tables.iter().map(|t| count(&w.store(), *t)).sum()
        };
        let without = rows(false);
        assert_eq!(
            rows(true),
            without + 1,
            "{}: the twin is a row of its own",
            file.display()
        );
    }
}

#[test]
fn pagerduty_incidents_stripped_of_links_are_read_with_their_fallbacks() {
    // Exports written by scripts often keep only some fields: no `self`, `html_url` or
    // `incident_number`, references without their `type`, and a resolved incident
    // without `resolved_at`.
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("pagerduty/stripped/incidents.json")]);
    assert_eq!(
        accounting(&out, "incidents.json")[1..],
        ["pagerduty", "2", "2", "0", "0", "0"]
    );
    let s = w.store();
    let q1 = one(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:Q2STRIP1");
    // Resolved at its last change of status: 11:20 at -07:00.
    assert_eq!(q1[col::RESOLVED_AT], t("2026-08-23T18:20:00Z"));
    assert_eq!(q1[col::SEVERITY], text("SEV1"));
    assert_eq!(
        tag_values(&s, "pagerduty:Q2STRIP1"),
        ["resolved_at: last_status_change_at"]
    );
    let m = w.metrics_json(&["--period", "2026-08"]);
    assert_eq!(
        m["data_quality"]["fallbacks"]["resolved_at: last_status_change_at"],
        1
    );
    // The report's data-quality box says so.
    let md = w.path().join("exec.md");
    let store = s.to_str().unwrap();
    w.run_status(
        &[
            "report",
            "--store",
            store,
            "--period",
            "2026-08",
            "--format",
            "md",
            "--out",
            md.to_str().unwrap(),
        ],
        0,
    );
    let md = std::fs::read_to_string(md).unwrap();
    assert!(
        md.contains(
            "Taken from a documented fallback: resolved_at: last_status_change_at (1 incident)."
        ),
        "{md}"
    );
    // Still triggered: no resolution is invented.
    let q2 = one(&s, Table::Incidents, col::INCIDENT_ID, "pagerduty:Q2STRIP2");
    assert_eq!(q2[col::RESOLVED_AT], Value::Null);
}

#[test]
fn issues_listed_by_the_gh_cli_are_read_like_the_rest_api() {
    // `gh issue list --state all --json …` writes camelCase fields, states in capitals
    // and the page's address as `url`.
    let w = Workdir::new();
    let out = w.ingest(&[&fixtures().join("github/gh-cli/issues.json")]);
    assert_eq!(
        accounting(&out, "issues.json")[1..],
        ["github", "3", "3", "0", "0", "0"]
    );
    let s = w.store();
    let done = one(&s, Table::ActionItems, col::ITEM_ID, "github:acme/shop#41");
    assert_eq!(done[col::STATUS], text("done"));
    assert_eq!(done[col::COMPLETED_AT], t("2026-07-20T16:00:00Z"));
    assert_eq!(done[col::CREATED_AT], t("2026-07-09T08:00:00Z"));
    assert_eq!(done[col::OWNER], text("github:ana-berg"));
    assert_eq!(done[col::TEAM], text("payments"));
    assert_eq!(
        done[col::URL],
        text("https://github.com/acme/shop/issues/41")
    );
    let dropped = one(&s, Table::ActionItems, col::ITEM_ID, "github:acme/shop#42");
    assert_eq!(dropped[col::STATUS], text("wont_do"));
    assert_eq!(dropped[col::STATUS_RAW], text("closed (not_planned)"));
    let open = one(&s, Table::ActionItems, col::ITEM_ID, "github:acme/shop#43");
    assert_eq!(open[col::STATUS], text("open"));
    assert_eq!(open[col::COMPLETED_AT], Value::Null);
}

#[test]
fn a_file_no_format_reads_names_the_closest_and_what_it_lacks() {
    let w = Workdir::new();
    let near = w.path().join("near.json");
    std::fs::write(
        &near,
        r#"{"items": [{"id": "X1", "urgency": "high", "log_entries": [], "title": "t"}]}"#,
    )
    .unwrap();
    let far = w.path().join("far.json");
    std::fs::write(&far, r#"[{"colour": "blue"}]"#).unwrap();
    let out = w.run(&[
        "ingest",
        "--store",
        w.store().to_str().unwrap(),
        near.to_str().unwrap(),
        far.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(
            "near.json: format not recognised; closest: pagerduty, whose fields urgency, \
             log_entries it has, but not incident_number, escalation_policy, \
             last_status_change_at"
        ),
        "{err}"
    );
    assert!(
        err.contains("far.json: format not recognised (the formats tried"),
        "{err}"
    );
    // Two files fit no format: the formats are listed once.
    assert_eq!(
        err.matches("  pagerduty (PagerDuty REST v2 JSON").count(),
        1,
        "{err}"
    );
}

#[test]
fn one_bad_record_loses_only_itself() {
    // 3,000 PagerDuty incidents, the 1,501st with an invalid escape: 2,999 ingested,
    // one rejected with its JSON path, and the run succeeds.
    let w = Workdir::new();
    let (_, records) = records_of(&fixtures().join("pagerduty/split/incidents.json"));
    let template = serde_json::to_string(&records[0]).unwrap();
    let mut all: Vec<String> = (0..3000)
        .map(|i| template.replace("\"PI1\"", &format!("\"PX{i}\"")))
        .collect();
    all[1500] = all[1500].replacen("\"title\":\"", "\"title\":\"bad \\x escape ", 1);
    let path = w.path().join("incidents.json");
    std::fs::write(&path, format!("{{\"incidents\": [{}]}}", all.join(",\n"))).unwrap();
    let out = w.ingest(&[&path]);
    assert_eq!(
        accounting(&out, "incidents.json")[1..],
        ["pagerduty", "3,000", "2,999", "0", "0", "1"]
    );
    assert!(
        stderr(&out).contains("incidents.json: $.incidents[1500]: invalid JSON: invalid escape"),
        "{}",
        stderr(&out)
    );
    assert_eq!(count(&w.store(), Table::Incidents), 2999);

    // A Jira issue whose description (Atlassian Document Format) nests 40 levels deep is
    // read like any other.
    let w = Workdir::new();
    let (key, mut issues) = records_of(&fixtures().join("jira/org/search.json"));
    let mut adf = serde_json::json!({"type": "text", "text": "deep"});
    for _ in 0..40 {
        adf = serde_json::json!({"type": "bulletList", "content": [adf]});
    }
    issues[0]["fields"]["description"] =
        serde_json::json!({"type": "doc", "version": 1, "content": [adf]});
    let path = w.path().join("search.json");
    let doc = serde_json::json!({ key.unwrap(): issues });
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = w.ingest(&[&path]);
    let n = issues.len().to_string();
    assert_eq!(
        accounting(&out, "search.json")[1..],
        ["jira", n.as_str(), n.as_str(), "0", "0", "0"]
    );
}

#[test]
fn csv_rows_that_differ_only_in_their_source_id_are_two_records() {
    let f = fixtures();
    let tickets = [Table::ActionItems, Table::Retros];
    // (file, the columns that identify a row, the tables its rows become)
    let cases: [(PathBuf, &[&str], &[Table]); 4] = [
        (
            f.join("jira_csv/issues.csv"),
            &["Issue key", "Issue id"],
            &tickets,
        ),
        (
            f.join("servicenow_csv/event_log.csv"),
            &["number"],
            &[Table::Incidents],
        ),
        (
            f.join("pagerduty_csv/incidents.csv"),
            &["Incident Number"],
            &[Table::Incidents],
        ),
        (
            f.join("opsgenie_csv/alerts.csv"),
            &["Id", "TinyId", "Alias"],
            &[Table::Incidents],
        ),
    ];
    for (file, ids, tables) in cases {
        // Fixtures hold ragged rows on purpose: keep them as they are.
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(&file)
            .unwrap();
        let header = reader.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let mut twin: Vec<String> = rows[0].iter().map(str::to_string).collect();
        for id in ids {
            let i = header.iter().position(|h| h == *id).unwrap();
            twin[i] = format!("{}9", twin[i]);
        }
        let count_rows = |with_twin: bool| -> usize {
            let w = Workdir::new();
            let path = w.path().join(file.file_name().unwrap());
            let mut out = csv::WriterBuilder::new()
                .flexible(true)
                .from_path(&path)
                .unwrap();
            out.write_record(&header).unwrap();
            for r in &rows {
                out.write_record(r).unwrap();
            }
            if with_twin {
                out.write_record(&twin).unwrap();
            }
            out.flush().unwrap();
            let store = w.store();
            w.run_status(
                &[
                    "ingest",
                    "--store",
                    store.to_str().unwrap(),
                    "--timezone",
                    "UTC",
                    path.to_str().unwrap(),
                ],
                0,
            );
            tables.iter().map(|t| count(&store, *t)).sum()
        };
        assert_eq!(
            count_rows(true),
            count_rows(false) + 1,
            "{}: the twin is a record of its own",
            file.display()
        );
    }
}
