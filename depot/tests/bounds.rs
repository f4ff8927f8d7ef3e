//! The bounds a phone cannot push past, tried against a real depot as a hostile or buggy phone
//! would: the clock bound stays tied to the depot's wall clock however far accepted stamps
//! push its HLC, counters past the signed 64-bit range are refused whole, values that nest too
//! deep and writes naming too many replaced stamps are refused one by one. Conflicts past a
//! field's bound are folded, never refused, the same way whatever the order they come in.

mod common;
use common::{stamp_in, Server};
use serde_json::json;

const MINUTE: i64 = 60 * 1000;

#[test]
fn accepted_stamps_never_move_the_clock_bound() {
    let s = Server::start();
    let a = s.device("artisan", "a", None);
    let draft = common::uuid_like();
    // A ratchet: each write stamped 4.5 minutes after the time the depot last announced. Were
    // the bound measured against the depot's HLC, which observes every accepted stamp, the
    // announced time would climb by 4.5 minutes a push, and so would what is accepted.
    let mut announced: u64 = fundi_sync::hlc::wall_clock_ms();
    let mut accepted_ahead_ms = 0i64;
    for (counter, i) in (1u64..).zip(0..30) {
        let hlc = fundi_sync::hlc::Timestamp { wall_ms: announced + 4 * MINUTE as u64 + MINUTE as u64 / 2, counter: 0, node: 7 };
        let m = json!({"counter": counter, "kind": "draft", "id": draft, "fields": {"title": {"value": format!("T{i}"), "hlc": hlc.to_string()}}});
        let (status, v) = s.req(Some(&a), "/v1/sync/push", Some(json!({"protocol": 1, "device_id": a.device, "mutations": [m]})));
        assert_eq!(status, 200, "{v}");
        if v["results"][0]["rejected"].is_null() {
            accepted_ahead_ms = accepted_ahead_ms.max(hlc.wall_ms as i64 - fundi_sync::hlc::wall_clock_ms() as i64);
        }
        announced = v["server_time"].as_str().unwrap().parse::<fundi_sync::hlc::Timestamp>().unwrap().wall_ms;
    }
    assert!(accepted_ahead_ms <= 5 * MINUTE, "a stamp {} minutes ahead was accepted", accepted_ahead_ms / MINUTE);
    a.counter.set(30);
    // 2.5 hours ahead is still 2.5 hours ahead of the depot's wall clock.
    let far = json!({"kind": "draft", "id": draft, "fields": {"title": {"value": "Future", "hlc": stamp_in(150 * MINUTE)}}});
    assert_eq!(s.push(&a, vec![far]), vec![Some("clock_ahead".to_string())]);
}

#[test]
fn a_counter_past_the_signed_range_is_refused_whole() {
    let s = Server::start();
    let a = s.device("artisan", "a", None);
    let draft = common::uuid_like();
    let m = json!({"counter": (i64::MAX as u64) + 1, "kind": "draft", "id": draft, "fields": {"title": {"value": "X", "hlc": stamp_in(0)}}});
    let (status, v) = s.req(Some(&a), "/v1/sync/push", Some(json!({"protocol": 1, "device_id": a.device, "mutations": [m]})));
    assert_eq!((status, v["error"].as_str()), (400, Some("malformed")), "{v}");
    // The next honest push is applied: nothing was taken as applied.
    let ok = json!({"kind": "draft", "id": draft, "fields": {"title": {"value": "Y", "hlc": stamp_in(0)}}});
    assert_eq!(s.push(&a, vec![ok]), vec![None]);
}

#[test]
fn deep_values_and_long_base_lists_are_refused_one_mutation_at_a_time() {
    let s = Server::start();
    let a = s.device("artisan", "a", None);
    let draft = common::uuid_like();
    let deep = (0..122).fold(json!(1), |v, _| json!([v]));
    let bases: Vec<String> = (1..=9).map(|i| stamp_in(-i * MINUTE)).collect();
    let results = s.push(
        &a,
        vec![
            json!({"kind": "draft", "id": draft, "fields": {"future_field": {"value": deep, "hlc": stamp_in(0)}}}),
            json!({"kind": "draft", "id": draft, "fields": {"title": {"value": "B", "hlc": stamp_in(0), "base": bases}}}),
            json!({"kind": "draft", "id": draft, "fields": {"title": {"value": "Fine", "hlc": stamp_in(0)}}}),
        ],
    );
    assert_eq!(results, vec![Some("invalid".to_string()), Some("invalid".to_string()), None]);
    let changes = s.pull_all(&a);
    let stored = changes.iter().find(|c| c["kind"] == "draft").expect("the valid write is stored");
    assert!(stored["body"]["doc"]["fields"].get("future_field").is_none(), "the deep value was not stored");
}

#[test]
fn a_cursor_past_the_head_is_refused_and_the_phone_pulls_again_from_the_start() {
    let s = Server::start();
    let a = s.device("artisan", "raw", None);
    let (status, v) = s.req(Some(&a), "/v1/sync/pull?cursor=1000000&limit=10", None);
    assert_eq!((status, v["error"].as_str()), (409, Some("cursor_ahead")), "{v}");

    // A phone whose stored cursor is past the depot's head (the depot's data was restored from
    // an older copy) must still receive what is assigned to it.
    let (phone, artisan_id) = s.phone("artisan", "akinyi", None);
    phone.sync_now(None).unwrap();
    let path = s.dir.path().join("akinyi.db");
    phone.close().unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("UPDATE sync_state SET cursor = 1000000 WHERE id = 1", []).unwrap();
    drop(raw);
    s.import_csv(&format!(
        "source,external_ref,product,quantity,price_minor,artisan_id\nshop,R-1,Kiondo,1,250000,{artisan_id}\n"
    ));
    let phone = fundi_core::Store::open(&path).unwrap();
    phone.sync_now(None).unwrap();
    let orders = phone.list_orders().unwrap();
    assert_eq!(orders.len(), 1, "the order assigned after the restore reaches the phone");
}

#[test]
fn wrong_enrollment_codes_are_rate_limited_per_address() {
    let s = Server::start();
    let (_, good_code) = s.account("artisan", "wanjiru", None);
    let enroll = |code: &str| {
        let (status, v) = s.enroll_raw(code, &common::uuid_like());
        (status, v["error"].as_str().map(String::from))
    };
    let allowance = fundi_sync::limits::ENROLLMENT_FAILURES_PER_MINUTE;
    for i in 0..allowance {
        // Alternately a code no one issued (refused at the start) and the real code's name with
        // a wrong secret (refused when the key exchange is checked): both count.
        let other_id = (u16::from_str_radix(&good_code[..4], 16).unwrap() as u32 + 1 + i) % 0x10000;
        let wrong = if i % 2 == 0 { format!("{other_id:04X}-0000-0000") } else { format!("{}-{i:04}-0000", &good_code[..4]) };
        assert_eq!(enroll(&wrong), (401, Some("unauthorized".into())), "{wrong}");
    }
    // Past the allowance, even the right code waits: guessing cannot go on at full speed.
    assert_eq!(enroll("FFFF-9999-0000"), (429, Some("rate_limited".into())));
    assert_eq!(enroll(&good_code), (429, Some("rate_limited".into())));
}

#[test]
fn token_rotations_are_rate_limited_per_device() {
    let s = Server::start();
    let mut a = s.device("artisan", "a", None);
    for _ in 0..fundi_sync::limits::TOKEN_ROTATIONS_PER_MINUTE {
        let (status, v) = s.req(Some(&a), "/v1/token", Some(json!({})));
        assert_eq!(status, 200, "{v}");
        a.token = v["token"].as_str().unwrap().to_string();
    }
    let (status, v) = s.req(Some(&a), "/v1/token", Some(json!({})));
    assert_eq!((status, v["error"].as_str()), (429, Some("rate_limited")), "{v}");
}

#[test]
fn a_wrong_method_and_an_unreadable_path_get_the_typed_json_error() {
    let s = Server::start();
    let a = s.device("artisan", "a", None);
    let r = s.http().delete(format!("{}/v1/sync/push", s.url)).bearer_auth(&a.token).send().unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let v: serde_json::Value = serde_json::from_str(&r.text().unwrap()).expect("a JSON body");
    assert_eq!(v["error"], "method_not_allowed");
    // %FF is not UTF-8: the path parameter cannot be read.
    let r = s.http().post(format!("{}/v1/devices/%FF%FE/revoke", s.url)).bearer_auth(&a.token).body("{}").send().unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = serde_json::from_str(&r.text().unwrap()).expect("a JSON body");
    assert_eq!(v["error"], "malformed");
}

/// 20 concurrent older writes of one field, after its current value: no push is refused, and two
/// depots given them in different orders (one push oldest first; three pushes newest first)
/// hold the same state: the 8 newest kept as conflicts, 12 folded and counted. A phone shows the
/// 8 with the count.
#[test]
fn conflicts_past_a_fields_bound_are_folded_the_same_in_any_order_and_shown_with_their_count() {
    let draft = common::uuid_like();
    let now = fundi_sync::hlc::wall_clock_ms();
    let at = |ms: u64, node: u64| fundi_sync::hlc::Timestamp { wall_ms: ms, counter: 0, node }.to_string();
    let write =
        |value: String, hlc: String| json!({"kind": "draft", "id": draft, "fields": {"title": {"value": value, "hlc": hlc}}});
    let current = write("Kiondo".into(), at(now, 1));
    let older: Vec<serde_json::Value> = (1..=20).map(|i| write(format!("old {i}"), at(now - 60_000 + i * 1000, 2))).collect();

    let first = Server::start();
    let ops = first.device("operations", "ops", None);
    let (phone, me) = first.phone("artisan", "akinyi", None);
    let raw = first.another_device(&ops, &me);
    assert_eq!(first.push(&raw, vec![current.clone()]), [None]);
    assert_eq!(first.push(&raw, older.clone()), vec![None; 20], "no write refused");

    let second = Server::start();
    let other = second.device("artisan", "wanjiru", None);
    assert_eq!(second.push(&other, vec![current]), [None]);
    let newest_first: Vec<serde_json::Value> = older.into_iter().rev().collect();
    for chunk in newest_first.chunks(7) {
        assert_eq!(second.push(&other, chunk.to_vec()), vec![None; chunk.len()], "no write refused");
    }

    let doc = |s: &Server, dev: &common::Dev| {
        s.pull_all(dev).into_iter().find(|c| c["id"] == draft.as_str()).unwrap()["body"]["doc"].clone()
    };
    let (a, b) = (doc(&first, &raw), doc(&second, &other));
    assert_eq!(a, b, "the same state whatever the order");
    let kept: Vec<&str> = a["conflicts"]["title"].as_object().unwrap().values().map(|w| w["value"].as_str().unwrap()).collect();
    assert_eq!(kept, (13..=20).map(|i| format!("old {i}")).collect::<Vec<_>>());
    assert_eq!(a["folded"]["title"].as_array().map(Vec::len), Some(12));

    phone.sync_now(None).unwrap();
    let shown: Vec<_> = phone.list_conflicts().unwrap().into_iter().filter(|c| c.field.as_deref() == Some("title")).collect();
    assert_eq!(shown.len(), 8);
    assert!(shown.iter().all(|c| c.folded == 12), "{shown:?}");
}
