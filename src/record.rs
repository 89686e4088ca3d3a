//! What a source hands to the store: canonical rows grouped into input records.
//!
//! An *input record* is one unit of the vendor export (a CSV line, a JSON incident, a chat
//! message). It yields zero or more canonical [`Row`]s, or is rejected with a reason. The
//! accounting identity `read = ingested + duplicate + rejected` is kept per input record,
//! never per canonical row, so a user can check it against their own file.
//!
//! Validation that every source shares (closed vocabularies, required keys) lives here in
//! [`Row::validate`], so that each adapter gets the same rejects for free.

use crate::schema::{col, position, vocab, Kind, Named, Table, TableType};
use compact_str::CompactString;
use polars::prelude::AnyValue;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// The longest text a cell may hold (1 MiB): a title or message longer than this is
/// not one, and would only bloat the store.
pub const MAX_CELL_BYTES: usize = 1 << 20;

/// One cell of a canonical row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Text of up to 24 bytes is held inline, without an allocation.
    Str(CompactString),
    Int(i64),
    Bool(bool),
    /// Microseconds since the Unix epoch, UTC.
    Ts(i64),
    List(Vec<String>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A text value, or null for an empty string.
    pub fn text(s: impl Into<CompactString>) -> Value {
        let s = s.into();
        if s.is_empty() {
            Value::Null
        } else {
            Value::Str(s)
        }
    }

    pub fn opt_text(s: Option<impl Into<CompactString>>) -> Value {
        s.map_or(Value::Null, Value::text)
    }

    pub fn opt_ts(t: Option<i64>) -> Value {
        t.map_or(Value::Null, Value::Ts)
    }

    /// Reads a cell back from a Polars column (the store's existing rows).
    pub fn from_any(v: AnyValue<'_>) -> Value {
        match v {
            AnyValue::Null => Value::Null,
            AnyValue::String(s) => Value::Str(s.into()),
            AnyValue::StringOwned(s) => Value::Str(s.as_str().into()),
            AnyValue::Int64(i) => Value::Int(i),
            AnyValue::Int32(i) => Value::Int(i.into()),
            AnyValue::Boolean(b) => Value::Bool(b),
            AnyValue::Datetime(t, _, _) => Value::Ts(t),
            AnyValue::DatetimeOwned(t, _, _) => Value::Ts(t),
            AnyValue::List(s) => Value::List(
                s.str()
                    .map(|ca| ca.iter().flatten().map(str::to_string).collect())
                    .unwrap_or_default(),
            ),
            other => Value::Str(other.to_string().into()),
        }
    }

    /// Reads a stored cell back as the column's logical kind (lists are stored as text).
    pub fn from_stored(v: AnyValue<'_>, kind: Kind) -> Value {
        match (Value::from_any(v), kind) {
            (Value::Str(s), Kind::StrList) => Value::List(split_list(&s)),
            (v, _) => v,
        }
    }

    /// The cell as part of a row key: stable, and distinct for distinct values.
    pub fn key_part(&self, out: &mut String) {
        match self {
            Value::Null => out.push('\u{0}'),
            Value::Str(s) => out.push_str(s),
            Value::Int(i) | Value::Ts(i) => out.push_str(&i.to_string()),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::List(l) => out.push_str(&l.join(";")),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str(""),
            Value::Str(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Ts(t) => f.write_str(&crate::time::format_micros(*t)),
            Value::List(l) => f.write_str(&l.join(";")),
        }
    }
}

/// A row of one canonical table, its cells in the table's column order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub table: Table,
    pub values: Vec<Value>,
}

impl Row {
    pub fn new(table: Table) -> Row {
        Row {
            table,
            values: vec![Value::Null; table.columns().len()],
        }
    }

    /// A row being built for a table known when compiled, its cells checked then:
    /// `Row::of(tables::Incidents).with(cell::TITLE, …)`.
    pub fn of<T: TableType>(_table: T) -> RowOf<T> {
        RowOf::new()
    }

    /// Sets a cell of a row whose table is known only when it runs (rows handed
    /// around as `Row`). A column the table lacks is a programming error, caught in
    /// tests; a row built for a table known when compiled is a [`RowOf`], whose cells
    /// are checked then.
    pub fn set<C: Named>(&mut self, _column: C, value: Value) -> &mut Row {
        self.set_named(C::NAME, value)
    }

    pub fn with<C: Named>(mut self, column: C, value: Value) -> Row {
        self.set(column, value);
        self
    }

    /// Sets a cell by a column name found when reading (a header, another table's
    /// column); panics when the table lacks it, as [`Row::set`].
    pub fn set_named(&mut self, column: &str, value: Value) -> &mut Row {
        let i = self
            .table
            .index_of(column)
            .unwrap_or_else(|| panic!("table {} has no column {column}", self.table.name()));
        self.values[i] = value;
        self
    }

    /// Sets several cells at once, by name.
    pub fn with_all<'c>(mut self, cells: impl IntoIterator<Item = (&'c str, Value)>) -> Row {
        for (c, v) in cells {
            self.set_named(c, v);
        }
        self
    }

    pub fn get(&self, column: &str) -> &Value {
        match self.table.index_of(column) {
            Some(i) => &self.values[i],
            None => &Value::Null,
        }
    }

    /// Fills in an identity the source did not give: an event without `event_id` (an
    /// on-call entry without `entry_id`) is known by a digest of everything it says, so
    /// that the same entry exported twice is one row and two that differ in anything are
    /// two.
    pub fn complete(&mut self) {
        let (id, content): (&str, &[&str]) = match self.table {
            Table::Events => (
                col::EVENT_ID,
                &[col::AT, col::KIND, col::PERSON_ID, col::DETAIL, col::SOURCE],
            ),
            Table::OnCall => (
                col::ENTRY_ID,
                &[
                    col::PERSON_ID,
                    col::SCHEDULE,
                    col::ESCALATION_POLICY,
                    col::LEVEL,
                    col::STARTED_AT,
                    col::ENDED_AT,
                    col::SOURCE,
                ],
            ),
            _ => return,
        };
        if !self.get(id).is_null() {
            return;
        }
        let mut text = String::new();
        for c in content {
            self.get(c).key_part(&mut text);
            text.push('\u{1f}');
        }
        let digest = xxhash_rust::xxh3::xxh3_128(text.as_bytes());
        self.set_named(
            id,
            Value::text(compact_str::format_compact!("digest:{digest:032x}")),
        );
    }

    pub fn key(&self) -> String {
        let mut k = String::new();
        for (n, c) in self.table.key().iter().enumerate() {
            if n > 0 {
                k.push('\u{1f}');
            }
            self.get(c).key_part(&mut k);
        }
        k
    }

    /// Checks what every source must respect: key cells present, cell types right, closed
    /// vocabularies obeyed. Returns the reason a user reads when it is not.
    pub fn validate(&self) -> Result<(), Rejection> {
        let t = self.table;
        for (c, v) in t.columns().iter().zip(&self.values) {
            if let Value::Str(s) = v {
                if s.len() > MAX_CELL_BYTES {
                    return Err(Rejection::new(
                        Problem::TooLarge,
                        format!(
                            "{}: a value of {} bytes, more than the {} a cell may hold",
                            c.name,
                            s.len(),
                            MAX_CELL_BYTES
                        ),
                    ));
                }
            }
            let ok = matches!(
                (c.kind, v),
                (_, Value::Null)
                    | (Kind::Str, Value::Str(_))
                    | (Kind::Int, Value::Int(_))
                    | (Kind::Bool, Value::Bool(_))
                    | (Kind::Timestamp, Value::Ts(_))
                    | (Kind::StrList, Value::List(_))
            );
            if !ok {
                return Err(Rejection::invalid(format!(
                    "{}: expected {}, found {v:?}",
                    c.name,
                    c.kind.describe()
                )));
            }
        }
        let required: &[&str] = match t {
            // `event_id` is filled in from the content where the source gives none.
            Table::Events => &[col::INCIDENT_ID, col::AT, col::KIND],
            Table::Participants => &[col::INCIDENT_ID, col::PERSON_ID, col::ROLE],
            // `entry_id` likewise.
            Table::OnCall => &[col::PERSON_ID],
            // A link a user gives need not name its rule.
            Table::IncidentLinks => &[col::INCIDENT_ID, col::LINKED_ID],
            // A deployment is placed in time.
            Table::Deployments => &[col::DEPLOYMENT_ID, col::AT],
            _ => t.key(),
        };
        for k in required {
            if self.get(k).is_null() {
                return Err(Rejection::missing(format!("missing required value '{k}'")));
            }
        }
        let closed: &[(&str, &[&str])] = match t {
            Table::Incidents => &[(col::SEVERITY, &vocab::SEVERITIES)],
            Table::Participants => &[(col::ROLE, &vocab::ROLES)],
            Table::Pages => &[(col::CHANNEL, &vocab::PAGE_CHANNELS)],
            Table::Events => &[(col::KIND, &vocab::EVENT_KINDS)],
            Table::ActionItems | Table::Retros => &[(col::STATUS, &vocab::ITEM_STATUSES)],
            Table::Deployments | Table::DeploymentStatuses => {
                &[(col::STATUS, &vocab::DEPLOYMENT_STATUSES)]
            }
            _ => &[],
        };
        for (column, allowed) in closed {
            if let Value::Str(s) = self.get(column) {
                if !allowed.contains(&s.as_str()) {
                    return Err(Rejection::invalid(format!(
                        "{column}: expected one of {}, found '{s}'",
                        allowed.join(", ")
                    )));
                }
            }
        }
        Ok(())
    }
}

/// A row being built for a table known when compiled. Each cell's position is worked out
/// when compiled, and a column the table lacks stops the build ("this table has no such
/// column", naming the table and the column). [`RowOf::row`] (or `into`) hands the
/// finished row on as a [`Row`].
///
/// ```
/// use incidentlens::record::{Row, Value};
/// use incidentlens::schema::{cell, col, tables};
/// let row = Row::of(tables::IncidentServices)
///     .with(cell::INCIDENT_ID, Value::text("pagerduty:P1"))
///     .with(cell::SERVICE, Value::text("checkout"))
///     .row();
/// assert_eq!(row.get(col::SERVICE), &Value::text("checkout"));
/// ```
///
/// ```compile_fail,E0080
/// use incidentlens::record::{Row, Value};
/// use incidentlens::schema::{cell, tables};
/// // incident_services has no title: this does not compile.
/// let row = Row::of(tables::IncidentServices).with(cell::TITLE, Value::text("x"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RowOf<T: TableType>(Row, PhantomData<T>);

impl<T: TableType> RowOf<T> {
    pub fn new() -> RowOf<T> {
        RowOf(Row::new(T::TABLE), PhantomData)
    }

    pub fn with<C: Named>(mut self, column: C, value: Value) -> RowOf<T> {
        self.set(column, value);
        self
    }

    pub fn set<C: Named>(&mut self, _column: C, value: Value) -> &mut RowOf<T> {
        let i = const { position(T::TABLE.columns(), C::NAME) };
        self.0.values[i] = value;
        self
    }

    /// Sets several cells at once, by name (counts named by a table of their own).
    pub fn with_all<'c>(mut self, cells: impl IntoIterator<Item = (&'c str, Value)>) -> RowOf<T> {
        self.0 = self.0.with_all(cells);
        self
    }

    pub fn get<C: Named>(&self, _column: C) -> &Value {
        &self.0.values[const { position(T::TABLE.columns(), C::NAME) }]
    }

    pub fn row(self) -> Row {
        self.0
    }
}

impl<T: TableType> Default for RowOf<T> {
    fn default() -> Self {
        RowOf::new()
    }
}

/// Read access to the row being built (its values, key, validation); cells are set
/// only through [`RowOf::set`], so they stay checked.
impl<T: TableType> std::ops::Deref for RowOf<T> {
    type Target = Row;

    fn deref(&self) -> &Row {
        &self.0
    }
}

impl<T: TableType> From<RowOf<T>> for Row {
    fn from(r: RowOf<T>) -> Row {
        r.0
    }
}

/// The location of element `i` of an array at `prefix`: `prefix[i]`. Made for every
/// record read, so without the formatting machinery.
pub fn element_at(prefix: &str, i: usize) -> String {
    let mut n = itoa::Buffer::new();
    let n = n.format(i);
    let mut at = String::with_capacity(prefix.len() + n.len() + 2);
    at.push_str(prefix);
    at.push('[');
    at.push_str(n);
    at.push(']');
    at
}

/// The location of a row of a text file: `line N`.
pub fn line_at(n: u64) -> String {
    let mut buf = itoa::Buffer::new();
    let n = buf.format(n);
    let mut at = String::with_capacity(5 + n.len());
    at.push_str("line ");
    at.push_str(n);
    at
}

/// One input record turned into canonical rows.
#[derive(Debug, Clone)]
pub struct Record {
    /// Where it was: `line 12`, `$.incidents[3]`, `general/2016-01-05.json[4]`.
    pub location: String,
    pub rows: Vec<Row>,
    /// Incidents (ids) that must exist, in the store or earlier in this ingest, for the
    /// record to make sense: a log entry needs its incident.
    pub requires: Vec<String>,
}

impl Record {
    pub fn new(location: impl Into<String>, rows: Vec<Row>) -> Record {
        Record {
            location: location.into(),
            rows,
            requires: Vec::new(),
        }
    }

    /// The record's rows as JSON, `[["events", [cell, …]], …]`, to be kept while it
    /// waits for an incident it requires (timestamps and integers are numbers; a list
    /// is an array of texts).
    pub fn rows_to_json(&self) -> String {
        let rows: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                let cells: Vec<serde_json::Value> = r
                    .values
                    .iter()
                    .map(|v| match v {
                        Value::Null => serde_json::Value::Null,
                        Value::Str(s) => s.as_str().into(),
                        Value::Int(i) | Value::Ts(i) => (*i).into(),
                        Value::Bool(b) => (*b).into(),
                        Value::List(l) => l.clone().into(),
                    })
                    .collect();
                serde_json::json!([r.table.name(), cells])
            })
            .collect();
        serde_json::Value::Array(rows).to_string()
    }

    /// Rows written by [`Record::rows_to_json`], read back by their columns' kinds.
    pub fn rows_from_json(text: &str) -> Result<Vec<Row>, String> {
        let bad = |what: &str| format!("a kept record that does not read back: {what}");
        let rows: Vec<(String, Vec<serde_json::Value>)> =
            serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
        rows.into_iter()
            .map(|(table, cells)| {
                let t = Table::from_name(&table).ok_or_else(|| bad(&table))?;
                if cells.len() != t.columns().len() {
                    return Err(bad(&format!("{} cells for {table}", cells.len())));
                }
                let mut row = Row::new(t);
                for (i, (c, v)) in t.columns().iter().zip(cells).enumerate() {
                    row.values[i] = match (c.kind, v) {
                        (_, serde_json::Value::Null) => Value::Null,
                        (Kind::Str, serde_json::Value::String(s)) => Value::Str(s.into()),
                        (Kind::Int, serde_json::Value::Number(n)) => {
                            Value::Int(n.as_i64().ok_or_else(|| bad(c.name))?)
                        }
                        (Kind::Timestamp, serde_json::Value::Number(n)) => {
                            Value::Ts(n.as_i64().ok_or_else(|| bad(c.name))?)
                        }
                        (Kind::Bool, serde_json::Value::Bool(b)) => Value::Bool(b),
                        (Kind::StrList, serde_json::Value::Array(a)) => Value::List(
                            a.into_iter()
                                .map(|x| x.as_str().map(str::to_string).ok_or_else(|| bad(c.name)))
                                .collect::<Result<_, _>>()?,
                        ),
                        _ => return Err(bad(c.name)),
                    };
                }
                Ok(row)
            })
            .collect()
    }
}

/// What kind of fault made a record unusable. The accounting counts rejects by it, and
/// the store keeps it beside the message, so a user can tell a broken export (syntax,
/// an unread rest) from records the export left incomplete (missing, invalid) and from
/// records that contradict one another (conflict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Problem {
    /// The record's text does not parse: broken JSON, a CSV row of the wrong width.
    Syntax,
    /// A value the record needs is absent: its id, its incident, its time.
    Missing,
    /// A value is there but is not what its field holds: a time, a zone, a number, a
    /// word outside a closed vocabulary, a value of the wrong type.
    Invalid,
    /// Larger than the store takes: a record or a cell over its limit.
    TooLarge,
    /// Not a record of the kind the file's format holds, or one the source itself says
    /// is no incident (a Rootly incident cancelled before it started).
    Unexpected,
    /// Contradicts another record: the same key with different content in one file.
    Conflict,
    /// Not read, for safety: a link out of an export folder, a zip entry whose name
    /// escapes the archive, a zip inside a zip.
    Refused,
    /// Its bytes could not be read: a zip entry that fails its checksum.
    Unreadable,
    /// Reading stopped here: the rest of the file was not read.
    Cut,
}

impl Problem {
    /// The word the accounting and the `rejects` table use.
    pub fn label(self) -> &'static str {
        match self {
            Problem::Syntax => "syntax",
            Problem::Missing => "missing value",
            Problem::Invalid => "invalid value",
            Problem::TooLarge => "too large",
            Problem::Unexpected => "unexpected record",
            Problem::Conflict => "conflict",
            Problem::Refused => "refused",
            Problem::Unreadable => "unreadable",
            Problem::Cut => "unread rest",
        }
    }
}

/// Why a record is refused: its kind of fault and a message that names the field, what
/// was expected and what was found. Row builders return it; a message that is a literal
/// costs no allocation, so building one on the good path (`ok_or`) is free.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub problem: Problem,
    pub message: Cow<'static, str>,
}

impl Rejection {
    pub fn new(problem: Problem, message: impl Into<Cow<'static, str>>) -> Rejection {
        Rejection {
            problem,
            message: message.into(),
        }
    }

    pub fn missing(message: impl Into<Cow<'static, str>>) -> Rejection {
        Rejection::new(Problem::Missing, message)
    }

    pub fn invalid(message: impl Into<Cow<'static, str>>) -> Rejection {
        Rejection::new(Problem::Invalid, message)
    }

    pub fn syntax(message: impl Into<Cow<'static, str>>) -> Rejection {
        Rejection::new(Problem::Syntax, message)
    }

    pub fn too_large(message: impl Into<Cow<'static, str>>) -> Rejection {
        Rejection::new(Problem::TooLarge, message)
    }

    pub fn unexpected(message: impl Into<Cow<'static, str>>) -> Rejection {
        Rejection::new(Problem::Unexpected, message)
    }

    /// The same fault, its message placed inside an enclosing field (`fields.` +
    /// `duedate: …`).
    pub fn within(self, prefix: impl fmt::Display) -> Rejection {
        Rejection {
            problem: self.problem,
            message: format!("{prefix}{}", self.message).into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// An input record that could not be used, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub location: String,
    pub problem: Problem,
    pub reason: String,
    /// A short piece of the input, so the user can find it.
    pub excerpt: String,
    /// Set when reading stopped here: the bytes of the file that were not read. The
    /// records in them are lost to this ingest, so the run fails.
    pub unread: Option<u64>,
}

impl Reject {
    pub fn new(location: impl Into<String>, why: Rejection, raw: &str) -> Reject {
        Reject {
            location: location.into(),
            problem: why.problem,
            reason: why.message.into_owned(),
            excerpt: excerpt(raw),
            unread: None,
        }
    }

    /// Where reading a file stopped for good, with how many bytes were left unread.
    pub fn cut(location: impl Into<String>, reason: &str, unread: u64) -> Reject {
        Reject {
            location: location.into(),
            problem: Problem::Cut,
            reason: format!("{reason}; reading stopped here and the rest of the file ({unread} bytes) was not read"),
            excerpt: String::new(),
            unread: Some(unread),
        }
    }
}

/// What a source yields for each input record.
#[derive(Debug, Clone)]
pub enum Item {
    Record(Record),
    Reject(Reject),
    /// An earlier version of a record that a later line of the same file updates (event-
    /// log exports write one line per update): read, and counted as a duplicate.
    Superseded {
        location: String,
    },
    /// A record of a kind the store has no place for (a pull request in an issues
    /// export, a role definition, a Backstage `Resource`): read and counted as skipped,
    /// with why. Not a fault of the export, so never a reject.
    Skipped {
        location: String,
        reason: &'static str,
    },
}

impl Item {
    /// A record that does not apply, and why.
    pub fn skip(location: impl Into<String>, reason: &'static str) -> Item {
        Item::Skipped {
            location: location.into(),
            reason,
        }
    }

    /// The item of one input record: its rows, or a reject with the reason and a short
    /// excerpt of the input (made only for a reject).
    pub fn of(
        location: impl Into<String>,
        rows: Result<Vec<Row>, Rejection>,
        excerpt: impl FnOnce() -> String,
    ) -> Item {
        match rows {
            Ok(rows) => Item::Record(Record::new(location, rows)),
            Err(reason) => Item::Reject(Reject::new(location, reason, &excerpt())),
        }
    }
}

/// A `;`-separated list, trimmed, empty parts dropped.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// At most 160 characters of `raw`, on one line.
pub fn excerpt(raw: &str) -> String {
    let one_line: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(160)
        .collect();
    one_line.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{cell, tables};

    #[test]
    fn validate_names_the_bad_vocabulary_value() {
        let row = Row::of(tables::Participants)
            .with(cell::INCIDENT_ID, Value::text("csv:1"))
            .with(cell::PERSON_ID, Value::text("a@x.io"))
            .with(cell::ROLE, Value::text("hero"));
        let err = row.validate().unwrap_err();
        assert_eq!(
            err,
            Rejection::invalid(
                "role: expected one of commander, comms, scribe, responder, observer, found 'hero'"
            )
        );
    }

    #[test]
    fn validate_requires_the_key() {
        let row = Row::of(tables::Incidents).with(cell::TITLE, Value::text("x"));
        assert_eq!(
            row.validate().unwrap_err(),
            Rejection::missing("missing required value 'incident_id'")
        );
    }

    #[test]
    fn keys_separate_columns() {
        let a = Row::of(tables::IncidentServices)
            .with(cell::INCIDENT_ID, Value::text("a"))
            .with(cell::SERVICE, Value::text("bc"));
        let b = Row::of(tables::IncidentServices)
            .with(cell::INCIDENT_ID, Value::text("ab"))
            .with(cell::SERVICE, Value::text("c"));
        assert_ne!(a.key(), b.key());
    }

    #[test]
    fn kept_rows_read_back_equal() {
        let rows: Vec<Row> = vec![
            Row::of(tables::Events)
                .with(cell::INCIDENT_ID, Value::text("pagerduty:P1"))
                .with(cell::EVENT_ID, Value::text("pagerduty:R1"))
                .with(cell::AT, Value::Ts(-5))
                .with(cell::KIND, Value::text("resolved"))
                .into(),
            Row::of(tables::People)
                .with(cell::PERSON_ID, Value::text("a@x.io"))
                .with(
                    cell::ALIASES,
                    Value::List(vec!["pd:P".into(), "slack:U".into()]),
                )
                .into(),
            Row::of(tables::IngestRuns)
                .with(cell::RUN_ID, Value::Int(i64::MAX))
                .with(cell::FILE, Value::text("f\"\n"))
                .into(),
        ];
        let rec = Record::new("$[0]", rows.clone());
        assert_eq!(Record::rows_from_json(&rec.rows_to_json()).unwrap(), rows);
        assert!(Record::rows_from_json(r#"[["nope", []]]"#).is_err());
        assert!(Record::rows_from_json(r#"[["events", [1]]]"#).is_err());
    }

    #[test]
    fn excerpt_is_one_short_line() {
        assert_eq!(excerpt("a\nb\r\n"), "a b");
        assert_eq!(excerpt(&"x".repeat(500)).len(), 160);
    }
}
