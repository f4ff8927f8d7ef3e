//! The upload queue: this phone's photos and their thumbnails waiting to reach the depot (ADR
//! 0013). A photo added to a draft is queued in the same transaction that names it in the draft,
//! so the record syncs at once and its bytes follow; the queue keeps, per blob, where its tus
//! upload is at the depot and how many bytes the depot confirmed, so an app killed at any byte
//! resumes from the depot's offset. The sending is the sync engine's (`replica::upload`); this
//! module is the queue, what the UI reads of it, and the network policy: the data saver (a
//! setting kept in the sync state row) decides with the network the app reports which blobs
//! may go.

pub(crate) mod db;

use crate::account;
use crate::error::Result;
use crate::Store;

/// Which blobs a run of uploads may send, by the network the phone is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadPolicy {
    /// Full photos too. Thumbnails (about 15 KB) always go so that a reviewer sees something;
    /// photos go on an unmetered network, or anywhere once the artisan turned the data saver
    /// off.
    pub photos: bool,
}

impl UploadPolicy {
    /// The rule: photos wait for an unmetered network while the data saver is on.
    pub fn for_network(unmetered: bool, data_saver: bool) -> UploadPolicy {
        UploadPolicy { photos: unmetered || !data_saver }
    }

    /// Whether this policy lets the queued blob go now (a thumbnail always).
    pub(crate) fn allows(&self, q: &db::Queued) -> bool {
        self.photos || q.of_sha256.is_some()
    }
}

/// How an upload run goes, after every chunk the depot stored (and when a blob finishes or
/// the depot already holds it): for a progress bar per photo and overall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadProgress {
    /// The blob: a photo's hash, or a thumbnail's (`thumbnail_of` names its photo).
    pub sha256: String,
    pub thumbnail_of: Option<String>,
    /// Bytes of this blob the depot holds, of its length.
    pub done: u64,
    pub total: u64,
    /// The same over every blob this run may send (what the policy holds back is not counted).
    pub overall_done: u64,
    pub overall_total: u64,
}

/// Told how an upload run goes. Called on the uploading thread.
pub trait UploadListener: Send + Sync {
    fn on_upload_progress(&self, progress: UploadProgress);
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
    /// Turn the data saver on (the default: full photos wait for an unmetered network) or off.
    pub fn set_data_saver(&self, on: bool) -> Result<()> {
        self.write(|tx| account::db::set_data_saver(tx, on))
    }

    pub fn data_saver(&self) -> Result<bool> {
        self.read(account::db::data_saver)
    }

    /// What uploads may send on this network (`unmetered`: as the platform reports it), by the
    /// data saver.
    pub fn upload_policy(&self, unmetered: bool) -> Result<UploadPolicy> {
        Ok(UploadPolicy::for_network(unmetered, self.data_saver()?))
    }

    /// What waits to be uploaded.
    pub fn upload_status(&self) -> Result<UploadStatus> {
        let [(thumbnails, thumbnail_bytes), (photos, photo_bytes)] = self.read(db::totals)?;
        Ok(UploadStatus { thumbnails, thumbnail_bytes, photos, photo_bytes })
    }
}
