//! Shared by the integration tests: a real `fundi-depot serve` process on a loopback port with
//! its own data directory, accounts made with the real `enroll` subcommand, and phones that are
//! real fundi-core stores in their own SQLite files, enrolled over HTTPS with the depot's key
//! pinned (the depot makes its own key in its data directory); raw-HTTPS devices for
//! crafted requests, and a look at the depot's store (to prove what was stored). The depot keeps
//! its SQLite file, or with `FUNDI_TEST_STORE=postgres` a fresh PostgreSQL database each
//! (`depot_db`), so the same suite runs against both stores.
#![allow(dead_code)]

pub mod depot_db;
pub mod mpesa;
pub mod pg;
pub mod proxy;
pub mod relay;
/// The depot's store seam, compiled here from its files (`depot_db` reads either store with it).
#[path = "../../src/store/sql/mod.rs"]
#[allow(unused_imports, unused_macros)]
pub mod sql;

pub use depot_db::{store_args, DepotDb};

use fundi_core::Store;
use fundi_sync::enrollment::{EnrollStartReply, PhoneEnrollment};
use fundi_sync::identity::KeyFingerprint;
use fundi_sync::OrderCommand;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_fundi-depot");

pub struct Server {
    pub child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
    /// The fingerprint of the key the depot serves (printed by `serve`).
    pub key: KeyFingerprint,
    client: reqwest::blocking::Client,
    /// Arguments `restart` passes again (those of `start_at`; none for `start_with`).
    restart_args: Vec<String>,
}

/// Read `serve`'s first two lines: `listening on https://ADDR` and `depot key SHORT (sha256 HEX)`.
/// (`serve` ignores a closed stdout, so the rest may go unread.)
fn read_banner(child: &mut Child) -> Option<(String, KeyFingerprint)> {
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut first, mut second) = (String::new(), String::new());
    out.read_line(&mut first).ok()?;
    let url = first.trim().strip_prefix("listening on ")?.to_string();
    out.read_line(&mut second).ok()?;
    if url.starts_with("http://") {
        // `--insecure-http`: enrollment is bound to no key (the depot's `Identity::plain`).
        return Some((url, KeyFingerprint::of_spki(b"")));
    }
    let hex = second.trim().rsplit_once("sha256 ")?.1.trim_end_matches(')');
    Some((url, KeyFingerprint::try_from(hex.to_string()).ok()?))
}

/// A raw HTTPS client for crafted requests. It is not a phone: it trusts any certificate (the
/// phones' pinning is tested in `tls.rs`), so the tests here are about what the depot does.
pub fn raw_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().danger_accept_invalid_certs(true).build().unwrap()
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Server {
        Self::spawn("127.0.0.1:0", extra, vec![])
    }

    /// A server on SQLite whichever store the suite runs against (the tests that move a store
    /// from one to the other).
    pub fn start_on_sqlite() -> Server {
        Self::spawn_with_store(vec![], "127.0.0.1:0", &[], vec![])
    }

    /// A server on `listen` with `extra` arguments, which `restart` passes again (the payout
    /// tests: the callback URL names the address, and the M-Pesa configuration is a flag).
    pub fn start_at(listen: &str, extra: &[&str]) -> Server {
        Self::spawn(listen, extra, extra.iter().map(|a| a.to_string()).collect())
    }

    fn spawn(listen: &str, extra: &[&str], restart_args: Vec<String>) -> Server {
        Self::spawn_with_store(store_args(), listen, extra, restart_args)
    }

    fn spawn_with_store(store: Vec<String>, listen: &str, extra: &[&str], restart_args: Vec<String>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut all: Vec<&str> = store.iter().map(String::as_str).collect();
        all.extend(extra);
        Self::spawn_in(dir, listen, &all, restart_args, &[])
    }

    /// `serve` on `dir`'s `depot` data directory, with `extra` arguments and `env`.
    fn spawn_in(dir: tempfile::TempDir, listen: &str, extra: &[&str], restart_args: Vec<String>, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", listen, "--data-dir"])
            .arg(dir.path().join("depot"))
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start fundi-depot serve");
        let (url, key) = read_banner(&mut child).expect("serve prints its address and key");
        Server { url, child, dir, key, client: raw_client(), restart_args }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("depot")
    }

    /// Create an account with the real command line; returns (account id, enrollment code).
    pub fn account(&self, role: &str, name: &str, mentor: Option<&str>) -> (String, String) {
        let mut cmd = Command::new(BIN);
        cmd.args(["enroll", "--json", "--role", role, "--name", name, "--data-dir"]).arg(self.data_dir());
        if let Some(m) = mentor {
            cmd.args(["--mentor", m]);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "enroll failed: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (v["account_id"].as_str().unwrap().into(), v["code"].as_str().unwrap().into())
    }

    /// A phone of a new account of `role`: (store, account id).
    pub fn phone(&self, role: &str, name: &str, mentor: Option<&str>) -> (Store, String) {
        let (id, code) = self.account(role, name, mentor);
        let path = self.dir.path().join(format!("{name}.db"));
        let store = Store::open(&path).unwrap();
        store.enroll_device(&self.url, &code).unwrap();
        (store, id)
    }

    /// Run the command line on this server's data directory.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(BIN).args(args).arg("--data-dir").arg(self.data_dir()).output().unwrap();
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Run a subcommand that must fail; its error output.
    pub fn cli_fails(&self, args: &[&str]) -> String {
        let out = Command::new(BIN).args(args).arg("--data-dir").arg(self.data_dir()).output().unwrap();
        assert!(!out.status.success(), "{args:?} succeeded: {}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Import orders from a CSV written to a temp file.
    pub fn import_csv(&self, csv: &str) -> String {
        let path = self.dir.path().join(format!("orders-{}.csv", uuid_like()));
        std::fs::write(&path, csv).unwrap();
        self.cli(&["import-orders", path.to_str().unwrap()])
    }

    /// Send `signal` ("TERM", "INT", ...) to the server process with the system's `kill`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").arg(format!("-{signal}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Wait up to `timeout` for the server process to exit; panics (and kills it) if it does not.
    pub fn wait_exit(&mut self, timeout: std::time::Duration) -> std::process::ExitStatus {
        wait_exit(&mut self.child, timeout)
    }

    /// Raw HTTPS (one client per server, so connections are reused).
    pub fn http(&self) -> reqwest::blocking::Client {
        self.client.clone()
    }

    /// The phone's enrollment exchange done by hand (`fundi_sync::enrollment`), bound to the
    /// key this depot serves: (status, body) of the finish request, or of the start request if
    /// that one failed. A code that is not one is still sent, named by its first characters.
    pub fn enroll_raw(&self, code: &str, device: &str) -> (u16, serde_json::Value) {
        let Ok((exchange, start)) = PhoneEnrollment::start(code) else {
            let id: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).take(4).collect();
            return self.req(None, "/v1/enroll/start", Some(serde_json::json!({"code_id": id, "spake": "00".repeat(33)})));
        };
        let (s, v) = self.req(None, "/v1/enroll/start", Some(serde_json::to_value(&start).unwrap()));
        if s != 200 {
            return (s, v);
        }
        let reply: EnrollStartReply = serde_json::from_value(v).unwrap();
        let (_, finish) = exchange.finish(&reply, &self.key, device).unwrap();
        self.req(None, "/v1/enroll/finish", Some(serde_json::to_value(&finish).unwrap()))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait up to `timeout` for `child` to exit; panics (after killing it) if it does not.
pub fn wait_exit(child: &mut Child, timeout: std::time::Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the process did not exit within {timeout:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A valid draft as an artisan types it.
pub fn basket() -> fundi_core::drafts::NewDraft {
    fundi_core::drafts::NewDraft {
        title: "Kiondo".into(),
        description: "Sisal basket".into(),
        materials: vec!["sisal".into()],
        category: fundi_core::drafts::Category::Baskets,
        price_minor: 250_000,
        weekly_capacity: 4,
    }
}

pub fn uuid_like() -> String {
    fundi_sync::ids::new_id()
}

pub fn db_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.db"))
}

/// A device enrolled over raw HTTP (for tests that craft requests by hand).
pub struct Dev {
    pub account: String,
    pub device: String,
    pub token: String,
    pub counter: std::cell::Cell<u64>,
}

impl Server {
    pub fn device(&self, role: &str, name: &str, mentor: Option<&str>) -> Dev {
        let (account, code) = self.account(role, name, mentor);
        let device = uuid_like();
        let (s, v) = self.enroll_raw(&code, &device);
        assert_eq!(s, 200, "{v}");
        Dev { account, device, token: v["token"].as_str().unwrap().into(), counter: std::cell::Cell::new(0) }
    }

    /// (status, JSON body) of an authenticated request; `body` None makes a GET.
    pub fn req(&self, dev: Option<&Dev>, path: &str, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
        let url = format!("{}{}", self.url, path);
        let mut r = match &body {
            Some(b) => self.http().post(url).header("content-type", "application/json").body(b.to_string()),
            None => self.http().get(url),
        };
        if let Some(d) = dev {
            r = r.bearer_auth(&d.token);
        }
        let resp = r.send().unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    /// An order of `price_minor` for `artisan`, imported by operations and taken by her phone
    /// from assigned to ready (synced); returns its id.
    pub fn ready_order_on_phone(&self, ops: &Dev, phone: &Store, artisan: &str, reference: &str, price_minor: i64) -> String {
        let order = serde_json::json!({"source": "shop", "external_ref": reference, "product": format!("Kiondo {reference}"),
            "quantity": 2, "price_minor": price_minor, "artisan_id": artisan});
        let (status, answer) = self.req(Some(ops), "/v1/orders", Some(serde_json::json!({ "orders": [order] })));
        assert_eq!(status, 200, "{answer}");
        let id = answer["created"][0].as_str().unwrap().to_string();
        phone.sync_now(None).unwrap();
        for c in [OrderCommand::Accept, OrderCommand::StartProduction, OrderCommand::MarkReady] {
            phone.order_command(&id, c, None).unwrap();
        }
        phone.sync_now(None).unwrap();
        id
    }

    /// An order of `price_minor` imported by `ops` for `artisan` and taken through the whole
    /// lifecycle (her commands pushed by her device, the depot's by `staff` over the API): delivered,
    /// so it earns her its price. Returns the order's id.
    pub fn delivered_order(&self, ops: &Dev, artisan: &Dev, staff: &Dev, reference: &str, price_minor: i64) -> String {
        let order = serde_json::json!({"source": "shop", "external_ref": reference, "product": format!("Kikapu {reference}"),
            "quantity": 1, "price_minor": price_minor, "artisan_id": artisan.account});
        let (s, v) = self.req(Some(ops), "/v1/orders", Some(serde_json::json!({ "orders": [order] })));
        assert_eq!(s, 200, "{v}");
        let id = v["created"][0].as_str().unwrap().to_string();
        // Phones send their commands through sync; the depot's staff may use the API.
        let hers = ["accept", "start_production", "mark_ready"].map(|c| command("order", &id, c)).to_vec();
        assert_eq!(self.push(artisan, hers), vec![None, None, None]);
        for c in ["receive", "qc_pass", "ship", "deliver"] {
            let (s, v) = self.req(Some(staff), &format!("/v1/orders/{id}/commands"), Some(serde_json::json!({"command": c})));
            assert_eq!(s, 200, "{c}: {v}");
        }
        id
    }

    /// Push mutations (counters assigned in order); returns the per-mutation rejection codes
    /// (None: applied).
    pub fn push(&self, dev: &Dev, mutations: Vec<serde_json::Value>) -> Vec<Option<String>> {
        let ms: Vec<serde_json::Value> = mutations
            .into_iter()
            .map(|mut m| {
                dev.counter.set(dev.counter.get() + 1);
                m["counter"] = dev.counter.get().into();
                m
            })
            .collect();
        let (s, v) = self.req(
            Some(dev),
            "/v1/sync/push",
            Some(serde_json::json!({"protocol": 1, "device_id": dev.device, "mutations": ms})),
        );
        assert_eq!(s, 200, "{v}");
        v["results"].as_array().unwrap().iter().map(|r| r["rejected"]["code"].as_str().map(String::from)).collect()
    }

    pub fn pull_all(&self, dev: &Dev) -> Vec<serde_json::Value> {
        let (s, v) = self.req(Some(dev), "/v1/sync/pull?cursor=0&limit=1000", None);
        assert_eq!(s, 200, "{v}");
        v["changes"].as_array().unwrap().clone()
    }
}

/// A stamp `ms` milliseconds from now (node 7), in wire form.
pub fn stamp_in(ms: i64) -> String {
    let wall = (fundi_sync::hlc::wall_clock_ms() as i64 + ms) as u64;
    fundi_sync::hlc::Timestamp { wall_ms: wall, counter: 0, node: 7 }.to_string()
}

pub fn field_write(id: &str, kind: &str, field: &str, value: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"kind": kind, "id": id, "fields": {field: {"value": value, "hlc": stamp_in(0)}}})
}

/// A field write with a given stamp (e.g. an older, concurrent one).
pub fn field_write_at(id: &str, kind: &str, field: &str, value: serde_json::Value, hlc: String) -> serde_json::Value {
    serde_json::json!({"kind": kind, "id": id, "fields": {field: {"value": value, "hlc": hlc}}})
}

pub fn command(kind: &str, id: &str, name: &str) -> serde_json::Value {
    serde_json::json!({"kind": kind, "id": id, "command": {"name": name, "hlc": stamp_in(0)}})
}

pub fn stock_entry(product: &str, delta: i64) -> serde_json::Value {
    let id = uuid_like();
    serde_json::json!({"kind": "stock", "id": id, "entry": {"id": id, "product_id": product, "delta": delta, "reason": "received", "hlc": stamp_in(0)}})
}

/// One row of the depot's `records` table: (kind, id, owner, seq, body, state).
pub type RecordRow = (String, String, Option<String>, i64, String, Option<String>);

impl Server {
    /// A connection to the running depot's store, SQLite or PostgreSQL (it sees every committed
    /// transaction, so what a request stored is visible once its answer arrived).
    pub fn db(&self) -> DepotDb {
        DepotDb::open(&self.data_dir())
    }

    /// Every stored record, in feed order, exactly as stored.
    pub fn records(&self) -> Vec<RecordRow> {
        let db = self.db();
        let mut s = db.prepare("SELECT kind, id, owner, seq, body, state FROM records ORDER BY seq").unwrap();
        let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    /// The change feed's next number (moves with every stored change).
    pub fn next_seq(&self) -> i64 {
        self.db().query_row("SELECT next_seq FROM meta", [], |r| r.get(0)).unwrap()
    }

    /// Another device of an existing account, enrolled with a replacement code that `ops`
    /// (an operations device) asks for over HTTP.
    pub fn another_device(&self, ops: &Dev, account: &str) -> Dev {
        let (s, v) = self.req(Some(ops), &format!("/v1/accounts/{account}/codes"), Some(serde_json::json!({})));
        assert_eq!(s, 200, "{v}");
        self.enroll_code(v["code"].as_str().unwrap())
    }

    /// Exchange an enrollment code for a new device.
    pub fn enroll_code(&self, code: &str) -> Dev {
        let device = uuid_like();
        let (s, v) = self.enroll_raw(code, &device);
        assert_eq!(s, 200, "{v}");
        Dev {
            account: v["account_id"].as_str().unwrap().into(),
            device,
            token: v["token"].as_str().unwrap().into(),
            counter: Default::default(),
        }
    }

    /// Push one batch whose mutations already carry their counters; the raw (status, body).
    pub fn push_raw(&self, dev: &Dev, mutations: Vec<serde_json::Value>) -> (u16, serde_json::Value) {
        self.req(
            Some(dev),
            "/v1/sync/push",
            Some(serde_json::json!({"protocol": 1, "device_id": dev.device, "mutations": mutations})),
        )
    }
}

/// `m` with its counter set.
pub fn numbered(mut m: serde_json::Value, counter: u64) -> serde_json::Value {
    m["counter"] = counter.into();
    m
}

/// Restarting on the same data directory and address, for the kill tests (`depot_kills.rs`).
impl Server {
    /// SIGKILL the server if it still runs, then start a new `fundi-depot serve` on the same
    /// data directory and address (phones keep their URL; `key` is what it now serves), with
    /// `env` added to its environment
    /// (e.g. a crash point armed). Retries while the port is not yet free again.
    pub fn restart(&mut self, env: &[(&str, &str)]) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let addr = self.url.trim_start_matches("https://").trim_start_matches("http://").to_string();
        for attempt in 0..50 {
            let mut child = Command::new(BIN)
                .args(["serve", "--listen", &addr, "--data-dir"])
                .arg(self.data_dir())
                .args(&self.restart_args)
                .env_remove(fundi_sqlite::crash_point::ENV_AT)
                .env_remove(fundi_sqlite::crash_point::ENV_AFTER)
                .envs(env.iter().copied())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("restart fundi-depot serve");
            if let Some((_, key)) = read_banner(&mut child) {
                // The key survives a restart, unless `tls-key switch` replaced it.
                self.key = key;
                self.child = child;
                return;
            }
            let _ = child.wait();
            assert!(attempt < 49, "the depot did not restart on {addr}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Whether the server process has exited (e.g. killed itself at an armed crash point).
    pub fn is_dead(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Whether the depot's store is whole (read next to the running server): "ok".
    pub fn integrity(&self) -> String {
        self.db().integrity()
    }
}

/// An answer to a raw request: status, headers and the body's bytes.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    /// The typed error code: the JSON body's, or `Fundi-Error` (a HEAD answer has no body).
    pub fn code(&self) -> Option<String> {
        let from_body =
            serde_json::from_slice::<serde_json::Value>(&self.body).ok().and_then(|v| v["error"].as_str().map(String::from));
        from_body.or_else(|| self.header("fundi-error"))
    }

    /// `(status, code)`, the way the tests compare refusals.
    pub fn refusal(&self) -> (u16, String) {
        (self.status, self.code().unwrap_or_else(|| "(no code)".into()))
    }

    pub fn offset(&self) -> Option<u64> {
        self.header("upload-offset").and_then(|v| v.parse().ok())
    }
}

/// Deterministic bytes standing for a prepared photo.
pub fn photo(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = fundi_sync::testing::SeededRng(seed);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

pub fn sha(bytes: &[u8]) -> String {
    fundi_sync::hash::sha256_hex(bytes)
}

/// Raw requests of any method with headers and bytes, and tus 1.0 as a plain client speaks it.
impl Server {
    pub fn send(&self, dev: Option<&Dev>, method: &str, path: &str, headers: &[(&str, String)], body: Option<Vec<u8>>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let url = if path.starts_with("https://") { path.to_string() } else { format!("{}{}", self.url, path) };
        let mut r = self.http().request(method, url);
        for (k, v) in headers {
            r = r.header(*k, v);
        }
        if let Some(d) = dev {
            r = r.bearer_auth(&d.token);
        }
        if let Some(b) = body {
            r = r.body(b);
        }
        let resp = r.send().unwrap();
        let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
        Answer { status, headers, body: resp.bytes().unwrap().to_vec() }
    }

    /// `POST /v1/uploads` for a blob of this hash and length; the answer (`Location` on 201).
    pub fn tus_create(&self, dev: Option<&Dev>, sha256: &str, length: u64) -> Answer {
        self.tus_create_with(dev, fundi_sync::uploads::metadata_for(sha256), length)
    }

    /// `POST /v1/uploads` of `length` bytes declared by `metadata` (`Upload-Metadata`).
    pub fn tus_create_with(&self, dev: Option<&Dev>, metadata: String, length: u64) -> Answer {
        let headers =
            [("tus-resumable", "1.0.0".to_string()), ("upload-length", length.to_string()), ("upload-metadata", metadata)];
        self.send(dev, "POST", "/v1/uploads", &headers, None)
    }

    /// Upload `thumbnail` whole as the thumbnail of the photo `photo` (its hash).
    pub fn tus_thumbnail(&self, dev: &Dev, thumbnail: &[u8], photo: &str) {
        let metadata = fundi_sync::uploads::thumbnail_metadata_for(&sha(thumbnail), photo);
        let a = self.tus_create_with(Some(dev), metadata, thumbnail.len() as u64);
        assert_eq!(a.status, 201, "{:?}", a.refusal());
        let loc = a.header("location").unwrap();
        assert_eq!(self.tus_send(dev, &loc, thumbnail, 0, thumbnail.len()).status, 204);
    }

    /// `POST /v1/uploads` for the thumbnail `sha256` of the photo `photo`.
    pub fn tus_create_thumbnail(&self, dev: &Dev, sha256: &str, photo: &str, length: u64) -> Answer {
        self.tus_create_with(Some(dev), fundi_sync::uploads::thumbnail_metadata_for(sha256, photo), length)
    }

    /// `PATCH` one chunk at `offset`, with its `Upload-Checksum` when `checksum`.
    pub fn tus_patch(&self, dev: Option<&Dev>, location: &str, offset: u64, chunk: &[u8], checksum: bool) -> Answer {
        let mut headers = vec![
            ("tus-resumable", "1.0.0".to_string()),
            ("upload-offset", offset.to_string()),
            ("content-type", "application/offset+octet-stream".to_string()),
        ];
        if checksum {
            headers.push(("upload-checksum", fundi_sync::uploads::checksum_header(chunk)));
        }
        self.send(dev, "PATCH", location, &headers, Some(chunk.to_vec()))
    }

    pub fn tus_head(&self, dev: Option<&Dev>, location: &str) -> Answer {
        self.send(dev, "HEAD", location, &[("tus-resumable", "1.0.0".to_string())], None)
    }

    pub fn tus_delete(&self, dev: Option<&Dev>, location: &str) -> Answer {
        self.send(dev, "DELETE", location, &[("tus-resumable", "1.0.0".to_string())], None)
    }

    /// Create an upload of `bytes` (201 expected): its location.
    pub fn tus_start(&self, dev: &Dev, bytes: &[u8]) -> String {
        let a = self.tus_create(Some(dev), &sha(bytes), bytes.len() as u64);
        assert_eq!(a.status, 201, "{:?}", a.refusal());
        a.header("location").unwrap()
    }

    /// Upload `bytes` whole from `from`, in checksummed chunks of `chunk` bytes: the last answer.
    pub fn tus_send(&self, dev: &Dev, location: &str, bytes: &[u8], from: usize, chunk: usize) -> Answer {
        let mut at = from;
        loop {
            let end = (at + chunk).min(bytes.len());
            let a = self.tus_patch(Some(dev), location, at as u64, &bytes[at..end], true);
            if a.status != 204 || end == bytes.len() {
                return a;
            }
            assert_eq!(a.offset(), Some(end as u64));
            at = end;
        }
    }

    /// A draft of `dev`'s whose photo list names these blobs: its id.
    pub fn photo_draft(&self, dev: &Dev, photos: &[&[u8]]) -> String {
        let id = uuid_like();
        let hashes: Vec<String> = photos.iter().map(|p| sha(p)).collect();
        let ms = vec![
            field_write(&id, "draft", "title", serde_json::json!("Kiondo")),
            field_write(&id, "draft", "photos", serde_json::json!(hashes)),
        ];
        assert_eq!(self.push(dev, ms), vec![None, None]);
        id
    }

    /// A draft of `artisan`'s written, submitted and approved by `reviewer` (her mentor or
    /// staff): its id, which is its product's too (ADR 0025).
    pub fn approved_product(&self, artisan: &Dev, reviewer: &Dev, title: &str, price_minor: i64, weekly_capacity: u32) -> String {
        let id = uuid_like();
        let ms = vec![
            field_write(&id, "draft", "title", serde_json::json!(title)),
            field_write(&id, "draft", "description", serde_json::json!(format!("{title}, made by hand"))),
            field_write(&id, "draft", "category", serde_json::json!("baskets")),
            field_write(&id, "draft", "price", serde_json::json!(price_minor)),
            field_write(&id, "draft", "weekly_capacity", serde_json::json!(weekly_capacity)),
            command("draft", &id, "submit"),
        ];
        assert_eq!(self.push(artisan, ms), vec![None; 6]);
        assert_eq!(self.push(reviewer, vec![command("draft", &id, "approve")]), vec![None]);
        id
    }

    /// A product of `artisan`'s on sale (ADR 0025): a draft of `title` in baskets at her price
    /// of `price_minor` KES cents, made to order at `weekly_capacity` a week, naming `photos`
    /// (each uploaded, with a thumbnail of its first 300 bytes when `thumbnails`), submitted,
    /// approved by `reviewer` and published by `ops` at `shop_price_minor` US cents: its id.
    #[allow(clippy::too_many_arguments)]
    pub fn product_on_sale(
        &self,
        artisan: &Dev,
        reviewer: &Dev,
        ops: &Dev,
        title: &str,
        price_minor: i64,
        weekly_capacity: u32,
        photos: &[&[u8]],
        thumbnails: bool,
        shop_price_minor: i64,
    ) -> String {
        let id = uuid_like();
        let hashes: Vec<String> = photos.iter().map(|p| sha(p)).collect();
        let ms = vec![
            field_write(&id, "draft", "title", serde_json::json!(title)),
            field_write(&id, "draft", "description", serde_json::json!(format!("{title}, made by hand"))),
            field_write(&id, "draft", "materials", serde_json::json!(["sisal", "dye"])),
            field_write(&id, "draft", "category", serde_json::json!("baskets")),
            field_write(&id, "draft", "price", serde_json::json!(price_minor)),
            field_write(&id, "draft", "weekly_capacity", serde_json::json!(weekly_capacity)),
            field_write(&id, "draft", "photos", serde_json::json!(hashes)),
        ];
        assert_eq!(self.push(artisan, ms), vec![None; 7]);
        for p in photos {
            let loc = self.tus_start(artisan, p);
            assert_eq!(self.tus_send(artisan, &loc, p, 0, 64 * 1024).status, 204);
            if thumbnails {
                self.tus_thumbnail(artisan, &p[..p.len().min(300)], &sha(p));
            }
        }
        assert_eq!(self.push(artisan, vec![command("draft", &id, "submit")]), vec![None]);
        assert_eq!(self.push(reviewer, vec![command("draft", &id, "approve")]), vec![None]);
        self.listing(ops, &id, Some(shop_price_minor));
        id
    }

    /// Operations put product `id` on sale at `price_minor` US cents, or (`None`) take it off.
    pub fn listing(&self, ops: &Dev, id: &str, price_minor: Option<i64>) {
        let change = match price_minor {
            Some(p) => serde_json::json!({"action": "publish", "price_minor": p, "currency": "USD"}),
            None => serde_json::json!({"action": "unpublish"}),
        };
        let (s, v) = self.req(Some(ops), &format!("/v1/products/{id}/listing"), Some(change));
        assert_eq!(s, 200, "{v}");
    }

    /// The files under `<data-dir>/<folder>` (relative paths, sorted).
    pub fn files(&self, folder: &str) -> Vec<String> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, base, out);
                } else {
                    out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        let base = self.data_dir().join(folder);
        let mut out = vec![];
        walk(&base, &base, &mut out);
        out.sort();
        out
    }

    /// The uploads table, as stored: (id, device, sha256, length, received, finished).
    pub fn uploads(&self) -> Vec<(String, String, String, i64, i64, bool)> {
        let db = self.db();
        let mut s = db
            .prepare("SELECT id, device_id, sha256, length, received, finished_ms IS NOT NULL FROM uploads ORDER BY id")
            .unwrap();
        let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }
}

impl Server {
    /// Set a draft's photo list to `photos`, replacing the stored list (its stamp named as
    /// the write's base, so the old list is not kept as a conflict).
    pub fn set_photos(&self, dev: &Dev, draft: &str, photos: &[String]) {
        let body: serde_json::Value =
            serde_json::from_str(&self.records().into_iter().find(|r| r.0 == "draft" && r.1 == draft).expect("the draft").4)
                .unwrap();
        let base = body["doc"]["fields"]["photos"]["hlc"].clone();
        let m = serde_json::json!({"kind": "draft", "id": draft, "fields": {"photos": {"value": photos, "hlc": stamp_in(0), "base": [base]}}});
        assert_eq!(self.push(dev, vec![m]), vec![None]);
    }
}

/// The environment that makes this test binary, re-run, a phone's upload run (see
/// [`upload_child`]): the phone's SQLite file and its photo library.
const UPLOAD_CHILD_DB: &str = "FUNDI_UPLOAD_PHONE";
const UPLOAD_CHILD_PHOTOS: &str = "FUNDI_UPLOAD_PHOTOS";

/// A phone's upload run in a child process, to be killed: this test binary re-run with only its
/// test `entry` (which calls [`upload_child_main`]), no crash point armed unless the caller arms
/// one, output silenced.
pub fn upload_child(entry: &str, db: &Path, photos: &Path) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", entry, "--test-threads", "1", "--quiet"])
        .env(UPLOAD_CHILD_DB, db)
        .env(UPLOAD_CHILD_PHOTOS, photos)
        .env_remove(fundi_sqlite::crash_point::ENV_AT)
        .env_remove(fundi_sqlite::crash_point::ENV_AFTER)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// In the child of [`upload_child`]: upload whatever waits, photos included (and panic on an
/// error). Does nothing in a process that is not such a child.
pub fn upload_child_main() {
    let Ok(db) = std::env::var(UPLOAD_CHILD_DB) else { return };
    let store = Store::open(&db).unwrap();
    let lib = fundi_core::photos::PhotoLibrary::open(std::env::var(UPLOAD_CHILD_PHOTOS).unwrap()).unwrap();
    store.upload_photos(&lib, fundi_core::uploads::UploadPolicy { photos: true }).unwrap();
}

/// Start `fundi-depot mpesa-sim` with `args` (after `mpesa-sim`); the child and the address it
/// printed on its first line (`listening on http://...`).
pub fn spawn_mpesa_sim(args: &[&str]) -> (Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(BIN)
        .arg("mpesa-sim")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("start fundi-depot mpesa-sim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").expect("the simulator prints its address").to_string();
    (child, url)
}

/// Several depots in one deployment (ADR 0030): a depot added, and accounts, devices and
/// phones of it, all with the real command line (`depot add`, `enroll --depot`).
impl Server {
    /// Add a depot named `name`: its id.
    pub fn add_depot(&self, name: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(&self.cli(&["depot", "add", "--json", "--name", name])).unwrap();
        v["id"].as_str().unwrap().to_string()
    }

    /// An account of `role` in depot `depot`: (account id, enrollment code).
    pub fn account_in(&self, depot: &str, role: &str, name: &str, mentor: Option<&str>) -> (String, String) {
        let mut args = vec!["enroll", "--json", "--role", role, "--name", name, "--depot", depot];
        if let Some(m) = mentor {
            args.extend(["--mentor", m]);
        }
        let v: serde_json::Value = serde_json::from_str(&self.cli(&args)).unwrap();
        (v["account_id"].as_str().unwrap().into(), v["code"].as_str().unwrap().into())
    }

    /// A raw-HTTP device of a new account of `role` in depot `depot`.
    pub fn device_in(&self, depot: &str, role: &str, name: &str, mentor: Option<&str>) -> Dev {
        let (_, code) = self.account_in(depot, role, name, mentor);
        self.enroll_code(&code)
    }

    /// A phone of a new account of `role` in depot `depot`: (store, account id).
    pub fn phone_in(&self, depot: &str, role: &str, name: &str, mentor: Option<&str>) -> (Store, String) {
        let (id, code) = self.account_in(depot, role, name, mentor);
        let store = Store::open(self.dir.path().join(format!("{name}.db"))).unwrap();
        store.enroll_device(&self.url, &code).unwrap();
        (store, id)
    }
}
