//! What changed and what incidents had in common: deployments and contributing causes,
//! drawn from the incidents without random draws, so that the rest of the organisation
//! is unchanged by them.
//!
//! Every service ships a routine production deployment three days before each of its
//! incidents; every third incident follows a deployment of its service by two hours
//! (the change that induced it), and every fifth a staging deployment an hour before.
//! Every seventh incident's routine deployment failed. Incidents carry a `cause` tag
//! (deploy for the induced ones, else capacity, third party or config in turn), except
//! every sixth, which records none. As GitHub's deployments export (statuses embedded)
//! or a canonical `deployments.csv`, and a canonical `incident_tags.csv` either way.

use super::*;

struct Deploy<'a> {
    id: String,
    service: &'a str,
    environment: &'static str,
    at: i64,
    failed: bool,
}

pub(super) fn write_changes(
    out: &Path,
    fired: &[Fired],
    opts: &Options,
) -> Result<Vec<(PathBuf, u64)>> {
    let mut deploys = Vec::new();
    let mut tags = Vec::new();
    for f in fired {
        let d = |k: &str, environment, at, failed| Deploy {
            id: format!("{}{k}", f.i),
            service: f.service,
            environment,
            at,
            failed,
        };
        deploys.push(d("1", "production", f.at - 3 * DAY, f.i % 7 == 0));
        if f.i % 3 == 0 {
            deploys.push(d("2", "production", f.at - 2 * HOUR, false));
        }
        if f.i % 5 == 0 {
            deploys.push(d("3", "staging", f.at - HOUR, false));
        }
        if f.i % 6 != 5 {
            let cause = match (f.i % 3, f.i % 4) {
                (0, _) => "deploy",
                (_, 0 | 1) => "capacity",
                (_, 2) => "third party",
                _ => "config",
            };
            let id = match opts.form {
                Form::Vendor => format!("pagerduty:Q{}", f.i),
                Form::Canonical => format!("acme:{}", f.number),
            };
            tags.push((id, cause));
        }
    }
    let mut files = Vec::new();
    match opts.form {
        Form::Vendor => {
            let path = out.join("github/deployments.json");
            std::fs::create_dir_all(out.join("github"))?;
            let mut w = JsonArray::create(&path, "deployments", opts.shapes.layout)?;
            for d in &deploys {
                let repo = format!("https://api.github.com/repos/acme/{}", d.service);
                let state = if d.failed { "failure" } else { "success" };
                w.push(&json!({
                    "url": format!("{repo}/deployments/{}", d.id), "id": d.id.parse::<u64>()?,
                    "sha": "0000000", "ref": "main", "task": "deploy", "environment": d.environment,
                    "created_at": ts(d.at), "updated_at": ts(d.at + MINUTE),
                    "statuses_url": format!("{repo}/deployments/{}/statuses", d.id), "repository_url": repo,
                    "statuses": [{"state": "in_progress", "created_at": ts(d.at)},
                                 {"state": state, "created_at": ts(d.at + MINUTE)}],
                }))?;
            }
            files.push(w.finish()?);
        }
        Form::Canonical => {
            let path = out.join("deployments.csv");
            let mut w = csv::Writer::from_path(&path)?;
            w.write_record(["deployment_id", "service", "environment", "at", "status"])?;
            for d in &deploys {
                let status = if d.failed { "failure" } else { "success" };
                w.write_record([d.id.as_str(), d.service, d.environment, &ts(d.at), status])?;
            }
            w.flush()?;
            files.push((path.clone(), std::fs::metadata(&path)?.len()));
        }
    }
    let path = out.join("incident_tags.csv");
    let mut w = csv::Writer::from_path(&path)?;
    w.write_record(["incident_id", "tag", "value"])?;
    for (id, cause) in &tags {
        w.write_record([id.as_str(), "cause", cause])?;
    }
    w.flush()?;
    files.push((path.clone(), std::fs::metadata(&path)?.len()));
    Ok(files)
}
