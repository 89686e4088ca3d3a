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
use compact_str::format_compact;
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
                        r.read_to_end(&mut content)
                            .map(|_| content)
                            .map_err(|e| format!("cannot read: {e}"))
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

/// Day files are parsed in batches of about this many bytes: enough that handing a
/// batch to another thread costs nothing, few enough that little is held in flight.
const BATCH_BYTES: usize = 1 << 20;

/// A day file as read from the export: its member name, its channel, its bytes (or why
/// they could not be read).
struct DayFile {
    member: String,
    channel: String,
    content: Result<Vec<u8>, String>,
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

/// Indices into [`MESSAGE_KEYS`].
mod key {
    pub const TS: usize = 0;
    pub const SUBTYPE: usize = 1;
    pub const USER: usize = 2;
    pub const BOT_ID: usize = 3;
    pub const BOT_PROFILE: usize = 4;
    pub const THREAD_TS: usize = 5;
    pub const TEXT: usize = 6;
}

/// A message's kept fields as read: strings borrowed from the day file where they hold
/// no escapes, other values whole. No JSON tree is built for a message.
#[derive(Default)]
struct Message<'de> {
    fields: [Option<Field<'de>>; MESSAGE_KEYS.len()],
    /// The fields in the order they came (for the excerpt of a reject): `order[..seen]`.
    order: [usize; MESSAGE_KEYS.len()],
    seen: usize,
    /// The element when it is not an object.
    other: Option<Json>,
}

enum Field<'de> {
    Str(Cow<'de, str>),
    Other(Json),
}

impl Message<'_> {
    /// A non-empty string field (what [`Get::str_at`] gives on a JSON value).
    fn str(&self, k: usize) -> Option<&str> {
        match &self.fields[k] {
            Some(Field::Str(s)) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    fn present(&self, k: usize) -> bool {
        self.fields[k].is_some()
    }

    fn non_null(&self, k: usize) -> bool {
        !matches!(self.fields[k], None | Some(Field::Other(Json::Null)))
    }

    /// The message as the JSON it was read as (kept keys only), for an excerpt.
    fn json(&self) -> Json {
        if let Some(v) = &self.other {
            return v.clone();
        }
        let mut map = serde_json::Map::new();
        for &k in &self.order[..self.seen] {
            let v = match &self.fields[k] {
                Some(Field::Str(s)) => Json::String(s.to_string()),
                Some(Field::Other(v)) => v.clone(),
                None => continue,
            };
            map.insert(MESSAGE_KEYS[k].to_string(), v);
        }
        Json::Object(map)
    }
}

/// Reads one element of a day file as a [`Message`].
#[derive(Clone, Copy)]
struct MessageSeed;

impl<'de> DeserializeSeed<'de> for MessageSeed {
    type Value = Message<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Message<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MessageSeed {
    type Value = Message<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a message")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message<'de>, A::Error> {
        let mut m = Message::default();
        while let Some(k) = json::key_in(&mut map, MESSAGE_KEYS)? {
            match k {
                Some(k) => {
                    let v = map.next_value::<Field>()?;
                    if m.fields[k].replace(v).is_none() {
                        m.order[m.seen] = k;
                        m.seen += 1;
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(m)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Message<'de>, A::Error> {
        let v = Json::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Message::other(v))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Message<'de>, E> {
        Ok(Message::other(Json::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Message<'de>, E> {
        Ok(Message::other(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Message<'de>, E> {
        Ok(Message::other(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Message<'de>, E> {
        Ok(Message::other(v.into()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Message<'de>, E> {
        Ok(Message::other(v.into()))
    }

    fn visit_unit<E>(self) -> Result<Message<'de>, E> {
        Ok(Message::other(Json::Null))
    }
}

impl Message<'_> {
    fn other(v: Json) -> Self {
        Message {
            other: Some(v),
            ..Message::default()
        }
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Field<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Owned(v.to_string())))
            }

            fn visit_string<E>(self, v: String) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Owned(v)))
            }

            fn visit_bool<E>(self, v: bool) -> Result<Field<'de>, E> {
                Ok(Field::Other(Json::Bool(v)))
            }

            fn visit_i64<E>(self, v: i64) -> Result<Field<'de>, E> {
                Ok(Field::Other(v.into()))
            }

            fn visit_u64<E>(self, v: u64) -> Result<Field<'de>, E> {
                Ok(Field::Other(v.into()))
            }

            fn visit_f64<E>(self, v: f64) -> Result<Field<'de>, E> {
                Ok(Field::Other(v.into()))
            }

            fn visit_unit<E>(self) -> Result<Field<'de>, E> {
                Ok(Field::Other(Json::Null))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field<'de>, A::Error> {
                Json::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(Field::Other)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field<'de>, A::Error> {
                Json::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Field::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Whether a folder is the root of a Slack export.
fn is_export_dir(dir: &Path) -> bool {
    dir.join("channels.json").is_file() && dir.join("users.json").is_file()
}

fn zip_has_channels(path: &Path) -> bool {
    std::fs::File::open(path)
        .ok()
        .and_then(|f| zip::ZipArchive::new(f).ok())
        .is_some_and(|z| export_root(&z.file_names().collect::<Vec<_>>()).is_some())
}

/// Where the export sits in a zip: `""` when `channels.json` is at the top, as Slack
/// writes it, or `name/` when every entry is inside one folder holding it (an export
/// unzipped and zipped again). None when the zip holds no export.
fn export_root(names: &[&str]) -> Option<String> {
    if names.contains(&"channels.json") {
        return Some(String::new());
    }
    let inside = names
        .iter()
        .find_map(|n| n.strip_suffix("channels.json").filter(|d| d.ends_with('/')))?;
    (!inside[..inside.len() - 1].contains('/')
        && names
            .iter()
            .all(|n| n.starts_with(inside) || inside.starts_with(n)))
    .then(|| inside.to_string())
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
    /// Members that are links: not followed, so nothing outside the export is read.
    refused: Vec<(String, String)>,
}

/// Why a link inside an export folder is not read.
const LINK_REFUSED: &str = "a symbolic link inside the export: not followed, so that nothing \
                            outside the export is read";

impl Folder {
    fn new(root: &Path) -> Result<Folder, FileError> {
        let mut days = Vec::new();
        let mut refused = Vec::new();
        let mut entries: Vec<std::fs::DirEntry> = std::fs::read_dir(root)?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            // `DirEntry::file_type` does not follow links.
            let kind = e.file_type()?;
            if kind.is_symlink() {
                refused.push((name, LINK_REFUSED.to_string()));
                continue;
            }
            if !kind.is_dir() {
                continue;
            }
            let mut inner: Vec<std::fs::DirEntry> =
                std::fs::read_dir(e.path())?.flatten().collect();
            inner.sort_by_key(|d| d.file_name());
            for d in inner {
                let day = d.file_name().to_string_lossy().into_owned();
                if !is_day_file(&day) {
                    continue;
                }
                if d.file_type()?.is_symlink() {
                    refused.push((format!("{name}/{day}"), LINK_REFUSED.to_string()));
                } else {
                    days.push((name.clone(), day));
                }
            }
        }
        days.sort();
        Ok(Folder {
            root: root.to_path_buf(),
            days,
            refused,
        })
    }
}

impl Export for Folder {
    fn open(&mut self, member: &str) -> Result<Option<Box<dyn Read + '_>>, FileError> {
        let p = self.root.join(member);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                if !self.refused.iter().any(|(n, _)| n == member) {
                    self.refused
                        .push((member.to_string(), LINK_REFUSED.to_string()));
                }
                return Ok(None);
            }
            Ok(m) if m.is_file() => {}
            _ => return Ok(None),
        }
        let f = std::fs::File::open(&p)
            .map_err(|e| FileError::new(member, format!("cannot read: {e}")))?;
        Ok(Some(Box::new(f)))
    }

    fn day_files(&self) -> Vec<(String, String)> {
        self.days.clone()
    }

    fn refused(&self) -> Vec<(String, String)> {
        self.refused.clone()
    }
}

/// A zipped export, read entry by entry. Entries whose names escape the archive (an
/// absolute path, `..`) are refused; an archive whose entries would inflate beyond the
/// configured limit is refused before anything is read.
struct Zipped {
    zip: zip::ZipArchive<std::fs::File>,
    /// The folder the export sits in (`""` or `name/`), see [`export_root`].
    root: String,
    days: Vec<(String, String)>,
    refused: Vec<(String, String)>,
}

impl Zipped {
    fn open(path: &Path, max_ratio: f64, max_bytes: u64) -> Result<Zipped, FileError> {
        let file = std::fs::File::open(path)?;
        let archive_size = file.metadata()?.len();
        let mut zip = zip::ZipArchive::new(file)
            .map_err(|e| FileError::new("file", format!("not a readable zip: {e}")))?;
        let root = export_root(&zip.file_names().collect::<Vec<_>>()).unwrap_or_default();
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
            let within = name.strip_prefix(root.as_str()).unwrap_or(&name);
            if let Some((channel, day)) = within.split_once('/') {
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
        Ok(Zipped {
            zip,
            root,
            days,
            refused,
        })
    }
}

impl Export for Zipped {
    fn open(&mut self, member: &str) -> Result<Option<Box<dyn Read + '_>>, FileError> {
        let name = format!("{}{member}", self.root);
        if self.refused.iter().any(|(n, _)| *n == name) {
            return Ok(None);
        }
        match self.zip.by_name(&name) {
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

    /// The records of one day file, in order, with a reject for what cannot be read.
    fn day(&self, d: &DayFile) -> Vec<Item> {
        let bytes = match &d.content {
            Ok(bytes) => bytes,
            Err(reason) => return vec![Item::Reject(Reject::new(&d.member, reason, ""))],
        };
        let channel_id = self.channels.get(&d.channel).unwrap_or(&d.channel);
        let mut items = Vec::new();
        let result = json::slice_elements(bytes, MessageSeed, &mut |i, m| {
            let location = format!("{}[{i}]", d.member);
            items.push(self.message(location, &d.channel, channel_id, &m));
        });
        match &result {
            // Not an array of messages at all: one reject for the file.
            Err(e) if e.path == "$" => {
                items.push(Item::Reject(Reject::new(&d.member, e.message.clone(), "")));
                return items;
            }
            _ => {}
        }
        if let Err(e) = result {
            // Read on past the element that stopped the parser, each one on its own: a
            // bad message is one reject, and the day's other messages are read.
            let cut = json::elements_from(bytes, e.elements, &mut |i, element| {
                let location = format!("{}[{i}]", d.member);
                let mut de = serde_json::Deserializer::from_slice(element);
                let read = MessageSeed
                    .deserialize(&mut de)
                    .and_then(|m| de.end().map(|()| m));
                items.push(match read {
                    Ok(m) => self.message(location, &d.channel, channel_id, &m),
                    Err(err) => Item::Reject(Reject::new(
                        location,
                        format!("{}; the message is skipped", json::describe(&err)),
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
                "a message without 'ts'",
                &m.json().to_string(),
            ));
        };
        let Some(at) = slack_ts(ts) else {
            return Item::Reject(Reject::new(
                location,
                format!("ts: expected epoch seconds such as 1736478630.905399, found '{ts}'"),
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
        let row = Row::new(Table::Messages)
            .with(
                col::MESSAGE_ID,
                Value::text(format_compact!("{SOURCE}:{channel_id}:{ts}")),
            )
            .with(col::CHANNEL_ID, Value::text(channel_id))
            .with(col::CHANNEL_NAME, Value::text(channel))
            .with(col::AT, Value::Ts(at))
            .with(
                col::PERSON_ID,
                Value::opt_text(user.map(|u| format_compact!("{SOURCE}:{u}"))),
            )
            .with(
                col::THREAD_ID,
                Value::opt_text(thread.map(|t| format_compact!("{SOURCE}:{channel_id}:{t}"))),
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
    }

    fn day(content: &[u8]) -> Vec<Item> {
        let config = crate::config::Config::default();
        let ctx = Context {
            config: &config,
            keep_text: true,
            timezone: None,
            table: None,
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
