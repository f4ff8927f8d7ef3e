//! Sync figures on this machine, over loopback, with the SQLite store: a real `fundi-depot serve`
//! process holding 500 artisans, 2,000 products and 10,000 orders, and real phone stores.
//! Prints wall time, round trips and bytes on the wire for a fresh phone's first sync, a no-op
//! sync and incremental syncs of 100 changed records, and the pushes per second the depot
//! sustains with 50 phones syncing at once. Run: `cargo bench -p fundi-depot --bench sync`.
//! Everything runs over TLS, as phones do (ADR 0011). Bytes are counted at the socket: each
//! measured phone talks to the depot through a loopback TCP proxy that counts what crosses it
//! both ways (TLS records and handshakes included) and the TCP connections opened, not
//! estimated by the phone. The no-op sync is measured twice, side by side: with a full TLS
//! handshake (sessions forgotten first, as after the app's process was killed) and resumed.
//! Figures are measured, never asserted: targets are printed next to them.

#[path = "../tests/common/mod.rs"]
mod common;

use common::proxy::CountingProxy;
use common::{field_write, Dev, Server};
use fundi_core::drafts::DraftPatch;
use fundi_core::replica::SyncReport;
use fundi_core::Store;
use serde_json::json;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

const ARTISANS: usize = 500;
const PRODUCTS_PER_ARTISAN: usize = 4;
const ORDERS: usize = 10_000;

/// Sync `phone` (which talks through `proxy`) and print its row, bytes as counted at the socket.
fn measured(name: &str, phone: &Store, proxy: &CountingProxy, records: impl Fn(&SyncReport) -> u32, target: &str) {
    let before = proxy.totals();
    let t = Instant::now();
    let r = phone.sync_now(None).unwrap();
    let ms = t.elapsed().as_secs_f64() * 1e3;
    // The proxy's threads may still be copying the last answer's final bytes.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let after = proxy.totals();
    let (sent, received, conns) = (after.0 - before.0, after.1 - before.1, after.2 - before.2);
    let records = records(&r);
    let per = if records > 0 { format!("{:.0}", (sent + received) as f64 / records as f64) } else { "-".into() };
    println!(
        "| {name:<44} | {ms:>9.1} | {:>5} | {conns:>5} | {sent:>9} | {received:>10} | {records:>7} | {per:>8} | {target}",
        r.wire.round_trips
    );
}

fn new_code(s: &Server, ops: &Dev, account: &str) -> String {
    let (st, v) = s.req(Some(ops), &format!("/v1/accounts/{account}/codes"), Some(json!({})));
    assert_eq!(st, 200, "{v}");
    v["code"].as_str().unwrap().to_string()
}

fn main() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let t = Instant::now();
    let mut artisans = vec![];
    for i in 0..ARTISANS {
        let (st, v) = server.req(Some(&ops), "/v1/enrollments", Some(json!({"role": "artisan", "name": format!("Artisan {i}")})));
        assert_eq!(st, 200);
        let device = common::uuid_like();
        let (st, e) = server.enroll_raw(v["code"].as_str().unwrap(), &device);
        assert_eq!(st, 200);
        let dev = Dev {
            account: v["account_id"].as_str().unwrap().into(),
            device,
            token: e["token"].as_str().unwrap().into(),
            counter: Default::default(),
        };
        let drafts = (0..PRODUCTS_PER_ARTISAN)
            .map(|k| {
                let id = common::uuid_like();
                json!({"kind": "draft", "id": id, "fields": {
                    "title": {"value": format!("Product {i}-{k}"), "hlc": common::stamp_in(0)},
                    "description": {"value": "Handmade in Kenya from local materials", "hlc": common::stamp_in(0)},
                    "materials": {"value": ["sisal", "leather"], "hlc": common::stamp_in(0)},
                    "category": {"value": "baskets", "hlc": common::stamp_in(0)},
                    "price": {"value": 150_000 + k as i64 * 1000, "hlc": common::stamp_in(0)},
                    "weekly_capacity": {"value": 5, "hlc": common::stamp_in(0)}}})
            })
            .collect();
        assert!(server.push(&dev, drafts).iter().all(Option::is_none));
        artisans.push(dev);
    }
    for chunk in 0..(ORDERS / 2000) {
        let orders: Vec<_> = (0..2000)
            .map(|k| {
                let n = chunk * 2000 + k;
                json!({"source": "shop", "external_ref": format!("S-{n}"), "product": format!("Product {}", n % 7), "quantity": 1 + n % 5, "price_minor": 100_000 + (n % 50) * 1000, "artisan_id": artisans[n % ARTISANS].account})
            })
            .collect();
        let (st, v) = server.req(Some(&ops), "/v1/orders", Some(json!({"orders": orders})));
        assert_eq!(st, 200, "{v}");
    }
    println!(
        "setup: {ARTISANS} artisans, {} products, {ORDERS} orders in {:.1} s",
        ARTISANS * PRODUCTS_PER_ARTISAN,
        t.elapsed().as_secs_f64()
    );
    println!();
    println!("| scenario                                     |   wall ms | trips | conns |  sent (B) |  recvd (B) | records | B/record | target");
    println!("|----------------------------------------------|-----------|-------|-------|-----------|------------|---------|----------|-------");

    let dir = tempfile::tempdir().unwrap();
    // A fresh phone of artisan 0 (a replacement phone): it sees its own share.
    let phone_link = CountingProxy::start(&server.url);
    let phone = Store::open(dir.path().join("artisan.db")).unwrap();
    phone.enroll_device(&phone_link.url, &new_code(&server, &ops, &artisans[0].account)).unwrap();
    measured("artisan first sync (own share)", &phone, &phone_link, |r| r.pulled, "");
    fundi_core::replica::pinning::forget_sessions();
    measured("no-op sync, full TLS handshake", &phone, &phone_link, |_| 0, "1 trip, 1 connection");
    measured("no-op sync, TLS session resumed", &phone, &phone_link, |_| 0, "1 trip, 1 connection");

    // Depot staff's laptop: a fresh first sync of the whole depot.
    let (_, staff_code) = server.account("staff", "staff", None);
    let staff_link = CountingProxy::start(&server.url);
    let staff = Store::open(dir.path().join("staff.db")).unwrap();
    staff.enroll_device(&staff_link.url, &staff_code).unwrap();
    measured("staff first sync (whole depot)", &staff, &staff_link, |r| r.pulled, "");

    // 100 records changed on a phone, pushed (prices of 100 products set by staff).
    let drafts: Vec<String> = staff.list_review_drafts().unwrap().into_iter().take(100).map(|d| d.id).collect();
    for (i, id) in drafts.iter().enumerate() {
        staff.set_reviewed_draft_field(id, "price", json!(200_000 + i as i64)).unwrap();
    }
    measured("incremental: 100 records pushed", &staff, &staff_link, |r| r.pushed, "<= 2 trips, < 200 B/record");

    // 100 records changed at the depot, pulled (100 orders cancelled by operations).
    let orders: Vec<String> = staff.list_orders().unwrap().into_iter().take(100).map(|o| o.id).collect();
    for id in &orders {
        let (st, _) = server.req(
            Some(&ops),
            &format!("/v1/orders/{id}/commands"),
            Some(json!({"command": "cancel", "args": {"reason": "out of stock"}})),
        );
        assert_eq!(st, 200);
    }
    measured("incremental: 100 records pulled", &staff, &staff_link, |r| r.pulled, "<= 2 trips, < 200 B/record");

    // An artisan's 100 own edits (25 to each of 4 products), pushed.
    let mine = phone.list_drafts().unwrap();
    for k in 0..100 {
        let d = &mine[k % mine.len()];
        phone.update_draft(&d.id, DraftPatch { price_minor: Some(300_000 + k as i64), ..Default::default() }).unwrap();
    }
    measured("incremental: 100 artisan edits pushed", &phone, &phone_link, |r| r.pushed, "<= 2 trips, < 200 B/record");

    // 50 phones at once.
    let phones: Vec<Arc<Store>> = (1..=50)
        .map(|i| {
            let p = Store::open(dir.path().join(format!("p{i}.db"))).unwrap();
            p.enroll_device(&server.url, &new_code(&server, &ops, &artisans[i].account)).unwrap();
            p.sync_now(None).unwrap();
            Arc::new(p)
        })
        .collect();
    let errors = Arc::new(AtomicU32::new(0));
    let mut pushed = 0u64;
    let mut busy = 0f64;
    let rounds = 5;
    for round in 0..rounds {
        for p in &phones {
            for (k, d) in p.list_drafts().unwrap().iter().enumerate() {
                for j in 0..5 {
                    p.update_draft(
                        &d.id,
                        DraftPatch { price_minor: Some(400_000 + (round * 100 + k * 10 + j) as i64), ..Default::default() },
                    )
                    .unwrap();
                }
            }
        }
        let t = Instant::now();
        let handles: Vec<_> = phones
            .iter()
            .map(|p| {
                let p = p.clone();
                let errors = errors.clone();
                std::thread::spawn(move || match p.sync_now(None) {
                    Ok(r) => r.pushed as u64,
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        0
                    }
                })
            })
            .collect();
        for h in handles {
            pushed += h.join().unwrap();
        }
        busy += t.elapsed().as_secs_f64();
    }
    println!();
    println!(
        "50 phones syncing at once, {rounds} rounds: {pushed} mutations pushed in {:.2} s of sync time = {:.0} pushes/s ({:.0} syncs/s), errors: {} (target: 0)",
        busy,
        pushed as f64 / busy,
        (50 * rounds) as f64 / busy,
        errors.load(Ordering::Relaxed)
    );
    let _ = field_write;
}
