//! One SQLite connection per phone database: `FundiPhone` opens the file once, and every
//! service it hands out works over that connection. Connections are counted as this process's
//! open file descriptors on the database file (`/proc/self/fd`; the `-wal` and `-shm` files
//! are other paths), so a service that opened its own connection would show up here.

#![cfg(target_os = "linux")]

use fundi_core::drafts::{Category, NewDraft};
use fundi_core::Store;
use fundi_ffi::{FundiError, FundiPhone, PhotoLibrary};
use std::fs;
use std::path::Path;

/// How many descriptors of this process are open on the file at `db`.
fn connections_to(db: &Path) -> usize {
    let db = fs::canonicalize(db).unwrap();
    fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| *target == db)
        .count()
}

fn basket() -> NewDraft {
    NewDraft {
        title: "Kiondo".into(),
        description: "Sisal".into(),
        materials: vec!["sisal".into()],
        category: Category::Baskets,
        price_minor: 250_000,
        weekly_capacity: 4,
    }
}

#[test]
fn the_count_sees_each_connection() {
    // The control: two stores opened on one file are two connections, and the count says so
    // (the mistake this file guards against: each FFI object opening its own).
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("phone.db");
    let first = Store::open(&db).unwrap();
    assert_eq!(connections_to(&db), 1);
    let second = Store::open(&db).unwrap();
    assert_eq!(connections_to(&db), 2);
    drop((first, second));
    assert_eq!(connections_to(&db), 0);
}

#[test]
fn a_phone_and_all_its_services_share_one_connection() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("phone.db");
    let phone = FundiPhone::open(db.to_string_lossy().into_owned()).unwrap();
    assert_eq!(connections_to(&db), 1);

    let library = PhotoLibrary::open(dir.path().join("photos").to_string_lossy().into_owned()).unwrap();
    let drafts = phone.drafts();
    let photos = phone.photos(library);
    let sync = phone.sync();
    // Each service used, so one that opened its file lazily would be counted too.
    let draft = drafts.create_draft(basket()).unwrap();
    assert!(photos.draft_photos(draft.id.clone()).unwrap().is_empty());
    photos.collect_photo_garbage().unwrap();
    assert_eq!(sync.pending_count().unwrap(), 1, "the sync service sees the drafts service's write");
    assert!(!sync.sync_status().unwrap().enrolled);
    // Taking a service twice opens nothing either.
    assert_eq!(phone.drafts().list_drafts().unwrap().len(), 1);
    assert_eq!(connections_to(&db), 1);

    // Shared, not copied: closing the phone's database closes it for every service.
    phone.close_database().unwrap();
    assert_eq!(connections_to(&db), 0);
    assert!(matches!(drafts.list_drafts(), Err(FundiError::Closed)));
    assert!(matches!(photos.draft_photos(draft.id), Err(FundiError::Closed)));
    assert!(matches!(sync.pending_count(), Err(FundiError::Closed)));
}
