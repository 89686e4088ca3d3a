//! Timestamps: parsing what exports write, and printing what the store holds.
//!
//! Every source parses time through [`parse_timestamp`], so the rules are the same
//! everywhere: an offset is required unless the caller passes the source's configured
//! zone; years outside a plausible range are refused rather than silently stored.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Years outside this range are taken to be errors in the export (year 0, 9999).
const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// Parses an ISO-8601 / RFC 3339 timestamp into microseconds since the epoch, UTC.
///
/// Accepts `T` or a space between date and time, any number of fractional digits, `Z`,
/// `+02:00` and `+0200` offsets. A timestamp without an offset is read in `zone` when one
/// is configured, and is an error otherwise.
pub fn parse_timestamp(raw: &str, zone: Option<Tz>) -> Result<i64, String> {
    let s = raw.trim();
    let parsed = DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%z"))
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%z"))
        .map(|d| d.with_timezone(&Utc));
    let utc = match parsed {
        Ok(d) => d,
        Err(_) => {
            let naive = parse_naive(s).ok_or_else(|| {
                format!("expected an ISO-8601 timestamp such as 2026-07-01T09:30:00Z, found '{s}'")
            })?;
            let zone = zone.ok_or_else(|| {
                format!(
                    "timestamp '{s}' has no zone offset; write it with one (2026-07-01T09:30:00Z \
                     or +02:00) or set the source's zone in incidentlens.toml ([sources.NAME] timezone = \"Europe/Berlin\")"
                )
            })?;
            localize(naive, zone).ok_or_else(|| {
                format!("timestamp '{s}' does not exist in zone {zone} (a daylight-saving gap)")
            })?
        }
    };
    check_year(utc, s)?;
    Ok(utc.timestamp_micros())
}

/// A date without a time (due dates): midnight UTC of that day.
pub fn parse_date_or_timestamp(raw: &str, zone: Option<Tz>) -> Result<i64, String> {
    match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
        Ok(d) => {
            let utc = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"));
            check_year(utc, raw)?;
            Ok(utc.timestamp_micros())
        }
        Err(_) => parse_timestamp(raw, zone),
    }
}

fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
}

/// A wall-clock time in `zone`; the earlier instant when the clock repeats an hour.
pub fn localize(naive: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&naive)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

fn check_year(d: DateTime<Utc>, raw: &str) -> Result<(), String> {
    use chrono::Datelike;
    if PLAUSIBLE_YEARS.contains(&d.year()) {
        Ok(())
    } else {
        Err(format!(
            "timestamp '{}' lies in the year {}, outside the plausible range {}–{}",
            raw.trim(),
            d.year(),
            PLAUSIBLE_YEARS.start(),
            PLAUSIBLE_YEARS.end()
        ))
    }
}

/// Microseconds since the epoch as RFC 3339 in UTC, with as many fractional digits as
/// needed (none for whole seconds).
pub fn format_micros(t: i64) -> String {
    match DateTime::<Utc>::from_timestamp_micros(t) {
        Some(d) if t % 1_000_000 == 0 => d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(d) => d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        None => t.to_string(),
    }
}

/// Parses an IANA zone name, with a message that says what was expected.
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| format!("expected an IANA time zone such as Europe/Berlin, found '{name}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed with Python:
    // datetime.fromisoformat(s).timestamp() * 1e6
    #[test]
    fn offsets_in_every_spelling() {
        assert_eq!(
            parse_timestamp("2026-07-01T09:30:00Z", None),
            Ok(1_782_898_200_000_000)
        );
        assert_eq!(
            parse_timestamp("2026-07-01T11:30:00+02:00", None),
            Ok(1_782_898_200_000_000)
        );
        assert_eq!(
            parse_timestamp("2026-07-01 11:30:00+0200", None),
            Ok(1_782_898_200_000_000)
        );
        assert_eq!(
            parse_timestamp("2026-07-01T09:30:00.49Z", None),
            Ok(1_782_898_200_490_000)
        );
        assert_eq!(
            parse_timestamp("2020-06-12T08:13:13.360+0800", None),
            Ok(1_591_920_793_360_000)
        );
    }

    #[test]
    fn zoneless_needs_a_configured_zone() {
        let err = parse_timestamp("2026-07-01 09:30", None).unwrap_err();
        assert!(err.contains("has no zone offset"), "{err}");
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            parse_timestamp("2026-07-01 11:30", Some(berlin)),
            Ok(1_782_898_200_000_000)
        );
    }

    #[test]
    fn implausible_years_are_refused() {
        let err = parse_timestamp("9999-12-31T23:59:59Z", None).unwrap_err();
        assert!(err.contains("year 9999"), "{err}");
        assert!(parse_timestamp("0000-01-01T00:00:00Z", None).is_err());
    }

    #[test]
    fn garbage_says_what_was_expected() {
        assert_eq!(
            parse_timestamp("yesterday", None).unwrap_err(),
            "expected an ISO-8601 timestamp such as 2026-07-01T09:30:00Z, found 'yesterday'"
        );
    }

    #[test]
    fn dates_are_midnight_utc() {
        assert_eq!(
            parse_date_or_timestamp("2026-07-01", None),
            Ok(1_782_864_000_000_000)
        );
    }

    #[test]
    fn formats_round_trip() {
        assert_eq!(format_micros(1_782_898_200_000_000), "2026-07-01T09:30:00Z");
        assert_eq!(
            format_micros(1_782_898_200_490_000),
            "2026-07-01T09:30:00.490000Z"
        );
    }
}
