//! The sync protocol's pure half: wire types and merge rules, with no I/O, used by both the
//! phone (core's outbox and client) and the depot server, so both sides run the very same code.
//!
//! - [`wire`]: what travels over HTTP (versioned; unknown fields carried through unchanged).
//! - [`document`]: documents (drafts, profiles): per-field last-writer-wins by HLC, the losing
//!   concurrent value kept as a conflict the user can restore.
//! - [`workflow`]: the allowed-transitions tables of the order lifecycle and the draft review,
//!   with which role may issue each command.
//! - [`ledger`]: append-only entries (stock movements); quantities are sums.
//! - [`access`]: who may write which document field.
//!
//! See `docs/adr/0008-sync-protocol.md` and `docs/adr/0009-merge-rules.md`.

pub mod access;
pub mod document;
pub mod ledger;
pub mod wire;
pub mod workflow;

#[cfg(test)]
mod convergence_tests;

pub use access::{Relation, Role};
pub use document::{DocState, FieldOutcome, FieldWrite};
pub use ledger::{Ledger, LedgerEntry};
pub use wire::*;
pub use workflow::{DraftCommand, OrderCommand, OrderStatus};
