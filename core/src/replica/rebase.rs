//! Withdrawing stamps from the future. A phone whose clock ran far ahead while offline (or
//! before it was first enrolled) stamped its edits in the future; the depot refuses such stamps,
//! and its HLC would stay ahead, so every later edit would be refused too. When the depot's time
//! shows the clock is ahead by more than the depot accepts, the phone re-stamps, in their
//! original order, every stamp beyond that bound: they were never accepted anywhere (the depot
//! refuses them), so no other replica can hold them. Pending and refused-for-the-clock outbox
//! items are queued again with new counters and fresh stamps, and the local field stamps follow.
//! This is the only case where the phone's clock goes back.

use crate::error::Result;
use crate::outbox;
use crate::storage::{load_clock, physical_now, save_clock};
use fundi_sync::hlc::Timestamp;
use fundi_sync::phone;
use fundi_sync::Mutation;
use rusqlite::Connection;

/// Re-stamp every stamp above `limit` (the depot's time `server` plus its bound, as
/// `fundi_sync::phone::learn_clock` found). Returns how many stamps moved.
pub(crate) fn rebase_future_stamps(conn: &Connection, server: Timestamp, limit: Timestamp) -> Result<usize> {
    let future = |t: &Timestamp| *t > limit;
    // Every future stamp held anywhere: outbox items, field stamps, draft stamps.
    let mut items: Vec<(i64, Mutation, bool)> = vec![];
    {
        let mut s = conn.prepare("SELECT counter, body, state = 'wedged' AND reason LIKE 'clock_ahead%' FROM outbox WHERE state = 'pending' OR reason LIKE 'clock_ahead%' ORDER BY counter")?;
        let rows = s.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))?;
        for row in rows {
            let (counter, body, wedged) = row?;
            let m: Mutation =
                serde_json::from_str(&body).map_err(|_| crate::Error::Storage(crate::storage::StorageError::Corrupt))?;
            if m.stamps().iter().any(future) || wedged {
                items.push((counter, m, wedged));
            }
        }
    }
    let mut olds: Vec<Timestamp> = items.iter().flat_map(|(_, m, _)| m.stamps()).filter(future).collect();
    let text_of = |sql: &str| -> Result<Vec<String>> {
        let mut s = conn.prepare(sql)?;
        let v = s.query_map([limit.to_string()], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    };
    for t in text_of("SELECT hlc FROM field_versions WHERE hlc > ?1")?
        .into_iter()
        .chain(text_of("SELECT created_hlc FROM drafts WHERE created_hlc > ?1")?)
        .chain(text_of("SELECT updated_hlc FROM drafts WHERE updated_hlc > ?1")?)
        .chain(text_of("SELECT deleted_hlc FROM drafts WHERE deleted_hlc > ?1")?)
    {
        if let Ok(ts) = t.parse() {
            olds.push(ts);
        }
    }
    olds.sort();
    olds.dedup();
    // Bring the clock back to the depot's time, then give each old stamp a new one, in order.
    let node = load_clock(conn)?.node;
    let (map, clock) = phone::rebase_map(olds, server, node, physical_now(conn)?)?;
    save_clock(conn, &clock)?;
    for (old, new) in &map {
        let (o, n) = (old.to_string(), new.to_string());
        conn.execute("UPDATE field_versions SET hlc = ?2 WHERE hlc = ?1", [&o, &n])?;
        conn.execute("UPDATE drafts SET created_hlc = ?2 WHERE created_hlc = ?1", [&o, &n])?;
        conn.execute("UPDATE drafts SET updated_hlc = ?2 WHERE updated_hlc = ?1", [&o, &n])?;
        conn.execute("UPDATE drafts SET deleted_hlc = ?2 WHERE deleted_hlc = ?1", [&o, &n])?;
    }
    // Queue the items again, in their order, with new counters (the old ones may have been
    // answered "clock_ahead" already, and an answer is final).
    for (counter, m, _) in items {
        conn.execute("DELETE FROM outbox WHERE counter = ?1", [counter])?;
        outbox::enqueue(conn, phone::restamp(m, &map))?;
    }
    Ok(map.len())
}
