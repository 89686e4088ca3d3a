//! Identity and linking: one person across every source, and one incident across the
//! pager, its chat channel and the rest.
//!
//! **People.** Sources store the person references they have: an e-mail, or a source id
//! such as `pagerduty:PQYACO3`. The people table says who is who (its `person_id` is the
//! lower-cased e-mail where known, and its `aliases` list the source ids of that person,
//! from a roster or from a source's own user export). Resolution happens when the store
//! is read, so the order of ingestion never matters.
//!
//! **Channels.** A chat channel named by the incident convention (`inc-123-…`,
//! `incident_123`) belongs to the incident with that number in the primary source (the
//! pager, else the incident platform). [`relink`] re-evaluates this over the whole store
//! at every ingest: it sets the messages' `incident_id`, derives the authors'
//! participation and the status updates, and records the link in `incident_links`. Two
//! candidates of the same rank are ambiguous and are reported, never guessed.

use crate::record::{Row, Value};
use crate::schema::{col, Table};
use crate::store::{strings as strs, Writer};
use anyhow::Result;
use std::collections::{BTreeMap, HashMap};

/// Source ids and e-mails mapped to the person they belong to.
#[derive(Debug, Default)]
pub struct Identities {
    by_alias: HashMap<String, String>,
}

impl Identities {
    /// Builds the map from `(person_id, aliases)` pairs of the people table.
    pub fn new<'a>(people: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Identities {
        let mut by_alias = HashMap::new();
        for (person, aliases) in people {
            for a in aliases {
                by_alias.insert(a.clone(), person.to_string());
            }
        }
        Identities { by_alias }
    }

    /// The person a reference names: through an alias, else the reference itself
    /// (e-mails lower-cased, as person ids are).
    pub fn resolve(&self, reference: &str) -> String {
        match self.by_alias.get(reference) {
            Some(p) => p.clone(),
            None if reference.contains('@') => reference.to_lowercase(),
            None => reference.to_string(),
        }
    }
}

/// The incident number a channel name carries by the convention
/// `^(inc|incident)[-_](\d+)`, case-insensitive.
pub fn channel_number(name: &str) -> Option<i64> {
    let lower = name.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("incident")
        .or_else(|| lower.strip_prefix("inc"))?;
    let rest = rest.strip_prefix(['-', '_'])?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// How primary a source's incidents are, lower first: pagers (and the canonical form,
/// a team's own tracker), then incident platforms, then ticketing. Status pages carry
/// no numbers.
fn rank(source: &str) -> u8 {
    match source {
        "pagerduty" | "opsgenie" | "canonical" => 0,
        "incidentio" | "rootly" | "firehydrant" => 1,
        _ => 2,
    }
}

/// What a channel links to.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    Incident(String),
    /// Several incidents of the same rank carry the number.
    Ambiguous(Vec<String>),
    /// No incident carries the number (yet).
    Dangling(i64),
    /// The name follows no convention.
    None,
}

/// Incident numbers, for resolving channel names.
#[derive(Debug, Default)]
pub struct Numbers(HashMap<i64, Vec<(u8, String)>>);

impl Numbers {
    /// From `(incident_id, source, number)` triples.
    pub fn new<'a>(incidents: impl IntoIterator<Item = (&'a str, &'a str, i64)>) -> Numbers {
        let mut by: HashMap<i64, Vec<(u8, String)>> = HashMap::new();
        for (id, source, n) in incidents {
            by.entry(n)
                .or_default()
                .push((rank(source), id.to_string()));
        }
        Numbers(by)
    }

    pub fn resolve(&self, channel: &str) -> Link {
        let Some(n) = channel_number(channel) else {
            return Link::None;
        };
        let Some(all) = self.0.get(&n) else {
            return Link::Dangling(n);
        };
        let best = all.iter().map(|(r, _)| *r).min().unwrap_or(0);
        let mut top: Vec<String> = all
            .iter()
            .filter(|(r, _)| *r == best)
            .map(|(_, id)| id.clone())
            .collect();
        top.sort();
        top.dedup();
        if top.len() == 1 {
            Link::Incident(top.remove(0))
        } else {
            Link::Ambiguous(top)
        }
    }
}

/// What a relinking found, for the user.
#[derive(Debug, Default)]
pub struct Report {
    pub linked_channels: usize,
    /// Channel names (with why) that follow the convention but link to nothing.
    pub dangling: Vec<String>,
    pub ambiguous: Vec<String>,
}

/// Re-evaluates channel links over the whole store (as the writer sees it).
pub fn relink(writer: &mut Writer) -> Result<Report> {
    let inc = writer.rows(Table::Incidents)?;
    let ids = strs(&inc, col::INCIDENT_ID)?;
    let sources = strs(&inc, col::SOURCE)?;
    let numbers: Vec<Option<i64>> = inc.column(col::NUMBER)?.i64()?.iter().collect();
    let triples: Vec<(&str, &str, i64)> = (0..inc.height())
        .filter_map(|i| {
            Some((
                ids[i].as_deref()?,
                sources[i].as_deref().unwrap_or(""),
                numbers[i]?,
            ))
        })
        .collect();
    let numbers = Numbers::new(triples);

    let msgs = writer.rows(Table::Messages)?;
    let names = strs(&msgs, col::CHANNEL_NAME)?;
    let mut report = Report::default();
    let mut links: BTreeMap<String, Link> = BTreeMap::new();
    for n in names.iter().flatten() {
        if !links.contains_key(n) {
            links.insert(n.clone(), numbers.resolve(n));
        }
    }
    for (name, link) in &links {
        match link {
            Link::Incident(_) => report.linked_channels += 1,
            Link::Dangling(n) => report.dangling.push(format!("{name} (no incident #{n})")),
            Link::Ambiguous(ids) => report
                .ambiguous
                .push(format!("{name} ({})", ids.join(", "))),
            Link::None => {}
        }
    }
    if report.linked_channels == 0 {
        return Ok(report);
    }
    // Rows of messages in linked channels: their incident, then what they imply.
    let current = strs(&msgs, col::INCIDENT_ID)?;
    let mut participation: BTreeMap<(String, String, String), (i64, i64, i64)> = BTreeMap::new();
    let mut channel_rows: BTreeMap<(String, String, String), ()> = BTreeMap::new();
    for i in 0..msgs.height() {
        let Some(Link::Incident(target)) = names[i].as_ref().and_then(|n| links.get(n)) else {
            continue;
        };
        let row = stored_row(&msgs, Table::Messages, i)?;
        if current[i].as_deref() != Some(target.as_str()) {
            writer.put(
                &row.clone()
                    .with(col::INCIDENT_ID, Value::text(target.clone())),
                "links",
            )?;
        }
        let source = row.get(col::SOURCE).to_string();
        channel_rows.insert(
            (
                target.clone(),
                format!("{source}:{}", row.get(col::CHANNEL_ID)),
                source.clone(),
            ),
            (),
        );
        let Value::Ts(at) = *row.get(col::AT) else {
            continue;
        };
        let is_bot = row.get(col::IS_BOT) == &Value::Bool(true);
        let conversation = row
            .get(col::SUBTYPE)
            .as_str()
            .is_none_or(|s| CONVERSATION.contains(&s));
        let Value::Str(person) = row.get(col::PERSON_ID).clone() else {
            continue;
        };
        if is_bot || !conversation {
            continue;
        }
        let e = participation
            .entry((target.clone(), person.clone(), source.clone()))
            .or_insert((at, at, 0));
        e.0 = e.0.min(at);
        e.1 = e.1.max(at);
        e.2 += 1;
        if row.get(col::STATUS_UPDATE) == &Value::Bool(true) {
            let event = Row::new(Table::Events)
                .with(col::INCIDENT_ID, Value::text(target.clone()))
                .with(col::AT, Value::Ts(at))
                .with(col::KIND, Value::text("status_update"))
                .with(col::PERSON_ID, Value::text(person))
                .with(col::DETAIL, row.get(col::MESSAGE_ID).clone())
                .with(col::SOURCE, Value::text(source));
            writer.put(&event, "links")?;
        }
    }
    for ((incident, person, source), (first, last, count)) in participation {
        let p = Row::new(Table::Participants)
            .with(col::INCIDENT_ID, Value::text(incident))
            .with(col::PERSON_ID, Value::text(person))
            .with(col::ROLE, Value::text("responder"))
            .with(col::FIRST_ACTIVE_AT, Value::Ts(first))
            .with(col::LAST_ACTIVE_AT, Value::Ts(last))
            .with(col::MESSAGES, Value::Int(count))
            .with(col::SOURCE, Value::text(source));
        writer.put(&p, "links")?;
    }
    for (incident, channel, _) in channel_rows.into_keys() {
        let l = Row::new(Table::IncidentLinks)
            .with(col::INCIDENT_ID, Value::text(incident))
            .with(col::LINKED_ID, Value::text(channel))
            .with(col::RULE, Value::text("channel-name"));
        writer.put(&l, "links")?;
    }
    Ok(report)
}

/// Chat subtypes that are posts by a person; other subtypes (joins, topic changes,
/// tombstones) are not conversation.
pub const CONVERSATION: &[&str] = &["file_share", "thread_broadcast", "me_message"];

fn stored_row(df: &polars::prelude::DataFrame, table: Table, i: usize) -> Result<Row> {
    let mut row = Row::new(table);
    for c in table.columns() {
        row.set(
            c.name,
            Value::from_stored(df.column(c.name)?.get(i)?, c.kind),
        );
    }
    Ok(row)
}

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
    fn pagers_win_over_platforms_and_ties_are_ambiguous() {
        let n = Numbers::new([
            ("pagerduty:A", "pagerduty", 101),
            ("incidentio:B", "incidentio", 101),
            ("pagerduty:C", "pagerduty", 102),
            ("opsgenie:D", "opsgenie", 102),
        ]);
        assert_eq!(n.resolve("inc-101-x"), Link::Incident("pagerduty:A".into()));
        assert_eq!(
            n.resolve("inc-102"),
            Link::Ambiguous(vec!["opsgenie:D".into(), "pagerduty:C".into()])
        );
        assert_eq!(n.resolve("inc-103"), Link::Dangling(103));
        assert_eq!(n.resolve("random"), Link::None);
    }

    #[test]
    fn aliases_and_emails_resolve_to_one_person() {
        let aliases = vec!["pagerduty:PQYACO3".to_string(), "slack:U1".to_string()];
        let ids = Identities::new([("keon@example.com", aliases.as_slice())]);
        assert_eq!(ids.resolve("pagerduty:PQYACO3"), "keon@example.com");
        assert_eq!(ids.resolve("slack:U1"), "keon@example.com");
        assert_eq!(ids.resolve("Keon@Example.com"), "keon@example.com");
        assert_eq!(ids.resolve("pagerduty:OTHER"), "pagerduty:OTHER");
    }
}
