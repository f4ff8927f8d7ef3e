//! fundi-core: the phone's core. It owns the phone's one SQLite file and drives the sync
//! protocol (`fundi-sync`, shared with the depot) over HTTP. Layers, bottom up:
//! - [`storage`]: the SQLite file, its numbered migrations and the persisted clock.
//! - [`drafts`], [`photos`]: catalog drafts and their photos (the photo pipeline is pure).
//! - [`outbox`], [`replica`]: the durable send queue and the sync client with the views of
//!   what the depot sent (orders, stock, review, profiles, conflicts).
//! - [`store::Store`]: the one handle the bindings hold; each feature adds its own `impl Store`
//!   block in its own module, so the handle never becomes a god object.
//!
//! This crate knows nothing of uniffi, Kotlin or Android (see `bindings/` for that).

pub mod drafts;
pub mod error;
pub mod outbox;
pub mod photos;
pub mod replica;
pub mod storage;
pub mod store;

pub use error::{Error, NotAllowedReason, Result};
/// The protocol crate's value types, re-exported for the bindings and tests.
pub use fundi_sync::{hlc, ids, money};
pub use store::Store;
