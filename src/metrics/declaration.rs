//! Section 6 of docs/metrics.md, Declaration: who declares incidents (by function: anyone, support included,
//! should be able to), and how long after the first page.

use super::{finite, Ctx, MINUTE};
use crate::stats::quantile;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
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
    let firsts = &ctx.firsts;
    let gaps: Vec<f64> = ctx
        .current
        .iter()
        .filter_map(|i| Some((i.declared? - firsts.first_page(&i.id)?) as f64 / MINUTE))
        .collect();
    let mut d = Declaration {
        declared_by_function: by_function,
        non_engineering_share: None,
        page_to_declare_minutes: finite(quantile(&gaps, 0.5)),
        page_to_declare_n: gaps.len(),
    };
    let (non_eng, known) = d.non_engineering();
    d.non_engineering_share = super::ratio(non_eng, known);
    d
}

impl Declaration {
    /// Incidents declared by someone outside engineering, and incidents whose
    /// declarer's function is known.
    pub fn non_engineering(&self) -> (usize, usize) {
        let known = |f: &str| f != "unknown";
        let count = |keep: &dyn Fn(&str) -> bool| -> usize {
            self.declared_by_function
                .iter()
                .filter(|(f, _)| keep(f))
                .map(|(_, n)| n)
                .sum()
        };
        (count(&|f| known(f) && f != "engineering"), count(&known))
    }
}
