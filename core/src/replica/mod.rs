//! The phone side of sync: enrolling with a depot, the sync engine (push the outbox, then pull
//! the change feed), applying what the depot sends, and the views the UI needs: orders with
//! pending commands replayed over the last server state, stock, conflicts, sync state.
//!
//! - `client`: the HTTP transport and its typed errors.
//! - `engine`: enroll, sync now (push then pull), sync state, the clock learnt from the depot.
//! - `rebase`: re-stamping edits made while the clock ran ahead (never accepted anywhere).
//! - `apply`: pulled records into SQLite, merged by the same pure rules the depot runs.
//! - `views`: orders and their commands, draft review, stock, conflicts and their resolution.
//!
//! Network calls never hold the database lock: the UI keeps reading and editing during a sync.

mod apply;
pub mod client;
mod engine;
mod rebase;
mod views;

pub use client::{SyncError, WireStats};
pub use engine::{Enrollment, SyncListener, SyncPhase, SyncReport, SyncStatus};
pub use views::{ConflictItem, OrderView, ReviewDraft, StockLevel};
