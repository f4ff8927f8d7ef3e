//! HTTPS transport to the depot (reqwest, blocking, rustls: no OpenSSL on the phone), trusting
//! only the depot's pinned key (`pinning`). One transport keeps one connection for a whole sync,
//! and TLS sessions are resumed between syncs. It gzips large request bodies, asks for gzipped
//! answers and inflates them itself (bounded), and counts round trips and bytes (bodies plus
//! request and status lines and headers; TLS and TCP/IP framing excluded) so the app can tell
//! what a sync costs. It notes a next key the depot announces, once its signature checks.

use super::pinning::{client_config, pin_mismatch, PinVerifier, Seen, Trust};
use crate::account::{SyncError, WireStats};
use fundi_sync::compression::{gunzip, gzip};
use fundi_sync::identity::{KeyAnnouncement, KeyFingerprint, NEXT_KEY_HEADER};
use fundi_sync::limits::PHONE_INFLATED_MAX_BYTES as MAX_INFLATED;
use fundi_sync::ApiErrorBody;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// Request bodies above this are gzipped.
const GZIP_REQUEST_ABOVE: usize = fundi_sync::compression::GZIP_ABOVE_BYTES;

pub struct Transport {
    http: reqwest::blocking::Client,
    base: String,
    trust: Trust,
    verifier: Arc<PinVerifier>,
    /// A next key the depot announced on this transport, signed by the key it presented.
    pub announced: Option<KeyFingerprint>,
    pub stats: WireStats,
}

fn header_bytes(h: &reqwest::header::HeaderMap) -> u64 {
    h.iter().map(|(k, v)| (k.as_str().len() + v.len() + 4) as u64).sum()
}

/// A request of the JSON API as [`Transport::call`] sends it to `url`: a GET without `json`,
/// else a POST of it, gzipped above the threshold. (Built alone, it also tells before a sync
/// what the sync's requests will cost: `request_bytes`.)
pub(super) fn json_request(
    url: &str,
    token: Option<&str>,
    json: Option<Vec<u8>>,
) -> Result<reqwest::blocking::Request, SyncError> {
    use reqwest::header::{HeaderValue, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
    let url = reqwest::Url::parse(url).map_err(|e| SyncError::Protocol(e.to_string()))?;
    let method = if json.is_some() { reqwest::Method::POST } else { reqwest::Method::GET };
    let mut req = reqwest::blocking::Request::new(method, url);
    let h = req.headers_mut();
    h.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    if let Some(t) = token {
        let value = HeaderValue::from_str(&format!("Bearer {t}")).map_err(|e| SyncError::Protocol(e.to_string()))?;
        h.insert(AUTHORIZATION, value);
    }
    if let Some(json) = json {
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = if json.len() > GZIP_REQUEST_ABOVE {
            h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            gzip(&json)
        } else {
            json
        };
        *req.body_mut() = Some(body.into());
    }
    Ok(req)
}

/// The bytes a request takes on the wire as a sync counts them: request line, Host and
/// Content-Length (added by the HTTP layer), the headers and the body.
pub(super) fn request_bytes(req: &reqwest::blocking::Request) -> u64 {
    let body_len = req.body().and_then(|b| b.as_bytes()).map_or(0, |b| b.len()) as u64;
    let host_len = req.url().host_str().map_or(0, str::len) as u64 + 12;
    let line = (req.method().as_str().len() + req.url().path().len() + req.url().query().map_or(0, |q| q.len() + 1) + 12) as u64;
    line + host_len + 20 + header_bytes(req.headers()) + body_len
}

impl Transport {
    /// A transport to the depot at `base` (an `https://` address) that trusts what `trust` says.
    pub fn new(base: &str, trust: Trust) -> Result<Transport, SyncError> {
        if !base.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://")) {
            return Err(SyncError::InsecureUrl(base.chars().take(100).collect()));
        }
        let (tls, verifier) = client_config(trust.clone()).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let http = reqwest::blocking::Client::builder()
            .use_preconfigured_tls(tls)
            .https_only(true)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            // One connection for the whole sync: idle between requests, never dropped.
            .pool_max_idle_per_host(1)
            .build()
            .map_err(|e| SyncError::Offline(e.to_string()))?;
        let base = base.trim_end_matches('/').to_string();
        Ok(Transport { http, base, trust, verifier, announced: None, stats: WireStats::default() })
    }

    /// What the last full handshake under this transport's trust saw (the key, for
    /// enrollment to bind and pin, and to notice the depot switched to its next key).
    pub fn seen(&self) -> Seen {
        self.verifier.seen()
    }

    /// A failed request: a refused key is the depot's identity changing, not "offline".
    fn send_failed(&self, e: reqwest::Error) -> SyncError {
        match (&self.trust, pin_mismatch(&e)) {
            (Trust::Pinned { current, .. }, Some(presented)) => {
                SyncError::DepotIdentityChanged { pinned: current.to_string(), presented: presented.to_string() }
            }
            _ => SyncError::Offline(e.to_string()),
        }
    }

    /// Note a next key the depot announced, if the key of this connection signed it.
    fn note_announcement(&mut self, headers: &reqwest::header::HeaderMap) {
        let Trust::Pinned { current, cert, next } = &self.trust else { return };
        let Some(a) = headers.get(NEXT_KEY_HEADER).and_then(|v| v.to_str().ok()).and_then(KeyAnnouncement::parse) else {
            return;
        };
        if &a.next == current || next.as_ref() == Some(&a.next) || self.announced.as_ref() == Some(&a.next) {
            return;
        }
        // Only the pinned key may announce its successor. The announcement is checked against
        // the pinned certificate, not the connection's: a resumed session shows none.
        if a.is_signed_by(cert) {
            self.announced = Some(a.next);
        }
    }

    /// One request. `body`: JSON to send (POST); `None` makes a GET.
    pub fn call<T: DeserializeOwned>(
        &mut self,
        path: &str,
        token: Option<&str>,
        body: Option<&impl Serialize>,
    ) -> Result<T, SyncError> {
        let json = body.map(serde_json::to_vec).transpose().map_err(|e| SyncError::Protocol(e.to_string()))?;
        let req = json_request(&format!("{}{}", self.base, path), token, json)?;
        let (status, headers, raw) = self.execute(req)?;
        let gz = headers.get("content-encoding").is_some_and(|v| v == "gzip");
        let bytes = if gz { gunzip(&raw, MAX_INFLATED).map_err(|e| SyncError::Protocol(format!("gzip: {e}")))? } else { raw };
        if !(200..300).contains(&status) {
            let err: ApiErrorBody = serde_json::from_slice(&bytes).unwrap_or(ApiErrorBody {
                error: "unknown".into(),
                detail: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                server_time: None,
            });
            return Err(if status == 401 {
                SyncError::Unauthorized { code: err.error }
            } else {
                SyncError::Server { status, code: err.error, detail: err.detail }
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    /// Send one request, counting what crosses the wire; the answer's status, headers and body
    /// (as sent: not inflated).
    fn execute(&mut self, req: reqwest::blocking::Request) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), SyncError> {
        self.execute_bounded(req, MAX_INFLATED)
    }

    /// [`Self::execute`], refusing an answer whose body is longer than `max` bytes (read no
    /// further than one byte past it).
    fn execute_bounded(
        &mut self,
        req: reqwest::blocking::Request,
        max: u64,
    ) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), SyncError> {
        self.stats.bytes_sent += request_bytes(&req);
        self.stats.round_trips += 1;
        let resp = self.http.execute(req).map_err(|e| self.send_failed(e))?;
        self.note_announcement(resp.headers());
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        self.stats.bytes_received += 17 + header_bytes(&headers);
        let mut raw = vec![];
        resp.take(max + 1).read_to_end(&mut raw).map_err(|e| SyncError::Offline(e.to_string()))?;
        self.stats.bytes_received += raw.len() as u64;
        if raw.len() as u64 > max {
            return Err(SyncError::Protocol(format!("an answer longer than {max} bytes")));
        }
        Ok((status, headers, raw))
    }

    /// A `GET` of raw bytes (a blob, a thumbnail) with the device token: the status, headers
    /// and body (at most `max` bytes), or the typed error of a refused credential (401).
    pub fn get_bytes(&mut self, path: &str, token: &str, max: u64) -> Result<BytesAnswer, SyncError> {
        let req = self.bytes_request(path, token, None)?;
        self.send_for_bytes(req, max)
    }

    /// What a [`Self::get_bytes`] of `path` would cost, asked with a one-byte range (its
    /// `Content-Range` names the whole length): `None` when the depot has no such file (404).
    pub fn probe_bytes(&mut self, path: &str, token: &str) -> Result<Option<BytesCost>, SyncError> {
        let request_bytes = request_bytes(&self.bytes_request(path, token, None)?);
        let probe = self.bytes_request(path, token, Some("bytes=0-0"))?;
        let a = self.send_for_bytes(probe, 4096)?;
        let total = |a: &BytesAnswer| {
            let range = a.headers.get("content-range")?.to_str().ok()?;
            range.strip_prefix("bytes ")?.split_once('/')?.1.parse::<u64>().ok()
        };
        match a.status {
            404 => Ok(None),
            206 | 200 => {
                let body = total(&a).unwrap_or(a.body.len() as u64);
                // The whole file's answer has the probe's head, less its `Content-Range`.
                let head = 17 + header_bytes(&a.headers) - a.headers.get("content-range").map_or(0, |v| v.len() as u64 + 17);
                Ok(Some(BytesCost { request_bytes, answer_bytes: head + body, body_bytes: body }))
            }
            status => {
                let code = serde_json::from_slice::<ApiErrorBody>(&a.body).map_or_else(|_| "unknown".into(), |e| e.error);
                Err(SyncError::Server { status, code, detail: path.chars().take(100).collect() })
            }
        }
    }

    fn bytes_request(&self, path: &str, token: &str, range: Option<&str>) -> Result<reqwest::blocking::Request, SyncError> {
        let mut req = self.http.get(format!("{}{}", self.base, path)).header("authorization", format!("Bearer {token}"));
        if let Some(range) = range {
            req = req.header("range", range);
        }
        req.build().map_err(|e| SyncError::Protocol(e.to_string()))
    }

    fn send_for_bytes(&mut self, req: reqwest::blocking::Request, max: u64) -> Result<BytesAnswer, SyncError> {
        let (status, headers, body) = self.execute_bounded(req, max.max(4096))?;
        if status == 401 {
            let code = serde_json::from_slice::<ApiErrorBody>(&body).map_or_else(|_| "unauthorized".into(), |e| e.error);
            return Err(SyncError::Unauthorized { code });
        }
        Ok(BytesAnswer { status, headers, body })
    }

    /// One request of the tus protocol (`fundi_sync::uploads`): `method` on `path` (under the
    /// depot's address) with the device token and `headers`, and a body for a `PATCH`. Every
    /// status comes back as an answer (tus gives statuses meanings: 409, 460, ...), except 401.
    pub fn tus(
        &mut self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        headers: &[(&'static str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<TusAnswer, SyncError> {
        let mut req =
            self.http.request(method, format!("{}{}", self.base, path)).header("authorization", format!("Bearer {token}"));
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let req = req.build().map_err(|e| SyncError::Protocol(e.to_string()))?;
        let (status, headers, body) = self.execute(req)?;
        let error = serde_json::from_slice::<ApiErrorBody>(&body)
            .ok()
            .map(|e| e.error)
            .or_else(|| headers.get(fundi_sync::uploads::header::FUNDI_ERROR).and_then(|v| v.to_str().ok()).map(str::to_string));
        if status == 401 {
            return Err(SyncError::Unauthorized { code: error.unwrap_or_else(|| "unauthorized".into()) });
        }
        Ok(TusAnswer { status, headers, error })
    }
}

/// What fetching one file would cost on the wire (from [`Transport::probe_bytes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BytesCost {
    pub request_bytes: u64,
    /// The answer as counted on the wire: its head and body.
    pub answer_bytes: u64,
    pub body_bytes: u64,
}

/// What the depot answered to a `GET` of bytes.
pub struct BytesAnswer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// What the depot answered to a tus request.
pub struct TusAnswer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// The typed error code of a refusal (from the JSON body, or `Fundi-Error` of a `HEAD`).
    pub error: Option<String>,
}

impl TusAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
