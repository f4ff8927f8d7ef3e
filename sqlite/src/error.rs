//! The helper's typed error. Each crate maps it into its own: the phone into `StorageError`
//! (which the app shows as "update the app"), the depot into its `ApiError`.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file was written by a newer build: its schema is `found`, this build knows up to
    /// `supported`. Nothing was changed.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    NewerSchema { found: u32, supported: u32 },
    /// SQLite could not put the file in WAL mode (it reports the mode it kept).
    #[error("unsupported database setting: journal mode {0}")]
    JournalMode(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}
