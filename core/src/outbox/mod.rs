//! The durable outbox: every local change, as the mutation the depot will receive, written in
//! the same transaction as the change itself (so a kill at any point leaves both or neither).
//! Each gets the next value of this device's counter; the depot applies each counter at most
//! once, so resending after a lost reply is always safe.
//!
//! A change the depot refuses is parked as "wedged" with its reason; it never blocks the
//! changes behind it, and the user can retry it (a new counter, fresh stamps) or discard it
//! (`conflicts` does both, since undoing a change's local effects is its feature's business).
//!
//! A generic queue: it knows mutations, not features, and touches no table but `outbox`.

use crate::error::{Error, Result};
use crate::storage::stamp;
use crate::Store;
use fundi_sync::hlc::Timestamp;
use fundi_sync::phone::Settled;
use fundi_sync::{CommandBody, Extra, FieldWrite, Kind, LedgerEntry, Mutation};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;

/// Where an outbox item stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemState {
    Pending,
    /// Refused by the depot: `reason` is its code and detail.
    Wedged {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutboxItem {
    pub counter: u64,
    pub kind: String,
    pub record_id: String,
    /// "edit title, price", "accept", "stock entry".
    pub summary: String,
    pub state: ItemState,
    pub attempts: u32,
}

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

fn now_ms() -> i64 {
    fundi_sync::hlc::wall_clock_ms() as i64
}

/// Append a mutation (its counter is assigned here). Call inside the change's transaction.
pub(crate) fn enqueue(tx: &Connection, mut m: Mutation) -> Result<u64> {
    let counter = crate::account::db::take_counter(tx)?;
    m.counter = counter;
    tx.execute(
        "INSERT INTO outbox (counter, kind, record_id, body, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![counter as i64, m.kind, m.id, serde_json::to_string(&m).expect("mutations serialize"), now_ms()],
    )?;
    Ok(counter)
}

/// Queue a workflow command, stamped now.
pub(crate) fn enqueue_command(tx: &Connection, kind: Kind, id: &str, name: &str, args: Extra) -> Result<Timestamp> {
    let hlc = stamp(tx)?;
    let mut m = Mutation::new(kind, id);
    m.command = Some(CommandBody::new(name, hlc, args));
    enqueue(tx, m)?;
    Ok(hlc)
}

/// Queue a ledger entry.
pub(crate) fn enqueue_entry(tx: &Connection, entry: LedgerEntry) -> Result<()> {
    let mut m = Mutation::new(Kind::Stock, &entry.id.clone());
    m.entry = Some(entry);
    enqueue(tx, m)?;
    Ok(())
}

/// Queue arbitrary field writes (conflict resolutions, documents this phone does not own).
pub(crate) fn enqueue_fields(tx: &Connection, kind: Kind, id: &str, writes: BTreeMap<String, FieldWrite>) -> Result<()> {
    let mut m = Mutation::new(kind, id);
    m.fields = Some(writes);
    enqueue(tx, m)?;
    Ok(())
}

/// Pending mutations in counter order, at most `limit`.
/// A row this build cannot read (damaged, or written by a newer version) is parked as wedged
/// rather than failing the whole sync.
pub(crate) fn pending(conn: &Connection, limit: usize) -> Result<Vec<Mutation>> {
    let (out, unreadable) = read_pending(conn, limit)?;
    for (counter, e) in unreadable {
        wedge(conn, counter, &format!("unreadable: {e}"))?;
    }
    Ok(out)
}

/// Every pending mutation this build can read, in counter order, changing nothing (to tell
/// before a sync what it will send).
pub(crate) fn pending_readable(conn: &Connection) -> Result<Vec<Mutation>> {
    Ok(read_pending(conn, i64::MAX as usize)?.0)
}

/// Pending mutations in counter order, at most `limit`, and the rows that cannot be read (their
/// counter and why).
fn read_pending(conn: &Connection, limit: usize) -> Result<(Vec<Mutation>, Vec<(u64, serde_json::Error)>)> {
    let mut s = conn.prepare_cached("SELECT counter, body FROM outbox WHERE state = 'pending' ORDER BY counter LIMIT ?1")?;
    let rows: Vec<(i64, String)> = s.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let (mut out, mut unreadable) = (Vec::with_capacity(rows.len()), vec![]);
    for (counter, body) in rows {
        match serde_json::from_str::<Mutation>(&body) {
            // The row's counter is the one that counts (the body repeats it).
            Ok(m) => out.push(Mutation { counter: counter as u64, ..m }),
            Err(e) => unreadable.push((counter as u64, e)),
        }
    }
    Ok((out, unreadable))
}

/// Pending commands on one record, oldest first (the optimistic view replays them).
pub(crate) fn pending_commands(conn: &Connection, kind: Kind, id: &str) -> Result<Vec<CommandBody>> {
    let mut s =
        conn.prepare_cached("SELECT body FROM outbox WHERE kind = ?1 AND record_id = ?2 AND state = 'pending' ORDER BY counter")?;
    let rows = s.query_map(params![kind.code(), id], |r| r.get::<_, String>(0))?;
    let mut out = vec![];
    for b in rows {
        let m: Mutation = serde_json::from_str(&b?).map_err(corrupt)?;
        out.extend(m.command);
    }
    Ok(out)
}

/// Park one item as wedged with `reason` (the only writer of that state).
pub(crate) fn wedge(conn: &Connection, counter: u64, reason: &str) -> Result<u32> {
    Ok(conn.execute(
        "UPDATE outbox SET state = 'wedged', reason = ?1, attempts = attempts + 1 WHERE counter = ?2",
        params![reason, counter as i64],
    )? as u32)
}

/// Whether any item (pending or wedged) concerns record (`kind`, `id`).
pub(crate) fn has_items(conn: &Connection, kind: &str, id: &str) -> Result<bool> {
    let n: i64 =
        conn.query_row("SELECT COUNT(*) FROM outbox WHERE kind = ?1 AND record_id = ?2", params![kind, id], |r| r.get(0))?;
    Ok(n > 0)
}

/// Park every item on record (`kind`, `id`), pending or already refused, as refused with
/// `reason` (the record left this phone). Nothing is dropped: the user sees them as conflicts.
pub(crate) fn park_record(conn: &Connection, kind: &str, id: &str, reason: &str) -> Result<u32> {
    Ok(conn.execute(
        "UPDATE outbox SET state = 'wedged', reason = ?1 WHERE kind = ?2 AND record_id = ?3",
        params![reason, kind, id],
    )? as u32)
}

/// The record an item concerns: (kind, id).
pub(crate) fn record_of(conn: &Connection, counter: u64) -> Result<Option<(String, String)>> {
    Ok(conn
        .query_row("SELECT kind, record_id FROM outbox WHERE counter = ?1", [counter as i64], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Pending items (not wedged).
pub(crate) fn pending_count(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT COUNT(*) FROM outbox WHERE state = 'pending'", [], |r| r.get::<_, i64>(0))? as u32)
}

/// Record the depot's answers: applied items leave the outbox (returned, so the replica can
/// bring its copy of the depot's state up to date), refused ones are wedged.
pub(crate) fn acknowledge(tx: &Connection, settled: &[Settled]) -> Result<Vec<Mutation>> {
    let mut applied = vec![];
    for s in settled {
        match s {
            Settled::Applied { counter } => {
                let body: Option<String> =
                    tx.query_row("SELECT body FROM outbox WHERE counter = ?1", [*counter as i64], |r| r.get(0)).optional()?;
                if tx.execute("DELETE FROM outbox WHERE counter = ?1", [*counter as i64])? > 0 {
                    if let Some(m) = body.and_then(|b| serde_json::from_str(&b).ok()) {
                        applied.push(m);
                    }
                }
            }
            Settled::Refused { counter, reason, .. } => {
                wedge(tx, *counter, reason)?;
            }
        }
    }
    Ok(applied)
}

impl Store {
    /// Changes not yet acknowledged by the depot (pending and wedged).
    pub fn pending_count(&self) -> Result<u32> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as u32))
    }

    /// The outbox, oldest first.
    pub fn outbox_items(&self) -> Result<Vec<OutboxItem>> {
        self.read(|c| items(c, false))
    }
}

/// The items, oldest first, or only the wedged ones. An unreadable row shows as "unreadable".
pub(crate) fn items(conn: &Connection, only_wedged: bool) -> Result<Vec<OutboxItem>> {
    let filter = if only_wedged { "WHERE state = 'wedged'" } else { "" };
    let sql = format!("SELECT counter, kind, record_id, body, state, reason, attempts FROM outbox {filter} ORDER BY counter");
    let mut s = conn.prepare(&sql)?;
    let rows = s.query_map([], |r| {
        let body: String = r.get(3)?;
        let state: String = r.get(4)?;
        Ok(OutboxItem {
            counter: r.get::<_, i64>(0)? as u64,
            kind: r.get(1)?,
            record_id: r.get(2)?,
            summary: serde_json::from_str::<Mutation>(&body).map_or_else(|_| "unreadable".to_string(), |m| m.summary()),
            state: if state == "wedged" {
                ItemState::Wedged { reason: r.get::<_, Option<String>>(5)?.unwrap_or_default() }
            } else {
                ItemState::Pending
            },
            attempts: r.get::<_, i64>(6)? as u32,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A wedged item's mutation: `Ok(None)` when its row cannot be read any more.
pub(crate) fn wedged_item(conn: &Connection, counter: u64) -> Result<Option<Mutation>> {
    let body: String = conn
        .query_row("SELECT body FROM outbox WHERE counter = ?1 AND state = 'wedged'", [counter as i64], |r| r.get(0))
        .optional()?
        .ok_or(Error::NotFound { kind: "outbox item" })?;
    Ok(serde_json::from_str(&body).ok())
}

/// Remove an item (sent again under a new counter, or discarded).
pub(crate) fn remove(conn: &Connection, counter: u64) -> Result<()> {
    conn.execute("DELETE FROM outbox WHERE counter = ?1", [counter as i64])?;
    Ok(())
}

/// Wedged items.
pub(crate) fn wedged_count(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT COUNT(*) FROM outbox WHERE state = 'wedged'", [], |r| r.get::<_, i64>(0))? as u32)
}

/// Items still waiting, and those refused for the clock, oldest first, with whether each was
/// refused (the clock rebase queues them again with fresh stamps).
pub(crate) fn pending_and_clock_refused(conn: &Connection) -> Result<Vec<(u64, Mutation, bool)>> {
    let mut s = conn.prepare(
        "SELECT counter, body, state = 'wedged' AND reason LIKE 'clock_ahead%' FROM outbox
         WHERE state = 'pending' OR reason LIKE 'clock_ahead%' ORDER BY counter",
    )?;
    let rows = s.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))?;
    let mut out = vec![];
    for row in rows {
        let (counter, body, wedged) = row?;
        let m: Mutation = serde_json::from_str(&body).map_err(corrupt)?;
        out.push((counter as u64, m, wedged));
    }
    Ok(out)
}
