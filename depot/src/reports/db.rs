//! The reports' only SQL: a read-only connection of its own to the depot's file, holding one
//! read transaction for the whole report (WAL gives it a consistent snapshot while the server
//! goes on writing on its connection; a report never takes the server's mutex), the accounts,
//! the orders one row at a time, and the money entries of one order by their ids.

use super::ReportError;
use fundi_sync::dates::Day;
use fundi_sync::money::Currency;
use fundi_sync::money_ledger::{commission_id, earning_id, reversal_id, MoneyBody};
use fundi_sync::{Kind, OrderBody, Role};
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// How many orders are read between two looks at whether the reader went away.
const CANCEL_CHECK_EVERY: u64 = 1024;

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
    conn: Connection,
    /// Whether whoever reads the report went away (checked while orders are read).
    cancelled: Box<dyn Fn() -> bool + Send>,
}

impl Snapshot {
    /// Open the depot's file `path` read-only and start the read transaction every query of
    /// the report runs in.
    pub fn open(path: &Path) -> Result<Snapshot, ReportError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.execute_batch("BEGIN")?;
        // The snapshot is taken by the first read: take it now, before anything is counted.
        conn.query_row("SELECT count(*) FROM accounts", [], |r| r.get::<_, i64>(0))?;
        Ok(Snapshot { conn, cancelled: Box::new(|| false) })
    }

    /// Stop reading orders (with [`ReportError::Cancelled`]) once `cancelled` says so.
    pub fn cancel_when(mut self, cancelled: impl Fn() -> bool + Send + 'static) -> Snapshot {
        self.cancelled = Box::new(cancelled);
        self
    }

    pub fn accounts(&self) -> Result<Accounts, ReportError> {
        let mut q = self.conn.prepare("SELECT id, role, name, mentor_id, created_ms FROM accounts")?;
        let rows = q.query_map([], |r| {
            let created_ms: i64 = r.get(4)?;
            let account = Account {
                role: Role::from_code(&r.get::<_, String>(1)?),
                name: r.get(2)?,
                mentor_id: r.get(3)?,
                enrolled: Day::of_ms(created_ms.max(0) as u64),
            };
            Ok((r.get::<_, String>(0)?, account))
        })?;
        Ok(Accounts(rows.collect::<Result<_, _>>()?))
    }

    /// Call `f` with every order (its id and body), one row at a time: nothing but the current
    /// row is held.
    pub fn for_each_order(&self, mut f: impl FnMut(&str, &OrderBody) -> Result<(), ReportError>) -> Result<(), ReportError> {
        let mut q = self.conn.prepare("SELECT id, body FROM records WHERE kind = ?1")?;
        let mut rows = q.query([Kind::Order.code()])?;
        let mut n: u64 = 0;
        while let Some(row) = rows.next()? {
            n += 1;
            if n.is_multiple_of(CANCEL_CHECK_EVERY) && (self.cancelled)() {
                return Err(ReportError::Cancelled);
            }
            let id = row.get_ref(0)?.as_str()?;
            let body = row.get_ref(1)?.as_bytes()?;
            let order: OrderBody = serde_json::from_slice(body).map_err(|e| ReportError::record("order", id, e))?;
            f(id, &order)?;
        }
        Ok(())
    }

    /// The money entries a delivered order posted: its earning and commission and their
    /// reversals, found by their ids (`fundi_sync::money_ledger`). Entries in another currency
    /// than the orders' (KES) are not counted.
    pub fn order_money(&self, order_id: &str) -> Result<OrderMoney, ReportError> {
        let (earning, commission) = (earning_id(order_id), commission_id(order_id));
        let (reversal, commission_reversal) = (reversal_id(order_id), reversal_id(&commission));
        let mut q = self.conn.prepare_cached("SELECT id, body FROM records WHERE kind = ?1 AND id IN (?2, ?3, ?4, ?5)")?;
        let mut rows = q.query([Kind::Money.code(), &earning, &commission, &reversal, &commission_reversal])?;
        let mut money = OrderMoney::default();
        while let Some(row) = rows.next()? {
            let id = row.get_ref(0)?.as_str()?;
            let body: MoneyBody =
                serde_json::from_slice(row.get_ref(1)?.as_bytes()?).map_err(|e| ReportError::record("money", id, e))?;
            if body.entry.currency != Currency::Kes.code() {
                continue;
            }
            let amount = body.entry.amount_minor;
            if id == earning {
                money.earned += amount;
            } else if id == reversal {
                money.reversed += amount;
            } else {
                money.commission += amount;
            }
        }
        Ok(money)
    }
}
