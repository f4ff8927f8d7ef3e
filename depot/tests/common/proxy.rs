//! A loopback TCP proxy to the depot that counts the bytes crossing it each way (TLS records
//! and handshakes included) and the connections opened, for benchmarks that report bytes
//! measured at the socket. It can also shape the link: a rate in bytes per second, and now and
//! then a stall of a segment (how a lost packet looks to TCP's reader: the bytes arrive late,
//! after the retransmission), and it can cut every connection once a number of bytes went up.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A segment: what one read forwards at a time on a shaped link.
const SEGMENT: usize = 1460;

/// How the proxied link behaves. The default: as fast as loopback, no stalls.
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkShape {
    /// Bytes per second each way (`None`: unshaped).
    pub bytes_per_sec: Option<u64>,
    /// Per mille of segments that stall, each for `stall_ms`.
    pub stall_per_mille: u64,
    pub stall_ms: u64,
}

pub struct CountingProxy {
    pub url: String,
    sent: Arc<AtomicU64>,
    received: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    /// Total of `sent` at which every connection is cut (`u64::MAX`: never).
    cut_at: Arc<AtomicU64>,
}

impl CountingProxy {
    pub fn start(depot_url: &str) -> CountingProxy {
        Self::start_shaped(depot_url, LinkShape::default())
    }

    pub fn start_shaped(depot_url: &str, shape: LinkShape) -> CountingProxy {
        let target = depot_url.trim_start_matches("https://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let (sent, received) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (connections, cut_at) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(u64::MAX)));
        let (up, down, opened, cut) = (sent.clone(), received.clone(), connections.clone(), cut_at.clone());
        std::thread::spawn(move || {
            for (n, client) in listener.incoming().enumerate() {
                let Ok(client) = client else { continue };
                opened.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(&target) else { continue };
                let seed = 0x9e37_79b9 ^ n as u64;
                let up_pipe = Pipe { count: up.clone(), cut: Some(cut.clone()), shape, seed };
                up_pipe.run(client.try_clone().unwrap(), server.try_clone().unwrap());
                Pipe { count: down.clone(), cut: None, shape, seed: !seed }.run(server, client);
            }
        });
        CountingProxy { url, sent, received, connections, cut_at }
    }

    /// (bytes up, bytes down, connections opened) so far.
    pub fn totals(&self) -> (u64, u64, u64) {
        (self.sent.load(Ordering::SeqCst), self.received.load(Ordering::SeqCst), self.connections.load(Ordering::SeqCst))
    }

    /// Cut the connections once `n` more bytes went up (one cut: later connections pass).
    pub fn cut_after(&self, n: u64) {
        self.cut_at.store(self.sent.load(Ordering::SeqCst) + n, Ordering::SeqCst);
    }
}

struct Pipe {
    count: Arc<AtomicU64>,
    cut: Option<Arc<AtomicU64>>,
    shape: LinkShape,
    seed: u64,
}

impl Pipe {
    /// Copy `from` to `to` on a thread, counting, shaping and maybe cutting.
    fn run(self, mut from: TcpStream, mut to: TcpStream) {
        std::thread::spawn(move || {
            let shaped = self.shape.bytes_per_sec.is_some() || self.shape.stall_per_mille > 0;
            let mut buf = vec![0u8; if shaped { SEGMENT } else { 16 * 1024 }];
            let mut rng = fundi_sync::testing::SeededRng(self.seed);
            loop {
                let n = match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if let Some(rate) = self.shape.bytes_per_sec {
                    std::thread::sleep(Duration::from_micros(n as u64 * 1_000_000 / rate.max(1)));
                }
                if self.shape.stall_per_mille > 0 && rng.below(1000) < self.shape.stall_per_mille {
                    std::thread::sleep(Duration::from_millis(self.shape.stall_ms));
                }
                let total = self.count.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
                if let Some(cut) = &self.cut {
                    if total >= cut.load(Ordering::SeqCst) {
                        cut.store(u64::MAX, Ordering::SeqCst);
                        let _ = from.shutdown(Shutdown::Both);
                        let _ = to.shutdown(Shutdown::Both);
                        break;
                    }
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(Shutdown::Write);
        });
    }
}
