//! The enrolled account and this phone's sync state (the `sync_state` row): which depot, which
//! account and role, the credential, the feed cursor, the next mutation counter, and how the
//! last sync went. Every feature asks here who the user is; only `db.rs` touches the row.
//! `error` holds what a sync costs on the wire.

pub(crate) mod db;
mod error;

pub use crate::error::SyncError;
pub use error::WireStats;
