//! The depot's embedded store: one SQLite file in the data directory (opened and migrated by
//! `fundi-sqlite`, as the phone's is), its numbered migrations, the server's hybrid logical
//! clock, and the operations the HTTP layer and the command line share: `accounts`
//! (enrollment, credentials), `push` (applying mutations), `pull` (the scoped change feed),
//! `orders` (import, commands, what waits at the depot), `scope` (the feed entries written when
//! a record leaves or enters an account's scope), `retention` (pruning old tombstones),
//! `uploads` (tus uploads of blobs and who may read them) over `blobs` (the content-addressed
//! files), `payouts` (payout batches and each payout's persisted state, ADR 0019), `shops` (shops
//! and their secrets) and `shop_orders` (a shop's signed order made into orders, ADR 0026);
//! `data_dir` (the data directory as a whole: schema versions, the serving lock), `backup` (a
//! consistent copy of a serving store) and `restore` (putting one back, ADR 0028); `depots`
//! (several depots in one deployment, and what of them each caller sees, ADR 0030).
//!
//! Everything here is synchronous; the HTTP layer runs it on blocking threads. One connection
//! behind a mutex: SQLite writes one transaction at a time anyway, and this keeps SQLITE_BUSY
//! out of the picture for the server process (the command line opens its own connection and
//! waits on the busy timeout).

pub mod accounts;
pub mod backup;
pub mod blobs;
pub mod catalog;
pub mod console;
pub mod data_dir;
pub mod dated;
pub mod depots;
pub mod error;
pub(crate) mod facts;
pub mod margins;
pub mod mentees;
pub mod money;
pub mod orders;
pub mod payouts;
pub mod pg_schema;
pub mod products;
pub mod pull;
pub mod push;
pub mod restore;
pub mod retention;
pub mod scope;
pub mod shop_orders;
pub mod shops;
pub mod sql;
pub mod stock;
pub mod today;
pub mod transfer;
pub mod uploads;

pub use error::ApiError;

use fundi_sqlite::Migrations;
use fundi_sync::depot::StoredRecord;
use fundi_sync::hlc::{wall_clock_ms, Hlc, Timestamp};
use rusqlite::{Connection, TransactionBehavior};
use sql::{params, Tx};
use std::path::Path;
use std::sync::Mutex;

/// The store's numbered migrations (run by `fundi-sqlite`; never edit one that has shipped).
pub(crate) const MIGRATIONS: Migrations<'static> = Migrations::new(&[
    include_str!("migrations/sqlite/001_init.sql"),
    include_str!("migrations/sqlite/002_code_ids.sql"),
    include_str!("migrations/sqlite/003_scope_and_retention.sql"),
    include_str!("migrations/sqlite/004_uploads.sql"),
    include_str!("migrations/sqlite/005_thumbnails.sql"),
    include_str!("migrations/sqlite/006_last_seen.sql"),
    include_str!("migrations/sqlite/007_payouts.sql"),
    include_str!("migrations/sqlite/008_commission_rates.sql"),
    include_str!("migrations/sqlite/009_console.sql"),
    include_str!("migrations/sqlite/010_stock_recorders.sql"),
    include_str!("migrations/sqlite/011_products.sql"),
    include_str!("migrations/sqlite/012_shops.sql"),
    include_str!("migrations/sqlite/013_exchange_rates.sql"),
    include_str!("migrations/sqlite/014_depots.sql"),
]);

/// The server holds its connection for its whole life; the command line, opened next to it,
/// waits this long for the server's write transactions.
pub(crate) const OPTIONS: fundi_sqlite::Options = fundi_sqlite::Options { busy_timeout: std::time::Duration::from_secs(10) };

/// Statements kept prepared on the server's connection: the store has about 200.
const PREPARED_STATEMENTS: usize = 256;

pub const DB_FILE: &str = "depot.db";

/// The file in a data directory naming the PostgreSQL database that is its store (one line, a
/// `postgres://` URL, readable by its owner only: it may hold a password). Absent, the store is
/// the SQLite file [`DB_FILE`]. Every command given the data directory opens the same store.
pub const DATABASE_FILE: &str = "database.url";

/// The PostgreSQL URL `dir` names, if any.
pub(crate) fn database_of(dir: &Path) -> Result<Option<String>, ApiError> {
    match std::fs::read_to_string(dir.join(DATABASE_FILE)) {
        Ok(s) => Ok(Some(s.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ApiError::internal(format!("{DATABASE_FILE}: {e}"))),
    }
}

pub(crate) fn write_database_file(dir: &Path, url: &str) -> Result<(), ApiError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(dir).map_err(|e| ApiError::internal(format!("data dir: {e}")))?;
    let (tmp, path) = (dir.join(format!("{DATABASE_FILE}.tmp")), dir.join(DATABASE_FILE));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let write = || -> std::io::Result<()> {
        let mut f = options.open(&tmp)?;
        writeln!(f, "{url}")?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| ApiError::internal(format!("{DATABASE_FILE}: {e}")))
}

pub struct Db {
    backend: Backend,
    /// The data directory: blobs, unfinished uploads, keys (and the SQLite store's file).
    dir: std::path::PathBuf,
    clock: Mutex<Hlc>,
    /// Lifetime of a device credential (rotation renews it).
    pub token_ttl_ms: u64,
    /// The blob files beside the database.
    pub blobs: blobs::BlobDir,
    pub uploads: uploads::UploadPolicy,
    /// When a payout batch needs a second approval.
    pub payouts: payouts::PayoutPolicy,
    /// How many deliveries the shop order webhook takes (the router's limiters read it).
    pub shop_rates: shops::ShopRates,
}

/// Where the store lives (ADR 0029): the embedded SQLite file, or a PostgreSQL database that
/// several server processes share.
enum Backend {
    /// One connection behind a mutex: SQLite writes one transaction at a time anyway.
    Sqlite(Mutex<Connection>),
    /// A pool per process. Writes run one at a time across every process sharing the database
    /// (the write lock below), as on SQLite; reads run in parallel, each on one snapshot.
    Postgres { pool: sql::PgPool, writer: Mutex<()>, unlocked: bool, url: String },
}

/// Set in a server's environment, its writes on PostgreSQL skip the write lock: the
/// deliberately naive store that `tests/pg_processes.rs` shows applying a batch twice, so that
/// the test is known to tell the two apart. Never set in a deployment.
pub const UNLOCKED_WRITES_ENV: &str = "FUNDI_TEST_UNLOCKED_WRITES";

/// The key of the PostgreSQL advisory lock every write transaction takes first, so that the
/// store's writes run one at a time across processes, as its single SQLite writer does
/// (ADR 0029): "fundi" in ASCII.
pub const PG_WRITE_LOCK: i64 = 0x66_75_6e_64_69;

/// The key of the session advisory lock held by the one process that runs the payout engine
/// (ADR 0029): two engines would query and send side by side, and a starting one reconciles
/// what it finds in flight as left by a crash.
pub const PG_PAYOUT_LOCK: i64 = 0x66_75_6e_64_69_02;

/// The right to run a job that runs in one process at a time, held while this value lives: on
/// SQLite always (one server per data directory, by its lock); on PostgreSQL a session
/// advisory lock on a connection of its own.
pub struct Leadership(Option<Box<sql::PgConn>>);

impl Drop for Leadership {
    fn drop(&mut self) {
        // Closing blocks on the `postgres` crate's runtime: not on a thread that drives tasks.
        if let Some(conn) = self.0.take() {
            let _ = std::thread::spawn(move || drop(conn)).join();
        }
    }
}

/// PostgreSQL connections a server process opens at most.
pub const PG_POOL_SIZE: usize = 8;

pub use fundi_sync::limits::TOKEN_TTL_MS as DEFAULT_TOKEN_TTL_MS;

impl Db {
    /// Open (creating if needed) the store of the data directory `dir`: the PostgreSQL
    /// database its [`DATABASE_FILE`] names, else its SQLite file. A store written by a newer
    /// server is refused (`newer_schema`) and left as it is.
    pub fn open(dir: &Path) -> Result<Db, ApiError> {
        match database_of(dir)? {
            Some(url) => Db::open_postgres(dir, &url, PG_POOL_SIZE),
            None => Db::open_sqlite(dir),
        }
    }

    /// As [`Db::open`], first naming the PostgreSQL database `url` as the data directory's
    /// store (`serve --database`). A data directory already tied to another database, or
    /// holding a SQLite store, is refused: its blobs and keys belong to that store (moving
    /// one is `export` and `import`).
    pub fn open_with_database(dir: &Path, url: &str) -> Result<Db, ApiError> {
        match database_of(dir)? {
            Some(named) if named == url => {}
            Some(_) => {
                return Err(ApiError::conflict(format!(
                    "the data directory {} belongs to another PostgreSQL database (its {DATABASE_FILE}); \
                     give it that database, or a new data directory",
                    dir.display()
                )))
            }
            None if dir.join(DB_FILE).exists() => {
                return Err(ApiError::conflict(format!(
                    "the data directory {} holds a SQLite store; move it with `fundi-depot export` and `import`, \
                     or give the database a new data directory",
                    dir.display()
                )))
            }
            None => write_database_file(dir, url)?,
        }
        Db::open(dir)
    }

    fn open_sqlite(dir: &Path) -> Result<Db, ApiError> {
        std::fs::create_dir_all(dir).map_err(|e| ApiError::internal(format!("data dir: {e}")))?;
        let conn = fundi_sqlite::open(&dir.join(DB_FILE), &OPTIONS)?;
        MIGRATIONS.migrate(&conn)?;
        conn.set_prepared_statement_cache_capacity(PREPARED_STATEMENTS);
        let node = ensure_meta(&Tx::sqlite(&conn))?;
        Ok(Db::with(Backend::Sqlite(Mutex::new(conn)), dir, node))
    }

    /// Open the store in the PostgreSQL database at `url` (migrating it, as [`Db::open`] does
    /// a file), with `dir` for the files beside it. Each process gets a clock node of its own:
    /// two processes stamping with one node could give two changes the same stamp.
    pub fn open_postgres(dir: &Path, url: &str, pool_size: usize) -> Result<Db, ApiError> {
        std::fs::create_dir_all(dir).map_err(|e| ApiError::internal(format!("data dir: {e}")))?;
        let pool = sql::PgPool::new(url, pool_size)?;
        {
            let mut conn = pool.get()?;
            pg_schema::migrate(conn.client())?;
            let tx = Tx::postgres(&mut conn, sql::Isolation::ReadCommitted)?;
            ensure_meta(&tx)?;
            tx.commit()?;
        }
        let node = fundi_sync::hlc::random_node();
        let unlocked = std::env::var_os(UNLOCKED_WRITES_ENV).is_some();
        if unlocked {
            eprintln!("{UNLOCKED_WRITES_ENV} is set: writes skip the lock that keeps them one at a time (tests only)");
        }
        Ok(Db::with(Backend::Postgres { pool, writer: Mutex::new(()), unlocked, url: url.to_string() }, dir, node))
    }

    fn with(backend: Backend, dir: &Path, node: u64) -> Db {
        let mut clock = Hlc::new(node);
        // The server's stamps only tell phones the time and stamp imported orders; the change
        // feed is ordered by `seq`, so starting from the wall clock after a restart is enough.
        clock.wall_ms = wall_clock_ms();
        Db {
            backend,
            dir: dir.to_path_buf(),
            clock: Mutex::new(clock),
            token_ttl_ms: DEFAULT_TOKEN_TTL_MS,
            blobs: blobs::BlobDir::new(dir),
            uploads: Default::default(),
            payouts: Default::default(),
            shop_rates: Default::default(),
        }
    }

    /// Run `f` in a write transaction, committed only if it succeeds. Writes run one at a
    /// time: SQLite's immediate transaction behind the connection's mutex; on PostgreSQL the
    /// process's writer mutex, then the shared advisory lock, at `READ COMMITTED` so that every
    /// statement after the lock sees every write committed before it.
    pub fn write<T>(&self, f: impl FnOnce(&Tx) -> Result<T, ApiError>) -> Result<T, ApiError> {
        match &self.backend {
            Backend::Sqlite(conn) => {
                let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let v = f(&Tx::sqlite(&tx))?;
                tx.commit()?;
                Ok(v)
            }
            Backend::Postgres { pool, writer, unlocked, .. } => {
                let _one_writer_here = (!unlocked).then(|| writer.lock().unwrap_or_else(|p| p.into_inner()));
                let mut conn = pool.get()?;
                let tx = Tx::postgres(&mut conn, sql::Isolation::ReadCommitted)?;
                if !unlocked {
                    tx.query_row("SELECT pg_advisory_xact_lock(?1)", [PG_WRITE_LOCK], |_| Ok(()))?;
                }
                let v = f(&tx)?;
                tx.commit()?;
                Ok(v)
            }
        }
    }

    /// Run `f` in a read transaction (one consistent snapshot).
    pub fn read<T>(&self, f: impl FnOnce(&Tx) -> Result<T, ApiError>) -> Result<T, ApiError> {
        match &self.backend {
            Backend::Sqlite(conn) => {
                let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
                let v = f(&Tx::sqlite(&tx));
                v
            }
            Backend::Postgres { pool, .. } => {
                let mut conn = pool.get()?;
                let tx = Tx::postgres(&mut conn, sql::Isolation::RepeatableReadOnly)?;
                f(&tx)
            }
        }
    }

    /// Take the lead for the job of lock `key` if no other process holds it (see [`Leadership`]).
    pub fn try_lead(&self, key: i64) -> Result<Option<Leadership>, ApiError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Some(Leadership(None))),
            Backend::Postgres { url, .. } => {
                let mut conn = sql::PgConn::connect(url)?;
                let held: bool = conn.client().query_one("SELECT pg_try_advisory_lock($1)", &[&key])?.get(0);
                Ok(held.then(|| Leadership(Some(Box::new(conn)))))
            }
        }
    }

    /// Bytes the data directory takes on disk: the store with its journal (or its PostgreSQL
    /// database), the blobs, the unfinished uploads, the keys (what the console's Today shows
    /// operations). Walks the directory; a file that vanishes meanwhile counts as nothing.
    pub fn data_size(&self) -> u64 {
        fn walk(dir: &Path, depth: u32) -> u64 {
            let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() && depth < 8 => walk(&e.path(), depth + 1),
                    Ok(m) if m.is_file() => m.len(),
                    _ => 0,
                })
                .sum()
        }
        // On PostgreSQL the store is not in the directory: its database's size is added.
        let database = match self.backend {
            Backend::Sqlite(_) => 0,
            Backend::Postgres { .. } => self
                .read(|tx| Ok(tx.query_row("SELECT pg_database_size(current_database())", [], |r| r.get::<_, i64>(0))?))
                .map_or(0, |b| b.max(0) as u64),
        };
        walk(&self.dir, 0) + database
    }

    /// The data directory (the reports open their own connection to its store).
    pub fn dir(&self) -> &Path {
        &self.dir
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

/// The store's one `meta` row: the server's HLC node, chosen once, and the change feed's
/// counter. Created after migrating rather than inside migration 001, so the migrations stay
/// plain SQL; a kill between the two is repaired on the next open, and `ON CONFLICT DO NOTHING` lets the
/// server and the command line race on a new store without either failing.
fn ensure_meta(conn: &Tx) -> Result<u64, ApiError> {
    use crate::store::sql::OptionalExtension;
    let read = |conn: &Tx| conn.query_row("SELECT node FROM meta WHERE id = 1", [], |r| r.get::<_, i64>(0)).optional();
    if let Some(node) = read(conn)? {
        return Ok(node as u64);
    }
    let node = fundi_sync::hlc::random_node() as i64;
    conn.execute("INSERT INTO meta (id, node, next_seq) VALUES (1, ?1, 1) ON CONFLICT DO NOTHING", [node])?;
    let node = read(conn)?.ok_or_else(|| ApiError::internal("store has no meta row"))?;
    Ok(node as u64)
}

/// The next change-feed number (call inside the write transaction that changes the record).
pub fn next_seq(tx: &Tx) -> Result<i64, ApiError> {
    let seq: i64 = tx.query_row("UPDATE meta SET next_seq = next_seq + 1 RETURNING next_seq - 1", [], |r| r.get(0))?;
    Ok(seq)
}

/// Insert or replace a record, moving it to the head of the change feed (and keep the blobs it
/// refers to in `blob_refs`). When its owner changes, the accounts that lose it get a scope exit
/// first (`scope::owner_changed`).
pub fn put_record(
    tx: &Tx,
    kind: &str,
    id: &str,
    owner: Option<&str>,
    last_device: Option<&str>,
    body: &serde_json::Value,
    state: Option<&serde_json::Value>,
) -> Result<i64, ApiError> {
    use crate::store::sql::OptionalExtension;
    let old_owner: Option<Option<String>> =
        tx.query_row("SELECT owner FROM records WHERE kind = ?1 AND id = ?2", params![kind, id], |r| r.get(0)).optional()?;
    if let Some(old) = old_owner.filter(|old| old.as_deref() != owner) {
        scope::owner_changed(tx, kind, id, old.as_deref(), owner)?;
    }
    let seq = next_seq(tx)?;
    tx.execute(
        "INSERT INTO records (kind, id, owner, seq, last_device, body, state, changed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (kind, id) DO UPDATE SET owner = excluded.owner, seq = excluded.seq,
           last_device = excluded.last_device, body = excluded.body, state = excluded.state,
           changed_ms = excluded.changed_ms",
        params![kind, id, owner, seq, last_device, body.to_string(), state.map(|s| s.to_string()), now_ms() as i64],
    )?;
    uploads::set_refs(tx, kind, id, body)?;
    Ok(seq)
}

/// A stored record, as the protocol's rules read it.
pub fn get_record(tx: &Tx, kind: &str, id: &str) -> Result<Option<StoredRecord>, ApiError> {
    use crate::store::sql::OptionalExtension;
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

/// A stamp of the depot's for an event that happened at `wall_ms` inside a transaction that
/// has no [`Db`] at hand (the payout engine's): the depot's node, counter 0. Stamps only date
/// records for phones; the feed's order is `seq`.
pub fn depot_stamp(tx: &Tx, wall_ms: i64) -> Result<Timestamp, ApiError> {
    let node: i64 = tx.query_row("SELECT node FROM meta WHERE id = 1", [], |r| r.get(0))?;
    Ok(Timestamp { wall_ms: wall_ms.max(0) as u64, counter: 0, node: node as u64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrading_from_every_version_equals_fresh() {
        let fresh = fundi_sqlite::testing::assert_upgrades_equal_fresh(&MIGRATIONS);
        assert!(fresh.iter().any(|l| l == "table records on records"), "{fresh:#?}");
    }

    #[test]
    fn a_new_store_gets_its_meta_row_once() {
        let dir = tempfile::tempdir().unwrap();
        let node = Db::open(dir.path()).unwrap().clock.lock().unwrap().node;
        let db = Db::open(dir.path()).unwrap();
        assert_eq!(db.clock.lock().unwrap().node, node, "the server keeps its HLC node across restarts");
        let seq = db.write(next_seq).unwrap();
        assert_eq!(seq, 1);
    }

    /// A store written by a newer server: refused with the typed code, and not changed.
    #[test]
    fn a_store_written_by_a_newer_server_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        drop(Db::open(dir.path()).unwrap());
        let newer = MIGRATIONS.end_version() + 1;
        Connection::open(dir.path().join(DB_FILE)).unwrap().pragma_update(None, "user_version", newer).unwrap();
        let bytes = std::fs::read(dir.path().join(DB_FILE)).unwrap();
        let err = Db::open(dir.path()).err().expect("a newer store must be refused");
        assert_eq!((err.status, err.code), (500, "newer_schema"), "{err}");
        assert!(err.detail.contains(&format!("version {newer}")), "{err}");
        assert_eq!(std::fs::read(dir.path().join(DB_FILE)).unwrap(), bytes);
    }
}
