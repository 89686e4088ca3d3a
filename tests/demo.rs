//! `demo`: the built-in organisation goes through the real pipeline, the same way twice.

use crate::util::*;

#[test]
fn demo_ingests_the_sample_organisation() {
    let w = Workdir::new();
    let out = w.run_status(&["demo"], 0);
    let text = stdout(&out);
    assert_eq!(
        accounting(&out, "demo/incidents.csv")[1..],
        ["canonical", "66", "66", "0", "0", "0"]
    );
    assert_eq!(
        accounting(&out, "demo/people.csv")[1..],
        ["canonical", "30", "30", "0", "0", "0"]
    );
    assert!(
        text.contains(
            "store (demo): incidents 66, incident_services 73, incident_tags 49, incident_links 0, participants 239, \
             pages 187, events 564, action_items 105, retros 0, retro_tags 0, messages 0, people 30, services 7"
        ),
        "{text}"
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    // Same inputs, same output.
    let again = w.run_status(&["demo"], 0);
    assert_eq!(stdout(&again), text);
}

#[test]
fn demo_ends_with_next_commands_that_work() {
    let w = Workdir::new();
    let out = w.run_status(&["demo"], 0);
    let text = stdout(&out);
    let next: Vec<&str> = text
        .split("Next, on the demo's own store:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no next commands in:\n{text}"))
        .lines()
        .filter_map(|l| l.trim().strip_prefix("incidentlens "))
        .collect();
    assert_eq!(next.len(), 5, "{next:?}");
    for command in next {
        let command = command.split('#').next().unwrap();
        let args: Vec<&str> = command.split_whitespace().collect();
        w.run_status(&args, 0);
    }
}
