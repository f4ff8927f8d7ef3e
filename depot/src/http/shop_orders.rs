//! `POST /v1/shop/orders`: a shop's signed order (issue 15 item 3, ADR 0026). No device token:
//! the delivery is authenticated by its signature, which `store::shop_orders::deliver` checks
//! with the rest. Answers the orders made of it, or a typed error; a refusal of some lines
//! (422 `invalid`) lists every refused line with its own code. Rates are bounded before any work
//! or write: refused deliveries per client address, taken ones per shop (`db.shop_rates`); past
//! either, 429 `rate_limited`, not recorded.

use super::tls::PeerAddr;
use super::{error_response, json_response, App};
use crate::store::shop_orders::{self, Delivery, Refused};
use crate::store::{now_ms, ApiError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use fundi_sync::shop::{ShopLineError, SHOP_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use serde::Serialize;

/// The 422 answer to a shop order with refused lines: the typed error and each line's.
#[derive(Serialize)]
struct LinesRefused {
    error: &'static str,
    detail: String,
    lines: Vec<ShopLineError>,
}

pub async fn receive(
    State(app): State<App>,
    ConnectInfo(PeerAddr(client)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let address = client.ip().to_string();
    // A shop is named by a header anyone may send: its allowance is only checked here, and
    // counted once a delivery signed by it is taken, so a stranger cannot use it up.
    let named_shop = headers.get(SHOP_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let allowed = app.shop_refusals.check(&address, now_ms()).and_then(|()| app.shop_deliveries.check(&named_shop, now_ms()));
    if let Err(e) = allowed {
        return error_response(e, Some(&headers));
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large("request body too large")
        } else {
            ApiError::malformed("unreadable body")
        }
    });
    let (db, h) = (app.db.clone(), headers.clone());
    let out = tokio::task::spawn_blocking(move || {
        let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
        let delivery = Delivery {
            shop: text(SHOP_HEADER),
            timestamp: text(TIMESTAMP_HEADER),
            signature: text(SIGNATURE_HEADER),
            encoded: text(header::CONTENT_ENCODING.as_str()).is_some_and(|e| !e.eq_ignore_ascii_case("identity")),
            body: body.as_deref().map_err(Clone::clone),
        };
        shop_orders::deliver(&db, &delivery, now_ms())
    })
    .await
    .unwrap_or_else(|_| Err(Refused::Whole(ApiError::internal("handler failed"))));
    match &out {
        Ok(_) => app.shop_deliveries.count(&named_shop, now_ms()),
        Err(refused) if (400..500).contains(&refused.status()) => app.shop_refusals.count(&address, now_ms()),
        Err(_) => {}
    }
    match out {
        Ok(answer) => json_response(StatusCode::OK, &answer, Some(&headers)),
        Err(Refused::Whole(e)) => error_response(e, Some(&headers)),
        Err(Refused::Lines { detail, lines }) => {
            json_response(StatusCode::UNPROCESSABLE_ENTITY, &LinesRefused { error: "invalid", detail, lines }, Some(&headers))
        }
    }
}
