//! The editor chooses a new draft's id before its first save and keeps it in its saved state, so
//! saving again after the screen rotated, or after the app was killed during the first save,
//! never makes a second draft: `Store::save_draft` creates the draft under that id once and
//! updates it after. Over a real SQLite file, with the app killed by SIGKILL right before and
//! right after the first save's commit (the crash points of `Store::write`).

use fundi_core::drafts::{Category, NewDraft};
use fundi_core::{ids, Error, Store};
use fundi_sqlite::crash_point::{ENV_AFTER, ENV_AT};
use rusqlite::Connection;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

const DB_ENV: &str = "FUNDI_FIRST_SAVE_DB";
const ID_ENV: &str = "FUNDI_FIRST_SAVE_ID";
const SIGKILL: i32 = 9;

fn basket(title: &str) -> NewDraft {
    NewDraft {
        title: title.into(),
        description: "Woven sisal, natural dyes".into(),
        materials: vec!["sisal".into()],
        category: Category::Baskets,
        price_minor: 250_000,
        weekly_capacity: 4,
    }
}

/// Rows of `drafts` with this id (live or not), and outbox mutations naming it.
fn rows_and_mutations(path: &Path, id: &str) -> (i64, i64) {
    let conn = Connection::open(path).unwrap();
    let rows = conn.query_row("SELECT COUNT(*) FROM drafts WHERE id = ?1", [id], |r| r.get(0)).unwrap();
    let queued = conn.query_row("SELECT COUNT(*) FROM outbox WHERE body LIKE '%' || ?1 || '%'", [id], |r| r.get(0)).unwrap();
    (rows, queued)
}

#[test]
#[ignore = "child process of the kill test of this file"]
fn child_first_save() {
    let (Ok(path), Ok(id)) = (std::env::var(DB_ENV), std::env::var(ID_ENV)) else { return };
    let store = Store::open(&path).unwrap();
    store.save_draft(&id, basket("Kiondo")).unwrap();
    store.close().unwrap();
}

#[test]
fn a_first_save_killed_before_or_after_its_commit_then_saved_again_is_one_draft() {
    if std::env::var(DB_ENV).is_ok() {
        return;
    }
    for (point, committed) in [("store:before_commit", 0), ("store:after_commit", 1)] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.db");
        // The file exists (migrated) before the editor opens: the save is the child's only write.
        Store::open(&path).unwrap().close().unwrap();
        let id = ids::new_id();
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_first_save", "--ignored", "--nocapture", "--test-threads=1"])
            .env(DB_ENV, &path)
            .env(ID_ENV, &id)
            .env(ENV_AT, point)
            .env(ENV_AFTER, "1")
            .output()
            .unwrap();
        assert_eq!(out.status.signal(), Some(SIGKILL), "{point}: the child was not killed: {out:?}");
        assert_eq!(rows_and_mutations(&path, &id), (committed, committed), "{point}: what the kill left");

        // The editor comes back with the id from its saved state and saves what is on screen.
        let store = Store::open(&path).unwrap();
        let saved = store.save_draft(&id, basket("Kiondo")).unwrap();
        assert_eq!(saved.id, id);
        assert_eq!(store.list_drafts().unwrap().len(), 1, "{point}: one draft, never two");
        store.close().unwrap();
        assert_eq!(rows_and_mutations(&path, &id), (1, 1), "{point}: one row, and one create queued for the depot");
    }
}

#[test]
fn saving_twice_with_the_same_id_is_one_draft_and_a_later_change_is_one_edit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let store = Store::open(&path).unwrap();
    let id = ids::new_id();
    let first = store.save_draft(&id, basket("Kiondo")).unwrap();
    // The screen rotated during the save: the same form is saved again under the same id.
    let again = store.save_draft(&id, basket("  Kiondo ")).unwrap();
    assert_eq!(again, first, "an unchanged save changes nothing, not even the stamps");
    assert_eq!(rows_and_mutations(&path, &id), (1, 1));

    let changed = store.save_draft(&id, basket("Kiondo, large")).unwrap();
    assert_eq!(changed.title, "Kiondo, large");
    assert_eq!(changed.created_at_ms, first.created_at_ms);
    assert_eq!(store.list_drafts().unwrap().len(), 1);
    assert_eq!(rows_and_mutations(&path, &id), (1, 2), "the change is queued as one more write");
    store.close().unwrap();
}

#[test]
fn a_chosen_id_does_not_bring_back_a_deleted_draft_nor_accept_garbage_or_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("phone.db")).unwrap();
    let id = ids::new_id();
    store.save_draft(&id, basket("Kiondo")).unwrap();
    store.delete_draft(&id).unwrap();
    assert!(matches!(store.save_draft(&id, basket("Kiondo")), Err(Error::NotFound { .. })));
    assert!(matches!(store.save_draft("not-an-id", basket("Kiondo")), Err(Error::NotFound { .. })));

    let fresh = ids::new_id();
    assert!(matches!(store.save_draft(&fresh, basket("   ")), Err(Error::Invalid(_))));
    assert!(matches!(store.get_draft(&fresh), Err(Error::NotFound { .. })), "a refused first save stores nothing");
    assert!(store.list_drafts().unwrap().is_empty());

    // A draft sent for review cannot be changed through a second save either.
    store.save_draft(&fresh, basket("Kiondo")).unwrap();
    store.submit_draft(&fresh).unwrap();
    assert!(matches!(store.save_draft(&fresh, basket("Changed")), Err(Error::NotAllowed(_))));
    assert_eq!(store.get_draft(&fresh).unwrap().title, "Kiondo");
}
