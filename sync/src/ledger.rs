//! Ledgers (stock movements): append-only entries with ids. A quantity is the sum of its
//! entries, so two staff counting stock at once add up instead of overwriting each other, and
//! an entry delivered twice counts once (same id, same content).

use super::wire::{Extra, RejectCode, Rejection};
use crate::hlc::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::limits::{STOCK_DELTA_MAX as MAX_DELTA, STOCK_REASON_MAX_BYTES};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LedgerEntry {
    pub id: String,
    /// The product (an approved draft's id).
    pub product_id: String,
    /// Units in (positive) or out (negative).
    pub delta: i64,
    /// "received", "shipped", "count_correction", ...
    pub reason: String,
    pub hlc: Timestamp,
    #[serde(flatten)]
    pub extra: Extra,
}

impl LedgerEntry {
    pub fn check(&self) -> Result<(), Rejection> {
        if self.delta == 0 || self.delta.abs() > MAX_DELTA {
            return Err(Rejection::new(RejectCode::Invalid, format!("delta must be non-zero and within ±{MAX_DELTA}")));
        }
        if self.reason.is_empty() || self.reason.len() > STOCK_REASON_MAX_BYTES {
            return Err(Rejection::new(RejectCode::Invalid, "reason must be 1 to 64 bytes"));
        }
        Ok(())
    }
}

/// A set of entries, keyed by id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ledger {
    pub entries: BTreeMap<String, LedgerEntry>,
}

impl Ledger {
    /// Add an entry. `Ok(true)` if new, `Ok(false)` if the very same entry was already there.
    pub fn append(&mut self, entry: LedgerEntry) -> Result<bool, Rejection> {
        entry.check()?;
        match self.entries.get(&entry.id) {
            Some(e) if *e == entry => Ok(false),
            Some(_) => Err(Rejection::new(RejectCode::IdReused, "entry id already used for another entry")),
            None => {
                self.entries.insert(entry.id.clone(), entry);
                Ok(true)
            }
        }
    }

    pub fn balance(&self, product_id: &str) -> i64 {
        balance(self.entries.values().filter(|e| e.product_id == product_id))
    }
}

/// The quantity a set of entries amounts to.
pub fn balance<'a>(entries: impl IntoIterator<Item = &'a LedgerEntry>) -> i64 {
    entries.into_iter().map(|e| e.delta).sum()
}

/// Quantity per product.
pub fn sum_by_product<'a>(entries: impl IntoIterator<Item = &'a LedgerEntry>) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for e in entries {
        *out.entry(e.product_id.clone()).or_insert(0) += e.delta;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: &str, delta: i64) -> LedgerEntry {
        LedgerEntry {
            id: id.into(),
            product_id: "p".into(),
            delta,
            reason: "received".into(),
            hlc: Timestamp { wall_ms: 1, counter: 0, node: 1 },
            extra: Extra::new(),
        }
    }

    #[test]
    fn concurrent_movements_add_up_and_duplicates_count_once() {
        let mut l = Ledger::default();
        assert_eq!(l.append(e("a", 5)), Ok(true));
        assert_eq!(l.append(e("b", -2)), Ok(true));
        assert_eq!(l.append(e("a", 5)), Ok(false));
        assert_eq!(l.balance("p"), 3);
        assert_eq!(l.append(e("a", 6)).unwrap_err().code, RejectCode::IdReused);
        assert_eq!(l.append(e("c", 0)).unwrap_err().code, RejectCode::Invalid);
        assert_eq!(l.append(e("c", MAX_DELTA + 1)).unwrap_err().code, RejectCode::Invalid);
        assert_eq!(l.balance("p"), 3);
    }
}
