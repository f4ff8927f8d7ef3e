//! `quality`: the depot's quality checks per artisan and product. A row per (artisan, product)
//! checked in the period: checks (`qc_pass` and `qc_fail` events dated in the period, a
//! reworked order counting each of its checks), passes, fails, and the pass rate as a
//! percentage with one decimal.

use super::db::Snapshot;
use super::rules::{percent, Period, Story};
use super::{csv_with_header, ReportError};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;

const HEADER: [&str; 7] = ["artisan_id", "artisan_name", "product", "checks", "passes", "fails", "pass_rate_percent"];

#[derive(Default)]
struct Checked {
    passes: u64,
    fails: u64,
}

pub fn write<W: Write>(snapshot: &Snapshot, period: &Period, out: W) -> Result<(), ReportError> {
    let mut csv = csv_with_header(out, &HEADER)?;
    let accounts = snapshot.accounts()?;
    let mut checked: HashMap<String, BTreeMap<String, Checked>> = HashMap::new();
    snapshot.for_each_order(|_, order| {
        let story = Story::of(order);
        let Some(artisan) = story.artisan else { return Ok(()) };
        for (_, passed) in story.checks().filter(|(d, _)| period.contains(*d)) {
            let c = checked.entry(artisan.to_string()).or_default().entry(order.product.clone()).or_default();
            if passed {
                c.passes += 1;
            } else {
                c.fails += 1;
            }
        }
        Ok(())
    })?;
    for artisan in accounts.by_name(checked.keys().map(String::as_str)) {
        for (product, c) in &checked[artisan] {
            let checks = c.passes + c.fails;
            csv.write_record([
                artisan.to_string(),
                accounts.name(artisan).to_string(),
                product.clone(),
                checks.to_string(),
                c.passes.to_string(),
                c.fails.to_string(),
                percent(c.passes, checks),
            ])?;
        }
    }
    csv.flush()?;
    Ok(())
}
