//! Mattermost bulk export (`mmctl export create`): JSONL, one object per line with a
//! `type` (`version`, `team`, `channel`, `user`, `post`, `direct_channel`,
//! `direct_post`).
//!
//! Every line is an input record. Users become people (e-mail, name, zone); posts and
//! their replies become messages as Slack's do (threads kept, bots flagged by
//! `props.from_bot`, status updates by the configured marker, text only with
//! `--keep-text`); team and channel lines are context and produce no rows.

use super::json::Get;
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Reject, Rejection, Row, Value};
use crate::schema::{cell, col, tables};
use compact_str::format_compact;
use serde_json::Value as Json;
use std::io::BufRead;

pub struct Mattermost;

pub const SOURCE: &str = "mattermost";

impl Source for Mattermost {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::Chat
    }

    fn describe(&self) -> &'static str {
        "Mattermost bulk export JSONL (first line {\"type\":\"version\",…})"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        let first = head
            .trim_start_matches('\u{feff}')
            .lines()
            .next()
            .unwrap_or("");
        // Parsed only when it can be the version line: other JSON files' first line may
        // be the whole file.
        first.contains("\"version\"")
            && serde_json::from_str::<Json>(first)
                .is_ok_and(|v| v.str_at("type") == Some("version"))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let reader = std::io::BufReader::new(std::fs::File::open(&input.path)?);
        for (n, line) in reader.split(b'\n').enumerate() {
            let line = line?;
            let location = crate::record::line_at(n as u64 + 1);
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_start_matches('\u{feff}').trim();
            if text.is_empty() {
                continue;
            }
            let item = match serde_json::from_str::<Json>(text) {
                Ok(v) if is_structure(&v) => Item::skip(
                    location,
                    "a line describing the workspace (version, team, channel, scheme, emoji or role), not a message or a user",
                ),
                Ok(v) => Item::of(location, line_rows(&v, ctx), || text.to_string()),
                Err(e) => Item::Reject(Reject::new(
                    location,
                    Rejection::syntax(format!("expected a JSON object, found invalid JSON ({e})")),
                    text,
                )),
            };
            emit(item);
        }
        Ok(Vec::new())
    }
}

/// A line that describes the workspace rather than holding a message or a user.
fn is_structure(v: &Json) -> bool {
    matches!(
        v.str_at("type"),
        Some("version" | "team" | "channel" | "direct_channel" | "scheme" | "emoji" | "role")
    )
}

fn line_rows(v: &Json, ctx: &Context) -> Result<Vec<Row>, Rejection> {
    match v.str_at("type") {
        Some("user") => user(
            v.get("user")
                .ok_or(Rejection::missing("a user line without 'user'"))?,
        ),
        Some("post") => {
            let p = v
                .get("post")
                .ok_or(Rejection::missing("a post line without 'post'"))?;
            let team = p.str_at("team").unwrap_or("");
            let channel = p
                .str_at("channel")
                .ok_or(Rejection::missing("a post without 'channel'"))?;
            posts(p, &format!("{team}:{channel}"), channel, ctx)
        }
        Some("direct_post") => {
            let p = v.get("direct_post").ok_or(Rejection::missing(
                "a direct_post line without 'direct_post'",
            ))?;
            let mut members: Vec<&str> = p
                .array_at("channel_members")
                .iter()
                .filter_map(Json::as_str)
                .collect();
            members.sort();
            let name = format!("dm-{}", members.join("-"));
            posts(p, &name, &name, ctx)
        }
        Some(other) => Err(Rejection::unexpected(format!(
            "unknown line type '{other}'"
        ))),
        None => Err(Rejection::missing("a line without 'type'")),
    }
}

fn user(u: &Json) -> Result<Vec<Row>, Rejection> {
    let username = u
        .str_at("username")
        .ok_or(Rejection::missing("a user without 'username'"))?;
    let email = u.str_at("email");
    let name = match (u.str_at("first_name"), u.str_at("last_name")) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(f), None) => Some(f.to_string()),
        _ => u.str_at("nickname").map(str::to_string),
    };
    let zone = u
        .str_at("timezone.manualTimezone")
        .filter(|_| u.str_at("timezone.useAutomaticTimezone") == Some("false"))
        .or(u.str_at("timezone.automaticTimezone"))
        .filter(|z| crate::time::parse_zone(z).is_ok());
    Ok(vec![super::person_row(
        format!("{SOURCE}:{username}"),
        email,
        name.as_deref(),
    )
    .with(cell::TIMEZONE, Value::opt_text(zone))
    .into()])
}

/// A post and its replies.
fn posts(
    p: &Json,
    channel_id: &str,
    channel_name: &str,
    ctx: &Context,
) -> Result<Vec<Row>, Rejection> {
    let parent = message(p, channel_id, channel_name, None, ctx)?;
    let parent_id = parent.get(col::MESSAGE_ID).to_string();
    let mut rows: Vec<Row> = vec![parent];
    for r in p.array_at("replies") {
        rows.push(message(r, channel_id, channel_name, Some(&parent_id), ctx)?);
    }
    Ok(rows)
}

fn message(
    p: &Json,
    channel_id: &str,
    channel_name: &str,
    thread: Option<&str>,
    ctx: &Context,
) -> Result<Row, Rejection> {
    let at = p.i64_at("create_at").ok_or(Rejection::missing(
        "a post without 'create_at' (epoch milliseconds)",
    ))?;
    let user = p
        .str_at("user")
        .ok_or(Rejection::missing("a post without 'user'"))?;
    let text = p.str_at("message").unwrap_or("");
    let is_bot = p.str_at("props.from_bot") == Some("true")
        || p.at("props.from_bot").and_then(Json::as_bool) == Some(true);
    Ok(Row::of(tables::Messages)
        .with(
            cell::MESSAGE_ID,
            Value::text(format_compact!("{SOURCE}:{channel_id}:{at}:{user}")),
        )
        .with(cell::CHANNEL_ID, Value::text(channel_id))
        .with(cell::CHANNEL_NAME, Value::text(channel_name))
        .with(cell::AT, Value::Ts(at * 1000))
        .with(
            cell::PERSON_ID,
            Value::text(format_compact!("{SOURCE}:{user}")),
        )
        .with(cell::THREAD_ID, Value::opt_text(thread))
        .with(cell::IS_BOT, Value::Bool(is_bot))
        .with(
            cell::STATUS_UPDATE,
            Value::Bool(!is_bot && ctx.config.chat.is_status_update(text)),
        )
        .with(
            cell::TEXT,
            if ctx.keep_text {
                Value::text(text)
            } else {
                Value::Null
            },
        )
        .with(cell::SOURCE, Value::text(SOURCE))
        .into())
}
