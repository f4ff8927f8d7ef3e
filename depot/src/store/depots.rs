//! Several depots in one deployment (issue 13 item 2, ADR 0030). A depot is a record (`depots`:
//! its id, name and when it was added); artisans, mentors and staff belong to one
//! (`accounts.depot_id`), operations to none: they act on every depot. Orders, stock entries,
//! drafts, profiles and products carry no depot of their own: they are their owner's depot's,
//! and an order of no one's yet (not assigned) is in no depot. A single-box deployment is the
//! default depot alone ([`DEFAULT_DEPOT`], made by migration 014 with everything in it).
//!
//! Staff see and act on their own depot's records only: for one record the protocol's relation
//! says so (`Relation::OtherDepot`, asked of `facts::SqlFacts::same_depot`), for a list
//! [`Scope`], for a staff phone's change feed `pull`'s filter. Moving an account to another
//! depot ([`set_depot`]) writes the feed's scope changes (`scope::depot_changed`) and an audit
//! row; adding a depot is audited too.

pub use super::accounts::DEFAULT_DEPOT;
use super::accounts::{depot_of, get_account, no_such_depot, Caller};
use super::scope::{self, DepotMove};
use super::{now_ms, ApiError};
use crate::store::sql::{params, OptionalExtension, Tx};
use fundi_sync::{ids, Role};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A depot's name, in characters (an account's limit).
pub const DEPOT_NAME_MAX_CHARS: usize = fundi_sync::limits::ACCOUNT_NAME_MAX_CHARS;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Depot {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
}

/// A depot as `depot list` shows it: with how many accounts of each role belong to it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DepotSummary {
    #[serde(flatten)]
    pub depot: Depot,
    pub artisans: i64,
    pub mentors: i64,
    pub staff: i64,
}

fn operations_only(caller: &Caller, what: &str) -> Result<(), ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden(format!("only operations {what}")));
    }
    Ok(())
}

/// Add a depot named `name` (operations only, audited). A name another depot has is a conflict.
pub fn add(tx: &Tx, caller: &Caller, name: &str) -> Result<Depot, ApiError> {
    operations_only(caller, "add depots")?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > DEPOT_NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!("a depot's name is 1 to {DEPOT_NAME_MAX_CHARS} printable characters")));
    }
    let taken: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM depots WHERE name = ?1)", [name], |r| r.get(0))?;
    if taken {
        return Err(ApiError::conflict(format!("a depot is named {name:?} already: choose another name")));
    }
    let depot = Depot { id: ids::new_id(), name: name.to_string(), created_ms: now_ms() as i64 };
    tx.execute("INSERT INTO depots (id, name, created_ms) VALUES (?1, ?2, ?3)", params![depot.id, depot.name, depot.created_ms])?;
    super::console::audit(tx, &caller.account_id, "depot.add", Some(&depot.id), Some(name))?;
    Ok(depot)
}

/// Every depot, the oldest first, with its accounts counted by role (operations only).
pub fn list(tx: &Tx, caller: &Caller) -> Result<Vec<DepotSummary>, ApiError> {
    operations_only(caller, "list the depots")?;
    let mut q = tx.prepare_cached(
        "SELECT d.id, d.name, d.created_ms,
                (SELECT COUNT(*) FROM accounts a WHERE a.depot_id = d.id AND a.role = 'artisan'),
                (SELECT COUNT(*) FROM accounts a WHERE a.depot_id = d.id AND a.role = 'mentor'),
                (SELECT COUNT(*) FROM accounts a WHERE a.depot_id = d.id AND a.role = 'staff')
         FROM depots d ORDER BY d.created_ms, d.id",
    )?;
    let rows = q.query_map([], |r| {
        Ok(DepotSummary {
            depot: Depot { id: r.get(0)?, name: r.get(1)?, created_ms: r.get(2)? },
            artisans: r.get(3)?,
            mentors: r.get(4)?,
            staff: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every depot's name by id (for pages that say which depot a line is in).
pub fn names(tx: &Tx) -> Result<BTreeMap<String, String>, ApiError> {
    let mut q = tx.prepare_cached("SELECT id, name FROM depots")?;
    let rows = q.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The depot `id`, if there is one.
pub fn get(tx: &Tx, id: &str) -> Result<Option<Depot>, ApiError> {
    Ok(tx
        .query_row("SELECT id, name, created_ms FROM depots WHERE id = ?1", [id], |r| {
            Ok(Depot { id: r.get(0)?, name: r.get(1)?, created_ms: r.get(2)? })
        })
        .optional()?)
}

/// Move `account` to depot `depot` (operations only, audited). Her records go with her: the
/// old depot's staff phones lose them at their next sync, the new depot's receive them; a staff
/// account moved loses the old depot's records and receives the new one's
/// (`scope::depot_changed`). An account already there is left as it is.
pub fn set_depot(tx: &Tx, caller: &Caller, account_id: &str, depot: &str) -> Result<DepotMove, ApiError> {
    operations_only(caller, "move an account to another depot")?;
    let account = get_account(tx, account_id)?.ok_or_else(|| ApiError::not_found("no such account"))?;
    if account.role == Role::Operations {
        return Err(ApiError::invalid("operations accounts belong to no depot: they act on every one"));
    }
    get(tx, depot)?.ok_or_else(|| no_such_depot(depot))?;
    if account.depot_id.as_deref() == Some(depot) {
        return Ok(DepotMove::default());
    }
    tx.execute("UPDATE accounts SET depot_id = ?1 WHERE id = ?2", params![depot, account_id])?;
    let moved = scope::depot_changed(tx, account_id, account.role, account.depot_id.as_deref(), depot)?;
    let detail = format!("from {} to {depot}", account.depot_id.as_deref().unwrap_or("no depot"));
    super::console::audit(tx, &caller.account_id, "account.set_depot", Some(account_id), Some(&detail))?;
    Ok(moved)
}

/// Which records a list shows a caller, by depot: an account's records are in when the account
/// is one of `members` (every account's when there is no such set); a record of no one's (an
/// order not yet assigned) when `unassigned`. A mentor's and an artisan's lists are narrowed by
/// their own rules besides (her mentees, her own).
#[derive(Clone, Debug)]
pub struct Scope {
    members: Option<BTreeSet<String>>,
    unassigned: bool,
}

impl Scope {
    /// Every record.
    pub fn everything() -> Scope {
        Scope { members: None, unassigned: true }
    }

    /// What `caller` may list: staff their own depot's records and the orders of no one's yet
    /// (which every depot's staff see, and only operations act on); everyone else everything.
    pub fn of(tx: &Tx, caller: &Caller) -> Result<Scope, ApiError> {
        if caller.role != Role::Staff {
            return Ok(Scope::everything());
        }
        let depot = depot_of(tx, &caller.account_id)?.unwrap_or_else(|| DEFAULT_DEPOT.to_string());
        Ok(Scope { members: Some(scope::depot_members(tx, &depot, None)?), unassigned: true })
    }

    /// [`Scope::of`], narrowed by operations to depot `depot` when they name one (its records
    /// only). Staff keep their own depot's, whatever they name.
    pub fn of_filtered(tx: &Tx, caller: &Caller, depot: Option<&str>) -> Result<Scope, ApiError> {
        match depot {
            Some(d) if caller.role == Role::Operations => {
                Ok(Scope { members: Some(scope::depot_members(tx, d, None)?), unassigned: false })
            }
            _ => Scope::of(tx, caller),
        }
    }

    /// Whether a record owned by `owner` is in.
    pub fn sees(&self, owner: Option<&str>) -> bool {
        match (owner, &self.members) {
            (None, _) => self.unassigned,
            (Some(_), None) => true,
            (Some(o), Some(m)) => m.contains(o),
        }
    }

    /// Whether the account `account` is in (an operations account, in no depot, is in a
    /// depot's scope never).
    pub fn has_account(&self, account: &str) -> bool {
        self.members.as_ref().is_none_or(|m| m.contains(account))
    }
}

/// Each account's depot's name, for pages that say which depot a record's owner is in.
pub struct Directory {
    depot_of: BTreeMap<String, String>,
    names: BTreeMap<String, String>,
}

impl Directory {
    pub fn load(tx: &Tx) -> Result<Directory, ApiError> {
        let mut q = tx.prepare_cached("SELECT id, depot_id FROM accounts WHERE depot_id IS NOT NULL")?;
        let rows = q.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        Ok(Directory { depot_of: rows.collect::<Result<_, _>>()?, names: names(tx)? })
    }

    /// The name of the depot `owner` belongs to ("" for a record of no one's, or of no depot).
    pub fn depot_name(&self, owner: Option<&str>) -> String {
        owner.and_then(|o| self.depot_of.get(o)).and_then(|d| self.names.get(d)).cloned().unwrap_or_default()
    }

    /// Every depot as (id, name): the default one first, then by name.
    pub fn depots(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self.names.iter().map(|(id, n)| (id.clone(), n.clone())).collect();
        out.sort_by(|a, b| (a.0 != DEFAULT_DEPOT, &a.1, &a.0).cmp(&(b.0 != DEFAULT_DEPOT, &b.1, &b.0)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::accounts::{enroll, NewEnrollment};
    use crate::store::Db;

    fn enrollment(role: Role, name: &str, depot: Option<&str>) -> NewEnrollment {
        NewEnrollment { role, name: name.into(), mentor_id: None, depot_id: depot.map(str::to_string) }
    }

    /// A new store is one depot, the default; accounts join it unless their enrollment names
    /// another; operations join none; a wrong id and a taken name are refused in words.
    #[test]
    fn a_new_store_is_the_default_depot_and_enrollment_names_another() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let ops = Caller::local_operator();
        let depots = db.read(|tx| list(tx, &ops)).unwrap();
        assert_eq!(depots.iter().map(|d| d.depot.id.as_str()).collect::<Vec<_>>(), [DEFAULT_DEPOT]);
        let north = db.write(|tx| add(tx, &ops, " North ")).unwrap();
        assert_eq!(north.name, "North");
        let e = db.write(|tx| add(tx, &ops, "North")).unwrap_err();
        assert_eq!((e.status, e.code), (409, "conflict"));
        let a = db.write(|tx| enroll(tx, &ops, enrollment(Role::Artisan, "a", None))).unwrap();
        let b = db.write(|tx| enroll(tx, &ops, enrollment(Role::Artisan, "b", Some(&north.id)))).unwrap();
        let o = db.write(|tx| enroll(tx, &ops, enrollment(Role::Operations, "o", None))).unwrap();
        let depot = |id: &str| db.read(|tx| depot_of(tx, id)).unwrap();
        assert_eq!(depot(&a.account_id).as_deref(), Some(DEFAULT_DEPOT));
        assert_eq!(depot(&b.account_id).as_deref(), Some(north.id.as_str()));
        assert_eq!(depot(&o.account_id), None);
        let e = db.write(|tx| enroll(tx, &ops, enrollment(Role::Staff, "s", Some("no-such-depot")))).unwrap_err();
        assert_eq!(e.code, "invalid");
        assert!(e.detail.contains("no-such-depot") && e.detail.contains("depot list"), "{e}");
        let e = db.write(|tx| enroll(tx, &ops, enrollment(Role::Operations, "o2", Some(DEFAULT_DEPOT)))).unwrap_err();
        assert_eq!(e.code, "invalid");
        // Staff enroll into their own depot only.
        let s = db.write(|tx| enroll(tx, &ops, enrollment(Role::Staff, "s", Some(&north.id)))).unwrap();
        let staff = Caller { account_id: s.account_id.clone(), role: Role::Staff, device_id: None };
        let c = db.write(|tx| enroll(tx, &staff, enrollment(Role::Artisan, "c", None))).unwrap();
        assert_eq!(depot(&c.account_id).as_deref(), Some(north.id.as_str()));
        let e = db.write(|tx| enroll(tx, &staff, enrollment(Role::Artisan, "d", Some(DEFAULT_DEPOT)))).unwrap_err();
        assert_eq!(e.code, "forbidden");
        let summary = db.read(|tx| list(tx, &ops)).unwrap();
        assert_eq!((summary[1].artisans, summary[1].staff, summary[1].mentors), (2, 1, 0));
        assert_eq!(db.read(|tx| list(tx, &staff)).unwrap_err().code, "forbidden");
    }
}
