//! Helpers for the tests of the crates that use this one. Not part of the app's API.
//!
//! - [`schema_of`], [`assert_upgrades_equal_fresh`]: the upgrade-equals-fresh check.
//! - [`contents_of`], [`contents_diff`]: every row of every table, and what differs between two
//!   such snapshots (to tell that a failed write left a file as it was, and say what it left).
//! - `fault_vfs` (feature `testing`): fail the n-th write or fsync of a database with a full
//!   disk's or a failing disk's error, over `vfs_shim`, the wrapper VFS the kill tests' crash
//!   VFS uses too.

#[cfg(any(test, feature = "testing"))]
pub mod fault_vfs;
#[cfg(any(test, feature = "testing"))]
pub mod vfs_shim;

use crate::{open_in_memory, user_version, Migrations, Options};
use rusqlite::types::Value;
use rusqlite::Connection;
use std::collections::BTreeMap;

/// Every table (with its columns), index (with its keys), trigger and view, in a canonical
/// order: two databases with equal lists have the same schema for every query the app runs.
pub fn schema_of(conn: &Connection) -> Vec<String> {
    let mut out = vec![];
    let mut stmt = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .unwrap();
    let objects: Vec<(String, String, String, Option<String>)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(|r| r.unwrap()).collect();
    for (kind, name, table, sql) in objects {
        out.push(format!("{kind} {name} on {table}"));
        match kind.as_str() {
            "table" => {
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
            "index" => {
                let mut cols = conn.prepare(&format!("PRAGMA index_xinfo(\"{name}\")")).unwrap();
                let rows = cols
                    .query_map([], |r| Ok(format!("  key {:?} desc={}", r.get::<_, Option<String>>(2)?, r.get::<_, i64>(3)?)))
                    .unwrap();
                out.extend(rows.map(|r| r.unwrap()));
            }
            // Their behaviour is their SQL; no pragma describes them.
            _ => out.extend(sql.map(|s| format!("  {s}"))),
        }
    }
    out
}

/// Every row of every table, as text, rows sorted: two files with equal contents hold the same
/// data ("a write that failed left the file exactly as it was" is such an equality).
pub fn contents_of(conn: &Connection) -> BTreeMap<String, Vec<String>> {
    contents_without(conn, &[])
}

/// [`contents_of`] without the columns `ignored` names as (table, column): values a test means
/// to leave out of "unchanged" (a phone's last-seen time, written by any authenticated request).
pub fn contents_without(conn: &Connection, ignored: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").unwrap();
    let tables: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let mut out = BTreeMap::new();
    for table in tables {
        let mut cols = conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid")).unwrap();
        let columns: Vec<String> = cols
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .filter(|c| !ignored.contains(&(table.as_str(), c.as_str())))
            .map(|c| format!("\"{c}\""))
            .collect();
        let mut stmt = conn.prepare(&format!("SELECT {} FROM \"{table}\"", columns.join(", "))).unwrap();
        let width = stmt.column_count();
        let rows = stmt.query_map([], |r| (0..width).map(|i| r.get::<_, Value>(i)).collect::<Result<Vec<_>, _>>()).unwrap();
        let mut rows: Vec<String> = rows.map(|r| format!("{:?}", r.unwrap())).collect();
        rows.sort();
        out.insert(table, rows);
    }
    out
}

/// The rows that differ between two [`contents_of`] snapshots, one line each (`table: - row`
/// for a row only in `before`, `table: + row` for one only in `after`); empty when equal.
pub fn contents_diff(before: &BTreeMap<String, Vec<String>>, after: &BTreeMap<String, Vec<String>>) -> String {
    let none = Vec::new();
    let mut out = String::new();
    let tables: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for table in tables {
        let (b, a) = (before.get(table).unwrap_or(&none), after.get(table).unwrap_or(&none));
        for row in b.iter().filter(|r| !a.contains(r)) {
            out.push_str(&format!("{table}: - {row}\n"));
        }
        for row in a.iter().filter(|r| !b.contains(r)) {
            out.push_str(&format!("{table}: + {row}\n"));
        }
    }
    out
}

/// Build every older version of the schema, upgrade each to the last one, and assert that the
/// result equals a fresh database's schema. Returns the fresh schema for further checks.
pub fn assert_upgrades_equal_fresh(migrations: &Migrations<'_>) -> Vec<String> {
    let end = migrations.end_version();
    let fresh = open_in_memory(&Options::default()).unwrap();
    migrations.migrate(&fresh).unwrap();
    assert_eq!(user_version(&fresh).unwrap(), end);
    let fresh_schema = schema_of(&fresh);
    assert!(end == 0 || !fresh_schema.is_empty(), "the migrations create nothing");
    for start in 0..end {
        let old = open_in_memory(&Options::default()).unwrap();
        migrations.migrate_to(&old, start).unwrap();
        assert_eq!(user_version(&old).unwrap(), start);
        migrations.migrate(&old).unwrap();
        assert_eq!(user_version(&old).unwrap(), end);
        assert_eq!(schema_of(&old), fresh_schema, "upgrade from v{start} differs from a fresh schema");
    }
    fresh_schema
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(sql: &str) -> Vec<String> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(sql).unwrap();
        schema_of(&conn)
    }

    #[test]
    fn contents_of_sees_every_row_and_value() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE a (x, y); CREATE TABLE b (z); INSERT INTO a VALUES (1, 'one'), (2, NULL);").unwrap();
        let base = contents_of(&conn);
        assert_eq!(base.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(base["a"].len(), 2);
        conn.execute("UPDATE a SET y = 'two' WHERE x = 2", []).unwrap();
        assert_ne!(contents_of(&conn), base);
        conn.execute("UPDATE a SET y = NULL WHERE x = 2", []).unwrap();
        assert_eq!(contents_of(&conn), base);
        conn.execute("INSERT INTO b VALUES (X'00')", []).unwrap();
        assert_ne!(contents_of(&conn), base);
        assert_eq!(contents_diff(&base, &contents_of(&conn)), "b: + [Blob([0])]\n");
        assert_eq!(contents_diff(&base, &base), "");
    }

    #[test]
    fn the_upgrade_check_passes_over_a_sound_history() {
        let steps = [
            "CREATE TABLE a (x TEXT NOT NULL);",
            "ALTER TABLE a ADD COLUMN y INTEGER DEFAULT 0; CREATE INDEX a_by_y ON a (y DESC);",
            "CREATE TRIGGER a_ins AFTER INSERT ON a BEGIN UPDATE a SET y = 1 WHERE rowid = new.rowid; END;",
        ];
        let fresh = assert_upgrades_equal_fresh(&Migrations::new(&steps));
        assert!(fresh.iter().any(|l| l == "trigger a_ins on a"), "{fresh:#?}");
        assert!(assert_upgrades_equal_fresh(&Migrations::new(&[])).is_empty());
    }

    /// The comparison sees each difference an upgrade could leave behind.
    #[test]
    fn schema_of_sees_columns_keys_defaults_and_trigger_bodies() {
        let base = schema("CREATE TABLE a (x TEXT NOT NULL, y INTEGER DEFAULT 0); CREATE INDEX a_y ON a (y);");
        assert_eq!(base, schema("CREATE TABLE a (x TEXT NOT NULL, y INTEGER DEFAULT 0); CREATE INDEX a_y ON a (y);"));
        for other in [
            "CREATE TABLE a (x TEXT, y INTEGER DEFAULT 0); CREATE INDEX a_y ON a (y);",
            "CREATE TABLE a (x TEXT NOT NULL, y INTEGER DEFAULT 1); CREATE INDEX a_y ON a (y);",
            "CREATE TABLE a (x TEXT NOT NULL, y TEXT DEFAULT 0); CREATE INDEX a_y ON a (y);",
            "CREATE TABLE a (x TEXT NOT NULL, y INTEGER DEFAULT 0); CREATE INDEX a_y ON a (y DESC);",
            "CREATE TABLE a (x TEXT NOT NULL, y INTEGER DEFAULT 0); CREATE INDEX a_y ON a (x);",
            "CREATE TABLE a (x TEXT NOT NULL, y INTEGER DEFAULT 0, z); CREATE INDEX a_y ON a (y);",
        ] {
            assert_ne!(schema(other), base, "{other}");
        }
        let trigger = |body: &str| schema(&format!("CREATE TABLE a (x); CREATE TRIGGER t AFTER INSERT ON a BEGIN {body}; END;"));
        assert_ne!(trigger("DELETE FROM a WHERE x = 1"), trigger("DELETE FROM a WHERE x = 2"));
    }
}
