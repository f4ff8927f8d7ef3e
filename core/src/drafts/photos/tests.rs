//! Draft photos: attach, order, primary, remove, sweep; rows and files stay in step.

use super::*;
use crate::drafts::{Category, NewDraft};
use crate::photos::{encode_rgb, prepare_bytes, PhotoError, RgbImage};

fn draft(store: &Store) -> String {
    store
        .create_draft(NewDraft {
            title: "Kiondo".into(),
            description: "Sisal basket".into(),
            materials: vec!["sisal".into()],
            category: Category::Baskets,
            price_minor: 150_000,
            weekly_capacity: 3,
        })
        .unwrap()
        .id
}

/// A distinct small photo per `seed`.
fn photo(seed: u8) -> PreparedPhoto {
    let (w, h) = (640u32, 480u32);
    let data = (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w, i / w);
            let v = if ((x / 8) + (y / 8)) % 2 == 0 { 40 } else { 200 };
            [v, seed.wrapping_mul(37), (x as u8).wrapping_add(seed)]
        })
        .collect();
    let jpeg = encode_rgb(&RgbImage { width: w, height: h, data }, 92.0).unwrap();
    prepare_bytes(&jpeg, &PrepareOptions::default()).unwrap()
}

fn files_in(lib: &PhotoLibrary) -> usize {
    let mut h = lib.hashes().unwrap();
    h.sort();
    h.len()
}

fn photos_stamp(store: &Store, id: &str) -> Option<String> {
    store
        .read(|c| {
            Ok(c.query_row(
                "SELECT hlc FROM field_versions WHERE record_kind='draft' AND record_id=?1 AND field='photos'",
                [id],
                |r| r.get(0),
            )
            .optional()?)
        })
        .unwrap()
}

#[test]
fn attach_order_primary_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let lib = PhotoLibrary::open(dir.path()).unwrap();
    let store = Store::open_in_memory().unwrap();
    let id = draft(&store);
    let (a, b, c) = (photo(1), photo(2), photo(3));
    let pa = store.add_draft_photo(&lib, &id, &a).unwrap();
    assert!(pa.primary && pa.position == 0);
    assert_eq!(std::fs::read(&pa.path).unwrap(), a.upload.bytes);
    assert_eq!(std::fs::read(&pa.thumb_path).unwrap(), a.thumbnail.bytes);
    let first_stamp = photos_stamp(&store, &id).expect("the photos field is stamped");
    store.add_draft_photo(&lib, &id, &b).unwrap();
    store.add_draft_photo(&lib, &id, &c).unwrap();
    // Adding the same picture again changes nothing.
    store.add_draft_photo(&lib, &id, &a).unwrap();
    let order = |v: Vec<DraftPhoto>| v.into_iter().map(|p| p.hash).collect::<Vec<_>>();
    let (ha, hb, hc) = (a.upload.sha256.clone(), b.upload.sha256.clone(), c.upload.sha256.clone());
    assert_eq!(order(store.draft_photos(&lib, &id).unwrap()), vec![ha.clone(), hb.clone(), hc.clone()]);
    assert_eq!(files_in(&lib), 6);

    let after = store.set_primary_draft_photo(&lib, &id, &hc).unwrap();
    assert!(after[0].primary && after[0].hash == hc);
    assert_eq!(order(after), vec![hc.clone(), ha.clone(), hb.clone()]);
    assert_eq!(order(store.move_draft_photo(&lib, &id, &hc, 99).unwrap()), vec![ha.clone(), hb.clone(), hc.clone()]);
    assert!(photos_stamp(&store, &id).unwrap() > first_stamp, "reordering stamps the field");

    let left = store.remove_draft_photo(&lib, &id, &ha).unwrap();
    assert_eq!(order(left), vec![hb.clone(), hc.clone()]);
    assert!(!lib.contains(&ha) && !lib.contains(&a.thumbnail.sha256), "files of an unreferenced photo are deleted");
    assert_eq!(files_in(&lib), 4);
    assert!(matches!(store.remove_draft_photo(&lib, &id, &ha), Err(Error::NotFound { .. })));
}

#[test]
fn a_photo_shared_by_two_drafts_stays_until_both_let_go() {
    let dir = tempfile::tempdir().unwrap();
    let lib = PhotoLibrary::open(dir.path()).unwrap();
    let store = Store::open_in_memory().unwrap();
    let (d1, d2) = (draft(&store), draft(&store));
    let p = photo(9);
    store.add_draft_photo(&lib, &d1, &p).unwrap();
    store.add_draft_photo(&lib, &d2, &p).unwrap();
    store.remove_draft_photo(&lib, &d1, &p.upload.sha256).unwrap();
    assert!(lib.contains(&p.upload.sha256));
    store.remove_draft_photo(&lib, &d2, &p.upload.sha256).unwrap();
    assert!(!lib.contains(&p.upload.sha256));
}

#[test]
fn garbage_collection_clears_deleted_drafts_and_orphan_files() {
    let dir = tempfile::tempdir().unwrap();
    let lib = PhotoLibrary::open(dir.path()).unwrap();
    let store = Store::open_in_memory().unwrap();
    let (keep, gone) = (draft(&store), draft(&store));
    let (pk, pg) = (photo(4), photo(5));
    store.add_draft_photo(&lib, &keep, &pk).unwrap();
    store.add_draft_photo(&lib, &gone, &pg).unwrap();
    store.delete_draft(&gone).unwrap();
    // A file written just before a kill, never committed.
    let orphan = photo(6);
    lib.put(&orphan.upload.sha256, &orphan.upload.bytes).unwrap();
    let report = store.collect_photo_garbage(&lib).unwrap();
    assert_eq!(report, PhotoGarbage { photos_removed: 1, files_removed: 3 });
    let mut left = lib.hashes().unwrap();
    left.sort();
    let mut want = vec![pk.upload.sha256.clone(), pk.thumbnail.sha256.clone()];
    want.sort();
    assert_eq!(left, want);
    assert_eq!(store.collect_photo_garbage(&lib).unwrap(), PhotoGarbage::default());
}

#[test]
fn locked_missing_and_full_drafts_refuse_photos_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lib = PhotoLibrary::open(dir.path()).unwrap();
    let store = Store::open_in_memory().unwrap();
    let id = draft(&store);
    store.submit_draft(&id).unwrap();
    let locked = NotAllowedReason::NotEditable { status: DraftStatus::Submitted };
    assert!(matches!(store.add_draft_photo(&lib, &id, &photo(1)), Err(Error::NotAllowed(r)) if r == locked));
    assert!(matches!(store.add_draft_photo(&lib, "no-such-draft", &photo(1)), Err(Error::NotFound { .. })));
    assert_eq!(files_in(&lib), 0, "nothing written for a refused add");

    let open = draft(&store);
    for i in 0..MAX_PHOTOS_PER_DRAFT as u8 {
        store.add_draft_photo(&lib, &open, &photo(10 + i)).unwrap();
    }
    let full = NotAllowedReason::DraftFull { max: MAX_PHOTOS_PER_DRAFT as u32 };
    assert!(matches!(store.add_draft_photo(&lib, &open, &photo(99)), Err(Error::NotAllowed(r)) if r == full));
    assert_eq!(store.draft_photos(&lib, &open).unwrap().len(), MAX_PHOTOS_PER_DRAFT);
}

#[test]
fn adding_a_hostile_file_is_a_typed_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lib = PhotoLibrary::open(dir.path().join("photos")).unwrap();
    let store = Store::open_in_memory().unwrap();
    let id = draft(&store);
    let bad = dir.path().join("bad.jpg");
    std::fs::write(&bad, b"\xFF\xD8\xFF\xE0 not really").unwrap();
    let err = store.add_draft_photo_file(&lib, &id, &bad, &PrepareOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Photo(PhotoError::Truncated | PhotoError::Corrupt(_))), "{err:?}");
    assert!(store.draft_photos(&lib, &id).unwrap().is_empty());
    assert_eq!(files_in(&lib), 0);
    assert!(photos_stamp(&store, &id).is_none());
}

#[test]
fn a_camera_file_is_prepared_and_attached_in_one_call() {
    let dir = tempfile::tempdir().unwrap();
    let lib = PhotoLibrary::open(dir.path()).unwrap();
    let store = Store::open_in_memory().unwrap();
    let id = draft(&store);
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos/camera-portrait-orientation6.jpg");
    let p = store.add_draft_photo_file(&lib, &id, &src, &PrepareOptions::default()).unwrap();
    assert!(p.primary);
    assert!(p.height > p.width);
    assert!(p.path.starts_with(dir.path()) && p.path.is_file());
}

#[test]
fn photo_list_changes_are_queued_for_sync_as_hash_references() {
    let dir = tempfile::tempdir().unwrap();
    let lib = PhotoLibrary::open(dir.path()).unwrap();
    let store = Store::open_in_memory().unwrap();
    let id = draft(&store);
    let (a, b) = (photo(4), photo(5));
    store.add_draft_photo(&lib, &id, &a).unwrap();
    store.add_draft_photo(&lib, &id, &b).unwrap();
    store.set_primary_draft_photo(&lib, &id, &b.upload.sha256).unwrap();
    let queued: Vec<serde_json::Value> = store
        .read(|c| crate::outbox::pending(c, 100))
        .unwrap()
        .into_iter()
        .filter(|m| m.id == id)
        .filter_map(|m| m.fields.and_then(|f| f.get("photos").map(|w| w.value.clone())))
        .collect();
    let (ha, hb) = (a.upload.sha256.clone(), b.upload.sha256.clone());
    assert_eq!(
        queued,
        vec![serde_json::json!([ha]), serde_json::json!([ha, hb]), serde_json::json!([hb, ha])],
        "each change of the list is queued, in order, as the ordered hashes"
    );
}

#[test]
fn the_list_carries_each_drafts_photo_count_and_main_thumbnail() {
    let dir = tempfile::tempdir().unwrap();
    let lib = PhotoLibrary::open(dir.path().join("photos")).unwrap();
    let store = Store::open(dir.path().join("phone.db")).unwrap();
    let (bare, shown) = (draft(&store), draft(&store));
    let (a, b) = (photo(21), photo(22));
    store.add_draft_photo(&lib, &shown, &a).unwrap();
    store.add_draft_photo(&lib, &shown, &b).unwrap();
    let main_of = |store: &Store| {
        store
            .list_draft_summaries(&lib)
            .unwrap()
            .into_iter()
            .map(|s| (s.draft.id, s.photo_count, s.main_thumbnail_path))
            .collect::<Vec<_>>()
    };
    let listed = main_of(&store);
    // Newest first, as list_drafts.
    assert_eq!(listed.iter().map(|(id, _, _)| id.clone()).collect::<Vec<_>>(), vec![shown.clone(), bare.clone()]);
    assert_eq!(listed[1], (bare.clone(), 0, None));
    let thumb_a = lib.path_of(&a.thumbnail.sha256).unwrap();
    assert_eq!(listed[0], (shown.clone(), 2, Some(thumb_a.clone())));
    assert_eq!(std::fs::read(&thumb_a).unwrap(), a.thumbnail.bytes, "the path names the main photo's thumbnail file");

    // A reorder changes the main photo, and so the row's thumbnail.
    store.move_draft_photo(&lib, &shown, &b.upload.sha256, 0).unwrap();
    assert_eq!(main_of(&store)[0], (shown.clone(), 2, Some(lib.path_of(&b.thumbnail.sha256).unwrap())));
    store.remove_draft_photo(&lib, &shown, &b.upload.sha256).unwrap();
    store.remove_draft_photo(&lib, &shown, &a.upload.sha256).unwrap();
    assert_eq!(main_of(&store)[0], (shown.clone(), 0, None));
    // A deleted draft leaves the list.
    store.delete_draft(&bare).unwrap();
    assert_eq!(main_of(&store).len(), 1);
}

#[test]
fn a_reorder_is_one_write_of_the_photo_list_and_refused_once_sent_for_review() {
    let dir = tempfile::tempdir().unwrap();
    let lib = PhotoLibrary::open(dir.path().join("photos")).unwrap();
    let store = Store::open(dir.path().join("phone.db")).unwrap();
    let id = draft(&store);
    let (a, b, c) = (photo(31), photo(32), photo(33));
    for p in [&a, &b, &c] {
        store.add_draft_photo(&lib, &id, p).unwrap();
    }
    let queued = |store: &Store| store.read(|c| crate::outbox::pending(c, 100)).unwrap().len();
    let before = queued(&store);
    let order = |v: Vec<DraftPhoto>| v.into_iter().map(|p| p.hash).collect::<Vec<_>>();
    let (ha, hb, hc) = (a.upload.sha256.clone(), b.upload.sha256.clone(), c.upload.sha256.clone());
    // Down one place, then up one place: each a write of the list field.
    assert_eq!(order(store.move_draft_photo(&lib, &id, &ha, 1).unwrap()), vec![hb.clone(), ha.clone(), hc.clone()]);
    assert_eq!(order(store.move_draft_photo(&lib, &id, &hc, 1).unwrap()), vec![hb.clone(), hc.clone(), ha.clone()]);
    // A move to where the photo already is writes nothing.
    store.move_draft_photo(&lib, &id, &hc, 1).unwrap();
    assert_eq!(queued(&store), before + 2);
    // The list as queued stays within the protocol's limit check for the field.
    let last = store.read(|c| crate::outbox::pending(c, 100)).unwrap().pop().unwrap();
    let list = last.fields.unwrap().get("photos").unwrap().value.clone();
    assert!(fundi_sync::fields::check_photo_list(&list).is_ok());
    assert_eq!(list, serde_json::json!([hb, hc, ha]));

    store.submit_draft(&id).unwrap();
    let locked = NotAllowedReason::NotEditable { status: DraftStatus::Submitted };
    assert!(matches!(store.move_draft_photo(&lib, &id, &ha, 0), Err(Error::NotAllowed(r)) if r == locked));
    assert!(matches!(store.move_draft_photo(&lib, &id, "no-such-photo", 0), Err(Error::NotAllowed(_))));
}
