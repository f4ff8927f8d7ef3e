//! Replayed pushes against a real depot, built so that a depot which decided a replay again
//! (instead of answering from what it stored) would give different answers or change records:
//! a batch with an order command, draft review commands, field writes, a stock entry and refused
//! mutations is replayed as it is, after others moved the records on, and overlapping new work.
//! And a replay whose stored answer was pruned (more than `PUSH_RESULTS_KEPT` newer counters)
//! is refused as `too_old_to_replay`, never reported applied, over HTTP.

mod common;
use common::{command, field_write, numbered, stock_entry, Dev, Server};
use fundi_sync::limits::{PUSH_BATCH_MAX, PUSH_RESULTS_KEPT};
use serde_json::{json, Value};

/// The feed as `dev` pulls it from the start (every page).
fn feed(s: &Server, dev: &Dev) -> Vec<Value> {
    let (mut cursor, mut out) = (0u64, vec![]);
    loop {
        let (st, v) = s.req(Some(dev), &format!("/v1/sync/pull?cursor={cursor}&limit=1000"), None);
        assert_eq!(st, 200, "{v}");
        out.extend(v["changes"].as_array().unwrap().iter().cloned());
        cursor = v["cursor"].as_u64().unwrap();
        if v["more"] == false {
            return out;
        }
    }
}

/// Everything a replay must leave alone: every stored record, the feed's counter, and the
/// feed as two devices of different scope pull it.
fn state(s: &Server, devs: &[&Dev]) -> (Vec<common::RecordRow>, i64, Vec<Vec<Value>>) {
    (s.records(), s.next_seq(), devs.iter().map(|d| feed(s, d)).collect())
}

fn answers(v: &Value) -> Vec<Option<String>> {
    v["results"].as_array().unwrap().iter().map(|r| r["rejected"]["code"].as_str().map(String::from)).collect()
}

fn status(s: &Server, ops: &Dev, kind: &str, id: &str) -> Value {
    feed(s, ops).into_iter().find(|c| c["kind"] == kind && c["id"] == id).unwrap()["body"]["status"].clone()
}

#[test]
fn a_replayed_batch_of_commands_and_writes_gets_the_same_answers_and_changes_nothing() {
    let s = Server::start();
    let mentor = s.device("mentor", "m", None);
    let a = s.device("artisan", "a", Some(&mentor.account));
    let staff = s.device("staff", "staff", None);
    let ops = s.device("operations", "ops", None);
    // Two submitted drafts, a ready order and an accepted one, all a's.
    let (d1, d2) = (common::uuid_like(), common::uuid_like());
    let setup = vec![
        field_write(&d1, "draft", "title", json!("Kiondo")),
        command("draft", &d1, "submit"),
        field_write(&d2, "draft", "title", json!("Bowl")),
        command("draft", &d2, "submit"),
    ];
    assert!(s.push(&a, setup).iter().all(Option::is_none));
    s.import_csv(&format!(
        "source,external_ref,product,quantity,price_minor,artisan_id\nshop,R-1,Kiondo,1,1000,{0}\nshop,R-2,Bowl,1,1000,{0}\n",
        a.account
    ));
    let orders: Vec<String> =
        feed(&s, &ops).iter().filter(|c| c["kind"] == "order").map(|c| c["id"].as_str().unwrap().to_string()).collect();
    let (ready, accepted) = (&orders[0], &orders[1]);
    let steps = ["accept", "start_production", "mark_ready"]
        .iter()
        .map(|c| command("order", ready, c))
        .chain([command("order", accepted, "accept")]);
    assert!(s.push(&a, steps.collect()).iter().all(Option::is_none));

    // The mentor's batch: a review command and a field write (applied), a command the workflow
    // refuses and one the role refuses.
    let mentor_batch: Vec<Value> = vec![
        command("draft", &d1, "approve"),
        field_write(&d2, "draft", "review_note", json!("Show the handle")),
        command("draft", &d2, "request_changes"),
        command("draft", &d1, "request_changes"), // d1 is approved by then: illegal
        command("order", ready, "receive"),       // staff's step: forbidden
    ]
    .into_iter()
    .enumerate()
    .map(|(i, m)| numbered(m, i as u64 + 1))
    .collect();
    // Staff's batch: an order command, a field write, a stock entry, and a refused command.
    let staff_batch: Vec<Value> = vec![
        command("order", ready, "receive"),
        field_write(&d1, "draft", "price", json!(120_000)),
        stock_entry(&d1, 5),
        command("order", accepted, "receive"), // not ready yet: illegal
    ]
    .into_iter()
    .enumerate()
    .map(|(i, m)| numbered(m, i as u64 + 1))
    .collect();
    let (st, first_m) = s.push_raw(&mentor, mentor_batch.clone());
    assert_eq!(st, 200, "{first_m}");
    let (st, first_s) = s.push_raw(&staff, staff_batch.clone());
    assert_eq!(st, 200, "{first_s}");
    let none = None::<String>;
    let ill = Some("illegal_transition".to_string());
    assert_eq!(answers(&first_m), vec![none.clone(), none.clone(), none.clone(), ill.clone(), Some("forbidden".into())]);
    assert_eq!(answers(&first_s), vec![none.clone(), none.clone(), none.clone(), ill.clone()]);

    // Replayed at once (the reply was lost): the very same answers, nothing stored.
    let before = state(&s, &[&ops, &mentor]);
    for (dev, batch, first) in [(&mentor, &mentor_batch, &first_m), (&staff, &staff_batch, &first_s)] {
        let (st, again) = s.push_raw(dev, batch.clone());
        assert_eq!(st, 200);
        assert_eq!(again["results"], first["results"], "a replay gets the stored answers");
    }
    assert_eq!(state(&s, &[&ops, &mentor]), before, "a replay changes no record and no feed");

    // Others move the records on: decided again, the applied commands would now be refused
    // (receive from cancelled, approve from approved, request_changes from changes_requested),
    // and staff's price write is now a conflict under a newer price.
    let (st, v) = s.req(Some(&ops), &format!("/v1/orders/{ready}/commands"), Some(json!({"command": "cancel"})));
    assert_eq!(st, 200, "{v}");
    let staff2 = s.another_device(&ops, &staff.account);
    assert_eq!(s.push(&staff2, vec![field_write(&d1, "draft", "price", json!(130_000))]), vec![None]);
    assert_eq!(s.push(&a, vec![field_write(&d2, "draft", "title", json!("Bowl v2"))]), vec![None]);
    let before = state(&s, &[&ops, &mentor]);
    for (dev, batch, first) in [(&mentor, &mentor_batch, &first_m), (&staff, &staff_batch, &first_s)] {
        let (st, again) = s.push_raw(dev, batch.clone());
        assert_eq!(st, 200);
        assert_eq!(again["results"], first["results"], "answers come from the store, not from a new decision");
    }
    assert_eq!(state(&s, &[&ops, &mentor]), before, "the late replay changes nothing either");
    assert_eq!(status(&s, &ops, "order", ready), "cancelled");
    assert_eq!(status(&s, &ops, "draft", &d1), "approved");

    // A replay overlapping new work: the old part answered from the store, the new applied.
    let mut overlap = staff_batch.clone();
    overlap.push(numbered(command("order", accepted, "cancel"), 5)); // staff may not cancel
    overlap.push(numbered(field_write(&d2, "draft", "price", json!(90_000)), 6));
    let (st, v) = s.push_raw(&staff, overlap);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["results"].as_array().unwrap()[..4], first_s["results"].as_array().unwrap()[..]);
    assert_eq!(answers(&v)[4..], [Some("forbidden".to_string()), None]);
    let d2_doc = feed(&s, &ops).into_iter().find(|c| c["id"] == d2.as_str()).unwrap();
    assert_eq!(d2_doc["body"]["doc"]["fields"]["price"]["value"], 90_000);
    // Each refusal is in its sender's feed once, however often it was replayed.
    let refusals = feed(&s, &staff).into_iter().filter(|c| c["kind"] == "rejection").count();
    assert_eq!(refusals, 2);
}

#[test]
fn a_replay_whose_answer_was_pruned_is_refused_as_too_old_to_replay() {
    let s = Server::start();
    let a = s.device("artisan", "a", None);
    let staff = s.device("staff", "staff", None);
    let ops = s.device("operations", "ops", None);
    let d = common::uuid_like();
    assert_eq!(s.push(&a, vec![field_write(&d, "draft", "title", json!("Kiondo"))]), vec![None]);
    s.import_csv(&format!("source,external_ref,product,quantity,price_minor,artisan_id\nshop,R-1,Kiondo,1,1000,{}\n", a.account));
    let order = feed(&s, &ops).into_iter().find(|c| c["kind"] == "order").unwrap()["id"].as_str().unwrap().to_string();
    let steps = ["accept", "start_production", "mark_ready"].iter().map(|c| command("order", &order, c)).collect();
    assert!(s.push(&a, steps).iter().all(Option::is_none));

    // Counter 1 receives the order; then the same stock entry, delivered again and again (it
    // counts once, so the thousands of counters store almost nothing), until counter 1's answer
    // is more than PUSH_RESULTS_KEPT counters old.
    let receive = numbered(command("order", &order, "receive"), 1);
    let entry = stock_entry(&d, 2);
    let last = PUSH_RESULTS_KEPT + 2;
    let all: Vec<Value> = std::iter::once(receive).chain((2..=last).map(|c| numbered(entry.clone(), c))).collect::<Vec<_>>();
    for batch in all.chunks(PUSH_BATCH_MAX) {
        let (st, v) = s.push_raw(&staff, batch.to_vec());
        assert_eq!(st, 200, "{v}");
        assert!(answers(&v).iter().all(Option::is_none), "{v}");
    }
    // Staff pass the order on, so deciding counter 1 again would not even be legal.
    let (st, v) = s.req(Some(&staff), &format!("/v1/orders/{order}/commands"), Some(json!({"command": "qc_pass"})));
    assert_eq!(st, 200, "{v}");

    let before = state(&s, &[&ops, &staff]);
    let (st, v) = s.push_raw(&staff, all[..3].to_vec());
    assert_eq!(st, 200, "{v}");
    // Counter 1's answer is gone: a typed refusal, never "applied" (nor a new decision's
    // illegal_transition). Counter 2 is the oldest answer kept.
    assert_eq!(answers(&v), vec![Some("too_old_to_replay".to_string()), None, None]);
    assert_eq!(v["results"][0]["counter"], 1);
    assert_eq!(state(&s, &[&ops, &staff]), before, "a too-old replay stores nothing, not even a refusal");
    assert_eq!(status(&s, &ops, "order", &order), "qc_passed");
    let stock: i64 =
        feed(&s, &ops).iter().filter(|c| c["kind"] == "stock").map(|c| c["body"]["entry"]["delta"].as_i64().unwrap()).sum();
    assert_eq!(stock, 2, "the entry counted once");
}
