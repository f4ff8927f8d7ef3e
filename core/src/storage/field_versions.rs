//! Per-field HLC stamps (`field_versions`): the last write of each field of each document,
//! which the sync merge compares. One writer for every module that changes a document field.

use rusqlite::{params, Connection};

/// Record that `field` of the `kind` record `id` was last written at `hlc` (text form).
pub(crate) fn record_field_stamp(conn: &Connection, kind: &str, id: &str, field: &str, hlc: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO field_versions (record_kind, record_id, field, hlc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (record_kind, record_id, field) DO UPDATE SET hlc = excluded.hlc",
        params![kind, id, field, hlc],
    )?;
    Ok(())
}
