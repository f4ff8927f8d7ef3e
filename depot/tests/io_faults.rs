//! I/O faults at the depot and on a syncing phone (issue 14, item 8): the disk fills up, or
//! fails, at each write SQLite makes in turn (`fundi_sqlite::testing::fault_vfs`).
//!
//! The depot runs inside this test process, so that its SQLite file goes through the fault
//! VFS: its own `store` and `http` modules are compiled here from their files (`#[path]`, as
//! `fuzz/` does; the depot is a binary crate), its router is served on a loopback port, and
//! real phones (`fundi_core::Store`, each with its own file) sync with it over HTTP. The
//! depot's binary holds none of this. (The modules' own unit tests run here a second time.)
//!
//! - `a_push_on_a_full_or_failing_depot_disk_applies_nothing_and_the_retry_applies_it_once`:
//!   an operations phone's batch (a draft field, an order command, two stock entries) meets a
//!   depot whose n-th write fails. The phone gets the depot's typed answer (507
//!   `storage_full`, 500 `storage_error`) as a typed error and keeps every outbox item; the
//!   depot's tables (records, change feed, stored answers, the device's counter) are as they
//!   were. Once the fault is gone the same phone's next sync applies the batch, each mutation
//!   once.
//! - `enrollment_and_token_rotation_on_a_full_or_failing_depot_disk`: the enrollment code is
//!   not used up and no device is created; the old token keeps working; both succeed once
//!   the fault is gone.
//! - `a_sync_on_a_full_or_failing_phone_disk_applies_each_step_whole_or_not_at_all`: the
//!   phone's n-th write fails during a sync that settles acknowledgements (an order command,
//!   a new draft) and applies a pulled page (new orders, a draft edited on the account's other
//!   phone). A typed error; each outbox item still queued or applied at the depot; the order
//!   command settled together with its acknowledgement; the page applied whole with its
//!   cursor, or not at all. The next sync, on the same handle or a reopened one, brings the
//!   phone level with the depot.

#[allow(dead_code)]
#[path = "../src/http/mod.rs"]
mod http;
#[allow(dead_code)]
#[path = "../src/store/mod.rs"]
mod store;
// The store's payouts read phone numbers and amounts with the M-Pesa module's types.
#[allow(dead_code)]
#[path = "../src/mpesa/mod.rs"]
mod mpesa;
// The router serves the sales statement.
#[allow(dead_code)]
#[path = "../src/statement/mod.rs"]
mod statement;
// The router serves the M&E reports (`http::reports`).
#[allow(dead_code)]
#[path = "../src/reports/mod.rs"]
mod reports;

use fundi_core::drafts::{Category, DraftPatch, NewDraft};
use fundi_core::replica::SyncError;
use fundi_core::storage::StorageError;
use fundi_core::{Error, Store};
use fundi_sqlite::testing::fault_vfs::{self, Fault, Plan};
use fundi_sqlite::testing::{contents_diff, contents_without};
use fundi_sync::workflow::{OrderCommand, OrderStatus};
use fundi_sync::{DraftBody, OrderBody, Role};
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::accounts::{self, Caller, NewEnrollment};
use store::orders::NewOrder;
use store::Db;

/// A disk that fills up at the n-th write (and stays full until space is freed), and a disk
/// that fails the n-th write once.
const WRITE_FAULTS: [fn(u64) -> Plan; 2] = [Plan::disk_full, Plan::io_error];

/// What the depot answers when its disk does `fault`: (HTTP status, error code).
fn depot_answer(fault: Fault) -> (u16, &'static str) {
    match fault {
        Fault::DiskFull => (507, "storage_full"),
        Fault::IoError => (500, "storage_error"),
    }
}

fn expect_depot_answer<T: std::fmt::Debug>(result: &fundi_core::Result<T>, fault: Fault, ctx: &str) {
    let (status, code) = depot_answer(fault);
    match result {
        Err(Error::Sync(SyncError::Server { status: s, code: c, .. })) if *s == status && c == code => {}
        other => panic!("{ctx}: expected the depot's {status} {code}, got {other:?}"),
    }
}

fn expect_phone_error<T: std::fmt::Debug>(result: &fundi_core::Result<T>, fault: Fault, ctx: &str) {
    match (result, fault) {
        (Err(Error::Storage(StorageError::Full)), Fault::DiskFull)
        | (Err(Error::Storage(StorageError::Io(_))), Fault::IoError) => {}
        (other, _) => panic!("{ctx}: expected the typed storage error of {fault:?}, got {other:?}"),
    }
}

/// The depot's store and router in this process, on a loopback port.
struct Depot {
    /// First, so the server stops before the rest goes.
    _runtime: tokio::runtime::Runtime,
    db: Arc<Db>,
    url: String,
    /// The depot's SQLite file (what the faults are armed on).
    file: PathBuf,
    /// The key it serves over TLS (phones pin it; raw enrollments bind to it).
    key: fundi_sync::identity::KeyFingerprint,
    dir: tempfile::TempDir,
}

impl Depot {
    fn start() -> Depot {
        // Before any file is opened: every connection of the process then goes through it.
        fault_vfs::install();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("depot");
        let db = Arc::new(Db::open(&data).unwrap());
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        // Over TLS with the depot's own key, as `serve` does.
        let tls = http::tls::DepotKey::current(&data).unwrap();
        let identity = http::Identity { fingerprint: tls.fingerprint.clone(), next_key: None, tls: true };
        let config = tls.server_config().unwrap();
        let listener = runtime.block_on(async {
            let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            http::tls::TlsListener::new(tcp, config).unwrap()
        });
        let url = format!("https://{}", axum::serve::Listener::local_addr(&listener).unwrap());
        let app =
            http::router(db.clone(), http::MAX_BODY, identity, None).into_make_service_with_connect_info::<http::tls::PeerAddr>();
        runtime.spawn(async move { axum::serve(listener, app).await });
        Depot { _runtime: runtime, db, url, file: data.join(store::DB_FILE), key: tls.fingerprint, dir }
    }

    /// A new account and its enrollment code, as `fundi-depot enroll` makes them.
    fn account(&self, role: Role, name: &str) -> (String, String) {
        let request = NewEnrollment { role, name: name.into(), mentor_id: None, depot_id: None };
        let e = self.db.write(|tx| accounts::enroll(tx, &Caller::local_operator(), request)).unwrap();
        (e.account_id, e.code)
    }

    fn phone_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.db"))
    }

    /// A phone of a new account of `role`, enrolled over HTTPS: (phone, account id).
    fn phone(&self, role: Role, name: &str) -> (Store, String) {
        let (account, code) = self.account(role, name);
        let store = Store::open(self.phone_path(name)).unwrap();
        store.enroll_device(&self.url, &code).unwrap();
        (store, account)
    }

    /// Import one order, assigned to `artisan` if given, as operations do.
    fn import_order(&self, reference: &str, artisan: Option<&str>) -> String {
        let order = NewOrder {
            source: "shop".into(),
            external_ref: reference.into(),
            product: "Kiondo".into(),
            quantity: 1,
            price_minor: 250_000,
            artisan_id: artisan.map(String::from),
            due_date: None,
            product_id: None,
        };
        store::orders::import(&self.db, &Caller::local_operator(), &[order]).unwrap().created.remove(0)
    }

    /// Every row of the depot's file, read with a connection of its own, integrity checked.
    /// When a phone was last seen is left out: the request's authentication records it in a
    /// transaction of its own, before the write that fails (the phone did reach the depot).
    fn contents(&self) -> BTreeMap<String, Vec<String>> {
        let conn = Connection::open(&self.file).unwrap();
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok");
        contents_without(&conn, &[("devices", "last_seen_ms")])
    }

    fn query<T: store::sql::FromValue>(&self, sql: &str, arg: &str) -> T {
        self.db.read(|tx| Ok(tx.query_row(sql, [arg], |r| r.get(0))?)).unwrap()
    }

    /// The last counter the depot applied for `device`.
    fn last_counter(&self, device: &str) -> u64 {
        self.query::<i64>("SELECT last_counter FROM devices WHERE device_id = ?1", device) as u64
    }

    /// The change feed's next number (every stored change takes one).
    fn next_seq(&self) -> i64 {
        self.db.read(|tx| Ok(tx.query_row("SELECT next_seq FROM meta", [], |r| r.get(0))?)).unwrap()
    }

    /// The stored records of `kind` owned by `owner`: id and body.
    fn records(&self, kind: &str, owner: &str) -> Vec<(String, Value)> {
        self.db
            .read(|tx| {
                let mut s = tx.prepare("SELECT id, body FROM records WHERE kind = ?1 AND owner = ?2 ORDER BY id")?;
                let rows = s.query_map([kind, owner], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
                Ok(rows.map(|r| r.map(|(id, body)| (id, serde_json::from_str(&body).unwrap()))).collect::<Result<_, _>>()?)
            })
            .unwrap()
    }
}

/// Fails with the rows that differ, unless `after` equals `before`.
fn assert_same(before: &BTreeMap<String, Vec<String>>, after: &BTreeMap<String, Vec<String>>, what: &str) {
    let diff = contents_diff(before, after);
    assert!(diff.is_empty(), "{what}:\n{diff}");
}

fn basket(title: &str) -> NewDraft {
    NewDraft {
        title: title.into(),
        description: "Sisal basket".into(),
        materials: vec!["sisal".into()],
        category: Category::Baskets,
        price_minor: 250_000,
        weekly_capacity: 4,
    }
}

/// The counters of the phone's outbox items.
fn counters(phone: &Store) -> Vec<u64> {
    phone.outbox_items().unwrap().into_iter().map(|i| i.counter).collect()
}

#[test]
fn a_push_on_a_full_or_failing_depot_disk_applies_nothing_and_the_retry_applies_it_once() {
    let depot = Depot::start();
    let (artisan, _) = depot.phone(Role::Artisan, "artisan");
    let (ops, _) = depot.phone(Role::Operations, "ops");
    let ops_device = ops.device_id().unwrap();
    let product = artisan.create_draft(basket("Kiondo")).unwrap().id;
    artisan.sync_now(None).unwrap();
    let (mut seq, mut failed) = (0, 0);
    for fault in WRITE_FAULTS {
        for n in 1.. {
            seq += 1;
            // The batch: a draft field, an order command and two stock entries.
            let order = depot.import_order(&format!("P-{seq}"), None);
            ops.sync_now(None).unwrap();
            ops.set_reviewed_draft_field(&product, "price", json!(200_000 + seq)).unwrap();
            ops.order_command(&order, OrderCommand::Cancel, None).unwrap();
            ops.record_stock(&product, 5, "received").unwrap();
            ops.record_stock(&product, -2, "sold").unwrap();
            let queued = counters(&ops);
            assert_eq!(queued.len(), 4);
            let (before, seq_before) = (depot.contents(), depot.next_seq());

            let plan = fault(n);
            let ctx = format!("push, {plan:?}");
            let armed = fault_vfs::arm(&depot.file, plan);
            let result = ops.sync_now(None);
            let fired = armed.fired();
            drop(armed);
            let during = depot.contents();
            if !fired {
                let report = result.unwrap_or_else(|e| panic!("{ctx}: the fault was not reached, yet: {e}"));
                assert_eq!((report.pushed, report.refused), (4, 0), "{ctx}");
                break;
            }
            failed += 1;
            expect_depot_answer(&result, plan.fault, &ctx);
            assert_eq!(counters(&ops), queued, "{ctx}: the phone's outbox lost an item");

            // Space is back: the same phone's next sync.
            let report = ops.sync_now(None).unwrap_or_else(|e| panic!("{ctx}: once the fault is gone: {e}"));
            assert!(counters(&ops).is_empty(), "{ctx}");
            if during == before {
                assert_eq!((report.pushed, report.refused), (4, 0), "{ctx}: the retry applies the batch");
            } else {
                // Committed although the answer was an error: then whole, and the retry a replay.
                assert_same(&during, &depot.contents(), &format!("{ctx}: part of the batch was applied"));
            }
            // Each mutation once: one change-feed entry each, the device's counter at the last.
            assert_eq!(depot.next_seq() - seq_before, 4, "{ctx}");
            assert_eq!(depot.last_counter(&ops_device), *queued.last().unwrap(), "{ctx}");
            let stock: i64 = ops.stock_levels().unwrap().iter().filter(|l| l.product_id == product).map(|l| l.quantity).sum();
            assert_eq!(stock, 3 * seq, "{ctx}: the stock entries counted once each");
            let status: String = depot.query("SELECT json_extract(body, '$.status') FROM records WHERE id = ?1", &order);
            assert_eq!(status, OrderStatus::Cancelled.code(), "{ctx}");
        }
    }
    println!("pushes that met a failed write: {failed}");
    assert!(failed >= 8, "only {failed} runs reached a fault");
}

/// One raw request to the depot: (status, JSON body).
fn call(depot: &Depot, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    // Not a phone: it accepts the depot's self-signed certificate (pinning is tested in tls.rs).
    let client = reqwest::blocking::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
    let url = format!("{}{path}", depot.url);
    let mut req = match &body {
        Some(b) => client.post(url).header("content-type", "application/json").body(b.to_string()),
        None => client.get(url),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")))
}

/// The enrollment exchange by hand (`fundi_sync::enrollment`), bound to the depot's key: the
/// finish request's (status, body).
fn enroll_raw(depot: &Depot, code: &str, device: &str) -> (u16, Value) {
    let (phone, start) = fundi_sync::enrollment::PhoneEnrollment::start(code).unwrap();
    let (status, v) = call(depot, "/v1/enroll/start", None, Some(serde_json::to_value(start).unwrap()));
    assert_eq!(status, 200, "{v}");
    let reply = serde_json::from_value(v).unwrap();
    let (_, finish) = phone.finish(&reply, &depot.key, device).unwrap();
    call(depot, "/v1/enroll/finish", None, Some(serde_json::to_value(finish).unwrap()))
}

#[test]
fn enrollment_and_token_rotation_on_a_full_or_failing_depot_disk() {
    let depot = Depot::start();
    let (mut seq, mut enrollments, mut rotations) = (0, 0, 0);
    for fault in WRITE_FAULTS {
        // A phone exchanges its enrollment code while the depot's n-th write fails.
        for n in 1.. {
            seq += 1;
            let name = format!("enrolling-{seq}");
            let (_, code) = depot.account(Role::Artisan, &name);
            let phone = Store::open(depot.phone_path(&name)).unwrap();
            let before = depot.contents();
            let plan = fault(n);
            let ctx = format!("enroll, {plan:?}");
            let armed = fault_vfs::arm(&depot.file, plan);
            let result = phone.enroll_device(&depot.url, &code);
            let fired = armed.fired();
            drop(armed);
            let during = depot.contents();
            if !fired {
                result.unwrap_or_else(|e| panic!("{ctx}: the fault was not reached, yet: {e}"));
                break;
            }
            enrollments += 1;
            expect_depot_answer(&result, plan.fault, &ctx);
            assert_same(&before, &during, &format!("{ctx}: the code was used up, or a device stored"));
            assert!(matches!(phone.sync_now(None), Err(Error::Sync(SyncError::NotEnrolled))), "{ctx}");
            phone.enroll_device(&depot.url, &code).unwrap_or_else(|e| panic!("{ctx}: once the fault is gone: {e}"));
            phone.sync_now(None).unwrap();
        }
        // A device asks for its next token while the depot's n-th write fails.
        for n in 1.. {
            seq += 1;
            let (_, code) = depot.account(Role::Artisan, &format!("rotating-{seq}"));
            let device = fundi_sync::ids::new_id();
            let (status, v) = enroll_raw(&depot, &code, &device);
            assert_eq!(status, 200, "{v}");
            let token = v["token"].as_str().unwrap().to_string();
            let before = depot.contents();
            let plan = fault(n);
            let ctx = format!("rotate, {plan:?}");
            let armed = fault_vfs::arm(&depot.file, plan);
            let (status, v) = call(&depot, "/v1/token", Some(&token), Some(json!({})));
            let fired = armed.fired();
            drop(armed);
            let during = depot.contents();
            if !fired {
                assert_eq!(status, 200, "{ctx}: {v}");
                break;
            }
            rotations += 1;
            let (want_status, want_code) = depot_answer(plan.fault);
            assert_eq!((status, v["error"].as_str()), (want_status, Some(want_code)), "{ctx}: {v}");
            assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()), "{ctx}: {v}");
            assert_same(&before, &during, &format!("{ctx}: a token was half issued"));
            assert_eq!(call(&depot, "/v1/me", Some(&token), None).0, 200, "{ctx}: the current token stopped working");
            let (status, v) = call(&depot, "/v1/token", Some(&token), Some(json!({})));
            assert_eq!(status, 200, "{ctx}: once the fault is gone: {v}");
            let next = v["token"].as_str().unwrap();
            assert_eq!(call(&depot, "/v1/me", Some(next), None).0, 200, "{ctx}");
        }
    }
    println!("enrollments that met a failed write: {enrollments}, token rotations: {rotations}");
    assert!(enrollments >= 4 && rotations >= 4, "only {enrollments} enrollments and {rotations} rotations reached a fault");
}

fn cursor_of(phone: &Path) -> i64 {
    Connection::open(phone).unwrap().query_row("SELECT cursor FROM sync_state", [], |r| r.get(0)).unwrap()
}

fn integrity_of(phone: &Path) -> String {
    Connection::open(phone).unwrap().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

/// The phone holds what the depot holds for its account: nothing left to send, every order
/// with the depot's status, every draft with the depot's title.
fn assert_level(depot: &Depot, phone: &Store, account: &str, ctx: &str) {
    assert_eq!(counters(phone), Vec::<u64>::new(), "{ctx}: changes left unsent");
    for (id, body) in depot.records("order", account) {
        let order: OrderBody = serde_json::from_value(body).unwrap();
        let held = phone.get_order(&id).unwrap_or_else(|e| panic!("{ctx}: order {id} missing: {e}"));
        assert_eq!(held.server_status.code(), order.status, "{ctx}: order {id}");
    }
    for (id, body) in depot.records("draft", account) {
        let draft: DraftBody = serde_json::from_value(body).unwrap();
        let held = phone.get_draft(&id).unwrap_or_else(|e| panic!("{ctx}: draft {id} missing: {e}"));
        assert_eq!(Some(held.title.as_str()), draft.doc.value("title").and_then(Value::as_str), "{ctx}: draft {id}");
    }
}

#[test]
fn a_sync_on_a_full_or_failing_phone_disk_applies_each_step_whole_or_not_at_all() {
    let depot = Depot::start();
    let (mut phone, account) = depot.phone(Role::Artisan, "artisan");
    let path = depot.phone_path("artisan");
    let device = phone.device_id().unwrap();
    // The account's other phone, whose edits this one pulls.
    let code = depot.db.write(|tx| accounts::replacement_code(tx, &Caller::local_operator(), &account)).unwrap().code;
    let twin = Store::open(depot.phone_path("twin")).unwrap();
    twin.enroll_device(&depot.url, &code).unwrap();
    let shared = phone.create_draft(basket("Shared")).unwrap().id;
    depot.import_order("S-0", Some(&account));
    phone.sync_now(None).unwrap();
    twin.sync_now(None).unwrap();
    let (mut seq, mut failed) = (0, 0);
    for fault in WRITE_FAULTS {
        for n in 1.. {
            seq += 1;
            // To pull: two new orders for this artisan, and the twin's edit of a draft.
            let orders = [
                depot.import_order(&format!("S-{seq}-a"), Some(&account)),
                depot.import_order(&format!("S-{seq}-b"), Some(&account)),
            ];
            let title = format!("Shared, edited on the twin {seq}");
            twin.update_draft(&shared, DraftPatch { title: Some(title.clone()), ..Default::default() }).unwrap();
            twin.sync_now(None).unwrap();
            // To push, and settle once acknowledged: a new draft, and accepting an order.
            phone.create_draft(basket(&format!("New {seq}"))).unwrap();
            let assigned = phone.list_orders().unwrap().into_iter().find(|o| o.status == OrderStatus::Assigned);
            let accepted = assigned.expect("an order waits, from before or from the previous run").id;
            phone.order_command(&accepted, OrderCommand::Accept, None).unwrap();
            let queued = counters(&phone);
            let cursor = cursor_of(&path);

            let plan = fault(n);
            let ctx = format!("sync, {plan:?}");
            let armed = fault_vfs::arm(&path, plan);
            let result = phone.sync_now(None);
            let fired = armed.fired();
            drop(armed);
            assert_eq!(integrity_of(&path), "ok", "{ctx}");
            if !fired {
                result.unwrap_or_else(|e| panic!("{ctx}: the fault was not reached, yet: {e}"));
                assert_level(&depot, &phone, &account, &ctx);
                break;
            }
            failed += 1;
            // Only the record of the sync's outcome may fail without the sync failing.
            if result.is_err() {
                expect_phone_error(&result, plan.fault, &ctx);
            }

            // No outbox item lost: each is still queued, or applied at the depot.
            let (still, applied) = (counters(&phone), depot.last_counter(&device));
            for c in &queued {
                assert!(still.contains(c) || *c <= applied, "{ctx}: item {c} neither queued nor at the depot ({applied})");
            }
            assert!(still.iter().all(|c| queued.contains(c)), "{ctx}: {still:?} after {queued:?}");
            // The accept is settled (the order's depot status here) with its acknowledgement.
            let order = phone.get_order(&accepted).unwrap();
            let acknowledged = order.pending_commands.is_empty();
            assert_eq!(acknowledged, order.server_status == OrderStatus::Accepted, "{ctx}: {order:?}");
            // The pulled page: applied whole with its cursor, or not at all.
            let moved = cursor_of(&path) != cursor;
            let mut held: Vec<bool> = orders.iter().map(|id| phone.get_order(id).is_ok()).collect();
            held.push(phone.get_draft(&shared).unwrap().title == title);
            assert!(held.iter().all(|h| *h == moved), "{ctx}: the cursor moved: {moved}, the page's records held: {held:?}");
            if result.is_ok() {
                assert!(moved && still.is_empty(), "{ctx}: the sync said ok, yet it is not done");
            }

            // Space is back: the same handle syncs, or every few runs one opened anew.
            if n % 4 == 0 {
                phone.close().unwrap();
                phone = Store::open(&path).unwrap();
            }
            phone.sync_now(None).unwrap_or_else(|e| panic!("{ctx}: once the fault is gone: {e}"));
            assert_level(&depot, &phone, &account, &ctx);
        }
    }
    println!("syncs that met a failed write: {failed}");
    assert!(failed >= 8, "only {failed} runs reached a fault");
}
