//! The enrolled account and this phone's sync state (the `sync_state` row): which depot, which
//! account and role, the credential, the feed cursor, the next mutation counter, and how the
//! last sync went. Every feature asks here who the user is; only `db.rs` touches the row.
//! `error` holds what a sync costs on the wire; `vault` the [`TokenVault`] that seals the device
//! token (the only form of it the row holds).

pub(crate) mod db;
mod error;
pub mod vault;

pub use crate::error::{CredentialLoss, SyncError};
pub use error::WireStats;
pub use vault::{PlaintextTokenVault, TokenVault, VaultError};

use crate::error::Result;
use rusqlite::Connection;

/// Seal a token an app before migration 015 left in clear, at the first open with a vault, then
/// vacuum the file and empty the write-ahead log, so that no freed page nor log frame keeps a
/// copy of it (best effort: a full disk leaves the copies, never the open failing). When the
/// vault fails, the clear token stays as it was (the session still uses it) and the next open
/// tries again: opening the phone's database never fails for the vault.
pub(crate) fn seal_clear_token(conn: &Connection, vault: &dyn TokenVault) -> Result<bool> {
    let Some(token) = db::clear_token(conn)? else { return Ok(false) };
    let Ok(sealed) = vault::seal(vault, &token) else { return Ok(false) };
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let replaced = db::replace_clear_token(conn, &sealed).and_then(|()| Ok(conn.execute_batch("COMMIT")?));
    if replaced.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
        return replaced.map(|()| false);
    }
    let _ = conn.execute_batch("VACUUM");
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    Ok(true)
}
