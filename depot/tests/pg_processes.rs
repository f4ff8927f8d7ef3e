//! Several server processes on one PostgreSQL database (issue 13 item 3, ADR 0029), through the
//! store's own code: two real `fundi-depot serve` processes, each with its own data directory
//! naming the same database and holding the same key, so that any of them may answer any phone.
//!
//! - **Exactly-once push across processes.** The same batch sent to both processes at once is
//!   applied once: the feed moves by one number per mutation, both answers are the same, and
//!   the device's counter never goes backwards when an older batch is replayed to the other.
//!   With the write lock switched off (`FUNDI_TEST_UNLOCKED_WRITES`, the deliberately naive
//!   store), the same schedule applies batches twice, and the test asserts that it does: the
//!   check can tell the two apart.
//! - **A change feed that never skips.** Writers push through both processes while readers pull
//!   through both, each reader following its own cursor; every change reaches every reader,
//!   once.
//!
//! - **A connection cut under the depot** (a database restart, a network fault) is answered
//!   503 `busy`, typed, and the phone's batch sent again is applied once.
//! - **One payout engine at a time.** Both processes are configured for M-Pesa; only one runs
//!   the engine (a session advisory lock), and when it stops the other takes over.
//!
//! These run on PostgreSQL whichever store the rest of the suite is on.

mod common;
use common::{field_write, Dev, Server};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier};

/// Two processes serving one fresh database; `env` for both (the naive switch).
fn pair(env: &[(&str, &str)]) -> (Server, Server) {
    let first = Server::start_on_database(&common::pg::fresh_database("pair"), &[], env);
    let second = first.second_process(&[], env);
    (first, second)
}

/// The same device, for another thread (a `Dev` counts its pushes in a `Cell`).
fn same_device(dev: &Dev) -> Dev {
    Dev { account: dev.account.clone(), device: dev.device.clone(), token: dev.token.clone(), counter: dev.counter.clone() }
}

/// A mutation that makes a new draft (one record, one feed number).
fn new_draft() -> Value {
    field_write(&common::uuid_like(), "draft", "title", serde_json::json!("Kiondo"))
}

fn next_seq(s: &Server) -> i64 {
    s.db().query_row("SELECT next_seq FROM meta", [], |r| r.get(0)).unwrap()
}

fn last_counter(s: &Server, dev: &Dev) -> i64 {
    s.db().query_row("SELECT last_counter FROM devices WHERE device_id = ?1", [&dev.device], |r| r.get(0)).unwrap()
}

/// `batches` batches of `size` new drafts from `dev`, each sent to both processes at the
/// same moment; how many batches the feed took more than once.
fn race_batches(a: &Server, b: &Server, dev: &Dev, batches: u64, size: u64) -> u64 {
    let mut doubled = 0;
    for k in 0..batches {
        let mutations: Vec<Value> = (1..=size).map(|i| common::numbered(new_draft(), k * size + i)).collect();
        let before = next_seq(a);
        let barrier = Arc::new(Barrier::new(2));
        let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
            let sends: Vec<_> = [a, b]
                .into_iter()
                .map(|server| {
                    let (barrier, mutations, dev) = (barrier.clone(), mutations.clone(), same_device(dev));
                    scope.spawn(move || {
                        barrier.wait();
                        server.push_raw(&dev, mutations)
                    })
                })
                .collect();
            sends.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (status, body) in &answers {
            assert_eq!(*status, 200, "{body}");
            assert!(body["results"].as_array().unwrap().iter().all(|r| r.get("rejected").is_none()), "{body}");
        }
        let moved = (next_seq(a) - before) as u64;
        if moved > size {
            doubled += 1;
        } else {
            assert_eq!(moved, size, "batch {k}: every mutation applied");
            assert_eq!(answers[0].1["results"], answers[1].1["results"], "both processes answer the batch alike");
        }
    }
    doubled
}

#[test]
fn the_same_batch_sent_to_two_processes_at_once_is_applied_once() {
    let (a, b) = pair(&[]);
    let artisan = a.device("artisan", "akinyi", None);
    assert_eq!(race_batches(&a, &b, &artisan, 25, 4), 0, "a batch was applied twice");
    assert_eq!(last_counter(&a, &artisan), 100);
    // An older batch replayed to the other process is answered from what was stored; the
    // counter does not go back, and the feed does not move.
    let before = next_seq(&a);
    let old: Vec<Value> = (1..=4).map(|i| common::numbered(new_draft(), 40 + i)).collect();
    let (status, answer) = b.push_raw(&artisan, old);
    assert_eq!(status, 200, "{answer}");
    assert_eq!((last_counter(&a, &artisan), next_seq(&a)), (100, before));
}

#[test]
fn without_the_write_lock_the_same_schedule_applies_batches_twice() {
    let (a, b) = pair(&[("FUNDI_TEST_UNLOCKED_WRITES", "1")]);
    let artisan = a.device("artisan", "akinyi", None);
    let doubled = race_batches(&a, &b, &artisan, 60, 8);
    eprintln!("without the write lock, {doubled} of 60 batches sent to both processes at once were applied twice");
    assert!(doubled > 0, "the naive store applied every batch once in 60 races: the schedule no longer tells the two apart");
}

#[test]
fn changes_written_through_two_processes_reach_every_reader_through_either_once() {
    const WRITERS: usize = 4;
    const BATCHES: u64 = 15;
    let (a, b) = pair(&[]);
    let servers = [&a, &b];
    let writers: Vec<Dev> = (0..WRITERS).map(|i| a.device("artisan", &format!("writer{i}"), None)).collect();
    let readers: Vec<Dev> = (0..2).map(|i| b.device("operations", &format!("reader{i}"), None)).collect();
    let done = std::sync::atomic::AtomicBool::new(false);
    let seen: Vec<Vec<String>> = std::thread::scope(|scope| {
        for (w, dev) in writers.into_iter().enumerate() {
            scope.spawn(move || {
                for k in 0..BATCHES {
                    let server = servers[(w + k as usize) % 2];
                    let entries = (0..3).map(|_| new_draft()).collect();
                    let refused = server.push(&dev, entries);
                    assert!(refused.iter().all(Option::is_none), "{refused:?}");
                }
            });
        }
        let pulls: Vec<_> = readers
            .into_iter()
            .enumerate()
            .map(|(r, dev)| {
                let done = &done;
                scope.spawn(move || {
                    let (mut cursor, mut got, mut turn) = (0i64, vec![], r);
                    loop {
                        let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                        let server = servers[turn % 2];
                        turn += 1;
                        let (status, page) = server.req(Some(&dev), &format!("/v1/sync/pull?cursor={cursor}&limit=50"), None);
                        assert_eq!(status, 200, "{page}");
                        for c in page["changes"].as_array().unwrap() {
                            got.push(c["id"].as_str().unwrap().to_string());
                        }
                        cursor = page["cursor"].as_i64().unwrap();
                        if page["changes"].as_array().unwrap().is_empty() {
                            if finished {
                                return got;
                            }
                            std::thread::sleep(std::time::Duration::from_millis(10));
                        }
                    }
                })
            })
            .collect();
        // The writers are the scope's other threads: wait for them by watching the feed.
        let expected = WRITERS as u64 * BATCHES * 3;
        let db = a.db();
        let drafts = || -> u64 {
            db.query_row("SELECT COUNT(*) FROM records WHERE kind = 'draft'", [], |r| r.get::<_, i64>(0)).unwrap() as u64
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while drafts() < expected && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // (Set before any assertion: the scope waits for the readers, which wait for this.)
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(drafts(), expected, "the writers did not finish");
        pulls.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let stored: BTreeSet<String> =
        a.db().query_map("SELECT id FROM records WHERE kind = 'draft'", [], |r| r.get(0)).unwrap().into_iter().collect();
    assert_eq!(stored.len(), WRITERS * BATCHES as usize * 3);
    for got in &seen {
        let ids: BTreeMap<&str, usize> = got.iter().fold(BTreeMap::new(), |mut m, id| {
            *m.entry(id.as_str()).or_default() += 1;
            m
        });
        let missing: Vec<&String> = stored.iter().filter(|id| !ids.contains_key(id.as_str())).collect();
        assert!(missing.is_empty(), "{} changes never reached a reader: {missing:?}", missing.len());
        // Each draft is written once, so it is in the feed once: a reader gets it once.
        assert!(ids.iter().filter(|(id, _)| stored.contains(**id)).all(|(_, n)| *n == 1), "a change reached a reader twice");
    }
}

/// The backend holding the payout engine's lock (`store::PG_PAYOUT_LOCK`, 0x66756e646902: a
/// bigint key shows in `pg_locks` as its high and low 32 bits).
fn payout_leader(db: &common::DepotDb) -> Vec<i64> {
    db.query_map(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 26229 AND objid = 1852074242 AND granted",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn one_process_at_a_time_runs_the_payout_engine_and_another_takes_over_when_it_stops() {
    use common::mpesa::{Sim, FAST_PAYOUTS};
    let sim = Sim::start(&[]);
    let config_dir = tempfile::tempdir().unwrap();
    let config = sim.depot_config(config_dir.path(), "http://127.0.0.1:9/mpesa/unused");
    let extra = [&["--mpesa-config", config.to_str().unwrap()], FAST_PAYOUTS].concat();
    let mut a = Server::start_on_database(&common::pg::fresh_database("lead"), &extra, &[]);
    let db = a.db();
    let wait_for_leader = |not: Option<i64>| -> i64 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let leaders = payout_leader(&db);
            assert!(leaders.len() <= 1, "two engines lead: {leaders:?}");
            if let Some(&pid) = leaders.first().filter(|pid| Some(**pid) != not) {
                return pid;
            }
            assert!(std::time::Instant::now() < deadline, "no engine took the lead");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    let first = wait_for_leader(None);
    // The second process's engine waits: past its retry, the lead has not moved.
    let b = a.second_process(&extra, &[]);
    std::thread::sleep(std::time::Duration::from_secs(6));
    assert_eq!(payout_leader(&db), vec![first], "the lead stays with the first engine");
    // The first process stops (killed): the second takes over.
    let _ = a.child.kill();
    let _ = a.child.wait();
    let second = wait_for_leader(Some(first));
    assert_ne!(second, first);
    drop(b);
}

#[test]
fn a_database_connection_cut_under_the_depot_is_a_typed_busy_answer_and_loses_nothing() {
    let s = Server::start_on_database(&common::pg::fresh_database("cut"), &[], &[]);
    let artisan = s.device("artisan", "akinyi", None);
    assert_eq!(s.push(&artisan, vec![new_draft()]), vec![None]);
    let db = s.db();
    // Every connection the depot holds is cut, as a database restart or a network fault would.
    let cut: i64 = db
        .query_row(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(cut > 0, "the depot held no connection to cut");
    // The next requests are answered (a broken connection is a typed 503, never a 500) until
    // the pool has opened new ones; the phone's batch, sent again, is applied once.
    let batch: Vec<Value> = vec![common::numbered(new_draft(), 2)];
    let mut answers = vec![];
    for _ in 0..10 {
        let (status, body) = s.push_raw(&artisan, batch.clone());
        answers.push(status);
        match status {
            200 => break,
            503 => assert_eq!(body["error"], "busy", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    eprintln!("statuses after the cut, until one was 200: {answers:?}");
    assert_eq!(answers.last(), Some(&200), "{answers:?}");
    assert_eq!(last_counter(&s, &artisan), 2);
    let drafts: i64 = db.query_row("SELECT COUNT(*) FROM records WHERE kind = 'draft'", [], |r| r.get(0)).unwrap();
    assert_eq!(drafts, 2, "both drafts stored, each once");
}
