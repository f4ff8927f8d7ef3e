//! The fault VFS: SQLite's writes (or fsyncs) to one database's files fail from the n-th on,
//! with the error a full disk gives (`SQLITE_FULL`) or a failing one (`SQLITE_IOERR_WRITE`,
//! `SQLITE_IOERR_FSYNC`), armed and disarmed while the test runs. The I/O fault tests
//! (`core/tests/io_faults.rs`, `depot/tests/io_faults.rs`) fail each write of an operation in
//! turn and check that the caller gets a typed error, that the file holds all of the change or
//! none of it, and that once the fault is gone ("space is back") the same handle works again.
//!
//! ```text
//! fault_vfs::install(); // once, before the connection is opened
//! let store = Store::open(&path)?;
//! let armed = fault_vfs::arm(&path, Plan::disk_full(3));
//! let result = store.create_draft(draft); // its 3rd write fails, and every one after
//! assert!(armed.fired());
//! drop(armed); // space is back
//! ```
//!
//! Only the armed database's own files count (the file itself and its `-wal`, `-journal`), so
//! parallel tests and the other connections of the process (a phone next to an in-process
//! depot) neither disturb the count nor see the fault. Built with the `testing` feature only.

use super::vfs_shim::{self, Interpose};
use rusqlite::ffi;
use std::ffi::c_int;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What the storage answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// No space left on the device (`SQLITE_FULL`, what SQLite reports for ENOSPC).
    DiskFull,
    /// The device failed the operation (`SQLITE_IOERR_WRITE`, or `SQLITE_IOERR_FSYNC` for a sync).
    IoError,
}

/// Which file operations are counted and failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Write,
    Sync,
}

/// The fault to inject: the `nth` operation of kind `op` since arming (1 = the first) fails with
/// `fault`; with `sticky`, every later one of that kind too, until disarmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub op: Op,
    pub nth: u64,
    pub fault: Fault,
    pub sticky: bool,
}

impl Plan {
    /// The disk fills up at the `nth` write: it and every later write fail until disarmed.
    pub fn disk_full(nth: u64) -> Plan {
        Plan { op: Op::Write, nth, fault: Fault::DiskFull, sticky: true }
    }

    /// The `nth` write fails with an I/O error; the ones after it succeed (a transient fault).
    pub fn io_error(nth: u64) -> Plan {
        Plan { op: Op::Write, nth, fault: Fault::IoError, sticky: false }
    }

    /// The `nth` fsync fails with an I/O error; the ones after it succeed.
    pub fn sync_error(nth: u64) -> Plan {
        Plan { op: Op::Sync, nth, fault: Fault::IoError, sticky: false }
    }

    fn code(&self) -> c_int {
        match (self.fault, self.op) {
            (Fault::DiskFull, _) => ffi::SQLITE_FULL,
            (Fault::IoError, Op::Write) => ffi::SQLITE_IOERR_WRITE,
            (Fault::IoError, Op::Sync) => ffi::SQLITE_IOERR_FSYNC,
        }
    }
}

/// One armed database: its path, its plan (none: only counting), what it saw.
struct Slot {
    path: String,
    plan: Option<Plan>,
    writes: AtomicU64,
    syncs: AtomicU64,
    failures: AtomicU64,
}

impl Slot {
    /// Whether `file` is this database or one of its companion files (`-wal`, `-journal`).
    fn covers(&self, file: &str) -> bool {
        file.strip_prefix(self.path.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
    }

    /// Count one operation; the error code to answer with, if it is to fail.
    fn hit(&self, op: Op) -> Option<c_int> {
        let counter = match op {
            Op::Write => &self.writes,
            Op::Sync => &self.syncs,
        };
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let plan = self.plan.filter(|p| p.op == op)?;
        if n == plan.nth || (plan.sticky && n > plan.nth) {
            self.failures.fetch_add(1, Ordering::SeqCst);
            Some(plan.code())
        } else {
            None
        }
    }
}

static SLOTS: Mutex<Vec<Arc<Slot>>> = Mutex::new(Vec::new());

fn slot_for(file: Option<&str>) -> Option<Arc<Slot>> {
    let file = file?;
    SLOTS.lock().unwrap_or_else(|p| p.into_inner()).iter().find(|s| s.covers(file)).cloned()
}

struct Faults;

impl Interpose for Faults {
    fn write(&self, path: Option<&str>, data: &[u8], offset: i64, write: &mut dyn FnMut(&[u8], i64) -> c_int) -> c_int {
        match slot_for(path).and_then(|s| s.hit(Op::Write)) {
            Some(code) => code,
            None => write(data, offset),
        }
    }

    fn sync(&self, path: Option<&str>, sync: &mut dyn FnMut() -> c_int) -> c_int {
        match slot_for(path).and_then(|s| s.hit(Op::Sync)) {
            Some(code) => code,
            None => sync(),
        }
    }
}

static FAULTS: Faults = Faults;

/// Make the fault VFS the process's default (once; before opening the databases to fault).
/// Unarmed, it passes every operation through.
pub fn install() {
    vfs_shim::register_default(&FAULTS);
}

/// The faults armed on one database, until this is dropped.
pub struct Armed {
    slot: Arc<Slot>,
}

impl Armed {
    /// Whether an operation was failed.
    pub fn fired(&self) -> bool {
        self.failures() > 0
    }

    /// How many operations were failed.
    pub fn failures(&self) -> u64 {
        self.slot.failures.load(Ordering::SeqCst)
    }

    /// Writes seen since arming, failed ones included.
    pub fn writes(&self) -> u64 {
        self.slot.writes.load(Ordering::SeqCst)
    }

    /// Fsyncs seen since arming, failed ones included.
    pub fn syncs(&self) -> u64 {
        self.slot.syncs.load(Ordering::SeqCst)
    }

    /// The fault is gone (the same as dropping it).
    pub fn disarm(self) {}
}

impl Drop for Armed {
    fn drop(&mut self) {
        SLOTS.lock().unwrap_or_else(|p| p.into_inner()).retain(|s| !Arc::ptr_eq(s, &self.slot));
    }
}

/// Arm `plan` on the database file at `db` (it need not exist yet; its folder must). Panics if
/// the fault VFS is not installed or this database is armed already.
pub fn arm(db: &Path, plan: Plan) -> Armed {
    assert!(plan.nth >= 1, "operations are counted from 1");
    arm_slot(db, Some(plan))
}

/// Count the operations on the database file at `db` without failing any (to size a range).
pub fn watch(db: &Path) -> Armed {
    arm_slot(db, None)
}

fn arm_slot(db: &Path, plan: Option<Plan>) -> Armed {
    install();
    let slot = Arc::new(Slot {
        path: full_path(db),
        plan,
        writes: AtomicU64::new(0),
        syncs: AtomicU64::new(0),
        failures: AtomicU64::new(0),
    });
    let mut slots = SLOTS.lock().unwrap_or_else(|p| p.into_inner());
    assert!(!slots.iter().any(|s| s.path == slot.path), "{} is armed already", slot.path);
    slots.push(slot.clone());
    Armed { slot }
}

/// The path as SQLite names the file (absolute, symbolic links resolved).
fn full_path(db: &Path) -> String {
    let dir = db.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir.join(db.file_name().expect("a database file")).to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{Connection, ErrorCode};

    fn open(path: &Path) -> Connection {
        install();
        let conn = crate::open(path, &crate::Options::default()).unwrap();
        conn.execute_batch("CREATE TABLE IF NOT EXISTS t (x TEXT NOT NULL)").unwrap();
        conn
    }

    fn insert_rows(conn: &Connection, n: usize) -> rusqlite::Result<()> {
        let tx = conn.unchecked_transaction()?;
        for i in 0..n {
            tx.execute("INSERT INTO t (x) VALUES (?1)", [format!("{i:0>2000}")])?;
        }
        tx.commit()
    }

    fn count(conn: &Connection) -> i64 {
        conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap()
    }

    fn integrity(conn: &Connection) -> String {
        conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
    }

    /// Each write of a transaction fails in turn, until none is left to fail: a typed error,
    /// nothing of the transaction kept, and the same connection writes again once the fault
    /// is disarmed.
    #[test]
    fn each_write_of_a_transaction_fails_in_turn_and_the_connection_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let conn = open(&path);
        for (plan, want) in
            [(Plan::disk_full as fn(u64) -> Plan, ErrorCode::DiskFull), (Plan::io_error, ErrorCode::SystemIoFailure)]
        {
            let mut failed = 0;
            for n in 1.. {
                let before = count(&conn);
                let armed = arm(&path, plan(n));
                let result = insert_rows(&conn, 5);
                if !armed.fired() {
                    result.unwrap();
                    break;
                }
                let err = result.expect_err("a failed write fails the transaction");
                assert_eq!(err.sqlite_error_code(), Some(want), "write {n}: {err}");
                drop(armed);
                assert_eq!(count(&conn), before, "nothing of a failed transaction is kept");
                assert_eq!(integrity(&conn), "ok");
                insert_rows(&conn, 5).unwrap();
                assert_eq!(count(&conn), before + 5);
                failed += 1;
            }
            assert!(failed >= 5, "a five-page transaction made only {failed} writes");
        }
        let rows = count(&conn);
        drop(conn);
        assert_eq!(count(&open(&path)), rows);
    }

    /// A failed fsync of a checkpoint is an I/O error; the data stays in the WAL meanwhile.
    #[test]
    fn a_failed_fsync_fails_the_checkpoint_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let conn = open(&path);
        insert_rows(&conn, 3).unwrap();
        let armed = arm(&path, Plan::sync_error(1));
        let err = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0)).expect_err("fsync fails");
        assert_eq!(err.sqlite_error_code(), Some(ErrorCode::SystemIoFailure), "{err}");
        assert_eq!(armed.failures(), 1);
        drop(armed);
        assert_eq!(count(&conn), 3);
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0)).unwrap();
        assert_eq!(busy, 0);
        assert_eq!(integrity(&conn), "ok");
    }

    /// Only the armed database's files are counted and failed.
    #[test]
    fn other_databases_are_not_affected() {
        let dir = tempfile::tempdir().unwrap();
        let (armed_path, other_path) = (dir.path().join("c.db"), dir.path().join("c.db2"));
        let (faulted, other) = (open(&armed_path), open(&other_path));
        let armed = arm(&armed_path, Plan::disk_full(1));
        insert_rows(&other, 3).unwrap();
        assert_eq!((armed.writes(), armed.failures()), (0, 0));
        assert!(insert_rows(&faulted, 1).is_err());
        assert!(armed.writes() > 0 && armed.fired());
    }
}
