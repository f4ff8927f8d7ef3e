//! What the UI shows and the commands it sends: orders (the depot's state with this phone's
//! pending commands replayed on top, by the same transition table the depot validates with),
//! draft review for mentors and staff, stock at the depot, conflicts and their resolution.

use super::apply::parse_ts;
use crate::error::{Error, Result};
use crate::outbox;
use crate::storage::stamp;
use crate::Store;
use fundi_sync::hlc::Timestamp;
use fundi_sync::ids;
use fundi_sync::workflow::{draft_step, order_step, DraftCommand, OrderCommand, OrderStatus};
use fundi_sync::{DocState, DraftBody, Extra, FieldWrite, Kind, LedgerEntry, OrderBody, ProfileBody, Relation, Role};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct OrderView {
    pub id: String,
    /// The status to show: the depot's, with this phone's pending commands applied.
    pub status: OrderStatus,
    /// The depot's last known status.
    pub server_status: OrderStatus,
    /// Commands sent from here and not yet answered.
    pub pending_commands: Vec<OrderCommand>,
    pub product: String,
    pub quantity: u32,
    pub price_minor: i64,
    pub artisan_id: Option<String>,
    pub source: String,
    pub external_ref: String,
    pub note: Option<String>,
    pub updated_at_ms: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StockLevel {
    pub product_id: String,
    /// The product's title when this phone knows the draft.
    pub title: Option<String>,
    pub quantity: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReviewDraft {
    pub id: String,
    pub owner: String,
    pub title: String,
    pub status: crate::drafts::DraftStatus,
}

/// A conflict to show: a field's losing value (restore it or keep the current one), a change of
/// this phone's that the depot refused (retry or discard it; id `outbox:N`), or one of this
/// account's other device (dismiss it).
#[derive(Clone, Debug, PartialEq)]
pub struct ConflictItem {
    pub id: String,
    pub kind: String,
    pub record_id: String,
    pub field: Option<String>,
    /// The losing value (JSON text), or what the refused change asked for.
    pub value: Option<String>,
    /// Why the depot refused (refusals only).
    pub reason: Option<String>,
}

fn me(conn: &Connection) -> Result<(String, Role)> {
    let (a, r): (Option<String>, Option<String>) =
        conn.query_row("SELECT account_id, role FROM sync_state WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    match (a, r.as_deref().and_then(Role::from_code)) {
        (Some(a), Some(r)) => Ok((a, r)),
        _ => Err(super::SyncError::NotEnrolled.into()),
    }
}

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

fn order_view(conn: &Connection, id: &str, body: &str, account: &str, role: Role) -> Result<OrderView> {
    let o: OrderBody = serde_json::from_str(body).map_err(corrupt)?;
    let server_status = OrderStatus::from_code(&o.status).ok_or_else(|| corrupt(()))?;
    let rel = if o.artisan_id.as_deref() == Some(account) { Relation::Owner } else { Relation::Other };
    let mut status = server_status;
    let mut pending_commands = vec![];
    for c in outbox::pending_commands(conn, Kind::Order, id)? {
        if let Some(cmd) = OrderCommand::from_code(&c.name) {
            pending_commands.push(cmd);
            // A command that no longer fits is left for the depot to refuse (and show as a conflict).
            if let Ok(next) = order_step(status, cmd, role, rel) {
                status = next;
            }
        }
    }
    Ok(OrderView {
        id: id.to_string(),
        status,
        server_status,
        pending_commands,
        product: o.product,
        quantity: o.quantity,
        price_minor: o.price_minor,
        artisan_id: o.artisan_id,
        source: o.source,
        external_ref: o.external_ref,
        note: o.note,
        updated_at_ms: o.updated_hlc.wall_ms,
    })
}

impl Store {
    /// Orders this phone sees, newest change first, in their optimistic state.
    pub fn list_orders(&self) -> Result<Vec<OrderView>> {
        self.read(|c| {
            let (account, role) = me(c)?;
            let mut s = c.prepare("SELECT id, body FROM orders ORDER BY json_extract(body, '$.updated_hlc') DESC, id")?;
            let rows: Vec<(String, String)> = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            rows.iter().map(|(id, body)| order_view(c, id, body, &account, role)).collect()
        })
    }

    pub fn get_order(&self, id: &str) -> Result<OrderView> {
        self.read(|c| {
            let (account, role) = me(c)?;
            let body = order_body(c, id)?;
            order_view(c, id, &body, &account, role)
        })
    }

    /// Queue an order command (accept, decline, mark ready, receive, qc pass, ...). Checked
    /// here against the optimistic state with the depot's own table, so an impossible command
    /// is refused at once; the depot checks again against its state when it arrives.
    pub fn order_command(&self, id: &str, command: OrderCommand, reason: Option<String>) -> Result<OrderView> {
        self.write(|tx| {
            let (account, role) = me(tx)?;
            let body = order_body(tx, id)?;
            let view = order_view(tx, id, &body, &account, role)?;
            let rel = if view.artisan_id.as_deref() == Some(account.as_str()) { Relation::Owner } else { Relation::Other };
            order_step(view.status, command, role, rel).map_err(Error::Rejected)?;
            let mut args = Extra::new();
            if let Some(r) = reason.filter(|r| !r.trim().is_empty()) {
                args.insert("reason".into(), r.trim().chars().take(500).collect::<String>().into());
            }
            outbox::enqueue_command(tx, Kind::Order, id, command.code(), args)?;
            order_view(tx, id, &body, &account, role)
        })
    }

    /// Mentees' (or, for staff, all) drafts waiting for or past review, optimistic status.
    pub fn list_review_drafts(&self) -> Result<Vec<ReviewDraft>> {
        self.read(|c| {
            let mut s = c.prepare("SELECT id, body FROM remote_docs WHERE kind = 'draft' ORDER BY id")?;
            let rows: Vec<(String, String)> = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            let (_, role) = me(c)?;
            let mut out = vec![];
            for (id, body) in rows {
                let d: DraftBody = serde_json::from_str(&body).map_err(corrupt)?;
                let mut status = crate::drafts::DraftStatus::from_code(&d.status).ok_or_else(|| corrupt(()))?;
                let rel = if role == Role::Mentor { Relation::Mentor } else { Relation::Other };
                for cmd in outbox::pending_commands(c, Kind::Draft, &id)? {
                    if let Some(next) = DraftCommand::from_code(&cmd.name).and_then(|k| draft_step(status, k, role, rel).ok()) {
                        status = next;
                    }
                }
                let title = d.doc.value("title").and_then(|v| v.as_str()).unwrap_or_default().to_string();
                out.push(ReviewDraft { id, owner: d.owner, title, status });
            }
            Ok(out)
        })
    }

    /// Approve a draft or ask for changes (mentor of its artisan, or depot staff), with an
    /// optional note the artisan sees.
    pub fn review_draft(&self, id: &str, command: DraftCommand, note: Option<String>) -> Result<()> {
        self.write(|tx| {
            let (_, role) = me(tx)?;
            let d = reviewed_draft_body(tx, id)?;
            let status = crate::drafts::DraftStatus::from_code(&d.status).ok_or_else(|| corrupt(()))?;
            let rel = if role == Role::Mentor { Relation::Mentor } else { Relation::Other };
            draft_step(status, command, role, rel).map_err(Error::Rejected)?;
            if let Some(note) = note.filter(|n| !n.trim().is_empty()) {
                let hlc = stamp(tx)?;
                let base = d.doc.stamp("review_note").into_iter().collect();
                let mut w = BTreeMap::new();
                w.insert("review_note".to_string(), FieldWrite { value: note.trim().into(), hlc, base });
                outbox::enqueue_fields(tx, Kind::Draft, id, w)?;
            }
            outbox::enqueue_command(tx, Kind::Draft, id, command.code(), Extra::new())?;
            Ok(())
        })
    }

    /// A draft this phone reviews (mentees', or all for staff), as the depot last sent it.
    pub fn reviewed_draft(&self, id: &str) -> Result<DraftBody> {
        self.read(|c| reviewed_draft_body(c, id))
    }

    /// Write one field of a draft this phone reviews (staff set prices; mentors and staff the
    /// review note). Checked here with the depot's own field rules, then queued.
    pub fn set_reviewed_draft_field(&self, id: &str, field: &str, value: serde_json::Value) -> Result<()> {
        self.write(|tx| {
            let (_, role) = me(tx)?;
            let mut d = reviewed_draft_body(tx, id)?;
            let status = crate::drafts::DraftStatus::from_code(&d.status);
            let rel = if role == Role::Mentor { Relation::Mentor } else { Relation::Other };
            fundi_sync::access::may_write_field(role, rel, Kind::Draft, status, field).map_err(Error::Rejected)?;
            let hlc = stamp(tx)?;
            let write = FieldWrite { value, hlc, base: d.doc.stamp(field).into_iter().collect() };
            // Optimistic: the local copy shows the new value at once.
            d.doc.apply(field, write.clone()).map_err(corrupt)?;
            tx.execute(
                "UPDATE remote_docs SET body = ?1 WHERE kind = 'draft' AND id = ?2",
                params![serde_json::to_string(&d).expect("json"), id],
            )?;
            let mut w = BTreeMap::new();
            w.insert(field.to_string(), write);
            outbox::enqueue_fields(tx, Kind::Draft, id, w)
        })
    }

    /// A profile (this account's, or a mentee's for a mentor), as last synced plus local edits.
    pub fn profile(&self, account_id: &str) -> Result<Option<ProfileBody>> {
        self.read(|c| {
            let body: Option<String> = c
                .query_row("SELECT body FROM remote_docs WHERE kind = 'profile' AND id = ?1", [account_id], |r| r.get(0))
                .optional()?;
            body.map(|b| serde_json::from_str(&b).map_err(corrupt)).transpose()
        })
    }

    /// Change one field of a profile (display_name, location, phone, or any other): the owner,
    /// their mentor, or staff. Shown at once; sent at the next sync.
    pub fn set_profile_field(&self, account_id: &str, field: &str, value: serde_json::Value) -> Result<()> {
        self.write(|tx| {
            let (me_id, role) = me(tx)?;
            let rel = if account_id == me_id {
                Relation::Owner
            } else if role == Role::Mentor {
                Relation::Mentor
            } else {
                Relation::Other
            };
            fundi_sync::access::may_write_field(role, rel, Kind::Profile, None, field).map_err(Error::Rejected)?;
            let body: Option<String> = tx
                .query_row("SELECT body FROM remote_docs WHERE kind = 'profile' AND id = ?1", [account_id], |r| r.get(0))
                .optional()?;
            let mut p: ProfileBody = match body {
                Some(b) => serde_json::from_str(&b).map_err(corrupt)?,
                None => ProfileBody { owner: account_id.to_string(), doc: DocState::default(), extra: Extra::new() },
            };
            let hlc = stamp(tx)?;
            let write = FieldWrite { value, hlc, base: p.doc.stamp(field).into_iter().collect() };
            p.doc.apply(field, write.clone()).map_err(corrupt)?;
            tx.execute(
                "INSERT OR REPLACE INTO remote_docs (kind, id, owner, body) VALUES ('profile', ?1, ?1, ?2)",
                params![account_id, serde_json::to_string(&p).expect("json")],
            )?;
            let mut w = BTreeMap::new();
            w.insert(field.to_string(), write);
            outbox::enqueue_fields(tx, Kind::Profile, account_id, w)
        })
    }

    /// Record a stock movement at the depot (depot staff): `delta` units in (or out, negative).
    pub fn record_stock(&self, product_id: &str, delta: i64, reason: &str) -> Result<()> {
        self.write(|tx| {
            let (_, role) = me(tx)?;
            fundi_sync::access::may_append_stock(role).map_err(Error::Rejected)?;
            let entry = LedgerEntry {
                id: ids::new_id(),
                product_id: product_id.to_string(),
                delta,
                reason: reason.to_string(),
                hlc: stamp(tx)?,
                extra: Extra::new(),
            };
            entry.check().map_err(Error::Rejected)?;
            outbox::enqueue_entry(tx, entry)
        })
    }

    /// Stock at the depot per product: the sum of the depot's entries and this phone's pending ones.
    pub fn stock_levels(&self) -> Result<Vec<StockLevel>> {
        self.read(|c| {
            let mut sums: BTreeMap<String, i64> = BTreeMap::new();
            let mut s = c.prepare("SELECT product_id, SUM(delta) FROM stock_entries GROUP BY product_id")?;
            for row in s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
                let (p, q) = row?;
                sums.insert(p, q);
            }
            for m in outbox::pending(c, usize::MAX >> 1)? {
                if let Some(e) = m.entry {
                    *sums.entry(e.product_id).or_insert(0) += e.delta;
                }
            }
            let mut out = vec![];
            for (product_id, quantity) in sums {
                let title: Option<String> = c
                    .query_row("SELECT title FROM drafts WHERE id = ?1", [&product_id], |r| r.get(0))
                    .optional()?
                    .or(c
                        .query_row("SELECT json_extract(body, '$.doc.fields.title.value') FROM remote_docs WHERE kind = 'draft' AND id = ?1", [&product_id], |r| r.get(0))
                        .optional()?
                        .flatten());
                out.push(StockLevel { product_id, title, quantity });
            }
            Ok(out)
        })
    }

    pub fn list_conflicts(&self) -> Result<Vec<ConflictItem>> {
        self.read(|c| {
            let mut s = c.prepare("SELECT id, kind, record_id, field, value, reason FROM conflicts ORDER BY created_ms, id")?;
            let rows = s.query_map([], |r| {
                Ok(ConflictItem {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    record_id: r.get(2)?,
                    field: r.get(3)?,
                    value: r.get(4)?,
                    reason: r.get(5)?,
                })
            })?;
            let mut out: Vec<ConflictItem> = rows.collect::<Result<_, _>>()?;
            // This phone's own changes the depot refused (a command that lost a race, an edit
            // of a locked field): resolving one retries it (`restore`) or discards it.
            let mut s =
                c.prepare("SELECT counter, kind, record_id, body, reason FROM outbox WHERE state = 'wedged' ORDER BY counter")?;
            let rows = s.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })?;
            for row in rows {
                let (counter, kind, record_id, body, reason) = row?;
                let what = match serde_json::from_str::<fundi_sync::Mutation>(&body) {
                    Ok(m) => match (&m.command, &m.fields) {
                        (Some(c), _) => c.name.clone(),
                        (None, Some(f)) => format!("edit {}", f.keys().cloned().collect::<Vec<_>>().join(", ")),
                        _ => "stock entry".into(),
                    },
                    Err(_) => "unreadable".into(),
                };
                out.push(ConflictItem {
                    id: format!("outbox:{counter}"),
                    kind,
                    record_id,
                    field: None,
                    value: Some(what),
                    reason,
                });
            }
            Ok(out)
        })
    }

    /// Settle a conflict. For a field: `restore` puts the losing value back, otherwise the
    /// current value stays; either way a write naming both values goes to the depot, which
    /// clears the conflict on every device. A refusal is dismissed.
    pub fn resolve_conflict(&self, id: &str, restore: bool) -> Result<()> {
        if let Some(counter) = id.strip_prefix("outbox:").and_then(|c| c.parse::<u64>().ok()) {
            return if restore { self.retry_outbox_item(counter) } else { self.discard_outbox_item(counter) };
        }
        self.write(|tx| {
            let row: Option<(String, String, Option<String>, Option<String>, Option<String>)> = tx
                .query_row("SELECT kind, record_id, field, value, hlc FROM conflicts WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()?;
            let (kind, record_id, field, value, hlc) = row.ok_or(Error::NotFound { kind: "conflict" })?;
            if let (Some(field), Some(value), Some(hlc), "draft") = (field, value, hlc, kind.as_str()) {
                let loser =
                    FieldWrite { value: serde_json::from_str(&value).map_err(corrupt)?, hlc: parse_ts(&hlc)?, base: vec![] };
                let current_stamp: Timestamp = outbox::draft_stamps(tx, &record_id)?.get(&field).copied().unwrap_or_default();
                let current_value = outbox::draft_field_value(tx, &record_id, &field)?.unwrap_or(serde_json::Value::Null);
                let mut doc = DocState::default();
                doc.apply(&field, FieldWrite { value: current_value, hlc: current_stamp, base: vec![] }).map_err(corrupt)?;
                doc.apply(&field, loser.clone()).map_err(corrupt)?;
                let now = stamp(tx)?;
                let write = doc.resolution(&field, loser.hlc, restore, now).ok_or(Error::NotFound { kind: "conflict" })?;
                if restore {
                    crate::replica::apply::set_own_field(tx, &record_id, &field, &write)?;
                } else {
                    tx.execute(
                        "UPDATE field_versions SET hlc = ?1 WHERE record_kind = 'draft' AND record_id = ?2 AND field = ?3",
                        params![now.to_string(), record_id, field],
                    )?;
                }
                let mut w = BTreeMap::new();
                w.insert(field, write);
                outbox::enqueue_fields(tx, Kind::Draft, &record_id, w)?;
            }
            tx.execute("DELETE FROM conflicts WHERE id = ?1", [id])?;
            Ok(())
        })
    }
}

/// The last depot state of an order, as stored by the pull.
fn order_body(conn: &Connection, id: &str) -> Result<String> {
    conn.query_row("SELECT body FROM orders WHERE id = ?1", [id], |r| r.get(0))
        .optional()?
        .ok_or(Error::NotFound { kind: "order" })
}

/// A draft this phone reviews, as the depot last sent it.
fn reviewed_draft_body(conn: &Connection, id: &str) -> Result<DraftBody> {
    let body: String = conn
        .query_row("SELECT body FROM remote_docs WHERE kind = 'draft' AND id = ?1", [id], |r| r.get(0))
        .optional()?
        .ok_or(Error::NotFound { kind: "draft" })?;
    serde_json::from_str(&body).map_err(corrupt)
}
