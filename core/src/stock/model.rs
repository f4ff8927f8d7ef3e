//! A product's stock level as the UI shows it.

#[derive(Clone, Debug, PartialEq)]
pub struct StockLevel {
    pub product_id: String,
    /// The product's title when this phone knows the draft.
    pub title: Option<String>,
    pub quantity: i64,
}
