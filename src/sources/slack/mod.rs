//! Slack workspace exports, as the unzipped folder or straight from the zip (entries
//! are streamed, never unpacked to disk).
//!
//! An export is one input: its `users.json` (and `org_users.json`) and `channels.json`
//! give the context its day files need. Input records are the users and the messages;
//! channel lists are context. Users become people (e-mail, name, IANA zone; bots get the
//! function `bot`); messages keep channel, time, author, thread, a bot flag, their subtype
//! (joins, topic changes, tombstones are not conversation), and whether they are status
//! updates by the configured marker. Text is kept only with `--keep-text`. Linking
//! channels to incidents happens over the whole store (`link.rs`), not here.

use super::json::{self, Get};
use super::{Context, Fault, FileError, Input, Source};
use crate::record::{Item, Problem, Record, Reject, Rejection, Row, Value};
use crate::schema::{cell, tables};
use compact_str::CompactStringExt;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

pub struct Slack;

pub const SOURCE: &str = "slack";

use crate::refs::CONVERSATION;

mod export;
mod message;
use export::*;
use message::*;

impl Source for Slack {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::Chat
    }

    fn describe(&self) -> &'static str {
        "Slack workspace export: the folder (with channels.json and users.json) or its zip"
    }

    fn reads_folder(&self, path: &Path) -> bool {
        is_export_dir(path)
    }

    fn detect(&self, input: &Input) -> bool {
        if input.is_dir {
            return is_export_dir(&input.path);
        }
        input.file_name().ends_with(".zip")
            && input.head.starts_with(b"PK")
            && zip_has_channels(&input.path)
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let mut export: Box<dyn Export> = if input.is_dir {
            Box::new(Folder::new(&input.path)?)
        } else {
            Box::new(Zipped::open(
                &input.path,
                ctx.config.slack.max_inflate_ratio,
                ctx.config.slack.max_inflate_bytes,
            )?)
        };
        for (member, reason) in export.refused() {
            emit(Item::Reject(Reject::new(
                member,
                Rejection::new(Problem::Refused, reason),
                "",
            )));
        }
        let mut reader = Reader {
            ctx,
            channels: HashMap::new(),
            bots: HashMap::new(),
        };
        // Context first: channel names by id, and which users are bots.
        for name in ["channels.json", "groups.json"] {
            if let Some(r) = export.open(name)? {
                let list: Json = serde_json::from_reader(r).map_err(|e| {
                    FileError::new(Fault::Syntax, name, format!("invalid JSON: {e}"))
                })?;
                for c in list.as_array().map_or(&[][..], Vec::as_slice) {
                    if let (Some(id), Some(n)) = (c.str_at("id"), c.str_at("name")) {
                        reader.channels.insert(n.to_string(), id.to_string());
                    }
                }
            }
        }
        for name in ["users.json", "org_users.json"] {
            if let Some(r) = export.open(name)? {
                // Each user as it is read: an enterprise workspace lists tens of thousands.
                let result = json::stream(r, &[], &[], &mut |path, u| {
                    if let Some(id) = u.str_at("id") {
                        let bot = u.get("is_bot").and_then(Json::as_bool).unwrap_or(false)
                            || id == "USLACKBOT";
                        reader.bots.insert(id.to_string(), bot);
                    }
                    emit(reader.user(&format!("{name}{}", &path[1..]), &u));
                });
                if let Err(e) = result {
                    emit(Item::Reject(Reject::new(
                        format!("{name}{}", &e.path[1..]),
                        Rejection::syntax(e.message),
                        "",
                    )));
                }
            }
        }
        // Day files, channel by channel, in name order (order within the store is by key).
        // This thread inflates them, a batch at a time; the batches are parsed on every
        // core and their records handed on in the order of the files.
        let reader = &reader;
        let mut days = export.day_files().into_iter();
        let mut failed = None;
        let batches = std::iter::from_fn(|| {
            let mut batch = Vec::new();
            let mut bytes = 0;
            while bytes < BATCH_BYTES && failed.is_none() {
                let Some((channel, day)) = days.next() else {
                    break;
                };
                let member = format!("{channel}/{day}");
                let content = match export.open(&member) {
                    Ok(Some(mut r)) => {
                        let mut content = Vec::new();
                        r.read_to_end(&mut content).map(|_| content).map_err(|e| {
                            Rejection::new(Problem::Unreadable, format!("cannot read: {e}"))
                        })
                    }
                    Ok(None) => continue,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                };
                bytes += content.as_ref().map_or(0, Vec::len);
                batch.push(DayFile {
                    member,
                    channel,
                    content,
                });
            }
            (!batch.is_empty()).then_some(batch)
        });
        crate::parallel::ordered_map(
            batches,
            crate::parallel::workers(),
            |batch: Vec<DayFile>| batch.iter().flat_map(|d| reader.day(d)).collect(),
            |items: Vec<Item>| items.into_iter().for_each(&mut *emit),
        );
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(Vec::new())
    }
}

struct Reader<'a> {
    ctx: &'a Context<'a>,
    /// Channel name → id.
    channels: HashMap<String, String>,
    /// User id → is a bot.
    bots: HashMap<String, bool>,
}

impl Reader<'_> {
    fn user(&self, location: &str, u: &Json) -> Item {
        let Some(id) = u.str_at("id") else {
            return Item::Reject(Reject::new(
                location,
                Rejection::missing("a user without 'id'"),
                &u.to_string(),
            ));
        };
        let email = u.str_at("profile.email");
        let name = u
            .str_at("profile.display_name")
            .or(u.str_at("profile.real_name"))
            .or(u.str_at("real_name"))
            .or(u.str_at("name"));
        let bot = self.bots.get(id).copied().unwrap_or(false);
        let mut row = super::person_row(format!("{SOURCE}:{id}"), email, name)
            .with(cell::FUNCTION, Value::opt_text(bot.then_some("bot")));
        if let Some(tz) = u.str_at("tz") {
            if crate::time::parse_zone(tz).is_ok() {
                row.set(cell::TIMEZONE, Value::text(tz));
            }
        }
        Item::Record(Record::new(location, vec![row.into()]))
    }

    /// The records of one day file, in order, with a reject for what cannot be read.
    fn day(&self, d: &DayFile) -> Vec<Item> {
        let bytes = match &d.content {
            Ok(bytes) => bytes,
            Err(why) => return vec![Item::Reject(Reject::new(&d.member, why.clone(), ""))],
        };
        let channel_id = self.channels.get(&d.channel).unwrap_or(&d.channel);
        let mut items = Vec::new();
        let result = json::slice_elements(bytes, MessageSeed, &mut |i, m| {
            let location = crate::record::element_at(&d.member, i);
            items.push(self.message(location, &d.channel, channel_id, &m));
        });
        match &result {
            // Not an array of messages at all: one reject for the file.
            Err(e) if e.path == "$" => {
                items.push(Item::Reject(Reject::new(
                    &d.member,
                    Rejection::syntax(e.message.clone()),
                    "",
                )));
                return items;
            }
            _ => {}
        }
        if let Err(e) = result {
            // Read on past the element that stopped the parser, each one on its own: a
            // bad message is one reject, and the day's other messages are read.
            let cut = json::elements_from(bytes, e.elements, &mut |i, element| {
                let location = crate::record::element_at(&d.member, i);
                let mut de = serde_json::Deserializer::from_slice(element);
                let read = MessageSeed
                    .deserialize(&mut de)
                    .and_then(|m| de.end().map(|()| m));
                items.push(match read {
                    Ok(m) => self.message(location, &d.channel, channel_id, &m),
                    Err(err) => Item::Reject(Reject::new(
                        location,
                        Rejection::syntax(format!(
                            "{}; the message is skipped",
                            json::describe(&err)
                        )),
                        &String::from_utf8_lossy(&element[..element.len().min(400)]),
                    )),
                });
            });
            if let Err((path, unread)) = cut {
                items.push(Item::Reject(Reject::cut(
                    format!("{}{}", d.member, &path[1..]),
                    &e.message,
                    unread,
                )));
            }
        }
        items
    }

    fn message(&self, location: String, channel: &str, channel_id: &str, m: &Message) -> Item {
        let Some(ts) = m.str(key::TS) else {
            return Item::Reject(Reject::new(
                location,
                Rejection::missing("a message without 'ts'"),
                &m.json().to_string(),
            ));
        };
        let Some(at) = slack_ts(ts) else {
            return Item::Reject(Reject::new(
                location,
                Rejection::invalid(format!(
                    "ts: expected epoch seconds such as 1736478630.905399, found '{ts}'"
                )),
                &m.json().to_string(),
            ));
        };
        let subtype = m.str(key::SUBTYPE);
        let user = m.str(key::USER);
        let is_bot = subtype == Some("bot_message")
            || m.non_null(key::BOT_ID)
            || m.present(key::BOT_PROFILE)
            || user.is_some_and(|u| self.bots.get(u).copied().unwrap_or(false));
        let thread = m.str(key::THREAD_TS).filter(|t| *t != ts);
        let text = m.str(key::TEXT).unwrap_or("");
        let conversation = subtype.is_none_or(|s| CONVERSATION.contains(&s));
        let status_update = conversation && !is_bot && self.ctx.config.chat.is_status_update(text);
        let row = Row::of(tables::Messages)
            .with(
                cell::MESSAGE_ID,
                Value::text([SOURCE, channel_id, ts].join_compact(":")),
            )
            .with(cell::CHANNEL_ID, Value::text(channel_id))
            .with(cell::CHANNEL_NAME, Value::text(channel))
            .with(cell::AT, Value::Ts(at))
            .with(
                cell::PERSON_ID,
                Value::opt_text(user.map(|u| [SOURCE, u].join_compact(":"))),
            )
            .with(
                cell::THREAD_ID,
                Value::opt_text(thread.map(|t| [SOURCE, channel_id, t].join_compact(":"))),
            )
            .with(cell::IS_BOT, Value::Bool(is_bot))
            .with(cell::SUBTYPE, Value::opt_text(subtype))
            .with(cell::STATUS_UPDATE, Value::Bool(status_update))
            .with(
                cell::TEXT,
                if self.ctx.keep_text {
                    Value::text(text)
                } else {
                    Value::Null
                },
            )
            .with(cell::SOURCE, Value::text(SOURCE));
        Item::Record(Record::new(location, vec![row.into()]))
    }
}

/// A Slack `ts` ("1736478630.905399") as microseconds.
fn slack_ts(ts: &str) -> Option<i64> {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, "0"));
    let secs: i64 = secs.parse().ok()?;
    // The first six characters of the fraction, as if padded with zeros to six.
    let cut = frac.char_indices().nth(6).map_or(frac.len(), |(i, _)| i);
    let digits = &frac[..cut];
    let micros: i64 = match digits {
        "" | "+" | "-" => 0,
        _ => digits.parse::<i64>().ok()? * 10i64.pow(6 - digits.chars().count() as u32),
    };
    let t = secs.checked_mul(1_000_000)?.checked_add(micros)?;
    (t > 0).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::col;

    #[test]
    fn an_export_zipped_again_inside_its_folder_is_found() {
        let root = export_root;
        assert_eq!(
            root(&["channels.json", "users.json", "general/2016-01-05.json"]),
            Some(String::new())
        );
        assert_eq!(
            root(&[
                "acme export/",
                "acme export/channels.json",
                "acme export/users.json",
                "acme export/general/2016-01-05.json",
            ]),
            Some("acme export/".to_string())
        );
        // Two folders, or the export deeper than one folder: not an export here.
        assert_eq!(root(&["a/channels.json", "b/users.json"]), None);
        assert_eq!(root(&["a/b/channels.json", "a/b/users.json"]), None);
        assert_eq!(root(&["users.json"]), None);
    }

    #[test]
    fn slack_timestamps() {
        assert_eq!(slack_ts("1736478630.905399"), Some(1_736_478_630_905_399));
        assert_eq!(slack_ts("1434000000.1"), Some(1_434_000_000_100_000));
        assert_eq!(slack_ts("yesterday"), None);
        assert_eq!(slack_ts("1434000000"), Some(1_434_000_000_000_000));
        assert_eq!(slack_ts("1434000000."), Some(1_434_000_000_000_000));
        // Digits past the sixth are dropped, not rounded.
        assert_eq!(slack_ts("1434000000.1234567"), Some(1_434_000_000_123_456));
        // What a padded fraction reads as: a sign alone is zero, a signed fraction
        // counts, anything else is no timestamp.
        assert_eq!(slack_ts("1434000000.+"), Some(1_434_000_000_000_000));
        assert_eq!(slack_ts("1434000000.+12"), Some(1_434_000_000_012_000));
        assert_eq!(slack_ts("1434000000.-12"), Some(1_433_999_999_988_000));
        assert_eq!(slack_ts("1434000000.1e"), None);
        assert_eq!(slack_ts("1434000000.é"), None);
        assert_eq!(slack_ts("-5.0"), None);
        assert_eq!(slack_ts("99999999999999.0"), None);
    }

    fn day(content: &[u8]) -> Vec<Item> {
        let config = crate::config::Config::default();
        let ctx = Context {
            keep_text: true,
            ..Context::plain(&config)
        };
        let reader = Reader {
            ctx: &ctx,
            channels: HashMap::from([("inc-7".to_string(), "C7".to_string())]),
            bots: HashMap::from([("UBOT".to_string(), true)]),
        };
        reader.day(&DayFile {
            member: "inc-7/2024-01-02.json".into(),
            channel: "inc-7".into(),
            content: Ok(content.to_vec()),
        })
    }

    fn cell<'i>(item: &'i Item, column: &str) -> &'i Value {
        match item {
            Item::Record(r) => r.rows[0].get(column),
            other => panic!("not a record: {other:?}"),
        }
    }

    fn reject(item: &Item) -> (&str, &str, &str) {
        match item {
            Item::Reject(r) => (&r.location, &r.reason, &r.excerpt),
            other => panic!("not a reject: {other:?}"),
        }
    }

    #[test]
    fn messages_read_as_the_json_says() {
        let items = day(br#"[
            {"ts": "1704186000.000100", "user": "U1", "text": "UPDATE: \u00c9tat stable",
             "blocks": [{"type": "rich_text", "elements": [{"text": "x"}]}], "user": "U2"},
            {"ts": "1704186060.5", "thread_ts": "1704186000.000100", "bot_id": null},
            {"ts": "1704186070.5", "bot_profile": null, "text": "update: from a bot"},
            {"ts": "1704186080.5", "user": "UBOT", "subtype": "channel_join", "text": 7},
            {"user": "U1", "text": "no ts", "reactions": [1, 2]},
            {"ts": 1704186090, "user": "U1"},
            {"ts": "yesterday", "text": "late"},
            42
        ]"#);
        assert_eq!(items.len(), 8);
        // Escaped text is read (the status marker matched whatever its case); of a
        // repeated key the last counts; what is not kept is skipped.
        assert_eq!(
            cell(&items[0], col::MESSAGE_ID),
            &Value::text("slack:C7:1704186000.000100")
        );
        assert_eq!(cell(&items[0], col::CHANNEL_NAME), &Value::text("inc-7"));
        assert_eq!(cell(&items[0], col::PERSON_ID), &Value::text("slack:U2"));
        assert_eq!(
            cell(&items[0], col::TEXT),
            &Value::text("UPDATE: État stable")
        );
        assert_eq!(cell(&items[0], col::STATUS_UPDATE), &Value::Bool(true));
        assert_eq!(cell(&items[0], col::AT), &Value::Ts(1_704_186_000_000_100));
        assert_eq!(cell(&items[0], col::THREAD_ID), &Value::Null);
        // A null bot id is no bot id; a bot profile, even null, is a bot.
        assert_eq!(
            cell(&items[1], col::THREAD_ID),
            &Value::text("slack:C7:1704186000.000100")
        );
        assert_eq!(cell(&items[1], col::IS_BOT), &Value::Bool(false));
        assert_eq!(cell(&items[2], col::IS_BOT), &Value::Bool(true));
        assert_eq!(cell(&items[2], col::STATUS_UPDATE), &Value::Bool(false));
        // A known bot user; a text that is not a string is no text.
        assert_eq!(cell(&items[3], col::IS_BOT), &Value::Bool(true));
        assert_eq!(cell(&items[3], col::SUBTYPE), &Value::text("channel_join"));
        assert_eq!(cell(&items[3], col::TEXT), &Value::Null);
        // Rejects name the element and show the fields read, in their order.
        assert_eq!(
            reject(&items[4]),
            (
                "inc-7/2024-01-02.json[4]",
                "a message without 'ts'",
                r#"{"user":"U1","text":"no ts"}"#
            )
        );
        assert_eq!(
            reject(&items[5]),
            (
                "inc-7/2024-01-02.json[5]",
                "a message without 'ts'",
                r#"{"ts":1704186090,"user":"U1"}"#
            )
        );
        assert_eq!(
            reject(&items[6]),
            (
                "inc-7/2024-01-02.json[6]",
                "ts: expected epoch seconds such as 1736478630.905399, found 'yesterday'",
                r#"{"ts":"yesterday","text":"late"}"#
            )
        );
        assert_eq!(
            reject(&items[7]),
            ("inc-7/2024-01-02.json[7]", "a message without 'ts'", "42")
        );
    }

    #[test]
    fn a_cut_day_file_keeps_what_came_before() {
        let items = day(b"[{\"ts\": \"1704186000.1\"}, {\"ts\": \"17041");
        assert_eq!(items.len(), 2);
        assert_eq!(cell(&items[0], col::AT), &Value::Ts(1_704_186_000_100_000));
        let (location, reason, _) = reject(&items[1]);
        assert_eq!(location, "inc-7/2024-01-02.json[1]");
        // Cut off: the reject says how much of the day file was not read.
        assert_eq!(
            reason,
            "expected more JSON, found the end of the file (truncated?) at line 1 column 38; \
             reading stopped here and the rest of the file (13 bytes) was not read"
        );
        // Not JSON at all: one reject for the file, at its top.
        let items = day(b"<html>");
        assert_eq!(reject(&items[0]).0, "inc-7/2024-01-02.json");
    }

    #[test]
    fn day_files() {
        assert!(is_day_file("2016-01-05.json"));
        assert!(!is_day_file("channels.json"));
    }
}
