//! The platform's margin on real depot processes (issue 11 item 1, ADR 0027): exchange rates
//! with history set on the command line, refused with their reasons; a product is published in
//! a foreign currency only with a rate in force; a shop's sale, made to order or from stock and
//! delivered, splits into her earning (her price), the mentor's commission (capped at what the
//! sale leaves over her earning) and the platform's margin (negative on a sale below her price),
//! at the rate of the sale's day; a refund reverses exactly what was posted; an order imported by
//! hand and a replenishment have no margin. Every expected sum is worked out by hand here.

mod common;
use common::{command, stock_entry, Dev, Server};
use fundi_sync::dates::Day;
use fundi_sync::shop::{sign, SHOP_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use serde_json::{json, Value};

/// Her price a piece: KSh 1,500.00.
const HER_PRICE: i64 = 150_000;

struct World {
    s: Server,
    mentor: Dev,
    artisan: Dev,
    staff: Dev,
    ops: Dev,
    /// (id, secret) of a shop added with the command line.
    shop: (String, String),
    /// A product of hers, approved, not yet published.
    product: String,
}

fn today() -> Day {
    Day::of_ms(fundi_sync::hlc::wall_clock_ms())
}

fn day(offset: i64) -> String {
    Day(today().0 + offset).to_string()
}

fn world() -> World {
    let s = Server::start();
    let mentor = s.device("mentor", "m", None);
    let artisan = s.device("artisan", "a", Some(&mentor.account));
    let staff = s.device("staff", "st", None);
    let ops = s.device("operations", "o", None);
    let product = s.approved_product(&artisan, &mentor, "Kikapu", HER_PRICE, 10);
    let v: Value = serde_json::from_str(&s.cli(&["shop", "add", "--json", "--name", "Duka"])).unwrap();
    let shop = (v["id"].as_str().unwrap().to_string(), v["secret"].as_str().unwrap().to_string());
    World { s, mentor, artisan, staff, ops, shop, product }
}

/// Operations publish `product` at `price_minor` of `currency`: (status, answer).
fn publish(w: &World, product: &str, price_minor: i64, currency: &str) -> (u16, Value) {
    let change = json!({"action": "publish", "price_minor": price_minor, "currency": currency});
    w.s.req(Some(&w.ops), &format!("/v1/products/{product}/listing"), Some(change))
}

fn published(w: &World, price_minor: i64, currency: &str) {
    let (status, v) = publish(w, &w.product, price_minor, currency);
    assert_eq!(status, 200, "{v}");
}

/// The shop sells `quantity` of the product (one line, signed as a shop signs): the order's id
/// and whether it was sold from stock.
fn sold(w: &World, shop_order: &str, quantity: u32) -> (String, bool) {
    let body = json!({"order_id": shop_order, "lines": [{"product_id": w.product, "quantity": quantity}]}).to_string();
    let ts = (fundi_sync::hlc::wall_clock_ms() / 1000).to_string();
    let resp = common::raw_client()
        .post(format!("{}/v1/shop/orders", w.s.url))
        .header("content-type", "application/json")
        .header(SHOP_HEADER, &w.shop.0)
        .header(TIMESTAMP_HEADER, &ts)
        .header(SIGNATURE_HEADER, sign(&w.shop.1, &ts, body.as_bytes()))
        .body(body)
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let v: Value = serde_json::from_str(&resp.text().unwrap()).unwrap();
    assert_eq!(status, 200, "{v}");
    let line = &v["orders"][0];
    (line["order_id"].as_str().unwrap().to_string(), line["from_stock"].as_bool().unwrap())
}

fn staff_does(w: &World, order: &str, commands: &[&str]) {
    for c in commands {
        let (status, v) = w.s.req(Some(&w.staff), &format!("/v1/orders/{order}/commands"), Some(json!({"command": c})));
        assert_eq!(status, 200, "{c}: {v}");
    }
}

/// A made-to-order sale assigned to her by operations, made, checked and delivered.
fn made_and_delivered(w: &World, order: &str) {
    w.s.cli(&["assign", order, &w.artisan.account]);
    let hers = ["accept", "start_production", "mark_ready"].map(|c| command("order", order, c)).to_vec();
    assert_eq!(w.s.push(&w.artisan, hers), vec![None, None, None]);
    staff_does(w, order, &["receive", "qc_pass", "ship", "deliver"]);
}

/// The money entry `id` as stored: (owner, amount in KES cents), if there is one.
fn money(s: &Server, id: &str) -> Option<(String, i64)> {
    s.records().into_iter().find(|r| r.0 == "money" && r.1 == id).map(|r| {
        let b: Value = serde_json::from_str(&r.4).unwrap();
        assert_eq!(b["entry"]["currency"], "KES", "{b}");
        (r.2.unwrap(), b["entry"]["amount_minor"].as_i64().unwrap())
    })
}

/// The platform's ledger as `fundi-depot margins --json` prints it.
fn platform(s: &Server) -> Value {
    serde_json::from_str(&s.cli(&["margins", "--json"])).unwrap()
}

/// The platform ledger's entry `id`.
fn platform_entry(s: &Server, id: &str) -> Option<Value> {
    platform(s)["entries"].as_array().unwrap().iter().find(|e| e["id"] == id).cloned()
}

/// (kind, amount, sale in KES, rate, earning, commission at her rate, commission paid) of a
/// platform ledger entry.
fn workings(e: &Value) -> (String, i64, i64, i64, i64, i64, i64) {
    let n = |k: &str| e[k].as_i64().unwrap_or_else(|| panic!("{k} in {e}"));
    (
        e["kind"].as_str().unwrap().into(),
        n("amount_minor"),
        n("sale_kes_minor"),
        n("kes_per_unit_e4"),
        n("earning_minor"),
        n("commission_at_rate_minor"),
        n("commission_minor"),
    )
}

#[test]
fn a_sale_made_to_order_splits_into_her_price_the_commission_and_the_margin_and_a_refund_reverses_each() {
    let w = world();
    let s = &w.s;
    s.cli(&["commission-rate", "--from", &day(-30), "--percent", "5"]);
    s.cli(&["exchange-rate", "--currency", "USD", "--from", &day(-7), "--kes", "129.5037"]);
    // A rate from a later day is not in force yet: it must not touch today's sale.
    let rates = s.cli(&["exchange-rate", "--currency", "USD", "--from", &day(3), "--kes", "200"]);
    assert!(
        rates.contains(&format!("USD from {}: KSh 129.5037 a unit", day(-7)))
            && rates.contains(&format!("USD from {}: KSh 200.0000 a unit", day(3))),
        "{rates}"
    );
    published(&w, 2_500, "USD");

    let (order, from_stock) = sold(&w, "M-1", 2);
    assert!(!from_stock, "nothing held: made to order");
    let sale: (i64, String, String) = s
        .db()
        .query_row("SELECT price_minor, currency, sold_day FROM order_sales WHERE order_id = ?1", [&order], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(sale, (5_000, "USD".to_string(), day(0)), "US$25.00 x 2, sold today");
    assert!(platform_entry(s, &format!("margin:{order}")).is_none(), "nothing before delivery");
    made_and_delivered(&w, &order);

    // By hand: US$50.00 x 129.5037 = KSh 6,475.185, down to KSh 6,475.18. Her earning is her
    // price x 2 = KSh 3,000.00; 5% of it is KSh 150.00, which the KSh 3,475.18 left over her
    // earning covers; the platform keeps 6,475.18 - 3,000.00 - 150.00 = KSh 3,325.18.
    assert_eq!(money(s, &format!("earning:{order}")), Some((w.artisan.account.clone(), 300_000)));
    assert_eq!(money(s, &format!("commission:{order}")), Some((w.mentor.account.clone(), 15_000)));
    let margin = platform_entry(s, &format!("margin:{order}")).expect("the margin");
    assert_eq!(workings(&margin), ("margin".into(), 332_518, 647_518, 1_295_037, 300_000, 15_000, 15_000));
    assert_eq!((margin["sale_minor"].as_i64(), margin["sale_currency"].as_str()), (Some(5_000), Some("USD")));
    assert_eq!(platform(s)["totals"], json!({"KES": 332_518}));
    let listed = s.cli(&["margins"]);
    assert!(listed.contains(&order) && listed.contains("US$50.00") && listed.contains("129.5037"), "{listed}");

    // A refund reverses her earning, the commission and the margin, each exactly.
    s.cli(&["refund", &order, "--reason", "Returned by the buyer"]);
    assert_eq!(money(s, &format!("reversal:{order}")), Some((w.artisan.account.clone(), -300_000)));
    assert_eq!(money(s, &format!("reversal:commission:{order}")), Some((w.mentor.account.clone(), -15_000)));
    let reversal = platform_entry(s, &format!("margin_reversal:{order}")).expect("the margin's reversal");
    assert_eq!(workings(&reversal).1, -332_518);
    assert_eq!(reversal["note"], "Returned by the buyer");
    assert_eq!(platform(s)["totals"], json!({"KES": 0}));
    let twice = s.cli_fails(&["refund", &order, "--reason", "again"]);
    assert!(twice.contains("refunded already"), "{twice}");
    assert_eq!(platform(s)["entries"].as_array().unwrap().len(), 2, "one margin, one reversal");

    // An order imported by hand has no sale: her mentor earns her rate, uncapped, and the
    // platform records no margin (5% of KSh 900.00 is KSh 45.00).
    let by_hand = s.delivered_order(&w.ops, &w.artisan, &w.staff, "H-1", 90_000);
    assert_eq!(money(s, &format!("commission:{by_hand}")), Some((w.mentor.account.clone(), 4_500)));
    assert!(platform_entry(s, &format!("margin:{by_hand}")).is_none());
    assert_eq!(platform(s)["unpriced"], json!([]), "an order without a sale is not a sale without a rate");
}

#[test]
fn the_commission_is_capped_at_the_margin_and_a_sale_below_her_price_leaves_a_loss() {
    let w = world();
    let s = &w.s;
    s.cli(&["commission-rate", "--from", &day(-30), "--percent", "5"]);
    s.cli(&["exchange-rate", "--currency", "USD", "--from", &day(-7), "--kes", "129.50"]);

    // US$12.00 for one: KSh 1,554.00, KSh 54.00 over her KSh 1,500.00. 5% would be KSh 75.00:
    // her mentor gets the KSh 54.00, and the platform keeps nothing.
    published(&w, 1_200, "USD");
    let (capped, _) = sold(&w, "M-2", 1);
    // Then US$10.00: KSh 1,295.00, KSh 205.00 below her price. She earns her price all the
    // same; no commission; the platform records its loss.
    published(&w, 1_000, "USD");
    let (below, _) = sold(&w, "M-3", 1);
    made_and_delivered(&w, &capped);
    made_and_delivered(&w, &below);

    assert_eq!(money(s, &format!("earning:{capped}")), Some((w.artisan.account.clone(), HER_PRICE)));
    assert_eq!(money(s, &format!("commission:{capped}")), Some((w.mentor.account.clone(), 5_400)));
    let m = platform_entry(s, &format!("margin:{capped}")).unwrap();
    assert_eq!(workings(&m), ("margin".into(), 0, 155_400, 1_295_000, HER_PRICE, 7_500, 5_400));
    assert!(s.cli(&["margins"]).contains("(capped: KSh 75"), "the listing says the commission was capped");

    assert_eq!(money(s, &format!("earning:{below}")), Some((w.artisan.account.clone(), HER_PRICE)));
    assert_eq!(money(s, &format!("commission:{below}")), None, "nothing left over her price: no commission");
    let m = platform_entry(s, &format!("margin:{below}")).unwrap();
    assert_eq!(workings(&m), ("margin".into(), -20_500, 129_500, 1_295_000, HER_PRICE, 7_500, 0));
    assert_eq!(platform(s)["totals"], json!({"KES": -20_500}));

    // Refunded: the commission's reversal is what was paid (KSh 54.00), not her rate's KSh 75.00.
    s.cli(&["refund", &capped, "--reason", "Lost in the post"]);
    s.cli(&["refund", &below, "--reason", "Lost in the post"]);
    assert_eq!(money(s, &format!("reversal:commission:{capped}")), Some((w.mentor.account.clone(), -5_400)));
    assert_eq!(money(s, &format!("reversal:commission:{below}")), None);
    assert_eq!(workings(&platform_entry(s, &format!("margin_reversal:{below}")).unwrap()).1, 20_500);
    assert_eq!(platform(s)["totals"], json!({"KES": 0}));
}

#[test]
fn a_sale_takes_the_rate_of_its_own_day_and_a_sale_from_stock_has_a_margin_and_its_replenishment_none() {
    let w = world();
    let s = &w.s;
    // No mentor's commission here (no rate): the margin is the sale less her earning.
    s.cli(&["exchange-rate", "--currency", "EUR", "--from", &day(-10), "--kes", "140"]);
    published(&w, 2_000, "EUR");
    let (yesterdays, _) = sold(&w, "M-4", 1);
    // That sale was made yesterday (the depot's clock cannot be moved back, so its day is;
    // `order_sales` is the depot's own record of the sale and nothing else reads it).
    let rw = s.db();
    assert_eq!(rw.execute("UPDATE order_sales SET sold_day = ?1 WHERE order_id = ?2", [&day(-1), &yesterdays]).unwrap(), 1);
    drop(rw);
    // A new rate from today, set before either is delivered: it applies to today's sale only.
    s.cli(&["exchange-rate", "--currency", "EUR", "--from", &day(0), "--kes", "150.25"]);
    assert_eq!(s.push(&w.staff, vec![stock_entry(&w.product, 1)]), vec![None]);
    let (from_stock, held) = sold(&w, "M-5", 1);
    assert!(held, "one piece held: sold from stock");
    made_and_delivered(&w, &yesterdays);
    staff_does(&w, &from_stock, &["ship", "deliver"]);

    // By hand: €20.00 at KSh 140 (yesterday's rate) = KSh 2,800.00; at KSh 150.25 (today's) =
    // KSh 3,005.00. Her price is KSh 1,500.00 for each.
    let m = platform_entry(s, &format!("margin:{yesterdays}")).unwrap();
    assert_eq!(workings(&m), ("margin".into(), 130_000, 280_000, 1_400_000, HER_PRICE, 0, 0));
    let m = platform_entry(s, &format!("margin:{from_stock}")).unwrap();
    assert_eq!(workings(&m), ("margin".into(), 150_500, 300_500, 1_502_500, HER_PRICE, 0, 0));
    assert_eq!(money(s, &format!("earning:{from_stock}")), Some((w.artisan.account.clone(), HER_PRICE)));

    // The replenishment she makes goes back into stock: no sale, no earning, no margin.
    let replenishment = s
        .records()
        .into_iter()
        .find(|r| r.0 == "order" && serde_json::from_str::<Value>(&r.4).unwrap()["external_ref"] == from_stock.as_str())
        .expect("the replenishment")
        .1;
    let hers = ["accept", "start_production", "mark_ready"].map(|c| command("order", &replenishment, c)).to_vec();
    assert_eq!(s.push(&w.artisan, hers), vec![None, None, None]);
    staff_does(&w, &replenishment, &["receive", "qc_pass", "stock"]);
    let sales: i64 =
        s.db().query_row("SELECT COUNT(*) FROM order_sales WHERE order_id = ?1", [&replenishment], |r| r.get(0)).unwrap();
    assert_eq!(sales, 0);
    assert_eq!(money(s, &format!("earning:{replenishment}")), None);
    let entries = platform(s)["entries"].as_array().unwrap().len();
    assert_eq!(entries, 2, "the two sales' margins only");
    assert_eq!(platform(s)["totals"], json!({"KES": 280_500}));
}

#[test]
fn exchange_rates_are_refused_with_their_reasons_and_never_rewritten() {
    let w = world();
    let s = &w.s;
    let rows = || -> Vec<(String, String, i64)> {
        let db = s.db();
        let mut q = db.prepare("SELECT currency, effective_day, kes_per_unit_e4 FROM exchange_rates ORDER BY 1, 2").unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    assert!(s.cli(&["exchange-rate", "--list"]).contains("no exchange rate set"));
    s.cli(&["exchange-rate", "--currency", "GBP", "--from", &day(0), "--kes", "170.1234"]);
    let kept = vec![("GBP".to_string(), day(0), 1_701_234)];
    assert_eq!(rows(), kept);

    let set = |currency: &str, from: &str, kes: &str| {
        s.cli_fails(&["exchange-rate", "--currency", currency, "--from", from, "--kes", kes])
    };
    for (currency, from, kes, says) in [
        ("JPY", day(1), "1", "not a shop currency"),
        ("usd", day(1), "129", "not a shop currency"),
        ("KES", day(1), "1", "always 1"),
        ("USD", day(1), "0", "more than 0"),
        ("USD", day(1), "0.0000", "more than 0"),
        ("USD", day(1), "-129.50", "more than 0"),
        ("USD", day(1), "10000.0001", "at most KSh 10000"),
        ("USD", day(1), "12950", "at most KSh 10000"),
        ("USD", day(1), "129.50001", "at most 4 decimals"),
        ("USD", day(1), "129,50", "not a number"),
        ("USD", day(1), "1e2", "not a number"),
        ("USD", "2026-02-30".into(), "129", "no such day"),
        ("GBP", day(0), "171", "set already"),
    ] {
        let err = set(currency, &from, kes);
        assert!(err.contains(says), "{currency} {from} {kes}: {err}");
    }
    assert_eq!(rows(), kept, "nothing refused was kept, the rate set stays as it was");
    // Set on the command line, audited by the store (as the console's are), once.
    let audited: Vec<(String, String, String)> = {
        let db = s.db();
        let mut q = db.prepare("SELECT account_id, target, detail FROM audit_log WHERE action = 'exchange_rate.set'").unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(audited, vec![(String::new(), "GBP".to_string(), format!("from {}: KSh 170.1234 a unit", day(0)))]);
    // The history never changes, even in the file.
    let rw = s.db();
    assert!(rw.execute("UPDATE exchange_rates SET kes_per_unit_e4 = 1", []).is_err());
    assert!(rw.execute("DELETE FROM exchange_rates", []).is_err());
    drop(rw);
    assert_eq!(rows(), kept);
}

#[test]
fn a_product_is_published_in_a_foreign_currency_only_with_a_rate_in_force() {
    let w = world();
    let s = &w.s;
    let listing = |w: &World| s.records().into_iter().find(|r| r.0 == "product" && r.1 == w.product).unwrap().4;
    let before = listing(&w);
    let (status, v) = publish(&w, &w.product, 2_500, "USD");
    assert_eq!((status, v["error"].as_str()), (409, Some("conflict")), "{v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.contains("USD") && detail.contains("exchange-rate --currency USD"), "{detail}");
    assert_eq!(listing(&w), before, "still awaiting its price");
    // A rate from tomorrow is not in force today.
    s.cli(&["exchange-rate", "--currency", "USD", "--from", &day(1), "--kes", "129.50"]);
    assert_eq!(publish(&w, &w.product, 2_500, "USD").0, 409);
    // In shillings no rate is needed (KES is 1): US$ waits, KSh sells.
    let other = s.approved_product(&w.artisan, &w.mentor, "Mkeka", 90_000, 2);
    let (status, v) = publish(&w, &other, 120_000, "KES");
    assert_eq!(status, 200, "{v}");
    s.cli(&["exchange-rate", "--currency", "USD", "--from", &day(0), "--kes", "129.25"]);
    published(&w, 2_500, "USD");
    assert!(listing(&w).contains("\"published\""));
}
