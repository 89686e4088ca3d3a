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
//!
//! **Tickets.** Action items and retros keep the [`Ref`]s their source found (an
//! explicit incident id, an incident URL in the description, a label `inc-123`, a linked
//! ticket) in `link_refs`. [`relink`] resolves them over the whole store, strongest kind
//! first (explicit, URL, label, linked ticket), sets the ticket's `incident_id`, and
//! copies each incident's earliest held retro onto the incident row, where metrics and
//! queries read it. The same resolution counts what links ambiguously or to nothing for
//! `data_quality` ([`issues`]).

mod channels;
mod incidents;
mod issues;
mod messages;
mod tickets;
mod twins;

pub use crate::identity::Identities;
pub use crate::refs::{
    channel_number, label_number, normalise_url, urls_in, Ref, CHANNEL_CLAIM, CONVERSATION,
    REFERENCE,
};
pub use channels::*;
pub use incidents::*;
pub use issues::*;
pub use messages::*;
pub use tickets::*;
pub use twins::*;

use crate::record::{split_list, Row, RowOf, Value};
use crate::schema::{cell, col, tables, Table};
use crate::store::{frame_key_hashes, row_at, row_key_hash, strings as strs, TextMap, Writer};
use anyhow::Result;
use polars::prelude::{DataFrame, IntoColumn, NewChunkedArray, StringChunked};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// How primary a source's incidents are, lower first, by the source's role (see
/// [`crate::sources::Role::rank`]); a name no source has ranks last.
pub fn rank(source: &str) -> u8 {
    // Called per incident: the sources' ranks by name, gathered once.
    static RANKS: std::sync::LazyLock<HashMap<&'static str, u8>> = std::sync::LazyLock::new(|| {
        crate::sources::all()
            .iter()
            .map(|s| (s.name(), s.role().rank()))
            .collect()
    });
    RANKS.get(source).copied().unwrap_or(2)
}

/// What a channel or a ticket links to.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    Incident(String),
    /// Several incidents match equally well.
    Ambiguous(Vec<String>),
    /// Nothing in the store matches (yet): what was looked for.
    Dangling(String),
    /// No reference at all (a channel not named by the convention, a plain ticket).
    None,
}

impl Link {
    /// One incident among `candidates` (deduplicated), or ambiguity.
    fn among(mut candidates: Vec<String>) -> Link {
        candidates.sort();
        candidates.dedup();
        match candidates.len() {
            0 => Link::None,
            1 => Link::Incident(candidates.remove(0)),
            _ => Link::Ambiguous(candidates),
        }
    }
}

/// What a relinking found, for the user.
#[derive(Debug, Default)]
pub struct Report {
    /// Incidents found to be one incident seen in two sources.
    pub linked_incidents: usize,
    pub linked_channels: usize,
    pub linked_tickets: usize,
    /// Channels and tickets (with why) that carry a reference but link to nothing.
    pub dangling: Vec<String>,
    pub ambiguous: Vec<String>,
    /// The same, as rows of `link_issues`.
    issues: Vec<Row>,
    /// The keys of the rows this linking derived (links, chat participants, chat status
    /// updates), as 128-bit hashes (a million participants' keys as text would take
    /// 100 MiB): a stored one it did not derive again is stale, and removed.
    derived: HashMap<Table, hashbrown::HashSet<u128>>,
    /// The (incident, linked) pairs of the `incident_links` rows derived so far, for
    /// choosing primaries without reading the table back.
    pairs: Vec<(String, String)>,
}

/// The rule of the `incident_links` rows that name, for each incident seen in several
/// sources, the one that stands for them all (see `twins::primaries`): the only links metrics
/// read to merge incidents.
pub const PRIMARY: &str = "primary";

/// Rules of the `incident_links` rows linking derives (as opposed to the references
/// sources store for it to resolve, and links a user gives in the canonical form).
const DERIVED_RULES: [&str; 9] = [
    PRIMARY,
    "explicit",
    "ticket-url",
    "ticket-label",
    "ticket-link",
    "mirror",
    "incident-url",
    "incident-number",
    "channel-name",
];

/// The column and values by which a stored row is one linking derives: it stays only
/// if derived again. Links by the rules linking applies; chat participants and chat
/// status updates, which only linking writes.
fn derived_by(table: Table) -> Option<(&'static str, &'static [&'static str])> {
    static CHAT: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        crate::sources::all()
            .iter()
            .filter(|s| s.role() == crate::sources::Role::Chat)
            .map(|s| s.name())
            .collect()
    });
    match table {
        Table::IncidentLinks => Some((col::RULE, &DERIVED_RULES)),
        Table::Participants | Table::Events => Some((col::SOURCE, CHAT.as_slice())),
        _ => None,
    }
}

/// Stores a row linking derived, and notes it as derived.
fn put_derived(writer: &mut Writer, report: &mut Report, row: impl Into<Row>) -> Result<()> {
    let mut row = row.into();
    row.complete();
    if let (Table::IncidentLinks, Some(a), Some(b)) = (
        row.table,
        row.get(col::INCIDENT_ID).as_str(),
        row.get(col::LINKED_ID).as_str(),
    ) {
        report.pairs.push((a.to_string(), b.to_string()));
    }
    // The writer's own key hash: the key is built once for both.
    let key = row_key_hash(&row);
    report.derived.entry(row.table).or_default().insert(key);
    writer.put_keyed(row, key, "links")?;
    Ok(())
}

/// Removes the rows of earlier linking that this one did not derive again (a channel
/// or ticket now linked to another incident), so that the store does not depend on how
/// the files were split over runs.
fn remove_stale(writer: &mut Writer, report: &Report) -> Result<()> {
    for t in [Table::IncidentLinks, Table::Participants, Table::Events] {
        let Some((by, values)) = derived_by(t) else {
            continue;
        };
        let mut columns: Vec<&str> = t.key().to_vec();
        if !columns.contains(&by) {
            columns.push(by);
        }
        let mut stale = Vec::new();
        let none = hashbrown::HashSet::new();
        let derived = report.derived.get(&t).unwrap_or(&none);
        writer.each_part(t, &columns, &mut |stored| {
            let marks = stored.column(by)?.str()?.clone();
            let keys = frame_key_hashes(&stored, t)?;
            for (i, key) in keys.iter().enumerate() {
                if !marks.get(i).is_some_and(|m| values.contains(&m)) {
                    continue;
                }
                if !derived.contains(key) {
                    let mut row = Row::new(t);
                    for c in &columns {
                        row.set_named(c, Value::from_any(stored.column(c)?.get(i)?));
                    }
                    stale.push(row);
                }
            }
            Ok(())
        })?;
        for row in stale {
            writer.remove(&row)?;
        }
    }
    Ok(())
}

impl Report {
    /// Counts a channel's or ticket's link: linked, or an issue to report and keep.
    fn note(&mut self, kind: &str, id: &str, name: &str, link: &Link) {
        let (problem, detail) = match link {
            Link::Incident(_) | Link::None => return,
            Link::Dangling(why) => {
                self.dangling.push(format!("{kind} {name} ({why})"));
                ("dangling", why.clone())
            }
            Link::Ambiguous(ids) => {
                self.ambiguous
                    .push(format!("{kind} {name} ({})", ids.join(", ")));
                ("ambiguous", ids.join(", "))
            }
        };
        self.issues.push(
            Row::of(tables::LinkIssues)
                .with(cell::KIND, Value::text(kind))
                .with(cell::LINKED_ID, Value::text(id))
                .with(cell::NAME, Value::text(name))
                .with(cell::PROBLEM, Value::text(problem))
                .with(cell::DETAIL, Value::text(&detail))
                .into(),
        );
    }
}

/// The earlier of two optional instants.
fn first_of(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Re-evaluates every link over the whole store (as the writer sees it): incidents seen
/// in two sources, chat channels, tickets and retros.
pub fn relink(writer: &mut Writer) -> Result<Report> {
    let inc = writer.rows(Table::Incidents)?;
    let links = writer.rows(Table::IncidentLinks)?;
    let incidents = Incidents::from_frame(&inc)?;
    let mut report = Report::default();
    for ((id, other), rule) in same_incidents(&incidents, &inc, &links)? {
        put_derived(writer, &mut report, link_row(&id, &other, rule))?;
        report.linked_incidents += 1;
    }
    crate::timing::lap("link: incidents seen twice");
    relink_channels(writer, &incidents, &links, &mut report)?;
    crate::timing::lap("link: channels, chat participants");
    relink_tickets(writer, &incidents, &inc, &mut report)?;
    crate::timing::lap("link: tickets, retros");
    primaries(writer, &inc, &links, &mut report)?;
    crate::timing::lap("link: primary incidents");
    remove_stale(writer, &report)?;
    crate::timing::lap("link: stale links removed");
    // `link_issues` becomes what this linking found: issues resolved since are removed.
    let found: HashSet<String> = report.issues.iter().map(Row::key).collect();
    let stored = writer.rows(Table::LinkIssues)?;
    for i in 0..stored.height() {
        let row = row_at(&stored, Table::LinkIssues, i)?;
        if !found.contains(&row.key()) {
            writer.remove(&row)?;
        }
    }
    for row in std::mem::take(&mut report.issues) {
        writer.put(row, "links")?;
    }
    // Written even when empty: metrics tell a store without issues from one that was
    // linked before the table existed by its file.
    writer.keep(Table::LinkIssues)?;
    Ok(report)
}

fn link_row(incident: &str, linked: &str, rule: &str) -> RowOf<tables::IncidentLinks> {
    Row::of(tables::IncidentLinks)
        .with(cell::INCIDENT_ID, Value::text(incident))
        .with(cell::LINKED_ID, Value::text(linked))
        .with(cell::RULE, Value::text(rule))
}
