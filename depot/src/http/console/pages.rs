//! The console's pages: sign-in, setting a password with a setup code, Today, the audit log,
//! signing out. Each handler reads the session, asks the store through the same functions the
//! API uses, and draws a template with words from `text`.

use super::text::{status_name, Lang, Text};
use super::{address, blocking, html, lang_of, same_origin, same_secret, session_cookie, session_of};
use crate::http::tls::PeerAddr;
use crate::http::App;
use crate::store::console::{self as store, ConsoleSession};
use crate::store::today::{self, Counted, OrderLine};
use crate::store::{mentees, now_ms, ApiError};
use askama::Template;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use fundi_sync::dates::Day;
use fundi_sync::money::{format_money, Money};
use fundi_sync::workflow::OrderStatus;
use fundi_sync::Role;
use serde::Deserialize;

/// What every page shows around its content: the words, who is signed in, the CSRF token of
/// her forms, the navigation her role has, and the path to come back to after a language switch.
pub struct Chrome {
    pub t: &'static Text,
    pub title: &'static str,
    pub user: Option<String>,
    pub role: &'static str,
    pub csrf: String,
    pub is_ops: bool,
    pub path: &'static str,
}

pub(super) fn chrome(lang: Lang, title: fn(&Text) -> &'static str, path: &'static str, s: Option<&ConsoleSession>) -> Chrome {
    let t = lang.text();
    Chrome {
        t,
        title: title(t),
        user: s.map(|s| s.name.clone()),
        role: s.map_or("", |s| s.caller.role.code()),
        csrf: s.map(|s| s.csrf_token.clone()).unwrap_or_default(),
        is_ops: s.is_some_and(|s| s.caller.role == Role::Operations),
        path,
    }
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage {
    c: Chrome,
    message: String,
}

/// A page that only says `message`, with `status`.
pub(super) fn message(lang: Lang, s: Option<&ConsoleSession>, status: StatusCode, message: String) -> Response {
    let c = chrome(lang, |t| t.console, "/console/today", s);
    html(status, MessagePage { c, message }.render())
}

/// The page an error of the store calls for.
pub(super) fn failed(lang: Lang, s: Option<&ConsoleSession>, e: ApiError) -> Response {
    let t = lang.text();
    match e.status {
        403 => message(lang, s, StatusCode::FORBIDDEN, t.forbidden.into()),
        404 => message(lang, s, StatusCode::NOT_FOUND, t.not_found.into()),
        429 => message(lang, s, StatusCode::TOO_MANY_REQUESTS, t.too_many.into()),
        _ => message(lang, s, StatusCode::INTERNAL_SERVER_ERROR, e.detail),
    }
}

pub(super) fn to_signin() -> Response {
    Redirect::to("/console/signin").into_response()
}

/// A depot operations may narrow a list to (ADR 0030): its id, its name, whether it is shown.
pub struct DepotChoice {
    pub id: String,
    pub name: String,
    pub chosen: bool,
}

/// The depots a list's filter offers: to operations, when the deployment has more than one
/// (staff see their own depot's alone, and one depot needs no filter).
pub(super) fn depot_choices(s: &ConsoleSession, depots: &[(String, String)], chosen: Option<&str>) -> Vec<DepotChoice> {
    if s.caller.role != Role::Operations || depots.len() < 2 {
        return vec![];
    }
    depots
        .iter()
        .map(|(id, name)| DepotChoice { id: id.clone(), name: name.clone(), chosen: chosen == Some(id.as_str()) })
        .collect()
}

/// The depot a list is narrowed to (`?depot=ID`), if its query names one.
pub(super) fn depot_asked(q: &Option<String>) -> Option<String> {
    crate::http::query_str(q, "depot").filter(|d| !d.is_empty()).map(str::to_string)
}

// ---- Sign-in

#[derive(Template)]
#[template(path = "console/signin.html")]
struct SignInPage {
    c: Chrome,
    error: Option<&'static str>,
    login: String,
}

pub async fn signin_page(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Ok(Some(_)) = session_of(&app, &headers).await {
        return Redirect::to("/console/today").into_response();
    }
    let c = chrome(lang_of(&headers), |t| t.sign_in, "/console/signin", None);
    html(StatusCode::OK, SignInPage { c, error: None, login: String::new() }.render())
}

#[derive(Deserialize)]
pub struct SignInForm {
    login: String,
    password: String,
}

pub async fn signin(
    State(app): State<App>,
    peer: ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let lang = lang_of(&headers);
    if !same_origin(&headers) {
        return message(lang, None, StatusCode::FORBIDDEN, lang.text().forbidden.into());
    }
    let login = form.login.trim().to_ascii_lowercase();
    let (by_login, by_address) = (format!("login:{login}"), address(&peer));
    let now = now_ms();
    let limits = &app.console;
    if limits.failures_by_login.check(&by_login, now).is_err() || limits.failures_by_address.check(&by_address, now).is_err() {
        return message(lang, None, StatusCode::TOO_MANY_REQUESTS, lang.text().too_many.into());
    }
    let db = app.db.clone();
    let (login_for_check, password) = (login.clone(), form.password);
    let signed_in = blocking(move || -> Result<Option<(String, String)>, ApiError> {
        let found = db.read(|tx| store::credentials(tx, &login_for_check))?;
        // A wrong login costs the same hashing as a wrong password.
        let (account, hash) = found.unwrap_or_else(|| (String::new(), store::decoy_hash().to_string()));
        if account.is_empty() || !store::verify_password(&hash, &password) {
            return Ok(None);
        }
        db.write(|tx| store::create_session(tx, &account)).map(Some)
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("sign-in failed")));
    match signed_in {
        Ok(Some((secret, _csrf))) => {
            let mut r = Redirect::to("/console/today").into_response();
            r.headers_mut().insert(header::SET_COOKIE, session_cookie(&app, Some(&secret)));
            r
        }
        Ok(None) => {
            limits.failures_by_login.count(&by_login, now);
            limits.failures_by_address.count(&by_address, now);
            let c = chrome(lang, |t| t.sign_in, "/console/signin", None);
            html(StatusCode::UNAUTHORIZED, SignInPage { c, error: Some(lang.text().wrong_sign_in), login }.render())
        }
        Err(e) => failed(lang, None, e),
    }
}

// ---- Setting a password with a setup code

#[derive(Template)]
#[template(path = "console/setup.html")]
struct SetupPage {
    c: Chrome,
    error: Option<String>,
    login: String,
}

pub async fn setup_page(headers: HeaderMap) -> Response {
    let c = chrome(lang_of(&headers), |t| t.setup, "/console/setup", None);
    html(StatusCode::OK, SetupPage { c, error: None, login: String::new() }.render())
}

#[derive(Deserialize)]
pub struct SetupForm {
    code: String,
    login: String,
    password: String,
    password_again: String,
}

pub async fn setup(
    State(app): State<App>,
    peer: ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Response {
    let lang = lang_of(&headers);
    let t = lang.text();
    if !same_origin(&headers) {
        return message(lang, None, StatusCode::FORBIDDEN, t.forbidden.into());
    }
    let by_address = address(&peer);
    let now = now_ms();
    if app.console.failures_by_address.check(&by_address, now).is_err() {
        return message(lang, None, StatusCode::TOO_MANY_REQUESTS, t.too_many.into());
    }
    let login = form.login.trim().to_ascii_lowercase();
    let again = |error: String| {
        let c = chrome(lang, |t| t.setup, "/console/setup", None);
        html(StatusCode::UNPROCESSABLE_ENTITY, SetupPage { c, error: Some(error), login: login.clone() }.render())
    };
    if form.password != form.password_again {
        return again(t.passwords_differ.into());
    }
    if let Some(problem) = store::login_problem(&login).or_else(|| store::password_problem(&form.password)) {
        return again(problem);
    }
    let db = app.db.clone();
    let (code, login_to_set, password) = (form.code, login.clone(), form.password);
    let done = blocking(move || -> Result<(String, String), ApiError> {
        let hash = store::hash_password(&password)?;
        db.write(|tx| {
            let account = store::set_password(tx, &code, &login_to_set, &hash)?;
            store::create_session(tx, &account)
        })
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("setting the password failed")));
    match done {
        Ok((secret, _)) => {
            let mut r = Redirect::to("/console/today").into_response();
            r.headers_mut().insert(header::SET_COOKIE, session_cookie(&app, Some(&secret)));
            r
        }
        Err(e) if e.status == 422 || e.status == 409 => {
            app.console.failures_by_address.count(&by_address, now);
            again(e.detail)
        }
        Err(e) => failed(lang, None, e),
    }
}

// ---- Today

/// A row of an order list, formatted.
pub struct OrderRow {
    pub id: String,
    pub product: String,
    pub quantity: u32,
    pub artisan: String,
    pub status: String,
    pub due: String,
}

/// A list of the page: its heading, its rows, and how many were left out.
pub struct Section<T> {
    pub title: &'static str,
    pub rows: Vec<T>,
    pub hidden: usize,
}

fn section<T, U>(title: &'static str, list: &Counted<T>, row: impl Fn(&T) -> U) -> Section<U> {
    Section { title, rows: list.items.iter().map(row).collect(), hidden: list.total - list.items.len() }
}

fn order_row(lang: Lang) -> impl Fn(&OrderLine) -> OrderRow {
    move |o: &OrderLine| OrderRow {
        id: o.id.clone(),
        product: o.product.clone(),
        quantity: o.quantity,
        artisan: o.artisan.clone().unwrap_or_default(),
        status: OrderStatus::from_code(&o.status).map_or_else(|| o.status.clone(), |st| status_name(lang, st).to_string()),
        due: o.due_date.as_deref().and_then(|d| Day::parse(d).ok()).map(|d| d.format(lang.money())).unwrap_or_default(),
    }
}

fn seen(lang: Lang, ms: Option<i64>) -> String {
    match ms {
        Some(ms) => Day::of_ms(ms.max(0) as u64).format(lang.money()),
        None => lang.text().never.into(),
    }
}

/// Bytes in megabytes with one decimal ("12.3 MB").
fn megabytes(bytes: u64) -> String {
    format!("{}.{} MB", bytes / 1_000_000, bytes % 1_000_000 / 100_000)
}

/// `YYYY-MM-DD HH:MM` in the deployment's zone.
pub(super) fn day_and_time(ms: i64) -> String {
    let day = Day::of_ms(ms.max(0) as u64);
    let minutes = (ms - day.start_ms()) / 60_000;
    format!("{day} {:02}:{:02}", minutes / 60, minutes % 60)
}

pub struct MenteeRow {
    pub name: String,
    pub phones: u32,
    pub last_seen: String,
    pub late_orders: u32,
}

#[derive(Template)]
#[template(path = "console/today.html")]
struct TodayPage {
    c: Chrome,
    version: &'static str,
    /// The data directory's size ("12.3 MB"), for operations.
    data_size: Option<String>,
    to_assign: Section<OrderRow>,
    to_check: Section<OrderRow>,
    late: Section<OrderRow>,
    low_stock: Section<(String, i64)>,
    quiet_phones: Section<(String, String, String)>,
    payouts_awaiting: Section<(String, String, String)>,
    /// A mentor's page: her mentees instead of the depot's lists.
    mentees: Option<Vec<MenteeRow>>,
}

pub async fn today(State(app): State<App>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    let s = match session_of(&app, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return to_signin(),
        Err(e) => return failed(lang, None, e),
    };
    let db = app.db.clone();
    let caller = s.caller.clone();
    let read = blocking(move || -> Result<(Option<today::Today>, Option<Vec<fundi_sync::Mentee>>), ApiError> {
        if caller.role == Role::Mentor {
            Ok((None, Some(db.read(|tx| mentees::mentees(tx, &caller))?.mentees)))
        } else {
            Ok((Some(today::today(&db, &caller)?), None))
        }
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("reading today's work failed")));
    let (depot, mentees) = match read {
        Ok(r) => r,
        Err(e) => return failed(lang, Some(&s), e),
    };
    let t = lang.text();
    let d = depot.unwrap_or_default();
    let size = if s.caller.role == Role::Operations {
        let db = app.db.clone();
        blocking(move || db.data_size()).await.map(megabytes)
    } else {
        None
    };
    let page = TodayPage {
        c: chrome(lang, |t| t.today, "/console/today", Some(&s)),
        version: env!("CARGO_PKG_VERSION"),
        data_size: size,
        to_assign: section(t.to_assign, &d.to_assign, order_row(lang)),
        to_check: section(t.to_check, &d.to_check, order_row(lang)),
        late: section(t.late, &d.late, order_row(lang)),
        low_stock: section(t.low_stock, &d.low_stock, |(id, title, n)| (title.clone().unwrap_or_else(|| id.clone()), *n)),
        quiet_phones: section(t.quiet_phones, &d.quiet_phones, |p| {
            (p.account.clone(), p.device_id.chars().take(8).collect(), seen(lang, p.last_seen_ms))
        }),
        payouts_awaiting: section(t.payouts_awaiting, &d.payouts_awaiting, |b| {
            (b.id.chars().take(8).collect(), format_money(Money::kes_minor(b.total_minor), lang.money()), b.created_by.clone())
        }),
        mentees: mentees.map(|list| {
            list.into_iter()
                .map(|m| MenteeRow {
                    name: m.name,
                    phones: m.phones,
                    last_seen: seen(lang, m.last_seen_ms.map(|ms| ms as i64)),
                    late_orders: m.late_orders,
                })
                .collect()
        }),
    };
    html(StatusCode::OK, page.render())
}

// ---- The audit log

pub struct AuditView {
    pub when: String,
    pub who: String,
    pub what: String,
    pub target: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<AuditView>,
}

pub async fn audit(State(app): State<App>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    let s = match session_of(&app, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return to_signin(),
        Err(e) => return failed(lang, None, e),
    };
    let db = app.db.clone();
    let caller = s.caller.clone();
    let rows = match blocking(move || db.read(|tx| store::audit_log(tx, &caller))).await {
        Some(Ok(rows)) => rows,
        Some(Err(e)) => return failed(lang, Some(&s), e),
        None => return failed(lang, Some(&s), ApiError::internal("reading the audit log failed")),
    };
    let rows = rows
        .into_iter()
        .map(|r| AuditView {
            when: day_and_time(r.at_ms),
            who: r.name.unwrap_or_else(|| if r.account_id.is_empty() { "local operator".into() } else { r.account_id }),
            what: r.action,
            target: r.target.unwrap_or_default(),
            detail: r.detail.unwrap_or_default(),
        })
        .collect();
    html(StatusCode::OK, AuditPage { c: chrome(lang, |t| t.audit, "/console/audit", Some(&s)), rows }.render())
}

// ---- Signing out

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// The session a form that changes something comes from, when its CSRF token is the session's.
pub(super) async fn form_session(app: &App, headers: &HeaderMap, csrf: &str) -> Result<ConsoleSession, Response> {
    let lang = lang_of(headers);
    match session_of(app, headers).await {
        Ok(Some(s)) if same_secret(&s.csrf_token, csrf) => Ok(s),
        Ok(Some(s)) => Err(message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into())),
        Ok(None) => Err(to_signin()),
        Err(e) => Err(failed(lang, None, e)),
    }
}

fn signed_out(app: &App) -> Response {
    let mut r = Redirect::to("/console/signin").into_response();
    r.headers_mut().insert(header::SET_COOKIE, session_cookie(app, None));
    r
}

pub async fn signout(State(app): State<App>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(secret) = super::cookie(&headers, super::SESSION_COOKIE).map(str::to_string) else { return to_signin() };
    let db = app.db.clone();
    let account = s.caller.account_id.clone();
    let _ = blocking(move || {
        db.write(|tx| {
            store::end_session(tx, &secret)?;
            store::audit(tx, &account, "console.sign_out", None, None)
        })
    })
    .await;
    signed_out(&app)
}

pub async fn signout_everywhere(State(app): State<App>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let db = app.db.clone();
    let account = s.caller.account_id.clone();
    let _ = blocking(move || {
        db.write(|tx| {
            let n = store::end_all_sessions(tx, &account)?;
            store::audit(tx, &account, "console.sign_out_everywhere", None, Some(&format!("{n} sessions")))
        })
    })
    .await;
    signed_out(&app)
}
