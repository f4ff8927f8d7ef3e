//! Crash points: named places in a write path where a kill test can make the process die on
//! purpose, so SIGKILL lands exactly between two steps (after a transaction's statements but
//! before its commit, after a commit but before the reply) instead of wherever a timer falls.
//!
//! ```text
//! FUNDI_CRASH_AT=push:decided FUNDI_CRASH_AFTER=3 fundi-depot serve ...
//! ```
//!
//! kills the process (SIGKILL to itself, so nothing is flushed, unwound or dropped: the same
//! death as the operating system's) on the third time it reaches `crash_point("push:decided")`.
//! `FUNDI_CRASH_AFTER` defaults to 1. Only the named point counts its hits; every other point
//! is a no-op.
//!
//! The variables are read once per process (a `OnceLock`); unarmed, a crash point is one
//! atomic load and a comparison, and changes nothing. They live here, with the SQLite helper
//! both the phone core and the depot use, so both sides share one definition; the protocol's
//! pure rules (`fundi-sync`) never call them.
//!
//! The points, by side (the tests in `core/tests/kill_safety.rs`, `depot/tests/depot_kills.rs`,
//! the upload tests and `depot/tests/payouts.rs` arm each of them):
//! - phone, `Store::write`: `store:before_commit`, `store:after_commit`;
//! - phone, sync engine: `sync:push_answered` (a push answer received, not yet stored),
//!   `sync:push_stored`, `sync:pull_received` (a page received, not yet applied),
//!   `sync:pull_applied`;
//! - depot, push: `push:before_tx`, `push:decided` (after each mutation's effects are written,
//!   before the batch commits), `push:committed` (committed, reply not yet written);
//! - depot, pull: `pull:read` (the page read, reply not yet written);
//! - phone, uploads: `upload.created`, `upload.chunk_stored`; depot, uploads: `upload:appended`,
//!   `upload:verified`;
//! - depot, backup (ADR 0028, `depot/tests/backup.rs`): `backup:snapshot` (the snapshot
//!   written, nothing else), `backup:blobs` (its blobs copied, no keys or manifest yet);
//! - depot, payouts (ADR 0019, `payouts::points`): `payout:before_send`,
//!   `payout:send_unrecorded`, `payout:query_unrecorded`, `payout:callback_before_commit`,
//!   `payout:status_before_commit`, `payout:paid_committed`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The point to crash at, from `FUNDI_CRASH_AT`.
pub const ENV_AT: &str = "FUNDI_CRASH_AT";
/// On which hit of that point (1 = the first), from `FUNDI_CRASH_AFTER`.
pub const ENV_AFTER: &str = "FUNDI_CRASH_AFTER";

struct Armed {
    name: String,
    after: u64,
    hits: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let name = std::env::var(ENV_AT).ok().filter(|n| !n.is_empty())?;
            let after = std::env::var(ENV_AFTER).ok().and_then(|n| n.parse().ok()).unwrap_or(1).max(1);
            Some(Armed { name, after, hits: AtomicU64::new(0) })
        })
        .as_ref()
}

/// Die here if this point is armed and this is its chosen hit; otherwise do nothing.
#[inline]
pub fn crash_point(name: &str) {
    let Some(a) = armed() else { return };
    if a.name == name && a.hits.fetch_add(1, Ordering::SeqCst) + 1 == a.after {
        die();
    }
}

#[cold]
fn die() -> ! {
    kill_self();
    // Not reached on Unix (SIGKILL cannot be caught); elsewhere, the closest to it.
    std::process::abort()
}

#[cfg(unix)]
fn kill_self() {
    // SAFETY: kill(2) of our own pid with a constant signal; no memory is involved.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_self() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// The child of `the_armed_point_kills_on_its_chosen_hit`: passes an unarmed point and the
    /// armed one five times, printing after each pass.
    #[test]
    #[ignore = "child process of the_armed_point_kills_on_its_chosen_hit"]
    fn child_passes_points() {
        let mut out = std::io::stdout().lock();
        for i in 1..=5 {
            crash_point("test:other");
            crash_point("test:point");
            writeln!(out, "passed {i}").unwrap();
            out.flush().unwrap();
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_armed_point_kills_on_its_chosen_hit() {
        use std::os::unix::process::ExitStatusExt;
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_point::tests::child_passes_points", "--ignored", "--nocapture", "--test-threads=1"])
            .env(ENV_AT, "test:point")
            .env(ENV_AFTER, "3")
            .output()
            .unwrap();
        assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{out:?}");
        // libtest may print its "test ... " prefix on the child's first line.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let passed: Vec<&str> = stdout.lines().filter_map(|l| l.find("passed ").map(|i| &l[i..])).collect();
        assert_eq!(passed, ["passed 1", "passed 2"], "died on the third hit, not before, not after");
    }
}
