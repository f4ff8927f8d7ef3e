//! [`Store`]: the one handle to a phone's database that the bindings hold.
//!
//! It owns a single connection behind a mutex (a phone app has one user and short
//! transactions; one writer avoids SQLITE_BUSY entirely). Features add their operations in their
//! own modules (`impl Store` in `drafts/store.rs`, ...), so this file stays about the handle:
//! opening, closing, and running a closure in a transaction.

use crate::error::{Error, Result};
use crate::storage;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::Path;
use std::sync::Mutex;

pub struct Store {
    conn: Mutex<Option<Connection>>,
}

impl Store {
    /// Open the database at `path`, creating it and its schema if needed.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Ok(Store { conn: Mutex::new(Some(storage::open(path.as_ref())?)) })
    }

    pub fn open_in_memory() -> Result<Store> {
        Ok(Store { conn: Mutex::new(Some(storage::open_in_memory()?)) })
    }

    /// Close the database. Later calls on this handle return [`Error::Closed`]; closing twice
    /// is harmless.
    pub fn close(&self) -> Result<()> {
        let mut guard = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(conn) = guard.take() {
            conn.close().map_err(|(_, e)| Error::from(e))?;
        }
        Ok(())
    }

    /// Run `f` with the connection (reads).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let guard = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let conn = guard.as_ref().ok_or(Error::Closed)?;
        f(conn)
    }

    /// Run `f` in an immediate transaction, committed only if `f` succeeds.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut guard = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let conn = guard.as_mut().ok_or(Error::Closed)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        // Kill tests die here on purpose (see `fundi_sqlite::crash_point`): every statement of
        // the transaction run, nothing committed; then committed, the caller not yet told.
        fundi_sqlite::crash_point("store:before_commit");
        tx.commit()?;
        fundi_sqlite::crash_point("store:after_commit");
        Ok(value)
    }
}
