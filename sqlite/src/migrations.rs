//! Numbered SQL migrations. Migration `i` (0-based) takes the schema from version `i` to
//! `i + 1`; `PRAGMA user_version` holds the number applied. All pending migrations run in one
//! IMMEDIATE transaction together with the new version number, so a failure or a kill halfway
//! leaves the old schema and the old version, never a mix.
//!
//! Rules for the SQL, per crate: never edit a migration that has shipped (append a new one),
//! and never put `BEGIN`/`COMMIT` in one (the runner owns the transaction). Each crate proves
//! with [`crate::testing::assert_upgrades_equal_fresh`] that every older file ends up with the
//! same schema as a fresh one.

use crate::Error;
use rusqlite::{Connection, Transaction, TransactionBehavior};

/// The ordered migrations of one database.
#[derive(Debug, Clone, Copy)]
pub struct Migrations<'a> {
    steps: &'a [&'a str],
}

/// The schema version recorded in the file (0 for a new one).
pub fn user_version(conn: &Connection) -> Result<u32, rusqlite::Error> {
    // SQLite stores a signed 32-bit number; a negative one is no version this code wrote, and
    // reading it as a huge number makes it refused as "newer" instead of migrated over.
    conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).map(|v| v as u32)
}

impl<'a> Migrations<'a> {
    pub const fn new(steps: &'a [&'a str]) -> Self {
        Migrations { steps }
    }

    /// The schema version this build writes.
    pub const fn end_version(&self) -> u32 {
        self.steps.len() as u32
    }

    /// Bring the database to [`Self::end_version`].
    pub fn migrate(&self, conn: &Connection) -> Result<(), Error> {
        self.migrate_to(conn, self.end_version())
    }

    /// Bring the database to `target` (tests use this to build every older schema). A file
    /// already at or past `target` is left alone; one past [`Self::end_version`] is refused
    /// with [`Error::NewerSchema`] and left untouched.
    ///
    /// # Panics
    /// If `target` is past the last migration (a bug in the caller, not a property of the file).
    pub fn migrate_to(&self, conn: &Connection, target: u32) -> Result<(), Error> {
        let end = self.end_version();
        assert!(target <= end, "no migration leads to version {target} (the last is {end})");
        // Checked before taking the write lock, so opening an up-to-date or a newer file
        // writes nothing and never waits on another writer.
        let found = self.version_of(conn)?;
        if found >= target {
            return Ok(());
        }
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        // Read again under the lock: another connection (the depot's command line next to its
        // server) may have migrated the file between the check above and the lock.
        let found = self.version_of(&tx)?;
        if found >= target {
            return Ok(());
        }
        for sql in &self.steps[found as usize..target as usize] {
            tx.execute_batch(sql)?;
        }
        tx.pragma_update(None, "user_version", target)?;
        // On any error above, dropping `tx` rolls every pending migration back.
        tx.commit()?;
        Ok(())
    }

    /// The schema version of the file, changing nothing: one past [`Self::end_version`] is
    /// [`Error::NewerSchema`] (what `migrate` would refuse); below it, migrations are pending.
    pub fn version_of(&self, conn: &Connection) -> Result<u32, Error> {
        let found = user_version(conn)?;
        let supported = self.end_version();
        if found > supported {
            return Err(Error::NewerSchema { found, supported });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::schema_of;
    use crate::{open, open_in_memory, Options};

    /// A small history: a table with data, a column and an index added, a second table.
    const STEPS: [&str; 3] = [
        "CREATE TABLE makers (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO makers (name) VALUES ('Akinyi');",
        "ALTER TABLE makers ADD COLUMN town TEXT NOT NULL DEFAULT ''; CREATE INDEX makers_by_town ON makers (town);",
        "CREATE TABLE products (id INTEGER PRIMARY KEY, maker INTEGER NOT NULL REFERENCES makers (id)); UPDATE makers SET town = 'Kisumu';",
    ];
    const MIGRATIONS: Migrations = Migrations::new(&STEPS);

    /// Fails on its second statement, after its first one (and earlier migrations) changed things.
    const FAILING: &str = "CREATE TABLE orders (id INTEGER PRIMARY KEY); INSERT INTO nowhere VALUES (1);";

    fn mem() -> Connection {
        open_in_memory(&Options::default()).unwrap()
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_new_database_gets_every_migration_and_the_last_version() {
        let conn = mem();
        assert_eq!(user_version(&conn).unwrap(), 0);
        MIGRATIONS.migrate(&conn).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 3);
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM makers WHERE town = 'Kisumu'"), 1);
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM products"), 0);
    }

    #[test]
    fn migrating_stops_at_the_target_and_resumes_from_it() {
        let conn = mem();
        MIGRATIONS.migrate_to(&conn, 1).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 1);
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM pragma_table_info('makers') WHERE name = 'town'"), 0);
        // Migration 1 would fail if it ran again (its table exists), so this also proves that
        // only the pending ones run.
        MIGRATIONS.migrate(&conn).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 3);
        MIGRATIONS.migrate(&conn).unwrap();
        MIGRATIONS.migrate_to(&conn, 2).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 3, "an older target never goes back");
    }

    /// The runner's transaction covers every pending migration, not just the failing one: the
    /// first of two pending migrations succeeds, the second fails on its second statement, and
    /// nothing of either may remain.
    #[test]
    fn a_failure_in_the_second_pending_migration_rolls_back_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.db");
        let conn = open(&path, &Options::default()).unwrap();
        let steps = [STEPS[0], FAILING];
        match Migrations::new(&steps).migrate(&conn) {
            Err(Error::Sqlite(e)) => assert!(e.to_string().contains("nowhere"), "{e}"),
            other => panic!("expected the second migration's error, got {other:?}"),
        }
        assert!(conn.is_autocommit(), "the transaction was closed, not left open");
        assert_eq!(user_version(&conn).unwrap(), 0);
        assert_eq!(schema_of(&conn), Vec::<String>::new(), "the first migration was rolled back too");
        drop(conn);
        let again = open(&path, &Options::default()).unwrap();
        assert_eq!(user_version(&again).unwrap(), 0);
        assert_eq!(schema_of(&again), Vec::<String>::new());
        // The file is still good for a correct set of migrations.
        MIGRATIONS.migrate(&again).unwrap();
        assert_eq!(user_version(&again).unwrap(), 3);
    }

    /// From a file in use at version 1, two pending migrations where the second fails: the
    /// file keeps version 1, its schema and its data.
    #[test]
    fn a_failed_migration_leaves_the_old_version() {
        let conn = mem();
        let steps = [STEPS[0], STEPS[1], FAILING];
        let migrations = Migrations::new(&steps);
        migrations.migrate_to(&conn, 1).unwrap();
        conn.execute("INSERT INTO makers (name) VALUES ('Baraka')", []).unwrap();
        let before = schema_of(&conn);
        assert!(migrations.migrate(&conn).is_err());
        assert!(conn.is_autocommit());
        assert_eq!(user_version(&conn).unwrap(), 1);
        assert_eq!(schema_of(&conn), before, "migration 2's column and index were rolled back");
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM makers"), 2);
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        {
            // Written by a build that knows a fourth migration.
            let conn = open(&path, &Options::default()).unwrap();
            let newer = [STEPS[0], STEPS[1], STEPS[2], "CREATE TABLE reviews (id INTEGER PRIMARY KEY);"];
            Migrations::new(&newer).migrate(&conn).unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        let conn = open(&path, &Options::default()).unwrap();
        for target in [3, 1, 0] {
            match MIGRATIONS.migrate_to(&conn, target) {
                Err(Error::NewerSchema { found, supported }) => assert_eq!((found, supported), (4, 3)),
                other => panic!("expected NewerSchema, got {other:?}"),
            }
        }
        assert!(conn.is_autocommit());
        assert_eq!(user_version(&conn).unwrap(), 4);
        drop(conn);
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "the newer file was not changed");
        assert!(!dir.path().join("newer.db-wal").exists());
    }

    /// Two connections open a new file at the same time (the depot's server and its command
    /// line): the one that waits for the write lock must see the other's upgrade, not re-run it.
    #[test]
    fn a_migration_waiting_for_the_lock_sees_the_one_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.db");
        let first = open(&path, &Options::default()).unwrap();
        first.execute_batch("BEGIN IMMEDIATE").unwrap();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let second = open(&path, &Options { busy_timeout: std::time::Duration::from_secs(20) }).unwrap();
                MIGRATIONS.migrate(&second).map(|()| user_version(&second).unwrap())
            })
        };
        // Let the second connection read version 0 and queue for the lock, then migrate here.
        std::thread::sleep(std::time::Duration::from_millis(300));
        for sql in STEPS {
            first.execute_batch(sql).unwrap();
        }
        first.pragma_update(None, "user_version", 3).unwrap();
        first.execute_batch("COMMIT").unwrap();
        assert_eq!(waiter.join().unwrap().unwrap(), 3);
        assert_eq!(count(&first, "SELECT COUNT(*) FROM makers"), 1, "migration 1 ran once");
    }

    #[test]
    #[should_panic(expected = "no migration leads to version 4")]
    fn asking_for_a_version_past_the_last_migration_is_a_bug() {
        let _ = MIGRATIONS.migrate_to(&mem(), 4);
    }
}
