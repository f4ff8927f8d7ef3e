//! Sync across the FFI: `SyncService` (enroll, sync now, its status and cost before and after,
//! the data saver, enrollments and devices).
//! The outbox, orders, review, stock and profiles add their methods to it in their own files.

use crate::error::FundiError;
use fundi_core::replica::{
    self as core, Enrollment, PartTally, SyncEstimate, SyncPhase, SyncReport, SyncStatus, SyncTally, Traffic, WireStats,
};
use fundi_core::Store;
use fundi_sync::{EnrollmentCode, Role};
use std::sync::Arc;

#[uniffi::remote(Enum)]
pub enum Role {
    Artisan,
    Mentor,
    Staff,
    Operations,
}

#[uniffi::remote(Enum)]
pub enum SyncPhase {
    Pushing,
    Pulling,
    Done,
}

/// Told how a sync goes; called on the thread that runs `sync_now`.
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    fn on_progress(&self, phase: SyncPhase, done: u32, total: u32);
}

#[uniffi::remote(Record)]
pub struct Enrollment {
    pub account_id: String,
    pub role: Role,
}

#[uniffi::remote(Record)]
pub struct WireStats {
    pub round_trips: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

#[uniffi::remote(Record)]
pub struct SyncReport {
    /// Local changes the depot applied.
    pub pushed: u32,
    /// Local changes the depot refused (now wedged, with their reason).
    pub refused: u32,
    /// Records received.
    pub pulled: u32,
    pub wire: WireStats,
}

#[uniffi::remote(Record)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub role: Option<Role>,
    pub account_id: Option<String>,
    pub pending: u32,
    pub wedged: u32,
    pub conflicts: u32,
    /// Records kept but not shown because this app version cannot show them (sent by a newer
    /// app or depot): "update the app to see N more".
    pub needs_newer_app: u32,
    pub last_sync_ms: Option<u64>,
    /// Why the last sync failed, if it did (cleared by the next success).
    pub last_error: Option<String>,
    /// What the last sync (and the uploads after it) cost on the wire; null before the first.
    pub last_tally: Option<SyncTally>,
    /// Full photos wait for an unmetered network (the default).
    pub data_saver: bool,
}

/// One part of a sync: items that went or came, and what they cost on the wire.
#[uniffi::remote(Record)]
pub struct PartTally {
    pub items: u32,
    pub wire: WireStats,
}

/// What the last sync cost: records, then the thumbnails and photos uploaded after it.
#[uniffi::remote(Record)]
pub struct SyncTally {
    pub at_ms: u64,
    pub records: PartTally,
    pub thumbnails: PartTally,
    pub photos: PartTally,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// Items and their bytes, one way.
#[uniffi::remote(Record)]
pub struct Traffic {
    pub items: u32,
    pub bytes: u64,
}

/// What the next sync and its uploads will cost, before it runs.
#[uniffi::remote(Record)]
pub struct SyncEstimate {
    pub records_out: Traffic,
    /// Null when the depot was not asked. Bytes before compression: at most this much.
    pub records_in: Option<Traffic>,
    pub exits_in: u32,
    /// The pull will be a full re-sync from the start.
    pub resync: bool,
    pub thumbnails_out: Traffic,
    pub photos_out: Traffic,
    /// Photos that wait for an unmetered network (data saver on).
    pub photos_held_back: Traffic,
    /// Review photos a reviewer's phone would fetch after the sync: null unless estimated by
    /// `ReviewPhotoService.sync_estimate` with the depot asked.
    pub review_photos_in: Option<Traffic>,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

/// A new account's one-time code, typed into its phone once; valid 7 days.
#[uniffi::remote(Record)]
pub struct EnrollmentCode {
    pub account_id: String,
    pub code: String,
    pub expires_ms: u64,
}

/// A typed enrollment code as printed (`0FFF-3A15-4537`: spaces, dashes and case set aside),
/// or null when it cannot be a code (12 characters 0-9, A-F), before asking the depot.
#[uniffi::export]
pub fn format_enrollment_code(typed: String) -> Option<String> {
    fundi_sync::enrollment::normalize_code(&typed).ok().map(|n| fundi_sync::enrollment::format_code(&n))
}

/// Call a Kotlin listener. An exception it throws comes back as a panic (uniffi's contract for
/// callbacks without an error type); it is caught here, so that a faulty progress bar never
/// cuts a sync or an upload short, nor unwinds through the core.
pub(crate) fn tell(call: impl FnOnce()) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call));
}

/// Kotlin's listener as the core's.
struct Listener(Arc<dyn SyncListener>);

impl core::SyncListener for Listener {
    fn on_progress(&self, phase: SyncPhase, done: u32, total: u32) {
        tell(|| self.0.on_progress(phase, done, total))
    }
}

/// The sync side of the phone, from [`crate::FundiPhone::sync`]. Calls block on SQLite and the
/// network: call them off the main thread.
#[derive(uniffi::Object)]
pub struct SyncService {
    pub(crate) inner: Arc<Store>,
}

#[uniffi::export]
impl SyncService {
    pub fn enroll_device(&self, server_url: String, code: String) -> Result<Enrollment, FundiError> {
        Ok(self.inner.enroll_device(&server_url, &code)?)
    }

    pub fn sync_now(&self, listener: Option<Arc<dyn SyncListener>>) -> Result<SyncReport, FundiError> {
        let listener = listener.map(Listener);
        Ok(self.inner.sync_now(listener.as_ref().map(|l| l as &dyn core::SyncListener))?)
    }

    pub fn sync_status(&self) -> Result<SyncStatus, FundiError> {
        Ok(self.inner.sync_status()?)
    }

    /// Turn the data saver on (full photos wait for an unmetered network) or off.
    pub fn set_data_saver(&self, on: bool) -> Result<(), FundiError> {
        Ok(self.inner.set_data_saver(on)?)
    }

    /// What the next sync and its uploads will cost on this network (`unmetered`: as Android's
    /// ConnectivityManager says). `ask_depot`: also ask the depot what the pull would bring
    /// (needs the network: call it off the main thread); without, `records_in` is null.
    pub fn sync_estimate(&self, unmetered: bool, ask_depot: bool) -> Result<SyncEstimate, FundiError> {
        Ok(self.inner.sync_estimate(unmetered, ask_depot)?)
    }

    /// Create an account and its one-time code (a mentor for a mentee, staff for an artisan,
    /// operations for anyone). Needs the network.
    pub fn create_enrollment(&self, role: Role, name: String) -> Result<EnrollmentCode, FundiError> {
        Ok(self.inner.create_enrollment(role, &name)?)
    }

    /// Revoke a lost phone by its device id. Needs the network.
    pub fn revoke_device(&self, device_id: String) -> Result<(), FundiError> {
        Ok(self.inner.revoke_device(&device_id)?)
    }

    /// This phone's permanent device id.
    pub fn device_id(&self) -> Result<String, FundiError> {
        Ok(self.inner.device_id()?)
    }
}
