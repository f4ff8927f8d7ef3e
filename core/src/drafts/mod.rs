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
pub use model::Draft;
pub(crate) use photos::photo_list as photo_hashes;
pub use photos::{DraftPhoto, PhotoGarbage, MAX_PHOTOS_PER_DRAFT};
