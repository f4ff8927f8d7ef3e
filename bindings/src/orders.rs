//! Orders across the FFI: the depot's orders this phone sees, in their optimistic status, and
//! the commands the phone sends (checked by the core against the depot's transition table).

use crate::error::FundiError;
use crate::sync::SyncService;
use fundi_core::orders::OrderHistoryEvent;
use fundi_core::replica::OrderView;
use fundi_sync::dates::Day;
use fundi_sync::money::Language;
use fundi_sync::{OrderCommand, OrderStatus};

#[uniffi::remote(Enum)]
pub enum OrderStatus {
    New,
    Assigned,
    Accepted,
    Declined,
    InProduction,
    ReadyForPickup,
    Received,
    QcPassed,
    QcFailed,
    Shipped,
    Delivered,
    Cancelled,
    Stocked,
}

#[uniffi::remote(Enum)]
pub enum OrderCommand {
    Assign,
    Accept,
    Decline,
    StartProduction,
    MarkReady,
    Receive,
    QcPass,
    QcFail,
    Rework,
    Ship,
    Deliver,
    Cancel,
    Stock,
}

#[uniffi::remote(Record)]
pub struct OrderView {
    pub id: String,
    /// The status to show: the depot's, with this phone's pending commands applied.
    pub status: OrderStatus,
    /// The depot's last known status.
    pub server_status: OrderStatus,
    /// Commands sent from here and not yet answered.
    pub pending_commands: Vec<OrderCommand>,
    /// The commands this account may issue now (the depot's table): show these and no others.
    pub commands: Vec<OrderCommand>,
    pub product: String,
    pub quantity: u32,
    pub price_minor: i64,
    pub artisan_id: Option<String>,
    pub source: String,
    /// The depot asks her to remake pieces it sold from its stock: she is paid when the pieces
    /// sell, not for this order (its price is the pieces' value).
    pub replenish: bool,
    /// The published product the order is for, when it names one.
    pub product_id: Option<String>,
    pub external_ref: String,
    pub note: Option<String>,
    pub updated_at_ms: u64,
    /// The day the pieces are due at the depot (`YYYY-MM-DD`), if any.
    pub due_date: Option<String>,
    /// Past its due day while the artisan still owes the pieces.
    pub late: bool,
    /// What happened at the depot, oldest first; older events dropped: `history_dropped`.
    pub history: Vec<OrderHistoryEvent>,
    pub history_dropped: u32,
}

/// One step of an order's history.
#[uniffi::remote(Record)]
pub struct OrderHistoryEvent {
    /// The command applied; null for the order's creation.
    pub command: Option<OrderCommand>,
    /// The creation was a sale from the depot's stock, not an order to make.
    pub from_stock: bool,
    pub status: OrderStatus,
    pub at_ms: u64,
    pub reason: Option<String>,
    /// The photo taken at a quality check (its SHA-256), if one was.
    pub photo: Option<String>,
}

/// Whether a command carries a reason the order keeps (decline, a failed check, cancel): ask
/// for one before issuing it.
#[uniffi::export]
pub fn order_command_takes_reason(command: OrderCommand) -> bool {
    command.takes_reason()
}

/// A due date (`YYYY-MM-DD`) as the reader's language writes it ("12 Desemba 2026"), or null
/// when the text is not a day.
#[uniffi::export]
pub fn format_due_date(date: String, language: Language) -> Option<String> {
    Day::parse(&date).ok().map(|d| d.format(language))
}

#[uniffi::export]
impl SyncService {
    /// Orders this phone sees, newest change first.
    pub fn list_orders(&self) -> Result<Vec<OrderView>, FundiError> {
        Ok(self.inner.list_orders()?)
    }

    /// Queue a command (accept, decline, mark ready, receive, qc pass, ...) with an optional
    /// reason; a command the rules refuse now is `NotAllowed` (wrong role or state).
    pub fn order_command(&self, id: String, command: OrderCommand, reason: Option<String>) -> Result<OrderView, FundiError> {
        Ok(self.inner.order_command(&id, command, reason)?)
    }
}
