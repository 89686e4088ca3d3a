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

use crate::record::{split_list, Row, Value};
use crate::schema::{col, Table};
use crate::store::{row_at, strings as strs, TextMap, Writer};
use anyhow::Result;
use polars::prelude::{DataFrame, IntoColumn, NewChunkedArray, StringChunked};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

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

/// How primary a source's incidents are, lower first: pagers (and the canonical form,
/// a team's own tracker), then incident platforms, then ticketing. Status pages carry
/// no numbers.
pub fn rank(source: &str) -> u8 {
    match source {
        "pagerduty" | "opsgenie" | "canonical" => 0,
        "incidentio" | "rootly" | "firehydrant" => 1,
        _ => 2,
    }
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

/// The store's incidents, indexed for resolving channel names and ticket references.
#[derive(Debug, Default)]
pub struct Incidents {
    /// Number → (source rank, incident id).
    numbers: HashMap<i64, Vec<(u8, String)>>,
    /// Normalised URL → incident ids.
    urls: HashMap<String, Vec<String>>,
    ids: HashSet<String>,
}

impl Incidents {
    /// No incident at all: nothing can link to one.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// From `(incident_id, source, number, url)` rows.
    pub fn new<'a>(
        rows: impl IntoIterator<Item = (&'a str, &'a str, Option<i64>, Option<&'a str>)>,
    ) -> Incidents {
        let mut all = Incidents::default();
        for (id, source, number, url) in rows {
            all.ids.insert(id.to_string());
            if let Some(n) = number {
                all.numbers
                    .entry(n)
                    .or_default()
                    .push((rank(source), id.to_string()));
            }
            if let Some(u) = url {
                all.urls
                    .entry(normalise_url(u))
                    .or_default()
                    .push(id.to_string());
            }
        }
        all
    }

    /// From the incidents table.
    pub fn from_frame(inc: &DataFrame) -> Result<Incidents> {
        let ids = strs(inc, col::INCIDENT_ID)?;
        let sources = strs(inc, col::SOURCE)?;
        let numbers: Vec<Option<i64>> = inc.column(col::NUMBER)?.i64()?.iter().collect();
        let urls = strs(inc, col::URL)?;
        Ok(Incidents::new((0..inc.height()).filter_map(|i| {
            Some((
                ids[i].as_deref()?,
                sources[i].as_deref().unwrap_or(""),
                numbers[i],
                urls[i].as_deref(),
            ))
        })))
    }

    /// The incident of the primary source with number `n`.
    pub fn by_number(&self, n: i64) -> Link {
        let Some(all) = self.numbers.get(&n) else {
            return Link::Dangling(format!("no incident #{n}"));
        };
        let best = all.iter().map(|(r, _)| *r).min().unwrap_or(0);
        Link::among(
            all.iter()
                .filter(|(r, _)| *r == best)
                .map(|(_, id)| id.clone())
                .collect(),
        )
    }

    /// The incident whose URL is `url` or a path prefix of it (`…/incidents/PI1/timeline`
    /// is PI1's page): the longest such URL.
    pub fn by_url(&self, url: &str) -> Option<&[String]> {
        let mut u = normalise_url(url);
        loop {
            if let Some(ids) = self.urls.get(&u) {
                return Some(ids);
            }
            let cut = u.rfind('/')?;
            if u[..cut].ends_with('/') || !u[..cut].contains("://") {
                return None;
            }
            u.truncate(cut);
        }
    }

    pub fn channel(&self, name: &str) -> Link {
        match channel_number(name) {
            Some(n) => self.by_number(n),
            None => Link::None,
        }
    }

    /// What a ticket's references resolve to, with the rule that decided: the strongest
    /// kind of reference that matches anything decides; ticket-to-ticket references are
    /// looked up in `tickets` (the other tickets' own resolutions).
    pub fn ticket(&self, refs: &[Ref], tickets: &HashMap<String, String>) -> (Link, &'static str) {
        if refs.is_empty() {
            return (Link::None, "");
        }
        let explicit: Vec<String> = refs
            .iter()
            .filter_map(|r| match r {
                Ref::Incident(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        if !explicit.is_empty() {
            let link = match Link::among(explicit) {
                Link::Incident(id) if !self.ids.contains(&id) => {
                    Link::Dangling(format!("incident {id} is not in the store"))
                }
                other => other,
            };
            return (link, "explicit");
        }
        let urls: Vec<String> = refs
            .iter()
            .filter_map(|r| match r {
                Ref::Url(u) => self.by_url(u),
                _ => None,
            })
            .flatten()
            .cloned()
            .collect();
        if !urls.is_empty() {
            return (Link::among(urls), "ticket-url");
        }
        let mut by_number = Vec::new();
        let mut ambiguous = Vec::new();
        for r in refs {
            if let Ref::Number(n) = r {
                match self.by_number(*n) {
                    Link::Incident(id) => by_number.push(id),
                    Link::Ambiguous(ids) => ambiguous.extend(ids),
                    _ => {}
                }
            }
        }
        if !ambiguous.is_empty() {
            ambiguous.extend(by_number);
            ambiguous.sort();
            ambiguous.dedup();
            return (Link::Ambiguous(ambiguous), "ticket-label");
        }
        if !by_number.is_empty() {
            return (Link::among(by_number), "ticket-label");
        }
        let linked: Vec<String> = refs
            .iter()
            .filter_map(|r| match r {
                Ref::Ticket(t) => tickets.get(t).cloned(),
                _ => None,
            })
            .collect();
        if !linked.is_empty() {
            return (Link::among(linked), "ticket-link");
        }
        // Labels follow the incident convention on purpose: naming an incident that is
        // not (yet) in the store is worth reporting. URLs and ticket links are ordinary
        // in any ticket; matching none of them only means the ticket is not a follow-up.
        let wanted: Vec<String> = refs
            .iter()
            .filter_map(|r| match r {
                Ref::Number(n) => Some(format!("#{n}")),
                _ => None,
            })
            .collect();
        if wanted.is_empty() {
            return (Link::None, "");
        }
        (
            Link::Dangling(format!("nothing matches {}", wanted.join(", "))),
            "",
        )
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
    derived: HashMap<Table, HashSet<u128>>,
}

/// Rules of the `incident_links` rows linking derives (as opposed to the references
/// sources store for it to resolve, and links a user gives in the canonical form).
const DERIVED_RULES: [&str; 8] = [
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
    const CHAT: [&str; 2] = [
        crate::sources::slack::SOURCE,
        crate::sources::mattermost::SOURCE,
    ];
    match table {
        Table::IncidentLinks => Some((col::RULE, &DERIVED_RULES)),
        Table::Participants | Table::Events => Some((col::SOURCE, &CHAT)),
        _ => None,
    }
}

/// Stores a row linking derived, and notes it as derived.
fn put_derived(writer: &mut Writer, report: &mut Report, mut row: Row) -> Result<()> {
    row.complete();
    report
        .derived
        .entry(row.table)
        .or_default()
        .insert(xxhash_rust::xxh3::xxh3_128(row.key().as_bytes()));
    writer.put(row, "links")?;
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
        let none = HashSet::new();
        let derived = report.derived.get(&t).unwrap_or(&none);
        writer.each_part(t, &columns, &mut |stored| {
            let marks = stored.column(by)?.str()?.clone();
            // The keys of these tables are all text: each row's key is built as
            // `Row::key` builds it, without building the row.
            let keys = t
                .key()
                .iter()
                .map(|k| Ok(stored.column(k)?.str()?.clone()))
                .collect::<Result<Vec<_>>>()?;
            let mut key = String::new();
            for i in 0..stored.height() {
                if !marks.get(i).is_some_and(|m| values.contains(&m)) {
                    continue;
                }
                key.clear();
                for (n, k) in keys.iter().enumerate() {
                    if n > 0 {
                        key.push('\u{1f}');
                    }
                    key.push_str(k.get(i).unwrap_or("\u{0}"));
                }
                if !derived.contains(&xxhash_rust::xxh3::xxh3_128(key.as_bytes())) {
                    let mut row = Row::new(t);
                    for c in &columns {
                        row.set(c, Value::from_any(stored.column(c)?.get(i)?));
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
            Row::new(Table::LinkIssues)
                .with(col::KIND, Value::text(kind))
                .with(col::LINKED_ID, Value::text(id))
                .with(col::NAME, Value::text(name))
                .with(col::PROBLEM, Value::text(problem))
                .with(col::DETAIL, Value::text(&detail)),
        );
    }
}

/// One ticket (action item or retro) and what its references resolve to.
pub struct TicketLink {
    pub table: Table,
    /// Row number in the table's frame.
    pub row: usize,
    pub id: String,
    pub link: Link,
    pub rule: &'static str,
    /// The incident the row should carry: the linked one, else an explicit reference
    /// (kept even before its incident arrives).
    pub target: Option<String>,
}

/// Resolves the references of every action item and retro that has any.
pub fn ticket_links(
    incidents: &Incidents,
    items: &DataFrame,
    retros: &DataFrame,
) -> Result<Vec<TicketLink>> {
    let mut all: Vec<(Table, usize, String, Vec<Ref>)> = Vec::new();
    // Action items by id and by URL, for mirrors.
    let mut item_rows: HashMap<String, usize> = HashMap::new();
    let mut item_urls: HashMap<String, String> = HashMap::new();
    for (table, df, key) in [
        (Table::ActionItems, items, col::ITEM_ID),
        (Table::Retros, retros, col::RETRO_ID),
    ] {
        let ids = strs(df, key)?;
        let refs = strs(df, col::LINK_REFS)?;
        let urls = strs(df, col::URL)?;
        for (i, ((id, r), url)) in ids.into_iter().zip(refs).zip(urls).enumerate() {
            let Some(id) = id else { continue };
            if table == Table::ActionItems {
                item_rows.insert(id.clone(), i);
                if let Some(u) = url {
                    item_urls.insert(normalise_url(&u), id.clone());
                }
            }
            let refs: Vec<Ref> = split_list(r.as_deref().unwrap_or(""))
                .iter()
                .filter_map(|s| Ref::decode(s))
                .collect();
            if !refs.is_empty() {
                all.push((table, i, id, refs));
            }
        }
    }
    let original_of = |id: &str, refs: &[Ref]| -> Option<String> {
        refs.iter().find_map(|r| match r {
            Ref::Mirror(m) => item_rows
                .get_key_value(m.as_str())
                .map(|(k, _)| k.clone())
                .or_else(|| item_urls.get(&normalise_url(m)).cloned())
                .filter(|o| o != id),
            _ => None,
        })
    };
    // Tickets that link by their own references first; then those that only point at
    // another ticket, through the first round's results.
    let mut resolved: HashMap<String, String> = HashMap::new();
    let mut inherited: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(all.len());
    for round in 0..2 {
        for (table, row, id, refs) in &all {
            let only_tickets = refs
                .iter()
                .all(|r| matches!(r, Ref::Ticket(_) | Ref::Mirror(_)));
            if only_tickets != (round == 1) {
                continue;
            }
            let (mut link, mut rule) = incidents.ticket(refs, &resolved);
            let explicit = refs.iter().find_map(|r| match r {
                Ref::Incident(id) => Some(id.clone()),
                _ => None,
            });
            let mut target = match &link {
                Link::Incident(i) => Some(i.clone()),
                _ => explicit,
            };
            if let Some(t) = &target {
                resolved.insert(id.clone(), t.clone());
            }
            // A copy of a ticket that is in the store: that one is counted, with this
            // one's incident; this one is not.
            if let (Some(original), Some(t)) = (original_of(id, refs), &target) {
                inherited.insert(original, t.clone());
                (link, rule, target) = (Link::None, "mirror", None);
            }
            out.push(TicketLink {
                table: *table,
                row: *row,
                id: id.clone(),
                link,
                rule,
                target,
            });
        }
    }
    for (original, incident) in inherited {
        let link = TicketLink {
            table: Table::ActionItems,
            row: item_rows[&original],
            id: original.clone(),
            link: Link::Incident(incident.clone()),
            rule: "mirror",
            target: Some(incident),
        };
        match out.iter_mut().find(|t| t.id == original) {
            // The original's own link, when it has one, stands.
            Some(own) if own.target.is_some() => {}
            Some(own) => *own = link,
            None => out.push(link),
        }
    }
    Ok(out)
}

/// Rule of an `incident_links` row by which an incident platform claims a chat channel
/// (`slack:C02AW36C1M5`) for its incident: it wins over the name convention.
pub const CHANNEL_CLAIM: &str = "explicit-channel";

/// Rule of an `incident_links` row that holds a reference still to be resolved (an
/// incident.io alert's source URL): its `linked_id` is an encoded [`Ref`].
pub const REFERENCE: &str = "reference";

/// Explicit channel claims: channel key (`slack:C…`) → incident.
fn claims(links: &DataFrame) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for ((i, l), r) in strs(links, col::INCIDENT_ID)?
        .into_iter()
        .zip(strs(links, col::LINKED_ID)?)
        .zip(strs(links, col::RULE)?)
    {
        if let (Some(i), Some(l), Some(CHANNEL_CLAIM)) = (i, l, r.as_deref()) {
            // Two claims on one channel: the first in id order, every time.
            out.entry(l).or_insert(i);
        }
    }
    Ok(out)
}

/// The earlier of two optional instants.
fn first_of(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// A chat channel as messages name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Channel {
    /// `<source>:<channel id>`, as incident platforms and `incident_links` name it.
    pub key: String,
    pub name: String,
}

/// Every chat channel of the messages and what it links to: the incident that claims it
/// explicitly, else the incident its name follows the convention for.
pub fn channel_links(
    incidents: &Incidents,
    messages: &DataFrame,
    links: &DataFrame,
) -> Result<BTreeMap<Channel, Link>> {
    let claims = claims(links)?;
    let mut out = BTreeMap::new();
    let mut seen = HashSet::new();
    let sources = messages.column(col::SOURCE)?.str()?;
    let ids = messages.column(col::CHANNEL_ID)?.str()?;
    let names = messages.column(col::CHANNEL_NAME)?.str()?;
    let mut last = None;
    for triple in sources.iter().zip(ids.iter()).zip(names.iter()) {
        // Messages come channel by channel: most are the channel of the one before.
        if last == Some(triple) || !seen.insert(triple) {
            continue;
        }
        last = Some(triple);
        let ((source, id), name) = triple;
        let key = format!("{}:{}", source.unwrap_or_default(), id.unwrap_or_default());
        let channel = Channel {
            name: name.map_or_else(|| key.clone(), str::to_string),
            key,
        };
        if let std::collections::btree_map::Entry::Vacant(e) = out.entry(channel) {
            let c = e.key();
            let link = match claims.get(&c.key) {
                Some(incident) => Link::Incident(incident.clone()),
                None => incidents.channel(&c.name),
            };
            e.insert(link);
        }
    }
    Ok(out)
}

/// Incidents that are one incident seen in two sources, by the references a source
/// gives (`link_refs`, and `incident_links` rows still holding a reference): pairs of
/// (incident, the same incident elsewhere) with the rule that matched.
pub fn same_incidents(
    incidents: &Incidents,
    inc: &DataFrame,
    links: &DataFrame,
) -> Result<BTreeMap<(String, String), &'static str>> {
    let mut refs: Vec<(String, Ref)> = Vec::new();
    for (id, r) in strs(inc, col::INCIDENT_ID)?
        .into_iter()
        .zip(strs(inc, col::LINK_REFS)?)
    {
        if let Some(id) = id {
            for x in split_list(r.as_deref().unwrap_or("")) {
                refs.extend(Ref::decode(&x).map(|r| (id.clone(), r)));
            }
        }
    }
    for ((i, l), rule) in strs(links, col::INCIDENT_ID)?
        .into_iter()
        .zip(strs(links, col::LINKED_ID)?)
        .zip(strs(links, col::RULE)?)
    {
        if let (Some(i), Some(l), Some(REFERENCE)) = (i, l, rule.as_deref()) {
            refs.extend(Ref::decode(&l).map(|r| (i, r)));
        }
    }
    let mut out = BTreeMap::new();
    for (id, r) in refs {
        let (others, rule): (Vec<String>, &'static str) = match &r {
            Ref::Incident(other) if incidents.ids.contains(other) => {
                (vec![other.clone()], "explicit")
            }
            Ref::Url(u) => (
                incidents
                    .by_url(u)
                    .map(<[String]>::to_vec)
                    .unwrap_or_default(),
                "incident-url",
            ),
            Ref::Number(n) => match incidents.by_number(*n) {
                Link::Incident(other) => (vec![other], "incident-number"),
                _ => (Vec::new(), ""),
            },
            _ => (Vec::new(), ""),
        };
        for other in others.into_iter().filter(|o| *o != id) {
            out.entry((id.clone(), other)).or_insert(rule);
        }
    }
    Ok(out)
}

/// (ambiguous, dangling) channel and ticket links over the whole store, for
/// `data_quality`.
pub fn issues(
    inc: &DataFrame,
    messages: &DataFrame,
    items: &DataFrame,
    retros: &DataFrame,
    links: &DataFrame,
) -> Result<(usize, usize)> {
    let incidents = Incidents::from_frame(inc)?;
    let links = channel_links(&incidents, messages, links)?
        .into_values()
        .chain(
            ticket_links(&incidents, items, retros)?
                .into_iter()
                .map(|t| t.link),
        );
    let (mut ambiguous, mut dangling) = (0, 0);
    for l in links {
        match l {
            Link::Ambiguous(_) => ambiguous += 1,
            Link::Dangling(_) => dangling += 1,
            _ => {}
        }
    }
    Ok((ambiguous, dangling))
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

fn relink_channels(
    writer: &mut Writer,
    incidents: &Incidents,
    links: &DataFrame,
    report: &mut Report,
) -> Result<()> {
    // One pass over the messages, a part at a time, each part read in slices on every
    // core: the distinct channels, and who wrote in each channel, when, how often.
    // Which channel is which incident's is known only once every channel is.
    // Without incidents no channel links: the channels are all that is read then.
    let gather = !incidents.is_empty();
    let read = if gather {
        &Written::COLUMNS[..]
    } else {
        &ChannelSet::COLUMNS[..]
    };
    let workers = crate::parallel::workers();
    let mut written = Written::default();
    writer.each_part(Table::Messages, read, &mut |df| {
        let per = df.height().div_ceil(workers).max(1);
        let slices = (0..df.height())
            .step_by(per)
            .map(|offset| df.slice(offset as i64, per));
        let mut failed = None;
        crate::parallel::ordered_map(
            slices,
            workers,
            |slice| Written::read(&slice, gather),
            |found| match found {
                Ok(found) => written.append(found),
                Err(e) => failed = failed.take().or(Some(e)),
            },
        );
        failed.map_or(Ok(()), Err)
    })?;
    let Written {
        channels: set,
        mut names,
        with_messages,
        participation,
        updates,
    } = written;
    let msgs = set.frame()?;
    let channels = channel_links(incidents, &msgs, links)?;
    for (c, link) in &channels {
        if let Link::Incident(_) = link {
            report.linked_channels += 1;
        }
        report.note("channel", &c.key, &c.name, link);
    }
    if report.linked_channels == 0 {
        return Ok(());
    }
    // (source, channel id) → the incident its channel links to.
    let mut incident_of = TextMap::default();
    for (c, l) in &channels {
        if let (Link::Incident(target), Some((source, id))) = (l, c.key.split_once(':')) {
            incident_of.insert(source, id, Some(target));
        }
    }
    // The incident of each numbered channel (None for other names), numbered too.
    let channel_targets: Vec<Option<&str>> = (0..names.len() as u32)
        .map(|n| {
            let (source, channel) = names.name(n).split_once(':')?;
            incident_of.get(Some(source), Some(channel)).flatten()
        })
        .collect();
    let target_of: Vec<Option<u32>> = channel_targets
        .iter()
        .map(|t| t.map(|t| names.of(t)))
        .collect();
    let claimed = claims(links)?;
    for (ch, at, person, id, source) in updates {
        let Some(target) = target_of[ch as usize] else {
            continue;
        };
        let event = Row::new(Table::Events)
            .with(col::INCIDENT_ID, Value::text(names.name(target)))
            .with(col::EVENT_ID, Value::opt_text(id.as_deref()))
            .with(col::AT, Value::Ts(at))
            .with(col::KIND, Value::text("status_update"))
            .with(col::PERSON_ID, Value::text(names.name(person)))
            .with(col::DETAIL, Value::opt_text(id))
            .with(col::SOURCE, Value::text(names.name(source)));
        put_derived(writer, report, event)?;
    }
    crate::timing::lap("link: who wrote where");
    writer.set_text_by(
        Table::Messages,
        col::INCIDENT_ID,
        [col::SOURCE, col::CHANNEL_ID],
        incident_of,
    )?;
    // Nothing changes the messages after this: they are written while linking goes on.
    writer.seal(Table::Messages)?;
    crate::timing::lap("link: messages' incidents");
    // A person's activity in an incident: over every channel that is the incident's.
    // Numbers, not names, per entry: there are millions in a large organisation. They
    // are sorted by the names' order, for the rows to come in a stable order.
    let mut by_incident: Vec<([u32; 3], (i64, i64, i64))> = Vec::with_capacity(participation.len());
    for ((ch, p, s), v) in participation {
        if let Some(t) = target_of[ch as usize] {
            by_incident.push(([t, p, s], v));
        }
    }
    let rank = names.ranks();
    by_incident.sort_unstable_by_key(|(k, _)| k.map(|n| rank[n as usize]));
    by_incident.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 .0 = kept.1 .0.min(next.1 .0);
            kept.1 .1 = kept.1 .1.max(next.1 .1);
            kept.1 .2 += next.1 .2;
        }
        same
    });
    for ([incident, person, source], (first, last, count)) in by_incident {
        let (incident, person, source) =
            (names.name(incident), names.name(person), names.name(source));
        let p = crate::sources::responder_row(incident, person, Some(first), Some(last), source)
            .with(col::MESSAGES, Value::Int(count));
        put_derived(writer, report, p)?;
    }
    let channel_rows: BTreeSet<(&str, &str)> = with_messages
        .iter()
        .filter_map(|&ch| Some((names.name(target_of[ch as usize]?), names.name(ch))))
        .collect();
    for (incident, channel) in channel_rows {
        // A claimed channel already has its row (rule explicit-channel).
        if claimed.get(channel).map(String::as_str) != Some(incident) {
            put_derived(writer, report, link_row(incident, channel, "channel-name"))?;
        }
    }
    Ok(())
}

/// Who wrote where in some messages: their distinct channels, and per channel, author
/// and source the first and last message and how many; the status updates (channel, at,
/// person, message id, source) in message order; the channels with any message. People,
/// channels and sources are few, messages many, so names are numbered, in the order
/// first seen, rather than copied per message.
#[derive(Default)]
struct Written {
    channels: ChannelSet,
    names: Interner,
    with_messages: BTreeSet<u32>,
    participation: hashbrown::HashMap<(u32, u32, u32), (i64, i64, i64)>,
    updates: Vec<(u32, i64, u32, Option<String>, u32)>,
}

impl Written {
    /// The message columns [`Written::read`] reads.
    const COLUMNS: [&'static str; 9] = [
        col::SOURCE,
        col::CHANNEL_ID,
        col::CHANNEL_NAME,
        col::PERSON_ID,
        col::SUBTYPE,
        col::MESSAGE_ID,
        col::AT,
        col::IS_BOT,
        col::STATUS_UPDATE,
    ];

    /// Reads messages: who wrote where, or with `gather` false only the channels (of
    /// [`ChannelSet::COLUMNS`]).
    fn read(df: &DataFrame, gather: bool) -> Result<Written> {
        let mut w = Written::default();
        w.channels.add(df)?;
        if !gather {
            return Ok(w);
        }
        let text = |c: &str| -> Result<StringChunked> { Ok(df.column(c)?.str()?.clone()) };
        let ats = df
            .column(col::AT)?
            .cast(&polars::prelude::DataType::Int64)?;
        let (bots, status) = (
            df.column(col::IS_BOT)?.bool()?.clone(),
            df.column(col::STATUS_UPDATE)?.bool()?.clone(),
        );
        let (sources, channel_ids, persons) = (
            text(col::SOURCE)?,
            text(col::CHANNEL_ID)?,
            text(col::PERSON_ID)?,
        );
        let (subtypes, ids) = (text(col::SUBTYPE)?, text(col::MESSAGE_ID)?);
        let cells = sources
            .iter()
            .zip(channel_ids.iter())
            .zip(persons.iter())
            .zip(subtypes.iter())
            .zip(ids.iter())
            .zip(ats.i64()?.iter())
            .zip(bots.iter().zip(status.iter()));
        // The channel of the message before, numbered: most messages share it.
        type SourceChannel<'a> = (Option<&'a str>, Option<&'a str>);
        // Its source, numbered too; and the author of the message before.
        let mut last: Option<(SourceChannel, u32, u32)> = None;
        let mut last_person: Option<(&str, u32)> = None;
        for ((((((source, channel), person), subtype), id), at), (bot, update)) in cells {
            let (ch, s) = match last {
                Some((c, n, s)) if c == (source, channel) => (n, s),
                _ => {
                    let source_name = source.unwrap_or_default();
                    let key = format!("{source_name}:{}", channel.unwrap_or_default());
                    let (n, s) = (w.names.of(&key), w.names.of(source_name));
                    w.with_messages.insert(n);
                    last = Some(((source, channel), n, s));
                    (n, s)
                }
            };
            let (Some(at), Some(person)) = (at, person) else {
                continue;
            };
            let conversation = subtype.is_none_or(|s| CONVERSATION.contains(&s));
            if bot.unwrap_or(false) || !conversation {
                continue;
            }
            let p = match last_person {
                Some((name, p)) if name == person => p,
                _ => {
                    let p = w.names.of(person);
                    last_person = Some((person, p));
                    p
                }
            };
            let e = w.participation.entry((ch, p, s)).or_insert((at, at, 0));
            e.0 = e.0.min(at);
            e.1 = e.1.max(at);
            e.2 += 1;
            if update.unwrap_or(false) {
                w.updates.push((ch, at, p, id.map(str::to_string), s));
            }
        }
        Ok(w)
    }

    /// Adds what the messages after these say. Names keep the numbers they would have
    /// had read in one go: the later ones are numbered in the order they first appear.
    fn append(&mut self, later: Written) {
        if self.names.is_empty() && self.channels.distinct.is_empty() {
            *self = later;
            return;
        }
        self.channels.extend(later.channels);
        let number: Vec<u32> = (0..later.names.len() as u32)
            .map(|n| self.names.of(later.names.name(n)))
            .collect();
        let n = |local: u32| number[local as usize];
        self.with_messages
            .extend(later.with_messages.into_iter().map(n));
        for ((ch, p, s), (first, last, count)) in later.participation {
            let e = self
                .participation
                .entry((n(ch), n(p), n(s)))
                .or_insert((first, last, 0));
            e.0 = e.0.min(first);
            e.1 = e.1.max(last);
            e.2 += count;
        }
        self.updates.extend(
            later
                .updates
                .into_iter()
                .map(|(ch, at, p, id, s)| (n(ch), at, n(p), id, n(s))),
        );
    }
}

/// The distinct chat channels of messages read a part at a time: (source, channel id,
/// channel name), in the order first seen.
#[derive(Default)]
pub struct ChannelSet {
    seen: HashSet<[Option<String>; 3]>,
    distinct: Vec<[Option<String>; 3]>,
}

impl ChannelSet {
    /// The message columns [`ChannelSet::add`] reads.
    pub const COLUMNS: [&'static str; 3] = [col::SOURCE, col::CHANNEL_ID, col::CHANNEL_NAME];

    pub fn add(&mut self, df: &DataFrame) -> Result<()> {
        let text = |c: &str| -> Result<&StringChunked> { Ok(df.column(c)?.str()?) };
        let (sources, ids, names) = (
            text(col::SOURCE)?,
            text(col::CHANNEL_ID)?,
            text(col::CHANNEL_NAME)?,
        );
        let mut last = None;
        for triple in sources.iter().zip(ids.iter()).zip(names.iter()) {
            // Messages come channel by channel: most are the channel of the one before.
            if last == Some(triple) {
                continue;
            }
            last = Some(triple);
            let ((s, i), n) = triple;
            let owned = [s, i, n].map(|x| x.map(str::to_string));
            if self.seen.insert(owned.clone()) {
                self.distinct.push(owned);
            }
        }
        Ok(())
    }

    /// Adds the channels of later messages not seen yet, in their order.
    fn extend(&mut self, later: ChannelSet) {
        for channel in later.distinct {
            if self.seen.insert(channel.clone()) {
                self.distinct.push(channel);
            }
        }
    }

    /// The channels as a frame of [`ChannelSet::COLUMNS`], for [`channel_links`].
    pub fn frame(&self) -> Result<DataFrame> {
        let column = |n: usize, name: &'static str| {
            StringChunked::from_iter_options(
                name.into(),
                self.distinct.iter().map(|d| d[n].as_deref()),
            )
            .into_column()
        };
        Ok(DataFrame::new(
            self.distinct.len(),
            vec![
                column(0, col::SOURCE),
                column(1, col::CHANNEL_ID),
                column(2, col::CHANNEL_NAME),
            ],
        )?)
    }
}

/// Names numbered in the order first seen. Looked up once per message by the million:
/// hashbrown's default hasher (foldhash) is several times faster than std's SipHash here,
/// and these names are not attacker-chosen keys of a long-lived service.
#[derive(Default)]
pub struct Interner {
    numbers: hashbrown::HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    pub fn of(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.numbers.get(name) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(name.to_string());
        self.numbers.insert(name.to_string(), n);
        n
    }

    pub fn name(&self, n: u32) -> &str {
        &self.names[n as usize]
    }

    /// How many names are numbered.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Each number's place in the names' sorted order: comparing ranks compares names.
    pub fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.names.len() as u32).collect();
        order.sort_unstable_by_key(|&n| self.name(n));
        let mut rank = vec![0; order.len()];
        for (r, n) in order.into_iter().enumerate() {
            rank[n as usize] = r as u32;
        }
        rank
    }
}

fn link_row(incident: &str, linked: &str, rule: &str) -> Row {
    Row::new(Table::IncidentLinks)
        .with(col::INCIDENT_ID, Value::text(incident))
        .with(col::LINKED_ID, Value::text(linked))
        .with(col::RULE, Value::text(rule))
}

/// Sets tickets' incidents from their references, then copies each incident's earliest
/// held retro (and its URL) onto the incident row.
fn relink_tickets(
    writer: &mut Writer,
    incidents: &Incidents,
    inc: &DataFrame,
    report: &mut Report,
) -> Result<()> {
    // What linking reads of the tickets; their incidents are then set in place, as
    // the messages' are, rather than each ticket stored again.
    let read = |writer: &mut Writer, t: Table, id: &str| {
        writer.columns(
            t,
            &[id, col::SOURCE, col::LINK_REFS, col::URL, col::INCIDENT_ID],
        )
    };
    let items = read(writer, Table::ActionItems, col::ITEM_ID)?;
    let retros = read(writer, Table::Retros, col::RETRO_ID)?;
    let cells = |df: &DataFrame| -> Result<[Vec<Option<String>>; 2]> {
        Ok([strs(df, col::SOURCE)?, strs(df, col::INCIDENT_ID)?])
    };
    let (item_cells, retro_cells) = (cells(&items)?, cells(&retros)?);
    let mut incident_of = [TextMap::default(), TextMap::default()];
    for t in ticket_links(incidents, &items, &retros)? {
        let retro = t.table == Table::Retros;
        let [sources, current] = if retro { &retro_cells } else { &item_cells };
        if let Link::Incident(_) = &t.link {
            report.linked_tickets += 1;
        }
        report.note("ticket", &t.id, &t.id, &t.link);
        if current[t.row] != t.target {
            incident_of[usize::from(retro)].insert(
                sources[t.row].as_deref().unwrap_or_default(),
                &t.id,
                t.target.as_deref(),
            );
        }
        if let Link::Incident(incident) = &t.link {
            put_derived(writer, report, link_row(incident, &t.id, t.rule))?;
        }
    }
    let [items_of, retros_of] = incident_of;
    for (t, id, map) in [
        (Table::ActionItems, col::ITEM_ID, items_of),
        (Table::Retros, col::RETRO_ID, retros_of),
    ] {
        if !map.is_empty() {
            writer.set_text_by(t, col::INCIDENT_ID, [col::SOURCE, id], map)?;
        }
    }
    // Each incident's retro: the earliest held, and the earliest published, among its
    // retro tickets and documents.
    let retros = writer.rows(Table::Retros)?;
    let mut best: BTreeMap<String, (Option<i64>, Option<i64>, Value)> = BTreeMap::new();
    for i in 0..retros.height() {
        let r = row_at(&retros, Table::Retros, i)?;
        let Value::Str(incident) = r.get(col::INCIDENT_ID) else {
            continue;
        };
        let ts = |c: &str| match r.get(c) {
            Value::Ts(t) => Some(*t),
            _ => None,
        };
        let (held, published) = (ts(col::HELD_AT), ts(col::PUBLISHED_AT));
        let Some(when) = held.or(published) else {
            continue;
        };
        let e = best
            .entry(incident.to_string())
            .or_insert((None, None, Value::Null));
        // The URL of the retro that came first.
        if e.0.or(e.1).is_none_or(|t| when < t) {
            e.2 = r.get(col::URL).clone();
        }
        e.0 = first_of(e.0, held);
        e.1 = first_of(e.1, published);
    }
    if best.is_empty() {
        return Ok(());
    }
    let ids = strs(inc, col::INCIDENT_ID)?;
    for (i, id) in ids.iter().enumerate() {
        let Some((held, published, url)) = id.as_ref().and_then(|id| best.get(id)) else {
            continue;
        };
        let row = row_at(inc, Table::Incidents, i)?;
        // The earlier of the incident's own retro date and its tickets': applying this
        // again changes nothing, whatever the order of ingestion.
        let earliest = |own: &Value, ticket: Option<i64>| match (own, ticket) {
            (Value::Ts(o), Some(t)) => Value::Ts((*o).min(t)),
            (Value::Ts(o), None) => Value::Ts(*o),
            (_, t) => Value::opt_ts(t),
        };
        let mut new = row.clone();
        new.set(
            col::RETRO_HELD_AT,
            earliest(row.get(col::RETRO_HELD_AT), *held),
        );
        new.set(
            col::RETRO_PUBLISHED_AT,
            earliest(row.get(col::RETRO_PUBLISHED_AT), *published),
        );
        if row.get(col::RETRO_URL).is_null() {
            new.set(col::RETRO_URL, url.clone());
        }
        if new != row {
            writer.put(new, "links")?;
        }
    }
    Ok(())
}

/// Chat subtypes that are posts by a person; other subtypes (joins, topic changes,
/// tombstones) are not conversation.
pub const CONVERSATION: &[&str] = &["file_share", "thread_broadcast", "me_message"];

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{BooleanChunked, Int64Chunked};

    /// Messages of two sources over three channels: people coming back, a bot, a join,
    /// a message without author, status updates.
    fn messages() -> DataFrame {
        // (source, channel, author, subtype, bot, status update)
        type Message<'a> = (
            &'a str,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            bool,
            bool,
        );
        let rows: [Message; 12] = [
            ("slack", "C1", Some("U1"), None, false, false),
            ("slack", "C1", Some("U2"), None, false, true),
            ("slack", "C1", Some("B1"), None, true, false),
            ("slack", "C1", Some("U1"), None, false, true),
            (
                "slack",
                "C2",
                Some("U3"),
                Some("channel_join"),
                false,
                false,
            ),
            ("slack", "C2", Some("U2"), None, false, false),
            ("slack", "C2", None, None, false, false),
            ("mattermost", "C2", Some("U2"), None, false, true),
            ("mattermost", "C3", Some("U4"), None, false, false),
            ("slack", "C1", Some("U4"), None, false, false),
            ("slack", "C1", Some("U1"), None, false, false),
            ("mattermost", "C3", Some("U2"), None, false, true),
        ];
        let text = |name: &str, f: &dyn Fn(usize) -> Option<String>| {
            StringChunked::from_iter_options(name.into(), (0..rows.len()).map(f)).into_column()
        };
        let flag = |name: &str, f: &dyn Fn(usize) -> bool| {
            BooleanChunked::from_iter_values(name.into(), (0..rows.len()).map(f)).into_column()
        };
        let ats = Int64Chunked::from_iter_values(
            col::AT.into(),
            (0..rows.len() as i64).map(|i| 1_000 + (i * 7) % 5),
        )
        .into_column();
        DataFrame::new(
            rows.len(),
            vec![
                text(col::SOURCE, &|i| Some(rows[i].0.into())),
                text(col::CHANNEL_ID, &|i| Some(rows[i].1.into())),
                text(col::CHANNEL_NAME, &|i| Some(format!("inc-{}", rows[i].1))),
                text(col::PERSON_ID, &|i| rows[i].2.map(str::to_string)),
                text(col::SUBTYPE, &|i| rows[i].3.map(str::to_string)),
                text(col::MESSAGE_ID, &|i| Some(format!("m{i}"))),
                ats,
                flag(col::IS_BOT, &|i| rows[i].4),
                flag(col::STATUS_UPDATE, &|i| rows[i].5),
            ],
        )
        .unwrap()
    }

    /// What a `Written` says, with names instead of numbers, in a comparable order.
    type Said = (
        Vec<[Option<String>; 3]>,
        Vec<String>,
        Vec<String>,
        Vec<([String; 3], (i64, i64, i64))>,
        Vec<(String, i64, String, Option<String>, String)>,
    );

    fn said(w: &Written) -> Said {
        let name = |n: u32| w.names.name(n).to_string();
        let mut participation: Vec<_> = w
            .participation
            .iter()
            .map(|(&(c, p, s), &v)| ([name(c), name(p), name(s)], v))
            .collect();
        participation.sort();
        (
            w.channels.distinct.clone(),
            (0..w.names.len() as u32).map(name).collect(),
            w.with_messages.iter().map(|&n| name(n)).collect(),
            participation,
            w.updates
                .iter()
                .map(|(c, at, p, id, s)| (name(*c), *at, name(*p), id.clone(), name(*s)))
                .collect(),
        )
    }

    #[test]
    fn messages_read_in_slices_say_what_they_say_read_whole() {
        let df = messages();
        let whole = Written::read(&df, true).unwrap();
        let (channels, names, with_messages, participation, updates) = said(&whole);
        // Worked out by hand (at = 1000 + 7i mod 5): U1 wrote in slack's C1 at 1000,
        // 1001 and 1000 (i = 0, 3, 10); seven (channel, person, source) entries, the bot,
        // the join and the message without author left out; four status updates.
        assert_eq!(channels.len(), 4);
        assert_eq!(names[..4], ["slack:C1", "slack", "U1", "U2"]);
        assert_eq!(with_messages.len(), 4);
        assert!(participation.contains(&(
            ["slack:C1".into(), "U1".into(), "slack".into()],
            (1000, 1001, 3)
        )));
        assert_eq!(participation.len(), 7, "{participation:?}");
        assert_eq!(updates.len(), 4);
        for cuts in [vec![1], vec![5], vec![3, 4, 9], (1..12).collect()] {
            let mut bounds = vec![0];
            bounds.extend(&cuts);
            bounds.push(df.height());
            let mut sliced = Written::default();
            for w in bounds.windows(2) {
                let slice = df.slice(w[0] as i64, w[1] - w[0]);
                sliced.append(Written::read(&slice, true).unwrap());
            }
            assert_eq!(said(&sliced), said(&whole), "cut at {cuts:?}");
            // The numbers themselves are those of one read.
            assert_eq!(sliced.updates, whole.updates, "cut at {cuts:?}");
        }
    }

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
        let n = Incidents::new([
            ("pagerduty:A", "pagerduty", Some(101), None),
            ("incidentio:B", "incidentio", Some(101), None),
            ("pagerduty:C", "pagerduty", Some(102), None),
            ("opsgenie:D", "opsgenie", Some(102), None),
        ]);
        assert_eq!(n.channel("inc-101-x"), Link::Incident("pagerduty:A".into()));
        assert_eq!(
            n.channel("inc-102"),
            Link::Ambiguous(vec!["opsgenie:D".into(), "pagerduty:C".into()])
        );
        assert_eq!(
            n.channel("inc-103"),
            Link::Dangling("no incident #103".into())
        );
        assert_eq!(n.channel("random"), Link::None);
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
        let n = Incidents::new([(
            "pagerduty:PI1",
            "pagerduty",
            Some(101),
            Some("https://acme.pagerduty.com/incidents/PI1"),
        )]);
        assert_eq!(
            n.by_url("https://acme.pagerduty.com/incidents/PI1/timeline"),
            Some(&["pagerduty:PI1".to_string()][..])
        );
        assert_eq!(n.by_url("https://acme.pagerduty.com/incidents/PI10"), None);
        assert_eq!(n.by_url("https://acme.pagerduty.com/"), None);
    }

    #[test]
    fn ticket_references_strongest_kind_first() {
        let n = Incidents::new([
            (
                "pagerduty:PI1",
                "pagerduty",
                Some(101),
                Some("https://pd.example/incidents/PI1"),
            ),
            ("pagerduty:PI2", "pagerduty", Some(102), None),
        ]);
        let none = HashMap::new();
        let url = Ref::Url("https://pd.example/incidents/PI1".into());
        // The URL outranks a label that names another incident.
        assert_eq!(
            n.ticket(&[Ref::Number(102), url.clone()], &none),
            (Link::Incident("pagerduty:PI1".into()), "ticket-url")
        );
        assert_eq!(
            n.ticket(&[Ref::Number(102)], &none),
            (Link::Incident("pagerduty:PI2".into()), "ticket-label")
        );
        assert_eq!(
            n.ticket(&[Ref::Number(101), Ref::Number(102)], &none).0,
            Link::Ambiguous(vec!["pagerduty:PI1".into(), "pagerduty:PI2".into()])
        );
        assert_eq!(
            n.ticket(&[Ref::Incident("incidentio:X".into()), url], &none)
                .0,
            Link::Dangling("incident incidentio:X is not in the store".into())
        );
        let tickets = HashMap::from([("jira:PM-1".to_string(), "pagerduty:PI2".to_string())]);
        assert_eq!(
            n.ticket(&[Ref::Ticket("jira:PM-1".into())], &tickets),
            (Link::Incident("pagerduty:PI2".into()), "ticket-link")
        );
        assert_eq!(
            n.ticket(
                &[Ref::Number(7), Ref::Url("https://x.io/doc".into())],
                &none
            )
            .0,
            Link::Dangling("nothing matches #7".into())
        );
        // A URL or ticket link that matches nothing is no claim to be a follow-up.
        assert_eq!(
            n.ticket(
                &[
                    Ref::Url("https://x.io/doc".into()),
                    Ref::Ticket("jira:X-9".into())
                ],
                &none
            )
            .0,
            Link::None
        );
        assert_eq!(n.ticket(&[], &none).0, Link::None);
        for r in [
            Ref::Number(7),
            Ref::Url("https://a/b:c".into()),
            Ref::Ticket("jira:X-1".into()),
        ] {
            assert_eq!(Ref::decode(&r.encode()), Some(r));
        }
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
