//! `lead-times`: how fast, per artisan. A row per artisan with an order delivered in the period:
//! how many, how many of them still hold their assignment in their history (a history keeps
//! its latest 40 events), and of those the median, 90th percentile and longest time from the
//! last assignment to the delivery, in calendar days. The days are counted in a histogram per
//! artisan (days -> orders): exact percentiles in memory that grows with the distinct numbers
//! of days, never with the orders.

use super::db::Snapshot;
use super::rules::{nearest_rank, Period, Story};
use super::{csv_with_header, ReportError};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;

const HEADER: [&str; 7] =
    ["artisan_id", "artisan_name", "orders_delivered", "orders_timed", "median_days", "p90_days", "max_days"];

#[derive(Default)]
struct Times {
    delivered: u64,
    days: BTreeMap<i64, u64>,
}

pub fn write<W: Write>(snapshot: &Snapshot, period: &Period, out: W) -> Result<(), ReportError> {
    let mut csv = csv_with_header(out, &HEADER)?;
    let accounts = snapshot.accounts()?;
    let mut times: HashMap<String, Times> = HashMap::new();
    snapshot.for_each_order(|_, order| {
        let story = Story::of(order);
        let Some(artisan) = story.artisan else { return Ok(()) };
        if !story.delivered.is_some_and(|d| period.contains(d)) {
            return Ok(());
        }
        let t = times.entry(artisan.to_string()).or_default();
        t.delivered += 1;
        if let Some(days) = story.lead_days() {
            *t.days.entry(days).or_default() += 1;
        }
        Ok(())
    })?;
    let show = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for artisan in accounts.by_name(times.keys().map(String::as_str)) {
        let t = &times[artisan];
        csv.write_record([
            artisan.to_string(),
            accounts.name(artisan).to_string(),
            t.delivered.to_string(),
            t.days.values().sum::<u64>().to_string(),
            show(nearest_rank(&t.days, 50)),
            show(nearest_rank(&t.days, 90)),
            show(t.days.keys().next_back().copied()),
        ])?;
    }
    csv.flush()?;
    Ok(())
}
