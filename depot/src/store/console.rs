//! The depot console's sign-in, sessions and audit log (issue 12, ADR 0024). Staff, operations
//! and mentors sign in with a login and a password they set themselves with a one-time setup
//! code (operations issue it; only its hash is kept). Passwords are argon2id hashes; a session
//! is a random cookie of which only the hash is stored, with its own CSRF token, an idle and an
//! absolute lifetime; setting a password or "sign out everywhere" ends every session of the
//! account. Every change made in the console is a row of the audit log.
//!
//! Hashing a password takes tens of milliseconds: [`hash_password`] and [`verify_password`] run
//! outside any transaction, so the store's one connection is never held while they work.

use super::accounts::{get_account, Caller};
use super::{now_ms, random_secret, sha256_hex, ApiError};
use crate::store::sql::{params, OptionalExtension, Tx};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use fundi_sync::Role;
use serde::Serialize;

/// A setup code is good for two days.
pub const SETUP_CODE_TTL_MS: u64 = 48 * 3_600_000;
/// A session unused for 12 hours ends; none lives past 7 days.
pub const SESSION_IDLE_MS: u64 = 12 * 3_600_000;
pub const SESSION_MAX_MS: u64 = 7 * 24 * 3_600_000;
/// Passwords: 10 to 128 characters (long ones are welcome; beyond 128 is a paste gone wrong).
pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Logins: 3 to 32 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub const LOGIN_MAX_CHARS: usize = 32;
/// Audit rows one page lists.
pub const AUDIT_PAGE_MAX: usize = 200;

/// Who a console session is: the same [`Caller`] the sync API checks, so the console's reads
/// and changes go through the very functions the API uses.
#[derive(Clone, Debug)]
pub struct ConsoleSession {
    pub caller: Caller,
    pub name: String,
    pub csrf_token: String,
}

/// The roles the console serves; artisans use the app.
pub fn console_role(role: Role) -> bool {
    matches!(role, Role::Staff | Role::Operations | Role::Mentor)
}

/// A setup code as shown: 16 hexadecimal digits in groups of four.
fn new_setup_code() -> String {
    let raw = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    format!("{}-{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12], &raw[12..16])
}

/// A code as typed, forgiving of spaces, dashes and case.
pub fn normalize_setup_code(typed: &str) -> String {
    typed.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Issue a one-time code with which `account` sets its console password (operations, or the
/// local operator). Artisans have no console. Any earlier unused code of the account stops
/// working.
pub fn issue_setup_code(tx: &Tx, caller: &Caller, account: &str) -> Result<String, ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("only operations issue console setup codes"));
    }
    let who = get_account(tx, account)?.ok_or_else(|| ApiError::not_found("no such account"))?;
    if !console_role(who.role) {
        return Err(ApiError::invalid("artisans use the app, not the console"));
    }
    let now = now_ms() as i64;
    tx.execute("UPDATE console_setup_codes SET used_ms = ?2 WHERE account_id = ?1 AND used_ms IS NULL", params![account, now])?;
    let code = new_setup_code();
    tx.execute(
        "INSERT INTO console_setup_codes (code_hash, account_id, created_by, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![sha256_hex(&normalize_setup_code(&code)), account, caller.account_id, now, now + SETUP_CODE_TTL_MS as i64],
    )?;
    audit(tx, &caller.account_id, "console.setup_code", Some(account), None)?;
    Ok(code)
}

/// What is wrong with `login`, if anything.
pub fn login_problem(login: &str) -> Option<String> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    let first_ok = login.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if login.len() < 3 || login.len() > LOGIN_MAX_CHARS || !first_ok || !login.chars().all(ok_char) {
        return Some(format!("a login is 3 to {LOGIN_MAX_CHARS} of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"));
    }
    None
}

/// What is wrong with `password`, if anything.
pub fn password_problem(password: &str) -> Option<String> {
    let n = password.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&n) {
        return Some(format!("a password is {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters"));
    }
    if password.chars().any(char::is_control) {
        return Some("a password has no control characters".into());
    }
    None
}

/// An argon2id hash of `password` (a PHC string with its salt and parameters). Slow on purpose:
/// call it outside any transaction.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches `stored` (a PHC string). Slow on purpose, like [`hash_password`].
pub fn verify_password(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash verified when a login is unknown, so that a wrong login takes as long as a wrong
/// password and the timing does not tell which logins exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("not anyone's password at all").unwrap_or_default())
}

/// Set `login` and the password hashed as `password_hash` for the account `code` was issued to
/// (the code is used up). A wrong, used or expired code is `invalid` (the same answer for each,
/// so codes cannot be probed); a login another account has is a `conflict`. Every session of the
/// account ends. Returns the account id.
pub fn set_password(tx: &Tx, code: &str, login: &str, password_hash: &str) -> Result<String, ApiError> {
    let now = now_ms() as i64;
    let account: Option<String> = tx
        .query_row(
            "SELECT account_id FROM console_setup_codes WHERE code_hash = ?1 AND used_ms IS NULL AND expires_ms > ?2",
            params![sha256_hex(&normalize_setup_code(code)), now],
            |r| r.get(0),
        )
        .optional()?;
    let account =
        account.ok_or_else(|| ApiError::invalid("this setup code is wrong, used or expired: ask operations for a new one"))?;
    if let Some(problem) = login_problem(login) {
        return Err(ApiError::invalid(problem));
    }
    let taken: Option<String> =
        tx.query_row("SELECT account_id FROM console_credentials WHERE login = ?1", [login], |r| r.get(0)).optional()?;
    if taken.is_some_and(|a| a != account) {
        return Err(ApiError::conflict("this login is taken: choose another"));
    }
    tx.execute(
        "INSERT INTO console_credentials (account_id, login, password_hash, set_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (account_id) DO UPDATE SET login = excluded.login, password_hash = excluded.password_hash, set_ms = excluded.set_ms",
        params![account, login, password_hash, now],
    )?;
    tx.execute(
        "UPDATE console_setup_codes SET used_ms = ?2 WHERE code_hash = ?1",
        params![sha256_hex(&normalize_setup_code(code)), now],
    )?;
    end_all_sessions(tx, &account)?;
    audit(tx, &account, "console.password_set", None, Some(login))?;
    Ok(account)
}

/// The account and stored hash for `login`, if there is one (an artisan's never: none is set).
pub fn credentials(tx: &Tx, login: &str) -> Result<Option<(String, String)>, ApiError> {
    Ok(tx
        .query_row("SELECT account_id, password_hash FROM console_credentials WHERE login = ?1", [login], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// A new session for `account`: (the cookie's secret, to send once; its CSRF token).
pub fn create_session(tx: &Tx, account: &str) -> Result<(String, String), ApiError> {
    let (secret, csrf) = (random_secret(), random_secret());
    let now = now_ms() as i64;
    tx.execute(
        "INSERT INTO console_sessions (id_hash, account_id, csrf_token, created_ms, last_seen_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        params![sha256_hex(&secret), account, csrf, now, now + SESSION_MAX_MS as i64],
    )?;
    audit(tx, account, "console.sign_in", None, None)?;
    Ok((secret, csrf))
}

/// The session whose cookie is `secret`, if it is live (touched: its idle time starts again).
/// An account that left the console's roles has no session.
pub fn session(tx: &Tx, secret: &str) -> Result<Option<ConsoleSession>, ApiError> {
    let now = now_ms() as i64;
    let id = sha256_hex(secret);
    let row: Option<(String, String, i64, i64)> = tx
        .query_row(
            "SELECT account_id, csrf_token, last_seen_ms, expires_ms FROM console_sessions WHERE id_hash = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((account, csrf_token, last_seen, expires)) = row else { return Ok(None) };
    if now >= expires || now - last_seen >= SESSION_IDLE_MS as i64 {
        tx.execute("DELETE FROM console_sessions WHERE id_hash = ?1", [&id])?;
        return Ok(None);
    }
    let Some(who) = get_account(tx, &account)?.filter(|a| console_role(a.role)) else { return Ok(None) };
    // To the minute: a page view does not write on every request.
    if now - last_seen >= 60_000 {
        tx.execute("UPDATE console_sessions SET last_seen_ms = ?2 WHERE id_hash = ?1", params![id, now])?;
    }
    Ok(Some(ConsoleSession {
        caller: Caller { account_id: account, role: who.role, device_id: None },
        name: who.name,
        csrf_token,
    }))
}

/// End the session whose cookie is `secret`.
pub fn end_session(tx: &Tx, secret: &str) -> Result<(), ApiError> {
    tx.execute("DELETE FROM console_sessions WHERE id_hash = ?1", [sha256_hex(secret)])?;
    Ok(())
}

/// End every session of `account` ("sign out everywhere", a new password).
pub fn end_all_sessions(tx: &Tx, account: &str) -> Result<usize, ApiError> {
    Ok(tx.execute("DELETE FROM console_sessions WHERE account_id = ?1", [account])?)
}

/// Write one row of the audit log.
pub fn audit(tx: &Tx, account: &str, action: &str, target: Option<&str>, detail: Option<&str>) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO audit_log (at_ms, account_id, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![now_ms() as i64, account, action, target, detail],
    )?;
    Ok(())
}

/// One row of the audit log, with the name of who acted.
#[derive(Clone, Debug, Serialize)]
pub struct AuditRow {
    pub at_ms: i64,
    pub account_id: String,
    pub name: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

/// The latest rows of the audit log, newest first (operations only).
pub fn audit_log(tx: &Tx, caller: &Caller) -> Result<Vec<AuditRow>, ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("only operations read the audit log"));
    }
    let mut q = tx.prepare_cached(
        "SELECT l.at_ms, l.account_id, a.name, l.action, l.target, l.detail
         FROM audit_log l LEFT JOIN accounts a ON a.id = l.account_id ORDER BY l.id DESC LIMIT ?1",
    )?;
    let rows = q.query_map([AUDIT_PAGE_MAX as i64], |r| {
        Ok(AuditRow {
            at_ms: r.get(0)?,
            account_id: r.get(1)?,
            name: r.get(2)?,
            action: r.get(3)?,
            target: r.get(4)?,
            detail: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
