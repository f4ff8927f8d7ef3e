//! The enrolled account and this phone's sync state (the `sync_state` row): which depot, which
//! account and role, the credential, the feed cursor, the next mutation counter, and how the
//! last sync went. Every feature asks here who the user is; only `db.rs` touches the row.
//! `error` holds the typed sync errors (offline, unauthorized, not enrolled, ...).

pub(crate) mod db;
mod error;

pub use error::{SyncError, WireStats};
