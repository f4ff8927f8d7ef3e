//! A fake depot on loopback for a real phone store (`fundi_core::Store`): it serves HTTPS with
//! its own self-signed key (the phone refuses plain HTTP and pins the key it enrolled with),
//! enrolls the phone as [`ME`] through the real key exchange over [`CODE`] (the depot's pure
//! steps of `fundi_sync::enrollment`, bound to its own key's fingerprint), answers pushes
//! (every mutation applied, or none answered), and serves the pull pages it is given, byte for
//! byte, then an empty last page. HTTP/1.1 over rustls on std sockets, a thread per connection,
//! connections kept open between requests (the phone keeps one for a whole sync): just enough
//! for the phone's client.

use fundi_sync::compression::gunzip;
use fundi_sync::enrollment::{
    self, code_id, code_secret, normalize_code, EnrollError, EnrollFinishRequest, EnrollStartReply, EnrollStartRequest,
};
use fundi_sync::hlc::Timestamp;
use fundi_sync::identity::{fingerprint_of_cert, KeyFingerprint};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The account the phone is enrolled as.
pub const ME: &str = "a0000000-0000-7000-8000-000000000001";
/// Another artisan, and this account's mentor.
pub const OTHER: &str = "a0000000-0000-7000-8000-000000000002";
/// The depot's clock in its answers (a little before the test machines' own).
pub const SERVER_TIME: Timestamp = Timestamp { wall_ms: 1_760_000_000_000, counter: 0, node: 99 };
/// The one enrollment code this depot knows (any number of phones may use it).
pub const CODE: &str = "F00D-CAFE-0001";

/// What the fake depot answers until told otherwise.
#[derive(Default)]
pub struct Script {
    /// Bodies of the next pull answers, in order.
    pub pages: VecDeque<Vec<u8>>,
    /// The cursor of the empty page served once `pages` is drained.
    pub last_cursor: u64,
    /// Answer every pushed mutation as applied (else answer none: they stay pending).
    pub apply_pushes: bool,
}

/// What the connections share: the script, the key's fingerprint, and the key exchanges
/// between their two requests (by session id).
struct State {
    script: Mutex<Script>,
    fingerprint: KeyFingerprint,
    sessions: Mutex<HashMap<String, Vec<u8>>>,
    next_session: Mutex<u64>,
}

pub struct FakeDepot {
    pub url: String,
    /// The fingerprint of the key it serves (what an enrolled phone pins).
    pub fingerprint: KeyFingerprint,
    state: Arc<State>,
}

/// One fake depot per fuzzing process.
pub fn shared() -> &'static FakeDepot {
    static DEPOT: OnceLock<FakeDepot> = OnceLock::new();
    DEPOT.get_or_init(FakeDepot::start)
}

/// A self-signed certificate and the rustls configuration that serves it.
fn tls_config() -> (Arc<rustls::ServerConfig>, KeyFingerprint) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("a self-signed certificate");
    let cert: CertificateDer<'static> = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()));
    let fingerprint = fingerprint_of_cert(&cert).expect("rcgen's certificate parses");
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("the key fits the certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (Arc::new(config), fingerprint)
}

impl FakeDepot {
    pub fn start() -> FakeDepot {
        let (config, fingerprint) = tls_config();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("https://{}", listener.local_addr().expect("address"));
        let state = Arc::new(State {
            script: Mutex::new(Script::default()),
            fingerprint: fingerprint.clone(),
            sessions: Mutex::new(HashMap::new()),
            next_session: Mutex::new(0),
        });
        let s = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, config) = (s.clone(), config.clone());
                std::thread::spawn(move || {
                    let _ = connection(stream, config, &s);
                });
            }
        });
        FakeDepot { url, fingerprint, state }
    }

    /// Serve `pages` to the next pulls, then an empty page at the last cursor served (at first
    /// `cursor`, the phone's own).
    pub fn set(&self, pages: Vec<Vec<u8>>, cursor: u64, apply_pushes: bool) {
        let mut s = self.state.script.lock().unwrap_or_else(|p| p.into_inner());
        *s = Script { pages: pages.into(), last_cursor: cursor, apply_pushes };
    }

    /// The cursor of the last page served (the phone's, after a sync that succeeded).
    pub fn last_cursor(&self) -> u64 {
        self.state.script.lock().unwrap_or_else(|p| p.into_inner()).last_cursor
    }
}

/// One TLS connection: requests answered in turn until the phone closes it (or leaves it idle
/// for half a minute).
fn connection(tcp: TcpStream, config: Arc<rustls::ServerConfig>, state: &State) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    tcp.set_nodelay(true)?;
    let tls = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut r = BufReader::new(rustls::StreamOwned::new(tls, tcp));
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
        let (mut len, mut gz) = (0usize, false);
        loop {
            let mut h = String::new();
            if r.read_line(&mut h)? == 0 || h == "\r\n" {
                break;
            }
            let lower = h.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("content-encoding:") && lower.contains("gzip") {
                gz = true;
            }
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body)?;
        if gz {
            body = gunzip(&body, 64 << 20).unwrap_or_default();
        }
        let (status, answer) = answer(&method, &target, &body, state);
        // One write, so one run of TLS records: a head written apart from its body would wait
        // for the phone's delayed acknowledgement (Nagle), some 40 ms an answer.
        let mut out =
            format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", answer.len())
                .into_bytes();
        out.extend_from_slice(&answer);
        let w = r.get_mut();
        w.write_all(&out)?;
        w.flush()?;
    }
}

fn error(status: u16, code: &str) -> (u16, Vec<u8>) {
    (status, serde_json::json!({"error": code, "detail": "fake depot"}).to_string().into_bytes())
}

fn answer(method: &str, target: &str, body: &[u8], state: &State) -> (u16, Vec<u8>) {
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("POST", "/v1/enroll/start") => {
            let Ok(req) = serde_json::from_slice::<EnrollStartRequest>(body) else { return error(400, "malformed") };
            let code = normalize_code(CODE).expect("a well-formed code");
            if req.code_id != code_id(&code) {
                return error(401, "unauthorized");
            }
            let Ok((key, spake)) = enrollment::depot_start(&code_secret(&code), &req) else { return error(400, "malformed") };
            let session = {
                let mut n = state.next_session.lock().unwrap_or_else(|p| p.into_inner());
                *n += 1;
                format!("fuzz-session-{n}")
            };
            state.sessions.lock().unwrap_or_else(|p| p.into_inner()).insert(session.clone(), key);
            (200, serde_json::to_vec(&EnrollStartReply { session, spake }).expect("serializes"))
        }
        ("POST", "/v1/enroll/finish") => {
            let Ok(req) = serde_json::from_slice::<EnrollFinishRequest>(body) else { return error(400, "malformed") };
            let Some(key) = state.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(&req.session) else {
                return error(401, "unauthorized");
            };
            match enrollment::depot_check_finish(&key, &state.fingerprint, &req) {
                Ok(()) => {}
                Err(EnrollError::IdentityMismatch) => return error(403, "depot_identity_changed"),
                Err(_) => return error(401, "unauthorized"),
            }
            let json = serde_json::json!({"account_id": ME, "role": "artisan", "device_id": req.device_id, "token": "fuzz-token",
                "token_expires_ms": u64::MAX / 2, "server_time": SERVER_TIME,
                "depot_proof": enrollment::depot_proof(&key, &state.fingerprint)});
            (200, json.to_string().into_bytes())
        }
        ("POST", "/v1/sync/push") => {
            let req: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let apply = state.script.lock().unwrap_or_else(|p| p.into_inner()).apply_pushes;
            let results: Vec<serde_json::Value> = match req["mutations"].as_array() {
                Some(ms) if apply => ms.iter().map(|m| serde_json::json!({"counter": m["counter"]})).collect(),
                _ => vec![],
            };
            (200, serde_json::json!({"protocol": 1, "results": results, "server_time": SERVER_TIME}).to_string().into_bytes())
        }
        ("GET", "/v1/sync/pull") => {
            let mut s = state.script.lock().unwrap_or_else(|p| p.into_inner());
            match s.pages.pop_front() {
                Some(page) => {
                    let v: serde_json::Value = serde_json::from_slice(&page).unwrap_or_default();
                    if let Some(c) = v["cursor"].as_u64() {
                        s.last_cursor = c;
                    }
                    (200, page)
                }
                None => {
                    let last = serde_json::json!({"protocol": 1, "changes": [], "cursor": s.last_cursor, "more": false,
                        "server_time": SERVER_TIME});
                    (200, last.to_string().into_bytes())
                }
            }
        }
        _ => (404, br#"{"error":"not_found","detail":"no such endpoint"}"#.to_vec()),
    }
}
