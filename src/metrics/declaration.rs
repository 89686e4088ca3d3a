//! Section 6 of metrics.md, Declaration: who declares incidents (by function: anyone, support included,
//! should be able to), and how long after the first page.

use super::{finite, Ctx, MINUTE};
use crate::stats::quantile;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct Declaration {
    /// Incidents of the period with a known declarer, by the declarer's function.
    pub declared_by_function: BTreeMap<String, usize>,
    pub non_engineering_share: Option<f64>,
    pub page_to_declare_minutes: Option<f64>,
    pub page_to_declare_n: usize,
}

pub fn compute(ctx: &Ctx) -> Declaration {
    let mut by_function: BTreeMap<String, usize> = BTreeMap::new();
    for i in &ctx.current {
        if let Some(who) = &i.declared_by {
            let function = ctx
                .data
                .people
                .get(who)
                .and_then(|p| p.function.clone())
                .unwrap_or_else(|| "unknown".into());
            *by_function.entry(function).or_default() += 1;
        }
    }
    let known: usize = by_function
        .iter()
        .filter(|(f, _)| *f != "unknown")
        .map(|(_, n)| n)
        .sum();
    let non_eng: usize = by_function
        .iter()
        .filter(|(f, _)| *f != "unknown" && *f != "engineering")
        .map(|(_, n)| n)
        .sum();
    let firsts = &ctx.firsts;
    let gaps: Vec<f64> = ctx
        .current
        .iter()
        .filter_map(|i| Some((i.declared? - firsts.first_page(&i.id)?) as f64 / MINUTE))
        .collect();
    Declaration {
        declared_by_function: by_function,
        non_engineering_share: super::ratio(non_eng, known),
        page_to_declare_minutes: finite(quantile(&gaps, 0.5)),
        page_to_declare_n: gaps.len(),
    }
}
