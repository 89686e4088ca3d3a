//! Ticket vocabulary compares without case, spaces or punctuation: "Post-mortem" is
//! "postmortem", "Won’t Do" is "Won't Do" is "WONT_DO".

/// A word compared loosely: its letters and digits, lower-cased (read as it is
/// compared, without building a string: this runs for every ticket).
fn loose(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
}

/// Whether `word` is one of `list`, compared loosely; a word of no letters is none.
/// ASCII text is compared byte by byte (as [`loose`] would read it: every row of a
/// tracker's export asks this of its type and resolution).
pub(super) fn loosely_in(word: &str, list: &[String]) -> bool {
    fn ascii(s: &str) -> impl Iterator<Item = u8> + '_ {
        s.bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
    }
    if word.is_ascii() {
        return ascii(word).next().is_some()
            && list.iter().any(|t| match t.is_ascii() {
                true => ascii(t).eq(ascii(word)),
                false => loose(t).eq(loose(word)),
            });
    }
    loose(word).next().is_some() && list.iter().any(|t| loose(t).eq(loose(word)))
}

#[cfg(test)]
mod tests {
    use super::super::TicketsConfig;

    #[test]
    fn ticket_words_compare_loosely() {
        let t = TicketsConfig::default();
        assert!(t.is_postmortem("post mortem"));
        assert!(t.is_postmortem("Post-Incident Review"));
        assert!(!t.is_postmortem("Task"));
        assert!(t.is_wont_do("Won\u{2019}t Do"));
        assert!(t.is_wont_do("WONT_FIX"));
        assert!(!t.is_wont_do("Done"));
        assert!(!t.is_wont_do(""));
        assert!(!t.is_wont_do("--"));
        // A configured word that is not ASCII, against ASCII text and the other way:
        // the Kelvin sign lowers to 'k', the fullwidth letters stay themselves.
        let t = TicketsConfig {
            postmortem_types: vec!["\u{212A}aizen".into(), "Rückblick".into()],
            ..TicketsConfig::default()
        };
        assert!(t.is_postmortem("kaizen"));
        assert!(t.is_postmortem("K-A-I-Z-E-N"));
        assert!(t.is_postmortem("RÜCKBLICK"));
        assert!(!t.is_postmortem("ruckblick"));
        assert!(!t.is_postmortem("\u{FF2B}aizen"));
    }
}
