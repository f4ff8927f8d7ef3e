//! What needs someone at the depot today (the console's first page, issue 12): orders to
//! assign, goods waiting for the quality check, late orders, low stock, phones not seen for a
//! week, payout batches waiting for approval. Staff and operations only (a mentor's today is
//! her mentees: `mentees`); staff see their own depot's (ADR 0030). Reads through `orders::depot_report`, the same function the API's
//! `GET /v1/depot` answers with, and the same lateness rule the phones show.

use super::accounts::Caller;
use super::depots::Scope;
use super::orders::{self, WaitingOrder};
use super::{now_ms, ApiError, Db};
use crate::store::sql::params;
use crate::store::sql::Tx;
use fundi_sync::dates::Day;
use fundi_sync::workflow::{order_is_late, OrderStatus};
use fundi_sync::{DraftBody, Kind, OrderBody, Role};

/// Stock at or under this many pieces is low.
pub const LOW_STOCK_AT: i64 = 2;
/// A phone not seen for this long is quiet.
pub const QUIET_AFTER_MS: u64 = 7 * 24 * 3_600_000;
/// Items each list shows at most (the count says how many there are).
pub const LIST_MAX: usize = 50;

/// An order as a list of the page shows it.
#[derive(Clone, Debug)]
pub struct OrderLine {
    pub id: String,
    pub product: String,
    pub quantity: u32,
    pub status: String,
    pub artisan: Option<String>,
    pub due_date: Option<String>,
}

#[derive(Clone, Debug)]
pub struct QuietPhone {
    pub account: String,
    pub device_id: String,
    pub last_seen_ms: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct PendingBatch {
    pub id: String,
    pub total_minor: i64,
    pub created_by: String,
}

/// A list and how many there are in all.
#[derive(Clone, Debug)]
pub struct Counted<T> {
    pub total: usize,
    pub items: Vec<T>,
}

impl<T> Default for Counted<T> {
    fn default() -> Self {
        Counted { total: 0, items: vec![] }
    }
}

impl<T> Counted<T> {
    fn push(&mut self, item: T) {
        self.total += 1;
        if self.items.len() < LIST_MAX {
            self.items.push(item);
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Today {
    pub to_assign: Counted<OrderLine>,
    pub to_check: Counted<OrderLine>,
    pub late: Counted<OrderLine>,
    /// (product id, its title when known, pieces held).
    pub low_stock: Counted<(String, Option<String>, i64)>,
    pub quiet_phones: Counted<QuietPhone>,
    /// Operations only (empty for staff).
    pub payouts_awaiting: Counted<PendingBatch>,
}

fn line(tx: &Tx, id: &str, o: &OrderBody) -> Result<OrderLine, ApiError> {
    let artisan = match &o.artisan_id {
        Some(a) => super::accounts::get_account(tx, a)?.map(|a| a.name),
        None => None,
    };
    Ok(OrderLine {
        id: id.to_string(),
        product: o.product.clone(),
        quantity: o.quantity,
        status: o.status.clone(),
        artisan,
        due_date: o.due_date.clone(),
    })
}

/// Today's page for `caller` (staff or operations).
pub fn today(db: &Db, caller: &Caller) -> Result<Today, ApiError> {
    let report = orders::depot_report(db, caller)?;
    db.read(|tx| {
        let mut t = Today::default();
        for WaitingOrder { id, order } in &report.unassigned {
            t.to_assign.push(line(tx, id, order)?);
        }
        for WaitingOrder { id, order } in &report.waiting {
            // What staff act on: goods brought (to receive) and received (to check).
            if matches!(OrderStatus::from_code(&order.status), Some(OrderStatus::ReadyForPickup | OrderStatus::Received)) {
                t.to_check.push(line(tx, id, order)?);
            }
        }
        let today = Day::of_ms(now_ms());
        let scope = Scope::of(tx, caller)?;
        orders::for_each_order_seen(tx, &scope, orders::Newest::Last, |id, order| {
            if OrderStatus::from_code(&order.status).is_some_and(|s| order_is_late(s, order.due_date.as_deref(), today)) {
                t.late.push(line(tx, &id, &order)?);
            }
            Ok(true)
        })?;
        for (product, pieces) in report.stock.iter().filter(|(_, n)| **n <= LOW_STOCK_AT) {
            let title = super::get_record(tx, Kind::Draft.code(), product)?
                .and_then(|r| serde_json::from_value::<DraftBody>(r.body).ok())
                .and_then(|d| {
                    d.doc.value(fundi_sync::drafts::DraftField::Title.code()).and_then(|v| v.as_str()).map(str::to_string)
                });
            t.low_stock.push((product.clone(), title, *pieces));
        }
        let quiet_before = now_ms().saturating_sub(QUIET_AFTER_MS) as i64;
        let mut q = tx.prepare_cached(
            "SELECT a.name, d.device_id, d.last_seen_ms, a.id FROM devices d JOIN accounts a ON a.id = d.account_id
             WHERE d.revoked_ms IS NULL AND COALESCE(d.last_seen_ms, d.created_ms) < ?1
             ORDER BY d.last_seen_ms NULLS FIRST, a.name",
        )?;
        for row in q.query_map(params![quiet_before], |r| {
            Ok((QuietPhone { account: r.get(0)?, device_id: r.get(1)?, last_seen_ms: r.get(2)? }, r.get::<_, String>(3)?))
        })? {
            let (phone, account) = row?;
            if scope.has_account(&account) {
                t.quiet_phones.push(phone);
            }
        }
        if caller.role == Role::Operations {
            let mut q = tx.prepare_cached(
                "SELECT b.id, b.total_minor, COALESCE(a.name, 'the local operator') FROM payout_batches b
                 LEFT JOIN accounts a ON a.id = b.created_by WHERE b.state = 'awaiting_approval' ORDER BY b.created_ms",
            )?;
            for row in q.query_map([], |r| Ok(PendingBatch { id: r.get(0)?, total_minor: r.get(1)?, created_by: r.get(2)? }))? {
                t.payouts_awaiting.push(row?);
            }
        }
        Ok(t)
    })
}
