//! Stock across the FFI: levels at the depot and the entries this phone records.

use crate::error::FundiError;
use crate::sync::SyncService;
use fundi_core::replica::StockLevel;

#[uniffi::remote(Record)]
pub struct StockLevel {
    pub product_id: String,
    /// The product's title when this phone knows the draft.
    pub title: Option<String>,
    pub quantity: i64,
}

#[uniffi::export]
impl SyncService {
    pub fn stock_levels(&self) -> Result<Vec<StockLevel>, FundiError> {
        Ok(self.inner.stock_levels()?)
    }

    pub fn record_stock(&self, product_id: String, delta: i64, reason: String) -> Result<(), FundiError> {
        Ok(self.inner.record_stock(&product_id, delta, &reason)?)
    }
}
