//! Scope changes in the change feed (ADR 0012). The feed is scoped at read time by a record's
//! owner, so when the accounts that see a record change, the feed must say so: each account
//! that loses the record gets a scope exit (a row of `scope_exits`, numbered in the feed's own
//! sequence and pulled by that account only), and each account that gains it gets the record
//! itself, moved to the feed's head (its seq may lie behind that account's cursor).
//!
//! Who sees what is the protocol's rule (`fundi_sync::depot::{viewers, scope_change}`); this
//! module writes it, inside the transaction that changes the owner or the mentor.

use super::facts::SqlFacts;
use super::{next_seq, now_ms, ApiError};
use crate::store::sql::{params, Tx};
use fundi_sync::depot::{scope_change, viewers};
use fundi_sync::Kind;
use std::collections::BTreeSet;

/// Tell `account` that record (`kind`, `id`) left its scope.
fn exit(tx: &Tx, account: &str, kind: &str, id: &str) -> Result<(), ApiError> {
    let seq = next_seq(tx)?;
    tx.execute(
        "INSERT INTO scope_exits (seq, account_id, kind, id, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![seq, account, kind, id, now_ms() as i64],
    )?;
    Ok(())
}

/// Move a record to the feed's head as it is (an account that gained it receives it whole).
fn restamp(tx: &Tx, kind: &str, id: &str) -> Result<(), ApiError> {
    let seq = next_seq(tx)?;
    tx.execute(
        "UPDATE records SET seq = ?1, changed_ms = ?2 WHERE kind = ?3 AND id = ?4",
        params![seq, now_ms() as i64, kind, id],
    )?;
    Ok(())
}

/// A record's owner changes from `old` to `new` (an order reassigned): exits for the accounts
/// that lose it. The caller then writes the record, which moves it to the head for the rest.
pub fn owner_changed(tx: &Tx, kind: &str, id: &str, old: Option<&str>, new: Option<&str>) -> Result<(), ApiError> {
    let facts = SqlFacts(tx);
    let change = scope_change(&viewers(&facts, old)?, &viewers(&facts, new)?);
    for account in &change.lost {
        exit(tx, account, kind, id)?;
    }
    Ok(())
}

/// Counts of what a mentor change wrote to the feed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MentorMove {
    /// Scope exits written (one per record of the artisan, for the old mentor).
    pub exits: usize,
    /// Records moved to the feed's head (for the new mentor).
    pub restamped: usize,
}

/// Artisan `artisan`'s mentor changes from `old` to `new` (the `accounts` row already says
/// `new`): every record she owns leaves the old mentor's scope and enters the new one's.
/// Refusals are left out: only the device account that pushed them ever sees them.
pub fn mentor_changed(tx: &Tx, artisan: &str, old: Option<&str>, new: Option<&str>) -> Result<MentorMove, ApiError> {
    let with = |mentor: Option<&str>| -> BTreeSet<String> {
        [Some(artisan), mentor].into_iter().flatten().map(str::to_string).collect()
    };
    let change = scope_change(&with(old), &with(new));
    let mut stmt = tx.prepare("SELECT kind, id FROM records WHERE owner = ?1 AND kind != ?2 ORDER BY seq")?;
    let records: Vec<(String, String)> =
        stmt.query_map(params![artisan, Kind::Rejection.code()], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let mut done = MentorMove::default();
    for (kind, id) in &records {
        for account in &change.lost {
            exit(tx, account, kind, id)?;
            done.exits += 1;
        }
    }
    if !change.gained.is_empty() {
        for (kind, id) in &records {
            restamp(tx, kind, id)?;
            done.restamped += 1;
        }
    }
    Ok(done)
}
