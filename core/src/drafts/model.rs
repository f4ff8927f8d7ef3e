//! A draft as the phone stores it. The field types and rules shared with the depot live in
//! the protocol crate (`fundi_sync::drafts`); the review states in `fundi_sync::workflow`.

use fundi_sync::drafts::Category;
use fundi_sync::money::Money;
use fundi_sync::workflow::DraftStatus;

/// A draft as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub id: String,
    pub title: String,
    pub description: String,
    pub materials: Vec<String>,
    pub category: Category,
    pub price: Money,
    /// How many the artisan can make in a week.
    pub weekly_capacity: u32,
    pub status: DraftStatus,
    /// Wall-clock milliseconds (from the HLC stamp) of creation and of the last change.
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
}
