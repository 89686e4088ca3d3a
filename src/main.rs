//! The `incidentlens` binary: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;

/// polars allocates and frees many small buffers; mimalloc does that faster than the
/// system allocator and returns memory to the OS sooner (measured in `benches/scale.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_t`, the same in
/// mimalloc 2 and 3; the sys crate names only some options).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    let cli = incidentlens::cli::Cli::parse();
    // By default mimalloc hands freed memory back to the OS within milliseconds, and
    // taking it again costs the kernel zeroing every page: for `metrics` on the large
    // organisation that was 40% of the time (benches/scale.rs). Commands that only read
    // keep what they free until they exit. Ingest keeps the default: its peak stays under
    // its memory bound only when freed buffers go back.
    if !matches!(cli.command, incidentlens::cli::Command::Ingest(_)) {
        // SAFETY: sets a process-wide allocator option; any value is valid (-1: never purge).
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
    match incidentlens::cmd::run(cli) {
        Ok(code) => code,
        // A reader that stopped early (`| head`) is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", incidentlens::terminal::safe(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}
