//! The depot console (issue 12, ADR 0024): server-rendered pages for depot staff, operations
//! and mentors, served by `fundi-depot serve` beside the sync API, in Kiswahili and English.
//! Pages are askama templates (`depot/templates/console/`, checked at compile time); no
//! script. Sign-in, sessions, CSRF and the audit log are `store::console`; what each page reads
//! and changes goes through the same store functions, with the same [`Caller`] and the same role,
//! ownership and depot checks, as the sync API (staff see their own depot's, ADR 0030).
//!
//! Every answer carries a strict Content-Security-Policy and `no-store`; the session cookie is
//! `HttpOnly`, `SameSite=Strict` and, over TLS, `Secure`. A form that changes anything carries
//! the session's CSRF token; sign-in and setup forms, which have no session yet, are refused
//! when their `Origin` is another site. Sign-in attempts are limited per login and per client
//! address.

mod catalog;
mod check;
mod money;
mod orders;
mod pages;
mod payouts;
mod people;
mod products;
mod shops;
mod stock;
mod text;

use super::rate::RateLimiter;
use super::tls::PeerAddr;
use super::App;
use crate::store::console::{self as store, ConsoleSession};
use crate::store::ApiError;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
pub use text::Lang;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "fundi_session";
/// The language cookie's name.
pub const LANG_COOKIE: &str = "fundi_lang";
/// Failed sign-ins allowed per login, and per client address, in a window of 15 minutes.
pub const SIGN_IN_FAILURES_PER_LOGIN: u32 = 5;
pub const SIGN_IN_FAILURES_PER_ADDRESS: u32 = 20;
const WINDOW_MS: u64 = 15 * 60_000;
/// The quality check's form, a photo of at most `CONSOLE_PHOTO_MAX_BYTES` with its other fields.
const CHECK_FORM_MAX_BYTES: usize = fundi_sync::limits::CONSOLE_PHOTO_MAX_BYTES as usize + check::FORM_ROOM_BYTES;

/// The console's own state beside the API's.
pub struct Console {
    /// Served over TLS: the session cookie is `Secure`.
    pub secure_cookies: bool,
    failures_by_login: RateLimiter,
    failures_by_address: RateLimiter,
}

impl Console {
    pub fn new(secure_cookies: bool) -> Console {
        Console {
            secure_cookies,
            failures_by_login: RateLimiter::new(SIGN_IN_FAILURES_PER_LOGIN, WINDOW_MS),
            failures_by_address: RateLimiter::new(SIGN_IN_FAILURES_PER_ADDRESS, WINDOW_MS),
        }
    }
}

pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/console/signin", get(pages::signin_page).post(pages::signin))
        .route("/console/setup", get(pages::setup_page).post(pages::setup))
        .route("/console/today", get(pages::today))
        .route("/console/audit", get(pages::audit))
        .route("/console/orders", get(orders::list))
        .route("/console/orders/import", get(orders::import_page).post(orders::import_preview))
        .route("/console/orders/import/confirm", post(orders::import_confirm))
        .route("/console/orders/{id}", get(orders::detail))
        .route("/console/orders/{id}/command", post(orders::command))
        // The quality check's form may carry a camera's photo: a body limit of its own.
        .route("/console/orders/{id}/check", post(check::check).layer(DefaultBodyLimit::max(CHECK_FORM_MAX_BYTES)))
        .route("/console/orders/{id}/photos/{photo}", get(check::photo))
        .route("/console/orders/{id}/photos/{photo}/thumbnail", get(check::thumbnail))
        .route("/console/people", get(people::list))
        .route("/console/people/enroll", post(people::enroll))
        .route("/console/people/{account}/code", post(people::new_code))
        .route("/console/people/{account}/console-code", post(people::console_code))
        .route("/console/people/{account}/mentor", post(people::set_mentor))
        .route("/console/people/{account}/depot", post(people::set_depot))
        .route("/console/devices/{device}/revoke", post(people::revoke))
        .route("/console/catalog", get(catalog::list))
        .route("/console/catalog/{draft}/review", post(catalog::review))
        .route("/console/thumbnails/{photo}", get(catalog::thumbnail))
        .route("/console/products", get(products::list))
        .route("/console/products/{product}/listing", post(products::change))
        .route("/console/stock", get(stock::list))
        .route("/console/stock/movements", post(stock::record))
        .route("/console/payouts", get(payouts::list))
        .route("/console/payouts/batches", post(payouts::create))
        .route("/console/payouts/batches/{batch}/approve", post(payouts::approve))
        .route("/console/money", get(money::show))
        .route("/console/money/rates", post(money::set_rate))
        .route("/console/shops", get(shops::list).post(shops::add))
        .route("/console/shops/{shop}/revoke", post(shops::revoke))
        .route("/console/signout", post(pages::signout))
        .route("/console/signout-everywhere", post(pages::signout_everywhere))
        .route("/console/language/{code}", get(language))
}

/// `/`: the console (its sign-in page when nobody is signed in).
async fn home(State(app): State<App>, headers: HeaderMap) -> Response {
    match session_of(&app, &headers).await {
        Ok(Some(_)) => Redirect::to("/console/today").into_response(),
        _ => Redirect::to("/console/signin").into_response(),
    }
}

/// Switch language (a cookie), back to the page it was asked from when that is a console page.
async fn language(Path(code): Path<String>, RawQuery(q): RawQuery) -> Response {
    let lang = Lang::from_code(&code).unwrap_or(Lang::En);
    let back = super::query_str(&q, "back")
        .filter(|b| b.starts_with("/console/") && b.bytes().all(|c| c.is_ascii_alphanumeric() || b"/-_".contains(&c)))
        .unwrap_or("/console/today");
    let mut r = Redirect::to(back).into_response();
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// A cookie's value from the request.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// The request's language: its cookie, else Kiswahili when the browser prefers it, else English.
fn lang_of(headers: &HeaderMap) -> Lang {
    if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(Lang::from_code) {
        return lang;
    }
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.trim_start().to_ascii_lowercase().starts_with("sw") {
        Lang::Sw
    } else {
        Lang::En
    }
}

/// The live session the request's cookie names, if any.
async fn session_of(app: &App, headers: &HeaderMap) -> Result<Option<ConsoleSession>, ApiError> {
    let Some(secret) = cookie(headers, SESSION_COOKIE).map(str::to_string) else { return Ok(None) };
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || db.write(|tx| store::session(tx, &secret)))
        .await
        .unwrap_or_else(|_| Err(ApiError::internal("session lookup failed")))
}

/// Whether a form without a session (sign-in, setup) comes from this site: a browser names the
/// page's origin; one that names another site is refused.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}

/// Compare two secrets in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Headers every console answer carries.
fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// An HTML page with `status`.
fn html(status: StatusCode, page: Result<String, askama::Error>) -> Response {
    match page {
        Ok(body) => {
            let mut r = (status, body).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            harden(r)
        }
        Err(e) => harden((StatusCode::INTERNAL_SERVER_ERROR, format!("the page could not be drawn: {e}")).into_response()),
    }
}

/// The session cookie to set (a new session) or to clear.
fn session_cookie(app: &App, secret: Option<&str>) -> HeaderValue {
    let secure = if app.console.secure_cookies { "; Secure" } else { "" };
    let text = match secret {
        Some(s) => {
            format!("{SESSION_COOKIE}={s}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}", store::SESSION_MAX_MS / 1000)
        }
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("fundi_session=; Path=/; Max-Age=0"))
}

/// The client address rate limits count by.
fn address(peer: &ConnectInfo<PeerAddr>) -> String {
    peer.0 .0.ip().to_string()
}

/// Run `f` on a blocking thread (store work, password hashing).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// Run store work `f` on a blocking thread; a thread that died is an internal error naming
/// what was being done.
async fn store_work<T: Send + 'static>(
    app: &App,
    what: &'static str,
    f: impl FnOnce(&crate::store::Db) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let db = app.db.clone();
    blocking(move || f(&db)).await.unwrap_or_else(|| Err(ApiError::internal(format!("{what} failed"))))
}

/// The status a refused change is answered with when its page is drawn again with the reason.
fn refusal_status(e: &ApiError) -> StatusCode {
    StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}
