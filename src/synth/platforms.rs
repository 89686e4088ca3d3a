//! The same incidents as other tools export them, for measuring those adapters on the
//! organisation's scale: Opsgenie's v1 incidents and v2 alerts, incident.io's
//! `/v2/incidents`, a ServiceNow list export to CSV and a ServiceNow event log (one row
//! per update of an incident). Each is a source of its own holding the same incidents
//! as PagerDuty's export: ingest one of them alone, or beside the rest to see them
//! counted as incidents of their own.

use super::*;

/// Which other tools' exports to write beside the organisation's (`synth --also`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Also {
    pub opsgenie: bool,
    pub incidentio: bool,
    pub servicenow_csv: bool,
    pub servicenow_log: bool,
}

/// The columns of the event log, as the published ServiceNow incident event log has
/// them: every update of an incident is a row, `?` where nothing is known.
const EVENT_LOG: [&str; 36] = [
    "number",
    "incident_state",
    "active",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "made_sla",
    "caller_id",
    "opened_by",
    "opened_at",
    "sys_created_by",
    "sys_created_at",
    "sys_updated_by",
    "sys_updated_at",
    "contact_type",
    "location",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
];

/// The columns of the list export (field names as headers, display values, every
/// cell quoted, as ServiceNow's CSV export writes them).
const LIST: [&str; 14] = [
    "number",
    "sys_id",
    "short_description",
    "state",
    "priority",
    "opened_at",
    "opened_by",
    "assigned_to",
    "assignment_group",
    "business_service",
    "resolved_at",
    "resolved_by",
    "closed_at",
    "sys_updated_on",
];

/// Where the other tools' exports are being written.
#[derive(Default)]
pub(super) struct Platforms {
    opsgenie: Option<(JsonArray, JsonArray)>,
    incidentio: Option<JsonArray>,
    servicenow_csv: Option<(PathBuf, CsvOut)>,
    servicenow_log: Option<EventLog>,
}

/// The event log, written in the order of its updates.
struct EventLog {
    path: PathBuf,
    out: CsvOut,
    rows: InOrder<Vec<String>>,
}

impl Platforms {
    pub(super) fn create(out: &Path, also: Also, layout: Layout) -> Result<Platforms> {
        let dir = |d: &str| -> Result<PathBuf> {
            std::fs::create_dir_all(out.join(d))?;
            Ok(out.join(d))
        };
        let mut p = Platforms::default();
        if also.opsgenie {
            let d = dir("opsgenie")?;
            p.opsgenie = Some((
                JsonArray::create(&d.join("incidents.json"), "data", layout)?,
                JsonArray::create(&d.join("alerts.json"), "data", layout)?,
            ));
        }
        if also.incidentio {
            let d = dir("incidentio")?;
            p.incidentio = Some(JsonArray::create(
                &d.join("incidents.json"),
                "incidents",
                layout,
            )?);
        }
        if also.servicenow_csv {
            let path = dir("servicenow")?.join("incidents.csv");
            let mut w = csv_file(&path, csv::QuoteStyle::Always)?;
            w.write_record(LIST)?;
            p.servicenow_csv = Some((path, w));
        }
        if also.servicenow_log {
            let path = dir("servicenow")?.join("event_log.csv");
            let mut out = csv_file(&path, csv::QuoteStyle::Necessary)?;
            out.write_record(EVENT_LOG)?;
            p.servicenow_log = Some(EventLog {
                path,
                out,
                rows: InOrder::default(),
            });
        }
        Ok(p)
    }

    pub(super) fn incident(&mut self, inc: &Incident, people: &[Person]) -> Result<()> {
        if let Some((incidents, alerts)) = &mut self.opsgenie {
            incidents.push(&opsgenie_incident(inc, people))?;
            alerts.push(&opsgenie_alert(inc))?;
        }
        if let Some(file) = &mut self.incidentio {
            file.push(&incidentio_incident(inc, people))?;
        }
        if let Some((_, w)) = &mut self.servicenow_csv {
            w.write_record(servicenow_list_row(inc))?;
        }
        if let Some(log) = &mut self.servicenow_log {
            log.incident(inc)?;
        }
        Ok(())
    }

    pub(super) fn finish(self) -> Result<Vec<(PathBuf, u64)>> {
        let mut files = Vec::new();
        if let Some((incidents, alerts)) = self.opsgenie {
            files.extend([incidents.finish()?, alerts.finish()?]);
        }
        if let Some(file) = self.incidentio {
            files.push(file.finish()?);
        }
        if let Some((path, w)) = self.servicenow_csv {
            files.push(finish_csv(path, w)?);
        }
        if let Some(mut log) = self.servicenow_log {
            while let Some(row) = log.rows.next_before(None) {
                log.out.write_record(row)?;
            }
            files.push(finish_csv(log.path, log.out)?);
        }
        Ok(files)
    }
}

/// A UUID-like id, as Opsgenie's are, unique to the incident and the kind of record.
fn uuid(kind: u8, i: usize) -> String {
    format!("{i:08x}-{kind:04x}-4000-8000-{i:012x}")
}

fn opsgenie_incident(inc: &Incident, people: &[Person]) -> Value {
    let id = uuid(1, inc.i);
    let team = inc.service.team;
    let mut responders = vec![json!({"type": "team", "id": format!("team-{team}")})];
    responders.extend(
        inc.responders
            .iter()
            .map(|p| json!({"type": "user", "id": format!("user-{}", index_of(people, p))})),
    );
    json!({"id": id, "description": format!("{} on {}", inc.title, inc.service.name),
        "impactedServices": [inc.service.name], "tinyId": inc.number.to_string(),
        "message": inc.title, "status": "closed", "tags": [team],
        "createdAt": ts(inc.started), "updatedAt": ts(inc.resolved),
        "priority": format!("P{}", inc.sev.unwrap_or(3)), "ownerTeam": team,
        "responders": responders, "extraProperties": {},
        "links": {"web": format!("https://acme.app.opsgenie.com/incident/detail/{id}"),
            "api": format!("https://api.opsgenie.com/v1/incidents/{id}")},
        "impactStartDate": ts(inc.started), "impactEndDate": ts(inc.resolved), "actions": []})
}

/// The alert that opened the incident, with its report: acknowledged and closed, in
/// milliseconds after it was created.
fn opsgenie_alert(inc: &Incident) -> Value {
    let acker = &inc.responders[0].email;
    json!({"id": uuid(2, inc.i), "tinyId": (100_000 + inc.i).to_string(),
        "alias": format!("{}-{}", inc.service.name, inc.i), "message": inc.title,
        "status": "closed", "acknowledged": true, "isSeen": true, "tags": [inc.service.team],
        "snoozed": false, "count": 1, "lastOccurredAt": ts(inc.started),
        "createdAt": ts(inc.started), "updatedAt": ts(inc.resolved), "source": "prometheus",
        "owner": acker, "priority": format!("P{}", inc.sev.unwrap_or(3)),
        "responders": [{"type": "team", "id": format!("team-{}", inc.service.team)}],
        "integration": {"id": "int-1", "name": "Prometheus", "type": "Prometheus"},
        "report": {"ackTime": (inc.acked - inc.started) / 1000,
            "closeTime": (inc.resolved - inc.started) / 1000,
            "acknowledgedBy": acker, "closedBy": acker}})
}

fn incidentio_incident(inc: &Incident, people: &[Person]) -> Value {
    let user = |p: &Person| {
        let n = index_of(people, p);
        json!({"id": format!("01USER{n:020}"), "email": p.email, "name": p.name,
            "role": "responder", "slack_user_id": format!("U{n}")})
    };
    let lead = inc.responders[0];
    let stamp = |rank: u8, name: &str, at: i64| {
        json!({"incident_timestamp": {"id": format!("01STAMP{rank:019}"), "name": name,
            "rank": rank}, "value": {"value": ts(at)}})
    };
    let sev = inc.sev.unwrap_or(4);
    json!({"id": format!("01INC{:021}", inc.i), "reference": format!("INC-{}", inc.number),
        "name": inc.title, "summary": format!("{} on {}.", inc.title, inc.service.name),
        "created_at": ts(inc.started), "updated_at": ts(inc.resolved), "mode": "standard",
        "visibility": "public", "has_debrief": false,
        "permalink": format!("https://app.incident.io/acme/incidents/{}", inc.number),
        "creator": {"user": user(lead)},
        "incident_status": {"id": "01STATUSCLOSED", "name": "Closed", "category": "closed",
            "rank": 4, "description": "The incident is over."},
        "severity": {"id": format!("01SEV{sev}"), "name": format!("SEV{sev}"),
            "rank": 5 - u32::from(sev.min(4)), "description": ""},
        "incident_type": {"id": "01TYPE", "name": "Default", "is_default": true},
        "incident_role_assignments": [{"assignee": user(lead),
            "role": {"id": "01ROLELEAD", "name": "Incident Lead", "role_type": "lead",
                "shortform": "lead", "required": true}}],
        "incident_timestamp_values": [
            stamp(1, "Impact started", inc.started), stamp(2, "Reported at", inc.started),
            stamp(3, "Accepted at", inc.acked), stamp(4, "Resolved at", inc.resolved)],
        "custom_field_entries": [{"custom_field": {"id": "01FIELDSERVICES",
            "name": "Affected services", "field_type": "multi_select", "description": ""},
            "values": [{"value_catalog_entry": {"id": format!("01SVC{}", inc.service.name),
                "name": inc.service.name, "aliases": []}}]},
            {"custom_field": {"id": "01FIELDTEAM", "name": "Team", "field_type": "single_select",
                "description": ""},
            "values": [{"value_option": {"id": format!("01OPT{}", inc.service.team),
                "value": inc.service.team, "sort_key": 10}}]}],
        "duration_metrics": [], "postmortem_document_ids": [],
        "slack_channel_id": format!("C{}", inc.i), "slack_channel_name": inc.channel(),
        "slack_team_id": "T0ACME"})
}

/// ServiceNow's display of a priority (`2 - High`).
fn priority(sev: Option<u8>) -> &'static str {
    match sev {
        Some(1) => "1 - Critical",
        Some(2) => "2 - High",
        Some(3) => "3 - Moderate",
        Some(4) => "4 - Low",
        _ => "5 - Planning",
    }
}

/// A ServiceNow date as a user's list export shows it (`2026-07-03 08:15:00`).
fn sn_date(t: i64) -> String {
    chrono::DateTime::from_timestamp_micros(t)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn servicenow_list_row(inc: &Incident) -> [String; 14] {
    let lead = inc.responders[0].name.clone();
    let closed = inc.resolved + DAY;
    [
        format!("INC{:07}", inc.number),
        format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&inc.i.to_le_bytes())),
        inc.title.clone(),
        "Closed".into(),
        priority(inc.sev).into(),
        sn_date(inc.started),
        lead.clone(),
        lead.clone(),
        inc.service.team.into(),
        inc.service.name.clone(),
        sn_date(inc.resolved),
        lead,
        sn_date(closed),
        sn_date(closed),
    ]
}

impl EventLog {
    /// The incident's updates (new, active when acknowledged, resolved, closed a day
    /// later), each a row, written once no incident still to come can have an earlier
    /// update.
    fn incident(&mut self, inc: &Incident) -> Result<()> {
        while let Some(row) = self.rows.next_before(Some(inc.started)) {
            self.out.write_record(row)?;
        }
        // The published log's dates: day first, minutes only.
        let date = |t: i64| {
            chrono::DateTime::from_timestamp_micros(t)
                .map(|d| d.format("%d-%m-%Y %H:%M").to_string())
                .unwrap_or_default()
        };
        let lead = inc.responders[0].name.as_str();
        let closed = inc.resolved + DAY;
        let updates = [
            ("New", inc.started, "?"),
            ("Active", inc.acked, lead),
            ("Resolved", inc.resolved, lead),
            ("Closed", closed, lead),
        ];
        for (mods, (state, at, assigned)) in updates.into_iter().enumerate() {
            let done = mods >= 2;
            let row: Vec<String> = [
                format!("INC{:07}", inc.number),
                state.into(),
                (state != "Closed").to_string(),
                "0".into(),
                "0".into(),
                mods.to_string(),
                "true".into(),
                format!("Caller {}", inc.i % 997),
                lead.into(),
                date(inc.started),
                lead.into(),
                date(inc.started),
                if mods == 0 { lead } else { "system" }.into(),
                date(at),
                "Phone".into(),
                "?".into(),
                "Category 1".into(),
                "?".into(),
                "?".into(),
                inc.service.name.clone(),
                "2 - Medium".into(),
                "2 - Medium".into(),
                priority(inc.sev).into(),
                inc.service.team.into(),
                assigned.into(),
                "false".into(),
                "false".into(),
                "Do Not Notify".into(),
                "?".into(),
                "?".into(),
                "?".into(),
                "?".into(),
                if done { "code 1" } else { "?" }.into(),
                if done { lead } else { "?" }.into(),
                if done { date(inc.resolved) } else { "?".into() },
                if mods == 3 { date(closed) } else { "?".into() },
            ]
            .into();
            self.rows.push(at, row);
        }
        Ok(())
    }
}
