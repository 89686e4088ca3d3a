//! What a channel's messages say, read in slices and merged: who took part and when
//! (first and last message), which messages are status updates, with names interned so
//! that a million messages hold each name once.

use super::*;

/// Who wrote where in some messages: their distinct channels, and per channel, author
/// and source the first and last message and how many; the status updates (channel, at,
/// person, message id, source) in message order; the channels with any message. People,
/// channels and sources are few, messages many, so names are numbered, in the order
/// first seen, rather than copied per message.
#[derive(Default)]
pub(crate) struct Written {
    pub(super) channels: ChannelSet,
    pub(super) names: Interner,
    pub(super) with_messages: BTreeSet<u32>,
    pub(super) participation: hashbrown::HashMap<(u32, u32, u32), (i64, i64, i64)>,
    pub(super) updates: Vec<(u32, i64, u32, Option<String>, u32)>,
}

impl Written {
    /// The message columns [`Written::read`] reads.
    pub(super) const COLUMNS: [&'static str; 9] = [
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
    pub(super) fn read(df: &DataFrame, gather: bool) -> Result<Written> {
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
    pub(super) fn append(&mut self, later: Written) {
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
}
