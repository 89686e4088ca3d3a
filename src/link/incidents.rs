//! The store's incidents, indexed by number, URL and id, for resolving channel names
//! and ticket references to the primary incident.

use super::*;

/// The store's incidents, indexed for resolving channel names and ticket references.
#[derive(Debug, Default)]
pub struct Incidents {
    /// Number → (source rank, incident id).
    numbers: HashMap<i64, Vec<(u8, String)>>,
    /// Normalised URL → incident ids.
    urls: HashMap<String, Vec<String>>,
    pub(super) ids: HashSet<String>,
}

impl Incidents {
    /// No incident at all: nothing can link to one.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// From `(incident_id, source, number, url)` rows.
    pub fn new<'a>(
        rows: impl IntoIterator<Item = (&'a str, &'a str, Option<i64>, Option<&'a str>)>,
    ) -> Incidents {
        let mut all = Incidents::default();
        for (id, source, number, url) in rows {
            all.ids.insert(id.to_string());
            if let Some(n) = number {
                all.numbers
                    .entry(n)
                    .or_default()
                    .push((rank(source), id.to_string()));
            }
            if let Some(u) = url {
                all.urls
                    .entry(normalise_url(u))
                    .or_default()
                    .push(id.to_string());
            }
        }
        all
    }

    /// From the incidents table.
    pub fn from_frame(inc: &DataFrame) -> Result<Incidents> {
        let ids = strs(inc, col::INCIDENT_ID)?;
        let sources = strs(inc, col::SOURCE)?;
        let numbers: Vec<Option<i64>> = inc.column(col::NUMBER)?.i64()?.iter().collect();
        let urls = strs(inc, col::URL)?;
        Ok(Incidents::new((0..inc.height()).filter_map(|i| {
            Some((
                ids[i].as_deref()?,
                sources[i].as_deref().unwrap_or(""),
                numbers[i],
                urls[i].as_deref(),
            ))
        })))
    }

    /// The incident of the primary source with number `n`.
    pub fn by_number(&self, n: i64) -> Link {
        let Some(all) = self.numbers.get(&n) else {
            return Link::Dangling(format!("no incident #{n}"));
        };
        let best = all.iter().map(|(r, _)| *r).min().unwrap_or(0);
        Link::among(
            all.iter()
                .filter(|(r, _)| *r == best)
                .map(|(_, id)| id.clone())
                .collect(),
        )
    }

    /// The incident whose URL is `url` or a path prefix of it (`…/incidents/PI1/timeline`
    /// is PI1's page): the longest such URL.
    pub fn by_url(&self, url: &str) -> Option<&[String]> {
        let mut u = normalise_url(url);
        loop {
            if let Some(ids) = self.urls.get(&u) {
                return Some(ids);
            }
            let cut = u.rfind('/')?;
            if u[..cut].ends_with('/') || !u[..cut].contains("://") {
                return None;
            }
            u.truncate(cut);
        }
    }

    pub fn channel(&self, name: &str) -> Link {
        match channel_number(name) {
            Some(n) => self.by_number(n),
            None => Link::None,
        }
    }

    /// What a ticket's references resolve to, with the rule that decided: the strongest
    /// kind of reference that matches anything decides; ticket-to-ticket references are
    /// looked up in `tickets` (the other tickets' own resolutions).
    pub fn ticket(&self, refs: &[Ref], tickets: &HashMap<String, String>) -> (Link, &'static str) {
        if refs.is_empty() {
            return (Link::None, "");
        }
        let explicit: Vec<String> = refs
            .iter()
            .filter_map(|r| match r {
                Ref::Incident(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        if !explicit.is_empty() {
            let link = match Link::among(explicit) {
                Link::Incident(id) if !self.ids.contains(&id) => {
                    Link::Dangling(format!("incident {id} is not in the store"))
                }
                other => other,
            };
            return (link, "explicit");
        }
        let urls: Vec<String> = refs
            .iter()
            .filter_map(|r| match r {
                Ref::Url(u) => self.by_url(u),
                _ => None,
            })
            .flatten()
            .cloned()
            .collect();
        if !urls.is_empty() {
            return (Link::among(urls), "ticket-url");
        }
        let mut by_number = Vec::new();
        let mut ambiguous = Vec::new();
        for r in refs {
            if let Ref::Number(n) = r {
                match self.by_number(*n) {
                    Link::Incident(id) => by_number.push(id),
                    Link::Ambiguous(ids) => ambiguous.extend(ids),
                    _ => {}
                }
            }
        }
        if !ambiguous.is_empty() {
            ambiguous.extend(by_number);
            ambiguous.sort();
            ambiguous.dedup();
            return (Link::Ambiguous(ambiguous), "ticket-label");
        }
        if !by_number.is_empty() {
            return (Link::among(by_number), "ticket-label");
        }
        let linked: Vec<String> = refs
            .iter()
            .filter_map(|r| match r {
                Ref::Ticket(t) => tickets.get(t).cloned(),
                _ => None,
            })
            .collect();
        if !linked.is_empty() {
            return (Link::among(linked), "ticket-link");
        }
        // Labels follow the incident convention on purpose: naming an incident that is
        // not (yet) in the store is worth reporting. URLs and ticket links are ordinary
        // in any ticket; matching none of them only means the ticket is not a follow-up.
        let wanted: Vec<String> = refs
            .iter()
            .filter_map(|r| match r {
                Ref::Number(n) => Some(format!("#{n}")),
                _ => None,
            })
            .collect();
        if wanted.is_empty() {
            return (Link::None, "");
        }
        (
            Link::Dangling(format!("nothing matches {}", wanted.join(", "))),
            "",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagers_win_over_platforms_and_ties_are_ambiguous() {
        let n = Incidents::new([
            ("pagerduty:A", "pagerduty", Some(101), None),
            ("incidentio:B", "incidentio", Some(101), None),
            ("pagerduty:C", "pagerduty", Some(102), None),
            ("opsgenie:D", "opsgenie", Some(102), None),
        ]);
        assert_eq!(n.channel("inc-101-x"), Link::Incident("pagerduty:A".into()));
        assert_eq!(
            n.channel("inc-102"),
            Link::Ambiguous(vec!["opsgenie:D".into(), "pagerduty:C".into()])
        );
        assert_eq!(
            n.channel("inc-103"),
            Link::Dangling("no incident #103".into())
        );
        assert_eq!(n.channel("random"), Link::None);
    }

    #[test]
    fn incidents_are_found_by_their_url_loosely() {
        let n = Incidents::new([(
            "pagerduty:PI1",
            "pagerduty",
            Some(101),
            Some("https://acme.pagerduty.com/incidents/PI1"),
        )]);
        assert_eq!(
            n.by_url("https://acme.pagerduty.com/incidents/PI1/timeline"),
            Some(&["pagerduty:PI1".to_string()][..])
        );
        assert_eq!(n.by_url("https://acme.pagerduty.com/incidents/PI10"), None);
        assert_eq!(n.by_url("https://acme.pagerduty.com/"), None);
    }
}
