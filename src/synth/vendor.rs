//! The organisation in the vendors' formats: PagerDuty incidents with log entries and
//! users, a Slack export zip, Jira search JSON, a Statuspage export, a roster and a
//! catalog.

use super::*;

/// The vendors' export formats: PagerDuty incidents with their log entries and users, a
/// Slack export zip, Jira search JSON, a Statuspage `incidents.json`.
pub(crate) struct Vendor {
    pub(crate) out: PathBuf,
    pub(crate) shapes: Shapes,
    pub(crate) pd: JsonArray,
    pub(crate) log: LogOut,
    pub(crate) jira: JiraOut,
    pub(crate) status: JsonArray,
    pub(crate) slack: Slack,
    also: Platforms,
}

/// Where PagerDuty's log entries are being written.
pub(crate) enum LogOut {
    /// In their incidents.
    Embedded,
    /// One `/incidents/{id}/log_entries` file per incident.
    PerIncident,
    /// One account-wide `/log_entries` file, oldest first: entries wait, serialised,
    /// until no incident drawn later can have an earlier one.
    Global {
        file: JsonArray,
        waiting: InOrder<Vec<u8>>,
    },
}

impl Vendor {
    pub(crate) fn create(out: &Path, shapes: Shapes) -> Result<Vendor> {
        for d in ["pagerduty", "slack", "jira", "statuspage"] {
            std::fs::create_dir_all(out.join(d))?;
        }
        let layout = shapes.layout;
        let log = match shapes.pagerduty_log {
            PagerLog::Embedded => LogOut::Embedded,
            PagerLog::PerIncident => {
                std::fs::create_dir_all(out.join("pagerduty/log_entries"))?;
                LogOut::PerIncident
            }
            PagerLog::Global => LogOut::Global {
                file: JsonArray::create(
                    &out.join("pagerduty/log_entries.json"),
                    "log_entries",
                    layout,
                )?,
                waiting: InOrder::default(),
            },
        };
        Ok(Vendor {
            out: out.to_path_buf(),
            shapes,
            pd: JsonArray::create(&out.join("pagerduty/incidents.json"), "incidents", layout)?,
            log,
            jira: JiraOut::create(out, shapes.tickets, layout)?,
            status: JsonArray::create(&out.join("statuspage/incidents.json"), "incidents", layout)?,
            slack: Slack::create(&out.join("slack/export.zip"))?,
            also: Platforms::create(out, shapes.also, layout)?,
        })
    }

    /// Writes an incident's log entries where the shape puts them; what goes into the
    /// incident itself.
    fn log_entries(&mut self, i: usize, started: i64, log: Vec<(i64, Value)>) -> Result<Value> {
        match &mut self.log {
            LogOut::Embedded => return Ok(Value::Array(log.into_iter().map(|(_, e)| e).collect())),
            LogOut::PerIncident => {
                // As the API lists them: newest first.
                let path = self.out.join(format!("pagerduty/log_entries/Q{i}.json"));
                let mut file = JsonArray::create(&path, "log_entries", self.shapes.layout)?;
                for (_, e) in log.iter().rev() {
                    file.push(e)?;
                }
                file.finish()?;
            }
            LogOut::Global { file, waiting } => {
                // Incidents are drawn in order of their start: whatever waits from
                // before this one's start can be written.
                while let Some(bytes) = waiting.next_before(Some(started)) {
                    file.push_raw(&bytes)?;
                }
                for (at, e) in log {
                    waiting.push(at, serde_json::to_vec(&e)?);
                }
            }
        }
        Ok(Value::Null)
    }

    fn finish_log(log: LogOut, out: &Path) -> Result<Vec<(PathBuf, u64)>> {
        Ok(match log {
            LogOut::Embedded => Vec::new(),
            LogOut::PerIncident => {
                let dir = out.join("pagerduty/log_entries");
                let bytes = std::fs::read_dir(&dir)?
                    .map(|e| Ok(e?.metadata()?.len()))
                    .sum::<Result<u64>>()?;
                vec![(dir, bytes)]
            }
            LogOut::Global {
                mut file,
                mut waiting,
            } => {
                while let Some(bytes) = waiting.next_before(None) {
                    file.push_raw(&bytes)?;
                }
                vec![file.finish()?]
            }
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
            resolved,
            ref responders,
            ..
        } = *inc;
        let acker = responders[0];
        let log = log_entries(inc, people);
        let log = self.log_entries(i, t, log)?;
        let url = format!("https://acme.pagerduty.com/incidents/Q{i}");
        let mut incident = json!({"id": format!("Q{i}"), "type": "incident", "incident_number": number,
            "title": title, "summary": format!("[#{number}] {title}"), "status": "resolved", "urgency": inc.urgency(),
            "created_at": ts(t), "updated_at": ts(resolved), "resolved_at": ts(resolved), "html_url": url,
            "self": format!("https://api.pagerduty.com/incidents/Q{i}"),
            "service": {"id": format!("S{}", service.name), "type": "service_reference", "summary": service.name},
            "escalation_policy": {"id": "EP1", "type": "escalation_policy_reference", "summary": "Default"},
            "priority": sev.map(|s| json!({"type": "priority_reference", "summary": format!("P{s}")})),
            "teams": [{"id": service.team, "type": "team_reference", "summary": service.team}],
            "assignments": [], "acknowledgements": []});
        if !log.is_null() {
            incident["log_entries"] = log;
        }
        self.pd.push(&incident)?;
        self.also.incident(inc, people)?;
        let msgs: Vec<(i64, String, &str, bool)> = inc
            .messages
            .iter()
            .map(|m| (m.at, slack_id(people, m.who), m.text.as_str(), m.bot))
            .collect();
        self.slack.channel(i, &inc.channel(), t, &msgs, people)?;
        if let Some(retro) = &inc.retro {
            self.jira.push(&JiraIssue {
                key: format!("PM-{i}"),
                kind: "Postmortem",
                summary: format!("Postmortem: {title}"),
                incident: number,
                created: retro.created,
                completed: retro.held,
                dropped: false,
                owner: Some(acker),
                team: service.team,
            })?;
        }
        for (k, f) in inc.follow_ups.iter().enumerate() {
            self.jira.push(&JiraIssue {
                key: format!("FU-{i}-{k}"),
                kind: "Task",
                summary: format!("Follow-up {k} of {title}"),
                incident: number,
                created: f.created,
                completed: f.completed,
                dropped: f.dropped,
                owner: f.owner,
                team: service.team,
            })?;
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
        let mut files = vec![self.pd.finish()?];
        files.extend(Vendor::finish_log(self.log, &self.out)?);
        files.extend([
            self.jira.finish()?,
            self.status.finish()?,
            self.slack.finish(people)?,
            write_users(&self.out, people, self.shapes.layout)?,
        ]);
        files.extend(self.also.finish()?);
        Ok(files)
    }
}

/// An incident's PagerDuty log entries with their times, oldest first, as the API
/// writes them: each names its incident, service and teams.
fn log_entries(inc: &Incident, people: &[Person]) -> Vec<(i64, Value)> {
    let (i, service) = (inc.i, inc.service);
    let acker = inc.responders[0];
    let user = |p: &Person| {
        json!({"id": pd_id(people, p), "type": "user_reference", "summary": p.name,
            "self": format!("https://api.pagerduty.com/users/{}", pd_id(people, p)),
            "html_url": format!("https://acme.pagerduty.com/users/{}", pd_id(people, p))})
    };
    let entry = |id: String, kind: &str, at: i64, summary: String| {
        json!({"id": id, "type": kind, "summary": summary, "created_at": ts(at),
            "self": format!("https://api.pagerduty.com/log_entries/{id}"),
            "html_url": format!("https://acme.pagerduty.com/incidents/Q{i}/log_entries/{id}"),
            "incident": {"id": format!("Q{i}"), "type": "incident_reference",
                "summary": format!("[#{}] {}", inc.number, inc.title),
                "self": format!("https://api.pagerduty.com/incidents/Q{i}"),
                "html_url": format!("https://acme.pagerduty.com/incidents/Q{i}")},
            "service": {"id": format!("S{}", service.name), "type": "service_reference", "summary": service.name},
            "teams": [{"id": service.team, "type": "team_reference", "summary": service.team}],
            "contexts": []})
    };
    let mut trigger = entry(
        format!("T{i}"),
        "trigger_log_entry",
        inc.started,
        "Triggered through the API.".into(),
    );
    trigger["agent"] = json!({"id": format!("S{}", service.name), "type": "service_reference", "summary": service.name});
    trigger["channel"] = json!({"type": "api", "summary": inc.title, "details": {}});
    let mut log = vec![(inc.started, trigger)];
    for (k, page) in inc.pages.iter().enumerate() {
        let who = page.who;
        let mut e = entry(
            format!("N{i}-{k}"),
            "notify_log_entry",
            page.at,
            format!("Notified {} by {}.", who.name, page.channel),
        );
        e["user"] = user(who);
        e["channel"] =
            json!({"type": "auto", "notification": {"type": page.channel, "address": "redacted"}});
        log.push((page.at, e));
    }
    for (id, kind, at, verb) in [
        (
            format!("A{i}"),
            "acknowledge_log_entry",
            inc.acked,
            "Acknowledged",
        ),
        (
            format!("R{i}"),
            "resolve_log_entry",
            inc.resolved,
            "Resolved",
        ),
    ] {
        let mut e = entry(id, kind, at, format!("{verb} by {}.", acker.name));
        e["agent"] = user(acker);
        e["channel"] = json!({"type": "web_ui"});
        log.push((at, e));
    }
    log
}

pub(crate) fn index_of(people: &[Person], p: &Person) -> usize {
    people.iter().position(|x| x.email == p.email).unwrap_or(0)
}

pub(crate) fn pd_id(people: &[Person], p: &Person) -> String {
    format!("PU{}", index_of(people, p))
}

pub(crate) fn slack_id(people: &[Person], p: &Person) -> String {
    format!("U{}", index_of(people, p))
}

/// A Jira issue as the generator drew it.
pub(crate) struct JiraIssue<'a> {
    pub(crate) key: String,
    pub(crate) kind: &'static str,
    pub(crate) summary: String,
    pub(crate) incident: i64,
    pub(crate) created: i64,
    pub(crate) completed: Option<i64>,
    /// Closed without being done.
    pub(crate) dropped: bool,
    pub(crate) owner: Option<&'a Person>,
    pub(crate) team: &'static str,
}

/// The columns of Jira's CSV export that synth writes (a subset, in its order).
const JIRA_CSV: [&str; 15] = [
    "Summary",
    "Issue key",
    "Issue id",
    "Issue Type",
    "Status",
    "Status Category",
    "Resolution",
    "Assignee",
    "Assignee Id",
    "Created",
    "Updated",
    "Resolved",
    "Labels",
    "Component/s",
    "Description",
];

impl JiraIssue<'_> {
    fn resolution(&self) -> &'static str {
        if self.dropped {
            "Won't Do"
        } else {
            "Done"
        }
    }

    /// In the search API's JSON, with its changelog: the move into Done (or Won't Do)
    /// when completed.
    fn json(&self) -> Value {
        let key = &self.key;
        let (status, histories) = match self.completed {
            Some(at) => (
                json!({"id": "10001", "name": "Done", "statusCategory": {"key": "done"}}),
                json!([{"id": format!("H{key}"), "created": ts(at), "items": [
                    {"field": "resolution", "from": null, "to": "1", "toString": self.resolution()},
                    {"field": "status", "from": "3", "fromString": "In Progress", "to": "10001", "toString": "Done"}]}]),
            ),
            None => (
                json!({"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}}),
                json!([]),
            ),
        };
        json!({"id": key, "key": key, "self": format!("https://acme.atlassian.net/rest/api/2/issue/{key}"),
            "fields": {"summary": self.summary, "issuetype": {"name": self.kind}, "status": status,
                "resolution": self.completed.map(|_| json!({"name": self.resolution()})),
                "resolutiondate": self.completed.map(ts), "created": ts(self.created),
                "updated": ts(self.completed.unwrap_or(self.created)),
                "labels": [format!("inc-{}", self.incident)], "components": [{"name": self.team}],
                "assignee": self.owner.map(|p| json!({"accountId": format!("acc-{}", p.email), "displayName": p.name,
                    "emailAddress": p.email, "timeZone": p.zone}))},
            "changelog": {"histories": histories}})
    }

    /// A row of the CSV export ("Export Excel CSV"), dates in Jira's default layout
    /// (`17/Jul/25 10:44 AM`, minutes only, the exporting user's zone: UTC here).
    fn csv_row(&self) -> [String; 15] {
        let date = |t: i64| {
            chrono::DateTime::from_timestamp_micros(t)
                .map(|d| d.format("%d/%b/%y %-I:%M %p").to_string())
                .unwrap_or_default()
        };
        let done = self.completed.is_some();
        [
            self.summary.clone(),
            self.key.clone(),
            self.key.clone(),
            self.kind.to_string(),
            if done { "Done" } else { "In Progress" }.to_string(),
            if done { "Done" } else { "In Progress" }.to_string(),
            if done { self.resolution() } else { "" }.to_string(),
            self.owner.map(|p| p.name.clone()).unwrap_or_default(),
            self.owner
                .map(|p| format!("acc-{}", p.email))
                .unwrap_or_default(),
            date(self.created),
            date(self.completed.unwrap_or(self.created)),
            self.completed.map(date).unwrap_or_default(),
            format!("inc-{}", self.incident),
            self.team.to_string(),
            String::new(),
        ]
    }
}

/// Where Jira's issues are being written.
pub(crate) enum JiraOut {
    Json(JsonArray),
    Csv(PathBuf, Box<CsvOut>),
}

impl JiraOut {
    fn create(out: &Path, tickets: Tickets, layout: Layout) -> Result<JiraOut> {
        Ok(match tickets {
            Tickets::JiraJson => JiraOut::Json(JsonArray::create(
                &out.join("jira/search.json"),
                "issues",
                layout,
            )?),
            Tickets::JiraCsv => {
                let path = out.join("jira/issues.csv");
                let mut w = csv_file(&path, csv::QuoteStyle::Necessary)?;
                w.write_record(JIRA_CSV)?;
                JiraOut::Csv(path, Box::new(w))
            }
        })
    }

    fn push(&mut self, issue: &JiraIssue) -> Result<()> {
        match self {
            JiraOut::Json(a) => a.push(&issue.json()),
            JiraOut::Csv(_, w) => Ok(w.write_record(issue.csv_row())?),
        }
    }

    fn finish(self) -> Result<(PathBuf, u64)> {
        match self {
            JiraOut::Json(a) => a.finish(),
            JiraOut::Csv(path, w) => finish_csv(path, *w),
        }
    }
}

/// A Slack workspace export, written into a zip channel by channel.
pub(crate) struct Slack {
    pub(crate) path: PathBuf,
    pub(crate) zip: zip::ZipWriter<BufWriter<std::fs::File>>,
    pub(crate) channels: Vec<Value>,
}

impl Slack {
    pub(crate) fn create(path: &Path) -> Result<Slack> {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Slack {
            path: path.to_path_buf(),
            zip: zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, file)),
            channels: Vec::new(),
        })
    }

    pub(crate) fn options() -> zip::write::SimpleFileOptions {
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
    }

    /// One channel's day files (cut at 08:00 UTC, Pacific midnight, as real exports are).
    pub(crate) fn channel(
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

    pub(crate) fn finish(mut self, people: &[Person]) -> Result<(PathBuf, u64)> {
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
