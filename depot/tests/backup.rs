//! Operations on a serving depot's data directory (ADR 0028), on real processes: `backup`
//! taken while real phones sync, `restore` into a new `serve`, phones that synced after the
//! backup brought level with the restored depot, every refusal (an existing output, a tampered
//! snapshot or blob, a truncated manifest, a store in the way, a serving depot, a newer schema),
//! `migrate` and its `--check` exit status, and a backup killed midway.

mod common;
use common::{Dev, Server, BIN};
use fundi_core::Store;
use fundi_sync::workflow::OrderCommand;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Run `fundi-depot` with `args`.
fn depot(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `backup --json` of the server's data directory into `out`: the manifest it printed.
fn backup(server: &Server, out: &Path) -> Value {
    serde_json::from_str(&server.cli(&["backup", "--json", "--out", path(out)])).unwrap()
}

/// `restore` that must fail: its error output (and it must not have made `data_dir`, when new).
fn restore_fails(from: &Path, data_dir: &Path, extra: &[&str]) -> String {
    let existed = data_dir.exists();
    let out = depot(&[&["restore", "--from", path(from), "--data-dir", path(data_dir)], extra].concat());
    assert!(!out.status.success(), "restore succeeded: {}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(data_dir.exists(), existed, "a refused restore made {}", data_dir.display());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn restore(from: &Path, data_dir: &Path, extra: &[&str]) -> String {
    let out = depot(&[&["restore", "--from", path(from), "--data-dir", path(data_dir)], extra].concat());
    assert!(out.status.success(), "restore failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Kill `server`, restore `from` in place of its store, and start it again on the same
/// address and data directory (phones keep its URL and, restored with it, its key).
fn restore_in_place(server: &mut Server, from: &Path) -> String {
    let _ = server.child.kill();
    let _ = server.child.wait();
    let said = restore(from, &server.data_dir(), &["--replace"]);
    server.restart(&[]);
    said
}

/// Every record of a store file, as stored: (kind, id, owner, seq, body, state).
fn records_of(db: &Path) -> Vec<common::RecordRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut s = conn.prepare("SELECT kind, id, owner, seq, body, state FROM records ORDER BY seq").unwrap();
    let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Orders imported by operations for `artisan`: their ids.
fn import_orders(server: &Server, ops: &Dev, artisan: &str, n: usize) -> Vec<String> {
    let orders: Vec<Value> = (0..n)
        .map(|i| {
            json!({"source": "shop", "external_ref": common::uuid_like(), "product": format!("Kikapu {i}"), "quantity": 1,
            "price_minor": 150_000, "artisan_id": artisan})
        })
        .collect();
    let (s, v) = server.req(Some(ops), "/v1/orders", Some(json!({ "orders": orders })));
    assert_eq!(s, 200, "{v}");
    v["created"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_string()).collect()
}

/// The ids of the records of `kind` owned by `owner` in the depot's store.
fn depot_ids(server: &Server, kind: &str, owner: &str) -> BTreeSet<String> {
    server.records().into_iter().filter(|r| r.0 == kind && r.2.as_deref() == Some(owner)).map(|r| r.1).collect()
}

fn phone_orders(phone: &Store) -> BTreeSet<String> {
    phone.list_orders().unwrap().into_iter().map(|o| o.id).collect()
}

fn phone_drafts(phone: &Store) -> BTreeSet<String> {
    phone.list_drafts().unwrap().into_iter().map(|d| d.id).collect()
}

/// The phone's loop while a backup is taken: a new draft, the next order accepted, a sync.
fn keep_syncing(phone: Store, stop: Arc<AtomicBool>, rounds: Arc<AtomicUsize>) {
    while !stop.load(Ordering::SeqCst) {
        phone.create_draft(common::basket()).unwrap();
        let next = phone.list_orders().unwrap().into_iter().find(|o| o.commands.contains(&OrderCommand::Accept));
        if let Some(o) = next {
            phone.order_command(&o.id, OrderCommand::Accept, None).unwrap();
        }
        phone.sync_now(None).unwrap();
        rounds.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_backup_taken_while_phones_sync_is_consistent_and_restores_exactly_what_its_seq_covers() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let mut phones = vec![];
    for name in ["akinyi", "baraka"] {
        let (phone, id) = server.phone("artisan", name, None);
        import_orders(&server, &ops, &id, 30);
        phone.sync_now(None).unwrap();
        let (stop, rounds) = (stop.clone(), rounds.clone());
        phones.push(std::thread::spawn(move || keep_syncing(phone, stop, rounds)));
    }
    let wait_rounds = |n: usize| {
        while rounds.load(Ordering::SeqCst) < n {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    wait_rounds(4);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nightly");
    let manifest = backup(&server, &out);
    let taken_at = rounds.load(Ordering::SeqCst);
    wait_rounds(taken_at + 4);
    stop.store(true, Ordering::SeqCst);
    for p in phones {
        p.join().unwrap();
    }

    // The snapshot is whole, and is what its manifest says.
    let snapshot = out.join("depot.db");
    let conn = rusqlite::Connection::open(&snapshot).unwrap();
    assert_eq!(conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
    drop(conn);
    assert_eq!(manifest["snapshot"]["sha256"], common::sha(&std::fs::read(&snapshot).unwrap()));
    let saved = records_of(&snapshot);
    let last_seq = manifest["feed_last_seq"].as_i64().unwrap();
    assert_eq!(saved.len() as u64, manifest["records"].as_u64().unwrap());
    assert!(saved.iter().all(|r| r.3 <= last_seq), "a record past the snapshot's seq {last_seq}");
    assert!(saved.iter().any(|r| r.0 == "draft") && saved.iter().any(|r| r.0 == "order"));
    let keys: Vec<&str> = manifest["keys"].as_array().unwrap().iter().map(|k| k["path"].as_str().unwrap()).collect();
    assert!(keys.contains(&"tls/current.key.pem"), "{keys:?}");
    // The phones went on writing after it; every record the live store still holds at or
    // below the snapshot's seq is in the snapshot exactly as it is there.
    let live = server.records();
    assert!(server.next_seq() - 1 > last_seq, "the phones wrote nothing after the backup");
    for r in live.iter().filter(|r| r.3 <= last_seq) {
        assert!(saved.contains(r), "{r:?} changed at or before the snapshot's seq but is not in it");
    }

    // A new depot restored from it holds exactly the snapshot's records.
    let mut restored = Server::start();
    let said = restore_in_place(&mut restored, &out);
    assert!(said.contains(&format!("the feed up to seq {last_seq}")), "{said}");
    assert_eq!(restored.records(), saved);
    assert_eq!(restored.integrity(), "ok");
    // It serves them: operations enrolled on it pulls them.
    let ops_there = restored.device("operations", "ops2", None);
    let pulled: BTreeSet<(String, String)> = restored
        .pull_all(&ops_there)
        .iter()
        .map(|c| (c["kind"].as_str().unwrap().to_string(), c["id"].as_str().unwrap().to_string()))
        .collect();
    let orders_saved: BTreeSet<(String, String)> =
        saved.iter().filter(|r| r.0 == "order").map(|r| (r.0.clone(), r.1.clone())).collect();
    assert!(orders_saved.is_subset(&pulled));
}

/// Phones that synced after the backup hold cursors past its seq. Restored, the depot answers
/// them with a full re-sync: each phone ends level with it (what the depot lost leaves the
/// phone too), receives everything written after the restore, however much that is, and its
/// new changes are applied.
#[test]
fn phones_ahead_of_a_restored_depot_come_level_and_miss_nothing_written_after_it() {
    let mut server = Server::start();
    let ops = server.device("operations", "ops", None);
    let (a, a_id) = server.phone("artisan", "akinyi", None);
    let (b, b_id) = server.phone("artisan", "baraka", None);
    import_orders(&server, &ops, &a_id, 3);
    import_orders(&server, &ops, &b_id, 3);
    for p in [&a, &b] {
        p.create_draft(common::basket()).unwrap();
        p.sync_now(None).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("backup");
    let manifest = backup(&server, &out);
    let backup_seq = manifest["feed_last_seq"].as_i64().unwrap();

    // After the backup: new work on both phones and orders for them, all synced.
    let lost_order = import_orders(&server, &ops, &a_id, 2);
    for p in [&a, &b] {
        p.create_draft(common::basket()).unwrap();
        let first = p.list_orders().unwrap().into_iter().find(|o| o.commands.contains(&OrderCommand::Accept)).unwrap();
        p.order_command(&first.id, OrderCommand::Accept, None).unwrap();
        p.sync_now(None).unwrap();
    }
    assert!(phone_orders(&a).is_superset(&lost_order.iter().cloned().collect()));
    let head_before = server.next_seq() - 1;
    assert!(head_before > backup_seq);

    let said = restore_in_place(&mut server, &out);
    assert!(said.contains("re-sync in full"), "{said}");
    // More new changes than the phones' cursors lie past the backup: a cursor taken as it is
    // would skip the first of them.
    let ahead = (head_before - backup_seq) as usize;
    let new_a = import_orders(&server, &ops, &a_id, ahead + 3);
    let new_b = import_orders(&server, &ops, &b_id, ahead + 3);

    for (phone, id, new) in [(&a, &a_id, &new_a), (&b, &b_id, &new_b)] {
        phone.sync_now(None).unwrap();
        let orders = phone_orders(phone);
        for o in new {
            assert!(orders.contains(o), "order {o}, written after the restore, did not reach the phone");
        }
        // Level with the restored depot: nothing it lost stays on the phone as if synced.
        assert_eq!(orders, depot_ids(&server, "order", id));
        assert_eq!(phone_drafts(phone), depot_ids(&server, "draft", id));
        let statuses: Vec<(String, String)> = phone
            .list_orders()
            .unwrap()
            .into_iter()
            .map(|o| (o.id, fundi_sync::workflow::OrderStatus::code(o.server_status).to_string()))
            .collect();
        for (order, status) in statuses {
            let stored = server.records().into_iter().find(|r| r.0 == "order" && r.1 == order).unwrap();
            let body: Value = serde_json::from_str(&stored.4).unwrap();
            assert_eq!(body["status"], status.as_str(), "order {order}");
        }
    }
    assert!(!phone_orders(&a).contains(&lost_order[0]), "an order the restored depot does not hold stayed on the phone");

    // Their next changes reach the depot: the device counters go on.
    for (phone, id) in [(&a, &a_id), (&b, &b_id)] {
        let draft = phone.create_draft(common::basket()).unwrap().id;
        let order = phone.list_orders().unwrap().into_iter().find(|o| o.commands.contains(&OrderCommand::Accept)).unwrap().id;
        phone.order_command(&order, OrderCommand::Accept, None).unwrap();
        let report = phone.sync_now(None).unwrap();
        assert_eq!(report.refused, 0, "{report:?}");
        assert!(depot_ids(&server, "draft", id).contains(&draft));
        let stored = server.records().into_iter().find(|r| r.0 == "order" && r.1 == order).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&stored.4).unwrap()["status"], "accepted");
    }
    // And a second sync is an ordinary one, from the cursor the re-sync ended at.
    let report = a.sync_now(None).unwrap();
    assert_eq!(report.pulled, 0, "{report:?}");
}

/// A server with a draft whose photo arrived (a blob in the backup) and an upload left half done.
fn server_with_a_photo() -> (Server, Dev) {
    let server = Server::start();
    let artisan = server.device("artisan", "akinyi", None);
    let (photo, half) = (common::photo(1, 3000), common::photo(2, 3000));
    server.photo_draft(&artisan, &[&photo]);
    let loc = server.tus_start(&artisan, &photo);
    assert_eq!(server.tus_send(&artisan, &loc, &photo, 0, 1000).status, 204);
    server.photo_draft(&artisan, &[&half]);
    let loc = server.tus_start(&artisan, &half);
    assert_eq!(server.tus_patch(Some(&artisan), &loc, 0, &half[..1000], true).status, 204);
    (server, artisan)
}

#[test]
fn backups_and_restores_refuse_what_is_wrong_and_change_nothing() {
    let (server, _) = server_with_a_photo();
    let dir = tempfile::tempdir().unwrap();

    // Into a directory that exists: refused, and it stays as it was.
    let taken = dir.path().join("taken");
    std::fs::create_dir(&taken).unwrap();
    let err = server.cli_fails(&["backup", "--out", path(&taken)]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_dir(&taken).unwrap().count(), 0);

    let good = dir.path().join("good");
    let manifest = backup(&server, &good);
    assert_eq!((manifest["blobs"].as_u64(), manifest["blobs_missing"].as_array().map(Vec::len)), (Some(1), Some(1)));

    // Onto the data directory of a serving depot, even with --replace.
    let err = restore_fails(&good, &server.data_dir(), &["--replace"]);
    assert!(err.contains("a depot is serving"), "{err}");

    // A restore of the good backup works; onto it again without --replace, refused.
    let target = dir.path().join("restored");
    restore(&good, &target, &[]);
    let conn = rusqlite::Connection::open(target.join("depot.db")).unwrap();
    let unfinished: i64 = conn.query_row("SELECT COUNT(*) FROM uploads WHERE finished_ms IS NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(unfinished, 0, "an unfinished upload's bytes are not in a backup; its row must go too");
    drop(conn);
    let before = std::fs::read(target.join("depot.db")).unwrap();
    let err = restore_fails(&good, &target, &[]);
    assert!(err.contains("already holds a depot store"), "{err}");
    assert_eq!(std::fs::read(target.join("depot.db")).unwrap(), before);

    // Tampered: a byte of the snapshot, a blob, a key; a truncated manifest; a manifest of a
    // format this depot does not read.
    let tamper = |name: &str, file: &str, change: &dyn Fn(&mut Vec<u8>)| {
        let copy = dir.path().join(name);
        copy_dir(&good, &copy);
        let file = copy.join(file);
        let mut bytes = std::fs::read(&file).unwrap();
        change(&mut bytes);
        std::fs::write(&file, bytes).unwrap();
        copy
    };
    let blob = manifest["blobs_missing"][0].as_str().unwrap(); // not this one: find the one held
    let held = walk_files(&good.join("blobs"));
    assert_eq!(held.len(), 1);
    assert_ne!(held[0].file_name().unwrap().to_str().unwrap(), blob);
    let blob_file = held[0].strip_prefix(&good).unwrap().to_str().unwrap().to_string();
    let flip = |b: &mut Vec<u8>| {
        let at = b.len() / 2;
        b[at] ^= 0x55;
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (tamper("snapshot", "depot.db", &flip), "does not match its manifest"),
        (tamper("blob", &blob_file, &flip), "does not match its manifest"),
        (tamper("key", "tls/current.key.pem", &flip), "does not match its manifest"),
        (tamper("truncated", "manifest.json", &|b| b.truncate(b.len() / 2)), "is not a whole backup"),
        (
            tamper("format", "manifest.json", &|b| {
                *b = String::from_utf8(b.clone()).unwrap().replace("\"format\": 1", "\"format\": 9").into_bytes()
            }),
            "manifest format 9",
        ),
    ];
    for (i, (from, says)) in cases.iter().enumerate() {
        let err = restore_fails(from, &dir.path().join(format!("refused-{i}")), &[]);
        assert!(err.contains(says), "{}: {err}", from.display());
    }
    // Onto a store with --replace: the old one is moved aside, not deleted.
    restore(&good, &target, &["--replace"]);
    let aside: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("restored.replaced-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(std::fs::read(aside[0].join("depot.db")).unwrap(), before);
    // Nothing but the restored and the replaced stores is left beside them.
    let names: BTreeSet<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A store at the schema version before this depot's: the depot's own migrations but the last.
fn older_store(dir: &Path) -> u32 {
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/migrations/sqlite");
    let mut files: Vec<PathBuf> = std::fs::read_dir(migrations).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.pop();
    std::fs::create_dir_all(dir).unwrap();
    let conn = rusqlite::Connection::open(dir.join("depot.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    for f in &files {
        conn.execute_batch(&std::fs::read_to_string(f).unwrap()).unwrap();
    }
    conn.execute("INSERT INTO meta (id, node, next_seq) VALUES (1, 7, 1)", []).unwrap();
    conn.pragma_update(None, "user_version", files.len() as u32).unwrap();
    files.len() as u32
}

#[test]
fn migrate_says_from_which_version_check_tells_by_its_exit_status_and_a_newer_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("depot");
    let old = older_store(&data);
    let new = old + 1;
    let run = |args: &[&str]| depot(&[args, &["--data-dir", path(&data)]].concat());

    let check = run(&["migrate", "--check"]);
    assert_eq!(check.status.code(), Some(2), "{check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains(&format!("schema version {old}; this depot writes {new}")));
    // A backup of the older store, before migrating it: its restore migrates it.
    let out = dir.path().join("before-migrating");
    assert!(run(&["backup", "--out", path(&out)]).status.success());

    let migrate = run(&["migrate"]);
    assert!(migrate.status.success(), "{migrate:?}");
    assert!(String::from_utf8_lossy(&migrate.stdout).contains(&format!("from schema version {old} to {new}")));
    assert_eq!(run(&["migrate", "--check"]).status.code(), Some(0));

    let restored = dir.path().join("restored");
    assert!(restore(&out, &restored, &[]).contains(&format!("migrated the store from schema version {old} to {new}")));
    assert_eq!(run(&["migrate", "--check"]).status.code(), Some(0));

    // Written by a newer depot: refused, with the typed code, and not changed.
    rusqlite::Connection::open(data.join("depot.db")).unwrap().pragma_update(None, "user_version", new + 1).unwrap();
    let bytes = std::fs::read(data.join("depot.db")).unwrap();
    for args in [&["migrate"][..], &["migrate", "--check"], &["backup", "--out", path(&dir.path().join("newer"))]] {
        let refused = run(args);
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&refused.stderr);
        assert!(err.contains("newer_schema") && err.contains(&format!("schema version {}", new + 1)), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read(data.join("depot.db")).unwrap(), bytes);
    assert!(!dir.path().join("newer").exists());

    // No store at all: said so, and none is made.
    let none = dir.path().join("none");
    let refused = depot(&["migrate", "--data-dir", path(&none)]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no depot store"), "{refused:?}");
    assert!(!none.exists());
}

/// A backup killed midway (at each step after its snapshot) leaves no directory under its
/// name, and what it left is no backup `restore` takes; the next backup clears it away.
#[test]
fn a_backup_killed_midway_leaves_nothing_restore_accepts() {
    let (server, _) = server_with_a_photo();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nightly");
    for point in ["backup:snapshot", "backup:blobs"] {
        let killed = Command::new(BIN)
            .args(["backup", "--out", path(&out), "--data-dir", path(&server.data_dir())])
            .env(fundi_sqlite::crash_point::ENV_AT, point)
            .output()
            .unwrap();
        assert!(!killed.status.success() && killed.status.code().is_none(), "{point}: not killed: {killed:?}");
        assert!(!out.exists(), "{point}: a killed backup left its output directory");
        let left: Vec<PathBuf> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(left.len(), 1, "{point}: {left:?}");
        assert!(left[0].join("depot.db").exists(), "{point}: killed before its snapshot");
        let err = restore_fails(&left[0], &dir.path().join("restored"), &[]);
        assert!(err.contains("is not a whole backup"), "{point}: {err}");
        let err = restore_fails(&out, &dir.path().join("restored"), &[]);
        assert!(err.contains("is not a whole backup"), "{point}: {err}");
    }
    backup(&server, &out);
    let left: Vec<PathBuf> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(left, vec![out.clone()], "the leftovers were cleared");
    restore(&out, &dir.path().join("restored"), &[]);
}
