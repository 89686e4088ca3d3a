//! Property tests in place of coverage-guided fuzzing: every parser is fed mutated
//! copies of its own fixtures (flipped, inserted, deleted and duplicated bytes, cut
//! files). Whatever the bytes, a parser hands over records, rejects or a file error —
//! never a panic. The seeds are the fixtures (`fixtures/<source>/`), so the corpus is
//! committed with them; a crashing input found here becomes a regression case below.
//!
//! CI runs 48 cases per parser; `PROPTEST_CASES=5000 cargo test --release fuzz::` runs
//! more.

use crate::util::*;
use incidentlens::config::Config;
use incidentlens::record::Item;
use incidentlens::sources::{self, Context, Input};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// One change to a file's bytes, at a position given as a fraction of its length.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(f64, u8),
    Insert(f64, Vec<u8>),
    Delete(f64, usize),
    Duplicate(f64, usize),
    Truncate(f64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
        (
            at.clone(),
            prop::collection::vec(
                prop_oneof![
                    any::<u8>(),
                    Just(b'"'),
                    Just(b'{'),
                    Just(b'['),
                    Just(b','),
                    Just(b'\n'),
                    Just(b':')
                ],
                1..24
            )
        )
            .prop_map(|(a, b)| Mutation::Insert(a, b)),
        (at.clone(), 1..200usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (at.clone(), 1..400usize).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
        at.prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let pos = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
    match m {
        Mutation::Flip(f, b) => {
            if !bytes.is_empty() {
                let i = pos(*f, bytes.len() - 1);
                bytes[i] ^= (*b).max(1);
            }
        }
        Mutation::Insert(f, new) => {
            let i = pos(*f, bytes.len());
            bytes.splice(i..i, new.iter().copied());
        }
        Mutation::Delete(f, n) => {
            let i = pos(*f, bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Duplicate(f, n) => {
            let i = pos(*f, bytes.len());
            let end = (i + n).min(bytes.len());
            let copy: Vec<u8> = bytes[i..end].to_vec();
            bytes.splice(end..end, copy);
        }
        Mutation::Truncate(f) => {
            let i = pos(*f, bytes.len());
            bytes.truncate(i);
        }
    }
}

/// Settings every parser can work with (zones for the CSV sources that need one).
fn config() -> Config {
    Config::parse(
        "[sources.jira]\ntimezone = \"Europe/Berlin\"\n[sources.servicenow]\ntimezone = \"UTC\"\n\
         [sources.canonical]\ntimezone = \"UTC\"\n",
    )
    .unwrap()
}

/// Reads `path` as `source`, with the file's name kept (detection is bypassed): how
/// many items it gave.
fn read(source: &str, path: &Path) -> usize {
    let (records, rejects) = outcomes(source, path);
    records + rejects
}

/// Mutates `seed` (a file, or one file inside an export folder) and reads the result.
fn fuzz_one(source: &str, seed: &Path, inner: Option<&str>, mutations: &[Mutation]) {
    let dir = tempfile::tempdir().unwrap();
    let target: PathBuf = match inner {
        None => dir.path().join(seed.file_name().unwrap()),
        Some(_) => dir.path().join("export"),
    };
    let file = match inner {
        None => {
            std::fs::copy(seed, &target).unwrap();
            target.clone()
        }
        Some(rel) => {
            copy_dir(seed, &target);
            target.join(rel)
        }
    };
    let mut bytes = std::fs::read(&file).unwrap();
    for m in mutations {
        apply(&mut bytes, m);
    }
    std::fs::write(&file, &bytes).unwrap();
    read(source, &target);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

fn cases() -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

macro_rules! fuzz_target {
    ($name:ident, $source:expr, $seed:expr) => {
        fuzz_target!($name, $source, $seed, None);
    };
    ($name:ident, $source:expr, $seed:expr, $inner:expr) => {
        proptest! {
            #![proptest_config(cases())]
            #[test]
            fn $name(mutations in prop::collection::vec(mutation(), 1..6)) {
                let seed: PathBuf = $seed;
                // The unmutated seed reads to something: the corpus is real.
                prop_assume!(seed.exists());
                fuzz_one($source, &seed, $inner, &mutations);
            }
        }
    };
}

fuzz_target!(
    canonical_csv,
    "canonical",
    fixtures().join("canonical/base/incidents.csv")
);
fuzz_target!(
    canonical_jsonl,
    "canonical",
    fixtures().join("canonical/truncated/incidents.jsonl")
);
fuzz_target!(
    pagerduty,
    "pagerduty",
    fixtures().join("pagerduty/org/incidents.json")
);
fuzz_target!(
    pagerduty_csv,
    "pagerduty_csv",
    fixtures().join("pagerduty_csv/incidents.csv")
);
fuzz_target!(
    opsgenie,
    "opsgenie",
    fixtures().join("opsgenie/incidents.json")
);
fuzz_target!(
    opsgenie_csv,
    "opsgenie_csv",
    fixtures().join("opsgenie_csv/alerts.csv")
);
fuzz_target!(
    slack,
    "slack",
    fixtures().join("slack/export"),
    Some("inc-101-checkout-5xx/2026-07-08.json")
);
fuzz_target!(
    slack_users,
    "slack",
    fixtures().join("slack/export"),
    Some("users.json")
);
fuzz_target!(
    mattermost,
    "mattermost",
    fixtures().join("mattermost/export.jsonl")
);
fuzz_target!(jira, "jira", fixtures().join("jira/org/search.json"));
fuzz_target!(jira_csv, "jira_csv", fixtures().join("jira_csv/issues.csv"));
fuzz_target!(
    servicenow,
    "servicenow",
    fixtures().join("servicenow/table_api.json")
);
fuzz_target!(
    servicenow_csv,
    "servicenow_csv",
    fixtures().join("servicenow_csv/event_log.csv")
);
fuzz_target!(github, "github", fixtures().join("github/issues.json"));
fuzz_target!(
    incidentio,
    "incidentio",
    fixtures().join("incidentio/org/incidents.json")
);
fuzz_target!(
    incidentio_follow_ups,
    "incidentio",
    fixtures().join("incidentio/org/follow_ups.json")
);
fuzz_target!(rootly, "rootly", fixtures().join("rootly/incidents.json"));
fuzz_target!(
    firehydrant,
    "firehydrant",
    fixtures().join("firehydrant/incidents.json")
);
fuzz_target!(
    firehydrant_changes,
    "firehydrant_changes",
    fixtures().join("firehydrant_changes/related_change_events.json")
);
fuzz_target!(
    servicenow_changes,
    "servicenow",
    fixtures().join("servicenow/change_requests.json")
);
fuzz_target!(
    statuspage,
    "statuspage",
    fixtures().join("statuspage/incidents.json")
);
fuzz_target!(
    backstage,
    "backstage",
    fixtures().join("backstage/catalog-info.yaml")
);

#[test]
fn every_seed_reads_to_records() {
    for (source, seed) in [
        ("pagerduty", fixtures().join("pagerduty/org/incidents.json")),
        ("jira", fixtures().join("jira/org/search.json")),
        ("statuspage", fixtures().join("statuspage/incidents.json")),
        ("backstage", fixtures().join("backstage/catalog-info.yaml")),
        ("slack", fixtures().join("slack/export")),
    ] {
        assert!(read(source, &seed) > 0, "{source}: {}", seed.display());
    }
}

/// A value no JSON parser takes, as item 1 of the hostile-input trials found them.
const FAULTS: [&[u8]; 7] = [
    b"\"bad \\q escape\"",
    b"\"invalid \xff utf-8\"",
    b"\"raw \x00 nul\"",
    b"1e400",
    b"\"lone \\ud800 surrogate\"",
    b"\"missing quote, then a colon\":",
    b"DEEP",
];

/// (records, rejects) that `source` reads from `path` (with the file's name kept:
/// detection is bypassed). A record is a record or a superseded version of one.
fn outcomes(source: &str, path: &Path) -> (usize, usize) {
    let config = config();
    let ctx = Context {
        config: &config,
        keep_text: true,
        timezone: None,
        table: None,
    };
    let input = Input::open(path, path.display().to_string()).unwrap();
    let (mut records, mut rejects) = (0, 0);
    let _ = sources::by_name(source)
        .unwrap()
        .read(&input, &ctx, &mut |item| match item {
            Item::Reject(_) => rejects += 1,
            Item::Record(_) | Item::Superseded { .. } | Item::Skipped { .. } => records += 1,
        });
    (records, rejects)
}

/// The seed's records, `n` of them (cycled) but `skip`, as a document of the seed's
/// shape, with `fault` (if any) as a new member at `member` of record `at`.
fn document(
    seed: &serde_json::Value,
    n: usize,
    skip: Option<usize>,
    fault: Option<(usize, usize, &[u8])>,
) -> Vec<u8> {
    use serde_json::Value;
    let (key, list) = match seed {
        Value::Array(list) => (None, list),
        Value::Object(o) => o
            .iter()
            .find_map(|(k, v)| v.as_array().filter(|a| !a.is_empty()).map(|a| (Some(k), a)))
            .expect("a list of records"),
        _ => panic!("a document"),
    };
    let mut array = b"[".to_vec();
    for i in (0..n).filter(|i| Some(*i) != skip) {
        if array.len() > 1 {
            array.push(b',');
        }
        let record = &list[i % list.len()];
        match fault {
            Some((at, member, bytes)) if at == i => {
                let members = record.as_object().expect("records are objects");
                let mut parts: Vec<Vec<u8>> = members
                    .iter()
                    .map(|(k, v)| serde_json::to_vec(&serde_json::json!({ k: v })).unwrap())
                    .map(|m| m[1..m.len() - 1].to_vec())
                    .collect();
                let value = if bytes == b"DEEP" {
                    [vec![b'['; 200], vec![b']'; 200]].concat()
                } else {
                    bytes.to_vec()
                };
                parts.insert(
                    member % (parts.len() + 1),
                    [b"\"zz_fault\":".to_vec(), value].concat(),
                );
                array.push(b'{');
                array.extend(parts.join(&b","[..]));
                array.push(b'}');
            }
            _ => array.extend(serde_json::to_vec(record).unwrap()),
        }
    }
    array.push(b']');
    match key {
        None => array,
        Some(key) => {
            let mut top = seed.clone();
            top[key.as_str()] = Value::String("\u{1}RECORDS".into());
            let text = serde_json::to_vec(&top).unwrap();
            let mark = b"\"\\u0001RECORDS\"";
            let at = text.windows(mark.len()).position(|w| w == mark).unwrap();
            [&text[..at], &array[..], &text[at + mark.len()..]].concat()
        }
    }
}

macro_rules! fault_target {
    ($name:ident, $source:expr, $seed:expr) => {
        fault_target!($name, $source, $seed, None);
    };
    ($name:ident, $source:expr, $seed:expr, $inner:expr) => {
        proptest! {
            #![proptest_config(cases())]
            /// One bad value in one record, anywhere: that record is one reject, and
            /// every other record is read.
            #[test]
            fn $name(n in 2..40usize, at in 0..40usize, member in 0..30usize, f in 0..FAULTS.len()) {
                let inner: Option<&str> = $inner;
                let dir = tempfile::tempdir().unwrap();
                // A file, or one file of an export folder (read whole).
                let (seed_path, target, file) = match inner {
                    None => {
                        let seed: PathBuf = $seed;
                        let file = dir.path().join(seed.file_name().unwrap());
                        (seed, file.clone(), file)
                    }
                    Some(rel) => {
                        let export = dir.path().join("export");
                        copy_dir(&$seed, &export);
                        ($seed.join(rel), export.clone(), export.join(rel))
                    }
                };
                let seed: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&seed_path).unwrap()).unwrap();
                let at = at % n;
                // What the other records give on their own…
                std::fs::write(&file, document(&seed, n, Some(at), None)).unwrap();
                let (records, rejects) = outcomes($source, &target);
                // …they give beside the bad one, which is one reject more.
                let faulty = document(&seed, n, None, Some((at, member, FAULTS[f])));
                std::fs::write(&file, faulty).unwrap();
                let faulted = outcomes($source, &target);
                // Slack's reader skips the members it does not keep unparsed, so a bad
                // value there can leave the message readable: it is then read, not lost.
                let read_anyway = inner.is_some() && faulted == (records + 1, rejects);
                prop_assert!(
                    faulted == (records, rejects + 1) || read_anyway,
                    "record {} of {}, fault {}: {:?} from {:?}", at, n, f, faulted, (records, rejects)
                );
            }
        }
    };
}

fault_target!(
    faults_pagerduty,
    "pagerduty",
    fixtures().join("pagerduty/org/incidents.json")
);
fault_target!(faults_jira, "jira", fixtures().join("jira/org/search.json"));
fault_target!(
    faults_statuspage,
    "statuspage",
    fixtures().join("statuspage/incidents.json")
);
fault_target!(
    faults_incidentio,
    "incidentio",
    fixtures().join("incidentio/org/incidents.json")
);
fault_target!(
    faults_incidentio_follow_ups,
    "incidentio",
    fixtures().join("incidentio/org/follow_ups.json")
);
fault_target!(
    faults_opsgenie,
    "opsgenie",
    fixtures().join("opsgenie/incidents.json")
);
fault_target!(
    faults_servicenow,
    "servicenow",
    fixtures().join("servicenow/table_api.json")
);
fault_target!(
    faults_github,
    "github",
    fixtures().join("github/issues.json")
);
fault_target!(
    faults_rootly,
    "rootly",
    fixtures().join("rootly/incidents.json")
);
fault_target!(
    faults_firehydrant,
    "firehydrant",
    fixtures().join("firehydrant/incidents.json")
);
fault_target!(
    faults_firehydrant_changes,
    "firehydrant_changes",
    fixtures().join("firehydrant_changes/change_events.json")
);
fault_target!(
    faults_slack_day_file,
    "slack",
    fixtures().join("slack/export"),
    Some("inc-101-checkout-5xx/2026-07-08.json")
);
