//! Withdrawing stamps from the future. A phone whose clock ran far ahead while offline (or
//! before it was first enrolled) stamped its edits in the future; the depot refuses such stamps,
//! and its HLC would stay ahead, so every later edit would be refused too. When the depot's time
//! shows the clock is ahead by more than the depot accepts, the phone re-stamps, in their
//! original order, every stamp beyond that bound: they were never accepted anywhere (the depot
//! refuses them), so no other replica can hold them. Pending and refused-for-the-clock outbox
//! items are queued again with new counters and fresh stamps, and the local field stamps follow.
//! This is the only case where the phone's clock goes back.

use crate::error::Result;
use crate::storage::{load_clock, physical_now, save_clock};
use crate::{drafts, outbox};
use fundi_sync::hlc::Timestamp;
use fundi_sync::phone;
use fundi_sync::Mutation;
use rusqlite::Connection;

/// Re-stamp every stamp above `limit` (the depot's time `server` plus its bound, as
/// `fundi_sync::phone::learn_clock` found). Returns how many stamps moved.
pub(crate) fn rebase_future_stamps(conn: &Connection, server: Timestamp, limit: Timestamp) -> Result<usize> {
    let future = |t: &Timestamp| *t > limit;
    // Every future stamp held anywhere: outbox items, field stamps, draft stamps.
    let items: Vec<(u64, Mutation, bool)> = outbox::pending_and_clock_refused(conn)?
        .into_iter()
        .filter(|(_, m, wedged)| *wedged || m.stamps().iter().any(future))
        .collect();
    let mut olds: Vec<Timestamp> = items.iter().flat_map(|(_, m, _)| m.stamps()).filter(future).collect();
    olds.extend(drafts::db::stamps_above(conn, limit)?);
    olds.sort();
    olds.dedup();
    // Bring the clock back to the depot's time, then give each old stamp a new one, in order.
    let node = load_clock(conn)?.node;
    let (map, clock) = phone::rebase_map(olds, server, node, physical_now(conn)?)?;
    save_clock(conn, &clock)?;
    drafts::db::replace_stamps(conn, &map)?;
    // Queue the items again, in their order, with new counters (the old ones may have been
    // answered "clock_ahead" already, and an answer is final).
    for (counter, m, _) in items {
        outbox::remove(conn, counter)?;
        outbox::enqueue(conn, phone::restamp(m, &map))?;
    }
    Ok(map.len())
}
