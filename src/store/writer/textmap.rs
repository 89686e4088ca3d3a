//! Text cells set by the cells of two other columns (`Writer::set_text_by`), and their
//! patches to spilled runs.

use super::*;

/// A text cell (or null) by the cells of two other columns (a missing cell reads as
/// empty): what [`Writer::set_text_by`] sets. Cells of pairs it does not hold are left
/// as they are.
#[derive(Debug, Default, Clone)]
pub struct TextMap(hashbrown::HashMap<String, hashbrown::HashMap<String, Option<String>>>);

impl TextMap {
    pub fn insert(&mut self, a: &str, b: &str, value: Option<&str>) {
        self.0
            .entry_ref(a)
            .or_default()
            .insert(b.to_string(), value.map(str::to_string));
    }

    /// The cell for a pair: `None` when the map does not hold the pair.
    pub fn get(&self, a: Option<&str>, b: Option<&str>) -> Option<Option<&str>> {
        self.0
            .get(a.unwrap_or_default())?
            .get(b.unwrap_or_default())
            .map(Option::as_deref)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A frame's `column` as the map sets it from the `from` columns (cells of pairs
    /// it does not hold as they were).
    pub(crate) fn column(
        &self,
        df: &DataFrame,
        column: &str,
        from: [&str; 2],
    ) -> Result<StringChunked> {
        let (a, b) = (df.column(from[0])?.str()?, df.column(from[1])?.str()?);
        let old = df.column(column)?.str()?;
        Ok(a.iter()
            .zip(b.iter())
            .zip(old.iter())
            .map(|((a, b), old)| self.get(a, b).unwrap_or(old))
            .collect::<StringChunked>()
            .with_name(old.name().clone()))
    }
}

/// A [`TextMap`] set on the rows of the runs that existed when it was set, applied to
/// their batches as they are read rather than by rewriting the runs.
#[derive(Clone)]
pub(crate) struct RunPatch {
    pub(crate) column: &'static str,
    pub(crate) from: [&'static str; 2],
    pub(crate) map: std::sync::Arc<TextMap>,
    /// Applies to runs `0..runs`.
    pub(crate) runs: usize,
}

impl RunPatch {
    /// Applies the patches meant for run `run` to a batch read from it (all its columns).
    pub(crate) fn apply(patches: &[RunPatch], run: usize, df: &mut DataFrame) -> Result<()> {
        for p in patches.iter().filter(|p| run < p.runs) {
            let new = p.map.column(df, p.column, p.from)?;
            df.with_column(new.into_column())?;
        }
        Ok(())
    }
}
