//! Putting a backup back (ADR 0028). The backup is checked before anything is put in place:
//! its manifest, the snapshot's hash and `PRAGMA integrity_check`, what the snapshot holds
//! against what the manifest says, every key file's hash and every blob against its name. The
//! files are copied into a temporary sibling of the data directory, the snapshot migrated if
//! it is older, and the sibling renamed into place at the end; a data directory that holds a
//! store is refused unless `replace`, and then moved aside, never deleted. A serving depot's
//! data directory is refused (its lock, `data_dir::DataDirLock`).
//!
//! Phones ahead of the restored store: phones that synced after the backup hold feed cursors
//! past its last seq, and the depot would hand those numbers out again. So the restored feed
//! goes on from a restore point past every position handed out before ([`restore_point`]), and
//! every position below it counts as pruned (`meta.pruned_seq`): a phone's cursor from before
//! the restore is answered `cursor_expired`, and the phone re-syncs in full (mark and sweep,
//! ADR 0012), ending level with the restored depot. Device counters need nothing: the depot
//! applies any counter above the last it holds, so a phone's next mutations are applied.

use super::backup::{FileEntry, Manifest, SnapshotCounts, MANIFEST_FILE, MANIFEST_FORMAT};
use super::blobs::BlobDir;
use super::data_dir::{self, check_integrity, copy_hashed, io_error, DataDirError, DataDirLock, LOCK_FILE};
use super::sql::Tx;
use super::{now_ms, transfer, Db, DATABASE_FILE, DB_FILE, MIGRATIONS};
use std::fs;
use std::path::{Path, PathBuf};

/// How far past every feed position it knows of a restored depot's feed goes on.
pub const RESTORE_SEQ_GAP: i64 = 1_000_000_000_000;

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// The snapshot's schema version and the one it was migrated to.
    pub migrated: (u32, u32),
    /// The first feed position the restored depot hands out; cursors below it re-sync in full.
    pub restore_seq: i64,
    /// Where the store that was in the data directory was moved.
    pub replaced: Option<PathBuf>,
}

/// Restore the backup `from` into the data directory `data_dir`.
pub fn restore(from: &Path, data_dir: &Path, replace: bool) -> Result<Restored, DataDirError> {
    let manifest = read_manifest(from)?;
    let (parent, name) = data_dir::parent_and_name(data_dir)?;
    let exists = data_dir.is_dir();
    // Held until the new store is in place: no depot starts serving the old one meanwhile.
    let _lock = if exists { Some(DataDirLock::take(data_dir)?) } else { None };
    if exists && !replace && holds_something(data_dir)? {
        return Err(DataDirError::StoreExists(data_dir.to_path_buf()));
    }
    // A data directory on PostgreSQL keeps its database: the database takes the restored rows.
    let database = if exists { super::database_of(data_dir)? } else { None };
    // Read before it is moved aside: a restore point past it covers every cursor it handed out.
    let replaced_next_seq = if exists { next_seq_of(data_dir) } else { None };
    fs::create_dir_all(&parent).map_err(io_error(format!("creating {}", parent.display())))?;
    let restoring = parent.join(format!(".{name}.restoring-{}", uuid::Uuid::new_v4().simple()));
    data_dir::create_private_dir(&restoring)?;
    let prepared = prepare(from, &manifest, &restoring, replaced_next_seq);
    let (migrated, restore_seq) = match prepared {
        Ok(done) => done,
        Err(e) => {
            let _ = fs::remove_dir_all(&restoring);
            return Err(e);
        }
    };
    if let Some(url) = &database {
        if let Err(e) = into_postgres(data_dir, url, &restoring) {
            let _ = fs::remove_dir_all(&restoring);
            return Err(e);
        }
    }
    let replaced = if exists {
        if replace && holds_something(data_dir)? {
            let aside = parent.join(format!("{name}.replaced-{}", now_ms()));
            data_dir::rename_flushed(data_dir, &aside)?;
            if database.is_some() {
                // The old rows are its `depot.db` now: it opens as a SQLite data directory.
                fs::remove_file(aside.join(DATABASE_FILE)).map_err(io_error("setting the replaced store aside"))?;
            }
            Some(aside)
        } else {
            // Empty but for the lock file (still held through its open descriptor).
            let _ = fs::remove_file(data_dir.join(LOCK_FILE));
            fs::remove_dir(data_dir).map_err(io_error(format!("removing the empty {}", data_dir.display())))?;
            None
        }
    } else {
        None
    };
    data_dir::rename_flushed(&restoring, data_dir)?;
    Ok(Restored { manifest, migrated, restore_seq, replaced })
}

/// The backup's manifest, read and of a format this depot reads.
pub fn read_manifest(from: &Path) -> Result<Manifest, DataDirError> {
    let not_a_backup = |why: String| DataDirError::NotABackup { path: from.to_path_buf(), why };
    let text = fs::read(from.join(MANIFEST_FILE))
        .map_err(|e| not_a_backup(format!("its {MANIFEST_FILE} cannot be read ({e}): a backup cut short, or no backup")))?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| not_a_backup(format!("its {MANIFEST_FILE} does not read: {e}")))?;
    if manifest.format != MANIFEST_FORMAT {
        return Err(not_a_backup(format!("manifest format {}, this depot reads {MANIFEST_FORMAT}", manifest.format)));
    }
    Ok(manifest)
}

/// Whether a data directory holds anything besides the serving lock's file.
fn holds_something(dir: &Path) -> Result<bool, DataDirError> {
    let entries = fs::read_dir(dir).map_err(io_error(format!("listing {}", dir.display())))?;
    Ok(entries.flatten().any(|e| e.file_name() != LOCK_FILE))
}

/// The feed's next position in the store of `dir`, if it can be read (a damaged store is the
/// usual reason to restore; then the restore point does without it).
fn next_seq_of(dir: &Path) -> Option<i64> {
    if super::database_of(dir).ok()?.is_some() {
        return Db::open(dir).ok()?.read(|tx| Ok(tx.query_row("SELECT next_seq FROM meta", [], |r| r.get(0))?)).ok();
    }
    let conn = rusqlite::Connection::open_with_flags(dir.join(DB_FILE), rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE).ok()?;
    conn.query_row("SELECT next_seq FROM meta", [], |r| r.get(0)).ok()
}

/// Restoring into a data directory on PostgreSQL (ADR 0029): the database's rows are first
/// exported into the data directory as a `depot.db` (so that they go aside with it, kept as a
/// replaced SQLite store always is), then replaced by the prepared snapshot's (every table
/// checked against it); `restoring` names the database instead of holding the snapshot.
fn into_postgres(data_dir: &Path, url: &str, restoring: &Path) -> Result<(), DataDirError> {
    let db = Db::open(data_dir)?;
    transfer::export_to_file(&db, &data_dir.join(DB_FILE))?;
    let snapshot = rusqlite::Connection::open(restoring.join(DB_FILE))?;
    db.write(|to| {
        transfer::empty(to)?;
        transfer::copy(&Tx::sqlite(&snapshot), to)
    })?;
    drop(snapshot);
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", restoring.join(DB_FILE).display()));
    }
    super::write_database_file(restoring, url)?;
    Ok(())
}

/// Check and copy the backup into `restoring`, migrate it, and move its feed to the restore
/// point. Returns the schema versions (from, to) and the restore point.
fn prepare(
    from: &Path,
    manifest: &Manifest,
    restoring: &Path,
    replaced_next_seq: Option<i64>,
) -> Result<((u32, u32), i64), DataDirError> {
    copy_checked(from, restoring, &manifest.snapshot)?;
    for key in &manifest.keys {
        copy_checked(from, restoring, key)?;
    }
    copy_blobs_checked(&BlobDir::new(from), &BlobDir::new(restoring), manifest)?;
    let snapshot_version = {
        let snapshot = rusqlite::Connection::open(restoring.join(DB_FILE))?;
        check_integrity(&snapshot)?;
        let version = MIGRATIONS.version_of(&snapshot)?;
        if version != manifest.schema_version {
            return Err(mismatch(DB_FILE, format!("schema version {version}, the manifest says {}", manifest.schema_version)));
        }
        let counts = SnapshotCounts::read(&snapshot)?;
        let stated = SnapshotCounts {
            feed_last_seq: manifest.feed_last_seq,
            records: manifest.records,
            accounts: manifest.accounts,
            devices: manifest.devices,
        };
        if counts != stated {
            return Err(mismatch(DB_FILE, format!("it holds {counts:?}, the manifest says {stated:?}")));
        }
        version
    };
    // Opening migrates an older snapshot, with the house settings (WAL).
    let db = Db::open(restoring)?;
    let restore_seq = restore_point(manifest.feed_last_seq as i64 + 1, replaced_next_seq, now_ms());
    db.write(|tx| {
        // Every position below the restore point counts as pruned: a cursor from before the
        // restore is answered `cursor_expired`, as one from before a pruning is.
        tx.execute("UPDATE meta SET next_seq = ?1, pruned_seq = max(pruned_seq, ?1 - 1)", [restore_seq])?;
        // Unfinished uploads' bytes are not in a backup: their phones start them again (as
        // after an expiry).
        tx.execute("DELETE FROM uploads WHERE finished_ms IS NULL", [])?;
        Ok(())
    })?;
    drop(db);
    Ok(((snapshot_version, MIGRATIONS.end_version()), restore_seq))
}

/// The first feed position a restored depot hands out: past the snapshot's and the replaced
/// store's by [`RESTORE_SEQ_GAP`] (phones may hold cursors the old depot gave out after the
/// backup, up to its head, which is unknown when its store is lost), and past the restore's
/// time in microseconds, so that a second restore of the same backup, its replaced store lost
/// too, still starts past the numbers the first restored depot gave out.
pub fn restore_point(snapshot_next_seq: i64, replaced_next_seq: Option<i64>, now_ms: u64) -> i64 {
    let known = snapshot_next_seq.max(replaced_next_seq.unwrap_or(0)).saturating_add(RESTORE_SEQ_GAP);
    known.max((now_ms as i64).saturating_mul(1000))
}

fn mismatch(file: &str, why: String) -> DataDirError {
    DataDirError::Mismatch { file: file.to_string(), why }
}

/// Copy one file of the backup that its manifest lists, checking its hash and length.
fn copy_checked(from: &Path, restoring: &Path, entry: &FileEntry) -> Result<(), DataDirError> {
    // Only plain relative paths inside the backup (the manifest is read, not trusted).
    let inside = Path::new(&entry.path).components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside {
        return Err(mismatch(&entry.path, "a path outside the backup".into()));
    }
    let (sha256, bytes) = copy_hashed(&from.join(&entry.path), &restoring.join(&entry.path))?;
    if (sha256.as_str(), bytes) != (entry.sha256.as_str(), entry.bytes) {
        return Err(mismatch(
            &entry.path,
            format!("sha256 {sha256} ({bytes} bytes), the manifest says {} ({} bytes)", entry.sha256, entry.bytes),
        ));
    }
    Ok(())
}

/// Copy every blob of the backup, each checked against its name; their number and bytes
/// against the manifest.
fn copy_blobs_checked(from: &BlobDir, to: &BlobDir, manifest: &Manifest) -> Result<(), DataDirError> {
    let files = from.blobs().map_err(io_error("listing the backup's blobs"))?;
    let (mut count, mut total) = (0u64, 0u64);
    for f in files {
        if f.sha256.is_empty() {
            return Err(mismatch(&f.path.display().to_string(), "not a blob (not named by a content hash in its folder)".into()));
        }
        let (actual, bytes) = copy_hashed(&f.path, &to.blob_path(&f.sha256))?;
        if actual != f.sha256 {
            return Err(mismatch(&format!("blob {}", f.sha256), format!("its bytes hash to {actual}")));
        }
        count += 1;
        total += bytes;
    }
    if (count, total) != (manifest.blobs, manifest.blob_bytes) {
        let why = format!("{count} blobs ({total} bytes), the manifest says {} ({} bytes)", manifest.blobs, manifest.blob_bytes);
        return Err(mismatch("blobs", why));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The restore point lies past every position known to have been handed out, and past
    /// the previous restore's point when the same backup is restored again without its store.
    #[test]
    fn the_restore_point_is_past_the_snapshot_the_replaced_store_and_an_earlier_restore() {
        let (jan, feb) = (1_767_225_600_000u64, 1_769_904_000_000u64);
        assert_eq!(restore_point(501, None, 0), 501 + RESTORE_SEQ_GAP);
        assert_eq!(restore_point(501, Some(9_000), 0), 9_000 + RESTORE_SEQ_GAP);
        let first = restore_point(501, None, jan);
        assert_eq!(first, jan as i64 * 1000);
        // A month of a busy depot after the first restore; then the same backup again, blind.
        let handed_out = first + 10_000_000;
        assert!(restore_point(501, None, feb) > handed_out);
        assert!(restore_point(501, Some(handed_out + 1), feb) > handed_out);
    }
}
