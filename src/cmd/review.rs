//! `review`: the quarterly resilience review a CI job runs.

use super::Opened;
use crate::config::Config;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(args: &crate::cli::ReviewArgs, config: &Config) -> Result<ExitCode> {
    let opened = Opened::at(&args.store, &args.period, args.pseudonymise)?;
    let (data, req) = (&opened.data, opened.req);
    let label = opened.label();
    let analysis = crate::analysis::Analysis::of(data, config, req, &label);
    let review = crate::review::run(&analysis, args.policy.as_deref(), &args.out)?;
    for o in &review.outcomes {
        let observed = o
            .observed
            .map_or("none".into(), |x| crate::findings::trim(x, 3));
        crate::say!(
            "{}: {} {} {} (observed {observed})",
            o.status,
            o.rule.metric,
            o.rule.op,
            o.rule.value
        );
    }
    println!("wrote {}", args.out.display());
    if review.incidents == 0 {
        // Nothing to review is not a pass: a CI job pointed at the wrong period (or an
        // empty export) should not go green.
        crate::say!(
            "error: no incidents in {label}; {}; the review holds nothing to judge",
            match crate::report::incident_span(data) {
                Some((from, to)) => format!("the store's incidents run from {from} to {to}"),
                None => "the store holds no incidents".into(),
            }
        );
        return Ok(ExitCode::from(3));
    }
    Ok(if review.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
