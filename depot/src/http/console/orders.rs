//! The console's Orders pages (issue 12 item 3): the list by state, one order with its history
//! and the commands the signed-in role may give it now (assign with each artisan's load and
//! quality record, receive, pass or fail the quality check with a note, ship, deliver, cancel),
//! and importing orders from a CSV or JSON file with a preview of every row before anything is
//! written (the quality check's form, which may carry a photo, is `check`). Commands go through
//! `push::order_command_api` and imports through `orders::import`:
//! the very functions, rules and checks of the API. Every change is written to the audit log.
//! Staff see their own depot's orders; operations see which depot each is in, and may narrow
//! the list to one (`?depot=ID`, ADR 0030).

use super::pages::{chrome, depot_asked, depot_choices, failed, form_session, message, to_signin, Chrome, DepotChoice};
use super::text::{command_name, status_name, Lang};
use super::{blocking, html, lang_of, refusal_status, session_of};
use crate::http::App;
use crate::store::console::{self as console_store, ConsoleSession};
use crate::store::depots::Directory;
use crate::store::orders::{self, ArtisanRecord, PreviewRow};
use crate::store::{push, ApiError};
use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fundi_sync::dates::Day;
use fundi_sync::money::{format_money, Money};
use fundi_sync::workflow::{commands_for_order, OrderCommand, OrderStatus};
use fundi_sync::{OrderBody, Relation, Role};
use serde::Deserialize;

/// Orders one list page shows at most.
const LIST_MAX: usize = 200;
/// Rows an import preview lists at most (the counts cover all).
const PREVIEW_MAX: usize = 500;

/// The signed-in session, or the answer to give instead (sign in; not for this role).
pub(super) async fn signed_in(app: &App, headers: &HeaderMap, allowed: &[Role]) -> Result<ConsoleSession, Response> {
    let lang = lang_of(headers);
    match session_of(app, headers).await {
        Ok(Some(s)) if allowed.contains(&s.caller.role) => Ok(s),
        Ok(Some(s)) => Err(message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into())),
        Ok(None) => Err(to_signin()),
        Err(e) => Err(failed(lang, None, e)),
    }
}

pub(super) const DEPOT: &[Role] = &[Role::Staff, Role::Operations];

fn status_text(lang: Lang, code: &str) -> String {
    OrderStatus::from_code(code).map_or_else(|| code.to_string(), |s| status_name(lang, s).to_string())
}

fn kes(lang: Lang, minor: i64) -> String {
    format_money(Money::kes_minor(minor), lang.money())
}

fn due(lang: Lang, o: &OrderBody) -> String {
    o.due_date.as_deref().and_then(|d| Day::parse(d).ok()).map(|d| d.format(lang.money())).unwrap_or_default()
}

// ---- The list

pub struct ListRow {
    pub id: String,
    /// Its artisan's depot (operations' list says it).
    pub depot: String,
    pub product: String,
    pub quantity: u32,
    pub status: String,
    pub reference: String,
    pub due: String,
}

#[derive(Template)]
#[template(path = "console/orders.html")]
struct ListPage {
    c: Chrome,
    filter: &'static str,
    rows: Vec<ListRow>,
    notice: Option<String>,
    /// Operations' depot filter (empty: none to offer), and the query part that keeps it.
    depots: Vec<DepotChoice>,
    depot_query: String,
}

/// The list's filters: open orders (the default), finished ones, all.
fn filter_of(q: &Option<String>) -> (&'static str, Option<&'static [OrderStatus]>) {
    use OrderStatus::*;
    const OPEN: &[OrderStatus] =
        &[New, Assigned, Accepted, Declined, InProduction, ReadyForPickup, Received, QcPassed, QcFailed, Shipped];
    const DONE: &[OrderStatus] = &[Delivered, Cancelled];
    match crate::http::query_str(q, "show") {
        Some("all") => ("all", None),
        Some("done") => ("done", Some(DONE)),
        _ => ("open", Some(OPEN)),
    }
}

pub async fn list(State(app): State<App>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let lang = lang_of(&headers);
    let s = match signed_in(&app, &headers, DEPOT).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (filter, statuses) = filter_of(&q);
    let notice = crate::http::query_str(&q, "imported")
        .and_then(|n| n.split_once('-'))
        .map(|(made, kept)| format!("{made} {}; {kept} {}", lang.text().imported, lang.text().skipped));
    let depot = depot_asked(&q);
    let (db, caller, narrowed) = (app.db.clone(), s.caller.clone(), depot.clone());
    let found = blocking(move || {
        db.read(|tx| {
            let list = orders::list_orders(tx, &caller, statuses, narrowed.as_deref(), LIST_MAX)?;
            Ok((list, Directory::load(tx)?))
        })
    })
    .await;
    let (list, directory) = match found {
        Some(Ok(v)) => v,
        Some(Err(e)) => return failed(lang, Some(&s), e),
        None => return failed(lang, Some(&s), ApiError::internal("listing orders failed")),
    };
    let depots = depot_choices(&s, &directory.depots(), depot.as_deref());
    let depot_query = depot.map(|d| format!("&depot={d}")).unwrap_or_default();
    let rows = list
        .into_iter()
        .map(|w| ListRow {
            depot: directory.depot_name(w.order.artisan_id.as_deref()),
            product: w.order.product.clone(),
            quantity: w.order.quantity,
            status: status_text(lang, &w.order.status),
            reference: format!("{} {}", w.order.source, w.order.external_ref),
            due: due(lang, &w.order),
            id: w.id,
        })
        .collect();
    let c = chrome(lang, |t| t.orders, "/console/orders", Some(&s));
    html(StatusCode::OK, ListPage { c, filter, rows, notice, depots, depot_query }.render())
}

// ---- One order

pub struct EventRow {
    pub when: String,
    pub status: String,
    pub reason: String,
    /// The quality check's photo (its hash), shown as a thumbnail linking to the whole photo.
    pub photo: Option<String>,
}

/// A command's form: its code, its button, whether it asks for a reason, whether it takes a
/// photo (the quality check's form, sent to `check::check` as multipart).
pub struct Action {
    pub code: &'static str,
    pub label: &'static str,
    pub with_reason: bool,
    pub with_photo: bool,
}

pub struct Candidate {
    pub id: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "console/order.html")]
struct OrderPage {
    c: Chrome,
    id: String,
    product: String,
    quantity: u32,
    price: String,
    reference: String,
    artisan: String,
    /// The artisan's depot ("" for an order of no one's yet).
    depot: String,
    status: String,
    due: String,
    note: String,
    history: Vec<EventRow>,
    actions: Vec<Action>,
    /// The largest photo the quality check's form takes, in MiB (said beside its input).
    photo_max_mb: u64,
    /// Operations may assign (or reassign) the order now: whom to.
    candidates: Option<Vec<Candidate>>,
    error: Option<String>,
}

/// An artisan to assign to, with her load and record (and her depot, when there are several).
fn candidate(lang: Lang, a: ArtisanRecord, several_depots: bool) -> Candidate {
    let t = lang.text();
    let depot = if several_depots { format!("{}; ", a.depot) } else { String::new() };
    Candidate {
        label: format!("{} ({depot}{} {}; {} {}/{})", a.name, a.in_hand, t.in_hand, t.checks, a.checks_passed, a.checks_failed),
        id: a.id,
    }
}

/// Draw order `id` for `s`, with `error` above its actions.
pub(super) async fn order_page(
    app: &App,
    lang: Lang,
    s: &ConsoleSession,
    id: String,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let (db, caller, key) = (app.db.clone(), s.caller.clone(), id.clone());
    let found = blocking(move || {
        db.read(|tx| {
            let order = orders::get_order(tx, &caller, &key)?;
            let artisan = match &order.artisan_id {
                Some(a) => crate::store::accounts::get_account(tx, a)?.map(|a| a.name),
                None => None,
            };
            let directory = Directory::load(tx)?;
            let depot = directory.depot_name(order.artisan_id.as_deref());
            let several_depots = directory.depots().len() > 1;
            let from = OrderStatus::from_code(&order.status);
            let may_assign = from
                .is_some_and(|f| fundi_sync::workflow::order_step(f, OrderCommand::Assign, caller.role, Relation::Other).is_ok());
            let candidates = if may_assign { Some(orders::artisan_records(tx, &caller)?) } else { None };
            Ok((order, artisan, depot, several_depots, candidates))
        })
    })
    .await;
    let (order, artisan, depot, several_depots, candidates) = match found {
        Some(Ok(v)) => v,
        Some(Err(e)) => return failed(lang, Some(s), e),
        None => return failed(lang, Some(s), ApiError::internal("reading the order failed")),
    };
    let actions = OrderStatus::from_code(&order.status)
        .map(|from| commands_for_order(&order, from, s.caller.role, Relation::Other))
        .unwrap_or_default()
        .into_iter()
        .map(|c| Action {
            code: c.code(),
            label: command_name(lang, c),
            with_reason: c.takes_reason(),
            with_photo: c.takes_photo(),
        })
        .collect();
    let page = OrderPage {
        c: chrome(lang, |t| t.orders, "/console/orders", Some(s)),
        product: order.product.clone(),
        quantity: order.quantity,
        price: kes(lang, order.price_minor),
        reference: format!("{} {}", order.source, order.external_ref),
        artisan: artisan.unwrap_or_default(),
        depot,
        status: status_text(lang, &order.status),
        due: due(lang, &order),
        note: order.note.clone().unwrap_or_default(),
        history: order
            .history
            .iter()
            .rev()
            .map(|e| EventRow {
                when: super::pages::day_and_time(e.hlc.wall_ms as i64),
                status: status_text(lang, &e.status),
                reason: e.reason.clone().unwrap_or_default(),
                photo: e.photo.clone(),
            })
            .collect(),
        actions,
        photo_max_mb: fundi_sync::limits::CONSOLE_PHOTO_MAX_BYTES / (1024 * 1024),
        candidates: candidates.map(|list| list.into_iter().map(|a| candidate(lang, a, several_depots)).collect()),
        error,
        id,
    };
    html(status, page.render())
}

pub async fn detail(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let lang = lang_of(&headers);
    match signed_in(&app, &headers, DEPOT).await {
        Ok(s) => order_page(&app, lang, &s, id, StatusCode::OK, None).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct CommandForm {
    csrf: String,
    command: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    artisan_id: String,
}

/// Give order `id` a command, as the API would; back to the order, or its page with why not.
pub async fn command(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CommandForm>,
) -> Response {
    let lang = lang_of(&headers);
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !DEPOT.contains(&s.caller.role) {
        return message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into());
    }
    let mut args = fundi_sync::Extra::new();
    if !form.reason.trim().is_empty() {
        args.insert("reason".into(), form.reason.trim().into());
    }
    if !form.artisan_id.is_empty() {
        args.insert("artisan_id".into(), form.artisan_id.clone().into());
    }
    let (db, caller, key, name) = (app.db.clone(), s.caller.clone(), id.clone(), form.command.clone());
    let done = blocking(move || -> Result<(), ApiError> {
        push::order_command_api(&db, &caller, &key, &name, args)?;
        let detail = (!form.reason.trim().is_empty()).then(|| form.reason.trim().to_string());
        db.write(|tx| console_store::audit(tx, &caller.account_id, &format!("order.{name}"), Some(&key), detail.as_deref()))
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("the command failed")));
    match done {
        Ok(()) => Redirect::to(&format!("/console/orders/{id}")).into_response(),
        Err(e) if matches!(e.status, 409 | 422 | 400) => {
            let status = refusal_status(&e);
            order_page(&app, lang, &s, id, status, Some(e.detail)).await
        }
        Err(e) => failed(lang, Some(&s), e),
    }
}

// ---- Import

#[derive(Template)]
#[template(path = "console/import.html")]
struct ImportPage {
    c: Chrome,
    error: Option<String>,
    /// After an upload: every row, the file to confirm, and whether it may be.
    preview: Option<Preview>,
}

pub struct PreviewLine {
    pub line: usize,
    pub product: String,
    pub quantity: String,
    pub price: String,
    pub reference: String,
    pub note: String,
    pub bad: bool,
}

pub struct Preview {
    pub rows: Vec<PreviewLine>,
    pub hidden: usize,
    pub new: usize,
    pub present: usize,
    pub bad: usize,
    pub payload: String,
}

fn preview_of(lang: Lang, rows: Vec<PreviewRow>, payload: String) -> Preview {
    let t = lang.text();
    let (mut new, mut present, mut bad) = (0, 0, 0);
    let mut lines = vec![];
    for r in &rows {
        match (&r.order, &r.error) {
            (Some(_), _) if r.already_present => present += 1,
            (Some(_), _) => new += 1,
            _ => bad += 1,
        }
        // The rows with a problem first, then the others, up to the page's bound.
        if lines.len() < PREVIEW_MAX {
            lines.push(PreviewLine {
                line: r.line,
                product: r.order.as_ref().map(|o| o.product.clone()).unwrap_or_default(),
                quantity: r.order.as_ref().map(|o| o.quantity.to_string()).unwrap_or_default(),
                price: r.order.as_ref().map(|o| kes(lang, o.price_minor)).unwrap_or_default(),
                reference: r.order.as_ref().map(|o| format!("{} {}", o.source, o.external_ref)).unwrap_or_default(),
                note: match (&r.error, r.already_present) {
                    (Some(e), _) => e.clone(),
                    (None, true) => t.will_skip.into(),
                    _ => String::new(),
                },
                bad: r.error.is_some(),
            });
        }
    }
    lines.sort_by_key(|l| !l.bad);
    Preview { hidden: rows.len().saturating_sub(lines.len()), rows: lines, new, present, bad, payload }
}

pub async fn import_page(State(app): State<App>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    match signed_in(&app, &headers, &[Role::Operations]).await {
        Ok(s) => {
            let c = chrome(lang, |t| t.import_orders, "/console/orders/import", Some(&s));
            html(StatusCode::OK, ImportPage { c, error: None, preview: None }.render())
        }
        Err(r) => r,
    }
}

/// The upload: read the file (or the pasted text), check every row, show the preview.
pub async fn import_preview(State(app): State<App>, headers: HeaderMap, mut multipart: Multipart) -> Response {
    let lang = lang_of(&headers);
    let (mut csrf, mut file, mut pasted) = (String::new(), Vec::new(), String::new());
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let Ok(bytes) = field.bytes().await else {
                    return message(lang, None, StatusCode::BAD_REQUEST, "the upload was cut".into());
                };
                match name.as_str() {
                    "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                    "file" => file = bytes.to_vec(),
                    "text" => pasted = String::from_utf8_lossy(&bytes).into_owned(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return message(lang, None, StatusCode::BAD_REQUEST, "the upload could not be read".into()),
        }
    }
    let s = match form_session(&app, &headers, &csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if s.caller.role != Role::Operations {
        return message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into());
    }
    let payload =
        if file.iter().any(|b| !b.is_ascii_whitespace()) { String::from_utf8_lossy(&file).into_owned() } else { pasted };
    preview_response(&app, lang, &s, payload).await
}

async fn preview_response(app: &App, lang: Lang, s: &ConsoleSession, payload: String) -> Response {
    let c = chrome(lang, |t| t.import_orders, "/console/orders/import", Some(s));
    let (db, caller, bytes) = (app.db.clone(), s.caller.clone(), payload.clone());
    let rows = blocking(move || db.read(|tx| orders::preview_import(tx, &caller, bytes.as_bytes()))).await;
    match rows {
        Some(Ok(rows)) => {
            html(StatusCode::OK, ImportPage { c, error: None, preview: Some(preview_of(lang, rows, payload)) }.render())
        }
        Some(Err(e)) if e.status < 500 => {
            html(StatusCode::UNPROCESSABLE_ENTITY, ImportPage { c, error: Some(e.detail), preview: None }.render())
        }
        Some(Err(e)) => failed(lang, Some(s), e),
        None => failed(lang, Some(s), ApiError::internal("reading the file failed")),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    payload: String,
}

/// Import what the preview showed (all or nothing, as the API does).
pub async fn import_confirm(State(app): State<App>, headers: HeaderMap, Form(form): Form<ConfirmForm>) -> Response {
    let lang = lang_of(&headers);
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if s.caller.role != Role::Operations {
        return message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into());
    }
    let (db, caller, payload) = (app.db.clone(), s.caller.clone(), form.payload.clone());
    let done = blocking(move || -> Result<orders::ImportReport, ApiError> {
        let list = orders::parse_import(payload.as_bytes())?;
        let report = orders::import(&db, &caller, &list)?;
        let detail = format!("{} created, {} already present", report.created.len(), report.already_present);
        db.write(|tx| console_store::audit(tx, &caller.account_id, "orders.import", None, Some(&detail)))?;
        Ok(report)
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("the import failed")));
    match done {
        Ok(r) => Redirect::to(&format!("/console/orders?imported={}-{}", r.created.len(), r.already_present)).into_response(),
        // A row the preview passed that fails now (another import took its reference): show it again.
        Err(e) if e.status < 500 => preview_response(&app, lang, &s, form.payload).await,
        Err(e) => failed(lang, Some(&s), e),
    }
}
