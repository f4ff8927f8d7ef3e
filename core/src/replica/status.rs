//! Sync state without the network: the types the UI sees (phase, report, status, enrollment),
//! the sync status (with the last sync's tally and the data saver), this phone's device id and
//! the clock checks tests make.

use super::tally::{self, SyncTally};
use crate::error::Result;
use crate::storage::{self, load_clock, set_clock_skew};
use crate::Store;
use crate::{account, conflicts, documents, drafts, orders, outbox};
use fundi_sync::hlc::Timestamp;
use fundi_sync::Role;

pub use crate::account::WireStats;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPhase {
    Pushing,
    Pulling,
    Done,
}

/// Told how a sync goes (the UI's progress bar). Called on the syncing thread.
pub trait SyncListener: Send + Sync {
    fn on_progress(&self, phase: SyncPhase, done: u32, total: u32);
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Local changes the depot applied.
    pub pushed: u32,
    /// Local changes the depot refused (now wedged, with their reason).
    pub refused: u32,
    /// Records received.
    pub pulled: u32,
    pub wire: WireStats,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub role: Option<Role>,
    pub account_id: Option<String>,
    pub pending: u32,
    pub wedged: u32,
    pub conflicts: u32,
    /// Records kept but not shown because this build cannot show them (a newer app's or
    /// depot's: an order in an unknown status, a draft value it cannot hold, a kind it does not
    /// know): "update the app to see N more".
    pub needs_newer_app: u32,
    pub last_sync_ms: Option<u64>,
    /// Why the last sync failed, if it did (cleared by the next success).
    pub last_error: Option<String>,
    /// What the last sync (and the uploads after it) cost on the wire, by part; `None` before
    /// the first.
    pub last_tally: Option<SyncTally>,
    /// Full photos wait for an unmetered network (the default).
    pub data_saver: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    pub account_id: String,
    pub role: Role,
}

impl Store {
    pub fn sync_status(&self) -> Result<SyncStatus> {
        self.read(|c| {
            let (account_id, role, last_sync_ms, last_error) = account::db::status(c)?;
            let wedged = outbox::wedged_count(c)?;
            Ok(SyncStatus {
                enrolled: account_id.is_some(),
                role,
                account_id,
                pending: outbox::pending_count(c)?,
                wedged,
                conflicts: conflicts::db::count(c)? + wedged,
                needs_newer_app: orders::db::held_count(c)? + drafts::db::held_count(c)? + documents::db::held_count(c)?,
                last_sync_ms,
                last_error,
                last_tally: tally::last(c)?,
                data_saver: account::db::data_saver(c)?,
            })
        })
    }

    /// This phone's permanent device id (what a mentor or operations revoke when it is lost).
    pub fn device_id(&self) -> Result<String> {
        self.read(|c| Ok(storage::device_id(c)?))
    }

    /// Pretend this phone's wall clock is `ms` off (tests and demos of clock trouble).
    pub fn set_clock_skew_for_testing(&self, ms: i64) -> Result<()> {
        self.write(|tx| Ok(set_clock_skew(tx, ms)?))
    }

    /// The greatest HLC stamp this phone has issued or seen (tests check it never goes back).
    pub fn clock_high_water(&self) -> Result<Timestamp> {
        self.read(|c| Ok(load_clock(c)?.current()))
    }
}
