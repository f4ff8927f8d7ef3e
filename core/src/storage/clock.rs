//! The phone's identity and its hybrid logical clock, persisted so stamps stay monotonic
//! across restarts and wall-clock changes.

use super::StorageError;
use fundi_sync::hlc::{wall_clock_ms, Hlc, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};

/// Create the device row on first open: a permanent device id and its 64-bit HLC node, with
/// the clock's row. Both in one transaction: a write failing between them (a full disk) must
/// not leave a device without the clock row every later stamp reads. The clock row is also
/// checked on its own, which repairs a file where a build that wrote them apart was stopped
/// between the two.
pub(super) fn ensure_device(conn: &Connection) -> Result<(), StorageError> {
    let tx = conn.unchecked_transaction()?;
    let exists: Option<i64> = tx.query_row("SELECT id FROM device", [], |r| r.get(0)).optional()?;
    if exists.is_none() {
        let id = uuid::Uuid::new_v4();
        let node = fundi_sync::hlc::random_node() as i64;
        tx.execute("INSERT INTO device (id, device_id, node) VALUES (1, ?1, ?2)", params![id.hyphenated().to_string(), node])?;
    }
    tx.execute("INSERT OR IGNORE INTO hlc_state (id, wall_ms, counter) VALUES (1, 0, 0)", [])?;
    tx.commit()?;
    Ok(())
}

/// This phone's permanent device id (what a mentor or operations revoke when it is lost).
pub fn device_id(conn: &Connection) -> Result<String, StorageError> {
    Ok(conn.query_row("SELECT device_id FROM device", [], |r| r.get(0))?)
}

/// This phone's HLC node id.
pub fn device_node(conn: &Connection) -> Result<u64, StorageError> {
    Ok(conn.query_row("SELECT node FROM device", [], |r| r.get::<_, i64>(0))? as u64)
}

/// Issue the next HLC stamp and persist the clock. Call inside the transaction that writes the
/// change being stamped, so the stamp and the change commit (or vanish) together.
pub fn stamp(conn: &Connection) -> Result<Timestamp, StorageError> {
    stamp_at(conn, physical_now(conn)?)
}

/// The phone's wall clock corrected by what the last sync learnt of the depot's clock (see
/// `sync_state.clock_offset_ms`), so a phone whose clock is far off still stamps near true time.
pub fn physical_now(conn: &Connection) -> Result<u64, StorageError> {
    let (skew, offset): (i64, i64) =
        conn.query_row("SELECT clock_skew_ms, clock_offset_ms FROM sync_state WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((wall_clock_ms() as i64).saturating_add(skew).saturating_add(offset).max(0) as u64)
}

pub(crate) fn stamp_at(conn: &Connection, physical_ms: u64) -> Result<Timestamp, StorageError> {
    let mut hlc = load_clock(conn)?;
    let ts = hlc.tick(physical_ms)?;
    save_clock(conn, &hlc)?;
    Ok(ts)
}

/// The phone's clock as persisted (the greatest stamp issued or seen, and this phone's node).
pub fn load_clock(conn: &Connection) -> Result<Hlc, StorageError> {
    let node = device_node(conn)?;
    let (wall_ms, counter): (i64, i64) =
        conn.query_row("SELECT wall_ms, counter FROM hlc_state WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(Hlc { wall_ms: wall_ms as u64, counter: counter as u32, node })
}

/// Persist the clock (inside the transaction whose stamps it issued or observed).
pub fn save_clock(conn: &Connection, hlc: &Hlc) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE hlc_state SET wall_ms = ?1, counter = ?2 WHERE id = 1",
        params![hlc.wall_ms as i64, hlc.counter as i64],
    )?;
    Ok(())
}

/// The phone's wall clock with its test skew, before the depot's correction.
pub fn local_wall_ms(conn: &Connection) -> Result<i64, StorageError> {
    let skew: i64 = conn.query_row("SELECT clock_skew_ms FROM sync_state WHERE id = 1", [], |r| r.get(0))?;
    Ok((wall_clock_ms() as i64).saturating_add(skew))
}

/// Remember how far the depot's clock is from this phone's (see [`physical_now`]).
pub fn set_clock_offset(conn: &Connection, offset_ms: i64) -> Result<(), StorageError> {
    conn.execute("UPDATE sync_state SET clock_offset_ms = ?1 WHERE id = 1", [offset_ms])?;
    Ok(())
}

/// Pretend this phone's wall clock is `ms` off (tests and demos of clock trouble).
pub fn set_clock_skew(conn: &Connection, ms: i64) -> Result<(), StorageError> {
    conn.execute("UPDATE sync_state SET clock_skew_ms = ?1 WHERE id = 1", [ms])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_persists_and_survives_a_wall_clock_set_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.db");
        let first = {
            let conn = crate::storage::open(&path).unwrap();
            stamp_at(&conn, 2_000_000).unwrap()
        };
        let conn = crate::storage::open(&path).unwrap();
        let second = stamp_at(&conn, 1_000).unwrap();
        assert!(second > first, "{second} must follow {first} after reopen with an earlier wall clock");
        assert_eq!(second.node, first.node, "the device identity is permanent");
    }

    /// A device row without the clock's (a build that wrote them in two transactions, stopped
    /// between them by a full disk): opening adds the clock row, and stamps work again.
    #[test]
    fn a_device_without_its_clock_row_is_repaired_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.db");
        let node = device_node(&crate::storage::open(&path).unwrap()).unwrap();
        Connection::open(&path).unwrap().execute("DELETE FROM hlc_state", []).unwrap();
        let conn = crate::storage::open(&path).unwrap();
        assert_eq!(device_node(&conn).unwrap(), node, "the device identity is kept");
        assert!(stamp(&conn).is_ok());
    }
}
