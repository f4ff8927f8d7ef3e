//! The reports' rules on hand-made orders; the reports themselves are checked end to end
//! against a hand-computed fixture in `depot/tests/reports.rs`.

use super::rules::*;
use super::{Report, ReportError};
use fundi_sync::dates::Day;
use fundi_sync::hlc::Timestamp;
use fundi_sync::{Extra, OrderBody, OrderEvent};
use std::collections::BTreeMap;

/// Milliseconds of `day` at `hour`:`minute` in the deployment's zone (East Africa Time).
fn at(day: &str, hour: i64, minute: i64) -> u64 {
    (Day::parse(day).unwrap().start_ms() + (hour * 60 + minute) * 60_000) as u64
}

fn order(status: &str, artisan: Option<&str>, events: &[(&str, &str, u64)]) -> OrderBody {
    let stamp = |ms| Timestamp { wall_ms: ms, counter: 0, node: 1 };
    OrderBody {
        status: status.into(),
        artisan_id: artisan.map(String::from),
        product: "Kiondo".into(),
        product_id: None,
        quantity: 4,
        price_minor: 1_000_000,
        source: "shop".into(),
        external_ref: "R-1".into(),
        updated_hlc: stamp(events.last().map_or(0, |e| e.2)),
        note: None,
        due_date: None,
        history: events
            .iter()
            .map(|(event, status, ms)| OrderEvent {
                event: event.to_string(),
                status: status.to_string(),
                hlc: stamp(*ms),
                reason: None,
                photo: None,
            })
            .collect(),
        history_dropped: 0,
        extra: Extra::new(),
    }
}

#[test]
fn a_reassigned_order_is_timed_from_its_last_assignment_and_its_decline_is_no_ones() {
    let o = order(
        "delivered",
        Some("b"),
        &[
            ("created", "new", at("2026-08-01", 9, 0)),
            ("assign", "assigned", at("2026-08-02", 9, 0)),
            ("decline", "declined", at("2026-08-03", 9, 0)),
            ("assign", "assigned", at("2026-08-04", 9, 0)),
            ("accept", "accepted", at("2026-08-04", 10, 0)),
            ("start_production", "in_production", at("2026-08-05", 10, 0)),
            ("mark_ready", "ready_for_pickup", at("2026-08-06", 10, 0)),
            ("receive", "received", at("2026-08-07", 10, 0)),
            ("qc_fail", "qc_failed", at("2026-08-07", 11, 0)),
            ("rework", "in_production", at("2026-08-08", 10, 0)),
            ("mark_ready", "ready_for_pickup", at("2026-08-09", 10, 0)),
            ("receive", "received", at("2026-08-10", 10, 0)),
            ("qc_pass", "qc_passed", at("2026-08-10", 11, 0)),
            ("ship", "shipped", at("2026-08-11", 10, 0)),
            // 00:30 on 1 September in Nairobi is still 31 August in UTC.
            ("deliver", "delivered", at("2026-09-01", 0, 30)),
        ],
    );
    let s = Story::of(&o);
    assert_eq!(s.artisan, Some("b"));
    assert_eq!(s.assigned, Day::parse("2026-08-04").ok());
    assert_eq!(s.delivered, Day::parse("2026-09-01").ok(), "the deployment's day, not UTC's");
    assert_eq!(s.cancelled, None);
    assert_eq!(s.lead_days(), Some(28));
    let active: Vec<String> = s.active_days().map(|d| d.to_string()).collect();
    assert_eq!(
        active,
        ["2026-08-04", "2026-08-05", "2026-08-06", "2026-08-08", "2026-08-09", "2026-09-01"],
        "her own commands and the delivery; the decline before the reassignment was someone else's"
    );
    let checks: Vec<(String, bool)> = s.checks().map(|(d, p)| (d.to_string(), p)).collect();
    assert_eq!(checks, [("2026-08-07".to_string(), false), ("2026-08-10".to_string(), true)]);
}

#[test]
fn an_order_whose_assignment_fell_off_its_history_is_not_timed_but_its_events_are_hers() {
    let mut o = order(
        "delivered",
        Some("a"),
        &[("ship", "shipped", at("2026-08-11", 10, 0)), ("deliver", "delivered", at("2026-08-12", 10, 0))],
    );
    o.history_dropped = 40;
    let s = Story::of(&o);
    assert_eq!((s.assigned, s.lead_days()), (None, None));
    assert_eq!(s.active_days().count(), 1, "the delivery");
    // Never assigned: nothing is anyone's.
    let new =
        order("cancelled", None, &[("created", "new", at("2026-08-01", 9, 0)), ("cancel", "cancelled", at("2026-08-02", 9, 0))]);
    let s = Story::of(&new);
    assert_eq!((s.artisan, s.since_assignment.len(), s.cancelled), (None, 0, Day::parse("2026-08-02").ok()));
}

#[test]
fn only_the_artisans_own_commands_count_as_hers() {
    for c in ["accept", "decline", "start_production", "mark_ready", "rework"] {
        assert!(issued_by_artisan(c), "{c}");
    }
    for c in ["assign", "receive", "qc_pass", "qc_fail", "ship", "deliver", "cancel", "created", "no_such_command"] {
        assert!(!issued_by_artisan(c), "{c}");
    }
}

#[test]
fn price_bands_cover_every_unit_price_once() {
    let bands: Vec<(String, i64, Option<i64>)> =
        (0..PRICE_BANDS_KES.len()).map(|b| (band_label(b), band_bounds_minor(b).0, band_bounds_minor(b).1)).collect();
    assert_eq!(bands[0], ("0-249".to_string(), 0, Some(25_000)));
    assert_eq!(bands[3], ("1000-2499".to_string(), 100_000, Some(250_000)));
    assert_eq!(bands[7], ("25000+".to_string(), 2_500_000, None));
    for (minor, band) in [(1, 0), (24_999, 0), (25_000, 1), (249_999, 3), (250_000, 4), (2_500_000, 7), (i64::MAX, 7)] {
        assert_eq!(price_band(minor), band, "{minor}");
    }
    // A unit price is rounded down: 1,000,000 over 4 units is KSh 2,500 each, over 3 KSh 3,333.33.
    let mut o = order("new", None, &[]);
    assert_eq!(unit_price_minor(&o), 250_000);
    o.quantity = 3;
    assert_eq!(unit_price_minor(&o), 333_333);
}

#[test]
fn percentiles_are_nearest_ranks_of_the_histogram() {
    let hist = |values: &[i64]| {
        let mut h = BTreeMap::new();
        for v in values {
            *h.entry(*v).or_insert(0u64) += 1;
        }
        h
    };
    assert_eq!(nearest_rank(&hist(&[]), 50), None);
    assert_eq!(nearest_rank(&hist(&[7]), 50), Some(7));
    assert_eq!(nearest_rank(&hist(&[7]), 90), Some(7));
    // Four values: the median is the 2nd, the 90th percentile the 4th.
    assert_eq!(nearest_rank(&hist(&[20, 11, 12, 3]), 50), Some(11));
    assert_eq!(nearest_rank(&hist(&[20, 11, 12, 3]), 90), Some(20));
    // Ten values 1..=10: the 5th and the 9th.
    let ten: Vec<i64> = (1..=10).collect();
    assert_eq!((nearest_rank(&hist(&ten), 50), nearest_rank(&hist(&ten), 90)), (Some(5), Some(9)));
    // Repeated values.
    assert_eq!(nearest_rank(&hist(&[2, 2, 2, 9]), 50), Some(2));
}

#[test]
fn rates_are_percentages_with_one_decimal_rounded_half_up() {
    assert_eq!(percent(2, 3), "66.7");
    assert_eq!(percent(1, 3), "33.3");
    assert_eq!(percent(1, 8), "12.5");
    assert_eq!(percent(1, 16), "6.3", "6.25 rounds up");
    assert_eq!(percent(3, 3), "100.0");
    assert_eq!(percent(0, 5), "0.0");
    assert_eq!(percent(0, 0), "");
}

#[test]
fn months_follow_the_deployment_calendar() {
    let m = Month::of(Day::parse("2026-12-31").unwrap());
    assert_eq!((m.to_string(), m.next().to_string()), ("2026-12".to_string(), "2027-01".to_string()));
    assert_eq!(Month::of(Day::of_ms(at("2026-10-01", 0, 0))).to_string(), "2026-10");
}

#[test]
fn names_and_periods_are_checked() {
    for r in Report::ALL {
        assert_eq!(Report::from_name(r.name()).unwrap(), r);
    }
    assert!(matches!(Report::from_name("salez"), Err(ReportError::UnknownReport(_))));
    let p = Period::parse(Some("2026-09-01"), Some("2026-09-30")).unwrap();
    assert!(p.contains(Day::parse("2026-09-30").unwrap()) && !p.contains(Day::parse("2026-10-01").unwrap()));
    assert_eq!(Report::Sales.file_name(&p), "fundi-sales-2026-09-01-2026-09-30.csv");
    assert_eq!(Report::Active.file_name(&Period::default()), "fundi-active.csv");
    assert_eq!(Report::Quality.file_name(&Period::parse(None, Some("2026-09-30")).unwrap()), "fundi-quality-all-2026-09-30.csv");
    assert!(matches!(Period::parse(Some("2026-09-31"), None), Err(ReportError::BadDay { which: "from", .. })));
    assert!(matches!(Period::parse(None, Some("30/09/2026")), Err(ReportError::BadDay { which: "to", .. })));
    assert!(matches!(Period::parse(Some("2026-10-01"), Some("2026-09-30")), Err(ReportError::PeriodReversed { .. })));
    let e: crate::store::ApiError = Period::parse(Some("x"), None).unwrap_err().into();
    assert_eq!((e.status, e.code), (422, "invalid"));
    let e: crate::store::ApiError = Report::from_name("x").unwrap_err().into();
    assert_eq!((e.status, e.code), (404, "not_found"));
}
