//! The only SQL on `conflicts`: losing field values of own drafts (exactly the depot's list,
//! each with the members a newer app put on it and the number of its field's older values the
//! depot folded away) and refusals of this account's other devices.

use super::ConflictItem;
use crate::error::{Error, Result};
use fundi_sync::hlc::wall_clock_ms;
use fundi_sync::{DocState, FieldWrite, Kind, RejectionBody};
use rusqlite::{params, Connection, OptionalExtension};

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

/// A stored conflict, read back for resolving.
pub(crate) struct Row {
    pub kind: Kind,
    pub record_id: String,
    pub field: Option<String>,
    /// The losing write of a field conflict, with its unknown members.
    pub loser: Option<FieldWrite>,
}

/// Make the draft's field conflicts exactly the depot's list in `doc`, each with the number of
/// older values of its field the depot folded away.
pub(crate) fn replace_for_draft(conn: &Connection, id: &str, doc: &DocState) -> Result<()> {
    conn.execute("DELETE FROM conflicts WHERE kind = 'draft' AND record_id = ?1 AND field IS NOT NULL", [id])?;
    for (field, w) in doc.conflict_list() {
        conn.execute(
            "INSERT OR REPLACE INTO conflicts (id, kind, record_id, field, value, hlc, reason, created_ms, extra, folded)
             VALUES (?1, 'draft', ?2, ?3, ?4, ?5, NULL, ?6, ?7, ?8)",
            params![
                format!("draft:{id}:{field}:{}", w.hlc),
                id,
                field,
                w.value.to_string(),
                w.hlc.to_string(),
                wall_clock_ms() as i64,
                (!w.extra.is_empty()).then(|| serde_json::to_string(&w.extra).expect("json")),
                doc.folded_count(field) as i64,
            ],
        )?;
    }
    Ok(())
}

/// A refusal of another device of this account, pulled from the depot.
pub(crate) fn add_refusal(conn: &Connection, change_id: &str, r: &RejectionBody) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO conflicts (id, kind, record_id, field, value, hlc, reason, created_ms)
         VALUES (?1, ?2, ?3, NULL, ?4, NULL, ?5, ?6)",
        params![
            format!("rejection:{change_id}"),
            r.kind,
            r.record_id,
            r.summary,
            r.rejection.to_string(),
            wall_clock_ms() as i64
        ],
    )?;
    Ok(())
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<ConflictItem>> {
    let mut s =
        conn.prepare("SELECT id, kind, record_id, field, value, reason, folded FROM conflicts ORDER BY created_ms, id")?;
    let rows = s.query_map([], |r| {
        Ok(ConflictItem {
            id: r.get(0)?,
            kind: r.get(1)?,
            record_id: r.get(2)?,
            field: r.get(3)?,
            value: r.get(4)?,
            reason: r.get(5)?,
            folded: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn count(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT COUNT(*) FROM conflicts", [], |r| r.get::<_, i64>(0))? as u32)
}

pub(crate) fn get(conn: &Connection, id: &str) -> Result<Option<Row>> {
    type Raw = (String, String, Option<String>, Option<String>, Option<String>, Option<String>);
    let raw: Option<Raw> = conn
        .query_row("SELECT kind, record_id, field, value, hlc, extra FROM conflicts WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })
        .optional()?;
    let Some((kind, record_id, field, value, hlc, extra)) = raw else { return Ok(None) };
    let loser = match (value, hlc) {
        (Some(v), Some(h)) if field.is_some() => Some(FieldWrite {
            value: serde_json::from_str(&v).map_err(corrupt)?,
            hlc: h.parse().map_err(corrupt)?,
            base: vec![],
            extra: extra.map(|e| serde_json::from_str(&e)).transpose().map_err(corrupt)?.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Some(Row { kind: Kind::from_code(&kind).unwrap_or(Kind::Rejection), record_id, field, loser }))
}

pub(crate) fn remove(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("DELETE FROM conflicts WHERE id = ?1", [id])?;
    Ok(())
}
