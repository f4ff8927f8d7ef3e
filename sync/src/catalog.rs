//! The published catalog (issue 15, ADR 0025): what a draft becomes when it is approved. A
//! product is a record of its own (`Kind::Product`, id = the draft's id), written by the depot
//! only and read by its artisan (and those who may read her records): the approved version's
//! content, and how operations list it in the shop. An artisan's later edit goes through review
//! again (`DraftCommand::Revise`); the product keeps the last approved version until then.
//!
//! Pure data and rules, shared by the depot (which writes products) and the phone (which shows
//! them): no I/O.

use crate::drafts::DraftField;
use crate::fields::DRAFT_PHOTOS;
use crate::wire::{DraftBody, Extra};
use serde::{Deserialize, Serialize};

/// Currencies a shop price may be set in (ISO 4217, minor units of two digits).
pub const SHOP_CURRENCIES: [&str; 4] = ["USD", "EUR", "GBP", "KES"];

/// How operations list a product in the shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListingState {
    /// Approved, without a shop price yet: not on sale.
    AwaitingPrice,
    /// On sale in the shop.
    Published,
    /// Taken off sale by operations.
    Unpublished,
}

impl ListingState {
    pub const ALL: [ListingState; 3] = [ListingState::AwaitingPrice, ListingState::Published, ListingState::Unpublished];
    pub fn code(self) -> &'static str {
        match self {
            ListingState::AwaitingPrice => "awaiting_price",
            ListingState::Published => "published",
            ListingState::Unpublished => "unpublished",
        }
    }
    pub fn from_code(s: &str) -> Option<ListingState> {
        Self::ALL.into_iter().find(|l| l.code() == s)
    }
}

/// A product as the depot stores and sends it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProductBody {
    /// The artisan whose product it is.
    pub owner: String,
    /// 1 for the first approval, one more at each later approval.
    pub version: u32,
    pub title: String,
    pub description: String,
    pub materials: Vec<String>,
    /// A [`crate::drafts::Category`] code.
    pub category: String,
    /// The artisan's approved price for one piece, KES minor units (what she earns per piece).
    pub price_minor: i64,
    /// Pieces she can make a week; 0: not made to order, sold from stock only.
    pub weekly_capacity: u32,
    /// Content hashes of the approved photos, in order.
    pub photos: Vec<String>,
    /// When this version was approved (depot wall clock, ms).
    pub approved_ms: u64,
    /// A [`ListingState`] code.
    pub listing: String,
    /// The shop's price for one piece, in minor units of `shop_currency`, once operations set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop_price_minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop_currency: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ProductBody {
    pub fn listing_state(&self) -> Option<ListingState> {
        ListingState::from_code(&self.listing)
    }

    /// Whether shoppers may see and buy it.
    pub fn is_on_sale(&self) -> bool {
        self.listing_state() == Some(ListingState::Published) && self.shop_price_minor.is_some()
    }

    /// The approved content of `draft` as version `version` of its product. Listing fields are
    /// carried from `previous` (a new version stays on sale at its price), else awaiting a price.
    pub fn from_draft(draft: &DraftBody, version: u32, approved_ms: u64, previous: Option<&ProductBody>) -> ProductBody {
        let text = |f: DraftField| draft.doc.value(f.code()).and_then(|v| v.as_str()).unwrap_or_default().trim().to_string();
        let list = |name: &str| -> Vec<String> {
            draft
                .doc
                .value(name)
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        };
        let number = |f: DraftField| draft.doc.value(f.code()).and_then(|v| v.as_i64()).unwrap_or(0);
        ProductBody {
            owner: draft.owner.clone(),
            version,
            title: text(DraftField::Title),
            description: text(DraftField::Description),
            materials: list(DraftField::Materials.code()),
            category: text(DraftField::Category),
            price_minor: number(DraftField::Price).max(0),
            weekly_capacity: u32::try_from(number(DraftField::WeeklyCapacity)).unwrap_or(0),
            photos: list(DRAFT_PHOTOS),
            approved_ms,
            listing: previous.map_or(ListingState::AwaitingPrice.code().into(), |p| p.listing.clone()),
            shop_price_minor: previous.and_then(|p| p.shop_price_minor),
            shop_currency: previous.and_then(|p| p.shop_currency.clone()),
            extra: Extra::new(),
        }
    }
}

/// What a shopper is told about getting a product, from the stock the depot holds for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Pieces at the depot: shipped at once.
    InStock,
    /// None at the depot, but its artisan makes it to order.
    MadeToOrder,
    OutOfStock,
}

impl Availability {
    pub fn of(held: i64, weekly_capacity: u32) -> Availability {
        if held > 0 {
            Availability::InStock
        } else if weekly_capacity > 0 {
            Availability::MadeToOrder
        } else {
            Availability::OutOfStock
        }
    }

    /// The feed's value (the words shop platforms read: schema.org's ItemAvailability names).
    pub fn code(self) -> &'static str {
        match self {
            Availability::InStock => "in_stock",
            Availability::MadeToOrder => "backorder",
            Availability::OutOfStock => "out_of_stock",
        }
    }
}

/// Whether `code` is a currency a shop price may be set in.
pub fn is_shop_currency(code: &str) -> bool {
    SHOP_CURRENCIES.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::Timestamp;
    use serde_json::json;

    fn draft() -> DraftBody {
        let t = Timestamp { wall_ms: 5, counter: 0, node: 1 };
        let w = |v: serde_json::Value| json!({"value": v, "hlc": t});
        serde_json::from_value(json!({"owner": "a1", "status": "approved", "doc": {"fields": {
            "title": w(json!(" Kikapu ")), "description": w(json!("Sisal basket")), "materials": w(json!(["sisal"])),
            "category": w(json!("baskets")), "price": w(json!(150000)), "weekly_capacity": w(json!(3)),
            "photos": w(json!(["ab"])), "review_note": w(json!("private note"))}}}))
        .unwrap()
    }

    #[test]
    fn a_product_takes_the_approved_content_and_nothing_else() {
        let p = ProductBody::from_draft(&draft(), 1, 9, None);
        assert_eq!((p.title.as_str(), p.price_minor, p.weekly_capacity), ("Kikapu", 150000, 3));
        assert_eq!(p.photos, vec!["ab".to_string()]);
        assert_eq!(p.listing_state(), Some(ListingState::AwaitingPrice));
        assert!(!p.is_on_sale());
        assert!(!serde_json::to_string(&p).unwrap().contains("private note"), "the review note stays on the draft");
    }

    #[test]
    fn a_new_version_keeps_its_listing_and_price() {
        let mut first = ProductBody::from_draft(&draft(), 1, 9, None);
        first.listing = ListingState::Published.code().into();
        first.shop_price_minor = Some(2500);
        first.shop_currency = Some("USD".into());
        let second = ProductBody::from_draft(&draft(), 2, 10, Some(&first));
        assert!(second.is_on_sale());
        assert_eq!((second.version, second.shop_price_minor), (2, Some(2500)));
    }

    #[test]
    fn availability_follows_stock_then_capacity() {
        assert_eq!(Availability::of(2, 0), Availability::InStock);
        assert_eq!(Availability::of(0, 4), Availability::MadeToOrder);
        assert_eq!(Availability::of(-1, 0), Availability::OutOfStock);
    }
}
