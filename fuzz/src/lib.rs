//! The one thing every fuzz target does: write the fuzzer's bytes to a file named as the
//! source expects, read it with that source, and let a panic be the finding.

use incidentlens::config::Config;
use incidentlens::sources::{self, Context, Input};

/// Reads `data` as `source` from a file called `file_name`.
pub fn run(source: &str, file_name: &str, data: &[u8]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(file_name);
    std::fs::write(&path, data).expect("write");
    let config = Config::parse(
        "[sources.jira]\ntimezone = \"Europe/Berlin\"\n[sources.servicenow]\ntimezone = \"UTC\"\n",
    )
    .expect("config");
    let ctx = Context {
        config: &config,
        keep_text: true,
        timezone: None,
    };
    let input = Input::open(&path, file_name.to_string()).expect("open");
    let source = sources::by_name(source).expect("source");
    let _ = source.read(&input, &ctx, &mut |_| {});
}

/// Reads `data` as one day file of a Slack export folder.
pub fn run_slack(data: &[u8]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let export = dir.path().join("export");
    std::fs::create_dir_all(export.join("inc-101-x")).expect("dir");
    std::fs::write(
        export.join("channels.json"),
        r#"[{"id":"C1","name":"inc-101-x","created":1783545960}]"#,
    )
    .expect("write");
    std::fs::write(
        export.join("users.json"),
        r#"[{"id":"U1","name":"ana","tz":"Europe/Berlin","profile":{"email":"ana@acme.example"}}]"#,
    )
    .expect("write");
    std::fs::write(export.join("inc-101-x/2026-07-08.json"), data).expect("write");
    let config = Config::default();
    let ctx = Context {
        config: &config,
        keep_text: false,
        timezone: None,
    };
    let input = Input::open(&export, "export".into()).expect("open");
    let _ = sources::by_name("slack")
        .expect("slack")
        .read(&input, &ctx, &mut |_| {});
}
