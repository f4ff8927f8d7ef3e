//! fundi-core: the phone's core. It owns the phone's one SQLite file and drives the sync
//! protocol (`fundi-sync`, shared with the depot) over HTTP. Layers, bottom up:
//! - [`storage`]: the SQLite file, its numbered migrations and the persisted clock.
//! - [`account`]: the enrolled account and the sync state row; [`outbox`]: the durable send
//!   queue (generic: it knows mutations, not features).
//! - Features, each the only owner of its tables (`db.rs`): [`drafts`] (with their photos),
//!   [`orders`], [`stock`], [`documents`] (held for others) with [`review`], [`profiles`] and
//!   [`products`] (her published catalog) over them, [`conflicts`]. [`photos`] is the photo
//!   pipeline and library (files, no SQL); [`uploads`] the queue of photo bytes to send (like
//!   the outbox, for blobs).
//! - [`replica`]: the sync engine, an adapter around the protocol's steps (`fundi_sync::phone`),
//!   applying what the depot sends through each feature.
//! - [`store::Store`]: the one handle the bindings hold; each feature adds its own `impl Store`
//!   block in its own module, so the handle never becomes a god object.
//!
//! This crate knows nothing of uniffi, Kotlin or Android (see `bindings/` for that).

// Without the HTTP client (the depot's build) nothing drives the sync engine's helpers.
#![cfg_attr(not(feature = "http"), allow(dead_code))]

pub mod account;
pub mod conflicts;
pub mod documents;
pub mod drafts;
pub mod earnings;
pub mod error;
pub mod mentees;
pub mod orders;
pub mod outbox;
pub mod photos;
pub mod products;
pub mod profiles;
pub mod replica;
pub mod review;
pub mod review_cache;
pub mod stock;
pub mod storage;
pub mod store;
pub mod uploads;

pub use error::{Error, NotAllowedReason, Result};
/// The protocol crate's value types, re-exported for the bindings and tests.
pub use fundi_sync::{hlc, ids, money};
pub use store::Store;
