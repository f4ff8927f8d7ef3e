//! The only SQL on `sync_state` (but its clock columns, which `storage::clock` reads).
//!
//! The device token is kept only as the token vault sealed it (`sealed_token`, migration 015).
//! `token`, its clear column before that, is read once to be sealed at the first open of an
//! older database (`seal_clear_token` in `account`) and is never written again but to clear it.

use super::SyncError;
use crate::error::Result;
use fundi_sync::identity::KeyFingerprint;
use fundi_sync::{DeviceCredential, Role};
use rusqlite::{params, Connection};

/// The depot session as stored: where, who, the credential and the feed cursor.
pub(crate) struct SessionRow {
    pub url: String,
    pub account_id: String,
    /// The token as the vault sealed it (or, in an older database whose clear token could not
    /// be sealed yet, that clear token: see `SessionToken`).
    pub token: SessionToken,
    pub token_expires_ms: i64,
    pub cursor: u64,
    /// The depot's pinned key, and the next one it announced.
    pub depot_key: KeyFingerprint,
    pub depot_cert: Vec<u8>,
    pub depot_next_key: Option<KeyFingerprint>,
}

/// The stored form of the device token.
pub(crate) enum SessionToken {
    Sealed(Vec<u8>),
    /// Written in clear by an app before migration 015, and not sealed yet because the vault
    /// failed at every open since (it is sealed at the next open that succeeds).
    Clear(String),
}

/// The enrolled account and its role, or `NotEnrolled`.
pub(crate) fn me(conn: &Connection) -> Result<(String, Role)> {
    let (a, r): (Option<String>, Option<String>) =
        conn.query_row("SELECT account_id, role FROM sync_state WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    match (a, r.as_deref().and_then(Role::from_code)) {
        (Some(a), Some(r)) => Ok((a, r)),
        _ => Err(SyncError::NotEnrolled.into()),
    }
}

/// The session, or `NotEnrolled` (also for a phone enrolled before keys were pinned: it must
/// enroll again, over TLS).
pub(crate) fn session(conn: &Connection) -> Result<SessionRow> {
    type Key = (Option<String>, Option<Vec<u8>>, Option<String>);
    type Token = (Option<Vec<u8>>, Option<String>);
    type Row = (Option<String>, Option<String>, Option<String>, Token, Option<i64>, i64, Key);
    let row: Row = conn.query_row(
        "SELECT server_url, account_id, role, sealed_token, token, token_expires_ms, cursor, depot_key, depot_cert,
                depot_next_key
         FROM sync_state WHERE id = 1",
        [],
        |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, (r.get(3)?, r.get(4)?), r.get(5)?, r.get(6)?, (r.get(7)?, r.get(8)?, r.get(9)?)))
        },
    )?;
    let key = |k: Option<String>| k.and_then(|k| KeyFingerprint::try_from(k).ok());
    let token = |t: Token| match t {
        (Some(sealed), _) => Some(SessionToken::Sealed(sealed)),
        (None, Some(clear)) => Some(SessionToken::Clear(clear)),
        (None, None) => None,
    };
    match row {
        (Some(url), Some(account_id), Some(_role), t, expires, cursor, (Some(depot_key), Some(cert), next)) => {
            let Some(token) = token(t) else { return Err(SyncError::NotEnrolled.into()) };
            Ok(SessionRow {
                url,
                account_id,
                token,
                token_expires_ms: expires.unwrap_or(0),
                cursor: cursor as u64,
                depot_key: key(Some(depot_key)).ok_or(SyncError::NotEnrolled)?,
                depot_cert: cert,
                depot_next_key: key(next),
            })
        }
        _ => Err(SyncError::NotEnrolled.into()),
    }
}

/// Remember the next key the depot announced (checked against its current one).
pub(crate) fn set_next_depot_key(conn: &Connection, next: &KeyFingerprint) -> Result<()> {
    conn.execute("UPDATE sync_state SET depot_next_key = ?1 WHERE id = 1", [next.as_hex()])?;
    Ok(())
}

/// The depot now serves its announced key (with this certificate): pin it, and only it.
pub(crate) fn promote_next_depot_key(conn: &Connection, cert: &[u8]) -> Result<()> {
    conn.execute(
        "UPDATE sync_state SET depot_key = depot_next_key, depot_cert = ?1, depot_next_key = NULL
         WHERE id = 1 AND depot_next_key IS NOT NULL",
        [cert],
    )?;
    Ok(())
}

/// The depot a credential was issued by: its address and the key pinned for it (with the
/// key's certificate).
pub(crate) struct PinnedDepot<'a> {
    pub url: &'a str,
    pub key: &'a KeyFingerprint,
    pub cert: &'a [u8],
}

/// Store a new credential (enrollment), its token as the vault sealed it (`c.token` itself is
/// never written): the feed restarts from the beginning.
pub(crate) fn set_credential(conn: &Connection, depot: PinnedDepot<'_>, c: &DeviceCredential, sealed: &[u8]) -> Result<()> {
    conn.execute(
        "UPDATE sync_state SET server_url = ?1, account_id = ?2, role = ?3, sealed_token = ?4, token = NULL,
                token_expires_ms = ?5, cursor = 0, depot_key = ?6, depot_cert = ?7, depot_next_key = NULL
         WHERE id = 1",
        params![depot.url, c.account_id, c.role.code(), sealed, c.token_expires_ms as i64, depot.key.as_hex(), depot.cert],
    )?;
    Ok(())
}

/// Store a rotated token, as the vault sealed it.
pub(crate) fn set_token(conn: &Connection, sealed: &[u8], expires_ms: u64) -> Result<()> {
    conn.execute(
        "UPDATE sync_state SET sealed_token = ?1, token = NULL, token_expires_ms = ?2 WHERE id = 1",
        params![sealed, expires_ms as i64],
    )?;
    Ok(())
}

/// The clear token an app before migration 015 wrote, if it is still there.
pub(crate) fn clear_token(conn: &Connection) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT token FROM sync_state WHERE id = 1", [], |r| r.get(0))?)
}

/// Replace the clear token with its sealed form.
pub(crate) fn replace_clear_token(conn: &Connection, sealed: &[u8]) -> Result<()> {
    conn.execute("UPDATE sync_state SET sealed_token = ?1, token = NULL WHERE id = 1 AND token IS NOT NULL", [sealed])?;
    Ok(())
}

pub(crate) fn cursor(conn: &Connection) -> Result<u64> {
    Ok(conn.query_row("SELECT cursor FROM sync_state WHERE id = 1", [], |r| r.get::<_, i64>(0))? as u64)
}

/// Move the feed cursor (in the transaction that applied the page).
pub(crate) fn set_cursor(conn: &Connection, cursor: u64) -> Result<()> {
    conn.execute("UPDATE sync_state SET cursor = ?1 WHERE id = 1", [cursor as i64])?;
    Ok(())
}

/// Pull everything again at the next sync (after discarding local changes).
pub(crate) fn restart_feed(conn: &Connection) -> Result<()> {
    set_cursor(conn, 0)
}

/// Take the next mutation counter of this device (never reused).
pub(crate) fn take_counter(conn: &Connection) -> Result<u64> {
    let counter: i64 = conn.query_row(
        "UPDATE sync_state SET next_counter = next_counter + 1 WHERE id = 1 RETURNING next_counter - 1",
        [],
        |r| r.get(0),
    )?;
    Ok(counter as u64)
}

/// Record how a sync ended: its time on success, or why it failed.
pub(crate) fn record_sync_outcome(conn: &Connection, error: Option<&str>, now_ms: u64) -> Result<()> {
    match error {
        None => conn.execute("UPDATE sync_state SET last_sync_ms = ?1, last_error = NULL WHERE id = 1", [now_ms as i64])?,
        Some(e) => conn.execute("UPDATE sync_state SET last_error = ?1 WHERE id = 1", [e])?,
    };
    Ok(())
}

/// Whether the data saver is on (full photos only on an unmetered network).
pub(crate) fn data_saver(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row("SELECT data_saver FROM sync_state WHERE id = 1", [], |r| r.get(0))?)
}

pub(crate) fn set_data_saver(conn: &Connection, on: bool) -> Result<()> {
    conn.execute("UPDATE sync_state SET data_saver = ?1 WHERE id = 1", [on])?;
    Ok(())
}

/// The account, role, last sync time and last error, as stored (possibly not enrolled).
pub(crate) fn status(conn: &Connection) -> Result<(Option<String>, Option<Role>, Option<u64>, Option<String>)> {
    let (account_id, role, last_sync, last_error): (Option<String>, Option<String>, Option<i64>, Option<String>) = conn
        .query_row("SELECT account_id, role, last_sync_ms, last_error FROM sync_state WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    Ok((account_id, role.as_deref().and_then(Role::from_code), last_sync.map(|m| m as u64), last_error))
}

/// A credential as if enrolled with a depot at a made-up address, for unit tests that need an
/// account and a role but no depot.
#[cfg(test)]
pub(crate) fn enroll_for_test(conn: &Connection, account_id: &str, role: fundi_sync::roles::Role) -> Result<()> {
    use super::vault::TokenVault;
    let key = KeyFingerprint::of_spki(b"test");
    let credential = DeviceCredential {
        account_id: account_id.into(),
        role,
        device_id: "d".into(),
        token: "t".into(),
        token_expires_ms: u64::MAX / 2,
    };
    let sealed = super::vault::PlaintextTokenVault.seal(credential.token.as_bytes()).expect("plaintext vault");
    set_credential(conn, PinnedDepot { url: "https://depot", key: &key, cert: b"" }, &credential, &sealed)
}

/// A session as a version before migration 015 stored it, its token in clear in `token`, for the
/// upgrade tests; the row then rewritten many times, growing and shrinking, as syncs did, so that
/// freed space in its page keeps stale copies of the token.
#[cfg(test)]
pub(crate) fn older_clear_session_for_test(conn: &Connection, token: &str, key: &KeyFingerprint) -> Result<()> {
    conn.execute(
        "UPDATE sync_state SET server_url = 'https://depot.example', account_id = 'wanjiku', role = 'artisan',
                token = ?1, token_expires_ms = ?2, depot_key = ?3, depot_cert = x'00' WHERE id = 1",
        params![token, i64::MAX / 2, key.as_hex()],
    )?;
    for cursor in 1..50 {
        let error = (cursor % 2 == 0).then(|| "x".repeat(200 * cursor as usize));
        conn.execute("UPDATE sync_state SET cursor = ?1, last_error = ?2 WHERE id = 1", params![cursor, error])?;
    }
    Ok(())
}
