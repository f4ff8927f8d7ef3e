//! Scope changes in the change feed (ADR 0012). The feed is scoped at read time by a record's
//! owner, so when the accounts that see a record change, the feed must say so: each account
//! that loses the record gets a scope exit (a row of `scope_exits`, numbered in the feed's own
//! sequence and pulled by that account only), and each account that gains it gets the record
//! itself, moved to the feed's head (its seq may lie behind that account's cursor).
//!
//! Who sees what is the protocol's rule (`fundi_sync::depot::{viewers, scope_change}`), with
//! the staff of the owner's depot besides (ADR 0030: staff see their own depot's records, and
//! every depot's staff the orders of no one's yet); this module writes it, inside the
//! transaction that changes the owner, the mentor, or the depot an account belongs to.

use super::facts::SqlFacts;
use super::{next_seq, now_ms, ApiError};
use crate::store::sql::{params, ToValue, Tx};
use fundi_sync::depot::{scope_change, viewers};
use fundi_sync::{Kind, Role};
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

/// The staff accounts that see a record of `owner` by their depot: the staff of the owner's
/// depot; every staff account for a record of no one's (an order not yet assigned).
fn depot_staff(tx: &Tx, owner: Option<&str>) -> Result<BTreeSet<String>, ApiError> {
    let mut q = tx.prepare_cached(
        "SELECT s.id FROM accounts s WHERE s.role = 'staff'
         AND (?1 = '' OR s.depot_id = (SELECT o.depot_id FROM accounts o WHERE o.id = ?1))",
    )?;
    let rows = q.query_map([owner.unwrap_or_default()], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether records of `kind` reach only their owner (refusals, money), never staff.
fn owner_only(kind: &str) -> bool {
    Kind::OWNER_ONLY.iter().any(|k| k.code() == kind)
}

/// Everyone who sees a record of `kind` owned by `owner`: the protocol's viewers, and the staff
/// who see it by their depot.
fn everyone_seeing(tx: &Tx, kind: &str, owner: Option<&str>) -> Result<BTreeSet<String>, ApiError> {
    let mut out = viewers(&SqlFacts(tx), owner)?;
    if !owner_only(kind) {
        out.extend(depot_staff(tx, owner)?);
    }
    Ok(out)
}

/// A record's owner changes from `old` to `new` (an order reassigned): exits for the accounts
/// that lose it (her mentor, her depot's staff when the new artisan is another depot's). The
/// caller then writes the record, which moves it to the head for the rest.
pub fn owner_changed(tx: &Tx, kind: &str, id: &str, old: Option<&str>, new: Option<&str>) -> Result<(), ApiError> {
    let change = scope_change(&everyone_seeing(tx, kind, old)?, &everyone_seeing(tx, kind, new)?);
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

/// Counts of what moving an account to another depot wrote to the feed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DepotMove {
    /// Scope exits written (a record of hers for each staff account of the old depot; for a
    /// staff account moved, each record of the old depot it saw).
    pub exits: usize,
    /// Records moved to the feed's head (for the staff who see them now).
    pub restamped: usize,
}

/// Account `account` (of `role`) moved from depot `old` to depot `new` (the `accounts` row says
/// `new` already). Every record she owns leaves the old depot's staff's scope and enters the new
/// depot's. A staff account moved besides loses the records of the old depot's accounts and
/// gains those of the new depot's (each moved to the feed's head). Orders of no one's are every
/// depot's staff's before and after. Refusals and money are their owner's alone: untouched.
pub fn depot_changed(tx: &Tx, account: &str, role: Role, old: Option<&str>, new: &str) -> Result<DepotMove, ApiError> {
    let staff_of = |depot: Option<&str>| -> Result<BTreeSet<String>, ApiError> {
        let mut set = match depot {
            Some(d) => depot_members(tx, d, Some(Role::Staff))?,
            None => BTreeSet::new(),
        };
        set.remove(account);
        Ok(set)
    };
    let change = scope_change(&staff_of(old)?, &staff_of(Some(new))?);
    // The records of the owners `which` selects (`?1`, `?2`: its arguments), but refusals and money.
    let records = |which: &str, args: &[&dyn ToValue]| -> Result<Vec<(String, String)>, ApiError> {
        let theirs_alone = Kind::OWNER_ONLY.map(|k| format!("'{}'", k.code())).join(", ");
        let sql = format!("SELECT kind, id FROM records WHERE {which} AND kind NOT IN ({theirs_alone}) ORDER BY seq");
        let mut stmt = tx.prepare(&sql)?;
        let rows = stmt.query_map(args, |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let mut done = DepotMove::default();
    let mut to_restamp: BTreeSet<(String, String)> = BTreeSet::new();
    let hers = records("owner = ?1", &[&account])?;
    for (kind, id) in &hers {
        for lost in &change.lost {
            exit(tx, lost, kind, id)?;
            done.exits += 1;
        }
    }
    if !change.gained.is_empty() {
        to_restamp.extend(hers.iter().cloned());
    }
    if role == Role::Staff {
        let of_depot = "owner IN (SELECT id FROM accounts WHERE depot_id = ?1 AND id <> ?2)";
        if let Some(old) = old {
            for (kind, id) in records(of_depot, &[&old, &account])? {
                exit(tx, account, &kind, &id)?;
                done.exits += 1;
            }
        }
        to_restamp.extend(records(of_depot, &[&new, &account])?);
    }
    for (kind, id) in &to_restamp {
        restamp(tx, kind, id)?;
        done.restamped += 1;
    }
    Ok(done)
}

/// The accounts of depot `depot` (its staff's, or every role's).
pub fn depot_members(tx: &Tx, depot: &str, role: Option<Role>) -> Result<BTreeSet<String>, ApiError> {
    let mut q = tx.prepare_cached("SELECT id FROM accounts WHERE depot_id = ?1 AND (?2 = '' OR role = ?2)")?;
    let rows = q.query_map(params![depot, role.map_or("", Role::code)], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
