//! The store's seam (`store::sql`, ADR 0029), its promises checked on both databases with the
//! same code: every value type goes in and comes back as it went, a parameter the database
//! cannot hold is a typed error, no row is `NoRows` (and `optional()` makes it `None`), a `SUM`
//! reads as an integer on both. The seam is compiled here from its files, as `io_faults.rs`
//! compiles the store.

mod common;

/// The seam as `common` compiles it, where its `params!` finds it (`crate::store::sql`, as in
/// the depot).
mod store {
    pub use super::common::sql;
}

use common::sql::*;

/// A fresh PostgreSQL database on the test cluster, for this test alone.
fn fresh_postgres() -> PgConn {
    PgConn::connect(&common::pg::fresh_database("seam")).unwrap()
}

const SCHEMA_SQLITE: &str = "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, r REAL, b BLOB, s TEXT)";
const SCHEMA_POSTGRES: &str = "CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT, r DOUBLE PRECISION, b BYTEA, s TEXT)";

/// The checks, written once against the seam.
fn check(tx: &Tx, schema: &str) {
    tx.execute_batch(schema).unwrap();

    // Every kind of value, through every way of passing parameters.
    let n = tx.execute(
        "INSERT INTO t (id, n, r, b, s) VALUES (?1, ?2, ?3, ?4, ?5)",
        params!["a", 42i64, 1.5f64, vec![0u8, 255], Some("x")],
    );
    assert_eq!(n.unwrap(), 1);
    tx.execute("INSERT INTO t (id, n, r, b, s) VALUES (?1, ?2, NULL, NULL, ?3)", params!["b", u32::MAX, None::<String>]).unwrap();
    tx.execute("INSERT INTO t (id, s) VALUES (?, ?)", ["c", "seven"]).unwrap();
    let a: (String, i64, f64, Vec<u8>, String) = tx
        .query_row("SELECT id, n, r, b, s FROM t WHERE id = ?1", ["a"], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap();
    assert_eq!(a, ("a".into(), 42, 1.5, vec![0, 255], "x".into()));
    let b: (u32, Option<f64>, Option<String>) =
        tx.query_row("SELECT n, r, s FROM t WHERE id = ?1", ["b"], |r| Ok((r.get(0)?, r.get(1)?, r.get("s")?))).unwrap();
    assert_eq!(b, (u32::MAX, None, None));

    // A parameter the database cannot hold, and a column read as the wrong type: typed errors.
    let too_big = tx.execute("UPDATE t SET n = ?1 WHERE id = 'a'", [u64::MAX]).unwrap_err();
    assert!(matches!(too_big, Error::Parameter(_)), "{too_big:?}");
    let wrong = tx.query_row("SELECT s FROM t WHERE id = 'a'", [], |r| r.get::<_, i64>(0)).unwrap_err();
    assert!(matches!(wrong, Error::Conversion { column: 0, .. }), "{wrong:?}");
    let negative = tx.query_row("SELECT -1", [], |r| r.get::<_, u32>(0)).unwrap_err();
    assert!(matches!(negative, Error::Conversion { .. }), "{negative:?}");

    // No row.
    let none = tx.query_row("SELECT n FROM t WHERE id = ?1", ["zzz"], |r| r.get::<_, i64>(0));
    assert!(matches!(none, Err(Error::NoRows)));
    assert_eq!(tx.query_row("SELECT n FROM t WHERE id = ?1", ["zzz"], |r| r.get::<_, i64>(0)).optional().unwrap(), None);
    assert_eq!(tx.query_row("SELECT n FROM t WHERE id = ?1", ["a"], |r| r.get::<_, i64>(0)).optional().unwrap(), Some(42));

    // Aggregates: PostgreSQL's SUM of BIGINT is a NUMERIC, read as an integer all the same.
    let (count, sum): (i64, i64) = tx.query_row("SELECT COUNT(*), SUM(n) FROM t", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((count, sum), (3, 42 + u32::MAX as i64));
    let big: i64 = tx.query_row("SELECT SUM(n) FROM t WHERE id <> 'a'", [], |r| r.get(0)).unwrap();
    assert_eq!(big, u32::MAX as i64);
    tx.execute("UPDATE t SET n = ?1 WHERE id = 'c'", [-20_000_000_000i64]).unwrap();
    let negative_sum: i64 = tx.query_row("SELECT SUM(n) FROM t", [], |r| r.get(0)).unwrap();
    assert_eq!(negative_sum, 42 + u32::MAX as i64 - 20_000_000_000);
    let empty_sum: Option<i64> = tx.query_row("SELECT SUM(n) FROM t WHERE id = 'none'", [], |r| r.get(0)).unwrap();
    assert_eq!(empty_sum, None);

    // Many rows, in order, through the prepared shape the store uses.
    let mut q = tx.prepare_cached("SELECT id FROM t WHERE id >= ?1 ORDER BY id").unwrap();
    let ids: Vec<String> = q.query_map(["b"], |r| r.get(0)).unwrap().collect::<Result<_>>().unwrap();
    assert_eq!(ids, ["b", "c"]);
    let dynamic: Vec<&dyn ToValue> = vec![&"a", &"c"];
    assert_eq!(
        tx.query_map("SELECT n FROM t WHERE id IN (?1, ?2) ORDER BY id", dynamic, |r| r.get::<_, i64>(0)).unwrap(),
        [42, -20_000_000_000]
    );
}

#[test]
fn the_seam_on_sqlite() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    check(&Tx::sqlite(&conn), SCHEMA_SQLITE);
}

#[test]
fn the_seam_on_postgres() {
    let mut conn = fresh_postgres();
    let tx = Tx::postgres(&mut conn, Isolation::ReadCommitted).unwrap();
    check(&tx, SCHEMA_POSTGRES);
    tx.commit().unwrap();
    // A statement prepared in one transaction serves the next on the same connection.
    let tx = Tx::postgres(&mut conn, Isolation::ReadCommitted).unwrap();
    assert_eq!(tx.query_row("SELECT n FROM t WHERE id = ?1", ["a"], |r| r.get::<_, i64>(0)).unwrap(), 42);
}

#[test]
fn a_rolled_back_postgres_transaction_leaves_nothing() {
    let mut conn = fresh_postgres();
    let tx = Tx::postgres(&mut conn, Isolation::ReadCommitted).unwrap();
    tx.execute_batch(SCHEMA_POSTGRES).unwrap();
    tx.commit().unwrap();
    let tx = Tx::postgres(&mut conn, Isolation::ReadCommitted).unwrap();
    tx.execute("INSERT INTO t (id) VALUES (?1)", ["gone"]).unwrap();
    drop(tx);
    let tx = Tx::postgres(&mut conn, Isolation::ReadCommitted).unwrap();
    assert_eq!(tx.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
}

/// `?1` becomes `$1` for PostgreSQL, a bare `?` the next number, and nothing inside quoted text,
/// quoted names or comments. (Here rather than beside the function: the seam is compiled into
/// every test binary through `common`, and a test there would run once in each.)
#[test]
fn placeholders_are_numbered_outside_quotes_and_comments() {
    use common::sql::pg::numbered_placeholders;
    assert_eq!(numbered_placeholders("SELECT a FROM t WHERE b = ?1 AND c = ?12"), "SELECT a FROM t WHERE b = $1 AND c = $12");
    assert_eq!(numbered_placeholders("VALUES (?, ?, '?', \"a?\") -- ?\n, ?"), "VALUES ($1, $2, '?', \"a?\") -- ?\n, $3");
    assert_eq!(numbered_placeholders("SELECT 'it''s ?' || ?2"), "SELECT 'it''s ?' || $2");
}
