//! The encrypted, authenticated link (ADR 0011), with real components: a real `fundi-depot
//! serve` over TLS, real phone stores, and a man in the middle on loopback that terminates TLS
//! with its own certificate and relays requests to the real depot (as an attacker on the
//! depot's Wi-Fi would). Also: key rotation announced in time, plain HTTP refused on both
//! sides, one TCP connection per sync and TLS sessions resumed between syncs.

mod common;

use common::{basket, raw_client, Server};
use fundi_core::replica::SyncError;
use fundi_core::{Error, Store};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A relay with its own key: it accepts TLS from the phone with a self-signed certificate of
/// its own, reads each HTTP request, forwards it to the real depot and writes the answer back.
/// It records every request it read (method, path, authorization header).
struct ManInTheMiddle {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl ManInTheMiddle {
    fn start(depot_url: &str) -> ManInTheMiddle {
        let key = rcgen::generate_simple_self_signed(vec!["fundi-depot".into(), "localhost".into()]).unwrap();
        let chain = vec![key.cert.der().clone()];
        let private = rustls::pki_types::PrivateKeyDer::try_from(key.key_pair.serialize_der()).unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, private)
                .unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(vec![]));
        let (log, upstream) = (seen.clone(), depot_url.to_string());
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (config, log, upstream) = (config.clone(), log.clone(), upstream.clone());
                std::thread::spawn(move || {
                    let conn = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(conn, tcp);
                    while relay_one(&mut tls, &upstream, &log).is_some() {}
                });
            }
        });
        ManInTheMiddle { url, seen }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// Read one HTTP/1.1 request from the phone, forward it, write the answer; `None` when the
/// connection ends (or the phone's handshake failed).
fn relay_one(tls: &mut (impl Read + Write), upstream: &str, log: &Mutex<Vec<String>>) -> Option<()> {
    let mut reader = BufReader::new(&mut *tls);
    let mut head = String::new();
    reader.read_line(&mut head).ok().filter(|n| *n > 0)?;
    let mut parts = head.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = vec![];
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers.iter().find(|(k, _)| k == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let auth = headers.iter().find(|(k, _)| k == "authorization").map_or("", |(_, v)| v.as_str());
    log.lock().unwrap().push(format!("{method} {path} {auth}"));
    let mut req = raw_client().request(method.parse().unwrap(), format!("{upstream}{path}"));
    for (k, v) in &headers {
        if ["content-type", "content-encoding", "authorization"].contains(&k.as_str()) {
            req = req.header(k, v);
        }
    }
    let resp = req.body(body).send().ok()?;
    let status = resp.status().as_u16();
    let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    let answer = resp.bytes().ok()?;
    let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", answer.len());
    if let Some(ct) = content_type {
        out += &format!("content-type: {ct}\r\n");
    }
    out += "\r\n";
    tls.write_all(out.as_bytes()).ok()?;
    tls.write_all(&answer).ok()?;
    tls.flush().ok()
}

fn identity_changed(e: &Error) -> bool {
    matches!(e, Error::Sync(SyncError::DepotIdentityChanged { .. }))
}

/// Point an enrolled phone at another address (as a spoofed DNS or ARP answer would).
fn redirect(db: &std::path::Path, url: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    c.execute("UPDATE sync_state SET server_url = ?1", [url]).unwrap();
}

#[test]
fn a_phone_enrolled_with_the_depot_refuses_a_man_in_the_middle_and_sends_it_no_token() {
    let s = Server::start();
    let (phone, _) = s.phone("artisan", "wanjiru", None);
    phone.create_draft(basket()).unwrap();
    phone.sync_now(None).unwrap();
    phone.create_draft(basket()).unwrap();
    let mitm = ManInTheMiddle::start(&s.url);
    redirect(&s.dir.path().join("wanjiru.db"), &mitm.url);
    let e = phone.sync_now(None).unwrap_err();
    assert!(identity_changed(&e), "{e:?}");
    // Never retried around: a second sync meets the same refusal, and nothing went through.
    assert!(identity_changed(&phone.sync_now(None).unwrap_err()));
    assert_eq!(mitm.requests(), Vec::<String>::new(), "the phone sent nothing to the impostor");
    assert_eq!(phone.pending_count().unwrap(), 1, "the unsent draft waits in the outbox");
    // Back on the real depot, it syncs.
    redirect(&s.dir.path().join("wanjiru.db"), &s.url);
    assert_eq!(phone.sync_now(None).unwrap().pushed, 1);
}

#[test]
fn enrolling_through_a_man_in_the_middle_fails_and_issues_no_credential() {
    let s = Server::start();
    let (_, code) = s.account("artisan", "achieng", None);
    let mitm = ManInTheMiddle::start(&s.url);
    let dir = tempfile::tempdir().unwrap();
    let phone = Store::open(dir.path().join("p.db")).unwrap();
    let e = phone.enroll_device(&mitm.url, &code).unwrap_err();
    assert!(identity_changed(&e), "{e:?}");
    // The relay saw the exchange, but never the code, and the depot issued nothing.
    let seen = mitm.requests().join("\n");
    assert!(seen.contains("/v1/enroll/finish"), "{seen}");
    assert!(!seen.contains(&code) && !seen.contains(&code.replace('-', "")), "the code never crosses the wire");
    let devices: i64 = s.db().query_row("SELECT COUNT(*) FROM devices", [], |r| r.get(0)).unwrap();
    assert_eq!(devices, 0);
    assert!(matches!(phone.sync_now(None).unwrap_err(), Error::Sync(SyncError::NotEnrolled)));
    // The code is not spent: the same phone enrolls with the real depot.
    phone.enroll_device(&s.url, &code).unwrap();
    phone.sync_now(None).unwrap();
}

#[test]
fn an_announced_key_is_taken_by_phones_that_synced_in_time_and_the_others_are_refused() {
    let mut s = Server::start();
    let (early, _) = s.phone("artisan", "early", None);
    let (late, _) = s.phone("artisan", "late", None);
    early.sync_now(None).unwrap();
    late.sync_now(None).unwrap();
    let old = s.key.clone();
    let next = s.cli(&["tls-key", "next"]);
    s.restart(&[]);
    assert_eq!(s.key, old, "announcing does not switch");
    early.sync_now(None).unwrap(); // hears the announcement
    let stored: String = rusqlite::Connection::open(s.dir.path().join("early.db"))
        .unwrap()
        .query_row("SELECT depot_next_key FROM sync_state", [], |r| r.get(0))
        .unwrap();
    assert!(next.contains(&stored), "the phone keeps the announced key: {next} / {stored}");
    s.cli(&["tls-key", "switch"]);
    s.restart(&[]);
    assert_ne!(s.key, old);
    assert!(next.contains(s.key.as_hex()));
    early.create_draft(basket()).unwrap();
    assert_eq!(early.sync_now(None).unwrap().pushed, 1, "the phone that heard it moves to the new key");
    let pinned: String = rusqlite::Connection::open(s.dir.path().join("early.db"))
        .unwrap()
        .query_row("SELECT depot_key FROM sync_state", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pinned, s.key.as_hex());
    let e = late.sync_now(None).unwrap_err();
    assert!(identity_changed(&e), "a phone that missed the announcement is told: {e:?}");
}

#[test]
fn plain_http_is_refused_by_default_on_both_sides() {
    let s = Server::start();
    assert!(s.url.starts_with("https://"));
    // The depot speaks only TLS on its port: a plain request gets no HTTP answer.
    let plain = s.url.replace("https://", "http://");
    let r = reqwest::blocking::Client::new().get(format!("{plain}/v1/health")).send();
    assert!(r.is_err() || !r.unwrap().status().is_success(), "plain HTTP got an answer");
    // The phone refuses an http:// depot before opening any connection.
    let (_, code) = s.account("artisan", "a", None);
    let dir = tempfile::tempdir().unwrap();
    let phone = Store::open(dir.path().join("p.db")).unwrap();
    let e = phone.enroll_device(&plain, &code).unwrap_err();
    assert!(matches!(e, Error::Sync(SyncError::InsecureUrl(_))), "{e:?}");
    // Plain HTTP exists only behind the development flag, and says so.
    let dev = Server::start_with(&["--insecure-http"]);
    assert!(dev.url.starts_with("http://"), "{}", dev.url);
    let r = reqwest::blocking::Client::new().get(format!("{}/v1/health", dev.url)).send().unwrap();
    assert_eq!(r.status(), 200);
}

/// A TCP relay that counts connections and the bytes the depot sends (handshakes included).
struct Counter {
    url: String,
    connections: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
}

fn counter(depot_url: &str) -> Counter {
    let target = depot_url.trim_start_matches("https://").to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let (connections, down) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (n, d) = (connections.clone(), down.clone());
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            n.fetch_add(1, Ordering::SeqCst);
            let server = TcpStream::connect(&target).unwrap();
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || copy(c2, s2, None));
            let d = d.clone();
            std::thread::spawn(move || copy(server, client, Some(d)));
        }
    });
    Counter { url, connections, down }
}

fn copy(mut from: TcpStream, mut to: TcpStream, count: Option<Arc<AtomicU64>>) {
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
        if let Some(c) = &count {
            c.fetch_add(n as u64, Ordering::SeqCst);
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

#[test]
fn a_sync_uses_one_connection_and_the_next_sync_resumes_the_tls_session() {
    let s = Server::start();
    let link = counter(&s.url);
    let (_, code) = s.account("artisan", "njeri", None);
    let dir = tempfile::tempdir().unwrap();
    let phone = Store::open(dir.path().join("p.db")).unwrap();
    phone.enroll_device(&link.url, &code).unwrap();
    for _ in 0..3 {
        phone.create_draft(basket()).unwrap();
    }
    let settle = || std::thread::sleep(std::time::Duration::from_millis(100));
    let (c0, d0) = (link.connections.load(Ordering::SeqCst), link.down.load(Ordering::SeqCst));
    fundi_core::replica::pinning::forget_sessions();
    let report = phone.sync_now(None).unwrap();
    settle();
    assert!(report.wire.round_trips >= 2, "{report:?}");
    let (c1, d1) = (link.connections.load(Ordering::SeqCst), link.down.load(Ordering::SeqCst));
    assert_eq!(c1 - c0, 1, "{} requests over one connection", report.wire.round_trips);
    // The next sync: a new connection, but a resumed session: the depot sends no certificate.
    let again = phone.sync_now(None).unwrap();
    settle();
    let (c2, d2) = (link.connections.load(Ordering::SeqCst), link.down.load(Ordering::SeqCst));
    assert_eq!(c2 - c1, 1);
    let full = (d1 - d0) - report.wire.bytes_received;
    let resumed = (d2 - d1) - again.wire.bytes_received;
    assert!(resumed + 200 < full, "TLS overhead: full handshake {full} B, resumed {resumed} B");
}
