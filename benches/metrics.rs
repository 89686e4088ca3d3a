//! Benchmark: `metrics` over a 50,000-incident organisation in the canonical CSV form.
//!
//! Run with `cargo bench --bench metrics`. It writes the CSV files (a seeded, simple
//! organisation: 50,000 incidents over two years, three pages, three participants and
//! six events each, one action item in two), ingests them once, then times the whole
//! metrics computation (loading the store included) over a quarter and over a year,
//! five runs each, and prints the median and the worst.

use incidentlens::config::Config;
use incidentlens::ingest;
use incidentlens::metrics::{self, Period};
use incidentlens::store::Store;
use rand::{RngExt, SeedableRng};
use std::fmt::Write as _;
use std::time::Instant;

const INCIDENTS: usize = 50_000;
const PEOPLE: usize = 400;
const SERVICES: usize = 60;

fn ts(micros: i64) -> String {
    incidentlens::time::format_micros(micros)
}

fn write_org(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
    let start = incidentlens::time::parse_timestamp("2025-01-01T00:00:00Z", None).unwrap();
    let span = 730 * 86_400_000_000i64;
    let zones = [
        "Europe/Berlin",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Sydney",
        "UTC",
    ];
    let functions = [
        "engineering",
        "engineering",
        "engineering",
        "support",
        "product",
    ];
    let mut people = String::from("email,name,team,function,timezone\n");
    for p in 0..PEOPLE {
        let _ = writeln!(
            people,
            "p{p}@example.com,Person {p},team-{},{},{}",
            p % 12,
            functions[p % 5],
            zones[p % 5]
        );
    }
    let mut services = String::from("service,team,tier,product_area\n");
    for s in 0..SERVICES {
        let _ = writeln!(
            services,
            "svc-{s},team-{},tier-{},area-{}",
            s % 12,
            s % 3 + 1,
            s % 6
        );
    }
    let mut inc = String::from("incident_id,title,severity,started_at,declared_at,acknowledged_at,mitigated_at,resolved_at,declared_by,commander,retro_held_at,is_drill\n");
    let mut isv = String::from("incident_id,service\n");
    let mut pages = String::from("page_id,incident_id,person_id,sent_at,acknowledged_at,channel\n");
    let mut parts = String::from("incident_id,person_id,role\n");
    let mut events = String::from("incident_id,at,kind\n");
    let mut items = String::from("item_id,incident_id,owner,team,created_at,completed_at,status\n");
    let minute = 60_000_000i64;
    for i in 0..INCIDENTS {
        let id = format!("bench:{i}");
        let s = start + rng.random_range(0..span);
        let lognormal = |rng: &mut rand_pcg::Pcg64, median: f64| -> i64 {
            let u: f64 = rng.random_range(0.001..0.999);
            (median * (2.0 * (u - 0.5)).exp() * minute as f64) as i64
        };
        let ack = s + lognormal(&mut rng, 5.0);
        let mit = s + lognormal(&mut rng, 40.0);
        let res = mit + lognormal(&mut rng, 60.0);
        let sev = format!("SEV{}", rng.random_range(1..5));
        let who =
            |rng: &mut rand_pcg::Pcg64| format!("p{}@example.com", rng.random_range(0..PEOPLE));
        let retro = if rng.random_range(0..3) > 0 {
            ts(res + lognormal(&mut rng, 4000.0))
        } else {
            String::new()
        };
        let _ = writeln!(
            inc,
            "{id},incident {i},{sev},{},{},{},{},{},{},{},{retro},{}",
            ts(s),
            ts(s + minute),
            ts(ack),
            ts(mit),
            ts(res),
            who(&mut rng),
            who(&mut rng),
            i % 500 == 0
        );
        let _ = writeln!(isv, "{id},svc-{}", rng.random_range(0..SERVICES));
        for k in 0..3 {
            let p = who(&mut rng);
            let _ = writeln!(
                pages,
                "{id}-{k},{id},{p},{},{},push",
                ts(s + k as i64 * minute),
                ts(ack + k as i64 * minute)
            );
            let _ = writeln!(parts, "{id},{p},responder");
        }
        for (k, kind) in [
            "declared",
            "paged",
            "acknowledged",
            "status_update",
            "mitigated",
            "resolved",
        ]
        .iter()
        .enumerate()
        {
            let _ = writeln!(events, "{id},{},{kind}", ts(s + k as i64 * 17 * minute));
        }
        if i % 2 == 0 {
            let done = rng.random_range(0..2) == 0;
            let _ = writeln!(
                items,
                "AI-{i},{id},{},team-{},{},{},{}",
                who(&mut rng),
                i % 12,
                ts(res),
                if done {
                    ts(res + lognormal(&mut rng, 20_000.0))
                } else {
                    String::new()
                },
                if done { "done" } else { "open" }
            );
        }
    }
    let mut files = Vec::new();
    for (name, text) in [
        ("people.csv", people),
        ("services.csv", services),
        ("incidents.csv", inc),
        ("incident_services.csv", isv),
        ("pages.csv", pages),
        ("participants.csv", parts),
        ("events.csv", events),
        ("action_items.csv", items),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        files.push((path, name.to_string()));
    }
    files
}

fn time_runs(label: &str, runs: usize, mut f: impl FnMut()) {
    let mut secs: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    println!(
        "{label:<40} median {:>7.3} s   worst {:>7.3} s   ({runs} runs)",
        secs[runs / 2],
        secs[runs - 1]
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_org(dir.path());
    let store = Store::at(dir.path().join("store"));
    let config = Config::default();
    let t = Instant::now();
    let report = ingest::run(&store, &files, &config, &ingest::Options::default()).unwrap();
    let read: u64 = report.files.iter().map(|f| f.counts.read).sum();
    println!(
        "ingest of {read} canonical CSV records: {:.2} s (once)",
        t.elapsed().as_secs_f64()
    );
    let tz = chrono_tz::UTC;
    time_runs("load the store (part of each metrics run)", 5, || {
        metrics::Data::load(&store).unwrap();
    });
    let data = metrics::Data::load(&store).unwrap();
    for (label, p) in [
        ("metrics, 2026-Q3 (50,000-incident store)", "2026-Q3"),
        ("metrics, year 2026", "2026"),
    ] {
        let period = Period::parse(p, tz).unwrap();
        let req = metrics::Request {
            period,
            as_of: None,
            tz,
        };
        time_runs(label, 5, || {
            let m = metrics::compute(&store, &config, req).unwrap();
            assert!(m.incidents.count > 0);
        });
        time_runs("  of which computing (store loaded)", 5, || {
            metrics::compute_from(&data, &config, req);
        });
    }
}
