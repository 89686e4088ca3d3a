//! The period flags: checked before any store is opened (`--tz`, `--as-of`, a named
//! period or `--from`/`--to`), then resolved against the store (a relative period counts
//! from its latest record; none given means the quarter of the latest incident).

use crate::cli::PeriodArgs;
use crate::metrics::{self, period, Period};
use anyhow::{anyhow, bail, Result};

/// Turns the period flags into a validated request, before any work.
/// `--period` names counted from a moment (`--as-of`, else the store's latest record):
/// the month, quarter or year that holds it, or the one before.
const RELATIVE_PERIODS: [&str; 6] = [
    "this-month",
    "last-month",
    "this-quarter",
    "last-quarter",
    "this-year",
    "last-year",
];

/// A relative period name as the period it names at `at` (in `tz`): `2026-Q2`.
fn absolute_period(name: &str, at: i64, tz: chrono_tz::Tz) -> Option<String> {
    use chrono::Datelike;
    let (which, unit) = name.split_once('-')?;
    let back = match which {
        "this" => 0,
        "last" => 1,
        _ => return None,
    };
    let day = chrono::DateTime::from_timestamp_micros(at)?
        .with_timezone(&tz)
        .date_naive();
    let (year, month) = (day.year(), day.month0() as i32);
    Some(match unit {
        "month" => {
            let n = year * 12 + month - back;
            format!("{}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
        }
        "quarter" => {
            let n = year * 4 + month / 3 - back;
            format!("{}-Q{}", n.div_euclid(4), n.rem_euclid(4) + 1)
        }
        "year" => (year - back).to_string(),
        _ => return None,
    })
}

/// The period flags, checked.
pub struct Flags<'a> {
    args: &'a PeriodArgs,
    tz: chrono_tz::Tz,
    as_of: Option<i64>,
    /// The period, when the flags name it outright (not relative, not left out).
    named: Option<Period>,
}

impl<'a> Flags<'a> {
    /// Checks the flags, before the store is opened: a bad zone or date fails at once.
    pub fn check(args: &'a PeriodArgs) -> Result<Flags<'a>> {
        let tz = crate::time::parse_zone(&args.tz).map_err(|e| anyhow!("--tz: {e}"))?;
        let as_of = match &args.as_of {
            None => None,
            Some(text) => Some(match period::parse_date(text) {
                Ok(d) => period::midnight(d, tz).map_err(|e| anyhow!("--as-of: {e}"))?,
                Err(_) => {
                    crate::time::parse_timestamp(text, None).map_err(|e| anyhow!("--as-of: {e}"))?
                }
            }),
        };
        let named = match (&args.period, &args.from, &args.to) {
            (Some(p), _, _) if RELATIVE_PERIODS.contains(&p.as_str()) => None,
            (Some(p), _, _) => Some(Period::parse(p, tz).map_err(|e| {
                anyhow!(
                    "--period: {e} (periods also go by {})",
                    RELATIVE_PERIODS.join(", ")
                )
            })?),
            (None, Some(from), Some(to)) => {
                let from = period::parse_date(from).map_err(|e| anyhow!("--from: {e}"))?;
                let to = period::parse_date(to).map_err(|e| anyhow!("--to: {e}"))?;
                Some(Period::between(from, to, tz).map_err(|e| anyhow!("{e}"))?)
            }
            _ => None,
        };
        Ok(Flags {
            args,
            tz,
            as_of,
            named,
        })
    }

    /// The period a command works on. Which one was chosen, when it was not named as it
    /// is, goes to stderr when `tell`.
    pub fn resolve(&self, data: &metrics::Data, tell: bool) -> Result<metrics::Request> {
        let (tz, as_of) = (self.tz, self.as_of);
        let day = |t: i64| crate::time::format_micros(t)[..10].to_string();
        let period = match (&self.named, &self.args.period) {
            (Some(p), _) => *p,
            (None, Some(p)) => {
                let (at, from) = match (as_of, data.latest) {
                    (Some(t), _) => (t, "--as-of"),
                    (None, Some(t)) => (t, "the store's latest record"),
                    (None, None) => bail!("--period {p}: the store holds nothing to count it from"),
                };
                let name = absolute_period(p, at, tz).expect("a relative period name");
                let period = Period::parse(&name, tz).map_err(|e| anyhow!("--period: {e}"))?;
                if tell {
                    crate::say!(
                        "period: {p} is {name} ({} to {}), counted from {from} ({})",
                        day(period.from),
                        day(period.to - 1),
                        day(at)
                    );
                }
                period
            }
            (None, None) => {
                let latest = data
                    .incidents
                    .iter()
                    .map(|i| i.anchor)
                    .max()
                    .ok_or_else(|| anyhow!("the store holds no incidents; ingest some first"))?;
                let period = Period::quarter_of(latest, tz).map_err(|e| anyhow!("{e}"))?;
                if tell {
                    crate::say!(
                        "period: none given, so the quarter of the latest incident ({}): {} to {} \
                         (--period names another)",
                        day(latest),
                        day(period.from),
                        day(period.to - 1)
                    );
                }
                period
            }
        };
        Ok(metrics::Request { period, as_of, tz })
    }
}

/// How a period is named in a report title: `Q3 2026 (1 Jul – 30 Sep)`.
pub fn period_label(req: &metrics::Request) -> String {
    req.period.human_name(req.tz)
}
