//! PagerDuty log entries: the rows each entry makes, for entries embedded in their
//! incident and for separate exports (the account-wide `/log_entries`, or one file per
//! incident).
//!
//! One entry's rows need a little of its incident's other entries: a page is
//! acknowledged at its person's first acknowledgement after it, a page names its
//! incident's service, a person takes part once per incident (first to last activity),
//! and a notify or assign entry that names its person only in a sentence needs the ids
//! the export shows anywhere. A separate export is therefore read twice: the first
//! reading keeps only that ([`Separate`]: acknowledgements, services, participations,
//! names; never an entry), the second turns every entry into its record on every core
//! and hands it on at once. Memory holds a few small values per incident, not the
//! entries.

use super::*;
use std::borrow::Cow;

/// What a set of log entries says about their incident. Each row is tagged with the id
/// of the entry it came from.
#[derive(Default)]
pub(super) struct Timeline {
    pub(super) rows: Vec<(String, Row)>,
    pub(super) resolved: Option<i64>,
    pub(super) first_ack: Option<i64>,
    pub(super) declared_by: Option<String>,
}

/// The log entries embedded in an incident: their rows, in order.
pub(super) fn timeline(
    incident_id: &str,
    service: Option<&str>,
    urgency: Option<&str>,
    entries: &[&Json],
    name: &dyn Fn(&str) -> String,
) -> Result<Timeline, Rejection> {
    let mut tl = Timeline::default();
    let mut parsed = Vec::new();
    for e in entries {
        parsed.push((*e, time_of(*e)?));
    }
    let acks: Vec<(String, i64)> = parsed.iter().filter_map(|(e, at)| ack(*e, *at)).collect();
    for (e, at) in parsed {
        let agent = e.agent();
        match e.kind().unwrap_or("") {
            "trigger_log_entry" => tl.declared_by = tl.declared_by.take().or(agent),
            "acknowledge_log_entry" => tl.first_ack = Some(tl.first_ack.map_or(at, |x| x.min(at))),
            "resolve_log_entry" => tl.resolved = Some(tl.resolved.map_or(at, |x| x.max(at))),
            _ => {}
        }
        let id = e.id().unwrap_or("");
        for row in entry_rows(incident_id, service, urgency, e, at, &acks, name) {
            tl.rows.push((id.to_string(), row));
        }
    }
    Ok(tl)
}

/// The fields of a log entry that more than its own rows need, read from its JSON tree
/// or straight from its bytes ([`RawEntry`]): one reading of each for both.
pub(super) trait Fields {
    /// Text fields as `Get::str_at` reads them: absent when empty.
    fn kind(&self) -> Option<&str>;
    fn id(&self) -> Option<&str>;
    fn created_at(&self) -> Option<&str>;
    fn summary(&self) -> Option<&str>;
    fn incident(&self) -> Option<&str>;
    fn service(&self) -> Option<&str>;
    /// The agent, when a user (as [`user`] reads a reference).
    fn agent(&self) -> Option<String>;
    /// The user notified or escalated to, when a user.
    fn user(&self) -> Option<String>;
    /// How a notification was sent (`channel.notification.type`).
    fn notification(&self) -> Option<&str>;
    /// The assignees that are users.
    fn assignee_ids(&self) -> Vec<String>;
    /// Every user reference shown: name → id (as [`Names::learn`] takes them).
    fn names(&self) -> Vec<(String, String)>;
}

impl Fields for Json {
    fn kind(&self) -> Option<&str> {
        self.str_at("type")
    }
    fn id(&self) -> Option<&str> {
        self.str_at("id")
    }
    fn created_at(&self) -> Option<&str> {
        self.str_at("created_at")
    }
    fn summary(&self) -> Option<&str> {
        self.str_at("summary")
    }
    fn incident(&self) -> Option<&str> {
        self.str_at("incident.id")
    }
    fn service(&self) -> Option<&str> {
        self.str_at("service.summary")
    }
    fn agent(&self) -> Option<String> {
        user(self.get("agent"))
    }
    fn user(&self) -> Option<String> {
        user(self.get("user"))
    }
    fn notification(&self) -> Option<&str> {
        self.str_at("channel.notification.type")
    }
    fn assignee_ids(&self) -> Vec<String> {
        self.array_at("assignees")
            .iter()
            .filter_map(|a| user(Some(a)))
            .collect()
    }
    fn names(&self) -> Vec<(String, String)> {
        let mut learned = Names::default();
        learned.learn(self);
        learned.ids.into_iter().collect()
    }
}

/// The entry's time, or why it has none (a created_at that is not text reads as none,
/// as `Get::ts_at` reads it).
fn time_of(e: &impl Fields) -> Result<i64, Rejection> {
    match e.created_at() {
        Some(s) => crate::time::parse_timestamp(s, None)
            .map_err(|err| Rejection::invalid(format!("created_at: {err}"))),
        None => Err(Rejection::missing("a log entry without 'created_at'")),
    }
}

/// An acknowledgement by a person: who, when.
fn ack(e: &impl Fields, at: i64) -> Option<(String, i64)> {
    (e.kind() == Some("acknowledge_log_entry"))
        .then(|| e.agent())
        .flatten()
        .map(|p| (p, at))
}

/// The people an assign entry names: its assignees, else the name in its sentence.
fn assignees(e: &impl Fields) -> Vec<Who> {
    let ids = e.assignee_ids();
    if !ids.is_empty() {
        return ids.into_iter().map(Who::Id).collect();
    }
    sentence(e.summary().unwrap_or(""), "Assigned to ")
        .map(|(n, _)| Who::Name(n.to_string()))
        .into_iter()
        .collect()
}

/// A person as an entry names them: by id, or by name only.
#[derive(Clone, Debug, PartialEq)]
enum Who {
    Id(String),
    Name(String),
}

impl Who {
    fn person(&self, name: &dyn Fn(&str) -> String) -> String {
        match self {
            Who::Id(id) => id.clone(),
            Who::Name(n) => name(n),
        }
    }
}

/// One log entry's rows: the participants it makes (acknowledge, assign) or its page
/// (notify: acknowledged at its person's first acknowledgement among `acks` at or after
/// it), then its event.
fn entry_rows(
    incident_id: &str,
    service: Option<&str>,
    urgency: Option<&str>,
    e: &impl Fields,
    at: i64,
    acks: &[(String, i64)],
    name: &dyn Fn(&str) -> String,
) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let kind = e.kind().unwrap_or("");
    let entry_id = e.id().unwrap_or("");
    let agent = e.agent();
    let summary = e.summary().unwrap_or("");
    let (canonical, person) = match kind {
        "trigger_log_entry" => ("declared", agent),
        "acknowledge_log_entry" => {
            if let Some(p) = &agent {
                rows.push(participant(incident_id, p, Some(at), Some(at)));
            }
            ("acknowledged", agent)
        }
        "notify_log_entry" => {
            let (person, channel) = match (e.user(), e.notification()) {
                (Some(p), Some(c)) => (Some(p), Some(c.to_string())),
                (p, c) => {
                    let said = sentence(summary, "Notified ");
                    (
                        p.or_else(|| said.map(|(n, _)| name(n))),
                        c.map(str::to_string)
                            .or_else(|| said.map(|(_, t)| t.to_string())),
                    )
                }
            };
            let channel = channel.as_deref().and_then(normalize::page_channel);
            let acked = person.as_ref().and_then(|p| {
                acks.iter()
                    .filter(|(q, t)| q == p && *t >= at)
                    .map(|(_, t)| *t)
                    .min()
            });
            rows.push(
                Row::of(tables::Pages)
                    .with(
                        cell::PAGE_ID,
                        Value::text(if entry_id.is_empty() {
                            format_compact!(
                                "{SOURCE}:{incident_id}:{at}:{}:{}",
                                person.as_deref().unwrap_or(""),
                                channel.unwrap_or("")
                            )
                        } else {
                            format_compact!("{SOURCE}:{entry_id}")
                        }),
                    )
                    .with(cell::INCIDENT_ID, Value::text(incident_id))
                    .with(cell::SERVICE, Value::opt_text(service))
                    .with(cell::PERSON_ID, Value::opt_text(person.as_deref()))
                    .with(cell::SENT_AT, Value::Ts(at))
                    .with(cell::ACKNOWLEDGED_AT, Value::opt_ts(acked))
                    .with(cell::CHANNEL, Value::opt_text(channel))
                    .with(cell::URGENCY, Value::opt_text(urgency))
                    .with(cell::SOURCE, Value::text(SOURCE))
                    .into(),
            );
            ("paged", person)
        }
        "escalate_log_entry" => {
            let target = e
                .user()
                .or_else(|| sentence(summary, "Escalated to ").map(|(n, _)| name(n)));
            ("escalated", target)
        }
        "assign_log_entry" => {
            let people: Vec<String> = assignees(e).iter().map(|w| w.person(name)).collect();
            for a in &people {
                rows.push(participant(incident_id, a, Some(at), Some(at)));
            }
            ("note", people.into_iter().next())
        }
        "resolve_log_entry" => ("resolved", agent),
        _ => ("note", agent),
    };
    let id = Some(entry_id).filter(|i| !i.is_empty());
    rows.push(
        super::super::event_row(incident_id, id, at, canonical, SOURCE)
            .with(cell::PERSON_ID, Value::opt_text(person))
            .with(
                cell::DETAIL,
                Value::text(format_compact!("{kind} {entry_id}")),
            )
            .into(),
    );
    rows
}

/// What the first reading of one separate log entry keeps (worked out on any core).
#[derive(Debug, PartialEq)]
pub(super) struct Glance {
    path: String,
    incident: Option<String>,
    service: Option<String>,
    /// The entry's time, or why it has none.
    at: Result<i64, Rejection>,
    ack: Option<(String, i64)>,
    /// The people it makes participants (acknowledge, assign).
    takes_part: Vec<Who>,
    /// The user references it shows: name → id.
    names: Vec<(String, String)>,
}

impl Glance {
    pub(super) fn of(path: String, e: &impl Fields) -> Glance {
        let at = time_of(e);
        let ack = at.as_ref().ok().and_then(|at| ack(e, *at));
        let mut takes_part: Vec<Who> = ack.iter().map(|(p, _)| Who::Id(p.clone())).collect();
        if e.kind() == Some("assign_log_entry") {
            takes_part.extend(assignees(e));
        }
        Glance {
            path,
            incident: e.incident().map(|id| format!("{SOURCE}:{id}")),
            service: e.service().map(str::to_string),
            at,
            ack,
            takes_part,
            names: e.names(),
        }
    }

    /// [`Glance::of`] without building the entry's JSON tree, when every user
    /// reference the entry holds is one of the fields read here; `None` otherwise (the
    /// entry is then parsed whole).
    pub(super) fn from_bytes(path: &str, bytes: &[u8]) -> Option<Glance> {
        let e: RawEntry = serde_json::from_slice(bytes).ok()?;
        let shown = e
            .refs()
            .filter(|r| r.kind.as_deref() == Some("user_reference"))
            .count();
        if memchr::memmem::find_iter(bytes, b"\"user_reference\"").count() != shown {
            return None;
        }
        Some(Glance::of(path.to_string(), &e))
    }
}

/// A log entry's fields the first reading needs, read straight from its bytes.
#[derive(serde::Deserialize)]
struct RawEntry<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    created_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    summary: Option<Cow<'a, str>>,
    #[serde(borrow)]
    agent: Option<RawRef<'a>>,
    #[serde(borrow)]
    user: Option<RawRef<'a>>,
    #[serde(borrow, default)]
    assignees: Vec<RawRef<'a>>,
    #[serde(borrow)]
    incident: Option<RawRef<'a>>,
    #[serde(borrow)]
    service: Option<RawRef<'a>>,
    #[serde(borrow)]
    channel: Option<RawChannel<'a>>,
}

/// A notification's channel: `{"type", "notification": {"type", …}, …}`.
#[derive(serde::Deserialize)]
struct RawChannel<'a> {
    #[serde(borrow)]
    notification: Option<RawNotification<'a>>,
}

#[derive(serde::Deserialize)]
struct RawNotification<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
}

/// A reference: `{"id", "type", "summary"}`.
#[derive(serde::Deserialize)]
struct RawRef<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    summary: Option<Cow<'a, str>>,
}

/// A text field as `Get::str_at` reads it: absent when empty.
fn some<'a>(s: &'a Option<Cow<'_, str>>) -> Option<&'a str> {
    s.as_deref().filter(|s| !s.is_empty())
}

impl RawRef<'_> {
    /// As [`user`] reads a reference.
    fn user(&self) -> Option<String> {
        let kind = some(&self.kind).unwrap_or("user_reference");
        let id = some(&self.id)?;
        (kind == "user_reference" || kind == "user").then(|| format!("{SOURCE}:{id}"))
    }
}

impl RawEntry<'_> {
    /// The references that may be users: agent, user, assignees.
    fn refs(&self) -> impl Iterator<Item = &RawRef<'_>> {
        self.agent.iter().chain(&self.user).chain(&self.assignees)
    }
}

impl Fields for RawEntry<'_> {
    fn kind(&self) -> Option<&str> {
        some(&self.kind)
    }
    fn id(&self) -> Option<&str> {
        some(&self.id)
    }
    fn created_at(&self) -> Option<&str> {
        some(&self.created_at)
    }
    fn summary(&self) -> Option<&str> {
        some(&self.summary)
    }
    fn incident(&self) -> Option<&str> {
        self.incident.as_ref().and_then(|i| some(&i.id))
    }
    fn service(&self) -> Option<&str> {
        self.service.as_ref().and_then(|s| some(&s.summary))
    }
    fn agent(&self) -> Option<String> {
        self.agent.as_ref().and_then(RawRef::user)
    }
    fn user(&self) -> Option<String> {
        self.user.as_ref().and_then(RawRef::user)
    }
    fn notification(&self) -> Option<&str> {
        let channel = self.channel.as_ref()?;
        some(&channel.notification.as_ref()?.kind)
    }
    fn assignee_ids(&self) -> Vec<String> {
        self.assignees.iter().filter_map(RawRef::user).collect()
    }
    fn names(&self) -> Vec<(String, String)> {
        self.refs()
            .filter(|r| r.kind.as_deref() == Some("user_reference"))
            .filter_map(|r| {
                Some((
                    r.summary.as_deref()?.to_string(),
                    r.id.as_deref()?.to_string(),
                ))
            })
            .collect()
    }
}

/// An incident's log entries, as the first reading saw them.
#[derive(Default)]
struct Group {
    /// The service of its first entry that names one.
    service: Option<String>,
    acks: Vec<(String, i64)>,
    /// Why its entries cannot be read: the first entry without a readable time.
    error: Option<Rejection>,
}

/// What the first reading of a separate export keeps.
#[derive(Default)]
pub(super) struct Separate {
    pub(super) entries: usize,
    groups: HashMap<String, Group>,
    /// Participations as entries name them: incident, person, time, the entry's path.
    taking_part: Vec<(String, Who, i64, String)>,
    /// Per incident and person: first and last activity, and the entry whose record
    /// holds the participation (their first).
    participants: HashMap<(String, String), (i64, i64, String)>,
    /// Name → id, of every user reference the entries show.
    names: HashMap<String, String>,
}

impl Separate {
    /// Takes in one entry's glance, in the order of the file.
    pub(super) fn add(&mut self, g: Glance) {
        self.entries += 1;
        self.names.extend(g.names);
        let Some(incident) = g.incident else {
            return;
        };
        let group = self.groups.entry(incident.clone()).or_default();
        if group.service.is_none() {
            group.service = g.service;
        }
        match g.at {
            Err(reason) => {
                group.error.get_or_insert(reason);
            }
            Ok(at) => {
                group.acks.extend(g.ack);
                for who in g.takes_part {
                    self.taking_part
                        .push((incident.clone(), who, at, g.path.clone()));
                }
            }
        }
    }

    /// After the first reading: participations merged per person, names resolved with
    /// every id the file (and the incidents before it) showed.
    pub(super) fn finish(&mut self, known: &HashMap<String, String>) {
        for (k, v) in known {
            self.names.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let ids = &self.names;
        for (incident, who, at, path) in std::mem::take(&mut self.taking_part) {
            let person = who.person(&|n| id_for_name(ids, n));
            self.participants
                .entry((incident, person))
                .and_modify(|(first, last, _)| {
                    *first = (*first).min(at);
                    *last = (*last).max(at);
                })
                .or_insert((at, at, path));
        }
    }

    /// One entry's record, on the second reading (on any core).
    pub(super) fn item(&self, path: &str, e: &Json) -> Item {
        self.record(path, e)
            .unwrap_or_else(|reason| Item::Reject(Reject::new(path, reason, &e.to_string())))
    }

    /// [`Separate::item`] read straight from the entry's bytes, without its JSON tree;
    /// `None` when they do not read as an entry, or the entry is rejected (the tree
    /// words the reject's excerpt).
    pub(super) fn item_from_bytes(&self, path: &str, bytes: &[u8]) -> Option<Item> {
        let e: RawEntry = serde_json::from_slice(bytes).ok()?;
        self.record(path, &e).ok()
    }

    /// [`Separate::item`] of an entry kept as its bytes (which read as an entry once):
    /// from them, else from its tree.
    pub(super) fn item_of_bytes(&self, path: String, bytes: &[u8]) -> Item {
        if let Some(item) = self.item_from_bytes(&path, bytes) {
            return item;
        }
        match serde_json::from_slice::<Json>(bytes) {
            Ok(v) => self.item(&path, &v),
            Err(e) => Item::Reject(Reject::new(path, Rejection::syntax(e.to_string()), "")),
        }
    }

    fn record(&self, path: &str, e: &impl Fields) -> Result<Item, Rejection> {
        let Some(id) = e.incident() else {
            return Err(Rejection::missing("a log entry without 'incident.id'"));
        };
        let incident_id = format!("{SOURCE}:{id}");
        let group = self.groups.get(&incident_id);
        // An entry without a readable time rejects its incident's entries with its reason.
        let at = group
            .and_then(|g| g.error.clone())
            .map_or_else(|| time_of(e), Err)?;
        let ids = &self.names;
        let name = |n: &str| id_for_name(ids, n);
        let service = group.and_then(|g| g.service.as_deref());
        let acks = group.map_or(&[][..], |g| g.acks.as_slice());
        let rows = entry_rows(&incident_id, service, None, e, at, acks, &name)
            .into_iter()
            .filter_map(|mut row| {
                if row.table != Table::Participants {
                    return Some(row);
                }
                // A person's participation, merged over the incident's entries, goes
                // with their first entry.
                let key = (incident_id.clone(), row.get(col::PERSON_ID).to_string());
                let (first, last, first_path) = self.participants.get(&key)?;
                (first_path == path).then(|| {
                    row.set(cell::FIRST_ACTIVE_AT, Value::Ts(*first));
                    row.set(cell::LAST_ACTIVE_AT, Value::Ts(*last));
                    row
                })
            })
            .collect();
        let mut r = Record::new(path, rows);
        r.requires.push(incident_id);
        Ok(Item::Record(r))
    }
}

/// The person id for a name: the PagerDuty id when the export showed it, else the name.
pub(super) fn id_for_name(ids: &HashMap<String, String>, name: &str) -> String {
    match ids.get(name) {
        Some(id) => format!("{SOURCE}:{id}"),
        None => format!("{SOURCE}:name:{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_glance_from_the_bytes_is_the_glance_from_the_tree() {
        let entries = [
            r#"{"id":"L1","type":"acknowledge_log_entry","created_at":"2026-07-08T21:36:00Z","agent":{"id":"PU1","type":"user_reference","summary":"Ana Berg"},"incident":{"id":"PI1"},"service":{"summary":"checkout"}}"#,
            r#"{"id":"L2","type":"assign_log_entry","created_at":"2026-07-08T21:40:00+02:00","summary":"Assigned to Bo \"B\" Reyes.","incident":{"id":"PI1"}}"#,
            r#"{"id":"L3","type":"assign_log_entry","created_at":"2026-07-08T21:40:00Z","assignees":[{"id":"PU2","type":"user_reference","summary":"Bo"},{"id":"S1","type":"service_reference"}],"incident":{"id":"PI1"}}"#,
            r#"{"id":"L4","type":"notify_log_entry","created_at":"yesterday","user":{"id":"PU3","summary":"Cy"},"incident":{"id":""}}"#,
            r#"{"id":"L5","type":"acknowledge_log_entry","agent":{"id":"PU1","type":"user_reference","summary":"Ana"}}"#,
            r#"{"type":"trigger_log_entry","created_at":"2026-07-08T21:00:00Z","agent":{"id":"S1","type":"service_reference","summary":"api"},"incident":{"id":"PI2"},"service":{"summary":""}}"#,
        ];
        for text in entries {
            let tree: Json = serde_json::from_str(text).unwrap();
            let want = Glance::of("$.log_entries[0]".into(), &tree);
            assert_eq!(
                Glance::from_bytes("$.log_entries[0]", text.as_bytes()),
                Some(want),
                "{text}"
            );
        }
        // A user reference elsewhere, or a field of another type: read from the tree.
        for text in [
            r#"{"type":"note_log_entry","created_at":"2026-07-08T21:00:00Z","channel":{"user":{"id":"PU9","type":"user_reference","summary":"Di"}}}"#,
            r#"{"type":"note_log_entry","created_at":7}"#,
        ] {
            assert_eq!(Glance::from_bytes("$", text.as_bytes()), None, "{text}");
        }
    }

    /// The second reading's record of each entry is the same whether read from its
    /// bytes or from its tree; an entry to reject is left to the tree (its excerpt).
    #[test]
    fn a_record_from_the_bytes_is_the_record_from_the_tree() {
        let entries = [
            r#"{"id":"L1","type":"trigger_log_entry","created_at":"2026-07-08T21:00:00Z","agent":{"id":"PU1","type":"user_reference","summary":"Ana Berg"},"incident":{"id":"PI1"},"service":{"summary":"checkout"}}"#,
            r#"{"id":"L2","type":"notify_log_entry","created_at":"2026-07-08T21:01:00Z","user":{"id":"PU2","type":"user_reference","summary":"Bo"},"channel":{"type":"auto","notification":{"type":"sms","address":"+1"}},"incident":{"id":"PI1"}}"#,
            r#"{"id":"L3","type":"notify_log_entry","created_at":"2026-07-08T21:02:00Z","summary":"Notified Ana Berg by phone.","incident":{"id":"PI1"}}"#,
            r#"{"id":"L4","type":"acknowledge_log_entry","created_at":"2026-07-08T21:05:00+02:00","agent":{"id":"PU2","type":"user_reference","summary":"Bo"},"incident":{"id":"PI1"}}"#,
            r#"{"id":"L5","type":"escalate_log_entry","created_at":"2026-07-08T21:06:00Z","summary":"Escalated to Ana Berg through the API.","incident":{"id":"PI1"}}"#,
            r#"{"id":"L6","type":"assign_log_entry","created_at":"2026-07-08T21:07:00Z","assignees":[{"id":"PU3","type":"user_reference","summary":"Cy"},{"id":"S1","type":"service_reference"}],"incident":{"id":"PI1"}}"#,
            r#"{"type":"resolve_log_entry","created_at":"2026-07-08T22:00:00Z","agent":{"id":"PU2","type":"user"},"incident":{"id":"PI1"},"channel":{"type":"web"}}"#,
        ];
        let rejected = [
            r#"{"id":"L8","type":"note_log_entry","created_at":"2026-07-08T21:00:00Z"}"#,
            r#"{"id":"L9","type":"note_log_entry","created_at":"yesterday","incident":{"id":"PI2"}}"#,
        ];
        let mut separate = Separate::default();
        for (i, text) in entries.iter().chain(&rejected).enumerate() {
            let path = format!("$.log_entries[{i}]");
            separate.add(Glance::from_bytes(&path, text.as_bytes()).unwrap());
        }
        separate.finish(&HashMap::new());
        for (i, text) in entries.iter().enumerate() {
            let path = format!("$.log_entries[{i}]");
            let tree: Json = serde_json::from_str(text).unwrap();
            let want = format!("{:?}", separate.item(&path, &tree));
            assert!(want.starts_with("Record("), "{want}");
            let got = separate.item_from_bytes(&path, text.as_bytes());
            assert_eq!(got.map(|item| format!("{item:?}")), Some(want), "{text}");
        }
        for (i, text) in rejected.iter().enumerate() {
            let path = format!("$.log_entries[{}]", entries.len() + i);
            let tree: Json = serde_json::from_str(text).unwrap();
            assert!(matches!(separate.item(&path, &tree), Item::Reject(_)));
            assert!(separate.item_from_bytes(&path, text.as_bytes()).is_none());
        }
    }
}
