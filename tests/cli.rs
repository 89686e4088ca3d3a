//! The command line itself: every subcommand's help in one layout.

use crate::util::*;

const COMMANDS: &[&str] = &[
    "ingest",
    "metrics",
    "queries",
    "query",
    "report",
    "review",
    "people",
    "forget",
    "init",
    "completions",
    "man",
    "demo",
    "synth",
];

#[test]
fn every_subcommand_help_has_one_layout() {
    let w = Workdir::new();
    for command in COMMANDS {
        let long = stdout(&w.run_status(&[command, "--help"], 0));
        let short = stdout(&w.run_status(&[command, "-h"], 0));
        // One layout: an option and its help on one line, the same for -h and --help
        // (no long form that puts every help text under its option).
        assert_eq!(long, short, "{command}: -h and --help differ");
        assert!(
            !long.contains("see a summary with '-h'"),
            "{command}:\n{long}"
        );
        // Read as words: the help wraps to the terminal.
        let long = long.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            long.contains(&format!("Usage: incidentlens {command} ")),
            "{command}:\n{long}"
        );
        // Environment defaults are named, never shown with a value (set or not).
        assert!(
            long.contains("[env: INCIDENTLENS_CONFIG]"),
            "{command}:\n{long}"
        );
        assert!(!long.contains("INCIDENTLENS_CONFIG="), "{command}:\n{long}");
        if long.contains("--store <DIR>") {
            assert!(
                long.contains("[env: INCIDENTLENS_STORE] [default: .incidentlens/store]"),
                "{command}:\n{long}"
            );
        }
    }
    // A value set in the environment stays out of the help.
    let out = w
        .command(&["metrics", "--help"])
        .env("INCIDENTLENS_STORE", "/secret/place")
        .output()
        .unwrap();
    assert!(!stdout(&out).contains("/secret/place"), "{}", stdout(&out));
}

#[test]
fn period_flags_are_checked_before_the_store_is_opened() {
    let w = Workdir::new();
    // No store here: the flag is still what is wrong first, for every command that reads
    // a period.
    for command in ["metrics", "report", "review", "query"] {
        let mut args = vec![command];
        if command == "query" {
            args.push("hotspots_by_service");
        }
        args.extend(["--store", "nowhere", "--tz", "Mars/Olympus"]);
        if command == "review" {
            args.extend(["--out", "r"]);
        }
        let out = w.run_status(&args, 2);
        assert!(
            stderr(&out).contains(
                "--tz: expected an IANA time zone such as Europe/Berlin, found 'Mars/Olympus'"
            ),
            "{command}: {}",
            stderr(&out)
        );
    }
}
