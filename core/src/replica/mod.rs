//! The phone side of sync: enrolling with a depot, the sync engine (push the outbox, then pull
//! the change feed), and applying what the depot sends through the feature that owns each
//! record (orders, stock, documents, conflicts, drafts).
//!
//! - `client`: the HTTP transport (feature `http`, on by default; the depot builds without it).
//! - `status`: the sync state the UI shows, without the network.
//! - `engine` (feature `http`): enroll, sync now (push then pull over `fundi_sync::phone`'s
//!   steps), the clock learnt from the depot.
//! - `rebase`: re-stamping edits made while the clock ran ahead (never accepted anywhere).
//! - `apply`: pulled records into SQLite, merged by the same pure rules the depot runs; a
//!   record that leaves the phone (scope exit, `gone`, swept) goes through `leave`.
//! - `sweep`: the marks of a full re-sync after an expired cursor, and the sweep at its end.
//! - `upload` (feature `http`): the upload queue's photos and thumbnails sent over tus,
//!   resumed from the depot's offset, with progress per chunk.
//! - `estimate` (feature `http`): before a sync, what it will send and receive (records,
//!   thumbnails, photos); `tally`: after it, what it did (kept for the home screen).
//! - `download` (feature `http`): the review cache filled with the thumbnails (and on Wi-Fi
//!   the photos) of the drafts this phone reviews.
//!
//! Network calls never hold the database lock: the UI keeps reading and editing during a sync.

mod apply;
#[cfg(test)]
mod catalog_tests;
#[cfg(feature = "http")]
pub mod client;
#[cfg(feature = "http")]
mod download;
#[cfg(feature = "http")]
mod engine;
#[cfg(feature = "http")]
mod estimate;
mod leave;
#[cfg(feature = "http")]
pub mod pinning;
mod rebase;
mod status;
mod sweep;
mod tally;
#[cfg(feature = "http")]
mod upload;

pub use crate::account::{SyncError, WireStats};
#[cfg(feature = "http")]
pub use estimate::{SyncEstimate, Traffic};
pub use status::{Enrollment, SyncListener, SyncPhase, SyncReport, SyncStatus};
pub use tally::{PartTally, SyncTally};
// The views' types live in their features; re-exported here for the bindings' paths.
pub use crate::conflicts::ConflictItem;
pub use crate::orders::OrderView;
pub use crate::review::ReviewDraft;
pub use crate::stock::{StockLevel, StockMovement};
