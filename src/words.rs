//! Numbers and counts in the words people read: thousands separated, nouns in the
//! singular or the plural as the count asks. Shared by the terminal, the reports and the
//! review's summary.

use num_format::{Locale, ToFormattedString};

/// An integer with thousands separators: `12,345`.
pub fn thousands(n: u64) -> String {
    n.to_formatted_string(&Locale::en)
}

/// `n` and the noun, in the singular or the plural as `n` asks: `1 record`,
/// `1,453 records`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A number rounded to `decimals` places with thousands separators: `1,849.8`;
/// negative numbers keep their sign, and what is not finite is shown as `–`.
pub fn decimal(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let fixed = format!("{:.*}", decimals, x.abs());
    let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let whole: u64 = whole.parse().unwrap_or(u64::MAX);
    let sign = if x < 0.0 && fixed.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match fraction {
        "" => format!("{sign}{}", thousands(whole)),
        f => format!("{sign}{}.{f}", thousands(whole)),
    }
}

/// The candidate nearest to `wanted` (ignoring case) when it is a likely typo of it,
/// for "did you mean": within two edits, or a third of the word's length when longer.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = wanted.to_lowercase();
    let room = 2.max(wanted.chars().count() / 3);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&c.to_lowercase(), &wanted), c))
        .filter(|(d, _)| *d <= room)
        .min()
        .map(|(_, c)| c)
}

/// `did you mean 'x'? ` for [`closest`]; else, for a word of four letters or more
/// that some candidates contain, `did you mean one of 'a', 'b'? `; else nothing.
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    if let Some(c) = closest(wanted, candidates.clone()) {
        return format!("did you mean '{c}'? ");
    }
    let lower = wanted.to_lowercase();
    let containing: Vec<String> = candidates
        .into_iter()
        .filter(|c| lower.chars().count() >= 4 && c.to_lowercase().contains(&lower))
        .map(|c| format!("'{c}'"))
        .collect();
    match containing.len() {
        0 => String::new(),
        1 => format!("did you mean {}? ", containing[0]),
        _ => format!("did you mean one of {}? ", containing.join(", ")),
    }
}

/// A number for a terminal table, rounded as its size asks: whole numbers as they are
/// (`12,345`); from 100 up one decimal (`1,849.8`); from 1 two (`12.35`); below 1 three
/// significant digits (`0.206`, `0.00412`).
pub fn readable(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        "–".into()
    } else if x.fract() == 0.0 && a < 1e15 {
        decimal(x, 0)
    } else if a >= 100.0 {
        decimal(x, 1)
    } else if a >= 1.0 {
        decimal(x, 2)
    } else {
        let places = (2 - a.log10().floor() as i32).clamp(3, 12) as usize;
        let s = format!("{x:.places$}");
        // Trailing zeros of the rounding say nothing.
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_numbers_read_as_written() {
        assert_eq!(count(1u64, "source", "sources"), "1 source");
        assert_eq!(count(0u64, "source", "sources"), "0 sources");
        assert_eq!(count(1453u64, "record", "records"), "1,453 records");
        assert_eq!(decimal(1849.833333, 1), "1,849.8");
        assert_eq!(decimal(1234567.0, 0), "1,234,567");
        assert_eq!(decimal(-0.04, 1), "0.0");
        assert_eq!(decimal(-2.25, 1), "-2.2");
        assert_eq!(decimal(f64::NAN, 1), "–");
        assert_eq!(decimal(0.5, 2), "0.50");
        assert_eq!(readable(1849.833333), "1,849.8");
        assert_eq!(readable(12.3456), "12.35");
        assert_eq!(readable(0.20610687), "0.206");
        assert_eq!(readable(0.004123), "0.00412");
        assert_eq!(readable(0.5), "0.5");
        assert_eq!(readable(27.0), "27");
        assert_eq!(readable(-1234.56), "-1,234.6");
        assert_eq!(readable(1e6), "1,000,000");
    }

    #[test]
    fn a_suggestion_only_for_a_likely_typo() {
        let names = ["incidents", "incident_services", "pages"];
        assert_eq!(closest("incident", names), Some("incidents"));
        assert_eq!(closest("Pagse", names), Some("pages"));
        assert_eq!(closest("deployments", names), None);
        assert_eq!(
            did_you_mean("incdents", names),
            "did you mean 'incidents'? "
        );
        let queries = ["hotspots_by_service", "hotspots_by_team", "who_declares"];
        assert_eq!(
            did_you_mean("hotspot", queries),
            "did you mean one of 'hotspots_by_service', 'hotspots_by_team'? "
        );
        assert_eq!(
            did_you_mean("declares", queries),
            "did you mean 'who_declares'? "
        );
        assert_eq!(did_you_mean("mttr", queries), "");
    }
}
