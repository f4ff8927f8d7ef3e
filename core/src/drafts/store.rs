//! Drafts in SQLite, and the draft operations of [`Store`].
//!
//! Every change is stamped with the phone's HLC inside the transaction that writes it, and each
//! changed field records its stamp in `field_versions`, which the sync engine merges by.
//! Deleting leaves a tombstone so a later sync can carry the deletion.

use super::model::Draft;
use super::validate::{validate_new, validate_patch};
use super::{Category, DraftField, DraftPatch, DraftStatus, NewDraft};
use crate::error::{Error, NotAllowedReason, Result};
use crate::storage::{stamp, StorageError};
use crate::Store;
use fundi_sync::hlc::Timestamp;
use fundi_sync::ids;
use fundi_sync::money::{Currency, Money};
use fundi_sync::workflow::{draft_step, DraftCommand};
use fundi_sync::{Relation, Role};
use rusqlite::{params, Connection, OptionalExtension, Row};

const KIND: &str = "draft";
/// The fields a new draft sends to the depot.
const SYNCED_FIELDS: [&str; 6] = ["title", "description", "materials", "category", "price", "weekly_capacity"];
const COLUMNS: &str =
    "id, title, description, materials, category, price_minor, currency, weekly_capacity, status, created_hlc, updated_hlc";

fn corrupt<T>(_: T) -> Error {
    Error::Storage(StorageError::Corrupt)
}

fn wall_ms(hlc: &str) -> Result<u64> {
    Ok(hlc.parse::<Timestamp>().map_err(corrupt)?.wall_ms)
}

/// Rebuild a draft from a row of [`COLUMNS`]. Values this build cannot read mean the file was
/// damaged or written by something else: a typed error, never a panic.
fn from_row(row: &Row<'_>) -> Result<Draft> {
    let materials: String = row.get(3)?;
    let category: String = row.get(4)?;
    let currency: String = row.get(6)?;
    let status: String = row.get(8)?;
    let created: String = row.get(9)?;
    let updated: String = row.get(10)?;
    Ok(Draft {
        id: row.get(0)?,
        title: row.get(1)?,
        description: row.get(2)?,
        materials: serde_json::from_str(&materials).map_err(corrupt)?,
        category: Category::from_code(&category).ok_or_else(|| corrupt(()))?,
        price: Money { minor: row.get(5)?, currency: Currency::from_code(&currency).ok_or_else(|| corrupt(()))? },
        weekly_capacity: row.get(7)?,
        status: DraftStatus::from_code(&status).ok_or_else(|| corrupt(()))?,
        created_at_ms: wall_ms(&created)?,
        updated_at_ms: wall_ms(&updated)?,
    })
}

/// A live draft this build can show (one held for a newer app is not found, as in the list).
fn load(conn: &Connection, id: &str) -> Result<Draft> {
    let sql = format!("SELECT {COLUMNS} FROM drafts WHERE id = ?1 AND deleted_hlc IS NULL AND needs_newer_app = 0");
    conn.query_row(&sql, [id], |row| Ok(from_row(row))).optional()?.ok_or(Error::NotFound { kind: KIND })?
}

use super::db::record_field_stamp;

fn materials_json(materials: &[String]) -> String {
    serde_json::to_string(materials).expect("a list of strings always serializes")
}

/// The live drafts this build can show, newest first (by creation).
pub(super) fn list_live(conn: &Connection) -> Result<Vec<Draft>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM drafts WHERE deleted_hlc IS NULL AND needs_newer_app = 0 ORDER BY created_hlc DESC, id DESC"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |row| Ok(from_row(row)))?;
    rows.map(|r| r?).collect()
}

/// Insert a new draft (checked input) under `id`, stamp its fields and queue it for sync.
fn insert_new(tx: &Connection, id: &str, input: &NewDraft) -> Result<Draft> {
    let ts = stamp(tx)?.to_string();
    tx.execute(
        &format!("INSERT INTO drafts ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)"),
        params![
            id,
            input.title,
            input.description,
            materials_json(&input.materials),
            input.category.code(),
            input.price_minor,
            Currency::Kes.code(),
            input.weekly_capacity,
            DraftStatus::Draft.code(),
            ts
        ],
    )?;
    for field in DraftField::ALL {
        record_field_stamp(tx, id, field.code(), &ts)?;
    }
    record_field_stamp(tx, id, "status", &ts)?;
    super::db::enqueue_write(tx, id, &SYNCED_FIELDS, &Default::default())?;
    load(tx, id)
}

/// Apply a checked patch to an editable draft (see [`Store::update_draft`]).
fn update_in(tx: &Connection, id: &str, patch: DraftPatch) -> Result<Draft> {
    use rusqlite::types::Value;
    let current = load(tx, id)?;
    if !current.status.is_editable() {
        return Err(Error::NotAllowed(NotAllowedReason::NotEditable { status: current.status }));
    }
    let mut changes: Vec<(DraftField, &str, Value)> = vec![];
    if let Some(t) = patch.title.filter(|t| *t != current.title) {
        changes.push((DraftField::Title, "title", Value::Text(t)));
    }
    if let Some(d) = patch.description.filter(|d| *d != current.description) {
        changes.push((DraftField::Description, "description", Value::Text(d)));
    }
    if let Some(m) = patch.materials.filter(|m| *m != current.materials) {
        changes.push((DraftField::Materials, "materials", Value::Text(materials_json(&m))));
    }
    if let Some(c) = patch.category.filter(|c| *c != current.category) {
        changes.push((DraftField::Category, "category", Value::Text(c.code().into())));
    }
    if let Some(p) = patch.price_minor.filter(|p| *p != current.price.minor) {
        changes.push((DraftField::Price, "price_minor", Value::Integer(p)));
    }
    if let Some(w) = patch.weekly_capacity.filter(|w| *w != current.weekly_capacity) {
        changes.push((DraftField::WeeklyCapacity, "weekly_capacity", Value::Integer(w.into())));
    }
    if changes.is_empty() {
        return Ok(current);
    }
    let before = super::db::draft_stamps(tx, id)?;
    let ts = stamp(tx)?.to_string();
    let changed: Vec<&str> = changes.iter().map(|(f, _, _)| f.code()).collect();
    for (field, column, value) in changes {
        tx.execute(&format!("UPDATE drafts SET {column} = ?1, updated_hlc = ?2 WHERE id = ?3"), params![value, ts, id])?;
        record_field_stamp(tx, id, field.code(), &ts)?;
    }
    super::db::enqueue_write(tx, id, &changed, &before)?;
    load(tx, id)
}

impl Store {
    /// Create a draft from what the artisan typed. Returns the stored draft.
    pub fn create_draft(&self, input: NewDraft) -> Result<Draft> {
        let input = validate_new(&input).map_err(Error::Invalid)?;
        self.write(|tx| insert_new(tx, &ids::new_id(), &input))
    }

    /// Save the draft whose id the editor chose before its first save ([`ids::new_id`]): create
    /// it when no draft has this id yet, else change its fields as [`Store::update_draft`] does.
    /// Saving the same draft again (the screen rotated, or the app was killed after the first
    /// save committed and the editor came back with the id from its saved state) leaves one
    /// draft, and an unchanged save stamps nothing. A draft with this id that was deleted is not
    /// brought back (`NotFound`), nor is a malformed id accepted.
    pub fn save_draft(&self, id: &str, input: NewDraft) -> Result<Draft> {
        if !ids::is_valid_id(id) {
            return Err(Error::NotFound { kind: KIND });
        }
        let input = validate_new(&input).map_err(Error::Invalid)?;
        self.write(|tx| {
            if !super::db::exists(tx, id)? {
                return insert_new(tx, id, &input);
            }
            let patch = DraftPatch {
                title: Some(input.title),
                description: Some(input.description),
                materials: Some(input.materials),
                category: Some(input.category),
                price_minor: Some(input.price_minor),
                weekly_capacity: Some(input.weekly_capacity),
            };
            update_in(tx, id, patch)
        })
    }

    /// Change some fields of an editable draft. Fields left `None`, or set to their current
    /// value, are not touched (and keep their stamps, so they do not win a later merge).
    pub fn update_draft(&self, id: &str, patch: DraftPatch) -> Result<Draft> {
        let patch = validate_patch(&patch).map_err(Error::Invalid)?;
        self.write(|tx| update_in(tx, id, patch))
    }

    /// One live draft.
    pub fn get_draft(&self, id: &str) -> Result<Draft> {
        if !ids::is_valid_id(id) {
            return Err(Error::NotFound { kind: KIND });
        }
        self.read(|conn| load(conn, id))
    }

    /// All live drafts, newest first (by creation); those held for a newer app (a value of
    /// theirs this build cannot show) are left out and counted by the sync status.
    pub fn list_drafts(&self) -> Result<Vec<Draft>> {
        self.read(list_live)
    }

    /// The reviewer's note on one of this phone's drafts (a mentor's or staff's "changes
    /// requested" note, as the depot sent it), or None when there is none.
    pub fn draft_review_note(&self, id: &str) -> Result<Option<String>> {
        self.read(|conn| {
            load(conn, id)?;
            let note = super::db::field_value(conn, id, fundi_sync::fields::DRAFT_REVIEW_NOTE)?;
            Ok(note.and_then(|v| v.as_str().map(str::trim).filter(|n| !n.is_empty()).map(String::from)))
        })
    }

    /// Delete a draft, leaving a tombstone for sync. An approved product cannot be deleted
    /// from the phone (it is in the catalog; retiring it is a separate flow), nor can the new
    /// version of one being written (its draft is the product's source; the approved version
    /// stays on sale).
    pub fn delete_draft(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            let current = load(tx, id)?;
            if current.status == DraftStatus::Approved
                || crate::documents::db::contains(tx, fundi_sync::Kind::Product.code(), id)?
            {
                return Err(Error::NotAllowed(NotAllowedReason::InCatalog));
            }
            let before = super::db::draft_stamps(tx, id)?;
            let ts = stamp(tx)?.to_string();
            tx.execute("UPDATE drafts SET deleted_hlc = ?1, updated_hlc = ?1 WHERE id = ?2", params![ts, id])?;
            record_field_stamp(tx, id, "deleted", &ts)?;
            super::db::enqueue_write(tx, id, &["deleted"], &before)?;
            Ok(())
        })
    }

    /// Send a draft for review. Allowed from `Draft` and `ChangesRequested`.
    pub fn submit_draft(&self, id: &str) -> Result<Draft> {
        self.write(|tx| {
            let current = load(tx, id)?;
            if !current.status.is_editable() {
                return Err(Error::NotAllowed(NotAllowedReason::NotEditable { status: current.status }));
            }
            let ts = stamp(tx)?.to_string();
            tx.execute(
                "UPDATE drafts SET status = ?1, updated_hlc = ?2 WHERE id = ?3",
                params![DraftStatus::Submitted.code(), ts, id],
            )?;
            record_field_stamp(tx, id, "status", &ts)?;
            crate::outbox::enqueue_command(tx, fundi_sync::Kind::Draft, id, "submit", Default::default())?;
            load(tx, id)
        })
    }

    /// Start a new version of an approved product (ADR 0025): the draft is editable again at
    /// once (optimistic, as a submit is; the depot's status comes back only once no command of
    /// this phone's is in flight, `fundi_sync::phone::pulled_review_status`), while the approved
    /// version stays on sale until the new one is approved. By the depot's own table: only
    /// from `Approved` (else `NotAllowed(WrongState)`).
    pub fn revise_draft(&self, id: &str) -> Result<Draft> {
        self.write(|tx| {
            let current = load(tx, id)?;
            let next =
                draft_step(current.status, DraftCommand::Revise, Role::Artisan, Relation::Owner).map_err(Error::Rejected)?;
            let ts = stamp(tx)?.to_string();
            tx.execute("UPDATE drafts SET status = ?1, updated_hlc = ?2 WHERE id = ?3", params![next.code(), ts, id])?;
            record_field_stamp(tx, id, "status", &ts)?;
            crate::outbox::enqueue_command(tx, fundi_sync::Kind::Draft, id, DraftCommand::Revise.code(), Default::default())?;
            load(tx, id)
        })
    }
}

/// Whether the artisan may start a new version of a draft in this status (an approved one),
/// by the depot's table: the editor's "Make a new version".
pub fn can_revise(status: DraftStatus) -> bool {
    draft_step(status, DraftCommand::Revise, Role::Artisan, Relation::Owner).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drafts::{FieldError, Problem};

    fn basket(title: &str) -> NewDraft {
        NewDraft {
            title: title.into(),
            description: "Woven sisal, natural dyes".into(),
            materials: vec!["sisal".into(), "leather".into()],
            category: Category::Baskets,
            price_minor: 250_000,
            weekly_capacity: 4,
        }
    }

    fn stamps(store: &Store, id: &str) -> Vec<(String, String)> {
        store
            .read(|c| {
                let mut s = c.prepare("SELECT field, hlc FROM field_versions WHERE record_id = ?1 ORDER BY field")?;
                let rows = s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .unwrap()
    }

    #[test]
    fn a_pulled_review_note_is_read_back_and_none_before() {
        let store = Store::open_in_memory().unwrap();
        let d = store.create_draft(basket("Kiondo")).unwrap();
        assert_eq!(store.draft_review_note(&d.id).unwrap(), None);
        store
            .write(|tx| {
                let w = fundi_sync::FieldWrite::new(" Straighten the rim ".into(), stamp(tx)?, vec![]);
                super::super::db::store_field_write(tx, &d.id, fundi_sync::fields::DRAFT_REVIEW_NOTE, &w)
            })
            .unwrap();
        assert_eq!(store.draft_review_note(&d.id).unwrap().as_deref(), Some("Straighten the rim"));
        assert!(matches!(store.draft_review_note("01900000-0000-7000-8000-0000000000ff"), Err(Error::NotFound { .. })));
    }

    #[test]
    fn create_get_list_newest_first() {
        let store = Store::open_in_memory().unwrap();
        let a = store.create_draft(basket("Kiondo A")).unwrap();
        let b = store.create_draft(basket("Kiondo B")).unwrap();
        assert_eq!(store.get_draft(&a.id).unwrap(), a);
        let ids: Vec<String> = store.list_drafts().unwrap().into_iter().map(|d| d.id).collect();
        assert_eq!(ids, vec![b.id, a.id.clone()]);
        assert_eq!(a.price, Money::kes_minor(250_000));
        assert_eq!(a.status, DraftStatus::Draft);
    }

    #[test]
    fn edit_stamps_only_the_changed_fields() {
        let store = Store::open_in_memory().unwrap();
        let d = store.create_draft(basket("Kiondo")).unwrap();
        let before = stamps(&store, &d.id);
        let patch = DraftPatch { price_minor: Some(300_000), title: Some("Kiondo".into()), ..Default::default() };
        let after_edit = store.update_draft(&d.id, patch).unwrap();
        assert_eq!(after_edit.price.minor, 300_000);
        let after = stamps(&store, &d.id);
        for ((field, old), (_, new)) in before.iter().zip(after.iter()) {
            if field == "price" {
                assert!(new > old, "price stamp must advance");
            } else {
                assert_eq!(old, new, "{field} was not changed and must keep its stamp");
            }
        }
    }

    #[test]
    fn invalid_edits_and_creates_store_nothing() {
        let store = Store::open_in_memory().unwrap();
        match store.create_draft(basket("")) {
            Err(Error::Invalid(errors)) => {
                assert_eq!(errors, vec![FieldError { field: DraftField::Title, problem: Problem::Required }])
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        assert!(store.list_drafts().unwrap().is_empty());
        let d = store.create_draft(basket("Kiondo")).unwrap();
        let bad = DraftPatch { price_minor: Some(0), ..Default::default() };
        assert!(matches!(store.update_draft(&d.id, bad), Err(Error::Invalid(_))));
        assert_eq!(store.get_draft(&d.id).unwrap().price.minor, 250_000);
    }

    #[test]
    fn a_refusal_is_first_about_the_topmost_field_in_error() {
        use crate::drafts::{first_field_in_error, validate::read_form, DraftForm};
        // The form's category left blank ("choose a category") and an unreadable price.
        let form = DraftForm {
            title: "Kiondo".into(),
            description: String::new(),
            materials: "sisal".into(),
            category: None,
            price: "elfu".into(),
            weekly_capacity: "4".into(),
        };
        let errors = read_form(&form).unwrap_err();
        assert!(errors.contains(&FieldError { field: DraftField::Category, problem: Problem::Required }));
        assert_eq!(first_field_in_error(&errors), Some(DraftField::Category));
        // Whatever order the issues come in, the topmost field on screen is the one.
        let mut reversed = errors.clone();
        reversed.reverse();
        assert_eq!(first_field_in_error(&reversed), Some(DraftField::Category));
        // A refused update names its fields the same way.
        let store = Store::open_in_memory().unwrap();
        let d = store.create_draft(basket("Kiondo")).unwrap();
        let bad = DraftPatch { title: Some(" ".into()), weekly_capacity: Some(0), ..Default::default() };
        match store.update_draft(&d.id, bad) {
            Err(Error::Invalid(errors)) => assert_eq!(first_field_in_error(&errors), Some(DraftField::Title)),
            other => panic!("expected Invalid, got {other:?}"),
        }
        assert_eq!(first_field_in_error(&[]), None);
    }

    #[test]
    fn delete_leaves_a_tombstone_and_hides_the_draft() {
        let store = Store::open_in_memory().unwrap();
        let d = store.create_draft(basket("Kiondo")).unwrap();
        store.delete_draft(&d.id).unwrap();
        assert!(matches!(store.get_draft(&d.id), Err(Error::NotFound { .. })));
        assert!(store.list_drafts().unwrap().is_empty());
        assert!(matches!(store.delete_draft(&d.id), Err(Error::NotFound { .. })));
        let tombstones: i64 = store
            .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM drafts WHERE deleted_hlc IS NOT NULL", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(tombstones, 1);
    }

    #[test]
    fn submitted_drafts_are_locked() {
        let store = Store::open_in_memory().unwrap();
        let d = store.create_draft(basket("Kiondo")).unwrap();
        let s = store.submit_draft(&d.id).unwrap();
        assert_eq!(s.status, DraftStatus::Submitted);
        let edit = DraftPatch { title: Some("New".into()), ..Default::default() };
        let locked = NotAllowedReason::NotEditable { status: DraftStatus::Submitted };
        assert!(matches!(store.update_draft(&d.id, edit), Err(Error::NotAllowed(r)) if r == locked));
        assert!(matches!(store.submit_draft(&d.id), Err(Error::NotAllowed(r)) if r == locked));
    }

    #[test]
    fn calls_after_close_fail_with_closed() {
        let store = Store::open_in_memory().unwrap();
        store.close().unwrap();
        store.close().unwrap();
        assert!(matches!(store.list_drafts(), Err(Error::Closed)));
        assert!(matches!(store.create_draft(basket("x")), Err(Error::Closed)));
    }

    #[test]
    fn unknown_ids_are_not_found() {
        let store = Store::open_in_memory().unwrap();
        assert!(matches!(store.get_draft("nope"), Err(Error::NotFound { .. })));
        assert!(matches!(store.submit_draft(&ids::new_id()), Err(Error::NotFound { .. })));
    }

    #[test]
    fn a_full_disk_is_a_typed_error_and_keeps_earlier_work() {
        let store = Store::open_in_memory().unwrap();
        let kept = store.create_draft(basket("Kept")).unwrap();
        // SQLite reports SQLITE_FULL when the file may not grow: the same path as a full disk.
        let pages: i64 = store.read(|c| Ok(c.query_row("PRAGMA page_count", [], |r| r.get(0))?)).unwrap();
        store.read(|c| Ok(c.pragma_update(None, "max_page_count", pages)?)).unwrap();
        let mut long = basket("Filler");
        long.description = "x".repeat(1900);
        let err = (0..50).find_map(|_| store.create_draft(long.clone()).err()).expect("the disk must fill up");
        assert!(matches!(err, Error::Storage(StorageError::Full)), "got {err:?}");
        assert_eq!(store.get_draft(&kept.id).unwrap().title, "Kept");
    }

    #[test]
    fn opening_a_file_that_is_not_a_database_leaves_it_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.db");
        let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
        std::fs::write(&path, &junk).unwrap();
        assert!(matches!(Store::open(&path), Err(Error::Storage(StorageError::Corrupt))));
        assert_eq!(std::fs::read(&path).unwrap(), junk);
    }

    #[test]
    fn a_folder_that_does_not_exist_cannot_be_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("phone.db");
        assert!(matches!(Store::open(&path), Err(Error::Storage(StorageError::CannotOpen(_)))));
    }
}
