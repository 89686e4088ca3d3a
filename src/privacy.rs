//! Personal data in the store: what there is (`people`), pseudonyms for every output
//! (`--pseudonymise` on metrics, queries, reports and review), and forgetting a person
//! (`forget --person EMAIL`) for data-protection requests.
//!
//! A person is known by several references: their person id (a lower-cased e-mail or a
//! source id), their e-mail, their display name and their source aliases
//! (`pagerduty:PU1`, `slack:U3`). Pseudonyms and forgetting work on all of them at once,
//! through the same identity resolution the metrics use ([`crate::identity::Identities`]).

use crate::identity::Identities;
use crate::record::{split_list, Row, Value};
use crate::schema::{cell, col, Table};
use crate::store::{row_at, strings as strs, Store, Writer};
use anyhow::{bail, Result};
use polars::prelude::DataFrame;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Every column that holds a person reference, by table.
pub const PERSON_COLUMNS: &[(Table, &str)] = &[
    (Table::Incidents, col::DECLARED_BY),
    (Table::Incidents, col::COMMANDER),
    (Table::Participants, col::PERSON_ID),
    (Table::Pages, col::PERSON_ID),
    (Table::Events, col::PERSON_ID),
    (Table::ActionItems, col::OWNER),
    (Table::Messages, col::PERSON_ID),
    (Table::OnCall, col::PERSON_ID),
];

/// What the people table says of a person: display name, e-mail, aliases.
type Identity = (Option<String>, Option<String>, Vec<String>);

/// The people table, and every reference the data tables make, resolved to persons.
struct Known {
    /// person id → who
    people: BTreeMap<String, Identity>,
    identities: Identities,
    /// Every raw reference found in a person column.
    references: BTreeSet<String>,
}

impl Known {
    /// The person `given` names: a person id or email as given, then a reference
    /// resolved to a person, then the same ignoring case.
    fn find(&self, given: &str) -> Option<String> {
        let same = |a: &str| a == given;
        let alike = |a: &str| a.eq_ignore_ascii_case(given);
        let in_people = |m: &dyn Fn(&str) -> bool| {
            self.people
                .iter()
                .find(|(id, (_, e, _))| m(id) || e.as_deref().is_some_and(m))
                .map(|(id, _)| id.clone())
        };
        let referred = |m: &dyn Fn(&str) -> bool| {
            self.references
                .iter()
                .map(|r| self.identities.resolve(r))
                .find(|p| m(p))
        };
        in_people(&same)
            .or_else(|| referred(&same))
            .or_else(|| in_people(&alike))
            .or_else(|| referred(&alike))
    }

    /// Every word that names the person, lower-cased (matched ignoring ASCII case, so
    /// lower-cased once here, not per cell): the id, what was given, their aliases,
    /// email and name, and references the people table does not resolve (an alias
    /// spelt otherwise) but that name them.
    fn words_for(&self, person: &str, given: &str) -> Vec<String> {
        let mut words: BTreeSet<String> = [person.to_string(), given.to_string()].into();
        if let Some((n, e, aliases)) = self.people.get(person) {
            words.extend(aliases.iter().cloned());
            words.extend(e.iter().cloned());
            words.extend(n.iter().cloned());
        }
        words.extend(
            self.references
                .iter()
                .filter(|r| self.identities.resolve(r) == person)
                .cloned(),
        );
        words
            .into_iter()
            .filter(|w| !w.trim().is_empty())
            .map(|w| w.to_ascii_lowercase())
            .collect()
    }

    fn load(store: &Store) -> Result<Known> {
        let df = store.read(Table::People)?;
        let mut people = BTreeMap::new();
        for (((id, name), email), aliases) in strs(&df, col::PERSON_ID)?
            .into_iter()
            .zip(strs(&df, col::DISPLAY_NAME)?)
            .zip(strs(&df, col::EMAIL)?)
            .zip(strs(&df, col::ALIASES)?)
        {
            if let Some(id) = id {
                people.insert(id, (name, email, split_list(&aliases.unwrap_or_default())));
            }
        }
        let identities = Identities::new(people.iter().map(|(p, v)| (p.as_str(), v.2.as_slice())));
        let mut references = BTreeSet::new();
        for (table, column) in PERSON_COLUMNS {
            references.extend(strs(&store.read(*table)?, column)?.into_iter().flatten());
        }
        Ok(Known {
            people,
            identities,
            references,
        })
    }
}

/// Stable pseudonyms for everyone the store knows: "Person N", numbered in sorted order
/// of person ids; a person's e-mail, display name and aliases map to the same pseudonym.
pub struct Pseudonyms {
    by_reference: HashMap<String, String>,
}

impl Pseudonyms {
    pub fn of(store: &Store) -> Result<Pseudonyms> {
        let known = Known::load(store)?;
        let mut persons: BTreeSet<String> = known.people.keys().cloned().collect();
        persons.extend(known.references.iter().map(|r| known.identities.resolve(r)));
        let numbered: HashMap<&str, String> = persons
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), format!("Person {}", i + 1)))
            .collect();
        let mut by_reference = HashMap::new();
        for (id, (name, email, aliases)) in &known.people {
            let pseudonym = &numbered[id.as_str()];
            for r in [Some(id), name.as_ref(), email.as_ref()]
                .into_iter()
                .flatten()
                .chain(aliases)
            {
                by_reference.insert(r.clone(), pseudonym.clone());
            }
            if let Some(e) = email {
                by_reference.insert(e.to_lowercase(), pseudonym.clone());
            }
        }
        for r in &known.references {
            let p = known.identities.resolve(r);
            by_reference.insert(r.clone(), numbered[p.as_str()].clone());
        }
        Ok(Pseudonyms { by_reference })
    }

    /// The pseudonym of a reference, if it names a person.
    pub fn get(&self, reference: &str) -> Option<&str> {
        self.by_reference.get(reference).map(String::as_str)
    }

    /// A value with the person it names replaced (other values unchanged); in a
    /// `;`-separated list (the aliases column), each element.
    pub fn apply(&self, value: &str) -> String {
        if let Some(p) = self.get(value) {
            return p.to_string();
        }
        if value.contains(';') {
            let parts: Vec<String> = value
                .split(';')
                .map(|x| self.get(x.trim()).unwrap_or(x).to_string())
                .collect();
            return parts.join(";");
        }
        value.to_string()
    }

    /// Replaces every person in loaded metrics data (references already resolved to
    /// person ids) by their pseudonym, so that every output computed from it shows
    /// pseudonyms only.
    pub fn data(&self, data: &mut crate::metrics::Data) {
        data.map_people(&|r| self.apply(r));
        data.people = std::mem::take(&mut data.people)
            .into_iter()
            .map(|(id, mut person)| {
                let pseudonym = self.apply(&id);
                person.display_name = Some(pseudonym.clone());
                (pseudonym, person)
            })
            .collect();
    }

    /// A query result with every text cell that names a person replaced.
    pub fn frame(&self, df: &DataFrame) -> Result<DataFrame> {
        use polars::prelude::{
            DataType, IntoColumn, IntoSeries, NewChunkedArray, PlSmallStr, StringChunked,
        };
        let mut columns = Vec::with_capacity(df.width());
        let strings = |name: PlSmallStr, s: &StringChunked| {
            StringChunked::from_iter_options(name, s.iter().map(|v| v.map(|s| self.apply(s))))
        };
        for c in df.columns() {
            match c.dtype() {
                DataType::String => {
                    columns.push(
                        strings(c.name().clone(), c.str()?)
                            .into_series()
                            .into_column(),
                    );
                }
                // Lists of text (a person's aliases): each element.
                DataType::List(inner) if **inner == DataType::String => {
                    let list = c.list()?.apply_to_inner(&|inner| {
                        Ok(strings(inner.name().clone(), inner.str()?).into_series())
                    })?;
                    columns.push(list.into_series().into_column());
                }
                _ => columns.push(c.clone()),
            }
        }
        Ok(DataFrame::new(df.height(), columns)?)
    }
}

/// One person the store holds data about, and where.
#[derive(Debug, Serialize)]
pub struct PersonEntry {
    pub person_id: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub aliases: Vec<String>,
    /// Rows that refer to the person, by table and column.
    pub references: BTreeMap<String, usize>,
    /// Chat messages of theirs whose text is kept (`ingest --keep-text`).
    pub messages_with_text: usize,
    /// Whether the person is in the people table (else only referred to).
    pub in_people_table: bool,
}

/// Everyone the store holds personal data about, sorted by person id.
pub fn people(store: &Store) -> Result<Vec<PersonEntry>> {
    let known = Known::load(store)?;
    let mut out: BTreeMap<String, PersonEntry> = BTreeMap::new();
    for (id, (name, email, aliases)) in &known.people {
        out.insert(
            id.clone(),
            PersonEntry {
                person_id: id.clone(),
                display_name: name.clone(),
                email: email.clone(),
                aliases: aliases.clone(),
                references: BTreeMap::new(),
                messages_with_text: 0,
                in_people_table: true,
            },
        );
    }
    for (table, column) in PERSON_COLUMNS {
        let df = store.read(*table)?;
        let refs = strs(&df, column)?;
        let texts = if *table == Table::Messages {
            strs(&df, col::TEXT)?
        } else {
            vec![None; df.height()]
        };
        for (r, text) in refs.into_iter().zip(texts) {
            let Some(r) = r else { continue };
            let p = known.identities.resolve(&r);
            let e = out.entry(p.clone()).or_insert_with(|| PersonEntry {
                person_id: p,
                display_name: None,
                email: None,
                aliases: Vec::new(),
                references: BTreeMap::new(),
                messages_with_text: 0,
                in_people_table: false,
            });
            *e.references
                .entry(format!("{}.{column}", table.name()))
                .or_default() += 1;
            if text.is_some() {
                e.messages_with_text += 1;
            }
        }
    }
    Ok(out.into_values().collect())
}

/// What `forget` changed.
#[derive(Debug, Default)]
pub struct Forgotten {
    /// The person's id in the store.
    pub person: String,
    pub pseudonym: String,
    /// The words looked for (id, e-mail, aliases, name; lower case).
    pub words: Vec<String>,
    /// Rows changed (or, without commit, that would change), by table.
    pub rows: BTreeMap<&'static str, usize>,
}

/// Replaces a person's identity everywhere in the store by a pseudonym that cannot be
/// traced back (it is drawn at random, not derived from the e-mail): their people row
/// keeps only team, function and time zone; every text of every data table, reject and
/// pending record that names them (by person id, e-mail, alias or display name, as a
/// whole word, ASCII case ignored) names the pseudonym instead; their kept message
/// texts are cleared. One atomic commit, under the store's lock.
///
/// `who` is matched as given first (ids such as `servicenow:Beth Anglin` keep their
/// capitals), then ignoring case.
///
/// Without `commit` nothing is written: the result says what would change.
pub fn forget(store: &Store, who: &str, commit: bool) -> Result<Forgotten> {
    let lock = store.lock()?;
    let mut writer = Writer::new(store, &lock);
    let known = Known::load(store)?;
    let given = who.trim();
    let Some(person) = known.find(given) else {
        bail!("no person '{who}' in the store (see `incidentlens people` for who is there)");
    };
    let words = known.words_for(&person, given);
    let pseudonym = format!("forgotten:{:016x}", random_u64());
    let mut done = Forgotten {
        person: person.clone(),
        pseudonym: pseudonym.clone(),
        words: words.clone(),
        ..Forgotten::default()
    };
    // The people row: the pseudonym, with nothing that identifies.
    let people = writer.rows(Table::People)?;
    for i in 0..people.height() {
        let row = row_at(&people, Table::People, i)?;
        if row.get(col::PERSON_ID).as_str() == Some(person.as_str()) {
            writer.remove(&row)?;
            let replaced = row
                .clone()
                .with(cell::PERSON_ID, Value::text(pseudonym.as_str()))
                .with(cell::DISPLAY_NAME, Value::text(pseudonym.as_str()))
                .with(cell::EMAIL, Value::Null)
                .with(cell::ALIASES, Value::List(Vec::new()));
            writer.put(replaced, "forget")?;
            *done.rows.entry("people").or_default() += 1;
        }
    }
    // Every other text: person columns, titles, tags, reject reasons and excerpts,
    // pending records. (The ingest bookkeeping holds file names and counts only.)
    let tables = Table::ALL.into_iter().filter(|t| {
        !matches!(
            t,
            Table::People | Table::IngestRuns | Table::IngestCounts | Table::LinkIssues
        )
    });
    for table in tables {
        let df = writer.rows(table)?;
        for i in 0..df.height() {
            let row = row_at(&df, table, i)?;
            let mut new = scrub_row(&row, &words, &pseudonym);
            if new == row {
                continue;
            }
            if table == Table::Messages && new.get(col::PERSON_ID) != row.get(col::PERSON_ID) {
                new.set(cell::TEXT, Value::Null);
            }
            if new.key() != row.key() {
                writer.remove(&row)?;
            }
            writer.put(new, "forget")?;
            *done.rows.entry(table.name()).or_default() += 1;
        }
    }
    if commit {
        writer.commit()?;
    }
    Ok(done)
}

/// The row with every text and list item scrubbed of `words` (see [`scrub`]).
fn scrub_row(row: &Row, words: &[String], pseudonym: &str) -> Row {
    let mut new = row.clone();
    for v in &mut new.values {
        match v {
            Value::Str(text) => {
                if let Some(t) = scrub(text, words, pseudonym) {
                    *v = Value::text(t);
                }
            }
            Value::List(items) => {
                for item in items.iter_mut() {
                    if let Some(t) = scrub(item, words, pseudonym) {
                        *item = t;
                    }
                }
            }
            _ => {}
        }
    }
    new
}

/// `text` with every whole-word occurrence of any of `words` (given in ASCII lower
/// case, matched ignoring ASCII case) replaced by `by`; `None` when none occurs. A
/// word's neighbours must not be letters or digits, so "Bo" is found in "paged Bo." but
/// not in "Boston".
fn scrub(text: &str, words: &[String], by: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut hits: Vec<(usize, usize)> = Vec::new();
    for w in words {
        for (i, _) in lower.match_indices(w.as_str()) {
            let j = i + w.len();
            let free_before = lower[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            let free_after = lower[j..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
            if free_before && free_after {
                hits.push((i, j));
            }
        }
    }
    if hits.is_empty() {
        return None;
    }
    // Earliest first, the longest of those starting together; overlaps are one.
    hits.sort_by_key(|&(i, j)| (i, std::cmp::Reverse(j)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (i, j) in hits {
        if i < at {
            continue;
        }
        out.push_str(&text[at..i]);
        out.push_str(by);
        at = j;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// 64 bits no one can derive from the person: the standard library's randomly keyed
/// hasher, seeded by the operating system.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id())
}
