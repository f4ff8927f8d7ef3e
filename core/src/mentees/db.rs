//! The only SQL on `mentees`: the depot's last list of this mentor's mentees.

use crate::error::{Error, Result};
use crate::storage::StorageError;

fn corrupt() -> Error {
    Error::Storage(StorageError::Corrupt)
}
use fundi_sync::Mentee;
use rusqlite::{params, Connection};

/// Replace the list with the depot's.
pub(crate) fn replace(conn: &Connection, mentees: &[Mentee]) -> Result<()> {
    conn.execute("DELETE FROM mentees", [])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO mentees (account_id, name, phones, code_waiting, last_seen_ms, late_orders, devices)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for m in mentees {
        let devices = serde_json::to_string(&m.devices).map_err(|_| corrupt())?;
        let seen = m.last_seen_ms.map(|ms| ms as i64);
        insert.execute(params![m.account_id, m.name, m.phones, m.code_waiting, seen, m.late_orders, devices])?;
    }
    Ok(())
}

/// The list, by name.
pub(crate) fn list(conn: &Connection) -> Result<Vec<Mentee>> {
    let mut q = conn.prepare(
        "SELECT account_id, name, phones, code_waiting, last_seen_ms, late_orders, devices FROM mentees ORDER BY name, account_id",
    )?;
    let rows = q.query_map([], |r| {
        Ok((
            Mentee {
                account_id: r.get(0)?,
                name: r.get(1)?,
                phones: r.get(2)?,
                code_waiting: r.get(3)?,
                last_seen_ms: r.get::<_, Option<i64>>(4)?.map(|ms| ms as u64),
                late_orders: r.get(5)?,
                devices: vec![],
            },
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = vec![];
    for row in rows {
        let (mut m, devices) = row?;
        m.devices = serde_json::from_str(&devices).map_err(|_| corrupt())?;
        out.push(m);
    }
    Ok(out)
}
