//! The console's Products page (issue 15 item 1, ADR 0025): every approved product with its
//! version, the artisan's price, how it is listed in the shop and the pieces the depot holds;
//! operations put one on sale at a shop price or take it off. The change is
//! `store::products::change_listing`, the same function the API calls, audited there.

use super::pages::{chrome, failed, form_session, message, to_signin, Chrome};
use super::text::Lang;
use super::{blocking, html, lang_of, refusal_status, session_of};
use crate::http::App;
use crate::store::console::ConsoleSession;
use crate::store::products::{self, ListingChange};
use crate::store::ApiError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fundi_sync::catalog::{ListingState, SHOP_CURRENCIES};
use fundi_sync::money::{format_money, Money};
use serde::Deserialize;

/// Products the page lists at most (the newest changed first).
pub const PRODUCTS_SHOWN_MAX: usize = 200;

pub struct ProductRow {
    pub id: String,
    pub title: String,
    pub artisan: String,
    pub version: u32,
    pub price: String,
    pub listing: &'static str,
    pub on_sale: bool,
    pub shop_price: String,
    /// The shop price as typed back into the form (major units, e.g. "25.00").
    pub shop_price_input: String,
    pub currency: String,
    pub held: i64,
}

#[derive(Template)]
#[template(path = "console/products.html")]
struct ProductsPage {
    c: Chrome,
    products: Vec<ProductRow>,
    currencies: &'static [&'static str],
    error: Option<String>,
}

fn listing_name(lang: Lang, l: Option<ListingState>) -> &'static str {
    let t = lang.text();
    match l {
        Some(ListingState::Published) => t.listing_published,
        Some(ListingState::Unpublished) => t.listing_unpublished,
        _ => t.listing_awaiting_price,
    }
}

/// Minor units as "25.00".
fn major(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

async fn page(app: &App, lang: Lang, s: &ConsoleSession, status: StatusCode, error: Option<String>) -> Response {
    let (db, caller) = (app.db.clone(), s.caller.clone());
    let found = match blocking(move || db.read(|tx| products::all(tx, &caller, PRODUCTS_SHOWN_MAX))).await {
        Some(Ok(p)) => p,
        Some(Err(e)) => return failed(lang, Some(s), e),
        None => return failed(lang, Some(s), ApiError::internal("listing products failed")),
    };
    let products = found
        .into_iter()
        .map(|p| {
            let b = p.body;
            let currency = b.shop_currency.clone().unwrap_or_else(|| SHOP_CURRENCIES[0].to_string());
            ProductRow {
                listing: listing_name(lang, b.listing_state()),
                on_sale: b.is_on_sale(),
                shop_price: b.shop_price_minor.map(|m| format!("{} {currency}", major(m))).unwrap_or_default(),
                shop_price_input: b.shop_price_minor.map(major).unwrap_or_default(),
                price: format_money(Money::kes_minor(b.price_minor), lang.money()),
                currency,
                id: p.id,
                title: b.title,
                artisan: p.artisan,
                version: b.version,
                held: p.held,
            }
        })
        .collect();
    let c = chrome(lang, |t| t.products, "/console/products", Some(s));
    html(status, ProductsPage { c, products, currencies: &SHOP_CURRENCIES, error }.render())
}

pub async fn list(State(app): State<App>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    match session_of(&app, &headers).await {
        Ok(Some(s)) if s.caller.role.is_depot_wide() => page(&app, lang, &s, StatusCode::OK, None).await,
        Ok(Some(s)) => message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into()),
        Ok(None) => to_signin(),
        Err(e) => failed(lang, None, e),
    }
}

#[derive(Deserialize)]
pub struct ListingForm {
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    currency: String,
}

/// "25", "25.5", "25.50", "1,250.00" as minor units; anything else is `None`.
fn minor_of(text: &str) -> Option<i64> {
    let t = text.trim().replace(',', "");
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)
}

/// Put a product on sale at a price, or take it off sale (operations).
pub async fn change(
    State(app): State<App>,
    headers: HeaderMap,
    Path(product): Path<String>,
    Form(form): Form<ListingForm>,
) -> Response {
    let lang = lang_of(&headers);
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if s.caller.role != fundi_sync::Role::Operations {
        return message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into());
    }
    let change = match form.action.as_str() {
        "publish" => match minor_of(&form.price) {
            Some(price_minor) => ListingChange::Publish { price_minor, currency: form.currency.trim().to_string() },
            None => {
                return page(&app, lang, &s, StatusCode::UNPROCESSABLE_ENTITY, Some(lang.text().shop_price_help.into())).await
            }
        },
        "unpublish" => ListingChange::Unpublish,
        other => return message(lang, Some(&s), StatusCode::UNPROCESSABLE_ENTITY, format!("no such action {other:?}")),
    };
    let (db, caller) = (app.db.clone(), s.caller.clone());
    let done = blocking(move || db.write(|tx| products::change_listing(tx, &caller, &product, &change).map(|_| ())))
        .await
        .unwrap_or_else(|| Err(ApiError::internal("changing the listing failed")));
    match done {
        Ok(()) => Redirect::to("/console/products").into_response(),
        Err(e) if e.status < 500 && e.status != 403 && e.status != 404 => {
            page(&app, lang, &s, refusal_status(&e), Some(e.detail)).await
        }
        Err(e) => failed(lang, Some(&s), e),
    }
}

#[cfg(test)]
mod tests {
    use super::minor_of;

    #[test]
    fn a_typed_price_reads_as_minor_units_or_not_at_all() {
        assert_eq!(minor_of("25"), Some(2500));
        assert_eq!(minor_of(" 25.5 "), Some(2550));
        assert_eq!(minor_of("1,250.05"), Some(125005));
        for bad in ["", "-3", "2.555", "abc", "1e3", ".5", "99999999999999999999"] {
            assert_eq!(minor_of(bad), None, "{bad:?}");
        }
    }
}
