//! The published catalog on the depot (issue 15, ADR 0025). Approving a draft makes (or
//! versions) its product in the same transaction (`after_draft_change`, called by
//! `push::write_decision`); operations put a product on sale at a shop price, or take it off
//! (`change_listing`).

use super::accounts::Caller;
use super::{get_record, put_record, ApiError};
use fundi_sync::catalog::{is_shop_currency, ListingState, ProductBody, SHOP_CURRENCIES};
use fundi_sync::workflow::DraftStatus;
use fundi_sync::{DraftBody, Kind, Role};
use rusqlite::{params, Connection};
use serde_json::Value;

/// The highest shop price of one piece, in minor units of its currency.
pub const SHOP_PRICE_MAX_MINOR: i64 = 10_000_000;

/// A product as operations see it: its record, its artisan's account name, the pieces held.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Product {
    pub id: String,
    pub body: ProductBody,
    pub artisan: String,
    pub held: i64,
}

/// After a draft was written: if it is approved and its content differs from its product's
/// current version (or it has none), that content becomes the next version, approved by `by`.
pub fn after_draft_change(tx: &Connection, draft_id: &str, body: &Value, by: &str, now_ms: u64) -> Result<(), ApiError> {
    let draft: DraftBody = serde_json::from_value(body.clone()).map_err(|e| ApiError::internal(e.to_string()))?;
    if DraftStatus::from_code(&draft.status) != Some(DraftStatus::Approved) {
        return Ok(());
    }
    let previous = get(tx, draft_id)?;
    let version = previous.as_ref().map_or(1, |p| p.version + 1);
    let next = ProductBody::from_draft(&draft, version, now_ms, previous.as_ref());
    if previous.as_ref().is_some_and(|p| same_content(p, &next)) {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO product_versions (product_id, version, body, approved_by, approved_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![draft_id, version, serde_json::to_string(&next).expect("products serialize"), by, now_ms as i64],
    )?;
    write(tx, draft_id, &next)
}

fn same_content(a: &ProductBody, b: &ProductBody) -> bool {
    (&a.title, &a.description, &a.materials, &a.category, a.price_minor, a.weekly_capacity, &a.photos)
        == (&b.title, &b.description, &b.materials, &b.category, b.price_minor, b.weekly_capacity, &b.photos)
}

fn write(tx: &Connection, id: &str, p: &ProductBody) -> Result<(), ApiError> {
    let body = serde_json::to_value(p).expect("products serialize");
    put_record(tx, Kind::Product.code(), id, Some(&p.owner), None, &body, None)?;
    Ok(())
}

/// The product `id`, if its draft was ever approved.
pub fn get(tx: &Connection, id: &str) -> Result<Option<ProductBody>, ApiError> {
    get_record(tx, Kind::Product.code(), id)?
        .map(|r| serde_json::from_value(r.body).map_err(|e| ApiError::internal(format!("stored product: {e}"))))
        .transpose()
}

/// A change operations make to how a product is sold.
#[derive(Clone, Debug, PartialEq)]
pub enum ListingChange {
    /// On sale at `price_minor` minor units of `currency` a piece.
    Publish { price_minor: i64, currency: String },
    /// Off sale (its price kept for a later publish). A struct variant, so that a price sent
    /// with it is refused like any unknown member (serde lets a unit variant ignore them).
    Unpublish {},
}

/// A listing change as JSON: `{"action": "publish", "price_minor": 2500, "currency": "USD"}` or
/// `{"action": "unpublish"}` (and nothing else).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingRequest {
    action: String,
    #[serde(default)]
    price_minor: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
}

impl TryFrom<ListingRequest> for ListingChange {
    type Error = ApiError;
    fn try_from(r: ListingRequest) -> Result<ListingChange, ApiError> {
        match (r.action.as_str(), r.price_minor, r.currency) {
            ("publish", Some(price_minor), Some(currency)) => Ok(ListingChange::Publish { price_minor, currency }),
            ("publish", ..) => Err(ApiError::invalid("publish needs price_minor and currency")),
            ("unpublish", None, None) => Ok(ListingChange::Unpublish),
            ("unpublish", ..) => Err(ApiError::invalid("unpublish takes no price")),
            (other, ..) => Err(ApiError::invalid(format!("action {other:?}: publish or unpublish"))),
        }
    }
}

/// Apply `change` to product `id` for `caller` (operations only); the product as it now is.
pub fn change_listing(tx: &Connection, caller: &Caller, id: &str, change: &ListingChange) -> Result<ProductBody, ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("operations only"));
    }
    let mut p = get(tx, id)?.ok_or_else(|| ApiError::not_found("no such product"))?;
    match change {
        ListingChange::Publish { price_minor, currency } => {
            if !(1..=SHOP_PRICE_MAX_MINOR).contains(price_minor) {
                return Err(ApiError::invalid(format!("a shop price is 1 to {SHOP_PRICE_MAX_MINOR} minor units")));
            }
            if !is_shop_currency(currency) {
                return Err(ApiError::invalid(format!("a shop price is in one of {}", SHOP_CURRENCIES.join(", "))));
            }
            p.listing = ListingState::Published.code().into();
            p.shop_price_minor = Some(*price_minor);
            p.shop_currency = Some(currency.clone());
        }
        ListingChange::Unpublish {} => p.listing = ListingState::Unpublished.code().into(),
    }
    write(tx, id, &p)?;
    let detail = match change {
        ListingChange::Publish { price_minor, currency } => format!("on sale at {price_minor} {currency} minor units"),
        ListingChange::Unpublish {} => "taken off sale".into(),
    };
    super::console::audit(tx, &caller.account_id, "product_listing", Some(id), Some(&detail))?;
    Ok(p)
}

/// Every product, newest change first, for operations (at most `limit`).
pub fn all(tx: &Connection, limit: usize) -> Result<Vec<Product>, ApiError> {
    let held = super::stock::held(tx)?;
    let mut q = tx.prepare_cached(
        "SELECT r.id, r.body, COALESCE(a.name, '') FROM records r LEFT JOIN accounts a ON a.id = r.owner
         WHERE r.kind = ?1 ORDER BY r.seq DESC LIMIT ?2",
    )?;
    let rows = q.query_map(params![Kind::Product.code(), limit as i64], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
    })?;
    let mut out = vec![];
    for row in rows {
        let (id, body, artisan) = row?;
        let body: ProductBody = serde_json::from_str(&body).map_err(|e| ApiError::internal(format!("stored product: {e}")))?;
        out.push(Product { held: held.get(&id).copied().unwrap_or(0), id, body, artisan });
    }
    Ok(out)
}
