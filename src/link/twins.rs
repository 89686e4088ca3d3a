//! One incident seen by two sources (a PagerDuty incident and its incident.io twin):
//! the pairs, joined in `incident_links` so that metrics count them once.

use super::*;

/// Incidents that are one incident seen in two sources, by the references a source
/// gives (`link_refs`, and `incident_links` rows still holding a reference): pairs of
/// (incident, the same incident elsewhere) with the rule that matched.
pub fn same_incidents(
    incidents: &Incidents,
    inc: &DataFrame,
    links: &DataFrame,
) -> Result<BTreeMap<(String, String), &'static str>> {
    let mut refs: Vec<(String, Ref)> = Vec::new();
    for (id, r) in strs(inc, col::INCIDENT_ID)?
        .into_iter()
        .zip(strs(inc, col::LINK_REFS)?)
    {
        if let Some(id) = id {
            for x in split_list(r.as_deref().unwrap_or("")) {
                refs.extend(Ref::decode(&x).map(|r| (id.clone(), r)));
            }
        }
    }
    for ((i, l), rule) in strs(links, col::INCIDENT_ID)?
        .into_iter()
        .zip(strs(links, col::LINKED_ID)?)
        .zip(strs(links, col::RULE)?)
    {
        if let (Some(i), Some(l), Some(REFERENCE)) = (i, l, rule.as_deref()) {
            refs.extend(Ref::decode(&l).map(|r| (i, r)));
        }
    }
    let mut out = BTreeMap::new();
    for (id, r) in refs {
        let (others, rule): (Vec<String>, &'static str) = match &r {
            Ref::Incident(other) if incidents.ids.contains(other) => {
                (vec![other.clone()], "explicit")
            }
            Ref::Url(u) => (
                incidents
                    .by_url(u)
                    .map(<[String]>::to_vec)
                    .unwrap_or_default(),
                "incident-url",
            ),
            Ref::Number(n) => match incidents.by_number(*n) {
                Link::Incident(other) => (vec![other], "incident-number"),
                _ => (Vec::new(), ""),
            },
            _ => (Vec::new(), ""),
        };
        for other in others.into_iter().filter(|o| *o != id) {
            out.entry((id.clone(), other)).or_insert(rule);
        }
    }
    Ok(out)
}
