//! Phase timings for long commands: with `INCIDENTLENS_TIMINGS=1` in the environment,
//! each finished phase prints `timing: <phase> <seconds> s, resident <MiB> MiB` on
//! stderr, so a slow run says where its time went without a profiler. Phases of the main
//! sequence are laps (from the previous mark); work on threads of its own is timed
//! alone. Off by default: nothing is printed and outputs stay byte-identical.

use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

/// The environment variable that switches timings on.
pub const ENV: &str = "INCIDENTLENS_TIMINGS";

static LAST: Mutex<Option<Instant>> = Mutex::new(None);

fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os(ENV).is_some_and(|v| !v.is_empty() && v != "0"))
}

/// Marks the start of the first phase (the time before it is not counted).
pub fn start() {
    if enabled() {
        *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }
}

/// Ends the phase named `phase` (it began at the previous mark) and starts the next.
pub fn lap(phase: &str) {
    if !enabled() {
        return;
    }
    let now = Instant::now();
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = *last {
        print(phase, now.duration_since(t).as_secs_f64());
    }
    *last = Some(now);
}

/// Runs `f`, a phase that runs beside others (on a thread of its own), and prints its
/// time alone; the laps of the main sequence are left as they are.
pub fn alone<T>(phase: &str, f: impl FnOnce() -> T) -> T {
    let since = Instant::now();
    let out = f();
    if enabled() {
        print(phase, since.elapsed().as_secs_f64());
    }
    out
}

fn print(phase: &str, seconds: f64) {
    let rss = resident_mib()
        .map(|m| format!(", resident {m} MiB"))
        .unwrap_or_default();
    // A closed stderr (`2>&1 | head`) must not stop the command.
    let _ = writeln!(std::io::stderr(), "timing: {phase} {seconds:.3} s{rss}");
}

/// The process's resident memory now (Linux: `/proc/self/statm`, in pages of 4 KiB).
fn resident_mib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / (1024 * 1024))
}
