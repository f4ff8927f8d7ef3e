//! One of her products as the "My products" screen shows it.

use fundi_sync::catalog::ListingState;
use fundi_sync::workflow::DraftStatus;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyProduct {
    /// The product's id: the id of the draft it was approved from.
    pub id: String,
    /// The approved version's title (what shoppers see, not the next version's).
    pub title: String,
    /// 1 for the first approval, one more at each later one.
    pub version: u32,
    /// How operations list it: waiting for a shop price, on sale, or taken off sale.
    pub listing: ListingState,
    /// Shoppers may see and buy it now (published, with a shop price).
    pub on_sale: bool,
    /// The shop's price for one piece, in minor units of `shop_currency`, once set.
    pub shop_price_minor: Option<i64>,
    pub shop_currency: Option<String>,
    /// Her approved price for one piece, KES minor units (what she earns per piece).
    pub price_minor: i64,
    /// Pieces she can make a week (the approved version's).
    pub weekly_capacity: u32,
    /// She makes it to order when the depot has none (her weekly capacity is above 0).
    pub made_to_order: bool,
    /// Pieces the depot holds for it: the sum of the stock ledger entries this phone holds
    /// (and any of its own not yet sent), as the stock screen counts them.
    pub pieces_at_depot: i64,
    /// When this version was approved (the depot's clock, ms).
    pub approved_ms: u64,
    /// The status of a new version being written or in review (its draft is no longer
    /// approved: `Draft`, `Submitted` or `ChangesRequested`); `None` when there is none.
    pub next_version: Option<DraftStatus>,
}
