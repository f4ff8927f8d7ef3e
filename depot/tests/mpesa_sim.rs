//! The depot's Daraja client against the simulator (`fundi-depot mpesa-sim`, ADR 0016) as a real
//! process on loopback, with the callbacks received by a small HTTP listener in the test. The
//! client's module is compiled here from its files (`#[path]`, as `io_faults.rs` does: the depot
//! is a binary crate), so its own unit tests run here a second time.
//!
//! - `a_token_is_cached_fetched_again_near_expiry_and_after_a_refusal`
//! - `a_payout_is_accepted_and_its_result_arrives_on_the_result_url`
//! - `a_repeated_originator_conversation_id_pays_once`
//! - `insufficient_float_an_unregistered_number_and_a_small_amount_fail_with_documented_codes`
//! - `a_bad_security_credential_is_refused_and_moves_no_money`
//! - `a_timed_out_request_is_unknown_and_the_status_query_tells_whether_it_paid`
//! - `callbacks_are_duplicated_reordered_or_replaced_by_a_queue_timeout_as_configured`
//! - `a_simulator_that_crashes_after_paying_keeps_the_payment_across_its_restart`
//! - `the_configuration_shows_no_secret`

#[allow(dead_code)]
#[path = "../src/mpesa/mod.rs"]
mod mpesa;

mod common;

use fundi_sync::money::Money;
use mpesa::amount::{Msisdn, WholeKes};
use mpesa::client::{self, MpesaClient, MpesaConfig, MpesaError};
use mpesa::wire::{codes, B2cOutcome, Callback, StatusOutcome};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::process::Child;
use std::time::Duration;
use tokio::sync::mpsc;

/// Generous for a loaded machine: a callback comes after the simulator's delay (100 ms here).
const PATIENCE: Duration = Duration::from_secs(15);

/// A running `fundi-depot mpesa-sim` on a free loopback port.
struct Sim {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Sim {
    fn start(extra: &[&str]) -> Sim {
        Self::start_on("127.0.0.1:0", extra)
    }

    fn start_on(listen: &str, extra: &[&str]) -> Sim {
        let (child, url) = common::spawn_mpesa_sim(&[&["--listen", listen, "--result-delay-ms", "100"], extra].concat());
        Sim { child, url, http: reqwest::Client::new() }
    }

    async fn get(&self, path: &str) -> Value {
        let body = self.http.get(format!("{}{path}", self.url)).send().await.unwrap().bytes().await.unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    async fn put(&self, path: &str, body: Value) -> Value {
        let resp = self.http.put(format!("{}{path}", self.url)).body(body.to_string()).send().await.unwrap();
        assert!(resp.status().is_success(), "PUT {path}: {}", resp.status());
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
    }

    async fn faults(&self, faults: Value) {
        self.put("/sim/faults", faults).await;
    }

    /// The depot's configuration for this simulator (its defaults), with `changes`.
    async fn config(&self, dir: &Path, callbacks: &str, changes: &[(&'static str, &str)]) -> MpesaConfig {
        let pem = self.http.get(format!("{}/sim/certificate", self.url)).send().await.unwrap().text().await.unwrap();
        let cert = dir.join(format!("sim-{}.pem", self.child.id()));
        std::fs::write(&cert, pem).unwrap();
        let mut vars: HashMap<&str, String> = [
            (client::ENV_BASE_URL, self.url.clone()),
            (client::ENV_CONSUMER_KEY, "fundi-sim-consumer-key".into()),
            (client::ENV_CONSUMER_SECRET, "fundi-sim-consumer-secret".into()),
            (client::ENV_INITIATOR_NAME, "fundi_sim_initiator".into()),
            (client::ENV_INITIATOR_PASSWORD, "Fundi#Sim2025".into()),
            (client::ENV_SHORTCODE, "600000".into()),
            (client::ENV_CERTIFICATE, cert.display().to_string()),
            (client::ENV_CALLBACK_URL, callbacks.to_string()),
            (client::ENV_TIMEOUT_SECS, "10".into()),
        ]
        .into_iter()
        .collect();
        for (k, v) in changes {
            vars.insert(k, v.to_string());
        }
        MpesaConfig::from_lookup(|k| vars.get(k).cloned()).unwrap()
    }

    async fn client(&self, dir: &Path, callbacks: &str) -> MpesaClient {
        MpesaClient::new(self.config(dir, callbacks, &[]).await).unwrap()
    }

    async fn ledger(&self) -> Value {
        self.get("/sim/ledger").await
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What Daraja posted to the test's listener: the path under the callback base, and the body.
struct Callbacks {
    base: String,
    rx: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
}

impl Callbacks {
    /// A listener on a free loopback port; its base URL has a secret-looking path, as the
    /// depot's will.
    async fn listen() -> Callbacks {
        let (tx, rx) = mpsc::unbounded_channel();
        let app = axum::Router::new().route(
            "/{*path}",
            axum::routing::post(move |axum::extract::Path(path): axum::extract::Path<String>, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send((path, body.to_vec()));
                    r#"{"ResultCode": 0, "ResultDesc": "Accepted"}"#
                }
            }),
        );
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(tcp, app).await });
        Callbacks { base: format!("http://{addr}/mpesa/hook-s3cr3t"), rx }
    }

    /// The next callback: (path after the base, parsed body).
    async fn next(&mut self) -> (String, Callback) {
        let (path, body) = tokio::time::timeout(PATIENCE, self.rx.recv()).await.expect("a callback in time").unwrap();
        let path = path.strip_prefix("mpesa/hook-s3cr3t/").expect("posted under the callback base").to_string();
        (path, Callback::parse(&body).expect("Daraja's callback JSON"))
    }

    /// No callback comes within `wait`.
    async fn none_within(&mut self, wait: Duration) {
        if let Ok(Some((path, _))) = tokio::time::timeout(wait, self.rx.recv()).await {
            panic!("an unexpected callback on {path}");
        }
    }
}

fn kes(n: i64) -> WholeKes {
    WholeKes::from_money(Money::kes_minor(n * 100)).unwrap()
}

fn phone(n: &str) -> Msisdn {
    Msisdn::parse(n).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_cached_fetched_again_near_expiry_and_after_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(&["--token-ttl-secs", "2"]);
    let cb = Callbacks::listen().await;
    let client = sim.client(dir.path(), &cb.base).await;

    let first = client.access_token().await.unwrap();
    assert_eq!(client.access_token().await.unwrap(), first, "cached while fresh");
    assert_eq!(sim.get("/sim/stats").await["tokens_issued"], 1);

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let second = client.access_token().await.unwrap();
    assert_ne!(second, first, "fetched again once near its expiry");
    assert_eq!(sim.get("/sim/stats").await["tokens_issued"], 2);

    // Someone else on the same credentials takes a token: Daraja invalidates ours. The payout
    // is refused with 401, the client takes a new token and sends it again, once.
    let basic = reqwest::Client::new()
        .get(format!("{}/oauth/v1/generate?grant_type=client_credentials", sim.url))
        .basic_auth("fundi-sim-consumer-key", Some("fundi-sim-consumer-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    let accepted = client.send_b2c("tok-1", &phone("0712345678"), kes(100), "token test").await.unwrap();
    assert_eq!(accepted.originator_conversation_id, "tok-1");
    let stats = sim.get("/sim/stats").await;
    assert_eq!((stats["tokens_issued"].as_u64(), stats["b2c_requests"].as_u64()), (Some(4), Some(2)), "{stats}");

    // Wrong consumer credentials: refused at the token, nothing sent.
    let bad = sim.config(dir.path(), &cb.base, &[(client::ENV_CONSUMER_SECRET, "wrong")]).await;
    let err = MpesaClient::new(bad).unwrap().send_b2c("tok-2", &phone("0712345678"), kes(100), "token test").await.unwrap_err();
    assert!(matches!(&err, MpesaError::Unauthorized { code, .. } if code == "400.008.01"), "{err:?}");
    assert!(!err.may_have_been_accepted());
    assert_eq!(sim.get("/sim/stats").await["b2c_requests"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_is_accepted_and_its_result_arrives_on_the_result_url() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(&["--float-kes", "5000"]);
    let mut cb = Callbacks::listen().await;
    let client = sim.client(dir.path(), &cb.base).await;

    let accepted = client.send_b2c("payout-1", &phone("+254 712 345 678"), kes(1250), "Fundi earnings").await.unwrap();
    let (path, callback) = cb.next().await;
    assert_eq!(path, client::B2C_RESULT_PATH);
    let r = callback.result;
    assert_eq!(
        (r.originator_conversation_id.as_str(), r.conversation_id.as_str()),
        ("payout-1", accepted.conversation_id.as_str())
    );
    let B2cOutcome::Paid(payment) = r.b2c_outcome().unwrap() else { panic!("not paid: {r:?}") };
    assert_eq!(payment.amount, kes(1250));
    assert!(!payment.receipt.is_empty());

    let ledger = sim.ledger().await;
    assert_eq!(ledger["paid_per_receiver"]["254712345678"], 1250);
    assert_eq!(ledger["float_kes"], 5000 - 1250);
    assert_eq!(ledger["payments"]["payout-1"]["settled"]["receipt"], payment.receipt.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_originator_conversation_id_pays_once() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(&[]);
    let mut cb = Callbacks::listen().await;
    let client = sim.client(dir.path(), &cb.base).await;

    client.send_b2c("payout-dup", &phone("0722000111"), kes(300), "Fundi earnings").await.unwrap();
    let err = client.send_b2c("payout-dup", &phone("0722000111"), kes(300), "Fundi earnings").await.unwrap_err();
    assert!(matches!(err, MpesaError::Duplicate { .. }), "{err:?}");
    assert!(err.may_have_been_accepted(), "a duplicate must be reconciled, never resent under a new id");

    let (_, first) = cb.next().await;
    assert!(matches!(first.result.b2c_outcome().unwrap(), B2cOutcome::Paid(_)));
    cb.none_within(Duration::from_millis(800)).await;
    let ledger = sim.ledger().await;
    assert_eq!(ledger["paid_total_kes"], 300);
    assert_eq!(ledger["paid_per_receiver"]["254722000111"], 300);
    let answers: Vec<&str> = ledger["requests"].as_array().unwrap().iter().map(|r| r["answer"].as_str().unwrap()).collect();
    assert_eq!(answers, ["accepted", "refused: duplicate OriginatorConversationID"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insufficient_float_an_unregistered_number_and_a_small_amount_fail_with_documented_codes() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(&["--float-kes", "500", "--unregistered", "254711000111"]);
    let mut cb = Callbacks::listen().await;
    let client = sim.client(dir.path(), &cb.base).await;

    let cases = [
        ("too-much", "0712345678", 1000, codes::INSUFFICIENT_BALANCE),
        ("unregistered", "0711000111", 100, codes::CUSTOMER_TYPE_UNSUPPORTED),
        ("too-little", "0712345678", 5, codes::BELOW_MINIMUM),
        ("too-large", "0712345678", 300_000, codes::ABOVE_MAXIMUM),
    ];
    for (id, to, amount, _) in cases {
        // Accepted: Daraja refuses these in the result, not in its answer.
        client.send_b2c(id, &phone(to), kes(amount), "Fundi earnings").await.unwrap();
    }
    let mut results = HashMap::new();
    for _ in cases {
        let (_, c) = cb.next().await;
        results.insert(c.result.originator_conversation_id.clone(), c.result.b2c_outcome().unwrap());
    }
    for (id, _, _, code) in cases {
        assert!(matches!(&results[id], B2cOutcome::Failed { code: c, .. } if c == code), "{id}: {:?}", results[id]);
    }
    let ledger = sim.ledger().await;
    assert_eq!((ledger["paid_total_kes"].as_u64(), ledger["float_kes"].as_u64()), (Some(0), Some(500)));

    // With the float topped up, the same receiver is paid.
    sim.put("/sim/settings", json!({"float_kes": 2000})).await;
    client.send_b2c("enough", &phone("0712345678"), kes(1000), "Fundi earnings").await.unwrap();
    assert!(matches!(cb.next().await.1.result.b2c_outcome().unwrap(), B2cOutcome::Paid(_)));
    assert_eq!(sim.ledger().await["float_kes"], 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_security_credential_is_refused_and_moves_no_money() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(&[]);
    let mut cb = Callbacks::listen().await;

    // The wrong password, sealed with the right certificate.
    let wrong_password = sim.config(dir.path(), &cb.base, &[(client::ENV_INITIATOR_PASSWORD, "Guess#1234")]).await;
    MpesaClient::new(wrong_password).unwrap().send_b2c("cred-1", &phone("0712345678"), kes(100), "Fundi earnings").await.unwrap();
    // The right password, sealed with another certificate (another simulator's).
    let other = Sim::start(&[]);
    let other_cert = other.config(dir.path(), &cb.base, &[]).await.certificate;
    let mut wrong_cert = sim.config(dir.path(), &cb.base, &[]).await;
    wrong_cert.certificate = other_cert;
    MpesaClient::new(wrong_cert).unwrap().send_b2c("cred-2", &phone("0712345678"), kes(100), "Fundi earnings").await.unwrap();

    for _ in 0..2 {
        let (_, c) = cb.next().await;
        let out = c.result.b2c_outcome().unwrap();
        assert!(matches!(&out, B2cOutcome::Failed { code, .. } if code == codes::INITIATOR_INVALID), "{out:?}");
    }
    assert_eq!(sim.ledger().await["paid_total_kes"], 0);
    // The right credential pays.
    sim.client(dir.path(), &cb.base).await.send_b2c("cred-3", &phone("0712345678"), kes(100), "Fundi earnings").await.unwrap();
    assert!(matches!(cb.next().await.1.result.b2c_outcome().unwrap(), B2cOutcome::Paid(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_request_is_unknown_and_the_status_query_tells_whether_it_paid() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(&[]);
    let mut cb = Callbacks::listen().await;
    let config = sim.config(dir.path(), &cb.base, &[(client::ENV_TIMEOUT_SECS, "1")]).await;
    let client = MpesaClient::new(config).unwrap();
    let receiver = phone("0733444555");

    // Accepted and paid, but never answered, and its result lost.
    sim.faults(json!({"hang_after_accept": {"times": 1}, "drop_callbacks": {"times": 1}})).await;
    let err = client.send_b2c("lost-answer", &receiver, kes(700), "Fundi earnings").await.unwrap_err();
    assert!(matches!(err, MpesaError::Unknown(_)) && err.may_have_been_accepted(), "{err:?}");
    client.query_status(Some("lost-answer"), None).await.unwrap();
    let (path, c) = cb.next().await;
    assert_eq!(path, client::STATUS_RESULT_PATH);
    let StatusOutcome::Completed { original_originator_conversation_id, payment } = c.result.status_outcome().unwrap() else {
        panic!("not completed: {:?}", c.result)
    };
    assert_eq!((original_originator_conversation_id.as_deref(), payment.amount), (Some("lost-answer"), kes(700)));
    // The same answer by its receipt.
    client.query_status(None, Some(&payment.receipt)).await.unwrap();
    assert!(matches!(cb.next().await.1.result.status_outcome().unwrap(), StatusOutcome::Completed { .. }));

    // Never accepted, never answered: the status query finds nothing, and a resend under the
    // same id pays (once).
    sim.faults(json!({"hang_before_accept": {"times": 1}})).await;
    let err = client.send_b2c("never-taken", &receiver, kes(200), "Fundi earnings").await.unwrap_err();
    assert!(matches!(err, MpesaError::Unknown(_)), "{err:?}");
    client.query_status(Some("never-taken"), None).await.unwrap();
    assert_eq!(cb.next().await.1.result.status_outcome().unwrap(), StatusOutcome::NotFound);
    client.send_b2c("never-taken", &receiver, kes(200), "Fundi earnings").await.unwrap();
    assert!(matches!(cb.next().await.1.result.b2c_outcome().unwrap(), B2cOutcome::Paid(_)));

    assert_eq!(sim.ledger().await["paid_per_receiver"]["254733444555"], 900);
    // A depot that cannot reach Daraja at all has sent nothing. (A kept-alive connection that
    // the other side closed is another matter: a request written on it is `Unknown`.)
    let config = sim.config(dir.path(), &cb.base, &[]).await;
    drop(sim);
    let err = MpesaClient::new(config).unwrap().send_b2c("offline", &receiver, kes(200), "Fundi earnings").await.unwrap_err();
    assert!(matches!(err, MpesaError::NotSent(_)) && !err.may_have_been_accepted(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_are_duplicated_reordered_or_replaced_by_a_queue_timeout_as_configured() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(&[]);
    let mut cb = Callbacks::listen().await;
    let client = sim.client(dir.path(), &cb.base).await;

    sim.faults(json!({"duplicate_callbacks": 100})).await;
    client.send_b2c("twice", &phone("0712345678"), kes(100), "Fundi earnings").await.unwrap();
    let (_, a) = cb.next().await;
    let (_, b) = cb.next().await;
    assert_eq!(a.result.originator_conversation_id, "twice");
    assert_eq!(a.result.b2c_outcome().unwrap(), b.result.b2c_outcome().unwrap(), "the same result twice");
    assert_eq!(sim.ledger().await["paid_total_kes"], 100, "paid once");

    sim.faults(json!({"reorder_window": 3, "reorder_flush_ms": 20000})).await;
    for id in ["first", "second", "third"] {
        client.send_b2c(id, &phone("0712345678"), kes(100), "Fundi earnings").await.unwrap();
    }
    let mut order = Vec::new();
    for _ in 0..3 {
        order.push(cb.next().await.1.result.originator_conversation_id);
    }
    assert_eq!(order, ["third", "second", "first"]);

    // A queue timeout: a notice on the timeout URL, nothing paid, and the status says expired.
    sim.faults(json!({"queue_timeout": {"times": 1}})).await;
    client.send_b2c("queued", &phone("0712345678"), kes(100), "Fundi earnings").await.unwrap();
    let (path, notice) = cb.next().await;
    assert_eq!((path.as_str(), notice.result.originator_conversation_id.as_str()), (client::B2C_TIMEOUT_PATH, "queued"));
    client.query_status(Some("queued"), None).await.unwrap();
    let out = cb.next().await.1.result.status_outcome().unwrap();
    assert!(matches!(&out, StatusOutcome::NotCompleted { status, .. } if status == "Expired"), "{out:?}");
    assert_eq!(sim.ledger().await["paid_total_kes"], 400);
    let log = sim.get("/sim/callbacks").await;
    assert_eq!(log.as_array().unwrap().iter().filter(|l| l["originator_conversation_id"] == "twice").count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulator_that_crashes_after_paying_keeps_the_payment_across_its_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sim-state");
    let state_arg = state.to_str().unwrap();
    let mut sim = Sim::start(&["--state-dir", state_arg]);
    let mut cb = Callbacks::listen().await;
    let client = sim.client(dir.path(), &cb.base).await;

    sim.faults(json!({"crash_after_pay": 100})).await;
    let err = client.send_b2c("crash-1", &phone("0712345678"), kes(400), "Fundi earnings").await.unwrap_err();
    assert!(err.may_have_been_accepted(), "{err:?}");
    let status = sim.child.wait().unwrap();
    assert_eq!(status.code(), Some(mpesa::sim::CRASH_EXIT));

    // Restarted on the same state (same key, so the client's credential still opens; its token
    // is unknown to the new process and is fetched again on the 401).
    let port = sim.url.rsplit(':').next().unwrap().to_string();
    let restarted = Sim::start_on(&format!("127.0.0.1:{port}"), &["--state-dir", state_arg]);
    assert_eq!(restarted.ledger().await["paid_per_receiver"]["254712345678"], 400);
    client.query_status(Some("crash-1"), None).await.unwrap();
    let out = cb.next().await.1.result.status_outcome().unwrap();
    assert!(matches!(&out, StatusOutcome::Completed { payment, .. } if payment.amount == kes(400)), "{out:?}");
    let err = client.send_b2c("crash-1", &phone("0712345678"), kes(400), "Fundi earnings").await.unwrap_err();
    assert!(matches!(err, MpesaError::Duplicate { .. }), "{err:?}");
    assert_eq!(restarted.ledger().await["paid_total_kes"], 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_shows_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(&[]);
    let config = sim.config(dir.path(), "http://127.0.0.1:9/mpesa/hook-s3cr3t", &[]).await;
    let shown = format!("{config:?}");
    for secret in ["fundi-sim-consumer-key", "fundi-sim-consumer-secret", "Fundi#Sim2025", "hook-s3cr3t"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("fundi_sim_initiator") && shown.contains("600000"), "{shown}");
}
