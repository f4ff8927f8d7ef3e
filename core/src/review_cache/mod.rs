//! The review cache (ADR 0015): thumbnails and photos of the drafts this phone reviews (a
//! mentor's mentees', or for staff any), fetched from the depot by `replica::download` into a
//! directory of their own (the app's cache directory, never the artisan's own photo library),
//! bounded in bytes; when it is full, photos go before thumbnails, the least recently shown
//! first.
//!
//! Files are named by their own hash and checked against it before they are kept. A file is
//! written before its row and its row removed before the file, so a kill leaves at worst a file
//! no row names, which the next fetch sweeps. Android may empty a cache directory at any time:
//! a row whose file is gone counts as not cached.

pub(crate) mod db;

use crate::error::Result;
use crate::photos::PhotoLibrary;
use crate::Store;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Which of a photo's files an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Size {
    /// About 15 KB: fetched on any network.
    Thumbnail,
    /// The upload-size photo: fetched only when the policy allows photos.
    Photo,
}

impl Size {
    pub fn code(self) -> &'static str {
        match self {
            Size::Thumbnail => "thumbnail",
            Size::Photo => "photo",
        }
    }

    pub fn from_code(code: &str) -> Option<Size> {
        [Size::Thumbnail, Size::Photo].into_iter().find(|s| s.code() == code)
    }
}

/// Bytes the review cache may hold unless the app says otherwise: a few hundred thumbnails and
/// a few dozen photos, small next to what a budget phone's storage gives an app's cache.
pub const REVIEW_CACHE_DEFAULT_MAX_BYTES: u64 = 32 * 1024 * 1024;

/// What a fetch may bring, by the network the phone is on, and how much the cache may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DownloadPolicy {
    /// Full photos too (an unmetered network, or the data saver off); thumbnails always.
    pub photos: bool,
    pub max_cache_bytes: u64,
}

impl DownloadPolicy {
    pub fn new(photos: bool) -> DownloadPolicy {
        DownloadPolicy { photos, max_cache_bytes: REVIEW_CACHE_DEFAULT_MAX_BYTES }
    }
}

/// What a fetch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DownloadReport {
    /// Files fetched and kept.
    pub thumbnails: u32,
    pub photos: u32,
    /// Their bytes (bodies only; `wire` has what crossed the wire).
    pub bytes: u64,
    /// Photos whose file has not reached the depot yet ("photos on the way"); tried again next time.
    pub on_the_way: u32,
    /// Photos the policy held back (a metered network with the data saver on).
    pub held_back: u32,
    /// Files not fetched because the cache was full of files this fetch brought.
    pub no_room: u32,
    /// Files the depot sent that did not hash to their name: not kept.
    pub damaged: u32,
    pub wire: crate::account::WireStats,
}

/// One photo of a reviewed draft, as the cache holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewPhoto {
    /// The photo's hash, as the draft names it.
    pub photo: String,
    pub thumbnail: Option<PathBuf>,
    pub full: Option<PathBuf>,
}

/// What the cache holds, for the storage settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReviewCacheStatus {
    pub files: u32,
    pub bytes: u64,
}

impl Store {
    /// What a fetch of review photos may bring on this network (`unmetered`: as the platform
    /// reports it): photos on Wi-Fi, or anywhere with the data saver off, as for uploads.
    pub fn download_policy(&self, unmetered: bool) -> Result<DownloadPolicy> {
        Ok(DownloadPolicy::new(self.upload_policy(unmetered)?.photos))
    }

    pub fn review_cache_status(&self) -> Result<ReviewCacheStatus> {
        let (files, bytes) = self.read(db::totals)?;
        Ok(ReviewCacheStatus { files, bytes })
    }

    /// Empty the review cache (the storage settings' "clear"); it fills again as drafts are reviewed.
    pub fn clear_review_cache(&self, cache: &PhotoLibrary) -> Result<()> {
        self.prune_review_cache(cache, &BTreeSet::new())
    }

    /// The file of `size` of `photo` if the cache holds it (marked as used), else `None`.
    #[cfg(test)]
    pub(crate) fn cached_file(&self, cache: &PhotoLibrary, photo: &str, size: Size) -> Result<Option<PathBuf>> {
        Ok(self.cached_files(cache, &[(photo.to_string(), size)])?.remove(0))
    }

    /// [`Self::cached_file`] for each of `wanted`, in one read and one write (a screen shows
    /// many at once).
    pub(crate) fn cached_files(&self, cache: &PhotoLibrary, wanted: &[(String, Size)]) -> Result<Vec<Option<PathBuf>>> {
        let found: Vec<Option<db::Cached>> =
            self.read(|conn| wanted.iter().map(|(photo, size)| db::find(conn, photo, *size)).collect())?;
        let mut out = Vec::with_capacity(found.len());
        for c in &found {
            let path = c.as_ref().map(|c| cache.path_of(&c.sha256)).transpose()?;
            // A file gone: emptied behind our back (the system clears app caches when storage runs low).
            out.push(path.filter(|p| p.is_file()));
        }
        if found.iter().any(Option::is_some) {
            self.write(|tx| {
                for (c, path) in found.iter().zip(&out) {
                    match (c, path) {
                        (Some(c), Some(_)) => db::touch(tx, &c.photo, c.size)?,
                        (Some(c), None) => db::remove(tx, &c.photo, c.size)?,
                        _ => {}
                    }
                }
                Ok(())
            })?;
        }
        Ok(out)
    }

    /// Whether the file of `size` of `photo` is cached (without marking it used).
    pub(crate) fn is_cached(&self, cache: &PhotoLibrary, photo: &str, size: Size) -> Result<bool> {
        let found = self.read(|conn| db::find(conn, photo, size))?;
        Ok(found.is_some_and(|c| cache.contains(&c.sha256)))
    }

    /// Keep `bytes` (already checked to hash to `sha256`) as the `size` of `photo`, after
    /// making room: photos before thumbnails, least recently shown first, but never an entry
    /// marked after `fetch_began` (what this fetch brought or showed). `false`: no room
    /// without evicting those.
    pub(crate) fn keep_in_review_cache(
        &self,
        cache: &PhotoLibrary,
        entry: db::Cached,
        bytes: &[u8],
        max: u64,
        fetch_began: i64,
    ) -> Result<bool> {
        let _gate = cache.gate();
        let (_, mut total) = self.read(db::totals)?;
        if total + entry.bytes > max {
            let evictable: Vec<db::Cached> =
                self.read(db::by_eviction)?.into_iter().filter(|(_, used)| *used <= fetch_began).map(|(c, _)| c).collect();
            // Evict nothing unless evicting makes the room.
            if total - evictable.iter().map(|c| c.bytes).sum::<u64>() + entry.bytes > max {
                return Ok(false);
            }
            for old in evictable {
                if total + entry.bytes <= max {
                    break;
                }
                self.forget(cache, &old)?;
                total -= old.bytes;
            }
        }
        cache.put(&entry.sha256, bytes)?;
        self.write(|tx| db::put(tx, &entry))?;
        Ok(true)
    }

    /// Drop every entry for a photo not in `wanted` (no reviewed draft names it any more: its
    /// draft was approved away, deleted, or left this phone's scope), and every file no entry
    /// names (left by a kill between a file and its row).
    pub(crate) fn prune_review_cache(&self, cache: &PhotoLibrary, wanted: &BTreeSet<String>) -> Result<()> {
        let _gate = cache.gate();
        for (c, _) in self.read(db::by_eviction)? {
            if !wanted.contains(&c.photo) {
                self.forget(cache, &c)?;
            }
        }
        let named: BTreeSet<String> = self.read(db::by_eviction)?.into_iter().map(|(c, _)| c.sha256).collect();
        for hash in cache.hashes()? {
            if !named.contains(&hash) {
                cache.remove(&hash)?;
            }
        }
        Ok(())
    }

    /// Row first, then the file unless another entry shares it. Called under the cache's gate.
    fn forget(&self, cache: &PhotoLibrary, c: &db::Cached) -> Result<()> {
        let still_named = self.write(|tx| {
            db::remove(tx, &c.photo, c.size)?;
            db::names_file(tx, &c.sha256)
        })?;
        if !still_named {
            cache.remove(&c.sha256)?;
        }
        Ok(())
    }

    /// The use mark a fetch starts from: entries marked after it were brought by this fetch.
    pub(crate) fn review_cache_mark(&self) -> Result<i64> {
        self.read(db::last_use)
    }
}

#[cfg(test)]
mod tests;
