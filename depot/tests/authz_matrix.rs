//! The authorization matrix of the depot's HTTP API, generated from one table ([`rows`]): for
//! each route, cases that name who is allowed, run by every caller — the owner artisan, another
//! artisan, the owner's mentor, another mentor, staff, staff of another depot (ADR 0030),
//! operations, no credential, and a revoked operations device. The routes are read from the router's source and from `openapi.json`, and
//! `every_route_has_allowed_and_refused_rows` fails when a route has no rows, so a new route
//! cannot be added without them. Expectations are written from the design, not read from the
//! server's code. An allowed call must have its effect (each row checks it); a refused one must
//! leave accounts, codes, devices, records, uploads and blob files exactly as they were.

mod common;
use common::{command, field_write, numbered, stock_entry, Dev, Server};
use serde_json::{json, Value};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// Artisan a1, whose records the rows act on.
    Owner,
    /// Artisan b1, another mentor's mentee.
    OtherArtisan,
    /// a1's mentor.
    Mentor,
    /// b1's mentor.
    OtherMentor,
    /// Staff of the depot a1, b1 and their mentors belong to (the default one).
    Staff,
    /// Staff of another depot (North), where a1 and b1 are not.
    OtherStaff,
    Operations,
    /// No credential at all.
    Anonymous,
    /// An operations device that was revoked: the strongest role, with a dead credential.
    Revoked,
}
use Who::*;

const EVERYONE: &[Who] = &[Owner, OtherArtisan, Mentor, OtherMentor, Staff, OtherStaff, Operations, Anonymous, Revoked];
const ENROLLED: &[Who] = &[Owner, OtherArtisan, Mentor, OtherMentor, Staff, OtherStaff, Operations];
const NOBODY: &[Who] = &[];
/// How an enrolled caller without the right is refused: a record they may not read does not
/// exist for them (not_found), anything else is forbidden.
const ROLE: &[&str] = &["forbidden", "not_found"];

struct World {
    s: Server,
    a1: Dev,
    b1: Dev,
    ma: Dev,
    mb: Dev,
    staff: Dev,
    /// Staff of depot `north`.
    other_staff: Dev,
    north: String,
    ops: Dev,
    revoked: Dev,
    /// A second operations account: it creates the batches operations then approve.
    ops2: Dev,
    /// a1's draft, never submitted (so its owner may always write it); the product of stock.
    draft_a: String,
    /// A product of a1's on sale (the public shop's), and its photo (uploaded with a thumbnail).
    on_sale: String,
    on_sale_photo: String,
    /// A shop that sends orders by the webhook, and one operations revoked: (id, secret).
    shop: (String, String),
    revoked_shop: (String, String),
}

fn world() -> World {
    let s = Server::start();
    // Products are published in dollars: a rate is in force (ADR 0027).
    s.cli(&["exchange-rate", "--currency", "USD", "--from", "2000-01-01", "--kes", "129.50"]);
    let ma = s.device("mentor", "ma", None);
    let mb = s.device("mentor", "mb", None);
    let a1 = s.device("artisan", "a1", Some(&ma.account));
    let b1 = s.device("artisan", "b1", Some(&mb.account));
    let staff = s.device("staff", "staff", None);
    let north = s.add_depot("North");
    let other_staff = s.device_in(&north, "staff", "north staff", None);
    let ops = s.device("operations", "ops", None);
    let ops2 = s.device("operations", "ops2", None);
    let revoked = s.device("operations", "gone", None);
    let (st, v) = s.req(Some(&ops), &format!("/v1/devices/{}/revoke", revoked.device), Some(json!({})));
    assert_eq!(st, 200, "{v}");
    let draft_a = common::uuid_like();
    assert_eq!(s.push(&a1, vec![field_write(&draft_a, "draft", "title", json!("A's basket"))]), vec![None]);
    let draft_b = common::uuid_like();
    assert_eq!(s.push(&b1, vec![field_write(&draft_b, "draft", "title", json!("B's bowl"))]), vec![None]);
    assert_eq!(s.push(&a1, vec![field_write(&a1.account, "profile", "display_name", json!("A"))]), vec![None]);
    assert_eq!(s.push(&staff, vec![stock_entry(&draft_a, 2), stock_entry(&draft_b, 3)]), vec![None, None]);
    let photo = fresh_photo();
    let on_sale = s.product_on_sale(&a1, &ma, &ops, "On sale", 150_000, 1, &[&photo], true, 2500);
    let on_sale_photo = common::sha(&photo);
    let add_shop = |name: &str| {
        let v: Value = serde_json::from_str(&s.cli(&["shop", "add", "--json", "--name", name])).unwrap();
        (v["id"].as_str().unwrap().to_string(), v["secret"].as_str().unwrap().to_string())
    };
    let (shop, revoked_shop) = (add_shop("Web shop"), add_shop("Old shop"));
    s.cli(&["shop", "revoke", &revoked_shop.0]);
    World {
        s,
        a1,
        b1,
        ma,
        mb,
        staff,
        other_staff,
        north,
        ops,
        revoked,
        ops2,
        draft_a,
        on_sale,
        on_sale_photo,
        shop,
        revoked_shop,
    }
}

impl World {
    fn dev(&self, who: Who) -> Option<&Dev> {
        match who {
            Owner => Some(&self.a1),
            OtherArtisan => Some(&self.b1),
            Mentor => Some(&self.ma),
            OtherMentor => Some(&self.mb),
            Staff => Some(&self.staff),
            OtherStaff => Some(&self.other_staff),
            Operations => Some(&self.ops),
            Anonymous => None,
            Revoked => Some(&self.revoked),
        }
    }

    fn http(&self, who: Who, path: &str, body: Option<Value>) -> (u16, Value) {
        self.s.req(self.dev(who), path, body)
    }

    /// One mutation pushed by `who` (numbered after its device's last counter).
    fn push(&self, who: Who, m: Value) -> Seen {
        let Some(d) = self.dev(who) else {
            let body = json!({"protocol": 1, "device_id": common::uuid_like(), "mutations": [numbered(m, 1)]});
            let (s, v) = self.s.req(None, "/v1/sync/push", Some(body));
            return seen(s, &v);
        };
        let counter = d.counter.get() + 1;
        let (s, v) = self.s.push_raw(d, vec![numbered(m, counter)]);
        if s != 200 {
            return seen(s, &v);
        }
        d.counter.set(counter);
        match v["results"][0]["rejected"]["code"].as_str() {
            None => Seen::Allowed,
            Some(code) => Seen::Refused(200, code.into()),
        }
    }

    /// A record's body as stored.
    fn body(&self, kind: &str, id: &str) -> Value {
        let row = self.s.records().into_iter().find(|r| r.0 == kind && r.1 == id);
        serde_json::from_str(&row.unwrap_or_else(|| panic!("no {kind} {id}")).4).unwrap()
    }

    fn owner(&self, kind: &str, id: &str) -> Option<String> {
        self.s.records().into_iter().find(|r| r.0 == kind && r.1 == id).unwrap().2
    }

    /// A new draft of a1's, submitted for review when `submitted`.
    fn fresh_draft(&self, submitted: bool) -> String {
        let id = common::uuid_like();
        let mut ms = vec![field_write(&id, "draft", "title", json!("fresh"))];
        if submitted {
            ms.push(command("draft", &id, "submit"));
        }
        assert!(self.s.push(&self.a1, ms).iter().all(Option::is_none));
        id
    }

    /// A new order assigned to a1, brought along the happy path by `steps` of a1's commands.
    fn fresh_order(&self, steps: &[&str]) -> String {
        let o = json!({"source": "shop", "external_ref": common::uuid_like(), "product": "P", "quantity": 1, "price_minor": 100, "artisan_id": self.a1.account});
        let (s, v) = self.s.req(Some(&self.ops), "/v1/orders", Some(json!({"orders": [o]})));
        assert_eq!(s, 200, "{v}");
        let id = v["created"][0].as_str().unwrap().to_string();
        if !steps.is_empty() {
            let ms = steps.iter().map(|c| command("order", &id, c)).collect();
            assert!(self.s.push(&self.a1, ms).iter().all(Option::is_none));
        }
        id
    }

    /// A new photo named by a new draft of a1's (`id`: its hash), uploaded by a1 when
    /// `uploaded`, and then dropped from the draft when `dropped`.
    fn photo(&self, uploaded: bool, dropped: bool) -> Fx {
        let bytes = fresh_photo();
        let draft = self.s.photo_draft(&self.a1, &[&bytes]);
        if uploaded {
            let loc = self.s.tus_start(&self.a1, &bytes);
            assert_eq!(self.s.tus_send(&self.a1, &loc, &bytes, 0, PHOTO_LEN).status, 204);
        }
        if dropped {
            self.s.set_photos(&self.a1, &draft, &[]);
        }
        Fx { id: common::sha(&bytes), dev: None }
    }

    /// A photo of a1's draft, uploaded with its thumbnail.
    fn photo_and_thumbnail(&self) -> Fx {
        let fx = self.photo(true, false);
        self.s.tus_thumbnail(&self.a1, &fresh_photo()[..500], &fx.id);
        fx
    }

    /// An upload a1 started (nothing sent yet): its location.
    fn upload(&self) -> Fx {
        let bytes = fresh_photo();
        self.s.photo_draft(&self.a1, &[&bytes]);
        Fx { id: self.s.tus_start(&self.a1, &bytes), dev: None }
    }

    fn ready_order(&self) -> String {
        self.fresh_order(&["accept", "start_production", "mark_ready"])
    }

    /// An order that passed the depot's check (staff received and passed it over HTTP).
    fn passed_order(&self) -> String {
        let id = self.ready_order();
        for c in ["receive", "qc_pass"] {
            let (s, v) = self.s.req(Some(&self.staff), &format!("/v1/orders/{id}/commands"), Some(json!({"command": c})));
            assert_eq!(s, 200, "{v}");
        }
        id
    }
}

const PHOTO_LEN: usize = 2000;

/// Bytes no other photo has.
fn fresh_photo() -> Vec<u8> {
    let id = common::uuid_like().replace('-', "");
    common::photo(u64::from_str_radix(&id[16..], 16).unwrap(), PHOTO_LEN)
}

/// A raw answer as a row sees it: allowed with `ok`, else refused with its typed code.
fn answered(a: &common::Answer, ok: u16) -> Seen {
    if a.status == ok {
        Seen::Allowed
    } else {
        let (status, code) = a.refusal();
        Seen::Refused(status, code)
    }
}

/// Create an upload of the photo `fx.id` as `who`; allowed, it is stored as the caller's.
fn create_upload(w: &World, who: Who, fx: &Fx) -> Seen {
    let a = w.s.tus_create(w.dev(who), &fx.id, PHOTO_LEN as u64);
    if a.status == 201 {
        let device = w.dev(who).unwrap().device.clone();
        assert!(w.s.uploads().iter().any(|u| u.1 == device && u.2 == fx.id), "{who:?}'s upload is stored");
    }
    answered(&a, 201)
}

/// Read the blob `fx.id` as `who`; allowed, its bytes hash to its name.
fn read_blob(w: &World, who: Who, fx: &Fx) -> Seen {
    let a = w.s.send(w.dev(who), "GET", &format!("/v1/blobs/{}", fx.id), &[], None);
    if a.status == 200 {
        assert_eq!(common::sha(&a.body), fx.id);
    }
    answered(&a, 200)
}

/// A public shop route read by `who` (whose credential, if any, is not looked at): allowed with
/// 200 when `shows` is in the answer, refused with its typed code (a page's in `Fundi-Error`).
fn public_read(w: &World, who: Who, path: &str, shows: &str) -> Seen {
    let a = w.s.send(w.dev(who), "GET", path, &[], None);
    if a.status == 200 {
        let text = String::from_utf8_lossy(&a.body);
        assert!(text.contains(shows), "{path} shows {shows}: {text}");
    }
    answered(&a, 200)
}

/// A new product of a1's on sale (approved by her mentor, published by operations): its id.
fn fresh_on_sale(w: &World) -> Fx {
    Fx { id: w.s.product_on_sale(&w.a1, &w.ma, &w.ops, "Kikapu", 150_000, 2, &[], false, 2500), dev: None }
}

/// A new order of one piece of `fx.id` signed with `shop`'s (id, secret) and sent with `who`'s
/// token, if any (the route does not look at it); allowed, the order is made with the shop as
/// its source.
fn shop_order(w: &World, who: Who, shop: &(String, String), fx: &Fx) -> Seen {
    use fundi_sync::shop::{sign, SHOP_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
    let body = json!({"order_id": common::uuid_like()[..30], "lines": [{"product_id": fx.id, "quantity": 1}]}).to_string();
    let ts = (fundi_sync::hlc::wall_clock_ms() / 1000).to_string();
    let headers = [
        ("content-type", "application/json".to_string()),
        (SHOP_HEADER, shop.0.clone()),
        (SIGNATURE_HEADER, sign(&shop.1, &ts, body.as_bytes())),
        (TIMESTAMP_HEADER, ts),
    ];
    let a = w.s.send(w.dev(who), "POST", "/v1/shop/orders", &headers, Some(body.into_bytes()));
    if a.status == 200 {
        let v: Value = serde_json::from_slice(&a.body).unwrap();
        let order = w.body("order", v["orders"][0]["order_id"].as_str().unwrap());
        assert_eq!((order["source"].as_str(), order["product_id"].as_str()), (Some(shop.0.as_str()), Some(fx.id.as_str())));
    }
    answered(&a, 200)
}

/// What a call did: allowed, or refused with (HTTP status, error code). A push's refused
/// mutation is (200, its rejection code).
#[derive(Debug, PartialEq)]
enum Seen {
    Allowed,
    Refused(u16, String),
}

fn seen(status: u16, v: &Value) -> Seen {
    if status == 200 {
        Seen::Allowed
    } else {
        Seen::Refused(status, v["error"].as_str().unwrap_or("(no code)").into())
    }
}

/// What a row's setup prepared for one call: a record or code, and maybe a device.
#[derive(Default)]
struct Fx {
    id: String,
    dev: Option<Dev>,
}

struct Row {
    /// `METHOD /path`, as in `openapi.json`.
    route: &'static str,
    case: &'static str,
    allowed: &'static [Who],
    /// The codes a refused enrolled caller may get (no credential and a revoked one always get
    /// 401 `unauthorized` / `revoked` on an authenticated route).
    refusals: &'static [&'static str],
    setup: fn(&World) -> Fx,
    call: fn(&World, Who, &Fx) -> Seen,
}

/// A fresh enrollment code for a new artisan account, issued by operations.
fn artisan_code(w: &World) -> Fx {
    let (s, v) = w.s.req(Some(&w.ops), "/v1/enrollments", Some(json!({"role": "artisan", "name": "n"})));
    assert_eq!(s, 200);
    Fx { id: v["code"].as_str().unwrap().into(), dev: None }
}

fn nothing(_: &World) -> Fx {
    Fx::default()
}

fn marker(who: Who) -> String {
    format!("by {who:?} {}", common::uuid_like())
}

/// An account's (role, mentor, depot) as stored.
fn account_row(w: &World, id: &str) -> (String, Option<String>, Option<String>) {
    w.s.db()
        .query_row("SELECT role, mentor_id, depot_id FROM accounts WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap()
}

/// The depot an account belongs to, as stored.
fn depot_of(w: &World, id: &str) -> Option<String> {
    account_row(w, id).2
}

/// Create an account of `role` (with `mentor`, in depot `depot` when named) as `who`; allowed,
/// it exists as asked.
fn enroll_in(w: &World, who: Who, role: &str, mentor: Option<&str>, depot: Option<&str>) -> Seen {
    let mut body = json!({"role": role, "name": "New person"});
    if let Some(m) = mentor {
        body["mentor_id"] = json!(m);
    }
    if let Some(d) = depot {
        body["depot_id"] = json!(d);
    }
    let (s, v) = w.http(who, "/v1/enrollments", Some(body));
    if s == 200 {
        // A mentor's new artisan is their own mentee; others' get the mentor they named.
        let expected_mentor = match who {
            Mentor | OtherMentor => Some(w.dev(who).unwrap().account.clone()),
            _ => mentor.map(String::from),
        };
        // Operations enroll into the depot named (the default one when none is), others into
        // their own; an operations account belongs to none.
        let me = w.dev(who).unwrap().account.clone();
        let expected_depot = match (role, who) {
            ("operations", _) => None,
            (_, Operations) => Some(depot.unwrap_or(DEFAULT_DEPOT).to_string()),
            _ => depot_of(w, &me),
        };
        assert_eq!(account_row(w, v["account_id"].as_str().unwrap()), (role.to_string(), expected_mentor, expected_depot));
    }
    seen(s, &v)
}

fn enroll_as(w: &World, who: Who, role: &str, mentor: Option<&str>) -> Seen {
    enroll_in(w, who, role, mentor, None)
}

/// The default depot's id (`store::depots::DEFAULT_DEPOT`).
const DEFAULT_DEPOT: &str = "00000000-0000-7000-8000-00000000d001";

/// A replacement code for `target` asked by `who`; allowed, it enrolls a device of `target`.
fn code_for(w: &World, who: Who, target: &str) -> Seen {
    let (s, v) = w.http(who, &format!("/v1/accounts/{target}/codes"), Some(json!({})));
    if s == 200 {
        let d = w.s.enroll_code(v["code"].as_str().unwrap());
        let (st, me) = w.s.req(Some(&d), "/v1/me", None);
        assert_eq!((st, me["id"].as_str()), (200, Some(target)), "the code is for {target}");
    }
    seen(s, &v)
}

/// Revoke `fx.dev` as `who`: allowed, it is refused from then on; refused, it still works.
fn revoke(w: &World, who: Who, fx: &Fx) -> Seen {
    let target = fx.dev.as_ref().unwrap();
    let (s, v) = w.http(who, &format!("/v1/devices/{}/revoke", target.device), Some(json!({})));
    let (st, me) = w.s.req(Some(target), "/v1/me", None);
    if s == 200 {
        assert_eq!((st, me["error"].as_str()), (401, Some("revoked")));
    } else {
        assert_eq!(st, 200, "a refused revocation leaves the device working: {me}");
    }
    seen(s, &v)
}

/// Write `field` of a1's document `kind`/`id`; allowed, the stored value is the one written.
fn write_a1(w: &World, who: Who, kind: &str, id: &str, field: &str) -> Seen {
    let value = marker(who);
    let r = w.push(who, field_write(id, kind, field, json!(value)));
    if r == Seen::Allowed {
        assert_eq!(w.body(kind, id)["doc"]["fields"][field]["value"], json!(value));
        assert_eq!(w.owner(kind, id).as_deref(), Some(w.a1.account.as_str()), "the owner never changes");
    }
    r
}

/// A draft command on a fresh draft; allowed, the draft is in `to`.
fn draft_command(w: &World, who: Who, fx: &Fx, name: &str, to: &str) -> Seen {
    let r = w.push(who, command("draft", &fx.id, name));
    if r == Seen::Allowed {
        assert_eq!(w.body("draft", &fx.id)["status"], to);
    }
    r
}

/// An order command pushed by a phone; allowed, the order is in `to`.
fn order_push(w: &World, who: Who, fx: &Fx, name: &str, to: &str) -> Seen {
    let r = w.push(who, command("order", &fx.id, name));
    if r == Seen::Allowed {
        assert_eq!(w.body("order", &fx.id)["status"], to);
    }
    r
}

/// An order command over the operations API; allowed, the answer and the store say `to`.
fn order_api(w: &World, who: Who, id: &str, c: Value, to: &str) -> Seen {
    let (s, v) = w.http(who, &format!("/v1/orders/{id}/commands"), Some(c));
    if s == 200 {
        assert_eq!(v["status"], to, "{v}");
        assert_eq!(w.body("order", id)["status"], to);
    }
    seen(s, &v)
}

/// What the feed from the start would bring `who`, counted by the depot: as many records and
/// exits as the pull itself sends them (whose scope `pull_scope` checks), and about its bytes.
fn estimate_scope(w: &World, who: Who, _: &Fx) -> Seen {
    let (s, v) = w.http(who, "/v1/sync/estimate?cursor=0&limit=1000", None);
    if s != 200 {
        return seen(s, &v);
    }
    let (s, page) = w.http(who, "/v1/sync/pull?cursor=0&limit=1000", None);
    assert_eq!(s, 200, "{page}");
    let changes = page["changes"].as_array().unwrap().len();
    let exits = page["exits"].as_array().map_or(0, Vec::len);
    assert_eq!((v["changes"].as_u64(), v["exits"].as_u64()), (Some(changes as u64), Some(exits as u64)), "{who:?}: {v}");
    assert_eq!((v["pages"].as_u64(), v["resync"].as_bool()), (Some(1), Some(false)), "{v}");
    // The page's JSON, within a few percent.
    let (estimated, actual) = (v["bytes"].as_u64().unwrap() as f64, serde_json::to_vec(&page).unwrap().len() as f64);
    assert!((estimated - actual).abs() <= 0.05 * actual + 100.0, "{who:?}: estimated {estimated} bytes, the page has {actual}");
    Seen::Allowed
}

/// The change feed from the start, as `who`: exactly the records the design lets them read.
fn pull_scope(w: &World, who: Who, _: &Fx) -> Seen {
    let (s, v) = w.http(who, "/v1/sync/pull?cursor=0&limit=1000", None);
    if s != 200 {
        return seen(s, &v);
    }
    assert_eq!(v["more"], false, "the test world fits one page");
    let changes = v["changes"].as_array().unwrap();
    let got: BTreeSet<(String, String)> =
        changes.iter().map(|c| (c["kind"].as_str().unwrap().into(), c["id"].as_str().unwrap().into())).collect();
    let me = w.dev(who).unwrap().account.clone();
    let db = w.s.db();
    let mut q = db.prepare("SELECT id FROM accounts WHERE mentor_id = ?1").unwrap();
    let mentees: BTreeSet<String> = q.query_map([&me], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    // Staff see their depot's accounts' records, and the orders of no one's yet.
    let mut q = db.prepare("SELECT id FROM accounts WHERE depot_id = (SELECT depot_id FROM accounts WHERE id = ?1)").unwrap();
    let my_depot: BTreeSet<String> = q.query_map([&me], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let expected: BTreeSet<(String, String)> =
        w.s.records()
            .into_iter()
            .filter(|(kind, _, owner, ..)| {
                let unassigned = owner.is_none();
                let owner = owner.clone().unwrap_or_default();
                if kind == "rejection" || kind == "money" {
                    return owner == me; // refusals go to their sender alone, money to its owner alone
                }
                match who {
                    Owner | OtherArtisan => owner == me,
                    Mentor | OtherMentor => mentees.contains(&owner) || owner == me,
                    Staff | OtherStaff => unassigned || my_depot.contains(&owner),
                    _ => true,
                }
            })
            .map(|(kind, id, ..)| (kind, id))
            .collect();
    assert_eq!(got, expected, "{who:?} sees exactly what they may read");
    if who == OtherStaff {
        // Nothing of a1's or b1's: they are the other depot's.
        assert!(changes
            .iter()
            .all(|c| c["body"]["owner"] != w.a1.account.as_str() && c["body"]["artisan_id"] != w.a1.account.as_str()));
        assert!(got.iter().any(|(k, _)| k == "order"), "the orders of no one's yet are every depot's staff's to see");
    }
    if matches!(who, Owner | OtherArtisan) {
        // Read from the bodies themselves: an artisan never sees another's record.
        for c in changes.iter().filter(|c| c["kind"] != "rejection") {
            let named = c["body"]["owner"].as_str().or(c["body"]["artisan_id"].as_str());
            assert_eq!(named, Some(me.as_str()), "{who:?} must not see {c}");
        }
    }
    seen(s, &v)
}

fn rows() -> Vec<Row> {
    vec![
        // Public routes: the credential, if any, is not looked at.
        Row {
            route: "GET /openapi.json",
            case: "read the API document",
            allowed: EVERYONE,
            refusals: &[],
            setup: nothing,
            call: |w, who, _| {
                let (s, v) = w.http(who, "/openapi.json", None);
                assert_eq!(v["openapi"], "3.1.0");
                seen(s, &v)
            },
        },
        Row {
            route: "GET /v1/health",
            case: "protocol and server time",
            allowed: EVERYONE,
            refusals: &[],
            setup: nothing,
            call: |w, who, _| {
                let (s, v) = w.http(who, "/v1/health", None);
                assert_eq!(v["protocol"], 1);
                seen(s, &v)
            },
        },
        Row {
            route: "GET /healthz",
            case: "the process is alive",
            allowed: EVERYONE,
            refusals: &[],
            setup: nothing,
            call: |w, who, _| {
                let (s, v) = w.http(who, "/healthz", None);
                assert_eq!(v["status"], "ok");
                seen(s, &v)
            },
        },
        Row {
            route: "GET /readyz",
            case: "the store answers",
            allowed: EVERYONE,
            refusals: &[],
            setup: nothing,
            call: |w, who, _| {
                let (s, v) = w.http(who, "/readyz", None);
                assert_eq!(v["status"], "ready");
                seen(s, &v)
            },
        },
        Row {
            route: "POST /v1/enroll/finish",
            case: "exchange a fresh code",
            allowed: EVERYONE,
            refusals: &[],
            setup: artisan_code,
            call: |w, _, fx| {
                let (s, v) = w.s.enroll_raw(&fx.id, &common::uuid_like());
                assert_eq!(v["role"], "artisan", "{v}");
                seen(s, &v)
            },
        },
        Row {
            route: "POST /v1/enroll/finish",
            case: "exchange a used code on another device",
            allowed: NOBODY,
            refusals: &["conflict"],
            setup: |w| {
                let (_, v) = w.s.req(Some(&w.ops), "/v1/enrollments", Some(json!({"role": "operations", "name": "n"})));
                let code = v["code"].as_str().unwrap().to_string();
                w.s.enroll_code(&code);
                Fx { id: code, dev: None }
            },
            call: |w, _, fx| {
                let (s, v) = w.s.enroll_raw(&fx.id, &common::uuid_like());
                seen(s, &v)
            },
        },
        Row {
            route: "POST /v1/enroll/start",
            case: "start with an issued code",
            allowed: EVERYONE,
            refusals: &[],
            setup: artisan_code,
            call: |w, _, fx| {
                let (_, start) = fundi_sync::enrollment::PhoneEnrollment::start(&fx.id).unwrap();
                let (s, v) = w.s.req(None, "/v1/enroll/start", Some(serde_json::to_value(start).unwrap()));
                seen(s, &v)
            },
        },
        Row {
            route: "POST /v1/enroll/start",
            case: "start with a code that cannot be one",
            allowed: NOBODY,
            refusals: &["malformed"],
            setup: nothing,
            call: |w, _, _| {
                let (s, v) = w.s.enroll_raw("ZZZZ-ZZZZ-ZZZZ", &common::uuid_like());
                seen(s, &v)
            },
        },
        // Identity.
        Row {
            route: "POST /v1/token",
            case: "rotate one's own token",
            allowed: ENROLLED,
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| {
                let (s, v) = w.http(who, "/v1/token", Some(json!({})));
                if s == 200 {
                    assert_ne!(v["token"].as_str(), Some(w.dev(who).unwrap().token.as_str()));
                    assert_eq!(w.http(who, "/v1/me", None).0, 200, "the current token works until the new one is used");
                }
                seen(s, &v)
            },
        },
        Row {
            route: "GET /v1/me",
            case: "read one's own account",
            allowed: ENROLLED,
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| {
                let (s, v) = w.http(who, "/v1/me", None);
                if s == 200 {
                    assert_eq!(v["id"].as_str(), Some(w.dev(who).unwrap().account.as_str()));
                }
                seen(s, &v)
            },
        },
        Row {
            route: "POST /v1/enrollments",
            case: "an artisan",
            allowed: &[Mentor, OtherMentor, Staff, OtherStaff, Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| enroll_as(w, who, "artisan", None),
        },
        Row {
            // A mentor coaches across depots: staff of any depot may name her.
            route: "POST /v1/enrollments",
            case: "an artisan of b1's mentor",
            allowed: &[OtherMentor, Staff, OtherStaff, Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| enroll_as(w, who, "artisan", Some(&w.mb.account.clone())),
        },
        Row {
            // Operations enroll into any depot; staff into their own only (North's staff here).
            route: "POST /v1/enrollments",
            case: "an artisan into depot North",
            allowed: &[OtherStaff, Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| enroll_in(w, who, "artisan", None, Some(&w.north.clone())),
        },
        Row {
            route: "POST /v1/enrollments",
            case: "an artisan into a depot that does not exist",
            allowed: NOBODY,
            refusals: &["invalid", "forbidden"],
            setup: nothing,
            call: |w, who, _| enroll_in(w, who, "artisan", None, Some(&common::uuid_like())),
        },
        Row {
            route: "POST /v1/enrollments",
            case: "an operations account in a depot",
            allowed: NOBODY,
            refusals: &["invalid", "forbidden"],
            setup: nothing,
            call: |w, who, _| enroll_in(w, who, "operations", None, Some(DEFAULT_DEPOT)),
        },
        Row {
            route: "POST /v1/enrollments",
            case: "a mentor",
            allowed: &[Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| enroll_as(w, who, "mentor", None),
        },
        Row {
            route: "POST /v1/enrollments",
            case: "a staff member",
            allowed: &[Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| enroll_as(w, who, "staff", None),
        },
        Row {
            route: "POST /v1/enrollments",
            case: "an operations account",
            allowed: &[Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| enroll_as(w, who, "operations", None),
        },
        Row {
            route: "POST /v1/accounts/{account_id}/codes",
            case: "for artisan a1",
            allowed: &[Mentor, Staff, Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| code_for(w, who, &w.a1.account),
        },
        Row {
            route: "POST /v1/accounts/{account_id}/codes",
            case: "for artisan b1",
            allowed: &[OtherMentor, Staff, Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| code_for(w, who, &w.b1.account),
        },
        Row {
            route: "POST /v1/accounts/{account_id}/codes",
            case: "for a mentor",
            allowed: &[Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| code_for(w, who, &w.ma.account),
        },
        Row {
            route: "POST /v1/accounts/{account_id}/codes",
            case: "for a staff account",
            allowed: &[Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| code_for(w, who, &w.staff.account),
        },
        Row {
            // A code for an operations account is that account's power: only operations.
            route: "POST /v1/accounts/{account_id}/codes",
            case: "for an operations account",
            allowed: &[Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| code_for(w, who, &w.ops.account),
        },
        Row {
            route: "POST /v1/accounts/{account_id}/codes",
            case: "for one's own account",
            allowed: &[Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| {
                let me = w.dev(who).unwrap_or(&w.a1).account.clone();
                code_for(w, who, &me)
            },
        },
        Row {
            route: "POST /v1/accounts/{account_id}/codes",
            case: "for an unknown account",
            allowed: NOBODY,
            refusals: &["not_found"],
            setup: nothing,
            call: |w, who, _| code_for(w, who, &common::uuid_like()),
        },
        Row {
            route: "POST /v1/devices/{device_id}/revoke",
            case: "another device of a1's",
            allowed: &[Owner, Mentor, Operations],
            refusals: ROLE,
            setup: |w| Fx { id: String::new(), dev: Some(w.s.another_device(&w.ops, &w.a1.account)) },
            call: revoke,
        },
        Row {
            route: "POST /v1/devices/{device_id}/revoke",
            case: "another device of the staff account",
            allowed: &[Staff, Operations],
            refusals: ROLE,
            setup: |w| Fx { id: String::new(), dev: Some(w.s.another_device(&w.ops, &w.staff.account)) },
            call: revoke,
        },
        Row {
            route: "POST /v1/devices/{device_id}/revoke",
            case: "another device of the operations account",
            allowed: &[Operations],
            refusals: ROLE,
            setup: |w| Fx { id: String::new(), dev: Some(w.s.another_device(&w.ops, &w.ops.account)) },
            call: revoke,
        },
        Row {
            route: "POST /v1/devices/{device_id}/revoke",
            case: "an unknown device",
            allowed: NOBODY,
            refusals: &["not_found"],
            setup: nothing,
            call: |w, who, _| {
                let (s, v) = w.http(who, &format!("/v1/devices/{}/revoke", common::uuid_like()), Some(json!({})));
                seen(s, &v)
            },
        },
        // Push: ownership of a1's records, one mutation at a time.
        Row {
            route: "POST /v1/sync/push",
            case: "write the title of a1's draft",
            allowed: &[Owner, Staff, Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| write_a1(w, who, "draft", &w.draft_a.clone(), "title"),
        },
        Row {
            route: "POST /v1/sync/push",
            case: "write the review note of a1's draft",
            allowed: &[Mentor, Staff, Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| write_a1(w, who, "draft", &w.draft_a.clone(), "review_note"),
        },
        Row {
            route: "POST /v1/sync/push",
            case: "write a newer app's field of a1's draft",
            allowed: &[Owner, Staff, Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| write_a1(w, who, "draft", &w.draft_a.clone(), "x_future"),
        },
        Row {
            route: "POST /v1/sync/push",
            case: "write a1's profile",
            allowed: &[Owner, Mentor, Staff, Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| write_a1(w, who, "profile", &w.a1.account.clone(), "display_name"),
        },
        Row {
            route: "POST /v1/sync/push",
            case: "create a new draft",
            allowed: &[Owner, OtherArtisan],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| {
                let id = common::uuid_like();
                let r = w.push(who, field_write(&id, "draft", "title", json!("new")));
                if r == Seen::Allowed {
                    assert_eq!(w.owner("draft", &id), Some(w.dev(who).unwrap().account.clone()), "a draft is its writer's");
                }
                r
            },
        },
        Row {
            // A profile is created by its first write; only those who may write it may create it.
            route: "POST /v1/sync/push",
            case: "create the profile of a new mentee of a1's mentor",
            allowed: &[Mentor, Staff, Operations],
            refusals: ROLE,
            setup: |w| {
                let body = json!({"role": "artisan", "name": "New mentee", "mentor_id": w.ma.account});
                let (s, v) = w.s.req(Some(&w.ops), "/v1/enrollments", Some(body));
                assert_eq!(s, 200, "{v}");
                Fx { id: v["account_id"].as_str().unwrap().into(), dev: None }
            },
            call: |w, who, fx| {
                let r = w.push(who, field_write(&fx.id, "profile", "display_name", json!("Wanjiru")));
                if r == Seen::Allowed {
                    assert_eq!(w.owner("profile", &fx.id).as_deref(), Some(fx.id.as_str()), "a profile is its artisan's");
                }
                r
            },
        },
        Row {
            // An order changes only by its workflow's commands: nobody rewrites its fields
            // (its status, its artisan) through a document write.
            route: "POST /v1/sync/push",
            case: "write the fields of a1's order",
            allowed: NOBODY,
            refusals: &["forbidden", "not_found", "malformed"],
            setup: |w| Fx { id: w.fresh_order(&[]), dev: None },
            call: |w, who, fx| {
                let m = json!({"kind": "order", "id": fx.id, "fields": {
                    "status": {"value": "delivered", "hlc": common::stamp_in(0)},
                    "artisan_id": {"value": w.b1.account, "hlc": common::stamp_in(0)},
                }});
                w.push(who, m)
            },
        },
        Row {
            route: "POST /v1/sync/push",
            case: "record stock of a1's product",
            allowed: &[Staff, Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| {
                let e = stock_entry(&w.draft_a, 1);
                let id = e["id"].as_str().unwrap().to_string();
                let r = w.push(who, e);
                if r == Seen::Allowed {
                    assert_eq!(w.owner("stock", &id), Some(w.a1.account.clone()), "stock is the product owner's");
                }
                r
            },
        },
        Row {
            route: "POST /v1/sync/push",
            case: "submit a1's draft",
            allowed: &[Owner],
            refusals: ROLE,
            setup: |w| Fx { id: w.fresh_draft(false), dev: None },
            call: |w, who, fx| draft_command(w, who, fx, "submit", "submitted"),
        },
        Row {
            route: "POST /v1/sync/push",
            case: "approve a1's submitted draft",
            allowed: &[Mentor, Staff],
            refusals: ROLE,
            setup: |w| Fx { id: w.fresh_draft(true), dev: None },
            call: |w, who, fx| draft_command(w, who, fx, "approve", "approved"),
        },
        Row {
            route: "POST /v1/sync/push",
            case: "request changes to a1's submitted draft",
            allowed: &[Mentor, Staff],
            refusals: ROLE,
            setup: |w| Fx { id: w.fresh_draft(true), dev: None },
            call: |w, who, fx| draft_command(w, who, fx, "request_changes", "changes_requested"),
        },
        Row {
            route: "POST /v1/sync/push",
            case: "accept a1's assigned order",
            allowed: &[Owner],
            refusals: ROLE,
            setup: |w| Fx { id: w.fresh_order(&[]), dev: None },
            call: |w, who, fx| order_push(w, who, fx, "accept", "accepted"),
        },
        Row {
            route: "POST /v1/sync/push",
            case: "decline a1's assigned order",
            allowed: &[Owner],
            refusals: ROLE,
            setup: |w| Fx { id: w.fresh_order(&[]), dev: None },
            call: |w, who, fx| order_push(w, who, fx, "decline", "declined"),
        },
        Row {
            route: "POST /v1/sync/push",
            case: "cancel a1's order",
            allowed: &[Operations],
            refusals: ROLE,
            setup: |w| Fx { id: w.fresh_order(&[]), dev: None },
            call: |w, who, fx| order_push(w, who, fx, "cancel", "cancelled"),
        },
        Row {
            route: "POST /v1/sync/push",
            case: "receive a1's ready order",
            allowed: &[Staff],
            refusals: ROLE,
            setup: |w| Fx { id: w.ready_order(), dev: None },
            call: |w, who, fx| order_push(w, who, fx, "receive", "received"),
        },
        Row {
            route: "POST /v1/sync/push",
            case: "a batch signed as another device",
            allowed: NOBODY,
            refusals: &["forbidden"],
            setup: nothing,
            call: |w, who, _| {
                let other = if who == Owner { &w.b1.device } else { &w.a1.device };
                let m = numbered(field_write(&common::uuid_like(), "draft", "title", json!("x")), 1);
                let (s, v) = w.http(who, "/v1/sync/push", Some(json!({"protocol": 1, "device_id": other, "mutations": [m]})));
                seen(s, &v)
            },
        },
        // Operations' routes.
        Row {
            route: "POST /v1/orders",
            case: "import an order",
            allowed: &[Operations],
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| {
                let o = json!({"source": "shop", "external_ref": common::uuid_like(), "product": "P", "quantity": 1, "price_minor": 100, "artisan_id": w.b1.account});
                let (s, v) = w.http(who, "/v1/orders", Some(json!({"orders": [o]})));
                if s == 200 {
                    let id = v["created"][0].as_str().unwrap();
                    assert_eq!(w.owner("order", id), Some(w.b1.account.clone()));
                    assert_eq!(w.body("order", id)["status"], "assigned");
                }
                seen(s, &v)
            },
        },
        Row {
            route: "POST /v1/orders/{order_id}/commands",
            case: "cancel an assigned order",
            allowed: &[Operations],
            refusals: ROLE,
            setup: |w| Fx { id: w.fresh_order(&[]), dev: None },
            call: |w, who, fx| {
                order_api(w, who, &fx.id, json!({"command": "cancel", "args": {"reason": "shop refund"}}), "cancelled")
            },
        },
        Row {
            route: "POST /v1/orders/{order_id}/commands",
            case: "receive a ready order",
            allowed: &[Staff],
            refusals: ROLE,
            setup: |w| Fx { id: w.ready_order(), dev: None },
            call: |w, who, fx| order_api(w, who, &fx.id, json!({"command": "receive"}), "received"),
        },
        Row {
            route: "POST /v1/orders/{order_id}/commands",
            case: "ship a passed order",
            allowed: &[Staff, Operations],
            refusals: ROLE,
            setup: |w| Fx { id: w.passed_order(), dev: None },
            call: |w, who, fx| order_api(w, who, &fx.id, json!({"command": "ship"}), "shipped"),
        },
        Row {
            route: "POST /v1/orders/{order_id}/commands",
            case: "reassign an order a1 declined to b1",
            allowed: &[Operations],
            refusals: ROLE,
            setup: |w| Fx { id: w.fresh_order(&["decline"]), dev: None },
            call: |w, who, fx| {
                let c = json!({"command": "assign", "args": {"artisan_id": w.b1.account}});
                let r = order_api(w, who, &fx.id, c, "assigned");
                if r == Seen::Allowed {
                    assert_eq!(w.owner("order", &fx.id), Some(w.b1.account.clone()));
                    assert_eq!(w.body("order", &fx.id)["artisan_id"].as_str(), Some(w.b1.account.as_str()));
                    // The order is b1's now: a1 can no longer act on it, b1 can.
                    assert_eq!(w.push(Owner, command("order", &fx.id, "accept")), Seen::Refused(200, "not_found".into()));
                    assert_eq!(w.push(OtherArtisan, command("order", &fx.id, "accept")), Seen::Allowed);
                }
                r
            },
        },
        Row {
            // Phones send their commands through sync; no role accepts on an artisan's behalf.
            route: "POST /v1/orders/{order_id}/commands",
            case: "accept over the operations API",
            allowed: NOBODY,
            refusals: ROLE,
            setup: |w| Fx { id: w.fresh_order(&[]), dev: None },
            call: |w, who, fx| order_api(w, who, &fx.id, json!({"command": "accept"}), "accepted"),
        },
        Row {
            route: "POST /v1/orders/{order_id}/commands",
            case: "an unknown order",
            allowed: NOBODY,
            refusals: ROLE,
            setup: nothing,
            call: |w, who, _| order_api(w, who, &common::uuid_like(), json!({"command": "cancel"}), "cancelled"),
        },
        Row {
            route: "GET /v1/mentees",
            case: "a mentor's mentees",
            allowed: &[Mentor, OtherMentor],
            refusals: &["forbidden"],
            setup: nothing,
            call: |w, who, _| {
                let (s, v) = w.http(who, "/v1/mentees", None);
                if s == 200 {
                    let listed: Vec<&str> =
                        v["mentees"].as_array().unwrap().iter().map(|m| m["account_id"].as_str().unwrap()).collect();
                    let (mine, theirs) = if who == Mentor { (&w.a1, &w.b1) } else { (&w.b1, &w.a1) };
                    assert!(listed.contains(&mine.account.as_str()) && !listed.contains(&theirs.account.as_str()), "{v}");
                }
                seen(s, &v)
            },
        },
        // Payout batches: operations alone create, read and approve them; the approver is another
        // operations account than the creator.
        Row {
            route: "POST /v1/payouts/batches",
            case: "create a batch paying a1",
            allowed: &[Operations],
            refusals: ROLE,
            setup: |w| {
                a1_earns(w, 1_500);
                Fx { id: String::new(), dev: None }
            },
            call: |w, who, _| {
                let payout = common::uuid_like();
                let (s, v) = w.http(who, "/v1/payouts/batches", Some(payout_batch(&w.a1.account, &payout, 1_500)));
                if s == 200 {
                    assert_eq!(
                        (v["state"].as_str(), v["payouts"][0]["id"].as_str()),
                        (Some("approved"), Some(payout.as_str())),
                        "{v}"
                    );
                    let stored: String =
                        w.s.db().query_row("SELECT state FROM payouts WHERE id = ?1", [&payout], |r| r.get(0)).unwrap();
                    assert_eq!(stored, "queued");
                }
                seen(s, &v)
            },
        },
        // A sales statement shows an account's earnings: hers and operations' alone.
        Row {
            route: "GET /v1/statements/{account_id}",
            case: "a1's sales statement",
            allowed: &[Owner, Operations],
            refusals: ROLE,
            setup: |w| {
                a1_earns(w, 700);
                Fx::default()
            },
            call: |w, who, _| {
                let today = fundi_sync::dates::Day::of_ms(fundi_sync::hlc::wall_clock_ms());
                let path = format!("/v1/statements/{}?from=2026-01-01&to={today}&format=csv", w.a1.account);
                let (s, v) = w.http(who, &path, None);
                if s == 200 {
                    assert!(v.as_str().is_some_and(|csv| csv.contains("Sold: ") && csv.contains(",70000,700.00,")), "{v}");
                }
                seen(s, &v)
            },
        },
        Row {
            route: "GET /v1/payouts/batches",
            case: "list the batches",
            allowed: &[Operations],
            refusals: ROLE,
            setup: |w| Fx { id: batch_by(w, &w.ops2, 1_000), dev: None },
            call: |w, who, fx| {
                let (s, v) = w.http(who, "/v1/payouts/batches", None);
                if s == 200 {
                    assert!(v["batches"].as_array().unwrap().iter().any(|b| b["id"] == fx.id.as_str()), "{v}");
                }
                seen(s, &v)
            },
        },
        Row {
            route: "GET /v1/payouts/batches/{batch_id}",
            case: "read a batch and its payouts",
            allowed: &[Operations],
            refusals: ROLE,
            setup: |w| Fx { id: batch_by(w, &w.ops2, 1_000), dev: None },
            call: |w, who, fx| {
                let (s, v) = w.http(who, &format!("/v1/payouts/batches/{}", fx.id), None);
                if s == 200 {
                    assert_eq!(v["payouts"][0]["artisan_id"], w.a1.account.as_str(), "{v}");
                }
                seen(s, &v)
            },
        },
        Row {
            route: "POST /v1/payouts/batches/{batch_id}/approve",
            case: "approve another operations account's batch above the threshold",
            allowed: &[Operations],
            refusals: ROLE,
            setup: |w| Fx { id: batch_by(w, &w.ops2, 60_000), dev: None },
            call: |w, who, fx| {
                let (s, v) = w.http(who, &format!("/v1/payouts/batches/{}/approve", fx.id), Some(json!({})));
                if s == 200 {
                    assert_eq!(
                        (v["state"].as_str(), v["approved_by"].as_str()),
                        (Some("approved"), Some(w.ops.account.as_str()))
                    );
                }
                seen(s, &v)
            },
        },
        Row {
            route: "POST /v1/payouts/batches/{batch_id}/approve",
            case: "approve one's own batch",
            allowed: NOBODY,
            refusals: &["forbidden"],
            setup: |w| Fx { id: batch_by(w, &w.ops, 60_000), dev: None },
            call: |w, who, fx| {
                let (s, v) = w.http(who, &format!("/v1/payouts/batches/{}/approve", fx.id), Some(json!({})));
                seen(s, &v)
            },
        },
        Row {
            route: "GET /v1/reports/{name}",
            case: "the sales report as CSV",
            allowed: &[Operations],
            refusals: &["forbidden"],
            setup: |w| {
                a1_earns(w, 10);
                Fx::default()
            },
            call: |w, who, _| {
                let (s, v) = w.http(who, "/v1/reports/sales", None);
                if s == 200 {
                    let csv = v.as_str().unwrap_or_default();
                    assert!(csv.starts_with("month,artisan_id,") && csv.contains(&w.a1.account), "{v}");
                }
                seen(s, &v)
            },
        },
        Row {
            route: "GET /v1/depot",
            case: "what waits at the depot",
            allowed: &[Staff, OtherStaff, Operations],
            refusals: ROLE,
            setup: |w| Fx { id: w.ready_order(), dev: None },
            call: |w, who, fx| {
                let (s, v) = w.http(who, "/v1/depot", None);
                if s == 200 && who == OtherStaff {
                    // a1's order and stock are her depot's, not North's.
                    assert!(!v["waiting"].as_array().unwrap().iter().any(|o| o["id"] == fx.id.as_str()), "{v}");
                    assert!(v["stock"].get(&w.draft_a).is_none(), "{v}");
                } else if s == 200 {
                    assert!(v["waiting"].as_array().unwrap().iter().any(|o| o["id"] == fx.id.as_str()), "{v}");
                    assert!(v["stock"][&w.draft_a].as_i64().unwrap() >= 2, "{v}");
                }
                seen(s, &v)
            },
        },
        // The published catalog (ADR 0025): operations list products; staff may read the list.
        Row {
            route: "GET /v1/products",
            case: "every product with its listing",
            allowed: &[Staff, OtherStaff, Operations],
            refusals: ROLE,
            setup: |w| Fx { id: w.s.approved_product(&w.a1, &w.ma, "Kikapu", 150_000, 2), dev: None },
            call: |w, who, fx| {
                let (s, v) = w.http(who, "/v1/products", None);
                if s == 200 && who == OtherStaff {
                    assert!(v.as_array().unwrap().iter().all(|p| p["id"] != fx.id.as_str()), "a1's product is her depot's: {v}");
                } else if s == 200 {
                    let p = v.as_array().unwrap().iter().find(|p| p["id"] == fx.id.as_str()).expect("the product is listed");
                    assert_eq!(p["body"]["listing"], "awaiting_price", "{p}");
                }
                seen(s, &v)
            },
        },
        Row {
            route: "POST /v1/products/{product_id}/listing",
            case: "put a1's product on sale",
            allowed: &[Operations],
            refusals: ROLE,
            setup: |w| Fx { id: w.s.approved_product(&w.a1, &w.ma, "Kikapu", 150_000, 2), dev: None },
            call: |w, who, fx| {
                let change = json!({"action": "publish", "price_minor": 2500, "currency": "USD"});
                let (s, v) = w.http(who, &format!("/v1/products/{}/listing", fx.id), Some(change));
                let listing = w.body("product", &fx.id)["listing"].clone();
                assert_eq!(listing, if s == 200 { "published" } else { "awaiting_price" }, "{who:?}: {v}");
                seen(s, &v)
            },
        },
        // A shop's order (ADR 0026): signed with the shop's secret instead of a device token, so
        // whatever credential comes with it (or none) is not looked at.
        Row {
            route: "POST /v1/shop/orders",
            case: "an order signed by the shop",
            allowed: EVERYONE,
            refusals: &[],
            setup: fresh_on_sale,
            call: |w, who, fx| shop_order(w, who, &w.shop, fx),
        },
        Row {
            route: "POST /v1/shop/orders",
            case: "an order signed with another secret",
            allowed: NOBODY,
            refusals: &["bad_signature"],
            setup: fresh_on_sale,
            call: |w, who, fx| shop_order(w, who, &(w.shop.0.clone(), "not the shop's secret".into()), fx),
        },
        Row {
            route: "POST /v1/shop/orders",
            case: "an order signed by a revoked shop",
            allowed: NOBODY,
            refusals: &["revoked"],
            setup: fresh_on_sale,
            call: |w, who, fx| shop_order(w, who, &w.revoked_shop, fx),
        },
        // Uploads (tus) and blobs: an upload is for whoever may write the draft naming the photo,
        // and is the creating device's alone; a blob is for whoever may read such a draft.
        Row {
            route: "OPTIONS /v1/uploads",
            case: "what the tus server supports",
            allowed: EVERYONE,
            refusals: &[],
            setup: nothing,
            call: |w, who, _| {
                let a = w.s.send(w.dev(who), "OPTIONS", "/v1/uploads", &[], None);
                assert_eq!(a.header("tus-extension").as_deref(), Some("creation,checksum,expiration,termination"));
                answered(&a, 204)
            },
        },
        Row {
            route: "POST /v1/uploads",
            case: "a photo of a1's draft",
            allowed: &[Owner, Staff, Operations],
            refusals: ROLE,
            setup: |w| w.photo(false, false),
            call: create_upload,
        },
        Row {
            route: "POST /v1/uploads",
            case: "a photo the depot holds",
            allowed: NOBODY,
            refusals: &["already_stored", "forbidden", "not_found"],
            setup: |w| w.photo(true, false),
            call: create_upload,
        },
        Row {
            route: "POST /v1/uploads",
            case: "a blob no record names",
            allowed: NOBODY,
            refusals: &["not_found"],
            setup: |_| Fx { id: common::sha(&fresh_photo()), dev: None },
            call: create_upload,
        },
        Row {
            route: "HEAD /v1/uploads/{upload_id}",
            case: "a1's upload",
            allowed: &[Owner],
            refusals: &["not_found"],
            setup: |w| w.upload(),
            call: |w, who, fx| {
                let a = w.s.tus_head(w.dev(who), &fx.id);
                if a.status == 200 {
                    assert_eq!((a.offset(), a.header("upload-length")), (Some(0), Some(PHOTO_LEN.to_string())));
                }
                answered(&a, 200)
            },
        },
        Row {
            route: "PATCH /v1/uploads/{upload_id}",
            case: "a chunk of a1's upload",
            allowed: &[Owner],
            refusals: &["not_found"],
            setup: |w| w.upload(),
            call: |w, who, fx| {
                let a = w.s.tus_patch(w.dev(who), &fx.id, 0, &[7u8; 100], true);
                if a.status == 204 {
                    assert_eq!(w.s.tus_head(Some(&w.a1), &fx.id).offset(), Some(100));
                }
                answered(&a, 204)
            },
        },
        Row {
            route: "DELETE /v1/uploads/{upload_id}",
            case: "a1's upload",
            allowed: &[Owner],
            refusals: &["not_found"],
            setup: |w| w.upload(),
            call: |w, who, fx| {
                let a = w.s.tus_delete(w.dev(who), &fx.id);
                let after = w.s.tus_head(Some(&w.a1), &fx.id).status;
                assert_eq!(after, if a.status == 204 { 404 } else { 200 }, "terminated, or left as it was");
                answered(&a, 204)
            },
        },
        Row {
            route: "GET /v1/blobs/{sha256}",
            case: "a photo of a1's draft",
            allowed: &[Owner, Mentor, Staff, Operations],
            refusals: ROLE,
            setup: |w| w.photo(true, false),
            call: read_blob,
        },
        Row {
            route: "GET /v1/blobs/{sha256}",
            case: "a photo no record names any more",
            allowed: NOBODY,
            refusals: ROLE,
            setup: |w| w.photo(true, true),
            call: read_blob,
        },
        Row {
            route: "GET /v1/blobs/{sha256}/thumbnail",
            case: "the thumbnail of a photo of a1's draft",
            allowed: &[Owner, Mentor, Staff, Operations],
            refusals: ROLE,
            setup: |w| w.photo_and_thumbnail(),
            call: |w, who, fx| {
                let a = w.s.send(w.dev(who), "GET", &format!("/v1/blobs/{}/thumbnail", fx.id), &[], None);
                if a.status == 200 {
                    assert_eq!(a.body.len(), 500, "the thumbnail, not the photo");
                    assert_eq!(a.header("etag"), Some(format!("\"{}\"", common::sha(&a.body))), "named by its own hash");
                }
                answered(&a, 200)
            },
        },
        // The public shop (ADR 0025): what is on sale is there for anyone, with a credential or
        // without (none is looked at); what is not on sale is not there for anyone.
        Row {
            route: "GET /shop",
            case: "the products on sale",
            allowed: EVERYONE,
            refusals: &[],
            setup: nothing,
            call: |w, who, _| public_read(w, who, "/shop", &format!("/shop/products/{}", w.on_sale)),
        },
        Row {
            route: "GET /shop",
            case: "a category that is not one",
            allowed: NOBODY,
            refusals: &["not_found"],
            setup: nothing,
            call: |w, who, _| public_read(w, who, "/shop?category=nope", ""),
        },
        Row {
            route: "GET /shop/products/{product_id}",
            case: "a1's product on sale",
            allowed: EVERYONE,
            refusals: &[],
            setup: |w| Fx { id: w.on_sale.clone(), dev: None },
            call: |w, who, fx| public_read(w, who, &format!("/shop/products/{}", fx.id), "On sale, made by hand"),
        },
        Row {
            route: "GET /shop/products/{product_id}",
            case: "a1's product awaiting its price",
            allowed: NOBODY,
            refusals: &["not_found"],
            setup: |w| Fx { id: w.s.approved_product(&w.a1, &w.ma, "Kikapu", 150_000, 2), dev: None },
            call: |w, who, fx| public_read(w, who, &format!("/shop/products/{}", fx.id), ""),
        },
        Row {
            route: "GET /shop/products/{product_id}",
            case: "a1's draft",
            allowed: NOBODY,
            refusals: &["not_found"],
            setup: |w| Fx { id: w.draft_a.clone(), dev: None },
            call: |w, who, fx| public_read(w, who, &format!("/shop/products/{}", fx.id), ""),
        },
        Row {
            route: "GET /shop/photos/{sha256}",
            case: "a photo of a product on sale",
            allowed: EVERYONE,
            refusals: &[],
            setup: |w| Fx { id: w.on_sale_photo.clone(), dev: None },
            call: |w, who, fx| {
                let a = w.s.send(w.dev(who), "GET", &format!("/shop/photos/{}", fx.id), &[], None);
                if a.status == 200 {
                    assert_eq!(common::sha(&a.body), fx.id);
                }
                answered(&a, 200)
            },
        },
        Row {
            route: "GET /shop/photos/{sha256}",
            case: "a photo of a1's draft",
            allowed: NOBODY,
            refusals: &["not_found"],
            setup: |w| w.photo(true, false),
            call: |w, who, fx| public_read(w, who, &format!("/shop/photos/{}", fx.id), ""),
        },
        Row {
            route: "GET /shop/photos/{sha256}/thumbnail",
            case: "the thumbnail of a photo of a product on sale",
            allowed: EVERYONE,
            refusals: &[],
            setup: |w| Fx { id: w.on_sale_photo.clone(), dev: None },
            call: |w, who, fx| {
                let a = w.s.send(w.dev(who), "GET", &format!("/shop/photos/{}/thumbnail", fx.id), &[], None);
                if a.status == 200 {
                    assert_eq!(a.body.len(), 300, "the thumbnail, not the photo");
                }
                answered(&a, 200)
            },
        },
        Row {
            route: "GET /shop/photos/{sha256}/thumbnail",
            case: "the thumbnail of a photo of a1's draft",
            allowed: NOBODY,
            refusals: &["not_found"],
            setup: |w| w.photo_and_thumbnail(),
            call: |w, who, fx| public_read(w, who, &format!("/shop/photos/{}/thumbnail", fx.id), ""),
        },
        Row {
            route: "GET /shop/feed.json",
            case: "every product on sale",
            allowed: EVERYONE,
            refusals: &[],
            setup: nothing,
            call: |w, who, _| public_read(w, who, "/shop/feed.json", &format!("\"id\":\"{}\"", w.on_sale)),
        },
        Row {
            route: "GET /shop/feed.csv",
            case: "every product on sale",
            allowed: EVERYONE,
            refusals: &[],
            setup: nothing,
            call: |w, who, _| public_read(w, who, "/shop/feed.csv", &format!("\n{},1,On sale,", w.on_sale)),
        },
        // Last, so the feed holds everything the rows above stored (refusals included).
        Row {
            route: "GET /v1/sync/pull",
            case: "the change feed from the start",
            allowed: ENROLLED,
            refusals: ROLE,
            setup: nothing,
            call: pull_scope,
        },
        Row {
            route: "GET /v1/sync/estimate",
            case: "what the change feed from the start would bring",
            allowed: ENROLLED,
            refusals: ROLE,
            setup: nothing,
            call: estimate_scope,
        },
    ]
}

/// a1 earns `kes` shillings (an order delivered), so that a payout may pay them.
fn a1_earns(w: &World, kes: i64) {
    w.s.delivered_order(&w.ops, &w.a1, &w.staff, &common::uuid_like(), kes * 100);
}

/// A payout batch of one payout to a1 of `kes` shillings.
fn payout_batch(artisan: &str, payout: &str, kes: i64) -> Value {
    let today = fundi_sync::dates::Day::of_ms(fundi_sync::hlc::wall_clock_ms()).to_string();
    json!({"period_from": "2026-11-01", "period_to": today,
           "payouts": [{"id": payout, "artisan_id": artisan, "msisdn": "254712345678", "amount_minor": kes * 100}]})
}

/// A batch created by `by` paying a1 `kes` shillings (above the default threshold of KSh 50,000
/// it waits for approval): its id.
fn batch_by(w: &World, by: &Dev, kes: i64) -> String {
    a1_earns(w, kes);
    let (s, v) = w.s.req(Some(by), "/v1/payouts/batches", Some(payout_batch(&w.a1.account, &common::uuid_like(), kes)));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], if kes > 50_000 { "awaiting_approval" } else { "approved" });
    v["id"].as_str().unwrap().to_string()
}

/// What a refused call must leave as it was: accounts, codes, devices (and whether revoked),
/// order references and every record but the refusals (which go to the sender by design).
fn snapshot(s: &Server) -> Vec<String> {
    let db = s.db();
    let mut out = vec![];
    for sql in [
        "SELECT id, role, name, mentor_id FROM accounts ORDER BY id",
        "SELECT code_hash, account_id, used_by FROM enrollment_codes ORDER BY code_hash",
        "SELECT device_id, account_id, revoked_ms IS NOT NULL FROM devices ORDER BY device_id",
        "SELECT source, external_ref, order_id FROM order_refs ORDER BY source, external_ref",
        "SELECT kind, id, owner, seq, body, state FROM records WHERE kind != 'rejection' ORDER BY seq",
        "SELECT id, device_id, sha256, length, received, expires_ms, finished_ms FROM uploads ORDER BY id",
        "SELECT sha256, kind, id FROM blob_refs ORDER BY sha256, kind, id",
        "SELECT id, state, approved_by, approved_ms FROM payout_batches ORDER BY id",
        "SELECT id, batch_id, state, attempts FROM payouts ORDER BY id",
    ] {
        out.extend(db.rows_as_text(sql));
    }
    // And the blob store's files.
    out.extend(s.files("uploads").into_iter().map(|f| format!("uploads/{f}")));
    out.extend(s.files("blobs").into_iter().map(|f| format!("blobs/{f}")));
    out
}

/// `METHOD /path` of every route the router serves, read from its source.
fn router_routes() -> BTreeSet<String> {
    let source = include_str!("../src/http/mod.rs");
    source
        .lines()
        .filter_map(|l| l.trim().strip_prefix(".route(\""))
        .map(|l| {
            let (path, rest) = l.split_once('"').unwrap();
            let method = rest.trim_start_matches(", ").split('(').next().unwrap().to_uppercase();
            format!("{method} {path}")
        })
        .collect()
}

/// `METHOD /path` of every operation in `openapi.json`, and whether it needs no credential.
fn documented_routes() -> Vec<(String, bool)> {
    let doc: Value = serde_json::from_str(include_str!("../src/http/openapi.json")).unwrap();
    let mut out = vec![];
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let public = op["security"].as_array().is_some_and(Vec::is_empty);
            out.push((format!("{} {path}", method.to_uppercase()), public));
        }
    }
    out
}

#[test]
fn every_route_has_allowed_and_refused_rows() {
    let documented = documented_routes();
    let doc_set: BTreeSet<String> = documented.iter().map(|(r, _)| r.clone()).collect();
    assert_eq!(router_routes(), doc_set, "the router and openapi.json name the same routes and methods");
    let rows = rows();
    let in_rows: BTreeSet<String> = rows.iter().map(|r| r.route.to_string()).collect();
    assert_eq!(in_rows, doc_set, "every route has rows in the matrix, and every row a route");
    // Reading the API document, the server's health, its tus capabilities and the shop's feed of
    // what is on sale has nothing to refuse.
    let nothing_to_refuse = [
        "GET /openapi.json",
        "GET /v1/health",
        "GET /healthz",
        "GET /readyz",
        "OPTIONS /v1/uploads",
        "GET /shop/feed.json",
        "GET /shop/feed.csv",
    ];
    for (route, public) in &documented {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.route == route.as_str()).collect();
        assert!(mine.iter().any(|r| !r.allowed.is_empty()), "{route}: no row allows anyone");
        if !nothing_to_refuse.contains(&route.as_str()) {
            assert!(mine.iter().any(|r| r.allowed.len() < EVERYONE.len()), "{route}: no row refuses anyone");
        }
        if !public {
            for r in &mine {
                assert!(
                    !r.allowed.contains(&Anonymous) && !r.allowed.contains(&Revoked),
                    "{route} ({}): a credential is needed",
                    r.case
                );
            }
        }
    }
}

#[test]
fn every_route_by_every_caller() {
    let w = world();
    let public: BTreeSet<String> = documented_routes().into_iter().filter(|(_, p)| *p).map(|(r, _)| r).collect();
    let mut failures = vec![];
    let (mut allowed_n, mut refused_n) = (0, 0);
    for row in rows() {
        for &who in EVERYONE {
            let fx = (row.setup)(&w);
            let before = snapshot(&w.s);
            let got = (row.call)(&w, who, &fx);
            let what = format!("{} ({}) by {who:?}", row.route, row.case);
            match (got, row.allowed.contains(&who)) {
                (Seen::Allowed, true) => allowed_n += 1,
                (Seen::Allowed, false) => failures.push(format!("{what}: must be refused, was allowed")),
                (Seen::Refused(s, code), true) => failures.push(format!("{what}: must be allowed, got {s} {code}")),
                (Seen::Refused(s, code), false) => {
                    refused_n += 1;
                    let fine = match who {
                        Anonymous if !public.contains(row.route) => (s, code.as_str()) == (401, "unauthorized"),
                        Revoked if !public.contains(row.route) => (s, code.as_str()) == (401, "revoked"),
                        _ => row.refusals.contains(&code.as_str()),
                    };
                    if !fine {
                        failures.push(format!("{what}: refused with {s} {code}, expected one of {:?}", row.refusals));
                    }
                    if snapshot(&w.s) != before {
                        failures.push(format!("{what}: refused, yet something was stored"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(allowed_n > 60 && refused_n > 200, "{allowed_n} allowed, {refused_n} refused");
}
