//! The canonical form: one CSV or JSONL file per table, named after it
//! (`incidents.csv`, `action_items.jsonl`, …) or known by its header, columns by header
//! name.
//!
//! This is how home-grown trackers and spreadsheets get in, so it is forgiving where that
//! is safe (file names, column order, extra columns warned about, empty cells as nulls,
//! common spellings of statuses and roles, `people.csv` in the roster form, a severity
//! label no rule maps kept as unknown with a warning) and strict where it is not (a
//! timestamp without a zone, a duplicate key within one file — the last is enforced by
//! the store).

use super::{table_csv, Context, Fault, FileError, Input, Source};
use crate::normalize;
use crate::record::{Item, Reject, Rejection, Row, Value};
use crate::schema::{cell, col, Kind, Table};
use chrono_tz::Tz;
use compact_str::format_compact;
use std::collections::BTreeSet;
use std::io::BufRead;

mod jsonl;
use jsonl::read_jsonl;

pub struct Canonical;

/// The `source` value of rows that do not name one.
pub const SOURCE: &str = "canonical";

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Jsonl,
}

/// Header spellings accepted besides the column names themselves.
const SYNONYMS: &[(Table, &str, &str)] = &[
    (Table::People, "name", col::DISPLAY_NAME),
    (Table::People, "tz", col::TIMEZONE),
    (Table::People, "time_zone", col::TIMEZONE),
    (Table::People, "e_mail", col::EMAIL),
    (Table::Services, "owner", col::TEAM),
    (Table::Services, "name", col::SERVICE),
    (Table::ActionItems, "assignee", col::OWNER),
    (Table::ActionItems, "due", col::DUE_AT),
    (Table::ActionItems, "due_date", col::DUE_AT),
    (Table::Incidents, "id", col::EXTERNAL_ID),
    (Table::Incidents, "priority", col::SEVERITY),
];

/// A file's form from its extension, and its stem as a table name would be written:
/// lower case, a copy's ` (1)` dropped, spaces as `_`.
fn form(input: &Input) -> Option<(String, Format)> {
    let name = input.file_name();
    let (stem, format) = if let Some(s) = name.strip_suffix(".csv") {
        (s, Format::Csv)
    } else if let Some(s) = name
        .strip_suffix(".jsonl")
        .or_else(|| name.strip_suffix(".ndjson"))
    {
        (s, Format::Jsonl)
    } else {
        return None;
    };
    let mut stem = stem.trim();
    if let Some(open) = stem.rfind(" (") {
        let n = &stem[open + 2..];
        if n.strip_suffix(')')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        {
            stem = stem[..open].trim_end();
        }
    }
    Some((stem.replace(' ', "_"), format))
}

/// Which table a file holds, and in which form: `--table` when given, else from its
/// name (`incidents.csv`, `acme-incidents.jsonl`, `incidents (1).csv`; `roster.csv` and
/// `catalog.csv` for people and services), else from its header, when exactly one
/// table's columns identify its rows and match the most header cells.
fn classify(input: &Input, forced: Option<Table>) -> Option<(Table, Format)> {
    let (stem, format) = form(input)?;
    if let Some(t) = forced {
        return Some((t, format));
    }
    by_name(&stem)
        .or_else(|| by_header(&header_of(input, format)?))
        .map(|t| (t, format))
}

/// The header cells of a file from its first bytes: the CSV header, or the keys of the
/// first JSONL object.
fn header_of(input: &Input, format: Format) -> Option<Vec<String>> {
    let head = input
        .head
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(&input.head);
    match format {
        Format::Csv => csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(head)
            .records()
            .next()?
            .ok()
            .map(|r| r.iter().map(str::to_string).collect()),
        Format::Jsonl => {
            let line = head.split(|b| *b == b'\n').next()?;
            match serde_json::from_slice::<serde_json::Value>(line).ok()? {
                serde_json::Value::Object(o) => Some(o.keys().cloned().collect()),
                _ => None,
            }
        }
    }
}

/// The one table whose columns identify rows of this header and match the most cells
/// of it; none when two tie.
fn by_header(header: &[String]) -> Option<Table> {
    let mut best: Vec<(usize, Table)> = Table::ALL
        .iter()
        .filter(|t| t.is_data())
        .filter_map(|&t| {
            let mapped: Vec<Option<&'static str>> =
                header.iter().map(|h| column_for(t, h)).collect();
            identifies(t, &mapped).then(|| (mapped.iter().flatten().count(), t))
        })
        .collect();
    best.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    match best[..] {
        [(n, t), (m, _), ..] if n > m => Some(t),
        [(_, t)] => Some(t),
        _ => None,
    }
}

/// The table a file stem names, if any.
fn by_name(stem: &str) -> Option<Table> {
    let mut names: Vec<(String, Table)> = Table::ALL
        .iter()
        .filter(|t| t.is_data())
        .map(|t| (t.name().to_string(), *t))
        .collect();
    names.push(("roster".into(), Table::People));
    names.push(("service_catalog".into(), Table::Services));
    names.push(("catalog".into(), Table::Services));
    // Longest first, so `incident_services` is not taken for `services`.
    names.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    names
        .into_iter()
        .find(|(n, _)| {
            stem == n
                || [b'-', b'_', b'.'].iter().any(|sep| {
                    stem.len() > n.len()
                        && stem.ends_with(n.as_str())
                        && stem.as_bytes()[stem.len() - n.len() - 1] == *sep
                })
        })
        .map(|(_, t)| t)
}

impl Source for Canonical {
    fn name(&self) -> &'static str {
        "canonical"
    }

    fn role(&self) -> super::Role {
        super::Role::Canonical
    }

    fn describe(&self) -> &'static str {
        "one CSV or JSONL file per canonical table, named after it (incidents.csv) or known by its header; --table names it"
    }

    fn detect(&self, input: &Input) -> bool {
        classify(input, None).is_some()
    }

    fn read(
        &self,
        input: &Input,
        ctx: &Context,
        emit: &mut dyn FnMut(Item),
    ) -> Result<Vec<String>, FileError> {
        let (table, format) = classify(input, ctx.table).ok_or_else(|| {
            FileError::new(
                Fault::Layout,
                "file",
                "neither named after a canonical table (incidents.csv, …) nor with a header \
                 that fits exactly one; name the table with --table",
            )
        })?;
        let zone = ctx.zone_of(SOURCE)?;
        let cells = Cells { table, zone, ctx };
        let reader = table_csv::open(&input.path)?;
        match format {
            Format::Csv => read_csv(reader, &cells, emit),
            Format::Jsonl => read_jsonl(reader, &cells, emit),
        }
    }
}

/// Maps a header cell to the canonical column it names, if any.
fn column_for(table: Table, header: &str) -> Option<&'static str> {
    let h = header.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    if let Some(c) = table.columns().iter().find(|c| c.name == h) {
        return Some(c.name);
    }
    SYNONYMS
        .iter()
        .find(|(t, s, _)| *t == table && *s == h)
        .map(|(_, _, c)| *c)
}

/// Whether header cells mapped to `table`'s columns identify its rows: identity can be
/// derived for a few tables; the rest need their key columns.
fn identifies(table: Table, mapped: &[Option<&'static str>]) -> bool {
    let has = |c: &str| mapped.contains(&Some(c));
    match table {
        Table::Incidents => has(col::INCIDENT_ID) || has(col::EXTERNAL_ID),
        Table::People => has(col::PERSON_ID) || has(col::EMAIL) || has(col::ALIASES),
        Table::Pages => has(col::PAGE_ID) || (has(col::INCIDENT_ID) && has(col::SENT_AT)),
        Table::Events => has(col::INCIDENT_ID) && has(col::AT) && has(col::KIND),
        Table::Participants => has(col::INCIDENT_ID) && has(col::PERSON_ID) && has(col::ROLE),
        Table::OnCall => has(col::ENTRY_ID) || has(col::PERSON_ID),
        t => t.key().iter().all(|k| has(k)),
    }
}

/// Where a column this table lacks belongs, the likeliest first found: tables that
/// carry this table's key and have the column in their own key (`service` of an
/// incident → incident_services); else tables that carry this table's key and have the
/// column; else any that have it.
fn belongs_in(table: Table, header: &str) -> Vec<Table> {
    let Some(name) = Table::ALL.iter().find_map(|t| column_for(*t, header)) else {
        return Vec::new();
    };
    let others: Vec<Table> = Table::ALL
        .iter()
        .copied()
        .filter(|t| t.is_data() && *t != table && t.index_of(name).is_some())
        .collect();
    let carries = |t: &Table| table.key().iter().all(|k| t.index_of(k).is_some());
    let keyed_by = |t: &Table| t.key().contains(&name);
    // 2: carries this table's key and has the column in its own key; 1: carries the
    // key; 0: has the column.
    let rank = |t: &Table| u8::from(carries(t)) * (1 + u8::from(keyed_by(t)));
    let best = others.iter().map(rank).max().unwrap_or(0);
    others.into_iter().filter(|t| rank(t) == best).collect()
}

/// Checks that a header can identify rows; returns the column of each header cell.
fn map_header(
    table: Table,
    header: &[String],
) -> Result<(Vec<Option<&'static str>>, Vec<String>), FileError> {
    let mapped: Vec<Option<&'static str>> = header.iter().map(|h| column_for(table, h)).collect();
    if !identifies(table, &mapped) {
        let fits = by_header(header)
            .filter(|t| *t != table)
            .map(|t| {
                format!(
                    "; the header fits the {0} table: name the file {0}.csv or pass --table {0}",
                    t.name()
                )
            })
            .unwrap_or_default();
        return Err(FileError::new(
            Fault::Layout,
            "line 1",
            format!(
                "the header cannot identify {} rows: expected the column(s) {}, found {}{fits}",
                table.name(),
                table.key().join(", "),
                header.join(", ")
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    for (h, c) in header.iter().zip(&mapped) {
        if let Some(c) = c {
            if !seen.insert(*c) {
                return Err(FileError::new(
                    Fault::Layout,
                    "line 1",
                    format!("the header names column '{c}' twice (as '{h}')"),
                ));
            }
        }
    }
    let unknown: Vec<&String> = header
        .iter()
        .zip(&mapped)
        .filter(|(_, c)| c.is_none())
        .map(|(h, _)| h)
        .collect();
    let mut warnings: Vec<String> = ignoring("column(s)", &unknown, table).into_iter().collect();
    for h in unknown {
        let files: Vec<String> = belongs_in(table, h)
            .into_iter()
            .map(|t| format!("{}.csv (a row per {})", t.name(), t.key().join(" and ")))
            .collect();
        if !files.is_empty() {
            warnings.push(format!(
                "column '{h}' is not a column of the {} table: it belongs in {}",
                table.name(),
                files.join(" or ")
            ));
        }
    }
    Ok((mapped, warnings))
}

fn read_csv(
    reader: impl BufRead,
    cells: &Cells,
    emit: &mut dyn FnMut(Item),
) -> Result<Vec<String>, FileError> {
    table_csv::read_rows(
        reader,
        &mut |header: &[String]| map_header(cells.table, header),
        table_csv::Keep::All,
        &|location, fields, raw| cells.item(location, fields.as_slice(), raw),
        &mut table_csv::emitting(emit),
    )
}

/// The warning for the header cells (CSV) or keys (JSON Lines) of a file that name no
/// column of its table, when there are any.
fn ignoring(what: &str, names: &[impl std::fmt::Display], table: Table) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let list: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    Some(format!(
        "ignoring {what} {} not in the {} table",
        list.join(", "),
        table.name()
    ))
}

/// Turns named text cells into a typed canonical row.
struct Cells<'a> {
    table: Table,
    zone: Option<Tz>,
    ctx: &'a Context<'a>,
}

impl Cells<'_> {
    fn item(
        &self,
        location: String,
        values: &[(&'static str, String)],
        raw: table_csv::Raw,
    ) -> Item {
        Item::of(location, self.row(values).map(|row| vec![row]), raw)
    }

    fn row(&self, values: &[(&'static str, String)]) -> Result<Row, Rejection> {
        let table = self.table;
        let mut row = Row::new(table);
        let mut raw_severity = None;
        let mut raw_status = None;
        for (name, text) in values {
            let column = table.column(name).expect("mapped columns exist");
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            // Labels that need mapping are kept raw and mapped below.
            if table == Table::Incidents && column.name == col::SEVERITY {
                raw_severity = Some(text.to_string());
                continue;
            }
            if table == Table::ActionItems && column.name == col::STATUS {
                raw_status = Some(text.to_string());
                continue;
            }
            let value = match column.kind {
                Kind::Str => Value::text(text),
                Kind::Int => Value::Int(text.parse().map_err(|_| {
                    Rejection::invalid(format!(
                        "{}: expected an integer, found '{text}'",
                        column.name
                    ))
                })?),
                Kind::Bool => Value::Bool(parse_bool(text).ok_or_else(|| {
                    Rejection::invalid(format!(
                        "{}: expected true or false, found '{text}'",
                        column.name
                    ))
                })?),
                Kind::Timestamp if column.name == col::DUE_AT => Value::Ts(
                    crate::time::parse_date_or_timestamp(text, self.zone)
                        .map_err(|e| Rejection::invalid(format!("{}: {e}", column.name)))?,
                ),
                Kind::Timestamp => Value::Ts(
                    crate::time::parse_timestamp(text, self.zone)
                        .map_err(|e| Rejection::invalid(format!("{}: {e}", column.name)))?,
                ),
                Kind::StrList => Value::List(crate::record::split_list(text)),
            };
            row.set_named(column.name, value);
        }
        self.complete(&mut row, raw_severity, raw_status)?;
        Ok(row)
    }

    /// Derives what the canonical form lets a spreadsheet leave out, and maps labels.
    fn complete(
        &self,
        row: &mut Row,
        raw_severity: Option<String>,
        raw_status: Option<String>,
    ) -> Result<(), Rejection> {
        // People are referred to by lower-cased e-mail wherever an e-mail is used.
        for c in [col::PERSON_ID, col::OWNER, col::DECLARED_BY, col::COMMANDER] {
            if let Value::Str(s) = row.get(c) {
                if s.contains('@') {
                    let lower = s.to_lowercase();
                    row.set_named(c, Value::Str(lower));
                }
            }
        }
        let has_source_column = row.table.index_of(col::SOURCE).is_some();
        if has_source_column && row.get(col::SOURCE).is_null() {
            row.set(cell::SOURCE, Value::text(SOURCE));
        }
        match row.table {
            Table::Incidents => self.complete_incident(row, raw_severity),
            Table::ActionItems => complete_item(row, raw_status)?,
            Table::Participants => map_closed(row, col::ROLE, normalize::role)?,
            Table::Pages => complete_page(row)?,
            Table::Events => map_closed(row, col::KIND, normalize::event_kind)?,
            Table::Messages => {
                if !self.ctx.keep_text {
                    row.set(cell::TEXT, Value::Null);
                }
                if row.get(col::IS_BOT).is_null() {
                    row.set(cell::IS_BOT, Value::Bool(false));
                }
            }
            Table::People => complete_person(row)?,
            _ => {}
        }
        row.validate()
    }

    /// An incident's id from its external id (or the other way), its severity mapped
    /// from the label (a label no rule maps leaves it unknown, the label kept: the
    /// ingest warns once per label), and its flags false unless set.
    fn complete_incident(&self, row: &mut Row, raw_severity: Option<String>) {
        let source = row.get(col::SOURCE).to_string();
        match (
            row.get(col::INCIDENT_ID).clone(),
            row.get(col::EXTERNAL_ID).clone(),
        ) {
            (Value::Null, Value::Str(ext)) => {
                row.set(
                    cell::INCIDENT_ID,
                    Value::text(format_compact!("{source}:{ext}")),
                );
            }
            (Value::Str(id), Value::Null) => {
                let ext = id.split_once(':').map_or(id.as_str(), |(_, e)| e);
                row.set(cell::EXTERNAL_ID, Value::text(ext));
            }
            _ => {}
        }
        if let Some(raw) = raw_severity {
            let sev = normalize::severity(&raw, &self.ctx.config.severity.map);
            row.set(cell::SEVERITY, Value::opt_text(sev));
            if row.get(col::SEVERITY_RAW).is_null() {
                row.set(cell::SEVERITY_RAW, Value::text(raw));
            }
        }
        for flag in [col::IS_DRILL, col::IS_MAINTENANCE] {
            if row.get(flag).is_null() {
                row.set_named(flag, Value::Bool(false));
            }
        }
    }
}

/// An action item's status from the tracker's word, else from whether it was
/// completed; the word kept.
fn complete_item(row: &mut Row, raw_status: Option<String>) -> Result<(), Rejection> {
    let status = match &raw_status {
        Some(raw) => normalize::item_status(raw).ok_or_else(|| {
            Rejection::invalid(format!("status: expected open, done or wont_do (or a tracker word such as Closed, Won't Do), found '{raw}'"))
        })?,
        None if row.get(col::COMPLETED_AT).is_null() => "open",
        None => "done",
    };
    row.set(cell::STATUS, Value::text(status));
    if row.get(col::STATUS_RAW).is_null() {
        row.set(cell::STATUS_RAW, Value::opt_text(raw_status));
    }
    Ok(())
}

/// A page's channel from the closed vocabulary; without an id a page is known by whom
/// it reached, when and how (the same minute's SMS and push notification are two pages).
fn complete_page(row: &mut Row) -> Result<(), Rejection> {
    map_closed(row, col::CHANNEL, normalize::page_channel)?;
    if row.get(col::PAGE_ID).is_null() {
        let id = format!(
            "{}:{}:{}:{}",
            row.get(col::INCIDENT_ID),
            row.get(col::PERSON_ID),
            row.get(col::SENT_AT),
            row.get(col::CHANNEL)
        );
        row.set(cell::PAGE_ID, Value::text(id));
    }
    Ok(())
}

/// A person's zone checked, and an id from their email or first alias when they have
/// none.
fn complete_person(row: &mut Row) -> Result<(), Rejection> {
    if let Value::Str(tz) = row.get(col::TIMEZONE) {
        crate::time::parse_zone(tz).map_err(|e| Rejection::invalid(format!("timezone: {e}")))?;
    }
    if row.get(col::PERSON_ID).is_null() {
        let id = match (row.get(col::EMAIL), row.get(col::ALIASES)) {
            (Value::Str(e), _) => e.to_lowercase(),
            (_, Value::List(a)) if !a.is_empty() => a[0].as_str().into(),
            _ => {
                return Err(Rejection::missing(
                    "a person needs a person_id, an email or an alias",
                ))
            }
        };
        row.set(cell::PERSON_ID, Value::Str(id));
    }
    Ok(())
}

/// Maps a closed-vocabulary column through `f`, rejecting labels it does not know.
fn map_closed(
    row: &mut Row,
    column: &str,
    f: fn(&str) -> Option<&'static str>,
) -> Result<(), Rejection> {
    if let Value::Str(raw) = row.get(column).clone() {
        let v = f(&raw)
            .ok_or_else(|| Rejection::invalid(format!("{column}: unknown value '{raw}'")))?;
        row.set_named(column, Value::text(v));
    }
    Ok(())
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "t" => Some(true),
        "false" | "no" | "n" | "0" | "f" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn input(name: &str) -> Input {
        Input::with_head(name.into(), name.into(), b"x".to_vec())
    }

    #[test]
    fn classifies_by_name() {
        let t = |n: &str| classify(&input(n), None).map(|(t, _)| t);
        assert_eq!(t("incidents.csv"), Some(Table::Incidents));
        assert_eq!(
            t("acme-incident_services.csv"),
            Some(Table::IncidentServices)
        );
        assert_eq!(t("services.jsonl"), Some(Table::Services));
        assert_eq!(t("roster.csv"), Some(Table::People));
        assert_eq!(t("rejects.csv"), None);
        assert_eq!(t("incidents.json"), None);
        assert_eq!(t("myincidents.csv"), None);
    }

    #[test]
    fn roster_rows_get_ids_from_email() {
        let config = Config::default();
        let ctx = Context::plain(&config);
        let cells = Cells {
            table: Table::People,
            zone: None,
            ctx: &ctx,
        };
        let row = cells
            .row(&[
                (col::EMAIL, "Ana@Example.com".into()),
                (col::DISPLAY_NAME, "Ana".into()),
                (col::ALIASES, "pagerduty:P1; slack:U1".into()),
            ])
            .unwrap();
        assert_eq!(row.get(col::PERSON_ID), &Value::text("ana@example.com"));
        assert_eq!(
            row.get(col::ALIASES),
            &Value::List(vec!["pagerduty:P1".into(), "slack:U1".into()])
        );
    }

    #[test]
    fn an_unmapped_severity_is_kept_as_unknown_with_its_label() {
        let config = Config::default();
        let ctx = Context::plain(&config);
        let cells = Cells {
            table: Table::Incidents,
            zone: None,
            ctx: &ctx,
        };
        let row = cells
            .row(&[
                (col::INCIDENT_ID, "x:1".into()),
                (col::SEVERITY, "Urgent".into()),
            ])
            .unwrap();
        assert_eq!(row.get(col::SEVERITY), &Value::Null);
        assert_eq!(row.get(col::SEVERITY_RAW), &Value::text("Urgent"));
    }

    #[test]
    fn a_file_named_otherwise_is_known_by_its_header() {
        let header = |h: &str| h.split(',').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            by_header(&header("incident_id,number,title,severity,started_at")),
            Some(Table::Incidents)
        );
        assert_eq!(
            by_header(&header("incident_id,service")),
            Some(Table::IncidentServices)
        );
        assert_eq!(
            by_header(&header("item_id,incident_id,title,owner,status")),
            Some(Table::ActionItems)
        );
        assert_eq!(by_header(&header("who,when")), None);
        assert_eq!(by_name("incidents"), Some(Table::Incidents));
        assert_eq!(
            belongs_in(Table::Incidents, "service"),
            vec![Table::IncidentServices]
        );
    }
}
