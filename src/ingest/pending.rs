//! Records waiting for their incident, kept in the store and attached by the ingest
//! that brings it; rejects and the per-run rows the store keeps about an ingest.

use super::*;

/// The reject of a record the store refused, with its first row as the excerpt.
pub(crate) fn rejected(reason: Rejection, rec: &crate::record::Record) -> Reject {
    let raw = rec.rows.first().map(|r| {
        r.values
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",")
    });
    Reject::new(rec.location.clone(), reason, &raw.unwrap_or_default())
}

/// A record kept whole in the `pending` table until the incidents it names are known.
pub(crate) fn pending_row(
    run_id: i64,
    file: &str,
    missing: &[String],
    rec: &crate::record::Record,
) -> RowOf<tables::Pending> {
    Row::of(tables::Pending)
        .with(cell::FILE, Value::text(file))
        .with(cell::LOCATION, Value::text(rec.location.as_str()))
        .with(cell::REQUIRES, Value::List(missing.to_vec()))
        .with(cell::RECORD, Value::text(rec.rows_to_json()))
        .with(cell::RUN_ID, Value::Int(run_id))
}

/// Stores every pending record (of this run, or kept by an earlier one) whose incidents
/// are now all known, whatever the order its files and theirs came in. A record of this
/// run moves from pending to what became of it in its file's accounting; one of an
/// earlier run is counted in `report.attached` (or, should it be refused now, is a
/// reject of this run under its own file's name).
pub(crate) fn attach_pending(writer: &mut Writer, run_id: i64, report: &mut Report) -> Result<()> {
    let pending = writer.rows(Table::Pending)?;
    if pending.height() == 0 {
        return Ok(());
    }
    // Judged as one file of their own: keys of different input files do not conflict.
    writer.begin_file();
    let mut still = 0u64;
    for i in 0..pending.height() {
        let row = crate::store::row_at(&pending, Table::Pending, i)?;
        let requires = match row.get(col::REQUIRES) {
            Value::List(l) => l.clone(),
            _ => Vec::new(),
        };
        let mut known = true;
        for id in &requires {
            known &= writer.has_incident(id)?;
        }
        if !known {
            still += 1;
            continue;
        }
        let file = row.get(col::FILE).to_string();
        let location = row.get(col::LOCATION).to_string();
        let this_run = *row.get(col::RUN_ID) == Value::Int(run_id);
        writer.remove(&row)?;
        let mut rec = crate::record::Record::new(location.clone(), Vec::new());
        let applied = match Record::rows_from_json(&row.get(col::RECORD).to_string()) {
            Ok(rows) => {
                rec.rows = rows;
                writer.apply(rec)?
            }
            Err(reason) => Applied::Rejected(Rejection::syntax(reason), rec),
        };
        let fr = report
            .files
            .iter_mut()
            .find(|f| this_run && f.file == file && !f.unchanged);
        match (applied, fr) {
            (Applied::Stored(rows), Some(fr)) => {
                fr.counts.unpend();
                fr.each_kind(rows.iter().map(|(t, _)| *t), Tally::unpend);
                count_stored(fr, &rows);
            }
            (Applied::Stored(_), None) => report.attached += 1,
            (Applied::Rejected(reason, rec), Some(fr)) => {
                fr.counts.unpend();
                fr.counts.reject();
                let tables = || rec.rows.iter().map(|r| r.table);
                fr.each_kind(tables(), Tally::unpend);
                fr.each_kind(tables(), Tally::reject);
                report.rejects.push((file, rejected(reason, &rec)));
            }
            (Applied::Rejected(reason, rec), None) => {
                let r = rejected(reason, &rec);
                writer.put(reject_row(run_id, &file, &r), &file)?;
                report.rejects.push((file, r));
            }
            (Applied::Pending(..), _) => unreachable!("every incident it requires is known"),
        }
    }
    report.still_pending = still;
    Ok(())
}

/// Closes a file's accounting with the adapter's result.
pub(crate) fn finish(
    fr: &mut FileReport,
    rejects: &mut Vec<Reject>,
    result: Option<std::result::Result<Vec<String>, sources::FileError>>,
) {
    for (label, n) in &fr.unmapped_severities {
        fr.warnings.push(format!(
            "severity label '{label}' ({}) maps to no severity: counted as severity unknown; \
             map it in incidentlens.toml: [severity] map = {{ \"{label}\" = \"SEV2\" }}",
            crate::words::count(*n, "incident", "incidents")
        ));
    }
    match result {
        None => {}
        Some(Ok(warnings)) => fr.warnings.splice(0..0, warnings).for_each(drop),
        // Adapters fail a file only before its first record; should one fail later, what
        // it read stands and the unreadable rest is one reject, so the accounting holds.
        Some(Err(e)) if fr.counts.read > 0 => {
            fr.counts.reject();
            fr.cut = Some((e.location.clone(), None));
            rejects.push(Reject::new(
                e.location.clone(),
                Rejection::new(
                    Problem::Cut,
                    format!("the rest of the file could not be read: {}", e.message),
                ),
                "",
            ));
        }
        Some(Err(e)) => fr.error = Some((e.fault, e.to_string())),
    }
}

/// The file's row in `ingest_runs` and its rejects, in the same commit as its rows.
pub(crate) fn account(
    writer: &mut Writer,
    run_id: i64,
    started: i64,
    fr: &FileReport,
    rejects: &[&Reject],
) -> Result<()> {
    let display = &fr.file;
    let run_row = Row::of(tables::IngestRuns)
        .with(cell::RUN_ID, Value::Int(run_id))
        .with(cell::FILE, Value::text(display.as_str()))
        .with(cell::SHA256, Value::text(fr.sha256.as_str()))
        .with(cell::SOURCE, Value::text(fr.source.as_str()))
        .with_all(fr.counts.cells())
        .with(cell::ROWS_SKIPPED, Value::Int(fr.counts.skipped as i64))
        .with(cell::STARTED_AT, Value::Ts(started));
    writer.put(run_row, display)?;
    for (table, t) in &fr.kinds {
        let row = Row::of(tables::IngestCounts)
            .with(cell::RUN_ID, Value::Int(run_id))
            .with(cell::FILE, Value::text(display.as_str()))
            .with(cell::KIND, Value::text(table.name()))
            .with_all(t.cells());
        writer.put(row, display)?;
    }
    for r in rejects {
        writer.put(reject_row(run_id, display, r), display)?;
    }
    Ok(())
}

/// A reject's row in the `rejects` table.
pub(crate) fn reject_row(run_id: i64, file: &str, r: &Reject) -> RowOf<tables::Rejects> {
    Row::of(tables::Rejects)
        .with(cell::RUN_ID, Value::Int(run_id))
        .with(cell::FILE, Value::text(file))
        .with(cell::LOCATION, Value::text(r.location.as_str()))
        .with(cell::PROBLEM, Value::text(r.problem.label()))
        .with(cell::REASON, Value::text(r.reason.as_str()))
        .with(cell::EXCERPT, Value::text(r.excerpt.as_str()))
}
