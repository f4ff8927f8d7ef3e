//! fundi-sync: the sync protocol, shared by the phone core and the depot server so that both
//! sides run the very same code. No I/O at all: no SQLite, no HTTP, no clock reads inside the
//! rules (the wall clock is read by the callers and passed in).
//!
//! - Values: [`hlc`] (hybrid logical clock stamps), [`ids`] (UUIDv7), [`money`] (minor units).
//! - [`limits`]: every limit both sides agree on, defined once.
//! - [`wire`]: what travels over HTTP (versioned; unknown fields carried through unchanged),
//!   enrollment and credentials included.
//! - Merge rules: [`document`] (per-field last-writer-wins by HLC, losers kept as conflicts),
//!   [`workflow`] (allowed-transitions tables), [`ledger`] (append-only sums), [`access`] (who
//!   may write which field).
//! - [`catalog`]: the published product an approved draft becomes.
//! - [`drafts`], [`fields`]: draft field types and rules; the wire-level check of every
//!   document field write.
//! - [`compression`], [`hash`]: gzip framing with a bound, SHA-256 content hashes.
//! - [`uploads`]: the tus headers of resumable blob uploads (ADR 0012).
//! - [`shop`]: the shop order webhook: its body, signature and answers (ADR 0026).
//!
//! See `docs/adr/0008-sync-protocol.md` and `docs/adr/0009-merge-rules.md`.

pub mod access;
pub mod catalog;
pub mod compression;
pub mod dates;
pub mod depot;
pub mod document;
pub mod drafts;
pub mod enrollment;
pub mod fields;
pub mod hash;
pub mod hlc;
pub mod identity;
pub mod ids;
pub mod ledger;
pub mod limits;
pub mod money;
pub mod money_ledger;
pub mod phone;
pub mod roles;
pub mod shop;
pub mod uploads;
pub mod wire;
pub mod workflow;

#[doc(hidden)]
pub mod testing;

#[cfg(test)]
mod convergence_tests;

pub use document::{DocState, FieldOutcome, FieldWrite};
pub use ledger::{Ledger, LedgerEntry};
pub use roles::{Relation, Role};
pub use wire::*;
pub use workflow::{DraftCommand, DraftStatus, OrderCommand, OrderStatus};
