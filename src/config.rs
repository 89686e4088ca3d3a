//! `incidentlens.toml`: the user's settings, with defaults that work with no file at all.
//!
//! The file is read once, before any work, into a validated [`Config`]. Unknown keys are
//! errors that name the key, so a typo never silently falls back to a default.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The name looked for in the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "incidentlens.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub severity: SeverityConfig,
    pub sources: SourcesConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeverityConfig {
    /// Raw label (matched case-insensitively) → `SEV1`…`SEV5`, consulted before the
    /// built-in rules.
    pub map: BTreeMap<String, String>,
}

/// Per-source settings, one table per source name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    pub canonical: SourceConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceConfig {
    /// IANA zone for timestamps the source writes without an offset.
    pub timezone: Option<String>,
}

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
        Config::parse(&text).with_context(|| format!("invalid config {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Config> {
        let config: Config = toml::from_str(text)?;
        for (raw, sev) in &config.severity.map {
            anyhow::ensure!(
                crate::schema::vocab::SEVERITIES.contains(&sev.as_str()),
                "severity.map.\"{raw}\": expected one of SEV1, SEV2, SEV3, SEV4, SEV5, found '{sev}'"
            );
        }
        if let Some(tz) = &config.sources.canonical.timezone {
            crate::time::parse_zone(tz)
                .map_err(|e| anyhow::anyhow!("sources.canonical.timezone: {e}"))?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_that_name_them() {
        let err = Config::parse("[severity]\nmapp = {}\n").unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("unknown field `mapp`"), "{text}");
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
