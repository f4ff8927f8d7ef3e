//! `active`: how many artisans work with the programme, per month. An artisan is active in a
//! month when, on one of her orders, she issued a command that only the order's artisan issues
//! (accept, decline, start production, mark ready, rework) or the order was delivered, dated in
//! that month (`rules::Story::active_days`). A row per month, without gaps, from the period's
//! first month (or the first month anyone enrolled or was active) to its last (or the last
//! month anyone enrolled or was active): the artisans enrolled by the month's end, those
//! enrolled in it, the active ones and those with a delivery. A month cut by the period counts
//! only its days inside it.

use super::db::Snapshot;
use super::rules::{Month, Period, Story};
use super::{csv_with_header, ReportError};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;

const HEADER: [&str; 5] = ["month", "enrolled_artisans", "new_artisans", "active_artisans", "selling_artisans"];

#[derive(Default)]
struct Seen {
    active: HashSet<String>,
    selling: HashSet<String>,
}

fn note(set: &mut HashSet<String>, artisan: &str) {
    if !set.contains(artisan) {
        set.insert(artisan.to_string());
    }
}

pub fn write<W: Write>(snapshot: &Snapshot, period: &Period, out: W) -> Result<(), ReportError> {
    let mut csv = csv_with_header(out, &HEADER)?;
    let accounts = snapshot.accounts()?;
    let mut months: BTreeMap<Month, Seen> = BTreeMap::new();
    snapshot.for_each_order(|_, order| {
        let story = Story::of(order);
        let Some(artisan) = story.artisan else { return Ok(()) };
        for day in story.active_days().filter(|d| period.contains(*d)) {
            note(&mut months.entry(Month::of(day)).or_default().active, artisan);
        }
        if let Some(day) = story.delivered.filter(|d| period.contains(*d)) {
            note(&mut months.entry(Month::of(day)).or_default().selling, artisan);
        }
        Ok(())
    })?;
    // Enrollments by month, up to the period's end (the months before its start count towards
    // those enrolled, not towards the new ones).
    let mut enrolled: BTreeMap<Month, (u64, u64)> = BTreeMap::new();
    for (_, artisan) in accounts.artisans() {
        if period.to.is_some_and(|to| artisan.enrolled > to) {
            continue;
        }
        let (all, new) = enrolled.entry(Month::of(artisan.enrolled)).or_default();
        *all += 1;
        *new += u64::from(period.contains(artisan.enrolled));
    }
    let seen = || months.keys().chain(enrolled.keys()).copied();
    let (Some(first), Some(last)) = (period.from.map(Month::of).or(seen().min()), period.to.map(Month::of).or(seen().max()))
    else {
        csv.flush()?;
        return Ok(());
    };
    let mut so_far: u64 = enrolled.range(..first).map(|(_, (all, _))| all).sum();
    let mut month = first;
    while month <= last {
        let (all, new) = enrolled.get(&month).copied().unwrap_or_default();
        so_far += all;
        let s = months.get(&month);
        csv.write_record([
            month.to_string(),
            so_far.to_string(),
            new.to_string(),
            s.map_or(0, |s| s.active.len()).to_string(),
            s.map_or(0, |s| s.selling.len()).to_string(),
        ])?;
        month = month.next();
    }
    csv.flush()?;
    Ok(())
}
