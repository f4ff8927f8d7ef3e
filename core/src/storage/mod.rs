//! The phone's one SQLite file: opening it safely, its schema migrations, and the persisted
//! hybrid logical clock that stamps every change.
//!
//! Settings (see `docs/adr/0005-storage-settings.md`): WAL journal, `synchronous=NORMAL`
//! (a committed transaction survives the app being killed; only a power cut may lose the last
//! few), foreign keys on, a busy timeout. Opening never wipes anything: a file that is not a
//! database, is corrupt, or was written by a newer app version gives a typed error.

mod clock;
mod error;
pub mod schema;

pub use clock::{
    device_id, device_node, load_clock, local_wall_ms, physical_now, save_clock, set_clock_offset, set_clock_skew, stamp,
};
pub use error::StorageError;

use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Open (creating if needed) the database at `path` and bring its schema up to date.
pub fn open(path: &Path) -> Result<Connection, StorageError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn)?;
    schema::migrate(&conn)?;
    Ok(conn)
}

/// An in-memory database with the full schema (tests and the property checks of later modules).
pub fn open_in_memory() -> Result<Connection, StorageError> {
    let conn = Connection::open_in_memory()?;
    configure(&conn)?;
    schema::migrate(&conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<(), StorageError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // The first statement that reads the file header: a non-database fails here with NOTADB.
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if mode != "wal" && mode != "memory" {
        return Err(StorageError::Unsupported(format!("journal mode {mode}")));
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
    Ok(())
}
