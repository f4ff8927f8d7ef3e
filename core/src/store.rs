//! [`Store`]: the one handle to a phone's database that the bindings hold.
//!
//! It owns a single connection behind a mutex (a phone app has one user and short
//! transactions; one writer avoids SQLITE_BUSY entirely). Features add their operations in their
//! own modules (`impl Store` in `drafts/store.rs`, ...), so this file stays about the handle:
//! opening, closing, and running a closure in a transaction.

use crate::account::{self, TokenVault};
use crate::error::{Error, Result};
use crate::storage;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::Path;
use std::sync::{Arc, Mutex};

pub struct Store {
    conn: Mutex<Option<Connection>>,
    /// Seals the device token before it is written and opens it for each request.
    pub(crate) vault: Arc<dyn TokenVault>,
}

impl Store {
    /// Open the database at `path`, creating it and its schema if needed, with the
    /// [`account::PlaintextTokenVault`]: the device token is **not encrypted**. For host tests
    /// and tools; an app on a phone opens with [`Store::open_with_vault`].
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Self::open_with_vault(path, account::vault::plaintext())
    }

    /// Open the database at `path` (creating it and its schema if needed); `vault` seals the
    /// device token, which is never written in clear. A clear token left by an older version is
    /// sealed now.
    pub fn open_with_vault(path: impl AsRef<Path>, vault: Arc<dyn TokenVault>) -> Result<Store> {
        let conn = storage::open(path.as_ref())?;
        account::seal_clear_token(&conn, &*vault)?;
        Ok(Store { conn: Mutex::new(Some(conn)), vault })
    }

    pub fn open_in_memory() -> Result<Store> {
        Ok(Store { conn: Mutex::new(Some(storage::open_in_memory()?)), vault: account::vault::plaintext() })
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
