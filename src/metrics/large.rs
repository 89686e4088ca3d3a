//! The large tables the metrics read (pages, participants, timeline events, chat), a
//! row group at a time on threads of their own beside the rest of [`Data::load`].

use super::data::ints;
use super::*;
use crate::store::Store;
use polars::prelude::*;

/// What [`Data::load`] reads on threads of its own, beside the smaller tables.
pub(super) struct Beside<'s> {
    pub(super) chat: std::thread::ScopedJoinHandle<'s, Result<Vec<Message>>>,
    pub(super) tables: std::thread::ScopedJoinHandle<'s, Result<LargeTables>>,
    pub(super) latest: std::thread::ScopedJoinHandle<'s, Result<Option<i64>>>,
}

/// Pages (with an incident), participants and timeline events.
pub(super) type LargeTables = (Vec<Page>, Vec<Participant>, Vec<Event>);

/// Reads [`LargeTables`] a row group at a time: a frame of a million rows is never whole.
pub(super) fn pages_participants_events(store: &Store) -> Result<LargeTables> {
    let mut names = Names::default();
    // Sized from the footers' row counts: a million rows are not copied as a vector grows.
    let mut pages = Vec::with_capacity(store.rows(Table::Pages)?);
    let columns = [
        col::INCIDENT_ID,
        col::PERSON_ID,
        col::SENT_AT,
        col::ACKNOWLEDGED_AT,
    ];
    store.batches(Table::Pages, &columns, &mut |df| {
        let (incidents, persons) = (
            names.column(df.column(col::INCIDENT_ID)?.str()?),
            names.column(df.column(col::PERSON_ID)?.str()?),
        );
        let (sent, acked) = (ints(df, col::SENT_AT)?, ints(df, col::ACKNOWLEDGED_AT)?);
        let rows = incidents
            .into_iter()
            .zip(persons)
            .zip(sent.into_iter().zip(acked));
        pages.extend(
            rows.filter_map(|((incident, person), (sent, acknowledged))| {
                Some(Page {
                    incident: incident?,
                    person,
                    sent,
                    acknowledged,
                })
            }),
        );
        Ok(())
    })?;
    let mut participants = Vec::with_capacity(store.rows(Table::Participants)?);
    let columns = [
        col::INCIDENT_ID,
        col::PERSON_ID,
        col::ROLE,
        col::FIRST_ACTIVE_AT,
        col::LAST_ACTIVE_AT,
    ];
    store.batches(Table::Participants, &columns, &mut |df| {
        let text = |c: &str| -> Result<&StringChunked> { Ok(df.column(c)?.str()?) };
        let rows = names
            .column(text(col::INCIDENT_ID)?)
            .into_iter()
            .zip(names.column(text(col::PERSON_ID)?))
            .zip(names.column(text(col::ROLE)?))
            .zip(ints(df, col::FIRST_ACTIVE_AT)?)
            .zip(ints(df, col::LAST_ACTIVE_AT)?);
        participants.extend(rows.filter_map(|((((i, p), r), first), last)| {
            Some(Participant {
                incident: i?,
                person: p?,
                role: r?,
                first,
                last,
            })
        }));
        Ok(())
    })?;
    let mut events = Vec::with_capacity(store.rows(Table::Events)?);
    store.batches(
        Table::Events,
        &[col::INCIDENT_ID, col::AT, col::KIND, col::PERSON_ID],
        &mut |df| {
            let rows = names
                .column(df.column(col::INCIDENT_ID)?.str()?)
                .into_iter()
                .zip(ints(df, col::AT)?)
                .zip(names.column(df.column(col::KIND)?.str()?))
                .zip(names.column(df.column(col::PERSON_ID)?.str()?));
            events.extend(rows.filter_map(|(((i, a), k), person)| {
                Some(Event {
                    incident: i?,
                    at: a?,
                    kind: k?,
                    person,
                })
            }));
            Ok(())
        },
    )?;
    Ok((pages, participants, events))
}

/// Who wrote in which incident's channel (see [`Message`]).
pub(super) fn chat_authors(store: &Store) -> Result<Vec<Message>> {
    // Every family asks of chat only who wrote what kind of message in which
    // incident: (incident, author) pairs, not millions of messages, read a row group
    // at a time. Messages come channel by channel, so the authors of one run of an
    // incident's messages are gathered in a small map. An incident whose messages
    // lie in several runs (two channels) has an entry per run: every reader counts
    // distinct pairs.
    let mut messages: Vec<Message> = Vec::new();
    let mut names = Names::default();
    // The run's authors, looked up by the row's text (a name is made once per run), with
    // whether they posted and when; and whether it had messages without an author.
    #[derive(Default)]
    struct Authors {
        named: hashbrown::HashMap<Name, (bool, Vec<i64>)>,
        anonymous: Option<bool>,
    }
    let mut authors = Authors::default();
    let mut run: Option<Name> = None;
    let mut flush =
        |run: &Option<Name>, authors: &mut Authors| {
            if let Some(incident) = run {
                let named = authors.named.drain().map(|(p, r)| (Some(p), r));
                let anonymous = authors.anonymous.take().map(|r| (None, (r, Vec::new())));
                messages.extend(named.chain(anonymous).map(|(person, (responded, posts))| {
                    Message {
                        incident: Some(incident.clone()),
                        person,
                        responded,
                        posts,
                    }
                }));
            }
        };
    let columns = [
        col::INCIDENT_ID,
        col::PERSON_ID,
        col::IS_BOT,
        col::SUBTYPE,
        col::AT,
    ];
    store.batches(Table::Messages, &columns, &mut |df| {
        let text = |c: &str| -> Result<&StringChunked> { Ok(df.column(c)?.str()?) };
        let (incidents, persons) = (text(col::INCIDENT_ID)?, text(col::PERSON_ID)?);
        let (bots, subtypes) = (df.column(col::IS_BOT)?.bool()?, text(col::SUBTYPE)?);
        let at = ints(df, col::AT)?;
        let rows = incidents
            .iter()
            .zip(persons.iter())
            .zip(bots.iter().zip(subtypes.iter()))
            .zip(at);
        for (((incident, person), (bot, subtype)), at) in rows {
            let Some(incident) = incident else {
                continue;
            };
            if run.as_deref() != Some(incident) {
                flush(&run, &mut authors);
                run = Some(names.of(incident));
            }
            let responded = !bot.unwrap_or(false)
                && subtype.is_none_or(|s| crate::refs::CONVERSATION.contains(&s));
            match person {
                Some(p) => {
                    let (r, posts) = match authors.named.get_mut(p) {
                        Some(entry) => entry,
                        None => authors.named.entry(names.of(p)).or_default(),
                    };
                    *r |= responded;
                    if let (true, Some(at)) = (responded, at) {
                        posts.push(at);
                    }
                }
                None => *authors.anonymous.get_or_insert(false) |= responded,
            }
        }
        Ok(())
    })?;
    flush(&run, &mut authors);
    Ok(messages)
}
