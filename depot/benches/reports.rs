//! M&E report figures (ADR 0022): each report exported from a depot store of N delivered orders,
//! through the command line (`fundi-depot report NAME`, a process of its own, beside a running
//! `fundi-depot serve`) and over HTTP, with its wall time and peak memory. Run:
//! `scripts/bench-reports [ORDERS...]` (default 100,000 and 1,000,000), or
//! `cargo bench -p fundi-depot --bench reports -- 100000 1000000`.
//!
//! The store is made quickly rather than realistically slowly: a real server is started on an
//! empty data directory (so the schema is the depot's own), then accounts, orders and money
//! entries are written straight into its SQLite file in one transaction (plain inserts of the
//! very bodies the depot writes, `fundi_sync::OrderBody` and `money_ledger::MoneyBody`, with
//! their change-feed numbers), not through the API. Every order is delivered with a history of
//! 9 events (13 for the one in ten that failed a check and was reworked); each earns its
//! artisan, nine in ten their mentor too, one in a hundred is refunded. The programme is the
//! same whatever N: 2,000 artisans, 100 mentors, 20 products, 22 months, so the reports' keys
//! are the same and only the number of orders grows.
//!
//! Each command-line export runs 3 times; the median wall time and the median peak resident
//! memory are printed. The peak is the export's `ru_maxrss` from `wait4`, taken by this same
//! binary re-run as a small helper (`--measure`) that starts the export: a child's `ru_maxrss`
//! counts what it shared with its parent before `exec`, and this process holds the store's
//! pages it just wrote, so the export must not be its child. Over HTTP
//! each report is fetched once; printed: time to the header row, total time, bytes, the
//! server's VmHWM after all of them, and the slowest answer the server gave another client
//! (`GET /v1/me`, every 100 ms) during the longest export. Last, an export whose client hangs
//! up after the header: the server's CPU time over the next 2 s shows whether the work
//! stopped. Figures are measured, never asserted.

#[path = "../tests/common/mod.rs"]
mod common;

use common::Server;
use fundi_sync::dates::Day;
use fundi_sync::hlc::Timestamp;
use fundi_sync::money_ledger::{commission_id, earning_id, reversal_id, EntryKind, MoneyBody, MoneyEntry};
use fundi_sync::testing::SeededRng;
use fundi_sync::{Extra, Kind, OrderBody, OrderEvent};
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REPORTS: [&str; 6] = ["sales", "price-bands", "cohorts", "lead-times", "quality", "active"];
const ARTISANS: u64 = 2_000;
const MENTORS: u64 = 100;
const PRODUCTS: [&str; 20] = [
    "Kiondo basket",
    "Beaded necklace",
    "Beaded bracelet",
    "Soapstone carving",
    "Sisal mat",
    "Wooden spoon set",
    "Banana fibre bag",
    "Kikoi scarf",
    "Leather sandals",
    "Maasai shuka",
    "Clay pot",
    "Batik wall hanging",
    "Recycled glass vase",
    "Kanga cushion cover",
    "Coconut shell bowl",
    "Beaded key holder",
    "Woven placemat set",
    "Olive wood salad bowl",
    "Brass earrings",
    "Sisal coaster set",
];
/// Unit prices in KES cents, spread over the price bands.
const UNIT_PRICES: [i64; 10] = [15_000, 30_000, 45_000, 80_000, 150_000, 200_000, 350_000, 700_000, 1_200_000, 3_000_000];
const RUNS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--measure") {
        return measure_child(&args[2], &args[3..]);
    }
    let sizes: Vec<u64> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![100_000, 1_000_000] } else { sizes };
    println!(
        "M&E reports: {ARTISANS} artisans, {MENTORS} mentors, {} products, 22 months; median of {RUNS} runs",
        PRODUCTS.len()
    );
    for n in sizes {
        bench(n);
    }
}

fn bench(n: u64) {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let t = Instant::now();
    let records = fill(&server, n);
    let db_bytes = std::fs::metadata(server.data_dir().join("depot.db")).map(|m| m.len()).unwrap_or(0);
    println!(
        "\n## {n} delivered orders ({records} records, {:.0} MiB database; made by direct inserts in {:.0} s)",
        db_bytes as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    println!("| report | command line: wall s (median) | peak RSS MiB (median) | runs (s / MiB) | CSV bytes |");
    println!("| --- | --- | --- | --- | --- |");
    let out_path = server.dir.path().join("out.csv");
    // The command line's own cost: opening the store and reading one row (no report).
    let data_dir = server.data_dir();
    let baseline = measured(&out_path, &[common::BIN, "commission-rate", "--data-dir", data_dir.to_str().unwrap()]);
    println!("| (no report: `commission-rate`, the store opened) | {:.2} | {:.1} | | |", baseline.0, baseline.1);
    for report in REPORTS {
        let mut runs = vec![];
        for _ in 0..RUNS {
            runs.push(measured(&out_path, &[common::BIN, "report", report, "--data-dir", data_dir.to_str().unwrap()]));
        }
        let bytes = std::fs::metadata(&out_path).unwrap().len();
        let mut secs: Vec<f64> = runs.iter().map(|r| r.0).collect();
        let mut mib: Vec<f64> = runs.iter().map(|r| r.1).collect();
        secs.sort_by(f64::total_cmp);
        mib.sort_by(f64::total_cmp);
        let each: Vec<String> = runs.iter().map(|(s, m)| format!("{s:.1}/{m:.1}")).collect();
        println!("| {report} | {:.1} | {:.1} | {} | {bytes} |", secs[RUNS / 2], mib[RUNS / 2], each.join(", "));
    }

    // Over HTTP, from the running server.
    let client = common::raw_client();
    let get = |path: &str| client.get(format!("{}{path}", server.url)).bearer_auth(&ops.token).send().unwrap();
    let hwm_before = vm_hwm_mib(server.child.id());
    println!("\n| report over HTTP | to header row ms | total s | server CPU s | bytes | slowest GET /v1/me meanwhile ms |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for report in REPORTS {
        let stop = Arc::new(AtomicBool::new(false));
        let slowest = Arc::new(AtomicU64::new(0));
        let prober = {
            let (stop, slowest, client, url, token) =
                (stop.clone(), slowest.clone(), client.clone(), server.url.clone(), ops.token.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let r = client.get(format!("{url}/v1/me")).bearer_auth(&token).send().unwrap();
                    assert_eq!(r.status().as_u16(), 200);
                    slowest.fetch_max(t.elapsed().as_millis() as u64, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        let (t, cpu) = (Instant::now(), cpu_secs(server.child.id()));
        let mut resp = get(&format!("/v1/reports/{report}"));
        let header_ms = t.elapsed().as_secs_f64() * 1e3;
        assert_eq!(resp.status().as_u16(), 200);
        let bytes = std::io::copy(&mut resp, &mut std::io::sink()).unwrap();
        let total = t.elapsed().as_secs_f64();
        let cpu = cpu_secs(server.child.id()) - cpu;
        stop.store(true, Ordering::Relaxed);
        prober.join().unwrap();
        println!("| {report} | {header_ms:.0} | {total:.1} | {cpu:.1} | {bytes} | {} |", slowest.load(Ordering::Relaxed));
    }
    println!("\nserver VmHWM: {:.1} MiB before the HTTP exports, {:.1} MiB after", hwm_before, vm_hwm_mib(server.child.id()));

    // A client that hangs up after the header row: does the server stop working on it?
    let mut resp = get("/v1/reports/sales");
    let mut first = [0u8; 16];
    let _ = resp.read(&mut first).unwrap();
    drop(resp);
    std::thread::sleep(Duration::from_millis(300));
    let cpu0 = cpu_secs(server.child.id());
    std::thread::sleep(Duration::from_secs(2));
    println!(
        "a client hung up after the header row: the server used {:.2} s of CPU in the 2 s after (a report still running uses ~2)",
        cpu_secs(server.child.id()) - cpu0
    );
}

/// Run `command` with its output into `out` through the `--measure` helper: (wall seconds,
/// its peak resident memory in MiB).
fn measured(out: &std::path::Path, command: &[&str]) -> (f64, f64) {
    let helper = Command::new(std::env::current_exe().unwrap())
        .arg("--measure")
        .arg(out)
        .args(command)
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(helper.status.success(), "the report failed");
    let text = String::from_utf8(helper.stdout).unwrap();
    let (secs, kib) = text.trim().split_once(' ').unwrap();
    (secs.parse().unwrap(), kib.parse::<f64>().unwrap() / 1024.0)
}

/// The helper: run `command` with its output into `out`, wait for it with `wait4`, and print
/// its wall seconds and `ru_maxrss` (KiB). This process is small, so what its child shared
/// with it before `exec` is below anything the export itself uses.
#[allow(clippy::zombie_processes)] // reaped by `wait4`, which also gives its rusage
fn measure_child(out: &str, command: &[String]) {
    let out = std::fs::File::create(out).unwrap();
    let t = Instant::now();
    let child = Command::new(&command[0]).args(&command[1..]).stdout(out).spawn().unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, with pointers to live locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = t.elapsed().as_secs_f64();
    if !(pid > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        std::process::exit(1);
    }
    println!("{wall} {}", usage.ru_maxrss);
}

/// A process's peak resident memory so far, in MiB.
fn vm_hwm_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches(" kB").parse::<f64>().ok());
    kib.unwrap_or(0.0) / 1024.0
}

/// A process's CPU time so far (user and system), in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name's closing parenthesis: fields 3 onwards; utime and stime are 14, 15.
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: f64 = fields.get(11..13).map(|f| f.iter().filter_map(|x| x.parse::<f64>().ok()).sum()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// Write the programme into the running server's store, in one transaction: the accounts,
/// `n` delivered orders and their money entries. Returns the records written.
fn fill(server: &Server, n: u64) -> u64 {
    let mut db = rusqlite::Connection::open(server.data_dir().join("depot.db")).unwrap();
    db.busy_timeout(Duration::from_secs(30)).unwrap();
    db.execute_batch("PRAGMA cache_size = -262144").unwrap();
    let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
    let first = Day::parse("2025-01-01").unwrap();
    let days = Day::parse("2026-10-31").unwrap().0 - first.0 + 1;
    let at = |day: i64, hour: i64| (Day(first.0 + day).start_ms() + hour * 3_600_000) as u64;
    let mentor = |m: u64| format!("00000000-0000-7000-8001-{m:012x}");
    let artisan = |a: u64| format!("00000000-0000-7000-8002-{a:012x}");
    {
        let mut q =
            tx.prepare("INSERT INTO accounts (id, role, name, mentor_id, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)").unwrap();
        for m in 0..MENTORS {
            q.execute(rusqlite::params![mentor(m), "mentor", format!("Mentor {m}"), None::<String>, at(0, 9) as i64]).unwrap();
        }
        for a in 0..ARTISANS {
            // Enrolled over the first year; nine in ten have a mentor.
            let m = (a % 10 != 9).then(|| mentor(a % MENTORS));
            q.execute(rusqlite::params![
                artisan(a),
                "artisan",
                format!("Artisan {a}"),
                m,
                at((a * 365 / ARTISANS) as i64, 9) as i64
            ])
            .unwrap();
        }
    }
    let mut seq: i64 = tx.query_row("SELECT next_seq FROM meta", [], |r| r.get(0)).unwrap();
    let mut put =
        tx.prepare("INSERT INTO records (kind, id, owner, seq, body, changed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)").unwrap();
    let mut rng = SeededRng(0x5eed);
    let stamp = |ms: u64| Timestamp { wall_ms: ms, counter: 0, node: 1 };
    let mut records = 0;
    for i in 0..n {
        let id = format!("00000000-0000-7000-8000-{i:012x}");
        let a = rng.below(ARTISANS);
        let who = artisan(a);
        // Orders spread over the 22 months in id order, each taking 3 to 42 days.
        let start = (i as i64 * (days - 45)) / n as i64;
        let lead = 3 + rng.below(40) as i64;
        let quantity = 1 + rng.below(10) as u32;
        let price_minor = UNIT_PRICES[rng.below(UNIT_PRICES.len() as u64) as usize] * i64::from(quantity);
        let mut steps: Vec<(&str, &str)> = vec![
            ("created", "new"),
            ("assign", "assigned"),
            ("accept", "accepted"),
            ("start_production", "in_production"),
            ("mark_ready", "ready_for_pickup"),
            ("receive", "received"),
        ];
        if rng.chance(10) {
            steps.extend([
                ("qc_fail", "qc_failed"),
                ("rework", "in_production"),
                ("mark_ready", "ready_for_pickup"),
                ("receive", "received"),
            ]);
        }
        steps.extend([("qc_pass", "qc_passed"), ("ship", "shipped"), ("deliver", "delivered")]);
        let last = steps.len() as i64 - 1;
        let history: Vec<OrderEvent> = steps
            .iter()
            .enumerate()
            .map(|(k, (event, status))| {
                // Created and assigned on the first day, delivered on the last, the rest between.
                let day = start + if k == 0 { 0 } else { (k as i64 - 1) * lead / (last - 1) };
                OrderEvent {
                    event: event.to_string(),
                    status: status.to_string(),
                    hlc: stamp(at(day, 8 + k as i64)),
                    reason: None,
                    photo: None,
                }
            })
            .collect();
        let delivered = history.last().unwrap().hlc;
        let order = OrderBody {
            status: "delivered".into(),
            artisan_id: Some(who.clone()),
            product: PRODUCTS[rng.below(PRODUCTS.len() as u64) as usize].into(),
            product_id: None,
            quantity,
            price_minor,
            source: "shop".into(),
            external_ref: format!("B-{i}"),
            updated_hlc: delivered,
            note: None,
            due_date: None,
            history,
            history_dropped: 0,
            extra: Extra::new(),
        };
        let mut write = |kind: Kind, rid: &str, owner: &str, body: String| {
            put.execute(rusqlite::params![kind.code(), rid, owner, seq, body, delivered.wall_ms as i64]).unwrap();
            seq += 1;
            records += 1;
        };
        write(Kind::Order, &id, &who, serde_json::to_string(&order).unwrap());
        let money = |eid: String, kind: EntryKind, amount_minor: i64, owner: &str| {
            let entry = MoneyEntry {
                id: eid,
                kind: kind.code().into(),
                amount_minor,
                currency: "KES".into(),
                order_id: Some(id.clone()),
                payout_id: None,
                note: None,
                hlc: delivered,
                extra: Extra::new(),
            };
            let body = MoneyBody { owner: owner.to_string(), entry, extra: Extra::new() };
            (body.entry.id.clone(), serde_json::to_string(&body).unwrap())
        };
        let refunded = rng.chance(1);
        let (eid, body) = money(earning_id(&id), EntryKind::Earning, price_minor, &who);
        write(Kind::Money, &eid, &who, body);
        if refunded {
            let (eid, body) = money(reversal_id(&id), EntryKind::Reversal, -price_minor, &who);
            write(Kind::Money, &eid, &who, body);
        }
        if a % 10 != 9 {
            let m = mentor(a % MENTORS);
            let (eid, body) = money(commission_id(&id), EntryKind::Commission, price_minor / 10, &m);
            write(Kind::Money, &eid, &m, body);
            if refunded {
                let (eid, body) = money(reversal_id(&commission_id(&id)), EntryKind::Reversal, -price_minor / 10, &m);
                write(Kind::Money, &eid, &m, body);
            }
        }
    }
    drop(put);
    tx.execute("UPDATE meta SET next_seq = ?1", [seq]).unwrap();
    tx.commit().unwrap();
    records
}
