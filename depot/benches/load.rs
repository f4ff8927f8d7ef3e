//! The depot under load (issue 13 item 4): simulated phones speaking the real protocol (push,
//! pull from a cursor, first syncs of new phones, order commands racing operations' cancels)
//! against a real `fundi-depot serve` process on loopback, over TLS, for a bounded time. Prints
//! throughput, p50/p95/p99 latency per operation, errors (target 0) and the server's resident
//! memory over time (target: flat).
//!
//! Run: `scripts/bench-load` (500 phones, 300 s), or `cargo bench -p fundi-depot --bench load`
//! with `FUNDI_LOAD_PHONES` and `FUNDI_LOAD_SECS`. With `FUNDI_LOAD_STORE=postgres` the depot
//! is two `serve` processes on one PostgreSQL database (a fresh one on the test cluster,
//! `scripts/pg`), each with its own data directory holding the same key, and every action of a
//! phone goes to either process at random (any process answers any phone); the PostgreSQL
//! connections the depot holds are sampled with its memory. Each phone has its own HTTPS client (its own
//! connections) and acts every `THINK_MS` on average: it pushes a few draft edits and pulls, or
//! only pulls, or moves one of its orders on; operations cancel orders at random meanwhile, so
//! some of her commands meet a cancelled order and are refused by the depot's transition table
//! (an answer, not an error). Now and then a new phone of an existing account enrolls and pulls
//! everything from 0. An error is a transport failure or any status but 200. The phones are
//! driven by a pool of worker threads, each phone by one worker at a time.
//! Figures are measured, never asserted.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{raw_client, stamp_in, Dev, Server};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DRAFTS_PER_PHONE: usize = 4;
const ORDERS_PER_PHONE: usize = 4;
/// A phone acts this often on average (a phone at the depot's Wi-Fi syncs every few seconds
/// while its user works; most of a day it is away). `FUNDI_LOAD_THINK_MS` shortens it, to find
/// where a depot saturates.
const THINK_MS: u64 = 5_000;
const WORKERS: usize = 48;
const PULL_PAGE: usize = 500;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One simulated phone: its device, its own HTTPS client, its cursor, its drafts and orders.
struct Phone {
    dev: Dev,
    http: reqwest::blocking::Client,
    cursor: u64,
    drafts: Vec<String>,
    orders: Vec<String>,
    next_order_step: usize,
    rng: u64,
}

impl Phone {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// (status, body) of a request; a transport failure is status 0.
fn call(http: &reqwest::blocking::Client, url: &str, token: &str, body: Option<&Value>) -> (u16, Value) {
    let r = match body {
        Some(b) => http.post(url).header("content-type", "application/json").body(b.to_string()),
        None => http.get(url),
    };
    match r.bearer_auth(token).send() {
        Ok(resp) => {
            let status = resp.status().as_u16();
            (status, resp.bytes().ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

#[derive(Default)]
struct Tally {
    latencies: BTreeMap<&'static str, Vec<u32>>,
    errors: BTreeMap<&'static str, u64>,
    refused: u64,
}

impl Tally {
    fn record(&mut self, op: &'static str, started: Instant, status: u16) {
        self.latencies.entry(op).or_default().push(started.elapsed().as_micros() as u32);
        if status != 200 {
            *self.errors.entry(op).or_default() += 1;
        }
    }
}

/// Pull everything after the phone's cursor, page after page.
fn pull(base: &str, p: &mut Phone, tally: &mut Tally, op: &'static str) {
    loop {
        let t = Instant::now();
        let url = format!("{base}/v1/sync/pull?cursor={}&limit={PULL_PAGE}", p.cursor);
        let (status, v) = call(&p.http, &url, &p.dev.token, None);
        tally.record(op, t, status);
        if status != 200 {
            return;
        }
        p.cursor = v["cursor"].as_u64().unwrap_or(p.cursor);
        if v["more"] != true {
            return;
        }
    }
}

fn push(base: &str, p: &mut Phone, mutations: Vec<Value>, tally: &mut Tally) {
    let ms: Vec<Value> = mutations
        .into_iter()
        .map(|mut m| {
            p.dev.counter.set(p.dev.counter.get() + 1);
            m["counter"] = p.dev.counter.get().into();
            m
        })
        .collect();
    let body = json!({"protocol": 1, "device_id": p.dev.device, "cursor": p.cursor, "mutations": ms});
    let t = Instant::now();
    let (status, v) = call(&p.http, &format!("{base}/v1/sync/push"), &p.dev.token, Some(&body));
    tally.record("push", t, status);
    if let Some(results) = v["results"].as_array() {
        tally.refused += results.iter().filter(|r| r["rejected"].is_object()).count() as u64;
    }
}

/// One action of a phone, chosen at random: edits pushed then a pull (4 in 10), a pull only
/// (4 in 10), or the next step of one of its orders pushed then a pull (2 in 10).
fn act(base: &str, p: &mut Phone, tally: &mut Tally) {
    let roll = p.next() % 10;
    if roll < 4 {
        let n = 1 + (p.next() % 4) as usize;
        let edits = (0..n)
            .map(|_| {
                let pick = (p.next() % p.drafts.len() as u64) as usize;
                let d = p.drafts[pick].clone();
                let price = 150_000 + (p.next() % 1000) as i64 * 100;
                json!({"kind": "draft", "id": d, "fields": {"price": {"value": price, "hlc": stamp_in(0)}}})
            })
            .collect();
        push(base, p, edits, tally);
    } else if roll >= 8 {
        let steps = ["accept", "start_production", "mark_ready"];
        let k = p.next_order_step;
        p.next_order_step += 1;
        let order = p.orders[(k / steps.len()) % p.orders.len()].clone();
        let command = json!({"kind": "order", "id": order, "command": {"name": steps[k % steps.len()], "hlc": stamp_in(0)}});
        push(base, p, vec![command], tally);
    }
    pull(base, p, tally, "pull");
}

/// The server's resident memory (kB), from /proc.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0
}

/// The PostgreSQL connections open on the depot's database (all its processes'), if it is on one.
fn pg_connections(url: Option<&str>) -> Option<i64> {
    let mut client = postgres::Client::connect(url?, postgres::NoTls).ok()?;
    let row = client
        .query_one("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", &[])
        .ok()?;
    Some(row.get(0))
}

fn main() {
    let phones_n = env_or("FUNDI_LOAD_PHONES", 500) as usize;
    let secs = env_or("FUNDI_LOAD_SECS", 300);
    let think = Duration::from_millis(env_or("FUNDI_LOAD_THINK_MS", THINK_MS).max(1));
    let on_postgres = std::env::var("FUNDI_LOAD_STORE").is_ok_and(|s| s == "postgres");
    let database = on_postgres.then(|| common::pg::fresh_database("load"));
    let server = Arc::new(match &database {
        Some(url) => Server::start_on_database(url, &[], &[]),
        None => Server::start_on_sqlite(),
    });
    let second = database.as_ref().map(|_| server.second_process(&[], &[]));
    let bases: Arc<Vec<String>> =
        Arc::new([Some(server.url.clone()), second.as_ref().map(|s| s.url.clone())].into_iter().flatten().collect());
    let base = server.url.clone();
    let ops = server.device("operations", "ops", None);

    // Setup: each phone's account, drafts and assigned orders.
    let t = Instant::now();
    let mut phones = Vec::with_capacity(phones_n);
    for i in 0..phones_n {
        let dev = server.device("artisan", &format!("artisan{i}"), None);
        let drafts: Vec<String> = (0..DRAFTS_PER_PHONE).map(|_| common::uuid_like()).collect();
        let ms = drafts
            .iter()
            .enumerate()
            .map(|(k, id)| {
                json!({"kind": "draft", "id": id, "fields": {
                    "title": {"value": format!("Product {i}-{k}"), "hlc": stamp_in(0)},
                    "category": {"value": "baskets", "hlc": stamp_in(0)},
                    "price": {"value": 150_000, "hlc": stamp_in(0)}}})
            })
            .collect();
        assert!(server.push(&dev, ms).iter().all(Option::is_none));
        let orders: Vec<Value> = (0..ORDERS_PER_PHONE)
            .map(|k| {
                json!({"source": "load", "external_ref": format!("L-{i}-{k}"), "product": format!("Product {i}-{k}"),
                "quantity": 1, "price_minor": 150_000, "artisan_id": dev.account})
            })
            .collect();
        let (st, v) = server.req(Some(&ops), "/v1/orders", Some(json!({ "orders": orders })));
        assert_eq!(st, 200, "{v}");
        let orders = v["created"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_string()).collect();
        phones.push(Mutex::new(Phone {
            dev,
            http: raw_client(),
            cursor: 0,
            drafts,
            orders,
            next_order_step: 0,
            rng: i as u64 * 7919 + 1,
        }));
    }
    let phones = Arc::new(phones);
    println!(
        "setup: {phones_n} phones, {} drafts, {} orders in {:.1} s",
        phones_n * DRAFTS_PER_PHONE,
        phones_n * ORDERS_PER_PHONE,
        t.elapsed().as_secs_f64()
    );

    let stop = Arc::new(AtomicBool::new(false));
    let first_syncs = Arc::new(AtomicU64::new(0));
    let pids: Vec<u32> = [Some(server.child.id()), second.as_ref().map(|s| s.child.id())].into_iter().flatten().collect();
    let started = Instant::now();

    // Memory (each process) and PostgreSQL connections sampler.
    let memory = {
        let (stop, database) = (stop.clone(), database.clone());
        std::thread::spawn(move || {
            let sample = || {
                let rss: Vec<u64> = pids.iter().map(|pid| rss_kb(*pid).unwrap_or(0)).collect();
                (started.elapsed().as_secs(), rss, pg_connections(database.as_deref()))
            };
            let mut samples = vec![];
            while !stop.load(Ordering::Relaxed) {
                samples.push(sample());
                std::thread::sleep(Duration::from_secs(10));
            }
            samples.push(sample());
            samples
        })
    };

    // Operations: cancel a random order now and then (racing her commands), and enroll a new
    // phone of a random account, whose first sync pulls everything from 0.
    let operations = {
        let (stop, phones, base, first_syncs, server) =
            (stop.clone(), phones.clone(), base.clone(), first_syncs.clone(), server.clone());
        std::thread::spawn(move || {
            let mut tally = Tally::default();
            let mut k = 0u64;
            while !stop.load(Ordering::Relaxed) {
                k += 1;
                let (account, order) = {
                    let p = phones[(k * 7919 % phones.len() as u64) as usize].lock().unwrap();
                    (p.dev.account.clone(), p.orders[(k % ORDERS_PER_PHONE as u64) as usize].clone())
                };
                if k.is_multiple_of(3) {
                    let t = Instant::now();
                    let body = json!({"command": "cancel", "args": {"reason": "the shop cancelled"}});
                    let (status, _) = server.req(Some(&ops), &format!("/v1/orders/{order}/commands"), Some(body));
                    // A cancel of an order already past cancelling is an answer, not an error.
                    tally.record("ops cancel", t, if status == 409 { 200 } else { status });
                } else {
                    let t = Instant::now();
                    let (status, v) = server.req(Some(&ops), &format!("/v1/accounts/{account}/codes"), Some(json!({})));
                    tally.record("new code", t, status);
                    if status == 200 {
                        let device = common::uuid_like();
                        let t = Instant::now();
                        let (status, e) = server.enroll_raw(v["code"].as_str().unwrap_or_default(), &device);
                        tally.record("enroll", t, status);
                        if status == 200 {
                            let token = e["token"].as_str().unwrap_or_default().to_string();
                            let mut fresh = Phone {
                                dev: Dev { account, device, token, counter: Default::default() },
                                http: raw_client(),
                                cursor: 0,
                                drafts: vec![],
                                orders: vec![],
                                next_order_step: 0,
                                rng: k,
                            };
                            pull(&base, &mut fresh, &mut tally, "first sync page");
                            first_syncs.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            tally
        })
    };

    // Phones: workers take the phone whose turn comes next.
    let turn = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (stop, phones, bases, turn) = (stop.clone(), phones.clone(), bases.clone(), turn.clone());
            std::thread::spawn(move || {
                let mut tally = Tally::default();
                // Each phone acts once per `think` on average: the pool paces the turns.
                let pace = think.as_secs_f64() / phones.len() as f64;
                while !stop.load(Ordering::Relaxed) {
                    let k = turn.fetch_add(1, Ordering::Relaxed);
                    let due = Duration::from_secs_f64(k as f64 * pace);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        std::thread::sleep(wait);
                    }
                    let mut p = phones[(k % phones.len() as u64) as usize].lock().unwrap();
                    // Any process answers any phone.
                    let base = &bases[(p.next() % bases.len() as u64) as usize];
                    act(base, &mut p, &mut tally);
                }
                tally
            })
        })
        .collect();

    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let mut all = Tally::default();
    for t in workers.into_iter().map(|w| w.join().unwrap()).chain([operations.join().unwrap()]) {
        for (op, l) in t.latencies {
            all.latencies.entry(op).or_default().extend(l);
        }
        for (op, n) in t.errors {
            *all.errors.entry(op).or_default() += n;
        }
        all.refused += t.refused;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let samples = memory.join().unwrap();

    println!();
    let depot = if on_postgres { "two depot processes on one PostgreSQL" } else { "one SQLite depot" };
    println!(
        "{phones_n} phones acting every {:.1} s for {elapsed:.0} s against {depot} over TLS on loopback ({WORKERS} workers):",
        think.as_secs_f64()
    );
    println!("| operation         |  requests |   per s |  p50 ms |  p95 ms |  p99 ms | errors |");
    println!("|-------------------|-----------|---------|---------|---------|---------|--------|");
    let (mut total, mut errors) = (0usize, 0u64);
    for (op, l) in &mut all.latencies {
        l.sort_unstable();
        let e = all.errors.get(op).copied().unwrap_or(0);
        total += l.len();
        errors += e;
        println!(
            "| {op:<17} | {:>9} | {:>7.1} | {:>7.1} | {:>7.1} | {:>7.1} | {e:>6} |",
            l.len(),
            l.len() as f64 / elapsed,
            percentile(l, 0.5),
            percentile(l, 0.95),
            percentile(l, 0.99)
        );
    }
    println!(
        "all: {total} requests, {:.1} per s, errors: {errors} (target 0); mutations refused by the depot's rules: {}; first syncs: {}",
        total as f64 / elapsed,
        all.refused,
        first_syncs.load(Ordering::Relaxed)
    );
    let rss: Vec<String> = samples
        .iter()
        .map(|(s, kbs, _)| {
            format!("{s}s {}", kbs.iter().map(|kb| format!("{:.1}", *kb as f64 / 1024.0)).collect::<Vec<_>>().join("+"))
        })
        .collect();
    println!("server memory (MB, per process) over time: {}", rss.join(", "));
    if on_postgres {
        let conns: Vec<i64> = samples.iter().filter_map(|(_, _, c)| *c).collect();
        println!(
            "PostgreSQL connections held by the depot's {} processes, sampled every 10 s: {}",
            bases.len(),
            conns.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    drop(second);
}
