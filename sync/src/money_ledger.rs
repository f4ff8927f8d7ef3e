//! Money ledgers (issue 11, ADR 0020): what each account earned and was paid, as append-only
//! entries with ids. A balance is the sum of its entries and is never stored or overwritten;
//! a correction is a reversing entry, never an edit. Entries are written by the depot only (on
//! an order's delivery, a payout, a refund) and sent to their owner only
//! ([`crate::Kind::OWNER_ONLY`]): an artisan never sees another artisan's earnings, a mentor
//! never another mentor's commission.
//!
//! Amounts are integer minor units with their currency (ADR 0004): a ledger never mixes
//! currencies, and a balance is per currency.

use crate::hlc::Timestamp;
use crate::wire::Extra;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What moved an account's balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// An order delivered: the artisan earns its agreed price (credit).
    Earning,
    /// An earning undone after delivery (a refund, a return): its exact opposite (debit).
    Reversal,
    /// Money sent to the account's M-Pesa number (debit when the payout is queued).
    Payout,
    /// A payout that failed: its amount back on the balance (credit), with the reason.
    PayoutReturned,
    /// A mentor's commission on her mentees' delivered sales (credit).
    Commission,
}

impl EntryKind {
    pub const ALL: [EntryKind; 5] =
        [EntryKind::Earning, EntryKind::Reversal, EntryKind::Payout, EntryKind::PayoutReturned, EntryKind::Commission];

    pub fn code(self) -> &'static str {
        match self {
            EntryKind::Earning => "earning",
            EntryKind::Reversal => "reversal",
            EntryKind::Payout => "payout",
            EntryKind::PayoutReturned => "payout_returned",
            EntryKind::Commission => "commission",
        }
    }

    pub fn from_code(code: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Whether entries of this kind add to the balance (the others take from it).
    pub fn is_credit(self) -> bool {
        matches!(self, EntryKind::Earning | EntryKind::PayoutReturned | EntryKind::Commission)
    }
}

/// One entry, as the depot stores and sends it (`Kind::Money` records, id = `entry.id`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MoneyEntry {
    pub id: String,
    /// An [`EntryKind`] code; a later depot's kinds are kept and counted by their sign.
    pub kind: String,
    /// Signed minor units: credits positive, debits negative.
    pub amount_minor: i64,
    /// ISO 4217 ("KES").
    pub currency: String,
    /// The order it comes from (earnings, reversals, commissions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The payout it belongs to (payouts, returned payouts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout_id: Option<String>,
    /// Why (a reversal's or a failed payout's reason), for the owner to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub hlc: Timestamp,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A money record's body: the account whose ledger it is, and the entry.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MoneyBody {
    pub owner: String,
    pub entry: MoneyEntry,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The id of the earning an order's delivery makes: one per order, so that however often the
/// delivery is applied (a replayed push, a retried import) it is earned once.
pub fn earning_id(order_id: &str) -> String {
    format!("earning:{order_id}")
}

/// The id of the commission an order's delivery earns the artisan's mentor: one per order.
pub fn commission_id(order_id: &str) -> String {
    format!("commission:{order_id}")
}

/// The id of the reversal of an order's earning: at most one per order.
pub fn reversal_id(order_id: &str) -> String {
    format!("reversal:{order_id}")
}

/// Balances per currency of `entries`, each entry counted once by id.
pub fn balances<'a>(entries: impl IntoIterator<Item = &'a MoneyEntry>) -> BTreeMap<String, i64> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = BTreeMap::new();
    for e in entries {
        if seen.insert(e.id.as_str()) {
            let b = out.entry(e.currency.clone()).or_insert(0i64);
            *b = b.saturating_add(e.amount_minor);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, kind: EntryKind, amount_minor: i64, currency: &str) -> MoneyEntry {
        MoneyEntry {
            id: id.into(),
            kind: kind.code().into(),
            amount_minor,
            currency: currency.into(),
            order_id: None,
            payout_id: None,
            note: None,
            hlc: Timestamp::default(),
            extra: Extra::new(),
        }
    }

    #[test]
    fn a_balance_sums_its_entries_once_each_per_currency() {
        let e = [
            entry("a", EntryKind::Earning, 250_000, "KES"),
            entry("a", EntryKind::Earning, 250_000, "KES"),
            entry("b", EntryKind::Payout, -200_000, "KES"),
            entry("c", EntryKind::PayoutReturned, 200_000, "KES"),
            entry("d", EntryKind::Earning, 1_500, "USD"),
        ];
        let b = balances(&e);
        assert_eq!(b.get("KES"), Some(&250_000), "the repeated entry counts once");
        assert_eq!(b.get("USD"), Some(&1_500));
    }

    #[test]
    fn kinds_round_trip_and_say_which_way_they_move_money() {
        for k in EntryKind::ALL {
            assert_eq!(EntryKind::from_code(k.code()), Some(k));
        }
        assert!(EntryKind::Earning.is_credit() && !EntryKind::Payout.is_credit() && !EntryKind::Reversal.is_credit());
        assert_eq!(EntryKind::from_code("bonus"), None);
        assert_ne!(earning_id("o1"), reversal_id("o1"));
    }
}
