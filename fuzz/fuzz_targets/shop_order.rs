//! A shop's order through the real depot's router (`POST /v1/shop/orders`, ADR 0026), signed by
//! a real shop (`store::shops::add`) with `fundi_sync::shop::sign`: the body's parser, the
//! order's checks, each line checked as an imported row and made into an order from stock or to
//! make, the answer kept for a retry. Never a 5xx; a body the wire type refuses is `400
//! malformed`, an order refused as a whole `422` without lines, a refusal of lines names real
//! lines and makes nothing; an order taken is answered with one order per line, the same answer
//! again for a retry signed anew (nothing more made), and `409 replayed` for the very same
//! delivery (also the answer when libFuzzer runs an input again within the same second).
//!
//! Input: the body as sent, where `{product}` stands for a product on sale of which the depot
//! holds a few pieces, `{made}` for one on sale with none held, and `{off}` for one taken off
//! sale.
#![no_main]

use fundi_fuzz::real_depot::{self, Answer, RealDepot};
use fundi_fuzz::store::accounts::Caller;
use fundi_fuzz::store::products::ListingChange;
use fundi_fuzz::store::{products, shops};
use fundi_sync::limits::SHOP_ORDER_MAX_BYTES;
use fundi_sync::shop::{sign, ShopOrder, ShopOrderAnswer, SHOP_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Setup {
    shop: shops::NewShop,
    product: String,
    made: String,
    off: String,
}

fn setup(depot: &RealDepot) -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let op = Caller::local_operator();
        let shop = depot.db.write(|tx| shops::add(tx, &op, "Fuzz shop")).expect("a shop");
        let (product, made, off) = (depot.product_on_sale(5), depot.product_on_sale(0), depot.product_on_sale(0));
        depot.db.write(|tx| products::change_listing(tx, &op, &off, &ListingChange::Unpublish)).expect("unpublish");
        Setup { shop, product, made, off }
    })
}

fn replace(data: &[u8], from: &str, to: &str) -> Vec<u8> {
    let (from, mut out, mut i) = (from.as_bytes(), vec![], 0);
    while i < data.len() {
        if data[i..].starts_with(from) {
            out.extend_from_slice(to.as_bytes());
            i += from.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

fn orders_made(depot: &RealDepot) -> i64 {
    depot.db.read(|tx| Ok(tx.query_row("SELECT COUNT(*) FROM records WHERE kind = 'order'", [], |r| r.get(0))?)).expect("count")
}

fn deliver(depot: &RealDepot, s: &Setup, body: &[u8], ts: u64) -> Answer {
    let ts = ts.to_string();
    let headers =
        [(SHOP_HEADER, s.shop.id.clone()), (TIMESTAMP_HEADER, ts.clone()), (SIGNATURE_HEADER, sign(&s.shop.secret, &ts, body))];
    depot.call_headers("POST", "/v1/shop/orders", &headers, body.to_vec()).expect("a fixed path")
}

fuzz_target!(|data: &[u8]| {
    let depot = real_depot::shared();
    let s = setup(depot);
    let body = replace(&replace(&replace(data, "{product}", &s.product), "{made}", &s.made), "{off}", &s.off);
    let before = orders_made(depot);
    let now = fundi_sync::hlc::wall_clock_ms() / 1000;
    let a = deliver(depot, s, &body, now);
    let text = String::from_utf8_lossy(&a.body).into_owned();
    assert!(a.status < 500, "answered {}: {text}", a.status);
    if a.status == 409 && a.code() == "replayed" {
        // libFuzzer ran this input again within the second: this very delivery was taken.
        return assert_eq!(orders_made(depot), before, "a replay made orders");
    }
    if a.status != 200 {
        // Typed, whatever the refusal; and nothing made.
        let _ = a.code();
        assert_eq!(orders_made(depot), before, "a refusal made orders: {text}");
    }
    if body.len() > SHOP_ORDER_MAX_BYTES {
        return assert_eq!((a.status, a.code()), (413, "too_large".to_string()));
    }
    let order = match ShopOrder::parse(&body) {
        Ok(order) => order,
        Err(_) => return assert_eq!((a.status, a.code()), (400, "malformed".to_string()), "{text}"),
    };
    if order.check().is_err() {
        assert_eq!((a.status, a.code()), (422, "invalid".to_string()), "{text}");
        let v: serde_json::Value = serde_json::from_slice(&a.body).expect("JSON");
        return assert!(v.get("lines").is_none(), "a refusal of the whole order names no line: {text}");
    }
    match a.status {
        200 => {
            let answer: ShopOrderAnswer = serde_json::from_slice(&a.body).expect("an answer");
            assert_eq!(answer.orders.len(), order.lines.len(), "one order a line: {text}");
            for (i, (line, made)) in order.lines.iter().zip(&answer.orders).enumerate() {
                assert_eq!((made.line as usize, &made.product_id, made.quantity), (i + 1, &line.product_id, line.quantity));
            }
            // A line and, when sold from stock, its replenishment; or nothing, answered before.
            let made = orders_made(depot) - before;
            assert!(made == 0 || made as usize >= order.lines.len(), "{made} orders for {} lines", order.lines.len());
            assert!(made as usize <= 2 * order.lines.len(), "{made} orders for {} lines", order.lines.len());
            let after = orders_made(depot);
            // A retry signed anew gets the same answer and makes nothing (signed a second
            // earlier, or more if an earlier run of this input took that one).
            let again = (1..=10)
                .map(|back| deliver(depot, s, &body, now - back))
                .find(|r| !(r.status == 409 && r.code() == "replayed"))
                .expect("a retry not taken before");
            assert_eq!(again.status, 200, "{}", String::from_utf8_lossy(&again.body));
            assert_eq!(serde_json::from_slice::<ShopOrderAnswer>(&again.body).expect("an answer"), answer);
            // The very same delivery is a replay.
            let replay = deliver(depot, s, &body, now);
            assert_eq!((replay.status, replay.code()), (409, "replayed".to_string()));
            assert_eq!(orders_made(depot), after, "a retry or a replay made orders");
        }
        422 => {
            let v: serde_json::Value = serde_json::from_slice(&a.body).expect("JSON");
            let lines = v["lines"].as_array().unwrap_or_else(|| panic!("a refusal of lines names them: {text}"));
            assert!(!lines.is_empty(), "{text}");
            for l in lines {
                let n = l["line"].as_u64().expect("a line number") as usize;
                assert!((1..=order.lines.len()).contains(&n), "{text}");
                assert!(["unknown_product", "not_on_sale", "invalid"].contains(&l["code"].as_str().unwrap_or("")), "{text}");
            }
        }
        // Another order under an id an earlier input used.
        409 => assert_eq!(a.code(), "conflict", "{text}"),
        other => panic!("answered {other}: {text}"),
    }
});
