//! References between records, as sources find them and linking resolves them: the
//! incident-number conventions of channel names and ticket labels, the [`Ref`]s a ticket
//! carries (`link_refs`), URLs in text, and the rule names and message kinds both sides
//! use. Sources write these; [`crate::link`] reads them. Neither imports the other.

use crate::record::Value;

/// The incident number a channel name carries by the convention
/// `^(inc|incident)[-_](\d+)`, case-insensitive.
pub fn channel_number(name: &str) -> Option<i64> {
    let rest = strip_incident_prefix(name)?.strip_prefix(['-', '_'])?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The incident number a ticket label carries by the convention
/// `^(inc|incident)[-_]?(\d+)$`, case-insensitive: the whole label, nothing after it.
pub fn label_number(label: &str) -> Option<i64> {
    let rest = strip_incident_prefix(label.trim())?;
    let digits = rest.strip_prefix(['-', '_']).unwrap_or(rest);
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

fn strip_incident_prefix(name: &str) -> Option<&str> {
    let lower_starts = |p: &str| {
        name.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    if lower_starts("incident") {
        Some(&name["incident".len()..])
    } else if lower_starts("inc") {
        Some(&name["inc".len()..])
    } else {
        None
    }
}

/// A reference from a ticket to its incident, as the source found it. Stored in
/// `link_refs` as `kind:value` text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ref {
    /// The source names the incident itself (`incident:pagerduty:PI1`): always wins.
    Incident(String),
    /// An incident's URL in the ticket's description or links.
    Url(String),
    /// A label such as `inc-123`: the incident with that number.
    Number(i64),
    /// Another ticket (`jira:OPS-7`) this one is linked to: it belongs where that one
    /// does (one hop, so a follow-up linked to the postmortem ticket finds the incident).
    Ticket(String),
    /// The same follow-up kept in another tracker (an incident.io follow-up exported to
    /// Jira), by its id there (`jira:OPS-7`) or URL: when that ticket is in the store it
    /// is the one counted, and it takes this one's incident.
    Mirror(String),
}

impl Ref {
    pub fn encode(&self) -> String {
        match self {
            Ref::Incident(id) => format!("incident:{id}"),
            Ref::Url(u) => format!("url:{u}"),
            Ref::Number(n) => format!("number:{n}"),
            Ref::Ticket(t) => format!("ticket:{t}"),
            Ref::Mirror(t) => format!("same:{t}"),
        }
    }

    pub fn decode(s: &str) -> Option<Ref> {
        let (kind, value) = s.split_once(':')?;
        Some(match kind {
            "incident" => Ref::Incident(value.to_string()),
            "url" => Ref::Url(value.to_string()),
            "number" => Ref::Number(value.parse().ok()?),
            "ticket" => Ref::Ticket(value.to_string()),
            "same" => Ref::Mirror(value.to_string()),
            _ => return None,
        })
    }

    /// The `incident_links.rule` of a link made by this kind of reference.
    pub fn rule(&self) -> &'static str {
        match self {
            Ref::Incident(_) => "explicit",
            Ref::Url(_) => "ticket-url",
            Ref::Number(_) => "ticket-label",
            Ref::Ticket(_) => "ticket-link",
            Ref::Mirror(_) => "mirror",
        }
    }

    /// The `link_refs` cell of a list of references (sorted, deduplicated).
    pub fn cell(refs: &mut Vec<Ref>) -> Value {
        refs.sort();
        refs.dedup();
        Value::List(refs.iter().map(Ref::encode).collect())
    }
}

/// Every `http(s)://` URL in a text, cut at whitespace and at the delimiters that wiki
/// markup, Markdown and HTML put around links.
pub fn urls_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("http") {
        let tail = &rest[i..];
        let scheme = ["https://", "http://"].into_iter().find(|p| {
            tail.get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p))
        });
        let Some(scheme) = scheme else {
            rest = &tail[4..];
            continue;
        };
        let end = tail
            .char_indices()
            .skip(scheme.len())
            .find(|(_, c)| c.is_whitespace() || "|]>)\"'<[`".contains(*c))
            .map_or(tail.len(), |(j, _)| j);
        let url = tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?']);
        if url.len() > scheme.len() {
            out.push(url.to_string());
        }
        rest = &tail[end..];
    }
    out
}

/// A URL in the form links compare: scheme and host lower-cased, no query, fragment or
/// trailing slash.
pub fn normalise_url(url: &str) -> String {
    let url = url.trim();
    let url = url.split(['?', '#']).next().unwrap_or(url);
    let url = url.trim_end_matches('/');
    match url.find("://") {
        Some(i) => {
            let host_end = url[i + 3..].find('/').map_or(url.len(), |j| i + 3 + j);
            format!(
                "{}{}",
                url[..host_end].to_ascii_lowercase(),
                &url[host_end..]
            )
        }
        None => url.to_string(),
    }
}

/// Rule of an `incident_links` row by which an incident platform claims a chat channel
/// (`slack:C02AW36C1M5`) for its incident: it wins over the name convention.
pub const CHANNEL_CLAIM: &str = "explicit-channel";

/// Rule of an `incident_links` row that holds a reference still to be resolved (an
/// incident.io alert's source URL): its `linked_id` is an encoded [`Ref`].
pub const REFERENCE: &str = "reference";

/// Chat subtypes that are posts by a person; other subtypes (joins, topic changes,
/// tombstones) are not conversation.
pub const CONVERSATION: &[&str] = &["file_share", "thread_broadcast", "me_message"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_by_the_convention() {
        assert_eq!(channel_number("inc-1234-checkout-down"), Some(1234));
        assert_eq!(channel_number("INCIDENT_7"), Some(7));
        assert_eq!(channel_number("incident-2026-03-01-db"), Some(2026));
        assert_eq!(channel_number("inc1234"), None);
        assert_eq!(channel_number("general"), None);
    }

    #[test]
    fn labels_by_the_convention() {
        assert_eq!(label_number("inc-123"), Some(123));
        assert_eq!(label_number("INCIDENT_7"), Some(7));
        assert_eq!(label_number("inc42"), Some(42));
        assert_eq!(label_number("inc-12-db"), None);
        assert_eq!(label_number("incident"), None);
        assert_eq!(label_number("frontEnd"), None);
    }

    #[test]
    fn urls_are_found_in_markup_and_compared_loosely() {
        assert_eq!(
            urls_in("See [PD|https://acme.pagerduty.com/incidents/PI1]. Also <https://x.io/a?b=1>, http://y.io/."),
            [
                "https://acme.pagerduty.com/incidents/PI1",
                "https://x.io/a?b=1",
                "http://y.io/"
            ]
        );
        assert_eq!(
            normalise_url("HTTPS://Acme.PagerDuty.com/incidents/PI1/?x=1#t"),
            "https://acme.pagerduty.com/incidents/PI1"
        );
    }
}
