//! `synth`: a synthetic organisation's exports.

use anyhow::Result;
use std::process::ExitCode;

pub fn run(args: &crate::cli::SynthArgs) -> Result<ExitCode> {
    let opts = crate::synth::Options {
        incidents: args.incidents,
        seed: args.seed,
        messages: args.messages,
        form: args.form.into(),
        shapes: crate::synth::Shapes {
            pagerduty_log: args.pagerduty_log.into(),
            tickets: args.tickets.into(),
            layout: args.layout.into(),
            also: crate::cli::also(&args.also),
        },
    };
    let s = crate::synth::write(&args.out, &opts)?;
    for (path, bytes) in &s.files {
        println!("{:>12} bytes  {}", bytes, path.display());
    }
    println!(
        "{} incidents, {} pages, {} action items, {} chat messages; ingest with `incidentlens ingest {}`",
        s.incidents,
        s.pages,
        s.action_items,
        s.messages,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
