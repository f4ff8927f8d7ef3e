//! A simulator of Safaricom's Daraja B2C, for the tests and the demo (`fundi-depot mpesa-sim`):
//! the same paths and JSON as Daraja (`wire`), so the depot talks to it exactly as to the real
//! service with only the base URL changed. ADR 0016 says what it models and what it does not.
//!
//! - OAuth: HTTP Basic with the configured consumer key and secret; tokens expire after a
//!   configurable time, and a new token invalidates the ones before it (as Daraja documents).
//! - B2C: a request with a bad shape is refused at once (HTTP 400); a well-formed one is
//!   accepted (`ResponseCode` "0") and settled at once against the simulator's own ledger: paid,
//!   or failed with Daraja's documented result code (invalid initiator or credential, amount
//!   out of bounds, unregistered receiver, insufficient float). The result is POSTed to the
//!   request's ResultURL after a delay. An OriginatorConversationID it has accepted before is
//!   refused as Daraja documents (`500.002.1001 Duplicate OriginatorConversationID.`) and never
//!   pays twice.
//! - Transaction status: by OriginalConversationID or TransactionID, answered on its ResultURL.
//! - Fault switches (`PUT /sim/faults`), each a percentage drawn from a seeded generator and
//!   optionally limited to a number of times: drop, duplicate, delay or reorder callbacks; a
//!   queue-timeout notice instead of processing; hang before or after accepting; exit the
//!   process before accepting or after paying.
//! - Its record of money moved and of every request (`GET /sim/ledger`), kept in
//!   `--state-dir` across restarts (with its key, so the certificate stays the same).

use super::credential::SimKey;
use super::wire::{
    self, codes, Acknowledgement, Callback, CallbackResult, ErrorAnswer, KeyValue, OneOrMany, ReferenceData, ResultParameters,
};
use super::MAX_ANSWER_BYTES;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// Daraja's documented bounds of one B2C payment, in shillings.
pub const MIN_KES: u64 = 10;
pub const MAX_KES: u64 = 250_000;
/// The exit status of a crash switch.
pub const CRASH_EXIT: i32 = 86;

/// How the simulator starts (the command line's flags).
#[derive(Clone, Debug)]
pub struct SimOptions {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub initiator_name: String,
    pub initiator_password: String,
    pub shortcode: String,
    pub settings: Settings,
    /// The paying account's balance at the first start, whole shillings (a kept ledger keeps
    /// its own).
    pub float_kes: u64,
    pub seed: u64,
    /// Where the ledger and the key are kept across restarts (none: in memory, a new key).
    pub state_dir: Option<PathBuf>,
}

/// What can be changed while it runs (`PUT /sim/settings`; absent fields stay as they are).
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct Settings {
    pub token_ttl_secs: u64,
    pub result_delay_ms: u64,
    /// Receivers that are not registered M-Pesa customers (result 2040).
    pub unregistered: BTreeSet<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SettingsChange {
    token_ttl_secs: Option<u64>,
    result_delay_ms: Option<u64>,
    unregistered: Option<BTreeSet<String>>,
    /// The paying account's balance, whole shillings.
    float_kes: Option<u64>,
}

/// A fault switch: fires on `percent` of the events it applies to, at most `times` times (then
/// it is spent). Written as a number (the percentage, no limit) or `{"percent": P, "times": N}`.
#[derive(Clone, Debug, Serialize, Deserialize, Default, PartialEq)]
#[serde(from = "SwitchForm")]
pub struct Switch {
    pub percent: u8,
    pub times: Option<u32>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SwitchForm {
    Percent(u8),
    Full { percent: Option<u8>, times: Option<u32> },
}

impl From<SwitchForm> for Switch {
    fn from(f: SwitchForm) -> Switch {
        match f {
            SwitchForm::Percent(p) => Switch { percent: p.min(100), times: None },
            SwitchForm::Full { percent, times } => Switch { percent: percent.unwrap_or(100).min(100), times },
        }
    }
}

/// The fault switches, replaced whole by `PUT /sim/faults`.
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Reseed the generator the percentages are drawn from.
    pub seed: Option<u64>,
    /// A callback (result, queue timeout or status result) is never sent.
    pub drop_callbacks: Switch,
    /// A callback is sent twice.
    pub duplicate_callbacks: Switch,
    /// Added to every callback's delay.
    pub extra_delay_ms: u64,
    /// At 2 or more, callbacks are held until that many wait (or `reorder_flush_ms` passes,
    /// 1500 by default), then sent last first (by the order the requests were taken; a status
    /// result counts as later than every payment).
    pub reorder_window: usize,
    pub reorder_flush_ms: u64,
    /// A B2C request is accepted but times out in the queue: nothing is paid, and a notice goes
    /// to its QueueTimeOutURL instead of a result.
    pub queue_timeout: Switch,
    /// A B2C request is never answered and never recorded: nothing is paid.
    pub hang_before_accept: Switch,
    /// A B2C request is recorded, settled (paid or failed) and its result sent, but the HTTP
    /// request is never answered.
    pub hang_after_accept: Switch,
    /// The process exits (status 86) on a B2C request before recording it.
    pub crash_before_accept: Switch,
    /// The process exits (status 86) after recording and settling a B2C request (its ledger
    /// saved), before answering it or sending its result.
    pub crash_after_pay: Switch,
}

/// How a B2C request the simulator accepted was settled.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Settled {
    Paid {
        receipt: String,
        completed_at: String,
    },
    Failed {
        code: String,
        description: String,
        transaction_id: String,
    },
    /// Expired in the queue: never processed, nothing paid.
    QueueTimedOut,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub seq: u64,
    pub conversation_id: String,
    pub receiver: String,
    pub amount_kes: u64,
    pub settled: Settled,
}

/// Every B2C request received and what it was answered.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RequestRecord {
    pub seq: u64,
    pub originator_conversation_id: String,
    pub answer: String,
}

/// The simulator's own record of money moved (`GET /sim/ledger`), what a reconciliation test
/// checks the depot's ledgers against.
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct Ledger {
    /// What is left to pay with, whole shillings.
    pub float_kes: u64,
    pub paid_total_kes: u64,
    pub paid_per_receiver: BTreeMap<String, u64>,
    /// Accepted B2C requests by OriginatorConversationID.
    pub payments: BTreeMap<String, PaymentRecord>,
    pub requests: Vec<RequestRecord>,
    pub seq: u64,
}

#[derive(Clone, Debug, Serialize, Default)]
pub struct Stats {
    pub tokens_issued: u64,
    pub b2c_requests: u64,
    pub status_queries: u64,
}

/// One callback sent (or dropped), for the tests to see what went out.
#[derive(Clone, Debug, Serialize)]
pub struct CallbackLog {
    pub kind: &'static str,
    pub originator_conversation_id: String,
    pub url: String,
    /// The receiver's HTTP status, or none when dropped or not delivered.
    pub status: Option<u16>,
    pub note: String,
}

struct Inner {
    settings: Settings,
    faults: Faults,
    rng: u64,
    tokens: HashMap<String, Instant>,
    ledger: Ledger,
    stats: Stats,
    callbacks: Vec<CallbackLog>,
    held: Vec<Outgoing>,
}

/// The running simulator.
pub struct Sim {
    opts: SimOptions,
    key: SimKey,
    inner: Mutex<Inner>,
    http: reqwest::Client,
}

#[derive(Clone)]
struct Outgoing {
    /// The order of the request it answers (held callbacks are sent by it, last first).
    seq: u64,
    kind: &'static str,
    id: String,
    url: String,
    body: Vec<u8>,
    copies: u8,
}

/// splitmix64: small, seeded, the same sequence on every run.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fires(switch: &mut Switch, rng: &mut u64) -> bool {
    if switch.percent == 0 || switch.times == Some(0) {
        return false;
    }
    let hit = switch.percent >= 100 || next(rng) % 100 < u64::from(switch.percent);
    if hit {
        if let Some(t) = switch.times.as_mut() {
            *t -= 1;
        }
    }
    hit
}

/// Daraja's two ways of writing a time: `06.07.2024 22:48:52` and `20240706224852` (UTC here).
fn daraja_times(at: SystemTime) -> (String, String) {
    let secs = at.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let (y, mo, d) = fundi_sync::dates::Day(days).civil();
    (format!("{d:02}.{mo:02}.{y:04} {h:02}:{m:02}:{s:02}"), format!("{y:04}{mo:02}{d:02}{h:02}{m:02}{s:02}"))
}

/// A JSON answer (axum's `json` feature is not built: the depot writes its JSON itself).
fn json_answer<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn daraja_error(status: StatusCode, code: &str, message: &str, rng: &mut u64) -> Response {
    let body = ErrorAnswer {
        request_id: format!("sim-{:x}", next(rng) & 0xFFFF_FFFF),
        error_code: code.into(),
        error_message: message.into(),
    };
    json_answer(status, &body)
}

fn bad_request(field: &str, rng: &mut u64) -> Response {
    daraja_error(StatusCode::BAD_REQUEST, "400.002.02", &format!("Bad Request - Invalid {field}"), rng)
}

/// A field as text: a string, or a number written as JSON writes it.
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn is_http_url(raw: &str) -> bool {
    reqwest::Url::parse(raw).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

impl Sim {
    /// Load or make the key and the ledger.
    pub fn new(opts: SimOptions) -> Result<Arc<Sim>, Box<dyn std::error::Error>> {
        let mut ledger = Ledger { float_kes: opts.float_kes, ..Default::default() };
        let key = match &opts.state_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                let key_path = dir.join("key.pem");
                let key = match std::fs::read_to_string(&key_path) {
                    Ok(pem) => SimKey::from_pkcs8_pem(&pem)?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        let key = SimKey::generate()?;
                        write_atomically(&key_path, key.to_pkcs8_pem()?.as_bytes())?;
                        key
                    }
                    Err(e) => return Err(e.into()),
                };
                match std::fs::read(dir.join("ledger.json")) {
                    Ok(bytes) => ledger = serde_json::from_slice(&bytes)?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
                key
            }
            None => SimKey::generate()?,
        };
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(10)).redirect(reqwest::redirect::Policy::none()).build()?;
        let inner = Inner {
            settings: opts.settings.clone(),
            faults: Faults::default(),
            rng: opts.seed,
            tokens: HashMap::new(),
            ledger,
            stats: Stats::default(),
            callbacks: Vec::new(),
            held: Vec::new(),
        };
        Ok(Arc::new(Sim { opts, key, inner: Mutex::new(inner), http }))
    }

    pub fn certificate_pem(&self) -> &str {
        self.key.certificate_pem()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A handler that panicked holding the lock leaves plain data behind: carry on.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Save the ledger (when kept on disk) before anything is answered about it.
    fn save(&self, ledger: &Ledger) {
        if let Some(dir) = &self.opts.state_dir {
            let bytes = serde_json::to_vec_pretty(ledger).unwrap_or_default();
            if let Err(e) = write_atomically(&dir.join("ledger.json"), &bytes) {
                eprintln!("mpesa-sim: saving the ledger failed: {e}");
            }
        }
    }

    fn crash(&self) -> ! {
        eprintln!("mpesa-sim: crash switch fired, exiting");
        std::process::exit(CRASH_EXIT)
    }
}

fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The simulator's routes: Daraja's, and its control endpoints under `/sim/`.
pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route(wire::OAUTH_PATH, get(oauth))
        .route(wire::B2C_PATH, post(b2c))
        .route(wire::STATUS_PATH, post(status_query))
        .route("/sim/certificate", get(certificate))
        .route("/sim/faults", get(get_faults).put(put_faults))
        .route("/sim/settings", get(get_settings).put(put_settings))
        .route("/sim/ledger", get(ledger))
        .route("/sim/callbacks", get(callbacks))
        .route("/sim/stats", get(stats))
        .layer(DefaultBodyLimit::max(MAX_ANSWER_BYTES))
        .with_state(sim)
}

async fn oauth(State(sim): State<Arc<Sim>>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let mut inner = sim.lock();
    let inner = &mut *inner;
    let grant = query.as_deref().unwrap_or("").split('&').any(|p| p == wire::OAUTH_QUERY);
    if !grant {
        return daraja_error(StatusCode::BAD_REQUEST, "400.008.02", "Invalid grant type passed", &mut inner.rng);
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| BASE64.decode(b.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let expected = format!("{}:{}", sim.opts.consumer_key, sim.opts.consumer_secret);
    if presented.as_deref() != Some(expected.as_str()) {
        return daraja_error(StatusCode::BAD_REQUEST, "400.008.01", "Invalid Authentication passed", &mut inner.rng);
    }
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let token: String = (0..28).map(|_| ALPHABET[(next(&mut inner.rng) % ALPHABET.len() as u64) as usize] as char).collect();
    let ttl = inner.settings.token_ttl_secs;
    // "Each request invalidates the previous token" (Daraja's Authorization page).
    inner.tokens.clear();
    inner.tokens.insert(token.clone(), Instant::now() + Duration::from_secs(ttl));
    inner.stats.tokens_issued += 1;
    json_answer(StatusCode::OK, &json!({"access_token": token, "expires_in": ttl.to_string()}))
}

/// The bearer token is one the simulator issued and it has not expired.
fn token_ok(inner: &Inner, headers: &HeaderMap) -> bool {
    let token = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    token.and_then(|t| inner.tokens.get(t.trim())).is_some_and(|&until| Instant::now() < until)
}

fn invalid_token(inner: &mut Inner) -> Response {
    daraja_error(StatusCode::UNAUTHORIZED, "404.001.03", codes::INVALID_TOKEN_MESSAGE, &mut inner.rng)
}

/// A checked B2C request.
struct Payment {
    id: String,
    initiator: String,
    credential: String,
    party_a: String,
    receiver: String,
    amount_kes: u64,
    result_url: String,
    timeout_url: String,
}

/// Check a B2C request's shape as Daraja's gateway does: the first bad field is named.
fn check_b2c(v: &Value) -> Result<Payment, &'static str> {
    let id = text(v, "OriginatorConversationID").filter(|s| s.len() <= 100).ok_or("OriginatorConversationID")?;
    let initiator = text(v, "InitiatorName").ok_or("InitiatorName")?;
    let credential = text(v, "SecurityCredential").ok_or("SecurityCredential")?;
    let command = text(v, "CommandID").ok_or("CommandID")?;
    if !matches!(command.as_str(), "BusinessPayment" | "SalaryPayment" | "PromotionPayment") {
        return Err("CommandID");
    }
    let amount_kes = match v.get("Amount") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if !s.trim().is_empty() && s.trim().bytes().all(|b| b.is_ascii_digit()) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|&a| a > 0)
    .ok_or("Amount")?;
    let party_a = text(v, "PartyA").filter(|s| s.bytes().all(|b| b.is_ascii_digit())).ok_or("PartyA")?;
    let receiver = text(v, "PartyB").filter(|s| s.len() == 12 && s.starts_with("254") && s.bytes().all(|b| b.is_ascii_digit()));
    let receiver = receiver.ok_or("PartyB")?;
    text(v, "Remarks").filter(|r| (2..=100).contains(&r.chars().count())).ok_or("Remarks")?;
    let timeout_url = text(v, "QueueTimeOutURL").filter(|u| is_http_url(u)).ok_or("QueueTimeOutURL")?;
    let result_url = text(v, "ResultURL").filter(|u| is_http_url(u)).ok_or("ResultURL")?;
    Ok(Payment { id, initiator, credential, party_a, receiver, amount_kes, result_url, timeout_url })
}

/// The initiator and its credential are the configured ones.
fn initiator_ok(sim: &Sim, initiator: &str, credential: &str) -> bool {
    initiator == sim.opts.initiator_name && sim.key.open(credential).is_ok_and(|p| p == sim.opts.initiator_password.as_bytes())
}

fn result_body(result: CallbackResult) -> Vec<u8> {
    serde_json::to_vec(&Callback { result }).unwrap_or_default()
}

fn reference(url: &str) -> Option<ReferenceData> {
    Some(ReferenceData { items: OneOrMany(vec![KeyValue::new("QueueTimeoutURL", url)]) })
}

/// What a B2C request comes to, decided under the lock and carried out after it.
enum Plan {
    Answer(Response),
    Hang,
    Crash,
    Accept { ack: Acknowledgement, callback: Option<Outgoing>, delay: Duration, hang: bool, crash: bool },
}

async fn b2c(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    let plan = plan_b2c(&sim, &headers, &body);
    match plan {
        Plan::Answer(r) => r,
        Plan::Hang => std::future::pending().await,
        Plan::Crash => sim.crash(),
        Plan::Accept { ack, callback, delay, hang, crash } => {
            if crash {
                sim.crash();
            }
            if let Some(out) = callback {
                schedule(sim.clone(), out, delay);
            }
            if hang {
                return std::future::pending().await;
            }
            json_answer(StatusCode::OK, &ack)
        }
    }
}

fn plan_b2c(sim: &Arc<Sim>, headers: &HeaderMap, body: &[u8]) -> Plan {
    let mut guard = sim.lock();
    let inner = &mut *guard;
    inner.stats.b2c_requests += 1;
    if !token_ok(inner, headers) {
        return Plan::Answer(invalid_token(inner));
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Plan::Answer(daraja_error(StatusCode::BAD_REQUEST, "400.002.05", "Invalid Request Payload", &mut inner.rng));
    };
    let p = match check_b2c(&v) {
        Ok(p) => p,
        Err(field) => {
            let seq = inner.ledger.seq;
            let id = text(&v, "OriginatorConversationID").unwrap_or_default();
            inner.ledger.requests.push(RequestRecord {
                seq,
                originator_conversation_id: id,
                answer: format!("refused: invalid {field}"),
            });
            return Plan::Answer(bad_request(field, &mut inner.rng));
        }
    };
    inner.ledger.seq += 1;
    let seq = inner.ledger.seq;
    let note = |inner: &mut Inner, answer: &str| {
        inner.ledger.requests.push(RequestRecord { seq, originator_conversation_id: p.id.clone(), answer: answer.into() });
    };
    if fires(&mut inner.faults.crash_before_accept, &mut inner.rng) {
        note(inner, "crashed before accepting");
        sim.save(&inner.ledger);
        return Plan::Crash;
    }
    if fires(&mut inner.faults.hang_before_accept, &mut inner.rng) {
        note(inner, "hung before accepting");
        sim.save(&inner.ledger);
        return Plan::Hang;
    }
    if inner.ledger.payments.contains_key(&p.id) {
        note(inner, "refused: duplicate OriginatorConversationID");
        sim.save(&inner.ledger);
        let r = daraja_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::DUPLICATE_ORIGINATOR,
            codes::DUPLICATE_MESSAGE,
            &mut inner.rng,
        );
        return Plan::Answer(r);
    }

    let (completed_at, _) = daraja_times(SystemTime::now());
    let conversation_id = format!("AG_{}_sim{seq:08}", &daraja_times(SystemTime::now()).1[..8]);
    let fail = |code: &str, description: &str| Settled::Failed {
        code: code.into(),
        description: description.into(),
        transaction_id: format!("SIF{seq:07}"),
    };
    let settled = if fires(&mut inner.faults.queue_timeout, &mut inner.rng) {
        Settled::QueueTimedOut
    } else if !initiator_ok(sim, &p.initiator, &p.credential) {
        fail(codes::INITIATOR_INVALID, "The initiator information is invalid.")
    } else if p.party_a != sim.opts.shortcode {
        fail(codes::NOT_PERMITTED_FOR_PRODUCT, "The request is not permitted according to product assignment.")
    } else if p.amount_kes < MIN_KES {
        fail(codes::BELOW_MINIMUM, "Declined due to limit rule: less than the minimum transaction amount.")
    } else if p.amount_kes > MAX_KES {
        fail(codes::ABOVE_MAXIMUM, "Declined due to limit rule: greater than the maximum transaction amount.")
    } else if inner.settings.unregistered.contains(&p.receiver) {
        fail(
            codes::CUSTOMER_TYPE_UNSUPPORTED,
            "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service.",
        )
    } else if p.amount_kes > inner.ledger.float_kes {
        fail(codes::INSUFFICIENT_BALANCE, "The balance is insufficient for the transaction.")
    } else {
        Settled::Paid { receipt: format!("SIM{seq:07}"), completed_at }
    };
    if let Settled::Paid { .. } = settled {
        let l = &mut inner.ledger;
        l.float_kes -= p.amount_kes;
        l.paid_total_kes += p.amount_kes;
        *l.paid_per_receiver.entry(p.receiver.clone()).or_default() += p.amount_kes;
    }
    let record = PaymentRecord {
        seq,
        conversation_id: conversation_id.clone(),
        receiver: p.receiver.clone(),
        amount_kes: p.amount_kes,
        settled: settled.clone(),
    };
    inner.ledger.payments.insert(p.id.clone(), record);
    note(inner, "accepted");
    sim.save(&inner.ledger);

    let mut result = CallbackResult {
        result_type: 0,
        result_code: codes::SUCCESS.into(),
        result_desc: "The service request is processed successfully.".into(),
        originator_conversation_id: p.id.clone(),
        conversation_id: conversation_id.clone(),
        transaction_id: String::new(),
        result_parameters: None,
        reference_data: reference(&p.timeout_url),
    };
    let (kind, url) = match &settled {
        Settled::Paid { receipt, completed_at } => {
            result.transaction_id = receipt.clone();
            result.result_parameters = Some(ResultParameters {
                items: OneOrMany(vec![
                    KeyValue::new("TransactionAmount", p.amount_kes),
                    KeyValue::new("TransactionReceipt", receipt.as_str()),
                    KeyValue::new("ReceiverPartyPublicName", format!("{} - SIMULATED RECEIVER", p.receiver)),
                    KeyValue::new("TransactionCompletedDateTime", completed_at.as_str()),
                    KeyValue::new("B2CUtilityAccountAvailableFunds", inner.ledger.float_kes),
                    KeyValue::new("B2CWorkingAccountAvailableFunds", 0),
                    KeyValue::new("B2CRecipientIsRegisteredCustomer", "Y"),
                    KeyValue::new("B2CChargesPaidAccountAvailableFunds", 0),
                ]),
            });
            ("result", p.result_url.clone())
        }
        Settled::Failed { code, description, transaction_id } => {
            result.result_code = code.clone();
            result.result_desc = description.clone();
            result.transaction_id = transaction_id.clone();
            ("result", p.result_url.clone())
        }
        Settled::QueueTimedOut => {
            result.result_code = codes::SIM_QUEUE_TIMEOUT.into();
            result.result_desc = "The service request timed out in the queue (simulated).".into();
            ("queue_timeout", p.timeout_url.clone())
        }
    };
    let crash = fires(&mut inner.faults.crash_after_pay, &mut inner.rng);
    let hang = fires(&mut inner.faults.hang_after_accept, &mut inner.rng);
    let out = Outgoing { seq, kind, id: p.id.clone(), url, body: result_body(result), copies: 1 };
    let callback = shape_callback(inner, out);
    let delay = Duration::from_millis(inner.settings.result_delay_ms + inner.faults.extra_delay_ms);
    let ack = Acknowledgement {
        conversation_id,
        originator_conversation_id: p.id,
        response_code: wire::ACCEPTED.into(),
        response_description: "Accept the service request successfully.".into(),
    };
    Plan::Accept { ack, callback, delay, hang, crash }
}

/// Apply the drop and duplicate switches to a callback about to be scheduled.
fn shape_callback(inner: &mut Inner, mut out: Outgoing) -> Option<Outgoing> {
    if fires(&mut inner.faults.drop_callbacks, &mut inner.rng) {
        let log = CallbackLog {
            kind: out.kind,
            originator_conversation_id: out.id,
            url: out.url,
            status: None,
            note: "dropped".into(),
        };
        inner.callbacks.push(log);
        return None;
    }
    if fires(&mut inner.faults.duplicate_callbacks, &mut inner.rng) {
        out.copies = 2;
    }
    Some(out)
}

fn schedule(sim: Arc<Sim>, out: Outgoing, delay: Duration) {
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let (window, flush_ms) = {
            let inner = sim.lock();
            (inner.faults.reorder_window, inner.faults.reorder_flush_ms)
        };
        if window < 2 {
            deliver(&sim, vec![out]).await;
            return;
        }
        let (batch, first) = {
            let mut inner = sim.lock();
            inner.held.push(out);
            let first = inner.held.len() == 1;
            if inner.held.len() >= window {
                (std::mem::take(&mut inner.held), false)
            } else {
                (Vec::new(), first)
            }
        };
        if !batch.is_empty() {
            deliver(&sim, last_first(batch)).await;
        } else if first {
            // The window may never fill: send what waits after a while, last first.
            tokio::time::sleep(Duration::from_millis(if flush_ms == 0 { 1500 } else { flush_ms })).await;
            let batch = std::mem::take(&mut sim.lock().held);
            deliver(&sim, last_first(batch)).await;
        }
    });
}

/// Held callbacks, the one about the latest request first (by the request's order, not by
/// when each one's delay ran out, which two timers may swap).
fn last_first(mut batch: Vec<Outgoing>) -> Vec<Outgoing> {
    batch.sort_by_key(|o| std::cmp::Reverse(o.seq));
    batch
}

/// POST each callback (each copy) in turn, logging what the receiver answered.
async fn deliver(sim: &Sim, batch: Vec<Outgoing>) {
    for out in batch {
        for _ in 0..out.copies {
            let sent =
                sim.http.post(&out.url).header(header::CONTENT_TYPE, "application/json").body(out.body.clone()).send().await;
            let (status, note) = match sent {
                Ok(r) => (Some(r.status().as_u16()), "delivered".to_string()),
                Err(e) => (None, format!("not delivered: {e}")),
            };
            let log =
                CallbackLog { kind: out.kind, originator_conversation_id: out.id.clone(), url: out.url.clone(), status, note };
            sim.lock().callbacks.push(log);
        }
    }
}

async fn status_query(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    let planned = {
        let mut guard = sim.lock();
        let inner = &mut *guard;
        inner.stats.status_queries += 1;
        if !token_ok(inner, &headers) {
            return invalid_token(inner);
        }
        let Ok(v) = serde_json::from_slice::<Value>(&body) else {
            return daraja_error(StatusCode::BAD_REQUEST, "400.002.05", "Invalid Request Payload", &mut inner.rng);
        };
        match plan_status(&sim, inner, &v) {
            Ok(planned) => planned,
            Err(field) => return bad_request(field, &mut inner.rng),
        }
    };
    let (ack, callback, delay) = planned;
    if let Some(out) = callback {
        schedule(sim, out, delay);
    }
    json_answer(StatusCode::OK, &ack)
}

type StatusPlan = (Acknowledgement, Option<Outgoing>, Duration);

fn plan_status(sim: &Sim, inner: &mut Inner, v: &Value) -> Result<StatusPlan, &'static str> {
    let initiator = text(v, "Initiator").ok_or("Initiator")?;
    let credential = text(v, "SecurityCredential").ok_or("SecurityCredential")?;
    if text(v, "CommandID").as_deref() != Some(wire::TRANSACTION_STATUS_QUERY) {
        return Err("CommandID");
    }
    text(v, "PartyA").ok_or("PartyA")?;
    text(v, "IdentifierType").ok_or("IdentifierType")?;
    text(v, "Remarks").ok_or("Remarks")?;
    let result_url = text(v, "ResultURL").filter(|u| is_http_url(u)).ok_or("ResultURL")?;
    text(v, "QueueTimeOutURL").filter(|u| is_http_url(u)).ok_or("QueueTimeOutURL")?;
    let original = text(v, "OriginalConversationID");
    let receipt = text(v, "TransactionID");
    if original.is_none() && receipt.is_none() {
        return Err("TransactionID");
    }
    let n = inner.stats.status_queries;
    let (_, compact) = daraja_times(SystemTime::now());
    let query_id = format!("sim-query-{n}");
    let query_conversation = format!("AG_{}_simq{n:07}", &compact[..8]);
    let mut result = CallbackResult {
        result_type: 0,
        result_code: codes::SUCCESS.into(),
        result_desc: "The service request is processed successfully.".into(),
        originator_conversation_id: query_id.clone(),
        conversation_id: query_conversation.clone(),
        transaction_id: String::new(),
        result_parameters: None,
        reference_data: Some(ReferenceData { items: OneOrMany(vec![KeyValue { key: "Occasion".into(), value: None }]) }),
    };
    let found = match (&original, &receipt) {
        (Some(id), _) if inner.ledger.payments.contains_key(id) => inner.ledger.payments.get_key_value(id),
        (_, Some(r)) => inner.ledger.payments.iter().find(|(_, p)| match &p.settled {
            Settled::Paid { receipt, .. } => receipt == r,
            Settled::Failed { transaction_id, .. } => transaction_id == r,
            Settled::QueueTimedOut => false,
        }),
        _ => None,
    };
    if !initiator_ok(sim, &initiator, &credential) {
        result.result_code = codes::INITIATOR_INVALID.into();
        result.result_desc = "The initiator information is invalid.".into();
    } else if let Some((id, p)) = found {
        let (status, receipt_no, reason) = match &p.settled {
            Settled::Paid { receipt, .. } => ("Completed", receipt.clone(), String::new()),
            Settled::Failed { transaction_id, description, .. } => ("Declined", transaction_id.clone(), description.clone()),
            Settled::QueueTimedOut => ("Expired", String::new(), "Timed out in the queue".into()),
        };
        result.transaction_id = receipt_no.clone();
        let mut items = vec![
            KeyValue::new("DebitPartyName", format!("{} - FUNDI (SIMULATED)", sim.opts.shortcode)),
            KeyValue::new("CreditPartyName", format!("{} - SIMULATED RECEIVER", p.receiver)),
            KeyValue::new("OriginatorConversationID", id.as_str()),
            KeyValue::new("InitiatedTime", compact.as_str()),
            KeyValue::new("DebitAccountType", "Utility Account"),
            KeyValue::new("ReasonType", "Business Payment to Customer via API"),
            KeyValue::new("TransactionStatus", status),
            KeyValue::new("FinalisedTime", compact.as_str()),
            KeyValue::new("Amount", p.amount_kes.to_string()),
            KeyValue::new("ConversationID", p.conversation_id.as_str()),
            KeyValue::new("ReceiptNo", receipt_no),
        ];
        items.push(if reason.is_empty() {
            KeyValue { key: "TransactionReason".into(), value: None }
        } else {
            KeyValue::new("TransactionReason", reason)
        });
        result.result_parameters = Some(ResultParameters { items: OneOrMany(items) });
    } else {
        result.result_code = codes::SIM_NOT_FOUND.into();
        result.result_desc = "The transaction could not be found (simulated).".into();
    }
    let out = Outgoing {
        seq: u64::MAX - n,
        kind: "status_result",
        id: original.or(receipt).unwrap_or_default(),
        url: result_url,
        body: result_body(result),
        copies: 1,
    };
    let callback = shape_callback(inner, out);
    let delay = Duration::from_millis(inner.settings.result_delay_ms + inner.faults.extra_delay_ms);
    let ack = Acknowledgement {
        conversation_id: query_conversation,
        originator_conversation_id: query_id,
        response_code: wire::ACCEPTED.into(),
        response_description: "Accept the service request successfully.".into(),
    };
    Ok((ack, callback, delay))
}

async fn certificate(State(sim): State<Arc<Sim>>) -> Response {
    ([(header::CONTENT_TYPE, "application/x-pem-file")], sim.certificate_pem().to_string()).into_response()
}

async fn get_faults(State(sim): State<Arc<Sim>>) -> Response {
    json_answer(StatusCode::OK, &sim.lock().faults.clone())
}

async fn put_faults(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let faults: Faults = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => return json_answer(StatusCode::BAD_REQUEST, &json!({"error": e.to_string()})),
    };
    let mut inner = sim.lock();
    if let Some(seed) = faults.seed {
        inner.rng = seed;
    }
    inner.faults = faults;
    json_answer(StatusCode::OK, &inner.faults.clone())
}

fn settings_view(inner: &Inner) -> Value {
    json!({"settings": inner.settings, "float_kes": inner.ledger.float_kes})
}

async fn get_settings(State(sim): State<Arc<Sim>>) -> Response {
    json_answer(StatusCode::OK, &settings_view(&sim.lock()))
}

async fn put_settings(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let change: SettingsChange = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return json_answer(StatusCode::BAD_REQUEST, &json!({"error": e.to_string()})),
    };
    let mut guard = sim.lock();
    let inner = &mut *guard;
    if let Some(t) = change.token_ttl_secs {
        inner.settings.token_ttl_secs = t;
    }
    if let Some(d) = change.result_delay_ms {
        inner.settings.result_delay_ms = d;
    }
    if let Some(u) = change.unregistered {
        inner.settings.unregistered = u;
    }
    if let Some(f) = change.float_kes {
        inner.ledger.float_kes = f;
        sim.save(&inner.ledger);
    }
    json_answer(StatusCode::OK, &settings_view(inner))
}

async fn ledger(State(sim): State<Arc<Sim>>) -> Response {
    json_answer(StatusCode::OK, &sim.lock().ledger.clone())
}

async fn callbacks(State(sim): State<Arc<Sim>>) -> Response {
    json_answer(StatusCode::OK, &sim.lock().callbacks.clone())
}

async fn stats(State(sim): State<Arc<Sim>>) -> Response {
    json_answer(StatusCode::OK, &sim.lock().stats.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_fire_by_percentage_deterministically_and_run_out() {
        let mut always = Switch { percent: 100, times: Some(2) };
        let mut rng = 7;
        assert_eq!((0..4).map(|_| fires(&mut always, &mut rng)).collect::<Vec<_>>(), [true, true, false, false]);
        let draws = |seed: u64| {
            let mut half = Switch { percent: 50, times: None };
            let mut rng = seed;
            (0..200).map(|_| fires(&mut half, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draws(42), draws(42), "the same seed, the same choices");
        assert_ne!(draws(42), draws(43));
        let hits = draws(42).iter().filter(|h| **h).count();
        assert!((60..140).contains(&hits), "{hits} of 200 at 50%");
        let parsed: Faults = serde_json::from_str(r#"{"drop_callbacks": 30, "queue_timeout": {"times": 1}}"#).unwrap();
        assert_eq!(parsed.drop_callbacks, Switch { percent: 30, times: None });
        assert_eq!(parsed.queue_timeout, Switch { percent: 100, times: Some(1) });
        assert!(serde_json::from_str::<Faults>(r#"{"drop_callback": 30}"#).is_err(), "a misspelt switch is refused");
    }

    #[test]
    fn times_are_written_as_daraja_writes_them() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_720_306_132); // 2024-07-06 22:48:52 UTC
        assert_eq!(daraja_times(at), ("06.07.2024 22:48:52".to_string(), "20240706224852".to_string()));
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29 00:00:00 UTC
        assert_eq!(daraja_times(leap).1, "20000229000000");
    }

    #[test]
    fn b2c_requests_are_checked_field_by_field() {
        let good = json!({"OriginatorConversationID": "p1", "InitiatorName": "i", "SecurityCredential": "c",
            "CommandID": "BusinessPayment", "Amount": "100", "PartyA": "600000", "PartyB": "254712345678",
            "Remarks": "payout", "QueueTimeOutURL": "http://127.0.0.1:1/t", "ResultURL": "http://127.0.0.1:1/r"});
        assert_eq!(check_b2c(&good).unwrap().amount_kes, 100);
        for (field, bad) in [
            ("Amount", json!(10.5)),
            ("Amount", json!("1e3")),
            ("Amount", json!(0)),
            ("PartyB", json!("0712345678")),
            ("CommandID", json!("Pay")),
            ("Remarks", json!("x")),
            ("ResultURL", json!("not a url")),
        ] {
            let mut v = good.clone();
            v[field] = bad;
            assert_eq!(check_b2c(&v).err(), Some(field));
        }
    }
}
