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

/// Reads `path` as `source`, with the file's name kept (detection is bypassed).
fn read(source: &str, path: &Path) -> usize {
    let config = config();
    let ctx = Context {
        config: &config,
        keep_text: true,
        timezone: None,
    };
    let input = Input::open(path, path.display().to_string()).unwrap();
    let source = sources::by_name(source).unwrap();
    let mut items = 0;
    let _ = source.read(&input, &ctx, &mut |item| {
        // Every item is one of the three outcomes the accounting knows.
        match item {
            Item::Record(_) | Item::Reject(_) | Item::Superseded { .. } => items += 1,
        }
    });
    items
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
