//! The console's Stock page (issue 12 item 3): what the depot holds per product and artisan,
//! the latest movements with who recorded them, and recording a movement (goods received,
//! sent out, a count corrected). A movement is a stock ledger entry decided by the protocol's
//! rules through `push::apply_api`, as if staff had pushed it from a phone. Staff see their own
//! depot's stock; operations see which depot each line is in, and may narrow the page to one
//! (`?depot=ID`, ADR 0030).

use super::pages::{
    chrome, day_and_time, depot_asked, depot_choices, failed, form_session, message, to_signin, Chrome, DepotChoice,
};
use super::text::Lang;
use super::{blocking, html, lang_of, refusal_status, session_of};
use crate::http::App;
use crate::store::console::{self as console_store, ConsoleSession};
use crate::store::depots::Directory;
use crate::store::{push, stock, ApiError};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fundi_sync::{Extra, LedgerEntry, Mutation, Role};
use serde::Deserialize;

pub struct ProductRow {
    pub id: String,
    pub title: String,
    pub artisan: String,
    pub depot: String,
    pub units: i64,
}

pub struct MovementRow {
    pub when: String,
    pub title: String,
    pub depot: String,
    pub delta: String,
    pub reason: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "console/stock.html")]
struct StockPageView {
    c: Chrome,
    products: Vec<ProductRow>,
    movements: Vec<MovementRow>,
    error: Option<String>,
    /// Operations' depot filter (empty: none to offer).
    depots: Vec<DepotChoice>,
    all_depots: bool,
}

async fn page(
    app: &App,
    lang: Lang,
    s: &ConsoleSession,
    depot: Option<String>,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let (db, caller, narrowed) = (app.db.clone(), s.caller.clone(), depot.clone());
    let read = move || db.read(|tx| Ok((stock::stock_page(tx, &caller, narrowed.as_deref())?, Directory::load(tx)?.depots())));
    let (found, depots) = match blocking(read).await {
        Some(Ok(p)) => p,
        Some(Err(e)) => return failed(lang, Some(s), e),
        None => return failed(lang, Some(s), ApiError::internal("reading stock failed")),
    };
    let view = StockPageView {
        c: chrome(lang, |t| t.stock, "/console/stock", Some(s)),
        products: found
            .products
            .into_iter()
            .map(|p| ProductRow { id: p.product_id, title: p.title, artisan: p.artisan, depot: p.depot, units: p.units })
            .collect(),
        movements: found
            .movements
            .into_iter()
            .map(|m| MovementRow {
                when: day_and_time(m.at_ms as i64),
                title: m.title,
                depot: m.depot,
                delta: format!("{:+}", m.delta),
                reason: m.reason,
                by: m.by.unwrap_or_default(),
            })
            .collect(),
        error,
        depots: depot_choices(s, &depots, depot.as_deref()),
        all_depots: depot.is_none(),
    };
    html(status, view.render())
}

pub async fn list(State(app): State<App>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let lang = lang_of(&headers);
    match session_of(&app, &headers).await {
        Ok(Some(s)) if s.caller.role.is_depot_wide() => page(&app, lang, &s, depot_asked(&q), StatusCode::OK, None).await,
        Ok(Some(s)) => message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into()),
        Ok(None) => to_signin(),
        Err(e) => failed(lang, None, e),
    }
}

#[derive(Deserialize)]
pub struct MovementForm {
    csrf: String,
    product_id: String,
    delta: String,
    reason: String,
}

/// Record a movement of stock for a product.
pub async fn record(State(app): State<App>, headers: HeaderMap, Form(form): Form<MovementForm>) -> Response {
    let lang = lang_of(&headers);
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !matches!(s.caller.role, Role::Staff | Role::Operations) {
        return message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into());
    }
    let Ok(delta) = form.delta.trim().trim_start_matches('+').parse::<i64>() else {
        return page(&app, lang, &s, None, StatusCode::UNPROCESSABLE_ENTITY, Some(lang.text().delta_help.into())).await;
    };
    let (db, caller) = (app.db.clone(), s.caller.clone());
    let (product, reason) = (form.product_id.clone(), form.reason.trim().to_string());
    let done = blocking(move || -> Result<(), ApiError> {
        let id = fundi_sync::ids::new_id();
        let entry = LedgerEntry {
            id: id.clone(),
            product_id: product.clone(),
            delta,
            reason: reason.clone(),
            hlc: db.now(),
            extra: Extra::new(),
        };
        let m = Mutation {
            counter: 0,
            kind: "stock".into(),
            id: id.clone(),
            fields: None,
            command: None,
            entry: Some(entry),
            extra: Extra::new(),
        };
        push::apply_api(&db, &caller, &[m])?;
        db.write(|tx| {
            console_store::audit(tx, &caller.account_id, "stock.record", Some(&product), Some(&format!("{delta:+} {reason}")))
        })
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("recording the movement failed")));
    match done {
        Ok(()) => Redirect::to("/console/stock").into_response(),
        Err(e) if e.status < 500 && e.status != 403 => {
            let status = refusal_status(&e);
            page(&app, lang, &s, None, status, Some(e.detail)).await
        }
        Err(e) => failed(lang, Some(&s), e),
    }
}
