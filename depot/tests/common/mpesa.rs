//! A depot that pays through the Daraja simulator: `fundi-depot mpesa-sim` as a real process on
//! loopback, and the M-Pesa configuration file that points a depot at it (ADR 0016, ADR 0019).
//! Used by the payout tests and by the whole marketplace loop.

use super::spawn_mpesa_sim;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Child;

/// The simulator's default credentials (ADR 0016), as a configuration file names them.
pub const SIM_CREDENTIALS: &str = "FUNDI_MPESA_CONSUMER_KEY=fundi-sim-consumer-key
FUNDI_MPESA_CONSUMER_SECRET=fundi-sim-consumer-secret
FUNDI_MPESA_INITIATOR_NAME=fundi_sim_initiator
FUNDI_MPESA_INITIATOR_PASSWORD=Fundi#Sim2025
FUNDI_MPESA_SHORTCODE=600000
FUNDI_MPESA_TIMEOUT_SECS=1
";

/// Payout engine timings short enough for tests: results awaited 1.5 s, retries after 0.7 s.
pub const FAST_PAYOUTS: &[&str] = &["--payout-tick-ms", "100", "--payout-result-wait-ms", "1500", "--payout-retry-ms", "700"];

/// The simulator process, killed when dropped.
pub struct Sim {
    child: Child,
    pub url: String,
    pub http: reqwest::blocking::Client,
}

impl Sim {
    /// Started on a free loopback port, results 50 ms after a request, with `extra` arguments.
    pub fn start(extra: &[&str]) -> Sim {
        let args = [&["--listen", "127.0.0.1:0", "--result-delay-ms", "50"], extra].concat();
        let (child, url) = spawn_mpesa_sim(&args);
        Sim { child, url, http: reqwest::blocking::Client::new() }
    }

    pub fn get(&self, path: &str) -> Value {
        serde_json::from_slice(&self.http.get(format!("{}{path}", self.url)).send().unwrap().bytes().unwrap()).unwrap()
    }

    pub fn put(&self, path: &str, body: Value) {
        let r = self.http.put(format!("{}{path}", self.url)).body(body.to_string()).send().unwrap();
        assert!(r.status().is_success(), "PUT {path}: {}", r.status());
    }

    /// The simulator's own record of the money it moved.
    pub fn ledger(&self) -> Value {
        self.get("/sim/ledger")
    }

    /// Write into `dir` a depot's M-Pesa configuration for this simulator, with its certificate
    /// and `callback_url` (where the simulator posts results); returns the file's path.
    pub fn depot_config(&self, dir: &Path, callback_url: &str) -> PathBuf {
        let cert = dir.join("sim.pem");
        std::fs::write(&cert, self.http.get(format!("{}/sim/certificate", self.url)).send().unwrap().text().unwrap()).unwrap();
        let config = dir.join("mpesa.env");
        let text = format!(
            "FUNDI_MPESA_BASE_URL={}\n{SIM_CREDENTIALS}FUNDI_MPESA_CERTIFICATE={}\nFUNDI_MPESA_CALLBACK_URL={callback_url}\n",
            self.url,
            cert.display()
        );
        std::fs::write(&config, text).unwrap();
        config
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free now (for a depot whose callback URL must name its address first).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
