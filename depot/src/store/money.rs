//! The depot's money ledgers (issue 11 item 1, ADR 0020): entries are `Kind::Money` records, so
//! they reach their owner's phone through the change feed like any record (owner only: the
//! feed's filter, `Kind::OWNER_ONLY`) and are never overwritten. An order delivered earns its
//! artisan the order's agreed price, in the same transaction as the delivery; a refund after
//! delivery is a reversing entry. Phones never write here: a pushed money mutation is refused.

use super::accounts::Caller;
use super::{get_record, put_record, ApiError};
use fundi_sync::hlc::Timestamp;
use fundi_sync::limits::COMMAND_REASON_MAX_CHARS;
use fundi_sync::money_ledger::{balances, earning_id, reversal_id, EntryKind, MoneyBody, MoneyEntry};
use fundi_sync::workflow::OrderStatus;
use fundi_sync::{Extra, Kind, OrderBody, Role};
use rusqlite::Connection;
use std::collections::BTreeMap;

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
    Ok(())
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
