//! The app is killed at any moment (Android does it to save memory): every draft whose save
//! returned must still be there after a SIGKILL, the outbox must hold exactly one mutation per
//! committed change (none lost, none twice), and the file must stay intact.
//!
//! The moment is chosen, not left to a timer. The test re-runs its own binary as a child that
//! makes seeded draft edits (create, edit two fields, submit, delete), announcing each on
//! stdout before it starts and after it returns; the child dies by SIGKILL at:
//! - a crash point of `Store::write` (`store:before_commit`, `store:after_commit`) on its k-th
//!   hit, for every k of a run (see `fundi_sqlite::crash_point`);
//! - the k-th file operation SQLite does, through a VFS shim the child registers as the
//!   default (`crash_vfs` below): before a write (`io:write`), halfway through one, its first
//!   half on disk (`io:torn_write`), before an fsync (`io:sync`). These land inside commits and
//!   checkpoints, between pages of one transaction: the moments the journal exists for. With
//!   SQLite's journal switched off this test fails (a draft row without its outbox mutation,
//!   or a malformed file); the crash points of `Store::write` alone would not show it, since
//!   nothing reaches the file before the commit.
//!
//! After each death the parent reopens the file and checks it against what the child said.
//! The sync steps' crash points need a depot; they are armed in `depot/tests/depot_kills.rs`.

use fundi_core::drafts::{Category, Draft, DraftPatch, NewDraft};
use fundi_core::Store;
use fundi_sqlite::crash_point::{ENV_AFTER, ENV_AT};
use fundi_sync::testing::SeededRng as Rng;
use fundi_sync::Mutation;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

const DB_ENV: &str = "FUNDI_KILL_SAFETY_DB";
const SEED_ENV: &str = "FUNDI_KILL_SAFETY_SEED";
/// The signal a crash point sends (the same number on every Unix).
const SIGKILL: i32 = 9;
/// Edits per child run.
const OPS: u64 = 12;

/// A draft as the checks compare it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Row {
    id: String,
    title: String,
    price: i64,
    status: String,
    deleted: bool,
}

impl Row {
    fn of(d: &Draft) -> Row {
        Row { id: d.id.clone(), title: d.title.clone(), price: d.price.minor, status: d.status.code().into(), deleted: false }
    }
}

/// A kill-test VFS: the platform's default VFS (through `fundi_sqlite`'s test shim) with a
/// crash point before each write and fsync and halfway through each write. It counts them so
/// the parent can aim.
mod crash_vfs {
    use fundi_sqlite::crash_point;
    use fundi_sqlite::testing::vfs_shim::{self, Interpose};
    use std::ffi::c_int;
    use std::sync::atomic::{AtomicU64, Ordering};

    pub static WRITES: AtomicU64 = AtomicU64::new(0);
    pub static SYNCS: AtomicU64 = AtomicU64::new(0);

    struct Crash;

    impl Interpose for Crash {
        fn write(&self, _: Option<&str>, data: &[u8], offset: i64, write: &mut dyn FnMut(&[u8], i64) -> c_int) -> c_int {
            WRITES.fetch_add(1, Ordering::SeqCst);
            crash_point("io:write");
            let (first, second) = data.split_at(data.len() / 2);
            let rc = write(first, offset);
            if rc != rusqlite::ffi::SQLITE_OK {
                return rc;
            }
            crash_point("io:torn_write");
            write(second, offset + first.len() as i64)
        }

        fn sync(&self, _: Option<&str>, sync: &mut dyn FnMut() -> c_int) -> c_int {
            SYNCS.fetch_add(1, Ordering::SeqCst);
            crash_point("io:sync");
            sync()
        }
    }

    /// Register the shim as the default VFS (before any database is opened).
    pub fn register() {
        vfs_shim::register_default(&Crash);
    }
}

/// The child: `OPS` seeded edits on the file, each announced with `@will` before it starts and
/// `@did` after it returned, then `@io` with the file operations counted. Ignored in normal
/// runs; the parent runs it with `--ignored`.
#[test]
#[ignore = "child process of the kill tests of this file"]
fn child_writer() {
    let Ok(path) = std::env::var(DB_ENV) else { return };
    crash_vfs::register();
    let seed: u64 = std::env::var(SEED_ENV).unwrap().parse().unwrap();
    let mut rng = Rng(seed);
    let store = Store::open(&path).unwrap();
    let mut out = std::io::stdout().lock();
    let mut say = |line: String| {
        writeln!(out, "\n{line}").unwrap();
        out.flush().unwrap();
    };
    for i in 0..OPS {
        let drafts = store.list_drafts().unwrap();
        let editable: Vec<&Draft> = drafts.iter().filter(|d| d.status.is_editable()).collect();
        let pick = |rng: &mut Rng, from: &[&Draft]| from[rng.below(from.len() as u64) as usize].clone();
        let price = 1_000 + rng.below(1_000_000) as i64;
        match rng.below(5) {
            0 | 1 if !editable.is_empty() => {
                // Two fields in one transaction: both or neither.
                let d = pick(&mut rng, &editable);
                let title = format!("Edited {seed}-{i}");
                let mut want = Row::of(&d);
                (want.title, want.price) = (title.clone(), price);
                say(format!("@will change {}", serde_json::to_string(&want).unwrap()));
                let patch = DraftPatch { title: Some(title), price_minor: Some(price), ..Default::default() };
                let d = store.update_draft(&d.id, patch).unwrap();
                say(format!("@did {}", serde_json::to_string(&Row::of(&d)).unwrap()));
            }
            2 if !editable.is_empty() => {
                let d = pick(&mut rng, &editable);
                let want = Row { status: "submitted".into(), ..Row::of(&d) };
                say(format!("@will change {}", serde_json::to_string(&want).unwrap()));
                let d = store.submit_draft(&d.id).unwrap();
                say(format!("@did {}", serde_json::to_string(&Row::of(&d)).unwrap()));
            }
            3 if drafts.len() > 3 => {
                let all: Vec<&Draft> = drafts.iter().collect();
                let d = pick(&mut rng, &all);
                let want = Row { deleted: true, ..Row::of(&d) };
                say(format!("@will change {}", serde_json::to_string(&want).unwrap()));
                store.delete_draft(&d.id).unwrap();
                say(format!("@did {}", serde_json::to_string(&want).unwrap()));
            }
            _ => {
                let title = format!("Draft {seed}-{i}");
                say(format!("@will create {title}"));
                let d = store
                    .create_draft(NewDraft {
                        title,
                        description: "Maasai beadwork".into(),
                        materials: vec!["glass beads".into()],
                        category: Category::Beadwork,
                        price_minor: price,
                        weekly_capacity: 5,
                    })
                    .unwrap();
                say(format!("@did {}", serde_json::to_string(&Row::of(&d)).unwrap()));
            }
        }
    }
    // Closing checkpoints the WAL into the file: its writes are kill moments too.
    store.close().unwrap();
    use std::sync::atomic::Ordering::SeqCst;
    say(format!("@io {} {}", crash_vfs::WRITES.load(SeqCst), crash_vfs::SYNCS.load(SeqCst)));
}

/// The edit the child had started when it died.
#[derive(Debug)]
enum InFlight {
    Create { title: String },
    Change(Row),
}

/// What the parent knows of the file: every draft as the child's last returned edit left it,
/// and how many edits (each one outbox mutation) committed.
#[derive(Default)]
struct Model {
    drafts: BTreeMap<String, Row>,
    committed: usize,
    kills: usize,
}

struct Run {
    killed: bool,
    /// File operations counted by a child that finished: (writes, fsyncs).
    io: Option<(u64, u64)>,
}

impl Model {
    /// Run the child once, armed at `arm` (point, hit), and check the file after it ended.
    fn run(&mut self, path: &Path, seed: u64, arm: Option<(&str, u64)>) -> Run {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--exact", "child_writer", "--ignored", "--nocapture", "--test-threads=1"])
            .env(DB_ENV, path)
            .env(SEED_ENV, seed.to_string())
            .env_remove(ENV_AT)
            .env_remove(ENV_AFTER);
        if let Some((point, hit)) = arm {
            cmd.env(ENV_AT, point).env(ENV_AFTER, hit.to_string());
        }
        let out = cmd.output().unwrap();
        let killed = out.status.signal() == Some(SIGKILL);
        assert!(killed || out.status.success(), "child failed ({arm:?}): {}", String::from_utf8_lossy(&out.stderr));
        let mut in_flight = None;
        let mut io = None;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(title) = line.strip_prefix("@will create ") {
                in_flight = Some(InFlight::Create { title: title.into() });
            } else if let Some(row) = line.strip_prefix("@will change ") {
                in_flight = Some(InFlight::Change(serde_json::from_str(row).unwrap()));
            } else if let Some(row) = line.strip_prefix("@did ") {
                let row: Row = serde_json::from_str(row).unwrap();
                self.drafts.insert(row.id.clone(), row);
                self.committed += 1;
                in_flight = None;
            } else if let Some(counts) = line.strip_prefix("@io ") {
                let (w, s) = counts.split_once(' ').unwrap();
                io = Some((w.parse().unwrap(), s.parse().unwrap()));
            }
        }
        assert!(killed || in_flight.is_none(), "a child that finished left an edit unreturned");
        self.kills += killed as usize;
        let landed = self.check(path, in_flight, arm);
        match arm {
            Some(("store:before_commit", _)) if killed => assert!(!landed, "killed before the commit, yet committed"),
            Some(("store:after_commit", _)) if killed => assert!(landed, "killed after the commit, yet not committed"),
            _ => {}
        }
        Run { killed, io }
    }

    /// Check the file after a run; returns whether the edit in flight at the kill committed
    /// (and takes it into the model).
    fn check(&mut self, path: &Path, in_flight: Option<InFlight>, arm: Option<(&str, u64)>) -> bool {
        let ctx = format!("after a kill at {arm:?}, in flight {in_flight:?}");
        Store::open(path).unwrap_or_else(|e| panic!("{ctx}: the app cannot open its file: {e}")).close().unwrap();
        let conn = Connection::open(path).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok", "{ctx}");
        let rows = read_rows(&conn);

        // Every returned edit is there; the one in flight is there whole or not at all.
        let mut landed = false;
        for (id, want) in &self.drafts {
            let got = rows.get(id).unwrap_or_else(|| panic!("{ctx}: saved draft {id} lost"));
            match &in_flight {
                Some(InFlight::Change(next)) if next.id == *id && got == next => landed = true,
                _ => assert_eq!(got, want, "{ctx}: a returned edit was lost or half applied"),
            }
        }
        let new: Vec<&Row> = rows.values().filter(|r| !self.drafts.contains_key(&r.id)).collect();
        match (&in_flight, new.as_slice()) {
            (_, []) => {}
            (Some(InFlight::Create { title }), [row]) if row.title == *title => {
                landed = true;
                self.drafts.insert(row.id.clone(), (*row).clone());
            }
            _ => panic!("{ctx}: drafts nobody created: {new:?}"),
        }
        if let (true, Some(InFlight::Change(next))) = (landed, &in_flight) {
            self.drafts.insert(next.id.clone(), next.clone());
        }
        self.committed += landed as usize;

        // The outbox: one mutation per committed edit, counters 1..=n with no gap, and each
        // draft row exactly what its mutations say, stamps included.
        let outbox = read_outbox(&conn);
        let counters: Vec<u64> = outbox.iter().map(|m| m.counter).collect();
        assert_eq!(counters, (1..=self.committed as u64).collect::<Vec<_>>(), "{ctx}: the outbox lost or doubled a change");
        let next: i64 = conn.query_row("SELECT next_counter FROM sync_state", [], |r| r.get(0)).unwrap();
        assert_eq!(next as usize, self.committed + 1, "{ctx}: the counter and the outbox disagree");
        let mut folded: BTreeMap<String, (Row, BTreeMap<String, String>)> = BTreeMap::new();
        for m in &outbox {
            let (row, stamps) = folded.entry(m.id.clone()).or_insert_with(|| {
                (
                    Row { id: m.id.clone(), title: String::new(), price: 0, status: "draft".into(), deleted: false },
                    BTreeMap::new(),
                )
            });
            for (field, w) in m.fields.iter().flatten() {
                match field.as_str() {
                    "title" => row.title = w.value.as_str().unwrap().into(),
                    "price" => row.price = w.value.as_i64().unwrap(),
                    "deleted" => row.deleted = w.value.as_bool().unwrap(),
                    _ => {}
                }
                stamps.insert(field.clone(), w.hlc.to_string());
            }
            if m.command.as_ref().is_some_and(|c| c.name == "submit") {
                row.status = "submitted".into();
            }
        }
        assert_eq!(folded.keys().collect::<Vec<_>>(), rows.keys().collect::<Vec<_>>(), "{ctx}");
        for (id, (row, stamps)) in &folded {
            assert_eq!(row, &rows[id], "{ctx}: the draft and its outbox mutations disagree");
            for (field, hlc) in stamps {
                let stored: String = conn
                    .query_row(
                        "SELECT hlc FROM field_versions WHERE record_kind = 'draft' AND record_id = ?1 AND field = ?2",
                        [id, field],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(&stored, hlc, "{ctx}: the stamp of {field} of {id} and its mutation disagree");
            }
        }
        landed
    }
}

fn read_rows(conn: &Connection) -> BTreeMap<String, Row> {
    let mut s = conn.prepare("SELECT id, title, price_minor, status, deleted_hlc IS NOT NULL FROM drafts").unwrap();
    let rows = s
        .query_map([], |r| Ok(Row { id: r.get(0)?, title: r.get(1)?, price: r.get(2)?, status: r.get(3)?, deleted: r.get(4)? }))
        .unwrap();
    rows.map(|r| r.unwrap()).map(|r| (r.id.clone(), r)).collect()
}

fn read_outbox(conn: &Connection) -> Vec<Mutation> {
    let mut s = conn.prepare("SELECT counter, body FROM outbox ORDER BY counter").unwrap();
    let rows = s.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).unwrap();
    rows.map(|r| {
        let (counter, body) = r.unwrap();
        Mutation { counter: counter as u64, ..serde_json::from_str(&body).unwrap() }
    })
    .collect()
}

/// Kills at `Store::write`'s crash points, on every hit of a run, with a few seeds.
#[test]
fn killed_at_each_crash_point_of_a_write_loses_no_saved_draft() {
    if std::env::var(DB_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let mut model = Model::default();
    let mut runs = 0;
    for seed in 1..=3u64 {
        for point in ["store:before_commit", "store:after_commit"] {
            for hit in 1..=OPS {
                runs += 1;
                let run = model.run(&path, seed * 1000 + runs, Some((point, hit)));
                assert!(run.killed, "{point} hit {hit} was never reached");
            }
        }
    }
    println!("{} kills, {} drafts, {} committed edits", model.kills, model.drafts.len(), model.committed);
}

/// Kills inside SQLite's own file operations: before a write, in the middle of one, before an
/// fsync, aimed at random operations of a run (checkpoints on close included).
#[test]
fn killed_at_sqlite_file_operations_keeps_the_file_whole() {
    if std::env::var(DB_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let mut model = Model::default();
    let mut rng = Rng(2024);
    let (mut writes, mut syncs) = model.run(&path, 1, None).io.expect("an unarmed child finishes");
    assert!(writes > 20, "the shim saw only {writes} writes");
    let plan = [("io:write", 90), ("io:torn_write", 90), ("io:sync", 20)];
    for (point, runs) in plan {
        for i in 0..runs {
            let seed = rng.next_u64() >> 1;
            let hit = 1 + match point {
                "io:sync" => i % syncs.max(1),
                _ => rng.below(writes),
            };
            let run = model.run(&path, seed, Some((point, hit)));
            if let Some((w, s)) = run.io {
                // Not reached this time: the runs grow with the file; aim by the last count.
                (writes, syncs) = (w, s);
            }
        }
    }
    println!("{} kills of 200 runs, {} drafts, {} committed edits", model.kills, model.drafts.len(), model.committed);
    assert!(model.kills >= 150, "only {} of 200 runs were killed", model.kills);
}
