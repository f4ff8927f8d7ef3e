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
//! - [`testing`]: the upgrade-equals-fresh check each crate runs over its own migrations.
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
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if mode != "wal" && mode != "memory" {
        return Err(Error::JournalMode(mode));
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
    Ok(())
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
