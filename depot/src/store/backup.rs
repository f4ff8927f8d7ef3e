//! A backup of a data directory while its depot serves (ADR 0028): a consistent snapshot of
//! the store (`VACUUM INTO` on a connection of its own: one read transaction, which in WAL mode
//! never blocks the server's writes), checked with `PRAGMA integrity_check`; then the finished
//! blobs the snapshot names (content-addressed and never changed once in place, so copying them
//! after the snapshot is consistent with it); the depot's key files; and a manifest (what was
//! copied and its hashes, the schema version, the feed's last seq). Everything is written into
//! a temporary sibling of the output directory, which is renamed to its name only at the end:
//! a backup cut short never leaves a directory that looks like a whole one.

use super::blobs::{read_dir_sorted, BlobDir};
use super::data_dir::{self, check_integrity, copy_hashed, io_error, DataDirError};
use super::{now_ms, transfer, Db, DB_FILE, MIGRATIONS};
use fundi_sqlite::crash_point;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The manifest's file name in a backup, and the format this depot writes and reads.
pub const MANIFEST_FILE: &str = "manifest.json";
pub const MANIFEST_FORMAT: u32 = 1;
/// Where the depot's key files are, in a data directory and in a backup alike.
pub const TLS_DIR: &str = "tls";
/// The temporary sibling a backup is written into: `.<name>.partial-<random>`.
const PARTIAL: &str = "partial";

/// What a backup holds, written last (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// When the snapshot was taken (ms since the epoch) and the same as a date.
    pub created_ms: u64,
    pub created: String,
    /// The `fundi-depot` that took it.
    pub depot_version: String,
    /// The snapshot's schema version (`restore` migrates an older one).
    pub schema_version: u32,
    pub snapshot: FileEntry,
    /// The change feed's last position in the snapshot: a restored depot covers it exactly.
    pub feed_last_seq: u64,
    pub records: u64,
    pub accounts: u64,
    pub devices: u64,
    /// Blob files in the backup (under `blobs/`, each named by its SHA-256) and their bytes.
    pub blobs: u64,
    pub blob_bytes: u64,
    /// Blobs the snapshot names that the depot did not hold whole (not arrived yet, or whose
    /// bytes no longer match their name): not in the backup.
    pub blobs_missing: Vec<String>,
    pub blobs_damaged: Vec<String>,
    /// The depot's key files (`tls/...`): a backup holds its private key.
    pub keys: Vec<FileEntry>,
}

/// A file of the backup, by its path inside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// Back up the data directory `data_dir` into the new directory `out`.
pub fn backup(data_dir: &Path, out: &Path) -> Result<Manifest, DataDirError> {
    if fs::symlink_metadata(out).is_ok() {
        return Err(DataDirError::OutputExists(out.to_path_buf()));
    }
    let source = Source::open(data_dir)?;
    // A store from a newer depot is refused as every command refuses it; an older one is
    // copied as it is (`restore` migrates it).
    let schema_version = source.schema_version()?;
    let (parent, name) = data_dir::parent_and_name(out)?;
    fs::create_dir_all(&parent).map_err(io_error(format!("creating {}", parent.display())))?;
    remove_leftovers(&parent, &name)?;
    let partial = parent.join(format!(".{name}.{PARTIAL}-{}", uuid::Uuid::new_v4().simple()));
    data_dir::create_private_dir(&partial)?;
    let written = write_backup(data_dir, &source, schema_version, &partial);
    drop(source);
    match written {
        Ok(manifest) => {
            data_dir::rename_flushed(&partial, out)?;
            Ok(manifest)
        }
        Err(e) => {
            // Nothing of a failed backup stays behind (a killed one is removed by the next).
            let _ = fs::remove_dir_all(&partial);
            Err(e)
        }
    }
}

/// Remove what backups into `name` that were cut short left in `parent` (only their own
/// temporary directories, recognised by name).
fn remove_leftovers(parent: &Path, name: &str) -> Result<(), DataDirError> {
    let prefix = format!(".{name}.{PARTIAL}-");
    let entries = fs::read_dir(parent).map_err(io_error(format!("listing {}", parent.display())))?;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let path = entry.path();
            eprintln!("removing {}, left by a backup that was cut short", path.display());
            fs::remove_dir_all(&path).map_err(io_error(format!("removing {}", path.display())))?;
        }
    }
    Ok(())
}

/// The store a backup snapshots: a SQLite file, or a PostgreSQL database (ADR 0029), whose
/// snapshot is the same SQLite file, exported from one read-only snapshot of the database
/// (`store::transfer`, every table checked against it), so that one `restore` reads both.
enum Source {
    Sqlite(rusqlite::Connection),
    Postgres(Db),
}

impl Source {
    fn open(data_dir: &Path) -> Result<Source, DataDirError> {
        match super::database_of(data_dir)? {
            Some(_) => Ok(Source::Postgres(Db::open(data_dir)?)),
            None => Ok(Source::Sqlite(data_dir::open_existing(data_dir)?)),
        }
    }

    fn schema_version(&self) -> Result<u32, DataDirError> {
        match self {
            Source::Sqlite(c) => Ok(MIGRATIONS.version_of(c)?),
            // Opening migrated it.
            Source::Postgres(_) => Ok(MIGRATIONS.end_version()),
        }
    }

    fn snapshot_into(&self, path: &Path) -> Result<(), DataDirError> {
        let name = path.to_str().ok_or_else(|| DataDirError::NotADirectoryName(path.to_path_buf()))?;
        match self {
            // One read transaction of the source: a consistent snapshot, compacted, while the
            // server goes on writing to its WAL.
            Source::Sqlite(c) => {
                c.execute("VACUUM INTO ?1", [name])?;
            }
            Source::Postgres(db) => {
                transfer::export_to_file(db, path)?;
            }
        }
        Ok(())
    }
}

fn write_backup(data_dir: &Path, source: &Source, schema_version: u32, partial: &Path) -> Result<Manifest, DataDirError> {
    let created_ms = now_ms();
    let snapshot_path = partial.join(DB_FILE);
    source.snapshot_into(&snapshot_path)?;
    // A kill test's moment: the snapshot written, nothing else yet.
    crash_point("backup:snapshot");
    let (counts, named) = {
        let snapshot = rusqlite::Connection::open(&snapshot_path)?;
        check_integrity(&snapshot)?;
        (SnapshotCounts::read(&snapshot)?, named_blobs(&snapshot)?)
    };
    let blobs = copy_blobs(&BlobDir::new(data_dir), &BlobDir::new(partial), &named)?;
    crash_point("backup:blobs");
    let keys = copy_keys(data_dir, partial)?;
    let (sha256, bytes) = super::blobs::hash_file(&snapshot_path).map_err(io_error("hashing the snapshot"))?;
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        created_ms,
        created: httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_millis(created_ms)),
        depot_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version,
        snapshot: FileEntry { path: DB_FILE.to_string(), sha256, bytes },
        feed_last_seq: counts.feed_last_seq,
        records: counts.records,
        accounts: counts.accounts,
        devices: counts.devices,
        blobs: blobs.copied,
        blob_bytes: blobs.bytes,
        blobs_missing: blobs.missing,
        blobs_damaged: blobs.damaged,
        keys,
    };
    let text =
        serde_json::to_string_pretty(&manifest).map_err(|e| DataDirError::Store(super::ApiError::internal(e.to_string())))?;
    write_flushed(&partial.join(MANIFEST_FILE), text.as_bytes())?;
    super::blobs::sync_dir(partial).map_err(io_error(format!("flushing {}", partial.display())))?;
    Ok(manifest)
}

/// What a snapshot holds, as its manifest states it (and `restore` checks it).
#[derive(Debug, PartialEq, Eq)]
pub struct SnapshotCounts {
    pub feed_last_seq: u64,
    pub records: u64,
    pub accounts: u64,
    pub devices: u64,
}

impl SnapshotCounts {
    pub fn read(conn: &rusqlite::Connection) -> Result<SnapshotCounts, DataDirError> {
        let count = |table: &str| conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get::<_, i64>(0));
        // No meta row yet (a store killed between its migrations and its first open's end): an empty feed.
        let next_seq: i64 = conn.query_row("SELECT COALESCE(MAX(next_seq), 1) FROM meta", [], |r| r.get(0))?;
        Ok(SnapshotCounts {
            feed_last_seq: (next_seq - 1).max(0) as u64,
            records: count("records")? as u64,
            accounts: count("accounts")? as u64,
            devices: count("devices")? as u64,
        })
    }
}

/// Every blob the snapshot names: those records refer to, thumbnails linked to a photo, and
/// finished uploads (a phone told its upload is complete may name it in a later push).
fn named_blobs(snapshot: &rusqlite::Connection) -> Result<BTreeSet<String>, DataDirError> {
    let mut q = snapshot.prepare(
        "SELECT sha256 FROM blob_refs UNION SELECT sha256 FROM blob_thumbnails UNION SELECT of_sha256 FROM blob_thumbnails
         UNION SELECT sha256 FROM uploads WHERE finished_ms IS NOT NULL",
    )?;
    let named: BTreeSet<String> = q.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    // A name that is not a content hash was never a file of the blob store.
    Ok(named.into_iter().filter(|h| fundi_sync::hash::is_content_hash(h)).collect())
}

struct CopiedBlobs {
    copied: u64,
    bytes: u64,
    missing: Vec<String>,
    damaged: Vec<String>,
}

/// Copy the blobs `named` from `from` to `to`, each checked against its name as it is copied.
fn copy_blobs(from: &BlobDir, to: &BlobDir, named: &BTreeSet<String>) -> Result<CopiedBlobs, DataDirError> {
    let mut out = CopiedBlobs { copied: 0, bytes: 0, missing: vec![], damaged: vec![] };
    for sha256 in named {
        if !from.has(sha256) {
            out.missing.push(sha256.clone());
            continue;
        }
        let (actual, bytes) = copy_hashed(&from.blob_path(sha256), &to.blob_path(sha256))?;
        if &actual != sha256 {
            to.remove_blob(sha256).map_err(io_error(format!("removing the damaged copy of {sha256}")))?;
            out.damaged.push(sha256.clone());
            continue;
        }
        out.copied += 1;
        out.bytes += bytes;
    }
    Ok(out)
}

/// Copy every file of the depot's key folder (all its slots), keeping their permissions.
fn copy_keys(data_dir: &Path, partial: &Path) -> Result<Vec<FileEntry>, DataDirError> {
    let mut keys = vec![];
    let dir = data_dir.join(TLS_DIR);
    for path in read_dir_sorted(&dir).map_err(io_error(format!("listing {}", dir.display())))? {
        if !path.is_file() {
            continue;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (sha256, bytes) = copy_hashed(&path, &partial.join(TLS_DIR).join(&name))?;
        keys.push(FileEntry { path: format!("{TLS_DIR}/{name}"), sha256, bytes });
    }
    Ok(keys)
}

fn write_flushed(path: &Path, bytes: &[u8]) -> Result<(), DataDirError> {
    use std::io::Write;
    let what = || format!("writing {}", path.display());
    let mut file = fs::File::create(path).map_err(io_error(what()))?;
    file.write_all(bytes).map_err(io_error(what()))?;
    file.sync_all().map_err(io_error(what()))
}
