//! Tickets (action items and retros) to their incidents: each ticket's [`Ref`]s
//! resolved over the whole store, strongest kind first, and each incident's earliest
//! held retro copied onto its row.

use super::*;

/// One ticket (action item or retro) and what its references resolve to.
pub struct TicketLink {
    pub table: Table,
    /// Row number in the table's frame.
    pub row: usize,
    pub id: String,
    pub link: Link,
    pub rule: &'static str,
    /// The incident the row should carry: the linked one, else an explicit reference
    /// (kept even before its incident arrives).
    pub target: Option<String>,
}

/// Resolves the references of every action item and retro that has any.
pub fn ticket_links(
    incidents: &Incidents,
    items: &DataFrame,
    retros: &DataFrame,
) -> Result<Vec<TicketLink>> {
    let mut all: Vec<(Table, usize, String, Vec<Ref>)> = Vec::new();
    // Action items by id and by URL, for mirrors.
    let mut item_rows: HashMap<String, usize> = HashMap::new();
    let mut item_urls: HashMap<String, String> = HashMap::new();
    for (table, df, key) in [
        (Table::ActionItems, items, col::ITEM_ID),
        (Table::Retros, retros, col::RETRO_ID),
    ] {
        let ids = strs(df, key)?;
        let refs = strs(df, col::LINK_REFS)?;
        let urls = strs(df, col::URL)?;
        for (i, ((id, r), url)) in ids.into_iter().zip(refs).zip(urls).enumerate() {
            let Some(id) = id else { continue };
            if table == Table::ActionItems {
                item_rows.insert(id.clone(), i);
                if let Some(u) = url {
                    item_urls.insert(normalise_url(&u), id.clone());
                }
            }
            let refs: Vec<Ref> = split_list(r.as_deref().unwrap_or(""))
                .iter()
                .filter_map(|s| Ref::decode(s))
                .collect();
            if !refs.is_empty() {
                all.push((table, i, id, refs));
            }
        }
    }
    let original_of = |id: &str, refs: &[Ref]| -> Option<String> {
        refs.iter().find_map(|r| match r {
            Ref::Mirror(m) => item_rows
                .get_key_value(m.as_str())
                .map(|(k, _)| k.clone())
                .or_else(|| item_urls.get(&normalise_url(m)).cloned())
                .filter(|o| o != id),
            _ => None,
        })
    };
    // Tickets that link by their own references first; then those that only point at
    // another ticket, through the first round's results.
    let mut resolved: HashMap<String, String> = HashMap::new();
    let mut inherited: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(all.len());
    for round in 0..2 {
        for (table, row, id, refs) in &all {
            let only_tickets = refs
                .iter()
                .all(|r| matches!(r, Ref::Ticket(_) | Ref::Mirror(_)));
            if only_tickets != (round == 1) {
                continue;
            }
            let (mut link, mut rule) = incidents.ticket(refs, &resolved);
            let explicit = refs.iter().find_map(|r| match r {
                Ref::Incident(id) => Some(id.clone()),
                _ => None,
            });
            let mut target = match &link {
                Link::Incident(i) => Some(i.clone()),
                _ => explicit,
            };
            if let Some(t) = &target {
                resolved.insert(id.clone(), t.clone());
            }
            // A copy of a ticket that is in the store: that one is counted, with this
            // one's incident; this one is not.
            if let (Some(original), Some(t)) = (original_of(id, refs), &target) {
                inherited.insert(original, t.clone());
                (link, rule, target) = (Link::None, "mirror", None);
            }
            out.push(TicketLink {
                table: *table,
                row: *row,
                id: id.clone(),
                link,
                rule,
                target,
            });
        }
    }
    for (original, incident) in inherited {
        let link = TicketLink {
            table: Table::ActionItems,
            row: item_rows[&original],
            id: original.clone(),
            link: Link::Incident(incident.clone()),
            rule: "mirror",
            target: Some(incident),
        };
        match out.iter_mut().find(|t| t.id == original) {
            // The original's own link, when it has one, stands.
            Some(own) if own.target.is_some() => {}
            Some(own) => *own = link,
            None => out.push(link),
        }
    }
    Ok(out)
}

/// Sets tickets' incidents from their references, then copies each incident's earliest
/// held retro (and its URL) onto the incident row.
pub(crate) fn relink_tickets(
    writer: &mut Writer,
    incidents: &Incidents,
    inc: &DataFrame,
    report: &mut Report,
) -> Result<()> {
    // What linking reads of the tickets; their incidents are then set in place, as
    // the messages' are, rather than each ticket stored again.
    let read = |writer: &mut Writer, t: Table, id: &str| {
        writer.columns(
            t,
            &[id, col::SOURCE, col::LINK_REFS, col::URL, col::INCIDENT_ID],
        )
    };
    let items = read(writer, Table::ActionItems, col::ITEM_ID)?;
    let retros = read(writer, Table::Retros, col::RETRO_ID)?;
    let cells = |df: &DataFrame| -> Result<[Vec<Option<String>>; 2]> {
        Ok([strs(df, col::SOURCE)?, strs(df, col::INCIDENT_ID)?])
    };
    let (item_cells, retro_cells) = (cells(&items)?, cells(&retros)?);
    let mut incident_of = [TextMap::default(), TextMap::default()];
    for t in ticket_links(incidents, &items, &retros)? {
        let retro = t.table == Table::Retros;
        let [sources, current] = if retro { &retro_cells } else { &item_cells };
        if let Link::Incident(_) = &t.link {
            report.linked_tickets += 1;
        }
        report.note("ticket", &t.id, &t.id, &t.link);
        if current[t.row] != t.target {
            incident_of[usize::from(retro)].insert(
                sources[t.row].as_deref().unwrap_or_default(),
                &t.id,
                t.target.as_deref(),
            );
        }
        if let Link::Incident(incident) = &t.link {
            put_derived(writer, report, link_row(incident, &t.id, t.rule))?;
        }
    }
    let [items_of, retros_of] = incident_of;
    for (t, id, map) in [
        (Table::ActionItems, col::ITEM_ID, items_of),
        (Table::Retros, col::RETRO_ID, retros_of),
    ] {
        if !map.is_empty() {
            writer.set_text_by(t, col::INCIDENT_ID, [col::SOURCE, id], map)?;
        }
    }
    // Each incident's retro: the earliest held, and the earliest published, among its
    // retro tickets and documents.
    let retros = writer.rows(Table::Retros)?;
    let mut best: BTreeMap<String, (Option<i64>, Option<i64>, Value)> = BTreeMap::new();
    for i in 0..retros.height() {
        let r = row_at(&retros, Table::Retros, i)?;
        let Value::Str(incident) = r.get(col::INCIDENT_ID) else {
            continue;
        };
        let ts = |c: &str| match r.get(c) {
            Value::Ts(t) => Some(*t),
            _ => None,
        };
        let (held, published) = (ts(col::HELD_AT), ts(col::PUBLISHED_AT));
        let Some(when) = held.or(published) else {
            continue;
        };
        let e = best
            .entry(incident.to_string())
            .or_insert((None, None, Value::Null));
        // The URL of the retro that came first.
        if e.0.or(e.1).is_none_or(|t| when < t) {
            e.2 = r.get(col::URL).clone();
        }
        e.0 = first_of(e.0, held);
        e.1 = first_of(e.1, published);
    }
    if best.is_empty() {
        return Ok(());
    }
    let ids = strs(inc, col::INCIDENT_ID)?;
    for (i, id) in ids.iter().enumerate() {
        let Some((held, published, url)) = id.as_ref().and_then(|id| best.get(id)) else {
            continue;
        };
        let row = row_at(inc, Table::Incidents, i)?;
        // The earlier of the incident's own retro date and its tickets': applying this
        // again changes nothing, whatever the order of ingestion.
        let earliest = |own: &Value, ticket: Option<i64>| match (own, ticket) {
            (Value::Ts(o), Some(t)) => Value::Ts((*o).min(t)),
            (Value::Ts(o), None) => Value::Ts(*o),
            (_, t) => Value::opt_ts(t),
        };
        let mut new = row.clone();
        new.set(
            cell::RETRO_HELD_AT,
            earliest(row.get(col::RETRO_HELD_AT), *held),
        );
        new.set(
            cell::RETRO_PUBLISHED_AT,
            earliest(row.get(col::RETRO_PUBLISHED_AT), *published),
        );
        if row.get(col::RETRO_URL).is_null() {
            new.set(cell::RETRO_URL, url.clone());
        }
        if new != row {
            writer.put(new, "links")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_references_strongest_kind_first() {
        let n = Incidents::new([
            (
                "pagerduty:PI1",
                "pagerduty",
                Some(101),
                Some("https://pd.example/incidents/PI1"),
            ),
            ("pagerduty:PI2", "pagerduty", Some(102), None),
        ]);
        let none = HashMap::new();
        let url = Ref::Url("https://pd.example/incidents/PI1".into());
        // The URL outranks a label that names another incident.
        assert_eq!(
            n.ticket(&[Ref::Number(102), url.clone()], &none),
            (Link::Incident("pagerduty:PI1".into()), "ticket-url")
        );
        assert_eq!(
            n.ticket(&[Ref::Number(102)], &none),
            (Link::Incident("pagerduty:PI2".into()), "ticket-label")
        );
        assert_eq!(
            n.ticket(&[Ref::Number(101), Ref::Number(102)], &none).0,
            Link::Ambiguous(vec!["pagerduty:PI1".into(), "pagerduty:PI2".into()])
        );
        assert_eq!(
            n.ticket(&[Ref::Incident("incidentio:X".into()), url], &none)
                .0,
            Link::Dangling("incident incidentio:X is not in the store".into())
        );
        let tickets = HashMap::from([("jira:PM-1".to_string(), "pagerduty:PI2".to_string())]);
        assert_eq!(
            n.ticket(&[Ref::Ticket("jira:PM-1".into())], &tickets),
            (Link::Incident("pagerduty:PI2".into()), "ticket-link")
        );
        assert_eq!(
            n.ticket(
                &[Ref::Number(7), Ref::Url("https://x.io/doc".into())],
                &none
            )
            .0,
            Link::Dangling("nothing matches #7".into())
        );
        // A URL or ticket link that matches nothing is no claim to be a follow-up.
        assert_eq!(
            n.ticket(
                &[
                    Ref::Url("https://x.io/doc".into()),
                    Ref::Ticket("jira:X-9".into())
                ],
                &none
            )
            .0,
            Link::None
        );
        assert_eq!(n.ticket(&[], &none).0, Link::None);
        for r in [
            Ref::Number(7),
            Ref::Url("https://a/b:c".into()),
            Ref::Ticket("jira:X-1".into()),
        ] {
            assert_eq!(Ref::decode(&r.encode()), Some(r));
        }
    }
}
