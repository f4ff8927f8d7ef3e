//! Payouts end to end (issue 11 item 2, ADR 0019): the depot (`fundi-depot serve` with an M-Pesa
//! configuration) and the Daraja simulator (`fundi-depot mpesa-sim`) as two real processes on
//! loopback, the simulator posting its callbacks to the depot's secret path. What was paid is
//! read from the simulator's own record (`/sim/ledger`) and compared with the depot's.
//!
//! - `a_batch_above_the_threshold_waits_for_a_second_operations_account_then_is_paid`
//! - `an_unregistered_number_and_insufficient_float_fail_with_their_reasons`
//! - `a_dropped_callback_is_reconciled_and_a_duplicated_one_changes_nothing`
//! - `a_request_that_times_out_after_acceptance_is_paid_once`
//! - `the_depot_killed_at_each_crash_point_pays_each_payout_once`
//! - `random_fault_schedules_pay_each_payout_at_most_once_and_balance_to_the_cent`: N seeded
//!   schedules (`PAYOUT_SCHEDULES`, 20 by default; `scripts/soak-payouts N` runs more).

mod common;
use common::mpesa::{free_port, Sim, FAST_PAYOUTS};
use common::{Dev, Server, BIN};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(60);
const UNREGISTERED: &str = "254711000111";

/// A depot paying through `sim`, its operations accounts and two artisans.
struct World {
    sim: Sim,
    depot: Server,
    ops: Dev,
    ops2: Dev,
    artisans: Vec<Dev>,
    /// Takes the artisans' orders through the depot, so that they earn what they are paid.
    staff: Dev,
    /// What each account has earned (minor units): artisans' earnings, mentors' commissions.
    earned: std::cell::RefCell<BTreeMap<String, i64>>,
    _config_dir: tempfile::TempDir,
}

fn world(sim_args: &[&str], depot_args: &[&str]) -> World {
    let sim = Sim::start(&[&["--unregistered", UNREGISTERED], sim_args].concat());
    let config_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let secret = common::uuid_like().replace('-', "");
    let config = sim.depot_config(config_dir.path(), &format!("http://127.0.0.1:{port}/mpesa/cb-{secret}"));
    let mut args = vec!["--insecure-http", "--mpesa-config", config.to_str().unwrap()];
    args.extend_from_slice(FAST_PAYOUTS);
    args.extend_from_slice(depot_args);
    let depot = Server::start_at(&format!("127.0.0.1:{port}"), &args);
    let ops = depot.device("operations", "ops", None);
    let ops2 = depot.device("operations", "ops2", None);
    let artisans = (0..2).map(|i| depot.device("artisan", &format!("artisan{i}"), None)).collect();
    let staff = depot.device("staff", "desk", None);
    World { sim, depot, ops, ops2, artisans, staff, earned: Default::default(), _config_dir: config_dir }
}

/// The deployment's today (East Africa Time): the period of a batch that pays what was earned
/// up to now.
fn today() -> String {
    fundi_sync::dates::Day::of_ms(fundi_sync::hlc::wall_clock_ms()).to_string()
}

/// One payout to make: (artisan index, number, shillings).
type Plan = (usize, &'static str, i64);

impl World {
    /// Artisan `a` earns `minor` (a delivered order of that price): a payout may only pay what
    /// was earned.
    fn earn(&self, a: usize, minor: i64) {
        let artisan = &self.artisans[a];
        self.depot.delivered_order(&self.ops, artisan, &self.staff, &common::uuid_like(), minor);
        *self.earned.borrow_mut().entry(artisan.account.clone()).or_default() += minor;
    }

    /// A batch created by `ops` (and approved by `ops2` when it must be): (batch id, payout ids).
    /// The artisans first earn what it pays them.
    fn batch(&self, payouts: &[Plan]) -> (String, Vec<String>) {
        for a in 0..self.artisans.len() {
            let owed: i64 = payouts.iter().filter(|p| p.0 == a).map(|p| p.2 * 100).sum();
            if owed > 0 {
                self.earn(a, owed);
            }
        }
        let ids: Vec<String> = payouts.iter().map(|_| common::uuid_like()).collect();
        let list: Vec<Value> = payouts
            .iter()
            .zip(&ids)
            .map(|((a, msisdn, kes), id)| {
                json!({"id": id, "artisan_id": self.artisans[*a].account, "msisdn": msisdn, "amount_minor": kes * 100})
            })
            .collect();
        let body = json!({"period_from": "2026-01-01", "period_to": today(), "payouts": list});
        let (s, v) = self.depot.req(Some(&self.ops), "/v1/payouts/batches", Some(body));
        assert_eq!(s, 200, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        if v["state"] == "awaiting_approval" {
            let (s, v) = self.depot.req(Some(&self.ops2), &format!("/v1/payouts/batches/{id}/approve"), Some(json!({})));
            assert_eq!(s, 200, "{v}");
        }
        (id, ids)
    }

    /// Each payout's row as stored: id -> (state, receipt, paid_minor, failure_code, failure_reason, attempts).
    fn payouts(&self) -> BTreeMap<String, Row> {
        let db = self.depot.db();
        let mut q = db
            .prepare("SELECT id, state, receipt, paid_minor, failure_code, failure_reason, attempts, msisdn, amount_minor FROM payouts")
            .unwrap();
        let rows = q
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Row {
                        state: r.get(1)?,
                        receipt: r.get(2)?,
                        paid_minor: r.get(3)?,
                        failure_code: r.get(4)?,
                        failure_reason: r.get(5)?,
                        attempts: r.get(6)?,
                        msisdn: r.get(7)?,
                        amount_minor: r.get(8)?,
                    },
                ))
            })
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// Wait until every payout is paid or failed, restarting the depot if a crash point killed it.
    /// Returns how many restarts that took.
    fn settle(&mut self) -> usize {
        let deadline = Instant::now() + PATIENCE;
        let mut restarts = 0;
        loop {
            if self.depot.is_dead() {
                self.depot.restart(&[]);
                restarts += 1;
            }
            let open = self.payouts().values().filter(|r| r.state != "paid" && r.state != "failed").count();
            if open == 0 {
                return restarts;
            }
            assert!(Instant::now() < deadline, "payouts still open: {:#?}", self.payouts());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The invariants: each payout the simulator accepted at most once and paid at most once;
    /// paid at the depot exactly when paid at the simulator, with its receipt and amount; the
    /// depot's money paid equal to the simulator's to the cent. Returns (paid, failed).
    fn check_against_ledger(&self) -> (usize, usize) {
        let ledger = self.sim.ledger();
        let rows = self.payouts();
        let mut accepted: BTreeMap<&str, usize> = BTreeMap::new();
        for r in ledger["requests"].as_array().unwrap() {
            if r["answer"] == "accepted" {
                *accepted.entry(r["originator_conversation_id"].as_str().unwrap()).or_default() += 1;
            }
        }
        assert!(accepted.values().all(|&n| n == 1), "a payout accepted twice: {accepted:?}");
        let (mut paid, mut failed, mut paid_minor) = (0, 0, 0i64);
        let mut per_receiver: BTreeMap<String, i64> = BTreeMap::new();
        for (id, row) in &rows {
            let settled = &ledger["payments"][id]["settled"];
            match row.state.as_str() {
                "paid" => {
                    paid += 1;
                    assert_eq!(settled["kind"], "paid", "{id}: paid at the depot, not at M-Pesa: {settled}");
                    assert_eq!(row.receipt.as_deref(), settled["receipt"].as_str(), "{id}");
                    assert_eq!(row.paid_minor, Some(row.amount_minor), "{id}");
                    paid_minor += row.amount_minor;
                    *per_receiver.entry(row.msisdn.clone()).or_default() += row.amount_minor;
                }
                "failed" => {
                    failed += 1;
                    assert_ne!(settled["kind"], "paid", "{id}: failed at the depot, paid at M-Pesa");
                    assert!(row.failure_reason.as_deref().is_some_and(|r| !r.is_empty()), "{id}: a failure without reason");
                }
                other => panic!("{id} is {other}"),
            }
        }
        // Money the simulator moved for ids the depot does not hold would be a payout paid twice
        // under another id: there is none.
        for (id, p) in ledger["payments"].as_object().unwrap() {
            if p["settled"]["kind"] == "paid" {
                assert!(rows.contains_key(id), "the simulator paid {id}, which the depot never made");
            }
        }
        assert_eq!(ledger["paid_total_kes"].as_i64().unwrap() * 100, paid_minor, "the depot's money paid equals M-Pesa's");
        let sim_per: BTreeMap<String, i64> = ledger["paid_per_receiver"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_i64().unwrap() * 100))
            .filter(|(_, v)| *v > 0)
            .collect();
        assert_eq!(sim_per, per_receiver, "paid per receiver");
        self.check_money_ledgers(&rows);
        (paid, failed)
    }

    /// Each account's money ledger at the depot after the payouts ended: every paid payout's
    /// receipt recorded, every failed one's amount given back with its reason, and her balance
    /// what she earned less what M-Pesa paid her, to the cent.
    fn check_money_ledgers(&self, rows: &BTreeMap<String, Row>) {
        let db = self.depot.db();
        let mut debited = 0;
        let owners: Vec<String> = db
            .prepare("SELECT DISTINCT owner FROM records WHERE kind = 'money'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for account in &owners {
            let mut q = db.prepare("SELECT body FROM records WHERE kind = 'money' AND owner = ?1").unwrap();
            let entries: BTreeMap<String, Value> = q
                .query_map([account], |r| r.get::<_, String>(0))
                .unwrap()
                .map(|b| {
                    let v: Value = serde_json::from_str(&b.unwrap()).unwrap();
                    (v["entry"]["id"].as_str().unwrap().to_string(), v["entry"].clone())
                })
                .collect();
            let balance: i64 = entries.values().map(|e| e["amount_minor"].as_i64().unwrap()).sum();
            let mut paid_to_her = 0;
            for (id, row) in rows.iter().filter(|(id, _)| entries.contains_key(&format!("payout:{id}"))) {
                debited += 1;
                assert_eq!(entries[&format!("payout:{id}")]["amount_minor"].as_i64(), Some(-row.amount_minor), "{id}");
                match row.state.as_str() {
                    "paid" => {
                        paid_to_her += row.amount_minor;
                        let e = &entries[&format!("payout_paid:{id}")];
                        assert_eq!(e["note"].as_str(), row.receipt.as_deref(), "{id}: the receipt in her ledger");
                        assert!(!entries.contains_key(&format!("payout_returned:{id}")), "{id}");
                    }
                    _ => {
                        let e = &entries[&format!("payout_returned:{id}")];
                        assert_eq!(e["amount_minor"].as_i64(), Some(row.amount_minor), "{id}: given back");
                        assert!(e["note"].as_str().unwrap().contains(row.failure_reason.as_deref().unwrap()), "{id}: {e}");
                    }
                }
            }
            let earned = self.earned.borrow().get(account).copied().unwrap_or(0);
            assert_eq!(balance, earned - paid_to_her, "{account}: earned {earned}, paid {paid_to_her}");
        }
        assert_eq!(debited, rows.len(), "every payout debited from its artisan's ledger when it was queued");
    }

    /// The depot's CLI: finished payouts after `after` (failed only when `failed`).
    fn finished(&self, after: i64, failed: bool) -> Vec<Value> {
        let dir = self.depot.data_dir();
        let mut args = vec!["payouts", "finished", "--data-dir", dir.to_str().unwrap()];
        let after = after.to_string();
        args.extend(["--after", &after]);
        if failed {
            args.push("--failed");
        }
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

#[derive(Debug, Clone)]
#[allow(dead_code)] // read through Debug when an assertion fails
struct Row {
    state: String,
    receipt: Option<String>,
    paid_minor: Option<i64>,
    failure_code: Option<String>,
    failure_reason: Option<String>,
    attempts: i64,
    msisdn: String,
    amount_minor: i64,
}

#[test]
fn a_batch_above_the_threshold_waits_for_a_second_operations_account_then_is_paid() {
    let mut w = world(&[], &["--payout-approval-above-kes", "5000"]);
    w.earn(0, 4000 * 100);
    w.earn(1, 2000 * 100);
    let ids: Vec<String> = (0..3).map(|_| common::uuid_like()).collect();
    let list: Vec<Value> = ids
        .iter()
        .zip([2500, 2000, 1500])
        .enumerate()
        .map(|(i, (id, kes))| {
            json!({"id": id, "artisan_id": w.artisans[i % 2].account, "msisdn": format!("25472200000{i}"), "amount_minor": kes * 100})
        })
        .collect();
    let body = json!({"period_from": "2026-01-01", "period_to": today(), "payouts": list});
    let (s, v) = w.depot.req(Some(&w.ops), "/v1/payouts/batches", Some(body));
    assert_eq!((s, v["state"].as_str(), v["total_minor"].as_i64()), (200, Some("awaiting_approval"), Some(600_000)), "{v}");
    let batch = v["id"].as_str().unwrap().to_string();

    // The creator cannot approve it; nothing is sent while it waits.
    let (s, v) = w.depot.req(Some(&w.ops), &format!("/v1/payouts/batches/{batch}/approve"), Some(json!({})));
    assert_eq!((s, v["error"].as_str()), (403, Some("forbidden")), "{v}");
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(w.sim.get("/sim/stats")["b2c_requests"], 0, "nothing is sent before approval");

    let (s, v) = w.depot.req(Some(&w.ops2), &format!("/v1/payouts/batches/{batch}/approve"), Some(json!({})));
    assert_eq!((s, v["approved_by"].as_str()), (200, Some(w.ops2.account.as_str())), "{v}");
    let (s, v) = w.depot.req(Some(&w.ops2), &format!("/v1/payouts/batches/{batch}/approve"), Some(json!({})));
    assert_eq!((s, v["error"].as_str()), (409, Some("conflict")), "approved once: {v}");

    w.settle();
    assert_eq!(w.check_against_ledger(), (3, 0));
    let (_, v) = w.depot.req(Some(&w.ops), &format!("/v1/payouts/batches/{batch}"), None);
    assert_eq!((v["state"].as_str(), v["counts"]["paid"].as_i64()), (Some("done"), Some(3)), "{v}");
    for p in v["payouts"].as_array().unwrap() {
        assert!(p["receipt"].as_str().unwrap().starts_with("SIM"), "{p}");
        assert_eq!(p["attempts"], 1, "{p}");
    }
    // The ledger's hook: every payout once, in the order they ended; none failed.
    let finished = w.finished(0, false);
    assert_eq!(finished.len(), 3);
    assert_eq!(finished.iter().map(|f| f["final_seq"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(w.finished(0, true).is_empty());
    assert!(w.finished(3, false).is_empty());
}

#[test]
fn an_unregistered_number_and_insufficient_float_fail_with_their_reasons() {
    let mut w = world(&["--float-kes", "3000"], &[]);
    let (_, ids) = w.batch(&[(0, UNREGISTERED, 100), (1, "254733000001", 5000), (1, "254733000002", 700)]);
    w.settle();
    assert_eq!(w.check_against_ledger(), (1, 2));
    let rows = w.payouts();
    assert_eq!(rows[&ids[0]].failure_code.as_deref(), Some("2040"), "{:?}", rows[&ids[0]]);
    assert!(rows[&ids[0]].failure_reason.as_deref().unwrap().contains("customer type"), "{:?}", rows[&ids[0]]);
    assert_eq!(rows[&ids[1]].failure_code.as_deref(), Some("1"), "{:?}", rows[&ids[1]]);
    assert!(rows[&ids[1]].failure_reason.as_deref().unwrap().contains("insufficient"), "{:?}", rows[&ids[1]]);
    assert_eq!(rows[&ids[2]].state, "paid");
    // What goes back to balances: the two failed ones, with their reasons.
    let failed = w.finished(0, true);
    let mut named: Vec<&str> = failed.iter().map(|f| f["payout_id"].as_str().unwrap()).collect();
    named.sort();
    let mut expected = vec![ids[0].as_str(), ids[1].as_str()];
    expected.sort();
    assert_eq!(named, expected);
    assert!(failed.iter().all(|f| f["state"] == "failed" && f["failure_reason"].is_string()), "{failed:?}");
}

#[test]
fn a_dropped_callback_is_reconciled_and_a_duplicated_one_changes_nothing() {
    let mut w = world(&[], &[]);
    w.sim.put("/sim/faults", json!({"drop_callbacks": {"times": 1}}));
    let (_, dropped) = w.batch(&[(0, "254712000001", 300)]);
    w.settle();
    let callbacks = w.sim.get("/sim/callbacks");
    assert!(callbacks.as_array().unwrap().iter().any(|c| c["note"] == "dropped"), "{callbacks}");
    let queries = w.depot.db().query_row("SELECT queries FROM payouts WHERE id = ?1", [&dropped[0]], |r| r.get::<_, i64>(0));
    assert!(queries.unwrap() >= 1, "reconciled by a status query");

    w.sim.put("/sim/faults", json!({"duplicate_callbacks": 100}));
    let (_, doubled) = w.batch(&[(1, "254712000002", 400)]);
    w.settle();
    // Let the copies land, then nothing has moved.
    std::thread::sleep(Duration::from_millis(500));
    let before = w.payouts();
    std::thread::sleep(Duration::from_millis(500));
    let log = w.sim.get("/sim/callbacks");
    let copies = log.as_array().unwrap().iter().filter(|c| c["originator_conversation_id"] == doubled[0].as_str()).count();
    assert!(copies >= 2, "{log}");
    assert_eq!(w.payouts().len(), before.len());
    assert_eq!(w.check_against_ledger(), (2, 0));
    assert_eq!(w.finished(0, false).len(), 2, "each payout ended once");
}

#[test]
fn a_request_that_times_out_after_acceptance_is_paid_once() {
    let mut w = world(&[], &[]);
    w.sim.put("/sim/faults", json!({"hang_after_accept": {"times": 1}}));
    let (_, ids) = w.batch(&[(0, "254712000003", 900)]);
    w.settle();
    assert_eq!(w.check_against_ledger(), (1, 0));
    let row = &w.payouts()[&ids[0]];
    assert_eq!(row.attempts, 1, "never sent again: reconciled by a status query");
    let ledger = w.sim.ledger();
    let requests: Vec<&Value> =
        ledger["requests"].as_array().unwrap().iter().filter(|r| r["originator_conversation_id"] == ids[0].as_str()).collect();
    assert_eq!(requests.len(), 1, "one request: {requests:?}");
}

#[test]
fn the_depot_killed_at_each_crash_point_pays_each_payout_once() {
    let mut w = world(&[], &[]);
    let points = [
        "payout:before_send",
        "payout:send_unrecorded",
        "payout:callback_before_commit",
        "payout:query_unrecorded",
        "payout:status_before_commit",
        "payout:paid_committed",
    ];
    for (i, point) in points.iter().enumerate() {
        w.depot.restart(&[(fundi_sqlite::crash_point::ENV_AT, point)]);
        let (_, ids) = w.batch(&[(0, "254712100001", 100 + i as i64), (1, "254712100002", 200 + i as i64)]);
        let deadline = Instant::now() + PATIENCE;
        while !w.depot.is_dead() {
            assert!(Instant::now() < deadline, "{point} was never reached");
            std::thread::sleep(Duration::from_millis(50));
        }
        let restarts = w.settle();
        assert!(restarts >= 1, "{point}");
        let rows = w.payouts();
        for id in &ids {
            assert_eq!(rows[id].state, "paid", "{point}: {:?}", rows[id]);
        }
        w.check_against_ledger();
    }
    assert_eq!(w.finished(0, false).len(), 2 * points.len());
}

#[test]
fn a_batch_from_balances_pays_each_account_what_it_is_owed_to_the_number_in_her_profile() {
    let mut w = world(&[], &[]);
    let dir = w.depot.data_dir();
    let out = Command::new(BIN)
        .args(["commission-rate", "--from", "2026-01-01", "--percent", "10", "--data-dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let neema = w.depot.device("mentor", "neema", None);
    let akinyi = w.depot.device("artisan", "akinyi", Some(&neema.account));
    let baraka = w.depot.device("artisan", "baraka", Some(&neema.account));
    let chebet = w.depot.device("artisan", "chebet", None);
    // Their M-Pesa numbers are in their profiles, as each typed it; Chebet has not given one.
    for (dev, number) in [(&neema, "0712 300 001"), (&akinyi, "+254712300002"), (&baraka, UNREGISTERED)] {
        let write = common::field_write(&dev.account, "profile", "phone", json!(number));
        assert_eq!(w.depot.push(dev, vec![write]), vec![None]);
    }
    for (dev, price) in [(&akinyi, 250_050), (&baraka, 120_000), (&chebet, 80_000)] {
        w.depot.delivered_order(&w.ops, dev, &w.staff, &common::uuid_like(), price);
        w.earned.borrow_mut().insert(dev.account.clone(), price);
    }
    // Her mentor's 10% of Akinyi's and Baraka's sales, each rounded down to the cent.
    w.earned.borrow_mut().insert(neema.account.clone(), 25_005 + 12_000);

    // Earned today: nothing is owed for a period that ended yesterday.
    let yesterday = fundi_sync::dates::Day(fundi_sync::dates::Day::parse(&today()).unwrap().0 - 1).to_string();
    let period = |to: &str| json!({"period_from": "2026-01-01", "period_to": to});
    let (s, v) = w.depot.req(Some(&w.ops), "/v1/payouts/batches", Some(period(&yesterday)));
    assert_eq!((s, v["error"].as_str()), (409, Some("conflict")), "{v}");
    // Operations may not pay anyone more than she is owed.
    let too_much = json!({"period_from": "2026-01-01", "period_to": today(), "payouts": [
        {"id": common::uuid_like(), "artisan_id": chebet.account, "msisdn": "0712300009", "amount_minor": 90_000}]});
    let (s, v) = w.depot.req(Some(&w.ops), "/v1/payouts/batches", Some(too_much));
    assert_eq!((s, v["error"].as_str()), (409, Some("conflict")), "{v}");
    assert!(v["detail"].as_str().unwrap().contains("KSh 800"), "{v}");
    // Nor may anyone but operations.
    let (s, _) = w.depot.req(Some(&neema), "/v1/payouts/batches", Some(period(&today())));
    assert_eq!(s, 403);

    let (s, v) = w.depot.req(Some(&w.ops), "/v1/payouts/batches", Some(period(&today())));
    assert_eq!((s, v["state"].as_str()), (200, Some("approved")), "{v}");
    assert_eq!(
        v["skipped"],
        json!([{"account_id": chebet.account, "payable_minor": 80_000, "reason": "no phone number in her profile"}])
    );
    let (_, batch) = w.depot.req(Some(&w.ops), &format!("/v1/payouts/batches/{}", v["id"].as_str().unwrap()), None);
    let mut paid: Vec<(String, String, i64)> = batch["payouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (p["artisan_id"].as_str().unwrap().into(), p["msisdn"].as_str().unwrap().into(), p["amount_minor"].as_i64().unwrap())
        })
        .collect();
    paid.sort();
    let mut expected = vec![
        (akinyi.account.clone(), "254712300002".to_string(), 250_000),
        (baraka.account.clone(), UNREGISTERED.to_string(), 120_000),
        (neema.account.clone(), "254712300001".to_string(), 37_000),
    ];
    expected.sort();
    assert_eq!(paid, expected, "the whole shillings each is owed, to her number; the cents wait");
    // Everything owed is in a payout: the next batch finds nothing to pay.
    let (s, v) = w.depot.req(Some(&w.ops), "/v1/payouts/batches", Some(period(&today())));
    assert_eq!((s, v["error"].as_str()), (409, Some("conflict")), "{v}");

    w.settle();
    // The ledgers: Akinyi's and Neema's receipts, Baraka's payout back on her balance (her
    // number is not registered with M-Pesa), each balance earned less paid to the cent.
    assert_eq!(w.check_against_ledger(), (2, 1));
    // Each sees her own ledger, and only it.
    for (dev, balance) in [(&akinyi, 50), (&baraka, 120_000), (&neema, 5), (&chebet, 80_000)] {
        let money: Vec<Value> = w.depot.pull_all(dev).into_iter().filter(|c| c["kind"] == "money").collect();
        assert!(money.iter().all(|c| c["body"]["owner"] == dev.account.as_str()), "{money:?}");
        let sum: i64 = money.iter().map(|c| c["body"]["entry"]["amount_minor"].as_i64().unwrap()).sum();
        assert_eq!(sum, balance, "{}", dev.account);
    }
    // Baraka fixes her number; the next batch pays her.
    let write = common::field_write(&baraka.account, "profile", "phone", json!("0712300003"));
    assert_eq!(w.depot.push(&baraka, vec![write]), vec![None]);
    let (s, v) = w.depot.req(Some(&w.ops), "/v1/payouts/batches", Some(period(&today())));
    assert_eq!((s, v["total_minor"].as_i64()), (200, Some(120_000)), "{v}");
    w.settle();
    assert_eq!(w.check_against_ledger(), (3, 1));

    // Her sales statement for a lender: the sale, the payout paid with its M-Pesa receipt, the
    // cents still owed; hers and operations' only.
    let receipt = w.payouts().values().find(|r| r.msisdn == "254712300002").unwrap().receipt.clone().unwrap();
    let path = format!("/v1/statements/{}?from=2026-01-01&to={}&format=csv", akinyi.account, today());
    let (s, v) = w.depot.req(Some(&akinyi), &path, None);
    let csv = v.as_str().unwrap_or_default();
    assert_eq!(s, 200, "{v}");
    assert!(csv.contains(",sale,Sold: Kikapu ") && csv.contains(",250050,2500.50,"), "{csv}");
    assert!(csv.contains(&format!(",paid,{receipt},,-250000,-2500.00,")), "{csv}");
    assert!(csv.trim_end().ends_with(&format!("closing_balance,,{},,,,,,,,,,50,0.50,,,,,", today())), "{csv}");
    let (s, page) = w.depot.req(Some(&w.ops), &path.replace("format=csv", "format=html"), None);
    assert_eq!(s, 200);
    assert!(page.as_str().unwrap().contains(&format!("M-Pesa receipt {receipt}")), "{page}");
    assert_eq!(w.depot.req(Some(&baraka), &path, None).0, 403, "another artisan's statement");
    assert_eq!(w.depot.req(Some(&neema), &path, None).0, 403, "her mentor sees her sales, not her money");
}

/// A small seeded generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn percent(&mut self, max: u64) -> u64 {
        self.below(max + 1)
    }
}

const KILL_POINTS: [&str; 6] = [
    "payout:before_send",
    "payout:send_unrecorded",
    "payout:callback_before_commit",
    "payout:query_unrecorded",
    "payout:status_before_commit",
    "payout:paid_committed",
];
const RECEIVERS: [&str; 4] = ["254712200001", "254712200002", "254712200003", UNREGISTERED];

#[test]
fn random_fault_schedules_pay_each_payout_at_most_once_and_balance_to_the_cent() {
    let schedules: u64 = std::env::var("PAYOUT_SCHEDULES").ok().and_then(|n| n.parse().ok()).unwrap_or(20);
    let seed: u64 = std::env::var("PAYOUT_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(0x5eed);
    let mut w = world(&["--float-kes", "100000000"], &[]);
    let started = Instant::now();
    let (mut kills, mut restarts_total, mut payouts_total) = (0, 0, 0);
    for n in 0..schedules {
        let mut rng = Rng(seed ^ n.wrapping_mul(0x9e37_79b9));
        let window = [0, 0, 2, 3][rng.below(4) as usize];
        let faults = json!({
            "seed": rng.next() % 1_000_000,
            "drop_callbacks": rng.percent(40),
            "duplicate_callbacks": rng.percent(40),
            "extra_delay_ms": rng.below(4) * 100,
            "reorder_window": window,
            "reorder_flush_ms": 300,
            "queue_timeout": rng.percent(15),
            "hang_before_accept": rng.percent(20),
            "hang_after_accept": rng.percent(25),
        });
        w.sim.put("/sim/faults", faults.clone());
        let kill = if rng.below(2) == 0 {
            let point = KILL_POINTS[rng.below(KILL_POINTS.len() as u64) as usize];
            let after = 1 + rng.below(3);
            w.depot.restart(&[
                (fundi_sqlite::crash_point::ENV_AT, point),
                (fundi_sqlite::crash_point::ENV_AFTER, &after.to_string()),
            ]);
            Some((point, after))
        } else {
            None
        };
        let count = 1 + rng.below(4) as usize;
        let plan: Vec<Plan> = (0..count)
            .map(|_| (rng.below(2) as usize, RECEIVERS[rng.below(RECEIVERS.len() as u64) as usize], 10 + rng.below(5000) as i64))
            .collect();
        payouts_total += plan.len();
        w.batch(&plan);
        let restarts = w.settle();
        if kill.is_some() && restarts > 0 {
            kills += 1;
        }
        restarts_total += restarts;
        let (paid, failed) = w.check_against_ledger();
        eprintln!("schedule {n}: {count} payouts, kill {kill:?} (restarts {restarts}), faults {faults}; so far {paid} paid, {failed} failed");
        // The next schedule starts without an armed crash point.
        if kill.is_some() && !w.depot.is_dead() {
            w.depot.restart(&[]);
        }
    }
    let (paid, failed) = w.check_against_ledger();
    let ledger = w.sim.ledger();
    let depot_paid: i64 = w.payouts().values().filter_map(|r| r.paid_minor).sum();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for r in w.payouts().values().filter(|r| r.state == "failed") {
        *reasons.entry(r.failure_code.clone().unwrap_or_default()).or_default() += 1;
    }
    let attempts: i64 = w.payouts().values().map(|r| r.attempts).sum();
    eprintln!(
        "SOAK schedules={schedules} payouts={payouts_total} paid={paid} failed={failed} paid_twice=0 depot_kills={kills} \
         restarts={restarts_total} requests={attempts} sim_paid_minor={} depot_paid_minor={depot_paid} failed_by_code={reasons:?} seconds={:.0}",
        ledger["paid_total_kes"].as_i64().unwrap() * 100,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(paid + failed, payouts_total);
}

/// The plain-HTTP callback listener (for a front with a public certificate) listens only on a
/// loopback address: the secret path and the results must not cross a network in clear.
#[test]
fn the_plain_callback_listener_is_refused_beyond_loopback() {
    let sim = Sim::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let config = sim.depot_config(dir.path(), "http://127.0.0.1:9/mpesa/cb-secret");
    for (listen, says) in [("0.0.0.0:0", "loopback"), ("192.0.2.1:8081", "loopback"), ("depot:8081", "not an address")] {
        let out = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--mpesa-callback-listen", listen, "--mpesa-config"])
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path().join("depot"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(says), "{listen}: {stderr}");
    }
}
