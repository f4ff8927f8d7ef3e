//! The depot's store as the tests read it (and, for a few crafted states, write it), on whichever
//! database the suite runs against (`FUNDI_TEST_STORE`): the data directory's SQLite file, or
//! the PostgreSQL database its `database.url` names. Through the depot's own seam
//! (`store::sql`, compiled here from its files), so one query reads either.

use super::sql::{self, Isolation, Params, PgConn, Row, Tx};
use std::cell::RefCell;
use std::path::Path;

/// Which store the depots under test keep: `FUNDI_TEST_STORE=postgres` puts each on a fresh
/// database of the test cluster, else each keeps its SQLite file. `scripts/test-all` runs the
/// depot's suite once per store.
pub fn on_postgres() -> bool {
    std::env::var("FUNDI_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// The `serve` arguments that put a new data directory's store where the suite wants it.
pub fn store_args() -> Vec<String> {
    if on_postgres() {
        vec!["--database".into(), super::pg::fresh_database("depot")]
    } else {
        vec![]
    }
}

/// Make `dir` a new data directory whose store is where the suite wants it: on PostgreSQL, it
/// names a fresh database (`database.url`, as `serve --database` writes it), for tests that
/// run commands on a data directory before any server starts.
pub fn new_data_dir(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    if on_postgres() {
        new_data_dir_naming(dir, &super::pg::fresh_database("depot"));
    }
}

/// A connection to one depot's store, opened next to the running server.
pub struct DepotDb {
    backing: Backing,
}

enum Backing {
    Sqlite(rusqlite::Connection),
    Postgres(Box<RefCell<PgConn>>),
}

impl DepotDb {
    /// The store of the data directory `dir`.
    pub fn open(dir: &Path) -> DepotDb {
        let backing = match std::fs::read_to_string(dir.join("database.url")) {
            Ok(url) => {
                Backing::Postgres(Box::new(RefCell::new(PgConn::connect(url.trim()).expect("connect to the depot's database"))))
            }
            Err(_) => {
                let c = rusqlite::Connection::open(dir.join("depot.db")).expect("open the depot's SQLite file");
                // Beside the running server, whose writes this waits for.
                c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
                Backing::Sqlite(c)
            }
        };
        DepotDb { backing }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backing, Backing::Postgres(_))
    }

    /// Run `f` in one transaction (committed if it succeeds).
    pub fn with<T>(&self, f: impl FnOnce(&Tx) -> sql::Result<T>) -> sql::Result<T> {
        match &self.backing {
            Backing::Sqlite(c) => {
                let tx = c.unchecked_transaction()?;
                let v = f(&Tx::sqlite(&tx))?;
                tx.commit()?;
                Ok(v)
            }
            Backing::Postgres(c) => {
                let mut c = c.borrow_mut();
                let tx = Tx::postgres(&mut c, Isolation::ReadCommitted)?;
                let v = f(&tx)?;
                tx.commit()?;
                Ok(v)
            }
        }
    }

    pub fn query_row<T, P: Params>(&self, q: &str, p: P, f: impl FnOnce(&Row<'_>) -> sql::Result<T>) -> sql::Result<T> {
        self.with(|tx| tx.query_row(q, p, f))
    }

    pub fn query_map<T, P: Params>(&self, q: &str, p: P, f: impl FnMut(&Row<'_>) -> sql::Result<T>) -> sql::Result<Vec<T>> {
        self.with(|tx| tx.query_map(q, p, f))
    }

    pub fn execute<P: Params>(&self, q: &str, p: P) -> sql::Result<usize> {
        self.with(|tx| tx.execute(q, p))
    }

    pub fn execute_batch(&self, q: &str) -> sql::Result<()> {
        self.with(|tx| tx.execute_batch(q))
    }

    /// Every row `sql` selects, each as its values joined by `|` (the same text from either
    /// store: booleans read as integers on both).
    pub fn rows_as_text(&self, sql: &str) -> Vec<String> {
        self.query_map(sql, [], |r| {
            (0..r.column_count()).map(|i| r.get_ref(i).map(|v| format!("{v:?}"))).collect::<sql::Result<Vec<_>>>()
        })
        .unwrap()
        .into_iter()
        .map(|r| r.join("|"))
        .collect()
    }

    /// A query to run later (rusqlite's `prepare(..)?.query_map(..)` shape).
    pub fn prepare(&self, q: &str) -> sql::Result<DepotStmt<'_>> {
        Ok(DepotStmt { db: self, sql: q.to_string() })
    }

    /// A check that the store is whole: SQLite's `PRAGMA integrity_check`; on PostgreSQL
    /// (which a killed server cannot leave torn) that every table reads to its end: "ok".
    pub fn integrity(&self) -> String {
        match &self.backing {
            Backing::Sqlite(c) => c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap(),
            Backing::Postgres(_) => {
                let tables: Vec<String> =
                    self.query_map("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", [], |r| r.get(0)).unwrap();
                for t in tables {
                    self.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get::<_, i64>(0)).unwrap();
                }
                "ok".into()
            }
        }
    }
}

/// A query bound to its store.
pub struct DepotStmt<'d> {
    db: &'d DepotDb,
    sql: String,
}

impl DepotStmt<'_> {
    pub fn query_map<T, P: Params>(
        &mut self,
        p: P,
        f: impl FnMut(&Row<'_>) -> sql::Result<T>,
    ) -> sql::Result<std::vec::IntoIter<sql::Result<T>>> {
        let rows = self.db.query_map(&self.sql, p, f)?;
        Ok(rows.into_iter().map(Ok).collect::<Vec<_>>().into_iter())
    }

    pub fn query_row<T, P: Params>(&mut self, p: P, f: impl FnOnce(&Row<'_>) -> sql::Result<T>) -> sql::Result<T> {
        self.db.query_row(&self.sql, p, f)
    }

    pub fn execute<P: Params>(&mut self, p: P) -> sql::Result<usize> {
        self.db.execute(&self.sql, p)
    }
}

/// Several server processes on one database (ADR 0029).
impl super::Server {
    /// A server whose store is the PostgreSQL database `url`, with `extra` arguments and `env`
    /// in its environment.
    pub fn start_on_database(url: &str, extra: &[&str], env: &[(&str, &str)]) -> super::Server {
        let dir = tempfile::tempdir().unwrap();
        new_data_dir_naming(&dir.path().join("depot"), url);
        super::Server::spawn_in(dir, "127.0.0.1:0", extra, vec![], env)
    }

    /// Another process serving this server's database: a data directory of its own naming the
    /// same database and holding the same key (so a phone that pinned one trusts the other).
    pub fn second_process(&self, extra: &[&str], env: &[(&str, &str)]) -> super::Server {
        let url = std::fs::read_to_string(self.data_dir().join("database.url")).expect("a server on PostgreSQL");
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("depot");
        new_data_dir_naming(&data, url.trim());
        let tls = self.data_dir().join("tls");
        std::fs::create_dir_all(data.join("tls")).unwrap();
        for f in std::fs::read_dir(&tls).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), data.join("tls").join(f.file_name())).unwrap();
        }
        let second = super::Server::spawn_in(dir, "127.0.0.1:0", extra, vec![], env);
        assert_eq!(second.key, self.key, "both processes serve one key");
        second
    }
}

fn new_data_dir_naming(dir: &Path, url: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("database.url"), format!("{url}\n")).unwrap();
}
