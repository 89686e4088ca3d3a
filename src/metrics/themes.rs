//! Themes (docs/metrics.md, Themes): what incidents have in common, from the factor
//! fields sources carry (incident tags), mapped to themes by `[themes]`; each theme's
//! share of the incidents with any theme, the coverage that share rests on, and its
//! change against the previous period, tested across themes.

use super::{ratio, Ctx, Incident};
use crate::stats::{fisher_exact_p, holm};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone, Serialize)]
pub struct Themes {
    /// Whether `[themes]` maps tags to themes (else every tag value is a theme).
    pub mapped: bool,
    pub incidents: usize,
    /// The period's incidents with at least one theme, and their share: how much of the
    /// period the themes speak for.
    pub tagged: usize,
    pub coverage: Option<f64>,
    pub previous_incidents: usize,
    pub previous_tagged: usize,
    pub by_theme: Vec<Theme>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Theme {
    pub theme: String,
    /// The period's incidents with the theme, and their share of the tagged ones.
    pub incidents: usize,
    pub share: Option<f64>,
    pub previous: usize,
    pub previous_share: Option<f64>,
    /// Fisher's exact test of the two shares, and its Holm adjustment across the themes
    /// tested (both periods with tagged incidents).
    pub p_value: Option<f64>,
    pub holm_p_value: Option<f64>,
}

pub fn compute(ctx: &Ctx) -> Themes {
    // The configuration was checked when it was read.
    let themes = ctx
        .config
        .themes
        .compile()
        .expect("the themes were checked when the settings were read");
    let mut of: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for (i, tag, value) in &ctx.data.tags {
        of.entry(i.as_str())
            .or_default()
            .extend(themes.of(tag, value));
    }
    let count = |incidents: &[&Incident]| -> (usize, BTreeMap<&str, usize>) {
        let mut per: BTreeMap<&str, usize> = BTreeMap::new();
        let mut tagged = 0;
        for inc in incidents {
            if let Some(ts) = of.get(inc.id.as_str()).filter(|t| !t.is_empty()) {
                tagged += 1;
                for t in ts {
                    *per.entry(t.as_str()).or_default() += 1;
                }
            }
        }
        (tagged, per)
    };
    let (tagged, now) = count(&ctx.current);
    let (ptagged, before) = count(&ctx.previous);
    let names: BTreeSet<&str> = now.keys().chain(before.keys()).copied().collect();
    let mut by_theme: Vec<Theme> = names
        .into_iter()
        .map(|t| {
            let (k, k0) = (
                now.get(t).copied().unwrap_or(0),
                before.get(t).copied().unwrap_or(0),
            );
            Theme {
                theme: t.to_string(),
                incidents: k,
                share: ratio(k, tagged),
                previous: k0,
                previous_share: ratio(k0, ptagged),
                p_value: (tagged > 0 && ptagged > 0)
                    .then(|| {
                        fisher_exact_p(
                            k as u64,
                            (tagged - k) as u64,
                            k0 as u64,
                            (ptagged - k0) as u64,
                        )
                    })
                    .flatten(),
                holm_p_value: None,
            }
        })
        .collect();
    let tested: Vec<usize> = (0..by_theme.len())
        .filter(|&i| by_theme[i].p_value.is_some())
        .collect();
    let ps: Vec<f64> = tested.iter().filter_map(|&i| by_theme[i].p_value).collect();
    for (i, p) in tested.into_iter().zip(holm(&ps)) {
        by_theme[i].holm_p_value = Some(p);
    }
    by_theme.sort_by(|a, b| {
        b.incidents
            .cmp(&a.incidents)
            .then(b.previous.cmp(&a.previous))
            .then(a.theme.cmp(&b.theme))
    });
    Themes {
        mapped: themes.mapped(),
        incidents: ctx.current.len(),
        tagged,
        coverage: ratio(tagged, ctx.current.len()),
        previous_incidents: ctx.previous.len(),
        previous_tagged: ptagged,
        by_theme,
    }
}

/// The labels and components of postmortem tickets (`retro_tags`) as their incidents'
/// tags (incident, tag, value), through the incident linking set on each retro.
pub(super) fn retro_tags(
    store: &crate::store::Store,
) -> anyhow::Result<Vec<(String, String, String)>> {
    use crate::schema::{col, Table};
    use crate::store::strings as strs;
    let retro_tags = store.read(Table::RetroTags)?;
    if retro_tags.height() == 0 {
        return Ok(Vec::new());
    }
    let retros = store
        .scan(Table::Retros)?
        .select([
            polars::prelude::col(col::RETRO_ID),
            polars::prelude::col(col::INCIDENT_ID),
        ])
        .collect()?;
    let incident_of: HashMap<String, String> = strs(&retros, col::RETRO_ID)?
        .into_iter()
        .zip(strs(&retros, col::INCIDENT_ID)?)
        .filter_map(|(r, i)| Some((r?, i?)))
        .collect();
    let rows = strs(&retro_tags, col::RETRO_ID)?
        .into_iter()
        .zip(strs(&retro_tags, col::TAG)?)
        .zip(strs(&retro_tags, col::VALUE)?);
    Ok(rows
        .filter_map(|((r, t), v)| Some((incident_of.get(&r?)?.clone(), t?, v?)))
        .collect())
}
