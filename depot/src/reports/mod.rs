//! Monitoring-and-evaluation reports (issue 11 item 5, ADR 0022): the questions the
//! programme's evaluators ask — who sells, what sells, at what price, how fast — answered as CSV
//! files streamed to any `std::io::Write`. Each report reads one consistent snapshot of the
//! store through a read-only connection of its own ([`db::Snapshot`]), walks the orders once,
//! row by row, and keeps only aggregates keyed by artisan, product, price band or month: its
//! memory grows with those keys, never with the number of orders. The rows are written once the
//! walk is done; the header row goes out first, before the walk.
//!
//! `rules` holds what an order's history means for the reports (pure), `db` the only SQL, and
//! one file per report its rows: `sales`, `price_bands`, `cohorts`, `lead_times`, `quality`,
//! `active`. The command line (`fundi-depot report`) and `GET /v1/reports/{name}` (operations
//! only) both call [`Report::write`].

pub mod db;
pub mod rules;

mod active;
mod cohorts;
mod lead_times;
mod price_bands;
mod quality;
mod sales;
#[cfg(test)]
mod tests;

use crate::store::ApiError;
use db::Snapshot;
use fundi_sync::dates::{Day, DayError};
pub use rules::Period;
use std::io::Write;

/// The reports there are, by the name the command line and the URL give them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    Sales,
    PriceBands,
    Cohorts,
    LeadTimes,
    Quality,
    Active,
}

impl Report {
    pub const ALL: [Report; 6] =
        [Report::Sales, Report::PriceBands, Report::Cohorts, Report::LeadTimes, Report::Quality, Report::Active];

    pub fn name(self) -> &'static str {
        match self {
            Report::Sales => "sales",
            Report::PriceBands => "price-bands",
            Report::Cohorts => "cohorts",
            Report::LeadTimes => "lead-times",
            Report::Quality => "quality",
            Report::Active => "active",
        }
    }

    pub fn from_name(name: &str) -> Result<Report, ReportError> {
        Report::ALL
            .into_iter()
            .find(|r| r.name() == name)
            .ok_or_else(|| ReportError::UnknownReport(name.chars().take(64).collect()))
    }

    /// Write the report for `period` from `snapshot` to `out`, as CSV with a header row, and
    /// flush it.
    pub fn write<W: Write>(self, snapshot: &Snapshot, period: &Period, out: W) -> Result<(), ReportError> {
        match self {
            Report::Sales => sales::write(snapshot, period, out),
            Report::PriceBands => price_bands::write(snapshot, period, out),
            Report::Cohorts => cohorts::write(snapshot, period, out),
            Report::LeadTimes => lead_times::write(snapshot, period, out),
            Report::Quality => quality::write(snapshot, period, out),
            Report::Active => active::write(snapshot, period, out),
        }
    }

    /// A file name for the report of `period`: `fundi-sales-2026-09-01-2026-09-30.csv`.
    pub fn file_name(self, period: &Period) -> String {
        let day = |d: Option<Day>| d.map_or_else(|| "all".to_string(), |d| d.to_string());
        match (period.from, period.to) {
            (None, None) => format!("fundi-{}.csv", self.name()),
            (from, to) => format!("fundi-{}-{}-{}.csv", self.name(), day(from), day(to)),
        }
    }
}

impl Period {
    /// The period between two optional days (`YYYY-MM-DD`, both included).
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Period, ReportError> {
        let day = |which: &'static str, text: Option<&str>| {
            text.map(|t| Day::parse(t).map_err(|why| ReportError::BadDay { which, why })).transpose()
        };
        let period = Period { from: day("from", from)?, to: day("to", to)? };
        if let (Some(from), Some(to)) = (period.from, period.to) {
            if to < from {
                return Err(ReportError::PeriodReversed { from, to });
            }
        }
        Ok(period)
    }
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no report is called {0:?} (there are sales, price-bands, cohorts, lead-times, quality and active)")]
    UnknownReport(String),
    #[error("{which}: {why}")]
    BadDay { which: &'static str, why: DayError },
    #[error("the period ends ({to}) before it starts ({from})")]
    PeriodReversed { from: Day, to: Day },
    #[error("reading the store: {0}")]
    Store(#[from] rusqlite::Error),
    #[error("reading the store: {0}")]
    Sql(#[from] crate::store::sql::Error),
    #[error("opening the store: {0}")]
    Open(String),
    #[error("the stored {kind} {id} cannot be read: {why}")]
    Record { kind: &'static str, id: String, why: String },
    #[error("writing the report: {0}")]
    Write(#[from] std::io::Error),
    #[error("writing the report: {0}")]
    Csv(#[from] csv::Error),
    #[error("the report was stopped: nobody reads it any more")]
    Cancelled,
}

impl ReportError {
    fn record(kind: &'static str, id: &str, why: impl std::fmt::Display) -> ReportError {
        ReportError::Record { kind, id: id.to_string(), why: why.to_string() }
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> ApiError {
        match e {
            ReportError::UnknownReport(_) => ApiError::not_found(e.to_string()),
            ReportError::BadDay { .. } | ReportError::PeriodReversed { .. } => ApiError::invalid(e.to_string()),
            ReportError::Store(e) => e.into(),
            ReportError::Sql(e) => e.into(),
            other => ApiError::internal(other.to_string()),
        }
    }
}

/// A CSV writer over `out` that has written `header` and flushed it (so that a reader over
/// HTTP gets the header at once, before the orders are read).
fn csv_with_header<W: Write>(out: W, header: &[&str]) -> Result<csv::Writer<W>, ReportError> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(out);
    w.write_record(header)?;
    w.flush()?;
    Ok(w)
}
