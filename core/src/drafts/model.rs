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

/// A draft as the drafts list shows it: the draft, how many photos it holds, and the thumbnail
/// file of its main photo (the first), `None` without photos (or when its photo list came from
/// another phone and this one holds none of its photos).
#[derive(Clone, Debug, PartialEq)]
pub struct DraftSummary {
    pub draft: Draft,
    pub photo_count: u32,
    pub main_thumbnail_path: Option<std::path::PathBuf>,
}

/// The field a refused save is first about, as the editor shows its fields top to bottom
/// ([`DraftField`]'s order): the one to scroll to, focus and announce. `None` when the
/// refusal names no field.
pub fn first_field_in_error(errors: &[fundi_sync::drafts::FieldError]) -> Option<fundi_sync::drafts::DraftField> {
    errors.iter().map(|e| e.field).min()
}
