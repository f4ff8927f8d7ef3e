//! The reports' pure rules, with no I/O: what an order's history says (when it was last
//! assigned, when it was delivered, which events are its current artisan's), months, the price
//! bands, percentiles read from a histogram, and rates written as percentages.

use fundi_sync::dates::Day;
use fundi_sync::workflow::{Issuer, OrderCommand, OrderStatus, ORDER_TRANSITIONS};
use fundi_sync::{OrderBody, OrderEvent};
use std::collections::BTreeMap;
use std::fmt;

/// A calendar month in the deployment's zone (the month of a [`Day`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i64,
    /// 1 to 12.
    month: i64,
}

impl Month {
    pub fn of(day: Day) -> Month {
        let (year, month, _) = day.civil();
        Month { year, month }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The days a report covers, both ends included; an open end is unbounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<Day>,
    pub to: Option<Day>,
}

impl Period {
    pub fn contains(&self, day: Day) -> bool {
        self.from.is_none_or(|f| day >= f) && self.to.is_none_or(|t| day <= t)
    }
}

/// What an order's history says, for the reports.
#[derive(Debug, PartialEq)]
pub struct Story<'a> {
    /// The artisan the order is assigned to now.
    pub artisan: Option<&'a str>,
    /// The day of its last assignment, if its history still holds it (a history keeps its
    /// latest 40 events).
    pub assigned: Option<Day>,
    /// The day it was delivered (its `deliver` event), if it was.
    pub delivered: Option<Day>,
    /// The day it was cancelled (its `cancel` event), if it was.
    pub cancelled: Option<Day>,
    /// Its events after the last assignment: the current artisan's work and the depot's checks
    /// of it. Events before (a decline, then a reassignment) were another artisan's, whom the
    /// history does not name.
    pub since_assignment: &'a [OrderEvent],
}

impl<'a> Story<'a> {
    pub fn of(order: &'a OrderBody) -> Story<'a> {
        let day = |e: &OrderEvent| Day::of_ms(e.hlc.wall_ms);
        let last_assignment = order.history.iter().rposition(|e| e.status == OrderStatus::Assigned.code());
        let since_assignment = match last_assignment {
            Some(i) => &order.history[i + 1..],
            // The assignment fell off the front of a long history: every event kept is later.
            None if order.history_dropped > 0 && order.artisan_id.is_some() => &order.history[..],
            None => &[],
        };
        // The day of the command that left the order in its final `status` (the last event of
        // a history, which keeps its latest events).
        let ended = |status: OrderStatus, command: OrderCommand| {
            (OrderStatus::from_code(&order.status) == Some(status)).then(|| {
                let event = order.history.iter().rev().find(|e| e.event == command.code());
                event.map_or_else(|| Day::of_ms(order.updated_hlc.wall_ms), day)
            })
        };
        Story {
            artisan: order.artisan_id.as_deref(),
            assigned: last_assignment.map(|i| day(&order.history[i])),
            delivered: ended(OrderStatus::Delivered, OrderCommand::Deliver),
            cancelled: ended(OrderStatus::Cancelled, OrderCommand::Cancel),
            since_assignment,
        }
    }

    /// Whole days from the last assignment to the delivery (calendar days in the deployment's
    /// zone), when both are known.
    pub fn lead_days(&self) -> Option<i64> {
        Some((self.delivered?.0 - self.assigned?.0).max(0))
    }

    /// The days on which the current artisan was active on this order: she issued one of
    /// its commands, or it was delivered.
    pub fn active_days(&self) -> impl Iterator<Item = Day> + '_ {
        self.since_assignment
            .iter()
            .filter(|e| e.event == OrderCommand::Deliver.code() || issued_by_artisan(&e.event))
            .map(|e| Day::of_ms(e.hlc.wall_ms))
    }

    /// The depot's quality checks of her work: (day, passed).
    pub fn checks(&self) -> impl Iterator<Item = (Day, bool)> + '_ {
        self.since_assignment.iter().filter_map(|e| {
            let passed = match OrderCommand::from_code(&e.event)? {
                OrderCommand::QcPass => true,
                OrderCommand::QcFail => false,
                _ => return None,
            };
            Some((Day::of_ms(e.hlc.wall_ms), passed))
        })
    }
}

/// Whether the order command `code` is one only the order's artisan issues (the transitions
/// table says who may issue what).
pub fn issued_by_artisan(code: &str) -> bool {
    let Some(command) = OrderCommand::from_code(code) else { return false };
    ORDER_TRANSITIONS.iter().filter(|t| t.command == command).any(|t| t.by.iter().any(|i| matches!(i, Issuer::OwnerArtisan)))
}

/// The lower bound of each price band, in whole shillings per unit: under 250, 250 to 499,
/// 500 to 999, 1,000 to 2,499, 2,500 to 4,999, 5,000 to 9,999, 10,000 to 24,999, 25,000 and over.
pub const PRICE_BANDS_KES: [i64; 8] = [0, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000];

/// KES minor units per shilling.
const MINOR_PER_KES: i64 = 100;

/// An order's unit price in minor units: its agreed price over its quantity, rounded down.
pub fn unit_price_minor(order: &OrderBody) -> i64 {
    order.price_minor / i64::from(order.quantity.max(1))
}

/// The band (an index into [`PRICE_BANDS_KES`]) of a unit price in minor units.
pub fn price_band(unit_minor: i64) -> usize {
    PRICE_BANDS_KES.iter().rposition(|&from| unit_minor >= from * MINOR_PER_KES).unwrap_or(0)
}

/// A band's bounds in minor units: from (included) and to (excluded; none for the last).
pub fn band_bounds_minor(band: usize) -> (i64, Option<i64>) {
    (PRICE_BANDS_KES[band] * MINOR_PER_KES, PRICE_BANDS_KES.get(band + 1).map(|to| to * MINOR_PER_KES))
}

/// The band's name, in shillings: "1000-2499", "25000+".
pub fn band_label(band: usize) -> String {
    match PRICE_BANDS_KES.get(band + 1) {
        Some(to) => format!("{}-{}", PRICE_BANDS_KES[band], to - 1),
        None => format!("{}+", PRICE_BANDS_KES[band]),
    }
}

/// The nearest-rank percentile of the values counted in `histogram` (value -> how many): the
/// smallest value with at least `percent`% of all values at or below it (the median of an even
/// count is the lower middle one). None when there are no values.
pub fn nearest_rank(histogram: &BTreeMap<i64, u64>, percent: u64) -> Option<i64> {
    let n: u64 = histogram.values().sum();
    let rank = (percent * n).div_ceil(100).max(1);
    let mut seen = 0;
    for (value, count) in histogram {
        seen += count;
        if seen >= rank {
            return Some(*value);
        }
    }
    None
}

/// `part` of `whole` as a percentage with one decimal, rounded half up ("66.7"); empty when
/// `whole` is 0.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return String::new();
    }
    let tenths = (part * 1000 + whole / 2) / whole;
    format!("{}.{}", tenths / 10, tenths % 10)
}
