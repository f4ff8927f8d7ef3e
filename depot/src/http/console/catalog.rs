//! The console's Catalog review page (issue 12 item 3): the drafts submitted for review that the
//! signed-in person may review (staff and operations any; a mentor her mentees'), with their
//! photos' thumbnails, and approving or asking for changes with a note. The note and the
//! decision are the very mutations a mentor's phone pushes, decided by the protocol's rules
//! (`push::apply_api`): a draft whose photos have not reached the depot is not approved, a
//! mentor cannot review another mentor's mentee. Thumbnails are served to the session by the
//! same check the API's `/v1/blobs/{photo}/thumbnail` makes.

use super::pages::{chrome, failed, form_session, message, to_signin, Chrome};
use super::{blocking, html, lang_of, refusal_status, session_of};
use crate::http::App;
use crate::store::catalog::{self, Submitted};
use crate::store::console as console_store;
use crate::store::{push, uploads, ApiError};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fundi_sync::money::{format_money, Money};
use fundi_sync::workflow::DraftCommand;
use fundi_sync::{CommandBody, Extra, FieldWrite, Mutation, Role};
use serde::Deserialize;
use std::collections::BTreeMap;

const REVIEWERS: &[Role] = &[Role::Staff, Role::Operations, Role::Mentor];

pub struct DraftView {
    pub id: String,
    pub title: String,
    pub artisan: String,
    pub category: String,
    pub materials: String,
    pub description: String,
    pub price: String,
    pub photos: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/catalog.html")]
struct CatalogPage {
    c: Chrome,
    drafts: Vec<DraftView>,
    error: Option<String>,
}

async fn catalog_page(app: &App, headers: &HeaderMap, status: StatusCode, error: Option<String>) -> Response {
    let lang = lang_of(headers);
    let s = match session_of(app, headers).await {
        Ok(Some(s)) if REVIEWERS.contains(&s.caller.role) => s,
        Ok(Some(s)) => return message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into()),
        Ok(None) => return to_signin(),
        Err(e) => return failed(lang, None, e),
    };
    let (db, caller) = (app.db.clone(), s.caller.clone());
    let drafts = match blocking(move || db.read(|tx| catalog::submitted(tx, &caller))).await {
        Some(Ok(d)) => d,
        Some(Err(e)) => return failed(lang, Some(&s), e),
        None => return failed(lang, Some(&s), ApiError::internal("listing drafts failed")),
    };
    let drafts = drafts
        .into_iter()
        .map(|d: Submitted| DraftView {
            price: d.price_minor.map(|p| format_money(Money::kes_minor(p), lang.money())).unwrap_or_default(),
            id: d.id,
            title: d.title,
            artisan: d.artisan,
            category: d.category,
            materials: d.materials,
            description: d.description,
            photos: d.photos,
        })
        .collect();
    html(status, CatalogPage { c: chrome(lang, |t| t.catalog, "/console/catalog", Some(&s)), drafts, error }.render())
}

pub async fn list(State(app): State<App>, headers: HeaderMap) -> Response {
    catalog_page(&app, &headers, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct ReviewForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    note: String,
}

/// Approve a draft or ask for changes, with the note the artisan reads on her phone.
pub async fn review(
    State(app): State<App>,
    headers: HeaderMap,
    Path(draft): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Response {
    let lang = lang_of(&headers);
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(command) =
        DraftCommand::from_code(&form.decision).filter(|c| matches!(c, DraftCommand::Approve | DraftCommand::RequestChanges))
    else {
        return message(lang, Some(&s), StatusCode::UNPROCESSABLE_ENTITY, format!("no such decision {:?}", form.decision));
    };
    let (db, caller, key) = (app.db.clone(), s.caller.clone(), draft.clone());
    let note = form.note.trim().to_string();
    let done = blocking(move || -> Result<(), ApiError> {
        let mut mutations = vec![];
        if !note.is_empty() {
            let base = db.read(|tx| catalog::review_note_stamp(tx, &key))?;
            let mut fields = BTreeMap::new();
            fields.insert(
                fundi_sync::fields::DRAFT_REVIEW_NOTE.to_string(),
                FieldWrite::new(note.clone().into(), db.now(), base.into_iter().collect()),
            );
            mutations.push(Mutation {
                counter: 0,
                kind: "draft".into(),
                id: key.clone(),
                fields: Some(fields),
                command: None,
                entry: None,
                extra: Extra::new(),
            });
        }
        let c = CommandBody::new(command.code(), db.now(), Extra::new());
        mutations.push(Mutation {
            counter: 0,
            kind: "draft".into(),
            id: key.clone(),
            fields: None,
            command: Some(c),
            entry: None,
            extra: Extra::new(),
        });
        push::apply_api(&db, &caller, &mutations)?;
        let detail = (!note.is_empty()).then_some(note.as_str());
        db.write(|tx| console_store::audit(tx, &caller.account_id, &format!("draft.{}", command.code()), Some(&key), detail))
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("the review failed")));
    match done {
        Ok(()) => Redirect::to("/console/catalog").into_response(),
        Err(e) if e.status < 500 && e.status != 403 && e.status != 404 => {
            let status = refusal_status(&e);
            catalog_page(&app, &headers, status, Some(e.detail)).await
        }
        Err(e) => failed(lang, Some(&s), e),
    }
}

/// A photo's thumbnail, for a session that may read a draft showing it.
pub async fn thumbnail(State(app): State<App>, headers: HeaderMap, Path(photo): Path<String>) -> Response {
    let lang = lang_of(&headers);
    let s = match session_of(&app, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return crate::http::error_response(ApiError::unauthorized(), None),
        Err(e) => return failed(lang, None, e),
    };
    if !fundi_sync::hash::is_content_hash(&photo) {
        return crate::http::error_response(ApiError::not_found("no such photo"), None);
    }
    let (db, caller) = (app.db.clone(), s.caller.clone());
    match blocking(move || uploads::thumbnail_for(&db, &caller, &photo)).await {
        Some(Ok((_, bytes))) => {
            let mut r = (StatusCode::OK, bytes).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400"));
            r.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            r
        }
        // Not there (yet), or not hers to see: the same answer, as the API gives.
        _ => crate::http::error_response(ApiError::not_found("no such photo"), None),
    }
}
