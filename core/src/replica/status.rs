//! Sync state without the network: the types the UI sees (phase, report, status, enrollment),
//! the sync status, this phone's device id and the clock checks tests make.

use crate::error::Result;
use crate::storage::{load_clock, set_clock_skew};
use crate::Store;
use fundi_sync::hlc::Timestamp;
use fundi_sync::Role;
use rusqlite::Connection;

pub use super::error::WireStats;

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
    pub last_sync_ms: Option<u64>,
    /// Why the last sync failed, if it did (cleared by the next success).
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    pub account_id: String,
    pub role: Role,
}

pub(crate) fn device_id(conn: &Connection) -> Result<String> {
    Ok(conn.query_row("SELECT device_id FROM device", [], |r| r.get(0))?)
}

impl Store {
    pub fn sync_status(&self) -> Result<SyncStatus> {
        self.read(|c| {
            let (account_id, role, last_sync, last_error): (Option<String>, Option<String>, Option<i64>, Option<String>) = c
                .query_row("SELECT account_id, role, last_sync_ms, last_error FROM sync_state WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?;
            let count = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as u32);
            Ok(SyncStatus {
                enrolled: account_id.is_some(),
                role: role.as_deref().and_then(Role::from_code),
                account_id,
                pending: count("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")?,
                wedged: count("SELECT COUNT(*) FROM outbox WHERE state = 'wedged'")?,
                conflicts: count(
                    "SELECT (SELECT COUNT(*) FROM conflicts) + (SELECT COUNT(*) FROM outbox WHERE state = 'wedged')",
                )?,
                last_sync_ms: last_sync.map(|m| m as u64),
                last_error,
            })
        })
    }

    /// This phone's permanent device id (what a mentor or operations revoke when it is lost).
    pub fn device_id(&self) -> Result<String> {
        self.read(device_id)
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
