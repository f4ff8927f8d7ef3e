//! Pull: the change feed since a cursor, scoped to what the caller may see, one page at a time.
//! An artisan sees their own records; a mentor also their mentees'; staff their own depot's
//! (and the orders of no one's yet, ADR 0030); operations the whole deployment. Refusals go only to the account that pushed the refused mutation. A record whose
//! latest change came cleanly from the calling device is not sent back to it, unless the phone
//! asks for everything (`full`: it re-syncs from 0 and must see every record it still holds).
//!
//! The caller's scope exits (records that left its scope, `scope::`) are paged with the records
//! in one seq order. A cursor below the greatest pruned position (`retention::`) is answered
//! `cursor_expired`: something that phone had not seen is gone. The position told is kept per
//! device (`resync_floor`): the full re-sync that follows is answered page after page unless
//! something newer is pruned meanwhile (then it starts over).
//!
//! [`estimate`] counts what a pull from a cursor would bring (records, exits, their bytes, its
//! pages) with the same scope and cursor rules, writing nothing and reading no more bodies
//! than one page (compressed, to tell what the pages take gzipped).

use super::accounts::Caller;
use super::{ApiError, Db};
use crate::store::sql::{params, OptionalExtension, Tx};
use fundi_sync::compression::{gzip, GZIP_ABOVE_BYTES};
use fundi_sync::limits::PULL_PAGE_MAX as MAX_PAGE;
use fundi_sync::{Change, Extra, Kind, PullEstimate, PullResponse, Role, ScopeExit, PROTOCOL_VERSION};

/// One entry of a page, before it is sorted into changes and exits.
enum Entry {
    Change(Change),
    /// A record the caller's own device wrote last, cleanly: it holds it already.
    Echo,
    Exit(ScopeExit),
}

/// The records of the caller's part of the feed after `?1`, for the account `?2`: an artisan's
/// own, a mentor's and their mentees', staff's their depot's accounts' and the orders of no
/// one's yet, everything for operations; refusals only to the account that pushed them.
fn scope_filter(role: Role) -> String {
    let scope = match role {
        Role::Artisan => "owner = ?2",
        Role::Mentor => "(owner = ?2 OR owner IN (SELECT id FROM accounts WHERE mentor_id = ?2))",
        Role::Staff => {
            "(owner IS NULL OR owner IN (SELECT o.id FROM accounts o JOIN accounts me ON me.depot_id = o.depot_id WHERE me.id = ?2))"
        }
        Role::Operations => "TRUE",
    };
    let owner_only = Kind::OWNER_ONLY.map(|k| format!("'{}'", k.code())).join(", ");
    format!("seq > ?1 AND {scope} AND (kind NOT IN ({owner_only}) OR owner = ?2)")
}

/// The device whose clean writes are not sent back (`last_device IS NOT DISTINCT FROM ?3`): none on a fresh start
/// (cursor 0: the phone may have been restored or may have discarded local changes) or a full
/// re-sync (the phone sweeps what it is not sent).
fn echo_device(caller: &Caller, cursor: u64, full: bool) -> String {
    if cursor == 0 || full {
        String::new()
    } else {
        caller.device_id.clone().unwrap_or_default()
    }
}

fn check_cursor_range(cursor: u64) -> Result<(), ApiError> {
    // Feed positions are SQLite's signed 64-bit integers, so a larger cursor was never handed
    // out; cast, it would wrap negative and answer a page whose cursor went back (found by the
    // pull_query fuzz target's oracle).
    if cursor > i64::MAX as u64 {
        return Err(ApiError::malformed("cursor must be at most 2^63 - 1"));
    }
    Ok(())
}

/// Whether the feed can be pulled from `cursor`: Ok(Ok(head)), Ok(Err(pruned position)) when
/// the cursor expired, Err(cursor_ahead) for a cursor past the head.
fn feed_head(tx: &Tx, caller: &Caller, cursor: u64, full: bool) -> Result<Result<i64, i64>, ApiError> {
    let (head, pruned): (i64, i64) =
        tx.query_row("SELECT next_seq - 1, pruned_seq FROM meta", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if cursor > head.max(0) as u64 {
        // A cursor this depot never gave out (its data was restored from an older copy):
        // answering from it would hide every change up to it, so the phone is told to start over.
        return Err(ApiError::cursor_ahead(format!("cursor {cursor} is past this depot's head {head}: pull from 0")));
    }
    if cursor > 0 && (cursor as i64) < pruned {
        // A full re-sync's later pages lie below the pruned position too: they go on as
        // long as nothing was pruned since this device was told to start over.
        let floor: i64 = tx
            .query_row("SELECT resync_floor FROM devices WHERE device_id = ?1", [&caller.device_id], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        if !full || pruned > floor {
            return Ok(Err(pruned));
        }
    }
    Ok(Ok(head))
}

pub fn pull(db: &Db, caller: &Caller, cursor: u64, limit: usize, full: bool) -> Result<PullResponse, ApiError> {
    check_cursor_range(cursor)?;
    let limit = limit.clamp(1, MAX_PAGE);
    let device = echo_device(caller, cursor, full);
    let sql = format!(
        "SELECT kind, id, body, seq, last_device IS NOT DISTINCT FROM CAST(?3 AS TEXT) FROM records WHERE {} ORDER BY seq LIMIT ?4",
        scope_filter(caller.role)
    );
    // Err(pruned position): the cursor expired.
    let page = db.read(|tx| {
        let head = match feed_head(tx, caller, cursor, full)? {
            Ok(head) => head,
            Err(pruned) => return Ok(Err(pruned)),
        };
        // Up to `limit` of each, merged by seq; the page takes the first `limit`.
        let mut entries: Vec<(i64, Entry)> = vec![];
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
        for row in rows {
            let (kind, id, body, seq, echo) = row?;
            if echo {
                entries.push((seq, Entry::Echo));
            } else {
                let body = serde_json::from_str(&body).map_err(|e| ApiError::internal(e.to_string()))?;
                entries.push((seq, Entry::Change(Change { kind, id, body })));
            }
        }
        let mut stmt =
            tx.prepare_cached("SELECT kind, id, seq FROM scope_exits WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")?;
        let rows = stmt.query_map(params![caller.account_id, cursor as i64, limit as i64], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
        })?;
        for row in rows {
            let (kind, id, seq) = row?;
            entries.push((seq, Entry::Exit(ScopeExit { kind, id, extra: Extra::new() })));
        }
        entries.sort_by_key(|(seq, _)| *seq);
        entries.truncate(limit);
        let n = entries.len();
        let last_seq = entries.last().map_or(cursor as i64, |(seq, _)| *seq);
        let (mut changes, mut exits) = (vec![], vec![]);
        for (_, e) in entries {
            match e {
                Entry::Change(c) => changes.push(c),
                Entry::Exit(x) => exits.push(x),
                Entry::Echo => {}
            }
        }
        Ok(Ok((changes, exits, last_seq, n == limit, head)))
    })?;
    let (changes, exits, last_seq, more, head) = match page {
        Ok(page) => page,
        Err(pruned) => {
            if let Some(device) = &caller.device_id {
                db.write(|tx| {
                    tx.execute("UPDATE devices SET resync_floor = ?1 WHERE device_id = ?2", params![pruned, device])?;
                    Ok(())
                })?;
            }
            return Err(ApiError::cursor_expired(format!(
                "records after cursor {cursor} were pruned (up to {pruned}): pull everything again from 0 with full=1"
            )));
        }
    };
    // A kill test's moment (`fundi_sqlite::crash_point`): the page read, the reply not written.
    fundi_sqlite::crash_point("pull:read");
    // With no more pages, everything up to the head was either sent or not for this caller.
    let cursor = if more { last_seq } else { head.max(cursor as i64) };
    Ok(PullResponse {
        protocol: PROTOCOL_VERSION,
        changes,
        exits,
        cursor: cursor as u64,
        more,
        server_time: db.now(),
        extra: Extra::new(),
    })
}

/// Bytes of one change in a page beyond its kind, id and body (`{"kind":"","id":"","body":},`),
/// of one exit beyond its kind and id (`{"kind":"","id":""},`), and of a page beyond its
/// entries (protocol, cursor, more, server time, the lists' brackets).
const CHANGE_FRAME: i64 = 28;
const EXIT_FRAME: i64 = 20;
const PAGE_FRAME: u64 = 120;

/// What a pull from `cursor` would bring the caller, pages of `limit`: counted in SQL, the
/// bodies of one page read (for its gzip ratio), nothing written (a pull answering `cursor_expired` notes the position;
/// this does not). A cursor the pull would refuse (expired, past the head) is counted as the
/// full re-sync from 0 that the phone then starts.
pub fn estimate(db: &Db, caller: &Caller, cursor: u64, limit: usize) -> Result<PullEstimate, ApiError> {
    check_cursor_range(cursor)?;
    let limit = limit.clamp(1, MAX_PAGE) as u64;
    let sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN last_device IS NOT DISTINCT FROM CAST(?3 AS TEXT) THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN last_device IS NOT DISTINCT FROM CAST(?3 AS TEXT) THEN 0
                    ELSE octet_length(body) + octet_length(kind) + octet_length(id) + {CHANGE_FRAME} END), 0)
         FROM records WHERE {}",
        scope_filter(caller.role)
    );
    let sample_sql = format!(
        "SELECT kind, id, body FROM records WHERE {} AND NOT (last_device IS NOT DISTINCT FROM CAST(?3 AS TEXT)) ORDER BY seq LIMIT ?4",
        scope_filter(caller.role)
    );
    db.read(|tx| {
        let resync = match feed_head(tx, caller, cursor, false) {
            Ok(Ok(_)) => false,
            Ok(Err(_)) => true,
            Err(e) if e.code == "cursor_ahead" => true,
            Err(e) => return Err(e),
        };
        let (from, full) = if resync { (0, true) } else { (cursor, false) };
        let device = echo_device(caller, from, full);
        let (entries, echoes, bytes): (i64, i64, i64) =
            tx.query_row(&sql, params![from as i64, caller.account_id, device], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let (exits, exit_bytes): (i64, i64) = tx.query_row(
            &format!(
                "SELECT COUNT(*), COALESCE(SUM(octet_length(kind) + octet_length(id) + {EXIT_FRAME}), 0)
                 FROM scope_exits WHERE account_id = ?1 AND seq > ?2"
            ),
            params![caller.account_id, from as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        // Echoes take places in a page without being sent; a full last page is followed by an
        // empty one (the feed says `more` until a page comes back short).
        let pages = (entries + exits) as u64 / limit + 1;
        let bytes = (bytes + exit_bytes) as u64 + pages * PAGE_FRAME;
        // How well the pages compress, from the first one (one page's bodies read, as a pull).
        let first: String = {
            let mut stmt = tx.prepare_cached(&sample_sql)?;
            let rows = stmt.query_map(params![from as i64, caller.account_id, device, limit as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })?;
            let mut page = String::from("[");
            for row in rows {
                let (kind, id, body) = row?;
                let text = |s: &str| serde_json::Value::from(s).to_string();
                page.push_str(&format!("{{\"kind\":{},\"id\":{},\"body\":{body}}},", text(&kind), text(&id)));
            }
            page + "]"
        };
        let gzip_bytes = if bytes / pages < GZIP_ABOVE_BYTES as u64 || first.len() < GZIP_ABOVE_BYTES {
            bytes // small pages go as they are
        } else {
            let ratio = gzip(first.as_bytes()).len() as f64 / first.len() as f64;
            (bytes as f64 * ratio).ceil() as u64
        };
        Ok(PullEstimate {
            protocol: PROTOCOL_VERSION,
            changes: (entries - echoes) as u64,
            exits: exits as u64,
            bytes,
            gzip_bytes: Some(gzip_bytes),
            pages,
            resync,
            extra: Extra::new(),
        })
    })
}
