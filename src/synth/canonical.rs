//! The same organisation as canonical CSV tables, written from what was drawn.

use super::*;

/// The same organisation as canonical tables (CSV), written from what the generator drew
/// and not from the vendor files: what the vendor adapters and linking must arrive at.
/// People are named by e-mail, so no alias has to be resolved; the incident channel's
/// messages, its authors and its status updates, the status page's incident and its
/// updates, the tickets' incidents are all stated rather than derived.
pub(crate) struct Canonical {
    pub(crate) tables: Vec<(PathBuf, csv::Writer<std::fs::File>)>,
}

/// The canonical files, in the order of [`Canonical::tables`].
pub(crate) const CANONICAL: [(&str, &[&str]); 9] = [
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
    // A postmortem's component, as Jira's `Component/s` gives it.
    ("retro_tags.csv", &["retro_id", "tag", "value"]),
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

pub(crate) const INCIDENTS: usize = 0;
pub(crate) const SERVICES: usize = 1;
pub(crate) const PARTICIPANTS: usize = 2;
pub(crate) const PAGES: usize = 3;
pub(crate) const EVENTS: usize = 4;
pub(crate) const MESSAGES: usize = 5;
pub(crate) const RETROS: usize = 6;
pub(crate) const RETRO_TAGS: usize = 7;
pub(crate) const ACTION_ITEMS: usize = 8;

impl Canonical {
    pub(crate) fn create(out: &Path) -> Result<Canonical> {
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

    pub(crate) fn row(&mut self, table: usize, cells: &[&str]) -> Result<()> {
        Ok(self.tables[table].1.write_record(cells)?)
    }
}

impl Canonical {
    /// The pager's story: declared, paged, acknowledged (each page the acknowledger had
    /// received by then), resolved.
    fn story(&mut self, inc: &Incident, id: &str) -> Result<()> {
        let resolved = ts(inc.resolved);
        let started = ts(inc.started);
        let acker = inc.responders[0];
        self.row(EVENTS, &[id, "declared", &started, "declared", ""])?;
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
                    id,
                    &inc.service.name,
                    &page.who.email,
                    &sent,
                    &acked,
                    page.channel,
                    inc.urgency(),
                ],
            )?;
            self.row(EVENTS, &[id, &page_id, &sent, "paged", &page.who.email])?;
        }
        self.row(
            EVENTS,
            &[
                id,
                "acknowledged",
                &ts(inc.acked),
                "acknowledged",
                &acker.email,
            ],
        )?;
        self.row(
            EVENTS,
            &[id, "resolved", &resolved, "resolved", &acker.email],
        )?;
        Ok(())
    }

    /// Who took part: the acknowledger, and whoever wrote in the channel.
    fn took_part(&mut self, inc: &Incident, id: &str) -> Result<()> {
        let acker = inc.responders[0];
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
                &[id, person, "responder", &ts(first), &ts(last), &messages],
            )?;
        }
        Ok(())
    }

    /// The incident channel, and the status updates posted in it.
    fn channel(&mut self, inc: &Incident, id: &str) -> Result<()> {
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
                    id,
                    &at,
                    person,
                    bot,
                    subtype,
                    if m.update { "true" } else { "false" },
                ],
            )?;
            if m.update {
                self.row(EVENTS, &[id, &message_id, &at, "status_update", person])?;
            }
        }
        Ok(())
    }

    /// The retro and the follow-ups.
    fn follow_ups(&mut self, inc: &Incident, id: &str) -> Result<()> {
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
                    id,
                    &format!("Postmortem: {}", inc.title),
                    &held,
                    status,
                    &updated,
                ],
            )?;
            self.row(
                RETRO_TAGS,
                &[&format!("{id}:retro"), "component", inc.service.team],
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
                    id,
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
        Ok(())
    }

    /// The status page's own incident, the same incident seen by customers.
    fn public(&mut self, inc: &Incident, severity: &str) -> Result<()> {
        let (started, resolved) = (ts(inc.started), ts(inc.resolved));
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
                    severity,
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
}

impl Render for Canonical {
    fn incident(&mut self, inc: &Incident, _: &[Person]) -> Result<()> {
        let id = format!("acme:{}", inc.number);
        let severity = inc.sev.map(|s| format!("SEV{s}")).unwrap_or_default();
        let (started, resolved) = (ts(inc.started), ts(inc.resolved));
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
        self.story(inc, &id)?;
        self.took_part(inc, &id)?;
        self.channel(inc, &id)?;
        self.follow_ups(inc, &id)?;
        self.public(inc, &severity)
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
