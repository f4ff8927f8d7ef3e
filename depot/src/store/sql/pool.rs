//! A server process's PostgreSQL connections: at most `max` open at once, shared by the
//! blocking threads the HTTP layer runs the store on. A thread that finds none free waits for
//! one (up to [`WAIT`], then a typed `busy` error); a connection that broke is dropped rather
//! than handed out again, and the next request opens a new one.

use super::{Error, PgConn, Result};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a request waits for a free connection before it is answered "busy".
pub const WAIT: Duration = Duration::from_secs(10);

pub struct PgPool {
    url: String,
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<PgConn>,
    /// Connections open, idle or in use.
    open: usize,
}

impl PgPool {
    /// A pool for `url`; one connection is opened at once, so a wrong address fails at start.
    pub fn new(url: &str, max: usize) -> Result<PgPool> {
        let first = PgConn::connect(url)?;
        Ok(PgPool {
            url: url.to_string(),
            max: max.max(1),
            state: Mutex::new(State { idle: vec![first], open: 1 }),
            freed: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection for one transaction, returned to the pool when dropped.
    pub fn get(&self) -> Result<Pooled<'_>> {
        let deadline = Instant::now() + WAIT;
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Pooled { pool: self, conn: Some(conn) });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match PgConn::connect(&self.url) {
                    Ok(conn) => Ok(Pooled { pool: self, conn: Some(conn) }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Busy(format!("all {} database connections stayed in use for {WAIT:?}", self.max)));
            }
            state = self.freed.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}

/// Closing a connection blocks on the `postgres` crate's own runtime, which panics on a thread
/// that drives async tasks (the server drops its store on one when it stops): the connections
/// are closed on a thread of their own.
impl Drop for PgPool {
    fn drop(&mut self) {
        let idle = std::mem::take(&mut self.lock().idle);
        if idle.is_empty() {
            return;
        }
        let _ = std::thread::spawn(move || drop(idle)).join();
    }
}

/// A connection taken from the pool.
pub struct Pooled<'p> {
    pool: &'p PgPool,
    conn: Option<PgConn>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = PgConn;
    fn deref(&self) -> &PgConn {
        self.conn.as_ref().expect("a pooled connection is present until dropped")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut PgConn {
        self.conn.as_mut().expect("a pooled connection is present until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut state = self.pool.lock();
        if conn.is_closed() {
            state.open -= 1;
        } else {
            state.idle.push(conn);
        }
        drop(state);
        self.pool.freed.notify_one();
    }
}
