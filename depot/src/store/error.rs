//! The server's typed errors: each has an HTTP status and a stable code that clients act on.

use fundi_sync::Rejection;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub detail: String,
}

impl ApiError {
    fn new(status: u16, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError { status, code, detail: detail.into() }
    }
    pub fn malformed(d: impl Into<String>) -> Self {
        Self::new(400, "malformed", d)
    }
    pub fn unsupported_version(d: impl Into<String>) -> Self {
        Self::new(400, "unsupported_version", d)
    }
    pub fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "missing or unknown credential")
    }
    pub fn token_expired() -> Self {
        Self::new(401, "token_expired", "the device credential expired: enroll again")
    }
    pub fn revoked() -> Self {
        Self::new(401, "revoked", "this device was revoked")
    }
    /// A shop's delivery whose signature headers are missing or ill-formed, or whose signature
    /// is not its shop's over its timestamp and body (ADR 0026).
    pub fn bad_signature(d: impl Into<String>) -> Self {
        Self::new(401, "bad_signature", d)
    }
    /// A shop's delivery signed too long ago, or in the future, beyond the replay window.
    pub fn timestamp_outside_window(d: impl Into<String>) -> Self {
        Self::new(401, "timestamp_outside_window", d)
    }
    /// A shop that is unknown (`unauthorized` is the device's; this one names what was looked for).
    pub fn unknown_shop() -> Self {
        Self::new(401, "unauthorized", "no such shop")
    }
    /// A shop operations revoked.
    pub fn shop_revoked() -> Self {
        Self::new(401, "revoked", "this shop was revoked")
    }
    /// A delivery whose signature the depot took already inside the replay window.
    pub fn replayed() -> Self {
        Self::new(409, "replayed", "this delivery (its signature) was received already: sign a retry anew")
    }
    pub fn forbidden(d: impl Into<String>) -> Self {
        Self::new(403, "forbidden", d)
    }
    pub fn not_found(d: impl Into<String>) -> Self {
        Self::new(404, "not_found", d)
    }
    /// The request clashes with what the depot holds and is not a sync rule's refusal (an
    /// enrollment code already used, a device already enrolled).
    pub fn conflict(d: impl Into<String>) -> Self {
        Self::new(409, "conflict", d)
    }
    /// A pull cursor past the depot's head (the phone pulls again from 0).
    pub fn cursor_ahead(d: impl Into<String>) -> Self {
        Self::new(409, "cursor_ahead", d)
    }
    /// The enrollment exchange was made through another key than this depot's: something sits
    /// between the phone and the depot (no credential is issued).
    pub fn depot_identity_changed() -> Self {
        Self::new(403, "depot_identity_changed", "the phone's connection did not reach this depot's key")
    }
    /// Too many enrollments half done at once: try again in a minute.
    pub fn busy(d: impl Into<String>) -> Self {
        Self::new(503, "busy", d)
    }
    /// A pull cursor from before the depot pruned tombstones the phone had not seen: it pulls
    /// everything again from 0 and removes what did not come back (ADR 0012).
    pub fn cursor_expired(d: impl Into<String>) -> Self {
        Self::new(409, "cursor_expired", d)
    }
    pub fn method_not_allowed() -> Self {
        Self::new(405, "method_not_allowed", "this endpoint does not take that method")
    }
    /// Too many attempts from one client or device: try again after the window.
    pub fn rate_limited(d: impl Into<String>) -> Self {
        Self::new(429, "rate_limited", d)
    }
    pub fn too_large(d: impl Into<String>) -> Self {
        Self::new(413, "too_large", d)
    }
    pub fn invalid(d: impl Into<String>) -> Self {
        Self::new(422, "invalid", d)
    }
    // Uploads (tus, ADR 0013).
    /// A request in another tus version than 1.0.0 (or in none): 412, as tus says.
    pub fn tus_version() -> Self {
        Self::new(412, "unsupported_version", "this depot speaks tus 1.0.0 (Tus-Resumable: 1.0.0)")
    }
    /// A PATCH whose body is not `application/offset+octet-stream`.
    pub fn unsupported_media_type() -> Self {
        Self::new(415, "malformed", "a PATCH body is application/offset+octet-stream")
    }
    /// A chunk sent from another offset than the upload's: ask for it (`HEAD`) and go on from there.
    pub fn offset_mismatch(d: impl Into<String>) -> Self {
        Self::new(409, "offset_mismatch", d)
    }
    /// The depot holds the blob already: nothing needs sending.
    pub fn already_stored() -> Self {
        Self::new(409, "already_stored", "the depot holds this blob already: nothing to send")
    }
    /// A chunk whose bytes do not match its `Upload-Checksum`: nothing of it was kept; send it again.
    pub fn checksum_mismatch() -> Self {
        Self::new(460, "checksum_mismatch", "the chunk does not match its Upload-Checksum: it was discarded")
    }
    /// The whole upload's bytes do not hash to the SHA-256 it was created for: it was discarded.
    pub fn hash_mismatch() -> Self {
        Self::new(422, "hash_mismatch", "the uploaded bytes do not hash to the declared sha256: the upload was discarded")
    }
    /// The calling device holds too many bytes in unfinished uploads.
    pub fn device_quota(d: impl Into<String>) -> Self {
        Self::new(507, "device_quota_exceeded", d)
    }
    /// The depot holds too many bytes in unfinished uploads, all devices together.
    pub fn depot_quota(d: impl Into<String>) -> Self {
        Self::new(507, "depot_quota_exceeded", d)
    }
    /// A `Range` that starts past the blob's end.
    pub fn range_not_satisfiable() -> Self {
        Self::new(416, "range_not_satisfiable", "the range starts past the end of the blob")
    }
    pub fn internal(d: impl Into<String>) -> Self {
        Self::new(500, "internal", d)
    }
    /// The depot's disk is full (`SQLITE_FULL`): the request's transaction was rolled back;
    /// send it again once space is freed.
    pub fn storage_full(d: impl Into<String>) -> Self {
        Self::new(507, "storage_full", d)
    }
    /// The depot's disk failed a read, write or sync (`SQLITE_IOERR`): the request's
    /// transaction was rolled back; send it again later.
    pub fn storage_error(d: impl Into<String>) -> Self {
        Self::new(500, "storage_error", d)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => ApiError::storage_full(format!("the depot's disk is full: {e}")),
            Some(rusqlite::ErrorCode::SystemIoFailure) => ApiError::storage_error(format!("the depot's disk failed: {e}")),
            _ => ApiError::internal(format!("storage: {e}")),
        }
    }
}

impl From<super::sql::Error> for ApiError {
    fn from(e: super::sql::Error) -> Self {
        match e {
            super::sql::Error::Sqlite(e) => e.into(),
            super::sql::Error::Busy(m) => ApiError::busy(m),
            e @ super::sql::Error::Postgres(_) => match e.sqlstate() {
                Some("53100") => ApiError::storage_full(format!("the database's disk is full: {e}")),
                // Connection lost, the server shutting down, too many connections: send again later.
                Some(c) if c.starts_with("08") || c.starts_with("57P") || c == "53300" => {
                    ApiError::busy(format!("the database is unavailable: {e}"))
                }
                None if e.is_connection_lost() => ApiError::busy(format!("the database is unreachable: {e}")),
                None => ApiError::internal(format!("storage: {e}")),
                Some(_) => ApiError::internal(format!("storage: {e}")),
            },
            e => ApiError::internal(format!("storage: {e}")),
        }
    }
}

impl From<postgres::Error> for ApiError {
    fn from(e: postgres::Error) -> Self {
        super::sql::Error::Postgres(e).into()
    }
}

/// Only opening the store fails with `newer_schema` (before any route is served), so the code
/// never reaches the wire and is not in the OpenAPI document.
impl From<fundi_sqlite::Error> for ApiError {
    fn from(e: fundi_sqlite::Error) -> Self {
        match e {
            fundi_sqlite::Error::NewerSchema { found, supported } => ApiError::new(
                500,
                "newer_schema",
                format!(
                    "the store was written by a newer fundi-depot (schema version {found}; this one supports up to {supported}); \
                     it was left untouched: run the newer server on it"
                ),
            ),
            fundi_sqlite::Error::Sqlite(e) => e.into(),
            other => ApiError::internal(format!("storage: {other}")),
        }
    }
}

/// A sync rule's refusal over HTTP (the operations API runs the same rules as a push): the very
/// code a push answers for it, so one refusal has one code whichever way it came, at the HTTP
/// status that fits it (409 for a clash with the record's state).
impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        use fundi_sync::RejectCode as C;
        let status = match r.code {
            C::Forbidden => 403,
            C::NotFound | C::Gone => 404,
            C::IllegalTransition | C::Locked | C::IdReused | C::PhotosPending => 409,
            C::Malformed | C::UnsupportedKind => 400,
            C::Invalid | C::ClockAhead | C::TooOldToReplay | C::Unknown => 422,
        };
        ApiError::new(status, r.code.code(), r.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fundi_sync::RejectCode;

    /// Every refusal a depot makes answers over HTTP with the code a push answers with.
    #[test]
    fn a_refusal_has_the_same_code_over_http_as_in_a_push() {
        for code in RejectCode::DEPOT_REFUSALS {
            let e = ApiError::from(Rejection::new(code, "why"));
            assert_eq!((e.code, e.detail.as_str()), (code.code(), "why"), "{code:?}");
        }
        for code in [RejectCode::IllegalTransition, RejectCode::Locked, RejectCode::IdReused] {
            assert_eq!(ApiError::from(Rejection::new(code, "")).status, 409, "{code:?}");
        }
    }
}
