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
    /// A payout confirmed paid by M-Pesa: moves nothing (amount 0), carries the receipt in
    /// `note`. The payout's debit was posted when it was queued.
    PayoutPaid,
}

impl EntryKind {
    pub const ALL: [EntryKind; 6] = [
        EntryKind::Earning,
        EntryKind::Reversal,
        EntryKind::Payout,
        EntryKind::PayoutReturned,
        EntryKind::Commission,
        EntryKind::PayoutPaid,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EntryKind::Earning => "earning",
            EntryKind::Reversal => "reversal",
            EntryKind::Payout => "payout",
            EntryKind::PayoutReturned => "payout_returned",
            EntryKind::Commission => "commission",
            EntryKind::PayoutPaid => "payout_paid",
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

/// The id of a payout's debit, posted when the payout is queued: one per payout.
pub fn payout_debit_id(payout_id: &str) -> String {
    format!("payout:{payout_id}")
}

/// The id of the entry that records a payout confirmed paid (its receipt).
pub fn payout_paid_id(payout_id: &str) -> String {
    format!("payout_paid:{payout_id}")
}

/// The id of the credit that gives a failed payout's amount back.
pub fn payout_returned_id(payout_id: &str) -> String {
    format!("payout_returned:{payout_id}")
}

/// Where an entry's money is, as its owner sees it: for a credit (an earning, a commission),
/// whether it has been paid out; for a payout's debit, what became of the payout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryStatus {
    /// Owed, in no payout yet (or only part of it: payouts are whole shillings).
    Pending,
    /// In a payout on its way (queued, sent, or awaiting M-Pesa's result).
    InPayout { payout_id: String },
    /// Paid by M-Pesa: the receipt number she sees in her M-Pesa messages.
    Paid { payout_id: String, receipt: String },
    /// The last payout it was in failed (owed again, with the reason).
    Failed { payout_id: String, reason: String },
    /// Refunded: the earning was reversed and is owed no more.
    Reversed,
}

/// Payouts are whole shillings: cents left of a credit wait for a later payout, and do not make
/// a paid credit look unpaid.
const WHOLE_SHILLING: i64 = 100;

/// What each credit and each payout of one account's `entries` stands at. Payouts pay credits
/// oldest first (by stamp): a credit is paid, or in a payout, when the payouts before and
/// including that one cover all of it but its cents (one they cover only in part is still
/// `Pending`); a
/// credit a failed payout took part of and no live payout touches is `Failed` with that
/// payout's reason; a credit reversed in full is `Reversed`. A
/// payout's own debit gets its payout's status. Only KES entries are allocated (payouts are
/// M-Pesa's, in KES); entries of other kinds get no status.
pub fn entry_statuses(entries: &[MoneyEntry]) -> BTreeMap<String, EntryStatus> {
    let mut by_stamp: Vec<&MoneyEntry> = entries.iter().filter(|e| e.currency == "KES").collect();
    by_stamp.sort_by(|a, b| a.hlc.cmp(&b.hlc).then_with(|| a.id.cmp(&b.id)));
    by_stamp.dedup_by(|a, b| a.id == b.id);
    let kind = |e: &MoneyEntry| EntryKind::from_code(&e.kind);
    // What each payout came to, by its id.
    let mut outcome: BTreeMap<&str, EntryStatus> = BTreeMap::new();
    for e in &by_stamp {
        let Some(p) = e.payout_id.as_deref() else { continue };
        let note = e.note.clone().unwrap_or_default();
        match kind(e) {
            Some(EntryKind::PayoutPaid) => {
                outcome.insert(p, EntryStatus::Paid { payout_id: p.into(), receipt: note });
            }
            Some(EntryKind::PayoutReturned) => {
                outcome.insert(p, EntryStatus::Failed { payout_id: p.into(), reason: note });
            }
            _ => {}
        }
    }
    let payouts: Vec<(&str, i64, EntryStatus)> = by_stamp
        .iter()
        .filter(|e| kind(e) == Some(EntryKind::Payout))
        .filter_map(|e| {
            let p = e.payout_id.as_deref()?;
            let status = outcome.get(p).cloned().unwrap_or(EntryStatus::InPayout { payout_id: p.into() });
            Some((p, -e.amount_minor, status))
        })
        .collect();
    // Each credit net of the reversals of its order (one credit per order in a ledger).
    let mut credits: Vec<(&str, i64)> = vec![];
    for e in &by_stamp {
        if matches!(kind(e), Some(EntryKind::Earning | EntryKind::Commission)) {
            let reversed: i64 = by_stamp
                .iter()
                .filter(|r| kind(r) == Some(EntryKind::Reversal) && r.order_id.is_some() && r.order_id == e.order_id)
                .map(|r| r.amount_minor)
                .sum();
            credits.push((e.id.as_str(), e.amount_minor.saturating_add(reversed)));
        }
    }
    // The last payout that took part of each credit (counting the payouts `live` allows), and
    // whether the credit was covered in full.
    let allocate = |live: &dyn Fn(&EntryStatus) -> bool| -> BTreeMap<&str, (&EntryStatus, bool)> {
        let mut covered = BTreeMap::new();
        let mut live_payouts = payouts.iter().filter(|(_, _, s)| live(s));
        let mut current: Option<(&EntryStatus, i64)> = None;
        for (id, net) in credits.iter().filter(|(_, net)| *net > 0) {
            let mut owed = *net;
            while owed > 0 {
                if current.as_ref().is_none_or(|(_, left)| *left <= 0) {
                    current = live_payouts.next().map(|(_, amount, s)| (s, *amount));
                }
                let Some((status, left)) = current.as_mut() else { break };
                let take = owed.min(*left);
                owed -= take;
                *left -= take;
                // Covered once all but its cents are: the payout that took its last whole
                // shilling is the one it shows, whichever takes the cents.
                if take > 0 && !covered.get(id).is_some_and(|(_, full)| *full) {
                    covered.insert(*id, (*status, owed < WHOLE_SHILLING));
                }
            }
        }
        covered
    };
    let live = allocate(&|s| !matches!(s, EntryStatus::Failed { .. }));
    let all = allocate(&|_| true);
    let mut out = BTreeMap::new();
    for (id, net) in &credits {
        let status = match (live.get(id), all.get(id)) {
            _ if *net <= 0 => EntryStatus::Reversed,
            (Some((s, true)), _) => (*s).clone(),
            (None, Some((s @ EntryStatus::Failed { .. }, _))) => (*s).clone(),
            _ => EntryStatus::Pending,
        };
        out.insert(id.to_string(), status);
    }
    for e in &by_stamp {
        if let (Some(EntryKind::Payout), Some(p)) = (kind(e), e.payout_id.as_deref()) {
            let status = outcome.get(p).cloned().unwrap_or(EntryStatus::InPayout { payout_id: p.into() });
            out.insert(e.id.clone(), status);
        }
    }
    out
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

    /// An entry stamped at `at` (ms), for the allocation tests.
    fn at(mut e: MoneyEntry, at: u64, order: Option<&str>, payout: Option<&str>, note: Option<&str>) -> MoneyEntry {
        e.hlc.wall_ms = at;
        e.order_id = order.map(Into::into);
        e.payout_id = payout.map(Into::into);
        e.note = note.map(Into::into);
        e
    }

    #[test]
    fn payouts_pay_credits_oldest_first_and_a_failed_one_leaves_them_owed_with_its_reason() {
        use EntryKind::*;
        let p = |s: &str| s.to_string();
        let mut e = vec![
            at(entry("earning:a", Earning, 100_000, "KES"), 1, Some("a"), None, None),
            at(entry("earning:b", Earning, 50_000, "KES"), 2, Some("b"), None, None),
            at(entry("earning:c", Earning, 30_050, "KES"), 3, Some("c"), None, None),
            at(entry("earning:d", Earning, 20_000, "KES"), 4, Some("d"), None, None),
            at(entry("reversal:d", Reversal, -20_000, "KES"), 5, Some("d"), None, Some("returned")),
            // The first payout pays a and b; the second failed for c.
            at(entry("payout:p1", Payout, -150_000, "KES"), 6, None, Some("p1"), None),
            at(entry("payout:p2", Payout, -30_000, "KES"), 7, None, Some("p2"), None),
            at(entry("payout_paid:p1", PayoutPaid, 0, "KES"), 8, None, Some("p1"), Some("QK12ABC")),
            at(entry("payout_returned:p2", PayoutReturned, 30_000, "KES"), 9, None, Some("p2"), Some("2040: not registered")),
        ];
        let s = entry_statuses(&e);
        let paid = EntryStatus::Paid { payout_id: p("p1"), receipt: p("QK12ABC") };
        let failed = EntryStatus::Failed { payout_id: p("p2"), reason: p("2040: not registered") };
        assert_eq!(s["earning:a"], paid);
        assert_eq!(s["earning:b"], paid);
        assert_eq!(s["payout:p1"], paid);
        assert_eq!(s["earning:c"], failed, "KSh 300 of 300.50 was in the failed payout: owed again, with the reason");
        assert_eq!(s["payout:p2"], failed);
        assert_eq!(s["earning:d"], EntryStatus::Reversed);
        assert_eq!(balances(&e)["KES"], 30_050);

        // Half of c in a payout is not c paid.
        e.push(at(entry("payout:p3", Payout, -15_000, "KES"), 10, None, Some("p3"), None));
        assert_eq!(entry_statuses(&e)["earning:c"], EntryStatus::Pending);
        // A payout of the whole shillings owed: c is in it; its last 50 cents wait.
        e.last_mut().unwrap().amount_minor = -30_000;
        let s = entry_statuses(&e);
        assert_eq!(s["earning:c"], EntryStatus::InPayout { payout_id: p("p3") });
        assert_eq!(s["payout:p3"], EntryStatus::InPayout { payout_id: p("p3") });
        assert_eq!(balances(&e)["KES"], 50);
        e.push(at(entry("earning:e", Earning, 9_950, "KES"), 11, Some("e"), None, None));
        e.push(at(entry("payout:p4", Payout, -10_000, "KES"), 12, None, Some("p4"), None));
        let s = entry_statuses(&e);
        assert_eq!(s["earning:e"], EntryStatus::InPayout { payout_id: p("p4") }, "with c's cents");
        assert_eq!(s["earning:c"], EntryStatus::InPayout { payout_id: p("p3") }, "shown in the payout of its shillings");
        assert_eq!(balances(&e)["KES"], 0);
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
