//! Workload and recovery by hand: stints, bands across midnight and daylight saving, rest.
use super::*;

fn t(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .timestamp_micros()
}

fn clock(zone: &str) -> Clock {
    Clock {
        tz: zone.parse().unwrap(),
        business: [8, 18],
        sleep: [22, 8],
    }
}

const M: i64 = 60_000_000;

fn hrs(micros: i64) -> f64 {
    micros as f64 / HOUR
}

#[test]
fn a_gap_over_the_setting_starts_a_new_stint() {
    // 10:00, 10:20, 10:50 (a 30-minute gap is not over 30), 11:21 (31 minutes).
    let mut times = vec![
        t("2026-03-02T11:21:00Z"),
        t("2026-03-02T10:00:00Z"),
        t("2026-03-02T10:20:00Z"),
        t("2026-03-02T10:50:00Z"),
    ];
    let s = stints(&mut times, 30 * M, 15 * M);
    assert_eq!(
        s,
        vec![
            Span {
                from: t("2026-03-02T10:00:00Z"),
                to: t("2026-03-02T11:05:00Z")
            },
            Span {
                from: t("2026-03-02T11:21:00Z"),
                to: t("2026-03-02T11:36:00Z")
            },
        ]
    );
}

#[test]
fn a_stint_across_midnight_splits_into_bands_by_the_minute() {
    // Friday 2026-03-06 17:30 to Saturday 00:45 in Berlin (UTC+1): 30 min business,
    // 4 h off (18–22), 2 h 45 min sleep.
    let c = clock("Europe/Berlin");
    let mut h = Hours::default();
    h.add_span(
        &c,
        Span {
            from: t("2026-03-06T16:30:00Z"),
            to: t("2026-03-06T23:45:00Z"),
        },
    );
    assert_eq!(h.person_hours(), 7.25);
    assert_eq!(hrs(h.business), 0.5);
    assert_eq!(hrs(h.off), 4.0);
    assert_eq!(hrs(h.sleep), 2.75);
    // The night is the Friday's, and the span lies on two local dates.
    let r = rest(
        &c,
        &[Span {
            from: t("2026-03-06T16:30:00Z"),
            to: t("2026-03-06T23:45:00Z"),
        }],
        0,
        i64::MAX,
        12.0,
    );
    assert_eq!(
        r,
        Rest {
            nights: 1,
            without_rest: 0,
            streak: 2,
            days_active: 2
        }
    );
}

#[test]
fn daylight_saving_changes_the_local_hours_not_the_length() {
    // Berlin springs forward on Sunday 2026-03-29 at 02:00 → 03:00. 00:30 to 04:30
    // local is 00:30+01 to 04:30+02: three hours, all sleep.
    let c = clock("Europe/Berlin");
    let mut h = Hours::default();
    h.add_span(
        &c,
        Span {
            from: t("2026-03-28T23:30:00Z"),
            to: t("2026-03-29T02:30:00Z"),
        },
    );
    assert_eq!(h.person_hours(), 3.0);
    assert_eq!(hrs(h.sleep), 3.0);
    // New York falls back on 2026-11-01 at 02:00 EDT → 01:00 EST: 05:00Z–07:00Z is
    // 01:00 EDT to 02:00 EST, with 01:00–02:00 lived twice: two hours of sleep.
    let c = clock("America/New_York");
    let mut h = Hours::default();
    h.add_span(
        &c,
        Span {
            from: t("2026-11-01T05:00:00Z"),
            to: t("2026-11-01T07:00:00Z"),
        },
    );
    assert_eq!((h.person_hours(), hrs(h.sleep)), (2.0, 2.0));
    // 06:30 EST to 08:30 EST (a Sunday): 1.5 h sleep, 0.5 h off.
    let mut h = Hours::default();
    h.add_span(
        &c,
        Span {
            from: t("2026-11-01T11:30:00Z"),
            to: t("2026-11-01T13:30:00Z"),
        },
    );
    assert_eq!((hrs(h.sleep), hrs(h.off)), (1.5, 0.5));
}

#[test]
fn two_incidents_at_once_count_each_minute_once_for_rest() {
    // Night of 2026-03-02 in UTC: 23:00–01:00 in one incident, 00:00–02:00 in
    // another: one span 23:00–02:00; the next at 13:00 is 11 h later (within 12).
    let c = clock("UTC");
    let spans = vec![
        Span {
            from: t("2026-03-02T23:00:00Z"),
            to: t("2026-03-03T01:00:00Z"),
        },
        Span {
            from: t("2026-03-03T00:00:00Z"),
            to: t("2026-03-03T02:00:00Z"),
        },
        Span {
            from: t("2026-03-03T13:00:00Z"),
            to: t("2026-03-03T13:15:00Z"),
        },
    ];
    let timeline = merge(spans);
    assert_eq!(timeline.len(), 2);
    let r = rest(&c, &timeline, 0, i64::MAX, 12.0);
    assert_eq!(
        r,
        Rest {
            nights: 1,
            without_rest: 1,
            streak: 2,
            days_active: 2
        }
    );
    // Twelve hours and one minute later is rest.
    let later = vec![
        timeline[0],
        Span {
            from: t("2026-03-03T14:01:00Z"),
            to: t("2026-03-03T14:16:00Z"),
        },
    ];
    assert_eq!(rest(&c, &later, 0, i64::MAX, 12.0).without_rest, 0);
    // Two stints in one night, the second followed by rest: the night had its rest
    // (the gap between the two stints is not what recovery asks about).
    let night = vec![
        Span {
            from: t("2026-03-02T23:00:00Z"),
            to: t("2026-03-02T23:30:00Z"),
        },
        Span {
            from: t("2026-03-03T01:00:00Z"),
            to: t("2026-03-03T01:30:00Z"),
        },
        Span {
            from: t("2026-03-03T14:00:00Z"),
            to: t("2026-03-03T14:15:00Z"),
        },
    ];
    assert_eq!(rest(&c, &night, 0, i64::MAX, 12.0).without_rest, 0);
    // Exactly twelve hours later is not.
    let edge = vec![
        timeline[0],
        Span {
            from: t("2026-03-03T14:00:00Z"),
            to: t("2026-03-03T14:15:00Z"),
        },
    ];
    assert_eq!(rest(&c, &edge, 0, i64::MAX, 12.0).without_rest, 1);
}

#[test]
fn a_half_hour_zone_cuts_at_its_own_hours() {
    // Kolkata is UTC+5:30: 16:00Z–17:00Z is 21:30–22:30 local, half off, half sleep
    // (a Tuesday).
    let c = clock("Asia/Kolkata");
    let mut h = Hours::default();
    h.add_span(
        &c,
        Span {
            from: t("2026-03-03T16:00:00Z"),
            to: t("2026-03-03T17:00:00Z"),
        },
    );
    assert_eq!((hrs(h.off), hrs(h.sleep)), (0.5, 0.5));
}
