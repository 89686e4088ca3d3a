//! Timestamps: parsing what exports write, and printing what the store holds.
//!
//! Every source parses time through [`parse_timestamp`], so the rules are the same
//! everywhere: an offset is required unless the caller passes the source's configured
//! zone; years outside a plausible range are refused rather than silently stored.

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rayon::prelude::*;
use std::sync::LazyLock;

/// A chrono layout's items, parsed once: `parse_from_str` parses its layout string on
/// every call, which was most of the time a CSV export's dates took to read.
fn items(layout: &str) -> Vec<Item<'static>> {
    StrftimeItems::new(layout)
        .parse_to_owned()
        .unwrap_or_else(|_| vec![Item::Error])
}

/// `s` read by a layout's `items`, as `parse_from_str` reads it.
fn read(s: &str, items: &[Item<'_>]) -> Option<Parsed> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, s, items.iter()).ok()?;
    Some(parsed)
}

/// ISO 8601 with an offset, beside RFC 3339: fractional seconds optional, `+0200`, or no
/// seconds.
static WITH_OFFSET: LazyLock<[Vec<Item<'static>>; 3]> = LazyLock::new(|| {
    [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
    ]
    .map(items)
});

/// Layouts in the order they are tried, each with whether it holds `mark` (told from
/// the layout itself: a value without what the mark reads is not tried in it).
fn marked<const N: usize>(layouts: [&str; N], mark: &str) -> [(bool, Vec<Item<'static>>); N] {
    layouts.map(|l| (l.contains(mark), items(l)))
}

/// ISO 8601 without an offset; marked: the layouts with a `T`.
static NAIVE: LazyLock<[(bool, Vec<Item<'static>>); 4]> = LazyLock::new(|| {
    marked(
        [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ],
        "T",
    )
});

static DATE: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| items("%Y-%m-%d"));

fn iso_date(s: &str) -> Option<NaiveDate> {
    // No item of the layout reads a ':': a value with a time of day is not tried.
    if s.contains(':') {
        return None;
    }
    read(s, &DATE)?.to_naive_date().ok()
}

/// Years outside this range are taken to be errors in the export (year 0, 9999).
const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// Parses an ISO-8601 / RFC 3339 timestamp into microseconds since the epoch, UTC.
///
/// Accepts `T` or a space between date and time, any number of fractional digits, `Z`,
/// `+02:00` and `+0200` offsets. A timestamp without an offset is read in `zone` when one
/// is configured, and is an error otherwise.
pub fn parse_timestamp(raw: &str, zone: Option<Tz>) -> Result<i64, String> {
    let s = raw.trim();
    // An offset (`Z`, `+02:00`, `-0500`) can only follow the date: without one, the
    // layouts that need one are not tried.
    let offset = s.get(10..).is_some_and(|t| {
        t.contains(['Z', 'z', '+']) || t.get(1..).is_some_and(|t| t.contains('-'))
    });
    let parsed = offset
        .then(|| {
            DateTime::parse_from_rfc3339(s).ok().or_else(|| {
                WITH_OFFSET
                    .iter()
                    .find_map(|items| read(s, items)?.to_datetime().ok())
            })
        })
        .flatten();
    let utc = match parsed.map(|d| d.with_timezone(&Utc)) {
        Some(d) => d,
        None => {
            let naive = parse_naive(s).ok_or_else(|| {
                format!("expected an ISO-8601 timestamp such as 2026-07-01T09:30:00Z, found '{s}'")
            })?;
            let zone = zone.ok_or_else(|| {
                format!(
                    "timestamp '{s}' has no zone offset; write it with one (2026-07-01T09:30:00Z \
                     or +02:00) or give the zone it was written in: `ingest --timezone Europe/Berlin`, or [sources.NAME] timezone = \"Europe/Berlin\" in incidentlens.toml"
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
    match iso_date(raw.trim()) {
        Some(d) => {
            let utc = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"));
            check_year(utc, raw)?;
            Ok(utc.timestamp_micros())
        }
        None => parse_timestamp(raw, zone),
    }
}

fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    // The layouts with a `T` are not tried on a value without one (ServiceNow writes
    // `2024-07-01 01:28:17`); the others are tried in their order.
    let t = s.contains(['T', 't']);
    NAIVE
        .iter()
        .filter(|(with_t, _)| t || !with_t)
        .find_map(|(_, items)| read(s, items)?.to_naive_datetime_with_offset(0).ok())
        .or_else(|| iso_date(s)?.and_hms_opt(0, 0, 0))
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

/// Date parts of the layouts CSV exports write in a user's locale (Jira's
/// `17/Jul/25 10:44 AM`, `6/21/2025 16:14`; ServiceNow's `13-03-2016 09:47`), most
/// specific first. The time after the date is read by [`LOCAL_TIMES`].
const LOCAL_DATES: &[&str] = &[
    "%d/%b/%y", "%d/%b/%Y", "%d-%b-%Y", "%d-%b-%y", "%m/%d/%Y", "%d/%m/%Y", "%m/%d/%y", "%d/%m/%y",
    "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y", "%d.%m.%y", "%Y/%m/%d",
];

/// Times of day after a locale date: 24-hour or 12-hour, with or without seconds;
/// marked: the 12-hour layouts.
static LOCAL_TIMES: LazyLock<[(bool, Vec<Item<'static>>); 4]> =
    LazyLock::new(|| marked(["%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p"], "%p"));

/// A locale value's date part and time of day (empty when it has none), trimmed.
fn split_local(raw: &str) -> (&str, &str) {
    let raw = raw.trim();
    let (d, t) = raw.split_once(char::is_whitespace).unwrap_or((raw, ""));
    (d, t.trim())
}

/// The time of day after a locale date, in any of [`LOCAL_TIMES`]; midnight for none.
fn time_of_day(t: &str) -> Option<chrono::NaiveTime> {
    if t.is_empty() {
        return chrono::NaiveTime::from_hms_opt(0, 0, 0);
    }
    // The 24-hour layouts end in a digit, the 12-hour ones in AM or PM: the layouts the
    // last character rules out would fail, and are not tried.
    let twelve = !t.ends_with(|c: char| c.is_ascii_digit());
    LOCAL_TIMES
        .iter()
        .filter(|(twelve_hour, _)| *twelve_hour == twelve)
        .find_map(|(_, items)| read(t, items)?.to_naive_time().ok())
}

/// How one file writes its dates: ISO 8601, or a locale layout given by its date part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateLayout {
    Iso,
    Local(LocalDate),
}

/// A locale date layout (`%d/%b/%y`), with its chrono items parsed once.
#[derive(Debug, Clone)]
pub struct LocalDate {
    layout: String,
    items: Vec<Item<'static>>,
}

impl From<&str> for LocalDate {
    fn from(layout: &str) -> LocalDate {
        LocalDate {
            layout: layout.to_string(),
            items: items(layout),
        }
    }
}

impl PartialEq for LocalDate {
    fn eq(&self, other: &LocalDate) -> bool {
        self.layout == other.layout
    }
}

impl Eq for LocalDate {}

impl std::fmt::Display for LocalDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.layout)
    }
}

impl DateLayout {
    /// Picks the layout that reads the most of `values` (a file's date cells), or the
    /// configured one. Values that read both day-first and month-first are ambiguous and
    /// an error: a date is never guessed.
    pub fn detect(values: &[&str], configured: Option<&str>) -> Result<DateLayout, String> {
        if let Some(f) = configured {
            let date_part = f.split_whitespace().next().unwrap_or(f);
            return Ok(DateLayout::Local(date_part.into()));
        }
        // Each distinct value is read once, counted as often as it occurs (a file's dates
        // repeat: an event log writes a record's opening time in every row of it).
        let mut distinct: hashbrown::HashMap<&str, usize> = Default::default();
        for v in values {
            *distinct.entry(v).or_default() += 1;
        }
        // Up to 100,000 values tried as ISO 8601 in several layouts: on every core.
        let iso: usize = distinct
            .iter()
            .collect::<Vec<_>>()
            .par_iter()
            .filter(|(v, _)| parse_naive_or_offset(v))
            .map(|(_, n)| **n)
            .sum();
        if iso == values.len() {
            return Ok(DateLayout::Iso);
        }
        // The local layouts differ only in how they read the date part: each distinct date
        // part (of values whose time of day reads) is read once per layout, counted as
        // often as it occurs. A file of 100,000 timestamps has a few hundred days.
        let mut times: hashbrown::HashMap<&str, bool> = Default::default();
        let mut days: hashbrown::HashMap<&str, usize> = Default::default();
        for (v, n) in &distinct {
            let (d, t) = split_local(v);
            if *times.entry(t).or_insert_with(|| time_of_day(t).is_some()) {
                *days.entry(d).or_default() += n;
            }
        }
        Self::choose(
            values,
            iso,
            |layout| {
                days.iter()
                    .filter(|(d, _)| layout.date(d).is_some())
                    .map(|(_, n)| n)
                    .sum()
            },
            // The time of day reads alike in every layout: the date parts tell.
            |a, b| {
                days.keys()
                    .any(|d| a.date(d).is_some() && a.date(d) != b.date(d))
            },
        )
    }

    /// The choice, given how many of `values` read as ISO 8601 and how many in each local
    /// layout (`reads`): ISO when at least as many read so as in any local layout; else
    /// the local layout that reads the most, unless another that reads as many reads
    /// some value as a different instant (`differ`), which makes the file ambiguous.
    fn choose(
        values: &[&str],
        iso: usize,
        reads: impl Fn(&DateLayout) -> usize,
        differ: impl Fn(&DateLayout, &DateLayout) -> bool,
    ) -> Result<DateLayout, String> {
        if iso == values.len() {
            return Ok(DateLayout::Iso);
        }
        let counts: Vec<(usize, DateLayout)> = LOCAL_DATES
            .iter()
            .map(|d| DateLayout::Local((*d).into()))
            .map(|l| (reads(&l), l))
            .collect();
        let best = counts.iter().map(|(n, _)| *n).max().unwrap_or(0);
        if best <= iso && iso > 0 {
            // Mostly ISO: the odd value out is a reject of its own row.
            return Ok(DateLayout::Iso);
        }
        if best == 0 {
            let example = values.first().copied().unwrap_or_default();
            return Err(format!(
                "dates such as '{example}' follow no known layout (ISO 8601, 17/Jul/25 10:44 AM, \
                 6/21/2025 16:14, 21.06.2025 16:14, …); set the source's date_format in incidentlens.toml"
            ));
        }
        let top: Vec<&DateLayout> = counts
            .iter()
            .filter(|(n, _)| *n == best)
            .map(|(_, l)| l)
            .collect();
        // Layouts that read every value the same way are one layout; a value read as two
        // different instants makes the file ambiguous.
        if let Some(other) = top.iter().skip(1).find(|l| differ(top[0], l)) {
            let example = values
                .iter()
                .find(|v| top[0].naive(v) != other.naive(v))
                .copied()
                .unwrap_or_default();
            return Err(format!(
                "dates such as '{example}' read both as {} and as {}; set the source's \
                 date_format in incidentlens.toml (for example date_format = \"{} %H:%M\")",
                top[0].describe(),
                other.describe(),
                top[0].describe()
            ));
        }
        Ok(top[0].clone())
    }

    fn describe(&self) -> &str {
        match self {
            DateLayout::Iso => "ISO 8601",
            DateLayout::Local(d) => &d.layout,
        }
    }

    /// The wall-clock time a locale value gives (a date alone is midnight).
    fn naive(&self, raw: &str) -> Option<NaiveDateTime> {
        let (d, t) = split_local(raw);
        Some(self.date(d)?.and_time(time_of_day(t)?))
    }

    /// The date a locale value's date part gives in this layout, in a plausible year.
    fn date(&self, d: &str) -> Option<NaiveDate> {
        let DateLayout::Local(layout) = self else {
            return None;
        };
        let date = read(d, &layout.items)?.to_naive_date().ok()?;
        PLAUSIBLE_YEARS
            .contains(&chrono::Datelike::year(&date))
            .then_some(date)
    }

    /// Reads one value: the file's layout, else ISO 8601 (a due date written `2025-06-21`
    /// beside locale timestamps). Zone-less values are read in `zone`.
    pub fn parse(&self, raw: &str, zone: Option<Tz>) -> Result<i64, String> {
        if let Some(naive) = self.naive(raw) {
            let zone = zone.ok_or_else(|| {
                format!(
                    "'{}' has no zone; give the zone it was written in: `ingest --timezone \
                     Europe/Berlin`, or [sources.NAME] timezone = \"Europe/Berlin\" in incidentlens.toml",
                    raw.trim()
                )
            })?;
            return localize(naive, zone)
                .map(|d| d.timestamp_micros())
                .ok_or_else(|| format!("'{}' does not exist in zone {zone}", raw.trim()));
        }
        parse_date_or_timestamp(raw, zone).map_err(|e| match self {
            DateLayout::Iso => e,
            DateLayout::Local(f) => format!(
                "expected a date in this file's layout ({f}) or ISO 8601, found '{}'",
                raw.trim()
            ),
        })
    }

    /// Whether values of this layout need a configured zone (locale layouts never carry
    /// one; ISO values may).
    pub fn needs_zone(&self, values: &[&str]) -> bool {
        match self {
            DateLayout::Local(_) => true,
            DateLayout::Iso => values.iter().any(|v| {
                let v = v.trim();
                parse_timestamp(v, None).is_err() && parse_date_or_timestamp(v, None).is_err()
            }),
        }
    }
}

/// Whether a value is ISO 8601, with or without an offset.
fn parse_naive_or_offset(v: &str) -> bool {
    parse_date_or_timestamp(v, Some(Tz::UTC)).is_ok()
}

/// Checks a configured chrono date layout: it must be valid and hold a day, a month and
/// a year.
pub fn check_format(f: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(f).any(|i| matches!(i, Item::Error)) {
        return Err(format!("'{f}' is not a valid chrono date layout"));
    }
    for spec in ["%d", "%Y"] {
        let alt = if spec == "%Y" { "%y" } else { "%e" };
        if !f.contains(spec) && !f.contains(alt) {
            return Err(format!(
                "'{f}' has no {spec}: a layout must give day, month and year"
            ));
        }
    }
    if !f.contains("%m") && !f.contains("%b") {
        return Err(format!(
            "'{f}' has no %m or %b: a layout must give day, month and year"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each value read by a shortcut and by every layout in turn, both as expected.
    fn agree<T: PartialEq + std::fmt::Debug>(
        cases: &[(&str, Option<T>)],
        shortcut: impl Fn(&str) -> Option<T>,
        every: impl Fn(&str) -> Option<T>,
    ) {
        for (s, want) in cases {
            assert_eq!(&shortcut(s), want, "{s}");
            assert_eq!(&every(s), want, "{s}");
        }
    }

    /// ISO values without an offset, read by the layouts a `T` or a ':' leaves, as every
    /// layout in turn reads them.
    #[test]
    fn naive_values_skip_only_the_layouts_that_fail() {
        let every = |s: &str| {
            NAIVE
                .iter()
                .find_map(|(_, items)| read(s, items)?.to_naive_datetime_with_offset(0).ok())
                .or_else(|| read(s, &DATE)?.to_naive_date().ok()?.and_hms_opt(0, 0, 0))
        };
        let at = |d: &str| NaiveDateTime::parse_from_str(d, "%Y-%m-%d %H:%M:%S%.f").ok();
        let cases = [
            ("2024-07-01 01:28:17", at("2024-07-01 01:28:17")),
            ("2024-07-01T01:28:17.250", at("2024-07-01 01:28:17.250")),
            ("2024-07-01T01:28", at("2024-07-01 01:28:00")),
            ("2024-07-01 01:28", at("2024-07-01 01:28:00")),
            ("2024-07-01", at("2024-07-01 00:00:00")),
            ("2024-7-1 1:28:05", at("2024-07-01 01:28:05")),
            ("2024-07-01t01:28:17", every("2024-07-01t01:28:17")),
            ("2024-07-0101:28:17", every("2024-07-0101:28:17")),
            ("2024-07-01 01:28:17Z", None),
            ("2024-07-01 :", None),
            ("01:28:17", None),
        ];
        agree(&cases, parse_naive, every);
    }

    /// The times of day, read by the layouts their last character leaves, as every layout
    /// in turn reads them.
    #[test]
    fn times_of_day_skip_only_the_layouts_that_fail() {
        let every = |t: &str| {
            LOCAL_TIMES
                .iter()
                .find_map(|(_, items)| read(t, items)?.to_naive_time().ok())
        };
        let hms = |h, m, s| chrono::NaiveTime::from_hms_opt(h, m, s);
        let cases = [
            ("2:39 AM", hms(2, 39, 0)),
            ("2:39 pm", hms(14, 39, 0)),
            ("12:05:09 AM", hms(0, 5, 9)),
            ("2:39AM", hms(2, 39, 0)),
            ("14:05", hms(14, 5, 0)),
            ("14:05:09", hms(14, 5, 9)),
            ("9:05", hms(9, 5, 0)),
            ("25:00", None),
            ("13:05 PM", None),
            ("2:39 XM", None),
            ("14:05Z", None),
            ("14", None),
        ];
        agree(&cases, time_of_day, every);
    }

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

    #[test]
    fn locale_layouts_are_detected_per_file() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let jira = ["17/Jul/25 10:44 AM", "3/Aug/25 4:05 PM", "21/Jul/25"];
        let l = DateLayout::detect(&jira, None).unwrap();
        assert_eq!(l, DateLayout::Local("%d/%b/%y".into()));
        // Worked out with Python's strptime and zoneinfo.
        assert_eq!(
            l.parse("17/Jul/25 10:44 AM", Some(berlin)),
            Ok(1_752_741_840_000_000)
        );
        let us = ["6/21/2025 16:14", "7/1/2025 09:00"];
        let l = DateLayout::detect(&us, None).unwrap();
        assert_eq!(l, DateLayout::Local("%m/%d/%Y".into()));
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            l.parse("6/21/2025 16:14", Some(ny)),
            Ok(1_750_536_840_000_000)
        );
        let day_first = ["21/06/2025 00:00", "01/07/2025 10:00"];
        assert_eq!(
            DateLayout::detect(&day_first, None).unwrap(),
            DateLayout::Local("%d/%m/%Y".into())
        );
        assert_eq!(
            DateLayout::detect(&["13-03-2016 09:47"], None).unwrap(),
            DateLayout::Local("%d-%m-%Y".into())
        );
        assert_eq!(
            DateLayout::detect(&["2025-06-21T10:00:00+02:00", "2025-06-22"], None).unwrap(),
            DateLayout::Iso
        );
    }

    /// Detection's counts as first written: every value read whole in every layout.
    /// Reading each distinct date part once per layout must lead to the same choice.
    fn detect_value_by_value(values: &[&str]) -> Result<DateLayout, String> {
        let iso = values.iter().filter(|v| parse_naive_or_offset(v)).count();
        DateLayout::choose(
            values,
            iso,
            |l| values.iter().filter(|v| l.naive(v).is_some()).count(),
            |a, b| {
                values
                    .iter()
                    .any(|v| a.naive(v).is_some() && a.naive(v) != b.naive(v))
            },
        )
    }

    #[test]
    fn detection_by_date_parts_chooses_as_value_by_value() {
        // Days, months, years and times drawn from a fixed sequence: unambiguous and
        // ambiguous days, times that do not read, two-digit years, dates alone, ISO
        // values among local ones, and text.
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let months = ["Jan", "Feb", "Mar", "Jul", "Aug", "Dec"];
        let times = [
            "10:44 AM",
            "4:05 PM",
            "16:14",
            "09:47",
            "23:59:59",
            "",
            "25:99",
            "noon",
            "4:05:06 PM",
        ];
        for round in 0..300 {
            let size = 1 + next(40) as usize;
            let style = next(7);
            let values: Vec<String> = (0..size)
                .map(|_| {
                    let (d, m, y) = (
                        1 + next(if round % 3 == 0 { 12 } else { 28 }),
                        1 + next(12),
                        2019 + next(8),
                    );
                    let t = times[next(times.len() as u64) as usize];
                    let date = match (style + next(4) / 3) % 7 {
                        0 => format!("{d}/{}/{}", months[next(6) as usize], y % 100),
                        1 => format!("{m}/{d}/{y}"),
                        2 => format!("{d:02}/{m:02}/{y}"),
                        3 => format!("{d:02}-{m:02}-{y}"),
                        4 => format!("{d}.{m}.{}", y % 100),
                        5 => format!("{y}-{m:02}-{d:02}T10:00:00Z"),
                        _ => ["next tuesday", "1/2", "2025/13/40"][next(3) as usize].to_string(),
                    };
                    format!("{date} {t}")
                })
                .collect();
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            let now = DateLayout::detect(&refs, None);
            let before = detect_value_by_value(&refs);
            assert_eq!(now, before, "{refs:?}");
        }
    }

    #[test]
    fn ambiguous_or_unknown_layouts_are_errors() {
        let err = DateLayout::detect(&["6/7/2025 10:00", "1/2/2025 11:00"], None).unwrap_err();
        assert!(
            err.contains("read both as %m/%d/%Y and as %d/%m/%Y"),
            "{err}"
        );
        let ok = DateLayout::detect(&["6/7/2025 10:00"], Some("%d/%m/%Y %H:%M")).unwrap();
        assert_eq!(
            ok.parse("6/7/2025 10:00", Some(Tz::UTC)),
            parse_timestamp("2025-07-06T10:00:00Z", None)
        );
        let err = DateLayout::detect(&["next tuesday"], None).unwrap_err();
        assert!(
            err.contains("'next tuesday' follow no known layout"),
            "{err}"
        );
        let err = DateLayout::Local("%d/%m/%Y".into())
            .parse("21/06/2025 10:00", None)
            .unwrap_err();
        assert!(err.contains("has no zone"), "{err}");
        assert!(check_format("%d/%m/%Y %H:%M").is_ok());
        assert!(check_format("%m/%Y").is_err());
        assert!(check_format("%d/%m/%Q").is_err());
    }
}
