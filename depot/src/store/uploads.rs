//! Uploads and blobs in the store (ADR 0013): who may upload or read a blob (through the
//! records that refer to it, `blob_refs`: drafts' photos and orders' quality-check photos), an upload bound at creation to its blob's SHA-256
//! and length, quotas on the bytes of unfinished uploads, chunks appended at the stored offset,
//! a finished upload checked against its hash and stored content-addressed (or discarded),
//! expiry and reclaiming. The files themselves are `blobs`; the tus headers are `http::uploads`.
//!
//! Chunks are appended one at a time in this process (`COMMITS`), each after it was received
//! whole into a file of its own, so a slow or dead connection never holds the lock.

use super::accounts::{relation, Caller};
use super::blobs::BlobFile;
use super::{now_ms, ApiError, Db};
use crate::store::sql::{params, OptionalExtension, Tx};
use fundi_sqlite::crash_point;
use fundi_sync::access::{may_read, may_upload};
use fundi_sync::limits::{
    BLOB_MAX_BYTES, THUMBNAIL_MAX_BYTES, UPLOAD_DEPOT_QUOTA_BYTES, UPLOAD_DEVICE_QUOTA_BYTES, UPLOAD_EXPIRY_MS,
};
use fundi_sync::uploads::Declared;
use fundi_sync::workflow::order_photos;
use fundi_sync::OrderEvent;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

/// The depot's upload settings (`serve` flags; the defaults are the shared limits).
#[derive(Clone, Copy, Debug)]
pub struct UploadPolicy {
    /// An unfinished upload expires this long after its last progress.
    pub expiry_ms: u64,
    pub device_quota_bytes: u64,
    pub depot_quota_bytes: u64,
}

impl Default for UploadPolicy {
    fn default() -> Self {
        UploadPolicy {
            expiry_ms: UPLOAD_EXPIRY_MS,
            device_quota_bytes: UPLOAD_DEVICE_QUOTA_BYTES,
            depot_quota_bytes: UPLOAD_DEPOT_QUOTA_BYTES,
        }
    }
}

/// One upload, as its row holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    pub id: String,
    pub device_id: String,
    pub sha256: String,
    pub length: u64,
    /// Bytes stored and flushed.
    pub received: u64,
    pub expires_ms: u64,
    pub finished: bool,
}

/// Appends (and the check of a finished upload) run one at a time in the server process.
static COMMITS: Mutex<()> = Mutex::new(());

fn commits() -> std::sync::MutexGuard<'static, ()> {
    COMMITS.lock().unwrap_or_else(|p| p.into_inner())
}

const COLUMNS: &str = "id, device_id, sha256, length, received, expires_ms, finished_ms IS NOT NULL";

fn row(r: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<Upload> {
    Ok(Upload {
        id: r.get(0)?,
        device_id: r.get(1)?,
        sha256: r.get(2)?,
        length: r.get::<_, i64>(3)? as u64,
        received: r.get::<_, i64>(4)? as u64,
        expires_ms: r.get::<_, i64>(5)? as u64,
        finished: r.get(6)?,
    })
}

fn load(conn: &Tx, id: &str) -> Result<Option<Upload>, ApiError> {
    Ok(conn.query_row(&format!("SELECT {COLUMNS} FROM uploads WHERE id = ?1"), [id], row).optional()?)
}

fn gone() -> ApiError {
    ApiError::not_found("no such upload (it may have expired or been terminated)")
}

/// The caller's own upload, alive. Another device's upload does not exist for the caller.
fn own(conn: &Tx, caller: &Caller, id: &str) -> Result<Upload, ApiError> {
    let u = load(conn, id)?.ok_or_else(gone)?;
    if caller.device_id.as_deref() != Some(u.device_id.as_str()) || u.expires_ms < now_ms() {
        return Err(gone());
    }
    Ok(u)
}

/// What the caller may do with a blob, by the records that refer to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Access {
    None,
    Read,
    Write,
}

/// A thumbnail's access is its photo's (`blob_thumbnails`).
fn access(conn: &Tx, caller: &Caller, sha256: &str) -> Result<Access, ApiError> {
    let mut q = conn.prepare_cached(
        "SELECT DISTINCT r.owner FROM blob_refs b JOIN records r ON r.kind = b.kind AND r.id = b.id
         WHERE b.sha256 = ?1 OR b.sha256 IN (SELECT of_sha256 FROM blob_thumbnails WHERE sha256 = ?1)",
    )?;
    let owners: Vec<Option<String>> = q.query_map([sha256], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut best = Access::None;
    for owner in owners {
        let rel = relation(conn, caller, owner.as_deref())?;
        if may_upload(caller.role, rel) {
            return Ok(Access::Write);
        }
        if may_read(caller.role, rel) {
            best = Access::Read;
        }
    }
    Ok(best)
}

/// Keep a record's blob references with its new body (called by `put_record`): a draft's
/// photos, and the photos an order's quality checks took (named in its history).
pub fn set_refs(conn: &Tx, kind: &str, id: &str, body: &serde_json::Value) -> Result<(), ApiError> {
    use fundi_sync::Kind;
    let refs: BTreeSet<String> = match Kind::from_code(kind) {
        Some(k @ (Kind::Draft | Kind::Product)) => fundi_sync::depot::blob_refs(k, body),
        Some(Kind::Order) => {
            let history = match body.get("history") {
                Some(h) => {
                    Vec::<OrderEvent>::deserialize(h).map_err(|e| ApiError::internal(format!("an order's history: {e}")))?
                }
                None => vec![],
            };
            order_photos(&history).map(str::to_string).collect()
        }
        _ => return Ok(()),
    };
    conn.execute("DELETE FROM blob_refs WHERE kind = ?1 AND id = ?2", params![kind, id])?;
    let mut insert =
        conn.prepare_cached("INSERT INTO blob_refs (sha256, kind, id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")?;
    for sha in refs {
        insert.execute(params![sha, kind, id])?;
    }
    Ok(())
}

/// Keep a photo the depot prepared itself (the console's quality check takes one of the goods)
/// with its thumbnail: both in the blob store under their hashes, bounded as an upload is, the
/// thumbnail linked to its photo as a phone's upload links it. Returns the photo's hash. Who
/// may read it follows, as for any blob, from the records that name it (`blob_refs`); until one
/// does, nobody may, and `blobs reclaim --unreferenced` would remove it.
pub fn keep_prepared(db: &Db, photo: &[u8], thumbnail: &[u8]) -> Result<String, ApiError> {
    if photo.len() as u64 > BLOB_MAX_BYTES || thumbnail.len() as u64 > THUMBNAIL_MAX_BYTES {
        return Err(ApiError::too_large(format!(
            "a photo is at most {BLOB_MAX_BYTES} bytes and its thumbnail {THUMBNAIL_MAX_BYTES}"
        )));
    }
    let io = |e: std::io::Error| ApiError::internal(format!("storing the photo: {e}"));
    let sha256 = db.blobs.put(photo).map_err(io)?;
    let thumb = db.blobs.put(thumbnail).map_err(io)?;
    db.write(|tx| {
        tx.execute(
            "INSERT INTO blob_thumbnails (sha256, of_sha256) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![thumb, sha256],
        )?;
        Ok(())
    })?;
    Ok(sha256)
}

/// Create an upload of the blob `declared.sha256`, `length` bytes long, for the calling device.
/// The same device asking again for the same blob and length (its reply was lost) gets the same
/// upload back. Refused: a blob no record the caller may write refers to, a blob the depot
/// holds already (`already_stored`), and what would pass a quota. A thumbnail (declared
/// `thumbnail_of` a photo) is checked against its photo, and linked to it from then on.
pub fn create(db: &Db, caller: &Caller, declared: &Declared, length: u64) -> Result<Upload, ApiError> {
    let device = caller.device_id.clone().ok_or_else(ApiError::unauthorized)?;
    let sha256 = declared.sha256.as_str();
    let max = if declared.thumbnail_of.is_some() { THUMBNAIL_MAX_BYTES } else { BLOB_MAX_BYTES };
    if length > max {
        return Err(ApiError::too_large(format!(
            "a {} is at most {max} bytes",
            if max == BLOB_MAX_BYTES { "blob" } else { "thumbnail" }
        )));
    }
    if length == 0 {
        return Err(ApiError::malformed("Upload-Length must be at least 1"));
    }
    // Expired uploads give their room back before the quotas are counted.
    reclaim(db, false)?;
    let now = now_ms();
    let policy = db.uploads;
    let made = db.write(|tx| {
        match access(tx, caller, declared.thumbnail_of.as_deref().unwrap_or(sha256))? {
            Access::Write => {}
            Access::Read => return Err(ApiError::forbidden("only the owner or depot staff upload a draft's photos")),
            Access::None => return Err(ApiError::not_found("no record you may write refers to this blob")),
        }
        if let Some(photo) = &declared.thumbnail_of {
            tx.execute(
                "INSERT INTO blob_thumbnails (sha256, of_sha256) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![sha256, photo],
            )?;
        }
        if db.blobs.has(sha256) {
            // Refused once the link above is kept: a thumbnail held already (the same bytes
            // as another photo's) becomes this photo's too.
            return Ok(None);
        }
        let again = tx
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM uploads WHERE device_id = ?1 AND sha256 = ?2 AND length = ?3
                     AND finished_ms IS NULL AND expires_ms >= ?4 ORDER BY created_ms DESC LIMIT 1"
                ),
                params![device, sha256, length as i64, now as i64],
                row,
            )
            .optional()?;
        if let Some(u) = again {
            return Ok(Some(u));
        }
        let held = |device: Option<&str>| -> Result<u64, ApiError> {
            let n: i64 = tx.query_row(
                "SELECT COALESCE(SUM(length), 0) FROM uploads
                 WHERE finished_ms IS NULL AND expires_ms >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR device_id = ?2)",
                params![now as i64, device],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        };
        let mine = held(Some(&device))?;
        if mine + length > policy.device_quota_bytes {
            return Err(ApiError::device_quota(format!(
                "this device holds {mine} bytes in unfinished uploads; {} are allowed: finish or terminate some first",
                policy.device_quota_bytes
            )));
        }
        let all = held(None)?;
        if all + length > policy.depot_quota_bytes {
            return Err(ApiError::depot_quota(format!(
                "the depot holds {all} bytes in unfinished uploads; {} are allowed: try again later",
                policy.depot_quota_bytes
            )));
        }
        let u = Upload {
            id: uuid::Uuid::new_v4().to_string(),
            device_id: device.clone(),
            sha256: sha256.to_string(),
            length,
            received: 0,
            expires_ms: now + policy.expiry_ms,
            finished: false,
        };
        tx.execute(
            "INSERT INTO uploads (id, device_id, account_id, sha256, length, received, created_ms, expires_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)",
            params![u.id, device, caller.account_id, sha256, length as i64, now as i64, u.expires_ms as i64],
        )?;
        Ok(Some(u))
    })?;
    made.ok_or_else(ApiError::already_stored)
}

/// The caller's upload as it stands (`HEAD`). One whose last chunk was stored but whose check
/// a kill interrupted is finished first.
pub fn status(db: &Db, caller: &Caller, id: &str) -> Result<Upload, ApiError> {
    let u = db.read(|tx| own(tx, caller, id))?;
    if u.finished || u.received < u.length {
        return Ok(u);
    }
    let _g = commits();
    let u = db.read(|tx| own(tx, caller, id))?;
    settle(db, u)
}

/// Before receiving a chunk: the upload is the caller's, alive, at `from`, and a body of
/// `declared` bytes (its Content-Length, when sent) fits in what remains.
pub fn ready_for(db: &Db, caller: &Caller, id: &str, from: u64, declared: Option<u64>) -> Result<Upload, ApiError> {
    let u = db.read(|tx| own(tx, caller, id))?;
    at_offset(&u, from)?;
    if declared.is_some_and(|n| n > u.length - u.received) {
        return Err(too_long(&u));
    }
    Ok(u)
}

fn at_offset(u: &Upload, from: u64) -> Result<(), ApiError> {
    if u.received != from {
        return Err(ApiError::offset_mismatch(format!("the upload holds {} bytes; this chunk starts at {from}", u.received)));
    }
    Ok(())
}

pub fn too_long(u: &Upload) -> ApiError {
    ApiError::too_large(format!("the chunk runs past the upload's declared length of {} bytes", u.length))
}

/// Append a chunk received whole (`n` bytes in the file `chunk`) at `from`; the upload's new
/// state. With its last byte the upload is checked against its hash and stored, or discarded.
pub fn append(db: &Db, caller: &Caller, id: &str, from: u64, chunk: &Path, n: u64) -> Result<Upload, ApiError> {
    let _g = commits();
    let u = db.read(|tx| own(tx, caller, id))?;
    at_offset(&u, from)?;
    if n > u.length - u.received {
        return Err(too_long(&u));
    }
    if n > 0 {
        if let Err(e) = db.blobs.append(id, from, chunk) {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                discard(db, &u)?;
                return Err(ApiError::not_found("the upload's stored bytes were lost: create it again"));
            }
            return Err(ApiError::internal(format!("storing the chunk: {e}")));
        }
        // A kill test's moment: the bytes flushed, the offset not yet stored.
        crash_point("upload:appended");
        let expires = now_ms() + db.uploads.expiry_ms;
        let changed = db.write(|tx| {
            Ok(tx.execute(
                "UPDATE uploads SET received = ?1, expires_ms = ?2 WHERE id = ?3 AND received = ?4",
                params![(from + n) as i64, expires as i64, id, from as i64],
            )?)
        })?;
        if changed != 1 {
            return Err(gone());
        }
    }
    let u = db.read(|tx| own(tx, caller, id))?;
    settle(db, u)
}

/// A complete upload not yet marked finished: its bytes checked against the declared hash,
/// then moved into the blob store (or the upload discarded). Call with `COMMITS` held.
fn settle(db: &Db, mut u: Upload) -> Result<Upload, ApiError> {
    if u.finished || u.received < u.length {
        return Ok(u);
    }
    let partial = db.blobs.partial_path(&u.id);
    if !partial.exists() && db.blobs.has(&u.sha256) {
        // Killed after the move, before the row said so.
    } else {
        let (sha, len) = match db.blobs.partial_hash(&u.id) {
            Ok(h) => h,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), 0),
            Err(e) => return Err(ApiError::internal(format!("reading the upload: {e}"))),
        };
        if sha != u.sha256 || len != u.length {
            discard(db, &u)?;
            return Err(ApiError::hash_mismatch());
        }
        // A kill test's moment: the bytes checked, not yet in the blob store.
        crash_point("upload:verified");
        db.blobs.store(&u.id, &u.sha256).map_err(|e| ApiError::internal(format!("storing the blob: {e}")))?;
    }
    let now = now_ms();
    u.expires_ms = now + db.uploads.expiry_ms;
    db.write(|tx| {
        tx.execute(
            "UPDATE uploads SET finished_ms = ?1, expires_ms = ?2 WHERE id = ?3",
            params![now as i64, u.expires_ms as i64, u.id],
        )?;
        Ok(())
    })?;
    u.finished = true;
    Ok(u)
}

/// Forget an upload: its row, then its bytes.
fn discard(db: &Db, u: &Upload) -> Result<(), ApiError> {
    db.write(|tx| Ok(tx.execute("DELETE FROM uploads WHERE id = ?1", [&u.id])?))?;
    db.blobs.remove_partial(&u.id).map_err(|e| ApiError::internal(format!("removing the upload: {e}")))
}

/// Terminate the caller's upload (`DELETE`): its row and partial bytes go. A finished upload's
/// blob stays (other records may refer to it).
pub fn terminate(db: &Db, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let _g = commits();
    let u = db.read(|tx| own(tx, caller, id))?;
    discard(db, &u)
}

/// A blob's bytes, for a caller who may read a record that refers to it.
pub fn blob_for(db: &Db, caller: &Caller, sha256: &str) -> Result<Vec<u8>, ApiError> {
    if db.read(|tx| access(tx, caller, sha256))? == Access::None {
        return Err(ApiError::not_found("no record you may read refers to this blob"));
    }
    stored_blob(db, sha256)
}

/// The bytes of the blob `sha256` as the depot holds them, whoever asks: callers check first
/// who may read them (`blob_for`; the shop's `products::is_public_photo`).
pub fn stored_blob(db: &Db, sha256: &str) -> Result<Vec<u8>, ApiError> {
    db.blobs.read(sha256).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ApiError::not_found("this blob has not reached the depot yet"),
        _ => ApiError::internal(format!("reading the blob: {e}")),
    })
}

/// The thumbnail of the photo `photo` (its hash, its bytes), to a caller who may read a record
/// that refers to the photo: what a reviewer's phone shows before (or instead of) the photo.
/// Only a caller who may write the photo's record could link a thumbnail to it (`check_create`).
pub fn thumbnail_for(db: &Db, caller: &Caller, photo: &str) -> Result<(String, Vec<u8>), ApiError> {
    if db.read(|tx| access(tx, caller, photo))? == Access::None {
        return Err(ApiError::not_found("no record you may read refers to this photo"));
    }
    for sha256 in thumbnails_of(db, photo)? {
        match db.blobs.read(&sha256) {
            Ok(bytes) => return Ok((sha256, bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(ApiError::internal(format!("reading the thumbnail: {e}"))),
        }
    }
    Err(ApiError::not_found("this photo's thumbnail has not reached the depot yet"))
}

/// The thumbnails linked to the photo `photo`, by hash. Whoever may write a record naming a
/// photo may link one (`create`): the photo's owner, or another artisan who names the same
/// photo in her own draft.
pub fn thumbnails_of(db: &Db, photo: &str) -> Result<Vec<String>, ApiError> {
    db.read(|tx| {
        let mut q = tx.prepare_cached("SELECT sha256 FROM blob_thumbnails WHERE of_sha256 = ?1 ORDER BY sha256")?;
        let rows = q.query_map([photo], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(rows)
    })
}

/// What a reclaim removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reclaimed {
    /// Expired uploads (rows), and the bytes their partial files held.
    pub uploads: usize,
    pub bytes: u64,
    /// Files in the uploads folder that no upload owns any more (left by a kill or a race).
    pub stray_files: usize,
}

/// Remove expired uploads (rows, then files) and files no upload owns. `all_chunks` (at start,
/// when no PATCH can be running) removes every chunk file too.
pub fn reclaim(db: &Db, all_chunks: bool) -> Result<Reclaimed, ApiError> {
    let io = |e: std::io::Error| ApiError::internal(format!("reclaiming uploads: {e}"));
    // Files first, rows second: a file listed here existed before the rows are read, so a live
    // upload's file always has its row in what is read.
    let files = db.blobs.upload_files().map_err(io)?;
    let now = now_ms();
    let (expired, live) = db.write(|tx| {
        let mut q = tx.prepare(&format!("SELECT {COLUMNS} FROM uploads WHERE expires_ms < ?1"))?;
        let expired: Vec<Upload> = q.query_map([now as i64], row)?.collect::<Result<_, _>>()?;
        tx.execute("DELETE FROM uploads WHERE expires_ms < ?1", [now as i64])?;
        let mut q = tx.prepare("SELECT id FROM uploads")?;
        let live: BTreeSet<String> = q.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok((expired, live))
    })?;
    let mut out = Reclaimed { uploads: expired.len(), ..Default::default() };
    let expired_ids: BTreeSet<&str> = expired.iter().map(|u| u.id.as_str()).collect();
    for f in files {
        let owned = live.contains(&f.upload_id);
        if expired_ids.contains(f.upload_id.as_str()) {
            out.bytes += std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0);
        } else if owned && !(f.chunk && all_chunks) {
            continue;
        } else {
            out.stray_files += 1;
        }
        match std::fs::remove_file(&f.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
    }
    Ok(out)
}

/// At start: reclaim (every chunk file is a dead PATCH's), then finish the uploads whose last
/// chunk was stored when a kill came.
pub fn recover(db: &Db) -> Result<Reclaimed, ApiError> {
    let _g = commits();
    let r = reclaim(db, true)?;
    let complete: Vec<Upload> = db.read(|tx| {
        let mut q =
            tx.prepare(&format!("SELECT {COLUMNS} FROM uploads WHERE finished_ms IS NULL AND received = length ORDER BY id"))?;
        let rows = q.query_map([], row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    })?;
    for u in complete {
        // A complete upload whose bytes do not match is discarded, as it would have been.
        match settle(db, u) {
            Ok(_) => {}
            Err(e) if e.code == "hash_mismatch" => {}
            Err(e) => return Err(e),
        }
    }
    Ok(r)
}

/// A stored blob, with how many records refer to it.
#[derive(Clone, Debug)]
pub struct BlobInfo {
    pub file: BlobFile,
    pub refs: usize,
}

/// What the store holds: blobs (with their references), uploads, and blobs records refer to
/// that have not arrived.
pub struct Inventory {
    pub blobs: Vec<BlobInfo>,
    pub uploads: Vec<Upload>,
    pub missing: Vec<String>,
}

pub fn inventory(db: &Db) -> Result<Inventory, ApiError> {
    let files = db.blobs.blobs().map_err(|e| ApiError::internal(format!("listing blobs: {e}")))?;
    let (refs, uploads) = db.read(|tx| {
        // A thumbnail is named by the records that name its photos.
        let mut q = tx.prepare(
            "SELECT sha256, COUNT(DISTINCT kind || '/' || id), MAX(named) FROM (
                 SELECT sha256, kind, id, 1 AS named FROM blob_refs
                 UNION ALL SELECT t.sha256, b.kind, b.id, 0 FROM blob_thumbnails t JOIN blob_refs b ON b.sha256 = t.of_sha256
             ) AS named_by GROUP BY sha256",
        )?;
        let refs: BTreeMap<String, (i64, bool)> =
            q.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?.collect::<Result<_, _>>()?;
        let mut q = tx.prepare(&format!("SELECT {COLUMNS} FROM uploads ORDER BY created_ms, id"))?;
        let uploads: Vec<Upload> = q.query_map([], row)?.collect::<Result<_, _>>()?;
        Ok((refs, uploads))
    })?;
    let held: BTreeSet<&str> = files.iter().map(|f| f.sha256.as_str()).collect();
    let missing = refs.iter().filter(|(h, (_, named))| *named && !held.contains(h.as_str())).map(|(h, _)| h.clone()).collect();
    let blobs =
        files.iter().map(|f| BlobInfo { refs: refs.get(&f.sha256).map_or(0, |r| r.0) as usize, file: f.clone() }).collect();
    Ok(Inventory { blobs, uploads, missing })
}
