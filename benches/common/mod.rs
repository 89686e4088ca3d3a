//! What the benchmarks share: running the real binary and measuring it.

#![allow(dead_code)]

use std::process::Command;
use std::time::Instant;

pub struct Run {
    pub seconds: f64,
    pub max_rss_mib: f64,
}

/// Three runs of a step: the one of median wall time, and the spread printed.
pub fn median_of_three(run: impl Fn() -> Run) -> Run {
    let mut runs = [run(), run(), run()];
    runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    eprintln!(
        "three runs: {:.2}, {:.2}, {:.2} s",
        runs[0].seconds, runs[1].seconds, runs[2].seconds
    );
    let [_, median, _] = runs;
    median
}

/// Runs a command to completion; wall time and the child's peak resident memory.
// The child is reaped by wait4 (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn measure(cmd: &mut Command) -> Run {
    measure_into(cmd, std::process::Stdio::null())
}

/// [`measure`], with the command's standard output going to `out`.
pub fn measure_into(cmd: &mut Command, out: impl Into<std::process::Stdio>) -> Run {
    measure_io(cmd, out, std::process::Stdio::inherit())
}

/// [`measure`], with the command's standard output going to `out` and its standard
/// error to `err`.
#[allow(clippy::zombie_processes)]
pub fn measure_io(
    cmd: &mut Command,
    out: impl Into<std::process::Stdio>,
    err: impl Into<std::process::Stdio>,
) -> Run {
    let start = Instant::now();
    let child = cmd.stdout(out).stderr(err).spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child, with valid pointers; std's Child is not waited on.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(r, pid, "wait4 failed");
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        panic!("{cmd:?} failed (status {status}); its messages are above");
    }
    Run {
        seconds,
        max_rss_mib: usage.ru_maxrss as f64 / 1024.0,
    }
}

/// A number argument's value (`--incidents 5000`).
pub fn arg(name: &str, default: usize) -> usize {
    given(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A text argument's value.
pub fn arg_text(name: &str, default: &str) -> String {
    given(name).unwrap_or_else(|| default.to_string())
}

/// The value after `name` on the command line.
fn given(name: &str) -> Option<String> {
    let mut args = std::env::args().skip_while(|a| a != name);
    args.next()?;
    args.next()
}
