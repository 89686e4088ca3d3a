//! `synth`: a synthetic organisation's exports in the real vendor formats, for benchmarks
//! and trials. Deterministic for a seed: no clock, one seeded generator, stable orders.
//!
//! For N incidents over two years it writes PagerDuty incidents with their log entries
//! (about 10 pages each) and users, a Slack export zip with one incident channel each
//! (about 100 messages, status updates among them, a bot), Jira search JSON with a
//! postmortem for most SEV1–3 incidents (some late, some missing) and about 4
//! follow-ups each (some stale, some dropped), a Statuspage `incidents.json` for the
//! customer-facing ones, a roster and a service catalog. The shapes are those real
//! organisations show: log-normal durations, a few hot services, a few over-loaded
//! responders, people in several time zones.

use anyhow::{Context, Result};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use serde_json::{json, Value};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub incidents: usize,
    pub seed: u64,
    /// Chat messages per incident channel, on average.
    pub messages: usize,
    pub form: Form,
}

/// Which rendering of the organisation to write. The generator draws the same
/// organisation for a seed whichever is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Form {
    // The vendors' export formats.
    #[default]
    Vendor,
    // The canonical tables as CSV, written from what the generator drew (not from the
    // vendor files).
    Canonical,
}

/// What was written.
#[derive(Debug, Default)]
pub struct Summary {
    pub files: Vec<(PathBuf, u64)>,
    pub incidents: usize,
    pub pages: usize,
    pub action_items: usize,
    pub messages: usize,
}

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// 2024-07-01T00:00:00Z, the start of the two years the organisation covers.
const EPOCH: i64 = 1_719_792_000_000_000;

const FIRST: [&str; 24] = [
    "Ana", "Bo", "Cy", "Dana", "Eli", "Femi", "Gus", "Hana", "Ivo", "Jin", "Kai", "Lena", "Mo",
    "Nia", "Omar", "Pia", "Quinn", "Rui", "Sol", "Tara", "Uma", "Vik", "Wen", "Yara",
];
const LAST: [&str; 16] = [
    "Berg", "Reyes", "Park", "Okafor", "Webb", "Silva", "Fischer", "Nakamura", "Haddad",
    "Kowalski", "Mensah", "Larsen", "Rossi", "Chen", "Novak", "Ibrahim",
];
const ZONES: [&str; 6] = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Sydney",
];
const TEAMS: [&str; 6] = [
    "payments",
    "storefront",
    "platform",
    "data",
    "identity",
    "search",
];
const AREAS: [&str; 4] = ["checkout", "discovery", "infrastructure", "fulfilment"];
const WORDS: [&str; 12] = [
    "errors",
    "latency",
    "timeouts",
    "5xx",
    "queue backlog",
    "stale cache",
    "failed deploy",
    "disk full",
    "cert expiry",
    "dns",
    "throttling",
    "memory leak",
];

struct Person {
    email: String,
    name: String,
    team: &'static str,
    function: &'static str,
    zone: &'static str,
    /// How likely they are pulled into an incident (a few carry most).
    weight: f64,
}

struct Service {
    name: String,
    team: &'static str,
    area: &'static str,
    tier: u8,
    weight: f64,
}

struct Gen {
    rng: Pcg64,
}

impl Gen {
    fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n.max(1))
    }

    /// A log-normal duration in microseconds with the given median and spread.
    fn lognormal(&mut self, median: i64, sigma: f64) -> i64 {
        // Box–Muller: one standard normal from two uniforms.
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        ((median as f64) * (sigma * z).exp()) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
        let total: f64 = items.iter().map(&weight).sum();
        let mut x = self.unit() * total;
        for it in items {
            x -= weight(it);
            if x <= 0.0 {
                return it;
            }
        }
        &items[items.len() - 1]
    }
}

fn ts(t: i64) -> String {
    crate::time::format_micros(t)
}

/// One incident as the generator drew it: the truth both renderings write.
struct Incident<'a> {
    i: usize,
    number: i64,
    service: &'a Service,
    sev: Option<u8>,
    title: String,
    started: i64,
    acked: i64,
    resolved: i64,
    /// The owning team's on-call first: they acknowledge and resolve.
    responders: Vec<&'a Person>,
    pages: Vec<Page<'a>>,
    messages: Vec<Message<'a>>,
    retro: Option<Retro>,
    follow_ups: Vec<FollowUp<'a>>,
    public: Option<Public>,
}

struct Page<'a> {
    at: i64,
    who: &'a Person,
    channel: &'static str,
}

struct Message<'a> {
    at: i64,
    /// Who the message is attributed to; a bot's message is the alert integration's.
    who: &'a Person,
    text: String,
    bot: bool,
    update: bool,
}

struct Retro {
    created: i64,
    held: Option<i64>,
}

struct FollowUp<'a> {
    created: i64,
    completed: Option<i64>,
    /// Closed without being done.
    dropped: bool,
    owner: Option<&'a Person>,
}

/// The status-page incident of a customer-facing one.
struct Public {
    created: i64,
    /// When each "investigating" update was shown; the "resolved" one is at resolution.
    updates: Vec<i64>,
}

impl Incident<'_> {
    fn urgency(&self) -> &'static str {
        if self.sev.is_some_and(|s| s <= 2) {
            "high"
        } else {
            "low"
        }
    }

    fn channel(&self) -> String {
        format!("inc-{}-{}", self.number, self.service.name)
    }
}

/// Where one rendering of the organisation goes.
trait Render {
    fn incident(&mut self, inc: &Incident, people: &[Person]) -> Result<()>;
    fn finish(self: Box<Self>, people: &[Person]) -> Result<Vec<(PathBuf, u64)>>;
}

/// Writes the organisation below `out`.
pub fn write(out: &Path, opts: &Options) -> Result<Summary> {
    let mut g = Gen {
        rng: Pcg64::seed_from_u64(opts.seed),
    };
    let n_people = (opts.incidents / 100).clamp(24, 2000);
    let people: Vec<Person> = (0..n_people)
        .map(|i| {
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i / FIRST.len()) % LAST.len()];
            let function = match i % 10 {
                8 => "support",
                9 => "product",
                _ => "engineering",
            };
            Person {
                email: format!(
                    "{}.{}{}@acme.example",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    i
                ),
                name: format!("{first} {last}"),
                team: TEAMS[i % TEAMS.len()],
                function,
                zone: ZONES[(i * 7) % ZONES.len()],
                // Three people in every hundred are pulled into far more than their share.
                weight: if i % 33 == 1 { 12.0 } else { 1.0 },
            }
        })
        .collect();
    let n_services = (opts.incidents / 1000).clamp(8, 200);
    let services: Vec<Service> = (0..n_services)
        .map(|i| Service {
            name: format!("{}-{}", WORDS[i % WORDS.len()].replace(' ', "-"), i),
            team: TEAMS[i % TEAMS.len()],
            area: AREAS[i % AREAS.len()],
            tier: (i % 3) as u8 + 1,
            // Zipf: a few hot services.
            weight: 1.0 / ((i + 1) as f64).powf(1.1),
        })
        .collect();
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut summary = Summary {
        incidents: opts.incidents,
        ..Summary::default()
    };
    let mut render: Box<dyn Render> = match opts.form {
        Form::Vendor => Box::new(Vendor::create(out)?),
        Form::Canonical => Box::new(Canonical::create(out)?),
    };
    let span = 730 * DAY;
    let mut t = EPOCH;
    for i in 0..opts.incidents {
        t += (g.unit() * 2.0 * span as f64 / opts.incidents as f64) as i64;
        let service = g.pick(&services, |s| s.weight);
        let sev = match g.unit() {
            x if x < 0.05 => Some(1),
            x if x < 0.20 => Some(2),
            x if x < 0.60 => Some(3),
            x if x < 0.90 => Some(4),
            _ => None,
        };
        let title = format!("{} {}", service.name, WORDS[g.below(WORDS.len())]);
        let acked = t + g.lognormal(5 * MINUTE, 0.8).max(MINUTE / 2);
        let resolved = t + g.lognormal(60 * MINUTE, 1.2).max(5 * MINUTE);
        // Responders: the on-call of the owning team first, then whoever is pulled in.
        let owners: Vec<&Person> = people.iter().filter(|p| p.team == service.team).collect();
        let mut responders: Vec<&Person> = vec![*g.pick(&owners, |p| p.weight)];
        for _ in 0..g.below(4) + 1 {
            let p = g.pick(&people, |p| p.weight);
            if !responders.iter().any(|r| r.email == p.email) {
                responders.push(p);
            }
        }
        let pages: Vec<Page> = (0..6 + g.below(9))
            .map(|k| Page {
                at: t + (k as i64) * MINUTE / 2,
                who: responders[k % responders.len()],
                channel: ["sms", "phone", "push", "email"][g.below(4)],
            })
            .collect();
        summary.pages += pages.len();
        // The incident channel.
        let n_msgs = (opts.messages as f64 * (0.5 + g.unit())) as usize;
        let mut messages = Vec::with_capacity(n_msgs);
        let length = (resolved - t).max(10 * MINUTE);
        let mut next_update = t + 10 * MINUTE;
        for k in 0..n_msgs {
            let at = t + length * k as i64 / n_msgs.max(1) as i64 + g.below(50) as i64 * 1000;
            let who = if g.unit() < 0.8 {
                responders[g.below(responders.len())]
            } else {
                g.pick(&people, |_| 1.0)
            };
            let (text, bot, update) = if at >= next_update {
                next_update = at + g.lognormal(40 * MINUTE, 0.5);
                let word = WORDS[g.below(WORDS.len())];
                (format!("update: still working on {word}"), false, true)
            } else if k % 25 == 3 {
                ("Alert fired again".to_string(), true, false)
            } else {
                let word = WORDS[g.below(WORDS.len())];
                (
                    format!("looking at {word} on {}", service.name),
                    false,
                    false,
                )
            };
            messages.push(Message {
                at,
                who,
                text,
                bot,
                update,
            });
        }
        summary.messages += messages.len();
        // The retro and the follow-ups.
        let retro = (sev.is_some_and(|s| s <= 3) && g.unit() < 0.8).then(|| {
            let held = resolved + g.lognormal(4 * DAY, 0.9);
            Retro {
                created: resolved + HOUR,
                held: (held < EPOCH + span).then_some(held),
            }
        });
        let follow_ups: Vec<FollowUp> = (0..g.below(9))
            .map(|_| {
                let created = resolved + DAY + g.lognormal(DAY, 0.7);
                let x = g.unit();
                let (completed, dropped) = if x < 0.6 {
                    (Some(created + g.lognormal(20 * DAY, 1.0)), false)
                } else if x < 0.68 {
                    (Some(created + g.lognormal(10 * DAY, 1.0)), true)
                } else {
                    (None, false)
                };
                let owner = (g.unit() > 0.12).then(|| *g.pick(&owners, |p| p.weight));
                FollowUp {
                    created,
                    completed,
                    dropped,
                    owner,
                }
            })
            .collect();
        summary.action_items += follow_ups.len();
        // Customer-facing incidents reach the status page.
        let public = (sev.is_some_and(|s| s <= 2) && g.unit() < 0.5).then(|| {
            let created = t + g.lognormal(10 * MINUTE, 0.5);
            let mut updates = Vec::new();
            let mut at = created;
            while at < resolved {
                updates.push(at);
                at += g.lognormal(45 * MINUTE, 0.6);
            }
            Public { created, updates }
        });
        let inc = Incident {
            i,
            number: 1000 + i as i64,
            service,
            sev,
            title,
            started: t,
            acked,
            resolved,
            responders,
            pages,
            messages,
            retro,
            follow_ups,
            public,
        };
        render.incident(&inc, &people)?;
    }
    summary.files = render.finish(&people)?;
    summary.files.push(write_roster(out, &people)?);
    summary.files.push(write_catalog(out, &services)?);
    Ok(summary)
}

/// The vendors' export formats: PagerDuty incidents with their log entries and users, a
/// Slack export zip, Jira search JSON, a Statuspage `incidents.json`.
struct Vendor {
    out: PathBuf,
    pd: JsonArray,
    jira: JsonArray,
    status: JsonArray,
    slack: Slack,
}

impl Vendor {
    fn create(out: &Path) -> Result<Vendor> {
        for d in ["pagerduty", "slack", "jira", "statuspage"] {
            std::fs::create_dir_all(out.join(d))?;
        }
        Ok(Vendor {
            out: out.to_path_buf(),
            pd: JsonArray::create(&out.join("pagerduty/incidents.json"), "incidents")?,
            jira: JsonArray::create(&out.join("jira/search.json"), "issues")?,
            status: JsonArray::create(&out.join("statuspage/incidents.json"), "incidents")?,
            slack: Slack::create(&out.join("slack/export.zip"))?,
        })
    }
}

impl Render for Vendor {
    fn incident(&mut self, inc: &Incident, people: &[Person]) -> Result<()> {
        let Incident {
            i,
            number,
            service,
            sev,
            ref title,
            started: t,
            acked,
            resolved,
            ref responders,
            ..
        } = *inc;
        let acker = responders[0];
        let mut log = vec![
            json!({"id": format!("T{i}"), "type": "trigger_log_entry", "created_at": ts(t),
            "agent": {"id": format!("S{}", service.name), "type": "service_reference", "summary": service.name},
            "incident": {"id": format!("Q{i}")}}),
        ];
        for (k, page) in inc.pages.iter().enumerate() {
            let who = page.who;
            log.push(json!({"id": format!("N{i}-{k}"), "type": "notify_log_entry",
                "created_at": ts(page.at),
                "user": {"id": pd_id(people, who), "type": "user_reference", "summary": who.name},
                "channel": {"type": "auto", "notification": {"type": page.channel, "address": "redacted"}},
                "incident": {"id": format!("Q{i}")}}));
        }
        log.push(
            json!({"id": format!("A{i}"), "type": "acknowledge_log_entry", "created_at": ts(acked),
            "agent": {"id": pd_id(people, acker), "type": "user_reference", "summary": acker.name},
            "incident": {"id": format!("Q{i}")}}),
        );
        log.push(
            json!({"id": format!("R{i}"), "type": "resolve_log_entry", "created_at": ts(resolved),
            "agent": {"id": pd_id(people, acker), "type": "user_reference", "summary": acker.name},
            "incident": {"id": format!("Q{i}")}}),
        );
        let url = format!("https://acme.pagerduty.com/incidents/Q{i}");
        self.pd.push(&json!({"id": format!("Q{i}"), "type": "incident", "incident_number": number,
            "title": title, "status": "resolved", "urgency": inc.urgency(),
            "created_at": ts(t), "updated_at": ts(resolved), "resolved_at": ts(resolved), "html_url": url,
            "service": {"id": format!("S{}", service.name), "type": "service_reference", "summary": service.name},
            "escalation_policy": {"id": "EP1", "type": "escalation_policy_reference", "summary": "Default"},
            "priority": sev.map(|s| json!({"type": "priority_reference", "summary": format!("P{s}")})),
            "teams": [{"id": service.team, "type": "team_reference", "summary": service.team}],
            "assignments": [], "acknowledgements": [], "log_entries": log}))?;
        let msgs: Vec<(i64, String, &str, bool)> = inc
            .messages
            .iter()
            .map(|m| (m.at, slack_id(people, m.who), m.text.as_str(), m.bot))
            .collect();
        self.slack.channel(i, &inc.channel(), t, &msgs, people)?;
        if let Some(retro) = &inc.retro {
            self.jira.push(&issue(
                &format!("PM-{i}"),
                "Postmortem",
                &format!("Postmortem: {title}"),
                number,
                retro.created,
                retro.held,
                false,
                Some(acker),
                service.team,
            ))?;
        }
        for (k, f) in inc.follow_ups.iter().enumerate() {
            self.jira.push(&issue(
                &format!("FU-{i}-{k}"),
                "Task",
                &format!("Follow-up {k} of {title}"),
                number,
                f.created,
                f.completed,
                f.dropped,
                f.owner,
                service.team,
            ))?;
        }
        if let Some(public) = &inc.public {
            let mut updates: Vec<Value> = public.updates.iter().enumerate().map(|(k, at)| {
                json!({"id": format!("U{i}-{k}"), "status": "investigating", "body": "We are investigating.",
                    "incident_id": format!("P{i}"), "created_at": ts(*at), "display_at": ts(*at)})
            }).collect();
            let k = public.updates.len();
            updates.push(json!({"id": format!("U{i}-{k}"), "status": "resolved",
                "body": format!("Resolved (internal reference inc-{number})."),
                "incident_id": format!("P{i}"), "created_at": ts(resolved), "display_at": ts(resolved)}));
            updates.reverse();
            self.status.push(&json!({"id": format!("P{i}"), "name": title, "status": "resolved",
                "impact": if sev == Some(1) {"critical"} else {"major"}, "created_at": ts(public.created),
                "updated_at": ts(resolved), "started_at": ts(t), "resolved_at": ts(resolved),
                "shortlink": format!("https://stspg.io/P{i}"), "page_id": "acme",
                "components": [{"id": service.name, "name": service.name, "status": "operational"}],
                "incident_updates": updates}))?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>, people: &[Person]) -> Result<Vec<(PathBuf, u64)>> {
        Ok(vec![
            self.pd.finish()?,
            self.jira.finish()?,
            self.status.finish()?,
            self.slack.finish(people)?,
            write_users(&self.out, people)?,
        ])
    }
}

/// The same organisation as canonical tables (CSV), written from what the generator drew
/// and not from the vendor files: what the vendor adapters and linking must arrive at.
/// People are named by e-mail, so no alias has to be resolved; the incident channel's
/// messages, its authors and its status updates, the status page's incident and its
/// updates, the tickets' incidents are all stated rather than derived.
struct Canonical {
    tables: Vec<(PathBuf, csv::Writer<std::fs::File>)>,
}

/// The canonical files, in the order of [`Canonical::tables`].
const CANONICAL: [(&str, &[&str]); 8] = [
    (
        "incidents.csv",
        &[
            "incident_id",
            "external_id",
            "number",
            "title",
            "url",
            "severity",
            "status",
            "team",
            "started_at",
            "declared_at",
            "acknowledged_at",
            "resolved_at",
            "updated_at",
            "link_refs",
        ],
    ),
    ("incident_services.csv", &["incident_id", "service"]),
    (
        "participants.csv",
        &[
            "incident_id",
            "person_id",
            "role",
            "first_active_at",
            "last_active_at",
            "messages",
        ],
    ),
    (
        "pages.csv",
        &[
            "page_id",
            "incident_id",
            "service",
            "person_id",
            "sent_at",
            "acknowledged_at",
            "channel",
            "urgency",
        ],
    ),
    (
        "events.csv",
        &["incident_id", "event_id", "at", "kind", "person_id"],
    ),
    (
        "messages.csv",
        &[
            "message_id",
            "channel_id",
            "channel_name",
            "incident_id",
            "at",
            "person_id",
            "is_bot",
            "subtype",
            "status_update",
        ],
    ),
    (
        "retros.csv",
        &[
            "retro_id",
            "incident_id",
            "title",
            "held_at",
            "status",
            "updated_at",
        ],
    ),
    (
        "action_items.csv",
        &[
            "item_id",
            "incident_id",
            "title",
            "owner",
            "team",
            "created_at",
            "completed_at",
            "status",
            "updated_at",
        ],
    ),
];

const INCIDENTS: usize = 0;
const SERVICES: usize = 1;
const PARTICIPANTS: usize = 2;
const PAGES: usize = 3;
const EVENTS: usize = 4;
const MESSAGES: usize = 5;
const RETROS: usize = 6;
const ACTION_ITEMS: usize = 7;

impl Canonical {
    fn create(out: &Path) -> Result<Canonical> {
        let mut tables = Vec::new();
        for (name, header) in CANONICAL {
            let path = out.join(name);
            let mut w = csv::Writer::from_path(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            w.write_record(header)?;
            tables.push((path, w));
        }
        Ok(Canonical { tables })
    }

    fn row(&mut self, table: usize, cells: &[&str]) -> Result<()> {
        Ok(self.tables[table].1.write_record(cells)?)
    }
}

impl Render for Canonical {
    fn incident(&mut self, inc: &Incident, _: &[Person]) -> Result<()> {
        let id = format!("acme:{}", inc.number);
        let severity = inc.sev.map(|s| format!("SEV{s}")).unwrap_or_default();
        let (started, resolved) = (ts(inc.started), ts(inc.resolved));
        let acker = inc.responders[0];
        self.row(
            INCIDENTS,
            &[
                &id,
                &inc.number.to_string(),
                &inc.number.to_string(),
                &inc.title,
                "",
                &severity,
                "resolved",
                inc.service.team,
                &started,
                &started,
                &ts(inc.acked),
                &resolved,
                &resolved,
                "",
            ],
        )?;
        self.row(SERVICES, &[&id, &inc.service.name])?;
        // The pager's story: declared, paged, acknowledged (each page the acknowledger
        // had received by then), resolved.
        self.row(EVENTS, &[&id, "declared", &started, "declared", ""])?;
        for (k, page) in inc.pages.iter().enumerate() {
            let page_id = format!("{id}:page-{k}");
            let acked = if page.who.email == acker.email && page.at <= inc.acked {
                ts(inc.acked)
            } else {
                String::new()
            };
            let sent = ts(page.at);
            self.row(
                PAGES,
                &[
                    &page_id,
                    &id,
                    &inc.service.name,
                    &page.who.email,
                    &sent,
                    &acked,
                    page.channel,
                    inc.urgency(),
                ],
            )?;
            self.row(EVENTS, &[&id, &page_id, &sent, "paged", &page.who.email])?;
        }
        self.row(
            EVENTS,
            &[
                &id,
                "acknowledged",
                &ts(inc.acked),
                "acknowledged",
                &acker.email,
            ],
        )?;
        self.row(
            EVENTS,
            &[&id, "resolved", &resolved, "resolved", &acker.email],
        )?;
        // Who took part: the acknowledger, and whoever wrote in the channel.
        let mut took_part: std::collections::BTreeMap<&str, (i64, i64, usize)> = Default::default();
        for m in inc.messages.iter().filter(|m| !m.bot) {
            let e = took_part.entry(&m.who.email).or_insert((m.at, m.at, 0));
            *e = (e.0.min(m.at), e.1.max(m.at), e.2 + 1);
        }
        let acker_row = (inc.acked, inc.acked, 0);
        let mut rows: Vec<(&str, (i64, i64, usize))> = took_part.into_iter().collect();
        match rows.iter_mut().find(|(p, _)| *p == acker.email) {
            Some((_, (first, last, _))) => {
                *first = (*first).min(inc.acked);
                *last = (*last).max(inc.acked);
            }
            None => rows.push((&acker.email, acker_row)),
        }
        for (person, (first, last, messages)) in rows {
            let messages = if messages > 0 {
                messages.to_string()
            } else {
                String::new()
            };
            self.row(
                PARTICIPANTS,
                &[&id, person, "responder", &ts(first), &ts(last), &messages],
            )?;
        }
        // The incident channel, and the status updates posted in it.
        let channel_id = format!("C{}", inc.i);
        for (k, m) in inc.messages.iter().enumerate() {
            let message_id = format!("{channel_id}:{k}");
            let at = ts(m.at);
            let (person, bot, subtype) = if m.bot {
                ("", "true", "bot_message")
            } else {
                (m.who.email.as_str(), "false", "")
            };
            self.row(
                MESSAGES,
                &[
                    &message_id,
                    &channel_id,
                    &inc.channel(),
                    &id,
                    &at,
                    person,
                    bot,
                    subtype,
                    if m.update { "true" } else { "false" },
                ],
            )?;
            if m.update {
                self.row(EVENTS, &[&id, &message_id, &at, "status_update", person])?;
            }
        }
        if let Some(retro) = &inc.retro {
            let (held, status) = match retro.held {
                Some(at) => (ts(at), "done"),
                None => (String::new(), "open"),
            };
            let updated = ts(retro.held.unwrap_or(retro.created));
            self.row(
                RETROS,
                &[
                    &format!("{id}:retro"),
                    &id,
                    &format!("Postmortem: {}", inc.title),
                    &held,
                    status,
                    &updated,
                ],
            )?;
        }
        for (k, f) in inc.follow_ups.iter().enumerate() {
            let status = match (f.completed, f.dropped) {
                (None, _) => "open",
                (Some(_), false) => "done",
                (Some(_), true) => "wont_do",
            };
            let completed = f.completed.map(ts).unwrap_or_default();
            self.row(
                ACTION_ITEMS,
                &[
                    &format!("{id}:follow-up-{k}"),
                    &id,
                    &format!("Follow-up {k} of {}", inc.title),
                    f.owner.map_or("", |p| p.email.as_str()),
                    inc.service.team,
                    &ts(f.created),
                    &completed,
                    status,
                    &ts(f.completed.unwrap_or(f.created)),
                ],
            )?;
        }
        // The status page's own incident, the same incident seen by customers.
        if let Some(public) = &inc.public {
            let public_id = format!("acme:status-{}", inc.i);
            let declared = ts(public.created);
            self.row(
                INCIDENTS,
                &[
                    &public_id,
                    "",
                    "",
                    &inc.title,
                    "",
                    &severity,
                    "resolved",
                    "",
                    &started,
                    &declared,
                    "",
                    &resolved,
                    &resolved,
                    &format!("number:{}", inc.number),
                ],
            )?;
            self.row(SERVICES, &[&public_id, &inc.service.name])?;
            for (k, at) in public.updates.iter().chain([&inc.resolved]).enumerate() {
                self.row(
                    EVENTS,
                    &[
                        &public_id,
                        &format!("update-{k}"),
                        &ts(*at),
                        "status_update",
                        "",
                    ],
                )?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _: &[Person]) -> Result<Vec<(PathBuf, u64)>> {
        let mut files = Vec::new();
        for (path, mut w) in self.tables {
            w.flush()?;
            drop(w);
            let size = std::fs::metadata(&path)?.len();
            files.push((path, size));
        }
        Ok(files)
    }
}

fn index_of(people: &[Person], p: &Person) -> usize {
    people.iter().position(|x| x.email == p.email).unwrap_or(0)
}

fn pd_id(people: &[Person], p: &Person) -> String {
    format!("PU{}", index_of(people, p))
}

fn slack_id(people: &[Person], p: &Person) -> String {
    format!("U{}", index_of(people, p))
}

/// A Jira issue with its changelog: the move into Done (or Won't Do) when completed.
#[allow(clippy::too_many_arguments)]
fn issue(
    key: &str,
    kind: &str,
    summary: &str,
    incident: i64,
    created: i64,
    completed: Option<i64>,
    dropped: bool,
    owner: Option<&Person>,
    team: &str,
) -> Value {
    let (status, histories) = match completed {
        Some(at) => (
            json!({"id": "10001", "name": "Done", "statusCategory": {"key": "done"}}),
            json!([{"id": format!("H{key}"), "created": ts(at), "items": [
                {"field": "resolution", "from": null, "to": "1", "toString": if dropped {"Won't Do"} else {"Done"}},
                {"field": "status", "from": "3", "fromString": "In Progress", "to": "10001", "toString": "Done"}]}]),
        ),
        None => (
            json!({"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}}),
            json!([]),
        ),
    };
    json!({"id": key, "key": key, "self": format!("https://acme.atlassian.net/rest/api/2/issue/{key}"),
        "fields": {"summary": summary, "issuetype": {"name": kind}, "status": status,
            "resolution": completed.map(|_| json!({"name": if dropped {"Won't Do"} else {"Done"}})),
            "resolutiondate": completed.map(ts), "created": ts(created), "updated": ts(completed.unwrap_or(created)),
            "labels": [format!("inc-{incident}")], "components": [{"name": team}],
            "assignee": owner.map(|p| json!({"accountId": format!("acc-{}", p.email), "displayName": p.name,
                "emailAddress": p.email, "timeZone": p.zone}))},
        "changelog": {"histories": histories}})
}

/// A JSON document `{"<key>": [ … ]}` written element by element.
struct JsonArray {
    path: PathBuf,
    out: BufWriter<std::fs::File>,
    first: bool,
}

impl JsonArray {
    fn create(path: &Path, key: &str) -> Result<JsonArray> {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        write!(out, "{{\"{key}\":[")?;
        Ok(JsonArray {
            path: path.to_path_buf(),
            out,
            first: true,
        })
    }

    fn push(&mut self, v: &Value) -> Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, v)?;
        Ok(())
    }

    fn finish(mut self) -> Result<(PathBuf, u64)> {
        self.out.write_all(b"]}\n")?;
        self.out.flush()?;
        let size = std::fs::metadata(&self.path)?.len();
        Ok((self.path, size))
    }
}

/// A Slack workspace export, written into a zip channel by channel.
struct Slack {
    path: PathBuf,
    zip: zip::ZipWriter<BufWriter<std::fs::File>>,
    channels: Vec<Value>,
}

impl Slack {
    fn create(path: &Path) -> Result<Slack> {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Slack {
            path: path.to_path_buf(),
            zip: zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, file)),
            channels: Vec::new(),
        })
    }

    fn options() -> zip::write::SimpleFileOptions {
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
    }

    /// One channel's day files (cut at 08:00 UTC, Pacific midnight, as real exports are).
    fn channel(
        &mut self,
        i: usize,
        name: &str,
        created: i64,
        msgs: &[(i64, String, &str, bool)],
        people: &[Person],
    ) -> Result<()> {
        self.channels.push(json!({"id": format!("C{i}"), "name": name, "created": created / 1_000_000,
            "creator": msgs.first().map_or("U0".to_string(), |m| m.1.clone()), "is_archived": true}));
        let mut days: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
        let mut profiled = std::collections::HashSet::new();
        for (at, user, text, bot) in msgs {
            let day = crate::time::format_micros(at - 8 * HOUR)[..10].to_string();
            let ts = format!("{}.{:06}", at / 1_000_000, at % 1_000_000);
            let m = if *bot {
                json!({"type": "message", "subtype": "bot_message", "bot_id": "B1", "username": "alerts", "text": text, "ts": ts,
                    "attachments": [{"fallback": text, "color": "d00000", "title": "PagerDuty", "id": 1}]})
            } else {
                // As current exports write them: a client id, the team, the text again as
                // rich-text blocks, and the author's profile on their first message of a day.
                let h = xxhash_rust::xxh3::xxh3_128(ts.as_bytes());
                let client_msg_id = format!(
                    "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                    (h >> 96) as u32,
                    (h >> 80) as u16,
                    (h >> 68) as u16 & 0xfff,
                    (h >> 56) as u16 & 0xfff,
                    h as u64 & 0xffff_ffff_ffff
                );
                let mut m = json!({"client_msg_id": client_msg_id, "type": "message", "text": text, "user": user, "ts": ts,
                    "team": "T0ACME", "blocks": [{"type": "rich_text", "block_id": format!("{:05x}", h as u32 & 0xfffff),
                        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]});
                if profiled.insert((day.clone(), user.clone())) {
                    let p = &people[user[1..].parse::<usize>().unwrap_or(0)];
                    let first = p.name.split(' ').next().unwrap_or_default();
                    let handle = p.email.split('@').next().unwrap_or_default();
                    m["user_profile"] = json!({"avatar_hash": format!("g{:011x}", h as u64 & 0xfff_ffff_ffff),
                        "image_72": format!("https://secure.gravatar.com/avatar/{:032x}.jpg?s=72", h),
                        "first_name": first, "real_name": p.name, "display_name": p.name, "team": "T0ACME", "name": handle,
                        "is_restricted": false, "is_ultra_restricted": false});
                }
                m
            };
            days.entry(day).or_default().push(m);
        }
        for (day, list) in days {
            self.zip
                .start_file(format!("{name}/{day}.json"), Self::options())?;
            serde_json::to_writer(&mut self.zip, &list)?;
        }
        Ok(())
    }

    fn finish(mut self, people: &[Person]) -> Result<(PathBuf, u64)> {
        self.zip.start_file("channels.json", Self::options())?;
        serde_json::to_writer(&mut self.zip, &self.channels)?;
        let mut users: Vec<Value> = people
            .iter()
            .enumerate()
            .map(|(i, p)| json!({"id": format!("U{i}"), "name": p.email.split('@').next(), "real_name": p.name,
                "tz": p.zone, "is_bot": false, "deleted": false,
                "profile": {"email": p.email, "display_name": p.name, "real_name": p.name}}))
            .collect();
        users.push(
            json!({"id": "UBOT", "name": "alerts", "is_bot": true, "profile": {"bot_id": "B1"}}),
        );
        self.zip.start_file("users.json", Self::options())?;
        serde_json::to_writer(&mut self.zip, &users)?;
        self.zip.finish()?.flush()?;
        let size = std::fs::metadata(&self.path)?.len();
        Ok((self.path, size))
    }
}

fn write_users(out: &Path, people: &[Person]) -> Result<(PathBuf, u64)> {
    let mut users = JsonArray::create(&out.join("pagerduty/users.json"), "users")?;
    for (i, p) in people.iter().enumerate() {
        users.push(&json!({"id": format!("PU{i}"), "type": "user", "name": p.name, "email": p.email,
            "self": format!("https://api.pagerduty.com/users/PU{i}"),
            "html_url": format!("https://acme.pagerduty.com/users/PU{i}"),
            "time_zone": p.zone, "role": "user", "teams": [{"id": p.team, "type": "team_reference", "summary": p.team}]}))?;
    }
    users.finish()
}

fn write_roster(out: &Path, people: &[Person]) -> Result<(PathBuf, u64)> {
    let path = out.join("people.csv");
    let mut w = csv::Writer::from_path(&path)?;
    w.write_record(["email", "name", "team", "function", "timezone", "aliases"])?;
    for (i, p) in people.iter().enumerate() {
        let aliases = format!("pagerduty:PU{i};slack:U{i};jira:acc-{}", p.email);
        w.write_record([&p.email, &p.name, p.team, p.function, p.zone, &aliases])?;
    }
    w.flush()?;
    Ok((path.clone(), std::fs::metadata(&path)?.len()))
}

fn write_catalog(out: &Path, services: &[Service]) -> Result<(PathBuf, u64)> {
    let path = out.join("services.csv");
    let mut w = csv::Writer::from_path(&path)?;
    w.write_record(["service", "team", "tier", "product_area"])?;
    for s in services {
        w.write_record([&s.name, s.team, &s.tier.to_string(), s.area])?;
    }
    w.flush()?;
    Ok((path.clone(), std::fs::metadata(&path)?.len()))
}
