//! The outbox and conflicts across the FFI: what waits to be sent, what the depot refused
//! (retry or discard it), and fields whose value lost a merge (restore or keep).

use crate::error::FundiError;
use crate::sync::SyncService;
use fundi_core::outbox::{ItemState, OutboxItem};
use fundi_core::replica::ConflictItem;
use fundi_sync::RejectCode;

/// Why the depot refused a change, as a code the UI can explain (from a wedged item's or a
/// refusal's `reason`).
#[uniffi::remote(Enum)]
pub enum RejectCode {
    Forbidden,
    NotFound,
    IllegalTransition,
    Invalid,
    ClockAhead,
    UnsupportedKind,
    Malformed,
    IdReused,
    TooOldToReplay,
    Locked,
    Gone,
    PhotosPending,
    Unknown,
}

/// The code of a refusal's `reason` text (`Unknown` for a code this app does not know).
#[uniffi::export]
pub fn refusal_code(reason: String) -> RejectCode {
    RejectCode::of_reason(&reason)
}

/// Where an outbox item stands.
#[uniffi::remote(Enum)]
pub enum ItemState {
    Pending,
    /// Refused by the depot: `reason` is its code and detail.
    Wedged {
        reason: String,
    },
}

#[uniffi::remote(Record)]
pub struct OutboxItem {
    pub counter: u64,
    pub kind: String,
    pub record_id: String,
    /// "edit title, price", "accept", "stock entry".
    pub summary: String,
    pub state: ItemState,
    pub attempts: u32,
}

/// A conflict to show: a field's losing value (restore it or keep the current one), a change of
/// this phone's that the depot refused (retry or discard it; id `outbox:N`), or one of this
/// account's other device (dismiss it).
#[uniffi::remote(Record)]
pub struct ConflictItem {
    pub id: String,
    pub kind: String,
    pub record_id: String,
    pub field: Option<String>,
    /// The losing value (JSON text), or what the refused change asked for.
    pub value: Option<String>,
    /// Why the depot refused (refusals only).
    pub reason: Option<String>,
    /// For a field's losing value: how many older concurrent values of the field were not kept
    /// ("N older versions not kept"); 0 otherwise.
    pub folded: u32,
}

#[uniffi::export]
impl SyncService {
    pub fn pending_count(&self) -> Result<u32, FundiError> {
        Ok(self.inner.pending_count()?)
    }

    /// Every item, oldest first.
    pub fn outbox_items(&self) -> Result<Vec<OutboxItem>, FundiError> {
        Ok(self.inner.outbox_items()?)
    }

    /// Send a wedged item again (a new counter, fresh stamps).
    pub fn retry_outbox_item(&self, counter: u64) -> Result<(), FundiError> {
        Ok(self.inner.retry_outbox_item(counter)?)
    }

    pub fn discard_outbox_item(&self, counter: u64) -> Result<(), FundiError> {
        Ok(self.inner.discard_outbox_item(counter)?)
    }

    pub fn list_conflicts(&self) -> Result<Vec<ConflictItem>, FundiError> {
        Ok(self.inner.list_conflicts()?)
    }

    /// `restore`: put the losing value back; otherwise keep the current one.
    pub fn resolve_conflict(&self, id: String, restore: bool) -> Result<(), FundiError> {
        Ok(self.inner.resolve_conflict(&id, restore)?)
    }
}
