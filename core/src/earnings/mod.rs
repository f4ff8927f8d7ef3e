//! The account's money as the depot last sent it (issue 11 item 4, ADR 0020): her earnings per
//! order with where its money is (owed, in a payout, paid with the M-Pesa receipt, failed with
//! the reason: `fundi_sync::money_ledger::entry_statuses`), payouts and what became of them,
//! and the balance. The entries are `Kind::Money` records the depot writes and sends to their
//! owner only; the phone keeps them with the other records it does not write (`documents`) and
//! never changes them. A balance is the sum of the entries
//! (`fundi_sync::money_ledger::balances`), never a stored number.

use crate::error::{Error, Result};
use crate::{account, documents, orders, Store};
use fundi_sync::dates::Day;
use fundi_sync::hlc::wall_clock_ms;
use fundi_sync::money_ledger::{balances, entry_statuses, EntryKind, EntryStatus, MoneyBody};
use fundi_sync::workflow::OrderStatus;
use fundi_sync::Kind;
use fundi_sync::Role;

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

/// One entry as the earnings screen shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EarningItem {
    pub id: String,
    /// `None`: a kind of entry a later depot added (counted in the balance by its sign).
    pub kind: Option<EntryKind>,
    /// Signed: credits positive.
    pub amount_minor: i64,
    pub currency: String,
    /// The order it comes from, and that order's product when the phone holds the order.
    pub order_id: Option<String>,
    pub product: Option<String>,
    pub payout_id: Option<String>,
    /// Why (a refund's or a failed payout's reason).
    pub note: Option<String>,
    pub at_ms: u64,
    /// For an earning or a commission: owed, in a payout, paid (with the M-Pesa receipt),
    /// its payout failed (with the reason), or refunded. For a payout: what became of it.
    /// `None` for other entries.
    pub status: Option<EntryStatus>,
}

/// Her money: entries newest first and the balance (Kenyan shillings: the currency orders are
/// priced in; entries in another currency are listed but not in this balance).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Earnings {
    pub entries: Vec<EarningItem>,
    pub balance_minor: i64,
    /// Earned in all (earnings less reversals), for "earned so far".
    pub earned_minor: i64,
    /// On a mentor's phone: her mentees' sales (their delivered orders' agreed prices, as her
    /// phone holds them), in all and in this calendar month (East Africa Time); 0 elsewhere.
    pub mentee_sales_minor: i64,
    pub mentee_sales_month_minor: i64,
}

/// A mentor's mentees' delivered sales, in all and this month: (0, 0) on another's phone.
fn mentee_sales(c: &rusqlite::Connection) -> Result<(i64, i64)> {
    let (me, role) = account::db::me(c)?;
    if role != Role::Mentor {
        return Ok((0, 0));
    }
    let (year, month, _) = Day::of_ms(wall_clock_ms()).civil();
    let (mut all, mut this_month) = (0i64, 0i64);
    for (_, o) in orders::db::list(c)? {
        if OrderStatus::from_code(&o.status) != Some(OrderStatus::Delivered) || o.artisan_id.as_deref() == Some(me.as_str()) {
            continue;
        }
        all = all.saturating_add(o.price_minor);
        let delivered = o.history.iter().rev().find(|e| e.status == o.status).map(|e| Day::of_ms(e.hlc.wall_ms).civil());
        if delivered.is_some_and(|(y, m, _)| (y, m) == (year, month)) {
            this_month = this_month.saturating_add(o.price_minor);
        }
    }
    Ok((all, this_month))
}

impl Store {
    /// This account's money ledger as of the last sync.
    pub fn earnings(&self) -> Result<Earnings> {
        self.read(|c| {
            let mut bodies = vec![];
            for (_, body) in documents::db::list(c, Kind::Money.code())? {
                bodies.push(serde_json::from_value::<MoneyBody>(body).map_err(corrupt)?);
            }
            let entries: Vec<_> = bodies.iter().map(|b| b.entry.clone()).collect();
            let mut statuses = entry_statuses(&entries);
            let balance_minor = balances(&entries).get("KES").copied().unwrap_or(0);
            let earned_minor = entries
                .iter()
                .filter(|e| e.currency == "KES")
                .filter(|e| matches!(EntryKind::from_code(&e.kind), Some(EntryKind::Earning | EntryKind::Reversal)))
                .map(|e| e.amount_minor)
                .sum();
            let mut items = vec![];
            // A payout's confirmation is shown as its payout's status, not as an entry of its own.
            for e in entries.into_iter().filter(|e| EntryKind::from_code(&e.kind) != Some(EntryKind::PayoutPaid)) {
                let product = match &e.order_id {
                    Some(o) => orders::db::find(c, o)?.map(|o| o.product),
                    None => None,
                };
                items.push(EarningItem {
                    status: statuses.remove(&e.id),
                    kind: EntryKind::from_code(&e.kind),
                    amount_minor: e.amount_minor,
                    product,
                    at_ms: e.hlc.wall_ms,
                    id: e.id,
                    currency: e.currency,
                    order_id: e.order_id,
                    payout_id: e.payout_id,
                    note: e.note,
                });
            }
            items.sort_by(|a, b| b.at_ms.cmp(&a.at_ms).then_with(|| b.id.cmp(&a.id)));
            let (mentee_sales_minor, mentee_sales_month_minor) = mentee_sales(c)?;
            Ok(Earnings { entries: items, balance_minor, earned_minor, mentee_sales_minor, mentee_sales_month_minor })
        })
    }
}
