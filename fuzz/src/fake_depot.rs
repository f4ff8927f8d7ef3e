//! A fake depot on loopback for a real phone store (`fundi_core::Store`): it enrolls the phone
//! as [`ME`], answers pushes (every mutation applied, or none answered), and serves the pull
//! pages it is given, byte for byte, then an empty last page. HTTP/1.1, one request per
//! connection, just enough for the phone's client.

use fundi_sync::compression::gunzip;
use fundi_sync::hlc::Timestamp;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};

/// The account the phone is enrolled as.
pub const ME: &str = "a0000000-0000-7000-8000-000000000001";
/// Another artisan, and this account's mentor.
pub const OTHER: &str = "a0000000-0000-7000-8000-000000000002";
/// The depot's clock in its answers (a little before the test machines' own).
pub const SERVER_TIME: Timestamp = Timestamp { wall_ms: 1_760_000_000_000, counter: 0, node: 99 };

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

pub struct FakeDepot {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

/// One fake depot per fuzzing process.
pub fn shared() -> &'static FakeDepot {
    static DEPOT: OnceLock<FakeDepot> = OnceLock::new();
    DEPOT.get_or_init(FakeDepot::start)
}

impl FakeDepot {
    pub fn start() -> FakeDepot {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let script = Arc::new(Mutex::new(Script::default()));
        let s = script.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = serve(stream, &s);
            }
        });
        FakeDepot { url, script }
    }

    /// Serve `pages` to the next pulls, then an empty page at the last cursor served (at first
    /// `cursor`, the phone's own).
    pub fn set(&self, pages: Vec<Vec<u8>>, cursor: u64, apply_pushes: bool) {
        let mut s = self.script.lock().unwrap_or_else(|p| p.into_inner());
        *s = Script { pages: pages.into(), last_cursor: cursor, apply_pushes };
    }
}

impl FakeDepot {
    /// The cursor of the last page served (the phone's, after a sync that succeeded).
    pub fn last_cursor(&self) -> u64 {
        self.script.lock().unwrap_or_else(|p| p.into_inner()).last_cursor
    }
}

fn serve(stream: TcpStream, script: &Mutex<Script>) -> std::io::Result<()> {
    let mut r = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
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
    let path = target.split('?').next().unwrap_or("");
    let (status, answer) = match (method.as_str(), path) {
        ("POST", "/v1/enroll") => {
            let req: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let json = serde_json::json!({"account_id": ME, "role": "artisan", "device_id": req["device_id"], "token": "fuzz-token",
                "token_expires_ms": u64::MAX / 2, "server_time": SERVER_TIME});
            (200, json.to_string().into_bytes())
        }
        ("POST", "/v1/sync/push") => {
            let req: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let apply = script.lock().unwrap_or_else(|p| p.into_inner()).apply_pushes;
            let results: Vec<serde_json::Value> = match req["mutations"].as_array() {
                Some(ms) if apply => ms.iter().map(|m| serde_json::json!({"counter": m["counter"]})).collect(),
                _ => vec![],
            };
            (200, serde_json::json!({"protocol": 1, "results": results, "server_time": SERVER_TIME}).to_string().into_bytes())
        }
        ("GET", "/v1/sync/pull") => {
            let mut s = script.lock().unwrap_or_else(|p| p.into_inner());
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
    };
    let mut w = stream;
    write!(
        w,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        answer.len()
    )?;
    w.write_all(&answer)?;
    w.flush()
}
