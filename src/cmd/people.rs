//! `people`: who the store knows, and what names them.

use crate::store::Store;
use anyhow::Result;
use comfy_table::CellAlignment;
use std::process::ExitCode;

pub fn run(args: &crate::cli::PeopleArgs) -> Result<ExitCode> {
    use crate::cli::PeopleFormat;
    let store = Store::at(&args.store.store);
    let _reading = store.require()?;
    let people = crate::privacy::people(&store)?;
    let format = super::format_or(args.format, PeopleFormat::Table, PeopleFormat::Json);
    let text = match format {
        PeopleFormat::Json => serde_json::to_string_pretty(&people)? + "\n",
        PeopleFormat::Table => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
            // Long lists of aliases and references wrap within the terminal's width.
            t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            t.set_header(["person", "aliases", "named in", "texts"]);
            // Lists one entry a line, so that the table fits the terminal's width by
            // wrapping only the references; ids and aliases are never split.
            for p in &people {
                let refs: Vec<String> = p
                    .references
                    .iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect();
                // The id, then the name and the e-mail where they say more.
                let mut person = vec![p.person_id.clone()];
                person.extend(p.display_name.clone());
                person.extend(p.email.clone().filter(|e| *e != p.person_id));
                t.add_row(vec![
                    person.join("\n"),
                    p.aliases.join("\n"),
                    refs.join("\n"),
                    p.messages_with_text.to_string(),
                ]);
            }
            for i in [0, 1, 3] {
                if let Some(c) = t.column_mut(i) {
                    c.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
                }
            }
            if let Some(c) = t.column_mut(3) {
                c.set_cell_alignment(CellAlignment::Right);
            }
            format!(
                "{}\n{} people; texts: their chat message texts kept (only with ingest \
                 --keep-text).\n",
                crate::terminal::safe(&t.to_string()),
                people.len()
            )
        }
    };
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
