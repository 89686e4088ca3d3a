//! Phase timings for long commands: with `INCIDENTLENS_TIMINGS=1` in the environment,
//! each finished phase prints `timing: <phase> <seconds> s, resident <MiB> MiB` on
//! stderr, so a slow run says where its time went without a profiler. Phases of the main
//! sequence are laps (from the previous mark), with the CPU time the whole process spent
//! meanwhile (`cpu <seconds> s`: near the wall time, one core busy; twice, two); work on
//! threads of its own is timed alone. Off by default: nothing is printed and outputs
//! stay byte-identical.

use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

/// The environment variable that switches timings on.
pub const ENV: &str = "INCIDENTLENS_TIMINGS";

/// The previous mark: when, and the process's CPU seconds then.
static LAST: Mutex<Option<(Instant, Option<f64>)>> = Mutex::new(None);

/// When the first phase began.
static START: Mutex<Option<Instant>> = Mutex::new(None);

fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os(ENV).is_some_and(|v| !v.is_empty() && v != "0"))
}

/// Marks the start of the first phase (the time before it is not counted).
pub fn start() {
    if enabled() {
        let now = Instant::now();
        *START.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
        *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some((now, cpu_seconds()));
    }
}

/// Ends the phase named `phase` (it began at the previous mark) and starts the next.
pub fn lap(phase: &str) {
    if !enabled() {
        return;
    }
    let (now, cpu) = (Instant::now(), cpu_seconds());
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((t, c)) = *last {
        let busy = cpu.zip(c).map(|(now, then)| now - then);
        print(phase, now.duration_since(t).as_secs_f64(), busy);
    }
    *last = Some((now, cpu));
}

/// Runs `f`, a phase that runs beside others (on a thread of its own), and prints its
/// time alone; the laps of the main sequence are left as they are.
pub fn alone<T>(phase: &str, f: impl FnOnce() -> T) -> T {
    let since = Instant::now();
    let out = f();
    if enabled() {
        print(phase, since.elapsed().as_secs_f64(), None);
    }
    out
}

fn print(phase: &str, seconds: f64, cpu: Option<f64>) {
    let cpu = cpu.map(|c| format!(", cpu {c:.2} s")).unwrap_or_default();
    let rss = resident_mib()
        .map(|m| format!(", resident {m} MiB"))
        .unwrap_or_default();
    // One write (stderr is unbuffered: a line written piece by piece cost a dozen
    // system calls, twenty thousand times for as many small files). A closed stderr
    // (`2>&1 | head`) must not stop the command.
    let line = format!("timing: {phase} {seconds:.3} s{cpu}{rss}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Prints the time since the first phase began, as a phase named `phase` (the laps
/// since are left as they are): a total of many short laps (each file's reading,
/// printed to the millisecond) without adding them up.
pub fn since_start(phase: &str) {
    if enabled() {
        if let Some(start) = *START.lock().unwrap_or_else(|e| e.into_inner()) {
            print(phase, start.elapsed().as_secs_f64(), None);
        }
    }
}

/// The user and system CPU time of every thread of the process so far (Linux:
/// `/proc/self/stat`, in ticks of 1/100 s, the kernel's `USER_HZ` on every Linux
/// platform this runs on).
fn cpu_seconds() -> Option<f64> {
    cpu_of(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// The CPU seconds in a `/proc/<pid>/stat` line.
fn cpu_of(stat: &str) -> Option<f64> {
    // The command name (field 2) is in parentheses and may hold spaces: the fields
    // after it start at field 3, so utime (14) and stime (15) are the 12th and 13th.
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user: u64 = rest.next()?.parse().ok()?;
    let system: u64 = rest.next()?.parse().ok()?;
    Some((user + system) as f64 / 100.0)
}

/// The process's resident memory now (Linux: `/proc/self/statm`, in pages of 4 KiB).
fn resident_mib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / (1024 * 1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_after_the_command_name() {
        // A name with a space and a parenthesis; utime 250 and stime 17 ticks.
        let stat = "4233 (write (msgs) x) R 1 4233 4233 0 -1 4194304 51234 0 0 0 250 17 0 0 \
                    20 0 9 0 12345 930000000 226000 18446744073709551615";
        assert_eq!(cpu_of(stat), Some(2.67));
        assert_eq!(cpu_of("4233 (x) R 1 2"), None);
        assert!(cpu_seconds().is_some(), "/proc/self/stat is readable here");
    }
}
