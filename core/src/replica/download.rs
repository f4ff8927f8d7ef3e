//! Fetching the review cache (`crate::review_cache`, ADR 0015): the thumbnails of every photo
//! of the drafts this phone reviews (drafts waiting for review first), then, when the policy
//! allows, the photos themselves of the drafts waiting for review. A thumbnail is asked for by its photo's hash
//! (`GET /v1/blobs/{photo}/thumbnail`, named by its own hash in the ETag), a photo by its own
//! (`GET /v1/blobs/{photo}`); each body is kept only if it hashes to its name. A photo whose
//! files have not reached the depot yet is "on the way" and tried again on the next fetch.
//!
//! Before fetching, entries for photos no reviewed draft names any more are dropped, so what a
//! mentor no longer may see (a mentee moved to another mentor, a deleted draft) leaves the phone.

use super::client::{BytesAnswer, Transport};
use super::estimate::Traffic;
use crate::account::SyncError;
use crate::error::Result;
use crate::photos::PhotoLibrary;
use crate::review_cache::db::Cached;
use crate::review_cache::{DownloadPolicy, DownloadReport, Size};
use crate::Store;
use fundi_sync::hash::sha256_hex;
use fundi_sync::limits::{BLOB_MAX_BYTES, THUMBNAIL_MAX_BYTES};
use std::collections::BTreeSet;

/// How one file's fetch ended.
enum Fetched {
    Kept(u64),
    NotThere,
    Damaged,
    NoRoom,
}

/// The hash an answer names its body by: a thumbnail's strong ETag, a photo's own name.
fn etag_hash(a: &BytesAnswer) -> Option<&str> {
    let tag = a.headers.get("etag")?.to_str().ok()?;
    tag.strip_prefix('"')?.strip_suffix('"').filter(|h| fundi_sync::hash::is_content_hash(h))
}

/// Where the depot serves a photo's file of `size`: a thumbnail is asked for by its photo's hash.
fn file_path(photo: &str, size: Size) -> String {
    match size {
        Size::Thumbnail => format!("/v1/blobs/{photo}/thumbnail"),
        Size::Photo => format!("/v1/blobs/{photo}"),
    }
}

impl Store {
    /// Fetch what the review cache lacks of the drafts this phone reviews, as `policy` allows,
    /// into `cache` (a directory of its own). Run after a sync (which brings the drafts).
    pub fn fetch_review_photos(&self, cache: &PhotoLibrary, policy: DownloadPolicy) -> Result<DownloadReport> {
        let photos = self.reviewed_photo_hashes()?;
        self.prune_review_cache(cache, &photos.iter().map(|(p, _)| p.clone()).collect::<BTreeSet<_>>())?;
        let (wanted, held_back) = self.review_files_wanted(cache, &photos, policy)?;
        let mut report = DownloadReport { held_back, ..Default::default() };
        if wanted.is_empty() {
            return Ok(report);
        }
        let s = self.session()?;
        let mut t = Self::transport(&s)?;
        let began = self.review_cache_mark()?;
        let mut on_the_way = BTreeSet::new();
        let mut result = Ok(());
        for (photo, size) in wanted {
            if on_the_way.contains(&photo) {
                continue;
            }
            match self.fetch_one(&mut t, &s.token, cache, &photo, size, policy.max_cache_bytes, began) {
                Ok(Fetched::Kept(bytes)) => {
                    report.bytes += bytes;
                    *match size {
                        Size::Thumbnail => &mut report.thumbnails,
                        Size::Photo => &mut report.photos,
                    } += 1;
                }
                Ok(Fetched::NotThere) => {
                    on_the_way.insert(photo);
                }
                Ok(Fetched::Damaged) => report.damaged += 1,
                Ok(Fetched::NoRoom) => report.no_room += 1,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        report.on_the_way = on_the_way.len() as u32;
        report.wire = t.stats;
        result.map(|_| report)
    }

    /// What [`Self::fetch_review_photos`] would bring now under `policy`, without fetching: the
    /// files the cache lacks, each sized by the depot (a one-byte range), as `Traffic` coming
    /// down, and the requests' bytes going up. Files not at the depot yet ("on the way") are
    /// left out, as the fetch would leave them.
    pub fn estimate_review_photos(&self, cache: &PhotoLibrary, policy: DownloadPolicy) -> Result<(Traffic, u64)> {
        let photos = self.reviewed_photo_hashes()?;
        let (wanted, _) = self.review_files_wanted(cache, &photos, policy)?;
        let (mut incoming, mut requests) = (Traffic::default(), 0);
        if wanted.is_empty() {
            return Ok((incoming, requests));
        }
        let s = self.session()?;
        let mut t = Self::transport(&s)?;
        let mut on_the_way = BTreeSet::new();
        for (photo, size) in wanted {
            if on_the_way.contains(&photo) {
                continue;
            }
            match t.probe_bytes(&file_path(&photo, size), &s.token)? {
                Some(cost) => {
                    incoming.items += 1;
                    incoming.bytes += cost.answer_bytes;
                    requests += cost.request_bytes;
                }
                None => {
                    on_the_way.insert(photo);
                }
            }
        }
        Ok((incoming, requests))
    }

    /// The files the cache lacks of `photos` (each with whether its draft waits for review), in
    /// the order to fetch them (every thumbnail, then the photos of drafts waiting for review),
    /// and how many photos `policy` holds back.
    fn review_files_wanted(
        &self,
        cache: &PhotoLibrary,
        photos: &[(String, bool)],
        policy: DownloadPolicy,
    ) -> Result<(Vec<(String, Size)>, u32)> {
        let (mut wanted, mut held_back) = (vec![], 0);
        for size in [Size::Thumbnail, Size::Photo] {
            for (photo, waiting) in photos {
                // A decided draft needs its thumbnails only.
                if (size == Size::Photo && !waiting) || self.is_cached(cache, photo, size)? {
                    continue;
                }
                if size == Size::Photo && !policy.photos {
                    held_back += 1;
                } else {
                    wanted.push((photo.clone(), size));
                }
            }
        }
        Ok((wanted, held_back))
    }

    #[allow(clippy::too_many_arguments)]
    fn fetch_one(
        &self,
        t: &mut Transport,
        token: &str,
        cache: &PhotoLibrary,
        photo: &str,
        size: Size,
        max_cache_bytes: u64,
        began: i64,
    ) -> Result<Fetched> {
        let max = match size {
            Size::Thumbnail => THUMBNAIL_MAX_BYTES,
            Size::Photo => BLOB_MAX_BYTES,
        };
        let a = t.get_bytes(&file_path(photo, size), token, max)?;
        match a.status {
            200 => {}
            // Not uploaded yet (or not readable by this account any more: its draft leaves the
            // phone at the next sync).
            404 => return Ok(Fetched::NotThere),
            status => {
                let code =
                    serde_json::from_slice::<fundi_sync::ApiErrorBody>(&a.body).map_or_else(|_| "unknown".into(), |e| e.error);
                return Err(SyncError::Server { status, code, detail: "review photo".into() }.into());
            }
        }
        let name = match size {
            Size::Thumbnail => etag_hash(&a).map(str::to_string),
            Size::Photo => Some(photo.to_string()),
        };
        let sha256 = sha256_hex(&a.body);
        if name.as_deref() != Some(sha256.as_str()) || a.body.len() as u64 > max {
            return Ok(Fetched::Damaged);
        }
        let entry = Cached { photo: photo.to_string(), size, sha256, bytes: a.body.len() as u64 };
        Ok(if self.keep_in_review_cache(cache, entry, &a.body, max_cache_bytes, began)? {
            Fetched::Kept(a.body.len() as u64)
        } else {
            Fetched::NoRoom
        })
    }
}
