//! Crash safety: a phone process is killed with SIGKILL at random points while it syncs, many
//! times over, then restarted. Every edit made on the phone must reach the depot (0 lost), and
//! nothing may take effect twice (0 duplicates: stock sums exactly, no command refused as a
//! replay, the outbox drains).
//!
//! The phone process is this test binary re-run with `FUNDI_PHONE_DB` set (see `phone_process`).

mod common;
use common::Server;
use fundi_core::drafts::{Category, DraftPatch, NewDraft};
use fundi_core::Store;
use fundi_sync::workflow::{OrderCommand, OrderStatus};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

/// In the child process: open the phone database and sync a few times, as the app's
/// background job would. Does nothing in a normal test run.
#[test]
fn phone_process() {
    let Ok(db) = std::env::var("FUNDI_PHONE_DB") else { return };
    let store = Store::open(&db).unwrap();
    // Sync until killed (later rounds are no-op syncs: the kill can land anywhere).
    loop {
        let _ = store.sync_now(None);
    }
}

fn spawn_phone(db: &std::path::Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "phone_process", "--test-threads", "1", "--quiet"])
        .env("FUNDI_PHONE_DB", db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

use fundi_sync::testing::SeededRng as Rng;

#[test]
fn sigkill_during_sync_loses_nothing_and_duplicates_nothing() {
    let server = Server::start();
    let (artisan_id, code) = server.account("artisan", "akinyi", None);
    let (_, staff_code) = server.account("staff", "staff", None);
    let dir = tempfile::tempdir().unwrap();
    let phone_db = dir.path().join("phone.db");
    let staff_db = dir.path().join("staff.db");
    Store::open(&phone_db).unwrap().enroll_device(&server.url, &code).unwrap();
    Store::open(&staff_db).unwrap().enroll_device(&server.url, &staff_code).unwrap();
    let csv: String = (0..20).map(|i| format!("shop,C-{i},Item {i},1,1000,{artisan_id}\n")).collect();
    server.import_csv(&format!("source,external_ref,product,quantity,price_minor,artisan_id\n{csv}"));
    Store::open(&phone_db).unwrap().sync_now(None).unwrap();

    let mut rng = Rng(42);
    let mut expected_prices: BTreeMap<String, i64> = BTreeMap::new();
    let mut expected_orders: BTreeMap<String, OrderStatus> = BTreeMap::new();
    let mut stock_total = 0i64;
    let mut product = None;
    let path = [OrderCommand::Accept, OrderCommand::StartProduction, OrderCommand::MarkReady];
    let mut kills = 0;
    for round in 0..30 {
        {
            // Offline edits on the phone: new drafts, price changes, order commands.
            let phone = Store::open(&phone_db).unwrap();
            for i in 0..4 {
                let d = phone
                    .create_draft(NewDraft {
                        title: format!("Item {round}-{i}"),
                        description: String::new(),
                        materials: vec![],
                        category: Category::Other,
                        price_minor: 1000 + round * 10 + i,
                        weekly_capacity: 1,
                    })
                    .unwrap();
                expected_prices.insert(d.id.clone(), d.price.minor);
                product.get_or_insert(d.id);
            }
            let ids: Vec<String> = expected_prices.keys().cloned().collect();
            for _ in 0..3 {
                let id = &ids[rng.below(ids.len() as u64) as usize];
                let price = 5000 + rng.below(100_000) as i64;
                phone.update_draft(id, DraftPatch { price_minor: Some(price), ..Default::default() }).unwrap();
                expected_prices.insert(id.clone(), price);
            }
            for o in phone.list_orders().unwrap() {
                let step = path.iter().position(|_| true).and_then(|_| match o.status {
                    OrderStatus::Assigned => Some(path[0]),
                    OrderStatus::Accepted => Some(path[1]),
                    OrderStatus::InProduction => Some(path[2]),
                    _ => None,
                });
                if let Some(cmd) = step.filter(|_| rng.below(3) == 0) {
                    let v = phone.order_command(&o.id, cmd, None).unwrap();
                    expected_orders.insert(o.id.clone(), v.status);
                }
            }
            phone.close().unwrap();
            if let Some(p) = &product {
                let staff = Store::open(&staff_db).unwrap();
                if round > 0 {
                    staff.record_stock(p, 1 + round, "received").unwrap();
                    stock_total += 1 + round;
                }
                staff.close().unwrap();
            }
        }
        for db in [&phone_db, &staff_db] {
            let mut child = spawn_phone(db);
            std::thread::sleep(Duration::from_millis(rng.below(60)));
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
            // Killed before its outbox was acknowledged: the interesting case.
            if Store::open(db).unwrap().pending_count().unwrap() > 0 {
                kills += 1;
            }
        }
    }
    println!("{kills} of 60 kills landed before the outbox was acknowledged");
    assert!(kills >= 5, "only {kills} of 60 kills landed before the outbox was acknowledged");

    // Restart both phones and let them finish.
    let phone = Store::open(&phone_db).unwrap();
    let staff = Store::open(&staff_db).unwrap();
    for s in [&phone, &staff, &phone, &staff] {
        s.sync_now(None).unwrap();
    }
    for s in [&phone, &staff] {
        assert_eq!(s.pending_count().unwrap(), 0, "everything acknowledged, nothing wedged");
        assert!(s.list_conflicts().unwrap().is_empty());
    }
    // The depot has every edit, once.
    let ops = server.device("operations", "ops", None);
    let all = server.pull_all(&ops);
    assert_eq!(all.iter().filter(|c| c["kind"] == "rejection").count(), 0, "no replay was refused as a duplicate command");
    let drafts: BTreeMap<String, i64> = all
        .iter()
        .filter(|c| c["kind"] == "draft")
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["body"]["doc"]["fields"]["price"]["value"].as_i64().unwrap()))
        .collect();
    assert_eq!(drafts, expected_prices, "0 lost edits");
    for (id, status) in &expected_orders {
        let o = all.iter().find(|c| c["id"] == id.as_str()).unwrap();
        assert_eq!(o["body"]["status"], status.code(), "order {id}");
    }
    let stock: i64 = all.iter().filter(|c| c["kind"] == "stock").map(|c| c["body"]["entry"]["delta"].as_i64().unwrap()).sum();
    assert_eq!(stock, stock_total, "each stock movement counted exactly once");
    assert_eq!(staff.stock_levels().unwrap()[0].quantity, stock_total);
}
