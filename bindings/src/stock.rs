//! Stock across the FFI: levels at the depot and the entries this phone records.

use crate::error::FundiError;
use crate::sync::SyncService;
use fundi_core::replica::{StockLevel, StockMovement};

#[uniffi::remote(Record)]
pub struct StockLevel {
    pub product_id: String,
    /// The product's title when this phone knows the draft.
    pub title: Option<String>,
    pub quantity: i64,
}

/// One movement of a product's stock at the depot.
#[uniffi::remote(Record)]
pub struct StockMovement {
    pub delta: i64,
    pub reason: String,
    pub at_ms: u64,
    /// Recorded on this phone, not yet applied by the depot.
    pub pending: bool,
}

#[uniffi::export]
impl SyncService {
    /// One product's movements, newest first (the depot's and this phone's pending ones).
    pub fn stock_movements(&self, product_id: String) -> Result<Vec<StockMovement>, FundiError> {
        Ok(self.inner.stock_movements(&product_id)?)
    }

    pub fn stock_levels(&self) -> Result<Vec<StockLevel>, FundiError> {
        Ok(self.inner.stock_levels()?)
    }

    pub fn record_stock(&self, product_id: String, delta: i64, reason: String) -> Result<(), FundiError> {
        Ok(self.inner.record_stock(&product_id, delta, &reason)?)
    }
}
