//! The tables the metrics read, loaded once: [`Data`], through Polars lazy frames that
//! project, cast and derive what the families need (the incident's anchor time, its
//! exclusion), people resolved to one identity, incidents seen by two sources counted
//! once.

use super::large::{chat_authors, pages_participants_events, Beside};
use super::*;
use crate::identity::Identities;
use crate::link::PRIMARY;
use crate::store::{strings as strs, Store};
use polars::prelude::*;
use std::collections::HashMap;

/// An incident as the metrics see it (timestamps in microseconds, UTC).
#[derive(Debug, Clone)]
pub struct Incident {
    pub id: String,
    /// The number people call it by in its source (`#131`), when it has one.
    pub number: Option<i64>,
    pub title: Option<String>,
    pub team: Option<String>,
    pub severity: Option<String>,
    /// `declared_at`, else `started_at`: what places the incident in a period.
    pub anchor: i64,
    pub started: Option<i64>,
    pub declared: Option<i64>,
    pub acknowledged: Option<i64>,
    pub mitigated: Option<i64>,
    pub resolved: Option<i64>,
    pub declared_by: Option<String>,
    pub commander: Option<String>,
    pub retro_held: Option<i64>,
    pub retro_published: Option<i64>,
    /// Drill, test, game day or maintenance window.
    pub excluded: bool,
}

impl Incident {
    /// How people name it: `#131`, else its id in its source (`PD-Q1OHF`).
    pub fn label(&self) -> String {
        match self.number {
            Some(n) => format!("#{n}"),
            None => self
                .id
                .split_once(':')
                .map_or(self.id.as_str(), |(_, id)| id)
                .to_string(),
        }
    }

    /// The severity key: `SEV1`…`SEV5` or `unknown`.
    pub fn severity_key(&self) -> &str {
        self.severity.as_deref().unwrap_or("unknown")
    }

    /// `started_at`, else the anchor: where a duration from the start begins.
    pub fn start(&self) -> i64 {
        self.started.unwrap_or(self.anchor)
    }

    /// Takes another record of the same incident's values where this one has none; of
    /// two retro dates, the earlier. Excluded when either is.
    fn fill_from(&mut self, o: &Incident) {
        let fill = |a: &mut Option<String>, b: &Option<String>| {
            if a.is_none() {
                a.clone_from(b);
            }
        };
        fill(&mut self.title, &o.title);
        fill(&mut self.team, &o.team);
        fill(&mut self.severity, &o.severity);
        fill(&mut self.declared_by, &o.declared_by);
        fill(&mut self.commander, &o.commander);
        for (a, b) in [
            (&mut self.started, o.started),
            (&mut self.declared, o.declared),
            (&mut self.acknowledged, o.acknowledged),
            (&mut self.mitigated, o.mitigated),
            (&mut self.resolved, o.resolved),
        ] {
            *a = a.or(b);
        }
        for (a, b) in [
            (&mut self.retro_held, o.retro_held),
            (&mut self.retro_published, o.retro_published),
        ] {
            *a = match (*a, b) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
        }
        self.excluded |= o.excluded;
    }
}

#[derive(Debug, Clone)]
pub struct Page {
    pub incident: Name,
    pub person: Option<Name>,
    pub sent: Option<i64>,
    pub acknowledged: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Participant {
    pub incident: Name,
    pub person: Name,
    pub role: Name,
    /// When the role began and ended, where the source says.
    pub first: Option<i64>,
    pub last: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub incident: Name,
    pub at: i64,
    pub kind: Name,
    /// Who acted (or was paged, for `paged` and `escalated`).
    pub person: Option<Name>,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub title: Option<String>,
    pub due: Option<i64>,
    pub incident: Option<String>,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub created: Option<i64>,
    pub completed: Option<i64>,
    pub status: String,
    pub updated: Option<i64>,
}

/// Someone's chat messages in an incident's channel (one per incident and author, or a
/// few when the incident's messages lie in several channels; never one per message).
#[derive(Debug, Clone)]
pub struct Message {
    pub incident: Option<Name>,
    pub person: Option<Name>,
    /// Whether any of these messages is a post by a person, not a bot (not a join, a
    /// topic change, a tombstone).
    pub responded: bool,
    /// When each of those posts by a person was written, in the order read.
    pub posts: Vec<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct Person {
    pub display_name: Option<String>,
    pub team: Option<String>,
    pub function: Option<String>,
    pub timezone: Option<String>,
}

/// An alert: when, its deduplication key, and whether it opened or joined an incident.
#[derive(Debug, Clone)]
pub struct Alert {
    pub at: i64,
    pub key: Option<String>,
    pub incident: Option<String>,
}

/// An on-call entry: who, from when to when (none: without a bound).
#[derive(Debug, Clone)]
pub struct OnCallEntry {
    pub person: String,
    pub start: Option<i64>,
    pub end: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct ServiceInfo {
    pub team: Option<String>,
    pub product_area: Option<String>,
}

/// The store's tables, loaded once for every family.
pub struct Data {
    pub incidents: Vec<Incident>,
    pub incident_services: Vec<(String, String)>,
    /// Incident tags a source gave (incident, tag, value); the tool's own aside.
    pub tags: Vec<(String, String, String)>,
    pub pages: Vec<Page>,
    pub participants: Vec<Participant>,
    pub events: Vec<Event>,
    pub items: Vec<Item>,
    pub messages: Vec<Message>,
    pub people: HashMap<String, Person>,
    pub services: HashMap<String, ServiceInfo>,
    pub on_call: Vec<OnCallEntry>,
    pub alerts: Vec<Alert>,
    /// Sorted by time, then id.
    pub deployments: Vec<super::changes::Deployment>,
    /// (incident, deployment) a source says caused it: a deployment's own `incident_id`
    /// and the links of `incident_changes`, as one sorted list.
    pub change_links: super::changes::Links,
    /// Workload's input, gathered on first use, once for every period computed.
    pub activity: std::sync::OnceLock<super::workload::Activities>,
    pub runs: DataFrame,
    /// The latest timestamp of any data table (due dates aside): the default `as_of`
    /// when it is earlier than the period's end.
    pub latest: Option<i64>,
    /// Chat channels and tickets whose references link ambiguously, or to nothing, as
    /// the last ingest's linking found them; none for a store written before ingest kept
    /// them (metrics never link: the next ingest does).
    pub link_issues: Option<(usize, usize)>,
    /// Links joining two incidents in a store linked before linking chose primary
    /// incidents: their incidents are counted apart until the next ingest merges them.
    pub unmerged: usize,
    /// Incidents' documented fallbacks: (incident id, what the fallback set).
    pub fallbacks: Vec<(String, String)>,
    /// Input records still waiting for an incident no ingest has brought.
    pub pending: usize,
}

/// A timestamp column as Int64 microseconds, for extraction.
fn ts(name: &str) -> Expr {
    col(name).cast(DataType::Int64)
}

/// An integer or timestamp column's values (timestamps as microseconds).
pub(super) fn ints(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    Ok(df
        .column(name)?
        .cast(&DataType::Int64)?
        .i64()?
        .iter()
        .collect())
}

fn bools(df: &DataFrame, name: &str) -> Result<Vec<Option<bool>>> {
    Ok(df.column(name)?.bool()?.iter().collect())
}

impl Data {
    pub fn load(store: &Store) -> Result<Data> {
        // Millions of chat messages are read on a thread of their own, beside the rest.
        // So are pages, participants and events, a row group at a time.
        std::thread::scope(|scope| {
            let chat = scope.spawn(|| beside("chat authors", || chat_authors(store)));
            let tables = scope.spawn(|| {
                beside("pages, participants, events", || {
                    pages_participants_events(store)
                })
            });
            let latest = scope.spawn(|| beside("latest timestamp", || latest_timestamp(store)));
            Data::load_beside(
                store,
                Beside {
                    chat,
                    tables,
                    latest,
                },
            )
        })
    }

    fn load_beside(store: &Store, beside: Beside<'_>) -> Result<Data> {
        let Beside {
            chat,
            tables,
            latest,
        } = beside;
        // The tables read whole are the small ones read whole below; incidents and action
        // items are scanned for the columns asked of them, the large tables (messages by
        // the million, pages, participants, events) are read beside, a row group at a
        // time.
        let whole = [
            Table::IncidentServices,
            Table::IncidentTags,
            Table::IncidentLinks,
            Table::LinkIssues,
            Table::People,
            Table::Services,
            Table::OnCall,
            Table::Alerts,
            Table::Deployments,
            Table::DeploymentStatuses,
            Table::IncidentChanges,
            Table::IngestRuns,
        ];
        let frames: HashMap<Table, DataFrame> = whole
            .into_iter()
            .map(|t| Ok((t, store.read(t)?)))
            .collect::<Result<_>>()?;
        crate::timing::lap("load: small tables");
        let frame = |t: Table| -> &DataFrame { &frames[&t] };

        let incidents = read_incidents(store)?;
        crate::timing::lap("load: incidents");

        let incident_services = pairs(frame(Table::IncidentServices), col::SERVICE)?;

        let items = read_action_items(store)?;
        crate::timing::lap("load: action items");
        let (pages, participants, events) =
            tables.join().expect("the table reader does not panic")?;
        crate::timing::lap("load: waiting for pages, participants, events");

        let messages = chat.join().expect("the chat reader does not panic")?;
        crate::timing::lap("load: waiting for chat authors");
        let link_issues = if store.table_path(Table::LinkIssues).exists() {
            let problems = strs(frame(Table::LinkIssues), col::PROBLEM)?;
            let count = |p: &str| problems.iter().filter(|v| v.as_deref() == Some(p)).count();
            Some((count("ambiguous"), count("dangling")))
        } else {
            None
        };
        crate::timing::lap("load: link check");

        let (people, aliases) = read_people(frame(Table::People))?;
        let ids = Identities::new(aliases.iter().map(|(p, a)| (p.as_str(), a.as_slice())));
        let (deployments, change_links) = super::changes::read_deployments(
            frame(Table::Deployments),
            frame(Table::DeploymentStatuses),
            frame(Table::IncidentChanges),
        )?;
        let mut data = Data {
            incidents,
            incident_services,
            tags: read_tags(frame(Table::IncidentTags), store)?,
            pages,
            participants,
            events,
            items,
            messages,
            people,
            services: HashMap::new(),
            on_call: read_on_call(frame(Table::OnCall))?,
            alerts: read_alerts(frame(Table::Alerts))?,
            deployments,
            change_links,
            activity: std::sync::OnceLock::new(),
            runs: frame(Table::IngestRuns).clone(),
            latest: latest
                .join()
                .expect("the timestamp reader does not panic")?,
            link_issues,
            unmerged: 0,
            fallbacks: crate::fallback::tags_of(frame(Table::IncidentTags))?,
            pending: store.rows(Table::Pending)?,
        };
        crate::timing::lap("load: people; waiting for the latest timestamp");
        data.collapse(frame(Table::IncidentLinks))?;
        crate::timing::lap("load: collapse");
        data.resolve_people(&ids);
        crate::timing::lap("load: identities");
        data.items_take_owners_teams();

        data.services = read_services(frame(Table::Services))?;
        Ok(data)
    }

    /// An action item without a team of its own (a ticket with no component) belongs to
    /// its owner's team.
    fn items_take_owners_teams(&mut self) {
        for item in &mut self.items {
            if item.team.is_none() {
                item.team = item
                    .owner
                    .as_ref()
                    .and_then(|o| self.people.get(o))
                    .and_then(|p| p.team.clone());
            }
        }
    }

    /// Merges incidents that linking found to be one incident seen in several sources:
    /// each `incident_links` row of rule [`PRIMARY`] names a member and the incident that
    /// stands for its group (linking chose it, by the sources' roles). The primary's row
    /// keeps its values and takes the others' (in id order) where it has none (the
    /// earliest for retro dates), and every row that named another of them names the
    /// primary now.
    ///
    /// A store linked before linking chose primaries has incident pairs but no such row:
    /// nothing is merged here (metrics never link), and data quality says to ingest again.
    /// Each incident's services, in name order.
    pub fn services_by_incident(&self) -> HashMap<&str, Vec<&str>> {
        let mut of: HashMap<&str, Vec<&str>> = HashMap::new();
        for (i, s) in &self.incident_services {
            of.entry(i.as_str()).or_default().push(s.as_str());
        }
        for services in of.values_mut() {
            services.sort_unstable();
            services.dedup();
        }
        of
    }

    fn collapse(&mut self, links: &DataFrame) -> Result<()> {
        let known: HashMap<String, usize> = self
            .incidents
            .iter()
            .enumerate()
            .map(|(i, inc)| (inc.id.clone(), i))
            .collect();
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut pairs = 0;
        for ((a, b), rule) in strs(links, col::INCIDENT_ID)?
            .into_iter()
            .zip(strs(links, col::LINKED_ID)?)
            .zip(strs(links, col::RULE)?)
        {
            let (Some(&a), Some(&b)) = (
                a.as_ref().and_then(|a| known.get(a)),
                b.as_ref().and_then(|b| known.get(b)),
            ) else {
                continue;
            };
            if rule.as_deref() == Some(PRIMARY) {
                groups.entry(b).or_default().push(a);
            } else {
                pairs += 1;
            }
        }
        if groups.is_empty() {
            self.unmerged = pairs;
            return Ok(());
        }
        let mut renamed: HashMap<String, String> = HashMap::new();
        let mut drop = vec![false; self.incidents.len()];
        for (primary, mut others) in groups {
            others.sort_by(|&x, &y| self.incidents[x].id.cmp(&self.incidents[y].id));
            let mut merged = self.incidents[primary].clone();
            for i in others {
                let o = &self.incidents[i];
                merged.fill_from(o);
                renamed.insert(o.id.clone(), merged.id.clone());
                drop[i] = true;
            }
            merged.anchor = merged.declared.or(merged.started).unwrap_or(merged.anchor);
            self.incidents[primary] = merged;
        }
        let mut i = 0;
        self.incidents.retain(|_| {
            i += 1;
            !drop[i - 1]
        });
        self.rename_incidents(&renamed);
        Ok(())
    }

    /// Every reference to a merged incident names its primary instead.
    fn rename_incidents(&mut self, renamed: &HashMap<String, String>) {
        let rename = |id: &mut String| {
            if let Some(p) = renamed.get(id.as_str()) {
                id.clone_from(p);
            }
        };
        self.incident_services
            .iter_mut()
            .for_each(|(i, _)| rename(i));
        self.incident_services.sort();
        self.incident_services.dedup();
        self.tags.iter_mut().for_each(|(i, _, _)| rename(i));
        self.change_links.iter_mut().for_each(|(i, _)| rename(i));
        self.change_links.sort();
        self.change_links.dedup();
        let optional = self
            .items
            .iter_mut()
            .map(|x| &mut x.incident)
            .chain(self.alerts.iter_mut().map(|a| &mut a.incident));
        optional.flatten().for_each(rename);
        let renamed: hashbrown::HashMap<&str, Name> = renamed
            .iter()
            .map(|(from, to)| (from.as_str(), Name::from(to.as_str())))
            .collect();
        let rename = |id: &mut Name| {
            if let Some(p) = renamed.get(id.as_str()) {
                id.clone_from(p);
            }
        };
        self.pages.iter_mut().for_each(|p| rename(&mut p.incident));
        self.participants
            .iter_mut()
            .for_each(|p| rename(&mut p.incident));
        self.events.iter_mut().for_each(|e| rename(&mut e.incident));
        for m in &mut self.messages {
            if let Some(i) = &mut m.incident {
                rename(i);
            }
        }
    }

    /// Replaces every person reference by the person it names, so that one person seen
    /// in several sources counts once.
    fn resolve_people(&mut self, ids: &Identities) {
        self.map_people(&|r| ids.resolve(r));
    }

    /// Replaces every person reference of the loaded data (declarers, commanders,
    /// pages, participants, owners, chat authors) by `f` of it.
    pub fn map_people(&mut self, f: &dyn Fn(&str) -> String) {
        let fix = |p: &mut Option<String>| {
            if let Some(r) = p {
                *r = f(r);
            }
        };
        for i in &mut self.incidents {
            fix(&mut i.declared_by);
            fix(&mut i.commander);
        }
        self.items.iter_mut().for_each(|i| fix(&mut i.owner));
        self.on_call
            .iter_mut()
            .for_each(|o| o.person = f(&o.person));
        // The large tables share few names: `f` once per distinct name.
        let mut done: hashbrown::HashMap<Name, Name> = Default::default();
        let mut map = |n: &mut Name| {
            let to = done.entry(n.clone()).or_insert_with(|| Name::from(f(n)));
            n.clone_from(to);
        };
        for p in &mut self.pages {
            p.person.as_mut().map(&mut map);
        }
        self.participants
            .iter_mut()
            .for_each(|p| map(&mut p.person));
        for e in &mut self.events {
            e.person.as_mut().map(&mut map);
        }
        for m in &mut self.messages {
            m.person.as_mut().map(&mut map);
        }
    }
}

/// Runs one part of the load on a thread of its own, timed alone.
fn beside<T>(part: &str, f: impl FnOnce() -> T) -> T {
    crate::timing::alone(&format!("load (beside): {part}"), f)
}

/// The latest value of any timestamp column of the data tables, due dates and on-call
/// schedules excepted (plans, not something that happened).
pub fn latest_timestamp(store: &Store) -> Result<Option<i64>> {
    let mut latest: Option<i64> = None;
    for t in Table::ALL
        .into_iter()
        .filter(|t| t.is_data() && *t != Table::OnCall)
    {
        let columns = t
            .columns()
            .iter()
            .filter(|c| c.kind == crate::schema::Kind::Timestamp && c.name != col::DUE_AT);
        for c in columns {
            // The footer's statistics answer without reading the column (millions of
            // message times); a file without them is read.
            let max = match store.column_max(t, c.name)? {
                Some(max) => max,
                None => store
                    .scan(t)?
                    .select([ts(c.name).max()])
                    .collect()?
                    .column(c.name)?
                    .i64()?
                    .get(0),
            };
            if let Some(v) = max {
                latest = Some(latest.map_or(v, |l| l.max(v)));
            }
        }
    }
    Ok(latest)
}

/// Each incident's tags: its own (the tool's `incidentlens:` ones aside) and those of
/// the postmortem tickets linking found for it (`retro_tags`), sorted, once each.
fn read_tags(df: &DataFrame, store: &Store) -> Result<Vec<(String, String, String)>> {
    let mut tags: Vec<(String, String, String)> = strs(df, col::INCIDENT_ID)?
        .into_iter()
        .zip(strs(df, col::TAG)?)
        .zip(strs(df, col::VALUE)?)
        .filter_map(|((i, t), v)| Some((i?, t?, v?)))
        .filter(|(_, t, _)| !t.starts_with("incidentlens:"))
        .collect();
    tags.extend(super::themes::retro_tags(store)?);
    tags.sort();
    tags.dedup();
    Ok(tags)
}

fn pairs(df: &DataFrame, column: &str) -> Result<Vec<(String, String)>> {
    Ok(strs(df, col::INCIDENT_ID)?
        .into_iter()
        .zip(strs(df, column)?)
        .filter_map(|(i, v)| Some((i?, v?)))
        .collect())
}

/// People by id, and each person's aliases (for resolving who is who).
type People = (HashMap<String, Person>, Vec<(String, Vec<String>)>);

fn read_people(df: &DataFrame) -> Result<People> {
    let people = strs(df, col::PERSON_ID)?
        .into_iter()
        .zip(strs(df, col::DISPLAY_NAME)?)
        .zip(strs(df, col::TEAM)?)
        .zip(strs(df, col::FUNCTION)?)
        .zip(strs(df, col::TIMEZONE)?)
        .filter_map(|((((p, display_name), team), function), timezone)| {
            let person = Person {
                display_name,
                team,
                function,
                timezone,
            };
            Some((p?, person))
        })
        .collect();
    let aliases = strs(df, col::PERSON_ID)?
        .into_iter()
        .zip(strs(df, col::ALIASES)?)
        .filter_map(|(p, a)| Some((p?, crate::record::split_list(&a.unwrap_or_default()))))
        .collect();
    Ok((people, aliases))
}

/// The alerts with a time.
fn read_alerts(df: &DataFrame) -> Result<Vec<Alert>> {
    let (at, keys, incidents) = (
        ints(df, col::CREATED_AT)?,
        strs(df, col::ALERT_KEY)?,
        strs(df, col::INCIDENT_ID)?,
    );
    Ok(at
        .into_iter()
        .zip(keys.into_iter().zip(incidents))
        .filter_map(|(at, (key, incident))| {
            Some(Alert {
                at: at?,
                key,
                incident,
            })
        })
        .collect())
}

/// The on-call entries that name a person.
fn read_on_call(df: &DataFrame) -> Result<Vec<OnCallEntry>> {
    let people = strs(df, col::PERSON_ID)?;
    let (start, end) = (ints(df, col::STARTED_AT)?, ints(df, col::ENDED_AT)?);
    Ok(people
        .into_iter()
        .zip(start.into_iter().zip(end))
        .filter_map(|(person, (start, end))| {
            Some(OnCallEntry {
                person: person?,
                start,
                end,
            })
        })
        .collect())
}

/// The service catalog: each service's team and product area.
fn read_services(df: &DataFrame) -> Result<HashMap<String, ServiceInfo>> {
    Ok(strs(df, col::SERVICE)?
        .into_iter()
        .zip(strs(df, col::TEAM)?)
        .zip(strs(df, col::PRODUCT_AREA)?)
        .filter_map(|((s, team), product_area)| Some((s?, ServiceInfo { team, product_area })))
        .collect())
}

/// The incidents with an anchor (declared, else started), the columns the metrics use.
fn read_incidents(store: &Store) -> Result<Vec<Incident>> {
    let inc = store
        .scan(Table::Incidents)?
        .select([
            col(col::INCIDENT_ID),
            col(col::NUMBER),
            col(col::TITLE),
            col(col::TEAM),
            col(col::SEVERITY),
            coalesce(&[ts(col::DECLARED_AT), ts(col::STARTED_AT)]).alias("anchor"),
            ts(col::STARTED_AT),
            ts(col::DECLARED_AT),
            ts(col::ACKNOWLEDGED_AT),
            ts(col::MITIGATED_AT),
            ts(col::RESOLVED_AT),
            col(col::DECLARED_BY),
            col(col::COMMANDER),
            ts(col::RETRO_HELD_AT),
            ts(col::RETRO_PUBLISHED_AT),
            col(col::IS_DRILL)
                .fill_null(lit(false))
                .or(col(col::IS_MAINTENANCE).fill_null(lit(false)))
                .alias("excluded"),
        ])
        .filter(col("anchor").is_not_null())
        .collect()?;
    let mut ids = strs(&inc, col::INCIDENT_ID)?;
    let numbers = ints(&inc, col::NUMBER)?;
    let mut titles = strs(&inc, col::TITLE)?;
    let mut teams = strs(&inc, col::TEAM)?;
    let mut sev = strs(&inc, col::SEVERITY)?;
    let anchor = ints(&inc, "anchor")?;
    let started = ints(&inc, col::STARTED_AT)?;
    let declared = ints(&inc, col::DECLARED_AT)?;
    let acked = ints(&inc, col::ACKNOWLEDGED_AT)?;
    let mitigated = ints(&inc, col::MITIGATED_AT)?;
    let resolved = ints(&inc, col::RESOLVED_AT)?;
    let mut declared_by = strs(&inc, col::DECLARED_BY)?;
    let mut commander = strs(&inc, col::COMMANDER)?;
    let held = ints(&inc, col::RETRO_HELD_AT)?;
    let published = ints(&inc, col::RETRO_PUBLISHED_AT)?;
    let excluded = bools(&inc, "excluded")?;
    Ok((0..inc.height())
        .map(|i| Incident {
            id: ids[i].take().unwrap_or_default(),
            number: numbers[i],
            title: titles[i].take(),
            team: teams[i].take(),
            severity: sev[i].take(),
            anchor: anchor[i].expect("filtered"),
            started: started[i],
            declared: declared[i],
            acknowledged: acked[i],
            mitigated: mitigated[i],
            resolved: resolved[i],
            declared_by: declared_by[i].take(),
            commander: commander[i].take(),
            retro_held: held[i],
            retro_published: published[i],
            excluded: excluded[i].unwrap_or(false),
        })
        .collect())
}

/// The action items, the columns the metrics use.
fn read_action_items(store: &Store) -> Result<Vec<Item>> {
    let df = store
        .scan(Table::ActionItems)?
        .select([
            col(col::ITEM_ID),
            col(col::TITLE),
            ts(col::DUE_AT),
            col(col::INCIDENT_ID),
            col(col::OWNER),
            col(col::TEAM),
            ts(col::CREATED_AT),
            ts(col::COMPLETED_AT),
            col(col::STATUS),
            ts(col::UPDATED_AT),
        ])
        .collect()?;
    let (mut ii, mut io, mut it, ic, id, mut is, iu) = (
        strs(&df, col::INCIDENT_ID)?,
        strs(&df, col::OWNER)?,
        strs(&df, col::TEAM)?,
        ints(&df, col::CREATED_AT)?,
        ints(&df, col::COMPLETED_AT)?,
        strs(&df, col::STATUS)?,
        ints(&df, col::UPDATED_AT)?,
    );
    let (mut item_ids, mut item_titles, dues) = (
        strs(&df, col::ITEM_ID)?,
        strs(&df, col::TITLE)?,
        ints(&df, col::DUE_AT)?,
    );
    Ok((0..df.height())
        .map(|i| Item {
            id: item_ids[i].take().unwrap_or_default(),
            title: item_titles[i].take(),
            due: dues[i],
            incident: ii[i].take(),
            owner: io[i].take(),
            team: it[i].take(),
            created: ic[i],
            completed: id[i],
            status: is[i].take().unwrap_or_else(|| "open".into()),
            updated: iu[i],
        })
        .collect())
}
