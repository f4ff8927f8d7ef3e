//! fundi-core: the heart of Fundi, shared by the phone app and (later) the depot server.
//!
//! Layers, bottom up:
//! - [`hlc`], [`ids`], [`money`]: small pure value types (no I/O).
//! - [`storage`]: the one SQLite file per phone, its migrations and the persisted clock.
//! - [`drafts`]: catalog drafts (validation is pure; persistence sits on [`storage`]).
//! - [`sync`]: the sync protocol's wire types and merge rules (pure; shared with the depot server).
//! - [`outbox`], [`replica`]: the phone's durable outbox and sync client (push then pull).
//! - [`store::Store`]: the handle the bindings hold; each feature adds its own `impl Store` block
//!   in its own module, so the handle never becomes a god object.
//!
//! This crate knows nothing of uniffi, Kotlin or Android (see `bindings/` for that).

pub mod drafts;
pub mod error;
pub mod hlc;
pub mod ids;
pub mod money;
pub mod outbox;
pub mod photos;
pub mod replica;
pub mod storage;
pub mod store;
pub mod sync;
#[doc(hidden)]
pub mod testing;

pub use error::{Error, Result};
pub use store::Store;
