//! GitHub issues JSON (`GET /repos/{owner}/{repo}/issues`, a bare array, or the search
//! API's `{items: […]}`).
//!
//! The issues list includes pull requests (they carry a `pull_request` key): they are
//! read and rejected with that reason, so the accounting still adds up. A closed issue
//! is done unless `state_reason` is `not_planned` (won't do). A label or issue type in
//! `[tickets] postmortem_types` makes the issue a postmortem; a label `team:NAME` or
//! `team/NAME` gives its team. Person references are GitHub logins (`github:octocat`):
//! the API shows no e-mail, so a roster alias joins them to people.

use super::json::{self, Either, Get};
use super::ticket::Ticket;
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Rejection, Row};
use serde_json::Value as Json;

pub struct GitHub;

pub const SOURCE: &str = "github";

impl Source for GitHub {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn role(&self) -> super::Role {
        super::Role::Ticket
    }

    fn describe(&self) -> &'static str {
        "GitHub issues JSON (REST /repos/{owner}/{repo}/issues)"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        input.is_json()
            && ((head.contains("api.github.com/repos/")
                && (head.contains("\"repository_url\"") || head.contains("\"pull_request\"")))
                // `gh issue list --json …`: camelCase fields, the page's URL as `url`.
                || (head.contains("\"number\"")
                    && head.contains("\"state\"")
                    && head.contains("https://github.com/")))
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        // One issue on its own (`/repos/{o}/{r}/issues/{n}`).
        json::each_file_record(
            &input.path,
            &["items"],
            &["number"],
            emit,
            &|path, v, emit| emit(issue(path, v, ctx)),
        )?;
        Ok(Vec::new())
    }
}

fn issue(path: &str, v: &Json, ctx: &Context) -> Item {
    let excerpt = || {
        format!(
            "#{} {}",
            v.i64_at("number").unwrap_or_default(),
            v.str_at("title").unwrap_or("")
        )
    };
    if v.get("pull_request").is_some() {
        return Item::skip(path, "a pull request, not an issue");
    }
    Item::of(path, rows(v, ctx), excerpt)
}

/// `owner/repo` from `repository_url` (`https://api.github.com/repos/owner/repo`) or the
/// issue's `html_url` or `url`.
fn repository(v: &Json) -> Option<String> {
    v.str_at("repository_url")
        .and_then(repository_of)
        .or_else(|| repository_of(v.str_at("html_url").or(v.str_at("url"))?))
}

/// `owner/repo` from any GitHub URL: the API's (`https://api.github.com/repos/owner/repo/…`)
/// or the web's (`https://github.com/owner/repo/…`).
pub(super) fn repository_of(url: &str) -> Option<String> {
    let path = match url.split_once("/repos/") {
        Some((_, rest)) => rest,
        None => url.split_once("github.com/")?.1,
    };
    let mut parts = path.split('/');
    let (owner, repo) = (parts.next()?, parts.next()?);
    (!owner.is_empty() && !repo.is_empty()).then(|| format!("{owner}/{repo}"))
}

fn rows(json: &Json, ctx: &Context) -> Result<Vec<Row>, Rejection> {
    // The REST API writes snake_case (`closed_at`, `state_reason`: `not_planned`), the
    // gh CLI's `--json` camelCase in capitals (`closedAt`, `stateReason`: `NOT_PLANNED`).
    let v = &Either(json);
    let number = v
        .i64_at("number")
        .ok_or(Rejection::missing("an issue without 'number'"))?;
    let repo = repository(json).ok_or(Rejection::missing(
        "an issue without 'repository_url', 'html_url' or 'url'",
    ))?;
    let tickets = &ctx.config.tickets;
    let mut t = Ticket::new(SOURCE, format!("{repo}#{number}"));
    t.title = v.str_at("title").map(str::to_string);
    let labels: Vec<&str> = v
        .array_at("labels")
        .iter()
        .filter_map(|l| l.str_at("name").or(l.as_str()))
        .collect();
    t.postmortem = labels.iter().any(|l| tickets.is_postmortem(l))
        || v.str_at("type.name")
            .is_some_and(|n| tickets.is_postmortem(n));
    let state = v.str_at("state").map(str::to_ascii_lowercase);
    let closed = state.as_deref() == Some("closed");
    let reason = v.str_at("state_reason").map(str::to_ascii_lowercase);
    let reason = reason.as_deref();
    t.status = match (closed, reason) {
        (true, Some("not_planned")) => "wont_do",
        (true, Some(r)) if tickets.is_wont_do(r) => "wont_do",
        (true, _) => "done",
        (false, _) => "open",
    };
    let state = state.unwrap_or_default();
    t.status_raw = Some(match reason {
        Some(r) => format!("{state} ({r})"),
        None => state,
    })
    .filter(|s| !s.is_empty());
    t.created = v.ts_at("created_at")?;
    t.updated = v.ts_at("updated_at")?;
    t.completed = if closed { v.ts_at("closed_at")? } else { None };
    t.due = v.ts_at("milestone.due_on")?;
    t.url = v.str_at("html_url").or(v.str_at("url")).map(str::to_string);
    t.team = labels.iter().find_map(|l| {
        let lower = l.to_ascii_lowercase();
        ["team:", "team/", "team-"].iter().find_map(|p| {
            lower
                .strip_prefix(p)
                .map(|_| l[p.len()..].trim().to_string())
        })
    });
    t.labels(labels.iter().copied());
    if let Some(body) = v.str_at("body") {
        t.scan(body);
    }
    let assignee = v.at("assignee").or_else(|| v.array_at("assignees").first());
    t.owner = assignee
        .and_then(|a| a.str_at("login"))
        .map(|l| format!("{SOURCE}:{l}"));
    Ok(vec![t.into_row()])
}
