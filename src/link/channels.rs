//! Chat channels to their incidents: channel names by the incident convention and
//! explicit channel claims, resolved to the primary incident; then the channel's
//! messages linked, their authors' participation and the status updates derived.

use super::*;

/// Explicit channel claims: channel key (`slack:C…`) → incident.
pub(crate) fn claims(links: &DataFrame) -> Result<BTreeMap<String, String>> {
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

pub(crate) fn relink_channels(
    writer: &mut Writer,
    incidents: &Incidents,
    links: &DataFrame,
    report: &mut Report,
) -> Result<()> {
    // Without incidents no channel links: the channels are all that is read then.
    let written = who_wrote_where(writer, !incidents.is_empty())?;
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
    status_updates(writer, report, updates, &target_of, &names)?;
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
    chat_participants(writer, report, participation, &target_of, &names)?;
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

/// One pass over the messages, a part at a time, each part read in slices on every
/// core: the distinct channels, and (with `gather`) who wrote in each channel, when,
/// how often. Which channel is which incident's is known only once every channel is.
fn who_wrote_where(writer: &mut Writer, gather: bool) -> Result<Written> {
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
    Ok(written)
}

/// The status updates posted in incident channels, as the incidents' events.
fn status_updates(
    writer: &mut Writer,
    report: &mut Report,
    updates: Vec<(u32, i64, u32, Option<String>, u32)>,
    target_of: &[Option<u32>],
    names: &Interner,
) -> Result<()> {
    for (ch, at, person, id, source) in updates {
        let Some(target) = target_of[ch as usize] else {
            continue;
        };
        let event = Row::of(tables::Events)
            .with(cell::INCIDENT_ID, Value::text(names.name(target)))
            .with(cell::EVENT_ID, Value::opt_text(id.as_deref()))
            .with(cell::AT, Value::Ts(at))
            .with(cell::KIND, Value::text("status_update"))
            .with(cell::PERSON_ID, Value::text(names.name(person)))
            .with(cell::DETAIL, Value::opt_text(id))
            .with(cell::SOURCE, Value::text(names.name(source)));
        put_derived(writer, report, event)?;
    }
    Ok(())
}

/// A person's activity in an incident, over every channel that is the incident's: a
/// participant row per incident, person and source, with their first and last message
/// and how many.
fn chat_participants(
    writer: &mut Writer,
    report: &mut Report,
    participation: hashbrown::HashMap<(u32, u32, u32), (i64, i64, i64)>,
    target_of: &[Option<u32>],
    names: &Interner,
) -> Result<()> {
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
        let p = crate::rows::responder_row(incident, person, Some(first), Some(last), source)
            .with(cell::MESSAGES, Value::Int(count));
        put_derived(writer, report, p)?;
    }
    Ok(())
}

/// The distinct chat channels of messages read a part at a time: (source, channel id,
/// channel name), in the order first seen.
#[derive(Default)]
pub struct ChannelSet {
    seen: HashSet<[Option<String>; 3]>,
    pub(super) distinct: Vec<[Option<String>; 3]>,
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
    pub(super) fn extend(&mut self, later: ChannelSet) {
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
