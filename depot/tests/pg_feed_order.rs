//! Two things a depot on PostgreSQL with several server processes must get right (issue 13
//! item 3, ADR 0029), settled on a real PostgreSQL (`scripts/pg`) before the store is ported,
//! so that the port starts from designs a test has already told apart from the naive ones.
//!
//! 1. **A change feed that never skips.** Phones pull "everything after my cursor". With a
//!    PostgreSQL sequence (`nextval`), a transaction that took seq 5 may commit after one that
//!    took seq 6; a phone that pulled in between moved its cursor to 6 and never sees 5. The
//!    chosen way takes the number from a counter row (`UPDATE meta SET next_seq = next_seq + 1`)
//!    in the writing transaction: the row stays locked until it commits, so a later number
//!    cannot commit before an earlier one, and an aborted number is given again (no gaps).
//! 2. **Exactly-once push.** A phone retries a batch; two server processes may take the same
//!    batch at once. Reading the device's last counter and then writing lets both apply it; the
//!    chosen way reads it `FOR UPDATE`, so the second waits for the first and then sees the
//!    batch as applied; the counter never goes backwards.
//!
//! Each is shown twice: a fixed schedule on two connections that makes the naive way fail (the
//! test asserts that it does, so the schedule really is the dangerous one) and the chosen way
//! hold; and writer processes (this test binary started again as children) racing a reader with
//! the chosen way, every change checked to reach the reader once.
//!
//! The PostgreSQL cluster: `FUNDI_TEST_PG_URL`, else `scripts/pg start` (`common::pg`).

mod common;
use common::pg::{self, connect};
use postgres::{Client, Transaction};
use std::collections::BTreeSet;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Long enough that a statement which is going to block has blocked.
const BLOCKED: Duration = Duration::from_millis(400);
/// Writer processes in the racing runs, and transactions each.
const WRITERS: usize = 4;
const PER_WRITER: i64 = 150;
const CHILD_ENV: &str = "FUNDI_PG_ORDER_CHILD";

/// A new database of its own on the cluster, with the tables both designs use: its URL.
fn fresh_database() -> String {
    let url = pg::fresh_database("order");
    connect(&url)
        .batch_execute(
            "CREATE TABLE meta (next_seq BIGINT NOT NULL);
             INSERT INTO meta VALUES (1);
             CREATE SEQUENCE naive_seq;
             CREATE TABLE feed (seq BIGINT PRIMARY KEY, writer TEXT NOT NULL);
             CREATE TABLE devices (id TEXT PRIMARY KEY, last_counter BIGINT NOT NULL);
             CREATE TABLE applied (id BIGSERIAL PRIMARY KEY, device TEXT NOT NULL, counter BIGINT NOT NULL);",
        )
        .unwrap();
    url
}

/// How a writing transaction takes its place in the change feed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum FeedNumbering {
    /// `nextval` of a sequence: given at once, whatever commits first.
    NaiveSequence,
    /// The counter row, locked until the transaction ends.
    CounterRow,
}

impl FeedNumbering {
    fn next_seq(self, tx: &mut Transaction<'_>) -> i64 {
        let sql = match self {
            FeedNumbering::NaiveSequence => "SELECT nextval('naive_seq')",
            FeedNumbering::CounterRow => "UPDATE meta SET next_seq = next_seq + 1 RETURNING next_seq - 1",
        };
        tx.query_one(sql, &[]).unwrap().get(0)
    }

    fn append(self, tx: &mut Transaction<'_>, writer: &str) -> i64 {
        let seq = self.next_seq(tx);
        tx.execute("INSERT INTO feed (seq, writer) VALUES ($1, $2)", &[&seq, &writer]).unwrap();
        seq
    }
}

/// A phone's pull: what the feed holds after `cursor`, in order, a page at a time.
fn pull(client: &mut Client, cursor: &mut i64, seen: &mut Vec<i64>) {
    loop {
        let rows = client.query("SELECT seq FROM feed WHERE seq > $1 ORDER BY seq LIMIT 50", &[&*cursor]).unwrap();
        if rows.is_empty() {
            return;
        }
        for r in rows {
            let seq: i64 = r.get(0);
            seen.push(seq);
            *cursor = seq;
        }
    }
}

fn all_seqs(client: &mut Client) -> BTreeSet<i64> {
    client.query("SELECT seq FROM feed", &[]).unwrap().iter().map(|r| r.get(0)).collect()
}

/// The dangerous schedule: A takes a number and stays open; B takes the next, writes and
/// commits (or waits, if the numbering makes it); a phone pulls; A commits; the phone pulls
/// again. Returns (what the phone missed, whether B had to wait for A).
fn feed_schedule(numbering: FeedNumbering) -> (BTreeSet<i64>, bool) {
    let url = fresh_database();
    let mut a = connect(&url);
    let mut phone = connect(&url);
    let mut tx_a = a.transaction().unwrap();
    let seq_a = numbering.next_seq(&mut tx_a);

    let (done, finished) = mpsc::channel();
    let b_url = url.clone();
    let b = std::thread::spawn(move || {
        let mut b = connect(&b_url);
        let mut tx = b.transaction().unwrap();
        numbering.append(&mut tx, "B");
        tx.commit().unwrap();
        done.send(()).unwrap();
    });
    let b_waited = finished.recv_timeout(BLOCKED).is_err();
    let (mut cursor, mut seen) = (0, vec![]);
    pull(&mut phone, &mut cursor, &mut seen);

    tx_a.execute("INSERT INTO feed (seq, writer) VALUES ($1, 'A')", &[&seq_a]).unwrap();
    tx_a.commit().unwrap();
    b.join().unwrap();
    pull(&mut phone, &mut cursor, &mut seen);
    let seen: BTreeSet<i64> = seen.into_iter().collect();
    (all_seqs(&mut phone).difference(&seen).copied().collect(), b_waited)
}

#[test]
fn a_sequence_lets_a_phone_skip_a_change_and_the_counter_row_does_not() {
    let (missed, b_waited) = feed_schedule(FeedNumbering::NaiveSequence);
    assert!(!b_waited, "with a sequence the later number commits first");
    assert_eq!(missed, BTreeSet::from([1]), "the change numbered before the phone's cursor is never pulled");

    let (missed, b_waited) = feed_schedule(FeedNumbering::CounterRow);
    assert!(b_waited, "the counter row makes the later transaction wait for the earlier one");
    assert_eq!(missed, BTreeSet::new());
}

/// How a push decides whether a device's mutation was applied already.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PushGuard {
    /// Read the device's last counter, then write.
    ReadThenWrite,
    /// Read it `FOR UPDATE`: a second process taking the same device waits.
    LockDeviceRow,
}

impl PushGuard {
    /// Apply mutation `counter` of `device` once: whether this call applied it.
    fn apply(self, tx: &mut Transaction<'_>, device: &str, counter: i64, before_write: impl FnOnce()) -> bool {
        let sql = match self {
            PushGuard::ReadThenWrite => "SELECT last_counter FROM devices WHERE id = $1",
            PushGuard::LockDeviceRow => "SELECT last_counter FROM devices WHERE id = $1 FOR UPDATE",
        };
        let last: i64 = tx.query_one(sql, &[&device]).unwrap().get(0);
        if counter <= last {
            return false;
        }
        before_write();
        tx.execute("INSERT INTO applied (device, counter) VALUES ($1, $2)", &[&device, &counter]).unwrap();
        tx.execute("UPDATE devices SET last_counter = $2 WHERE id = $1", &[&device, &counter]).unwrap();
        true
    }
}

/// The dangerous schedule: two processes take the same retried mutation; A has read the
/// device's counter and not yet written when B reads it. Returns (times applied, B waited).
fn push_schedule(guard: PushGuard) -> (i64, bool) {
    let url = fresh_database();
    let mut a = connect(&url);
    a.execute("INSERT INTO devices VALUES ('phone-1', 0)", &[]).unwrap();
    let mut tx_a = a.transaction().unwrap();
    let (b_may_read, read) = mpsc::channel();
    let (done, finished) = mpsc::channel();
    let b_url = url.clone();
    let mut b_thread = None;
    let applied_a = guard.apply(&mut tx_a, "phone-1", 1, || {
        let (b_url, done) = (b_url.clone(), done.clone());
        b_thread = Some(std::thread::spawn(move || {
            let mut b = connect(&b_url);
            let mut tx = b.transaction().unwrap();
            b_may_read.send(()).unwrap();
            let applied = guard.apply(&mut tx, "phone-1", 1, || {});
            tx.commit().unwrap();
            done.send(applied).unwrap();
        }));
        read.recv().unwrap();
        // B has read (or is waiting to) before A writes.
        std::thread::sleep(BLOCKED / 2);
    });
    let b_waited = finished.recv_timeout(BLOCKED).is_err();
    tx_a.commit().unwrap();
    b_thread.unwrap().join().unwrap();
    assert!(applied_a);
    let times: i64 = a.query_one("SELECT COUNT(*) FROM applied WHERE counter = 1", &[]).unwrap().get(0);
    (times, b_waited)
}

#[test]
fn reading_the_counter_then_writing_applies_a_retried_batch_twice_and_locking_the_device_row_once() {
    let (times, b_waited) = push_schedule(PushGuard::ReadThenWrite);
    assert!(!b_waited);
    assert_eq!(times, 2, "both processes applied the retried mutation");

    let (times, b_waited) = push_schedule(PushGuard::LockDeviceRow);
    assert!(b_waited, "the second process waits for the first");
    assert_eq!(times, 1);
}

/// Writer processes append to the feed with the counter row, and replay one device's batch of
/// mutations with the device row locked, while this process pulls: every change is pulled once,
/// in order, none skipped; every mutation is applied once; the counter ends at the batch's last.
#[test]
fn racing_writer_processes_never_make_a_phone_skip_a_change_or_apply_a_mutation_twice() {
    let url = fresh_database();
    let mut phone = connect(&url);
    phone.execute("INSERT INTO devices VALUES ('phone-1', 0)", &[]).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<_> = (0..WRITERS)
        .map(|i| {
            Command::new(&exe)
                .args(["--exact", "writer_process", "--nocapture", "--test-threads", "1"])
                .env(CHILD_ENV, format!("{url} {i}"))
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("start a writer process")
        })
        .collect();

    let (mut cursor, mut seen) = (0, vec![]);
    let deadline = Instant::now() + Duration::from_secs(120);
    while children.iter_mut().any(|c| c.try_wait().unwrap().is_none()) {
        pull(&mut phone, &mut cursor, &mut seen);
        assert!(Instant::now() < deadline, "the writers did not finish");
    }
    for c in &mut children {
        assert!(c.wait().unwrap().success(), "a writer process failed");
    }
    pull(&mut phone, &mut cursor, &mut seen);

    assert!(seen.windows(2).all(|w| w[0] < w[1]), "pulled in order, each once");
    let all = all_seqs(&mut phone);
    assert_eq!(all.len() as i64, WRITERS as i64 * PER_WRITER);
    assert_eq!(seen.iter().copied().collect::<BTreeSet<i64>>(), all, "every change reached the phone");
    assert_eq!(all, (1..=WRITERS as i64 * PER_WRITER).collect(), "no number lost or given twice");

    let applied: Vec<i64> =
        phone.query("SELECT counter FROM applied ORDER BY counter", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(applied, (1..=PER_WRITER).collect::<Vec<_>>(), "each mutation applied once, by whichever process came first");
    let last: i64 = phone.query_one("SELECT last_counter FROM devices", &[]).unwrap().get(0);
    assert_eq!(last, PER_WRITER);
}

/// In a writer process (started by the test above; does nothing otherwise): append
/// `PER_WRITER` changes to the feed, and replay the device's whole batch, each in its own
/// transaction, with the chosen designs and a pause inside each transaction to widen the race.
#[test]
fn writer_process() {
    let Ok(spec) = std::env::var(CHILD_ENV) else { return };
    let (url, id) = spec.rsplit_once(' ').unwrap();
    let mut client = connect(url);
    let seed: i64 = id.parse().unwrap();
    let pause = |i: i64| std::thread::sleep(Duration::from_micros(((i * 7919 + seed * 104_729) % 1500) as u64));
    for i in 0..PER_WRITER {
        let mut tx = client.transaction().unwrap();
        FeedNumbering::CounterRow.append(&mut tx, id);
        pause(i);
        tx.commit().unwrap();

        let mut tx = client.transaction().unwrap();
        PushGuard::LockDeviceRow.apply(&mut tx, "phone-1", i + 1, || pause(i));
        tx.commit().unwrap();
    }
}
