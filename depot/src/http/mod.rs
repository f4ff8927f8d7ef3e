//! The HTTP API (axum): routes, bearer authentication, gzip both ways (bounded, so a
//! decompression bomb is refused, not inflated), and typed JSON errors for every failure,
//! including bodies that are too large or not JSON. Store work runs on blocking threads.
//! The API is described by `openapi.json`, served at `/openapi.json`; so are the public shop's
//! pages, photos and feed (`shop`).

use crate::store::accounts::{self, Caller, NewEnrollment};
use crate::store::{mentees, money, now_ms, orders, payouts, pull, push, ApiError, Db};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, head, options, patch, post};
use axum::Router;
use fundi_sync::compression::{gunzip, gzip, InflateError, GZIP_ABOVE_BYTES as GZIP_MIN};
use fundi_sync::identity::{KeyFingerprint, NEXT_KEY_HEADER};
use fundi_sync::limits::{ENROLLMENT_FAILURES_PER_MINUTE, TOKEN_ROTATIONS_PER_MINUTE};
use fundi_sync::{ApiErrorBody, Extra, PushRequest, PROTOCOL_VERSION};
use rate::RateLimiter;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tls::{DepotKey, PeerAddr};

mod console;
mod enroll;
mod products;
mod rate;
mod reports;
pub(crate) mod shop;
mod shop_orders;
mod statement;
pub mod tls;
mod tus;

pub use shop::PublicUrl;

pub const OPENAPI: &str = include_str!("openapi.json");
const MINUTE_MS: u64 = 60_000;
/// Largest request body on the wire, by default.
pub const MAX_BODY: usize = 2 * 1024 * 1024;
/// Largest request body once decompressed.
pub const MAX_INFLATED: usize = fundi_sync::limits::DEPOT_INFLATED_MAX_BYTES;

#[derive(Clone)]
pub struct App {
    pub db: Arc<Db>,
    enroll_failures: Arc<RateLimiter>,
    token_rotations: Arc<RateLimiter>,
    enroll_sessions: Arc<enroll::Sessions>,
    /// The fingerprint of the key this depot serves (what enrollment binds phones to).
    identity: KeyFingerprint,
    /// The web console's sign-in limits and cookie policy.
    console: Arc<console::Console>,
    /// The public shop's address for its feed's links.
    shop: Arc<shop::Shop>,
    /// Refused shop deliveries per client address, taken ones per shop (`db.shop_rates`).
    shop_refusals: Arc<RateLimiter>,
    shop_deliveries: Arc<RateLimiter>,
}

/// Who the depot is on the wire: the key phones enroll against, and the announcement of its
/// next key (signed by this one) that every answer carries while there is one.
#[derive(Clone)]
pub struct Identity {
    pub fingerprint: KeyFingerprint,
    pub next_key: Option<String>,
    /// Served over TLS (the console's session cookie is then `Secure`).
    pub tls: bool,
}

impl Identity {
    /// A depot served without TLS (the development flag): enrollment is bound to no key.
    pub fn plain() -> Identity {
        Identity { fingerprint: KeyFingerprint::of_spki(b""), next_key: None, tls: false }
    }
}

/// The router. `public_url`: the address shoppers reach the depot at, when it has one (`serve
/// --public-url`; without it the shop's feed links to the address each request names).
pub fn router(db: Arc<Db>, max_body: usize, identity: Identity, public_url: Option<PublicUrl>) -> Router {
    let announce = identity.next_key.and_then(|h| HeaderValue::from_str(&h).ok());
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/v1/health", get(health))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/enroll/start", post(enroll::start))
        .route("/v1/enroll/finish", post(enroll::finish))
        .route("/v1/token", post(rotate_token))
        .route("/v1/me", get(me))
        .route("/v1/enrollments", post(create_enrollment))
        .route("/v1/accounts/{account_id}/codes", post(replacement_code))
        .route("/v1/devices/{device_id}/revoke", post(revoke_device))
        .route("/v1/sync/push", post(sync_push))
        .route("/v1/sync/pull", get(sync_pull))
        .route("/v1/sync/estimate", get(sync_estimate))
        .route("/v1/orders", post(import_orders))
        .route("/v1/orders/{order_id}/commands", post(order_command))
        .route("/v1/depot", get(depot_report))
        .route("/v1/products", get(products::list))
        .route("/v1/products/{product_id}/listing", post(products::change_listing))
        // A shop's order, signed with its secret instead of a device token (ADR 0026).
        .route("/v1/shop/orders", post(shop_orders::receive))
        .route("/v1/mentees", get(mentees))
        // Payout batches (operations; ADR 0019). Daraja's callbacks are not here: they are served
        // on the deployment's secret path by the payout engine (`crate::payouts`).
        .route("/v1/payouts/batches", post(create_payout_batch))
        .route("/v1/payouts/batches", get(list_payout_batches))
        .route("/v1/payouts/batches/{batch_id}", get(get_payout_batch))
        .route("/v1/payouts/batches/{batch_id}/approve", post(approve_payout_batch))
        .route("/v1/statements/{account_id}", get(statement::get))
        // M&E reports as CSV, streamed (operations; ADR 0022).
        .route("/v1/reports/{name}", get(reports::export))
        // Uploads (tus 1.0) and blobs; a PATCH body is streamed and bounded by the upload itself.
        .route("/v1/uploads", options(tus::discover))
        .route("/v1/uploads", post(tus::create))
        .route("/v1/uploads/{upload_id}", head(tus::offset))
        .route("/v1/uploads/{upload_id}", patch(tus::append))
        .route("/v1/uploads/{upload_id}", delete(tus::terminate))
        .route("/v1/blobs/{sha256}", get(tus::blob))
        .route("/v1/blobs/{sha256}/thumbnail", get(tus::thumbnail))
        // The public shop (no sign-in; issue 15, ADR 0025): pages for shoppers, the photos of
        // products on sale, and the product feed a hosted shop imports.
        .route("/shop", get(shop::list))
        .route("/shop/products/{product_id}", get(shop::product))
        .route("/shop/photos/{sha256}", get(shop::photo))
        .route("/shop/photos/{sha256}/thumbnail", get(shop::thumbnail))
        .route("/shop/feed.json", get(shop::feed_json))
        .route("/shop/feed.csv", get(shop::feed_csv))
        // The web console (HTML pages at `/` and `/console/...`; ADR 0024).
        .merge(console::routes())
        .fallback(|| async { error_response(ApiError::not_found("no such endpoint"), None) })
        .method_not_allowed_fallback(|| async { error_response(ApiError::method_not_allowed(), None) })
        // Whatever answered an error without the typed JSON body (an extractor's rejection of a
        // path that is not UTF-8, say) gets it here, so every failure reads the same way.
        .layer(axum::middleware::map_response(typed_error_body))
        .layer(axum::middleware::map_response(move |mut resp: Response| {
            let announce = announce.clone();
            async move {
                if let Some(v) = announce {
                    resp.headers_mut().insert(NEXT_KEY_HEADER, v);
                }
                resp
            }
        }))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(App {
            shop_refusals: Arc::new(RateLimiter::new(db.shop_rates.refusals_per_minute, MINUTE_MS)),
            shop_deliveries: Arc::new(RateLimiter::new(db.shop_rates.deliveries_per_minute, MINUTE_MS)),
            db,
            enroll_failures: Arc::new(RateLimiter::new(ENROLLMENT_FAILURES_PER_MINUTE, MINUTE_MS)),
            token_rotations: Arc::new(RateLimiter::new(TOKEN_ROTATIONS_PER_MINUTE, MINUTE_MS)),
            enroll_sessions: Default::default(),
            identity: identity.fingerprint,
            console: Arc::new(console::Console::new(identity.tls)),
            shop: Arc::new(shop::Shop::new(public_url, identity.tls)),
        })
}

async fn typed_error_body(resp: Response) -> Response {
    let status = resp.status();
    // JSON errors are typed already; the console's HTML pages say what went wrong themselves.
    let typed = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(b"application/json") || v.starts_with(b"text/html")
    });
    if !(status.is_client_error() || status.is_server_error()) || typed {
        return resp;
    }
    let e = match status {
        StatusCode::NOT_FOUND => ApiError::not_found("no such endpoint"),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::method_not_allowed(),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large("request body too large"),
        s if s.is_client_error() => ApiError::malformed(format!("the request could not be read ({})", s.as_u16())),
        _ => ApiError::internal("the server failed"),
    };
    error_response(e, None)
}

fn error_response(e: ApiError, gzip: Option<&HeaderMap>) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = ApiErrorBody { error: e.code.to_string(), detail: e.detail, server_time: None };
    json_response(status, &body, gzip)
}

fn wants_gzip(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("gzip"))
}

fn json_response<T: Serialize>(status: StatusCode, value: &T, req: Option<&HeaderMap>) -> Response {
    let bytes = serde_json::to_vec(value).expect("response types serialize");
    let mut resp = if req.is_some_and(wants_gzip) && bytes.len() >= GZIP_MIN {
        let gz = gzip(&bytes);
        let mut r = (status, gz).into_response();
        r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        (status, bytes).into_response()
    };
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// The request body as a typed value: size-checked, gunzipped if needed, parsed.
pub(crate) fn parse_body<T: DeserializeOwned>(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large("request body too large")
        } else {
            ApiError::malformed("unreadable body")
        }
    })?;
    let gz = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()) == Some("gzip");
    let inflated;
    let raw: &[u8] = if gz {
        inflated = gunzip(&body, MAX_INFLATED as u64).map_err(|e| match e {
            InflateError::Damaged => ApiError::malformed("bad gzip body"),
            InflateError::TooLarge { .. } => ApiError::too_large("decompressed body too large"),
        })?;
        &inflated
    } else {
        &body
    };
    serde_json::from_slice(raw).map_err(|e| ApiError::malformed(format!("JSON: {e}")))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

/// Authenticate the bearer token and run `f` on a blocking thread: the caller and what `f` gave.
pub(crate) async fn blocking<T, F>(app: &App, headers: &HeaderMap, f: F) -> Result<(Caller, T), ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Db, &Caller) -> Result<T, ApiError> + Send + 'static,
{
    let (app, h) = (app.clone(), headers.clone());
    tokio::task::spawn_blocking(move || {
        let token = bearer(&h).ok_or_else(ApiError::unauthorized)?;
        // A read, unless the token's first use or a stale `last_seen_ms` has something to write.
        let who = app.db.read(|tx| accounts::identify(tx, &token))?;
        let caller = if who.write_due() { app.db.write(|tx| accounts::authenticate(tx, &token))? } else { who.caller };
        let v = f(&app.db, &caller)?;
        Ok((caller, v))
    })
    .await
    .unwrap_or_else(|_| Err(ApiError::internal("handler failed")))
}

/// Authenticate (when `authed`) and run `f` on a blocking thread; answer with its JSON or error.
pub(crate) async fn run<T, F>(app: App, headers: HeaderMap, authed: bool, f: F) -> Response
where
    T: Serialize + Send + 'static,
    F: FnOnce(&Db, Caller) -> Result<T, ApiError> + Send + 'static,
{
    let out = if authed {
        blocking(&app, &headers, move |db, caller| f(db, caller.clone())).await.map(|(_, v)| v)
    } else {
        let db = app.db.clone();
        let anyone = Caller { account_id: String::new(), role: fundi_sync::Role::Artisan, device_id: None };
        tokio::task::spawn_blocking(move || f(&db, anyone)).await.unwrap_or_else(|_| Err(ApiError::internal("handler failed")))
    };
    match out {
        Ok(v) => json_response(StatusCode::OK, &v, Some(&headers)),
        Err(e) => error_response(e, Some(&headers)),
    }
}

async fn openapi() -> Response {
    let mut r = OPENAPI.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

#[derive(Serialize)]
struct Health {
    protocol: u32,
    server_time: fundi_sync::hlc::Timestamp,
}

async fn health(State(app): State<App>, headers: HeaderMap) -> Response {
    run(app, headers, false, |db, _| Ok(Health { protocol: PROTOCOL_VERSION, server_time: db.now() })).await
}

/// Liveness: the process answers.
async fn healthz() -> Response {
    json_response(StatusCode::OK, &serde_json::json!({"status": "ok"}), None)
}

/// Readiness: the store answers a query (503 `unavailable` when it does not).
async fn readyz(State(app): State<App>) -> Response {
    let db = app.db.clone();
    let ready = tokio::task::spawn_blocking(move || db.read(|tx| Ok(tx.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?)))
        .await
        .map(|r| r.is_ok())
        .unwrap_or(false);
    if ready {
        json_response(StatusCode::OK, &serde_json::json!({"status": "ready"}), None)
    } else {
        json_response(StatusCode::SERVICE_UNAVAILABLE, &serde_json::json!({"status": "unavailable"}), None)
    }
}

async fn rotate_token(State(app): State<App>, headers: HeaderMap) -> Response {
    let limiter = app.token_rotations.clone();
    run(app, headers, true, move |db, caller| {
        let key = caller.device_id.clone().unwrap_or_default();
        limiter.check(&key, now_ms())?;
        limiter.count(&key, now_ms());
        db.write(|tx| accounts::rotate(tx, &caller, db.token_ttl_ms))
    })
    .await
}

async fn me(State(app): State<App>, headers: HeaderMap) -> Response {
    run(app, headers, true, |db, caller| {
        db.read(|tx| accounts::get_account(tx, &caller.account_id)?.ok_or_else(ApiError::unauthorized))
    })
    .await
}

async fn create_enrollment(State(app): State<App>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let req: Result<NewEnrollment, _> = parse_body(&headers, body);
    run(app, headers, true, move |db, caller| {
        let req = req?;
        db.write(|tx| accounts::enroll(tx, &caller, req))
    })
    .await
}

async fn replacement_code(State(app): State<App>, headers: HeaderMap, Path(account_id): Path<String>) -> Response {
    run(app, headers, true, move |db, caller| db.write(|tx| accounts::replacement_code(tx, &caller, &account_id))).await
}

#[derive(Serialize)]
struct Done {
    ok: bool,
}

async fn revoke_device(State(app): State<App>, headers: HeaderMap, Path(device_id): Path<String>) -> Response {
    run(app, headers, true, move |db, caller| {
        db.write(|tx| accounts::revoke(tx, &caller, &device_id))?;
        Ok(Done { ok: true })
    })
    .await
}

async fn sync_push(State(app): State<App>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let req: Result<PushRequest, _> = parse_body(&headers, body);
    run(app, headers, true, move |db, caller| push::push(db, &caller, &req?)).await
}

/// The raw value of query parameter `key`, if the query names it.
pub(crate) fn query_str<'q>(q: &'q Option<String>, key: &str) -> Option<&'q str> {
    q.as_deref()?.split('&').find_map(|pair| pair.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

fn query_u64(q: &Option<String>, key: &str) -> Result<Option<u64>, ApiError> {
    query_str(q, key).map(|v| v.parse().map_err(|_| ApiError::malformed(format!("{key} must be a number")))).transpose()
}

async fn sync_pull(State(app): State<App>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let params = query_u64(&q, "cursor").and_then(|c| Ok((c.unwrap_or(0), query_u64(&q, "limit")?.unwrap_or(500))));
    let version = query_u64(&q, "protocol");
    // `full=1`: a phone re-syncing from 0 after `cursor_expired` wants its own writes too.
    let full = query_u64(&q, "full");
    run(app, headers, true, move |db, caller| {
        check_version(version?)?;
        let (cursor, limit) = params?;
        pull::pull(db, &caller, cursor, limit as usize, full? == Some(1))
    })
    .await
}

/// What a pull from `cursor` would bring (counts and bytes), for the phone to tell before a
/// sync what it will cost. The same caller, scope and version checks as the pull itself.
async fn sync_estimate(State(app): State<App>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let params = query_u64(&q, "cursor").and_then(|c| Ok((c.unwrap_or(0), query_u64(&q, "limit")?.unwrap_or(500))));
    let version = query_u64(&q, "protocol");
    run(app, headers, true, move |db, caller| {
        check_version(version?)?;
        let (cursor, limit) = params?;
        pull::estimate(db, &caller, cursor, limit as usize)
    })
    .await
}

/// A request's `protocol`, if it names one: this depot answers versions 1 to its own.
fn check_version(version: Option<u64>) -> Result<(), ApiError> {
    match version {
        Some(v) if v == 0 || v > PROTOCOL_VERSION as u64 => Err(ApiError::unsupported_version(format!("protocol {v}"))),
        _ => Ok(()),
    }
}

#[derive(Deserialize)]
struct ImportOrders {
    orders: Vec<orders::NewOrder>,
}

async fn import_orders(State(app): State<App>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let req: Result<ImportOrders, _> = parse_body(&headers, body);
    run(app, headers, true, move |db, caller| orders::import(db, &caller, &req?.orders)).await
}

#[derive(Deserialize)]
struct OrderCommandReq {
    command: String,
    #[serde(default)]
    args: Extra,
}

async fn order_command(
    State(app): State<App>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let req: Result<OrderCommandReq, _> = parse_body(&headers, body);
    run(app, headers, true, move |db, caller| {
        let req = req?;
        if !caller.role.is_depot_wide() {
            return Err(ApiError::forbidden("phones send order commands through sync"));
        }
        push::order_command_api(db, &caller, &order_id, &req.command, req.args)
    })
    .await
}

/// `GET /v1/mentees`: a mentor's mentees and how their phones stand.
async fn mentees(State(app): State<App>, headers: HeaderMap) -> Response {
    run(app, headers, true, |db, caller| db.read(|tx| mentees::mentees(tx, &caller))).await
}

/// `POST /v1/payouts/batches`: operations create a batch for a period, from what each account
/// may be paid or from a list of payouts; each payout's debit is posted to its ledger.
async fn create_payout_batch(State(app): State<App>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let req: Result<money::BatchRequest, _> = parse_body(&headers, body);
    run(app, headers, true, move |db, caller| {
        let req = req?;
        let hlc = db.now();
        db.write(|tx| money::create_payout_batch(tx, &caller, &req, db.payouts, hlc))
    })
    .await
}

async fn list_payout_batches(State(app): State<App>, headers: HeaderMap) -> Response {
    run(app, headers, true, |db, caller| db.read(|tx| payouts::list_batches(tx, &caller))).await
}

async fn get_payout_batch(State(app): State<App>, headers: HeaderMap, Path(batch_id): Path<String>) -> Response {
    run(app, headers, true, move |db, caller| db.read(|tx| payouts::get_batch(tx, &caller, &batch_id))).await
}

/// `POST /v1/payouts/batches/{batch_id}/approve`: a second operations account approves.
async fn approve_payout_batch(State(app): State<App>, headers: HeaderMap, Path(batch_id): Path<String>) -> Response {
    run(app, headers, true, move |db, caller| db.write(|tx| payouts::approve_batch(tx, &caller, &batch_id))).await
}

async fn depot_report(State(app): State<App>, headers: HeaderMap) -> Response {
    run(app, headers, true, |db, caller| orders::depot_report(db, &caller)).await
}

/// How the depot is reached: over TLS with its key (and the next one, to announce), or, with the
/// development flag only, in plain HTTP.
pub enum Security {
    Tls { key: DepotKey, next: Option<DepotKey> },
    Plain,
}

/// Serve until Ctrl-C / SIGTERM. Prints `listening on https://ADDR` once bound (tests read
/// it), then the key's fingerprint.
/// Either signal stops it gracefully: no new connections, requests in flight are answered,
/// then the caller drops the store, which closes its SQLite file cleanly.
/// `callbacks`: routes served beside the API (the payout engine's, on the secret callback path).
/// `public_url`: the address shoppers reach the depot at, if it has one.
pub async fn serve(
    db: Arc<Db>,
    listen: &str,
    max_body: usize,
    security: Security,
    callbacks: Option<Router>,
    public_url: Option<PublicUrl>,
) -> Result<(), Box<dyn std::error::Error>> {
    let tcp = tokio::net::TcpListener::bind(listen).await?;
    sweep_expired_uploads(db.clone());
    // Handlers are installed before the address is announced: whoever reads it may signal at
    // once, and a signal that arrives before its handler would kill the process outright.
    let stop = shutdown_signal()?;
    let addr = tcp.local_addr()?;
    match security {
        Security::Tls { key, next } => {
            let next_key = match &next {
                Some(n) => Some(key.announce(&n.fingerprint)?.to_header()),
                None => None,
            };
            let app = with_callbacks(
                router(db, max_body, Identity { fingerprint: key.fingerprint.clone(), next_key, tls: true }, public_url),
                callbacks,
            );
            let listener = tls::TlsListener::new(tcp, key.server_config()?)?;
            say(&format!("listening on https://{addr}"));
            say(&format!("depot key {} (sha256 {})", key.fingerprint.short(), key.fingerprint));
            if let Some(n) = &next {
                say(&format!("announcing next key {} (sha256 {})", n.fingerprint.short(), n.fingerprint));
            }
            say(&format!("console at https://{addr}/ (sign in with a console login; the demo prints one per role)"));
            say(&format!("shop at https://{addr}/shop (public: the products on sale, and their feed)"));
            axum::serve(listener, app.into_make_service_with_connect_info::<PeerAddr>()).with_graceful_shutdown(stop).await?;
        }
        Security::Plain => {
            let app = with_callbacks(router(db, max_body, Identity::plain(), public_url), callbacks);
            say(&format!("listening on http://{addr}"));
            say("plain HTTP: for development only; phones refuse it");
            say(&format!("console at http://{addr}/"));
            say(&format!("shop at http://{addr}/shop"));
            axum::serve(tcp, app.into_make_service_with_connect_info::<PeerAddr>()).with_graceful_shutdown(stop).await?;
        }
    }
    Ok(())
}

fn with_callbacks(api: Router, callbacks: Option<Router>) -> Router {
    match callbacks {
        Some(c) => c.merge(api),
        None => api,
    }
}

/// Reclaim expired uploads now and then (a quarter of their lifetime, between a second and ten
/// minutes); creating an upload reclaims too, before the quotas are counted.
fn sweep_expired_uploads(db: Arc<Db>) {
    let every = std::time::Duration::from_millis((db.uploads.expiry_ms / 4).clamp(1000, 600_000));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let db = db.clone();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || crate::store::uploads::reclaim(&db, false)).await {
                eprintln!("reclaiming expired uploads: {e}");
            }
        }
    });
}

/// A line on stdout, flushed. Whoever started the server may have stopped reading (tests read
/// the first lines only): a closed stdout must not stop the server.
fn say(line: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}").and_then(|_| out.flush());
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM (service managers, `docker stop`, `kill`).
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        // On stderr: stdout carries only the address line, and whoever read it may have closed it.
        eprintln!("{name} received: finishing open requests, then stopping");
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No handler means no way to be asked to stop: serve until killed, never stop at once.
            std::future::pending::<()>().await;
        }
        eprintln!("Ctrl-C received: finishing open requests, then stopping");
    })
}

#[cfg(test)]
mod tests {
    use crate::store::ApiError;
    use fundi_sync::{RejectCode, Rejection};

    /// The OpenAPI document's error codes are exactly those the depot answers with: every
    /// code an `ApiError` is made with (read from `store/error.rs`; `newer_schema` never reaches
    /// the wire), and the code of every refusal of the sync rules.
    #[test]
    fn the_openapi_document_lists_every_error_code_the_depot_answers_with() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).unwrap();
        let listed: std::collections::BTreeSet<&str> =
            doc["components"]["schemas"]["ErrorCode"]["enum"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        let source = include_str!("../store/error.rs");
        let mut answered: std::collections::BTreeSet<&str> = source
            .split("Self::new(")
            .skip(1)
            .filter_map(|rest| rest.split('"').nth(1))
            .filter(|code| *code != "newer_schema")
            .collect();
        answered.extend(RejectCode::DEPOT_REFUSALS.map(|c| ApiError::from(Rejection::new(c, "")).code));
        assert_eq!(listed, answered);
    }

    /// Every route the router serves is in the OpenAPI document, and nothing else is.
    #[test]
    fn the_openapi_document_describes_every_route() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut documented: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
        documented.sort();
        let source = include_str!("mod.rs");
        let mut served: Vec<&str> =
            source.lines().filter_map(|l| l.trim().strip_prefix(".route(\"")).map(|l| &l[..l.find('"').unwrap()]).collect();
        served.sort();
        served.dedup(); // one `.route` line per method
        assert_eq!(documented, served);
        // Every $ref resolves.
        let text = super::OPENAPI;
        for part in text.split("\"$ref\": \"#/components/").skip(1) {
            let path: Vec<&str> = part[..part.find('"').unwrap()].split('/').collect();
            assert!(doc["components"][path[0]][path[1]].is_object(), "dangling $ref {path:?}");
        }
    }
}
