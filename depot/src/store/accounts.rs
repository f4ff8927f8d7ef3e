//! Identity: accounts with roles (and the depot each belongs to, ADR 0030), enrollment codes
//! exchanged once for a device credential, rotating tokens that survive a lost reply,
//! revocation, the caller's relation to a record, and moving an artisan to another mentor.

use super::{now_ms, random_secret, sha256_hex, ApiError};
use crate::store::sql::{params, OptionalExtension, Tx};
use fundi_sync::{enrollment, ids};
use fundi_sync::{Relation, Role};
use serde::{Deserialize, Serialize};

use fundi_sync::limits::{
    ACCOUNT_NAME_MAX_CHARS, ENROLLMENT_CODE_TTL_MS as CODE_TTL_MS, ENROLLMENT_RETRY_WINDOW_MS as RETRY_WINDOW_MS,
};
pub use fundi_sync::{DeviceCredential, EnrollmentCode as Enrollment, EnrollmentRequest as NewEnrollment, RotatedToken};

/// Who is calling: an enrolled device's account, or the local operator (command line).
#[derive(Clone, Debug)]
pub struct Caller {
    pub account_id: String,
    pub role: Role,
    pub device_id: Option<String>,
}

impl Caller {
    /// The operator at the depot box's own command line: acts as operations.
    pub fn local_operator() -> Caller {
        Caller { account_id: String::new(), role: Role::Operations, device_id: None }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Account {
    pub id: String,
    pub role: Role,
    pub name: String,
    #[serde(default)]
    pub mentor_id: Option<String>,
    /// The depot the account belongs to (none for operations, who act on every depot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depot_id: Option<String>,
}

pub fn get_account(conn: &Tx, id: &str) -> Result<Option<Account>, ApiError> {
    let row: Option<(String, String, Option<String>, Option<String>)> = conn
        .query_row("SELECT role, name, mentor_id, depot_id FROM accounts WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    Ok(row.map(|(role, name, mentor_id, depot_id)| Account {
        id: id.to_string(),
        role: Role::from_code(&role).unwrap_or(Role::Artisan),
        name,
        mentor_id,
        depot_id,
    }))
}

/// The caller's relation to the artisan `owner` of a record (the protocol's rule, over SQL).
pub fn relation(conn: &Tx, caller: &Caller, owner: Option<&str>) -> Result<Relation, ApiError> {
    let who = fundi_sync::depot::Caller { account_id: caller.account_id.clone(), role: caller.role };
    fundi_sync::depot::relation(&super::facts::SqlFacts(conn), &who, owner)
}

/// Create an account and its first enrollment code. Mentors enroll their own mentees; depot
/// staff enroll artisans; operations enroll anyone. The account joins the depot the request
/// names, or the default one (`depot_for_enrollment`: staff and mentors enroll into their own).
pub fn enroll(conn: &Tx, caller: &Caller, req: NewEnrollment) -> Result<Enrollment, ApiError> {
    // The limit counts the name as sent, as the API document states it; it is stored trimmed.
    let name = req.name.trim();
    if name.is_empty() || req.name.chars().count() > ACCOUNT_NAME_MAX_CHARS || req.name.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!("name must be 1 to {ACCOUNT_NAME_MAX_CHARS} printable characters")));
    }
    let mentor_id = match (caller.role, req.role) {
        (Role::Operations, Role::Artisan) | (Role::Staff, Role::Artisan) => req.mentor_id,
        (Role::Operations, _) => None,
        (Role::Mentor, Role::Artisan) => {
            if req.mentor_id.as_deref().is_some_and(|m| m != caller.account_id) {
                return Err(ApiError::forbidden("a mentor enrolls their own mentees"));
            }
            Some(caller.account_id.clone())
        }
        _ => return Err(ApiError::forbidden(format!("{} may not enroll a {}", caller.role.code(), req.role.code()))),
    };
    if let Some(m) = &mentor_id {
        match get_account(conn, m)? {
            Some(a) if a.role == Role::Mentor => {}
            _ => return Err(ApiError::invalid("mentor_id is not a mentor")),
        }
    }
    let depot = depot_for_enrollment(conn, caller, req.role, req.depot_id.as_deref())?;
    let id = ids::new_id();
    conn.execute(
        "INSERT INTO accounts (id, role, name, mentor_id, created_ms, depot_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, req.role.code(), name, mentor_id, now_ms() as i64, depot],
    )?;
    issue_code(conn, caller, &id)
}

/// A new code for an existing account (a replacement phone, a second device): operations for
/// anyone; a mentor for their mentees; staff for their own depot's artisans.
pub fn replacement_code(conn: &Tx, caller: &Caller, account_id: &str) -> Result<Enrollment, ApiError> {
    let account = get_account(conn, account_id)?.ok_or_else(|| ApiError::not_found("no such account"))?;
    let allowed = match caller.role {
        Role::Operations => true,
        Role::Staff => account.role == Role::Artisan && relation(conn, caller, Some(account_id))? != Relation::OtherDepot,
        Role::Mentor => account.mentor_id.as_deref() == Some(caller.account_id.as_str()),
        Role::Artisan => false,
    };
    if !allowed {
        return Err(ApiError::not_found("no such account"));
    }
    issue_code(conn, caller, account_id)
}

/// How many fresh codes `issue_code` draws before it gives up on finding a free name.
const CODE_NAME_TRIES: u32 = 32;

fn issue_code(conn: &Tx, caller: &Caller, account_id: &str) -> Result<Enrollment, ApiError> {
    let now = now_ms();
    // The first group names the code in clear: it must be unique among codes still usable. Its
    // 16 bits leave room for far more live codes than a depot hands out in a week, but the tries
    // are bounded, so a store crowded with codes answers `busy` instead of looping under the lock.
    let mut tries = 0;
    let code = loop {
        let code = random_secret()[..enrollment::CODE_LEN].to_uppercase();
        let clash: i64 = conn.query_row(
            "SELECT COUNT(*) FROM enrollment_codes WHERE code_id = ?1 AND used_ms IS NULL AND expires_ms >= ?2",
            params![enrollment::code_id(&code), now as i64],
            |r| r.get(0),
        )?;
        if clash == 0 {
            break code;
        }
        tries += 1;
        if tries >= CODE_NAME_TRIES {
            return Err(ApiError::busy("too many enrollment codes are waiting to be used: let some expire or use them"));
        }
    };
    let expires_ms = now + CODE_TTL_MS;
    conn.execute(
        "INSERT INTO enrollment_codes (code_hash, code_id, account_id, issued_by, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![enrollment::code_secret(&code), enrollment::code_id(&code), account_id, caller.account_id, expires_ms as i64],
    )?;
    Ok(Enrollment { account_id: account_id.to_string(), code: enrollment::format_code(&code), expires_ms })
}

/// The stored secret of the code a phone names (the newest, if a name was reused after its
/// code expired or was used); `None` if no code has that name.
pub fn code_secret(conn: &Tx, code_id: &str) -> Result<Option<String>, ApiError> {
    Ok(conn
        .query_row("SELECT code_hash FROM enrollment_codes WHERE code_id = ?1 ORDER BY expires_ms DESC LIMIT 1", [code_id], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Exchange an enrollment code (named by its stored secret, once the key exchange proved the
/// phone knows it) for a device credential. Once only, except that the same phone may retry for
/// a while when the reply was lost (it gets a fresh token; the first is void).
pub fn exchange_code(conn: &Tx, secret: &str, device_id: &str, ttl_ms: u64) -> Result<DeviceCredential, ApiError> {
    if !ids::is_valid_id(device_id) {
        return Err(ApiError::invalid("device_id must be a UUID"));
    }
    let now = now_ms();
    let row: Option<(String, i64, Option<i64>, Option<String>)> = conn
        .query_row("SELECT account_id, expires_ms, used_ms, used_by FROM enrollment_codes WHERE code_hash = ?1", [secret], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((account_id, expires_ms, used_ms, used_by)) = row else {
        return Err(ApiError::unauthorized());
    };
    if (expires_ms as u64) < now {
        return Err(ApiError::token_expired());
    }
    let retry = match (used_ms, used_by) {
        (None, _) => false,
        (Some(at), Some(by)) if by == device_id && now.saturating_sub(at as u64) < RETRY_WINDOW_MS => true,
        _ => return Err(ApiError::conflict("this enrollment code was already used")),
    };
    let token = random_secret();
    let expires = now + ttl_ms;
    if retry {
        conn.execute(
            "UPDATE devices SET token_hash = ?1, next_token_hash = NULL, token_expires_ms = ?2 WHERE device_id = ?3 AND revoked_ms IS NULL",
            params![sha256_hex(&token), expires as i64, device_id],
        )?;
    } else {
        let taken: i64 = conn.query_row("SELECT COUNT(*) FROM devices WHERE device_id = ?1", [device_id], |r| r.get(0))?;
        if taken > 0 {
            return Err(ApiError::conflict("device already enrolled"));
        }
        conn.execute(
            "INSERT INTO devices (device_id, account_id, token_hash, token_expires_ms, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![device_id, account_id, sha256_hex(&token), expires as i64, now as i64],
        )?;
        conn.execute(
            "UPDATE enrollment_codes SET used_ms = ?1, used_by = ?2 WHERE code_hash = ?3",
            params![now as i64, device_id, secret],
        )?;
    }
    let account = get_account(conn, &account_id)?.ok_or_else(|| ApiError::internal("code without account"))?;
    Ok(DeviceCredential { account_id, role: account.role, device_id: device_id.to_string(), token, token_expires_ms: expires })
}

/// Who a device token speaks for, and whether a write is due (the next token's first use
/// promotes it; `last_seen_ms` is a step old).
pub struct Identified {
    pub caller: Caller,
    promote_next: bool,
    seen_due: bool,
}

impl Identified {
    pub fn write_due(&self) -> bool {
        self.promote_next || self.seen_due
    }
}

/// Who holds this bearer token, read only: most requests need no write, so they authenticate
/// without taking the store's write lock ([`authenticate`] when one is due).
pub fn identify(conn: &Tx, token: &str) -> Result<Identified, ApiError> {
    if token.is_empty() || token.len() > 128 {
        return Err(ApiError::unauthorized());
    }
    let h = sha256_hex(token);
    let row: Option<(String, String, bool, i64, Option<i64>, Option<i64>)> = conn
        .query_row(
            "SELECT device_id, account_id, next_token_hash = ?1, token_expires_ms, revoked_ms, last_seen_ms FROM devices
             WHERE token_hash = ?1 OR next_token_hash = ?1",
            [&h],
            |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<bool>>(2)?.unwrap_or(false), r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
    let Some((device_id, account_id, promote_next, expires, revoked, last_seen)) = row else {
        return Err(ApiError::unauthorized());
    };
    if revoked.is_some() {
        return Err(ApiError::revoked());
    }
    if (expires as u64) < now_ms() {
        return Err(ApiError::token_expired());
    }
    let account = get_account(conn, &account_id)?.ok_or_else(ApiError::unauthorized)?;
    let seen_due = last_seen.is_none_or(|t| t <= now_ms() as i64 - LAST_SEEN_STEP_MS);
    Ok(Identified { caller: Caller { account_id, role: account.role, device_id: Some(device_id) }, promote_next, seen_due })
}

/// [`identify`], then what is due written: using a rotated token makes it the only valid one,
/// and `last_seen_ms` moves on.
pub fn authenticate(conn: &Tx, token: &str) -> Result<Caller, ApiError> {
    let who = identify(conn, token)?;
    let device_id = who.caller.device_id.as_deref().unwrap_or_default();
    if who.promote_next {
        conn.execute(
            "UPDATE devices SET token_hash = next_token_hash, next_token_hash = NULL WHERE device_id = ?1",
            [device_id],
        )?;
    }
    if who.seen_due {
        conn.execute("UPDATE devices SET last_seen_ms = ?2 WHERE device_id = ?1", params![device_id, now_ms() as i64])?;
    }
    Ok(who.caller)
}

/// A phone's `last_seen_ms` is written at most this often: one write a minute, not one a request.
const LAST_SEEN_STEP_MS: i64 = 60_000;

/// Issue the next token. The current one keeps working until the new one is first used, so a
/// reply lost on bad Wi-Fi is harmless: the phone asks again with the old token.
pub fn rotate(conn: &Tx, caller: &Caller, ttl_ms: u64) -> Result<RotatedToken, ApiError> {
    let device = caller.device_id.as_deref().ok_or_else(ApiError::unauthorized)?;
    let token = random_secret();
    let expires = now_ms() + ttl_ms;
    conn.execute(
        "UPDATE devices SET next_token_hash = ?1, token_expires_ms = ?2 WHERE device_id = ?3",
        params![sha256_hex(&token), expires as i64, device],
    )?;
    Ok(RotatedToken { token, token_expires_ms: expires })
}

/// Revoke a lost phone. Its owner, the owner's mentor, and operations may.
pub fn revoke(conn: &Tx, caller: &Caller, device_id: &str) -> Result<(), ApiError> {
    let owner: Option<String> =
        conn.query_row("SELECT account_id FROM devices WHERE device_id = ?1", [device_id], |r| r.get(0)).optional()?;
    let Some(owner) = owner else { return Err(ApiError::not_found("no such device")) };
    let allowed =
        caller.role == Role::Operations || matches!(relation(conn, caller, Some(&owner))?, Relation::Owner | Relation::Mentor);
    if !allowed {
        return Err(ApiError::not_found("no such device"));
    }
    conn.execute("UPDATE devices SET revoked_ms = ?1 WHERE device_id = ?2", params![now_ms() as i64, device_id])?;
    Ok(())
}

/// Move artisan `artisan_id` to mentor `mentor_id` (or leave her without one). Operations only,
/// as assigning orders is. The old mentor's phones lose her records at their next sync, the
/// new mentor's receive them (`scope::mentor_changed`); nothing else about them changes.
pub fn set_mentor(
    conn: &Tx,
    caller: &Caller,
    artisan_id: &str,
    mentor_id: Option<&str>,
) -> Result<super::scope::MentorMove, ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("only operations move an artisan to another mentor"));
    }
    let artisan = match get_account(conn, artisan_id)? {
        Some(a) if a.role == Role::Artisan => a,
        Some(_) => return Err(ApiError::invalid("only artisans have mentors")),
        None => return Err(ApiError::not_found("no such account")),
    };
    if let Some(m) = mentor_id {
        match get_account(conn, m)? {
            Some(a) if a.role == Role::Mentor => {}
            _ => return Err(ApiError::invalid("mentor_id is not a mentor")),
        }
    }
    if artisan.mentor_id.as_deref() == mentor_id {
        return Ok(Default::default());
    }
    conn.execute("UPDATE accounts SET mentor_id = ?1 WHERE id = ?2", params![mentor_id, artisan_id])?;
    super::scope::mentor_changed(conn, artisan_id, artisan.mentor_id.as_deref(), mentor_id)
}

/// `account`'s phones enrolled and not revoked, most recently seen first (at most `limit`).
pub fn devices(conn: &Tx, account: &str, limit: usize) -> Result<Vec<fundi_sync::MenteeDevice>, ApiError> {
    let mut q = conn.prepare_cached(
        "SELECT device_id, created_ms, last_seen_ms FROM devices WHERE account_id = ?1 AND revoked_ms IS NULL
         ORDER BY last_seen_ms DESC NULLS LAST, created_ms DESC LIMIT ?2",
    )?;
    let rows = q.query_map(params![account, limit as i64], |r| {
        Ok(fundi_sync::MenteeDevice {
            device_id: r.get(0)?,
            enrolled_ms: r.get::<_, i64>(1)? as u64,
            last_seen_ms: r.get::<_, Option<i64>>(2)?.map(|ms| ms as u64),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The accounts `caller` looks after, by name: operations everyone (of depot `depot` only, when
/// they name one); staff their own depot's artisans; a mentor her mentees; an artisan no one.
pub fn people(conn: &Tx, caller: &Caller, depot: Option<&str>) -> Result<Vec<Account>, ApiError> {
    let ids = |sql: &str, args: &[&dyn crate::store::sql::ToValue]| -> Result<Vec<String>, ApiError> {
        let mut q = conn.prepare(sql)?;
        let rows = q.query_map(args, |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let ids = match caller.role {
        Role::Operations => match depot {
            Some(d) => ids("SELECT id FROM accounts WHERE depot_id = ?1 ORDER BY role, name, id", &[&d])?,
            None => ids("SELECT id FROM accounts ORDER BY role, name, id", &[])?,
        },
        Role::Staff => ids(
            "SELECT a.id FROM accounts a JOIN accounts me ON me.depot_id = a.depot_id
             WHERE me.id = ?1 AND a.role = 'artisan' ORDER BY a.name, a.id",
            &[&caller.account_id],
        )?,
        Role::Mentor => {
            ids("SELECT id FROM accounts WHERE role = 'artisan' AND mentor_id = ?1 ORDER BY name, id", &[&caller.account_id])?
        }
        Role::Artisan => return Err(ApiError::forbidden("artisans look after no one")),
    };
    ids.iter().filter_map(|id| get_account(conn, id).transpose()).collect()
}

/// Accounts of one role, for the command line.
pub fn list_accounts(conn: &Tx) -> Result<Vec<Account>, ApiError> {
    let mut s = conn.prepare("SELECT id FROM accounts ORDER BY created_ms, id")?;
    let ids: Vec<String> = s.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    ids.iter().filter_map(|id| get_account(conn, id).transpose()).collect()
}

// ---- The depot an account belongs to (ADR 0030; the depots themselves are `store::depots`) ----

/// The default depot: the one a store made before several depots becomes, and the one an
/// account joins when its enrollment names none (migration 014 inserts it).
pub const DEFAULT_DEPOT: &str = "00000000-0000-7000-8000-00000000d001";

/// The refusal for a depot id that names no depot: what to do about it, in words.
pub(crate) fn no_such_depot(id: &str) -> ApiError {
    ApiError::invalid(format!("no depot has the id {id:?}: `fundi-depot depot list` shows the depots and their ids"))
}

/// The depot `account` belongs to (none: an operations account, or no such account).
pub fn depot_of(tx: &Tx, account: &str) -> Result<Option<String>, ApiError> {
    let depot: Option<Option<String>> =
        tx.query_row("SELECT depot_id FROM accounts WHERE id = ?1", [account], |r| r.get(0)).optional()?;
    Ok(depot.flatten())
}

/// The depot a new account of `role`, enrolled by `caller`, joins; `requested` is the depot its
/// enrollment names, if any. Operations enroll into any depot (the default one when none is
/// named); staff and mentors into their own (staff their depot's artisans, a mentor her mentees).
/// An operations account joins none.
pub fn depot_for_enrollment(tx: &Tx, caller: &Caller, role: Role, requested: Option<&str>) -> Result<Option<String>, ApiError> {
    if role == Role::Operations {
        if requested.is_some() {
            return Err(ApiError::invalid("operations accounts belong to no depot (they act on every one): name none"));
        }
        return Ok(None);
    }
    if caller.role == Role::Operations {
        let id = requested.unwrap_or(DEFAULT_DEPOT);
        if tx.query_row("SELECT 1 FROM depots WHERE id = ?1", [id], |_| Ok(())).optional()?.is_none() {
            return Err(no_such_depot(id));
        }
        return Ok(Some(id.to_string()));
    }
    let own = depot_of(tx, &caller.account_id)?.unwrap_or_else(|| DEFAULT_DEPOT.to_string());
    if requested.is_some_and(|r| r != own) {
        return Err(ApiError::forbidden("staff and mentors enroll people into their own depot only"));
    }
    Ok(Some(own))
}

#[cfg(test)]
mod code_name_tests {
    use super::*;

    /// With every code name taken by a live code, issuing answers `busy` instead of looping.
    #[test]
    fn a_store_full_of_live_codes_answers_busy_rather_than_looping() {
        let dir = tempfile::tempdir().unwrap();
        let db = super::super::Db::open(dir.path()).unwrap();
        let ops = Caller::local_operator();
        let account = db
            .write(|tx| {
                enroll(tx, &ops, NewEnrollment { role: Role::Artisan, name: "n".into(), mentor_id: None, depot_id: None })
            })
            .unwrap()
            .account_id;
        let far = (now_ms() + 3_600_000) as i64;
        db.write(|tx| {
            for name in 0..=0xFFFFu32 {
                tx.execute(
                    "INSERT INTO enrollment_codes (code_hash, code_id, account_id, expires_ms) VALUES (?1, ?2, ?3, ?4)",
                    params![format!("filler{name}"), format!("{name:04X}"), account, far],
                )?;
            }
            Ok(())
        })
        .unwrap();
        let e = db.write(|tx| replacement_code(tx, &ops, &account)).unwrap_err();
        assert_eq!((e.status, e.code), (503, "busy"));
    }
}
