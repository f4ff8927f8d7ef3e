//! Operations' side: importing incoming orders (CSV or JSON, from the online shop and retail
//! partners; idempotent by source and reference), and what waits at the depot (a staff
//! account's own depot's: `depots::Scope`, ADR 0030). Every way an
//! order is created (an import, a shop's webhook: `shop_orders`) checks its row with
//! [`check_row`] and creates it with [`create`].

use super::accounts::Caller;
use super::depots::Scope;
use super::{put_record, ApiError, Db};
use crate::store::sql::Tx;
use fundi_sync::access::may_read;
use fundi_sync::dates::Day;
use fundi_sync::hlc::Timestamp;
use fundi_sync::ids;
use fundi_sync::workflow::{order_is_late, OrderCommand, OrderStatus};
use fundi_sync::{Extra, Kind, OrderBody, OrderEvent, Role};
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
    /// The catalog product ordered: set by the shop's webhook (ADR 0026); an import file does
    /// not name one.
    #[serde(skip)]
    pub product_id: Option<String>,
}

/// Where a new order starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// To be made: `new`, or `assigned` when its row names an artisan.
    ToMake,
    /// Pieces the depot holds, sold from its stock: at the depot already, `qc_passed` (they
    /// passed the check when they were received into stock), its row's artisan's.
    FromStock,
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

/// Check one order to create as every way of creating orders does: its fields ([`check`]) and
/// the artisan it names.
pub fn check_row(tx: &Tx, o: &NewOrder) -> Result<(), ApiError> {
    check(o)?;
    if let Some(a) = &o.artisan_id {
        match super::accounts::get_account(tx, a)? {
            Some(acc) if acc.role == Role::Artisan => {}
            _ => return Err(ApiError::invalid(format!("order {}: {a} is not an artisan", o.external_ref))),
        }
    }
    Ok(())
}

/// Create the order `o` in `start`, after [`check_row`], once: an order whose source and
/// reference are taken already is left as it is (`None`); else the new order's id.
pub fn create(tx: &Tx, o: &NewOrder, start: Start, hlc: Timestamp) -> Result<Option<String>, ApiError> {
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM order_refs WHERE source = ?1 AND external_ref = ?2)",
        [&o.source, &o.external_ref],
        |r| r.get(0),
    )?;
    if taken {
        return Ok(None);
    }
    check_row(tx, o)?;
    let (status, event) = match (start, &o.artisan_id) {
        (Start::ToMake, None) => (OrderStatus::New, OrderEvent::CREATED),
        (Start::ToMake, Some(_)) => (OrderStatus::Assigned, OrderEvent::CREATED),
        (Start::FromStock, Some(_)) => (OrderStatus::QcPassed, OrderEvent::FROM_STOCK),
        (Start::FromStock, None) => return Err(ApiError::internal("an order from stock names its artisan")),
    };
    let id = ids::new_id();
    let body = OrderBody {
        status: status.code().into(),
        artisan_id: o.artisan_id.clone(),
        product: o.product.trim().into(),
        product_id: o.product_id.clone(),
        quantity: o.quantity,
        price_minor: o.price_minor,
        source: o.source.trim().into(),
        external_ref: o.external_ref.trim().into(),
        updated_hlc: hlc,
        note: None,
        due_date: o.due_date.clone(),
        history: vec![OrderEvent { event: event.into(), status: status.code().into(), hlc, reason: None, photo: None }],
        history_dropped: 0,
        extra: Extra::new(),
    };
    let body = serde_json::to_value(&body).map_err(|e| ApiError::internal(e.to_string()))?;
    put_record(tx, Kind::Order.code(), &id, o.artisan_id.as_deref(), None, &body, None)?;
    tx.execute("INSERT INTO order_refs (source, external_ref, order_id) VALUES (?1, ?2, ?3)", [&o.source, &o.external_ref, &id])?;
    Ok(Some(id))
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
            match create(tx, o, Start::ToMake, hlc)? {
                Some(id) => report.created.push(id),
                None => report.already_present += 1,
            }
        }
        Ok(report)
    })
}

/// How many of `artisan`'s orders are late on `today` (`workflow::order_is_late`: past their
/// due day while she still owes the pieces).
pub fn late_orders_of(conn: &Tx, artisan: &str, today: Day) -> Result<u32, ApiError> {
    let mut q = conn.prepare_cached("SELECT body FROM records WHERE kind = ?1 AND owner = ?2")?;
    let mut late = 0;
    for body in q.query_map(crate::store::sql::params![Kind::Order.code(), artisan], |r| r.get::<_, String>(0))? {
        let Ok(order) = serde_json::from_str::<OrderBody>(&body?) else { continue };
        let status = OrderStatus::from_code(&order.status);
        if status.is_some_and(|s| order_is_late(s, order.due_date.as_deref(), today)) {
            late += 1;
        }
    }
    Ok(late)
}

/// Parse an import file: a JSON array of orders, or CSV with a header row naming the columns
/// `source,external_ref,product,quantity,price_minor[,artisan_id][,due_date]`. One row that
/// cannot be read refuses the file (`malformed`, naming the row).
pub fn parse_import(bytes: &[u8]) -> Result<Vec<NewOrder>, ApiError> {
    parse_import_rows(bytes)?.into_iter().map(|(_, row)| row.map_err(ApiError::malformed)).collect()
}

/// An import file's rows one by one, each with the line (CSV) or position (JSON, from 1) it
/// came from: read, or why not. Only a file that is not a list at all is an error.
pub fn parse_import_rows(bytes: &[u8]) -> Result<Vec<(usize, Result<NewOrder, String>)>, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        let items: Vec<serde_json::Value> =
            serde_json::from_slice(bytes).map_err(|e| ApiError::malformed(format!("orders JSON: {e}")))?;
        return Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i + 1, serde_json::from_value(v).map_err(|e| format!("orders JSON item {}: {e}", i + 1))))
            .collect());
    }
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
    let mut out = vec![];
    for (i, row) in rdr.deserialize::<NewOrder>().enumerate() {
        let line = i + 2;
        out.push((
            line,
            row.map(|mut o: NewOrder| {
                if o.artisan_id.as_deref() == Some("") {
                    o.artisan_id = None;
                }
                if o.due_date.as_deref() == Some("") {
                    o.due_date = None;
                }
                o
            })
            .map_err(|e| format!("orders CSV row {line}: {e}")),
        ));
    }
    Ok(out)
}

/// One row of an import as operations preview it before confirming: the order, or why it
/// cannot be imported; an order imported before is left as it is (`already_present`).
#[derive(Clone, Debug)]
pub struct PreviewRow {
    pub line: usize,
    pub order: Option<NewOrder>,
    pub error: Option<String>,
    pub already_present: bool,
}

/// Check every row of an import the way [`import`] will (operations only), without importing.
pub fn preview_import(tx: &Tx, caller: &Caller, bytes: &[u8]) -> Result<Vec<PreviewRow>, ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("only operations import orders"));
    }
    let rows = parse_import_rows(bytes)?;
    if rows.len() > MAX_IMPORT {
        return Err(ApiError::too_large(format!("at most {MAX_IMPORT} orders per import")));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        let checked = row.and_then(|o| check_row(tx, &o).map(|()| o).map_err(|e| e.detail));
        let (order, error) = match checked {
            Ok(o) => (Some(o), None),
            Err(e) => (None, Some(e)),
        };
        let already_present = match &order {
            Some(o) => tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM order_refs WHERE source = ?1 AND external_ref = ?2)",
                [&o.source, &o.external_ref],
                |r| r.get(0),
            )?,
            None => false,
        };
        out.push(PreviewRow { line, order, error, already_present });
    }
    Ok(out)
}

/// Orders as the console lists them, newest first (at most `limit`), those in `statuses` only
/// when given. Staff (their own depot's) and operations (depot `depot`'s only, when they name
/// one) only.
pub fn list_orders(
    tx: &Tx,
    caller: &Caller,
    statuses: Option<&[OrderStatus]>,
    depot: Option<&str>,
    limit: usize,
) -> Result<Vec<WaitingOrder>, ApiError> {
    if !caller.role.is_depot_wide() {
        return Err(ApiError::forbidden("depot staff and operations only"));
    }
    let scope = Scope::of_filtered(tx, caller, depot)?;
    let mut out = vec![];
    for_each_order_seen(tx, &scope, Newest::First, |id, order| {
        let status = OrderStatus::from_code(&order.status);
        if statuses.is_none_or(|wanted| status.is_some_and(|s| wanted.contains(&s))) {
            out.push(WaitingOrder { id, order });
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// Which end of the feed [`for_each_order_seen`] starts from.
#[derive(Clone, Copy, PartialEq)]
pub enum Newest {
    First,
    Last,
}

/// Each order `scope` sees, with its id, in feed order from `from`'s end, streamed (a depot
/// may hold a million orders), until `f` returns `false`. A body that does not parse as an
/// order is skipped: the depot wrote it, and one bad row must not take a whole list away.
pub fn for_each_order_seen(
    tx: &Tx,
    scope: &Scope,
    from: Newest,
    mut f: impl FnMut(String, OrderBody) -> Result<bool, ApiError>,
) -> Result<(), ApiError> {
    let sql = match from {
        Newest::First => "SELECT id, owner, body FROM records WHERE kind = ?1 ORDER BY seq DESC",
        Newest::Last => "SELECT id, owner, body FROM records WHERE kind = ?1 ORDER BY seq",
    };
    let mut q = tx.prepare_cached(sql)?;
    let rows = q.query_map([Kind::Order.code()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?))
    })?;
    for row in rows {
        let (id, owner, body) = row?;
        if !scope.sees(owner.as_deref()) {
            continue;
        }
        let Ok(order) = serde_json::from_str::<OrderBody>(&body) else { continue };
        if !f(id, order)? {
            break;
        }
    }
    Ok(())
}

/// One order (staff and operations only; `not_found` when there is none, or it is another
/// depot's).
pub fn get_order(tx: &Tx, caller: &Caller, id: &str) -> Result<OrderBody, ApiError> {
    if !caller.role.is_depot_wide() {
        return Err(ApiError::forbidden("depot staff and operations only"));
    }
    let r = super::get_record(tx, Kind::Order.code(), id)?.ok_or_else(|| ApiError::not_found("no such order"))?;
    if !may_read(caller.role, super::accounts::relation(tx, caller, r.owner.as_deref())?) {
        return Err(ApiError::not_found("no such order"));
    }
    serde_json::from_value(r.body).map_err(|e| ApiError::internal(e.to_string()))
}

/// An artisan as operations choose whom to assign an order: her depot, her orders in hand and
/// her record at the quality check.
#[derive(Clone, Debug)]
pub struct ArtisanRecord {
    pub id: String,
    pub name: String,
    /// Her depot's name.
    pub depot: String,
    /// Orders assigned to her and not yet at the depot.
    pub in_hand: u32,
    pub checks_passed: u32,
    pub checks_failed: u32,
}

/// Every artisan with her load and quality record, by name (staff their own depot's, and
/// operations every one).
pub fn artisan_records(tx: &Tx, caller: &Caller) -> Result<Vec<ArtisanRecord>, ApiError> {
    if !caller.role.is_depot_wide() {
        return Err(ApiError::forbidden("depot staff and operations only"));
    }
    let scope = Scope::of(tx, caller)?;
    let mut q = tx.prepare_cached(
        "SELECT a.id, a.name, COALESCE(d.name, '') FROM accounts a LEFT JOIN depots d ON d.id = a.depot_id
         WHERE a.role = 'artisan' ORDER BY a.name, a.id",
    )?;
    let mut records: Vec<ArtisanRecord> = q
        .query_map([], |r| {
            Ok(ArtisanRecord { id: r.get(0)?, name: r.get(1)?, depot: r.get(2)?, in_hand: 0, checks_passed: 0, checks_failed: 0 })
        })?
        .collect::<Result<_, _>>()?;
    records.retain(|a| scope.has_account(&a.id));
    let index: BTreeMap<String, usize> = records.iter().enumerate().map(|(i, a)| (a.id.clone(), i)).collect();
    let mut q = tx.prepare_cached("SELECT body FROM records WHERE kind = ?1")?;
    for body in q.query_map([Kind::Order.code()], |r| r.get::<_, String>(0))? {
        let Ok(order) = serde_json::from_str::<OrderBody>(&body?) else { continue };
        let Some(&i) = order.artisan_id.as_ref().and_then(|a| index.get(a)) else { continue };
        let a = &mut records[i];
        if OrderStatus::from_code(&order.status).is_some_and(OrderStatus::awaits_artisan) {
            a.in_hand += 1;
        }
        for e in &order.history {
            match OrderCommand::from_code(&e.event) {
                Some(OrderCommand::QcPass) => a.checks_passed += 1,
                Some(OrderCommand::QcFail) => a.checks_failed += 1,
                _ => {}
            }
        }
    }
    Ok(records)
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

/// What waits at the depot: staff their own depot's (and the orders of no one's yet, which
/// operations assign), operations every depot's. Staff and operations only.
pub fn depot_report(db: &Db, caller: &Caller) -> Result<DepotReport, ApiError> {
    if !caller.role.is_depot_wide() {
        return Err(ApiError::forbidden("depot staff and operations only"));
    }
    db.read(|tx| {
        let scope = Scope::of(tx, caller)?;
        let mut waiting = vec![];
        let mut unassigned = vec![];
        for_each_order_seen(tx, &scope, Newest::Last, |id, order| {
            match OrderStatus::from_code(&order.status) {
                Some(OrderStatus::ReadyForPickup | OrderStatus::Received | OrderStatus::QcPassed | OrderStatus::QcFailed) => {
                    waiting.push(WaitingOrder { id, order })
                }
                Some(OrderStatus::New | OrderStatus::Declined) => unassigned.push(WaitingOrder { id, order }),
                _ => {}
            }
            Ok(true)
        })?;
        Ok(DepotReport { waiting, unassigned, stock: super::stock::held_in(tx, &scope)? })
    })
}
