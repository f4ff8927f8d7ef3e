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
    pub external_ref: String,
    pub note: Option<String>,
    pub updated_at_ms: u64,
}
