//! `sales`: who sells, per artisan and month. A row per (month, artisan) with at least one order
//! delivered in the period. An order counts in the month of its delivery, and so does every
//! money entry its delivery made, even one posted later: a refund in October of a September
//! sale lowers September's earnings (the report says what sold and stayed sold; the ledger
//! itself, `fundi-depot ledger`, says when money moved).

use super::db::Snapshot;
use super::rules::{Month, Period, Story};
use super::{csv_with_header, ReportError};
use std::collections::BTreeMap;
use std::io::Write;

const HEADER: [&str; 11] = [
    "month",
    "artisan_id",
    "artisan_name",
    "mentor_id",
    "mentor_name",
    "orders_delivered",
    "units_delivered",
    "sales_minor",
    "refunds_minor",
    "earnings_minor",
    "commission_minor",
];

#[derive(Default)]
struct Sold {
    orders: u64,
    units: u64,
    /// The agreed prices of the orders delivered.
    sales: i64,
    /// What refunds took back from her earnings on them (a positive amount).
    refunds: i64,
    /// Her earnings on them net of refunds.
    earnings: i64,
    /// Her mentor's commissions on them net of their reversals.
    commission: i64,
}

pub fn write<W: Write>(snapshot: &Snapshot, period: &Period, out: W) -> Result<(), ReportError> {
    let mut csv = csv_with_header(out, &HEADER)?;
    let accounts = snapshot.accounts()?;
    let mut by_month: BTreeMap<Month, BTreeMap<String, Sold>> = BTreeMap::new();
    snapshot.for_each_order(|id, order| {
        let story = Story::of(order);
        let (Some(artisan), Some(day)) = (story.artisan, story.delivered) else { return Ok(()) };
        if !period.contains(day) {
            return Ok(());
        }
        let money = snapshot.order_money(id)?;
        let sold = by_month.entry(Month::of(day)).or_default().entry(artisan.to_string()).or_default();
        sold.orders += 1;
        sold.units += u64::from(order.quantity);
        sold.sales += order.price_minor;
        sold.refunds -= money.reversed;
        sold.earnings += money.earned + money.reversed;
        sold.commission += money.commission;
        Ok(())
    })?;
    for (month, artisans) in &by_month {
        for artisan in accounts.by_name(artisans.keys().map(String::as_str)) {
            let s = &artisans[artisan];
            let mentor = accounts.get(artisan).and_then(|a| a.mentor_id.as_deref()).unwrap_or("");
            csv.write_record([
                month.to_string(),
                artisan.to_string(),
                accounts.name(artisan).to_string(),
                mentor.to_string(),
                accounts.name(mentor).to_string(),
                s.orders.to_string(),
                s.units.to_string(),
                s.sales.to_string(),
                s.refunds.to_string(),
                s.earnings.to_string(),
                s.commission.to_string(),
            ])?;
        }
    }
    csv.flush()?;
    Ok(())
}
