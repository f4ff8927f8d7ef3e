//! Operations' side: importing incoming orders (CSV or JSON, from the online shop and retail
//! partners; idempotent by source and reference), and what waits at the depot.

use super::accounts::Caller;
use super::{put_record, ApiError, Db};
use fundi_sync::dates::Day;
use fundi_sync::ids;
use fundi_sync::ledger::sum_by_product;
use fundi_sync::workflow::{order_is_late, OrderStatus};
use fundi_sync::{Extra, Kind, OrderBody, OrderEvent, Role, StockBody};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NewOrder {
    pub source: String,
    pub external_ref: String,
    pub product: String,
    pub quantity: u32,
    pub price_minor: i64,
    /// Assign at once to this artisan account (optional).
    #[serde(default)]
    pub artisan_id: Option<String>,
    /// The day the pieces are due at the depot, `YYYY-MM-DD` (optional).
    #[serde(default)]
    pub due_date: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct ImportReport {
    pub created: Vec<String>,
    /// Orders already imported (same source and reference): left as they are.
    pub already_present: usize,
}

pub const MAX_IMPORT: usize = 20_000;

fn check(o: &NewOrder) -> Result<(), ApiError> {
    let text_ok = |s: &str, max: usize| !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control);
    if !text_ok(&o.source, 64) || !text_ok(&o.external_ref, 64) || !text_ok(&o.product, 200) {
        return Err(ApiError::invalid(format!("order {}: source, reference and product are required text", o.external_ref)));
    }
    if o.quantity == 0 || o.quantity > 10_000 || o.price_minor <= 0 || o.price_minor > 1_000_000_000 {
        return Err(ApiError::invalid(format!("order {}: quantity or price out of range", o.external_ref)));
    }
    if let Some(due) = &o.due_date {
        Day::parse(due).map_err(|e| ApiError::invalid(format!("order {}: due_date {e}", o.external_ref)))?;
    }
    Ok(())
}

/// Create orders (all or nothing). Operations only.
pub fn import(db: &Db, caller: &Caller, orders: &[NewOrder]) -> Result<ImportReport, ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("only operations import orders"));
    }
    if orders.len() > MAX_IMPORT {
        return Err(ApiError::too_large(format!("at most {MAX_IMPORT} orders per import")));
    }
    for o in orders {
        check(o)?;
    }
    let hlc = db.now();
    db.write(|tx| {
        let mut report = ImportReport::default();
        for o in orders {
            let taken: i64 = tx.query_row(
                "SELECT COUNT(*) FROM order_refs WHERE source = ?1 AND external_ref = ?2",
                [&o.source, &o.external_ref],
                |r| r.get(0),
            )?;
            if taken > 0 {
                report.already_present += 1;
                continue;
            }
            if let Some(a) = &o.artisan_id {
                match super::accounts::get_account(tx, a)? {
                    Some(acc) if acc.role == Role::Artisan => {}
                    _ => return Err(ApiError::invalid(format!("order {}: {a} is not an artisan", o.external_ref))),
                }
            }
            let id = ids::new_id();
            let status = if o.artisan_id.is_some() { OrderStatus::Assigned } else { OrderStatus::New };
            let body = OrderBody {
                status: status.code().into(),
                artisan_id: o.artisan_id.clone(),
                product: o.product.trim().into(),
                quantity: o.quantity,
                price_minor: o.price_minor,
                source: o.source.trim().into(),
                external_ref: o.external_ref.trim().into(),
                updated_hlc: hlc,
                note: None,
                due_date: o.due_date.clone(),
                history: vec![OrderEvent { event: OrderEvent::CREATED.into(), status: status.code().into(), hlc, reason: None }],
                history_dropped: 0,
                extra: Extra::new(),
            };
            let body = serde_json::to_value(&body).map_err(|e| ApiError::internal(e.to_string()))?;
            put_record(tx, Kind::Order.code(), &id, o.artisan_id.as_deref(), None, &body, None)?;
            tx.execute(
                "INSERT INTO order_refs (source, external_ref, order_id) VALUES (?1, ?2, ?3)",
                [&o.source, &o.external_ref, &id],
            )?;
            report.created.push(id);
        }
        Ok(report)
    })
}

/// How many of `artisan`'s orders are late on `today` (`workflow::order_is_late`: past their
/// due day while she still owes the pieces).
pub fn late_orders_of(conn: &rusqlite::Connection, artisan: &str, today: Day) -> Result<u32, ApiError> {
    let mut q = conn.prepare_cached("SELECT body FROM records WHERE kind = ?1 AND owner = ?2")?;
    let mut late = 0;
    for body in q.query_map(rusqlite::params![Kind::Order.code(), artisan], |r| r.get::<_, String>(0))? {
        let Ok(order) = serde_json::from_str::<OrderBody>(&body?) else { continue };
        let status = OrderStatus::from_code(&order.status);
        if status.is_some_and(|s| order_is_late(s, order.due_date.as_deref(), today)) {
            late += 1;
        }
    }
    Ok(late)
}

/// Parse an import file: a JSON array of orders, or CSV with a header row naming the columns
/// `source,external_ref,product,quantity,price_minor[,artisan_id][,due_date]`.
pub fn parse_import(bytes: &[u8]) -> Result<Vec<NewOrder>, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        return serde_json::from_slice(bytes).map_err(|e| ApiError::malformed(format!("orders JSON: {e}")));
    }
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
    let mut out = vec![];
    for (i, row) in rdr.deserialize::<NewOrder>().enumerate() {
        let mut o = row.map_err(|e| ApiError::malformed(format!("orders CSV row {}: {e}", i + 2)))?;
        if o.artisan_id.as_deref() == Some("") {
            o.artisan_id = None;
        }
        if o.due_date.as_deref() == Some("") {
            o.due_date = None;
        }
        out.push(o);
    }
    Ok(out)
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WaitingOrder {
    pub id: String,
    #[serde(flatten)]
    pub order: OrderBody,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DepotReport {
    /// Orders at or coming to the depot: ready for pickup, received, checked.
    pub waiting: Vec<WaitingOrder>,
    /// Orders not yet assigned or declined (operations must act).
    pub unassigned: Vec<WaitingOrder>,
    /// Stock on hand per product.
    pub stock: BTreeMap<String, i64>,
}

/// What waits at the depot. Staff and operations only.
pub fn depot_report(db: &Db, caller: &Caller) -> Result<DepotReport, ApiError> {
    if !caller.role.is_depot_wide() {
        return Err(ApiError::forbidden("depot staff and operations only"));
    }
    db.read(|tx| {
        let mut stmt = tx.prepare("SELECT id, body FROM records WHERE kind = 'order' ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut waiting = vec![];
        let mut unassigned = vec![];
        for row in rows {
            let (id, body) = row?;
            let order: OrderBody = serde_json::from_str(&body).map_err(|e| ApiError::internal(e.to_string()))?;
            match OrderStatus::from_code(&order.status) {
                Some(OrderStatus::ReadyForPickup | OrderStatus::Received | OrderStatus::QcPassed | OrderStatus::QcFailed) => {
                    waiting.push(WaitingOrder { id, order })
                }
                Some(OrderStatus::New | OrderStatus::Declined) => unassigned.push(WaitingOrder { id, order }),
                _ => {}
            }
        }
        let mut stmt = tx.prepare("SELECT body FROM records WHERE kind = 'stock'")?;
        let entries = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .map(|b| Ok(serde_json::from_str::<StockBody>(&b?).map_err(|e| ApiError::internal(e.to_string()))?.entry))
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(DepotReport { waiting, unassigned, stock: sum_by_product(&entries) })
    })
}
