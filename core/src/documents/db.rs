//! The only SQL on `remote_docs`: one JSON body per (kind, id), as the depot sent it. A body
//! this build cannot show (decided as it is pulled, see `replica::apply`) is kept as sent but
//! held for a newer app: [`find`] and [`list`] leave it out, the sync status counts it.

use crate::error::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

/// Store a document's body (pulled, or changed here); `held`: kept for a newer app.
pub(crate) fn put(conn: &Connection, kind: &str, id: &str, owner: Option<&str>, body: &Value, held: bool) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO remote_docs (kind, id, owner, body, needs_newer_app) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![kind, id, owner, body.to_string(), held],
    )?;
    Ok(())
}

/// Whether the document is held for a newer app (a local change must not replace it).
pub(crate) fn is_held(conn: &Connection, kind: &str, id: &str) -> Result<bool> {
    let held: Option<bool> = conn
        .query_row("SELECT needs_newer_app FROM remote_docs WHERE kind = ?1 AND id = ?2", params![kind, id], |r| r.get(0))
        .optional()?;
    Ok(held.unwrap_or(false))
}

/// Whether a document of `kind` with this id is held, readable or not (a product's draft asks).
pub(crate) fn contains(conn: &Connection, kind: &str, id: &str) -> Result<bool> {
    let n: i64 =
        conn.query_row("SELECT COUNT(*) FROM remote_docs WHERE kind = ?1 AND id = ?2", params![kind, id], |r| r.get(0))?;
    Ok(n > 0)
}

/// Documents held for a newer app.
pub(crate) fn held_count(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT COUNT(*) FROM remote_docs WHERE needs_newer_app = 1", [], |r| r.get::<_, i64>(0))? as u32)
}

/// Replace the body of a document already held (a write of this phone's, acknowledged).
pub(crate) fn update(conn: &Connection, kind: &str, id: &str, body: &Value) -> Result<()> {
    conn.execute("UPDATE remote_docs SET body = ?1 WHERE kind = ?2 AND id = ?3", params![body.to_string(), kind, id])?;
    Ok(())
}

pub(crate) fn find(conn: &Connection, kind: &str, id: &str) -> Result<Option<Value>> {
    let body: Option<String> = conn
        .query_row("SELECT body FROM remote_docs WHERE kind = ?1 AND id = ?2 AND needs_newer_app = 0", params![kind, id], |r| {
            r.get(0)
        })
        .optional()?;
    body.map(|b| serde_json::from_str(&b).map_err(corrupt)).transpose()
}

/// Forget a document (it left this phone's scope).
pub(crate) fn remove(conn: &Connection, kind: &str, id: &str) -> Result<()> {
    conn.execute("DELETE FROM remote_docs WHERE kind = ?1 AND id = ?2", params![kind, id])?;
    Ok(())
}

/// (kind, id) of every document held (all come from the depot).
pub(crate) fn keys(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut s = conn.prepare("SELECT kind, id FROM remote_docs")?;
    let keys = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<std::result::Result<_, _>>()?;
    Ok(keys)
}

/// Every document of `kind` this build can show, by id.
pub(crate) fn list(conn: &Connection, kind: &str) -> Result<Vec<(String, Value)>> {
    let mut s = conn.prepare("SELECT id, body FROM remote_docs WHERE kind = ?1 AND needs_newer_app = 0 ORDER BY id")?;
    let rows: Vec<(String, String)> = s.query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    rows.into_iter().map(|(id, b)| Ok((id, serde_json::from_str(&b).map_err(corrupt)?))).collect()
}

/// The title of a draft held for review, if any.
pub(crate) fn draft_title(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT json_extract(body, '$.doc.fields.title.value') FROM remote_docs WHERE kind = 'draft' AND id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}
