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

/// Chooses, for every group of incidents that links join (one incident seen by a pager,
/// a platform and a ticket), the primary one: the incident of the best-ranked source
/// ([`rank`], from the source's role), then the least id. Each other member gets a
/// derived row `(member, primary, "primary")`, and metrics merge by these rows alone.
///
/// The groups come from the links this linking derived (`Report::pairs`; stale
/// stored ones are about to be removed) and the links a user gave in the canonical form
/// (`links`, the stored rows, which linking leaves as they are).
pub(super) fn primaries(
    writer: &mut Writer,
    inc: &DataFrame,
    links: &DataFrame,
    report: &mut Report,
) -> Result<()> {
    let source_of: HashMap<String, String> = strs(inc, col::INCIDENT_ID)?
        .into_iter()
        .zip(strs(inc, col::SOURCE)?)
        .filter_map(|(id, source)| Some((id?, source.unwrap_or_default())))
        .collect();
    let given = strs(links, col::INCIDENT_ID)?
        .into_iter()
        .zip(strs(links, col::LINKED_ID)?)
        .zip(strs(links, col::RULE)?)
        .filter_map(|((a, b), rule)| {
            let rule = rule.unwrap_or_default();
            (rule != REFERENCE && !DERIVED_RULES.contains(&rule.as_str())).then_some((a?, b?))
        });
    let mut groups = Groups::default();
    for (a, b) in given.chain(std::mem::take(&mut report.pairs)) {
        if source_of.contains_key(&a) && source_of.contains_key(&b) {
            groups.join(&a, &b);
        }
    }
    for members in groups.into_sets() {
        let order = |id: &String| (rank(&source_of[id]), id.clone());
        let primary = members.iter().min_by_key(|id| order(id)).expect("a group");
        for member in members.iter().filter(|m| *m != primary) {
            put_derived(writer, report, link_row(member, primary, PRIMARY))?;
        }
    }
    Ok(())
}

/// Sets of ids joined pairwise (union–find).
#[derive(Default)]
struct Groups {
    index: HashMap<String, usize>,
    parent: Vec<usize>,
    ids: Vec<String>,
}

impl Groups {
    fn at(&mut self, id: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.ids.len();
        self.index.insert(id.to_string(), i);
        self.parent.push(i);
        self.ids.push(id.to_string());
        i
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: &str, b: &str) {
        let (a, b) = (self.at(a), self.at(b));
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent[ra] = rb;
        }
    }

    /// The sets of more than one id, each sorted, in the order of their least id.
    fn into_sets(mut self) -> Vec<Vec<String>> {
        let mut sets: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for i in 0..self.ids.len() {
            let r = self.root(i);
            sets.entry(r).or_default().push(self.ids[i].clone());
        }
        let mut sets: Vec<Vec<String>> = sets.into_values().filter(|s| s.len() > 1).collect();
        sets.iter_mut().for_each(|s| s.sort());
        sets.sort();
        sets
    }
}
