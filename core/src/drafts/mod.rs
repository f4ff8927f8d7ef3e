//! Catalog drafts: the products an artisan prepares offline before a mentor or liaison reviews
//! them. `model` holds the types, `validate` the pure field rules, `store` the persistence and
//! the public operations on [`crate::Store`], `photos` a draft's ordered photos.

mod model;
mod photos;
mod store;
pub mod validate;

pub use model::{Category, Draft, DraftField, DraftForm, DraftPatch, DraftStatus, FieldError, NewDraft, Problem};
pub(crate) use photos::photo_list as photo_hashes;
pub use photos::{DraftPhoto, PhotoGarbage, MAX_PHOTOS_PER_DRAFT};
