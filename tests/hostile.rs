//! Broken and hostile input: each case names the file, the place, what was expected and
//! what was found, and loses nothing else. (Truncation, BOM, CRLF, ragged rows, zone-less
//! times, duplicate keys and empty files are in `ingest.rs`; zip slips, bombs and nested
//! zips in `chat.rs`; escaping and template injection in `report.rs`.)

use crate::util::*;
use incidentlens::schema::{col, Table};

#[test]
fn invalid_utf8_implausible_years_and_backwards_incidents() {
    let w = Workdir::new();
    let csv = w.path().join("incidents.csv");
    std::fs::write(
        &csv,
        b"incident_id,title,severity,started_at,resolved_at\n\
          h:1,caf\xe9 down,SEV2,2026-07-02T10:00:00Z,2026-07-02T11:00:00Z\n\
          h:2,fine,SEV2,2026-07-03T10:00:00Z,2026-07-03T11:00:00Z\n\
          h:3,year zero,SEV2,0000-01-01T00:00:00Z,\n\
          h:4,far future,SEV2,9999-12-31T23:59:59Z,\n\
          h:5,backwards,SEV2,2026-07-04T10:00:00Z,2026-07-04T09:00:00Z\n",
    )
    .unwrap();
    let out = w.ingest(&[&csv]);
    assert_eq!(
        accounting(&out, "incidents.csv")[1..],
        ["canonical", "5", "2", "0", "0", "3"]
    );
    let err = stderr(&out);
    for want in [
        "incidents.csv: line 2: title: expected UTF-8 text, found invalid bytes",
        "incidents.csv: line 4: started_at: timestamp '0000-01-01T00:00:00Z' lies in the year 0, outside the plausible range 1990–2100",
        "incidents.csv: line 5: started_at: timestamp '9999-12-31T23:59:59Z' lies in the year 9999, outside the plausible range 1990–2100",
    ] {
        assert!(err.contains(want), "{want}\n{err}");
    }
    // Resolved an hour before it started: kept, never used as a duration, and counted.
    let m = w.metrics_json(&["--period", "2026-Q3"]);
    assert_eq!(m["data_quality"]["negative_durations"], 1);
    assert_eq!(m["phases"]["time_to_resolve"]["n"], 1);
}

#[test]
fn invalid_utf8_in_json_keeps_what_came_before() {
    let w = Workdir::new();
    let f = w.path().join("incidents.json");
    std::fs::write(
        &f,
        b"{\"incidents\":[{\"id\":\"PX1\",\"incident_number\":1,\"title\":\"ok\",\
          \"created_at\":\"2026-07-01T10:00:00Z\",\"escalation_policy\":{\"id\":\"E\"}},\
          {\"id\":\"PX2\",\"title\":\"caf\xe9\",\"created_at\":\"2026-07-01T11:00:00Z\"}]}",
    )
    .unwrap();
    let out = w.ingest(&[&f]);
    assert_eq!(
        accounting(&out, "incidents.json")[1..],
        ["pagerduty", "2", "1", "0", "0", "1"]
    );
    assert!(
        stderr(&out).contains(
            "incidents.json: $.incidents[1]: invalid JSON: invalid unicode code point at line 1 column"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_100_mb_line_is_one_reject_and_the_rest_ingests() {
    let w = Workdir::new();
    let dir = w.path().join("jsonl");
    std::fs::create_dir(&dir).unwrap();
    let f = dir.join("incidents.jsonl");
    let line = |id: &str, title: &str, at: &str| {
        format!(
            "{{\"incident_id\":\"{id}\",\"title\":\"{title}\",\"severity\":\"SEV3\",\"started_at\":\"{at}\"}}\n"
        )
    };
    let mut text = line("b:1", "small", "2026-07-05T10:00:00Z");
    text += &line("b:2", &"x".repeat(100_000_000), "2026-07-05T11:00:00Z");
    text += &line("b:3", "small", "2026-07-05T12:00:00Z");
    std::fs::write(&f, text).unwrap();
    let out = w.ingest(&[&f]);
    assert_eq!(
        accounting(&out, "incidents.jsonl")[1..],
        ["canonical", "3", "2", "0", "0", "1"]
    );
    assert!(
        stderr(&out).contains(
            "incidents.jsonl: line 2: the line has 100000086 bytes, more than the 64 MiB one record may have"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn links_and_special_files_are_named_never_read_through() {
    use std::os::unix::fs::symlink;
    let w = Workdir::new();
    let store = w.store();
    let s = store.to_str().unwrap();
    // A FIFO named on the command line is an error that names it (reading it would wait
    // forever, or read nothing).
    let fifo = w.path().join("pipe.json");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let out = w.run_status(&["ingest", "--store", s, fifo.to_str().unwrap()], 2);
    assert!(
        stderr(&out).contains("pipe.json: not a regular file (a FIFO, socket or device)"),
        "{}",
        stderr(&out)
    );
    // In a walked folder, a link is listed as skipped with why, and not followed.
    let dir = w.path().join("exports");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        fixtures().join("canonical/base/incidents.csv"),
        dir.join("incidents.csv"),
    )
    .unwrap();
    let outside = w.path().join("outside.csv");
    std::fs::copy(fixtures().join("canonical/newer/incidents.csv"), &outside).unwrap();
    symlink(&outside, dir.join("services.csv")).unwrap();
    let out = w.run_status(&["ingest", "--store", s, dir.to_str().unwrap()], 0);
    assert!(
        stderr(&out).contains("note: skipped 1 file: a symbolic link, not followed"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("services.csv"), "{}", stdout(&out));
    // A Slack export folder whose day file links outside the export: refused, not read.
    let export = w.path().join("slack");
    copy_dir(&fixtures().join("slack/export"), &export);
    let secret = w.path().join("secret.json");
    std::fs::write(
        &secret,
        r#"[{"type":"message","user":"U1","text":"secret","ts":"1783545960.000100"}]"#,
    )
    .unwrap();
    symlink(&secret, export.join("general/2026-07-09.json")).unwrap();
    let out = w.run_status(&["ingest", "--store", s, export.to_str().unwrap()], 0);
    assert!(
        stderr(&out)
            .contains("general/2026-07-09.json: a symbolic link inside the export: not followed"),
        "{}",
        stderr(&out)
    );
    let messages = column(&store, Table::Messages, col::MESSAGE_ID);
    assert!(
        !messages
            .iter()
            .any(|m| m.to_string().ends_with("1783545960.000100")),
        "the linked file was read"
    );
}

/// Copies a folder tree.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn a_yaml_alias_bomb_is_refused_before_it_is_expanded() {
    // 655 bytes whose nine levels of ten aliases would load as 10^9 nodes.
    let w = Workdir::new();
    let mut text = String::from(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bomb\n\
         spec:\n  owner: team-a\n  lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("  lol{i}: &a{i} [{refs}]\n"));
    }
    let file = w.path().join("catalog-info.yaml");
    std::fs::write(&file, text).unwrap();
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            w.store().to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        2,
    );
    assert!(
        stderr(&out).contains(
            "catalog-info.yaml: file: its aliases would expand 133 YAML nodes into 12345679033: \
             more than 16 times, refused as an alias bomb"
        ),
        "{}",
        stderr(&out)
    );
    // Aliases within reason still load.
    std::fs::write(
        &file,
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: shop\n  \
         labels: &l {tier: '1'}\n  annotations: *l\nspec:\n  owner: group:payments\n",
    )
    .unwrap();
    w.run_status(
        &[
            "ingest",
            "--store",
            w.store().to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        0,
    );
}

#[test]
fn another_tables_file_in_a_tables_place_is_refused_not_rewritten() {
    let w = Workdir::with_demo();
    let store = w.store();
    let incidents = store.join("incidents/incidents.parquet");
    std::fs::copy(store.join("pages/pages.parquet"), &incidents).unwrap();
    let before = std::fs::read(&incidents).unwrap();
    let s = store.to_str().unwrap();
    let want = "incidents.parquet does not hold the incidents table: expected its columns \
                (incident_id, source,";
    for args in [
        &["metrics", "--store", s, "--period", "2026-Q3"][..],
        &[
            "query",
            "--store",
            s,
            "--sql",
            "SELECT count(*) FROM incidents",
        ],
        &[
            "ingest",
            "--store",
            s,
            fixtures().join("canonical/newer").to_str().unwrap(),
        ],
    ] {
        let out = w.run_status(args, 2);
        let err = stderr(&out);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(
            err.contains(
                "found column(s) page_id, service, person_id, sent_at, channel, urgency not in it"
            ),
            "{err}"
        );
    }
    assert_eq!(std::fs::read(&incidents).unwrap(), before);
}

#[test]
fn escape_sequences_from_exports_never_reach_the_terminal() {
    let w = Workdir::new();
    let dir = w.path().join("org");
    std::fs::create_dir(&dir).unwrap();
    // A title that sets the window title and clears the screen; a severity quoted back
    // in a reject; a person's name and a team with escapes.
    let title = "\u{1b}]0;pwned\u{7}\u{1b}[2Jdown";
    std::fs::write(
        dir.join("incidents.csv"),
        format!(
            "incident_id,title,severity,team,started_at,resolved_at\n\
             e:1,{title},SEV2,\u{1b}[31mred,2026-07-02T10:00:00Z,2026-07-02T11:00:00Z\n\
             e:2,x,\u{1b}[5mSEV9,red,2026-07-03T10:00:00Z,2026-07-03T11:00:00Z\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("people.csv"),
        "email,name\na@x.example,\u{1b}[8mhidden\n",
    )
    .unwrap();
    let s = w.store();
    let s = s.to_str().unwrap();
    let runs = [
        w.run_status(&["ingest", "--store", s, dir.to_str().unwrap()], 0),
        w.run_status(
            &[
                "query",
                "--store",
                s,
                "--format",
                "table",
                "--sql",
                "SELECT title, team FROM incidents",
            ],
            0,
        ),
        w.run_status(
            &[
                "metrics", "--store", s, "--period", "2026-07", "--format", "table",
            ],
            0,
        ),
        w.run_status(&["people", "--store", s, "--format", "table"], 0),
        w.run_status(
            &[
                "report",
                "--store",
                s,
                "--period",
                "2026-07",
                "--team",
                "\u{1b}]0;x\u{7}",
            ],
            2,
        ),
    ];
    for (n, out) in runs.iter().enumerate() {
        for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !bytes.contains(&0x1b) && !bytes.contains(&0x07),
                "run {n} {what}"
            );
        }
    }
    // Shown, escaped, where they were.
    assert!(
        stderr(&runs[0]).contains(r"\u{1b}[5mSEV9"),
        "{}",
        stderr(&runs[0])
    );
    assert!(stdout(&runs[1]).contains(r"\u{1b}]0;pwned\u{7}\u{1b}[2Jdown"));
    assert!(stdout(&runs[3]).contains(r"\u{1b}[8mhidden"));
    assert!(
        stderr(&runs[4]).contains(r"no team '\u{1b}]0;x\u{7}'"),
        "{}",
        stderr(&runs[4])
    );
}

#[test]
fn nul_cells_impossible_settings_and_a_missing_templates_folder_are_refused() {
    let w = Workdir::with_demo();
    let s = w.store();
    let s = s.to_str().unwrap();
    // A NUL inside a CSV cell: that row is rejected with why, the next one reads.
    let csv = w.path().join("incidents.csv");
    std::fs::write(
        &csv,
        "incident_id,title,severity,started_at\n\
         n:1,bad\u{0}title,SEV2,2026-07-02T10:00:00Z\n\
         n:2,fine,SEV2,2026-07-03T10:00:00Z\n",
    )
    .unwrap();
    let out = w.run_status(&["ingest", "--store", s, csv.to_str().unwrap()], 0);
    assert_eq!(
        accounting(&out, "incidents.csv")[1..],
        ["canonical", "2", "1", "0", "0", "1"]
    );
    assert!(
        stderr(&out).contains("incidents.csv: line 2: title: expected text, found a NUL byte"),
        "{}",
        stderr(&out)
    );
    // Settings that are not numbers a metric can use.
    for (setting, want) in [
        (
            "[hotspots.severity_weights]\nSEV1 = nan\n",
            "hotspots.severity_weights.SEV1: expected a finite number, 0 or more, found NaN",
        ),
        (
            "[action_items]\nstale_days = -5.0\n",
            "action_items.stale_days: expected a finite number, 0 or more, found -5",
        ),
        (
            "[responders]\nhero_share = 1.5\n",
            "responders.hero_share: expected a number from 0 to 1, found 1.5",
        ),
    ] {
        let config = w.path().join("bad.toml");
        std::fs::write(&config, setting).unwrap();
        let out = w.run_status(
            &[
                "metrics",
                "--store",
                s,
                "--config",
                config.to_str().unwrap(),
            ],
            2,
        );
        assert!(stderr(&out).contains(want), "{}", stderr(&out));
    }
    // A --templates folder that is not there is an error, not the built-in templates.
    let out = w.run_status(
        &[
            "report",
            "--store",
            s,
            "--templates",
            "no-such-folder",
            "--out",
            "r.html",
        ],
        2,
    );
    assert!(
        stderr(&out).contains("--templates no-such-folder: no such folder"),
        "{}",
        stderr(&out)
    );
    assert!(!w.path().join("r.html").exists());
}

#[test]
fn a_full_disk_leaves_no_temporary_file_and_no_half_written_output() {
    use std::os::unix::process::CommandExt;
    let w = Workdir::with_demo();
    // A file size limit stands in for a full disk: every write past it fails (EFBIG)
    // as a write to a full disk fails (ENOSPC), through the same error paths.
    let limited = |args: &[&str], bytes: u64| {
        let mut cmd = w.command(args);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit {
                    rlim_cur: bytes,
                    rlim_max: bytes,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        cmd.output().unwrap()
    };
    let store = w.store();
    let s = store.to_str().unwrap();
    let org = w.path().join("org");
    w.run_status(
        &[
            "synth",
            "--incidents",
            "200",
            "--messages",
            "40",
            "--out",
            org.to_str().unwrap(),
        ],
        0,
    );
    let before = snapshot(&store);
    let out = limited(&["ingest", "--store", s, org.to_str().unwrap()], 64 << 10);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("File too large"), "{}", stderr(&out));
    // The store is as it was, with nothing left over beside it.
    let after = snapshot(&store);
    let names = |files: &[(std::path::PathBuf, Vec<u8>)]| -> Vec<String> {
        files.iter().map(|(p, _)| p.display().to_string()).collect()
    };
    assert_eq!(names(&after), names(&before));
    assert!(after == before, "the store changed");
    // A report that cannot be written whole is not written at all, and an earlier one
    // stays as it was.
    let report = w.path().join("exec.html");
    let earlier = std::fs::read(&report).unwrap();
    let out = limited(
        &[
            "report",
            "--store",
            s,
            "--period",
            "2026-Q3",
            "--out",
            report.to_str().unwrap(),
        ],
        8 << 10,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("cannot write {}", report.display())),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&report).unwrap(), earlier);
    let fresh = w.path().join("new.md");
    let out = limited(
        &[
            "report",
            "--store",
            s,
            "--period",
            "2026-Q3",
            "--out",
            fresh.to_str().unwrap(),
        ],
        4 << 10,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!fresh.exists());
    let leftovers: Vec<_> = walk(w.path())
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_record_over_the_size_limit_is_rejected_without_being_read_whole() {
    let w = Workdir::new();
    let config = w.path().join("small.toml");
    std::fs::write(&config, "[limits]\nmax_record_mib = 1\n").unwrap();
    let s = w.store();
    let s = s.to_str().unwrap();
    // Ingests one file under the 1 MiB limit.
    let ingest = |file: &std::path::Path| {
        w.run_status(
            &[
                "ingest",
                "--config",
                config.to_str().unwrap(),
                "--store",
                s,
                file.to_str().unwrap(),
            ],
            0,
        )
    };
    // Three PagerDuty incidents, the second with a 3 MiB title (in the real shape, with
    // nested references, so the splitter follows strings and brackets inside it).
    let incident = |n: usize, title: &str| {
        format!(
            r#"{{"id":"PBIG{n}","type":"incident","incident_number":{n},"title":"{title}","status":"resolved","urgency":"high","created_at":"2026-07-0{n}T10:00:00Z","resolved_at":"2026-07-0{n}T11:00:00Z","html_url":"https://acme.pagerduty.com/incidents/PBIG{n}","service":{{"id":"S1","type":"service_reference","summary":"api"}},"escalation_policy":{{"id":"E1","type":"escalation_policy_reference","summary":"Default"}}}}"#
        )
    };
    let huge = "x\\\"[{".repeat(3 << 18);
    let pd = w.path().join("incidents.json");
    std::fs::write(
        &pd,
        format!(
            "{{\"incidents\":[{},{},{}],\"more\":false}}",
            incident(1, "one"),
            incident(2, &huge),
            incident(3, "three")
        ),
    )
    .unwrap();
    let out = ingest(&pd);
    assert_eq!(
        accounting(&out, "incidents.json")[1..],
        ["pagerduty", "3", "2", "0", "0", "1"]
    );
    let size = incident(2, &huge).len();
    assert!(
        stderr(&out).contains(&format!(
            "incidents.json: $.incidents[1]: the record has {size} bytes, more than the 1 MiB one record may have"
        )),
        "{}",
        stderr(&out)
    );
    // A JSONL line the same.
    let jsonl = w.path().join("incidents.jsonl");
    std::fs::write(
        &jsonl,
        format!(
            "{{\"incident_id\":\"j:1\",\"title\":\"a\",\"started_at\":\"2026-07-01T10:00:00Z\"}}\n\
             {{\"incident_id\":\"j:2\",\"title\":\"{huge}\",\"started_at\":\"2026-07-02T10:00:00Z\"}}\n\
             {{\"incident_id\":\"j:3\",\"title\":\"c\",\"started_at\":\"2026-07-03T10:00:00Z\"}}\n"
        ),
    )
    .unwrap();
    let out = ingest(&jsonl);
    assert_eq!(
        accounting(&out, "incidents.jsonl")[1..],
        ["canonical", "3", "2", "0", "0", "1"]
    );
    assert!(
        stderr(&out).contains("incidents.jsonl: line 2: the line has"),
        "{}",
        stderr(&out)
    );
    // And a CSV row, its cell quoted over two lines: the rows after it keep their
    // line numbers.
    let csv = w.path().join("more").join("incidents.csv");
    std::fs::create_dir(csv.parent().unwrap()).unwrap();
    std::fs::write(
        &csv,
        format!(
            "incident_id,title,started_at\n\
             c:1,a,2026-07-01T10:00:00Z\n\
             c:2,\"{}\n{}\",2026-07-02T10:00:00Z\n\
             c:3,\"two\nlines\",2026-07-03T10:00:00Z\n\
             c:4,d,not a time\n",
            "y".repeat(3 << 19),
            "y".repeat(3 << 19)
        ),
    )
    .unwrap();
    let out = ingest(&csv);
    assert_eq!(
        accounting(&out, "incidents.csv")[1..],
        ["canonical", "4", "2", "0", "0", "2"]
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "incidents.csv: line 3: the row has {} bytes, more than the 1 MiB",
            (3 << 20) + 1 + 4 + 3 + 20 + 1
        )),
        "{err}"
    );
    assert!(err.contains("incidents.csv: line 7: started_at:"), "{err}");
}

#[test]
fn readers_never_see_tables_of_two_commits_and_never_fail_during_one() {
    // Each round's ingest adds an incident and its service: the two tables change in
    // one commit. A reader that saw the service table of one commit and the incidents
    // of the one before would find a service row whose incident is missing.
    let w = Workdir::new();
    let s = w.store();
    let s = s.to_str().unwrap().to_string();
    let round = |i: usize| {
        let dir = w.path().join(format!("round{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("incidents.csv"),
            format!("incident_id,title,started_at\nr:{i},round {i},2026-07-01T10:00:00Z\n"),
        )
        .unwrap();
        std::fs::write(
            dir.join("incident_services.csv"),
            format!("incident_id,service\nr:{i},svc-{i}\n"),
        )
        .unwrap();
        dir
    };
    w.run_status(&["ingest", "--store", &s, round(0).to_str().unwrap()], 0);
    let done = std::sync::atomic::AtomicBool::new(false);
    let sql = "SELECT count(*) AS orphans FROM incident_services s \
               LEFT JOIN incidents i ON s.incident_id = i.incident_id \
               WHERE i.incident_id IS NULL";
    let (reads, bad) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let (mut reads, mut bad) = (0, Vec::new());
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let out = w.run(&["query", "--store", &s, "--format", "csv", "--sql", sql]);
                reads += 1;
                if !out.status.success() || stdout(&out) != "orphans\n0\n" {
                    bad.push(format!("{}{}", stdout(&out), stderr(&out)));
                }
            }
            (reads, bad)
        });
        for i in 1..5 {
            // A pause after each file the commit renames holds its renames open.
            let out = w
                .command(&["ingest", "--store", &s, round(i).to_str().unwrap()])
                .env("INCIDENTLENS_TEST_PAUSE_MS", "40")
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap()
    });
    assert!(reads > 3, "{reads} reads");
    assert!(
        bad.is_empty(),
        "{} of {reads} reads went wrong: {:?}",
        bad.len(),
        bad
    );
}
