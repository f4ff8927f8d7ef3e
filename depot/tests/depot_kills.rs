//! Kill the depot, and the phone mid-sync, at chosen moments.
//!
//! - `each_push_and_pull_crash_point`: `fundi-depot serve` is restarted with one crash point of
//!   push or pull armed (`FUNDI_CRASH_AT`, see `fundi_sqlite::crash_point`), the phones sync and
//!   it kills itself (SIGKILL) there; it is restarted on the same data directory, the phones
//!   finish, and the outcome must equal a run without kills.
//! - `twenty_phones_while_the_depot_is_killed`: 20 phones (threads) edit and sync while the
//!   depot is killed a few times, from outside at random moments or at a crash point armed at
//!   random, and restarted; the outcome must equal a run without kills.
//! - `phone_killed_at_each_sync_step`: the phone (this binary re-run as a child) dies at each
//!   crash point of its sync engine; every edit whose save returned reaches the depot once.
//!
//! "Equal" is a [`Summary`]: the depot's drafts (field values, review status), order states
//! and stock sums, what each phone shows, and the counts that would grow if a mutation were
//! applied twice (change-feed writes, each device's last counter, refusals). After every run
//! the depot's file passes `integrity_check` and every phone's outbox is empty.

mod common;
use common::Server;
use fundi_core::drafts::{Category, DraftPatch, NewDraft};
use fundi_core::Store;
use fundi_sqlite::crash_point::{ENV_AFTER, ENV_AT};
use fundi_sync::testing::SeededRng as Rng;
use fundi_sync::workflow::{OrderCommand, OrderStatus};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The depot's crash points (`depot/src/store/push.rs`, `pull.rs`).
const DEPOT_POINTS: [&str; 4] = ["push:before_tx", "push:decided", "push:committed", "pull:read"];
/// The phone sync engine's crash points (`core/src/replica/engine.rs`).
const SYNC_POINTS: [&str; 4] = ["sync:push_answered", "sync:push_stored", "sync:pull_received", "sync:pull_applied"];
const ORDERS_PER_ARTISAN: usize = 2;
const SIGKILL: i32 = 9;

/// A depot with artisan and staff phones, each artisan with orders assigned, three products
/// (drafts of the first artisan) for the stock, all synced once.
struct Fleet {
    server: Server,
    artisans: Vec<Store>,
    staff: Vec<Store>,
    products: Vec<String>,
}

impl Fleet {
    fn new(artisans: usize, staff: usize) -> Fleet {
        let server = Server::start();
        let mut ids = vec![];
        let artisans: Vec<Store> = (0..artisans)
            .map(|a| {
                let (store, id) = server.phone("artisan", &format!("artisan{a}"), None);
                ids.push(id);
                store
            })
            .collect();
        let staff = (0..staff).map(|s| server.phone("staff", &format!("staff{s}"), None).0).collect();
        let csv: String = ids
            .iter()
            .enumerate()
            .flat_map(|(a, id)| (0..ORDERS_PER_ARTISAN).map(move |j| format!("shop,O-{a}-{j},Item,1,1000,{id}\n")))
            .collect();
        server.import_csv(&format!("source,external_ref,product,quantity,price_minor,artisan_id\n{csv}"));
        let products = (0..3).map(|k| product(&artisans[0], &format!("Product {k}"))).collect();
        let fleet = Fleet { server, artisans, staff, products };
        for p in fleet.phones() {
            p.sync_now(None).unwrap();
        }
        fleet
    }

    fn phones(&self) -> impl Iterator<Item = &Store> {
        self.artisans.iter().chain(&self.staff)
    }

    /// One round of offline edits on every phone (the same in every run).
    fn edit(&self, round: usize) {
        for (a, p) in self.artisans.iter().enumerate() {
            artisan_edit(p, a, round);
        }
        for (s, p) in self.staff.iter().enumerate() {
            staff_edit(p, s, round, &self.products);
        }
    }

    /// Sync every phone until every outbox is empty (a depot restarted a moment ago may still
    /// be refusing connections, so a failed sync is retried).
    fn settle(&self, ctx: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        for p in self.phones() {
            loop {
                let ok = p.sync_now(None).is_ok();
                if ok && p.pending_count().unwrap() == 0 {
                    break;
                }
                assert!(Instant::now() < deadline, "{ctx}: an outbox never drained: {:?}", p.outbox_items().unwrap());
                std::thread::sleep(Duration::from_millis(if ok { 0 } else { 50 }));
            }
        }
        // A last pass, so each phone also sees what the others pushed after its own sync.
        for p in self.phones() {
            p.sync_now(None).unwrap();
            assert_eq!(p.pending_count().unwrap(), 0, "{ctx}: every outbox empty, nothing wedged");
        }
    }
}

/// An artisan's round: a new draft, an edit of two fields of last round's, a submit in round
/// 2, and each order one step further along accept, start production, mark ready.
fn artisan_edit(p: &Store, a: usize, round: usize) {
    p.create_draft(NewDraft {
        title: format!("A{a}-R{round}"),
        description: "Sisal basket".into(),
        materials: vec!["sisal".into()],
        category: Category::Baskets,
        price_minor: 1_000 + (a * 10 + round) as i64,
        weekly_capacity: 3,
    })
    .unwrap();
    let drafts = p.list_drafts().unwrap();
    let find = |title: String| drafts.iter().find(|d| d.title == title).map(|d| d.id.clone());
    if let Some(id) = round.checked_sub(1).and_then(|r| find(format!("A{a}-R{r}"))) {
        let patch = DraftPatch {
            description: Some(format!("edited in round {round}")),
            price_minor: Some(5_000 + (a * 100 + round) as i64),
            ..Default::default()
        };
        p.update_draft(&id, patch).unwrap();
    }
    if round == 2 {
        p.submit_draft(&find(format!("A{a}-R0")).unwrap()).unwrap();
    }
    for o in p.list_orders().unwrap() {
        if let Some(cmd) = next_step(o.status) {
            p.order_command(&o.id, cmd, None).unwrap();
        }
    }
}

fn next_step(status: OrderStatus) -> Option<OrderCommand> {
    match status {
        OrderStatus::Assigned => Some(OrderCommand::Accept),
        OrderStatus::Accepted => Some(OrderCommand::StartProduction),
        OrderStatus::InProduction => Some(OrderCommand::MarkReady),
        _ => None,
    }
}

/// A draft that stock is counted on; returns its id.
fn product(p: &Store, title: &str) -> String {
    let d = NewDraft { title: title.into(), price_minor: 10_000, ..common::basket() };
    p.create_draft(d).unwrap().id
}

/// A staff round: stock received on one of the products, and some of it shipped.
fn staff_edit(p: &Store, s: usize, round: usize, products: &[String]) {
    let product = &products[round % products.len()];
    p.record_stock(product, ((s + 1) * (round + 2)) as i64, "received").unwrap();
    if round % 2 == 1 {
        p.record_stock(product, -((s + 1) as i64), "shipped").unwrap();
    }
}

/// What must come out the same with and without kills.
#[derive(Debug, PartialEq)]
struct Summary {
    /// Draft title -> its field values and review status at the depot.
    drafts: BTreeMap<String, serde_json::Value>,
    /// External reference -> status at the depot.
    orders: BTreeMap<String, String>,
    /// Product title -> the sum of its stock entries at the depot.
    stock: BTreeMap<String, i64>,
    refusals: usize,
    /// Writes to the change feed: a mutation applied twice writes again.
    feed_writes: i64,
    /// Each device's last applied counter, by account name.
    counters: BTreeMap<String, i64>,
    /// What each phone shows: drafts (title, price, status), orders, stock levels.
    phones: Vec<String>,
}

fn summary(f: &Fleet) -> Summary {
    assert_eq!(f.server.integrity(), "ok");
    let ops = f.server.device("operations", &format!("ops-{}", common::uuid_like()), None);
    let all = f.server.pull_all(&ops);
    let mut drafts = BTreeMap::new();
    let mut orders = BTreeMap::new();
    let mut stock = BTreeMap::new();
    let mut refusals = 0;
    let title_of = |id: &str| {
        let d = all.iter().find(|c| c["kind"] == "draft" && c["id"] == id).expect("a stocked product is a draft");
        d["body"]["doc"]["fields"]["title"]["value"].as_str().unwrap().to_string()
    };
    for c in &all {
        let body = &c["body"];
        match c["kind"].as_str().unwrap() {
            "draft" => {
                let fields: BTreeMap<String, serde_json::Value> =
                    body["doc"]["fields"].as_object().unwrap().iter().map(|(k, w)| (k.clone(), w["value"].clone())).collect();
                let title = fields["title"].as_str().unwrap().to_string();
                let v = serde_json::json!({"fields": fields, "status": body["status"]});
                assert!(drafts.insert(title.clone(), v).is_none(), "draft {title} twice at the depot");
            }
            "order" => {
                orders.insert(body["external_ref"].as_str().unwrap().to_string(), body["status"].as_str().unwrap().to_string());
            }
            "stock" => {
                let e = &body["entry"];
                *stock.entry(title_of(e["product_id"].as_str().unwrap())).or_insert(0) += e["delta"].as_i64().unwrap();
            }
            "rejection" => refusals += 1,
            _ => {}
        }
    }
    let conn = f.server.db();
    let feed_writes: i64 = conn.query_row("SELECT next_seq - 1 FROM meta", [], |r| r.get(0)).unwrap();
    let mut s = conn
        .prepare(
            "SELECT a.name, d.last_counter FROM devices d JOIN accounts a ON a.id = d.account_id WHERE a.role != 'operations'",
        )
        .unwrap();
    let counters = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect();
    let mut phones = vec![];
    for p in f.phones() {
        let mut d: Vec<_> = p.list_drafts().unwrap().into_iter().map(|d| (d.title, d.price.minor, d.status)).collect();
        d.sort_by(|a, b| a.0.cmp(&b.0));
        let mut o: Vec<_> = p.list_orders().unwrap().into_iter().map(|o| (o.external_ref, o.status)).collect();
        o.sort();
        let st: Vec<_> = p.stock_levels().unwrap().into_iter().map(|l| (l.title, l.quantity)).collect();
        phones.push(format!("{d:?} {o:?} {st:?}"));
        assert!(p.list_conflicts().unwrap().is_empty(), "no conflicts");
    }
    Summary { drafts, orders, stock, refusals, feed_writes, counters, phones }
}

/// Wait a little for the depot to die by its own crash point.
fn died(server: &mut Server) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if server.is_dead() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// Three artisans and a staff phone; two rounds of edits; one sync of each phone against a
/// depot armed at `kill` (point, hit); restart; a third round; settle.
fn crash_point_run(kill: Option<(&str, u64)>) -> Summary {
    let mut f = Fleet::new(3, 1);
    f.edit(0);
    f.edit(1);
    if let Some((point, hit)) = kill {
        f.server.restart(&[(ENV_AT, point), (ENV_AFTER, &hit.to_string())]);
    }
    for p in f.phones() {
        // Fails once the depot is down.
        let _ = p.sync_now(None);
    }
    if let Some((point, hit)) = kill {
        assert!(died(&mut f.server), "{point} hit {hit} was never reached");
        f.server.restart(&[]);
    }
    f.edit(2);
    f.settle(&format!("killed at {kill:?}"));
    let s = summary(&f);
    if kill.is_none() {
        // The reference has something to compare: 9 drafts and 3 products, 6 orders at
        // mark-ready, stock on the 3 products.
        assert_eq!((s.drafts.len(), s.orders.len(), s.stock.len()), (12, 6, 3), "{s:#?}");
        assert!(s.orders.values().all(|st| st == "ready_for_pickup"), "{s:#?}");
        assert_eq!(s.stock.values().sum::<i64>(), 2 + 3 + 4 - 1, "{s:#?}");
    }
    s
}

#[test]
fn each_push_and_pull_crash_point() {
    let started = Instant::now();
    let reference = crash_point_run(None);
    assert_eq!(reference.refusals, 0, "{reference:#?}");
    // Hits: the first request or mutation, one inside a batch or a later phone's request.
    let plan: [(&str, &[u64]); 4] =
        [(DEPOT_POINTS[0], &[1, 3]), (DEPOT_POINTS[1], &[1, 4, 12]), (DEPOT_POINTS[2], &[1, 3]), (DEPOT_POINTS[3], &[1, 3])];
    for (point, hits) in plan {
        for &hit in hits {
            let got = crash_point_run(Some((point, hit)));
            assert_eq!(got, reference, "killed at {point} hit {hit}");
        }
    }
    println!("9 kills and a reference in {:?}", started.elapsed());
}

/// 18 artisans and 2 staff phones, each in its own thread: `ROUNDS` rounds of edits, each
/// followed by a sync, then syncs alone until the killing is over. With `kills`, the depot is
/// killed `KILLS` times meanwhile, by turns from outside (SIGKILL at whatever it is doing) and
/// at a crash point armed at random (which may not be reached in time: then the next turn's
/// SIGKILL does it). Returns the summary and how many kills landed at a crash point.
fn storm(kills: bool) -> (Summary, usize) {
    const ROUNDS: usize = 6;
    const KILLS: usize = 6;
    let mut f = Fleet::new(18, 2);
    let stop = AtomicBool::new(false);
    let mut at_points = 0;
    let Fleet { server, artisans, staff, products } = &mut f;
    let products = &*products;
    std::thread::scope(|s| {
        let artisans = artisans.iter().enumerate().map(|(i, p)| (p, i, true));
        for (p, i, artisan) in artisans.chain(staff.iter().enumerate().map(|(i, p)| (p, i, false))) {
            let stop = &stop;
            s.spawn(move || {
                let mut rng = Rng(i as u64 * 31 + artisan as u64);
                for round in 0..ROUNDS {
                    if artisan {
                        artisan_edit(p, i, round);
                    } else {
                        staff_edit(p, i, round, products);
                    }
                    let _ = p.sync_now(None);
                    std::thread::sleep(Duration::from_millis(50 + rng.below(250)));
                }
                while !stop.load(Ordering::SeqCst) {
                    let _ = p.sync_now(None);
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
        }
        let mut rng = Rng(99);
        for turn in 0..if kills { KILLS } else { 0 } {
            std::thread::sleep(Duration::from_millis(100 + rng.below(300)));
            if turn % 2 == 0 {
                // Restarting sends the SIGKILL first.
                server.restart(&[]);
            } else {
                let point = DEPOT_POINTS[rng.below(DEPOT_POINTS.len() as u64) as usize];
                let hit = 1 + rng.below(5);
                server.restart(&[(ENV_AT, point), (ENV_AFTER, &hit.to_string())]);
                if died(server) {
                    at_points += 1;
                    server.restart(&[]);
                }
            }
        }
        stop.store(true, Ordering::SeqCst);
    });
    if kills {
        f.server.restart(&[]);
    }
    f.settle(if kills { "with kills" } else { "the reference" });
    (summary(&f), at_points)
}

#[test]
fn twenty_phones_while_the_depot_is_killed() {
    let started = Instant::now();
    let (reference, _) = storm(false);
    assert_eq!((reference.drafts.len(), reference.orders.len(), reference.refusals), (111, 36, 0), "{reference:#?}");
    let (got, at_points) = storm(true);
    assert_eq!(got, reference, "after 6 kills, {at_points} of them at crash points");
    println!("6 depot kills ({at_points} at crash points) among 20 syncing phones, and a reference, in {:?}", started.elapsed());
}

const PHONE_DB: &str = "FUNDI_KILLS_PHONE_DB";

/// The phone child: five rounds of edits, each followed by a sync, printing each edit once its
/// save returned (`@draft title price`, `@order id status`, `@stock delta`). Ignored in normal
/// runs; `phone_killed_at_each_sync_step` runs it with a crash point armed.
#[test]
#[ignore = "child process of phone_killed_at_each_sync_step"]
fn phone_child() {
    let Ok(db) = std::env::var(PHONE_DB) else { return };
    let tag = std::env::var("FUNDI_KILLS_TAG").unwrap();
    let artisan = std::env::var("FUNDI_KILLS_ROLE").unwrap() == "artisan";
    let store = Store::open(&db).unwrap();
    let mut out = std::io::stdout().lock();
    let mut say = |line: String| {
        writeln!(out, "\n{line}").unwrap();
        out.flush().unwrap();
    };
    for i in 0..5 {
        if artisan {
            let title = format!("K{tag}-{i}");
            let price = 1_000 + i;
            store
                .create_draft(NewDraft {
                    title: title.clone(),
                    description: String::new(),
                    materials: vec![],
                    category: Category::Other,
                    price_minor: price,
                    weekly_capacity: 1,
                })
                .unwrap();
            say(format!("@draft {title} {price}"));
            // An edit of the oldest draft too: its price is the last one set.
            let drafts = store.list_drafts().unwrap().into_iter().filter(|d| d.title.starts_with('K'));
            let oldest = drafts.min_by(|a, b| a.title.cmp(&b.title)).unwrap();
            let price = 2_000 + tag.parse::<i64>().unwrap() * 10 + i;
            store.update_draft(&oldest.id, DraftPatch { price_minor: Some(price), ..Default::default() }).unwrap();
            say(format!("@draft {} {price}", oldest.title));
            if let Some(o) = store.list_orders().unwrap().into_iter().find(|o| next_step(o.status).is_some()) {
                let v = store.order_command(&o.id, next_step(o.status).unwrap(), None).unwrap();
                say(format!("@order {} {}", o.id, v.status.code()));
            }
        } else {
            let product = std::env::var("FUNDI_KILLS_PRODUCT").unwrap();
            store.record_stock(&product, 1 + i, "received").unwrap();
            say(format!("@stock {}", 1 + i));
        }
        store.sync_now(None).unwrap();
    }
}

#[test]
fn phone_killed_at_each_sync_step() {
    let started = Instant::now();
    let server = Server::start();
    let (artisan_id, artisan_code) = server.account("artisan", "akinyi", None);
    let (_, staff_code) = server.account("staff", "staff", None);
    let dir = tempfile::tempdir().unwrap();
    let dbs = [dir.path().join("artisan.db"), dir.path().join("staff.db")];
    for (db, code) in dbs.iter().zip([&artisan_code, &staff_code]) {
        let s = Store::open(db).unwrap();
        s.enroll_device(&server.url, code).unwrap();
        s.close().unwrap();
    }
    let csv: String = (0..30).map(|i| format!("shop,K-{i},Item,1,1000,{artisan_id}\n")).collect();
    server.import_csv(&format!("source,external_ref,product,quantity,price_minor,artisan_id\n{csv}"));
    let artisan = Store::open(&dbs[0]).unwrap();
    let product = product(&artisan, "Product");
    artisan.sync_now(None).unwrap();
    artisan.close().unwrap();

    let mut drafts: BTreeMap<String, i64> = BTreeMap::new();
    let mut orders: BTreeMap<String, String> = BTreeMap::new();
    let mut stock = 0;
    let mut kills = 0;
    for point in SYNC_POINTS {
        for hit in 1..=5u64 {
            for (db, role) in dbs.iter().zip(["artisan", "staff"]) {
                kills += 1;
                let out = phone_run(db, role, kills, &product, point, hit);
                assert_eq!(out.status.signal(), Some(SIGKILL), "{point} hit {hit}: {}", String::from_utf8_lossy(&out.stderr));
                for line in String::from_utf8_lossy(&out.stdout).lines() {
                    let words: Vec<&str> = line.split(' ').collect();
                    match words.as_slice() {
                        ["@draft", title, price] => drop(drafts.insert(title.to_string(), price.parse().unwrap())),
                        ["@order", id, status] => drop(orders.insert(id.to_string(), status.to_string())),
                        ["@stock", delta] => stock += delta.parse::<i64>().unwrap(),
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(orders.values().any(|s| s == "ready_for_pickup"), "the children moved orders along: {orders:?}");

    // Restarted unarmed, each phone finishes; the depot has every returned edit, once.
    let phones: Vec<Store> = dbs.iter().map(|db| Store::open(db).unwrap()).collect();
    for p in phones.iter().chain(&phones) {
        p.sync_now(None).unwrap();
    }
    let ops = server.device("operations", "ops", None);
    let all = server.pull_all(&ops);
    assert_eq!(all.iter().filter(|c| c["kind"] == "rejection").count(), 0, "no replay refused as a duplicate");
    let mut at_depot: BTreeMap<String, i64> = BTreeMap::new();
    for c in all.iter().filter(|c| c["kind"] == "draft" && c["id"] != product.as_str()) {
        let f = &c["body"]["doc"]["fields"];
        let title = f["title"]["value"].as_str().unwrap().to_string();
        assert!(at_depot.insert(title.clone(), f["price"]["value"].as_i64().unwrap()).is_none(), "{title} twice");
    }
    assert_eq!(at_depot, drafts, "every saved draft at the depot, with its last price");
    for (id, status) in &orders {
        let o = all.iter().find(|c| c["id"] == id.as_str()).unwrap();
        assert_eq!(o["body"]["status"], status.as_str(), "order {id}");
    }
    let sum: i64 = all.iter().filter(|c| c["kind"] == "stock").map(|c| c["body"]["entry"]["delta"].as_i64().unwrap()).sum();
    assert_eq!(sum, stock, "each stock entry counted once");
    assert_eq!(server.integrity(), "ok");
    let depot = server.db();
    for (p, db) in phones.iter().zip(&dbs) {
        assert_eq!(p.pending_count().unwrap(), 0);
        assert!(p.list_conflicts().unwrap().is_empty());
        let phone = rusqlite::Connection::open(db).unwrap();
        assert_eq!(phone.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
        let (device, next): (String, i64) = phone
            .query_row("SELECT d.device_id, s.next_counter FROM device d, sync_state s", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        let last: i64 =
            depot.query_row("SELECT last_counter FROM devices WHERE device_id = ?1", [&device], |r| r.get(0)).unwrap();
        assert_eq!(last, next - 1, "the depot applied each of the phone's counters");
    }
    println!("{kills} phone kills in {:?}", started.elapsed());
}

fn phone_run(db: &Path, role: &str, tag: usize, product: &str, point: &str, hit: u64) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "phone_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(PHONE_DB, db)
        .env("FUNDI_KILLS_TAG", tag.to_string())
        .env("FUNDI_KILLS_ROLE", role)
        .env("FUNDI_KILLS_PRODUCT", product)
        .env(ENV_AT, point)
        .env(ENV_AFTER, hit.to_string())
        .output()
        .unwrap()
}
