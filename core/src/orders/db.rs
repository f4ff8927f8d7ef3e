//! The only SQL on `orders`: the depot's last state of each order this phone sees. An order in
//! a status this build does not know (a newer depot's) is kept as sent but held for a newer
//! app: the views leave it out, and the sync status counts it.

use crate::error::{Error, Result};
use fundi_sync::workflow::OrderStatus;
use fundi_sync::OrderBody;
use rusqlite::{params, Connection, OptionalExtension};

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

/// Store an order as the depot sent it (or as an acknowledged command left it). Decided here,
/// as it is stored: an order this build can show, or one held for a newer app.
pub(crate) fn put(conn: &Connection, id: &str, o: &OrderBody) -> Result<()> {
    let held = OrderStatus::from_code(&o.status).is_none();
    conn.execute(
        "INSERT INTO orders (id, status, artisan_id, body, needs_newer_app) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, artisan_id = excluded.artisan_id, body = excluded.body,
             needs_newer_app = excluded.needs_newer_app",
        params![id, o.status, o.artisan_id, serde_json::to_string(o).expect("orders serialize"), held],
    )?;
    Ok(())
}

/// The last depot state of an order this build can show (`None` for one held for a newer app).
pub(crate) fn find(conn: &Connection, id: &str) -> Result<Option<OrderBody>> {
    let body: Option<String> =
        conn.query_row("SELECT body FROM orders WHERE id = ?1 AND needs_newer_app = 0", [id], |r| r.get(0)).optional()?;
    body.map(|b| serde_json::from_str(&b).map_err(corrupt)).transpose()
}

/// Orders held for a newer app.
pub(crate) fn held_count(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT COUNT(*) FROM orders WHERE needs_newer_app = 1", [], |r| r.get::<_, i64>(0))? as u32)
}

pub(crate) fn get(conn: &Connection, id: &str) -> Result<OrderBody> {
    find(conn, id)?.ok_or(Error::NotFound { kind: "order" })
}

/// Forget an order (it left this phone's scope).
pub(crate) fn remove(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("DELETE FROM orders WHERE id = ?1", [id])?;
    Ok(())
}

/// The ids of every order held (all come from the depot).
pub(crate) fn ids(conn: &Connection) -> Result<Vec<String>> {
    let mut s = conn.prepare("SELECT id FROM orders")?;
    let ids = s.query_map([], |r| r.get(0))?.collect::<std::result::Result<_, _>>()?;
    Ok(ids)
}

/// Every order this build can show, newest change first.
pub(crate) fn list(conn: &Connection) -> Result<Vec<(String, OrderBody)>> {
    let mut s = conn
        .prepare("SELECT id, body FROM orders WHERE needs_newer_app = 0 ORDER BY json_extract(body, '$.updated_hlc') DESC, id")?;
    let rows: Vec<(String, String)> = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    rows.into_iter().map(|(id, b)| Ok((id, serde_json::from_str(&b).map_err(corrupt)?))).collect()
}
