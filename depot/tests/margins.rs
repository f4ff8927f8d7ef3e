//! The platform's margin on real depot processes (issue 11 item 1, ADR 0027): exchange rates
//! with history set on the command line, refused with their reasons and never rewritten; a
//! product is published in a foreign currency only with a rate in force.

mod common;
use common::{Dev, Server};
use fundi_sync::dates::Day;
use serde_json::{json, Value};

/// Her price a piece: KSh 1,500.00.
const HER_PRICE: i64 = 150_000;

struct World {
    s: Server,
    mentor: Dev,
    artisan: Dev,
    ops: Dev,
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
    let ops = s.device("operations", "o", None);
    let product = s.approved_product(&artisan, &mentor, "Kikapu", HER_PRICE, 10);
    World { s, mentor, artisan, ops, product }
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
    // The history never changes, even in the file.
    let rw = rusqlite::Connection::open(s.data_dir().join("depot.db")).unwrap();
    rw.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
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
