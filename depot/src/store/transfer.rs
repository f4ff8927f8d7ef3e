//! Moving a store whole between SQLite and PostgreSQL (issue 13 item 5, ADR 0029): `export`
//! writes any store as a SQLite file at this depot's schema version (the same file a SQLite
//! depot's backup holds, and the snapshot a PostgreSQL depot's backup takes), `import` loads
//! one into an empty store of either kind.
//!
//! Every table is copied row by row through the seam, read in one snapshot of the source and
//! written in one transaction of the destination, columns by name, values as stored: the
//! change feed's numbers, its counter, every device's last counter and every stored answer
//! come across unchanged, so a phone's cursor means on the new store what it meant on the old
//! one (nothing skipped, nothing sent twice, no full re-sync). That is checked, not assumed:
//! after a copy both stores are read again and each table's rows compared ([`Digest`]).

use super::sql::{Result as SqlResult, Row, ToValue, Tx, ValueRef};
use super::{ApiError, Db, MIGRATIONS};
use sha2::{Digest as _, Sha256};
use std::path::Path;

/// A table of the store, with its columns in order, and how many rows the migrations
/// themselves put in it (the default depot).
#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub seeded: i64,
}

/// The store's tables, each after the tables its foreign keys name (a column added later may
/// name a table made later: `accounts.depot_id`), read from a fresh in-memory store of this
/// depot's schema.
pub fn tables() -> Result<Vec<Table>, ApiError> {
    let conn = rusqlite::Connection::open_in_memory()?;
    MIGRATIONS.migrate(&conn)?;
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut pending: Vec<(Table, Vec<String>)> = names
        .into_iter()
        .map(|name| {
            let columns = conn
                .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
                .query_map([&name], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let parents: Vec<String> = conn
                .prepare("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)")?
                .query_map([&name], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?
                .into_iter()
                .filter(|p| *p != name)
                .collect();
            let seeded = conn.query_row(&format!("SELECT COUNT(*) FROM {name}"), [], |r| r.get(0))?;
            Ok((Table { name, columns, seeded }, parents))
        })
        .collect::<Result<_, ApiError>>()?;
    let mut ordered: Vec<Table> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|(_, parents)| parents.iter().all(|p| ordered.iter().any(|t| &t.name == p)))
            .ok_or_else(|| ApiError::internal("the store's foreign keys go round in a circle"))?;
        ordered.push(pending.remove(ready).0);
    }
    Ok(ordered)
}

impl ToValue for ValueRef<'_> {
    fn to_value(&self) -> SqlResult<ValueRef<'_>> {
        Ok(*self)
    }
}

/// How many rows each table holds, and a digest of its rows that does not depend on the order
/// either database returns them in (each row's hash, sorted, hashed): two stores with equal
/// digests hold the same rows, value for value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub tables: Vec<(String, u64, String)>,
}

impl Digest {
    pub fn of(tx: &Tx, tables: &[Table]) -> Result<Digest, ApiError> {
        let mut out = Vec::with_capacity(tables.len());
        for t in tables {
            let mut rows: Vec<[u8; 32]> = Vec::new();
            tx.for_each(&select_all(t), [], |row| -> SqlResult<()> {
                rows.push(row_hash(row, t.columns.len())?);
                Ok(())
            })?;
            rows.sort_unstable();
            let mut h = Sha256::new();
            for r in &rows {
                h.update(r);
            }
            out.push((t.name.clone(), rows.len() as u64, hex(&h.finalize())));
        }
        Ok(Digest { tables: out })
    }

    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n, _)| n).sum()
    }

    /// The tables whose rows differ, for an error message.
    pub fn differences(&self, other: &Digest) -> Vec<String> {
        self.tables
            .iter()
            .zip(&other.tables)
            .filter(|(a, b)| a != b)
            .map(|((name, a, _), (_, b, _))| format!("{name} ({a} rows against {b})"))
            .collect()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn select_all(t: &Table) -> String {
    format!("SELECT {} FROM {}", t.columns.join(", "), t.name)
}

/// A row's values, each with its storage class, hashed.
fn row_hash(row: &Row<'_>, n: usize) -> SqlResult<[u8; 32]> {
    let mut h = Sha256::new();
    for i in 0..n {
        match row.get_ref(i)? {
            ValueRef::Null => h.update(b"n;"),
            ValueRef::Integer(v) => h.update(format!("i{v};")),
            ValueRef::Real(v) => h.update(format!("r{};", v.to_bits())),
            ValueRef::Text(s) => h.update(format!("t{}:{s};", s.len())),
            ValueRef::Blob(b) => {
                h.update(format!("b{}:", b.len()));
                h.update(b);
            }
        }
    }
    Ok(h.finalize().into())
}

/// Copy every row of `from` into `to`, whose tables must be empty but for the rows a new store
/// is made with (the migrations' default depot, the `meta` row made on opening), which the
/// source's replace. Both at this depot's schema. The
/// digest of what was copied, read back from `to`, equal to `from`'s (else nothing is kept:
/// the caller's transaction is not committed).
pub fn copy(from: &Tx, to: &Tx) -> Result<Digest, ApiError> {
    let tables = tables()?;
    for t in &tables {
        let made_with = if t.name == "meta" { 1 } else { t.seeded };
        let held: i64 = to.query_row(&format!("SELECT COUNT(*) FROM {}", t.name), [], |r| r.get(0))?;
        if held > made_with {
            return Err(ApiError::conflict(format!(
                "the destination store already holds {held} rows in {}: import only into a new, empty store",
                t.name
            )));
        }
        if held > 0 {
            // Tables are copied parents first, so no row already copied refers to these.
            to.execute(&format!("DELETE FROM {}", t.name), [])?;
        }
        let marks: Vec<String> = (1..=t.columns.len()).map(|i| format!("?{i}")).collect();
        let insert = format!("INSERT INTO {} ({}) VALUES ({})", t.name, t.columns.join(", "), marks.join(", "));
        from.for_each(&select_all(t), [], |row| -> SqlResult<()> {
            let values: Vec<ValueRef<'_>> = (0..t.columns.len()).map(|i| row.get_ref(i)).collect::<SqlResult<_>>()?;
            let params: Vec<&dyn ToValue> = values.iter().map(|v| v as &dyn ToValue).collect();
            to.execute(&insert, params)?;
            Ok(())
        })?;
    }
    continue_identities(to)?;
    let (source, copied) = (Digest::of(from, &tables)?, Digest::of(to, &tables)?);
    if source != copied {
        return Err(ApiError::internal(format!(
            "the copy differs from its source in {}",
            source.differences(&copied).join(", ")
        )));
    }
    Ok(copied)
}

/// PostgreSQL's identity columns (`GENERATED BY DEFAULT AS IDENTITY`) go on from their own
/// sequence, which rows copied in with their numbers did not move: set each past its column's
/// largest value. (SQLite's integer keys take the largest plus one by themselves.)
fn continue_identities(tx: &Tx) -> Result<(), ApiError> {
    if !tx.is_postgres() {
        return Ok(());
    }
    let identities: Vec<(String, String)> = tx.query_map(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    for (table, column) in identities {
        tx.query_row(
            &format!("SELECT setval(pg_get_serial_sequence(?1, ?2), COALESCE(MAX({column}), 0) + 1, false) FROM {table}"),
            (&table, &column),
            |_| Ok(()),
        )?;
    }
    Ok(())
}

/// Remove every row of a PostgreSQL store at once (`restore` into a database; its
/// never-changing tables refuse a `DELETE`, not a `TRUNCATE`), numbering restarted.
pub fn empty(tx: &Tx) -> Result<(), ApiError> {
    if !tx.is_postgres() {
        return Err(ApiError::internal("emptying a store in place is for PostgreSQL only"));
    }
    let names: Vec<String> = tables()?.into_iter().map(|t| t.name).collect();
    tx.execute_batch(&format!("TRUNCATE {} RESTART IDENTITY", names.join(", ")))?;
    Ok(())
}

/// Write `db`'s store into a new SQLite file at `path` (made and migrated here), from one read
/// snapshot, every table checked: what `export`, a PostgreSQL depot's backup and a restore into
/// one (for the rows it sets aside) each write.
pub fn export_to_file(db: &Db, path: &Path) -> Result<Digest, ApiError> {
    let file = fundi_sqlite::open(path, &super::OPTIONS)?;
    MIGRATIONS.migrate(&file)?;
    let digest = db.read(|from| {
        let tx = file.unchecked_transaction()?;
        let digest = copy(from, &Tx::sqlite(&tx))?;
        tx.commit()?;
        Ok(digest)
    })?;
    // One file, no journal beside it.
    file.pragma_update(None, "journal_mode", "delete")?;
    Ok(digest)
}
