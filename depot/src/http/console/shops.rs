//! The console's Shops page (issue 12; ADR 0026), operations only: the shops that send orders by
//! the webhook, adding one (its secret shown on the answer page, that once, with how to sign a
//! delivery), refusing a shop's orders from then on, and what the latest deliveries were
//! answered (all, or the refused ones). Through `store::shops`, the functions `fundi-depot shop`
//! calls, with the session's `Caller`: they check the role and audit `shop.add` and
//! `shop.revoke` themselves.

use super::orders::signed_in;
use super::pages::{chrome, day_and_time, failed, form_session, Chrome};
use super::text::Lang;
use super::{html, lang_of, refusal_status, store_work};
use crate::http::App;
use crate::store::console::ConsoleSession;
use crate::store::shops::{self, NewShop};
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fundi_sync::Role;
use serde::Deserialize;

/// Deliveries the page lists at most (the newest).
pub const DELIVERIES_SHOWN: usize = 100;

pub struct ShopRow {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub added: String,
}

pub struct DeliveryRow {
    pub when: String,
    pub shop: String,
    pub shop_order: String,
    pub answer: String,
    pub refused: bool,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "console/shops.html")]
struct ShopsPage {
    c: Chrome,
    shops: Vec<ShopRow>,
    deliveries: Vec<DeliveryRow>,
    refused_only: bool,
    shown_max: usize,
    /// The add form's name, as typed, when it was refused.
    name: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/shop_added.html")]
struct AddedPage {
    c: Chrome,
    shop: NewShop,
}

async fn page(
    app: &App,
    lang: Lang,
    s: &ConsoleSession,
    status: StatusCode,
    refused_only: bool,
    form: Option<(String, String)>,
) -> Response {
    let caller = s.caller.clone();
    let found = store_work(app, "listing shops", move |db| {
        db.read(|tx| Ok((shops::list(tx, &caller)?, shops::deliveries(tx, &caller, None, refused_only, DELIVERIES_SHOWN)?)))
    })
    .await;
    let (list, deliveries) = match found {
        Ok(found) => found,
        Err(e) => return failed(lang, Some(s), e),
    };
    let name_of = |id: &str| list.iter().find(|s| s.id == id).map_or_else(|| id.to_string(), |s| s.name.clone());
    let deliveries = deliveries
        .into_iter()
        .map(|d| DeliveryRow {
            when: day_and_time(d.at_ms),
            shop: name_of(&d.shop_id),
            shop_order: d.shop_order_id.unwrap_or_default(),
            answer: format!("{} {}", d.status, d.code),
            refused: d.code != "ok",
            detail: d.detail,
        })
        .collect();
    let shops = list
        .into_iter()
        .rev()
        .map(|s| ShopRow { active: s.revoked_ms.is_none(), added: day_and_time(s.created_ms), id: s.id, name: s.name })
        .collect();
    let (name, error) = form.map_or((String::new(), None), |(name, error)| (name, Some(error)));
    let c = chrome(lang, |t| t.shops, "/console/shops", Some(s));
    html(status, ShopsPage { c, shops, deliveries, refused_only, shown_max: DELIVERIES_SHOWN, name, error }.render())
}

pub async fn list(State(app): State<App>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let s = match signed_in(&app, &headers, &[Role::Operations]).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let refused_only = crate::http::query_str(&q, "show") == Some("refused");
    page(&app, lang_of(&headers), &s, StatusCode::OK, refused_only, None).await
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    #[serde(default)]
    name: String,
}

/// Add a shop: the answer shows its secret, this once.
pub async fn add(State(app): State<App>, headers: HeaderMap, Form(form): Form<AddForm>) -> Response {
    let lang = lang_of(&headers);
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (caller, name) = (s.caller.clone(), form.name.clone());
    match store_work(&app, "adding the shop", move |db| db.write(|tx| shops::add(tx, &caller, &name))).await {
        Ok(shop) => {
            let c = chrome(lang, |t| t.shop_added, "/console/shops", Some(&s));
            html(StatusCode::OK, AddedPage { c, shop }.render())
        }
        Err(e) if e.status < 500 && e.status != 403 => {
            page(&app, lang, &s, refusal_status(&e), false, Some((form.name, e.detail))).await
        }
        Err(e) => failed(lang, Some(&s), e),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: String,
}

/// Refuse shop `shop`'s deliveries from now on.
pub async fn revoke(
    State(app): State<App>,
    headers: HeaderMap,
    Path(shop): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let lang = lang_of(&headers);
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let caller = s.caller.clone();
    match store_work(&app, "revoking the shop", move |db| db.write(|tx| shops::revoke(tx, &caller, &shop))).await {
        Ok(_) => Redirect::to("/console/shops").into_response(),
        Err(e) => failed(lang, Some(&s), e),
    }
}
