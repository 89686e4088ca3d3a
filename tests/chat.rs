//! Slack: the real export, an export of our own linked to PagerDuty, zips (also hostile
//! ones), and one person counted once across sources.

use crate::util::*;
use incidentlens::record::Value;
use incidentlens::schema::{col, Table};
use incidentlens::store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};

#[test]
fn the_real_export_ingests_users_channels_and_messages() {
    let w = Workdir::new();
    let sample = samples_or_skip!("slack-export-houstondatavis");
    let out = w.ingest(&[&sample]);
    // Counted in the files with Python: 71 users (no bots), 1,382 messages in the day
    // files of 16 channels; one message carries a bot id.
    assert_eq!(
        accounting(&out, "slack-export-houstondatavis")[1..],
        ["slack", "1,453", "1,453", "0", "0", "0"]
    );
    let s = w.store();
    assert_eq!(column(&s, Table::People, col::PERSON_ID).len(), 71);
    let is_bot = column(&s, Table::Messages, col::IS_BOT);
    assert_eq!(is_bot.len(), 1382);
    assert_eq!(
        is_bot.iter().filter(|b| **b == Value::Bool(false)).count(),
        1381
    );
    let channels: std::collections::BTreeSet<String> = column(&s, Table::Messages, col::CHANNEL_ID)
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(channels.len(), 16);
    // micahstubbs (U061A1R2R): America/Chicago, micah@intentive.info.
    let df = Store::at(&s).read(Table::People).unwrap();
    let ids = column(&s, Table::People, col::PERSON_ID);
    let i = ids
        .iter()
        .position(|v| *v == Value::text("micah@intentive.info"))
        .unwrap();
    assert_eq!(
        Value::from_any(df.column(col::TIMEZONE).unwrap().get(i).unwrap()),
        Value::text("America/Chicago")
    );
    assert_eq!(
        Value::from_stored(
            df.column(col::ALIASES).unwrap().get(i).unwrap(),
            incidentlens::schema::Kind::StrList
        ),
        Value::List(vec!["slack:U061A1R2R".into()])
    );
    // Message text is personal data: not stored unless asked for.
    assert!(column(&s, Table::Messages, col::TEXT)
        .iter()
        .all(Value::is_null));
}

#[test]
fn incident_channels_link_to_pagerduty_and_people_count_once() {
    let w = Workdir::new();
    // Chat first, pager second: the order of ingestion does not matter.
    let out = w.ingest(&[&fixtures().join("slack/export")]);
    assert!(
        stderr(&out).contains("dangling: channel inc-101-checkout-5xx (no incident #101)"),
        "{}",
        stderr(&out)
    );
    let out = w.ingest(&[&fixtures().join("pagerduty/org")]);
    let err = stderr(&out);
    assert!(
        err.contains("links: 1 incident channel and 0 tickets linked; 1 dangling; 0 ambiguous"),
        "{err}"
    );
    assert!(
        err.contains("dangling: channel inc-999-ghost (no incident #999)"),
        "{err}"
    );
    let s = w.store();
    // Participants from chat: Ana (status update, thread reply next day) and Cy (two
    // posts, one edited); the join, the tombstone and both bots do not count.
    let df = Store::at(&s).read(Table::Participants).unwrap();
    let mut chat: Vec<(String, String, i64)> = (0..df.height())
        .filter(|&i| df.column(col::SOURCE).unwrap().str().unwrap().get(i) == Some("slack"))
        .map(|i| {
            let get = |c: &str| {
                df.column(c)
                    .unwrap()
                    .str()
                    .unwrap()
                    .get(i)
                    .unwrap()
                    .to_string()
            };
            (
                get(col::INCIDENT_ID),
                get(col::PERSON_ID),
                df.column(col::MESSAGES)
                    .unwrap()
                    .i64()
                    .unwrap()
                    .get(i)
                    .unwrap(),
            )
        })
        .collect();
    chat.sort();
    assert_eq!(
        chat,
        [
            ("pagerduty:PI1".to_string(), "slack:U1".to_string(), 2),
            ("pagerduty:PI1".to_string(), "slack:U3".to_string(), 2)
        ]
    );
    let kinds = column(&s, Table::Events, col::KIND);
    let sources = column(&s, Table::Events, col::SOURCE);
    let updates = kinds
        .iter()
        .zip(&sources)
        .filter(|(k, s)| **k == Value::text("status_update") && **s == Value::text("slack"))
        .count();
    assert_eq!(updates, 1);
    let links = column(&s, Table::IncidentLinks, col::LINKED_ID);
    assert_eq!(links, [Value::text("slack:C1")]);

    // Ana is in PagerDuty (PU1) and Slack (U1): one person, one participation in PI1.
    let m = w.run_status(
        &[
            "metrics",
            "--format",
            "json",
            "--period",
            "2026-07",
            "--store",
            s.to_str().unwrap(),
        ],
        0,
    );
    let m: serde_json::Value = serde_json::from_str(&stdout(&m)).unwrap();
    let people = m["responders"]["people"].as_array().unwrap();
    let ana: Vec<_> = people
        .iter()
        .filter(|p| p["person_id"] == "ana@acme.example")
        .collect();
    assert_eq!(ana.len(), 1);
    assert_eq!(ana[0]["incidents"], 1);
    assert_eq!(m["responders"]["distinct_responders"], 3, "Ana, Bo and Cy");
    // PI1 declared 21:25, status update 21:40: one gap of 15 minutes.
    assert_eq!(m["comms"]["incidents_with_updates"], 1);
    assert_eq!(m["comms"]["median_gap_minutes"].as_f64(), Some(15.0));
    assert_eq!(m["data_quality"]["dangling_links"], 1);
    assert_eq!(m["data_quality"]["ambiguous_links"], 0);
}

/// Zips a folder, entry names relative to it, plus extra (name, bytes) entries.
fn zip_dir(dir: &Path, extra: &[(&str, Vec<u8>)], to: &Path) {
    zip_dir_under(dir, "", extra, to)
}

/// [`zip_dir`], every entry name behind `prefix` (`"acme export/"`).
fn zip_dir_under(dir: &Path, prefix: &str, extra: &[(&str, Vec<u8>)], to: &Path) {
    let file = std::fs::File::create(to).unwrap();
    let mut z = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    for f in files {
        let name = f
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        z.start_file(format!("{prefix}{name}"), opts).unwrap();
        z.write_all(&std::fs::read(&f).unwrap()).unwrap();
    }
    for (name, bytes) in extra {
        z.start_file(format!("{prefix}{name}"), opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn a_zipped_export_reads_like_the_folder() {
    let folder = Workdir::new();
    folder.ingest(&[&fixtures().join("slack/export")]);
    // As Slack writes it, and inside one top folder, as people who unzip an export and
    // zip it again send it.
    for prefix in ["", "acme export/"] {
        let w = Workdir::new();
        let zip = w.path().join("export.zip");
        zip_dir_under(&fixtures().join("slack/export"), prefix, &[], &zip);
        let out = w.ingest(&[&zip]);
        // 4 users and 10 messages (7 + 1 in the incident channel, 1 each in two others).
        assert_eq!(
            accounting(&out, "export.zip")[1..],
            ["slack", "14", "14", "0", "0", "0"],
            "{prefix:?}"
        );
        for c in [col::MESSAGE_ID, col::CHANNEL_NAME, col::INCIDENT_ID] {
            assert_eq!(
                column(&w.store(), Table::Messages, c),
                column(&folder.store(), Table::Messages, c),
                "{prefix:?}"
            );
        }
    }
}

#[test]
fn a_damaged_zip_says_what_is_wrong() {
    let w = Workdir::new();
    let zip = w.path().join("export.zip");
    zip_dir(&fixtures().join("slack/export"), &[], &zip);
    let bytes = std::fs::read(&zip).unwrap();
    std::fs::write(&zip, &bytes[..bytes.len() / 2]).unwrap();
    let out = w.run(&[
        "ingest",
        "--store",
        w.store().to_str().unwrap(),
        zip.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a readable zip archive (truncated or corrupt?)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn hostile_zips_are_refused() {
    let w = Workdir::new();
    // Zip-slip: an entry that climbs out of the archive is refused and not read.
    let slip = w.path().join("slip.zip");
    zip_dir(
        &fixtures().join("slack/export"),
        &[
            ("../evil/2026-07-08.json", b"[]".to_vec()),
            ("nested.zip", b"PK".to_vec()),
        ],
        &slip,
    );
    let out = w.ingest(&[&slip]);
    let err = stderr(&out);
    assert!(
        err.contains("slip.zip: ../evil/2026-07-08.json: zip entry path escapes the archive"),
        "{err}"
    );
    assert!(
        err.contains("slip.zip: nested.zip: a zip inside the export is not read"),
        "{err}"
    );
    assert_eq!(
        accounting(&out, "slip.zip")[1..],
        ["slack", "16", "14", "0", "0", "2"]
    );
    // Zip bomb: 50 MB of zeros compress to a few KB; the inflate limit refuses the file
    // before anything is read, and nothing lands in the store.
    let bomb_store = w.path().join("bomb-store");
    let bomb = w.path().join("bomb.zip");
    zip_dir(
        &fixtures().join("slack/export"),
        &[("general/2026-07-09.json", vec![b' '; 50 << 20])],
        &bomb,
    );
    let out = w.run_status(
        &[
            "ingest",
            "--store",
            bomb_store.to_str().unwrap(),
            bomb.to_str().unwrap(),
        ],
        2,
    );
    assert!(
        stderr(&out).contains("refused as a possible zip bomb"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        column(&bomb_store, Table::Messages, col::MESSAGE_ID).len(),
        0
    );
}

#[test]
fn mattermost_bulk_export_links_like_slack() {
    let w = Workdir::new();
    let out = w.ingest(&[
        &fixtures().join("pagerduty/org"),
        &fixtures().join("mattermost/export.jsonl"),
    ]);
    // 10 lines read: the version, team, channel and direct-channel lines describe the
    // workspace (skipped); two users and three posts ingest; the last line is cut off:
    // a reject with its line.
    assert_eq!(
        accounting(&out, "export.jsonl")[1..],
        ["mattermost", "10", "5", "0", "0", "4", "1"]
    );
    assert!(
        stderr(&out).contains("export.jsonl: line 10: expected a JSON object, found invalid JSON"),
        "{}",
        stderr(&out)
    );
    let s = w.store();
    // incident-102-latency → PagerDuty #102 (PI2): Bo's status update and Dee's reply
    // make them participants; the bot post does not.
    let df = Store::at(&s).read(Table::Participants).unwrap();
    let mut chat: Vec<String> = (0..df.height())
        .filter(|&i| df.column(col::SOURCE).unwrap().str().unwrap().get(i) == Some("mattermost"))
        .map(|i| {
            let get = |c: &str| {
                df.column(c)
                    .unwrap()
                    .str()
                    .unwrap()
                    .get(i)
                    .unwrap()
                    .to_string()
            };
            format!("{} {}", get(col::INCIDENT_ID), get(col::PERSON_ID))
        })
        .collect();
    chat.sort();
    assert_eq!(
        chat,
        [
            "pagerduty:PI2 mattermost:bo",
            "pagerduty:PI2 mattermost:dee"
        ]
    );
    let ids = column(&s, Table::People, col::PERSON_ID);
    assert!(ids.contains(&Value::text("dee@acme.example")));
    let m = w.run_status(
        &[
            "metrics",
            "--format",
            "json",
            "--period",
            "2026-07",
            "--store",
            s.to_str().unwrap(),
        ],
        0,
    );
    let m: serde_json::Value = serde_json::from_str(&stdout(&m)).unwrap();
    // PI2 declared 13:00, Bo's update 13:30: a 30-minute gap; Bo counts once (PagerDuty
    // and Mattermost by e-mail).
    assert_eq!(m["comms"]["median_gap_minutes"].as_f64(), Some(30.0));
    let bo: Vec<_> = m["responders"]["people"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["person_id"] == "bo@acme.example")
        .collect();
    assert_eq!(bo.len(), 1);
}
