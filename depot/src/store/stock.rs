//! Stock at the depot as the console shows it (issue 12 item 3): what the depot holds per
//! product and artisan, the latest movements with who recorded them, and the products a
//! movement may be recorded for. Movements themselves are the stock ledger's entries, written
//! by the protocol's rules (a phone's push, or the console through `push::apply_api`); who
//! recorded each is kept beside them (`stock_recorders`, depot migration 010): an account, or
//! the shop whose order sold pieces from stock (`shop_orders`). Stock is its artisan's depot's
//! (the entry's owner's): staff see their own depot's, operations every depot's and which
//! depot each line is in (ADR 0030).

use super::accounts::{get_account, Caller};
use super::depots::{Directory, Scope};
use super::{get_record, now_ms, ApiError};
use crate::store::sql::{params, Tx};
use fundi_sync::drafts::DraftField;
use fundi_sync::ledger::sum_by_product;
use fundi_sync::workflow::DraftStatus;
use fundi_sync::{DraftBody, Kind, StockBody};
use std::collections::BTreeMap;

/// Movements one page lists at most.
pub const MOVEMENTS_MAX: usize = 100;

/// Record that `account` recorded stock entry `entry` (in the transaction that writes it).
pub fn recorded_by(tx: &Tx, entry: &str, account: &str) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO stock_recorders (entry_id, account_id, recorded_ms) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![entry, account, now_ms() as i64],
    )?;
    Ok(())
}

/// Post a movement of `delta` pieces of `product_id` to `owner`'s stock at the depot, recorded
/// by `by`, as entry `id` (a depot-made id, e.g. [`stocked_id`]): once, however often called.
#[allow(clippy::too_many_arguments)]
pub fn post_movement(
    tx: &Tx,
    owner: &str,
    id: &str,
    product_id: &str,
    delta: i64,
    reason: &str,
    hlc: fundi_sync::hlc::Timestamp,
    by: &str,
    order_id: Option<&str>,
) -> Result<(), ApiError> {
    if get_record(tx, Kind::Stock.code(), id)?.is_some() {
        return Ok(());
    }
    let mut extra = fundi_sync::Extra::new();
    if let Some(o) = order_id {
        extra.insert("order_id".into(), serde_json::Value::String(o.into()));
    }
    let entry =
        fundi_sync::LedgerEntry { id: id.into(), product_id: product_id.into(), delta, reason: reason.into(), hlc, extra };
    entry.check().map_err(|r| ApiError::invalid(r.detail))?;
    let body =
        serde_json::to_value(StockBody { owner: owner.into(), entry, extra: Default::default() }).expect("entries serialize");
    super::put_record(tx, Kind::Stock.code(), id, Some(owner), None, &body, None)?;
    recorded_by(tx, id, by)
}

/// The id of the movement that puts an order's pieces into stock: one per order.
pub fn stocked_id(order_id: &str) -> String {
    format!("stocked:{order_id}")
}

/// The id of the movement that takes the pieces of an order sold from stock out of it (ADR
/// 0026): one per order.
pub fn sold_id(order_id: &str) -> String {
    format!("sold:{order_id}")
}

/// After an order was written: pieces of an order put into stock (`OrderCommand::Stock`) are
/// added to its artisan's stock of its product, in the same transaction.
pub fn after_order_change(
    tx: &Tx,
    order_id: &str,
    order: &fundi_sync::OrderBody,
    hlc: fundi_sync::hlc::Timestamp,
    by: &str,
) -> Result<(), ApiError> {
    if fundi_sync::workflow::OrderStatus::from_code(&order.status) != Some(fundi_sync::workflow::OrderStatus::Stocked) {
        return Ok(());
    }
    let (Some(artisan), Some(product)) = (order.artisan_id.as_deref(), order.product_id.as_deref()) else {
        return Err(ApiError::internal(format!("order {order_id} stocked without an artisan or product")));
    };
    let delta = i64::from(order.quantity);
    post_movement(tx, artisan, &stocked_id(order_id), product, delta, "stocked", hlc, by, Some(order_id))
}

/// The pieces the depots hold per product: the sum of the stock ledger's movements.
pub fn held(tx: &Tx) -> Result<BTreeMap<String, i64>, ApiError> {
    held_in(tx, &Scope::everything())
}

/// The pieces held per product of the depots `scope` sees.
pub fn held_in(tx: &Tx, scope: &Scope) -> Result<BTreeMap<String, i64>, ApiError> {
    let mut q = tx.prepare_cached("SELECT owner, body FROM records WHERE kind = ?1")?;
    let mut entries = vec![];
    for row in q.query_map([Kind::Stock.code()], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?)))? {
        let (owner, body) = row?;
        if scope.sees(owner.as_deref()) {
            entries.push(serde_json::from_str::<StockBody>(&body).map_err(|e| ApiError::internal(e.to_string()))?.entry);
        }
    }
    Ok(sum_by_product(&entries))
}

#[derive(Clone, Debug)]
pub struct ProductStock {
    pub product_id: String,
    pub title: String,
    pub artisan: String,
    /// Its artisan's depot's name.
    pub depot: String,
    pub units: i64,
}

#[derive(Clone, Debug)]
pub struct Movement {
    pub title: String,
    pub delta: i64,
    pub reason: String,
    pub at_ms: u64,
    /// Who recorded it (`None`: before the depot kept it).
    pub by: Option<String>,
    /// The depot's name whose stock it moved.
    pub depot: String,
}

#[derive(Clone, Debug, Default)]
pub struct StockPage {
    /// Every product with stock or approved for sale, by title.
    pub products: Vec<ProductStock>,
    /// The latest movements, newest first.
    pub movements: Vec<Movement>,
}

/// A product's title, artisan's name, review status and owner (its draft's).
type ProductFacts = (String, String, Option<DraftStatus>, Option<String>);

fn product(tx: &Tx, id: &str) -> Result<ProductFacts, ApiError> {
    let Some(r) = get_record(tx, Kind::Draft.code(), id)? else { return Ok((id.to_string(), String::new(), None, None)) };
    let artisan = match &r.owner {
        Some(o) => get_account(tx, o)?.map(|a| a.name).unwrap_or_default(),
        None => String::new(),
    };
    let draft: Option<DraftBody> = serde_json::from_value(r.body).ok();
    let title =
        draft.as_ref().and_then(|d| d.doc.value(DraftField::Title.code())).and_then(|v| v.as_str()).unwrap_or(id).to_string();
    let owner = r.owner.clone();
    Ok((title, artisan, draft.and_then(|d| DraftStatus::from_code(&d.status)), owner))
}

/// The Stock page for `caller` (staff their own depot's; operations every depot's, or depot
/// `depot`'s only when they name one).
pub fn stock_page(tx: &Tx, caller: &Caller, depot: Option<&str>) -> Result<StockPage, ApiError> {
    if !caller.role.is_depot_wide() {
        return Err(ApiError::forbidden("depot staff and operations only"));
    }
    let scope = Scope::of_filtered(tx, caller, depot)?;
    let directory = Directory::load(tx)?;
    // A sale through a shop's webhook is recorded by the shop (ADR 0026).
    let mut q = tx.prepare_cached(
        "SELECT r.body, COALESCE(a.name, sh.name), r.owner FROM records r LEFT JOIN stock_recorders s ON s.entry_id = r.id
         LEFT JOIN accounts a ON a.id = s.account_id LEFT JOIN shops sh ON sh.id = s.account_id
         WHERE r.kind = ?1 ORDER BY r.seq DESC",
    )?;
    let mut entries = vec![];
    let mut latest = vec![];
    let rows = q.query_map([Kind::Stock.code()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?))
    })?;
    for row in rows {
        let (body, by, owner) = row?;
        if !scope.sees(owner.as_deref()) {
            continue;
        }
        let Ok(s) = serde_json::from_str::<StockBody>(&body) else { continue };
        if latest.len() < MOVEMENTS_MAX {
            latest.push((s.entry.clone(), by, directory.depot_name(owner.as_deref())));
        }
        entries.push(s.entry);
    }
    let held = sum_by_product(&entries);
    let mut products: BTreeMap<String, ProductStock> = BTreeMap::new();
    for (id, units) in &held {
        let (title, artisan, _, owner) = product(tx, id)?;
        let depot = directory.depot_name(owner.as_deref());
        products.insert(id.clone(), ProductStock { product_id: id.clone(), title, artisan, depot, units: *units });
    }
    // Approved products with nothing held yet: stock may be recorded for them too.
    let mut q = tx.prepare_cached("SELECT id, owner FROM records WHERE kind = ?1")?;
    let drafts: Vec<(String, Option<String>)> =
        q.query_map([Kind::Draft.code()], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    for (id, owner) in &drafts {
        if products.contains_key(id) || !scope.sees(owner.as_deref()) {
            continue;
        }
        let (title, artisan, status, _) = product(tx, id)?;
        if status == Some(DraftStatus::Approved) {
            let depot = directory.depot_name(owner.as_deref());
            products.insert(id.clone(), ProductStock { product_id: id.clone(), title, artisan, depot, units: 0 });
        }
    }
    let mut products: Vec<ProductStock> = products.into_values().collect();
    products.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.product_id.cmp(&b.product_id)));
    let mut movements = vec![];
    for (e, by, depot) in latest {
        let (title, _, _, _) = product(tx, &e.product_id)?;
        movements.push(Movement { title, delta: e.delta, reason: e.reason, at_ms: e.hlc.wall_ms, by, depot });
    }
    Ok(StockPage { products, movements })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Db;

    /// A movement a shop's order made shows the shop's name as who recorded it.
    #[test]
    fn a_movement_a_shop_made_is_recorded_by_the_shop() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let ops = Caller::local_operator();
        let shop = db.write(|tx| super::super::shops::add(tx, &ops, "Duka la mtandaoni")).unwrap();
        let hlc = db.now();
        db.write(|tx| post_movement(tx, "artisan", &sold_id("o1"), "p1", -2, "sold", hlc, &shop.id, Some("o1"))).unwrap();
        db.write(|tx| post_movement(tx, "artisan", &sold_id("o1"), "p1", -2, "sold", hlc, &shop.id, Some("o1"))).unwrap();
        let page = db.read(|tx| stock_page(tx, &ops, None)).unwrap();
        assert_eq!(page.movements.len(), 1, "posted once");
        let m = &page.movements[0];
        assert_eq!((m.delta, m.reason.as_str(), m.by.as_deref()), (-2, "sold", Some("Duka la mtandaoni")));
        assert_eq!(db.read(held).unwrap().get("p1"), Some(&-2));
    }
}
