//! Personal data in the store: what there is (`people`), pseudonyms for every output
//! (`--pseudonymise` on metrics, queries, reports and review), and forgetting a person
//! (`forget --person EMAIL`) for data-protection requests.
//!
//! A person is known by several references: their person id (a lower-cased e-mail or a
//! source id), their e-mail, their display name and their source aliases
//! (`pagerduty:PU1`, `slack:U3`). Pseudonyms and forgetting work on all of them at once,
//! through the same identity resolution the metrics use ([`crate::link::Identities`]).

use crate::link::Identities;
use crate::record::{split_list, Value};
use crate::schema::{col, Table};
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
        use polars::prelude::{DataType, IntoColumn, IntoSeries, NewChunkedArray, StringChunked};
        let mut columns = Vec::with_capacity(df.width());
        for c in df.columns() {
            if c.dtype() == &DataType::String {
                let replaced = StringChunked::from_iter_options(
                    c.name().clone(),
                    c.str()?.iter().map(|v| v.map(|s| self.apply(s))),
                );
                columns.push(replaced.into_series().into_column());
            } else {
                columns.push(c.clone());
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
    pub pseudonym: String,
    /// Rows changed, by table.
    pub rows: BTreeMap<&'static str, usize>,
}

/// Replaces a person's identity everywhere in the store by a pseudonym that cannot be
/// traced back (it is drawn at random, not derived from the e-mail): their people row
/// keeps only team, function and time zone; every reference to them (by person id,
/// e-mail or alias) names the pseudonym; their kept message texts and any reject excerpt
/// naming them are cleared. One atomic commit, under the store's lock.
pub fn forget(store: &Store, email: &str) -> Result<Forgotten> {
    let lock = store.lock()?;
    let mut writer = Writer::new(store, &lock);
    let known = Known::load(store)?;
    let wanted = email.trim().to_lowercase();
    let person = known
        .people
        .iter()
        .find(|(id, (_, e, _))| {
            **id == wanted
                || e.as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&wanted))
        })
        .map(|(id, _)| id.clone())
        .or_else(|| {
            known
                .references
                .iter()
                .any(|r| known.identities.resolve(r) == wanted)
                .then(|| wanted.clone())
        });
    let Some(person) = person else {
        bail!("no person '{email}' in the store (see `incidentlens people` for who is there)");
    };
    let mut refs: BTreeSet<String> = [person.clone(), wanted.clone()].into();
    let mut name = None;
    if let Some((n, e, aliases)) = known.people.get(&person) {
        refs.extend(aliases.iter().cloned());
        refs.extend(e.iter().cloned());
        name = n.clone();
    }
    let pseudonym = format!("forgotten:{:016x}", random_u64());
    let mut done = Forgotten {
        pseudonym: pseudonym.clone(),
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
                .with(col::PERSON_ID, Value::text(pseudonym.as_str()))
                .with(col::DISPLAY_NAME, Value::text(pseudonym.as_str()))
                .with(col::EMAIL, Value::Null)
                .with(col::ALIASES, Value::List(Vec::new()));
            writer.put(replaced, "forget")?;
            *done.rows.entry("people").or_default() += 1;
        }
    }
    let mut tables: Vec<Table> = PERSON_COLUMNS.iter().map(|(t, _)| *t).collect();
    tables.dedup();
    for table in tables {
        let columns: Vec<&str> = PERSON_COLUMNS
            .iter()
            .filter(|(t, _)| *t == table)
            .map(|(_, c)| *c)
            .collect();
        let df = writer.rows(table)?;
        for i in 0..df.height() {
            let row = row_at(&df, table, i)?;
            let mut new = row.clone();
            let mut hit = false;
            for c in &columns {
                if row.get(c).as_str().is_some_and(|r| refs.contains(r)) {
                    new.set(c, Value::text(pseudonym.as_str()));
                    hit = true;
                }
            }
            if !hit {
                continue;
            }
            if table == Table::Messages {
                new.set(col::TEXT, Value::Null);
            }
            if new.key() != row.key() {
                writer.remove(&row)?;
            }
            writer.put(new, "forget")?;
            *done.rows.entry(table.name()).or_default() += 1;
        }
    }
    // Reject excerpts quote the input, which may name the person.
    let rejects = writer.rows(Table::Rejects)?;
    let words: Vec<&String> = refs.iter().chain(name.iter()).collect();
    for i in 0..rejects.height() {
        let row = row_at(&rejects, Table::Rejects, i)?;
        let Value::Str(excerpt) = row.get(col::EXCERPT) else {
            continue;
        };
        if words.iter().any(|w| excerpt.contains(w.as_str())) {
            let mut cleaned = excerpt.to_string();
            for w in &words {
                cleaned = cleaned.replace(w.as_str(), &pseudonym);
            }
            writer.put(
                row.clone().with(col::EXCERPT, Value::text(cleaned)),
                "forget",
            )?;
            *done.rows.entry("rejects").or_default() += 1;
        }
    }
    writer.commit()?;
    Ok(done)
}

/// 64 bits no one can derive from the person: the standard library's randomly keyed
/// hasher, seeded by the operating system.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id())
}
