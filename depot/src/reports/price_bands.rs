//! `price-bands`: what sells at what price. A row per band of unit price (the order's agreed
//! price over its quantity; the bands are [`super::rules::PRICE_BANDS_KES`]), every band even
//! when empty, so that two periods' files line up: the orders delivered in the period, their
//! units and sales, how many artisans delivered them, and the orders cancelled in the period.

use super::db::Snapshot;
use super::rules::{band_bounds_minor, band_label, price_band, unit_price_minor, Period, Story, PRICE_BANDS_KES};
use super::{csv_with_header, ReportError};
use std::collections::BTreeSet;
use std::io::Write;

const HEADER: [&str; 8] = [
    "band_kes",
    "unit_price_from_minor",
    "unit_price_to_minor",
    "orders_delivered",
    "units_delivered",
    "sales_minor",
    "artisans_selling",
    "orders_cancelled",
];

#[derive(Default)]
struct Band {
    orders: u64,
    units: u64,
    sales: i64,
    artisans: BTreeSet<String>,
    cancelled: u64,
}

pub fn write<W: Write>(snapshot: &Snapshot, period: &Period, out: W) -> Result<(), ReportError> {
    let mut csv = csv_with_header(out, &HEADER)?;
    let mut bands: Vec<Band> = PRICE_BANDS_KES.iter().map(|_| Band::default()).collect();
    snapshot.for_each_order(|_, order| {
        let story = Story::of(order);
        let band = &mut bands[price_band(unit_price_minor(order))];
        if story.delivered.is_some_and(|d| period.contains(d)) {
            band.orders += 1;
            band.units += u64::from(order.quantity);
            band.sales += order.price_minor;
            if let Some(artisan) = story.artisan.filter(|a| !band.artisans.contains(*a)) {
                band.artisans.insert(artisan.to_string());
            }
        }
        if story.cancelled.is_some_and(|d| period.contains(d)) {
            band.cancelled += 1;
        }
        Ok(())
    })?;
    for (i, band) in bands.iter().enumerate() {
        let (from, to) = band_bounds_minor(i);
        csv.write_record([
            band_label(i),
            from.to_string(),
            to.map(|t| t.to_string()).unwrap_or_default(),
            band.orders.to_string(),
            band.units.to_string(),
            band.sales.to_string(),
            band.artisans.len().to_string(),
            band.cancelled.to_string(),
        ])?;
    }
    csv.flush()?;
    Ok(())
}
