//! A mentor's mentees across the FFI: who they are and how each stands, as of the last sync.

use crate::error::FundiError;
use crate::sync::SyncService;
use fundi_core::mentees::{MenteeDevice, MenteeView};

#[uniffi::remote(Record)]
pub struct MenteeView {
    pub account_id: String,
    pub name: String,
    /// Her phones enrolled and not revoked (0: not enrolled yet, or revoked).
    pub phones: u32,
    /// A one-time code issued for her, neither used nor expired.
    pub code_waiting: bool,
    /// When one of her phones last reached the depot, as of this phone's last sync.
    pub last_seen_ms: Option<u64>,
    /// Her drafts waiting for review.
    pub drafts_waiting: u32,
    /// Her orders past their due day that she still owes.
    pub late_orders: u32,
    /// Her phones, most recently seen first: revoke a lost one with `SyncService.revoke_device`.
    pub devices: Vec<MenteeDevice>,
}

/// One of a mentee's phones.
#[uniffi::remote(Record)]
pub struct MenteeDevice {
    pub device_id: String,
    pub enrolled_ms: u64,
    pub last_seen_ms: Option<u64>,
}

#[uniffi::export]
impl SyncService {
    /// This mentor's mentees by name, as of the last sync (fetched at each sync; empty for
    /// other roles).
    pub fn mentees(&self) -> Result<Vec<MenteeView>, FundiError> {
        Ok(self.inner.mentees()?)
    }
}
