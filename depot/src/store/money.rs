//! The depot's money ledgers (issue 11 item 1, ADR 0020): entries are `Kind::Money` records, so
//! they reach their owner's phone through the change feed like any record (owner only: the
//! feed's filter, `Kind::OWNER_ONLY`) and are never overwritten. An order delivered earns its
//! artisan the order's agreed price, in the same transaction as the delivery, and her mentor the
//! commission rate in force that day (`commission_rates`, a history: a new rate applies from its
//! day); a refund after delivery is a reversing entry. Phones never write here: a pushed money
//! mutation is refused.

use super::accounts::Caller;
use super::{get_record, put_record, ApiError};
use fundi_sync::dates::Day;
use fundi_sync::hlc::Timestamp;
use fundi_sync::limits::COMMAND_REASON_MAX_CHARS;
use fundi_sync::money_ledger::{balances, commission_id, earning_id, reversal_id, EntryKind, MoneyBody, MoneyEntry};
use fundi_sync::workflow::OrderStatus;
use fundi_sync::{Extra, Kind, OrderBody, Role};
use rusqlite::{Connection, OptionalExtension};
use std::collections::BTreeMap;

/// The highest commission rate operations may set (50%): a typo of 500% is refused.
const COMMISSION_MAX_BASIS_POINTS: u32 = 5_000;
/// The currency orders are priced in (ADR 0004: one depot, Kenyan shillings).
const ORDER_CURRENCY: &str = "KES";

/// Post `entry` to `owner`'s ledger, once: an entry whose id is already there is left as it is.
/// Returns whether it was new.
fn post(tx: &Connection, owner: &str, entry: MoneyEntry) -> Result<bool, ApiError> {
    if get_record(tx, Kind::Money.code(), &entry.id)?.is_some() {
        return Ok(false);
    }
    let id = entry.id.clone();
    let body = serde_json::to_value(MoneyBody { owner: owner.to_string(), entry, extra: Extra::new() })
        .map_err(|e| ApiError::internal(e.to_string()))?;
    put_record(tx, Kind::Money.code(), &id, Some(owner), None, &body, None)?;
    Ok(true)
}

/// After an order's new state is written: a delivery earns its artisan the order's agreed price
/// (`price_minor`, the whole order's). Called in the same transaction as the delivery, by every
/// path that applies an order command (a phone's push, the operations API).
pub fn after_order_change(tx: &Connection, order_id: &str, order: &OrderBody, hlc: Timestamp) -> Result<(), ApiError> {
    if OrderStatus::from_code(&order.status) != Some(OrderStatus::Delivered) {
        return Ok(());
    }
    let Some(artisan) = order.artisan_id.as_deref() else {
        return Err(ApiError::internal(format!("order {order_id} delivered without an artisan")));
    };
    let entry = MoneyEntry {
        id: earning_id(order_id),
        kind: EntryKind::Earning.code().into(),
        amount_minor: order.price_minor,
        currency: ORDER_CURRENCY.into(),
        order_id: Some(order_id.to_string()),
        payout_id: None,
        note: None,
        hlc,
        extra: Extra::new(),
    };
    post(tx, artisan, entry)?;
    let mentor: Option<String> =
        tx.query_row("SELECT mentor_id FROM accounts WHERE id = ?1", [artisan], |r| r.get(0)).optional()?.flatten();
    let rate = rate_on(tx, Day::of_ms(hlc.wall_ms))?;
    if let (Some(mentor), Some(bp)) = (mentor, rate.filter(|bp| *bp > 0)) {
        // Rounded down to the cent: the platform never pays more than the rate.
        let amount = (i128::from(order.price_minor) * i128::from(bp) / 10_000) as i64;
        let entry = MoneyEntry {
            id: commission_id(order_id),
            kind: EntryKind::Commission.code().into(),
            amount_minor: amount,
            currency: ORDER_CURRENCY.into(),
            order_id: Some(order_id.to_string()),
            payout_id: None,
            note: None,
            hlc,
            extra: Extra::new(),
        };
        post(tx, &mentor, entry)?;
    }
    Ok(())
}

/// The commission rate (basis points) in force on `day`: the latest rate whose day is not after it.
pub fn rate_on(tx: &Connection, day: Day) -> Result<Option<u32>, ApiError> {
    Ok(tx
        .query_row(
            "SELECT basis_points FROM commission_rates WHERE effective_day <= ?1 ORDER BY effective_day DESC LIMIT 1",
            [day.to_string()],
            |r| r.get(0),
        )
        .optional()?)
}

/// Set the mentors' commission rate from `from` on (a new row of the history; a rate already
/// set for that very day is refused: history is not rewritten). Operations only.
pub fn set_commission_rate(tx: &Connection, caller: &Caller, from: Day, basis_points: u32) -> Result<(), ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("only operations set the commission rate"));
    }
    if basis_points > COMMISSION_MAX_BASIS_POINTS {
        return Err(ApiError::invalid(format!("a commission rate is at most {}%", COMMISSION_MAX_BASIS_POINTS / 100)));
    }
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO commission_rates (effective_day, basis_points, set_by, set_ms) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![from.to_string(), basis_points, caller.account_id, super::now_ms() as i64],
    )?;
    if inserted == 0 {
        return Err(ApiError::conflict(format!("a rate from {from} is set already: set a rate from another day")));
    }
    Ok(())
}

/// The history of rates, oldest first: (from day, basis points).
pub fn commission_rates(tx: &Connection) -> Result<Vec<(String, u32)>, ApiError> {
    let mut q = tx.prepare_cached("SELECT effective_day, basis_points FROM commission_rates ORDER BY effective_day")?;
    let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Undo a delivered order's earning (a refund, a return): a reversing entry of the same amount
/// with `reason`. Operations only; once per order; only an order that earned.
pub fn reverse_earning(tx: &Connection, caller: &Caller, order_id: &str, reason: &str, hlc: Timestamp) -> Result<(), ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("only operations refund an order"));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > COMMAND_REASON_MAX_CHARS || reason.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "a refund needs a reason of 1 to {COMMAND_REASON_MAX_CHARS} printable characters"
        )));
    }
    let earning = get_record(tx, Kind::Money.code(), &earning_id(order_id))?
        .ok_or_else(|| ApiError::not_found("this order has earned nothing: it was not delivered"))?;
    let earned: MoneyBody = serde_json::from_value(earning.body).map_err(|e| ApiError::internal(e.to_string()))?;
    let entry = MoneyEntry {
        id: reversal_id(order_id),
        kind: EntryKind::Reversal.code().into(),
        amount_minor: -earned.entry.amount_minor,
        currency: earned.entry.currency.clone(),
        order_id: Some(order_id.to_string()),
        payout_id: None,
        note: Some(reason.to_string()),
        hlc,
        extra: Extra::new(),
    };
    if !post(tx, &earned.owner, entry)? {
        return Err(ApiError::conflict("this order was refunded already"));
    }
    // The mentor's commission on it goes too: she earns on sales that stayed sold.
    if let Some(commission) = get_record(tx, Kind::Money.code(), &commission_id(order_id))? {
        let c: MoneyBody = serde_json::from_value(commission.body).map_err(|e| ApiError::internal(e.to_string()))?;
        let entry = MoneyEntry {
            id: reversal_id(&commission_id(order_id)),
            kind: EntryKind::Reversal.code().into(),
            amount_minor: -c.entry.amount_minor,
            currency: c.entry.currency,
            order_id: Some(order_id.to_string()),
            payout_id: None,
            note: Some(reason.to_string()),
            hlc,
            extra: Extra::new(),
        };
        post(tx, &c.owner, entry)?;
    }
    Ok(())
}

/// `account`'s entries, oldest first, and its balances per currency.
pub fn ledger_of(tx: &Connection, account: &str) -> Result<(Vec<MoneyEntry>, BTreeMap<String, i64>), ApiError> {
    let mut q = tx.prepare_cached("SELECT body FROM records WHERE kind = ?1 AND owner = ?2 ORDER BY seq")?;
    let mut entries = vec![];
    for body in q.query_map(rusqlite::params![Kind::Money.code(), account], |r| r.get::<_, String>(0))? {
        let b: MoneyBody = serde_json::from_str(&body?).map_err(|e| ApiError::internal(e.to_string()))?;
        entries.push(b.entry);
    }
    let b = balances(&entries);
    Ok((entries, b))
}
