//! A product's stock level as the UI shows it.

#[derive(Clone, Debug, PartialEq)]
pub struct StockLevel {
    pub product_id: String,
    /// The product's title when this phone knows the draft.
    pub title: Option<String>,
    pub quantity: i64,
}

/// One movement of a product's stock at the depot, newest first in a list.
#[derive(Clone, Debug, PartialEq)]
pub struct StockMovement {
    /// Units in (positive) or out (negative).
    pub delta: i64,
    /// "received", "shipped", "count_correction", ... as the depot staff wrote it.
    pub reason: String,
    pub at_ms: u64,
    /// Recorded on this phone and not yet applied by the depot.
    pub pending: bool,
}
