//! Ad-hoc queries: the named SQL files of `queries/` (compiled into the binary) and the
//! user's own SQL, run on Polars SQL over the canonical tables.
//!
//! A named query opens with comments: its one-line description, then one line per
//! parameter (`-- param since date 2000-01-01: what it means`). Parameters are typed
//! (date, number, text), validated, and reach the SQL only as literals this module
//! writes and quotes, so no value can change a query's structure. A date arrives as
//! seconds since the epoch (UTC), to compare with `EXTRACT(EPOCH FROM column)`: the one
//! form Polars SQL, DuckDB, Spark and Trino all read alike. The same files run
//! unmodified on DuckDB over the store (see the README).

use crate::schema::Table;
use crate::store::Store;
use anyhow::{anyhow, bail, Context, Result};
use polars::prelude::{AnyValue, DataFrame, IntoLazy};
use std::collections::BTreeMap;

/// The named queries, as the binary carries them.
pub const NAMED: &[(&str, &str)] = &[
    (
        "change_failure_by_service",
        include_str!("../queries/change_failure_by_service.sql"),
    ),
    ("comms_gaps", include_str!("../queries/comms_gaps.sql")),
    (
        "followups_without_owner",
        include_str!("../queries/followups_without_owner.sql"),
    ),
    (
        "hotspots_by_product_area",
        include_str!("../queries/hotspots_by_product_area.sql"),
    ),
    (
        "hotspots_by_service",
        include_str!("../queries/hotspots_by_service.sql"),
    ),
    (
        "hotspots_by_team",
        include_str!("../queries/hotspots_by_team.sql"),
    ),
    (
        "incidents_per_month",
        include_str!("../queries/incidents_per_month.sql"),
    ),
    (
        "open_action_items",
        include_str!("../queries/open_action_items.sql"),
    ),
    (
        "person_hours_by_team",
        include_str!("../queries/person_hours_by_team.sql"),
    ),
    (
        "recurring_incidents",
        include_str!("../queries/recurring_incidents.sql"),
    ),
    (
        "rejects_by_problem",
        include_str!("../queries/rejects_by_problem.sql"),
    ),
    (
        "repeat_incidents",
        include_str!("../queries/repeat_incidents.sql"),
    ),
    (
        "responder_load",
        include_str!("../queries/responder_load.sql"),
    ),
    (
        "retro_backlog",
        include_str!("../queries/retro_backlog.sql"),
    ),
    (
        "services_without_owner",
        include_str!("../queries/services_without_owner.sql"),
    ),
    (
        "themes_by_quarter",
        include_str!("../queries/themes_by_quarter.sql"),
    ),
    ("who_declares", include_str!("../queries/who_declares.sql")),
];

/// A parameter's type: what values it accepts and how it is written into the SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Date,
    Number,
    Text,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub kind: Kind,
    pub default: String,
    pub help: String,
}

#[derive(Debug, Clone)]
pub struct Query {
    pub name: String,
    pub description: String,
    pub params: Vec<Param>,
    pub sql: String,
}

impl Query {
    /// Reads a query file: description and parameters from its leading comments.
    pub fn parse(name: &str, text: &str) -> Result<Query> {
        let mut description = String::new();
        let mut params = Vec::new();
        for line in text
            .lines()
            .take_while(|l| l.trim_start().starts_with("--"))
        {
            let body = line.trim_start().trim_start_matches('-').trim();
            if let Some(spec) = body.strip_prefix("param ") {
                let (head, help) = spec.split_once(':').unwrap_or((spec, ""));
                let mut parts = head.split_whitespace();
                let (Some(pname), Some(kind), Some(default)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    bail!(
                        "query {name}: a param line needs a name, a type and a default: '{line}'"
                    );
                };
                let kind = match kind {
                    "date" => Kind::Date,
                    "number" => Kind::Number,
                    "text" => Kind::Text,
                    other => bail!("query {name}: parameter {pname} has unknown type '{other}' (date, number or text)"),
                };
                params.push(Param {
                    name: pname.to_string(),
                    kind,
                    default: default.to_string(),
                    help: help.trim().to_string(),
                });
            } else if description.is_empty() {
                description = body.to_string();
            }
        }
        Ok(Query {
            name: name.to_string(),
            description,
            params,
            sql: text.to_string(),
        })
    }

    pub fn named(name: &str) -> Result<Query> {
        let (n, text) = NAMED.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let known: Vec<&str> = NAMED.iter().map(|(n, _)| *n).collect();
            anyhow!(
                "no named query '{name}'; {}the named queries are: {}",
                crate::words::did_you_mean(name, known.iter().copied()),
                known.join(", ")
            )
        })?;
        Query::parse(n, text)
    }

    pub fn all() -> Result<Vec<Query>> {
        NAMED.iter().map(|(n, t)| Query::parse(n, t)).collect()
    }

    /// The SQL with every `:param` replaced by its quoted literal. `values` are the
    /// user's; `latest` is the store's latest timestamp, for defaults of `latest`.
    pub fn bind(&self, values: &BTreeMap<String, String>, latest: Option<i64>) -> Result<String> {
        for k in values.keys() {
            if !self.params.iter().any(|p| &p.name == k) {
                let takes: Vec<String> = self
                    .params
                    .iter()
                    .map(|p| format!("{} ({})", p.name, kind_name(p.kind)))
                    .collect();
                bail!(
                    "unknown parameter '{k}' for query '{}'; it takes: {}",
                    self.name,
                    if takes.is_empty() {
                        "no parameters".into()
                    } else {
                        takes.join(", ")
                    }
                );
            }
        }
        let mut literals = BTreeMap::new();
        for p in &self.params {
            let raw = values.get(&p.name).unwrap_or(&p.default);
            let lit = literal(p, raw, latest).with_context(|| format!("parameter '{}'", p.name))?;
            literals.insert(p.name.clone(), lit);
        }
        substitute(&self.sql, &literals)
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Date => "date",
        Kind::Number => "number",
        Kind::Text => "text",
    }
}

/// A value as an SQL literal of its kind; only validated values get through.
fn literal(p: &Param, raw: &str, latest: Option<i64>) -> Result<String> {
    Ok(match p.kind {
        Kind::Date => {
            let micros = if raw == "latest" {
                latest
                    .ok_or_else(|| anyhow!("the store holds no timestamps to take 'latest' from"))?
            } else {
                crate::time::parse_date_or_timestamp(raw, None).map_err(|e| anyhow!("{e}"))?
            };
            // Seconds since the epoch: Polars SQL neither compares a UTC datetime with a
            // string nor knows TIMESTAMPTZ, while `EXTRACT(EPOCH FROM column)` runs the
            // same on Polars, DuckDB, Spark and Trino. Queries compare against that.
            let seconds = micros as f64 / 1e6;
            if micros % 1_000_000 == 0 {
                format!("{}", micros / 1_000_000)
            } else {
                format!("{seconds}")
            }
        }
        Kind::Number => {
            let n: f64 = raw
                .trim()
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite())
                .ok_or_else(|| anyhow!("expected a number, found '{raw}'"))?;
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", n as i64)
            } else {
                format!("{n}")
            }
        }
        Kind::Text => format!("'{}'", raw.replace('\'', "''")),
    })
}

/// Replaces `:name` outside string literals, quoted identifiers and comments.
fn substitute(sql: &str, literals: &BTreeMap<String, String>) -> Result<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' => {
                // Copy the quoted span, doubled quotes included.
                out.push(c);
                i += 1;
                while i < chars.len() {
                    out.push(chars[i]);
                    if chars[i] == c {
                        if chars.get(i + 1) == Some(&c) {
                            out.push(c);
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            ':' if chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '_')
                && (i == 0 || chars[i - 1] != ':') =>
            {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_')
                {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                let lit = literals.get(&name).ok_or_else(|| {
                    anyhow!("the SQL uses :{name}, which is not a declared parameter")
                })?;
                out.push_str(lit);
                i = end;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Refuses anything but one read-only statement: a `DROP TABLE` or a second statement
/// would otherwise run against the query's own view of the store and print nothing,
/// as if it had answered. Text the parser does not take is left to Polars, whose
/// error says where it went wrong.
fn read_only(sql: &str) -> Result<()> {
    use sqlparser::ast::Statement;
    let Ok(statements) =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::GenericDialect {}, sql)
    else {
        return Ok(());
    };
    match statements.as_slice() {
        [Statement::Query(_)] => Ok(()),
        [] => bail!("the query is empty: write one SELECT (or WITH … SELECT) statement"),
        [one] => {
            let text = one.to_string();
            let verb: String = text
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            bail!(
                "only a read-only statement runs here (SELECT, or WITH … SELECT); found \
                 {verb:?}: queries never change the store"
            )
        }
        many => bail!(
            "one statement at a time: found {} (separated by ';'); run them one by one",
            many.len()
        ),
    }
}

/// Runs `sql` over every table of the store: one read-only statement.
pub fn run(store: &Store, sql: &str) -> Result<DataFrame> {
    run_over(store, sql, &|df| Ok(df))
}

/// [`run`] over the tables as `view` shows them: with pseudonyms, the query sees no
/// person's identity at all, whatever its expressions do with the columns.
pub fn run_over(
    store: &Store,
    sql: &str,
    view: &dyn Fn(DataFrame) -> Result<DataFrame>,
) -> Result<DataFrame> {
    read_only(sql)?;
    let mut ctx = polars::sql::SQLContext::new();
    for t in Table::ALL {
        ctx.register(t.name(), view(store.read(t)?)?.lazy());
    }
    let result = ctx.execute(sql).and_then(|lf| lf.collect());
    result.map_err(|e| anyhow!("{}", explain_sql_error(sql, &e.to_string())))
}

/// For "relation 'incident' was not found": which table was likely meant, and the
/// tables there are.
fn table_hint(message: &str) -> String {
    let Some(name) = message
        .split_once("relation '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(name, _)| name)
    else {
        return String::new();
    };
    let tables: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
    format!(
        "; {}the tables are {}",
        crate::words::did_you_mean(name, tables.iter().copied()),
        tables.join(", ")
    )
}

/// The error with the query text, numbered, and a caret where Polars says it went wrong.
fn explain_sql_error(sql: &str, message: &str) -> String {
    let position = message.find("Line: ").and_then(|at| {
        let rest = &message[at + 6..];
        let line: usize = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()?;
        let col_at = rest.find("Column: ")?;
        let col: usize = rest[col_at + 8..]
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()?;
        Some((line, col))
    });
    let mut out = format!("the SQL failed: {message}{}\n", table_hint(message));
    for (n, line) in sql.lines().enumerate() {
        out.push_str(&format!("{:>4} | {line}\n", n + 1));
        if let Some((l, c)) = position {
            if l == n + 1 {
                out.push_str(&format!("     | {}^\n", " ".repeat(c.saturating_sub(1))));
            }
        }
    }
    out
}

/// A cell for text output: timestamps as RFC 3339 UTC, nulls empty.
pub fn cell_text(v: &AnyValue) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Datetime(t, unit, _) | AnyValue::DatetimeOwned(t, unit, _) => {
            crate::time::format_micros(to_micros(*t, *unit))
        }
        other => other.to_string(),
    }
}

/// A cell for a terminal table: fractions rounded as their size asks and with
/// thousands separators (`1,849.8`); integers as they are (they may be numbers or years,
/// not amounts); the rest as [`cell_text`]. CSV and JSON keep every digit.
fn cell_readable(v: &AnyValue) -> String {
    match v {
        AnyValue::Float32(_) | AnyValue::Float64(_) => v
            .extract::<f64>()
            .map_or_else(|| cell_text(v), crate::words::readable),
        _ => cell_text(v),
    }
}

fn to_micros(t: i64, unit: polars::prelude::TimeUnit) -> i64 {
    match unit {
        polars::prelude::TimeUnit::Nanoseconds => t / 1000,
        polars::prelude::TimeUnit::Microseconds => t,
        polars::prelude::TimeUnit::Milliseconds => t * 1000,
    }
}

/// A cell for JSON output.
pub fn cell_json(v: &AnyValue) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        AnyValue::Null => J::Null,
        AnyValue::Boolean(b) => J::Bool(*b),
        AnyValue::Int8(_)
        | AnyValue::Int16(_)
        | AnyValue::Int32(_)
        | AnyValue::Int64(_)
        | AnyValue::UInt8(_)
        | AnyValue::UInt16(_)
        | AnyValue::UInt32(_)
        | AnyValue::UInt64(_) => v.extract::<i64>().map_or(J::Null, J::from),
        AnyValue::Float32(_) | AnyValue::Float64(_) => v
            .extract::<f64>()
            .and_then(serde_json::Number::from_f64)
            .map_or(J::Null, J::Number),
        _ => J::String(cell_text(v)),
    }
}

/// OWASP's advice against spreadsheet formula injection: a cell that starts with `=`,
/// `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`; so is one that starts
/// with their full-width forms (`＝`, `＋`, `－`, `＠`), which spreadsheets set to East
/// Asian input also take for formulas. Plain numbers (`-1.5`) cannot be formulas and are
/// left as they are.
pub fn neutralise(cell: String) -> String {
    const STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];
    if cell.starts_with(STARTS) && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell
    }
}

/// Writes a result as CSV (formula-safe), JSON (an array of objects, columns in order)
/// or a text table.
pub fn render(df: &DataFrame, format: Format, out: &mut dyn std::io::Write) -> Result<()> {
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows = (0..df.height()).map(|i| {
        df.columns()
            .iter()
            .map(move |c| c.get(i).unwrap_or(AnyValue::Null))
    });
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(names.iter().map(|n| neutralise(n.clone())))?;
            for row in rows {
                w.write_record(row.map(|v| neutralise(cell_text(&v))))?;
            }
            w.flush()?;
        }
        Format::Json => {
            let all: Vec<serde_json::Value> = rows
                .map(|row| {
                    let obj: serde_json::Map<String, serde_json::Value> = names
                        .iter()
                        .cloned()
                        .zip(row.map(|v| cell_json(&v)))
                        .collect();
                    serde_json::Value::Object(obj)
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        }
        Format::Table => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
            t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            t.set_header(names.clone());
            for row in rows {
                t.add_row(row.map(|v| cell_readable(&v)).collect::<Vec<_>>());
            }
            // Numbers right-aligned, so that their digits line up.
            for (i, c) in df.columns().iter().enumerate() {
                if c.dtype().is_primitive_numeric() {
                    if let Some(column) = t.column_mut(i) {
                        column.set_cell_alignment(comfy_table::CellAlignment::Right);
                    }
                }
            }
            writeln!(out, "{}", crate::terminal::safe(&t.to_string()))?;
            writeln!(
                out,
                "({} row{})",
                df.height(),
                if df.height() == 1 { "" } else { "s" }
            )?;
        }
        Format::Arrow => {
            use polars::prelude::SerWriter;
            let mut df = df.clone();
            polars::prelude::IpcWriter::new(out).finish(&mut df)?;
        }
    }
    Ok(())
}

/// What a query's result is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    /// An Arrow IPC file, for pyarrow and other Arrow readers.
    Arrow,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_query_declares_what_it_uses() {
        for q in Query::all().unwrap() {
            assert!(!q.description.is_empty(), "{}", q.name);
            q.bind(&BTreeMap::new(), Some(0))
                .unwrap_or_else(|e| panic!("{}: {e:#}", q.name));
        }
    }

    #[test]
    fn values_become_quoted_literals_only() {
        let q = Query::parse(
            "t",
            "-- test\n-- param who text x: a name\n-- param n number 3: a count\nSELECT ':who', :who, :n -- :who\n",
        )
        .unwrap();
        let evil = BTreeMap::from([(
            "who".to_string(),
            "x'; DROP TABLE incidents; --".to_string(),
        )]);
        let sql = q.bind(&evil, None).unwrap();
        assert_eq!(
            sql.lines().nth(3).unwrap(),
            "SELECT ':who', 'x''; DROP TABLE incidents; --', 3 -- :who"
        );
        let bad = BTreeMap::from([("n".to_string(), "3; DROP".to_string())]);
        assert_eq!(
            format!("{:#}", q.bind(&bad, None).unwrap_err()),
            "parameter 'n': expected a number, found '3; DROP'"
        );
        let unknown = BTreeMap::from([("whom".to_string(), "x".to_string())]);
        assert_eq!(
            q.bind(&unknown, None).unwrap_err().to_string(),
            "unknown parameter 'whom' for query 't'; it takes: who (text), n (number)"
        );
    }

    #[test]
    fn dates_are_validated_and_normalised() {
        let q = Query::parse(
            "t",
            "-- t\n-- param since date 2026-07-01: start\nSELECT :since",
        )
        .unwrap();
        // 2026-07-01T00:00:00Z is 1782864000 s after the epoch.
        assert_eq!(
            q.bind(&BTreeMap::new(), None)
                .unwrap()
                .lines()
                .last()
                .unwrap(),
            "SELECT 1782864000"
        );
        let bad = BTreeMap::from([("since".to_string(), "2026-13-01".to_string())]);
        assert!(q.bind(&bad, None).is_err());
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("-1.5".into()), "-1.5");
        assert_eq!(neutralise("-2+3".into()), "'-2+3");
        assert_eq!(neutralise("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(neutralise("\tx".into()), "'\tx");
        assert_eq!(neutralise("checkout-api".into()), "checkout-api");
        assert_eq!(neutralise("＝1+1".into()), "'＝1+1");
        assert_eq!(neutralise("＠SUM(A1)".into()), "'＠SUM(A1)");
    }
}
