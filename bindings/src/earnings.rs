//! An account's money across the FFI (issue 11 item 4): her earnings per order, payouts and
//! refunds, and her balance, as the depot last sent them (read-only on the phone).

use crate::error::FundiError;
use crate::sync::SyncService;
use fundi_core::earnings::{EarningItem, Earnings};
use fundi_sync::money_ledger::{EntryKind, EntryStatus};

/// What moved the balance.
#[uniffi::remote(Enum)]
pub enum EntryKind {
    Earning,
    Reversal,
    Payout,
    PayoutReturned,
    Commission,
    PayoutPaid,
}

/// Where an earning's money is, or what became of a payout.
#[uniffi::remote(Enum)]
pub enum EntryStatus {
    /// Owed, in no payout yet.
    Pending,
    /// In a payout on its way.
    InPayout { payout_id: String },
    /// Paid: the receipt is the one in her M-Pesa message.
    Paid { payout_id: String, receipt: String },
    /// Its payout failed: owed again; the reason says what to fix (often the phone number).
    Failed { payout_id: String, reason: String },
    /// Refunded: owed no more.
    Reversed,
}

#[uniffi::remote(Record)]
pub struct EarningItem {
    pub id: String,
    /// Null: a kind a later depot added (counted in the balance by its sign).
    pub kind: Option<EntryKind>,
    /// Signed minor units: credits positive.
    pub amount_minor: i64,
    pub currency: String,
    pub order_id: Option<String>,
    /// The order's product, when this phone holds the order.
    pub product: Option<String>,
    pub payout_id: Option<String>,
    /// Why: a refund's or a failed payout's reason.
    pub note: Option<String>,
    pub at_ms: u64,
    /// For an earning, a commission or a payout; null for other entries.
    pub status: Option<EntryStatus>,
}

#[uniffi::remote(Record)]
pub struct Earnings {
    /// Newest first.
    pub entries: Vec<EarningItem>,
    /// What the depot owes her now, in KES minor units (format with `format_kes`).
    pub balance_minor: i64,
    /// Earned in all: earnings less refunds.
    pub earned_minor: i64,
    /// On a mentor's phone: her mentees' delivered sales, in all and this month (0 elsewhere).
    pub mentee_sales_minor: i64,
    pub mentee_sales_month_minor: i64,
}

#[uniffi::export]
impl SyncService {
    /// This account's money ledger as of the last sync (empty before any delivery).
    pub fn earnings(&self) -> Result<Earnings, FundiError> {
        Ok(self.inner.earnings()?)
    }
}
