//! `POST /v1/enroll/start` and `/v1/enroll/finish`: the depot's side of the enrollment key
//! exchange (`fundi_sync::enrollment`). Between the two requests the shared key waits here, in
//! memory, for a few minutes: a restart only makes the phone start again. Failed attempts count
//! against the client address's allowance of wrong codes.

use super::tls::PeerAddr;
use super::{parse_body, run, App};
use crate::store::{accounts, now_ms, ApiError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::Response;
use fundi_sync::enrollment::{self, EnrollError, EnrollFinishRequest, EnrollStartReply, EnrollStartRequest, CODE_ID_LEN};
use fundi_sync::EnrollDeviceReply;
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a phone has between its two requests.
const SESSION_TTL_MS: u64 = 5 * 60 * 1000;
/// Exchanges half done at once, depot-wide (each holds 32 bytes and a secret's name).
const SESSIONS_MAX: usize = 1024;

struct Pending {
    key: Vec<u8>,
    secret: String,
    expires_ms: u64,
}

/// Key exchanges between their first and second request, by session id.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Pending>>);

impl Sessions {
    fn insert(&self, key: Vec<u8>, secret: String) -> Result<String, ApiError> {
        let now = now_ms();
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, p| p.expires_ms > now);
        if map.len() >= SESSIONS_MAX {
            return Err(ApiError::busy("too many enrollments in progress: try again in a minute"));
        }
        let id = crate::store::random_secret();
        map.insert(id.clone(), Pending { key, secret, expires_ms: now + SESSION_TTL_MS });
        Ok(id)
    }

    /// The session, once: a second finish with the same session is refused.
    fn take(&self, id: &str) -> Option<Pending> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(id).filter(|p| p.expires_ms > now_ms())
    }
}

pub async fn start(
    State(app): State<App>,
    ConnectInfo(PeerAddr(client)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let req: Result<EnrollStartRequest, _> = parse_body(&headers, body);
    let (limiter, sessions) = (app.enroll_failures.clone(), app.enroll_sessions.clone());
    run(app, headers, false, move |db, _| {
        let key = client.ip().to_string();
        limiter.check(&key, now_ms())?;
        let req = req?;
        let unknown = || {
            limiter.count(&key, now_ms());
            ApiError::unauthorized()
        };
        if req.code_id.len() != CODE_ID_LEN || !req.code_id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()) {
            // Never a code's name: nothing to guess, so not counted.
            return Err(ApiError::malformed("code_id is the code's first group: four characters 0-9, A-F"));
        }
        let secret = db.read(|tx| accounts::code_secret(tx, &req.code_id))?.ok_or_else(unknown)?;
        let (shared, spake) = enrollment::depot_start(&secret, &req).map_err(|e| ApiError::malformed(e.to_string()))?;
        let session = sessions.insert(shared, secret)?;
        Ok(EnrollStartReply { session, spake })
    })
    .await
}

pub async fn finish(
    State(app): State<App>,
    ConnectInfo(PeerAddr(client)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let req: Result<EnrollFinishRequest, _> = parse_body(&headers, body);
    let (limiter, sessions, own) = (app.enroll_failures.clone(), app.enroll_sessions.clone(), app.identity.clone());
    run(app, headers, false, move |db, _| {
        let key = client.ip().to_string();
        limiter.check(&key, now_ms())?;
        let req = req?;
        let failed = |e: ApiError| {
            limiter.count(&key, now_ms());
            e
        };
        let pending = sessions.take(&req.session).ok_or_else(|| failed(ApiError::unauthorized()))?;
        enrollment::depot_check_finish(&pending.key, &own, &req).map_err(|e| {
            failed(match e {
                EnrollError::IdentityMismatch => ApiError::depot_identity_changed(),
                _ => ApiError::unauthorized(),
            })
        })?;
        let credential = db.write(|tx| accounts::exchange_code(tx, &pending.secret, &req.device_id, db.token_ttl_ms))?;
        Ok(EnrollDeviceReply { credential, server_time: db.now(), depot_proof: enrollment::depot_proof(&pending.key, &own) })
    })
    .await
}
