//! Catalog drafts: the products an artisan prepares offline before a mentor or liaison reviews
//! them. `model` holds the stored draft (its field types and pure rules are the protocol crate's, `fundi_sync::drafts`), `store` the persistence and
//! the public operations on [`crate::Store`], `photos` a draft's ordered photos.

pub(crate) mod db;
mod model;
mod photos;
mod store;

pub use fundi_sync::drafts::rules as validate;
pub use fundi_sync::drafts::{Category, DraftField, DraftForm, DraftPatch, FieldError, NewDraft, Problem};
pub use fundi_sync::workflow::DraftStatus;
pub use model::{first_field_in_error, Draft, DraftSummary};
pub(crate) use photos::photo_list as photo_hashes;
pub use photos::{DraftPhoto, PhotoGarbage, MAX_PHOTOS_PER_DRAFT};
pub use store::can_revise;

/// Forget a draft entirely: its photo list, its row and its field stamps (the photo files go
/// with the next garbage collection). For a draft the depot no longer keeps.
pub(crate) fn forget(conn: &rusqlite::Connection, id: &str) -> crate::Result<()> {
    photos::unlink_draft(conn, id)?;
    db::remove(conn, id)
}
