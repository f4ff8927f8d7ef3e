//! Photos across the FFI: `PhotoLibrary` (the directory the app gives for photo files, one per
//! app), draft photo records, and the draft photo operations on `DraftStore`.
//!
//! The app opens its library once, e.g. `PhotoLibrary.open(context.filesDir + "/photos")`
//! (inside the app's private files, excluded from backups), and passes it to each photo call:
//! the store stays a database handle, and tests can point the library anywhere.

use crate::drafts::DraftStore;
use crate::error::FundiError;
use fundi_core::drafts::{DraftPhoto, PhotoGarbage, MAX_PHOTOS_PER_DRAFT};
use fundi_core::photos::{self as core, Advice, PrepareOptions};
use std::path::Path;
use std::sync::Arc;

/// How many photos a draft may hold (the core refuses more with `NotAllowed`), so the app can
/// stop offering "add" instead of learning the number from a refusal.
#[uniffi::export]
pub fn max_photos_per_draft() -> u32 {
    MAX_PHOTOS_PER_DRAFT as u32
}

#[derive(uniffi::Object)]
pub struct PhotoLibrary {
    inner: core::PhotoLibrary,
}

#[uniffi::export]
impl PhotoLibrary {
    /// Open (creating if needed) the photo directory `dir`.
    #[uniffi::constructor]
    pub fn open(dir: String) -> Result<Arc<Self>, FundiError> {
        Ok(Arc::new(PhotoLibrary { inner: core::PhotoLibrary::open(dir)? }))
    }

    pub fn dir(&self) -> String {
        self.inner.dir().to_string_lossy().into_owned()
    }
}

/// What the app can tell the artisan before they submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PhotoAdvice {
    /// "Hold the phone still."
    Blurry,
    /// "Find more light."
    TooDark,
    /// "Move out of direct sun."
    Overexposed,
    /// "Use the camera at full size."
    TooSmall,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct DraftPhotoRecord {
    /// SHA-256 of the upload image: the photo's identity.
    pub hash: String,
    pub thumbnail_hash: String,
    /// The upload image file (JPEG).
    pub path: String,
    pub thumbnail_path: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub thumbnail_bytes: u64,
    pub position: u32,
    /// The photo shown first in the catalog (position 0).
    pub primary: bool,
    pub advice: Vec<PhotoAdvice>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct PhotoGarbageReport {
    pub photos_removed: u32,
    pub files_removed: u32,
}

fn records(photos: Vec<DraftPhoto>) -> Vec<DraftPhotoRecord> {
    photos.into_iter().map(Into::into).collect()
}

#[uniffi::export]
impl DraftStore {
    /// Prepare the camera photo at `source_path` (resized, upright, metadata removed) and add
    /// it to the draft. Blocks for a fraction of a second: call it off the main thread.
    pub fn add_draft_photo(
        &self,
        library: Arc<PhotoLibrary>,
        draft_id: String,
        source_path: String,
    ) -> Result<DraftPhotoRecord, FundiError> {
        Ok(self
            .inner
            .add_draft_photo_file(&library.inner, &draft_id, Path::new(&source_path), &PrepareOptions::default())?
            .into())
    }

    /// The draft's photos, primary first.
    pub fn draft_photos(&self, library: Arc<PhotoLibrary>, draft_id: String) -> Result<Vec<DraftPhotoRecord>, FundiError> {
        Ok(records(self.inner.draft_photos(&library.inner, &draft_id)?))
    }

    /// Move a photo to `position` (0 makes it the primary one). Returns the new order.
    pub fn move_draft_photo(
        &self,
        library: Arc<PhotoLibrary>,
        draft_id: String,
        hash: String,
        position: u32,
    ) -> Result<Vec<DraftPhotoRecord>, FundiError> {
        Ok(records(self.inner.move_draft_photo(&library.inner, &draft_id, &hash, position)?))
    }

    pub fn set_primary_draft_photo(
        &self,
        library: Arc<PhotoLibrary>,
        draft_id: String,
        hash: String,
    ) -> Result<Vec<DraftPhotoRecord>, FundiError> {
        Ok(records(self.inner.set_primary_draft_photo(&library.inner, &draft_id, &hash)?))
    }

    /// Take a photo off the draft; its files go when nothing refers to them.
    pub fn remove_draft_photo(
        &self,
        library: Arc<PhotoLibrary>,
        draft_id: String,
        hash: String,
    ) -> Result<Vec<DraftPhotoRecord>, FundiError> {
        Ok(records(self.inner.remove_draft_photo(&library.inner, &draft_id, &hash)?))
    }

    /// Clear photos of deleted drafts and files left by an interrupted add. Call at start-up.
    pub fn collect_photo_garbage(&self, library: Arc<PhotoLibrary>) -> Result<PhotoGarbageReport, FundiError> {
        Ok(self.inner.collect_photo_garbage(&library.inner)?.into())
    }
}

impl From<Advice> for PhotoAdvice {
    fn from(a: Advice) -> Self {
        match a {
            Advice::Blurry => PhotoAdvice::Blurry,
            Advice::TooDark => PhotoAdvice::TooDark,
            Advice::Overexposed => PhotoAdvice::Overexposed,
            Advice::TooSmall => PhotoAdvice::TooSmall,
        }
    }
}

impl From<DraftPhoto> for DraftPhotoRecord {
    fn from(p: DraftPhoto) -> Self {
        DraftPhotoRecord {
            path: p.path.to_string_lossy().into_owned(),
            thumbnail_path: p.thumb_path.to_string_lossy().into_owned(),
            hash: p.hash,
            thumbnail_hash: p.thumb_hash,
            width: p.width,
            height: p.height,
            bytes: p.bytes,
            thumbnail_bytes: p.thumb_bytes,
            position: p.position,
            primary: p.primary,
            advice: p.advice.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<PhotoGarbage> for PhotoGarbageReport {
    fn from(g: PhotoGarbage) -> Self {
        PhotoGarbageReport { photos_removed: g.photos_removed, files_removed: g.files_removed }
    }
}
