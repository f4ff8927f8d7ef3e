//! Storage errors, classified by what the user or the app can do about them.

use rusqlite::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The device is out of space (`SQLITE_FULL`). Nothing of the change was kept; it can
    /// be done again once space is freed.
    #[error("storage is full")]
    Full,
    /// The device failed to read, write or sync the file (`SQLITE_IOERR`). Nothing of the
    /// change was kept; trying again may work.
    #[error("storage failed: {0}")]
    Io(String),
    /// The file is not a Fundi database, or it is damaged. It is left untouched.
    #[error("database file is corrupt or not a database")]
    Corrupt,
    /// The file was written by a newer version of the app.
    #[error("database schema version {found} is newer than this app supports ({supported})")]
    NewerSchema { found: u32, supported: u32 },
    /// The file cannot be opened or written (permissions, read-only media, missing folder).
    #[error("cannot open or write the database: {0}")]
    CannotOpen(String),
    #[error("unsupported database setting: {0}")]
    Unsupported(String),
    #[error("sqlite: {0}")]
    Sqlite(rusqlite::Error),
    /// The persisted clock cannot issue a stamp (its counter is exhausted for this millisecond).
    #[error(transparent)]
    Clock(#[from] fundi_sync::hlc::ClockError),
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StorageError::Full,
            Some(ErrorCode::SystemIoFailure) => StorageError::Io(e.to_string()),
            Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => StorageError::Corrupt,
            Some(ErrorCode::CannotOpen) | Some(ErrorCode::ReadOnly) | Some(ErrorCode::PermissionDenied) => {
                StorageError::CannotOpen(e.to_string())
            }
            _ => StorageError::Sqlite(e),
        }
    }
}

impl From<fundi_sqlite::Error> for StorageError {
    fn from(e: fundi_sqlite::Error) -> Self {
        match e {
            fundi_sqlite::Error::NewerSchema { found, supported } => StorageError::NewerSchema { found, supported },
            fundi_sqlite::Error::JournalMode(mode) => StorageError::Unsupported(format!("journal mode {mode}")),
            fundi_sqlite::Error::Sqlite(e) => e.into(),
        }
    }
}
