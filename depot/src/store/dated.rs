//! Values that apply from a day on: the mentors' commission rate (ADR 0020) and the exchange
//! rate of each shop currency (ADR 0027). Each is a table of rows never changed, keyed by the
//! day a value starts to apply (`effective_day`, `YYYY-MM-DD` in the deployment's calendar) and,
//! for a value per currency, by that key too; the value in force on a day is the latest one from
//! a day not after it. A new value is a new row; a second value for the same key and day is
//! refused by the caller, so what applied when stays readable.

use super::ApiError;
use crate::store::sql::{params, OptionalExtension, Tx};
use fundi_sync::dates::Day;

/// One history table: its name, its value's column, and the column of its key (if the value is
/// kept per key, as an exchange rate is per currency).
pub struct DatedValues {
    pub table: &'static str,
    pub value: &'static str,
    pub key: Option<&'static str>,
}

/// One row of a history: its key (if the table has one), its first day, its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatedValue {
    pub key: Option<String>,
    pub from: String,
    pub value: i64,
}

impl DatedValues {
    /// SQL that holds for the rows of `?2`'s key (every row, for a table without a key).
    fn of_key(&self) -> String {
        match self.key {
            Some(k) => format!("{k} = ?2"),
            None => "CAST(?2 AS TEXT) IS NULL".into(),
        }
    }

    /// The value in force on `day` for `key`: the latest one whose day is not after it.
    pub fn on(&self, tx: &Tx, key: Option<&str>, day: Day) -> Result<Option<i64>, ApiError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE effective_day <= ?1 AND {} ORDER BY effective_day DESC LIMIT 1",
            self.value,
            self.table,
            self.of_key()
        );
        Ok(tx.prepare_cached(&sql)?.query_row(params![day.to_string(), key], |r| r.get(0)).optional()?)
    }

    /// Add `value` for `key` from `from` on, set by `set_by`; false (and nothing written) when a
    /// value from that day is there already.
    pub fn add(&self, tx: &Tx, key: Option<&str>, from: Day, value: i64, set_by: &str) -> Result<bool, ApiError> {
        let (columns, values) = match self.key {
            Some(k) => (format!("{k}, "), "?5, "),
            None => (String::new(), ""),
        };
        let sql = format!(
            "INSERT INTO {} ({columns}effective_day, {}, set_by, set_ms) VALUES ({values}?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            self.table, self.value
        );
        let now = super::now_ms() as i64;
        let inserted = match key {
            Some(key) => tx.execute(&sql, params![from.to_string(), value, set_by, now, key])?,
            None => tx.execute(&sql, params![from.to_string(), value, set_by, now])?,
        };
        Ok(inserted == 1)
    }

    /// Every row, by key then day.
    pub fn all(&self, tx: &Tx) -> Result<Vec<DatedValue>, ApiError> {
        let sql = match self.key {
            Some(key) => format!("SELECT {key}, effective_day, {} FROM {} ORDER BY {key}, effective_day", self.value, self.table),
            None => format!("SELECT NULL, effective_day, {} FROM {} ORDER BY effective_day", self.value, self.table),
        };
        let mut q = tx.prepare_cached(&sql)?;
        let rows = q.query_map([], |r| Ok(DatedValue { key: r.get(0)?, from: r.get(1)?, value: r.get(2)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
