//! Orders as this phone sees them: the depot's last state with this phone's pending commands
//! replayed on top (optimistic), by the very transition table the depot validates with, and
//! the commands the user issues (accept, decline, mark ready, receive, qc pass, ...).
//! `db.rs` is the only code touching the `orders` table.

pub(crate) mod db;
mod model;

pub use model::{OrderHistoryEvent, OrderView};

/// The `source` of an order the depot makes to ask an artisan to remake pieces it sold from its
/// stock (ADR 0026): a replenishment. The depot's own constant, so the two cannot drift.
pub use fundi_sync::shop::REPLENISH_SOURCE;

use crate::error::{Error, Result};
use crate::storage::physical_now;
use crate::{account, outbox, Store};
use fundi_sync::dates::Day;
use fundi_sync::limits::COMMAND_REASON_MAX_CHARS;
use fundi_sync::workflow::{commands_for_order, order_is_late, order_step, OrderCommand, OrderStatus};
use fundi_sync::{Extra, Kind, OrderBody, OrderEvent, Relation, Role};
use rusqlite::Connection;

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

/// The caller's relation to an order: its artisan, or not.
fn relation(o: &OrderBody, account: &str) -> Relation {
    if o.artisan_id.as_deref() == Some(account) {
        Relation::Owner
    } else {
        Relation::Other
    }
}

/// The history as the UI shows it. Events a later depot may add (an unknown command or status)
/// are left out rather than shown wrong.
fn history(events: &[OrderEvent]) -> Vec<OrderHistoryEvent> {
    events
        .iter()
        .filter_map(|e| {
            let command = match e.event.as_str() {
                OrderEvent::CREATED | OrderEvent::FROM_STOCK => None,
                code => Some(OrderCommand::from_code(code)?),
            };
            let status = OrderStatus::from_code(&e.status)?;
            let from_stock = e.event == OrderEvent::FROM_STOCK;
            let (at_ms, reason, photo) = (e.hlc.wall_ms, e.reason.clone(), e.photo.clone());
            Some(OrderHistoryEvent { command, from_stock, status, at_ms, reason, photo })
        })
        .collect()
}

fn view(conn: &Connection, id: &str, o: OrderBody, account: &str, role: Role) -> Result<OrderView> {
    let server_status = OrderStatus::from_code(&o.status).ok_or_else(|| corrupt(()))?;
    let rel = relation(&o, account);
    let mut status = server_status;
    let mut pending_commands = vec![];
    for c in outbox::pending_commands(conn, Kind::Order, id)? {
        if let Some(cmd) = OrderCommand::from_code(&c.name) {
            pending_commands.push(cmd);
            // A command that no longer fits is left for the depot to refuse (and show as a conflict).
            if let Ok(next) = order_step(status, cmd, role, rel) {
                status = next;
            }
        }
    }
    Ok(OrderView {
        id: id.to_string(),
        status,
        server_status,
        pending_commands,
        commands: commands_for_order(&o, status, role, rel),
        late: order_is_late(status, o.due_date.as_deref(), Day::of_ms(physical_now(conn)?)),
        due_date: o.due_date.clone(),
        history: history(&o.history),
        history_dropped: o.history_dropped,
        product: o.product,
        quantity: o.quantity,
        price_minor: o.price_minor,
        artisan_id: o.artisan_id,
        replenish: o.source == REPLENISH_SOURCE,
        product_id: o.product_id,
        source: o.source,
        external_ref: o.external_ref,
        note: o.note,
        updated_at_ms: o.updated_hlc.wall_ms,
    })
}

impl Store {
    /// Orders this phone sees, newest change first, in their optimistic state.
    pub fn list_orders(&self) -> Result<Vec<OrderView>> {
        self.read(|c| {
            let (account, role) = account::db::me(c)?;
            db::list(c)?.into_iter().map(|(id, o)| view(c, &id, o, &account, role)).collect()
        })
    }

    pub fn get_order(&self, id: &str) -> Result<OrderView> {
        self.read(|c| {
            let (account, role) = account::db::me(c)?;
            view(c, id, db::get(c, id)?, &account, role)
        })
    }

    /// Queue an order command (accept, decline, mark ready, receive, qc pass, ...). Checked
    /// here against the optimistic state with the depot's own table, and its arguments with the
    /// depot's own check, so an impossible command is refused at once (typed: `Rejected`, with
    /// the code the depot would answer); the depot checks again against its state when it
    /// arrives. An assignment needs the artisan it names, which this call cannot pass: it is
    /// refused `Invalid` here rather than by the depot after the next sync.
    pub fn order_command(&self, id: &str, command: OrderCommand, reason: Option<String>) -> Result<OrderView> {
        self.write(|tx| {
            let (account, role) = account::db::me(tx)?;
            let order = db::get(tx, id)?;
            let rel = relation(&order, &account);
            let current = view(tx, id, order.clone(), &account, role)?;
            order_step(current.status, command, role, rel).map_err(Error::Rejected)?;
            let mut args = Extra::new();
            if let Some(r) = reason.filter(|r| !r.trim().is_empty()) {
                args.insert("reason".into(), r.trim().chars().take(COMMAND_REASON_MAX_CHARS).collect::<String>().into());
            }
            command.check_args(&args).map_err(Error::Rejected)?;
            command.check_order(&order).map_err(Error::Rejected)?;
            outbox::enqueue_command(tx, Kind::Order, id, command.code(), args)?;
            view(tx, id, order, &account, role)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fundi_sync::RejectCode;

    /// An operations account queues an assignment of a new order: refused at once, typed, with
    /// nothing queued (the depot would refuse it for want of an artisan).
    #[test]
    fn an_assignment_without_an_artisan_is_refused_before_it_is_queued() {
        let store = Store::open_in_memory().unwrap();
        let order = OrderBody {
            status: OrderStatus::New.code().into(),
            artisan_id: None,
            product: "Kiondo".into(),
            product_id: None,
            quantity: 1,
            price_minor: 100,
            source: "shop".into(),
            external_ref: "S-1".into(),
            updated_hlc: Default::default(),
            note: None,
            due_date: None,
            history: vec![],
            history_dropped: 0,
            extra: Extra::new(),
        };
        let id = "01900000-0000-7000-8000-000000000050";
        store
            .write(|tx| {
                account::db::enroll_for_test(tx, "ops", Role::Operations)?;
                db::put(tx, id, &order)
            })
            .unwrap();
        match store.order_command(id, OrderCommand::Assign, None) {
            Err(Error::Rejected(r)) => assert_eq!(r.code, RejectCode::Invalid),
            other => panic!("expected Rejected(invalid), got {other:?}"),
        }
        assert_eq!(store.pending_count().unwrap(), 0, "nothing queued");
        assert_eq!(store.get_order(id).unwrap().status, OrderStatus::New);
        assert_eq!(store.get_order(id).unwrap().commands, vec![OrderCommand::Cancel], "assign is not offered");
        // The same account's other commands still go.
        let cancelled = store.order_command(id, OrderCommand::Cancel, None).unwrap();
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(cancelled.commands, vec![], "nothing after a cancel, pending or not");
    }

    /// An order as the depot sends it, its failed quality check with a photo: the artisan's
    /// phone shows the photo's hash with the event, and the events without one as before.
    #[test]
    fn a_failed_check_shows_its_photo_on_the_artisans_phone() {
        let store = Store::open_in_memory().unwrap();
        let photo = fundi_sync::hash::sha256_hex(b"the handles, up close");
        let at = |wall_ms| fundi_sync::hlc::Timestamp { wall_ms, counter: 0, node: 9 };
        let body = serde_json::json!({
            "status": "qc_failed", "artisan_id": "akinyi", "product": "Kiondo", "quantity": 2, "price_minor": 250_000,
            "source": "shop", "external_ref": "S-2", "updated_hlc": at(3), "note": "Handles loose",
            "history": [
                {"event": "receive", "status": "received", "hlc": at(2)},
                {"event": "qc_fail", "status": "qc_failed", "hlc": at(3), "reason": "Handles loose", "photo": photo},
            ],
        });
        let order: OrderBody = serde_json::from_value(body).unwrap();
        let id = "01900000-0000-7000-8000-000000000051";
        store
            .write(|tx| {
                account::db::enroll_for_test(tx, "akinyi", Role::Artisan)?;
                db::put(tx, id, &order)
            })
            .unwrap();
        let seen = store.get_order(id).unwrap();
        let events: Vec<_> = seen.history.iter().map(|e| (e.command, e.reason.as_deref(), e.photo.as_deref())).collect();
        assert_eq!(
            events,
            [
                (Some(OrderCommand::Receive), None, None),
                (Some(OrderCommand::QcFail), Some("Handles loose"), Some(photo.as_str()))
            ]
        );
        assert_eq!(seen.commands, vec![OrderCommand::Rework]);
    }
}
