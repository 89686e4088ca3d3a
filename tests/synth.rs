//! `synth`: a synthetic organisation in the real vendor formats, deterministic for a
//! seed, that ingests without a reject.

use crate::util::*;

fn synth(w: &Workdir, out: &str, seed: &str) -> std::path::PathBuf {
    let dir = w.path().join(out);
    w.run_status(
        &[
            "synth",
            "--incidents",
            "60",
            "--messages",
            "20",
            "--seed",
            seed,
            "--out",
            dir.to_str().unwrap(),
        ],
        0,
    );
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
    assert_eq!(a.len(), 7);
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
    assert!(!stderr(&out).contains("reject:"), "{}", stderr(&out));
    // Every channel and ticket finds its incident; status-page entries name theirs.
    let err = stderr(&out);
    assert!(err.contains("60 incident channel(s)"), "{err}");
    assert!(err.contains("0 dangling; 0 ambiguous"), "{err}");
    let m = w.metrics_json(&["--period", "2025"]);
    assert_eq!(m["data_quality"]["unmatched_people"], 0);
    assert_eq!(m["data_quality"]["services_not_in_catalog"], 0);
}
