//! The account's money as the depot last sent it (issue 11 item 4, ADR 0020): her earnings per
//! order, payouts and what became of them, and the balance. The entries are `Kind::Money`
//! records the depot writes and sends to their owner only; the phone keeps them with the other
//! records it does not write (`documents`) and never changes them. A balance is the sum of the
//! entries (`fundi_sync::money_ledger::balances`), never a stored number.

use crate::error::{Error, Result};
use crate::{documents, orders, Store};
use fundi_sync::money_ledger::{balances, EntryKind, MoneyBody};
use fundi_sync::Kind;

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
}

/// Her money: entries newest first and the balance (Kenyan shillings: the currency orders are
/// priced in; entries in another currency are listed but not in this balance).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Earnings {
    pub entries: Vec<EarningItem>,
    pub balance_minor: i64,
    /// Earned in all (earnings less reversals), for "earned so far".
    pub earned_minor: i64,
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
            let balance_minor = balances(&entries).get("KES").copied().unwrap_or(0);
            let earned_minor = entries
                .iter()
                .filter(|e| e.currency == "KES")
                .filter(|e| matches!(EntryKind::from_code(&e.kind), Some(EntryKind::Earning | EntryKind::Reversal)))
                .map(|e| e.amount_minor)
                .sum();
            let mut items = vec![];
            for e in entries {
                let product = match &e.order_id {
                    Some(o) => orders::db::find(c, o)?.map(|o| o.product),
                    None => None,
                };
                items.push(EarningItem {
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
            Ok(Earnings { entries: items, balance_minor, earned_minor })
        })
    }
}
