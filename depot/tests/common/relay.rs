//! A relay between phones and the depot that reads the HTTP inside the TLS, for tests that must
//! count what an upload really sent: it presents the depot's own certificate and key (read from
//! the data directory, so a phone's pin holds), forwards each HTTP/1.1 request and answer to the
//! depot over TLS pinned to that same key, and records every tus `PATCH`: the blob it is for
//! (learnt from the creation's `Upload-Metadata` and `Location`), its `Upload-Offset`, its
//! declared length and the body bytes it forwarded to the depot before the answer or a cut.
//!
//! One trigger at a time can be armed on a blob: once the bytes forwarded reach an offset of it
//! (or at the start of a `PATCH` beyond that offset) the relay cuts the link there, or holds the
//! connection until the test (having killed the phone or the depot) releases it and then cuts,
//! or only tells the test and goes on.
//!
//! A connection the depot closes is closed on the phone's side only when the phone next uses
//! it (the relay reads one side at a time): the phone always loses the race a real network may
//! let it win, so a depot that drops connections shows.

use fundi_core::replica::pinning::{client_config, Trust};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConnection, ServerConnection, StreamOwned};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

/// What an armed trigger does when reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// Drop the link: both connections are shut down, the bytes before the offset forwarded.
    Cut,
    /// Stop forwarding and wait for [`TusRelay::release`], then drop the link.
    Hold,
    /// Tell the test and go on forwarding.
    Notify,
}

#[derive(Clone, Debug)]
pub struct Trigger {
    pub sha256: String,
    /// The blob's byte offset: the trigger acts once the bytes forwarded of it reach this.
    pub at: u64,
    pub act: Act,
}

/// One `PATCH` as the relay forwarded it.
#[derive(Clone, Debug)]
pub struct Patch {
    /// The test's count of runs when it was sent ([`TusRelay::set_epoch`]).
    pub epoch: u32,
    pub sha256: String,
    /// Its `Upload-Offset`.
    pub offset: u64,
    /// Its `Content-Length`: the chunk the phone sent.
    pub declared: u64,
    /// Body bytes written to the depot's connection.
    pub forwarded: u64,
    /// The status of the answer passed back to the phone whole, if one was.
    pub answer: Option<u16>,
}

/// A trigger that acted: its blob, the blob's offset where it acted, and its `PATCH` (an index
/// into [`TusRelay::patches`]).
#[derive(Clone, Debug)]
pub struct Reached {
    pub sha256: String,
    pub at: u64,
    pub patch: usize,
    pub act: Act,
}

#[derive(Default)]
struct State {
    epoch: u32,
    trigger: Option<Trigger>,
    /// Releases so far (a held connection waits for the next one).
    releases: u64,
    /// Upload path -> the blob it was created for.
    uploads: HashMap<String, String>,
    patches: Vec<Patch>,
}

struct Shared {
    state: Mutex<State>,
    /// Connections being relayed.
    open: std::sync::atomic::AtomicUsize,
    wake: Condvar,
    events: Mutex<mpsc::Sender<Reached>>,
    /// The depot's address (`host:port`), the same across restarts.
    depot: String,
    upstream: Arc<rustls::ClientConfig>,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct TusRelay {
    /// The address phones enroll with.
    pub url: String,
    shared: Arc<Shared>,
    events: mpsc::Receiver<Reached>,
}

fn tls_files(data_dir: &Path) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let dir = data_dir.join("tls");
    let chain = CertificateDer::pem_file_iter(dir.join("current.cert.pem")).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    (chain, PrivateKeyDer::from_pem_file(dir.join("current.key.pem")).unwrap())
}

impl TusRelay {
    /// A relay in front of `server` (whose key is the one in its data directory).
    pub fn start(server: &super::Server) -> TusRelay {
        let (chain, key) = tls_files(&server.data_dir());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain.clone(), key)
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = Arc::new(config);
        let trust = Trust::Pinned { current: server.key.clone(), cert: chain[0].to_vec(), next: None };
        let (upstream, _) = client_config(trust).unwrap();
        let (tx, events) = mpsc::channel();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            open: Default::default(),
            wake: Condvar::new(),
            events: Mutex::new(tx),
            depot: server.url.trim_start_matches("https://").to_string(),
            upstream: Arc::new(upstream),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let relay = shared.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (shared, config) = (relay.clone(), config.clone());
                shared.open.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let _ = relay_connection(&shared, config, tcp);
                    shared.open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        TusRelay { url, shared, events }
    }

    /// Tag the `PATCH`es from now on with `epoch` (the test's count of runs).
    pub fn set_epoch(&self, epoch: u32) {
        self.shared.state().epoch = epoch;
    }

    /// Arm `trigger` (replacing any other).
    pub fn arm(&self, trigger: Trigger) {
        self.shared.state().trigger = Some(trigger);
    }

    /// Disarm the trigger, if it did not act: it is returned.
    pub fn disarm(&self) -> Option<Trigger> {
        self.shared.state().trigger.take()
    }

    /// The next trigger that acted, waiting up to `timeout`.
    pub fn reached(&self, timeout: Duration) -> Option<Reached> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Let a held connection go (it is cut).
    pub fn release(&self) {
        self.shared.state().releases += 1;
        self.shared.wake.notify_all();
    }

    /// Wait until no connection is being relayed (a killed phone's may still forward what it
    /// had sent); panics after `timeout`.
    pub fn wait_idle(&self, timeout: Duration) {
        let deadline = std::time::Instant::now() + timeout;
        while self.shared.open.load(Ordering::SeqCst) > 0 {
            assert!(std::time::Instant::now() < deadline, "connections still relayed after {timeout:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every `PATCH` forwarded so far, in the order they began.
    pub fn patches(&self) -> Vec<Patch> {
        self.shared.state().patches.clone()
    }
}

/// An HTTP/1.1 head: the start line and the headers (names in lower case), and its raw bytes.
struct Head {
    raw: Vec<u8>,
    start: Vec<String>,
    headers: HashMap<String, String>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    fn content_length(&self) -> Option<u64> {
        self.header("content-length").and_then(|v| v.trim().parse().ok())
    }

    fn chunked(&self) -> bool {
        self.header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }
}

fn broken(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Read a head; `None` at a clean end of the connection before one.
fn read_head(from: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut raw = Vec::new();
    loop {
        let before = raw.len();
        if from.read_until(b'\n', &mut raw)? == 0 {
            return if raw.is_empty() { Ok(None) } else { Err(broken("the connection ended inside a head")) };
        }
        if &raw[before..] == b"\r\n" {
            break;
        }
        if raw.len() > 64 * 1024 {
            return Err(broken("a head over 64 KiB"));
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let mut lines = text.split("\r\n");
    let start = lines.next().unwrap_or_default().split(' ').map(String::from).collect();
    let headers =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())).collect();
    Ok(Some(Head { raw, start, headers }))
}

/// Copy a chunked body verbatim, to its last chunk and trailers.
fn copy_chunked(from: &mut impl BufRead, to: &mut impl Write) -> io::Result<()> {
    loop {
        let mut line = Vec::new();
        from.read_until(b'\n', &mut line)?;
        to.write_all(&line)?;
        let text = String::from_utf8_lossy(&line);
        let size =
            u64::from_str_radix(text.split(';').next().unwrap_or_default().trim(), 16).map_err(|_| broken("chunk size"))?;
        if size == 0 {
            // Trailers, then the empty line.
            loop {
                let mut t = Vec::new();
                if from.read_until(b'\n', &mut t)? == 0 || t == b"\r\n" {
                    to.write_all(&t)?;
                    return Ok(());
                }
                to.write_all(&t)?;
            }
        }
        io::copy(&mut from.take(size + 2), to)?;
    }
}

/// Copy a body framed by `head` (`bodyless`: an answer to `HEAD`, or a status without a body).
fn copy_body(head: &Head, bodyless: bool, from: &mut impl BufRead, to: &mut impl Write) -> io::Result<()> {
    if bodyless {
        return Ok(());
    }
    if head.chunked() {
        return copy_chunked(from, to);
    }
    let copied = match head.content_length() {
        Some(n) => io::copy(&mut from.take(n), to)? == n,
        // An answer without a length runs to the end of the connection.
        None if head.start[0].starts_with("HTTP/") => io::copy(from, to).map(|_| true)?,
        None => true,
    };
    if !copied {
        return Err(broken("the body ended early"));
    }
    Ok(())
}

type Client = BufReader<StreamOwned<ServerConnection, TcpStream>>;
type Depot = BufReader<StreamOwned<ClientConnection, TcpStream>>;

/// Forward a `PATCH` body (`Content-Length` bytes), recording it as `patches[index]` and acting
/// on the trigger. `Err` when the link was cut.
fn forward_patch(shared: &Shared, index: usize, client: &mut Client, depot: &mut Depot, cut: &dyn Fn()) -> io::Result<()> {
    let (sha256, offset, declared) = {
        let s = shared.state();
        let p = &s.patches[index];
        (p.sha256.clone(), p.offset, p.declared)
    };
    let mut buf = vec![0u8; 16 * 1024];
    let mut done = 0u64;
    loop {
        // The trigger acts at its offset, or at once if this chunk starts past it.
        // (With the releases seen so far: a hold waits for the next one.)
        let fire = {
            let mut s = shared.state();
            let due = s.trigger.as_ref().is_some_and(|t| t.sha256 == sha256 && t.at <= offset + done);
            if due {
                s.trigger.take().map(|t| (t, s.releases))
            } else {
                None
            }
        };
        if let Some((t, seen)) = fire {
            let reached = Reached { sha256: sha256.clone(), at: offset + done, patch: index, act: t.act };
            let _ = shared.events.lock().unwrap_or_else(|p| p.into_inner()).send(reached);
            match t.act {
                Act::Cut => {
                    cut();
                    return Err(broken("cut by the trigger"));
                }
                Act::Hold => {
                    let mut s = shared.state();
                    while s.releases == seen {
                        s = shared.wake.wait(s).unwrap_or_else(|p| p.into_inner());
                    }
                    drop(s);
                    cut();
                    return Err(broken("cut after a hold"));
                }
                Act::Notify => {}
            }
        }
        if done == declared {
            return Ok(());
        }
        // Up to the trigger's offset at most, so that it acts exactly there.
        let until = {
            let s = shared.state();
            match &s.trigger {
                Some(t) if t.sha256 == sha256 && t.at > offset + done => t.at - offset - done,
                _ => u64::MAX,
            }
        };
        let want = (buf.len() as u64).min(declared - done).min(until) as usize;
        let n = client.read(&mut buf[..want])?;
        if n == 0 {
            return Err(broken("the phone's body ended early"));
        }
        depot.get_mut().write_all(&buf[..n])?;
        depot.get_mut().flush()?;
        done += n as u64;
        shared.state().patches[index].forwarded = done;
    }
}

/// A TLS connection to the depot at `address` (`host:port`), trusting the key `config` pins.
fn connect(address: &str, config: Arc<rustls::ClientConfig>) -> io::Result<Depot> {
    let up = TcpStream::connect(address)?;
    // The pin replaces the name (`pinning.rs`); a name of its own keeps its sessions apart.
    let name = ServerName::try_from("depot.relay").unwrap();
    let conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
    Ok(BufReader::new(StreamOwned::new(conn, up)))
}

/// One connection to `server`, over TLS pinned to its key, for HTTP/1.1 written by hand (see
/// [`read_answer`]).
pub fn connect_to(server: &super::Server) -> BufReader<StreamOwned<ClientConnection, TcpStream>> {
    let (chain, _) = tls_files(&server.data_dir());
    let trust = Trust::Pinned { current: server.key.clone(), cert: chain[0].to_vec(), next: None };
    connect(server.url.trim_start_matches("https://"), Arc::new(client_config(trust).unwrap().0)).unwrap()
}

/// Read an answer on a connection of [`connect_to`]: (status, headers in lower case, body). `to_head`:
/// it answers a `HEAD` (no body).
pub fn read_answer(from: &mut impl BufRead, to_head: bool) -> io::Result<(u16, HashMap<String, String>, Vec<u8>)> {
    let head = read_head(from)?.ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "the depot closed the connection"))?;
    let status: u16 = head.start.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut body = vec![];
    copy_body(&head, to_head || status == 204 || status == 304 || status < 200, from, &mut body)?;
    Ok((status, head.headers, body))
}

fn relay_connection(shared: &Shared, config: Arc<rustls::ServerConfig>, tcp: TcpStream) -> io::Result<()> {
    let phone_socket = tcp.try_clone()?;
    let mut client: Client = BufReader::new(StreamOwned::new(ServerConnection::new(config).map_err(io::Error::other)?, tcp));
    let mut depot = connect(&shared.depot, shared.upstream.clone())?;
    let depot_socket = depot.get_ref().sock.try_clone()?;
    let cut = || {
        let _ = phone_socket.shutdown(Shutdown::Both);
        let _ = depot_socket.shutdown(Shutdown::Both);
    };
    let result = (|| -> io::Result<()> {
        while let Some(req) = read_head(&mut client)? {
            let method = req.start[0].clone();
            let path = req.start.get(1).cloned().unwrap_or_default();
            let upload = shared.state().uploads.get(&path).cloned();
            let patch = match (method.as_str(), upload) {
                ("PATCH", Some(sha256)) => {
                    let mut s = shared.state();
                    let offset = req.header("upload-offset").and_then(|v| v.parse().ok()).unwrap_or(0);
                    let declared = req.content_length().unwrap_or(0);
                    let epoch = s.epoch;
                    s.patches.push(Patch { epoch, sha256, offset, declared, forwarded: 0, answer: None });
                    Some(s.patches.len() - 1)
                }
                _ => None,
            };
            depot.get_mut().write_all(&req.raw)?;
            match patch {
                Some(index) => forward_patch(shared, index, &mut client, &mut depot, &cut)?,
                None => copy_body(&req, false, &mut client, depot.get_mut())?,
            }
            depot.get_mut().flush()?;
            let answer = read_head(&mut depot)?.ok_or_else(|| broken("the depot closed before answering"))?;
            let status: u16 = answer.start.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            if method == "POST" && status == 201 {
                let declared = req.header("upload-metadata").and_then(|m| fundi_sync::uploads::declared_in_metadata(m).ok());
                if let (Some(d), Some(location)) = (declared, answer.header("location")) {
                    shared.state().uploads.insert(location.to_string(), d.sha256);
                }
            }
            client.get_mut().write_all(&answer.raw)?;
            let bodyless = method == "HEAD" || status == 204 || status == 304 || status < 200;
            copy_body(&answer, bodyless, &mut depot, client.get_mut())?;
            client.get_mut().flush()?;
            if let Some(index) = patch {
                shared.state().patches[index].answer = Some(status);
            }
        }
        Ok(())
    })();
    cut();
    result
}
