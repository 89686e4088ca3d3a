//! `incidentlens.toml`: the user's settings, with defaults that work with no file at all.
//!
//! The file is read once, before any work, into a validated [`Config`]. Unknown keys are
//! errors that name the key, so a typo never silently falls back to a default.

mod loose;

use anyhow::{Context, Result};
use loose::loosely_in;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The name looked for in the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "incidentlens.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub severity: SeverityConfig,
    pub sources: SourcesConfig,
    pub retro: RetroConfig,
    pub hotspots: HotspotsConfig,
    pub responders: RespondersConfig,
    pub workload: WorkloadConfig,
    pub recovery: RecoveryConfig,
    pub changes: ChangesConfig,
    pub recurrence: RecurrenceConfig,
    pub themes: ThemesConfig,
    pub action_items: ActionItemsConfig,
    pub comms: CommsConfig,
    pub chat: ChatConfig,
    pub slack: SlackConfig,
    pub tickets: TicketsConfig,
    pub catalog: CatalogConfig,
    pub limits: LimitsConfig,
    pub report: ReportConfig,
    /// SHA-256 of the settings file, for report provenance (`None`: the defaults).
    #[serde(skip)]
    pub hash: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChatConfig {
    /// A message that begins with one of these (case-insensitive) is a status update.
    pub status_update_prefixes: Vec<String>,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig {
            status_update_prefixes: vec!["update:".into(), "status update".into()],
        }
    }
}

impl ChatConfig {
    /// Whether a message starts with one of the markers, case aside (only as much of
    /// the text is lowered as a marker is long).
    pub fn is_status_update(&self, text: &str) -> bool {
        let text = text.trim_start();
        self.status_update_prefixes.iter().any(|p| {
            // ASCII marker and ASCII text (nearly every message): bytes compared case
            // aside, which is what lowering both gives there; a message of millions
            // spent a twentieth of its parsing lowering character by character.
            if p.is_ascii() {
                match text.as_bytes().get(..p.len()) {
                    Some(head) if head.is_ascii() => {
                        return head.eq_ignore_ascii_case(p.as_bytes())
                    }
                    None if text.is_ascii() => return false,
                    _ => {}
                }
            }
            let mut t = text.chars().flat_map(char::to_lowercase);
            p.chars()
                .flat_map(char::to_lowercase)
                .all(|c| t.next() == Some(c))
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlackConfig {
    /// A zip whose entries would inflate beyond this many times its size is refused.
    pub max_inflate_ratio: f64,
    /// …or beyond this many bytes.
    pub max_inflate_bytes: u64,
}

impl Default for SlackConfig {
    fn default() -> Self {
        SlackConfig {
            max_inflate_ratio: 20.0,
            max_inflate_bytes: 8 << 30,
        }
    }
}

/// Bounds on what one input may ask of memory.
/// How reports present themselves.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// The organisation's name, at the head of every report's title; empty: none.
    pub organisation: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// One record (a JSON element, a JSONL line) larger than this many MiB is rejected
    /// without being read whole.
    pub max_record_mib: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig { max_record_mib: 64 }
    }
}

impl LimitsConfig {
    pub fn max_record_bytes(&self) -> usize {
        usize::try_from(self.max_record_mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
    }
}

/// How service catalogs are read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogConfig {
    /// The Backstage annotation or label that gives a component's tier.
    pub tier_key: String,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        CatalogConfig {
            tier_key: "tier".into(),
        }
    }
}

/// How tickets (Jira, ServiceNow, GitHub) are read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TicketsConfig {
    /// Issue types (GitHub: labels or issue types) of postmortem tickets: such a ticket
    /// gives its incident's retro dates instead of being an action item.
    pub postmortem_types: Vec<String>,
    /// Resolutions that mean the work was dropped (`wont_do`), not done.
    pub wont_do_resolutions: Vec<String>,
}

impl Default for TicketsConfig {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        TicketsConfig {
            postmortem_types: s(&[
                "Postmortem",
                "Post-mortem",
                "Post-incident review",
                "Retrospective",
                "PIR",
            ]),
            wont_do_resolutions: s(&[
                "Won't Do",
                "Won't Fix",
                "Duplicate",
                "Cannot Reproduce",
                "Declined",
                "Not a Bug",
                "Obsolete",
                "Rejected",
            ]),
        }
    }
}

impl TicketsConfig {
    pub fn is_postmortem(&self, kind: &str) -> bool {
        loosely_in(kind, &self.postmortem_types)
    }

    pub fn is_wont_do(&self, resolution: &str) -> bool {
        loosely_in(resolution, &self.wont_do_resolutions)
    }
}

/// Which incidents need a retrospective.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetroConfig {
    pub required_severities: Vec<String>,
}

impl Default for RetroConfig {
    fn default() -> Self {
        RetroConfig {
            required_severities: vec!["SEV1".into(), "SEV2".into(), "SEV3".into()],
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HotspotsConfig {
    /// Weight per severity (`SEV1`…`SEV5`, `unknown`) in the weighted score.
    pub severity_weights: BTreeMap<String, f64>,
    /// An incident within this many days after an earlier one on the same service repeats it.
    pub repeat_window_days: f64,
}

impl Default for HotspotsConfig {
    fn default() -> Self {
        let w = [
            ("SEV1", 8.0),
            ("SEV2", 4.0),
            ("SEV3", 2.0),
            ("SEV4", 1.0),
            ("SEV5", 0.5),
            ("unknown", 1.0),
        ];
        HotspotsConfig {
            severity_weights: w.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            repeat_window_days: 30.0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RespondersConfig {
    /// A person in at least this share of the period's incidents is a "hero".
    pub hero_share: f64,
    /// Business hours `[start, end)` in the responder's zone, Monday to Friday.
    pub business_hours: [u32; 2],
    /// Sleep hours `[start, end)` in the responder's zone, any day (may wrap midnight).
    pub sleep_hours: [u32; 2],
}

impl Default for RespondersConfig {
    fn default() -> Self {
        RespondersConfig {
            hero_share: 0.25,
            business_hours: [8, 18],
            sleep_hours: [22, 8],
        }
    }
}

/// How a person's activity in an incident becomes stints of work (docs/metrics.md,
/// Workload).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadConfig {
    /// A gap between two activities longer than this starts a new stint.
    pub stint_gap_minutes: f64,
    /// A stint lasts from its first to its last activity plus this.
    pub min_stint_minutes: f64,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            stint_gap_minutes: 30.0,
            min_stint_minutes: 15.0,
        }
    }
}

/// What counts as rest after a night's work (docs/metrics.md, Recovery).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecoveryConfig {
    /// A stint with sleep-hours minutes followed by another within this many hours of its
    /// end is a night without rest.
    pub hours: f64,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig { hours: 12.0 }
    }
}

/// Which incidents a change induced (docs/metrics.md, Changes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChangesConfig {
    /// A successful production deployment of an incident's service at most this many
    /// hours before the incident started may have induced it.
    pub window_hours: f64,
    /// Environments that are production (compared without case); a deployment that
    /// names no environment is taken to be one.
    pub production: Vec<String>,
}

impl Default for ChangesConfig {
    fn default() -> Self {
        ChangesConfig {
            window_hours: 24.0,
            production: ["production", "prod", "prd", "live"]
                .map(String::from)
                .to_vec(),
        }
    }
}

impl ChangesConfig {
    pub fn is_production(&self, environment: Option<&str>) -> bool {
        environment.is_none_or(|e| {
            self.production
                .iter()
                .any(|p| p.eq_ignore_ascii_case(e.trim()))
        })
    }
}

/// Themes (docs/metrics.md, Themes): each theme's patterns, matched without case
/// against an incident tag's value or its `tag:value`; `*`, `?` and `[…]` are globs.
/// Empty: every tag value is a theme of its own (see [`Themes::of`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct ThemesConfig(pub BTreeMap<String, Vec<String>>);

/// Tag names whose values are themes as they stand when no `[themes]` are set.
pub const FACTOR_TAGS: [&str; 11] = [
    "cause",
    "causes",
    "root cause",
    "contributing factor",
    "contributing factors",
    "theme",
    "category",
    "incident type",
    "type",
    "tag",
    "label",
];

/// [`ThemesConfig`] compiled: which themes a tag stands for.
pub struct Themes(Vec<(String, globset::GlobSet)>);

impl ThemesConfig {
    pub fn compile(&self) -> Result<Themes> {
        let mut themes = Vec::new();
        for (theme, patterns) in &self.0 {
            let mut set = globset::GlobSetBuilder::new();
            for p in patterns {
                let glob = globset::GlobBuilder::new(p)
                    .case_insensitive(true)
                    .literal_separator(false)
                    .build()
                    .with_context(|| {
                        format!("themes.{theme}: '{p}' is not a pattern (use *, ? or [...])")
                    })?;
                set.add(glob);
            }
            themes.push((theme.clone(), set.build()?));
        }
        Ok(Themes(themes))
    }
}

impl Themes {
    /// The themes a tag stands for: those with a pattern matching its value or
    /// `tag:value`. With no themes set, the value itself when the tag names a factor
    /// (a cause, category, type, tag or label: [`FACTOR_TAGS`]), else `tag: value`, so
    /// that a custom field's value keeps its field.
    pub fn of(&self, tag: &str, value: &str) -> Vec<String> {
        if self.0.is_empty() {
            let factor = FACTOR_TAGS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(tag.trim()));
            return vec![if factor {
                value.trim().to_string()
            } else {
                format!("{}: {}", tag.trim(), value.trim())
            }];
        }
        let both = format!("{tag}:{value}");
        self.0
            .iter()
            .filter(|(_, set)| set.is_match(value) || set.is_match(&both))
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// Whether themes are set (else each tag value is one).
    pub fn mapped(&self) -> bool {
        !self.0.is_empty()
    }
}

/// When an incident recurs (docs/metrics.md, Recurrence).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecurrenceConfig {
    /// How far back an earlier incident may be, in days.
    pub days: f64,
    /// The least Jaccard similarity of two titles' words for them to be similar.
    pub similarity: f64,
}

impl Default for RecurrenceConfig {
    fn default() -> Self {
        RecurrenceConfig {
            days: 30.0,
            similarity: 0.6,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActionItemsConfig {
    /// Open items older than this many days are stale.
    pub stale_days: f64,
}

impl Default for ActionItemsConfig {
    fn default() -> Self {
        ActionItemsConfig { stale_days: 60.0 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommsConfig {
    /// Longest acceptable gap between status updates, minutes, per severity; `default`
    /// for the others.
    pub target_minutes: BTreeMap<String, f64>,
}

impl Default for CommsConfig {
    fn default() -> Self {
        CommsConfig {
            target_minutes: [("SEV1", 30.0), ("SEV2", 60.0), ("default", 120.0)]
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
        }
    }
}

impl CommsConfig {
    pub fn target_for(&self, severity: Option<&str>) -> f64 {
        severity
            .and_then(|s| self.target_minutes.get(s))
            .or_else(|| self.target_minutes.get("default"))
            .copied()
            .unwrap_or(120.0)
    }
}

impl HotspotsConfig {
    pub fn weight(&self, severity: Option<&str>) -> f64 {
        self.severity_weights
            .get(severity.unwrap_or("unknown"))
            .copied()
            .unwrap_or(1.0)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeverityConfig {
    /// Raw label (matched case-insensitively) → `SEV1`…`SEV5`, consulted before the
    /// built-in rules.
    pub map: BTreeMap<String, String>,
}

/// Per-source settings, one table per source name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    pub canonical: SourceConfig,
    pub pagerduty: SourceConfig,
    pub opsgenie: SourceConfig,
    pub jira: SourceConfig,
    pub servicenow: SourceConfig,
    pub github: SourceConfig,
}

/// The sources that take settings, by name.
const CONFIGURABLE: [&str; 6] = [
    "canonical",
    "pagerduty",
    "opsgenie",
    "jira",
    "servicenow",
    "github",
];

impl SourcesConfig {
    /// The configured zone of a source, by the source's name.
    pub fn timezone(&self, source: &str) -> Option<&str> {
        self.get(source)?.timezone.as_deref()
    }

    /// The configured date layout of a source's CSV exports, if any.
    pub fn date_format(&self, source: &str) -> Option<&str> {
        self.get(source)?.date_format.as_deref()
    }

    fn get(&self, source: &str) -> Option<&SourceConfig> {
        Some(match source {
            "canonical" => &self.canonical,
            "pagerduty" => &self.pagerduty,
            "opsgenie" => &self.opsgenie,
            "jira" => &self.jira,
            "servicenow" => &self.servicenow,
            "github" => &self.github,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceConfig {
    /// IANA zone for timestamps the source writes without an offset.
    pub timezone: Option<String>,
    /// The date layout of the source's CSV exports (chrono syntax, `%d/%m/%Y %H:%M`),
    /// for files whose dates read both day-first and month-first.
    pub date_format: Option<String>,
}

/// What `incidentlens init` writes: every setting at its default, with what it means.
pub const TEMPLATE: &str = include_str!("config_template.toml");

impl Config {
    /// Loads `path`, or `./incidentlens.toml` when it exists, or the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let path: PathBuf = match path {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_FILE).exists() => PathBuf::from(DEFAULT_FILE),
            None => return Ok(Config::default()),
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let mut config =
            Config::parse(&text).with_context(|| format!("invalid config {}", path.display()))?;
        use sha2::Digest;
        config.hash = Some(format!("{:x}", sha2::Sha256::digest(text.as_bytes())));
        Ok(config)
    }

    pub fn parse(text: &str) -> Result<Config> {
        let de = toml::Deserializer::parse(text)?;
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            anyhow::anyhow!("{path}: {}", e.into_inner().message())
        })?;
        let sevs = crate::schema::vocab::SEVERITIES;
        for s in &config.retro.required_severities {
            anyhow::ensure!(
                sevs.contains(&s.as_str()),
                "retro.required_severities: expected SEV1…SEV5, found '{s}'"
            );
        }
        for k in config.hotspots.severity_weights.keys() {
            anyhow::ensure!(
                sevs.contains(&k.as_str()) || k == "unknown",
                "hotspots.severity_weights.{k}: expected a key SEV1…SEV5 or unknown"
            );
        }
        // Every number a setting holds is a count, a share or a span: finite, and not
        // below zero (a NaN weight would print "score NaN" in every report).
        let mut numbers: Vec<(String, f64, f64)> = vec![
            (
                "slack.max_inflate_ratio".into(),
                config.slack.max_inflate_ratio,
                f64::INFINITY,
            ),
            (
                "hotspots.repeat_window_days".into(),
                config.hotspots.repeat_window_days,
                f64::INFINITY,
            ),
            (
                "responders.hero_share".into(),
                config.responders.hero_share,
                1.0,
            ),
            (
                "action_items.stale_days".into(),
                config.action_items.stale_days,
                f64::INFINITY,
            ),
            (
                "workload.stint_gap_minutes".into(),
                config.workload.stint_gap_minutes,
                f64::INFINITY,
            ),
            (
                "workload.min_stint_minutes".into(),
                config.workload.min_stint_minutes,
                f64::INFINITY,
            ),
            (
                "recovery.hours".into(),
                config.recovery.hours,
                f64::INFINITY,
            ),
            (
                "changes.window_hours".into(),
                config.changes.window_hours,
                f64::INFINITY,
            ),
            (
                "recurrence.days".into(),
                config.recurrence.days,
                f64::INFINITY,
            ),
            (
                "recurrence.similarity".into(),
                config.recurrence.similarity,
                1.0,
            ),
        ];
        numbers.extend(
            config
                .hotspots
                .severity_weights
                .iter()
                .map(|(k, v)| (format!("hotspots.severity_weights.{k}"), *v, f64::INFINITY)),
        );
        numbers.extend(
            config
                .comms
                .target_minutes
                .iter()
                .map(|(k, v)| (format!("comms.target_minutes.{k}"), *v, f64::INFINITY)),
        );
        config.themes.compile()?;
        for (name, value, max) in numbers {
            let expected = if max.is_finite() {
                format!("a number from 0 to {max}")
            } else {
                "a finite number, 0 or more".to_string()
            };
            anyhow::ensure!(
                value.is_finite() && (0.0..=max).contains(&value),
                "{name}: expected {expected}, found {value}"
            );
        }
        anyhow::ensure!(
            config.limits.max_record_mib > 0,
            "limits.max_record_mib: expected 1 or more, found 0"
        );
        for k in config.comms.target_minutes.keys() {
            anyhow::ensure!(
                sevs.contains(&k.as_str()) || k == "default",
                "comms.target_minutes.{k}: expected a key SEV1…SEV5 or default"
            );
        }
        for (name, [a, b]) in [
            (
                "responders.business_hours",
                config.responders.business_hours,
            ),
            ("responders.sleep_hours", config.responders.sleep_hours),
        ] {
            anyhow::ensure!(
                a < 24 && b <= 24,
                "{name}: hours must lie in 0..=24, found [{a}, {b}]"
            );
        }
        for (raw, sev) in &config.severity.map {
            anyhow::ensure!(
                crate::schema::vocab::SEVERITIES.contains(&sev.as_str()),
                "severity.map.\"{raw}\": expected one of SEV1, SEV2, SEV3, SEV4, SEV5, found '{sev}'"
            );
        }
        for name in CONFIGURABLE {
            if let Some(tz) = config.sources.timezone(name) {
                crate::time::parse_zone(tz)
                    .map_err(|e| anyhow::anyhow!("sources.{name}.timezone: {e}"))?;
            }
            if let Some(f) = config.sources.date_format(name) {
                crate::time::check_format(f)
                    .map_err(|e| anyhow::anyhow!("sources.{name}.date_format: {e}"))?;
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_that_name_them() {
        let err = Config::parse("[responders]\nhero_shar = 0.3\n").unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.starts_with("responders.hero_shar: unknown field `hero_shar`"),
            "{text}"
        );
    }

    #[test]
    fn the_init_template_is_the_defaults() {
        let c = Config::parse(TEMPLATE).unwrap();
        let d = Config::default();
        assert_eq!(c.retro.required_severities, d.retro.required_severities);
        assert_eq!(c.hotspots.severity_weights, d.hotspots.severity_weights);
        assert_eq!(c.hotspots.repeat_window_days, d.hotspots.repeat_window_days);
        assert_eq!(c.responders.hero_share, d.responders.hero_share);
        assert_eq!(c.responders.business_hours, d.responders.business_hours);
        assert_eq!(c.responders.sleep_hours, d.responders.sleep_hours);
        assert_eq!(c.comms.target_minutes, d.comms.target_minutes);
        assert_eq!(c.action_items.stale_days, d.action_items.stale_days);
        assert_eq!(c.chat.status_update_prefixes, d.chat.status_update_prefixes);
        assert_eq!(c.slack.max_inflate_ratio, d.slack.max_inflate_ratio);
        assert_eq!(c.slack.max_inflate_bytes, d.slack.max_inflate_bytes);
        assert_eq!(c.tickets.postmortem_types, d.tickets.postmortem_types);
        assert_eq!(c.tickets.wont_do_resolutions, d.tickets.wont_do_resolutions);
        assert_eq!(c.catalog.tier_key, d.catalog.tier_key);
        assert!(c.severity.map.is_empty());
    }

    #[test]
    fn status_updates_are_told_by_their_marker_case_aside() {
        let chat = ChatConfig {
            status_update_prefixes: vec!["Update:".into(), "ok:".into(), "état".into()],
        };
        for (text, want) in [
            ("update: rolled back", true),
            ("  UPDATE:rolled back", true),
            ("Updated the runbook", false),
            ("upd", false),
            ("", false),
            // Beyond ASCII, each character lowered: the Kelvin sign lowers to 'k'.
            ("O\u{212A}: done", true),
            ("ÉTAT : stable", true),
            ("etat : stable", false),
            ("ok", false),
            ("ök:", false),
        ] {
            assert_eq!(chat.is_status_update(text), want, "{text:?}");
        }
    }

    #[test]
    fn severity_targets_are_checked() {
        let err = Config::parse("[severity.map]\nUrgent = \"SEV0\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "severity.map.\"Urgent\": expected one of SEV1, SEV2, SEV3, SEV4, SEV5, found 'SEV0'"
        );
    }

    #[test]
    fn empty_file_is_the_defaults() {
        let c = Config::parse("").unwrap();
        assert!(c.severity.map.is_empty());
        assert!(c.sources.canonical.timezone.is_none());
    }
}
