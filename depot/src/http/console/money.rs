//! The console's Money page (issue 12; ADR 0027), operations only: the exchange rates' history
//! per shop currency, setting a new rate from a day (read and checked by the command line's own
//! parsers, `margins::check_currency`, `Day::parse` and `margins::parse_kes_per_unit`, then set
//! by `margins::set_exchange_rate`, which audits it), and the platform ledger's latest entries
//! with their workings and the totals per currency (`margins::latest_platform_entries`), as
//! `fundi-depot exchange-rate` and `fundi-depot margins` show them.

use super::orders::signed_in;
use super::pages::{chrome, day_and_time, failed, form_session, message, Chrome};
use super::text::{day_error, rate_error, rate_taken, Lang};
use super::{html, lang_of, refusal_status, store_work};
use crate::http::shop::price_text;
use crate::http::App;
use crate::store::console::ConsoleSession;
use crate::store::margins::{self, KES};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fundi_sync::catalog::SHOP_CURRENCIES;
use fundi_sync::dates::Day;
use fundi_sync::money::{format_money, Currency, Money};
use fundi_sync::Role;
use serde::Deserialize;

/// Platform ledger entries the page lists at most (the newest; the totals count all).
pub const ENTRIES_SHOWN: usize = 100;
/// Delivered sales without a margin the page lists at most.
const UNPRICED_SHOWN: usize = 100;

/// One currency's rates, oldest first.
pub struct RateHistory {
    pub currency: String,
    /// (first day, KSh a unit, in force today).
    pub rates: Vec<(String, String, bool)>,
}

pub struct EntryRow {
    pub when: String,
    pub order: String,
    pub kind: &'static str,
    pub sale: String,
    pub rate: String,
    pub sale_kes: String,
    pub earning: String,
    pub commission: String,
    /// What her rate would have paid, when the commission was capped below it.
    pub capped_from: Option<String>,
    pub margin: String,
    pub note: String,
}

/// The rate form as typed, and why each field was refused.
#[derive(Default)]
pub struct RateInput {
    pub currency: String,
    pub from: String,
    pub kes: String,
    pub currency_error: Option<String>,
    pub from_error: Option<String>,
    pub kes_error: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/money.html")]
struct MoneyPage {
    c: Chrome,
    rates: Vec<RateHistory>,
    currencies: Vec<&'static str>,
    input: RateInput,
    entries: Vec<EntryRow>,
    count: usize,
    /// (currency, total).
    totals: Vec<(String, String)>,
    unpriced: Vec<(String, String, String)>,
}

/// An amount of a ledger's currency, as the other pages write shillings.
fn amount(lang: Lang, minor: i64, currency: &str) -> String {
    match Currency::from_code(currency) {
        Some(currency) => format_money(Money { minor, currency }, lang.money()),
        None => price_text(minor, currency),
    }
}

async fn page(app: &App, lang: Lang, s: &ConsoleSession, status: StatusCode, input: RateInput) -> Response {
    let caller = s.caller.clone();
    let found = store_work(app, "reading the money pages", move |db| {
        db.read(|tx| {
            Ok((
                margins::exchange_rates(tx, &caller)?,
                margins::latest_platform_entries(tx, &caller, ENTRIES_SHOWN)?,
                margins::unpriced_sales(tx, &caller)?,
            ))
        })
    })
    .await;
    let (history, latest, unpriced) = match found {
        Ok(found) => found,
        Err(e) => return failed(lang, Some(s), e),
    };
    let t = lang.text();
    let today = Day::of_ms(crate::store::now_ms()).to_string();
    let mut rates: Vec<RateHistory> = vec![];
    for r in history {
        let currency = r.key.unwrap_or_default();
        if !matches!(rates.last(), Some(h) if h.currency == currency) {
            rates.push(RateHistory { currency: currency.clone(), rates: vec![] });
        }
        if let Some(h) = rates.last_mut() {
            h.rates.push((r.from, margins::show_rate(r.value), false));
        }
    }
    // The rate in force today: the latest whose day is not after it (days sort as text).
    for h in &mut rates {
        if let Some(now) = h.rates.iter_mut().rev().find(|(from, ..)| *from <= today) {
            now.2 = true;
        }
    }
    let entries = latest
        .entries
        .into_iter()
        .map(|e| EntryRow {
            when: day_and_time(e.at_ms),
            kind: if e.kind == "margin" { t.kind_margin } else { t.kind_reversal },
            sale: price_text(e.sale_minor, &e.sale_currency),
            rate: margins::show_rate(e.kes_per_unit_e4),
            sale_kes: amount(lang, e.sale_kes_minor, &e.currency),
            earning: amount(lang, e.earning_minor, &e.currency),
            commission: amount(lang, e.commission_minor, &e.currency),
            capped_from: (e.commission_minor < e.commission_at_rate_minor)
                .then(|| amount(lang, e.commission_at_rate_minor, &e.currency)),
            margin: amount(lang, e.amount_minor, &e.currency),
            note: e.note.unwrap_or_default(),
            order: e.order_id,
        })
        .collect();
    let totals = latest.totals.iter().map(|(currency, total)| (currency.clone(), amount(lang, *total, currency))).collect();
    let unpriced = unpriced
        .into_iter()
        .take(UNPRICED_SHOWN)
        .map(|(order, sale)| (order, price_text(sale.price_minor, &sale.currency), sale.sold_day.format(lang.money())))
        .collect();
    let currencies = SHOP_CURRENCIES.iter().copied().filter(|c| *c != KES).collect();
    let c = chrome(lang, |t| t.money, "/console/money", Some(s));
    let page = MoneyPage { c, rates, currencies, input, entries, count: latest.count, totals, unpriced };
    html(status, page.render())
}

pub async fn show(State(app): State<App>, headers: HeaderMap) -> Response {
    let s = match signed_in(&app, &headers, &[Role::Operations]).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    page(&app, lang_of(&headers), &s, StatusCode::OK, RateInput::default()).await
}

#[derive(Deserialize)]
pub struct RateForm {
    csrf: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    kes: String,
}

/// Set a currency's rate from a day on; a refusal is said next to its field, with what was typed.
pub async fn set_rate(State(app): State<App>, headers: HeaderMap, Form(form): Form<RateForm>) -> Response {
    let lang = lang_of(&headers);
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    // Nothing of the form is read for another role (the store refuses it again).
    if s.caller.role != Role::Operations {
        return message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into());
    }
    let currency = form.currency.trim().to_string();
    let mut input =
        RateInput { currency: currency.clone(), from: form.from.clone(), kes: form.kes.clone(), ..RateInput::default() };
    let checked = margins::check_currency(&currency).map_err(|e| input.currency_error = Some(rate_error(lang, &e)));
    let day = Day::parse(form.from.trim()).map_err(|e| input.from_error = Some(day_error(lang, &e)));
    let rate = margins::parse_kes_per_unit(&form.kes).map_err(|e| input.kes_error = Some(rate_error(lang, &e)));
    let (Ok(()), Ok(day), Ok(rate)) = (checked, day, rate) else {
        return page(&app, lang, &s, StatusCode::UNPROCESSABLE_ENTITY, input).await;
    };
    let (caller, to_set) = (s.caller.clone(), currency.clone());
    let done = store_work(&app, "setting the rate", move |db| {
        db.write(|tx| margins::set_exchange_rate(tx, &caller, &to_set, day, rate))
    })
    .await;
    match done {
        Ok(()) => Redirect::to("/console/money").into_response(),
        Err(e) if e.status == 409 => {
            input.from_error = Some(rate_taken(lang, &currency, &day.to_string(), e.detail.clone()));
            page(&app, lang, &s, refusal_status(&e), input).await
        }
        Err(e) if e.status < 500 && e.status != 403 => {
            input.error = Some(e.detail.clone());
            page(&app, lang, &s, refusal_status(&e), input).await
        }
        Err(e) => failed(lang, Some(&s), e),
    }
}
