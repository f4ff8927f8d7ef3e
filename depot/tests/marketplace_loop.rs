//! The whole marketplace loop on real processes (issue 15's first test): a `fundi-depot serve`
//! process paying through the Daraja simulator (`fundi-depot mpesa-sim`), phones that are real
//! fundi-core stores in their own SQLite files, a shop that signs its orders with the secret the
//! command line gave it, and a shopper's view through the public pages and the feed.
//!
//! The artisan's phone writes a draft with two camera photos and submits it; the photos reach
//! the depot; her mentor's phone approves it; operations publish it in US dollars; it is listed
//! in the feed (made to order), its photos served byte for byte; the depot receives two pieces
//! into stock (in stock in the feed); a shop's order for one piece is sold from stock (the
//! movement out and a replenishment order on her phone), a second for three pieces is made to
//! order and assigned to her; she makes both, the depot ships and delivers the sales and puts
//! the replenished pieces back into stock; she and her mentor earn what the sales pay, the
//! platform keeps its margin, and the depot pays both by M-Pesa, each receipt on her phone and
//! in the simulator's own record.
//!
//! The depot serves HTTPS with its own key, which Daraja (and the simulator) would not trust: as
//! in a deployment behind a front with a public certificate, the simulator posts its results to
//! the depot's plain-HTTP callback listener on loopback (`serve --mpesa-callback-listen`).

mod common;
use common::mpesa::{free_port, Sim, FAST_PAYOUTS};
use common::{stock_entry, Answer, Dev, Server};
use fundi_core::drafts::{Category, NewDraft};
use fundi_core::orders::OrderView;
use fundi_core::photos::{PhotoLibrary, PrepareOptions};
use fundi_core::uploads::UploadPolicy;
use fundi_core::Store;
use fundi_sync::catalog::ListingState;
use fundi_sync::fields::ProfileField;
use fundi_sync::money_ledger::{EntryKind, EntryStatus};
use fundi_sync::shop::{sign, SHOP_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use fundi_sync::workflow::{OrderCommand, OrderStatus};
use fundi_sync::{DraftCommand, DraftStatus};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// Her price for one piece: KSh 1,500.00.
const PRICE: i64 = 150_000;
/// The shop's price for one piece: US$ 25.00.
const SHOP_PRICE: i64 = 2_500;
/// Her mentor's commission rate (percent) from the first day of the year.
const COMMISSION_PERCENT: i64 = 10;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos").join(name)
}

fn today() -> String {
    fundi_sync::dates::Day::of_ms(fundi_sync::hlc::wall_clock_ms()).to_string()
}

fn json_of(a: &Answer) -> Value {
    serde_json::from_slice(&a.body).unwrap_or(Value::Null)
}

/// A shop's order for `quantity` pieces of `product`, signed with the shop's secret `ago`
/// seconds ago (a retry is signed anew: with the very same signature it would be a replay).
fn shop_order(s: &Server, shop: &(String, String), order_id: &str, product: &str, quantity: u32, ago: u64) -> Answer {
    let body = json!({"order_id": order_id, "lines": [{"product_id": product, "quantity": quantity}],
        "shopper": {"name": "A shopper abroad"}})
    .to_string()
    .into_bytes();
    let ts = (fundi_sync::hlc::wall_clock_ms() / 1000 - ago).to_string();
    let headers = [
        ("content-type", "application/json".to_string()),
        (SHOP_HEADER, shop.0.clone()),
        (TIMESTAMP_HEADER, ts.clone()),
        (SIGNATURE_HEADER, sign(&shop.1, &ts, &body)),
    ];
    s.send(None, "POST", "/v1/shop/orders", &headers, Some(body))
}

/// The feed's entry for `product`, if the feed lists it.
fn in_feed(s: &Server, product: &str) -> Option<Value> {
    let a = s.send(None, "GET", "/shop/feed.json", &[], None);
    assert_eq!(a.status, 200);
    json_of(&a)["products"].as_array().unwrap().iter().find(|p| p["id"] == product).cloned()
}

fn staff_does(s: &Server, staff: &Dev, order: &str, commands: &[&str]) {
    for c in commands {
        let (st, v) = s.req(Some(staff), &format!("/v1/orders/{order}/commands"), Some(json!({"command": c})));
        assert_eq!(st, 200, "{c} on {order}: {v}");
    }
}

/// Her order on her phone, which must hold it.
fn on_phone(phone: &Store, id: &str) -> OrderView {
    phone.list_orders().unwrap().into_iter().find(|o| o.id == id).unwrap_or_else(|| panic!("order {id} is not on her phone"))
}

/// She takes `order` from assigned to ready on her phone and syncs.
fn she_makes(phone: &Store, order: &str) {
    for c in [OrderCommand::Accept, OrderCommand::StartProduction, OrderCommand::MarkReady] {
        phone.order_command(order, c, None).unwrap();
    }
    assert_eq!(phone.sync_now(None).unwrap().refused, 0);
}

#[test]
fn a_draft_on_her_phone_becomes_a_product_a_shop_sells_and_she_is_paid_by_m_pesa() {
    // The depot, paying through the simulator; its callbacks on loopback (see above).
    let sim = Sim::start(&[]);
    let config_dir = tempfile::tempdir().unwrap();
    let callbacks = format!("127.0.0.1:{}", free_port());
    let config = sim.depot_config(config_dir.path(), &format!("http://{callbacks}/mpesa/cb-{}", common::uuid_like()));
    let mut args = vec!["--mpesa-config", config.to_str().unwrap(), "--mpesa-callback-listen", &callbacks];
    args.extend_from_slice(FAST_PAYOUTS);
    let s = Server::start_with(&args);
    s.cli(&["commission-rate", "--from", "2026-01-01", "--percent", &COMMISSION_PERCENT.to_string()]);
    s.cli(&["exchange-rate", "--currency", "USD", "--from", "2026-01-01", "--kes", "129.50"]);
    let (mentor, mentor_id) = s.phone("mentor", "neema", None);
    let (artisan, artisan_id) = s.phone("artisan", "akinyi", Some(&mentor_id));
    let ops = s.device("operations", "ofisi", None);
    let staff = s.device("staff", "depo", None);
    let shop: (String, String) = {
        let v: Value = serde_json::from_str(&s.cli(&["shop", "add", "--json", "--name", "Duka la mtandaoni"])).unwrap();
        (v["id"].as_str().unwrap().into(), v["secret"].as_str().unwrap().into())
    };
    let dir = tempfile::tempdir().unwrap();
    let photos = PhotoLibrary::open(dir.path().join("akinyi-photos")).unwrap();

    // 1. Her phone: a draft with two camera photos, submitted; the photos reach the depot.
    let new = NewDraft {
        title: "Kikapu cha ukili".into(),
        description: "Woven palm-leaf basket with a lid".into(),
        materials: vec!["ukili".into(), "natural dye".into()],
        category: Category::Baskets,
        price_minor: PRICE,
        weekly_capacity: 4,
    };
    let draft = artisan.create_draft(new).unwrap().id;
    for name in ["camera-flower-3mp.jpg", "camera-portrait-orientation6.jpg"] {
        artisan.add_draft_photo_file(&photos, &draft, &fixture(name), &PrepareOptions::default()).unwrap();
    }
    let prepared = artisan.draft_photos(&photos, &draft).unwrap();
    assert_eq!(prepared.len(), 2);
    artisan.submit_draft(&draft).unwrap();
    assert_eq!(artisan.sync_now(None).unwrap().refused, 0);
    artisan.upload_photos(&photos, UploadPolicy { photos: true }).unwrap();
    assert_eq!(in_feed(&s, &draft), None, "a submitted draft is not for sale");

    // 2. Her mentor's phone approves it: it is a product, awaiting its shop price.
    assert_eq!(mentor.sync_now(None).unwrap().refused, 0);
    assert_eq!(mentor.list_review_drafts().unwrap().iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), [draft.as_str()]);
    mentor.review_draft(&draft, DraftCommand::Approve, Some("Picha nzuri".into())).unwrap();
    assert_eq!(mentor.sync_now(None).unwrap().refused, 0);
    artisan.sync_now(None).unwrap();
    assert_eq!(artisan.get_draft(&draft).unwrap().status, DraftStatus::Approved);
    let mine = artisan.my_products().unwrap();
    assert_eq!((mine.len(), mine[0].listing, mine[0].on_sale), (1, ListingState::AwaitingPrice, false), "{mine:?}");
    assert_eq!(in_feed(&s, &draft), None, "approved, not yet priced for the shop");

    // 3. Operations publish it; the feed lists it, made to order, with her photos.
    s.listing(&ops, &draft, Some(SHOP_PRICE));
    let listed = in_feed(&s, &draft).expect("published: in the feed");
    assert_eq!(
        (&listed["title"], &listed["price_minor"], &listed["currency"], &listed["availability"]),
        (&json!("Kikapu cha ukili"), &json!(SHOP_PRICE), &json!("USD"), &json!("backorder")),
        "{listed}"
    );
    let links: Vec<&str> = listed["image_links"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert_eq!(links.len(), 2, "{listed}");
    for (link, photo) in links.iter().zip(&prepared) {
        let a = s.send(None, "GET", link, &[], None);
        assert_eq!(a.status, 200, "{link}");
        assert_eq!(a.body, std::fs::read(&photo.path).unwrap(), "{link}: the photo her phone prepared, byte for byte");
    }
    let page = s.send(None, "GET", &format!("/shop/products/{draft}"), &[], None);
    assert!(page.status == 200 && String::from_utf8_lossy(&page.body).contains("Kikapu cha ukili"));
    artisan.sync_now(None).unwrap();
    let mine = &artisan.my_products().unwrap()[0];
    assert_eq!((mine.on_sale, mine.shop_price_minor, mine.pieces_at_depot), (true, Some(SHOP_PRICE), 0), "{mine:?}");

    // 4. She brings two pieces to the depot: in stock.
    assert_eq!(s.push(&staff, vec![stock_entry(&draft, 2)]), vec![None]);
    assert_eq!(in_feed(&s, &draft).unwrap()["availability"], "in_stock");

    // 5. A shop sells one piece: from stock, with a replenishment for her.
    let a = shop_order(&s, &shop, "WEB-1001", &draft, 1, 1);
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let line = &json_of(&a)["orders"][0];
    assert_eq!(line["from_stock"], true, "{line}");
    let sold = line["order_id"].as_str().unwrap().to_string();
    let again = shop_order(&s, &shop, "WEB-1001", &draft, 1, 0);
    assert_eq!((again.status, json_of(&again)), (200, json_of(&a)), "the shop's retry makes nothing new");

    artisan.sync_now(None).unwrap();
    let sale = on_phone(&artisan, &sold);
    assert_eq!((sale.status, sale.replenish, sale.product_id.as_deref()), (OrderStatus::QcPassed, false, Some(draft.as_str())));
    assert_eq!(sale.price_minor, PRICE, "she earns her price for the piece sold");
    assert!(sale.history[0].from_stock && sale.history[0].command.is_none(), "her phone shows the sale from stock: {sale:?}");
    let replenish = artisan.list_orders().unwrap().into_iter().find(|o| o.replenish).expect("a replenishment on her phone").id;
    let remake = on_phone(&artisan, &replenish);
    assert_eq!((remake.status, remake.replenish, remake.quantity), (OrderStatus::Assigned, true, 1), "{remake:?}");
    let moves: Vec<(i64, String)> = artisan.stock_movements(&draft).unwrap().into_iter().map(|m| (m.delta, m.reason)).collect();
    assert_eq!(moves, [(-1, "sold".to_string()), (2, "received".to_string())]);
    assert_eq!(artisan.my_products().unwrap()[0].pieces_at_depot, 1);

    // 6. A second shop sells three pieces: beyond the depot's one, made to order; operations
    // assign it to her.
    let a = shop_order(&s, &shop, "WEB-1002", &draft, 3, 0);
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let line = &json_of(&a)["orders"][0];
    assert_eq!(line["from_stock"], false, "{line}");
    let made = line["order_id"].as_str().unwrap().to_string();
    let assign = json!({"command": "assign", "args": {"artisan_id": artisan_id}});
    let (st, v) = s.req(Some(&ops), &format!("/v1/orders/{made}/commands"), Some(assign));
    assert_eq!(st, 200, "{v}");
    artisan.sync_now(None).unwrap();
    let to_make = on_phone(&artisan, &made);
    assert_eq!((to_make.status, to_make.quantity, to_make.price_minor), (OrderStatus::Assigned, 3, 3 * PRICE));
    assert!(!to_make.history[0].from_stock, "an order to make: {to_make:?}");

    // 7. She makes both; the depot checks them, ships and delivers the sales and puts the
    // replenished piece back into stock.
    she_makes(&artisan, &made);
    she_makes(&artisan, &replenish);
    staff_does(&s, &staff, &made, &["receive", "qc_pass", "ship", "deliver"]);
    staff_does(&s, &staff, &sold, &["ship", "deliver"]);
    staff_does(&s, &staff, &replenish, &["receive", "qc_pass", "stock"]);
    artisan.sync_now(None).unwrap();
    assert_eq!(on_phone(&artisan, &sold).status, OrderStatus::Delivered);
    assert_eq!(on_phone(&artisan, &made).status, OrderStatus::Delivered);
    assert_eq!(on_phone(&artisan, &replenish).status, OrderStatus::Stocked);
    assert_eq!(artisan.my_products().unwrap()[0].pieces_at_depot, 2, "the piece sold is made again");

    // 8. What the sales earned: hers on her phone (the replenishment earns nothing), her
    // mentor's commission on hers.
    let earned = 4 * PRICE;
    let commission = earned * COMMISSION_PERCENT / 100;
    let money = artisan.earnings().unwrap();
    let mut earnings: Vec<(Option<String>, i64)> = money
        .entries
        .iter()
        .filter(|e| e.kind == Some(EntryKind::Earning))
        .map(|e| (e.order_id.clone(), e.amount_minor))
        .collect();
    earnings.sort();
    let mut expected = vec![(Some(sold.clone()), PRICE), (Some(made.clone()), 3 * PRICE)];
    expected.sort();
    assert_eq!(earnings, expected);
    assert_eq!(money.balance_minor, earned);
    mentor.sync_now(None).unwrap();
    assert_eq!(mentor.earnings().unwrap().balance_minor, commission);
    // The platform keeps what the shop paid, in shillings at the dollar's rate, less both
    // (ADR 0027): 4 x (US$25.00 x 129.50 - KSh 1,500 - KSh 150).
    let platform: Value = serde_json::from_str(&s.cli(&["margins", "--json"])).unwrap();
    let sale_kes = SHOP_PRICE * 12_950 / 100;
    assert_eq!(platform["totals"], json!({"KES": 4 * sale_kes - earned - commission}), "{platform}");

    // 9. Operations pay what is owed, to the numbers in their profiles.
    artisan.set_profile_text(&artisan_id, ProfileField::Phone, "0712 300 002").unwrap();
    mentor.set_profile_text(&mentor_id, ProfileField::Phone, "0712 300 001").unwrap();
    artisan.sync_now(None).unwrap();
    mentor.sync_now(None).unwrap();
    let period = json!({"period_from": "2026-01-01", "period_to": today()});
    let (st, batch) = s.req(Some(&ops), "/v1/payouts/batches", Some(period));
    assert_eq!(st, 200, "{batch}");
    assert_eq!(batch["total_minor"], earned + commission, "{batch}");
    assert_eq!(batch["state"], "approved", "below the second approval's threshold: {batch}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let receipt = loop {
        artisan.sync_now(None).unwrap();
        let paid = artisan.earnings().unwrap().entries.into_iter().find_map(|e| match e.status {
            Some(EntryStatus::Paid { receipt, .. }) if e.order_id.as_deref() == Some(sold.as_str()) => Some(receipt),
            _ => None,
        });
        if let Some(r) = paid {
            break r;
        }
        assert!(Instant::now() < deadline, "not paid in time: {:?}", artisan.earnings().unwrap());
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(artisan.earnings().unwrap().balance_minor, 0, "all she earned is paid");

    // The simulator moved exactly that money (whole shillings), to her number with that
    // receipt, and her mentor's commission to hers.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ledger = sim.ledger();
        let to = |number: &str| -> Vec<Value> {
            ledger["payments"].as_object().unwrap().values().filter(|p| p["receiver"] == number).cloned().collect()
        };
        let (hers, mentors) = (to("254712300002"), to("254712300001"));
        assert!(hers.len() <= 1 && mentors.len() <= 1, "paid twice: {ledger}");
        let settled = |p: &[Value]| p.first().is_some_and(|p| p["settled"]["kind"] == "paid");
        if settled(&hers) && settled(&mentors) {
            assert_eq!((&hers[0]["amount_kes"], &hers[0]["settled"]["receipt"]), (&json!(earned / 100), &json!(receipt)));
            assert_eq!(mentors[0]["amount_kes"], json!(commission / 100), "{ledger}");
            assert_eq!(ledger["paid_total_kes"], json!((earned + commission) / 100), "{ledger}");
            break;
        }
        assert!(Instant::now() < deadline, "the simulator's record: {ledger}");
        std::thread::sleep(Duration::from_millis(300));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while mentor.sync_now(None).is_ok() && mentor.earnings().unwrap().balance_minor != 0 {
        assert!(Instant::now() < deadline, "her commission: {:?}", mentor.earnings().unwrap());
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(mentor.earnings().unwrap().balance_minor, 0, "her commission is paid");
}
