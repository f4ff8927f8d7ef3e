//! Her published catalog across the FFI (issue 15 item 4): the products the depot made of her
//! approved drafts, with their shop listing, the pieces at the depot and any new version on its
//! way. Read-only: the depot writes products.

use crate::error::FundiError;
use crate::sync::SyncService;
use fundi_core::money::Language;
use fundi_core::products::{ListingState, MyProduct};
use fundi_sync::DraftStatus;

/// How operations list a product in the shop.
#[uniffi::remote(Enum)]
pub enum ListingState {
    /// Approved, waiting for a shop price: not on sale yet.
    AwaitingPrice,
    /// On sale in the shop.
    Published,
    /// Taken off sale by operations.
    Unpublished,
}

#[uniffi::remote(Record)]
pub struct MyProduct {
    /// The product's id (the id of the draft it was approved from).
    pub id: String,
    /// The approved version's title (what shoppers see).
    pub title: String,
    pub version: u32,
    pub listing: ListingState,
    /// Shoppers may see and buy it now.
    pub on_sale: bool,
    /// The shop's price for one piece, in minor units of `shop_currency`, once set.
    pub shop_price_minor: Option<i64>,
    pub shop_currency: Option<String>,
    /// Her approved price for one piece, KES minor units.
    pub price_minor: i64,
    pub weekly_capacity: u32,
    /// She makes it to order when the depot has none.
    pub made_to_order: bool,
    /// Pieces the depot holds for it.
    pub pieces_at_depot: i64,
    pub approved_ms: u64,
    /// The status of a new version being written or in review; null when there is none.
    pub next_version: Option<DraftStatus>,
}

/// A shop price as the screens show it: "USD 25", "EUR 12.50" (`MyProduct.shop_price_minor`
/// in `shop_currency`).
#[uniffi::export]
pub fn format_shop_price(minor: i64, currency: String, language: Language) -> String {
    fundi_core::products::format_shop_price(minor, &currency, language)
}

#[uniffi::export]
impl SyncService {
    /// Her products, newest approval first (empty before her first approval).
    pub fn my_products(&self) -> Result<Vec<MyProduct>, FundiError> {
        Ok(self.inner.my_products()?)
    }
}
