//! `forget`: a person replaced by a pseudonym everywhere in the store, after a plan and a confirmation.

use crate::store::Store;
use crate::words::count;
use anyhow::{bail, Result};
use std::io::IsTerminal;
use std::process::ExitCode;

pub fn run(args: &crate::cli::ForgetArgs) -> Result<ExitCode> {
    let store = Store::at(&args.store.store);
    // Forgetting commits: it must not hold a reader's lock.
    drop(store.require()?);
    let rows = |done: &crate::privacy::Forgotten| {
        let by_table: Vec<String> = done.rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
        format!(
            "{} ({})",
            count(done.rows.values().sum::<usize>() as u64, "row", "rows"),
            by_table.join(", ")
        )
    };
    if !args.yes {
        let plan = crate::privacy::forget(&store, &args.person, false)?;
        crate::say!(
            "forget {} (in the store as {}): would replace every mention of {} by a \
             pseudonym in {}",
            args.person,
            plan.person,
            plan.words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(", "),
            rows(&plan)
        );
        if args.dry_run {
            crate::say!("--dry-run: nothing was changed");
            return Ok(ExitCode::SUCCESS);
        }
        if !std::io::stdin().is_terminal() {
            bail!(
                "forget changes the store for good: pass --yes to confirm (or --dry-run to \
                 only see what it would change)"
            );
        }
        eprint!("This cannot be undone. Forget {}? [y/N] ", args.person);
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
            crate::say!("nothing was changed");
            return Ok(ExitCode::from(1));
        }
    }
    let done = crate::privacy::forget(&store, &args.person, true)?;
    println!(
        "{}",
        crate::terminal::safe(&format!(
            "forgot {}: now {}; changed {}",
            args.person,
            done.pseudonym,
            rows(&done)
        ))
    );
    crate::say!(
        "note: ingesting exports that name this person again brings them back; delete or \
         redact those exports too"
    );
    Ok(ExitCode::SUCCESS)
}
