//! A real depot: its SQLite store in a temporary directory, one enrolled device per role (the
//! device ids of [`crate::facts::device_of`]), and its axum router called in-process. There is
//! no socket, so no TLS: the router is given a fixed key fingerprint ([`fingerprint`]) to bind
//! enrollments to, and each request carries the client address the depot's listener would have
//! put in it (`ConnectInfo<PeerAddr>`: the enrollment handlers count wrong codes per address).

use crate::facts::device_of;
use crate::http::{self, tls::PeerAddr, Identity};
use crate::store::accounts::{self, Caller, NewEnrollment};
use crate::store::shops::ShopRates;
use crate::store::{margins, orders, products, push, Db, DEFAULT_TOKEN_TTL_MS};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use fundi_sync::enrollment::{code_id, code_secret, normalize_code};
use fundi_sync::hlc::{wall_clock_ms, Timestamp};
use fundi_sync::identity::KeyFingerprint;
use fundi_sync::Role;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

pub struct Device {
    pub account_id: String,
    pub device_id: String,
    pub token: String,
}

pub struct RealDepot {
    pub db: Arc<Db>,
    rt: tokio::runtime::Runtime,
    router: Router,
    devices: Vec<(Role, Device)>,
    /// The public names (first groups) of the codes the setup used.
    pub setup_code_ids: Vec<String>,
    _dir: tempfile::TempDir,
}

/// The fingerprint of the key this depot "serves" (what its enrollments are bound to).
pub fn fingerprint() -> KeyFingerprint {
    KeyFingerprint::of_spki(b"fuzz depot")
}

/// The client address of requests that do not say otherwise.
pub const LOOPBACK: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 40000);

/// One depot per fuzzing process (its state grows with the run, as a real depot's does).
pub fn shared() -> &'static RealDepot {
    static DEPOT: OnceLock<RealDepot> = OnceLock::new();
    DEPOT.get_or_init(RealDepot::new)
}

/// An answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    /// The error code of a non-2xx answer (every one has an `ApiErrorBody`).
    pub fn code(&self) -> String {
        let v: serde_json::Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("status {} without a JSON error body ({e}): {:?}", self.status, self.body));
        v["error"].as_str().unwrap_or_else(|| panic!("error body without a code: {v}")).to_string()
    }
}

impl RealDepot {
    pub fn new() -> RealDepot {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut db = Db::open(&dir.path().join("depot")).expect("open the depot store");
        // One fuzzing process is one client address sending refusal after refusal: the shop
        // webhook's rate limits would answer every later input 429 and hide what follows.
        db.shop_rates = ShopRates { refusals_per_minute: u32::MAX, deliveries_per_minute: u32::MAX };
        let db = Arc::new(db);
        let operator = Caller::local_operator();
        // Products are published in dollars: a rate is in force (ADR 0027).
        let since = fundi_sync::dates::Day::parse("2000-01-01").expect("a day");
        db.write(|tx| margins::set_exchange_rate(tx, &operator, "USD", since, 1_295_000)).expect("a dollar rate");
        let mut devices = vec![];
        let mut setup_code_ids = vec![];
        let mut mentor = None;
        for role in [Role::Mentor, Role::Artisan, Role::Staff, Role::Operations] {
            let request =
                NewEnrollment { role, name: format!("Fuzz {}", role.code()), mentor_id: mentor.clone(), depot_id: None };
            let code = db.write(|tx| accounts::enroll(tx, &operator, request)).expect("enroll");
            let device_id = device_of(role).to_string();
            // What the depot's enrollment handler does once the key exchange proved the code.
            let normalized = normalize_code(&code.code).expect("the depot issues well-formed codes");
            setup_code_ids.push(code_id(&normalized).to_string());
            let secret = code_secret(&normalized);
            let cred =
                db.write(|tx| accounts::exchange_code(tx, &secret, &device_id, DEFAULT_TOKEN_TTL_MS)).expect("exchange code");
            if role == Role::Mentor {
                mentor = Some(cred.account_id.clone());
            }
            devices.push((role, Device { account_id: cred.account_id, device_id, token: cred.token }));
        }
        // Something in the change feed: a draft of the artisan's, and two orders (one hers).
        let artisan = &devices.iter().find(|(r, _)| *r == Role::Artisan).expect("artisan").1;
        let caller =
            Caller { account_id: artisan.account_id.clone(), role: Role::Artisan, device_id: Some(artisan.device_id.clone()) };
        let push: fundi_sync::PushRequest =
            serde_json::from_value(serde_json::json!({"protocol": 1, "device_id": artisan.device_id,
            "mutations": [{"counter": 1, "kind": "draft", "id": crate::facts::DRAFT, "fields": {
                "title": {"value": "Kikapu", "hlc": Timestamp { wall_ms: wall_clock_ms() - 60_000, counter: 0, node: 7 }},
                "price": {"value": 150_000, "hlc": Timestamp { wall_ms: wall_clock_ms() - 60_000, counter: 0, node: 7 }}}}]}))
            .expect("a push");
        let answer = push::push(&db, &caller, &push).expect("push the seed draft");
        assert!(answer.results.iter().all(|r| r.rejected.is_none()), "{answer:?}");
        let new_order = |r: &str, artisan_id: Option<String>| orders::NewOrder {
            source: "shop".into(),
            external_ref: r.into(),
            product: "Kiondo".into(),
            quantity: 2,
            price_minor: 150_000,
            artisan_id,
            due_date: Some("2026-12-24".into()),
            product_id: None,
        };
        let list = [new_order("S-1", Some(artisan.account_id.clone())), new_order("S-2", None)];
        orders::import(&db, &operator, &list).expect("import the seed orders");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let router =
            http::router(db.clone(), http::MAX_BODY, Identity { fingerprint: fingerprint(), next_key: None, tls: true }, None);
        RealDepot { db, rt, router, devices, setup_code_ids, _dir: dir }
    }

    /// Use up `code` if it is still unused (with a device of its own), as the depot's
    /// enrollment handler would. A harness's chore, not a check: every live code's public name
    /// (16 bits) is unique, and the depot looks for a free one until it finds one, so a long
    /// run that left every code it issued unused would end with the depot looking forever.
    pub fn retire_code(&self, code: &str) {
        let Ok(normalized) = normalize_code(code) else { return };
        let secret = code_secret(&normalized);
        let device = fundi_sync::ids::new_id();
        let _ = self.db.write(|tx| accounts::exchange_code(tx, &secret, &device, DEFAULT_TOKEN_TTL_MS));
    }

    pub fn device(&self, role: Role) -> &Device {
        &self.devices.iter().find(|(r, _)| *r == role).expect("a device per role").1
    }

    /// One request through the depot's router, from [`LOOPBACK`]. `None`: `uri` is not a valid
    /// request target (the HTTP layer refuses it before any route sees it).
    pub fn call(&self, method: &str, uri: &str, token: Option<&str>, gzip: bool, body: Vec<u8>) -> Option<Answer> {
        self.call_from(LOOPBACK, method, uri, token, gzip, body)
    }

    /// One request through the depot's router, from [`LOOPBACK`], with these headers and no
    /// token (a shop's webhook is signed instead).
    pub fn call_headers(&self, method: &str, uri: &str, headers: &[(&str, String)], body: Vec<u8>) -> Option<Answer> {
        let mut req = axum::http::Request::builder().method(method).uri(uri).extension(ConnectInfo(PeerAddr(LOOPBACK)));
        for (name, value) in headers {
            req = req.header(*name, value.as_str());
        }
        let req = req.header("content-type", "application/json").body(Body::from(body)).ok()?;
        Some(self.send(req))
    }

    /// A new product of the artisan's on sale, made the real way: her draft written and
    /// submitted by her phone's push, approved by staff's, published by operations; `held`
    /// pieces of it received into stock by staff (when above 0). Its id.
    pub fn product_on_sale(&self, held: i64) -> String {
        let id = fundi_sync::ids::new_id();
        let stamp = Timestamp { wall_ms: wall_clock_ms() - 1000, counter: 0, node: 7 };
        let push = |role: Role, mutations: serde_json::Value| {
            let d = self.device(role);
            let last: i64 = self
                .db
                .read(|tx| {
                    Ok(tx.query_row("SELECT last_counter FROM devices WHERE device_id = ?1", [&d.device_id], |r| r.get(0))?)
                })
                .expect("the device's counter");
            let mut mutations = mutations;
            for (i, m) in mutations.as_array_mut().expect("a list").iter_mut().enumerate() {
                m["counter"] = serde_json::json!(last + 1 + i as i64);
            }
            let req: fundi_sync::PushRequest =
                serde_json::from_value(serde_json::json!({"protocol": 1, "device_id": d.device_id, "mutations": mutations}))
                    .expect("a push");
            let caller = Caller { account_id: d.account_id.clone(), role, device_id: Some(d.device_id.clone()) };
            let answer = push::push(&self.db, &caller, &req).expect("a push");
            assert!(answer.results.iter().all(|r| r.rejected.is_none()), "{answer:?}");
        };
        push(
            Role::Artisan,
            serde_json::json!([
                {"kind": "draft", "id": id, "fields": {
                    "title": {"value": "Kikapu", "hlc": stamp},
                    "price": {"value": 150_000, "hlc": stamp},
                    "weekly_capacity": {"value": 3, "hlc": stamp}}},
                {"kind": "draft", "id": id, "command": {"name": "submit", "hlc": stamp}},
            ]),
        );
        push(Role::Staff, serde_json::json!([{"kind": "draft", "id": id, "command": {"name": "approve", "hlc": stamp}}]));
        if held > 0 {
            let entry = fundi_sync::ids::new_id();
            push(
                Role::Staff,
                serde_json::json!([{"kind": "stock", "id": entry, "entry":
                    {"id": entry, "product_id": id, "delta": held, "reason": "received", "hlc": stamp}}]),
            );
        }
        let publish = products::ListingChange::Publish { price_minor: 2500, currency: "USD".into() };
        self.db.write(|tx| products::change_listing(tx, &Caller::local_operator(), &id, &publish)).expect("publish");
        id
    }

    /// `req` through the depot's router, its answer read whole.
    fn send(&self, req: axum::http::Request<Body>) -> Answer {
        let router = self.router.clone();
        self.rt.block_on(async move {
            let resp = router.oneshot(req).await.expect("the router is infallible");
            let status = resp.status().as_u16();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("a body in memory").to_vec();
            Answer { status, body }
        })
    }

    /// One request through the depot's router from the client address `peer`.
    pub fn call_from(
        &self,
        peer: SocketAddr,
        method: &str,
        uri: &str,
        token: Option<&str>,
        gzip: bool,
        body: Vec<u8>,
    ) -> Option<Answer> {
        // What `into_make_service_with_connect_info::<PeerAddr>` puts in every request.
        let mut req = axum::http::Request::builder().method(method).uri(uri).extension(ConnectInfo(PeerAddr(peer)));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if gzip {
            req = req.header("content-encoding", "gzip");
        }
        let req = req.header("content-type", "application/json").body(Body::from(body)).ok()?;
        Some(self.send(req))
    }
}

impl Default for RealDepot {
    fn default() -> Self {
        RealDepot::new()
    }
}
