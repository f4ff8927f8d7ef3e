//! End to end: an artisan's phone, a mentor's phone and a depot staff phone, each with its own
//! database, against a real depot process. They edit offline, sync in different orders and
//! converge; an order goes from assigned to delivered across several syncs; stock adds up.

mod common;
use common::{basket, Server};
use fundi_core::drafts::{DraftPatch, DraftStatus};
use fundi_sync::workflow::{DraftCommand, OrderCommand, OrderStatus};

#[test]
fn order_flow_from_assigned_to_delivered_across_syncs() {
    let server = Server::start();
    let (mentor, mentor_id) = server.phone("mentor", "mentor", None);
    let (artisan, artisan_id) = server.phone("artisan", "akinyi", Some(&mentor_id));
    let (staff, _) = server.phone("staff", "staff", None);
    let (other_id, _) = server.account("artisan", "baraka", Some(&mentor_id));
    server.import_csv(&format!(
        "source,external_ref,product,quantity,price_minor,artisan_id\nshop,A-1,Kiondo basket,3,250000,{artisan_id}\nshop,A-2,Bowl,1,90000,{other_id}\n"
    ));

    artisan.sync_now(None).unwrap();
    let orders = artisan.list_orders().unwrap();
    assert_eq!(orders.len(), 1, "an artisan sees only their own orders");
    let id = orders[0].id.clone();
    assert_eq!(orders[0].status, OrderStatus::Assigned);

    // Offline: accept and start production; the phone shows the optimistic state.
    artisan.order_command(&id, OrderCommand::Accept, None).unwrap();
    let v = artisan.order_command(&id, OrderCommand::StartProduction, None).unwrap();
    assert_eq!((v.status, v.server_status), (OrderStatus::InProduction, OrderStatus::Assigned));
    assert!(artisan.order_command(&id, OrderCommand::Ship, None).is_err(), "an artisan cannot ship");
    artisan.sync_now(None).unwrap();
    let v = artisan.get_order(&id).unwrap();
    assert_eq!((v.status, v.server_status, v.pending_commands.len()), (OrderStatus::InProduction, OrderStatus::InProduction, 0));

    artisan.order_command(&id, OrderCommand::MarkReady, None).unwrap();
    artisan.sync_now(None).unwrap();

    staff.sync_now(None).unwrap();
    assert_eq!(staff.list_orders().unwrap().len(), 2, "staff see the whole depot");
    staff.order_command(&id, OrderCommand::Receive, None).unwrap();
    staff.order_command(&id, OrderCommand::QcPass, None).unwrap();
    staff.order_command(&id, OrderCommand::Ship, None).unwrap();
    staff.sync_now(None).unwrap();
    staff.order_command(&id, OrderCommand::Deliver, None).unwrap();
    let r = staff.sync_now(None).unwrap();
    assert_eq!((r.pushed, r.refused), (1, 0));

    artisan.sync_now(None).unwrap();
    assert_eq!(artisan.get_order(&id).unwrap().status, OrderStatus::Delivered);
    mentor.sync_now(None).unwrap();
    assert_eq!(mentor.list_orders().unwrap().len(), 2, "a mentor follows both mentees' orders");
    assert_eq!(artisan.pending_count().unwrap() + staff.pending_count().unwrap(), 0);
}

#[test]
fn concurrent_draft_edits_converge_and_the_loser_is_a_conflict() {
    let server = Server::start();
    let (mentor, mentor_id) = server.phone("mentor", "mentor", None);
    let (artisan, _) = server.phone("artisan", "akinyi", Some(&mentor_id));
    let (staff, _) = server.phone("staff", "staff", None);

    let d = artisan.create_draft(basket()).unwrap();
    artisan.sync_now(None).unwrap();
    staff.sync_now(None).unwrap();
    mentor.sync_now(None).unwrap();
    assert_eq!(mentor.list_review_drafts().unwrap().len(), 1);

    // The artisan edits the title offline; nobody else touches it. Then submits.
    artisan.update_draft(&d.id, DraftPatch { title: Some("Kiondo kikubwa".into()), ..Default::default() }).unwrap();
    artisan.submit_draft(&d.id).unwrap();
    artisan.sync_now(None).unwrap();
    mentor.sync_now(None).unwrap();
    let review = mentor.list_review_drafts().unwrap();
    assert_eq!((review[0].title.as_str(), review[0].status), ("Kiondo kikubwa", DraftStatus::Submitted));
    mentor.review_draft(&d.id, DraftCommand::RequestChanges, Some("Show the handle".into())).unwrap();
    mentor.sync_now(None).unwrap();
    artisan.sync_now(None).unwrap();
    assert_eq!(artisan.get_draft(&d.id).unwrap().status, DraftStatus::ChangesRequested);

    // Concurrent price edits: the artisan offline, staff at the depot. Both sync; the later
    // stamp wins everywhere and the other value is a conflict the artisan can restore.
    artisan.update_draft(&d.id, DraftPatch { price_minor: Some(260_000), ..Default::default() }).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    staff.sync_now(None).unwrap();
    let staff_draft = staff.list_review_drafts().unwrap();
    assert_eq!(staff_draft.len(), 1);
    // Staff price write through the generic field path (staff may set prices).
    staff_set_price(&staff, &d.id, 300_000);
    staff.sync_now(None).unwrap();
    artisan.sync_now(None).unwrap();
    let local = artisan.get_draft(&d.id).unwrap();
    assert_eq!(local.price.minor, 300_000, "the later write wins");
    let conflicts = artisan.list_conflicts().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].value.as_deref(), Some("260000"));
    artisan.resolve_conflict(&conflicts[0].id, true).unwrap();
    assert_eq!(artisan.get_draft(&d.id).unwrap().price.minor, 260_000);
    artisan.sync_now(None).unwrap();
    staff.sync_now(None).unwrap();
    artisan.sync_now(None).unwrap();
    assert!(artisan.list_conflicts().unwrap().is_empty(), "restoring settles the conflict everywhere");
    assert_eq!(artisan.get_draft(&d.id).unwrap().price.minor, 260_000);
    let staff_view: serde_json::Value = staff_doc(&staff, &d.id);
    assert_eq!(staff_view["doc"]["fields"]["price"]["value"], 260_000);
    assert!(staff_view["doc"].get("conflicts").is_none());
}

fn staff_set_price(staff: &fundi_core::Store, id: &str, price: i64) {
    staff.set_reviewed_draft_field(id, "price", serde_json::json!(price)).unwrap();
}

fn staff_doc(staff: &fundi_core::Store, id: &str) -> serde_json::Value {
    serde_json::to_value(staff.reviewed_draft(id).unwrap()).unwrap()
}

#[test]
fn stock_movements_from_two_staff_phones_add_up() {
    let server = Server::start();
    let (artisan, _) = server.phone("artisan", "akinyi", None);
    let (s1, _) = server.phone("staff", "s1", None);
    let (s2, _) = server.phone("staff", "s2", None);
    let d = artisan.create_draft(basket()).unwrap();
    artisan.sync_now(None).unwrap();
    s1.sync_now(None).unwrap();
    s2.sync_now(None).unwrap();
    s1.record_stock(&d.id, 5, "received").unwrap();
    s2.record_stock(&d.id, 3, "received").unwrap();
    s2.record_stock(&d.id, -1, "shipped").unwrap();
    assert!(artisan.record_stock(&d.id, 100, "received").is_err(), "artisans do not record stock");
    s1.sync_now(None).unwrap();
    s2.sync_now(None).unwrap();
    s1.sync_now(None).unwrap();
    artisan.sync_now(None).unwrap();
    for phone in [&artisan, &s1, &s2] {
        let levels = phone.stock_levels().unwrap();
        assert_eq!(levels.len(), 1);
        assert_eq!(levels[0].quantity, 7);
    }
    assert_eq!(artisan.stock_levels().unwrap()[0].title.as_deref(), Some("Kiondo"));
    let out = server.cli(&["list-depot"]);
    assert!(out.contains(&format!("{}  7", d.id)), "{out}");
}

#[test]
fn profiles_sync_and_fields_from_a_newer_app_come_back_unchanged() {
    let server = Server::start();
    let (mentor, mentor_id) = server.phone("mentor", "mentor", None);
    let (artisan, artisan_id) = server.phone("artisan", "akinyi", Some(&mentor_id));
    let (staff, _) = server.phone("staff", "staff", None);
    // Profiles: the artisan names herself; her mentor sees it and adds her location.
    artisan.set_profile_field(&artisan_id, "display_name", serde_json::json!("Akinyi O.")).unwrap();
    artisan.sync_now(None).unwrap();
    mentor.sync_now(None).unwrap();
    assert_eq!(mentor.profile(&artisan_id).unwrap().unwrap().doc.value("display_name").unwrap(), "Akinyi O.");
    mentor.set_profile_field(&artisan_id, "location", serde_json::json!("Kisumu")).unwrap();
    mentor.sync_now(None).unwrap();
    artisan.sync_now(None).unwrap();
    let p = artisan.profile(&artisan_id).unwrap().unwrap();
    assert_eq!(
        (p.doc.value("display_name").unwrap(), p.doc.value("location").unwrap()),
        (&serde_json::json!("Akinyi O."), &serde_json::json!("Kisumu"))
    );

    // A newer app on the artisan's second phone writes a field this build does not know.
    let d = artisan.create_draft(basket()).unwrap();
    artisan.sync_now(None).unwrap();
    let ops = server.device("operations", "ops", None);
    let (_, v) = server.req(Some(&ops), &format!("/v1/accounts/{artisan_id}/codes"), Some(serde_json::json!({})));
    let device = common::uuid_like();
    let (_, e) = server.enroll_raw(v["code"].as_str().unwrap(), &device);
    let newer = common::Dev {
        account: artisan_id.clone(),
        device,
        token: e["token"].as_str().unwrap().into(),
        counter: Default::default(),
    };
    let future_value = serde_json::json!({"dye": "indigo", "fast": true});
    let mut m = common::field_write(&d.id, "draft", "x_dye", future_value.clone());
    m["x_hint"] = serde_json::json!("from app v9");
    assert_eq!(server.push(&newer, vec![m]), vec![None]);
    artisan.sync_now(None).unwrap();
    // This build edits the draft; the unknown field travels through untouched.
    artisan.update_draft(&d.id, DraftPatch { title: Some("Kiondo v2".into()), ..Default::default() }).unwrap();
    artisan.sync_now(None).unwrap();
    staff.sync_now(None).unwrap();
    let seen = staff.reviewed_draft(&d.id).unwrap();
    assert_eq!(seen.doc.value("title").unwrap(), "Kiondo v2");
    assert_eq!(seen.doc.value("x_dye").unwrap(), &future_value, "unknown fields come back unchanged");
    let newer_view = server.pull_all(&newer);
    let mine = newer_view.iter().find(|c| c["id"] == d.id.as_str()).unwrap();
    assert_eq!(mine["body"]["doc"]["fields"]["x_dye"]["value"], future_value);
}

#[test]
fn a_mentor_enrolls_a_mentees_phone_and_revokes_it_when_lost() {
    let server = Server::start();
    let (mentor, _) = server.phone("mentor", "mentor", None);
    let code = mentor.create_enrollment(fundi_sync::Role::Artisan, "Wanjiru").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = fundi_core::Store::open(dir.path().join("mentee.db")).unwrap();
    let e = phone.enroll_device(&server.url, &code.code).unwrap();
    assert_eq!((e.account_id.as_str(), e.role), (code.account_id.as_str(), fundi_sync::Role::Artisan));
    let d = phone.create_draft(basket()).unwrap();
    phone.sync_now(None).unwrap();
    mentor.sync_now(None).unwrap();
    assert_eq!(mentor.list_review_drafts().unwrap()[0].id, d.id, "the mentee's drafts reach the mentor");
    // The phone is lost: the mentor revokes it; it can no longer sync, and says why.
    mentor.revoke_device(&phone.device_id().unwrap()).unwrap();
    phone.update_draft(&d.id, DraftPatch { price_minor: Some(1_000), ..Default::default() }).unwrap();
    match phone.sync_now(None) {
        Err(fundi_core::Error::Sync(fundi_core::replica::SyncError::Unauthorized { code })) => assert_eq!(code, "revoked"),
        other => panic!("expected revoked, got {other:?}"),
    }
    assert_eq!(phone.pending_count().unwrap(), 1, "the edit is kept, not lost");
    assert!(phone.sync_status().unwrap().last_error.unwrap().contains("revoked"));
    // An artisan cannot enroll anyone.
    assert!(matches!(phone.create_enrollment(fundi_sync::Role::Artisan, "x"), Err(fundi_core::Error::Sync(_))));
}

#[test]
fn one_bad_outbox_item_is_wedged_and_never_blocks_the_queue() {
    // A small body limit keeps the oversized item small (debug-build gzip is slow).
    let server = Server::start_with(&["--max-body-kib", "32"]);
    let (artisan, _) = server.phone("artisan", "akinyi", None);
    let d = artisan.create_draft(basket()).unwrap();
    // Two items the depot cannot take, slipped into the outbox between good ones: one too big
    // for the depot (refused as a whole batch), one this build cannot even read.
    let conn = rusqlite::Connection::open(server.dir.path().join("akinyi.db")).unwrap();
    let next = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("UPDATE sync_state SET next_counter = next_counter + 1 RETURNING next_counter - 1", [], |r| r.get(0))
            .unwrap()
    };
    let mut noise = String::with_capacity(100_000);
    let mut x: u64 = 1;
    while noise.len() < 100_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.push_str(&format!("{x:016x}"));
    }
    let huge = serde_json::json!({"counter": 0, "kind": "draft", "id": d.id, "fields": {"x_blob": {"value": noise, "hlc": common::stamp_in(0)}}});
    let c = next(&conn);
    conn.execute(
        "INSERT INTO outbox (counter, kind, record_id, body, created_ms) VALUES (?1, 'draft', ?2, ?3, 0)",
        rusqlite::params![c, d.id, huge.to_string()],
    )
    .unwrap();
    let c = next(&conn);
    conn.execute(
        "INSERT INTO outbox (counter, kind, record_id, body, created_ms) VALUES (?1, 'draft', ?2, '{not json', 0)",
        rusqlite::params![c, d.id],
    )
    .unwrap();
    drop(conn);
    artisan.update_draft(&d.id, DraftPatch { title: Some("After the bad ones".into()), ..Default::default() }).unwrap();
    let r = artisan.sync_now(None).unwrap();
    assert_eq!((r.pushed, r.refused), (2, 1), "{r:?}");
    let wedged: Vec<String> = artisan
        .outbox_items()
        .unwrap()
        .into_iter()
        .filter_map(|i| match i.state {
            fundi_core::outbox::ItemState::Wedged { reason } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(wedged.len(), 2);
    assert!(
        wedged.iter().any(|r| r.starts_with("too_large")) && wedged.iter().any(|r| r.starts_with("unreadable")),
        "{wedged:?}"
    );
    let (staff, _) = server.phone("staff", "staff", None);
    staff.sync_now(None).unwrap();
    assert_eq!(staff.reviewed_draft(&d.id).unwrap().doc.value("title").unwrap(), "After the bad ones");
    // Discarding them empties the queue.
    for c in artisan.list_conflicts().unwrap() {
        artisan.resolve_conflict(&c.id, false).unwrap();
    }
    assert_eq!(artisan.pending_count().unwrap(), 0);
}
