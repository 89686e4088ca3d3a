//! `init`: a settings file, or an example review policy.

use crate::cli::InitArgs;
use anyhow::{bail, Result};
use std::process::ExitCode;

pub fn run(args: &InitArgs) -> Result<ExitCode> {
    let (default, text, what) = if args.policy {
        (
            "policy.toml",
            crate::policy::EXAMPLE,
            "an example review policy",
        )
    } else {
        (
            crate::config::DEFAULT_FILE,
            crate::config::TEMPLATE,
            "every setting at its default, commented",
        )
    };
    let out = args.out.clone().unwrap_or_else(|| default.into());
    if out.exists() && !args.force {
        bail!("{} exists; pass --force to overwrite it", out.display());
    }
    crate::output::write_atomic(&out, text)?;
    println!("wrote {} ({what})", out.display());
    Ok(ExitCode::SUCCESS)
}
