//! The store's schema on PostgreSQL (issue 13, ADR 0029): the numbered migrations of
//! `migrations/postgres/`, each the twin of the SQLite file of the same number and name (the
//! same tables, columns, keys, constraints, indexes and triggers; `tests/pg_schema.rs` compares
//! the two catalogs), and their runner. PostgreSQL has no `PRAGMA user_version`: the version is
//! the one row of a `schema_version` table (no such table: version 0, no Fundi schema yet).
//!
//! Several stateless server processes may start at once on one database, each migrating on
//! start. `migrate` therefore takes a transaction-scoped advisory lock ([`MIGRATION_LOCK`])
//! before it reads the version: the others wait for it, then read the version the first one
//! committed and find nothing pending, instead of racing to create the same tables (one would
//! fail on "already exists", or both on the catalog's unique indexes).

use super::ApiError;
use postgres::{Client, IsolationLevel};

/// The PostgreSQL series, in order (never edit one that has shipped; the SQLite series of the
/// same numbers is `store::MIGRATIONS`).
pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/postgres/001_init.sql"),
    include_str!("migrations/postgres/002_code_ids.sql"),
    include_str!("migrations/postgres/003_scope_and_retention.sql"),
    include_str!("migrations/postgres/004_uploads.sql"),
    include_str!("migrations/postgres/005_thumbnails.sql"),
    include_str!("migrations/postgres/006_last_seen.sql"),
    include_str!("migrations/postgres/007_payouts.sql"),
    include_str!("migrations/postgres/008_commission_rates.sql"),
    include_str!("migrations/postgres/009_console.sql"),
    include_str!("migrations/postgres/010_stock_recorders.sql"),
    include_str!("migrations/postgres/011_products.sql"),
    include_str!("migrations/postgres/012_shops.sql"),
    include_str!("migrations/postgres/013_exchange_rates.sql"),
    include_str!("migrations/postgres/014_depots.sql"),
];

/// The key of the advisory lock `migrate` holds while it runs: the ASCII of "fundi" then
/// 0x000001 (lock 1 of Fundi's; the payout engine's, ADR 0029, will be another number).
/// Advisory locks are per database, so depots on different databases never wait for each other.
pub const MIGRATION_LOCK: i64 = 0x6675_6E64_6900_0001;

/// The table holding the schema version, one row (`id` = 1).
const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL CHECK (version >= 0)
)";

/// The schema version this build writes.
pub const fn end_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// The database's schema version, unchecked (0 without a `schema_version` table).
fn found_version(client: &mut impl postgres::GenericClient) -> Result<u32, ApiError> {
    let exists: bool = client.query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?.get(0);
    if !exists {
        return Ok(0);
    }
    let version: Option<i64> = client.query_opt("SELECT version FROM schema_version WHERE id = 1", &[])?.map(|r| r.get(0));
    // A version past u32 is no version this code wrote: refused as newer, never migrated over.
    Ok(version.map_or(0, |v| u32::try_from(v).unwrap_or(u32::MAX)))
}

/// `found`, or `newer_schema` (the SQLite store's very error) if it is past this build's.
fn checked(found: u32) -> Result<u32, ApiError> {
    let supported = end_version();
    if found > supported {
        return Err(fundi_sqlite::Error::NewerSchema { found, supported }.into());
    }
    Ok(found)
}

/// (the database's schema version, this depot's), changing nothing; a database written by a
/// newer depot is `newer_schema`.
pub fn versions(client: &mut Client) -> Result<(u32, u32), ApiError> {
    Ok((checked(found_version(client)?)?, end_version()))
}

/// Bring the database to this depot's schema, all pending migrations in one transaction under
/// [`MIGRATION_LOCK`]: (the version found under the lock, the version now). A database written
/// by a newer depot is refused with `newer_schema` and left untouched; one another process
/// migrated meanwhile is found at the end already (from = to).
pub fn migrate(client: &mut Client) -> Result<(u32, u32), ApiError> {
    // READ COMMITTED whatever the database's default: every statement then reads what was
    // committed when it started, so the version read after the lock is the one the process that
    // held it committed. (Under REPEATABLE READ the snapshot would be taken by the lock
    // statement itself, before the wait, and the migrations applied a second time.)
    let mut tx = client.build_transaction().isolation_level(IsolationLevel::ReadCommitted).start()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let found = checked(found_version(&mut tx)?)?;
    let end = end_version();
    if found == end {
        return Ok((found, end));
    }
    tx.batch_execute(CREATE_VERSION_TABLE)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql).map_err(|e| {
            let e = ApiError::from(e);
            ApiError::internal(format!("PostgreSQL migration {:03}: {}", i + 1, e.detail))
        })?;
    }
    tx.execute(
        "INSERT INTO schema_version (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        &[&i64::from(end)],
    )?;
    // On any error above, dropping `tx` rolls back every pending migration and frees the lock.
    tx.commit()?;
    Ok((found, end))
}
