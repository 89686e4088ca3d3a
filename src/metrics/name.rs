//! Shared names for the loaded tables: an incident id, a person id, a role or an event
//! kind is repeated on thousands of rows (a million participations name 50,000
//! incidents and 500 people), so each distinct name is allocated once and rows hold a
//! reference-counted pointer to it.

use polars::prelude::StringChunked;
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable, cheaply cloned string. Compares, orders and hashes as its text.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Arc<str>);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name(Arc::from(s))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name(Arc::from(s))
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

/// The distinct names seen so far: the same text gives the same allocation.
#[derive(Default)]
pub struct Names {
    set: hashbrown::HashSet<Name>,
}

impl Names {
    pub fn of(&mut self, s: &str) -> Name {
        if let Some(n) = self.set.get(s) {
            return n.clone();
        }
        let n = Name::from(s);
        self.set.insert(n.clone());
        n
    }

    /// A string column's values as shared names. Runs of one value (a table sorted by
    /// incident) cost one comparison a row.
    pub fn column(&mut self, values: &StringChunked) -> Vec<Option<Name>> {
        let mut last: Option<(&str, Name)> = None;
        values
            .iter()
            .map(|v| {
                let v = v?;
                match &last {
                    Some((text, name)) if *text == v => Some(name.clone()),
                    _ => {
                        let name = self.of(v);
                        last = Some((v, name.clone()));
                        Some(name)
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::NewChunkedArray;

    #[test]
    fn one_allocation_per_distinct_name() {
        let mut names = Names::default();
        let col = StringChunked::from_slice_options(
            "x".into(),
            &[Some("a"), Some("a"), None, Some("b"), Some("a")],
        );
        let v = names.column(&col);
        assert_eq!(v.len(), 5);
        assert!(v[2].is_none());
        let (a0, a4) = (v[0].as_ref().unwrap(), v[4].as_ref().unwrap());
        assert_eq!(a0.as_str(), "a");
        assert!(Arc::ptr_eq(&a0.0, &a4.0));
        assert_eq!(v[3].as_ref().unwrap(), &"b");
        // Ordered as text.
        let (a, b) = (Name::from("a"), Name::from("b"));
        assert_eq!(a.cmp(&b), std::cmp::Ordering::Less);
    }
}
