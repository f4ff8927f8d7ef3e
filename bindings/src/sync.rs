//! Sync across the FFI: `SyncService` (enroll, sync now, its status, enrollments and devices).
//! The outbox, orders, review, stock and profiles add their methods to it in their own files.

use crate::error::FundiError;
use fundi_core::replica::{self as core, Enrollment, SyncPhase, SyncReport, SyncStatus, WireStats};
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

/// Kotlin's listener as the core's.
struct Listener(Arc<dyn SyncListener>);

impl core::SyncListener for Listener {
    fn on_progress(&self, phase: SyncPhase, done: u32, total: u32) {
        self.0.on_progress(phase, done, total)
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
