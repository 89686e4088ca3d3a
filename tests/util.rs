//! A temporary working folder and a way to run the binary in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Workdir {
    pub dir: tempfile::TempDir,
}

/// The repository's `fixtures/` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A workdir whose store holds the built-in sample organisation (via `demo --out`).
    pub fn with_demo() -> Workdir {
        let w = Workdir::new();
        w.run_status(&["demo", "--out", w.path().to_str().unwrap()], 0);
        w
    }

    /// `metrics --format json` over this workdir's store, with extra flags.
    pub fn metrics_json(&self, args: &[&str]) -> serde_json::Value {
        let store = self.store();
        let mut all = vec![
            "metrics",
            "--format",
            "json",
            "--store",
            store.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        serde_json::from_str(&stdout(&self.run_status(&all, 0))).unwrap()
    }

    pub fn store(&self) -> PathBuf {
        self.path().join("store")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_incidentlens"));
        cmd.args(args)
            .current_dir(self.path())
            .env_remove("INCIDENTLENS_STORE")
            .env_remove("INCIDENTLENS_CONFIG")
            .env_remove("INCIDENTLENS_TEST_CRASH");
        cmd
    }

    /// Runs the binary; returns its output whatever the status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run incidentlens")
    }

    /// Runs the binary and asserts the exit status, showing everything when it differs.
    pub fn run_status(&self, args: &[&str], want: i32) -> Output {
        let out = self.run(args);
        if out.status.code() != Some(want) {
            panic!(
                "incidentlens {}\nwanted status {want}, got {:?}\n--- stdout\n{}\n--- stderr\n{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out
    }

    /// `ingest --store STORE paths…`, expected to succeed.
    pub fn ingest(&self, paths: &[&Path]) -> Output {
        let mut args = vec![
            "ingest".to_string(),
            "--store".into(),
            self.store().display().to_string(),
        ];
        args.extend(paths.iter().map(|p| p.display().to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run_status(&refs, 0)
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The accounting line of `file` in an ingest's output, as its cells.
pub fn accounting(out: &Output, file_suffix: &str) -> Vec<String> {
    let text = stdout(out);
    let line = text
        .lines()
        .find(|l| {
            l.split('|')
                .nth(1)
                .is_some_and(|c| c.trim().ends_with(file_suffix))
        })
        .unwrap_or_else(|| panic!("no accounting line for {file_suffix} in:\n{text}"));
    line.split('|')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Every file of a folder tree with its bytes, for before/after comparisons.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walk(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != ".lock"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

/// Every file below `dir`.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every value of one column of a stored table, as the store's logical values.
pub fn column(
    store: &Path,
    table: incidentlens::schema::Table,
    name: &str,
) -> Vec<incidentlens::record::Value> {
    let df = incidentlens::store::Store::at(store).read(table).unwrap();
    let kind = table.column(name).unwrap().kind;
    (0..df.height())
        .map(|i| {
            incidentlens::record::Value::from_stored(df.column(name).unwrap().get(i).unwrap(), kind)
        })
        .collect()
}

/// A folder (or file) of the real exports written by other people that the adapters
/// are tested on: under `INCIDENTLENS_SAMPLES`, else `../shared/samples` beside the
/// repository. `None`, after saying that the test is skipped and why, when neither is
/// there (CI sets the variable and requires the folder).
pub fn samples(dir: &str) -> Option<PathBuf> {
    let root = match std::env::var_os("INCIDENTLENS_SAMPLES") {
        Some(r) => PathBuf::from(r),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples"),
    };
    let path = root.join(dir);
    if path.exists() {
        return Some(path);
    }
    // Written to stderr directly, not through `eprintln!`, which the test harness
    // captures: the skip shows in every run.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "skipped: the real samples are not at {} (set INCIDENTLENS_SAMPLES to the samples folder)",
        path.display()
    );
    None
}

/// `let Some(path) = samples!("pagerduty");`, returning from the test when the samples
/// are not there.
#[macro_export]
macro_rules! samples_or_skip {
    ($dir:expr) => {
        match $crate::util::samples($dir) {
            Some(p) => p,
            None => return,
        }
    };
}

/// How many rows a stored table holds.
pub fn count(store: &Path, table: incidentlens::schema::Table) -> usize {
    incidentlens::store::Store::at(store)
        .read(table)
        .unwrap()
        .height()
}

/// A timestamp as the store holds it.
pub fn t(s: &str) -> incidentlens::record::Value {
    incidentlens::record::Value::Ts(incidentlens::time::parse_timestamp(s, None).unwrap())
}

/// Rows of `table` whose `column` equals `value`, each as (column name → value).
pub fn rows(
    store: &Path,
    table: incidentlens::schema::Table,
    column: &str,
    value: &str,
) -> Vec<std::collections::HashMap<String, incidentlens::record::Value>> {
    let df = incidentlens::store::Store::at(store).read(table).unwrap();
    let keys = df.column(column).unwrap().str().unwrap().clone();
    (0..df.height())
        .filter(|&i| keys.get(i) == Some(value))
        .map(|i| {
            table
                .columns()
                .iter()
                .map(|c| {
                    let v = incidentlens::record::Value::from_stored(
                        df.column(c.name).unwrap().get(i).unwrap(),
                        c.kind,
                    );
                    (c.name.to_string(), v)
                })
                .collect()
        })
        .collect()
}

/// The one row of `table` whose `key_column` is `key`.
pub fn one(
    store: &Path,
    table: incidentlens::schema::Table,
    key_column: &str,
    key: &str,
) -> std::collections::HashMap<String, incidentlens::record::Value> {
    let mut all = rows(store, table, key_column, key);
    assert_eq!(all.len(), 1, "{key} in {}", table.name());
    all.remove(0)
}

/// A text cell.
pub fn text(s: &str) -> incidentlens::record::Value {
    incidentlens::record::Value::text(s)
}

/// The rules of the `incident_links` rows from `incident` to `linked` (one, normally).
pub fn link_rules(store: &Path, incident: &str, linked: &str) -> Vec<String> {
    use incidentlens::schema::{col, Table};
    rows(store, Table::IncidentLinks, col::INCIDENT_ID, incident)
        .into_iter()
        .filter(|l| l[col::LINKED_ID].as_str() == Some(linked))
        .map(|l| l[col::RULE].to_string())
        .collect()
}

/// Runs a set-up step of the tests, failing them with what to do by hand when it fails.
fn set_up(what: &str, cmd: &mut Command) {
    eprintln!("test set-up: {what}");
    let ok = cmd.status().is_ok_and(|s| s.success());
    assert!(
        ok,
        "test set-up failed: {what} ({cmd:?}); do it by hand and run the tests again"
    );
}

/// Whether a command runs and exits 0, its output unseen.
fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `python3`, with the packages of `tests/oracle/requirements.txt` importable: on a
/// fresh machine the first test that needs them installs them with pip (as `.ci/run`
/// does), once for the whole run.
pub fn python3() -> Command {
    static READY: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    READY.get_or_init(|| {
        let modules = "import duckdb, pandas, pyarrow, scipy, lifelines, yaml, jsonschema, pdfminer";
        if !succeeds(Command::new("python3").args(["-c", modules])) {
            let requirements =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/requirements.txt");
            set_up(
                "installing the oracle's Python packages (pip install -r tests/oracle/requirements.txt)",
                Command::new("python3")
                    .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
                    .arg(requirements),
            );
        }
    });
    Command::new("python3")
}

/// Headless Chromium (Debian's package) with a profile of its own under `dir`, quiet: no
/// network, no first-run work. On a fresh machine the first test that needs it installs
/// the package (as `.ci/run` does), once for the whole run.
pub fn chromium(dir: &Path) -> Command {
    static READY: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    READY.get_or_init(|| {
        if !succeeds(Command::new("chromium").arg("--version")) {
            set_up(
                "installing Debian's chromium package (apt-get)",
                Command::new("sh").args([
                    "-c",
                    "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null",
                ]),
            );
        }
    });
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!(
        "--user-data-dir={}",
        dir.join("chrome-profile").display()
    ));
    cmd
}
