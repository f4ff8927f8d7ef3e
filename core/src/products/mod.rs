//! Her published catalog on the phone (issue 15 item 4, ADR 0025): the products the depot made
//! of her approved drafts (`Kind::Product` records, written by the depot only and pulled like
//! orders), with how each is listed in the shop, the pieces the depot holds for it (the stock
//! ledger), and whether a new version of it is being written or reviewed (its draft). The
//! records are kept with the other records this phone never writes (`documents`); one this
//! build cannot read, or in a listing state it does not know, is held for a newer app as it is
//! pulled ([`holds`]). Tested over the real apply path in `replica/catalog_tests.rs`.

mod model;

pub use fundi_sync::catalog::ListingState;
pub use model::MyProduct;

use crate::error::{Error, Result};
use crate::{account, documents, drafts, stock, Store};
use fundi_sync::catalog::ProductBody;
use fundi_sync::money::{format_money, Currency, Language, Money};
use fundi_sync::workflow::DraftStatus;
use fundi_sync::Kind;
use serde_json::Value;

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

/// A pulled product this build can show: one that reads as a product, in a listing state it
/// knows. `None`: held for a newer app.
pub(crate) fn readable(body: &Value) -> Option<ProductBody> {
    serde_json::from_value::<ProductBody>(body.clone()).ok().filter(|p| p.listing_state().is_some())
}

/// Whether a pulled product record is held for a newer app (see [`readable`]).
pub(crate) fn holds(body: &Value) -> bool {
    readable(body).is_none()
}

/// A shop price as the screens show it: "USD 25", "EUR 12.50", "KSh 2,500" (every shop
/// currency has two-digit minor units, `fundi_sync::catalog::SHOP_CURRENCIES`, so the digits
/// are written as a shilling price's are; only the symbol differs).
pub fn format_shop_price(minor: i64, currency: &str, language: Language) -> String {
    let kes = format_money(Money::kes_minor(minor), language);
    if currency == Currency::Kes.code() {
        kes
    } else {
        kes.replacen("KSh", currency, 1)
    }
}

impl Store {
    /// This account's products, newest approval first: each with its listing, prices, the
    /// pieces at the depot and whether a new version is on its way. Other artisans' products
    /// (a mentor's phone holds her mentees') are not hers and not listed.
    pub fn my_products(&self) -> Result<Vec<MyProduct>> {
        self.read(|c| {
            let (me, _) = account::db::me(c)?;
            let held = stock::held(c)?;
            let mut out = vec![];
            for (id, body) in documents::db::list(c, Kind::Product.code())? {
                let p = readable(&body).ok_or_else(|| corrupt(()))?;
                if p.owner != me {
                    continue;
                }
                let next_version = drafts::db::status(c, &id)?.filter(|s| *s != DraftStatus::Approved);
                out.push(MyProduct {
                    listing: p.listing_state().ok_or_else(|| corrupt(()))?,
                    on_sale: p.is_on_sale(),
                    pieces_at_depot: held.get(&id).copied().unwrap_or(0),
                    made_to_order: p.weekly_capacity > 0,
                    id,
                    title: p.title,
                    version: p.version,
                    shop_price_minor: p.shop_price_minor,
                    shop_currency: p.shop_currency,
                    price_minor: p.price_minor,
                    weekly_capacity: p.weekly_capacity,
                    approved_ms: p.approved_ms,
                    next_version,
                });
            }
            out.sort_by(|a, b| b.approved_ms.cmp(&a.approved_ms).then_with(|| a.id.cmp(&b.id)));
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shop_price_is_written_in_its_currency() {
        assert_eq!(format_shop_price(2500, "USD", Language::English), "USD 25");
        assert_eq!(format_shop_price(1250, "EUR", Language::Swahili), "EUR 12.50");
        assert_eq!(format_shop_price(123_456_789, "GBP", Language::English), "GBP 1,234,567.89");
        assert_eq!(format_shop_price(250_000, "KES", Language::English), "KSh 2,500");
    }
}
