//! The depot's money ledgers (issue 11 item 1, ADR 0020): entries are `Kind::Money` records, so
//! they reach their owner's phone through the change feed like any record (owner only: the
//! feed's filter, `Kind::OWNER_ONLY`) and are never overwritten. An order delivered earns its
//! artisan the order's agreed price, in the same transaction as the delivery, and her mentor the
//! commission rate in force that day (`commission_rates`, a history: a new rate applies from its
//! day), capped at the platform's margin when a shop sold the order (`margins`, ADR 0027); a
//! refund after delivery is a reversing entry, of the margin too. Phones never write here: a
//! pushed money mutation is refused.
//!
//! Payouts draw on these ledgers (ADR 0021): a batch is made from what each account may be paid
//! for the period ([`create_payout_batch`]), each payout's debit posted in the same transaction
//! as the batch; when the payout engine finds a payout paid or failed it calls
//! [`after_payout_final`] in the same transaction, which records the receipt or gives the
//! amount back with the reason.

use super::accounts::Caller;
use super::dated::DatedValues;
use super::margins;
use super::payouts::{self, Batch, NewBatch, NewPayout, PayoutPolicy, PayoutState};
use super::{get_record, put_record, ApiError};
use crate::mpesa::amount::Msisdn;
use crate::store::sql::{OptionalExtension, Tx};
use fundi_sync::dates::Day;
use fundi_sync::hlc::Timestamp;
use fundi_sync::limits::COMMAND_REASON_MAX_CHARS;
use fundi_sync::money_ledger::{
    balances, commission_id, earning_id, payout_debit_id, payout_paid_id, payout_returned_id, reversal_id, EntryKind, MoneyBody,
    MoneyEntry,
};
use fundi_sync::workflow::OrderStatus;
use fundi_sync::{Extra, Kind, OrderBody, Role};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The highest commission rate operations may set (50%): a typo of 500% is refused.
const COMMISSION_MAX_BASIS_POINTS: u32 = 5_000;
/// The currency orders are priced in (ADR 0004: one depot, Kenyan shillings).
const ORDER_CURRENCY: &str = "KES";

/// Post `entry` to `owner`'s ledger, once: an entry whose id is already there is left as it is.
/// Returns whether it was new.
fn post(tx: &Tx, owner: &str, entry: MoneyEntry) -> Result<bool, ApiError> {
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
/// (`price_minor`, the whole order's), her mentor the commission rate in force that day, and the
/// platform its margin when a shop sold the order (ADR 0027: the commission is then capped at
/// what the sale leaves over her earning). Called in the same transaction as the delivery, by
/// every path that applies an order command (a phone's push, the operations API); once per
/// order (the earning's id).
pub fn after_order_change(tx: &Tx, order_id: &str, order: &OrderBody, hlc: Timestamp) -> Result<(), ApiError> {
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
    if !post(tx, artisan, entry)? {
        return Ok(());
    }
    let mentor: Option<String> =
        tx.query_row("SELECT mentor_id FROM accounts WHERE id = ?1", [artisan], |r| r.get(0)).optional()?.flatten();
    let rate = if mentor.is_some() { rate_on(tx, Day::of_ms(hlc.wall_ms))? } else { None };
    // Rounded down to the cent: the platform never pays more than the rate.
    let commission_at_rate = rate.map_or(0, |bp| (i128::from(order.price_minor) * i128::from(bp) / 10_000) as i64);
    let margin = margins::margin_of(tx, order_id, order.price_minor, commission_at_rate)?;
    let commission = margin.as_ref().map_or(commission_at_rate, |m| m.commission_minor);
    if let Some(mentor) = mentor.filter(|_| commission > 0) {
        let entry = MoneyEntry {
            id: commission_id(order_id),
            kind: EntryKind::Commission.code().into(),
            amount_minor: commission,
            currency: ORDER_CURRENCY.into(),
            order_id: Some(order_id.to_string()),
            payout_id: None,
            note: None,
            hlc,
            extra: Extra::new(),
        };
        post(tx, &mentor, entry)?;
    }
    if let Some(margin) = margin {
        margins::post_margin(tx, order_id, &margin, hlc.wall_ms)?;
    }
    Ok(())
}

/// The mentors' commission rates' history (basis points from a day on).
const COMMISSION_RATES: DatedValues = DatedValues { table: "commission_rates", value: "basis_points", key: None };

/// The commission rate (basis points) in force on `day`: the latest rate whose day is not after it.
pub fn rate_on(tx: &Tx, day: Day) -> Result<Option<u32>, ApiError> {
    COMMISSION_RATES
        .on(tx, None, day)?
        .map(|bp| u32::try_from(bp).map_err(|_| ApiError::internal(format!("stored commission rate {bp}"))))
        .transpose()
}

/// Set the mentors' commission rate from `from` on (a new row of the history; a rate already
/// set for that very day is refused: history is not rewritten). Operations only.
pub fn set_commission_rate(tx: &Tx, caller: &Caller, from: Day, basis_points: u32) -> Result<(), ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("only operations set the commission rate"));
    }
    if basis_points > COMMISSION_MAX_BASIS_POINTS {
        return Err(ApiError::invalid(format!("a commission rate is at most {}%", COMMISSION_MAX_BASIS_POINTS / 100)));
    }
    if !COMMISSION_RATES.add(tx, None, from, i64::from(basis_points), &caller.account_id)? {
        return Err(ApiError::conflict(format!("a rate from {from} is set already: set a rate from another day")));
    }
    // Audited as an exchange rate is (`margins::set_exchange_rate`): money every mentor earns.
    let detail = format!("from {from}: {}.{:02}%", basis_points / 100, basis_points % 100);
    super::console::audit(tx, &caller.account_id, "commission_rate.set", None, Some(&detail))
}

/// The history of rates, oldest first: (from day, basis points).
pub fn commission_rates(tx: &Tx) -> Result<Vec<(String, u32)>, ApiError> {
    COMMISSION_RATES
        .all(tx)?
        .into_iter()
        .map(|r| {
            Ok((r.from, u32::try_from(r.value).map_err(|_| ApiError::internal(format!("stored commission rate {}", r.value)))?))
        })
        .collect()
}

/// Undo a delivered order's earning (a refund, a return): a reversing entry of the same amount
/// with `reason`. Operations only; once per order; only an order that earned.
pub fn reverse_earning(tx: &Tx, caller: &Caller, order_id: &str, reason: &str, hlc: Timestamp) -> Result<(), ApiError> {
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
    // And the platform's margin on it (ADR 0027): the sale is undone.
    margins::reverse_margin(tx, order_id, reason, hlc.wall_ms)?;
    Ok(())
}

/// `account`'s entries, oldest first, and its balances per currency.
pub fn ledger_of(tx: &Tx, account: &str) -> Result<(Vec<MoneyEntry>, BTreeMap<String, i64>), ApiError> {
    let mut q = tx.prepare_cached("SELECT body FROM records WHERE kind = ?1 AND owner = ?2 ORDER BY seq")?;
    let mut entries = vec![];
    for body in q.query_map(crate::store::sql::params![Kind::Money.code(), account], |r| r.get::<_, String>(0))? {
        let b: MoneyBody = serde_json::from_str(&body?).map_err(|e| ApiError::internal(e.to_string()))?;
        entries.push(b.entry);
    }
    let b = balances(&entries);
    Ok((entries, b))
}

/// What `account` may be paid for a period ending on `period_to` (KES minor units): her balance
/// less what she earned after the period (earnings and commissions dated later wait for their
/// own period). Never more than her balance; negative when she owes (a refund after a payout).
pub fn payable(tx: &Tx, account: &str, period_to: Day) -> Result<i64, ApiError> {
    let (entries, _) = ledger_of(tx, account)?;
    Ok(entries
        .iter()
        .filter(|e| e.currency == ORDER_CURRENCY)
        .filter(|e| {
            let later_credit = matches!(EntryKind::from_code(&e.kind), Some(EntryKind::Earning | EntryKind::Commission))
                && Day::of_ms(e.hlc.wall_ms) > period_to;
            !later_credit
        })
        .map(|e| e.amount_minor)
        .fold(0i64, i64::saturating_add))
}

/// A payout batch to create: for a period, either from what every account may be paid (no
/// `payouts`), or a list operations chose, each payout at most what its account may be paid.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// Inclusive calendar days, `YYYY-MM-DD`.
    pub period_from: String,
    pub period_to: String,
    #[serde(default)]
    pub payouts: Option<Vec<NewPayout>>,
}

/// An account left out of a batch made from balances, and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Skipped {
    pub account_id: String,
    pub payable_minor: i64,
    pub reason: String,
}

/// A batch just created, and who was owed money but left out of it.
#[derive(Clone, Debug, Serialize)]
pub struct CreatedBatch {
    #[serde(flatten)]
    pub batch: Batch,
    pub skipped: Vec<Skipped>,
}

/// The M-Pesa number in `account`'s profile, as Daraja writes it, or why there is none.
fn mpesa_number(tx: &Tx, account: &str) -> Result<Result<String, String>, ApiError> {
    let phone = match get_record(tx, Kind::Profile.code(), account)? {
        Some(r) => serde_json::from_value::<fundi_sync::ProfileBody>(r.body)
            .ok()
            .and_then(|p| p.text(fundi_sync::fields::PROFILE_PHONE).map(str::to_string)),
        None => None,
    };
    Ok(match phone {
        None => Err("no phone number in her profile".to_string()),
        Some(p) => Msisdn::parse(&p).map(|m| m.as_str().to_string()).map_err(|e| format!("her profile's phone number: {e}")),
    })
}

/// Create a payout batch (operations only) and post each payout's debit to its account's
/// ledger in the same transaction. From balances: every account that may be paid at least
/// M-Pesa's least payment gets one payout of the whole shillings of it (at most M-Pesa's
/// largest payment; the rest waits for the next batch), to the number in her profile; one
/// without a usable number is listed in `skipped`. From a list: each payout may not exceed what
/// its account may be paid (counting its other payouts in the list). More than is owed, or
/// nobody to pay, is a `conflict` with the ledgers as they stand.
pub fn create_payout_batch(
    tx: &Tx,
    caller: &Caller,
    req: &BatchRequest,
    policy: PayoutPolicy,
    hlc: Timestamp,
) -> Result<CreatedBatch, ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("only operations create, approve and read payout batches"));
    }
    let to = Day::parse(&req.period_to).map_err(|_| ApiError::invalid("period_to: YYYY-MM-DD"))?;
    let mut skipped = vec![];
    let list = match &req.payouts {
        Some(list) => {
            let mut asked: BTreeMap<&str, i64> = BTreeMap::new();
            for p in list {
                let sum = asked.entry(p.artisan_id.as_str()).or_insert(0);
                *sum = sum.saturating_add(p.amount_minor);
            }
            for (account, sum) in asked {
                let may = payable(tx, account, to)?;
                if sum > may {
                    return Err(ApiError::conflict(format!(
                        "{account} may be paid {} for the period, not {}",
                        shillings(may),
                        shillings(sum)
                    )));
                }
            }
            list.clone()
        }
        None => {
            let mut list = vec![];
            let mut q =
                tx.prepare_cached("SELECT DISTINCT owner FROM records WHERE kind = ?1 AND owner IS NOT NULL ORDER BY owner")?;
            let owners = q.query_map([Kind::Money.code()], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
            for account in owners {
                let may = payable(tx, &account, to)?;
                let whole = (may / 100 * 100).min(payouts::AMOUNT_MAX_MINOR);
                if whole < payouts::AMOUNT_MIN_MINOR {
                    continue;
                }
                match mpesa_number(tx, &account)? {
                    Ok(msisdn) => list.push(NewPayout {
                        id: uuid::Uuid::new_v4().to_string(),
                        artisan_id: account,
                        msisdn,
                        amount_minor: whole,
                    }),
                    Err(reason) => skipped.push(Skipped { account_id: account, payable_minor: may, reason }),
                }
            }
            if list.is_empty() {
                return Err(ApiError::conflict(format!(
                    "nobody may be paid at least {} for the period{}",
                    shillings(payouts::AMOUNT_MIN_MINOR),
                    if skipped.is_empty() {
                        String::new()
                    } else {
                        format!(" ({} without a usable M-Pesa number)", skipped.len())
                    }
                )));
            }
            list
        }
    };
    let batch = payouts::create_batch(
        tx,
        caller,
        &NewBatch { period_from: req.period_from.clone(), period_to: req.period_to.clone(), payouts: list.clone() },
        policy,
    )?;
    for p in &list {
        let entry = MoneyEntry {
            id: payout_debit_id(&p.id),
            kind: EntryKind::Payout.code().into(),
            amount_minor: -p.amount_minor,
            currency: ORDER_CURRENCY.into(),
            order_id: None,
            payout_id: Some(p.id.clone()),
            note: None,
            hlc,
            extra: Extra::new(),
        };
        post(tx, &p.artisan_id, entry)?;
    }
    Ok(CreatedBatch { batch, skipped })
}

fn shillings(minor: i64) -> String {
    fundi_sync::money::format_money(fundi_sync::money::Money::kes_minor(minor), fundi_sync::money::Language::English)
}

/// After the payout engine moved payout `payout_id` (in the same transaction): a payout found
/// paid gets its receipt recorded in the ledger, one found failed gives its amount back with
/// the reason. Once each (the entries' ids are the payout's); nothing for a payout that is not
/// final or that no ledger debited.
pub fn after_payout_final(tx: &Tx, payout_id: &str) -> Result<(), ApiError> {
    let Some(p) = payouts::payout(tx, payout_id)? else { return Ok(()) };
    let Some(debit) = get_record(tx, Kind::Money.code(), &payout_debit_id(payout_id))? else { return Ok(()) };
    let debit: MoneyBody = serde_json::from_value(debit.body).map_err(|e| ApiError::internal(e.to_string()))?;
    let hlc = super::depot_stamp(tx, p.finished_ms.unwrap_or(p.updated_ms))?;
    let (id, kind, amount_minor, note) = match p.state {
        PayoutState::Paid => (payout_paid_id(payout_id), EntryKind::PayoutPaid, 0, p.receipt.unwrap_or_default()),
        PayoutState::Failed => {
            let reason = match (p.failure_code, p.failure_reason) {
                (Some(code), Some(reason)) => format!("{code}: {reason}"),
                (None, Some(reason)) => reason,
                (Some(code), None) => code,
                (None, None) => "failed".to_string(),
            };
            (payout_returned_id(payout_id), EntryKind::PayoutReturned, -debit.entry.amount_minor, reason)
        }
        _ => return Ok(()),
    };
    let entry = MoneyEntry {
        id,
        kind: kind.code().into(),
        amount_minor,
        currency: debit.entry.currency,
        order_id: None,
        payout_id: Some(payout_id.to_string()),
        note: Some(note),
        hlc,
        extra: Extra::new(),
    };
    post(tx, &debit.owner, entry)?;
    Ok(())
}
