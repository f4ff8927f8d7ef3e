//! The only SQL on `orders`: the depot's last state of each order this phone sees.

use crate::error::{Error, Result};
use fundi_sync::OrderBody;
use rusqlite::{params, Connection, OptionalExtension};

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

/// Store an order as the depot sent it (or as an acknowledged command left it).
pub(crate) fn put(conn: &Connection, id: &str, o: &OrderBody) -> Result<()> {
    conn.execute(
        "INSERT INTO orders (id, status, artisan_id, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, artisan_id = excluded.artisan_id, body = excluded.body",
        params![id, o.status, o.artisan_id, serde_json::to_string(o).expect("orders serialize")],
    )?;
    Ok(())
}

/// The last depot state of an order.
pub(crate) fn find(conn: &Connection, id: &str) -> Result<Option<OrderBody>> {
    let body: Option<String> = conn.query_row("SELECT body FROM orders WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    body.map(|b| serde_json::from_str(&b).map_err(corrupt)).transpose()
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

/// Every order, newest change first.
pub(crate) fn list(conn: &Connection) -> Result<Vec<(String, OrderBody)>> {
    let mut s = conn.prepare("SELECT id, body FROM orders ORDER BY json_extract(body, '$.updated_hlc') DESC, id")?;
    let rows: Vec<(String, String)> = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    rows.into_iter().map(|(id, b)| Ok((id, serde_json::from_str(&b).map_err(corrupt)?))).collect()
}
