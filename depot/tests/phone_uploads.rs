//! A phone's upload queue against a real depot process over TLS (issue 10, ADR 0013): a photo
//! added to a draft syncs as a reference at once and its bytes follow over tus, thumbnail first;
//! a photo the depot holds already costs no bytes; a photo whose draft has not reached the depot
//! waits; and a phone killed at each step of an upload resumes from the depot's offset, sending
//! again at most the chunk that was in flight.
//!
//! The killed phone is this test binary re-run with `FUNDI_UPLOAD_PHONE` set (see
//! `upload_process`), dying at an armed crash point (`fundi_sqlite::crash_point`).

mod common;
use common::{basket, Server};
use fundi_core::photos::{PhotoLibrary, PrepareOptions, Quality};
use fundi_core::uploads::{UploadPolicy, UploadStatus};
use fundi_core::Store;
use std::path::{Path, PathBuf};

const ALL: UploadPolicy = UploadPolicy { photos: true };
const THUMBNAILS_ONLY: UploadPolicy = UploadPolicy { photos: false };

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos").join(name)
}

/// A draft of `store` with the fixture photo `name`: (draft id, photo hash, thumbnail hash).
fn draft_with_photo(store: &Store, lib: &PhotoLibrary, name: &str) -> (String, String, String) {
    let d = store.create_draft(basket()).unwrap();
    let p = store.add_draft_photo_file(lib, &d.id, &fixture(name), &PrepareOptions::default()).unwrap();
    (d.id, p.hash, p.thumb_hash)
}

/// The blob's bytes as a member of depot staff reads them: `None` when it is not there.
fn depot_blob(server: &Server, staff: &common::Dev, sha: &str) -> Option<Vec<u8>> {
    let a = server.send(Some(staff), "GET", &format!("/v1/blobs/{sha}"), &[], None);
    match a.status {
        200 => Some(a.body),
        404 => None,
        s => panic!("GET blob: {s} {:?}", a.code()),
    }
}

fn library(dir: &Path, name: &str) -> PhotoLibrary {
    PhotoLibrary::open(dir.join(format!("{name}-photos"))).unwrap()
}

#[test]
fn thumbnails_go_first_then_photos_and_the_depot_holds_what_the_phone_has() {
    let server = Server::start();
    let staff = server.device("staff", "wanjiru", None);
    let (phone, _) = server.phone("artisan", "akinyi", None);
    let dir = tempfile::tempdir().unwrap();
    let lib = library(dir.path(), "akinyi");
    let (_, photo, thumb) = draft_with_photo(&phone, &lib, "camera-flower-3mp.jpg");
    let waiting = phone.upload_status().unwrap();
    assert_eq!((waiting.thumbnails, waiting.photos), (1, 1));
    let (photo_len, thumb_len) = (waiting.photo_bytes, waiting.thumbnail_bytes);
    assert!(thumb_len > 1_000 && thumb_len < 64 * 1024 && photo_len > thumb_len, "{waiting:?}");

    phone.sync_now(None).unwrap();
    // On a metered network with the data saver on: the thumbnail only.
    let r = phone.upload_photos(&lib, THUMBNAILS_ONLY).unwrap();
    assert_eq!((r.finished, r.bytes_sent, r.waiting), (1, thumb_len, 1), "{r:?}");
    assert_eq!(depot_blob(&server, &staff, &thumb).as_deref(), Some(&std::fs::read(lib.path_of(&thumb).unwrap()).unwrap()[..]));
    assert_eq!(depot_blob(&server, &staff, &photo), None, "the photo waits for Wi-Fi");
    let left = phone.upload_status().unwrap();
    assert_eq!(left, UploadStatus { thumbnails: 0, thumbnail_bytes: 0, photos: 1, photo_bytes: photo_len });

    // On Wi-Fi: the photo, and nothing sent twice.
    let r = phone.upload_photos(&lib, ALL).unwrap();
    assert_eq!((r.finished, r.bytes_sent, r.waiting), (1, photo_len, 0), "{r:?}");
    assert_eq!(depot_blob(&server, &staff, &photo).unwrap(), std::fs::read(lib.path_of(&photo).unwrap()).unwrap());
    assert_eq!(phone.upload_status().unwrap(), UploadStatus::default());
    // Overhead: headers and round trips only (one creation, one chunk or a few, per blob).
    let overhead = r.wire.bytes_sent - photo_len;
    assert!(overhead < 2_000 + 600 * u64::from(r.wire.round_trips), "{overhead} bytes over {} round trips", r.wire.round_trips);
    let again = phone.upload_photos(&lib, ALL).unwrap();
    assert_eq!((again.finished, again.wire.round_trips), (0, 0), "nothing left to send");
}

#[test]
fn a_photo_the_depot_holds_already_costs_no_bytes() {
    let server = Server::start();
    let staff = server.device("staff", "wanjiru", None);
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = server.phone("artisan", "akinyi", None);
    let (second, _) = server.phone("artisan", "baraka", None);
    let (lib1, lib2) = (library(dir.path(), "akinyi"), library(dir.path(), "baraka"));
    let (_, photo, _) = draft_with_photo(&first, &lib1, "camera-flower-3mp.jpg");
    let (_, same, _) = draft_with_photo(&second, &lib2, "camera-flower-3mp.jpg");
    assert_eq!(photo, same, "one picture, one hash");
    for s in [&first, &second] {
        s.sync_now(None).unwrap();
    }
    assert_eq!(first.upload_photos(&lib1, ALL).unwrap().finished, 2);
    let r = second.upload_photos(&lib2, ALL).unwrap();
    assert_eq!((r.finished, r.already_stored, r.bytes_sent), (2, 2, 0), "{r:?}");
    assert!(depot_blob(&server, &staff, &photo).is_some());
}

#[test]
fn a_photo_waits_until_its_draft_reached_the_depot() {
    let server = Server::start();
    let (phone, _) = server.phone("artisan", "akinyi", None);
    let dir = tempfile::tempdir().unwrap();
    let lib = library(dir.path(), "akinyi");
    draft_with_photo(&phone, &lib, "camera-flower-3mp.jpg");
    // Not synced yet: the depot knows no record that names the photo.
    let r = phone.upload_photos(&lib, ALL).unwrap();
    assert_eq!((r.finished, r.waiting, r.bytes_sent), (0, 2, 0), "{r:?}");
    assert_eq!(phone.upload_status().unwrap().photos, 1);
    phone.sync_now(None).unwrap();
    let r = phone.upload_photos(&lib, ALL).unwrap();
    assert_eq!((r.finished, r.waiting), (2, 0), "{r:?}");
}

/// Another artisan cannot pass off an upload as the thumbnail of someone else's photo.
#[test]
fn a_thumbnail_is_taken_only_from_who_may_upload_its_photo() {
    let server = Server::start();
    let (owner, _) = server.phone("artisan", "akinyi", None);
    let dir = tempfile::tempdir().unwrap();
    let lib = library(dir.path(), "akinyi");
    let (_, photo, _) = draft_with_photo(&owner, &lib, "camera-flower-3mp.jpg");
    owner.sync_now(None).unwrap();
    let other = server.device("artisan", "baraka", None);
    let fake = common::photo(7, 5_000);
    let metadata = fundi_sync::uploads::thumbnail_metadata_for(&common::sha(&fake), &photo);
    let headers = [
        ("tus-resumable", "1.0.0".to_string()),
        ("upload-length", fake.len().to_string()),
        ("upload-metadata", metadata.clone()),
    ];
    let a = server.send(Some(&other), "POST", "/v1/uploads", &headers, None);
    assert_eq!(a.refusal(), (404, "not_found".to_string()), "someone else's photo does not exist for her");
    // Nor may a thumbnail be large (bounds are checked first, whoever asks).
    let big =
        [("tus-resumable", "1.0.0".to_string()), ("upload-length", (64 * 1024 + 1).to_string()), ("upload-metadata", metadata)];
    assert_eq!(server.send(Some(&other), "POST", "/v1/uploads", &big, None).refusal(), (413, "too_large".to_string()));
}

/// In the child process: upload what waits, dying at the armed crash point.
#[test]
fn upload_process() {
    common::upload_child_main();
}

fn upload_in_child(db: &Path, photos: &Path, point: &str, after: u32) -> std::process::ExitStatus {
    common::upload_child("upload_process", db, photos)
        .env(fundi_sqlite::crash_point::ENV_AT, point)
        .env(fundi_sqlite::crash_point::ENV_AFTER, after.to_string())
        .status()
        .unwrap()
}

/// (bytes the phone saved as confirmed, bytes the depot holds) of the photo's upload.
fn offsets(db: &Path, server: &Server, sha: &str) -> (u64, u64) {
    let phone = rusqlite::Connection::open(db).unwrap();
    let saved: i64 = phone.query_row("SELECT confirmed FROM uploads WHERE sha256 = ?1", [sha], |r| r.get(0)).unwrap();
    let held: i64 =
        server.db().query_row("SELECT COALESCE(MAX(received), 0) FROM uploads WHERE sha256 = ?1", [sha], |r| r.get(0)).unwrap();
    (saved as u64, held as u64)
}

/// The phone is killed once at each step of the upload of a thumbnail and a photo of three
/// chunks or more (after an upload was created but before its place was saved; after each chunk
/// the depot stored, before the phone saved its offset). Each time a new run finishes the job,
/// sending only what the depot lacked, and the depot holds the right bytes.
#[test]
fn a_phone_killed_at_each_step_of_an_upload_resumes_from_the_depots_offset() {
    let server = Server::start();
    let staff = server.device("staff", "wanjiru", None);
    let dir = tempfile::tempdir().unwrap();
    // Creations: the thumbnail's (1), the photo's (2). Stored chunks: the thumbnail's (1), then
    // the photo's (2, 3, ...); the photo is big enough for at least three (64 KiB, then larger).
    let cases = [
        ("upload.created", 1),
        ("upload.created", 2),
        ("upload.chunk_stored", 1),
        ("upload.chunk_stored", 2),
        ("upload.chunk_stored", 3),
    ];
    let sources = ["camera-flower-3mp.jpg", "camera-portrait-orientation6.jpg", "camera-12mp-baseline.jpg"];
    for (n, (point, after)) in cases.into_iter().enumerate() {
        let name = format!("artisan{n}");
        let db = dir.path().join(format!("{name}.db"));
        let (_, code) = server.account("artisan", &name, None);
        let phone = Store::open(&db).unwrap();
        phone.enroll_device(&server.url, &code).unwrap();
        let lib = library(dir.path(), &name);
        // Each case its own picture (a new one each time: the depot must not hold it yet).
        let upload_quality = Quality::Fixed(92.0 + n as f32);
        let opts = PrepareOptions { max_edge: 1500 + 20 * n as u32, upload_quality, ..PrepareOptions::default() };
        let d = phone.create_draft(basket()).unwrap();
        let p = phone.add_draft_photo_file(&lib, &d.id, &fixture(sources[n % sources.len()]), &opts).unwrap();
        phone.sync_now(None).unwrap();
        let length = p.bytes;
        assert!(length > 3 * 64 * 1024, "{length} bytes: too small for three chunks");
        drop(phone);

        let status = upload_in_child(&db, lib.dir(), point, after);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "{point} #{after}: the phone was not killed at its crash point ({status})");
        let (saved, held) = offsets(&db, &server, &p.hash);
        let (_, thumb_held) = offsets(&db, &server, &p.thumb_hash);
        let phone = Store::open(&db).unwrap();
        let r = phone.upload_photos(&lib, ALL).unwrap();
        assert_eq!(r.waiting, 0, "{point} #{after}: {r:?}");
        // Only what the depot lacked was sent again: never from zero after a stored chunk, and
        // the one chunk in flight at most (the depot stored it; the phone had not saved that).
        let lacked = (length - held) + (p.thumb_bytes - thumb_held);
        assert_eq!(
            r.bytes_sent, lacked,
            "{point} #{after}: photo saved {saved}, held {held}; thumbnail held {thumb_held}; {r:?}"
        );
        // And on the wire nothing more than that and the requests' headers (no chunk sent in vain).
        let overhead = r.wire.bytes_sent - lacked;
        assert!(
            overhead < 600 * u64::from(r.wire.round_trips),
            "{point} #{after}: {overhead} bytes beyond the lacking ones, {r:?}"
        );
        assert!(held - saved <= 1024 * 1024, "{point} #{after}: more than a chunk between the phone and the depot");
        assert_eq!(depot_blob(&server, &staff, &p.hash).unwrap(), std::fs::read(lib.path_of(&p.hash).unwrap()).unwrap());
        assert_eq!(
            depot_blob(&server, &staff, &p.thumb_hash).unwrap(),
            std::fs::read(lib.path_of(&p.thumb_hash).unwrap()).unwrap()
        );
    }
}
