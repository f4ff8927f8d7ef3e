//! Photos across the FFI: `PhotoLibrary` (the directory the app gives for photo files, one per
//! app), the core's photo types, and `PhotoService` (a draft's photos, over the phone's one
//! database and that library).
//!
//! The app opens its library once, e.g. `PhotoLibrary.open(context.filesDir + "/photos")` (inside
//! the app's private files, excluded from backups), and takes `phone.photos(library)`: the
//! database stays one handle, and tests can point the library anywhere.

use crate::error::FundiError;
use fundi_core::drafts::{Draft, DraftPhoto, DraftSummary, PhotoGarbage, MAX_PHOTOS_PER_DRAFT};
use fundi_core::photos::{self as core, Advice, PrepareOptions};
use fundi_core::replica::WireStats;
use fundi_core::uploads::{self as uploads, UploadProgress, UploadReport, UploadStatus};
use fundi_core::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;

// Paths cross as strings (Kotlin's `File(path)`).
uniffi::custom_type!(PathBuf, String, {
    remote,
    lower: |path| path.to_string_lossy().into_owned(),
    try_lift: |text| Ok(PathBuf::from(text)),
});

/// How many photos a draft may hold (the core refuses more with `NotAllowed(DraftFull)`), so
/// the app can stop offering "add" instead of learning the number from a refusal.
#[uniffi::export]
pub fn max_photos_per_draft() -> u32 {
    MAX_PHOTOS_PER_DRAFT as u32
}

/// The directory of photo files. Opening it touches no database.
#[derive(uniffi::Object)]
pub struct PhotoLibrary {
    pub(crate) inner: core::PhotoLibrary,
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
#[uniffi::remote(Enum)]
pub enum Advice {
    /// "Hold the phone still."
    Blurry,
    /// "Find more light."
    TooDark,
    /// "Move out of direct sun."
    Overexposed,
    /// "Use the camera at full size."
    TooSmall,
}

#[uniffi::remote(Record)]
pub struct DraftPhoto {
    /// SHA-256 of the upload image: the photo's identity.
    pub hash: String,
    pub thumb_hash: String,
    /// The upload image file (JPEG).
    pub path: PathBuf,
    pub thumb_path: PathBuf,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub thumb_bytes: u64,
    pub position: u32,
    /// The photo shown first in the catalog (position 0).
    pub primary: bool,
    pub advice: Vec<Advice>,
}

/// A row of the drafts list.
#[uniffi::remote(Record)]
pub struct DraftSummary {
    pub draft: Draft,
    pub photo_count: u32,
    /// The main photo's thumbnail (a small JPEG), null when the draft has no photo here.
    pub main_thumbnail_path: Option<PathBuf>,
}

#[uniffi::remote(Record)]
pub struct PhotoGarbage {
    pub photos_removed: u32,
    pub files_removed: u32,
}

/// A draft's photos, from [`crate::FundiPhone::photos`].
#[derive(uniffi::Object)]
pub struct PhotoService {
    pub(crate) inner: Arc<Store>,
    pub(crate) library: Arc<PhotoLibrary>,
}

#[uniffi::export]
impl PhotoService {
    /// Prepare the camera photo at `source_path` (resized, upright, metadata removed) and add
    /// it to the draft. Blocks for a fraction of a second: call it off the main thread.
    pub fn add_draft_photo(&self, draft_id: String, source_path: String) -> Result<DraftPhoto, FundiError> {
        let options = PrepareOptions::default();
        Ok(self.inner.add_draft_photo_file(&self.library.inner, &draft_id, Path::new(&source_path), &options)?)
    }

    /// The drafts list: every live draft, newest first, with its photo count and the
    /// thumbnail file of its main photo (null without one).
    pub fn draft_summaries(&self) -> Result<Vec<DraftSummary>, FundiError> {
        Ok(self.inner.list_draft_summaries(&self.library.inner)?)
    }

    /// The draft's photos, primary first.
    pub fn draft_photos(&self, draft_id: String) -> Result<Vec<DraftPhoto>, FundiError> {
        Ok(self.inner.draft_photos(&self.library.inner, &draft_id)?)
    }

    /// Move a photo to `position` (0 makes it the primary one). Returns the new order.
    pub fn move_draft_photo(&self, draft_id: String, hash: String, position: u32) -> Result<Vec<DraftPhoto>, FundiError> {
        Ok(self.inner.move_draft_photo(&self.library.inner, &draft_id, &hash, position)?)
    }

    pub fn set_primary_draft_photo(&self, draft_id: String, hash: String) -> Result<Vec<DraftPhoto>, FundiError> {
        Ok(self.inner.set_primary_draft_photo(&self.library.inner, &draft_id, &hash)?)
    }

    /// Take a photo off the draft; its files go when nothing refers to them.
    pub fn remove_draft_photo(&self, draft_id: String, hash: String) -> Result<Vec<DraftPhoto>, FundiError> {
        Ok(self.inner.remove_draft_photo(&self.library.inner, &draft_id, &hash)?)
    }

    /// Clear photos of deleted drafts and files left by an interrupted add. Call at start-up.
    pub fn collect_photo_garbage(&self) -> Result<PhotoGarbage, FundiError> {
        Ok(self.inner.collect_photo_garbage(&self.library.inner)?)
    }

    /// Send the photos and thumbnails that wait, resuming where the depot has each one. Call
    /// after a sync (the drafts that name them go first). `unmetered`: the network as Android's
    /// ConnectivityManager says; the core decides with the data saver whether full photos go
    /// (thumbnails always do). `listener` hears the progress after every chunk. Blocks on the
    /// network: call it off the main thread.
    #[uniffi::method(default(listener = None))]
    pub fn upload_photos(&self, unmetered: bool, listener: Option<Arc<dyn UploadListener>>) -> Result<UploadReport, FundiError> {
        let policy = self.inner.upload_policy(unmetered)?;
        let listener = listener.map(Listener);
        Ok(self.inner.upload_photos_with(
            &self.library.inner,
            policy,
            listener.as_ref().map(|l| l as &dyn uploads::UploadListener),
        )?)
    }

    /// What waits to be uploaded (counts and bytes), without the network.
    pub fn upload_status(&self) -> Result<UploadStatus, FundiError> {
        Ok(self.inner.upload_status()?)
    }
}

/// What waits to be uploaded: thumbnails (they go on any network) and full photos.
#[uniffi::remote(Record)]
pub struct UploadStatus {
    pub thumbnails: u32,
    pub thumbnail_bytes: u64,
    pub photos: u32,
    pub photo_bytes: u64,
}

/// How an upload run goes: one blob (a photo, or a thumbnail of `thumbnail_of`) and the run.
#[uniffi::remote(Record)]
pub struct UploadProgress {
    pub sha256: String,
    pub thumbnail_of: Option<String>,
    /// Bytes of this blob the depot holds, of its length.
    pub done: u64,
    pub total: u64,
    /// Over every blob this run may send.
    pub overall_done: u64,
    pub overall_total: u64,
}

/// Told how an upload run goes, after every chunk; called on the thread that runs
/// `upload_photos`. An exception it throws is ignored (the upload goes on).
#[uniffi::export(with_foreign)]
pub trait UploadListener: Send + Sync {
    fn on_upload_progress(&self, progress: UploadProgress);
}

/// Kotlin's listener as the core's.
struct Listener(Arc<dyn UploadListener>);

impl uploads::UploadListener for Listener {
    fn on_upload_progress(&self, progress: UploadProgress) {
        crate::sync::tell(|| self.0.on_upload_progress(progress))
    }
}

/// What a run of uploads did.
#[uniffi::remote(Record)]
pub struct UploadReport {
    pub finished: u32,
    pub bytes_sent: u64,
    pub already_stored: u32,
    pub waiting: u32,
    pub wire: WireStats,
}
