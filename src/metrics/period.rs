//! Periods: `2026-Q3`, `2026-07`, `2026`, or `--from/--to` dates, half-open `[from, to)`,
//! with boundaries at midnight in the chosen zone (UTC unless `--tz` says otherwise), and
//! the previous period of the same kind immediately before.

use chrono::{Datelike, Months, NaiveDate};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: i64,
    pub to: i64,
    pub previous_from: i64,
    pub previous_to: i64,
}

/// The calendar unit a named period spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Months(u32),
    Days(i64),
}

/// A period written another common way, in the form `parse` reads: `Q3-2026`,
/// `Q3 2026`, `2026Q3` and `2026 q3` as `2026-Q3`; `07/2026`, `2026/07` and `2026.07` as
/// `2026-07`.
fn respelt(text: &str) -> Option<String> {
    let parts: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .flat_map(|p| {
            // `2026Q3` and `Q32026` split at the Q.
            match p.to_ascii_uppercase().find('Q') {
                Some(at) if at > 0 => vec![&p[..at], &p[at..]],
                Some(_) if p.len() > 2 => vec![&p[..2], &p[2..]],
                _ => vec![p],
            }
        })
        .collect();
    let year = parts
        .iter()
        .find(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_digit()))?;
    let other = parts.iter().find(|p| *p != year)?;
    if parts.len() != 2 {
        return None;
    }
    let upper = other.to_ascii_uppercase();
    if let Some(q) = upper.strip_prefix('Q') {
        return matches!(q, "1" | "2" | "3" | "4").then(|| format!("{year}-Q{q}"));
    }
    let month: u32 = other.parse().ok()?;
    (1..=12)
        .contains(&month)
        .then(|| format!("{year}-{month:02}"))
}

impl Period {
    /// Parses `2026-Q3`, `2026-07` or `2026`.
    pub fn parse(text: &str, tz: Tz) -> Result<Period, String> {
        let t = text.trim();
        let bad = || {
            let hint = respelt(t)
                .map(|p| format!("; did you mean '{p}'?"))
                .unwrap_or_default();
            format!("expected a period such as 2026-Q3, 2026-07 or 2026, found '{text}'{hint}")
        };
        let (start, unit) = if let Some((y, q)) = t
            .split_once(['-'])
            .filter(|(_, q)| q.starts_with(['Q', 'q']))
        {
            let year: i32 = y.parse().map_err(|_| bad())?;
            let q: u32 = q[1..].parse().map_err(|_| bad())?;
            if !(1..=4).contains(&q) {
                return Err(bad());
            }
            (
                NaiveDate::from_ymd_opt(year, 3 * (q - 1) + 1, 1).ok_or_else(bad)?,
                Unit::Months(3),
            )
        } else if let Some((y, m)) = t.split_once('-') {
            let year: i32 = y.parse().map_err(|_| bad())?;
            let month: u32 = m.parse().map_err(|_| bad())?;
            (
                NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?,
                Unit::Months(1),
            )
        } else {
            let year: i32 = t.parse().map_err(|_| bad())?;
            if !(1990..=2100).contains(&year) {
                return Err(bad());
            }
            (
                NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad)?,
                Unit::Months(12),
            )
        };
        Period::build(start, unit, tz)
    }

    /// `[from, to)` from two dates; the previous period has the same number of days.
    pub fn between(from: NaiveDate, to: NaiveDate, tz: Tz) -> Result<Period, String> {
        if to <= from {
            return Err(format!("--to ({to}) must be after --from ({from})"));
        }
        Period::build(from, Unit::Days((to - from).num_days()), tz)
    }

    /// The calendar quarter holding `t` (the default period: the quarter of the latest
    /// incident).
    pub fn quarter_of(t: i64, tz: Tz) -> Result<Period, String> {
        let d = chrono::DateTime::from_timestamp_micros(t)
            .ok_or("timestamp out of range")?
            .with_timezone(&tz)
            .date_naive();
        let start =
            NaiveDate::from_ymd_opt(d.year(), 3 * ((d.month() - 1) / 3) + 1, 1).expect("valid");
        Period::build(start, Unit::Months(3), tz)
    }

    fn build(start: NaiveDate, unit: Unit, tz: Tz) -> Result<Period, String> {
        let shift = |d: NaiveDate, forward: bool| -> Option<NaiveDate> {
            match unit {
                Unit::Months(m) if forward => d.checked_add_months(Months::new(m)),
                Unit::Months(m) => d.checked_sub_months(Months::new(m)),
                Unit::Days(n) if forward => d.checked_add_days(chrono::Days::new(n as u64)),
                Unit::Days(n) => d.checked_sub_days(chrono::Days::new(n as u64)),
            }
        };
        let end = shift(start, true).ok_or("period out of range")?;
        let prev = shift(start, false).ok_or("period out of range")?;
        let at = |d: NaiveDate| midnight(d, tz);
        Ok(Period {
            from: at(start)?,
            to: at(end)?,
            previous_from: at(prev)?,
            previous_to: at(start)?,
        })
    }

    /// The previous period, with its own previous one (same length, immediately before).
    pub fn previous(&self) -> Period {
        let len = self.previous_to - self.previous_from;
        Period {
            from: self.previous_from,
            to: self.previous_to,
            previous_from: self.previous_from - len,
            previous_to: self.previous_from,
        }
    }

    /// `2026-Q3` when the period is exactly a calendar quarter (in UTC).
    pub fn quarter_label(&self) -> Option<String> {
        let from = chrono::DateTime::from_timestamp_micros(self.from)?.date_naive();
        let q = Period::quarter_of(self.from, chrono_tz::UTC).ok()?;
        (q == *self).then(|| format!("{}-Q{}", from.year(), (from.month() - 1) / 3 + 1))
    }

    /// The period as people name it, in the zone of its boundaries: `Q3 2026 (1 Jul – 30
    /// Sep)`, `July 2026`, `2026`, or its first and last days (`1 Jul – 15 Aug 2026`).
    pub fn human_name(&self, tz: Tz) -> String {
        let day = |t: i64| {
            chrono::DateTime::from_timestamp_micros(t)
                .map(|d| d.with_timezone(&tz).date_naive())
                .unwrap_or_default()
        };
        let first = day(self.from);
        let last = day(self.to).pred_opt().unwrap_or(first);
        let is = |text: &str| {
            Period::parse(text, tz).is_ok_and(|p| p.from == self.from && p.to == self.to)
        };
        let (year, q) = (first.year(), first.month0() / 3 + 1);
        let short = |d: NaiveDate| d.format("%-d %b").to_string();
        if is(&year.to_string()) {
            year.to_string()
        } else if is(&format!("{year}-Q{q}")) {
            format!("Q{q} {year} ({} – {})", short(first), short(last))
        } else if is(&format!("{year}-{:02}", first.month())) {
            first.format("%B %Y").to_string()
        } else if first.year() == last.year() {
            format!("{} – {} {year}", short(first), short(last))
        } else {
            format!(
                "{} {} – {} {}",
                short(first),
                first.year(),
                short(last),
                last.year()
            )
        }
    }

    /// Length in microseconds.
    pub fn length(&self) -> i64 {
        self.to - self.from
    }

    pub fn previous_length(&self) -> i64 {
        self.previous_to - self.previous_from
    }
}

/// Midnight at the start of `d` in `tz`, as microseconds UTC.
pub fn midnight(d: NaiveDate, tz: Tz) -> Result<i64, String> {
    crate::time::localize(d.and_hms_opt(0, 0, 0).expect("midnight"), tz)
        .map(|t| t.timestamp_micros())
        .ok_or_else(|| format!("midnight of {d} does not exist in {tz}"))
}

/// Parses a `--from`/`--to` date.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("expected a date such as 2026-07-01, found '{text}'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::format_micros as f;

    #[test]
    fn periods_have_the_names_people_give_them() {
        let name = |text: &str| Period::parse(text, Tz::UTC).unwrap().human_name(Tz::UTC);
        assert_eq!(name("2026-Q3"), "Q3 2026 (1 Jul – 30 Sep)");
        assert_eq!(name("2026-Q1"), "Q1 2026 (1 Jan – 31 Mar)");
        assert_eq!(name("2026-07"), "July 2026");
        assert_eq!(name("2026"), "2026");
        let d = |s: &str| parse_date(s).unwrap();
        let span = Period::between(d("2026-07-01"), d("2026-08-16"), Tz::UTC).unwrap();
        assert_eq!(span.human_name(Tz::UTC), "1 Jul – 15 Aug 2026");
        let across = Period::between(d("2025-12-15"), d("2026-01-15"), Tz::UTC).unwrap();
        assert_eq!(across.human_name(Tz::UTC), "15 Dec 2025 – 14 Jan 2026");
        // Boundaries at Berlin's midnight name the same days in Berlin.
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let q = Period::parse("2026-Q3", berlin).unwrap();
        assert_eq!(q.human_name(berlin), "Q3 2026 (1 Jul – 30 Sep)");
    }

    #[test]
    fn periods_written_other_ways_get_a_suggestion() {
        for (text, want) in [
            ("Q3-2023", Some("2023-Q3")),
            ("q3 2023", Some("2023-Q3")),
            ("2023Q3", Some("2023-Q3")),
            ("2023 Q4", Some("2023-Q4")),
            ("07/2026", Some("2026-07")),
            ("2026/7", Some("2026-07")),
            ("Q5-2023", None),
            ("13/2026", None),
            ("last week", None),
        ] {
            assert_eq!(respelt(text).as_deref(), want, "{text}");
        }
        assert_eq!(
            Period::parse("Q3-2023", Tz::UTC).unwrap_err(),
            "expected a period such as 2026-Q3, 2026-07 or 2026, found 'Q3-2023'; did you mean '2023-Q3'?"
        );
    }

    #[test]
    fn quarters_months_years() {
        let p = Period::parse("2026-Q3", Tz::UTC).unwrap();
        assert_eq!(
            (f(p.from), f(p.to), f(p.previous_from), f(p.previous_to)),
            (
                "2026-07-01T00:00:00Z".into(),
                "2026-10-01T00:00:00Z".into(),
                "2026-04-01T00:00:00Z".into(),
                "2026-07-01T00:00:00Z".into()
            )
        );
        let m = Period::parse("2026-03", Tz::UTC).unwrap();
        assert_eq!(
            (f(m.previous_from), f(m.to)),
            ("2026-02-01T00:00:00Z".into(), "2026-04-01T00:00:00Z".into())
        );
        let y = Period::parse("2026", Tz::UTC).unwrap();
        assert_eq!(f(y.previous_from), "2025-01-01T00:00:00Z");
        assert!(Period::parse("2026-Q5", Tz::UTC).is_err());
        assert!(Period::parse("last week", Tz::UTC).is_err());
    }

    #[test]
    fn zones_move_the_boundaries() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let p = Period::parse("2026-07", berlin).unwrap();
        assert_eq!(f(p.from), "2026-06-30T22:00:00Z");
    }

    #[test]
    fn explicit_dates_and_quarter_of() {
        let p = Period::between(
            parse_date("2026-07-10").unwrap(),
            parse_date("2026-07-20").unwrap(),
            Tz::UTC,
        )
        .unwrap();
        assert_eq!(f(p.previous_from), "2026-06-30T00:00:00Z");
        let q = Period::quarter_of(p.from, Tz::UTC).unwrap();
        assert_eq!(f(q.from), "2026-07-01T00:00:00Z");
        assert!(Period::between(
            parse_date("2026-07-10").unwrap(),
            parse_date("2026-07-10").unwrap(),
            Tz::UTC
        )
        .is_err());
    }
}
