//! A mentor's mentees as her phone lists them (`GET /v1/mentees`): who each is, whether her
//! phone is enrolled or her code waits, when her phones last reached the depot (each by id, so
//! that a lost one can be revoked), and her late orders. Reads accounts, devices and orders;
//! kept apart from `accounts` and `orders` so that neither needs the other.

use super::accounts::Caller;
use super::{now_ms, ApiError};
use crate::store::sql::{params, Tx};
use fundi_sync::dates::Day;
use fundi_sync::limits::{MENTEES_MAX, MENTEE_DEVICES_MAX};
use fundi_sync::{Mentee, MenteesPage, Role};

/// A mentor's mentees and how their phones stand, by name. Mentors only: staff and operations
/// see people in the depot's console.
pub fn mentees(conn: &Tx, caller: &Caller) -> Result<MenteesPage, ApiError> {
    if caller.role != Role::Mentor {
        return Err(ApiError::forbidden("only a mentor has mentees"));
    }
    let mut q = conn.prepare_cached(
        "SELECT a.id, a.name,
                (SELECT COUNT(*) FROM devices d WHERE d.account_id = a.id AND d.revoked_ms IS NULL),
                EXISTS (SELECT 1 FROM enrollment_codes c WHERE c.account_id = a.id AND c.used_ms IS NULL AND c.expires_ms > ?2),
                (SELECT MAX(d.last_seen_ms) FROM devices d WHERE d.account_id = a.id)
         FROM accounts a WHERE a.mentor_id = ?1 AND a.role = 'artisan' ORDER BY a.name, a.id LIMIT ?3",
    )?;
    let rows = q.query_map(params![caller.account_id, now_ms() as i64, MENTEES_MAX as i64], |r| {
        Ok(Mentee {
            account_id: r.get(0)?,
            name: r.get(1)?,
            phones: r.get::<_, i64>(2)? as u32,
            code_waiting: r.get(3)?,
            last_seen_ms: r.get::<_, Option<i64>>(4)?.map(|ms| ms as u64),
            late_orders: 0,
            devices: vec![],
        })
    })?;
    let mut mentees: Vec<Mentee> = rows.collect::<Result<_, _>>()?;
    let today = Day::of_ms(now_ms());
    for m in &mut mentees {
        m.late_orders = super::orders::late_orders_of(conn, &m.account_id, today)?;
        m.devices = super::accounts::devices(conn, &m.account_id, MENTEE_DEVICES_MAX)?;
    }
    Ok(MenteesPage { mentees })
}
