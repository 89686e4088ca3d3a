//! What links ambiguously or to nothing, for `data_quality` and the `link_issues`
//! table.

use super::*;

/// (ambiguous, dangling) channel and ticket links over the whole store, for
/// `data_quality`.
pub fn issues(
    inc: &DataFrame,
    messages: &DataFrame,
    items: &DataFrame,
    retros: &DataFrame,
    links: &DataFrame,
) -> Result<(usize, usize)> {
    let incidents = Incidents::from_frame(inc)?;
    let links = channel_links(&incidents, messages, links)?
        .into_values()
        .chain(
            ticket_links(&incidents, items, retros)?
                .into_iter()
                .map(|t| t.link),
        );
    let (mut ambiguous, mut dangling) = (0, 0);
    for l in links {
        match l {
            Link::Ambiguous(_) => ambiguous += 1,
            Link::Dangling(_) => dangling += 1,
            _ => {}
        }
    }
    Ok((ambiguous, dangling))
}
