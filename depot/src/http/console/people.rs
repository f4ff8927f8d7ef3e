//! The console's People pages (issue 12 item 3): the accounts the signed-in person looks after
//! (operations everyone, staff the artisans, a mentor her mentees) with their phones; enrolling
//! a new account and printing its enrollment card (the one-time code as text and as a QR code
//! drawn on the server); a new code for a replacement phone; revoking a lost phone; moving an
//! artisan to another mentor; a console setup code (operations). Each goes through the store
//! function the API uses (`accounts::enroll`, `replacement_code`, `revoke`, `set_mentor`), so
//! the same roles may do the same things, and each is an audit row. Staff look after their own
//! depot's artisans; operations see which depot each account is in, may narrow the list to one
//! (`?depot=ID`), enroll into any depot and move an account to another (`depots::set_depot`,
//! ADR 0030).

use super::pages::{
    chrome, day_and_time, depot_asked, depot_choices, failed, form_session, message, to_signin, Chrome, DepotChoice,
};
use super::text::Lang;
use super::{blocking, html, lang_of, refusal_status, session_of, store_work};
use crate::http::App;
use crate::store::accounts::{self, Account, Enrollment, NewEnrollment};
use crate::store::console::{self as console_store, ConsoleSession};
use crate::store::depots::{self, Directory};
use crate::store::ApiError;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fundi_sync::limits::MENTEE_DEVICES_MAX;
use fundi_sync::Role;
use serde::Deserialize;

/// The roles that look after people.
const LOOKING_AFTER: &[Role] = &[Role::Staff, Role::Operations, Role::Mentor];

pub struct PhoneRow {
    pub device_id: String,
    pub short: String,
    pub last_seen: String,
}

pub struct PersonRow {
    pub id: String,
    pub name: String,
    pub role: &'static str,
    pub mentor: String,
    /// Her depot's name and id ("" for an operations account, in none).
    pub depot: String,
    pub depot_id: String,
    pub is_artisan: bool,
    /// An operations account: in no depot, so not moved to one.
    pub is_operations: bool,
    pub phones: Vec<PhoneRow>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "console/people.html")]
struct PeoplePage {
    c: Chrome,
    people: Vec<PersonRow>,
    /// The roles the signed-in person may enroll.
    roles: Vec<&'static str>,
    /// Mentors to choose from (staff and operations enrolling or moving an artisan).
    mentors: Vec<Choice>,
    /// Depots to enroll into or move to (operations, when there are several).
    depot_choices: Vec<Choice>,
    /// Operations' depot filter (empty: none to offer).
    depots: Vec<DepotChoice>,
    all_depots: bool,
    error: Option<String>,
}

/// What `role` may enroll (the rule is `accounts::enroll`'s; the form only offers it).
fn enrollable(role: Role) -> Vec<&'static str> {
    match role {
        Role::Operations => vec!["artisan", "mentor", "staff", "operations"],
        Role::Staff | Role::Mentor => vec!["artisan"],
        Role::Artisan => vec![],
    }
}

async fn people_page(app: &App, lang: Lang, s: &ConsoleSession, status: StatusCode, error: Option<String>) -> Response {
    people_in(app, lang, s, None, status, error).await
}

/// The People page, narrowed to depot `depot` when operations name one.
async fn people_in(
    app: &App,
    lang: Lang,
    s: &ConsoleSession,
    depot: Option<String>,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let (db, caller, narrowed) = (app.db.clone(), s.caller.clone(), depot.clone());
    let found = blocking(move || {
        db.read(|tx| {
            let directory = Directory::load(tx)?;
            let people = accounts::people(tx, &caller, narrowed.as_deref())?;
            let mut rows = Vec::with_capacity(people.len());
            for a in &people {
                let mentor = match &a.mentor_id {
                    Some(m) => accounts::get_account(tx, m)?.map(|m| m.name).unwrap_or_default(),
                    None => String::new(),
                };
                let depot = directory.depot_name(Some(&a.id));
                rows.push((a.clone(), mentor, depot, accounts::devices(tx, &a.id, MENTEE_DEVICES_MAX)?));
            }
            let mentors: Vec<Account> = if caller.role.is_depot_wide() {
                accounts::list_accounts(tx)?.into_iter().filter(|a| a.role == Role::Mentor).collect()
            } else {
                vec![]
            };
            Ok((rows, mentors, directory.depots()))
        })
    })
    .await;
    let (rows, mentors, all) = match found {
        Some(Ok(v)) => v,
        Some(Err(e)) => return failed(lang, Some(s), e),
        None => return failed(lang, Some(s), ApiError::internal("listing people failed")),
    };
    let people = rows
        .into_iter()
        .map(|(a, mentor, depot, devices)| PersonRow {
            is_artisan: a.role == Role::Artisan,
            is_operations: a.role == Role::Operations,
            depot,
            depot_id: a.depot_id.clone().unwrap_or_default(),
            role: a.role.code(),
            phones: devices
                .into_iter()
                .map(|d| PhoneRow {
                    short: d.device_id.chars().take(8).collect(),
                    last_seen: d.last_seen_ms.map_or_else(|| lang.text().never.to_string(), |ms| day_and_time(ms as i64)),
                    device_id: d.device_id,
                })
                .collect(),
            id: a.id,
            name: a.name,
            mentor,
        })
        .collect();
    let page = PeoplePage {
        c: chrome(lang, |t| t.people, "/console/people", Some(s)),
        people,
        roles: enrollable(s.caller.role),
        mentors: mentors.into_iter().map(|m| Choice { value: m.id, label: m.name }).collect(),
        depot_choices: depot_choices(s, &all, None).into_iter().map(|d| Choice { value: d.id, label: d.name }).collect(),
        depots: depot_choices(s, &all, depot.as_deref()),
        all_depots: depot.is_none(),
        error,
    };
    html(status, page.render())
}

pub async fn list(State(app): State<App>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let lang = lang_of(&headers);
    match session_of(&app, &headers).await {
        Ok(Some(s)) if LOOKING_AFTER.contains(&s.caller.role) => {
            people_in(&app, lang, &s, depot_asked(&q), StatusCode::OK, None).await
        }
        Ok(Some(s)) => message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into()),
        Ok(None) => to_signin(),
        Err(e) => failed(lang, None, e),
    }
}

// ---- The enrollment card

#[derive(Template)]
#[template(path = "console/card.html")]
struct CardPage {
    c: Chrome,
    name: String,
    role: &'static str,
    code: String,
    expires: String,
    /// The QR code of the code, as SVG drawn here.
    qr_svg: String,
    /// A console setup code rather than a phone's enrollment code.
    console_code: bool,
}

/// The code as a QR code (SVG), for a phone's camera or a scanner.
fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(180, 180).quiet_zone(true).build(),
        Err(_) => String::new(),
    }
}

fn card(
    lang: Lang,
    s: &ConsoleSession,
    name: String,
    role: Role,
    code: String,
    expires_ms: Option<u64>,
    console_code: bool,
) -> Response {
    let page = CardPage {
        c: chrome(lang, |t| t.enrollment_card, "/console/people", Some(s)),
        qr_svg: qr_svg(&code),
        name,
        role: role.code(),
        expires: expires_ms.map(|ms| day_and_time(ms as i64)).unwrap_or_default(),
        code,
        console_code,
    };
    html(StatusCode::OK, page.render())
}

#[derive(Deserialize)]
pub struct EnrollForm {
    csrf: String,
    name: String,
    role: String,
    #[serde(default)]
    mentor_id: String,
    /// The depot to enroll into (operations; empty: the default one, or none for operations).
    #[serde(default)]
    depot_id: String,
}

/// Enroll a new account and show its card.
pub async fn enroll(State(app): State<App>, headers: HeaderMap, Form(form): Form<EnrollForm>) -> Response {
    let lang = lang_of(&headers);
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(role) = Role::from_code(&form.role) else {
        return people_page(&app, lang, &s, StatusCode::UNPROCESSABLE_ENTITY, Some(format!("no such role {:?}", form.role)))
            .await;
    };
    let mentor_id = Some(form.mentor_id.clone()).filter(|m| !m.is_empty());
    // An operations account belongs to no depot, whatever the form's depot list said.
    let depot_id = Some(form.depot_id.clone()).filter(|d| !d.is_empty() && role != Role::Operations);
    let (db, caller, name) = (app.db.clone(), s.caller.clone(), form.name.clone());
    let done = blocking(move || -> Result<Enrollment, ApiError> {
        db.write(|tx| {
            let e = accounts::enroll(tx, &caller, NewEnrollment { role, name: name.clone(), mentor_id, depot_id })?;
            console_store::audit(
                tx,
                &caller.account_id,
                "account.enroll",
                Some(&e.account_id),
                Some(&format!("{} {}", role.code(), name.trim())),
            )?;
            Ok(e)
        })
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("enrolling failed")));
    match done {
        Ok(e) => card(lang, &s, form.name.trim().to_string(), role, e.code, Some(e.expires_ms), false),
        Err(e) if e.status < 500 => {
            let status = refusal_status(&e);
            people_page(&app, lang, &s, status, Some(e.detail)).await
        }
        Err(e) => failed(lang, Some(&s), e),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// A People form's change: `work` done in the store as the signed-in person (her CSRF token
/// checked first), then answered by `ok`; a refusal she can act on (a wrong value, a state that
/// changed) is shown on the People page with its reason; not hers, or not there, the error page.
async fn change<T: Send + 'static>(
    app: &App,
    headers: &HeaderMap,
    csrf: &str,
    what: &'static str,
    work: impl FnOnce(&crate::store::Db, &crate::store::accounts::Caller) -> Result<T, ApiError> + Send + 'static,
    ok: impl FnOnce(Lang, &ConsoleSession, T) -> Response,
) -> Response {
    let lang = lang_of(headers);
    let s = match form_session(app, headers, csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let caller = s.caller.clone();
    match store_work(app, what, move |db| work(db, &caller)).await {
        Ok(v) => ok(lang, &s, v),
        Err(e) if e.status < 500 && e.status != 403 && e.status != 404 => {
            people_page(app, lang, &s, refusal_status(&e), Some(e.detail)).await
        }
        Err(e) => failed(lang, Some(&s), e),
    }
}

/// A new enrollment code for an account's replacement phone, on a card.
pub async fn new_code(
    State(app): State<App>,
    headers: HeaderMap,
    Path(account): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let work = move |db: &crate::store::Db, caller: &crate::store::accounts::Caller| {
        db.write(|tx| {
            let e = accounts::replacement_code(tx, caller, &account)?;
            let a = accounts::get_account(tx, &account)?.ok_or_else(|| ApiError::not_found("no such account"))?;
            console_store::audit(tx, &caller.account_id, "account.code", Some(&account), None)?;
            Ok((a, e))
        })
    };
    let ok = |lang, s: &ConsoleSession, (a, e): (Account, Enrollment)| {
        card(lang, s, a.name, a.role, e.code, Some(e.expires_ms), false)
    };
    change(&app, &headers, &form.csrf, "issuing a code", work, ok).await
}

/// A console setup code for a staff, operations or mentor account (operations), on a card.
pub async fn console_code(
    State(app): State<App>,
    headers: HeaderMap,
    Path(account): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let work = move |db: &crate::store::Db, caller: &crate::store::accounts::Caller| {
        db.write(|tx| {
            let code = console_store::issue_setup_code(tx, caller, &account)?;
            let a = accounts::get_account(tx, &account)?.ok_or_else(|| ApiError::not_found("no such account"))?;
            Ok((a, code))
        })
    };
    let ok = |lang, s: &ConsoleSession, (a, code): (Account, String)| card(lang, s, a.name, a.role, code, None, true);
    change(&app, &headers, &form.csrf, "issuing a setup code", work, ok).await
}

/// Revoke a lost phone: its next sync is refused.
pub async fn revoke(
    State(app): State<App>,
    headers: HeaderMap,
    Path(device): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let work = move |db: &crate::store::Db, caller: &crate::store::accounts::Caller| {
        db.write(|tx| {
            accounts::revoke(tx, caller, &device)?;
            console_store::audit(tx, &caller.account_id, "device.revoke", Some(&device), None)
        })
    };
    change(&app, &headers, &form.csrf, "revoking", work, |_, _, ()| Redirect::to("/console/people").into_response()).await
}

#[derive(Deserialize)]
pub struct MentorForm {
    csrf: String,
    #[serde(default)]
    mentor_id: String,
}

/// Move an artisan to another mentor, or to none (operations).
pub async fn set_mentor(
    State(app): State<App>,
    headers: HeaderMap,
    Path(artisan): Path<String>,
    Form(form): Form<MentorForm>,
) -> Response {
    let mentor = Some(form.mentor_id).filter(|m| !m.is_empty());
    let work = move |db: &crate::store::Db, caller: &crate::store::accounts::Caller| {
        db.write(|tx| {
            accounts::set_mentor(tx, caller, &artisan, mentor.as_deref())?;
            console_store::audit(tx, &caller.account_id, "account.set_mentor", Some(&artisan), mentor.as_deref())
        })
    };
    change(&app, &headers, &form.csrf, "moving the artisan", work, |_, _, ()| Redirect::to("/console/people").into_response())
        .await
}

#[derive(Deserialize)]
pub struct DepotForm {
    csrf: String,
    #[serde(default)]
    depot_id: String,
}

/// Move an account to another depot (operations; audited by the store).
pub async fn set_depot(
    State(app): State<App>,
    headers: HeaderMap,
    Path(account): Path<String>,
    Form(form): Form<DepotForm>,
) -> Response {
    let depot = form.depot_id;
    let work = move |db: &crate::store::Db, caller: &crate::store::accounts::Caller| {
        db.write(|tx| depots::set_depot(tx, caller, &account, &depot))
    };
    change(&app, &headers, &form.csrf, "moving the account", work, |_, _, _| Redirect::to("/console/people").into_response())
        .await
}
