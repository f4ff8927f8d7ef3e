//! Numbered SQL migrations. `PRAGMA user_version` holds the number applied; all pending ones
//! are applied in one transaction, so a kill during an upgrade leaves the old schema intact.
//!
//! To change the schema: add `migrations/NNN_what.sql` and append it to [`MIGRATIONS`]. Never
//! edit a migration that has shipped. `tests::upgrading_from_every_version_equals_fresh` proves
//! that every older database ends up with the same schema as a fresh one.

use super::StorageError;
use rusqlite::Connection;

/// Migration `i` (0-based) takes the schema from version `i` to version `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_drafts.sql"),
    include_str!("migrations/002_field_versions.sql"),
    include_str!("migrations/003_photos.sql"),
    include_str!("migrations/004_sync.sql"),
];

/// The schema version this build writes.
pub const END_VERSION: u32 = MIGRATIONS.len() as u32;

pub fn user_version(conn: &Connection) -> Result<u32, StorageError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as u32)
}

/// Bring the database to [`END_VERSION`].
pub fn migrate(conn: &Connection) -> Result<(), StorageError> {
    migrate_to(conn, END_VERSION)?;
    super::clock::ensure_device(conn)
}

/// Bring the database to `target` (tests use this to build every older schema).
pub fn migrate_to(conn: &Connection, target: u32) -> Result<(), StorageError> {
    let found = user_version(conn)?;
    if found > END_VERSION {
        return Err(StorageError::NewerSchema { found, supported: END_VERSION });
    }
    if found >= target {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        for sql in &MIGRATIONS[found as usize..target as usize] {
            conn.execute_batch(sql)?;
        }
        conn.pragma_update(None, "user_version", target)?;
        Ok::<_, rusqlite::Error>(())
    })();
    match result {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table, column, index and trigger, in a canonical order.
    fn schema_of(conn: &Connection) -> Vec<String> {
        let mut out = vec![];
        let mut stmt = conn
            .prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
            .unwrap();
        let objects: Vec<(String, String, String)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(|r| r.unwrap()).collect();
        for (kind, name, table) in objects {
            out.push(format!("{kind} {name} on {table}"));
            if kind == "table" {
                let mut cols = conn.prepare(&format!("PRAGMA table_xinfo(\"{name}\")")).unwrap();
                let rows = cols
                    .query_map([], |r| {
                        Ok(format!(
                            "  col {} {} notnull={} default={:?} pk={}",
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, Option<String>>(4)?,
                            r.get::<_, i64>(5)?
                        ))
                    })
                    .unwrap();
                out.extend(rows.map(|r| r.unwrap()));
            }
            if kind == "index" {
                let mut cols = conn.prepare(&format!("PRAGMA index_xinfo(\"{name}\")")).unwrap();
                let rows = cols
                    .query_map([], |r| Ok(format!("  key {:?} desc={}", r.get::<_, Option<String>>(2)?, r.get::<_, i64>(3)?)))
                    .unwrap();
                out.extend(rows.map(|r| r.unwrap()));
            }
        }
        out
    }

    #[test]
    fn upgrading_from_every_version_equals_fresh() {
        let fresh = Connection::open_in_memory().unwrap();
        migrate(&fresh).unwrap();
        let fresh_schema = schema_of(&fresh);
        assert!(fresh_schema.iter().any(|l| l.contains("table drafts")));
        for start in 0..END_VERSION {
            let old = Connection::open_in_memory().unwrap();
            migrate_to(&old, start).unwrap();
            assert_eq!(user_version(&old).unwrap(), start);
            migrate(&old).unwrap();
            assert_eq!(user_version(&old).unwrap(), END_VERSION);
            assert_eq!(schema_of(&old), fresh_schema, "upgrade from v{start} differs from a fresh schema");
        }
    }

    #[test]
    fn data_written_at_v1_survives_the_upgrade_with_field_stamps() {
        let conn = Connection::open_in_memory().unwrap();
        migrate_to(&conn, 1).unwrap();
        conn.execute(
            "INSERT INTO drafts VALUES ('d1','Kikapu','Sisal basket','[\"sisal\"]','baskets',150000,'KES',5,'draft','a','b',NULL)",
            [],
        )
        .unwrap();
        migrate(&conn).unwrap();
        let (title, unknown): (String, String) =
            conn.query_row("SELECT title, unknown_fields FROM drafts WHERE id='d1'", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!((title.as_str(), unknown.as_str()), ("Kikapu", "{}"));
        let stamps: i64 =
            conn.query_row("SELECT COUNT(*) FROM field_versions WHERE record_id='d1' AND hlc='b'", [], |r| r.get(0)).unwrap();
        assert_eq!(stamps, 7);
    }

    #[test]
    fn a_failed_migration_leaves_the_old_version() {
        let conn = Connection::open_in_memory().unwrap();
        migrate_to(&conn, 1).unwrap();
        // Make migration 002 fail halfway: its table already exists.
        conn.execute_batch("CREATE TABLE field_versions (x)").unwrap();
        assert!(migrate_to(&conn, END_VERSION).is_err());
        assert_eq!(user_version(&conn).unwrap(), 1);
        let has_column: i64 = conn
            .query_row("SELECT COUNT(*) FROM pragma_table_info('drafts') WHERE name='unknown_fields'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(has_column, 0, "the partial migration was rolled back");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", END_VERSION + 1).unwrap();
        match migrate(&conn) {
            Err(StorageError::NewerSchema { found, supported }) => {
                assert_eq!((found, supported), (END_VERSION + 1, END_VERSION))
            }
            other => panic!("expected NewerSchema, got {other:?}"),
        }
    }
}
