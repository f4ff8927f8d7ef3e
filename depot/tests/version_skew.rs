//! Version skew: a phone of the next app version (crafted raw requests) syncing with this depot,
//! and real fundi-core phones of this version beside it. Fields this build does not know reach
//! other phones byte for byte; a mutation of an unknown kind or with an unknown command is
//! refused alone, the rest of its batch applied; a newer protocol number is refused whole with
//! a typed error. A real phone keeps the document fields it does not know and, when it writes
//! one back (settling a conflict on it), sends the value it was given, unchanged; and so for the
//! members a newer app puts on a field's write, on fields it knows and fields it does not.

mod common;
use common::{basket, field_write, numbered, stamp_in, Server};
use fundi_sync::FieldWrite;
use serde_json::{json, Value};

/// A value of a field from a newer app, with what tends to break a round trip: nesting, number
/// extremes, a fraction, escapes and characters beyond the BMP, empty containers, null.
fn future_value() -> Value {
    json!({
        "dye": {"name": "indigo", "steps": [1, 2.5, -3, 1e-7], "fast": true},
        "extremes": [i64::MIN, i64::MAX, u64::MAX, 0.1],
        "text": "Kikapu \"kikubwa\" \\ ñ 🧶 \n\t",
        "none": null,
        "empty": [{}, []],
    })
}

/// The stored document field `field` of a record, as the depot sends it: (value, stamp).
fn depot_field(s: &Server, kind: &str, id: &str, field: &str) -> (Value, Value) {
    let row = s.records().into_iter().find(|r| r.0 == kind && r.1 == id).unwrap();
    let body: Value = serde_json::from_str(&row.4).unwrap();
    let w = &body["doc"]["fields"][field];
    (w["value"].clone(), w["hlc"].clone())
}

#[test]
fn a_newer_phones_fields_pass_through_and_its_new_kinds_and_version_are_refused_alone() {
    let s = Server::start();
    let ops = s.device("operations", "ops", None);
    let staff = s.device("staff", "staff", None);
    let newer = s.device("artisan", "a", None);
    s.import_csv(&format!("source,external_ref,product,quantity,price_minor,artisan_id\nshop,R-1,P,1,100,{}\n", newer.account));
    let order = s.pull_all(&ops).into_iter().find(|c| c["kind"] == "order").unwrap()["id"].as_str().unwrap().to_string();
    let draft = common::uuid_like();
    let t = stamp_in(0);
    let v = future_value();
    let batch = json!({
        "protocol": 1,
        "device_id": newer.device,
        "cursor": 0,
        "x_battery": 0.42,
        "mutations": [
            // Unknown fields on the mutation, in the document and inside a field's write, all
            // accepted.
            {"counter": 1, "kind": "draft", "id": draft, "x_origin": {"screen": "camera"}, "fields": {
                "title": {"value": "Kiondo", "hlc": t},
                "x_dye": {"value": v, "hlc": t, "x_author": "app v9"},
            }},
            // A kind this depot does not know.
            {"counter": 2, "kind": "invoice", "id": common::uuid_like(), "fields": {"total": {"value": 5, "hlc": t}}},
            numbered(field_write(&newer.account, "profile", "x_pronouns", json!({"sw": "yeye", "en": "she/her"})), 3),
            // A draft command this depot does not know.
            numbered(common::command("draft", &draft, "archive"), 4),
            // A known command with an argument this depot does not know.
            {"counter": 5, "kind": "order", "id": order, "command": {"name": "accept", "hlc": t, "args": {"x_eta_days": 4}}},
        ],
    });
    let (st, r) = s.req(Some(&newer), "/v1/sync/push", Some(batch));
    assert_eq!(st, 200, "{r}");
    let codes: Vec<Option<&str>> = r["results"].as_array().unwrap().iter().map(|x| x["rejected"]["code"].as_str()).collect();
    assert_eq!(codes, [None, Some("unsupported_kind"), None, Some("malformed"), None], "{r}");

    // Another device pulls the newer app's values byte for byte, stamps included.
    let raw = s
        .http()
        .get(format!("{}/v1/sync/pull?cursor=0&limit=1000", s.url))
        .bearer_auth(&staff.token)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(raw.contains(&format!("\"value\":{v}")), "the value's exact text is in the feed: {raw}");
    let pulled: Value = serde_json::from_str(&raw).unwrap();
    let doc = &pulled["changes"].as_array().unwrap().iter().find(|c| c["id"] == draft.as_str()).unwrap()["body"]["doc"];
    assert_eq!((&doc["fields"]["x_dye"]["value"], &doc["fields"]["x_dye"]["hlc"]), (&v, &json!(t)));
    assert_eq!(doc["fields"]["x_dye"]["x_author"], "app v9", "the member inside the field's write is kept");
    assert_eq!(doc["fields"]["title"]["value"], "Kiondo", "the rest of the batch applied");
    assert_eq!(depot_field(&s, "profile", &newer.account, "x_pronouns").0, json!({"sw": "yeye", "en": "she/her"}));
    let order_now = s.pull_all(&staff).into_iter().find(|c| c["id"] == order.as_str()).unwrap();
    assert_eq!(order_now["body"]["status"], "accepted");
    // The refused ones are in the sender's feed as refusals, nothing else of them is stored.
    let mine = s.pull_all(&newer);
    let refusals: Vec<&str> =
        mine.iter().filter(|c| c["kind"] == "rejection").map(|c| c["body"]["rejection"]["code"].as_str().unwrap()).collect();
    assert_eq!(refusals, ["unsupported_kind", "malformed"]);
    assert!(s.records().iter().all(|r| r.0 != "invoice"));

    // A newer protocol number: the whole push is refused with a typed error, nothing applied,
    // and its counter is not spent.
    let before = (s.records(), s.next_seq());
    let next = numbered(field_write(&draft, "draft", "title", json!("Kiondo v2")), 6);
    for protocol in [2, 0] {
        let (st, e) = s.req(
            Some(&newer),
            "/v1/sync/push",
            Some(json!({"protocol": protocol, "device_id": newer.device, "mutations": [next.clone()]})),
        );
        assert_eq!((st, e["error"].as_str()), (400, Some("unsupported_version")), "protocol {protocol}: {e}");
    }
    assert_eq!((s.records(), s.next_seq()), before);
    let (st, e) = s.req(Some(&newer), "/v1/sync/pull?cursor=0&protocol=2", None);
    assert_eq!((st, e["error"].as_str()), (400, Some("unsupported_version")), "{e}");
    assert_eq!(s.req(Some(&newer), "/v1/sync/pull?cursor=0&protocol=1", None).0, 200);
    let (st, r) = s.push_raw(&newer, vec![next]);
    assert_eq!((st, r["results"][0]["rejected"].is_null()), (200, true), "counter 6 is still free: {r}");
}

#[test]
fn a_real_phone_keeps_fields_it_does_not_know_and_sends_them_back_unchanged() {
    let s = Server::start();
    let ops = s.device("operations", "ops", None);
    let (mentor, mentor_id) = s.phone("mentor", "mentor", None);
    let (phone, me) = s.phone("artisan", "akinyi", Some(&mentor_id));
    let d = phone.create_draft(basket()).unwrap();
    phone.set_profile_field(&me, "display_name", json!("Akinyi")).unwrap();
    phone.sync_now(None).unwrap();

    // The artisan's other phone runs the next app version and writes fields this one lacks.
    let newer = s.another_device(&ops, &me);
    let v = future_value();
    let pronouns = json!({"sw": "yeye", "en": "she/her"});
    let pushed = s.push(
        &newer,
        vec![field_write(&d.id, "draft", "x_dye", v.clone()), field_write(&me, "profile", "x_pronouns", pronouns.clone())],
    );
    assert_eq!(pushed, [None, None]);
    let dye_at_depot = depot_field(&s, "draft", &d.id, "x_dye");
    let pronouns_at_depot = depot_field(&s, "profile", &me, "x_pronouns");
    phone.sync_now(None).unwrap();
    mentor.sync_now(None).unwrap();

    // Both phones edit fields they know, and sync.
    phone.update_draft(&d.id, fundi_core::drafts::DraftPatch { title: Some("Kiondo v2".into()), ..Default::default() }).unwrap();
    phone.set_profile_field(&me, "display_name", json!("Akinyi O.")).unwrap();
    mentor.set_reviewed_draft_field(&d.id, "review_note", json!("Nzuri")).unwrap();
    for p in [&phone, &mentor, &phone] {
        p.sync_now(None).unwrap();
    }
    // The depot's copies are untouched, value and stamp; the phones still hold them.
    assert_eq!(depot_field(&s, "draft", &d.id, "x_dye"), dye_at_depot);
    assert_eq!(depot_field(&s, "profile", &me, "x_pronouns"), pronouns_at_depot);
    assert_eq!(depot_field(&s, "draft", &d.id, "title").0, "Kiondo v2");
    let profile = phone.profile(&me).unwrap().unwrap();
    assert_eq!(profile.doc.value("x_pronouns"), Some(&pronouns));
    assert_eq!(json!(profile.doc.stamp("x_pronouns").unwrap()), pronouns_at_depot.1);
    assert_eq!(profile.doc.value("display_name"), Some(&json!("Akinyi O.")));
    let reviewed = mentor.reviewed_draft(&d.id).unwrap();
    assert_eq!(reviewed.doc.fields.get("x_dye").map(|w| (&w.value, json!(w.hlc))), Some((&v, dye_at_depot.1.clone())));

    // A concurrent older write of the field by the newer phone loses at the depot and becomes
    // a conflict on this phone's own draft. Keeping the current value writes the field back
    // from this phone's own copy: the value it was given must come back unchanged.
    assert_eq!(s.push(&newer, vec![common::field_write_at(&d.id, "draft", "x_dye", json!("older"), stamp_in(-60_000))]), [None]);
    phone.sync_now(None).unwrap();
    let conflict = phone.list_conflicts().unwrap().into_iter().find(|c| c.field.as_deref() == Some("x_dye"));
    let conflict = conflict.expect("the losing write shows as a conflict");
    phone.resolve_conflict(&conflict.id, false).unwrap();
    let r = phone.sync_now(None).unwrap();
    assert_eq!((r.pushed, r.refused), (1, 0), "{r:?}");
    let (value, stamp) = depot_field(&s, "draft", &d.id, "x_dye");
    assert_eq!(value.to_string(), v.to_string(), "the phone sent back the value it does not know, byte for byte");
    assert_ne!(stamp, dye_at_depot.1, "it was written again, by this phone");
    let doc = s.pull_all(&newer).into_iter().find(|c| c["id"] == d.id.as_str()).unwrap()["body"]["doc"].clone();
    assert!(doc["conflicts"].get("x_dye").is_none(), "settled for every device: {doc}");
    let kept: FieldWrite = serde_json::from_value(doc["fields"]["x_dye"].clone()).unwrap();
    assert_eq!(kept.value, v);
}

/// The newer app's members on one field write, as it sent them: on a known field (`title`) and
/// on one this build does not know (`x_dye`).
fn members(field: &str, lang: &str) -> Value {
    match field {
        "title" => json!({"x_lang": lang, "x_meta": future_value()}),
        _ => json!({"x_author": format!("app v9 ({lang})")}),
    }
}

/// `{"value": .., "hlc": .., <members>}`: a field write of the newer app.
fn newer_write(field: &str, value: &str, hlc: &str, lang: &str) -> Value {
    let mut w = members(field, lang);
    w["value"] = json!(value);
    w["hlc"] = json!(hlc);
    w
}

/// Each member of `expected` is in the write `w` with the very same JSON text.
fn has_members(w: &Value, expected: &Value) -> bool {
    expected.as_object().unwrap().iter().all(|(k, v)| w.get(k).map(Value::to_string) == Some(v.to_string()))
}

#[test]
fn a_newer_phones_members_on_a_field_write_reach_a_phone_of_this_version_and_come_back_unchanged() {
    let s = Server::start();
    let ops = s.device("operations", "ops", None);
    let staff = s.device("staff", "staff", None);
    let (phone, me) = s.phone("artisan", "akinyi", None);
    let d = phone.create_draft(basket()).unwrap();
    phone.sync_now(None).unwrap();
    let newer = s.another_device(&ops, &me);
    let doc_at_depot =
        |who: &common::Dev| s.pull_all(who).into_iter().find(|c| c["id"] == d.id.as_str()).unwrap()["body"]["doc"].clone();
    let t = stamp_in(0);
    let mut title = newer_write("title", "Kiondo", &t, "sw");
    title["base"] = json!([doc_at_depot(&newer)["fields"]["title"]["hlc"]]);
    let fields = json!({"title": title, "x_dye": newer_write("x_dye", "indigo", &t, "sw")});
    assert_eq!(s.push(&newer, vec![json!({"kind": "draft", "id": d.id, "fields": fields})]), [None]);

    // The depot sends the members on, byte for byte.
    let feed = s
        .http()
        .get(format!("{}/v1/sync/pull?cursor=0&limit=1000", s.url))
        .bearer_auth(&staff.token)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(feed.contains(&format!("\"x_meta\":{}", future_value())), "{feed}");
    for field in ["title", "x_dye"] {
        assert!(has_members(&doc_at_depot(&staff)["fields"][field], &members(field, "sw")), "{field}");
    }

    // The phone of this version takes them in, writes another field and syncs: the depot still
    // holds the members (a write of one field does not lose another's).
    phone.sync_now(None).unwrap();
    phone
        .update_draft(&d.id, fundi_core::drafts::DraftPatch { description: Some("Kubwa".into()), ..Default::default() })
        .unwrap();
    phone.sync_now(None).unwrap();
    for field in ["title", "x_dye"] {
        assert!(has_members(&doc_at_depot(&staff)["fields"][field], &members(field, "sw")), "{field}");
    }

    // Older concurrent writes of both fields by the newer phone, with members of their own, lose
    // at the depot and become conflicts on this phone. It keeps the current title and restores
    // the older dye: each resolution sends the kept value on with the members it came with.
    let older = stamp_in(-60_000);
    let fields =
        json!({"title": newer_write("title", "Kiondo old", &older, "en"), "x_dye": newer_write("x_dye", "madder", &older, "en")});
    assert_eq!(s.push(&newer, vec![json!({"kind": "draft", "id": d.id, "fields": fields})]), [None]);
    phone.sync_now(None).unwrap();
    let conflicts = phone.list_conflicts().unwrap();
    for (field, restore) in [("title", false), ("x_dye", true)] {
        let c = conflicts.iter().find(|c| c.field.as_deref() == Some(field)).expect("the losing write shows as a conflict");
        phone.resolve_conflict(&c.id, restore).unwrap();
    }
    let r = phone.sync_now(None).unwrap();
    assert_eq!((r.pushed, r.refused), (2, 0), "{r:?}");
    let doc = doc_at_depot(&newer);
    assert!(doc["conflicts"].as_object().is_none_or(|c| c.is_empty()), "settled: {doc}");
    let (title, dye) = (&doc["fields"]["title"], &doc["fields"]["x_dye"]);
    assert_eq!((&title["value"], &dye["value"]), (&json!("Kiondo"), &json!("madder")));
    assert_ne!(title["hlc"], json!(t), "written again, by the phone of this version");
    assert!(has_members(title, &members("title", "sw")), "the kept title's members came back: {title}");
    assert!(has_members(dye, &members("x_dye", "en")), "the restored dye's members came back: {dye}");
}
