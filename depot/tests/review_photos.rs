//! A reviewer's photos, on real phones against a real depot process over TLS (issue 10 item 4,
//! ADR 0015): the whole path of a photo from the artisan's camera to the mentor's approval, the
//! mentor's review cache (thumbnails on any network, photos on Wi-Fi, bounded, least recently
//! shown evicted first), and what leaves the cache when a draft leaves the mentor's scope.

mod common;
use common::{basket, Server};
use fundi_core::outbox::ItemState;
use fundi_core::photos::{PhotoLibrary, PrepareOptions};
use fundi_core::replica::Traffic;
use fundi_core::review_cache::{DownloadPolicy, DownloadReport, ReviewCacheStatus};
use fundi_core::uploads::UploadPolicy;
use fundi_core::Store;
use fundi_sync::{DraftCommand, DraftStatus};
use std::path::{Path, PathBuf};

const WIFI: UploadPolicy = UploadPolicy { photos: true };
const METERED: UploadPolicy = UploadPolicy { photos: false };

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos").join(name)
}

/// A submitted draft of `artisan` with the fixture photos `names`: (draft id, photo hashes).
fn submitted_draft(artisan: &Store, lib: &PhotoLibrary, names: &[&str]) -> (String, Vec<String>) {
    let d = artisan.create_draft(basket()).unwrap();
    let photos = names
        .iter()
        .map(|n| artisan.add_draft_photo_file(lib, &d.id, &fixture(n), &PrepareOptions::default()).unwrap().hash)
        .collect();
    artisan.submit_draft(&d.id).unwrap();
    (d.id, photos)
}

/// A mentor and one mentee, each with a phone; the mentee's photo library and the mentor's cache.
struct Pair {
    server: Server,
    mentor: Store,
    artisan: Store,
    artisan_id: String,
    photos: PhotoLibrary,
    cache: PhotoLibrary,
    _dir: tempfile::TempDir,
}

fn pair() -> Pair {
    let server = Server::start();
    let (mentor, mentor_id) = server.phone("mentor", "neema", None);
    let (artisan, artisan_id) = server.phone("artisan", "akinyi", Some(&mentor_id));
    let dir = tempfile::tempdir().unwrap();
    let photos = PhotoLibrary::open(dir.path().join("akinyi-photos")).unwrap();
    let cache = PhotoLibrary::open(dir.path().join("neema-review-cache")).unwrap();
    Pair { server, mentor, artisan, artisan_id, photos, cache, _dir: dir }
}

fn bytes(path: &Option<PathBuf>) -> Option<Vec<u8>> {
    path.as_ref().map(|p| std::fs::read(p).unwrap())
}

/// The mentor's estimate of the review photos on this network: what comes down, and the
/// requests' bytes going up (the estimate's total beyond the sync's own).
fn review_estimate(p: &Pair, unmetered: bool) -> (Traffic, u64) {
    let with = p.mentor.sync_estimate_for_reviewer(unmetered, true, &p.cache).unwrap();
    let without = p.mentor.sync_estimate(unmetered, false).unwrap();
    let incoming = with.review_photos_in.expect("the depot was asked");
    assert_eq!(with.bytes_in - incoming.bytes, without.bytes_in + with.records_in.map_or(0, |r| r.bytes));
    (incoming, with.bytes_out - without.bytes_out)
}

/// The estimate against what the fetch then did: the files, the bytes received (within 1%:
/// an answer's head may differ by a header's digits), the requests' bytes exactly.
fn estimate_was_right((incoming, requests): (Traffic, u64), r: &DownloadReport, files: u32) {
    assert_eq!((incoming.items, r.thumbnails + r.photos), (files, files), "{incoming:?} {r:?}");
    let received = r.wire.bytes_received;
    assert!(incoming.bytes.abs_diff(received) * 100 <= received, "estimated {} bytes in, received {received}", incoming.bytes);
    assert_eq!(requests, r.wire.bytes_sent, "{r:?}");
}

#[test]
fn a_camera_photo_reaches_the_mentor_and_the_draft_is_approved() {
    let p = pair();
    // The artisan takes a 12 MP camera photo; the phone prepares it and queues its upload.
    let (draft, photos) = submitted_draft(&p.artisan, &p.photos, &["camera-12mp-baseline.jpg"]);
    let photo = &photos[0];
    let mine = &p.artisan.draft_photos(&p.photos, &draft).unwrap()[0];
    p.artisan.sync_now(None).unwrap();

    // Before the bytes arrive the mentor sees the draft, its photo "on the way".
    p.mentor.sync_now(None).unwrap();
    assert_eq!(p.mentor.list_review_drafts().unwrap()[0].id, draft);
    let e = p.mentor.sync_estimate_for_reviewer(false, true, &p.cache).unwrap();
    assert_eq!(e.review_photos_in, Some(Traffic::default()), "nothing there yet: {e:?}");
    assert_eq!(p.mentor.sync_estimate_for_reviewer(false, false, &p.cache).unwrap().review_photos_in, None, "not asked");
    let r = p.mentor.fetch_review_photos(&p.cache, DownloadPolicy::new(false)).unwrap();
    assert_eq!((r.thumbnails, r.on_the_way), (0, 1), "{r:?}");
    assert_eq!(p.mentor.review_photos(&p.cache, &draft).unwrap()[0].thumbnail, None);

    // The artisan's phone on mobile data: the thumbnail goes, the photo waits for Wi-Fi.
    p.artisan.upload_photos(&p.photos, METERED).unwrap();
    let e = review_estimate(&p, false);
    let r = p.mentor.fetch_review_photos(&p.cache, DownloadPolicy::new(false)).unwrap();
    estimate_was_right(e, &r, 1);
    assert_eq!((r.thumbnails, r.photos, r.held_back, r.bytes), (1, 0, 1, mine.thumb_bytes), "{r:?}");
    let shown = &p.mentor.review_photos(&p.cache, &draft).unwrap()[0];
    assert_eq!(&shown.photo, photo);
    assert_eq!(bytes(&shown.thumbnail), Some(std::fs::read(&mine.thumb_path).unwrap()), "the artisan's thumbnail");
    assert_eq!(shown.full, None, "photos wait for Wi-Fi on the mentor's phone too");

    // Approving before the photo reached the depot is refused there (photos_pending).
    p.mentor.review_draft(&draft, DraftCommand::Approve, None).unwrap();
    let refused = p.mentor.sync_now(None).unwrap();
    assert_eq!(refused.refused, 1, "{refused:?}");
    let wedged = p.mentor.outbox_items().unwrap();
    assert_eq!(wedged.len(), 1);
    let ItemState::Wedged { reason } = &wedged[0].state else { panic!("{wedged:?}") };
    assert!(reason.contains("photos_pending"), "{reason}");
    p.mentor.discard_outbox_item(wedged[0].counter).unwrap();

    // The artisan reaches the depot's Wi-Fi: the photo goes; the mentor on Wi-Fi fetches it.
    p.artisan.upload_photos(&p.photos, WIFI).unwrap();
    let e = review_estimate(&p, true);
    let r = p.mentor.fetch_review_photos(&p.cache, DownloadPolicy::new(true)).unwrap();
    estimate_was_right(e, &r, 1);
    assert_eq!((r.thumbnails, r.photos, r.bytes), (0, 1, mine.bytes), "only what the cache lacked: {r:?}");
    let shown = &p.mentor.review_photos(&p.cache, &draft).unwrap()[0];
    assert_eq!(bytes(&shown.full), Some(std::fs::read(&mine.path).unwrap()), "the artisan's photo, byte for byte");
    let again = p.mentor.fetch_review_photos(&p.cache, DownloadPolicy::new(true)).unwrap();
    assert_eq!(again.wire.round_trips, 0, "nothing left to fetch: {again:?}");

    // Approved, and the artisan sees it.
    p.mentor.review_draft(&draft, DraftCommand::Approve, Some("Picha nzuri".into())).unwrap();
    assert_eq!(p.mentor.sync_now(None).unwrap().refused, 0);
    p.artisan.sync_now(None).unwrap();
    assert_eq!(p.artisan.get_draft(&draft).unwrap().status, DraftStatus::Approved);
    // A decided draft keeps its thumbnail on the mentor's phone and needs no photo fetched.
    p.mentor.sync_now(None).unwrap();
    let r = p.mentor.fetch_review_photos(&p.cache, DownloadPolicy::new(true)).unwrap();
    assert_eq!((r.thumbnails, r.photos, r.held_back), (0, 0, 0), "{r:?}");
}

#[test]
fn the_cache_is_bounded_and_the_least_recently_shown_go_first() {
    let p = pair();
    let names = ["camera-flower-3mp.jpg", "camera-portrait-orientation6.jpg", "camera-12mp-baseline.jpg"];
    let drafts: Vec<(String, Vec<String>)> = names.iter().map(|n| submitted_draft(&p.artisan, &p.photos, &[n])).collect();
    p.artisan.sync_now(None).unwrap();
    p.artisan.upload_photos(&p.photos, WIFI).unwrap();
    p.mentor.sync_now(None).unwrap();

    // Room for the three thumbnails and one photo, not two.
    let sizes: Vec<(u64, u64)> = drafts
        .iter()
        .map(|(d, _)| {
            let ph = &p.artisan.draft_photos(&p.photos, d).unwrap()[0];
            (ph.thumb_bytes, ph.bytes)
        })
        .collect();
    let thumbs: u64 = sizes.iter().map(|s| s.0).sum();
    let biggest = sizes.iter().map(|s| s.1).max().unwrap();
    let smallest = sizes.iter().map(|s| s.1).min().unwrap();
    let max = thumbs + biggest + smallest - 1;
    let policy = DownloadPolicy { photos: true, max_cache_bytes: max };

    let r = p.mentor.fetch_review_photos(&p.cache, policy).unwrap();
    assert_eq!(r.thumbnails, 3, "{r:?}");
    assert!(r.photos >= 1 && r.no_room >= 1, "the bound held photos out: {r:?}");
    let held = p.mentor.review_cache_status().unwrap();
    assert!(held.bytes <= max, "{held:?} over {max}");
    assert_eq!(held.files, 3 + r.photos);
    assert_eq!(cache_bytes(&p.cache), held.bytes, "the files on disk are what the cache counts");

    // The mentor looks at a draft whose photo did not fit. The next fetch makes room for it by
    // evicting what was shown longest ago, never what this fetch brought.
    let missing = drafts.iter().find(|(d, _)| p.mentor.review_photos(&p.cache, d).unwrap()[0].full.is_none()).unwrap();
    for (d, _) in &drafts {
        p.mentor.review_photos(&p.cache, d).unwrap();
    }
    p.mentor.review_photos(&p.cache, &missing.0).unwrap();
    let r = p.mentor.fetch_review_photos(&p.cache, policy).unwrap();
    assert!(r.photos >= 1, "{r:?}");
    assert!(p.mentor.review_cache_status().unwrap().bytes <= max);
    assert_eq!(cache_bytes(&p.cache), p.mentor.review_cache_status().unwrap().bytes);
    for (d, _) in &drafts {
        assert!(p.mentor.review_photos(&p.cache, d).unwrap()[0].thumbnail.is_some(), "thumbnails are all kept");
    }

    // The system empties the app's cache directory: the phone notices and fetches again.
    for entry in std::fs::read_dir(p.cache.dir()).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    assert!(p.mentor.review_photos(&p.cache, &drafts[0].0).unwrap()[0].thumbnail.is_none());
    let r = p.mentor.fetch_review_photos(&p.cache, DownloadPolicy::new(false)).unwrap();
    assert_eq!(r.thumbnails, 3, "{r:?}");
    p.mentor.clear_review_cache(&p.cache).unwrap();
    assert_eq!(p.mentor.review_cache_status().unwrap(), ReviewCacheStatus::default());
    assert_eq!(cache_bytes(&p.cache), 0);
}

fn cache_bytes(cache: &PhotoLibrary) -> u64 {
    std::fs::read_dir(cache.dir()).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum()
}

#[test]
fn photos_of_a_mentee_who_moved_to_another_mentor_leave_the_phone() {
    let p = pair();
    let (draft, _) = submitted_draft(&p.artisan, &p.photos, &["camera-flower-3mp.jpg"]);
    p.artisan.sync_now(None).unwrap();
    p.artisan.upload_photos(&p.photos, WIFI).unwrap();
    p.mentor.sync_now(None).unwrap();
    let r = p.mentor.fetch_review_photos(&p.cache, DownloadPolicy::new(true)).unwrap();
    assert_eq!((r.thumbnails, r.photos), (1, 1), "{r:?}");

    let (other_mentor, _) = p.server.account("mentor", "baraka", None);
    p.server.cli(&["set-mentor", &p.artisan_id, "--mentor", &other_mentor]);
    p.mentor.sync_now(None).unwrap();
    assert!(p.mentor.reviewed_draft(&draft).is_err(), "the draft left the mentor's phone");
    p.mentor.fetch_review_photos(&p.cache, DownloadPolicy::new(true)).unwrap();
    assert_eq!(p.mentor.review_cache_status().unwrap(), ReviewCacheStatus::default());
    assert_eq!(cache_bytes(&p.cache), 0, "no file of hers is left on his phone");
}
