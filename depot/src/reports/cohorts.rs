//! `cohorts`: how the artisans each mentor brought in fare, by the month they enrolled. A row per
//! (mentor, enrollment month) of the artisans enrolled by the period's end: how many, how many
//! were active in the period (`rules::Story::active_days`), how many sold, and what they sold.
//! The mentor is the artisan's mentor now (the depot keeps no history of mentor changes);
//! artisans without one form their own cohorts, written last with an empty mentor.

use super::db::Snapshot;
use super::rules::{Month, Period, Story};
use super::{csv_with_header, ReportError};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;

const HEADER: [&str; 8] = [
    "mentor_id",
    "mentor_name",
    "enrolled_month",
    "artisans",
    "active_artisans",
    "selling_artisans",
    "orders_delivered",
    "sales_minor",
];

/// What one artisan did in the period.
#[derive(Default)]
struct Did {
    active: bool,
    orders: u64,
    sales: i64,
}

#[derive(Default)]
struct Cohort {
    artisans: u64,
    active: u64,
    selling: u64,
    orders: u64,
    sales: i64,
}

pub fn write<W: Write>(snapshot: &Snapshot, period: &Period, out: W) -> Result<(), ReportError> {
    let mut csv = csv_with_header(out, &HEADER)?;
    let accounts = snapshot.accounts()?;
    let mut did: HashMap<String, Did> = HashMap::new();
    snapshot.for_each_order(|_, order| {
        let story = Story::of(order);
        let Some(artisan) = story.artisan else { return Ok(()) };
        let active = story.active_days().any(|d| period.contains(d));
        let delivered = story.delivered.is_some_and(|d| period.contains(d));
        if active || delivered {
            let d = did.entry(artisan.to_string()).or_default();
            d.active |= active;
            if delivered {
                d.orders += 1;
                d.sales += order.price_minor;
            }
        }
        Ok(())
    })?;
    let mut cohorts: BTreeMap<(&str, Month), Cohort> = BTreeMap::new();
    for (id, artisan) in accounts.artisans() {
        if period.to.is_some_and(|to| artisan.enrolled > to) {
            continue;
        }
        let c = cohorts.entry((artisan.mentor_id.as_deref().unwrap_or(""), Month::of(artisan.enrolled))).or_default();
        c.artisans += 1;
        if let Some(d) = did.get(id) {
            c.active += u64::from(d.active);
            c.selling += u64::from(d.orders > 0);
            c.orders += d.orders;
            c.sales += d.sales;
        }
    }
    let mut keys: Vec<&(&str, Month)> = cohorts.keys().collect();
    keys.sort_by_key(|(mentor, month)| (mentor.is_empty(), accounts.name(mentor), *mentor, *month));
    for key in keys {
        let (mentor, month) = *key;
        let c = &cohorts[key];
        csv.write_record([
            mentor.to_string(),
            accounts.name(mentor).to_string(),
            month.to_string(),
            c.artisans.to_string(),
            c.active.to_string(),
            c.selling.to_string(),
            c.orders.to_string(),
            c.sales.to_string(),
        ])?;
    }
    csv.flush()?;
    Ok(())
}
