//! An order as the UI shows it.

use fundi_sync::workflow::{OrderCommand, OrderStatus};

#[derive(Clone, Debug, PartialEq)]
pub struct OrderView {
    pub id: String,
    /// The status to show: the depot's, with this phone's pending commands applied.
    pub status: OrderStatus,
    /// The depot's last known status.
    pub server_status: OrderStatus,
    /// Commands sent from here and not yet answered.
    pub pending_commands: Vec<OrderCommand>,
    /// The commands this account may issue now, from `status`, by the depot's own table
    /// (`fundi_sync::workflow::order_commands`): the buttons to show, and no others.
    pub commands: Vec<OrderCommand>,
    pub product: String,
    pub quantity: u32,
    pub price_minor: i64,
    pub artisan_id: Option<String>,
    pub source: String,
    /// The depot asks her to remake pieces it sold from its stock (`source` is
    /// [`super::REPLENISH_SOURCE`]): she is paid when the pieces sell, not for this order (its
    /// price is the pieces' value).
    pub replenish: bool,
    /// The published product the order is for (`Kind::Product` id), when it names one.
    pub product_id: Option<String>,
    pub external_ref: String,
    pub note: Option<String>,
    pub updated_at_ms: u64,
    /// The day the pieces are due at the depot (`YYYY-MM-DD`), if the order names one.
    pub due_date: Option<String>,
    /// Past its due day while the artisan still owes the pieces (in the state shown: a "mark
    /// ready" waiting to sync counts as done), by the depot-corrected clock in the
    /// deployment's zone (`fundi_sync::dates`).
    pub late: bool,
    /// What happened to the order at the depot, oldest first (commands still pending here are
    /// in `pending_commands`), and how many older events were dropped to keep it bounded.
    pub history: Vec<OrderHistoryEvent>,
    pub history_dropped: u32,
}

/// One step of an order's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderHistoryEvent {
    /// The command applied, or `None` for the order's creation.
    pub command: Option<OrderCommand>,
    /// The creation was a sale from the depot's stock (the order starts at the depot, its
    /// pieces already checked), not an order to make.
    pub from_stock: bool,
    /// The status it led to.
    pub status: OrderStatus,
    pub at_ms: u64,
    /// The reason given (a decline, a failed check, a cancellation).
    pub reason: Option<String>,
    /// The photo taken at a quality check (its SHA-256; the depot serves it at `/v1/blobs/`).
    pub photo: Option<String>,
}
