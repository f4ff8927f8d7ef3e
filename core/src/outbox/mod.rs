//! The durable outbox: every local change, as the mutation the depot will receive, written in
//! the same transaction as the change itself (so a kill at any point leaves both or neither).
//! Each gets the next value of this device's counter; the depot applies each counter at most
//! once, so resending after a lost reply is always safe.
//!
//! A change the depot refuses is parked as "wedged" with its reason; it never blocks the
//! changes behind it, and the user can retry it (a new counter, fresh stamps) or discard it.

use crate::drafts::DraftStatus;
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
    let counter: i64 =
        tx.query_row("UPDATE sync_state SET next_counter = next_counter + 1 WHERE id = 1 RETURNING next_counter - 1", [], |r| {
            r.get(0)
        })?;
    m.counter = counter as u64;
    tx.execute(
        "INSERT INTO outbox (counter, kind, record_id, body, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![counter, m.kind, m.id, serde_json::to_string(&m).expect("mutations serialize"), now_ms()],
    )?;
    Ok(counter as u64)
}

fn mutation(kind: Kind, id: &str) -> Mutation {
    Mutation {
        counter: 0,
        kind: kind.code().into(),
        id: id.into(),
        fields: None,
        command: None,
        entry: None,
        extra: Extra::new(),
    }
}

/// The stamps of a draft's fields now (taken before an edit: they are the edit's bases).
pub(crate) fn draft_stamps(conn: &Connection, id: &str) -> Result<BTreeMap<String, Timestamp>> {
    let mut s = conn.prepare_cached("SELECT field, hlc FROM field_versions WHERE record_kind = 'draft' AND record_id = ?1")?;
    let rows = s.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (f, h) = row?;
        if let Ok(ts) = h.parse() {
            out.insert(f, ts);
        }
    }
    Ok(out)
}

/// A draft field's current value as it travels (the column's value in wire form).
pub(crate) fn draft_field_value(conn: &Connection, id: &str, field: &str) -> Result<Option<serde_json::Value>> {
    use serde_json::{json, Value};
    let row: Option<(String, String, String, String, i64, i64, Option<String>, String)> = conn
        .query_row(
            "SELECT title, description, materials, category, price_minor, weekly_capacity, deleted_hlc, unknown_fields
             FROM drafts WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
        )
        .optional()?;
    let Some((title, description, materials, category, price, capacity, deleted, unknown)) = row else { return Ok(None) };
    Ok(Some(match field {
        "title" => json!(title),
        "description" => json!(description),
        "materials" => serde_json::from_str::<Value>(&materials).map_err(corrupt)?,
        "category" => json!(category),
        "price" => json!(price),
        "weekly_capacity" => json!(capacity),
        "deleted" => json!(deleted.is_some()),
        // The ordered content hashes; a list pulled for a draft this phone holds no photo rows
        // of (made on another phone) stays where the pull put it, with the unknown fields.
        "photos" if !serde_json::from_str::<BTreeMap<String, Value>>(&unknown).is_ok_and(|u| u.contains_key("photos")) => {
            json!(crate::drafts::photo_hashes(conn, id)?)
        }
        other => {
            let unknown: BTreeMap<String, FieldWrite> = serde_json::from_str(&unknown).unwrap_or_default();
            match unknown.get(other) {
                Some(w) => w.value.clone(),
                None => return Ok(None),
            }
        }
    }))
}

/// Queue the write of some fields of a draft, after they changed in this transaction.
pub(crate) fn enqueue_draft_write(
    tx: &Connection,
    id: &str,
    fields: &[&str],
    before: &BTreeMap<String, Timestamp>,
) -> Result<()> {
    let after = draft_stamps(tx, id)?;
    let mut writes = BTreeMap::new();
    for f in fields {
        let (Some(value), Some(hlc)) = (draft_field_value(tx, id, f)?, after.get(*f)) else { continue };
        let base = before.get(*f).filter(|b| *b < hlc).copied().into_iter().collect();
        writes.insert(f.to_string(), FieldWrite { value, hlc: *hlc, base });
    }
    if writes.is_empty() {
        return Ok(());
    }
    let mut m = mutation(Kind::Draft, id);
    m.fields = Some(writes);
    enqueue(tx, m)?;
    Ok(())
}

/// Queue a workflow command, stamped now.
pub(crate) fn enqueue_command(tx: &Connection, kind: Kind, id: &str, name: &str, args: Extra) -> Result<Timestamp> {
    let hlc = stamp(tx)?;
    let mut m = mutation(kind, id);
    m.command = Some(CommandBody { name: name.into(), hlc, args });
    enqueue(tx, m)?;
    Ok(hlc)
}

/// Queue a ledger entry.
pub(crate) fn enqueue_entry(tx: &Connection, entry: LedgerEntry) -> Result<()> {
    let mut m = mutation(Kind::Stock, &entry.id.clone());
    m.entry = Some(entry);
    enqueue(tx, m)?;
    Ok(())
}

/// Queue arbitrary field writes (conflict resolutions, documents this phone does not own).
pub(crate) fn enqueue_fields(tx: &Connection, kind: Kind, id: &str, writes: BTreeMap<String, FieldWrite>) -> Result<()> {
    let mut m = mutation(kind, id);
    m.fields = Some(writes);
    enqueue(tx, m)?;
    Ok(())
}

/// Pending mutations in counter order, at most `limit`.
/// A row this build cannot read (damaged, or written by a newer version) is parked as wedged
/// rather than failing the whole sync.
pub(crate) fn pending(conn: &Connection, limit: usize) -> Result<Vec<Mutation>> {
    let mut s = conn.prepare_cached("SELECT counter, body FROM outbox WHERE state = 'pending' ORDER BY counter LIMIT ?1")?;
    let rows: Vec<(i64, String)> = s.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (counter, body) in rows {
        match serde_json::from_str::<Mutation>(&body) {
            // The row's counter is the one that counts (the body repeats it).
            Ok(m) => out.push(Mutation { counter: counter as u64, ..m }),
            Err(e) => {
                wedge(conn, counter as u64, &format!("unreadable: {e}"))?;
            }
        }
    }
    Ok(out)
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

/// Pending items (not wedged).
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn pending_count(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT COUNT(*) FROM outbox WHERE state = 'pending'", [], |r| r.get::<_, i64>(0))? as u32)
}

/// Record the depot's answers: applied items leave the outbox (returned, so the replica can
/// bring its copy of the depot's state up to date), refused ones are wedged.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
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
        self.read(|c| {
            let mut s =
                c.prepare("SELECT counter, kind, record_id, body, state, reason, attempts FROM outbox ORDER BY counter")?;
            let rows = s.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })?;
            let mut out = vec![];
            for row in rows {
                let (counter, kind, record_id, body, state, reason, attempts) = row?;
                let summary = serde_json::from_str::<Mutation>(&body).map_or_else(|_| "unreadable".to_string(), |m| m.summary());
                out.push(OutboxItem {
                    counter: counter as u64,
                    kind,
                    record_id,
                    summary,
                    state: if state == "wedged" {
                        ItemState::Wedged { reason: reason.unwrap_or_default() }
                    } else {
                        ItemState::Pending
                    },
                    attempts: attempts as u32,
                });
            }
            Ok(out)
        })
    }

    /// Send a wedged change again: a new counter and fresh stamps (the refused counter is spent).
    pub fn retry_outbox_item(&self, counter: u64) -> Result<()> {
        self.write(|tx| {
            let body: String = tx
                .query_row("SELECT body FROM outbox WHERE counter = ?1 AND state = 'wedged'", [counter as i64], |r| r.get(0))
                .optional()?
                .ok_or(Error::NotFound { kind: "outbox item" })?;
            let mut m: Mutation = serde_json::from_str(&body)
                .map_err(|_| Error::InvalidState { kind: "outbox item", action: "retry", state: "unreadable" })?;
            let hlc = stamp(tx)?;
            if let Some(fields) = &mut m.fields {
                for (name, w) in fields.iter_mut() {
                    if m.kind == Kind::Draft.code() {
                        tx.execute(
                            "UPDATE field_versions SET hlc = ?1 WHERE record_kind = 'draft' AND record_id = ?2 AND field = ?3 AND hlc = ?4",
                            params![hlc.to_string(), m.id, name, w.hlc.to_string()],
                        )?;
                    }
                    w.hlc = hlc;
                }
            }
            if let Some(c) = &mut m.command {
                c.hlc = hlc;
            }
            if let Some(e) = &mut m.entry {
                e.hlc = hlc;
            }
            tx.execute("DELETE FROM outbox WHERE counter = ?1", [counter as i64])?;
            enqueue(tx, m)?;
            Ok(())
        })
    }

    /// Give up a wedged change. Local records it touched are refreshed from the depot at the
    /// next sync (the cursor restarts, and the discarded values lose their stamps).
    pub fn discard_outbox_item(&self, counter: u64) -> Result<()> {
        self.write(|tx| {
            let body: String = tx
                .query_row("SELECT body FROM outbox WHERE counter = ?1 AND state = 'wedged'", [counter as i64], |r| r.get(0))
                .optional()?
                .ok_or(Error::NotFound { kind: "outbox item" })?;
            // An unreadable item is simply dropped.
            let m: Mutation = match serde_json::from_str(&body) {
                Ok(m) => m,
                Err(_) => {
                    tx.execute("DELETE FROM outbox WHERE counter = ?1", [counter as i64])?;
                    return Ok(());
                }
            };
            if let (Some(fields), true) = (&m.fields, m.kind == Kind::Draft.code()) {
                for (name, w) in fields {
                    tx.execute(
                        "UPDATE field_versions SET hlc = ?1 WHERE record_kind = 'draft' AND record_id = ?2 AND field = ?3 AND hlc = ?4",
                        params![Timestamp::default().to_string(), m.id, name, w.hlc.to_string()],
                    )?;
                }
            }
            if m.kind == Kind::Draft.code() && m.command.as_ref().is_some_and(|c| c.name == "submit") {
                tx.execute(
                    "UPDATE field_versions SET hlc = ?1 WHERE record_kind = 'draft' AND record_id = ?2 AND field = 'status'",
                    params![Timestamp::default().to_string(), m.id],
                )?;
                tx.execute("UPDATE drafts SET status = ?1 WHERE id = ?2", params![DraftStatus::Draft.code(), m.id])?;
            }
            tx.execute("DELETE FROM outbox WHERE counter = ?1", [counter as i64])?;
            tx.execute("UPDATE sync_state SET cursor = 0 WHERE id = 1", [])?;
            Ok(())
        })
    }
}
