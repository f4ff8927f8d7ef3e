//! The phone's one SQLite file: opening it safely, its schema migrations, and the persisted
//! hybrid logical clock that stamps every change.
//!
//! Opening and migrating go through `fundi-sqlite`, shared with the depot, which holds the
//! settings (see `docs/adr/0005-storage-settings.md`): WAL journal, `synchronous=NORMAL`
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

use rusqlite::Connection;
use std::path::Path;

/// How long a write waits for another connection (the app's other handle, a sync job).
const OPTIONS: fundi_sqlite::Options = fundi_sqlite::Options { busy_timeout: std::time::Duration::from_secs(5) };

/// Open (creating if needed) the database at `path` and bring its schema up to date.
pub fn open(path: &Path) -> Result<Connection, StorageError> {
    let conn = fundi_sqlite::open(path, &OPTIONS)?;
    schema::migrate(&conn)?;
    Ok(conn)
}

/// An in-memory database with the full schema (tests and the property checks of later modules).
pub fn open_in_memory() -> Result<Connection, StorageError> {
    let conn = fundi_sqlite::open_in_memory(&OPTIONS)?;
    schema::migrate(&conn)?;
    Ok(conn)
}
