//! Uploads over tus 1.0 under `/v1/uploads` and blobs under `/v1/blobs/{sha256}` (ADR 0013):
//! the tus headers, a PATCH body streamed into a chunk file (bounded by what the upload still
//! lacks, given up after a minute of silence), and for blobs ranges, strong ETags and
//! `If-None-Match`. Who may do what, and the files, are `store::uploads` and `store::blobs`.
//! Every answer carries `Tus-Resumable`; a refused `HEAD`, which has no body, names its typed
//! error in `Fundi-Error`.

use super::{blocking, error_response, App};
use crate::store::accounts::Caller;
use crate::store::{uploads, ApiError};
use axum::body::{Body, HttpBody};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use fundi_sync::limits::BLOB_MAX_BYTES;
use fundi_sync::uploads::{
    declared_in_metadata, header as h, metadata_for, parse_checksum, parse_number, HeaderError, CHECKSUM_ALGORITHM,
    OFFSET_OCTET_STREAM, TUS_EXTENSIONS, TUS_VERSION, UPLOADS_PATH,
};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::pin::Pin;
use std::time::{Duration, UNIX_EPOCH};
use tokio::io::AsyncWriteExt;

/// A PATCH whose client sends nothing for this long is treated as cut off.
const SILENCE: Duration = Duration::from_secs(60);

fn set(resp: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        resp.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

fn http_date(ms: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms))
}

/// A tus answer with no body.
fn answer(status: StatusCode) -> Response {
    let mut r = status.into_response();
    set(&mut r, h::TUS_RESUMABLE, TUS_VERSION);
    r
}

fn refuse(e: ApiError, method: &Method) -> Response {
    let (status, code) = (e.status, e.code);
    let mut r = error_response(e, None);
    set(&mut r, h::TUS_RESUMABLE, TUS_VERSION);
    if status == 412 {
        set(&mut r, h::TUS_VERSION, TUS_VERSION);
    }
    if method == Method::HEAD {
        set(&mut r, h::FUNDI_ERROR, code);
    }
    r
}

fn malformed(e: HeaderError) -> ApiError {
    ApiError::malformed(e.to_string())
}

fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get(h::TUS_RESUMABLE) {
        Some(v) if v == TUS_VERSION => Ok(()),
        _ => Err(ApiError::tus_version()),
    }
}

fn text<'a>(headers: &'a HeaderMap, name: &'static str, shown: &str) -> Result<&'a str, ApiError> {
    let v = headers.get(name).ok_or_else(|| ApiError::malformed(format!("{shown} is missing")))?;
    v.to_str().map_err(|_| ApiError::malformed(format!("{shown} is not ASCII")))
}

fn number(headers: &HeaderMap, name: &'static str, shown: &'static str) -> Result<u64, ApiError> {
    parse_number(shown, text(headers, name, shown)?).map_err(malformed)
}

/// `OPTIONS /v1/uploads`: what this tus server supports (public, like the API document).
pub async fn discover() -> Response {
    let mut r = answer(StatusCode::NO_CONTENT);
    set(&mut r, h::TUS_VERSION, TUS_VERSION);
    set(&mut r, h::TUS_EXTENSION, TUS_EXTENSIONS);
    set(&mut r, h::TUS_MAX_SIZE, BLOB_MAX_BYTES);
    set(&mut r, h::TUS_CHECKSUM_ALGORITHM, CHECKSUM_ALGORITHM);
    r
}

/// `POST /v1/uploads`: create an upload bound to the blob's SHA-256 (in `Upload-Metadata`) and
/// `Upload-Length`.
pub async fn create(State(app): State<App>, headers: HeaderMap) -> Response {
    let hs = headers.clone();
    let made = blocking(&app, &headers, move |db, caller| {
        check_version(&hs)?;
        if hs.contains_key(h::UPLOAD_DEFER_LENGTH) {
            return Err(ApiError::malformed("Upload-Defer-Length is not supported: send Upload-Length"));
        }
        let length = number(&hs, h::UPLOAD_LENGTH, "Upload-Length")?;
        let declared = declared_in_metadata(text(&hs, h::UPLOAD_METADATA, "Upload-Metadata")?).map_err(malformed)?;
        uploads::create(db, caller, &declared, length)
    })
    .await;
    match made {
        Ok((_, u)) => {
            let mut r = answer(StatusCode::CREATED);
            set(&mut r, "location", format!("{UPLOADS_PATH}/{}", u.id));
            set(&mut r, h::UPLOAD_OFFSET, u.received);
            set(&mut r, h::UPLOAD_EXPIRES, http_date(u.expires_ms));
            r
        }
        Err(e) => refuse(e, &Method::POST),
    }
}

/// `HEAD /v1/uploads/{id}`: where the upload stands.
pub async fn offset(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let hs = headers.clone();
    let got = blocking(&app, &headers, move |db, caller| {
        check_version(&hs)?;
        uploads::status(db, caller, &id)
    })
    .await;
    match got {
        Ok((_, u)) => {
            let mut r = answer(StatusCode::OK);
            set(&mut r, h::UPLOAD_OFFSET, u.received);
            set(&mut r, h::UPLOAD_LENGTH, u.length);
            set(&mut r, h::UPLOAD_METADATA, metadata_for(&u.sha256));
            set(&mut r, "cache-control", "no-store");
            if !u.finished {
                set(&mut r, h::UPLOAD_EXPIRES, http_date(u.expires_ms));
            }
            r
        }
        Err(e) => refuse(e, &Method::HEAD),
    }
}

/// A chunk file that is removed whatever happens to the request.
struct Chunk(PathBuf);

impl Drop for Chunk {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What arrived of a PATCH body.
struct Received {
    bytes: u64,
    digest: [u8; 32],
}

/// Stream `body` into the file `to`, refusing (`None`) past `room` bytes.
async fn receive(mut body: Body, to: &std::path::Path, room: u64) -> std::io::Result<Option<Received>> {
    let mut file = tokio::fs::File::create(to).await?;
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    loop {
        let next = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx));
        let frame = match tokio::time::timeout(SILENCE, next).await {
            Ok(Some(Ok(frame))) => frame,
            // The end, or a cut (the connection dropped, or silence): what arrived is what there is.
            Ok(None) | Ok(Some(Err(_))) | Err(_) => break,
        };
        let Ok(data) = frame.into_data() else { continue };
        if bytes + data.len() as u64 > room {
            return Ok(None);
        }
        hasher.update(&data);
        file.write_all(&data).await?;
        bytes += data.len() as u64;
    }
    file.flush().await?;
    Ok(Some(Received { bytes, digest: hasher.finalize().into() }))
}

/// Read and drop the body of a PATCH refused before its bytes were read (up to a blob's size,
/// while they keep coming): hyper closes a connection whose request body was left unread, and
/// a client still sending then hears a reset, not the refusal. A 409 or 404 tells a resuming
/// client to ask `HEAD` or create the upload again, a 413 or 415 what to fix: it must reach it.
/// A body declared longer than a blob is not read: that connection is closed.
async fn drain(mut body: Body, headers: &HeaderMap) {
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let mut left = BLOB_MAX_BYTES;
    if declared.is_some_and(|n| n > left) {
        return;
    }
    loop {
        let next = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx));
        let Ok(Some(Ok(frame))) = tokio::time::timeout(SILENCE, next).await else { return };
        let n = frame.data_ref().map_or(0, |d| d.len() as u64);
        if n > left {
            return;
        }
        left -= n;
    }
}

/// `PATCH /v1/uploads/{id}`: bytes from `Upload-Offset` on. A chunk with an `Upload-Checksum` is
/// kept only whole and matching; one without keeps what arrived before a cut.
pub async fn append(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>, body: Body) -> Response {
    let patch = Method::PATCH;
    let hs = headers.clone();
    let upload_id = id.clone();
    let ready = blocking(&app, &headers, move |db, caller| {
        check_version(&hs)?;
        let media = hs.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let encoded = hs.get(header::CONTENT_ENCODING).is_some_and(|v| v != "identity");
        if media.split(';').next().unwrap_or_default().trim() != OFFSET_OCTET_STREAM || encoded {
            return Err(ApiError::unsupported_media_type());
        }
        let from = number(&hs, h::UPLOAD_OFFSET, "Upload-Offset")?;
        let checksum = match hs.get(h::UPLOAD_CHECKSUM) {
            Some(v) => Some(parse_checksum(v.to_str().unwrap_or_default()).map_err(malformed)?),
            None => None,
        };
        let declared = hs.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        let u = uploads::ready_for(db, caller, &upload_id, from, declared)?;
        Ok((u, from, checksum))
    })
    .await;
    let (caller, (u, from, checksum)) = match ready {
        Ok(x) => x,
        Err(e) => {
            // Every typed refusal must reach the client; an unauthenticated one is not worth the bytes.
            if e.status != 401 {
                drain(body, &headers).await;
            }
            return refuse(e, &patch);
        }
    };
    let chunk = match app.db.blobs.new_chunk_path(&id) {
        Ok(p) => Chunk(p),
        Err(e) => return refuse(ApiError::internal(format!("chunk file: {e}")), &patch),
    };
    let got = match receive(body, &chunk.0, u.length - u.received).await {
        Ok(Some(got)) => got,
        Ok(None) => return refuse(uploads::too_long(&u), &patch),
        Err(e) => return refuse(ApiError::internal(format!("receiving the chunk: {e}")), &patch),
    };
    // A checked chunk is all or nothing: one cut off short cannot match its checksum either (nobody
    // hears the answer then). One without a checksum keeps what arrived.
    if checksum.is_some_and(|expected| got.digest != expected) {
        return refuse(ApiError::checksum_mismatch(), &patch);
    }
    let db = app.db.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let r = uploads::append(&db, &caller, &id, from, &chunk.0, got.bytes);
        drop(chunk);
        r
    })
    .await
    .unwrap_or_else(|_| Err(ApiError::internal("handler failed")));
    match stored {
        Ok(u) => {
            let mut r = answer(StatusCode::NO_CONTENT);
            set(&mut r, h::UPLOAD_OFFSET, u.received);
            if !u.finished {
                set(&mut r, h::UPLOAD_EXPIRES, http_date(u.expires_ms));
            }
            r
        }
        Err(e) => refuse(e, &patch),
    }
}

/// `DELETE /v1/uploads/{id}`: terminate the upload; its bytes are freed at once.
pub async fn terminate(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let hs = headers.clone();
    let done = blocking(&app, &headers, move |db, caller| {
        check_version(&hs)?;
        uploads::terminate(db, caller, &id)
    })
    .await;
    match done {
        Ok(_) => answer(StatusCode::NO_CONTENT),
        Err(e) => refuse(e, &Method::DELETE),
    }
}

/// Whether an `If-None-Match` list names `etag` (weak comparison, as RFC 9110 asks) or is `*`.
fn none_match(value: &str, etag: &str) -> bool {
    value.split(',').map(str::trim).any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// A `Range` for a blob of `len` bytes: `None` to send it whole (no range, or one this server
/// does not read: several ranges, another unit, a malformed one, as RFC 9110 allows),
/// `Some(Err)` for a range past the end, else the first and last byte.
fn byte_range(value: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    let (first, last) = spec.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
    match (first, last) {
        ("", n) if digits(n) => {
            let n: u64 = n.parse().ok()?;
            if n == 0 {
                return Some(Err(()));
            }
            Some(Ok((len.saturating_sub(n), len - 1)))
        }
        (a, "") if digits(a) => {
            let a: u64 = a.parse().ok()?;
            Some(if a >= len { Err(()) } else { Ok((a, len - 1)) })
        }
        (a, b) if digits(a) && digits(b) => {
            let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
            if b < a {
                return None;
            }
            Some(if a >= len { Err(()) } else { Ok((a, b.min(len - 1))) })
        }
        _ => None,
    }
}

/// `GET /v1/blobs/{sha256}`: a blob's bytes, to a caller who may read a record that refers to
/// it; ranges, a strong ETag (its hash), `If-None-Match`, `If-Range`.
pub async fn blob(State(app): State<App>, method: Method, headers: HeaderMap, Path(sha256): Path<String>) -> Response {
    let got = blocking(&app, &headers, move |db, caller: &Caller| {
        named_by_hash(&sha256)?;
        uploads::blob_for(db, caller, &sha256).map(|bytes| (sha256, bytes))
    })
    .await;
    serve(method, &headers, got.map(|(_, b)| b))
}

/// `GET /v1/blobs/{sha256}/thumbnail`: the thumbnail of the photo `sha256` (its own hash in the
/// ETag), to a caller who may read a record that refers to the photo. A reviewer's phone asks
/// for it by the photo's name, the only one a draft holds.
pub async fn thumbnail(State(app): State<App>, method: Method, headers: HeaderMap, Path(sha256): Path<String>) -> Response {
    let got = blocking(&app, &headers, move |db, caller: &Caller| {
        named_by_hash(&sha256)?;
        uploads::thumbnail_for(db, caller, &sha256)
    })
    .await;
    serve(method, &headers, got.map(|(_, b)| b))
}

pub(super) fn named_by_hash(sha256: &str) -> Result<(), ApiError> {
    if fundi_sync::hash::is_content_hash(sha256) {
        Ok(())
    } else {
        Err(ApiError::malformed("a blob is named by its SHA-256 in 64 lowercase hex digits"))
    }
}

/// How bytes named by their hash are answered: who may cache them, for how long, and as what.
pub(super) struct Serving {
    pub cache_control: &'static str,
    pub content_type: &'static str,
}

/// A blob of the sync API: only its readers see it, and its bytes never change.
const BLOB: Serving = Serving { cache_control: "private, max-age=31536000, immutable", content_type: "application/octet-stream" };

/// Answer a blob read: `got` is (its hash, its bytes) or why not.
fn serve(method: Method, headers: &HeaderMap, got: Result<(String, Vec<u8>), ApiError>) -> Response {
    serve_bytes(method, headers, got, &BLOB)
}

/// Answer a read of bytes named by their SHA-256 (a blob, or a body whose hash is its ETag):
/// `got` is (the hash, the bytes) or why not. A strong ETag (the hash in quotes),
/// `If-None-Match` (304, no body), one `bytes=` range (206; past the end 416), `If-Range`.
pub(super) fn serve_bytes(
    method: Method,
    headers: &HeaderMap,
    got: Result<(String, Vec<u8>), ApiError>,
    how: &Serving,
) -> Response {
    let (sha256, bytes) = match got {
        Ok(b) => b,
        Err(e) => {
            let code = e.code;
            let mut r = error_response(e, Some(headers));
            if method == Method::HEAD {
                set(&mut r, h::FUNDI_ERROR, code);
            }
            return r;
        }
    };
    let etag = format!("\"{sha256}\"");
    let header_text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let common = |r: &mut Response| {
        set(r, "etag", &etag);
        set(r, "cache-control", how.cache_control);
        set(r, "accept-ranges", "bytes");
    };
    if header_text(header::IF_NONE_MATCH).is_some_and(|v| none_match(v, &etag)) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        common(&mut r);
        return r;
    }
    let len = bytes.len() as u64;
    let range_applies = header_text(header::IF_RANGE).is_none_or(|v| v.trim() == etag);
    let range = header_text(header::RANGE).filter(|_| range_applies).and_then(|v| byte_range(v, len));
    let mut r = match range {
        None => (StatusCode::OK, bytes).into_response(),
        Some(Ok((first, last))) => {
            let mut r = (StatusCode::PARTIAL_CONTENT, bytes[first as usize..=last as usize].to_vec()).into_response();
            set(&mut r, "content-range", format!("bytes {first}-{last}/{len}"));
            r
        }
        Some(Err(())) => {
            let mut r = error_response(ApiError::range_not_satisfiable(), None);
            set(&mut r, "content-range", format!("bytes */{len}"));
            if method == Method::HEAD {
                set(&mut r, h::FUNDI_ERROR, "range_not_satisfiable");
            }
            return r;
        }
    };
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(how.content_type));
    common(&mut r);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        assert_eq!(byte_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(byte_range("bytes=90-200", 100), Some(Ok((90, 99))), "the last byte is clamped");
        assert_eq!(byte_range("bytes=95-", 100), Some(Ok((95, 99))));
        assert_eq!(byte_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(byte_range("bytes=-500", 100), Some(Ok((0, 99))));
        assert_eq!(byte_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(byte_range("bytes=-0", 100), Some(Err(())));
        for ignored in ["bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=a-b", "bytes=-", "bytes=+1-2", "0-1"] {
            assert_eq!(byte_range(ignored, 100), None, "{ignored}");
        }
        assert!(none_match("\"x\"", "\"x\"") && none_match("W/\"x\", \"y\"", "\"x\"") && none_match("*", "\"x\""));
        assert!(!none_match("\"y\"", "\"x\""));
    }
}
