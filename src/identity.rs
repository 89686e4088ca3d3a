//! One person across every source: the people table's ids and aliases, and how a
//! reference a source stored (an e-mail, `pagerduty:PQYACO3`) resolves to a person.
//! Resolution happens when the store is read, so the order of ingestion never matters.

use std::collections::HashMap;

/// Source ids and e-mails mapped to the person they belong to.
#[derive(Debug, Default)]
pub struct Identities {
    by_alias: HashMap<String, String>,
}

impl Identities {
    /// Builds the map from `(person_id, aliases)` pairs of the people table.
    pub fn new<'a>(people: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Identities {
        let mut by_alias = HashMap::new();
        for (person, aliases) in people {
            for a in aliases {
                by_alias.insert(a.clone(), person.to_string());
            }
        }
        Identities { by_alias }
    }

    /// The person a reference names: through an alias, else the reference itself
    /// (e-mails lower-cased, as person ids are).
    pub fn resolve(&self, reference: &str) -> String {
        match self.by_alias.get(reference) {
            Some(p) => p.clone(),
            None if reference.contains('@') => reference.to_lowercase(),
            None => reference.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_emails_resolve_to_one_person() {
        let aliases = vec!["pagerduty:PQYACO3".to_string(), "slack:U1".to_string()];
        let ids = Identities::new([("keon@example.com", aliases.as_slice())]);
        assert_eq!(ids.resolve("pagerduty:PQYACO3"), "keon@example.com");
        assert_eq!(ids.resolve("slack:U1"), "keon@example.com");
        assert_eq!(ids.resolve("Keon@Example.com"), "keon@example.com");
        assert_eq!(ids.resolve("pagerduty:OTHER"), "pagerduty:OTHER");
    }
}
