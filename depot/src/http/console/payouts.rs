//! The console's Payouts page (issues 11 and 12; ADRs 0019, 0021): operations see the payout
//! batches and their payouts by state, create a batch for a period from what each account may
//! be paid (those left out for want of an M-Pesa number are listed), and approve a batch
//! another operations account created. Through `money::create_payout_batch` and
//! `payouts::approve_batch`, the API's own functions: the creator cannot approve her own batch.

use super::pages::{chrome, day_and_time, failed, form_session, message, to_signin, Chrome};
use super::text::Lang;
use super::{blocking, html, lang_of, refusal_status, session_of, store_work};
use crate::http::App;
use crate::store::console::{self as console_store, ConsoleSession};
use crate::store::{money, payouts, ApiError};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fundi_sync::dates::Day;
use fundi_sync::money::{format_money, Money};
use fundi_sync::Role;
use serde::Deserialize;

pub struct BatchRow {
    pub id: String,
    pub short: String,
    pub period: String,
    pub total: String,
    pub state: String,
    pub counts: String,
    pub created: String,
    pub awaiting: bool,
}

/// A payout not yet paid or failed, and how long it has waited.
pub struct OpenRow {
    pub id: String,
    pub amount: String,
    pub state: String,
    pub since: String,
    pub attempts: i64,
    pub queries: i64,
    pub last_error: String,
}

/// Open payouts one page lists at most.
const OPEN_MAX: usize = 100;

#[derive(Template)]
#[template(path = "console/payouts.html")]
struct PayoutsPage {
    c: Chrome,
    batches: Vec<BatchRow>,
    open: Vec<OpenRow>,
    today: String,
    error: Option<String>,
    notice: Option<String>,
}

fn kes(lang: Lang, minor: i64) -> String {
    format_money(Money::kes_minor(minor), lang.money())
}

async fn page(
    app: &App,
    lang: Lang,
    s: &ConsoleSession,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let (db, caller) = (app.db.clone(), s.caller.clone());
    let list = match blocking(move || {
        db.read(|tx| Ok((payouts::list_batches(tx, &caller)?, payouts::open_payouts(tx, &caller, OPEN_MAX)?)))
    })
    .await
    {
        Some(Ok(l)) => l,
        Some(Err(e)) => return failed(lang, Some(s), e),
        None => return failed(lang, Some(s), ApiError::internal("listing payout batches failed")),
    };
    let (list, open) = list;
    let open = open
        .into_iter()
        .map(|p| OpenRow {
            id: p.id.chars().take(8).collect(),
            amount: kes(lang, p.amount_minor),
            state: p.state.code().to_string(),
            since: day_and_time(p.created_ms),
            attempts: p.attempts,
            queries: p.queries,
            last_error: p.last_error.unwrap_or_default(),
        })
        .collect();
    let batches = list
        .batches
        .into_iter()
        .map(|b| BatchRow {
            short: b.id.chars().take(8).collect(),
            period: format!("{} – {}", b.period_from, b.period_to),
            total: kes(lang, b.total_minor),
            awaiting: b.state == "awaiting_approval",
            state: b.state.replace('_', " "),
            counts: b.counts.iter().map(|(state, n)| format!("{n} {state}")).collect::<Vec<_>>().join(", "),
            created: day_and_time(b.created_ms),
            id: b.id,
        })
        .collect();
    let today = Day::of_ms(crate::store::now_ms()).to_string();
    html(
        status,
        PayoutsPage { c: chrome(lang, |t| t.payouts, "/console/payouts", Some(s)), batches, open, today, error, notice }.render(),
    )
}

pub async fn list(State(app): State<App>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    match session_of(&app, &headers).await {
        Ok(Some(s)) if s.caller.role == Role::Operations => page(&app, lang, &s, StatusCode::OK, None, None).await,
        Ok(Some(s)) => message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into()),
        Ok(None) => to_signin(),
        Err(e) => failed(lang, None, e),
    }
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf: String,
    period_from: String,
    period_to: String,
}

/// A batch for the period from what each account may be paid.
pub async fn create(State(app): State<App>, headers: HeaderMap, Form(form): Form<CreateForm>) -> Response {
    let lang = lang_of(&headers);
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (db, caller) = (app.db.clone(), s.caller.clone());
    let req = money::BatchRequest { period_from: form.period_from, period_to: form.period_to, payouts: None };
    let done = blocking(move || {
        let hlc = db.now();
        db.write(|tx| {
            let created = money::create_payout_batch(tx, &caller, &req, db.payouts, hlc)?;
            let detail = format!("{} to {}: {} minor units", req.period_from, req.period_to, created.batch.total_minor);
            console_store::audit(tx, &caller.account_id, "payouts.create_batch", Some(&created.batch.id), Some(&detail))?;
            Ok(created)
        })
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("creating the batch failed")));
    let t = lang.text();
    match done {
        Ok(created) => {
            let skipped: Vec<String> = created
                .skipped
                .iter()
                .map(|k| format!("{} ({}: {})", k.account_id, kes(lang, k.payable_minor), k.reason))
                .collect();
            let mut notice = format!(
                "{} {}: {}",
                t.batch_created,
                created.batch.state.replace('_', " "),
                kes(lang, created.batch.total_minor)
            );
            if !skipped.is_empty() {
                notice.push_str(&format!(". {}: {}", t.left_out, skipped.join("; ")));
            }
            page(&app, lang, &s, StatusCode::OK, None, Some(notice)).await
        }
        Err(e) if e.status < 500 && e.status != 403 => {
            let status = refusal_status(&e);
            page(&app, lang, &s, status, Some(e.detail), None).await
        }
        Err(e) => failed(lang, Some(&s), e),
    }
}

#[derive(Deserialize)]
pub struct ApproveForm {
    csrf: String,
}

/// Approve a batch waiting for a second operations account.
pub async fn approve(
    State(app): State<App>,
    headers: HeaderMap,
    Path(batch): Path<String>,
    Form(form): Form<ApproveForm>,
) -> Response {
    let lang = lang_of(&headers);
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let caller = s.caller.clone();
    let done = store_work(&app, "approving the batch", move |db| {
        db.write(|tx| {
            payouts::approve_batch(tx, &caller, &batch)?;
            console_store::audit(tx, &caller.account_id, "payouts.approve_batch", Some(&batch), None)
        })
    })
    .await;
    match done {
        Ok(()) => Redirect::to("/console/payouts").into_response(),
        // Her own batch, or approved already: said on the page.
        Err(e) if e.status < 500 && s.caller.role == Role::Operations => {
            let status = refusal_status(&e);
            page(&app, lang, &s, status, Some(e.detail), None).await
        }
        Err(e) => failed(lang, Some(&s), e),
    }
}
