//! Benchmark: the "large organisation" end to end, against the limits that matter.
//!
//! `cargo bench --bench scale` writes a synthetic organisation with `incidentlens synth`
//! (default 50,000 incidents over two years: about 500,000 pages, 200,000 action items
//! and 5,000,000 Slack messages), then measures on the same files, in one run:
//! the time to merely parse its JSON with serde_json into typed structs (the practical
//! limit for ingest); wall time and peak memory (max RSS, from `wait4`) of `ingest`,
//! `metrics` and `report` run as the real binary; a re-ingest of the unchanged files; and
//! a reference pandas script computing the same hotspots, time-to-retro and responder
//! figures from the raw files (`benches/reference/pandas_reference.py`, skipped when
//! pandas is missing). It prints the figures and the ratios against the targets.
//!
//! Smaller runs: `cargo bench --bench scale -- --incidents 5000 [--messages 100]`.

mod common;

use common::*;
use serde::Deserialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

// Typed structs for the baseline parse: the fields ingest reads.
#[derive(Deserialize)]
#[allow(dead_code)]
struct PdPage {
    incidents: Vec<PdIncident>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct PdIncident {
    id: String,
    incident_number: i64,
    title: String,
    status: String,
    created_at: String,
    resolved_at: Option<String>,
    service: Ref,
    priority: Option<Ref>,
    /// Absent when the log entries are exported apart (`--pagerduty-log global`).
    #[serde(default)]
    log_entries: Vec<LogEntry>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct PdLog {
    log_entries: Vec<LogEntry>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Ref {
    id: Option<String>,
    summary: Option<String>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct LogEntry {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created_at: String,
    user: Option<Ref>,
    agent: Option<Ref>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct JiraPage {
    issues: Vec<serde::de::IgnoredAny>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct StatusPage {
    incidents: Vec<serde::de::IgnoredAny>,
}
#[derive(Deserialize)]
#[allow(dead_code)]
struct Message {
    ts: String,
    user: Option<String>,
    text: Option<String>,
    subtype: Option<String>,
    thread_ts: Option<String>,
    bot_id: Option<String>,
}

/// Parses every JSON byte of the organisation with serde_json into typed structs.
fn bare_parse(org: &Path) -> (f64, u64) {
    let start = Instant::now();
    let mut bytes = 0u64;
    let read = |p: PathBuf| std::fs::read(p).expect("read");
    let pd = read(org.join("pagerduty/incidents.json"));
    bytes += pd.len() as u64;
    let _: PdPage = serde_json::from_slice(&pd).expect("pagerduty");
    if let Ok(log) = std::fs::read(org.join("pagerduty/log_entries.json")) {
        bytes += log.len() as u64;
        let _: PdLog = serde_json::from_slice(&log).expect("pagerduty log entries");
    }
    let jira = read(org.join("jira/search.json"));
    bytes += jira.len() as u64;
    let _: JiraPage = serde_json::from_slice(&jira).expect("jira");
    let sp = read(org.join("statuspage/incidents.json"));
    bytes += sp.len() as u64;
    let _: StatusPage = serde_json::from_slice(&sp).expect("statuspage");
    let zip = std::fs::File::open(org.join("slack/export.zip")).expect("zip");
    let mut zip = zip::ZipArchive::new(zip).expect("zip");
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        if !f.name().starts_with("inc-") {
            continue;
        }
        let mut buf = Vec::with_capacity(f.size() as usize);
        f.read_to_end(&mut buf).expect("inflate");
        bytes += buf.len() as u64;
        let _: Vec<Message> = serde_json::from_slice(&buf).expect("messages");
    }
    (start.elapsed().as_secs_f64(), bytes)
}

/// The unpacked size of a zip's entries.
fn unpacked(zip_path: &Path) -> u64 {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(zip_path).expect("zip")).expect("zip");
    (0..zip.len())
        .map(|i| zip.by_index(i).expect("entry").size())
        .sum()
}

fn main() {
    let incidents = arg("--incidents", 50_000);
    let messages = arg("--messages", 100);
    // `--pagerduty-log global`: the mixed-shape organisation, its log entries in one
    // account-wide file as users export them.
    let log = arg_text("--pagerduty-log", "embedded");
    let bin = env!("CARGO_BIN_EXE_incidentlens");
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scale-{incidents}-{messages}-{log}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let org = root.join("org");
    let store = root.join("store");
    println!(
        "incidentlens scale benchmark: {incidents} incidents, ~{messages} chat messages each, \
         PagerDuty log entries {log}"
    );
    let synth = measure(
        Command::new(bin)
            .args([
                "synth",
                "--incidents",
                &incidents.to_string(),
                "--messages",
                &messages.to_string(),
                "--seed",
                "1",
                "--pagerduty-log",
                &log,
                "--out",
            ])
            .arg(&org),
    );
    let (parse_s, bytes) = bare_parse(&org);
    let s = store.to_str().unwrap().to_string();
    let ingest = measure(Command::new(bin).args(["ingest", "--store", &s]).arg(&org));
    let reingest = measure(Command::new(bin).args(["ingest", "--store", &s]).arg(&org));
    // The chat export alone, into a store of its own: the memory a large Slack export needs.
    let slack_zip = org.join("slack/export.zip");
    let slack_bytes = unpacked(&slack_zip);
    let slack_store = root.join("store-slack").to_str().unwrap().to_string();
    let slack = measure(
        Command::new(bin)
            .args(["ingest", "--store", &slack_store])
            .arg(&slack_zip),
    );
    // Commands of about a second are measured three times, the median kept, once the
    // gigabytes the steps before wrote have reached the disk: the kernel writing them
    // back meanwhile took a tenth of a second from them, and single runs vary as much.
    // SAFETY: sync() takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let metrics = median_of_three(|| {
        measure(Command::new(bin).args([
            "metrics", "--store", &s, "--period", "2025", "--format", "json",
        ]))
    });
    let report = median_of_three(|| {
        measure(
            Command::new(bin)
                .args(["report", "--store", &s, "--period", "2025", "--out"])
                .arg(root.join("report.html")),
        )
    });
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/reference/pandas_reference.py"
    );
    let pandas = Command::new("python3")
        .args(["-c", "import pandas"])
        .status()
        .is_ok_and(|s| s.success())
        .then(|| measure(Command::new("python3").arg(script).arg(&org).arg("2025")));

    println!("JSON bytes parsed: {:.0} MiB", bytes as f64 / 1048576.0);
    println!("{:<34} {:>10} {:>12}", "step", "wall s", "peak MiB");
    let row =
        |name: &str, r: &Run| println!("{name:<34} {:>10.2} {:>12.0}", r.seconds, r.max_rss_mib);
    row("synth (writing the exports)", &synth);
    println!(
        "{:<34} {:>10.2} {:>12}",
        "serde_json parse, typed (limit)", parse_s, "-"
    );
    row("ingest", &ingest);
    row("re-ingest, unchanged files", &reingest);
    row(
        &format!("ingest Slack alone ({:.2} GB)", slack_bytes as f64 / 1e9),
        &slack,
    );
    row("metrics (a year, median of 3)", &metrics);
    row("report (a year, HTML, median of 3)", &report);
    if let Some(p) = &pandas {
        row("pandas reference", p);
    }
    let end_to_end = ingest.seconds + metrics.seconds + report.seconds;
    println!();
    println!(
        "ingest / bare parse:        {:>6.2}x   (target <= 2x)",
        ingest.seconds / parse_s
    );
    println!(
        "ingest peak memory:         {:>6.0} MiB (target < 1024)",
        ingest.max_rss_mib
    );
    println!(
        "Slack export peak memory:   {:>6.0} MiB (target < 1024 for a 2 GB export; this one {:.2} GB)",
        slack.max_rss_mib,
        slack_bytes as f64 / 1e9
    );
    println!(
        "metrics:                    {:>6.2} s   (target < 2 s)",
        metrics.seconds
    );
    println!(
        "report:                     {:>6.2} s   (target < 1 s)",
        report.seconds
    );
    println!(
        "re-ingest unchanged:        {:>6.2} s   (target < 1 s)",
        reingest.seconds
    );
    match &pandas {
        Some(p) => println!(
            "pandas / end-to-end:        {:>6.2}x   (target >= 5x, goal 10x; end to end {end_to_end:.2} s)",
            p.seconds / end_to_end
        ),
        None => println!("pandas reference skipped: python3 with pandas not found"),
    }
}
