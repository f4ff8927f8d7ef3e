//! The shop order webhook on a real depot process (issue 15 item 3, ADR 0026): a shop added with
//! the command line signs its orders; each refusal has its typed error and creates nothing; the
//! same shop order delivered twice (or twice at once) makes one set of orders; a line the depot
//! holds is sold from stock (the movement out, a replenishment to the artisan's phone) and any
//! other is made to order; the stock sale earns the artisan when it is delivered, and the
//! replenishment never earns but goes back into stock.

mod common;
use common::{command, stock_entry, Answer, Dev, Server};
use fundi_sync::limits::{SHOP_ORDER_LINES_MAX, SHOP_ORDER_MAX_BYTES, SHOP_REPLAY_WINDOW_SECS};
use fundi_sync::shop::{sign, SHOP_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};

const PATH: &str = "/v1/shop/orders";

/// A shop added with the real command line: (id, secret).
fn add_shop(s: &Server, name: &str) -> (String, String) {
    let v: Value = serde_json::from_str(&s.cli(&["shop", "add", "--json", "--name", name])).unwrap();
    (v["id"].as_str().unwrap().to_string(), v["secret"].as_str().unwrap().to_string())
}

fn now_s() -> u64 {
    fundi_sync::hlc::wall_clock_ms() / 1000
}

/// POST raw `body` with these signature headers (a `None` is left out) and any `extra` headers.
fn post(s: &Server, shop: Option<&str>, ts: Option<&str>, sig: Option<&str>, body: &[u8], extra: &[(&str, String)]) -> Answer {
    let mut headers: Vec<(&str, String)> = vec![("content-type", "application/json".into())];
    for (name, v) in [(SHOP_HEADER, shop), (TIMESTAMP_HEADER, ts), (SIGNATURE_HEADER, sig)] {
        if let Some(v) = v {
            headers.push((name, v.to_string()));
        }
    }
    headers.extend(extra.iter().cloned());
    s.send(None, "POST", PATH, &headers, Some(body.to_vec()))
}

/// `body` signed by the shop at `ts` and delivered.
fn deliver_at(s: &Server, shop: &(String, String), body: &[u8], ts: u64) -> Answer {
    let ts = ts.to_string();
    post(s, Some(&shop.0), Some(&ts), Some(&sign(&shop.1, &ts, body)), body, &[])
}

fn deliver(s: &Server, shop: &(String, String), order: &Value) -> Answer {
    deliver_at(s, shop, order.to_string().as_bytes(), now_s())
}

fn json_of(a: &Answer) -> Value {
    serde_json::from_slice(&a.body).unwrap_or(Value::Null)
}

/// The order `id` as stored.
fn stored(s: &Server, id: &str) -> Value {
    let row = s.records().into_iter().find(|r| r.0 == "order" && r.1 == id).unwrap_or_else(|| panic!("no order {id}"));
    serde_json::from_str(&row.4).unwrap()
}

/// Every stored order (id, body).
fn orders(s: &Server) -> Vec<(String, Value)> {
    s.records().into_iter().filter(|r| r.0 == "order").map(|r| (r.1, serde_json::from_str(&r.4).unwrap())).collect()
}

/// The pieces of `product` the depot holds (the stock ledger's sum).
fn held(s: &Server, product: &str) -> i64 {
    s.records()
        .into_iter()
        .filter(|r| r.0 == "stock")
        .map(|r| serde_json::from_str::<Value>(&r.4).unwrap()["entry"].clone())
        .filter(|e| e["product_id"] == product)
        .map(|e| e["delta"].as_i64().unwrap())
        .sum()
}

/// Every row `sqls` select, as text.
fn rows(s: &Server, sqls: &[&str]) -> Vec<String> {
    let db = s.db();
    sqls.iter().flat_map(|sql| db.rows_as_text(sql)).collect()
}

/// What a shop order makes: records (but refusals), order references, shop orders, the audit
/// log, who recorded stock movements.
fn made(s: &Server) -> Vec<String> {
    rows(
        s,
        &[
            "SELECT kind, id, owner, seq, body FROM records WHERE kind != 'rejection' ORDER BY seq",
            "SELECT source, external_ref, order_id FROM order_refs ORDER BY source, external_ref",
            "SELECT shop_id, shop_order_id, answer FROM shop_orders ORDER BY shop_id, shop_order_id",
            "SELECT id, action, target FROM audit_log ORDER BY id",
            "SELECT entry_id, account_id FROM stock_recorders ORDER BY entry_id",
        ],
    )
}

/// What a refused delivery must leave as it was: what an order makes, and the signatures taken.
fn snapshot(s: &Server) -> Vec<String> {
    let mut out = made(s);
    out.extend(rows(s, &["SELECT shop_id, signature FROM shop_signatures ORDER BY shop_id, signature"]));
    out
}

/// A depot with an artisan (and her mentor), staff, operations, a shop, and products of hers:
/// `on_sale` (KSh 1,500 a piece, published), `capacity_0` (published, weekly capacity 0) and
/// `awaiting` (approved, no shop price).
struct World {
    s: Server,
    artisan: Dev,
    staff: Dev,
    ops: Dev,
    shop: (String, String),
    on_sale: String,
    capacity_0: String,
    awaiting: String,
}

const PRICE: i64 = 150_000;

/// A product of `artisan`'s approved by `reviewer` whose draft never named a weekly capacity
/// (its product's is 0: sold from stock only, ADR 0025).
fn approved_without_capacity(s: &Server, artisan: &Dev, reviewer: &Dev, title: &str, price_minor: i64) -> String {
    let id = common::uuid_like();
    let ms = vec![
        common::field_write(&id, "draft", "title", json!(title)),
        common::field_write(&id, "draft", "price", json!(price_minor)),
        command("draft", &id, "submit"),
    ];
    assert_eq!(s.push(artisan, ms), vec![None; 3]);
    assert_eq!(s.push(reviewer, vec![command("draft", &id, "approve")]), vec![None]);
    id
}

fn world() -> World {
    world_with(&[])
}

/// [`world`] with these `serve` arguments.
fn world_with(serve_args: &[&str]) -> World {
    let s = Server::start_with(serve_args);
    let mentor = s.device("mentor", "m", None);
    let artisan = s.device("artisan", "a", Some(&mentor.account));
    let staff = s.device("staff", "st", None);
    let ops = s.device("operations", "o", None);
    let on_sale = s.approved_product(&artisan, &mentor, "Kikapu", PRICE, 4);
    let capacity_0 = approved_without_capacity(&s, &artisan, &mentor, "Kiondo", 90_000);
    let awaiting = s.approved_product(&artisan, &mentor, "Mkeka", 200_000, 2);
    // A shop price in dollars needs a rate in force (ADR 0027).
    s.cli(&["exchange-rate", "--currency", "USD", "--from", "2000-01-01", "--kes", "129.50"]);
    for p in [&on_sale, &capacity_0] {
        let change = json!({"action": "publish", "price_minor": 2500, "currency": "USD"});
        let (st, v) = s.req(Some(&ops), &format!("/v1/products/{p}/listing"), Some(change));
        assert_eq!(st, 200, "{v}");
    }
    let shop = add_shop(&s, "Duka la mtandaoni");
    World { s, artisan, staff, ops, shop, on_sale, capacity_0, awaiting }
}

fn staff_command(w: &World, id: &str, c: &str) -> (u16, Value) {
    w.s.req(Some(&w.staff), &format!("/v1/orders/{id}/commands"), Some(json!({"command": c})))
}

/// `a` is refused with `status` and the typed `code`.
fn refused(a: &Answer, status: u16, code: &str, what: &str) -> Value {
    let v = json_of(a);
    assert_eq!((a.status, v["error"].as_str()), (status, Some(code)), "{what}: {v}");
    assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}: {v}");
    v
}

#[test]
fn each_refusal_has_its_typed_error_and_creates_nothing() {
    let w = world();
    let s = &w.s;
    let (shop, secret) = (w.shop.0.as_str(), w.shop.1.as_str());
    let revoked = add_shop(s, "Old shop");
    assert!(s.cli(&["shop", "revoke", &revoked.0]).contains("revoked"));
    let listed = s.cli(&["shop", "list"]);
    assert!(listed.contains(&format!("{}  active", w.shop.0)) && listed.contains(&format!("{}  revoked", revoked.0)), "{listed}");
    let before = snapshot(s);

    let good = json!({"order_id": "W-1", "lines": [{"product_id": w.on_sale, "quantity": 1}]}).to_string().into_bytes();
    let now = now_s().to_string();
    let signed = sign(secret, &now, &good);
    let p = |shop: Option<&str>, ts: Option<&str>, sig: Option<&str>, body: &[u8]| post(s, shop, ts, sig, body, &[]);

    // The signature: missing or ill-formed headers, another secret, body or timestamp, another spelling.
    refused(&p(Some(shop), Some(&now), None, &good), 401, "bad_signature", "no signature");
    refused(&p(None, Some(&now), Some(&signed), &good), 401, "bad_signature", "no shop");
    refused(&p(Some(shop), None, Some(&signed), &good), 401, "bad_signature", "no timestamp");
    refused(&p(Some(shop), Some(&format!("+{now}")), Some(&signed), &good), 401, "bad_signature", "a timestamp not in digits");
    let other = sign("not the secret", &now, &good);
    refused(&p(Some(shop), Some(&now), Some(&other), &good), 401, "bad_signature", "another secret");
    refused(&p(Some(shop), Some(&now), Some(&signed), &[&good[..], b" "].concat()), 401, "bad_signature", "another body");
    let earlier = (now.parse::<u64>().unwrap() - 1).to_string();
    refused(&p(Some(shop), Some(&earlier), Some(&signed), &good), 401, "bad_signature", "another timestamp");
    let upper = format!("sha256={}", signed["sha256=".len()..].to_uppercase());
    refused(&p(Some(shop), Some(&now), Some(&upper), &good), 401, "bad_signature", "upper-case hex");
    // The shop: unknown, or revoked (its own secret no longer opens the door).
    refused(&p(Some(&common::uuid_like()), Some(&now), Some(&signed), &good), 401, "unauthorized", "an unknown shop");
    refused(&p(Some(&revoked.0), Some(&now), Some(&sign(&revoked.1, &now, &good)), &good), 401, "revoked", "a revoked shop");
    // The replay window, either way.
    for ts in [now_s() - SHOP_REPLAY_WINDOW_SECS - 5, now_s() + SHOP_REPLAY_WINDOW_SECS + 5] {
        refused(&deliver_at(s, &w.shop, &good, ts), 401, "timestamp_outside_window", "outside the window");
    }
    // The body: too large, not an order, compressed.
    let big = format!(
        r#"{{"order_id": "W-big", "lines": [{{"product_id": "{}", "quantity": 1}}], "pad": "{}"}}"#,
        w.on_sale,
        "x".repeat(SHOP_ORDER_MAX_BYTES)
    );
    refused(&deliver_at(s, &w.shop, big.as_bytes(), now_s()), 413, "too_large", "too large");
    for bad in [&b"order W-1, please"[..], b"[]", br#"{"order_id": "W-1", "lines": [{"product_id": "p", "quantity": -1}]}"#] {
        refused(&deliver_at(s, &w.shop, bad, now_s()), 400, "malformed", &String::from_utf8_lossy(bad));
    }
    let ts = now_s().to_string();
    let gz = [("content-encoding", "gzip".to_string())];
    refused(&post(s, Some(shop), Some(&ts), Some(&sign(secret, &ts, &good)), &good, &gz), 400, "malformed", "compressed");
    // The order as a whole.
    let line = |p: &str, q: i64| json!({"product_id": p, "quantity": q});
    let many: Vec<Value> = (0..=SHOP_ORDER_LINES_MAX).map(|_| line(&w.on_sale, 1)).collect();
    for bad in [
        json!({"order_id": " ", "lines": [line(&w.on_sale, 1)]}),
        json!({"order_id": "x".repeat(49), "lines": [line(&w.on_sale, 1)]}),
        json!({"order_id": "W-1", "lines": []}),
        json!({"order_id": "W-1", "lines": many}),
        json!({"order_id": "W-1", "lines": [line(&w.on_sale, 1)], "due_date": "2026-02-30"}),
    ] {
        let v = refused(&deliver(s, &w.shop, &bad), 422, "invalid", &bad.to_string());
        assert!(v.get("lines").is_none(), "a refusal of the order as a whole names no line: {v}");
    }
    // Its lines: every refused line named with its own code, and nothing made of the good ones.
    let unknown_product = common::uuid_like();
    let mixed = json!({"order_id": "W-2", "lines": [
        line(&w.on_sale, 1),
        line(&unknown_product, 1),
        line(&w.awaiting, 1),
        line(&w.on_sale, 0),
        line(&w.on_sale, 10_001),
        line(&w.on_sale, 7_000),
    ]});
    let v = refused(&deliver(s, &w.shop, &mixed), 422, "invalid", "refused lines");
    let lines: Vec<(u64, String, String)> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["line"].as_u64().unwrap(), l["product_id"].as_str().unwrap().into(), l["code"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (2, unknown_product.clone(), "unknown_product".into()),
            (3, w.awaiting.clone(), "not_on_sale".into()),
            (4, w.on_sale.clone(), "invalid".into()),
            (5, w.on_sale.clone(), "invalid".into()),
            (6, w.on_sale.clone(), "invalid".into()),
        ],
        "{v}"
    );
    // The same per-row error an import gives (KSh 1,500 x 7,000 is over the highest price).
    let import = s.cli_fails(&["import-orders", &{
        let path = s.dir.path().join("too-dear.csv");
        std::fs::write(&path, "source,external_ref,product,quantity,price_minor\nshop,W-2#6,Kikapu,7000,1050000000\n").unwrap();
        path.to_str().unwrap().to_string()
    }]);
    let row_error = v["lines"][4]["detail"].as_str().unwrap();
    assert!(import.contains(row_error), "the webhook's line says what an import's row says: {row_error:?} / {import}");
    assert_eq!(snapshot(s), before, "a refused delivery creates nothing");

    // Taken once; the very same delivery again (same timestamp and signature) is a replay.
    let ts = now_s().to_string();
    let sig = sign(secret, &ts, &good);
    let a = p(Some(shop), Some(&ts), Some(&sig), &good);
    assert_eq!(a.status, 200, "{}", json_of(&a));
    let taken = snapshot(s);
    refused(&p(Some(shop), Some(&ts), Some(&sig), &good), 409, "replayed", "the same delivery again");
    assert_eq!(snapshot(s), taken, "a replay changes nothing");

    // Operations see every delivery's outcome, the refused ones of the shop among them.
    let deliveries: Vec<Value> =
        s.cli(&["shop", "deliveries", "--json", "--limit", "100"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let codes = |shop_id: &str| -> Vec<String> {
        deliveries.iter().filter(|d| d["shop_id"] == shop_id).map(|d| d["code"].as_str().unwrap().to_string()).collect()
    };
    let mine = codes(shop);
    for code in ["bad_signature", "timestamp_outside_window", "too_large", "malformed", "invalid", "replayed", "ok"] {
        assert!(mine.contains(&code.to_string()), "{code} in {mine:?}");
    }
    assert_eq!(codes(&revoked.0), vec!["revoked"]);
    let refused_only = s.cli(&["shop", "deliveries", "--refused", "--shop", shop, "--limit", "100"]);
    assert_eq!(refused_only.lines().count(), mine.len() - 1, "all but the one taken: {refused_only}");
    assert!(refused_only.contains("line 2: unknown_product"), "{refused_only}");
}

#[test]
fn the_same_shop_order_delivered_twice_makes_one_set_of_orders() {
    let w = world();
    let s = &w.s;
    let order = json!({"order_id": "W-10", "lines": [
        {"product_id": w.on_sale, "quantity": 2},
        {"product_id": w.capacity_0, "quantity": 1},
    ], "due_date": "2027-01-15", "customer": {"name": "Ann Shopper"}});
    let first = deliver(s, &w.shop, &order);
    assert_eq!(first.status, 200, "{}", json_of(&first));
    let answer = json_of(&first);
    assert_eq!(answer["shop_order_id"], "W-10");
    let ids: Vec<String> = answer["orders"].as_array().unwrap().iter().map(|o| o["order_id"].as_str().unwrap().into()).collect();
    assert_eq!(ids.len(), 2);
    let made = orders(s);
    // A retry of the shop's: signed anew, a second later.
    let again = deliver_at(s, &w.shop, order.to_string().as_bytes(), now_s() + 1);
    assert_eq!((again.status, json_of(&again)), (200, answer.clone()), "the same answer");
    assert_eq!(orders(s), made, "nothing new");
    // The same order with its members in another order reads the same.
    let reordered = format!(
        r#"{{"due_date": "2027-01-15", "lines": [{{"quantity": 2, "product_id": "{}"}}, {{"product_id": "{}", "quantity": 1}}], "order_id": "W-10"}}"#,
        w.on_sale, w.capacity_0
    );
    let a = deliver_at(s, &w.shop, reordered.as_bytes(), now_s() + 2);
    assert_eq!((a.status, json_of(&a)), (200, answer.clone()));
    // Another order under the same id: refused, nothing made.
    let changed = json!({"order_id": "W-10", "lines": [{"product_id": w.on_sale, "quantity": 3}]});
    refused(&deliver(s, &w.shop, &changed), 409, "conflict", "another order under a used id");
    assert_eq!(orders(s), made);
    // Another shop's order of the same id is its own.
    let other = add_shop(s, "Another shop");
    let a = deliver(s, &other, &order);
    assert_eq!(a.status, 200, "{}", json_of(&a));
    assert_eq!(orders(s).len(), made.len() + 2);

    // The orders are made as an import makes them, with the shop as their source.
    let o = stored(s, &ids[1]);
    assert_eq!(
        (o["source"].as_str(), o["external_ref"].as_str(), o["product"].as_str(), o["product_id"].as_str()),
        (Some(w.shop.0.as_str()), Some("W-10#2"), Some("Kiondo"), Some(w.capacity_0.as_str()))
    );
    assert_eq!(
        (o["quantity"].as_i64(), o["price_minor"].as_i64(), o["due_date"].as_str()),
        (Some(1), Some(90_000), Some("2027-01-15"))
    );
    assert!(!s.records().iter().any(|r| r.4.contains("Ann Shopper")), "what the depot does not know of an order is not kept");
}

#[test]
fn a_line_the_depot_holds_is_sold_from_stock_and_replenished_and_any_other_is_made_to_order() {
    let w = world();
    let s = &w.s;
    assert_eq!(s.push(&w.staff, vec![stock_entry(&w.on_sale, 3)]), vec![None]);
    let order = json!({"order_id": "W-20", "lines": [
        {"product_id": w.on_sale, "quantity": 2},
        {"product_id": w.on_sale, "quantity": 2},
        {"product_id": w.capacity_0, "quantity": 5},
    ], "due_date": "2027-02-01"});
    let a = deliver(s, &w.shop, &order);
    assert_eq!(a.status, 200, "{}", json_of(&a));
    let answer = json_of(&a);
    let lines = answer["orders"].as_array().unwrap();
    let from_stock: Vec<bool> = lines.iter().map(|l| l["from_stock"].as_bool().unwrap()).collect();
    assert_eq!(from_stock, vec![true, false, false], "3 held: the first line's 2 from stock, then 1 left for the second's 2");
    let id = |i: usize| lines[i]["order_id"].as_str().unwrap().to_string();

    // Sold from stock: at the depot, checked, hers, at her price; the pieces left the ledger.
    let sold = stored(s, &id(0));
    assert_eq!(
        (sold["status"].as_str(), sold["artisan_id"].as_str(), sold["price_minor"].as_i64()),
        (Some("qc_passed"), Some(w.artisan.account.as_str()), Some(2 * PRICE))
    );
    assert_eq!(
        (sold["history"][0]["event"].as_str(), sold["history"][0]["status"].as_str()),
        (Some("from_stock"), Some("qc_passed"))
    );
    assert_eq!(held(s, &w.on_sale), 1);
    let movement = s.records().into_iter().find(|r| r.0 == "stock" && r.1 == format!("sold:{}", id(0))).expect("the movement");
    let m: Value = serde_json::from_str(&movement.4).unwrap();
    assert_eq!(
        (m["entry"]["delta"].as_i64(), m["entry"]["reason"].as_str(), m["entry"]["order_id"].as_str(), m["owner"].as_str()),
        (Some(-2), Some("sold"), Some(id(0).as_str()), Some(w.artisan.account.as_str()))
    );
    let by: String =
        s.db().query_row("SELECT account_id FROM stock_recorders WHERE entry_id = ?1", [&movement.1], |r| r.get(0)).unwrap();
    assert_eq!(by, w.shop.0, "recorded by the shop whose order sold them");
    // And she is asked to make them again.
    let replenish: Vec<(String, Value)> = orders(s).into_iter().filter(|(_, o)| o["source"] == "replenish").collect();
    assert_eq!(replenish.len(), 1);
    let r = &replenish[0].1;
    assert_eq!(
        (r["status"].as_str(), r["artisan_id"].as_str(), r["external_ref"].as_str(), r["product_id"].as_str()),
        (Some("assigned"), Some(w.artisan.account.as_str()), Some(id(0).as_str()), Some(w.on_sale.as_str()))
    );
    assert_eq!((r["quantity"].as_i64(), r["price_minor"].as_i64(), r["due_date"].as_str()), (Some(2), Some(2 * PRICE), None));

    // Made to order: new, for operations to assign, whatever her weekly capacity.
    for (i, product) in [(1, &w.on_sale), (2, &w.capacity_0)] {
        let o = stored(s, &id(i));
        assert_eq!(
            (o["status"].as_str(), o["artisan_id"].as_str(), o["product_id"].as_str(), o["due_date"].as_str()),
            (Some("new"), None, Some(product.as_str()), Some("2027-02-01")),
            "line {}",
            i + 1
        );
    }
    let (st, depot) = s.req(Some(&w.ops), "/v1/depot", None);
    assert_eq!(st, 200, "{depot}");
    let unassigned: Vec<&str> = depot["unassigned"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert!(unassigned.contains(&id(1).as_str()) && unassigned.contains(&id(2).as_str()), "operations assign them: {depot}");
    let audited: i64 = s
        .db()
        .query_row("SELECT COUNT(*) FROM audit_log WHERE action = 'shop.order' AND account_id = ?1", [&w.shop.0], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, 1);

    // A retry changes nothing: no second movement, no second replenishment.
    let before = made(s);
    let again = deliver_at(s, &w.shop, order.to_string().as_bytes(), now_s() + 1);
    assert_eq!((again.status, json_of(&again)), (200, answer));
    assert_eq!(made(s), before);
    assert_eq!(held(s, &w.on_sale), 1);
    assert_eq!(orders(s).iter().filter(|(_, o)| o["source"] == "replenish").count(), 1);
}

/// The artisan's money entries (kind, amount, order).
fn ledger(s: &Server, artisan: &Dev) -> Vec<(String, i64, String)> {
    s.pull_all(artisan)
        .into_iter()
        .filter(|c| c["kind"] == "money")
        .map(|c| {
            let e = &c["body"]["entry"];
            (e["kind"].as_str().unwrap().into(), e["amount_minor"].as_i64().unwrap(), e["order_id"].as_str().unwrap_or("").into())
        })
        .collect()
}

#[test]
fn the_sale_from_stock_earns_on_delivery_and_the_replenishment_goes_back_into_stock_without_earning() {
    let w = world();
    let s = &w.s;
    assert_eq!(s.push(&w.staff, vec![stock_entry(&w.on_sale, 1)]), vec![None]);
    let a = deliver(s, &w.shop, &json!({"order_id": "W-30", "lines": [{"product_id": w.on_sale, "quantity": 1}]}));
    assert_eq!(a.status, 200, "{}", json_of(&a));
    let sold = json_of(&a)["orders"][0]["order_id"].as_str().unwrap().to_string();
    assert_eq!(held(s, &w.on_sale), 0);

    // Staff ship the sale and it is delivered: she earns her price, through the money ledger.
    assert!(ledger(s, &w.artisan).is_empty());
    for c in ["ship", "deliver"] {
        let (st, v) = staff_command(&w, &sold, c);
        assert_eq!(st, 200, "{c}: {v}");
    }
    assert_eq!(ledger(s, &w.artisan), vec![("earning".to_string(), PRICE, sold.clone())]);

    // The replenishment reaches her phone, assigned to her, beside the sale.
    let pulled = s.pull_all(&w.artisan);
    let mine: Vec<&Value> = pulled.iter().filter(|c| c["kind"] == "order").collect();
    let replenish = mine.iter().find(|c| c["body"]["source"] == "replenish").expect("her replenishment");
    let rid = replenish["id"].as_str().unwrap().to_string();
    assert_eq!(
        (replenish["body"]["status"].as_str(), replenish["body"]["external_ref"].as_str()),
        (Some("assigned"), Some(sold.as_str()))
    );
    assert!(mine.iter().any(|c| c["id"] == sold.as_str()), "she sees her sale too");

    // She makes the pieces; staff receive and check them; they go into stock, not to a buyer.
    let hers = ["accept", "start_production", "mark_ready"].map(|c| command("order", &rid, c)).to_vec();
    assert_eq!(s.push(&w.artisan, hers), vec![None, None, None]);
    for c in ["receive", "qc_pass"] {
        let (st, v) = staff_command(&w, &rid, c);
        assert_eq!(st, 200, "{c}: {v}");
    }
    let (st, v) = staff_command(&w, &rid, "ship");
    assert_eq!((st, v["error"].as_str()), (409, Some("illegal_transition")), "a replenishment is not shipped: {v}");
    let (st, v) = staff_command(&w, &rid, "stock");
    assert_eq!((st, v["status"].as_str()), (200, Some("stocked")), "{v}");
    assert_eq!(held(s, &w.on_sale), 1, "the stock is back");
    let (st, v) = staff_command(&w, &rid, "deliver");
    assert_eq!(st, 409, "stocked is final: {v}");
    assert_eq!(ledger(s, &w.artisan), vec![("earning".to_string(), PRICE, sold)], "she is paid for the sale, not for restocking");

    // The restocked piece sells again, from stock.
    let a = deliver(s, &w.shop, &json!({"order_id": "W-31", "lines": [{"product_id": w.on_sale, "quantity": 1}]}));
    assert_eq!((a.status, json_of(&a)["orders"][0]["from_stock"].as_bool()), (200, Some(true)), "{}", json_of(&a));
}

#[test]
fn two_deliveries_of_one_shop_order_at_once_make_one_set_of_orders() {
    let w = world();
    let s = &w.s;
    assert_eq!(s.push(&w.staff, vec![stock_entry(&w.on_sale, 2)]), vec![None]);
    let body = json!({"order_id": "W-40", "lines": [
        {"product_id": w.on_sale, "quantity": 2},
        {"product_id": w.capacity_0, "quantity": 1},
    ]})
    .to_string();
    // Retries signed anew (each its own timestamp), all at once.
    let now = now_s();
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let (body, s, shop) = (body.clone(), s, &w.shop);
                scope.spawn(move || {
                    let a = deliver_at(s, shop, body.as_bytes(), now - i);
                    (a.status, json_of(&a))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (status, v) in &answers {
        assert_eq!((*status, v), (200, &answers[0].1), "every delivery gets the one answer");
    }
    let made = orders(s);
    assert_eq!(made.len(), 3, "two lines and one replenishment: {made:?}");
    assert_eq!(held(s, &w.on_sale), 0, "the pieces left the stock once");

    // The very same delivery twice at once: one is taken, the other is a replay.
    let body = json!({"order_id": "W-41", "lines": [{"product_id": w.capacity_0, "quantity": 1}]}).to_string();
    let ts = now_s();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2).map(|_| scope.spawn(|| deliver_at(s, &w.shop, body.as_bytes(), ts).status)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, vec![200, 409], "{statuses:?}");
    assert_eq!(orders(s).len(), 4);
}

/// Rates are bounded before any work or write: refused deliveries per client address, taken
/// ones per shop; past either, 429 `rate_limited`, and the delivery is not recorded.
#[test]
fn refusals_per_address_and_deliveries_per_shop_are_rate_limited() {
    let w = world_with(&["--shop-refusals-per-minute", "3", "--shop-deliveries-per-minute", "2"]);
    let s = &w.s;
    let recorded = |s: &Server| rows(s, &["SELECT COUNT(*) FROM shop_deliveries"]);
    let order = |id: &str| json!({"order_id": id, "lines": [{"product_id": w.capacity_0, "quantity": 1}]});

    // Two deliveries taken from the shop, the third refused before it is read.
    for id in ["R-1", "R-2"] {
        assert_eq!(deliver(s, &w.shop, &order(id)).status, 200, "{id}");
    }
    let before = (recorded(s), orders(s).len());
    refused(&deliver(s, &w.shop, &order("R-3")), 429, "rate_limited", "a third in the minute");
    assert_eq!((recorded(s), orders(s).len()), before, "nothing recorded or made");
    // Another shop has its own allowance.
    let other = add_shop(s, "Another shop");
    assert_eq!(deliver(s, &other, &order("R-4")).status, 200);

    // Three refusals from this address; then even a good delivery from it is refused.
    let stranger = ("not-a-shop".to_string(), "a guessed secret".to_string());
    for _ in 0..3 {
        refused(&deliver(s, &stranger, &order("X-1")), 401, "unauthorized", "a stranger");
    }
    let before = (recorded(s), orders(s).len());
    refused(&deliver(s, &other, &order("R-5")), 429, "rate_limited", "after three refusals from this address");
    refused(&deliver(s, &stranger, &order("X-1")), 429, "rate_limited", "the stranger too");
    assert_eq!((recorded(s), orders(s).len()), before, "nothing recorded or made");
}

/// `serve --demo` adds a shop and prints its id and secret with the other sign-ins: a delivery
/// signed with them is the shop's (here refused for its product, not its signature).
#[test]
fn the_demo_prints_a_shop_that_can_sign_orders() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(common::BIN)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("depot"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut shop, mut url) = (None, None);
    let mut line = String::new();
    while url.is_none() && out.read_line(&mut line).unwrap() > 0 {
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with("demo: web shop") {
            shop = Some((words[4].to_string(), words[6].to_string()));
        }
        if let Some(u) = line.trim().strip_prefix("listening on ") {
            url = Some(u.to_string());
        }
        line.clear();
    }
    let (shop, url) = (shop.expect("the demo prints its shop"), url.expect("the address"));
    let body = json!({"order_id": "D-1", "lines": [{"product_id": common::uuid_like(), "quantity": 1}]}).to_string();
    let ts = now_s().to_string();
    let resp = common::raw_client()
        .post(format!("{url}{PATH}"))
        .header(SHOP_HEADER, &shop.0)
        .header(TIMESTAMP_HEADER, &ts)
        .header(SIGNATURE_HEADER, sign(&shop.1, &ts, body.as_bytes()))
        .body(body)
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let v: Value = serde_json::from_str(&resp.text().unwrap()).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!((status, v["lines"][0]["code"].as_str()), (422, Some("unknown_product")), "{v}");
}
