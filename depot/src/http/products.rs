//! The published catalog for operations (issue 15, ADR 0025): `GET /v1/products` lists every
//! product with its listing and the pieces the depot holds (operations; staff their own
//! depot's, ADR 0030);
//! `POST /v1/products/{product_id}/listing` puts one on sale at a shop price or takes it off
//! (operations only, in the audit log).

use super::{parse_body, run, App};
use crate::store::products::{self, ListingChange, ListingRequest};
use crate::store::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

/// Products one listing answers at most.
pub const PRODUCTS_LISTED_MAX: usize = 1000;

pub async fn list(State(app): State<App>, headers: HeaderMap) -> Response {
    run(app, headers, true, |db, caller| {
        if !caller.role.is_depot_wide() {
            return Err(ApiError::forbidden("depot staff and operations only"));
        }
        db.read(|tx| products::all(tx, &caller, PRODUCTS_LISTED_MAX))
    })
    .await
}

pub async fn change_listing(
    State(app): State<App>,
    headers: HeaderMap,
    Path(product_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let change: Result<ListingRequest, _> = parse_body(&headers, body);
    run(app, headers, true, move |db, caller| {
        let change = ListingChange::try_from(change?)?;
        db.write(|tx| products::change_listing(tx, &caller, &product_id, &change))
    })
    .await
}
