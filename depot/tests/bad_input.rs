//! Bad input against a real depot: malformed, truncated, oversized and replayed payloads, bad,
//! expired and revoked credentials, timestamps far in the future. Each must get a typed error,
//! store nothing, and never bring the server down.

mod common;
use common::{command, field_write, stamp_in, stock_entry, Dev, Server};
use flate2::write::GzEncoder;
use serde_json::{json, Value};
use std::io::Write;

fn raw(s: &Server, dev: &Dev, path: &str, body: Vec<u8>, gzip: bool) -> (u16, Value) {
    let mut r = s.http().post(format!("{}{}", s.url, path)).bearer_auth(&dev.token).header("content-type", "application/json");
    if gzip {
        r = r.header("content-encoding", "gzip");
    }
    let resp = r.body(body).send().unwrap();
    let status = resp.status().as_u16();
    (status, serde_json::from_str(&resp.text().unwrap()).unwrap_or(Value::Null))
}

fn record_count(s: &Server, ops: &Dev) -> usize {
    s.pull_all(ops).len()
}

#[test]
fn bad_payloads_get_typed_errors_and_store_nothing() {
    let s = Server::start();
    let a = s.device("artisan", "a", None);
    let ops = s.device("operations", "ops", None);
    let draft = common::uuid_like();
    assert_eq!(s.push(&a, vec![field_write(&draft, "draft", "title", json!("Kikapu"))]), vec![None]);
    let before = record_count(&s, &ops);

    let good = json!({"protocol": 1, "device_id": a.device, "mutations": [
        {"counter": 50, "kind": "draft", "id": draft, "fields": {"title": {"value": "X", "hlc": stamp_in(0)}}}]})
    .to_string();
    let cases: Vec<(&str, Vec<u8>, bool, u16, &str)> = vec![
        ("not JSON", b"{{{{".to_vec(), false, 400, "malformed"),
        ("truncated", good.as_bytes()[..good.len() / 2].to_vec(), false, 400, "malformed"),
        ("empty", vec![], false, 400, "malformed"),
        ("wrong types", json!({"protocol": "one", "device_id": 5, "mutations": {}}).to_string().into_bytes(), false, 400, "malformed"),
        ("bad stamp", good.replace("\"hlc\":\"", "\"hlc\":\"zz").into_bytes(), false, 400, "malformed"),
        ("newer protocol", good.replace("\"protocol\":1", "\"protocol\":99").into_bytes(), false, 400, "unsupported_version"),
        ("oversized", vec![b' '; 3 * 1024 * 1024], false, 413, "too_large"),
        ("bad gzip", b"\x1f\x8b\x08\x00garbage".to_vec(), true, 400, "malformed"),
        ("gzip bomb", {
            let mut e = GzEncoder::new(Vec::new(), flate2::Compression::best());
            for _ in 0..64 {
                e.write_all(&vec![b' '; 1024 * 1024]).unwrap();
            }
            e.finish().unwrap()
        }, true, 413, "too_large"),
        ("decreasing counters", json!({"protocol": 1, "device_id": a.device, "mutations": [
            {"counter": 60, "kind": "draft", "id": draft, "fields": {"title": {"value": "Y", "hlc": stamp_in(0)}}},
            {"counter": 59, "kind": "draft", "id": draft, "fields": {"title": {"value": "Z", "hlc": stamp_in(0)}}}]}).to_string().into_bytes(), false, 400, "malformed"),
        ("too many mutations", json!({"protocol": 1, "device_id": a.device,
            "mutations": (1..=501).map(|i| json!({"counter": 100 + i, "kind": "draft", "id": draft, "fields": {"title": {"value": "Q", "hlc": stamp_in(0)}}})).collect::<Vec<_>>()}).to_string().into_bytes(), false, 413, "too_large"),
    ];
    for (name, body, gz, status, code) in cases {
        let (st, v) = raw(&s, &a, "/v1/sync/push", body, gz);
        assert_eq!((st, v["error"].as_str()), (status, Some(code)), "{name}: {v}");
        assert!(v["detail"].is_string(), "{name}: a typed error has a detail");
    }
    assert_eq!(record_count(&s, &ops), before, "no bad payload stored anything");
    assert_eq!(s.push(&a, vec![]), Vec::<Option<String>>::new());
    // Malformed bodies on the other endpoints too.
    for path in ["/v1/enroll/start", "/v1/enroll/finish", "/v1/enrollments", "/v1/orders"] {
        let (st, v) = raw(&s, &ops, path, b"[1,2".to_vec(), false);
        assert_eq!((st, v["error"].as_str()), (400, Some("malformed")), "{path}");
    }
    let (st, v) = s.req(Some(&a), "/v1/sync/pull?cursor=-3", None);
    assert_eq!((st, v["error"].as_str()), (400, Some("malformed")));
    let (st, v) = s.req(Some(&a), "/v1/nowhere", None);
    assert_eq!((st, v["error"].as_str()), (404, Some("not_found")));
    assert!(s.req(None, "/v1/health", None).0 == 200, "the server is still up");
}

#[test]
fn bad_mutations_are_refused_one_by_one_with_nothing_stored() {
    let s = Server::start();
    let a = s.device("artisan", "a", None);
    let staff = s.device("staff", "staff", None);
    let draft = common::uuid_like();
    assert_eq!(s.push(&a, vec![field_write(&draft, "draft", "title", json!("Kikapu"))]), vec![None]);
    let future = json!({"kind": "draft", "id": draft, "fields": {"title": {"value": "From the future", "hlc": stamp_in(365 * 24 * 3600 * 1000)}}});
    let bad_base = json!({"kind": "draft", "id": draft, "fields": {"title": {"value": "Bad base", "hlc": stamp_in(0), "base": [stamp_in(1000)]}}});
    let results = s.push(
        &a,
        vec![
            future,
            field_write(&draft, "draft", "price", json!(-5)),
            field_write(&draft, "draft", "title", json!("x".repeat(500))),
            field_write(&draft, "draft", "Bad Name!", json!(1)),
            field_write(&draft, "draft", "photos", json!(["not-a-hash"])),
            bad_base,
            json!({"kind": "spaceship", "id": draft, "fields": {}}),
            json!({"kind": "draft", "id": "not-a-uuid", "fields": {"title": {"value": "T", "hlc": stamp_in(0)}}}),
            json!({"kind": "draft", "id": draft}),
            command("draft", &draft, "fly"),
            command("order", &common::uuid_like(), "accept"),
            field_write(&draft, "draft", "title", json!("Still fine")),
        ],
    );
    let codes: Vec<Option<&str>> = results.iter().map(|r| r.as_deref()).collect();
    assert_eq!(
        codes,
        vec![
            Some("clock_ahead"),
            Some("invalid"),
            Some("invalid"),
            Some("invalid"),
            Some("invalid"),
            Some("invalid"),
            Some("unsupported_kind"),
            Some("malformed"),
            Some("malformed"),
            Some("malformed"),
            Some("not_found"),
            None
        ],
        "one bad mutation never blocks the next"
    );
    let all = s.pull_all(&staff);
    let doc = all.iter().find(|c| c["id"] == draft.as_str()).unwrap();
    assert_eq!(doc["body"]["doc"]["fields"]["title"]["value"], "Still fine");
    assert_eq!(doc["body"]["doc"]["fields"].as_object().unwrap().len(), 1, "nothing of the refused writes stored");
    assert_eq!(all.iter().filter(|c| c["kind"] == "rejection").count(), 0);
    assert_eq!(s.pull_all(&a).iter().filter(|c| c["kind"] == "rejection").count(), 11, "each refusal is visible to its sender");
    // The review status is the workflow's, not a field anyone may write.
    assert_eq!(s.push(&a, vec![field_write(&draft, "draft", "status", json!("approved"))]), vec![Some("invalid".to_string())]);
    let doc = s.pull_all(&staff).into_iter().find(|c| c["id"] == draft.as_str()).unwrap();
    assert_eq!(doc["body"]["status"], "draft");
}

#[test]
fn a_replayed_batch_gets_the_same_answers_and_changes_nothing() {
    let s = Server::start();
    let a = s.device("artisan", "a", None);
    let staff = s.device("staff", "staff", None);
    let draft = common::uuid_like();
    assert_eq!(s.push(&a, vec![field_write(&draft, "draft", "title", json!("Kikapu"))]), vec![None]);
    let batch = json!({"protocol": 1, "device_id": staff.device, "mutations": [
        stock_entry(&draft, 4).as_object().unwrap().clone().into_iter().chain([("counter".to_string(), json!(1))]).collect::<serde_json::Map<_, _>>(),
        json!({"counter": 2, "kind": "stock", "id": draft, "entry": {"id": draft, "product_id": draft, "delta": 0, "reason": "x", "hlc": stamp_in(0)}}),
        stock_entry(&draft, 3).as_object().unwrap().clone().into_iter().chain([("counter".to_string(), json!(3))]).collect::<serde_json::Map<_, _>>(),
    ]});
    let first = s.req(Some(&staff), "/v1/sync/push", Some(batch.clone()));
    let second = s.req(Some(&staff), "/v1/sync/push", Some(batch.clone()));
    assert_eq!(first.0, 200);
    assert_eq!(first.1["results"], second.1["results"], "a replay gets the very same answers");
    assert_eq!(first.1["results"][1]["rejected"]["code"], "invalid");
    let stock: i64 =
        s.pull_all(&staff).iter().filter(|c| c["kind"] == "stock").map(|c| c["body"]["entry"]["delta"].as_i64().unwrap()).sum();
    assert_eq!(stock, 7, "applied once");
}

#[test]
fn bad_expired_and_revoked_credentials() {
    let s = Server::start_with(&["--token-ttl-secs", "2"]);
    let ops = s.device("operations", "ops", None);
    let (st, v) = s.req(Some(&Dev { token: "nonsense".into(), ..s.device("artisan", "x", None) }), "/v1/me", None);
    assert_eq!((st, v["error"].as_str()), (401, Some("unauthorized")));
    // An enrollment code works once (a lost reply may be retried by the same device only).
    let (_, code) = s.account("artisan", "b", None);
    let device = common::uuid_like();
    let enroll = |device: &str| s.enroll_raw(&code, device);
    assert_eq!(enroll(&device).0, 200);
    let retry = enroll(&device);
    assert_eq!(retry.0, 200, "the same phone retrying after a lost reply");
    let (st, v) = enroll(&common::uuid_like());
    assert_eq!((st, v["error"].as_str()), (409, Some("conflict")), "another phone cannot reuse the code");
    // A wrong code whose first group names a real one fails the key exchange.
    let wrong = format!("{}-0000-0000", &code[..4]);
    let (st, v) = s.enroll_raw(&wrong, &common::uuid_like());
    assert_eq!((st, v["error"].as_str()), (401, Some("unauthorized")));
    // Rotation: the new token works, and the old one until the new one is first used.
    let old = Dev {
        account: String::new(),
        device: device.clone(),
        token: retry.1["token"].as_str().unwrap().into(),
        counter: Default::default(),
    };
    let (st, rot) = s.req(Some(&old), "/v1/token", Some(json!({})));
    assert_eq!(st, 200);
    let (st, rot2) = s.req(Some(&old), "/v1/token", Some(json!({})));
    assert_eq!(st, 200, "a lost rotation reply: the old token asks again");
    let new = Dev { token: rot2["token"].as_str().unwrap().into(), ..old };
    let lost = Dev {
        account: String::new(),
        device: device.clone(),
        token: rot["token"].as_str().unwrap().into(),
        counter: Default::default(),
    };
    assert_eq!(s.req(Some(&lost), "/v1/me", None).0, 401, "the token whose reply was lost is void");
    assert_eq!(s.req(Some(&new), "/v1/me", None).0, 200);
    let stale = Dev {
        account: String::new(),
        device: device.clone(),
        token: retry.1["token"].as_str().unwrap().into(),
        counter: Default::default(),
    };
    assert_eq!(s.req(Some(&stale), "/v1/me", None).0, 401, "once the new token is used, the old one is void");
    // Expiry.
    std::thread::sleep(std::time::Duration::from_millis(2_300));
    let (st, v) = s.req(Some(&new), "/v1/me", None);
    assert_eq!((st, v["error"].as_str()), (401, Some("token_expired")));
    let (st, v) = s.req(Some(&ops), "/v1/sync/pull", None);
    assert_eq!((st, v["error"].as_str()), (401, Some("token_expired")));
}

/// An assignment that names no artisan, from an operations device: refused `invalid` on its
/// own, over the push (the rest of its batch applied) and over the operations API, and the
/// order stays as it was. (The phone refuses it before queueing it: core's
/// `orders::tests::an_assignment_without_an_artisan_is_refused_before_it_is_queued`.)
#[test]
fn an_assignment_without_an_artisan_is_refused_alone() {
    let s = Server::start();
    let ops = s.device("operations", "ops", None);
    s.import_csv("source,external_ref,product,quantity,price_minor,artisan_id\nshop,R-1,P,1,100,\nshop,R-2,P,1,100,\n");
    let orders: Vec<Value> = s.pull_all(&ops).into_iter().filter(|c| c["kind"] == "order").collect();
    let id = |r: &str| orders.iter().find(|o| o["body"]["external_ref"] == r).unwrap()["id"].as_str().unwrap().to_string();
    let (first, second) = (id("R-1"), id("R-2"));
    let mut empty = command("order", &first, "assign");
    empty["command"]["args"] = json!({"artisan_id": ""});
    let results = s.push(&ops, vec![command("order", &first, "assign"), empty, command("order", &second, "cancel")]);
    assert_eq!(results, [Some("invalid".to_string()), Some("invalid".to_string()), None], "refused one by one");
    let (st, v) = s.req(Some(&ops), &format!("/v1/orders/{first}/commands"), Some(json!({"command": "assign"})));
    assert_eq!((st, v["error"].as_str()), (422, Some("invalid")), "{v}");
    let now: Vec<Value> = s.pull_all(&ops).into_iter().filter(|c| c["kind"] == "order").collect();
    let status = |id: &str| now.iter().find(|o| o["id"] == id).unwrap()["body"]["status"].clone();
    assert_eq!((status(&first), status(&second)), (json!("new"), json!("cancelled")));
}
