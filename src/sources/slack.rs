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
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Record, Reject, Row, Value};
use crate::schema::{col, Table};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

pub struct Slack;

pub const SOURCE: &str = "slack";

use crate::link::CONVERSATION;

impl Source for Slack {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn describe(&self) -> &'static str {
        "Slack workspace export: the folder (with channels.json and users.json) or its zip"
    }

    fn detect(&self, input: &Input) -> bool {
        if input.path.is_dir() {
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
        let mut export: Box<dyn Export> = if input.path.is_dir() {
            Box::new(Folder::new(&input.path)?)
        } else {
            Box::new(Zipped::open(
                &input.path,
                ctx.config.slack.max_inflate_ratio,
                ctx.config.slack.max_inflate_bytes,
            )?)
        };
        for (member, reason) in export.refused() {
            emit(Item::Reject(Reject::new(member, reason, "")));
        }
        let mut reader = Reader {
            ctx,
            channels: HashMap::new(),
            bots: HashMap::new(),
        };
        // Context first: channel names by id, and which users are bots.
        for name in ["channels.json", "groups.json"] {
            if let Some(r) = export.open(name)? {
                let list: Json = serde_json::from_reader(r)
                    .map_err(|e| FileError::new(name, format!("invalid JSON: {e}")))?;
                for c in list.as_array().map_or(&[][..], Vec::as_slice) {
                    if let (Some(id), Some(n)) = (c.str_at("id"), c.str_at("name")) {
                        reader.channels.insert(n.to_string(), id.to_string());
                    }
                }
            }
        }
        for name in ["users.json", "org_users.json"] {
            if let Some(r) = export.open(name)? {
                let mut users = Vec::new();
                let result = json::stream(r, &[], &mut |path, v| users.push((path, v)));
                for (path, u) in &users {
                    if let Some(id) = u.str_at("id") {
                        let bot = u.get("is_bot").and_then(Json::as_bool).unwrap_or(false)
                            || id == "USLACKBOT";
                        reader.bots.insert(id.to_string(), bot);
                    }
                    emit(reader.user(&format!("{name}{}", &path[1..]), u));
                }
                if let Err(e) = result {
                    emit(Item::Reject(Reject::new(
                        format!("{name}{}", &e.path[1..]),
                        e.message,
                        "",
                    )));
                }
            }
        }
        // Day files, channel by channel, in name order (order within the store is by key).
        // A day file is small: read whole, then parsed as a slice.
        let mut bytes = Vec::new();
        for (channel, day) in export.day_files() {
            let member = format!("{channel}/{day}");
            let Some(mut r) = export.open(&member)? else {
                continue;
            };
            bytes.clear();
            if let Err(e) = r.read_to_end(&mut bytes) {
                emit(Item::Reject(Reject::new(
                    member,
                    format!("cannot read: {e}"),
                    "",
                )));
                continue;
            }
            let result = json::stream_fields_slice(&bytes, &[], MESSAGE_KEYS, &mut |path, v| {
                emit(reader.message(&format!("{member}{}", &path[1..]), &channel, &v));
            });
            if let Err(e) = result {
                emit(Item::Reject(Reject::new(
                    format!("{member}{}", &e.path[1..]),
                    e.message,
                    "",
                )));
            }
        }
        Ok(Vec::new())
    }
}

/// The keys of a message [`Reader::message`] reads; the rest (rich-text blocks, the
/// author's profile, reactions, files) is skipped unparsed.
const MESSAGE_KEYS: &[&str] = &[
    "ts",
    "subtype",
    "user",
    "bot_id",
    "bot_profile",
    "thread_ts",
    "text",
];

/// Whether a folder is the root of a Slack export.
pub fn is_export_dir(dir: &Path) -> bool {
    dir.join("channels.json").is_file() && dir.join("users.json").is_file()
}

fn zip_has_channels(path: &Path) -> bool {
    std::fs::File::open(path)
        .ok()
        .and_then(|f| zip::ZipArchive::new(f).ok())
        .is_some_and(|z| z.file_names().any(|n| n == "channels.json"))
}

/// A day file's name: `YYYY-MM-DD.json`.
fn is_day_file(name: &str) -> bool {
    name.len() == 15
        && name.ends_with(".json")
        && chrono::NaiveDate::parse_from_str(&name[..10], "%Y-%m-%d").is_ok()
}

/// The files of an export, from a folder or a zip.
trait Export {
    /// A member by its path within the export, if present.
    fn open(&mut self, member: &str) -> Result<Option<Box<dyn Read + '_>>, FileError>;
    /// (channel, day file) pairs, sorted.
    fn day_files(&self) -> Vec<(String, String)>;
    /// Members refused for safety, with the reason.
    fn refused(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

struct Folder {
    root: std::path::PathBuf,
    days: Vec<(String, String)>,
}

impl Folder {
    fn new(root: &Path) -> Result<Folder, FileError> {
        let mut days = Vec::new();
        for e in std::fs::read_dir(root)?.flatten() {
            if !e.path().is_dir() {
                continue;
            }
            let channel = e.file_name().to_string_lossy().into_owned();
            for d in std::fs::read_dir(e.path())?.flatten() {
                let day = d.file_name().to_string_lossy().into_owned();
                if is_day_file(&day) {
                    days.push((channel.clone(), day));
                }
            }
        }
        days.sort();
        Ok(Folder {
            root: root.to_path_buf(),
            days,
        })
    }
}

impl Export for Folder {
    fn open(&mut self, member: &str) -> Result<Option<Box<dyn Read + '_>>, FileError> {
        let p = self.root.join(member);
        if !p.is_file() {
            return Ok(None);
        }
        let f = std::fs::File::open(&p)
            .map_err(|e| FileError::new(member, format!("cannot read: {e}")))?;
        Ok(Some(Box::new(f)))
    }

    fn day_files(&self) -> Vec<(String, String)> {
        self.days.clone()
    }
}

/// A zipped export, read entry by entry. Entries whose names escape the archive (an
/// absolute path, `..`) are refused; an archive whose entries would inflate beyond the
/// configured limit is refused before anything is read.
struct Zipped {
    zip: zip::ZipArchive<std::fs::File>,
    days: Vec<(String, String)>,
    refused: Vec<(String, String)>,
}

impl Zipped {
    fn open(path: &Path, max_ratio: f64, max_bytes: u64) -> Result<Zipped, FileError> {
        let file = std::fs::File::open(path)?;
        let archive_size = file.metadata()?.len();
        let mut zip = zip::ZipArchive::new(file)
            .map_err(|e| FileError::new("file", format!("not a readable zip: {e}")))?;
        let mut inflated: u64 = 0;
        let mut days = Vec::new();
        let mut refused = Vec::new();
        for i in 0..zip.len() {
            let entry = zip
                .by_index_raw(i)
                .map_err(|e| FileError::new("file", format!("unreadable zip entry {i}: {e}")))?;
            inflated = inflated.saturating_add(entry.size());
            let name = entry.name().to_string();
            if entry.enclosed_name().is_none()
                || name.starts_with('/')
                || name.split(['/', '\\']).any(|p| p == "..")
            {
                refused.push((
                    name,
                    "zip entry path escapes the archive (absolute or '..'): not read".to_string(),
                ));
                continue;
            }
            if name.to_ascii_lowercase().ends_with(".zip") {
                refused.push((
                    name,
                    "a zip inside the export is not read (nested archives are refused)".to_string(),
                ));
                continue;
            }
            if let Some((channel, day)) = name.split_once('/') {
                if !day.contains('/') && is_day_file(day) {
                    days.push((channel.to_string(), day.to_string()));
                }
            }
        }
        let limit = ((archive_size as f64 * max_ratio) as u64).min(max_bytes);
        if inflated > limit {
            return Err(FileError::new(
                "file",
                format!(
                    "the archive would inflate to {inflated} bytes, more than {limit} ({max_ratio}× its {archive_size} bytes, at most {max_bytes}); refused as a possible zip bomb (raise [slack] max_inflate_ratio / max_inflate_bytes if it is genuine)"
                ),
            ));
        }
        days.sort();
        Ok(Zipped { zip, days, refused })
    }
}

impl Export for Zipped {
    fn open(&mut self, member: &str) -> Result<Option<Box<dyn Read + '_>>, FileError> {
        if self.refused.iter().any(|(n, _)| n == member) {
            return Ok(None);
        }
        match self.zip.by_name(member) {
            // Declared sizes can lie: never read more than the entry says it holds.
            Ok(f) => {
                let size = f.size();
                Ok(Some(Box::new(f.take(size))))
            }
            Err(zip::result::ZipError::FileNotFound) => Ok(None),
            Err(e) => Err(FileError::new(member, format!("unreadable zip entry: {e}"))),
        }
    }

    fn day_files(&self) -> Vec<(String, String)> {
        self.days.clone()
    }

    fn refused(&self) -> Vec<(String, String)> {
        self.refused.clone()
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
            return Item::Reject(Reject::new(location, "a user without 'id'", &u.to_string()));
        };
        let email = u.str_at("profile.email");
        let name = u
            .str_at("profile.display_name")
            .or(u.str_at("profile.real_name"))
            .or(u.str_at("real_name"))
            .or(u.str_at("name"));
        let bot = self.bots.get(id).copied().unwrap_or(false);
        let mut row = super::person_row(format!("{SOURCE}:{id}"), email, name)
            .with(col::FUNCTION, Value::opt_text(bot.then_some("bot")));
        if let Some(tz) = u.str_at("tz") {
            if crate::time::parse_zone(tz).is_ok() {
                row.set(col::TIMEZONE, Value::text(tz));
            }
        }
        Item::Record(Record::new(location, vec![row]))
    }

    fn message(&self, location: &str, channel: &str, m: &Json) -> Item {
        let Some(ts) = m.str_at("ts") else {
            return Item::Reject(Reject::new(
                location,
                "a message without 'ts'",
                &m.to_string(),
            ));
        };
        let Some(at) = slack_ts(ts) else {
            return Item::Reject(Reject::new(
                location,
                format!("ts: expected epoch seconds such as 1736478630.905399, found '{ts}'"),
                &m.to_string(),
            ));
        };
        let channel_id = self
            .channels
            .get(channel)
            .cloned()
            .unwrap_or_else(|| channel.to_string());
        let subtype = m.str_at("subtype");
        let user = m.str_at("user");
        let is_bot = subtype == Some("bot_message")
            || m.get("bot_id").is_some_and(|b| !b.is_null())
            || m.get("bot_profile").is_some()
            || user.is_some_and(|u| self.bots.get(u).copied().unwrap_or(false));
        let thread = m.str_at("thread_ts").filter(|t| *t != ts);
        let text = m.str_at("text").unwrap_or("");
        let conversation = subtype.is_none_or(|s| CONVERSATION.contains(&s));
        let status_update = conversation && !is_bot && self.ctx.config.chat.is_status_update(text);
        let row = Row::new(Table::Messages)
            .with(
                col::MESSAGE_ID,
                Value::text(format!("{SOURCE}:{channel_id}:{ts}")),
            )
            .with(col::CHANNEL_ID, Value::text(channel_id.clone()))
            .with(col::CHANNEL_NAME, Value::text(channel))
            .with(col::AT, Value::Ts(at))
            .with(
                col::PERSON_ID,
                Value::opt_text(user.map(|u| format!("{SOURCE}:{u}"))),
            )
            .with(
                col::THREAD_ID,
                Value::opt_text(thread.map(|t| format!("{SOURCE}:{channel_id}:{t}"))),
            )
            .with(col::IS_BOT, Value::Bool(is_bot))
            .with(col::SUBTYPE, Value::opt_text(subtype))
            .with(col::STATUS_UPDATE, Value::Bool(status_update))
            .with(
                col::TEXT,
                if self.ctx.keep_text {
                    Value::text(text)
                } else {
                    Value::Null
                },
            )
            .with(col::SOURCE, Value::text(SOURCE));
        Item::Record(Record::new(location, vec![row]))
    }
}

/// A Slack `ts` ("1736478630.905399") as microseconds.
fn slack_ts(ts: &str) -> Option<i64> {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, "0"));
    let secs: i64 = secs.parse().ok()?;
    let digits: String = frac.chars().take(6).collect();
    let micros: i64 = format!("{digits:0<6}").parse().ok()?;
    let t = secs.checked_mul(1_000_000)?.checked_add(micros)?;
    (t > 0).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_timestamps() {
        assert_eq!(slack_ts("1736478630.905399"), Some(1_736_478_630_905_399));
        assert_eq!(slack_ts("1434000000.1"), Some(1_434_000_000_100_000));
        assert_eq!(slack_ts("yesterday"), None);
    }

    #[test]
    fn day_files() {
        assert!(is_day_file("2016-01-05.json"));
        assert!(!is_day_file("channels.json"));
    }
}
