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
    }
}
