//! `GET /v1/statements/{account_id}?from=&to=&format=`: an account's sales statement over a
//! period (`crate::statement`), as a printable page (`format=html`, the default) or CSV
//! (`format=csv`), for the account herself and for operations.

use super::{blocking, error_response, query_str, App};
use crate::statement::{self, render};
use crate::store::{now_ms, ApiError};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fundi_sync::dates::Day;

fn day(q: &Option<String>, key: &str) -> Result<Day, ApiError> {
    let text = query_str(q, key).ok_or_else(|| ApiError::invalid(format!("{key}: a day, YYYY-MM-DD")))?;
    Day::parse(text).map_err(|e| ApiError::invalid(format!("{key}: {e}")))
}

pub async fn get(State(app): State<App>, headers: HeaderMap, Path(account_id): Path<String>, RawQuery(q): RawQuery) -> Response {
    let period = day(&q, "from").and_then(|from| Ok((from, day(&q, "to")?)));
    let csv = match query_str(&q, "format") {
        None | Some("html") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(ApiError::invalid(format!("format {other:?}: html or csv"))),
    };
    let made = blocking(&app, &headers, move |db, caller| {
        let (from, to) = period?;
        let csv = csv?;
        let s = db.read(|tx| statement::statement(tx, caller, &account_id, from, to))?;
        let name = format!("statement-{}-{from}-{to}", s.account_id);
        if csv {
            let mut out = vec![];
            render::write_csv(&s, &mut out).map_err(|e| ApiError::internal(e.to_string()))?;
            Ok((out, "text/csv; charset=utf-8", format!("attachment; filename=\"{name}.csv\"")))
        } else {
            let page = render::html(&s, Day::of_ms(now_ms())).map_err(|e| ApiError::internal(e.to_string()))?;
            Ok((page.into_bytes(), "text/html; charset=utf-8", format!("inline; filename=\"{name}.html\"")))
        }
    })
    .await;
    match made {
        Ok((_, (body, content_type, disposition))) => {
            let mut r = (StatusCode::OK, body).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            // The name holds only an account id (a UUID) and days: always a valid header.
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => error_response(e, Some(&headers)),
    }
}
