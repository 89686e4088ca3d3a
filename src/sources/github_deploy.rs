//! GitHub deployments and releases JSON: what changed where, and when.
//!
//! - REST `/repos/{owner}/{repo}/deployments` (a bare array, pages, one deployment):
//!   each a deployment; `statuses`, when the export embeds them, settle it.
//! - REST `/repos/{owner}/{repo}/deployments/{id}/statuses`: each a status of the
//!   deployment its `deployment_url` names, in whatever file or order it comes.
//! - GraphQL `{"data": {"repository": {"deployments": …}}}` (`nodes` or `edges[].node`):
//!   `databaseId` (REST's `id`, so the two exports of one deployment are one),
//!   `createdAt`, `environment`; its status from `statuses.nodes`, else `latestStatus`,
//!   else the deployment's `state` (`ACTIVE` is a success).
//! - REST `/repos/{owner}/{repo}/releases`: a published release is a successful
//!   deployment of the repository at `published_at`, to `production`, or to
//!   `prerelease` when it is one; a draft changed nothing yet and is skipped.
//!
//! The service is the repository's name (`owner/checkout-api` → `checkout-api`); the
//! environment is kept as written. A status `success` settles a deployment as a
//! success, `failure` and `error` as a failure; `inactive` (superseded), `pending`,
//! `queued`, `in_progress` and `waiting` settle nothing and are skipped with the reason.

use super::github::repository_of as repository;
use super::json::{self, Get};
use super::{Context, FileError, Input, Source};
use crate::record::{Item, Rejection, Row, Value};
use crate::schema::{cell, tables};
use serde_json::Value as Json;

pub struct GitHubDeployments;

const SOURCE: &str = super::github::SOURCE;

impl Source for GitHubDeployments {
    fn name(&self) -> &'static str {
        "github_deployments"
    }

    fn role(&self) -> super::Role {
        super::Role::Changes
    }

    fn describe(&self) -> &'static str {
        "GitHub deployments, deployment statuses and releases JSON (REST or GraphQL)"
    }

    fn detect(&self, input: &Input) -> bool {
        let head = input.text_head();
        input.is_json()
            && ((head.contains("api.github.com/repos/")
                && (head.contains("\"statuses_url\"")
                    || head.contains("\"deployment_url\"")
                    || (head.contains("\"tag_name\"") && head.contains("/releases/"))))
                || (head.contains("\"deployments\"")
                    && (head.contains("\"databaseId\"") || head.contains("\"latestStatus\""))))
    }

    fn read(
        &self,
        input: &Input,
        _ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        // The REST API answers with a bare array; exports also wrap it in an object
        // under the resource's name. GraphQL answers under `data`.
        let keys = ["data", "deployments", "statuses", "releases", "items"];
        // One deployment, status or release on its own (`…/deployments/{id}`).
        json::each_file_record(&input.path, &keys, &["id"], emit, &|path, v, emit| {
            record(path, v, emit)
        })?;
        Ok(Vec::new())
    }
}

/// One element of the file: a GraphQL response's `data` holds many deployments.
fn record(path: &str, v: &Json, emit: &mut dyn FnMut(Item)) {
    if let Some(d) = v.at("repository.deployments") {
        let repo = graphql_repository(v.at("repository"));
        let (list, inner) = match d.get("edges") {
            Some(Json::Array(edges)) => (edges.as_slice(), Some("node")),
            _ => (d.array_at("nodes"), None),
        };
        let key = if inner.is_some() { "edges" } else { "nodes" };
        for (i, node) in list.iter().enumerate() {
            let node = inner.and_then(|k| node.get(k)).unwrap_or(node);
            let at = format!("{path}.repository.deployments.{key}[{i}]");
            emit(Item::of(&at, graphql_node(node, repo.as_deref()), || {
                node.to_string()
            }));
        }
        return;
    }
    let item = if v.get("tag_name").is_some() {
        if v.get("draft").and_then(Json::as_bool) == Some(true) {
            Item::skip(path, "a draft release: nothing was released yet")
        } else {
            Item::of(path, release(v), || v.to_string())
        }
    } else if v.get("deployment_url").is_some() {
        match settles(v.str_at("state").unwrap_or("")) {
            Some(status) => Item::of(path, status_row(v, status), || v.to_string()),
            None => Item::skip(
                path,
                "a deployment status that settles nothing (inactive, pending, queued, in progress)",
            ),
        }
    } else if v.get("environment").is_some() || v.get("statuses_url").is_some() {
        Item::of(path, deployment(v), || v.to_string())
    } else {
        Item::skip(path, "not a deployment, a deployment status or a release")
    };
    emit(item);
}

/// `success` or `failure` for a status that settles a deployment (any case).
fn settles(state: &str) -> Option<&'static str> {
    match state.to_ascii_lowercase().as_str() {
        "success" => Some("success"),
        "failure" | "error" => Some("failure"),
        _ => None,
    }
}

fn graphql_repository(r: Option<&Json>) -> Option<String> {
    let r = r?;
    r.str_at("nameWithOwner").map(str::to_string).or_else(|| {
        Some(format!(
            "{}/{}",
            r.str_at("owner.login")?,
            r.str_at("name")?
        ))
    })
}

/// The service a repository's changes are to: its name.
fn service(repo: &str) -> &str {
    repo.rsplit('/').next().unwrap_or(repo)
}

fn deployment_id(repo: &str, id: &str) -> String {
    format!("{SOURCE}:{repo}:{id}")
}

fn id_text(v: &Json, key: &str) -> Option<String> {
    match v.get(key)? {
        Json::Number(n) => Some(n.to_string()),
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn deployment(v: &Json) -> Result<Vec<Row>, Rejection> {
    let id = id_text(v, "id").ok_or(Rejection::missing("a deployment without 'id'"))?;
    let repo = v
        .str_at("repository_url")
        .or(v.str_at("url"))
        .and_then(repository)
        .ok_or(Rejection::missing(
            "a deployment without 'url' or 'repository_url' naming its repository",
        ))?;
    let at = v
        .ts_at("created_at")?
        .ok_or(Rejection::missing("a deployment without 'created_at'"))?;
    let deployment_id = deployment_id(&repo, &id);
    let mut rows = vec![
        deployment_row(&deployment_id, &repo, v.str_at("environment"), at)
            .with(cell::URL, Value::opt_text(v.str_at("url")))
            .into(),
    ];
    for (i, s) in v.array_at("statuses").iter().enumerate() {
        if let Some(status) = settles(s.str_at("state").unwrap_or("")) {
            let at = s
                .ts_at("created_at")
                .map_err(|e| e.within(format!("statuses[{i}]")))?
                .ok_or(Rejection::missing(format!(
                    "statuses[{i}]: a status without 'created_at'"
                )))?;
            rows.push(settled(&deployment_id, status, at));
        }
    }
    Ok(rows)
}

fn deployment_row(
    id: &str,
    repo: &str,
    environment: Option<&str>,
    at: i64,
) -> crate::record::RowOf<tables::Deployments> {
    Row::of(tables::Deployments)
        .with(cell::DEPLOYMENT_ID, Value::text(id))
        .with(cell::SERVICE, Value::text(service(repo)))
        .with(cell::ENVIRONMENT, Value::opt_text(environment))
        .with(cell::AT, Value::Ts(at))
        .with(cell::SOURCE, Value::text(SOURCE))
}

fn settled(deployment_id: &str, status: &str, at: i64) -> Row {
    Row::from(
        Row::of(tables::DeploymentStatuses)
            .with(cell::DEPLOYMENT_ID, Value::text(deployment_id))
            .with(cell::STATUS, Value::text(status))
            .with(cell::AT, Value::Ts(at))
            .with(cell::SOURCE, Value::text(SOURCE)),
    )
}

fn status_row(v: &Json, status: &str) -> Result<Vec<Row>, Rejection> {
    let url = v.str_at("deployment_url").unwrap_or("");
    let repo = repository(url);
    let id = url.rsplit('/').next().filter(|s| !s.is_empty());
    let (Some(repo), Some(id)) = (repo, id) else {
        return Err(Rejection::invalid(format!(
            "deployment_url: expected https://api.github.com/repos/OWNER/REPO/deployments/ID, found '{url}'"
        )));
    };
    let at = v.ts_at("created_at")?.ok_or(Rejection::missing(
        "a deployment status without 'created_at'",
    ))?;
    Ok(vec![settled(&deployment_id(&repo, id), status, at)])
}

fn graphql_node(v: &Json, repo: Option<&str>) -> Result<Vec<Row>, Rejection> {
    let id =
        id_text(v, "databaseId").ok_or(Rejection::missing("a deployment without 'databaseId'"))?;
    let repo = v
        .at("repository")
        .and_then(|r| graphql_repository(Some(r)))
        .or(repo.map(str::to_string))
        .ok_or(Rejection::missing(
            "a deployment whose repository is not named (repository.nameWithOwner)",
        ))?;
    let at = v
        .ts_at("createdAt")?
        .ok_or(Rejection::missing("a deployment without 'createdAt'"))?;
    let deployment_id = deployment_id(&repo, &id);
    let mut statuses = Vec::new();
    let listed = v.array_at("statuses.nodes");
    let latest = v
        .at("latestStatus")
        .map(std::slice::from_ref)
        .unwrap_or(&[]);
    for s in if listed.is_empty() { latest } else { listed } {
        if let Some(status) = settles(s.str_at("state").unwrap_or("")) {
            let at = match s.ts_at("createdAt")? {
                Some(t) => t,
                None => s.ts_at("updatedAt")?.ok_or(Rejection::missing(
                    "a deployment status without 'createdAt'",
                ))?,
            };
            statuses.push(settled(&deployment_id, status, at));
        }
    }
    // Without a status that settles it, the deployment's own state may.
    let state = match v.str_at("state").map(str::to_ascii_uppercase).as_deref() {
        Some("ACTIVE" | "SUCCESS") => Some("success"),
        Some("FAILURE" | "ERROR") => Some("failure"),
        _ => None,
    };
    let mut row = deployment_row(&deployment_id, &repo, v.str_at("environment"), at);
    if statuses.is_empty() {
        row = row.with(cell::STATUS, Value::opt_text(state));
    }
    let mut rows = vec![row.into()];
    rows.extend(statuses);
    Ok(rows)
}

fn release(v: &Json) -> Result<Vec<Row>, Rejection> {
    let id = id_text(v, "id").ok_or(Rejection::missing("a release without 'id'"))?;
    let repo = v
        .str_at("url")
        .or(v.str_at("html_url"))
        .and_then(repository)
        .ok_or(Rejection::missing(
            "a release without 'url' or 'html_url' naming its repository",
        ))?;
    let at = v
        .ts_at("published_at")?
        .ok_or(Rejection::missing("a release without 'published_at'"))?;
    let prerelease = v.get("prerelease").and_then(Json::as_bool) == Some(true);
    let environment = if prerelease {
        "prerelease"
    } else {
        "production"
    };
    let id = deployment_id(&repo, &format!("release:{id}"));
    Ok(vec![deployment_row(&id, &repo, Some(environment), at)
        .with(cell::STATUS, Value::text("success"))
        .with(cell::URL, Value::opt_text(v.str_at("html_url")))
        .into()])
}
