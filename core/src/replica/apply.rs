//! Applying pulled records. The phone's own drafts merge field by field with the same pure
//! rule the depot runs (`sync::document`): for each field the greater stamp wins, so a local
//! edit not yet pushed stays on screen and the depot's newer values come in. Status follows the
//! depot unless a command on it is still pending here. Everything else is stored as sent.

use crate::error::{Error, Result};
use crate::outbox;
use fundi_sync::hlc::Timestamp;
use fundi_sync::phone::{self, PulledField};
use fundi_sync::{Change, DraftBody, FieldWrite, Kind, Mutation, OrderBody, RejectionBody, StockBody};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use std::collections::BTreeMap;

pub(crate) struct Me {
    pub account_id: String,
    pub device_id: String,
}

fn corrupt<T>(_: T) -> Error {
    Error::Sync(super::SyncError::Protocol("a record the depot sent does not parse".into()))
}

fn now_ms() -> i64 {
    fundi_sync::hlc::wall_clock_ms() as i64
}

pub(crate) fn apply_page(tx: &Connection, me: &Me, changes: &[Change]) -> Result<()> {
    for c in changes {
        match Kind::from_code(&c.kind) {
            Some(Kind::Draft) => {
                let body: DraftBody = serde_json::from_value(c.body.clone()).map_err(corrupt)?;
                if body.owner == me.account_id {
                    merge_own_draft(tx, &c.id, &body)?;
                } else {
                    remote_doc(tx, &c.kind, &c.id, Some(&body.owner), &c.body)?;
                }
            }
            Some(Kind::Order) => {
                let o: OrderBody = serde_json::from_value(c.body.clone()).map_err(corrupt)?;
                tx.execute(
                    "INSERT INTO orders (id, status, artisan_id, body) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET status = excluded.status, artisan_id = excluded.artisan_id, body = excluded.body",
                    params![c.id, o.status, o.artisan_id, c.body.to_string()],
                )?;
            }
            Some(Kind::Stock) => {
                let s: StockBody = serde_json::from_value(c.body.clone()).map_err(corrupt)?;
                tx.execute(
                    "INSERT OR REPLACE INTO stock_entries (id, product_id, delta, body) VALUES (?1, ?2, ?3, ?4)",
                    params![c.id, s.entry.product_id, s.entry.delta, c.body.to_string()],
                )?;
            }
            Some(Kind::Rejection) => {
                let r: RejectionBody = serde_json::from_value(c.body.clone()).map_err(corrupt)?;
                // This device's own refusals are its wedged outbox items already.
                if r.device_id != me.device_id {
                    tx.execute(
                        "INSERT OR IGNORE INTO conflicts (id, kind, record_id, field, value, hlc, reason, created_ms)
                         VALUES (?1, ?2, ?3, NULL, ?4, NULL, ?5, ?6)",
                        params![format!("rejection:{}", c.id), r.kind, r.record_id, r.summary, r.rejection.to_string(), now_ms()],
                    )?;
                }
            }
            // Profiles, and kinds from a newer depot: kept as sent.
            _ => {
                let owner = c.body.get("owner").and_then(Value::as_str);
                remote_doc(tx, &c.kind, &c.id, owner, &c.body)?;
            }
        }
    }
    Ok(())
}

fn remote_doc(tx: &Connection, kind: &str, id: &str, owner: Option<&str>, body: &Value) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO remote_docs (kind, id, owner, body) VALUES (?1, ?2, ?3, ?4)",
        params![kind, id, owner, body.to_string()],
    )?;
    Ok(())
}

/// The drafts-table column a synced field lives in, and its value in column form.
fn column_value(field: &str, v: &Value) -> Option<(&'static str, rusqlite::types::Value)> {
    use rusqlite::types::Value as V;
    Some(match field {
        "title" => ("title", V::Text(v.as_str()?.to_string())),
        "description" => ("description", V::Text(v.as_str()?.to_string())),
        "materials" => ("materials", V::Text(serde_json::to_string(v.as_array()?).ok()?)),
        "category" => ("category", V::Text(crate::drafts::Category::from_code(v.as_str()?)?.code().to_string())),
        "price" => ("price_minor", V::Integer(v.as_i64()?)),
        "weekly_capacity" => ("weekly_capacity", V::Integer(v.as_u64().filter(|n| *n <= u32::MAX as u64)? as i64)),
        _ => return None,
    })
}

fn merge_own_draft(tx: &Connection, id: &str, body: &DraftBody) -> Result<()> {
    let exists: bool = tx.query_row("SELECT COUNT(*) FROM drafts WHERE id = ?1", [id], |r| r.get::<_, i64>(0))? > 0;
    if !exists {
        // A draft made on another phone of this account, or before a reinstall.
        let first = body.doc.fields.values().map(|w| w.hlc).min().unwrap_or_default().to_string();
        tx.execute(
            "INSERT INTO drafts (id, title, description, materials, category, price_minor, currency, weekly_capacity, status, created_hlc, updated_hlc)
             VALUES (?1, '', '', '[]', 'other', 0, 'KES', 0, 'draft', ?2, ?2)",
            params![id, first],
        )?;
    }
    let local = outbox::draft_stamps(tx, id)?;
    let unknown_json: String = tx.query_row("SELECT unknown_fields FROM drafts WHERE id = ?1", [id], |r| r.get(0))?;
    let mut unknown: BTreeMap<String, FieldWrite> = serde_json::from_str(&unknown_json).unwrap_or_default();
    let mut unknown_changed = false;
    for (field, server) in &body.doc.fields {
        // The very merge rule the depot runs, on the local value and the depot's.
        let local_write = match local.get(field) {
            Some(hlc) => {
                let value = outbox::draft_field_value(tx, id, field)?.unwrap_or(Value::Null);
                Some(FieldWrite { value, hlc: *hlc, base: vec![] })
            }
            None => None,
        };
        if phone::decide_pulled_field(field, local_write.as_ref(), server) != PulledField::Take {
            continue; // the local value is newer (a pending edit) or already this one
        }
        let hlc = server.hlc.to_string();
        if field == "deleted" {
            let deleted = server.value.as_bool().unwrap_or(false);
            tx.execute("UPDATE drafts SET deleted_hlc = ?1 WHERE id = ?2", params![deleted.then_some(&hlc), id])?;
        } else if let Some((column, value)) = column_value(field, &server.value) {
            tx.execute(&format!("UPDATE drafts SET {column} = ?1 WHERE id = ?2"), params![value, id])?;
        } else {
            unknown.insert(field.clone(), server.clone());
            unknown_changed = true;
        }
        crate::storage::record_field_stamp(tx, "draft", id, field, &hlc)?;
        tx.execute("UPDATE drafts SET updated_hlc = max(updated_hlc, ?1) WHERE id = ?2", params![hlc, id])?;
    }
    if unknown_changed {
        tx.execute(
            "UPDATE drafts SET unknown_fields = ?1 WHERE id = ?2",
            params![serde_json::to_string(&unknown).expect("json"), id],
        )?;
    }
    // Review status: the depot's, unless this phone still has a command on it in flight.
    let pending = !outbox::pending_commands(tx, Kind::Draft, id)?.is_empty();
    if let Some(status) = phone::pulled_review_status(&body.status, pending) {
        tx.execute("UPDATE drafts SET status = ?1 WHERE id = ?2", params![status.code(), id])?;
    }
    // Conflicts: exactly the depot's list for this draft.
    tx.execute("DELETE FROM conflicts WHERE kind = 'draft' AND record_id = ?1 AND field IS NOT NULL", [id])?;
    for (field, w) in body.doc.conflict_list() {
        tx.execute(
            "INSERT OR REPLACE INTO conflicts (id, kind, record_id, field, value, hlc, reason, created_ms)
             VALUES (?1, 'draft', ?2, ?3, ?4, ?5, NULL, ?6)",
            params![format!("draft:{id}:{field}:{}", w.hlc), id, field, w.value.to_string(), w.hlc.to_string(), now_ms()],
        )?;
    }
    Ok(())
}

/// A stamp from its text (conflict rows keep stamps as text).
pub(crate) fn parse_ts(s: &str) -> Result<Timestamp> {
    s.parse().map_err(corrupt)
}

/// Set one of this phone's own draft fields to `w` (a restored conflict value).
pub(crate) fn set_own_field(tx: &Connection, id: &str, field: &str, w: &FieldWrite) -> Result<()> {
    let hlc = w.hlc.to_string();
    if field == "deleted" {
        let deleted = w.value.as_bool().unwrap_or(false);
        tx.execute("UPDATE drafts SET deleted_hlc = ?1 WHERE id = ?2", params![deleted.then_some(&hlc), id])?;
    } else if let Some((column, value)) = column_value(field, &w.value) {
        tx.execute(&format!("UPDATE drafts SET {column} = ?1 WHERE id = ?2"), params![value, id])?;
    } else {
        let json: String = tx.query_row("SELECT unknown_fields FROM drafts WHERE id = ?1", [id], |r| r.get(0))?;
        let mut unknown: BTreeMap<String, FieldWrite> = serde_json::from_str(&json).unwrap_or_default();
        unknown.insert(field.to_string(), w.clone());
        tx.execute(
            "UPDATE drafts SET unknown_fields = ?1 WHERE id = ?2",
            params![serde_json::to_string(&unknown).expect("json"), id],
        )?;
    }
    tx.execute(
        "INSERT INTO field_versions (record_kind, record_id, field, hlc) VALUES ('draft', ?1, ?2, ?3)
         ON CONFLICT (record_kind, record_id, field) DO UPDATE SET hlc = excluded.hlc",
        params![id, field, hlc],
    )?;
    tx.execute("UPDATE drafts SET updated_hlc = max(updated_hlc, ?1) WHERE id = ?2", params![hlc, id])?;
    Ok(())
}

/// Bring the copy of the depot's state up to date with a mutation the depot just applied. The
/// depot does not send back records whose latest change was this phone's own clean write (it
/// would cost bytes for nothing), so the phone applies the same pure rules itself here
/// (`fundi_sync::phone::settle_order`, `settle_document`).
pub(crate) fn settle_applied(tx: &Connection, m: &Mutation) -> Result<()> {
    match (Kind::from_code(&m.kind), &m.command, &m.entry) {
        (Some(Kind::Stock), _, Some(e)) => {
            let body = StockBody { owner: String::new(), entry: e.clone() };
            tx.execute(
                "INSERT OR IGNORE INTO stock_entries (id, product_id, delta, body) VALUES (?1, ?2, ?3, ?4)",
                params![e.id, e.product_id, e.delta, serde_json::to_string(&body).expect("json")],
            )?;
        }
        (Some(Kind::Order), Some(c), _) => {
            let body: Option<String> = tx.query_row("SELECT body FROM orders WHERE id = ?1", [&m.id], |r| r.get(0)).optional()?;
            let Some(body) = body else { return Ok(()) };
            let mut order: OrderBody = serde_json::from_str(&body).map_err(stored_corrupt)?;
            if phone::settle_order(&mut order, c) {
                tx.execute(
                    "UPDATE orders SET status = ?1, artisan_id = ?2, body = ?3 WHERE id = ?4",
                    params![order.status, order.artisan_id, serde_json::to_string(&order).expect("json"), m.id],
                )?;
            }
        }
        (Some(kind @ (Kind::Draft | Kind::Profile)), command, _) => {
            // Documents this phone does not own live in `remote_docs` (own drafts are current).
            let body: Option<String> = tx
                .query_row("SELECT body FROM remote_docs WHERE kind = ?1 AND id = ?2", params![kind.code(), m.id], |r| r.get(0))
                .optional()?;
            let Some(body) = body else { return Ok(()) };
            let mut body: Value = serde_json::from_str(&body).map_err(stored_corrupt)?;
            phone::settle_document(&mut body, m.fields.as_ref(), command.as_ref()).map_err(stored_corrupt)?;
            tx.execute(
                "UPDATE remote_docs SET body = ?1 WHERE kind = ?2 AND id = ?3",
                params![body.to_string(), kind.code(), m.id],
            )?;
        }
        _ => {}
    }
    Ok(())
}

fn stored_corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}
