//! The only SQL on `stock_entries`: the depot's ledger entries this phone holds.

use crate::error::Result;
use fundi_sync::StockBody;
use rusqlite::{params, Connection};
use std::collections::BTreeMap;

/// Store an entry as the depot sent it (`body`, kept as sent, unknown fields included).
pub(crate) fn put_pulled(conn: &Connection, id: &str, body: &StockBody, raw: &str) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO stock_entries (id, product_id, delta, body) VALUES (?1, ?2, ?3, ?4)",
        params![id, body.entry.product_id, body.entry.delta, raw],
    )?;
    Ok(())
}

/// Store this phone's own entry once the depot applied it (the depot's copy, if already
/// pulled, stays).
pub(crate) fn put_acknowledged(conn: &Connection, body: &StockBody) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO stock_entries (id, product_id, delta, body) VALUES (?1, ?2, ?3, ?4)",
        params![body.entry.id, body.entry.product_id, body.entry.delta, serde_json::to_string(body).expect("entries serialize")],
    )?;
    Ok(())
}

/// Forget an entry (its product left this phone's scope).
pub(crate) fn remove(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("DELETE FROM stock_entries WHERE id = ?1", [id])?;
    Ok(())
}

/// The ids of every entry held (pulled, or this phone's own once the depot applied it).
pub(crate) fn ids(conn: &Connection) -> Result<Vec<String>> {
    let mut s = conn.prepare("SELECT id FROM stock_entries")?;
    let ids = s.query_map([], |r| r.get(0))?.collect::<std::result::Result<_, _>>()?;
    Ok(ids)
}

/// The sum of the entries per product.
pub(crate) fn sums(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut s = conn.prepare("SELECT product_id, SUM(delta) FROM stock_entries GROUP BY product_id")?;
    let rows = s.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The entries of one product, as the depot sent them (bodies kept as sent).
pub(crate) fn entries(conn: &Connection, product_id: &str) -> Result<Vec<StockBody>> {
    let mut s = conn.prepare("SELECT body FROM stock_entries WHERE product_id = ?1")?;
    let rows = s.query_map([product_id], |r| r.get::<_, String>(0))?;
    let mut out = vec![];
    for body in rows {
        out.push(serde_json::from_str(&body?).map_err(|_| crate::Error::Storage(crate::storage::StorageError::Corrupt))?);
    }
    Ok(out)
}
