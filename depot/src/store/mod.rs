//! The depot's embedded store: one SQLite file in the data directory (WAL), its numbered
//! migrations, the server's hybrid logical clock, and the operations the HTTP layer and the
//! command line share: `accounts` (enrollment, credentials), `push` (applying mutations),
//! `pull` (the scoped change feed), `orders` (import, commands, what waits at the depot).
//!
//! Everything here is synchronous; the HTTP layer runs it on blocking threads. One connection
//! behind a mutex: SQLite writes one transaction at a time anyway, and this keeps SQLITE_BUSY
//! out of the picture for the server process (the command line opens its own connection and
//! waits on the busy timeout).

pub mod accounts;
pub mod error;
pub mod orders;
pub mod pull;
pub mod push;

pub use error::ApiError;

use fundi_sync::depot::StoredRecord;
use fundi_sync::hlc::{wall_clock_ms, Hlc, Timestamp};
use rusqlite::{params, Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::Path;
use std::sync::Mutex;

const MIGRATIONS: &[&str] = &[include_str!("migrations/001_init.sql")];

pub const DB_FILE: &str = "depot.db";

pub struct Db {
    conn: Mutex<Connection>,
    clock: Mutex<Hlc>,
    /// Lifetime of a device credential (rotation renews it).
    pub token_ttl_ms: u64,
}

pub use fundi_sync::limits::TOKEN_TTL_MS as DEFAULT_TOKEN_TTL_MS;

impl Db {
    /// Open (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Db, ApiError> {
        std::fs::create_dir_all(dir).map_err(|e| ApiError::internal(format!("data dir: {e}")))?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(dir.join(DB_FILE), flags)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
        migrate(&conn)?;
        let node: i64 = conn.query_row("SELECT node FROM meta", [], |r| r.get(0))?;
        let mut clock = Hlc::new(node as u64);
        // The server's stamps only tell phones the time and stamp imported orders; the change
        // feed is ordered by `seq`, so starting from the wall clock after a restart is enough.
        clock.wall_ms = wall_clock_ms();
        Ok(Db { conn: Mutex::new(conn), clock: Mutex::new(clock), token_ttl_ms: DEFAULT_TOKEN_TTL_MS })
    }

    /// Run `f` in an immediate transaction, committed only if it succeeds.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let v = f(&tx)?;
        tx.commit()?;
        Ok(v)
    }

    /// Run `f` in a read transaction (one consistent snapshot).
    pub fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        f(&tx)
    }

    /// A fresh server stamp (its wall part is the server's time, sent to phones).
    pub fn now(&self) -> Timestamp {
        let mut c = self.clock.lock().unwrap_or_else(|p| p.into_inner());
        c.tick(wall_clock_ms()).unwrap_or_else(|_| c.current())
    }

    /// Take in a phone's stamp already checked against the future bound.
    pub fn observe(&self, ts: Timestamp) {
        let mut c = self.clock.lock().unwrap_or_else(|p| p.into_inner());
        let _ = c.observe(ts, wall_clock_ms(), u64::MAX);
    }
}

fn migrate(conn: &Connection) -> Result<(), ApiError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let end = MIGRATIONS.len() as i64;
    if found > end {
        return Err(ApiError::internal(format!("store schema {found} is newer than this server ({end})")));
    }
    if found == end {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let r = (|| {
        for sql in &MIGRATIONS[found as usize..] {
            conn.execute_batch(sql)?;
        }
        if found == 0 {
            let node = fundi_sync::hlc::random_node() as i64;
            conn.execute("INSERT INTO meta (id, node, next_seq) VALUES (1, ?1, 1)", [node])?;
        }
        conn.pragma_update(None, "user_version", end)
    })();
    match r {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e.into())
        }
    }
}

/// The next change-feed number (call inside the write transaction that changes the record).
pub fn next_seq(tx: &Connection) -> Result<i64, ApiError> {
    let seq: i64 = tx.query_row("UPDATE meta SET next_seq = next_seq + 1 RETURNING next_seq - 1", [], |r| r.get(0))?;
    Ok(seq)
}

/// Insert or replace a record, moving it to the head of the change feed.
pub fn put_record(
    tx: &Connection,
    kind: &str,
    id: &str,
    owner: Option<&str>,
    last_device: Option<&str>,
    body: &serde_json::Value,
    state: Option<&serde_json::Value>,
) -> Result<i64, ApiError> {
    let seq = next_seq(tx)?;
    tx.execute(
        "INSERT INTO records (kind, id, owner, seq, last_device, body, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (kind, id) DO UPDATE SET owner = excluded.owner, seq = excluded.seq,
           last_device = excluded.last_device, body = excluded.body, state = excluded.state",
        params![kind, id, owner, seq, last_device, body.to_string(), state.map(|s| s.to_string())],
    )?;
    Ok(seq)
}

/// A stored record, as the protocol's rules read it.
pub fn get_record(tx: &Connection, kind: &str, id: &str) -> Result<Option<StoredRecord>, ApiError> {
    use rusqlite::OptionalExtension;
    let row: Option<(Option<String>, String, Option<String>, i64, Option<String>)> = tx
        .query_row(
            "SELECT owner, body, state, seq, last_device FROM records WHERE kind = ?1 AND id = ?2",
            params![kind, id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let parse = |s: &str| serde_json::from_str(s).map_err(|e| ApiError::internal(format!("stored record: {e}")));
    row.map(|(owner, body, state, seq, last_device)| {
        Ok(StoredRecord {
            owner,
            body: parse(&body)?,
            state: state.as_deref().map(parse).transpose()?,
            seq: seq as u64,
            last_device,
        })
    })
    .transpose()
}

pub fn sha256_hex(s: &str) -> String {
    fundi_sync::hash::sha256_hex(s.as_bytes())
}

/// A secret with 244 random bits (two v4 UUIDs, from the OS's random source).
pub fn random_secret() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

pub fn now_ms() -> u64 {
    wall_clock_ms()
}
