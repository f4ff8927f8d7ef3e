//! `FundiPhone`: the one handle Kotlin holds. It opens the phone's database once; every feature
//! service it hands out shares that connection (matrix-rust-sdk's client and its services).

use crate::drafts::DraftService;
use crate::error::FundiError;
use crate::photos::{PhotoLibrary, PhotoService};
use crate::review::ReviewPhotoService;
use crate::sync::SyncService;
use crate::vault::{ForeignVault, TokenVault};
use fundi_core::Store;
use std::sync::Arc;

/// The phone's database, opened once per process. Thread-safe; calls block on SQLite (and the
/// network for sync), so Kotlin calls them off the main thread.
#[derive(uniffi::Object)]
pub struct FundiPhone {
    inner: Arc<Store>,
}

#[uniffi::export]
impl FundiPhone {
    /// Open (or create) the database file at `path` with no token vault: the device token is
    /// stored **unencrypted** (the core's plaintext vault). For host tests and tools only; the
    /// app opens with [`FundiPhone::open_with_vault`].
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>, FundiError> {
        Ok(Arc::new(FundiPhone { inner: Arc::new(Store::open(path)?) }))
    }

    /// Open (or create) the database file at `path`; `vault` seals the device token before it
    /// is written (never in clear) and opens it for each request. A clear token written by an
    /// older version is sealed now. The one place a connection is opened, with `open`.
    #[uniffi::constructor]
    pub fn open_with_vault(path: String, vault: Arc<dyn TokenVault>) -> Result<Arc<Self>, FundiError> {
        Ok(Arc::new(FundiPhone { inner: Arc::new(Store::open_with_vault(path, Arc::new(ForeignVault(vault)))?) }))
    }

    /// Catalog drafts.
    pub fn drafts(&self) -> Arc<DraftService> {
        Arc::new(DraftService { inner: self.inner.clone() })
    }

    /// Draft photos, kept in `library` (the app's photo directory).
    pub fn photos(&self, library: Arc<PhotoLibrary>) -> Arc<PhotoService> {
        Arc::new(PhotoService { inner: self.inner.clone(), library })
    }

    /// The photos of drafts this phone reviews, cached in `cache` (a directory of their own,
    /// e.g. in the app's cache directory; never the artisan's photo library).
    pub fn review_photos(&self, cache: Arc<PhotoLibrary>) -> Arc<ReviewPhotoService> {
        Arc::new(ReviewPhotoService { inner: self.inner.clone(), cache })
    }

    /// Enrollment, sync, the outbox, conflicts, orders, review, stock and profiles.
    pub fn sync(&self) -> Arc<SyncService> {
        Arc::new(SyncService { inner: self.inner.clone() })
    }

    /// Close the database now, for every service; later calls fail with `FundiError.Closed`.
    /// (Kotlin's `close()`/`use {}` frees this object only: the connection closes when it and
    /// every service taken from it are freed, or here.) Not `close`: that name is the
    /// generated class's AutoCloseable method.
    pub fn close_database(&self) -> Result<(), FundiError> {
        Ok(self.inner.close()?)
    }
}
