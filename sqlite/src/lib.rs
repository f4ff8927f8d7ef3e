//! The SQLite helper shared by the phone core and the depot, so both open their one file the
//! same way and upgrade it by the same rules:
//!
//! - [`open`]: create or open a file with the house settings (see `docs/adr/0005-storage-settings.md`):
//!   WAL journal (checked, not assumed), `synchronous=NORMAL` (a committed transaction survives
//!   the process being killed; only a power cut may lose the last few), foreign keys on, and a
//!   busy timeout. Opening never wipes anything: a file that is not a database fails with the
//!   SQLite error, for the caller to classify.
//! - [`Migrations`]: numbered SQL migrations, the version kept in `PRAGMA user_version`, all
//!   pending ones applied in one transaction, and a typed [`Error::NewerSchema`] for a file
//!   written by a newer build (refused and left untouched).
//! - [`testing`]: the upgrade-equals-fresh check each crate runs over its own migrations, and
//!   (feature `testing`, for tests only) the fault VFS that fails the n-th write or fsync of a
//!   database with a full disk's or a failing disk's error, over the VFS shim the kill tests'
//!   crash VFS also uses.
//! - [`crash_point()`]: named places where a kill test makes the process die on purpose (armed by
//!   an environment variable; a no-op otherwise).

pub mod crash_point;
mod error;
mod migrations;
pub mod testing;

pub use crash_point::crash_point;
pub use error::Error;
pub use migrations::{user_version, Migrations};

use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// How to open a database. The settings that are not options (WAL, `synchronous`, foreign
/// keys) are the same for every Fundi file on purpose.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long a statement waits for another connection's write lock before `SQLITE_BUSY`.
    pub busy_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options { busy_timeout: Duration::from_secs(5) }
    }
}

/// Open (creating if needed) the database file at `path` and apply the settings. The schema is
/// the caller's: run its [`Migrations`] next.
pub fn open(path: &Path, options: &Options) -> Result<Connection, Error> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn, options)?;
    Ok(conn)
}

/// An in-memory database with the same settings (its journal is necessarily in memory).
pub fn open_in_memory(options: &Options) -> Result<Connection, Error> {
    let conn = Connection::open_in_memory()?;
    configure(&conn, options)?;
    Ok(conn)
}

/// Apply the settings to a connection opened elsewhere.
pub fn configure(conn: &Connection, options: &Options) -> Result<(), Error> {
    conn.busy_timeout(options.busy_timeout)?;
    // The first statement that reads the file header: a non-database fails here with NOTADB.
    // SQLite answers with the mode it actually set, which is not WAL on media that cannot hold
    // the shared-memory file; running in another mode would quietly change the crash guarantees.
    let mode = journal_mode_wal(conn)?;
    if mode != "wal" && mode != "memory" {
        return Err(Error::JournalMode(mode));
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
    Ok(())
}

/// `PRAGMA journal_mode=WAL`, run to its end. On a new file the switch is a write transaction
/// that commits when the statement ends, after it has answered "wal": read only its row (as
/// `query_row` does) and a failed commit (a full disk) is lost in the statement's reset,
/// leaving the connection in the rollback-journal mode while the answer said WAL.
fn journal_mode_wal(conn: &Connection) -> Result<String, Error> {
    let mut stmt = conn.prepare("PRAGMA journal_mode=WAL")?;
    let mut rows = stmt.query([])?;
    let mode: String = match rows.next()? {
        Some(row) => row.get(0)?,
        None => return Err(Error::JournalMode(String::new())),
    };
    while rows.next()?.is_some() {}
    Ok(mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ErrorCode;

    fn pragma(conn: &Connection, name: &str) -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, rusqlite::types::Value>(0))
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(s) => s,
                other => format!("{other:?}"),
            })
            .unwrap()
    }

    #[test]
    fn open_applies_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("a.db"), &Options { busy_timeout: Duration::from_millis(1234) }).unwrap();
        assert_eq!(pragma(&conn, "journal_mode"), "wal");
        assert_eq!(pragma(&conn, "synchronous"), "1", "NORMAL");
        assert_eq!(pragma(&conn, "foreign_keys"), "1");
        assert_eq!(pragma(&conn, "busy_timeout"), "1234");
    }

    #[test]
    fn an_in_memory_database_gets_the_same_settings() {
        let conn = open_in_memory(&Options::default()).unwrap();
        assert_eq!(pragma(&conn, "journal_mode"), "memory");
        assert_eq!(pragma(&conn, "synchronous"), "1");
        assert_eq!(pragma(&conn, "foreign_keys"), "1");
        assert_eq!(pragma(&conn, "busy_timeout"), "5000");
    }

    /// Switching a new file to WAL writes it: a failure there is an error of `open`, not a
    /// connection left in another journal mode behind an answer that said WAL.
    #[test]
    fn a_write_failing_while_a_new_file_switches_to_wal_fails_the_open() {
        use crate::testing::fault_vfs::{self, Plan};
        let dir = tempfile::tempdir().unwrap();
        for n in 1..=3 {
            let path = dir.path().join(format!("new-{n}.db"));
            let armed = fault_vfs::arm(&path, Plan::io_error(n));
            let result = open(&path, &Options::default());
            assert!(armed.fired());
            drop(armed);
            match result {
                Err(Error::Sqlite(e)) => assert_eq!(e.sqlite_error_code(), Some(ErrorCode::SystemIoFailure), "{n}: {e}"),
                Err(e) => panic!("{n}: {e:?}"),
                Ok(conn) => panic!("{n}: opened in journal mode {}", pragma(&conn, "journal_mode")),
            }
            assert_eq!(pragma(&open(&path, &Options::default()).unwrap(), "journal_mode"), "wal");
        }
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.db");
        let text = b"these are not the pages you are looking for, but they are somebody's notes".repeat(100);
        std::fs::write(&path, &text).unwrap();
        match open(&path, &Options::default()) {
            Err(Error::Sqlite(e)) => assert_eq!(e.sqlite_error_code(), Some(ErrorCode::NotADatabase), "{e}"),
            other => panic!("expected NOTADB, got {other:?}"),
        }
        assert_eq!(std::fs::read(&path).unwrap(), text);
    }
}
