//! Pull: the change feed since a cursor, scoped to what the caller may see, one page at a time.
//! An artisan sees their own records; a mentor also their mentees'; staff and operations the
//! whole depot. Refusals go only to the account that pushed the refused mutation. A record whose
//! latest change came cleanly from the calling device is not sent back to it.

use super::accounts::Caller;
use super::{ApiError, Db};
use fundi_sync::limits::PULL_PAGE_MAX as MAX_PAGE;
use fundi_sync::{Change, Extra, PullResponse, Role, PROTOCOL_VERSION};
use rusqlite::params;

pub fn pull(db: &Db, caller: &Caller, cursor: u64, limit: usize) -> Result<PullResponse, ApiError> {
    // Feed positions are SQLite's signed 64-bit integers, so a larger cursor was never handed
    // out; cast, it would wrap negative and answer a page whose cursor went back (found by the
    // pull_query fuzz target's oracle).
    if cursor > i64::MAX as u64 {
        return Err(ApiError::malformed("cursor must be at most 2^63 - 1"));
    }
    let limit = limit.clamp(1, MAX_PAGE);
    // A fresh start (cursor 0) gets everything back, its own changes included: the phone may
    // have been restored or may have discarded local changes.
    let device = if cursor == 0 { String::new() } else { caller.device_id.clone().unwrap_or_default() };
    let scope = match caller.role {
        Role::Artisan => "owner = ?2",
        Role::Mentor => "(owner = ?2 OR owner IN (SELECT id FROM accounts WHERE mentor_id = ?2))",
        Role::Staff | Role::Operations => "1",
    };
    let sql = format!(
        "SELECT kind, id, body, seq, last_device IS ?3 FROM records
         WHERE seq > ?1 AND {scope} AND (kind != 'rejection' OR owner = ?2)
         ORDER BY seq LIMIT ?4"
    );
    let (changes, last_seq, more, head) = db.read(|tx| {
        let head: i64 = tx.query_row("SELECT next_seq - 1 FROM meta", [], |r| r.get(0))?;
        if cursor > head.max(0) as u64 {
            // A cursor this depot never gave out (its data was restored from an older copy):
            // answering from it would hide every change up to it, so the phone is told to start over.
            return Err(ApiError::cursor_ahead(format!("cursor {cursor} is past this depot's head {head}: pull from 0")));
        }
        let mut stmt = tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![cursor as i64, caller.account_id, device, limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })?;
        let mut changes = vec![];
        let mut last_seq = cursor as i64;
        let mut n = 0;
        for row in rows {
            let (kind, id, body, seq, echo) = row?;
            n += 1;
            last_seq = seq;
            if !echo {
                let body = serde_json::from_str(&body).map_err(|e| ApiError::internal(e.to_string()))?;
                changes.push(Change { kind, id, body });
            }
        }
        Ok((changes, last_seq, n == limit, head))
    })?;
    // A kill test's moment (`fundi_sqlite::crash_point`): the page read, the reply not written.
    fundi_sqlite::crash_point("pull:read");
    // With no more pages, everything up to the head was either sent or not for this caller.
    let cursor = if more { last_seq } else { head.max(cursor as i64) };
    Ok(PullResponse {
        protocol: PROTOCOL_VERSION,
        changes,
        cursor: cursor as u64,
        more,
        server_time: db.now(),
        extra: Extra::new(),
    })
}
