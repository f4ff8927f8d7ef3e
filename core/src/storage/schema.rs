//! The phone's numbered SQL migrations, run by the shared runner in `fundi-sqlite`:
//! `PRAGMA user_version` holds the number applied; all pending ones are applied in one
//! transaction, so a kill during an upgrade leaves the old schema intact.
//!
//! To change the schema: add `migrations/NNN_what.sql` and append it to [`MIGRATIONS`]. Never
//! edit a migration that has shipped. `tests::upgrading_from_every_version_equals_fresh` proves
//! that every older database ends up with the same schema as a fresh one.

use super::StorageError;
use fundi_sqlite::Migrations;
use rusqlite::Connection;

/// Migration `i` (0-based) takes the schema from version `i` to version `i + 1`.
pub const MIGRATIONS: Migrations<'static> = Migrations::new(&[
    include_str!("migrations/001_drafts.sql"),
    include_str!("migrations/002_field_versions.sql"),
    include_str!("migrations/003_photos.sql"),
    include_str!("migrations/004_sync.sql"),
    include_str!("migrations/005_depot_key.sql"),
    include_str!("migrations/006_sweep.sql"),
    include_str!("migrations/007_field_members.sql"),
    include_str!("migrations/008_needs_newer_app.sql"),
    include_str!("migrations/009_folded_conflicts.sql"),
    include_str!("migrations/010_uploads.sql"),
    include_str!("migrations/011_review_cache.sql"),
    include_str!("migrations/012_mentees.sql"),
    include_str!("migrations/013_data_saver_and_tally.sql"),
    include_str!("migrations/014_mentee_orders_and_phones.sql"),
    include_str!("migrations/015_sealed_token.sql"),
    include_str!("migrations/016_catalog.sql"),
]);

/// The schema version this build writes.
pub const END_VERSION: u32 = MIGRATIONS.end_version();

pub fn user_version(conn: &Connection) -> Result<u32, StorageError> {
    Ok(fundi_sqlite::user_version(conn)?)
}

/// Bring the database to [`END_VERSION`], then create this phone's identity if it is new.
pub fn migrate(conn: &Connection) -> Result<(), StorageError> {
    MIGRATIONS.migrate(conn)?;
    super::clock::ensure_device(conn)
}

/// Bring the database to `target` (tests use this to build every older schema).
pub fn migrate_to(conn: &Connection, target: u32) -> Result<(), StorageError> {
    Ok(MIGRATIONS.migrate_to(conn, target)?)
}

// The runner's own behaviour (a failed upgrade rolls back every pending migration, a newer
// schema is left untouched) is tested once, in `fundi-sqlite`; these are the phone's cases.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrading_from_every_version_equals_fresh() {
        let fresh = fundi_sqlite::testing::assert_upgrades_equal_fresh(&MIGRATIONS);
        assert!(fresh.iter().any(|l| l.contains("table drafts")));
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

    /// Records a phone of version 5 stored although it could not show them: after the upgrade
    /// they are held for a newer app (and the materials this build cannot hold in their column
    /// moved, with their stamp, to where it keeps such values).
    #[test]
    fn records_stored_at_v7_that_this_build_cannot_show_are_held_after_the_upgrade() {
        let conn = Connection::open_in_memory().unwrap();
        migrate_to(&conn, 7).unwrap();
        conn.execute_batch(
            "INSERT INTO drafts (id, title, description, materials, category, price_minor, currency, weekly_capacity, status,
                                 created_hlc, updated_hlc)
             VALUES ('ok', 'T', '', '[\"sisal\"]', 'baskets', 100, 'KES', 1, 'draft', 'a', 'b'),
                    ('bad', 'T', '', '[1,2]', 'baskets', 100, 'KES', 1, 'draft', 'a', 'b');
             INSERT INTO field_versions (record_kind, record_id, field, hlc) VALUES ('draft', 'bad', 'materials', 'm');
             INSERT INTO orders (id, status, body) VALUES ('o1', 'assigned', '{}'), ('o2', 'on_hold', '{}');
             INSERT INTO remote_docs (kind, id, body) VALUES ('draft', 'r1', '{\"status\":\"submitted\",\"doc\":{}}'),
                 ('draft', 'r2', '{\"status\":\"in_translation\",\"doc\":{}}'), ('invoice', 'i', '{}');",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let held = |table: &str| -> Vec<String> {
            let sql = format!("SELECT id FROM {table} WHERE needs_newer_app = 1 ORDER BY id");
            let mut s = conn.prepare(&sql).unwrap();
            let rows = s.query_map([], |r| r.get(0)).unwrap();
            rows.collect::<Result<_, _>>().unwrap()
        };
        assert_eq!(held("drafts"), ["bad"]);
        assert_eq!(held("orders"), ["o2"]);
        assert_eq!(held("remote_docs"), ["i", "r2"]);
        let (materials, unknown): (String, String) = conn
            .query_row("SELECT materials, unknown_fields FROM drafts WHERE id = 'bad'", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((materials.as_str(), unknown.as_str()), ("[]", r#"{"materials":{"value":[1,2],"hlc":"m"}}"#));
    }

    /// What a build before the catalog (v15) held and this one shows is released by 016: a
    /// stocked order, a product that reads as one; a product in a listing this build does not
    /// know, and another kind, stay held.
    #[test]
    fn records_held_before_the_catalog_are_released_at_v16() {
        let conn = Connection::open_in_memory().unwrap();
        migrate_to(&conn, 15).unwrap();
        let product = |listing: &str| {
            format!(
                r#"{{"owner":"a1","version":1,"title":"Kiondo","description":"Sisal","materials":["sisal"],"category":"baskets",
                "price_minor":150000,"weekly_capacity":3,"photos":[],"approved_ms":5,"listing":"{listing}"}}"#
            )
        };
        conn.execute_batch(&format!(
            "INSERT INTO orders (id, status, body, needs_newer_app) VALUES ('o1', 'stocked', '{{}}', 1), ('o2', 'on_hold', '{{}}', 1);
             INSERT INTO remote_docs (kind, id, body, needs_newer_app) VALUES ('product', 'p1', '{}', 1),
                 ('product', 'p2', '{}', 1), ('invoice', 'i', '{{}}', 1);",
            product("published"),
            product("on_preorder"),
        ))
        .unwrap();
        migrate(&conn).unwrap();
        let held = |table: &str| -> Vec<String> {
            let sql = format!("SELECT id FROM {table} WHERE needs_newer_app = 1 ORDER BY id");
            let mut s = conn.prepare(&sql).unwrap();
            let rows = s.query_map([], |r| r.get(0)).unwrap();
            rows.collect::<Result<_, _>>().unwrap()
        };
        assert_eq!(held("orders"), ["o2"]);
        assert_eq!(held("remote_docs"), ["i", "p2"]);
    }

    /// The real migration 002 failing halfway (its table already exists) after 001's data is in.
    #[test]
    fn a_failed_migration_leaves_the_old_version() {
        let conn = Connection::open_in_memory().unwrap();
        migrate_to(&conn, 1).unwrap();
        conn.execute_batch("CREATE TABLE field_versions (x)").unwrap();
        assert!(migrate_to(&conn, END_VERSION).is_err());
        assert_eq!(user_version(&conn).unwrap(), 1);
        let has_column: i64 = conn
            .query_row("SELECT COUNT(*) FROM pragma_table_info('drafts') WHERE name='unknown_fields'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(has_column, 0, "the partial migration was rolled back");
    }

    /// The app tells the user to update on exactly this variant (see the bindings' `AppTooOld`).
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
