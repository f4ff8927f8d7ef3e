//! A data directory as a whole, for the operations commands (`migrate`, `backup`, `restore`;
//! ADR 0028): whether it holds a store and at which schema version, the lock a serving depot
//! holds on it (so that `restore` never swaps the files under a running server), the flushed
//! copy that hashes what it copies, and the typed errors of all three commands.

use super::blobs::hash_copy;
use super::{ApiError, DB_FILE, MIGRATIONS, OPTIONS};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// The file a serving depot holds locked for its whole life.
pub const LOCK_FILE: &str = "depot.lock";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("no depot store in {} (no {DB_FILE} there): check --data-dir", .0.display())]
    NoStore(PathBuf),
    #[error("a depot is serving {}: stop it first", .0.display())]
    Serving(PathBuf),
    #[error("{} already exists: a backup goes into a new directory", .0.display())]
    OutputExists(PathBuf),
    #[error("{} already holds a depot store or other files: restore --replace moves them aside", .0.display())]
    StoreExists(PathBuf),
    #[error("{} must name a directory", .0.display())]
    NotADirectoryName(PathBuf),
    #[error("{} is not a whole backup: {why}", path.display())]
    NotABackup { path: PathBuf, why: String },
    #[error("the backup's {file} does not match its manifest: {why}")]
    Mismatch { file: String, why: String },
    #[error("the snapshot failed its integrity check: {0}")]
    Damaged(String),
    /// The store's own refusals, `newer_schema` among them.
    #[error(transparent)]
    Store(#[from] ApiError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

impl From<rusqlite::Error> for DataDirError {
    fn from(e: rusqlite::Error) -> Self {
        DataDirError::Store(e.into())
    }
}

impl From<fundi_sqlite::Error> for DataDirError {
    fn from(e: fundi_sqlite::Error) -> Self {
        DataDirError::Store(e.into())
    }
}

/// An `io::Error` with what was being done, as a [`DataDirError`].
pub fn io_error(what: impl std::fmt::Display) -> impl FnOnce(io::Error) -> DataDirError {
    let what = what.to_string();
    move |source| DataDirError::Io { what, source }
}

/// The store's schema version in `dir` and the one this build writes (the migrations pending
/// lie between), changing nothing. No store there is `NoStore` (never created here); a store
/// written by a newer depot is `newer_schema`.
pub fn schema_versions(dir: &Path) -> Result<(u32, u32), DataDirError> {
    let found = MIGRATIONS.version_of(&open_existing(dir)?)?;
    Ok((found, MIGRATIONS.end_version()))
}

/// A connection to the store in `dir`, which must exist (opening never creates one here).
pub fn open_existing(dir: &Path) -> Result<rusqlite::Connection, DataDirError> {
    let file = dir.join(DB_FILE);
    if !file.is_file() {
        return Err(DataDirError::NoStore(dir.to_path_buf()));
    }
    Ok(fundi_sqlite::open(&file, &OPTIONS)?)
}

/// `PRAGMA integrity_check` of a database: Ok, or `Damaged` with what SQLite found.
pub fn check_integrity(conn: &rusqlite::Connection) -> Result<(), DataDirError> {
    let found: Vec<String> = conn.prepare("PRAGMA integrity_check")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    if found != ["ok"] {
        return Err(DataDirError::Damaged(found.join("; ")));
    }
    Ok(())
}

/// The lock on a data directory, held while it lives (released by the kernel when the process
/// ends, however it ends). `serve` holds it for its whole life; `restore` holds it while it
/// puts a store in place.
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// Take the lock on `dir` (an existing directory), or `Serving` if another process holds it.
    pub fn take(dir: &Path) -> Result<DataDirLock, DataDirError> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_error(format!("opening {}", path.display())))?;
        // An advisory lock the OS drops when the process ends, however it ends.
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(DataDirError::Serving(dir.to_path_buf())),
            Err(std::fs::TryLockError::Error(e)) => return Err(io_error(format!("locking {}", path.display()))(e)),
        }
        Ok(DataDirLock { _file: file })
    }
}

/// Copy `from` to the new file `to` (with `from`'s permissions: a private key stays private),
/// flushed, hashing the bytes as they go: their SHA-256 (hex) and length.
pub fn copy_hashed(from: &Path, to: &Path) -> Result<(String, u64), DataDirError> {
    let what = || format!("copying {} to {}", from.display(), to.display());
    let mut src = File::open(from).map_err(io_error(what()))?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mode = src.metadata().map_err(io_error(what()))?.permissions().mode();
        options.mode(mode & 0o777);
    }
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).map_err(io_error(what()))?;
    }
    let mut dst = options.open(to).map_err(io_error(what()))?;
    let hashed = hash_copy(&mut src, &mut dst).map_err(io_error(what()))?;
    dst.sync_all().map_err(io_error(what()))?;
    Ok(hashed)
}

/// The parent folder of `dir` (`.` for a bare name) and `dir`'s own name, for the temporary
/// sibling a backup or a restore is written into before its rename.
pub fn parent_and_name(dir: &Path) -> Result<(PathBuf, String), DataDirError> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.ok_or_else(|| DataDirError::NotADirectoryName(dir.to_path_buf()))?;
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Ok((parent.to_path_buf(), name))
}

/// Make a new directory only this user may read (it holds the depot's private key).
pub fn create_private_dir(dir: &Path) -> Result<(), DataDirError> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io_error(format!("creating {}", dir.display())))
}

/// Rename `from` to `to` and flush the folder that holds them, so the rename survives a power cut.
pub fn rename_flushed(from: &Path, to: &Path) -> Result<(), DataDirError> {
    fs::rename(from, to).map_err(io_error(format!("renaming {} to {}", from.display(), to.display())))?;
    let parent = to.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    super::blobs::sync_dir(parent).map_err(io_error(format!("flushing {}", parent.display())))
}
