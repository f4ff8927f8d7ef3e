//! The published catalog on the depot (issue 15, ADR 0025). Approving a draft makes (or
//! versions) its product in the same transaction (`after_draft_change`, called by
//! `push::write_decision`); operations put a product on sale at a shop price, or take it off
//! (`change_listing`). What shoppers may see of the products on sale, and which photos, is
//! decided here and nowhere else (`on_sale`, `on_sale_one`, `is_public_photo`): the shop's
//! pages and feed (`http::shop`) only draw it.

use super::accounts::Caller;
use super::{get_record, put_record, ApiError, Db};
use crate::store::sql::{params, Tx};
use fundi_sync::catalog::{is_shop_currency, Availability, ListingState, ProductBody, SHOP_CURRENCIES};
use fundi_sync::drafts::Category;
use fundi_sync::fields::{PROFILE_DISPLAY_NAME, PROFILE_PUBLISH, PROFILE_STORY};
use fundi_sync::workflow::DraftStatus;
use fundi_sync::{DraftBody, Kind, ProfileBody, Role};
use serde_json::Value;
use std::collections::BTreeMap;

/// The highest shop price of one piece, in minor units of its currency.
pub const SHOP_PRICE_MAX_MINOR: i64 = 10_000_000;
/// Products on sale at once, at most: the shop's pages and its feed list them all, so a
/// publish beyond this is refused rather than a product silently left out of the feed.
pub const ON_SALE_MAX: usize = 5_000;

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
pub fn after_draft_change(tx: &Tx, draft_id: &str, body: &Value, by: &str, now_ms: u64) -> Result<(), ApiError> {
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

fn write(tx: &Tx, id: &str, p: &ProductBody) -> Result<(), ApiError> {
    let body = serde_json::to_value(p).expect("products serialize");
    put_record(tx, Kind::Product.code(), id, Some(&p.owner), None, &body, None)?;
    Ok(())
}

/// The product `id`, if its draft was ever approved.
pub fn get(tx: &Tx, id: &str) -> Result<Option<ProductBody>, ApiError> {
    get_record(tx, Kind::Product.code(), id)?
        .map(|r| serde_json::from_value(r.body).map_err(|e| ApiError::internal(format!("stored product: {e}"))))
        .transpose()
}

/// A change operations make to how a product is sold.
#[derive(Clone, Debug, PartialEq)]
pub enum ListingChange {
    /// On sale at `price_minor` minor units of `currency` a piece.
    Publish { price_minor: i64, currency: String },
    /// Off sale (its price kept for a later publish).
    Unpublish,
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
pub fn change_listing(tx: &Tx, caller: &Caller, id: &str, change: &ListingChange) -> Result<ProductBody, ApiError> {
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
            // Every sale of it must be worth a known sum of shillings (ADR 0027).
            super::margins::require_rate(tx, currency, fundi_sync::dates::Day::of_ms(super::now_ms()))?;
            if !p.is_on_sale() && on_sale_count(tx)? >= ON_SALE_MAX {
                return Err(ApiError::invalid(format!(
                    "the shop holds at most {ON_SALE_MAX} products on sale: unpublish one first"
                )));
            }
            p.listing = ListingState::Published.code().into();
            p.shop_price_minor = Some(*price_minor);
            p.shop_currency = Some(currency.clone());
        }
        ListingChange::Unpublish => p.listing = ListingState::Unpublished.code().into(),
    }
    write(tx, id, &p)?;
    let detail = match change {
        ListingChange::Publish { price_minor, currency } => format!("on sale at {price_minor} {currency} minor units"),
        ListingChange::Unpublish => "taken off sale".into(),
    };
    super::console::audit(tx, &caller.account_id, "product_listing", Some(id), Some(&detail))?;
    Ok(p)
}

/// Every product, newest change first, for operations; staff their own depot's (at most
/// `limit`).
pub fn all(tx: &Tx, caller: &Caller, limit: usize) -> Result<Vec<Product>, ApiError> {
    let held = super::stock::held_in(tx, &super::depots::Scope::of(tx, caller)?)?;
    let staff = if caller.role == Role::Staff { caller.account_id.as_str() } else { "" };
    let mut q = tx.prepare_cached(
        "SELECT r.id, r.body, COALESCE(a.name, '') FROM records r LEFT JOIN accounts a ON a.id = r.owner
         WHERE r.kind = ?1
           AND (?3 = '' OR r.owner IN (SELECT o.id FROM accounts o JOIN accounts me ON me.depot_id = o.depot_id WHERE me.id = ?3))
         ORDER BY r.seq DESC LIMIT ?2",
    )?;
    let rows = q.query_map(params![Kind::Product.code(), limit as i64, staff], |r| {
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

/// What a shopper may see of a product on sale: nothing else leaves the depot. Not her price
/// (what she earns a piece), her capacity, the pieces held, the review note, who approved it.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicProduct {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub description: String,
    pub materials: Vec<String>,
    /// Its category (one the catalog does not know is shown as `Other`).
    pub category: Category,
    /// The shop's price of one piece, in minor units of `currency` (one of `SHOP_CURRENCIES`).
    pub price_minor: i64,
    pub currency: String,
    /// The approved photos' hashes, in order.
    pub photos: Vec<String>,
    pub availability: Availability,
    /// The artisan's display name and story, if she agreed to publish them.
    pub artisan_name: Option<String>,
    pub artisan_story: Option<String>,
}

/// Every product on sale, by title, as shoppers may see them (at most [`ON_SALE_MAX`]).
pub fn on_sale(tx: &Tx) -> Result<Vec<PublicProduct>, ApiError> {
    let held = super::stock::held(tx)?;
    let mut profiles = BTreeMap::new();
    let mut out = vec![];
    for (id, p) in products(tx)? {
        if let Some(public) = public(tx, id, p, &held, &mut profiles)? {
            out.push(public);
        }
    }
    out.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
    out.truncate(ON_SALE_MAX);
    Ok(out)
}

/// The products on sale as the shop shows them: [`on_sale`], with only the photos the depot
/// holds (a photo not uploaded yet is neither shown nor linked until it arrives).
pub fn shop(db: &Db) -> Result<Vec<PublicProduct>, ApiError> {
    let mut all = db.read(on_sale)?;
    for p in &mut all {
        p.photos.retain(|h| db.blobs.has(h));
    }
    Ok(all)
}

/// Product `id` as the shop shows it, if it is on sale (photos as in [`shop`]).
pub fn shop_one(db: &Db, id: &str) -> Result<Option<PublicProduct>, ApiError> {
    let mut one = db.read(|tx| on_sale_one(tx, id))?;
    if let Some(p) = &mut one {
        p.photos.retain(|h| db.blobs.has(h));
    }
    Ok(one)
}

/// Product `id` as shoppers may see it, if it is on sale.
pub fn on_sale_one(tx: &Tx, id: &str) -> Result<Option<PublicProduct>, ApiError> {
    let Some(p) = get(tx, id)? else { return Ok(None) };
    if !p.is_on_sale() {
        return Ok(None);
    }
    public(tx, id.to_string(), p, &super::stock::held(tx)?, &mut BTreeMap::new())
}

/// Every product record, parsed (one that does not parse is the depot's own damage: an error).
fn products(tx: &Tx) -> Result<Vec<(String, ProductBody)>, ApiError> {
    let mut q = tx.prepare_cached("SELECT id, body FROM records WHERE kind = ?1")?;
    let rows = q.query_map([Kind::Product.code()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    rows.map(|row| {
        let (id, body) = row?;
        let p = serde_json::from_str(&body).map_err(|e| ApiError::internal(format!("stored product: {e}")))?;
        Ok((id, p))
    })
    .collect()
}

fn on_sale_count(tx: &Tx) -> Result<usize, ApiError> {
    Ok(products(tx)?.iter().filter(|(_, p)| p.is_on_sale()).count())
}

/// An artisan's public name and story, by her account id.
type Profiles = BTreeMap<String, (Option<String>, Option<String>)>;

fn public(
    tx: &Tx,
    id: String,
    p: ProductBody,
    held: &BTreeMap<String, i64>,
    profiles: &mut Profiles,
) -> Result<Option<PublicProduct>, ApiError> {
    let (Some(price_minor), Some(currency)) = (p.shop_price_minor, p.shop_currency.clone()) else { return Ok(None) };
    if !p.is_on_sale() {
        return Ok(None);
    }
    let (artisan_name, artisan_story) = match profiles.get(&p.owner) {
        Some(known) => known.clone(),
        None => {
            let found = public_profile(tx, &p.owner)?;
            profiles.insert(p.owner.clone(), found.clone());
            found
        }
    };
    Ok(Some(PublicProduct {
        availability: Availability::of(held.get(&id).copied().unwrap_or(0), p.weekly_capacity),
        id,
        version: p.version,
        title: p.title,
        description: p.description,
        materials: p.materials,
        category: Category::from_code(&p.category).unwrap_or(Category::Other),
        price_minor,
        currency,
        photos: p.photos,
        artisan_name,
        artisan_story,
    }))
}

/// An artisan's display name and story, only if her profile says she agreed to publish them
/// (`publish` is `true`; anything else, or no profile, publishes nothing).
fn public_profile(tx: &Tx, artisan: &str) -> Result<(Option<String>, Option<String>), ApiError> {
    let Some(r) = get_record(tx, Kind::Profile.code(), artisan)? else { return Ok((None, None)) };
    let Ok(profile) = serde_json::from_value::<ProfileBody>(r.body) else { return Ok((None, None)) };
    if profile.doc.value(PROFILE_PUBLISH).and_then(Value::as_bool) != Some(true) {
        return Ok((None, None));
    }
    let text = |name: &str| profile.text(name).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    Ok((text(PROFILE_DISPLAY_NAME), text(PROFILE_STORY)))
}

/// Whether a blob is a photo of a product on sale (the shop may show it to anyone). A draft's
/// photos, an unpublished product's and a quality check's are not.
pub fn is_public_photo(tx: &Tx, sha256: &str) -> Result<bool, ApiError> {
    let mut q = tx.prepare_cached(
        "SELECT r.body FROM blob_refs b JOIN records r ON r.kind = b.kind AND r.id = b.id WHERE b.sha256 = ?1 AND b.kind = ?2",
    )?;
    let bodies = q.query_map(params![sha256, Kind::Product.code()], |r| r.get::<_, String>(0))?;
    for body in bodies {
        if serde_json::from_str::<ProductBody>(&body?).is_ok_and(|p| p.is_on_sale()) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(owner: &str, title: &str) -> ProductBody {
        ProductBody {
            owner: owner.into(),
            version: 1,
            title: title.into(),
            description: String::new(),
            materials: vec![],
            category: "baskets".into(),
            price_minor: 100,
            weekly_capacity: 0,
            photos: vec![],
            approved_ms: 1,
            listing: ListingState::AwaitingPrice.code().into(),
            shop_price_minor: None,
            shop_currency: None,
            extra: Default::default(),
        }
    }

    /// The shop lists every product on sale: one more than it can list is refused at publish,
    /// and a product already on sale may still be published again (a new price).
    #[test]
    fn a_publish_beyond_what_the_shop_lists_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let ops = Caller::local_operator();
        let usd = |price_minor| ListingChange::Publish { price_minor, currency: "USD".into() };
        let today = fundi_sync::dates::Day::of_ms(crate::store::now_ms());
        db.write(|tx| crate::store::margins::set_exchange_rate(tx, &ops, "USD", today, 1_295_000)).unwrap();
        db.write(|tx| {
            for i in 0..ON_SALE_MAX {
                let mut p = product("a1", &format!("P{i}"));
                (p.listing, p.shop_price_minor, p.shop_currency) = ("published".into(), Some(100), Some("USD".into()));
                write(tx, &format!("p{i}"), &p)?;
            }
            write(tx, "one-more", &product("a1", "One more"))
        })
        .unwrap();
        let e = db.write(|tx| change_listing(tx, &ops, "one-more", &usd(100))).unwrap_err();
        assert_eq!((e.status, e.code), (422, "invalid"), "{e}");
        assert!(!db.read(|tx| get(tx, "one-more")).unwrap().unwrap().is_on_sale());
        assert_eq!(db.read(on_sale).unwrap().len(), ON_SALE_MAX);
        db.write(|tx| change_listing(tx, &ops, "p0", &usd(200))).unwrap();
        db.write(|tx| change_listing(tx, &ops, "p1", &ListingChange::Unpublish)).unwrap();
        db.write(|tx| change_listing(tx, &ops, "one-more", &usd(100))).unwrap();
        assert!(db.read(|tx| on_sale_one(tx, "one-more")).unwrap().is_some());
    }
}
