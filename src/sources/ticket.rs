//! What every ticketing source (Jira, ServiceNow, GitHub) shares: a [`Ticket`] that
//! becomes an action item or, when its type is a postmortem type, a retro.
//!
//! A ticket does not know its incident when it is read: it records the references it
//! carries (labels such as `inc-123`, URLs in its description, linked tickets, an
//! explicit incident id) and [`crate::link::relink`] resolves them over the whole store,
//! so Jira ingested before PagerDuty still links. Ticket text (descriptions, comments) is
//! scanned for URLs and never stored.

use crate::record::{Row, Value};
use crate::refs::{label_number, urls_in, Ref};
use crate::schema::{cell, col, tables};

/// URLs kept per ticket for linking (a long description can hold hundreds).
pub const MAX_URLS: usize = 20;

/// One ticket, read from any tracker.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub source: &'static str,
    /// The tracker's own id (`EE-2`, `panjf2000/ants#5`, `PRB0040001`).
    pub id: String,
    pub title: Option<String>,
    /// The ticket is a postmortem: it gives its incident's retro dates.
    pub postmortem: bool,
    /// `open`, `done` or `wont_do`.
    pub status: &'static str,
    pub status_raw: Option<String>,
    pub created: Option<i64>,
    pub updated: Option<i64>,
    pub due: Option<i64>,
    /// When it was done (or dropped); for a postmortem, when it was held.
    pub completed: Option<i64>,
    /// For a postmortem: when it was published.
    pub published: Option<i64>,
    /// A person reference: a lower-cased e-mail or a source id (`jira:5ecf…`).
    pub owner: Option<String>,
    pub team: Option<String>,
    pub url: Option<String>,
    pub refs: Vec<Ref>,
    /// For a postmortem: its factors (`label`, `component` and the value), which become
    /// its incident's tags once linking finds the incident.
    pub tags: Vec<(&'static str, String)>,
}

impl Ticket {
    pub fn new(source: &'static str, id: impl Into<String>) -> Ticket {
        Ticket {
            source,
            id: id.into(),
            title: None,
            postmortem: false,
            status: "open",
            status_raw: None,
            created: None,
            updated: None,
            due: None,
            completed: None,
            published: None,
            owner: None,
            team: None,
            url: None,
            refs: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// The ticket's id in the store: `<source>:<id>`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.source, self.id)
    }

    /// A postmortem's labels and components as its factors: every component, and every
    /// label but those naming an incident (`inc-123`) or marking the ticket a postmortem.
    pub fn factors<'a>(
        &mut self,
        labels: &[&str],
        components: impl IntoIterator<Item = &'a str>,
        marks_postmortem: impl Fn(&str) -> bool,
    ) {
        let labels = labels
            .iter()
            .filter(|l| label_number(l).is_none() && !marks_postmortem(l))
            .map(|l| ("label", *l));
        let components = components.into_iter().map(|c| ("component", c));
        self.tags.extend(
            labels
                .chain(components)
                .map(|(k, v)| (k, v.trim().to_string()))
                .filter(|(_, v)| !v.is_empty()),
        );
    }

    /// Labels that name an incident (`inc-123`, `incident_7`) become references.
    pub fn labels<'a>(&mut self, labels: impl IntoIterator<Item = &'a str>) {
        self.refs
            .extend(labels.into_iter().filter_map(label_number).map(Ref::Number));
    }

    /// URLs in a text (a description, a link field) become references: the first
    /// [`MAX_URLS`] of the ticket, which is where an incident link sits in practice.
    pub fn scan(&mut self, text: &str) {
        for u in urls_in(text) {
            let urls = self
                .refs
                .iter()
                .filter(|r| matches!(r, Ref::Url(_)))
                .count();
            if urls >= MAX_URLS {
                return;
            }
            let r = Ref::Url(u);
            if !self.refs.contains(&r) {
                self.refs.push(r);
            }
        }
    }

    /// The canonical row: an action item, or a retro for a postmortem ticket (held when
    /// the ticket is done, at its completion).
    /// The ticket's row and, for a postmortem, a `retro_tags` row for each of its tags.
    pub fn into_rows(mut self) -> Vec<Row> {
        let key = self.key();
        let mut tags = std::mem::take(&mut self.tags);
        tags.sort();
        tags.dedup();
        let postmortem = self.postmortem;
        let mut rows = vec![self.into_row()];
        if postmortem {
            rows.extend(tags.into_iter().map(|(tag, value)| {
                Row::of(tables::RetroTags)
                    .with(cell::RETRO_ID, Value::text(key.as_str()))
                    .with(cell::TAG, Value::text(tag))
                    .with(cell::VALUE, Value::text(value))
                    .into()
            }));
        }
        rows
    }

    pub fn into_row(mut self) -> Row {
        let refs = Ref::cell(&mut self.refs);
        let common = [
            (col::TITLE, Value::opt_text(self.title.as_deref())),
            (col::STATUS, Value::text(self.status)),
            (col::STATUS_RAW, Value::opt_text(self.status_raw.as_deref())),
            (col::URL, Value::opt_text(self.url.as_deref())),
            (col::SOURCE, Value::text(self.source)),
            (col::UPDATED_AT, Value::opt_ts(self.updated)),
            (col::LINK_REFS, refs),
        ];
        if self.postmortem {
            let held = if self.status == "done" {
                self.completed
            } else {
                None
            };
            return Row::of(tables::Retros)
                .with(cell::RETRO_ID, Value::text(self.key()))
                .with(cell::HELD_AT, Value::opt_ts(held))
                .with(cell::PUBLISHED_AT, Value::opt_ts(self.published))
                .with_all(common)
                .into();
        }
        Row::of(tables::ActionItems)
            .with(cell::ITEM_ID, Value::text(self.key()))
            .with(cell::OWNER, Value::opt_text(self.owner.as_deref()))
            .with(cell::TEAM, Value::opt_text(self.team.as_deref()))
            .with(cell::CREATED_AT, Value::opt_ts(self.created))
            .with(cell::DUE_AT, Value::opt_ts(self.due))
            .with(cell::COMPLETED_AT, Value::opt_ts(self.completed))
            .with_all(common)
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Table;

    #[test]
    fn postmortems_become_retros_held_when_done() {
        let mut t = Ticket::new("jira", "PM-1");
        t.postmortem = true;
        t.status = "done";
        t.completed = Some(5);
        t.labels(["inc-101", "postmortem"]);
        t.scan("timeline: https://pd.example/incidents/PI1.");
        let row = t.into_row();
        assert_eq!(row.table, Table::Retros);
        assert_eq!(row.get(col::RETRO_ID), &Value::text("jira:PM-1"));
        assert_eq!(row.get(col::HELD_AT), &Value::Ts(5));
        assert_eq!(
            row.get(col::LINK_REFS),
            &Value::List(vec![
                "url:https://pd.example/incidents/PI1".into(),
                "number:101".into()
            ])
        );
        assert!(row.validate().is_ok());
    }

    #[test]
    fn other_tickets_are_action_items() {
        let mut t = Ticket::new("github", "o/r#5");
        t.status = "wont_do";
        t.completed = Some(9);
        let row = t.into_row();
        assert_eq!(row.table, Table::ActionItems);
        assert_eq!(row.get(col::COMPLETED_AT), &Value::Ts(9));
        assert_eq!(row.get(col::LINK_REFS), &Value::List(vec![]));
    }
}
