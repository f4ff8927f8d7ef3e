//! I/O faults on the phone (issue 14, item 8). The phone's disk fills up, or fails, at each
//! write SQLite makes in turn (`fundi_sqlite::testing::fault_vfs`) while the app saves a new
//! draft, edits one, submits one, deletes one, opens a new file (its migrations) and closes
//! its file (the checkpoint, whose fsyncs are failed too). After each failure:
//! - the call returned a typed error, `Storage(Full)` for a full disk and `Storage(Io)` for a
//!   failing one, and did not panic;
//! - the file holds the whole change with its outbox mutation, or none of it: each draft's
//!   fields and stamps are what its outbox mutations say, each mutation's draft exists, the
//!   counters run from 1 without a gap, and a change that did not land left every table as it
//!   was; `PRAGMA integrity_check` says ok;
//! - with the fault gone ("space is back") the same handle makes the change, and every few
//!   runs the file is closed and a new handle carries on.
//!
//! The sync steps' writes need a depot: they are failed in `depot/tests/io_faults.rs`.

use fundi_core::drafts::{Category, DraftPatch, NewDraft};
use fundi_core::storage::{schema::END_VERSION, StorageError};
use fundi_core::{Error, Store};
use fundi_sqlite::testing::fault_vfs::{self, Fault, Plan};
use fundi_sqlite::testing::{contents_diff, contents_of};
use fundi_sync::Mutation;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A disk that fills up at the n-th write (and stays full until space is freed), and a disk
/// that fails the n-th write once.
const WRITE_FAULTS: [fn(u64) -> Plan; 2] = [Plan::disk_full, Plan::io_error];

/// Every row of every table: "left exactly as it was" is equality of two of these.
type Dump = BTreeMap<String, Vec<String>>;

/// Fails with the rows that differ, unless `after` equals `before`.
fn assert_same(before: &Dump, after: &Dump, what: &str) {
    let diff = contents_diff(before, after);
    assert!(diff.is_empty(), "{what}:\n{diff}");
}

/// Check the file with a connection of its own (opened while no fault is armed) and return
/// its content.
fn check_file(path: &Path, ctx: &str) -> Dump {
    let conn = Connection::open(path).unwrap();
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok", "{ctx}");
    check_drafts_match_outbox(&conn, ctx);
    contents_of(&conn)
}

/// Each draft is exactly what its outbox mutations say (nothing is ever acknowledged here:
/// no depot), and each mutation's draft exists.
fn check_drafts_match_outbox(conn: &Connection, ctx: &str) {
    let mut s = conn.prepare("SELECT counter, body FROM outbox ORDER BY counter").unwrap();
    let outbox: Vec<Mutation> = s
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|r| {
            let (counter, body) = r.unwrap();
            Mutation { counter: counter as u64, ..serde_json::from_str(&body).unwrap() }
        })
        .collect();
    let next: u64 = conn.query_row("SELECT next_counter FROM sync_state", [], |r| r.get::<_, i64>(0)).unwrap() as u64;
    let counters: Vec<u64> = outbox.iter().map(|m| m.counter).collect();
    assert_eq!(counters, (1..next).collect::<Vec<_>>(), "{ctx}: the outbox lost a change or the counter moved without one");

    // What the mutations say: the last write of each field, and the submits.
    let mut said: BTreeMap<(String, String), (String, Value)> = BTreeMap::new();
    let mut submitted: BTreeMap<String, String> = BTreeMap::new();
    for m in &outbox {
        assert_eq!(m.kind, "draft", "{ctx}");
        for (field, w) in m.fields.iter().flatten() {
            said.insert((m.id.clone(), field.clone()), (w.hlc.to_string(), w.value.clone()));
        }
        if let Some(c) = &m.command {
            assert_eq!(c.name, "submit", "{ctx}");
            submitted.insert(m.id.clone(), c.hlc.to_string());
        }
    }

    // What the file holds.
    let mut s = conn.prepare("SELECT record_id, field, hlc FROM field_versions WHERE record_kind = 'draft'").unwrap();
    let stamps: BTreeMap<(String, String), String> =
        s.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?))).unwrap().map(Result::unwrap).collect();
    let mut s = conn
        .prepare(
            "SELECT id, title, description, materials, category, price_minor, weekly_capacity, status, created_hlc, deleted_hlc
             FROM drafts",
        )
        .unwrap();
    type Row = (String, String, String, String, String, i64, i64, String, String, Option<String>);
    let rows: Vec<Row> = s
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let ids: Vec<&String> = rows.iter().map(|r| &r.0).collect();
    for (id, field) in said.keys().chain(stamps.keys()) {
        assert!(ids.contains(&id), "{ctx}: {field} of draft {id} is in the outbox or stamped, but the draft is missing");
    }
    for id in submitted.keys() {
        assert!(ids.contains(&id), "{ctx}: draft {id} submitted in the outbox, but missing");
    }
    for (id, title, description, materials, category, price, capacity, status, created, deleted) in &rows {
        let held = |field: &str| match field {
            "title" => json!(title),
            "description" => json!(description),
            "materials" => serde_json::from_str(materials).unwrap(),
            "category" => json!(category),
            "price" => json!(price),
            "weekly_capacity" => json!(capacity),
            "deleted" => json!(deleted.is_some()),
            _ => unreachable!(),
        };
        for field in ["title", "description", "materials", "category", "price", "weekly_capacity", "deleted"] {
            let key = (id.clone(), field.to_string());
            match (stamps.get(&key), said.get(&key)) {
                (None, None) => {}
                (Some(stamp), Some((hlc, value))) => {
                    assert_eq!(stamp, hlc, "{ctx}: the stamp of {field} of {id} and its mutation disagree");
                    assert_eq!(&held(field), value, "{ctx}: {field} of {id} and its mutation disagree");
                }
                (stamp, mutation) => panic!("{ctx}: {field} of {id}: stamp {stamp:?}, mutation {mutation:?}"),
            }
        }
        if let Some(at) = deleted {
            assert_eq!(Some(at), stamps.get(&(id.clone(), "deleted".into())), "{ctx}: a deletion without its stamp");
        }
        let status_stamp = stamps.get(&(id.clone(), "status".into()));
        // Submitting stamps the status, then the command with the next tick.
        match submitted.get(id) {
            Some(hlc) => assert!(
                status == "submitted" && status_stamp.is_some_and(|s| s > created && s < hlc),
                "{ctx}: {id} is {status} (stamped {status_stamp:?}), its submit command {hlc}"
            ),
            None => assert_eq!((status.as_str(), status_stamp), ("draft", Some(created)), "{ctx}: {id}"),
        }
    }
}

fn outbox_len(d: &Dump) -> usize {
    d["outbox"].len()
}

fn basket(title: &str) -> NewDraft {
    NewDraft {
        title: title.into(),
        description: "Sisal basket, dyed with natural colours".into(),
        materials: vec!["sisal".into(), "leather".into()],
        category: Category::Baskets,
        price_minor: 180_000,
        weekly_capacity: 3,
    }
}

fn expect_typed(result: &Result<(), Error>, plan: Plan, ctx: &str) {
    match (result, plan.fault) {
        (Err(Error::Storage(StorageError::Full)), Fault::DiskFull)
        | (Err(Error::Storage(StorageError::Io(_))), Fault::IoError) => {}
        (other, _) => panic!("{ctx}: expected the typed storage error of {:?}, got {other:?}", plan.fault),
    }
}

struct Phone {
    path: PathBuf,
    store: Store,
    /// Calls made, for unique titles and prices.
    seq: u64,
    _dir: tempfile::TempDir,
}

impl Phone {
    fn new() -> Phone {
        fault_vfs::install();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phone.db");
        let store = Store::open(&path).unwrap();
        Phone { path, store, seq: 0, _dir: dir }
    }

    fn reopen(&mut self) {
        self.store.close().unwrap();
        self.store = Store::open(&self.path).unwrap();
    }

    /// Fail each write of `op` in turn, under each fault, until a run makes fewer writes than
    /// the fault waits for; check the file after each run; returns how many runs failed.
    /// `prepare` makes what `op` needs (a fresh draft, ...) with no fault armed.
    fn fail_each_write<T>(
        &mut self,
        name: &str,
        prepare: impl Fn(&Store, u64) -> T,
        op: impl Fn(&Store, &T) -> fundi_core::Result<()>,
    ) -> u64 {
        let mut failed = 0;
        for fault in WRITE_FAULTS {
            for n in 1.. {
                self.seq += 1;
                let arg = prepare(&self.store, self.seq);
                let before = check_file(&self.path, &format!("{name}: before"));
                let plan = fault(n);
                let ctx = format!("{name}, {plan:?}");
                let armed = fault_vfs::arm(&self.path, plan);
                let result = op(&self.store, &arg);
                let fired = armed.fired();
                drop(armed);
                let after = check_file(&self.path, &ctx);
                if !fired {
                    result.unwrap_or_else(|e| panic!("{ctx}: the fault was not reached, yet: {e}"));
                    assert_eq!(outbox_len(&after), outbox_len(&before) + 1, "{ctx}: one change, one mutation");
                    break;
                }
                failed += 1;
                expect_typed(&result, plan, &ctx);
                match outbox_len(&after) - outbox_len(&before) {
                    0 => {
                        assert_same(&before, &after, &format!("{ctx}: a change that did not land left part of itself"));
                        // Space is back: the same handle makes the change.
                        op(&self.store, &arg).unwrap_or_else(|e| panic!("{ctx}: once the fault is gone: {e}"));
                        let redone = check_file(&self.path, &format!("{ctx}, done again"));
                        assert_eq!(outbox_len(&redone), outbox_len(&before) + 1, "{ctx}");
                    }
                    // Committed although an error came back: whole, as the checks above say.
                    1 => {}
                    grew => panic!("{ctx}: one change queued {grew} mutations"),
                }
                if n % 4 == 0 {
                    self.reopen();
                }
            }
        }
        assert!(failed >= 8, "{name}: only {failed} runs reached a fault");
        failed
    }
}

#[test]
fn saving_editing_submitting_and_deleting_drafts_on_a_full_or_failing_disk() {
    let mut phone = Phone::new();
    let created = phone.fail_each_write(
        "save a new draft",
        |_, seq| basket(&format!("Kiondo {seq}")),
        |store, draft| store.create_draft(draft.clone()).map(drop),
    );
    let edited = phone.store.create_draft(basket("Edited")).unwrap().id;
    let edits = phone.fail_each_write(
        "edit two fields",
        |_, seq| DraftPatch {
            title: Some(format!("Edited {seq}")),
            price_minor: Some(100_000 + seq as i64),
            ..Default::default()
        },
        |store, patch| store.update_draft(&edited, patch.clone()).map(drop),
    );
    let fresh = |store: &Store, seq: u64| store.create_draft(basket(&format!("Fresh {seq}"))).unwrap().id;
    let submits = phone.fail_each_write("submit", fresh, |store, id| store.submit_draft(id).map(drop));
    let deletes = phone.fail_each_write("delete", fresh, |store, id: &String| store.delete_draft(id));
    println!("runs with a failed write: save {created}, edit {edits}, submit {submits}, delete {deletes}");

    // A handle opened anew sees everything, and works.
    phone.reopen();
    let before = check_file(&phone.path, "reopened");
    phone.store.create_draft(basket("After all that")).unwrap();
    assert_eq!(outbox_len(&check_file(&phone.path, "reopened, then saved")), outbox_len(&before) + 1);
}

/// A new install on a full phone: the migrations of a new file fail at each write; the file
/// is left new (no schema) or complete, and opening it again once there is space works.
#[test]
fn opening_a_new_file_on_a_full_or_failing_disk() {
    fault_vfs::install();
    let dir = tempfile::tempdir().unwrap();
    let mut failed = 0;
    for (f, fault) in WRITE_FAULTS.iter().enumerate() {
        for n in 1.. {
            let path = dir.path().join(format!("new-{f}-{n}.db"));
            let plan = fault(n);
            let ctx = format!("open, {plan:?}");
            let armed = fault_vfs::arm(&path, plan);
            let result = Store::open(&path);
            let fired = armed.fired();
            drop(armed);
            if !fired {
                result.unwrap_or_else(|e| panic!("{ctx}: the fault was not reached, yet: {e}")).close().unwrap();
                break;
            }
            failed += 1;
            expect_typed(&result.map(drop), plan, &ctx);
            {
                let conn = Connection::open(&path).unwrap();
                let version = fundi_sqlite::user_version(&conn).unwrap();
                let tables: i64 = conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0)).unwrap();
                assert!(
                    version == END_VERSION || (version == 0 && tables == 0),
                    "{ctx}: half migrated: v{version}, {tables} objects"
                );
            }
            let store = Store::open(&path).unwrap_or_else(|e| panic!("{ctx}: once the fault is gone: {e}"));
            store.create_draft(basket("First")).unwrap();
            store.close().unwrap();
            check_file(&path, &ctx);
        }
    }
    println!("runs with a failed write: {failed}");
    assert!(failed >= 8, "only {failed} runs reached a fault");
}

/// Closing checkpoints the WAL into the file: each of its writes and fsyncs fails in turn.
/// Whatever `close` says, everything saved before is there when the file is opened again.
#[test]
fn closing_on_a_full_or_failing_disk_loses_nothing() {
    let mut phone = Phone::new();
    let mut failed = 0;
    for fault in [Plan::disk_full, Plan::io_error, Plan::sync_error] {
        for n in 1.. {
            phone.seq += 1;
            phone.store.create_draft(basket(&format!("Before closing {}", phone.seq))).unwrap();
            let plan = fault(n);
            let ctx = format!("close, {plan:?}");
            let before_close = contents_of(&Connection::open(&phone.path).unwrap());
            let armed = fault_vfs::arm(&phone.path, plan);
            let result = phone.store.close();
            let fired = armed.fired();
            drop(armed);
            if let Err(e) = &result {
                assert!(matches!(e, Error::Storage(StorageError::Full | StorageError::Io(_))), "{ctx}: {e:?}");
            }
            phone.store = Store::open(&phone.path).unwrap_or_else(|e| panic!("{ctx}: reopening: {e}"));
            assert_same(&before_close, &check_file(&phone.path, &ctx), &format!("{ctx}: closing changed or lost data"));
            if !fired {
                break;
            }
            failed += 1;
        }
    }
    println!("runs with a failed write or fsync: {failed}");
    assert!(failed >= 8, "only {failed} runs reached a fault");
}
