//! A draft's photos: adding a prepared photo (files first, then the rows), listing, reordering,
//! choosing the primary one, removing, and sweeping what nothing refers to any more.
//!
//! The list is one document field, `photos`: the ordered hashes, position 0 being the primary
//! photo. Keeping "primary" as "first" means there is no separate flag that could disagree with
//! the order after a merge; each change rewrites the list and stamps the field with the HLC,
//! so sync merges it last-writer-wins like any other field, as references (the bytes upload
//! separately, by hash).
//!
//! Consistency between rows and files: an add writes and flushes the files before the
//! transaction that refers to them commits, and a removal deletes files only after its
//! transaction has committed. A kill in between leaves unreferenced files, never a row whose
//! file is missing; [`Store::collect_photo_garbage`] clears them. Both run under the library's
//! gate, so an add and a removal of the same picture never interleave.

use crate::error::{Error, NotAllowedReason, Result};
use crate::photos::{self, Advice, PhotoLibrary, PrepareOptions, PreparedPhoto};
use crate::storage::{stamp, StorageError};
use crate::{uploads, Store};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{DraftStatus, DraftSummary};

/// The one limit, shared with the depot.
pub use fundi_sync::limits::PHOTOS_PER_DRAFT_MAX as MAX_PHOTOS_PER_DRAFT;
const KIND: &str = "draft";
const FIELD: &str = "photos";

/// One photo of a draft, with where its files are.
#[derive(Clone, Debug, PartialEq)]
pub struct DraftPhoto {
    pub hash: String,
    pub thumb_hash: String,
    pub path: PathBuf,
    pub thumb_path: PathBuf,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub thumb_bytes: u64,
    /// 0-based; the photo at 0 is the primary one.
    pub position: u32,
    pub primary: bool,
    pub advice: Vec<Advice>,
}

/// What a sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhotoGarbage {
    pub photos_removed: u32,
    pub files_removed: u32,
}

fn corrupt<T>(_: T) -> Error {
    Error::Storage(StorageError::Corrupt)
}

/// The draft must exist, not be deleted nor held for a newer app, and still be editable.
fn check_editable(conn: &Connection, draft_id: &str) -> Result<()> {
    let status: Option<String> = conn
        .query_row("SELECT status FROM drafts WHERE id = ?1 AND deleted_hlc IS NULL AND needs_newer_app = 0", [draft_id], |r| {
            r.get(0)
        })
        .optional()?;
    let status = DraftStatus::from_code(&status.ok_or(Error::NotFound { kind: KIND })?).ok_or_else(|| corrupt(()))?;
    if !status.is_editable() {
        return Err(Error::NotAllowed(NotAllowedReason::NotEditable { status }));
    }
    Ok(())
}

pub(crate) fn photo_list(conn: &Connection, draft_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT photo_hash FROM draft_photos WHERE draft_id = ?1 ORDER BY position")?;
    let rows = stmt.query_map([draft_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Replace the draft's list, stamping the `photos` field and the draft, and queue it for sync.
fn write_list(conn: &Connection, draft_id: &str, list: &[String]) -> Result<()> {
    conn.execute("DELETE FROM draft_photos WHERE draft_id = ?1", [draft_id])?;
    for (position, hash) in list.iter().enumerate() {
        conn.execute(
            "INSERT INTO draft_photos (draft_id, position, photo_hash) VALUES (?1, ?2, ?3)",
            params![draft_id, position as i64, hash],
        )?;
    }
    let before = super::db::draft_stamps(conn, draft_id)?;
    let ts = stamp(conn)?.to_string();
    conn.execute("UPDATE drafts SET updated_hlc = ?1 WHERE id = ?2", params![ts, draft_id])?;
    super::db::record_field_stamp(conn, draft_id, FIELD, &ts)?;
    // The list syncs as content-hash references; the bytes upload separately.
    super::db::enqueue_write(conn, draft_id, &[FIELD], &before)
}

fn load_photos(conn: &Connection, lib: &PhotoLibrary, draft_id: &str) -> Result<Vec<DraftPhoto>> {
    let mut stmt = conn.prepare(
        "SELECT p.hash, p.thumb_hash, p.width, p.height, p.bytes, p.thumb_bytes, p.advice, dp.position
         FROM draft_photos dp JOIN photos p ON p.hash = dp.photo_hash
         WHERE dp.draft_id = ?1 ORDER BY dp.position",
    )?;
    let rows = stmt.query_map([draft_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, u32>(2)?,
            r.get::<_, u32>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, u32>(7)?,
        ))
    })?;
    let mut out = vec![];
    for row in rows {
        let (hash, thumb_hash, width, height, bytes, thumb_bytes, advice, position) = row?;
        let codes: Vec<String> = serde_json::from_str(&advice).map_err(corrupt)?;
        out.push(DraftPhoto {
            path: lib.path_of(&hash).map_err(corrupt)?,
            thumb_path: lib.path_of(&thumb_hash).map_err(corrupt)?,
            hash,
            thumb_hash,
            width,
            height,
            bytes: bytes as u64,
            thumb_bytes: thumb_bytes as u64,
            position,
            primary: position == 0,
            // Codes from a newer app version are skipped, not an error.
            advice: codes.iter().filter_map(|c| Advice::from_code(c)).collect(),
        });
    }
    Ok(out)
}

/// Take every photo off a draft that is being forgotten (`drafts::forget`); the files go with the
/// next garbage collection if nothing else refers to them.
pub(crate) fn unlink_draft(conn: &Connection, draft_id: &str) -> Result<()> {
    conn.execute("DELETE FROM draft_photos WHERE draft_id = ?1", [draft_id])?;
    Ok(())
}

/// Delete photo rows no live draft refers to (and the lists of deleted drafts). Returns the
/// file hashes that no remaining row names, to delete once this transaction has committed.
fn sweep(conn: &Connection) -> Result<(u32, Vec<String>)> {
    conn.execute("DELETE FROM draft_photos WHERE draft_id IN (SELECT id FROM drafts WHERE deleted_hlc IS NOT NULL)", [])?;
    let mut stmt = conn.prepare("SELECT hash, thumb_hash FROM photos WHERE hash NOT IN (SELECT photo_hash FROM draft_photos)")?;
    let gone: Vec<(String, String)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    for (hash, _) in &gone {
        conn.execute("DELETE FROM photos WHERE hash = ?1", [hash])?;
        uploads::db::forget_photo(conn, hash)?;
    }
    let kept = referenced_files(conn)?;
    let files = gone.iter().flat_map(|(h, t)| [h.clone(), t.clone()]).filter(|h| !kept.contains(h)).collect();
    Ok((gone.len() as u32, files))
}

/// Every file hash a photo row still names (upload or thumbnail).
fn referenced_files(conn: &Connection) -> Result<HashSet<String>> {
    let mut stmt = conn.prepare("SELECT hash FROM photos UNION SELECT thumb_hash FROM photos")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Per draft that has photo rows: how many, and the thumbnail hash of the one at position 0.
fn main_thumbnails(conn: &Connection) -> Result<HashMap<String, (u32, Option<String>)>> {
    let mut stmt = conn
        .prepare("SELECT dp.draft_id, dp.position, p.thumb_hash FROM draft_photos dp JOIN photos p ON p.hash = dp.photo_hash")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?, r.get::<_, String>(2)?)))?;
    let mut out: HashMap<String, (u32, Option<String>)> = HashMap::new();
    for row in rows {
        let (draft_id, position, thumb) = row?;
        let entry = out.entry(draft_id).or_default();
        entry.0 += 1;
        if position == 0 {
            entry.1 = Some(thumb);
        }
    }
    Ok(out)
}

impl Store {
    /// The drafts list: every live draft (newest first, as [`Store::list_drafts`]) with its
    /// photo count and its main photo's thumbnail file, read in one go.
    pub fn list_draft_summaries(&self, lib: &PhotoLibrary) -> Result<Vec<DraftSummary>> {
        self.read(|conn| {
            let mut thumbs = main_thumbnails(conn)?;
            let drafts = super::store::list_live(conn)?;
            drafts
                .into_iter()
                .map(|draft| {
                    let (photo_count, thumb) = thumbs.remove(&draft.id).unwrap_or_default();
                    let main_thumbnail_path = thumb.map(|h| lib.path_of(&h).map_err(corrupt)).transpose()?;
                    Ok(DraftSummary { draft, photo_count, main_thumbnail_path })
                })
                .collect()
        })
    }

    /// Prepare the photo at `source` and add it to the draft (last; first if it is the
    /// draft's only photo, which makes it the primary one). Adding a photo the draft already
    /// has returns it unchanged. The slow part (decoding, encoding) runs without holding the
    /// database.
    pub fn add_draft_photo_file(
        &self,
        lib: &PhotoLibrary,
        draft_id: &str,
        source: &Path,
        opts: &PrepareOptions,
    ) -> Result<DraftPhoto> {
        self.read(|conn| check_editable(conn, draft_id))?;
        let prepared = photos::prepare_file(source, opts)?;
        self.add_draft_photo(lib, draft_id, &prepared)
    }

    /// Add an already prepared photo to the draft (see [`Store::add_draft_photo_file`]).
    pub fn add_draft_photo(&self, lib: &PhotoLibrary, draft_id: &str, prepared: &PreparedPhoto) -> Result<DraftPhoto> {
        let _gate = lib.gate();
        let hash = prepared.upload.sha256.clone();
        self.write(|tx| {
            check_editable(tx, draft_id)?;
            let mut list = photo_list(tx, draft_id)?;
            if !list.contains(&hash) {
                if list.len() >= MAX_PHOTOS_PER_DRAFT {
                    return Err(Error::NotAllowed(NotAllowedReason::DraftFull { max: MAX_PHOTOS_PER_DRAFT as u32 }));
                }
                // Files first, flushed: the row below must never name a missing file.
                lib.put(&prepared.upload.sha256, &prepared.upload.bytes)?;
                lib.put(&prepared.thumbnail.sha256, &prepared.thumbnail.bytes)?;
                let advice: Vec<&str> = prepared.coaching.advice.iter().map(|a| a.code()).collect();
                let ts = stamp(tx)?.to_string();
                tx.execute(
                    "INSERT INTO photos (hash, thumb_hash, width, height, bytes, thumb_bytes, advice, created_hlc)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (hash) DO NOTHING",
                    params![
                        hash,
                        prepared.thumbnail.sha256,
                        prepared.upload.width,
                        prepared.upload.height,
                        prepared.upload.bytes.len() as i64,
                        prepared.thumbnail.bytes.len() as i64,
                        serde_json::to_string(&advice).map_err(corrupt)?,
                        ts
                    ],
                )?;
                // The record names the photo at once; its bytes follow (thumbnail first).
                uploads::db::enqueue(tx, &prepared.thumbnail.sha256, Some(&hash), prepared.thumbnail.bytes.len() as u64)?;
                uploads::db::enqueue(tx, &hash, None, prepared.upload.bytes.len() as u64)?;
                list.push(hash.clone());
                write_list(tx, draft_id, &list)?;
            }
            load_photos(tx, lib, draft_id)?.into_iter().find(|p| p.hash == hash).ok_or(Error::NotFound { kind: "photo" })
        })
    }

    /// The draft's photos, primary first.
    pub fn draft_photos(&self, lib: &PhotoLibrary, draft_id: &str) -> Result<Vec<DraftPhoto>> {
        self.read(|conn| {
            let live: Option<i64> = conn
                .query_row("SELECT 1 FROM drafts WHERE id = ?1 AND deleted_hlc IS NULL", [draft_id], |r| r.get(0))
                .optional()?;
            live.ok_or(Error::NotFound { kind: KIND })?;
            load_photos(conn, lib, draft_id)
        })
    }

    /// Move a photo to `position` (clamped to the end); position 0 makes it the primary one.
    pub fn move_draft_photo(&self, lib: &PhotoLibrary, draft_id: &str, hash: &str, position: u32) -> Result<Vec<DraftPhoto>> {
        self.write(|tx| {
            check_editable(tx, draft_id)?;
            let mut list = photo_list(tx, draft_id)?;
            let from = list.iter().position(|h| h == hash).ok_or(Error::NotFound { kind: "photo" })?;
            let to = (position as usize).min(list.len() - 1);
            if from != to {
                let h = list.remove(from);
                list.insert(to, h);
                write_list(tx, draft_id, &list)?;
            }
            load_photos(tx, lib, draft_id)
        })
    }

    /// Make this photo the primary one (the first).
    pub fn set_primary_draft_photo(&self, lib: &PhotoLibrary, draft_id: &str, hash: &str) -> Result<Vec<DraftPhoto>> {
        self.move_draft_photo(lib, draft_id, hash, 0)
    }

    /// Take a photo off the draft. If no draft refers to it any more, its files are deleted.
    pub fn remove_draft_photo(&self, lib: &PhotoLibrary, draft_id: &str, hash: &str) -> Result<Vec<DraftPhoto>> {
        let _gate = lib.gate();
        let (photos, files) = self.write(|tx| {
            check_editable(tx, draft_id)?;
            let mut list = photo_list(tx, draft_id)?;
            let at = list.iter().position(|h| h == hash).ok_or(Error::NotFound { kind: "photo" })?;
            list.remove(at);
            write_list(tx, draft_id, &list)?;
            let (_, files) = sweep(tx)?;
            Ok((load_photos(tx, lib, draft_id)?, files))
        })?;
        // Committed: the files are no longer named by any row.
        for h in files {
            lib.remove(&h)?;
        }
        Ok(photos)
    }

    /// Remove photos of deleted drafts, rows nothing refers to, and files no row names
    /// (left by a kill between writing files and committing). Run it at start-up and after
    /// deleting drafts.
    pub fn collect_photo_garbage(&self, lib: &PhotoLibrary) -> Result<PhotoGarbage> {
        let _gate = lib.gate();
        let (photos_removed, _) = self.write(|tx| sweep(tx))?;
        let kept = self.read(referenced_files)?;
        let mut files_removed = 0;
        for h in lib.hashes()? {
            if !kept.contains(&h) {
                lib.remove(&h)?;
                files_removed += 1;
            }
        }
        Ok(PhotoGarbage { photos_removed, files_removed })
    }
}

#[cfg(test)]
mod tests;
