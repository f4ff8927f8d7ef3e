//! The drafts feature's SQL that other features reach through functions: the per-field stamps
//! (`field_versions`, one row per field of each draft), a field's value in wire form, storing a
//! pulled or restored field write, and the stamp rewrites of the clock rebase. `store.rs` holds
//! the editor's operations; together with `photos.rs` they are the only code touching the
//! `drafts`, `field_versions`, `draft_photos` and `photos` tables.

use crate::error::{Error, Result};
use crate::outbox;
use crate::storage::StorageError;
use fundi_sync::drafts::Category;
use fundi_sync::fields::{DRAFT_DELETED, DRAFT_PHOTOS};
use fundi_sync::hlc::Timestamp;
use fundi_sync::{Extra, FieldWrite, Kind, Mutation};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const KIND: &str = "draft";

fn corrupt<T>(_: T) -> Error {
    Error::Storage(StorageError::Corrupt)
}

/// Record that `field` of draft `id` was last written at `hlc` (text form), by a write without
/// members this build does not know (set them after with [`record_field_members`]). With it,
/// the one writer of `field_versions`.
pub(crate) fn record_field_stamp(conn: &Connection, id: &str, field: &str, hlc: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO field_versions (record_kind, record_id, field, hlc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (record_kind, record_id, field) DO UPDATE SET hlc = excluded.hlc, extra = NULL",
        params![KIND, id, field, hlc],
    )?;
    Ok(())
}

/// Keep the members a newer app put on the field's current write, to send them on with it.
pub(crate) fn record_field_members(conn: &Connection, id: &str, field: &str, extra: &Extra) -> Result<()> {
    let text = (!extra.is_empty()).then(|| serde_json::to_string(extra).expect("json"));
    conn.execute(
        "UPDATE field_versions SET extra = ?1 WHERE record_kind = ?2 AND record_id = ?3 AND field = ?4",
        params![text, KIND, id, field],
    )?;
    Ok(())
}

/// A draft field's current write as this phone holds it: its value in wire form, its stamp and
/// the members a newer app put on it (what a conflict's resolution sends on).
pub(crate) fn field_write(conn: &Connection, id: &str, field: &str) -> Result<Option<FieldWrite>> {
    let row: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT hlc, extra FROM field_versions WHERE record_kind = ?1 AND record_id = ?2 AND field = ?3",
            params![KIND, id, field],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (Some(value), Some((hlc, extra))) = (field_value(conn, id, field)?, row) else { return Ok(None) };
    let extra = match extra {
        Some(text) => serde_json::from_str(&text).map_err(corrupt)?,
        None => Extra::new(),
    };
    Ok(Some(FieldWrite { value, hlc: hlc.parse().map_err(corrupt)?, base: vec![], extra }))
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

/// Move a field's stamp from `old` to `new` (a wedged write sent again with a fresh stamp), or
/// to the zero stamp when `new` is `None` (a discarded write: the depot's value wins next pull).
pub(crate) fn restamp_field(
    conn: &Connection,
    id: &str,
    field: &str,
    old: Option<Timestamp>,
    new: Option<Timestamp>,
) -> Result<()> {
    let discarded = new.is_none();
    let new = new.unwrap_or_default().to_string();
    let moved = match old {
        Some(old) => conn.execute(
            "UPDATE field_versions SET hlc = ?1 WHERE record_kind = 'draft' AND record_id = ?2 AND field = ?3 AND hlc = ?4",
            params![new, id, field, old.to_string()],
        )?,
        None => conn.execute(
            "UPDATE field_versions SET hlc = ?1 WHERE record_kind = 'draft' AND record_id = ?2 AND field = ?3",
            params![new, id, field],
        )?,
    };
    if discarded && moved > 0 && field == DRAFT_DELETED {
        // A discarded delete: the draft is back. The depot may never have held a `deleted`
        // field for it, so no pull would bring it back; if it holds one, the pull applies it.
        conn.execute("UPDATE drafts SET deleted_hlc = NULL WHERE id = ?1", [id])?;
    }
    Ok(())
}

/// Undo a submit that the user discarded: the draft is editable again.
pub(crate) fn unsubmit(conn: &Connection, id: &str) -> Result<()> {
    restamp_field(conn, id, "status", None, None)?;
    conn.execute("UPDATE drafts SET status = ?1 WHERE id = ?2", params![fundi_sync::DraftStatus::Draft.code(), id])?;
    Ok(())
}

/// Undo a new version the user discarded (a refused `revise`): the draft is approved again, as
/// the depot still holds it.
pub(crate) fn unrevise(conn: &Connection, id: &str) -> Result<()> {
    restamp_field(conn, id, "status", None, None)?;
    conn.execute("UPDATE drafts SET status = ?1 WHERE id = ?2", params![fundi_sync::DraftStatus::Approved.code(), id])?;
    Ok(())
}

/// The review status of a draft of this phone's (live), as the editor shows it.
pub(crate) fn status(conn: &Connection, id: &str) -> Result<Option<fundi_sync::DraftStatus>> {
    let code: Option<String> =
        conn.query_row("SELECT status FROM drafts WHERE id = ?1 AND deleted_hlc IS NULL", [id], |r| r.get(0)).optional()?;
    Ok(code.and_then(|c| fundi_sync::DraftStatus::from_code(&c)))
}

/// The synced fields that live in a column of `drafts` (see [`column_value`]).
const COLUMN_FIELDS: [&str; 6] = ["title", "description", "materials", "category", "price", "weekly_capacity"];

/// A draft field's current value as it travels (the column's value in wire form; for a known
/// field whose value this build cannot hold in its column, the value as it came).
pub(crate) fn field_value(conn: &Connection, id: &str, field: &str) -> Result<Option<Value>> {
    type Row = (String, String, String, String, i64, i64, Option<String>, String);
    let row: Option<Row> = conn
        .query_row(
            "SELECT title, description, materials, category, price_minor, weekly_capacity, deleted_hlc, unknown_fields
             FROM drafts WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
        )
        .optional()?;
    let Some((title, description, materials, category, price, capacity, deleted, unknown)) = row else { return Ok(None) };
    if COLUMN_FIELDS.contains(&field) {
        let held: BTreeMap<String, FieldWrite> = serde_json::from_str(&unknown).unwrap_or_default();
        if let Some(w) = held.get(field) {
            return Ok(Some(w.value.clone()));
        }
    }
    Ok(Some(match field {
        "title" => json!(title),
        "description" => json!(description),
        "materials" => serde_json::from_str::<Value>(&materials).map_err(corrupt)?,
        "category" => json!(category),
        "price" => json!(price),
        "weekly_capacity" => json!(capacity),
        DRAFT_DELETED => json!(deleted.is_some()),
        // The ordered content hashes; a list pulled for a draft this phone holds no photo rows
        // of (made on another phone) stays where the pull put it, with the unknown fields.
        DRAFT_PHOTOS
            if !serde_json::from_str::<BTreeMap<String, Value>>(&unknown).is_ok_and(|u| u.contains_key(DRAFT_PHOTOS)) =>
        {
            json!(super::photo_hashes(conn, id)?)
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
pub(crate) fn enqueue_write(tx: &Connection, id: &str, fields: &[&str], before: &BTreeMap<String, Timestamp>) -> Result<()> {
    let after = draft_stamps(tx, id)?;
    let mut writes = BTreeMap::new();
    for f in fields {
        let (Some(value), Some(hlc)) = (field_value(tx, id, f)?, after.get(*f)) else { continue };
        let base = before.get(*f).filter(|b| *b < hlc).copied().into_iter().collect();
        writes.insert(f.to_string(), FieldWrite::new(value, *hlc, base));
    }
    if writes.is_empty() {
        return Ok(());
    }
    let mut m = Mutation::new(Kind::Draft, id);
    m.fields = Some(writes);
    outbox::enqueue(tx, m)?;
    Ok(())
}

/// The drafts-table column a synced field lives in, and its value in column form; `None` for a
/// field without a column, and for a value this build cannot read back from it (a newer app's:
/// a list of materials that are not all text, a category it does not know, a number out of
/// range, ...).
fn column_value(field: &str, v: &Value) -> Option<(&'static str, rusqlite::types::Value)> {
    use rusqlite::types::Value as V;
    Some(match field {
        "title" => ("title", V::Text(v.as_str()?.to_string())),
        "description" => ("description", V::Text(v.as_str()?.to_string())),
        "materials" => {
            let list = v.as_array().filter(|l| l.iter().all(Value::is_string))?;
            ("materials", V::Text(serde_json::to_string(list).ok()?))
        }
        "category" => ("category", V::Text(Category::from_code(v.as_str()?)?.code().to_string())),
        "price" => ("price_minor", V::Integer(v.as_i64()?)),
        "weekly_capacity" => ("weekly_capacity", V::Integer(v.as_u64().filter(|n| *n <= u32::MAX as u64)? as i64)),
        _ => return None,
    })
}

/// Whether the draft has a row (live or deleted).
pub(crate) fn exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn.query_row("SELECT COUNT(*) FROM drafts WHERE id = ?1", [id], |r| r.get::<_, i64>(0))? > 0)
}

/// The ids of every draft of this phone's account, live or deleted.
pub(crate) fn ids(conn: &Connection) -> Result<Vec<String>> {
    let mut s = conn.prepare("SELECT id FROM drafts")?;
    let ids = s.query_map([], |r| r.get(0))?.collect::<std::result::Result<_, _>>()?;
    Ok(ids)
}

/// Forget a draft's row and field stamps (`drafts::forget` takes its photo list first).
pub(crate) fn remove(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("DELETE FROM field_versions WHERE record_kind = ?1 AND record_id = ?2", params![KIND, id])?;
    conn.execute("DELETE FROM drafts WHERE id = ?1", [id])?;
    Ok(())
}

/// A row for a draft made on another phone of this account (or before a reinstall), filled
/// in field by field by [`store_field_write`].
pub(crate) fn insert_pulled(conn: &Connection, id: &str, created: Timestamp) -> Result<()> {
    conn.execute(
        "INSERT INTO drafts (id, title, description, materials, category, price_minor, currency, weekly_capacity, status, created_hlc, updated_hlc)
         VALUES (?1, '', '', '[]', 'other', 0, 'KES', 0, 'draft', ?2, ?2)",
        params![id, created.to_string()],
    )?;
    Ok(())
}

/// Store one field write of one of this phone's own drafts (pulled from the depot, or a
/// restored conflict value), with its stamp and the members a newer app put on it. Fields this
/// build does not know are kept as they came, and sent back unchanged. So is a value of a known
/// field that this build cannot hold in its column: decided here, as it arrives, the draft is
/// then held for a newer app (left out of the views, counted by the sync status) until a value
/// it can hold comes.
pub(crate) fn store_field_write(tx: &Connection, id: &str, field: &str, w: &FieldWrite) -> Result<()> {
    let hlc = w.hlc.to_string();
    if field == DRAFT_DELETED {
        let deleted = w.value.as_bool().unwrap_or(false);
        tx.execute("UPDATE drafts SET deleted_hlc = ?1 WHERE id = ?2", params![deleted.then_some(&hlc), id])?;
    } else {
        let json: String = tx.query_row("SELECT unknown_fields FROM drafts WHERE id = ?1", [id], |r| r.get(0))?;
        let mut unknown: BTreeMap<String, FieldWrite> = serde_json::from_str(&json).unwrap_or_default();
        match column_value(field, &w.value) {
            Some((column, value)) => {
                tx.execute(&format!("UPDATE drafts SET {column} = ?1 WHERE id = ?2"), params![value, id])?;
                unknown.remove(field);
            }
            None => {
                unknown.insert(field.to_string(), w.clone());
            }
        }
        let held = unknown.keys().any(|k| COLUMN_FIELDS.contains(&k.as_str()));
        tx.execute(
            "UPDATE drafts SET unknown_fields = ?1, needs_newer_app = ?2 WHERE id = ?3",
            params![serde_json::to_string(&unknown).expect("json"), held, id],
        )?;
    }
    record_field_stamp(tx, id, field, &hlc)?;
    record_field_members(tx, id, field, &w.extra)?;
    tx.execute("UPDATE drafts SET updated_hlc = max(updated_hlc, ?1) WHERE id = ?2", params![hlc, id])?;
    Ok(())
}

/// Own drafts held for a newer app (not deleted).
pub(crate) fn held_count(conn: &Connection) -> Result<u32> {
    let n: i64 =
        conn.query_row("SELECT COUNT(*) FROM drafts WHERE needs_newer_app = 1 AND deleted_hlc IS NULL", [], |r| r.get(0))?;
    Ok(n as u32)
}

/// Set the review status (the depot's, once no command of this phone's is in flight).
pub(crate) fn set_status(conn: &Connection, id: &str, status: fundi_sync::DraftStatus) -> Result<()> {
    conn.execute("UPDATE drafts SET status = ?1 WHERE id = ?2", params![status.code(), id])?;
    Ok(())
}

/// The title of a draft of this phone's, if it has one.
pub(crate) fn title(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT title FROM drafts WHERE id = ?1", [id], |r| r.get(0)).optional()?)
}

/// Every draft stamp above `limit` (the clock rebase's input).
pub(crate) fn stamps_above(conn: &Connection, limit: Timestamp) -> Result<Vec<Timestamp>> {
    let mut out = vec![];
    for sql in [
        "SELECT hlc FROM field_versions WHERE hlc > ?1",
        "SELECT created_hlc FROM drafts WHERE created_hlc > ?1",
        "SELECT updated_hlc FROM drafts WHERE updated_hlc > ?1",
        "SELECT deleted_hlc FROM drafts WHERE deleted_hlc > ?1",
    ] {
        let mut s = conn.prepare(sql)?;
        for t in s.query_map([limit.to_string()], |r| r.get::<_, String>(0))? {
            if let Ok(ts) = t?.parse() {
                out.push(ts);
            }
        }
    }
    Ok(out)
}

/// Replace every draft stamp by its new one (the clock rebase's output).
pub(crate) fn replace_stamps(conn: &Connection, map: &BTreeMap<Timestamp, Timestamp>) -> Result<()> {
    for (old, new) in map {
        let (o, n) = (old.to_string(), new.to_string());
        conn.execute("UPDATE field_versions SET hlc = ?2 WHERE hlc = ?1", [&o, &n])?;
        conn.execute("UPDATE drafts SET created_hlc = ?2 WHERE created_hlc = ?1", [&o, &n])?;
        conn.execute("UPDATE drafts SET updated_hlc = ?2 WHERE updated_hlc = ?1", [&o, &n])?;
        conn.execute("UPDATE drafts SET deleted_hlc = ?2 WHERE deleted_hlc = ?1", [&o, &n])?;
    }
    Ok(())
}
