//! The upload queue: this phone's photos and their thumbnails waiting to reach the depot (ADR
//! 0013). A photo added to a draft is queued in the same transaction that names it in the draft,
//! so the record syncs at once and its bytes follow; the queue keeps, per blob, where its tus
//! upload is at the depot and how many bytes the depot confirmed, so an app killed at any byte
//! resumes from the depot's offset. The sending is the sync engine's (`replica::upload`); this
//! module is the queue and what the UI reads of it.

pub(crate) mod db;

use crate::error::Result;
use crate::Store;

/// Which blobs a run of uploads may send, by the network the phone is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadPolicy {
    /// Full photos too. Thumbnails (about 15 KB) always go so that a reviewer sees something;
    /// the app allows photos on an unmetered network, or anywhere once the artisan turned the
    /// data saver off.
    pub photos: bool,
}

/// What waits to be uploaded, for the UI ("3 photos, 450 KB") and to tell before a sync what it
/// will send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadStatus {
    pub thumbnails: u32,
    pub thumbnail_bytes: u64,
    pub photos: u32,
    pub photo_bytes: u64,
}

/// What a run of uploads did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadReport {
    /// Blobs the depot now holds whole (including those it already had).
    pub finished: u32,
    /// Blob bytes sent in chunks the depot stored.
    pub bytes_sent: u64,
    /// Blobs the depot had already: nothing was sent for them.
    pub already_stored: u32,
    /// Blobs left waiting: not allowed by the policy, refused for now (their draft has not
    /// reached the depot yet, a quota), or cut off.
    pub waiting: u32,
    /// Round trips and bytes on the wire, headers included.
    pub wire: crate::account::WireStats,
}

impl Store {
    /// What waits to be uploaded.
    pub fn upload_status(&self) -> Result<UploadStatus> {
        let [(thumbnails, thumbnail_bytes), (photos, photo_bytes)] = self.read(db::totals)?;
        Ok(UploadStatus { thumbnails, thumbnail_bytes, photos, photo_bytes })
    }
}
