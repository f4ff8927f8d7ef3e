//! The review cache's bound and eviction order over a real SQLite file and a real directory.

use super::db::Cached;
use super::{ReviewCacheStatus, Size};
use crate::photos::PhotoLibrary;
use crate::Store;
use std::collections::BTreeSet;

struct Fixture {
    store: Store,
    cache: PhotoLibrary,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("phone.db")).unwrap();
    let cache = PhotoLibrary::open(dir.path().join("cache")).unwrap();
    Fixture { store, cache, _dir: dir }
}

/// A file of `len` bytes for `photo`'s `size` (its bytes differ by photo and size).
fn file(photo: &str, size: Size, len: usize) -> (Cached, Vec<u8>) {
    let bytes: Vec<u8> = format!("{photo}{size:?}").bytes().cycle().take(len).collect();
    let sha256 = fundi_sync::hash::sha256_hex(&bytes);
    (Cached { photo: photo.into(), size, sha256, bytes: len as u64 }, bytes)
}

fn photo(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

impl Fixture {
    fn keep(&self, n: u8, size: Size, len: usize, max: u64, began: i64) -> bool {
        let (c, bytes) = file(&photo(n), size, len);
        self.store.keep_in_review_cache(&self.cache, c, &bytes, max, began).unwrap()
    }

    fn has(&self, n: u8, size: Size) -> bool {
        self.store.is_cached(&self.cache, &photo(n), size).unwrap()
    }

    fn show(&self, n: u8, size: Size) {
        assert!(self.store.cached_file(&self.cache, &photo(n), size).unwrap().is_some());
    }
}

#[test]
fn when_full_photos_go_before_thumbnails_least_recently_shown_first() {
    let f = fixture();
    let max = 3_000;
    let began = f.store.review_cache_mark().unwrap();
    for n in 1..=3 {
        assert!(f.keep(n, Size::Thumbnail, 200, max, began));
    }
    assert!(f.keep(1, Size::Photo, 1_000, max, began));
    assert!(f.keep(2, Size::Photo, 1_000, max, began));
    // Full (2,600 of 3,000): a third photo finds no room without evicting what this same
    // fetch brought.
    assert!(!f.keep(3, Size::Photo, 1_000, max, began));
    assert!(!f.has(3, Size::Photo));

    // Photo 1 is shown after photo 2: at the next fetch photo 2 is the one to go, and no
    // thumbnail goes while a photo can.
    f.show(2, Size::Photo);
    f.show(1, Size::Photo);
    let began = f.store.review_cache_mark().unwrap();
    assert!(f.keep(3, Size::Photo, 1_000, max, began));
    assert!(f.has(1, Size::Photo) && !f.has(2, Size::Photo) && f.has(3, Size::Photo));
    assert!((1..=3).all(|n| f.has(n, Size::Thumbnail)));
    assert_eq!(f.store.review_cache_status().unwrap(), ReviewCacheStatus { files: 5, bytes: 2_600 });

    // A file larger than the whole cache is never kept, and evicts nothing for nothing.
    let began = f.store.review_cache_mark().unwrap();
    assert!(!f.keep(4, Size::Photo, 4_000, max, began));
    assert_eq!(f.store.review_cache_status().unwrap().files, 5);
}

#[test]
fn a_thumbnail_two_photos_share_stays_until_neither_names_it() {
    let f = fixture();
    let (mut a, bytes) = file(&photo(1), Size::Thumbnail, 300);
    let began = f.store.review_cache_mark().unwrap();
    assert!(f.store.keep_in_review_cache(&f.cache, a.clone(), &bytes, 10_000, began).unwrap());
    a.photo = photo(2);
    assert!(f.store.keep_in_review_cache(&f.cache, a.clone(), &bytes, 10_000, began).unwrap());
    f.store.prune_review_cache(&f.cache, &BTreeSet::from([photo(2)])).unwrap();
    assert!(f.has(2, Size::Thumbnail), "photo 2's thumbnail is the same file: it stays");
    f.store.prune_review_cache(&f.cache, &BTreeSet::new()).unwrap();
    assert!(!f.cache.contains(&a.sha256), "gone once no photo names it");
}

#[test]
fn files_without_a_row_are_swept_and_rows_without_a_file_are_not_cached() {
    let f = fixture();
    let began = f.store.review_cache_mark().unwrap();
    assert!(f.keep(1, Size::Thumbnail, 100, 10_000, began));
    // A kill between a file and its row leaves a file no row names.
    let (stray, bytes) = file(&photo(9), Size::Photo, 500);
    f.cache.put(&stray.sha256, &bytes).unwrap();
    f.store.prune_review_cache(&f.cache, &BTreeSet::from([photo(1)])).unwrap();
    assert!(!f.cache.contains(&stray.sha256));
    assert!(f.has(1, Size::Thumbnail));
    // The system empties the cache directory: the row no longer counts, and goes when read.
    let path = f.store.cached_file(&f.cache, &photo(1), Size::Thumbnail).unwrap().unwrap();
    std::fs::remove_file(path).unwrap();
    assert!(!f.has(1, Size::Thumbnail));
    assert_eq!(f.store.cached_file(&f.cache, &photo(1), Size::Thumbnail).unwrap(), None);
    assert_eq!(f.store.review_cache_status().unwrap(), ReviewCacheStatus::default());
}
