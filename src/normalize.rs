//! Vendor vocabularies mapped onto the canonical ones: severities, action-item statuses,
//! participant roles, page channels and event kinds.
//!
//! Adapters call these so that "Sev 1", "P1" and "1 - Critical" mean the same everywhere.
//! A label none of the rules knows gives `None`: the caller keeps the raw label and leaves
//! the canonical value null (severity) or rejects the record (closed vocabularies), never
//! guesses.

use std::collections::BTreeMap;

/// `SEV1`…`SEV5` from a raw severity or priority label.
///
/// The user's mapping (`[severity.map]`, case-insensitive) wins; then `SEV1`, `Sev 1`,
/// `S1`, `P1`, `Priority 1`, `1 - Critical`, `1`; then `critical`/`major`/`minor`.
pub fn severity(raw: &str, user_map: &BTreeMap<String, String>) -> Option<&'static str> {
    let s = raw.trim();
    if let Some((_, v)) = user_map
        .iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(s))
    {
        return sev_name(v.trim_start_matches("SEV").parse().ok()?);
    }
    let lower = s.to_ascii_lowercase();
    // "1 - Critical" (ServiceNow) and bare "1".
    let head = lower.split(" - ").next().unwrap_or("").trim();
    let digits = ["severity", "priority", "sev", "s", "p"]
        .iter()
        .find_map(|p| head.strip_prefix(p))
        .unwrap_or(head)
        .trim_start_matches([' ', '-', '_']);
    if let Ok(n) = digits.parse::<u8>() {
        return sev_name(n);
    }
    match lower.as_str() {
        "critical" => Some("SEV1"),
        "major" => Some("SEV2"),
        "minor" => Some("SEV3"),
        _ => None,
    }
}

/// Whether a severity label says there is none (FireHydrant's `UNSET`, `none`, `n/a`):
/// the severity is unknown by the export's own word, so nothing is there to map.
pub fn says_no_severity(raw: &str) -> bool {
    matches!(
        raw.trim().to_ascii_lowercase().as_str(),
        "" | "unset" | "none" | "unknown" | "n/a" | "na" | "-" | "not set"
    )
}

fn sev_name(n: u8) -> Option<&'static str> {
    crate::schema::vocab::SEVERITIES
        .get(usize::from(n).checked_sub(1)?)
        .copied()
}

/// `open`, `done` or `wont_do` from a tracker's status or resolution word.
pub fn item_status(raw: &str) -> Option<&'static str> {
    let s = raw.trim().to_ascii_lowercase().replace(['_', '-'], " ");
    let s = s.replace('\u{2019}', "'");
    match s.as_str() {
        "open"
        | "in progress"
        | "todo"
        | "to do"
        | "new"
        | "backlog"
        | "blocked"
        | "in review"
        | "review"
        | "triage"
        | "selected for development" => Some("open"),
        "done" | "closed" | "resolved" | "completed" | "complete" | "fixed" => Some("done"),
        "wont do" | "won't do" | "wont fix" | "won't fix" | "wontfix" | "cancelled"
        | "canceled" | "duplicate" | "declined" | "cannot reproduce" | "not planned"
        | "obsolete" => Some("wont_do"),
        _ => None,
    }
}

/// A participant role from common spellings ("Incident Commander", "IC", "Comms lead").
pub fn role(raw: &str) -> Option<&'static str> {
    let s = raw.trim().to_ascii_lowercase().replace(['_', '-'], " ");
    match s.as_str() {
        "commander" | "incident commander" | "ic" | "incident lead" | "lead" => Some("commander"),
        "comms" | "communications" | "comms lead" | "communications lead" => Some("comms"),
        "scribe" | "notes" | "note taker" => Some("scribe"),
        "responder" | "engineer" | "assignee" | "participant" => Some("responder"),
        "observer" | "watcher" | "subscriber" => Some("observer"),
        _ => None,
    }
}

/// A page channel: `sms`, `phone`, `push` or `email`.
pub fn page_channel(raw: &str) -> Option<&'static str> {
    let s = raw.trim().to_ascii_lowercase().replace(['_', '-'], " ");
    match s.as_str() {
        "sms" | "text" | "text message" => Some("sms"),
        "phone" | "voice" | "call" | "phone call" => Some("phone"),
        "push" | "push notification" | "app" | "mobile" => Some("push"),
        "email" | "e mail" | "mail" => Some("email"),
        _ => None,
    }
}

/// A timeline event kind.
pub fn event_kind(raw: &str) -> Option<&'static str> {
    let s = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let kind = match s.as_str() {
        "ack" | "acknowledge" => "acknowledged",
        "declare" => "declared",
        "page" => "paged",
        "escalate" => "escalated",
        "update" | "status" => "status_update",
        "mitigate" => "mitigated",
        "resolve" => "resolved",
        "severity_change" => "severity_changed",
        other => other,
    };
    crate::schema::vocab::EVENT_KINDS
        .iter()
        .copied()
        .find(|k| *k == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_spellings() {
        let none = BTreeMap::new();
        for (raw, want) in [
            ("SEV1", Some("SEV1")),
            ("Sev 2", Some("SEV2")),
            ("s3", Some("SEV3")),
            ("P4", Some("SEV4")),
            ("Priority 5", Some("SEV5")),
            ("1 - Critical", Some("SEV1")),
            ("3 - Moderate", Some("SEV3")),
            ("2", Some("SEV2")),
            ("Major", Some("SEV2")),
            ("SEV0", None),
            ("P6", None),
            ("urgent", None),
            ("", None),
        ] {
            assert_eq!(severity(raw, &none), want, "{raw}");
        }
        let map = BTreeMap::from([("Urgent".to_string(), "SEV1".to_string())]);
        assert_eq!(severity("urgent", &map), Some("SEV1"));
    }

    #[test]
    fn statuses_roles_channels_kinds() {
        assert_eq!(item_status("Won\u{2019}t Do"), Some("wont_do"));
        assert_eq!(item_status("In Progress"), Some("open"));
        assert_eq!(item_status("Closed"), Some("done"));
        assert_eq!(item_status("maybe"), None);
        assert_eq!(role("Incident Commander"), Some("commander"));
        assert_eq!(page_channel("SMS"), Some("sms"));
        assert_eq!(event_kind("status update"), Some("status_update"));
        assert_eq!(event_kind("party"), None);
    }
}
