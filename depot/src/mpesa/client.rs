//! The depot's Daraja client: configuration (never logged), the OAuth token (cached until shortly
//! before it expires, fetched again on a refused token), a B2C payment request and a
//! transaction-status query.
//!
//! Async (reqwest on the depot's tokio runtime): the payout state machine runs inside `serve`,
//! whose handlers and workers are tokio tasks, and it receives Daraja's callbacks on the same
//! server; a blocking client there would need a thread per call (ADR 0016).
//!
//! Errors say what the payout state machine may do next: [`MpesaError::may_have_been_accepted`]
//! is the one question that matters before a resend.

use super::amount::{Msisdn, WholeKes};
use super::credential::{CredentialError, MpesaCertificate};
use super::wire::{self, codes, Acknowledgement, B2cRequest, ErrorAnswer, StatusRequest, TokenAnswer};
use super::{Secret, MAX_ANSWER_BYTES};
use std::time::{Duration, Instant};

/// Environment variables (or `NAME=value` lines of a configuration file) read by
/// [`MpesaConfig::from_lookup`].
pub const ENV_BASE_URL: &str = "FUNDI_MPESA_BASE_URL";
pub const ENV_CONSUMER_KEY: &str = "FUNDI_MPESA_CONSUMER_KEY";
pub const ENV_CONSUMER_SECRET: &str = "FUNDI_MPESA_CONSUMER_SECRET";
pub const ENV_INITIATOR_NAME: &str = "FUNDI_MPESA_INITIATOR_NAME";
pub const ENV_INITIATOR_PASSWORD: &str = "FUNDI_MPESA_INITIATOR_PASSWORD";
pub const ENV_SHORTCODE: &str = "FUNDI_MPESA_SHORTCODE";
/// A path to the certificate file (PEM or DER).
pub const ENV_CERTIFICATE: &str = "FUNDI_MPESA_CERTIFICATE";
/// The base of the callback URLs, including the deployment's secret path segment.
pub const ENV_CALLBACK_URL: &str = "FUNDI_MPESA_CALLBACK_URL";
/// Seconds before an unanswered request counts as unknown (default 30).
pub const ENV_TIMEOUT_SECS: &str = "FUNDI_MPESA_TIMEOUT_SECS";

/// Where Daraja posts, under the callback base URL: a payment's result and queue timeout, and a
/// status query's.
pub const B2C_RESULT_PATH: &str = "b2c/result";
pub const B2C_TIMEOUT_PATH: &str = "b2c/timeout";
pub const STATUS_RESULT_PATH: &str = "status/result";
pub const STATUS_TIMEOUT_PATH: &str = "status/timeout";

/// Safaricom's sandbox and production bases (the simulator's is `http://127.0.0.1:PORT`);
/// documentation for whoever writes a configuration: the depot reads its base from there.
#[allow(dead_code)]
pub const SANDBOX_BASE_URL: &str = "https://sandbox.safaricom.co.ke";
#[allow(dead_code)]
pub const PRODUCTION_BASE_URL: &str = "https://api.safaricom.co.ke";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("the M-Pesa certificate: {0}")]
    Certificate(#[from] CredentialError),
    #[error("reading {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("the HTTP client: {0}")]
    Http(String),
}

/// Everything the client needs. Its `Debug` shows no secret: not the consumer key or secret, not
/// the initiator password, not the callback URL's secret path.
#[derive(Clone)]
pub struct MpesaConfig {
    pub base_url: String,
    pub consumer_key: Secret,
    pub consumer_secret: Secret,
    pub initiator_name: String,
    pub initiator_password: Secret,
    /// The paying B2C short code (`PartyA`).
    pub shortcode: String,
    pub certificate: MpesaCertificate,
    pub callback_base_url: Secret,
    pub request_timeout: Duration,
}

impl std::fmt::Debug for MpesaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let callback = reqwest::Url::parse(self.callback_base_url.expose())
            .map(|u| format!("{}://{}/<redacted>", u.scheme(), u.host_str().unwrap_or("")))
            .unwrap_or_else(|_| "<redacted>".into());
        f.debug_struct("MpesaConfig")
            .field("base_url", &self.base_url)
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &self.consumer_secret)
            .field("initiator_name", &self.initiator_name)
            .field("initiator_password", &self.initiator_password)
            .field("shortcode", &self.shortcode)
            .field("certificate", &self.certificate)
            .field("callback_base_url", &callback)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// `https://…`, or plain `http://` to a loopback address only (the simulator): credentials
/// never cross a network in clear.
fn check_url(name: &'static str, raw: &str) -> Result<String, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid { name, reason };
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| invalid(e.to_string()))?;
    let host = url.host_str().unwrap_or("");
    let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>();
    let loopback = host == "localhost" || ip.is_ok_and(|a| a.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        s => return Err(invalid(format!("{s}:// is allowed only to a loopback address; use https://"))),
    }
    Ok(raw.trim().trim_end_matches('/').to_string())
}

impl MpesaConfig {
    /// Read the configuration through `get` (the environment, a file, a test's map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<MpesaConfig, ConfigError> {
        let need = |name: &'static str| get(name).filter(|v| !v.trim().is_empty()).ok_or(ConfigError::Missing(name));
        let cert_path = need(ENV_CERTIFICATE)?;
        let cert_bytes = std::fs::read(&cert_path).map_err(|error| ConfigError::Io { path: cert_path.clone(), error })?;
        let shortcode = need(ENV_SHORTCODE)?.trim().to_string();
        if !(5..=9).contains(&shortcode.len()) || !shortcode.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::Invalid { name: ENV_SHORTCODE, reason: "a short code is 5 to 9 digits".into() });
        }
        let request_timeout = match get(ENV_TIMEOUT_SECS) {
            None => Duration::from_secs(30),
            Some(s) => s
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .map(Duration::from_secs)
                .ok_or(ConfigError::Invalid { name: ENV_TIMEOUT_SECS, reason: "a positive number of seconds".into() })?,
        };
        Ok(MpesaConfig {
            base_url: check_url(ENV_BASE_URL, &need(ENV_BASE_URL)?)?,
            consumer_key: Secret::new(need(ENV_CONSUMER_KEY)?),
            consumer_secret: Secret::new(need(ENV_CONSUMER_SECRET)?),
            initiator_name: need(ENV_INITIATOR_NAME)?,
            initiator_password: Secret::new(need(ENV_INITIATOR_PASSWORD)?),
            shortcode,
            certificate: MpesaCertificate::from_bytes(&cert_bytes)?,
            callback_base_url: Secret::new(check_url(ENV_CALLBACK_URL, &need(ENV_CALLBACK_URL)?)?),
            request_timeout,
        })
    }

    /// From the process environment.
    pub fn from_env() -> Result<MpesaConfig, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// From a file of `NAME=value` lines (`#` starts a comment), with the names above.
    pub fn from_file(path: &std::path::Path) -> Result<MpesaConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Io { path: path.display().to_string(), error })?;
        let pairs: Vec<(String, String)> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Self::from_lookup(|name| pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    fn callback(&self, path: &str) -> String {
        format!("{}/{path}", self.callback_base_url.expose())
    }
}

/// Daraja took the request for processing. Only that: the outcome comes later on the result URL,
/// on the queue-timeout URL, or never.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Daraja's id of the request; the result callback carries it.
    pub conversation_id: String,
    pub originator_conversation_id: String,
    pub description: String,
}

/// Why a call did not end in [`Accepted`], in the terms of what may be done next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MpesaError {
    /// Our own input is wrong (an id, the remarks); nothing was sent. Fix it first.
    #[error("not sent: {0}")]
    Invalid(String),
    /// Nothing reached Daraja's payment API: the connection could not be made, or no token could
    /// be had. Safe to send again later with the same OriginatorConversationID.
    #[error("not sent: {0}")]
    NotSent(String),
    /// The OAuth endpoint refused the consumer key and secret; nothing was sent. Retrying will
    /// not help until the configuration is fixed.
    #[error("Daraja refused the consumer key and secret ({status} {code}: {message})")]
    Unauthorized { status: u16, code: String, message: String },
    /// Daraja answered and did not accept the request (an HTTP 4xx with its errorCode, or a
    /// `ResponseCode` other than "0"): nothing will be paid for it. Safe to send again later with
    /// the same OriginatorConversationID, once the cause is gone.
    #[error("Daraja refused the request ({status} {code}: {message})")]
    Refused { status: u16, code: String, message: String },
    /// Daraja says it already has a request with this OriginatorConversationID: the earlier one
    /// may have paid. Reconcile with a status query; never resend under a new id.
    #[error("Daraja already has a request with this OriginatorConversationID: {message}")]
    Duplicate { message: String },
    /// The request may have reached Daraja and been accepted: a timeout after sending, a
    /// connection dropped, a 5xx, an answer that could not be read. Reconcile with a status query
    /// before any resend.
    #[error("unknown whether Daraja accepted the request: {0}")]
    Unknown(String),
}

impl MpesaError {
    /// Whether money may move for this request: then it must be reconciled before a resend.
    pub fn may_have_been_accepted(&self) -> bool {
        matches!(self, MpesaError::Duplicate { .. } | MpesaError::Unknown(_))
    }
}

struct CachedToken {
    value: String,
    refresh_at: Instant,
}

/// One client per depot: it keeps one token (Daraja documents that a new token invalidates the
/// previous one, so two clients on the same credentials would keep refusing each other's).
pub struct MpesaClient {
    config: MpesaConfig,
    http: reqwest::Client,
    /// The SecurityCredential, sealed once: Daraja accepts the same one on every request.
    credential: String,
    token: tokio::sync::Mutex<Option<CachedToken>>,
}

/// What one POST came to.
enum Answer {
    Accepted(Accepted),
    /// The token was refused (HTTP 401 or "Invalid Access Token"): refused at the gateway, so
    /// the same request may be sent again with a new token.
    TokenRefused {
        status: u16,
        code: String,
        message: String,
    },
}

impl MpesaClient {
    pub fn new(config: MpesaConfig) -> Result<MpesaClient, ConfigError> {
        let credential = config.certificate.security_credential(config.initiator_password.expose())?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            .timeout(config.request_timeout)
            // A redirected POST would be re-sent as something else; Daraja has no reason to.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigError::Http(e.to_string()))?;
        Ok(MpesaClient { config, http, credential, token: tokio::sync::Mutex::new(None) })
    }

    pub fn config(&self) -> &MpesaConfig {
        &self.config
    }

    /// A token that is still good: the cached one, or a new one when it is near its expiry
    /// (a fifth of its life, at most a minute, before it).
    pub async fn access_token(&self) -> Result<String, MpesaError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(t.value.clone());
        }
        let fresh = self.fetch_token().await?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    /// Forget `used` if it is still the cached token (a concurrent call may have replaced it).
    async fn drop_token(&self, used: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.value == used) {
            *cached = None;
        }
    }

    async fn fetch_token(&self) -> Result<CachedToken, MpesaError> {
        let url = format!("{}{}?{}", self.config.base_url, wire::OAUTH_PATH, wire::OAUTH_QUERY);
        let asked = Instant::now();
        let resp = self
            .http
            .get(url)
            .basic_auth(self.config.consumer_key.expose(), Some(self.config.consumer_secret.expose()))
            .send()
            .await
            .map_err(|e| MpesaError::NotSent(format!("token: {}", describe(&e))))?;
        let status = resp.status().as_u16();
        let body = read_bounded(resp).await.map_err(|e| MpesaError::NotSent(format!("token: {e}")))?;
        if (400..500).contains(&status) {
            let e = error_answer(&body);
            return Err(MpesaError::Unauthorized { status, code: e.error_code, message: e.error_message });
        }
        if !(200..300).contains(&status) {
            return Err(MpesaError::NotSent(format!("token: HTTP {status}")));
        }
        let answer: TokenAnswer =
            serde_json::from_slice(&body).map_err(|e| MpesaError::NotSent(format!("token: an unreadable answer ({e})")))?;
        if answer.access_token.is_empty() {
            return Err(MpesaError::NotSent("token: an empty token".into()));
        }
        let life = Duration::from_secs(answer.expires_in);
        let margin = (life / 5).min(Duration::from_secs(60));
        Ok(CachedToken { value: answer.access_token, refresh_at: asked + life - margin })
    }

    /// Ask Daraja to pay `amount` to `receiver`. `originator_conversation_id` is the payout's
    /// idempotency key: the same payout is only ever sent under the same id.
    pub async fn send_b2c(
        &self,
        originator_conversation_id: &str,
        receiver: &Msisdn,
        amount: WholeKes,
        remarks: &str,
    ) -> Result<Accepted, MpesaError> {
        check_id(originator_conversation_id)?;
        let remarks_len = remarks.chars().count();
        if !(2..=100).contains(&remarks_len) {
            return Err(MpesaError::Invalid(format!("remarks must be 2 to 100 characters (got {remarks_len})")));
        }
        let request = B2cRequest {
            originator_conversation_id: originator_conversation_id.to_string(),
            initiator_name: self.config.initiator_name.clone(),
            security_credential: self.credential.clone(),
            command_id: wire::BUSINESS_PAYMENT.into(),
            amount: amount.kes(),
            party_a: self.config.shortcode.clone(),
            party_b: receiver.as_str().to_string(),
            remarks: remarks.to_string(),
            queue_timeout_url: self.config.callback(B2C_TIMEOUT_PATH),
            result_url: self.config.callback(B2C_RESULT_PATH),
            occasion: String::new(),
        };
        self.post(wire::B2C_PATH, &request).await
    }

    /// Ask Daraja for the status of a payment, by its OriginatorConversationID, its M-Pesa
    /// receipt, or both. The answer comes later on the status result URL.
    pub async fn query_status(
        &self,
        originator_conversation_id: Option<&str>,
        receipt: Option<&str>,
    ) -> Result<Accepted, MpesaError> {
        if originator_conversation_id.is_none() && receipt.is_none() {
            return Err(MpesaError::Invalid("a status query needs an OriginatorConversationID or a receipt".into()));
        }
        if let Some(id) = originator_conversation_id {
            check_id(id)?;
        }
        if let Some(r) = receipt {
            check_id(r)?;
        }
        let request = StatusRequest {
            initiator: self.config.initiator_name.clone(),
            security_credential: self.credential.clone(),
            command_id: wire::TRANSACTION_STATUS_QUERY.into(),
            transaction_id: receipt.unwrap_or_default().to_string(),
            original_conversation_id: originator_conversation_id.unwrap_or_default().to_string(),
            party_a: self.config.shortcode.clone(),
            identifier_type: wire::IDENTIFIER_SHORTCODE.into(),
            result_url: self.config.callback(STATUS_RESULT_PATH),
            queue_timeout_url: self.config.callback(STATUS_TIMEOUT_PATH),
            remarks: "payout status check".into(),
            occasion: String::new(),
        };
        self.post(wire::STATUS_PATH, &request).await
    }

    /// POST `request`; a refused token is fetched again once and the request sent again.
    async fn post(&self, path: &str, request: &impl serde::Serialize) -> Result<Accepted, MpesaError> {
        let body = serde_json::to_vec(request).map_err(|e| MpesaError::Invalid(e.to_string()))?;
        let mut refused_once = false;
        loop {
            let token = self.access_token().await?;
            match self.post_once(path, &token, body.clone()).await? {
                Answer::Accepted(a) => return Ok(a),
                Answer::TokenRefused { .. } if !refused_once => {
                    refused_once = true;
                    self.drop_token(&token).await;
                }
                Answer::TokenRefused { status, code, message } => return Err(MpesaError::Refused { status, code, message }),
            }
        }
    }

    async fn post_once(&self, path: &str, token: &str, body: Vec<u8>) -> Result<Answer, MpesaError> {
        let resp = self
            .http
            .post(format!("{}{path}", self.config.base_url))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                // Only a connection that was never made proves the request was not sent.
                if e.is_connect() {
                    MpesaError::NotSent(describe(&e))
                } else {
                    MpesaError::Unknown(describe(&e))
                }
            })?;
        let status = resp.status().as_u16();
        let body = read_bounded(resp).await.map_err(MpesaError::Unknown)?;
        classify(status, &body)
    }
}

/// What an answer means, by its status and body.
fn classify(status: u16, body: &[u8]) -> Result<Answer, MpesaError> {
    if (200..300).contains(&status) {
        let ack: Acknowledgement = serde_json::from_slice(body)
            .map_err(|e| MpesaError::Unknown(format!("HTTP {status} with an answer that is not an acknowledgement ({e})")))?;
        if ack.response_code == wire::ACCEPTED {
            return Ok(Answer::Accepted(Accepted {
                conversation_id: ack.conversation_id,
                originator_conversation_id: ack.originator_conversation_id,
                description: ack.response_description,
            }));
        }
        return Err(MpesaError::Refused { status, code: ack.response_code, message: ack.response_description });
    }
    let e = error_answer(body);
    let message = e.error_message.to_ascii_lowercase();
    if message.contains("duplicate") && message.contains("originatorconversationid") {
        return Err(MpesaError::Duplicate { message: e.error_message });
    }
    let token_refused = status == 401 || e.error_message.trim().eq_ignore_ascii_case(codes::INVALID_TOKEN_MESSAGE);
    match status {
        400..=499 if token_refused => Ok(Answer::TokenRefused { status, code: e.error_code, message: e.error_message }),
        400..=499 => Err(MpesaError::Refused { status, code: e.error_code, message: e.error_message }),
        _ => Err(MpesaError::Unknown(format!("HTTP {status} {}: {}", e.error_code, e.error_message))),
    }
}

/// Daraja's error body, or one made of the first bytes of whatever came instead.
fn error_answer(body: &[u8]) -> ErrorAnswer {
    serde_json::from_slice(body).unwrap_or_else(|_| ErrorAnswer {
        error_message: String::from_utf8_lossy(body).chars().take(200).collect(),
        ..Default::default()
    })
}

/// An id Daraja carries back: printable ASCII, at most 100 characters.
fn check_id(id: &str) -> Result<(), MpesaError> {
    if id.is_empty() || id.len() > 100 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(MpesaError::Invalid("an id must be 1 to 100 printable ASCII characters".into()));
    }
    Ok(())
}

/// reqwest's error with its causes (the top level alone often says only "error sending request").
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The body, refused past [`MAX_ANSWER_BYTES`] (read no further than the chunk that crosses it).
async fn read_bounded(mut resp: reqwest::Response) -> Result<Vec<u8>, String> {
    if resp.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
        return Err(format!("an answer longer than {MAX_ANSWER_BYTES} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("reading the answer: {}", describe(&e)))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!("an answer longer than {MAX_ANSWER_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(dir: &std::path::Path) -> std::collections::HashMap<&'static str, String> {
        let cert = dir.join("cert.pem");
        std::fs::write(&cert, super::super::credential::test_key().certificate_pem()).unwrap();
        [
            (ENV_BASE_URL, "https://sandbox.safaricom.co.ke/".to_string()),
            (ENV_CONSUMER_KEY, "ck-VISIBLE-KEY".into()),
            (ENV_CONSUMER_SECRET, "cs-SECRET-VALUE".into()),
            (ENV_INITIATOR_NAME, "fundi_api".into()),
            (ENV_INITIATOR_PASSWORD, "Pw#SECRET9".into()),
            (ENV_SHORTCODE, "600997".into()),
            (ENV_CERTIFICATE, cert.display().to_string()),
            (ENV_CALLBACK_URL, "https://depot.example/mpesa/hook-SECRETPATH".into()),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn configuration_debug_shows_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let vars = lookup(dir.path());
        let config = MpesaConfig::from_lookup(|k| vars.get(k).cloned()).unwrap();
        assert_eq!(config.base_url, "https://sandbox.safaricom.co.ke");
        let shown = format!("{config:?} {:#?}", config);
        for secret in ["VISIBLE-KEY", "SECRET-VALUE", "Pw#SECRET9", "SECRETPATH"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(shown.contains("fundi_api") && shown.contains("https://depot.example/<redacted>"), "{shown}");
        // And the client, which holds the sealed credential, shows none either (it has no Debug).
        let client = MpesaClient::new(config).unwrap();
        assert!(!format!("{:?}", client.config()).contains("SECRET"));
    }

    #[test]
    fn configuration_refuses_plain_http_off_loopback_and_missing_values() {
        let dir = tempfile::tempdir().unwrap();
        let mut vars = lookup(dir.path());
        vars.insert(ENV_BASE_URL, "http://sandbox.safaricom.co.ke".into());
        let err = MpesaConfig::from_lookup(|k| vars.get(k).cloned()).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name: ENV_BASE_URL, .. }), "{err}");
        vars.insert(ENV_BASE_URL, "http://127.0.0.1:9".into());
        assert!(MpesaConfig::from_lookup(|k| vars.get(k).cloned()).is_ok());
        vars.remove(ENV_CONSUMER_SECRET);
        let err = MpesaConfig::from_lookup(|k| vars.get(k).cloned()).unwrap_err();
        assert!(matches!(err, ConfigError::Missing(ENV_CONSUMER_SECRET)), "{err}");
        // The same names from a file.
        let file = dir.path().join("mpesa.env");
        let mut text: String = lookup(dir.path()).iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        text.push_str("# a comment\n");
        std::fs::write(&file, text).unwrap();
        assert_eq!(MpesaConfig::from_file(&file).unwrap().shortcode, "600997");
    }

    #[test]
    fn answers_are_classified_by_what_may_be_done_next() {
        let ok = br#"{"ConversationID": "AG_1", "OriginatorConversationID": "p1", "ResponseCode": "0", "ResponseDescription": "Accept the service request successfully."}"#;
        assert!(matches!(classify(200, ok), Ok(Answer::Accepted(a)) if a.conversation_id == "AG_1"));
        let not_zero =
            br#"{"ConversationID": "", "OriginatorConversationID": "p1", "ResponseCode": 2001, "ResponseDescription": "no"}"#;
        assert!(matches!(classify(200, not_zero), Err(MpesaError::Refused { code, .. }) if code == "2001"));
        let bad = br#"{"requestId": "r", "errorCode": "400.002.02", "errorMessage": "Bad Request - Invalid Amount"}"#;
        let e = classify(400, bad).err().unwrap();
        assert!(matches!(&e, MpesaError::Refused { status: 400, .. }) && !e.may_have_been_accepted());
        let dup = br#"{"requestId": "r", "errorCode": "500.002.1001", "errorMessage": "Duplicate OriginatorConversationID."}"#;
        let e = classify(500, dup).err().unwrap();
        assert!(matches!(e, MpesaError::Duplicate { .. }) && e.may_have_been_accepted());
        let token = br#"{"requestId": "r", "errorCode": "404.001.03", "errorMessage": "Invalid Access Token"}"#;
        assert!(matches!(classify(401, token), Ok(Answer::TokenRefused { .. })));
        assert!(matches!(classify(400, token), Ok(Answer::TokenRefused { .. })));
        let e = classify(503, b"<html>busy</html>").err().unwrap();
        assert!(matches!(&e, MpesaError::Unknown(m) if m.contains("busy")) && e.may_have_been_accepted());
        assert!(matches!(classify(200, b"{}"), Err(MpesaError::Unknown(_))));
    }
}
