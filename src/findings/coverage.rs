//! Which metric families the store's sources can inform at all, and for how many of the
//! period's incidents the service is known.

use super::*;

/// Which metric families the store's sources can inform at all. A store filled from a
/// status page alone knows nothing of retros, follow-ups or responders: its report says
/// so instead of reporting "0 of 3 retros held".
#[derive(Debug, Clone, Copy)]
pub struct Coverage {
    /// The period's incidents whose service is known, and all of them.
    pub services: (usize, usize),
    pub retros: bool,
    pub action_items: bool,
    pub responders: bool,
    pub declaration: bool,
    pub comms: bool,
    pub acknowledgement: bool,
    /// Incident tags (for themes), deployments (for changes).
    pub themes: bool,
    pub deployments: bool,
}

impl Coverage {
    /// Whether any record of the whole store (any period) carries each family's data,
    /// and for how many of the period's incidents the service is known.
    pub fn of(ctx: &crate::metrics::Ctx, m: &Metrics) -> Coverage {
        let data = ctx.data;
        Coverage {
            services: (m.incidents.with_service, m.incidents.count),
            retros: data
                .incidents
                .iter()
                .any(|i| i.retro_held.or(i.retro_published).is_some()),
            action_items: !data.items.is_empty(),
            responders: !data.pages.is_empty()
                || !data.participants.is_empty()
                || data.incidents.iter().any(|i| i.commander.is_some())
                || data.messages.iter().any(|m| m.person.is_some()),
            declaration: data.incidents.iter().any(|i| i.declared_by.is_some()),
            comms: data.events.iter().any(|e| e.kind == "status_update"),
            acknowledgement: data.pages.iter().any(|p| p.acknowledged.is_some())
                || data.incidents.iter().any(|i| i.acknowledged.is_some())
                || data.events.iter().any(|e| e.kind == "acknowledged"),
            themes: !data.tags.is_empty(),
            deployments: !data.deployments.is_empty(),
        }
    }

    /// Whether the service is known for enough of the period's incidents to rank
    /// services at all.
    pub(crate) fn services_enough(&self) -> bool {
        let (known, total) = self.services;
        total == 0 || known as f64 >= SERVICE_COVERAGE_MIN * total as f64
    }

    /// A sentence for each family no source informs, or too few incidents do.
    pub fn unmeasured(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if !self.services_enough() {
            let (known, total) = self.services;
            out.push(format!(
                "Hotspots: the service is known for only {known} of {total} incidents ({}), \
                 under the half that ranking services needs; name services in the exports \
                 (or map them in the config) to see where incidents concentrate.",
                pct(known as f64 / total as f64)
            ));
        }
        if !self.retros {
            out.push("Retrospectives: no source records them (postmortem tickets, an incident platform's postmortems, or retro dates), so retro coverage and time to retro are not measured.".to_string());
        }
        if !self.action_items {
            out.push("Action items: no source records follow-ups (a ticket tracker or an incident platform), so completion is not measured.".to_string());
        }
        if !self.responders {
            out.push("Responders: no source records who was paged, assigned or took part, so responder load and concentration are not measured.".to_string());
        }
        if !self.declaration {
            out.push("Declaration: no source records who declared incidents.".to_string());
        }
        if !self.acknowledgement {
            out.push(
                "Time to acknowledge: no source records pages or acknowledgements.".to_string(),
            );
        }
        if !self.comms {
            out.push("Communication: no source records status updates (a status page, an incident platform, or chat messages with the update marker).".to_string());
        }
        if !self.deployments {
            out.push("Changes: no source records deployments (GitHub deployments or releases, a deployments.csv), so change-induced incidents and the change failure rate are not measured.".to_string());
        }
        out
    }
}
