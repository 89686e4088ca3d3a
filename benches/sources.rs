//! Benchmark: every source and export layout on its own, against the bare parse of the
//! same bytes.
//!
//! `cargo bench --bench sources [-- --incidents N --messages M --only TEXT]` writes the
//! synthetic organisation (default 20,000 incidents, 20 chat messages each) in each
//! layout `incidentlens synth` can write, the same incidents as Opsgenie, incident.io and
//! ServiceNow export them (`synth --also`) among them, then ingests each source's files
//! alone into a fresh store as the real binary, and prints per source and layout: the
//! input's size (a zip unpacked), the records read (from ingest's accounting), wall time
//! and input MB/s, the time spent reading and staging the files (from
//! `INCIDENTLENS_TIMINGS`: the run until every file is staged, without linking and the
//! commit) and its MB/s, peak memory (from `wait4`), and the time serde_json takes merely to
//! walk the same JSON (`IgnoredAny`, document after document; a zip inflated too; a CSV
//! file's records with the csv crate): the floor for reading. `--only TEXT` measures the
//! cases whose label holds TEXT.

mod common;

use common::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// One measured case: a source's files in one layout.
struct Case {
    label: &'static str,
    /// `synth --pagerduty-log` and `--layout`.
    log: &'static str,
    layout: &'static str,
    /// `synth --tickets`.
    tickets: &'static str,
    /// The files or folder ingested, below the organisation.
    input: &'static str,
}

const CASES: &[Case] = &[
    Case {
        label: "pagerduty, log entries embedded",
        log: "embedded",
        layout: "object",
        tickets: "jira-json",
        input: "pagerduty",
    },
    Case {
        label: "pagerduty, one global log_entries",
        log: "global",
        layout: "object",
        tickets: "jira-json",
        input: "pagerduty",
    },
    Case {
        label: "pagerduty, log entries per incident",
        log: "per-incident",
        layout: "object",
        tickets: "jira-json",
        input: "pagerduty",
    },
    Case {
        label: "pagerduty, embedded, JSON Lines",
        log: "embedded",
        layout: "lines",
        tickets: "jira-json",
        input: "pagerduty",
    },
    Case {
        label: "pagerduty, global, pages as documents",
        log: "global",
        layout: "documents",
        tickets: "jira-json",
        input: "pagerduty",
    },
    Case {
        label: "jira search, one object",
        log: "embedded",
        layout: "object",
        tickets: "jira-json",
        input: "jira",
    },
    Case {
        label: "jira search, array of pages",
        log: "embedded",
        layout: "pages",
        tickets: "jira-json",
        input: "jira",
    },
    Case {
        label: "jira CSV export",
        log: "embedded",
        layout: "object",
        tickets: "jira-csv",
        input: "jira/issues.csv",
    },
    Case {
        label: "statuspage, bare array",
        log: "embedded",
        layout: "array",
        tickets: "jira-json",
        input: "statuspage",
    },
    Case {
        label: "opsgenie v1 incidents",
        log: "embedded",
        layout: "object",
        tickets: "jira-json",
        input: "opsgenie/incidents.json",
    },
    Case {
        label: "opsgenie v2 alerts, pages as documents",
        log: "embedded",
        layout: "documents",
        tickets: "jira-json",
        input: "opsgenie/alerts.json",
    },
    Case {
        label: "incident.io /v2/incidents",
        log: "embedded",
        layout: "object",
        tickets: "jira-json",
        input: "incidentio/incidents.json",
    },
    Case {
        label: "servicenow list export CSV",
        log: "embedded",
        layout: "object",
        tickets: "jira-json",
        input: "servicenow/incidents.csv",
    },
    Case {
        label: "servicenow event log CSV",
        log: "embedded",
        layout: "object",
        tickets: "jira-json",
        input: "servicenow/event_log.csv",
    },
    Case {
        label: "slack export zip",
        log: "embedded",
        layout: "object",
        tickets: "jira-json",
        input: "slack/export.zip",
    },
];

/// Every file below `path` (or `path` itself), sorted.
fn files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut all: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap()
        .flat_map(|e| files(&e.unwrap().path()))
        .collect();
    all.sort();
    all
}

/// Walks every JSON document of `bytes` with serde_json, building nothing.
fn walk(bytes: &[u8]) {
    for doc in serde_json::Deserializer::from_slice(bytes).into_iter::<serde::de::IgnoredAny>() {
        doc.expect("JSON");
    }
}

/// The input's JSON bytes (a zip's entries unpacked), and the time to read and walk them.
fn bare_parse(input: &Path) -> (u64, f64) {
    let start = Instant::now();
    let mut bytes = 0u64;
    for f in files(input) {
        if f.extension().is_some_and(|e| e == "zip") {
            let mut zip = zip::ZipArchive::new(std::fs::File::open(&f).unwrap()).unwrap();
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).unwrap();
                let mut buf = Vec::with_capacity(entry.size() as usize);
                entry.read_to_end(&mut buf).unwrap();
                bytes += buf.len() as u64;
                walk(&buf);
            }
        } else if f.extension().is_some_and(|e| e == "csv") {
            let buf = std::fs::read(&f).unwrap();
            bytes += buf.len() as u64;
            let mut record = csv::ByteRecord::new();
            let mut reader = csv::Reader::from_reader(buf.as_slice());
            while reader.read_byte_record(&mut record).expect("CSV") {}
        } else {
            let buf = std::fs::read(&f).unwrap();
            bytes += buf.len() as u64;
            walk(&buf);
        }
    }
    (bytes, start.elapsed().as_secs_f64())
}

/// The records read, from ingest's accounting (the first table's `read` column).
fn records_read(accounting: &str) -> u64 {
    accounting
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("| /"))
        .filter_map(|l| l.split('|').nth(3))
        .filter_map(|c| c.trim().replace(',', "").parse::<u64>().ok())
        .sum()
}

/// The seconds ingest spent reading and staging its files (`INCIDENTLENS_TIMINGS`: from
/// the start until every file was read and staged): the whole run but for linking and
/// the commit, which every run pays whatever its input.
fn staging_seconds(timings: &str) -> f64 {
    timings
        .lines()
        .find(|l| l.starts_with("timing: ingest: every file read and staged"))
        .and_then(|l| {
            // `… since the start 4.922 s, resident 190 MiB`: the number before `s`.
            let words: Vec<&str> = l.split_whitespace().collect();
            words
                .windows(2)
                .find(|w| w[1].starts_with('s') && w[0].parse::<f64>().is_ok())?[0]
                .parse()
                .ok()
        })
        .unwrap_or(f64::NAN)
}

fn main() {
    let incidents = arg("--incidents", 20_000);
    let messages = arg("--messages", 20);
    // `--only servicenow`: the cases whose label holds that text.
    let only = arg_text("--only", "");
    let bin = env!("CARGO_BIN_EXE_incidentlens");
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sources-{incidents}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    println!(
        "incidentlens per-source benchmark: {incidents} incidents, ~{messages} chat messages each"
    );
    println!(
        "{:<40} {:>9} {:>10} {:>8} {:>8} {:>9} {:>8} {:>9} {:>9} {:>9}",
        "source, layout",
        "input MB",
        "records",
        "ingest s",
        "MB/s",
        "stage s",
        "MB/s",
        "peak MiB",
        "parse s",
        "parse MB/s"
    );
    for case in CASES.iter().filter(|c| c.label.contains(only.as_str())) {
        let org = root.join(format!("{}-{}-{}", case.log, case.layout, case.tickets));
        if !org.exists() {
            measure(
                Command::new(bin)
                    .args(["synth", "--incidents", &incidents.to_string()])
                    .args(["--messages", &messages.to_string(), "--seed", "1"])
                    .args(["--pagerduty-log", case.log, "--layout", case.layout])
                    .args(["--tickets", case.tickets])
                    .args([
                        "--also",
                        "opsgenie,incident-io,servicenow-csv,servicenow-log",
                    ])
                    .arg("--out")
                    .arg(&org),
            );
        }
        let input = org.join(case.input);
        let (bytes, parse_s) = bare_parse(&input);
        let store = root.join("store");
        let _ = std::fs::remove_dir_all(&store);
        let out_path = root.join("accounting.txt");
        let out = std::fs::File::create(&out_path).unwrap();
        let err_path = root.join("timings.txt");
        let err = std::fs::File::create(&err_path).unwrap();
        // SAFETY: sync() takes no arguments and cannot fail; the writes of the step
        // before reach the disk before the clock starts.
        unsafe { libc::sync() };
        let run = measure_io(
            // Jira's CSV and ServiceNow's exports hold no zone: synth writes UTC.
            Command::new(bin)
                .env("INCIDENTLENS_TIMINGS", "1")
                .args(["ingest", "--timezone", "UTC", "--store"])
                .arg(&store)
                .arg(&input),
            out,
            err,
        );
        let records = records_read(&std::fs::read_to_string(&out_path).unwrap());
        let staging = staging_seconds(&std::fs::read_to_string(&err_path).unwrap());
        let mb = bytes as f64 / 1e6;
        println!(
            "{:<40} {:>9.1} {:>10} {:>8.2} {:>8.0} {:>9.2} {:>8.0} {:>9.0} {:>9.2} {:>9.0}",
            case.label,
            mb,
            records,
            run.seconds,
            mb / run.seconds,
            staging,
            mb / staging,
            run.max_rss_mib,
            parse_s,
            mb / parse_s
        );
    }
}
