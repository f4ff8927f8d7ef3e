//! Draft review across the FFI: mentees' (or, for staff, all) drafts and the reviewer's answer,
//! and their photos in the review cache (`ReviewPhotoService`).

use crate::error::FundiError;
use crate::photos::PhotoLibrary;
use crate::sync::SyncService;
use fundi_core::replica::ReviewDraft;
use fundi_core::replica::{SyncEstimate, WireStats};
use fundi_core::review_cache::{DownloadReport, ReviewCacheStatus, ReviewPhoto};
use fundi_core::Store;
use fundi_sync::{DraftCommand, DraftStatus};
use std::path::PathBuf;
use std::sync::Arc;

#[uniffi::remote(Enum)]
pub enum DraftCommand {
    Submit,
    RequestChanges,
    Approve,
    Revise,
}

#[uniffi::remote(Record)]
pub struct ReviewDraft {
    pub id: String,
    pub owner: String,
    pub title: String,
    pub status: DraftStatus,
    /// What this account may do now (approve, request changes): show these and no others.
    pub commands: Vec<DraftCommand>,
}

#[uniffi::export]
impl SyncService {
    /// Drafts waiting for or past review, in their optimistic status.
    pub fn list_review_drafts(&self) -> Result<Vec<ReviewDraft>, FundiError> {
        Ok(self.inner.list_review_drafts()?)
    }

    /// Approve a draft or ask for changes, with an optional note the artisan sees. (An artisan
    /// submits with `DraftService.submitDraft`; a reviewer's `Submit` is `NotAllowed`.)
    pub fn review_draft(&self, id: String, command: DraftCommand, note: Option<String>) -> Result<(), FundiError> {
        Ok(self.inner.review_draft(&id, command, note)?)
    }

    /// Set the price of a draft under review, in minor units (depot staff set prices; others
    /// are `NotAllowed`). Checked with the depot's field rules, then queued.
    pub fn set_reviewed_draft_price(&self, id: String, price_minor: i64) -> Result<(), FundiError> {
        Ok(self.inner.set_reviewed_draft_field(&id, "price", price_minor.into())?)
    }
}

/// One photo of a reviewed draft: its files in the review cache, once fetched.
#[uniffi::remote(Record)]
pub struct ReviewPhoto {
    /// The photo's hash, as the draft names it.
    pub photo: String,
    /// About 15 KB; fetched on any network. `None`: not fetched yet, or not at the depot yet.
    pub thumbnail: Option<PathBuf>,
    /// The photo itself; fetched on Wi-Fi (or with the data saver off) for drafts waiting for review.
    pub full: Option<PathBuf>,
}

/// What a fetch of review photos did.
#[uniffi::remote(Record)]
pub struct DownloadReport {
    pub thumbnails: u32,
    pub photos: u32,
    pub bytes: u64,
    /// Photos not at the depot yet ("photos on the way").
    pub on_the_way: u32,
    /// Photos waiting for Wi-Fi (or for the data saver to be turned off).
    pub held_back: u32,
    /// Files left out because the cache is full.
    pub no_room: u32,
    /// Files the depot sent that did not match their name: not kept.
    pub damaged: u32,
    pub wire: WireStats,
}

#[uniffi::remote(Record)]
pub struct ReviewCacheStatus {
    pub files: u32,
    pub bytes: u64,
}

/// The photos of the drafts this phone reviews, in a cache directory of their own, from
/// [`crate::FundiPhone::review_photos`].
#[derive(uniffi::Object)]
pub struct ReviewPhotoService {
    pub(crate) inner: Arc<Store>,
    pub(crate) cache: Arc<PhotoLibrary>,
}

#[uniffi::export]
impl ReviewPhotoService {
    /// Fetch the thumbnails the cache lacks (on any network) and the photos of drafts waiting
    /// for review when the core allows them: `unmetered` (the network as Android's
    /// ConnectivityManager says), or the data saver off. Call after a sync. Blocks on the
    /// network: call it off the main thread.
    pub fn fetch(&self, unmetered: bool) -> Result<DownloadReport, FundiError> {
        Ok(self.inner.fetch_review_photos(&self.cache.inner, self.inner.download_policy(unmetered)?)?)
    }

    /// [`SyncService::sync_estimate`] for a reviewer's phone: also what [`Self::fetch`] would
    /// then bring on this network (`review_photos_in`, asked of the depot: only with
    /// `ask_depot`). Blocks on the network when `ask_depot`.
    pub fn sync_estimate(&self, unmetered: bool, ask_depot: bool) -> Result<SyncEstimate, FundiError> {
        Ok(self.inner.sync_estimate_for_reviewer(unmetered, ask_depot, &self.cache.inner)?)
    }

    /// The photos of a reviewed draft in its order, with the cached files of each.
    pub fn photos(&self, draft_id: String) -> Result<Vec<ReviewPhoto>, FundiError> {
        Ok(self.inner.review_photos(&self.cache.inner, &draft_id)?)
    }

    /// What the cache holds (the storage settings).
    pub fn status(&self) -> Result<ReviewCacheStatus, FundiError> {
        Ok(self.inner.review_cache_status()?)
    }

    /// Empty the cache; it fills again at the next fetch.
    pub fn clear(&self) -> Result<(), FundiError> {
        Ok(self.inner.clear_review_cache(&self.cache.inner)?)
    }
}
