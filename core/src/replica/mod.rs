//! The phone side of sync: enrolling with a depot, the sync engine (push the outbox, then pull
//! the change feed), applying what the depot sends, and the views the UI needs: orders with
//! pending commands replayed over the last server state, stock, conflicts, sync state.
//!
//! - `client`: the HTTP transport (feature `http`, on by default; the depot builds without it).
//! - `error`: the typed sync errors and the wire statistics.
//! - `status`: the sync state the UI shows, without the network.
//! - `engine` (feature `http`): enroll, sync now (push then pull over `fundi_sync::phone`'s
//!   steps), the clock learnt from the depot.
//! - `rebase`: re-stamping edits made while the clock ran ahead (never accepted anywhere).
//! - `apply`: pulled records into SQLite, merged by the same pure rules the depot runs.
//! - `views`: orders and their commands, draft review, stock, conflicts and their resolution.
//!
//! Network calls never hold the database lock: the UI keeps reading and editing during a sync.

// Without the HTTP client nothing drives the apply and settle steps (the depot's build).
#![cfg_attr(not(feature = "http"), allow(dead_code))]

mod apply;
#[cfg(feature = "http")]
pub mod client;
#[cfg(feature = "http")]
mod engine;
mod error;
mod rebase;
mod status;
mod views;

pub use error::{SyncError, WireStats};
pub use status::{Enrollment, SyncListener, SyncPhase, SyncReport, SyncStatus};
pub use views::{ConflictItem, OrderView, ReviewDraft, StockLevel};
