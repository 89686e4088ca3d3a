//! `synth`: a synthetic organisation's exports in the real vendor formats, for benchmarks
//! and trials. Deterministic for a seed: no clock, one seeded generator, stable orders.
//!
//! For N incidents over two years it writes PagerDuty incidents with their log entries
//! (about 10 pages each) and users, a Slack export zip with one incident channel each
//! (about 100 messages, status updates among them, a bot), Jira search JSON with a
//! postmortem for most SEV1–3 incidents (some late, some missing) and about 4
//! follow-ups each (some stale, some dropped), a Statuspage `incidents.json` for the
//! customer-facing ones, each team's weekly on-call rotation (PagerDuty `/oncalls`), a
//! roster and a service catalog. The shapes are those real
//! organisations show: log-normal durations, a few hot services, a few over-loaded
//! responders, people in several time zones.

use anyhow::{Context, Result};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use serde_json::{json, Value};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

mod canonical;
mod changes;
mod json_out;
mod platforms;
mod vendor;
use canonical::*;
pub use json_out::Layout;
use json_out::*;
pub use platforms::Also;
use platforms::Platforms;
use vendor::*;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub incidents: usize,
    pub seed: u64,
    /// Chat messages per incident channel, on average.
    pub messages: usize,
    pub form: Form,
    /// How the vendor form writes its exports.
    pub shapes: Shapes,
}

/// The layouts of the vendor exports: real ones differ by who saved them and how.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shapes {
    pub pagerduty_log: PagerLog,
    pub tickets: Tickets,
    /// Of every JSON export but Slack's (whose layout is fixed).
    pub layout: Layout,
    /// Other tools' exports of the same incidents, written beside the rest.
    pub also: Also,
}

/// How Jira's issues are exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tickets {
    /// The search API's JSON, with changelogs (`jira/search.json`).
    #[default]
    JiraJson,
    /// The web UI's CSV export (`jira/issues.csv`): dates to the minute, no zone.
    JiraCsv,
}

/// Where PagerDuty's log entries are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PagerLog {
    /// Inside their incidents (`include[]=log_entries`, as collectors export them).
    #[default]
    Embedded,
    /// One file per incident (`/incidents/{id}/log_entries`).
    PerIncident,
    /// One account-wide file (`/log_entries`), every incident's entries interleaved.
    Global,
}

/// Which rendering of the organisation to write. The generator draws the same
/// organisation for a seed whichever is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Form {
    /// The vendors' export formats.
    #[default]
    Vendor,
    /// The canonical tables as CSV, written from what the generator drew (not from the
    /// vendor files).
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

/// An incident channel's messages from its start `t` to its resolution: mostly its
/// responders, some status updates at log-normal intervals, a bot now and then.
fn draw_messages<'a>(
    g: &mut Gen,
    per_channel: usize,
    (t, resolved): (i64, i64),
    responders: &[&'a Person],
    people: &'a [Person],
    service: &Service,
) -> Vec<Message<'a>> {
    let n_msgs = (per_channel as f64 * (0.5 + g.unit())) as usize;
    let mut messages = Vec::with_capacity(n_msgs);
    let length = (resolved - t).max(10 * MINUTE);
    let mut next_update = t + 10 * MINUTE;
    for k in 0..n_msgs {
        let at = t + length * k as i64 / n_msgs.max(1) as i64 + g.below(50) as i64 * 1000;
        let who = if g.unit() < 0.8 {
            responders[g.below(responders.len())]
        } else {
            g.pick(people, |_| 1.0)
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
    messages
}

/// An incident's follow-ups: most done within weeks, some dropped, some open, a few
/// without an owner.
fn draw_follow_ups<'a>(g: &mut Gen, resolved: i64, owners: &[&'a Person]) -> Vec<FollowUp<'a>> {
    (0..g.below(9))
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
            let owner = (g.unit() > 0.12).then(|| *g.pick(owners, |p| p.weight));
            FollowUp {
                created,
                completed,
                dropped,
                owner,
            }
        })
        .collect()
}

/// The organisation's people: a few in every hundred pulled into far more than their
/// share.
fn draw_people(incidents: usize) -> Vec<Person> {
    let n_people = (incidents / 100).clamp(24, 2000);
    (0..n_people)
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
        .collect()
}

/// The services, a few of them hot (Zipf weights).
fn draw_services(incidents: usize) -> Vec<Service> {
    let n_services = (incidents / 1000).clamp(8, 200);
    (0..n_services)
        .map(|i| Service {
            name: format!("{}-{}", WORDS[i % WORDS.len()].replace(' ', "-"), i),
            team: TEAMS[i % TEAMS.len()],
            area: AREAS[i % AREAS.len()],
            tier: (i % 3) as u8 + 1,
            // Zipf: a few hot services.
            weight: 1.0 / ((i + 1) as f64).powf(1.1),
        })
        .collect()
}

/// A customer-facing incident's status page incident (half of SEV1–2 reach it): when
/// it was posted, and its updates until the resolution.
fn draw_public(g: &mut Gen, sev: Option<u8>, t: i64, resolved: i64) -> Option<Public> {
    (sev.is_some_and(|s| s <= 2) && g.unit() < 0.5).then(|| {
        let created = t + g.lognormal(10 * MINUTE, 0.5);
        let mut updates = Vec::new();
        let mut at = created;
        while at < resolved {
            updates.push(at);
            at += g.lognormal(45 * MINUTE, 0.6);
        }
        Public { created, updates }
    })
}

/// Writes the organisation below `out`.
pub fn write(out: &Path, opts: &Options) -> Result<Summary> {
    let mut g = Gen {
        rng: Pcg64::seed_from_u64(opts.seed),
    };
    let people = draw_people(opts.incidents);
    let services = draw_services(opts.incidents);
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut summary = Summary {
        incidents: opts.incidents,
        ..Summary::default()
    };
    let mut render: Box<dyn Render> = match opts.form {
        Form::Vendor => Box::new(Vendor::create(out, opts.shapes)?),
        Form::Canonical => Box::new(Canonical::create(out)?),
    };
    let span = 730 * DAY;
    let mut t = EPOCH;
    let mut fired = Vec::with_capacity(opts.incidents);
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
        let messages = draw_messages(
            &mut g,
            opts.messages,
            (t, resolved),
            &responders,
            &people,
            service,
        );
        summary.messages += messages.len();
        // The retro and the follow-ups.
        let retro = (sev.is_some_and(|s| s <= 3) && g.unit() < 0.8).then(|| {
            let held = resolved + g.lognormal(4 * DAY, 0.9);
            Retro {
                created: resolved + HOUR,
                held: (held < EPOCH + span).then_some(held),
            }
        });
        let follow_ups = draw_follow_ups(&mut g, resolved, &owners);
        summary.action_items += follow_ups.len();
        // Customer-facing incidents reach the status page.
        let public = draw_public(&mut g, sev, t, resolved);
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
        fired.push(Fired {
            i,
            number: inc.number,
            service: &service.name,
            key: inc.title.replacen(' ', "/", 1),
            at: t,
        });
    }
    summary.files = render.finish(&people)?;
    summary.files.push(write_on_call(out, &people, opts)?);
    summary.files.push(write_alerts(out, &fired, opts)?);
    summary
        .files
        .extend(changes::write_changes(out, &fired, opts)?);
    summary.files.push(write_roster(out, &people)?);
    summary.files.push(write_catalog(out, &services)?);
    Ok(summary)
}

fn write_users(out: &Path, people: &[Person], layout: Layout) -> Result<(PathBuf, u64)> {
    let mut users = JsonArray::create(&out.join("pagerduty/users.json"), "users", layout)?;
    for (i, p) in people.iter().enumerate() {
        users.push(&json!({"id": format!("PU{i}"), "type": "user", "name": p.name, "email": p.email,
            "self": format!("https://api.pagerduty.com/users/PU{i}"),
            "html_url": format!("https://acme.pagerduty.com/users/PU{i}"),
            "time_zone": p.zone, "role": "user", "teams": [{"id": p.team, "type": "team_reference", "summary": p.team}]}))?;
    }
    users.finish()
}

/// Each team's weekly primary rotation over the two years, its engineers in turn
/// (Monday 09:00 UTC to the next), as PagerDuty's `/oncalls` export or a canonical
/// `on_call.csv`. No random draws: the rest of the organisation is unchanged by it.
fn on_call_weeks(people: &[Person]) -> Vec<(usize, &'static str, i64)> {
    let mut teams: Vec<&'static str> = people.iter().map(|p| p.team).collect();
    teams.sort_unstable();
    teams.dedup();
    // EPOCH is a Monday (2024-07-01); rotations hand over at 09:00.
    let first = EPOCH + 9 * HOUR;
    let mut weeks = Vec::new();
    for team in teams {
        let crew: Vec<usize> = (0..people.len())
            .filter(|i| people[*i].team == team && people[*i].function == "engineering")
            .collect();
        if crew.is_empty() {
            continue;
        }
        for (k, start) in (first..EPOCH + 730 * DAY)
            .step_by(7 * DAY as usize)
            .enumerate()
        {
            weeks.push((crew[k % crew.len()], team, start));
        }
    }
    weeks
}

fn write_on_call(out: &Path, people: &[Person], opts: &Options) -> Result<(PathBuf, u64)> {
    let weeks = on_call_weeks(people);
    match opts.form {
        Form::Vendor => {
            let path = out.join("pagerduty/oncalls.json");
            let mut w = JsonArray::create(&path, "oncalls", opts.shapes.layout)?;
            for (i, team, start) in weeks {
                w.push(&json!({
                    "escalation_policy": {"id": format!("EP-{team}"), "type": "escalation_policy_reference", "summary": team,
                        "self": format!("https://api.pagerduty.com/escalation_policies/EP-{team}")},
                    "escalation_level": 1,
                    "schedule": {"id": format!("S-{team}"), "type": "schedule_reference", "summary": format!("{team} primary"),
                        "self": format!("https://api.pagerduty.com/schedules/S-{team}")},
                    "user": {"id": format!("PU{i}"), "type": "user_reference", "summary": people[i].name,
                        "self": format!("https://api.pagerduty.com/users/PU{i}")},
                    "start": ts(start),
                    "end": ts(start + 7 * DAY),
                }))?;
            }
            w.finish()
        }
        Form::Canonical => {
            let path = out.join("on_call.csv");
            let mut w = csv::Writer::from_path(&path)?;
            w.write_record([
                "person_id",
                "schedule",
                "escalation_policy",
                "level",
                "started_at",
                "ended_at",
            ])?;
            for (i, team, start) in weeks {
                w.write_record([
                    people[i].email.as_str(),
                    &format!("{team} primary"),
                    team,
                    "1",
                    &ts(start),
                    &ts(start + 7 * DAY),
                ])?;
            }
            w.flush()?;
            Ok((path.clone(), std::fs::metadata(&path)?.len()))
        }
    }
}

/// The alert an incident followed.
struct Fired<'a> {
    i: usize,
    number: i64,
    service: &'a str,
    key: String,
    at: i64,
}

/// The alerts: each incident follows one, a minute before it started, keyed by its
/// title; and after every seventh incident its service's `flapping` alert fires three
/// times, six to eight hours later, opening no incident (PagerDuty suppresses it). As
/// PagerDuty's `/alerts` export or a canonical `alerts.csv`; no random draws.
fn write_alerts(out: &Path, fired: &[Fired], opts: &Options) -> Result<(PathBuf, u64)> {
    struct Alert<'a> {
        id: String,
        /// The incident it opened.
        of: Option<&'a Fired<'a>>,
        key: String,
        at: i64,
        service: &'a str,
    }
    let mut alerts = Vec::new();
    for f in fired {
        alerts.push(Alert {
            id: format!("A{}", f.i),
            of: Some(f),
            key: f.key.clone(),
            at: f.at - MINUTE,
            service: f.service,
        });
        if f.i % 7 == 6 {
            for k in 0..3 {
                alerts.push(Alert {
                    id: format!("A{}-{k}", f.i),
                    of: None,
                    key: format!("{}/flapping", f.service),
                    at: f.at + (6 + k) * HOUR,
                    service: f.service,
                });
            }
        }
    }
    match opts.form {
        Form::Vendor => {
            let path = out.join("pagerduty/alerts.json");
            let mut w = JsonArray::create(&path, "alerts", opts.shapes.layout)?;
            for a in alerts {
                w.push(&json!({
                    "id": a.id, "type": "alert", "summary": a.key, "status": "resolved",
                    "created_at": ts(a.at), "alert_key": a.key, "suppressed": a.of.is_none(),
                    "service": {"id": format!("S{}", a.service), "type": "service_reference", "summary": a.service},
                    "incident": a.of.map(|f| json!({"id": format!("Q{}", f.i), "type": "incident_reference"})),
                }))?;
            }
            w.finish()
        }
        Form::Canonical => {
            let path = out.join("alerts.csv");
            let mut w = csv::Writer::from_path(&path)?;
            w.write_record([
                "alert_id",
                "incident_id",
                "alert_key",
                "service",
                "created_at",
            ])?;
            for a in alerts {
                let incident = a.of.map(|f| format!("acme:{}", f.number));
                w.write_record([
                    a.id.as_str(),
                    incident.as_deref().unwrap_or(""),
                    &a.key,
                    a.service,
                    &ts(a.at),
                ])?;
            }
            w.flush()?;
            Ok((path.clone(), std::fs::metadata(&path)?.len()))
        }
    }
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
