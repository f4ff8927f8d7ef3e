//! The reports' only SQL: a read-only connection of its own to the depot's store, holding one
//! read transaction for the whole report (on SQLite, WAL gives it a consistent snapshot while
//! the server goes on writing on its connection, and a report never takes the server's mutex;
//! on PostgreSQL, a `REPEATABLE READ READ ONLY` transaction), the accounts, the orders one row
//! at a time, and the money entries of one order by their ids. Queries go through the store's
//! seam (`store::sql`), so one text reads either store.

use super::ReportError;
use crate::store::sql::{self, PgConn, Tx};
use fundi_sync::dates::Day;
use fundi_sync::money::Currency;
use fundi_sync::money_ledger::{commission_id, earning_id, reversal_id, MoneyBody};
use fundi_sync::{Kind, OrderBody, Role};
use rusqlite::{Connection, OpenFlags};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// How many orders are read between two looks at whether the reader went away.
const CANCEL_CHECK_EVERY: u64 = 1024;

/// Orders read at once (the memory a report holds of them).
const ORDERS_PAGE: usize = 512;

/// An account as the reports show it.
#[derive(Clone, Debug)]
pub struct Account {
    pub role: Option<Role>,
    pub name: String,
    pub mentor_id: Option<String>,
    /// The day the account was created (an artisan's enrollment).
    pub enrolled: Day,
}

/// Every account, by id (memory grows with the accounts, which the reports key their rows by).
#[derive(Default)]
pub struct Accounts(HashMap<String, Account>);

impl Accounts {
    pub fn get(&self, id: &str) -> Option<&Account> {
        self.0.get(id)
    }

    pub fn name(&self, id: &str) -> &str {
        self.get(id).map_or("", |a| a.name.as_str())
    }

    /// The artisans: (id, account).
    pub fn artisans(&self) -> impl Iterator<Item = (&str, &Account)> {
        self.0.iter().filter(|(_, a)| a.role == Some(Role::Artisan)).map(|(id, a)| (id.as_str(), a))
    }

    /// `ids` sorted by the name of their account, then by id: the order rows are written in.
    pub fn by_name<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
        let mut ids: Vec<&str> = ids.into_iter().collect();
        ids.sort_by(|a, b| self.name(a).cmp(self.name(b)).then(a.cmp(b)));
        ids
    }
}

/// What an order's delivery moved in the money ledgers (KES minor units; reversals negative).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderMoney {
    /// The artisan's earning.
    pub earned: i64,
    /// The reversal of her earning (a refund).
    pub reversed: i64,
    /// Her mentor's commission, less its reversal.
    pub commission: i64,
}

/// One report's view of the store.
pub struct Snapshot {
    conn: SnapshotConn,
    /// Whether whoever reads the report went away (checked while orders are read).
    cancelled: Box<dyn Fn() -> bool + Send>,
}

enum SnapshotConn {
    Sqlite(Connection),
    Postgres(Box<RefCell<PgConn>>),
}

impl Snapshot {
    /// Open the store of the data directory `dir` (its PostgreSQL database, or its SQLite file
    /// read-only) and start the read transaction every query of the report runs in.
    pub fn open(dir: &Path) -> Result<Snapshot, ReportError> {
        let conn = match crate::store::database_of(dir).map_err(|e| ReportError::Open(e.detail))? {
            Some(url) => {
                let mut conn = PgConn::connect(&url)?;
                conn.client().batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").map_err(sql::Error::from)?;
                SnapshotConn::Postgres(Box::new(RefCell::new(conn)))
            }
            None => {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(dir.join(crate::store::DB_FILE), flags)?;
                conn.busy_timeout(Duration::from_secs(10))?;
                conn.execute_batch("BEGIN")?;
                SnapshotConn::Sqlite(conn)
            }
        };
        let snapshot = Snapshot { conn, cancelled: Box::new(|| false) };
        // The snapshot is taken by the first read: take it now, before anything is counted.
        snapshot.with(|tx| tx.query_row("SELECT count(*) FROM accounts", [], |r| r.get::<_, i64>(0)))?;
        Ok(snapshot)
    }

    /// Run `f` inside the snapshot's transaction.
    fn with<T, E: From<sql::Error>>(&self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        match &self.conn {
            SnapshotConn::Sqlite(c) => f(&Tx::sqlite(c)),
            SnapshotConn::Postgres(c) => f(&Tx::postgres_session(&mut c.borrow_mut())),
        }
    }

    /// Stop reading orders (with [`ReportError::Cancelled`]) once `cancelled` says so.
    pub fn cancel_when(mut self, cancelled: impl Fn() -> bool + Send + 'static) -> Snapshot {
        self.cancelled = Box::new(cancelled);
        self
    }

    pub fn accounts(&self) -> Result<Accounts, ReportError> {
        let rows = self.with(|tx| {
            tx.query_map("SELECT id, role, name, mentor_id, created_ms FROM accounts", [], |r| {
                let created_ms: i64 = r.get(4)?;
                let account = Account {
                    role: Role::from_code(&r.get::<_, String>(1)?),
                    name: r.get(2)?,
                    mentor_id: r.get(3)?,
                    enrolled: Day::of_ms(created_ms.max(0) as u64),
                };
                Ok((r.get::<_, String>(0)?, account))
            })
        })?;
        Ok(Accounts(rows.into_iter().collect()))
    }

    /// Call `f` with every order (its id and body), a page of [`ORDERS_PAGE`] at a time, in
    /// the order of their ids: nothing but the current page is held, and `f` may query the
    /// snapshot between two rows (one PostgreSQL connection cannot while it streams a result).
    pub fn for_each_order(&self, mut f: impl FnMut(&str, &OrderBody) -> Result<(), ReportError>) -> Result<(), ReportError> {
        let mut n: u64 = 0;
        let mut after = String::new();
        loop {
            let page: Vec<(String, String)> = self.with(|tx| {
                tx.query_map(
                    "SELECT id, body FROM records WHERE kind = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
                    (Kind::Order.code(), &after, ORDERS_PAGE),
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })?;
            let full = page.len() == ORDERS_PAGE;
            for (id, body) in &page {
                n += 1;
                if n.is_multiple_of(CANCEL_CHECK_EVERY) && (self.cancelled)() {
                    return Err(ReportError::Cancelled);
                }
                let order: OrderBody = serde_json::from_str(body).map_err(|e| ReportError::record("order", id, e))?;
                f(id, &order)?;
            }
            match page.into_iter().next_back() {
                Some((last, _)) if full => after = last,
                _ => return Ok(()),
            }
        }
    }

    /// The money entries a delivered order posted: its earning and commission and their
    /// reversals, found by their ids (`fundi_sync::money_ledger`). Entries in another currency
    /// than the orders' (KES) are not counted.
    pub fn order_money(&self, order_id: &str) -> Result<OrderMoney, ReportError> {
        let (earning, commission) = (earning_id(order_id), commission_id(order_id));
        let (reversal, commission_reversal) = (reversal_id(order_id), reversal_id(&commission));
        let mut money = OrderMoney::default();
        let ids = [Kind::Money.code(), &earning, &commission, &reversal, &commission_reversal];
        self.with(|tx| {
            tx.for_each(
                "SELECT id, body FROM records WHERE kind = ?1 AND id IN (?2, ?3, ?4, ?5)",
                ids,
                |row| -> Result<(), ReportError> {
                    let id = text(row, 0)?;
                    let body: MoneyBody = serde_json::from_str(text(row, 1)?).map_err(|e| ReportError::record("money", id, e))?;
                    if body.entry.currency != Currency::Kes.code() {
                        return Ok(());
                    }
                    let amount = body.entry.amount_minor;
                    if id == earning {
                        money.earned += amount;
                    } else if id == reversal {
                        money.reversed += amount;
                    } else {
                        money.commission += amount;
                    }
                    Ok(())
                },
            )
        })?;
        Ok(money)
    }
}

/// Column `i` as text borrowed from the row.
fn text<'r>(row: &'r sql::Row<'_>, i: usize) -> Result<&'r str, ReportError> {
    match row.get_ref(i)? {
        sql::ValueRef::Text(s) => Ok(s),
        other => Err(sql::Error::Conversion { column: i, wanted: "text", found: format!("{other:?}") }.into()),
    }
}
